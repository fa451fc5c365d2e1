//! SQLite table rebuilds on a real database: every op that rebuilds a table keeps its rows,
//! its indexes and its foreign keys, both its own and other tables' references to it.
//!
//! Each case starts from the same fixture (`owners` <- `parents` <- `children`, rows on every
//! side, a few indexes), renders its ops with the SQLite dialect, snapshots the SQL as
//! `{case}@sqlite` and runs it as the runner does: in a savepoint inside the run's
//! transaction, on a connection with foreign keys off, followed by `PRAGMA foreign_key_check`.
//! Then it compares the rows with those before, lists the indexes, checks integrity and
//! proves, with foreign keys on, that the foreign keys still refuse orphans and cascade.

mod common;

use std::collections::BTreeMap;
use std::str::FromStr;

use aludel::dialect::{Backend, Statement};
use aludel::ops::Op;
use aludel::schema::Schema;
use serde::Deserialize;
use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection};
use sqlx::{AssertSqlSafe, Connection, Row};

/// The starting schema, as ops.
const FIXTURE: &str = r#"
[[op]]
op = "create_enum"
name = "mood"
values = ["sad", "ok", "happy"]

[[op]]
op = "create_table"
table = "owners"
columns = [
    { name = "id", type = "integer", nullable = false },
    { name = "name", type = "text", nullable = false },
]
primary_key = ["id"]
primary_key_name = "owners_pkey"

[[op]]
op = "create_table"
table = "parents"
columns = [
    { name = "id", type = "integer", nullable = false },
    { name = "owner_id", type = "integer" },
    { name = "editor_id", type = "integer" },
    { name = "code", type = "varchar(20)" },
    { name = "name", type = "text" },
    { name = "score", type = "integer", nullable = false, default = { value = 0 } },
    { name = "mood", type = "enum:mood" },
    { name = "price", type = "numeric(10,2)" },
    { name = "successor_id", type = "integer" },
]
primary_key = ["id"]
primary_key_name = "parents_pkey"
constraints = [
    { kind = "unique", name = "parents_code_key", columns = ["code"] },
    { kind = "foreign_key", name = "parents_owner_id_fkey", columns = ["owner_id"], references = { table = "owners", columns = ["id"] }, on_delete = "set_null" },
    { kind = "check", name = "parents_score_check", expr = "score >= 0" },
    { kind = "foreign_key", name = "parents_successor_id_fkey", columns = ["successor_id"], references = { table = "parents", columns = ["id"] }, on_delete = "set_null" },
]

[[op]]
op = "create_index"
table = "parents"
name = "ix_parents_name"
columns = ["name"]

[[op]]
op = "create_index"
table = "parents"
name = "ux_parents_owner_name"
columns = ["owner_id", "name"]
unique = true

[[op]]
op = "create_index"
table = "parents"
name = "ix_parents_owner_score"
columns = ["owner_id", "score"]

[[op]]
op = "create_index"
table = "parents"
name = "ix_parents_lower_code"
columns = [{ expr = "lower(code)" }]
where = "code <> ''"

[[op]]
op = "create_table"
table = "children"
columns = [
    { name = "id", type = "integer", nullable = false, identity = true },
    { name = "parent_id", type = "integer", nullable = false },
    { name = "note", type = "text" },
]
primary_key = ["id"]
constraints = [
    { kind = "foreign_key", name = "children_parent_id_fkey", columns = ["parent_id"], references = { table = "parents", columns = ["id"] }, on_delete = "cascade" },
]

[[op]]
op = "create_index"
table = "children"
name = "ix_children_parent_id"
columns = ["parent_id"]
"#;

/// The fixture's rows. Child 4 is deleted, so the children's AUTOINCREMENT sequence (4) is
/// ahead of their largest id (3).
const ROWS: &str = "
    INSERT INTO owners (id, name) VALUES (1, 'ann'), (2, 'bob');
    INSERT INTO parents (id, owner_id, editor_id, code, name, score, mood, price, successor_id) VALUES
        (1, 1, 2, 'A-1', 'alpha', 10, 'ok', 1.5, NULL),
        (2, 2, NULL, 'B-2', NULL, 0, 'sad', NULL, 1),
        (3, NULL, 1, 'C-3', 'gamma', 5, NULL, 9.99, 1);
    INSERT INTO children (id, parent_id, note) VALUES (1, 1, 'x'), (2, 1, 'y'), (3, 2, 'z'), (4, 3, NULL);
    DELETE FROM children WHERE id = 4;
";

