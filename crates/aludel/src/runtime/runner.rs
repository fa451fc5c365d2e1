//! The online run: lock, plan, then each revision in its own transaction together with its
//! version-table update and history row.
//!
//! Round trips are kept to a minimum, since bookkeeping must cost next to nothing on a long
//! chain: the transaction's `BEGIN` travels with the first statement, and the version update,
//! history row and `COMMIT` travel together.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use crate::Error;
use crate::config::Timeouts;
use crate::dialect::common::{self, StepKind};
use crate::dialect::{Session, StateTables, Statement, TransactionSql, Violation};
use crate::ops::Op;
use crate::runtime::state::{self, ChecksumMismatch};
use crate::runtime::{Resolution, RunReport, RuntimeError, StepEvent, StepObserver, StepReport};
use crate::runtime::{known, split};
use crate::schema::Schema;
use crate::script::{Direction, RevisionGraph, RevisionId, Step};

/// What a run is for.
pub(super) enum Goal<'a> {
    Upgrade(&'a str),
    Downgrade(&'a str),
    Stamp { targets: &'a [&'a str], purge: bool },
}

use crate::runtime::db_error;

/// Runs `batch`, which ends with the transaction's commit. When any statement of it fails,
/// the transaction is rolled back before the error returns: on SQLite a revision is a
/// savepoint inside the run's transaction, and one left open would be committed with the
/// run, its changes kept without the bookkeeping that records them.
async fn commit_batch(
    session: &mut dyn Session,
    batch: &[String],
    transaction: &TransactionSql,
    action: &'static str,
) -> Result<(), Error> {
    match session.execute(&batch.join(";\n")).await {
        Ok(_) => Ok(()),
        Err(source) => {
            session.execute(transaction.rollback).await.ok();
            Err(db_error(action)(source))
        }
    }
}

/// Runs `goal` under the migration lock, then releases the lock and closes the session,
/// whatever happened.
pub(super) async fn run(
    graph: &RevisionGraph,
    tables: &StateTables,
    timeouts: &Timeouts,
    mut session: Box<dyn Session>,
    goal: Goal<'_>,
    observer: StepObserver<'_>,
) -> Result<RunReport, Error> {
    let outcome = match session.lock().await.map_err(db_error(crate::runtime::TAKE_THE_LOCK)) {
        Ok(()) => {
            let outcome = locked_run(graph, tables, timeouts, session.as_mut(), goal, observer).await;
            // Releasing the lock also commits the steps that succeeded where the lock is a
            // transaction (SQLite), so it runs on failure too.
            let unlocked = session.unlock().await.map_err(db_error("release the migration lock"));
            outcome.and_then(|report| unlocked.map(|()| report))
        }
        Err(err) => Err(err),
    };
    session.close().await.ok();
    outcome
}

