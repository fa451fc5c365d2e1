//! A live PostgreSQL schema read back into the [`Schema`] model, set-based: four catalog
//! queries for the whole schema (columns, constraints, indexes, enum types), however many
//! tables it holds, so the cost in round trips stays flat as the schema grows.
//!
//! What is read, from one schema (`current_schema()` unless [`IntrospectOptions::schema`]
//! names another):
//! - ordinary and partitioned tables (not their partitions, and not tables that belong to an
//!   extension), their comments and their columns in `attnum` order: neutral type, nullability,
//!   server default, identity, stored generated expression, comment;
//! - primary keys, unique, foreign key and check constraints, all with their names;
//! - indexes that do not back a constraint: keys (columns or expressions), uniqueness, partial
//!   predicate, access method, each key's order and non-default operator class, and `INCLUDE`
//!   columns;
//! - enum types with their labels in sort order.
//!
//! The model is what PostgreSQL holds, spelled as PostgreSQL prints it; making a model
//! comparable with it (canonical spellings of expressions, names PostgreSQL picked) is the
//! normalisation stage's job, not this module's. Where the model has a spelling that means
//! the same as PostgreSQL's default, the default comes back absent, so models that leave it
//! out compare equal:
//! - a foreign key action of `NO ACTION` comes back as `None` (never `Some(NoAction)`);
//! - the `btree` access method comes back as `None`;
//! - a default of `NULL`, which PostgreSQL keeps as `NULL::<type>` on a type with a length or
//!   precision (`DEFAULT NULL` on a `numeric(10,2)` column), comes back as no default;
//! - a `serial` column (a default `nextval('<seq>'::regclass)` on a sequence the column owns)
//!   comes back as `identity = true` and `serial = true` with no default, so that a revision
//!   that recreates it (a downgrade) makes a serial column again; the diff does not compare
//!   `serial`, so an identity column in the models matches it all the same; both
//!   `GENERATED ALWAYS` and `BY DEFAULT` identities come back as `identity = true`, the
//!   former also as `identity_always = true`.
//!
//! Types come back as the neutral type where there is one; others are [`ColumnType::Custom`]
//! as `format_type` prints them, except that a time type with a precision, which it prints as
//! `timestamp(3) without time zone`, comes back in the short form a type string can carry:
//! `timestamp(3)`, `timestamptz(3)`, `time(3)`, `timetz(3)`.
//!
//! Server defaults come back as a [`DefaultValue::Value`] where PostgreSQL prints a plain
//! literal (`true`, `42`, `1.5`, `'-1'::integer`, `'text'::type`), as a portable
//! [`DefaultValue::Expr`] for `CURRENT_TIMESTAMP`, `CURRENT_DATE` and `CURRENT_TIME`, and as
//! raw [`DefaultValue::Sql`] otherwise; `now()`, the same function as `CURRENT_TIMESTAMP`,
//! reads as `CURRENT_TIMESTAMP`. A literal cast to an integer type is an `Int`; cast to
//! `real` or `double precision` a `Float`; cast to `numeric` an `Int` when written without a
//! fraction or exponent (numeric keeps `5` and `5.0` apart), a `Float` otherwise; cast to any
//! other type a `String`. A NaN stays raw SQL: as a float it would not even equal itself.
//!
//! Expressions (checks, generated columns, index expressions and predicates, raw defaults) are
//! PostgreSQL's deparsed text: `pg_get_expr` for defaults, generated expressions and
//! predicates, `pg_get_constraintdef` without its `CHECK (` ... `)` for checks, and
//! `pg_get_indexdef(index, key, true)` for index expressions. Constraints come back sorted by
//! name, since the catalog does not keep the order they were declared in.
//!
//! Not modelled, so not read: views, sequences of their own, domains' constraints, exclusion
//! constraints, deferrability and `MATCH` of foreign keys, index collations and storage
//! parameters, identity sequence options, and objects of other schemas
//! (a foreign key's referenced table is named without its schema; an enum of another schema
//! is a [`ColumnType::Custom`] type, as `format_type` prints it). Needs PostgreSQL 12 or later.

use std::collections::BTreeMap;

use crate::dialect::common::catalog::{cell, query, required, unexpected};
use crate::dialect::common::quote_literal;
use crate::dialect::postgres::text::{canonical_check, check_expr, is_null, typed_string};
use crate::dialect::postgres::types::read_type;
use crate::dialect::{Focus, IntrospectError, IntrospectOptions, Session};
use crate::schema::{
    Column, ColumnType, Constraint, DefaultValue, EnumType, Generated, Index, IndexKey, KeyOptions, Literal,
    PortableExpr, References, ReferentialAction, Schema, Table,
};

