//! What a run refuses before anything runs, on the real servers: an op of a pending revision
//! naming a table or column the database will not have when the op runs, and a drop_column
//! whose column a key or index of several columns still covers, a check of several columns or
//! an index expression reads, or a foreign key references.
//! Nothing of any pending revision may have run then, MariaDB's (which has no transactional
//! DDL) included; and what earlier ops, earlier revisions or raw SQL made must never be
//! refused, nor a column whose keys the revision dropped first. A downgrade past a revision
//! that never said how to undo its upgrade is refused the same way, online and in `--sql`.

mod common;

use std::path::Path;

use aludel::Error;
use aludel::config::Config;
use aludel::dialect::Backend;
use aludel::runtime::{Key, KeyKind, Migrator, Refusal, RuntimeError};
use aludel::schema::ConstraintKind;
use aludel::script::{Direction, ScriptError};
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

/// `regions (code)`, `shops` with a unique key and an index of two columns and a foreign key
/// to `regions`, and `memberships` with a primary key of two columns.
const KEYED: &str = r#"revision = "a1"
[[upgrade]]
op = "create_table"
table = "regions"
columns = [{ name = "code", type = "varchar(10)", nullable = false }]
primary_key = ["code"]

[[upgrade]]
op = "create_table"
table = "shops"
columns = [
    { name = "id", type = "integer", nullable = false },
    { name = "name", type = "varchar(50)" },
    { name = "country", type = "varchar(10)" },
    { name = "region", type = "varchar(10)" },
]
primary_key = ["id"]
constraints = [
    { kind = "unique", name = "shops_name_country_key", columns = ["name", "country"] },
    { kind = "foreign_key", name = "shops_region_fkey", columns = ["region"], references = { table = "regions", columns = ["code"] } },
]

[[upgrade]]
op = "create_index"
table = "shops"
name = "ix_shops_country_name"
columns = ["country", "name"]

[[upgrade]]
op = "create_table"
table = "memberships"
columns = [
    { name = "user_id", type = "integer", nullable = false },
    { name = "group_id", type = "integer", nullable = false },
]
primary_key = ["user_id", "group_id"]

[[upgrade]]
op = "sql"
sql = "INSERT INTO regions (code) VALUES ('north'); INSERT INTO shops (id, name, country, region) VALUES (1, 'a', 'x', 'north')"
"#;

