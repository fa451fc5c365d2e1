//! Transactional revisions with statements that must run apart from their transaction (the
//! online forms: a concurrent index build, a constraint validated in a transaction of its
//! own): such a revision runs in segments, each committed before the next starts.
//!
//! The ops between two such statements share one transaction; a `NoTransaction` op runs in
//! autocommit; an `OwnTransaction` op gets a transaction of its own. As for a revision outside
//! a transaction, a history row records the revision as running before its first segment; each
//! committed segment writes how many ops ran, and their checksum, into that row (in the
//! segment's transaction where it has one), and the last step turns it into the finished one
//! with the version update. A failed segment leaves the row failed, and the next run of the
//! same revision resumes at the op that failed, first removing what a failed concurrent build
//! left behind ([`Dialect::leftover`](crate::dialect::Dialect::leftover)): no `resolve` by
//! hand. The cause may be fixed in the file, from the op that failed on: the run resumes while
//! the ops that ran read as they ran, and records the file's checksum as it reads now. As the
//! fix may rename what the failed op builds, the failed row records its leftover by the name it
//! had ([`Dialect::recorded_leftover`](crate::dialect::Dialect::recorded_leftover)), and the
//! resumed run drops that first, while it is still INVALID. A fresh run drops an INVALID index
//! of its concurrent builds too (left by a run resolved as reverted).

use std::ops::Range;
use std::time::{Duration, Instant};

use crate::Error;
use crate::config::Timeouts;
use crate::dialect::common::{self, StepKind};
use crate::dialect::{Dialect, Placement, Session, StateTables, Statement};
use crate::ops::Op;
use crate::runtime::runner::{IntegrityBaseline, RenderedOp, before_transaction, direction_word, render_step};
use crate::runtime::state::{self, RanOpsChanged, Unfinished};
use crate::runtime::{RuntimeError, StepReport};
use crate::schema::Schema;
use crate::script::{Direction, Plan, Revision, RevisionGraph, RevisionId, Step, checksum};

/// Ops of a revision that commit together.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Segment {
    /// Positions of the ops in the revision.
    pub(super) ops: Range<usize>,
    /// Whether they run in a transaction (else each statement commits on its own).
    pub(super) transaction: bool,
    /// Whether it is one op placed apart (a concurrent build, a validation), which lets
    /// writers on however long it runs.
    pub(super) apart: bool,
}

/// The timeouts a segment sets first: the revision's, in its transaction; for an op placed
/// apart the lock timeout alone, as it lets writers on however long it runs (a statement
/// timeout would only cut a long concurrent build short), on the session when it runs
/// outside a transaction.
pub(super) fn segment_timeouts(dialect: &dyn Dialect, timeouts: &Timeouts, segment: &Segment) -> Vec<Statement> {
    let timeouts = if segment.apart { Timeouts { statement_timeout: Duration::ZERO, ..*timeouts } } else { *timeouts };
    dialect.timeout_statements(&timeouts, segment.transaction)
}

fn placement(op: &RenderedOp<'_>) -> Placement {
    op.statements.iter().filter(|s| !s.before_transaction).map(|s| s.placement).max().unwrap_or_default()
}

