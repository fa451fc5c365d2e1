//! A MySQL / MariaDB migration session: one connection holding a named lock (`GET_LOCK`) for
//! the whole run. The lock belongs to the connection, so it is released when the process
//! dies, and its name is derived from the database and the version table, so two
//! applications with their own version tables, or two databases on one server, do not wait
//! for each other.
//!
//! The connection behaves like a plain `mysql` client, so that a `--sql` script fed to one
//! does what the online run does: `||` keeps its MySQL meaning (no `PIPES_AS_CONCAT`) and the
//! server's time zone is left alone.

use std::str::FromStr;

use sqlx::mysql::{MySqlConnectOptions, MySqlConnection};
use sqlx::{AssertSqlSafe, Connection, Row};

use crate::dialect::common::session;
use crate::dialect::mysql::text::quote_literal;
use crate::dialect::mysql::{MySql, Server, introspect, normalize};
use crate::dialect::{
    BoxFuture, Dialect, IntrospectError, IntrospectOptions, Session, SessionOptions, TextRows, UuidStorage,
};
use crate::schema::Schema;

struct MySqlSession {
    conn: MySqlConnection,
    uuid: UuidStorage,
    server: Server,
    lock_name: String,
    lock_timeout_secs: u64,
}

/// Connects to `url` (`mysql://` or `mariadb://`).
pub(crate) async fn connect(url: &str, options: &SessionOptions) -> Result<Box<dyn Session>, sqlx::Error> {
    let connect_options = MySqlConnectOptions::from_str(url)?.pipes_as_concat(false).timezone(None);
    let mut conn = MySqlConnection::connect_with(&connect_options).await?;
    let row = sqlx::raw_sql(AssertSqlSafe("SELECT VERSION(), DATABASE()")).fetch_one(&mut conn).await?;
    let version: String = row.try_get_unchecked(0)?;
    let database: Option<String> = row.try_get_unchecked(1)?;
    let Some(database) = database else {
        conn.close().await.ok();
        return Err(sqlx::Error::Configuration(
            "the MySQL URL names no database; write mysql://user@host:3306/<database>".into(),
        ));
    };
    Ok(Box::new(MySqlSession {
        conn,
        uuid: options.dialect.mysql_uuid,
        server: Server::from_version(&version),
        lock_name: lock_name(&database, &options.tables.version_table),
        lock_timeout_secs: options.lock_timeout_secs,
    }))
}

/// The lock's name: MySQL's locks are server-wide and their names at most 64 characters.
fn lock_name(database: &str, version_table: &str) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(format!("{database}/{version_table}").as_bytes());
    let hex: String = digest[..16].iter().map(|b| format!("{b:02x}")).collect();
    format!("aludel:{hex}")
}

impl Session for MySqlSession {
    fn dialect(&self) -> &'static dyn Dialect {
        MySql::with_uuid(self.uuid)
    }

    fn execute<'a>(&'a mut self, sql: &'a str) -> BoxFuture<'a, Result<(), sqlx::Error>> {
        session::execute(&mut self.conn, sql)
    }

    fn query_text<'a>(&'a mut self, sql: &'a str) -> BoxFuture<'a, Result<TextRows, sqlx::Error>> {
        // Plain queries use MySQL's text protocol: every value arrives as text.
        session::query_text(&mut self.conn, sql)
    }

    fn lock(&mut self) -> BoxFuture<'_, Result<(), sqlx::Error>> {
        Box::pin(async move {
            let sql = format!("SELECT GET_LOCK({}, {})", quote_literal(&self.lock_name), self.lock_timeout_secs);
            let row = sqlx::raw_sql(AssertSqlSafe(sql)).fetch_one(&mut self.conn).await?;
            let got: Option<String> = row.try_get_unchecked(0)?;
            match got.as_deref() {
                Some("1") => Ok(()),
                _ => Err(sqlx::Error::InvalidArgument(format!(
                    "another run held the migration lock `{}` for {}s, the lock timeout; wait for it to finish, or \
                     raise `lock_timeout` in aludel.toml",
                    self.lock_name, self.lock_timeout_secs
                ))),
            }
        })
    }

    fn unlock(&mut self) -> BoxFuture<'_, Result<(), sqlx::Error>> {
        Box::pin(async move {
            let sql = format!("DO RELEASE_LOCK({})", quote_literal(&self.lock_name));
            session::execute(&mut self.conn, &sql).await
        })
    }

    fn introspect<'a>(&'a mut self, options: &'a IntrospectOptions) -> BoxFuture<'a, Result<Schema, IntrospectError>> {
        let server = self.server;
        Box::pin(introspect::read(self, server, options))
    }

    fn normalize<'a>(&'a mut self, models: &'a Schema) -> BoxFuture<'a, Result<Schema, IntrospectError>> {
        let server = self.server;
        Box::pin(normalize::normalize_on(self, server, models))
    }

    fn normalize_database(&self, database: Schema, models: &Schema) -> Schema {
        normalize::normalize_database(database, models)
    }

    fn table_rows(&mut self) -> BoxFuture<'_, Result<std::collections::BTreeMap<String, u64>, sqlx::Error>> {
        // InnoDB's estimate; NULL for views and tables it has not measured.
        const SQL: &str = "SELECT table_name, CAST(table_rows AS CHAR) FROM information_schema.tables \
                           WHERE table_schema = DATABASE() AND table_type = 'BASE TABLE' AND table_rows IS NOT NULL";
        Box::pin(async move { session::query_text(&mut self.conn, SQL).await.map(session::rows_by_name) })
    }

    fn close(self: Box<Self>) -> BoxFuture<'static, Result<(), sqlx::Error>> {
        Box::pin(async move { self.conn.close().await })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lock_names_fit_mysql_and_tell_databases_apart() {
        let a = lock_name("app", "aludel_version");
        assert!(a.len() <= 64, "{a}");
        assert_ne!(a, lock_name("other", "aludel_version"));
        assert_ne!(a, lock_name("app", "other_version"));
        assert_eq!(Server::from_version("10.11.19-MariaDB-0+deb12u1"), Server::MariaDb);
        assert_eq!(Server::from_version("8.0.36"), Server::MySql);
    }
}
