//! Configuration, loaded once in layers: defaults < `aludel.toml` < environment (`DATABASE_URL`,
//! also from `.env`) < `-x key=value` flags. A database URL written in the file wins over the
//! environment's, as in Alembic's `sqlalchemy.url`.
//!
//! [`Config::load`] is the only place that reads the environment; everything downstream gets
//! a resolved [`Config`].

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::dialect::{DialectOptions, SessionOptions, StateTables, UuidStorage};
use crate::url::{DatabaseUrl, UrlError};

/// The file name searched for in the working directory.
pub const CONFIG_FILE: &str = "aludel.toml";

/// The commented reference configuration that `aludel init` writes.
pub const REFERENCE_CONFIG: &str = include_str!("../aludel.reference.toml");

/// The settings `-x KEY=VALUE` overrides (`db_url` also as `database_url` and Alembic's
/// `sqlalchemy.url`); a program that loads its own [`Config`] receives any other key in
/// [`Config::extra`].
pub const OVERRIDE_KEYS: &[&str] = &[
    "db_url",
    "database_url",
    "sqlalchemy.url",
    "script_location",
    "version_table",
    "history_table",
    "mysql_uuid",
    "postgres_online",
    "lock_timeout",
];

/// A `-x KEY=VALUE` argument's key, when it names no setting.
pub fn unknown_override(arg: &str) -> Option<&str> {
    let key = arg.split_once('=')?.0.trim();
    (!OVERRIDE_KEYS.contains(&key)).then_some(key)
}

/// Errors in configuration.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The configuration file could not be read.
    #[error("could not read config file `{path}`")]
    Read {
        /// The file.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// The configuration file is not valid.
    #[error("invalid config file `{path}` line {line}: {message}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// 1-based line of the error.
        line: usize,
        /// What is wrong.
        message: String,
    },
    /// A config file was named (by `-c` or `ALUDEL_CONFIG`) but does not exist.
    #[error("config file `{path}` does not exist; run `aludel init` to create one, or fix the path")]
    Missing {
        /// The named file.
        path: PathBuf,
    },
    /// A `-x` flag is not `key=value`.
    #[error("invalid -x argument `{arg}`: expected key=value, e.g. -x db_url=postgresql://localhost/app")]
    BadOverride {
        /// The argument as given.
        arg: String,
    },
    /// A `-x` key that names no setting, given to the command line (which has no use for
    /// other values: a misspelt `db_url` would otherwise act on another database).
    #[error("`-x {key}=...` names no setting; the keys are {}", OVERRIDE_KEYS.join(", "))]
    UnknownOverride {
        /// The key as given.
        key: String,
    },
    /// A value has the wrong form.
    #[error("invalid value for `{key}`: {reason}")]
    BadValue {
        /// The setting.
        key: String,
        /// What is wrong and what is expected.
        reason: String,
    },
    /// The database URL names no supported backend.
    #[error("invalid database URL from {source_name}: {error}")]
    BadUrl {
        /// Where the URL came from (`DATABASE_URL`, `aludel.toml`, `-x db_url`).
        source_name: String,
        /// Why it was refused.
        #[source]
        error: UrlError,
    },
    /// No database URL anywhere.
    #[error(
        "no database URL: set DATABASE_URL (or put it in .env), set `database_url` in aludel.toml, or pass -x db_url=..."
    )]
    NoDatabaseUrl,
    /// The `.env` file could not be read.
    #[error("could not read `{path}`: {message}")]
    DotEnv {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        message: String,
    },
}

/// `aludel.toml` as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    script_location: Option<String>,
    database_url: Option<String>,
    version_table: Option<String>,
    history_table: Option<String>,
    lock_timeout: Option<u64>,
    #[serde(default)]
    models: ModelsConfig,
    #[serde(default)]
    autogenerate: AutogenerateConfig,
    #[serde(default)]
    mysql: MySqlConfig,
    #[serde(default)]
    postgres: PostgresConfig,
    #[serde(default)]
    timeouts: RawTimeouts,
}

