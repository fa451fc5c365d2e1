//! Lock and statement timeouts at run time, on the real servers: a second session holds a
//! lock the revision needs; the revision gives up after its lock timeout, is rolled back,
//! announced and tried again, and succeeds once the lock is gone. `--sql` scripts carry the
//! same settings.

mod common;

use std::path::Path;
use std::time::Duration;

use aludel::Error;
use aludel::config::{Config, Timeouts};
use aludel::dialect::Backend;
use aludel::runtime::{Migrator, RuntimeError, StepEvent};
use aludel::script::Direction;
use common::TestDb;

/// `b2`'s op: a column added to `t`, which needs `t`'s exclusive lock.
const ADD_COLUMN: &str =
    "[[upgrade]]\nop = \"add_column\"\ntable = \"t\"\ncolumn = { name = \"note\", type = \"text\" }\n";

/// `t` created by `a1`; `b2` runs `b2_ops` (`ADD_COLUMN` unless a test needs another).
fn project(dir: &Path, db: &TestDb, timeouts: Timeouts, b2_header: &str) -> Migrator {
    project_with(dir, db, timeouts, b2_header, ADD_COLUMN)
}

fn project_with(dir: &Path, db: &TestDb, timeouts: Timeouts, b2_header: &str, b2_ops: &str) -> Migrator {
    let versions = dir.join("versions");
    std::fs::create_dir_all(&versions).unwrap();
    std::fs::write(
        versions.join("a1_t.toml"),
        "revision = \"a1\"\n[[upgrade]]\nop = \"create_table\"\ntable = \"t\"\n\
         columns = [{ name = \"id\", type = \"integer\", nullable = false }]\nprimary_key = [\"id\"]\n",
    )
    .unwrap();
    std::fs::write(
        versions.join("b2_column.toml"),
        format!("revision = \"b2\"\ndown_revision = \"a1\"\n{b2_header}\n{b2_ops}"),
    )
    .unwrap();
    let mut config = Config::for_url(&db.url).unwrap();
    config.script_location = dir.to_owned();
    config.timeouts = timeouts;
    Migrator::new(config).unwrap()
}

/// SQL a second session runs to hold a lock `ALTER TABLE t` waits for, and to let it go.
fn hold_and_release(backend: Backend) -> (&'static str, &'static str) {
    match backend {
        // A long read: ALTER TABLE waits for it, and every later query would wait behind it.
        Backend::Postgres => ("BEGIN; LOCK TABLE t IN ACCESS SHARE MODE", "COMMIT"),
        // An open transaction that read `t` holds its metadata lock until it ends.
        _ => ("START TRANSACTION; SELECT * FROM t", "COMMIT"),
    }
}

const SHORT: Timeouts =
    Timeouts { lock_timeout: Duration::from_millis(300), statement_timeout: Duration::from_secs(20), lock_retries: 3 };

/// The lock is released after the first timeout: one retry, then the revision runs.
async fn gives_up_retries_and_succeeds(backend: Backend) {
    let db = TestDb::new(backend).await;
    let dir = tempfile::tempdir().unwrap();
    let migrator = project(dir.path(), &db, SHORT, "");
    migrator.upgrade("a1").await.unwrap();
    let (hold, release) = hold_and_release(backend);
    let mut holder = db.session().await;
    holder.execute(hold).await.unwrap();

    let (retried, mut retries) = tokio::sync::mpsc::unbounded_channel();
    let mut events = Vec::new();
    let mut observe = |event: StepEvent<'_>| {
        if let StepEvent::Retrying { revision, attempt, retries, wait } = event {
            events.push((revision.id.to_string(), attempt, retries, wait));
            retried.send(()).ok();
        }
    };
    let run = migrator.migrate(Direction::Up, "head", &mut observe);
    let release_after_first_timeout = async {
        retries.recv().await;
        holder.execute(release).await.unwrap();
        holder
    };
    let (report, holder) =
        tokio::time::timeout(Duration::from_secs(30), async { tokio::join!(run, release_after_first_timeout) })
            .await
            .expect("the revision stops waiting for the lock on its own");
    holder.close().await.ok();
    let report = report.unwrap_or_else(|err| panic!("{backend:?}: {err}"));
    assert_eq!(report.heads.iter().map(|h| h.as_str()).collect::<Vec<_>>(), ["b2"]);
    assert_eq!(events, [("b2".to_owned(), 1, 3, Duration::from_millis(500))], "{backend:?}");
    let schema = db.introspect().await;
    assert!(schema.table("t").unwrap().column("note").is_some(), "{backend:?}: the column was added");
    // A later run finds nothing unfinished: the failed attempt is history.
    assert!(migrator.upgrade("head").await.unwrap().steps.is_empty());
}

