//! The stairway: from base, each revision up, down and up again on one connection to one
//! throwaway database, under the migration lock for the whole walk. After each downgrade the
//! schema is read back and compared with the parent's; a revision's data fixtures run around
//! its first upgrade and its downgrade.
//!
//! The walk stops on a backend at the first revision whose steps fail or whose downgrade
//! leaves a different schema: the database no longer is what the next revision expects. A
//! revision without a downgrade (neither `[[downgrade]]` ops nor `downgrade = []`) fails
//! after its upgrade, and the walk goes on from there, so one run names all of them.
//! With the stairway left out (`--skip stairway`) and the data check kept, the walk only
//! upgrades revisions without fixtures and steps the others up, down and up for their
//! assertions, comparing no schema and reporting no stairway result.

use std::time::Instant;

use crate::Error;
use crate::config::Config;
use crate::dialect::{Focus, IntrospectOptions, Session};
use crate::ops::Op;
use crate::runtime::scratch::{ScratchDatabase, connect};
use crate::runtime::{Migrator, SteppedRun};
use crate::schema::Schema;
use crate::script::{Direction, Fixture, Revision, RevisionFile, RevisionGraph, RevisionId, ScriptError};
use crate::testing::difference::differences;
use crate::testing::{Check, CheckResult, HistoryTest, Outcome, Report, TestEvent, TestObserver};
use crate::url::DatabaseUrl;

/// What one revision's stairway found.
enum Stair {
    /// Up, down and up again ran, and the downgrade left the parent's schema.
    Passed,
    /// It failed; the walk stops here.
    Failed(String),
    /// It went up, and has no downgrade to try: a failure, but the database is where the next
    /// revision expects it, so the walk goes on (one run names every such revision).
    NoDowngrade(String),
}

/// Walks the stairway on `scratch`; returns whether it reached the heads.
pub(super) async fn run(
    test: &HistoryTest,
    graph: &RevisionGraph,
    server: &DatabaseUrl,
    scratch: &ScratchDatabase,
    report: &mut Report,
    observer: TestObserver<'_>,
) -> Result<bool, Error> {
    let config = scratch.config(&test.project.config);
    let backend = scratch.url().backend().dialect_with(&config.dialect).name();
    let plan = graph.plan_upgrade(&[], "heads")?;
    let total = plan.steps.len();
    let shown = server.to_string();
    observer(TestEvent::Backend { backend, server: &shown, database: scratch.name(), total });

    let session = connect(scratch.url(), &config).await?;
    let mut run = SteppedRun::start(graph, &config.tables, &config.timeouts, session).await?;
    let options = IntrospectOptions {
        schema: None,
        exclude_tables: vec![config.tables.version_table.clone(), config.tables.history_table.clone()],
    };
    let mut reference = Reference { server: server.clone(), graph, config: &config, database: None };
    // Left out, the stairway still walks for the data check, without comparing schemas.
    let compare = test.runs(Check::Stairway);
    let walked = async {
        for (number, step) in (1..).zip(&plan.steps) {
            let revision = graph.get(&step.revision).expect("plans only name revisions of their graph");
            observer(TestEvent::Revision {
                backend,
                revision: &revision.id,
                message: &revision.message,
                number,
                total,
            });
            let started = Instant::now();
            let mut data = DataCheck::new(test.runs(Check::Data), backend, revision);
            let stair = if compare {
                stair(&mut run, revision, &options, &mut reference, &mut data).await?
            } else {
                data_only(&mut run, revision, &mut data).await
            };
            let data_result = data.result();
            let (outcome, stops) = match stair {
                Stair::Passed => (Outcome::Passed, false),
                Stair::Failed(message) => (Outcome::Failed(message), true),
                Stair::NoDowngrade(message) => (Outcome::Failed(message), false),
            };
            let failed = matches!(outcome, Outcome::Failed(_));
            let subject = format!("revision {}, {}", revision.id, revision.message);
            // With the stairway left out, a failed step is reported by the data check, the
            // walk's reason, unless its fixtures' result says so already.
            let data_failed = data_result.as_ref().is_some_and(|r| matches!(r.outcome, Outcome::Failed(_)));
            let check = if compare { Check::Stairway } else { Check::Data };
            let stairway_result = (compare || (failed && !data_failed)).then(|| {
                CheckResult::new(check, Some(backend), subject, outcome)
                    .of_revision(&revision.id)
                    .took(started.elapsed())
            });
            for result in data_result.into_iter().chain(stairway_result) {
                observer(TestEvent::Result(&result));
                report.results.push(result);
            }
            if stops {
                return Ok(false);
            }
        }
        Ok::<bool, Error>(true)
    }
    .await;
    let finished = run.finish().await;
    let dropped = match reference.database.take() {
        Some(database) => database.drop_now().await,
        None => Ok(()),
    };
    let at_head = walked?;
    finished?;
    dropped?;
    Ok(at_head)
}

