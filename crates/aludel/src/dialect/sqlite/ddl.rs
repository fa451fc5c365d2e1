//! SQLite's spelling of what both the op renderer (`render`) and the table rebuild
//! (`rebuild`) write: column definitions, `CREATE TABLE` (with an identity column as
//! `INTEGER PRIMARY KEY AUTOINCREMENT` and enum columns as `TEXT` with a named CHECK) and
//! `CREATE INDEX`, on top of the shapes in `common::ddl`.

use std::collections::BTreeMap;

use crate::dialect::common::ddl::{DdlSpelling, IndexSql};
use crate::dialect::common::expressions::{PostgresSyntax, postgres_syntax};
use crate::dialect::common::quote_literal;
use crate::dialect::sqlite::ENUM_CHECK_PREFIX;
use crate::dialect::sqlite::types::column_type;
use crate::dialect::{RenderError, Statement};
use crate::ops::Op;
use crate::schema::{Column, ColumnType, Constraint, EnumType, Index, Schema, Table};

/// The table's primary key columns and name, whether `primary_key` or a primary key
/// constraint declares it.
pub(super) fn primary_key(table: &Table) -> (&[String], Option<&str>) {
    if !table.primary_key.is_empty() {
        return (&table.primary_key, table.primary_key_name.as_deref());
    }
    table
        .constraints
        .iter()
        .find_map(|c| match c {
            Constraint::PrimaryKey { name, columns } => Some((columns.as_slice(), name.as_deref())),
            _ => None,
        })
        .unwrap_or((&[], None))
}

/// The identity column that is the table's whole primary key, rendered as
/// `INTEGER PRIMARY KEY AUTOINCREMENT`.
pub(super) fn autoincrement_column(table: &Table) -> Option<&Column> {
    match primary_key(table).0 {
        [only] => table.column(only).filter(|c| c.identity),
        _ => None,
    }
}

/// Renders the parts of one op; errors name the op.
pub(super) struct Renderer<'a> {
    pub(super) op: &'a Op,
    /// The enums whose values an enum column's CHECK lists.
    enums: &'a BTreeMap<String, EnumType>,
}

impl<'a> Renderer<'a> {
    /// A renderer for `op` whose enum columns take their values from `schema`.
    pub(super) fn new(op: &'a Op, schema: &'a Schema) -> Self {
        Renderer { op, enums: &schema.enums }
    }

    /// Spells a column's type, naming the op and the column when SQLite has no such type.
    fn column_type(&self, column: &str, ty: &ColumnType) -> Result<String, RenderError> {
        column_type(ty).map_err(|err| match err {
            RenderError::Unsupported { hint, .. } => {
                self.unsupported(format!("column `{column}` has type `{ty}`, and {hint}"))
            }
            other => other,
        })
    }

    /// `"name" TYPE [NOT NULL] [DEFAULT ...] [GENERATED ALWAYS AS (...) STORED|VIRTUAL]
    /// [CHECK (... IN (...))]`; an identity column that is the whole primary key is
    /// `"name" INTEGER NOT NULL [CONSTRAINT "pk"] PRIMARY KEY AUTOINCREMENT`, and
    /// `autoincrement` carries that key's name then.
    pub(super) fn column_def(
        &self,
        column: &Column,
        autoincrement: Option<Option<&str>>,
    ) -> Result<String, RenderError> {
        let name = &column.name;
        self.refuse_on_update(name, column.on_update.is_some())?;
        let quoted = self.ident("column", name)?;
        self.check_value_source(column)?;
        if column.identity && !matches!(column.ty, ColumnType::SmallInt | ColumnType::Integer | ColumnType::BigInt) {
            return Err(self.invalid(format!(
                "column `{name}` is an identity column of type `{}`; identity needs an integer type (smallint, \
                 integer or bigint)",
                column.ty
            )));
        }
        if let Some(key_name) = autoincrement {
            let constraint = match key_name {
                Some(key_name) => format!("CONSTRAINT {} ", self.ident("constraint", key_name)?),
                None => String::new(),
            };
            // Only `INTEGER` (not `BIGINT`) makes the column the rowid, which AUTOINCREMENT needs;
            // the rowid is 64 bits wide anyway.
            return Ok(format!("{quoted} INTEGER NOT NULL {constraint}PRIMARY KEY AUTOINCREMENT"));
        }
        let mut sql = format!("{quoted} {}", self.column_type(name, &column.ty)?);
        sql.push_str(&self.collate(column.collation.as_deref())?);
        if !column.nullable {
            sql.push_str(" NOT NULL");
        }
        if let Some(default) = &column.default {
            sql.push_str(&format!(" DEFAULT {}", self.default_value(name, default)?));
        }
        if let Some(generated) = &column.generated {
            let expr = self.expr("generated expression", &generated.expr)?;
            let storage = if generated.stored { "STORED" } else { "VIRTUAL" };
            sql.push_str(&format!(" GENERATED ALWAYS AS ({expr}) {storage}"));
        }
        if let ColumnType::Enum(enum_name) = &column.ty {
            let Some(known) = self.enums.get(enum_name) else {
                return Err(self.invalid(format!(
                    "column `{name}` has type `enum:{enum_name}`, but no enum `{enum_name}` exists at this point of \
                     the migration history; create it with `create_enum` first"
                )));
            };
            let values: Vec<String> = known.values.iter().map(|v| quote_literal(v)).collect();
            // Named after the enum, so that introspection reads the column back as `enum:<name>`.
            let check_name = self.ident("enum", &format!("{ENUM_CHECK_PREFIX}{enum_name}"))?;
            sql.push_str(&format!(" CONSTRAINT {check_name} CHECK ({quoted} IN ({}))", values.join(",")));
        }
        Ok(sql)
    }

