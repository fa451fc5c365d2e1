//! Running migrations: the [`Migrator`] applies, reverts and stamps revisions on a live
//! database, or writes the same steps as a SQL script (`--sql`).
//!
//! A run takes the backend's migration lock, creates the version and history tables when
//! missing, refuses to go on when an applied revision file was edited, then runs each
//! revision in its own transaction together with its version-table update and history row.
//! This module decides *what* runs; the SQL itself comes from `dialect`.

mod autogen;
mod offline;
mod runner;
mod state;

use std::path::PathBuf;
use std::time::Duration;

use crate::Error;
use crate::config::Config;
use crate::dialect::{RenderError, Session};
use crate::script::{Direction, RevisionGraph, RevisionId, ScriptDirectory};

pub use autogen::{Comparison, Inspection};
pub use state::{ChecksumMismatch, HistoryRow, Unfinished};

/// Errors while running migrations.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RuntimeError {
    /// The database could not be reached.
    #[error("could not connect to {url}: {source}")]
    Connect {
        /// The URL, password redacted.
        url: String,
        /// The driver's error.
        #[source]
        source: sqlx::Error,
    },
    /// A bookkeeping query failed (version table, history, lock).
    #[error("could not {action}: {source}")]
    Database {
        /// What was being done.
        action: String,
        /// The driver's error.
        #[source]
        source: sqlx::Error,
    },
    /// A statement of a revision failed.
    #[error(
        "{direction} of revision `{revision}` ({path}) failed at op {op_number} ({op}): {reason}\n  statement: {}\n  {outcome}",
        abbreviated(statement)
    )]
    StatementFailed {
        /// The revision.
        revision: RevisionId,
        /// Its file.
        path: PathBuf,
        /// `upgrade` or `downgrade`.
        direction: &'static str,
        /// 1-based position of the op in the revision.
        op_number: usize,
        /// The op, described.
        op: String,
        /// The statement that failed.
        statement: String,
        /// What state the database is left in.
        outcome: String,
        /// The database's message.
        reason: String,
        /// The database's error.
        #[source]
        source: sqlx::Error,
    },
    /// A revision left rows that violate a constraint the backend checks only on request.
    #[error("revision `{revision}` ({path}) was rolled back: it leaves {}", .problems.join("; "))]
    IntegrityViolation {
        /// The revision.
        revision: RevisionId,
        /// Its file.
        path: PathBuf,
        /// Each violation.
        problems: Vec<String>,
    },
    /// An op of a revision cannot be rendered for this database.
    #[error("revision `{revision}` ({path}): {source}")]
    Render {
        /// The revision.
        revision: RevisionId,
        /// Its file.
        path: PathBuf,
        /// Why.
        #[source]
        source: RenderError,
    },
    /// Applied revision files were edited after they ran.
    #[error(
        "{} applied revision file(s) changed since they ran: {}; restore the files, or run `aludel verify --accept` to record the edits as intended",
        .mismatches.len(),
        .mismatches.iter().map(ToString::to_string).collect::<Vec<_>>().join("; ")
    )]
    ChecksumMismatch {
        /// Each edited revision.
        mismatches: Vec<ChecksumMismatch>,
    },
    /// A revision that ran outside a transaction did not finish; nothing runs until the
    /// user says what the database holds.
    #[error(
        "revision `{revision}` did not finish its {verb} ({state}){}; the database may hold part of it. \
         Finish it by hand and run `aludel resolve {revision} --applied`, or undo what ran and run \
         `aludel resolve {revision} --reverted`",
        .detail.as_deref().map(|d| format!(": {d}")).unwrap_or_default()
    )]
    Unfinished {
        /// The revision.
        revision: String,
        /// `upgrade` or `downgrade`.
        verb: &'static str,
        /// `it failed` or `the process stopped while it ran`.
        state: &'static str,
        /// What ran and what failed.
        detail: Option<String>,
    },
    /// `resolve` with nothing to resolve, or for another revision.
    #[error("{0}")]
    Resolve(String),
    /// Autogenerate needs the database at head.
    #[error(
        "the database is at {} but the revision files' head(s) are {}; run `aludel upgrade heads` first (or `stamp` \
         when the schema is already there), so the comparison with the models does not repeat pending revisions",
        revisions_or_base(.current),
        revisions_or_base(.heads)
    )]
    NotAtHead {
        /// The version table's rows.
        current: Vec<RevisionId>,
        /// The graph's heads.
        heads: Vec<RevisionId>,
    },
    /// The schema could not be read, or the database refused part of the models.
    #[error("autogenerate on {url}: {source}")]
    Introspect {
        /// The database, password redacted.
        url: String,
        /// What failed.
        #[source]
        source: crate::dialect::IntrospectError,
    },
    /// `--sql` for a downgrade needs to know where the database starts.
    #[error(
        "offline {verb} needs a range, e.g. `aludel {verb} <from>:<to> --sql`; the script cannot ask the database where it is"
    )]
    OfflineNeedsRange {
        /// `downgrade`.
        verb: &'static str,
    },
}

