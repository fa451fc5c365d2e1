//! Autogenerate end to end on real databases, driven by the cases under `tests/autogen/`.
//!
//! A case is a folder: `start.sql` (the models the database starts from) and `models.sql`
//! (the models after the change), both desired-state schema.sql files; a file named
//! `<name>.<dialect>.sql` replaces `<name>.sql` on that dialect. An optional `case.toml` says
//! `backends = ["postgresql"]` to limit the case, `aludel_toml`, text to append to
//! aludel.toml (renames, say), and `compare_dumps = true` for step 7. For every case on
//! every backend, through the real command line:
//!
//! 1. zero false positives: each models file executed as plain DDL on a fresh database
//!    compares equal to its models;
//! 2. `revision --autogenerate` from an empty database to `start`, `upgrade`, `check` clean;
//! 3. `revision --autogenerate` to `models`: its op list and its up and down SQL are
//!    snapshotted as `{case}@{dialect}`;
//! 4. `upgrade`, then `check` reports nothing;
//! 5. `downgrade -1`, then introspection equals the schema at `start`;
//! 6. `upgrade` again, and `check` reports nothing;
//! 7. with `compare_dumps`, fidelity: the database the revisions made is the one
//!    `models.sql` executed as plain DDL makes, as the backend's own dump tool prints it
//!    (`common::dump`: `pg_dump --schema-only`, defaults, casts and sequences included);
//!    after `downgrade -1`, the one `start.sql` makes.
//!
//! Beside the corpus: random pairs of schemas A and B on both backends (autogenerate A, then
//! A -> B; B must be reached with `check` clean, and the downgrade must give A back), and a
//! revision generated on one backend applied on the other.
//!
//! `ALUDEL_TEST_CASE=<substring>` (comma-separated) narrows a run to some cases, and
//! `ALUDEL_TEST_DIALECT=mysql` (comma-separated) to some backends.

mod common;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use aludel::cli::Environment;
use aludel::dialect::{Backend, IntrospectOptions};
use aludel::models::{Metadata, parse_schema_sql};
use aludel::schema::{IndexKey, Schema};
use serde::Deserialize;

use crate::common::dump::schema_dump;
use crate::common::random::{Flavor, random_schema};
use crate::common::{TestDb, backends};

/// `case.toml`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct CaseConfig {
    /// Dialect names the case runs on; every backend when absent.
    #[serde(default)]
    backends: Option<Vec<String>>,
    /// Text appended to aludel.toml.
    #[serde(default)]
    aludel_toml: Option<String>,
    /// Whether step 7 compares the dumps of the migrated and the hand-made databases.
    #[serde(default)]
    compare_dumps: bool,
}

struct Case {
    name: String,
    dir: PathBuf,
    config: CaseConfig,
}

impl Case {
    fn file(&self, stem: &str, dialect: &str) -> PathBuf {
        let specific = self.dir.join(format!("{stem}.{dialect}.sql"));
        if specific.is_file() { specific } else { self.dir.join(format!("{stem}.sql")) }
    }

    fn sql(&self, stem: &str, dialect: &str) -> (String, PathBuf) {
        let path = self.file(stem, dialect);
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        (text, path)
    }

    fn metadata(&self, stem: &str, dialect: &str) -> Metadata {
        let (text, path) = self.sql(stem, dialect);
        let sql_dialect = Backend::from_name(dialect).expect("a dialect with a schema.sql parser");
        let schema = parse_schema_sql(&text, sql_dialect, &path).unwrap_or_else(|e| panic!("{e}"));
        Metadata::new(schema)
    }

    fn runs_on(&self, dialect: &str) -> bool {
        self.config.backends.as_ref().is_none_or(|b| b.iter().any(|name| name == dialect))
    }
}

/// The folders under `tests/autogen/`, each with its `case.toml`.
fn cases() -> Vec<Case> {
    common::cases("autogen", true)
        .into_iter()
        .map(|case| {
            let config_path = case.path.join("case.toml");
            let config = if config_path.is_file() {
                let text = std::fs::read_to_string(&config_path).expect("readable case.toml");
                toml::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", config_path.display()))
            } else {
                CaseConfig::default()
            };
            Case { name: case.name, dir: case.path, config }
        })
        .collect()
}

/// A project folder (aludel.toml + versions/) on one test database.
struct Project {
    dir: tempfile::TempDir,
    db: TestDb,
}

/// What one command printed and how it exited.
struct Outcome {
    code: ExitCode,
    output: String,
}