/// Upgrades `scratch` to the heads without the stairway (when it is left out).
pub(super) async fn upgrade_only(
    test: &HistoryTest,
    graph: &RevisionGraph,
    scratch: &ScratchDatabase,
) -> Result<(), Error> {
    Migrator::with_graph(scratch.config(&test.project.config), graph.clone()).upgrade("heads").await.map(|_| ())
}

/// One revision for the data check alone: up when it has no fixtures here, otherwise its
/// fixtures around up, down and up again, with no schema compared.
async fn data_only(run: &mut SteppedRun<'_>, revision: &Revision, data: &mut DataCheck<'_>) -> Stair {
    let id = &revision.id;
    if let Some(failure) = data.before(run.session()).await {
        return Stair::Failed(failure);
    }
    if let Err(err) = run.step(id, Direction::Up).await {
        return Stair::Failed(format!("upgrade of {id} failed: {}", chain(&err)));
    }
    if !data.active {
        return Stair::Passed;
    }
    data.assert(run.session(), Direction::Up).await;
    if let Err(err) = run.step(id, Direction::Down).await {
        return Stair::Failed(format!("downgrade of {id} failed: {}", chain(&err)));
    }
    data.assert(run.session(), Direction::Down).await;
    if let Err(err) = run.step(id, Direction::Up).await {
        return Stair::Failed(format!("upgrade of {id} after its downgrade failed: {}", chain(&err)));
    }
    Stair::Passed
}

/// One revision up, down and up again, checking the schema the downgrade leaves.
async fn stair(
    run: &mut SteppedRun<'_>,
    revision: &Revision,
    options: &IntrospectOptions,
    reference: &mut Reference<'_>,
    data: &mut DataCheck<'_>,
) -> Result<Stair, Error> {
    let id = &revision.id;
    let parent_heads = run.heads().to_vec();
    let focus = focus_of(revision);
    let parent = Parent::read(run.session(), options, focus.as_ref()).await?;
    if let Some(failure) = data.before(run.session()).await {
        return Ok(Stair::Failed(failure));
    }
    if let Err(err) = run.step(id, Direction::Up).await {
        return Ok(Stair::Failed(format!("upgrade of {id} failed: {}", chain(&err))));
    }
    data.assert(run.session(), Direction::Up).await;
    if revision.lacks_downgrade() {
        let missing = ScriptError::DowngradeNotWritten { revisions: vec![RevisionFile::of(revision)] };
        return Ok(Stair::NoDowngrade(format!("downgrade of {id} failed: {}", chain(&missing.into()))));
    }
    if let Err(err) = run.step(id, Direction::Down).await {
        return Ok(Stair::Failed(format!("downgrade of {id} failed: {}", chain(&err))));
    }
    data.assert(run.session(), Direction::Down).await;
    let differences = parent.differences(run.session(), options, focus.as_ref(), reference, &parent_heads).await?;
    if !differences.is_empty() {
        return Ok(Stair::Failed(format!("downgrade of {id} {}", differences.join("; "))));
    }
    if let Err(err) = run.step(id, Direction::Up).await {
        return Ok(Stair::Failed(format!("upgrade of {id} after its downgrade failed: {}", chain(&err))));
    }
    Ok(Stair::Passed)
}

