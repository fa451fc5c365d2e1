//! Throwaway databases: `CREATE DATABASE <prefix>_<random>` on a server, or a SQLite file in
//! the temporary folder, dropped when the work on it ends, fails, panics or is interrupted
//! (the value's `Drop` does it when nothing dropped it before). `aludel test` and `aludel
//! trace` make theirs here.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::Error;
use crate::config::Config;
use crate::dialect::client::with_database;
use crate::dialect::{Backend, Session};
use crate::url::DatabaseUrl;

/// A throwaway database could not be made or dropped.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ScratchError {
    /// A server URL whose database part cannot be replaced with a throwaway one.
    #[error("`{url}` does not name a server as `scheme://user@host:port/database`; give a URL of that shape")]
    ServerUrl {
        /// The URL, password hidden.
        url: String,
    },
    /// The server refused to create the throwaway database.
    #[error(
        "could not create the throwaway database `{name}` on {server}; the user must be allowed to create databases \
         (PostgreSQL: CREATEDB; MySQL: CREATE), or name a server where it is"
    )]
    Create {
        /// The server, password hidden.
        server: String,
        /// The database's name.
        name: String,
        /// The database's error.
        #[source]
        source: crate::runtime::DatabaseError,
    },
    /// The throwaway database could not be dropped.
    #[error("could not drop the throwaway database `{name}` on {server}; drop it by hand")]
    Drop {
        /// The server, password hidden.
        server: String,
        /// The database's name.
        name: String,
        /// The database's error.
        #[source]
        source: crate::runtime::DatabaseError,
    },
}

/// The pauses after which an interrupted run drops its throwaway database again, for a
/// creation the server was still running when the run stopped.
const LATE_CREATE_WAITS: [std::time::Duration; 3] = [
    std::time::Duration::from_millis(200),
    std::time::Duration::from_millis(400),
    std::time::Duration::from_millis(800),
];

/// A database that exists for one run.
#[derive(Debug)]
pub(crate) struct ScratchDatabase {
    /// Its URL, password included: for the driver and the client only.
    url: DatabaseUrl,
    /// Its name (`<prefix>_...`), also the SQLite file's stem.
    name: String,
    /// What dropping it takes.
    cleanup: Option<Cleanup>,
}

#[derive(Debug)]
enum Cleanup {
    /// `DROP DATABASE` through the server's URL.
    Server { admin: DatabaseUrl, drop_sql: String, name: String },
    /// The file and its journals.
    File(PathBuf),
}

/// A name no other run of any process uses at the same time.
fn unique_name(prefix: &str) -> String {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_nanos());
    let counter = COUNTER.fetch_add(1, Ordering::Relaxed);
    format!("{prefix}_{:x}{:x}{counter:x}", std::process::id(), nanos & 0xffff_ffff_ffff)
}

impl ScratchDatabase {
    /// Creates an empty database named `<prefix>_<random>` on the server `server` names (a
    /// SQLite URL: a file in the temporary folder).
    pub(crate) async fn create(server: &DatabaseUrl, config: &Config, prefix: &str) -> Result<ScratchDatabase, Error> {
        let name = unique_name(prefix);
        let dialect = server.backend().dialect();
        let create = dialect.create_database(&name);
        if create.is_empty() {
            let path = std::env::temp_dir().join(format!("{name}.db"));
            let url = DatabaseUrl::parse(&format!("sqlite://{}?mode=rwc", path.display()))
                .map_err(|_| ScratchError::ServerUrl { url: server.to_string() })?;
            return Ok(ScratchDatabase { url, name, cleanup: Some(Cleanup::File(path)) });
        }
        let url = with_database(server.expose(), &name)
            .and_then(|url| DatabaseUrl::parse(&url).ok())
            .ok_or_else(|| ScratchError::ServerUrl { url: server.to_string() })?;
        let (admin, mut session) = connect_to_server(server, config).await?;
        let drop_sql = dialect.drop_database(&name).map(|s| s.sql).unwrap_or_default();
        // Armed before the first statement: a run interrupted between them (Ctrl-C drops
        // this future) still drops what exists by then.
        let mut scratch = ScratchDatabase {
            url,
            name: name.clone(),
            cleanup: Some(Cleanup::Server { admin, drop_sql: drop_sql.clone(), name: name.clone() }),
        };
        let mut created = Ok(());
        for (index, statement) in create.iter().enumerate() {
            created = session.execute(&statement.sql).await;
            if created.is_err() {
                if index > 0 {
                    // The database exists: leave nothing behind.
                    session.execute(&drop_sql).await.ok();
                }
                scratch.cleanup = None;
                break;
            }
        }
        session.close().await.ok();
        created.map_err(|source| ScratchError::Create {
            server: server.to_string(),
            name,
            source: crate::runtime::DatabaseError(source),
        })?;
        Ok(scratch)
    }

