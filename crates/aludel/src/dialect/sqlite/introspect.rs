//! A live SQLite database read back into the [`Schema`] model, set-based: four catalog
//! queries for the whole database, however many tables it holds.
//!
//! The table-valued pragma functions joined against `sqlite_master` give, for every table at
//! once, its columns (`pragma_table_xinfo`), its indexes and their keys (`pragma_index_list`,
//! `pragma_index_xinfo`) and its foreign keys (`pragma_foreign_key_list`). What SQLite keeps
//! only in the `CREATE` text of `sqlite_master.sql` (constraint names, CHECK expressions,
//! generated column expressions, `AUTOINCREMENT`, index expressions and predicates) is read
//! from that text with a small tokenizer that knows SQLite's strings, quoted identifiers,
//! comments and nested parentheses.
//!
//! SQLite cannot hold everything the model says; [`as_stored`] restates a model as SQLite
//! stores it, which is what introspection returns after that model is migrated in:
//! - comments are not stored;
//! - enum types do not exist: an `enum:<name>` column is `TEXT` with a CHECK named
//!   `aludel_enum_<name>` that lists the values, and comes back as the enum column with the
//!   enum and those values; an enum no column uses is not stored at all;
//! - an identity column is `INTEGER PRIMARY KEY AUTOINCREMENT`: it comes back as a non-null
//!   `integer` whatever integer type the model gave it;
//! - a primary key declared among the constraints comes back as the table's `primary_key`;
//! - a foreign key action `no_action` is SQLite's default and comes back absent; an index
//!   `method` (only b-trees exist) comes back absent.
//!
//! Also not modelled, so not read: virtual tables, views, triggers, `WITHOUT ROWID` and
//! `STRICT`, index key order (`DESC`) and collations, and conflict clauses.

use std::collections::{BTreeMap, HashSet};

use crate::dialect::sqlite::{ENUM_CHECK_PREFIX, types};
use crate::dialect::{IntrospectError, IntrospectOptions, Session};
use crate::schema::{
    Column, ColumnType, Constraint, DefaultValue, EnumType, Generated, Index, IndexKey, Literal, PortableExpr,
    References, ReferentialAction, Schema, Table,
};

/// Keeps SQLite's own objects (`sqlite_sequence`, `sqlite_stat1`, ...) and virtual tables out.
const TABLE_FILTER: &str = "m.type = 'table' AND m.name NOT LIKE 'sqlite\\_%' ESCAPE '\\' \
     AND coalesce(m.sql, '') NOT LIKE 'CREATE VIRTUAL%'";

/// Every table and index with its SQL: type, name, table, sql.
const OBJECTS_QUERY: &str = "SELECT m.type, m.name, m.tbl_name, m.sql FROM sqlite_master m \
     WHERE m.type IN ('table', 'index') AND m.name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY m.name";

/// The catalog queries, with what each reads; their number is fixed.
fn catalog_queries() -> [(&'static str, String); 4] {
    [
        ("tables", OBJECTS_QUERY.to_owned()),
        (
            "columns",
            format!(
                "SELECT m.name, CAST(p.cid AS TEXT), p.name, p.type, CAST(p.\"notnull\" AS TEXT), p.dflt_value, \
                 CAST(p.pk AS TEXT), CAST(p.hidden AS TEXT) \
                 FROM sqlite_master m JOIN pragma_table_xinfo(m.name) p \
                 WHERE {TABLE_FILTER} ORDER BY m.name, p.cid"
            ),
        ),
        (
            "indexes",
            format!(
                "SELECT m.name, il.name, CAST(il.\"unique\" AS TEXT), il.origin, CAST(il.partial AS TEXT), \
                 CAST(ix.seqno AS TEXT), CAST(ix.cid AS TEXT), ix.name \
                 FROM sqlite_master m JOIN pragma_index_list(m.name) il JOIN pragma_index_xinfo(il.name) ix \
                 WHERE {TABLE_FILTER} AND ix.key = 1 ORDER BY m.name, il.name, ix.seqno"
            ),
        ),
        (
            "foreign keys",
            format!(
                "SELECT m.name, CAST(f.id AS TEXT), CAST(f.seq AS TEXT), f.\"table\", f.\"from\", f.\"to\", \
                 f.on_update, f.on_delete \
                 FROM sqlite_master m JOIN pragma_foreign_key_list(m.name) f \
                 WHERE {TABLE_FILTER} ORDER BY m.name, f.id, f.seq"
            ),
        ),
    ]
}

/// Reads every table of the database behind `session` (except `options.exclude_tables` and
/// SQLite's own), with its columns, primary key, constraints and indexes.
///
/// The number of queries is fixed (four), whatever the number of tables. Run it inside a
/// transaction for a consistent snapshot when other connections may change the schema.
///
/// # Errors
///
/// [`IntrospectError::Query`] when a catalog query fails, [`IntrospectError::Definition`]
/// when a table's or index's SQL cannot be read.
pub async fn introspect(session: &mut dyn Session, options: &IntrospectOptions) -> Result<Schema, IntrospectError> {
    let mut results = Vec::with_capacity(4);
    for (what, sql) in catalog_queries() {
        results.push(session.query_text(&sql).await.map_err(|source| IntrospectError::Query { what, source })?);
    }
    let [objects, columns, indexes, foreign_keys]: [_; 4] = results.try_into().expect("one result per catalog query");
    assemble(&Catalog { objects, columns, indexes, foreign_keys }, options)
}

/// The rows the catalog queries returned, every cell as text.
struct Catalog {
    objects: Vec<Vec<Option<String>>>,
    columns: Vec<Vec<Option<String>>>,
    indexes: Vec<Vec<Option<String>>>,
    foreign_keys: Vec<Vec<Option<String>>>,
}

/// One row of `pragma_table_xinfo`.
struct ColumnRow<'a> {
    name: &'a str,
    declared: &'a str,
    not_null: bool,
    default: Option<&'a str>,
    /// 1-based position in the primary key, 0 outside it.
    pk: i64,
    /// 0 plain, 1 hidden (virtual tables), 2 generated virtual, 3 generated stored.
    hidden: i64,
}

/// One index from `pragma_index_list` with its keys from `pragma_index_xinfo`.
struct IndexRows<'a> {
    unique: bool,
    /// `c` (CREATE INDEX), `u` (UNIQUE constraint) or `pk` (PRIMARY KEY).
    origin: &'a str,
    partial: bool,
    /// Column position (-1 rowid, -2 expression) and name of each key, in order.
    keys: Vec<(i64, Option<&'a str>)>,
}

/// One foreign key from `pragma_foreign_key_list`.
struct ForeignKeyRows<'a> {
    table: &'a str,
    from: Vec<&'a str>,
    /// Absent when the key references the parent's primary key implicitly.
    to: Vec<Option<&'a str>>,
    on_update: &'a str,
    on_delete: &'a str,
}

fn definition_error(object: &str, reason: impl Into<String>) -> IntrospectError {
    IntrospectError::Definition { object: object.to_owned(), reason: reason.into() }
}

fn cell(row: &[Option<String>], i: usize) -> Option<&str> {
    row.get(i).and_then(|c| c.as_deref())
}

fn text<'a>(row: &'a [Option<String>], i: usize, object: &str) -> Result<&'a str, IntrospectError> {
    cell(row, i).ok_or_else(|| definition_error(object, format!("the catalog returned no value in column {i}")))
}

fn number(row: &[Option<String>], i: usize, object: &str) -> Result<i64, IntrospectError> {
    let value = text(row, i, object)?;
    value
        .parse()
        .map_err(|_| definition_error(object, format!("the catalog returned `{value}` where a number belongs")))
}

