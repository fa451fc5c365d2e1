//! Everything that differs between database backends: SQL rendering, type mapping, the
//! version table's SQL, transaction control, the migration lock and connections.
//!
//! Each backend is a unit struct in its own folder. Nothing outside this module writes SQL or
//! asks which backend it is talking to; [`Backend`] is the one place that picks one.

use std::fmt;
use std::future::Future;
use std::pin::Pin;

use crate::ops::Op;
use crate::schema::{ColumnType, Schema, SchemaError};

pub(crate) mod client;
pub mod common;
#[cfg(feature = "mysql")]
pub mod mysql;
#[cfg(feature = "postgres")]
pub mod postgres;
#[cfg(feature = "schema-sql")]
pub(crate) mod schema_sql;
#[cfg(feature = "sqlite")]
pub mod sqlite;
pub mod trace;

/// Each backend with the names a revision file may give it (`dialect = "..."` on an `sql` op
/// or a test fixture), the dialect's own name ([`Dialect::name`]) first.
const DIALECT_NAMES: &[&[&str]] = &[&["postgresql", "postgres"], &["sqlite"], &["mysql", "mariadb"]];

/// Whether `written`, a file's `dialect = "..."`, names the dialect called `dialect`.
pub(crate) fn names_dialect(written: &str, dialect: &str) -> bool {
    DIALECT_NAMES.iter().any(|names| names[0] == dialect && names.iter().any(|name| name.eq_ignore_ascii_case(written)))
}

/// Reads a file's `dialect = "..."`, refusing a name no backend answers to: a misspelt one
/// would make its SQL run nowhere, silently.
pub(crate) fn read_dialect_name<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Option<String>, D::Error> {
    use serde::Deserialize as _;
    let name = String::deserialize(deserializer)?;
    if DIALECT_NAMES.iter().flat_map(|names| names.iter()).any(|known| known.eq_ignore_ascii_case(&name)) {
        Ok(Some(name))
    } else {
        Err(serde::de::Error::custom(format!(
            "unknown dialect `{name}`: use postgresql, sqlite or mysql (or leave `dialect` out to run everywhere)"
        )))
    }
}

pub use client::ScriptClient;
#[cfg(feature = "mysql")]
pub use mysql::MySql;
#[cfg(feature = "postgres")]
pub use postgres::Postgres;
#[cfg(feature = "sqlite")]
pub use sqlite::Sqlite;

/// One SQL statement, without a trailing semicolon.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statement {
    /// The SQL text.
    pub sql: String,
    /// Runs, committed on its own, before the transaction of its revision: a PostgreSQL enum
    /// value can be used only once the `ADD VALUE` that made it is committed.
    pub before_transaction: bool,
    /// Whether it shares its revision's transaction, or must run apart from the statements
    /// around it (the online forms of PostgreSQL).
    pub placement: Placement,
}

/// Where a statement of a transactional revision runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub enum Placement {
    /// In the revision's transaction, with its other statements.
    #[default]
    InRevision,
    /// In a transaction of its own, committed after the statements before it: a
    /// `VALIDATE CONSTRAINT` must not hold the lock that adding the constraint took.
    OwnTransaction,
    /// Outside any transaction (`CREATE INDEX CONCURRENTLY`), committed on its own.
    NoTransaction,
}

impl Statement {
    /// Wraps SQL text.
    pub fn new(sql: impl Into<String>) -> Self {
        Statement { sql: sql.into(), before_transaction: false, placement: Placement::InRevision }
    }

    /// Wraps SQL text that runs before the revision's transaction (see
    /// [`Statement::before_transaction`]).
    pub fn before_transaction(sql: impl Into<String>) -> Self {
        Statement { sql: sql.into(), before_transaction: true, placement: Placement::InRevision }
    }

    /// Wraps SQL text that runs apart from its revision's other statements (see
    /// [`Placement`]).
    pub fn apart(sql: impl Into<String>, placement: Placement) -> Self {
        Statement { sql: sql.into(), before_transaction: false, placement }
    }
}

