//! PostgreSQL: the first-class backend. Transactional DDL, native enums, arrays, identity
//! columns, concurrent index builds, and a session-level advisory lock for migrations.

use crate::dialect::common::quote_literal;
use crate::dialect::{Dialect, RenderError, Statement};
use crate::ops::Op;
use crate::schema::{ColumnType, Schema};

pub(crate) mod introspect;
mod normalize;
mod render;
#[cfg(feature = "schema-sql")]
pub(crate) mod schema_sql;
pub(crate) mod session;
mod text;
mod timeouts;
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
