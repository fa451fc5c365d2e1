//! Models normalized to MySQL's own spellings, so that the diff compares them with an
//! introspected database using `==` ([`normalize`]), and the few things MySQL keeps without
//! a name named after the models ([`normalize_database`]).
//!
//! What follows from MySQL's rules alone is normalized here, without a round trip, because
//! the renderer and `types` decide exactly what MySQL is given:
//! - neutral types as `types::read_type` reads back their MySQL spelling (`varchar` is
//!   `text`, `timestamptz` is `timestamp`, `jsonb` is `json`, `char` is `char(1)`,
//!   `numeric` is `numeric(65,30)`); enum columns stay `enum:<name>`, and only the enums
//!   some column uses are kept (MySQL keeps the others nowhere);
//! - literal defaults where MySQL prints them as given (`0` on a decimal is `0`, `1` on a
//!   boolean is `true`, a string that fits a string or enum column), the portable
//!   expressions on the date and time types they belong to, and `DEFAULT NULL` as none;
//! - keys: no `primary_key_name` (MySQL names every primary key `PRIMARY`), primary key
//!   columns `NOT NULL`, a primary key declared among the constraints as the table's
//!   `primary_key`; foreign key actions `no_action` and `restrict` absent; index methods
//!   `btree` and `hash` absent (InnoDB builds b-trees for both), a prefix key of 255 on a
//!   text column a plain column key; an index the models declare that MySQL would create
//!   itself for a foreign key (non-unique, on exactly its columns, named after the key or its
//!   first column) left out, as introspection leaves it out;
//! - empty comments as none; constraints sorted by name, as introspection returns them.
//!
//! Everything else goes through the database, in a scratch database created for the
//! purpose and dropped afterwards (MySQL's DDL cannot be rolled back): pass-through types
//! (`int unsigned`, `longtext`), defaults whose reading depends on MySQL (raw SQL, a float
//! with a fraction, a date string), check expressions and generated columns (MySQL rewrites
//! them: `length(x)` is `octet_length(`x`)` on MariaDB). One batch creates the scratch
//! database, MyISAM tables with one column per distinct (type, default) spelling, and
//! copies of the model tables that have checks or generated columns (their columns, those
//! expressions, nothing else; tables whose columns of one name are alike share one copy,
//! since each `CREATE TABLE` costs MySQL milliseconds); the same introspection reads it
//! back, and the spellings are mapped onto the models. Eight round trips whatever the size of the models; none when
//! nothing needs the database. The connection needs the privilege to create a database.
//!
//! When MySQL refuses part of the models, the scratch database is made again and the
//! objects are created one by one, which names the first one refused:
//! [`IntrospectError::Model`]. The scratch database is dropped on success and on error; only
//! a process killed in between leaves one behind (named `aludel_scratch_...`).

use std::collections::{BTreeMap, BTreeSet};

use crate::dialect::common::normalize::{FoldedKeys, PostgresSpellings, fold_keys, unspelled};
use crate::dialect::common::scratch::{
    Normalization, ScratchNames, ScratchRules, Spelling, render_reason, scratch_token, spelling_column,
};
use crate::dialect::mysql::Server;
use crate::dialect::mysql::introspect::read;
use crate::dialect::mysql::render::render;
use crate::dialect::mysql::text::{enum_values, prefix_expr, prefix_key, quote_ident};
use crate::dialect::mysql::types::{KEY_PREFIX, column_type, needs_key_prefix, read_type};
use crate::dialect::{IntrospectError, IntrospectOptions, Session, UuidStorage};
use crate::ops::Op;
use crate::schema::{
    Column, ColumnType, Constraint, DefaultValue, EnumType, Index, IndexKey, Literal, PortableExpr, ReferentialAction,
    Schema, Table,
};

/// The largest number of bytes of spelling columns put in one scratch table, under MySQL's
/// 65,535-byte row.
const ROW_BYTES: usize = 60_000;

/// The most spelling columns in one scratch table (MySQL allows 4,096).
const MAX_COLUMNS: usize = 1_000;

/// What [`IntrospectError::Query`] names when the scratch work itself fails.
const SCRATCH: &str = "models' spellings (through a scratch database)";

