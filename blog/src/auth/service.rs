//! The auth domain's logic over a database connection: registration, password checks,
//! access tokens (short-lived JWTs) and refresh tokens (random, stored hashed, rotated on use,
//! revoked by logout). No axum types here; errors are [`AuthError`].

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use argon2::password_hash::{Output, ParamsString, PasswordHash, SaltString};
use argon2::{Argon2, Block, Params, Version};
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
use tokio::sync::Semaphore;

use crate::auth::config::AuthConfig;
use crate::auth::models::{refresh_token, user};
use crate::auth::schemas::normalize_login_name;
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
    /// Every password hashing slot is taken and the line for them is full.
    #[error("too many password checks at once")]
    Busy,
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
            AuthError::Busy => {
                AppError::Busy { detail: "Too many password checks at once; try again shortly", retry_after_secs: 1 }
            }
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

/// Password hashing, bounded: argon2id hashes (19 MiB each) run on `concurrency` threads of
/// their own, and at most [`QUEUE_PER_SLOT`] requests per thread wait for one; any further
/// request is refused at once with [`AuthError::Busy`] (503 with `Retry-After`), before it
/// allocates anything.
///
/// Each thread allocates argon2's memory once and reuses it for every hash, so the service
/// holds at most `concurrency` of those blocks, however many passwords it checks. (Left to
/// the allocator, memory freed by a hash on one of tokio's 512 blocking threads is kept per
/// thread and is not reliably reused: it grew by about 20 MiB per hash.) A hash runs to its
/// end even when the request that asked for it timed out meanwhile, and keeps its place in
/// the count until then.
#[derive(Debug)]
pub struct Hashing {
    admitted: Arc<Semaphore>,
    jobs: std::sync::mpsc::SyncSender<Job>,
}

/// Work for a hashing thread, given the thread's argon2 memory.
type Job = Box<dyn FnOnce(&mut Vec<Block>) + Send>;

/// Requests allowed to wait per hashing thread.
pub const QUEUE_PER_SLOT: usize = 8;

/// The most memory a stored hash may ask for (in 1 KiB blocks): 64 MiB. A hash with a higher
/// cost (not one this service wrote) is refused rather than allocated for.
const MAX_BLOCKS: usize = 64 * 1024;