/// Builds the schema from the catalog rows.
fn assemble(catalog: &Catalog, options: &IntrospectOptions) -> Result<Schema, IntrospectError> {
    let excluded: HashSet<&str> = options.exclude_tables.iter().map(String::as_str).collect();
    let mut table_sql: BTreeMap<&str, &str> = BTreeMap::new();
    let mut index_sql: BTreeMap<&str, &str> = BTreeMap::new();
    for row in &catalog.objects {
        let name = text(row, 1, "sqlite_master")?;
        let Some(sql) = cell(row, 3) else { continue };
        match cell(row, 0) {
            Some("table") if !starts_with_words(sql, &["CREATE", "VIRTUAL"]) => {
                table_sql.insert(name, sql);
            }
            Some("index") => {
                index_sql.insert(name, sql);
            }
            _ => {}
        }
    }

    let mut columns: BTreeMap<&str, Vec<ColumnRow<'_>>> = BTreeMap::new();
    for row in &catalog.columns {
        let table = text(row, 0, "pragma_table_xinfo")?;
        columns.entry(table).or_default().push(ColumnRow {
            name: text(row, 2, table)?,
            declared: cell(row, 3).unwrap_or(""),
            not_null: number(row, 4, table)? != 0,
            default: cell(row, 5),
            pk: number(row, 6, table)?,
            hidden: number(row, 7, table)?,
        });
    }

    let mut indexes: BTreeMap<&str, BTreeMap<&str, IndexRows<'_>>> = BTreeMap::new();
    for row in &catalog.indexes {
        let table = text(row, 0, "pragma_index_list")?;
        let name = text(row, 1, table)?;
        let entry = indexes.entry(table).or_default().entry(name).or_insert(IndexRows {
            unique: number(row, 2, name)? != 0,
            origin: text(row, 3, name)?,
            partial: number(row, 4, name)? != 0,
            keys: Vec::new(),
        });
        entry.keys.push((number(row, 6, name)?, cell(row, 7)));
    }

    let mut foreign_keys: BTreeMap<&str, BTreeMap<i64, ForeignKeyRows<'_>>> = BTreeMap::new();
    for row in &catalog.foreign_keys {
        let table = text(row, 0, "pragma_foreign_key_list")?;
        let entry = foreign_keys.entry(table).or_default().entry(number(row, 1, table)?).or_insert(ForeignKeyRows {
            table: text(row, 3, table)?,
            from: Vec::new(),
            to: Vec::new(),
            on_update: cell(row, 6).unwrap_or("NO ACTION"),
            on_delete: cell(row, 7).unwrap_or("NO ACTION"),
        });
        entry.from.push(text(row, 4, table)?);
        entry.to.push(cell(row, 5).filter(|to| !to.is_empty()));
    }

    let primary_key_of = |table: &str| -> Vec<String> {
        let Some(rows) = columns.iter().find(|(name, _)| name.eq_ignore_ascii_case(table)).map(|(_, rows)| rows) else {
            return Vec::new();
        };
        let mut key: Vec<&ColumnRow<'_>> = rows.iter().filter(|c| c.pk > 0).collect();
        key.sort_by_key(|c| c.pk);
        key.iter().map(|c| c.name.to_owned()).collect()
    };

    let mut schema = Schema::default();
    for (&table_name, &sql) in &table_sql {
        if excluded.contains(table_name) {
            continue;
        }
        let parsed = parse_create_table(sql).map_err(|reason| definition_error(table_name, reason))?;
        let rows = columns.get(table_name).map(Vec::as_slice).unwrap_or_default();
        let mut table = Table {
            name: table_name.to_owned(),
            columns: Vec::with_capacity(rows.len()),
            primary_key: primary_key_of(table_name),
            primary_key_name: None,
            constraints: Vec::new(),
            comment: None,
        };
        for row in rows.iter().filter(|r| r.hidden != 1) {
            let written = parsed.columns.iter().find(|c| c.name.eq_ignore_ascii_case(row.name));
            let ty = read_type(row.declared);
            let generated = match row.hidden {
                2 | 3 => {
                    let expr = written.and_then(|c| c.generated.clone()).ok_or_else(|| {
                        definition_error(table_name, format!("no expression found for generated column `{}`", row.name))
                    })?;
                    Some(Generated { expr, stored: row.hidden == 3 })
                }
                _ => None,
            };
            let default = match (&generated, row.default) {
                (None, Some(text)) => read_default(text, &ty),
                _ => None,
            };
            table.columns.push(Column {
                name: row.name.to_owned(),
                ty,
                nullable: !row.not_null,
                default,
                on_update: None,
                identity: written.is_some_and(|c| c.autoincrement),
                generated,
                comment: None,
                collation: written.and_then(|c| c.collation.clone()),
            });
        }

        // Constraints: those declared on a column first, in column order, then the table's,
        // in the order written. SQLite appends a column added by ALTER TABLE after the table's
        // constraints in the text, so the text order alone would depend on history.
        let position = |column: &str| table.columns.iter().position(|c| c.name.eq_ignore_ascii_case(column));
        let mut written: Vec<&ConstraintText> = parsed.constraints.iter().collect();
        written.sort_by_key(|c| match &c.column {
            Some(column) => (0, position(column).unwrap_or(usize::MAX)),
            None => (1, 0),
        });
        let table_indexes = indexes.get(table_name);
        let mut uniques: Vec<Option<Vec<String>>> = table_indexes
            .into_iter()
            .flat_map(|by_name| by_name.values())
            .filter(|index| index.origin == "u")
            .map(|index| Some(index.keys.iter().filter_map(|(_, name)| name.map(str::to_owned)).collect()))
            .collect();
        // SQLite lists foreign keys newest first: reversed, they are in the order written.
        let mut fks: Vec<Option<&ForeignKeyRows<'_>>> =
            foreign_keys.get(table_name).into_iter().flat_map(|by_id| by_id.values().rev()).map(Some).collect();
        let build_fk = |name: Option<String>, fk: &ForeignKeyRows<'_>| {
            let referenced = if fk.to.iter().all(Option::is_some) {
                fk.to.iter().flatten().map(|c| (*c).to_owned()).collect()
            } else {
                primary_key_of(fk.table)
            };
            Constraint::ForeignKey {
                name,
                columns: fk.from.iter().map(|c| (*c).to_owned()).collect(),
                references: References { table: fk.table.to_owned(), columns: referenced },
                on_delete: read_action(fk.on_delete),
                on_update: read_action(fk.on_update),
            }
        };
        for constraint in written {
            let name = constraint.name.clone();
            match &constraint.body {
                ConstraintBody::PrimaryKey => {
                    if name.is_some() {
                        table.primary_key_name = name;
                    }
                }
                ConstraintBody::Unique(columns) => {
                    let found = uniques.iter_mut().find(|u| u.as_ref().is_some_and(|u| same_names(u, columns)));
                    // Without an index of its own, the unique repeats another one, which SQLite
                    // enforces with that index; it is still declared, so it is still reported.
                    let columns = found.and_then(Option::take).unwrap_or_else(|| columns.clone());
                    table.constraints.push(Constraint::Unique { name, columns });
                }
                ConstraintBody::ForeignKey { columns, table: parent } => {
                    let found = fks.iter_mut().find(|fk| {
                        fk.is_some_and(|fk| fk.table.eq_ignore_ascii_case(parent) && same_names(&fk.from, columns))
                    });
                    if let Some(fk) = found.and_then(Option::take) {
                        table.constraints.push(build_fk(name, fk));
                    }
                }
                ConstraintBody::Check(expr) => {
                    let as_enum = constraint.column.as_deref().zip(name.as_deref()).and_then(|(column, name)| {
                        Some((column, name.strip_prefix(ENUM_CHECK_PREFIX)?, enum_values(expr, column)?))
                    });
                    match as_enum {
                        Some((column, enum_name, values)) => {
                            if let Some(target) = table.columns.iter_mut().find(|c| c.name.eq_ignore_ascii_case(column))
                            {
                                target.ty = ColumnType::Enum(enum_name.to_owned());
                            }
                            schema
                                .enums
                                .entry(enum_name.to_owned())
                                .or_insert_with(|| EnumType { name: enum_name.to_owned(), values });
                        }
                        None => table.constraints.push(Constraint::Check { name, expr: expr.clone() }),
                    }
                }
            }
        }
        table
            .constraints
            .extend(uniques.into_iter().flatten().map(|columns| Constraint::Unique { name: None, columns }));
        table.constraints.extend(fks.into_iter().flatten().map(|fk| build_fk(None, fk)));

        for (&index_name, index) in table_indexes.into_iter().flatten() {
            if index.origin != "c" {
                continue;
            }
            let sql = index_sql
                .get(index_name)
                .ok_or_else(|| definition_error(index_name, "the index has no SQL in sqlite_master"))?;
            let parsed = parse_create_index(sql).map_err(|reason| definition_error(index_name, reason))?;
            let columns = index
                .keys
                .iter()
                .enumerate()
                .map(|(i, (cid, name))| match (cid, name) {
                    (-2, _) => parsed.keys.get(i).map(|expr| IndexKey::Expr { expr: expr.clone() }).ok_or_else(|| {
                        definition_error(index_name, format!("key {} is an expression the SQL does not show", i + 1))
                    }),
                    (_, Some(name)) => Ok(IndexKey::Column((*name).to_owned())),
                    (_, None) => Ok(IndexKey::Column("rowid".to_owned())),
                })
                .collect::<Result<Vec<_>, _>>()?;
            schema.indexes.insert(
                index_name.to_owned(),
                Index {
                    name: index_name.to_owned(),
                    table: table_name.to_owned(),
                    columns,
                    unique: index.unique,
                    predicate: if index.partial { parsed.predicate } else { None },
                    method: None,
                },
            );
        }
        schema.tables.insert(table.name.clone(), table);
    }
    canonical_expressions(&mut schema);
    Ok(schema)
}

