//! Every op and option rendered on every backend, snapshotted, and run on a real database.
//!
//! A case is TOML: `[[setup]]` ops build the starting schema (and rows, through `op = "sql"`),
//! `[[upgrade]]` ops are the subject, `[[check]]` queries prove the result (rows survive, a
//! default applies) and `expect_error` names the dialects that must refuse the upgrade, with
//! the kind of `RenderError`. For each case and backend the upgrade SQL is snapshotted as
//! `{case}@{dialect}` (or the error, where one is expected), then setup and upgrade run on a
//! fresh database, statement by statement, followed by the checks.
//!
//! A check without `dialect` runs on every backend but those it lists under `except`; on MySQL
//! its `CAST(... AS TEXT)` reads `CAST(... AS CHAR)`, MySQL's spelling.
//!
//! `ALUDEL_TEST_DIALECT=postgresql` (comma-separated) and `ALUDEL_TEST_CASE=<substring>`
//! narrow a run while working on one dialect or case; the test says what it left out.

mod common;

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::panic::{AssertUnwindSafe, catch_unwind};

use aludel::dialect::{Backend, RenderError, Statement};
use aludel::ops::Op;
use aludel::schema::Schema;
use serde::Deserialize;
use tokio::task::JoinSet;

/// How many cases run at once: each one creates a database.
const PARALLEL: usize = 8;

/// One case, as the TOML texts in [`CASES`] spell it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    /// Ops that build the starting state; rendered and run, but not snapshotted.
    #[serde(default)]
    setup: Vec<Op>,
    /// The ops under test.
    upgrade: Vec<Op>,
    /// Queries run after the upgrade.
    #[serde(default)]
    check: Vec<Check>,
    /// Dialects that must refuse the upgrade, and how.
    #[serde(default)]
    expect_error: BTreeMap<String, ErrorKind>,
}

/// A query and the rows it must return, every cell as text and `NULL` as `"NULL"`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Check {
    query: String,
    rows: Vec<Vec<String>>,
    /// Run only on this dialect (for catalog queries).
    #[serde(default)]
    dialect: Option<String>,
    /// Dialects the check does not run on (where the backend holds it otherwise, and a check
    /// of its own says how).
    #[serde(default)]
    except: Vec<String>,
}

impl Check {
    /// Whether the check runs on `dialect`.
    fn runs_on(&self, dialect: &str) -> bool {
        self.dialect.as_deref().is_none_or(|d| d == dialect) && !self.except.iter().any(|d| d == dialect)
    }

    /// The query as `dialect` spells it: MySQL casts to text as `CAST(... AS CHAR)`, which is
    /// the one change a portable check needs there.
    fn query(&self, dialect: &str) -> String {
        if dialect == "mysql" && self.dialect.is_none() {
            self.query.replace(" AS TEXT)", " AS CHAR)")
        } else {
            self.query.clone()
        }
    }
}

/// The `RenderError` variant a dialect must answer with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
enum ErrorKind {
    Unsupported,
    Invalid,
    Schema,
}

impl ErrorKind {
    fn matches(self, err: &RenderError) -> bool {
        match self {
            ErrorKind::Unsupported => matches!(err, RenderError::Unsupported { .. }),
            ErrorKind::Invalid => matches!(err, RenderError::Invalid { .. }),
            ErrorKind::Schema => matches!(err, RenderError::Schema { .. }),
        }
    }
}

