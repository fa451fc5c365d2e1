//! A live MySQL or MariaDB database read back into the [`Schema`] model, set-based: five
//! `information_schema` queries for the whole database (tables, columns, indexes, foreign
//! keys, checks), however many tables it holds.
//!
//! What is read, from one database (the connection's unless [`IntrospectOptions::schema`]
//! names another): base tables with their comments, and their columns in order (type, as
//! `types::read_type` maps it; nullability; default; `AUTO_INCREMENT` as identity; stored and
//! virtual generated expressions; comment), the primary key, unique keys, indexes, foreign
//! keys and checks, all with the names MySQL keeps.
//!
//! MySQL holds some things differently from how the models say them, and they come back as
//! MySQL holds them (`normalize` states the models the same way):
//! - the primary key is always named `PRIMARY`: `primary_key_name` comes back absent;
//! - a unique constraint is a unique index, and comes back as a unique constraint (autogenerate
//!   turns it into an index where the models declare an index, see `normalize_database`); one with a
//!   key MySQL alone can express (an expression, a prefix other than ours) comes back as a
//!   unique index;
//! - an `ENUM('a','b')` column comes back as the type string `enum('a','b')`: MySQL keeps no
//!   enum name (autogenerate names it after the models' enum, see `normalize_database`);
//! - MariaDB's `JSON` is `LONGTEXT` guarded by a `json_valid` check named after the column:
//!   it comes back as `json`, without the check;
//! - the index MySQL creates for a foreign key (named after the key, or after its first
//!   column when the key has no name, on exactly its columns) is not reported: the foreign
//!   key stands for it;
//! - a key on the first 255 characters of a text or binary column (the renderer's), or on
//!   the longest prefix InnoDB keeps (which MariaDB takes for a key written without a length),
//!   comes back as a key on the column; another prefix as the key `{ expr = "col(N)" }`;
//! - a foreign key action `RESTRICT` or `NO ACTION` comes back absent: InnoDB treats them
//!   alike, and MariaDB reports `RESTRICT` for a key declared without one;
//! - an index method `BTREE` comes back absent, `HASH`, `FULLTEXT` and `SPATIAL` lower case
//!   (MariaDB's hash-backed unique key on a long column comes back as a plain unique key);
//! - defaults: MariaDB quotes string literals (`'it\'s'`) and prints expressions
//!   (`current_timestamp(6)`, `curdate()`, `(1 + 2)`); MySQL 8 prints literals bare and marks
//!   expressions `DEFAULT_GENERATED`. Both come back as literals (numbers by the column's type:
//!   `0.00` on a decimal is `0`, `1` on a boolean is `true`), as the portable
//!   `current_timestamp`, `current_date` and `current_time` (whatever their precision), or as
//!   raw SQL without its outer parentheses; `NULL` is no default. `ON UPDATE
//!   CURRENT_TIMESTAMP` (in `EXTRA`, at any precision) is the column's `on_update`.
//!
//! A column's collation is read only when it differs from its table's (one chosen for the
//! column), lower-cased; a character set is implied by its collation.
//!
//! Not modelled, so not read: views, sequences, triggers, partitions, table character sets
//! and collations (left implicit on both sides), invisible columns, index key order and index
//! comments, table options (engine, row format).

use std::collections::{BTreeMap, BTreeSet};

use crate::dialect::common::catalog::{cell, query, required, unexpected};
use crate::dialect::mysql::Server;
use crate::dialect::mysql::text::{expression, prefix_expr, quote_literal, strip_parentheses, unquote};
use crate::dialect::mysql::types::{KEY_PREFIX, needs_key_prefix, read_type};
use crate::dialect::{IntrospectError, IntrospectOptions, Session, TextRows};
use crate::schema::{
    Column, ColumnType, Constraint, DefaultValue, Generated, Index, IndexKey, KeyOptions, Literal, PortableExpr,
    References, ReferentialAction, Schema, Table,
};

/// Reads every base table of one database (see [`IntrospectOptions`]) with its columns,
/// keys, constraints and indexes.
///
/// Six queries whatever the number of tables: the server's version, then the five catalog
/// queries. They run one after the other; MySQL's DDL is not transactional, so run it when no
/// migration is changing the schema.
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
/// use aludel::dialect::{Backend, IntrospectOptions};
/// use aludel::dialect::mysql::introspect;
///
/// let mut session = Backend::MySql.connect("mysql://root@127.0.0.1:3306/app", &Default::default()).await?;
/// let schema = introspect(session.as_mut(), &IntrospectOptions::default()).await?;
/// println!("{} tables", schema.tables.len());
/// # Ok(())
/// # }
/// ```
pub async fn introspect(session: &mut dyn Session, options: &IntrospectOptions) -> Result<Schema, IntrospectError> {
    let server = Server::of(session).await?;
    read(session, server, options).await
}