/// Normalizes `models`: states them as MySQL reads them back once created (see the module
/// documentation for what is settled in Rust and what through the database).
///
/// # Errors
///
/// [`IntrospectError::Model`] naming the table and the column, type, default, check or
/// generated column that MySQL (or the renderer) refuses, with its message;
/// [`IntrospectError::Query`] when the scratch work fails for another reason (no privilege
/// to create a database, a lost connection).
///
/// # Examples
///
/// ```no_run
/// # async fn example(models: aludel::schema::Schema) -> Result<(), Box<dyn std::error::Error>> {
/// use aludel::dialect::{Backend, IntrospectOptions};
/// use aludel::diff::{DiffOptions, diff};
///
/// let mut session = Backend::MySql.connect("mysql://root@127.0.0.1:3306/app", &Default::default()).await?;
/// let database = session.introspect(&IntrospectOptions::default()).await?;
/// let models = aludel::dialect::mysql::normalize(session.as_mut(), &models).await?;
/// let database = aludel::dialect::mysql::normalize_database(database, &models);
/// assert!(diff(&database, &models, &DiffOptions::default()).is_empty(), "the database matches the models");
/// # Ok(())
/// # }
/// ```
pub async fn normalize(session: &mut dyn Session, models: &Schema) -> Result<Schema, IntrospectError> {
    let server = Server::of(session).await?;
    normalize_on(session, server, models).await
}

/// [`normalize`] on a server whose kind is known.
pub(crate) async fn normalize_on(
    session: &mut dyn Session,
    server: Server,
    models: &Schema,
) -> Result<Schema, IntrospectError> {
    // The dialect says how it stores `uuid`; its spelling tells which.
    let uuid = match session.dialect().column_type(&ColumnType::Uuid) {
        Ok(spelled) if spelled == "BINARY(16)" => UuidStorage::Binary16,
        _ => UuidStorage::Char36,
    };
    let rules = MySqlRules { uuid };
    let mut normalization = rules.normalization(models)?;
    if normalization.is_settled() {
        return Ok(normalization.finish());
    }
    let layout = ScratchLayout::new(&normalization);
    let sql = ScratchSql::new(&normalization, &layout, uuid)?;
    let read = sql.run(session, server).await?;
    normalization.read_back(&rules, &read, &layout)?;
    Ok(normalization.finish())
}

/// Names what MySQL keeps without a name after the models (`models` as [`normalize`]
/// returned them), so the diff compares like with like:
/// - a unique constraint of the database that the models declare as a unique index of the
///   same name becomes that index (MySQL keeps both as a unique index);
/// - an `enum('a','b')` column whose model column is `enum:<name>` becomes `enum:<name>`, and
///   the database's enum `<name>` has those values (the first such column's: a column with
///   other values keeps its `enum(...)` type, so the diff changes it).
pub fn normalize_database(mut database: Schema, models: &Schema) -> Schema {
    for index in models.indexes.values().filter(|i| i.unique) {
        let Some(table) = database.tables.get_mut(&index.table) else { continue };
        let found = table
            .constraints
            .iter()
            .position(|c| matches!(c, Constraint::Unique { name: Some(name), .. } if *name == index.name));
        if let Some(at) = found
            && !database.indexes.contains_key(&index.name)
        {
            let columns = table.constraints.remove(at).columns().iter().cloned().map(IndexKey::Column).collect();
            database.indexes.insert(
                index.name.clone(),
                Index {
                    name: index.name.clone(),
                    table: index.table.clone(),
                    columns,
                    unique: true,
                    predicate: None,
                    method: None,
                    key_options: Vec::new(),
                    include: Vec::new(),
                },
            );
        }
    }
    for table in database.tables.values_mut() {
        let Some(model) = models.tables.get(&table.name) else { continue };
        for column in &mut table.columns {
            let Some(ColumnType::Enum(name)) = model.column(&column.name).map(|c| &c.ty) else { continue };
            let Some(values) = enum_values(&column.ty) else { continue };
            match database.enums.get(name) {
                Some(known) if known.values != values => continue,
                Some(_) => {}
                None => {
                    database.enums.insert(name.clone(), EnumType { name: name.clone(), values });
                }
            }
            column.ty = ColumnType::Enum(name.clone());
        }
    }
    database
}

/// MySQL's rules for what it spells by itself, with how it stores `uuid` columns.
struct MySqlRules {
    uuid: UuidStorage,
}

impl MySqlRules {
    /// A normalization of `models`, keeping the enums some column uses (MySQL keeps the
    /// others nowhere).
    fn normalization(&self, models: &Schema) -> Result<Normalization, IntrospectError> {
        let used: BTreeSet<&str> = models
            .tables
            .values()
            .flat_map(|t| t.columns.iter())
            .filter_map(|c| match &c.ty {
                ColumnType::Enum(name) => Some(name.as_str()),
                _ => None,
            })
            .collect();
        let enums = models.enums.iter().filter(|(name, _)| used.contains(name.as_str()));
        Normalization::new(self, models, enums.map(|(k, v)| (k.clone(), v.clone())).collect())
    }
}

