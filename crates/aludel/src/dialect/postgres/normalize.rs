//! Models normalized to PostgreSQL's own spellings, so that the diff compares them with an
//! introspected database using `==`: [`normalize`] returns what introspection would read
//! back once the models were created in the database.
//!
//! What follows from PostgreSQL's rules alone is normalized here, without a round trip:
//! - a foreign key action of `no_action` is absent, and an index method of `btree` too
//!   (introspection reads them so); other methods are lower-cased;
//! - `serial`, `bigserial` and `smallserial` (and `serial2/4/8`) are identity columns of
//!   their integer type; identity and primary key columns are `NOT NULL`;
//! - a primary key declared among the constraints is the table's `primary_key`;
//! - `char` without a length is `char(1)`;
//! - `DEFAULT NULL` is no default, and an empty comment is no comment;
//! - constraints are sorted by name, as introspection returns them (unnamed ones first, in
//!   the models' order). Unnamed constraints stay unnamed: the diff matches them by shape,
//!   and a name PostgreSQL would pick is no part of the models.
//!
//! Everything else goes through the database, because only PostgreSQL knows how it prints
//! what it stores: custom and pass-through types (`float8`, `int4`, `citext`,
//! `character varying(20)`), raw SQL defaults (`now()`, `'{}'::jsonb`), literal defaults
//! whose reading depends on the column's type (a string on a `jsonb` or `char(5)` column),
//! check expressions, generated columns, index expressions and partial-index predicates.
//! In one transaction that is always rolled back, one batch of statements creates a scratch
//! schema with a unique name, the models' enum types in it, tables with one column per
//! distinct (type, default) spelling (split at PostgreSQL's 1,600 columns), and a copy of
//! each model table that carries expressions (its columns, generated columns and checks; no
//! keys, foreign keys or defaults) with those of its indexes that have expressions or a
//! predicate. The copies are partitioned tables, which have no storage, so a thousand of
//! them take well under a second. Checks and indexes get scratch names, so that nothing
//! clashes and unnamed constraints stay unnamed. `search_path` puts the scratch schema first,
//! then the session's own, so that types and functions resolve as they would for the models.
//! The same introspection then reads the scratch schema, and its spellings are mapped back
//! onto the models. Six round trips whatever the size of the models (the batch, four catalog
//! queries, the rollback); none at all when nothing needs the database.
//!
//! When PostgreSQL refuses part of the models, the batch is rolled back and run again with
//! each object in its own guarded block, which names the first object refused:
//! [`IntrospectError::Model`]. Nothing is left behind, on success or on error.
//!
//! Not handled: a custom type that names an enum the models do not declare (it reads back as
//! a custom type here, as an enum from the database), and a string default that PostgreSQL
//! evaluates when the column is created (`'now'` on a timestamp column is frozen then).

use crate::dialect::common::normalize::{FoldedKeys, PostgresSpellings, fold_keys, unspelled};
use crate::dialect::common::scratch::{
    Normalization, ScratchNames, ScratchRules, Spelling, render_reason, scratch_token, spelling_column,
};
use crate::dialect::common::{quote_ident_ansi, quote_literal};
use crate::dialect::postgres::introspect::introspect;
use crate::dialect::postgres::render::render;
use crate::dialect::postgres::text::dollar_tag;
use crate::dialect::postgres::types::column_type;
use crate::dialect::{IntrospectError, IntrospectOptions, Session};
use crate::ops::{CreateIndex, Op};
use crate::schema::{
    Column, ColumnType, Constraint, DefaultValue, Generated, Index, Literal, PortableExpr, ReferentialAction, Schema,
    Table,
};

/// PostgreSQL's limit on the number of columns of a table.
const MAX_COLUMNS: usize = 1600;

/// What [`IntrospectError::Query`] names when the scratch work itself fails.
const SCRATCH: &str = "models' spellings (through a scratch schema)";