    /// The database's URL.
    pub(crate) fn url(&self) -> &DatabaseUrl {
        &self.url
    }

    /// Its name.
    pub(crate) fn name(&self) -> &str {
        &self.name
    }

    /// `config` pointed at this database.
    pub(crate) fn config(&self, config: &Config) -> Config {
        Config { database_url: Some(self.url.clone()), ..config.clone() }
    }

    /// Drops the database now, reporting a failure (the `Drop` fallback can only warn).
    pub(crate) async fn drop_now(mut self) -> Result<(), Error> {
        match self.cleanup.take() {
            Some(Cleanup::Server { admin, drop_sql, name }) => {
                let mut session =
                    admin.backend().connect(admin.expose(), &Default::default()).await.map_err(|source| {
                        crate::runtime::RuntimeError::Connect {
                            url: admin.to_string(),
                            source: crate::runtime::DatabaseError(source),
                        }
                    })?;
                let dropped = session.execute(&drop_sql).await;
                session.close().await.ok();
                dropped.map_err(|source| ScratchError::Drop {
                    server: admin.to_string(),
                    name,
                    source: crate::runtime::DatabaseError(source),
                })?;
                Ok(())
            }
            Some(Cleanup::File(path)) => {
                remove_sqlite_files(&path);
                Ok(())
            }
            None => Ok(()),
        }
    }
}

/// A session on the server of `server` to create databases from, and the URL it used: the
/// database `server` names, or, when that one cannot be reached (a CI server before the
/// application's database exists), the server's own (`postgres`, `mysql`).
async fn connect_to_server(server: &DatabaseUrl, config: &Config) -> Result<(DatabaseUrl, Box<dyn Session>), Error> {
    let first = match connect(server, config).await {
        Ok(session) => return Ok((server.clone(), session)),
        Err(error) => error,
    };
    let own = match server.backend() {
        #[cfg(feature = "postgres")]
        Backend::Postgres => "postgres",
        #[cfg(feature = "mysql")]
        Backend::MySql => "mysql",
        #[allow(unreachable_patterns)]
        _ => return Err(first),
    };
    let Some(maintenance) = with_database(server.expose(), own).and_then(|url| DatabaseUrl::parse(&url).ok()) else {
        return Err(first);
    };
    match connect(&maintenance, config).await {
        Ok(session) => Ok((maintenance, session)),
        Err(_) => Err(first),
    }
}

/// A migration session on `url`, with the project's session settings.
pub(crate) async fn connect(url: &DatabaseUrl, config: &Config) -> Result<Box<dyn Session>, Error> {
    url.backend().connect(url.expose(), &config.session_options()).await.map_err(|source| {
        crate::runtime::RuntimeError::Connect { url: url.to_string(), source: crate::runtime::DatabaseError(source) }
            .into()
    })
}

fn remove_sqlite_files(path: &std::path::Path) {
    for suffix in ["", "-journal", "-wal", "-shm"] {
        let mut file = path.as_os_str().to_owned();
        file.push(suffix);
        std::fs::remove_file(PathBuf::from(file)).ok();
    }
}

impl Drop for ScratchDatabase {
    fn drop(&mut self) {
        match self.cleanup.take() {
            None => {}
            Some(Cleanup::File(path)) => remove_sqlite_files(&path),
            Some(Cleanup::Server { admin, drop_sql, name: _ }) => {
                // Drop may run inside an async runtime, which cannot be blocked on: a thread
                // with a runtime of its own does the dropping. Its failure cannot be returned
                // from here, and library code does not print: the run that was cut short
                // already ends in an error (or a panic), and the database's name says whose
                // it is (`aludel_test_...`, `aludel_trace_...`) for whoever drops it by hand.
                //
                // A `CREATE DATABASE` cut short on the client's side still runs to its end on
                // the server, which may be after the first drop: the drop is repeated for a
                // moment (`IF EXISTS` makes each a no-op once it is gone).
                let _ = std::thread::spawn(move || {
                    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
                    runtime.block_on(async move {
                        let backend: Backend = admin.backend();
                        let mut session = backend
                            .connect(admin.expose(), &Default::default())
                            .await
                            .map_err(std::io::Error::other)?;
                        let mut dropped = session.execute(&drop_sql).await.map_err(std::io::Error::other);
                        for wait in LATE_CREATE_WAITS {
                            tokio::time::sleep(wait).await;
                            dropped = session.execute(&drop_sql).await.map_err(std::io::Error::other);
                        }
                        session.close().await.ok();
                        dropped
                    })
                })
                .join();
            }
        }
    }
}

impl From<ScratchError> for Error {
    fn from(error: ScratchError) -> Error {
        crate::runtime::RuntimeError::Scratch(error).into()
    }
}
