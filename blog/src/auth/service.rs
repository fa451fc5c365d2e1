//! The auth domain's logic over a database connection: registration, password checks,
//! access tokens (short-lived JWTs) and refresh tokens (random, stored hashed, rotated on use,
//! revoked by logout). No axum types here; errors are [`AuthError`].

use std::sync::OnceLock;
use std::time::Duration;

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use base64::Engine;
use chrono::Utc;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use rand::RngCore;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, Set, SqlErr,
    TransactionTrait,
};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::auth::config::AuthConfig;
use crate::auth::models::{refresh_token, user};
use crate::errors::AppError;

/// What can go wrong in the auth domain.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// Registration with an email that is taken.
    #[error("email already registered")]
    EmailTaken,
    /// Unknown email or wrong password (never said which).
    #[error("incorrect username or password")]
    InvalidCredentials,
    /// An access token that is malformed, tampered with, expired or for a user who is gone.
    #[error("invalid access token")]
    InvalidAccessToken,
    /// A refresh token that is unknown, expired, used or revoked.
    #[error("invalid refresh token")]
    InvalidRefreshToken,
    /// Hashing failed (out of memory, a broken stored hash).
    #[error("password hashing failed: {0}")]
    Hash(String),
    /// Signing a token failed.
    #[error("could not sign a token: {0}")]
    Sign(#[source] jsonwebtoken::errors::Error),
    /// The database failed.
    #[error(transparent)]
    Db(#[from] sea_orm::DbErr),
}

impl From<AuthError> for AppError {
    fn from(error: AuthError) -> Self {
        match error {
            AuthError::EmailTaken => AppError::Conflict("A user with this email already exists"),
            AuthError::InvalidCredentials => AppError::Unauthorized("Incorrect username or password"),
            AuthError::InvalidAccessToken => AppError::Unauthorized("Could not validate credentials"),
            AuthError::InvalidRefreshToken => AppError::Unauthorized("Invalid refresh token"),
            AuthError::Db(error) => error.into(),
            other => AppError::Internal(other.into()),
        }
    }
}

/// The signing keys and lifetimes, built once from [`AuthConfig`].
#[derive(Clone)]
pub struct TokenKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    access_ttl: Duration,
    refresh_ttl: Duration,
}

impl std::fmt::Debug for TokenKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenKeys")
            .field("access_ttl", &self.access_ttl)
            .field("refresh_ttl", &self.refresh_ttl)
            .finish_non_exhaustive()
    }
}

impl TokenKeys {
    /// HS256 keys from the configured secret.
    pub fn new(config: &AuthConfig) -> TokenKeys {
        let mut validation = Validation::new(Algorithm::HS256);
        // The service both signs and checks: no clock skew to allow for.
        validation.leeway = 0;
        validation.set_required_spec_claims(&["exp", "sub"]);
        TokenKeys {
            encoding: EncodingKey::from_secret(config.secret_bytes()),
            decoding: DecodingKey::from_secret(config.secret_bytes()),
            validation,
            access_ttl: config.access_token_ttl,
            refresh_ttl: config.refresh_token_ttl,
        }
    }
}

/// The claims of an access token.
#[derive(Debug, Serialize, Deserialize)]
pub struct Claims {
    /// The user id, as a string (RFC 7519).
    pub sub: String,
    /// Issued at (seconds since the epoch).
    pub iat: i64,
    /// Expires at (seconds since the epoch).
    pub exp: i64,
    /// Always `access`: a token of another kind signed with the same key is refused.
    pub typ: String,
}

/// A new access token and refresh token.
#[derive(Debug)]
pub struct TokenPair {
    /// The JWT.
    pub access_token: String,
    /// The refresh token (only its hash is stored).
    pub refresh_token: SecretString,
    /// Seconds the access token lives.
    pub expires_in: u64,
}

fn hasher() -> Argon2<'static> {
    // argon2id, version 0x13, with the crate's defaults (19 MiB, 2 passes), as OWASP suggests.
    Argon2::default()
}

/// Hashes a password with argon2id (on a blocking thread: it takes tens of milliseconds).
///
/// # Errors
///
/// [`AuthError::Hash`] when hashing fails.
pub async fn hash_password(password: &SecretString) -> Result<String, AuthError> {
    let password = password.clone();
    tokio::task::spawn_blocking(move || {
        let mut salt = [0u8; 16];
        rand::rng().fill_bytes(&mut salt);
        let salt = SaltString::encode_b64(&salt).map_err(|e| AuthError::Hash(e.to_string()))?;
        hasher()
            .hash_password(password.expose_secret().as_bytes(), &salt)
            .map(|hash| hash.to_string())
            .map_err(|e| AuthError::Hash(e.to_string()))
    })
    .await
    .map_err(|e| AuthError::Hash(e.to_string()))?
}