/// Normalizes `models`: states them as PostgreSQL reads them back once created (see the
/// module documentation for what is settled in Rust and what through the database).
///
/// The session must not be inside a transaction: the scratch work runs in a transaction of
/// its own, which is always rolled back. Creating the scratch schema needs the `CREATE`
/// privilege on the database.
///
/// # Errors
///
/// [`IntrospectError::Model`] naming the table and the column, type, default, check or
/// index that PostgreSQL (or the renderer) refuses, with its message;
/// [`IntrospectError::Query`] when the scratch work fails for another reason (no privilege
/// to create a schema, a lost connection).
///
/// # Examples
///
/// ```no_run
/// # async fn example(models: aludel::schema::Schema) -> Result<(), Box<dyn std::error::Error>> {
/// use aludel::dialect::{Backend, IntrospectOptions};
/// use aludel::diff::{DiffOptions, diff};
///
/// let mut session = Backend::Postgres.connect("postgresql://postgres@127.0.0.1/app", &Default::default()).await?;
/// let database = session.introspect(&IntrospectOptions::default()).await?;
/// let models = aludel::dialect::postgres::normalize(session.as_mut(), &models).await?;
/// assert!(diff(&database, &models, &DiffOptions::default()).is_empty(), "the database matches the models");
/// # Ok(())
/// # }
/// ```
pub async fn normalize(session: &mut dyn Session, models: &Schema) -> Result<Schema, IntrospectError> {
    let mut normalization = Normalization::new(&PostgresRules, models, models.enums.clone())?;
    if normalization.is_settled() {
        return Ok(normalization.finish());
    }
    let scratch = Scratch::new(&normalization.schema);
    let sql = ScratchSql::new(&normalization, &scratch)?;
    let read = sql.run(session, &scratch).await?;
    normalization.read_back(&PostgresRules, &read, &scratch)?;
    Ok(normalization.finish())
}

/// PostgreSQL's rules for what it spells by itself.
struct PostgresRules;

impl ScratchRules for PostgresRules {
    fn normalize_table(&self, table: &Table, models: &Schema) -> Result<Table, IntrospectError> {
        normalize_table(table, models)
    }

    fn normalize_index(&self, index: &Index, _models: &Schema) -> Option<Index> {
        Some(normalize_index(index))
    }

    fn needs_database(&self, column: &Column, models: &Schema) -> bool {
        needs_database(column, models)
    }

    fn spells_index_expressions(&self) -> bool {
        true
    }
}

/// What PostgreSQL's rules say about a table, without the database. Expressions, and the
/// types and defaults [`needs_database`] picks, are left for the database.
fn normalize_table(table: &Table, models: &Schema) -> Result<Table, IntrospectError> {
    let FoldedKeys { primary_key, primary_key_name, constraints } = fold_keys(table, &[ReferentialAction::NoAction]);
    let mut columns = Vec::with_capacity(table.columns.len());
    for column in &table.columns {
        let mut column = unspelled(column.clone(), PostgresSpellings::Read);
        if let Some(integer) = serial_type(&column.ty) {
            column.ty = integer;
            column.identity = true;
            column.serial = true;
        }
        if let Err(err) = column_type(&column.ty) {
            return Err(IntrospectError::Model {
                object: format!("type {} of column {}.{}", column.ty, table.name, column.name),
                message: render_reason(err),
            });
        }
        if let Some(ty) = normalized_type(&column.ty) {
            column.ty = ty;
        }
        column.nullable &= !column.identity && !primary_key.contains(&column.name);
        if let Some(default) = &column.default
            && normalized_default(default, &column.ty, models) == Some(None)
        {
            column.default = None;
        }
        column.comment.take_if(|c| c.is_empty());
        columns.push(column);
    }
    Ok(Table {
        name: table.name.clone(),
        columns,
        primary_key,
        primary_key_name,
        constraints,
        comment: table.comment.clone().filter(|c| !c.is_empty()),
    })
}

