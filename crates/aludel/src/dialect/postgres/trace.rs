//! The SQL of `aludel trace` on PostgreSQL: a scratch database, rows made with
//! `generate_series`, a probe `UPDATE` that keeps a row as it is, and the catalog reads of
//! `pg_locks` and `pg_class.relfilenode`.

use std::collections::{BTreeMap, BTreeSet};

use crate::dialect::common::{quote_ident_ansi as quote, quote_literal};
use crate::dialect::trace::TraceSql;
use crate::schema::{ColumnType, Constraint, Schema, Table};

/// What the schema model does not hold, in the current schema and not an extension's, as
/// PostgreSQL writes it: domains (which tables use, so they come first), functions and
/// procedures, views, materialized views (without their rows), the indexes no constraint owns,
/// triggers; each kind in the order it was created.
const DEFINITIONS: &str = "\
    WITH own AS (SELECT current_schema()::regnamespace AS ns), \
    extension_owned AS (SELECT objid FROM pg_depend WHERE deptype = 'e') \
    SELECT kind, name, tab, statement FROM ( \
      SELECT 0 AS phase, t.oid::bigint AS id, 'domain' AS kind, t.typname::text AS name, '' AS tab, \
             'CREATE DOMAIN ' || quote_ident(t.typname) || ' AS ' || format_type(t.typbasetype, t.typtypmod) \
             || coalesce(' DEFAULT ' || t.typdefault, '') || CASE WHEN t.typnotnull THEN ' NOT NULL' ELSE '' END \
             || coalesce((SELECT string_agg(' CONSTRAINT ' || quote_ident(k.conname) || ' ' \
                  || pg_get_constraintdef(k.oid), '' ORDER BY k.oid) FROM pg_constraint k WHERE k.contypid = t.oid), '') \
             AS statement \
        FROM pg_type t, own WHERE t.typnamespace = own.ns AND t.typtype = 'd' \
         AND t.oid NOT IN (SELECT objid FROM extension_owned) \
      UNION ALL \
      SELECT 1, p.oid::bigint, 'function', p.proname::text, '', pg_get_functiondef(p.oid) \
        FROM pg_proc p, own WHERE p.pronamespace = own.ns AND p.prokind IN ('f', 'p') \
         AND p.oid NOT IN (SELECT objid FROM extension_owned) \
      UNION ALL \
      SELECT 2, c.oid::bigint, CASE c.relkind WHEN 'v' THEN 'view' ELSE 'materialized view' END, c.relname::text, '', \
             CASE c.relkind WHEN 'v' THEN 'CREATE VIEW ' || quote_ident(c.relname) || ' AS ' || pg_get_viewdef(c.oid) \
               ELSE 'CREATE MATERIALIZED VIEW ' || quote_ident(c.relname) || ' AS ' \
                 || rtrim(rtrim(pg_get_viewdef(c.oid)), ';') || ' WITH NO DATA' END \
        FROM pg_class c, own WHERE c.relnamespace = own.ns AND c.relkind IN ('v', 'm') \
         AND c.oid NOT IN (SELECT objid FROM extension_owned) \
      UNION ALL \
      SELECT 3, i.indexrelid::bigint, 'index', ic.relname::text, t.relname::text, pg_get_indexdef(i.indexrelid) \
        FROM pg_index i JOIN pg_class t ON t.oid = i.indrelid JOIN pg_class ic ON ic.oid = i.indexrelid, own \
       WHERE t.relnamespace = own.ns AND t.relkind IN ('r', 'p', 'm') \
         AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid AND c.conrelid = t.oid) \
      UNION ALL \
      SELECT 4, g.oid::bigint, 'trigger', g.tgname::text, t.relname::text, pg_get_triggerdef(g.oid) \
        FROM pg_trigger g JOIN pg_class t ON t.oid = g.tgrelid, own \
       WHERE t.relnamespace = own.ns AND NOT g.tgisinternal \
    ) d ORDER BY phase, id";

/// PostgreSQL's [`TraceSql`].
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct PostgresTrace;

/// The user tables of the session's schema, as `pg_class` rows `c`.
const USER_TABLES: &str = "c.relkind IN ('r', 'p') AND c.relnamespace = current_schema()::regnamespace";