/// `[timeouts]` as written: durations such as `"2s"` or `"750ms"`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTimeouts {
    lock_timeout: Option<String>,
    statement_timeout: Option<String>,
    lock_retries: Option<u32>,
}

/// How long each revision's statements may wait for a lock and run (`[timeouts]`), and how
/// often a revision that gave up waiting is tried again. A revision file's own
/// `lock_timeout`, `statement_timeout` and `lock_retries` override these.
///
/// The defaults follow the tools that run migrations on busy PostgreSQL databases: a 2 s
/// lock timeout (Django's zero-downtime backend; pg-schema-diff waits 3 s,
/// activerecord-safer_migrations 750 ms), so an `ALTER` queued behind a long query stalls
/// the queries behind it for 2 s at most, and a 3 s statement timeout (pg-schema-diff's),
/// longer than the lock timeout so that a wait ends as a lock timeout, which is retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    /// How long a statement waits for a lock; zero waits forever.
    pub lock_timeout: std::time::Duration,
    /// How long a statement may run; zero means no limit.
    pub statement_timeout: std::time::Duration,
    /// How many times a revision is tried again after a lock timeout.
    pub lock_retries: u32,
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts {
            lock_timeout: std::time::Duration::from_secs(2),
            statement_timeout: std::time::Duration::from_secs(3),
            lock_retries: 3,
        }
    }
}

impl Timeouts {
    /// These limits with `revision`'s own over them.
    pub fn for_revision(&self, limits: &crate::script::RunLimits) -> Timeouts {
        Timeouts {
            lock_timeout: limits.lock_timeout.unwrap_or(self.lock_timeout),
            statement_timeout: limits.statement_timeout.unwrap_or(self.statement_timeout),
            lock_retries: limits.lock_retries.unwrap_or(self.lock_retries),
        }
    }

    fn from_raw(raw: RawTimeouts) -> Result<Timeouts, ConfigError> {
        let defaults = Timeouts::default();
        let duration = |key: &str, text: Option<String>, default| match text {
            None => Ok(default),
            Some(text) => crate::script::parse_duration(&text)
                .map_err(|reason| ConfigError::BadValue { key: format!("timeouts.{key}"), reason }),
        };
        Ok(Timeouts {
            lock_timeout: duration("lock_timeout", raw.lock_timeout, defaults.lock_timeout)?,
            statement_timeout: duration("statement_timeout", raw.statement_timeout, defaults.statement_timeout)?,
            lock_retries: raw.lock_retries.unwrap_or(defaults.lock_retries),
        })
    }
}

/// PostgreSQL settings (`[postgres]`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PostgresConfig {
    /// Whether autogenerate writes the lock-avoiding forms (`CONCURRENTLY`, `NOT VALID` then
    /// `VALIDATE`) for tables that exist already; `true` by default.
    pub online: bool,
}

impl Default for PostgresConfig {
    fn default() -> Self {
        PostgresConfig { online: true }
    }
}

/// MySQL settings (`[mysql]`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MySqlConfig {
    /// How `uuid` columns are stored: `char36` (default) or `binary16`.
    #[serde(default)]
    pub uuid: UuidStorage,
}

/// Where the standalone binary finds the models (`[models]`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelsConfig {
    /// A desired-state `schema.sql`, relative to the config file.
    pub schema_sql: Option<PathBuf>,
    /// A command that prints the schema as JSON.
    pub command: Option<String>,
}

/// Autogenerate options (`[autogenerate]`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AutogenerateConfig {
    /// Compare column types.
    pub compare_type: bool,
    /// Compare server defaults.
    pub compare_server_default: bool,
    /// Tables to include (globs).
    pub include_tables: Vec<String>,
    /// Tables to exclude (globs).
    pub exclude_tables: Vec<String>,
    /// Table renames autogenerate should make: new name = old name.
    pub rename_tables: BTreeMap<String, String>,
    /// Column renames: `"table.new_column"` = old column name.
    pub rename_columns: BTreeMap<String, String>,
    /// What to do about objects the models carry as written and cannot compare.
    pub not_compared: NotCompared,
}

