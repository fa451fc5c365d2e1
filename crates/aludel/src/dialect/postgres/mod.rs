//! PostgreSQL: the first-class backend. Transactional DDL, native enums, arrays, identity
//! columns, concurrent index builds, and a session-level advisory lock for migrations.

use crate::dialect::common::quote_literal;
use crate::dialect::{Dialect, Leftover, Placement, RenderError, Statement};
use crate::ops::{CreateIndex, Op};
use crate::schema::{ColumnType, Schema};

pub(crate) mod introspect;
mod normalize;
mod render;
#[cfg(feature = "schema-sql")]
pub(crate) mod schema_sql;
pub(crate) mod session;
mod text;
mod timeouts;
mod trace;
mod types;

pub use introspect::introspect;
pub use normalize::normalize;

/// A query for the index `name` (as SQL spells it) that meets `condition` on `pg_index i`:
/// its schema-qualified name, which stays right whatever the search path is when it is read.
fn index_probe(name: &str, condition: &str) -> String {
    format!(
        "SELECT format('%I.%I', n.nspname, c.relname) FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid \
         JOIN pg_namespace n ON n.oid = c.relnamespace WHERE i.indexrelid = to_regclass({}) AND {condition}",
        quote_literal(name)
    )
}

/// The PostgreSQL dialect.
#[derive(Debug, Clone, Copy, Default)]
pub struct Postgres;

impl Dialect for Postgres {
    fn utc_text(&self, column: &str) -> String {
        format!("to_char({column} AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')")
    }

    fn unmodelled_query(&self) -> Option<&'static str> {
        Some(UNMODELLED)
    }

    fn relations_query(&self) -> &'static str {
        // Every schema of the search path, shadowed names too: a name an op gives may reach a
        // table of a later schema once an earlier one's is dropped.
        "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f') AND n.nspname = ANY (current_schemas(true))"
    }

    fn name(&self) -> &'static str {
        "postgresql"
    }

    fn has_transactional_ddl(&self) -> bool {
        true
    }

    fn script_run_advice(&self) -> Option<&'static str> {
        Some("run it with psql -v ON_ERROR_STOP=1 -f, so that it stops at its first error")
    }

    fn script_version_guard(&self, table: &str, heads: &[&str], revision: &str) -> Option<Statement> {
        if heads.is_empty() {
            return None;
        }
        let listed: Vec<String> = heads.iter().map(|head| crate::dialect::common::quote_literal(head)).collect();
        let message = format!(
            "aludel: the version table does not hold {}, so a revision before {revision} in this script failed; \
             nothing more of the script runs (run it with psql -v ON_ERROR_STOP=1 to stop at the first error)",
            heads.join(", ")
        );
        Some(Statement::new(format!(
            "DO $aludel$ BEGIN IF (SELECT count(DISTINCT version_num) FROM {} WHERE version_num IN ({})) <> {} THEN \
             RAISE EXCEPTION '%', {}; END IF; END $aludel$",
            self.quote_ident(table),
            listed.join(", "),
            heads.len(),
            crate::dialect::common::quote_literal(&message)
        )))
    }

    fn column_type(&self, ty: &ColumnType) -> Result<String, RenderError> {
        types::column_type(ty)
    }

    fn render(&self, op: &Op, before: &Schema) -> Result<Vec<Statement>, RenderError> {
        render::render(op, before)
    }

    fn render_ops(&self, ops: &[Op], schema: &mut Schema) -> Result<Vec<Vec<Statement>>, (usize, RenderError)> {
        render::render_ops(ops, schema)
    }

    fn has_online_ddl(&self) -> bool {
        true
    }

    fn generated_columns_block_type_changes(&self) -> bool {
        // "cannot alter type of a column used by a generated column".
        true
    }

    fn tracer(&self) -> Option<&'static dyn crate::dialect::trace::TraceSql> {
        Some(&trace::PostgresTrace)
    }

    fn leftover(&self, op: &Op) -> Option<Leftover> {
        // A failed concurrent build leaves its index behind, marked invalid; one attached by
        // `USING INDEX` may also be valid, its constraint never added.
        let (name, condition) = match op {
            Op::CreateIndex(CreateIndex { name, concurrently: true, .. }) => (name.as_str(), "NOT i.indisvalid"),
            Op::AddConstraint { constraint, concurrently: true, .. } => {
                (constraint.name()?, "NOT EXISTS (SELECT FROM pg_constraint k WHERE k.conindid = i.indexrelid)")
            }
            _ => return None,
        };
        let quoted = self.quote_ident(name);
        Some(Leftover {
            probe: index_probe(&quoted, condition),
            cleanup: Statement::apart(format!("DROP INDEX CONCURRENTLY IF EXISTS {quoted}"), Placement::NoTransaction),
        })
    }

    fn recorded_leftover(&self, name: &str) -> Option<Leftover> {
        // `name` comes from the history table, yet is safe in the cleanup: that runs only once
        // the probe found it, and `to_regclass` accepts nothing but a (qualified) name.
        Some(Leftover {
            probe: index_probe(name, "NOT i.indisvalid"),
            cleanup: Statement::apart(format!("DROP INDEX CONCURRENTLY IF EXISTS {name}"), Placement::NoTransaction),
        })
    }

    fn type_change_rewrites(&self, from: &ColumnType, to: &ColumnType) -> bool {
        types::rewrites(from, to)
    }

    fn timeout_statements(&self, timeouts: &crate::config::Timeouts, in_transaction: bool) -> Vec<Statement> {
        timeouts::statements(timeouts, in_transaction)
    }

    fn is_lock_timeout(&self, error: &sqlx::Error) -> bool {
        timeouts::sqlstate(error).as_deref() == Some(timeouts::LOCK_NOT_AVAILABLE)
    }

    fn is_statement_timeout(&self, error: &sqlx::Error) -> bool {
        timeouts::sqlstate(error).as_deref() == Some(timeouts::QUERY_CANCELED)
    }

    fn table_exists_query(&self, table: &str) -> String {
        format!("SELECT 1 WHERE to_regclass({}) IS NOT NULL", quote_literal(&self.quote_ident(table)))
    }

    fn create_database(&self, name: &str) -> Vec<Statement> {
        let name = self.quote_ident(name);
        vec![
            Statement::new(format!("CREATE DATABASE {name}")),
            // Nothing in a throwaway database must survive a crash: its commits need not wait
            // for the disk, which is most of a revision's time on a long history.
            Statement::new(format!("ALTER DATABASE {name} SET synchronous_commit = off")),
        ]
    }

    fn drop_database(&self, name: &str) -> Option<Statement> {
        // A connection left open by an interrupted run would keep the database otherwise.
        Some(Statement::new(format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.quote_ident(name))))
    }

    fn script_client(&self, url: &str, script: &std::path::Path) -> Option<crate::dialect::ScriptClient> {
        // The password travels in PGPASSWORD, so no process listing shows it.
        let parts = crate::dialect::client::UrlParts::of(url)?;
        let mut args = vec!["-X".to_owned(), "-q".to_owned(), "-v".to_owned(), "ON_ERROR_STOP=1".to_owned()];
        for (flag, value) in [("-h", parts.host), ("-p", parts.port.map(|p| p.to_string())), ("-U", parts.user)] {
            if let Some(value) = value {
                args.extend([flag.to_owned(), value]);
            }
        }
        args.extend(["-d".to_owned(), parts.database, "-f".to_owned(), script.display().to_string()]);
        Some(crate::dialect::ScriptClient {
            programs: vec!["psql"],
            args,
            env: parts.password.map(|p| ("PGPASSWORD".to_owned(), p)).into_iter().collect(),
            stdin: None,
            install: "install PostgreSQL's client (`apt-get install postgresql-client`)",
        })
    }
}