impl ScratchRules for MySqlRules {
    fn normalize_table(&self, table: &Table, models: &Schema) -> Result<Table, IntrospectError> {
        normalize_table(table, models, self.uuid)
    }

    fn normalize_index(&self, index: &Index, models: &Schema) -> Option<Index> {
        let normalized = normalize_index(index, models);
        (!made_for_a_foreign_key(&normalized, models)).then_some(normalized)
    }

    fn needs_database(&self, column: &Column, models: &Schema) -> bool {
        needs_database(column, models)
    }

    fn spells_index_expressions(&self) -> bool {
        // MySQL keeps index expressions as written.
        false
    }

    fn takes_spelled_type(&self, ty: &ColumnType) -> bool {
        // A neutral type is settled by the rules; an enum reads back nameless.
        matches!(ty, ColumnType::Custom(_))
    }
}

/// Where the scratch objects are in the scratch database: the spelling tables (runs of
/// spellings whose columns fit one row) and the tables of copies (tables whose columns agree
/// share one).
struct ScratchLayout {
    /// The spelling table of each spelling.
    chunk_of: Vec<usize>,
    /// The runs of spellings, one per spelling table.
    chunks: Vec<std::ops::Range<usize>>,
    /// The table of copies that holds the copy of each copied table.
    copy_groups: Vec<usize>,
}

impl ScratchLayout {
    fn new(normalization: &Normalization) -> ScratchLayout {
        let chunks = spelling_chunks(&normalization.spellings.list);
        let mut chunk_of = vec![0; normalization.spellings.list.len()];
        for (chunk, range) in chunks.iter().enumerate() {
            chunk_of[range.clone()].fill(chunk);
        }
        let copied: Vec<&Table> = normalization.tables.iter().map(|t| &normalization.schema.tables[t]).collect();
        ScratchLayout { chunk_of, chunks, copy_groups: copy_groups(&copied) }
    }
}

impl ScratchNames for ScratchLayout {
    fn spelling_table(&self, i: usize) -> String {
        spelling_table(self.chunk_of[i])
    }

    fn copy(&self, i: usize, _table: &str) -> String {
        copy_table(self.copy_groups[i])
    }

    fn check(&self, i: usize, position: usize) -> String {
        check_name(i, position)
    }

    fn index(&self, i: usize) -> String {
        // No index is created among the scratch objects (see `spells_index_expressions`).
        format!("index_{i}")
    }
}

/// What MySQL's rules say about a table, without the database.
fn normalize_table(table: &Table, models: &Schema, uuid: UuidStorage) -> Result<Table, IntrospectError> {
    // MySQL names every primary key `PRIMARY`: the name is dropped below.
    let FoldedKeys { primary_key, constraints, .. } =
        fold_keys(table, &[ReferentialAction::NoAction, ReferentialAction::Restrict]);
    let mut columns = Vec::with_capacity(table.columns.len());
    for column in &table.columns {
        let mut column = unspelled(column.clone(), PostgresSpellings::Unread);
        let spelled = column_type(&column.ty, Some(&models.enums), uuid).map_err(|err| IntrospectError::Model {
            object: format!("type {} of column {}.{}", column.ty, table.name, column.name),
            message: render_reason(err),
        })?;
        if !matches!(column.ty, ColumnType::Enum(_) | ColumnType::Custom(_)) {
            column.ty = read_type(&spelled, false);
        }
        column.nullable &= !column.identity && !primary_key.contains(&column.name);
        if column.generated.is_some() {
            column.default = None;
        } else if let Some(default) = &column.default
            && let Some(normalized) = normalized_default(default, &column.ty, models)
        {
            column.default = normalized;
        }
        column.comment.take_if(|c| c.is_empty());
        // Collation names ignore case; the catalog prints them in lower case.
        column.collation = column.collation.map(|name| name.to_ascii_lowercase());
        columns.push(column);
    }
    Ok(Table {
        name: table.name.clone(),
        columns,
        primary_key,
        primary_key_name: None,
        constraints,
        comment: table.comment.clone().filter(|c| !c.is_empty()),
    })
}

