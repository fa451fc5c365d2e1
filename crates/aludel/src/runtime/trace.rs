//! `aludel trace`: the pending revisions run on a scratch copy of the target's schema, filled
//! with generated rows, while one connection watches the locks the run holds and probes write
//! to every table the revisions touch, timing how long each write waits. The report says per
//! statement the locks it took, the tables it rewrote (a new storage file) and the longest
//! wait of a writer, and which statements held a lock that stops writers longer than the
//! budget.
//!
//! The target is only read (its schema and heads); the scratch database is created on the
//! same server under a random name and dropped at the end, also when the trace fails. What
//! the backend spells is in its `dialect` folder ([`TraceSql`]).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::Error;
use crate::config::Timeouts;
use crate::dialect::common;
use crate::dialect::trace::TraceSql;
use crate::dialect::{
    BoxFuture, Dialect, IntrospectError, IntrospectOptions, Session, TextRows, TransactionSql, Violation,
};
use crate::diff::{DiffOptions, diff};
use crate::ops::Op;
use crate::runtime::runner::{self, Goal};
use crate::runtime::scratch::ScratchDatabase;
use crate::runtime::{DatabaseError, Migrator, RuntimeError, StepEvent, db_error, state};
use crate::schema::Schema;
use crate::script::{Direction, RevisionId};

/// What to trace and how.
#[derive(Debug, Clone)]
pub struct TraceOptions {
    /// Where the traced part starts: the scratch copy is first upgraded to it untraced. `None`
    /// starts at the database's heads.
    pub from: Option<String>,
    /// The revision to upgrade the scratch copy to (`heads`, a revision, `+1`).
    pub target: String,
    /// Generated rows per table; `None` takes each table's estimate from the database's
    /// statistics, between [`TraceOptions::MIN_SCALED_ROWS`] and
    /// [`TraceOptions::MAX_SCALED_ROWS`].
    pub rows: Option<u64>,
    /// How long a lock that stops writers may hold them.
    pub budget: Duration,
}

impl TraceOptions {
    /// The fewest rows a table scaled from the statistics gets (a table never analyzed, too).
    pub const MIN_SCALED_ROWS: u64 = 10_000;
    /// The most rows a table scaled from the statistics gets, so that a trace stays bounded.
    pub const MAX_SCALED_ROWS: u64 = 2_000_000;

    /// The rows each table of `schema` gets: `rows`, or the database's estimate bounded.
    fn rows_for(&self, schema: &Schema, estimates: &BTreeMap<String, i64>) -> BTreeMap<String, u64> {
        let rows = |table: &str| match self.rows {
            Some(rows) => rows,
            None => {
                let estimate = estimates.get(table).copied().unwrap_or(0).max(0) as u64;
                estimate.clamp(Self::MIN_SCALED_ROWS, Self::MAX_SCALED_ROWS)
            }
        };
        schema.tables.keys().map(|table| (table.clone(), rows(table))).collect()
    }

    /// Options tracing the revisions after `FROM` up to `TO`, as `range` (`FROM:TO`) names them.
    ///
    /// # Errors
    ///
    /// [`RuntimeError::TraceRange`] when `range` is not `FROM:TO`.
    pub fn with_range(mut self, range: &str) -> Result<TraceOptions, Error> {
        match range.split_once(':') {
            Some((from, to)) if !from.trim().is_empty() && !to.trim().is_empty() => {
                self.from = Some(from.trim().to_owned());
                self.target = to.trim().to_owned();
                Ok(self)
            }
            _ => Err(RuntimeError::TraceRange { range: range.to_owned() }.into()),
        }
    }
}

/// One statement of a traced run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TracedStatement {
    /// The revision it belongs to.
    pub revision: RevisionId,
    /// The SQL, as run.
    pub sql: String,
    /// How long it ran.
    pub duration: Duration,
    /// The strongest lock it took on each table (table -> mode), as the database names it.
    pub locks: BTreeMap<String, String>,
    /// Whether one of those locks stops writers.
    pub blocks_writers: bool,
    /// The longest a probe's write on one of its tables waited while it ran: table and wait.
    pub longest_stall: Option<(String, Duration)>,
    /// Tables it rewrote (their storage file changed).
    pub rewritten: Vec<String>,
}