impl fmt::Display for Statement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.sql)
    }
}

/// An op that a dialect cannot render.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RenderError {
    /// The backend lacks the feature.
    #[error("{op} is not supported on {dialect}: {hint}")]
    Unsupported {
        /// The op, described (`add_enum_value mood += happy`).
        op: String,
        /// Dialect name.
        dialect: &'static str,
        /// What to do instead.
        hint: String,
    },
    /// The op does not fit the schema that the earlier revisions lead to.
    #[error("{op}: {problem}")]
    Schema {
        /// The op, described.
        op: String,
        /// What does not fit (the explanation, not a cause of its own).
        problem: SchemaError,
    },
    /// The op is malformed (an empty column list, an enum type that was never created).
    #[error("{op}: {reason}")]
    Invalid {
        /// The op, described.
        op: String,
        /// What is wrong and how to fix it.
        reason: String,
    },
}

/// A row that breaks a foreign key the backend checks only on request.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Violation {
    /// The referencing table.
    pub table: String,
    /// The row, when the table has row ids.
    pub rowid: Option<i64>,
    /// The table it references.
    pub parent: String,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.rowid {
            Some(rowid) => write!(f, "row {rowid} of `{}` referencing a missing row of `{}`", self.table, self.parent),
            None => write!(f, "a row of `{}` referencing a missing row of `{}`", self.table, self.parent),
        }
    }
}

/// What introspection reads.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IntrospectOptions {
    /// The PostgreSQL schema (or MySQL database) to read; `None` reads `current_schema()` on
    /// PostgreSQL (the first existing schema of the session's `search_path`) and the
    /// connection's database on MySQL. SQLite reads its one database.
    pub schema: Option<String>,
    /// Tables to leave out, by exact name (the version and history tables, for instance).
    /// Their constraints and indexes are left out with them.
    pub exclude_tables: Vec<String>,
}

/// The part of a schema a [`Session::fingerprint`] reads: tables by name, each whole (`None`)
/// or with only the columns named (its constraints and indexes always whole); no enum type.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Focus {
    /// The tables, each with the columns to read (`None`: all of them).
    pub tables: std::collections::BTreeMap<String, Option<std::collections::BTreeSet<String>>>,
}

/// Why a database's schema could not be read, or a model could not be normalized to the
/// database's spellings.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum IntrospectError {
    /// A catalog query failed.
    #[error("could not read the {what} from the database's catalog")]
    Query {
        /// What the query reads (`columns`, `constraints`, `indexes`, `enum types`).
        what: &'static str,
        /// The driver's error.
        #[source]
        source: sqlx::Error,
    },
    /// The catalog holds something this reader does not understand.
    #[error("could not read the definition of {object}: {reason}; please report it with the object's SQL")]
    Definition {
        /// The object, named (`table users`, `index ix_users_email`).
        object: String,
        /// What is wrong.
        reason: String,
    },
    /// The database refused a part of the models while spelling them its way (a check
    /// whose expression is not valid SQL, a type it does not know).
    #[error("the database refused {object} of the models: {message}; fix it in the models")]
    Model {
        /// What was refused (`check users_age_check on table users`, `type citext`).
        object: String,
        /// The database's message.
        message: String,
    },
}

/// What a sessionless rendering of the version and history tables needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StateTables {
    /// Table holding the current heads (default `aludel_version`).
    pub version_table: String,
    /// Table holding every applied or reverted step (default `aludel_history`).
    pub history_table: String,
}

impl Default for StateTables {
    fn default() -> Self {
        StateTables { version_table: "aludel_version".into(), history_table: "aludel_history".into() }
    }
}

/// Everything that differs between database backends.
pub trait Dialect: fmt::Debug + Send + Sync {
    /// `postgresql`, `sqlite` or `mysql`: the name `dialect = "..."` uses in files.
    fn name(&self) -> &'static str;

    /// Quotes an identifier, doubling embedded quotes; the default uses double quotes, as
    /// standard SQL does.
    fn quote_ident(&self, ident: &str) -> String {
        common::quote_ident_ansi(ident)
    }

