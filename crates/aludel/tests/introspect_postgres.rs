//! PostgreSQL introspection on a real server: schemas migrated in with the PostgreSQL
//! dialect, written in PostgreSQL's own spellings, read back as exactly the schema the ops
//! lead to (and normalizing them changes nothing); what PostgreSQL holds differently from
//! how the models say it, asserted one by one; another schema than `public`; excluded
//! tables; hand-written SQL read back in full; and a query count that does not grow with the
//! number of tables.
//!
//! The cases written once for every backend (a history of changes) are `introspect.rs`'s.

mod common;

use crate::common::counting::Counting;
use aludel::dialect::postgres::{introspect, normalize};
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

/// Cases written the way PostgreSQL prints them back (named constraints, deparsed
/// expressions, non-null keys): introspection gives back exactly the schema the ops lead to.
const EXACT: &[(&str, &str)] = &[
    (
        "neutral_types_and_defaults",
        r#"
        [[op]]
        op = "create_enum"
        name = "mood"
        values = ["sad", "ok"]

        [[op]]
        op = "create_enum"
        name = "Weird Mood"
        values = ["a'b", "c d"]

        [[op]]
        op = "create_table"
        table = "every_type"
        columns = [
            { name = "a_smallint", type = "smallint", nullable = false, default = { value = -7 } },
            { name = "a_integer", type = "integer", default = { value = 0 } },
            { name = "a_bigint", type = "bigint", default = { value = -9223372036854775808 } },
            { name = "a_real", type = "real", default = { value = 1.5 } },
            { name = "a_double", type = "double", default = { value = -1.5e-7 } },
            { name = "a_inf", type = "double", default = { value = -inf } },
            { name = "a_numeric", type = "numeric", default = { value = 5 } },
            { name = "a_numeric_ps", type = "numeric(10,2)", default = { value = 2.5 } },
            { name = "a_varchar", type = "varchar" },
            { name = "a_varchar_n", type = "varchar(255)", nullable = false, default = { value = "it's (a) 'test'" } },
            { name = "a_char_n", type = "char(2)", default = { value = "ab" } },
            { name = "a_text", type = "text", default = { sql = "(lower('A'::text) || ')'::text)" } },
            { name = "a_boolean", type = "boolean", nullable = false, default = { value = true } },
            { name = "a_boolean_off", type = "boolean", default = { value = false } },
            { name = "a_date", type = "date", default = { expr = "current_date" } },
            { name = "a_time", type = "time", default = { expr = "current_time" } },
            { name = "a_timestamp", type = "timestamp", default = { expr = "current_timestamp" } },
            { name = "a_timestamptz", type = "timestamptz", default = { sql = "LOCALTIMESTAMP" } },
            { name = "a_interval", type = "interval", default = { value = "1 day" } },
            { name = "a_uuid", type = "uuid", default = { sql = "gen_random_uuid()" } },
            { name = "a_json", type = "json", default = { value = "{}" } },
            { name = "a_jsonb", type = "jsonb", default = { value = '{"a": 1}' } },
            { name = "a_bytes", type = "bytes", default = { value = '\x00ff' } },
            { name = "a_mood", type = "enum:mood", nullable = false, default = { value = "ok" } },
            { name = "a_weird", type = "enum:Weird Mood", default = { value = "a'b" } },
            { name = "moods", type = "enum:mood[]", default = { value = "{}" } },
            { name = "weirds", type = "enum:Weird Mood[][]" },
            { name = "ints", type = "integer[]", default = { value = "{1,2}" } },
            { name = "grid", type = "text[][]" },
            { name = "codes", type = "varchar(10)[]" },
            { name = "a_inet", type = "inet" },
            { name = "a_tsvector", type = "tsvector" },
            { name = "a_precise", type = "timestamp(3)" },
            { name = "a_precise_tz", type = "timestamptz(6)" },
            { name = "a_bits", type = "bit varying(8)" },
            { name = "a_sum", type = "integer", default = { sql = "(1 + 2)" } },
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
            { name = "small_id", type = "smallint", nullable = false, identity = true, identity_always = true },
            { name = "w", type = "integer", nullable = false },
            { name = "h", type = "integer", nullable = false },
            { name = "area", type = "integer", generated = { expr = "(w * h)" } },
            { name = "label", type = "text", generated = { expr = "((('('::text || w) || ','::text) || h)" } },
        ]
        primary_key = ["id"]
        primary_key_name = "boxes_pkey"

        [[op]]
        op = "add_column"
        table = "boxes"
        column = { name = "half", type = "numeric", generated = { expr = "((w)::numeric / 2.0)" }, comment = "area / 2" }

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
            { name = "tags", type = "text[]" },
        ]
        primary_key = ["id"]
        primary_key_name = "users_pkey"
        constraints = [
            { kind = "unique", name = "users_email_key", columns = ["email"] },
            { kind = "unique", name = "users_name_score_key", columns = ["name", "score"] },
            { kind = "check", name = "users_score_check", expr = "((score >= 0) AND (name <> ')'::text))" },
        ]

        [[op]]
        op = "create_table"
        table = "Memberships"
        columns = [
            { name = "user_id", type = "integer", nullable = false },
            { name = "group name", type = "text", nullable = false },
            { name = "invited_by", type = "integer" },
            { name = "approved_by", type = "integer" },
            { name = "we\"ird", type = "text", default = { value = "x" } },
        ]
        primary_key = ["group name", "user_id"]
        primary_key_name = "Memberships_pkey"
        constraints = [
            { kind = "check", name = "Memberships \"check\"", expr = "(\"we\"\"ird\" = ANY (ARRAY['x'::text, 'y'::text]))" },
            { kind = "foreign_key", name = "memberships_approved_by_fkey", columns = ["approved_by"], references = { table = "users", columns = ["id"] }, on_delete = "restrict", on_update = "cascade" },
            { kind = "foreign_key", name = "memberships_invited_by_fkey", columns = ["invited_by"], references = { table = "users", columns = ["id"] }, on_delete = "set_null", on_update = "set_default" },
            { kind = "foreign_key", name = "memberships_user_id_fkey", columns = ["user_id"], references = { table = "users", columns = ["id"] }, on_delete = "cascade" },
        ]

        [[op]]
        op = "create_index"
        table = "users"
        name = "ix_users_lower_email"
        columns = [{ expr = "lower(email::text)" }, "score"]
        unique = true
        where = "(((email)::text <> ''::text) AND (score > 0))"

        [[op]]
        op = "create_index"
        table = "Memberships"
        name = "ix Memberships \"weird\""
        columns = ["we\"ird", { expr = "(\"group name\" || ','::text)" }]

        [[op]]
        op = "create_index"
        table = "users"
        name = "ix_users_tags"
        columns = ["tags"]
        method = "gin"

        [[op]]
        op = "create_index"
        table = "users"
        name = "IX_Users_Name"
        columns = ["name"]
        method = "hash"
        "#,
    ),
];