/// What autogenerate, `check` and `diff` do about objects the models carry as written (a
/// dump's views, functions, triggers, ...), which they cannot compare (`not_compared`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum NotCompared {
    /// List them in a warning.
    #[default]
    Warn,
    /// Refuse to compare.
    Error,
}

/// The version tables of other migration tools (Alembic, sqlx, diesel, refinery, Flyway,
/// Prisma), which a database adopted from them keeps: left out of the comparison unless
/// `exclude_tables` says otherwise, so autogenerate never proposes to drop them.
pub const OTHER_TOOLS_TABLES: [&str; 6] = [
    "alembic_version",
    "_sqlx_migrations",
    "__diesel_schema_migrations",
    "refinery_schema_history",
    "flyway_schema_history",
    "_prisma_migrations",
];

impl Default for AutogenerateConfig {
    fn default() -> Self {
        AutogenerateConfig {
            compare_type: true,
            compare_server_default: true,
            include_tables: vec!["*".into()],
            exclude_tables: OTHER_TOOLS_TABLES.iter().map(|t| (*t).to_owned()).collect(),
            rename_tables: BTreeMap::new(),
            rename_columns: BTreeMap::new(),
            not_compared: NotCompared::Warn,
        }
    }
}

/// Where to look for configuration; what the command line says.
#[derive(Debug, Clone, Default)]
pub struct LoadOptions {
    /// `-c/--config`; falls back to `ALUDEL_CONFIG`, then `default_config_file`, then
    /// `./aludel.toml`.
    pub config_file: Option<PathBuf>,
    /// The file an embedding program names; read when it exists and neither `-c` nor
    /// `ALUDEL_CONFIG` names another.
    pub default_config_file: Option<PathBuf>,
    /// `-x key=value` flags, in order.
    pub overrides: Vec<String>,
    /// The working directory; the process's when `None`.
    pub cwd: Option<PathBuf>,
    /// The environment; the process's when `None`.
    pub env: Option<BTreeMap<String, String>>,
}

impl LoadOptions {
    /// The config file `-c` or `ALUDEL_CONFIG` names, if either does (relative to the working
    /// directory).
    pub fn named_config_file(&self, env: &BTreeMap<String, String>) -> Option<PathBuf> {
        self.config_file.clone().or_else(|| env.get("ALUDEL_CONFIG").map(PathBuf::from))
    }

    /// The file `aludel init` writes: the one named, else the embedding program's, else
    /// `./aludel.toml`; absolute.
    ///
    /// # Errors
    ///
    /// [`ConfigError::Read`] when the working directory cannot be read.
    pub fn config_file_to_write(&self) -> Result<PathBuf, ConfigError> {
        let (cwd, env) = self.cwd_and_env()?;
        let chosen = self.named_config_file(&env).or_else(|| self.default_config_file.clone());
        Ok(cwd.join(chosen.unwrap_or_else(|| PathBuf::from(CONFIG_FILE))))
    }

    /// The working directory and the environment: the ones given, else the process's.
    fn cwd_and_env(&self) -> Result<(PathBuf, BTreeMap<String, String>), ConfigError> {
        let cwd = match &self.cwd {
            Some(cwd) => cwd.clone(),
            None => std::env::current_dir().map_err(|source| ConfigError::Read { path: ".".into(), source })?,
        };
        let env = match &self.env {
            Some(env) => env.clone(),
            None => std::env::vars().collect(),
        };
        Ok((cwd, env))
    }
}

