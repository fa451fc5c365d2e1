//! `--sql`: the steps of a plan written as one SQL script, without a connection, in the same
//! shape the online run executes them (state tables, then per revision what must be committed
//! first, `BEGIN`, its statements, the version update, the history row, `COMMIT`). A revision
//! that runs in segments (see `split`) is written segment by segment, its concurrent
//! statements outside any `BEGIN`, then its bookkeeping in a transaction of its own. A
//! script from base is checked as an online run checks its ops (`known`), against the empty
//! database it starts from.

use std::fmt::Write as _;

use crate::Error;
use crate::config::Timeouts;
use crate::dialect::common::{self, StepKind};
use crate::dialect::{Dialect, StateTables};
use crate::runtime::known::{self, KnownSchema};
use crate::runtime::runner::{before_transaction, direction_word, render_step, schema_of};
use crate::runtime::split::{Segment, runs_split, segment_timeouts, segments};
use crate::runtime::state;
use crate::schema::Schema;
use crate::script::{Direction, Plan, RevisionGraph, RevisionId};

fn header(out: &mut String, dialect: &dyn Dialect, tables: &StateTables, verb: &str) -> Result<(), Error> {
    writeln!(out, "-- aludel {verb} script for {}", dialect.name()).ok();
    if let Some(how) = dialect.script_run_advice() {
        writeln!(out, "-- {how}").ok();
    }
    for statement in dialect.script_prologue().into_iter().chain(dialect.create_state_tables(tables)?) {
        writeln!(out, "{};", statement.sql).ok();
    }
    Ok(())
}

/// Writes an op's statement and the `;` that ends it. Raw SQL may end in a line comment, which
/// would swallow a `;` on its line: the `;` goes on a line of its own then.
fn write_statement(out: &mut String, sql: &str) {
    let last_line = sql.rsplit('\n').next().unwrap_or(sql);
    let separator = if last_line.contains("--") { "\n" } else { "" };
    writeln!(out, "{sql}{separator};").ok();
}

/// The script for `plan`, starting from the heads `from`.
pub(super) fn script(
    graph: &RevisionGraph,
    tables: &StateTables,
    timeouts: &Timeouts,
    dialect: &dyn Dialect,
    from: &[RevisionId],
    plan: &Plan,
    direction: Direction,
) -> Result<String, Error> {
    let mut out = String::new();
    header(&mut out, dialect, tables, direction_word(direction))?;
    let mut heads = from.to_vec();
    if direction == Direction::Down {
        // The rows of `from` as aludel's runs keep them: a revision applied as a dependency of
        // another has its own row (unless the table was stamped), which the steps below
        // must neither insert twice nor lose.
        let rows = graph.rows_of(from);
        for implied in rows.iter().filter(|row| !from.contains(row)) {
            writeln!(out, "-- {implied} was applied as a dependency: its row, unless the table holds it").ok();
            writeln!(out, "{};", common::insert_head_if_missing(dialect, tables, implied.as_str()).sql).ok();
        }
        heads = rows;
    }
    let mut schema = schema_of(graph, &graph.applied(from)?);
    // From base the database is empty, so what the revisions make is all it will hold, and
    // an online run's refusals hold for the script (a missing table or column, a dropped
    // column something still needs). From a revision the database may hold what no revision
    // made (a stamped baseline, changes by hand): nothing is refused there.
    let mut known = (from.is_empty() && direction == Direction::Up)
        .then(|| KnownSchema::new(Schema::default(), std::iter::empty::<String>()));
    for step in &plan.steps {
        let revision = graph.get(&step.revision).expect("plans only name revisions of their graph");
        if let Some(known) = known.as_mut() {
            known::check_step(dialect, graph, known, step, known::NO_SCRIPT)?;
        }
        let rendered = render_step(dialect, graph, &mut schema, step)?;
        let in_transaction = dialect.runs_in_transaction(revision.transactional);
        let parents = if revision.down_revisions.is_empty() {
            "<base>".to_owned()
        } else {
            revision.down_revisions.iter().map(RevisionId::as_str).collect::<Vec<_>>().join(", ")
        };
        let arrow = match step.direction {
            Direction::Up => format!("{parents} -> {}", revision.id),
            Direction::Down => format!("{} -> {parents}", revision.id),
        };
        writeln!(out, "\n-- Running {} {arrow}, {}", direction_word(step.direction), revision.message_line()).ok();
        if in_transaction {
            let mut early = before_transaction(&rendered).peekable();
            if early.peek().is_some() {
                writeln!(out, "-- committed before the revision's transaction, so that the revision can use them").ok();
            }
            for statement in early {
                write_statement(&mut out, &statement.sql);
            }
        }
        let split = in_transaction && runs_split(&rendered);
        if in_transaction && !split {
            writeln!(out, "{};", dialect.begin_transaction()).ok();
        }
        let integrity =
            if in_transaction && !split { dialect.script_integrity_check(revision.id.as_str()) } else { None };
        if let Some((opening, _)) = &integrity {
            for statement in opening {
                writeln!(out, "{};", statement.sql).ok();
            }
        }
        let limits = timeouts.for_revision(&revision.limits);
        if !split {
            // The same timeouts as an online run: in the transaction, or on the session before.
            for statement in dialect.timeout_statements(&limits, in_transaction) {
                writeln!(out, "{};", statement.sql).ok();
            }
        }
        if in_transaction && !split {
            let recorded: Vec<&str> = heads.iter().map(RevisionId::as_str).collect();
            if let Some(guard) = dialect.script_version_guard(&tables.version_table, &recorded, revision.id.as_str()) {
                writeln!(out, "{};", guard.sql).ok();
            }
        }
        let segments = if split {
            segments(&rendered)
        } else {
            vec![Segment { ops: 0..rendered.len(), transaction: false, apart: false }]
        };
        for segment in segments {
            if split && segment.transaction {
                writeln!(out, "{};", dialect.begin_transaction()).ok();
            } else if split {
                writeln!(out, "-- outside any transaction, as a concurrent build or drop must run").ok();
            }
            if split {
                for statement in segment_timeouts(dialect, &limits, &segment) {
                    writeln!(out, "{};", statement.sql).ok();
                }
            }
            for rendered_op in &rendered[segment.ops] {
                for statement in &rendered_op.statements {
                    if !(in_transaction && statement.before_transaction) {
                        write_statement(&mut out, &statement.sql);
                    }
                }
            }
            if split && segment.transaction {
                writeln!(out, "{};", dialect.commit_transaction()).ok();
            }
        }
        if let Some((_, closing)) = &integrity {
            for statement in closing {
                writeln!(out, "{};", statement.sql).ok();
            }
        }
        if !in_transaction || split {
            writeln!(out, "{};", dialect.begin_transaction()).ok();
        }
        let new_heads = graph.heads_after(&heads, step);
        for statement in state::version_updates(dialect, tables, &heads, &new_heads) {
            writeln!(out, "{};", statement.sql).ok();
        }
        let kind = match step.direction {
            Direction::Up => StepKind::Upgrade,
            Direction::Down => StepKind::Downgrade,
        };
        let checksum = revision.checksum();
        let entry = state::history_entry(&revision.id, kind, &checksum, None);
        writeln!(out, "{};", common::insert_history(dialect, tables, &entry).sql).ok();
        writeln!(out, "{};", dialect.commit_transaction()).ok();
        heads = new_heads;
    }
    Ok(out)
}