/// The lock is never released: every retry times out, and the revision is not applied.
async fn gives_up_after_its_retries(backend: Backend) {
    let db = TestDb::new(backend).await;
    let dir = tempfile::tempdir().unwrap();
    let migrator = project(dir.path(), &db, SHORT, "lock_retries = 1");
    migrator.upgrade("a1").await.unwrap();
    let (hold, release) = hold_and_release(backend);
    let mut holder = db.session().await;
    holder.execute(hold).await.unwrap();
    let mut attempts = Vec::new();
    let mut observe = |event: StepEvent<'_>| {
        if let StepEvent::Retrying { attempt, retries, .. } = event {
            attempts.push((attempt, retries));
        }
    };
    let err = migrator.migrate(Direction::Up, "head", &mut observe).await.expect_err("the lock is held throughout");
    holder.execute(release).await.unwrap();
    holder.close().await.ok();
    assert_eq!(attempts, [(1, 1)], "{backend:?}: the revision's own lock_retries counts");
    let Error::Runtime(runtime) = &err else { panic!("{backend:?}: {err}") };
    let RuntimeError::StatementFailed { revision, op_number, source, .. } = runtime.as_ref() else {
        panic!("{backend:?}: {err}")
    };
    assert_eq!((revision.as_str(), *op_number), ("b2", 1));
    let words = source.to_string();
    let expected = if backend == Backend::Postgres { "55P03" } else { "Lock wait timeout" };
    assert!(words.contains(expected), "{backend:?}: {words}");
    assert!(db.introspect().await.table("t").unwrap().column("note").is_none(), "{backend:?}: nothing applied");
}

/// Outside a transaction (every revision on MariaDB, `transactional = false` on PostgreSQL), the
/// first op takes effect before the second gives up waiting: the retry goes on from the second
/// op, without running the first again.
async fn gives_up_part_way_and_goes_on(backend: Backend) {
    let db = TestDb::new(backend).await;
    let dir = tempfile::tempdir().unwrap();
    let first =
        "[[upgrade]]\nop = \"create_table\"\ntable = \"u\"\ncolumns = [{ name = \"id\", type = \"integer\" }]\n";
    let header = if backend == Backend::Postgres { "transactional = false" } else { "" };
    let migrator = project_with(dir.path(), &db, SHORT, header, &format!("{first}\n{ADD_COLUMN}"));
    migrator.upgrade("a1").await.unwrap();
    let (hold, release) = hold_and_release(backend);
    let mut holder = db.session().await;
    holder.execute(hold).await.unwrap();

    let (retried, mut retries) = tokio::sync::mpsc::unbounded_channel();
    let mut observe = |event: StepEvent<'_>| {
        if let StepEvent::Retrying { attempt, .. } = event {
            retried.send(attempt).ok();
        }
    };
    let run = migrator.migrate(Direction::Up, "head", &mut observe);
    let release_after_first_timeout = async {
        let attempt = retries.recv().await;
        holder.execute(release).await.unwrap();
        (holder, attempt)
    };
    let (report, (holder, attempt)) =
        tokio::time::timeout(Duration::from_secs(30), async { tokio::join!(run, release_after_first_timeout) })
            .await
            .expect("the revision stops waiting for the lock on its own");
    holder.close().await.ok();
    let report = report.unwrap_or_else(|err| panic!("{backend:?}: {err}"));
    assert_eq!(attempt, Some(1), "{backend:?}");
    assert_eq!(report.heads.iter().map(|h| h.as_str()).collect::<Vec<_>>(), ["b2"]);
    let schema = db.introspect().await;
    assert!(schema.table("u").is_some(), "{backend:?}: the first op's table stays");
    assert!(schema.table("t").unwrap().column("note").is_some(), "{backend:?}: the second op ran on the retry");
    let history = migrator.recorded_history().await.unwrap_or_else(|err| panic!("{backend:?}: {err}"));
    let details: Vec<String> = history.iter().filter_map(|row| row.detail.clone()).collect();
    assert!(
        details.iter().any(|d| d == "gave up waiting for a lock after 1 op(s) ran; tried again from op 2"),
        "{backend:?}: {details:?}"
    );
    // Nothing unfinished is left: the next run has nothing to do.
    assert!(migrator.upgrade("head").await.unwrap().steps.is_empty());
}

