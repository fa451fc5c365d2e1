//! The migration state a database records: its heads (version table) and every step it went
//! through (history table), and the checksum comparison built on them.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::PathBuf;

use crate::Error;
use crate::dialect::common::{self, HistoryEntry, StepKind};
use crate::dialect::{Session, StateTables, Statement};
use crate::script::{Direction, RevisionGraph, RevisionId};

/// One row of the history table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryRow {
    /// Revision id.
    pub revision: String,
    /// What happened (stored as `upgrade`, `downgrade`, `stamp`, `accept`, or for a revision
    /// run outside a transaction `upgrading`, `upgrade-failed`, `upgrade-reverted` and the
    /// same for downgrades); `None` for a word this version does not know.
    pub kind: Option<StepKind>,
    /// Checksum of the revision's upgrade ops at that time.
    pub checksum: String,
    /// When, as RFC 3339 text in UTC (`2026-12-06T02:01:39.094693Z`).
    pub applied_at: String,
    /// How long it took.
    pub duration_ms: Option<u64>,
    /// What an unfinished step did and where it failed.
    pub detail: Option<String>,
}

/// An applied revision whose file no longer matches what ran, or is gone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChecksumMismatch {
    /// The revision.
    pub revision: RevisionId,
    /// Checksum recorded when it ran.
    pub recorded: String,
    /// Its file now; `None` when no file defines the revision any more (deleted, or squashed
    /// into another revision).
    pub current: Option<RevisionFile>,
}

/// A revision's file and the checksum of its ops now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RevisionFile {
    /// The file.
    pub path: PathBuf,
    /// Checksum of its ops now.
    pub checksum: String,
}

impl fmt::Display for ChecksumMismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.current {
            Some(file) => write!(
                f,
                "`{}` ({}) recorded {} but is now {}",
                self.revision,
                file.path.display(),
                short(&self.recorded),
                short(&file.checksum)
            ),
            None => write!(f, "`{}` recorded {} but no file defines it any more", self.revision, short(&self.recorded)),
        }
    }
}

fn short(checksum: &str) -> &str {
    checksum.get(..12).unwrap_or(checksum)
}

use crate::runtime::{RuntimeError, db_error};

async fn table_exists(session: &mut dyn Session, table: &str) -> Result<bool, Error> {
    let query = session.dialect().table_exists_query(table);
    let rows = session.query_text(&query).await.map_err(db_error("look for the version table"))?;
    Ok(!rows.is_empty())
}

/// Creates the version and history tables when they are missing.
pub(super) async fn ensure_tables(session: &mut dyn Session, tables: &StateTables) -> Result<(), Error> {
    for statement in session.dialect().create_state_tables(tables)? {
        session.execute(&statement.sql).await.map_err(db_error("create the version and history tables"))?;
    }
    Ok(())
}

/// The version table's rows, sorted.
pub(super) async fn read_heads(session: &mut dyn Session, tables: &StateTables) -> Result<Vec<RevisionId>, Error> {
    read_heads_keeping(session, tables, false).await
}

/// [`read_heads`], leaving out the rows that hold no revision id when `skip_bad` (for a
/// stamp that empties the table first) rather than refusing them.
pub(super) async fn read_heads_keeping(
    session: &mut dyn Session,
    tables: &StateTables,
    skip_bad: bool,
) -> Result<Vec<RevisionId>, Error> {
    let query = common::select_heads(session.dialect(), tables);
    let rows = session.query_text(&query).await.map_err(db_error("read the version table"))?;
    let mut heads = Vec::with_capacity(rows.len());
    for row in rows {
        let text = row.into_iter().next().flatten().unwrap_or_default();
        match RevisionId::parse(&text) {
            Ok(id) => heads.push(id),
            Err(_) if skip_bad => {}
            Err(_) => {
                return Err(RuntimeError::BadVersionRow { table: tables.version_table.clone(), value: text }.into());
            }
        }
    }
    heads.sort();
    Ok(heads)
}

