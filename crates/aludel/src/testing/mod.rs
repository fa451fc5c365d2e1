//! `aludel test`: proves a migration history on throwaway databases, one per server, before
//! it ships. The checks, in order:
//!
//! 1. **graph**: every revision file parses, the graph is valid and has the expected number
//!    of heads; when the configured database is reachable, the revisions it applied still
//!    have their checksums;
//! 2. **stairway**: from base, each revision up, down and up again; after each downgrade the
//!    schema must equal the parent's, read back by introspection and compared with
//!    [`diff::diff`](crate::diff::diff), so a failure names the revision and what differs;
//! 3. **data**: the fixtures a revision carries ([`Fixtures`](crate::script::Fixtures)) run
//!    before its upgrade, and its assertions after the upgrade and after the downgrade;
//! 4. **models**: at head, `check` is clean (when there are models);
//! 5. **offline**: the `--sql` script of a range, run with the backend's own client on a
//!    second throwaway database, yields the schema the online run does.
//!
//! What is printed, and how, is the caller's: [`HistoryTest::run`] returns a [`Report`] and
//! tells an observer about its progress. Check failures are results; an [`Error`] means the
//! test itself could not run (a server unreachable, a client missing).
//!
//! # Examples
//!
//! ```no_run
//! use aludel::config::Config;
//! use aludel::runtime::Project;
//! use aludel::testing::HistoryTest;
//!
//! # async fn example() -> Result<(), aludel::Error> {
//! let project = Project::new(Config::for_url("postgresql://postgres@127.0.0.1/postgres")?);
//! let report = HistoryTest::new(project).run(&mut |_| {}).await?;
//! assert!(report.passed(), "{}", report.failures_text());
//! # Ok(())
//! # }
//! ```

mod difference;
mod graph;
pub mod junit;
mod offline;
mod stairway;

use std::collections::BTreeSet;
use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use crate::Error;
use crate::runtime::Project;
use crate::script::{RevisionGraph, RevisionId};
use crate::url::DatabaseUrl;

use crate::runtime::scratch::ScratchDatabase;

/// Errors that keep a test from running (check failures are [`Outcome::Failed`] instead).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TestError {
    /// The offline check needs the backend's client, which is not installed.
    #[error(
        "the offline check runs the --sql script with `{program}`, which is not on PATH; {install}, or leave the \
         check out with `--skip offline`"
    )]
    ClientMissing {
        /// The client's name.
        program: String,
        /// How to install it.
        install: &'static str,
    },
    /// The backend has no command-line client to run a script with.
    #[error("the offline check needs a command-line client for {dialect}; leave it out with `--skip offline`")]
    NoClient {
        /// The dialect.
        dialect: &'static str,
    },
    /// The script or the client's process could not be handled.
    #[error("could not run the --sql script `{}` with `{program}`", .path.display())]
    Client {
        /// The client.
        program: String,
        /// The script file.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// The `--sql` script could not be written to the temporary folder.
    #[error("could not write the --sql script to `{}`; check that the temporary folder can be written (TMPDIR)", .path.display())]
    ScriptFile {
        /// The file.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// The JUnit report could not be written.
    #[error("could not write the JUnit report to `{}`; check that its folder exists and can be written", .path.display())]
    Junit {
        /// The file.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// The run was interrupted (Ctrl-C or SIGTERM); the throwaway databases were dropped.
    #[error("interrupted; the throwaway databases were dropped")]
    Interrupted,
    /// `--sql-range` names a revision the history does not hold.
    #[error("--sql-range `{range}`: {reason}")]
    OfflineRange {
        /// The range as given.
        range: String,
        /// What does not resolve.
        reason: String,
    },
}

/// One of the checks `aludel test` runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Check {
    /// Files parse, the graph is valid, the heads are as expected.
    Graph,
    /// Applied revisions of the configured database still have their checksums.
    Checksums,
    /// Each revision up, down (leaving the parent's schema) and up again.
    Stairway,
    /// A revision's fixtures and assertions.
    Data,
    /// At head, the models match the database.
    Models,
    /// The `--sql` script yields the schema the online run does.
    Offline,
}

impl Check {
    /// Every check, in the order they run.
    pub const ALL: [Check; 6] =
        [Check::Graph, Check::Checksums, Check::Stairway, Check::Data, Check::Models, Check::Offline];

    /// The check's name on the command line and in reports: `graph`, `stairway`, ...
    pub fn name(self) -> &'static str {
        match self {
            Check::Graph => "graph",
            Check::Checksums => "checksums",
            Check::Stairway => "stairway",
            Check::Data => "data",
            Check::Models => "models",
            Check::Offline => "offline",
        }
    }

    /// The check named `name`.
    pub fn from_name(name: &str) -> Option<Check> {
        Check::ALL.into_iter().find(|check| check.name() == name)
    }
}