/// Whether two lists name the same columns, in order (SQLite names are case-insensitive).
fn same_names(a: &[impl AsRef<str>], b: &[impl AsRef<str>]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(a, b)| a.as_ref().eq_ignore_ascii_case(b.as_ref()))
}

fn starts_with_words(sql: &str, words: &[&str]) -> bool {
    let mut rest = sql.split_whitespace();
    words.iter().all(|w| rest.next().is_some_and(|r| r.eq_ignore_ascii_case(w)))
}

/// `NO ACTION` is SQLite's default, reported as no action at all.
fn read_action(action: &str) -> Option<ReferentialAction> {
    match action.to_ascii_uppercase().as_str() {
        "RESTRICT" => Some(ReferentialAction::Restrict),
        "CASCADE" => Some(ReferentialAction::Cascade),
        "SET NULL" => Some(ReferentialAction::SetNull),
        "SET DEFAULT" => Some(ReferentialAction::SetDefault),
        _ => None,
    }
}

/// The neutral type for a declared column type: the spellings `types` writes (in any case
/// and spacing), and anything else verbatim as [`ColumnType::Custom`].
fn read_type(declared: &str) -> ColumnType {
    let custom = || ColumnType::Custom(declared.to_owned());
    let words: Vec<&str> = declared.split_whitespace().collect();
    let normalized = words.join(" ").to_ascii_uppercase();
    let (base, params) = match normalized.split_once('(') {
        Some((base, rest)) => {
            let Some(inner) = rest.strip_suffix(')') else { return custom() };
            let params: Result<Vec<u32>, _> = inner.split(',').map(|p| p.trim().parse::<u32>()).collect();
            match params {
                Ok(params) => (base.trim_end(), Some(params)),
                Err(_) => return custom(),
            }
        }
        None => (normalized.as_str(), None),
    };
    match (base, params.as_deref()) {
        ("SMALLINT", None) => ColumnType::SmallInt,
        ("INTEGER", None) => ColumnType::Integer,
        ("BIGINT", None) => ColumnType::BigInt,
        ("REAL", None) => ColumnType::Real,
        ("DOUBLE PRECISION", None) => ColumnType::Double,
        ("NUMERIC", None) => ColumnType::Numeric(None),
        ("NUMERIC", Some([precision])) => ColumnType::Numeric(Some((*precision, 0))),
        ("NUMERIC", Some([precision, scale])) => ColumnType::Numeric(Some((*precision, *scale))),
        ("VARCHAR", None) => ColumnType::Varchar(None),
        ("VARCHAR", Some([length])) => ColumnType::Varchar(Some(*length)),
        ("CHAR", None) => ColumnType::Char(None),
        ("CHAR", Some([length])) => ColumnType::Char(Some(*length)),
        ("TEXT", None) => ColumnType::Text,
        ("BOOLEAN", None) => ColumnType::Boolean,
        ("DATE", None) => ColumnType::Date,
        ("TIME", None) => ColumnType::Time,
        ("TIMESTAMP", None) => ColumnType::Timestamp,
        ("TIMESTAMPTZ", None) => ColumnType::Timestamptz,
        ("INTERVAL", None) => ColumnType::Interval,
        ("UUID", None) => ColumnType::Uuid,
        ("JSON", None) => ColumnType::Json,
        ("JSONB", None) => ColumnType::Jsonb,
        ("BLOB", None) => ColumnType::Bytes,
        _ => custom(),
    }
}

/// A column default as `pragma_table_xinfo` shows it (the text after `DEFAULT`): literals
/// become values (`1`/`0` on a boolean column become `true`/`false`), `CURRENT_*` portable
/// expressions, `NULL` no default, and anything else raw SQL (without the parentheses SQLite
/// requires around an expression).
fn read_default(text: &str, ty: &ColumnType) -> Option<DefaultValue> {
    let raw = || Some(DefaultValue::Sql(text.trim().to_owned()));
    let Ok(tokens) = Tokens::new(text) else { return raw() };
    let kinds: Vec<Kind> = tokens.tokens.iter().map(|t| t.kind).collect();
    let number = |literal: &str| -> Option<DefaultValue> {
        let value = if let Ok(int) = literal.parse::<i64>() {
            match (ty, int) {
                (ColumnType::Boolean, 0 | 1) => Literal::Bool(int == 1),
                _ => Literal::Int(int),
            }
        } else if !literal.contains(['x', 'X']) {
            Literal::Float(literal.parse::<f64>().ok()?)
        } else {
            return None;
        };
        Some(DefaultValue::Value(value))
    };
    match kinds.as_slice() {
        [] => None,
        [Kind::String] => Some(DefaultValue::Value(Literal::String(unquote(tokens.text(0))))),
        [Kind::Number] => number(tokens.text(0)).or_else(raw),
        [Kind::Other, Kind::Number] if matches!(tokens.text(0), "-" | "+") => {
            number(&format!("{}{}", tokens.text(0).trim_start_matches('+'), tokens.text(1))).or_else(raw)
        }
        [Kind::Word] => match tokens.text(0).to_ascii_uppercase().as_str() {
            "CURRENT_TIMESTAMP" => Some(DefaultValue::Expr(PortableExpr::CurrentTimestamp)),
            "CURRENT_DATE" => Some(DefaultValue::Expr(PortableExpr::CurrentDate)),
            "CURRENT_TIME" => Some(DefaultValue::Expr(PortableExpr::CurrentTime)),
            "TRUE" => Some(DefaultValue::Value(Literal::Bool(true))),
            "FALSE" => Some(DefaultValue::Value(Literal::Bool(false))),
            "NULL" => None,
            _ => raw(),
        },
        [Kind::Open, .., Kind::Close] if tokens.close_of(0) == Ok(tokens.tokens.len() - 1) => {
            Some(DefaultValue::Sql(tokens.inner(0, tokens.tokens.len() - 1).to_owned()))
        }
        _ => raw(),
    }
}