/// What `aludel trace` found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TraceReport {
    /// The statements of the pending revisions, in the order they ran.
    pub statements: Vec<TracedStatement>,
    /// Rows generated per table.
    pub rows: BTreeMap<String, u64>,
    /// The budget statements are held to.
    pub budget: Duration,
    /// Tables the generator could not fill, and why.
    pub notes: Vec<String>,
}

impl TracedStatement {
    /// Whether it stopped writers longer than `budget`: a writer waited that long, or it held
    /// a lock that stops writers for that long.
    pub fn exceeds(&self, budget: Duration) -> bool {
        let stalled = self.longest_stall.as_ref().is_some_and(|(_, wait)| *wait > budget);
        stalled || (self.blocks_writers && self.duration > budget)
    }
}

impl TraceReport {
    /// The statements that stopped writers longer than the budget.
    pub fn over_budget(&self) -> impl Iterator<Item = &TracedStatement> {
        self.statements.iter().filter(|s| s.exceeds(self.budget))
    }
}

/// What a trace reads from its target: the heads, the schema and each table's estimated rows.
struct TargetRead {
    heads: Vec<RevisionId>,
    schema: Schema,
    estimates: BTreeMap<String, i64>,
    /// (extension, schema), in the order they were installed.
    extensions: Vec<(String, String)>,
    /// The schema the target's session works in.
    current_schema: String,
    /// What the model does not hold, as the target writes it.
    definitions: Vec<Definition>,
}

/// An object of the target the schema model does not hold, as the target writes it.
#[derive(Debug, Clone)]
struct Definition {
    /// `domain`, `function`, `view`, `materialized view`, `index` or `trigger`.
    kind: String,
    name: String,
    /// The table of an index or a trigger.
    table: String,
    statement: String,
}

impl Definition {
    fn from_rows(rows: TextRows) -> Vec<Definition> {
        rows.into_iter()
            .filter_map(|row| {
                let mut cells = row.into_iter().map(Option::unwrap_or_default);
                let (kind, name, table, statement) = (cells.next()?, cells.next()?, cells.next()?, cells.next()?);
                Some(Definition { kind, name, table, statement })
            })
            .collect()
    }

    /// Triggers are created after the rows are generated: the rows are the trace's, and a
    /// trigger could refuse them or multiply the work.
    fn after_rows(&self) -> bool {
        self.kind == "trigger"
    }

    /// Types the tables' columns may use: created before the tables.
    fn before_tables(&self) -> bool {
        self.kind == "domain"
    }
}

/// What the traced session saw of one `execute`.
#[derive(Debug, Clone)]
struct Executed {
    revision: Option<RevisionId>,
    sql: String,
    start: Instant,
    end: Instant,
    locks: Vec<(String, String)>,
    rewritten: Vec<String>,
}

/// A probe's timed write.
#[derive(Debug, Clone)]
struct Write {
    table: String,
    start: Instant,
    end: Instant,
}

/// A sample of the run's locks.
#[derive(Debug, Clone)]
struct LockSample {
    at: Instant,
    table: String,
    mode: String,
}

