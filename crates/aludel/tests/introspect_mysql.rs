//! MySQL / MariaDB introspection on a real server: schemas migrated in with the MySQL
//! dialect, written in MySQL's own spellings, read back as exactly the schema the ops lead to
//! (once `normalize_database` names the inline enums and unique indexes after them, and normalizing
//! them changes nothing); what MySQL holds differently from how the models say it, asserted
//! one by one; another database than the connection's; excluded tables; hand-written SQL
//! read back in full; and a query count that does not grow with the number of tables.
//!
//! The cases written once for every backend (a history of changes) are `introspect.rs`'s.

mod common;

use crate::common::counting::Counting;
use aludel::dialect::mysql::{introspect, normalize, normalize_database};
use aludel::dialect::{Backend, IntrospectOptions, Session, StateTables};
use aludel::diff::{DiffOptions, diff};
use aludel::ops::Op;
use aludel::schema::{ColumnType, Constraint, DefaultValue, Generated, IndexKey, Literal, PortableExpr, Schema};
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

async fn normalized(db: &common::TestDb, models: &Schema) -> Schema {
    let mut session = db.session().await;
    let schema = normalize(session.as_mut(), models).await.unwrap_or_else(|err| panic!("normalize: {err}"));
    session.close().await.ok();
    schema
}

/// The name of the database behind a test database's URL.
fn database_name(db: &common::TestDb) -> String {
    db.url.rsplit_once('/').map(|(_, name)| name.to_owned()).expect("a URL ending in /<database>")
}

/// Cases written the way MySQL reads them back (no primary key names, MySQL's types and
/// default spellings, expressions as MySQL prints them): introspection, once `normalize_database`
/// names enums and unique indexes after them, gives back exactly the schema the ops lead to.
const EXACT: &[(&str, &str)] = &[
    (
        "neutral_types_and_defaults",
        r#"
        [[op]]
        op = "create_enum"
        name = "mood"
        values = ["sad", "it's ok"]

        [[op]]
        op = "create_table"
        table = "every_type"
        columns = [
            { name = "a_smallint", type = "smallint", nullable = false, default = { value = -7 } },
            { name = "a_integer", type = "integer", default = { value = 0 } },
            { name = "a_bigint", type = "bigint", default = { value = -9223372036854775808 } },
            { name = "a_real", type = "real", default = { value = 1.5 } },
            { name = "a_double", type = "double", default = { value = -2.5 } },
            { name = "a_numeric", type = "numeric(65,30)", default = { value = 5 } },
            { name = "a_numeric_ps", type = "numeric(10,2)", default = { value = 2.5 } },
            { name = "a_varchar_n", type = "varchar(255)", nullable = false, default = { value = "it's (a) 'test' \\ ok" } },
            { name = "a_char_n", type = "char(2)", default = { value = "ab" } },
            { name = "a_char", type = "char(1)" },
            { name = "a_text", type = "text", default = { value = "none" } },
            { name = "a_sum", type = "integer", default = { sql = "1 + 2" } },
            { name = "a_boolean", type = "boolean", nullable = false, default = { value = true } },
            { name = "a_boolean_off", type = "boolean", default = { value = false } },
            { name = "a_date", type = "date", default = { expr = "current_date" } },
            { name = "a_time", type = "time", default = { expr = "current_time" } },
            { name = "a_timestamp", type = "timestamp", default = { expr = "current_timestamp" } },
            { name = "a_uuid", type = "char(36)", default = { sql = "uuid()" } },
            { name = "a_json", type = "json", default = { value = "{}" } },
            { name = "a_bytes", type = "bytes" },
            { name = "a_mood", type = "enum:mood", nullable = false, default = { value = "it's ok" } },
            { name = "a_unsigned", type = "int unsigned", default = { value = 3 } },
            { name = "a_longtext", type = "longtext" },
            { name = "a_datetime", type = "datetime" },
            { name = "a_converting", type = "timestamp(0)" },
        ]
        "#,
    ),
    (
        "identity_generated_columns_and_comments",
        r#"
        [[op]]
        op = "create_table"
        table = "boxes"
        comment = "boxes, with 'quotes'"
        columns = [
            { name = "id", type = "bigint", nullable = false, identity = true, comment = "the key" },
            { name = "w", type = "integer", nullable = false },
            { name = "h", type = "integer", nullable = false },
            { name = "area", type = "integer", generated = { expr = "w * h" } },
            { name = "label", type = "varchar(40)", generated = { expr = "concat(w,',',h)", stored = false } },
        ]
        primary_key = ["id"]

        [[op]]
        op = "add_column"
        table = "boxes"
        column = { name = "half", type = "numeric(12,2)", generated = { expr = "w / 2.0" }, comment = "w / 2" }

        [[op]]
        op = "alter_column"
        table = "boxes"
        column = "w"
        comment = { to = "width" }
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
        constraints = [
            { kind = "check", name = "users_score_check", expr = "score >= 0 and name <> ')'" },
            { kind = "unique", name = "users_email_key", columns = ["email"] },
            { kind = "unique", name = "users_name_score_key", columns = ["name", "score"] },
        ]

        [[op]]
        op = "create_table"
        table = "Memberships"
        columns = [
            { name = "user_id", type = "integer", nullable = false },
            { name = "group name", type = "varchar(40)", nullable = false },
            { name = "invited_by", type = "integer" },
            { name = "approved_by", type = "integer" },
            { name = "we`ird", type = "varchar(10)", default = { value = "x" } },
        ]
        primary_key = ["group name", "user_id"]
        constraints = [
            { kind = "check", name = "Memberships `check`", expr = "`we``ird` in ('x','y')" },
            { kind = "foreign_key", name = "memberships_approved_by_fkey", columns = ["approved_by"], references = { table = "users", columns = ["id"] }, on_update = "cascade" },
            { kind = "foreign_key", name = "memberships_invited_by_fkey", columns = ["invited_by"], references = { table = "users", columns = ["id"] }, on_delete = "set_null", on_update = "set_null" },
            { kind = "foreign_key", name = "memberships_user_id_fkey", columns = ["user_id"], references = { table = "users", columns = ["id"] }, on_delete = "cascade" },
        ]

        [[op]]
        op = "create_index"
        table = "users"
        name = "ix_users_name_score"
        columns = ["name", "score"]
        unique = true

        [[op]]
        op = "create_index"
        table = "Memberships"
        name = "ix Memberships `weird`"
        columns = ["we`ird", { expr = "`group name`(5)" }]

        [[op]]
        op = "create_index"
        table = "users"
        name = "ft_users_name"
        columns = ["name"]
        method = "fulltext"

        [[op]]
        op = "create_index"
        table = "users"
        name = "ix_users_name"
        columns = ["name"]
        "#,
    ),
];

