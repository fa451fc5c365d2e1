//! Ops rendered to SQLite DDL.
//!
//! SQLite's `ALTER TABLE` renames a table and adds, renames or drops a plain column. Every
//! other change is a table rebuild (see `rebuild`): a new type, nullability or default, any
//! constraint added or dropped, a column added with a default `ALTER TABLE` refuses, a column
//! dropped that an index or constraint uses, an enum value added. The rebuild reads the table
//! from `before` and the table after the op from `Schema::apply`, so rebuilding ops need
//! `before` to know their table; ops that `ALTER TABLE` handles render without it.
//!
//! Spelled differently from other backends, on purpose:
//! - Comments: SQLite has no table or column comments. They render nothing: `alter_table`
//!   is no statement at all, nor is an `alter_column` that only changes a comment.
//! - Enums: SQLite has no enum types, so `create_enum` and `drop_enum` render nothing. A
//!   column of type `enum:<name>` is `TEXT` with
//!   `CONSTRAINT "aludel_enum_<name>" CHECK ("col" IN ('a','b'))`, listing the values the
//!   schema knows at that point (the name lets introspection read the column back as the
//!   enum); `add_enum_value` rebuilds each table with such a column so its CHECK allows the
//!   new value.
//! - Identity: a single-column primary key, rendered inline as
//!   `"id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT`; SQLite has no other kind.
//! - Indexes: SQLite has only b-trees; `concurrently` means nothing here and is ignored, as are
//!   `not_valid` (a rebuild checks every row) and `validate_constraint` (nothing to run).
//!
//! Column definitions, `CREATE TABLE` and `CREATE INDEX` are spelled in `ddl`, which the
//! rebuild shares; type spellings live in `types`; running the SQL is the session's job.

use crate::dialect::common::ddl::DdlSpelling;
use crate::dialect::sqlite::ddl::{Renderer, primary_key};
use crate::dialect::sqlite::rebuild::rebuild;
use crate::dialect::{RenderError, Statement};
use crate::ops::{ColumnChange, Op};
use crate::schema::{Column, ColumnType, Constraint, DefaultValue, Index, IndexKey, Schema, SchemaError, Table};

/// Renders one op against the schema the earlier ops lead to.
pub(super) fn render(op: &Op, before: &Schema) -> Result<Vec<Statement>, RenderError> {
    let r = Renderer::new(op, before);
    match op {
        Op::CreateTable(table) => Ok(vec![r.create_table(table, &table.name)?]),
        Op::DropTable { table, existing: _ } => Ok(vec![r.drop_table(table)?]),
        Op::RenameTable { table, new_name } => Ok(vec![r.rename_table(table, new_name)?]),
        Op::AddColumn { table, column } => {
            // Validates the column whichever way it is added.
            let definition = r.column_def(column, None)?;
            if column.identity {
                return Err(r.unsupported(format!(
                    "column `{}` is an identity column, and SQLite auto-increments only a single-column primary key \
                     declared with its table; create the table with it, or drop `identity`",
                    column.name
                )));
            }
            if addable_in_place(column) {
                Ok(vec![Statement::new(format!("ALTER TABLE {} ADD COLUMN {definition}", r.ident("table", table)?))])
            } else {
                rebuild(op, table, before, &after(op, before)?)
            }
        }
        Op::DropColumn { table, column } => {
            let name = column.name();
            if before.table(table).is_some_and(|known| column_in_use(before, known, name)) {
                rebuild(op, table, before, &after(op, before)?)
            } else {
                Ok(vec![r.drop_column(table, name)?])
            }
        }
        Op::AlterColumn(change) => alter_column(&r, change, before),
        Op::CreateIndex(create) => Ok(vec![r.create_index(&create.index())?]),
        Op::DropIndex { table: _, name, concurrently: _, existing: _ } => {
            Ok(vec![Statement::new(format!("DROP INDEX {}", r.ident("index", name)?))])
        }
        Op::RenameIndex { table, name, new_name } => {
            // SQLite cannot rename an index: it is built anew under its new name.
            let Some(known) = before.indexes.get(name).filter(|index| index.table == *table) else {
                return Err(r.invalid(format!(
                    "SQLite renames an index by building it anew from its definition, and no earlier revision creates \
                     index `{name}` on `{table}`; write the change as an `sql` op with `dialect = \"sqlite\"`"
                )));
            };
            let renamed = Index { name: new_name.clone(), ..known.clone() };
            Ok(vec![Statement::new(format!("DROP INDEX {}", r.ident("index", name)?)), r.create_index(&renamed)?])
        }
        Op::AddConstraint { table, constraint: _, not_valid: _, concurrently: _ }
        | Op::DropConstraint { table, name: _, kind: _, existing: _ }
        | Op::RenameConstraint { table, name: _, new_name: _, existing: _ } => {
            rebuild(op, table, before, &after(op, before)?)
        }
        Op::CreateEnum { name, values: _ } | Op::DropEnum { name, values: _ } => {
            r.ident("enum", name)?;
            Ok(Vec::new())
        }
        // The rebuild that adds a constraint checks every row already.
        Op::ValidateConstraint { table, name } => {
            r.ident("table", table)?;
            r.ident("constraint", name)?;
            Ok(Vec::new())
        }
        Op::AddEnumValue { name, value: _, before: position_before, after: position_after }
        | Op::DropEnumValue { name, value: _, before: position_before, after: position_after } => {
            if position_before.is_some() && position_after.is_some() {
                return Err(r.invalid("set `before` or `after`, not both"));
            }
            // The enum's check constraint lists the values: each table of it is rebuilt.
            let after = after(op, before)?;
            let wanted = ColumnType::Enum(name.clone());
            let mut statements = Vec::new();
            for table in before.tables.values().filter(|t| t.columns.iter().any(|c| c.ty == wanted)) {
                statements.extend(rebuild(op, &table.name, before, &after)?);
            }
            Ok(statements)
        }
        Op::AlterTable { table, comment: _ } => {
            // SQLite keeps no comments.
            r.ident("table", table)?;
            Ok(Vec::new())
        }
        Op::Sql { sql, down: _, dialect } => r.raw_sql(sql, dialect.as_deref()),
    }
}