/// Spells every expression of `schema` (checks, generated columns, index keys and predicates,
/// raw defaults) as [`expression`] does, so that quoting SQLite adds (when it renames a
/// column, say) compares equal.
fn canonical_expressions(schema: &mut Schema) {
    for table in schema.tables.values_mut() {
        for column in &mut table.columns {
            if let Some(generated) = &mut column.generated {
                generated.expr = expression(&generated.expr);
            }
            if let Some(DefaultValue::Sql(sql)) = &mut column.default {
                *sql = expression(sql);
            }
        }
        for constraint in &mut table.constraints {
            if let Constraint::Check { expr, .. } = constraint {
                *expr = expression(expr);
            }
        }
    }
    for index in schema.indexes.values_mut() {
        for key in &mut index.columns {
            if let IndexKey::Expr { expr } = key {
                *expr = expression(expr);
            }
        }
        if let Some(predicate) = &mut index.predicate {
            *predicate = expression(predicate);
        }
    }
}

/// An expression as written, trimmed, with quoted names that need no quotes (lower case,
/// not a keyword) written bare: `length("title")` is `length(title)`. Text that does not
/// tokenize is returned trimmed.
pub(crate) fn expression(text: &str) -> String {
    let text = text.trim();
    let Ok(tokens) = Tokens::new(text) else { return text.to_owned() };
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    for token in &tokens.tokens {
        if token.kind != Kind::Quoted {
            continue;
        }
        let name = unquote(&text[token.start..token.end]);
        let plain = name.starts_with(|c: char| c.is_ascii_lowercase() || c == '_')
            && name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
            && !is_keyword(&name);
        if plain {
            out.push_str(&text[copied..token.start]);
            out.push_str(&name);
            copied = token.end;
        }
    }
    out.push_str(&text[copied..]);
    out
}

/// Whether `word` is one of SQLite's keywords, which stay quoted as names.
fn is_keyword(word: &str) -> bool {
    const KEYWORDS: &[&str] = &[
        "abort",
        "action",
        "add",
        "after",
        "all",
        "alter",
        "always",
        "analyze",
        "and",
        "as",
        "asc",
        "attach",
        "autoincrement",
        "before",
        "begin",
        "between",
        "by",
        "cascade",
        "case",
        "cast",
        "check",
        "collate",
        "column",
        "commit",
        "conflict",
        "constraint",
        "create",
        "cross",
        "current",
        "current_date",
        "current_time",
        "current_timestamp",
        "database",
        "default",
        "deferrable",
        "deferred",
        "delete",
        "desc",
        "detach",
        "distinct",
        "do",
        "drop",
        "each",
        "else",
        "end",
        "escape",
        "except",
        "exclude",
        "exclusive",
        "exists",
        "explain",
        "fail",
        "filter",
        "first",
        "following",
        "for",
        "foreign",
        "from",
        "full",
        "generated",
        "glob",
        "group",
        "groups",
        "having",
        "if",
        "ignore",
        "immediate",
        "in",
        "index",
        "indexed",
        "initially",
        "inner",
        "insert",
        "instead",
        "intersect",
        "into",
        "is",
        "isnull",
        "join",
        "key",
        "last",
        "left",
        "like",
        "limit",
        "match",
        "materialized",
        "natural",
        "no",
        "not",
        "nothing",
        "notnull",
        "null",
        "nulls",
        "of",
        "offset",
        "on",
        "or",
        "order",
        "others",
        "outer",
        "over",
        "partition",
        "plan",
        "pragma",
        "preceding",
        "primary",
        "query",
        "raise",
        "range",
        "recursive",
        "references",
        "regexp",
        "reindex",
        "release",
        "rename",
        "replace",
        "restrict",
        "returning",
        "right",
        "rollback",
        "row",
        "rows",
        "savepoint",
        "select",
        "set",
        "table",
        "temp",
        "temporary",
        "then",
        "ties",
        "to",
        "transaction",
        "trigger",
        "unbounded",
        "union",
        "unique",
        "update",
        "using",
        "vacuum",
        "values",
        "view",
        "virtual",
        "when",
        "where",
        "window",
        "with",
        "without",
        "true",
        "false",
    ];
    KEYWORDS.contains(&word)
}

/// The values of a CHECK the renderer writes for an enum column: `"col" IN ('a','b')`;
/// `None` for any other expression.
fn enum_values(expr: &str, column: &str) -> Option<Vec<String>> {
    let t = Tokens::new(expr).ok()?;
    let n = t.tokens.len();
    let names_column = n > 4 && t.tokens[0].kind.is_name() && unquote(t.text(0)).eq_ignore_ascii_case(column);
    if !names_column || !t.is_word(1, "IN") || t.tokens[2].kind != Kind::Open || t.close_of(2).ok()? != n - 1 {
        return None;
    }
    let mut values = Vec::new();
    for (start, end) in t.items(2, n - 1) {
        if end != start + 1 || t.tokens[start].kind != Kind::String {
            return None;
        }
        values.push(unquote(t.text(start)));
    }
    Some(values)
}

/// Restates a model as SQLite stores it: what [`introspect`] returns once the model's
/// tables are migrated in with the SQLite dialect (see the module documentation for what
/// SQLite cannot hold). The diff compares a model restated so with the database.
pub fn as_stored(model: &Schema) -> Schema {
    let mut stored = Schema::default();
    for table in model.tables.values() {
        let mut constraints = Vec::new();
        let mut primary_key = table.primary_key.clone();
        let mut primary_key_name = table.primary_key_name.clone();
        let mut columns = Vec::with_capacity(table.columns.len());
        for column in &table.columns {
            let mut column = column.clone();
            column.comment = None;
            column.collation = column.collation.map(|name| name.to_ascii_uppercase());
            if let ColumnType::Enum(name) = &column.ty {
                // The renderer's named CHECK lists the values the enum has in the model; an
                // enum no column uses is nowhere in the database.
                if let Some(known) = model.enums.get(name) {
                    stored.enums.insert(name.clone(), known.clone());
                }
            } else if column.identity {
                column.ty = ColumnType::Integer;
                column.nullable = false;
            } else if let Ok(spelled) = types::column_type(&column.ty) {
                column.ty = read_type(&spelled);
            }
            // `DEFAULT NULL` is no default: SQLite does not keep it apart from none.
            column.default.take_if(|d| matches!(d, DefaultValue::Sql(sql) if sql.trim().eq_ignore_ascii_case("null")));
            column.default = column.default.take().map(|default| match default {
                DefaultValue::Value(Literal::Bool(value)) if column.ty != ColumnType::Boolean => {
                    DefaultValue::Value(Literal::Int(i64::from(value)))
                }
                DefaultValue::Value(Literal::Int(value @ (0 | 1))) if column.ty == ColumnType::Boolean => {
                    DefaultValue::Value(Literal::Bool(value == 1))
                }
                DefaultValue::Sql(sql) => DefaultValue::Sql(sql.trim().to_owned()),
                other => other,
            });
            if let Some(generated) = &mut column.generated {
                generated.expr = generated.expr.trim().to_owned();
            }
            columns.push(column);
        }
        for constraint in &table.constraints {
            match constraint {
                Constraint::PrimaryKey { name, columns } if primary_key.is_empty() => {
                    primary_key = columns.clone();
                    primary_key_name = name.clone();
                }
                Constraint::PrimaryKey { .. } => {}
                Constraint::ForeignKey { name, columns, references, on_delete, on_update } => {
                    let keep =
                        |action: &Option<ReferentialAction>| action.filter(|a| *a != ReferentialAction::NoAction);
                    constraints.push(Constraint::ForeignKey {
                        name: name.clone(),
                        columns: columns.clone(),
                        references: references.clone(),
                        on_delete: keep(on_delete),
                        on_update: keep(on_update),
                    });
                }
                Constraint::Check { name, expr } => {
                    constraints.push(Constraint::Check { name: name.clone(), expr: expr.trim().to_owned() });
                }
                Constraint::Unique { .. } => constraints.push(constraint.clone()),
            }
        }
        let restated =
            Table { name: table.name.clone(), columns, primary_key, primary_key_name, constraints, comment: None };
        stored.tables.insert(restated.name.clone(), restated);
    }
    for index in model.indexes.values() {
        let table = model.tables.get(&index.table);
        let columns = index
            .columns
            .iter()
            .map(|key| match key {
                IndexKey::Column(_) => key.clone(),
                // SQLite indexes an expression that only names a column as that column.
                IndexKey::Expr { expr } => match Tokens::new(expr) {
                    Ok(tokens)
                        if tokens.tokens.len() == 1 && matches!(tokens.tokens[0].kind, Kind::Word | Kind::Quoted) =>
                    {
                        let name = unquote(tokens.text(0));
                        match table.and_then(|t| t.columns.iter().find(|c| c.name.eq_ignore_ascii_case(&name))) {
                            Some(column) => IndexKey::Column(column.name.clone()),
                            None => IndexKey::Expr { expr: expr.trim().to_owned() },
                        }
                    }
                    _ => IndexKey::Expr { expr: expr.trim().to_owned() },
                },
            })
            .collect();
        let restated = Index {
            name: index.name.clone(),
            table: index.table.clone(),
            columns,
            unique: index.unique,
            predicate: index.predicate.as_ref().map(|p| p.trim().to_owned()),
            method: None,
        };
        stored.indexes.insert(restated.name.clone(), restated);
    }
    canonical_expressions(&mut stored);
    stored
}