/// Whether a transactional revision rendered as `rendered` runs in segments.
pub(super) fn runs_split(rendered: &[RenderedOp<'_>]) -> bool {
    rendered.iter().any(|op| placement(op) != Placement::InRevision)
}

/// The segments of `rendered`, in order: every op that must run apart alone, the ops
/// between them together.
pub(super) fn segments(rendered: &[RenderedOp<'_>]) -> Vec<Segment> {
    let mut segments = Vec::new();
    let mut start = 0;
    for (index, op) in rendered.iter().enumerate() {
        let placement = placement(op);
        if placement == Placement::InRevision {
            continue;
        }
        if start < index {
            segments.push(Segment { ops: start..index, transaction: true, apart: false });
        }
        let transaction = placement == Placement::OwnTransaction;
        segments.push(Segment { ops: index..index + 1, transaction, apart: true });
        start = index + 1;
    }
    if start < rendered.len() {
        segments.push(Segment { ops: start..rendered.len(), transaction: true, apart: false });
    }
    segments
}

/// The progress a history row records: how many of the revision's `ops` took effect and,
/// when any did, their checksum, which a later run compares to resume after them only while
/// they read as they ran, and each one's, which tells the first that changed; then the name
/// of what the op that failed left behind, if anything.
fn progress(done: usize, ops: &[Op], leftover: Option<&str>) -> String {
    let total = ops.len();
    let mut progress = match ops.get(..done) {
        Some(ran) if done > 0 => {
            let each: Vec<String> = ran.iter().map(op_checksum).collect();
            format!(
                "{done} of its {total} op(s) ran{RAN_CHECKSUM}{}){EACH_OP}{})",
                checksum::ops_checksum(ran),
                each.join(" ")
            )
        }
        _ => format!("{done} of its {total} op(s) ran"),
    };
    if let Some(name) = leftover {
        // Backticks doubled, so that the name reads back whatever it holds.
        progress.push_str(&format!("{LEFT_BEHIND}{}`", name.replace('`', "``")));
    }
    progress
}

/// What follows the count in a progress that records the checksum of the ops that ran.
const RAN_CHECKSUM: &str = " (their checksum: ";

/// What opens the checksums of the ops that ran one by one, after theirs together (where
/// earlier versions, which read up to the first `)`, do not see it).
const EACH_OP: &str = " (op by op: ";

/// A short checksum of `op` alone: it only tells which op changed, the checksum of all the
/// ops that ran decides whether any did.
fn op_checksum(op: &Op) -> String {
    let mut checksum = checksum::ops_checksum(std::slice::from_ref(op));
    checksum.truncate(8);
    checksum
}

/// What opens the name of a leftover in a progress, after the checksum; a backtick closes it.
const LEFT_BEHIND: &str = "; left behind: `";

/// What a history row's progress says.
#[derive(Debug, PartialEq, Eq)]
struct Progress<'a> {
    /// The ops that took effect.
    done: usize,
    /// Their checksum; `None` in rows earlier versions wrote.
    ran: Option<&'a str>,
    /// Each one's ([`op_checksum`]), space-separated; `None` in rows earlier versions wrote.
    each: Option<&'a str>,
    /// What the op that failed left behind, by the name its probe gave; `None` in rows
    /// earlier versions wrote.
    leftover: Option<String>,
}

/// The progress recorded in `detail`; none recorded means none ran.
fn read_progress(detail: Option<&str>) -> Option<Progress<'_>> {
    let Some(detail) = detail else { return Some(Progress { done: 0, ran: None, each: None, leftover: None }) };
    let (done, rest) = detail.split_once(" of its ")?;
    let (_, after) = rest.split_once(" op(s) ran")?;
    let (ran, after) = match after.strip_prefix(RAN_CHECKSUM).and_then(|rest| rest.split_once(')')) {
        Some((ran, after)) => (Some(ran), after),
        None => (None, after),
    };
    let (each, after) = match after.strip_prefix(EACH_OP).and_then(|rest| rest.split_once(')')) {
        Some((each, after)) => (Some(each), after),
        None => (None, after),
    };
    let leftover = after.strip_prefix(LEFT_BEHIND).and_then(read_until_backtick);
    Some(Progress { done: done.parse().ok()?, ran, each, leftover })
}

/// The text before the first single backtick of `text`, a doubled one read as one; `None`
/// when no backtick closes it.
fn read_until_backtick(text: &str) -> Option<String> {
    let mut read = String::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '`' {
            read.push(c);
        } else if chars.next_if_eq(&'`').is_some() {
            read.push('`');
        } else {
            return Some(read);
        }
    }
    None
}

/// Whether `revision` runs in segments on `dialect` when its ops place some apart.
pub(super) fn can_run_in_segments(revision: &Revision, dialect: &dyn Dialect) -> bool {
    revision.transactional && dialect.has_transactional_ddl() && dialect.can_run_outside_transaction()
}

/// How the file of a revision that did not finish compares with what of it took effect.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum RanOps {
    /// The `done` ops that took effect read as they ran: a run resumes after them, whatever
    /// changed after them.
    Unchanged { done: usize },
    /// Some of the `done` ops that took effect read otherwise now, the first at `first`
    /// (unknown in rows earlier versions wrote).
    Changed { done: usize, first: Option<usize> },
    /// Nothing tells: the row records no progress this version reads, or (written by an
    /// earlier version, without the checksum of the ops that ran) the file changed.
    Unknown,
}

/// [`RanOps`] of the unfinished `revision` as its file reads now.
pub(super) fn ran_ops(unfinished: &Unfinished, revision: &Revision) -> RanOps {
    let Some(Progress { done, ran, each, .. }) = read_progress(unfinished.detail.as_deref()) else {
        return RanOps::Unknown;
    };
    let ops = revision.ops(unfinished.direction());
    match ran {
        // No op took effect, so none can have changed.
        _ if done == 0 => RanOps::Unchanged { done },
        Some(ran) => match ops.get(..done) {
            Some(now) if checksum::ops_checksum(now) == ran => RanOps::Unchanged { done },
            _ => RanOps::Changed { done, first: first_changed(each, ops, done) },
        },
        // Earlier versions recorded no checksum of the ops that ran: the whole file must match.
        None if checksum::matches(&unfinished.checksum, revision) => RanOps::Unchanged { done },
        None => RanOps::Unknown,
    }
}