#[tokio::test]
async fn migrated_schemas_read_back_exactly() {
    for (case, text) in EXACT {
        let db = common::TestDb::new(Backend::MySql).await;
        let mut simulated = migrate(&db, text).await;
        // The catalog does not keep the order constraints were added in.
        for table in simulated.tables.values_mut() {
            table.constraints.sort_by(|a, b| a.name().cmp(&b.name()));
        }
        let introspected = normalize_database(read(&db, &IntrospectOptions::default()).await, &simulated);
        assert_eq!(introspected, simulated, "{case}: introspection differs from the schema the ops lead to");
        assert_eq!(normalized(&db, &simulated).await, simulated, "{case}: normalizing a canonical schema changes it");
    }
}

/// What MySQL holds differently from how the models say it: introspection returns it
/// MySQL's way, each difference is asserted, and the normalized models compare equal.
#[tokio::test]
async fn what_mysql_holds_differently_is_read_its_way() {
    let db = common::TestDb::new(Backend::MySql).await;
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
        comment = ""
        columns = [
            { name = "id", type = "bigint", identity = true },
            { name = "code", type = "char" },
            { name = "mood", type = "enum:mood", default = { value = "ok" } },
            { name = "parent_id", type = "bigint" },
            { name = "nothing", type = "text", default = { sql = " null " } },
            { name = "born", type = "timestamptz", default = { sql = "now(6)" } },
            { name = "weight", type = "double", default = { value = 70.0 } },
            { name = "price", type = "numeric(8,2)", default = { value = 3 } },
            { name = "nick", type = "varchar", default = { value = 7 } },
            { name = "doc", type = "jsonb" },
            { name = "token", type = "uuid" },
            { name = "score", type = "int(11)", comment = "" },
            { name = "flag", type = "boolean", default = { value = 1 } },
            { name = "doubled", type = "integer", generated = { expr = "score*2" } },
        ]
        constraints = [
            { kind = "primary_key", name = "people_pk", columns = ["id"] },
            { kind = "foreign_key", columns = ["parent_id"], references = { table = "people", columns = ["id"] }, on_delete = "no_action", on_update = "restrict" },
            { kind = "check", expr = "  score > 0  " },
            { kind = "unique", columns = ["nick"] },
        ]

        [[op]]
        op = "create_index"
        table = "people"
        name = "ix_people_mood"
        columns = ["mood", { expr = "nick(255)" }]
        method = "HASH"
        "#,
    )
    .await;
    let introspected = read(&db, &IntrospectOptions::default()).await;
    assert_ne!(introspected, simulated);

    let people = &introspected.tables["people"];
    let column = |name: &str| people.column(name).expect(name);
    // An empty comment is no comment; the primary key is `PRIMARY`, whatever it was called.
    assert_eq!((people.comment.as_deref(), column("score").comment.as_deref()), (None, None));
    assert_eq!((people.primary_key.as_slice(), people.primary_key_name.as_deref()), (&["id".to_owned()][..], None));
    // Identity and key columns are NOT NULL.
    assert_eq!((column("id").nullable, column("id").identity), (false, true));
    // Types as MySQL holds them: `char` is `char(1)`, `varchar` is `text`, `timestamptz` is
    // `timestamp`, `jsonb` is `json`, `uuid` is `char(36)`, a display width means nothing;
    // an enum is the type `enum(...)` until the models name it.
    assert_eq!(column("code").ty, ColumnType::Char(Some(1)));
    assert_eq!(column("nick").ty, ColumnType::Text);
    assert_eq!(column("born").ty, ColumnType::Timestamp);
    assert_eq!(column("doc").ty, ColumnType::Json);
    assert_eq!(column("token").ty, ColumnType::Char(Some(36)));
    assert_eq!(column("score").ty, ColumnType::Integer);
    assert_eq!(column("mood").ty, ColumnType::Custom("enum('sad','ok')".into()));
    assert!(introspected.enums.is_empty());
    // `DEFAULT NULL` is no default; `now(6)` is CURRENT_TIMESTAMP; a whole number is an
    // integer whatever the column's type.
    assert_eq!(column("nothing").default, None);
    assert_eq!(column("born").default, Some(DefaultValue::Expr(PortableExpr::CurrentTimestamp)));
    assert_eq!(column("weight").default, Some(DefaultValue::Value(Literal::Int(70))));
    assert_eq!(column("price").default, Some(DefaultValue::Value(Literal::Int(3))));
    assert_eq!(column("nick").default, Some(DefaultValue::Value(Literal::Int(7))));
    assert_eq!(column("flag").default, Some(DefaultValue::Value(Literal::Bool(true))));
    // Expressions as MySQL prints them; constraints MySQL named, sorted by name; NO ACTION
    // and RESTRICT are InnoDB's default.
    assert_eq!(column("doubled").generated, Some(Generated { expr: "score * 2".into(), stored: true }));
    let names: Vec<Option<&str>> = people.constraints.iter().map(Constraint::name).collect();
    assert_eq!(names, [Some("CONSTRAINT_1"), Some("nick"), Some("people_ibfk_1")]);
    assert!(matches!(&people.constraints[2], Constraint::ForeignKey { on_delete: None, on_update: None, .. }));
    assert_eq!(
        people.constraints[0],
        Constraint::Check { name: Some("CONSTRAINT_1".into()), expr: "score > 0".into() }
    );
    // The index MySQL made for the foreign key is the key's; the hash index is a b-tree, and
    // the prefix of a text column the renderer takes is the column.
    assert_eq!(introspected.indexes.keys().collect::<Vec<_>>(), ["ix_people_mood"]);
    let index = &introspected.indexes["ix_people_mood"];
    assert_eq!(index.columns, [IndexKey::Column("mood".into()), IndexKey::Column("nick".into())]);
    assert_eq!(index.method, None);

    // The normalized models say all that too; only the names MySQL picked differ, and the
    // diff matches unnamed constraints by shape.
    let models = normalized(&db, &simulated).await;
    assert_eq!(models.enums.keys().collect::<Vec<_>>(), ["mood"], "an enum no column uses is nowhere");
    assert!(models.tables["people"].constraints.iter().all(|c| c.name().is_none()));
    let database = normalize_database(introspected, &models);
    assert_eq!(models.indexes, database.indexes);
    assert_eq!(models.tables["people"].columns, database.tables["people"].columns);
    let changes = diff(&database, &models, &DiffOptions::default());
    assert!(changes.is_empty() && changes.warnings.is_empty(), "{:#?}", changes);
}