/// [`introspect`] on a server whose kind is known: the five catalog queries.
pub(crate) async fn read(
    session: &mut dyn Session,
    server: Server,
    options: &IntrospectOptions,
) -> Result<Schema, IntrospectError> {
    let scope = Scope::new(options);
    let tables = query(session, "tables", &tables_query(&scope)).await?;
    let columns = query(session, "columns", &columns_query(&scope)).await?;
    let indexes = query(session, "indexes", &indexes_query(&scope, server)).await?;
    let foreign_keys = query(session, "foreign keys", &foreign_keys_query(&scope)).await?;
    let checks = query(session, "checks", &checks_query(&scope, server)).await?;
    assemble(server, &Catalog { tables, columns, indexes, foreign_keys, checks })
}

/// The rows the catalog queries returned, every cell as text.
struct Catalog {
    tables: TextRows,
    columns: TextRows,
    indexes: TextRows,
    foreign_keys: TextRows,
    checks: TextRows,
}

/// The SQL conditions that pick the database and its tables.
struct Scope {
    /// The database, as an SQL expression.
    database: String,
    /// The excluded tables as a list of literals (`'a', 'b'`); empty when none are.
    excluded: String,
}

impl Scope {
    fn new(options: &IntrospectOptions) -> Scope {
        let database = options.schema.as_deref().map_or_else(|| "DATABASE()".to_owned(), quote_literal);
        let names: Vec<String> = options.exclude_tables.iter().map(|t| quote_literal(t)).collect();
        Scope { database, excluded: names.join(", ") }
    }

    /// `AND <alias>.TABLE_NAME NOT IN (...)` for the excluded tables; empty when none are.
    /// Built whole each time: a table name may hold any text, so nothing is substituted
    /// into a text that already holds names.
    fn exclude(&self, alias: &str) -> String {
        if self.excluded.is_empty() {
            String::new()
        } else {
            format!(" AND {alias}.TABLE_NAME NOT IN ({})", self.excluded)
        }
    }
}

/// One row per column of every table and view: table, column, `COLUMN_TYPE`, nullable,
/// default, extra, generation expression, comment, collation.
fn columns_query(scope: &Scope) -> String {
    // Not joined with TABLES: MariaDB then opens every table once more, ten times slower.
    // The columns of views are left out in Rust.
    format!(
        "SELECT c.TABLE_NAME, c.COLUMN_NAME, c.COLUMN_TYPE, c.IS_NULLABLE, c.COLUMN_DEFAULT, c.EXTRA, \
           c.GENERATION_EXPRESSION, c.COLUMN_COMMENT, c.COLLATION_NAME \
         FROM information_schema.COLUMNS c WHERE c.TABLE_SCHEMA = {}{} \
         ORDER BY c.TABLE_NAME, c.ORDINAL_POSITION",
        scope.database,
        scope.exclude("c")
    )
}

/// One row per base table: name, comment.
fn tables_query(scope: &Scope) -> String {
    format!(
        "SELECT t.TABLE_NAME, t.TABLE_COMMENT, t.TABLE_COLLATION FROM information_schema.TABLES t \
         WHERE t.TABLE_SCHEMA = {} AND t.TABLE_TYPE = 'BASE TABLE'{} ORDER BY t.TABLE_NAME",
        scope.database,
        scope.exclude("t")
    )
}

/// One row per key part of every index: table, index, non-unique, column, prefix length,
/// index type, expression (MySQL's functional key parts; MariaDB has none), collation (`D` for a
/// descending part).
fn indexes_query(scope: &Scope, server: Server) -> String {
    let expression = match server {
        Server::MySql => "s.EXPRESSION",
        Server::MariaDb => "NULL",
    };
    format!(
        "SELECT s.TABLE_NAME, s.INDEX_NAME, s.NON_UNIQUE, s.COLUMN_NAME, s.SUB_PART, s.INDEX_TYPE, {expression}, \
           s.COLLATION \
         FROM information_schema.STATISTICS s WHERE s.TABLE_SCHEMA = {}{} \
         ORDER BY s.TABLE_NAME, s.INDEX_NAME, s.SEQ_IN_INDEX",
        scope.database,
        scope.exclude("s")
    )
}

