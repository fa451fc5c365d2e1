//! Normalizing models through PostgreSQL, on a real server. The bar is zero false
//! positives: models created in a fresh database (by aludel's rendered ops, or by running a
//! hand-written schema.sql) and then normalized compare equal to what introspection reads,
//! so the diff is empty. And no false negatives: a model that really differs still gives a
//! diff. Also: refused models name the object and the database's message, nothing is left
//! behind, and the number of round trips does not grow with the number of tables.

mod common;

use crate::common::counting::Counting;
use std::path::Path;

use aludel::dialect::postgres::{introspect, normalize};
use aludel::dialect::{Backend, IntrospectError, IntrospectOptions, Session};
use aludel::diff::{Diff, DiffOptions, Warning, diff};
use aludel::models::parse_schema_sql;
use aludel::ops::Op;
use aludel::schema::Schema;
use serde::Deserialize;

use crate::common::TestDb;

#[derive(Deserialize)]
struct Ops {
    op: Vec<Op>,
}

fn ops(text: &str) -> Vec<Op> {
    toml::from_str::<Ops>(text).unwrap_or_else(|err| panic!("invalid ops: {err}\n{text}")).op
}

/// The schema `ops` lead to, without a database.
fn schema_of(ops: &[Op]) -> Schema {
    let mut schema = Schema::default();
    for op in ops {
        schema.apply(op).unwrap_or_else(|err| panic!("{}: {err}", op.describe()));
    }
    schema
}

async fn connect(db: &TestDb) -> Box<dyn Session> {
    Backend::Postgres.connect(&db.url, &Default::default()).await.expect("connect")
}

/// Renders `ops` and runs them as one batch; returns the schema they lead to.
async fn migrate(db: &TestDb, ops: &[Op]) -> Schema {
    let dialect = Backend::Postgres.dialect();
    let mut schema = Schema::default();
    let mut sql = Vec::new();
    for op in ops {
        let statements = dialect.render(op, &schema).unwrap_or_else(|err| panic!("{}: {err}", op.describe()));
        sql.extend(statements.into_iter().map(|s| s.sql));
        schema.apply(op).unwrap_or_else(|err| panic!("{}: {err}", op.describe()));
    }
    db.execute(&sql.join(";\n")).await;
    schema
}

/// The database's schema, the normalized models and their diff.
async fn compare(db: &TestDb, models: &Schema) -> (Schema, Schema, Diff) {
    let mut session = connect(db).await;
    let database = introspect(session.as_mut(), &IntrospectOptions::default()).await.expect("introspect");
    let normalized = normalize(session.as_mut(), models).await.unwrap_or_else(|err| panic!("normalize: {err}"));
    session.close().await.ok();
    let changes = diff(&database, &normalized, &DiffOptions::default());
    (database, normalized, changes)
}

fn describe(changes: &Diff) -> String {
    let ops: Vec<String> = changes.upgrade.iter().map(Op::describe).collect();
    let warnings: Vec<String> = changes.warnings.iter().map(ToString::to_string).collect();
    format!("ops: {ops:#?}\nwarnings: {warnings:#?}")
}