    /// A foreign key of one column as the column's own clause, `[CONSTRAINT "name"] REFERENCES
    /// "t" ("c") [ON DELETE ...] [ON UPDATE ...]`, for `ALTER TABLE ... ADD COLUMN`: the table
    /// constraint's spelling without its `FOREIGN KEY ("col")`.
    pub(super) fn column_references(&self, constraint: &Constraint) -> Result<String, RenderError> {
        let spelled = self.constraint(constraint)?;
        let Constraint::ForeignKey { columns, .. } = constraint else { return Ok(spelled) };
        let key = format!("FOREIGN KEY {} ", self.column_list("foreign key", columns)?);
        Ok(spelled.replacen(&key, "", 1))
    }

    /// `CREATE TABLE "name" (...)` for `table`; a rebuild passes its temporary name.
    pub(super) fn create_table(&self, table: &Table, name: &str) -> Result<Statement, RenderError> {
        self.check_has_columns(table)?;
        self.check_primary_key(table)?;
        let (key_columns, key_name) = primary_key(table);
        let autoincrement = autoincrement_column(table);
        let mut lines = Vec::with_capacity(table.columns.len() + table.constraints.len() + 1);
        for column in &table.columns {
            let inline_key = autoincrement.filter(|c| c.name == column.name).map(|_| key_name);
            if column.identity && inline_key.is_none() {
                return Err(self.unsupported(format!(
                    "column `{}` is an identity column, and SQLite auto-increments only a table's single-column \
                     primary key; make `{}` the only primary key column, or drop `identity`",
                    column.name, column.name
                )));
            }
            lines.push(self.column_def(column, inline_key)?);
        }
        if autoincrement.is_none() && !table.primary_key.is_empty() {
            lines.push(self.constraint(&Constraint::PrimaryKey {
                name: key_name.map(str::to_owned),
                columns: key_columns.to_vec(),
            })?);
        }
        for constraint in &table.constraints {
            if autoincrement.is_some() && matches!(constraint, Constraint::PrimaryKey { .. }) {
                continue;
            }
            lines.push(self.constraint(constraint)?);
        }
        Ok(Statement::new(format!("CREATE TABLE {} (\n    {}\n)", self.ident("table", name)?, lines.join(",\n    "))))
    }

    /// `CREATE [UNIQUE] INDEX "name" ON "t" (keys) [WHERE ...]`.
    pub(super) fn create_index(&self, index: &Index) -> Result<Statement, RenderError> {
        let Index { name, table, columns, unique, predicate, method, key_options, include } = index;
        self.check_index_keys(columns, key_options)?;
        if !include.is_empty() {
            return Err(self.unsupported(format!(
                "index `{name}` includes columns beside its keys (`include`), which SQLite indexes do not take; make \
                 them keys, or drop `include`"
            )));
        }
        if let Some(method) = method.as_deref().filter(|m| !m.eq_ignore_ascii_case("btree")) {
            return Err(self.unsupported(format!(
                "index `{name}` uses method `{method}`, and SQLite has only b-tree indexes; drop `method`, or create \
                 the index in an `sql` op with `dialect = \"postgresql\"`"
            )));
        }
        // The keys are checked before the names, as this renderer always has.
        let keys = self.index_keys(columns, key_options)?;
        let index = IndexSql {
            unique: *unique,
            concurrently: false,
            name: self.ident("index", name)?,
            table: self.ident("table", table)?,
            method: None,
            keys,
            include: Vec::new(),
            predicate: self.index_predicate(predicate.as_deref())?,
        };
        Ok(Statement::new(index.to_string()))
    }
}

impl DdlSpelling for Renderer<'_> {
    const DIALECT: &'static str = "sqlite";
    const BACKEND: &'static str = "SQLite";

    fn key_option_support(&self) -> (bool, bool) {
        (false, false)
    }

    fn op(&self) -> &Op {
        self.op
    }

    fn bool_literal(&self, value: bool) -> &'static str {
        if value { "1" } else { "0" }
    }

    fn non_finite_default(&self, column: &str, value: f64) -> Result<String, RenderError> {
        if value.is_nan() {
            return Err(self.unsupported(format!(
                "column `{column}` defaults to NaN, which SQLite stores as NULL; pick another default"
            )));
        }
        // SQLite reads a literal beyond the double range as infinity.
        Ok(if value > 0.0 { "9e999" } else { "-9e999" }.into())
    }

    /// SQLite takes an expression as a default only in parentheses.
    fn sql_default(&self, expr: &str) -> String {
        format!("({expr})")
    }

    /// SQLite reads `IS DISTINCT FROM` (since 3.39) but none of PostgreSQL's other own syntax.
    fn unreadable_syntax(&self, expr: &str) -> Option<String> {
        postgres_syntax(expr, false)
            .filter(|syntax| *syntax != PostgresSyntax::DistinctFrom)
            .map(|syntax| syntax.refusal("SQLite"))
    }
}
