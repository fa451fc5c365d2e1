//! Test support: the entity set ([`models`]), a database of its own per test ([`database`],
//! an `aludel-test-support` [`TestDb`] with the extensions the entities need), and the ways to
//! create a schema in it (aludel's rendered ops, SeaORM's own DDL).

#![allow(dead_code, unreachable_pub)] // Each test binary uses a different part of this module.

pub mod models;

use aludel::dialect::Backend;
use aludel::diff::{DiffOptions, diff};
use aludel::ops::Op;
use aludel::schema::{Constraint, Index, IndexKey, Schema};
use aludel_sea_orm::{NameKind, conventional_name};
use aludel_test_support::Servers;
pub use aludel_test_support::TestDb;
use sea_orm::schema::SchemaBuilder;

/// aludel's test servers, with database names that say they are this crate's.
const SERVERS: Servers = Servers { prefix: "aludel_sea_orm_test", ..Servers::ALUDEL };

/// Creates an empty database on `backend`; on PostgreSQL with the extensions the entities'
/// custom types come from (`citext`, `ltree`).
pub async fn database(backend: Backend) -> TestDb {
    let db = TestDb::on(backend, &SERVERS).await;
    if backend == Backend::Postgres {
        db.execute("CREATE EXTENSION citext; CREATE EXTENSION ltree").await;
    }
    db
}

/// Creates `schema` in `db` as aludel does: the ops of a diff from the empty schema, each
/// rendered against the schema the ops before it lead to, and executed.
pub async fn create_with_aludel(db: &TestDb, schema: &Schema) {
    let ops = diff(&Schema::default(), schema, &DiffOptions::default()).upgrade;
    db.run(&Schema::default(), &ops).await;
}

/// Creates in `db` the entities that each of `steps` registers with SeaORM's own DDL (enum
/// types, tables, indexes), one step after the other, through SeaORM's connection.
pub async fn create_with_sea_orm(db: &TestDb, steps: &[fn(SchemaBuilder) -> SchemaBuilder]) {
    let url = match db.backend {
        Backend::Sqlite => format!("{}?mode=rwc", db.url),
        _ => db.url.clone(),
    };
    let connection = sea_orm::Database::connect(&url).await.expect("connect with SeaORM");
    for register in steps {
        let builder = register(sea_orm::Schema::new(connection.get_database_backend()).builder());
        builder.apply(&connection).await.expect("SeaORM creates the entities");
    }
    connection.close().await.expect("close SeaORM's connection");
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