/// Reads every table of one schema (see [`IntrospectOptions`]) with its columns, constraints
/// and indexes, and the schema's enum types.
///
/// The number of queries is fixed (four), whatever the number of tables. The queries run one
/// after the other: run them inside a `REPEATABLE READ` transaction for a consistent snapshot
/// when other sessions may change the schema meanwhile.
///
/// # Errors
///
/// [`IntrospectError::Query`] when a catalog query fails, [`IntrospectError::Definition`]
/// when the catalog returns something this reader does not understand.
///
/// # Examples
///
/// ```no_run
/// # async fn example() -> Result<(), Box<dyn std::error::Error>> {
/// use aludel::dialect::Backend;
/// use aludel::dialect::IntrospectOptions;
/// use aludel::dialect::postgres::introspect;
///
/// let mut session = Backend::Postgres.connect("postgresql://postgres@127.0.0.1/app", &Default::default()).await?;
/// let options = IntrospectOptions {
///     exclude_tables: vec!["aludel_version".into(), "aludel_history".into()],
///     ..Default::default()
/// };
/// let schema = introspect(session.as_mut(), &options).await?;
/// println!("{} tables", schema.tables.len());
/// # Ok(())
/// # }
/// ```
pub async fn introspect(session: &mut dyn Session, options: &IntrospectOptions) -> Result<Schema, IntrospectError> {
    let scope = Scope::new(options);
    let columns = query(session, "columns", &columns_query(&scope)).await?;
    let constraints = query(session, "constraints", &constraints_query(&scope)).await?;
    let indexes = query(session, "indexes", &indexes_query(&scope)).await?;
    let enums = query(session, "enum types", &enums_query(&scope)).await?;

    let mut schema = Schema::default();
    let names = read_columns(&mut schema, &columns)?;
    read_constraints(&mut schema, &names, &constraints)?;
    read_indexes(&mut schema, &indexes)?;
    read_enums(&mut schema, &enums)?;
    Ok(schema)
}

/// The digest of the rows of `sql`: their text, sorted, hashed.
fn digest_of(sql: &str) -> String {
    format!("(SELECT md5(coalesce(string_agg(q::text, E'\\n' ORDER BY q::text), '')) FROM ({sql}) q)")
}

/// A digest of the rows [`introspect`] reads, computed by PostgreSQL in one round trip and
/// one short answer: two equal digests read back as equal schemas. The rows hold column
/// numbers, so a column dropped and added again changes the digest though the schema reads
/// back the same; callers compare schemas when digests differ.
///
/// # Errors
///
/// [`IntrospectError::Query`] when the query fails.
pub(crate) async fn fingerprint(
    session: &mut dyn Session,
    options: &IntrospectOptions,
) -> Result<String, IntrospectError> {
    let scope = Scope::new(options);
    let sql = format!(
        "SELECT md5({} || {} || {} || {})",
        digest_of(&columns_query(&scope)),
        digest_of(&constraints_query(&scope)),
        digest_of(&indexes_query(&scope)),
        digest_of(&enums_query(&scope))
    );
    first_cell(query(session, "schema digest", &sql).await?)
}

/// `PREPARE name AS ...`: the digest of a [`Focus`], no enum type, with the focus as four
/// parameters (the tables read whole; the tables and columns of the columns read alone, as
/// two arrays of equal length; every table), so that PostgreSQL plans the catalog joins once
/// per session rather than on every call, which costs ten times the query itself.
pub(crate) fn prepare_focused_fingerprint(name: &str, options: &IntrospectOptions) -> String {
    let scope = Scope::new(options);
    let in_tables =
        Scope { namespace: scope.namespace.clone(), tables: format!("{} AND c.relname = ANY($4)", scope.tables) };
    let in_columns = Scope {
        namespace: scope.namespace.clone(),
        tables: format!(
            "{} AND (c.relname = ANY($1) OR (c.relname, a.attname) IN (SELECT * FROM unnest($2::text[], $3::text[])))",
            scope.tables
        ),
    };
    format!(
        "PREPARE {name} (text[], text[], text[], text[]) AS SELECT md5({} || {} || {})",
        digest_of(&columns_query(&in_columns)),
        digest_of(&constraints_query(&in_tables)),
        digest_of(&indexes_query(&in_tables))
    )
}

