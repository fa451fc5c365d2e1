//! Another migration tool's history read as it lies on disk, to become aludel revisions:
//! sqlx-cli's, diesel's and refinery's SQL files (`sql_files`), and an Alembic project's
//! revision graph with each revision's SQL from Alembic's offline mode (`alembic`); each
//! migration with its up SQL, its down SQL where the tool has one, the checksum of each file,
//! and its place in the tool's order or graph. Writing the revisions and stamping the database are `runtime`'s job
//! (`Project::import`); this module only reads files.

use std::fmt;
use std::path::PathBuf;

mod alembic;
mod sql_files;

use std::path::Path;

pub use sql_files::read_history;

/// Reads `tool`'s history in `dir`; Alembic writes its SQL for the database `database_url`
/// names (its `env.py` reads `DATABASE_URL`).
///
/// # Errors
///
/// As [`read_history`]; for Alembic, [`ImportError::AlembicMissing`] and
/// [`ImportError::AlembicFailed`].
pub fn read(tool: Tool, dir: &Path, database_url: Option<&str>) -> Result<Vec<Migration>, ImportError> {
    match tool {
        Tool::Alembic => alembic::read_alembic(dir, database_url),
        _ => read_history(tool, dir),
    }
}

/// A migration tool whose history aludel imports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tool {
    /// sqlx-cli: `<VERSION>_<DESCRIPTION>.sql`, or `.up.sql` and `.down.sql`.
    Sqlx,
    /// diesel: `<VERSION>_<NAME>/up.sql` and `down.sql`.
    Diesel,
    /// refinery: `V<N>__<NAME>.sql`.
    Refinery,
    /// Alembic: a folder holding `alembic.ini`.
    Alembic,
}

impl Tool {
    /// Every tool, in the order the command line lists them.
    pub const ALL: [Tool; 4] = [Tool::Sqlx, Tool::Diesel, Tool::Refinery, Tool::Alembic];

    /// The tool's name on the command line (`sqlx`).
    pub fn name(self) -> &'static str {
        match self {
            Tool::Sqlx => "sqlx",
            Tool::Diesel => "diesel",
            Tool::Refinery => "refinery",
            Tool::Alembic => "alembic",
        }
    }

    /// The table in which the tool records what it applied.
    pub fn version_table(self) -> &'static str {
        match self {
            Tool::Sqlx => "_sqlx_migrations",
            Tool::Diesel => "__diesel_schema_migrations",
            Tool::Refinery => "refinery_schema_history",
            Tool::Alembic => "alembic_version",
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
    /// Its parents' versions, for a tool with a graph (Alembic); `None` follows the one
    /// before it.
    pub parents: Option<Vec<String>>,
    /// The branch labels it starts.
    pub branch_labels: Vec<String>,
    /// The versions on other branches it needs first.
    pub depends_on: Vec<String>,
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
    /// `alembic` cannot be run.
    #[error(
        "cannot run `{command}`: Alembic is not installed here; install it (`pip install alembic`, with the packages its env.py imports) and run the import again"
    )]
    AlembicMissing {
        /// The command.
        command: String,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// A build without the SQL parser cannot cut Alembic's SQL into statements.
    #[error(
        "this build of aludel has no SQL parser (feature `schema-sql`), which importing from Alembic needs; run the \
         import with the `aludel` command"
    )]
    NoSqlParser,
    /// `alembic` failed.
    #[error(
        "`{command}` failed in {}:\n{output}\nfix the Alembic project (or its env.py) until the command runs; the \
         import runs Alembic in offline mode (--sql), with no database connection: code that reads rows needs a \
         `context.is_offline_mode()` guard, or its SQL written by hand in an aludel revision",
        .folder.display()
    )]
    AlembicFailed {
        /// The command.
        command: String,
        /// Where it ran.
        folder: PathBuf,
        /// Its reason: the last lines it wrote to its error stream, and its `FAILED:` line.
        output: String,
    },
    /// A migration file that is not UTF-8.
    #[error("{} is not UTF-8 text; save it as UTF-8", .path.display())]
    NotText {
        /// The file.
        path: PathBuf,
    },
}