/// Drops of columns that keys of several columns cover are refused, key after key, until the
/// revision drops the keys first; keys of the column alone go with it on every backend.
async fn a_column_of_a_key_of_several_columns_is_refused_until_the_key_goes(backend: Backend) {
    let db = TestDb::new(backend).await;
    let dir = tempfile::tempdir().unwrap();
    let migrator = project(dir.path(), &db, &[("a1_keyed.toml", KEYED)]);
    migrator.upgrade("a1").await.unwrap_or_else(|err| panic!("{backend:?}: {err}"));
    let attempt = |ops: &str| {
        let text = format!("revision = \"b2\"\ndown_revision = \"a1\"\n{ops}");
        std::fs::write(dir.path().join("versions").join("b2_drop.toml"), text).unwrap();
        let config = migrator.config().clone();
        async move { Migrator::new(config).unwrap().upgrade("head").await }
    };
    let drop_column = |table: &str, column: &str| {
        format!("[[upgrade]]\nop = \"drop_column\"\ntable = \"{table}\"\ncolumn = \"{column}\"\n")
    };
    let drop_unique = "[[upgrade]]\nop = \"drop_constraint\"\ntable = \"shops\"\nname = \"shops_name_country_key\"\n\
                       kind = \"unique\"\n";
    let drop_index = "[[upgrade]]\nop = \"drop_index\"\ntable = \"shops\"\nname = \"ix_shops_country_name\"\n";
    let add_note =
        "[[upgrade]]\nop = \"add_column\"\ntable = \"shops\"\ncolumn = { name = \"note\", type = \"text\" }\n";
    let names = |columns: &[&str]| columns.iter().map(|c| (*c).to_owned()).collect::<Vec<_>>();

    let err = attempt(&format!("{add_note}{}", drop_column("shops", "country"))).await.expect_err("refused");
    let unique = Key {
        kind: KeyKind::Unique,
        name: Some("shops_name_country_key".into()),
        columns: names(&["name", "country"]),
    };
    let expected = Refusal::ColumnInKey { table: "shops".into(), column: "country".into(), key: Box::new(unique) };
    assert_eq!(refusal(backend, &err), ("b2", 2, "drop_column shops.country", &expected), "{backend:?}");
    assert!(err.to_string().contains("drop it in an earlier op (drop_constraint)"), "{backend:?}: {err}");
    let shops = db.introspect().await.table("shops").cloned().expect("shops");
    assert!(shops.column("note").is_none(), "{backend:?}: the op before did not run");

    let err = attempt(&format!("{drop_unique}{}", drop_column("shops", "country"))).await.expect_err("refused");
    let Refusal::ColumnInKey { key, .. } = refusal(backend, &err).3 else { panic!("{backend:?}: {err}") };
    assert_eq!((key.kind, key.name.as_deref()), (KeyKind::Index, Some("ix_shops_country_name")), "{backend:?}");
    let schema = db.introspect().await;
    let shops = schema.table("shops").expect("shops");
    assert!(
        shops.constraints.iter().any(|c| c.name() == Some("shops_name_country_key"))
            || schema.indexes.contains_key("shops_name_country_key"),
        "{backend:?}: the unique key dropped before is still there: {shops:?}"
    );

    let err = attempt(&drop_column("memberships", "group_id")).await.expect_err("refused");
    let Refusal::ColumnInKey { key, .. } = refusal(backend, &err).3 else { panic!("{backend:?}: {err}") };
    assert_eq!((key.kind, &key.columns), (KeyKind::PrimaryKey, &names(&["user_id", "group_id"])), "{backend:?}");

    let err = attempt(&drop_column("regions", "code")).await.expect_err("refused");
    let expected = Refusal::ReferencedColumn {
        table: "regions".into(),
        column: "code".into(),
        referencing: "shops".into(),
        key: Box::new(Key {
            kind: KeyKind::ForeignKey,
            name: Some("shops_region_fkey".into()),
            columns: names(&["region"]),
        }),
    };
    assert_eq!(refusal(backend, &err).3, &expected, "{backend:?}");

    // The keys of several columns dropped first, the column goes; the foreign key of `region`
    // alone goes with its column everywhere, MariaDB included.
    let ops = format!("{drop_unique}{drop_index}{}{}", drop_column("shops", "country"), drop_column("shops", "region"));
    attempt(&ops).await.unwrap_or_else(|err| panic!("{backend:?}: {err}"));
    let schema = db.introspect().await;
    let shops = schema.table("shops").expect("shops");
    let columns: Vec<&str> = shops.columns.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(columns, ["id", "name"], "{backend:?}");
    assert!(shops.constraints.is_empty(), "{backend:?}: {:?}", shops.constraints);
    assert!(schema.indexes_on("shops").next().is_none(), "{backend:?}");
    assert_eq!(db.query("SELECT name FROM shops").await, [[Some("a".to_owned())]], "{backend:?}");
}

/// `items` with a check of `price` alone, a check of `discount` and `price`, and (where the
/// backend indexes expressions: not MariaDB) an index on `lower(email)`.
fn checked(backend: Backend) -> String {
    let mut text = r#"revision = "a1"
[[upgrade]]
op = "create_table"
table = "items"
columns = [
    { name = "id", type = "integer", nullable = false },
    { name = "price", type = "integer" },
    { name = "discount", type = "integer" },
    { name = "email", type = "varchar(100)" },
    { name = "note", type = "varchar(50)" },
]
primary_key = ["id"]
constraints = [
    { kind = "check", name = "items_price_check", expr = "price > 0" },
    { kind = "check", name = "items_discount_check", expr = "discount <= price" },
]

[[upgrade]]
op = "sql"
sql = "INSERT INTO items (id, price, discount, email, note) VALUES (1, 10, 2, 'A@x', 'kept')"
"#
    .to_owned();
    if backend != Backend::MySql {
        text.push_str(
            "\n[[upgrade]]\nop = \"create_index\"\ntable = \"items\"\nname = \"ix_items_lower_email\"\n\
             columns = [{ expr = \"lower(email)\" }]\n",
        );
    }
    text
}