/// The schema after `op`, which a rebuild renders the new table from. A table no earlier
/// revision creates has no definition to rebuild from.
fn after(op: &Op, before: &Schema) -> Result<Schema, RenderError> {
    let mut after = before.clone();
    after.apply(op).map_err(|source| match source {
        SchemaError::UnknownTable { table } => RenderError::Invalid {
            op: op.describe(),
            reason: format!(
                "SQLite makes this change by rebuilding table `{table}` from its definition, and no earlier revision \
                 creates `{table}` (a database stamped without a baseline?); stamp a baseline revision that \
                 creates the tables (README: adopting aludel), or write the change as an `sql` op with \
                 `dialect = \"sqlite\"`"
            ),
        },
        problem => RenderError::Schema { op: op.describe(), problem },
    })?;
    Ok(after)
}

/// The schema after renaming `table.column` to `new_name`.
fn after_rename(table: &str, column: &str, new_name: &str, before: &Schema) -> Result<Schema, RenderError> {
    let rename =
        Op::AlterColumn(ColumnChange { new_name: Some(new_name.to_owned()), ..ColumnChange::new(table, column) });
    after(&rename, before)
}

/// Whether `ALTER TABLE ... ADD COLUMN` accepts the column: SQLite refuses a `NOT NULL`
/// column without a constant default, a default that is not a constant (`CURRENT_*` or an
/// expression) and a stored generated column.
fn addable_in_place(column: &Column) -> bool {
    if let Some(generated) = &column.generated {
        return !generated.stored;
    }
    match &column.default {
        Some(DefaultValue::Value(_) | DefaultValue::Number(_)) => true,
        Some(DefaultValue::Expr(_) | DefaultValue::Sql(_)) => false,
        None => column.nullable,
    }
}

/// Whether the primary key, a constraint or an index of `table` uses the column, so that
/// `ALTER TABLE ... DROP COLUMN` refuses to drop it. A table CHECK reading it counts too:
/// SQLite refuses to drop a column that one names, where the other backends drop a check of
/// the column alone, as the rebuild (from `Schema::apply`) does.
fn column_in_use(schema: &Schema, table: &Table, column: &str) -> bool {
    primary_key(table).0.iter().any(|c| c == column)
        || table.constraints.iter().any(|constraint| match constraint {
            Constraint::Check { expr, .. } => table.columns_read(expr).contains(&column),
            _ => constraint.columns().iter().any(|c| c == column),
        })
        || schema
            .indexes_on(&table.name)
            .any(|index| index.columns.iter().any(|key| matches!(key, IndexKey::Column(c) if c == column)))
}