/// Models as a person writes them, in spellings PostgreSQL reads back differently.
const MIGRATED: &[(&str, &str)] = &[
    (
        "loose_spellings",
        r#"
        [[op]]
        op = "sql"
        sql = "CREATE EXTENSION IF NOT EXISTS citext"

        [[op]]
        op = "create_enum"
        name = "status"
        values = ["draft", "live", "gone"]

        [[op]]
        op = "create_table"
        table = "authors"
        comment = ""
        columns = [
            { name = "id", type = "bigserial" },
            { name = "email", type = "citext", nullable = false },
            { name = "name", type = "character varying(80)", default = { value = "anonymous" } },
            { name = "code", type = "char" },
            { name = "karma", type = "int4", default = { value = 0 } },
            { name = "weight", type = "float8", default = { value = 1 } },
            { name = "ratio", type = "real", default = { value = 0.1234567891 } },
            { name = "big", type = "double", default = { value = 1e20 } },
            { name = "price", type = "numeric(5)", default = { value = 2.5 } },
            { name = "joined", type = "timestamptz", default = { sql = "now()" } },
            { name = "seen", type = "timestamp(3)", default = { sql = "LOCALTIMESTAMP" } },
            { name = "born", type = "date", default = { value = "2000-01-01" } },
            { name = "at", type = "timestamp", default = { value = "2020-01-01" } },
            { name = "uid", type = "uuid", default = { sql = "gen_random_uuid()" } },
            { name = "settings", type = "jsonb", default = { value = '{"a":1,  "b": [1,2]}' } },
            { name = "extra", type = "jsonb", default = { sql = "'{}'::jsonb" } },
            { name = "flags", type = "int8[]", default = { value = "{}" } },
            { name = "padded", type = "char(5)", default = { value = "ab" } },
            { name = "note", type = "text", default = { sql = "NULL" }, comment = "" },
            { name = "label", type = "varchar(10)", default = { sql = "'x'::text" } },
            { name = "span", type = "interval", default = { value = "1 hour" } },
            { name = "state", type = "enum:status", nullable = false, default = { value = "draft" } },
            { name = "old_states", type = "enum:status[]", default = { sql = "'{}'" } },
            { name = "active", type = "bool", default = { value = true } },
            { name = "score", type = "integer", generated = { expr = "karma*2 + 1" } },
        ]
        constraints = [
            { kind = "primary_key", columns = ["id"] },
            { kind = "unique", columns = ["email"] },
            { kind = "check", expr = "karma>=0 and name<>')'" },
            { kind = "check", name = "authors_state_check", expr = " state in ('draft','live') " },
            { kind = "check", expr = "label IN ('x', 'y')" },
        ]

        [[op]]
        op = "create_table"
        table = "Posts"
        columns = [
            { name = "id", type = "serial" },
            { name = "author_id", type = "bigint", nullable = false },
            { name = "reviewer_id", type = "bigint" },
            { name = "title", type = "text", nullable = false },
            { name = "body", type = "text" },
            { name = "tags", type = "text[]" },
            { name = "w", type = "int", nullable = false, default = { value = 1 } },
            { name = "h", type = "int", nullable = false, default = { value = 1 } },
            { name = "area", type = "bigint", generated = { expr = "w*h" } },
        ]
        primary_key = ["id"]
        constraints = [
            { kind = "foreign_key", columns = ["author_id"], references = { table = "authors", columns = ["id"] }, on_delete = "cascade", on_update = "no_action" },
            { kind = "foreign_key", name = "posts_reviewer_fkey", columns = ["reviewer_id"], references = { table = "authors", columns = ["id"] }, on_delete = "no_action" },
            { kind = "check", expr = "length(title) between 1 and 200" },
        ]

        [[op]]
        op = "create_index"
        table = "Posts"
        name = "ix_posts_lower_title"
        columns = [{ expr = "lower(title)" }, { expr = "(author_id)" }]
        unique = true
        where = " body is not null and w>1 "

        [[op]]
        op = "create_index"
        table = "Posts"
        name = "IX Posts Tags"
        columns = ["tags"]
        method = "GIN"

        [[op]]
        op = "create_index"
        table = "authors"
        name = "ix_authors_name"
        columns = ["name"]
        method = "BTREE"

        [[op]]
        op = "create_index"
        table = "authors"
        name = "ix_authors_search"
        columns = [{ expr = "to_tsvector('english', name)" }]
        method = "gin"

        [[op]]
        op = "create_index"
        table = "authors"
        name = "ix_authors_live"
        columns = ["id"]
        where = "state = 'live'"
        "#,
    ),
    (
        "changes_over_time",
        r#"
        [[op]]
        op = "create_table"
        table = "items"
        columns = [
            { name = "id", type = "integer", nullable = false, identity = true },
            { name = "qty", type = "int4", default = { value = 1 } },
        ]
        primary_key = ["id"]

        [[op]]
        op = "add_column"
        table = "items"
        column = { name = "price", type = "decimal(10,2)", default = { value = 0 } }

        [[op]]
        op = "alter_column"
        table = "items"
        column = "qty"
        type = { from = "int4", to = "int8" }
        default = { from = { value = 1 }, to = { sql = "(2 + 3)" } }

        [[op]]
        op = "add_constraint"
        table = "items"
        constraint = { kind = "check", expr = "qty > 0 AND price >= 0" }

        [[op]]
        op = "add_column"
        table = "items"
        column = { name = "total", type = "numeric", generated = { expr = "qty * price" } }

        [[op]]
        op = "create_index"
        table = "items"
        name = "ix_items_total"
        columns = [{ expr = "round(total)" }]
        where = "total > 100"

        [[op]]
        op = "alter_column"
        table = "items"
        column = "price"
        new_name = "unit_price"
        "#,
    ),
    (
        "names_like_the_scratch_ones",
        r#"
        [[op]]
        op = "create_enum"
        name = "aludel_index_"
        values = ["a"]

        [[op]]
        op = "create_table"
        table = "aludel_spelling_0"
        columns = [
            { name = "aludel_key", type = "int4", nullable = false },
            { name = "check_0", type = "float8", default = { value = 1 } },
            { name = "c0", type = "enum:aludel_index_", default = { sql = "'a'" } },
        ]
        constraints = [
            { kind = "check", name = "check_1", expr = "aludel_key > 0" },
            { kind = "check", expr = "check_0 > 0" },
            { kind = "check", name = "aludel_spelling_0_check", expr = "c0 = 'a'" },
            { kind = "unique", name = "aludel_index_0", columns = ["aludel_key"] },
        ]

        [[op]]
        op = "create_index"
        table = "aludel_spelling_0"
        name = "aludel_index_1"
        columns = [{ expr = "aludel_key + 1" }]

        [[op]]
        op = "create_index"
        table = "aludel_spelling_0"
        name = "check_0"
        columns = ["check_0"]
        where = "aludel_key > 1"
        "#,
    ),
];

#[tokio::test]
async fn migrated_models_normalize_to_what_the_database_reads() {
    for (case, text) in MIGRATED {
        let db = TestDb::new(Backend::Postgres).await;
        let models = migrate(&db, &ops(text)).await;
        let (database, normalized, changes) = compare(&db, &models).await;
        assert!(changes.is_empty() && changes.warnings.is_empty(), "{case}: false positives\n{}", describe(&changes));
        // Beyond what the diff looks at: only names PostgreSQL picked differ.
        assert_eq!(normalized.indexes, database.indexes, "{case}");
        for (name, table) in &normalized.tables {
            assert_eq!(table.columns, database.tables[name].columns, "{case}: columns of {name}");
        }
    }
}