#[tokio::test]
async fn another_database_is_read_when_named() {
    let db = common::TestDb::new(Backend::MySql).await;
    let other = common::TestDb::new(Backend::MySql).await;
    db.execute("CREATE TABLE p (id integer PRIMARY KEY)").await;
    other
        .execute(&format!(
            "CREATE TABLE t (id integer PRIMARY KEY, m ENUM('a', 'b') DEFAULT 'a', p_id integer, \
             CONSTRAINT t_p_id_fkey FOREIGN KEY (p_id) REFERENCES `{}`.p (id));
             CREATE INDEX ix_t_m ON t (m)",
            database_name(&db)
        ))
        .await;
    let options = IntrospectOptions { schema: Some(database_name(&other)), ..Default::default() };
    let read_other = read(&db, &options).await;
    assert_eq!(read_other.tables.keys().collect::<Vec<_>>(), ["t"]);
    let t = &read_other.tables["t"];
    assert_eq!(t.column("m").unwrap().ty, ColumnType::Custom("enum('a','b')".into()));
    // A referenced table of another database is named without it.
    assert!(matches!(&t.constraints[0], Constraint::ForeignKey { references, .. } if references.table == "p"));
    assert_eq!(read_other.indexes.keys().collect::<Vec<_>>(), ["ix_t_m"]);

    let own = read(&db, &IntrospectOptions::default()).await;
    assert_eq!(own.tables.keys().collect::<Vec<_>>(), ["p"]);
    assert!(own.indexes.is_empty());
}

