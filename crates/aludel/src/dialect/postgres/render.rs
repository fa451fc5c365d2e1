//! Ops rendered to PostgreSQL DDL.
//!
//! PostgreSQL alters almost everything in place, so each op maps to one or a few statements
//! and `before` is only read where the current state changes the SQL (the default of a
//! column whose type changes). Rendering does not require `before` to know the tables an op
//! touches: a database baselined with `stamp` has tables no revision created.
//! Type spellings live in `types`; running the SQL is the session's job.
//!
//! The online forms run apart from the revision's transaction ([`Placement`]): a concurrent
//! index build or drop outside any transaction, `VALIDATE CONSTRAINT` in a transaction of its
//! own. A unique constraint or primary key added `concurrently` is its index built
//! concurrently under the constraint's name, then attached with `USING INDEX`.

use crate::dialect::common::ddl::{DdlSpelling, IndexSql, NameLimit};
use crate::dialect::common::{quote_literal, unnamed_check_named_elsewhere};
use crate::dialect::postgres::types::column_type;
use crate::dialect::{Placement, RenderError, Statement};
use crate::naming;
use crate::ops::{ColumnChange, CreateIndex, Op};
use crate::schema::{Column, ColumnType, Constraint, Schema, Table};

/// Renders a step's ops in order (applied to `schema`). A check the history left unnamed,
/// which an op names as another database named it (MySQL's `CONSTRAINT_1`, say), goes by the
/// name PostgreSQL gave it, numbered among the table's unnamed constraints as the step found
/// them ([`naming::unnamed_constraint_name`]). A name of PostgreSQL's form is taken as it is:
/// the table may have had another name when PostgreSQL named the check.
pub(super) fn render_ops(ops: &[Op], schema: &mut Schema) -> Result<Vec<Vec<Statement>>, (usize, RenderError)> {
    let unnamed_check = |op: &Op| match op {
        Op::DropConstraint { table, name, existing: Some(check @ Constraint::Check { .. }), .. }
        | Op::RenameConstraint { table, name, existing: Some(check @ Constraint::Check { .. }), .. }
            if !postgres_check_form(name) && schema.holds_unnamed_check(table, name, check) =>
        {
            schema.table(table).and_then(|t| naming::unnamed_constraint_name(t, check))
        }
        _ => None,
    };
    let names: Vec<Option<String>> = ops.iter().map(unnamed_check).collect();
    let mut rendered = Vec::with_capacity(ops.len());
    for (index, (op, postgres_name)) in ops.iter().zip(names).enumerate() {
        let renamed = postgres_name.map(|postgres_name| {
            let mut op = op.clone();
            if let Op::DropConstraint { name, .. } | Op::RenameConstraint { name, .. } = &mut op {
                *name = postgres_name;
            }
            op
        });
        let op = renamed.as_ref().unwrap_or(op);
        rendered.push(render(op, schema).map_err(|source| (index, source))?);
        schema.apply(op).ok();
    }
    Ok(rendered)
}