/// `EXECUTE name (...)` of [`prepare_focused_fingerprint`] for `focus`.
pub(crate) fn execute_focused_fingerprint(name: &str, focus: &Focus) -> String {
    let array = |items: Vec<&str>| {
        let quoted: Vec<String> = items.into_iter().map(quote_literal).collect();
        format!("ARRAY[{}]::text[]", quoted.join(", "))
    };
    let whole = focus.tables.iter().filter(|(_, columns)| columns.is_none()).map(|(t, _)| t.as_str()).collect();
    let pairs: Vec<(&str, &str)> = focus
        .tables
        .iter()
        .flat_map(|(table, columns)| columns.iter().flatten().map(move |column| (table.as_str(), column.as_str())))
        .collect();
    format!(
        "EXECUTE {name} ({}, {}, {}, {})",
        array(whole),
        array(pairs.iter().map(|(t, _)| *t).collect()),
        array(pairs.iter().map(|(_, c)| *c).collect()),
        array(focus.tables.keys().map(String::as_str).collect())
    )
}

/// The one cell of a one-row answer.
pub(crate) fn first_cell(rows: crate::dialect::TextRows) -> Result<String, IntrospectError> {
    Ok(rows.into_iter().next().and_then(|row| row.into_iter().next()).flatten().unwrap_or_default())
}

/// The SQL conditions that pick the schema and its tables, shared by the queries.
struct Scope {
    /// `n.nspname = ...`, for the namespace aliased `n`.
    namespace: String,
    /// Conditions on the table aliased `c`: a plain or partitioned table of the schema, not a
    /// partition, not an extension's, not excluded.
    tables: String,
}

impl Scope {
    fn new(options: &IntrospectOptions) -> Scope {
        let namespace = match &options.schema {
            Some(schema) => format!("n.nspname = {}", quote_literal(schema)),
            None => "n.nspname = current_schema()".to_owned(),
        };
        // Extensions' tables are left out with a NOT IN over one scan of pg_depend, which
        // PostgreSQL hashes once; a NOT EXISTS per table costs far more on a large catalog.
        let mut tables = format!(
            "{namespace} AND c.relkind IN ('r', 'p') AND NOT c.relispartition \
             AND c.oid NOT IN (SELECT x.objid FROM pg_depend x WHERE x.classid = 'pg_class'::regclass \
             AND x.deptype = 'e')"
        );
        if !options.exclude_tables.is_empty() {
            let names: Vec<String> = options.exclude_tables.iter().map(|t| quote_literal(t)).collect();
            tables.push_str(&format!(" AND c.relname NOT IN ({})", names.join(", ")));
        }
        Scope { namespace, tables }
    }
}

/// One row per column of every table (one row with no column for a table without columns):
/// table, table comment, attnum, name, type as `format_type` prints it, the element type of an
/// array, the enum's name when the (element) type is an enum of the schema, array dimensions,
/// not null, identity, generated, default expression, comment, whether the default is
/// the `nextval` of a sequence the column owns (a `serial` column), and the collation when it
/// is not the type's default. A default is deparsed once,
/// without its relation (a default names no column; only a generated expression does), which
/// saves opening the table for each one.
fn columns_query(scope: &Scope) -> String {
    format!(
        "SELECT c.relname, td.description, a.attnum::text, a.attname, \
           format_type(a.atttypid, a.atttypmod), \
           CASE WHEN et.oid IS NOT NULL THEN format_type(et.oid, a.atttypmod) END, \
           CASE WHEN bt.typtype = 'e' AND bt.typnamespace = c.relnamespace THEN bt.typname::text END, \
           a.attndims::text, a.attnotnull::text, a.attidentity::text, a.attgenerated::text, \
           d.def, cd.description, \
           CASE WHEN a.attidentity = '' AND a.attgenerated = '' \
             AND d.def LIKE 'nextval(%' THEN EXISTS ( \
               SELECT 1 FROM pg_depend dep JOIN pg_class s ON s.oid = dep.objid AND s.relkind = 'S' \
               WHERE dep.classid = 'pg_class'::regclass AND dep.refclassid = 'pg_class'::regclass \
                 AND dep.refobjid = c.oid AND dep.refobjsubid = a.attnum AND dep.deptype = 'a' \
                 AND d.def \
                   = 'nextval(' || quote_literal(s.oid::regclass::text) || '::regclass)')::text \
           END, \
           CASE WHEN a.attcollation <> t.typcollation \
             THEN (SELECT co.collname::text FROM pg_collation co WHERE co.oid = a.attcollation) END \
         FROM pg_class c \
         JOIN pg_namespace n ON n.oid = c.relnamespace \
         LEFT JOIN pg_description td ON td.objoid = c.oid AND td.classoid = 'pg_class'::regclass \
           AND td.objsubid = 0 \
         LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped \
         LEFT JOIN pg_type t ON t.oid = a.atttypid \
         LEFT JOIN pg_type et ON et.oid = t.typelem AND et.typarray = t.oid \
         LEFT JOIN pg_type bt ON bt.oid = coalesce(et.oid, t.oid) \
         LEFT JOIN pg_attrdef ad ON ad.adrelid = c.oid AND ad.adnum = a.attnum \
         LEFT JOIN LATERAL (SELECT CASE WHEN a.attgenerated = '' THEN pg_get_expr(ad.adbin, 0) \
           ELSE pg_get_expr(ad.adbin, ad.adrelid) END AS def) d ON true \
         LEFT JOIN pg_description cd ON cd.objoid = c.oid AND cd.classoid = 'pg_class'::regclass \
           AND cd.objsubid = a.attnum \
         WHERE {}",
        scope.tables
    )
}