#[tokio::test]
async fn excluded_tables_are_left_out_with_their_indexes() {
    let db = common::TestDb::new(Backend::MySql).await;
    // Names that look like the placeholder the exclusion once had substituted into it.
    let tables = StateTables { version_table: "version {t}".into(), history_table: "history{t}".into() };
    let sql: Vec<String> = Backend::MySql
        .dialect()
        .create_state_tables(&tables)
        .expect("valid names")
        .into_iter()
        .map(|s| s.sql)
        .collect();
    db.execute(&sql.join(";\n")).await;
    db.execute("CREATE INDEX ix_history_revision ON `history{t}` (revision); CREATE TABLE kept (id integer)").await;
    let all = read(&db, &IntrospectOptions::default()).await;
    assert_eq!(all.tables.keys().collect::<Vec<_>>(), ["history{t}", "kept", "version {t}"]);
    assert_eq!(all.tables["version {t}"].primary_key, ["version_num"]);
    assert!(all.tables["history{t}"].column("id").unwrap().identity);
    assert_eq!(all.indexes.keys().collect::<Vec<_>>(), ["ix_history_revision"]);
    let options =
        IntrospectOptions { exclude_tables: vec![tables.version_table, tables.history_table], ..Default::default() };
    let kept = read(&db, &options).await;
    assert_eq!(kept.tables.keys().collect::<Vec<_>>(), ["kept"]);
    assert!(kept.indexes.is_empty());
}

