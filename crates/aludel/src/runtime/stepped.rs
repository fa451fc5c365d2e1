//! A run its caller drives one step at a time on one session, under the migration lock for
//! its whole length: `aludel test` walks a history up, down and up again this way, reading
//! the schema between steps, without a connection or a lock per step.

use crate::Error;
use crate::config::Timeouts;
use crate::dialect::{Session, StateTables};
use crate::runtime::runner::{IntegrityBaseline, StepFailure, run_step, schema_of};
use crate::runtime::{StepReport, db_error, state};
use crate::schema::Schema;
use crate::script::{Direction, RevisionGraph, RevisionId, Step};

/// A locked session on which steps run one at a time, each in its own transaction with its
/// bookkeeping, as [`Migrator::migrate`](crate::runtime::Migrator::migrate) runs them.
pub(crate) struct SteppedRun<'g> {
    graph: &'g RevisionGraph,
    tables: StateTables,
    timeouts: Timeouts,
    session: Box<dyn Session>,
    /// What the applied ops lead to, for the dialects that rebuild tables.
    schema: Schema,
    heads: Vec<RevisionId>,
    baseline: IntegrityBaseline,
}

impl<'g> SteppedRun<'g> {
    /// Takes the migration lock on `session` and reads where the database is.
    pub(crate) async fn start(
        graph: &'g RevisionGraph,
        tables: &StateTables,
        timeouts: &Timeouts,
        mut session: Box<dyn Session>,
    ) -> Result<SteppedRun<'g>, Error> {
        session.lock().await.map_err(db_error(crate::runtime::TAKE_THE_LOCK))?;
        let read = async {
            state::ensure_tables(session.as_mut(), tables).await?;
            let heads = state::read_heads(session.as_mut(), tables).await?;
            let violations = session.check_integrity().await.map_err(db_error("check foreign keys before the run"))?;
            Ok::<_, Error>((heads, IntegrityBaseline::of(&violations)))
        };
        let (heads, baseline) = match read.await {
            Ok(read) => read,
            Err(err) => {
                session.unlock().await.ok();
                session.close().await.ok();
                return Err(err);
            }
        };
        let schema = schema_of(graph, &graph.applied(&heads)?);
        Ok(SteppedRun { graph, tables: tables.clone(), timeouts: *timeouts, session, schema, heads, baseline })
    }

    /// Runs `revision` in `direction`, with the revision's timeouts over the project's. A
    /// lock timeout is not retried: nothing else works on a throwaway database.
    ///
    /// A downgrade step of a revision without a downgrade is refused before it runs, as a
    /// planned downgrade is.
    pub(crate) async fn step(&mut self, revision: &RevisionId, direction: Direction) -> Result<StepReport, Error> {
        if direction == Direction::Down {
            self.graph.check_downgrades_written([revision])?;
        }
        let step = Step { revision: revision.clone(), direction };
        let limits = match self.graph.get(revision) {
            Some(found) => self.timeouts.for_revision(&found.limits),
            None => self.timeouts,
        };
        run_step(
            self.graph,
            &self.tables,
            &limits,
            self.session.as_mut(),
            &mut self.schema,
            &mut self.heads,
            &mut self.baseline,
            &step,
            None,
        )
        .await
        .map_err(StepFailure::into_error)
    }

    /// The revisions the database is at.
    pub(crate) fn heads(&self) -> &[RevisionId] {
        &self.heads
    }

    /// The session, for reading the schema and running fixtures between steps.
    pub(crate) fn session(&mut self) -> &mut dyn Session {
        self.session.as_mut()
    }

    /// Releases the lock (which commits the run where the lock is a transaction) and closes
    /// the session.
    pub(crate) async fn finish(mut self) -> Result<(), Error> {
        let unlocked = self.session.unlock().await.map_err(db_error("release the migration lock"));
        self.session.close().await.ok();
        unlocked
    }
}