/// What MySQL's rules say about an index.
fn normalize_index(index: &Index, models: &Schema) -> Index {
    let mut index = index.clone();
    index.method = index.method.map(|m| m.to_ascii_lowercase()).filter(|m| m != "btree" && m != "hash");
    let table = models.tables.get(&index.table);
    for key in &mut index.columns {
        if let IndexKey::Expr { expr } = key
            && let Some((column, length)) = prefix_key(expr)
        {
            let text_like = table.and_then(|t| t.column(&column)).is_some_and(|c| needs_key_prefix(&c.ty));
            *key = if length == KEY_PREFIX && text_like {
                IndexKey::Column(column)
            } else {
                IndexKey::Expr { expr: prefix_expr(&column, length) }
            };
        }
    }
    index
}

/// Whether MySQL would create `index` itself for a foreign key of its table, which
/// introspection then does not report.
fn made_for_a_foreign_key(index: &Index, models: &Schema) -> bool {
    let Some(table) = models.tables.get(&index.table) else { return false };
    let columns: Option<Vec<&str>> = index
        .columns
        .iter()
        .map(|k| match k {
            IndexKey::Column(c) => Some(c.as_str()),
            IndexKey::Expr { .. } => None,
        })
        .collect();
    let Some(columns) = columns else { return false };
    if index.unique || index.predicate.is_some() || index.method.is_some() {
        return false;
    }
    table.constraints.iter().any(|c| match c {
        Constraint::ForeignKey { name, columns: key, .. } => {
            key.iter().map(String::as_str).eq(columns.iter().copied())
                && (name.as_deref() == Some(index.name.as_str()) || key.first() == Some(&index.name))
        }
        _ => false,
    })
}

/// A default as introspection reads it back on a column of type `ty`, when that follows
/// from the spelling alone: `Some(None)` for no default, `None` when only the database can
/// tell.
fn normalized_default(default: &DefaultValue, ty: &ColumnType, models: &Schema) -> Option<Option<DefaultValue>> {
    use ColumnType as T;
    let same = Some(Some(default.clone()));
    let integer = matches!(ty, T::SmallInt | T::Integer | T::BigInt);
    let number = integer || matches!(ty, T::Real | T::Double | T::Numeric(_));
    match default {
        DefaultValue::Sql(sql) if sql.trim().eq_ignore_ascii_case("null") => Some(None),
        DefaultValue::Value(Literal::Bool(_)) if *ty == T::Boolean => same,
        DefaultValue::Value(Literal::Bool(value)) if integer => {
            Some(Some(DefaultValue::Value(Literal::Int(i64::from(*value)))))
        }
        DefaultValue::Value(Literal::Int(value @ (0 | 1))) if *ty == T::Boolean => {
            Some(Some(DefaultValue::Value(Literal::Bool(*value == 1))))
        }
        DefaultValue::Value(Literal::Int(_)) if number => same,
        DefaultValue::Value(Literal::Float(value))
            if number && !integer && value.is_finite() && value.fract() == 0.0 && value.abs() < 9.0e15 =>
        {
            Some(Some(DefaultValue::Value(Literal::Int(*value as i64))))
        }
        DefaultValue::Value(Literal::String(text)) => {
            let fits = |length: u32| text.chars().count() <= length as usize;
            let kept = match ty {
                T::Text | T::Varchar(None) | T::Json | T::Jsonb => true,
                T::Varchar(Some(n)) => fits(*n),
                T::Char(n) => fits(n.unwrap_or(1)) && !text.ends_with(' '),
                T::Uuid => fits(36) && !text.ends_with(' '),
                T::Enum(name) => models.enums.get(name).is_some_and(|e| e.values.contains(text)),
                _ => false,
            };
            if kept { same } else { None }
        }
        DefaultValue::Expr(PortableExpr::CurrentTimestamp) if matches!(ty, T::Timestamp | T::Timestamptz) => same,
        DefaultValue::Expr(PortableExpr::CurrentDate) if *ty == T::Date => same,
        DefaultValue::Expr(PortableExpr::CurrentTime) if *ty == T::Time => same,
        _ => None,
    }
}

/// Whether the type or default of a normalized column needs the database's spelling.
fn needs_database(column: &Column, models: &Schema) -> bool {
    matches!(column.ty, ColumnType::Custom(_))
        || column.default.as_ref().is_some_and(|d| normalized_default(d, &column.ty, models).is_none())
}