/// Hand-written schema.sql files in PostgreSQL's many spellings, run as they are.
const SCHEMA_SQL: &[(&str, &str)] = &[
    (
        "blog",
        r#"
        CREATE EXTENSION IF NOT EXISTS citext;
        CREATE TYPE post_status AS ENUM ('draft', 'published', 'archived');

        CREATE TABLE users (
            id bigserial PRIMARY KEY,
            email citext NOT NULL CONSTRAINT users_email_key UNIQUE,
            display_name character varying(80),
            active boolean NOT NULL DEFAULT true,
            karma integer NOT NULL DEFAULT 0,
            balance numeric(12, 2) DEFAULT 0.5,
            country char(2),
            settings jsonb NOT NULL DEFAULT '{}'::jsonb,
            avatar bytea,
            home_ip inet,
            external_id uuid DEFAULT gen_random_uuid(),
            created_at timestamptz NOT NULL DEFAULT now(),
            updated_at timestamp with time zone DEFAULT CURRENT_TIMESTAMP,
            CONSTRAINT users_karma_check CHECK (karma >= 0)
        );

        CREATE TABLE posts (
            id integer GENERATED ALWAYS AS IDENTITY,
            author_id bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
            title text NOT NULL,
            slug text NOT NULL,
            body text,
            status post_status NOT NULL DEFAULT 'draft',
            past_statuses post_status[],
            tags_cache text[],
            word_count int4 GENERATED ALWAYS AS (length(body) / 5) STORED,
            rating real,
            score double precision,
            published_on date DEFAULT CURRENT_DATE,
            publish_at time,
            edited_at timestamp without time zone,
            read_time interval,
            meta json,
            CONSTRAINT posts_pkey PRIMARY KEY (id),
            CONSTRAINT posts_author_slug_key UNIQUE (author_id, slug),
            CHECK (status IN ('draft', 'published') OR body IS NOT NULL)
        );

        CREATE TABLE comments (
            id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
            post_id integer NOT NULL,
            author_id bigint,
            parent_id bigint REFERENCES comments ON DELETE SET NULL,
            body text NOT NULL CHECK (body <> ''),
            created_at timestamptz NOT NULL DEFAULT CURRENT_TIMESTAMP,
            FOREIGN KEY (post_id) REFERENCES posts (id) ON DELETE CASCADE ON UPDATE NO ACTION
        );

        ALTER TABLE comments
            ADD CONSTRAINT comments_author_id_fkey FOREIGN KEY (author_id) REFERENCES users (id) ON DELETE SET NULL;

        CREATE TABLE tags (
            id smallserial PRIMARY KEY,
            name varchar(50) NOT NULL UNIQUE,
            color int2 NOT NULL DEFAULT -1
        );

        CREATE TABLE post_tags (
            post_id integer NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
            tag_id smallint NOT NULL REFERENCES tags (id) ON DELETE RESTRICT,
            PRIMARY KEY (post_id, tag_id)
        );

        CREATE UNIQUE INDEX ix_users_email_lower ON users (lower(email));
        CREATE INDEX ix_posts_author_id ON posts (author_id);
        CREATE INDEX ix_posts_published ON posts (published_on) WHERE status = 'published';
        CREATE INDEX ix_posts_tags_cache ON posts USING gin (tags_cache);
        CREATE INDEX ix_comments_post_created ON comments (post_id, created_at);

        COMMENT ON TABLE users IS 'people who can sign in';
        COMMENT ON COLUMN users.email IS 'unique, compared case-insensitively';
        "#,
    ),
    (
        "other_spellings",
        r#"
        CREATE TABLE "Accounts" (
            "Id" serial4 NOT NULL,
            code varchar NOT NULL DEFAULT 'x'::text,
            kind character(3) DEFAULT 'ab',
            amount float8 DEFAULT 0 CHECK (amount >= 0::float8),
            fee float4 DEFAULT 1.5,
            exact decimal DEFAULT 10,
            tiny int2 DEFAULT (-1),
            ratio numeric(5, 2) DEFAULT '1.50',
            opened timestamp(0) with time zone DEFAULT now(),
            closed timestamp DEFAULT NULL,
            maybe numeric(8, 2) DEFAULT NULL,
            tag varchar(5) DEFAULT NULL,
            moment time with time zone,
            blob bytea DEFAULT '\x00',
            doc jsonb DEFAULT '[]',
            labels varchar(10)[] DEFAULT ARRAY['a', 'b']::varchar[],
            matrix int[][],
            CONSTRAINT "Accounts_pkey" PRIMARY KEY ("Id"),
            CONSTRAINT code_shape CHECK (code ~ '^[a-z]+$' AND length(code) < 10),
            UNIQUE (code, kind),
            CHECK (kind IN ('abc', 'ab') AND tiny BETWEEN -1 AND 1)
        );
        CREATE INDEX "Accounts code" ON "Accounts" USING hash (code);
        CREATE INDEX ix_accounts_expr ON "Accounts" ((amount + fee), (code)) WHERE NOT (amount = 0 OR fee IS NULL);
        CREATE UNIQUE INDEX ix_accounts_kind ON "Accounts" (upper(kind::text)) WHERE opened > '2020-01-01';
        COMMENT ON COLUMN "Accounts".code IS 'short code';
        "#,
    ),
    (
        "qualified_and_computed",
        r#"
        CREATE TYPE public."Tier" AS ENUM ('free', 'paid');
        CREATE TABLE public.plans (
            id int8 GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            tier "Tier" NOT NULL DEFAULT 'free'::"Tier",
            tiers "Tier"[] DEFAULT '{free}',
            stamp timestamp(6) with time zone DEFAULT timezone('utc', now()),
            starts time(0) DEFAULT LOCALTIME,
            quota int8 DEFAULT 9223372036854775807,
            small smallint DEFAULT +32767,
            ratio double precision DEFAULT 'NaN',
            limit_ numeric DEFAULT 'Infinity',
            flag boolean DEFAULT 'yes',
            off boolean DEFAULT 'f'::boolean,
            raw bytea DEFAULT 'Þad',
            name text NOT NULL,
            CONSTRAINT plans_name_check CHECK (char_length(name::text) BETWEEN 1 AND 20),
            CHECK (tier <> 'paid' OR quota > 0)
        );
        CREATE INDEX ix_plans_tier ON public.plans USING btree (tier) WHERE tier = ANY (ARRAY['paid'::"Tier"]);
        CREATE INDEX ix_plans_name ON plans (lower(name), (quota * 2));
        "#,
    ),
];