/// `(name, toml)`: the name is the snapshot's prefix, so keep it stable.
const CASES: &[(&str, &str)] = &[
    (
        "create_table_neutral_types",
        r#"
        expect_error = { mysql = "unsupported" }

        [[upgrade]]
        op = "create_table"
        table = "every_type"
        columns = [
            { name = "id", type = "bigint", nullable = false },
            { name = "small", type = "smallint" },
            { name = "medium", type = "integer" },
            { name = "single", type = "real" },
            { name = "double", type = "double" },
            { name = "amount", type = "numeric" },
            { name = "price", type = "numeric(10,2)" },
            { name = "code", type = "varchar" },
            { name = "email", type = "varchar(255)", nullable = false },
            { name = "country", type = "char(2)" },
            { name = "grade", type = "char" },
            { name = "body", type = "text" },
            { name = "active", type = "boolean" },
            { name = "born_on", type = "date" },
            { name = "wakes_at", type = "time" },
            { name = "seen_at", type = "timestamp" },
            { name = "created_at", type = "timestamptz" },
            { name = "ttl", type = "interval" },
            { name = "token", type = "uuid" },
            { name = "doc", type = "json" },
            { name = "docb", type = "jsonb" },
            { name = "blob", type = "bytes" },
            { name = "legacy", type = "float8" },
        ]
        primary_key = ["id"]

        [[upgrade]]
        op = "sql"
        sql = "INSERT INTO every_type (id, email, price, active) VALUES (1, 'a@example.com', 12.5, TRUE)"

        [[check]]
        query = "SELECT CAST(id AS TEXT), email, CAST(CAST(price * 2 AS INTEGER) AS TEXT) FROM every_type"
        rows = [["1", "a@example.com", "25"]]
        "#,
    ),
    (
        "create_table_portable_types",
        r#"
        [[upgrade]]
        op = "create_enum"
        name = "mood"
        values = ["sad", "ok"]

        [[upgrade]]
        op = "create_table"
        table = "every_type"
        columns = [
            { name = "id", type = "bigint", nullable = false },
            { name = "small", type = "smallint" },
            { name = "medium", type = "integer" },
            { name = "single", type = "real" },
            { name = "double", type = "double" },
            { name = "amount", type = "numeric" },
            { name = "price", type = "numeric(10,2)" },
            { name = "code", type = "varchar" },
            { name = "email", type = "varchar(255)", nullable = false },
            { name = "country", type = "char(2)" },
            { name = "grade", type = "char" },
            { name = "body", type = "text" },
            { name = "active", type = "boolean" },
            { name = "born_on", type = "date" },
            { name = "wakes_at", type = "time" },
            { name = "seen_at", type = "timestamp" },
            { name = "created_at", type = "timestamptz" },
            { name = "token", type = "uuid" },
            { name = "doc", type = "json" },
            { name = "docb", type = "jsonb" },
            { name = "blob", type = "bytes" },
            { name = "mood", type = "enum:mood", nullable = false, default = { value = "ok" } },
        ]
        primary_key = ["id"]

        [[upgrade]]
        op = "sql"
        sql = "INSERT INTO every_type (id, email, amount, price, active, mood) VALUES (1, 'a@example.com', 0.125, 12.5, TRUE, 'sad'), (2, 'b@example.com', NULL, NULL, NULL, 'ok')"

        [[check]]
        query = """
            SELECT CAST(id AS TEXT), email, CAST(CAST(amount * 8 AS INTEGER) AS TEXT),
                   CAST(CAST(price * 2 AS INTEGER) AS TEXT), CAST(mood AS TEXT)
            FROM every_type ORDER BY id
        """
        rows = [["1", "a@example.com", "1", "25", "sad"], ["2", "b@example.com", "NULL", "NULL", "ok"]]
        "#,
    ),
    (
        "create_table_postgresql_only_types",
        r#"
        expect_error = { sqlite = "unsupported", mysql = "unsupported" }

        [[upgrade]]
        op = "create_enum"
        name = "mood"
        values = ["sad", "ok", "happy"]

        [[upgrade]]
        op = "create_table"
        table = "profiles"
        columns = [
            { name = "id", type = "uuid", nullable = false, default = { sql = "gen_random_uuid()" } },
            { name = "tags", type = "text[]" },
            { name = "matrix", type = "integer[][]" },
            { name = "mood", type = "enum:mood", nullable = false, default = { value = "ok" } },
            { name = "moods", type = "enum:mood[]" },
            { name = "search", type = "tsvector" },
            { name = "address", type = "inet" },
        ]
        primary_key = ["id"]

        [[upgrade]]
        op = "sql"
        dialect = "postgresql"
        sql = """
            INSERT INTO profiles (tags, matrix, moods, address)
            VALUES (ARRAY['a', 'b'], '{{1,2},{3,4}}', ARRAY['sad', 'happy']::mood[], '10.0.0.1')
        """

        [[check]]
        query = """
            SELECT mood::text, array_length(tags, 1)::text, matrix[2][1]::text, moods::text, address::text
            FROM profiles
        """
        rows = [["ok", "2", "3", "{sad,happy}", "10.0.0.1/32"]]
        "#,
    ),
    (
        "create_table_identity_generated_defaults",
        r#"
        [[upgrade]]
        op = "create_table"
        table = "orders"
        columns = [
            { name = "id", type = "bigint", nullable = false, identity = true },
            { name = "qty", type = "integer", nullable = false, default = { value = 1 } },
            { name = "unit_price", type = "double", nullable = false, default = { value = 2.5 } },
            { name = "total", type = "double", generated = { expr = "qty * unit_price" } },
            { name = "status", type = "varchar(20)", nullable = false, default = { value = "it's new" } },
            { name = "paid", type = "boolean", nullable = false, default = { value = false } },
            { name = "gift", type = "boolean", default = { value = true } },
            { name = "created_at", type = "timestamptz", nullable = false, default = { expr = "current_timestamp" } },
            { name = "created_on", type = "date", default = { expr = "current_date" } },
            { name = "created_time", type = "time", default = { expr = "current_time" } },
            { name = "rank", type = "integer", default = { sql = "(1 + 2)" } },
        ]
        primary_key = ["id"]

        [[upgrade]]
        op = "sql"
        sql = "INSERT INTO orders (qty) VALUES (4); INSERT INTO orders (qty, unit_price) VALUES (2, 0.5)"

        [[check]]
        query = """
            SELECT CAST(id AS TEXT), CAST(CAST(total AS INTEGER) AS TEXT), status, CAST(rank AS TEXT),
                   CASE WHEN paid THEN 'paid' ELSE 'unpaid' END, CASE WHEN gift THEN 'gift' ELSE 'no' END,
                   CASE WHEN created_at IS NULL OR created_on IS NULL OR created_time IS NULL THEN 'missing'
                        ELSE 'set' END
            FROM orders ORDER BY id
        """
        rows = [
            ["1", "10", "it's new", "3", "unpaid", "gift", "set"],
            ["2", "1", "it's new", "3", "unpaid", "gift", "set"],
        ]
        "#,
    ),
    (
        "create_table_comments_and_named_primary_key",
        r#"
        [[upgrade]]
        op = "create_table"
        table = "accounts"
        comment = "customer accounts; it's important"
        columns = [
            { name = "tenant", type = "integer", nullable = false, comment = "owning tenant" },
            { name = "number", type = "integer", nullable = false },
            { name = "note", type = "text", comment = "what's this" },
        ]
        primary_key = ["tenant", "number"]
        primary_key_name = "accounts_tenant_number_pk"

        [[check]]
        dialect = "postgresql"
        query = """
            SELECT obj_description('accounts'::regclass, 'pg_class'), col_description('accounts'::regclass, 1),
                   col_description('accounts'::regclass, 2), col_description('accounts'::regclass, 3),
                   (SELECT conname::text FROM pg_constraint WHERE conrelid = 'accounts'::regclass AND contype = 'p')
        """
        rows = [["customer accounts; it's important", "owning tenant", "NULL", "what's this", "accounts_tenant_number_pk"]]
        "#,
    ),
    (
        "create_table_constraints",
        r#"
        expect_error = { mysql = "unsupported" }

        [[setup]]
        op = "create_table"
        table = "authors"
        columns = [
            { name = "id", type = "integer", nullable = false },
            { name = "handle", type = "varchar(50)", nullable = false },
        ]
        primary_key = ["id"]
        constraints = [{ kind = "unique", name = "authors_id_handle_key", columns = ["id", "handle"] }]

        [[setup]]
        op = "sql"
        sql = "INSERT INTO authors (id, handle) VALUES (1, 'ann'), (2, 'bob')"

        [[upgrade]]
        op = "create_table"
        table = "posts"
        columns = [
            { name = "id", type = "integer", nullable = false },
            { name = "author_id", type = "integer", nullable = false },
            { name = "author_handle", type = "varchar(50)", nullable = false },
            { name = "editor_id", type = "integer" },
            { name = "reviewer_id", type = "integer", default = { value = 1 } },
            { name = "slug", type = "varchar(100)", nullable = false },
            { name = "title", type = "text", nullable = false },
            { name = "score", type = "integer", nullable = false, default = { value = 0 } },
        ]
        primary_key = ["id"]
        constraints = [
            { kind = "unique", name = "posts_slug_key", columns = ["slug"] },
            { kind = "unique", columns = ["author_id", "title"] },
            { kind = "foreign_key", name = "posts_author_fkey", columns = ["author_id", "author_handle"], references = { table = "authors", columns = ["id", "handle"] }, on_delete = "cascade", on_update = "no_action" },
            { kind = "foreign_key", name = "posts_editor_id_fkey", columns = ["editor_id"], references = { table = "authors", columns = ["id"] }, on_delete = "set_null", on_update = "restrict" },
            { kind = "foreign_key", columns = ["reviewer_id"], references = { table = "authors", columns = ["id"] }, on_delete = "set_default", on_update = "cascade" },
            { kind = "check", name = "posts_score_check", expr = "score >= 0" },
            { kind = "check", expr = "length(title) > 0" },
        ]

        [[upgrade]]
        op = "sql"
        sql = "INSERT INTO posts (id, author_id, author_handle, editor_id, slug, title) VALUES (1, 1, 'ann', 2, 'hello', 'Hello')"

        [[check]]
        query = "SELECT CAST(id AS TEXT), CAST(reviewer_id AS TEXT), CAST(score AS TEXT) FROM posts"
        rows = [["1", "1", "0"]]

        [[check]]
        dialect = "postgresql"
        query = """
            SELECT contype::text, confdeltype::text, confupdtype::text, pg_get_constraintdef(oid)
            FROM pg_constraint WHERE conrelid = 'posts'::regclass ORDER BY contype, pg_get_constraintdef(oid) COLLATE "C"
        """
        rows = [
            ["c", " ", " ", "CHECK ((length(title) > 0))"],
            ["c", " ", " ", "CHECK ((score >= 0))"],
            ["f", "c", "a", "FOREIGN KEY (author_id, author_handle) REFERENCES authors(id, handle) ON DELETE CASCADE"],
            ["f", "n", "r", "FOREIGN KEY (editor_id) REFERENCES authors(id) ON UPDATE RESTRICT ON DELETE SET NULL"],
            ["f", "d", "c", "FOREIGN KEY (reviewer_id) REFERENCES authors(id) ON UPDATE CASCADE ON DELETE SET DEFAULT"],
            ["p", " ", " ", "PRIMARY KEY (id)"],
            ["u", " ", " ", "UNIQUE (author_id, title)"],
            ["u", " ", " ", "UNIQUE (slug)"],
        ]
        "#,
    ),
    (
        "create_table_keys_and_checks",
        r#"
        [[setup]]
        op = "create_table"
        table = "authors"
        columns = [
            { name = "id", type = "integer", nullable = false },
            { name = "handle", type = "varchar(50)", nullable = false },
        ]
        primary_key = ["id"]
        constraints = [{ kind = "unique", name = "authors_id_handle_key", columns = ["id", "handle"] }]

        [[setup]]
        op = "sql"
        sql = "INSERT INTO authors (id, handle) VALUES (1, 'ann'), (2, 'bob')"

        [[upgrade]]
        op = "create_table"
        table = "posts"
        columns = [
            { name = "id", type = "integer", nullable = false },
            { name = "author_id", type = "integer", nullable = false },
            { name = "author_handle", type = "varchar(50)", nullable = false },
            { name = "editor_id", type = "integer" },
            { name = "slug", type = "varchar(100)", nullable = false },
            { name = "title", type = "text", nullable = false },
            { name = "score", type = "integer", nullable = false, default = { value = 0 } },
        ]
        primary_key = ["id"]
        constraints = [
            { kind = "unique", name = "posts_slug_key", columns = ["slug"] },
            { kind = "unique", columns = ["author_id", "title"] },
            { kind = "foreign_key", name = "posts_author_fkey", columns = ["author_id", "author_handle"], references = { table = "authors", columns = ["id", "handle"] }, on_delete = "cascade", on_update = "no_action" },
            { kind = "foreign_key", name = "posts_editor_id_fkey", columns = ["editor_id"], references = { table = "authors", columns = ["id"] }, on_delete = "set_null", on_update = "restrict" },
            { kind = "check", name = "posts_score_check", expr = "score >= 0" },
            { kind = "check", expr = "length(title) > 0" },
        ]

        [[upgrade]]
        op = "sql"
        sql = "INSERT INTO posts (id, author_id, author_handle, editor_id, slug, title) VALUES (1, 1, 'ann', 2, 'hello', 'Hello')"

        [[check]]
        query = "SELECT CAST(id AS TEXT), CAST(editor_id AS TEXT), CAST(score AS TEXT) FROM posts"
        rows = [["1", "2", "0"]]

        [[check]]
        dialect = "mysql"
        query = """
            SELECT CONSTRAINT_NAME, CONSTRAINT_TYPE FROM information_schema.TABLE_CONSTRAINTS
            WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'posts' ORDER BY CONSTRAINT_TYPE, CONSTRAINT_NAME
        """
        rows = [
            ["CONSTRAINT_1", "CHECK"],
            ["posts_score_check", "CHECK"],
            ["posts_author_fkey", "FOREIGN KEY"],
            ["posts_editor_id_fkey", "FOREIGN KEY"],
            ["PRIMARY", "PRIMARY KEY"],
            ["author_id", "UNIQUE"],
            ["posts_slug_key", "UNIQUE"],
        ]

        [[check]]
        dialect = "mysql"
        query = """
            SELECT CONSTRAINT_NAME, UPDATE_RULE, DELETE_RULE FROM information_schema.REFERENTIAL_CONSTRAINTS
            WHERE CONSTRAINT_SCHEMA = DATABASE() ORDER BY CONSTRAINT_NAME
        """
        rows = [["posts_author_fkey", "NO ACTION", "CASCADE"], ["posts_editor_id_fkey", "RESTRICT", "SET NULL"]]
        "#,
    ),
    (
        "drop_table",
        r#"
        [[setup]]
        op = "create_table"
        table = "keep"
        columns = [{ name = "id", type = "integer" }]

        [[setup]]
        op = "create_table"
        table = "scratch"
        columns = [{ name = "id", type = "integer" }]

        [[upgrade]]
        op = "drop_table"
        table = "scratch"

        [[check]]
        query = "SELECT CAST(COUNT(*) AS TEXT) FROM keep"
        rows = [["0"]]
        "#,
    ),
    (
        "rename_table",
        r#"
        [[setup]]
        op = "create_table"
        table = "drafts"
        columns = [
            { name = "id", type = "integer", nullable = false },
            { name = "title", type = "text" },
        ]
        primary_key = ["id"]

        [[setup]]
        op = "create_index"
        table = "drafts"
        name = "ix_drafts_title"
        columns = ["title"]

        [[setup]]
        op = "sql"
        sql = "INSERT INTO drafts (id, title) VALUES (1, 'kept')"

        [[upgrade]]
        op = "rename_table"
        table = "drafts"
        new_name = "documents"

        [[check]]
        query = "SELECT CAST(id AS TEXT), title FROM documents"
        rows = [["1", "kept"]]
        "#,
    ),
    (
        "add_column",
        r#"
        [[setup]]
        op = "create_table"
        table = "people"
        columns = [{ name = "id", type = "integer", nullable = false }]
        primary_key = ["id"]

        [[setup]]
        op = "sql"
        sql = "INSERT INTO people (id) VALUES (1), (2)"

        [[upgrade]]
        op = "add_column"
        table = "people"
        column = { name = "nickname", type = "varchar(40)" }

        [[upgrade]]
        op = "add_column"
        table = "people"
        column = { name = "score", type = "integer", nullable = false, default = { value = 0 } }

        [[upgrade]]
        op = "add_column"
        table = "people"
        column = { name = "bio", type = "text", default = { value = "none yet" }, comment = "free text, shown on the profile" }

        [[check]]
        query = "SELECT CAST(id AS TEXT), nickname, CAST(score AS TEXT), bio FROM people ORDER BY id"
        rows = [["1", "NULL", "0", "none yet"], ["2", "NULL", "0", "none yet"]]

        [[check]]
        dialect = "postgresql"
        query = "SELECT col_description('people'::regclass, 4)"
        rows = [["free text, shown on the profile"]]
        "#,
    ),
    (
        "add_column_with_expression_default",
        r#"
        [[setup]]
        op = "create_table"
        table = "events"
        columns = [{ name = "id", type = "integer", nullable = false }]
        primary_key = ["id"]

        [[setup]]
        op = "sql"
        sql = "INSERT INTO events (id) VALUES (1)"

        [[upgrade]]
        op = "add_column"
        table = "events"
        column = { name = "logged_at", type = "timestamptz", nullable = false, default = { expr = "current_timestamp" } }

        [[check]]
        query = "SELECT CAST(id AS TEXT), CASE WHEN logged_at IS NULL THEN 'missing' ELSE 'set' END FROM events"
        rows = [["1", "set"]]
        "#,
    ),
    (
        "drop_column",
        r#"
        [[setup]]
        op = "create_table"
        table = "people"
        columns = [
            { name = "id", type = "integer", nullable = false },
            { name = "name", type = "text" },
            { name = "age", type = "integer" },
            { name = "legacy", type = "text" },
        ]
        primary_key = ["id"]

        [[setup]]
        op = "sql"
        sql = "INSERT INTO people (id, name, age, legacy) VALUES (1, 'ann', 30, 'x')"

        [[upgrade]]
        op = "drop_column"
        table = "people"
        column = "age"

        [[upgrade]]
        op = "drop_column"
        table = "people"
        column = { name = "legacy", type = "text" }

        [[check]]
        query = "SELECT CAST(id AS TEXT), name FROM people"
        rows = [["1", "ann"]]

        [[check]]
        dialect = "postgresql"
        query = """
            SELECT string_agg(column_name::text, ',' ORDER BY ordinal_position) FROM information_schema.columns
            WHERE table_name = 'people'
        """
        rows = [["id,name"]]

        [[check]]
        dialect = "sqlite"
        query = "SELECT group_concat(name, ',') FROM (SELECT name FROM pragma_table_info('people') ORDER BY cid)"
        rows = [["id,name"]]
        "#,
    ),
    (
        "alter_column_type",
        r#"
        [[setup]]
        op = "create_table"
        table = "items"
        columns = [
            { name = "id", type = "integer", nullable = false },
            { name = "qty", type = "integer" },
        ]
        primary_key = ["id"]

        [[setup]]
        op = "sql"
        sql = "INSERT INTO items (id, qty) VALUES (1, 5)"

        [[upgrade]]
        op = "alter_column"
        table = "items"
        column = "qty"
        type = { from = "integer", to = "bigint" }

        [[check]]
        query = "SELECT CAST(qty AS TEXT) FROM items"
        rows = [["5"]]

        [[check]]
        dialect = "postgresql"
        query = "SELECT data_type FROM information_schema.columns WHERE table_name = 'items' AND column_name = 'qty'"
        rows = [["bigint"]]
        "#,
    ),
    (
        "alter_column_type_converts_values",
        r#"
        [[setup]]
        op = "create_table"
        table = "items"
        columns = [
            { name = "id", type = "integer", nullable = false },
            { name = "code", type = "text" },
        ]
        primary_key = ["id"]

        [[setup]]
        op = "sql"
        sql = "INSERT INTO items (id, code) VALUES (1, '42')"

        [[upgrade]]
        op = "alter_column"
        table = "items"
        column = "code"
        type = { from = "text", to = "integer" }

        [[upgrade]]
        op = "sql"
        sql = "UPDATE items SET code = code + 1"

        [[check]]
        query = "SELECT CAST(code AS TEXT) FROM items"
        rows = [["43"]]
        "#,
    ),
    (
        "alter_column_type_keeps_default",
        r#"
        [[setup]]
        op = "create_table"
        table = "items"
        columns = [
            { name = "id", type = "integer", nullable = false },
            { name = "qty", type = "integer", nullable = false, default = { value = 7 } },
            { name = "label", type = "varchar(10)", default = { value = "none" } },
        ]
        primary_key = ["id"]

        [[setup]]
        op = "sql"
        sql = "INSERT INTO items (id) VALUES (1)"

        [[upgrade]]
        op = "alter_column"
        table = "items"
        column = "qty"
        type = { from = "integer", to = "text" }

        [[upgrade]]
        op = "alter_column"
        table = "items"
        column = "label"
        type = { from = "varchar(10)", to = "text" }

        [[upgrade]]
        op = "sql"
        sql = "INSERT INTO items (id) VALUES (2)"

        [[check]]
        query = "SELECT CAST(id AS TEXT), qty, label FROM items ORDER BY id"
        rows = [["1", "7", "none"], ["2", "7", "none"]]
        "#,
    ),
    (
        "alter_column_nullable",
        r#"
        [[setup]]
        op = "create_table"
        table = "items"
        columns = [
            { name = "id", type = "integer", nullable = false },
            { name = "required", type = "text" },
            { name = "optional", type = "text", nullable = false },
        ]
        primary_key = ["id"]

        [[setup]]
        op = "sql"
        sql = "INSERT INTO items (id, required, optional) VALUES (1, 'a', 'b')"

        [[upgrade]]
        op = "alter_column"
        table = "items"
        column = "required"
        nullable = false

        [[upgrade]]
        op = "alter_column"
        table = "items"
        column = "optional"
        nullable = true

        [[upgrade]]
        op = "sql"
        sql = "INSERT INTO items (id, required) VALUES (2, 'c')"

        [[check]]
        query = "SELECT CAST(id AS TEXT), required, optional FROM items ORDER BY id"
        rows = [["1", "a", "b"], ["2", "c", "NULL"]]
        "#,
    ),
    (
        "alter_column_default",
        r#"
        [[setup]]
        op = "create_table"
        table = "items"
        columns = [
            { name = "id", type = "integer", nullable = false },
            { name = "qty", type = "integer" },
            { name = "status", type = "text", default = { value = "old" } },
            { name = "added_on", type = "date", default = { sql = "'2000-01-01'" } },
        ]
        primary_key = ["id"]

        [[upgrade]]
        op = "alter_column"
        table = "items"
        column = "qty"
        default = { to = { value = 3 } }

        [[upgrade]]
        op = "alter_column"
        table = "items"
        column = "status"
        default = { from = { value = "old" } }

        [[upgrade]]
        op = "alter_column"
        table = "items"
        column = "added_on"
        default = { from = { sql = "'2000-01-01'" }, to = { expr = "current_date" } }

        [[upgrade]]
        op = "sql"
        sql = "INSERT INTO items (id) VALUES (1)"

        [[check]]
        query = "SELECT CAST(qty AS TEXT), status, CASE WHEN added_on > '2000-01-01' THEN 'today' ELSE 'old' END FROM items"
        rows = [["3", "NULL", "today"]]
        "#,
    ),
    (
        "alter_column_comment",
        r#"
        [[setup]]
        op = "create_table"
        table = "items"
        columns = [
            { name = "id", type = "integer", nullable = false, comment = "the old comment" },
            { name = "name", type = "text" },
        ]
        primary_key = ["id"]

        [[upgrade]]
        op = "alter_column"
        table = "items"
        column = "name"
        comment = { to = "what it's called" }

        [[upgrade]]
        op = "alter_column"
        table = "items"
        column = "id"
        comment = { from = "the old comment" }

        [[check]]
        dialect = "postgresql"
        query = "SELECT col_description('items'::regclass, 1), col_description('items'::regclass, 2)"
        rows = [["NULL", "what it's called"]]
        "#,
    ),
    (
        "alter_table_comment",
        r#"
        [[setup]]
        op = "create_table"
        table = "items"
        comment = "the old comment"
        columns = [{ name = "id", type = "integer", nullable = false }]

        [[setup]]
        op = "create_table"
        table = "tags"
        columns = [{ name = "id", type = "integer", nullable = false }]

        [[upgrade]]
        op = "alter_table"
        table = "items"
        comment = { from = "the old comment" }

        [[upgrade]]
        op = "alter_table"
        table = "tags"
        comment = { to = "what's attached" }

        [[check]]
        dialect = "postgresql"
        query = "SELECT obj_description('items'::regclass, 'pg_class'), obj_description('tags'::regclass, 'pg_class')"
        rows = [["NULL", "what's attached"]]
        "#,
    ),
    (
        "alter_column_rename",
        r#"
        [[setup]]
        op = "create_table"
        table = "items"
        columns = [
            { name = "id", type = "integer", nullable = false },
            { name = "title", type = "text" },
        ]
        primary_key = ["id"]

        [[setup]]
        op = "create_index"
        table = "items"
        name = "ix_items_title"
        columns = ["title"]

        [[setup]]
        op = "sql"
        sql = "INSERT INTO items (id, title) VALUES (1, 'kept')"

        [[upgrade]]
        op = "alter_column"
        table = "items"
        column = "title"
        new_name = "headline"

        [[check]]
        query = "SELECT CAST(id AS TEXT), headline FROM items"
        rows = [["1", "kept"]]
        "#,
    ),
    (
        "alter_column_everything_at_once",
        r#"
        [[setup]]
        op = "create_table"
        table = "items"
        columns = [
            { name = "id", type = "integer", nullable = false },
            { name = "qty", type = "integer", default = { value = 1 }, comment = "how many" },
        ]
        primary_key = ["id"]

        [[setup]]
        op = "sql"
        sql = "INSERT INTO items (id, qty) VALUES (1, 5)"

        [[upgrade]]
        op = "alter_column"
        table = "items"
        column = "qty"
        type = { from = "integer", to = "bigint" }
        nullable = false
        default = { from = { value = 1 }, to = { value = 10 } }
        comment = { from = "how many", to = "how many, at least one" }
        new_name = "quantity"

        [[upgrade]]
        op = "sql"
        sql = "INSERT INTO items (id) VALUES (2)"

        [[check]]
        query = "SELECT CAST(id AS TEXT), CAST(quantity AS TEXT) FROM items ORDER BY id"
        rows = [["1", "5"], ["2", "10"]]

        [[check]]
        dialect = "postgresql"
        query = """
            SELECT data_type, is_nullable, column_default, col_description('items'::regclass, ordinal_position)
            FROM information_schema.columns WHERE table_name = 'items' AND column_name = 'quantity'
        """
        rows = [["bigint", "NO", "10", "how many, at least one"]]
        "#,
    ),
    (
        "create_index",
        r#"
        expect_error = { mysql = "unsupported" }

        [[setup]]
        op = "create_table"
        table = "users"
        columns = [
            { name = "id", type = "integer", nullable = false },
            { name = "org_id", type = "integer", nullable = false },
            { name = "email", type = "varchar(255)", nullable = false },
            { name = "name", type = "text" },
            { name = "deleted_at", type = "timestamp" },
        ]
        primary_key = ["id"]

        [[setup]]
        op = "sql"
        sql = "INSERT INTO users (id, org_id, email, name) VALUES (1, 1, 'a@example.com', 'Ann')"

        [[upgrade]]
        op = "create_index"
        table = "users"
        name = "ix_users_name"
        columns = ["name"]

        [[upgrade]]
        op = "create_index"
        table = "users"
        name = "ux_users_org_email"
        columns = ["org_id", "email"]
        unique = true

        [[upgrade]]
        op = "create_index"
        table = "users"
        name = "ux_users_live_email"
        columns = ["email"]
        unique = true
        where = "deleted_at IS NULL"

        [[upgrade]]
        op = "create_index"
        table = "users"
        name = "ix_users_lower_email"
        columns = [{ expr = "lower(email)" }]

        [[upgrade]]
        op = "create_index"
        table = "users"
        name = "ix_users_org_lower_name"
        columns = ["org_id", { expr = "lower(name)" }]

        [[check]]
        query = "SELECT name FROM users WHERE lower(email) = 'a@example.com'"
        rows = [["Ann"]]

        [[check]]
        dialect = "postgresql"
        query = "SELECT indexdef FROM pg_indexes WHERE tablename = 'users' AND indexname <> 'users_pkey' ORDER BY indexname"
        rows = [
            ["CREATE INDEX ix_users_lower_email ON public.users USING btree (lower((email)::text))"],
            ["CREATE INDEX ix_users_name ON public.users USING btree (name)"],
            ["CREATE INDEX ix_users_org_lower_name ON public.users USING btree (org_id, lower(name))"],
            ["CREATE UNIQUE INDEX ux_users_live_email ON public.users USING btree (email) WHERE (deleted_at IS NULL)"],
            ["CREATE UNIQUE INDEX ux_users_org_email ON public.users USING btree (org_id, email)"],
        ]
        "#,
    ),
    (
        "create_index_on_text_columns",
        r#"
        [[setup]]
        op = "create_table"
        table = "notes"
        columns = [
            { name = "id", type = "integer", nullable = false },
            { name = "title", type = "text", nullable = false },
            { name = "body", type = "text" },
        ]
        primary_key = ["id"]

        [[setup]]
        op = "sql"
        sql = "INSERT INTO notes (id, title) VALUES (1, 'first')"

        [[upgrade]]
        op = "create_index"
        table = "notes"
        name = "ix_notes_body"
        columns = ["body"]

        [[upgrade]]
        op = "create_index"
        table = "notes"
        name = "ux_notes_title"
        columns = ["title"]
        unique = true

        [[upgrade]]
        op = "add_constraint"
        table = "notes"
        constraint = { kind = "unique", name = "notes_title_body_key", columns = ["title", "body"] }

        [[check]]
        query = "SELECT CAST(COUNT(*) AS TEXT) FROM notes WHERE title = 'first'"
        rows = [["1"]]

        [[check]]
        dialect = "mysql"
        query = """
            SELECT INDEX_NAME, COLUMN_NAME, CAST(SUB_PART AS CHAR), CAST(NON_UNIQUE AS CHAR)
            FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'notes'
            ORDER BY INDEX_NAME, SEQ_IN_INDEX
        """
        rows = [
            ["ix_notes_body", "body", "255", "1"],
            ["notes_title_body_key", "title", "255", "0"],
            ["notes_title_body_key", "body", "255", "0"],
            ["PRIMARY", "id", "NULL", "0"],
            ["ux_notes_title", "title", "255", "0"],
        ]
        "#,
    ),
    (
        "create_index_postgresql_only",
        r#"
        expect_error = { sqlite = "unsupported", mysql = "invalid" }

        [[setup]]
        op = "create_table"
        table = "docs"
        columns = [
            { name = "id", type = "integer", nullable = false },
            { name = "body", type = "jsonb" },
            { name = "title", type = "text" },
        ]
        primary_key = ["id"]

        [[upgrade]]
        op = "create_index"
        table = "docs"
        name = "ix_docs_body"
        columns = ["body"]
        method = "gin"

        [[upgrade]]
        op = "create_index"
        table = "docs"
        name = "ix_docs_title"
        columns = ["title"]
        method = "hash"
        concurrently = true

        [[upgrade]]
        op = "create_index"
        table = "docs"
        name = "ix_docs_id_title"
        columns = ["id", "title"]
        concurrently = true

        [[upgrade]]
        op = "drop_index"
        table = "docs"
        name = "ix_docs_id_title"
        concurrently = true

        [[check]]
        query = "SELECT indexdef FROM pg_indexes WHERE tablename = 'docs' AND indexname <> 'docs_pkey' ORDER BY indexname"
        rows = [
            ["CREATE INDEX ix_docs_body ON public.docs USING gin (body)"],
            ["CREATE INDEX ix_docs_title ON public.docs USING hash (title)"],
        ]
        "#,
    ),
    (
        "drop_index",
        r#"
        [[setup]]
        op = "create_table"
        table = "users"
        columns = [{ name = "email", type = "text" }]

        [[setup]]
        op = "create_index"
        table = "users"
        name = "ux_users_email"
        columns = ["email"]
        unique = true

        [[upgrade]]
        op = "drop_index"
        table = "users"
        name = "ux_users_email"

        [[upgrade]]
        op = "sql"
        sql = "INSERT INTO users (email) VALUES ('twice'), ('twice')"

        [[check]]
        query = "SELECT CAST(COUNT(*) AS TEXT) FROM users"
        rows = [["2"]]
        "#,
    ),
    (
        "add_constraint",
        r#"
        [[setup]]
        op = "create_table"
        table = "parents"
        columns = [{ name = "id", type = "integer", nullable = false }]

        [[setup]]
        op = "create_table"
        table = "children"
        columns = [
            { name = "id", type = "integer", nullable = false },
            { name = "parent_id", type = "integer" },
            { name = "code", type = "text" },
            { name = "qty", type = "integer" },
        ]

        [[setup]]
        op = "sql"
        sql = "INSERT INTO parents (id) VALUES (1); INSERT INTO children (id, parent_id, code, qty) VALUES (10, 1, 'a', 2)"

        [[upgrade]]
        op = "add_constraint"
        table = "parents"
        constraint = { kind = "primary_key", name = "parents_pkey", columns = ["id"] }

        [[upgrade]]
        op = "add_constraint"
        table = "children"
        constraint = { kind = "primary_key", columns = ["id"] }

        [[upgrade]]
        op = "add_constraint"
        table = "children"
        constraint = { kind = "unique", name = "children_code_key", columns = ["code"] }

        [[upgrade]]
        op = "add_constraint"
        table = "children"
        constraint = { kind = "foreign_key", name = "children_parent_id_fkey", columns = ["parent_id"], references = { table = "parents", columns = ["id"] }, on_delete = "cascade", on_update = "set_null" }

        [[upgrade]]
        op = "add_constraint"
        table = "children"
        constraint = { kind = "check", name = "children_qty_check", expr = "qty > 0" }

        [[check]]
        query = "SELECT CAST(id AS TEXT), CAST(parent_id AS TEXT), code, CAST(qty AS TEXT) FROM children"
        rows = [["10", "1", "a", "2"]]

        [[check]]
        dialect = "postgresql"
        query = """
            SELECT conrelid::regclass::text, conname::text, pg_get_constraintdef(oid) FROM pg_constraint
            WHERE conrelid IN ('parents'::regclass, 'children'::regclass) ORDER BY 1, 2
        """
        rows = [
            ["children", "children_code_key", "UNIQUE (code)"],
            ["children", "children_parent_id_fkey", "FOREIGN KEY (parent_id) REFERENCES parents(id) ON UPDATE SET NULL ON DELETE CASCADE"],
            ["children", "children_pkey", "PRIMARY KEY (id)"],
            ["children", "children_qty_check", "CHECK ((qty > 0))"],
            ["parents", "parents_pkey", "PRIMARY KEY (id)"],
        ]
        "#,
    ),
    (
        "drop_constraint",
        r#"
        [[setup]]
        op = "create_table"
        table = "parents"
        columns = [{ name = "id", type = "integer", nullable = false }]
        primary_key = ["id"]
        primary_key_name = "parents_pk"

        [[setup]]
        op = "create_table"
        table = "children"
        columns = [
            { name = "id", type = "integer", nullable = false },
            { name = "parent_id", type = "integer" },
            { name = "code", type = "text" },
            { name = "qty", type = "integer" },
        ]
        primary_key = ["id"]
        primary_key_name = "children_pk"
        constraints = [
            { kind = "unique", name = "children_code_key", columns = ["code"] },
            { kind = "foreign_key", name = "children_parent_id_fkey", columns = ["parent_id"], references = { table = "parents", columns = ["id"] } },
            { kind = "check", name = "children_qty_check", expr = "qty > 0" },
        ]

        [[setup]]
        op = "sql"
        sql = "INSERT INTO parents (id) VALUES (1); INSERT INTO children (id, parent_id, code, qty) VALUES (10, 1, 'a', 2)"

        [[upgrade]]
        op = "drop_constraint"
        table = "children"
        name = "children_qty_check"
        kind = "check"

        [[upgrade]]
        op = "drop_constraint"
        table = "children"
        name = "children_parent_id_fkey"
        kind = "foreign_key"

        [[upgrade]]
        op = "drop_constraint"
        table = "children"
        name = "children_code_key"
        kind = "unique"

        [[upgrade]]
        op = "drop_constraint"
        table = "children"
        name = "children_pk"
        kind = "primary_key"

        [[upgrade]]
        op = "sql"
        sql = "INSERT INTO children (id, parent_id, code, qty) VALUES (10, 99, 'a', -1)"

        [[check]]
        query = "SELECT CAST(id AS TEXT), CAST(parent_id AS TEXT), code, CAST(qty AS TEXT) FROM children ORDER BY qty"
        rows = [["10", "99", "a", "-1"], ["10", "1", "a", "2"]]
        "#,
    ),
    (
        "enums",
        r#"
        [[setup]]
        op = "create_enum"
        name = "status"
        values = ["draft", "published"]

        [[upgrade]]
        op = "add_enum_value"
        name = "status"
        value = "archived"

        [[upgrade]]
        op = "add_enum_value"
        name = "status"
        value = "review"
        before = "published"

        [[upgrade]]
        op = "add_enum_value"
        name = "status"
        value = "scheduled"
        after = "review"

        [[upgrade]]
        op = "create_enum"
        name = "priority"
        values = ["low", "it's high"]

        [[upgrade]]
        op = "drop_enum"
        name = "priority"

        [[check]]
        dialect = "postgresql"
        query = """
            SELECT string_agg(enumlabel, ',' ORDER BY enumsortorder) FROM pg_enum WHERE enumtypid = 'status'::regtype
        """
        rows = [["draft,review,scheduled,published,archived"]]

        [[check]]
        dialect = "postgresql"
        query = "SELECT CAST(to_regtype('priority') AS TEXT)"
        rows = [["NULL"]]
        "#,
    ),
    (
        "add_enum_value_to_columns",
        r#"
        [[setup]]
        op = "create_enum"
        name = "status"
        values = ["draft", "published"]

        [[setup]]
        op = "create_table"
        table = "posts"
        columns = [
            { name = "id", type = "integer", nullable = false },
            { name = "status", type = "enum:status", nullable = false, default = { value = "draft" } },
            { name = "previous", type = "enum:status" },
        ]
        primary_key = ["id"]

        [[setup]]
        op = "sql"
        sql = "INSERT INTO posts (id) VALUES (1)"

        [[upgrade]]
        op = "add_enum_value"
        name = "status"
        value = "review"
        before = "published"

        [[upgrade]]
        op = "sql"
        sql = "UPDATE posts SET status = 'review', previous = 'draft'"

        [[check]]
        query = "SELECT CAST(status AS TEXT), CAST(previous AS TEXT) FROM posts"
        rows = [["review", "draft"]]

        [[check]]
        dialect = "mysql"
        query = """
            SELECT COLUMN_NAME, COLUMN_TYPE, IS_NULLABLE, COLUMN_DEFAULT FROM information_schema.COLUMNS
            WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'posts' AND COLUMN_NAME <> 'id' ORDER BY ORDINAL_POSITION
        """
        rows = [
            ["status", "enum('draft','review','published')", "NO", "'draft'"],
            ["previous", "enum('draft','review','published')", "YES", "NULL"],
        ]
        "#,
    ),
    (
        "on_update_current_timestamp",
        r#"
        expect_error = { postgresql = "unsupported", sqlite = "unsupported" }

        [[setup]]
        op = "create_table"
        table = "events"
        columns = [
            { name = "id", type = "integer", nullable = false },
            { name = "name", type = "varchar(20)" },
            { name = "changed_at", type = "timestamptz", default = { value = "2020-01-01 00:00:00" } },
        ]
        primary_key = ["id"]

        [[setup]]
        op = "sql"
        sql = "INSERT INTO events (id, name) VALUES (1, 'a')"

        [[upgrade]]
        op = "alter_column"
        table = "events"
        column = "changed_at"
        on_update = { to = { expr = "current_timestamp" } }

        [[upgrade]]
        op = "add_column"
        table = "events"
        column = { name = "seen_at", type = "DATETIME", on_update = { expr = "current_timestamp" } }

        [[upgrade]]
        op = "sql"
        sql = "UPDATE events SET name = 'b'"

        [[check]]
        query = "SELECT name, CAST(changed_at > '2021-01-01' AS CHAR), CAST(seen_at IS NOT NULL AS CHAR) FROM events"
        rows = [["b", "1", "1"]]
        "#,
    ),
    (
        "drop_enum_value",
        r#"
        [[setup]]
        op = "create_enum"
        name = "status"
        values = ["draft", "review", "published", "archived"]

        [[setup]]
        op = "create_table"
        table = "posts"
        columns = [
            { name = "id", type = "integer", nullable = false },
            { name = "status", type = "enum:status", nullable = false, default = { value = "draft" } },
        ]
        primary_key = ["id"]
        constraints = [{ kind = "check", name = "posts_archived_check", expr = "status <> 'archived' OR id > 0" }]

        [[setup]]
        op = "sql"
        dialect = "postgresql"
        sql = """
            ALTER TABLE posts ADD COLUMN history status[] DEFAULT '{draft,published}';
            CREATE INDEX ix_posts_live ON posts (id) WHERE status <> 'archived';
            CREATE INDEX ix_posts_published ON posts ((status = 'published'));
        """

        [[setup]]
        op = "sql"
        sql = "INSERT INTO posts (id, status) VALUES (1, 'published'), (2, 'archived'), (3, 'draft')"

        [[upgrade]]
        op = "drop_enum_value"
        name = "status"
        value = "review"
        after = "draft"

        [[upgrade]]
        op = "sql"
        sql = "INSERT INTO posts (id) VALUES (4)"

        [[check]]
        query = "SELECT CAST(id AS TEXT), CAST(status AS TEXT) FROM posts ORDER BY id"
        rows = [["1", "published"], ["2", "archived"], ["3", "draft"], ["4", "draft"]]

        [[check]]
        dialect = "postgresql"
        query = """
            SELECT string_agg(enumlabel, ',' ORDER BY enumsortorder), CAST(to_regtype('aludel_enum_being_replaced') AS TEXT)
            FROM pg_enum WHERE enumtypid = 'status'::regtype
        """
        rows = [["draft,published,archived", "NULL"]]

        [[check]]
        dialect = "postgresql"
        query = """
            SELECT CAST(history AS TEXT), pg_get_constraintdef(c.oid),
                (SELECT string_agg(indexdef, '; ' ORDER BY indexname) FROM pg_indexes WHERE tablename = 'posts' AND indexname LIKE 'ix_%')
            FROM posts, pg_constraint c WHERE id = 4 AND c.conname = 'posts_archived_check'
        """
        rows = [[
            "{draft,published}",
            "CHECK (((status <> 'archived'::status) OR (id > 0)))",
            "CREATE INDEX ix_posts_live ON public.posts USING btree (id) WHERE (status <> 'archived'::status); CREATE INDEX ix_posts_published ON public.posts USING btree (((status = 'published'::status)))",
        ]]

        [[check]]
        dialect = "mysql"
        query = """
            SELECT COLUMN_TYPE, COLUMN_DEFAULT FROM information_schema.COLUMNS
            WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'posts' AND COLUMN_NAME = 'status'
        """
        rows = [["enum('draft','published','archived')", "'draft'"]]

        [[check]]
        dialect = "sqlite"
        query = "SELECT sql LIKE '%''review''%' FROM sqlite_master WHERE name = 'posts'"
        rows = [["0"]]
        "#,
    ),
    (
        "sql",
        r#"
        [[setup]]
        op = "create_table"
        table = "notes"
        columns = [
            { name = "id", type = "integer", nullable = false },
            { name = "body", type = "text" },
        ]

        [[upgrade]]
        op = "sql"
        sql = "INSERT INTO notes (id, body) VALUES (1, 'everywhere');"

        [[upgrade]]
        op = "sql"
        dialect = "postgresql"
        sql = "INSERT INTO notes (id, body) VALUES (2, 'postgresql')"

        [[upgrade]]
        op = "sql"
        dialect = "postgres"
        sql = "INSERT INTO notes (id, body) VALUES (3, 'postgres')"

        [[upgrade]]
        op = "sql"
        dialect = "sqlite"
        sql = "INSERT INTO notes (id, body) VALUES (4, 'sqlite')"

        [[upgrade]]
        op = "sql"
        sql = """
            INSERT INTO notes (id, body) VALUES (5, 'first; of two');
            INSERT INTO notes (id, body) VALUES (6, 'second');
        """

        [[check]]
        dialect = "postgresql"
        query = "SELECT CAST(id AS TEXT), body FROM notes ORDER BY id"
        rows = [["1", "everywhere"], ["2", "postgresql"], ["3", "postgres"], ["5", "first; of two"], ["6", "second"]]

        [[check]]
        dialect = "sqlite"
        query = "SELECT CAST(id AS TEXT), body FROM notes ORDER BY id"
        rows = [["1", "everywhere"], ["4", "sqlite"], ["5", "first; of two"], ["6", "second"]]
        "#,
    ),
    (
        "quoted_identifiers",
        r#"
        [[upgrade]]
        op = "create_table"
        table = 'Order "Lines"'
        columns = [
            { name = "select", type = "integer", nullable = false },
            { name = "Mixed Case", type = "text", default = { value = "it's" } },
        ]
        primary_key = ["select"]

        [[upgrade]]
        op = "create_index"
        table = 'Order "Lines"'
        name = "ix order lines"
        columns = ["Mixed Case"]

        [[upgrade]]
        op = "sql"
        dialect = "postgresql"
        sql = '''INSERT INTO "Order ""Lines""" ("select") VALUES (1)'''

        [[upgrade]]
        op = "sql"
        dialect = "sqlite"
        sql = '''INSERT INTO "Order ""Lines""" ("select") VALUES (1)'''

        [[upgrade]]
        op = "sql"
        dialect = "mysql"
        sql = '''INSERT INTO `Order "Lines"` (`select`) VALUES (1)'''

        [[check]]
        except = ["mysql"]
        query = '''SELECT CAST("select" AS TEXT), "Mixed Case" FROM "Order ""Lines"""'''
        rows = [["1", "it's"]]

        [[check]]
        dialect = "mysql"
        query = '''SELECT CAST(`select` AS CHAR), `Mixed Case` FROM `Order "Lines"`'''
        rows = [["1", "it's"]]
        "#,
    ),
    (
        "generated_virtual_column",
        r#"
        expect_error = { postgresql = "unsupported" }

        [[upgrade]]
        op = "create_table"
        table = "boxes"
        columns = [
            { name = "width", type = "integer", nullable = false },
            { name = "height", type = "integer", nullable = false },
            { name = "area", type = "integer", generated = { expr = "width * height", stored = false } },
        ]

        [[upgrade]]
        op = "sql"
        sql = "INSERT INTO boxes (width, height) VALUES (2, 3)"

        [[check]]
        query = "SELECT CAST(area AS TEXT) FROM boxes"
        rows = [["6"]]
        "#,
    ),
    (
        "invalid_create_table_without_columns",
        r#"
        expect_error = { postgresql = "invalid", sqlite = "invalid", mysql = "invalid" }

        [[upgrade]]
        op = "create_table"
        table = "empty"
        columns = []
        "#,
    ),
    (
        "invalid_unique_without_columns",
        r#"
        expect_error = { postgresql = "invalid", sqlite = "invalid", mysql = "invalid" }

        [[setup]]
        op = "create_table"
        table = "t"
        columns = [{ name = "a", type = "integer" }]

        [[upgrade]]
        op = "add_constraint"
        table = "t"
        constraint = { kind = "unique", name = "t_key", columns = [] }
        "#,
    ),
    (
        "invalid_index_without_columns",
        r#"
        expect_error = { postgresql = "invalid", sqlite = "invalid", mysql = "invalid" }

        [[setup]]
        op = "create_table"
        table = "t"
        columns = [{ name = "a", type = "integer" }]

        [[upgrade]]
        op = "create_index"
        table = "t"
        name = "ix_t"
        columns = []
        "#,
    ),
];

