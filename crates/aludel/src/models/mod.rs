//! Model sources: what turns a description of the desired schema into a [`Schema`].
//!
//! [`sql`] reads a desired-state `schema.sql` (behind the `schema-sql` feature). The SeaORM
//! adapter lives in its own crate; diffing the result against a database is `diff`'s job, not
//! this module's.
//!
//! [`Schema`]: crate::schema::Schema

use std::path::PathBuf;

#[cfg(feature = "schema-sql")]
pub mod sql;

#[cfg(feature = "schema-sql")]
pub use sql::{SqlDialect, parse_schema_sql};

/// A model source that cannot be turned into a schema. Every variant names the file and the
/// 1-based line of the statement at fault, with a short excerpt of it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ModelError {
    /// The text is not valid SQL for the dialect.
    #[error("{}:{line}: cannot parse `{excerpt}`: {message}", .path.display())]
    Syntax {
        /// The model file.
        path: PathBuf,
        /// 1-based line where the statement starts.
        line: usize,
        /// The start of the statement.
        excerpt: String,
        /// The parser's message.
        message: String,
    },
    /// A statement or clause that the schema model cannot hold.
    #[error("{}:{line}: `{excerpt}`: {what} is not supported in a schema model; {hint}", .path.display())]
    Unsupported {
        /// The model file.
        path: PathBuf,
        /// 1-based line where the statement starts.
        line: usize,
        /// The start of the statement.
        excerpt: String,
        /// What cannot be mapped (`the statement DROP TABLE`, `column option COLLATE "C"`).
        what: String,
        /// What is supported instead.
        hint: String,
    },
    /// A statement that does not fit what the file declared before it (a table created
    /// twice, an index on a table the file never creates).
    #[error("{}:{line}: `{excerpt}`: {reason}", .path.display())]
    Invalid {
        /// The model file.
        path: PathBuf,
        /// 1-based line where the statement starts.
        line: usize,
        /// The start of the statement.
        excerpt: String,
        /// What is wrong and how to fix it.
        reason: String,
    },
    /// A foreign key to a table that the file never creates.
    #[error(
        "{}:{line}: table `{table}` references table `{referenced}`, which the file never creates; create `{referenced}` or drop the foreign key",
        .path.display()
    )]
    UnknownReference {
        /// The model file.
        path: PathBuf,
        /// 1-based line of the statement that declares the foreign key.
        line: usize,
        /// The referencing table.
        table: String,
        /// The referenced table.
        referenced: String,
    },
}
