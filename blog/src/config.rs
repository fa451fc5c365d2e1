//! Global settings: one typed [`Settings`], read once at start from the environment (and a
//! `.env` file in the working directory) and validated, with one section per domain
//! ([`AuthConfig`], [`StorageConfig`]).
//!
//! Nothing else in the service reads the environment. Defaults make `cargo run -p blog` work
//! with no set-up: SQLite in the working directory, local files for uploads, and (in
//! development only) a signing secret made up at start.

use std::net::IpAddr;
use std::time::Duration;

use aludel::url::DatabaseUrl;

use crate::auth::config::AuthConfig;
use crate::storage::config::StorageConfig;
use crate::vars::invalid;
pub use crate::vars::{ConfigError, Environment, Vars};

/// The database used when `DATABASE_URL` is not set: a SQLite file in the working directory,
/// created on first use.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://blog.db?mode=rwc";

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    /// One readable line per event, for a terminal.
    Human,
    /// One JSON object per line, for a log collector.
    Json,
}

/// Which origins may call the API from a browser.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cors {
    /// No CORS headers at all (same-origin only): the default.
    Off,
    /// Any origin (`*`), without credentials.
    Any,
    /// These origins exactly.
    Origins(Vec<String>),
}

/// Every setting of the service.
#[derive(Debug, Clone)]
pub struct Settings {
    /// `ENVIRONMENT`: development (default), test or production.
    pub environment: Environment,
    /// `HOST` (default 127.0.0.1).
    pub host: IpAddr,
    /// `PORT` (default 8000).
    pub port: u16,
    /// `DATABASE_URL` (default [`DEFAULT_DATABASE_URL`]); shown with the password redacted.
    pub database_url: DatabaseUrl,
    /// `DATABASE_POOL_SIZE`: connections in the pool (default 10).
    pub database_pool_size: u32,
    /// `MIGRATE_ON_START`: upgrade the schema to head at start, under the migration lock
    /// (default true; turn it off when a deploy step runs `blog db upgrade head`).
    pub migrate_on_start: bool,
    /// `LOG_FORMAT`: human (default) or json.
    pub log_format: LogFormat,
    /// `LOG_LEVEL`: a tracing filter such as `info` or `blog=debug,tower_http=info`; `RUST_LOG`
    /// is read when it is unset (default `info`).
    pub log_level: String,
    /// `REQUEST_TIMEOUT_SECS`: a request that takes longer is answered 504 (default 30).
    pub request_timeout: Duration,
    /// `MAX_BODY_BYTES`: the largest request body outside uploads (default 1 MiB).
    pub max_body_bytes: usize,
    /// `CORS_ORIGINS`: empty (default, no CORS), `*`, or a comma-separated list of origins.
    pub cors: Cors,
    /// Tokens, passwords and login rate limiting.
    pub auth: AuthConfig,
    /// Where attachments are stored and what is accepted.
    pub storage: StorageConfig,
}

impl Settings {
    /// Reads and validates every setting from `vars`.
    ///
    /// # Errors
    ///
    /// [`ConfigError`] naming the first variable that is invalid, missing or too weak.
    pub fn from_vars(vars: &Vars) -> Result<Settings, ConfigError> {
        let environment = match vars.get("ENVIRONMENT") {
            None => Environment::Development,
            Some(value) => {
                value.parse().map_err(|()| invalid("ENVIRONMENT", value, "development, test or production"))?
            }
        };
        let log_format = match vars.get("LOG_FORMAT").map(str::to_ascii_lowercase).as_deref() {
            None | Some("human" | "text" | "pretty") => LogFormat::Human,
            Some("json") => LogFormat::Json,
            Some(other) => return Err(invalid("LOG_FORMAT", other, "human or json")),
        };
        let cors = match vars.get("CORS_ORIGINS") {
            None => Cors::Off,
            Some("*") => Cors::Any,
            Some(list) => {
                let origins: Vec<String> =
                    list.split(',').map(str::trim).filter(|o| !o.is_empty()).map(str::to_owned).collect();
                for origin in &origins {
                    let valid = (origin.starts_with("http://") || origin.starts_with("https://"))
                        && !origin.ends_with('/')
                        && axum::http::HeaderValue::from_str(origin).is_ok();
                    if !valid {
                        return Err(invalid("CORS_ORIGINS", origin, "origins such as https://app.example.com, or *"));
                    }
                }
                Cors::Origins(origins)
            }
        };
        let timeout_secs: u64 = vars.parse("REQUEST_TIMEOUT_SECS", 30, "a whole number of seconds")?;
        if timeout_secs == 0 {
            return Err(invalid("REQUEST_TIMEOUT_SECS", "0", "at least 1 second"));
        }
        let pool_size: u32 = vars.parse("DATABASE_POOL_SIZE", 10, "a number of connections")?;
        if pool_size == 0 {
            return Err(invalid("DATABASE_POOL_SIZE", "0", "at least 1 connection"));
        }
        let raw_url = vars.get("DATABASE_URL").unwrap_or(DEFAULT_DATABASE_URL);
        let database_url = DatabaseUrl::parse(raw_url).map_err(|e| ConfigError::Invalid {
            name: "DATABASE_URL",
            value: aludel::url::redact(raw_url),
            reason: e.to_string(),
        })?;
        Ok(Settings {
            environment,
            host: vars.parse("HOST", IpAddr::from([127, 0, 0, 1]), "an IP address such as 127.0.0.1 or 0.0.0.0")?,
            port: vars.parse("PORT", 8000, "a port number")?,
            database_url,
            database_pool_size: pool_size,
            migrate_on_start: vars.flag("MIGRATE_ON_START", true)?,
            log_format,
            log_level: vars.get("LOG_LEVEL").or_else(|| vars.get("RUST_LOG")).unwrap_or("info").to_owned(),
            request_timeout: Duration::from_secs(timeout_secs),
            max_body_bytes: vars.parse("MAX_BODY_BYTES", 1024 * 1024, "a number of bytes")?,
            cors,
            auth: AuthConfig::from_vars(vars, environment)?,
            storage: StorageConfig::from_vars(vars)?,
        })
    }