async fn locked_run(
    graph: &RevisionGraph,
    tables: &StateTables,
    timeouts: &Timeouts,
    session: &mut dyn Session,
    goal: Goal<'_>,
    observer: StepObserver<'_>,
) -> Result<RunReport, Error> {
    state::ensure_tables(session, tables).await?;
    let unfinished = state::read_unfinished(session, tables).await?;
    if let (Some(unfinished), Goal::Stamp { .. }) = (&unfinished, &goal) {
        return Err(unfinished_error(unfinished.clone()).into());
    }
    // A stamp that empties the table first reads past rows it is about to delete.
    let purging = matches!(goal, Goal::Stamp { purge: true, .. });
    let mut heads = state::read_heads_keeping(session, tables, purging).await?;
    let plan = match goal {
        Goal::Upgrade(target) => graph.plan_upgrade(&heads, target)?,
        Goal::Downgrade(target) => graph.plan_downgrade(&heads, target)?,
        Goal::Stamp { targets, purge } => {
            let new_heads = graph.stamp_heads_all(&heads, targets, purge)?;
            let history = state::read_latest_history(session, tables).await?;
            stamp(graph, tables, session, &history, &heads, &new_heads, purge).await?;
            return Ok(RunReport { steps: Vec::new(), heads: new_heads });
        }
    };
    // An edited (or removed) applied revision stops the run even when nothing is pending, so
    // a deploy notices it before the next revision ships.
    let applied = graph.applied(&heads)?;
    let history = state::read_latest_history(session, tables).await?;
    let mismatches = state::checksum_mismatches(graph, &applied, &history);
    if !mismatches.is_empty() {
        return Err(RuntimeError::ChecksumMismatch { mismatches }.into());
    }
    if plan.steps.is_empty() {
        if let Some(unfinished) = unfinished {
            return Err(unfinished_error(unfinished).into());
        }
        return Ok(RunReport { steps: Vec::new(), heads });
    }

    let mut schema = schema_of(graph, &applied);
    // Every step is rendered before the first runs: an op this database cannot express stops
    // the run before any revision is applied, not after the ones before it.
    let mut ahead = schema.clone();
    // And checked against the database first: an op naming a table or column that will not
    // exist stops the run before anything runs, rather than half way through a revision on a
    // backend without transactional DDL. An unfinished revision ran in part already (it goes
    // to `resolve`, or resumes below): the check would refuse what it did.
    let mut known = match unfinished {
        None => known::read(session, tables).await?,
        Some(_) => None,
    };
    for step in &plan.steps {
        if let Some(known) = &mut known {
            known::check_step(session.dialect(), graph, known, step, known::NOTHING_RAN)?;
        }
        render_step(session.dialect(), graph, &mut ahead, step)?;
    }
    // A revision that runs in segments resumes where it stopped; any other unfinished one
    // waits for `resolve`.
    let mut resume = match unfinished {
        Some(unfinished) => {
            Some(split::resume_point(graph, session.dialect(), &schema, &plan, unfinished, unfinished_error)?)
        }
        None => None,
    };
    let mut baseline =
        IntegrityBaseline::of(&session.check_integrity().await.map_err(db_error("check foreign keys before the run"))?);
    let mut report = RunReport::default();
    let total = plan.steps.len();
    for (number, step) in (1..).zip(&plan.steps) {
        let revision = graph.get(&step.revision).expect("plans only name revisions of their graph");
        observer(StepEvent::Started { revision, direction: step.direction, number, total });
        let limits = timeouts.for_revision(&revision.limits);
        let mut attempt = 0;
        let mut resume = resume.take();
        let step_report = loop {
            let failure =
                match run_step(graph, tables, &limits, session, &mut schema, &mut heads, &mut baseline, step, resume)
                    .await
                {
                    Ok(step_report) => break step_report,
                    Err(failure) => failure,
                };
            let StepFailure::LockTimeout { error, cleanup, recorded, ops_done } = failure else {
                return Err(failure.into_error());
            };
            if attempt >= limits.lock_retries {
                return Err(error);
            }
            attempt += 1;
            if recorded {
                // The failed attempt is history, not an unfinished revision: it runs again.
                let kind = reverted_kind(step.direction);
                let detail = match ops_done {
                    0 => "gave up waiting for a lock; tried again".to_owned(),
                    done => {
                        format!("gave up waiting for a lock after {done} op(s) ran; tried again from op {}", done + 1)
                    }
                };
                let mark =
                    common::finish_history(session.dialect(), tables, revision.id.as_str(), kind, None, Some(&detail));
                session.execute(&mark.sql).await.map_err(db_error("record the attempt"))?;
            }
            let wait = retry_wait(attempt);
            observer(StepEvent::Retrying { revision, attempt, retries: limits.lock_retries, wait });
            tokio::time::sleep(wait).await;
            for statement in cleanup {
                session.execute(&statement.sql).await.map_err(db_error("clean up before trying the revision again"))?;
            }
            // The failed attempt advanced the simulated schema; start again from the applied one.
            schema = schema_of(graph, &graph.applied(&heads)?);
            // Outside a transaction the ops that ran stay: the next try goes on after them.
            resume = (ops_done > 0).then_some(split::Resume { done: ops_done, leftover: None });
        };
        observer(StepEvent::Finished { report: &step_report, number, total });
        report.steps.push(step_report);
    }
    report.heads = heads;
    Ok(report)
}

/// The schema the applied revisions lead to, as far as their ops tell. Dialects that rebuild
/// tables (SQLite) read table definitions from it. Ops that do not fit (a table created by
/// raw SQL) are skipped: the database, not this model, is the truth.
pub(super) fn schema_of(graph: &RevisionGraph, applied: &std::collections::BTreeSet<RevisionId>) -> Schema {
    let mut schema = Schema::default();
    for revision in graph.revisions() {
        if applied.contains(&revision.id) {
            for op in &revision.upgrade {
                schema.apply(op).ok();
            }
        }
    }
    schema
}

/// One op of a step with its statements.
pub(super) struct RenderedOp<'a> {
    /// 0-based position in the revision.
    pub(super) index: usize,
    pub(super) op: &'a Op,
    pub(super) statements: Vec<Statement>,
}

