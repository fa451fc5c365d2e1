//! The lint corpus: each folder of `tests/lint/` holds revision files (`versions/`) and, in
//! `case.toml`, what the database would say (`sizes`, rows per table). Every case is linted
//! with every backend's rules, all revisions at once, and the findings are snapshotted as
//! `{case}@{dialect}`: dangerous cases show their rules, safe ones "no findings".
//!
//! Then the parts that need a database: the table sizes each backend reports, and `lint`
//! choosing the revisions the database has not applied.

mod common;

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use aludel::config::Config;
use aludel::dialect::Backend;
use aludel::lint::{LintOptions, Report, Severity, TableSizes, lint, lint_pending};
use aludel::runtime::{LintDatabase, LintSelection, Migrator, Project};
use aludel::script::{RevisionGraph, RevisionId, ScriptDirectory};
use common::{TestDb, backends, cases};
use serde::Deserialize;

/// `case.toml`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct CaseSettings {
    #[serde(default)]
    sizes: BTreeMap<String, u64>,
    /// Whether the case is about downgrades and reports `downgrade-not-written`.
    #[serde(default)]
    downgrade_rule: bool,
}

/// The corpus's revisions show how upgrades lock and are written without downgrades, which
/// `downgrade-not-written` would report in every case, burying what the case is about: it
/// is reported only where `case.toml` sets `downgrade_rule`.
const DOWNGRADE_RULE: &str = "downgrade-not-written";

fn without_downgrade_rule(mut report: Report) -> Report {
    report.findings.retain(|finding| finding.rule.id != DOWNGRADE_RULE);
    report
}

/// The findings as a reviewer reads them, paths left out (they name the machine's folder).
fn describe(report: &Report) -> String {
    let mut text =
        format!("revisions: {}\n", report.revisions.iter().map(|r| r.as_str()).collect::<Vec<_>>().join(", "));
    if report.findings.is_empty() {
        text.push_str("no findings\n");
    }
    for finding in &report.findings {
        let place = match (finding.op_index, &finding.op) {
            (Some(index), Some(op)) => format!("op {} {op}", index + 1),
            _ => "revision".to_owned(),
        };
        let statement = finding.statement.map(|s| format!(", statement {s}")).unwrap_or_default();
        let line = finding.line.map(|l| format!(", line {l}")).unwrap_or_default();
        writeln!(text, "{} {place}{statement}{line}", finding.revision).unwrap();
        let table = match (&finding.table, finding.rows) {
            (Some(table), Some(rows)) => format!(" [{table}: {rows} rows]"),
            (Some(table), None) => format!(" [{table}]"),
            _ => String::new(),
        };
        writeln!(text, "  {} {}{table}: {}", finding.severity.as_str(), finding.rule.id, finding.message).unwrap();
        if let Some(reason) = &finding.allowed {
            writeln!(text, "  allowed: {reason}").unwrap();
        }
    }
    text
}

fn lint_case(path: &Path, backend: Backend) -> Report {
    let settings: CaseSettings = match std::fs::read_to_string(path.join("case.toml")) {
        Ok(text) => toml::from_str(&text).expect("a valid case.toml"),
        Err(_) => CaseSettings::default(),
    };
    let graph = ScriptDirectory::new(path).load().unwrap_or_else(|err| panic!("{}: {err}", path.display()));
    let ids: Vec<_> = graph.revisions().iter().map(|r| r.id.clone()).collect();
    let sizes = (!settings.sizes.is_empty()).then(|| TableSizes::new(settings.sizes));
    let options = LintOptions {
        dialect: backend.dialect(),
        lock_timeout: aludel::config::Timeouts::default().lock_timeout,
        sizes: sizes.as_ref(),
    };
    let report = lint(&graph, &ids, &options);
    if settings.downgrade_rule { report } else { without_downgrade_rule(report) }
}

#[test]
fn corpus() {
    for case in cases("lint", true) {
        for backend in backends() {
            let report = lint_case(&case.path, backend);
            insta::assert_snapshot!(format!("{}@{}", case.name, backend.dialect().name()), describe(&report));
        }
    }
}

/// Every rule is found by some case on every backend it applies to, so each rule is proven
/// to fire, and where.
#[test]
fn the_corpus_covers_every_rule_on_every_backend_it_applies_to() {
    let mut seen: BTreeMap<(&str, &str), usize> = BTreeMap::new();
    for case in cases("lint", true) {
        for backend in Backend::ALL {
            for finding in lint_case(&case.path, *backend).findings {
                *seen.entry((finding.rule.id, backend.dialect().name())).or_default() += 1;
            }
        }
    }
    let missing: Vec<String> = aludel::lint::RULES
        .iter()
        .flat_map(|rule| rule.dialects.iter().map(move |dialect| (rule.id, *dialect)))
        .filter(|key| !seen.contains_key(key))
        .map(|(rule, dialect)| format!("{rule} on {dialect}"))
        .collect();
    assert!(missing.is_empty(), "no case finds: {}", missing.join(", "));
    // And no rule fires on a backend it does not apply to.
    for (rule, dialect) in seen.keys() {
        let applies = aludel::lint::rule(rule).expect("a known rule").dialects.contains(dialect);
        assert!(applies, "{rule} fired on {dialect}");
    }
}

