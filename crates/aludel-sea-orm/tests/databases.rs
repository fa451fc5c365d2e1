//! The adapter's schema against real databases, PostgreSQL and SQLite:
//! - created by aludel, the database reads back as the models say (zero false positives);
//! - `renamed_from` makes autogenerate rename the column;
//! - created by SeaORM's own DDL, the database has the columns, types, nullability and keys
//!   the adapter says, apart from the differences the crate documents, pinned here exactly.

mod common;

use aludel::dialect::Backend;
use aludel::diff::{DiffOptions, diff};
use aludel::ops::Op;
use aludel_sea_orm::Models;
use sea_orm::schema::SchemaBuilder;

use common::{conventionally_named, create_with_aludel, create_with_sea_orm, database, models, show_ops};

/// Creates `models` with aludel's rendered ops, then requires that autogenerate finds
/// nothing to do: the introspected database equals the models restated by the database.
async fn check_no_false_positives(backend: Backend, models: Models) {
    let metadata = models.metadata().expect("the entity set maps");
    let db = database(backend).await;
    create_with_aludel(&db, &metadata.schema).await;

    let introspected = db.introspect().await;
    let normalized = db.normalize(&metadata.schema).await;
    let options = DiffOptions { renames: metadata.renames.clone(), ..DiffOptions::default() };
    let found = diff(&introspected, &normalized, &options);
    assert!(found.upgrade.is_empty(), "false positives on {backend:?}:\n{}", show_ops(&found.upgrade));
    assert!(found.warnings.is_empty(), "warnings on {backend:?}: {:?}", found.warnings);
}

/// Creates the entities with SeaORM's own DDL and returns the ops that would take that
/// database to the adapter's schema, with every constraint and index named by definition
/// on both sides (SeaORM names them its own way; see the crate documentation).
async fn sea_orm_against_the_adapter(
    backend: Backend,
    steps: &[fn(SchemaBuilder) -> SchemaBuilder],
    models: Models,
) -> String {
    let schema = models.schema().expect("the entity set maps");
    let db = database(backend).await;
    create_with_sea_orm(&db, steps).await;
    let created = conventionally_named(&db.introspect().await);
    let adapter = conventionally_named(&db.normalize(&schema).await);
    show_ops(&diff(&created, &adapter, &DiffOptions::default()).upgrade)
}

#[tokio::test]
async fn aludel_creates_every_entity_without_false_positives_on_postgresql() {
    check_no_false_positives(Backend::Postgres, models::postgres()).await;
}

#[tokio::test]
async fn aludel_creates_every_entity_without_false_positives_on_sqlite() {
    check_no_false_positives(Backend::Sqlite, models::sqlite()).await;
}

/// Creates the `accounts` entity as it was before its `renamed_from` columns were renamed,
/// then requires that autogenerate renames them (keeping their data) and that nothing is left
/// to do afterwards.
async fn check_renamed_from(backend: Backend) {
    let metadata = Models::default().entity::<models::accounts::Entity>().metadata().expect("accounts maps");
    let mut before = metadata.schema.clone();
    let accounts = before.tables.get_mut("accounts").expect("accounts");
    for ((_, column), old) in &metadata.renames.columns {
        accounts.column_mut(column).expect("a renamed column").name = old.clone();
    }
    let db = database(backend).await;
    create_with_aludel(&db, &before).await;

    let options = DiffOptions { renames: metadata.renames.clone(), ..DiffOptions::default() };
    let models = db.normalize(&metadata.schema).await;
    let found = diff(&db.introspect().await, &models, &options);
    let renames: Vec<(&str, &str, Option<&str>)> = found
        .upgrade
        .iter()
        .map(|op| match op {
            Op::AlterColumn(change) => (change.table.as_str(), change.column.as_str(), change.new_name.as_deref()),
            other => panic!("expected only renames, got {}", other.describe()),
        })
        .collect();
    assert_eq!(renames, [("accounts", "about", Some("bio")), ("accounts", "points", Some("score"))]);

    db.run(&before, &found.upgrade).await;
    let again = diff(&db.introspect().await, &models, &options);
    assert!(again.upgrade.is_empty(), "left after the renames:\n{}", show_ops(&again.upgrade));
}

#[tokio::test]
async fn renamed_from_renames_the_column_on_postgresql() {
    check_renamed_from(Backend::Postgres).await;
}

#[tokio::test]
async fn renamed_from_renames_the_column_on_sqlite() {
    check_renamed_from(Backend::Sqlite).await;
}

#[tokio::test]
async fn sea_orm_creates_what_the_adapter_says_on_postgresql() {
    let ops = sea_orm_against_the_adapter(
        Backend::Postgres,
        &[models::register_portable, models::register_postgres_extras],
        models::postgres(),
    )
    .await;
    insta::assert_snapshot!("sea_orm_ddl@postgresql", ops);
}

#[tokio::test]
async fn sea_orm_creates_what_the_adapter_says_on_sqlite() {
    let ops = sea_orm_against_the_adapter(Backend::Sqlite, &[models::register_portable], models::portable()).await;
    insta::assert_snapshot!("sea_orm_ddl@sqlite", ops);
}
