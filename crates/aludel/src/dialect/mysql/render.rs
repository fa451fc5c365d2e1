//! Ops rendered to MySQL / MariaDB DDL.
//!
//! MySQL changes a column by restating its whole definition (`MODIFY COLUMN`), so an
//! `alter_column` that changes the type, nullability, default or comment reads the column
//! from `before` and restates it with the change applied; a rename is `RENAME COLUMN` after
//! it. A column `before` does not know (a database baselined with `stamp`) can still have
//! its default set or dropped, or be renamed; anything else is refused with the fix.
//!
//! Spelled differently from other backends, on purpose:
//! - Enums: MySQL has no enum types, only inline `ENUM('a','b')` columns. `create_enum` and
//!   `drop_enum` render nothing; a column of type `enum:<name>` lists the values the schema
//!   knows at that point; `add_enum_value` and `drop_enum_value` restate (`MODIFY COLUMN`)
//!   every column of that enum with the new list.
//! - Keys: the primary key is always named `PRIMARY` (a `primary_key_name` is not rendered).
//!   An index or key on a text or binary column takes its first 255 characters
//!   (`` `body`(255) ``), which is all MySQL indexes of such a column; a key written
//!   `{ expr = "col(N)" }` takes `N`. Other expression keys and partial indexes are refused:
//!   MariaDB has neither. `method` may be `btree`, `hash`, `fulltext` or `spatial`.
//! - Online forms: `concurrently` on `create_index`, `drop_index` and a unique
//!   `add_constraint` asks for `ALGORITHM=INPLACE, LOCK=NONE`, so the server refuses rather
//!   than blocking writers (a b-tree or hash index; full-text and spatial ones cannot take
//!   `LOCK=NONE` and are built plain). A primary key is added plain: InnoDB rebuilds the table
//!   for it. `not_valid` has no counterpart (the key or check is validated as it is added) and
//!   `validate_constraint` renders nothing.
//! - Constraints: dropped with the statement of their kind (`DROP PRIMARY KEY`,
//!   `DROP INDEX` for a unique one, `DROP FOREIGN KEY`, `DROP CONSTRAINT` for a check), so
//!   `drop_constraint` needs `kind` (or a `before` that knows the constraint). Dropping a
//!   foreign key also drops the index MySQL created for it (named after the key, or after its
//!   first column when the key had no name), when there is one: otherwise the index would
//!   outlive the key as an index nobody declared.
//! - Defaults: `CURRENT_TIMESTAMP(6)` on a `DATETIME(6)` column (MySQL wants the column's
//!   precision), `(CURRENT_DATE)` and `(CURRENT_TIME)` as expressions, a literal on a text,
//!   binary or JSON column as the expression `('...')` (MySQL 8 takes no literal there), raw
//!   SQL in parentheses (unless it is in parentheses already). NaN and infinities do not exist in MySQL and are refused.
//! - `on_update`: `ON UPDATE CURRENT_TIMESTAMP` at the column's precision, on a timestamp or
//!   datetime column (the other backends refuse `on_update`: they have no such clause).
//! - Identity: `AUTO_INCREMENT`, on one integer column per table that starts the primary key
//!   or a unique constraint, as MySQL requires.
//! - Refused: `set_default` foreign key actions (InnoDB rejects them), `NOT NULL` generated
//!   columns (MariaDB rejects them), arrays and `interval` (see `types`).
//!
//! Type spellings live in `types`; running the SQL is the session's job.

use std::collections::BTreeMap;

use crate::dialect::common::ddl::DdlSpelling;
use crate::dialect::mysql::text::{prefix_key, quote_ident, quote_literal, strip_parentheses};
use crate::dialect::mysql::types::{KEY_PREFIX, column_type, needs_key_prefix};
use crate::dialect::{RenderError, Statement, UuidStorage};
use crate::ops::{ColumnChange, ConstraintKind, CreateIndex, Op};
use crate::schema::{
    Column, ColumnType, Constraint, DefaultValue, EnumType, IndexKey, KeyOptions, Literal, PortableExpr,
    ReferentialAction, Schema, Table,
};

/// Renders one op against the schema the earlier ops lead to.
pub(super) fn render(op: &Op, before: &Schema, uuid: UuidStorage) -> Result<Vec<Statement>, RenderError> {
    let r = Renderer { op, before, uuid };
    match op {
        Op::CreateTable(table) => r.create_table(table),
        Op::DropTable { table, existing: _ } => Ok(vec![r.drop_table(table)?]),
        Op::RenameTable { table, new_name } => Ok(vec![Statement::new(format!(
            "RENAME TABLE {} TO {}",
            r.ident("table", table)?,
            r.ident("table", new_name)?
        ))]),
        Op::AddColumn { table, column } => r.add_column(table, column),
        Op::DropColumn { table, column } => Ok(vec![r.drop_column(table, column.name())?]),
        Op::AlterColumn(change) => r.alter_column(change),
        Op::CreateIndex(create) => r.create_index(create),
        Op::DropIndex { table, name, concurrently, existing: _ } => {
            let columns = before.indexes.get(name).filter(|i| i.table == *table).map(plain_columns);
            Ok(vec![r.drop_index(table, name, &columns.unwrap_or_default(), *concurrently)?])
        }
        Op::RenameIndex { table, name, new_name } => Ok(vec![Statement::new(format!(
            "ALTER TABLE {} RENAME INDEX {} TO {}",
            r.ident("table", table)?,
            r.ident("index", name)?,
            r.ident("index", new_name)?
        ))]),
        Op::RenameConstraint { table, name, new_name, existing } => {
            r.rename_constraint(table, name, new_name, existing.as_ref())
        }
        Op::AddConstraint { table, constraint, not_valid: _, concurrently } => {
            r.add_constraint(table, constraint, *concurrently)
        }
        Op::ValidateConstraint { table, name } => {
            r.ident("table", table)?;
            r.ident("constraint", name)?;
            Ok(Vec::new())
        }
        Op::DropConstraint { table, name, kind, existing } => r.drop_constraint(table, name, *kind, existing.as_ref()),
        Op::CreateEnum { name, values: _ } | Op::DropEnum { name, values: _ } => {
            // MySQL keeps enums in their columns only.
            r.ident("enum", name)?;
            Ok(Vec::new())
        }
        Op::AddEnumValue { name, value: _, before: position_before, after: position_after }
        | Op::DropEnumValue { name, value: _, before: position_before, after: position_after } => {
            if position_before.is_some() && position_after.is_some() {
                return Err(r.invalid("set `before` or `after`, not both"));
            }
            r.restate_enum_columns(name)
        }
        Op::AlterTable { table, comment } => Ok(vec![Statement::new(format!(
            "ALTER TABLE {} COMMENT = {}",
            r.ident("table", table)?,
            quote_literal(comment.to.as_deref().unwrap_or_default())
        ))]),
        Op::Sql { sql, down: _, dialect } => r.raw_sql(sql, dialect.as_deref()),
    }
}