/// A rename is `ALTER TABLE ... RENAME COLUMN`, which also updates the indexes, checks and
/// other tables' foreign keys that name the column; a new type, nullability or default or
/// collation then rebuilds the table; a comment, or `identity_always` (an AUTOINCREMENT column
/// has no `GENERATED ALWAYS`), renders nothing.
fn alter_column(r: &Renderer<'_>, change: &ColumnChange, before: &Schema) -> Result<Vec<Statement>, RenderError> {
    r.check_column_change(change)?;
    let ColumnChange {
        table,
        column,
        ty,
        nullable,
        default,
        on_update,
        comment: _,
        collation,
        identity_always: _,
        new_name,
    } = change;
    r.refuse_on_update(column, on_update.is_some())?;
    let mut statements = Vec::new();
    if let Some(new_name) = new_name {
        statements.push(r.rename_column(table, column, new_name)?);
    }
    if ty.is_some() || nullable.is_some() || default.is_some() || collation.is_some() {
        let after = after(r.op, before)?;
        // The rebuild copies from the table as the rename left it.
        let renamed = match new_name {
            Some(new_name) => Some(after_rename(table, column, new_name, before)?),
            None => None,
        };
        statements.extend(rebuild(r.op, table, renamed.as_ref().unwrap_or(before), &after)?);
    }
    Ok(statements)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dialect::common::ddl::check_render;

    /// `input` lists ops under `[[op]]`: all but the last build `before`, the last is
    /// rendered. `expected` is its statements, or the error's message.
    fn check(input: &str, expected: Result<&[&str], &str>) {
        check_render(render, input, expected);
    }

    /// `items` with a primary key, a unique constraint, a check, an enum column, a column
    /// index and a partial expression index.
    const ITEMS: &str = r#"
        [[op]]
        op = "create_enum"
        name = "mood"
        values = ["sad", "ok"]

        [[op]]
        op = "create_table"
        table = "items"
        columns = [
            { name = "id", type = "integer", nullable = false },
            { name = "code", type = "text", nullable = false },
            { name = "qty", type = "integer", default = { value = 1 } },
            { name = "mood", type = "enum:mood" },
            { name = "note", type = "text" },
        ]
        primary_key = ["id"]
        constraints = [
            { kind = "unique", name = "items_note_key", columns = ["note"] },
            { kind = "check", name = "items_id_check", expr = "id > 0" },
        ]

        [[op]]
        op = "create_index"
        table = "items"
        name = "ix_items_qty"
        columns = ["qty"]

        [[op]]
        op = "create_index"
        table = "items"
        name = "ix_items_lower_code"
        columns = [{ expr = "lower(code)" }]
        where = "id > 1"
    "#;

    /// The table `ITEMS` creates, as a rebuild's new table spells it, with `changed`
    /// replacing the `qty` line.
    fn items_tmp(qty: &str) -> String {
        format!(
            "CREATE TABLE \"_aludel_tmp_items\" (\n    \"id\" INTEGER NOT NULL,\n    \"code\" TEXT NOT NULL,\n    \
             {qty}\"mood\" TEXT CONSTRAINT \"aludel_enum_mood\" CHECK (\"mood\" IN ('sad','ok')),\n    \"note\" TEXT,\n    PRIMARY KEY (\"id\"),\n    \
             CONSTRAINT \"items_note_key\" UNIQUE (\"note\"),\n    CONSTRAINT \"items_id_check\" CHECK (id > 0)\n)"
        )
    }

    /// What a rebuild of `table` starts with: the statements that stop it when the table has a
    /// trigger or an index other than `known`, which the rebuild would drop (their effect is
    /// tested on a real file in `tests/sqlite_rebuild.rs`).
    fn guard(table: &str, known: &[&str]) -> Vec<String> {
        let columns: &[&str] = if table == "items" { &ITEMS_COLUMNS } else { &["id", "v"] };
        super::super::rebuild::nothing_unknown_on(table, known, columns).into_iter().map(|s| s.sql).collect()
    }

    /// The columns `ITEMS` creates.
    const ITEMS_COLUMNS: [&str; 5] = ["id", "code", "qty", "mood", "note"];

    /// The indexes `ITEMS` creates.
    const ITEMS_INDEXES: [&str; 2] = ["ix_items_lower_code", "ix_items_qty"];

    /// `guard(table)` then `steps`, as `check` takes them.
    fn guarded<'a>(guard: &'a [String], steps: &[&'a str]) -> Vec<&'a str> {
        guard.iter().map(String::as_str).chain(steps.iter().copied()).collect()
    }

    const ITEMS_TAIL: [&str; 6] = [
        r#"DROP TABLE "items""#,
        "PRAGMA legacy_alter_table = ON",
        r#"ALTER TABLE "_aludel_tmp_items" RENAME TO "items""#,
        "PRAGMA legacy_alter_table = OFF",
        r#"CREATE INDEX "ix_items_lower_code" ON "items" ((lower(code))) WHERE id > 1"#,
        r#"CREATE INDEX "ix_items_qty" ON "items" ("qty")"#,
    ];

    fn op(text: &str) -> String {
        format!("{ITEMS}\n[[op]]\n{text}")
    }

    #[test]
    fn create_table_spells_columns_keys_and_constraints() {
        check(
            r#"
            [[op]]
            op = "create_table"
            table = "t"
            columns = [
                { name = "id", type = "bigint", nullable = false, identity = true },
                { name = "flag", type = "boolean", nullable = false, default = { value = true } },
                { name = "ratio", type = "double", default = { value = -inf } },
                { name = "at", type = "timestamp", default = { expr = "current_timestamp" } },
                { name = "n", type = "integer", default = { sql = "abs(-1)" }, comment = "not rendered" },
                { name = "twice", type = "integer", nullable = false, generated = { expr = "n * 2" } },
            ]
            primary_key = ["id"]
            primary_key_name = "t_pk"
            comment = "not rendered either"
            "#,
            Ok(&[
                "CREATE TABLE \"t\" (\n    \"id\" INTEGER NOT NULL CONSTRAINT \"t_pk\" PRIMARY KEY AUTOINCREMENT,\n    \
                  \"flag\" BOOLEAN NOT NULL DEFAULT 1,\n    \"ratio\" DOUBLE PRECISION DEFAULT -9e999,\n    \
                  \"at\" TIMESTAMP DEFAULT CURRENT_TIMESTAMP,\n    \"n\" INTEGER DEFAULT (abs(-1)),\n    \
                  \"twice\" INTEGER NOT NULL GENERATED ALWAYS AS (n * 2) STORED\n)",
            ]),
        );
        // A primary key declared as a constraint auto-increments too.
        check(
            r#"
            [[op]]
            op = "create_table"
            table = "t"
            columns = [{ name = "id", type = "integer", identity = true }, { name = "v", type = "real", default = { value = 1.0 } }]
            constraints = [{ kind = "primary_key", columns = ["id"] }, { kind = "check", expr = "v > 0" }]
            "#,
            Ok(&["CREATE TABLE \"t\" (\n    \"id\" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,\n    \
                  \"v\" REAL DEFAULT 1.0,\n    CHECK (v > 0)\n)"]),
        );
    }

    #[test]
    fn identity_is_only_a_single_column_primary_key() {
        check(
            r#"
            [[op]]
            op = "create_table"
            table = "t"
            columns = [{ name = "a", type = "integer", identity = true }, { name = "b", type = "integer" }]
            primary_key = ["a", "b"]
            "#,
            Err("create_table t is not supported on sqlite: column `a` is an identity column, and SQLite \
                 auto-increments only a table's single-column primary key; make `a` the only primary key column, or \
                 drop `identity`"),
        );
        check(
            "[[op]]\nop = \"create_table\"\ntable = \"t\"\ncolumns = [{ name = \"id\", type = \"uuid\", identity = true }]\n\
             primary_key = [\"id\"]",
            Err("create_table t: column `id` is an identity column of type `uuid`; identity needs an integer type \
                 (smallint, integer or bigint)"),
        );
        check(
            &op(r#"op = "add_column"
                table = "items"
                column = { name = "seq", type = "bigint", identity = true }"#),
            Err("add_column items.seq is not supported on sqlite: column `seq` is an identity column, and SQLite \
                 auto-increments only a single-column primary key declared with its table; create the table with it, \
                 or drop `identity`"),
        );
    }

    #[test]
    fn enum_columns_check_their_values() {
        check(
            "[[op]]\nop = \"create_table\"\ntable = \"t\"\ncolumns = [{ name = \"m\", type = \"enum:mood\" }]",
            Err("create_table t: column `m` has type `enum:mood`, but no enum `mood` exists at this point of the \
                 migration history; create it with `create_enum` first"),
        );
        check(
            &op(r#"op = "add_column"
                table = "items"
                column = { name = "m2", type = "enum:mood", nullable = false, default = { value = "ok" } }"#),
            Ok(&[
                r#"ALTER TABLE "items" ADD COLUMN "m2" TEXT NOT NULL DEFAULT 'ok' CONSTRAINT "aludel_enum_mood" CHECK ("m2" IN ('sad','ok'))"#,
            ]),
        );
        check(&op("op = \"create_enum\"\nname = \"other\"\nvalues = [\"a\"]"), Ok(&[]));
        check(&op("op = \"drop_enum\"\nname = \"mood\""), Ok(&[]));
    }

    #[test]
    fn add_enum_value_rebuilds_the_tables_that_use_the_enum() {
        // Only the enum's CHECK changes.
        let new_table = items_tmp("\"qty\" INTEGER DEFAULT 1,\n    ").replace("('sad','ok')", "('sad','meh','ok')");
        let guard = guard("items", &ITEMS_INDEXES);
        let mut expected = guarded(
            &guard,
            &[
                new_table.as_str(),
                r#"INSERT INTO "_aludel_tmp_items" ("id", "code", "qty", "mood", "note") SELECT "id", "code", "qty", "mood", "note" FROM "items""#,
            ],
        );
        expected.extend(ITEMS_TAIL);
        check(&op("op = \"add_enum_value\"\nname = \"mood\"\nvalue = \"meh\"\nafter = \"sad\""), Ok(&expected));
        check(
            "[[op]]\nop = \"create_enum\"\nname = \"e\"\nvalues = [\"a\"]\n[[op]]\nop = \"add_enum_value\"\nname = \"e\"\nvalue = \"b\"",
            Ok(&[]),
        );
        check(
            &op("op = \"add_enum_value\"\nname = \"mood\"\nvalue = \"x\"\nbefore = \"ok\"\nafter = \"sad\""),
            Err("add_enum_value mood += x: set `before` or `after`, not both"),
        );
        check(
            "[[op]]\nop = \"add_enum_value\"\nname = \"nope\"\nvalue = \"x\"",
            Err("add_enum_value nope += x: enum `nope` does not exist at this point of the migration history"),
        );
    }

    #[test]
    fn add_column_alters_in_place_when_sqlite_can() {
        let add = |column: &str| op(&format!("op = \"add_column\"\ntable = \"items\"\ncolumn = {column}"));
        check(
            &add(r#"{ name = "c", type = "varchar(9)" }"#),
            Ok(&[r#"ALTER TABLE "items" ADD COLUMN "c" VARCHAR(9)"#]),
        );
        check(
            &add(r#"{ name = "c", type = "integer", nullable = false, default = { value = -3 }, comment = "x" }"#),
            Ok(&[r#"ALTER TABLE "items" ADD COLUMN "c" INTEGER NOT NULL DEFAULT -3"#]),
        );
        check(
            &add(r#"{ name = "c", type = "integer", generated = { expr = "qty + 1", stored = false } }"#),
            Ok(&[r#"ALTER TABLE "items" ADD COLUMN "c" INTEGER GENERATED ALWAYS AS (qty + 1) VIRTUAL"#]),
        );
        check(
            &add(r#"{ name = "c", type = "double", default = { value = nan } }"#),
            Err("add_column items.c is not supported on sqlite: column `c` defaults to NaN, which SQLite stores as \
                 NULL; pick another default"),
        );
        check(
            &add(r#"{ name = "c", type = "text[]" }"#),
            Err(
                "add_column items.c is not supported on sqlite: column `c` has type `text[]`, and SQLite has no array \
                 types; store it as json",
            ),
        );
    }

    #[test]
    fn add_column_rebuilds_when_alter_table_refuses() {
        let copy = r#"INSERT INTO "_aludel_tmp_items" ("id", "code", "qty", "mood", "note") SELECT "id", "code", "qty", "mood", "note" FROM "items""#;
        for (column, spelled) in [
            (r#"{ name = "c", type = "integer", nullable = false }"#, r#""c" INTEGER NOT NULL"#),
            (
                r#"{ name = "c", type = "date", default = { expr = "current_date" } }"#,
                r#""c" DATE DEFAULT CURRENT_DATE"#,
            ),
            (r#"{ name = "c", type = "text", default = { sql = "'a' || 'b'" } }"#, r#""c" TEXT DEFAULT ('a' || 'b')"#),
            (
                r#"{ name = "c", type = "integer", generated = { expr = "qty * 2" } }"#,
                r#""c" INTEGER GENERATED ALWAYS AS (qty * 2) STORED"#,
            ),
        ] {
            let table = items_tmp("\"qty\" INTEGER DEFAULT 1,\n    ")
                .replace("    \"note\" TEXT,\n", &format!("    \"note\" TEXT,\n    {spelled},\n"));
            let guard = guard("items", &ITEMS_INDEXES);
            let mut expected = guarded(&guard, &[table.as_str(), copy]);
            expected.extend(ITEMS_TAIL);
            check(&op(&format!("op = \"add_column\"\ntable = \"items\"\ncolumn = {column}")), Ok(&expected));
        }
    }

    #[test]
    fn drop_column_rebuilds_only_when_something_uses_the_column() {
        check(
            &op("op = \"drop_column\"\ntable = \"items\"\ncolumn = \"mood\""),
            Ok(&[r#"ALTER TABLE "items" DROP COLUMN "mood""#]),
        );
        // A table no revision created (a baseline) is altered in place.
        check(
            "[[op]]\nop = \"drop_column\"\ntable = \"legacy\"\ncolumn = \"x\"",
            Ok(&[r#"ALTER TABLE "legacy" DROP COLUMN "x""#]),
        );
        // The index on `qty` goes with it.
        let table = items_tmp("");
        let guard = guard("items", &ITEMS_INDEXES);
        check(
            &op("op = \"drop_column\"\ntable = \"items\"\ncolumn = \"qty\""),
            Ok(&guarded(
                &guard,
                &[
                    table.as_str(),
                    r#"INSERT INTO "_aludel_tmp_items" ("id", "code", "mood", "note") SELECT "id", "code", "mood", "note" FROM "items""#,
                    r#"DROP TABLE "items""#,
                    "PRAGMA legacy_alter_table = ON",
                    r#"ALTER TABLE "_aludel_tmp_items" RENAME TO "items""#,
                    "PRAGMA legacy_alter_table = OFF",
                    r#"CREATE INDEX "ix_items_lower_code" ON "items" ((lower(code))) WHERE id > 1"#,
                ],
            )),
        );
        // A column of a unique constraint: the constraint goes with it.
        let table = items_tmp("\"qty\" INTEGER DEFAULT 1,\n    ")
            .replace("    \"note\" TEXT,\n", "")
            .replace("    CONSTRAINT \"items_note_key\" UNIQUE (\"note\"),\n", "");
        let mut expected = guarded(
            &guard,
            &[
                table.as_str(),
                r#"INSERT INTO "_aludel_tmp_items" ("id", "code", "qty", "mood") SELECT "id", "code", "qty", "mood" FROM "items""#,
            ],
        );
        expected.extend(ITEMS_TAIL);
        check(&op("op = \"drop_column\"\ntable = \"items\"\ncolumn = \"note\""), Ok(&expected));
    }

    #[test]
    fn alter_column_renames_in_place_and_rebuilds_the_rest() {
        let alter = |body: &str| op(&format!("op = \"alter_column\"\ntable = \"items\"\ncolumn = \"qty\"\n{body}"));
        let rename = r#"ALTER TABLE "items" RENAME COLUMN "qty" TO "n""#;
        check(&alter("new_name = \"n\""), Ok(&[rename]));
        check(&alter("new_name = \"n\"\ncomment = { to = \"how many\" }"), Ok(&[rename]));
        check(&alter("comment = { to = \"how many\" }"), Ok(&[]));
        check(
            &alter(""),
            Err(
                "alter_column items.qty: nothing to change; set `type`, `nullable`, `default`, `on_update`, `comment`, `collation`, `identity_always` or `new_name`",
            ),
        );
        // The rename runs first, so the rebuild copies the renamed column.
        let table = items_tmp("\"n\" BIGINT NOT NULL,\n    ");
        let renamed = ["id", "code", "n", "mood", "note"];
        let renamed_guard: Vec<String> = super::super::rebuild::nothing_unknown_on("items", &ITEMS_INDEXES, &renamed)
            .into_iter()
            .map(|s| s.sql)
            .collect();
        let mut expected = vec![rename];
        expected.extend(guarded(&renamed_guard, &[
            table.as_str(),
            r#"INSERT INTO "_aludel_tmp_items" ("id", "code", "n", "mood", "note") SELECT "id", "code", "n", "mood", "note" FROM "items""#,
            r#"DROP TABLE "items""#,
            "PRAGMA legacy_alter_table = ON",
            r#"ALTER TABLE "_aludel_tmp_items" RENAME TO "items""#,
            "PRAGMA legacy_alter_table = OFF",
            r#"CREATE INDEX "ix_items_lower_code" ON "items" ((lower(code))) WHERE id > 1"#,
            r#"CREATE INDEX "ix_items_qty" ON "items" ("n")"#,
        ]));
        check(
            &alter("new_name = \"n\"\ntype = \"bigint\"\nnullable = false\ndefault = { from = { value = 1 } }"),
            Ok(&expected),
        );
        let table = items_tmp("\"qty\" INTEGER DEFAULT 2,\n    ");
        let guard = guard("items", &ITEMS_INDEXES);
        let mut expected = guarded(
            &guard,
            &[
                table.as_str(),
                r#"INSERT INTO "_aludel_tmp_items" ("id", "code", "qty", "mood", "note") SELECT "id", "code", "qty", "mood", "note" FROM "items""#,
            ],
        );
        expected.extend(ITEMS_TAIL);
        check(&alter("default = { from = { value = 1 }, to = { value = 2 } }"), Ok(&expected));
        check(
            "[[op]]\nop = \"alter_column\"\ntable = \"legacy\"\ncolumn = \"c\"\ntype = \"text\"",
            Err("alter_column legacy.c: SQLite makes this change by rebuilding table `legacy` from its definition, \
                 and no earlier revision creates `legacy` (a database stamped without a baseline?); stamp a \
                 baseline revision that creates the tables (README: adopting aludel), or write the change as an \
                 `sql` op with `dialect = \"sqlite\"`"),
        );
        // A rename alone needs no definition: SQLite renames in place.
        check(
            "[[op]]\nop = \"alter_column\"\ntable = \"legacy\"\ncolumn = \"c\"\nnew_name = \"d\"",
            Ok(&[r#"ALTER TABLE "legacy" RENAME COLUMN "c" TO "d""#]),
        );
        check(
            "[[op]]\nop = \"add_constraint\"\ntable = \"legacy\"\nconstraint = { kind = \"check\", name = \"c\", expr = \"c > 0\" }",
            Err("add_constraint c on legacy: SQLite makes this change by rebuilding table `legacy` from its \
                 definition, and no earlier revision creates `legacy` (a database stamped without a baseline?); stamp \
                 a baseline revision that creates the tables (README: adopting aludel), or write the change as an \
                 `sql` op with `dialect = \"sqlite\"`"),
        );
    }

    #[test]
    fn constraints_are_added_and_dropped_by_rebuilding() {
        let with_fk = items_tmp("\"qty\" INTEGER DEFAULT 1,\n    ").replace(
            "CHECK (id > 0)\n)",
            "CHECK (id > 0),\n    CONSTRAINT \"items_up_fkey\" FOREIGN KEY (\"qty\") REFERENCES \"items\" (\"id\") ON DELETE SET NULL\n)",
        );
        let copy = r#"INSERT INTO "_aludel_tmp_items" ("id", "code", "qty", "mood", "note") SELECT "id", "code", "qty", "mood", "note" FROM "items""#;
        let guard = guard("items", &ITEMS_INDEXES);
        let mut expected = guarded(&guard, &[with_fk.as_str(), copy]);
        expected.extend(ITEMS_TAIL);
        check(
            &op(r#"op = "add_constraint"
                table = "items"
                constraint = { kind = "foreign_key", name = "items_up_fkey", columns = ["qty"], references = { table = "items", columns = ["id"] }, on_delete = "set_null" }"#),
            Ok(&expected),
        );
        let without_check = items_tmp("\"qty\" INTEGER DEFAULT 1,\n    ")
            .replace(",\n    CONSTRAINT \"items_id_check\" CHECK (id > 0)", "");
        expected[3] = &without_check;
        check(
            &op("op = \"drop_constraint\"\ntable = \"items\"\nname = \"items_id_check\"\nkind = \"check\""),
            Ok(&expected),
        );
        check(
            &op("op = \"drop_constraint\"\ntable = \"items\"\nname = \"items_pkey\""),
            Err("drop_constraint items_pkey on items: constraint `items.items_pkey` does not exist at this point of \
                 the migration history"),
        );
    }

    #[test]
    fn autoincrement_tables_keep_their_sequence() {
        let input = r#"
            [[op]]
            op = "create_table"
            table = "t"
            columns = [{ name = "id", type = "integer", nullable = false, identity = true }, { name = "v", type = "text" }]
            primary_key = ["id"]

            [[op]]
            op = "alter_column"
            table = "t"
            column = "v"
            nullable = false
        "#;
        let guard = guard("t", &[]);
        check(
            input,
            Ok(&guarded(
                &guard,
                &[
                    "CREATE TABLE \"_aludel_tmp_t\" (\n    \"id\" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,\n    \
                 \"v\" TEXT NOT NULL\n)",
                    r#"INSERT INTO "_aludel_tmp_t" ("id", "v") SELECT "id", "v" FROM "t""#,
                    "DELETE FROM sqlite_sequence WHERE name = '_aludel_tmp_t'",
                    "INSERT INTO sqlite_sequence (name, seq) SELECT '_aludel_tmp_t', seq FROM sqlite_sequence WHERE name = 't'",
                    r#"DROP TABLE "t""#,
                    "PRAGMA legacy_alter_table = ON",
                    r#"ALTER TABLE "_aludel_tmp_t" RENAME TO "t""#,
                    "PRAGMA legacy_alter_table = OFF",
                ],
            )),
        );
    }

    #[test]
    fn indexes_tables_and_raw_sql() {
        check(
            &op(r#"op = "create_index"
                table = "items"
                name = "ux"
                columns = ["code", { expr = "qty + 1" }]
                unique = true
                method = "BTREE"
                concurrently = true"#),
            Ok(&[r#"CREATE UNIQUE INDEX "ux" ON "items" ("code", (qty + 1))"#]),
        );
        check(
            &op("op = \"create_index\"\ntable = \"items\"\nname = \"ix\"\ncolumns = [\"code\"]\nmethod = \"hash\""),
            Err(
                "create_index ix on items is not supported on sqlite: index `ix` uses method `hash`, and SQLite has only \
                 b-tree indexes; drop `method`, or create the index in an `sql` op with `dialect = \"postgresql\"`",
            ),
        );
        check(
            &op("op = \"drop_index\"\ntable = \"items\"\nname = \"ix_items_qty\"\nconcurrently = true"),
            Ok(&[r#"DROP INDEX "ix_items_qty""#]),
        );
        check(&op("op = \"drop_table\"\ntable = \"items\""), Ok(&[r#"DROP TABLE "items""#]));
        check(
            &op("op = \"rename_table\"\ntable = \"items\"\nnew_name = \"goods\""),
            Ok(&[r#"ALTER TABLE "items" RENAME TO "goods""#]),
        );
        check("[[op]]\nop = \"sql\"\nsql = \"VACUUM\"\ndialect = \"postgresql\"", Ok(&[]));
        check("[[op]]\nop = \"sql\"\nsql = \"SELECT 1;\\n\"\ndialect = \"SQLite\"", Ok(&["SELECT 1"]));
        check("[[op]]\nop = \"sql\"\nsql = \" ; \"", Err("sql ;: `sql` is empty; write the statements to run"));
        check(
            "[[op]]\nop = \"drop_table\"\ntable = \"\"",
            Err("drop_table : a table name is empty; give the table a name"),
        );
    }
}