impl Migrator {
    /// Traces the pending revisions up to `options.target` on a scratch copy of the
    /// database's schema (see the module's documentation).
    ///
    /// # Errors
    ///
    /// [`RuntimeError::TraceUnsupported`] on a backend that cannot show its locks;
    /// [`Error::Runtime`] when the target cannot be read, the scratch database cannot be made,
    /// or a revision fails on it.
    pub async fn trace(&self, options: &TraceOptions) -> Result<TraceReport, Error> {
        let url = self.config().require_database_url()?;
        let dialect = url.backend().dialect_with(&self.config().dialect);
        let tracer = dialect.tracer().ok_or(RuntimeError::TraceUnsupported { dialect: dialect.name() })?;

        let mut target = crate::runtime::connect(self.config()).await?;
        let read = async {
            let tables = &self.config().tables;
            let heads = state::read_heads_if_any(target.as_mut(), tables).await?;
            let estimates = target.query_text(tracer.row_estimates()).await.map_err(db_error("read row estimates"))?;
            let estimates: BTreeMap<String, i64> =
                pairs(estimates).into_iter().filter_map(|(table, rows)| Some((table, rows.parse().ok()?))).collect();
            let options = IntrospectOptions {
                schema: None,
                exclude_tables: vec![tables.version_table.clone(), tables.history_table.clone()],
            };
            let schema = target
                .introspect(&options)
                .await
                .map_err(|source| RuntimeError::Introspect { url: url.to_string(), source })?;
            let extensions = target.query_text(tracer.extensions()).await.map_err(db_error("read the extensions"))?;
            let current_schema =
                target.query_text(tracer.current_schema()).await.map_err(db_error("read the schema"))?;
            let current_schema =
                current_schema.into_iter().flatten().flatten().next().unwrap_or_else(|| "public".into());
            let definitions = target
                .query_text(tracer.definitions())
                .await
                .map_err(db_error("read the functions, views and indexes"))?;
            let definitions = Definition::from_rows(definitions);
            Ok::<_, Error>(TargetRead {
                heads,
                schema,
                estimates,
                extensions: pairs(extensions),
                current_schema,
                definitions,
            })
        }
        .await;
        let read = match read {
            Ok(read) => read,
            Err(err) => {
                target.close().await.ok();
                return Err(err);
            }
        };

        target.close().await.ok();
        // Nothing pending: no scratch copy to make.
        if options.from.is_none() && self.graph().plan_upgrade(&read.heads, &options.target)?.steps.is_empty() {
            return Ok(TraceReport {
                statements: Vec::new(),
                rows: BTreeMap::new(),
                budget: options.budget,
                notes: Vec::new(),
            });
        }
        // Dropped whatever happened, and by its `Drop` when the trace is cut short (Ctrl-C).
        let scratch = ScratchDatabase::create(url, self.config(), "aludel_trace").await?;
        let traced = self.trace_on(tracer, dialect, scratch.url().expose(), read, options).await;
        let dropped = scratch.drop_now().await;
        let report = traced?;
        dropped?;
        Ok(report)
    }