/// Renders one op against the schema the earlier ops lead to.
pub(super) fn render(op: &Op, before: &Schema) -> Result<Vec<Statement>, RenderError> {
    let r = Renderer { op };
    match op {
        Op::CreateTable(table) => r.create_table(table),
        Op::DropTable { table, existing: _ } => Ok(vec![r.drop_table(table)?]),
        Op::RenameTable { table, new_name } => Ok(vec![r.rename_table(table, new_name)?]),
        Op::AddColumn { table, column } => r.add_column(table, column),
        Op::DropColumn { table, column } => Ok(vec![r.drop_column(table, column.name())?]),
        Op::AlterColumn(change) => r.alter_column(change, before),
        Op::CreateIndex(create) => r.create_index(create),
        Op::DropIndex { table: _, name, concurrently: false, existing: _ } => {
            Ok(vec![Statement::new(format!("DROP INDEX {}", r.ident("index", name)?))])
        }
        Op::DropIndex { table: _, name, concurrently: true, existing: _ } => Ok(vec![Statement::apart(
            format!("DROP INDEX CONCURRENTLY {}", r.ident("index", name)?),
            Placement::NoTransaction,
        )]),
        Op::RenameIndex { table: _, name, new_name } => Ok(vec![Statement::new(format!(
            "ALTER INDEX {} RENAME TO {}",
            r.ident("index", name)?,
            r.ident("index", new_name)?
        ))]),
        // A key's index is renamed with it.
        Op::RenameConstraint { table, name, new_name, existing } => {
            let action = format!("RENAME CONSTRAINT {{}} TO {}", r.ident("constraint", new_name)?);
            Ok(vec![r.on_constraint(before, table, name, existing.as_ref(), &action)?])
        }
        Op::AddConstraint { table, constraint, not_valid, concurrently } => {
            r.add_constraint(table, constraint, *not_valid, *concurrently)
        }
        Op::ValidateConstraint { table, name } => Ok(vec![Statement::apart(
            format!("ALTER TABLE {} VALIDATE CONSTRAINT {}", r.ident("table", table)?, r.ident("constraint", name)?),
            Placement::OwnTransaction,
        )]),
        Op::DropConstraint { table, name, kind: _, existing } => {
            Ok(vec![r.on_constraint(before, table, name, existing.as_ref(), "DROP CONSTRAINT {}")?])
        }
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
            // Committed before the revision's transaction, so that the revision can use the
            // value; IF NOT EXISTS, so that the revision can run again after a failure.
            Ok(vec![Statement::before_transaction(format!(
                "ALTER TYPE {} ADD VALUE IF NOT EXISTS {}{position}",
                r.ident("enum", name)?,
                quote_literal(value)
            ))])
        }
        Op::DropEnumValue { name, value, before: _, after: _ } => Ok(vec![r.drop_enum_value(name, value)?]),
        Op::AlterTable { table, comment } => Ok(vec![Statement::new(format!(
            "COMMENT ON TABLE {} IS {}",
            r.ident("table", table)?,
            comment.to.as_deref().map_or_else(|| "NULL".to_owned(), quote_literal)
        ))]),
        Op::Sql { sql, down: _, dialect } => r.raw_sql(sql, dialect.as_deref()),
    }
}

/// The body of the `DO` block that removes the value `removed` from the enum `type_name`
/// (its quoted name) named `enum_name`; see [`Renderer::drop_enum_value`]. Constant text: the
/// three names arrive as literals in the variables declared before it, never spliced in.
const DROP_ENUM_VALUE: &str = r#"    old_type oid := type_name::regtype;
    old_array oid;
    schema_name text;
    new_type text;
    replaced text := quote_ident('aludel_enum_being_replaced');
    restore text[] := '{}';
    statement text;
    held boolean;
    dep record;