// ---------------------------------------------------------------------------------------
// Reading CREATE TABLE and CREATE INDEX text.

/// What a token is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// A bare word: keyword or identifier.
    Word,
    /// `"ident"`, `` `ident` `` or `[ident]`.
    Quoted,
    /// `'text'`.
    String,
    /// `12`, `1.5e3`, `0x1F`.
    Number,
    /// `X'00ff'`.
    Blob,
    /// `(`.
    Open,
    /// `)`.
    Close,
    /// `,`.
    Comma,
    /// Any other character: operators, `.`, `;`.
    Other,
}

impl Kind {
    /// Whether the token can be a name (a string is one in a few places SQLite allows).
    fn is_name(self) -> bool {
        matches!(self, Kind::Word | Kind::Quoted | Kind::String)
    }
}

/// A token: its kind and where it is in the text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Token {
    kind: Kind,
    start: usize,
    end: usize,
}

/// SQL text cut into tokens; comments and white space are dropped.
struct Tokens<'a> {
    sql: &'a str,
    tokens: Vec<Token>,
}

impl<'a> Tokens<'a> {
    /// Cuts `sql` into tokens.
    fn new(sql: &'a str) -> Result<Self, String> {
        let bytes = sql.as_bytes();
        let mut tokens = Vec::new();
        let mut i = 0;
        // Finds the end of a quoted token opened at `i`; `close` doubled is an escape.
        let quoted = |i: usize, close: u8, doubled: bool| -> Result<usize, String> {
            let mut j = i + 1;
            while j < bytes.len() {
                if bytes[j] == close {
                    if doubled && bytes.get(j + 1) == Some(&close) {
                        j += 2;
                        continue;
                    }
                    return Ok(j + 1);
                }
                j += 1;
            }
            Err(format!("unterminated {} starting at byte {i}", if close == b'\'' { "string" } else { "identifier" }))
        };
        let is_word = |b: u8| b.is_ascii_alphanumeric() || b == b'_' || b == b'$' || b >= 0x80;
        while i < bytes.len() {
            let b = bytes[i];
            let start = i;
            let kind = match b {
                _ if b.is_ascii_whitespace() => {
                    i += 1;
                    continue;
                }
                b'-' if bytes.get(i + 1) == Some(&b'-') => {
                    i = bytes[i..].iter().position(|&c| c == b'\n').map_or(bytes.len(), |p| i + p + 1);
                    continue;
                }
                b'/' if bytes.get(i + 1) == Some(&b'*') => {
                    i = sql[i + 2..].find("*/").map_or(bytes.len(), |p| i + 2 + p + 2);
                    continue;
                }
                b'\'' => {
                    i = quoted(i, b'\'', true)?;
                    Kind::String
                }
                b'"' | b'`' => {
                    i = quoted(i, b, true)?;
                    Kind::Quoted
                }
                b'[' => {
                    i = quoted(i, b']', false)?;
                    Kind::Quoted
                }
                b'x' | b'X' if bytes.get(i + 1) == Some(&b'\'') => {
                    i = quoted(i + 1, b'\'', false)?;
                    Kind::Blob
                }
                b'0'..=b'9' => {
                    i = number_end(bytes, i);
                    Kind::Number
                }
                b'.' if bytes.get(i + 1).is_some_and(u8::is_ascii_digit) => {
                    i = number_end(bytes, i);
                    Kind::Number
                }
                _ if is_word(b) => {
                    while i < bytes.len() && is_word(bytes[i]) {
                        i += 1;
                    }
                    Kind::Word
                }
                b'(' => {
                    i += 1;
                    Kind::Open
                }
                b')' => {
                    i += 1;
                    Kind::Close
                }
                b',' => {
                    i += 1;
                    Kind::Comma
                }
                _ => {
                    i += 1;
                    Kind::Other
                }
            };
            tokens.push(Token { kind, start, end: i });
        }
        Ok(Tokens { sql, tokens })
    }

    fn text(&self, i: usize) -> &'a str {
        let token = self.tokens[i];
        &self.sql[token.start..token.end]
    }

    /// Whether token `i` is the keyword `word`.
    fn is_word(&self, i: usize, word: &str) -> bool {
        self.tokens.get(i).is_some_and(|t| t.kind == Kind::Word) && self.text(i).eq_ignore_ascii_case(word)
    }

    /// Token `i` as a name, unquoted.
    fn name(&self, i: usize) -> Result<String, String> {
        match self.tokens.get(i) {
            Some(token) if token.kind.is_name() => Ok(unquote(self.text(i))),
            Some(_) => Err(format!("expected a name, found `{}`", self.text(i))),
            None => Err("expected a name, found the end of the statement".to_owned()),
        }
    }

    /// The index of the `)` that closes the `(` at `open`.
    fn close_of(&self, open: usize) -> Result<usize, String> {
        let mut depth = 0usize;
        for (i, token) in self.tokens.iter().enumerate().skip(open) {
            match token.kind {
                Kind::Open => depth += 1,
                Kind::Close => {
                    depth = depth.checked_sub(1).ok_or("unbalanced parentheses")?;
                    if depth == 0 {
                        return Ok(i);
                    }
                }
                _ => {}
            }
        }
        Err("unbalanced parentheses".to_owned())
    }

    /// The `(` expected at `open`, and its `)`.
    fn group(&self, open: usize, what: &str) -> Result<(usize, usize), String> {
        match self.tokens.get(open) {
            Some(token) if token.kind == Kind::Open => Ok((open, self.close_of(open)?)),
            _ => Err(format!("expected `(` after {what}")),
        }
    }

    /// The text between the `(` at `open` and the `)` at `close`, trimmed.
    fn inner(&self, open: usize, close: usize) -> &'a str {
        self.sql[self.tokens[open].end..self.tokens[close].start].trim()
    }

    /// The text from token `from` to token `to` (inclusive).
    fn span(&self, from: usize, to: usize) -> &'a str {
        &self.sql[self.tokens[from].start..self.tokens[to].end]
    }

    /// The token ranges `[start, end)` of the comma-separated items between `open` and `close`.
    fn items(&self, open: usize, close: usize) -> Vec<(usize, usize)> {
        let mut items = Vec::new();
        let mut depth = 0usize;
        let mut start = open + 1;
        for i in open + 1..close {
            match self.tokens[i].kind {
                Kind::Open => depth += 1,
                Kind::Close => depth = depth.saturating_sub(1),
                Kind::Comma if depth == 0 => {
                    items.push((start, i));
                    start = i + 1;
                }
                _ => {}
            }
        }
        if start < close {
            items.push((start, close));
        }
        items
    }

    /// The first token of each item of a column list, as names: `("a", b COLLATE x)`.
    fn names_in(&self, open: usize, close: usize) -> Result<Vec<String>, String> {
        self.items(open, close).into_iter().map(|(start, _)| self.name(start)).collect()
    }
}