/// The names of the checks of `items`.
async fn checks_of_items(db: &TestDb) -> Vec<String> {
    let schema = db.introspect().await;
    let items = schema.table("items").expect("items");
    let mut names: Vec<String> = items
        .constraints
        .iter()
        .filter(|c| c.kind() == ConstraintKind::Check)
        .map(|c| c.name().unwrap_or("unnamed").to_owned())
        .collect();
    names.sort();
    names
}

/// Drops of a column that a check of several columns or an index expression reads are refused
/// before anything runs, naming the check or index and the fix; once the revision drops them
/// first the column goes, and a check of the column alone goes with it on every backend.
async fn a_column_read_by_a_check_or_index_expression_is_refused_until_it_goes(backend: Backend) {
    let db = TestDb::new(backend).await;
    let dir = tempfile::tempdir().unwrap();
    let migrator = project(dir.path(), &db, &[("a1_checked.toml", &checked(backend))]);
    migrator.upgrade("a1").await.unwrap_or_else(|err| panic!("{backend:?}: {err}"));
    let attempt = |ops: &str| {
        let text = format!("revision = \"b2\"\ndown_revision = \"a1\"\n{ops}");
        std::fs::write(dir.path().join("versions").join("b2_drop.toml"), text).unwrap();
        let config = migrator.config().clone();
        async move { Migrator::new(config).unwrap().upgrade("head").await }
    };
    let drop_column =
        |column: &str| format!("[[upgrade]]\nop = \"drop_column\"\ntable = \"items\"\ncolumn = \"{column}\"\n");
    let drop_check =
        "[[upgrade]]\nop = \"drop_constraint\"\ntable = \"items\"\nname = \"items_discount_check\"\nkind = \"check\"\n";
    let drop_index = "[[upgrade]]\nop = \"drop_index\"\ntable = \"items\"\nname = \"ix_items_lower_email\"\n";
    let add_extra =
        "[[upgrade]]\nop = \"add_column\"\ntable = \"items\"\ncolumn = { name = \"extra\", type = \"integer\" }\n";
    let before = db.introspect().await;

    let err = attempt(&format!("{add_extra}{}", drop_column("price"))).await.expect_err("refused");
    let (revision, op_number, op, problem) = refusal(backend, &err);
    assert_eq!((revision, op_number, op), ("b2", 2, "drop_column items.price"), "{backend:?}");
    let Refusal::ColumnInCheck { table, column, check } = problem else { panic!("{backend:?}: {err}") };
    assert_eq!((table.as_str(), column.as_str()), ("items", "price"), "{backend:?}");
    assert_eq!((check.kind, check.name.as_deref()), (KeyKind::Check, Some("items_discount_check")), "{backend:?}");
    let message = err.to_string();
    for part in ["check constraint `items_discount_check`", "drop the check in an earlier op (drop_constraint)"] {
        assert!(message.contains(part), "{backend:?}: {part:?} in {message}");
    }
    assert_eq!(db.introspect().await, before, "{backend:?}: nothing ran");

    if backend != Backend::MySql {
        let err = attempt(&format!("{drop_check}{}", drop_column("email"))).await.expect_err("refused");
        let Refusal::ColumnInIndexExpression { index, .. } = refusal(backend, &err).3 else {
            panic!("{backend:?}: {err}")
        };
        assert_eq!(index.name.as_deref(), Some("ix_items_lower_email"), "{backend:?}");
        assert!(err.to_string().contains("drop the index in an earlier op (drop_index)"), "{backend:?}: {err}");
        assert_eq!(db.introspect().await, before, "{backend:?}: nothing ran");
    }

    // The check of several columns and the index dropped first, the columns go; the check of
    // `price` alone goes with it everywhere.
    let mut ops = format!("{drop_check}{}", drop_column("price"));
    if backend != Backend::MySql {
        ops.push_str(drop_index);
    }
    ops.push_str(&drop_column("email"));
    attempt(&ops).await.unwrap_or_else(|err| panic!("{backend:?}: {err}"));
    let schema = db.introspect().await;
    let items = schema.table("items").expect("items");
    let columns: Vec<&str> = items.columns.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(columns, ["id", "discount", "note"], "{backend:?}");
    assert!(checks_of_items(&db).await.is_empty(), "{backend:?}: {:?}", items.constraints);
    assert!(schema.indexes_on("items").next().is_none(), "{backend:?}");
    assert_eq!(db.query("SELECT note FROM items").await, [[Some("kept".to_owned())]], "{backend:?}");
}

