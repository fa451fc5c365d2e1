//! Transactional revisions with statements that must run apart from their transaction (the
//! online forms: a concurrent index build, a constraint validated in a transaction of its
//! own): such a revision runs in segments, each committed before the next starts.
//!
//! The ops between two such statements share one transaction; a `NoTransaction` op runs in
//! autocommit; an `OwnTransaction` op gets a transaction of its own. As for a revision outside
//! a transaction, a history row records the revision as running before its first segment; each
//! committed segment writes how many ops ran into that row (in the segment's transaction where
//! it has one), and the last step turns it into the finished one with the version update. A
//! failed segment leaves the row failed, and the next run of the same revision resumes at the
//! op that failed, first removing what a failed concurrent build left behind
//! ([`Dialect::leftover`](crate::dialect::Dialect::leftover)): no `resolve` by hand. A fresh
//! run drops an INVALID index of its concurrent builds too (left by a run resolved as reverted).

use std::ops::Range;
use std::time::{Duration, Instant};

use crate::Error;
use crate::config::Timeouts;
use crate::dialect::common::{self, StepKind};
use crate::dialect::{Dialect, Placement, Session, StateTables, Statement};
use crate::ops::Op;
use crate::runtime::runner::{IntegrityBaseline, RenderedOp, before_transaction, direction_word, render_step};
use crate::runtime::state::{self, Unfinished};
use crate::runtime::{RuntimeError, StepReport};
use crate::schema::Schema;
use crate::script::{Direction, Plan, RevisionGraph, RevisionId, Step};

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

/// The progress a history row records: how many of the revision's ops took effect.
fn progress(done: usize, total: usize) -> String {
    format!("{done} of its {total} op(s) ran")
}

/// The number of ops a recorded progress says took effect; none recorded means none ran.
fn ops_done(detail: Option<&str>) -> Option<usize> {
    match detail {
        None => Some(0),
        Some(detail) => detail.split_once(" of its ")?.0.parse().ok(),
    }
}

/// Where the first step of `plan` resumes the revision `unfinished` left: the number of its
/// ops that took effect.
///
/// # Errors
///
/// [`RuntimeError::Unfinished`] unless the plan starts with that revision in the same
/// direction, its file is unchanged and it runs in segments.
pub(super) fn resume_point(
    graph: &RevisionGraph,
    dialect: &dyn Dialect,
    schema: &Schema,
    plan: &Plan,
    unfinished: Unfinished,
    refuse: impl FnOnce(Unfinished) -> RuntimeError,
) -> Result<usize, Error> {
    let direction = match unfinished.kind {
        StepKind::DowngradeRunning | StepKind::DowngradeFailed => Direction::Down,
        _ => Direction::Up,
    };
    let resumable = (|| {
        let step = plan.steps.first().filter(|s| s.revision.as_str() == unfinished.revision)?;
        let revision = graph.get(&step.revision)?;
        let splits = step.direction == direction
            && revision.transactional
            && dialect.has_transactional_ddl()
            && dialect.can_run_outside_transaction()
            && crate::script::checksum::matches(&unfinished.checksum, revision);
        let rendered = render_step(dialect, graph, &mut schema.clone(), step).ok()?;
        (splits && runs_split(&rendered)).then_some(())?;
        ops_done(unfinished.detail.as_deref()).filter(|done| *done <= rendered.len())
    })();
    resumable.ok_or_else(|| refuse(unfinished).into())
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
    /// The ops that took effect in an earlier run, when resuming.
    pub(super) resume: Option<usize>,
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
        let total = rendered.len();
        let checksum = revision.checksum();
        let started = Instant::now();
        let record = |kind: StepKind, detail: &str| {
            common::finish_history(dialect, tables, revision.id.as_str(), kind, None, Some(detail)).sql
        };
        let first = resume.unwrap_or(0);
        let mark = match resume {
            None => {
                common::insert_history(dialect, tables, &state::history_entry(&revision.id, running, &checksum, None))
                    .sql
            }
            Some(done) => record(running, &progress(done, total)),
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
        let mut done = first;
        for segment in segments(rendered).iter().filter(|s| s.ops.start >= first) {
            if outcome.is_err() {
                break;
            }
            // Resuming, whatever a failed try left; on a fresh run too, the INVALID index of a
            // concurrent build that failed before the revision was resolved as reverted (it
            // would make the build fail on "already exists").
            if resume == Some(segment.ops.start) || !segment.transaction {
                let fresh = resume != Some(segment.ops.start);
                outcome = remove_leftover(session, rendered, segment, fresh).await;
                if outcome.is_err() {
                    break;
                }
            }
            let progressed = record(running, &progress(segment.ops.end, total));
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
            let (kind, detail, outcome) = if resume.is_none() && done == 0 && !committed {
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
                let detail = format!(
                    "{}; op {} ({}) failed at its statement {} of {}: {}",
                    progress(done, total),
                    op + 1,
                    failed_op.op.describe(),
                    position + 1,
                    failed_op.statements.len(),
                    crate::runtime::database_message(&source)
                );
                let outcome = format!(
                    "the revision runs in steps, as it builds indexes concurrently or validates constraints apart \
                     from its transaction: its first {done} op(s) took effect and are recorded; fix the cause and run \
                     the {verb} again, which resumes at op {} (dropping what a failed concurrent build left), or \
                     settle it with `aludel resolve {}`",
                    done + 1,
                    revision.id
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
            session.execute(&record(failed, &progress(total, total))).await.ok();
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

    #[test]
    fn the_recorded_progress_reads_back() {
        assert_eq!(ops_done(None), Some(0));
        assert_eq!(ops_done(Some(&progress(3, 5))), Some(3));
        assert_eq!(ops_done(Some(&format!("{}; op 4 (x) failed", progress(3, 5)))), Some(3));
        assert_eq!(ops_done(Some("something else")), None);
    }
}
