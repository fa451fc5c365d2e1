//! A SQLite migration session. The run holds the database's write lock (`BEGIN IMMEDIATE`)
//! from start to end, and each revision is a savepoint inside it: a failed revision rolls
//! back to its savepoint while the revisions before it are committed.
//!
//! Foreign key enforcement is off on this connection, as SQLite's table-rebuild procedure
//! requires; `PRAGMA foreign_key_check` verifies every revision before it is released.

use std::str::FromStr;
use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection};
use sqlx::{AssertSqlSafe, Connection, Row};

use crate::dialect::common::session;
use crate::dialect::{
    BoxFuture, Dialect, IntrospectError, IntrospectOptions, Session, SessionOptions, TextRows, TransactionSql,
    Violation,
};
use crate::schema::Schema;

use super::Sqlite;

struct SqliteSession {
    conn: SqliteConnection,
}

/// A SQLite URL names a file that does not exist, for a command that only reads.
#[derive(Debug, thiserror::Error)]
#[error("no SQLite database at `{path}`: check the URL (`aludel upgrade` creates the file)")]
pub(crate) struct MissingDatabase {
    /// The file.
    path: String,
}

/// Connects to `url`, creating the database file when it does not exist and `options` allow.
pub(crate) async fn connect(url: &str, options: &SessionOptions) -> Result<Box<dyn Session>, sqlx::Error> {
    let connect_options = SqliteConnectOptions::from_str(url)?;
    let path = connect_options.get_filename();
    let in_memory = path.as_os_str() == ":memory:" || url.contains("mode=memory") || names_memory(url);
    if !options.create_if_missing && !url.contains("mode=rwc") && !in_memory && !path.exists() {
        return Err(sqlx::Error::Configuration(Box::new(MissingDatabase { path: path.display().to_string() })));
    }
    let connect_options = connect_options
        .create_if_missing(options.create_if_missing || url.contains("mode=rwc"))
        .foreign_keys(false)
        .busy_timeout(Duration::from_secs(options.lock_timeout_secs));
    let conn = SqliteConnection::connect_with(&connect_options).await?;
    Ok(Box::new(SqliteSession { conn }))
}

/// Whether `url` is `sqlite::memory:` (or `sqlite://:memory:`), which the driver turns into a
/// file name of its own that exists nowhere.
fn names_memory(url: &str) -> bool {
    let rest = url.strip_prefix("sqlite:").unwrap_or(url);
    let rest = rest.strip_prefix("//").unwrap_or(rest);
    rest.split('?').next() == Some(":memory:")
}

impl Session for SqliteSession {
    fn dialect(&self) -> &'static dyn Dialect {
        &Sqlite
    }

    fn execute<'a>(&'a mut self, sql: &'a str) -> BoxFuture<'a, Result<(), sqlx::Error>> {
        session::execute(&mut self.conn, sql)
    }

    fn query_text<'a>(&'a mut self, sql: &'a str) -> BoxFuture<'a, Result<TextRows, sqlx::Error>> {
        session::query_text(&mut self.conn, sql)
    }

    fn lock(&mut self) -> BoxFuture<'_, Result<(), sqlx::Error>> {
        self.execute("BEGIN IMMEDIATE")
    }

    fn unlock(&mut self) -> BoxFuture<'_, Result<(), sqlx::Error>> {
        self.execute("COMMIT")
    }

    fn transaction_sql(&self) -> TransactionSql {
        TransactionSql {
            begin: "SAVEPOINT aludel_revision",
            commit: "RELEASE aludel_revision",
            rollback: "ROLLBACK TO aludel_revision; RELEASE aludel_revision",
        }
    }

    fn check_integrity(&mut self) -> BoxFuture<'_, Result<Vec<Violation>, sqlx::Error>> {
        Box::pin(async move {
            let rows = sqlx::raw_sql(AssertSqlSafe("PRAGMA foreign_key_check")).fetch_all(&mut self.conn).await?;
            rows.iter()
                .map(|row| Ok(Violation { table: row.try_get(0)?, rowid: row.try_get(1)?, parent: row.try_get(2)? }))
                .collect()
        })
    }

    fn introspect<'a>(&'a mut self, options: &'a IntrospectOptions) -> BoxFuture<'a, Result<Schema, IntrospectError>> {
        Box::pin(super::introspect::introspect(self, options))
    }

    fn normalize<'a>(&'a mut self, models: &'a Schema) -> BoxFuture<'a, Result<Schema, IntrospectError>> {
        // SQLite keeps the text of every definition as the renderer wrote it, so normalizing
        // the models needs no round trip.
        Box::pin(async move { Ok(super::normalize::normalize(models)) })
    }

    fn table_rows(&mut self) -> BoxFuture<'_, Result<std::collections::BTreeMap<String, u64>, sqlx::Error>> {
        Box::pin(async move {
            // SQLite keeps no estimate: count, but stop where the size no longer changes
            // the severity, so a huge table costs a bounded scan.
            let tables = session::query_text(
                &mut self.conn,
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
            )
            .await?;
            let mut rows = std::collections::BTreeMap::new();
            for name in tables.into_iter().filter_map(|row| row.into_iter().next().flatten()) {
                let sql = format!(
                    "SELECT CAST(count(*) AS TEXT) FROM (SELECT 1 FROM {} LIMIT {})",
                    crate::dialect::common::quote_ident_ansi(&name),
                    crate::lint::ERROR_FROM_ROWS
                );
                let count = session::query_text(&mut self.conn, &sql).await?;
                if let Some(n) =
                    count.first().and_then(|row| row.first()).cloned().flatten().and_then(|n| n.parse().ok())
                {
                    rows.insert(name, n);
                }
            }
            Ok(rows)
        })
    }

    fn close(self: Box<Self>) -> BoxFuture<'static, Result<(), sqlx::Error>> {
        Box::pin(async move { self.conn.close().await })
    }
}