/// The end of the number starting at `i` (digits, `.`, exponent, hex digits).
fn number_end(bytes: &[u8], start: usize) -> usize {
    let hex = bytes[start..].starts_with(b"0x") || bytes[start..].starts_with(b"0X");
    let mut i = start;
    while i < bytes.len() {
        let b = bytes[i];
        let exponent_sign = matches!(b, b'+' | b'-') && matches!(bytes[i - 1], b'e' | b'E') && !hex;
        if b.is_ascii_alphanumeric() || b == b'.' || b == b'_' || exponent_sign {
            i += 1;
        } else {
            break;
        }
    }
    i
}

/// Removes the quotes of a quoted name or string, undoing doubled quotes.
fn unquote(text: &str) -> String {
    let Some(first) = text.chars().next() else { return String::new() };
    let close = match first {
        '"' => '"',
        '\'' => '\'',
        '`' => '`',
        '[' => return text[1..text.len() - 1].to_owned(),
        _ => return text.to_owned(),
    };
    let inner = &text[1..text.len() - 1];
    inner.replace(&format!("{close}{close}"), &close.to_string())
}

/// What the text of a `CREATE TABLE` says beyond the pragmas.
#[derive(Debug, Default, PartialEq)]
struct TableText {
    columns: Vec<ColumnText>,
    constraints: Vec<ConstraintText>,
}

/// A column definition's `AUTOINCREMENT` and generated expression.
#[derive(Debug, PartialEq)]
struct ColumnText {
    name: String,
    autoincrement: bool,
    generated: Option<String>,
    /// `COLLATE name`, upper-cased (SQLite's names ignore case).
    collation: Option<String>,
}

/// A constraint as written, on a column or on the table.
#[derive(Debug, PartialEq)]
struct ConstraintText {
    name: Option<String>,
    /// The column it is declared on; `None` for a table constraint.
    column: Option<String>,
    body: ConstraintBody,
}

#[derive(Debug, PartialEq)]
enum ConstraintBody {
    PrimaryKey,
    Unique(Vec<String>),
    ForeignKey { columns: Vec<String>, table: String },
    Check(String),
}

/// Words that start a table constraint rather than a column definition.
const TABLE_CONSTRAINT_WORDS: [&str; 5] = ["CONSTRAINT", "PRIMARY", "UNIQUE", "CHECK", "FOREIGN"];

/// Reads the column definitions and constraints of a `CREATE TABLE` statement.
fn parse_create_table(sql: &str) -> Result<TableText, String> {
    let t = Tokens::new(sql)?;
    let mut table = TableText::default();
    let Some(open) = t.tokens.iter().position(|token| token.kind == Kind::Open) else {
        return Ok(table);
    };
    let close = t.close_of(open)?;
    for (start, end) in t.items(open, close) {
        if TABLE_CONSTRAINT_WORDS.iter().any(|w| t.is_word(start, w)) {
            table.constraints.push(parse_table_constraint(&t, start, end)?);
        } else {
            parse_column(&t, start, end, &mut table)?;
        }
    }
    Ok(table)
}

/// One column definition: its name, type and column constraints.
fn parse_column(t: &Tokens<'_>, start: usize, end: usize, table: &mut TableText) -> Result<(), String> {
    let name = t.name(start)?;
    let mut column = ColumnText { name: name.clone(), autoincrement: false, generated: None, collation: None };
    // `CONSTRAINT x` names the constraint that follows it, whichever it is.
    let mut pending: Option<String> = None;
    let mut push = |pending: &mut Option<String>, body: ConstraintBody| {
        table.constraints.push(ConstraintText { name: pending.take(), column: Some(name.clone()), body });
    };
    let mut i = start + 1;
    while i < end {
        if t.tokens[i].kind == Kind::Open {
            i = t.close_of(i)? + 1;
            continue;
        }
        if t.tokens[i].kind != Kind::Word {
            i += 1;
            continue;
        }
        match t.text(i).to_ascii_uppercase().as_str() {
            "CONSTRAINT" => {
                pending = Some(t.name(i + 1)?);
                i += 2;
            }
            "PRIMARY" => {
                push(&mut pending, ConstraintBody::PrimaryKey);
                i += 1;
            }
            "AUTOINCREMENT" => {
                column.autoincrement = true;
                i += 1;
            }
            "UNIQUE" => {
                push(&mut pending, ConstraintBody::Unique(vec![column.name.clone()]));
                i += 1;
            }
            "CHECK" => {
                let (open, close) = t.group(i + 1, "CHECK")?;
                push(&mut pending, ConstraintBody::Check(t.inner(open, close).to_owned()));
                i = close + 1;
            }
            "REFERENCES" => {
                let parent = t.name(i + 1)?;
                i += 2;
                if t.tokens.get(i).is_some_and(|token| token.kind == Kind::Open) {
                    i = t.close_of(i)? + 1;
                }
                push(&mut pending, ConstraintBody::ForeignKey { columns: vec![column.name.clone()], table: parent });
            }
            "AS" => {
                let (open, close) = t.group(i + 1, "AS")?;
                column.generated = Some(t.inner(open, close).to_owned());
                pending = None;
                i = close + 1;
            }
            "DEFAULT" => {
                pending = None;
                i = skip_default(t, i + 1);
            }
            "ON" => i = skip_on(t, i),
            "COLLATE" => {
                pending = None;
                column.collation = Some(t.name(i + 1)?.to_ascii_uppercase());
                i += 2;
            }
            "MATCH" => {
                pending = None;
                i += 2;
            }
            "NOT" | "NULL" | "GENERATED" => {
                pending = None;
                i += 1;
            }
            _ => i += 1,
        }
    }
    table.columns.push(column);
    Ok(())
}

/// Skips a default value starting at `i`: a literal, a signed number, a name or `(expr)`.
fn skip_default(t: &Tokens<'_>, i: usize) -> usize {
    match t.tokens.get(i).map(|token| token.kind) {
        Some(Kind::Open) => t.close_of(i).map_or(t.tokens.len(), |close| close + 1),
        Some(Kind::Other) if matches!(t.text(i), "-" | "+") => i + 2,
        _ => i + 1,
    }
}

/// Skips `ON CONFLICT <resolution>` or `ON DELETE|UPDATE <action>` starting at `i`.
fn skip_on(t: &Tokens<'_>, i: usize) -> usize {
    if t.is_word(i + 1, "CONFLICT") {
        return i + 3;
    }
    let action = i + 2;
    if t.is_word(action, "SET") || t.is_word(action, "NO") { action + 2 } else { action + 1 }
}