/// The position of the first of the `done` ops that ran that `ops` holds otherwise now (or
/// no longer holds), by the checksums of each one the progress recorded (`each`).
fn first_changed(each: Option<&str>, ops: &[Op], done: usize) -> Option<usize> {
    let each: Vec<&str> = each?.split(' ').collect();
    if each.len() != done {
        return None;
    }
    (0..done).find(|&index| ops.get(index).is_none_or(|op| op_checksum(op) != each[index]))
}

/// Where a run resumes a revision that failed in segments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Resume {
    /// How many of its ops took effect (the first ones): it resumes at the next.
    pub(super) done: usize,
    /// What the op that failed left behind, by the name it had then (the fix may have renamed
    /// the op since), for [`Dialect::recorded_leftover`].
    pub(super) leftover: Option<String>,
}

/// Where the first step of `plan` resumes the revision `unfinished` left: after the ops that
/// took effect, removing first what the op that failed left behind.
///
/// # Errors
///
/// [`RuntimeError::RanOpsChanged`] when ops that took effect changed in the file since;
/// [`RuntimeError::Unfinished`] (from `refuse`) unless the plan starts with that revision in
/// the same direction, it runs in segments and its file still holds what ran.
pub(super) fn resume_point(
    graph: &RevisionGraph,
    dialect: &dyn Dialect,
    schema: &Schema,
    plan: &Plan,
    unfinished: Unfinished,
    refuse: impl FnOnce(Unfinished) -> RuntimeError,
) -> Result<Resume, Error> {
    let step = plan.steps.first().filter(|s| s.revision.as_str() == unfinished.revision);
    let step = step.filter(|s| s.direction == unfinished.direction());
    let revision = step.and_then(|s| graph.get(&s.revision));
    let (Some(step), Some(revision)) = (step, revision.filter(|r| can_run_in_segments(r, dialect))) else {
        return Err(refuse(unfinished).into());
    };
    match ran_ops(&unfinished, revision) {
        // Said first: an edit to what ran may also be what keeps the revision from running
        // in segments.
        RanOps::Changed { done, first } => {
            Err(RuntimeError::RanOpsChanged(RanOpsChanged::of(&unfinished, revision, done, first)).into())
        }
        RanOps::Unchanged { done } => {
            let rendered = render_step(dialect, graph, &mut schema.clone(), step).ok();
            match rendered {
                Some(rendered) if runs_split(&rendered) && done <= rendered.len() => {
                    let leftover = read_progress(unfinished.detail.as_deref()).and_then(|p| p.leftover);
                    Ok(Resume { done, leftover })
                }
                _ => Err(refuse(unfinished).into()),
            }
        }
        RanOps::Unknown => Err(refuse(unfinished).into()),
    }
}

/// The segments of `rendered` from op `first` on, where a run resumes: a transactional
/// segment that starts before it (an op after it, no longer placed apart, joined it) keeps
/// only its ops from `first`.
fn segments_from(rendered: &[RenderedOp<'_>], first: usize) -> Vec<Segment> {
    segments(rendered)
        .into_iter()
        .filter(|segment| segment.ops.end > first)
        .map(|segment| Segment { ops: segment.ops.start.max(first)..segment.ops.end, ..segment })
        .collect()
}

/// What a segment's failure needs to report.
struct Failure {
    op: usize,
    position: usize,
    statement: String,
    source: sqlx::Error,
}

/// The state a split step runs in.
pub(super) struct SplitRun<'a> {
    pub(super) graph: &'a RevisionGraph,
    pub(super) tables: &'a StateTables,
    /// The revision's timeouts.
    pub(super) timeouts: &'a Timeouts,
    pub(super) step: &'a Step,
    pub(super) heads: &'a mut Vec<RevisionId>,
    pub(super) baseline: &'a mut IntegrityBaseline,
    /// Where an earlier run stopped, when resuming.
    pub(super) resume: Option<Resume>,
}

