//! Request extractors that report invalid input the way FastAPI does (422 with field errors),
//! so handlers only ever see valid values: [`ValidJson`] for JSON bodies, [`path_id`] for
//! numeric path parameters and [`form_fields`] for URL-encoded forms; and [`ClientAddress`],
//! the client's address as far as the configured proxies vouch for it.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::rejection::RawPathParamsRejection;
use axum::extract::{ConnectInfo, FromRequest, FromRequestParts, MatchedPath, RawPathParams, Request};
use axum::http::header::CONTENT_TYPE;
use axum::http::request::Parts;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::AppState;
use crate::errors::{AppError, FieldError};

/// A request schema's own checks, beyond its shape: lengths, formats, policies.
pub trait Validate {
    /// Every problem, one per field; empty when the value is valid.
    fn validate(&self) -> Vec<FieldError>;
}

/// What [`control_characters`] allows, as the OpenAPI document's `pattern` says it (Unicode's
/// control characters, `char::is_control`, but tab, line feed and carriage return).
pub const PRINTABLE_TEXT: &str = r"^[^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]*$";

/// A field error at `loc` when `text` holds a control character other than tab, line feed
/// and carriage return. Text is refused the same way on every backend: PostgreSQL cannot
/// store NUL at all, and the others would keep what no page should show.
pub fn control_characters(loc: &[&str], text: &str) -> Option<FieldError> {
    text.chars().any(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r')).then(|| {
        FieldError::new(
            "value_error",
            loc,
            "Value error, control characters other than tab and line breaks are not allowed",
            Value::from(text),
        )
    })
}

/// What [`identity_characters`] allows, as the OpenAPI document's `pattern` says it: what
/// [`PRINTABLE_TEXT`] allows, but the bidirectional embedding, override and isolate controls
/// and the invisible characters of [`is_invisible`].
pub const IDENTITY_TEXT: &str = r"^[^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F\u00AD\u180E\u200B\u202A-\u202E\u2060-\u2064\u2066-\u2069\uFEFF]*$";

/// The bidirectional embedding, override and isolate controls (U+202A to U+202E, U+2066 to
/// U+2069): they reorder the text that follows them, so a name holding one can render as
/// someone else's. The marks U+200E and U+200F only give neutral characters a direction, and
/// stay allowed.
pub fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// Characters that show nothing and join or break nothing a name needs: the soft hyphen, the
/// Mongolian vowel separator, the zero-width space, the word joiner and invisible operators
/// (U+2060 to U+2064) and the byte order mark. `adа\u{200B}min` looks like `adаmin`. The
/// zero-width joiner and non-joiner stay: emoji sequences and several scripts need them.
pub fn is_invisible(c: char) -> bool {
    matches!(c, '\u{00AD}' | '\u{180E}' | '\u{200B}' | '\u{2060}'..='\u{2064}' | '\u{FEFF}')
}

/// A field error at `loc` when `text`, a login or display name, holds what
/// [`control_characters`] refuses, a bidirectional control or an invisible character. Only
/// names: titles and bodies may need the controls to lay out right-to-left text.
pub fn identity_characters(loc: &[&str], text: &str) -> Option<FieldError> {
    control_characters(loc, text).or_else(|| {
        text.chars().any(|c| is_bidi_control(c) || is_invisible(c)).then(|| {
            FieldError::new(
                "value_error",
                loc,
                "Value error, bidirectional control characters and invisible characters are not allowed in names",
                Value::from(text),
            )
        })
    })
}

/// A JSON body, deserialized and then validated; any problem is a 422 listing each field.
#[derive(Debug, Clone)]
pub struct ValidJson<T>(pub T);

impl<S, T> FromRequest<S> for ValidJson<T>
where
    S: Send + Sync,
    T: DeserializeOwned + Validate,
{
    type Rejection = AppError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let is_json = request
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .is_some_and(|essence| {
                let essence = essence.trim().to_ascii_lowercase();
                essence == "application/json" || (essence.starts_with("application/") && essence.ends_with("+json"))
            });
        if !is_json {
            return Err(AppError::UnsupportedMediaType("Content-Type must be application/json".to_owned()));
        }
        let bytes = Bytes::from_request(request, state).await.map_err(body_rejection)?;
        let value = parse_json(&bytes)?;
        let parsed = deserialize::<T>(value)?;
        let errors = parsed.validate();
        if errors.is_empty() { Ok(ValidJson(parsed)) } else { Err(AppError::Validation(errors)) }
    }
}

/// A body that could not be read: too large (413), or cut off.
pub fn body_rejection(rejection: BytesRejection) -> AppError {
    if rejection.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
        AppError::PayloadTooLarge("Request body too large".to_owned())
    } else {
        AppError::BadRequest("Could not read the request body".to_owned())
    }
}

/// Parses JSON text, reporting a syntax error as FastAPI's `json_invalid`.
fn parse_json(bytes: &[u8]) -> Result<Value, AppError> {
    serde_json::from_slice(bytes).map_err(|error| {
        AppError::Validation(vec![FieldError {
            kind: "json_invalid".to_owned(),
            loc: vec![Value::from("body"), Value::from(error.column())],
            msg: "JSON decode error".to_owned(),
            input: Value::Object(Default::default()),
        }])
    })
}