/// Renders one op for `backend` against `schema`, then moves `schema` past it.
fn render_step(backend: Backend, op: &Op, schema: &mut Schema) -> Result<Vec<Statement>, String> {
    let statements = backend.dialect().render(op, schema).map_err(|err| describe(&err))?;
    schema.apply(op).map_err(|err| format!("schema: {}: {err}", op.describe()))?;
    Ok(statements)
}

/// A render error with its variant, as failures and snapshots show it.
fn describe(err: &RenderError) -> String {
    let kind = match err {
        RenderError::Unsupported { .. } => "unsupported",
        RenderError::Invalid { .. } => "invalid",
        RenderError::Schema { .. } => "schema",
        _ => "unknown kind",
    };
    format!("render error ({kind}): {err}")
}

/// The snapshot text of a script: statements joined by `;\n`, with a final `;`.
fn script(statements: &[Statement]) -> String {
    if statements.is_empty() {
        return "-- no statements".to_owned();
    }
    let joined: Vec<&str> = statements.iter().map(|s| s.sql.as_str()).collect();
    format!("{};", joined.join(";\n"))
}

/// Asserts a snapshot without unwinding, so one mismatch does not hide the other cases.
fn snapshot(name: String, text: &str) -> Result<(), String> {
    catch_unwind(AssertUnwindSafe(|| insta::assert_snapshot!(name, text)))
        .map_err(|_| "the snapshot differs (the diff is printed above)".to_owned())
}