fn revisions_or_base(revisions: &[RevisionId]) -> String {
    if revisions.is_empty() {
        "<base>".to_owned()
    } else {
        revisions.iter().map(RevisionId::as_str).collect::<Vec<_>>().join(", ")
    }
}

/// A statement as an error shows it: whole, unless it is a long block (a generated `DO`
/// block), of which the first lines are enough to recognise it.
fn abbreviated(statement: &str) -> String {
    const SHOWN: usize = 3;
    let lines = statement.lines().count();
    if lines <= 12 {
        return statement.to_owned();
    }
    let head: Vec<&str> = statement.lines().take(SHOWN).collect();
    format!("{}\n  ... ({} more lines; `--sql` prints them all)", head.join("\n"), lines - SHOWN)
}

/// The database's own words for an error, without the driver's decoration.
pub(crate) fn database_message(error: &sqlx::Error) -> String {
    match error {
        sqlx::Error::Database(db) => {
            let message = match db.code() {
                Some(code) => format!("{} (SQLSTATE {code})", db.message()),
                None => db.message().to_owned(),
            };
            // PostgreSQL often says what depends on what, and what to do, beside the message.
            #[cfg(feature = "postgres")]
            let message = match db.try_downcast_ref::<sqlx::postgres::PgDatabaseError>() {
                Some(pg) => [("detail", pg.detail()), ("hint", pg.hint())]
                    .into_iter()
                    .filter_map(|(label, text)| Some(format!("\n  {label}: {}", text?.replace('\n', "\n    "))))
                    .fold(message, |message, line| message + &line),
                None => message,
            };
            message
        }
        other => other.to_string(),
    }
}

pub(crate) async fn connect(config: &Config) -> Result<Box<dyn Session>, Error> {
    let url = config.require_database_url()?;
    url.backend()
        .connect(url.expose(), &config.session_options())
        .await
        .map_err(|source| RuntimeError::Connect { url: url.to_string(), source }.into())
}

/// The revisions the database is at (its version table's rows), without loading any
/// revision file; empty at base.
///
/// # Errors
///
/// [`Error::Runtime`] when the database cannot be read.
pub async fn current_heads(config: &Config) -> Result<Vec<RevisionId>, Error> {
    let mut session = connect(config).await?;
    let heads = state::read_heads_if_any(session.as_mut(), &config.tables).await;
    session.close().await.ok();
    heads
}

/// One revision run (or stamped) by a command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepReport {
    /// The revision.
    pub revision: RevisionId,
    /// Its parents, for `a -> b` output.
    pub down_revisions: Vec<RevisionId>,
    /// Up or down.
    pub direction: Direction,
    /// Its message.
    pub message: String,
    /// How long it took.
    pub duration: Duration,
}

/// What a run did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RunReport {
    /// The steps, in the order they ran.
    pub steps: Vec<StepReport>,
    /// The version table's rows at the end.
    pub heads: Vec<RevisionId>,
}