/// The bytes a column of `ty` takes at most in a MyISAM row, roughly.
fn row_bytes(ty: &ColumnType) -> usize {
    let length = match ty {
        ColumnType::Varchar(Some(n)) | ColumnType::Char(Some(n)) => Some(*n as usize),
        ColumnType::Custom(text) => {
            text.split_once('(').and_then(|(_, rest)| rest.split([')', ',']).next()?.trim().parse::<usize>().ok())
        }
        _ => None,
    };
    length.map_or(16, |n| n * 4 + 2)
}

/// The spelling tables: consecutive runs of spellings whose columns fit one row.
fn spelling_chunks(spellings: &[Spelling]) -> Vec<std::ops::Range<usize>> {
    let mut chunks = Vec::new();
    let mut start = 0;
    let mut bytes = 0;
    for (i, spelling) in spellings.iter().enumerate() {
        let size = row_bytes(&spelling.ty);
        if i > start && (bytes + size > ROW_BYTES || i - start >= MAX_COLUMNS) {
            chunks.push(start..i);
            start = i;
            bytes = 0;
        }
        bytes += size;
    }
    if start < spellings.len() {
        chunks.push(start..spellings.len());
    }
    chunks
}

/// The scratch table that holds the spellings of `chunk` (see [`spelling_chunks`]).
fn spelling_table(chunk: usize) -> String {
    format!("spelling_{chunk}")
}

/// The `i`-th scratch table of copies.
fn copy_table(i: usize) -> String {
    format!("copy_{i}")
}

/// The scratch name of the check at `position` of the `i`-th copied table: MySQL names
/// checks per database.
fn check_name(i: usize, position: usize) -> String {
    format!("check_{i}_{position}")
}

/// One object the database is asked to create, for error messages.
struct ScratchObject {
    object: String,
    statements: Vec<String>,
}

/// The SQL of the scratch work: one batch, and the same objects one by one for finding the
/// one MySQL refuses.
struct ScratchSql {
    database: String,
    batch: Vec<String>,
    objects: Vec<ScratchObject>,
}

/// `CREATE TABLE` for `table` as the renderer writes it, in MyISAM (quick to create).
fn create_table(
    table: &Table,
    enums: &Schema,
    uuid: UuidStorage,
    object: &dyn Fn() -> String,
) -> Result<String, IntrospectError> {
    let statements = render(&Op::CreateTable(table.clone()), enums, uuid)
        .map_err(|err| IntrospectError::Model { object: object(), message: render_reason(err) })?;
    let sql: Vec<String> = statements.into_iter().map(|s| s.sql).collect();
    Ok(format!("{} ENGINE=MyISAM", sql.join(";\n")))
}