/// The heads, or none when the version table does not exist yet (a database never migrated).
pub(super) async fn read_heads_if_any(
    session: &mut dyn Session,
    tables: &StateTables,
) -> Result<Vec<RevisionId>, Error> {
    if table_exists(session, &tables.version_table).await? { read_heads(session, tables).await } else { Ok(Vec::new()) }
}

/// Every history row, oldest first.
pub(super) async fn read_history(session: &mut dyn Session, tables: &StateTables) -> Result<Vec<HistoryRow>, Error> {
    let query = common::select_history(session.dialect(), tables);
    read_history_rows(session, query).await
}

/// The latest history row of each revision and direction, oldest first: what
/// [`checksum_mismatches`] and [`recorded_applied`] need, read in memory bounded by the
/// revisions rather than by every step ever taken.
pub(super) async fn read_latest_history(
    session: &mut dyn Session,
    tables: &StateTables,
) -> Result<Vec<HistoryRow>, Error> {
    let query = common::select_latest_history(session.dialect(), tables);
    read_history_rows(session, query).await
}

async fn read_history_rows(session: &mut dyn Session, query: String) -> Result<Vec<HistoryRow>, Error> {
    let rows = session.query_text(&query).await.map_err(db_error("read the history table"))?;
    Ok(rows
        .into_iter()
        .map(|row| {
            let mut cells = row.into_iter().skip(1);
            let mut next = || cells.next().flatten().unwrap_or_default();
            HistoryRow {
                revision: next(),
                kind: StepKind::parse(&next()),
                checksum: next(),
                applied_at: next(),
                duration_ms: next().parse().ok(),
                detail: Some(next()).filter(|d| !d.is_empty()),
            }
        })
        .collect())
}

/// The history, or none when the table does not exist yet.
pub(super) async fn read_history_if_any(
    session: &mut dyn Session,
    tables: &StateTables,
) -> Result<Vec<HistoryRow>, Error> {
    if table_exists(session, &tables.history_table).await? {
        read_history(session, tables).await
    } else {
        Ok(Vec::new())
    }
}

/// [`read_latest_history`], or none when the table does not exist yet.
pub(super) async fn read_latest_history_if_any(
    session: &mut dyn Session,
    tables: &StateTables,
) -> Result<Vec<HistoryRow>, Error> {
    if table_exists(session, &tables.history_table).await? {
        read_latest_history(session, tables).await
    } else {
        Ok(Vec::new())
    }
}

/// A revision that ran outside a transaction and did not finish.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unfinished {
    /// The revision.
    pub revision: String,
    /// Running (the process died) or failed, up or down.
    pub kind: StepKind,
    /// What ran and what failed, when known.
    pub detail: Option<String>,
    /// The checksum of the revision that ran.
    pub checksum: String,
    /// Whether running the same command again resumes it: a revision that runs in segments
    /// (PostgreSQL) whose ops that took effect read in its file as they ran. Set by
    /// [`Unfinished::judged_by`].
    pub resumable: bool,
    /// Set by [`Unfinished::judged_by`] when it would resume but ops that took effect changed
    /// in its file since: runs refuse until they are restored or the revision is resolved.
    pub ran_ops_changed: Option<RanOpsChanged>,
}

/// A revision that runs in segments did not finish, and ops of it that took effect read
/// otherwise in its file now: resuming after them would build on what the file no longer says.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "revision `{revision}` ({}) cannot resume its {verb}: {}; restore {} as {} ran and run `aludel {verb}` again, \
     which resumes at op {}, or settle the revision by hand: finish it and run `aludel resolve {revision} \
     --applied`, or undo what ran and run `aludel resolve {revision} --reverted`",
    .path.display(),
    ran_and_changed(*.done, .first_changed.as_ref()),
    if *.done == 1 { "it" } else { "them" },
    if *.done == 1 { "it" } else { "they" },
    .done + 1
)]
pub struct RanOpsChanged {
    /// The revision.
    pub revision: RevisionId,
    /// Its file.
    pub path: PathBuf,
    /// `upgrade` or `downgrade`.
    pub verb: &'static str,
    /// How many of its ops took effect (the first ones).
    pub done: usize,
    /// The first of them that changed; `None` when the history row, written by an earlier
    /// version, does not tell.
    pub first_changed: Option<ChangedOp>,
}