impl SplitRun<'_> {
    /// Runs the step's segments, then records it.
    pub(super) async fn run(self, session: &mut dyn Session, rendered: &[RenderedOp<'_>]) -> Result<StepReport, Error> {
        let SplitRun { graph, tables, timeouts, step, heads, baseline, resume } = self;
        let dialect = session.dialect();
        let transaction = session.transaction_sql();
        let revision = graph.get(&step.revision).expect("plans only name revisions of their graph");
        let (running, failed, finished) = match step.direction {
            Direction::Up => (StepKind::UpgradeRunning, StepKind::UpgradeFailed, StepKind::Upgrade),
            Direction::Down => (StepKind::DowngradeRunning, StepKind::DowngradeFailed, StepKind::Downgrade),
        };
        let ops = revision.ops(step.direction);
        let total = rendered.len();
        let checksum = revision.checksum();
        let started = Instant::now();
        let record = |kind: StepKind, detail: &str| {
            common::finish_history(dialect, tables, revision.id.as_str(), kind, None, Some(detail)).sql
        };
        let resume_at = resume.as_ref().map(|resume| resume.done);
        let first = resume_at.unwrap_or(0);
        // Kept in the row until removed, so that a run that dies first leaves it recorded.
        let mut recorded_leftover = resume.and_then(|resume| resume.leftover);
        let mark = match resume_at {
            None => {
                common::insert_history(dialect, tables, &state::history_entry(&revision.id, running, &checksum, None))
                    .sql
            }
            // The file may have changed after the ops that ran: the row records the one that
            // runs now, which the finished step keeps.
            Some(done) => format!(
                "{};\n{}",
                record(running, &progress(done, ops, recorded_leftover.as_deref())),
                common::set_unfinished_checksum(dialect, tables, revision.id.as_str(), &checksum).sql
            ),
        };
        session.execute(&mark).await.map_err(db_error("record the revision as running"))?;

        let mut outcome = Ok(());
        // Whether anything of the revision was committed by this run.
        let mut committed = false;
        // Enum values first, each committed on its own (`IF NOT EXISTS`: safe to repeat).
        for statement in before_transaction(rendered) {
            if let Err(source) = session.execute(&statement.sql).await {
                let op = rendered.iter().position(|r| r.statements.contains(statement)).unwrap_or(0);
                outcome = Err(Failure { op, position: 0, statement: statement.sql.clone(), source });
                break;
            }
            committed = true;
        }
        if outcome.is_ok()
            && let Some(name) = &recorded_leftover
        {
            outcome = remove_recorded_leftover(session, name, first.min(total - 1)).await;
            if outcome.is_ok() {
                recorded_leftover = None;
            }
        }
        let mut done = first;
        for segment in &segments_from(rendered, first) {
            if outcome.is_err() {
                break;
            }
            // Resuming, whatever a failed try left; on a fresh run too, the INVALID index of a
            // concurrent build that failed before the revision was resolved as reverted (it
            // would make the build fail on "already exists").
            if resume_at == Some(segment.ops.start) || !segment.transaction {
                let fresh = resume_at != Some(segment.ops.start);
                outcome = remove_leftover(session, rendered, segment, fresh).await;
                if outcome.is_err() {
                    break;
                }
            }
            let progressed = record(running, &progress(segment.ops.end, ops, None));
            let limits: Vec<String> = segment_timeouts(dialect, timeouts, segment).into_iter().map(|s| s.sql).collect();
            outcome = if segment.transaction {
                run_in_transaction(session, rendered, segment, (&limits, &progressed), &transaction).await
            } else {
                run_in_autocommit(session, rendered, segment, (&limits, &progressed)).await
            };
            if outcome.is_ok() {
                done = segment.ops.end;
            } else {
                // A failed segment outside a transaction may leave part of its op behind.
                committed |= !segment.transaction;
            }
        }
        if let Err(Failure { op, position, statement, source }) = outcome {
            let failed_op = &rendered[op];
            let verb = direction_word(step.direction);
            let (kind, detail, outcome) = if resume_at.is_none() && done == 0 && !committed {
                // The first segment's transaction was rolled back: nothing took effect, so
                // nothing is left to resolve (the file may even be thrown away).
                let reverted = match step.direction {
                    Direction::Up => StepKind::UpgradeReverted,
                    Direction::Down => StepKind::DowngradeReverted,
                };
                let detail = format!(
                    "nothing took effect: op {} ({}) failed and its transaction was rolled back: {}",
                    op + 1,
                    failed_op.op.describe(),
                    crate::runtime::database_message(&source)
                );
                let outcome = format!(
                    "nothing of the revision took effect (the transaction of its first step was rolled back); fix \
                     the cause and run the {verb} again"
                );
                (reverted, detail, outcome)
            } else {
                // Recorded by the name it has now: a fix may rename the op before the resume.
                let left_behind = match dialect.leftover(failed_op.op) {
                    Some(leftover) if placement(failed_op) != Placement::InRevision => {
                        session.query_text(&leftover.probe).await.ok().and_then(first_cell)
                    }
                    _ => None,
                };
                let detail = format!(
                    "{}; op {} ({}) failed at its statement {} of {}: {}",
                    progress(done, ops, left_behind.or(recorded_leftover).as_deref()),
                    op + 1,
                    failed_op.op.describe(),
                    position + 1,
                    failed_op.statements.len(),
                    crate::runtime::database_message(&source)
                );
                // The next run compares the ops that ran with the file: it resumes only while
                // they read as they ran.
                let kept = match done {
                    0 => String::new(),
                    1 => " (op 1 must stay in the file as it ran)".to_owned(),
                    done => format!(" (ops 1 to {done} must stay in the file as they ran)"),
                };
                let outcome = format!(
                    "the revision runs in steps, as it builds indexes concurrently or validates constraints apart \
                     from its transaction: its first {done} op(s) took effect and are recorded{kept}; fix the cause \
                     (in the database, or in the file from op {next} on) and run the {verb} again, which resumes at op \
                     {next} (dropping what a failed concurrent build left), or settle it with `aludel resolve {}`",
                    revision.id,
                    next = done + 1,
                );
                (failed, detail, outcome)
            };
            session.execute(&record(kind, &detail)).await.ok();
            return Err(RuntimeError::StatementFailed {
                revision: revision.id.clone(),
                path: revision.path.clone(),
                direction: verb,
                op_number: op + 1,
                op: failed_op.op.describe(),
                statement,
                outcome,
                source: crate::runtime::DatabaseError(source),
            }
            .into());
        }

        let violations = session.check_integrity().await.map_err(db_error("check foreign keys"))?;
        if let Err(violation) = baseline.advance(&violations, revision) {
            session.execute(&record(failed, &progress(total, ops, None))).await.ok();
            return Err(violation);
        }

        let duration = started.elapsed();
        let new_heads = graph.heads_after(heads, step);
        let mut batch = vec![transaction.begin.to_owned()];
        batch.extend(state::version_updates(dialect, tables, heads, &new_heads).into_iter().map(|s| s.sql));
        let millis = Some(duration.as_millis() as u64);
        batch.push(common::finish_history(dialect, tables, revision.id.as_str(), finished, millis, None).sql);
        batch.push(transaction.commit.to_owned());
        if let Err(source) = session.execute(&batch.join(";\n")).await {
            session.execute(transaction.rollback).await.ok();
            return Err(db_error("record the revision in the version table")(source));
        }
        *heads = new_heads;
        Ok(StepReport {
            revision: revision.id.clone(),
            down_revisions: revision.down_revisions.clone(),
            direction: step.direction,
            message: revision.message.clone(),
            duration,
        })
    }
}