/// The ops of one step, each rendered against the schema the ops before it lead to
/// ([`Dialect::render_ops`](crate::dialect::Dialect::render_ops)).
pub(super) fn render_step<'a>(
    dialect: &dyn crate::dialect::Dialect,
    graph: &'a RevisionGraph,
    schema: &mut Schema,
    step: &Step,
) -> Result<Vec<RenderedOp<'a>>, Error> {
    let revision = graph.get(&step.revision).expect("plans only name revisions of their graph");
    let ops = revision.ops(step.direction);
    if let Some((op, reason)) = enum_value_still_a_default(ops, schema) {
        return Err(RuntimeError::Render {
            revision: revision.id.clone(),
            path: revision.path.clone(),
            source: crate::dialect::RenderError::Invalid { op: op.describe(), reason },
        }
        .into());
    }
    let all = dialect.render_ops(ops, schema).map_err(|(_, source)| RuntimeError::Render {
        revision: revision.id.clone(),
        path: revision.path.clone(),
        source,
    })?;
    if dialect.runs_in_transaction(revision.transactional) {
        for (index, (op, statements)) in ops.iter().zip(&all).enumerate() {
            let Op::Sql { .. } = op else { continue };
            if let Some((number, statement)) =
                statements.iter().enumerate().find(|(_, s)| controls_the_transaction(&s.sql))
            {
                let reason = format!(
                    "statement {} (`{}`) would end the transaction the revision runs in, and what follows would run \
                     outside it, so that a failure could no longer roll the revision back; remove it, or set \
                     `transactional = false` on the revision to run its ops one by one (op {})",
                    number + 1,
                    statement.sql.trim(),
                    index + 1
                );
                return Err(RuntimeError::Render {
                    revision: revision.id.clone(),
                    path: revision.path.clone(),
                    source: crate::dialect::RenderError::Invalid { op: op.describe(), reason },
                }
                .into());
            }
        }
    }
    let mut rendered = Vec::with_capacity(ops.len());
    // Enums an earlier op of the step created, replaced or dropped (all of them after raw
    // SQL): a statement on one of those stays in the transaction, in its place.
    let mut touched: BTreeSet<&str> = BTreeSet::new();
    let mut after_raw_sql = false;
    for (index, (op, mut statements)) in ops.iter().zip(all).enumerate() {
        match op {
            Op::AddEnumValue { name, .. } if after_raw_sql || touched.contains(name.as_str()) => {
                statements.iter_mut().for_each(|s| s.before_transaction = false);
            }
            Op::CreateEnum { name, .. } | Op::DropEnum { name, .. } | Op::DropEnumValue { name, .. } => {
                touched.insert(name);
            }
            Op::Sql { .. } if !statements.is_empty() => after_raw_sql = true,
            _ => {}
        }
        rendered.push(RenderedOp { index, op, statements });
    }
    Ok(rendered)
}

/// A `drop_enum_value` of `ops` whose value a column of the enum still takes as its default,
/// as the ops before it leave `schema`, and why it cannot run: each backend fails otherwise
/// (SQLite quietly, with a default its own check refuses).
fn enum_value_still_a_default<'o>(ops: &'o [Op], schema: &Schema) -> Option<(&'o Op, String)> {
    use crate::schema::{ColumnType, DefaultValue, Literal};
    if !ops.iter().any(|op| matches!(op, Op::DropEnumValue { .. })) {
        return None;
    }
    let mut state = schema.clone();
    for op in ops {
        if let Op::DropEnumValue { name, value, .. } = op {
            let uses = |ty: &ColumnType| matches!(ty, ColumnType::Enum(e) if e == name);
            let defaulted = state.tables.values().find_map(|table| {
                let column = table
                    .columns
                    .iter()
                    .find(|c| uses(&c.ty) && c.default == Some(DefaultValue::Value(Literal::String(value.clone()))))?;
                Some(format!("{}.{}", table.name, column.name))
            });
            if let Some(column) = defaulted {
                return Some((
                    op,
                    format!(
                        "column `{column}` defaults to '{value}'; change its default in an alter_column op before \
                         this one, then drop the value"
                    ),
                ));
            }
        }
        state.apply(op).ok();
    }
    None
}

/// Whether `sql` starts, ends or abandons a transaction (`BEGIN`, `START TRANSACTION`,
/// `COMMIT`, `END`, `ROLLBACK` but not `ROLLBACK TO`, `ABORT`, `PREPARE TRANSACTION`),
/// which a revision running in one cannot take: leading comments aside, by its first words.
fn controls_the_transaction(sql: &str) -> bool {
    let mut rest = sql.trim_start();
    loop {
        if let Some(after) = rest.strip_prefix("--") {
            rest = after.split_once('\n').map_or("", |(_, tail)| tail).trim_start();
        } else if let Some(after) = rest.strip_prefix("/*") {
            rest = after.split_once("*/").map_or("", |(_, tail)| tail).trim_start();
        } else {
            break;
        }
    }
    let words: Vec<String> = rest
        .split(|c: char| c.is_whitespace() || c == ';')
        .filter(|w| !w.is_empty())
        .take(2)
        .map(str::to_ascii_lowercase)
        .collect();
    let word = |i: usize| words.get(i).map_or("", String::as_str);
    match word(0) {
        "begin" | "commit" | "end" | "abort" => true,
        "rollback" => !matches!(word(1), "to"),
        "start" | "prepare" => word(1) == "transaction",
        _ => false,
    }
}