#[tokio::test]
async fn hand_written_schema_sql_normalizes_to_what_the_database_reads() {
    for (case, sql) in SCHEMA_SQL {
        let db = TestDb::new(Backend::Postgres).await;
        db.execute(sql).await;
        let models = parse_schema_sql(sql, Backend::Postgres, Path::new("schema.sql"))
            .unwrap_or_else(|err| panic!("{case}: {err}"));
        let (database, normalized, changes) = compare(&db, &models).await;
        assert!(changes.is_empty() && changes.warnings.is_empty(), "{case}: false positives\n{}", describe(&changes));
        assert_eq!(normalized.indexes, database.indexes, "{case}");
        for (name, table) in &normalized.tables {
            assert_eq!(table.columns, database.tables[name].columns, "{case}: columns of {name}");
        }
    }
}

/// A table whose one part is `%`: the database is created with `database`; each of `same`
/// normalizes to it (no false positive), each of `different` does not (no false negative),
/// and the diff then names `expected`.
struct Variant {
    what: &'static str,
    template: &'static str,
    database: &'static str,
    same: &'static [&'static str],
    different: &'static [&'static str],
    expected: &'static str,
}

const TABLE: &str = r#"
    [[op]]
    op = "create_enum"
    name = "mood"
    values = ["sad", "ok"]

    [[op]]
    op = "create_table"
    table = "parent"
    columns = [{ name = "id", type = "integer", nullable = false }]
    primary_key = ["id"]
"#;