/// What a case proves after its ops ran, on a connection with foreign keys on.
enum Probe {
    /// `sql` runs, then `query` returns `rows` (every cell as text, NULL as `NULL`).
    Rows { sql: &'static str, query: &'static str, rows: &'static [&'static [&'static str]] },
    /// `sql` fails with an error that contains `error`.
    Fails { sql: &'static str, error: &'static str },
}

#[derive(Deserialize)]
struct Ops {
    op: Vec<Op>,
}

fn ops(text: &str) -> Vec<Op> {
    toml::from_str::<Ops>(text).unwrap_or_else(|err| panic!("invalid ops: {err}\n{text}")).op
}

/// Renders `ops` as one revision from `schema`, which ends up after them, as the runner
/// does (consecutive rebuilds of a table merged).
fn render(ops: &[Op], schema: &mut Schema) -> Vec<Statement> {
    let dialect = Backend::Sqlite.dialect();
    let mut check_schema = schema.clone();
    for op in ops {
        check_schema.apply(op).unwrap_or_else(|err| panic!("{}: {err}", op.describe()));
    }
    let rendered = dialect.render_ops(ops, schema).unwrap_or_else(|(i, err)| panic!("{}: {err}", ops[i].describe()));
    rendered.into_iter().flatten().collect()
}

/// The schema the fixture's ops make.
fn fixture_schema() -> Schema {
    let mut schema = Schema::default();
    for op in ops(FIXTURE) {
        schema.apply(&op).unwrap_or_else(|err| panic!("{}: {err}", op.describe()));
    }
    schema
}

/// How many times `statements` rebuild `table`.
fn rebuilds_of(statements: &[Statement], table: &str) -> usize {
    let create = format!("CREATE TABLE \"_aludel_tmp_{table}\"");
    statements.iter().filter(|s| s.sql.starts_with(&create)).count()
}

/// The ops of `text` rendered from `before`, and the schema after them.
fn rendered_from(before: &Schema, text: &str) -> (Schema, Vec<Statement>) {
    let mut after = before.clone();
    let statements = render(&ops(text), &mut after);
    (after, statements)
}

/// The snapshot text of a script: statements joined by `;\n`, with a final `;`.
fn script(statements: &[Statement]) -> String {
    let joined: Vec<&str> = statements.iter().map(|s| s.sql.as_str()).collect();
    format!("{};", joined.join(";\n"))
}

async fn connect(url: &str, foreign_keys: bool) -> SqliteConnection {
    let options =
        SqliteConnectOptions::from_str(url).expect("sqlite url").create_if_missing(true).foreign_keys(foreign_keys);
    SqliteConnection::connect_with(&options).await.expect("connect")
}

async fn query(conn: &mut SqliteConnection, sql: &str) -> Vec<Vec<String>> {
    let rows = sqlx::raw_sql(AssertSqlSafe(sql.to_owned()))
        .fetch_all(&mut *conn)
        .await
        .unwrap_or_else(|err| panic!("{sql}: {err}"));
    rows.iter()
        .map(|row| {
            (0..row.len())
                .map(|i| row.try_get_unchecked::<Option<String>, _>(i).expect("text cell"))
                .map(|cell| cell.unwrap_or_else(|| "NULL".to_owned()))
                .collect()
        })
        .collect()
}

async fn execute(conn: &mut SqliteConnection, sql: &str) -> Result<(), String> {
    sqlx::raw_sql(AssertSqlSafe(sql.to_owned())).execute(&mut *conn).await.map(|_| ()).map_err(|err| err.to_string())
}

/// The database with the fixture and its rows, and the schema it is at.
async fn fixture() -> (common::TestDb, Schema) {
    let db = common::TestDb::new(Backend::Sqlite).await;
    let mut schema = Schema::default();
    let mut conn = connect(&db.url, false).await;
    for statement in render(&ops(FIXTURE), &mut schema) {
        execute(&mut conn, &statement.sql).await.unwrap_or_else(|err| panic!("fixture: {err}\n{statement}"));
    }
    execute(&mut conn, ROWS).await.expect("fixture rows");
    conn.close().await.ok();
    (db, schema)
}

/// Runs `statements` as the runner runs a revision: a savepoint in the run's transaction,
/// the foreign key check, release. Returns the first error, after rolling back.
async fn run_revision(url: &str, statements: &[Statement]) -> Result<(), String> {
    let mut session = Backend::Sqlite.connect(url, &Default::default()).await.expect("session");
    let sql = session.transaction_sql();
    session.lock().await.expect("lock");
    session.execute(sql.begin).await.expect("savepoint");
    let mut outcome = Ok(());
    for statement in statements {
        if let Err(err) = session.execute(&statement.sql).await {
            outcome = Err(format!("{err}\n{statement}"));
            break;
        }
    }
    if outcome.is_ok() {
        let violations = session.check_integrity().await.expect("foreign key check");
        if !violations.is_empty() {
            outcome = Err(format!("foreign key violations: {violations:?}"));
        }
    }
    let end = if outcome.is_ok() { sql.commit } else { sql.rollback };
    session.execute(end).await.expect("end the savepoint");
    session.unlock().await.expect("unlock");
    session.close().await.ok();
    outcome
}

/// Every table's rows, ordered by `id`, for the columns `columns` names per table.
async fn contents(
    conn: &mut SqliteConnection,
    columns: &BTreeMap<String, Vec<String>>,
) -> BTreeMap<String, Vec<Vec<String>>> {
    let mut all = BTreeMap::new();
    for (table, names) in columns {
        let list: Vec<String> = names.iter().map(|c| format!("CAST(\"{c}\" AS TEXT)")).collect();
        all.insert(
            table.clone(),
            query(conn, &format!("SELECT {} FROM \"{table}\" ORDER BY id", list.join(", "))).await,
        );
    }
    all
}

/// The columns the op keeps, per table: their names before and after (a rename changes one).
fn kept_columns(
    before: &Schema,
    after: &Schema,
    ops: &[Op],
) -> (BTreeMap<String, Vec<String>>, BTreeMap<String, Vec<String>>) {
    let mut renamed = BTreeMap::new();
    for op in ops {
        if let Op::AlterColumn(change) = op
            && let Some(new_name) = &change.new_name
        {
            renamed.insert((change.table.clone(), change.column.clone()), new_name.clone());
        }
    }
    let (mut old_names, mut new_names) = (BTreeMap::new(), BTreeMap::new());
    for (name, table) in &before.tables {
        let Some(new_table) = after.table(name) else { continue };
        for column in &table.columns {
            let new_name = renamed.get(&(name.clone(), column.name.clone())).unwrap_or(&column.name);
            if new_table.column(new_name).is_some() {
                old_names.entry(name.clone()).or_insert_with(Vec::new).push(column.name.clone());
                new_names.entry(name.clone()).or_insert_with(Vec::new).push(new_name.clone());
            }
        }
    }
    (old_names, new_names)
}

/// Names of the indexes created with `CREATE INDEX` (not those behind constraints).
async fn index_names(conn: &mut SqliteConnection) -> Vec<String> {
    query(conn, "SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL ORDER BY name")
        .await
        .into_iter()
        .map(|mut row| row.remove(0))
        .collect()
}

/// Checks that hold for the database whatever the op: integrity, no leftover temporary
/// table, and the foreign keys of `children` and of `parents` itself still naming `parents`.
async fn assert_sound(conn: &mut SqliteConnection) {
    assert_eq!(query(conn, "PRAGMA foreign_key_check").await, Vec::<Vec<String>>::new(), "foreign_key_check");
    assert_eq!(query(conn, "PRAGMA integrity_check").await, vec![vec!["ok".to_owned()]], "integrity_check");
    assert_eq!(
        query(conn, "SELECT name FROM sqlite_master WHERE name LIKE '%aludel_tmp%'").await,
        Vec::<Vec<String>>::new(),
        "a temporary table is left over"
    );
    for table in ["children", "parents"] {
        let sql = query(conn, &format!("SELECT sql FROM sqlite_master WHERE name = '{table}'")).await;
        assert!(sql[0][0].contains(r#"REFERENCES "parents" ("id")"#), "{}", sql[0][0]);
    }
}

/// Runs one case: renders `upgrade` after the fixture, snapshots it, runs it, and checks
/// rows, indexes, integrity, the foreign keys and `probes`.
async fn check(case: &str, upgrade: &str, probes: &[Probe]) {
    let (db, before) = fixture().await;
    let upgrade = ops(upgrade);
    let mut after = before.clone();
    let statements = render(&upgrade, &mut after);
    insta::assert_snapshot!(format!("{case}@sqlite"), script(&statements));

    let (old_columns, new_columns) = kept_columns(&before, &after, &upgrade);
    let mut conn = connect(&db.url, false).await;
    let rows_before = contents(&mut conn, &old_columns).await;
    conn.close().await.ok();

    run_revision(&db.url, &statements).await.unwrap_or_else(|err| panic!("{case}: the revision failed: {err}"));

    let mut conn = connect(&db.url, false).await;
    assert_eq!(contents(&mut conn, &new_columns).await, rows_before, "{case}: rows changed");
    let expected_indexes: Vec<String> = after.indexes.keys().cloned().collect();
    assert_eq!(index_names(&mut conn).await, expected_indexes, "{case}: indexes");
    assert_sound(&mut conn).await;
    conn.close().await.ok();

    let mut conn = connect(&db.url, true).await;
    for probe in probes {
        match probe {
            Probe::Rows { sql, query: text, rows } => {
                execute(&mut conn, sql).await.unwrap_or_else(|err| panic!("{case}: {sql}: {err}"));
                let expected: Vec<Vec<String>> =
                    rows.iter().map(|row| row.iter().map(|cell| (*cell).to_owned()).collect()).collect();
                assert_eq!(query(&mut conn, text).await, expected, "{case}: {text}");
            }
            Probe::Fails { sql, error } => match execute(&mut conn, sql).await {
                Ok(()) => panic!("{case}: {sql} should fail with {error:?}"),
                Err(err) => assert!(err.contains(error), "{case}: {sql} failed with {err}, not {error:?}"),
            },
        }
    }
    // The foreign keys that reference `parents` refuse orphans and act on delete, whatever
    // the op rebuilt.
    let orphan = execute(&mut conn, "INSERT INTO children (parent_id, note) VALUES (999, 'orphan')").await;
    assert!(
        orphan.is_err_and(|err| err.contains("FOREIGN KEY constraint failed")),
        "{case}: an orphan child was accepted"
    );
    execute(&mut conn, "DELETE FROM parents WHERE id = 1").await.expect("delete a parent");
    assert_eq!(
        query(&mut conn, "SELECT CAST(COUNT(*) AS TEXT) FROM children WHERE parent_id = 1").await,
        vec![vec!["0".to_owned()]],
        "{case}: the delete did not cascade"
    );
    assert_eq!(
        query(&mut conn, "SELECT CAST(COUNT(*) AS TEXT) FROM parents WHERE successor_id = 1").await,
        vec![vec!["0".to_owned()]],
        "{case}: the delete did not set the successors to NULL"
    );
    let orphan = execute(&mut conn, "INSERT INTO parents (id, code, successor_id) VALUES (20, 'T-20', 999)").await;
    assert!(
        orphan.is_err_and(|err| err.contains("FOREIGN KEY constraint failed")),
        "{case}: a parent's orphan successor"
    );
    conn.close().await.ok();
}

#[tokio::test]
async fn alter_column_type() {
    check(
        "alter_column_type",
        r#"
        [[op]]
        op = "alter_column"
        table = "parents"
        column = "score"
        type = { from = "integer", to = "bigint" }

        [[op]]
        op = "alter_column"
        table = "parents"
        column = "price"
        type = { from = "numeric(10,2)", to = "text" }
        "#,
        &[Probe::Rows {
            sql: "SELECT 1",
            query: "SELECT typeof(score), typeof(price) FROM parents WHERE id = 1",
            rows: &[&["integer", "text"]],
        }],
    )
    .await;
}

#[tokio::test]
async fn alter_column_rename_and_type() {
    check(
        "alter_column_rename_and_type",
        r#"
        [[op]]
        op = "alter_column"
        table = "parents"
        column = "price"
        type = { from = "numeric(10,2)", to = "double" }
        new_name = "amount"
        "#,
        &[Probe::Rows {
            sql: "SELECT 1",
            query: "SELECT CAST(amount AS TEXT) FROM parents ORDER BY id",
            rows: &[&["1.5"], &["NULL"], &["9.99"]],
        }],
    )
    .await;
}

#[tokio::test]
async fn alter_column_nullable() {
    check(
        "alter_column_nullable",
        r#"
        [[op]]
        op = "alter_column"
        table = "parents"
        column = "code"
        nullable = false

        [[op]]
        op = "alter_column"
        table = "parents"
        column = "score"
        nullable = true
        "#,
        &[
            Probe::Fails {
                sql: "INSERT INTO parents (id, code) VALUES (10, NULL)",
                error: "NOT NULL constraint failed: parents.code",
            },
            Probe::Rows {
                sql: "INSERT INTO parents (id, code, score) VALUES (10, 'J-10', NULL)",
                query: "SELECT CAST(score AS TEXT) FROM parents WHERE id = 10",
                rows: &[&["NULL"]],
            },
        ],
    )
    .await;
}

#[tokio::test]
async fn alter_column_default() {
    check(
        "alter_column_default",
        r#"
        [[op]]
        op = "alter_column"
        table = "parents"
        column = "score"
        default = { from = { value = 0 }, to = { value = 7 } }

        [[op]]
        op = "alter_column"
        table = "parents"
        column = "name"
        default = { to = { value = "unnamed" } }
        "#,
        &[Probe::Rows {
            sql: "INSERT INTO parents (id, code) VALUES (10, 'J-10')",
            query: "SELECT CAST(score AS TEXT), name FROM parents WHERE id = 10",
            rows: &[&["7", "unnamed"]],
        }],
    )
    .await;
}

#[tokio::test]
async fn add_unique_constraint() {
    check(
        "add_unique_constraint",
        r#"
        [[op]]
        op = "add_constraint"
        table = "parents"
        constraint = { kind = "unique", name = "parents_name_key", columns = ["name"] }
        "#,
        &[Probe::Fails {
            sql: "INSERT INTO parents (id, code, name) VALUES (10, 'J-10', 'alpha')",
            error: "UNIQUE constraint failed: parents.name",
        }],
    )
    .await;
}

#[tokio::test]
async fn drop_unique_constraint() {
    check(
        "drop_unique_constraint",
        r#"
        [[op]]
        op = "drop_constraint"
        table = "parents"
        name = "parents_code_key"
        kind = "unique"
        "#,
        &[Probe::Rows {
            sql: "INSERT INTO parents (id, code) VALUES (10, 'A-1')",
            query: "SELECT CAST(COUNT(*) AS TEXT) FROM parents WHERE code = 'A-1'",
            rows: &[&["2"]],
        }],
    )
    .await;
}

#[tokio::test]
async fn add_check_constraint() {
    check(
        "add_check_constraint",
        r#"
        [[op]]
        op = "add_constraint"
        table = "parents"
        constraint = { kind = "check", name = "parents_price_check", expr = "price IS NULL OR price > 0" }
        "#,
        &[Probe::Fails {
            sql: "INSERT INTO parents (id, code, price) VALUES (10, 'J-10', -1)",
            error: "CHECK constraint failed: parents_price_check",
        }],
    )
    .await;
}

#[tokio::test]
async fn drop_check_constraint() {
    check(
        "drop_check_constraint",
        r#"
        [[op]]
        op = "drop_constraint"
        table = "parents"
        name = "parents_score_check"
        kind = "check"
        "#,
        &[Probe::Rows {
            sql: "INSERT INTO parents (id, code, score) VALUES (10, 'J-10', -5)",
            query: "SELECT CAST(score AS TEXT) FROM parents WHERE id = 10",
            rows: &[&["-5"]],
        }],
    )
    .await;
}

#[tokio::test]
async fn add_foreign_key() {
    check(
        "add_foreign_key",
        r#"
        [[op]]
        op = "add_constraint"
        table = "parents"
        constraint = { kind = "foreign_key", name = "parents_editor_id_fkey", columns = ["editor_id"], references = { table = "owners", columns = ["id"] }, on_delete = "cascade" }
        "#,
        &[
            Probe::Fails {
                sql: "INSERT INTO parents (id, code, editor_id) VALUES (10, 'J-10', 99)",
                error: "FOREIGN KEY constraint failed",
            },
            // Deleting owner 2 cascades to parent 1 (edited by 2); parent 2 only loses its owner.
            Probe::Rows {
                sql: "DELETE FROM owners WHERE id = 2",
                query: "SELECT CAST(id AS TEXT), CAST(owner_id AS TEXT) FROM parents ORDER BY id",
                rows: &[&["2", "NULL"], &["3", "NULL"]],
            },
        ],
    )
    .await;
}

#[tokio::test]
async fn drop_foreign_key() {
    check(
        "drop_foreign_key",
        r#"
        [[op]]
        op = "drop_constraint"
        table = "parents"
        name = "parents_owner_id_fkey"
        kind = "foreign_key"
        "#,
        &[Probe::Rows {
            sql: "INSERT INTO parents (id, code, owner_id) VALUES (10, 'J-10', 99)",
            query: "SELECT CAST(owner_id AS TEXT) FROM parents WHERE id = 10",
            rows: &[&["99"]],
        }],
    )
    .await;
}

#[tokio::test]
async fn drop_and_add_primary_key() {
    check(
        "drop_and_add_primary_key",
        r#"
        [[op]]
        op = "drop_constraint"
        table = "parents"
        name = "parents_pkey"
        kind = "primary_key"

        [[op]]
        op = "add_constraint"
        table = "parents"
        constraint = { kind = "primary_key", name = "parents_pk", columns = ["id"] }
        "#,
        &[
            Probe::Fails {
                sql: "INSERT INTO parents (id, code) VALUES (1, 'J-10')",
                error: "UNIQUE constraint failed: parents.id",
            },
            Probe::Rows {
                sql: "SELECT 1",
                query: "SELECT CAST(instr(sql, 'CONSTRAINT \"parents_pk\" PRIMARY KEY') > 0 AS TEXT) FROM sqlite_master \
                        WHERE name = 'parents'",
                rows: &[&["1"]],
            },
        ],
    )
    .await;
}

/// Ops the cases of merged rebuilds share.
const SCORE_TO_BIGINT: &str = r#"
        [[op]]
        op = "alter_column"
        table = "parents"
        column = "score"
        type = { from = "integer", to = "bigint" }
"#;
const PRICE_TO_TEXT: &str = r#"
        [[op]]
        op = "alter_column"
        table = "parents"
        column = "price"
        type = { from = "numeric(10,2)", to = "text" }
"#;
const ADD_REVIEWER: &str = r#"
        [[op]]
        op = "add_column"
        table = "parents"
        column = { name = "reviewer_id", type = "integer" }
"#;

/// The ops of `parts`, in order, as one `[[op]]` list.
fn ops_text(parts: &[&str]) -> String {
    parts.join("\n")
}

#[tokio::test]
async fn a_run_of_rebuilds_of_one_table_copies_its_rows_once() {
    let upgrade = ops_text(&[
        SCORE_TO_BIGINT,
        r#"
        [[op]]
        op = "drop_constraint"
        table = "parents"
        name = "parents_code_key"
        kind = "unique"

        [[op]]
        op = "add_constraint"
        table = "parents"
        constraint = { kind = "check", name = "parents_price_check", expr = "price >= 0" }

        [[op]]
        op = "rename_constraint"
        table = "parents"
        name = "parents_score_check"
        new_name = "ck_parents_score"
"#,
        PRICE_TO_TEXT,
    ]);
    let (_, statements) = rendered_from(&fixture_schema(), &upgrade);
    assert_eq!(rebuilds_of(&statements, "parents"), 1, "{}", script(&statements));
    check(
        "a_run_of_rebuilds_of_one_table_copies_its_rows_once",
        &upgrade,
        &[
            Probe::Rows {
                sql: "SELECT 1",
                query: "SELECT typeof(score), typeof(price) FROM parents WHERE id = 1",
                rows: &[&["integer", "text"]],
            },
            // The unique key is gone, the new check holds, the renamed one still does.
            Probe::Rows {
                sql: "INSERT INTO parents (id, code) VALUES (30, 'A-1')",
                query: "SELECT CAST(COUNT(*) AS TEXT) FROM parents WHERE code = 'A-1'",
                rows: &[&["2"]],
            },
            Probe::Fails { sql: "INSERT INTO parents (id, price) VALUES (31, -1)", error: "parents_price_check" },
            Probe::Fails { sql: "INSERT INTO parents (id, score) VALUES (32, -1)", error: "ck_parents_score" },
        ],
    )
    .await;
}

#[tokio::test]
async fn ops_on_other_tables_between_rebuilds_of_a_table_do_not_part_them() {
    let upgrade = ops_text(&[
        SCORE_TO_BIGINT,
        r#"
        [[op]]
        op = "alter_column"
        table = "children"
        column = "note"
        type = { from = "text", to = "varchar(50)" }

        [[op]]
        op = "create_index"
        table = "owners"
        name = "ix_owners_name"
        columns = ["name"]
"#,
        PRICE_TO_TEXT,
        r#"
        [[op]]
        op = "add_constraint"
        table = "children"
        constraint = { kind = "check", name = "children_note_check", expr = "length(note) < 40" }
"#,
    ]);
    let (_, statements) = rendered_from(&fixture_schema(), &upgrade);
    assert_eq!(rebuilds_of(&statements, "parents"), 1, "{}", script(&statements));
    assert_eq!(rebuilds_of(&statements, "children"), 1, "{}", script(&statements));
    check(
        "ops_on_other_tables_between_rebuilds_of_a_table_do_not_part_them",
        &upgrade,
        &[
            Probe::Rows {
                sql: "SELECT 1",
                query: "SELECT typeof(score), typeof(price) FROM parents WHERE id = 1",
                rows: &[&["integer", "text"]],
            },
            Probe::Fails {
                sql: "INSERT INTO children (parent_id, note) VALUES (1, 'a note longer than forty characters, to be refused')",
                error: "children_note_check",
            },
        ],
    )
    .await;
}

#[tokio::test]
async fn a_column_renamed_or_added_between_rebuilds_keeps_them_apart() {
    let upgrade = ops_text(&[
        SCORE_TO_BIGINT,
        r#"
        [[op]]
        op = "alter_column"
        table = "parents"
        column = "name"
        new_name = "title"
"#,
        PRICE_TO_TEXT,
        r#"
        [[op]]
        op = "add_column"
        table = "parents"
        column = { name = "added", type = "text", nullable = false, default = { expr = "current_timestamp" } }

        [[op]]
        op = "alter_column"
        table = "parents"
        column = "score"
        nullable = true
"#,
    ]);
    let (_, statements) = rendered_from(&fixture_schema(), &upgrade);
    // Each alter_column rebuilds alone, and so does the add_column (a default SQLite's ADD
    // COLUMN refuses): the rename and the added column sit between them.
    assert_eq!(rebuilds_of(&statements, "parents"), 4, "{}", script(&statements));
    check(
        "a_column_renamed_or_added_between_rebuilds_keeps_them_apart",
        &upgrade,
        &[Probe::Rows {
            sql: "SELECT 1",
            query: "SELECT typeof(score), typeof(price), title FROM parents WHERE id = 1",
            rows: &[&["integer", "text", "alpha"]],
        }],
    )
    .await;
}

#[tokio::test]
async fn a_foreign_key_on_a_column_the_revision_adds_needs_no_rebuild() {
    let upgrade = ops_text(&[
        ADD_REVIEWER,
        r#"
        [[op]]
        op = "create_index"
        table = "owners"
        name = "ix_owners_name"
        columns = ["name"]

        [[op]]
        op = "add_constraint"
        table = "parents"
        constraint = { kind = "foreign_key", name = "parents_reviewer_id_fkey", columns = ["reviewer_id"], references = { table = "owners", columns = ["id"] }, on_delete = "set_null" }
"#,
    ]);
    let (_, statements) = rendered_from(&fixture_schema(), &upgrade);
    assert_eq!(rebuilds_of(&statements, "parents"), 0, "{}", script(&statements));
    check(
        "a_foreign_key_on_a_column_the_revision_adds_needs_no_rebuild",
        &upgrade,
        &[
            Probe::Fails {
                sql: "UPDATE parents SET reviewer_id = 999 WHERE id = 2",
                error: "FOREIGN KEY constraint failed",
            },
            Probe::Rows {
                sql: "UPDATE parents SET reviewer_id = 2 WHERE id = 2; DELETE FROM owners WHERE id = 2",
                query: "SELECT CAST(reviewer_id AS TEXT) FROM parents WHERE id = 2",
                rows: &[&["NULL"]],
            },
        ],
    )
    .await;
    // Introspection reads the key back under its name, as a table constraint would be read.
    let (db, before) = fixture().await;
    let (after, statements) = rendered_from(&before, &upgrade);
    run_revision(&db.url, &statements).await.expect("the revision runs");
    let mut session = db.session().await;
    let options = aludel::dialect::IntrospectOptions::default();
    let read = aludel::dialect::sqlite::introspect(session.as_mut(), &options).await.expect("introspection");
    session.close().await.ok();
    let by_name = |schema: &Schema| {
        let mut constraints = schema.table("parents").map(|t| t.constraints.clone()).unwrap_or_default();
        constraints.sort_by(|a, b| a.name().cmp(&b.name()));
        constraints
    };
    assert_eq!(by_name(&read), by_name(&after));
}

#[tokio::test]
async fn a_foreign_key_on_an_added_column_that_the_table_changes_before_rebuilds() {
    let upgrade = ops_text(&[
        ADD_REVIEWER,
        SCORE_TO_BIGINT,
        r#"
        [[op]]
        op = "add_constraint"
        table = "parents"
        constraint = { kind = "foreign_key", name = "parents_reviewer_id_fkey", columns = ["reviewer_id"], references = { table = "owners", columns = ["id"] } }
"#,
    ]);
    let (_, statements) = rendered_from(&fixture_schema(), &upgrade);
    // The type change rebuilds the table from its definition, which has no key yet: the key
    // needs a rebuild of its own (the two merge into one).
    assert_eq!(rebuilds_of(&statements, "parents"), 1, "{}", script(&statements));
    check(
        "a_foreign_key_on_an_added_column_that_the_table_changes_before_rebuilds",
        &upgrade,
        &[Probe::Fails {
            sql: "UPDATE parents SET reviewer_id = 999 WHERE id = 2",
            error: "FOREIGN KEY constraint failed",
        }],
    )
    .await;
}

#[tokio::test]
async fn drop_indexed_column() {
    check(
        "drop_indexed_column",
        r#"
        [[op]]
        op = "drop_column"
        table = "parents"
        column = "name"
        "#,
        &[Probe::Rows {
            sql: "SELECT 1",
            query: "SELECT CAST(COUNT(*) AS TEXT) FROM pragma_table_info('parents') WHERE name = 'name'",
            rows: &[&["0"]],
        }],
    )
    .await;
}

#[tokio::test]
async fn add_not_null_column_with_current_timestamp() {
    check(
        "add_not_null_column_with_current_timestamp",
        r#"
        [[op]]
        op = "add_column"
        table = "parents"
        column = { name = "created_at", type = "timestamp", nullable = false, default = { expr = "current_timestamp" } }
        "#,
        &[Probe::Rows {
            sql: "SELECT 1",
            query: "SELECT CAST(COUNT(*) AS TEXT) FROM parents WHERE created_at > '2000-01-01'",
            rows: &[&["3"]],
        }],
    )
    .await;
}

#[tokio::test]
async fn add_enum_value() {
    check(
        "add_enum_value",
        r#"
        [[op]]
        op = "add_enum_value"
        name = "mood"
        value = "meh"
        after = "sad"
        "#,
        &[
            Probe::Fails {
                sql: "INSERT INTO parents (id, code, mood) VALUES (10, 'J-10', 'nope')",
                error: "CHECK constraint failed",
            },
            Probe::Rows {
                sql: "INSERT INTO parents (id, code, mood) VALUES (11, 'J-11', 'meh')",
                query: "SELECT mood FROM parents WHERE id = 11",
                rows: &[&["meh"]],
            },
        ],
    )
    .await;
}

#[tokio::test]
async fn rebuild_keeps_the_autoincrement_sequence() {
    check(
        "rebuild_keeps_the_autoincrement_sequence",
        r#"
        [[op]]
        op = "alter_column"
        table = "children"
        column = "note"
        type = { from = "text", to = "varchar(200)" }
        "#,
        // Child 4 was deleted before the rebuild; its id is not handed out again.
        &[Probe::Rows {
            sql: "INSERT INTO children (parent_id, note) VALUES (2, 'new')",
            query: "SELECT CAST(MAX(id) AS TEXT) FROM children",
            rows: &[&["5"]],
        }],
    )
    .await;
}

#[tokio::test]
async fn a_failed_rebuild_rolls_back_and_leaves_the_table_intact() {
    let (db, before) = fixture().await;
    let alter = "[[op]]\nop = \"alter_column\"\ntable = \"parents\"\ncolumn = \"name\"\nnullable = false";
    let (_, statements) = rendered_from(&before, alter);
    insta::assert_snapshot!("alter_column_not_null_over_nulls@sqlite", script(&statements));

    let (columns, _) = kept_columns(&before, &before, &[]);
    let master = "SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY name";
    let mut conn = connect(&db.url, false).await;
    let (rows_before, master_before) = (contents(&mut conn, &columns).await, query(&mut conn, master).await);
    conn.close().await.ok();

    let err = run_revision(&db.url, &statements).await.expect_err("a NULL name cannot become NOT NULL");
    assert!(err.contains("NOT NULL constraint failed: _aludel_tmp_parents.name"), "{err}");

    let mut conn = connect(&db.url, false).await;
    assert_eq!(contents(&mut conn, &columns).await, rows_before, "rows changed");
    assert_eq!(query(&mut conn, master).await, master_before, "the schema changed");
    assert_sound(&mut conn).await;
    conn.close().await.ok();
}

#[tokio::test]
async fn a_view_keeps_reading_a_rebuilt_table_and_a_trigger_or_unknown_index_stops_the_rebuild() {
    let (db, before) = fixture().await;
    let widen = |from: u32, to: u32| {
        format!(
            "[[op]]\nop = \"alter_column\"\ntable = \"parents\"\ncolumn = \"code\"\n\
             type = {{ from = \"varchar({from})\", to = \"varchar({to})\" }}"
        )
    };
    let (after, statements) = rendered_from(&before, &widen(20, 40));
    let mut conn = connect(&db.url, false).await;
    execute(&mut conn, "CREATE VIEW parent_codes AS SELECT id, code FROM parents").await.expect("view");
    let codes = query(&mut conn, "SELECT id, code FROM parent_codes ORDER BY id").await;
    conn.close().await.ok();

    // SQLite checks every view while renaming; the table's own name is missing then.
    run_revision(&db.url, &statements).await.expect("a view over the table does not stop the rebuild");
    let mut conn = connect(&db.url, false).await;
    assert_eq!(query(&mut conn, "SELECT id, code FROM parent_codes ORDER BY id").await, codes);
    assert_sound(&mut conn).await;

    // A trigger would be dropped with the table: the rebuild stops, names it, and rolls back.
    execute(&mut conn, "CREATE TRIGGER parents_touch AFTER UPDATE ON parents BEGIN SELECT 1; END")
        .await
        .expect("trigger");
    let master = "SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY name";
    let master_before = query(&mut conn, master).await;
    conn.close().await.ok();
    let (_, wider) = rendered_from(&after, &widen(40, 60));
    let err = run_revision(&db.url, &wider).await.expect_err("the trigger stops the rebuild");
    let stopped = "CHECK constraint failed: table parents has triggers or indexes no op created, which rebuilding it \
                   would drop";
    assert!(err.contains(stopped), "{err}");
    let mut conn = connect(&db.url, false).await;
    assert_eq!(query(&mut conn, master).await, master_before, "the trigger and the table are as they were");

    // So would an index a `sql` op made, which the schema does not know.
    execute(&mut conn, "DROP TRIGGER parents_touch; CREATE INDEX ix_parents_name_code ON parents (name, code)")
        .await
        .expect("index");
    conn.close().await.ok();
    let err = run_revision(&db.url, &wider).await.expect_err("the index stops it");
    assert!(err.contains(stopped), "{err}");
    let mut conn = connect(&db.url, false).await;
    execute(&mut conn, "DROP INDEX ix_parents_name_code").await.expect("drop the index");
    conn.close().await.ok();
    run_revision(&db.url, &wider).await.expect("the indexes the schema has do not");
}

/// A column a `sql` op added is not in the schema model: a rebuild from the model would copy
/// every other column and drop it with its data. The rebuild stops instead, saying so, and
/// the table keeps the column and its values; the same name in another case is the model's.
#[tokio::test]
async fn a_column_no_op_created_stops_the_rebuild() {
    let db = common::TestDb::new(aludel::dialect::Backend::Sqlite).await;
    let model = "[[op]]\nop = \"create_table\"\ntable = \"t\"\ncolumns = [\n\
                 { name = \"id\", type = \"integer\", nullable = false },\n{ name = \"Note\", type = \"text\" },\n]\n\
                 primary_key = [\"id\"]\n";
    let (schema, created) = rendered_from(&Schema::default(), model);
    run_revision(&db.url, &created).await.expect("the table");
    let mut conn = connect(&db.url, false).await;
    execute(&mut conn, "ALTER TABLE t ADD COLUMN extra TEXT CHECK (extra <> 'bad')").await.expect("a sql op's column");
    execute(&mut conn, "INSERT INTO t (id, note, extra) VALUES (1, 'n', 'keep me')").await.expect("a row");
    let master = "SELECT sql FROM sqlite_master WHERE name = 't'";
    let before = query(&mut conn, master).await;
    conn.close().await.ok();

    let (_, statements) =
        rendered_from(&schema, "[[op]]\nop = \"alter_column\"\ntable = \"t\"\ncolumn = \"id\"\ntype = \"bigint\"");
    let err = run_revision(&db.url, &statements).await.expect_err("the unknown column stops the rebuild");
    assert!(err.contains("table t has columns no op created (a sql op added them)"), "{err}");
    let mut conn = connect(&db.url, false).await;
    assert_eq!(query(&mut conn, master).await, before, "the table is as it was");
    assert_eq!(query(&mut conn, "SELECT extra FROM t").await, [["keep me".to_owned()]]);
    execute(&mut conn, "ALTER TABLE t DROP COLUMN extra").await.expect("the column goes");
    conn.close().await.ok();
    run_revision(&db.url, &statements).await.expect("with only the model's columns, the rebuild runs");
}

#[tokio::test]
async fn a_table_option_the_model_lacks_stops_the_rebuild() {
    // STRICT, WITHOUT ROWID and a key INITIALLY DEFERRED are not in the schema model: a
    // rebuild from the model would quietly make the table lax, rowid or immediate.
    for (create, option) in [
        ("CREATE TABLE t (id INTEGER PRIMARY KEY, n INTEGER) STRICT", "STRICT"),
        ("CREATE TABLE t (id INTEGER PRIMARY KEY, n INTEGER) WITHOUT ROWID", "WITHOUT ROWID"),
        (
            "CREATE TABLE t (id INTEGER PRIMARY KEY, n INTEGER REFERENCES t (id) DEFERRABLE INITIALLY DEFERRED)",
            "INITIALLY DEFERRED",
        ),
        ("CREATE TABLE t (id INTEGER PRIMARY KEY, n INTEGER)", ""),
    ] {
        let db = common::TestDb::new(aludel::dialect::Backend::Sqlite).await;
        let mut conn = connect(&db.url, false).await;
        execute(&mut conn, create).await.expect("create");
        execute(&mut conn, "INSERT INTO t VALUES (1, 1)").await.expect("a row");
        let master = "SELECT sql FROM sqlite_master WHERE name = 't'";
        let before = query(&mut conn, master).await;
        conn.close().await.ok();
        let model = "[[op]]\nop = \"create_table\"\ntable = \"t\"\ncolumns = [\n\
                     { name = \"id\", type = \"integer\", nullable = false },\n{ name = \"n\", type = \"integer\" },\n]\n\
                     primary_key = [\"id\"]\n";
        let (schema, _) = rendered_from(&Schema::default(), model);
        let (_, statements) =
            rendered_from(&schema, "[[op]]\nop = \"alter_column\"\ntable = \"t\"\ncolumn = \"n\"\nnullable = false");
        let result = run_revision(&db.url, &statements).await;
        if option.is_empty() {
            result.expect("a plain table is rebuilt");
            continue;
        }
        let err = result.expect_err(option);
        assert!(err.contains("is STRICT or WITHOUT ROWID or has a foreign key INITIALLY DEFERRED"), "{option}: {err}");
        let mut conn = connect(&db.url, false).await;
        assert_eq!(query(&mut conn, master).await, before, "{option}: the table is as it was");
        conn.close().await.ok();
    }
}

/// A check that reads its columns through its table's name (`CHECK (t.qty > 0)`, as a
/// schema.sql may write it) named a table that does not exist while the rebuild builds the new
/// one under a temporary name, and the rebuild failed. The rebuilt table keeps the check,
/// read through no table name, with the same meaning, and its rows; the database compares
/// equal to the models before and after.
#[tokio::test]
async fn a_check_that_names_its_table_survives_a_rebuild() {
    let db = common::TestDb::new(Backend::Sqlite).await;
    let model = r#"
[[op]]
op = "create_table"
table = "t"
columns = [
    { name = "id", type = "integer", nullable = false },
    { name = "qty", type = "integer" },
    { name = "label", type = "text" },
]
primary_key = ["id"]
constraints = [
    { kind = "check", name = "t_qty_check", expr = "t.qty > 0" },
    { kind = "check", expr = "\"t\" . \"label\" <> '' AND main.t.label <> 't.label'" },
]
"#;
    let (schema, created) = rendered_from(&Schema::default(), model);
    run_revision(&db.url, &created).await.expect("the table");
    let mut conn = connect(&db.url, false).await;
    execute(&mut conn, "INSERT INTO t (id, qty, label) VALUES (1, 5, 'a'), (2, 7, 'b')").await.expect("rows");
    conn.close().await.ok();
    assert_eq!(db.introspect().await, db.normalize(&schema).await, "the database is the models");

    let change = "[[op]]\nop = \"alter_column\"\ntable = \"t\"\ncolumn = \"qty\"\n\
                  type = { from = \"integer\", to = \"bigint\" }\nnullable = false";
    let (after, statements) = rendered_from(&schema, change);
    insta::assert_snapshot!("a_check_that_names_its_table@sqlite", script(&statements));
    run_revision(&db.url, &statements).await.unwrap_or_else(|err| panic!("the rebuild runs: {err}"));

    let mut conn = connect(&db.url, false).await;
    assert_eq!(query(&mut conn, "SELECT id, qty, label FROM t ORDER BY id").await, [["1", "5", "a"], ["2", "7", "b"]]);
    for (row, refused) in [
        ("(3, 0, 'c')", "t_qty_check"),
        ("(3, 1, '')", "CHECK constraint failed"),
        ("(3, 1, 't.label')", "CHECK constraint failed"),
    ] {
        let err = execute(&mut conn, &format!("INSERT INTO t (id, qty, label) VALUES {row}")).await.expect_err(row);
        assert!(err.contains(refused), "{row}: {err}");
    }
    assert_sound_table(&mut conn).await;
    conn.close().await.ok();
    assert_eq!(db.introspect().await, db.normalize(&after).await, "the database is the models after the change");
}

/// Integrity and no leftover temporary table.
async fn assert_sound_table(conn: &mut SqliteConnection) {
    assert_eq!(query(conn, "PRAGMA integrity_check").await, vec![vec!["ok".to_owned()]], "integrity_check");
    assert_eq!(
        query(conn, "SELECT name FROM sqlite_master WHERE name LIKE '%aludel_tmp%'").await,
        Vec::<Vec<String>>::new(),
        "a temporary table is left over"
    );
}