/// Whether `password` matches the stored hash.
async fn verify_password(password: &SecretString, hash: String) -> Result<bool, AuthError> {
    let password = password.clone();
    tokio::task::spawn_blocking(move || {
        let parsed = PasswordHash::new(&hash).map_err(|e| AuthError::Hash(e.to_string()))?;
        Ok(hasher().verify_password(password.expose_secret().as_bytes(), &parsed).is_ok())
    })
    .await
    .map_err(|e| AuthError::Hash(e.to_string()))?
}

/// A hash to check against when the user does not exist, so that an unknown email takes as
/// long as a wrong password and does not reveal who is registered.
async fn dummy_hash() -> Result<String, AuthError> {
    static HASH: OnceLock<String> = OnceLock::new();
    if let Some(hash) = HASH.get() {
        return Ok(hash.clone());
    }
    let hash = hash_password(&SecretString::from("not a real password 0")).await?;
    Ok(HASH.get_or_init(|| hash).clone())
}

/// Creates a user. `email` must be normalized and the password valid already.
///
/// # Errors
///
/// [`AuthError::EmailTaken`] when the email is registered (checked by the unique constraint,
/// so two concurrent registrations cannot both win).
pub async fn register(
    db: &DatabaseConnection,
    email: String,
    password: &SecretString,
    display_name: Option<String>,
) -> Result<user::Model, AuthError> {
    let password_hash = hash_password(password).await?;
    let row = user::ActiveModel {
        email: Set(email),
        password_hash: Set(password_hash),
        display_name: Set(display_name),
        created_at: Set(Utc::now()),
        ..Default::default()
    };
    row.insert(db).await.map_err(|error| match error.sql_err() {
        Some(SqlErr::UniqueConstraintViolation(_)) => AuthError::EmailTaken,
        _ => AuthError::Db(error),
    })
}

/// The user with this email and password.
///
/// # Errors
///
/// [`AuthError::InvalidCredentials`] for an unknown email or a wrong password.
pub async fn authenticate(
    db: &DatabaseConnection,
    email: &str,
    password: &SecretString,
) -> Result<user::Model, AuthError> {
    let email = email.trim().to_lowercase();
    let found = user::Entity::find().filter(user::Column::Email.eq(email)).one(db).await?;
    match found {
        Some(user) if verify_password(password, user.password_hash.clone()).await? => Ok(user),
        Some(_) => Err(AuthError::InvalidCredentials),
        None => {
            verify_password(password, dummy_hash().await?).await?;
            Err(AuthError::InvalidCredentials)
        }
    }
}

/// The user with this id, if any.
///
/// # Errors
///
/// [`AuthError::Db`].
pub async fn find_user(db: &DatabaseConnection, id: i64) -> Result<Option<user::Model>, AuthError> {
    Ok(user::Entity::find_by_id(id).one(db).await?)
}

/// The user id an access token was issued to, when its signature, algorithm, type and
/// expiry are right.
///
/// # Errors
///
/// [`AuthError::InvalidAccessToken`] otherwise.
pub fn decode_access_token(keys: &TokenKeys, token: &str) -> Result<i64, AuthError> {
    let data = jsonwebtoken::decode::<Claims>(token, &keys.decoding, &keys.validation)
        .map_err(|_| AuthError::InvalidAccessToken)?;
    if data.claims.typ != "access" {
        return Err(AuthError::InvalidAccessToken);
    }
    data.claims.sub.parse().map_err(|_| AuthError::InvalidAccessToken)
}