/// What an online `CREATE INDEX` appends, so that the server refuses rather than blocks
/// writers.
const ONLINE: &str = " ALGORITHM=INPLACE LOCK=NONE";

/// The same for `ALTER TABLE`, whose options are a comma-separated list.
const ONLINE_ALTER: &str = ", ALGORITHM=INPLACE, LOCK=NONE";

/// Renders the parts of one op; errors name the op.
struct Renderer<'a> {
    op: &'a Op,
    before: &'a Schema,
    uuid: UuidStorage,
}

impl DdlSpelling for Renderer<'_> {
    const DIALECT: &'static str = "mysql";

    fn key_option_support(&self) -> (bool, bool) {
        (false, false)
    }

    fn op(&self) -> &Op {
        self.op
    }

    fn quote(&self, name: &str) -> String {
        quote_ident(name)
    }

    fn literal(&self, text: &str) -> String {
        quote_literal(text)
    }

    fn bool_literal(&self, value: bool) -> &'static str {
        if value { "TRUE" } else { "FALSE" }
    }

    fn non_finite_default(&self, column: &str, value: f64) -> Result<String, RenderError> {
        Err(self.unsupported(format!(
            "column `{column}` defaults to {value}, and MySQL floats hold no NaN or infinity; pick another default"
        )))
    }

    /// In parentheses: MySQL takes an expression as a default only so.
    fn sql_default(&self, expr: &str) -> String {
        if strip_parentheses(expr).len() < expr.len() { expr.to_owned() } else { format!("({expr})") }
    }
}