/// What PostgreSQL's rules say about an index, without the database.
fn normalize_index(index: &Index) -> Index {
    let mut index = index.clone();
    index.method = index.method.map(|m| m.to_ascii_lowercase()).filter(|m| m != "btree");
    index
}

/// The integer type of a `serial` pseudo-type.
fn serial_type(ty: &ColumnType) -> Option<ColumnType> {
    let ColumnType::Custom(name) = ty else { return None };
    match name.trim().to_ascii_lowercase().as_str() {
        "serial" | "serial4" => Some(ColumnType::Integer),
        "bigserial" | "serial8" => Some(ColumnType::BigInt),
        "smallserial" | "serial2" => Some(ColumnType::SmallInt),
        _ => None,
    }
}

/// A type as introspection reads it back, when that follows from the type alone; `None`
/// for a custom type, which only the database can spell.
fn normalized_type(ty: &ColumnType) -> Option<ColumnType> {
    match ty {
        ColumnType::Custom(_) => None,
        ColumnType::Char(None) => Some(ColumnType::Char(Some(1))),
        ColumnType::Array(inner) => normalized_type(inner).map(|inner| ColumnType::Array(Box::new(inner))),
        other => Some(other.clone()),
    }
}

/// A default as introspection reads it back on a column of type `ty`, when that follows
/// from the spelling alone: `Some(None)` for no default, `None` when only the database can
/// tell. PostgreSQL prints a number literal as written whatever the column's type, but
/// coerces a string literal to the column's type before keeping it.
fn normalized_default(default: &DefaultValue, ty: &ColumnType, models: &Schema) -> Option<Option<DefaultValue>> {
    use ColumnType as T;
    let numeric = matches!(ty, T::SmallInt | T::Integer | T::BigInt | T::Real | T::Double | T::Numeric(_));
    let same = Some(Some(default.clone()));
    match default {
        DefaultValue::Sql(sql) if sql.trim().eq_ignore_ascii_case("null") => Some(None),
        DefaultValue::Value(Literal::Bool(_)) if *ty == T::Boolean => same,
        DefaultValue::Value(Literal::Int(_)) if numeric => same,
        // A float Rust writes without an exponent reaches PostgreSQL as a decimal literal,
        // which it prints as written; an exponent comes back expanded.
        DefaultValue::Value(Literal::Float(f))
            if numeric
                && !matches!(ty, T::SmallInt | T::Integer | T::BigInt)
                && f.is_finite()
                && !format!("{f:?}").contains(['e', 'E']) =>
        {
            same
        }
        DefaultValue::Value(Literal::String(text)) => {
            let kept = match ty {
                T::Text | T::Varchar(None) => true,
                T::Varchar(Some(n)) => text.chars().count() <= *n as usize,
                T::Enum(name) => models.enums.get(name).is_some_and(|e| e.values.contains(text)),
                _ => false,
            };
            if kept { same } else { None }
        }
        // PostgreSQL hides the cast it adds to a date or time column.
        DefaultValue::Expr(_) if matches!(ty, T::Date | T::Time | T::Timestamp | T::Timestamptz) => same,
        _ => None,
    }
}

/// Whether the type or default of a normalized column needs the database's spelling.
fn needs_database(column: &Column, models: &Schema) -> bool {
    normalized_type(&column.ty).is_none()
        || column.default.as_ref().is_some_and(|d| normalized_default(d, &column.ty, models).is_none())
}

/// The scratch name of the check at `position` among its table's constraints.
fn check_name(position: usize) -> String {
    format!("check_{position}")
}

/// Names in the scratch schema that no model object can clash with.
struct Scratch {
    /// The scratch schema.
    schema: String,
    /// Prefix of the spelling tables.
    spelling: String,
    /// Prefix of the indexes.
    index: String,
}