/// Column names of a key, in key order, as a JSON array: `{key}` of the relation `{rel}`.
fn key_names(key: &str, rel: &str) -> String {
    format!(
        "(SELECT json_agg(ka.attname ORDER BY u.ord) FROM unnest({key}) WITH ORDINALITY u(attnum, ord) \
         JOIN pg_attribute ka ON ka.attrelid = {rel} AND ka.attnum = u.attnum)::text"
    )
}

/// One row per primary key, unique, foreign key and check constraint: table, name, type,
/// columns (JSON), referenced table, referenced columns (JSON), delete and update actions,
/// and the definition of a check.
/// One row per constraint: table, name, type, the key's column numbers, the referenced table,
/// its column numbers, the referenced column names when that table is in another schema (the
/// columns query knows the names of this schema's columns; looking each name up here would
/// cost a subquery per constraint), actions, and a check's definition.
fn constraints_query(scope: &Scope) -> String {
    format!(
        "SELECT c.relname, k.conname, k.contype::text, coalesce(k.conkey::text, '{{}}'), r.relname, k.confkey::text, \
           CASE WHEN r.relnamespace <> c.relnamespace THEN {} END, \
           k.confdeltype::text, k.confupdtype::text, \
           CASE WHEN k.contype = 'c' THEN pg_get_constraintdef(k.oid) END \
         FROM pg_constraint k \
         JOIN pg_class c ON c.oid = k.conrelid \
         JOIN pg_namespace n ON n.oid = c.relnamespace \
         LEFT JOIN pg_class r ON r.oid = k.confrelid \
         WHERE k.contype IN ('p', 'u', 'f', 'c') AND k.conparentid = 0 AND {}",
        key_names("k.confkey", "k.confrelid"),
        scope.tables
    )
}

/// One row per index that backs no constraint: table, name, unique, access method, predicate,
/// the key columns as a JSON array of column names and `{"expr": ...}` objects, each key's
/// options (`indoption`'s DESC and NULLS FIRST bits, an operator class that is not its type's
/// default) as a JSON array of objects, and the `INCLUDE` columns (a JSON array, or NULL).
fn indexes_query(scope: &Scope) -> String {
    format!(
        "SELECT c.relname, ic.relname, i.indisunique::text, am.amname::text, pg_get_expr(i.indpred, i.indrelid), \
           (SELECT json_agg(CASE WHEN k.attnum = 0 \
                     THEN json_build_object('expr', pg_get_indexdef(i.indexrelid, k.ord::int, true)) \
                     ELSE to_json(ka.attname) END ORDER BY k.ord) \
            FROM unnest(i.indkey::int2[]) WITH ORDINALITY k(attnum, ord) \
            LEFT JOIN pg_attribute ka ON ka.attrelid = i.indrelid AND ka.attnum = k.attnum \
            WHERE k.ord <= i.indnkeyatts)::text, \
           (SELECT json_agg(json_build_object( \
                     'opclass', CASE WHEN oc.opcdefault THEN NULL ELSE oc.opcname::text END, \
                     'desc', (i.indoption[k.ord - 1] & 1) = 1, \
                     'nulls_first', (i.indoption[k.ord - 1] & 2) = 2) ORDER BY k.ord) \
            FROM generate_series(1, i.indnkeyatts) k(ord) \
            JOIN pg_opclass oc ON oc.oid = i.indclass[k.ord - 1])::text, \
           (SELECT json_agg(ka.attname ORDER BY k.ord) \
            FROM unnest(i.indkey::int2[]) WITH ORDINALITY k(attnum, ord) \
            JOIN pg_attribute ka ON ka.attrelid = i.indrelid AND ka.attnum = k.attnum \
            WHERE k.ord > i.indnkeyatts)::text \
         FROM pg_index i \
         JOIN pg_class ic ON ic.oid = i.indexrelid \
         JOIN pg_am am ON am.oid = ic.relam \
         JOIN pg_class c ON c.oid = i.indrelid \
         JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE {} AND NOT EXISTS (SELECT 1 FROM pg_constraint b WHERE b.conindid = i.indexrelid \
           AND b.contype IN ('p', 'u', 'x'))",
        scope.tables
    )
}