impl ScratchSql {
    fn new(plan: &Normalization, layout: &ScratchLayout, uuid: UuidStorage) -> Result<ScratchSql, IntrospectError> {
        let token = scratch_token();
        let mut work =
            ScratchSql { database: format!("aludel_scratch_{token:016x}"), batch: Vec::new(), objects: Vec::new() };
        // Enum columns need the values; render reads them from a schema.
        let enums = Schema { enums: plan.schema.enums.clone(), ..Schema::default() };
        for (chunk, range) in layout.chunks.iter().cloned().enumerate() {
            let mut table = Table::new(&spelling_table(chunk));
            for i in range {
                let Spelling { ty, default, table: owner, column } = &plan.spellings.list[i];
                let typed = Column { default: default.clone(), ..Column::new(&spelling_column(i), ty.clone()) };
                let object = match default {
                    Some(default) => format!("type {ty} with default {default:?} of column {owner}.{column}"),
                    None => format!("type {ty} of column {owner}.{column}"),
                };
                let alone = Table { columns: vec![typed.clone()], ..Table::new(&format!("probe_{i}")) };
                work.objects.push(ScratchObject {
                    statements: vec![create_table(&alone, &enums, uuid, &|| object.clone())?],
                    object,
                });
                table.columns.push(typed);
            }
            let name = table.name.clone();
            work.batch.push(create_table(&table, &enums, uuid, &|| format!("table {name}"))?);
        }
        // Tables whose columns of one name are alike share a scratch copy: one CREATE TABLE
        // costs MySQL milliseconds, a thousand of them seconds.
        let mut copies: Vec<Table> = Vec::new();
        for (i, name) in plan.tables.iter().enumerate() {
            let copy = scratch_copy(&plan.schema.tables[name], i);
            let group = layout.copy_groups[i];
            if copies.len() <= group {
                copies.push(Table::new(&copy_table(group)));
            }
            let shared = &mut copies[group];
            for column in copy.columns {
                if shared.column(&column.name).is_none() {
                    shared.columns.push(column);
                }
            }
            shared.constraints.extend(copy.constraints);
        }
        for copy in &mut copies {
            // Generated columns last: they may read any other column.
            copy.columns.sort_by_key(|c| c.generated.is_some());
            let name = copy.name.clone();
            work.batch.push(create_table(copy, &enums, uuid, &|| format!("table {name}"))?);
        }
        for (i, name) in plan.tables.iter().enumerate() {
            let model = &plan.schema.tables[name];
            let copy = scratch_copy(model, i);
            let (generated, plain): (Vec<&Column>, Vec<&Column>) =
                copy.columns.iter().partition(|c| c.generated.is_some());
            let base = Table { columns: plain.into_iter().cloned().collect(), ..Table::new(&copy.name) };
            let base = if base.columns.is_empty() {
                Table { columns: vec![Column::new("aludel_placeholder", ColumnType::Integer)], ..base }
            } else {
                base
            };
            let object = format!("the columns of table {name}");
            work.objects.push(ScratchObject {
                statements: vec![create_table(&base, &enums, uuid, &|| object.clone())?],
                object,
            });
            let quoted = quote_ident(&copy.name);
            for column in generated {
                let object = format!("generated column {name}.{}", column.name);
                let op = Op::AddColumn { table: copy.name.clone(), column: column.clone() };
                let statements = render(&op, &enums, uuid)
                    .map_err(|err| IntrospectError::Model { object: object.clone(), message: render_reason(err) })?;
                work.objects
                    .push(ScratchObject { statements: statements.into_iter().map(|s| s.sql).collect(), object });
            }
            for (position, constraint) in model.constraints.iter().enumerate() {
                let Constraint::Check { name: check, expr } = constraint else { continue };
                let object = match check {
                    Some(check) => format!("check {check} on table {name}"),
                    None => format!("check ({}) on table {name}", expr.trim()),
                };
                let statement = format!(
                    "ALTER TABLE {quoted} ADD CONSTRAINT {} CHECK ({})",
                    quote_ident(&check_name(i, position)),
                    expr.trim()
                );
                work.objects.push(ScratchObject { statements: vec![statement], object });
            }
        }
        Ok(work)
    }

    /// Creates the scratch objects and reads them back; drops the scratch database whatever
    /// happens.
    async fn run(&self, session: &mut dyn Session, server: Server) -> Result<Schema, IntrospectError> {
        let query = |source| IntrospectError::Query { what: SCRATCH, source };
        let rows = session.query_text("SELECT DATABASE()").await.map_err(query)?;
        let original = rows.first().and_then(|row| row.first().cloned().flatten());
        let database = quote_ident(&self.database);
        let mut statements = vec![format!("CREATE DATABASE {database}"), format!("USE {database}")];
        statements.extend(self.batch.iter().cloned());
        let created = session.execute(&statements.join(";\n")).await;
        let result = match created {
            Ok(()) => {
                let options = IntrospectOptions { schema: Some(self.database.clone()), exclude_tables: Vec::new() };
                read(session, server, &options).await
            }
            Err(source) => Err(self.find_refused(session, source).await),
        };
        let mut cleanup = Vec::new();
        if let Some(original) = &original {
            cleanup.push(format!("USE {}", quote_ident(original)));
        }
        cleanup.push(format!("DROP DATABASE IF EXISTS {database}"));
        let dropped = session.execute(&cleanup.join(";\n")).await;
        let schema = result?;
        dropped.map_err(query)?;
        Ok(schema)
    }

    /// Creates the objects one by one in a fresh scratch database: the first MySQL refuses is
    /// the error. `source` is the batch's error, returned when every object passes alone.
    async fn find_refused(&self, session: &mut dyn Session, source: sqlx::Error) -> IntrospectError {
        let database = quote_ident(&self.database);
        let reset = format!("DROP DATABASE IF EXISTS {database};\nCREATE DATABASE {database};\nUSE {database}");
        if session.execute(&reset).await.is_err() {
            return IntrospectError::Query { what: SCRATCH, source };
        }
        for unit in &self.objects {
            for statement in &unit.statements {
                if let Err(err) = session.execute(statement).await {
                    let message = match &err {
                        sqlx::Error::Database(db) => db.message().to_owned(),
                        other => other.to_string(),
                    };
                    return IntrospectError::Model { object: unit.object.clone(), message };
                }
            }
        }
        IntrospectError::Query { what: SCRATCH, source }
    }
}