#[tokio::test]
async fn migrated_schemas_read_back_exactly() {
    for (case, text) in EXACT {
        let db = common::TestDb::new(Backend::Postgres).await;
        let mut simulated = migrate(&db, text).await;
        // The catalog does not keep the order constraints were added in.
        for table in simulated.tables.values_mut() {
            table.constraints.sort_by(|a, b| a.name().cmp(&b.name()));
        }
        let introspected = read(&db, &IntrospectOptions::default()).await;
        assert_eq!(introspected, simulated, "{case}: introspection differs from the schema the ops lead to");
        assert_eq!(normalized(&db, &simulated).await, simulated, "{case}: normalizing a canonical schema changes it");
    }
}

/// What PostgreSQL holds differently from how the models say it: introspection returns it
/// PostgreSQL's way, each difference is asserted, and the normalized models compare equal.
#[tokio::test]
async fn what_postgresql_holds_differently_is_read_its_way() {
    let db = common::TestDb::new(Backend::Postgres).await;
    let simulated = migrate(
        &db,
        r#"
        [[op]]
        op = "create_enum"
        name = "mood"
        values = ["sad", "ok"]

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
            { name = "born", type = "timestamptz", default = { sql = "now()" } },
            { name = "weight", type = "float8", default = { value = 70 } },
            { name = "nick", type = "character varying(20)", default = { value = 7 } },
            { name = "score", type = "int4", comment = "" },
            { name = "doubled", type = "integer", generated = { expr = "score*2" } },
        ]
        constraints = [
            { kind = "primary_key", columns = ["id"] },
            { kind = "foreign_key", columns = ["parent_id"], references = { table = "people", columns = ["id"] }, on_delete = "no_action", on_update = "no_action" },
            { kind = "check", expr = "  score > 0  " },
            { kind = "unique", columns = ["nick"] },
        ]

        [[op]]
        op = "create_index"
        table = "people"
        name = "ix_people_mood"
        columns = [{ expr = "mood" }, { expr = " lower(nick) " }]
        method = "BTREE"
        where = " mood <> 'sad' "
        "#,
    )
    .await;
    let introspected = read(&db, &IntrospectOptions::default()).await;
    assert_ne!(introspected, simulated);

    let people = &introspected.tables["people"];
    let column = |name: &str| people.column(name).expect(name);
    // An empty comment is no comment.
    assert_eq!((people.comment.as_deref(), column("score").comment.as_deref()), (None, None));
    // Identity and key columns are NOT NULL.
    assert_eq!((column("id").nullable, column("id").identity), (false, true));
    // `char` is `char(1)`; pass-through types are read as the neutral types they are.
    assert_eq!(column("code").ty, ColumnType::Char(Some(1)));
    assert_eq!(column("weight").ty, ColumnType::Double);
    assert_eq!(column("nick").ty, ColumnType::Varchar(Some(20)));
    assert_eq!(column("score").ty, ColumnType::Integer);
    // `DEFAULT NULL` is no default; `now()` stays `now` (the diff compares it with
    // CURRENT_TIMESTAMP by meaning); a number stays a number whatever the column's type; a
    // string is the column's type.
    assert_eq!(column("nothing").default, None);
    assert_eq!(column("born").default, Some(DefaultValue::Expr(PortableExpr::Now)));
    assert_eq!(column("weight").default, Some(DefaultValue::Value(Literal::Int(70))));
    assert_eq!(column("nick").default, Some(DefaultValue::Value(Literal::Int(7))));
    assert_eq!(column("mood").default, Some(DefaultValue::Value(Literal::String("ok".into()))));
    // Expressions as PostgreSQL deparses them; constraints PostgreSQL named, sorted by name.
    assert_eq!(column("doubled").generated, Some(Generated { expr: "(score * 2)".into(), stored: true }));
    assert_eq!(
        (people.primary_key.as_slice(), people.primary_key_name.as_deref()),
        (&["id".to_owned()][..], Some("people_pkey"))
    );
    assert_eq!(
        people.constraints,
        [
            Constraint::Unique { name: Some("people_nick_key".into()), columns: vec!["nick".into()] },
            Constraint::ForeignKey {
                name: Some("people_parent_id_fkey".into()),
                columns: vec!["parent_id".into()],
                references: aludel::schema::References { table: "people".into(), columns: vec!["id".into()] },
                on_delete: None,
                on_update: None,
            },
            Constraint::Check { name: Some("people_score_check".into()), expr: "(score > 0)".into() },
        ]
    );
    // An expression that only names a column is that column; btree is the default method.
    let index = &introspected.indexes["ix_people_mood"];
    assert_eq!(index.columns, [IndexKey::Column("mood".into()), IndexKey::Expr { expr: "lower(nick::text)".into() }]);
    assert_eq!((index.method.as_deref(), index.predicate.as_deref()), (None, Some("(mood <> 'sad'::mood)")));

    // The normalized models say all that too; only the names PostgreSQL picked differ, and
    // the diff matches unnamed constraints by shape.
    let models = normalized(&db, &simulated).await;
    assert!(models.tables["people"].constraints.iter().all(|c| c.name().is_none()));
    assert_eq!(models.tables["people"].primary_key_name, None);
    assert_eq!(models.indexes, introspected.indexes);
    assert_eq!(models.tables["people"].columns, people.columns);
    let changes = diff(&introspected, &models, &DiffOptions::default());
    assert!(changes.is_empty() && changes.warnings.is_empty(), "{:#?}", changes);
}