    /// Quotes a string literal, escaping what the backend's string syntax needs.
    fn quote_literal(&self, text: &str) -> String {
        common::quote_literal(text)
    }

    /// Casts an expression to a string of at most `length` characters, for bookkeeping
    /// queries that read numbers and times as text.
    fn cast_to_text(&self, expr: &str, length: u32) -> String {
        format!("CAST({expr} AS VARCHAR({length}))")
    }

    /// A timestamp column of the bookkeeping tables as RFC 3339 text in UTC
    /// (`2026-12-06T02:01:39.094693Z`), the same on every backend.
    fn utc_text(&self, column: &str) -> String;

    /// Whether DDL is transactional, so a failed revision rolls back whole.
    fn has_transactional_ddl(&self) -> bool;

    /// Spells a neutral type for this backend, e.g. `uuid` as `CHAR(36)` on MySQL.
    ///
    /// # Errors
    ///
    /// [`RenderError::Unsupported`] when the backend has no such type.
    fn column_type(&self, ty: &ColumnType) -> Result<String, RenderError>;

    /// Renders one op. `before` is the schema the earlier ops lead to; a dialect that has to
    /// rebuild a table (SQLite) reads the table's full definition from it.
    /// One op can become several statements, or none (an op for another dialect).
    ///
    /// # Errors
    ///
    /// [`RenderError`] when the backend cannot express the op or it does not fit `before`.
    fn render(&self, op: &Op, before: &Schema) -> Result<Vec<Statement>, RenderError>;

    /// Renders the ops of one revision's step in order, each against the schema the ops
    /// before it lead to, and applies each to `schema`: one list of statements per op. A
    /// dialect may merge the work of consecutive ops (SQLite rebuilds a table once for a run
    /// of ops that each rebuild it), leaving the later ones without statements.
    ///
    /// # Errors
    ///
    /// The index of the op that cannot be rendered, and why ([`Self::render`]).
    fn render_ops(&self, ops: &[Op], schema: &mut Schema) -> Result<Vec<Vec<Statement>>, (usize, RenderError)> {
        let mut rendered = Vec::with_capacity(ops.len());
        for (index, op) in ops.iter().enumerate() {
            rendered.push(self.render(op, schema).map_err(|source| (index, source))?);
            schema.apply(op).ok();
        }
        Ok(rendered)
    }

    /// Creates the version and history tables when they are missing: the tables
    /// [`common::state_tables`] describes, rendered as this dialect creates any table.
    ///
    /// # Errors
    ///
    /// [`RenderError`] when a table name is one the backend cannot keep.
    fn create_state_tables(&self, tables: &StateTables) -> Result<Vec<Statement>, RenderError> {
        common::create_state_tables(self, tables)
    }

    /// The type of the version and history tables' revision id columns: ids compare
    /// case-sensitively (`Cd` and `cd` are two revisions).
    fn revision_id_type(&self) -> ColumnType {
        ColumnType::Varchar(Some(32))
    }

    /// Whether a revision marked `transactional = false` really runs outside a transaction
    /// (for statements such as `CREATE INDEX CONCURRENTLY`).
    fn can_run_outside_transaction(&self) -> bool {
        true
    }

    /// Whether a revision's ops run in one transaction here, `transactional` being what the
    /// revision says.
    fn runs_in_transaction(&self, transactional: bool) -> bool {
        self.has_transactional_ddl() && (transactional || !self.can_run_outside_transaction())
    }

    /// A query listing, one name per row, every table, view or other relation an op may name
    /// without a schema: with introspection, which reads base tables only, it tells a name
    /// that is no relation at all (a typo) from one the model does not describe (a view, a
    /// partition, a table of another schema on PostgreSQL's search path).
    fn relations_query(&self) -> &'static str;