    async fn trace_on(
        &self,
        tracer: &'static dyn TraceSql,
        dialect: &'static dyn Dialect,
        scratch_url: &str,
        target: TargetRead,
        options: &TraceOptions,
    ) -> Result<TraceReport, Error> {
        let TargetRead { heads, schema, estimates, extensions, current_schema, definitions } = target;
        let (schema, estimates) = (&schema, &estimates);
        let graph = self.graph();
        let tables = &self.config().tables;
        // The trace measures what each statement does however long it takes, so no
        // statement timeout cuts one short.
        let timeouts = Timeouts { statement_timeout: Duration::ZERO, ..self.config().timeouts };
        let connect = || async {
            let backend = self.config().require_database_url()?.backend();
            backend.connect(scratch_url, &self.config().session_options()).await.map_err(|source| {
                Error::from(RuntimeError::Database {
                    action: "connect to the scratch database".into(),
                    source: DatabaseError(source),
                })
            })
        };

        // The target's extensions, schema and heads, then the rows.
        let mut session = connect().await?;
        for (extension, extension_schema) in &extensions {
            for sql in tracer.install_extension(extension, extension_schema) {
                session.execute(&sql).await.map_err(|source| RuntimeError::TraceExtension {
                    extension: extension.clone(),
                    source: DatabaseError(source),
                })?;
            }
        }
        for sql in tracer.use_schema(&current_schema) {
            session.execute(&sql).await.map_err(db_error("create the schema"))?;
        }
        let mut notes = Vec::new();
        let types: Vec<&Definition> = definitions.iter().filter(|definition| definition.before_tables()).collect();
        copy_definitions(session.as_mut(), &types, &mut notes).await;
        let mut built = Schema::default();
        for op in diff(&Schema::default(), schema, &DiffOptions::default()).upgrade {
            // Indexes are copied as the target writes them, below.
            if !matches!(op, Op::CreateIndex(_)) {
                for statement in dialect.render(&op, &built)? {
                    let action = format!("copy {} to the scratch database", op.describe());
                    session.execute(&statement.sql).await.map_err(db_error(&action))?;
                }
            }
            built.apply(&op).ok();
        }
        let state_tables = [tables.version_table.as_str(), tables.history_table.as_str()];
        let (before_rows, after_rows): (Vec<&Definition>, Vec<&Definition>) = definitions
            .iter()
            .filter(|definition| !state_tables.contains(&definition.table.as_str()) && !definition.before_tables())
            .partition(|definition| !definition.after_rows());
        session.execute(tracer.defer_body_checks()).await.ok();
        copy_definitions(session.as_mut(), &before_rows, &mut notes).await;
        for statement in dialect.create_state_tables(tables)? {
            session.execute(&statement.sql).await.map_err(db_error("create the version table"))?;
        }
        for head in &heads {
            let insert = common::insert_head(dialect, tables, head.as_str());
            session.execute(&insert.sql).await.map_err(db_error("copy the version table"))?;
        }
        // The revisions before the traced range run untraced, so that what they create is
        // filled too.
        let (schema, heads) = match &options.from {
            None => (schema.clone(), heads),
            Some(from) => {
                session.close().await.ok();
                let untraced_session = connect().await?;
                let goal = Goal::Upgrade(from);
                let untraced = runner::run(graph, tables, &timeouts, untraced_session, goal, &mut |_| {})
                    .await
                    .map_err(|source| RuntimeError::TraceRun { source: Box::new(source) })?;
                session = connect().await?;
                let options = IntrospectOptions {
                    schema: None,
                    exclude_tables: vec![tables.version_table.clone(), tables.history_table.clone()],
                };
                let schema = session
                    .introspect(&options)
                    .await
                    .map_err(|source| RuntimeError::Introspect { url: "the scratch database".to_owned(), source })?;
                (schema, untraced.heads)
            }
        };
        let schema = &schema;
        let plan = graph.plan_upgrade(&heads, &options.target)?;
        let mut rows = options.rows_for(schema, estimates);
        for (table, sql) in tracer.fill(schema, &rows) {
            if let Err(source) = session.execute(&sql).await {
                notes.push(format!("table `{table}` has no rows: {}", crate::runtime::database_message(&source)));
                // Reported as traced empty, not with the rows it was meant to get.
                rows.insert(table.clone(), 0);
            }
        }
        copy_definitions(session.as_mut(), &after_rows, &mut notes).await;
        session.execute("ANALYZE").await.ok();
        let session_id = session.query_text(tracer.session_id()).await.map_err(db_error("read the session id"))?;
        let session_id = session_id.into_iter().next().and_then(|r| r.into_iter().next().flatten()).unwrap_or_default();

        // The tables the pending revisions change that hold rows now.
        let mut touched = BTreeSet::new();
        for step in &plan.steps {
            let Some(revision) = graph.get(&step.revision) else { continue };
            let ops = if step.direction == Direction::Up { &revision.upgrade } else { &revision.downgrade };
            touched.extend(ops.iter().flat_map(tables_of).filter(|t| schema.tables.contains_key(t)));
        }

        let stop = Arc::new(AtomicBool::new(false));
        let samples: Arc<Mutex<Vec<LockSample>>> = Arc::default();
        let writes: Arc<Mutex<Vec<Write>>> = Arc::default();
        let mut watchers = Vec::new();
        {
            let mut watcher = connect().await?;
            let (stop, samples, query) = (stop.clone(), samples.clone(), tracer.locks_of(&session_id));
            watchers.push(tokio::spawn(async move {
                while !stop.load(Ordering::Relaxed) {
                    let at = Instant::now();
                    if let Ok(rows) = watcher.query_text(&query).await {
                        let mut samples = samples.lock().expect("no panic holds the samples");
                        for row in rows {
                            let mut cells = row.into_iter().map(Option::unwrap_or_default);
                            if let (Some(table), Some(mode)) = (cells.next(), cells.next()) {
                                samples.push(LockSample { at, table, mode });
                            }
                        }
                    }
                    tokio::time::sleep(Duration::from_millis(2)).await;
                }
                watcher.close().await.ok();
            }));
        }
        for table in &touched {
            let Some(probe) = schema.tables.get(table).and_then(|t| tracer.probe(t)) else { continue };
            let mut writer = connect().await?;
            let (stop, writes, table) = (stop.clone(), writes.clone(), table.clone());
            watchers.push(tokio::spawn(async move {
                while !stop.load(Ordering::Relaxed) {
                    let start = Instant::now();
                    let ok = writer.execute(&probe).await.is_ok();
                    let end = Instant::now();
                    if ok {
                        writes.lock().expect("no panic holds the writes").push(Write {
                            table: table.clone(),
                            start,
                            end,
                        });
                    }
                    tokio::time::sleep(Duration::from_millis(2)).await;
                }
                writer.close().await.ok();
            }));
        }

        let shared = Arc::new(Mutex::new(Traced::default()));
        let traced = Box::new(TracedSession { inner: session, tracer, shared: shared.clone() });
        let mut observer = |event: StepEvent<'_>| {
            if let StepEvent::Started { revision, .. } = event {
                shared.lock().expect("no panic holds the trace").revision = Some(revision.id.clone());
            }
        };
        let target = Goal::Upgrade(&options.target);
        let outcome = runner::run(graph, tables, &timeouts, traced, target, &mut observer).await;
        stop.store(true, Ordering::Relaxed);
        for watcher in watchers {
            watcher.await.ok();
        }
        outcome.map_err(|source| {
            if failed_on_data(&source) && options.rows != Some(0) {
                RuntimeError::TraceGeneratedRows { source: Box::new(source) }
            } else {
                RuntimeError::TraceRun { source: Box::new(source) }
            }
        })?;

