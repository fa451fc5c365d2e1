//! Settings of the auth domain: the token signing secret, token lifetimes and login rate
//! limiting. Read through [`crate::vars`], never from the environment directly; the global
//! settings nest this section, and this module knows nothing of them.

use std::time::Duration;

use rand::RngCore;
use secrecy::{ExposeSecret, SecretString};

use crate::vars::{ConfigError, Environment, Vars, invalid};

/// The shortest signing secret accepted, in bytes (HS256 wants 256 bits).
const MIN_SECRET_BYTES: usize = 32;

/// Token and login settings.
#[derive(Debug, Clone)]
pub struct AuthConfig {
    /// `JWT_SECRET`: signs access tokens (HS256). Required outside development; checked for
    /// strength whenever it is set.
    pub jwt_secret: SecretString,
    /// True when no `JWT_SECRET` was set and one was made up (development only): tokens stop
    /// working at each restart.
    pub secret_was_generated: bool,
    /// `ACCESS_TOKEN_TTL_SECS` (default 900, 15 minutes).
    pub access_token_ttl: Duration,
    /// `REFRESH_TOKEN_TTL_SECS` (default 1,209,600, 14 days).
    pub refresh_token_ttl: Duration,
    /// `LOGIN_RATE_LIMIT`: token requests allowed per account (user name) in one window, from
    /// any client (default 10).
    pub login_attempts: u32,
    /// `CLIENT_RATE_LIMIT`: requests to `/auth/token` and `/auth/register` allowed per client
    /// (an IPv4 address or an IPv6 /64) in one window, whatever the user name (default 30).
    pub client_attempts: u32,
    /// `LOGIN_RATE_WINDOW_SECS`: the window of both limits (default 60).
    pub login_window: Duration,
    /// `PASSWORD_HASH_CONCURRENCY`: password hashes computed at once, 19 MiB each (default:
    /// the number of CPU cores).
    pub hash_concurrency: usize,
}

impl AuthConfig {
    /// Reads the auth settings.
    ///
    /// # Errors
    ///
    /// [`ConfigError`] for a weak secret (in any environment), a missing one outside
    /// development, or a bad number.
    pub fn from_vars(vars: &Vars, environment: Environment) -> Result<AuthConfig, ConfigError> {
        let (jwt_secret, secret_was_generated) = match vars.get("JWT_SECRET") {
            Some(secret) => {
                // A secret that is supplied is checked everywhere: a weak one set "just for
                // development" has a way of reaching a deployment.
                if !is_strong(secret) {
                    return Err(ConfigError::Weak {
                        name: "JWT_SECRET",
                        reason: format!(
                            "use at least {MIN_SECRET_BYTES} bytes with at least 10 distinct characters, e.g. \
                             `openssl rand -base64 48`"
                        ),
                    });
                }
                (SecretString::from(secret.to_owned()), false)
            }
            None if environment == Environment::Development => (generate_secret(), true),
            None => {
                return Err(ConfigError::Missing {
                    name: "JWT_SECRET",
                    reason: format!(
                        "{} needs a signing secret of at least {MIN_SECRET_BYTES} bytes; generate one with \
                         `openssl rand -base64 48`",
                        match environment {
                            Environment::Test => "test",
                            _ => "production",
                        }
                    ),
                });
            }
        };
        let access: u64 = vars.parse("ACCESS_TOKEN_TTL_SECS", 15 * 60, "a whole number of seconds")?;
        let refresh: u64 = vars.parse("REFRESH_TOKEN_TTL_SECS", 14 * 24 * 3600, "a whole number of seconds")?;
        let attempts = vars.parse("LOGIN_RATE_LIMIT", 10, "a number of attempts")?;
        let client_attempts = vars.parse("CLIENT_RATE_LIMIT", 30, "a number of requests")?;
        let window: u64 = vars.parse("LOGIN_RATE_WINDOW_SECS", 60, "a whole number of seconds")?;
        let cores = std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get);
        // Each hash holds 19 MiB on a thread of its own: more than a thousand is no setting.
        let hash_concurrency = vars.count("PASSWORD_HASH_CONCURRENCY", cores, 1024, "hashes")?;
        for (name, value) in [
            ("ACCESS_TOKEN_TTL_SECS", access),
            ("REFRESH_TOKEN_TTL_SECS", refresh),
            ("LOGIN_RATE_LIMIT", u64::from(attempts)),
            ("CLIENT_RATE_LIMIT", u64::from(client_attempts)),
            ("LOGIN_RATE_WINDOW_SECS", window),
        ] {
            if value == 0 {
                return Err(invalid(name, "0", "a value above 0"));
            }
        }
        Ok(AuthConfig {
            jwt_secret,
            secret_was_generated,
            access_token_ttl: Duration::from_secs(access),
            refresh_token_ttl: Duration::from_secs(refresh),
            login_attempts: attempts,
            client_attempts,
            login_window: Duration::from_secs(window),
            hash_concurrency,
        })
    }

    /// The secret's bytes, for the signing keys only.
    pub(crate) fn secret_bytes(&self) -> &[u8] {
        self.jwt_secret.expose_secret().as_bytes()
    }
}

/// Long enough, and not a repeated character or a word.
fn is_strong(secret: &str) -> bool {
    let mut distinct: Vec<char> = secret.chars().collect();
    distinct.sort_unstable();
    distinct.dedup();
    secret.len() >= MIN_SECRET_BYTES && distinct.len() >= 10
}

/// 48 random bytes, base64: a development secret that lives as long as the process.
fn generate_secret() -> SecretString {
    use base64::Engine;
    let mut bytes = [0u8; 48];
    rand::rng().fill_bytes(&mut bytes);
    SecretString::from(base64::engine::general_purpose::STANDARD_NO_PAD.encode(bytes))
}
