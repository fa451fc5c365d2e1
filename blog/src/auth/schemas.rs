//! Request and response bodies of the auth routes, with their validation. Entities are never
//! sent as they are: [`UserOut`] leaves the password hash out.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::auth::models::user;
use crate::errors::{AppError, FieldError};
use crate::extract::{Validate, control_characters, identity_characters};

/// The shortest password accepted.
pub const MIN_PASSWORD_CHARS: usize = 8;
/// The longest password accepted (hashing cost grows with it).
pub const MAX_PASSWORD_CHARS: usize = 128;

/// `POST /auth/register`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct RegisterIn {
    /// The email address; the login name. Compared without regard to case. Control characters
    /// and bidirectional controls are refused.
    #[schema(format = Email, max_length = 254, example = "ada@example.com")]
    pub email: String,
    /// 8 to 128 characters, with at least one letter and one character that is not a letter,
    /// and not the email address.
    #[schema(value_type = String, format = Password, min_length = 8, max_length = 128, example = "correct horse 9")]
    pub password: SecretString,
    /// The name shown with the user's posts (1 to 100 characters, without control characters
    /// or bidirectional controls).
    #[schema(min_length = 1, max_length = 100, example = "Ada")]
    pub display_name: Option<String>,
}

/// A login name as it is stored, looked up and counted by the login limiter: trimmed and
/// lower-cased by `str::to_lowercase`, which reads the whole word (a word-final 'Σ' becomes 'ς',
/// not the 'σ' lowering each character alone gives). Every place that compares login names
/// goes through here, so one account never has two spellings that disagree.
pub fn normalize_login_name(name: &str) -> String {
    name.trim().to_lowercase()
}

impl RegisterIn {
    /// The email as stored: see [`normalize_login_name`].
    pub fn normalized_email(&self) -> String {
        normalize_login_name(&self.email)
    }

    /// The display name as stored: trimmed.
    pub fn normalized_display_name(&self) -> Option<String> {
        self.display_name.as_deref().map(str::trim).map(str::to_owned)
    }
}

impl Validate for RegisterIn {
    fn validate(&self) -> Vec<FieldError> {
        let mut errors = Vec::new();
        let email = self.normalized_email();
        if let Some(error) = identity_characters(&["body", "email"], &self.email) {
            errors.push(error);
        } else if !is_email(&email) {
            errors.push(FieldError::new(
                "value_error",
                &["body", "email"],
                "value is not a valid email address",
                Value::from(self.email.as_str()),
            ));
        }
        // The password is never echoed back, not even in an error.
        let password = self.password.expose_secret();
        let chars = password.chars().count();
        let problem = if chars < MIN_PASSWORD_CHARS {
            Some(format!("Password should have at least {MIN_PASSWORD_CHARS} characters"))
        } else if chars > MAX_PASSWORD_CHARS {
            Some(format!("Password should have at most {MAX_PASSWORD_CHARS} characters"))
        } else if !password.chars().any(char::is_alphabetic) || password.chars().all(char::is_alphabetic) {
            Some("Password should contain at least one letter and one character that is not a letter".to_owned())
        } else if normalize_login_name(password) == email {
            Some("Password should not be the email address".to_owned())
        } else {
            None
        };
        if let Some(msg) = problem {
            errors.push(FieldError::new("value_error", &["body", "password"], msg, Value::from("**********")));
        }
        if let Some(name) = self.normalized_display_name() {
            let chars = name.chars().count();
            if let Some(error) = identity_characters(&["body", "display_name"], &name) {
                errors.push(error);
            } else if !(1..=100).contains(&chars) {
                errors.push(FieldError::new(
                    if chars == 0 { "string_too_short" } else { "string_too_long" },
                    &["body", "display_name"],
                    if chars == 0 {
                        "String should have at least 1 character"
                    } else {
                        "String should have at most 100 characters"
                    },
                    Value::from(self.display_name.clone()),
                ));
            }
        }
        errors
    }
}

/// A plausible address: one `@`, a non-empty local part, no spaces, and a dotted domain whose
/// labels are host names (letters, digits and inner hyphens; an internationalized name's
/// letters too), as the OpenAPI document's `format: email` says.
fn is_email(email: &str) -> bool {
    let Some((local, domain)) = email.split_once('@') else { return false };
    let label = |label: &str| {
        (1..=63).contains(&label.len())
            && !label.starts_with('-')
            && !label.ends_with('-')
            && label.chars().all(|c| c.is_alphanumeric() || c == '-')
    };
    email.len() <= 254
        && !local.is_empty()
        && local.len() <= 64
        && domain.contains('.')
        && domain.split('.').all(label)
        && !email.chars().any(|c| c.is_whitespace() || c.is_control())
}

/// A user, as the API shows it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct UserOut {
    /// The id.
    pub id: i64,
    /// The email address.
    pub email: String,
    /// The display name.
    pub display_name: Option<String>,
    /// When the user registered.
    #[serde(serialize_with = "crate::timestamps::serialize")]
    pub created_at: DateTime<Utc>,
}

impl From<user::Model> for UserOut {
    fn from(user: user::Model) -> Self {
        UserOut { id: user.id, email: user.email, display_name: user.display_name, created_at: user.created_at }
    }
}

/// The OAuth2 password flow's form (`POST /auth/token`), as FastAPI's
/// `OAuth2PasswordRequestForm` reads it.
#[derive(Debug)]
pub struct TokenForm {
    /// The email address.
    pub username: String,
    /// The password.
    pub password: SecretString,
}