/// One row per enum type of the schema: name, labels in sort order (JSON).
fn enums_query(scope: &Scope) -> String {
    format!(
        "SELECT t.typname::text, \
           (SELECT json_agg(e.enumlabel ORDER BY e.enumsortorder) FROM pg_enum e WHERE e.enumtypid = t.oid)::text \
         FROM pg_type t \
         JOIN pg_namespace n ON n.oid = t.typnamespace \
         WHERE t.typtype = 'e' AND {} \
           AND NOT EXISTS (SELECT 1 FROM pg_depend x WHERE x.classid = 'pg_type'::regclass \
             AND x.objid = t.oid AND x.deptype = 'e')",
        scope.namespace
    )
}

/// A boolean cell: `t` or `f`.
fn flag(row: &[Option<String>], i: usize, what: &str) -> Result<bool, IntrospectError> {
    match required(row, i, what)? {
        "t" | "true" => Ok(true),
        "f" | "false" => Ok(false),
        other => Err(unexpected(what, format!("the catalog returned `{other}` where true or false belongs"))),
    }
}

/// A JSON cell; SQL `NULL` (an empty aggregate) reads as the empty value.
fn json<T: serde::de::DeserializeOwned + Default>(
    row: &[Option<String>],
    i: usize,
    what: &str,
) -> Result<T, IntrospectError> {
    match cell(row, i) {
        None => Ok(T::default()),
        Some(text) => serde_json::from_str(text)
            .map_err(|err| unexpected(what, format!("the catalog returned `{text}`, which does not read: {err}"))),
    }
}

/// Column names by table and column number.
type ColumnNames = BTreeMap<String, BTreeMap<i64, String>>;

/// Reads the columns into `schema`; returns their names by number, for the constraints.
fn read_columns(schema: &mut Schema, rows: &[Vec<Option<String>>]) -> Result<ColumnNames, IntrospectError> {
    // The rows come unsorted (sorting them by name in the query costs more than here).
    let mut positions: BTreeMap<String, Vec<i64>> = BTreeMap::new();
    let mut names = ColumnNames::new();
    for row in rows {
        let table_name = required(row, 0, "a table")?;
        let table = schema.tables.entry(table_name.to_owned()).or_insert_with(|| Table {
            name: table_name.to_owned(),
            columns: Vec::new(),
            primary_key: Vec::new(),
            primary_key_name: None,
            constraints: Vec::new(),
            comment: cell(row, 1).map(str::to_owned),
        });
        // A table without columns comes back as one row without a column.
        let Some(name) = cell(row, 3) else { continue };
        let what = format!("column {table_name}.{name}");
        let dimensions: usize = required(row, 7, &what)?
            .parse()
            .map_err(|_| unexpected(&what, "the catalog returned a non-numeric attndims"))?;
        let ty = read_type(required(row, 4, &what)?, cell(row, 5), cell(row, 6), dimensions);
        // `attidentity` is `a` for GENERATED ALWAYS, `d` for BY DEFAULT, empty otherwise.
        let attidentity = required(row, 9, &what)?;
        let identity = !attidentity.is_empty();
        // `boolean::text` is `true` or `false`.
        let serial = matches!(cell(row, 13), Some("t" | "true"));
        let expression = cell(row, 11);
        let (default, generated) = match required(row, 10, &what)? {
            "" if serial => (None, None),
            "" => (expression.filter(|e| !is_null(e)).map(default_value), None),
            "s" => {
                let expr = expression.ok_or_else(|| unexpected(&what, "a generated column without an expression"))?;
                (None, Some(Generated { expr: expr.to_owned(), stored: true }))
            }
            other => return Err(unexpected(&what, format!("unknown kind of generated column `{other}`"))),
        };
        let attnum: i64 = required(row, 2, &what)?
            .parse()
            .map_err(|_| unexpected(&what, "the catalog returned a non-numeric attnum"))?;
        positions.entry(table_name.to_owned()).or_default().push(attnum);
        names.entry(table_name.to_owned()).or_default().insert(attnum, name.to_owned());
        table.columns.push(Column {
            name: name.to_owned(),
            ty,
            nullable: !flag(row, 8, &what)?,
            default,
            on_update: None,
            identity: identity || serial,
            serial,
            identity_always: attidentity == "a",
            generated,
            comment: cell(row, 12).map(str::to_owned),
            collation: cell(row, 14).map(str::to_owned),
        });
    }
    for (name, attnums) in positions {
        if let Some(table) = schema.tables.get_mut(&name) {
            let mut numbered: Vec<(i64, Column)> = attnums.into_iter().zip(table.columns.drain(..)).collect();
            numbered.sort_by_key(|(attnum, _)| *attnum);
            table.columns = numbered.into_iter().map(|(_, column)| column).collect();
        }
    }
    Ok(names)
}

