//! What the workspace's integration tests share: [`TestDb`], a database that exists for one
//! test, on a real PostgreSQL or MySQL / MariaDB server or in a SQLite file in a temporary
//! folder, and is dropped when the test ends.
//!
//! [`Servers`] says where the databases live. aludel's tests read `ALUDEL_TEST_POSTGRES_URL`
//! (default `postgresql://postgres@127.0.0.1:5432/postgres`) and `ALUDEL_TEST_MYSQL_URL`
//! (default `mysql://root@127.0.0.1:3306/mysql`); a crate with variables of its own (the
//! blog's `BLOG_TEST_POSTGRES_URL`) names them in a `Servers` of its own. An unreachable server
//! fails the test with how to start it: a test never skips.
//!
//! What only one crate's tests need (a project folder, the blog's app, an entity set, a
//! session that counts its queries) stays in that crate's `tests/common/`.
//!
//! ```no_run
//! # async fn example() {
//! use aludel::dialect::Backend;
//! use aludel_test_support::TestDb;
//!
//! let db = TestDb::new(Backend::Postgres).await;
//! db.execute("CREATE TABLE notes (id integer)").await;
//! assert_eq!(db.query("SELECT count(*) FROM notes").await, [[Some("0".to_owned())]]);
//! # }
//! ```

#![warn(missing_docs)]

#[cfg(not(any(feature = "postgres", feature = "sqlite", feature = "mysql")))]
compile_error!("aludel-test-support needs a backend: enable `postgres`, `sqlite` or `mysql`");

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use aludel::dialect::{Backend, IntrospectOptions, Session};
use aludel::ops::Op;
use aludel::schema::Schema;

/// Where a crate's test databases live and what they are called.
#[derive(Debug, Clone, Copy)]
pub struct Servers {
    /// The start of every database's name, so that one left behind says whose it is.
    pub prefix: &'static str,
    /// The variable naming the PostgreSQL server's admin URL, which ends in `/<database>`.
    pub postgres_var: &'static str,
    /// The variable naming the MySQL / MariaDB server's admin URL, which ends in `/<database>`.
    pub mysql_var: &'static str,
    /// Appended to a SQLite database's URL: `?mode=rwc` where a connection pool must create
    /// the file itself.
    pub sqlite_query: &'static str,
}

const DEFAULT_POSTGRES_URL: &str = "postgresql://postgres@127.0.0.1:5432/postgres";
const DEFAULT_MYSQL_URL: &str = "mysql://root@127.0.0.1:3306/mysql";

impl Servers {
    /// aludel's test servers: `ALUDEL_TEST_POSTGRES_URL` and `ALUDEL_TEST_MYSQL_URL`.
    pub const ALUDEL: Servers = Servers {
        prefix: "aludel_test",
        postgres_var: "ALUDEL_TEST_POSTGRES_URL",
        mysql_var: "ALUDEL_TEST_MYSQL_URL",
        sqlite_query: "",
    };

    /// The admin URL of the PostgreSQL server: the variable's value, or the local default.
    pub fn postgres_url(&self) -> String {
        std::env::var(self.postgres_var).unwrap_or_else(|_| DEFAULT_POSTGRES_URL.to_owned())
    }

    /// The admin URL of the MySQL / MariaDB server: the variable's value, or the local default.
    pub fn mysql_url(&self) -> String {
        std::env::var(self.mysql_var).unwrap_or_else(|_| DEFAULT_MYSQL_URL.to_owned())
    }
}

/// A database that exists for one test: created empty, dropped (or its folder deleted) when
/// the value is.
pub struct TestDb {
    /// The database's URL.
    pub url: String,
    /// Its backend.
    pub backend: Backend,
    /// The database's name on a server; `None` for SQLite.
    server: Option<Server>,
    /// The folder that holds a SQLite file.
    _dir: Option<tempfile::TempDir>,
}

/// A server database, and what dropping it takes.
struct Server {
    name: String,
    admin: String,
}

/// A name no other test of any process uses at the same time.
fn unique_name(prefix: &str) -> String {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.subsec_nanos());
    format!("{prefix}_{}_{}_{nanos}", std::process::id(), COUNTER.fetch_add(1, Ordering::Relaxed))
}