/// How a selection is judged: [`lint`], each revision alone, or [`lint_pending`], as one run.
type Judge = fn(&RevisionGraph, &[RevisionId], &LintOptions<'_>) -> Report;

/// Lints the revisions `only` of corpus case `case` with PostgreSQL's rules, as a database
/// that applied the others would select them.
fn lint_some(case: &str, only: &[&str], judge: Judge) -> Report {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/lint").join(case);
    let graph = ScriptDirectory::new(&path).load().unwrap_or_else(|err| panic!("{}: {err}", path.display()));
    let ids: Vec<RevisionId> =
        graph.revisions().iter().map(|r| r.id.clone()).filter(|id| only.contains(&id.as_str())).collect();
    assert_eq!(ids.len(), only.len(), "{case} lacks one of {only:?}");
    let options = LintOptions {
        dialect: Backend::Postgres.dialect(),
        lock_timeout: aludel::config::Timeouts::default().lock_timeout,
        sizes: None,
    };
    without_downgrade_rule(judge(&graph, &ids, &options))
}

/// Each finding as `revision op rule table`, to compare with what a test expects.
fn found(report: &Report) -> Vec<String> {
    report
        .findings
        .iter()
        .map(|f| {
            let op = f.op_index.map_or_else(|| "-".to_owned(), |i| (i + 1).to_string());
            format!("{} {op} {} {}", f.revision, f.rule.id, f.table.as_deref().unwrap_or("-"))
        })
        .collect()
}

/// `downgrade-not-written` flags the revision with upgrade ops and no downgrade, and neither
/// the one with `[[downgrade]]` ops, nor `downgrade = []`, nor the one without ops.
#[test]
fn a_revision_without_a_downgrade_is_flagged() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/lint/downgrade_not_written");
    for backend in Backend::ALL {
        assert_eq!(found(&lint_case(&path, *backend)), ["b2 - downgrade-not-written -"], "{backend:?}");
    }
}

/// A check validated in a revision the database applied counts for the pending one that
/// sets NOT NULL, whether an op or raw SQL added or validated it; an op's check added NOT
/// VALID and never validated does not.
#[test]
fn checks_validated_by_applied_revisions_count_for_pending_ones() {
    let pending = lint_some("set_not_null_validated_earlier", &["d4"], lint);
    assert_eq!(found(&pending), ["d4 4 pg-set-not-null users"]);
    // All at once, the same.
    let all = lint_some("set_not_null_validated_earlier", &["a1", "b2", "c3", "d4"], lint);
    assert_eq!(found(&all), ["d4 4 pg-set-not-null users"]);
}

/// A database's pending revisions run one after the other: a table an earlier one creates is
/// empty when a later one indexes or constrains it. A range named by hand, or a database at
/// base (every revision pending: a fresh one), is judged revision by revision.
#[test]
fn pending_revisions_are_judged_as_one_run() {
    let case = "table_created_earlier_in_run";
    let users_only = ["c3 4 pg-index-not-concurrent users"];
    assert_eq!(found(&lint_some(case, &["b2", "c3"], lint_pending)), users_only);
    let alone = [
        "c3 1 pg-index-not-concurrent events",
        "c3 2 pg-set-not-null events",
        "c3 3 pg-constraint-not-valid events",
        "c3 4 pg-index-not-concurrent users",
    ];
    assert_eq!(found(&lint_some(case, &["b2", "c3"], lint)), alone);
    assert_eq!(found(&lint_some(case, &["a1", "b2", "c3"], lint_pending)), alone);
}

/// A project in a temporary folder whose versions are those of corpus case `case`.
fn project_of(case: &str, db: &TestDb) -> (tempfile::TempDir, Project) {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/lint").join(case).join("versions");
    let versions = dir.path().join("versions");
    std::fs::create_dir_all(&versions).expect("versions");
    for entry in std::fs::read_dir(source).expect("the case's versions") {
        let path = entry.expect("an entry").path();
        std::fs::copy(&path, versions.join(path.file_name().expect("a file"))).expect("copy");
    }
    let mut config = Config::for_url(&db.url).expect("a test URL");
    config.script_location = dir.path().to_owned();
    (dir, Project::new(config))
}