/// The statements of `rendered` that run before its transaction ([`Statement::before_transaction`]).
pub(super) fn before_transaction<'r>(rendered: &'r [RenderedOp<'_>]) -> impl Iterator<Item = &'r Statement> {
    rendered.iter().flat_map(|r| &r.statements).filter(|s| s.before_transaction)
}

/// The foreign-key violations the database held before a revision ran, by referencing and
/// referenced table: a revision answers only for those it adds, not for orphan rows that
/// were there before it (SQLite's check reads the whole database).
#[derive(Debug, Default)]
pub(super) struct IntegrityBaseline(BTreeMap<(String, String), BTreeSet<Option<i64>>>);

impl IntegrityBaseline {
    pub(super) fn of(violations: &[Violation]) -> IntegrityBaseline {
        let mut rows: BTreeMap<(String, String), BTreeSet<Option<i64>>> = BTreeMap::new();
        for violation in violations {
            rows.entry((violation.table.clone(), violation.parent.clone())).or_default().insert(violation.rowid);
        }
        IntegrityBaseline(rows)
    }

    /// The violations of `after` that were not there before. Where a table holds more than
    /// before but its row ids changed (a rebuild renumbers them), all of its rows are named.
    pub(super) fn added<'a>(&self, after: &'a [Violation]) -> Vec<&'a Violation> {
        let now = IntegrityBaseline::of(after);
        let mut added = Vec::new();
        for (key, rows) in &now.0 {
            let before = self.0.get(key);
            if rows.len() <= before.map_or(0, BTreeSet::len) {
                continue;
            }
            let of_key = after.iter().filter(|v| v.table == key.0 && v.parent == key.1);
            let new: Vec<&Violation> =
                of_key.clone().filter(|v| before.is_none_or(|b| !b.contains(&v.rowid))).collect();
            added.extend(if new.is_empty() { of_key.collect() } else { new });
        }
        added
    }

    /// Moves the baseline to `after` when `revision` added no violation; otherwise the error
    /// that names them, the baseline left as it was.
    pub(super) fn advance(&mut self, after: &[Violation], revision: &crate::script::Revision) -> Result<(), Error> {
        let added = self.added(after);
        if !added.is_empty() {
            return Err(RuntimeError::IntegrityViolation {
                revision: revision.id.clone(),
                path: revision.path.clone(),
                problems: added.iter().map(ToString::to_string).collect(),
            }
            .into());
        }
        *self = IntegrityBaseline::of(after);
        Ok(())
    }
}

/// How long the run waits before the `attempt`th retry of a revision that gave up waiting
/// for a lock: 0.5 s, doubling, at most 10 s, so the blocking query has time to finish.
fn retry_wait(attempt: u32) -> std::time::Duration {
    let millis = 500u64.saturating_mul(1 << attempt.saturating_sub(1).min(5));
    std::time::Duration::from_millis(millis.min(10_000))
}

/// Why a revision did not run.
pub(super) enum StepFailure {
    /// A statement gave up waiting for a lock before anything of its op took effect: the
    /// revision can run again from that op, after `cleanup`.
    /// `recorded`: the attempt is in the history table as failed (it ran outside a
    /// transaction). `ops_done`: the ops that took effect before it (outside a transaction;
    /// 0 in one, which rolled back).
    LockTimeout {
        error: Error,
        cleanup: Vec<Statement>,
        recorded: bool,
        ops_done: usize,
    },
    Other(Error),
}

impl StepFailure {
    pub(super) fn into_error(self) -> Error {
        match self {
            StepFailure::LockTimeout { error, .. } | StepFailure::Other(error) => error,
        }
    }
}

impl From<Error> for StepFailure {
    fn from(error: Error) -> Self {
        StepFailure::Other(error)
    }
}

impl From<RuntimeError> for StepFailure {
    fn from(error: RuntimeError) -> Self {
        StepFailure::Other(error.into())
    }
}