/// The resolved configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// The config file that was read, if any.
    pub config_file: Option<PathBuf>,
    /// Absolute path of the folder holding `versions/`.
    pub script_location: PathBuf,
    /// The database, when one is configured.
    pub database_url: Option<DatabaseUrl>,
    /// Version and history table names.
    pub tables: StateTables,
    /// Seconds to wait for another process's migration lock.
    pub lock_timeout_secs: u64,
    /// Model sources for autogenerate.
    pub models: ModelsConfig,
    /// Autogenerate options.
    pub autogenerate: AutogenerateConfig,
    /// `-x` values that are not settings, for the embedding program.
    pub extra: BTreeMap<String, String>,
    /// What the dialect renders with (`[mysql] uuid`).
    pub dialect: DialectOptions,
    /// PostgreSQL settings (`[postgres] online`).
    pub postgres: PostgresConfig,
    /// Each revision's lock and statement timeouts and lock retries (`[timeouts]`).
    pub timeouts: Timeouts,
}

impl Config {
    /// Loads and resolves the configuration.
    ///
    /// # Errors
    ///
    /// [`ConfigError`] for an unreadable or invalid file, a bad `-x` flag or an unsupported URL.
    pub fn load(options: &LoadOptions) -> Result<Config, ConfigError> {
        let (cwd, env) = options.cwd_and_env()?;

        let named = options.named_config_file(&env);
        let config_file = match named {
            Some(path) => {
                let path = cwd.join(path);
                if !path.is_file() {
                    return Err(ConfigError::Missing { path });
                }
                Some(path)
            }
            None => options
                .default_config_file
                .as_ref()
                .map(|path| cwd.join(path))
                .filter(|p| p.is_file())
                .or_else(|| Some(cwd.join(CONFIG_FILE)).filter(|p| p.is_file())),
        };
        let raw = match &config_file {
            Some(path) => parse_file(path)?,
            None => RawConfig::default(),
        };
        let base_dir = config_file.as_deref().and_then(Path::parent).map_or_else(|| cwd.clone(), Path::to_path_buf);

        let mut config = Config {
            script_location: tidy(&base_dir.join(raw.script_location.as_deref().unwrap_or("migrations"))),
            database_url: None,
            tables: StateTables {
                version_table: raw.version_table.unwrap_or_else(|| StateTables::default().version_table),
                history_table: raw.history_table.unwrap_or_else(|| StateTables::default().history_table),
            },
            lock_timeout_secs: raw.lock_timeout.unwrap_or(SessionOptions::default().lock_timeout_secs),
            models: ModelsConfig {
                schema_sql: raw.models.schema_sql.map(|p| base_dir.join(p)),
                command: raw.models.command,
            },
            autogenerate: raw.autogenerate,
            extra: BTreeMap::new(),
            dialect: DialectOptions { mysql_uuid: raw.mysql.uuid },
            postgres: raw.postgres,
            timeouts: Timeouts::from_raw(raw.timeouts)?,
            config_file,
        };

        // The environment wins over the file, as Alembic's env.py, sqlx, diesel and
        // twelve-factor apps read it: a user who exports DATABASE_URL for one database never
        // migrates the one a committed aludel.toml names. `-x db_url` (below) wins over both.
        let mut url = env.get("DATABASE_URL").map(|u| (u.clone(), "DATABASE_URL".to_owned()));
        if url.is_none() {
            // The working directory's .env first, as dotenv tools read it; then the one beside
            // the config file.
            url = dotenv_database_url(&cwd)?.map(|u| (u, ".env DATABASE_URL".to_owned()));
            if url.is_none() && base_dir != cwd {
                url = dotenv_database_url(&base_dir)?
                    .map(|u| (sqlite_path_from(&u, &cwd.join(&base_dir)), ".env DATABASE_URL".to_owned()));
            }
        }
        if url.is_none() {
            // Paths in the file are relative to it, a SQLite database's too (written out only
            // when the file is not in the working directory, where both read alike).
            let file_dir = tidy(&cwd.join(&base_dir));
            let anchored = |u: String| if file_dir == tidy(&cwd) { u } else { sqlite_path_from(&u, &file_dir) };
            url = raw.database_url.map(|u| (anchored(u), "aludel.toml".to_owned()));
        }

        // Keys here are `OVERRIDE_KEYS`.
        for arg in &options.overrides {
            let (key, value) = arg.split_once('=').ok_or_else(|| ConfigError::BadOverride { arg: arg.clone() })?;
            let (key, value) = (key.trim(), value.trim());
            match key {
                "db_url" | "database_url" | "sqlalchemy.url" => url = Some((value.to_owned(), "-x db_url".to_owned())),
                "script_location" => config.script_location = tidy(&cwd.join(value)),
                "version_table" => config.tables.version_table = checked_name(key, value)?,
                "history_table" => config.tables.history_table = checked_name(key, value)?,
                "mysql_uuid" => {
                    // The names `[mysql] uuid` takes in the file.
                    let parsed: Result<UuidStorage, serde::de::value::Error> =
                        UuidStorage::deserialize(serde::de::IntoDeserializer::into_deserializer(value));
                    config.dialect.mysql_uuid = parsed.map_err(|_| ConfigError::BadValue {
                        key: key.to_owned(),
                        reason: format!("`{value}` is neither `char36` nor `binary16`"),
                    })?;
                }
                "postgres_online" => {
                    config.postgres.online = value.parse().map_err(|_| ConfigError::BadValue {
                        key: key.to_owned(),
                        reason: format!("`{value}` is neither `true` nor `false`"),
                    })?;
                }
                "lock_timeout" => {
                    config.lock_timeout_secs = value.parse().map_err(|_| ConfigError::BadValue {
                        key: key.to_owned(),
                        reason: format!("`{value}` is not a number of seconds"),
                    })?;
                }
                _ => {
                    config.extra.insert(key.to_owned(), value.to_owned());
                }
            }
        }
        for key in config.autogenerate.rename_columns.keys() {
            if !key.contains('.') {
                return Err(ConfigError::BadValue {
                    key: format!("autogenerate.rename_columns.{key}"),
                    reason: "name the column as \"table.new_name\" = \"old_name\"".to_owned(),
                });
            }
        }
        config.tables.version_table = checked_name("version_table", &config.tables.version_table)?;
        config.tables.history_table = checked_name("history_table", &config.tables.history_table)?;
        if config.tables.version_table.eq_ignore_ascii_case(&config.tables.history_table) {
            return Err(ConfigError::BadValue {
                key: "history_table".to_owned(),
                reason: format!(
                    "`{}` is the version table's name too; give the two tables different names",
                    config.tables.history_table
                ),
            });
        }

        if let Some((url, source_name)) = url.filter(|(u, _)| !u.trim().is_empty()) {
            config.database_url =
                Some(DatabaseUrl::parse(&url).map_err(|error| ConfigError::BadUrl { source_name, error })?);
        }
        Ok(config)
    }

