//! SQLite introspection on a real database: schemas migrated in with the SQLite dialect read
//! back as the schema the ops lead to (restated by `normalize` where SQLite cannot hold
//! something, and those differences asserted one by one), hand-written SQL read back in
//! full, and a query count that does not grow with the number of tables.
//!
//! The cases written once for every backend (a history of changes) are `introspect.rs`'s.

mod common;

use crate::common::counting::Counting;
use aludel::dialect::IntrospectOptions;
use aludel::dialect::sqlite::{introspect, normalize};
use aludel::dialect::{Backend, Session, StateTables};
use aludel::ops::Op;
use aludel::schema::{ColumnType, Constraint, Schema};
use serde::Deserialize;

#[derive(Deserialize)]
struct Ops {
    op: Vec<Op>,
}

fn ops(text: &str) -> Vec<Op> {
    toml::from_str::<Ops>(text).unwrap_or_else(|err| panic!("invalid ops: {err}\n{text}")).op
}

/// Renders and runs `text`'s ops one after the other; returns the schema they lead to.
async fn migrate(db: &common::TestDb, text: &str) -> Schema {
    db.run(&Schema::default(), &ops(text)).await
}

async fn read(db: &common::TestDb, options: &IntrospectOptions) -> Schema {
    let mut session = db.session().await;
    let schema = introspect(session.as_mut(), options).await.expect("introspect");
    session.close().await.ok();
    schema
}

/// Cases whose every detail SQLite stores: introspection gives back exactly the schema the
/// ops lead to.
const EXACT: &[(&str, &str)] = &[
    (
        "neutral_types_and_defaults",
        r#"
        [[op]]
        op = "create_table"
        table = "every_type"
        columns = [
            { name = "a_smallint", type = "smallint", nullable = false, default = { value = -7 } },
            { name = "a_integer", type = "integer", default = { value = 0 } },
            { name = "a_bigint", type = "bigint", default = { value = -9223372036854775808 } },
            { name = "a_real", type = "real", default = { value = 1.0 } },
            { name = "a_double", type = "double", default = { value = -1.5e-7 } },
            { name = "a_inf", type = "double", default = { value = inf } },
            { name = "a_numeric", type = "numeric" },
            { name = "a_numeric_ps", type = "numeric(10,2)", default = { value = 2.5 } },
            { name = "a_varchar", type = "varchar" },
            { name = "a_varchar_n", type = "varchar(255)", nullable = false, default = { value = "it's (a) 'test'" } },
            { name = "a_char", type = "char" },
            { name = "a_char_n", type = "char(2)", default = { value = "" } },
            { name = "a_text", type = "text", default = { sql = "lower('A') || ')'" } },
            { name = "a_boolean", type = "boolean", nullable = false, default = { value = true } },
            { name = "a_boolean_off", type = "boolean", default = { value = false } },
            { name = "a_date", type = "date", default = { expr = "current_date" } },
            { name = "a_time", type = "time", default = { expr = "current_time" } },
            { name = "a_timestamp", type = "timestamp", default = { expr = "current_timestamp" } },
            { name = "a_timestamptz", type = "timestamptz", default = { sql = "datetime('now')" } },
            { name = "a_interval", type = "interval" },
            { name = "a_uuid", type = "uuid" },
            { name = "a_json", type = "json", default = { value = "{}" } },
            { name = "a_jsonb", type = "jsonb" },
            { name = "a_bytes", type = "bytes", default = { sql = "x'00ff'" } },
            { name = "a_custom", type = "mediumint" },
        ]
        "#,
    ),
    (
        "keys_constraints_and_indexes",
        r#"
        [[op]]
        op = "create_table"
        table = "users"
        columns = [
            { name = "id", type = "integer", nullable = false, identity = true },
            { name = "email", type = "varchar(255)", nullable = false },
            { name = "name", type = "text" },
            { name = "score", type = "integer", nullable = false, default = { value = 0 } },
        ]
        primary_key = ["id"]
        primary_key_name = "users_pkey"
        constraints = [
            { kind = "unique", name = "users_email_key", columns = ["email"] },
            { kind = "check", name = "users_score_check", expr = "score >= 0 AND name <> ')'" },
            { kind = "unique", columns = ["name", "score"] },
            { kind = "check", expr = "length(email) > 3" },
        ]

        [[op]]
        op = "create_table"
        table = "Memberships"
        columns = [
            { name = "user_id", type = "integer", nullable = false },
            { name = "group name", type = "text", nullable = false },
            { name = "invited_by", type = "integer" },
            { name = "we\"ird", type = "text" },
        ]
        primary_key = ["group name", "user_id"]
        primary_key_name = "memberships_pkey"
        constraints = [
            { kind = "foreign_key", name = "memberships_user_id_fkey", columns = ["user_id"], references = { table = "users", columns = ["id"] }, on_delete = "cascade", on_update = "restrict" },
            { kind = "foreign_key", columns = ["invited_by"], references = { table = "users", columns = ["id"] }, on_delete = "set_null", on_update = "set_default" },
        ]

        [[op]]
        op = "create_index"
        table = "users"
        name = "ix_users_lower_email"
        columns = [{ expr = "lower(email)" }, "score"]
        unique = true
        where = "email <> '' AND score > 0"

        [[op]]
        op = "create_index"
        table = "Memberships"
        name = "ix memberships \"weird\""
        columns = ["we\"ird", { expr = "\"group name\" || ','" }]

        [[op]]
        op = "create_index"
        table = "users"
        name = "ix_users_name"
        columns = ["name"]
        "#,
    ),
    (
        "generated_columns",
        r#"
        [[op]]
        op = "create_table"
        table = "boxes"
        columns = [
            { name = "w", type = "integer", nullable = false },
            { name = "h", type = "integer", nullable = false },
            { name = "area", type = "integer", generated = { expr = "w * h" } },
            { name = "label", type = "text", generated = { expr = "'(' || w || ',' || h || ')'", stored = false } },
        ]

        [[op]]
        op = "add_column"
        table = "boxes"
        column = { name = "half", type = "real", generated = { expr = "area / 2.0", stored = false } }
        "#,
    ),
];

