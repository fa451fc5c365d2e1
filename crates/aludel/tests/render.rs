//! Every op and option rendered on every backend, snapshotted, and run on a real database,
//! driven by the cases under `tests/render/`.
//!
//! A case is a TOML file, `tests/render/<case>.toml`: `[[setup]]` ops build the starting
//! schema (and rows, through `op = "sql"`), `[[upgrade]]` ops are the subject, `[[check]]`
//! queries prove the result (rows survive, a default applies) and `expect_error` names the
//! dialects that must refuse the upgrade, with the kind of `RenderError`. For each case and
//! backend the upgrade ops render together, as a run renders a revision's step
//! (`Dialect::render_ops`), and the upgrade SQL is snapshotted as `{case}@{dialect}` (or the error, where one is
//! expected), then setup and upgrade run on a fresh database, statement by statement,
//! followed by the checks. A new case is a new file; its name is its snapshots' prefix, so
//! keep it stable.
//!
//! A check without `dialect` runs on every backend but those it lists under `except`; on MySQL
//! its `CAST(... AS TEXT)` reads `CAST(... AS CHAR)`, MySQL's spelling.
//!
//! `ALUDEL_TEST_DIALECT=postgresql` (comma-separated) and `ALUDEL_TEST_CASE=<substring>`
//! narrow a run while working on one dialect or case; the test says what it left out.

mod common;

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::panic::{AssertUnwindSafe, catch_unwind};

use aludel::dialect::{Backend, RenderError, Statement};
use aludel::ops::Op;
use aludel::schema::Schema;
use serde::Deserialize;
use tokio::task::JoinSet;

/// How many cases run at once: each one creates a database.
const PARALLEL: usize = 8;

/// One case, as a file under `tests/render/` spells it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    /// Ops that build the starting state; rendered and run, but not snapshotted.
    #[serde(default)]
    setup: Vec<Op>,
    /// The ops under test.
    upgrade: Vec<Op>,
    /// Queries run after the upgrade.
    #[serde(default)]
    check: Vec<Check>,
    /// Dialects that must refuse the upgrade, and how.
    #[serde(default)]
    expect_error: BTreeMap<String, ErrorKind>,
}

/// A query and the rows it must return, every cell as text and `NULL` as `"NULL"`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Check {
    query: String,
    rows: Vec<Vec<String>>,
    /// Run only on this dialect (for catalog queries).
    #[serde(default)]
    dialect: Option<String>,
    /// Dialects the check does not run on (where the backend holds it otherwise, and a check
    /// of its own says how).
    #[serde(default)]
    except: Vec<String>,
}

impl Check {
    /// Whether the check runs on `dialect`.
    fn runs_on(&self, dialect: &str) -> bool {
        self.dialect.as_deref().is_none_or(|d| d == dialect) && !self.except.iter().any(|d| d == dialect)
    }

    /// The query as `dialect` spells it: MySQL casts to text as `CAST(... AS CHAR)`, which is
    /// the one change a portable check needs there.
    fn query(&self, dialect: &str) -> String {
        if dialect == "mysql" && self.dialect.is_none() {
            self.query.replace(" AS TEXT)", " AS CHAR)")
        } else {
            self.query.clone()
        }
    }
}

/// The `RenderError` variant a dialect must answer with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
enum ErrorKind {
    Unsupported,
    Invalid,
    Schema,
}

impl ErrorKind {
    fn matches(self, err: &RenderError) -> bool {
        match self {
            ErrorKind::Unsupported => matches!(err, RenderError::Unsupported { .. }),
            ErrorKind::Invalid => matches!(err, RenderError::Invalid { .. }),
            ErrorKind::Schema => matches!(err, RenderError::Schema { .. }),
        }
    }
}

/// Renders one op for `backend` against `schema`, then moves `schema` past it.
fn render_step(backend: Backend, op: &Op, schema: &mut Schema) -> Result<Vec<Statement>, String> {
    let statements = backend.dialect().render(op, schema).map_err(|err| describe(&err))?;
    schema.apply(op).map_err(|err| format!("schema: {}: {err}", op.describe()))?;
    Ok(statements)
}

/// A render error with its variant, as failures and snapshots show it.
fn describe(err: &RenderError) -> String {
    let kind = match err {
        RenderError::Unsupported { .. } => "unsupported",
        RenderError::Invalid { .. } => "invalid",
        RenderError::Schema { .. } => "schema",
        _ => "unknown kind",
    };
    format!("render error ({kind}): {err}")
}

/// The snapshot text of a script: statements joined by `;\n`, with a final `;`.
fn script(statements: &[Statement]) -> String {
    if statements.is_empty() {
        return "-- no statements".to_owned();
    }
    let joined: Vec<&str> = statements.iter().map(|s| s.sql.as_str()).collect();
    format!("{};", joined.join(";\n"))
}