    /// The address to listen on.
    pub fn bind_address(&self) -> std::net::SocketAddr {
        std::net::SocketAddr::new(self.host, self.port)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(pairs: &[(&str, &str)], expected: Result<(), &str>) {
        let result = Settings::from_vars(&Vars::from_pairs(pairs.iter().copied()));
        match (result, expected) {
            (Ok(_), Ok(())) => {}
            (Err(err), Err(message)) => assert_eq!(err.to_string(), message, "{pairs:?}"),
            (Ok(_), Err(message)) => panic!("{pairs:?} was accepted, expected: {message}"),
            (Err(err), Ok(())) => panic!("{pairs:?} was refused: {err}"),
        }
    }

    #[test]
    fn defaults_work_in_development() {
        let settings = Settings::from_vars(&Vars::default()).expect("defaults are valid");
        assert_eq!(settings.environment, Environment::Development);
        assert_eq!(settings.bind_address().to_string(), "127.0.0.1:8000");
        assert_eq!(settings.database_url.expose(), DEFAULT_DATABASE_URL);
        assert!(settings.auth.secret_was_generated);
        assert!(settings.migrate_on_start);
    }

    #[test]
    fn bad_values_name_the_variable() {
        check(&[("PORT", "eighty")], Err("invalid PORT=`eighty`: a port number"));
        check(&[("LOG_FORMAT", "xml")], Err("invalid LOG_FORMAT=`xml`: human or json"));
        check(&[("ENVIRONMENT", "moon")], Err("invalid ENVIRONMENT=`moon`: development, test or production"));
        check(&[("MIGRATE_ON_START", "maybe")], Err("invalid MIGRATE_ON_START=`maybe`: true or false"));
        check(
            &[("CORS_ORIGINS", "app.example.com")],
            Err("invalid CORS_ORIGINS=`app.example.com`: origins such as https://app.example.com, or *"),
        );
        // aludel's message lists the backends compiled in, which depends on the build's features.
        let err = Settings::from_vars(&Vars::from_pairs([("DATABASE_URL", "mongodb://u:hunter2@db/x")]))
            .expect_err("mongodb is not a backend");
        let message = err.to_string();
        assert!(
            message.starts_with(
                "invalid DATABASE_URL=`mongodb://u:***@db/x`: unsupported database URL scheme `mongodb`; use "
            ),
            "{message}"
        );
        assert!(!message.contains("hunter2"), "{message}");
        check(&[("CORS_ORIGINS", "https://a.example, http://localhost:3000")], Ok(()));
    }

    #[test]
    fn production_refuses_a_missing_or_weak_secret() {
        check(
            &[("ENVIRONMENT", "production")],
            Err(
                "JWT_SECRET is not set: production needs a signing secret of at least 32 bytes; generate one with `openssl rand -base64 48`",
            ),
        );
        check(
            &[("ENVIRONMENT", "production"), ("JWT_SECRET", "changeme")],
            Err(
                "JWT_SECRET is too weak: use at least 32 bytes with at least 10 distinct characters, e.g. `openssl rand -base64 48`",
            ),
        );
        check(&[("ENVIRONMENT", "production"), ("JWT_SECRET", "Zr8u2Vx0pQ4mLk9sT1yW6bN3cH7gJ5dF0aE")], Ok(()));
    }
}