/// `c3` of [`a_downgrade_not_written_is_refused_before_anything_runs`]: a data change that
/// says nothing about its downgrade, which `prefix` can make `downgrade = []`.
fn lowercase_names(prefix: &str) -> String {
    format!(
        "revision = \"c3\"\ndown_revision = \"b2\"\n{prefix}\n[[upgrade]]\nop = \"sql\"\nsql = \"UPDATE t SET name = lower(name)\"\n"
    )
}

/// Pending downgrade steps `d4 c3 b2`, where `c3` has upgrade ops and neither `[[downgrade]]`
/// ops nor `downgrade = []`: the downgrade is refused naming `c3` and its file, and nothing
/// ran (the version, `d4`'s and `b2`'s columns stay); `--sql` refuses it alike. Once `c3`
/// says `downgrade = []`, the same downgrade runs to `a1`.
async fn a_downgrade_not_written_is_refused_before_anything_runs(backend: Backend) {
    let db = TestDb::new(backend).await;
    let dir = tempfile::tempdir().unwrap();
    let add_column = |id: &str, parent: &str, column: &str| {
        format!(
            "revision = \"{id}\"\ndown_revision = \"{parent}\"\n\n[[upgrade]]\nop = \"add_column\"\ntable = \"t\"\n\
             column = {{ name = \"{column}\", type = \"integer\" }}\n\n[[downgrade]]\nop = \"drop_column\"\n\
             table = \"t\"\ncolumn = \"{column}\"\n"
        )
    };
    let files = [
        ("a1_base.toml".to_owned(), BASE.to_owned()),
        ("b2_note.toml".to_owned(), add_column("b2", "a1", "note")),
        ("c3_lowercase.toml".to_owned(), lowercase_names("")),
        ("d4_extra.toml".to_owned(), add_column("d4", "c3", "extra")),
    ];
    let files: Vec<(&str, &str)> = files.iter().map(|(name, text)| (name.as_str(), text.as_str())).collect();
    let migrator = project(dir.path(), &db, &files);
    migrator.upgrade("head").await.unwrap_or_else(|err| panic!("{backend:?}: {err}"));
    let before = db.introspect().await;

    let err = migrator.downgrade("a1").await.expect_err("c3 has no downgrade");
    let Error::Script(ScriptError::DowngradeNotWritten { revisions }) = &err else { panic!("{backend:?}: {err}") };
    let named: Vec<(&str, &std::ffi::OsStr)> =
        revisions.iter().map(|r| (r.revision.as_str(), r.path.file_name().unwrap())).collect();
    assert_eq!(named, [("c3", std::ffi::OsStr::new("c3_lowercase.toml"))], "{backend:?}");
    let message = err.to_string();
    for part in ["`c3` (", "c3_lowercase.toml", "write its `[[downgrade]]` ops", "add `downgrade = []`"] {
        assert!(message.contains(part), "{backend:?}: {part:?} in {message}");
    }
    // Nothing ran: the version and the schema are as the upgrade left them.
    assert_eq!(migrator.current().await.unwrap().iter().map(|h| h.as_str()).collect::<Vec<_>>(), ["d4"]);
    assert_eq!(db.introspect().await, before, "{backend:?}: the downgrade changed the schema");
    let unfinished = aludel::runtime::current_state(migrator.config()).await.unwrap().1;
    assert!(unfinished.is_none(), "{backend:?}: no revision is left unfinished: {unfinished:?}");
    // The `--sql` script is refused the same way; a range that stops above `c3` is not.
    let script = migrator.script(Direction::Down, "d4:a1").expect_err("c3 has no downgrade");
    assert!(matches!(&script, Error::Script(ScriptError::DowngradeNotWritten { .. })), "{backend:?}: {script}");
    assert!(migrator.script(Direction::Down, "d4:c3").is_ok(), "{backend:?}");

    // `downgrade = []`: nothing to undo, so the downgrade passes `c3`.
    std::fs::write(dir.path().join("versions/c3_lowercase.toml"), lowercase_names("downgrade = []\n")).unwrap();
    let migrator = Migrator::new(migrator.config().clone()).unwrap();
    assert!(migrator.script(Direction::Down, "d4:a1").is_ok(), "{backend:?}");
    migrator.downgrade("a1").await.unwrap_or_else(|err| panic!("{backend:?}: {err}"));
    assert_eq!(migrator.current().await.unwrap().iter().map(|h| h.as_str()).collect::<Vec<_>>(), ["a1"]);
    let columns: Vec<String> =
        db.introspect().await.table("t").expect("t").columns.iter().map(|c| c.name.clone()).collect();
    assert_eq!(columns, ["id", "name", "legacy"], "{backend:?}");
}