/// What the user did about an unfinished revision (`aludel resolve`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resolution {
    /// The rest of the revision was done by hand: record it as run.
    Applied,
    /// What ran was undone by hand: record it as not run.
    Reverted,
}

/// Applies revisions to a database. Built from a [`Config`] (and revision files on disk) or
/// from a graph of revisions the program embeds.
#[derive(Debug)]
pub struct Migrator {
    config: Config,
    graph: RevisionGraph,
}

/// Called after each step of a run, for progress output.
pub type StepObserver<'a> = &'a mut (dyn FnMut(&StepReport) + Send);

impl Migrator {
    /// Loads the revision files from the configured script location.
    ///
    /// # Errors
    ///
    /// [`Error::Script`] when the files or the graph they form are invalid.
    pub fn new(config: Config) -> Result<Migrator, Error> {
        let graph = ScriptDirectory::new(&config.script_location).load()?;
        Ok(Migrator { config, graph })
    }

    /// Uses revisions the program already holds (embedded at compile time, for instance).
    pub fn with_graph(config: Config, graph: RevisionGraph) -> Migrator {
        Migrator { config, graph }
    }

    /// The revision graph.
    pub fn graph(&self) -> &RevisionGraph {
        &self.graph
    }

    /// The revision graph, taking it out.
    pub fn into_graph(self) -> RevisionGraph {
        self.graph
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.config
    }

    async fn connect(&self) -> Result<Box<dyn Session>, Error> {
        connect(&self.config).await
    }

    /// The revisions the database is at (its version table's rows); empty at base.
    ///
    /// # Errors
    ///
    /// [`Error::Runtime`] when the database cannot be read.
    pub async fn current(&self) -> Result<Vec<RevisionId>, Error> {
        current_heads(&self.config).await
    }

    /// Every step recorded in the history table, oldest first.
    ///
    /// # Errors
    ///
    /// [`Error::Runtime`] when the database cannot be read.
    pub async fn recorded_history(&self) -> Result<Vec<HistoryRow>, Error> {
        let mut session = self.connect().await?;
        let rows = state::read_history_if_any(session.as_mut(), &self.config.tables).await;
        session.close().await.ok();
        rows
    }

    /// Upgrades to `target` (`head`, `heads`, a revision, `+N`, `label@head`).
    ///
    /// # Errors
    ///
    /// [`Error::Script`] for a bad target, [`Error::Runtime`] when a revision fails (it is
    /// rolled back; the revisions before it stay applied) or an applied file was edited.
    pub async fn upgrade(&self, target: &str) -> Result<RunReport, Error> {
        self.upgrade_observed(target, &mut |_| {}).await
    }

    /// [`Migrator::upgrade`], calling `observer` after each revision.
    ///
    /// # Errors
    ///
    /// As [`Migrator::upgrade`].
    pub async fn upgrade_observed(&self, target: &str, observer: StepObserver<'_>) -> Result<RunReport, Error> {
        let session = self.connect().await?;
        runner::run(&self.graph, &self.config.tables, session, runner::Goal::Upgrade(target), observer).await
    }

    /// Downgrades to `target` (`base`, a revision, `-N`).
    ///
    /// # Errors
    ///
    /// As [`Migrator::upgrade`].
    pub async fn downgrade(&self, target: &str) -> Result<RunReport, Error> {
        self.downgrade_observed(target, &mut |_| {}).await
    }

    /// [`Migrator::downgrade`], calling `observer` after each revision.
    ///
    /// # Errors
    ///
    /// As [`Migrator::upgrade`].
    pub async fn downgrade_observed(&self, target: &str, observer: StepObserver<'_>) -> Result<RunReport, Error> {
        let session = self.connect().await?;
        runner::run(&self.graph, &self.config.tables, session, runner::Goal::Downgrade(target), observer).await
    }