/// The names of the columns numbered `numbers` (`{1,3}`, as PostgreSQL prints an int2 array)
/// in `table`, from `names` (table -> attnum -> name).
fn column_names(names: &ColumnNames, table: &str, numbers: &str, what: &str) -> Result<Vec<String>, IntrospectError> {
    let inner = numbers.trim_start_matches('{').trim_end_matches('}');
    if inner.is_empty() {
        return Ok(Vec::new());
    }
    inner
        .split(',')
        .map(|n| {
            let attnum: i64 = n.trim().parse().map_err(|_| unexpected(what, format!("column number `{n}`")))?;
            names
                .get(table)
                .and_then(|columns| columns.get(&attnum))
                .cloned()
                .ok_or_else(|| unexpected(what, format!("no column {attnum} in table {table}")))
        })
        .collect()
}

fn read_constraints(
    schema: &mut Schema,
    names: &ColumnNames,
    rows: &[Vec<Option<String>>],
) -> Result<(), IntrospectError> {
    for row in rows {
        let table_name = required(row, 0, "a constraint's table")?;
        let name = required(row, 1, table_name)?;
        let what = format!("constraint {name} on {table_name}");
        // A table created after the columns were read: the caller did not ask for a snapshot.
        let Some(table) = schema.tables.get_mut(table_name) else { continue };
        let columns = column_names(names, table_name, required(row, 3, &what)?, &what)?;
        let constraint = match required(row, 2, &what)? {
            "p" => {
                table.primary_key = columns;
                table.primary_key_name = Some(name.to_owned());
                continue;
            }
            "u" => Constraint::Unique { name: Some(name.to_owned()), columns },
            "f" => Constraint::ForeignKey {
                name: Some(name.to_owned()),
                columns,
                references: {
                    let referenced = required(row, 4, &what)?;
                    let columns = match cell(row, 6) {
                        // A table of another schema.
                        Some(_) => json(row, 6, &what)?,
                        None => column_names(names, referenced, required(row, 5, &what)?, &what)?,
                    };
                    References { table: referenced.to_owned(), columns }
                },
                on_delete: referential_action(required(row, 7, &what)?, &what)?,
                on_update: referential_action(required(row, 8, &what)?, &what)?,
            },
            "c" => {
                let definition = required(row, 9, &what)?;
                let expr = check_expr(definition)
                    .ok_or_else(|| unexpected(&what, format!("`{definition}` is not a CHECK (...) definition")))?;
                let varchar: Vec<&str> = table
                    .columns
                    .iter()
                    .filter(|c| matches!(c.ty, ColumnType::Varchar(_)))
                    .map(|c| c.name.as_str())
                    .collect();
                Constraint::Check { name: Some(name.to_owned()), expr: canonical_check(expr, &varchar) }
            }
            other => return Err(unexpected(&what, format!("unknown constraint type `{other}`"))),
        };
        table.constraints.push(constraint);
    }
    for table in schema.tables.values_mut() {
        table.constraints.sort_by(|a, b| a.name().cmp(&b.name()));
    }
    Ok(())
}