/// One row per column of every foreign key: table, name, column, referenced table and
/// column, update and delete rules.
fn foreign_keys_query(scope: &Scope) -> String {
    format!(
        "SELECT k.TABLE_NAME, k.CONSTRAINT_NAME, k.COLUMN_NAME, k.REFERENCED_TABLE_NAME, k.REFERENCED_COLUMN_NAME, \
           r.UPDATE_RULE, r.DELETE_RULE \
         FROM information_schema.KEY_COLUMN_USAGE k \
         JOIN information_schema.REFERENTIAL_CONSTRAINTS r ON r.CONSTRAINT_SCHEMA = k.CONSTRAINT_SCHEMA \
           AND r.TABLE_NAME = k.TABLE_NAME AND r.CONSTRAINT_NAME = k.CONSTRAINT_NAME \
         WHERE k.TABLE_SCHEMA = {} AND k.REFERENCED_TABLE_NAME IS NOT NULL{} \
         ORDER BY k.TABLE_NAME, k.CONSTRAINT_NAME, k.ORDINAL_POSITION",
        scope.database,
        scope.exclude("k")
    )
}

/// One row per check: table, name, clause, level (`Column` for MariaDB's column checks).
/// MariaDB names checks per table and lists the table; MySQL names them per database and
/// lists the table in `TABLE_CONSTRAINTS` only.
fn checks_query(scope: &Scope, server: Server) -> String {
    match server {
        Server::MariaDb => format!(
            "SELECT c.TABLE_NAME, c.CONSTRAINT_NAME, c.CHECK_CLAUSE, c.LEVEL \
             FROM information_schema.CHECK_CONSTRAINTS c \
             WHERE c.CONSTRAINT_SCHEMA = {}{} ORDER BY c.TABLE_NAME, c.CONSTRAINT_NAME",
            scope.database,
            scope.exclude("c")
        ),
        Server::MySql => format!(
            "SELECT t.TABLE_NAME, c.CONSTRAINT_NAME, c.CHECK_CLAUSE, 'Table' \
             FROM information_schema.TABLE_CONSTRAINTS t \
             JOIN information_schema.CHECK_CONSTRAINTS c ON c.CONSTRAINT_SCHEMA = t.CONSTRAINT_SCHEMA \
               AND c.CONSTRAINT_NAME = t.CONSTRAINT_NAME \
             WHERE t.CONSTRAINT_TYPE = 'CHECK' AND t.TABLE_SCHEMA = {}{} ORDER BY t.TABLE_NAME, c.CONSTRAINT_NAME",
            scope.database,
            scope.exclude("t")
        ),
    }
}

/// One key part of an index.
struct KeyPart<'a> {
    column: Option<&'a str>,
    prefix: Option<u32>,
    expression: Option<&'a str>,
    desc: bool,
}

/// One index with its key parts.
struct IndexRows<'a> {
    table: &'a str,
    name: &'a str,
    unique: bool,
    index_type: &'a str,
    parts: Vec<KeyPart<'a>>,
}

/// Whether a printed default is the zero date (`'0000-00-00 00:00:00'`, at any precision).
fn is_zero_date(printed: &str) -> bool {
    let text = printed.trim_matches('\'');
    text.starts_with("0000-00-00 00:00:00") && text[19..].trim_start_matches('.').bytes().all(|b| b == b'0')
}

/// The column of MariaDB's JSON check, `json_valid(`col`)`.
fn json_valid_column(clause: &str) -> Option<&str> {
    let column = clause.strip_prefix("json_valid(`")?.strip_suffix("`)")?;
    (!column.contains('`')).then_some(column)
}