/// Runs one case on one backend; `Err` says what went wrong.
async fn run_case(name: &str, text: &str, backend: Backend) -> Result<(), String> {
    let case: Case = toml::from_str(text).map_err(|err| format!("the case is not valid TOML: {err}"))?;
    let dialect = backend.dialect().name();
    let snapshot_name = format!("{name}@{dialect}");

    let mut schema = Schema::default();
    let mut setup = Vec::new();
    for op in &case.setup {
        setup.extend(render_step(backend, op, &mut schema).map_err(|err| format!("setup: {err}"))?);
    }

    let mut upgrade = Vec::new();
    let mut refused = None;
    for op in &case.upgrade {
        match backend.dialect().render(op, &schema) {
            Ok(statements) => upgrade.extend(statements),
            Err(err) => {
                refused = Some(err);
                break;
            }
        }
        schema.apply(op).map_err(|err| format!("upgrade: schema: {}: {err}", op.describe()))?;
    }

    match (refused, case.expect_error.get(dialect)) {
        (None, None) => {}
        (Some(err), Some(kind)) if kind.matches(&err) => {
            return snapshot(snapshot_name, &describe(&err));
        }
        (Some(err), expected) => {
            let expected = expected.map_or(String::new(), |kind| format!(" (expected {kind:?})"));
            return Err(format!("{}{expected}", describe(&err)));
        }
        (None, Some(kind)) => return Err(format!("expected a {kind:?} error, but every op rendered")),
    }
    snapshot(snapshot_name, &script(&upgrade))?;

    let db = common::TestDb::new(backend).await;
    let mut session = backend.connect(&db.url, &Default::default()).await.map_err(|err| format!("connect: {err}"))?;
    // One statement at a time, outside a transaction, as `CREATE INDEX CONCURRENTLY` needs.
    for (phase, statements) in [("setup", &setup), ("upgrade", &upgrade)] {
        for statement in statements {
            session.execute(&statement.sql).await.map_err(|err| format!("{phase} failed: {err}\n{statement}"))?;
        }
    }
    let violations = session.check_integrity().await.map_err(|err| format!("integrity check: {err}"))?;
    if !violations.is_empty() {
        return Err(format!("integrity violations after the upgrade: {violations:?}"));
    }
    for check in case.check.iter().filter(|c| c.runs_on(dialect)) {
        let query = check.query(dialect);
        let rows = session.query_text(&query).await.map_err(|err| format!("check failed: {err}\n{query}"))?;
        let rows: Vec<Vec<String>> = rows
            .into_iter()
            .map(|row| row.into_iter().map(|cell| cell.unwrap_or_else(|| "NULL".into())).collect())
            .collect();
        if rows != check.rows {
            return Err(format!("check {}\nreturned {rows:?}\nexpected {:?}", query.trim(), check.rows));
        }
    }
    session.close().await.ok();
    Ok(())
}