/// The URL of database `name` on the server of `admin`, which ends in `/<database>`.
#[cfg(any(feature = "postgres", feature = "mysql"))]
fn sibling_url(admin: &str, name: &str, variable: &str) -> String {
    match admin.rsplit_once('/') {
        Some((server, _)) if server.contains("://") => format!("{server}/{name}"),
        _ => panic!("{variable} must be a URL ending in /<database>, not {}", aludel::url::redact(admin)),
    }
}

/// A backend's server as a message names it, and how to start one.
#[cfg(any(feature = "postgres", feature = "mysql"))]
fn server(backend: Backend) -> (&'static str, &'static str) {
    match backend {
        #[cfg(feature = "postgres")]
        Backend::Postgres => (
            "PostgreSQL",
            "`pg_ctlcluster 15 main start`, or `docker run -p 5432:5432 -e POSTGRES_HOST_AUTH_METHOD=trust postgres`",
        ),
        #[cfg(feature = "mysql")]
        Backend::MySql => (
            "MySQL / MariaDB",
            "`start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd`, or \
             `docker run -p 3306:3306 -e MARIADB_ALLOW_EMPTY_ROOT_PASSWORD=1 mariadb`",
        ),
        _ => (backend.dialect().name(), "its service"),
    }
}

/// A session on the server of `admin`, or a panic that says how to start the server.
#[cfg(any(feature = "postgres", feature = "mysql"))]
async fn admin_session(backend: Backend, admin: &str, variable: &str) -> Box<dyn Session> {
    backend.connect(admin, &Default::default()).await.unwrap_or_else(|err| {
        let (server, start) = server(backend);
        panic!(
            "cannot reach {server} at {}: {err}\nrun the tests with `scripts/test`, which starts a throwaway server \
             when {variable} is unset and none answers at its default; or start one (e.g. {start}), or point \
             {variable} at a server where the user may create databases",
            aludel::url::redact(admin),
        )
    })
}

/// `name` quoted as an identifier of `backend`.
fn quoted(backend: Backend, name: &str) -> String {
    backend.dialect().quote_ident(name)
}

impl TestDb {
    /// Creates an empty database on `backend`, on aludel's test servers ([`Servers::ALUDEL`]).
    pub async fn new(backend: Backend) -> TestDb {
        TestDb::on(backend, &Servers::ALUDEL).await
    }

    /// Creates an empty database on `backend`, on `servers`.
    pub async fn on(backend: Backend, servers: &Servers) -> TestDb {
        let name = unique_name(servers.prefix);
        match backend {
            #[cfg(feature = "postgres")]
            Backend::Postgres => TestDb::create(backend, &servers.postgres_url(), servers.postgres_var, name).await,
            #[cfg(feature = "mysql")]
            Backend::MySql => TestDb::create(backend, &servers.mysql_url(), servers.mysql_var, name).await,
            #[cfg(feature = "sqlite")]
            Backend::Sqlite => {
                let dir = tempfile::tempdir().expect("a temporary folder");
                let path = dir.path().join(format!("{name}.db"));
                // An empty file is an empty database, as `CREATE DATABASE` makes one on a server.
                std::fs::File::create(&path).expect("create the database file");
                let url = format!("sqlite://{}{}", path.display(), servers.sqlite_query);
                TestDb { url, backend, server: None, _dir: Some(dir) }
            }
            _ => panic!("aludel-test-support is built without the {} feature", backend.dialect().name()),
        }
    }

    /// Creates database `name` on the server of `admin`, which `variable` names.
    #[cfg(any(feature = "postgres", feature = "mysql"))]
    async fn create(backend: Backend, admin: &str, variable: &str, name: String) -> TestDb {
        let url = sibling_url(admin, &name, variable);
        let mut session = admin_session(backend, admin, variable).await;
        let sql = format!("CREATE DATABASE {}", quoted(backend, &name));
        session.execute(&sql).await.unwrap_or_else(|err| {
            panic!("cannot create a test database on {}: {err}\n{sql}", aludel::url::redact(admin))
        });
        session.close().await.ok();
        TestDb { url, backend, server: Some(Server { name, admin: admin.to_owned() }), _dir: None }
    }

    /// A migration session on the database.
    pub async fn session(&self) -> Box<dyn Session> {
        self.backend.connect(&self.url, &Default::default()).await.expect("connect to the test database")
    }