#[tokio::test]
async fn migrated_schemas_read_back_exactly() {
    for (case, text) in EXACT {
        let db = common::TestDb::new(Backend::Sqlite).await;
        let simulated = migrate(&db, text).await;
        let introspected = read(&db, &IntrospectOptions::default()).await;
        assert_eq!(introspected, simulated, "{case}: introspection differs from the schema the ops lead to");
        assert_eq!(normalize(&simulated), simulated, "{case}: SQLite holds everything this case says");
    }
}

/// What SQLite cannot hold, case by case: introspection returns the model as `normalize`
/// restates it, and each difference is asserted.
#[tokio::test]
async fn what_sqlite_cannot_hold_is_restated_explicitly() {
    let db = common::TestDb::new(Backend::Sqlite).await;
    let simulated = migrate(
        &db,
        r#"
        [[op]]
        op = "create_enum"
        name = "mood"
        values = ["sad", "ok"]

        [[op]]
        op = "create_enum"
        name = "unused"
        values = ["x"]

        [[op]]
        op = "create_table"
        table = "people"
        comment = "everyone"
        columns = [
            { name = "id", type = "bigint", identity = true, comment = "the key" },
            { name = "mood", type = "enum:mood", nullable = false, default = { value = "ok" } },
            { name = "flag", type = "integer", default = { value = true } },
            { name = "done", type = "boolean", default = { value = 1 } },
            { name = "parent_id", type = "bigint" },
            { name = "nothing", type = "text", default = { sql = " null " } },
        ]
        constraints = [
            { kind = "primary_key", name = "people_pkey", columns = ["id"] },
            { kind = "foreign_key", name = "people_parent_fkey", columns = ["parent_id"], references = { table = "people", columns = ["id"] }, on_delete = "no_action", on_update = "no_action" },
            { kind = "check", name = "people_id_check", expr = "  id > 0  " },
        ]

        [[op]]
        op = "create_index"
        table = "people"
        name = "ix_people_mood"
        columns = [{ expr = "mood" }, { expr = " lower(mood) " }]
        method = "btree"
        where = " mood <> 'sad' "

        [[op]]
        op = "add_enum_value"
        name = "mood"
        value = "happy"
        before = "ok"

        [[op]]
        op = "add_column"
        table = "people"
        column = { name = "later", type = "enum:mood" }
        "#,
    )
    .await;
    let introspected = read(&db, &IntrospectOptions::default()).await;
    assert_eq!(introspected, normalize(&simulated));

    let people = &introspected.tables["people"];
    let column = |name: &str| people.column(name).expect(name);
    // No enum types: an enum column is TEXT with the CHECK the renderer writes, named after
    // the enum and listing its values at the time of the last rebuild. It reads back as the
    // enum column; the enum no column uses is gone.
    assert_eq!(introspected.enums.keys().collect::<Vec<_>>(), ["mood"]);
    assert_eq!(introspected.enums["mood"].values, ["sad", "happy", "ok"]);
    assert_eq!(column("mood").ty, ColumnType::Enum("mood".into()));
    assert_eq!(column("later").ty, ColumnType::Enum("mood".into()));
    let checks: Vec<&Constraint> =
        people.constraints.iter().filter(|c| matches!(c, Constraint::Check { .. })).collect();
    assert_eq!(checks, [&Constraint::Check { name: Some("people_id_check".into()), expr: "id > 0".into() }]);
    let stored = db.query("SELECT sql FROM sqlite_master WHERE name = 'people'").await;
    let sql = stored[0][0].as_deref().unwrap_or_default();
    assert!(sql.contains(r#"CONSTRAINT "aludel_enum_mood" CHECK ("mood" IN ('sad','happy','ok'))"#), "{sql}");
    // No comments.
    assert_eq!((people.comment.as_deref(), column("id").comment.as_deref()), (None, None));
    // A bigint identity is SQLite's INTEGER PRIMARY KEY AUTOINCREMENT, never null.
    assert_eq!((&column("id").ty, column("id").nullable, column("id").identity), (&ColumnType::Integer, false, true));
    // A primary key constraint is the table's primary key.
    assert_eq!(
        (people.primary_key.as_slice(), people.primary_key_name.as_deref()),
        (&["id".to_owned()][..], Some("people_pkey"))
    );
    // Booleans are 1 and 0: `true` on an integer column is 1, 1 on a boolean column is true.
    assert_eq!(column("flag").default, Some(aludel::schema::DefaultValue::Value(aludel::schema::Literal::Int(1))));
    assert_eq!(column("done").default, Some(aludel::schema::DefaultValue::Value(aludel::schema::Literal::Bool(true))));
    // `DEFAULT NULL` is no default.
    assert_eq!(column("nothing").default, None);
    // `no_action` is SQLite's default and reads back as absent.
    assert!(people.constraints.iter().any(|c| matches!(
        c,
        Constraint::ForeignKey { on_delete: None, on_update: None, name: Some(name), .. } if name == "people_parent_fkey"
    )));
    // Indexes: no method; an expression that only names a column is that column.
    let index = &introspected.indexes["ix_people_mood"];
    assert_eq!(index.method, None);
    assert_eq!(
        index.columns,
        [
            aludel::schema::IndexKey::Column("mood".into()),
            aludel::schema::IndexKey::Expr { expr: "lower(mood)".into() }
        ]
    );
    assert_eq!(index.predicate.as_deref(), Some("mood <> 'sad'"));
    assert_ne!(introspected, simulated);
}

/// SQL written by hand, with the spellings the renderer never uses: the whole schema read
/// back, snapshotted as its JSON document.
#[tokio::test]
async fn hand_written_sql_reads_back() {
    let db = common::TestDb::new(Backend::Sqlite).await;
    db.execute(
        r#"
        CREATE TABLE parent (id INTEGER PRIMARY KEY, "code" TEXT NOT NULL UNIQUE);
        CREATE TABLE [Child Table] (
            -- a comment, with a comma and a ( paren
            `id` integer primary key autoincrement,
            parent_id INT CONSTRAINT child_parent_fk REFERENCES parent ON DELETE SET DEFAULT ON UPDATE CASCADE,
            parent_code TEXT REFERENCES parent (code) DEFERRABLE INITIALLY DEFERRED,
            amount NUMERIC(12) DEFAULT +3 CONSTRAINT amount_positive CHECK (amount > 0 /* not ) a paren */),
            note "varchar"(40) COLLATE NOCASE DEFAULT 'a '',b' CHECK (note <> ')'),
            weight unsigned big int DEFAULT (1 + 2) NOT NULL,
            untyped,
            created DATETIME DEFAULT CURRENT_TIMESTAMP,
            doubled AS (amount * 2),
            CONSTRAINT "uq child" UNIQUE (parent_id, "amount") ON CONFLICT REPLACE,
            UNIQUE (note COLLATE NOCASE),
            CHECK ((weight) < 100)
        );
        CREATE UNIQUE INDEX "ix child" ON [Child Table] (lower(note) DESC, parent_id COLLATE BINARY) WHERE note IS NOT NULL;
        CREATE VIEW v AS SELECT * FROM parent;
        CREATE TRIGGER tr AFTER INSERT ON parent BEGIN SELECT 1; END;
        CREATE TABLE skipped (x);
        "#,
    )
    .await;
    let options = IntrospectOptions { exclude_tables: vec!["skipped".into()], ..Default::default() };
    let schema = read(&db, &options).await;
    assert_eq!(
        schema.tables.keys().collect::<Vec<_>>(),
        ["Child Table", "parent"],
        "no sqlite_sequence, view or excluded table"
    );
    insta::assert_snapshot!("hand_written_sql@sqlite", schema.to_json());
}

/// A schema.sql that is the database's own `.schema` text reads as introspection reads the
/// database: type names of several words as SQLite keeps them, a double-quoted default as the
/// string SQLite takes it for.
#[tokio::test]
async fn the_databases_own_schema_text_reads_as_introspection_reads_it() {
    let db = common::TestDb::new(Backend::Sqlite).await;
    let created = r#"CREATE TABLE spelled (
        id INTEGER PRIMARY KEY,
        weight unsigned big int NOT NULL DEFAULT 0,
        label varying character ( 255 ) COLLATE NOCASE,
        ratio double precision,
        flags int unsigned CHECK (flags >= 0),
        stamp timestamp with time zone,
        state text DEFAULT "draft",
        quoted "my type",
        doubled integer GENERATED ALWAYS AS (id*2) STORED,
        CONSTRAINT spelled_weight CHECK (weight<10),
        CHECK ((flags>0))
    );
    CREATE INDEX ix_spelled_heavy ON spelled (weight) WHERE weight>5"#;
    db.execute(created).await;
    let schema = read(&db, &IntrospectOptions::default()).await;
    let stored = db.query("SELECT sql FROM sqlite_master WHERE tbl_name = 'spelled' ORDER BY type DESC").await;
    let text: String = stored.iter().map(|row| format!("{};\n", row[0].as_deref().unwrap_or_default())).collect();
    let parsed = aludel::models::parse_schema_sql(&text, Backend::Sqlite, std::path::Path::new("schema.sql"))
        .unwrap_or_else(|err| panic!("{err}"));
    // The diff compares the models as SQLite would store them with the database: the same
    // expressions however they are spaced (`weight<10` read back, `weight < 10` parsed).
    assert_eq!(normalize(&parsed), schema, "{text}");
    let column = |name: &str| schema.tables["spelled"].column(name).expect(name).clone();
    assert_eq!(column("weight").ty, ColumnType::Custom("unsigned big int".into()));
    assert_eq!(column("label").ty, ColumnType::Custom("varying character ( 255 )".into()));
    assert_eq!(column("ratio").ty, ColumnType::Double);
    assert_eq!(column("quoted").ty, ColumnType::Custom("my type".into()));
    assert_eq!(
        column("state").default,
        Some(aludel::schema::DefaultValue::Value(aludel::schema::Literal::String("draft".into())))
    );
}

#[tokio::test]
async fn state_tables_and_sqlites_own_tables_can_be_left_out() {
    let db = common::TestDb::new(Backend::Sqlite).await;
    let tables = StateTables::default();
    let sql: Vec<String> = Backend::Sqlite
        .dialect()
        .create_state_tables(&tables)
        .expect("valid names")
        .into_iter()
        .map(|s| s.sql)
        .collect();
    db.execute(&sql.join(";\n")).await;
    db.execute("INSERT INTO aludel_history (revision, direction, checksum) VALUES ('a', 'upgrade', 'c'); ANALYZE")
        .await;
    let all = read(&db, &IntrospectOptions::default()).await;
    assert_eq!(all.tables.keys().collect::<Vec<_>>(), ["aludel_history", "aludel_version"]);
    assert_eq!(all.tables["aludel_version"].primary_key_name.as_deref(), Some("aludel_version_pkc"));
    let options =
        IntrospectOptions { exclude_tables: vec![tables.version_table, tables.history_table], ..Default::default() };
    assert_eq!(read(&db, &options).await, Schema::default());
}

/// `count` tables, each with a foreign key to the one before, a unique, a check and an index.
fn many_tables(count: usize) -> String {
    (0..count)
        .map(|i| {
            let fk = if i == 0 { String::new() } else { format!(", prev_id INTEGER REFERENCES t{} (id)", i - 1) };
            format!(
                "CREATE TABLE t{i} (id INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT, code VARCHAR(20) UNIQUE, \
                 qty INTEGER CHECK (qty > 0){fk});\nCREATE INDEX ix_t{i}_qty ON t{i} (qty) WHERE qty > 1;\n"
            )
        })
        .collect()
}

#[tokio::test]
async fn the_number_of_queries_does_not_grow_with_the_tables() {
    let mut counts = Vec::new();
    for tables in [2, 200] {
        let db = common::TestDb::new(Backend::Sqlite).await;
        db.execute(&many_tables(tables)).await;
        let mut session = Counting::new(db.session().await);
        let schema = introspect(&mut session, &IntrospectOptions::default()).await.expect("introspect");
        assert_eq!((schema.tables.len(), schema.indexes.len()), (tables, tables));
        let last = &schema.tables[&format!("t{}", tables - 1)];
        assert_eq!(last.constraints.len(), 3, "unique, check and foreign key of {}", last.name);
        counts.push(session.statements);
        Box::new(session).close().await.ok();
    }
    assert_eq!(counts, [4, 4]);
}