    /// A query listing, one text cell per row (`view v`, `trigger t on posts`), what the
    /// database holds that the schema model does not: adopting it from introspection would
    /// leave them out (its dump carries them).
    fn unmodelled_query(&self) -> Option<&'static str> {
        None
    }

    /// Whether the backend refuses to change the type of a column a foreign key uses, on
    /// either side (MySQL: "Cannot change column ...: used in a foreign key constraint"), so
    /// that autogenerate drops the key before and adds it back after.
    fn foreign_keys_block_type_changes(&self) -> bool {
        false
    }

    /// Whether the backend refuses to change the type or collation of a column that a
    /// stored generated column reads (PostgreSQL), so that autogenerate drops the generated
    /// column before and adds it back after.
    fn generated_columns_block_type_changes(&self) -> bool {
        false
    }

    /// Whether the diff leaves the nullability of primary key columns alone (SQLite; see
    /// [`DiffOptions::primary_key_nullability_unread`](crate::diff::DiffOptions::primary_key_nullability_unread)).
    fn primary_key_nullability_unread(&self) -> bool {
        false
    }

    /// For a `--sql` script, what an online run's integrity check does
    /// ([`Session::check_integrity`]): statements opening the revision's transaction and
    /// statements before its commit that fail, naming `revision`, when it leaves rows
    /// referencing missing rows that were not there before. None where the database checks
    /// every foreign key as it goes.
    fn script_integrity_check(&self, _revision: &str) -> Option<(Vec<Statement>, Vec<Statement>)> {
        None
    }

    /// What a failed run of `op` outside a transaction may have left behind (the invalid index
    /// of a failed `CREATE INDEX CONCURRENTLY`), so that running it again first removes it.
    fn leftover(&self, _op: &Op) -> Option<Leftover> {
        None
    }

    /// The leftover a [`Leftover::probe`] named `name` when its op failed, for a resumed run
    /// to remove even when the fix renamed the op: its probe finds it only while it is still
    /// unusable (an INVALID index), so that an index that took the name since is never dropped.
    fn recorded_leftover(&self, _name: &str) -> Option<Leftover> {
        None
    }

    /// Whether a column keeps only values its declared type holds (a length, a range, a
    /// precision), so that changing to a narrower type can lose or reject data. SQLite keeps
    /// any value in any column, whatever it declares.
    fn enforces_declared_types(&self) -> bool {
        true
    }

    /// Whether a column's type change from `from` to `to` rewrites the table (and its
    /// indexes) under a lock that stops readers and writers; `false` where the backend does
    /// not say.
    fn type_change_rewrites(&self, _from: &ColumnType, _to: &ColumnType) -> bool {
        false
    }

    /// The SQL with which `aludel trace` watches a run on this backend; none where the
    /// backend cannot show the locks a session holds.
    fn tracer(&self) -> Option<&'static dyn trace::TraceSql> {
        None
    }

    /// Which names this backend takes without regard to case (PostgreSQL tells every quoted
    /// name apart by case).
    fn case_blind_names(&self) -> crate::schema::CaseBlindNames {
        crate::schema::CaseBlindNames::default()
    }

    /// Whether autogenerate writes the lock-avoiding forms of its ops for tables that exist
    /// already (`concurrently`, `not_valid` and `validate_constraint`), which this backend
    /// runs without blocking writers.
    fn has_online_ddl(&self) -> bool {
        false
    }

    /// The statements that set a revision's lock and statement timeouts: first in its
    /// transaction when `in_transaction`, else on the session before its statements. None
    /// where the backend has no such settings (SQLite).
    fn timeout_statements(&self, _timeouts: &crate::config::Timeouts, _in_transaction: bool) -> Vec<Statement> {
        Vec::new()
    }

    /// Whether `error` says a statement gave up waiting for a lock (so the revision can be
    /// tried again).
    fn is_lock_timeout(&self, _error: &sqlx::Error) -> bool {
        false
    }

    /// Whether `error` says a statement ran past its statement timeout.
    fn is_statement_timeout(&self, _error: &sqlx::Error) -> bool {
        false
    }

    /// For each op of a revision's step, rendered together ([`Self::render_ops`]), whether its
    /// statements copy its table into a new one (SQLite's rebuild), as lint reports it; of a
    /// run of ops rebuilt once, the first. `before` is the schema just before the step.
    fn rebuilt_ops(&self, ops: &[Op], _before: &Schema) -> Vec<bool> {
        vec![false; ops.len()]
    }

    /// A query that returns one row when `table` exists, none otherwise.
    fn table_exists_query(&self, table: &str) -> String;

    /// Settings a `--sql` script starts with, so it runs as the online session would.
    fn script_prologue(&self) -> Vec<Statement> {
        Vec::new()
    }

    /// The first statement of a revision's transaction in a `--sql` script: it fails unless
    /// the version table `table` holds each of `heads` (the script's revisions before this one
    /// recorded), so that a client that goes on after an error (`psql` without
    /// `ON_ERROR_STOP`) does not run a revision whose parent failed. `None` where a failed
    /// statement does not undo the rest of its transaction.
    fn script_version_guard(&self, _table: &str, _heads: &[&str], _revision: &str) -> Option<Statement> {
        None
    }

    /// How to run a `--sql` script so that it stops at its first error, for its header.
    fn script_run_advice(&self) -> Option<&'static str> {
        None
    }

    /// Opens a revision's transaction in a `--sql` script.
    fn begin_transaction(&self) -> &'static str {
        "BEGIN"
    }

    /// Commits a revision's transaction in a `--sql` script.
    fn commit_transaction(&self) -> &'static str {
        "COMMIT"
    }

    /// Creates an empty throwaway database `name` (for `aludel test`) on the server a session
    /// is connected to, each statement run on its own; empty where a database is a file
    /// (SQLite).
    fn create_database(&self, name: &str) -> Vec<Statement> {
        vec![Statement::new(format!("CREATE DATABASE {}", self.quote_ident(name)))]
    }

    /// Drops database `name`, even while connections to it are open; `None` where a
    /// database is a file.
    fn drop_database(&self, name: &str) -> Option<Statement> {
        Some(Statement::new(format!("DROP DATABASE IF EXISTS {}", self.quote_ident(name))))
    }

    /// How the backend's own client runs the script file `script` on the database `url`
    /// names (`aludel test` compares that with the online run); `None` without one.
    fn script_client(&self, url: &str, script: &std::path::Path) -> Option<ScriptClient> {
        let _ = (url, script);
        None
    }
}