    /// Runs SQL that returns nothing (one statement or several).
    pub async fn execute(&self, sql: &str) {
        if let Err(err) = self.try_execute(sql).await {
            panic!("{sql}: {err}");
        }
    }

    /// Runs SQL that returns nothing, giving back the database's error.
    pub async fn try_execute(&self, sql: &str) -> Result<(), String> {
        let mut session = self.session().await;
        let result = session.execute(sql).await.map_err(|err| err.to_string());
        session.close().await.ok();
        result
    }

    /// Runs a query and returns every cell as text (`NULL` as `None`).
    pub async fn query(&self, sql: &str) -> Vec<Vec<Option<String>>> {
        let mut session = self.session().await;
        let rows = session.query_text(sql).await.unwrap_or_else(|err| panic!("{sql}: {err}"));
        session.close().await.ok();
        rows
    }

    /// Renders `ops` for the database one after the other, starting from the schema
    /// `before`, runs every statement, and returns the schema the ops lead to.
    pub async fn run(&self, before: &Schema, ops: &[Op]) -> Schema {
        let dialect = self.backend.dialect();
        let mut session = self.session().await;
        let mut schema = before.clone();
        for op in ops {
            let statements =
                dialect.render(op, &schema).unwrap_or_else(|err| panic!("render {}: {err}", op.describe()));
            for statement in statements {
                session
                    .execute(&statement.sql)
                    .await
                    .unwrap_or_else(|err| panic!("{}: {err}\n{statement}", op.describe()));
            }
            schema.apply(op).unwrap_or_else(|err| panic!("apply {}: {err}", op.describe()));
        }
        session.close().await.ok();
        schema
    }

    /// The database's schema, read back by aludel.
    pub async fn introspect(&self) -> Schema {
        let mut session = self.session().await;
        let schema = session.introspect(&IntrospectOptions::default()).await.expect("introspect the test database");
        session.close().await.ok();
        schema
    }