/// SQL written by hand, with the spellings the renderer never uses: the whole schema read
/// back, snapshotted as its JSON document.
#[tokio::test]
async fn hand_written_sql_reads_back() {
    let db = common::TestDb::new(Backend::MySql).await;
    db.execute(
        r#"
        CREATE TABLE parent (
            id int(11) NOT NULL AUTO_INCREMENT,
            code varchar(20) NOT NULL,
            active bool DEFAULT 1,
            PRIMARY KEY (id),
            UNIQUE KEY parent_code (code)
        ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
        CREATE TABLE `Child Table` (
            id bigint(20) unsigned NOT NULL AUTO_INCREMENT COMMENT 'the key',
            parent_id int(11) DEFAULT NULL,
            parent_code varchar(20),
            legacy varchar(10) CHARACTER SET latin1 COLLATE latin1_bin,
            amount double DEFAULT 0 CHECK (amount > 0),
            price decimal(12,0) DEFAULT 9.99,
            note text DEFAULT 'a '',b',
            status enum('draft','live') NOT NULL DEFAULT 'draft',
            flags set('a','b') DEFAULT 'a,b',
            created timestamp NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
            updated datetime(3) DEFAULT current_timestamp(3),
            day date DEFAULT curdate(),
            doc json,
            ratio float(7,3) zerofill,
            tiny tinyint(4) NOT NULL DEFAULT -1,
            doubled double GENERATED ALWAYS AS (amount * 2) VIRTUAL,
            nothing text DEFAULT NULL,
            PRIMARY KEY (id),
            KEY ix_child_note (note(10)),
            UNIQUE KEY `uq child` (parent_id, amount),
            FULLTEXT KEY ft_child_note (note),
            KEY (parent_code),
            CONSTRAINT child_parent_fk FOREIGN KEY (parent_id) REFERENCES parent (id) ON DELETE SET NULL,
            FOREIGN KEY (parent_code) REFERENCES parent (code) ON UPDATE CASCADE,
            CONSTRAINT status_check CHECK (status <> 'live' OR amount > 1)
        ) COMMENT='children';
        CREATE TABLE log (id int, msg text, KEY (id)) ENGINE=MyISAM;
        CREATE VIEW v AS SELECT * FROM parent;
        CREATE SEQUENCE loose_seq;
        CREATE TABLE skipped (x integer);
        "#,
    )
    .await;
    let options = IntrospectOptions { exclude_tables: vec!["skipped".into()], ..Default::default() };
    let schema = read(&db, &options).await;
    assert_eq!(
        schema.tables.keys().collect::<Vec<_>>(),
        ["Child Table", "log", "parent"],
        "no view, sequence or excluded table"
    );
    insta::assert_snapshot!("hand_written_sql@mysql", schema.to_json());
}

/// `count` tables, each with a foreign key to the one before, a unique, a check and an
/// index.
fn many_tables(count: usize) -> String {
    (0..count)
        .map(|i| {
            let fk = if i == 0 {
                String::new()
            } else {
                format!(", prev_id integer, CONSTRAINT t{i}_prev_fkey FOREIGN KEY (prev_id) REFERENCES t{} (id)", i - 1)
            };
            format!(
                "CREATE TABLE t{i} (id integer AUTO_INCREMENT PRIMARY KEY, code varchar(20) UNIQUE, \
                 qty integer CHECK (qty > 0){fk});\nCREATE INDEX ix_t{i}_qty ON t{i} (qty);\n"
            )
        })
        .collect()
}

#[tokio::test]
async fn the_number_of_queries_does_not_grow_with_the_tables() {
    let mut counts = Vec::new();
    for tables in [2, 200] {
        let db = common::TestDb::new(Backend::MySql).await;
        db.execute(&many_tables(tables)).await;
        let mut session = Counting::new(db.session().await);
        let schema = session.introspect(&IntrospectOptions::default()).await.expect("introspect");
        assert_eq!((schema.tables.len(), schema.indexes.len()), (tables, tables));
        let last = &schema.tables[&format!("t{}", tables - 1)];
        assert_eq!(last.constraints.len(), 3, "unique, check and foreign key of {}", last.name);
        assert!(last.columns[0].identity, "auto_increment");
        counts.push(session.statements);
        Box::new(session).close().await.ok();
    }
    // The server's version, then tables, columns, indexes, foreign keys and checks.
    assert_eq!(counts, [6, 6]);
}

/// What MySQL refuses in the models is named, with MySQL's message; the scratch database is
/// gone afterwards, on error as on success.
#[tokio::test]
async fn refused_models_are_named_and_nothing_is_left_behind() {
    let db = common::TestDb::new(Backend::MySql).await;
    // The scratch databases this session created, by their CREATE DATABASE statements.
    let created = |log: &[String]| -> Vec<String> {
        log.iter()
            .flat_map(|sql| sql.split(";\n"))
            .filter_map(|sql| sql.strip_prefix("CREATE DATABASE `")?.split('`').next().map(str::to_owned))
            .collect()
    };
    let mut scratch = Vec::new();
    for (models, object, message) in [
        (
            r#"{ "tables": [{ "table": "t", "columns": [{ "name": "x", "type": "integer" }],
                 "constraints": [{ "kind": "check", "name": "t_x_check", "expr": "no_such_function(x) > 0" }] }] }"#,
            "check t_x_check on table t",
            "no_such_function",
        ),
        (
            r#"{ "tables": [{ "table": "t", "columns": [{ "name": "c", "type": "no_such_type" }] }] }"#,
            "type no_such_type of column t.c",
            "Unknown data type",
        ),
        (
            r#"{ "tables": [{ "table": "t", "columns": [{ "name": "c", "type": "interval" }] }] }"#,
            "type interval of column t.c",
            "MySQL has no interval type",
        ),
    ] {
        let models = Schema::from_json(models).expect("valid models");
        let mut session = Counting::new(db.session().await);
        let err = normalize(&mut session, &models).await.expect_err("refused");
        scratch.extend(created(&session.log));
        Box::new(session).close().await.ok();
        match &err {
            aludel::dialect::IntrospectError::Model { object: got, message: why } => {
                assert_eq!(got, object, "{err}");
                assert!(why.contains(message), "{err}");
            }
            other => panic!("expected a model error, got {other}"),
        }
    }
    let fine = Schema::from_json(
        r#"{ "tables": [{ "table": "t", "columns": [{ "name": "x", "type": "int unsigned" }],
             "constraints": [{ "kind": "check", "expr": "x > 0" }] }] }"#,
    )
    .expect("valid models");
    let mut session = Counting::new(db.session().await);
    normalize(&mut session, &fine).await.expect("normalize");
    scratch.extend(created(&session.log));
    Box::new(session).close().await.ok();
    // The type is refused in Rust; the check and the custom type reach the database (which
    // makes the scratch database again to find what it refuses).
    scratch.dedup();
    assert_eq!(scratch.len(), 3, "{scratch:?}");
    for name in scratch {
        let sql = format!("SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = '{name}'");
        assert!(db.query(&sql).await.is_empty(), "scratch database {name} is left behind");
    }
}