    /// The defaults (no config file, nothing read from the environment) with `url` as the
    /// database: what a program that embeds its revisions needs to migrate on start.
    ///
    /// # Errors
    ///
    /// [`ConfigError::BadUrl`] when the URL names no enabled backend.
    ///
    /// # Examples
    ///
    /// ```
    /// let config = aludel::config::Config::for_url("sqlite://app.db")?;
    /// assert_eq!(config.tables.version_table, "aludel_version");
    /// # Ok::<(), aludel::config::ConfigError>(())
    /// ```
    pub fn for_url(url: &str) -> Result<Config, ConfigError> {
        let database_url = DatabaseUrl::parse(url)
            .map_err(|error| ConfigError::BadUrl { source_name: "the program".to_owned(), error })?;
        Ok(Config {
            config_file: None,
            script_location: PathBuf::from("migrations"),
            database_url: Some(database_url),
            tables: StateTables::default(),
            lock_timeout_secs: SessionOptions::default().lock_timeout_secs,
            models: ModelsConfig::default(),
            autogenerate: AutogenerateConfig::default(),
            extra: BTreeMap::new(),
            dialect: DialectOptions::default(),
            postgres: PostgresConfig::default(),
            timeouts: Timeouts::default(),
        })
    }

    /// The database URL, or the error that says how to set one.
    ///
    /// # Errors
    ///
    /// [`ConfigError::NoDatabaseUrl`] when none is configured.
    pub fn require_database_url(&self) -> Result<&DatabaseUrl, ConfigError> {
        self.database_url.as_ref().ok_or(ConfigError::NoDatabaseUrl)
    }