BEGIN
    SELECT typnamespace::regnamespace::text, typarray INTO schema_name, old_array FROM pg_type WHERE oid = old_type;
    IF NOT EXISTS (SELECT FROM pg_enum WHERE enumtypid = old_type AND enumlabel = removed) THEN
        RAISE EXCEPTION 'enum % has no value %', enum_name, quote_literal(removed);
    END IF;
    FOR dep IN
        SELECT a.attrelid::regclass AS tbl, a.attname, a.atttypid = old_array AS is_array
        FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
        WHERE a.atttypid IN (old_type, old_array) AND a.attnum > 0 AND NOT a.attisdropped AND a.attinhcount = 0
          AND c.relkind IN ('r', 'p')
    LOOP
        IF dep.is_array THEN
            EXECUTE format('SELECT EXISTS (SELECT FROM %s WHERE %L = ANY (%I::text[]))', dep.tbl, removed, dep.attname)
                INTO held;
        ELSE
            EXECUTE format('SELECT EXISTS (SELECT FROM %s WHERE %I::text = %L)', dep.tbl, dep.attname, removed)
                INTO held;
        END IF;
        IF held THEN
            RAISE EXCEPTION 'cannot remove value % from enum %: column %.% holds it', quote_literal(removed), enum_name,
                dep.tbl, quote_ident(dep.attname)
                USING HINT = 'change those rows first (an `sql` op before this one)';
        END IF;
    END LOOP;
    EXECUTE format('ALTER TYPE %s RENAME TO %s', old_type::regtype, replaced);
    new_type := schema_name || '.' || quote_ident(enum_name);
    EXECUTE format('CREATE TYPE %s AS ENUM (%s)', new_type, (
        SELECT coalesce(string_agg(quote_literal(enumlabel), ', ' ORDER BY enumsortorder), '')
        FROM pg_enum WHERE enumtypid = old_type AND enumlabel <> removed));
    FOR dep IN
        SELECT d.adrelid::regclass AS tbl, a.attname, pg_get_expr(d.adbin, d.adrelid) AS def
        FROM pg_attrdef d JOIN pg_attribute a ON a.attrelid = d.adrelid AND a.attnum = d.adnum
        WHERE a.attgenerated = '' AND strpos(pg_get_expr(d.adbin, d.adrelid), replaced) > 0
    LOOP
        EXECUTE format('ALTER TABLE %s ALTER COLUMN %I DROP DEFAULT', dep.tbl, dep.attname);
        restore := restore || format('ALTER TABLE %s ALTER COLUMN %I SET DEFAULT %s', dep.tbl, dep.attname,
            replace(dep.def, replaced, quote_ident(enum_name)));
    END LOOP;
    FOR dep IN
        SELECT i.indexrelid::regclass AS idx, pg_get_indexdef(i.indexrelid) AS def
        FROM pg_index i
        WHERE (i.indexprs IS NOT NULL OR i.indpred IS NOT NULL)
          AND NOT EXISTS (SELECT FROM pg_constraint c WHERE c.conindid = i.indexrelid)
          AND NOT EXISTS (SELECT FROM pg_inherits h WHERE h.inhrelid = i.indexrelid)
          AND strpos(pg_get_indexdef(i.indexrelid), replaced) > 0
    LOOP
        EXECUTE format('DROP INDEX %s', dep.idx);
        restore := restore || replace(dep.def, replaced, quote_ident(enum_name));
    END LOOP;
    FOR dep IN
        SELECT c.conrelid::regclass AS tbl, c.conname, pg_get_constraintdef(c.oid) AS def
        FROM pg_constraint c
        WHERE c.contype = 'c' AND c.conrelid <> 0 AND c.coninhcount = 0
          AND strpos(pg_get_constraintdef(c.oid), replaced) > 0
    LOOP
        EXECUTE format('ALTER TABLE %s DROP CONSTRAINT %I', dep.tbl, dep.conname);
        restore := restore || format('ALTER TABLE %s ADD CONSTRAINT %I %s', dep.tbl, dep.conname,
            replace(dep.def, replaced, quote_ident(enum_name)));
    END LOOP;
    FOR statement IN
        SELECT format('ALTER TABLE %s %s', a.attrelid::regclass, string_agg(format(
            'ALTER COLUMN %I TYPE %s USING %I::text%s::%s', a.attname, new_type || suffix, a.attname, suffix,
            new_type || suffix), ', ' ORDER BY a.attnum))
        FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid,
            LATERAL (SELECT CASE WHEN a.atttypid = old_array THEN '[]' ELSE '' END AS suffix) s
        WHERE a.atttypid IN (old_type, old_array) AND a.attnum > 0 AND NOT a.attisdropped AND a.attinhcount = 0
          AND c.relkind IN ('r', 'p')
        GROUP BY a.attrelid
    LOOP
        EXECUTE statement;
    END LOOP;
    FOREACH statement IN ARRAY restore LOOP
        EXECUTE statement;
    END LOOP;
    EXECUTE format('DROP TYPE %s', old_type::regtype);
END
"#;

/// A dollar-quote tag (`$aludel$`, else `$aludel_1$`, ...) that `body` does not contain, so
/// any name or value may appear in the block.
fn dollar_quote_tag(body: &str) -> String {
    (0..)
        .map(|n| if n == 0 { "$aludel$".to_owned() } else { format!("$aludel_{n}$") })
        .find(|tag| !body.contains(tag.as_str()))
        .expect("some tag is absent from a finite text")
}

/// Renders the parts of one op; errors name the op.
struct Renderer<'a> {
    op: &'a Op,
}

impl DdlSpelling for Renderer<'_> {
    const DIALECT: &'static str = "postgresql";
    // PostgreSQL silently truncates longer identifiers (`NAMEDATALEN - 1`).
    const NAME_LIMIT: Option<NameLimit> = Some(NameLimit::Bytes(63));
    const BACKEND: &'static str = "PostgreSQL";

    fn op(&self) -> &Op {
        self.op
    }

    fn bool_literal(&self, value: bool) -> &'static str {
        if value { "TRUE" } else { "FALSE" }
    }

    /// The special values exist as string input only.
    fn non_finite_default(&self, _column: &str, value: f64) -> Result<String, RenderError> {
        Ok(if value.is_nan() {
            "'NaN'"
        } else if value > 0.0 {
            "'Infinity'"
        } else {
            "'-Infinity'"
        }
        .into())
    }

    /// In parentheses: `DEFAULT` takes only a restricted expression (no `AT TIME ZONE`, for
    /// one), and any expression in parentheses is one.
    fn sql_default(&self, expr: &str) -> String {
        format!("({expr})")
    }

    /// PostgreSQL prints `now()` and `CURRENT_TIMESTAMP` apart: the models' spelling stays.
    fn now_default(&self) -> &'static str {
        "now()"
    }
}