/// The form as documented (for OpenAPI only).
#[derive(utoipa::ToSchema)]
#[allow(dead_code)] // Describes the form for the docs; `TokenForm::from_fields` reads it.
pub struct TokenFormDoc {
    /// `password` when given.
    grant_type: Option<String>,
    /// The email address.
    username: String,
    /// The password.
    #[schema(format = Password)]
    password: String,
    /// Ignored.
    scope: Option<String>,
}

impl TokenForm {
    /// Reads the form's fields; `grant_type`, when present, must be `password`.
    ///
    /// # Errors
    ///
    /// 422 naming each missing field.
    pub fn from_fields(mut fields: HashMap<String, String>) -> Result<TokenForm, AppError> {
        let mut errors = Vec::new();
        if let Some(grant) = fields.get("grant_type")
            && grant != "password"
        {
            errors.push(FieldError::new(
                "string_pattern_mismatch",
                &["body", "grant_type"],
                "String should match pattern '^password$'",
                Value::from(grant.as_str()),
            ));
        }
        let mut required = |name: &str| {
            let value = fields.remove(name).unwrap_or_default();
            if value.is_empty() {
                errors.push(FieldError::new("missing", &["body", name], "Field required", Value::Null));
            }
            value
        };
        let username = required("username");
        let password = SecretString::from(required("password"));
        // No account has such a name (registration refuses it), and PostgreSQL cannot even
        // compare one with NUL in it: refused before any lookup or hash. Bidirectional
        // controls are looked up: an account registered before they were refused still logs in.
        errors.extend(control_characters(&["body", "username"], &username));
        if errors.is_empty() { Ok(TokenForm { username, password }) } else { Err(AppError::Validation(errors)) }
    }
}

/// An access token and a refresh token (`POST /auth/token`, `POST /auth/refresh`).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct TokenOut {
    /// A JWT to send as `Authorization: Bearer ...`.
    pub access_token: String,
    /// Always `bearer`.
    #[schema(example = "bearer")]
    pub token_type: &'static str,
    /// Exchanges for a new pair at `POST /auth/refresh`, once.
    pub refresh_token: String,
    /// Seconds until the access token expires.
    pub expires_in: u64,
}

/// `POST /auth/refresh` and `POST /auth/logout`.
#[derive(Deserialize, utoipa::ToSchema)]
pub struct RefreshIn {
    /// The refresh token from the last token response.
    #[schema(value_type = String)]
    pub refresh_token: SecretString,
}

impl std::fmt::Debug for RefreshIn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RefreshIn").finish_non_exhaustive()
    }
}

impl Validate for RefreshIn {
    fn validate(&self) -> Vec<FieldError> {
        Vec::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(email: &str, password: &str, display_name: Option<&str>, expected: &[&str]) {
        let input = RegisterIn {
            email: email.to_owned(),
            password: SecretString::from(password.to_owned()),
            display_name: display_name.map(str::to_owned),
        };
        let fields: Vec<String> =
            input.validate().into_iter().map(|e| e.loc[1].as_str().unwrap_or("").to_owned()).collect();
        assert_eq!(fields, expected, "{email} {display_name:?}");
    }

    #[test]
    fn registration_is_validated() {
        check("ada@example.com", "analytical 1", Some("Ada"), &[]);
        check(" Ada@Example.COM ", "analytical 1", None, &[]);
        check("ada", "analytical 1", None, &["email"]);
        check("ada@localhost", "analytical 1", None, &["email"]);
        check("a da@example.com", "analytical 1", None, &["email"]);
        // The domain is a host name: no `*`, `_` or `@` in it, no empty or hyphen-edged label.
        for domain in ["9.example*", "ex_ample.com", "a@b.com", "example..com", "-example.com", "example.com."] {
            check(&format!("ada@{domain}"), "analytical 1", None, &["email"]);
        }
        check("umx~+tag@9.example", "analytical 1", None, &[]);
        check("ada@bücher.example", "analytical 1", None, &[]);
        check("ada@example.com", "short1", None, &["password"]);
        check("ada@example.com", "onlyletters", None, &["password"]);
        check("ada@example.com", "12345678", None, &["password"]);
        check("ada@example.com", "ADA@example.com", None, &["password"]);
        check("ada@example.com", &"x1".repeat(65), None, &["password"]);
        check("ada@example.com", "analytical 1", Some("  "), &["display_name"]);
        check("ada@example.com", "analytical 1", Some("N\0"), &["display_name"]);
        check("ada@example.com", "analytical 1", Some("Ada\u{1b}[31m"), &["display_name"]);
        // Bidirectional controls would let a name render as another's.
        check("ada@example.com", "analytical 1", Some("Ada\u{202e}moc.elpmaxe"), &["display_name"]);
        check("ada@example.com", "analytical 1", Some("\u{2067}Ada"), &["display_name"]);
        check("ada\u{202e}@example.com", "analytical 1", None, &["email"]);
        // Right-to-left names, and the marks that set the direction of neutral characters.
        check("ada@example.com", "analytical 1", Some("ليلى\u{200f}"), &[]);
    }

    #[test]
    fn token_form_names_missing_fields() {
        let fields = HashMap::from([("username".to_owned(), "a@b.c".to_owned())]);
        let Err(AppError::Validation(errors)) = TokenForm::from_fields(fields) else { panic!("accepted") };
        assert_eq!(errors, vec![FieldError::new("missing", &["body", "password"], "Field required", Value::Null)]);
        let fields = HashMap::from([
            ("username".to_owned(), "ada\0@example.com".to_owned()),
            ("password".to_owned(), "analytical 1".to_owned()),
        ]);
        let Err(AppError::Validation(errors)) = TokenForm::from_fields(fields) else { panic!("accepted") };
        assert_eq!(errors[0].loc, vec![Value::from("body"), Value::from("username")]);
    }
}
