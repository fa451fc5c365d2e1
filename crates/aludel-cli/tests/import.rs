//! `aludel import sqlx|diesel|refinery DIR` on PostgreSQL: fixtures in each tool's own
//! layout become revisions whose upgrade builds the same schema (by `pg_dump --schema-only`)
//! as the tool's up files run in order with `psql`, whose downgrade undoes it where the tool
//! has down files, and which stamp a database the tool manages at the last migration its
//! table records, leaving that table in place.

mod common;

use std::path::{Path, PathBuf};

use common::{Backend, Project, TestDb};

/// The fixture folder of `tool`, and its migrations' up files in the tool's order.
fn fixture(tool: &str) -> (PathBuf, Vec<PathBuf>) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/import").join(tool);
    let mut ups: Vec<PathBuf> = match tool {
        "diesel" => {
            std::fs::read_dir(&dir).expect("fixture").map(|e| e.expect("entry").path().join("up.sql")).collect()
        }
        _ => std::fs::read_dir(&dir)
            .expect("fixture")
            .map(|e| e.expect("entry").path())
            .filter(|p| !p.to_string_lossy().ends_with(".down.sql"))
            .collect(),
    };
    ups.sort_by_key(|p| {
        // refinery orders V1, V2, ... by number; the others' names sort as their versions.
        let name = p.to_string_lossy().into_owned();
        name.rsplit_once("/V")
            .and_then(|(_, v)| v.split("__").next()?.parse::<u32>().ok())
            .map_or(name, |n| format!("{n:010}"))
    });
    (dir, ups)
}

/// Runs `psql` on `url` with each file in turn, stopping at the first error.
fn psql(url: &str, files: &[PathBuf]) {
    for file in files {
        let output = std::process::Command::new("psql")
            .args(["-q", "-v", "ON_ERROR_STOP=1", "-f", &file.to_string_lossy(), url])
            .output()
            .expect("psql runs (install postgresql-client)");
        assert!(output.status.success(), "{}: {}", file.display(), String::from_utf8_lossy(&output.stderr));
    }
}