impl Project {
    async fn new(backend: Backend, extra_config: Option<&str>) -> Project {
        let dir = tempfile::tempdir().expect("temp dir");
        let db = TestDb::new(backend).await;
        let mut config = String::from("script_location = \"migrations\"\n");
        if let Some(extra) = extra_config {
            config.push_str(extra);
        }
        std::fs::write(dir.path().join("aludel.toml"), config).expect("write aludel.toml");
        std::fs::create_dir_all(dir.path().join("migrations/versions")).expect("versions folder");
        Project { dir, db }
    }

    fn dialect(&self) -> &'static str {
        self.db.backend.dialect().name()
    }

    /// Runs the command line in-process with `metadata` as the models.
    fn run(&self, metadata: &Metadata, args: &[&str]) -> Outcome {
        self.try_run(metadata, args)
            .unwrap_or_else(|err| panic!("`{}` failed on {}: {err}", args.join(" "), self.dialect()))
    }

    /// The command's outcome, or the error it ended with (and what it printed before).
    fn try_run(&self, metadata: &Metadata, args: &[&str]) -> Result<Outcome, String> {
        let config = self.dir.path().join("aludel.toml");
        let mut argv = vec![
            "aludel".to_owned(),
            "-c".to_owned(),
            config.display().to_string(),
            "-x".to_owned(),
            format!("db_url={}", self.db.url),
        ];
        argv.extend(args.iter().map(|a| (*a).to_owned()));
        let environment = Environment { metadata: Some(metadata.clone()), ..Default::default() };
        let mut output = Vec::new();
        // The command line starts its own runtime: run it off the test's.
        let code = std::thread::scope(|scope| {
            scope
                .spawn(|| aludel::cli::run_with(&argv, &environment, &mut output))
                .join()
                .expect("the command line does not panic")
        });
        let output = String::from_utf8(output).expect("UTF-8 output");
        code.map(|code| Outcome { code, output: output.clone() }).map_err(|err| format!("{err}\n{output}"))
    }

    fn ok(&self, metadata: &Metadata, args: &[&str]) -> String {
        let outcome = self.run(metadata, args);
        assert_eq!(outcome.code, ExitCode::SUCCESS, "`{}` on {}:\n{}", args.join(" "), self.dialect(), outcome.output);
        outcome.output
    }

    /// The database's schema, with what the backend keeps nameless named after `models` (the
    /// enums of MySQL's inline enum columns), as autogenerate compares it.
    async fn introspect(&self, models: &Metadata) -> Schema {
        let mut session = self.db.backend.connect(&self.db.url, &Default::default()).await.expect("connect");
        let options = IntrospectOptions {
            exclude_tables: vec!["aludel_version".into(), "aludel_history".into()],
            ..Default::default()
        };
        let schema = session.introspect(&options).await.expect("introspect");
        let schema = session.normalize_database(schema, &models.schema);
        session.close().await.ok();
        schema
    }

    fn revision_file(&self, id: &str) -> String {
        let versions = self.dir.path().join("migrations/versions");
        let path = std::fs::read_dir(&versions)
            .expect("versions folder")
            .map(|e| e.expect("entry").path())
            .find(|p| p.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.starts_with(id)))
            .unwrap_or_else(|| panic!("no revision file {id}"));
        std::fs::read_to_string(path).expect("readable revision")
    }
}

/// `schema` without the order of columns and constraints, which no op sets: a dropped
/// column comes back last.
fn comparable(mut schema: Schema) -> Schema {
    for table in schema.tables.values_mut() {
        table.columns.sort_by(|a, b| a.name.cmp(&b.name));
        table.constraints.sort_by_key(|c| format!("{c:?}"));
    }
    schema
}

/// Step 1: the models executed as plain DDL compare equal to themselves.
async fn hand_written_models_match(case: &Case, backend: Backend) {
    for stem in ["start", "models"] {
        let project = Project::new(backend, case.config.aludel_toml.as_deref()).await;
        let dialect = project.dialect();
        let (sql, _) = case.sql(stem, dialect);
        if !sql.trim().is_empty() {
            project.db.execute(&sql).await;
        }
        let metadata = case.metadata(stem, dialect);
        let outcome = project.run(&metadata, &["check"]);
        assert_eq!(
            outcome.code,
            ExitCode::SUCCESS,
            "{}@{dialect}: {stem}.sql executed by hand differs from its models:\n{}",
            case.name,
            outcome.output
        );
    }
}

