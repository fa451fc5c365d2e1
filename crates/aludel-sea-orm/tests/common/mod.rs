//! Test support: the entity set ([`models`]), a uniquely named database per test on a real
//! server (dropped afterwards), and the ways to create a schema in it (aludel's rendered ops,
//! SeaORM's own DDL) and read it back.
//!
//! PostgreSQL comes from `ALUDEL_TEST_POSTGRES_URL` (default
//! `postgresql://postgres@127.0.0.1:5432/postgres`); SQLite databases are files in a temp
//! folder. An unreachable server fails the test with instructions, never skips it.

#![allow(dead_code, unreachable_pub)] // Each test binary uses a different part of this module.

pub mod models;

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use aludel::dialect::{Backend, IntrospectOptions, Session};
use aludel::diff::{DiffOptions, diff};
use aludel::ops::Op;
use aludel::schema::{Constraint, Index, IndexKey, Schema};
use aludel_sea_orm::{NameKind, conventional_name};
use sea_orm::schema::SchemaBuilder;
use sqlx::{AssertSqlSafe, Connection};

const DEFAULT_POSTGRES_URL: &str = "postgresql://postgres@127.0.0.1:5432/postgres";

/// The admin URL of the PostgreSQL server the tests use.
pub fn postgres_admin_url() -> String {
    std::env::var("ALUDEL_TEST_POSTGRES_URL").unwrap_or_else(|_| DEFAULT_POSTGRES_URL.to_owned())
}

/// A database that exists for one test.
pub struct TestDb {
    /// URL of the test database.
    pub url: String,
    /// Its backend.
    pub backend: Backend,
    name: String,
    _dir: Option<tempfile::TempDir>,
}

fn unique_name() -> String {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH).expect("clock after 1970").subsec_nanos();
    format!("aludel_sea_orm_test_{}_{}_{nanos}", std::process::id(), COUNTER.fetch_add(1, Ordering::Relaxed))
}