/// One table constraint: `[CONSTRAINT name] PRIMARY KEY (...) | UNIQUE (...) | CHECK (...) |
/// FOREIGN KEY (...) REFERENCES t [(...)] ...`.
fn parse_table_constraint(t: &Tokens<'_>, start: usize, end: usize) -> Result<ConstraintText, String> {
    let mut i = start;
    let mut name = None;
    if t.is_word(i, "CONSTRAINT") {
        name = Some(t.name(i + 1)?);
        i += 2;
    }
    let first_group = |from: usize, what: &str| -> Result<(usize, usize), String> {
        let open =
            (from..end).find(|&j| t.tokens[j].kind == Kind::Open).ok_or_else(|| format!("{what} lists no columns"))?;
        t.group(open, what)
    };
    let body = if t.is_word(i, "PRIMARY") {
        ConstraintBody::PrimaryKey
    } else if t.is_word(i, "UNIQUE") {
        let (open, close) = first_group(i, "UNIQUE")?;
        ConstraintBody::Unique(t.names_in(open, close)?)
    } else if t.is_word(i, "CHECK") {
        let (open, close) = t.group(i + 1, "CHECK")?;
        ConstraintBody::Check(t.inner(open, close).to_owned())
    } else if t.is_word(i, "FOREIGN") {
        let (open, close) = first_group(i, "FOREIGN KEY")?;
        if !t.is_word(close + 1, "REFERENCES") {
            return Err("expected REFERENCES after FOREIGN KEY (...)".to_owned());
        }
        ConstraintBody::ForeignKey { columns: t.names_in(open, close)?, table: t.name(close + 2)? }
    } else {
        let found = if i < end { t.span(i, i) } else { "the end of the constraint" };
        return Err(format!("expected PRIMARY KEY, UNIQUE, CHECK or FOREIGN KEY, found `{found}`"));
    };
    Ok(ConstraintText { name, column: None, body })
}

/// What the text of a `CREATE INDEX` says beyond the pragmas.
#[derive(Debug, PartialEq)]
struct IndexText {
    /// Each key as written, without `COLLATE`, `ASC`/`DESC` and one pair of enclosing
    /// parentheses.
    keys: Vec<String>,
    /// The `WHERE` predicate.
    predicate: Option<String>,
}

