//! A PostgreSQL migration session: one connection holding a session-level advisory lock for
//! the whole run, so even revisions that run outside a transaction are protected.

use sqlx::{Connection, PgConnection};

use crate::dialect::common::session;
use crate::dialect::{
    BoxFuture, Dialect, Focus, IntrospectError, IntrospectOptions, Session, SessionOptions, TextRows,
};
use crate::schema::Schema;

use super::{Postgres, introspect};

struct PgSession {
    conn: PgConnection,
    lock_key: i64,
    lock_timeout_secs: u64,
    /// The options the focused digest is prepared for on this connection, once it is.
    digest_prepared: Option<IntrospectOptions>,
}

/// The prepared focused digest's name.
const FOCUSED_DIGEST: &str = "aludel_focused_digest";

/// Connects to `url`.
pub(crate) async fn connect(url: &str, options: &SessionOptions) -> Result<Box<dyn Session>, sqlx::Error> {
    let conn = PgConnection::connect(url).await?;
    Ok(Box::new(PgSession {
        conn,
        lock_key: lock_key(&options.tables.version_table),
        lock_timeout_secs: options.lock_timeout_secs,
        digest_prepared: None,
    }))
}

/// For a URL query parameter that carries a secret sqlx does not read, what to write
/// instead: sqlx ignores such a parameter and logs it at `warn`, value included. Only
/// `password`, spelled so, is read.
pub(crate) fn unread_secret_parameter(key: &str) -> Option<&'static str> {
    match key.to_ascii_lowercase().as_str() {
        "password" if key != "password" => Some("write it `password`, in lower case"),
        "sslpassword" => Some(
            "the driver cannot decrypt a client key: decrypt it (`openssl pkey -in key.pem -out plain.pem`) and name the plain file with `sslkey`",
        ),
        "passfile" => Some("set the PGPASSFILE environment variable to the file instead, which the driver reads"),
        _ => None,
    }
}

/// The advisory lock key: derived from the version table's name, so two applications
/// sharing a database with different version tables do not wait for each other.
fn lock_key(version_table: &str) -> i64 {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(format!("aludel:{version_table}").as_bytes());
    i64::from_be_bytes(digest[..8].try_into().expect("a SHA-256 digest has 32 bytes"))
}

impl Session for PgSession {
    fn dialect(&self) -> &'static dyn Dialect {
        &Postgres
    }

    fn execute<'a>(&'a mut self, sql: &'a str) -> BoxFuture<'a, Result<(), sqlx::Error>> {
        session::execute(&mut self.conn, sql)
    }

    fn query_text<'a>(&'a mut self, sql: &'a str) -> BoxFuture<'a, Result<TextRows, sqlx::Error>> {
        session::query_text(&mut self.conn, sql)
    }

    fn lock(&mut self) -> BoxFuture<'_, Result<(), sqlx::Error>> {
        Box::pin(async move {
            // lock_timeout bounds the wait for another replica's run; it is reset at once so
            // that it never applies to the migration's own DDL.
            let sql = format!(
                "SET lock_timeout = '{}s'; SELECT pg_advisory_lock({}); RESET lock_timeout",
                self.lock_timeout_secs, self.lock_key
            );
            session::execute(&mut self.conn, &sql).await
        })
    }

    fn unlock(&mut self) -> BoxFuture<'_, Result<(), sqlx::Error>> {
        Box::pin(async move {
            let sql = format!("SELECT pg_advisory_unlock({})", self.lock_key);
            session::execute(&mut self.conn, &sql).await
        })
    }

    fn introspect<'a>(&'a mut self, options: &'a IntrospectOptions) -> BoxFuture<'a, Result<Schema, IntrospectError>> {
        Box::pin(super::introspect::introspect(self, options))
    }

    fn fingerprint<'a>(
        &'a mut self,
        options: &'a IntrospectOptions,
        focus: Option<&'a Focus>,
    ) -> BoxFuture<'a, Result<Option<String>, IntrospectError>> {
        Box::pin(async move {
            let Some(focus) = focus else {
                return introspect::fingerprint(self, options).await.map(Some);
            };
            if self.digest_prepared.as_ref() != Some(options) {
                let mut sql = String::new();
                if self.digest_prepared.is_some() {
                    sql.push_str(&format!("DEALLOCATE {FOCUSED_DIGEST}; "));
                }
                // A generic plan, made once: the parameters never change the best plan much.
                sql.push_str("SET plan_cache_mode = force_generic_plan; ");
                sql.push_str(&introspect::prepare_focused_fingerprint(FOCUSED_DIGEST, options));
                session::execute(&mut self.conn, &sql)
                    .await
                    .map_err(|source| IntrospectError::Query { what: "schema digest", source })?;
                self.digest_prepared = Some(options.clone());
            }
            let sql = introspect::execute_focused_fingerprint(FOCUSED_DIGEST, focus);
            let rows = session::query_text(&mut self.conn, &sql)
                .await
                .map_err(|source| IntrospectError::Query { what: "schema digest", source })?;
            introspect::first_cell(rows).map(Some)
        })
    }

    fn normalize<'a>(&'a mut self, models: &'a Schema) -> BoxFuture<'a, Result<Schema, IntrospectError>> {
        Box::pin(super::normalize::normalize(self, models))
    }

    fn table_rows(&mut self) -> BoxFuture<'_, Result<std::collections::BTreeMap<String, u64>, sqlx::Error>> {
        // `reltuples` is -1 until the table is first analyzed or vacuumed: unknown, not empty.
        const SQL: &str = "SELECT c.relname, c.reltuples::bigint::text FROM pg_class c \
                           JOIN pg_namespace n ON n.oid = c.relnamespace \
                           WHERE c.relkind IN ('r', 'p') AND n.nspname = current_schema() AND c.reltuples >= 0";
        Box::pin(async move { session::query_text(&mut self.conn, SQL).await.map(session::rows_by_name) })
    }

    fn close(self: Box<Self>) -> BoxFuture<'static, Result<(), sqlx::Error>> {
        Box::pin(async move { self.conn.close().await })
    }
}