#[tokio::test]
async fn another_schema_is_read_when_named() {
    let db = common::TestDb::new(Backend::Postgres).await;
    db.execute(
        r#"
        CREATE TYPE pmood AS ENUM ('p');
        CREATE TABLE p (id integer PRIMARY KEY, m pmood);
        CREATE SCHEMA app;
        CREATE TYPE app.mood AS ENUM ('a', 'b');
        CREATE TABLE app.t (
            id integer CONSTRAINT t_pkey PRIMARY KEY,
            m app.mood DEFAULT 'a',
            pm pmood,
            p_id integer CONSTRAINT t_p_id_fkey REFERENCES public.p (id)
        );
        CREATE INDEX ix_t_m ON app.t (m) WHERE m <> 'b';
        "#,
    )
    .await;
    let app = read(&db, &IntrospectOptions { schema: Some("app".into()), ..Default::default() }).await;
    assert_eq!(app.tables.keys().collect::<Vec<_>>(), ["t"]);
    assert_eq!(app.enums.keys().collect::<Vec<_>>(), ["mood"]);
    let t = &app.tables["t"];
    // An enum of the schema read is an enum; one of another schema is a type as PostgreSQL
    // prints it; a referenced table of another schema is named without it.
    assert_eq!(t.column("m").unwrap().ty, ColumnType::Enum("mood".into()));
    assert_eq!(t.column("pm").unwrap().ty, ColumnType::Custom("pmood".into()));
    assert!(matches!(&t.constraints[0], Constraint::ForeignKey { references, .. } if references.table == "p"));
    assert_eq!(app.indexes["ix_t_m"].predicate.as_deref(), Some("(m <> 'b'::app.mood)"));

    let public = read(&db, &IntrospectOptions::default()).await;
    assert_eq!(public.tables.keys().collect::<Vec<_>>(), ["p"]);
    assert_eq!(public.enums.keys().collect::<Vec<_>>(), ["pmood"]);
    assert_eq!(public.tables["p"].column("m").unwrap().ty, ColumnType::Enum("pmood".into()));
    assert!(public.indexes.is_empty());
}