/// What a revision's ops can change, for a digest of only that part of the schema: the tables
/// they name, with only the named columns where the ops touch columns alone, and their
/// constraints and indexes whole. `None` (the whole schema) for raw SQL, whose objects cannot
/// be told, and for enum types, whose changes reach every column of the type.
fn focus_of(revision: &Revision) -> Option<Focus> {
    let mut focus = Focus::default();
    let mut whole = |table: &str| {
        focus.tables.insert(table.to_owned(), None);
    };
    let mut columns: Vec<(&str, &str)> = Vec::new();
    for op in revision.upgrade.iter().chain(&revision.downgrade) {
        match op {
            Op::CreateTable(table) => whole(&table.name),
            Op::DropTable { table, .. } | Op::AlterTable { table, .. } => whole(table),
            Op::RenameTable { table, new_name } => {
                whole(table);
                whole(new_name);
            }
            Op::CreateIndex(index) => whole(&index.table),
            Op::DropIndex { table, .. }
            | Op::RenameIndex { table, .. }
            | Op::RenameConstraint { table, .. }
            | Op::AddConstraint { table, .. }
            | Op::DropConstraint { table, .. }
            | Op::ValidateConstraint { table, .. } => whole(table),
            Op::AddColumn { table, column } => columns.push((table, &column.name)),
            Op::DropColumn { table, column } => columns.push((table, column.name())),
            Op::AlterColumn(change) => {
                columns.push((&change.table, &change.column));
                if let Some(new_name) = &change.new_name {
                    columns.push((&change.table, new_name));
                }
            }
            Op::CreateEnum { .. }
            | Op::DropEnum { .. }
            | Op::AddEnumValue { .. }
            | Op::DropEnumValue { .. }
            | Op::Sql { .. } => return None,
        }
    }
    for (table, column) in columns {
        if let Some(named) = focus.tables.entry(table.to_owned()).or_insert_with(|| Some(Default::default())) {
            named.insert(column.to_owned());
        }
    }
    Some(focus)
}

/// The parent's schema as read before a revision's upgrade: a digest where the backend
/// computes one in a round trip (on a long history, reading the whole schema twice per
/// revision would cost more than the steps), the schema itself otherwise.
enum Parent {
    Digest(String),
    Schema(Schema),
}

impl Parent {
    async fn read(
        session: &mut dyn Session,
        options: &IntrospectOptions,
        focus: Option<&Focus>,
    ) -> Result<Parent, Error> {
        match session.fingerprint(options, focus).await.map_err(introspect_error)? {
            Some(digest) => Ok(Parent::Digest(digest)),
            None => Ok(Parent::Schema(introspect(session, options).await?)),
        }
    }

    /// How the schema the session holds now differs from the parent's.
    async fn differences(
        self,
        session: &mut dyn Session,
        options: &IntrospectOptions,
        focus: Option<&Focus>,
        reference: &mut Reference<'_>,
        parent_heads: &[RevisionId],
    ) -> Result<Vec<String>, Error> {
        let expected = match self {
            Parent::Schema(schema) => schema,
            Parent::Digest(digest) => {
                let now = session.fingerprint(options, focus).await.map_err(introspect_error)?;
                if now.as_deref() == Some(digest.as_str()) {
                    return Ok(Vec::new());
                }
                reference.schema_at(parent_heads, options).await?
            }
        };
        Ok(differences(&introspect(session, options).await?, &expected))
    }
}

/// A second throwaway database that follows the stairway from behind, made only when a
/// digest differs: brought up to a revision's parents, it shows the parent's schema to name
/// the difference. It only moves forward, so in all it runs the history once.
struct Reference<'a> {
    server: DatabaseUrl,
    graph: &'a RevisionGraph,
    config: &'a Config,
    database: Option<ScratchDatabase>,
}

impl Reference<'_> {
    async fn schema_at(&mut self, heads: &[RevisionId], options: &IntrospectOptions) -> Result<Schema, Error> {
        if self.database.is_none() {
            self.database = Some(ScratchDatabase::create(&self.server, self.config, "aludel_test").await?);
        }
        let database = self.database.as_ref().expect("made above");
        let migrator = Migrator::with_graph(database.config(self.config), self.graph.clone());
        for head in heads {
            migrator.upgrade(head.as_str()).await?;
        }
        let mut session = connect(database.url(), self.config).await?;
        let schema = introspect(session.as_mut(), options).await;
        session.close().await.ok();
        schema
    }
}