impl Scratch {
    fn new(models: &Schema) -> Scratch {
        let token = scratch_token();
        // Scratch tables share the schema with the models' tables and enum types.
        let free = |base: &str| {
            let mut prefix = base.to_owned();
            while models.tables.keys().chain(models.enums.keys()).any(|name| name.starts_with(&prefix)) {
                prefix.push('x');
            }
            prefix
        };
        Scratch {
            schema: format!("aludel_scratch_{token:016x}"),
            spelling: free("aludel_spelling_"),
            index: free("aludel_index_"),
        }
    }
}

impl ScratchNames for Scratch {
    fn spelling_table(&self, i: usize) -> String {
        format!("{}{}", self.spelling, i / MAX_COLUMNS)
    }

    fn copy(&self, _i: usize, table: &str) -> String {
        // A table's copy takes its name, in the scratch schema.
        table.to_owned()
    }

    fn check(&self, _i: usize, position: usize) -> String {
        check_name(position)
    }

    fn index(&self, i: usize) -> String {
        format!("{}{i}", self.index)
    }
}

/// One object the database is asked to create, for error messages: the first refused is
/// named.
struct ScratchObject {
    object: String,
    statements: Vec<String>,
}

/// The SQL of the scratch work: one batch for the usual case, and the same objects one by
/// one, each guarded, for finding the one PostgreSQL refuses.
struct ScratchSql {
    batch: Vec<String>,
    objects: Vec<ScratchObject>,
}

impl ScratchSql {
    fn new(plan: &Normalization, scratch: &Scratch) -> Result<ScratchSql, IntrospectError> {
        let mut work = ScratchSql { batch: Vec::new(), objects: Vec::new() };
        for values in plan.schema.enums.values() {
            let op = Op::CreateEnum { name: values.name.clone(), values: values.values.clone() };
            let statements = rendered(&op, || format!("enum {}", values.name))?;
            work.batch.extend(statements.iter().cloned());
            work.objects.push(ScratchObject { object: format!("enum {}", values.name), statements });
        }
        for (chunk, spellings) in plan.spellings.list.chunks(MAX_COLUMNS).enumerate() {
            let first = chunk * MAX_COLUMNS;
            let mut table = Table::new(&scratch.spelling_table(first));
            for (offset, spelling) in spellings.iter().enumerate() {
                let i = first + offset;
                let Spelling { ty, default, table: owner, column } = spelling;
                let mut typed = Column::new(&spelling_column(i), ty.clone());
                let type_object = format!("type {ty} of column {owner}.{column}");
                let typed_table =
                    Table { columns: vec![typed.clone()], ..Table::new(&format!("{}t{i}", scratch.spelling)) };
                work.objects.push(ScratchObject {
                    object: type_object.clone(),
                    statements: rendered(&Op::CreateTable(typed_table), || type_object.clone())?,
                });
                typed.default = default.clone();
                if let Some(default) = default {
                    let default_object = format!("default {} of column {owner}.{column}", describe_default(default));
                    let defaulted =
                        Table { columns: vec![typed.clone()], ..Table::new(&format!("{}d{i}", scratch.spelling)) };
                    work.objects.push(ScratchObject {
                        object: default_object.clone(),
                        statements: rendered(&Op::CreateTable(defaulted), || default_object.clone())?,
                    });
                }
                table.columns.push(typed);
            }
            let name = table.name.clone();
            work.batch.extend(rendered(&Op::CreateTable(table), || format!("table {name}"))?);
        }
        for name in &plan.tables {
            let model = &plan.schema.tables[name];
            let (copy, key) = scratch_copy(model);
            let mut create = rendered(&Op::CreateTable(copy.clone()), || format!("table {name}"))?;
            create[0].push_str(&format!(" PARTITION BY LIST ({})", quote_ident_ansi(&key)));
            work.batch.extend(create);
            work.objects.push(ScratchObject {
                object: format!("table {name}"),
                statements: vec![format!(
                    "CREATE TABLE {} ({key} INTEGER) PARTITION BY LIST ({key})",
                    quote_ident_ansi(name),
                    key = quote_ident_ansi(&key)
                )],
            });
            // Generated columns last: they may read any other column.
            let (plain, generated): (Vec<&Column>, Vec<&Column>) =
                copy.columns.iter().filter(|c| c.name != key).partition(|c| c.generated.is_none());
            for column in plain.into_iter().chain(generated) {
                let object = match column.generated {
                    Some(_) => format!("generated column {name}.{}", column.name),
                    None => format!("column {name}.{}", column.name),
                };
                let op = Op::AddColumn { table: name.clone(), column: column.clone() };
                work.objects.push(ScratchObject { statements: rendered(&op, || object.clone())?, object });
            }
            for (position, constraint) in model.constraints.iter().enumerate() {
                let Constraint::Check { name: check, expr } = constraint else { continue };
                let object = match check {
                    Some(check) => format!("check {check} on table {name}"),
                    None => format!("check ({}) on table {name}", expr.trim()),
                };
                let op = Op::AddConstraint {
                    table: name.clone(),
                    constraint: Constraint::Check { name: Some(check_name(position)), expr: expr.clone() },
                };
                work.objects.push(ScratchObject { statements: rendered(&op, || object.clone())?, object });
            }
        }
        for (i, name) in plan.indexes.iter().enumerate() {
            let model = &plan.schema.indexes[name];
            // A unique index on a partitioned table must hold the partition key; uniqueness
            // changes nothing in how the keys and predicate are spelled.
            let index = Index { name: scratch.index(i), unique: false, ..model.clone() };
            let object = format!("index {name} on table {}", model.table);
            let statements = rendered(&Op::CreateIndex(CreateIndex::from_index(&index)), || object.clone())?;
            work.batch.extend(statements.iter().cloned());
            work.objects.push(ScratchObject { object, statements });
        }
        Ok(work)
    }