/// With a database, `lint` checks what it has not applied, and the tables' rows decide the
/// severity: on every backend, a 20,000-row table makes an index build a warning.
#[tokio::test(flavor = "multi_thread")]
async fn the_database_decides_what_is_linted_and_how_severe_it_is() {
    for backend in backends() {
        let name = backend.dialect().name();
        let db = TestDb::new(backend).await;
        let (_dir, project) = project_of("sizes_scale_severity", &db);
        Migrator::with_graph(project.config.clone(), project.revisions().unwrap()).upgrade("a1").await.unwrap();
        let insert = match backend {
            Backend::Postgres => "INSERT INTO users (id, email) SELECT n, 'u' || n FROM generate_series(1, 20000) AS n",
            // MariaDB stops a recursive query at 1,000 rows: multiply digits instead.
            _ => {
                "CREATE TABLE digits (d INTEGER); INSERT INTO digits VALUES (0), (1), (2), (3), (4), (5), (6), (7), \
                  (8), (9); INSERT INTO users (id, email) SELECT a.d + 10 * b.d + 100 * c.d + 1000 * e.d + 10000 * f.d \
                  + 1, 'u' FROM digits a, digits b, digits c, digits e, digits f WHERE f.d < 2; DROP TABLE digits"
            }
        };
        // Estimates come from statistics: gather them, as autovacuum would.
        let analyze = match backend {
            Backend::Postgres => "ANALYZE",
            Backend::MySql => "ANALYZE TABLE users, orgs",
            _ => "SELECT 1",
        };
        db.execute(&format!("{insert}; {analyze}")).await;

        let run = project.lint(&LintSelection::Pending, None).await.unwrap();
        let LintDatabase::Read { heads, sizes } = &run.database else { panic!("{name}: {:?}", run.database) };
        assert_eq!(heads.iter().map(|h| h.as_str()).collect::<Vec<_>>(), ["a1"], "{name}");
        assert!(sizes, "{name}");
        assert_eq!(run.report.revisions.iter().map(|r| r.as_str()).collect::<Vec<_>>(), ["b2"], "{name}");
        let users_rows = run.report.findings.iter().find(|f| f.table.as_deref() == Some("users")).and_then(|f| f.rows);
        let rows = users_rows.unwrap_or_else(|| panic!("{name}: no row estimate for users: {:?}", run.report));
        assert!((10_000..1_000_000).contains(&rows), "{name}: users estimated at {rows} rows");
        if backend == Backend::Postgres {
            let index = run
                .report
                .findings
                .iter()
                .find(|f| f.rule.id == "pg-index-not-concurrent" && f.table.as_deref() == Some("users"));
            assert_eq!(index.map(|f| f.severity), Some(Severity::Warning), "{:?}", run.report.findings);
            // The empty table is a note; `events`, which no revision made, has no estimate.
            let orgs = run.report.findings.iter().find(|f| f.table.as_deref() == Some("orgs")).unwrap();
            assert_eq!((orgs.rows, orgs.severity), (Some(0), Severity::Note));
        }

        // `--all` ignores what is applied.
        let all = project.lint(&LintSelection::All, None).await.unwrap();
        assert_eq!(all.report.revisions.len(), 2, "{name}");
    }
}

/// A database's pending revisions are linted as the next upgrade runs them: a table an
/// earlier pending revision creates is new in the later ones; `--all` judges each alone.
#[tokio::test(flavor = "multi_thread")]
async fn a_databases_pending_revisions_are_linted_as_one_run() {
    let db = TestDb::new(Backend::Postgres).await;
    let (_dir, project) = project_of("table_created_earlier_in_run", &db);
    Migrator::with_graph(project.config.clone(), project.revisions().unwrap()).upgrade("a1").await.unwrap();
    let tables = |run: &aludel::runtime::LintRun| {
        let mut tables: Vec<String> = run
            .report
            .findings
            .iter()
            .filter(|f| f.revision.as_str() == "c3")
            .filter_map(|f| f.table.clone())
            .collect();
        tables.dedup();
        tables
    };
    let pending = project.lint(&LintSelection::Pending, None).await.unwrap();
    assert_eq!(pending.report.revisions.iter().map(|r| r.as_str()).collect::<Vec<_>>(), ["b2", "c3"]);
    assert_eq!(tables(&pending), ["users"], "events is made by b2 in the same run: {:?}", pending.report.findings);
    let all = project.lint(&LintSelection::All, None).await.unwrap();
    assert!(tables(&all).contains(&"events".to_owned()), "{:?}", all.report.findings);
}

/// Without a reachable database, `lint` checks every revision with the URL's rules, and says
/// why it read nothing, without the password.
#[tokio::test]
async fn an_unreachable_database_lints_everything() {
    let dir = tempfile::tempdir().unwrap();
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/lint/index_on_existing_table");
    let config = {
        let mut config = Config::for_url("postgresql://app:s3cret@127.0.0.1:1/none").unwrap();
        config.script_location = source;
        config
    };
    drop(dir);
    let run = Project::new(config).lint(&LintSelection::Pending, None).await.unwrap();
    let LintDatabase::Unreachable(why) = &run.database else { panic!("{:?}", run.database) };
    assert!(!why.contains("s3cret"), "{why}");
    assert_eq!(run.report.revisions.len(), 2);
    assert!(run.report.has_errors());
}

/// The README's table documents every rule, by id, with the severity and backends the code
/// gives it.
#[test]
fn the_readme_documents_every_rule() {
    let readme = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../README.md")).unwrap();
    for rule in aludel::lint::RULES {
        let row = format!(
            "| `{}` | {} | {} | {} | {} | {} |",
            rule.id,
            rule.dialects.join(", "),
            rule.severity.as_str(),
            rule.summary,
            rule.why,
            rule.fix
        );
        assert!(readme.contains(&row), "the README has no row starting {row}");
    }
}