use crate::runtime::db_error;

/// The statements of the segment's ops that run in place (not before the transaction).
fn statements<'r>(rendered: &'r [RenderedOp<'_>], segment: &Segment) -> impl Iterator<Item = (usize, usize, &'r str)> {
    rendered[segment.ops.clone()].iter().flat_map(|r| {
        r.statements
            .iter()
            .enumerate()
            .filter(|(_, s)| !s.before_transaction)
            .map(move |(position, s)| (r.index, position, s.sql.as_str()))
    })
}

/// Runs a segment in one transaction that sets its timeouts (`limits`) first and records its
/// progress (`done`) last.
async fn run_in_transaction(
    session: &mut dyn Session,
    rendered: &[RenderedOp<'_>],
    segment: &Segment,
    (limits, done): (&[String], &str),
    transaction: &crate::dialect::TransactionSql,
) -> Result<(), Failure> {
    let fail =
        |op, position, statement: &str, source| Failure { op, position, statement: statement.to_owned(), source };
    let begin = std::iter::once(transaction.begin.to_owned()).chain(limits.iter().cloned()).collect::<Vec<_>>();
    let begin = begin.join(";\n");
    if let Err(source) = session.execute(&begin).await {
        return Err(fail(segment.ops.start, 0, &begin, source));
    }
    for (op, position, sql) in statements(rendered, segment) {
        if let Err(source) = session.execute(sql).await {
            session.execute(transaction.rollback).await.ok();
            return Err(fail(op, position, sql, source));
        }
    }
    let commit = format!("{done};\n{}", transaction.commit);
    if let Err(source) = session.execute(&commit).await {
        session.execute(transaction.rollback).await.ok();
        return Err(fail(segment.ops.end - 1, 0, transaction.commit, source));
    }
    Ok(())
}

/// Runs a segment's statements each on its own, after its timeouts (`limits`), then records
/// its progress (`done`).
async fn run_in_autocommit(
    session: &mut dyn Session,
    rendered: &[RenderedOp<'_>],
    segment: &Segment,
    (limits, done): (&[String], &str),
) -> Result<(), Failure> {
    if !limits.is_empty() {
        let sql = limits.join(";\n");
        if let Err(source) = session.execute(&sql).await {
            return Err(Failure { op: segment.ops.start, position: 0, statement: sql, source });
        }
    }
    for (op, position, sql) in statements(rendered, segment) {
        if let Err(source) = session.execute(sql).await {
            return Err(Failure { op, position, statement: sql.to_owned(), source });
        }
    }
    session.execute(done).await.map_err(|source| Failure {
        op: segment.ops.end - 1,
        position: 0,
        statement: done.to_owned(),
        source,
    })
}

/// The first column of the first row, if any.
fn first_cell(rows: Vec<Vec<Option<String>>>) -> Option<String> {
    rows.into_iter().next()?.into_iter().next().flatten()
}

/// Removes the leftover `name` that the op at `op` left when it failed, if it is still there
/// and unusable (see [`Dialect::recorded_leftover`]).
async fn remove_recorded_leftover(session: &mut dyn Session, name: &str, op: usize) -> Result<(), Failure> {
    let Some(leftover) = session.dialect().recorded_leftover(name) else { return Ok(()) };
    let fail = |statement: &str, source| Failure { op, position: 0, statement: statement.to_owned(), source };
    let found = session.query_text(&leftover.probe).await.map_err(|source| fail(&leftover.probe, source))?;
    if !found.is_empty() {
        session.execute(&leftover.cleanup.sql).await.map_err(|source| fail(&leftover.cleanup.sql, source))?;
    }
    Ok(())
}

/// Removes what a failed run of the segment's ops left behind, before they run again; on a
/// `fresh` run only an index build's INVALID index, which nothing can use, so that an index
/// of the same name some other way came about is never dropped.
async fn remove_leftover(
    session: &mut dyn Session,
    rendered: &[RenderedOp<'_>],
    segment: &Segment,
    fresh: bool,
) -> Result<(), Failure> {
    let dialect = session.dialect();
    for rendered_op in &rendered[segment.ops.clone()] {
        if fresh && !matches!(rendered_op.op, Op::CreateIndex(_)) {
            continue;
        }
        let Some(leftover) = dialect.leftover(rendered_op.op) else { continue };
        let fail = |statement: &str, source| Failure {
            op: rendered_op.index,
            position: 0,
            statement: statement.to_owned(),
            source,
        };
        let found = session.query_text(&leftover.probe).await.map_err(|source| fail(&leftover.probe, source))?;
        if !found.is_empty() {
            session.execute(&leftover.cleanup.sql).await.map_err(|source| fail(&leftover.cleanup.sql, source))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dialect::Statement;

    #[test]
    fn ops_apart_from_the_transaction_split_it_into_segments() {
        let op = Op::Sql { sql: "SELECT 1".into(), down: None, dialect: None };
        let of = |placements: &[Placement]| -> Vec<RenderedOp<'_>> {
            placements
                .iter()
                .enumerate()
                .map(|(index, placement)| RenderedOp {
                    index,
                    op: &op,
                    statements: vec![Statement::apart("SELECT 1", *placement)],
                })
                .collect()
        };
        use Placement::{InRevision as In, NoTransaction as No, OwnTransaction as Own};
        let segment = |ops: Range<usize>, transaction, apart| Segment { ops, transaction, apart };
        for (placements, expected) in [
            (vec![In, In], vec![segment(0..2, true, false)]),
            (
                vec![In, No, In, In],
                vec![segment(0..1, true, false), segment(1..2, false, true), segment(2..4, true, false)],
            ),
            (vec![No, Own], vec![segment(0..1, false, true), segment(1..2, true, true)]),
            (vec![In, Own], vec![segment(0..1, true, false), segment(1..2, true, true)]),
        ] {
            let rendered = of(&placements);
            assert_eq!(segments(&rendered), expected, "{placements:?}");
            assert_eq!(runs_split(&rendered), placements.iter().any(|p| *p != In));
        }
    }

    fn sql(sql: &str) -> Op {
        Op::Sql { sql: sql.into(), down: None, dialect: None }
    }

    #[test]
    fn the_recorded_progress_reads_back() {
        let ops = [sql("SELECT 1"), sql("SELECT 2"), sql("SELECT 3"), sql("SELECT 4"), sql("SELECT 5")];
        let ran = checksum::ops_checksum(&ops[..3]);
        let each = ops[..3].iter().map(op_checksum).collect::<Vec<_>>().join(" ");
        fn read<'a>(
            done: usize,
            ran: Option<&'a str>,
            each: Option<&'a str>,
            leftover: Option<&str>,
        ) -> Option<Progress<'a>> {
            Some(Progress { done, ran, each, leftover: leftover.map(str::to_owned) })
        }
        let (ran, each) = (ran.as_str(), each.as_str());
        assert_eq!(read_progress(None), read(0, None, None, None));
        assert_eq!(progress(0, &ops, None), "0 of its 5 op(s) ran");
        assert_eq!(progress(3, &ops, None), format!("3 of its 5 op(s) ran (their checksum: {ran}) (op by op: {each})"));
        assert_eq!(each.split(' ').map(str::len).collect::<Vec<_>>(), [8, 8, 8]);
        assert_eq!(read_progress(Some(&progress(3, &ops, None))), read(3, Some(ran), Some(each), None));
        let failed = format!("{}; op 4 (x) failed: no (their checksum: abc)", progress(3, &ops, None));
        assert_eq!(read_progress(Some(&failed)), read(3, Some(ran), Some(each), None));
        // The leftover of the op that failed, whatever its name holds and the message says.
        let left = progress(3, &ops, Some("public.\"ix `a`\""));
        let expected = format!(
            "3 of its 5 op(s) ran (their checksum: {ran}) (op by op: {each}); left behind: `public.\"ix ``a``\"`"
        );
        assert_eq!(left, expected);
        let failed = format!("{left}; op 4 (x) failed: no; left behind: `other`");
        assert_eq!(read_progress(Some(&failed)), read(3, Some(ran), Some(each), Some("public.\"ix `a`\"")));
        let none_ran = format!("{}; op 1 (x) failed: no", progress(0, &ops, Some("public.ix_a")));
        assert_eq!(read_progress(Some(&none_ran)), read(0, None, None, Some("public.ix_a")));
        // As earlier versions wrote it: no checksum, whatever the database's message says.
        let earlier = "3 of its 5 op(s) ran; op 4 (x) failed: no (their checksum: abc)";
        assert_eq!(read_progress(Some(earlier)), read(3, None, None, None));
        // Nor the checksum of each op, nor any leftover, whatever the message says.
        let earlier = format!("3 of its 5 op(s) ran (their checksum: {ran}); op 4 (x) failed: no (op by op: a)");
        assert_eq!(read_progress(Some(&earlier)), read(3, Some(ran), None, None));
        let earlier = format!("{}; op 4 (x) failed: no; left behind: `x`", progress(3, &ops, None));
        assert_eq!(read_progress(Some(&earlier)), read(3, Some(ran), Some(each), None));
        assert_eq!(read_progress(Some("3 of its 5 op(s) ran; left behind: `unclosed")), read(3, None, None, None));
        assert_eq!(read_progress(Some("something else")), None);
    }

    fn revision(upgrade: &[&str], downgrade: &[&str]) -> Revision {
        let ops = |kind: &str, ops: &[&str]| -> String {
            ops.iter().map(|sql| format!("[[{kind}]]\nop = \"sql\"\nsql = \"{sql}\"\n")).collect()
        };
        let text = format!("revision = \"r2\"\n{}{}", ops("upgrade", upgrade), ops("downgrade", downgrade));
        Revision::parse(&text, std::path::Path::new("r2_x.toml")).expect("a valid revision")
    }

    fn failed(kind: StepKind, ran: &Revision, done: usize, detail: impl FnOnce(&str) -> String) -> Unfinished {
        let progress = progress(
            done,
            ran.ops(if kind == StepKind::DowngradeFailed { Direction::Down } else { Direction::Up }),
            None,
        );
        Unfinished {
            revision: "r2".into(),
            kind,
            detail: Some(detail(&progress)),
            checksum: ran.checksum(),
            resumable: false,
            ran_ops_changed: None,
        }
    }

    /// A run resumes while the ops that took effect read as they ran, whatever changed after
    /// them; rows earlier versions wrote keep needing the whole file unchanged.
    #[test]
    fn what_ran_decides_whether_a_run_resumes() {
        let ran = revision(&["SELECT 1", "SELECT 2", "SELECT x"], &["SELECT 4", "SELECT y"]);
        let up = failed(StepKind::UpgradeFailed, &ran, 2, |p| format!("{p}; op 3 (sql) failed: syntax"));
        let down = failed(StepKind::DowngradeFailed, &ran, 1, |p| format!("{p}; op 2 (sql) failed: syntax"));
        let earlier = failed(StepKind::UpgradeFailed, &ran, 2, |_| "2 of its 3 op(s) ran; op 3 (sql) failed".into());
        let none_ran = failed(StepKind::UpgradeFailed, &ran, 0, |p| format!("{p}; op 1 (sql) failed: syntax"));
        let unchanged = |done| RanOps::Unchanged { done };
        let changed = |done, first| RanOps::Changed { done, first: Some(first) };
        for (what, now, expected) in [
            (
                "as it ran",
                revision(&["SELECT 1", "SELECT 2", "SELECT x"], &["SELECT 4", "SELECT y"]),
                [unchanged(2), unchanged(1), unchanged(2), unchanged(0)],
            ),
            (
                "the failed ops fixed",
                revision(&["SELECT 1", "SELECT 2", "SELECT 3"], &["SELECT 4", "SELECT 5"]),
                [unchanged(2), unchanged(1), RanOps::Unknown, unchanged(0)],
            ),
            (
                "an op after them added",
                revision(&["SELECT 1", "SELECT 2", "SELECT 3", "SELECT 9"], &["SELECT 4"]),
                [unchanged(2), unchanged(1), RanOps::Unknown, unchanged(0)],
            ),
            (
                "an op that ran changed",
                revision(&["SELECT 1", "SELECT 0", "SELECT x"], &["SELECT 0", "SELECT y"]),
                [changed(2, 1), changed(1, 0), RanOps::Unknown, unchanged(0)],
            ),
            (
                "ops that ran removed",
                revision(&["SELECT 1"], &[]),
                [changed(2, 1), changed(1, 0), RanOps::Unknown, unchanged(0)],
            ),
        ] {
            let judged = [&up, &down, &earlier, &none_ran].map(|unfinished| ran_ops(unfinished, &now));
            assert_eq!(judged, expected, "{what}");
        }
        let unreadable = Unfinished { detail: Some("something else".into()), ..up };
        assert_eq!(ran_ops(&unreadable, &ran), RanOps::Unknown);
    }

    /// The refusal names the first op that ran and changed since, by the checksums of each
    /// op the progress recorded; a row without them says only that some did.
    #[test]
    fn the_refusal_names_the_first_op_that_changed() {
        let ran = revision(&["SELECT 1", "SELECT 2", "SELECT 3", "SELECT x"], &[]);
        let up = failed(StepKind::UpgradeFailed, &ran, 3, |p| format!("{p}; op 4 (sql) failed: syntax"));
        let without_each = Unfinished {
            detail: up.detail.as_deref().map(|detail| {
                let (head, tail) = detail.split_once(EACH_OP).expect("the checksum of each op");
                format!("{head}{}", tail.split_once(')').expect("closed").1)
            }),
            ..up.clone()
        };
        for (what, now, unfinished, expected) in [
            (
                "the second changed",
                revision(&["SELECT 1", "SELECT 0", "SELECT 9", "SELECT 4"], &[]),
                &up,
                "its ops 1 to 3 took effect, and op 2 of them changed in the file since (it reads `sql SELECT 0` now)",
            ),
            (
                "the third removed",
                revision(&["SELECT 1", "SELECT 2"], &[]),
                &up,
                "its ops 1 to 3 took effect, and op 3 of them is no longer in the file",
            ),
            (
                "a row without the checksum of each op",
                revision(&["SELECT 1", "SELECT 0", "SELECT 3", "SELECT 4"], &[]),
                &without_each,
                "its ops 1 to 3 took effect, and one or more of them changed in the file since",
            ),
        ] {
            let RanOps::Changed { done, first } = ran_ops(unfinished, &now) else { panic!("{what}: not changed") };
            let message = RanOpsChanged::of(unfinished, &now, done, first).to_string();
            assert!(message.contains(expected), "{what}: {message}");
        }
    }

    /// Resumed after op 2 where op 3, placed apart when the run failed, no longer is and
    /// joins the ops before it: the segment keeps only the ops that did not run.
    #[test]
    fn a_resumed_run_starts_at_the_first_op_that_did_not_run() {
        let op = sql("SELECT 1");
        let rendered: Vec<RenderedOp<'_>> =
            [Placement::InRevision, Placement::InRevision, Placement::InRevision, Placement::NoTransaction]
                .into_iter()
                .enumerate()
                .map(|(index, placement)| RenderedOp {
                    index,
                    op: &op,
                    statements: vec![Statement::apart("SELECT 1", placement)],
                })
                .collect();
        let segment = |ops: Range<usize>, transaction, apart| Segment { ops, transaction, apart };
        assert_eq!(segments_from(&rendered, 0), [segment(0..3, true, false), segment(3..4, false, true)]);
        assert_eq!(segments_from(&rendered, 2), [segment(2..3, true, false), segment(3..4, false, true)]);
        assert_eq!(segments_from(&rendered, 3), [segment(3..4, false, true)]);
        assert_eq!(segments_from(&rendered, 4), []);
    }
}