    /// Opens the transaction, creates the scratch schema and puts it first in the path.
    fn prologue(scratch: &Scratch) -> Vec<String> {
        let schema = quote_ident_ansi(&scratch.schema);
        vec![
            "BEGIN".to_owned(),
            format!("CREATE SCHEMA {schema}"),
            format!(
                "SELECT set_config('search_path', concat_ws(', ', {}, nullif(current_setting('search_path'), '')), true)",
                quote_literal(&schema)
            ),
        ]
    }

    /// Creates the scratch objects, reads them back and rolls back, whatever happens.
    async fn run(&self, session: &mut dyn Session, scratch: &Scratch) -> Result<Schema, IntrospectError> {
        let mut statements = ScratchSql::prologue(scratch);
        statements.extend(self.batch.iter().cloned());
        let created = session.execute(&statements.join(";\n")).await;
        let read = match created {
            Ok(()) => {
                let options = IntrospectOptions { schema: Some(scratch.schema.clone()), exclude_tables: Vec::new() };
                introspect(session, &options).await
            }
            Err(err) => {
                session.execute("ROLLBACK").await.ok();
                return Err(self.diagnose(session, scratch, err).await);
            }
        };
        let rolled_back = session.execute("ROLLBACK").await;
        let read = read?;
        rolled_back.map_err(|source| IntrospectError::Query { what: SCRATCH, source })?;
        Ok(read)
    }

