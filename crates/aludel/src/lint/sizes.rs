//! Table sizes and how they scale a finding: the same rewrite is a note on a lookup table
//! and an error on the orders table.
//!
//! The rows are the database's own estimates, read by the dialect's session
//! (PostgreSQL's `pg_class.reltuples`, MySQL's `information_schema.tables.table_rows`,
//! SQLite's count, stopped past [`ERROR_FROM_ROWS`]); estimates are enough to tell ten rows
//! from a million.

use std::collections::BTreeMap;

use crate::lint::Severity;

/// Below this many rows a size-sensitive finding is a note: the lock or rewrite lasts
/// milliseconds.
pub const NOTE_BELOW_ROWS: u64 = 10_000;

/// From this many rows a size-sensitive finding keeps its rule's severity (an error for
/// most): the lock or rewrite lasts seconds to minutes. Between the two it is a warning.
pub const ERROR_FROM_ROWS: u64 = 1_000_000;

/// Estimated rows per table.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TableSizes(BTreeMap<String, u64>);

impl TableSizes {
    /// Sizes from `(table, rows)` pairs.
    pub fn new(rows: BTreeMap<String, u64>) -> TableSizes {
        TableSizes(rows)
    }

    /// The estimated rows of `table`, when known.
    pub fn rows(&self, table: &str) -> Option<u64> {
        self.0.get(table).copied()
    }
}

/// The highest severity a finding on a table of `rows` rows can have.
pub(crate) fn scale(rows: u64) -> Severity {
    if rows < NOTE_BELOW_ROWS {
        Severity::Note
    } else if rows < ERROR_FROM_ROWS {
        Severity::Warning
    } else {
        Severity::Error
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn severity_grows_with_the_table() {
        for (rows, severity) in [
            (0, Severity::Note),
            (10, Severity::Note),
            (9_999, Severity::Note),
            (10_000, Severity::Warning),
            (999_999, Severity::Warning),
            (1_000_000, Severity::Error),
            (u64::MAX, Severity::Error),
        ] {
            assert_eq!(scale(rows), severity, "{rows}");
        }
    }
}