#[tokio::test]
async fn excluded_tables_are_left_out_with_their_indexes() {
    let db = common::TestDb::new(Backend::Postgres).await;
    let tables = StateTables::default();
    let sql: Vec<String> = Backend::Postgres
        .dialect()
        .create_state_tables(&tables)
        .expect("valid names")
        .into_iter()
        .map(|s| s.sql)
        .collect();
    db.execute(&sql.join(";\n")).await;
    db.execute("CREATE INDEX ix_history_revision ON aludel_history (revision); CREATE TABLE kept (id integer)").await;
    let all = read(&db, &IntrospectOptions::default()).await;
    assert_eq!(all.tables.keys().collect::<Vec<_>>(), ["aludel_history", "aludel_version", "kept"]);
    assert_eq!(all.tables["aludel_version"].primary_key_name.as_deref(), Some("aludel_version_pkc"));
    assert!(all.tables["aludel_history"].column("id").unwrap().identity);
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
    let db = common::TestDb::new(Backend::Postgres).await;
    db.execute(
        r#"
        CREATE EXTENSION IF NOT EXISTS citext;
        CREATE TYPE "Status" AS ENUM ('draft', 'live');
        CREATE DOMAIN positive AS integer CHECK (VALUE > 0);
        CREATE TABLE parent (
            id serial PRIMARY KEY,
            code character varying(20) NOT NULL UNIQUE,
            big_id bigserial,
            small_id smallserial
        );
        CREATE TABLE "Child Table" (
            id int4 GENERATED ALWAYS AS IDENTITY (START WITH 10),
            parent_id int REFERENCES parent ON DELETE SET DEFAULT ON UPDATE CASCADE DEFERRABLE INITIALLY DEFERRED,
            parent_code varchar(20) CONSTRAINT child_parent_code_fk REFERENCES parent (code) MATCH FULL,
            amount float8 DEFAULT 0 CONSTRAINT amount_positive CHECK (amount > 0),
            price decimal(12) DEFAULT 9.99,
            note character varying DEFAULT 'a '',b'::text CHECK (note IN ('x', 'y', 'a '',b')),
            email citext,
            weight positive,
            status "Status" DEFAULT 'draft'::"Status" NOT NULL,
            created timestamp with time zone DEFAULT now(),
            updated timestamp(0) without time zone DEFAULT LOCALTIMESTAMP(0),
            flags bit varying(8),
            nothing text DEFAULT NULL,
            bools bool[] DEFAULT ARRAY[true, false],
            doubled float8 GENERATED ALWAYS AS (amount * 2) STORED,
            CONSTRAINT "uq child" UNIQUE (parent_id, amount),
            UNIQUE (note) INCLUDE (email),
            CHECK (weight < 100) NOT VALID,
            EXCLUDE USING btree (price WITH =)
        );
        COMMENT ON TABLE "Child Table" IS 'children';
        COMMENT ON COLUMN "Child Table".note IS 'free text';
        CREATE UNIQUE INDEX "ix child" ON "Child Table" (lower(note) DESC, parent_id NULLS FIRST) WHERE note IS NOT NULL;
        CREATE INDEX ix_child_email ON "Child Table" USING hash (email);
        CREATE INDEX ix_child_text ON "Child Table" USING gin (to_tsvector('english', note));
        CREATE VIEW v AS SELECT * FROM parent;
        CREATE MATERIALIZED VIEW mv AS SELECT 1 AS one;
        CREATE SEQUENCE loose_seq;
        CREATE TABLE events (id bigint NOT NULL, at date NOT NULL, PRIMARY KEY (id, at)) PARTITION BY RANGE (at);
        CREATE TABLE events_2024 PARTITION OF events FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
        CREATE INDEX ix_events_at ON events (at);
        CREATE TABLE skipped (x integer);
        CREATE TABLE "empty" ();
        "#,
    )
    .await;
    let options = IntrospectOptions { exclude_tables: vec!["skipped".into()], ..Default::default() };
    let schema = read(&db, &options).await;
    assert_eq!(
        schema.tables.keys().collect::<Vec<_>>(),
        ["Child Table", "empty", "events", "parent"],
        "no view, partition, extension object or excluded table"
    );
    insta::assert_snapshot!("hand_written_sql@postgresql", schema.to_json());
}