async fn run_case(case: &Case, backend: Backend) {
    hand_written_models_match(case, backend).await;

    let project = Project::new(backend, case.config.aludel_toml.as_deref()).await;
    let dialect = project.dialect();
    let start = case.metadata("start", dialect);
    let models = case.metadata("models", dialect);

    // 2. The database at `start`, through autogenerate.
    let generated = project.ok(&start, &["revision", "--autogenerate", "-m", "start", "--rev-id", "a0000000start"]);
    // An empty start writes no revision: the change then starts from base.
    let from = if generated.contains("Generating") { "a0000000start" } else { "base" };
    project.ok(&start, &["upgrade", "head"]);
    project.ok(&start, &["check"]);
    let at_start = project.introspect(&start).await;

    // 3. The change.
    let generated = project.ok(&models, &["revision", "--autogenerate", "-m", "change", "--rev-id", "b000000change"]);
    assert!(generated.contains("Generating"), "{}@{dialect}: autogenerate wrote no revision:\n{generated}", case.name);
    let file = project.revision_file("b000000change");
    let up = project.ok(&models, &["upgrade", &format!("{from}:b000000change"), "--sql"]);
    let down = project.ok(&models, &["downgrade", &format!("b000000change:{from}"), "--sql"]);
    let detected: Vec<&str> = generated.lines().filter(|l| !l.starts_with("Generating")).collect();
    // The script's header (the state tables) is the same for every case.
    let body =
        |script: String| -> String { script.split_once("\n\n").map_or(script.clone(), |(_, rest)| rest.to_owned()) };
    let (up, down) = (body(up), body(down));
    let snapshot = format!(
        "# autogenerate\n{}\n\n# revision file\n{}\n# upgrade --sql\n{}\n# downgrade --sql\n{}",
        detected.join("\n"),
        file.split_once("\ncreated = ").map_or(file.as_str(), |(_, rest)| rest.split_once('\n').map_or("", |r| r.1)),
        up,
        down
    );
    insta::assert_snapshot!(format!("{}@{dialect}", case.name), snapshot);

    // 4. Upgrade: the models match.
    project.ok(&models, &["upgrade", "head"]);
    let check = project.run(&models, &["check"]);
    assert_eq!(check.code, ExitCode::SUCCESS, "{}@{dialect}: check after upgrade:\n{}", case.name, check.output);

    // 5. Downgrade: back to exactly the start.
    project.ok(&models, &["downgrade", "-1"]);
    let restored = project.introspect(&start).await;
    assert_eq!(
        comparable(restored),
        comparable(at_start),
        "{}@{dialect}: the downgrade does not restore the start",
        case.name
    );

    // 6. Upgrade again.
    project.ok(&models, &["upgrade", "head"]);
    project.ok(&models, &["check"]);

    if case.config.compare_dumps {
        dumps_match(case, "models", &project).await;
        project.ok(&models, &["downgrade", "-1"]);
        dumps_match(case, "start", &project).await;
    }
}

/// Step 7: the database the revisions made is the one `<stem>.sql` run by hand makes, as
/// the backend's dump tool prints them.
async fn dumps_match(case: &Case, stem: &str, migrated: &Project) {
    let dialect = migrated.dialect();
    let direct = Project::new(migrated.db.backend, None).await;
    let (sql, _) = case.sql(stem, dialect);
    if !sql.trim().is_empty() {
        direct.db.execute(&sql).await;
    }
    let (got, want) = (schema_dump(&migrated.db).await, schema_dump(&direct.db).await);
    assert!(
        got == want,
        "{}@{dialect}: the revisions' database differs from {stem}.sql run by hand\n{}\n--- revision\n{}",
        case.name,
        line_diff(&got, &want),
        migrated.revision_file("b000000change")
    );
}

/// The lines only one side has, as `-` (the migrated database) and `+` (the hand-made one).
fn line_diff(got: &str, want: &str) -> String {
    let got_lines: Vec<&str> = got.lines().collect();
    let want_lines: Vec<&str> = want.lines().collect();
    let mut out = Vec::new();
    out.extend(got_lines.iter().filter(|l| !want_lines.contains(l)).map(|l| format!("- {l}")));
    out.extend(want_lines.iter().filter(|l| !got_lines.contains(l)).map(|l| format!("+ {l}")));
    if out.is_empty() {
        out.push("(the same lines in another order)".to_owned());
    }
    out.join("\n")
}