fn read_indexes(schema: &mut Schema, rows: &[Vec<Option<String>>]) -> Result<(), IntrospectError> {
    for row in rows {
        let table = required(row, 0, "an index's table")?;
        let name = required(row, 1, table)?;
        let what = format!("index {name} on {table}");
        if !schema.tables.contains_key(table) {
            continue;
        }
        let method = required(row, 3, &what)?;
        let columns: Vec<IndexKey> = json(row, 5, &what)?;
        let key_options: Vec<CatalogKeyOptions> = json(row, 6, &what)?;
        let key_options =
            key_options.into_iter().map(|key| KeyOptions::new(key.opclass, key.desc, Some(key.nulls_first))).collect();
        schema.indexes.insert(
            name.to_owned(),
            Index {
                name: name.to_owned(),
                table: table.to_owned(),
                columns,
                unique: flag(row, 2, &what)?,
                predicate: cell(row, 4).map(str::to_owned),
                method: (method != "btree").then(|| method.to_owned()),
                key_options: KeyOptions::canonical(key_options),
                include: match cell(row, 7) {
                    Some(_) => json(row, 7, &what)?,
                    None => Vec::new(),
                },
            },
        );
    }
    Ok(())
}

/// One key's options as the catalog has them: every flag, the operator class only when it is
/// not its type's default.
#[derive(serde::Deserialize)]
struct CatalogKeyOptions {
    opclass: Option<String>,
    desc: bool,
    nulls_first: bool,
}

fn read_enums(schema: &mut Schema, rows: &[Vec<Option<String>>]) -> Result<(), IntrospectError> {
    for row in rows {
        let name = required(row, 0, "an enum type")?;
        let values: Vec<String> = json(row, 1, &format!("enum type {name}"))?;
        schema.enums.insert(name.to_owned(), EnumType { name: name.to_owned(), values });
    }
    Ok(())
}

/// `confdeltype` / `confupdtype`. `NO ACTION`, the default, is `None`, so a model that leaves
/// the action out compares equal.
fn referential_action(code: &str, what: &str) -> Result<Option<ReferentialAction>, IntrospectError> {
    Ok(match code {
        "a" => None,
        "r" => Some(ReferentialAction::Restrict),
        "c" => Some(ReferentialAction::Cascade),
        "n" => Some(ReferentialAction::SetNull),
        "d" => Some(ReferentialAction::SetDefault),
        other => return Err(unexpected(what, format!("unknown referential action `{other}`"))),
    })
}

/// A server default as `pg_get_expr` prints it.
fn default_value(printed: &str) -> DefaultValue {
    let text = printed.trim();
    match text {
        "true" => return DefaultValue::Value(Literal::Bool(true)),
        "false" => return DefaultValue::Value(Literal::Bool(false)),
        "CURRENT_TIMESTAMP" => return DefaultValue::Expr(PortableExpr::CurrentTimestamp),
        // The function behind CURRENT_TIMESTAMP, which PostgreSQL prints apart; the diff
        // compares the two by meaning.
        "now()" => return DefaultValue::Expr(PortableExpr::Now),
        "CURRENT_DATE" => return DefaultValue::Expr(PortableExpr::CurrentDate),
        "CURRENT_TIME" => return DefaultValue::Expr(PortableExpr::CurrentTime),
        _ => {}
    }
    // A bare number; a negative one may come back parenthesised.
    let bare = match text.strip_prefix('(').and_then(|t| t.strip_suffix(')')) {
        Some(inner) if inner.starts_with('-') => inner,
        _ => text,
    };
    if bare.trim_start_matches('-').starts_with(|c: char| c.is_ascii_digit())
        && let Some(literal) = number(bare, NumberKind::Lexical)
    {
        return as_written(bare).unwrap_or(DefaultValue::Value(literal));
    }
    if let Some((literal, label)) = typed_string(text) {
        let kind = match label {
            "smallint" | "integer" | "bigint" => Some(NumberKind::Int),
            "real" | "double precision" => Some(NumberKind::Float),
            "numeric" => Some(NumberKind::Lexical),
            _ => None,
        };
        return match kind {
            Some(NumberKind::Lexical) if number(&literal, NumberKind::Lexical).is_some() => {
                as_written(&literal).unwrap_or_else(|| default_value(&literal))
            }
            Some(kind) => {
                number(&literal, kind).map_or_else(|| DefaultValue::Sql(text.to_owned()), DefaultValue::Value)
            }
            None => DefaultValue::Value(Literal::String(literal)),
        };
    }
    DefaultValue::Sql(text.to_owned())
}