#[allow(clippy::too_many_arguments)] // The run's state, passed as the loop above holds it.
pub(super) async fn run_step(
    graph: &RevisionGraph,
    tables: &StateTables,
    timeouts: &Timeouts,
    session: &mut dyn Session,
    schema: &mut Schema,
    heads: &mut Vec<RevisionId>,
    baseline: &mut IntegrityBaseline,
    step: &Step,
    resume: Option<split::Resume>,
) -> Result<StepReport, StepFailure> {
    let dialect = session.dialect();
    let revision = graph.get(&step.revision).expect("plans only name revisions of their graph");
    let rendered = render_step(dialect, graph, schema, step)?;
    let transaction = session.transaction_sql();
    let in_transaction = dialect.runs_in_transaction(revision.transactional);
    if in_transaction && split::runs_split(&rendered) {
        // A failed segment is resumed by the next run rather than retried here.
        let run = split::SplitRun { graph, tables, timeouts, step, heads, baseline, resume };
        return Ok(run.run(session, &rendered).await?);
    }
    let started = Instant::now();
    let checksum = revision.checksum();
    let (running, failed) = match step.direction {
        Direction::Up => (StepKind::UpgradeRunning, StepKind::UpgradeFailed),
        Direction::Down => (StepKind::DowngradeRunning, StepKind::DowngradeFailed),
    };
    if !in_transaction {
        // Recorded first, so that a failure or a crash part way leaves a trace that stops
        // later runs until someone looks.
        let entry = state::history_entry(&revision.id, running, &checksum, None);
        session
            .execute(&common::insert_history(dialect, tables, &entry).sql)
            .await
            .map_err(db_error("record the revision as running"))?;
    }

    // The timeouts open the transaction, or go first on the session outside one.
    let limits: Vec<String> =
        dialect.timeout_statements(timeouts, in_transaction).into_iter().map(|statement| statement.sql).collect();
    if !in_transaction && !limits.is_empty() {
        session.execute(&limits.join(";\n")).await.map_err(db_error("set the revision's timeouts"))?;
    }
    let mut begin = in_transaction
        .then(|| std::iter::once(transaction.begin.to_owned()).chain(limits).collect::<Vec<_>>().join(";\n"));
    // In a transaction, what must be committed first runs first, each statement on its own.
    let statements = rendered
        .iter()
        .flat_map(|r| r.statements.iter().enumerate().map(move |(position, statement)| (r, position, statement)));
    let (early, in_place): (Vec<_>, Vec<_>) =
        statements.partition(|(_, _, statement)| in_transaction && statement.before_transaction);
    let kept = if early.is_empty() {
        ""
    } else {
        "; the enum values it adds before its transaction stay, as PostgreSQL commits them on their own"
    };
    let sequence = early.into_iter().map(|s| (true, s)).chain(in_place.into_iter().map(|s| (false, s)));
    let mut ran_early = false;
    // Outside a transaction, a try after a lock timeout goes on after the ops that ran.
    let ops_done = if in_transaction { 0 } else { resume.map_or(0, |resume| resume.done) };
    for (early, (RenderedOp { index, op, statements }, position, statement)) in sequence {
        if *index < ops_done {
            continue;
        }
        let result = match begin.take_if(|_| !early) {
            Some(begin) => session.execute(&format!("{begin};\n{}", statement.sql)).await,
            None => session.execute(&statement.sql).await,
        };
        let Err(source) = result else {
            ran_early |= early;
            continue;
        };
        // Nothing took effect when the transaction rolls back (and nothing ran before it), or,
        // outside one, nothing of the op whose first statement failed (the ops before it stay):
        // a lock timeout then is safe to try again from there.
        let nothing_kept = if in_transaction { !early && !ran_early } else { position == 0 };
        let lock_timeout = nothing_kept && dialect.is_lock_timeout(&source);
        let outcome = if early {
            format!("the revision did not start{kept}; the database is still at {}", describe_heads(heads))
        } else if in_transaction {
            session.execute(transaction.rollback).await.ok();
            format!("the revision was rolled back{kept}; the database is still at {}", describe_heads(heads))
        } else {
            let detail = format!(
                "{index} of its {} op(s) ran; op {} ({}) failed at its statement {} of {}: {}",
                rendered.len(),
                index + 1,
                op.describe(),
                position + 1,
                statements.len(),
                crate::runtime::database_message(&source)
            );
            let mark = common::finish_history(dialect, tables, revision.id.as_str(), failed, None, Some(&detail));
            session.execute(&mark.sql).await.ok();
            let partly = if position > 0 {
                format!(", and so did the first {position} statement(s) of op {}", index + 1)
            } else {
                String::new()
            };
            format!(
                "the revision ran outside a transaction, so the ops before op {} took effect{partly}; it is recorded \
                 as unfinished and runs refuse until it is resolved: finish it by hand and run `aludel resolve {} \
                 --applied`, or undo what ran and run `aludel resolve {} --reverted`",
                index + 1,
                revision.id,
                revision.id
            )
        };
        let outcome = if dialect.is_statement_timeout(&source) {
            format!(
                "{outcome}; the statement ran past the revision's statement_timeout ({} ms): a revision that needs \
                 longer sets its own, e.g. `statement_timeout = \"10min\"` (\"0\" for none) at the top of its file",
                timeouts.statement_timeout.as_millis()
            )
        } else {
            outcome
        };
        let error: Error = RuntimeError::StatementFailed {
            revision: revision.id.clone(),
            path: revision.path.clone(),
            direction: direction_word(step.direction),
            op_number: index + 1,
            op: op.describe(),
            statement: statement.sql.clone(),
            outcome,
            source: crate::runtime::DatabaseError(source),
        }
        .into();
        if !lock_timeout {
            return Err(StepFailure::Other(error));
        }
        // A try outside a transaction may have left something behind (the INVALID index of a
        // concurrent build): removed before the next try, unconditionally.
        let cleanup = match dialect.leftover(op) {
            Some(leftover) if !in_transaction => vec![leftover.cleanup],
            _ => Vec::new(),
        };
        let ops_done = if in_transaction { 0 } else { *index };
        return Err(StepFailure::LockTimeout { error, cleanup, recorded: !in_transaction, ops_done });
    }

    let violations = match session.check_integrity().await {
        Ok(violations) => violations,
        Err(source) => {
            if in_transaction {
                session.execute(transaction.rollback).await.ok();
            }
            return Err(db_error("check foreign keys")(source).into());
        }
    };
    if let Err(violation) = baseline.advance(&violations, revision) {
        if in_transaction {
            session.execute(transaction.rollback).await.ok();
        }
        return Err(violation.into());
    }

    let duration = started.elapsed();
    let new_heads = graph.heads_after(heads, step);
    let kind = match step.direction {
        Direction::Up => StepKind::Upgrade,
        Direction::Down => StepKind::Downgrade,
    };
    let mut batch: Vec<String> = Vec::new();
    // Without transactional DDL, the bookkeeping still gets a transaction of its own.
    if let Some(begin) = begin.take().or_else(|| (!in_transaction).then(|| transaction.begin.to_owned())) {
        batch.push(begin);
    }
    batch.extend(state::version_updates(dialect, tables, heads, &new_heads).into_iter().map(|s| s.sql));
    let millis = Some(duration.as_millis() as u64);
    if in_transaction {
        let entry = state::history_entry(&revision.id, kind, &checksum, millis);
        batch.push(common::insert_history(dialect, tables, &entry).sql);
    } else {
        batch.push(common::finish_history(dialect, tables, revision.id.as_str(), kind, millis, None).sql);
    }
    batch.push(transaction.commit.to_owned());
    commit_batch(session, &batch, &transaction, "record the revision in the version table").await?;

    *heads = new_heads;
    Ok(StepReport {
        revision: revision.id.clone(),
        down_revisions: revision.down_revisions.clone(),
        direction: step.direction,
        message: revision.message.clone(),
        duration,
    })
}

