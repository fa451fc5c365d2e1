//! SQLite: the embedded default. Transactional DDL, but an ALTER TABLE that can only add,
//! rename and drop plain columns: everything else is rendered as a table rebuild that keeps
//! every row, index and foreign key. Migrations hold the database's write lock for the run.

use crate::dialect::common::quote_literal;
use crate::dialect::{Dialect, RenderError, Statement};
use crate::ops::Op;
use crate::schema::{ColumnType, Schema};

mod ddl;
pub(crate) mod introspect;
pub(crate) mod normalize;
mod rebuild;
mod render;
#[cfg(feature = "schema-sql")]
pub(crate) mod schema_sql;
pub(crate) mod session;
mod text;
mod types;

pub use introspect::introspect;
pub use normalize::normalize;

/// The name of the CHECK that stands for an enum type on a column, before the enum's name.
pub(crate) const ENUM_CHECK_PREFIX: &str = "aludel_enum_";

/// The SQLite dialect.
#[derive(Debug, Clone, Copy, Default)]
pub struct Sqlite;

impl Dialect for Sqlite {
    fn case_blind_names(&self) -> crate::schema::CaseBlindNames {
        // Tables, indexes and columns alike; tables and indexes in one namespace.
        crate::schema::CaseBlindNames { relations: true, columns: true, indexes_of_a_table: true }
    }

    fn utc_text(&self, column: &str) -> String {
        // CURRENT_TIMESTAMP is UTC already.
        format!("strftime('%Y-%m-%dT%H:%M:%fZ', {column})")
    }

    fn primary_key_nullability_unread(&self) -> bool {
        true
    }

    fn name(&self) -> &'static str {
        "sqlite"
    }

    fn has_transactional_ddl(&self) -> bool {
        true
    }

    fn enforces_declared_types(&self) -> bool {
        // Type affinity: `varchar(10)` keeps a longer text, `integer` a real.
        false
    }

    fn column_type(&self, ty: &ColumnType) -> Result<String, RenderError> {
        types::column_type(ty)
    }

    fn render(&self, op: &Op, before: &Schema) -> Result<Vec<Statement>, RenderError> {
        render::render(op, before)
    }

    fn render_ops(&self, ops: &[Op], schema: &mut Schema) -> Result<Vec<Vec<Statement>>, (usize, RenderError)> {
        rebuild::render_merging_rebuilds(ops, schema)
    }

    fn rebuilt_ops(&self, ops: &[Op], before: &Schema) -> Vec<bool> {
        if let Ok(rendered) = self.render_ops(ops, &mut before.clone()) {
            return rendered.iter().map(|statements| rebuild::is_rebuild(statements)).collect();
        }
        // An op that cannot be rendered: each op on its own, as far as each renders.
        let mut schema = before.clone();
        ops.iter()
            .map(|op| {
                let rebuilt = self.render(op, &schema).is_ok_and(|statements| rebuild::is_rebuild(&statements));
                schema.apply(op).ok();
                rebuilt
            })
            .collect()
    }

    fn relations_query(&self) -> &'static str {
        // Temporary tables too: an unqualified name reaches them first.
        "SELECT name FROM sqlite_master WHERE type IN ('table', 'view') \
         UNION ALL SELECT name FROM sqlite_temp_master WHERE type IN ('table', 'view')"
    }

    fn unmodelled_query(&self) -> Option<&'static str> {
        Some(
            "SELECT type || ' ' || name FROM sqlite_master WHERE type IN ('view', 'trigger') \
             UNION ALL SELECT 'STRICT or WITHOUT ROWID table ' || name FROM pragma_table_list \
             WHERE schema = 'main' AND (strict OR wr) \
             UNION ALL SELECT 'foreign key INITIALLY DEFERRED on ' || name FROM sqlite_master \
             WHERE type = 'table' AND sql LIKE '%INITIALLY DEFERRED%' ORDER BY 1",
        )
    }

    fn script_integrity_check(&self, revision: &str) -> Option<(Vec<Statement>, Vec<Statement>)> {
        Some(rebuild::script_integrity_check(revision))
    }

    fn can_run_outside_transaction(&self) -> bool {
        // The run holds the write lock as one transaction; every revision is a savepoint in it.
        false
    }

    fn script_run_advice(&self) -> Option<&'static str> {
        Some("run it with sqlite3 -bail, so that it stops at its first error")
    }

    fn script_prologue(&self) -> Vec<Statement> {
        // Table rebuilds drop and re-create tables: with enforcement on, dropping a parent
        // would delete or orphan its children's rows.
        vec![Statement::new("PRAGMA foreign_keys = OFF")]
    }

    fn table_exists_query(&self, table: &str) -> String {
        format!("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = {}", quote_literal(table))
    }

    fn create_database(&self, _name: &str) -> Vec<Statement> {
        Vec::new()
    }

    fn drop_database(&self, _name: &str) -> Option<Statement> {
        None
    }

    fn script_client(&self, url: &str, script: &std::path::Path) -> Option<crate::dialect::ScriptClient> {
        let path = crate::dialect::client::sqlite_path(url);
        Some(crate::dialect::ScriptClient {
            programs: vec!["sqlite3"],
            args: vec!["-bail".to_owned(), path.display().to_string()],
            env: Vec::new(),
            stdin: Some(script.to_owned()),
            install: "install SQLite's shell (`apt-get install sqlite3`)",
        })
    }
}