/// An op that took effect and reads otherwise in its revision's file now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangedOp {
    /// Its number in the revision, from 1.
    pub number: usize,
    /// What the op at that place does as the file reads now; `None` when the file holds
    /// fewer ops.
    pub now: Option<String>,
}

impl RanOpsChanged {
    /// The `done` ops of `unfinished` that took effect changed in `revision`'s file, the first
    /// at position `first` when known.
    pub(super) fn of(
        unfinished: &Unfinished,
        revision: &crate::script::Revision,
        done: usize,
        first: Option<usize>,
    ) -> Self {
        let (verb, _) = super::runner::unfinished_words(unfinished.kind);
        let ops = revision.ops(unfinished.direction());
        let first_changed =
            first.map(|index| ChangedOp { number: index + 1, now: ops.get(index).map(|op| op.describe()) });
        RanOpsChanged { revision: revision.id.clone(), path: revision.path.clone(), verb, done, first_changed }
    }
}

fn ran_and_changed(done: usize, first_changed: Option<&ChangedOp>) -> String {
    match (done, first_changed) {
        (1, _) => "its op 1 took effect, and it changed in the file since".to_owned(),
        (done, Some(ChangedOp { number, now: Some(now) })) => {
            format!(
                "its ops 1 to {done} took effect, and op {number} of them changed in the file since (it reads `{now}` now)"
            )
        }
        (done, Some(ChangedOp { number, now: None })) => {
            format!("its ops 1 to {done} took effect, and op {number} of them is no longer in the file")
        }
        (done, None) => format!("its ops 1 to {done} took effect, and one or more of them changed in the file since"),
    }
}

/// The revision that did not finish, if any (the latest, should there be several).
pub(super) async fn read_unfinished(
    session: &mut dyn Session,
    tables: &StateTables,
) -> Result<Option<Unfinished>, Error> {
    let query = common::select_unfinished(session.dialect(), tables);
    let rows = session.query_text(&query).await.map_err(db_error("read the history table"))?;
    Ok(rows.into_iter().next_back().and_then(|row| {
        let mut cells = row.into_iter();
        let revision = cells.next().flatten()?;
        let kind = StepKind::parse(&cells.next().flatten()?)?;
        let detail = cells.next().flatten();
        let checksum = cells.next().flatten().unwrap_or_default();
        Some(Unfinished { revision, kind, detail, checksum, resumable: false, ran_ops_changed: None })
    }))
}

/// [`read_unfinished`], or none when the history table does not exist yet.
pub(super) async fn read_unfinished_if_any(
    session: &mut dyn Session,
    tables: &StateTables,
) -> Result<Option<Unfinished>, Error> {
    if table_exists(session, &tables.history_table).await? { read_unfinished(session, tables).await } else { Ok(None) }
}

impl Unfinished {
    /// The direction it ran in.
    pub fn direction(&self) -> Direction {
        match self.kind {
            StepKind::DowngradeRunning | StepKind::DowngradeFailed => Direction::Down,
            _ => Direction::Up,
        }
    }

    /// What happened and how to settle it: running the same command again when it resumes,
    /// otherwise `resolve`, as runs that refuse say it.
    pub fn message(&self) -> String {
        let refusal = super::runner::unfinished_error(self.clone()).to_string();
        let what = refusal.split("; the database may hold part of it").next().unwrap_or_default();
        if let Some(changed) = &self.ran_ops_changed {
            return format!("{what}; {changed}");
        }
        if !self.resumable {
            return refusal;
        }
        let (verb, _) = super::runner::unfinished_words(self.kind);
        format!(
            "{what}; it runs in segments: fix the cause and run `aludel {verb}` again, which resumes at the op \
             that failed; the ops that already ran must stay in the file as they ran (or settle it by hand with \
             `aludel resolve {} --applied` or `--reverted`)",
            self.revision
        )
    }

