//! MySQL 8 and MariaDB 10.11 (one dialect: what one of them lacks is refused for both, so a
//! revision runs on either). No transactional DDL: a revision that fails part way leaves
//! what ran in place, which the runner records (see `runtime`), and `resolve` settles.
//! Enums are inline `ENUM(...)` columns, identifiers are quoted with backticks, and the
//! migration lock is `GET_LOCK`, held by the session for the whole run.
//!
//! One file per concern: `keywords` (reserved words), `text` (quoting and reading MySQL's
//! text), `types` (type mapping, both ways), `render` (DDL), `introspect`
//! (`information_schema` into the schema model), `normalize` (the models in MySQL's
//! spellings, and `normalize_database`, which names what MySQL keeps nameless), `session` (the
//! connection, its lock and bookkeeping SQL), `schema_sql` (reading a schema.sql).

use crate::dialect::common::catalog;
use crate::dialect::mysql::text::{quote_ident, quote_literal};
use crate::dialect::{Dialect, IntrospectError, RenderError, Session, Statement, UuidStorage};
use crate::ops::Op;
use crate::schema::{ColumnType, Schema};

pub(crate) mod introspect;
mod normalize;
mod render;
#[cfg(feature = "schema-sql")]
pub(crate) mod schema_sql;
pub(crate) mod session;
mod text;
mod timeouts;
mod types;

pub use introspect::introspect;
pub use normalize::{normalize, normalize_database};

/// The MySQL / MariaDB dialect, with how it stores `uuid` columns.
#[derive(Debug, Clone, Copy, Default)]
pub struct MySql {
    uuid: UuidStorage,
}

impl MySql {
    /// The dialect storing `uuid` as `uuid` says.
    pub fn with_uuid(uuid: UuidStorage) -> &'static MySql {
        static CHAR36: MySql = MySql { uuid: UuidStorage::Char36 };
        static BINARY16: MySql = MySql { uuid: UuidStorage::Binary16 };
        match uuid {
            UuidStorage::Char36 => &CHAR36,
            UuidStorage::Binary16 => &BINARY16,
        }
    }

    /// How this dialect stores `uuid` columns.
    pub fn uuid(&self) -> UuidStorage {
        self.uuid
    }
}

/// Which server a session talks to: their catalogs differ in a few columns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Server {
    /// MariaDB.
    MariaDb,
    /// MySQL (8.0 or later).
    MySql,
}

impl Server {
    /// The server that `SELECT VERSION()` names.
    pub(crate) fn from_version(version: &str) -> Server {
        if version.to_ascii_lowercase().contains("mariadb") { Server::MariaDb } else { Server::MySql }
    }

    /// The server `session` talks to, asked.
    pub(crate) async fn of(session: &mut dyn Session) -> Result<Server, IntrospectError> {
        let rows = catalog::query(session, "server version", "SELECT VERSION()").await?;
        Ok(Server::from_version(rows.first().and_then(|row| catalog::cell(row, 0)).unwrap_or_default()))
    }
}

impl Dialect for MySql {
    fn case_blind_names(&self) -> crate::schema::CaseBlindNames {
        // Table names follow the server's `lower_case_table_names` (case-sensitive on Linux by
        // default): only columns and index names are always compared without case.
        crate::schema::CaseBlindNames { relations: false, columns: true, indexes_of_a_table: true }
    }

    fn utc_text(&self, column: &str) -> String {
        // DATETIME holds the session's local time at insert: converted from the session's
        // zone (as is, when the server lacks the zone's tables).
        format!(
            "DATE_FORMAT(COALESCE(CONVERT_TZ({column}, @@session.time_zone, '+00:00'), {column}), \
             '%Y-%m-%dT%H:%i:%s.%fZ')"
        )
    }

    fn revision_id_type(&self) -> ColumnType {
        // A table's default collation compares case-insensitively.
        ColumnType::Custom("VARCHAR(32) CHARACTER SET ascii COLLATE ascii_bin".to_owned())
    }