impl Hashing {
    /// Starts `concurrency` hashing threads (at least one); they stop when this is dropped.
    ///
    /// # Errors
    ///
    /// When the operating system refuses a thread.
    pub fn new(concurrency: usize) -> std::io::Result<Hashing> {
        let concurrency = concurrency.max(1);
        let admitted = concurrency.saturating_mul(QUEUE_PER_SLOT + 1);
        let (jobs, queue) = std::sync::mpsc::sync_channel::<Job>(admitted);
        let queue = Arc::new(std::sync::Mutex::new(queue));
        for n in 0..concurrency {
            let queue = queue.clone();
            std::thread::Builder::new().name(format!("password-hash-{n}")).spawn(move || {
                let mut memory = Vec::new();
                loop {
                    // A poisoned lock only means another hashing thread panicked while
                    // waiting; the queue itself is intact.
                    let job = queue.lock().unwrap_or_else(std::sync::PoisonError::into_inner).recv();
                    let Ok(job) = job else { return };
                    // A job that panics drops its reply, which its request reports; the
                    // thread goes on with the next one.
                    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| job(&mut memory))).ok();
                }
            })?;
        }
        Ok(Hashing { admitted: Arc::new(Semaphore::new(admitted)), jobs })
    }

    /// Runs `work` on a hashing thread.
    async fn run<T, F>(&self, work: F) -> Result<T, AuthError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Vec<Block>) -> Result<T, AuthError> + Send + 'static,
    {
        let admitted = self.admitted.clone().try_acquire_owned().map_err(|_| AuthError::Busy)?;
        let (reply, answer) = tokio::sync::oneshot::channel();
        let job: Job = Box::new(move |memory| {
            let result = work(memory);
            drop(admitted);
            reply.send(result).ok();
        });
        // The queue holds as many jobs as there are admissions, so it is never full here.
        self.jobs.try_send(job).map_err(|_| AuthError::Busy)?;
        answer.await.map_err(|_| AuthError::Hash("the hashing thread stopped".to_owned()))?
    }

    /// Hashes a password with argon2id (version 0x13, 19 MiB, two passes, as OWASP suggests)
    /// into a PHC string.
    ///
    /// # Errors
    ///
    /// [`AuthError::Busy`] when hashing is at capacity, [`AuthError::Hash`] when it fails.
    pub async fn hash_password(&self, password: &SecretString) -> Result<String, AuthError> {
        let password = password.clone();
        self.run(move |memory| {
            let mut salt = [0u8; 16];
            rand::rng().fill_bytes(&mut salt);
            let params = Params::DEFAULT;
            let mut output = [0u8; Params::DEFAULT_OUTPUT_LEN];
            let argon2 = Argon2::new(argon2::Algorithm::Argon2id, Version::V0x13, params.clone());
            argon2
                .hash_password_into_with_memory(
                    password.expose_secret().as_bytes(),
                    &salt,
                    &mut output,
                    blocks(memory, params.block_count()),
                )
                .map_err(hash_error)?;
            let salt = SaltString::encode_b64(&salt).map_err(hash_error)?;
            let hash = PasswordHash {
                algorithm: argon2::Algorithm::Argon2id.ident(),
                version: Some(Version::V0x13.into()),
                params: ParamsString::try_from(&params).map_err(hash_error)?,
                salt: Some(salt.as_salt()),
                hash: Some(Output::new(&output).map_err(hash_error)?),
            };
            Ok(hash.to_string())
        })
        .await
    }

    /// Whether `password` matches the stored hash (compared in constant time).
    async fn verify_password(&self, password: &SecretString, hash: String) -> Result<bool, AuthError> {
        let password = password.clone();
        self.run(move |memory| {
            let parsed = PasswordHash::new(&hash).map_err(hash_error)?;
            let (Some(salt), Some(expected)) = (parsed.salt, parsed.hash) else {
                return Err(AuthError::Hash("the stored hash has no salt or output".to_owned()));
            };
            let algorithm = argon2::Algorithm::try_from(parsed.algorithm).map_err(hash_error)?;
            let version = parsed.version.map(Version::try_from).transpose().map_err(hash_error)?.unwrap_or_default();
            let params = Params::try_from(&parsed).map_err(hash_error)?;
            if params.block_count() > MAX_BLOCKS {
                return Err(AuthError::Hash(format!("the stored hash asks for {} KiB", params.block_count())));
            }
            let mut salt_bytes = [0u8; 64];
            let salt = salt.decode_b64(&mut salt_bytes).map_err(hash_error)?;
            let mut output = vec![0u8; expected.len()];
            let count = params.block_count();
            Argon2::new(algorithm, version, params)
                .hash_password_into_with_memory(
                    password.expose_secret().as_bytes(),
                    salt,
                    &mut output,
                    blocks(memory, count),
                )
                .map_err(hash_error)?;
            Ok(Output::new(&output).map_err(hash_error)? == expected)
        })
        .await
    }

    /// A hash to check against when the user does not exist, so that an unknown email takes
    /// as long as a wrong password and does not reveal who is registered.
    async fn dummy_hash(&self) -> Result<String, AuthError> {
        static HASH: OnceLock<String> = OnceLock::new();
        if let Some(hash) = HASH.get() {
            return Ok(hash.clone());
        }
        let hash = self.hash_password(&SecretString::from("not a real password 0")).await?;
        Ok(HASH.get_or_init(|| hash).clone())
    }
}

/// The first `count` blocks of a thread's memory, grown when needed (argon2 overwrites every
/// block before it reads one, so old contents do not matter).
fn blocks(memory: &mut Vec<Block>, count: usize) -> &mut [Block] {
    if memory.len() < count {
        memory.resize(count, Block::default());
    }
    &mut memory[..count]
}

fn hash_error(error: impl std::fmt::Display) -> AuthError {
    AuthError::Hash(error.to_string())
}