        let executed = std::mem::take(&mut shared.lock().expect("no panic holds the trace").executed);
        let samples = samples.lock().expect("no panic holds the samples").clone();
        let writes = writes.lock().expect("no panic holds the writes").clone();
        let state_tables = [tables.version_table.as_str(), tables.history_table.as_str()];
        let statements = traced_statements(tracer, executed, &samples, &writes, &state_tables);
        Ok(TraceReport { statements, rows, budget: options.budget, notes })
    }
}

/// Creates each definition on the scratch copy; one that fails (a function in a language the
/// server lacks, a view over it) is named in a note, and the trace goes on without it.
async fn copy_definitions(session: &mut dyn Session, definitions: &[&Definition], notes: &mut Vec<String>) {
    for definition in definitions {
        if let Err(source) = session.execute(&definition.statement).await {
            let on = if definition.table.is_empty() { String::new() } else { format!(" on `{}`", definition.table) };
            notes.push(format!(
                "{} `{}`{on} was not copied: {}",
                definition.kind,
                definition.name,
                crate::runtime::database_message(&source)
            ));
        }
    }
}

/// The report of each `execute` but the run's own bookkeeping. A writer's wait counts
/// against one statement, the first that held a lock stopping writers on its table while it
/// waited: in a transaction, the statements after it hold that lock too, but the first took it.
fn traced_statements(
    tracer: &dyn TraceSql,
    executed: Vec<Executed>,
    samples: &[LockSample],
    writes: &[Write],
    state_tables: &[&str],
) -> Vec<TracedStatement> {
    let locks: Vec<BTreeMap<String, String>> =
        executed.iter().map(|executed| statement_locks(executed, samples, state_tables)).collect();
    let owner = |write: &Write| {
        let overlapping = |i: &usize| executed[*i].start <= write.end && executed[*i].end >= write.start;
        let holds = |i: &usize, blocking: bool| {
            locks[*i].get(&write.table).is_some_and(|mode| !blocking || tracer.blocks_writers(mode))
        };
        let candidates = || (0..executed.len()).filter(overlapping);
        candidates().find(|i| holds(i, true)).or_else(|| candidates().find(|i| holds(i, false)))
    };
    let mut stalls: Vec<Option<(String, Duration)>> = vec![None; executed.len()];
    for write in writes {
        let Some(i) = owner(write) else { continue };
        let wait = write.end - write.start;
        if stalls[i].as_ref().is_none_or(|(_, longest)| wait > *longest) {
            stalls[i] = Some((write.table.clone(), wait));
        }
    }
    executed
        .into_iter()
        .zip(locks)
        .zip(stalls)
        .filter(|((executed, _), _)| !is_bookkeeping(&executed.sql, state_tables))
        .filter_map(|((executed, locks), longest_stall)| {
            Some(TracedStatement {
                revision: executed.revision?,
                sql: executed.sql,
                duration: executed.end - executed.start,
                blocks_writers: locks.values().any(|mode| tracer.blocks_writers(mode)),
                locks,
                longest_stall,
                rewritten: executed.rewritten,
            })
        })
        .collect()
}