/// A numeric default with trailing zeros in its fraction (`0.00`, `1.50`: a `numeric`'s scale),
/// which its value would lose, kept as the database holds it, so that a downgrade recreating
/// the column writes it so again.
fn as_written(number: &str) -> Option<DefaultValue> {
    let scaled = number.contains('.') && !number.contains(['e', 'E']) && number.ends_with('0');
    (scaled && crate::schema::number_literal(number).is_some() && !crate::schema::spelled_as_value(number))
        .then(|| DefaultValue::Number(number.to_owned()))
}

/// How a number's text becomes a literal.
#[derive(Clone, Copy)]
enum NumberKind {
    /// Always an integer.
    Int,
    /// Always a float.
    Float,
    /// An integer when written without a fraction or exponent, else a float.
    Lexical,
}

fn number(text: &str, kind: NumberKind) -> Option<Literal> {
    let integral = text.trim_start_matches('-').bytes().all(|b| b.is_ascii_digit());
    match kind {
        NumberKind::Int => text.parse().ok().map(Literal::Int),
        NumberKind::Lexical if integral => text.parse().ok().map(Literal::Int),
        // A NaN never equals itself, so as a float it would differ from every model: it
        // stays the SQL PostgreSQL prints, which compares equal to itself.
        NumberKind::Float | NumberKind::Lexical => text.parse().ok().filter(|f: &f64| !f.is_nan()).map(Literal::Float),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check_default(printed: &str, expected: DefaultValue) {
        assert_eq!(default_value(printed), expected, "{printed}");
    }

    fn value(literal: Literal) -> DefaultValue {
        DefaultValue::Value(literal)
    }

    #[test]
    fn defaults_read_as_postgresql_prints_them() {
        check_default("true", value(Literal::Bool(true)));
        check_default("false", value(Literal::Bool(false)));
        check_default("42", value(Literal::Int(42)));
        check_default("(-7)", value(Literal::Int(-7)));
        check_default("'-1'::integer", value(Literal::Int(-1)));
        check_default("'9223372036854775807'::bigint", value(Literal::Int(i64::MAX)));
        check_default("1.5", value(Literal::Float(1.5)));
        // Written otherwise than its value prints, a number keeps its text.
        check_default("0.00", DefaultValue::Number("0.00".into()));
        check_default("'1.50'::numeric", DefaultValue::Number("1.50".into()));
        check_default("'-2.10'::numeric", DefaultValue::Number("-2.10".into()));
        check_default("1.0", value(Literal::Float(1.0)));
        check_default("'-1.5'::numeric", value(Literal::Float(-1.5)));
        check_default("'5'::numeric", value(Literal::Int(5)));
        check_default("'1'::double precision", value(Literal::Float(1.0)));
        check_default("'-Infinity'::double precision", value(Literal::Float(f64::NEG_INFINITY)));
        check_default("'NaN'::double precision", DefaultValue::Sql("'NaN'::double precision".into()));
        check_default("'NaN'::numeric", DefaultValue::Sql("'NaN'::numeric".into()));
        check_default("'it''s'::character varying", value(Literal::String("it's".into())));
        check_default("''::text", value(Literal::String(String::new())));
        check_default("'ok'::\"Mood\"", value(Literal::String("ok".into())));
        check_default("'{}'::text[]", value(Literal::String("{}".into())));
        check_default("'x'::text || 'y'::text", DefaultValue::Sql("'x'::text || 'y'::text".into()));
        check_default("'1 day'::interval * 2", DefaultValue::Sql("'1 day'::interval * 2".into()));
        check_default("'abc'::integer", DefaultValue::Sql("'abc'::integer".into()));
        check_default("99999999999999999999", DefaultValue::Sql("99999999999999999999".into()));
        check_default("CURRENT_TIMESTAMP", DefaultValue::Expr(PortableExpr::CurrentTimestamp));
        check_default("CURRENT_DATE", DefaultValue::Expr(PortableExpr::CurrentDate));
        check_default("CURRENT_TIME", DefaultValue::Expr(PortableExpr::CurrentTime));
        check_default("LOCALTIMESTAMP", DefaultValue::Sql("LOCALTIMESTAMP".into()));
        check_default("now()", DefaultValue::Expr(PortableExpr::Now));
        check_default("nextval('t_id_seq'::regclass)", DefaultValue::Sql("nextval('t_id_seq'::regclass)".into()));
    }
}