impl Renderer<'_> {
    /// Spells a column's type, naming the column when MySQL has no such type.
    fn column_type(
        &self,
        column: &str,
        ty: &ColumnType,
        enums: &BTreeMap<String, EnumType>,
    ) -> Result<String, RenderError> {
        column_type(ty, Some(enums), self.uuid).map_err(|err| match err {
            RenderError::Invalid { op, reason } => self.invalid(format!("column `{column}` has {op}: {reason}")),
            RenderError::Unsupported { hint, .. } => {
                self.unsupported(format!("column `{column}` has type `{ty}`, and {hint}"))
            }
            other => other,
        })
    }

    /// A column's default, as `DEFAULT` takes it on a column of its type.
    fn column_default(&self, column: &Column, default: &DefaultValue) -> Result<String, RenderError> {
        Ok(match default {
            DefaultValue::Expr(PortableExpr::CurrentTimestamp | PortableExpr::Now)
                if matches!(column.ty, ColumnType::Timestamp | ColumnType::Timestamptz) =>
            {
                "CURRENT_TIMESTAMP(6)".into()
            }
            DefaultValue::Expr(PortableExpr::CurrentDate) => "(CURRENT_DATE)".into(),
            DefaultValue::Expr(PortableExpr::CurrentTime) => "(CURRENT_TIME)".into(),
            // MySQL 8 takes only expressions as defaults of text, binary and JSON columns.
            DefaultValue::Value(_) | DefaultValue::Number(_) if needs_key_prefix(&column.ty) => {
                format!("({})", self.default_value(&column.name, default)?)
            }
            other => self.default_value(&column.name, other)?,
        })
    }

    /// `CURRENT_TIMESTAMP` at the precision of the column's type, the one value MySQL takes
    /// for `ON UPDATE`, on the one kind of column that takes it.
    fn on_update(&self, column: &Column, value: &DefaultValue) -> Result<String, RenderError> {
        // `now()` from another backend's models is the current timestamp here.
        let value = &value.meaning();
        let precision = match (&column.ty, value) {
            (ColumnType::Timestamp | ColumnType::Timestamptz, DefaultValue::Expr(PortableExpr::CurrentTimestamp)) => {
                Some("6".to_owned())
            }
            (ColumnType::Custom(text), DefaultValue::Expr(PortableExpr::CurrentTimestamp)) => {
                let lower = text.trim().to_ascii_lowercase();
                let base = lower.split(['(', ' ']).next().unwrap_or_default();
                matches!(base, "datetime" | "timestamp").then(|| {
                    lower
                        .split_once('(')
                        .and_then(|(_, rest)| rest.split_once(')'))
                        .map_or(String::new(), |p| p.0.trim().to_owned())
                })
            }
            _ => None,
        };
        match precision {
            Some(p) if p.is_empty() => Ok("CURRENT_TIMESTAMP".to_owned()),
            Some(p) => Ok(format!("CURRENT_TIMESTAMP({p})")),
            None => Err(self.invalid(format!(
                "column `{}` has an `on_update` MySQL cannot take: it takes only `{{ expr = \"current_timestamp\" }}`, \
                 on a timestamp, timestamptz, DATETIME or TIMESTAMP column",
                column.name
            ))),
        }
    }

    /// `` `name` TYPE [NOT NULL] [DEFAULT ...] [ON UPDATE ...] [AUTO_INCREMENT] [GENERATED ALWAYS AS (...)
    /// STORED|VIRTUAL] [COMMENT '...'] ``, with enum values from `enums`.
    fn column_def(&self, column: &Column, enums: &BTreeMap<String, EnumType>) -> Result<String, RenderError> {
        let name = &column.name;
        let mut sql = format!("{} {}", self.ident("column", name)?, self.column_type(name, &column.ty, enums)?);
        sql.push_str(&self.collate(column.collation.as_deref())?);
        self.check_value_source(column)?;
        if column.identity && !integer_type(&column.ty) {
            return Err(self.invalid(format!(
                "column `{name}` is an identity column of type `{}`; identity needs an integer type (smallint, \
                 integer, bigint, or MySQL's own such as `bigint unsigned`)",
                column.ty
            )));
        }
        if let Some(generated) = &column.generated {
            if !column.nullable {
                return Err(self.unsupported(format!(
                    "column `{name}` is a NOT NULL generated column, and MariaDB has no NOT NULL on generated \
                     columns; make it nullable"
                )));
            }
            let expr = self.expr("generated expression", &generated.expr)?;
            let storage = if generated.stored { "STORED" } else { "VIRTUAL" };
            sql.push_str(&format!(" GENERATED ALWAYS AS ({expr}) {storage}"));
        } else {
            if !column.nullable {
                sql.push_str(" NOT NULL");
            }
            if let Some(default) = &column.default {
                sql.push_str(&format!(" DEFAULT {}", self.column_default(column, default)?));
            }
            if let Some(on_update) = &column.on_update {
                sql.push_str(&format!(" ON UPDATE {}", self.on_update(column, on_update)?));
            }
            if column.identity {
                sql.push_str(" AUTO_INCREMENT");
            }
        }
        if let Some(comment) = &column.comment {
            sql.push_str(&format!(" COMMENT {}", quote_literal(comment)));
        }
        Ok(sql)
    }

    /// A parenthesised list of key parts: columns of `table` (a prefix of text and binary
    /// ones) and `{ expr = "col(N)" }` prefixes. `table` is `None` when unknown.
    fn key_parts(
        &self,
        what: &str,
        keys: &[IndexKey],
        options: &[KeyOptions],
        table: Option<&Table>,
    ) -> Result<String, RenderError> {
        if keys.is_empty() {
            return Err(self.invalid(format!("the {what} lists no columns; name at least one")));
        }
        let mut parts = Vec::with_capacity(keys.len());
        for (i, key) in keys.iter().enumerate() {
            let suffix = self.key_suffix(key, options.get(i))?;
            parts.push(
                match key {
                    IndexKey::Column(name) => {
                        let quoted = self.ident("column", name)?;
                        match table.and_then(|t| t.column(name)) {
                            Some(column) if needs_key_prefix(&column.ty) => format!("{quoted}({KEY_PREFIX})"),
                            _ => quoted,
                        }
                    }
                    IndexKey::Expr { expr } => match prefix_key(expr) {
                        Some((name, length)) => format!("{}({length})", self.ident("column", &name)?),
                        None => {
                            return Err(self.unsupported(format!(
                                "the {what} key `{expr}` is an expression, and MariaDB indexes columns only; index a \
                             generated column instead"
                            )));
                        }
                    },
                } + &suffix,
            );
        }
        Ok(format!("({})", parts.join(", ")))
    }

    /// Column names as key parts.
    fn column_keys(&self, what: &str, columns: &[String], table: Option<&Table>) -> Result<String, RenderError> {
        let keys: Vec<IndexKey> = columns.iter().map(|c| IndexKey::Column(c.clone())).collect();
        self.key_parts(what, &keys, &[], table)
    }

    /// A table constraint as `CREATE TABLE` and `ALTER TABLE ... ADD` take it; `table` gives
    /// the types of its columns.
    fn table_constraint(&self, constraint: &Constraint, table: Option<&Table>) -> Result<String, RenderError> {
        Ok(match constraint {
            Constraint::PrimaryKey { name: _, columns } => {
                format!("PRIMARY KEY {}", self.column_keys("primary key", columns, table)?)
            }
            Constraint::Unique { name, columns } => {
                let name = match name {
                    Some(name) => format!("CONSTRAINT {} ", self.ident("constraint", name)?),
                    None => String::new(),
                };
                format!("{name}UNIQUE {}", self.column_keys("unique constraint", columns, table)?)
            }
            Constraint::ForeignKey { on_delete, on_update, .. } => {
                if [on_delete, on_update].into_iter().any(|a| *a == Some(ReferentialAction::SetDefault)) {
                    return Err(self.unsupported(
                        "InnoDB has no SET DEFAULT action on foreign keys; use set_null, cascade, restrict or no_action",
                    ));
                }
                self.constraint(constraint)?
            }
            Constraint::Check { .. } => self.constraint(constraint)?,
        })
    }

    /// Checks that a table has at most one identity column, which starts a key.
    fn check_identity(&self, table: &Table, key_columns: &[String]) -> Result<(), RenderError> {
        let identities: Vec<&Column> = table.columns.iter().filter(|c| c.identity).collect();
        if identities.len() > 1 {
            let names: Vec<String> = identities.iter().map(|c| format!("`{}`", c.name)).collect();
            return Err(self.unsupported(format!(
                "table `{}` has {} identity columns ({}), and MySQL auto-increments one column per table; keep one",
                table.name,
                identities.len(),
                names.join(", ")
            )));
        }
        if let Some(column) = identities.first() {
            let starts_key = key_columns.first() == Some(&column.name)
                || table.constraints.iter().any(|c| match c {
                    Constraint::Unique { columns, .. } | Constraint::PrimaryKey { columns, .. } => {
                        columns.first() == Some(&column.name)
                    }
                    _ => false,
                });
            if !starts_key {
                return Err(self.unsupported(format!(
                    "identity column `{}` starts no key of table `{}`, and MySQL auto-increments only a key column; \
                     make it the primary key",
                    column.name, table.name
                )));
            }
        }
        Ok(())
    }

    fn create_table(&self, table: &Table) -> Result<Vec<Statement>, RenderError> {
        self.check_has_columns(table)?;
        self.check_primary_key(table)?;
        let key_columns = if table.primary_key.is_empty() {
            table.constraints.iter().find_map(|c| match c {
                Constraint::PrimaryKey { columns, .. } => Some(columns.clone()),
                _ => None,
            })
        } else {
            Some(table.primary_key.clone())
        };
        self.check_identity(table, key_columns.as_deref().unwrap_or_default())?;
        let mut lines = Vec::with_capacity(table.columns.len() + table.constraints.len() + 1);
        for column in &table.columns {
            lines.push(self.column_def(column, &self.before.enums)?);
        }
        if !table.primary_key.is_empty() {
            let key = Constraint::PrimaryKey { name: None, columns: table.primary_key.clone() };
            lines.push(self.table_constraint(&key, Some(table))?);
        }
        for constraint in &table.constraints {
            lines.push(self.table_constraint(constraint, Some(table))?);
        }
        let mut sql = format!("CREATE TABLE {} (\n    {}\n)", self.ident("table", &table.name)?, lines.join(",\n    "));
        if let Some(comment) = &table.comment {
            sql.push_str(&format!(" COMMENT = {}", quote_literal(comment)));
        }
        Ok(vec![Statement::new(sql)])
    }

    fn add_column(&self, table: &str, column: &Column) -> Result<Vec<Statement>, RenderError> {
        let definition = self.column_def(column, &self.before.enums)?;
        if column.identity {
            return Err(self.unsupported(format!(
                "column `{}` is an identity column, and MySQL auto-increments only a key column, which an added \
                 column is not yet; create the table with it, or drop `identity`",
                column.name
            )));
        }
        Ok(vec![Statement::new(format!("ALTER TABLE {} ADD COLUMN {definition}", self.ident("table", table)?))])
    }

    /// `MODIFY COLUMN` with the whole new definition, then `RENAME COLUMN`. A column
    /// `before` does not know can only have its default set or dropped, or be renamed.
    fn alter_column(&self, change: &ColumnChange) -> Result<Vec<Statement>, RenderError> {
        self.check_column_change(change)?;
        // An auto-increment has no `GENERATED ALWAYS`: `identity_always` changes nothing here.
        let ColumnChange {
            table,
            column,
            ty,
            nullable,
            default,
            on_update,
            comment,
            collation,
            identity_always: _,
            new_name,
        } = change;
        let quoted_table = self.ident("table", table)?;
        let mut statements = Vec::new();
        let known = self.before.table(table).and_then(|t| t.column(column));
        let restated =
            ty.is_some() || nullable.is_some() || comment.is_some() || on_update.is_some() || collation.is_some();
        if restated || default.is_some() {
            match known {
                Some(known) => {
                    let mut changed = known.clone();
                    ColumnChange { new_name: None, ..change.clone() }.apply_to(&mut changed);
                    statements.push(Statement::new(format!(
                        "ALTER TABLE {quoted_table} MODIFY COLUMN {}",
                        self.column_def(&changed, &self.before.enums)?
                    )));
                }
                None if !restated => {
                    let alter = format!("ALTER TABLE {quoted_table} ALTER COLUMN {}", self.ident("column", column)?);
                    let to = default.as_ref().and_then(|d| d.to.as_ref());
                    statements.push(Statement::new(match to {
                        Some(value) => {
                            // Without the column's type, a literal cannot be told apart from
                            // one a text column needs as an expression: write expressions.
                            let spelled = match value {
                                DefaultValue::Value(Literal::String(text)) => format!("({})", quote_literal(text)),
                                DefaultValue::Expr(PortableExpr::CurrentTimestamp) => "(CURRENT_TIMESTAMP)".into(),
                                other => {
                                    let stand_in = Column::new(column, ColumnType::Integer);
                                    self.column_default(&stand_in, other)?
                                }
                            };
                            format!("{alter} SET DEFAULT {spelled}")
                        }
                        None => format!("{alter} DROP DEFAULT"),
                    }));
                }
                None => {
                    return Err(self.invalid(format!(
                        "MySQL changes a column by restating its whole definition, and no earlier revision defines \
                         `{table}.{column}` (a database stamped without a baseline?); stamp a baseline revision \
                         that creates the tables (README: adopting aludel), or write the change as an `sql` op \
                         with `dialect = \"mysql\"` (ALTER TABLE ... MODIFY COLUMN ...)"
                    )));
                }
            }
        }
        if let Some(new_name) = new_name {
            statements.push(self.rename_column(table, column, new_name)?);
        }
        Ok(statements)
    }

    /// `CREATE [UNIQUE | FULLTEXT | SPATIAL] INDEX name ON t (keys) [USING HASH]`.
    fn create_index(&self, create: &CreateIndex) -> Result<Vec<Statement>, RenderError> {
        let CreateIndex { name, table, columns, unique, predicate, method, key_options, include, concurrently } =
            create;
        self.check_index_keys(columns, key_options)?;
        if !include.is_empty() {
            return Err(self.unsupported(format!(
                "index `{name}` includes columns beside its keys (`include`), which MySQL indexes do not take; make \
                 them keys, or drop `include`"
            )));
        }
        if predicate.is_some() {
            return Err(self.unsupported(format!(
                "index `{name}` is partial (`where`), and MySQL indexes every row; drop `where`, or create the index \
                 in an `sql` op for another dialect"
            )));
        }
        let (kind, using) = match method.as_deref().map(str::to_ascii_lowercase).as_deref() {
            None | Some("btree") => ("", ""),
            Some("hash") => ("", " USING HASH"),
            Some("fulltext") => ("FULLTEXT ", ""),
            Some("spatial") => ("SPATIAL ", ""),
            Some(other) => {
                return Err(self.invalid(format!(
                    "index method `{other}` is not one MySQL has: btree, hash, fulltext or spatial"
                )));
            }
        };
        if *unique && !kind.is_empty() {
            return Err(self.invalid(format!("a {} index cannot be unique; drop `unique`", kind.trim())));
        }
        let unique = if *unique { "UNIQUE " } else { "" };
        let keys = if kind.is_empty() {
            self.key_parts("index", columns, key_options, self.before.table(table))?
        } else {
            // Full-text and spatial indexes take whole columns.
            self.key_parts("index", columns, key_options, None)?
        };
        let online = if *concurrently && kind.is_empty() { ONLINE } else { "" };
        let mut statements = vec![Statement::new(format!(
            "CREATE {unique}{kind}INDEX {} ON {} {keys}{using}{online}",
            self.ident("index", name)?,
            self.ident("table", table)?
        ))];
        // An index that takes over a foreign key from a key dropped earlier (a unique
        // constraint made a unique index, an index made unique) lets the stand-in go.
        if kind.is_empty() {
            let plain: Vec<String> = columns
                .iter()
                .map_while(|key| match key {
                    IndexKey::Column(column) => Some(column.clone()),
                    IndexKey::Expr { .. } => None,
                })
                .collect();
            statements.extend(self.stand_in_index_cleanups(table, &plain));
        }
        Ok(statements)
    }

    fn add_constraint(
        &self,
        table: &str,
        constraint: &Constraint,
        concurrently: bool,
    ) -> Result<Vec<Statement>, RenderError> {
        let quoted = self.ident("table", table)?;
        let definition = self.table_constraint(constraint, self.before.table(table))?;
        let online = if concurrently && matches!(constraint, Constraint::Unique { .. }) { ONLINE_ALTER } else { "" };
        let mut statements = vec![Statement::new(format!("ALTER TABLE {quoted} ADD {definition}{online}"))];
        if matches!(constraint, Constraint::PrimaryKey { .. } | Constraint::Unique { .. }) {
            statements.extend(self.stand_in_index_cleanups(table, constraint.columns()));
        }
        Ok(statements)
    }

    /// A unique key is an index, renamed as one; the primary key is always `PRIMARY`. MySQL
    /// renames no foreign key or check: it is dropped and added again under its new name, as
    /// an earlier revision defined it.
    fn rename_constraint(
        &self,
        table: &str,
        name: &str,
        new_name: &str,
        existing: Option<&Constraint>,
    ) -> Result<Vec<Statement>, RenderError> {
        let quoted_table = self.ident("table", table)?;
        let (quoted, quoted_new) = (self.ident("constraint", name)?, self.ident("constraint", new_name)?);
        let known = self.before.table(table);
        let primary = known.is_some_and(|t| t.primary_key_name.as_deref() == Some(name))
            || matches!(existing, Some(Constraint::PrimaryKey { .. }));
        if primary {
            return Ok(Vec::new());
        }
        let known = known.and_then(|t| t.constraints.iter().find(|c| c.name() == Some(name)));
        let Some(existing) = known.or(existing) else {
            return Err(self.invalid(format!(
                "MySQL renames a foreign key or check by dropping it and adding it again from its definition, and \
                 neither the op (`existing`) nor an earlier revision defines constraint `{name}` on `{table}`; add \
                 `existing`, or write the change as `drop_constraint` and `add_constraint`"
            )));
        };
        let existing = &existing.with_name(Some(name.to_owned()));
        if matches!(existing, Constraint::Unique { .. }) {
            let head = format!("ALTER TABLE {quoted_table} RENAME INDEX ");
            let tail = format!(" TO {quoted_new}");
            if let Some(found) = self.by_definition(table, name, Some(existing), &head, &tail) {
                return Ok(vec![found]);
            }
            return Ok(vec![Statement::new(format!("{head}{quoted}{tail}"))]);
        }
        let mut statements = self.drop_constraint(table, name, Some(existing.kind()), Some(existing))?;
        statements.extend(self.add_constraint(table, &existing.with_name(Some(new_name.to_owned())), false)?);
        Ok(statements)
    }

    /// `head`, the name of the key or foreign key `existing` of `table`, and `tail`, when an
    /// earlier revision declared that constraint without a name
    /// ([`Schema::holds_unnamed`](crate::schema::Schema::holds_unnamed)):
    /// the revision may come from another backend, which named it otherwise, so a prepared
    /// statement finds MySQL's name for it in the catalog by its definition, `name` first
    /// (and uses `name` when nothing matches, so that MySQL's error names what is missing).
    /// `None` when the history knows the constraint by `name`.
    fn by_definition(
        &self,
        table: &str,
        name: &str,
        existing: Option<&Constraint>,
        head: &str,
        tail: &str,
    ) -> Option<Statement> {
        let existing = existing.filter(|existing| self.before.holds_unnamed(table, name, existing))?;
        // A name MySQL gives such a constraint (a unique key's first column, `t_ibfk_1`): the
        // revision was made here.
        let numbered = |prefix: &str| {
            name.strip_prefix(prefix).is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
        };
        let named_here = match existing {
            Constraint::Unique { columns, .. } => {
                columns.first().is_some_and(|first| name.eq_ignore_ascii_case(first) || numbered(&format!("{first}_")))
            }
            Constraint::ForeignKey { .. } => numbered(&format!("{table}_ibfk_")),
            Constraint::PrimaryKey { .. } | Constraint::Check { .. } => true,
        };
        if named_here {
            return None;
        }
        let list = |columns: &[String]| quote_literal(&columns.join(","));
        let (table_literal, name_literal) = (quote_literal(table), quote_literal(name));
        let lookup = match existing {
            Constraint::Unique { columns, .. } => format!(
                "SELECT INDEX_NAME FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = \
                 {table_literal} AND NON_UNIQUE = 0 AND INDEX_NAME <> 'PRIMARY' GROUP BY INDEX_NAME HAVING \
                 GROUP_CONCAT(COLUMN_NAME ORDER BY SEQ_IN_INDEX SEPARATOR ',') = {} ORDER BY INDEX_NAME = \
                 {name_literal} DESC LIMIT 1",
                list(columns)
            ),
            Constraint::ForeignKey { columns, references, .. } => format!(
                "SELECT CONSTRAINT_NAME FROM information_schema.KEY_COLUMN_USAGE WHERE TABLE_SCHEMA = DATABASE() AND \
                 TABLE_NAME = {table_literal} AND REFERENCED_TABLE_NAME = {} GROUP BY CONSTRAINT_NAME HAVING \
                 GROUP_CONCAT(COLUMN_NAME ORDER BY ORDINAL_POSITION SEPARATOR ',') = {} AND \
                 GROUP_CONCAT(REFERENCED_COLUMN_NAME ORDER BY ORDINAL_POSITION SEPARATOR ',') = {} ORDER BY \
                 CONSTRAINT_NAME = {name_literal} DESC LIMIT 1",
                quote_literal(&references.table),
                list(columns),
                list(&references.columns)
            ),
            Constraint::PrimaryKey { .. } | Constraint::Check { .. } => return None,
        };
        Some(Statement::new(format!(
            "SET @aludel_constraint = COALESCE(({lookup}), {name_literal});\n\
             SET @aludel_constraint = CONCAT({}, '`', REPLACE(@aludel_constraint, '`', '``'), '`', {});\n\
             PREPARE aludel_constraint FROM @aludel_constraint;\nEXECUTE aludel_constraint;\n\
             DEALLOCATE PREPARE aludel_constraint",
            quote_literal(head),
            quote_literal(tail)
        )))
    }

    /// Each kind of constraint has its own `DROP`; a foreign key takes the index MySQL made
    /// for it along.
    fn drop_constraint(
        &self,
        table: &str,
        name: &str,
        kind: Option<ConstraintKind>,
        existing: Option<&Constraint>,
    ) -> Result<Vec<Statement>, RenderError> {
        let quoted_table = self.ident("table", table)?;
        let known = self.before.table(table);
        let kind = kind.or(existing.map(Constraint::kind)).or_else(|| {
            let known = known?;
            if known.primary_key_name.as_deref() == Some(name) || name == "PRIMARY" {
                return Some(ConstraintKind::PrimaryKey);
            }
            known.constraints.iter().find(|c| c.name() == Some(name)).map(Constraint::kind)
        });
        let quoted = self.ident("constraint", name)?;
        Ok(match kind {
            Some(ConstraintKind::PrimaryKey) => {
                let columns = known.map(|t| t.primary_key.clone()).unwrap_or_default();
                let replacement = self.foreign_key_index(table, None, &columns)?;
                vec![Statement::new(format!("ALTER TABLE {quoted_table} DROP PRIMARY KEY{replacement}"))]
            }
            Some(ConstraintKind::Unique) => {
                let columns = existing
                    .or_else(|| known?.constraints.iter().find(|c| c.name() == Some(name)))
                    .map(|c| c.columns().to_vec())
                    .unwrap_or_default();
                let head = format!("ALTER TABLE {quoted_table} DROP INDEX ");
                let replacement = self.foreign_key_index(table, Some(name), &columns)?;
                match self.by_definition(table, name, existing, &head, &replacement) {
                    Some(found) => vec![found],
                    None => vec![self.drop_index(table, name, &columns, false)?],
                }
            }
            Some(ConstraintKind::Check) => {
                vec![Statement::new(format!("ALTER TABLE {quoted_table} DROP CONSTRAINT {quoted}"))]
            }
            Some(ConstraintKind::ForeignKey) => {
                let head = format!("ALTER TABLE {quoted_table} DROP FOREIGN KEY ");
                let mut statements = vec![
                    self.by_definition(table, name, existing, &head, "")
                        .unwrap_or_else(|| Statement::new(format!("{head}{quoted}"))),
                ];
                let columns = existing
                    .or_else(|| known?.constraints.iter().find(|c| c.name() == Some(name)))
                    .map(|c| c.columns().to_vec())
                    .unwrap_or_default();
                if let Some(cleanup) = self.drop_foreign_key_index(table, name, &columns) {
                    statements.push(cleanup);
                }
                statements
            }
            None => {
                return Err(self.invalid(
                    "MySQL drops each kind of constraint with its own statement, and the op does not say which kind \
                     this is; set `kind` (primary_key, unique, foreign_key or check)",
                ));
            }
        })
    }

    /// `DROP INDEX`. MySQL refuses to drop the index a foreign key uses; when the index on
    /// `columns` is the one left that starts with a foreign key's columns, the same statement
    /// adds the index MySQL would have made for the key (named after the key, else after its
    /// first column, as MySQL names one).
    /// `DROP INDEX`; online, the `ALTER TABLE` form, as MariaDB's `DROP INDEX` takes no
    /// `ALGORITHM`.
    fn drop_index(&self, table: &str, name: &str, columns: &[String], online: bool) -> Result<Statement, RenderError> {
        let replacement = self.foreign_key_index(table, Some(name), columns)?;
        let (table, name) = (self.ident("table", table)?, self.ident("index", name)?);
        Ok(Statement::new(if replacement.is_empty() && !online {
            format!("DROP INDEX {name} ON {table}")
        } else {
            let online = if online { ONLINE_ALTER } else { "" };
            format!("ALTER TABLE {table} DROP INDEX {name}{replacement}{online}")
        }))
    }

    /// `, ADD INDEX ...` for a foreign key of `table` that only the key on `columns` serves
    /// (the index `dropped`, or the primary key when `None`); empty when none needs it.
    fn foreign_key_index(&self, table: &str, dropped: Option<&str>, columns: &[String]) -> Result<String, RenderError> {
        let Some(known) = self.before.table(table) else { return Ok(String::new()) };
        let serves =
            |key: &[String], foreign: &[String]| key.len() >= foreign.len() && key[..foreign.len()] == *foreign;
        let mut others: Vec<Vec<String>> = Vec::new();
        if dropped.is_some() && !known.primary_key.is_empty() {
            others.push(known.primary_key.clone());
        }
        for constraint in &known.constraints {
            // The dropped key itself, by name, or by its columns when the history declared it
            // without one (MySQL named it after its first column).
            let is_dropped = |name: &Option<String>, key: &[String]| {
                dropped.is_some() && (name.as_deref() == dropped || (name.is_none() && key == columns))
            };
            if let Constraint::Unique { name, columns: key } = constraint
                && !is_dropped(name, key)
            {
                others.push(key.clone());
            }
        }
        for index in self.before.indexes_on(table) {
            if Some(index.name.as_str()) != dropped {
                others.push(plain_columns(index));
            }
        }
        let mut added = Vec::new();
        for constraint in &known.constraints {
            let Constraint::ForeignKey { name: key_name, columns: foreign, .. } = constraint else { continue };
            if foreign.is_empty() || !serves(columns, foreign) || others.iter().any(|key| serves(key, foreign)) {
                continue;
            }
            let keys = self.column_keys("index", foreign, Some(known))?;
            // Named as MySQL names the index it makes for a key: after the key, else after its
            // first column (which a unique key declared without a name is named after too, so
            // adding that key back would collide with it).
            let stand_in = key_name.as_deref().unwrap_or(&foreign[0]);
            added.push(format!(", ADD INDEX {} {keys}", self.ident("index", stand_in)?));
            others.push(foreign.clone());
        }
        Ok(added.concat())
    }

    /// Once a new primary key, unique constraint or index on `key` serves a foreign key of
    /// `table`, drops the stand-in index an earlier drop of its key added for it
    /// ([`Self::foreign_key_index`]), if it exists: left there, it would be an index no model
    /// declares, and the same drop run again (a downgrade, the next change of the key) would
    /// fail on its name. (After the index on a new table's foreign key, the statement finds
    /// nothing to drop: MySQL drops the index it made for the key itself.)
    fn stand_in_index_cleanups(&self, table: &str, key: &[String]) -> Vec<Statement> {
        let Some(known) = self.before.table(table) else { return Vec::new() };
        known
            .constraints
            .iter()
            .filter_map(|constraint| match constraint {
                Constraint::ForeignKey { name, columns, .. }
                    if !columns.is_empty() && key.len() >= columns.len() && key[..columns.len()] == **columns =>
                {
                    self.drop_foreign_key_index(table, name.as_deref().unwrap_or(&columns[0]), columns)
                }
                _ => None,
            })
            .collect()
    }

    /// Drops the index MySQL created for the foreign key `name` on `columns`, if it exists:
    /// named after the key, or after its first column when the key was unnamed. An index
    /// `before` knows by one of those names is the models' own and stays.
    fn drop_foreign_key_index(&self, table: &str, name: &str, columns: &[String]) -> Option<Statement> {
        let mut candidates = vec![name.to_owned()];
        candidates.extend(columns.first().filter(|first| *first != name).cloned());
        candidates.retain(|candidate| self.before.indexes.get(candidate).is_none_or(|index| index.table != table));
        if candidates.is_empty() {
            return None;
        }
        let names: Vec<String> = candidates.iter().map(|c| quote_literal(c)).collect();
        let condition = if columns.is_empty() {
            String::new()
        } else {
            format!(
                " HAVING GROUP_CONCAT(COLUMN_NAME ORDER BY SEQ_IN_INDEX SEPARATOR ',') = {}",
                quote_literal(&columns.join(","))
            )
        };
        let alter = format!("ALTER TABLE {} DROP INDEX ", quote_ident(table));
        // No `DROP INDEX IF EXISTS` in MySQL: the statement is prepared from the catalog.
        Some(Statement::new(format!(
            "SET @aludel_fk_index = (SELECT COALESCE(MIN(CONCAT({}, '`', REPLACE(INDEX_NAME, '`', '``'), '`')), \
             'DO 0') FROM (SELECT INDEX_NAME FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() \
             AND TABLE_NAME = {} AND NON_UNIQUE = 1 AND INDEX_NAME IN ({}) GROUP BY INDEX_NAME{condition}) AS i);\n\
             PREPARE aludel_fk_index FROM @aludel_fk_index;\nEXECUTE aludel_fk_index;\n\
             DEALLOCATE PREPARE aludel_fk_index",
            quote_literal(&alter),
            quote_literal(table),
            names.join(", ")
        )))
    }

    /// `MODIFY COLUMN` of every column of the enum `name`, with the values the op leaves.
    fn restate_enum_columns(&self, name: &str) -> Result<Vec<Statement>, RenderError> {
        let mut after = self.before.clone();
        after.apply(self.op).map_err(|source| RenderError::Schema { op: self.op.describe(), problem: source })?;
        let wanted = ColumnType::Enum(name.to_owned());
        let mut statements = Vec::new();
        for table in self.before.tables.values() {
            let modifies: Result<Vec<String>, RenderError> = table
                .columns
                .iter()
                .filter(|c| c.ty == wanted)
                .map(|c| Ok(format!("MODIFY COLUMN {}", self.column_def(c, &after.enums)?)))
                .collect();
            let modifies = modifies?;
            if !modifies.is_empty() {
                statements.push(Statement::new(format!(
                    "ALTER TABLE {} {}",
                    self.ident("table", &table.name)?,
                    modifies.join(", ")
                )));
            }
        }
        Ok(statements)
    }
}