/// The strongest lock a statement held on each table: what the session held after it, and
/// what the watcher saw while it ran.
fn statement_locks(executed: &Executed, samples: &[LockSample], state_tables: &[&str]) -> BTreeMap<String, String> {
    let mut locks: BTreeMap<String, String> = BTreeMap::new();
    let seen = samples.iter().filter(|s| s.at >= executed.start && s.at <= executed.end).map(|s| (&s.table, &s.mode));
    for (table, mode) in executed.locks.iter().map(|(t, m)| (t, m)).chain(seen) {
        if state_tables.contains(&table.as_str()) {
            continue;
        }
        let entry = locks.entry(table.clone()).or_insert_with(|| mode.clone());
        if strength(mode) > strength(entry) {
            *entry = mode.clone();
        }
    }
    locks
}

/// Whether `sql` only opens or ends a transaction or writes the version and history tables:
/// the run's own steps, which hold the locks of the statements before them but take none.
fn is_bookkeeping(sql: &str, state_tables: &[&str]) -> bool {
    sql.split(";\n").map(str::trim).filter(|s| !s.is_empty()).all(|statement| {
        let word = statement.split_whitespace().next().unwrap_or_default().to_ascii_uppercase();
        matches!(word.as_str(), "BEGIN" | "COMMIT" | "ROLLBACK" | "SAVEPOINT" | "RELEASE")
            || state_tables.iter().any(|table| statement.contains(&format!("\"{table}\"")))
    })
}

/// PostgreSQL's table lock modes, weakest first; an unknown one counts as the weakest.
fn strength(mode: &str) -> usize {
    const ORDER: [&str; 8] = [
        "AccessShareLock",
        "RowShareLock",
        "RowExclusiveLock",
        "ShareUpdateExclusiveLock",
        "ShareLock",
        "ShareRowExclusiveLock",
        "ExclusiveLock",
        "AccessExclusiveLock",
    ];
    ORDER.iter().position(|m| *m == mode).unwrap_or(0)
}

/// The tables an op names (changed, or referenced by a new foreign key).
fn tables_of(op: &Op) -> Vec<String> {
    let mut tables = match op {
        Op::CreateTable(table) => vec![table.name.clone()],
        Op::DropTable { table, .. }
        | Op::RenameTable { table, .. }
        | Op::AddColumn { table, .. }
        | Op::DropColumn { table, .. }
        | Op::DropIndex { table, .. }
        | Op::RenameIndex { table, .. }
        | Op::RenameConstraint { table, .. }
        | Op::AddConstraint { table, .. }
        | Op::DropConstraint { table, .. }
        | Op::ValidateConstraint { table, .. }
        | Op::AlterTable { table, .. } => vec![table.clone()],
        Op::AlterColumn(change) => vec![change.table.clone()],
        Op::CreateIndex(create) => vec![create.table.clone()],
        Op::CreateEnum { .. }
        | Op::DropEnum { .. }
        | Op::AddEnumValue { .. }
        | Op::DropEnumValue { .. }
        | Op::Sql { .. } => Vec::new(),
    };
    if let Op::AddConstraint { constraint: crate::schema::Constraint::ForeignKey { references, .. }, .. } = op {
        tables.push(references.table.clone());
    }
    tables
}

/// What the traced session records.
#[derive(Debug, Default)]
struct Traced {
    revision: Option<RevisionId>,
    executed: Vec<Executed>,
}

/// The run's session, recording each statement with the locks it holds after it and the
/// tables whose storage file it changed.
struct TracedSession {
    inner: Box<dyn Session>,
    tracer: &'static dyn TraceSql,
    shared: Arc<Mutex<Traced>>,
}

fn pairs(rows: TextRows) -> Vec<(String, String)> {
    rows.into_iter()
        .filter_map(|row| {
            let mut cells = row.into_iter().map(Option::unwrap_or_default);
            Some((cells.next()?, cells.next()?))
        })
        .collect()
}

