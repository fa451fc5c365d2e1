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

/// The PostgreSQL dialect.
#[derive(Debug, Clone, Copy, Default)]
pub struct Postgres;

impl Dialect for Postgres {
    fn name(&self) -> &'static str {
        "postgresql"
    }

    fn has_transactional_ddl(&self) -> bool {
        true
    }

    fn column_type(&self, ty: &ColumnType) -> Result<String, RenderError> {
        types::column_type(ty)
    }

    fn render(&self, op: &Op, before: &Schema) -> Result<Vec<Statement>, RenderError> {
        render::render(op, before)
    }

    fn has_online_ddl(&self) -> bool {
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
            probe: format!(
                "SELECT 1 FROM pg_index i WHERE i.indexrelid = to_regclass({}) AND {condition}",
                quote_literal(&quoted)
            ),
            cleanup: Statement::apart(format!("DROP INDEX CONCURRENTLY IF EXISTS {quoted}"), Placement::NoTransaction),
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

    fn retry_cleanup(&self, op: &Op) -> Vec<Statement> {
        timeouts::retry_cleanup(op)
    }

    fn table_exists_query(&self, table: &str) -> String {
        format!("SELECT 1 WHERE to_regclass({}) IS NOT NULL", quote_literal(&self.quote_ident(table)))
    }
}