/// Reads the keys and predicate of a `CREATE [UNIQUE] INDEX ... ON t (...) [WHERE ...]`.
fn parse_create_index(sql: &str) -> Result<IndexText, String> {
    let t = Tokens::new(sql)?;
    let on = (0..t.tokens.len()).find(|&i| t.is_word(i, "ON")).ok_or("expected ON <table>")?;
    let (open, close) = t.group(on + 2, "the table name")?;
    let mut keys = Vec::new();
    for (start, mut end) in t.items(open, close) {
        loop {
            if end > start + 1 && (t.is_word(end - 1, "ASC") || t.is_word(end - 1, "DESC")) {
                end -= 1;
            } else if end > start + 2 && t.is_word(end - 2, "COLLATE") {
                end -= 2;
            } else {
                break;
            }
        }
        let key = if t.tokens[start].kind == Kind::Open && t.close_of(start)? == end - 1 {
            t.inner(start, end - 1)
        } else {
            t.span(start, end - 1).trim()
        };
        keys.push(key.to_owned());
    }
    let predicate = if t.is_word(close + 1, "WHERE") && close + 2 < t.tokens.len() {
        let last = t.tokens.len() - 1 - usize::from(t.text(t.tokens.len() - 1) == ";");
        Some(t.span(close + 2, last).trim().to_owned())
    } else {
        None
    };
    Ok(IndexText { keys, predicate })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `expected` lists the tokens' texts, `|` between them, each prefixed by its kind's
    /// initial where it is not a plain word (`s'x'`, `q"y"`, `n1`, `(`, `)`, `,`, `o-`).
    fn check_tokens(input: &str, expected: &str) {
        let tokens = Tokens::new(input).unwrap_or_else(|err| panic!("{input}: {err}"));
        let shown: Vec<String> = (0..tokens.tokens.len())
            .map(|i| {
                let prefix = match tokens.tokens[i].kind {
                    Kind::Word | Kind::Open | Kind::Close | Kind::Comma => "",
                    Kind::Quoted => "q",
                    Kind::String => "s",
                    Kind::Number => "n",
                    Kind::Blob => "b",
                    Kind::Other => "o",
                };
                format!("{prefix}{}", tokens.text(i))
            })
            .collect();
        assert_eq!(shown.join("|"), expected, "{input}");
    }

    #[test]
    fn tokenizer_handles_strings_identifiers_comments_and_numbers() {
        check_tokens("CREATE TABLE t(a)", "CREATE|TABLE|t|(|a|)");
        check_tokens("'it''s (not) a paren'", "s'it''s (not) a paren'");
        check_tokens(r#""we""ird" `b``q` [sq "x]"#, r#"q"we""ird"|q`b``q`|q[sq "x]"#);
        check_tokens("a -- comment (\n b /* ( */ c", "a|b|c");
        check_tokens("1 1.5 .5 1e10 1.5E-3 0x1F 9e999", "n1|n1.5|n.5|n1e10|n1.5E-3|n0x1F|n9e999");
        check_tokens("x'00ff' X'' xy", "bx'00ff'|bX''|xy");
        check_tokens("a>=-1,b||'c';", "a|o>|o=|o-|n1|,|b|o||o||s'c'|o;");
        check_tokens("ünï_$x 2", "ünï_$x|n2");
        check_tokens("/* unterminated", "");
        assert!(Tokens::new("'open").is_err());
        assert!(Tokens::new("\"open").is_err());
        assert!(Tokens::new("[open").is_err());
    }

    /// Shows a parsed table compactly: columns (`+ai` for AUTOINCREMENT, `=expr` for
    /// generated), then constraints (`name@column:` prefixes where present).
    fn show_table(table: &TableText) -> String {
        let mut parts = Vec::new();
        for column in &table.columns {
            let mut part = column.name.clone();
            if column.autoincrement {
                part.push_str("+ai");
            }
            if let Some(expr) = &column.generated {
                part.push_str(&format!("=({expr})"));
            }
            parts.push(part);
        }
        for constraint in &table.constraints {
            let mut part = String::new();
            if let Some(name) = &constraint.name {
                part.push_str(name);
            }
            if let Some(column) = &constraint.column {
                part.push_str(&format!("@{column}"));
            }
            if !part.is_empty() {
                part.push(':');
            }
            part.push_str(&match &constraint.body {
                ConstraintBody::PrimaryKey => "pk".to_owned(),
                ConstraintBody::Unique(columns) => format!("unique({})", columns.join(",")),
                ConstraintBody::ForeignKey { columns, table } => format!("fk({})->{table}", columns.join(",")),
                ConstraintBody::Check(expr) => format!("check({expr})"),
            });
            parts.push(part);
        }
        parts.join("; ")
    }

    fn check(input: &str, expected: Result<&str, &str>) {
        match (parse_create_table(input), expected) {
            (Ok(table), Ok(want)) => assert_eq!(show_table(&table), want, "{input}"),
            (Err(err), Err(want)) => assert_eq!(err, want, "{input}"),
            (got, want) => panic!("{input}: got {got:?}, expected {want:?}"),
        }
    }

    #[test]
    fn create_table_text_gives_names_checks_and_generated_columns() {
        // As the renderer writes it.
        check(
            "CREATE TABLE \"t\" (\n    \"id\" INTEGER NOT NULL CONSTRAINT \"t_pkey\" PRIMARY KEY AUTOINCREMENT,\n    \
             \"m\" TEXT NOT NULL DEFAULT 'ok' CHECK (\"m\" IN ('sad','ok')),\n    \
             \"g\" INTEGER GENERATED ALWAYS AS (id * 2) STORED,\n    \
             CONSTRAINT \"t_m_key\" UNIQUE (\"m\"),\n    \
             CONSTRAINT \"t_g_fkey\" FOREIGN KEY (\"g\") REFERENCES \"t\" (\"id\") ON DELETE SET DEFAULT,\n    \
             CONSTRAINT \"t_check\" CHECK (g > 0),\n    CHECK (length(m) < 9)\n)",
            Ok("id+ai; m; g=(id * 2); t_pkey@id:pk; @m:check(\"m\" IN ('sad','ok')); t_m_key:unique(m); \
                t_g_fkey:fk(g)->t; t_check:check(g > 0); check(length(m) < 9)"),
        );
        // Strings, quoted names and nested parentheses inside checks and defaults.
        check(
            r#"CREATE TABLE [we"ird] ("a""b" TEXT DEFAULT ('),(' || "x") CHECK ("a""b" <> ')' AND (1 = (1))),
               `c,d` NUMERIC(10, 2) DEFAULT -1.5 CONSTRAINT "n" CHECK (`c,d` > 0) COLLATE NOCASE,
               e AS (a || ','), CONSTRAINT "two" UNIQUE ("a""b", `c,d`))"#,
            Ok(
                r#"a"b; c,d; e=(a || ','); @a"b:check("a""b" <> ')' AND (1 = (1))); n@c,d:check(`c,d` > 0); two:unique(a"b,c,d)"#,
            ),
        );
        // `CONSTRAINT x` names only the constraint right after it; column foreign keys and
        // their actions (`SET DEFAULT` is not a default).
        check(
            "CREATE TABLE t (a INT CONSTRAINT nn NOT NULL CHECK (a > 0) REFERENCES p ON DELETE SET DEFAULT \
             ON UPDATE NO ACTION DEFERRABLE INITIALLY DEFERRED UNIQUE ON CONFLICT REPLACE, \
             b CONSTRAINT fk REFERENCES p (id) MATCH SIMPLE, \
             -- a comment, with a comma\n c /* and ( another */ TEXT)",
            Ok("a; b; c; @a:check(a > 0); @a:fk(a)->p; @a:unique(a); fk@b:fk(b)->p"),
        );
        check(
            "CREATE TABLE t (a, b, PRIMARY KEY (b, a), FOREIGN KEY (a, b) REFERENCES \"P\"(x, y)) WITHOUT ROWID",
            Ok("a; b; pk; fk(a,b)->P"),
        );
        check("CREATE TABLE t(x)", Ok("x"));
        check("CREATE TABLE t (a, CHECK a > 0)", Err("expected `(` after CHECK"));
        check(
            "CREATE TABLE t (a, CONSTRAINT c)",
            Err("expected PRIMARY KEY, UNIQUE, CHECK or FOREIGN KEY, found `the end of the constraint`"),
        );
        check("CREATE TABLE t (a CHECK ((a > 0)", Err("unbalanced parentheses"));
    }

    #[test]
    fn create_index_text_gives_keys_and_predicates() {
        let check = |input: &str, keys: &[&str], predicate: Option<&str>| {
            let parsed = parse_create_index(input).unwrap_or_else(|err| panic!("{input}: {err}"));
            assert_eq!(
                parsed,
                IndexText {
                    keys: keys.iter().map(|k| (*k).to_owned()).collect(),
                    predicate: predicate.map(str::to_owned)
                },
                "{input}"
            );
        };
        check(r#"CREATE INDEX "ix" ON "t" ("a", (lower(b)))"#, &[r#""a""#, "lower(b)"], None);
        check(
            "CREATE UNIQUE INDEX ix ON t (a COLLATE NOCASE DESC, (a + 1) ASC, b || ',') WHERE a > 0 AND b <> ')'",
            &["a", "a + 1", "b || ','"],
            Some("a > 0 AND b <> ')'"),
        );
        check("CREATE INDEX IF NOT EXISTS \"on\" ON t ((a) + (b)) where (a)", &["(a) + (b)"], Some("(a)"));
        assert_eq!(parse_create_index("CREATE INDEX ix"), Err("expected ON <table>".to_owned()));
    }

    #[test]
    fn declared_types_read_back_to_neutral_types() {
        let check = |declared: &str, expected: ColumnType| assert_eq!(read_type(declared), expected, "{declared}");
        check("INTEGER", ColumnType::Integer);
        check("bigint", ColumnType::BigInt);
        check("DOUBLE   precision", ColumnType::Double);
        check("NUMERIC( 10 , 2 )", ColumnType::Numeric(Some((10, 2))));
        check("NUMERIC(5)", ColumnType::Numeric(Some((5, 0))));
        check("VARCHAR(255)", ColumnType::Varchar(Some(255)));
        check("CHAR", ColumnType::Char(None));
        check("BLOB", ColumnType::Bytes);
        check("TIMESTAMPTZ", ColumnType::Timestamptz);
        check("INT", ColumnType::Custom("INT".into()));
        check("DOUBLE", ColumnType::Custom("DOUBLE".into()));
        check("unsigned big int", ColumnType::Custom("unsigned big int".into()));
        check("VARCHAR(1,2)", ColumnType::Custom("VARCHAR(1,2)".into()));
        check("TEXT(x)", ColumnType::Custom("TEXT(x)".into()));
        check("", ColumnType::Custom(String::new()));
        // Every spelling the renderer writes reads back as the type it came from.
        for ty in [
            "smallint",
            "integer",
            "bigint",
            "real",
            "double",
            "numeric",
            "numeric(10,2)",
            "varchar",
            "varchar(9)",
            "char",
            "char(2)",
            "text",
            "boolean",
            "date",
            "time",
            "timestamp",
            "timestamptz",
            "interval",
            "uuid",
            "json",
            "jsonb",
            "bytes",
            "float8",
        ] {
            let ty = ColumnType::parse(ty).unwrap();
            assert_eq!(read_type(&types::column_type(&ty).unwrap()), ty);
        }
    }

    #[test]
    fn defaults_read_back_to_values_expressions_or_sql() {
        let check = |text: &str, ty: ColumnType, expected: Option<DefaultValue>| {
            assert_eq!(read_default(text, &ty), expected, "{text} on {ty}");
        };
        let value = |literal| Some(DefaultValue::Value(literal));
        let sql = |text: &str| Some(DefaultValue::Sql(text.to_owned()));
        check("1", ColumnType::Boolean, value(Literal::Bool(true)));
        check("0", ColumnType::Boolean, value(Literal::Bool(false)));
        check("2", ColumnType::Boolean, value(Literal::Int(2)));
        check("1", ColumnType::Integer, value(Literal::Int(1)));
        check("-3", ColumnType::Integer, value(Literal::Int(-3)));
        check("+3", ColumnType::Integer, value(Literal::Int(3)));
        check("-9223372036854775808", ColumnType::BigInt, value(Literal::Int(i64::MIN)));
        check("1.0", ColumnType::Real, value(Literal::Float(1.0)));
        check("-1.5e-7", ColumnType::Double, value(Literal::Float(-1.5e-7)));
        check("9e999", ColumnType::Double, value(Literal::Float(f64::INFINITY)));
        check("-9e999", ColumnType::Double, value(Literal::Float(f64::NEG_INFINITY)));
        check("0x1F", ColumnType::Integer, sql("0x1F"));
        check("'it''s'", ColumnType::Text, value(Literal::String("it's".into())));
        check("''", ColumnType::Text, value(Literal::String(String::new())));
        check("current_timestamp", ColumnType::Timestamp, Some(DefaultValue::Expr(PortableExpr::CurrentTimestamp)));
        check("CURRENT_DATE", ColumnType::Date, Some(DefaultValue::Expr(PortableExpr::CurrentDate)));
        check("CURRENT_TIME", ColumnType::Time, Some(DefaultValue::Expr(PortableExpr::CurrentTime)));
        check("TRUE", ColumnType::Boolean, value(Literal::Bool(true)));
        check("NULL", ColumnType::Text, None);
        check("(lower('A') || ')')", ColumnType::Text, sql("lower('A') || ')'"));
        check("( 1 )", ColumnType::Integer, sql("1"));
        check("(1) + (2)", ColumnType::Integer, sql("(1) + (2)"));
        check("x'00'", ColumnType::Bytes, sql("x'00'"));
        check("'unterminated", ColumnType::Text, sql("'unterminated"));
    }
}