impl Session for TracedSession {
    fn dialect(&self) -> &'static dyn Dialect {
        self.inner.dialect()
    }

    fn execute<'a>(&'a mut self, sql: &'a str) -> BoxFuture<'a, Result<(), sqlx::Error>> {
        Box::pin(async move {
            let before: BTreeMap<String, String> =
                pairs(self.inner.query_text(self.tracer.file_nodes()).await.unwrap_or_default()).into_iter().collect();
            let start = Instant::now();
            let result = self.inner.execute(sql).await;
            let end = Instant::now();
            if result.is_ok() {
                // Inside a transaction the locks are still held; outside, the watcher saw them.
                let locks = pairs(self.inner.query_text(self.tracer.own_locks()).await.unwrap_or_default());
                let after = pairs(self.inner.query_text(self.tracer.file_nodes()).await.unwrap_or_default());
                let rewritten = after
                    .into_iter()
                    .filter(|(t, node)| before.get(t).is_some_and(|b| b != node))
                    .map(|(t, _)| t)
                    .collect();
                let mut shared = self.shared.lock().expect("no panic holds the trace");
                let revision = shared.revision.clone();
                shared.executed.push(Executed { revision, sql: sql.to_owned(), start, end, locks, rewritten });
            }
            result
        })
    }

    fn query_text<'a>(&'a mut self, sql: &'a str) -> BoxFuture<'a, Result<TextRows, sqlx::Error>> {
        self.inner.query_text(sql)
    }

    fn lock(&mut self) -> BoxFuture<'_, Result<(), sqlx::Error>> {
        self.inner.lock()
    }

    fn unlock(&mut self) -> BoxFuture<'_, Result<(), sqlx::Error>> {
        self.inner.unlock()
    }

    fn transaction_sql(&self) -> TransactionSql {
        self.inner.transaction_sql()
    }

    fn check_integrity(&mut self) -> BoxFuture<'_, Result<Vec<Violation>, sqlx::Error>> {
        self.inner.check_integrity()
    }

    fn introspect<'a>(&'a mut self, options: &'a IntrospectOptions) -> BoxFuture<'a, Result<Schema, IntrospectError>> {
        self.inner.introspect(options)
    }

    fn normalize<'a>(&'a mut self, models: &'a Schema) -> BoxFuture<'a, Result<Schema, IntrospectError>> {
        self.inner.normalize(models)
    }

    fn close(self: Box<Self>) -> BoxFuture<'static, Result<(), sqlx::Error>> {
        self.inner.close()
    }
}