/// Asserts a snapshot without unwinding, so one mismatch does not hide the other cases.
fn snapshot(name: String, text: &str) -> Result<(), String> {
    catch_unwind(AssertUnwindSafe(|| insta::assert_snapshot!(name, text)))
        .map_err(|_| "the snapshot differs (the diff is printed above)".to_owned())
}

/// Runs one case on one backend; `Err` says what went wrong.
async fn run_case(name: &str, text: &str, backend: Backend) -> Result<(), String> {
    let case: Case = toml::from_str(text).map_err(|err| format!("the case is not valid TOML: {err}"))?;
    let dialect = backend.dialect().name();
    let snapshot_name = format!("{name}@{dialect}");

    let mut schema = Schema::default();
    let mut setup = Vec::new();
    for op in &case.setup {
        setup.extend(render_step(backend, op, &mut schema).map_err(|err| format!("setup: {err}"))?);
    }

    // The upgrade ops render together, as a run renders a revision's step.
    let (upgrade, refused) = match backend.dialect().render_ops(&case.upgrade, &mut schema.clone()) {
        Ok(rendered) => (rendered.into_iter().flatten().collect::<Vec<_>>(), None),
        Err((_, err)) => (Vec::new(), Some(err)),
    };
    if refused.is_none() {
        for op in &case.upgrade {
            schema.apply(op).map_err(|err| format!("upgrade: schema: {}: {err}", op.describe()))?;
        }
    }

    match (refused, case.expect_error.get(dialect)) {
        (None, None) => {}
        (Some(err), Some(kind)) if kind.matches(&err) => {
            return snapshot(snapshot_name, &describe(&err));
        }
        (Some(err), expected) => {
            let expected = expected.map_or(String::new(), |kind| format!(" (expected {kind:?})"));
            return Err(format!("{}{expected}", describe(&err)));
        }
        (None, Some(kind)) => return Err(format!("expected a {kind:?} error, but every op rendered")),
    }
    snapshot(snapshot_name, &script(&upgrade))?;

    let db = common::TestDb::new(backend).await;
    let mut session = backend.connect(&db.url, &Default::default()).await.map_err(|err| format!("connect: {err}"))?;
    // One statement at a time, outside a transaction, as `CREATE INDEX CONCURRENTLY` needs.
    for (phase, statements) in [("setup", &setup), ("upgrade", &upgrade)] {
        for statement in statements {
            session.execute(&statement.sql).await.map_err(|err| format!("{phase} failed: {err}\n{statement}"))?;
        }
    }
    let violations = session.check_integrity().await.map_err(|err| format!("integrity check: {err}"))?;
    if !violations.is_empty() {
        return Err(format!("integrity violations after the upgrade: {violations:?}"));
    }
    for check in case.check.iter().filter(|c| c.runs_on(dialect)) {
        let query = check.query(dialect);
        let rows = session.query_text(&query).await.map_err(|err| format!("check failed: {err}\n{query}"))?;
        let rows: Vec<Vec<String>> = rows
            .into_iter()
            .map(|row| row.into_iter().map(|cell| cell.unwrap_or_else(|| "NULL".into())).collect())
            .collect();
        if rows != check.rows {
            return Err(format!("check {}\nreturned {rows:?}\nexpected {:?}", query.trim(), check.rows));
        }
    }
    session.close().await.ok();
    Ok(())
}

/// The message of a task's panic.
fn panic_message(err: tokio::task::JoinError) -> String {
    match err.try_into_panic() {
        Ok(payload) => payload
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| payload.downcast_ref::<&str>().map(|s| (*s).to_owned()))
            .unwrap_or_else(|| "panicked".to_owned()),
        Err(err) => err.to_string(),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn every_op_renders_and_runs_on_every_backend() {
    let backends = common::backends();
    let mut jobs = Vec::new();
    for case in common::cases("render", false) {
        let text = std::fs::read_to_string(&case.path).unwrap_or_else(|err| panic!("{}: {err}", case.path.display()));
        for &backend in &backends {
            jobs.push((case.name.clone(), text.clone(), backend));
        }
    }

    let mut failures = Vec::new();
    let mut pending = jobs.into_iter();
    let mut running = JoinSet::new();
    let mut labels = BTreeMap::new();
    loop {
        while running.len() < PARALLEL {
            let Some((name, text, backend)) = pending.next() else { break };
            let label = format!("{name}@{}", backend.dialect().name());
            let task = running.spawn(async move { run_case(&name, &text, backend).await });
            labels.insert(task.id(), label);
        }
        let Some(done) = running.join_next_with_id().await else { break };
        let (id, outcome) = match done {
            Ok((id, outcome)) => (id, outcome),
            // A panic outside the snapshot (the test database could not be created).
            Err(err) => (err.id(), Err(panic_message(err))),
        };
        if let Err(reason) = outcome {
            failures.push(format!("{}: {reason}", labels[&id]));
        }
    }
    failures.sort();
    let mut report = String::new();
    for failure in &failures {
        let _ = writeln!(report, "--- {failure}\n");
    }
    assert!(failures.is_empty(), "{} case(s) failed:\n\n{report}", failures.len());
}