impl fmt::Display for Check {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// How one check ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// It held.
    Passed,
    /// It did not; the message names the revision and the difference.
    Failed(String),
    /// It could not run; the reason says why (an earlier failure, no models).
    Skipped(String),
}

/// One check on one backend (or on the files), for one revision or the whole history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckResult {
    /// Which check.
    pub check: Check,
    /// The backend it ran on (`postgresql`, ...); `None` for checks of the files.
    pub backend: Option<&'static str>,
    /// The revision it is about, if one.
    pub revision: Option<RevisionId>,
    /// What was checked, in a few words (`revision 3f2a9c1b7d04, add users`).
    pub subject: String,
    /// How it ended.
    pub outcome: Outcome,
    /// How long it took.
    pub duration: Duration,
}

impl CheckResult {
    fn new(check: Check, backend: Option<&'static str>, subject: impl Into<String>, outcome: Outcome) -> CheckResult {
        CheckResult { check, backend, revision: None, subject: subject.into(), outcome, duration: Duration::ZERO }
    }

    fn of_revision(mut self, revision: &RevisionId) -> CheckResult {
        self.revision = Some(revision.clone());
        self
    }

    fn took(mut self, duration: Duration) -> CheckResult {
        self.duration = duration;
        self
    }

    /// Whether it failed.
    pub fn failed(&self) -> bool {
        matches!(self.outcome, Outcome::Failed(_))
    }
}

/// What a test run found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    /// Every result, in the order they were found.
    pub results: Vec<CheckResult>,
    /// The backends the history ran on, each with its server (password hidden).
    pub databases: Vec<(&'static str, String)>,
}

impl Report {
    /// Whether no check failed.
    pub fn passed(&self) -> bool {
        !self.results.iter().any(CheckResult::failed)
    }

    /// The failed results.
    pub fn failures(&self) -> impl Iterator<Item = &CheckResult> {
        self.results.iter().filter(|r| r.failed())
    }

    /// One line per failure, for an assertion message.
    pub fn failures_text(&self) -> String {
        self.failures()
            .map(|r| {
                let Outcome::Failed(message) = &r.outcome else { unreachable!("failures are failed") };
                let on = r.backend.map(|b| format!(" on {b}")).unwrap_or_default();
                format!("{}{on}: {message}", r.check)
            })
            .collect::<Vec<_>>()
            .join("\n")
    }
}

/// What a run tells its observer as it goes.
#[derive(Debug, Clone, Copy)]
pub enum TestEvent<'a> {
    /// The stairway starts on a backend (`total` revisions).
    Backend {
        /// The backend.
        backend: &'static str,
        /// Its server, password hidden.
        server: &'a str,
        /// The throwaway database's name.
        database: &'a str,
        /// How many revisions the stairway walks.
        total: usize,
    },
    /// A revision's stairway begins: the `number`th (from 1) of `total`.
    Revision {
        /// The backend.
        backend: &'static str,
        /// The revision.
        revision: &'a RevisionId,
        /// Its message.
        message: &'a str,
        /// Its place, from 1.
        number: usize,
        /// How many.
        total: usize,
    },
    /// A check ended.
    Result(&'a CheckResult),
}