/// Builds the schema from the catalog rows.
fn assemble(server: Server, catalog: &Catalog) -> Result<Schema, IntrospectError> {
    let Catalog { tables, columns, indexes, foreign_keys, checks } = catalog;
    // MariaDB's JSON columns: a column check `json_valid(`col`)`, named after the column when
    // it was made (a column renamed since keeps the check's old name).
    let mut json_checks: BTreeSet<(&str, &str)> = BTreeSet::new();
    let mut table_checks: Vec<(&str, Option<&str>, &str)> = Vec::new();
    for row in checks {
        let table = required(row, 0, "a check's table")?;
        let name = required(row, 1, table)?;
        let clause = required(row, 2, name)?;
        let column_level = cell(row, 3) == Some("Column");
        if let Some(column) = json_valid_column(clause).filter(|_| column_level) {
            json_checks.insert((table, column));
        } else {
            // MariaDB names a column's check after the column, a name a unique key on it may
            // hold too: the check is kept unnamed, so that it can be written again.
            table_checks.push((table, (!column_level).then_some(name), clause));
        }
    }

    let mut schema = Schema::default();
    let mut table_collations: BTreeMap<&str, &str> = BTreeMap::new();
    for row in tables {
        let name = required(row, 0, "a table")?;
        let table = Table { comment: cell(row, 1).filter(|c| !c.is_empty()).map(str::to_owned), ..Table::new(name) };
        schema.tables.insert(name.to_owned(), table);
        if let Some(collation) = cell(row, 2) {
            table_collations.insert(name, collation);
        }
    }
    for row in columns {
        let table_name = required(row, 0, "a column's table")?;
        // A view's, or a table created since the tables were read.
        let Some(table) = schema.tables.get_mut(table_name) else { continue };
        let name = required(row, 1, table_name)?;
        let what = format!("column {table_name}.{name}");
        let ty = read_type(required(row, 2, &what)?, json_checks.contains(&(table_name, name)));
        let extra = cell(row, 5).unwrap_or_default().to_ascii_lowercase();
        let generated = if extra.contains("generated") && !extra.contains("default_generated") {
            let expr = cell(row, 6).filter(|e| !e.is_empty());
            let expr = expr.ok_or_else(|| unexpected(&what, "a generated column without an expression"))?;
            let stored = extra.contains("stored") || extra.contains("persistent");
            Some(Generated { expr: expression(expr), stored })
        } else {
            None
        };
        let nullable = required(row, 3, &what)? == "YES";
        let on_update = extra.contains("on update current_timestamp");
        let default = match (&generated, cell(row, 4)) {
            // MariaDB gives a `NOT NULL ... ON UPDATE CURRENT_TIMESTAMP` column declared without
            // a default the zero date as one: the declaration's, not a default anyone wrote.
            (None, Some(printed)) if on_update && !nullable && is_zero_date(printed) => None,
            (None, Some(printed)) => read_default(server, printed, extra.contains("default_generated"), &ty),
            _ => None,
        };
        // Only a collation other than the table's was chosen; MariaDB's JSON is text that
        // always collates as binary.
        let collation = cell(row, 8)
            .filter(|c| table_collations.get(table_name) != Some(c) && ty != ColumnType::Json)
            .map(str::to_ascii_lowercase);
        table.columns.push(Column {
            name: name.to_owned(),
            nullable,
            ty,
            default,
            on_update: on_update.then_some(DefaultValue::Expr(PortableExpr::CurrentTimestamp)),
            identity: extra.contains("auto_increment"),
            serial: false,
            identity_always: false,
            generated,
            comment: cell(row, 7).filter(|c| !c.is_empty()).map(str::to_owned),
            collation,
        });
    }

    // Foreign keys first: they say which indexes MySQL made for them.
    let mut keys: BTreeMap<(&str, &str), Constraint> = BTreeMap::new();
    for row in foreign_keys {
        let table = required(row, 0, "a foreign key's table")?;
        let name = required(row, 1, table)?;
        let what = format!("foreign key {name} on {table}");
        let column = required(row, 2, &what)?.to_owned();
        let referenced = required(row, 4, &what)?.to_owned();
        let entry = keys.entry((table, name)).or_insert(Constraint::ForeignKey {
            name: Some(name.to_owned()),
            columns: Vec::new(),
            references: References { table: required(row, 3, &what)?.to_owned(), columns: Vec::new() },
            on_delete: referential_action(required(row, 6, &what)?, &what)?,
            on_update: referential_action(required(row, 5, &what)?, &what)?,
        });
        if let Constraint::ForeignKey { columns, references, .. } = entry {
            columns.push(column);
            references.columns.push(referenced);
        }
    }

    // By exact name: MySQL sorts names without regard to case, so the rows of `Users` and
    // `users` may interleave.
    let mut grouped: BTreeMap<(&str, &str), IndexRows<'_>> = BTreeMap::new();
    for row in indexes {
        let table = required(row, 0, "an index's table")?;
        let name = required(row, 1, table)?;
        let what = format!("index {name} on {table}");
        let part = KeyPart {
            column: cell(row, 3),
            prefix: cell(row, 4)
                .map(|p| p.parse().map_err(|_| unexpected(&what, format!("a prefix length `{p}`"))))
                .transpose()?,
            expression: cell(row, 6),
            desc: cell(row, 7) == Some("D"),
        };
        match grouped.get_mut(&(table, name)) {
            Some(known) => known.parts.push(part),
            None => {
                let index = IndexRows {
                    table,
                    name,
                    unique: required(row, 2, &what)? == "0",
                    index_type: required(row, 5, &what)?,
                    parts: vec![part],
                };
                grouped.insert((table, name), index);
            }
        }
    }

    for index in grouped.into_values() {
        let Some(table) = schema.tables.get_mut(index.table) else { continue };
        let what = format!("index {} on {}", index.name, index.table);
        let mut plain = true;
        let mut key = Vec::with_capacity(index.parts.len());
        for part in &index.parts {
            key.push(match (part.column, part.expression) {
                (Some(column), _) => {
                    let text_like = table.column(column).is_some_and(|c| needs_key_prefix(&c.ty));
                    match part.prefix {
                        None => IndexKey::Column(column.to_owned()),
                        Some(length) if text_like && whole_column_prefix(length) => IndexKey::Column(column.to_owned()),
                        Some(length) => {
                            plain = false;
                            IndexKey::Expr { expr: prefix_expr(column, length) }
                        }
                    }
                }
                (None, Some(text)) => {
                    plain = false;
                    IndexKey::Expr { expr: expression(text) }
                }
                (None, None) => return Err(unexpected(&what, "a key part with neither a column nor an expression")),
            });
        }
        let key_options =
            KeyOptions::canonical(index.parts.iter().map(|part| KeyOptions::new(None, part.desc, None)).collect());
        // A descending key is no constraint's.
        plain &= key_options.is_empty();
        let long_unique = index.unique && index.index_type == "HASH";
        let method = match index.index_type {
            "BTREE" => None,
            _ if long_unique => None,
            other => Some(other.to_ascii_lowercase()),
        };
        let names = || {
            key.iter()
                .filter_map(|k| match k {
                    IndexKey::Column(c) => Some(c.clone()),
                    IndexKey::Expr { .. } => None,
                })
                .collect::<Vec<_>>()
        };
        if index.name == "PRIMARY" {
            table.primary_key = names();
            continue;
        }
        if index.unique && plain && method.is_none() {
            table.constraints.push(Constraint::Unique { name: Some(index.name.to_owned()), columns: names() });
            continue;
        }
        if !index.unique && plain && method.is_none() {
            let columns = names();
            let made_for_a_key = keys.iter().any(|((key_table, key_name), constraint)| {
                *key_table == index.table
                    && constraint.columns() == columns.as_slice()
                    && (index.name == *key_name || Some(index.name) == constraint.columns().first().map(String::as_str))
            });
            if made_for_a_key {
                continue;
            }
        }
        schema.indexes.insert(
            index.name.to_owned(),
            Index {
                name: index.name.to_owned(),
                table: index.table.to_owned(),
                columns: key,
                unique: index.unique,
                predicate: None,
                method,
                key_options,
                include: Vec::new(),
            },
        );
    }

    for ((table, _), constraint) in keys {
        if let Some(table) = schema.tables.get_mut(table) {
            table.constraints.push(constraint);
        }
    }
    for (table, name, clause) in table_checks {
        if let Some(table) = schema.tables.get_mut(table) {
            table.constraints.push(Constraint::Check { name: name.map(str::to_owned), expr: expression(clause) });
        }
    }
    for table in schema.tables.values_mut() {
        table.constraints.sort_by(|a, b| a.name().cmp(&b.name()));
    }
    Ok(schema)
}