/// The scratch table of each of `tables` (their copies): a table joins the first one where
/// every column of the same name has the same type and generation, while the columns fit
/// MySQL's row; otherwise it starts another.
fn copy_groups(tables: &[&Table]) -> Vec<usize> {
    struct Group<'t> {
        columns: BTreeMap<&'t str, (&'t ColumnType, Option<&'t crate::schema::Generated>)>,
        bytes: usize,
    }
    let mut groups: Vec<Group<'_>> = Vec::new();
    let mut assigned = Vec::with_capacity(tables.len());
    for table in tables {
        let fits = |group: &Group<'_>| {
            let mut bytes = group.bytes;
            let mut count = group.columns.len();
            for column in &table.columns {
                match group.columns.get(column.name.as_str()) {
                    Some(known) if *known == (&column.ty, column.generated.as_ref()) => {}
                    Some(_) => return false,
                    None => {
                        bytes += row_bytes(&column.ty);
                        count += 1;
                    }
                }
            }
            bytes <= ROW_BYTES && count <= MAX_COLUMNS
        };
        let at = match groups.iter().position(fits) {
            Some(at) => at,
            None => {
                groups.push(Group { columns: BTreeMap::new(), bytes: 0 });
                groups.len() - 1
            }
        };
        let group = &mut groups[at];
        for column in &table.columns {
            if !group.columns.contains_key(column.name.as_str()) {
                group.bytes += row_bytes(&column.ty);
                group.columns.insert(&column.name, (&column.ty, column.generated.as_ref()));
            }
        }
        assigned.push(at);
    }
    assigned
}