#[tokio::test(flavor = "multi_thread")]
async fn corpus() {
    for case in cases() {
        for backend in backends() {
            if case.runs_on(backend.dialect().name()) {
                run_case(&case, backend).await;
            }
        }
    }
}

/// How many random pairs each backend runs.
const RANDOM_PAIRS: u64 = 12;

/// Autogenerates `from` -> `to` on `project` as revision `id`; returns whether a file was written.
fn step(project: &Project, to: &Metadata, id: &str) -> bool {
    let output = project.ok(to, &["revision", "--autogenerate", "-m", id, "--rev-id", id]);
    let written = output.contains("Generating");
    if written {
        let upgrade = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| project.ok(to, &["upgrade", "head"])));
        assert!(
            upgrade.is_ok(),
            "{id} on {}: the revision does not run:\n{}",
            project.dialect(),
            project.revision_file(id)
        );
    }
    let check = project.run(to, &["check"]);
    assert_eq!(
        check.code,
        ExitCode::SUCCESS,
        "{id} on {}: check after upgrade:\n{output}\n{}",
        project.dialect(),
        check.output
    );
    output.contains("Generating")
}

#[tokio::test(flavor = "multi_thread")]
async fn random_pairs_reach_the_models_and_downgrade_back() {
    for backend in backends() {
        let flavor = match backend.dialect().name() {
            "sqlite" => Flavor::Sqlite,
            "mysql" => Flavor::MySql,
            _ => Flavor::Postgres,
        };
        for seed in 0..RANDOM_PAIRS {
            let a = random_schema(seed + 1000, seed * 2 + 1, false, flavor);
            let b = random_schema(seed + 1000, seed * 2 + 2, false, flavor);
            let project = Project::new(backend, None).await;
            step(&project, &Metadata::new(a.clone()), "a00000000001");
            let a_models = Metadata::new(a.clone());
            let at_a = project.introspect(&a_models).await;
            if !step(&project, &Metadata::new(b.clone()), "b00000000002") {
                continue;
            }
            project.ok(&Metadata::new(b), &["downgrade", "-1"]);
            let restored = project.introspect(&a_models).await;
            assert_eq!(
                comparable(restored),
                comparable(at_a),
                "seed {seed} on {}: the downgrade does not give A back",
                project.dialect()
            );
        }
    }
}

/// The models of a typical service, written once for every backend.
const PORTABLE_MODELS: &str = r#"{
  "enums": [{ "name": "post_status", "values": ["draft", "published"] }],
  "tables": [
    { "table": "users", "comment": "people who write",
      "columns": [
        { "name": "id", "type": "bigint", "nullable": false, "identity": true },
        { "name": "email", "type": "varchar(255)", "nullable": false, "comment": "unique, lower case" },
        { "name": "karma", "type": "integer", "nullable": false, "default": { "value": 0 } },
        { "name": "created_at", "type": "timestamptz", "nullable": false, "default": { "expr": "current_timestamp" } }
      ],
      "primary_key": ["id"], "primary_key_name": "users_pkey",
      "constraints": [
        { "kind": "unique", "name": "users_email_key", "columns": ["email"] },
        { "kind": "check", "name": "users_karma_check", "expr": "karma >= 0" }
      ] },
    { "table": "posts",
      "columns": [
        { "name": "id", "type": "bigint", "nullable": false, "identity": true },
        { "name": "author_id", "type": "bigint", "nullable": false },
        { "name": "title", "type": "varchar(200)", "nullable": false },
        { "name": "status", "type": "enum:post_status", "nullable": false, "default": { "value": "draft" } },
        { "name": "score", "type": "numeric(10,2)" },
        { "name": "published", "type": "boolean", "nullable": false, "default": { "value": false } }
      ],
      "primary_key": ["id"], "primary_key_name": "posts_pkey",
      "constraints": [
        { "kind": "foreign_key", "name": "posts_author_id_fkey", "columns": ["author_id"],
          "references": { "table": "users", "columns": ["id"] }, "on_delete": "cascade" }
      ] }
  ],
  "indexes": [
    { "name": "ix_posts_author_id", "table": "posts", "columns": ["author_id"] },
    { "name": "ix_posts_title_lower", "table": "posts", "columns": [{ "expr": "lower(title)" }] }
  ]
}"#;