/// Whether a key prefix on a text or binary column stands for the whole column: the
/// renderer's, or the longest InnoDB keeps (3,072 bytes), which MariaDB takes by itself for a
/// key written without a length (768 four-byte, 1,024 three-byte or 3,072 one-byte
/// characters).
fn whole_column_prefix(length: u32) -> bool {
    length == KEY_PREFIX || matches!(length, 768 | 1024 | 3072)
}

/// `UPDATE_RULE` / `DELETE_RULE`: `RESTRICT` and `NO ACTION` (the same in InnoDB) are `None`.
fn referential_action(rule: &str, what: &str) -> Result<Option<ReferentialAction>, IntrospectError> {
    Ok(match rule {
        "RESTRICT" | "NO ACTION" => None,
        "CASCADE" => Some(ReferentialAction::Cascade),
        "SET NULL" => Some(ReferentialAction::SetNull),
        "SET DEFAULT" => Some(ReferentialAction::SetDefault),
        other => return Err(unexpected(what, format!("unknown referential action `{other}`"))),
    })
}

/// A default as `COLUMN_DEFAULT` shows it on a column of type `ty`; `generated` is MySQL 8's
/// `DEFAULT_GENERATED` (an expression default).
pub(crate) fn read_default(server: Server, printed: &str, generated: bool, ty: &ColumnType) -> Option<DefaultValue> {
    let text = printed.trim();
    if text.eq_ignore_ascii_case("null") {
        return None;
    }
    if let Some(portable) = portable_expr(text) {
        return Some(DefaultValue::Expr(portable));
    }
    let quoted = match server {
        Server::MariaDb => text.starts_with('\'').then_some(text),
        // MySQL 8 prints a string in an expression default with its character set.
        Server::MySql if generated => text.strip_prefix("_utf8mb4").or(text.strip_prefix("_latin1")).map(str::trim),
        Server::MySql => None,
    };
    if let Some(quoted) = quoted {
        // MySQL 8 escapes the quotes of such a string once more: `_utf8mb4\'x\'`.
        let unescaped = match quoted.strip_prefix("\\'").and_then(|q| q.strip_suffix("\\'")) {
            Some(inner) => format!("'{}'", inner.replace("\\'", "''")),
            None => quoted.to_owned(),
        };
        return Some(match unquote(&unescaped) {
            Some(value) => DefaultValue::Value(Literal::String(value)),
            None => DefaultValue::Sql(text.to_owned()),
        });
    }
    let is_literal = match server {
        Server::MariaDb => true,
        Server::MySql => !generated,
    };
    if is_literal && let Some(literal) = literal_for(text, ty, server) {
        return Some(DefaultValue::Value(literal));
    }
    Some(DefaultValue::Sql(expression(strip_parentheses(text))))
}

