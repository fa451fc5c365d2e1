//! The database: the connection pool the handlers share, the schema (the SeaORM entities as
//! aludel models, and the revisions compiled into the binary), migration at start and the
//! readiness check.

use std::pin::Pin;
use std::time::Duration;

use futures_util::{Stream, TryStreamExt};

use aludel::models::Metadata;
use aludel::runtime::Migrator;
use aludel::script::{RevisionGraph, ScriptDirectory};
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbBackend, DbErr, QueryResult, Statement,
    StreamTrait,
};

use crate::config::Settings;

pub mod handoff;

/// Runs the statements of the routes that serve the most requests (a page of posts, a post,
/// a new post): on PostgreSQL over connections handed from request to request ([`handoff`]),
/// which spares each request sqlx's ping, elsewhere through SeaORM's pool.
#[derive(Debug)]
pub enum HotPath {
    /// PostgreSQL.
    Handoff(handoff::Handoff),
    /// Any other backend.
    Pool(DatabaseConnection),
}

impl HotPath {
    /// The hot path over `db`'s pool.
    pub fn new(db: &DatabaseConnection) -> HotPath {
        match db.get_database_backend() {
            DbBackend::Postgres => HotPath::Handoff(handoff::Handoff::new(db.get_postgres_connection_pool().clone())),
            _ => HotPath::Pool(db.clone()),
        }
    }

    /// The database's backend.
    pub fn backend(&self) -> DbBackend {
        match self {
            HotPath::Handoff(_) => DbBackend::Postgres,
            HotPath::Pool(db) => db.get_database_backend(),
        }
    }

    /// Runs `statement` and returns its rows.
    ///
    /// # Errors
    ///
    /// What the database or the pool answers.
    pub async fn query_all(&self, statement: Statement) -> Result<Vec<QueryResult>, DbErr> {
        match self {
            HotPath::Handoff(handoff) => handoff.query_all(&statement).await,
            HotPath::Pool(db) => db.query_all_raw(statement).await,
        }
    }

    /// Runs `statement` and yields its rows as they are read; the connection is held until
    /// the stream ends or is dropped.
    ///
    /// # Errors
    ///
    /// What the database or the pool answers, as the stream's first item.
    pub fn stream(&self, statement: Statement) -> Pin<Box<dyn Stream<Item = Result<QueryResult, DbErr>> + Send + '_>> {
        match self {
            HotPath::Handoff(handoff) => Box::pin(async_stream::try_stream! {
                let mut rows = std::pin::pin!(handoff.stream(&statement));
                while let Some(row) = rows.try_next().await? {
                    yield row;
                }
            }),
            HotPath::Pool(db) => Box::pin(async_stream::try_stream! {
                let mut rows = db.stream_raw(statement).await?;
                while let Some(row) = rows.try_next().await? {
                    yield row;
                }
            }),
        }
    }
}

/// The revision files of `migrations/versions/`, compiled in by the build script.
const MIGRATIONS: &[(&str, &str)] = include!(concat!(env!("OUT_DIR"), "/migrations.rs"));

/// The folder of the blog's `aludel.toml` in the source tree (used by `blog db` when it
/// exists, so new revisions are written next to the others).
pub const MIGRATIONS_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/migrations");