/// Deserializes a parsed body (an object: every body of this API is one) into `T`, turning
/// serde's error into a field error at its path.
pub fn deserialize<T: DeserializeOwned>(value: Value) -> Result<T, AppError> {
    if !value.is_object() {
        return Err(AppError::field(
            "model_attributes_type",
            &["body"],
            "Input should be a valid dictionary or object to extract fields from",
            value,
        ));
    }
    serde_path_to_error::deserialize(&value).map_err(|error| {
        let mut loc: Vec<Value> = vec![Value::from("body")];
        for segment in error.path().iter() {
            match segment {
                serde_path_to_error::Segment::Seq { index } => loc.push(Value::from(*index)),
                serde_path_to_error::Segment::Map { key } => loc.push(Value::from(key.as_str())),
                serde_path_to_error::Segment::Enum { variant } => loc.push(Value::from(variant.as_str())),
                serde_path_to_error::Segment::Unknown => {}
            }
        }
        let message = error.inner().to_string();
        let input = match loc.last() {
            Some(Value::String(field)) if is_secret(field) => Value::from(REDACTED),
            _ => value_at(&value, &loc[1..]).map(redact).unwrap_or(Value::Null),
        };
        let field = if let Some(name) = message.strip_prefix("missing field `").and_then(|rest| rest.split('`').next())
        {
            loc.push(Value::from(name));
            FieldError { kind: "missing".to_owned(), loc, msg: "Field required".to_owned(), input }
        } else if message.contains("expected a string") {
            FieldError { kind: "string_type".to_owned(), loc, msg: "Input should be a valid string".to_owned(), input }
        } else if message.contains("expected struct") || message.contains("expected a map") {
            FieldError {
                kind: "model_attributes_type".to_owned(),
                loc,
                msg: "Input should be a valid dictionary or object to extract fields from".to_owned(),
                input,
            }
        } else {
            FieldError { kind: "value_error".to_owned(), loc, msg: message, input }
        };
        AppError::Validation(vec![field])
    })
}

/// What an error shows instead of a secret field's value.
pub const REDACTED: &str = "**********";

/// The body fields whose values are never echoed in an error: passwords and tokens.
const SECRET_FIELDS: &[&str] = &["password", "refresh_token", "access_token"];

fn is_secret(field: &str) -> bool {
    SECRET_FIELDS.contains(&field)
}

/// `value` with the values of secret fields, at any depth, replaced by [`REDACTED`].
pub fn redact(value: &Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(key, item)| {
                    let item = if is_secret(key) { Value::from(REDACTED) } else { redact(item) };
                    (key.clone(), item)
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(redact).collect()),
        other => other.clone(),
    }
}

fn value_at<'v>(value: &'v Value, path: &[Value]) -> Option<&'v Value> {
    path.iter().try_fold(value, |value, segment| match segment {
        Value::String(key) => value.get(key.as_str()),
        Value::Number(index) => value.get(usize::try_from(index.as_u64()?).ok()?),
        _ => None,
    })
}

/// The path parameter `name` as an integer id; 422 at `["path", name]` otherwise.
///
/// A segment that is not UTF-8 once percent-decoded leaves axum with no parameters at all;
/// the error then names that segment, whichever parameter was asked for.
///
/// # Errors
///
/// [`AppError::Validation`] when the parameter is missing or not an integer.
pub async fn path_id<S: Send + Sync>(parts: &mut Parts, state: &S, name: &str) -> Result<i64, AppError> {
    let params = match RawPathParams::from_request_parts(parts, state).await {
        Ok(params) => params,
        Err(RawPathParamsRejection::InvalidUtf8InPathParam(_)) => {
            return Err(match not_utf8_segment(parts) {
                Some((key, raw)) => int_parsing(key, Value::from(raw)),
                None => int_parsing(name, Value::Null),
            });
        }
        Err(_) => return Err(AppError::field("missing", &["path", name], "Field required", Value::Null)),
    };
    let raw = params.iter().find(|(key, _)| *key == name).map(|(_, value)| value).unwrap_or_default();
    raw.parse::<i64>().map_err(|_| int_parsing(name, Value::from(raw)))
}

fn int_parsing(name: &str, input: Value) -> AppError {
    AppError::field(
        "int_parsing",
        &["path", name],
        "Input should be a valid integer, unable to parse string as an integer",
        input,
    )
}

/// The first parameter of the matched route whose segment (as sent, percent-encoded) is not
/// UTF-8 once decoded, with that segment.
fn not_utf8_segment(parts: &Parts) -> Option<(&str, &str)> {
    let route = parts.extensions.get::<MatchedPath>()?.as_str();
    route.split('/').zip(parts.uri.path().split('/')).find_map(|(pattern, raw)| {
        let key = pattern.strip_prefix('{')?.strip_suffix('}')?;
        (!percent_decodes_to_utf8(raw)).then_some((key, raw))
    })
}