    /// Runs the objects one by one, each in a block that tags the error with the object,
    /// and names the first one PostgreSQL refuses.
    async fn diagnose(&self, session: &mut dyn Session, scratch: &Scratch, original: sqlx::Error) -> IntrospectError {
        if original.as_database_error().is_none() {
            return IntrospectError::Query { what: SCRATCH, source: original };
        }
        let bodies: Vec<String> = self
            .objects
            .iter()
            .enumerate()
            .map(|(i, unit)| {
                let executes: String =
                    unit.statements.iter().map(|sql| format!("EXECUTE {}; ", quote_literal(sql))).collect();
                format!(
                    "BEGIN {executes}EXCEPTION WHEN OTHERS THEN \
                     RAISE EXCEPTION USING MESSAGE = 'aludel unit {i}: ' || SQLERRM; END"
                )
            })
            .collect();
        let tag = dollar_tag(&bodies);
        let mut statements = ScratchSql::prologue(scratch);
        statements.extend(bodies.iter().map(|body| format!("DO {tag}{body}{tag}")));
        let diagnosed = session.execute(&statements.join(";\n")).await;
        session.execute("ROLLBACK").await.ok();
        let err = match diagnosed {
            Err(err) => err,
            // One by one, everything went through: report what the batch met.
            Ok(()) => {
                let message = original.as_database_error().map(|e| e.message().to_owned()).unwrap_or_default();
                return IntrospectError::Model { object: "the models".into(), message };
            }
        };
        let tagged = err.as_database_error().and_then(|e| {
            let (unit, message) = e.message().strip_prefix("aludel unit ")?.split_once(": ")?;
            Some((unit.parse::<usize>().ok()?, message.to_owned()))
        });
        match tagged {
            Some((unit, message)) if unit < self.objects.len() => {
                IntrospectError::Model { object: self.objects[unit].object.clone(), message }
            }
            _ => IntrospectError::Query { what: SCRATCH, source: err },
        }
    }
}

/// Renders an op of the scratch work; a refusal names the model object `object` describes.
fn rendered(op: &Op, object: impl Fn() -> String) -> Result<Vec<String>, IntrospectError> {
    let statements = render(op, &Schema::default())
        .map_err(|err| IntrospectError::Model { object: object(), message: render_reason(err) })?;
    Ok(statements.into_iter().map(|s| s.sql).collect())
}

/// A table's copy for the scratch schema, and the name of its partition key column.
///
/// The copy has the table's columns with their types and generated expressions (stored, the
/// only kind PostgreSQL creates) and its checks under scratch names; no keys, foreign keys,
/// defaults, identity or comments, which hold no expressions. It is created as a partitioned
/// table, which has no storage: creating a thousand of them takes a tenth of the time plain
/// tables do (no files, no TOAST tables). The extra integer column is the partition key.
fn scratch_copy(table: &Table) -> (Table, String) {
    let mut key = "aludel_key".to_owned();
    while table.column(&key).is_some() {
        key.push('_');
    }
    let columns = table
        .columns
        .iter()
        .map(|column| Column {
            generated: column.generated.as_ref().map(|g| Generated { expr: g.expr.clone(), stored: true }),
            ..Column::new(&column.name, column.ty.clone())
        })
        .chain([Column::new(&key, ColumnType::Integer)])
        .collect();
    let constraints = table
        .constraints
        .iter()
        .enumerate()
        .filter_map(|(position, constraint)| match constraint {
            Constraint::Check { expr, .. } => {
                Some(Constraint::Check { name: Some(check_name(position)), expr: expr.clone() })
            }
            _ => None,
        })
        .collect();
    (Table { columns, constraints, ..Table::new(&table.name) }, key)
}