/// Failure to connect, migrate or read the schema.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DbError {
    /// The pool could not connect.
    #[error("could not connect to the database {url}: {source}")]
    Connect {
        /// The URL, password redacted.
        url: String,
        /// The driver's error.
        #[source]
        source: sea_orm::DbErr,
    },
    /// The models or migrations are invalid, or migrating failed.
    #[error(transparent)]
    Aludel(#[from] aludel::Error),
    /// An entity cannot be expressed as a schema.
    #[error(transparent)]
    Models(#[from] aludel_sea_orm::SeaOrmError),
    /// A table the service reads for itself (aludel's version table) cannot be read.
    #[error("could not read `{table}`: {source}")]
    Read {
        /// The table.
        table: String,
        /// The database's error.
        #[source]
        source: sea_orm::DbErr,
    },
}

/// The service's models: every SeaORM entity of the crate. `require_registered` makes a new
/// entity that is not listed here an error instead of a silently missing table.
///
/// # Errors
///
/// [`DbError::Models`] for an entity the schema model cannot hold or one not listed.
pub fn models() -> Result<Metadata, DbError> {
    Ok(aludel_sea_orm::Models::default()
        .entity::<crate::auth::models::user::Entity>()
        .entity::<crate::auth::models::refresh_token::Entity>()
        .entity::<crate::posts::models::post::Entity>()
        .entity::<crate::posts::models::attachment::Entity>()
        .require_registered("blog")
        .metadata()?)
}

/// The revisions compiled into the binary.
///
/// # Errors
///
/// [`DbError::Aludel`] when a revision file is invalid (caught by the tests first).
pub fn migrations() -> Result<RevisionGraph, DbError> {
    Ok(ScriptDirectory::from_embedded(MIGRATIONS).map_err(aludel::Error::from)?)
}

/// Upgrades the database to the head revision(s) under the migration lock (a PostgreSQL
/// advisory lock, SQLite's write lock): of many replicas starting at once, one migrates and
/// the others wait, then find nothing to do.
///
/// # Errors
///
/// [`DbError::Aludel`] when connecting or a revision fails (that revision is rolled back).
pub async fn migrate(database_url: &str, graph: RevisionGraph) -> Result<aludel::runtime::RunReport, DbError> {
    let config = aludel::config::Config::for_url(database_url).map_err(aludel::Error::from)?;
    Ok(Migrator::with_graph(config, graph).upgrade("heads").await?)
}

/// Whether the database is at the head revision(s) of `graph`, read through the pool from the
/// version table aludel keeps (a missing table is no revision at all).
///
/// # Errors
///
/// [`DbError::Read`] when the version table cannot be read.
pub async fn at_head(db: &DatabaseConnection, graph: &RevisionGraph) -> Result<bool, DbError> {
    let tables = aludel::dialect::StateTables::default();
    let backend = match db.get_database_backend() {
        DbBackend::Postgres => aludel::dialect::Backend::Postgres,
        _ => aludel::dialect::Backend::Sqlite,
    };
    // aludel's own query for its version table, run through the pool.
    let query = aludel::dialect::common::select_heads(backend.dialect(), &tables);
    let read = async {
        let rows = db.query_all_raw(sea_orm::Statement::from_string(db.get_database_backend(), query)).await?;
        rows.iter().map(|row| row.try_get_by_index::<String>(0)).collect::<Result<Vec<String>, _>>()
    };
    let current = read.await.map_err(|source| DbError::Read { table: tables.version_table, source })?;
    Ok(graph.is_at_heads(&current))
}

/// Opens the connection pool. SQLite gets write-ahead logging and a busy timeout, so
/// readers do not wait for writers and concurrent writers queue instead of failing.
///
/// # Errors
///
/// [`DbError::Connect`].
pub async fn connect(settings: &Settings) -> Result<DatabaseConnection, DbError> {
    let mut options = ConnectOptions::new(settings.database_url.expose());
    options
        .max_connections(settings.database_pool_size)
        .min_connections(1)
        .acquire_timeout(settings.database_pool_timeout)
        // sqlx pings a connection on every checkout by default: a round trip per statement,
        // as costly to the database as the statement itself. Only a connection that sat idle
        // long enough to have been dropped by a server, proxy or firewall is checked.
        .test_before_acquire_if_idle_for(Duration::from_secs(30))
        // Statements are traced by the access log's span, not one log line each.
        .sqlx_logging(false)
        .map_sqlx_sqlite_opts(|opts| {
            opts.synchronous(sea_orm::sqlx::sqlite::SqliteSynchronous::Normal)
                .busy_timeout(Duration::from_secs(10))
                .foreign_keys(true)
                .row_buffer_size(SQLITE_ROWS_AHEAD)
        });
    let connect_error = |source| DbError::Connect { url: settings.database_url.to_string(), source };
    let db = Database::connect(options).await.map_err(connect_error)?;
    if db.get_database_backend() == DbBackend::Sqlite {
        use_wal(&db).await.map_err(connect_error)?;
    }
    Ok(db)
}

/// Rows a SQLite connection's worker thread reads ahead of the request consuming them (sqlx
/// reads 50): a page of long posts whose client does not read holds that many rows per
/// pooled connection outside the response memory budget.
const SQLITE_ROWS_AHEAD: usize = 4;

/// Switches a SQLite database to write-ahead logging (a lasting property of the file).
///
/// The switch needs the database to itself and cannot wait through the busy timeout, so it is
/// not a connect option: with several processes starting at once, one of them may hold the
/// migration lock just then. It is retried for a while instead; once the file is in WAL mode,
/// the statement changes nothing and needs no lock.
async fn use_wal(db: &DatabaseConnection) -> Result<(), sea_orm::DbErr> {
    let mut attempts = 0;
    loop {
        match db.execute_unprepared("PRAGMA journal_mode = WAL").await {
            Ok(_) => return Ok(()),
            Err(error) if attempts < 100 => {
                attempts += 1;
                tracing::debug!(error = %error, "switching SQLite to WAL mode: retrying");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Err(error) => return Err(error),
        }
    }
}

/// Whether the pool can run a query.
pub async fn ping(db: &DatabaseConnection) -> bool {
    db.execute_unprepared("SELECT 1").await.is_ok()
}