/// `count` tables, each with a foreign key to the one before, a unique, a check and a
/// partial index.
fn many_tables(count: usize) -> String {
    (0..count)
        .map(|i| {
            let fk = if i == 0 { String::new() } else { format!(", prev_id integer REFERENCES t{} (id)", i - 1) };
            format!(
                "CREATE TABLE t{i} (id serial PRIMARY KEY, code varchar(20) UNIQUE, \
                 qty integer CHECK (qty > 0){fk});\nCREATE INDEX ix_t{i}_qty ON t{i} (qty) WHERE qty > 1;\n"
            )
        })
        .collect()
}

#[tokio::test]
async fn the_number_of_queries_does_not_grow_with_the_tables() {
    let mut counts = Vec::new();
    for tables in [2, 200] {
        let db = common::TestDb::new(Backend::Postgres).await;
        db.execute(&many_tables(tables)).await;
        let mut session = Counting::new(db.session().await);
        let schema = session.introspect(&IntrospectOptions::default()).await.expect("introspect");
        assert_eq!((schema.tables.len(), schema.indexes.len()), (tables, tables));
        let last = &schema.tables[&format!("t{}", tables - 1)];
        assert_eq!(last.constraints.len(), 3, "unique, check and foreign key of {}", last.name);
        assert!(last.columns[0].identity, "serial");
        counts.push(session.statements);
        Box::new(session).close().await.ok();
    }
    assert_eq!(counts, [4, 4]);
}