/// The script that sets the version table from `from` to `to` (emptying it first with
/// `purge`, whatever it holds), recording the new heads as stamped and the revisions it
/// leaves unapplied as unstamped.
pub(super) fn stamp_script(
    graph: &RevisionGraph,
    tables: &StateTables,
    dialect: &dyn Dialect,
    from: &[RevisionId],
    to: &[RevisionId],
    purge: bool,
) -> Result<String, Error> {
    let mut out = String::new();
    header(&mut out, dialect, tables, "stamp")?;
    writeln!(out, "\n{};", dialect.begin_transaction()).ok();
    let updates = if purge {
        std::iter::once(common::delete_all_heads(dialect, tables))
            .chain(to.iter().map(|id| common::insert_head(dialect, tables, id.as_str())))
            .collect()
    } else {
        state::version_updates(dialect, tables, from, to)
    };
    for statement in updates {
        writeln!(out, "{};", statement.sql).ok();
    }
    let still_applied = graph.applied(to)?;
    for id in graph.applied(from)?.iter().filter(|id| !still_applied.contains(*id)) {
        let checksum = graph.get(id).map(|r| r.checksum()).unwrap_or_default();
        let entry = state::history_entry(id, StepKind::Unstamp, &checksum, None);
        writeln!(out, "{};", common::insert_history(dialect, tables, &entry).sql).ok();
    }
    for id in to.iter().filter(|id| purge || !from.contains(id)) {
        let checksum = graph.get(id).map(|r| r.checksum()).unwrap_or_default();
        let entry = state::history_entry(id, StepKind::Stamp, &checksum, None);
        writeln!(out, "{};", common::insert_history(dialect, tables, &entry).sql).ok();
    }
    writeln!(out, "{};", dialect.commit_transaction()).ok();
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_statement_ending_in_a_line_comment_gets_its_semicolon_on_a_line_of_its_own() {
        let mut out = String::new();
        write_statement(&mut out, "CREATE INDEX ix ON t (id) -- for lookups");
        write_statement(&mut out, "CREATE TABLE u (a text DEFAULT '--')\nWITH (fillfactor = 90)");
        write_statement(&mut out, "SELECT 1 -- a comment\n");
        assert_eq!(
            out,
            "CREATE INDEX ix ON t (id) -- for lookups\n;\nCREATE TABLE u (a text DEFAULT '--')\nWITH (fillfactor = 90);\n\
             SELECT 1 -- a comment\n;\n"
        );
    }
}