    /// Sets the version table to `target` without running any migration (a baseline).
    /// `purge` first empties the version table.
    ///
    /// # Errors
    ///
    /// As [`Migrator::upgrade`].
    pub async fn stamp(&self, target: &str, purge: bool) -> Result<RunReport, Error> {
        let session = self.connect().await?;
        runner::run(&self.graph, &self.config.tables, session, runner::Goal::Stamp { target, purge }, &mut |_| {}).await
    }

    /// Settles a revision that ran outside a transaction and did not finish: `Applied` when
    /// the user finished it by hand (the version table moves as the step would have moved
    /// it), `Reverted` when the user undid what ran (the version table stays).
    ///
    /// # Errors
    ///
    /// [`RuntimeError::Resolve`] when no revision is unfinished or another one is;
    /// [`Error::Script`] for an unknown revision.
    pub async fn resolve(&self, revision: &str, resolution: Resolution) -> Result<RunReport, Error> {
        let session = self.connect().await?;
        runner::resolve(&self.graph, &self.config.tables, session, revision, resolution).await
    }

    /// Compares the checksum recorded for each applied revision with its file now.
    ///
    /// # Errors
    ///
    /// [`Error::Runtime`] when the database cannot be read.
    pub async fn verify(&self) -> Result<Vec<ChecksumMismatch>, Error> {
        let mut session = self.connect().await?;
        let result = async {
            let heads = state::read_heads_if_any(session.as_mut(), &self.config.tables).await?;
            let history = state::read_history_if_any(session.as_mut(), &self.config.tables).await?;
            let applied = self.graph.applied(&heads)?;
            Ok(state::checksum_mismatches(&self.graph, &applied, &history))
        }
        .await;
        session.close().await.ok();
        result
    }

    /// Records the current checksum of every edited applied revision, so upgrades proceed.
    /// Returns the revisions it accepted.
    ///
    /// # Errors
    ///
    /// [`Error::Runtime`] when the database cannot be written.
    pub async fn accept_changes(&self) -> Result<Vec<ChecksumMismatch>, Error> {
        let session = self.connect().await?;
        runner::accept_changes(&self.graph, &self.config.tables, session).await
    }

    /// The SQL script for an upgrade from `from` (the version table's rows; empty at base)
    /// to `target`, for the dialect of `backend`, without connecting.
    ///
    /// # Errors
    ///
    /// [`Error::Script`] for a bad target, [`Error::Render`] when an op cannot be rendered.
    pub fn upgrade_sql(
        &self,
        backend: crate::dialect::Backend,
        from: &[RevisionId],
        target: &str,
    ) -> Result<String, Error> {
        let plan = self.graph.plan_upgrade(from, target)?;
        offline::script(
            &self.graph,
            &self.config.tables,
            backend.dialect_with(&self.config.dialect),
            from,
            &plan,
            "upgrade",
        )
    }

    /// The SQL script for a downgrade from `from` to `target`, without connecting.
    ///
    /// # Errors
    ///
    /// As [`Migrator::upgrade_sql`].
    pub fn downgrade_sql(
        &self,
        backend: crate::dialect::Backend,
        from: &[RevisionId],
        target: &str,
    ) -> Result<String, Error> {
        let plan = self.graph.plan_downgrade(from, target)?;
        offline::script(
            &self.graph,
            &self.config.tables,
            backend.dialect_with(&self.config.dialect),
            from,
            &plan,
            "downgrade",
        )
    }

    /// The SQL script that stamps `target` over `from`, without connecting.
    ///
    /// # Errors
    ///
    /// [`Error::Script`] for a bad target.
    pub fn stamp_sql(
        &self,
        backend: crate::dialect::Backend,
        from: &[RevisionId],
        target: &str,
        purge: bool,
    ) -> Result<String, Error> {
        let heads = self.graph.stamp_heads(from, target, purge)?;
        offline::stamp_script(
            &self.graph,
            &self.config.tables,
            backend.dialect_with(&self.config.dialect),
            from,
            &heads,
        )
    }
}