/// SHA-256 of a refresh token, hex: what the database keeps. The token is 256 random bits,
/// so a fast hash is enough (no dictionary to attack).
fn token_hash(token: &str) -> String {
    Sha256::digest(token.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

/// Signs an access token and stores a new refresh token for `user_id`.
///
/// # Errors
///
/// [`AuthError::Sign`] or [`AuthError::Db`].
pub async fn issue_tokens<C: ConnectionTrait>(db: &C, keys: &TokenKeys, user_id: i64) -> Result<TokenPair, AuthError> {
    let now = Utc::now();
    let access_secs = i64::try_from(keys.access_ttl.as_secs()).unwrap_or(i64::MAX);
    let claims = Claims {
        sub: user_id.to_string(),
        iat: now.timestamp(),
        exp: now.timestamp().saturating_add(access_secs),
        typ: "access".to_owned(),
    };
    let access_token =
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &keys.encoding).map_err(AuthError::Sign)?;

    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    let refresh_token = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
    let refresh_ttl = chrono::Duration::from_std(keys.refresh_ttl).unwrap_or(chrono::Duration::MAX);
    refresh_token::ActiveModel {
        user_id: Set(user_id),
        token_hash: Set(token_hash(&refresh_token)),
        created_at: Set(now),
        expires_at: Set(now.checked_add_signed(refresh_ttl).unwrap_or(chrono::DateTime::<Utc>::MAX_UTC)),
        revoked_at: Set(None),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(TokenPair {
        access_token,
        refresh_token: SecretString::from(refresh_token),
        expires_in: keys.access_ttl.as_secs(),
    })
}

/// Exchanges a refresh token for a new pair. The old token is marked used in the same
/// transaction by a conditional update, so of two concurrent uses only one succeeds. Using a
/// token that was already used revokes every token of its user: someone else had it.
///
/// # Errors
///
/// [`AuthError::InvalidRefreshToken`] for an unknown, expired, used or revoked token.
pub async fn rotate_refresh_token(
    db: &DatabaseConnection,
    keys: &TokenKeys,
    token: &SecretString,
) -> Result<TokenPair, AuthError> {
    let hash = token_hash(token.expose_secret());
    let Some(row) = refresh_token::Entity::find().filter(refresh_token::Column::TokenHash.eq(hash)).one(db).await?
    else {
        return Err(AuthError::InvalidRefreshToken);
    };
    let now = Utc::now();
    if row.revoked_at.is_some() {
        tracing::warn!(
            user_id = row.user_id,
            "a used or revoked refresh token was presented; revoking the user's tokens"
        );
        revoke_all(db, row.user_id).await?;
        return Err(AuthError::InvalidRefreshToken);
    }
    if row.expires_at <= now {
        return Err(AuthError::InvalidRefreshToken);
    }
    let txn = db.begin().await?;
    let updated = refresh_token::Entity::update_many()
        .col_expr(refresh_token::Column::RevokedAt, Expr::value(now))
        .filter(refresh_token::Column::Id.eq(row.id))
        .filter(refresh_token::Column::RevokedAt.is_null())
        .exec(&txn)
        .await?;
    if updated.rows_affected != 1 {
        txn.rollback().await?;
        return Err(AuthError::InvalidRefreshToken);
    }
    let pair = issue_tokens(&txn, keys, row.user_id).await?;
    txn.commit().await?;
    Ok(pair)
}

/// Revokes one refresh token (logout). Unknown tokens are ignored: logging out twice is
/// not an error, and the answer tells nothing about which tokens exist.
///
/// # Errors
///
/// [`AuthError::Db`].
pub async fn revoke_refresh_token(db: &DatabaseConnection, token: &SecretString) -> Result<(), AuthError> {
    refresh_token::Entity::update_many()
        .col_expr(refresh_token::Column::RevokedAt, Expr::value(Utc::now()))
        .filter(refresh_token::Column::TokenHash.eq(token_hash(token.expose_secret())))
        .filter(refresh_token::Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    Ok(())
}

async fn revoke_all(db: &DatabaseConnection, user_id: i64) -> Result<(), AuthError> {
    refresh_token::Entity::update_many()
        .col_expr(refresh_token::Column::RevokedAt, Expr::value(Utc::now()))
        .filter(refresh_token::Column::UserId.eq(user_id))
        .filter(refresh_token::Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(ttl: u64) -> TokenKeys {
        let vars = crate::vars::Vars::from_pairs([
            ("JWT_SECRET", "unit-test-secret-unit-test-secret!"),
            ("ACCESS_TOKEN_TTL_SECS", &*ttl.to_string()),
        ]);
        TokenKeys::new(&AuthConfig::from_vars(&vars, crate::vars::Environment::Test).expect("valid"))
    }

    fn sign(keys: &TokenKeys, claims: &Claims) -> String {
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), claims, &keys.encoding).expect("signs")
    }

    #[test]
    fn access_tokens_are_checked() {
        let keys = keys(60);
        let now = Utc::now().timestamp();
        let good = Claims { sub: "7".into(), iat: now, exp: now + 60, typ: "access".into() };
        assert_eq!(decode_access_token(&keys, &sign(&keys, &good)).ok(), Some(7));
        let expired = Claims { exp: now - 1, ..good };
        assert!(matches!(decode_access_token(&keys, &sign(&keys, &expired)), Err(AuthError::InvalidAccessToken)));
        let other_kind = Claims { exp: now + 60, typ: "refresh".into(), ..expired };
        assert!(matches!(decode_access_token(&keys, &sign(&keys, &other_kind)), Err(AuthError::InvalidAccessToken)));
        assert!(matches!(decode_access_token(&keys, "not.a.token"), Err(AuthError::InvalidAccessToken)));
    }

    #[test]
    fn refresh_tokens_are_stored_as_sha256() {
        assert_eq!(token_hash("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    }
}