impl TestDb {
    /// Creates an empty database on `backend`; on PostgreSQL with the extensions the entities'
    /// custom types come from (`citext`, `ltree`).
    pub async fn new(backend: Backend) -> TestDb {
        let name = unique_name();
        let db = match backend {
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
                let url = match admin.rsplit_once('/') {
                    Some((server, _)) => format!("{server}/{name}"),
                    None => panic!("ALUDEL_TEST_POSTGRES_URL must end in /<database>"),
                };
                TestDb { url, backend, name, _dir: None }
            }
            Backend::Sqlite => {
                let dir = tempfile::tempdir().expect("temp dir");
                let path = dir.path().join(format!("{name}.db"));
                TestDb { url: format!("sqlite://{}", path.display()), backend, name, _dir: Some(dir) }
            }
            #[allow(unreachable_patterns)] // Other backends are behind features.
            _ => panic!("no test database for {backend:?}"),
        };
        if backend == Backend::Postgres {
            db.execute("CREATE EXTENSION citext; CREATE EXTENSION ltree").await;
        }
        db
    }

    /// A migration session on the database.
    pub async fn session(&self) -> Box<dyn Session> {
        self.backend.connect(&self.url, &Default::default()).await.expect("connect to the test database")
    }

    /// Runs SQL that returns nothing.
    pub async fn execute(&self, sql: &str) {
        let mut session = self.session().await;
        session.execute(sql).await.unwrap_or_else(|e| panic!("{sql}: {e}"));
        session.close().await.ok();
    }

    /// Creates `schema` as aludel does: the ops of a diff from the empty schema, each
    /// rendered against the schema the ops before it lead to, and executed.
    pub async fn create_with_aludel(&self, schema: &Schema) {
        let ops = diff(&Schema::default(), schema, &DiffOptions::default()).upgrade;
        self.run(&Schema::default(), &ops).await;
    }

    /// Renders `ops` for the database, starting from the schema `before`, and executes them.
    pub async fn run(&self, before: &Schema, ops: &[Op]) {
        let dialect = self.backend.dialect();
        let mut session = self.session().await;
        let mut before = before.clone();
        for op in ops {
            let statements =
                dialect.render(op, &before).unwrap_or_else(|err| panic!("render {}: {err}", op.describe()));
            for statement in statements {
                session.execute(&statement.sql).await.unwrap_or_else(|err| panic!("{}: {err}", statement.sql));
            }
            before.apply(op).unwrap_or_else(|err| panic!("apply {}: {err}", op.describe()));
        }
        session.close().await.ok();
    }

    /// Creates the entities that each of `steps` registers with SeaORM's own DDL (enum types,
    /// tables, indexes), one step after the other, through SeaORM's connection.
    pub async fn create_with_sea_orm(&self, steps: &[fn(SchemaBuilder) -> SchemaBuilder]) {
        let url = match self.backend {
            Backend::Sqlite => format!("{}?mode=rwc", self.url),
            _ => self.url.clone(),
        };
        let db = sea_orm::Database::connect(&url).await.expect("connect with SeaORM");
        for register in steps {
            let builder = register(sea_orm::Schema::new(db.get_database_backend()).builder());
            builder.apply(&db).await.expect("SeaORM creates the entities");
        }
        db.close().await.expect("close SeaORM's connection");
    }

    /// The database's schema, read back by aludel.
    pub async fn introspect(&self) -> Schema {
        let mut session = self.session().await;
        let schema = session.introspect(&IntrospectOptions::default()).await.expect("introspect");
        session.close().await.ok();
        schema
    }

    /// `models` restated in the database's own spellings.
    pub async fn normalize(&self, models: &Schema) -> Schema {
        let mut session = self.session().await;
        let schema = session.normalize(models).await.expect("normalize the models");
        session.close().await.ok();
        schema
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if self.backend != Backend::Postgres {
            return;
        }
        let name = self.name.clone();
        // Drop runs inside the test's runtime, which cannot be blocked on: use a thread.
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
            runtime.block_on(async move {
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

/// One op per line, described and then in full, for a snapshot that shows what differs.
pub fn show_ops(ops: &[Op]) -> String {
    ops.iter()
        .map(|op| format!("{}\n    {}\n", op.describe(), serde_json::to_string(op).expect("an op serializes")))
        .collect()
}

/// `schema` with every primary key, constraint and index named by the adapter's convention
/// from what it covers, so two schemas that name things differently compare by definition.
/// Checks are named by table and position.
pub fn conventionally_named(schema: &Schema) -> Schema {
    let mut named = schema.clone();
    for table in named.tables.values_mut() {
        if !table.primary_key.is_empty() {
            table.primary_key_name = Some(conventional_name::<&str>(NameKind::PrimaryKey, &table.name, &[]));
        }
        let mut checks = 0;
        for constraint in &mut table.constraints {
            match constraint {
                Constraint::PrimaryKey { name, .. } => {
                    *name = Some(conventional_name::<&str>(NameKind::PrimaryKey, &table.name, &[]));
                }
                Constraint::Unique { name, columns } => {
                    *name = Some(conventional_name(NameKind::Unique, &table.name, columns));
                }
                Constraint::ForeignKey { name, columns, .. } => {
                    *name = Some(conventional_name(NameKind::ForeignKey, &table.name, columns));
                }
                Constraint::Check { name, .. } => {
                    checks += 1;
                    *name = Some(format!("{}_check{checks}", table.name));
                }
            }
        }
    }
    named.indexes = schema
        .indexes
        .values()
        .map(|index| {
            let keys: Vec<String> = index
                .columns
                .iter()
                .map(|key| match key {
                    IndexKey::Column(column) => column.clone(),
                    IndexKey::Expr { expr } => expr.clone(),
                })
                .collect();
            let name = conventional_name(NameKind::Index, &index.table, &keys);
            (name.clone(), Index { name, ..index.clone() })
        })
        .collect();
    named
}