/// What a PostgreSQL schema holds beyond the model, for `Dialect::unmodelled_query`: views,
/// functions, triggers (an extension's own left out), exclusion constraints, deferrable and
/// `MATCH FULL` constraints, unlogged tables, storage parameters, `NULLS NOT DISTINCT`,
/// partitioned tables and their partitions, domains, composite and range types, and sequences
/// no column owns (a column's `serial` or identity sequence is the column's).
const UNMODELLED: &str = "\
SELECT what FROM (
  SELECT CASE c.relkind WHEN 'v' THEN 'view ' ELSE 'materialized view ' END || c.relname AS what
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
  WHERE n.nspname = current_schema() AND c.relkind IN ('v', 'm')
    AND NOT EXISTS (SELECT FROM pg_depend d WHERE d.objid = c.oid AND d.deptype = 'e')
  UNION ALL
  SELECT 'function ' || p.proname FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
  WHERE n.nspname = current_schema()
    AND NOT EXISTS (SELECT FROM pg_depend d WHERE d.objid = p.oid AND d.deptype IN ('e', 'i'))
  UNION ALL
  SELECT 'trigger ' || t.tgname || ' on ' || c.relname
  FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace
  WHERE n.nspname = current_schema() AND NOT t.tgisinternal
  UNION ALL
  SELECT CASE WHEN co.contype = 'x' THEN 'exclusion constraint ' WHEN co.condeferrable THEN 'deferrable constraint '
              ELSE 'MATCH FULL foreign key ' END || co.conname || ' on ' || c.relname
  FROM pg_constraint co JOIN pg_class c ON c.oid = co.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace
  WHERE n.nspname = current_schema() AND (co.contype = 'x' OR co.condeferrable OR co.confmatchtype = 'f')
  UNION ALL
  SELECT CASE WHEN c.relpersistence = 'u' THEN 'unlogged table ' ELSE 'storage parameters of ' END || c.relname
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
  WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p', 'i')
    AND (c.relpersistence = 'u' OR c.reloptions IS NOT NULL)
  UNION ALL
  SELECT CASE WHEN c.relkind = 'p' THEN 'partitioned table ' ELSE 'partition ' END || c.relname
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
  WHERE n.nspname = current_schema() AND (c.relkind = 'p' OR (c.relkind = 'r' AND c.relispartition))
  UNION ALL
  SELECT CASE t.typtype WHEN 'd' THEN 'domain ' WHEN 'c' THEN 'composite type ' ELSE 'range type ' END || t.typname
  FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
  WHERE n.nspname = current_schema()
    AND (t.typtype IN ('d', 'r') OR (t.typtype = 'c' AND (SELECT c.relkind FROM pg_class c WHERE c.oid = t.typrelid) = 'c'))
    AND NOT EXISTS (SELECT FROM pg_depend d WHERE d.objid = t.oid AND d.deptype = 'e')
  UNION ALL
  SELECT 'sequence ' || c.relname
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
  WHERE n.nspname = current_schema() AND c.relkind = 'S'
    AND NOT EXISTS (SELECT FROM pg_depend d WHERE d.objid = c.oid AND d.deptype IN ('a', 'i', 'e'))
  UNION ALL
  SELECT 'NULLS NOT DISTINCT index ' || c.relname
  FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_namespace n ON n.oid = c.relnamespace
  WHERE n.nspname = current_schema() AND pg_get_indexdef(i.indexrelid) LIKE '%NULLS NOT DISTINCT%'
) o ORDER BY what";
