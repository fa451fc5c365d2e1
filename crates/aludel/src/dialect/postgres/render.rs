//! Ops rendered to PostgreSQL DDL.
//!
//! PostgreSQL alters almost everything in place, so each op maps to one or a few statements
//! and `before` is only read where the current state changes the SQL (the default of a
//! column whose type changes). Rendering does not require `before` to know the tables an op
//! touches: a database baselined with `stamp` has tables no revision created.
//! Type spellings live in `types`; running the SQL is the session's job.

use crate::dialect::common::{quote_ident_ansi, quote_literal};
use crate::dialect::postgres::types::column_type;
use crate::dialect::{RenderError, Statement};
use crate::ops::{ColumnChange, CreateIndex, Op};
use crate::schema::{
    Column, ColumnType, Constraint, DefaultValue, IndexKey, Literal, PortableExpr, ReferentialAction, Schema, Table,
};

/// The name `RenderError::Unsupported` reports.
const DIALECT: &str = "postgresql";

/// PostgreSQL silently truncates longer identifiers (`NAMEDATALEN - 1`).
const MAX_IDENT_BYTES: usize = 63;

/// Renders one op against the schema the earlier ops lead to.
pub(super) fn render(op: &Op, before: &Schema) -> Result<Vec<Statement>, RenderError> {
    let r = Renderer { op };
    match op {
        Op::CreateTable(table) => r.create_table(table),
        Op::DropTable { table, existing: _ } => {
            Ok(vec![Statement::new(format!("DROP TABLE {}", r.ident("table", table)?))])
        }
        Op::RenameTable { table, new_name } => Ok(vec![Statement::new(format!(
            "ALTER TABLE {} RENAME TO {}",
            r.ident("table", table)?,
            r.ident("table", new_name)?
        ))]),
        Op::AddColumn { table, column } => r.add_column(table, column),
        Op::DropColumn { table, column } => Ok(vec![Statement::new(format!(
            "ALTER TABLE {} DROP COLUMN {}",
            r.ident("table", table)?,
            r.ident("column", column.name())?
        ))]),
        Op::AlterColumn(change) => r.alter_column(change, before),
        Op::CreateIndex(create) => r.create_index(create),
        Op::DropIndex { table: _, name, concurrently, existing: _ } => {
            let concurrently = if *concurrently { "CONCURRENTLY " } else { "" };
            Ok(vec![Statement::new(format!("DROP INDEX {concurrently}{}", r.ident("index", name)?))])
        }
        Op::AddConstraint { table, constraint } => Ok(vec![Statement::new(format!(
            "ALTER TABLE {} ADD {}",
            r.ident("table", table)?,
            r.constraint(constraint)?
        ))]),
        Op::DropConstraint { table, name, kind: _, existing: _ } => Ok(vec![Statement::new(format!(
            "ALTER TABLE {} DROP CONSTRAINT {}",
            r.ident("table", table)?,
            r.ident("constraint", name)?
        ))]),
        Op::CreateEnum { name, values } => {
            let values: Vec<String> = values.iter().map(|v| quote_literal(v)).collect();
            Ok(vec![Statement::new(format!("CREATE TYPE {} AS ENUM ({})", r.ident("enum", name)?, values.join(", ")))])
        }
        Op::DropEnum { name, values: _ } => Ok(vec![Statement::new(format!("DROP TYPE {}", r.ident("enum", name)?))]),
        Op::AddEnumValue { name, value, before: position_before, after } => {
            let position = match (position_before, after) {
                (Some(_), Some(_)) => return Err(r.invalid("set `before` or `after`, not both")),
                (Some(other), None) => format!(" BEFORE {}", quote_literal(other)),
                (None, Some(other)) => format!(" AFTER {}", quote_literal(other)),
                (None, None) => String::new(),
            };
            Ok(vec![Statement::new(format!(
                "ALTER TYPE {} ADD VALUE {}{position}",
                r.ident("enum", name)?,
                quote_literal(value)
            ))])
        }
        Op::Sql { sql, down: _, dialect } => {
            let ours = dialect
                .as_deref()
                .is_none_or(|d| d.eq_ignore_ascii_case(DIALECT) || d.eq_ignore_ascii_case("postgres"));
            if !ours {
                return Ok(Vec::new());
            }
            let text = sql.trim().trim_end_matches(';').trim_end();
            if text.is_empty() {
                return Err(r.invalid("`sql` is empty; write the statements to run"));
            }
            Ok(vec![Statement::new(text)])
        }
    }
}