/// A default as the models write it, for error messages.
fn describe_default(default: &DefaultValue) -> String {
    match default {
        DefaultValue::Value(Literal::Bool(b)) => b.to_string(),
        DefaultValue::Value(Literal::Int(n)) => n.to_string(),
        DefaultValue::Value(Literal::Float(f)) => format!("{f:?}"),
        DefaultValue::Value(Literal::String(text)) => quote_literal(text),
        DefaultValue::Expr(PortableExpr::CurrentTimestamp) => "current_timestamp".into(),
        DefaultValue::Expr(PortableExpr::CurrentDate) => "current_date".into(),
        DefaultValue::Expr(PortableExpr::CurrentTime) => "current_time".into(),
        DefaultValue::Expr(PortableExpr::Now) => "now()".into(),
        DefaultValue::Number(text) | DefaultValue::Sql(text) => text.trim().to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `default` on a column of type `ty`: `Some(expected)` when Rust normalizes it (`None`
    /// for no default), `None` when it is left for the database.
    fn check(ty: &str, default: DefaultValue, expected: Option<Option<DefaultValue>>) {
        let mut models = Schema::default();
        let mood = crate::schema::EnumType { name: "mood".into(), values: vec!["ok".into()] };
        models.enums.insert("mood".into(), mood);
        let ty = ColumnType::parse(ty).expect("a type");
        assert_eq!(normalized_default(&default, &ty, &models), expected, "{default:?} on {ty}");
    }

    fn value(literal: Literal) -> DefaultValue {
        DefaultValue::Value(literal)
    }

    #[test]
    fn defaults_normalized_without_the_database() {
        let kept = |d: &DefaultValue| Some(Some(d.clone()));
        for (ty, default) in [
            ("boolean", value(Literal::Bool(true))),
            ("smallint", value(Literal::Int(-1))),
            ("double", value(Literal::Int(3))),
            ("numeric(10,2)", value(Literal::Int(5))),
            ("real", value(Literal::Float(0.1234567891))),
            ("numeric", value(Literal::Float(-2.5))),
            ("text", value(Literal::String("it's".into()))),
            ("varchar(4)", value(Literal::String("four".into()))),
            ("enum:mood", value(Literal::String("ok".into()))),
            ("timestamp", DefaultValue::Expr(PortableExpr::CurrentTimestamp)),
            ("date", DefaultValue::Expr(PortableExpr::CurrentDate)),
        ] {
            check(ty, default.clone(), kept(&default));
        }
        check("text", DefaultValue::Sql(" NULL ".into()), Some(None));
        check("citext", DefaultValue::Sql("null".into()), Some(None));
    }

    #[test]
    fn defaults_left_for_the_database() {
        for (ty, default) in [
            // Coerced to the column's type: padded, reformatted, refused.
            ("char(5)", value(Literal::String("ab".into()))),
            ("jsonb", value(Literal::String("{\"a\":1}".into()))),
            ("varchar(3)", value(Literal::String("four".into()))),
            ("enum:mood", value(Literal::String("sad".into()))),
            ("enum:other", value(Literal::String("ok".into()))),
            ("integer", value(Literal::String("7".into()))),
            // Not what the column holds.
            ("integer", value(Literal::Bool(true))),
            ("boolean", value(Literal::Int(1))),
            ("text", value(Literal::Int(1))),
            ("integer", value(Literal::Float(1.5))),
            ("integer", DefaultValue::Expr(PortableExpr::CurrentDate)),
            // Printed back in another form.
            ("double", value(Literal::Float(1e20))),
            ("double", value(Literal::Float(f64::INFINITY))),
            ("timestamptz", DefaultValue::Sql("now()".into())),
        ] {
            check(ty, default, None);
        }
    }

    #[test]
    fn types_normalized_without_the_database() {
        let normalized = |ty: &str| normalized_type(&ColumnType::parse(ty).expect("a type")).map(|t| t.to_string());
        assert_eq!(normalized("char").as_deref(), Some("char(1)"));
        assert_eq!(normalized("char[][]").as_deref(), Some("char(1)[][]"));
        assert_eq!(normalized("enum:mood[]").as_deref(), Some("enum:mood[]"));
        assert_eq!(normalized("numeric(5)").as_deref(), Some("numeric(5,0)"));
        assert_eq!(normalized("int4"), None);
        assert_eq!(normalized("character varying(20)[]"), None);
        assert_eq!(serial_type(&ColumnType::Custom("BIGSERIAL".into())), Some(ColumnType::BigInt));
        assert_eq!(serial_type(&ColumnType::Custom("serial2".into())), Some(ColumnType::SmallInt));
        assert_eq!(serial_type(&ColumnType::Custom("serials".into())), None);
    }
}
