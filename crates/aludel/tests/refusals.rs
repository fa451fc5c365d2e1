//! What a run refuses before anything runs, on the real servers: an op of a pending revision
//! naming a table or column the database will not have when the op runs. Nothing of any
//! pending revision may have run then, MariaDB's (which has no transactional DDL) included;
//! and what earlier ops, earlier revisions or raw SQL made must never be refused.

mod common;

use std::path::Path;

use aludel::Error;
use aludel::config::Config;
use aludel::dialect::Backend;
use aludel::runtime::{Migrator, Refusal, RuntimeError};
use common::TestDb;

/// A project whose `versions/` holds `files` (name, text), on `db`.
fn project(dir: &Path, db: &TestDb, files: &[(&str, &str)]) -> Migrator {
    let versions = dir.join("versions");
    std::fs::create_dir_all(&versions).unwrap();
    for (name, text) in files {
        std::fs::write(versions.join(name), text).unwrap();
    }
    let mut config = Config::for_url(&db.url).unwrap();
    config.script_location = dir.to_owned();
    Migrator::new(config).unwrap()
}

/// `t (id, name)`, with `legacy` added by raw SQL, which the ops of the history do not show.
const BASE: &str = r#"revision = "a1"
[[upgrade]]
op = "create_table"
table = "t"
columns = [{ name = "id", type = "integer", nullable = false }, { name = "name", type = "varchar(50)" }]
primary_key = ["id"]

[[upgrade]]
op = "sql"
sql = "ALTER TABLE t ADD COLUMN legacy integer"
"#;

/// The run's refusal, or a panic naming what came instead.
fn refusal(backend: Backend, err: &Error) -> (&str, usize, &str, &Refusal) {
    let Error::Runtime(runtime) = err else { panic!("{backend:?}: {err}") };
    let RuntimeError::Refused { revision, op_number, op, problem, .. } = runtime.as_ref() else {
        panic!("{backend:?}: expected a refusal, got: {err}")
    };
    (revision.as_str(), *op_number, op.as_str(), problem)
}

/// Two pending revisions, the second's second op naming a column `t` does not have: the run
/// refuses it, naming the file, the op and the column, and nothing of either revision ran.
async fn a_missing_column_is_refused_before_anything_runs(backend: Backend) {
    let db = TestDb::new(backend).await;
    let dir = tempfile::tempdir().unwrap();
    let migrator = project(
        dir.path(),
        &db,
        &[
            ("a1_base.toml", BASE),
            (
                "b2_note.toml",
                r#"revision = "b2"
down_revision = "a1"
[[upgrade]]
op = "add_column"
table = "t"
column = { name = "note", type = "text" }

[[upgrade]]
op = "create_table"
table = "u"
columns = [{ name = "id", type = "integer" }]
"#,
            ),
            (
                "c3_typo.toml",
                r#"revision = "c3"
down_revision = "b2"
[[upgrade]]
op = "add_column"
table = "t"
column = { name = "extra", type = "integer" }

[[upgrade]]
op = "drop_column"
table = "t"
column = "nickname"

[[upgrade]]
op = "add_column"
table = "t"
column = { name = "later", type = "integer" }
"#,
            ),
        ],
    );
    migrator.upgrade("a1").await.unwrap_or_else(|err| panic!("{backend:?}: {err}"));

    let err = migrator.upgrade("head").await.expect_err("the typo is refused");
    assert_eq!(
        refusal(backend, &err),
        ("c3", 2, "drop_column t.nickname", &Refusal::MissingColumn { table: "t".into(), column: "nickname".into() }),
        "{backend:?}"
    );
    let message = err.to_string();
    for part in ["upgrade op 2 of revision `c3`", "c3_typo.toml", "drop_column t.nickname", "no column `nickname`"] {
        assert!(message.contains(part), "{backend:?}: {part:?} in {message}");
    }

    // Nothing ran: neither the earlier revision nor the ops before the refused one.
    let schema = db.introspect().await;
    let t = schema.table("t").expect("t");
    let columns: Vec<&str> = t.columns.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(columns, ["id", "name", "legacy"], "{backend:?}");
    assert!(schema.table("u").is_none(), "{backend:?}: b2 did not run");
    assert_eq!(migrator.current().await.unwrap().iter().map(|h| h.as_str()).collect::<Vec<_>>(), ["a1"]);
    let unfinished = aludel::runtime::current_state(migrator.config()).await.unwrap().1;
    assert!(unfinished.is_none(), "{backend:?}: no revision is left unfinished: {unfinished:?}");
}