/// Whether `name` has the form of a name PostgreSQL gives a check declared without one:
/// `..._check`, numbered when taken (`_check1`).
fn postgres_check_form(name: &str) -> bool {
    name.trim_end_matches(|c: char| c.is_ascii_digit()).ends_with("_check")
}

impl Renderer<'_> {
    /// `ALTER TABLE <table> <action>` with the constraint's name in place of `{}`. A key or
    /// foreign key an earlier revision declared without a name ([`Schema::holds_unnamed`]) is
    /// found by its definition in the catalog, `name` first: the revision may come from another
    /// backend, which named it otherwise.
    fn on_constraint(
        &self,
        before: &Schema,
        table: &str,
        name: &str,
        existing: Option<&Constraint>,
        action: &str,
    ) -> Result<Statement, RenderError> {
        let quoted_table = self.ident("table", table)?;
        if existing.is_some_and(|check| before.holds_unnamed_check(table, name, check)) && !postgres_check_form(name) {
            return Err(self.invalid(unnamed_check_named_elsewhere("PostgreSQL", "postgresql", table, name)));
        }
        // A name PostgreSQL gives such a constraint (`t_a_key`): the revision was made here.
        let named_here = |existing: &Constraint| {
            let columns = existing.columns().join("_");
            let suffix = match existing {
                Constraint::PrimaryKey { .. } => return name == format!("{table}_pkey"),
                Constraint::Unique { .. } => "key",
                Constraint::ForeignKey { .. } => "fkey",
                Constraint::Check { .. } => return true,
            };
            name == format!("{table}_{columns}_{suffix}")
        };
        let found_elsewhere =
            |existing: &&Constraint| before.holds_unnamed(table, name, existing) && !named_here(existing);
        let Some(existing) = existing.filter(found_elsewhere) else {
            let action = action.replacen("{}", &self.ident("constraint", name)?, 1);
            return Ok(Statement::new(format!("ALTER TABLE {quoted_table} {action}")));
        };
        let columns = |columns: &[String]| {
            let names: Vec<String> = columns.iter().map(|c| quote_literal(c)).collect();
            format!(
                "ARRAY(SELECT a.attnum FROM unnest(ARRAY[{}]::text[]) WITH ORDINALITY AS k(name, ord) \
                 JOIN pg_attribute a ON a.attrelid = {{rel}} AND a.attname = k.name ORDER BY k.ord)::int2[]",
                names.join(", ")
            )
        };
        let relation = format!("{}::regclass", quote_literal(&quoted_table));
        let matches = match existing {
            Constraint::PrimaryKey { .. } => "c.contype = 'p'".to_owned(),
            Constraint::Unique { columns: key, .. } => {
                format!("c.contype = 'u' AND c.conkey = {}", columns(key).replace("{rel}", "c.conrelid"))
            }
            Constraint::ForeignKey { columns: key, references, .. } => {
                let target = format!("{}::regclass", quote_literal(&self.ident("table", &references.table)?));
                format!(
                    "c.contype = 'f' AND c.conkey = {} AND c.confrelid = {target} AND c.confkey = {}",
                    columns(key).replace("{rel}", "c.conrelid"),
                    columns(&references.columns).replace("{rel}", "c.confrelid")
                )
            }
            Constraint::Check { .. } => unreachable!("holds_unnamed is false for checks"),
        };
        let (head, tail) = action.split_once("{}").unwrap_or((action, ""));
        let body = format!(
            "DECLARE found text;\nBEGIN\n  SELECT c.conname INTO found FROM pg_constraint c WHERE c.conrelid = {relation} AND \
             {matches} ORDER BY c.conname = {name} DESC LIMIT 1;\n  IF found IS NULL THEN\n    RAISE EXCEPTION '%', \
             {missing};\n  END IF;\n  EXECUTE {alter} || quote_ident(found){tail};\nEND",
            name = quote_literal(name),
            missing = quote_literal(&format!(
                "table {table} has no constraint {name}, nor a {}: the database differs from the migration history",
                match existing {
                    Constraint::ForeignKey { columns, references, .. } => format!(
                        "foreign key ({}) to {} ({})",
                        columns.join(", "),
                        references.table,
                        references.columns.join(", ")
                    ),
                    Constraint::Unique { columns, .. } => format!("unique key ({})", columns.join(", ")),
                    _ => "primary key".to_owned(),
                }
            )),
            alter = quote_literal(&format!("ALTER TABLE {quoted_table} {head}")),
            tail = if tail.is_empty() { String::new() } else { format!(" || {}", quote_literal(tail)) },
        );
        let tag = super::text::dollar_tag(std::slice::from_ref(&body));
        Ok(Statement::new(format!("DO {tag}\n{body}\n{tag}")))
    }

    /// PostgreSQL cannot remove an enum value, so the type is replaced: renamed away, created
    /// anew without the value, every column of it (or of an array of it) converted through
    /// text, and the old type dropped. Defaults, check constraints and expression or partial
    /// indexes that name the type are dropped first and restored with the new type. The
    /// catalog says what uses the type, so a database baselined with `stamp` is served too;
    /// a row holding the value stops the upgrade with the table and column that hold it.
    fn drop_enum_value(&self, name: &str, value: &str) -> Result<Statement, RenderError> {
        let quoted = self.ident("enum", name)?;
        let body = format!(
            "DECLARE\n    type_name text := {};\n    enum_name text := {};\n    removed text := {};\n{DROP_ENUM_VALUE}",
            quote_literal(&quoted),
            quote_literal(name),
            quote_literal(value)
        );
        let tag = dollar_quote_tag(&body);
        Ok(Statement::new(format!("DO {tag}\n{body}{tag}")))
    }

    /// Spells a column's type, naming the column when the type is invalid.
    fn column_type(&self, column: &str, ty: &ColumnType) -> Result<String, RenderError> {
        column_type(ty).map_err(|err| match err {
            RenderError::Invalid { op, reason } => self.invalid(format!("column `{column}` has {op}: {reason}")),
            other => other,
        })
    }

    /// The `serial` pseudo-type of a serial column's integer type: PostgreSQL makes it the
    /// integer, a sequence `<table>_<column>_seq` the column owns and its `nextval` default.
    fn serial_type(&self, column: &Column) -> Result<String, RenderError> {
        Ok(match column.ty {
            ColumnType::SmallInt => "smallserial",
            ColumnType::Integer => "serial",
            ColumnType::BigInt => "bigserial",
            _ => {
                return Err(self.invalid(format!(
                    "column `{}` is `serial` of type `{}`; a serial column is a smallint, integer or bigint",
                    column.name, column.ty
                )));
            }
        }
        .to_owned())
    }

    /// `"name" TYPE [COLLATE ...] [GENERATED ...] [NOT NULL] [DEFAULT ...]`.
    fn column_def(&self, column: &Column) -> Result<String, RenderError> {
        let name = &column.name;
        self.refuse_on_update(name, column.on_update.is_some())?;
        self.check_value_source(column)?;
        let ty = if column.serial { self.serial_type(column)? } else { self.column_type(name, &column.ty)? };
        let mut sql = format!("{} {ty}", self.ident("column", name)?);
        sql.push_str(&self.collate(column.collation.as_deref())?);
        if column.identity && !column.serial {
            let kind = if column.identity_always { "ALWAYS" } else { "BY DEFAULT" };
            sql.push_str(&format!(" GENERATED {kind} AS IDENTITY"));
        }
        if let Some(generated) = &column.generated {
            if !generated.stored {
                return Err(self.unsupported(format!(
                    "column `{name}` is a virtual generated column, and aludel renders only stored ones for \
                     PostgreSQL; set `stored = true`"
                )));
            }
            let expr = self.expr("generated expression", &generated.expr)?;
            sql.push_str(&format!(" GENERATED ALWAYS AS ({expr}) STORED"));
        }
        if !column.nullable {
            sql.push_str(" NOT NULL");
        }
        if let Some(default) = &column.default {
            sql.push_str(&format!(" DEFAULT {}", self.default_value(name, default)?));
        }
        Ok(sql)
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
        self.check_has_columns(table)?;
        let mut lines = Vec::with_capacity(table.columns.len() + table.constraints.len() + 1);
        for column in &table.columns {
            lines.push(self.column_def(column)?);
        }
        self.check_primary_key(table)?;
        if !table.primary_key.is_empty() {
            lines.push(self.constraint(&Constraint::PrimaryKey {
                name: table.primary_key_name.clone(),
                columns: table.primary_key.clone(),
            })?);
        }
        // PostgreSQL keeps one of several keys on the same columns in a CREATE TABLE (the
        // primary key, else the first); the others are added after it, as ALTER TABLE keeps them.
        let mut keyed: Vec<&[String]> = vec![&table.primary_key];
        let mut after = Vec::new();
        for constraint in &table.constraints {
            match constraint {
                Constraint::PrimaryKey { columns, .. } | Constraint::Unique { columns, .. }
                    if keyed.contains(&columns.as_slice()) =>
                {
                    after.push(constraint);
                }
                Constraint::PrimaryKey { columns, .. } | Constraint::Unique { columns, .. } => {
                    keyed.push(columns);
                    lines.push(self.constraint(constraint)?);
                }
                _ => lines.push(self.constraint(constraint)?),
            }
        }
        let mut statements = vec![Statement::new(format!(
            "CREATE TABLE {} (\n    {}\n)",
            self.ident("table", &table.name)?,
            lines.join(",\n    ")
        ))];
        for constraint in after {
            statements.extend(self.add_constraint(&table.name, constraint, false, false)?);
        }
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

    /// One statement per changed attribute: type, nullability, default, identity kind, comment, then the
    /// rename, so every earlier statement still uses the old name.
    fn alter_column(&self, change: &ColumnChange, before: &Schema) -> Result<Vec<Statement>, RenderError> {
        self.check_column_change(change)?;
        let ColumnChange {
            table,
            column,
            ty,
            nullable,
            default,
            on_update,
            comment,
            collation,
            identity_always,
            new_name,
        } = change;
        self.refuse_on_update(column, on_update.is_some())?;
        let alter =
            format!("ALTER TABLE {} ALTER COLUMN {}", self.ident("table", table)?, self.ident("column", column)?);
        let known = before.table(table).and_then(|t| t.column(column));
        // The column's current default: from `before` when it knows the column (a database
        // baselined with `stamp` has columns no revision created), else from the change.
        let current_default = match known {
            Some(known) => known.default.as_ref(),
            None => default.as_ref().and_then(|d| d.from.as_ref()),
        };
        // A collation changes with the type (`TYPE t COLLATE c`); a type change keeps the
        // collation the column has.
        let wanted_collation = match (collation, known) {
            (Some(change), _) => change.to.as_deref(),
            (None, Some(known)) => known.collation.as_deref(),
            (None, None) => None,
        };
        let collation_only = match (ty, collation) {
            (None, Some(_)) => {
                let Some(known) = known else {
                    return Err(self.invalid(format!(
                        "PostgreSQL changes a collation together with the type, and no earlier revision defines \
                         `{table}.{column}` (a database baselined with `stamp`?); add `type = \"...\"` (its current \
                         type) to the change"
                    )));
                };
                Some(&known.ty)
            }
            _ => None,
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
                "{alter} TYPE {spelled}{}{}",
                self.collate(wanted_collation)?,
                using(&self.ident("column", column)?, &ty.to, &spelled)
            )));
        }
        // A serial column's sequence keeps its own type (and so its maximum), which the
        // column's type change does not touch: `serial` to `bigserial` would still stop at
        // 2^31 - 1. An identity column's sequence follows the column by itself.
        if let (Some(ty), Some(known)) = (ty, known)
            && known.serial
            && let Some(sequence_type) = sequence_type(&ty.to)
        {
            let body = format!(
                "EXECUTE format('ALTER SEQUENCE %s AS {sequence_type}', pg_get_serial_sequence({}, {}));",
                quote_literal(&self.ident("table", table)?),
                quote_literal(column)
            );
            let tag = super::text::dollar_tag(std::slice::from_ref(&body));
            statements.push(Statement::new(format!("DO {tag} BEGIN {body} END {tag}")));
        }
        if let Some(current) = collation_only {
            let spelled = self.column_type(column, current)?;
            statements.push(Statement::new(format!("{alter} TYPE {spelled}{}", self.collate(wanted_collation)?)));
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
                statements.push(Statement::new(format!("{alter} SET DEFAULT {}", self.default_value(column, value)?)));
            }
            Some(None) if !default_dropped => statements.push(Statement::new(format!("{alter} DROP DEFAULT"))),
            Some(None) | None => {}
        }
        if let Some(always) = identity_always {
            if known.is_some_and(|known| !known.identity || known.serial) {
                return Err(self.invalid(format!(
                    "`identity_always` changes how an identity column takes its values, and `{table}.{column}` is \
                     not an identity column; remove `identity_always`"
                )));
            }
            let kind = if *always { "ALWAYS" } else { "BY DEFAULT" };
            statements.push(Statement::new(format!("{alter} SET GENERATED {kind}")));
        }
        if let Some(comment) = comment {
            statements.push(self.comment_on_column(table, column, comment.to.as_deref())?);
        }
        if let Some(new_name) = new_name {
            statements.push(self.rename_column(table, column, new_name)?);
        }
        Ok(statements)
    }

    /// `CREATE [UNIQUE] INDEX [CONCURRENTLY] "name" ON "t" [USING method] (keys) [WHERE ...]`.
    fn create_index(&self, create: &CreateIndex) -> Result<Vec<Statement>, RenderError> {
        let CreateIndex { name, table, columns, unique, predicate, method, key_options, include, concurrently } =
            create;
        self.check_index_keys(columns, key_options)?;
        let name = self.ident("index", name)?;
        let table = self.ident("table", table)?;
        let method = method.as_deref().map(|method| self.index_method(method)).transpose()?;
        let keys = self.index_keys(columns, key_options)?;
        let include = include.iter().map(|column| self.ident("column", column)).collect::<Result<_, _>>()?;
        let predicate = self.index_predicate(predicate.as_deref())?;
        let index =
            IndexSql { unique: *unique, concurrently: *concurrently, name, table, method, keys, include, predicate };
        let placement = if *concurrently { Placement::NoTransaction } else { Placement::InRevision };
        Ok(vec![Statement::apart(index.to_string(), placement)])
    }

    /// `ADD CONSTRAINT`, or its online forms: `NOT VALID` for a foreign key or check, a
    /// concurrently built index attached with `USING INDEX` for a unique key or primary key.
    fn add_constraint(
        &self,
        table: &str,
        constraint: &Constraint,
        not_valid: bool,
        concurrently: bool,
    ) -> Result<Vec<Statement>, RenderError> {
        let quoted_table = self.ident("table", table)?;
        let keyed = matches!(constraint, Constraint::PrimaryKey { .. } | Constraint::Unique { .. });
        if not_valid && keyed {
            return Err(self.invalid(
                "`not_valid` applies to foreign keys and checks; a unique key or primary key is built `concurrently`",
            ));
        }
        if !concurrently {
            let valid = if not_valid { " NOT VALID" } else { "" };
            let sql = format!("ALTER TABLE {quoted_table} ADD {}{valid}", self.constraint(constraint)?);
            return Ok(vec![Statement::new(sql)]);
        }
        let (kind, columns) = match constraint {
            Constraint::PrimaryKey { columns, .. } => ("PRIMARY KEY", columns),
            Constraint::Unique { columns, .. } => ("UNIQUE", columns),
            Constraint::ForeignKey { .. } | Constraint::Check { .. } => {
                return Err(self.invalid(
                    "`concurrently` applies to unique keys and primary keys; add a foreign key or check \
                     `not_valid`, then `validate_constraint`",
                ));
            }
        };
        let Some(name) = constraint.name() else {
            return Err(self.invalid(
                "a constraint added `concurrently` needs a `name`: its index is built under that name first",
            ));
        };
        let name = self.ident("constraint", name)?;
        let columns = self.column_list("constraint", columns)?;
        Ok(vec![
            Statement::apart(
                format!("CREATE UNIQUE INDEX CONCURRENTLY {name} ON {quoted_table} {columns}"),
                Placement::NoTransaction,
            ),
            Statement::apart(
                format!("ALTER TABLE {quoted_table} ADD CONSTRAINT {name} {kind} USING INDEX {name}"),
                Placement::NoTransaction,
            ),
        ])
    }

    /// An index access method, lower-cased.
    fn index_method(&self, method: &str) -> Result<String, RenderError> {
        // Access methods are lower-case catalog names; a plain word cannot smuggle SQL in.
        let plain = method.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
            && method.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !plain {
            return Err(self.invalid(format!(
                "index method `{method}` is not a plain name such as btree, hash, gist, spgist, gin or brin"
            )));
        }
        Ok(method.to_ascii_lowercase())
    }
}