/// Creates a user. `email` must be normalized and the password valid already.
///
/// # Errors
///
/// [`AuthError::EmailTaken`] when the email is registered (checked by the unique constraint,
/// so two concurrent registrations cannot both win).
pub async fn register(
    db: &DatabaseConnection,
    hashing: &Hashing,
    email: String,
    password: &SecretString,
    display_name: Option<String>,
) -> Result<user::Model, AuthError> {
    let password_hash = hashing.hash_password(password).await?;
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
    hashing: &Hashing,
    email: &str,
    password: &SecretString,
) -> Result<user::Model, AuthError> {
    let email = normalize_login_name(email);
    let found = user::Entity::find().filter(user::Column::Email.eq(email)).one(db).await?;
    match found {
        Some(user) if hashing.verify_password(password, user.password_hash.clone()).await? => Ok(user),
        Some(_) => Err(AuthError::InvalidCredentials),
        None => {
            hashing.verify_password(password, hashing.dummy_hash().await?).await?;
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

/// Exchanges a refresh token for a new pair. The old token is marked rotated in the same
/// transaction by a conditional update, so of two concurrent uses only one succeeds.
///
/// Expiry is checked first: an expired token is merely refused. A token that was rotated
/// already and is still within its lifetime has been used twice, so someone else has it:
/// every refresh token of its user is deleted (all sessions end; the user logs in again). The
/// loser of two concurrent uses of one token does the same. Logging out and that revocation
/// delete rows rather than mark them, so replaying such a token later finds nothing and
/// revokes nothing; rotated rows stay until they expire, then maintenance deletes them.
///
/// # Errors
///
/// [`AuthError::InvalidRefreshToken`] for an unknown, expired, reused or revoked token.
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
    if row.expires_at <= now {
        return Err(AuthError::InvalidRefreshToken);
    }
    if row.revoked_at.is_some() {
        tracing::warn!(
            user_id = row.user_id,
            "a rotated refresh token was presented again; ending the user's sessions"
        );
        revoke_all(db, row.user_id).await?;
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
        tracing::warn!(user_id = row.user_id, "one refresh token was used twice at once; ending the user's sessions");
        revoke_all(db, row.user_id).await?;
        return Err(AuthError::InvalidRefreshToken);
    }
    let pair = issue_tokens(&txn, keys, row.user_id).await?;
    txn.commit().await?;
    Ok(pair)
}

/// Revokes one refresh token (logout) by deleting it. Unknown tokens are ignored: logging out
/// twice is not an error, and the answer tells nothing about which tokens exist.
///
/// # Errors
///
/// [`AuthError::Db`].
pub async fn revoke_refresh_token(db: &DatabaseConnection, token: &SecretString) -> Result<(), AuthError> {
    refresh_token::Entity::delete_many()
        .filter(refresh_token::Column::TokenHash.eq(token_hash(token.expose_secret())))
        .exec(db)
        .await?;
    Ok(())
}

/// Deletes every refresh token of a user.
async fn revoke_all(db: &DatabaseConnection, user_id: i64) -> Result<(), AuthError> {
    refresh_token::Entity::delete_many().filter(refresh_token::Column::UserId.eq(user_id)).exec(db).await?;
    Ok(())
}

/// Deletes the refresh tokens that expired by `now`; returns how many.
///
/// # Errors
///
/// [`AuthError::Db`].
pub async fn purge_expired_tokens(db: &DatabaseConnection, now: chrono::DateTime<Utc>) -> Result<u64, AuthError> {
    let deleted =
        refresh_token::Entity::delete_many().filter(refresh_token::Column::ExpiresAt.lte(now)).exec(db).await?;
    Ok(deleted.rows_affected)
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

    #[tokio::test]
    async fn hashes_are_standard_argon2id_phc_strings() {
        use argon2::password_hash::{PasswordHasher, PasswordVerifier};
        let hashing = Hashing::new(1).expect("a thread");
        let password = SecretString::from("correct horse 9");
        let ours = hashing.hash_password(&password).await.expect("hashes");
        assert!(ours.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{ours}");
        let parsed = PasswordHash::new(&ours).expect("a PHC string");
        assert!(Argon2::default().verify_password(b"correct horse 9", &parsed).is_ok());
        // A hash written the crate's own way (as earlier versions of the service stored them).
        let salt = SaltString::encode_b64(b"0123456789abcdef").expect("a salt");
        let theirs = Argon2::default().hash_password(b"correct horse 9", &salt).expect("hashes").to_string();
        assert!(hashing.verify_password(&password, theirs.clone()).await.expect("verifies"));
        assert!(!hashing.verify_password(&SecretString::from("wrong horse 9"), theirs).await.expect("verifies"));
        assert!(hashing.verify_password(&password, ours).await.expect("verifies"));
        // A stored hash that asks for more memory than allowed is refused, not computed.
        let greedy =
            "$argon2id$v=19$m=4194304,t=1,p=1$MDEyMzQ1Njc4OWFiY2RlZg$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
        assert!(matches!(hashing.verify_password(&password, greedy.to_owned()).await, Err(AuthError::Hash(_))));
    }

    #[test]
    fn refresh_tokens_are_stored_as_sha256() {
        assert_eq!(token_hash("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    }
}