impl TraceSql for PostgresTrace {
    fn session_id(&self) -> &'static str {
        "SELECT pg_backend_pid()::text"
    }

    fn locks_of(&self, session_id: &str) -> String {
        // The id is read back from the server as digits; anything else matches no session.
        let pid: i64 = session_id.trim().parse().unwrap_or(-1);
        format!(
            "SELECT c.relname::text, l.mode FROM pg_locks l JOIN pg_class c ON c.oid = l.relation \
             WHERE l.pid = {pid} AND l.granted AND l.locktype = 'relation' AND {USER_TABLES}"
        )
    }

    fn own_locks(&self) -> &'static str {
        "SELECT c.relname::text, l.mode FROM pg_locks l JOIN pg_class c ON c.oid = l.relation \
         WHERE l.pid = pg_backend_pid() AND l.granted AND l.locktype = 'relation' \
         AND c.relkind IN ('r', 'p') AND c.relnamespace = current_schema()::regnamespace"
    }

    fn row_estimates(&self) -> &'static str {
        "SELECT c.relname::text, c.reltuples::bigint::text FROM pg_class c \
         WHERE c.relkind IN ('r', 'p') AND c.relnamespace = current_schema()::regnamespace"
    }

    fn file_nodes(&self) -> &'static str {
        "SELECT c.relname::text, c.relfilenode::text FROM pg_class c \
         WHERE c.relkind IN ('r', 'p') AND c.relnamespace = current_schema()::regnamespace"
    }

    fn extensions(&self) -> &'static str {
        // plpgsql comes with every database.
        "SELECT e.extname::text, n.nspname::text FROM pg_extension e \
         JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname <> 'plpgsql' ORDER BY e.oid"
    }

    fn install_extension(&self, extension: &str, schema: &str) -> Vec<String> {
        vec![
            format!("CREATE SCHEMA IF NOT EXISTS {}", quote(schema)),
            format!("CREATE EXTENSION IF NOT EXISTS {} WITH SCHEMA {} CASCADE", quote(extension), quote(schema)),
        ]
    }

    fn current_schema(&self) -> &'static str {
        "SELECT current_schema()::text"
    }

    fn use_schema(&self, schema: &str) -> Vec<String> {
        let schema = quote(schema);
        vec![
            format!("CREATE SCHEMA IF NOT EXISTS {schema}"),
            // ALTER DATABASE takes a name, not an expression.
            format!(
                "DO $aludel$ BEGIN EXECUTE format('ALTER DATABASE %I SET search_path TO %s', current_database(), {}); \
                 END $aludel$",
                quote_literal(&schema)
            ),
            format!("SET search_path TO {schema}"),
        ]
    }

    fn definitions(&self) -> &'static str {
        DEFINITIONS
    }

    fn defer_body_checks(&self) -> &'static str {
        "SET check_function_bodies = off"
    }

    fn blocks_writers(&self, mode: &str) -> bool {
        // The modes that conflict with ROW EXCLUSIVE, which INSERT, UPDATE and DELETE take.
        matches!(mode, "ShareLock" | "ShareRowExclusiveLock" | "ExclusiveLock" | "AccessExclusiveLock")
    }

    fn fill(&self, schema: &Schema, rows: &BTreeMap<String, u64>) -> Vec<(String, String)> {
        let mut filled = Vec::new();
        for table in referenced_first(schema) {
            if let Some(sql) = fill_table(schema, table, rows) {
                filled.push((table.name.clone(), sql));
            }
        }
        filled
    }

    fn probe(&self, table: &Table) -> Option<String> {
        let column = table.columns.iter().find(|c| !c.identity && c.generated.is_none())?;
        let (table, column) = (quote(&table.name), quote(&column.name));
        Some(format!("UPDATE {table} SET {column} = {column} WHERE ctid = (SELECT ctid FROM {table} LIMIT 1)"))
    }
}

/// The tables of `schema`, each after the tables its foreign keys reference (as far as a
/// cycle allows).
fn referenced_first(schema: &Schema) -> Vec<&Table> {
    let mut placed: BTreeSet<&str> = BTreeSet::new();
    let mut ordered = Vec::with_capacity(schema.tables.len());
    while ordered.len() < schema.tables.len() {
        let ready: Vec<&Table> = schema
            .tables
            .values()
            .filter(|t| !placed.contains(t.name.as_str()))
            .filter(|t| {
                t.constraints.iter().all(|c| match c {
                    Constraint::ForeignKey { references, .. } => {
                        references.table == t.name || placed.contains(references.table.as_str())
                    }
                    _ => true,
                })
            })
            .collect();
        // A cycle: take the rest in name order.
        let next = if ready.is_empty() {
            schema.tables.values().filter(|t| !placed.contains(t.name.as_str())).collect()
        } else {
            ready
        };
        for table in next {
            placed.insert(&table.name);
            ordered.push(table);
        }
    }
    ordered
}