/// Whether `ty` is an integer type, neutral or one of MySQL's (`int(10) unsigned`).
fn integer_type(ty: &ColumnType) -> bool {
    match ty {
        ColumnType::SmallInt | ColumnType::Integer | ColumnType::BigInt => true,
        ColumnType::Custom(text) => {
            let lower = text.trim().to_ascii_lowercase();
            let base = lower.split(['(', ' ']).next().unwrap_or_default();
            matches!(base, "tinyint" | "smallint" | "mediumint" | "int" | "integer" | "bigint")
        }
        _ => false,
    }
}

/// The leading plain columns of an index's keys.
fn plain_columns(index: &crate::schema::Index) -> Vec<String> {
    index
        .columns
        .iter()
        .map_while(|k| match k {
            IndexKey::Column(c) => Some(c.clone()),
            IndexKey::Expr { .. } => None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dialect::common::ddl::check_render;

    /// `input` lists ops under `[[op]]`: all but the last build `before`, the last is
    /// rendered. `expected` is its statements, or the error's message.
    fn check(input: &str, expected: Result<&[&str], &str>) {
        check_render(|op, before| render(op, before, UuidStorage::Char36), input, expected);
    }

    const ITEMS: &str = r#"
        [[op]]
        op = "create_enum"
        name = "mood"
        values = ["sad", "ok"]

        [[op]]
        op = "create_table"
        table = "items"
        columns = [
            { name = "id", type = "bigint", nullable = false, identity = true },
            { name = "body", type = "text", default = { value = "it's" } },
            { name = "mood", type = "enum:mood", nullable = false, default = { value = "ok" } },
            { name = "at", type = "timestamptz", default = { expr = "current_timestamp" } },
        ]
        primary_key = ["id"]
    "#;

    fn op(text: &str) -> String {
        format!("{ITEMS}\n[[op]]\n{text}")
    }

    #[test]
    fn create_table_spells_mysql_columns() {
        check(
            &format!(
                "{ITEMS}\n[[op]]\nop = \"create_index\"\ntable = \"items\"\nname = \"ix\"\ncolumns = [\"body\", \"id\", {{ expr = \"body(10)\" }}]"
            ),
            Ok(&["CREATE INDEX `ix` ON `items` (`body`(255), `id`, `body`(10))"]),
        );
        check(
            r#"
            [[op]]
            op = "create_enum"
            name = "mood"
            values = ["sad", "ok"]

            [[op]]
            op = "create_table"
            table = "items"
            comment = "things"
            columns = [
                { name = "id", type = "bigint", nullable = false, identity = true },
                { name = "body", type = "text", default = { value = "it's" }, comment = "a\\b" },
                { name = "mood", type = "enum:mood", nullable = false, default = { value = "ok" } },
                { name = "at", type = "timestamptz", default = { expr = "current_timestamp" } },
                { name = "on", type = "date", default = { expr = "current_date" } },
                { name = "twice", type = "bigint", generated = { expr = "id * 2", stored = false } },
            ]
            primary_key = ["id"]
            primary_key_name = "items_pk"
            constraints = [{ kind = "unique", name = "items_body_key", columns = ["body"] }]
            "#,
            Ok(&["CREATE TABLE `items` (\n    `id` BIGINT NOT NULL AUTO_INCREMENT,\n    \
                 `body` TEXT DEFAULT ('it''s') COMMENT 'a\\\\b',\n    \
                 `mood` ENUM('sad','ok') NOT NULL DEFAULT 'ok',\n    \
                 `at` DATETIME(6) DEFAULT CURRENT_TIMESTAMP(6),\n    `on` DATE DEFAULT (CURRENT_DATE),\n    \
                 `twice` BIGINT GENERATED ALWAYS AS (id * 2) VIRTUAL,\n    PRIMARY KEY (`id`),\n    \
                 CONSTRAINT `items_body_key` UNIQUE (`body`(255))\n) COMMENT = 'things'"]),
        );
    }

    #[test]
    fn alter_column_restates_the_column() {
        check(
            &op("op = \"alter_column\"\ntable = \"items\"\ncolumn = \"mood\"\nnullable = true\nnew_name = \"feeling\""),
            Ok(&[
                "ALTER TABLE `items` MODIFY COLUMN `mood` ENUM('sad','ok') DEFAULT 'ok'",
                "ALTER TABLE `items` RENAME COLUMN `mood` TO `feeling`",
            ]),
        );
        check(
            "[[op]]\nop = \"alter_column\"\ntable = \"legacy\"\ncolumn = \"n\"\ndefault = { to = { value = 2 } }",
            Ok(&["ALTER TABLE `legacy` ALTER COLUMN `n` SET DEFAULT 2"]),
        );
        check(
            "[[op]]\nop = \"alter_column\"\ntable = \"legacy\"\ncolumn = \"n\"\nnullable = false",
            Err("alter_column legacy.n: MySQL changes a column by restating its whole definition, and no earlier \
                 revision defines `legacy.n` (a database stamped without a baseline?); stamp a baseline revision \
                 that creates the tables (README: adopting aludel), or write the change as an `sql` op with \
                 `dialect = \"mysql\"` (ALTER TABLE ... MODIFY COLUMN ...)"),
        );
    }

    #[test]
    fn add_enum_value_restates_every_column_of_the_enum() {
        check(
            &op("op = \"add_enum_value\"\nname = \"mood\"\nvalue = \"happy\"\nbefore = \"ok\""),
            Ok(&["ALTER TABLE `items` MODIFY COLUMN `mood` ENUM('sad','happy','ok') NOT NULL DEFAULT 'ok'"]),
        );
    }

    #[test]
    fn constraints_are_dropped_by_kind() {
        check(
            "[[op]]\nop = \"drop_constraint\"\ntable = \"t\"\nname = \"t_pkey\"\nkind = \"primary_key\"",
            Ok(&["ALTER TABLE `t` DROP PRIMARY KEY"]),
        );
        check(
            "[[op]]\nop = \"drop_constraint\"\ntable = \"t\"\nname = \"t_c_key\"\nkind = \"unique\"",
            Ok(&["DROP INDEX `t_c_key` ON `t`"]),
        );
        // The index a foreign key uses goes only with the index MySQL would have made instead.
        let referenced = r#"
            [[op]]
            op = "create_table"
            table = "p"
            columns = [{ name = "id", type = "integer", nullable = false }]
            primary_key = ["id"]

            [[op]]
            op = "create_table"
            table = "t"
            columns = [{ name = "id", type = "integer", nullable = false }, { name = "p_id", type = "integer" }]
            primary_key = ["id"]
            constraints = [{ kind = "foreign_key", columns = ["p_id"], references = { table = "p", columns = ["id"] } }]

            [[op]]
            op = "create_index"
            table = "t"
            name = "ix_t_p_id"
            columns = ["p_id", "id"]
        "#;
        check(
            &format!("{referenced}\n[[op]]\nop = \"drop_index\"\ntable = \"t\"\nname = \"ix_t_p_id\""),
            Ok(&["ALTER TABLE `t` DROP INDEX `ix_t_p_id`, ADD INDEX `p_id` (`p_id`)"]),
        );
        check(
            "[[op]]\nop = \"drop_constraint\"\ntable = \"t\"\nname = \"t_c_check\"\nkind = \"check\"",
            Ok(&["ALTER TABLE `t` DROP CONSTRAINT `t_c_check`"]),
        );
        check(
            "[[op]]\nop = \"drop_constraint\"\ntable = \"t\"\nname = \"t_x\"",
            Err("drop_constraint t_x on t: MySQL drops each kind of constraint with its own statement, and the op \
                 does not say which kind this is; set `kind` (primary_key, unique, foreign_key or check)"),
        );
        check(
            "[[op]]\nop = \"drop_constraint\"\ntable = \"t\"\nname = \"t_p_fkey\"\n\
             existing = { kind = \"foreign_key\", name = \"t_p_fkey\", columns = [\"p\"], references = { table = \"p\", columns = [\"id\"] } }",
            Ok(&[
                "ALTER TABLE `t` DROP FOREIGN KEY `t_p_fkey`",
                "SET @aludel_fk_index = (SELECT COALESCE(MIN(CONCAT('ALTER TABLE `t` DROP INDEX ', '`', \
                 REPLACE(INDEX_NAME, '`', '``'), '`')), 'DO 0') FROM (SELECT INDEX_NAME FROM \
                 information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 't' AND NON_UNIQUE = \
                 1 AND INDEX_NAME IN ('t_p_fkey', 'p') GROUP BY INDEX_NAME HAVING GROUP_CONCAT(COLUMN_NAME ORDER BY \
                 SEQ_IN_INDEX SEPARATOR ',') = 'p') AS i);\nPREPARE aludel_fk_index FROM @aludel_fk_index;\n\
                 EXECUTE aludel_fk_index;\nDEALLOCATE PREPARE aludel_fk_index",
            ]),
        );
    }

    #[test]
    fn what_mysql_lacks_is_refused() {
        check(
            "[[op]]\nop = \"create_index\"\ntable = \"t\"\nname = \"ix\"\ncolumns = [\"a\"]\nwhere = \"a > 0\"",
            Err("create_index ix on t is not supported on mysql: index `ix` is partial (`where`), and MySQL indexes \
                 every row; drop `where`, or create the index in an `sql` op for another dialect"),
        );
        check(
            "[[op]]\nop = \"create_index\"\ntable = \"t\"\nname = \"ix\"\ncolumns = [{ expr = \"lower(a)\" }]",
            Err("create_index ix on t is not supported on mysql: the index key `lower(a)` is an expression, and \
                 MariaDB indexes columns only; index a generated column instead"),
        );
        check(
            "[[op]]\nop = \"add_column\"\ntable = \"t\"\ncolumn = { name = \"tags\", type = \"text[]\" }",
            Err("add_column t.tags is not supported on mysql: column `tags` has type `text[]`, and MySQL has no \
                 array types; store it as json"),
        );
        check(
            "[[op]]\nop = \"add_column\"\ntable = \"t\"\ncolumn = { name = \"r\", type = \"double\", default = { value = nan } }",
            Err("add_column t.r is not supported on mysql: column `r` defaults to NaN, and MySQL floats hold no NaN \
                 or infinity; pick another default"),
        );
        check(
            "[[op]]\nop = \"add_constraint\"\ntable = \"t\"\n\
             constraint = { kind = \"foreign_key\", columns = [\"a\"], references = { table = \"p\", columns = [\"id\"] }, on_delete = \"set_default\" }",
            Err("add_constraint t is not supported on mysql: InnoDB has no SET DEFAULT action on foreign keys; use \
                 set_null, cascade, restrict or no_action"),
        );
        check(
            "[[op]]\nop = \"create_table\"\ntable = \"t\"\ncolumns = [{ name = \"id\", type = \"integer\", identity = true, nullable = false }]",
            Err("create_table t is not supported on mysql: identity column `id` starts no key of table `t`, and \
                 MySQL auto-increments only a key column; make it the primary key"),
        );
    }
}