/// Renders the parts of one op; errors name the op.
struct Renderer<'a> {
    op: &'a Op,
}

impl Renderer<'_> {
    fn invalid(&self, reason: impl Into<String>) -> RenderError {
        RenderError::Invalid { op: self.op.describe(), reason: reason.into() }
    }

    /// Quotes a name after checking that PostgreSQL keeps it as written.
    fn ident(&self, what: &str, name: &str) -> Result<String, RenderError> {
        if name.is_empty() {
            return Err(self.invalid(format!("a {what} name is empty; give the {what} a name")));
        }
        if name.len() > MAX_IDENT_BYTES {
            return Err(self.invalid(format!(
                "the {what} name `{name}` is {} bytes long, and PostgreSQL truncates names to {MAX_IDENT_BYTES} bytes; \
                 shorten it",
                name.len()
            )));
        }
        Ok(quote_ident_ansi(name))
    }

    /// A parenthesised, non-empty list of quoted column names.
    fn column_list(&self, what: &str, columns: &[String]) -> Result<String, RenderError> {
        if columns.is_empty() {
            return Err(self.invalid(format!("the {what} lists no columns; name at least one")));
        }
        let quoted: Result<Vec<String>, RenderError> = columns.iter().map(|c| self.ident("column", c)).collect();
        Ok(format!("({})", quoted?.join(", ")))
    }

    /// An SQL expression written in the file, checked to be non-empty.
    fn expr<'e>(&self, what: &str, text: &'e str) -> Result<&'e str, RenderError> {
        let text = text.trim();
        if text.is_empty() {
            return Err(self.invalid(format!("the {what} is empty; write the SQL expression")));
        }
        Ok(text)
    }

    /// Spells a column's type, naming the column when the type is invalid.
    fn column_type(&self, column: &str, ty: &ColumnType) -> Result<String, RenderError> {
        column_type(ty).map_err(|err| match err {
            RenderError::Invalid { op, reason } => self.invalid(format!("column `{column}` has {op}: {reason}")),
            other => other,
        })
    }

    /// `"name" TYPE [GENERATED ...] [NOT NULL] [DEFAULT ...]`.
    fn column_def(&self, column: &Column) -> Result<String, RenderError> {
        let name = &column.name;
        let mut sql = format!("{} {}", self.ident("column", name)?, self.column_type(name, &column.ty)?);
        match (column.identity, &column.generated, &column.default) {
            (true, Some(_), _) => {
                return Err(self.invalid(format!("column `{name}` is both identity and generated; keep one")));
            }
            (true, None, Some(_)) => {
                return Err(self.invalid(format!(
                    "column `{name}` has both `identity` and a `default`; an identity column takes its values from \
                     its sequence, so remove `default`"
                )));
            }
            (false, Some(_), Some(_)) => {
                return Err(self.invalid(format!("column `{name}` is generated and has a `default`; remove `default`")));
            }
            _ => {}
        }
        if column.identity {
            sql.push_str(" GENERATED BY DEFAULT AS IDENTITY");
        }
        if let Some(generated) = &column.generated {
            if !generated.stored {
                return Err(RenderError::Unsupported {
                    op: self.op.describe(),
                    dialect: DIALECT,
                    hint: format!(
                        "column `{name}` is a virtual generated column, and aludel renders only stored ones for \
                         PostgreSQL; set `stored = true`"
                    ),
                });
            }
            let expr = self.expr("generated expression", &generated.expr)?;
            sql.push_str(&format!(" GENERATED ALWAYS AS ({expr}) STORED"));
        }
        if !column.nullable {
            sql.push_str(" NOT NULL");
        }
        if let Some(default) = &column.default {
            sql.push_str(&format!(" DEFAULT {}", self.default_value(default)?));
        }
        Ok(sql)
    }

    fn default_value(&self, default: &DefaultValue) -> Result<String, RenderError> {
        Ok(match default {
            DefaultValue::Value(Literal::Bool(true)) => "TRUE".into(),
            DefaultValue::Value(Literal::Bool(false)) => "FALSE".into(),
            DefaultValue::Value(Literal::Int(n)) => n.to_string(),
            // Debug keeps the `.0` of whole numbers; the special values exist as string input only.
            DefaultValue::Value(Literal::Float(f)) if f.is_nan() => "'NaN'".into(),
            DefaultValue::Value(Literal::Float(f)) if f.is_infinite() && *f > 0.0 => "'Infinity'".into(),
            DefaultValue::Value(Literal::Float(f)) if f.is_infinite() => "'-Infinity'".into(),
            DefaultValue::Value(Literal::Float(f)) => format!("{f:?}"),
            DefaultValue::Value(Literal::String(text)) => quote_literal(text),
            DefaultValue::Expr(PortableExpr::CurrentTimestamp) => "CURRENT_TIMESTAMP".into(),
            DefaultValue::Expr(PortableExpr::CurrentDate) => "CURRENT_DATE".into(),
            DefaultValue::Expr(PortableExpr::CurrentTime) => "CURRENT_TIME".into(),
            DefaultValue::Sql(sql) => self.expr("default", sql)?.to_owned(),
        })
    }

    /// A table constraint as `CREATE TABLE` and `ALTER TABLE ... ADD` both spell it.
    fn constraint(&self, constraint: &Constraint) -> Result<String, RenderError> {
        let name = match constraint.name() {
            Some(name) => format!("CONSTRAINT {} ", self.ident("constraint", name)?),
            None => String::new(),
        };
        let body = match constraint {
            Constraint::PrimaryKey { columns, .. } => {
                format!("PRIMARY KEY {}", self.column_list("primary key", columns)?)
            }
            Constraint::Unique { columns, .. } => format!("UNIQUE {}", self.column_list("unique constraint", columns)?),
            Constraint::ForeignKey { columns, references, on_delete, on_update, .. } => {
                if columns.len() != references.columns.len() {
                    return Err(self.invalid(format!(
                        "the foreign key has {} column(s) but references {}; list the referenced columns of `{}` in \
                         the order of the referencing ones",
                        columns.len(),
                        references.columns.len(),
                        references.table
                    )));
                }
                let mut sql = format!(
                    "FOREIGN KEY {} REFERENCES {} {}",
                    self.column_list("foreign key", columns)?,
                    self.ident("table", &references.table)?,
                    self.column_list("foreign key's `references`", &references.columns)?
                );
                if let Some(action) = on_delete {
                    sql.push_str(&format!(" ON DELETE {}", referential_action(*action)));
                }
                if let Some(action) = on_update {
                    sql.push_str(&format!(" ON UPDATE {}", referential_action(*action)));
                }
                sql
            }
            Constraint::Check { expr, .. } => format!("CHECK ({})", self.expr("check expression", expr)?),
        };
        Ok(format!("{name}{body}"))
    }

    fn comment_on_column(&self, table: &str, column: &str, comment: Option<&str>) -> Result<Statement, RenderError> {
        Ok(Statement::new(format!(
            "COMMENT ON COLUMN {}.{} IS {}",
            self.ident("table", table)?,
            self.ident("column", column)?,
            comment.map_or_else(|| "NULL".to_owned(), quote_literal)
        )))
    }

    fn create_table(&self, table: &Table) -> Result<Vec<Statement>, RenderError> {
        if table.columns.is_empty() {
            return Err(self.invalid("the table has no columns; list at least one under `columns`"));
        }
        let mut lines = Vec::with_capacity(table.columns.len() + table.constraints.len() + 1);
        for column in &table.columns {
            lines.push(self.column_def(column)?);
        }
        let inline_primary_key = table.constraints.iter().any(|c| matches!(c, Constraint::PrimaryKey { .. }));
        match (table.primary_key.is_empty(), &table.primary_key_name) {
            (false, _) if inline_primary_key => {
                return Err(self.invalid(
                    "the table has both `primary_key` and a primary key constraint; keep one of them".to_owned(),
                ));
            }
            (false, name) => lines.push(
                self.constraint(&Constraint::PrimaryKey { name: name.clone(), columns: table.primary_key.clone() })?,
            ),
            (true, Some(_)) => {
                return Err(self.invalid("`primary_key_name` is set but `primary_key` lists no columns; add them"));
            }
            (true, None) => {}
        }
        for constraint in &table.constraints {
            lines.push(self.constraint(constraint)?);
        }
        let mut statements = vec![Statement::new(format!(
            "CREATE TABLE {} (\n    {}\n)",
            self.ident("table", &table.name)?,
            lines.join(",\n    ")
        ))];
        if let Some(comment) = &table.comment {
            statements.push(Statement::new(format!(
                "COMMENT ON TABLE {} IS {}",
                self.ident("table", &table.name)?,
                quote_literal(comment)
            )));
        }
        for column in &table.columns {
            if let Some(comment) = &column.comment {
                statements.push(self.comment_on_column(&table.name, &column.name, Some(comment))?);
            }
        }
        Ok(statements)
    }

    fn add_column(&self, table: &str, column: &Column) -> Result<Vec<Statement>, RenderError> {
        let mut statements = vec![Statement::new(format!(
            "ALTER TABLE {} ADD COLUMN {}",
            self.ident("table", table)?,
            self.column_def(column)?
        ))];
        if let Some(comment) = &column.comment {
            statements.push(self.comment_on_column(table, &column.name, Some(comment))?);
        }
        Ok(statements)
    }

    /// One statement per changed attribute: type, nullability, default, comment, then the
    /// rename, so every earlier statement still uses the old name.
    fn alter_column(&self, change: &ColumnChange, before: &Schema) -> Result<Vec<Statement>, RenderError> {
        let ColumnChange { table, column, ty, nullable, default, comment, new_name } = change;
        if ty.is_none() && nullable.is_none() && default.is_none() && comment.is_none() && new_name.is_none() {
            return Err(self.invalid("nothing to change; set `type`, `nullable`, `default`, `comment` or `new_name`"));
        }
        let alter =
            format!("ALTER TABLE {} ALTER COLUMN {}", self.ident("table", table)?, self.ident("column", column)?);
        // The column's current default: from `before` when it knows the column (a database
        // baselined with `stamp` has columns no revision created), else from the change.
        let current_default = match before.table(table).and_then(|t| t.column(column)) {
            Some(known) => known.default.as_ref(),
            None => default.as_ref().and_then(|d| d.from.as_ref()),
        };
        let mut statements = Vec::new();
        // A default of the old type may not cast to the new one, and PostgreSQL refuses the
        // type change then: drop it first and set it again afterwards.
        let default_dropped = ty.is_some() && current_default.is_some();
        if let Some(ty) = ty {
            if default_dropped {
                statements.push(Statement::new(format!("{alter} DROP DEFAULT")));
            }
            let spelled = self.column_type(column, &ty.to)?;
            statements.push(Statement::new(format!(
                "{alter} TYPE {spelled} USING {}::{spelled}",
                self.ident("column", column)?
            )));
        }
        match nullable {
            Some(true) => statements.push(Statement::new(format!("{alter} DROP NOT NULL"))),
            Some(false) => statements.push(Statement::new(format!("{alter} SET NOT NULL"))),
            None => {}
        }
        let wanted_default = match default {
            Some(change) => Some(change.to.as_ref()),
            None if default_dropped => Some(current_default),
            None => None,
        };
        match wanted_default {
            Some(Some(value)) => {
                statements.push(Statement::new(format!("{alter} SET DEFAULT {}", self.default_value(value)?)));
            }
            Some(None) if !default_dropped => statements.push(Statement::new(format!("{alter} DROP DEFAULT"))),
            Some(None) | None => {}
        }
        if let Some(comment) = comment {
            statements.push(self.comment_on_column(table, column, comment.to.as_deref())?);
        }
        if let Some(new_name) = new_name {
            statements.push(Statement::new(format!(
                "ALTER TABLE {} RENAME COLUMN {} TO {}",
                self.ident("table", table)?,
                self.ident("column", column)?,
                self.ident("column", new_name)?
            )));
        }
        Ok(statements)
    }

    /// `CREATE [UNIQUE] INDEX [CONCURRENTLY] "name" ON "t" [USING method] (keys) [WHERE ...]`.
    fn create_index(&self, create: &CreateIndex) -> Result<Vec<Statement>, RenderError> {
        let CreateIndex { name, table, columns, unique, predicate, method, concurrently } = create;
        if columns.is_empty() {
            return Err(self.invalid("the index lists no columns; name at least one column or `{ expr = \"...\" }`"));
        }
        let mut sql = String::from("CREATE ");
        if *unique {
            sql.push_str("UNIQUE ");
        }
        sql.push_str("INDEX ");
        if *concurrently {
            sql.push_str("CONCURRENTLY ");
        }
        sql.push_str(&format!("{} ON {}", self.ident("index", name)?, self.ident("table", table)?));
        if let Some(method) = method {
            // Access methods are lower-case catalog names; a plain word cannot smuggle SQL in.
            let plain = method.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
                && method.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
            if !plain {
                return Err(self.invalid(format!(
                    "index method `{method}` is not a plain name such as btree, hash, gist, spgist, gin or brin"
                )));
            }
            sql.push_str(&format!(" USING {}", method.to_ascii_lowercase()));
        }
        let keys: Result<Vec<String>, RenderError> = columns
            .iter()
            .map(|key| match key {
                IndexKey::Column(column) => self.ident("column", column),
                IndexKey::Expr { expr } => Ok(format!("({})", self.expr("index expression", expr)?)),
            })
            .collect();
        sql.push_str(&format!(" ({})", keys?.join(", ")));
        if let Some(predicate) = predicate {
            sql.push_str(&format!(" WHERE {}", self.expr("`where` predicate", predicate)?));
        }
        Ok(vec![Statement::new(sql)])
    }
}

