//! What `aludel trace` asks of a backend that can watch its own locks: the SQL that fills a
//! scratch database's tables with generated rows, writes to a table as a probe, and reads which locks a session holds and which tables were rewritten. PostgreSQL
//! alone answers ([`Dialect::tracer`](crate::dialect::Dialect::tracer)); running the trace is
//! `runtime::trace`'s job.

use std::collections::BTreeMap;

use crate::schema::{Schema, Table};

/// The SQL of a trace, for one backend.
pub trait TraceSql: Send + Sync {
    /// A query returning the current session's id, one row and one cell.
    fn session_id(&self) -> &'static str;

    /// A query returning the table locks the session `session_id` holds, as rows of table
    /// name and lock mode.
    fn locks_of(&self, session_id: &str) -> String;

    /// A query returning the table locks the current session holds (table, mode).
    fn own_locks(&self) -> &'static str;

    /// A query returning each table's estimated number of rows (table, rows), as the
    /// database's statistics have it; a table never analyzed may be missing or negative.
    fn row_estimates(&self) -> &'static str;

    /// A query returning each table's storage file (table, file node): a new file after a
    /// statement means it rewrote the table.
    fn file_nodes(&self) -> &'static str;

    /// A query returning the extensions installed in the database (name, schema), in the
    /// order they were installed: the scratch copy needs them before the tables whose types,
    /// defaults and indexes come from them.
    fn extensions(&self) -> &'static str;

    /// Statements that install `extension` in `schema` (and what it requires), as the target
    /// has it.
    fn install_extension(&self, extension: &str, schema: &str) -> Vec<String>;

    /// A query returning the database's current schema, one row and one cell: the scratch
    /// copy puts everything under the same name, so that definitions naming it still read.
    fn current_schema(&self) -> &'static str;

    /// Statements that make `schema` the scratch database's own for this session and every
    /// later one (the runs and probes connect anew).
    fn use_schema(&self, schema: &str) -> Vec<String>;

    /// A query returning what the schema model does not hold, as the database itself writes
    /// it, in the order to create it: functions, views, the indexes no constraint owns (the
    /// model keeps no operator class or key order, and `gin (name gin_trgm_ops)` copied without
    /// one cannot be created), then triggers. Rows: kind, name, table, statement.
    fn definitions(&self) -> &'static str;

    /// A statement run before [`TraceSql::definitions`]' statements: their bodies may name
    /// objects created after them.
    fn defer_body_checks(&self) -> &'static str;

    /// Whether a lock of `mode` stops writers (inserts, updates, deletes) on its table.
    fn blocks_writers(&self, mode: &str) -> bool;

    /// Statements that fill the tables of `schema` with generated rows, as many as `rows`
    /// says for each table, referenced tables first: (table, statement). Tables the generator
    /// cannot fill (a required column of a type it does not know) are left out.
    fn fill(&self, schema: &Schema, rows: &BTreeMap<String, u64>) -> Vec<(String, String)>;

    /// A statement that writes one row of `table` without changing it, as a writer would; none
    /// when the table has no column it can assign.
    fn probe(&self, table: &Table) -> Option<String>;
}