    /// This record, judged against the revision files and the backend: whether running the
    /// same command again resumes it (see [`Unfinished::resumable`]), or refuses as ops that
    /// ran changed (see [`Unfinished::ran_ops_changed`]).
    pub fn judged_by(mut self, graph: &crate::script::RevisionGraph, dialect: &dyn crate::dialect::Dialect) -> Self {
        let revision = RevisionId::parse(&self.revision).ok();
        let revision = revision.as_ref().and_then(|id| graph.get(id));
        let revision = revision.filter(|revision| super::split::can_run_in_segments(revision, dialect));
        let ran_ops = revision.map(|revision| (revision, super::split::ran_ops(&self, revision)));
        self.resumable = matches!(ran_ops, Some((_, super::split::RanOps::Unchanged { .. })));
        self.ran_ops_changed = match ran_ops {
            Some((revision, super::split::RanOps::Changed { done, first })) => {
                Some(RanOpsChanged::of(&self, revision, done, first))
            }
            _ => None,
        };
        self
    }
}

/// Applied revisions whose latest recorded checksum differs from their file's.
/// Revisions with no recorded checksum (below a stamp) are not compared.
pub(super) fn checksum_mismatches(
    graph: &RevisionGraph,
    applied: &BTreeSet<RevisionId>,
    history: &[HistoryRow],
) -> Vec<ChecksumMismatch> {
    let recorded = recorded_checksums(history);
    let edited = applied.iter().filter_map(|id| {
        let revision = graph.get(id)?;
        let recorded = *recorded.get(id.as_str())?;
        (!crate::script::checksum::matches(recorded, revision)).then(|| ChecksumMismatch {
            revision: id.clone(),
            recorded: recorded.to_owned(),
            current: Some(RevisionFile { path: revision.path.clone(), checksum: revision.checksum() }),
        })
    });
    let gone = recorded_applied(history).into_iter().filter(|(id, _)| graph.get(id).is_none()).map(|(id, row)| {
        let checksum = recorded.get(row.revision.as_str()).copied().unwrap_or(&row.checksum);
        ChecksumMismatch { revision: id, recorded: checksum.to_owned(), current: None }
    });
    edited.chain(gone).collect()
}

/// The checksum each revision was last recorded with: by its latest upgrade, stamp or
/// accepted edit.
fn recorded_checksums(history: &[HistoryRow]) -> BTreeMap<&str, &str> {
    let mut recorded = BTreeMap::new();
    for row in history {
        if matches!(row.kind, Some(StepKind::Upgrade | StepKind::Stamp | StepKind::Accept)) {
            recorded.insert(row.revision.as_str(), row.checksum.as_str());
        }
    }
    recorded
}

/// The revisions the history records as applied: those whose latest settled row is an
/// upgrade, a stamp, an accepted edit or a reverted downgrade, each with that row. Revisions
/// a stamp made applied without naming them (the ancestors of its target) have no row and
/// are not among them.
pub(super) fn recorded_applied(history: &[HistoryRow]) -> BTreeMap<RevisionId, &HistoryRow> {
    let mut applied = BTreeMap::new();
    for row in history {
        let (Some(now_applied), Ok(id)) =
            (row.kind.and_then(StepKind::leaves_applied), RevisionId::parse(&row.revision))
        else {
            continue;
        };
        if now_applied {
            applied.insert(id, row);
        } else {
            applied.remove(&id);
        }
    }
    applied
}