/// Sets the version table from `before` to `after`, recording the new heads as stamped and
/// every revision the history records as applied that `after` leaves unapplied as unstamped
/// (so that `verify` does not count it applied, nor miss its file).
async fn stamp(
    graph: &RevisionGraph,
    tables: &StateTables,
    session: &mut dyn Session,
    history: &[state::HistoryRow],
    before: &[RevisionId],
    after: &[RevisionId],
    purge: bool,
) -> Result<(), Error> {
    let dialect = session.dialect();
    let transaction = session.transaction_sql();
    let mut batch = vec![transaction.begin.to_owned()];
    if purge {
        // Whatever the table holds goes, rows that name no revision too.
        batch.push(common::delete_all_heads(dialect, tables).sql);
        batch.extend(after.iter().map(|id| common::insert_head(dialect, tables, id.as_str()).sql));
    } else {
        batch.extend(state::version_updates(dialect, tables, before, after).into_iter().map(|s| s.sql));
    }
    let still_applied = graph.applied(after)?;
    for (id, row) in state::recorded_applied(history).into_iter().filter(|(id, _)| !still_applied.contains(id)) {
        let entry = state::history_entry(&id, StepKind::Unstamp, &row.checksum, None);
        batch.push(common::insert_history(dialect, tables, &entry).sql);
    }
    for id in after.iter().filter(|id| !before.contains(id)) {
        let checksum = graph.get(id).map(|r| r.checksum()).unwrap_or_default();
        let entry = state::history_entry(id, StepKind::Stamp, &checksum, None);
        batch.push(common::insert_history(dialect, tables, &entry).sql);
    }
    batch.push(transaction.commit.to_owned());
    commit_batch(session, &batch, &transaction, "stamp the version table").await
}

/// Records the current checksums of edited applied revisions.
pub(super) async fn accept_changes(
    graph: &RevisionGraph,
    tables: &StateTables,
    mut session: Box<dyn Session>,
) -> Result<Vec<ChecksumMismatch>, Error> {
    let result = async {
        session.lock().await.map_err(db_error(crate::runtime::TAKE_THE_LOCK))?;
        let heads = state::read_heads_if_any(session.as_mut(), tables).await?;
        let history = state::read_latest_history_if_any(session.as_mut(), tables).await?;
        let mismatches = state::checksum_mismatches(graph, &graph.applied(&heads)?, &history);
        if !mismatches.is_empty() {
            let dialect = session.dialect();
            let transaction = session.transaction_sql();
            let mut batch = vec![transaction.begin.to_owned()];
            for mismatch in &mismatches {
                let entry = match &mismatch.current {
                    Some(file) => state::history_entry(&mismatch.revision, StepKind::Accept, &file.checksum, None),
                    None => state::history_entry(&mismatch.revision, StepKind::Removed, &mismatch.recorded, None),
                };
                batch.push(common::insert_history(dialect, tables, &entry).sql);
            }
            batch.push(transaction.commit.to_owned());
            commit_batch(session.as_mut(), &batch, &transaction, "record the accepted checksums").await?;
        }
        session.unlock().await.map_err(db_error("release the migration lock"))?;
        Ok(mismatches)
    }
    .await;
    session.close().await.ok();
    result
}

