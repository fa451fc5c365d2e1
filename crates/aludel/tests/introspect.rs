//! Introspection on every backend, driven by the cases under `tests/introspect/`. A case is a
//! TOML file of `[[op]]`s written once for every backend; each op is rendered by the
//! backend's dialect and run on a fresh database. Then, on every backend:
//!
//! 1. the database reads back exactly the ops' schema restated in its own spellings
//!    (`Session::normalize`, and `Session::normalize_database` for what MySQL cannot name by itself);
//! 2. restating what it reads back changes nothing;
//! 3. what it reads back is snapshotted as `{case}@{dialect}`, so what each database holds
//!    its own way (deparsed expressions, primary keys without names, enums as checks) is
//!    written down and reviewed.
//!
//! `ALUDEL_TEST_CASE` and `ALUDEL_TEST_DIALECT` narrow a run (see `common`).

mod common;

use aludel::dialect::IntrospectOptions;
use aludel::ops::Op;
use aludel::schema::{Constraint, Schema};
use serde::Deserialize;

use crate::common::TestDb;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Ops {
    op: Vec<Op>,
}

/// `read` as the models would say it, for comparing with them: the names a database gave the
/// constraints the models leave unnamed are left out again (the snapshot keeps them), and
/// constraints are in name order, since catalogs do not keep the order they were added in
/// (the snapshot keeps the order each database reads back).
fn comparable(mut read: Schema, models: &Schema) -> Schema {
    for table in read.tables.values_mut() {
        let Some(model) = models.tables.get(&table.name) else { continue };
        for unnamed in model.constraints.iter().filter(|c| c.name().is_none()) {
            let given = table.constraints.iter_mut().find(|c| c.name().is_some() && &unnamed_copy(c) == unnamed);
            if let Some(given) = given {
                *given = unnamed.clone();
            }
        }
    }
    by_name(read)
}

/// `constraint` without its name.
fn unnamed_copy(constraint: &Constraint) -> Constraint {
    let mut copy = constraint.clone();
    match &mut copy {
        Constraint::PrimaryKey { name, .. }
        | Constraint::Unique { name, .. }
        | Constraint::ForeignKey { name, .. }
        | Constraint::Check { name, .. } => *name = None,
    }
    copy
}

/// `schema` with each table's constraints in name order.
fn by_name(mut schema: Schema) -> Schema {
    for table in schema.tables.values_mut() {
        table.constraints.sort_by(|a, b| a.name().cmp(&b.name()));
    }
    schema
}

#[tokio::test]
async fn every_case_reads_back_as_restated_on_every_backend() {
    for case in common::cases("introspect", false) {
        let text = std::fs::read_to_string(&case.path).unwrap_or_else(|err| panic!("{}: {err}", case.path.display()));
        let ops = toml::from_str::<Ops>(&text).unwrap_or_else(|err| panic!("{}: {err}", case.path.display())).op;
        for backend in common::backends() {
            let label = format!("{}@{}", case.name, backend.dialect().name());
            let db = TestDb::new(backend).await;
            let simulated = db.run(&Schema::default(), &ops).await;

            let mut session = db.session().await;
            let restated =
                session.normalize(&simulated).await.unwrap_or_else(|err| panic!("{label}: normalize: {err}"));
            let introspected = session.introspect(&IntrospectOptions::default()).await.expect("introspect");
            let read = session.normalize_database(introspected, &restated);
            assert_eq!(
                comparable(read.clone(), &restated),
                by_name(restated),
                "{label}: the database reads back otherwise than the ops' schema restated"
            );
            let again = session.normalize(&read).await.unwrap_or_else(|err| panic!("{label}: normalize: {err}"));
            assert_eq!(again, read, "{label}: restating what the database reads back changes it");
            session.close().await.ok();
            insta::assert_snapshot!(label, read.to_json());
        }
    }
}