fn referential_action(action: ReferentialAction) -> &'static str {
    match action {
        ReferentialAction::NoAction => "NO ACTION",
        ReferentialAction::Restrict => "RESTRICT",
        ReferentialAction::Cascade => "CASCADE",
        ReferentialAction::SetNull => "SET NULL",
        ReferentialAction::SetDefault => "SET DEFAULT",
    }
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    use super::*;

    /// `input` lists ops under `[[op]]`: all but the last build `before`, the last is
    /// rendered. `expected` is its statements, or the error's message.
    fn check(input: &str, expected: Result<&[&str], &str>) {
        #[derive(Deserialize)]
        struct Input {
            op: Vec<Op>,
        }
        let ops = toml::from_str::<Input>(input).expect("valid ops").op;
        let (last, earlier) = ops.split_last().expect("at least one op");
        let mut before = Schema::default();
        for op in earlier {
            before.apply(op).expect("setup fits");
        }
        let rendered = render(last, &before).map(|s| s.into_iter().map(|s| s.sql).collect::<Vec<_>>());
        match (rendered, expected) {
            (Ok(got), Ok(want)) => assert_eq!(got, want, "{input}"),
            (Err(err), Err(want)) => assert_eq!(err.to_string(), want, "{input}"),
            (got, want) => panic!("{input}\ngot {got:?}\nexpected {want:?}"),
        }
    }

    const USERS: &str = r#"
        [[op]]
        op = "create_table"
        table = "users"
        columns = [
            { name = "id", type = "bigint", nullable = false, identity = true },
            { name = "age", type = "integer", default = { value = 0 } },
            { name = "name", type = "text" },
        ]
    "#;

    #[test]
    fn a_type_change_moves_the_known_default_out_of_the_way() {
        check(
            &format!("{USERS}[[op]]\nop = \"alter_column\"\ntable = \"users\"\ncolumn = \"age\"\ntype = \"text\""),
            Ok(&[
                r#"ALTER TABLE "users" ALTER COLUMN "age" DROP DEFAULT"#,
                r#"ALTER TABLE "users" ALTER COLUMN "age" TYPE TEXT USING "age"::TEXT"#,
                r#"ALTER TABLE "users" ALTER COLUMN "age" SET DEFAULT 0"#,
            ]),
        );
        check(
            &format!(
                "{USERS}[[op]]\nop = \"alter_column\"\ntable = \"users\"\ncolumn = \"age\"\ntype = \"bigint\"\n\
                 default = {{ from = {{ value = 0 }} }}"
            ),
            Ok(&[
                r#"ALTER TABLE "users" ALTER COLUMN "age" DROP DEFAULT"#,
                r#"ALTER TABLE "users" ALTER COLUMN "age" TYPE BIGINT USING "age"::BIGINT"#,
            ]),
        );
        check(
            &format!(
                "{USERS}[[op]]\nop = \"alter_column\"\ntable = \"users\"\ncolumn = \"name\"\ntype = \"varchar(20)\""
            ),
            Ok(&[r#"ALTER TABLE "users" ALTER COLUMN "name" TYPE VARCHAR(20) USING "name"::VARCHAR(20)"#]),
        );
    }

    #[test]
    fn columns_before_does_not_know_are_rendered_from_the_op() {
        check(
            "[[op]]\nop = \"alter_column\"\ntable = \"legacy\"\ncolumn = \"n\"\ntype = \"bigint\"\n\
             default = { from = { value = 1 }, to = { value = 2 } }",
            Ok(&[
                r#"ALTER TABLE "legacy" ALTER COLUMN "n" DROP DEFAULT"#,
                r#"ALTER TABLE "legacy" ALTER COLUMN "n" TYPE BIGINT USING "n"::BIGINT"#,
                r#"ALTER TABLE "legacy" ALTER COLUMN "n" SET DEFAULT 2"#,
            ]),
        );
        check(
            "[[op]]\nop = \"alter_column\"\ntable = \"legacy\"\ncolumn = \"n\"\ntype = \"bigint\"",
            Ok(&[r#"ALTER TABLE "legacy" ALTER COLUMN "n" TYPE BIGINT USING "n"::BIGINT"#]),
        );
    }

    #[test]
    fn literals_are_spelled_for_postgresql() {
        let add = |default: &str| {
            format!(
                "[[op]]\nop = \"add_column\"\ntable = \"t\"\ncolumn = {{ name = \"c\", type = \"double\", default = {default} }}"
            )
        };
        check(&add("{ value = 1.0 }"), Ok(&[r#"ALTER TABLE "t" ADD COLUMN "c" DOUBLE PRECISION DEFAULT 1.0"#]));
        check(&add("{ value = -2.5e-7 }"), Ok(&[r#"ALTER TABLE "t" ADD COLUMN "c" DOUBLE PRECISION DEFAULT -2.5e-7"#]));
        check(&add("{ value = nan }"), Ok(&[r#"ALTER TABLE "t" ADD COLUMN "c" DOUBLE PRECISION DEFAULT 'NaN'"#]));
        check(
            &add("{ value = -inf }"),
            Ok(&[r#"ALTER TABLE "t" ADD COLUMN "c" DOUBLE PRECISION DEFAULT '-Infinity'"#]),
        );
        check(&add("{ value = -3 }"), Ok(&[r#"ALTER TABLE "t" ADD COLUMN "c" DOUBLE PRECISION DEFAULT -3"#]));
        check(
            &add("{ value = \"it's\" }"),
            Ok(&[r#"ALTER TABLE "t" ADD COLUMN "c" DOUBLE PRECISION DEFAULT 'it''s'"#]),
        );
    }

    #[test]
    fn malformed_ops_are_refused_with_the_fix() {
        check(
            "[[op]]\nop = \"alter_column\"\ntable = \"t\"\ncolumn = \"c\"",
            Err("alter_column t.c: nothing to change; set `type`, `nullable`, `default`, `comment` or `new_name`"),
        );
        check(
            "[[op]]\nop = \"add_enum_value\"\nname = \"mood\"\nvalue = \"ok\"\nbefore = \"a\"\nafter = \"b\"",
            Err("add_enum_value mood += ok: set `before` or `after`, not both"),
        );
        check(
            &format!("[[op]]\nop = \"drop_table\"\ntable = \"{}\"", "x".repeat(64)),
            Err(&format!(
                "drop_table {0}: the table name `{0}` is 64 bytes long, and PostgreSQL truncates names to 63 bytes; \
                 shorten it",
                "x".repeat(64)
            )),
        );
        check(
            "[[op]]\nop = \"add_column\"\ntable = \"t\"\ncolumn = { name = \"id\", type = \"bigint\", identity = true, default = { value = 1 } }",
            Err(
                "add_column t.id: column `id` has both `identity` and a `default`; an identity column takes its values \
                 from its sequence, so remove `default`",
            ),
        );
        check(
            "[[op]]\nop = \"add_column\"\ntable = \"t\"\ncolumn = { name = \"c\", type = \"varchar(0)\" }",
            Err("add_column t.c: column `c` has type `varchar(0)`: the length must be between 1 and 10485760"),
        );
        check(
            "[[op]]\nop = \"create_index\"\ntable = \"t\"\nname = \"ix\"\ncolumns = [\"a\"]\nmethod = \"gin; drop\"",
            Err(
                "create_index ix on t: index method `gin; drop` is not a plain name such as btree, hash, gist, spgist, \
                 gin or brin",
            ),
        );
        check("[[op]]\nop = \"sql\"\nsql = \" ; \"", Err("sql ;: `sql` is empty; write the statements to run"));
        check(
            "[[op]]\nop = \"add_constraint\"\ntable = \"t\"\n\
             constraint = { kind = \"foreign_key\", columns = [\"a\", \"b\"], references = { table = \"p\", columns = [\"id\"] } }",
            Err("add_constraint t: the foreign key has 2 column(s) but references 1; list the referenced columns of \
                 `p` in the order of the referencing ones"),
        );
    }

    #[test]
    fn virtual_generated_columns_are_unsupported() {
        check(
            "[[op]]\nop = \"add_column\"\ntable = \"t\"\ncolumn = { name = \"c\", type = \"integer\", generated = { expr = \"a + 1\", stored = false } }",
            Err("add_column t.c is not supported on postgresql: column `c` is a virtual generated column, and aludel \
                 renders only stored ones for PostgreSQL; set `stored = true`"),
        );
    }

    #[test]
    fn sql_for_another_dialect_renders_nothing() {
        check("[[op]]\nop = \"sql\"\nsql = \"VACUUM\"\ndialect = \"sqlite\"", Ok(&[]));
        check("[[op]]\nop = \"sql\"\nsql = \"SELECT 1;\\n\"\ndialect = \"Postgres\"", Ok(&["SELECT 1"]));
    }
}
