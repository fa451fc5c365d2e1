//! A live SQLite database read back into the [`Schema`] model, set-based: four catalog
//! queries for the whole database, however many tables it holds.
//!
//! The table-valued pragma functions joined against `sqlite_master` give, for every table at
//! once, its columns (`pragma_table_xinfo`), its indexes and their keys (`pragma_index_list`,
//! `pragma_index_xinfo`) and its foreign keys (`pragma_foreign_key_list`). What SQLite keeps
//! only in the `CREATE` text of `sqlite_master.sql` (constraint names, CHECK expressions,
//! generated column expressions, `AUTOINCREMENT`, index expressions and predicates) is read
//! from that text (see `text`).
//!
//! SQLite cannot hold everything the model says; `normalize` states a model as SQLite
//! stores it, which is what introspection returns after that model is migrated in (its
//! documentation lists the differences).
//!
//! An index key with a collation of its own (`title COLLATE NOCASE`) comes back as that
//! expression, as a schema.sql writes it, with its order (`DESC`) beside it.
//!
//! Also not modelled, so not read: virtual tables, views, triggers, `WITHOUT ROWID` and
//! `STRICT`, and conflict clauses.

use std::collections::{BTreeMap, HashSet};

use crate::dialect::common::catalog::{cell, number, one_of, query, required, unexpected};
use crate::dialect::sqlite::ENUM_CHECK_PREFIX;
use crate::dialect::sqlite::normalize::canonical_expressions;
use crate::dialect::sqlite::text::{
    ConstraintBody, ConstraintText, Kind, Tokens, enum_values, parse_create_index, parse_create_table, unquote,
};
use crate::dialect::sqlite::types::read_type;
use crate::dialect::{IntrospectError, IntrospectOptions, Session};
use crate::schema::{
    Column, ColumnType, Constraint, DefaultValue, EnumType, Generated, Index, IndexKey, KeyOptions, Literal,
    PortableExpr, References, ReferentialAction, Schema, Table, number_literal, spelled_as_value,
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
                 CAST(ix.seqno AS TEXT), CAST(ix.cid AS TEXT), ix.name, CAST(ix.\"desc\" AS TEXT), ix.coll \
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
        results.push(query(session, what, &sql).await?);
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
    kind: ColumnKind,
}

/// What `pragma_table_xinfo`'s `hidden` says a column is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ColumnKind {
    /// `0`: a column.
    Plain,
    /// `1`: a virtual table's hidden column.
    Hidden,
    /// `2`: a generated column computed when read.
    GeneratedVirtual,
    /// `3`: a generated column stored with the row.
    GeneratedStored,
}

/// `hidden`'s codes.
const COLUMN_KINDS: &[(&str, ColumnKind)] = &[
    ("0", ColumnKind::Plain),
    ("1", ColumnKind::Hidden),
    ("2", ColumnKind::GeneratedVirtual),
    ("3", ColumnKind::GeneratedStored),
];

/// Where an index comes from, as `pragma_index_list`'s `origin` says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum IndexOrigin {
    /// `c`: `CREATE INDEX`.
    CreateIndex,
    /// `u`: a `UNIQUE` constraint.
    Unique,
    /// `pk`: the `PRIMARY KEY`.
    PrimaryKey,
}

/// `origin`'s codes.
const INDEX_ORIGINS: &[(&str, IndexOrigin)] =
    &[("c", IndexOrigin::CreateIndex), ("u", IndexOrigin::Unique), ("pk", IndexOrigin::PrimaryKey)];

/// One index from `pragma_index_list` with its keys from `pragma_index_xinfo`.
struct IndexRows<'a> {
    unique: bool,
    origin: IndexOrigin,
    partial: bool,
    /// Column position (-1 rowid, -2 expression), name, descending order and collation of
    /// each key, in order.
    keys: Vec<(i64, Option<&'a str>, bool, Option<&'a str>)>,
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