    /// Options for a migration session.
    pub fn session_options(&self) -> SessionOptions {
        SessionOptions {
            tables: self.tables.clone(),
            lock_timeout_secs: self.lock_timeout_secs,
            dialect: self.dialect,
            create_if_missing: true,
        }
    }
}

fn parse_file(path: &Path) -> Result<RawConfig, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read { path: path.to_owned(), source })?;
    toml::from_str(&text).map_err(|err| ConfigError::Parse {
        path: path.to_owned(),
        line: err.span().map_or(1, |span| text[..span.start].matches('\n').count() + 1),
        message: err.message().to_owned(),
    })
}

/// `path` without `.` components and with `..` applied where it can be, for messages that
/// show it (`-c ./aludel.toml` with `script_location = "."` is `migrations`, not `./.`).
/// `url` with a relative SQLite path made relative to `dir` (the folder of the file that names
/// it) instead of the working directory; any other URL as it is.
fn sqlite_path_from(url: &str, dir: &Path) -> String {
    let Some(rest) = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:")) else {
        return url.to_owned();
    };
    let (path, query) = rest.split_once('?').map_or((rest, None), |(path, query)| (path, Some(query)));
    if path.is_empty() || path.starts_with('/') || path.starts_with(":memory:") {
        return url.to_owned();
    }
    let anchored = tidy(&dir.join(path));
    match query {
        Some(query) => format!("sqlite://{}?{query}", anchored.display()),
        None => format!("sqlite://{}", anchored.display()),
    }
}

fn tidy(path: &Path) -> PathBuf {
    use std::path::Component;
    let mut tidied = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir if matches!(tidied.components().next_back(), Some(Component::Normal(_))) => {
                tidied.pop();
            }
            other => tidied.push(other),
        }
    }
    tidied
}

fn dotenv_database_url(dir: &Path) -> Result<Option<String>, ConfigError> {
    let path = dir.join(".env");
    if !path.is_file() {
        return Ok(None);
    }
    let entries = dotenvy::from_path_iter(&path)
        .map_err(|err| ConfigError::DotEnv { path: path.clone(), message: err.to_string() })?;
    for entry in entries {
        let (key, value) = entry.map_err(|err| ConfigError::DotEnv { path: path.clone(), message: err.to_string() })?;
        if key == "DATABASE_URL" {
            return Ok(Some(value));
        }
    }
    Ok(None)
}