    fn foreign_keys_block_type_changes(&self) -> bool {
        true
    }

    fn relations_query(&self) -> &'static str {
        "SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE()"
    }

    fn unmodelled_query(&self) -> Option<&'static str> {
        Some(
            "SELECT CONCAT('view ', TABLE_NAME) FROM information_schema.VIEWS WHERE TABLE_SCHEMA = DATABASE() \
             UNION ALL SELECT CONCAT('trigger ', TRIGGER_NAME, ' on ', EVENT_OBJECT_TABLE) FROM \
             information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = DATABASE() \
             UNION ALL SELECT CONCAT(LOWER(ROUTINE_TYPE), ' ', ROUTINE_NAME) FROM information_schema.ROUTINES \
             WHERE ROUTINE_SCHEMA = DATABASE() \
             UNION ALL SELECT CONCAT('event ', EVENT_NAME) FROM information_schema.EVENTS WHERE EVENT_SCHEMA = DATABASE() \
             ORDER BY 1",
        )
    }

    fn name(&self) -> &'static str {
        "mysql"
    }

    fn quote_ident(&self, ident: &str) -> String {
        quote_ident(ident)
    }

    fn quote_literal(&self, text: &str) -> String {
        quote_literal(text)
    }

    fn cast_to_text(&self, expr: &str, length: u32) -> String {
        // MySQL casts to CHAR only (MariaDB takes VARCHAR too).
        format!("CAST({expr} AS CHAR({length}))")
    }

    fn has_transactional_ddl(&self) -> bool {
        // Every DDL statement commits implicitly.
        false
    }

    fn column_type(&self, ty: &ColumnType) -> Result<String, RenderError> {
        types::column_type(ty, None, self.uuid)
    }

    fn render(&self, op: &Op, before: &Schema) -> Result<Vec<Statement>, RenderError> {
        render::render(op, before, self.uuid)
    }

    fn render_ops(&self, ops: &[Op], schema: &mut Schema) -> Result<Vec<Vec<Statement>>, (usize, RenderError)> {
        render::render_ops(ops, schema, self.uuid)
    }

    fn timeout_statements(&self, timeouts: &crate::config::Timeouts, _in_transaction: bool) -> Vec<Statement> {
        timeouts::statements(timeouts)
    }

    fn is_lock_timeout(&self, error: &sqlx::Error) -> bool {
        timeouts::error_number(error) == Some(timeouts::LOCK_WAIT_TIMEOUT)
    }

    fn is_statement_timeout(&self, error: &sqlx::Error) -> bool {
        timeouts::error_number(error).is_some_and(|n| timeouts::STATEMENT_TIMEOUTS.contains(&n))
    }

    fn table_exists_query(&self, table: &str) -> String {
        format!(
            "SELECT 1 FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = {}",
            quote_literal(table)
        )
    }
    fn script_client(&self, url: &str, script: &std::path::Path) -> Option<crate::dialect::ScriptClient> {
        // The password travels in MYSQL_PWD, so no process listing shows it.
        let parts = crate::dialect::client::UrlParts::of(url)?;
        let mut args = vec!["--batch".to_owned()];
        for (flag, value) in
            [("--host", parts.host), ("--port", parts.port.map(|p| p.to_string())), ("--user", parts.user)]
        {
            if let Some(value) = value {
                args.push(format!("{flag}={value}"));
            }
        }
        args.push(format!("--database={}", parts.database));
        Some(crate::dialect::ScriptClient {
            programs: vec!["mariadb", "mysql"],
            args,
            env: parts.password.map(|p| ("MYSQL_PWD".to_owned(), p)).into_iter().collect(),
            stdin: Some(script.to_owned()),
            install: "install the MariaDB or MySQL client (`apt-get install mariadb-client`)",
        })
    }
}
