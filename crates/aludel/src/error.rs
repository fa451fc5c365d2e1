//! The crate-level error: one variant per module boundary, and [`report`], how a binary
//! shows an error with its causes.
//!
//! One rule for every error type in the crate: a message never repeats its source. Context
//! goes in the message, the cause hangs off `#[source]`, and [`report`] prints the chain.

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
    /// Another tool's migration history cannot be read.
    #[error(transparent)]
    Import(#[from] crate::import::ImportError),
    /// An addition to the models names something they lack.
    #[error(transparent)]
    Metadata(#[from] crate::models::MetadataError),
    /// The command line was used wrongly.
    #[cfg(feature = "cli")]
    #[error(transparent)]
    Cli(#[from] crate::cli::CliError),
    /// A migration test could not run (`aludel test`).
    #[error(transparent)]
    Test(#[from] crate::testing::TestError),
    /// Writing command output failed.
    #[error("could not write output")]
    Output(#[from] std::io::Error),
}

impl From<RuntimeError> for Error {
    fn from(error: RuntimeError) -> Self {
        Error::Runtime(Box::new(error))
    }
}

/// Formats `error` and its causes for a terminal or a log: `error: <message>`, then one
/// `caused by: <message>` line per cause. A cause whose text the line above already holds
/// is left out (drivers often repeat their source), so each message reaches the reader once.
///
/// # Examples
///
/// ```
/// let io = std::io::Error::new(std::io::ErrorKind::NotFound, "no such file");
/// let error = aludel::Error::Output(io);
/// assert_eq!(aludel::error::report(&error), "error: could not write output\ncaused by: no such file");
/// ```
pub fn report(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = format!("error: {error}");
    let mut above = error.to_string();
    let mut cause = error.source();
    while let Some(error) = cause {
        let message = error.to_string();
        if !above.contains(&message) {
            text.push_str("\ncaused by: ");
            text.push_str(&message);
        }
        above = message;
        cause = error.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An error with a message and an optional cause, for building chains.
    #[derive(Debug)]
    struct Link(&'static str, Option<Box<Link>>);

    impl std::fmt::Display for Link {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str(self.0)
        }
    }

    impl std::error::Error for Link {
        fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
            self.1.as_deref().map(|link| link as _)
        }
    }

    fn chain(messages: &[&'static str]) -> Link {
        let mut link: Option<Box<Link>> = None;
        for message in messages.iter().rev() {
            link = Some(Box::new(Link(message, link)));
        }
        *link.expect("at least one message")
    }

    #[test]
    fn report_prints_each_cause_once() {
        for (messages, expected) in [
            (&["top"][..], "error: top"),
            (&["could not connect", "refused"][..], "error: could not connect\ncaused by: refused"),
            // A driver that repeats its source: the source is not printed again.
            (
                &["could not connect", "io error: refused (os error 111)", "refused (os error 111)"][..],
                "error: could not connect\ncaused by: io error: refused (os error 111)",
            ),
            (&["a", "b", "c"][..], "error: a\ncaused by: b\ncaused by: c"),
        ] {
            assert_eq!(report(&chain(messages)), expected, "{messages:?}");
        }
    }
}