/// What a failed op may have left behind: `probe` returns a row when it is there, and
/// `cleanup` removes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Leftover {
    /// A query that returns a row when the leftover exists, whose first column is its name as
    /// SQL spells it, schema-qualified (which a failed run records, for
    /// [`Dialect::recorded_leftover`]).
    pub probe: String,
    /// The statement that removes it.
    pub cleanup: Statement,
}

/// The backends this build supports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Backend {
    /// PostgreSQL.
    #[cfg(feature = "postgres")]
    Postgres,
    /// SQLite.
    #[cfg(feature = "sqlite")]
    Sqlite,
    /// MySQL 8 and MariaDB.
    #[cfg(feature = "mysql")]
    MySql,
}

/// A URL whose scheme names no backend this build supports.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unsupported database URL scheme `{scheme}`; use {forms} (enabled backends: {enabled})")]
pub struct UnknownBackend {
    /// The scheme as written.
    pub scheme: String,
    /// The backends compiled in.
    pub enabled: String,
    /// Their URLs' forms (`postgresql://user@host:port/db, sqlite://path.db`).
    pub forms: String,
}

impl Backend {
    /// Every backend compiled into this build.
    pub const ALL: &'static [Backend] = &[
        #[cfg(feature = "postgres")]
        Backend::Postgres,
        #[cfg(feature = "sqlite")]
        Backend::Sqlite,
        #[cfg(feature = "mysql")]
        Backend::MySql,
    ];

    /// Picks the backend from a URL's scheme.
    ///
    /// # Errors
    ///
    /// [`UnknownBackend`] for a scheme no enabled backend handles.
    pub fn from_url(url: &str) -> Result<Backend, UnknownBackend> {
        // Without a `:`, the text has no scheme: it may be anything (a password pasted into the
        // wrong variable), so it is not shown.
        let scheme = url.split_once(':').map(|(s, _)| s);
        Backend::from_name(scheme.unwrap_or(url)).ok_or_else(|| UnknownBackend {
            scheme: match scheme {
                Some(scheme) if is_scheme(scheme) => scheme.to_owned(),
                _ => "(none: the text is not a URL)".to_owned(),
            },
            enabled: Backend::ALL.iter().map(|b| b.dialect().name()).collect::<Vec<_>>().join(", "),
            forms: Backend::ALL.iter().map(|b| b.url_form()).collect::<Vec<_>>().join(", "),
        })
    }

    /// How a URL for this backend is written, for errors.
    fn url_form(self) -> &'static str {
        match self {
            #[cfg(feature = "postgres")]
            Backend::Postgres => "postgresql://user@host:port/db",
            #[cfg(feature = "sqlite")]
            Backend::Sqlite => "sqlite://path.db",
            #[cfg(feature = "mysql")]
            Backend::MySql => "mysql://user@host:port/db",
        }
    }

    /// Whether the backend is a server reached by host and port (not a file).
    pub fn has_server(self) -> bool {
        match self {
            #[cfg(feature = "sqlite")]
            Backend::Sqlite => false,
            #[allow(unreachable_patterns)]
            _ => true,
        }
    }

    /// For a URL query parameter that carries a secret the backend's driver does not read,
    /// what to write instead.
    pub(crate) fn unread_secret_parameter(self, key: &str) -> Option<&'static str> {
        match self {
            #[cfg(feature = "postgres")]
            Backend::Postgres => postgres::session::unread_secret_parameter(key),
            #[allow(unreachable_patterns)] // The other drivers ignore what they do not read silently.
            _ => None,
        }
    }

    /// Picks the backend by dialect name or URL scheme (`postgresql`, `postgres`, `sqlite`,
    /// `mysql`, `mariadb`).
    pub fn from_name(name: &str) -> Option<Backend> {
        match name.to_ascii_lowercase().as_str() {
            #[cfg(feature = "postgres")]
            "postgres" | "postgresql" => Some(Backend::Postgres),
            #[cfg(feature = "sqlite")]
            "sqlite" => Some(Backend::Sqlite),
            #[cfg(feature = "mysql")]
            "mysql" | "mariadb" => Some(Backend::MySql),
            _ => None,
        }
    }

    /// The backend's dialect.
    pub fn dialect(self) -> &'static dyn Dialect {
        match self {
            #[cfg(feature = "postgres")]
            Backend::Postgres => &Postgres,
            #[cfg(feature = "sqlite")]
            Backend::Sqlite => &Sqlite,
            #[cfg(feature = "mysql")]
            Backend::MySql => MySql::with_uuid(UuidStorage::Char36),
        }
    }

    /// The backend's hooks for reading a desired-state `schema.sql` written in its SQL.
    #[cfg(feature = "schema-sql")]
    pub(crate) fn schema_sql(self) -> &'static dyn schema_sql::SchemaSqlDialect {
        match self {
            #[cfg(feature = "postgres")]
            Backend::Postgres => &postgres::schema_sql::PostgresSchemaSql,
            #[cfg(feature = "sqlite")]
            Backend::Sqlite => &sqlite::schema_sql::SqliteSchemaSql,
            #[cfg(feature = "mysql")]
            Backend::MySql => &mysql::schema_sql::MySqlSchemaSql,
        }
    }

    /// The backend's dialect with the project's settings (`[mysql] uuid`, say).
    pub fn dialect_with(self, options: &DialectOptions) -> &'static dyn Dialect {
        match self {
            #[cfg(feature = "mysql")]
            Backend::MySql => MySql::with_uuid(options.mysql_uuid),
            #[allow(unreachable_patterns)] // The other backends have no settings.
            other => {
                let _ = options;
                other.dialect()
            }
        }
    }

    /// Opens a migration session on `url`.
    ///
    /// # Errors
    ///
    /// The driver's error when the database cannot be reached.
    pub async fn connect(self, url: &str, options: &SessionOptions) -> Result<Box<dyn Session>, sqlx::Error> {
        // Without any backend compiled in, there is nothing to connect with.
        #[cfg(not(any(feature = "postgres", feature = "sqlite", feature = "mysql")))]
        let _ = (url, options);
        match self {
            #[cfg(feature = "postgres")]
            Backend::Postgres => postgres::session::connect(url, options).await,
            #[cfg(feature = "sqlite")]
            Backend::Sqlite => sqlite::session::connect(url, options).await,
            #[cfg(feature = "mysql")]
            Backend::MySql => mysql::session::connect(url, options).await,
        }
    }
}