pub(super) fn unfinished_error(unfinished: state::Unfinished) -> RuntimeError {
    let (verb, state) = unfinished_words(unfinished.kind);
    RuntimeError::Unfinished { revision: unfinished.revision, verb, state, detail: unfinished.detail }
}

/// The command an unfinished revision was run by, and how it stopped.
pub(super) fn unfinished_words(kind: StepKind) -> (&'static str, &'static str) {
    match kind {
        StepKind::UpgradeRunning => ("upgrade", "the process stopped while it ran"),
        StepKind::DowngradeRunning => ("downgrade", "the process stopped while it ran"),
        StepKind::DowngradeFailed => ("downgrade", "it failed"),
        _ => ("upgrade", "it failed"),
    }
}

/// Settles the unfinished revision `target` as `resolution` says, under the migration lock.
pub(super) async fn resolve(
    graph: &RevisionGraph,
    tables: &StateTables,
    mut session: Box<dyn Session>,
    target: &str,
    resolution: Resolution,
) -> Result<RunReport, Error> {
    let outcome = async {
        session.lock().await.map_err(db_error(crate::runtime::TAKE_THE_LOCK))?;
        let result = resolve_locked(graph, tables, session.as_mut(), target, resolution).await;
        session.unlock().await.map_err(db_error("release the migration lock"))?;
        result
    }
    .await;
    session.close().await.ok();
    outcome
}

async fn resolve_locked(
    graph: &RevisionGraph,
    tables: &StateTables,
    session: &mut dyn Session,
    target: &str,
    resolution: Resolution,
) -> Result<RunReport, Error> {
    state::ensure_tables(session, tables).await?;
    let Some(unfinished) = state::read_unfinished(session, tables).await? else {
        return Err(RuntimeError::Resolve(format!(
            "nothing to resolve: every revision finished; `resolve` is for a revision that failed or was interrupted \
             outside a transaction (`{target}` is not one)"
        ))
        .into());
    };
    // The unfinished revision's file is gone (thrown away after it failed): what it ran can
    // still be undone by hand and settled; recording it applied needs its file.
    let file_gone = RevisionId::parse(&unfinished.revision).map_or(true, |id| graph.get(&id).is_none());
    let names_unfinished = file_gone && !target.is_empty() && unfinished.revision.starts_with(target);
    let revision = match graph.resolve(target) {
        Ok(revision) => revision,
        Err(_) if names_unfinished && resolution == Resolution::Reverted => {
            return settle_without_file(session, tables, &unfinished).await;
        }
        Err(_) if names_unfinished => {
            return Err(RuntimeError::Resolve(format!(
                "revision `{}` has no file any more, so it cannot be recorded as applied: restore its file, or undo \
                 what it ran by hand and run `aludel resolve {} --reverted`",
                unfinished.revision, unfinished.revision
            ))
            .into());
        }
        Err(error) => return Err(error.into()),
    };
    if revision.as_str() != unfinished.revision {
        return Err(RuntimeError::Resolve(format!(
            "revision `{revision}` is not the unfinished one; `{}` is: run `aludel resolve {} --applied` or `--reverted`",
            unfinished.revision, unfinished.revision
        ))
        .into());
    }
    let direction = unfinished.direction();
    let dialect = session.dialect();
    let transaction = session.transaction_sql();
    let heads = state::read_heads(session, tables).await?;
    let mut batch = vec![transaction.begin.to_owned()];
    let new_heads = match resolution {
        Resolution::Applied => {
            let new_heads = graph.heads_after(&heads, &Step { revision: revision.clone(), direction });
            batch.extend(state::version_updates(dialect, tables, &heads, &new_heads).into_iter().map(|s| s.sql));
            new_heads
        }
        Resolution::Reverted => heads.clone(),
    };
    let kind = match (resolution, direction) {
        (Resolution::Applied, Direction::Up) => StepKind::Upgrade,
        (Resolution::Applied, Direction::Down) => StepKind::Downgrade,
        (Resolution::Reverted, Direction::Up) => StepKind::UpgradeReverted,
        (Resolution::Reverted, Direction::Down) => StepKind::DowngradeReverted,
    };
    let detail = unfinished.detail.as_deref().map(|d| format!("resolved by hand after: {d}"));
    batch.push(common::finish_history(dialect, tables, revision.as_str(), kind, None, detail.as_deref()).sql);
    batch.push(transaction.commit.to_owned());
    commit_batch(session, &batch, &transaction, "record the resolution").await?;
    let settled = graph.get(&revision).expect("resolved revisions are in the graph");
    let step = StepReport {
        revision: revision.clone(),
        down_revisions: settled.down_revisions.clone(),
        direction,
        message: settled.message.clone(),
        duration: Duration::ZERO,
    };
    Ok(RunReport { steps: vec![step], heads: new_heads })
}