/// `pg_dump --schema-only` without aludel's tables, the tool's table and psql's `\restrict`
/// lines.
fn dump(url: &str, tool_table: &str) -> String {
    let output = std::process::Command::new("pg_dump")
        .args([
            "--schema-only",
            "--exclude-table=aludel_version",
            "--exclude-table=aludel_history",
            &format!("--exclude-table={tool_table}"),
            url,
        ])
        .output()
        .expect("pg_dump runs (install postgresql-client)");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter(|l| !l.starts_with("\\restrict") && !l.starts_with("\\unrestrict"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The tool's version table, as the tool creates it, with a row for each of `versions`.
fn tool_table(tool: &str, versions: &[&str]) -> String {
    match tool {
        "sqlx" => {
            let rows: Vec<String> = versions.iter().map(|v| format!("({v}, 'x', true, '\\x00', 1)")).collect();
            format!(
                "CREATE TABLE _sqlx_migrations (version BIGINT PRIMARY KEY, description TEXT NOT NULL, installed_on \
                 TIMESTAMPTZ NOT NULL DEFAULT now(), success BOOLEAN NOT NULL, checksum BYTEA NOT NULL, \
                 execution_time BIGINT NOT NULL);\nINSERT INTO _sqlx_migrations (version, description, success, \
                 checksum, execution_time) VALUES {};",
                rows.join(", ")
            )
        }
        "diesel" => {
            let rows: Vec<String> = versions.iter().map(|v| format!("('{v}')")).collect();
            format!(
                "CREATE TABLE __diesel_schema_migrations (version VARCHAR(50) PRIMARY KEY NOT NULL, run_on TIMESTAMP \
                 NOT NULL DEFAULT CURRENT_TIMESTAMP);\nINSERT INTO __diesel_schema_migrations (version) VALUES {};",
                rows.join(", ")
            )
        }
        _ => {
            let rows: Vec<String> = versions.iter().map(|v| format!("({v}, 'x', 'now', '1')")).collect();
            format!(
                "CREATE TABLE refinery_schema_history (version INT4 PRIMARY KEY, name VARCHAR(255), applied_on \
                 VARCHAR(255), checksum VARCHAR(255));\nINSERT INTO refinery_schema_history VALUES {};",
                rows.join(", ")
            )
        }
    }
}

/// For each tool: its version table, the versions of its fixture, whether it has downs.
const TOOLS: [(&str, &str, &[&str], bool); 3] = [
    ("sqlx", "_sqlx_migrations", &["20240101120000", "20240102120000", "20240103120000"], true),
    (
        "diesel",
        "__diesel_schema_migrations",
        &["00000000000000", "20240101120000", "20240102120000", "20240103120000"],
        true,
    ),
    ("refinery", "refinery_schema_history", &["1", "2", "3"], false),
];

#[tokio::test(flavor = "multi_thread")]
async fn an_imported_history_builds_what_the_tool_builds_and_stamps_its_database() {
    for (tool, table, versions, has_downs) in TOOLS {
        let (dir, ups) = fixture(tool);
        let dir_text = dir.to_string_lossy().into_owned();

        // The original: every up file run in order, as the tool runs them.
        let original = TestDb::new(Backend::Postgres).await;
        psql(&original.url, &ups);

        // A database the tool manages, one migration behind.
        let managed = TestDb::new(Backend::Postgres).await;
        psql(&managed.url, &ups[..ups.len() - 1]);
        managed.execute(&tool_table(tool, &versions[..versions.len() - 1])).await;

        let project = Project::new(Backend::Postgres).await;
        let run = project.run_with_url(&managed.url, &["import", tool, &dir_text]).await.ok();
        let last_applied = format!("{tool}_{}", versions[versions.len() - 2]);
        assert!(
            run.stdout.starts_with("Database: postgresql://")
                && run.stdout.contains(&format!("Imported {} {tool} migration(s)", versions.len()))
                && run.stdout.contains(&format!("Stamped the database at {last_applied}: its {table} records")),
            "{tool}: {}",
            run.stdout
        );
        let files: Vec<String> = std::fs::read_dir(project.versions())
            .expect("versions")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(files.len(), versions.len(), "{tool}: {files:?}");
        let first =
            std::fs::read_to_string(project.versions().join(format!("{tool}_{}_{}.toml", versions[0], slug(tool))))
                .expect("first revision");
        assert!(first.contains(&format!("# imported from {tool}: ")) && first.contains("(sha256 "), "{first}");

        // The managed database gets only what the tool had not applied, and keeps its table.
        project.run_with_url(&managed.url, &["upgrade", "head"]).await.ok();
        assert_eq!(dump(&managed.url, table), dump(&original.url, table), "{tool}: the managed database");
        let rows = managed.query(&format!("SELECT count(*) FROM {table}")).await;
        assert_eq!(rows[0][0].as_deref(), Some(&*(versions.len() - 1).to_string()), "{tool}: its table stays");

        // An empty database upgraded through the imported revisions equals the original.
        project.run(&["upgrade", "head"]).await.ok();
        assert_eq!(dump(&project.db.url, table), dump(&original.url, table), "{tool}: upgraded from empty");

        if has_downs {
            let empty = TestDb::new(Backend::Postgres).await;
            project.run(&["downgrade", "base"]).await.ok();
            assert_eq!(dump(&project.db.url, table), dump(&empty.url, table), "{tool}: downgraded to base");
        }
    }
}

/// The slug of the first fixture migration's message, as the file name holds it.
fn slug(tool: &str) -> &'static str {
    if tool == "diesel" { "diesel_initial_setup" } else { "create_users" }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_database_ahead_of_the_folder_is_refused_before_anything_is_written() {
    let (dir, ups) = fixture("refinery");
    let managed = TestDb::new(Backend::Postgres).await;
    psql(&managed.url, &ups);
    managed.execute(&tool_table("refinery", &["1", "2", "3", "4"])).await;
    let project = Project::new(Backend::Postgres).await;
    let run = project.run_with_url(&managed.url, &["import", "refinery", &dir.to_string_lossy()]).await.expect_code(2);
    assert!(
        run.stderr.contains(
            "cannot import the refinery history: the database's refinery_schema_history records migration 4, which \
             the folder lacks"
        ),
        "{}",
        run.stderr
    );
    assert_eq!(std::fs::read_dir(project.versions()).expect("versions").count(), 0, "nothing written");
}

/// Alembic's offline script for `range`, for the database `url` names.
fn alembic_sql(dir: &Path, url: &str, range: &str) -> tempfile::TempPath {
    let output = std::process::Command::new("alembic")
        .current_dir(dir)
        .args(["upgrade", range, "--sql"])
        .env("DATABASE_URL", url)
        .output()
        .expect("alembic runs (scripts/test installs it: pip install alembic)");
    assert!(output.status.success(), "alembic upgrade {range} --sql: {}", String::from_utf8_lossy(&output.stderr));
    let file = tempfile::NamedTempFile::new().expect("temp file").into_temp_path();
    std::fs::write(&file, output.stdout).expect("write the script");
    file
}

/// An Alembic project with a branch (posts and tags from users) joined by a merge, then one
/// more revision: imported with its graph, its SQL from Alembic's own offline mode.
#[tokio::test(flavor = "multi_thread")]
async fn an_imported_alembic_graph_builds_what_alembic_builds() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/import/alembic");
    let dir_text = dir.to_string_lossy().into_owned();

    // The original: Alembic's whole offline script, run with psql.
    let original = TestDb::new(Backend::Postgres).await;
    psql(&original.url, &[alembic_sql(&dir, &original.url, "base:heads").to_path_buf()]);

    // A database Alembic migrated up to the merge.
    let managed = TestDb::new(Backend::Postgres).await;
    psql(&managed.url, &[alembic_sql(&dir, &managed.url, "base:4d0000000004").to_path_buf()]);

    let project = Project::new(Backend::Postgres).await;
    let run = project.run_with_url(&managed.url, &["import", "alembic", &dir_text]).await.ok();
    assert!(
        run.stdout.contains("Imported 5 alembic migration(s)")
            && run.stdout.contains("Stamped the database at 4d0000000004: its alembic_version records 1"),
        "{}",
        run.stdout
    );
    let merge = std::fs::read_to_string(project.versions().join("4d0000000004_merge_posts_and_tags.toml"))
        .expect("the merge revision");
    assert!(merge.contains("down_revision = [\"2b0000000002\", \"3c0000000003\"]"), "{merge}");
    // Alembic lists the branch's label under every revision after it too; it stays on its own.
    assert!(!merge.contains("branch_labels"), "{merge}");
    let branch = std::fs::read_to_string(project.versions().join("3c0000000003_create_tags.toml")).expect("a branch");
    assert!(
        branch.contains("down_revision = \"1a0000000001\"") && branch.contains("dialect = \"postgresql\""),
        "{branch}"
    );
    assert!(branch.contains("# imported from alembic: ") && branch.contains("(sha256 "), "{branch}");
    assert!(branch.contains("branch_labels = [\"tags\"]"), "{branch}");

    project.run_with_url(&managed.url, &["upgrade", "head"]).await.ok();
    assert_eq!(dump(&managed.url, "alembic_version"), dump(&original.url, "alembic_version"), "the managed database");
    let rows = managed.query("SELECT version_num FROM alembic_version").await;
    assert_eq!(rows, vec![vec![Some("4d0000000004".to_owned())]], "Alembic's table stays as Alembic left it");

    project.run(&["upgrade", "head"]).await.ok();
    assert_eq!(dump(&project.db.url, "alembic_version"), dump(&original.url, "alembic_version"), "from empty");
    let empty = TestDb::new(Backend::Postgres).await;
    project.run(&["downgrade", "base"]).await.ok();
    assert_eq!(dump(&project.db.url, "alembic_version"), dump(&empty.url, "alembic_version"), "downgraded to base");
}

#[tokio::test(flavor = "multi_thread")]
async fn importing_from_alembic_without_alembic_says_what_to_install() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/import/alembic");
    let project = Project::new(Backend::Postgres).await;
    let nowhere = tempfile::tempdir().expect("temp dir");
    let run = project
        .run_env(&[("PATH", &nowhere.path().to_string_lossy())], &["import", "alembic", &dir.to_string_lossy()])
        .await
        .expect_code(2);
    assert!(
        run.stderr.contains(
            "cannot run `alembic history --verbose`: Alembic is not installed here; install it (`pip install alembic`"
        ),
        "{}",
        run.stderr
    );
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("create folder");
    for entry in std::fs::read_dir(from).expect("read folder") {
        let entry = entry.expect("entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("file type").is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy file");
        }
    }
}

/// The Alembic project named by a path relative to where aludel runs (Alembic runs in that
/// folder: the path was applied twice), and Alembic's own reason when it fails, which it prints
/// on its standard output.
#[tokio::test(flavor = "multi_thread")]
async fn an_alembic_project_is_found_by_a_relative_path_and_its_failure_explained() {
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/import/alembic");
    let project = Project::new(Backend::Postgres).await;
    copy_tree(&fixture, &project.dir.path().join("legacy/app"));
    let run = project.run(&["import", "alembic", "legacy/app"]).await.ok();
    assert!(run.stdout.contains("Imported 5 alembic migration(s)"), "{}", run.stdout);

    let broken = project.dir.path().join("broken");
    std::fs::create_dir_all(&broken).expect("folder");
    std::fs::write(broken.join("alembic.ini"), "[alembic]\nsqlalchemy.url = sqlite://\n").expect("ini");
    let other = Project::new(Backend::Postgres).await;
    let run = other.run(&["import", "alembic", &broken.to_string_lossy()]).await.expect_code(2);
    assert!(run.stderr.contains("FAILED: No 'script_location' key found"), "{}", run.stderr);
    assert!(run.stderr.contains("offline mode"), "{}", run.stderr);
}
