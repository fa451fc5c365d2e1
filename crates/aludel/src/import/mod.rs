//! Another migration tool's history read as it lies on disk, to become aludel revisions:
//! sqlx-cli's, diesel's and refinery's SQL files ([`sql_files`]), each migration with its up
//! SQL, its down SQL where the tool has one, the checksum of each file, and its place in the
//! tool's order. Writing the revisions and stamping the database are `runtime`'s job
//! (`Project::import`); this module only reads files.

use std::fmt;
use std::path::PathBuf;

mod sql_files;

pub use sql_files::read_history;

/// A migration tool whose history aludel imports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tool {
    /// sqlx-cli: `<VERSION>_<DESCRIPTION>.sql`, or `.up.sql` and `.down.sql`.
    Sqlx,
    /// diesel: `<VERSION>_<NAME>/up.sql` and `down.sql`.
    Diesel,
    /// refinery: `V<N>__<NAME>.sql`.
    Refinery,
}

impl Tool {
    /// Every tool, in the order the command line lists them.
    pub const ALL: [Tool; 3] = [Tool::Sqlx, Tool::Diesel, Tool::Refinery];

    /// The tool's name on the command line (`sqlx`).
    pub fn name(self) -> &'static str {
        match self {
            Tool::Sqlx => "sqlx",
            Tool::Diesel => "diesel",
            Tool::Refinery => "refinery",
        }
    }

    /// The table in which the tool records what it applied.
    pub fn version_table(self) -> &'static str {
        match self {
            Tool::Sqlx => "_sqlx_migrations",
            Tool::Diesel => "__diesel_schema_migrations",
            Tool::Refinery => "refinery_schema_history",
        }
    }
}

impl fmt::Display for Tool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One migration of another tool's history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Migration {
    /// Its version as the tool records it in its table (`20240101120000`, `3`).
    pub version: String,
    /// What it does, from its name (`create users`).
    pub description: String,
    /// The SQL it runs.
    pub up: String,
    /// The SQL that undoes it, when the tool has one.
    pub down: Option<String>,
    /// Whether the tool runs it in a transaction (sqlx's `-- no-transaction` says not).
    pub transactional: bool,
    /// Each file it comes from, with the SHA-256 of its bytes (hex).
    pub files: Vec<(PathBuf, String)>,
}

/// A history that cannot be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ImportError {
    /// The folder or a file cannot be read.
    #[error("cannot read {}; check the path given to `aludel import`", .path.display())]
    Read {
        /// What could not be read.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// A file or folder that looks like a migration, named otherwise than the tool names them.
    #[error("{} is not named as {tool} names its migrations ({expected}); rename it, or move it out of the folder", .path.display())]
    BadName {
        /// The tool.
        tool: Tool,
        /// The file or folder.
        path: PathBuf,
        /// The tool's naming scheme.
        expected: &'static str,
    },
    /// Two migrations of one version.
    #[error("{tool} migrations {} and {} have the same version {version}; the tool would refuse them too", .first.display(), .second.display())]
    DuplicateVersion {
        /// The tool.
        tool: Tool,
        /// The version.
        version: String,
        /// One file.
        first: PathBuf,
        /// The other.
        second: PathBuf,
    },
    /// The folder holds no migration of the tool.
    #[error("{} holds no {tool} migrations ({expected}); give the folder the tool reads them from", .path.display())]
    Empty {
        /// The tool.
        tool: Tool,
        /// The folder.
        path: PathBuf,
        /// The tool's naming scheme.
        expected: &'static str,
    },
    /// A migration file that is not UTF-8.
    #[error("{} is not UTF-8 text; save it as UTF-8", .path.display())]
    NotText {
        /// The file.
        path: PathBuf,
    },
}