    /// `models` restated in the database's own spellings.
    pub async fn normalize(&self, models: &Schema) -> Schema {
        let mut session = self.session().await;
        let schema = session.normalize(models).await.unwrap_or_else(|err| panic!("normalize the models: {err}"));
        session.close().await.ok();
        schema
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let Some(Server { name, admin }) = self.server.take() else { return };
        let backend = self.backend;
        #[cfg_attr(not(feature = "postgres"), allow(unused_mut))]
        let mut sql = format!("DROP DATABASE IF EXISTS {}", quoted(backend, &name));
        #[cfg(feature = "postgres")]
        if backend == Backend::Postgres {
            // Connections a failed test left open would keep the database otherwise.
            sql.push_str(" WITH (FORCE)");
        }
        // Drop runs inside the test's runtime, which cannot be blocked on: a thread with a
        // runtime of its own does the dropping.
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
            runtime.block_on(async move {
                let mut session = backend.connect(&admin, &Default::default()).await.map_err(std::io::Error::other)?;
                session.execute(&sql).await.map_err(std::io::Error::other)?;
                session.close().await.map_err(std::io::Error::other)
            })
        })
        .join();
        match dropped {
            Ok(Ok(())) => {}
            Ok(Err(err)) => eprintln!("warning: could not drop test database {name}: {err}"),
            Err(_) => eprintln!("warning: could not drop test database {name}: the dropping thread panicked"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The names of the databases on the server of `admin` that start with `prefix`.
    #[cfg(any(feature = "postgres", feature = "mysql"))]
    async fn databases(backend: Backend, admin: &str, prefix: &str) -> Vec<String> {
        let sql = match backend {
            #[cfg(feature = "mysql")]
            Backend::MySql => {
                format!("SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME LIKE '{prefix}%'")
            }
            _ => format!("SELECT datname FROM pg_database WHERE datname LIKE '{prefix}%'"),
        };
        let mut session = admin_session(backend, admin, "the test").await;
        let rows = session.query_text(&sql).await.expect("list the databases");
        session.close().await.ok();
        rows.into_iter().filter_map(|row| row.into_iter().next().flatten()).collect()
    }

    /// Each server database is created empty under its own name and is gone once dropped.
    #[cfg(any(feature = "postgres", feature = "mysql"))]
    async fn check_server(backend: Backend, servers: &Servers) {
        let admin = match backend {
            #[cfg(feature = "mysql")]
            Backend::MySql => servers.mysql_url(),
            _ => servers.postgres_url(),
        };
        let prefix = "aludel_support_check";
        let servers = Servers { prefix, ..*servers };
        let first = TestDb::on(backend, &servers).await;
        let second = TestDb::on(backend, &servers).await;
        assert_ne!(first.url, second.url);
        first.execute("CREATE TABLE notes (id integer)").await;
        assert_eq!(first.query("SELECT count(*) FROM notes").await, [[Some("0".to_owned())]]);
        assert!(second.try_execute("SELECT id FROM notes").await.is_err(), "the second database is empty");
        let name = first.url.rsplit_once('/').map(|(_, name)| name.to_owned()).expect("a server URL");
        assert!(databases(backend, &admin, &name).await.contains(&name));
        drop(first);
        drop(second);
        let left: Vec<String> = databases(backend, &admin, &name).await;
        assert!(left.is_empty(), "left behind: {left:?}");
    }

    #[cfg(feature = "postgres")]
    #[tokio::test]
    async fn a_postgresql_database_is_created_empty_and_dropped() {
        check_server(Backend::Postgres, &Servers::ALUDEL).await;
    }

    #[cfg(feature = "mysql")]
    #[tokio::test]
    async fn a_mysql_database_is_created_empty_and_dropped() {
        check_server(Backend::MySql, &Servers::ALUDEL).await;
    }

    #[cfg(feature = "sqlite")]
    #[tokio::test]
    async fn a_sqlite_database_is_a_file_whose_folder_goes_with_it() {
        let servers = Servers { sqlite_query: "?mode=rwc", ..Servers::ALUDEL };
        let db = TestDb::on(Backend::Sqlite, &servers).await;
        assert!(db.url.starts_with("sqlite://") && db.url.ends_with(".db?mode=rwc"), "{}", db.url);
        let path = std::path::PathBuf::from(db.url.trim_start_matches("sqlite://").trim_end_matches("?mode=rwc"));
        db.execute("CREATE TABLE notes (id integer)").await;
        assert!(path.is_file(), "{}", path.display());
        drop(db);
        assert!(!path.parent().expect("a folder").exists(), "{} is left behind", path.display());
    }

    /// The panic message of a future that must panic.
    #[cfg(feature = "postgres")]
    async fn panic_of<F: std::future::Future<Output = TestDb> + Send + 'static>(future: F) -> String {
        let err = tokio::spawn(future).await.err().expect("the future panics");
        let payload = err.into_panic();
        payload
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| payload.downcast_ref::<&str>().map(|s| (*s).to_owned()))
            .expect("a panic message")
    }

    #[cfg(feature = "postgres")]
    #[tokio::test]
    async fn an_unreachable_server_fails_with_how_to_start_it() {
        let admin = "postgresql://postgres:hunter2@127.0.0.1:1/postgres";
        let message = panic_of(TestDb::create(Backend::Postgres, admin, "ALUDEL_TEST_POSTGRES_URL", "x".into())).await;
        assert!(message.starts_with("cannot reach PostgreSQL at postgresql://postgres:"), "{message}");
        assert!(!message.contains("hunter2"), "the password is redacted: {message}");
        assert!(message.contains("pg_ctlcluster 15 main start"), "{message}");
        assert!(message.contains("point ALUDEL_TEST_POSTGRES_URL at a server"), "{message}");
    }

    #[cfg(any(feature = "postgres", feature = "mysql"))]
    #[test]
    fn a_database_url_is_its_servers_url_with_the_name() {
        assert_eq!(sibling_url("mysql://root@127.0.0.1:3306/mysql", "t1", "V"), "mysql://root@127.0.0.1:3306/t1");
        assert_eq!(sibling_url("postgresql://u:p@h/postgres", "t1", "V"), "postgresql://u:p@h/t1");
        let message = std::panic::catch_unwind(|| sibling_url("not a url", "t1", "V")).expect_err("refused");
        assert_eq!(
            message.downcast_ref::<String>().map(String::as_str),
            Some("V must be a URL ending in /<database>, not ***")
        );
    }

    #[test]
    fn names_are_unique_and_carry_the_prefix() {
        let (a, b) = (unique_name("p"), unique_name("p"));
        assert_ne!(a, b);
        assert!(a.starts_with(&format!("p_{}_", std::process::id())), "{a}");
    }
}