const VARIANTS: &[Variant] = &[
    Variant {
        what: "check expression",
        template: r#"[[op]]
            op = "create_table"
            table = "t"
            columns = [{ name = "n", type = "integer" }, { name = "s", type = "text" }]
            constraints = [{ kind = "check", expr = "%" }]"#,
        database: "n >= 0 AND s <> ''",
        same: &["n>=0 and s<>''", "((n >= 0) AND (s <> ''::text))", "(n >= 0) and (s != '')"],
        different: &["n > 0 AND s <> ''", "n >= 0 OR s <> ''", "n >= 0 AND s <> 'x'"],
        expected: "add_constraint",
    },
    Variant {
        what: "generated expression",
        template: r#"[[op]]
            op = "create_table"
            table = "t"
            columns = [{ name = "n", type = "integer" }, { name = "g", type = "integer", generated = { expr = "%" } }]"#,
        database: "n * 2",
        same: &["n*2", "(n * 2)", " ( n*2 ) "],
        different: &["n * 3", "n + n + 1"],
        expected: "warning",
    },
    Variant {
        what: "index expression",
        template: r#"[[op]]
            op = "create_table"
            table = "t"
            columns = [{ name = "s", type = "varchar(20)" }]

            [[op]]
            op = "create_index"
            table = "t"
            name = "ix_t"
            columns = [{ expr = "%" }]"#,
        database: "lower(s)",
        same: &["LOWER(s)", "lower((s)::text)", "(lower(s))"],
        different: &["upper(s)", "lower(s || 'x')"],
        expected: "create_index",
    },
    Variant {
        what: "partial index predicate",
        template: r#"[[op]]
            op = "create_table"
            table = "t"
            columns = [{ name = "n", type = "integer" }, { name = "m", type = "enum:mood" }]

            [[op]]
            op = "create_index"
            table = "t"
            name = "ix_t"
            columns = ["n"]
            where = "%""#,
        database: "m = 'ok' AND n IS NOT NULL",
        same: &["m='ok' and n is not null", "((m = 'ok'::mood) AND (n IS NOT NULL))"],
        different: &["m = 'sad' AND n IS NOT NULL", "m = 'ok'"],
        expected: "create_index",
    },
    Variant {
        what: "column type",
        template: r#"[[op]]
            op = "create_table"
            table = "t"
            columns = [{ name = "c", type = "%" }]"#,
        database: "integer",
        same: &["int4", "int", "INTEGER"],
        different: &["int8", "bigint", "numeric", "varchar(10)"],
        expected: "alter_column",
    },
    Variant {
        what: "varchar length",
        template: r#"[[op]]
            op = "create_table"
            table = "t"
            columns = [{ name = "c", type = "%" }]"#,
        database: "varchar(20)",
        same: &["character varying(20)", "VARCHAR(20)"],
        different: &["character varying(30)", "varchar", "text", "char(20)"],
        expected: "alter_column",
    },
    Variant {
        what: "default",
        template: r#"[[op]]
            op = "create_table"
            table = "t"
            columns = [{ name = "c", type = "timestamptz", default = % }]"#,
        database: "{ expr = \"current_timestamp\" }",
        same: &["{ sql = \"now()\" }", "{ sql = \"CURRENT_TIMESTAMP\" }"],
        different: &["{ sql = \"clock_timestamp()\" }", "{ expr = \"current_date\" }", "{ value = \"2020-01-01\" }"],
        expected: "alter_column",
    },
    Variant {
        what: "json default",
        template: r#"[[op]]
            op = "create_table"
            table = "t"
            columns = [{ name = "c", type = "jsonb", default = % }]"#,
        database: "{ value = '{\"a\": 1}' }",
        same: &["{ sql = \"'{\\\"a\\\":1}'::jsonb\" }", "{ value = '{ \"a\" :1 }' }"],
        different: &["{ value = '{\"a\": 2}' }", "{ sql = \"'[]'::jsonb\" }"],
        expected: "alter_column",
    },
    Variant {
        what: "foreign key action",
        template: r#"[[op]]
            op = "create_table"
            table = "t"
            columns = [{ name = "p", type = "integer" }]
            constraints = [{ kind = "foreign_key", columns = ["p"], references = { table = "parent", columns = ["id"] }, on_delete = "%" }]"#,
        database: "no_action",
        same: &["no_action"],
        different: &["cascade", "restrict", "set_null"],
        expected: "add_constraint",
    },
    Variant {
        what: "index method",
        template: r#"[[op]]
            op = "create_table"
            table = "t"
            columns = [{ name = "c", type = "integer" }]

            [[op]]
            op = "create_index"
            table = "t"
            name = "ix_t"
            columns = ["c"]
            method = "%""#,
        database: "btree",
        same: &["BTREE", "Btree"],
        different: &["hash", "brin"],
        expected: "create_index",
    },
    Variant {
        what: "enum values",
        template: r#"[[op]]
            op = "create_enum"
            name = "e"
            values = %"#,
        database: r#"["a", "b"]"#,
        same: &[r#"["a", "b"]"#],
        different: &[r#"["a", "b", "c"]"#, r#"["z", "a", "b"]"#],
        expected: "add_enum_value",
    },
    Variant {
        what: "column comment",
        template: r#"[[op]]
            op = "create_table"
            table = "t"
            columns = [{ name = "c", type = "integer", comment = % }]"#,
        database: r#""it's""#,
        same: &[r#""it's""#],
        different: &[r#""its""#, r#""""#],
        expected: "alter_column",
    },
    Variant {
        what: "nullability",
        template: r#"[[op]]
            op = "create_table"
            table = "t"
            columns = [{ name = "c", type = "integer", nullable = % }]"#,
        database: "false",
        same: &["false"],
        different: &["true"],
        expected: "alter_column",
    },
];

fn variant(template: &str, part: &str) -> Vec<Op> {
    let mut all = ops(TABLE);
    all.extend(ops(&template.replace('%', part)));
    all
}

#[tokio::test]
async fn real_differences_survive_normalization() {
    for v in VARIANTS {
        let db = TestDb::new(Backend::Postgres).await;
        migrate(&db, &variant(v.template, v.database)).await;
        for same in v.same {
            let models = schema_of(&variant(v.template, same));
            let (_, _, changes) = compare(&db, &models).await;
            assert!(
                changes.is_empty() && changes.warnings.is_empty(),
                "{}: `{same}` should read as `{}`\n{}",
                v.what,
                v.database,
                describe(&changes)
            );
        }
        for different in v.different {
            let models = schema_of(&variant(v.template, different));
            let (_, _, changes) = compare(&db, &models).await;
            let found = match v.expected {
                "warning" => changes.warnings.iter().any(|w| matches!(w, Warning::Unsupported { .. })),
                expected => changes.upgrade.iter().any(|op| op.name() == expected),
            };
            assert!(found, "{}: `{different}` differs from `{}`\n{}", v.what, v.database, describe(&changes));
        }
    }
}

/// Models PostgreSQL refuses, each with the object the error must name and a part of the
/// database's message.
const REFUSED: &[(&str, &str, &str, &str)] = &[
    (
        "a check on a column that does not exist",
        r#"{ kind = "check", name = "t_bad_check", expr = "nosuch > 0" }"#,
        "check t_bad_check on table t",
        r#"column "nosuch" does not exist"#,
    ),
    (
        "an unnamed check that is not SQL",
        r#"{ kind = "check", expr = "n >>> 0" }"#,
        "check (n >>> 0) on table t",
        "operator does not exist",
    ),
    ("an unknown type", r#"{ name = "c", type = "citext_nope" }"#, "type citext_nope of column t.c", "does not exist"),
    (
        "a default calling a missing function",
        r#"{ name = "c", type = "text", default = { sql = "nosuch_fn()" } }"#,
        "default nosuch_fn() of column t.c",
        "function nosuch_fn() does not exist",
    ),
    (
        "a default of the wrong type",
        r#"{ name = "c", type = "int4", default = { value = "abc" } }"#,
        "default 'abc' of column t.c",
        "invalid input syntax for type integer",
    ),
    (
        "a generated column that is not immutable",
        r#"{ name = "c", type = "timestamptz", generated = { expr = "now()" } }"#,
        "generated column t.c",
        "immutable",
    ),
    (
        "an index on a missing column",
        r#"{ index = true, expr = "lower(nosuch)" }"#,
        "index ix_t_bad on table t",
        r#"column "nosuch" does not exist"#,
    ),
    ("an enum with a label twice", r#"{ enum = true }"#, "enum twice", "duplicate"),
    (
        "a type the renderer refuses",
        r#"{ name = "c", type = "varchar(0)" }"#,
        "type varchar(0) of column t.c",
        "length",
    ),
];

/// A small valid schema plus one refused part, as `REFUSED` describes it.
fn refused_models(part: &str) -> Schema {
    let mut text = String::from(
        r#"
        [[op]]
        op = "create_enum"
        name = "mood"
        values = ["sad", "ok"]

        [[op]]
        op = "create_table"
        table = "t"
        columns = [{ name = "n", type = "int4" }, { name = "m", type = "enum:mood", default = { value = "ok" } }]
        constraints = [{ kind = "check", expr = "n > 0" }]

        [[op]]
        op = "create_index"
        table = "t"
        name = "ix_t_m"
        columns = [{ expr = "n + 1" }]
        "#,
    );
    let op = if part.contains("index = true") {
        let expr = part.split('"').nth(1).expect("an expression");
        format!("op = \"create_index\"\ntable = \"t\"\nname = \"ix_t_bad\"\ncolumns = [{{ expr = \"{expr}\" }}]")
    } else if part.contains("enum = true") {
        "op = \"create_enum\"\nname = \"twice\"\nvalues = [\"a\", \"a\"]".to_owned()
    } else if part.contains("kind =") {
        format!("op = \"add_constraint\"\ntable = \"t\"\nconstraint = {part}")
    } else {
        format!("op = \"add_column\"\ntable = \"t\"\ncolumn = {part}")
    };
    text.push_str(&format!("\n[[op]]\n{op}\n"));
    schema_of(&ops(&text))
}

/// Scratch schemas in the database, and whether the session is in a transaction.
async fn leftovers(session: &mut dyn Session) -> (Vec<Vec<Option<String>>>, Option<String>) {
    let schemas = session
        .query_text("SELECT nspname::text FROM pg_namespace WHERE nspname LIKE 'aludel%'")
        .await
        .expect("the session still works");
    // An open transaction that created objects has a transaction id.
    let xid = session.query_text("SELECT txid_current_if_assigned()::text").await.expect("query");
    (schemas, xid[0][0].clone())
}

#[tokio::test]
async fn refused_models_name_the_object_and_leave_nothing_behind() {
    let db = TestDb::new(Backend::Postgres).await;
    let mut session = connect(&db).await;
    let search_path = session.query_text("SHOW search_path").await.expect("query");
    for (what, part, object, message) in REFUSED {
        let err = normalize(session.as_mut(), &refused_models(part)).await.expect_err(what);
        match &err {
            IntrospectError::Model { object: got, message: got_message } => {
                assert_eq!(got, object, "{what}: {err}");
                assert!(got_message.contains(message), "{what}: `{got_message}` should say `{message}`");
            }
            other => panic!("{what}: expected a model error, got {other:?}"),
        }
        assert_eq!(leftovers(session.as_mut()).await, (Vec::new(), None), "{what}: something was left behind");
        assert_eq!(session.query_text("SHOW search_path").await.expect("query"), search_path, "{what}");
    }
    // The same models without the refused part go through on the same session.
    let fine = refused_models(r#"{ name = "c", type = "text", default = { sql = "'x'" } }"#);
    let normalized = normalize(session.as_mut(), &fine).await.expect("valid models");
    assert_eq!(
        normalized.tables["t"].constraints[0],
        aludel::schema::Constraint::Check { name: None, expr: "(n > 0)".into() }
    );
    assert_eq!(leftovers(session.as_mut()).await, (Vec::new(), None));
    let err = IntrospectError::Model { object: "check t_bad_check on table t".into(), message: "oops".into() };
    assert_eq!(
        err.to_string(),
        "the database refused check t_bad_check on table t of the models: oops; fix it in the models"
    );
    session.close().await.ok();
}

/// `count` tables of 8 columns of mixed types (some only the database spells), each with a
/// foreign key to the one before, a unique, a check and a partial index.
fn many_tables(count: usize) -> Vec<Op> {
    let text: String = (0..count)
        .map(|i| {
            let fk = if i == 0 {
                String::new()
            } else {
                format!(
                    r#"{{ kind = "foreign_key", columns = ["prev_id"], references = {{ table = "t{}", columns = ["id"] }}, on_delete = "no_action" }},"#,
                    i - 1
                )
            };
            format!(
                r#"
                [[op]]
                op = "create_table"
                table = "t{i}"
                columns = [
                    {{ name = "id", type = "bigint", identity = true }},
                    {{ name = "code", type = "character varying(20)", nullable = false }},
                    {{ name = "qty", type = "int4", default = {{ value = 1 }} }},
                    {{ name = "price", type = "numeric(10,2)", default = {{ value = 0 }} }},
                    {{ name = "created", type = "timestamptz", default = {{ sql = "now()" }} }},
                    {{ name = "data", type = "jsonb", default = {{ value = "{{}}" }} }},
                    {{ name = "active", type = "boolean", default = {{ value = true }} }},
                    {{ name = "prev_id", type = "bigint" }},
                ]
                primary_key = ["id"]
                constraints = [{fk} {{ kind = "unique", columns = ["code"] }}, {{ kind = "check", expr = "qty>0" }}]

                [[op]]
                op = "create_index"
                table = "t{i}"
                name = "ix_t{i}_qty"
                columns = ["qty"]
                where = "qty > 1"
                "#
            )
        })
        .collect();
    ops(&text)
}

#[tokio::test]
async fn round_trips_do_not_grow_with_the_tables() {
    let mut counts = Vec::new();
    for tables in [10, 1000] {
        let db = TestDb::new(Backend::Postgres).await;
        let models = migrate(&db, &many_tables(tables)).await;
        let mut session = Counting::new(connect(&db).await);
        let normalized = session.normalize(&models).await.expect("normalize");
        counts.push(session.statements);
        let database = session.introspect(&IntrospectOptions::default()).await.expect("introspect");
        let changes = diff(&database, &normalized, &DiffOptions::default());
        assert!(changes.is_empty() && changes.warnings.is_empty(), "{tables} tables\n{}", describe(&changes));
        assert_eq!(normalized.tables.len(), tables);
        Box::new(session).close().await.ok();
    }
    // BEGIN and the scratch objects in one batch, four catalog queries, ROLLBACK.
    assert_eq!(counts, [6, 6]);
}

#[tokio::test]
async fn spellings_beyond_a_tables_column_limit_are_split() {
    // 1,700 distinct types only the database spells: two tables' worth of spellings.
    let columns = |from: usize| -> String {
        (from..from + 850).map(|n| format!("{{ name = \"c{n}\", type = \"character varying({n})\" }},")).collect()
    };
    let text = format!(
        "[[op]]\nop = \"create_table\"\ntable = \"a\"\ncolumns = [{}]\n\n[[op]]\nop = \"create_table\"\ntable = \"b\"\ncolumns = [{}]\n",
        columns(1),
        columns(851)
    );
    let db = TestDb::new(Backend::Postgres).await;
    let models = migrate(&db, &ops(&text)).await;
    let mut session = Counting::new(connect(&db).await);
    let normalized = session.normalize(&models).await.expect("normalize");
    assert_eq!(session.statements, 6);
    assert_eq!(normalized.tables["b"].columns[849].ty, aludel::schema::ColumnType::Varchar(Some(1700)));
    let database = session.introspect(&IntrospectOptions::default()).await.expect("introspect");
    assert!(diff(&database, &normalized, &DiffOptions::default()).is_empty());
    assert_eq!(leftovers(&mut session).await, (Vec::new(), None));
    Box::new(session).close().await.ok();
}

#[tokio::test]
async fn models_with_nothing_to_canonicalize_stay_off_the_database() {
    let db = TestDb::new(Backend::Postgres).await;
    let text = r#"
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
            { name = "serial_id", type = "serial" },
            { name = "code", type = "char", comment = "a letter" },
            { name = "name", type = "varchar(20)", default = { value = "nobody" } },
            { name = "mood", type = "enum:mood", default = { value = "ok" } },
            { name = "moods", type = "enum:mood[]" },
            { name = "score", type = "double", default = { value = -1.5 } },
            { name = "rank", type = "numeric(10,2)", default = { value = 3 } },
            { name = "born", type = "timestamp", default = { expr = "current_timestamp" } },
            { name = "nothing", type = "text", default = { sql = "NULL" } },
            { name = "parent_id", type = "bigint" },
        ]
        constraints = [
            { kind = "primary_key", name = "people_pkey", columns = ["id"] },
            { kind = "foreign_key", columns = ["parent_id"], references = { table = "people", columns = ["id"] }, on_delete = "no_action" },
            { kind = "unique", columns = ["name"] },
        ]

        [[op]]
        op = "create_index"
        table = "people"
        name = "ix_people_name"
        columns = ["name", "mood"]
        method = "BTREE"
    "#;
    let models = migrate(&db, &ops(text)).await;
    let mut session = Counting::new(connect(&db).await);
    let normalized = session.normalize(&models).await.expect("normalize");
    assert_eq!(session.statements, 0, "restated without the database");
    let database = session.introspect(&IntrospectOptions::default()).await.expect("introspect");
    let changes = diff(&database, &normalized, &DiffOptions::default());
    assert!(changes.is_empty() && changes.warnings.is_empty(), "{}", describe(&changes));
    let people = &normalized.tables["people"];
    assert_eq!(people.columns, database.tables["people"].columns);
    assert_eq!((people.primary_key_name.as_deref(), people.comment.as_deref()), (Some("people_pkey"), None));
    assert_eq!(normalized.indexes, database.indexes);
    Box::new(session).close().await.ok();
}

/// Every literal and portable default on every neutral type (and a few pass-through ones):
/// whatever PostgreSQL accepts reads back as normalization says, column by column.
#[tokio::test]
async fn every_default_on_every_type_normalizes_to_what_the_database_reads() {
    use aludel::schema::{Column, ColumnType, DefaultValue, EnumType, Literal, PortableExpr, Table};
    let types = "smallint integer bigint real double numeric numeric(10,2) numeric(5) varchar varchar(3) char char(3) \
                 text boolean date time timestamp timestamptz interval uuid json jsonb bytes enum:mood enum:mood[] \
                 text[] varchar(3)[] int4 float8 citext timestamp(3) character(2)";
    let defaults = [
        DefaultValue::Value(Literal::Bool(true)),
        DefaultValue::Value(Literal::Bool(false)),
        DefaultValue::Value(Literal::Int(0)),
        DefaultValue::Value(Literal::Int(-1)),
        DefaultValue::Value(Literal::Int(7)),
        DefaultValue::Value(Literal::Int(2_147_483_648)),
        DefaultValue::Value(Literal::Int(i64::MIN)),
        DefaultValue::Value(Literal::Float(0.0)),
        DefaultValue::Value(Literal::Float(-0.0)),
        DefaultValue::Value(Literal::Float(1.5)),
        DefaultValue::Value(Literal::Float(-2.5)),
        DefaultValue::Value(Literal::Float(0.1)),
        DefaultValue::Value(Literal::Float(1e-7)),
        DefaultValue::Value(Literal::Float(123_456_789.125)),
        DefaultValue::Value(Literal::Float(1e15)),
        DefaultValue::Value(Literal::Float(1e16)),
        DefaultValue::Value(Literal::Float(f64::INFINITY)),
        DefaultValue::Value(Literal::String(String::new())),
        DefaultValue::Value(Literal::String("ok".into())),
        DefaultValue::Value(Literal::String("abc".into())),
        DefaultValue::Value(Literal::String("it's".into())),
        DefaultValue::Value(Literal::String("1".into())),
        DefaultValue::Value(Literal::String("t".into())),
        DefaultValue::Value(Literal::String("2020-01-01".into())),
        DefaultValue::Value(Literal::String("{}".into())),
        DefaultValue::Value(Literal::String("1 day".into())),
        DefaultValue::Expr(PortableExpr::CurrentTimestamp),
        DefaultValue::Expr(PortableExpr::CurrentDate),
        DefaultValue::Expr(PortableExpr::CurrentTime),
        DefaultValue::Sql("NULL".into()),
        DefaultValue::Sql("now()".into()),
        DefaultValue::Sql("'x'".into()),
    ];
    let db = TestDb::new(Backend::Postgres).await;
    db.execute("CREATE EXTENSION citext; CREATE TYPE mood AS ENUM ('sad', 'ok'); CREATE TABLE t ()").await;
    let dialect = Backend::Postgres.dialect();
    let mut session = connect(&db).await;
    let mut table = Table::new("t");
    for ty in types.split_whitespace() {
        for default in &defaults {
            let mut column = Column::new(&format!("c{}", table.columns.len()), ColumnType::parse(ty).unwrap());
            column.default = Some(default.clone());
            let op = Op::AddColumn { table: "t".into(), column: column.clone() };
            let Ok(statements) = dialect.render(&op, &Schema::default()) else { continue };
            // What PostgreSQL refuses is left out of the models.
            if session.execute(&statements[0].sql).await.is_ok() {
                table.columns.push(column);
            }
        }
    }
    let mut models = Schema::default();
    models.enums.insert("mood".into(), EnumType { name: "mood".into(), values: vec!["sad".into(), "ok".into()] });
    models.tables.insert("t".into(), table);
    let database = introspect(session.as_mut(), &IntrospectOptions::default()).await.expect("introspect");
    let normalized = normalize(session.as_mut(), &models).await.expect("normalize");
    let mismatches: Vec<String> = models.tables["t"]
        .columns
        .iter()
        .zip(&normalized.tables["t"].columns)
        .zip(&database.tables["t"].columns)
        .filter(|((_, n), d)| n != d)
        .map(|((m, n), d)| format!("{} {:?}: normalized {:?}, database {:?}", m.ty, m.default, n.default, d.default))
        .collect();
    assert!(
        mismatches.is_empty(),
        "{} columns, mismatches:\n{}",
        database.tables["t"].columns.len(),
        mismatches.join("\n")
    );
    session.close().await.ok();
}