/// Whether a revision failed on a value it met (SQLSTATE class 22, data exception, or 23,
/// integrity constraint violation): on the scratch copy that is a generated row.
fn failed_on_data(error: &Error) -> bool {
    let Error::Runtime(runtime) = error else { return false };
    let RuntimeError::StatementFailed { source, .. } = runtime.as_ref() else { return false };
    match &source.0 {
        sqlx::Error::Database(database) => {
            database.code().is_some_and(|code| code.starts_with("22") || code.starts_with("23"))
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_runs_own_statements_are_left_out_of_the_report() {
        let tables = ["aludel_version", "aludel_history"];
        for (sql, bookkeeping) in [
            ("BEGIN", true),
            ("COMMIT", true),
            ("UPDATE \"aludel_history\" SET direction = 'upgrading'", true),
            (
                "UPDATE \"aludel_version\" SET version_num = 'b';\nINSERT INTO \"aludel_history\" VALUES (1);\nCOMMIT",
                true,
            ),
            ("BEGIN;\nCREATE INDEX \"ix\" ON \"events\" (\"kind\")", false),
            ("ALTER TABLE \"events\" VALIDATE CONSTRAINT \"c\"", false),
        ] {
            assert_eq!(is_bookkeeping(sql, &tables), bookkeeping, "{sql}");
        }
    }

    #[cfg(feature = "postgres")]
    #[test]
    fn a_writers_wait_counts_against_the_statement_that_first_held_the_lock_it_waited_for() {
        let base = Instant::now();
        let at = |ms: u64| base + Duration::from_millis(ms);
        let lock = |mode: &str| vec![("events".to_owned(), mode.to_owned())];
        let statement = |sql: &str, start: u64, end: u64, locks: Vec<(String, String)>| Executed {
            revision: Some(RevisionId::parse("r2").expect("valid id")),
            sql: sql.to_owned(),
            start: at(start),
            end: at(end),
            locks,
            rewritten: Vec::new(),
        };
        // One transaction: every statement holds the locks of the ones before it.
        let executed = vec![
            statement("BEGIN;\nCREATE INDEX ix ON events (kind)", 0, 100, lock("ShareLock")),
            statement("ALTER TABLE events ALTER COLUMN kind TYPE bigint", 100, 1_800, lock("AccessExclusiveLock")),
            statement(
                "ALTER TABLE events ADD CONSTRAINT c CHECK (kind > 0) NOT VALID",
                1_800,
                1_805,
                lock("AccessExclusiveLock"),
            ),
            statement(
                "UPDATE \"aludel_version\" SET version_num = 'r2';\nCOMMIT",
                1_805,
                1_810,
                lock("AccessExclusiveLock"),
            ),
        ];
        let writes = vec![
            Write { table: "events".into(), start: at(50), end: at(1_810) },
            Write { table: "events".into(), start: at(1_811), end: at(1_812) },
            Write { table: "other".into(), start: at(60), end: at(70) },
        ];
        let tables = ["aludel_version", "aludel_history"];
        let tracer = crate::dialect::Backend::Postgres.dialect().tracer().expect("PostgreSQL traces");
        let report = traced_statements(tracer, executed, &[], &writes, &tables);
        let stalls: Vec<Option<u128>> =
            report.iter().map(|s| s.longest_stall.as_ref().map(|(_, wait)| wait.as_millis())).collect();
        assert_eq!(stalls, [Some(1_760), None, None]);
        let budget = Duration::from_millis(100);
        let over: Vec<bool> = report.iter().map(|s| s.exceeds(budget)).collect();
        assert_eq!(over, [true, true, false], "the brief NOT VALID step is not blamed for the build's wait");
    }

    #[test]
    fn a_range_names_where_the_trace_starts_and_ends() {
        let options = TraceOptions { from: None, target: "heads".into(), rows: Some(1), budget: Duration::ZERO };
        let ranged = options.clone().with_range("1a2b:head").expect("a range");
        assert_eq!((ranged.from.as_deref(), ranged.target.as_str()), (Some("1a2b"), "head"));
        for bad in ["1a2b", ":head", "1a2b:"] {
            let err = options.clone().with_range(bad).expect_err("not a range");
            assert!(
                matches!(err, Error::Runtime(ref e) if matches!(**e, RuntimeError::TraceRange { .. })),
                "{bad}: {err}"
            );
        }
    }

    #[test]
    fn rows_come_from_the_option_or_the_bounded_estimates() {
        let mut schema = Schema::default();
        for name in ["big", "huge", "never_analyzed", "small"] {
            schema.tables.insert(name.into(), crate::schema::Table::new(name));
        }
        let estimates: BTreeMap<String, i64> =
            [("big", 300_000), ("huge", 90_000_000), ("never_analyzed", -1), ("small", 12)]
                .into_iter()
                .map(|(t, n)| (t.to_owned(), n))
                .collect();
        let options = TraceOptions { from: None, target: "heads".into(), rows: None, budget: Duration::ZERO };
        let rows = options.rows_for(&schema, &estimates);
        let expected = [("big", 300_000), ("huge", 2_000_000), ("never_analyzed", 10_000), ("small", 10_000)];
        assert_eq!(rows, expected.into_iter().map(|(t, n)| (t.to_owned(), n)).collect::<BTreeMap<_, _>>());
        let fixed = TraceOptions { rows: Some(5), ..options }.rows_for(&schema, &estimates);
        assert!(fixed.values().all(|rows| *rows == 5));
    }

    #[test]
    fn a_statement_is_over_budget_when_writers_waited_or_it_held_a_blocking_lock_that_long() {
        let statement = |stall: Option<u64>, blocks_writers, duration| TracedStatement {
            revision: RevisionId::parse("r2").expect("valid id"),
            sql: "CREATE INDEX".into(),
            duration: Duration::from_millis(duration),
            locks: BTreeMap::new(),
            blocks_writers,
            longest_stall: stall.map(|ms| ("events".to_owned(), Duration::from_millis(ms))),
            rewritten: Vec::new(),
        };
        let budget = Duration::from_millis(100);
        assert!(statement(Some(150), false, 10).exceeds(budget));
        assert!(statement(None, true, 150).exceeds(budget));
        assert!(!statement(Some(50), true, 50).exceeds(budget));
        assert!(!statement(None, false, 500).exceeds(budget), "a long statement that lets writers on passes");
    }
}