/// A copy of `model` for its expressions: its columns (nullable, without defaults, identity
/// or comments), its generated columns and its checks under scratch names.
fn scratch_copy(model: &Table, i: usize) -> Table {
    let columns = model
        .columns
        .iter()
        .map(|c| Column {
            name: c.name.clone(),
            ty: c.ty.clone(),
            nullable: true,
            default: None,
            on_update: None,
            identity: false,
            serial: false,
            identity_always: false,
            generated: c.generated.clone(),
            comment: None,
            collation: None,
        })
        .collect();
    let constraints = model
        .constraints
        .iter()
        .enumerate()
        .filter_map(|(position, c)| match c {
            Constraint::Check { expr, .. } => {
                Some(Constraint::Check { name: Some(check_name(i, position)), expr: expr.clone() })
            }
            _ => None,
        })
        .collect();
    Table { columns, constraints, ..Table::new(&copy_table(i)) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalize_database_names_enums_and_unique_indexes_after_the_models() {
        let models = Schema::from_json(
            r#"{
              "enums": [{ "name": "mood", "values": ["sad", "ok"] }],
              "tables": [{ "table": "t", "columns": [
                  { "name": "m", "type": "enum:mood" }, { "name": "n", "type": "enum:mood" }, { "name": "e", "type": "text" }
              ] }],
              "indexes": [{ "name": "ix_t_e", "table": "t", "columns": ["e"], "unique": true }]
            }"#,
        )
        .unwrap();
        let database = Schema::from_json(
            r#"{
              "tables": [{ "table": "t", "columns": [
                  { "name": "m", "type": "enum('sad','ok')" }, { "name": "n", "type": "enum('sad')" }, { "name": "e", "type": "text" }
              ], "constraints": [{ "kind": "unique", "name": "ix_t_e", "columns": ["e"] }] }]
            }"#,
        )
        .unwrap();
        let normalized = normalize_database(database, &models);
        let table = &normalized.tables["t"];
        assert_eq!(table.columns[0].ty, ColumnType::Enum("mood".into()));
        assert_eq!(table.columns[1].ty, ColumnType::Custom("enum('sad')".into()), "other values stay as they are");
        assert_eq!(normalized.enums["mood"].values, ["sad", "ok"]);
        assert!(table.constraints.is_empty());
        assert!(normalized.indexes["ix_t_e"].unique);
    }

    #[test]
    fn rules_normalize_types_defaults_and_keys() {
        let models = Schema::from_json(
            r#"{
              "enums": [{ "name": "mood", "values": ["sad", "ok"] }, { "name": "unused", "values": ["x"] }],
              "tables": [
                { "table": "p", "columns": [{ "name": "id", "type": "integer" }], "primary_key": ["id"], "primary_key_name": "p_pk" },
                { "table": "t", "comment": "", "columns": [
                  { "name": "id", "type": "bigint" },
                  { "name": "flag", "type": "boolean", "default": { "value": 1 } },
                  { "name": "price", "type": "numeric(10,2)", "default": { "value": 2.0 } },
                  { "name": "at", "type": "timestamptz", "default": { "expr": "current_timestamp" } },
                  { "name": "m", "type": "enum:mood", "default": { "value": "ok" } },
                  { "name": "v", "type": "varchar", "default": { "sql": "NULL" }, "comment": "" },
                  { "name": "p_id", "type": "integer" }
                ], "constraints": [
                  { "kind": "primary_key", "columns": ["id"] },
                  { "kind": "foreign_key", "name": "t_p_fkey", "columns": ["p_id"], "references": { "table": "p", "columns": ["id"] }, "on_delete": "restrict" }
                ] }
              ],
              "indexes": [
                { "name": "t_p_fkey", "table": "t", "columns": ["p_id"] },
                { "name": "ix_t_v", "table": "t", "columns": [{ "expr": "v(255)" }], "method": "BTREE" }
              ]
            }"#,
        )
        .unwrap();
        let plan = MySqlRules { uuid: UuidStorage::Char36 }.normalization(&models).unwrap();
        assert!(plan.is_settled(), "nothing here needs the database");
        let normalized = plan.finish();
        let expected = Schema::from_json(
            r#"{
              "enums": [{ "name": "mood", "values": ["sad", "ok"] }],
              "tables": [
                { "table": "p", "columns": [{ "name": "id", "type": "integer", "nullable": false }], "primary_key": ["id"] },
                { "table": "t", "columns": [
                  { "name": "id", "type": "bigint", "nullable": false },
                  { "name": "flag", "type": "boolean", "default": { "value": true } },
                  { "name": "price", "type": "numeric(10,2)", "default": { "value": 2 } },
                  { "name": "at", "type": "timestamp", "default": { "expr": "current_timestamp" } },
                  { "name": "m", "type": "enum:mood", "default": { "value": "ok" } },
                  { "name": "v", "type": "text" },
                  { "name": "p_id", "type": "integer" }
                ], "primary_key": ["id"], "constraints": [
                  { "kind": "foreign_key", "name": "t_p_fkey", "columns": ["p_id"], "references": { "table": "p", "columns": ["id"] } }
                ] }
              ],
              "indexes": [{ "name": "ix_t_v", "table": "t", "columns": ["v"] }]
            }"#,
        )
        .unwrap();
        assert_eq!(normalized, expected);
    }

    #[test]
    fn copies_share_a_scratch_table_while_their_columns_agree() {
        let table = |name: &str, columns: &[(&str, &str)]| {
            let mut table = Table::new(name);
            for (column, ty) in columns {
                table.columns.push(Column::new(column, ColumnType::parse(ty).unwrap()));
            }
            table
        };
        let a = table("a", &[("id", "integer"), ("qty", "integer")]);
        let b = table("b", &[("id", "integer"), ("note", "text")]);
        let c = table("c", &[("id", "bigint")]);
        let d = table("d", &[("qty", "integer")]);
        let wide = table("wide", &[("w1", "varchar(8000)"), ("w2", "varchar(8000)")]);
        assert_eq!(copy_groups(&[&a, &b, &c, &d, &wide]), [0, 0, 1, 0, 2]);
    }

    #[test]
    fn what_only_the_database_spells_is_planned_once_per_spelling() {
        let models = Schema::from_json(
            r#"{ "tables": [
              { "table": "a", "columns": [
                { "name": "x", "type": "int unsigned" }, { "name": "y", "type": "int unsigned" },
                { "name": "z", "type": "double", "default": { "value": 2.5 } }
              ], "constraints": [{ "kind": "check", "expr": "x > 0" }] },
              { "table": "b", "columns": [{ "name": "x", "type": "int unsigned" }] }
            ] }"#,
        )
        .unwrap();
        let plan = MySqlRules { uuid: UuidStorage::Char36 }.normalization(&models).unwrap();
        assert_eq!(plan.spellings.list.len(), 2);
        assert_eq!(plan.spellings.columns.len(), 4);
        assert_eq!(plan.tables, ["a"]);
        let err = MySqlRules { uuid: UuidStorage::Char36 }
            .normalization(
                &Schema::from_json(
                    r#"{ "tables": [{ "table": "t", "columns": [{ "name": "c", "type": "text[]" }] }] }"#,
                )
                .unwrap(),
            )
            .err()
            .expect("arrays are refused");
        assert_eq!(
            err.to_string(),
            "the database refused type text[] of column t.c of the models: MySQL has no array types; store it as \
             json; fix it in the models"
        );
    }
}