/// Builds the schema from the catalog rows.
fn assemble(catalog: &Catalog, options: &IntrospectOptions) -> Result<Schema, IntrospectError> {
    let excluded: HashSet<&str> = options.exclude_tables.iter().map(String::as_str).collect();
    let mut table_sql: BTreeMap<&str, &str> = BTreeMap::new();
    let mut index_sql: BTreeMap<&str, &str> = BTreeMap::new();
    for row in &catalog.objects {
        let name = required(row, 1, "sqlite_master")?;
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
        let table = required(row, 0, "pragma_table_xinfo")?;
        columns.entry(table).or_default().push(ColumnRow {
            name: required(row, 2, table)?,
            declared: cell(row, 3).unwrap_or(""),
            not_null: number(row, 4, table)? != 0,
            default: cell(row, 5),
            pk: number(row, 6, table)?,
            kind: one_of(row, 7, table, "a column's kind", COLUMN_KINDS)?,
        });
    }

    let mut indexes: BTreeMap<&str, BTreeMap<&str, IndexRows<'_>>> = BTreeMap::new();
    for row in &catalog.indexes {
        let table = required(row, 0, "pragma_index_list")?;
        let name = required(row, 1, table)?;
        let entry = indexes.entry(table).or_default().entry(name).or_insert(IndexRows {
            unique: number(row, 2, name)? != 0,
            origin: one_of(row, 3, name, "an index's origin", INDEX_ORIGINS)?,
            partial: number(row, 4, name)? != 0,
            keys: Vec::new(),
        });
        entry.keys.push((number(row, 6, name)?, cell(row, 7), number(row, 8, name)? != 0, cell(row, 9)));
    }

    let mut foreign_keys: BTreeMap<&str, BTreeMap<i64, ForeignKeyRows<'_>>> = BTreeMap::new();
    for row in &catalog.foreign_keys {
        let table = required(row, 0, "pragma_foreign_key_list")?;
        let entry = foreign_keys.entry(table).or_default().entry(number(row, 1, table)?).or_insert(ForeignKeyRows {
            table: required(row, 3, table)?,
            from: Vec::new(),
            to: Vec::new(),
            on_update: cell(row, 6).unwrap_or("NO ACTION"),
            on_delete: cell(row, 7).unwrap_or("NO ACTION"),
        });
        entry.from.push(required(row, 4, table)?);
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
        let parsed = parse_create_table(sql).map_err(|reason| unexpected(table_name, reason))?;
        let rows = columns.get(table_name).map(Vec::as_slice).unwrap_or_default();
        let mut table = Table {
            name: table_name.to_owned(),
            columns: Vec::with_capacity(rows.len()),
            primary_key: primary_key_of(table_name),
            primary_key_name: None,
            constraints: Vec::new(),
            comment: None,
        };
        for row in rows.iter().filter(|r| r.kind != ColumnKind::Hidden) {
            let written = parsed.columns.iter().find(|c| c.name.eq_ignore_ascii_case(row.name));
            let ty = read_type(row.declared);
            let generated = match row.kind {
                ColumnKind::GeneratedVirtual | ColumnKind::GeneratedStored => {
                    let expr = written.and_then(|c| c.generated.clone()).ok_or_else(|| {
                        unexpected(table_name, format!("no expression found for generated column `{}`", row.name))
                    })?;
                    Some(Generated { expr, stored: row.kind == ColumnKind::GeneratedStored })
                }
                ColumnKind::Plain | ColumnKind::Hidden => None,
            };
            let default = match (&generated, row.default) {
                (None, Some(text)) => read_default(text, &ty),
                _ => None,
            };
            let identity = written.is_some_and(|c| c.autoincrement);
            table.columns.push(Column {
                name: row.name.to_owned(),
                ty,
                // An AUTOINCREMENT column is the rowid, which is never NULL, declared so or not.
                nullable: !row.not_null && !identity,
                default,
                on_update: None,
                identity,
                serial: false,
                identity_always: false,
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
            .filter(|index| index.origin == IndexOrigin::Unique)
            .map(|index| Some(index.keys.iter().filter_map(|(_, name, _, _)| name.map(str::to_owned)).collect()))
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
            if index.origin != IndexOrigin::CreateIndex {
                continue;
            }
            let sql = index_sql
                .get(index_name)
                .ok_or_else(|| unexpected(index_name, "the index has no SQL in sqlite_master"))?;
            let parsed = parse_create_index(sql).map_err(|reason| unexpected(index_name, reason))?;
            let columns = index
                .keys
                .iter()
                .enumerate()
                .map(|(i, (cid, name, _, collation))| match (cid, name) {
                    (-2, _) => parsed.keys.get(i).map(|expr| IndexKey::Expr { expr: expr.clone() }).ok_or_else(|| {
                        unexpected(index_name, format!("key {} is an expression the SQL does not show", i + 1))
                    }),
                    // A key with a collation of its own (not its column's, which the pragma
                    // reports too) is the expression the models write for it.
                    (_, Some(name)) => Ok(
                        match collation.filter(|c| {
                            let column = table.columns.iter().find(|col| col.name.eq_ignore_ascii_case(name));
                            !c.eq_ignore_ascii_case(column.and_then(|col| col.collation.as_deref()).unwrap_or("BINARY"))
                        }) {
                            Some(collation) => {
                                IndexKey::Expr { expr: format!("{} COLLATE {collation}", key_name(name)) }
                            }
                            None => IndexKey::Column((*name).to_owned()),
                        },
                    ),
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
                    key_options: KeyOptions::canonical(
                        index.keys.iter().map(|(_, _, desc, _)| KeyOptions::new(None, *desc, None)).collect(),
                    ),
                    include: Vec::new(),
                },
            );
        }
        schema.tables.insert(table.name.clone(), table);
    }
    canonical_expressions(&mut schema);
    Ok(schema)
}

/// A column name as an index key expression of the models spells it: quoted unless it is
/// lowercase letters, digits and `_` (the way a schema.sql writes a name it keeps the case of).
fn key_name(name: &str) -> String {
    let bare = name.starts_with(|c: char| c.is_ascii_lowercase() || c == '_')
        && name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if bare { name.to_owned() } else { format!("\"{}\"", name.replace('"', "\"\"")) }
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

/// A column default as `pragma_table_xinfo` shows it (the text after `DEFAULT`): literals
/// become values (`1`/`0` on a boolean column become `true`/`false`), `CURRENT_*` portable
/// expressions, `NULL` no default, a double-quoted word a string (as SQLite reads it), and
/// anything else raw SQL (without the parentheses SQLite requires around an expression).
fn read_default(text: &str, ty: &ColumnType) -> Option<DefaultValue> {
    let raw = || Some(DefaultValue::Sql(text.trim().to_owned()));
    let Ok(tokens) = Tokens::new(text) else { return raw() };
    let kinds: Vec<Kind> = tokens.tokens.iter().map(|t| t.kind).collect();
    let number = |literal: &str| -> Option<DefaultValue> {
        // SQLite keeps the text: a number its value would respell is read as written, so a
        // revision that recreates the column (a downgrade) writes it so again.
        if number_literal(literal).is_some() && !spelled_as_value(literal) {
            return Some(DefaultValue::Number(literal.to_owned()));
        }
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
        // No column is in scope in a default: SQLite takes a double-quoted word for a string.
        [Kind::Quoted] if tokens.text(0).starts_with('"') => {
            Some(DefaultValue::Value(Literal::String(unquote(tokens.text(0)))))
        }
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

#[cfg(test)]
mod tests {
    use super::*;

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
        check("\"dq\"", ColumnType::Text, value(Literal::String("dq".into())));
        check("\"say \"\"hi\"\"\"", ColumnType::Text, value(Literal::String("say \"hi\"".into())));
        check("`bq`", ColumnType::Text, sql("`bq`"));
    }
}