/// Called as a test run goes, for progress output.
pub type TestObserver<'a> = &'a mut (dyn FnMut(TestEvent<'_>) + Send);

/// A test of a project's migration history.
#[derive(Debug, Clone)]
pub struct HistoryTest {
    /// The project: configuration, models, revisions.
    pub project: Project,
    /// The servers to make throwaway databases on (the database part of each URL is replaced;
    /// a SQLite URL means a temporary file); empty means the configured database's server.
    pub servers: Vec<DatabaseUrl>,
    /// Checks left out.
    pub skip: BTreeSet<Check>,
    /// How many heads the graph must have.
    pub expected_heads: usize,
    /// The range of the offline check, `FROM:TO` (default `base:heads`).
    pub offline_range: String,
}

impl HistoryTest {
    /// Every check, on the configured database's server, expecting one head.
    pub fn new(project: Project) -> HistoryTest {
        HistoryTest {
            project,
            servers: Vec::new(),
            skip: BTreeSet::new(),
            expected_heads: 1,
            offline_range: "base:heads".to_owned(),
        }
    }

    /// Tests on `server` (repeatable) instead of the configured database's server.
    #[must_use]
    pub fn on(mut self, server: DatabaseUrl) -> HistoryTest {
        self.servers.push(server);
        self
    }

    /// Leaves `check` out.
    #[must_use]
    pub fn skipping(mut self, check: Check) -> HistoryTest {
        self.skip.insert(check);
        self
    }

    fn runs(&self, check: Check) -> bool {
        !self.skip.contains(&check)
    }

    /// Runs the checks, creating a throwaway database per server (and a second one for the
    /// offline check) and dropping each before it returns, also on failure; when the future
    /// is dropped part way (Ctrl-C), the databases are dropped with it.
    ///
    /// # Errors
    ///
    /// [`Error::Config`] without a server to test on; [`Error::Runtime`] when a server cannot
    /// be reached; [`TestError`] when a throwaway database cannot be created or the offline
    /// check's client is missing.
    pub async fn run(&self, observer: TestObserver<'_>) -> Result<Report, Error> {
        let mut report = Report::default();
        let graph = match graph::check_files(self, &mut report, &mut *observer) {
            Some(graph) => graph,
            None => return Ok(report),
        };
        if self.runs(Check::Offline) {
            self.check_offline_range(&graph)?;
        }
        if self.runs(Check::Checksums) {
            let result = graph::check_checksums(self, &graph).await;
            observer(TestEvent::Result(&result));
            report.results.push(result);
        }
        let servers = match (self.servers.is_empty(), &self.project.config.database_url) {
            (false, _) => self.servers.clone(),
            (true, Some(url)) => vec![url.clone()],
            (true, None) => {
                self.project.config.require_database_url()?;
                Vec::new()
            }
        };
        for server in &servers {
            self.run_on(server, &graph, &mut report, &mut *observer).await?;
        }
        Ok(report)
    }

    /// Refuses an offline range naming a revision the history does not hold, before anything
    /// runs: the check asked for would otherwise be skipped and the run pass.
    fn check_offline_range(&self, graph: &RevisionGraph) -> Result<(), TestError> {
        let range = self.offline_range.as_str();
        let (from, to) = range.split_once(':').unwrap_or(("base", range));
        for target in [from, to] {
            if matches!(target, "" | "base" | "head" | "heads") {
                continue;
            }
            if let Err(error) = graph.resolve(target) {
                return Err(TestError::OfflineRange { range: range.to_owned(), reason: error.to_string() });
            }
        }
        Ok(())
    }

    async fn run_on(
        &self,
        server: &DatabaseUrl,
        graph: &RevisionGraph,
        report: &mut Report,
        observer: TestObserver<'_>,
    ) -> Result<(), Error> {
        let config = &self.project.config;
        let backend = server.backend().dialect_with(&config.dialect).name();
        report.databases.push((backend, server.to_string()));
        let scratch = ScratchDatabase::create(server, config, "aludel_test").await?;
        let outcome = async {
            let at_head = if self.runs(Check::Stairway) || self.runs(Check::Data) {
                stairway::run(self, graph, server, &scratch, report, &mut *observer).await?
            } else {
                stairway::upgrade_only(self, graph, &scratch).await?;
                true
            };
            if self.runs(Check::Models) {
                let result = self.check_models(backend, &scratch, at_head).await;
                observer(TestEvent::Result(&result));
                report.results.push(result);
            }
            if self.runs(Check::Offline) {
                let result = offline::check(self, graph, server, &scratch, at_head).await?;
                observer(TestEvent::Result(&result));
                report.results.push(result);
            }
            Ok::<(), Error>(())
        }
        .await;
        let dropped = scratch.drop_now().await;
        outcome.and(dropped)
    }

    async fn check_models(&self, backend: &'static str, scratch: &ScratchDatabase, at_head: bool) -> CheckResult {
        let subject = "the models match the database at head";
        if !self.project.has_models() {
            return CheckResult::new(Check::Models, Some(backend), subject, Outcome::Skipped("no models".into()));
        }
        if !at_head {
            let reason = "the stairway stopped before head".to_owned();
            return CheckResult::new(Check::Models, Some(backend), subject, Outcome::Skipped(reason));
        }
        let started = std::time::Instant::now();
        let project = Project { config: scratch.config(&self.project.config), ..self.project.clone() };
        let outcome = match project.check().await {
            Ok(check) => match &check.models {
                crate::runtime::ModelCheck::Compared(diff) if !diff.is_empty() => Outcome::Failed(format!(
                    "the models differ from the database at head; a new revision would hold: {}",
                    diff.upgrade.iter().map(crate::ops::Op::describe).collect::<Vec<_>>().join(", ")
                )),
                _ => Outcome::Passed,
            },
            Err(err) => Outcome::Failed(stairway::chain(&err)),
        };
        CheckResult::new(Check::Models, Some(backend), subject, outcome).took(started.elapsed())
    }
}