fn percent_decodes_to_utf8(raw: &str) -> bool {
    let bytes = raw.as_bytes();
    let digit = |at: usize| bytes.get(at).and_then(|b| char::from(*b).to_digit(16));
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut at = 0;
    while let Some(&byte) = bytes.get(at) {
        match (byte, digit(at + 1), digit(at + 2)) {
            // Two hex digits are below 256.
            (b'%', Some(high), Some(low)) => {
                decoded.push((high * 16 + low) as u8);
                at += 3;
            }
            _ => {
                decoded.push(byte);
                at += 1;
            }
        }
    }
    std::str::from_utf8(&decoded).is_ok()
}

/// The address of the client: the connection's peer, or, when the peer is one of
/// `TRUSTED_PROXIES`, the address those proxies saw (from `X-Forwarded-For`). `None` when the
/// connection's address is unknown (a request made in-process).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientAddress(pub Option<IpAddr>);

impl FromRequestParts<AppState> for ClientAddress {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let Some(ConnectInfo(peer)) = parts.extensions.get::<ConnectInfo<SocketAddr>>() else {
            return Ok(ClientAddress(None));
        };
        let forwarded = parts.headers.get_all("x-forwarded-for").iter().filter_map(|v| v.to_str().ok());
        Ok(ClientAddress(Some(state.settings.trusted_proxies.client(peer.ip(), forwarded))))
    }
}

/// The fields of an `application/x-www-form-urlencoded` body (the last value of a repeated
/// field wins).
///
/// # Errors
///
/// 415 for another content type, 413 for a body over the limit.
pub async fn form_fields<S: Send + Sync>(request: Request, state: &S) -> Result<HashMap<String, String>, AppError> {
    let is_form = request
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.to_ascii_lowercase().starts_with("application/x-www-form-urlencoded"));
    if !is_form {
        return Err(AppError::UnsupportedMediaType(
            "Content-Type must be application/x-www-form-urlencoded".to_owned(),
        ));
    }
    let bytes = Bytes::from_request(request, state).await.map_err(body_rejection)?;
    Ok(form_urlencoded::parse(&bytes).into_owned().collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)] // Only deserialized, to see the errors.
    struct Input {
        title: String,
        tags: Vec<String>,
    }

    fn check(body: &str, expected: Value) {
        let result = parse_json(body.as_bytes()).and_then(deserialize::<Input>);
        let Err(AppError::Validation(errors)) = result else { panic!("{body} was accepted") };
        assert_eq!(serde_json::to_value(errors).expect("JSON"), expected, "{body}");
    }

    #[test]
    fn deserialization_errors_become_field_errors() {
        check(
            r#"{"tags": []}"#,
            serde_json::json!([{"type": "missing", "loc": ["body", "title"], "msg": "Field required", "input": {"tags": []}}]),
        );
        check(
            r#"{"title": 5, "tags": []}"#,
            serde_json::json!([{"type": "string_type", "loc": ["body", "title"], "msg": "Input should be a valid string", "input": 5}]),
        );
        check(
            r#"{"title": "a", "tags": ["x", false]}"#,
            serde_json::json!([{"type": "string_type", "loc": ["body", "tags", 1], "msg": "Input should be a valid string", "input": false}]),
        );
        check(
            r#"{"title": "#,
            serde_json::json!([{"type": "json_invalid", "loc": ["body", 10], "msg": "JSON decode error", "input": {}}]),
        );
        check(
            "[1]",
            serde_json::json!([{"type": "model_attributes_type", "loc": ["body"], "msg": "Input should be a valid dictionary or object to extract fields from", "input": [1]}]),
        );
    }

    #[test]
    fn segments_are_percent_decoded_before_the_utf8_check() {
        for (raw, utf8) in
            [("12", true), ("%C3%A9", true), ("%FF", false), ("a%C3%28", false), ("%", true), ("%zz", true)]
        {
            assert_eq!(percent_decodes_to_utf8(raw), utf8, "{raw}");
        }
    }

    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)] // Only deserialized, to see the errors.
    struct Login {
        email: String,
        password: String,
    }

    #[test]
    fn secrets_are_never_echoed_in_field_errors() {
        let errors = |body: &str| {
            let Err(AppError::Validation(errors)) = parse_json(body.as_bytes()).and_then(deserialize::<Login>) else {
                panic!("{body} was accepted")
            };
            serde_json::to_value(errors).expect("JSON")
        };
        assert_eq!(
            errors(r#"{"password": "hunter2 secret", "extra": {"refresh_token": "abc"}}"#),
            serde_json::json!([{"type": "missing", "loc": ["body", "email"], "msg": "Field required",
                "input": {"password": "**********", "extra": {"refresh_token": "**********"}}}])
        );
        assert_eq!(
            errors(r#"{"email": "a@b.c", "password": ["hunter2"]}"#),
            serde_json::json!([{"type": "string_type", "loc": ["body", "password"], "msg": "Input should be a valid string", "input": "**********"}])
        );
    }
}