/// `[mysql] uuid = "binary16"`: uuid columns are BINARY(16), created, read back and compared
/// as such, while the revision keeps the neutral `uuid`.
#[tokio::test]
async fn uuid_columns_can_be_stored_as_sixteen_bytes() {
    use aludel::dialect::{DialectOptions, SessionOptions, UuidStorage};

    let models = Schema::from_json(
        r#"{ "tables": [{ "table": "tokens", "columns": [
            { "name": "id", "type": "uuid", "nullable": false },
            { "name": "owner", "type": "uuid" }
        ], "primary_key": ["id"] }] }"#,
    )
    .expect("models");
    for (storage, spelled) in [(UuidStorage::Binary16, "binary(16)"), (UuidStorage::Char36, "char(36)")] {
        let db = common::TestDb::new(Backend::MySql).await;
        let options = SessionOptions { dialect: DialectOptions { mysql_uuid: storage }, ..Default::default() };
        let mut session = Backend::MySql.connect(&db.url, &options).await.expect("connect");
        let create = aludel::diff::diff(&Schema::default(), &models, &aludel::diff::DiffOptions::default());
        let mut before = Schema::default();
        for op in &create.upgrade {
            for statement in session.dialect().render(op, &before).expect("renders") {
                session.execute(&statement.sql).await.expect("runs");
            }
            before.apply(op).expect("applies");
        }
        let types = db
            .query("SELECT COLUMN_TYPE FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() ORDER BY ORDINAL_POSITION")
            .await;
        assert_eq!(types, [[Some(spelled.to_owned())], [Some(spelled.to_owned())]], "{storage:?}");
        if storage == UuidStorage::Binary16 {
            db.execute("INSERT INTO tokens (id) VALUES (UNHEX(REPLACE(UUID(), '-', '')))").await;
        }
        let database = session.introspect(&IntrospectOptions::default()).await.expect("introspect");
        let restated = session.normalize(&models).await.expect("normalize");
        let database = session.normalize_database(database, &restated);
        let diff = aludel::diff::diff(&database, &restated, &aludel::diff::DiffOptions::default());
        assert!(diff.is_empty(), "{storage:?}: {:?}", diff.upgrade);
        assert_eq!(create.upgrade[0].describe(), "create_table tokens");
        session.close().await.ok();
    }
}