/// The message of a task's panic.
fn panic_message(err: tokio::task::JoinError) -> String {
    match err.try_into_panic() {
        Ok(payload) => payload
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| payload.downcast_ref::<&str>().map(|s| (*s).to_owned()))
            .unwrap_or_else(|| "panicked".to_owned()),
        Err(err) => err.to_string(),
    }
}

/// A comma-separated filter from the environment; `None` lets everything through.
fn filter(var: &str) -> Option<Vec<String>> {
    std::env::var(var)
        .ok()
        .filter(|v| !v.trim().is_empty())
        .map(|v| v.split(',').map(|s| s.trim().to_owned()).collect())
}

#[tokio::test(flavor = "multi_thread")]
async fn every_op_renders_and_runs_on_every_backend() {
    let dialects = filter("ALUDEL_TEST_DIALECT");
    let cases = filter("ALUDEL_TEST_CASE");
    let mut jobs = Vec::new();
    for &(name, text) in CASES {
        for backend in common::backends() {
            let dialect_ok = dialects.as_ref().is_none_or(|d| d.iter().any(|d| d == backend.dialect().name()));
            let case_ok = cases.as_ref().is_none_or(|c| c.iter().any(|c| name.contains(c.as_str())));
            if dialect_ok && case_ok {
                jobs.push((name, text, backend));
            }
        }
    }
    let total = CASES.len() * common::backends().len();
    if jobs.len() < total {
        eprintln!("ALUDEL_TEST_DIALECT / ALUDEL_TEST_CASE: running {} of {total} case@dialect pairs", jobs.len());
    }
    assert!(!jobs.is_empty(), "the filters ALUDEL_TEST_DIALECT / ALUDEL_TEST_CASE match no case");

    let mut failures = Vec::new();
    let mut pending = jobs.into_iter();
    let mut running = JoinSet::new();
    let mut labels = BTreeMap::new();
    loop {
        while running.len() < PARALLEL {
            let Some((name, text, backend)) = pending.next() else { break };
            let task = running.spawn(run_case(name, text, backend));
            labels.insert(task.id(), format!("{name}@{}", backend.dialect().name()));
        }
        let Some(done) = running.join_next_with_id().await else { break };
        let (id, outcome) = match done {
            Ok((id, outcome)) => (id, outcome),
            // A panic outside the snapshot (the test database could not be created).
            Err(err) => (err.id(), Err(panic_message(err))),
        };
        if let Err(reason) = outcome {
            failures.push(format!("{}: {reason}", labels[&id]));
        }
    }
    failures.sort();
    let mut report = String::new();
    for failure in &failures {
        let _ = writeln!(report, "--- {failure}\n");
    }
    assert!(failures.is_empty(), "{} case(s) failed:\n\n{report}", failures.len());
}