/// Records the unfinished revision, whose file is gone, as undone by hand; the version table
/// is left as it is.
async fn settle_without_file(
    session: &mut dyn Session,
    tables: &StateTables,
    unfinished: &state::Unfinished,
) -> Result<RunReport, Error> {
    let dialect = session.dialect();
    let transaction = session.transaction_sql();
    let heads = state::read_heads(session, tables).await?;
    let kind = match unfinished.kind {
        StepKind::DowngradeRunning | StepKind::DowngradeFailed => StepKind::DowngradeReverted,
        _ => StepKind::UpgradeReverted,
    };
    let detail = format!(
        "resolved by hand without its file{}",
        unfinished.detail.as_deref().map(|d| format!(" after: {d}")).unwrap_or_default()
    );
    let batch = vec![
        transaction.begin.to_owned(),
        common::finish_history(dialect, tables, &unfinished.revision, kind, None, Some(&detail)).sql,
        transaction.commit.to_owned(),
    ];
    commit_batch(session, &batch, &transaction, "record the resolution").await?;
    let step = RevisionId::parse(&unfinished.revision).ok().map(|revision| StepReport {
        revision,
        down_revisions: Vec::new(),
        direction: if kind == StepKind::DowngradeReverted { Direction::Down } else { Direction::Up },
        message: String::new(),
        duration: Duration::ZERO,
    });
    Ok(RunReport { steps: step.into_iter().collect(), heads })
}

fn describe_heads(heads: &[RevisionId]) -> String {
    if heads.is_empty() {
        "base".to_owned()
    } else {
        heads.iter().map(RevisionId::as_str).collect::<Vec<_>>().join(", ")
    }
}

fn reverted_kind(direction: Direction) -> StepKind {
    match direction {
        Direction::Up => StepKind::UpgradeReverted,
        Direction::Down => StepKind::DowngradeReverted,
    }
}

pub(super) fn direction_word(direction: Direction) -> &'static str {
    match direction {
        Direction::Up => "upgrade",
        Direction::Down => "downgrade",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn orphan(table: &str, rowid: Option<i64>) -> Violation {
        Violation { table: table.to_owned(), rowid, parent: "parent".to_owned() }
    }

    #[test]
    fn statements_that_end_the_transaction_are_known() {
        for (sql, controls) in [
            ("COMMIT", true),
            ("  commit;", true),
            ("-- done\nCOMMIT", true),
            ("/* x */ END", true),
            ("BEGIN", true),
            ("begin transaction", true),
            ("START TRANSACTION", true),
            ("ROLLBACK", true),
            ("ROLLBACK TO SAVEPOINT s", false),
            ("rollback to s", false),
            ("ABORT", true),
            ("PREPARE TRANSACTION 'x'", true),
            ("PREPARE stmt AS SELECT 1", false),
            ("DO $$ BEGIN PERFORM 1; END $$", false),
            ("CREATE TRIGGER t AFTER INSERT ON x BEGIN SELECT 1; END", false),
            ("SAVEPOINT s", false),
            ("SELECT 'COMMIT'", false),
            ("committed_at_update()", false),
        ] {
            assert_eq!(controls_the_transaction(sql), controls, "{sql}");
        }
    }

    #[test]
    fn a_revision_answers_for_the_violations_it_adds() {
        let before = IntegrityBaseline::of(&[orphan("child", Some(1)), orphan("other", Some(7))]);
        for (after, expected) in [
            // Nothing new: the older orphans stay, or some were fixed.
            (vec![orphan("child", Some(1)), orphan("other", Some(7))], vec![]),
            (vec![orphan("child", Some(1))], vec![]),
            // A new row of a table that had one, and one of a table that had none.
            (vec![orphan("child", Some(1)), orphan("child", Some(2))], vec![orphan("child", Some(2))]),
            (vec![orphan("fresh", Some(3))], vec![orphan("fresh", Some(3))]),
            // A rebuild renumbered the rows: which one is new cannot be told, so all are named.
            (
                vec![orphan("child", Some(10)), orphan("child", Some(11))],
                vec![orphan("child", Some(10)), orphan("child", Some(11))],
            ),
        ] {
            let added: Vec<Violation> = before.added(&after).into_iter().cloned().collect();
            assert_eq!(added, expected, "{after:?}");
        }
    }
}