/// A table no earlier op creates and the database lacks is refused too, in a downgrade as in
/// an upgrade.
async fn a_missing_table_is_refused(backend: Backend) {
    let db = TestDb::new(backend).await;
    let dir = tempfile::tempdir().unwrap();
    let migrator = project(
        dir.path(),
        &db,
        &[
            ("a1_base.toml", BASE),
            (
                "b2_index.toml",
                r#"revision = "b2"
down_revision = "a1"
[[upgrade]]
op = "create_index"
table = "t"
name = "ix_t_name"
columns = ["name"]

[[downgrade]]
op = "drop_index"
table = "t"
name = "ix_t_name"

[[downgrade]]
op = "alter_column"
table = "tt"
column = "name"
nullable = true
"#,
            ),
        ],
    );
    migrator.upgrade("head").await.unwrap_or_else(|err| panic!("{backend:?}: {err}"));
    let err = migrator.downgrade("a1").await.expect_err("the table is refused");
    assert_eq!(
        refusal(backend, &err),
        ("b2", 2, "alter_column tt.name", &Refusal::MissingTable { table: "tt".into() }),
        "{backend:?}"
    );
    assert!(err.to_string().starts_with("downgrade op 2 of revision `b2`"), "{backend:?}: {err}");
    let schema = db.introspect().await;
    assert!(schema.indexes.values().any(|index| index.name == "ix_t_name"), "{backend:?}: the index is still there");
}

/// What the ops before an op create, in its revision or an earlier pending one, and what raw
/// SQL made (in an applied revision or a pending one) is there when the op runs.
async fn what_earlier_ops_and_raw_sql_make_is_never_refused(backend: Backend) {
    let db = TestDb::new(backend).await;
    let dir = tempfile::tempdir().unwrap();
    let migrator = project(
        dir.path(),
        &db,
        &[
            ("a1_base.toml", BASE),
            (
                "b2_note.toml",
                r#"revision = "b2"
down_revision = "a1"
# `legacy` comes from raw SQL of an applied revision.
[[upgrade]]
op = "create_index"
table = "t"
name = "ix_t_legacy"
columns = ["legacy"]

[[upgrade]]
op = "add_column"
table = "t"
column = { name = "note", type = "varchar(50)" }

[[upgrade]]
op = "create_index"
table = "t"
name = "ix_t_note"
columns = ["note", "name"]

[[upgrade]]
op = "create_table"
table = "u"
columns = [{ name = "id", type = "integer", nullable = false }, { name = "t_id", type = "integer" }]
primary_key = ["id"]
"#,
            ),
            (
                "c3_use.toml",
                r#"revision = "c3"
down_revision = "b2"
# Made by the revision before.
[[upgrade]]
op = "alter_column"
table = "t"
column = "note"
new_name = "remark"

[[upgrade]]
op = "add_constraint"
table = "u"
constraint = { kind = "foreign_key", name = "u_t_id_fkey", columns = ["t_id"], references = { table = "t", columns = ["id"] } }

# Made by raw SQL in this revision.
[[upgrade]]
op = "sql"
sql = "ALTER TABLE u ADD COLUMN raw_col integer"

[[upgrade]]
op = "create_index"
table = "u"
name = "ix_u_raw_col"
columns = ["raw_col"]

[[upgrade]]
op = "sql"
sql = "CREATE TABLE made (id integer)"

[[upgrade]]
op = "add_column"
table = "made"
column = { name = "note", type = "text" }
"#,
            ),
        ],
    );
    migrator.upgrade("head").await.unwrap_or_else(|err| panic!("{backend:?}: {err}"));
    let schema = db.introspect().await;
    assert!(schema.table("t").unwrap().column("remark").is_some(), "{backend:?}");
    assert!(schema.table("made").unwrap().column("note").is_some(), "{backend:?}");
    let indexes: Vec<&str> = schema.indexes.values().map(|index| index.name.as_str()).collect();
    for index in ["ix_t_legacy", "ix_t_note", "ix_u_raw_col"] {
        assert!(indexes.contains(&index), "{backend:?}: {index} in {indexes:?}");
    }
}

#[tokio::test]
async fn ops_naming_what_will_not_exist_are_refused_before_anything_runs() {
    for backend in common::backends() {
        a_missing_column_is_refused_before_anything_runs(backend).await;
        a_missing_table_is_refused(backend).await;
    }
}

#[tokio::test]
async fn ops_on_what_earlier_ops_or_raw_sql_made_still_run() {
    for backend in common::backends() {
        what_earlier_ops_and_raw_sql_make_is_never_refused(backend).await;
    }
}