fn introspect_error(source: crate::dialect::IntrospectError) -> Error {
    crate::runtime::RuntimeError::Introspect { url: "the throwaway database".to_owned(), source }.into()
}

async fn introspect(session: &mut dyn Session, options: &IntrospectOptions) -> Result<Schema, Error> {
    session.introspect(options).await.map_err(introspect_error)
}

/// An error and its causes on one line, as a result's message holds it.
pub(super) fn chain(err: &Error) -> String {
    crate::error::report(err).trim_start_matches("error: ").replace("\ncaused by: ", ": ")
}

/// A revision's fixtures on one backend, and what they found.
struct DataCheck<'r> {
    backend: &'static str,
    revision: &'r Revision,
    /// Whether the data check runs and the revision has fixtures for this backend.
    active: bool,
    failures: Vec<String>,
    started: Instant,
}

impl<'r> DataCheck<'r> {
    fn new(runs: bool, backend: &'static str, revision: &'r Revision) -> DataCheck<'r> {
        let fixtures = &revision.fixtures;
        let any = fixtures
            .before
            .iter()
            .chain(&fixtures.assert_upgraded)
            .chain(&fixtures.assert_downgraded)
            .any(|f| f.applies_to(backend));
        DataCheck { backend, revision, active: runs && any, failures: Vec::new(), started: Instant::now() }
    }

    fn applicable<'f>(&self, fixtures: &'f [Fixture]) -> impl Iterator<Item = (usize, &'f Fixture)> + use<'f> {
        let backend = self.backend;
        (1..).zip(fixtures).filter(move |(_, f)| f.applies_to(backend))
    }

    /// Runs the statements that come before the upgrade; a failure stops the stairway.
    async fn before(&mut self, session: &mut dyn Session) -> Option<String> {
        if !self.active {
            return None;
        }
        let revision = self.revision;
        for (number, fixture) in self.applicable(&revision.fixtures.before) {
            if let Err(err) = session.execute(&fixture.sql).await {
                let message = format!(
                    "test.before #{number} of {} ({}) failed: {}",
                    self.revision.id,
                    self.revision.path.display(),
                    crate::runtime::database_message(&err)
                );
                self.failures.push(message.clone());
                return Some(message);
            }
        }
        None
    }

    /// Runs the assertions that follow the step in `direction`.
    async fn assert(&mut self, session: &mut dyn Session, direction: Direction) {
        if !self.active {
            return;
        }
        let revision = self.revision;
        let (key, fixtures) = match direction {
            Direction::Up => ("test.assert_upgraded", &revision.fixtures.assert_upgraded),
            Direction::Down => ("test.assert_downgraded", &revision.fixtures.assert_downgraded),
        };
        for (number, fixture) in self.applicable(fixtures) {
            let verdict = match session.query_text(&fixture.sql).await {
                Ok(rows) => match rows.as_slice() {
                    [row] if row.len() == 1 && is_true(row[0].as_deref()) => continue,
                    [row] if row.len() == 1 => format!("returned {}", row[0].as_deref().unwrap_or("NULL")),
                    _ => format!("returned {} row(s); an assertion returns one row with one true value", rows.len()),
                },
                Err(err) => format!("failed: {}", crate::runtime::database_message(&err)),
            };
            self.failures.push(format!(
                "{key} #{number} of {} ({}) {verdict}: {}",
                self.revision.id,
                self.revision.path.display(),
                fixture.sql.trim()
            ));
        }
    }

    fn result(&self) -> Option<CheckResult> {
        if !self.active {
            return None;
        }
        let outcome =
            if self.failures.is_empty() { Outcome::Passed } else { Outcome::Failed(self.failures.join("; ")) };
        let subject = format!("fixtures of revision {}, {}", self.revision.id, self.revision.message);
        Some(
            CheckResult::new(Check::Data, Some(self.backend), subject, outcome)
                .of_revision(&self.revision.id)
                .took(self.started.elapsed()),
        )
    }
}

/// Whether a query's one value is true as the backends spell it (`t`, `true`, `1`).
fn is_true(value: Option<&str>) -> bool {
    value.is_some_and(|v| matches!(v.trim().to_ascii_lowercase().as_str(), "t" | "true" | "1"))
}