/// How MySQL stores the neutral `uuid` type (`[mysql] uuid` in aludel.toml).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum UuidStorage {
    /// `CHAR(36)`: the text form, readable as it is.
    #[default]
    Char36,
    /// `BINARY(16)`: the 16 bytes, less than half the size and faster to index; the program
    /// converts (MySQL 8: `UUID_TO_BIN` / `BIN_TO_UUID`).
    Binary16,
}

/// Per-project settings a dialect renders with.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DialectOptions {
    /// How MySQL stores `uuid` columns.
    pub mysql_uuid: UuidStorage,
}

/// Settings for a migration session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionOptions {
    /// The version and history table names.
    pub tables: StateTables,
    /// How long to wait for another process's migration lock, in seconds.
    pub lock_timeout_secs: u64,
    /// The dialect's settings.
    pub dialect: DialectOptions,
    /// Whether a database that does not exist yet is created (a SQLite file); commands that
    /// only read refuse a missing one instead, so that a mistyped path is not an empty
    /// database that every check passes. A URL that asks for creation (`?mode=rwc`) wins.
    pub create_if_missing: bool,
}

impl Default for SessionOptions {
    fn default() -> Self {
        SessionOptions {
            tables: StateTables::default(),
            lock_timeout_secs: 600,
            dialect: DialectOptions::default(),
            create_if_missing: true,
        }
    }
}