#[tokio::test]
async fn a_downgrade_past_a_revision_without_one_is_refused_before_anything_runs() {
    for backend in common::backends() {
        a_downgrade_not_written_is_refused_before_anything_runs(backend).await;
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

#[tokio::test]
async fn a_column_that_keys_of_several_columns_need_is_refused_until_they_go() {
    for backend in common::backends() {
        a_column_of_a_key_of_several_columns_is_refused_until_the_key_goes(backend).await;
    }
}

#[tokio::test]
async fn a_column_that_checks_of_several_columns_or_index_expressions_read_is_refused_until_they_go() {
    for backend in common::backends() {
        a_column_read_by_a_check_or_index_expression_is_refused_until_it_goes(backend).await;
    }
}

/// `upgrade --sql` from base checks the ops as an online run does, against the empty database
/// the script starts from, and writes no script; from a revision it refuses nothing, since the
/// database may hold what no revision made (a stamped baseline, a change by hand).
#[test]
fn a_script_from_base_is_refused_as_a_run_would_be() {
    let table = r#"revision = "a1"
[[upgrade]]
op = "create_table"
table = "t"
columns = [{ name = "id", type = "integer" }, { name = "a", type = "integer" }, { name = "b", type = "integer" }]
constraints = [{ kind = "check", name = "t_ab", expr = "a < b" }]
"#;
    let second = |ops: &str| format!("revision = \"b2\"\ndown_revision = \"a1\"\n{ops}");
    let add_c = "[[upgrade]]\nop = \"add_column\"\ntable = \"t\"\ncolumn = { name = \"c\", type = \"integer\" }\n";
    let drop = |column: &str| format!("[[upgrade]]\nop = \"drop_column\"\ntable = \"t\"\ncolumn = \"{column}\"\n");
    let drop_check = "[[upgrade]]\nop = \"drop_constraint\"\ntable = \"t\"\nname = \"t_ab\"\nkind = \"check\"\n";
    for url in ["postgresql://app@127.0.0.1:1/app", "sqlite://app.db", "mysql://app@127.0.0.1:1/app"] {
        let dir = tempfile::tempdir().unwrap();
        let versions = dir.path().join("versions");
        std::fs::create_dir_all(&versions).unwrap();
        std::fs::write(versions.join("a1_table.toml"), table).unwrap();
        let script = |b2: &str, range: &str| {
            std::fs::write(versions.join("b2_change.toml"), second(b2)).unwrap();
            let mut config = Config::for_url(url).unwrap();
            config.script_location = dir.path().to_owned();
            Migrator::new(config).unwrap().script(Direction::Up, range)
        };
        for (ops, problem) in [
            (format!("{add_c}{}", drop("typo")), "no column `typo`"),
            (format!("{add_c}{}", drop("a")), "check constraint `t_ab`"),
        ] {
            let err = script(&ops, "head").expect_err("refused from base");
            let Error::Runtime(runtime) = &err else { panic!("{url}: {err}") };
            let RuntimeError::Refused { revision, op_number, settled, .. } = runtime.as_ref() else {
                panic!("{url}: expected a refusal, got: {err}")
            };
            assert_eq!((revision.as_str(), *op_number), ("b2", 2), "{url}: {err}");
            let message = err.to_string();
            assert!(message.contains(problem) && settled.starts_with("no script was written"), "{url}: {message}");
            script(&ops, "a1:head").unwrap_or_else(|err| panic!("{url}: from a revision nothing is refused: {err}"));
        }
        script(&format!("{add_c}{drop_check}{}", drop("a")), "head").unwrap_or_else(|err| panic!("{url}: {err}"));
    }
}