/// `INSERT ... SELECT ... FROM generate_series(1, rows)` for `table`: row `g` holds values
/// made from `g`, and a foreign key column the value some row of the referenced table holds.
fn fill_table(schema: &Schema, table: &Table, counts: &BTreeMap<String, u64>) -> Option<String> {
    let count = |name: &str| counts.get(name).copied().unwrap_or(0);
    let rows = count(&table.name);
    if rows == 0 {
        return None;
    }
    let mut columns = Vec::new();
    let mut values = Vec::new();
    for column in table.columns.iter().filter(|c| !c.identity && c.generated.is_none()) {
        let referenced = table.constraints.iter().find_map(|c| match c {
            Constraint::ForeignKey { columns, references, .. } => {
                let at = columns.iter().position(|name| *name == column.name)?;
                let target = schema.tables.get(&references.table)?.column(references.columns.get(at)?)?;
                Some((target, count(&references.table).max(1)))
            }
            _ => None,
        });
        let value = match referenced {
            // Identity keys count from 1 as the rows go in, as `g` does.
            Some((target, referenced)) => value(schema, &target.ty, &format!("((g - 1) % {referenced} + 1)")),
            None => value(schema, &column.ty, "g"),
        };
        match value {
            Some(value) => {
                columns.push(quote(&column.name));
                values.push(value);
            }
            None if column.nullable || column.default.is_some() => {}
            None => return None,
        }
    }
    if columns.is_empty() {
        return None;
    }
    Some(format!(
        "INSERT INTO {} ({}) SELECT {} FROM generate_series(1, {rows}) AS g",
        quote(&table.name),
        columns.join(", "),
        values.join(", ")
    ))
}

/// A value of type `ty` made from the integer expression `g`; none for a type the generator
/// does not know.
fn value(schema: &Schema, ty: &ColumnType, g: &str) -> Option<String> {
    Some(match ty {
        ColumnType::SmallInt => format!("({g} % 32767)::smallint"),
        ColumnType::Integer | ColumnType::BigInt | ColumnType::Real | ColumnType::Double => g.to_owned(),
        ColumnType::Numeric(Some((precision, scale))) => {
            let digits = precision.saturating_sub(*scale).clamp(1, 9);
            format!("({g} % {})", 10u64.pow(digits))
        }
        ColumnType::Numeric(None) => g.to_owned(),
        ColumnType::Varchar(Some(n)) | ColumnType::Char(Some(n)) => format!("left('r' || {g}, {n})"),
        ColumnType::Varchar(None) | ColumnType::Char(None) | ColumnType::Text => format!("'r' || {g}"),
        ColumnType::Boolean => format!("({g} % 2 = 0)"),
        ColumnType::Date => format!("(DATE '2020-01-01' + ({g} % 3650)::int)"),
        ColumnType::Time => "TIME '12:00'".to_owned(),
        ColumnType::Timestamp => format!("(TIMESTAMP '2020-01-01' + {g} * INTERVAL '1 second')"),
        ColumnType::Timestamptz => format!("(TIMESTAMPTZ '2020-01-01 00:00:00+00' + {g} * INTERVAL '1 second')"),
        ColumnType::Interval => format!("({g} * INTERVAL '1 second')"),
        ColumnType::Uuid => format!("md5({g}::text)::uuid"),
        ColumnType::Json => "'{}'::json".to_owned(),
        ColumnType::Jsonb => "'{}'::jsonb".to_owned(),
        ColumnType::Bytes => format!("decode(md5({g}::text), 'hex')"),
        ColumnType::Enum(name) => {
            let first = schema.enums.get(name)?.values.first()?;
            format!("{}::{}", quote_literal(first), quote(name))
        }
        ColumnType::Array(_) => "'{}'".to_owned(),
        ColumnType::Custom(_) => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locks_of_a_session_take_only_its_numeric_id() {
        assert!(PostgresTrace.locks_of("123").contains("l.pid = 123 "));
        assert!(PostgresTrace.locks_of("1; DROP TABLE x").contains("l.pid = -1 "));
    }
}
