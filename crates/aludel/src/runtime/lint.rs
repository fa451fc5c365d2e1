//! `Project::lint`: which revisions to lint, and what the database says about its tables.
//!
//! By default the revisions the database has not applied, when one is configured and
//! answers; otherwise all of them. Table sizes come from the same connection. The rules
//! themselves are `crate::lint`'s, and pure.

use crate::Error;
use crate::dialect::Backend;
use crate::lint::{LintOptions, Report, TableSizes};
use crate::runtime::project::Project;
use crate::runtime::{RuntimeError, connect_existing, state};
use crate::script::{RevisionGraph, RevisionId};

/// Which revisions [`Project::lint`] checks.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum LintSelection {
    /// Those the database has not applied; all of them when no database answers.
    #[default]
    Pending,
    /// Every revision.
    All,
    /// One revision (an id, prefix, label or `head`).
    Revision(String),
    /// A range as `history -r` takes it (`base:head`, `1a2b:`).
    Range(String),
}

/// What the database told lint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LintDatabase {
    /// No database is configured.
    NotConfigured,
    /// It could not be reached: why, password hidden.
    Unreachable(String),
    /// It was read: the revisions it is at, and whether table sizes were read.
    Read {
        /// Its heads.
        heads: Vec<RevisionId>,
        /// Whether sizes scaled the severities.
        sizes: bool,
    },
}

/// What [`Project::lint`] found, and from what.
#[derive(Debug, Clone)]
pub struct LintRun {
    /// The findings.
    pub report: Report,
    /// What the database said.
    pub database: LintDatabase,
}

impl Project {
    /// Lints the revisions `selection` names with the rules of `dialect` (by default the
    /// configured database's backend), against table sizes read from the database when it
    /// answers.
    ///
    /// # Errors
    ///
    /// [`RuntimeError::NoLintDialect`] with neither a dialect nor a database URL; those of
    /// [`Project::revisions`]; [`Error::Script`] for a revision or range that does not
    /// resolve.
    pub async fn lint(&self, selection: &LintSelection, dialect: Option<Backend>) -> Result<LintRun, Error> {
        let graph = self.revisions()?;
        let url = self.config.database_url.as_ref();
        let backend = dialect.or(url.map(|url| url.backend())).ok_or(RuntimeError::NoLintDialect)?;
        let (database, sizes) = match url {
            None => (LintDatabase::NotConfigured, None),
            Some(_) => read_database(self, selection).await?,
        };
        let ids = select(&graph, selection, &database)?;
        let options = LintOptions {
            dialect: backend.dialect_with(&self.config.dialect),
            lock_timeout: self.config.timeouts.lock_timeout,
            sizes: sizes.as_ref(),
        };
        // A database's pending revisions run together in the next upgrade; anything else
        // may be deployed revision by revision.
        let report = match (selection, &database) {
            (LintSelection::Pending, LintDatabase::Read { .. }) => crate::lint::lint_pending(&graph, &ids, &options),
            _ => crate::lint::lint(&graph, &ids, &options),
        };
        Ok(LintRun { report, database })
    }
}

/// What the database says, or why it could not be read. A SQLite file that does not exist
/// is refused when it would say which revisions are pending (a mistyped path), as the
/// commands that only read refuse it; for revisions named outright it would only have given
/// table sizes, so lint goes on without them (a fresh checkout in CI has no database file).
async fn read_database(
    project: &Project,
    selection: &LintSelection,
) -> Result<(LintDatabase, Option<TableSizes>), Error> {
    let mut session = match connect_existing(&project.config).await {
        Ok(session) => session,
        Err(err) if is_missing_sqlite_file(&err) && *selection == LintSelection::Pending => return Err(err),
        Err(err) => return Ok((LintDatabase::Unreachable(with_causes(&err)), None)),
    };
    let heads = state::read_heads_if_any(session.as_mut(), &project.config.tables).await;
    let rows = session.table_rows().await;
    session.close().await.ok();
    Ok(match heads {
        Ok(heads) => {
            let sizes = rows.ok().map(TableSizes::new);
            (LintDatabase::Read { heads, sizes: sizes.is_some() }, sizes)
        }
        Err(err) => (LintDatabase::Unreachable(with_causes(&err)), None),
    })
}

/// An error and its causes on one line (`could not connect to ...: connection refused`).
fn with_causes(err: &Error) -> String {
    let mut text = err.to_string();
    let mut cause = std::error::Error::source(err);
    while let Some(error) = cause {
        let line = error.to_string();
        if !text.contains(&line) {
            text.push_str(": ");
            text.push_str(&line);
        }
        cause = error.source();
    }
    text
}

/// Whether `err` says a SQLite URL names a file that does not exist.
fn is_missing_sqlite_file(err: &Error) -> bool {
    #[cfg(feature = "sqlite")]
    {
        let mut cause = std::error::Error::source(err);
        while let Some(error) = cause {
            if error.is::<crate::dialect::sqlite::session::MissingDatabase>() {
                return true;
            }
            cause = error.source();
        }
    }
    let _ = err;
    false
}

fn select(graph: &RevisionGraph, selection: &LintSelection, database: &LintDatabase) -> Result<Vec<RevisionId>, Error> {
    let all = || graph.revisions().iter().map(|r| r.id.clone()).collect();
    Ok(match selection {
        LintSelection::Pending => match database {
            LintDatabase::Read { heads, .. } => {
                graph.plan_upgrade(heads, "heads")?.steps.into_iter().map(|step| step.revision).collect()
            }
            LintDatabase::NotConfigured | LintDatabase::Unreachable(_) => all(),
        },
        LintSelection::All => all(),
        LintSelection::Revision(target) => vec![graph.resolve(target)?],
        LintSelection::Range(range) => graph.history(Some(range))?.into_iter().rev().map(|r| r.id.clone()).collect(),
    })
}
