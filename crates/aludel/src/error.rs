//! The crate-level error: one variant per module boundary.

use crate::config::ConfigError;
use crate::dialect::RenderError;
use crate::runtime::RuntimeError;
use crate::script::ScriptError;

/// Any error aludel's library API returns.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Configuration could not be loaded or resolved.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// Revision files or the revision graph are invalid.
    #[error(transparent)]
    Script(#[from] ScriptError),
    /// An op could not be rendered to SQL.
    #[error(transparent)]
    Render(#[from] RenderError),
    /// Running migrations failed (boxed: it carries the failing statement and its context).
    #[error(transparent)]
    Runtime(Box<RuntimeError>),
    /// The models cannot be read (schema.sql, models command).
    #[error(transparent)]
    Models(#[from] crate::models::ModelError),
    /// An addition to the models names something they lack.
    #[error(transparent)]
    Metadata(#[from] crate::models::MetadataError),
    /// The command line was used wrongly.
    #[cfg(feature = "cli")]
    #[error(transparent)]
    Cli(#[from] crate::cli::CliError),
    /// Writing command output failed.
    #[error("could not write output: {0}")]
    Output(#[from] std::io::Error),
}

impl From<RuntimeError> for Error {
    fn from(error: RuntimeError) -> Self {
        Error::Runtime(Box::new(error))
    }
}