#[tokio::test]
async fn postgres_retries_a_revision_that_gave_up_waiting_for_a_lock() {
    gives_up_retries_and_succeeds(Backend::Postgres).await;
    gives_up_after_its_retries(Backend::Postgres).await;
    gives_up_part_way_and_goes_on(Backend::Postgres).await;
}

#[tokio::test]
async fn mariadb_retries_a_revision_that_gave_up_waiting_for_a_lock() {
    gives_up_retries_and_succeeds(Backend::MySql).await;
    gives_up_after_its_retries(Backend::MySql).await;
    gives_up_part_way_and_goes_on(Backend::MySql).await;
}

/// A concurrent index build (outside a transaction) that gave up waiting leaves an INVALID
/// index behind; the retry drops it and builds the index again, valid.
#[tokio::test]
async fn postgres_builds_again_an_index_a_concurrent_build_left_invalid() {
    let db = TestDb::new(Backend::Postgres).await;
    let dir = tempfile::tempdir().unwrap();
    let index = "[[upgrade]]\nop = \"create_index\"\ntable = \"t\"\nname = \"ix_t_id\"\ncolumns = [\"id\"]\nconcurrently = true\n";
    let migrator = project_with(dir.path(), &db, SHORT, "transactional = false", index);
    migrator.upgrade("a1").await.unwrap();
    // A writer's open transaction: the build records the index, then waits for the writer.
    let mut writer = db.session().await;
    writer.execute("BEGIN; INSERT INTO t (id) VALUES (1)").await.unwrap();

    let (retried, mut retries) = tokio::sync::mpsc::unbounded_channel();
    let mut invalid_before_retry = Vec::new();
    let mut observe = |event: StepEvent<'_>| {
        if let StepEvent::Retrying { .. } = event {
            retried.send(()).ok();
        }
    };
    let run = migrator.migrate(Direction::Up, "head", &mut observe);
    let release = async {
        retries.recv().await;
        invalid_before_retry = db.query("SELECT indexrelid::regclass::text FROM pg_index WHERE NOT indisvalid").await;
        writer.execute("COMMIT").await.unwrap();
        writer
    };
    let (report, writer) =
        tokio::time::timeout(Duration::from_secs(30), async { tokio::join!(run, release) }).await.expect("no hang");
    writer.close().await.ok();
    report.unwrap();
    assert_eq!(invalid_before_retry, [vec![Some("ix_t_id".to_owned())]], "the first build left its index invalid");
    let valid = db.query("SELECT indisvalid::text FROM pg_index WHERE indexrelid = 'ix_t_id'::regclass").await;
    assert_eq!(valid, [vec![Some("true".to_owned())]]);
    let history = db.query("SELECT direction FROM aludel_history WHERE revision = 'b2' ORDER BY id").await;
    let history: Vec<String> = history.into_iter().filter_map(|row| row.into_iter().next().flatten()).collect();
    assert_eq!(history, ["upgrade-reverted", "upgrade"], "the failed attempt is history, the retry applied");
}