/// Generates the revision for `models` on each backend of `from`, applies it on each of
/// `to`, and requires `check` to be clean there.
async fn serve(models: &Metadata, from: &[Backend], to: &[Backend], pair: impl Fn(Backend, Backend) -> bool) {
    for &generated_on in from {
        let origin = Project::new(generated_on, None).await;
        assert!(step(&origin, models, "c00000000001"));
        let file = origin.revision_file("c00000000001");
        for &applied_on in to.iter().filter(|&&applied_on| pair(generated_on, applied_on)) {
            let target = Project::new(applied_on, None).await;
            std::fs::write(target.dir.path().join("migrations/versions/c00000000001_portable.toml"), &file)
                .expect("copy the revision");
            target.ok(models, &["upgrade", "head"]);
            let check = target.run(models, &["check"]);
            assert_eq!(
                check.code,
                ExitCode::SUCCESS,
                "generated on {}, applied on {}:\n{}\n{file}",
                origin.dialect(),
                target.dialect(),
                check.output
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_revision_generated_on_one_backend_serves_the_others() {
    let models = Metadata::from_json(PORTABLE_MODELS).expect("valid models");
    let all = backends();
    // MariaDB indexes columns only: the expression index stays on the other backends, and
    // every pair with MySQL runs without it.
    let mysql = |b: Backend| b.dialect().name() == "mysql";
    let with_expressions: Vec<Backend> = all.iter().copied().filter(|&b| !mysql(b)).collect();
    serve(&models, &with_expressions, &with_expressions, |_, _| true).await;
    let mut columns_only = models.clone();
    columns_only.schema.indexes.retain(|_, index| index.columns.iter().all(|k| matches!(k, IndexKey::Column(_))));
    serve(&columns_only, &all, &all, |from, to| mysql(from) || mysql(to)).await;
}

/// A revision generated on PostgreSQL that drops checks, a partial index, a column with a
/// default and a whole table, and changes a column's type, reverses itself in the spellings
/// the history declared (`status IN (...)`, not PostgreSQL's `status = ANY (ARRAY[...])`), so
/// its downgrade runs on the other backends too, and `check` is clean there at both ends.
#[tokio::test(flavor = "multi_thread")]
async fn a_downgrade_generated_on_postgresql_serves_the_others() {
    let before = "CREATE TABLE tasks (id integer PRIMARY KEY, status varchar(10) NOT NULL DEFAULT 'new', \
                  code varchar(10) DEFAULT 'none', note text DEFAULT 'none', \"order\" integer DEFAULT 1, \
                  twice integer GENERATED ALWAYS AS (\"order\" * 2) STORED, \
                  CONSTRAINT tasks_status_check CHECK (status IN ('new', 'done')), \
                  CONSTRAINT tasks_order_check CHECK (\"order\" > 0), \
                  CONSTRAINT tasks_note_check CHECK (length(note) < 100)); \
                  CREATE TABLE labels (id integer PRIMARY KEY, name varchar(20) NOT NULL, \
                  CONSTRAINT labels_name_check CHECK (name <> '' AND name NOT IN ('x', 'y')));";
    let after = "CREATE TABLE tasks (id integer PRIMARY KEY, status varchar(10) NOT NULL DEFAULT 'new', \
                 code varchar(20) DEFAULT 'none');";
    let partial_index = "CREATE INDEX tasks_open ON tasks (status) WHERE status <> 'done';";
    let models = |sql: &str| {
        let schema = parse_schema_sql(sql, Backend::Postgres, Path::new("schema.sql")).expect("valid models");
        Metadata::new(schema)
    };
    for target in backends().into_iter().filter(|b| b.dialect().name() != "postgresql") {
        // MariaDB has no partial indexes.
        let before =
            if target.dialect().name() == "mysql" { before.to_owned() } else { format!("{before} {partial_index}") };
        let (start, end) = (models(&before), models(after));
        let origin = Project::new(Backend::Postgres, None).await;
        step(&origin, &start, "a0000000base");
        step(&origin, &end, "b0000000drop");
        let files = [
            ("a0000000base", origin.revision_file("a0000000base")),
            ("b0000000drop", origin.revision_file("b0000000drop")),
        ];
        let project = Project::new(target, None).await;
        for (id, text) in &files {
            std::fs::write(project.dir.path().join(format!("migrations/versions/{id}_from_postgresql.toml")), text)
                .expect("copy the revision");
        }
        project.ok(&end, &["upgrade", "head"]);
        project.ok(&end, &["check"]);
        let downgrade = project.run(&end, &["downgrade", "-1"]);
        assert_eq!(
            downgrade.code,
            ExitCode::SUCCESS,
            "on {}:\n{}\n{}",
            project.dialect(),
            downgrade.output,
            files[1].1
        );
        // A name quoted the standard way is a name on MySQL too, not the string 'order'.
        let order = if target.dialect().name() == "mysql" { "`order`" } else { "\"order\"" };
        project.db.execute(&format!("INSERT INTO tasks (id, {order}) VALUES (1, 2)")).await;
        let twice = project.db.query("SELECT CAST(twice AS CHAR(10)) FROM tasks").await;
        assert_eq!(twice, [[Some("4".to_owned())]], "on {}", project.dialect());
        // At the base revision again: without the later file, `check` compares with its models.
        std::fs::remove_file(project.dir.path().join("migrations/versions/b0000000drop_from_postgresql.toml"))
            .expect("remove the later revision");
        let check = project.run(&start, &["check"]);
        assert_eq!(check.code, ExitCode::SUCCESS, "on {}:\n{}\n{}", project.dialect(), check.output, files[1].1);
    }
}

/// A check changed in the revision that renames its table and column: on PostgreSQL the
/// downgrade adds the old check back as the history wrote it, under the new names (not as
/// PostgreSQL prints it, `((quantity > 0) AND ...)`), and the revision runs both ways on the
/// other backends.
#[tokio::test(flavor = "multi_thread")]
async fn a_check_changed_across_a_rename_comes_back_as_the_history_wrote_it() {
    let start = "CREATE TABLE t (id integer PRIMARY KEY, qty integer, \
                 CONSTRAINT t_qty_check CHECK (qty > 0 AND qty IN (1, 2, 3)));";
    let end = "CREATE TABLE items (id integer PRIMARY KEY, quantity integer, \
               CONSTRAINT t_qty_check CHECK (quantity > 1 AND quantity IN (1, 2, 3)));";
    let renames =
        "[autogenerate]\nrename_tables = { items = \"t\" }\nrename_columns = { \"items.quantity\" = \"qty\" }\n";
    let models = |sql: &str| {
        Metadata::new(parse_schema_sql(sql, Backend::Postgres, Path::new("schema.sql")).expect("valid models"))
    };
    let (start, end) = (models(start), models(end));
    let origin = Project::new(Backend::Postgres, Some(renames)).await;
    step(&origin, &start, "a0000000base");
    step(&origin, &end, "b000000rename");
    let file = origin.revision_file("b000000rename");
    let revision: toml::Value = toml::from_str(&file).expect("a revision");
    let added_back: Vec<&str> = revision["downgrade"]
        .as_array()
        .expect("downgrade ops")
        .iter()
        .filter(|op| op["op"].as_str() == Some("add_constraint"))
        .filter_map(|op| op["constraint"]["expr"].as_str())
        .collect();
    assert_eq!(added_back, ["quantity > 0 AND quantity IN (1, 2, 3)"], "{file}");

    for target in backends().into_iter().filter(|b| b.dialect().name() != "postgresql") {
        let project = Project::new(target, None).await;
        for id in ["a0000000base", "b000000rename"] {
            std::fs::write(
                project.dir.path().join(format!("migrations/versions/{id}_from_postgresql.toml")),
                origin.revision_file(id),
            )
            .expect("copy the revision");
        }
        project.ok(&end, &["upgrade", "head"]);
        project.ok(&end, &["check"]);
        project.ok(&end, &["downgrade", "-1"]);
        project.db.execute("INSERT INTO t (id, qty) VALUES (1, 1)").await;
        let refused = project.db.try_execute("INSERT INTO t (id, qty) VALUES (2, 0)").await;
        assert!(refused.is_err(), "on {}: the old check is back", project.dialect());
    }
}

/// Checks declared without names, dropped by a revision made on SQLite or MariaDB, which
/// name them otherwise than PostgreSQL did (no name at all, `CONSTRAINT_1`): on PostgreSQL
/// the drop finds the names PostgreSQL gave them, numbered (`_check1`) and shortened in the
/// long table name's part as PostgreSQL does it, and `check` is clean.
#[tokio::test(flavor = "multi_thread")]
async fn unnamed_checks_dropped_elsewhere_are_found_on_postgresql() {
    let table = "a_table_whose_name_takes_fifty_of_the_sixty_three_b";
    let start = format!(
        "CREATE TABLE {table} (id integer PRIMARY KEY, column_of_twenty_chars integer, \
         CHECK (column_of_twenty_chars > 0), CHECK (column_of_twenty_chars > 1), CHECK (column_of_twenty_chars < id)); \
         CREATE TABLE short (id integer PRIMARY KEY, val integer, CHECK (val > 0));"
    );
    let end = format!(
        "CREATE TABLE {table} (id integer PRIMARY KEY, column_of_twenty_chars integer); \
         CREATE TABLE short (id integer PRIMARY KEY, val integer);"
    );
    for origin in backends().into_iter().filter(|b| b.dialect().name() != "postgresql") {
        let models = |sql: &str| {
            let schema = parse_schema_sql(sql, origin, Path::new("schema.sql")).expect("valid models");
            Metadata::new(schema)
        };
        let (start, end) = (models(&start), models(&end));
        let made = Project::new(origin, None).await;
        step(&made, &start, "a0000000base");
        step(&made, &end, "b0000000drop");
        let drop = made.revision_file("b0000000drop");
        let project = Project::new(Backend::Postgres, None).await;
        for (id, text) in [("a0000000base", made.revision_file("a0000000base")), ("b0000000drop", drop.clone())] {
            std::fs::write(project.dir.path().join(format!("migrations/versions/{id}_elsewhere.toml")), text)
                .expect("copy the revision");
        }
        let upgrade = project.run(&end, &["upgrade", "head"]);
        assert_eq!(upgrade.code, ExitCode::SUCCESS, "made on {}:\n{}\n{drop}", made.dialect(), upgrade.output);
        let check = project.run(&end, &["check"]);
        assert_eq!(check.code, ExitCode::SUCCESS, "made on {}:\n{}\n{drop}", made.dialect(), check.output);
        project.ok(&end, &["downgrade", "base"]);
    }
}

/// A MySQL schema.sql's quoting (`"label"` a string, `` `order` `` a name) is read as the
/// standard one, so the revision means the same on every backend: on MySQL too the check
/// compares with the string `label`, not with the column `label`.
#[tokio::test(flavor = "multi_thread")]
async fn mysql_quoting_means_the_same_on_every_backend() {
    let sql = "CREATE TABLE t (id INT PRIMARY KEY, kind VARCHAR(20) NOT NULL, label VARCHAR(20), `order` INT, \
               twice INT AS (`order` * 2) STORED, \
               CONSTRAINT kind_ck CHECK (kind <> \"label\"), CONSTRAINT order_ck CHECK (`order` > 0));";
    let all = backends();
    let Some(&mysql) = all.iter().find(|b| b.dialect().name() == "mysql") else { return };
    let models = Metadata::new(parse_schema_sql(sql, mysql, Path::new("schema.sql")).expect("valid models"));
    let made = Project::new(mysql, None).await;
    step(&made, &models, "a0000000base");
    let file = made.revision_file("a0000000base");
    for backend in all {
        let project = Project::new(backend, None).await;
        std::fs::write(project.dir.path().join("migrations/versions/a0000000base_from_mysql.toml"), &file)
            .expect("copy the revision");
        project.ok(&models, &["upgrade", "head"]);
        let order = if backend == mysql { "`order`" } else { "\"order\"" };
        let insert =
            |id: u32, kind: &str| format!("INSERT INTO t (id, kind, label, {order}) VALUES ({id}, '{kind}', 'y', 2)");
        project.db.execute(&insert(1, "x")).await;
        let twice = project.db.query("SELECT CAST(twice AS CHAR(10)) FROM t").await;
        let twice: Vec<Option<&str>> = twice.iter().flatten().map(|cell| cell.as_deref().map(str::trim)).collect();
        assert_eq!(twice, [Some("4")], "on {}:\n{file}", project.dialect());
        let refused = project.db.try_execute(&insert(2, "label")).await;
        assert!(refused.is_err(), "on {} the check let kind = 'label' in:\n{file}", project.dialect());
    }
}

/// A database no revision made (its tables created by hand, then adopted): a type change
/// sets the default again, since PostgreSQL keeps a default cast to the old type
/// (`'none'::character varying`) and the renderer cannot know a default no revision wrote.
/// The database then equals the models run by hand, as `pg_dump` prints them.
#[tokio::test(flavor = "multi_thread")]
async fn a_type_change_leaves_no_default_cast_to_the_old_type() {
    let start = "CREATE TABLE notes (id integer PRIMARY KEY, code varchar(20) NOT NULL DEFAULT 'none', \
                 kind char(4) DEFAULT 'memo');";
    let models_sql = "CREATE TABLE notes (id integer PRIMARY KEY, code text NOT NULL DEFAULT 'none', \
                      kind varchar(10) DEFAULT 'memo');";
    let project = Project::new(Backend::Postgres, None).await;
    project.db.execute(start).await;
    let schema = parse_schema_sql(models_sql, Backend::Postgres, Path::new("models.sql")).expect("valid models");
    let models = Metadata::new(schema);
    project.ok(&models, &["revision", "--autogenerate", "-m", "text", "--rev-id", "d0000000text"]);
    project.ok(&models, &["upgrade", "head"]);
    project.ok(&models, &["check"]);

    let direct = TestDb::new(Backend::Postgres).await;
    direct.execute(models_sql).await;
    let (got, want) = (schema_dump(&project.db).await, schema_dump(&direct).await);
    assert!(got == want, "{}\n{}", line_diff(&got, &want), project.revision_file("d0000000text"));
}

/// A revision generated from PostgreSQL models keeps their spellings (`now()`, `0.00`, `1e3`,
/// `bigserial`, `GENERATED ALWAYS AS IDENTITY`) and still means the same on every backend: it
/// runs there, and `check` is clean.
#[tokio::test(flavor = "multi_thread")]
async fn postgresql_spellings_keep_their_meaning_on_the_other_backends() {
    let sql = "CREATE TABLE ledger (id bigserial PRIMARY KEY, amount numeric(10,2) NOT NULL DEFAULT 0.00, \
               ratio double precision DEFAULT 1e3, booked_at timestamptz NOT NULL DEFAULT now()); \
               CREATE TABLE tickets (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, title text);";
    let schema = parse_schema_sql(sql, Backend::Postgres, Path::new("schema.sql")).expect("valid models");
    serve(&Metadata::new(schema), &[Backend::Postgres], &backends(), |_, _| true).await;
}

/// Names differing in case only are two names on PostgreSQL and one on SQLite (tables, indexes,
/// columns) and MySQL (columns, the indexes of a table): there the models are refused before a
/// revision is written, naming both, instead of a revision that fails when it runs.
#[tokio::test(flavor = "multi_thread")]
async fn names_differing_in_case_only_are_refused_where_the_backend_takes_them_for_one() {
    // The models, and what each backend that takes the two names for one says they name.
    let cases: [(&str, &[(&str, &str)]); 3] = [
        (
            "CREATE TABLE \"Users\" (id INT PRIMARY KEY); CREATE TABLE users (id INT PRIMARY KEY);",
            &[("sqlite", "a table or index")],
        ),
        (
            "CREATE TABLE users (id INT PRIMARY KEY, \"Name\" TEXT, name TEXT);",
            &[("sqlite", "a column of table `users`"), ("mysql", "a column of table `users`")],
        ),
        (
            "CREATE TABLE users (id INT PRIMARY KEY, name VARCHAR(20), email VARCHAR(20)); \
             CREATE INDEX \"By_name\" ON users (name); CREATE INDEX by_name ON users (email);",
            &[("sqlite", "a table or index"), ("mysql", "an index of table `users`")],
        ),
    ];
    let postgres = Backend::from_name("postgresql").expect("a parser");
    for backend in backends() {
        let dialect = backend.dialect().name();
        for (sql, refusals) in cases {
            let models = Metadata::new(parse_schema_sql(sql, postgres, Path::new("schema.sql")).expect("valid models"));
            let project = Project::new(backend, None).await;
            let outcome = project.try_run(&models, &["revision", "--autogenerate", "-m", "names"]);
            let written = std::fs::read_dir(project.dir.path().join("migrations/versions")).expect("versions").count();
            match refusals.iter().find(|(refused_on, _)| *refused_on == dialect) {
                Some((_, what)) => {
                    let error = outcome.err().unwrap_or_else(|| panic!("{dialect}: not refused: {sql}"));
                    let said = format!("the models name {what} both");
                    assert!(
                        error.contains(&said) && error.contains("rename one of them in the models"),
                        "{dialect}: {error}"
                    );
                    assert_eq!(written, 0, "{dialect}: a revision was written for {sql}");
                }
                None => {
                    // Told apart here: the revision is written and runs.
                    let outcome = outcome.unwrap_or_else(|err| panic!("{dialect}: {sql}: {err}"));
                    assert_eq!(outcome.code, ExitCode::SUCCESS, "{dialect}: {sql}\n{}", outcome.output);
                    project.ok(&models, &["upgrade", "head"]);
                    project.ok(&models, &["check"]);
                }
            }
        }
    }
}
