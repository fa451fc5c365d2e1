//! Where settings come from: [`Vars`] (the process environment over a `.env` file, the only
//! reader of either), the [`ConfigError`] a bad value stops startup with, and the
//! [`Environment`] the service runs in, which decides how strict the checks are.
//!
//! The global [`crate::config::Settings`] and each domain's section
//! ([`crate::auth::config::AuthConfig`], [`crate::storage::config::StorageConfig`]) read their
//! variables through this module; it knows none of them, so the dependency runs one way.

use std::collections::BTreeMap;
use std::path::Path;
use std::str::FromStr;

/// A setting with a value the service cannot use; startup stops with it.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// A variable holds something that does not parse.
    #[error("invalid {name}=`{value}`: {reason}")]
    Invalid {
        /// The environment variable.
        name: &'static str,
        /// Its value (never a secret's).
        value: String,
        /// What is expected.
        reason: String,
    },
    /// A variable the configuration needs is not set.
    #[error("{name} is not set: {reason}")]
    Missing {
        /// The environment variable.
        name: &'static str,
        /// Why it is needed and how to set it.
        reason: String,
    },
    /// A secret is set but too weak for this environment.
    #[error("{name} is too weak: {reason}")]
    Weak {
        /// The environment variable.
        name: &'static str,
        /// What a strong value looks like.
        reason: String,
    },
    /// The `.env` file exists but cannot be read.
    #[error("could not read .env: {0}")]
    DotEnv(String),
}

/// Where the service runs; decides how strict the configuration is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Environment {
    /// A developer's machine: missing secrets are made up (and said so).
    Development,
    /// The test suite: like production, but secrets may be short.
    Test,
    /// Anything deployed: every secret must be set and strong.
    Production,
}

impl FromStr for Environment {
    type Err = ();

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text.to_ascii_lowercase().as_str() {
            "development" | "dev" | "local" => Ok(Environment::Development),
            "test" | "testing" => Ok(Environment::Test),
            "production" | "prod" | "staging" => Ok(Environment::Production),
            _ => Err(()),
        }
    }
}

/// The variables the settings come from: the process environment over a `.env` file.
#[derive(Clone, Default)]
pub struct Vars(BTreeMap<String, String>);

impl std::fmt::Debug for Vars {
    // Names only: values include secrets.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_set().entries(self.0.keys()).finish()
    }
}

impl Vars {
    /// The process environment, over the `.env` file of the working directory when there is
    /// one (variables already set win, as with dotenv everywhere).
    ///
    /// # Errors
    ///
    /// [`ConfigError::DotEnv`] when `.env` exists but cannot be parsed.
    pub fn from_env() -> Result<Vars, ConfigError> {
        let mut vars = BTreeMap::new();
        if Path::new(".env").is_file() {
            for item in dotenvy::from_path_iter(".env").map_err(|e| ConfigError::DotEnv(e.to_string()))? {
                let (key, value) = item.map_err(|e| ConfigError::DotEnv(e.to_string()))?;
                vars.insert(key, value);
            }
        }
        vars.extend(std::env::vars());
        Ok(Vars(vars))
    }

    /// Exactly these variables (for tests and embedding).
    pub fn from_pairs<I, K, V>(pairs: I) -> Vars
    where
        I: IntoIterator<Item = (K, V)>,
        K: Into<String>,
        V: Into<String>,
    {
        Vars(pairs.into_iter().map(|(k, v)| (k.into(), v.into())).collect())
    }

    /// The value of `name`, `None` when unset or blank.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(|v| v.trim()).filter(|v| !v.is_empty())
    }

    /// Parses `name` with `FromStr`, or returns `default` when unset.
    pub(crate) fn parse<T: FromStr>(&self, name: &'static str, default: T, expected: &str) -> Result<T, ConfigError> {
        match self.get(name) {
            None => Ok(default),
            Some(value) => value.parse().map_err(|_| invalid(name, value, expected)),
        }
    }

    /// A count from 1 to `max` (`unit` names what is counted in the error), or `default` when
    /// unset.
    pub(crate) fn count(
        &self,
        name: &'static str,
        default: usize,
        max: usize,
        unit: &str,
    ) -> Result<usize, ConfigError> {
        let count: usize = self.parse(name, default, &format!("a number of {unit}"))?;
        if (1..=max).contains(&count) {
            Ok(count)
        } else {
            Err(invalid(name, &count.to_string(), &format!("1 to {max} {unit}")))
        }
    }

    /// A boolean: true/false, 1/0, yes/no, on/off.
    pub(crate) fn flag(&self, name: &'static str, default: bool) -> Result<bool, ConfigError> {
        match self.get(name).map(str::to_ascii_lowercase).as_deref() {
            None => Ok(default),
            Some("true" | "1" | "yes" | "on") => Ok(true),
            Some("false" | "0" | "no" | "off") => Ok(false),
            Some(other) => Err(invalid(name, other, "true or false")),
        }
    }
}

/// A [`ConfigError::Invalid`] for a value that is not secret.
pub(crate) fn invalid(name: &'static str, value: &str, reason: &str) -> ConfigError {
    ConfigError::Invalid { name, value: value.to_owned(), reason: reason.to_owned() }
}