/// The type a sequence can take for a column of type `ty`, if it is an integer type.
fn sequence_type(ty: &ColumnType) -> Option<&'static str> {
    match ty {
        ColumnType::SmallInt => Some("smallint"),
        ColumnType::Integer => Some("integer"),
        ColumnType::BigInt => Some("bigint"),
        _ => None,
    }
}

/// The `USING` of a column's type change. An explicit cast cuts a string to a bounded type's
/// length without a word, so a bounded string type gets none: the assignment cast the change
/// then applies (which every type has to a string type) refuses a value that does not fit.
/// PostgreSQL has no cast between two enum types, so an enum is reached through `text`.
fn using(column: &str, to: &ColumnType, spelled: &str) -> String {
    match to {
        ColumnType::Varchar(Some(_)) | ColumnType::Char(_) => String::new(),
        ColumnType::Array(item) if matches!(**item, ColumnType::Varchar(Some(_)) | ColumnType::Char(_)) => {
            String::new()
        }
        ColumnType::Enum(_) => format!(" USING {column}::text::{spelled}"),
        ColumnType::Array(item) if matches!(**item, ColumnType::Enum(_)) => {
            format!(" USING {column}::text[]::{spelled}")
        }
        _ => format!(" USING {column}::{spelled}"),
    }
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
            Ok(&[r#"ALTER TABLE "users" ALTER COLUMN "name" TYPE VARCHAR(20)"#]),
        );
    }

    #[test]
    fn a_type_change_never_casts_values_shorter() {
        let ty = |text: &str| text.parse::<ColumnType>().expect("a type");
        // An explicit cast to a bounded string cuts the value: none is written, so the
        // assignment cast refuses a value too long.
        for bounded in ["varchar(20)", "char(3)", "varchar(5)[]"] {
            assert_eq!(using("\"c\"", &ty(bounded), "X"), "", "{bounded}");
        }
        assert_eq!(using("\"c\"", &ty("varchar"), "VARCHAR"), r#" USING "c"::VARCHAR"#);
        assert_eq!(using("\"c\"", &ty("integer"), "INTEGER"), r#" USING "c"::INTEGER"#);
        // No cast joins two enum types; text does.
        assert_eq!(using("\"c\"", &ty("enum:feeling"), r#""feeling""#), r#" USING "c"::text::"feeling""#);
        assert_eq!(using("\"c\"", &ty("enum:feeling[]"), r#""feeling"[]"#), r#" USING "c"::text[]::"feeling"[]"#);
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
    fn an_identity_column_is_generated_always_or_by_default() {
        check(
            "[[op]]\nop = \"add_column\"\ntable = \"t\"\ncolumn = { name = \"id\", type = \"bigint\", nullable = false, identity = true, identity_always = true }",
            Ok(&[r#"ALTER TABLE "t" ADD COLUMN "id" BIGINT GENERATED ALWAYS AS IDENTITY NOT NULL"#]),
        );
        check(
            "[[op]]\nop = \"add_column\"\ntable = \"t\"\ncolumn = { name = \"id\", type = \"bigint\", nullable = false, identity = true }",
            Ok(&[r#"ALTER TABLE "t" ADD COLUMN "id" BIGINT GENERATED BY DEFAULT AS IDENTITY NOT NULL"#]),
        );
        // A serial column has a `nextval` default, not an identity kind to change.
        check(
            "[[op]]\nop = \"create_table\"\ntable = \"t\"\ncolumns = [{ name = \"id\", type = \"integer\", identity = true, serial = true }]\n\
             [[op]]\nop = \"alter_column\"\ntable = \"t\"\ncolumn = \"id\"\nidentity_always = true",
            Err("alter_column t.id: `identity_always` changes how an identity column takes its values, and `t.id` is \
                 not an identity column; remove `identity_always`"),
        );
        check(
            "[[op]]\nop = \"add_column\"\ntable = \"t\"\ncolumn = { name = \"id\", type = \"integer\", identity = true, serial = true, identity_always = true }",
            Err("add_column t.id: column `id` has `identity_always = true` without an identity column (`identity = \
                 true` and no `serial`); `GENERATED ALWAYS` says how an identity column takes its values, so make the \
                 column an identity or remove `identity_always`"),
        );
    }

    #[test]
    fn malformed_ops_are_refused_with_the_fix() {
        check(
            "[[op]]\nop = \"alter_column\"\ntable = \"t\"\ncolumn = \"c\"",
            Err(
                "alter_column t.c: nothing to change; set `type`, `nullable`, `default`, `on_update`, `comment`, `collation`, `identity_always` or `new_name`",
            ),
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