/// The SQL that brackets one revision in a session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TransactionSql {
    /// Opens the revision's transaction.
    pub begin: &'static str,
    /// Commits it.
    pub commit: &'static str,
    /// Rolls it back.
    pub rollback: &'static str,
}

/// A boxed future, so [`Session`] can be used as a trait object.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Rows of text cells, as [`Session::query_text`] returns them.
pub type TextRows = Vec<Vec<Option<String>>>;

/// One connection that migrations run on, with the backend's locking and transaction rules.
pub trait Session: Send {
    /// The backend's dialect.
    fn dialect(&self) -> &'static dyn Dialect;

    /// Runs SQL that returns no rows (one or several statements).
    fn execute<'a>(&'a mut self, sql: &'a str) -> BoxFuture<'a, Result<(), sqlx::Error>>;

    /// Runs a query and returns every cell as text (`NULL` as `None`).
    fn query_text<'a>(&'a mut self, sql: &'a str) -> BoxFuture<'a, Result<TextRows, sqlx::Error>>;

    /// Takes the migration lock for the whole run; waits for another process's run to end.
    fn lock(&mut self) -> BoxFuture<'_, Result<(), sqlx::Error>>;

    /// Releases the migration lock (commits what the run did, where the lock is a transaction).
    fn unlock(&mut self) -> BoxFuture<'_, Result<(), sqlx::Error>>;

    /// How this session opens, commits and rolls back one revision's transaction; the
    /// default is `BEGIN`, `COMMIT` and `ROLLBACK`.
    fn transaction_sql(&self) -> TransactionSql {
        TransactionSql { begin: "BEGIN", commit: "COMMIT", rollback: "ROLLBACK" }
    }