/// The portable expression `text` spells, in any of MySQL's and MariaDB's spellings.
fn portable_expr(text: &str) -> Option<PortableExpr> {
    let lower = text.to_ascii_lowercase();
    let lower = strip_parentheses(&lower);
    let call = |name: &str| {
        lower == name
            || lower
                .strip_prefix(name)
                .and_then(|r| r.strip_prefix('('))
                .and_then(|r| r.strip_suffix(')'))
                .is_some_and(|precision| precision.is_empty() || precision.bytes().all(|b| b.is_ascii_digit()))
    };
    if call("current_timestamp") || call("now") || call("localtimestamp") {
        Some(PortableExpr::CurrentTimestamp)
    } else if call("current_date") || call("curdate") {
        Some(PortableExpr::CurrentDate)
    } else if call("current_time") || call("curtime") {
        Some(PortableExpr::CurrentTime)
    } else {
        None
    }
}

/// A literal printed bare, read by the column's type; `None` when it is not one.
fn literal_for(text: &str, ty: &ColumnType, server: Server) -> Option<Literal> {
    let number = text.parse::<f64>().is_ok() && !text.contains(['x', 'X', 'n', 'N', 'i', 'I']);
    match ty {
        ColumnType::Boolean if text == "0" || text == "1" => Some(Literal::Bool(text == "1")),
        ColumnType::SmallInt | ColumnType::Integer | ColumnType::BigInt | ColumnType::Boolean => {
            text.parse().ok().map(Literal::Int)
        }
        ColumnType::Real | ColumnType::Double | ColumnType::Numeric(_) if number => Some(number_literal(text)),
        ColumnType::Custom(custom) if number && is_numeric_custom(custom) => Some(number_literal(text)),
        // MySQL 8 prints string literals bare; MariaDB quotes them (handled before), so a
        // bare number is a number whatever the column's type.
        _ if server == Server::MySql => Some(Literal::String(text.to_owned())),
        _ if number => Some(number_literal(text)),
        _ => None,
    }
}

/// Whether a custom type is one of MySQL's numeric ones (`int unsigned`, `tinyint`, ...).
fn is_numeric_custom(ty: &str) -> bool {
    let base = ty.trim().to_ascii_lowercase();
    let base = base.split(['(', ' ']).next().unwrap_or_default().to_owned();
    matches!(
        base.as_str(),
        "tinyint" | "smallint" | "mediumint" | "int" | "integer" | "bigint" | "decimal" | "float" | "double"
    )
}