fn checked_name(key: &str, value: &str) -> Result<String, ConfigError> {
    let valid = !value.is_empty()
        && value.len() <= 63
        && value.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !value.starts_with(|c: char| c.is_ascii_digit());
    if valid {
        Ok(value.to_owned())
    } else {
        Err(ConfigError::BadValue {
            key: key.to_owned(),
            reason: format!("`{value}` is not a plain table name (letters, digits and _, at most 63)"),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(files: &[(&str, &str)], env: &[(&str, &str)], overrides: &[&str]) -> Result<Config, ConfigError> {
        let dir = tempfile::tempdir().unwrap();
        for (name, text) in files {
            std::fs::write(dir.path().join(name), text).unwrap();
        }
        let options = LoadOptions {
            config_file: None,
            default_config_file: None,
            overrides: overrides.iter().map(|s| s.to_string()).collect(),
            cwd: Some(dir.path().to_owned()),
            env: Some(env.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()),
        };
        let config = Config::load(&options);
        drop(dir);
        config
    }

    fn url(config: &Config) -> Option<String> {
        config.database_url.as_ref().map(|u| u.expose().to_owned())
    }

    #[test]
    fn a_relative_sqlite_path_in_the_file_is_relative_to_the_file() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("sub")).unwrap();
        let url_from = |line: &str| {
            std::fs::write(dir.path().join("aludel.toml"), format!("database_url = \"{line}\"\n")).unwrap();
            let options = LoadOptions {
                config_file: Some("../aludel.toml".into()),
                default_config_file: None,
                overrides: Vec::new(),
                cwd: Some(dir.path().join("sub")),
                env: Some(BTreeMap::new()),
            };
            url(&Config::load(&options).unwrap()).unwrap()
        };
        let root = dir.path().display();
        assert_eq!(url_from("sqlite://app.db"), format!("sqlite://{root}/app.db"));
        assert_eq!(url_from("sqlite:data/app.db?mode=rwc"), format!("sqlite://{root}/data/app.db?mode=rwc"));
        assert_eq!(url_from("sqlite:///var/app.db"), "sqlite:///var/app.db");
        assert_eq!(url_from("sqlite::memory:"), "sqlite::memory:");
        assert_eq!(url_from("postgresql://h/db"), "postgresql://h/db");
    }

    #[test]
    fn database_url_layers() {
        let file = ("aludel.toml", "database_url = \"sqlite://file.db\"\n");
        let env = ("DATABASE_URL", "postgresql://env/db");
        let dotenv = (".env", "DATABASE_URL=sqlite://dotenv.db\n");
        type Pairs<'a> = Vec<(&'a str, &'a str)>;
        let cases: Vec<(Pairs, Pairs, Vec<&str>, Option<&str>)> = vec![
            (vec![], vec![], vec![], None),
            (vec![dotenv], vec![], vec![], Some("sqlite://dotenv.db")),
            (vec![dotenv], vec![env], vec![], Some("postgresql://env/db")),
            (vec![file], vec![], vec![], Some("sqlite://file.db")),
            // The environment (and .env) over the file: exporting DATABASE_URL is never
            // overruled by a committed aludel.toml.
            (vec![file, dotenv], vec![env], vec![], Some("postgresql://env/db")),
            (vec![file, dotenv], vec![], vec![], Some("sqlite://dotenv.db")),
            (vec![file], vec![env], vec!["db_url=sqlite://x.db"], Some("sqlite://x.db")),
            (vec![file, dotenv], vec![], vec!["db_url=sqlite://x.db"], Some("sqlite://x.db")),
        ];
        for (files, env, overrides, expected) in cases {
            let config = load(&files, &env, &overrides).unwrap();
            assert_eq!(url(&config).as_deref(), expected, "files {files:?} env {env:?} -x {overrides:?}");
        }
    }

    #[test]
    fn reference_config_parses() {
        let raw: RawConfig = toml::from_str(REFERENCE_CONFIG).expect("reference config is valid");
        // The file shows the defaults: what `init` writes behaves as no file at all.
        assert_eq!(raw.autogenerate, AutogenerateConfig::default());
        assert_eq!(raw.postgres, PostgresConfig::default());
        assert_eq!(raw.script_location.as_deref(), Some("migrations"));
    }

    #[test]
    fn postgres_online_is_on_unless_the_file_or_a_flag_turns_it_off() {
        let off = ("aludel.toml", "[postgres]\nonline = false\n");
        for (files, overrides, expected) in [
            (vec![], vec![], true),
            (vec![off], vec![], false),
            (vec![off], vec!["postgres_online=true"], true),
            (vec![], vec!["postgres_online=false"], false),
        ] {
            assert_eq!(load(&files, &[], &overrides).unwrap().postgres.online, expected, "{files:?} {overrides:?}");
        }
        let err = load(&[], &[], &["postgres_online=maybe"]).unwrap_err();
        assert!(matches!(err, ConfigError::BadValue { ref key, .. } if key == "postgres_online"), "{err}");
    }

    #[test]
    fn errors_name_the_problem() {
        let err = load(&[("aludel.toml", "script_location = \"m\"\nverison_table = \"v\"\n")], &[], &[]).unwrap_err();
        assert!(matches!(err, ConfigError::Parse { line: 2, .. }), "{err}");
        let err = load(&[], &[], &["nonsense"]).unwrap_err();
        assert!(matches!(err, ConfigError::BadOverride { .. }), "{err}");
        let err = load(&[], &[("DATABASE_URL", "oracle://x")], &[]).unwrap_err();
        assert!(matches!(err, ConfigError::BadUrl { .. }), "{err}");
        let err = load(&[], &[], &["version_table=drop table;"]).unwrap_err();
        assert!(matches!(err, ConfigError::BadValue { .. }), "{err}");
        let err = load(&[], &[], &["version_table=same", "history_table=Same"]).unwrap_err();
        assert!(err.to_string().contains("give the two tables different names"), "{err}");
        let err = load(&[], &[("ALUDEL_CONFIG", "elsewhere.toml")], &[]).unwrap_err();
        assert!(matches!(err, ConfigError::Missing { .. }), "{err}");
    }

    #[test]
    fn mysql_uuid_storage_from_the_file_or_a_flag() {
        let file = ("aludel.toml", "[mysql]\nuuid = \"binary16\"\n");
        assert_eq!(load(&[file], &[], &[]).unwrap().dialect.mysql_uuid, UuidStorage::Binary16);
        assert_eq!(
            load(&[file], &[], &["mysql_uuid=char36"]).unwrap().session_options().dialect.mysql_uuid,
            UuidStorage::Char36
        );
        assert_eq!(load(&[], &[], &[]).unwrap().dialect.mysql_uuid, UuidStorage::Char36);
        let err = load(&[("aludel.toml", "[mysql]\nuuid = \"bytes\"\n")], &[], &[]).unwrap_err();
        assert!(matches!(err, ConfigError::Parse { line: 2, .. }), "{err}");
        let err = load(&[], &[], &["mysql_uuid=bytes"]).unwrap_err();
        assert!(matches!(err, ConfigError::BadValue { .. }), "{err}");
    }

    #[test]
    fn paths_are_tidied() {
        for (input, expected) in
            [("/a/./b/.", "/a/b"), ("/a/b/../c", "/a/c"), ("a/../../b", "../b"), ("/a/migrations", "/a/migrations")]
        {
            assert_eq!(tidy(Path::new(input)), PathBuf::from(expected), "{input}");
        }
    }

    #[test]
    fn paths_are_relative_to_the_config_file_and_extras_are_kept() {
        let config =
            load(&[("aludel.toml", "script_location = \"db\"\n")], &[], &["tenant=acme", "lock_timeout=5"]).unwrap();
        assert!(config.script_location.ends_with("db"));
        assert!(config.script_location.is_absolute());
        assert_eq!(config.extra.get("tenant").map(String::as_str), Some("acme"));
        assert_eq!(config.lock_timeout_secs, 5);
    }

    #[test]
    fn every_override_key_is_a_setting() {
        let values = [
            ("mysql_uuid", "binary16"),
            ("postgres_online", "false"),
            ("lock_timeout", "5"),
            ("version_table", "v"),
            ("history_table", "h"),
            ("script_location", "db"),
        ];
        for key in OVERRIDE_KEYS {
            let value = values.iter().find(|(k, _)| k == key).map_or("sqlite://x.db", |(_, v)| *v);
            let config = load(&[], &[], &[&format!("{key}={value}")]).unwrap();
            assert!(config.extra.is_empty(), "{key} is a setting, not an extra");
            assert_eq!(unknown_override(&format!("{key}={value}")), None);
        }
        assert_eq!(unknown_override("dburl=x"), Some("dburl"));
        assert_eq!(unknown_override("no equals sign"), None, "left to BadOverride");
    }
}