    /// Checks integrity the backend only verifies on request (SQLite's foreign keys after a
    /// table rebuild); returns each row that breaks it. The default has nothing to check: the
    /// database checks every constraint as the statements run.
    fn check_integrity(&mut self) -> BoxFuture<'_, Result<Vec<Violation>, sqlx::Error>> {
        Box::pin(async { Ok(Vec::new()) })
    }

    /// Reads the database's schema into the [`Schema`] model with a fixed number of catalog
    /// queries, whatever the number of tables.
    fn introspect<'a>(&'a mut self, options: &'a IntrospectOptions) -> BoxFuture<'a, Result<Schema, IntrospectError>>;

    /// A digest of what [`Session::introspect`] reads with `options` (of the part `focus`
    /// names, when given), where the backend can compute one in a single round trip
    /// (PostgreSQL); `None` otherwise. Equal digests mean equal schemas; different ones may
    /// still read back the same (compare them then).
    fn fingerprint<'a>(
        &'a mut self,
        options: &'a IntrospectOptions,
        focus: Option<&'a Focus>,
    ) -> BoxFuture<'a, Result<Option<String>, IntrospectError>> {
        let _ = (options, focus);
        Box::pin(async { Ok(None) })
    }

    /// Normalizes `models`: states them as this database would read them back once created:
    /// types,
    /// defaults and expressions in the database's own spellings, and what the backend cannot
    /// hold as it holds it. The diff then compares with `==`. The cost grows with the number
    /// of distinct spellings, never with the number of tables; nothing is left behind.
    fn normalize<'a>(&'a mut self, models: &'a Schema) -> BoxFuture<'a, Result<Schema, IntrospectError>>;

    /// Normalizes what introspection read where the database cannot name things by itself,
    /// naming them in the models' terms once both sides are read: MySQL keeps an enum inline
    /// in each column, without the enum's name, and a unique constraint as a unique index.
    /// `models` is what [`Session::normalize`] returned. Pure; the default changes nothing.
    fn normalize_database(&self, database: Schema, models: &Schema) -> Schema {
        let _ = models;
        database
    }

    /// Each table's estimated rows (the catalog's estimate where the backend keeps one), for
    /// lint's severities. A fixed number of queries, or one bounded count per table. The
    /// default knows none.
    fn table_rows(&mut self) -> BoxFuture<'_, Result<std::collections::BTreeMap<String, u64>, sqlx::Error>> {
        Box::pin(async { Ok(std::collections::BTreeMap::new()) })
    }

    /// Closes the connection.
    fn close(self: Box<Self>) -> BoxFuture<'static, Result<(), sqlx::Error>>;
}

#[cfg(feature = "schema-sql")]
/// The SQL tokenizer's dialect for the dialect named `name` (`postgresql`, `mysql`, `sqlite`;
/// PostgreSQL's for any other name).
pub(crate) fn sql_parser(name: &str) -> &'static dyn sqlparser::dialect::Dialect {
    static POSTGRES: sqlparser::dialect::PostgreSqlDialect = sqlparser::dialect::PostgreSqlDialect {};
    static MYSQL: sqlparser::dialect::MySqlDialect = sqlparser::dialect::MySqlDialect {};
    static SQLITE: sqlparser::dialect::SQLiteDialect = sqlparser::dialect::SQLiteDialect {};
    if names_dialect(name, "mysql") {
        &MYSQL
    } else if names_dialect(name, "sqlite") {
        &SQLITE
    } else {
        &POSTGRES
    }
}

/// Whether `text` reads as a URL scheme: a letter, then letters, digits, `+`, `-` or `.`.
pub(crate) fn is_scheme(text: &str) -> bool {
    text.len() <= 32
        && text.starts_with(|c: char| c.is_ascii_alphabetic())
        && text.chars().all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A refused URL's error suggests the URL forms of the backends built in, and no other.
    #[test]
    fn an_unknown_scheme_suggests_only_the_backends_built_in() {
        let error = Backend::from_url("mongodb://db/x").expect_err("no such backend");
        let forms: Vec<&str> = error.forms.split(", ").collect();
        assert_eq!(forms.len(), Backend::ALL.len(), "{error}");
        for (form, backend) in forms.iter().zip(Backend::ALL) {
            assert_eq!(Backend::from_url(form), Ok(*backend), "{error}");
        }
    }
}