/// A number: an integer when it has no fraction (`0.00` on a decimal is `0`), else a float.
pub(crate) fn number_literal(text: &str) -> Literal {
    if let Ok(int) = text.parse::<i64>() {
        return Literal::Int(int);
    }
    if let Some((whole, fraction)) = text.split_once('.')
        && !fraction.is_empty()
        && fraction.bytes().all(|b| b == b'0')
        && let Ok(int) = whole.parse::<i64>()
    {
        return Literal::Int(int);
    }
    match text.parse::<f64>() {
        Ok(float) if float.is_finite() && float.fract() == 0.0 && float.abs() < 9.0e15 => Literal::Int(float as i64),
        Ok(float) => Literal::Float(float),
        Err(_) => Literal::String(text.to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(server: Server, printed: &str, generated: bool, ty: &str, expected: Option<DefaultValue>) {
        let ty = ColumnType::parse(ty).unwrap();
        assert_eq!(read_default(server, printed, generated, &ty), expected, "{printed} on {ty}");
    }

    fn value(literal: Literal) -> Option<DefaultValue> {
        Some(DefaultValue::Value(literal))
    }

    #[test]
    fn mariadb_defaults_read_as_it_prints_them() {
        let m = Server::MariaDb;
        check(m, "NULL", false, "integer", None);
        check(m, "1", false, "boolean", value(Literal::Bool(true)));
        check(m, "0", false, "boolean", value(Literal::Bool(false)));
        check(m, "-7", false, "smallint", value(Literal::Int(-7)));
        check(m, "0.00", false, "numeric(10,2)", value(Literal::Int(0)));
        check(m, "12.50", false, "numeric(10,2)", value(Literal::Float(12.5)));
        check(m, "2.5", false, "double", value(Literal::Float(2.5)));
        check(m, "1", false, "double", value(Literal::Int(1)));
        check(m, "'it\\'s'", false, "text", value(Literal::String("it's".into())));
        check(m, "'a''b\\\\c'", false, "varchar(10)", value(Literal::String("a'b\\c".into())));
        check(m, "''", false, "text", value(Literal::String(String::new())));
        check(m, "'ok'", false, "enum('sad','ok')", value(Literal::String("ok".into())));
        check(m, "current_timestamp(6)", false, "timestamp", Some(DefaultValue::Expr(PortableExpr::CurrentTimestamp)));
        check(m, "current_timestamp()", false, "datetime", Some(DefaultValue::Expr(PortableExpr::CurrentTimestamp)));
        check(m, "curdate()", false, "date", Some(DefaultValue::Expr(PortableExpr::CurrentDate)));
        check(m, "curtime()", false, "time", Some(DefaultValue::Expr(PortableExpr::CurrentTime)));
        check(m, "(1 + 2)", false, "integer", Some(DefaultValue::Sql("1 + 2".into())));
        check(m, "uuid()", false, "char(36)", Some(DefaultValue::Sql("uuid()".into())));
        check(m, "'a' + 'b'", false, "text", Some(DefaultValue::Sql("'a' + 'b'".into())));
        check(m, "7", false, "text", value(Literal::Int(7)));
    }

    #[test]
    fn mysql_defaults_read_as_it_prints_them() {
        let m = Server::MySql;
        check(m, "x", false, "text", value(Literal::String("x".into())));
        check(m, "1", false, "boolean", value(Literal::Bool(true)));
        check(m, "0.00", false, "numeric(10,2)", value(Literal::Int(0)));
        check(m, "CURRENT_TIMESTAMP(6)", true, "timestamp", Some(DefaultValue::Expr(PortableExpr::CurrentTimestamp)));
        check(m, "curdate()", true, "date", Some(DefaultValue::Expr(PortableExpr::CurrentDate)));
        check(m, "_utf8mb4\\'{}\\'", true, "json", value(Literal::String("{}".into())));
        check(m, "_utf8mb4\\'it\\'s\\'", true, "text", value(Literal::String("it's".into())));
        check(m, "_utf8mb4'{}'", true, "json", value(Literal::String("{}".into())));
        check(m, "(1 + 2)", true, "integer", Some(DefaultValue::Sql("1 + 2".into())));
    }
}