/// The statements that turn the version table's rows from `before` into `after`.
pub(super) fn version_updates(
    session_dialect: &dyn crate::dialect::Dialect,
    tables: &StateTables,
    before: &[RevisionId],
    after: &[RevisionId],
) -> Vec<Statement> {
    // Sets, as a run on many branches holds many rows and asks this at every step.
    let (was, is): (BTreeSet<&RevisionId>, BTreeSet<&RevisionId>) = (before.iter().collect(), after.iter().collect());
    let removed: Vec<&RevisionId> = before.iter().filter(|h| !is.contains(h)).collect();
    let added: Vec<&RevisionId> = after.iter().filter(|h| !was.contains(h)).collect();
    if let ([from], [to]) = (removed.as_slice(), added.as_slice()) {
        return vec![common::update_head(session_dialect, tables, from.as_str(), to.as_str())];
    }
    removed
        .iter()
        .map(|id| common::delete_head(session_dialect, tables, id.as_str()))
        .chain(added.iter().map(|id| common::insert_head(session_dialect, tables, id.as_str())))
        .collect()
}

/// The history row of one step.
pub(super) fn history_entry<'a>(
    revision: &'a RevisionId,
    kind: StepKind,
    checksum: &'a str,
    duration_ms: Option<u64>,
) -> HistoryEntry<'a> {
    HistoryEntry { revision: revision.as_str(), kind, checksum, duration_ms }
}

#[cfg(all(test, feature = "sqlite"))]
mod tests {
    use super::*;
    use crate::dialect::{Backend, SessionOptions};

    /// The latest row of each revision and direction tells what the whole history tells: which
    /// revisions are applied, by which row, and the checksum each was last recorded with. A
    /// history of 600 steps of every settled kind over four revisions, in a shuffled order.
    #[tokio::test(flavor = "multi_thread")]
    async fn the_latest_rows_tell_what_every_row_tells() {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = format!("sqlite://{}", dir.path().join("history.db").display());
        let mut session = Backend::Sqlite.connect(&url, &SessionOptions::default()).await.expect("connect");
        let tables = StateTables::default();
        ensure_tables(session.as_mut(), &tables).await.expect("tables");
        let kinds = [
            StepKind::Upgrade,
            StepKind::Downgrade,
            StepKind::Stamp,
            StepKind::Accept,
            StepKind::Unstamp,
            StepKind::Removed,
            StepKind::UpgradeReverted,
            StepKind::DowngradeReverted,
        ];
        let revisions = ["a00000000001", "b00000000002", "c00000000003", "d00000000004"];
        let mut state = 0x2545_f491_4f6c_dd1d_u64;
        let mut next = move |below: usize| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            usize::try_from(state % below as u64).expect("small")
        };
        let dialect = session.dialect();
        let mut batch = vec!["BEGIN".to_owned()];
        for _ in 0..600 {
            let checksum = format!("checksum-{}", next(3));
            let entry = HistoryEntry {
                revision: revisions[next(revisions.len())],
                kind: kinds[next(kinds.len())],
                checksum: &checksum,
                duration_ms: Some(1),
            };
            batch.push(common::insert_history(dialect, &tables, &entry).sql);
        }
        batch.push("COMMIT".to_owned());
        for statement in &batch {
            session.execute(statement).await.expect("insert");
        }

        let every = read_history(session.as_mut(), &tables).await.expect("every row");
        let latest = read_latest_history(session.as_mut(), &tables).await.expect("latest rows");
        assert_eq!(every.len(), 600);
        assert!(latest.len() <= revisions.len() * kinds.len(), "{}", latest.len());
        assert!(
            latest
                .windows(2)
                .all(|pair| every.iter().position(|r| r == &pair[0]) < every.iter().rposition(|r| r == &pair[1]))
        );
        let applied =
            |history| recorded_applied(history).into_iter().map(|(id, row)| (id, row.clone())).collect::<Vec<_>>();
        assert_eq!(applied(&latest), applied(&every));
        assert!(!applied(&every).is_empty() && applied(&every).len() < revisions.len(), "a mix of states");
        assert_eq!(recorded_checksums(&latest), recorded_checksums(&every));
        session.close().await.ok();
    }
}
