//! Test support: a uniquely named database per test on a real server, dropped afterwards.
//!
//! PostgreSQL comes from `ALUDEL_TEST_POSTGRES_URL` (default
//! `postgresql://postgres@127.0.0.1:5432/postgres`), MySQL / MariaDB from
//! `ALUDEL_TEST_MYSQL_URL` (default `mysql://root@127.0.0.1:3306/mysql`); SQLite databases
//! are files in a temp folder. An unreachable server fails the test with instructions, never
//! skips it.

#![allow(dead_code, unreachable_pub)] // Each test binary uses a different part of this module.

pub mod counting;
pub mod random;

use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use aludel::dialect::Backend;
use sqlx::{AssertSqlSafe, Connection};

const DEFAULT_POSTGRES_URL: &str = "postgresql://postgres@127.0.0.1:5432/postgres";
const DEFAULT_MYSQL_URL: &str = "mysql://root@127.0.0.1:3306/mysql";

/// The admin URL of the PostgreSQL server the tests use.
pub fn postgres_admin_url() -> String {
    std::env::var("ALUDEL_TEST_POSTGRES_URL").unwrap_or_else(|_| DEFAULT_POSTGRES_URL.to_owned())
}

/// The admin URL of the MySQL / MariaDB server the tests use.
pub fn mysql_admin_url() -> String {
    std::env::var("ALUDEL_TEST_MYSQL_URL").unwrap_or_else(|_| DEFAULT_MYSQL_URL.to_owned())
}

/// Connects to the MySQL server as its admin, or fails with how to start it.
async fn mysql_admin() -> sqlx::MySqlConnection {
    let admin = mysql_admin_url();
    sqlx::MySqlConnection::connect(&admin).await.unwrap_or_else(|err| {
        panic!(
            "cannot reach MySQL / MariaDB at {}: {err}\nrun the tests with `scripts/test`, which starts a throwaway \
             server when ALUDEL_TEST_MYSQL_URL is unset and none answers at its default; or start one (e.g. \
             `start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd`), or point \
             ALUDEL_TEST_MYSQL_URL at a server where the user may create databases",
            aludel::url::redact(&admin)
        )
    })
}

/// The URL of database `name` on the server of `admin` (which ends in `/<database>`).
fn sibling_url(admin: &str, name: &str, variable: &str) -> String {
    match admin.rsplit_once('/') {
        Some((server, _)) if server.contains("://") => format!("{server}/{name}"),
        _ => panic!("{variable} must end in /<database>"),
    }
}

/// A database that exists for one test.
pub struct TestDb {
    /// URL of the test database.
    pub url: String,
    /// Its backend.
    pub backend: Backend,
    name: String,
    dir: Option<tempfile::TempDir>,
}

fn unique_name() -> String {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH).expect("clock after 1970").subsec_nanos();
    format!("aludel_test_{}_{}_{nanos}", std::process::id(), COUNTER.fetch_add(1, Ordering::Relaxed))
}

impl TestDb {
    /// Creates an empty database on `backend`.
    pub async fn new(backend: Backend) -> TestDb {
        let name = unique_name();
        match backend {
            Backend::Postgres => {
                let admin = postgres_admin_url();
                let mut conn = sqlx::PgConnection::connect(&admin).await.unwrap_or_else(|err| {
                    panic!(
                        "cannot reach PostgreSQL at {}: {err}\nrun the tests with `scripts/test`, which starts a \
                         throwaway server when ALUDEL_TEST_POSTGRES_URL is unset and none answers at its default; \
                         or start one (e.g. `pg_ctlcluster 15 main start`), or point ALUDEL_TEST_POSTGRES_URL at a \
                         server where the user may create databases",
                        aludel::url::redact(&admin)
                    )
                });
                sqlx::raw_sql(AssertSqlSafe(format!("CREATE DATABASE \"{name}\"")))
                    .execute(&mut conn)
                    .await
                    .expect("create test database");
                conn.close().await.ok();
                let url = sibling_url(&admin, &name, "ALUDEL_TEST_POSTGRES_URL");
                TestDb { url, backend, name, dir: None }
            }
            Backend::MySql => {
                let mut conn = mysql_admin().await;
                sqlx::raw_sql(AssertSqlSafe(format!("CREATE DATABASE `{name}`")))
                    .execute(&mut conn)
                    .await
                    .expect("create test database");
                conn.close().await.ok();
                let url = sibling_url(&mysql_admin_url(), &name, "ALUDEL_TEST_MYSQL_URL");
                TestDb { url, backend, name, dir: None }
            }
            Backend::Sqlite => {
                let dir = tempfile::tempdir().expect("temp dir");
                let path = dir.path().join(format!("{name}.db"));
                TestDb { url: format!("sqlite://{}", path.display()), backend, name, dir: Some(dir) }
            }
            #[allow(unreachable_patterns)] // Other backends are behind features.
            _ => panic!("no test database for {backend:?}"),
        }
    }

    /// The folder that holds a SQLite database; `None` on server backends.
    pub fn dir(&self) -> Option<PathBuf> {
        self.dir.as_ref().map(|d| d.path().to_owned())
    }

    /// Runs SQL that returns nothing.
    pub async fn execute(&self, sql: &str) {
        let mut session = self.backend.connect(&self.url, &Default::default()).await.expect("connect");
        session.execute(sql).await.unwrap_or_else(|e| panic!("{sql}: {e}"));
        session.close().await.ok();
    }

    /// Runs SQL that returns nothing, giving back the database's error.
    pub async fn try_execute(&self, sql: &str) -> Result<(), String> {
        let mut session = self.backend.connect(&self.url, &Default::default()).await.expect("connect");
        let result = session.execute(sql).await.map_err(|e| e.to_string());
        session.close().await.ok();
        result
    }

    /// Runs a query and returns every cell as text.
    pub async fn query(&self, sql: &str) -> Vec<Vec<Option<String>>> {
        let mut session = self.backend.connect(&self.url, &Default::default()).await.expect("connect");
        let rows = session.query_text(sql).await.unwrap_or_else(|e| panic!("{sql}: {e}"));
        session.close().await.ok();
        rows
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let backend = self.backend;
        if !matches!(backend, Backend::Postgres | Backend::MySql) {
            return;
        }
        let name = self.name.clone();
        // Drop runs inside the test's runtime, which cannot be blocked on: use a thread.
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
            runtime.block_on(async move {
                if backend == Backend::MySql {
                    let mut conn = sqlx::MySqlConnection::connect(&mysql_admin_url()).await?;
                    sqlx::raw_sql(AssertSqlSafe(format!("DROP DATABASE IF EXISTS `{name}`")))
                        .execute(&mut conn)
                        .await?;
                    return conn.close().await;
                }
                let mut conn = sqlx::PgConnection::connect(&postgres_admin_url()).await?;
                sqlx::raw_sql(AssertSqlSafe(format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)")))
                    .execute(&mut conn)
                    .await?;
                conn.close().await
            })
        })
        .join();
        if !matches!(dropped, Ok(Ok(()))) {
            eprintln!("warning: could not drop test database {}", self.name);
        }
    }
}

/// Every backend the tests run on.
pub fn backends() -> Vec<Backend> {
    Backend::ALL.to_vec()
}