/// A statement past its statement timeout fails with how to give the revision longer.
#[tokio::test]
async fn a_statement_past_its_timeout_says_how_to_raise_it() {
    let db = TestDb::new(Backend::Postgres).await;
    let dir = tempfile::tempdir().unwrap();
    let timeouts = Timeouts { statement_timeout: Duration::from_millis(200), ..Timeouts::default() };
    let migrator = project(dir.path(), &db, timeouts, "");
    std::fs::write(
        dir.path().join("versions/c3_slow.toml"),
        "revision = \"c3\"\ndown_revision = \"b2\"\n[[upgrade]]\nop = \"sql\"\nsql = \"SELECT pg_sleep(2)\"\n",
    )
    .unwrap();
    let migrator = Migrator::new(migrator.config().clone()).unwrap();
    let err = migrator.upgrade("head").await.expect_err("pg_sleep(2) outlasts 200 ms");
    let text = err.to_string();
    assert!(text.contains("statement_timeout = \"10min\""), "{text}");
    assert_eq!(migrator.current().await.unwrap().iter().map(|h| h.as_str()).collect::<Vec<_>>(), ["b2"]);

    // The revision's own setting wins over aludel.toml's.
    std::fs::write(
        dir.path().join("versions/c3_slow.toml"),
        "revision = \"c3\"\ndown_revision = \"b2\"\nstatement_timeout = \"5s\"\n\
         [[upgrade]]\nop = \"sql\"\nsql = \"SELECT pg_sleep(0.5)\"\n",
    )
    .unwrap();
    let migrator = Migrator::new(migrator.config().clone()).unwrap();
    migrator.upgrade("head").await.unwrap();
}

/// `--sql` scripts set the same timeouts as an online run: in each revision's transaction on
/// PostgreSQL, on the session on MySQL, with a revision's own values over aludel.toml's.
#[test]
fn scripts_carry_the_timeouts() {
    let dir = tempfile::tempdir().unwrap();
    for (url, expected) in [
        (
            "postgresql://localhost/app",
            vec![
                "BEGIN;\nSET LOCAL lock_timeout = '2000ms';\nSET LOCAL statement_timeout = '3000ms';\nCREATE TABLE",
                // The check that the version table holds a1 comes before b2's ops.
                "BEGIN;\nSET LOCAL lock_timeout = '750ms';\nSET LOCAL statement_timeout = '3000ms';\nDO $aludel$",
            ],
        ),
        (
            "mysql://localhost/app",
            vec![
                "SET SESSION lock_wait_timeout = 2, innodb_lock_wait_timeout = 2 \
                 /*M!100108 , max_statement_time = 3.000 */;\nCREATE TABLE",
                "SET SESSION lock_wait_timeout = 1, innodb_lock_wait_timeout = 1 \
                 /*M!100108 , max_statement_time = 3.000 */;\nALTER TABLE",
            ],
        ),
    ] {
        let versions = dir.path().join("versions");
        std::fs::create_dir_all(&versions).unwrap();
        std::fs::write(
            versions.join("a1_t.toml"),
            "revision = \"a1\"\n[[upgrade]]\nop = \"create_table\"\ntable = \"t\"\ncolumns = [{ name = \"id\", type = \"integer\" }]\n",
        )
        .unwrap();
        std::fs::write(
            versions.join("b2_column.toml"),
            "revision = \"b2\"\ndown_revision = \"a1\"\nlock_timeout = \"750ms\"\n[[upgrade]]\nop = \"add_column\"\n\
             table = \"t\"\ncolumn = { name = \"note\", type = \"text\" }\n",
        )
        .unwrap();
        let mut config = Config::for_url(url).unwrap();
        config.script_location = dir.path().to_owned();
        let script = Migrator::new(config).unwrap().script(Direction::Up, "base:head").unwrap();
        for part in expected {
            assert!(script.contains(part), "{url}: {part:?} not in\n{script}");
        }
    }
}
