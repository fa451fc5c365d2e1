//! Online migrations on PostgreSQL: a revision with concurrent index builds and constraints
//! validated apart runs in segments (online and `--sql`), its downgrade too; a failed
//! concurrent build is dropped and built again by the next run; `trace` catches a plain index
//! build on a filled table and passes its concurrent form, and drops its scratch database when
//! interrupted.

mod common;

use std::process::Stdio;

use tokio::io::AsyncWriteExt;

use common::{Backend, Project, TestDb, revision, table_ops};

/// The traces of this file, one at a time: each tells its scratch database (`aludel_trace_...`)
/// from the others by the names that were there before it started.
static TRACES: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// The trace scratch databases on the test server.
async fn scratch_databases(db: &TestDb) -> Vec<String> {
    let rows = db.query("SELECT datname FROM pg_database WHERE datname LIKE 'aludel\\_trace\\_%'").await;
    rows.into_iter().filter_map(|row| row.into_iter().next().flatten()).collect()
}

/// A table of `accounts` with rows, one of which has no email.
const ACCOUNTS: &str = r#"
[[upgrade]]
op = "create_table"
table = "accounts"
columns = [
  { name = "id", type = "integer", nullable = false },
  { name = "email", type = "text" },
  { name = "owner_id", type = "integer" },
]

[[upgrade]]
op = "create_table"
table = "owners"
columns = [{ name = "id", type = "integer", nullable = false }]
primary_key = ["id"]

[[upgrade]]
op = "sql"
sql = "INSERT INTO owners VALUES (1); INSERT INTO accounts SELECT g, 'a' || g, 1 FROM generate_series(1, 1000) g"

[[downgrade]]
op = "drop_table"
table = "owners"

[[downgrade]]
op = "drop_table"
table = "accounts"
"#;

/// Every online form autogenerate writes, on the existing `accounts`.
const ONLINE: &str = r#"
[[upgrade]]
op = "add_constraint"
table = "accounts"
constraint = { kind = "primary_key", name = "accounts_pkey", columns = ["id"] }
concurrently = true

[[upgrade]]
op = "add_constraint"
table = "accounts"
constraint = { kind = "check", name = "accounts_email_not_null", expr = "email IS NOT NULL" }
not_valid = true

[[upgrade]]
op = "validate_constraint"
table = "accounts"
name = "accounts_email_not_null"

[[upgrade]]
op = "alter_column"
table = "accounts"
column = "email"
nullable = false

[[upgrade]]
op = "drop_constraint"
table = "accounts"
name = "accounts_email_not_null"
kind = "check"
existing = { kind = "check", name = "accounts_email_not_null", expr = "email IS NOT NULL" }

[[upgrade]]
op = "add_constraint"
table = "accounts"
constraint = { kind = "unique", name = "accounts_email_key", columns = ["email"] }
concurrently = true

[[upgrade]]
op = "create_index"
table = "accounts"
name = "ix_accounts_owner_id"
columns = ["owner_id"]
concurrently = true

[[upgrade]]
op = "add_constraint"
table = "accounts"
constraint = { kind = "foreign_key", name = "accounts_owner_id_fkey", columns = ["owner_id"], references = { table = "owners", columns = ["id"] } }
not_valid = true

[[upgrade]]
op = "validate_constraint"
table = "accounts"
name = "accounts_owner_id_fkey"

[[downgrade]]
op = "drop_constraint"
table = "accounts"
name = "accounts_owner_id_fkey"
kind = "foreign_key"

[[downgrade]]
op = "drop_index"
table = "accounts"
name = "ix_accounts_owner_id"
concurrently = true

[[downgrade]]
op = "drop_constraint"
table = "accounts"
name = "accounts_email_key"
kind = "unique"

[[downgrade]]
op = "alter_column"
table = "accounts"
column = "email"
nullable = true

[[downgrade]]
op = "drop_constraint"
table = "accounts"
name = "accounts_pkey"
kind = "primary_key"
"#;

/// What the online revision leaves: constraints (name, definition, validated) and indexes
/// (name, valid), and whether `email` is NOT NULL.
async fn online_state(db: &TestDb) -> Vec<Vec<Option<String>>> {
    db.query(
        "SELECT conname::text, pg_get_constraintdef(oid), convalidated::text FROM pg_constraint \
         WHERE conrelid = 'accounts'::regclass \
         UNION ALL SELECT c.relname::text, 'index', i.indisvalid::text FROM pg_index i \
         JOIN pg_class c ON c.oid = i.indexrelid WHERE i.indrelid = 'accounts'::regclass \
         UNION ALL SELECT 'email', 'not null', attnotnull::text FROM pg_attribute \
         WHERE attrelid = 'accounts'::regclass AND attname = 'email' \
         ORDER BY 1, 2",
    )
    .await
}

fn expected_online_state() -> Vec<Vec<Option<String>>> {
    [
        ["accounts_email_key", "UNIQUE (email)", "true"],
        ["accounts_email_key", "index", "true"],
        ["accounts_owner_id_fkey", "FOREIGN KEY (owner_id) REFERENCES owners(id)", "true"],
        ["accounts_pkey", "PRIMARY KEY (id)", "true"],
        ["accounts_pkey", "index", "true"],
        ["email", "not null", "true"],
        ["ix_accounts_owner_id", "index", "true"],
    ]
    .iter()
    .map(|row| row.iter().map(|cell| Some((*cell).to_owned())).collect())
    .collect()
}

/// The project: `r1` creates the filled tables, `r2` is [`ONLINE`] (transactional, as
/// autogenerate writes it).
async fn online_project() -> Project {
    let project = Project::new(Backend::Postgres).await;
    project.write("r1_accounts", &revision("r1", &[], ACCOUNTS, ""));
    project.write("r2_online", &revision("r2", &["r1"], ONLINE, ""));
    project
}

#[tokio::test(flavor = "multi_thread")]
async fn an_online_revision_runs_in_segments_and_its_downgrade_too() {
    let project = online_project().await;
    project.run(&["upgrade", "head"]).await.ok();
    assert_eq!(project.heads().await, ["r2"]);
    assert_eq!(online_state(&project.db).await, expected_online_state());
    let history: Vec<String> = project.history().await.into_iter().map(|(r, d)| format!("{d} {r}")).collect();
    assert_eq!(history, ["upgrade r1", "upgrade r2"], "the running row became the finished step");

    project.run(&["downgrade", "r1"]).await.ok();
    assert_eq!(project.heads().await, ["r1"]);
    let left = project.db.query("SELECT count(*)::text FROM pg_index WHERE indrelid = 'accounts'::regclass").await;
    assert_eq!(left, [[Some("0".to_owned())]], "the downgrade dropped every index");
    project.run(&["upgrade", "head"]).await.ok();
    assert_eq!(online_state(&project.db).await, expected_online_state());
}

/// The nesting of `BEGIN` / `COMMIT` at each line of `script`.
fn in_transaction_at(script: &str, needle: &str) -> Vec<bool> {
    let mut depth = false;
    let mut found = Vec::new();
    for line in script.lines() {
        match line.trim() {
            "BEGIN;" => depth = true,
            "COMMIT;" => depth = false,
            other if other.contains(needle) => found.push(depth),
            _ => {}
        }
    }
    found
}

#[tokio::test(flavor = "multi_thread")]
async fn the_sql_script_of_an_online_revision_keeps_concurrent_statements_outside_transactions() {
    let project = online_project().await;
    let script = project.run(&["upgrade", "head", "--sql"]).await.ok().stdout;
    let r2 = &script[script.find("-> r2").expect("r2 in the script")..];
    assert_eq!(in_transaction_at(r2, "CONCURRENTLY"), [false, false, false], "{r2}");
    assert_eq!(in_transaction_at(r2, "VALIDATE CONSTRAINT"), [true, true], "{r2}");
    // Each validation in a transaction of its own, after the one that added the constraint.
    let validate = r2
        .find("VALIDATE CONSTRAINT \"accounts_owner_id_fkey\"")
        .or_else(|| r2.find("VALIDATE CONSTRAINT accounts_owner_id_fkey"))
        .expect("validate");
    let added = r2.find("accounts_owner_id_fkey").expect("add");
    assert!(r2[added..validate].contains("COMMIT;"), "{r2}");

    // The script does on an empty database what the online run does.
    run_psql(&project.db, &script).await;
    assert_eq!(project.heads().await, ["r2"]);
    assert_eq!(online_state(&project.db).await, expected_online_state());

    let down = project.run(&["downgrade", "r2:r1", "--sql"]).await.ok().stdout;
    assert_eq!(in_transaction_at(&down, "DROP INDEX CONCURRENTLY"), [false], "{down}");
    run_psql(&project.db, &down).await;
    assert_eq!(project.heads().await, ["r1"]);
}

/// Feeds `script` to `psql`, stopping at the first error.
async fn run_psql(db: &TestDb, script: &str) {
    let mut child = tokio::process::Command::new("psql")
        .args(["-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", &db.url, "-f", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("psql runs (apt-get install postgresql-client)");
    child.stdin.take().expect("stdin").write_all(script.as_bytes()).await.expect("write the script");
    let output = child.wait_with_output().await.expect("psql finishes");
    assert!(output.status.success(), "psql failed:\n{}\n{script}", String::from_utf8_lossy(&output.stderr));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failed_concurrent_build_is_dropped_and_built_again_by_the_next_run() {
    let project = Project::new(Backend::Postgres).await;
    project.write("r1_accounts", &revision("r1", &[], ACCOUNTS, ""));
    project.run(&["upgrade", "head"]).await.ok();
    project.db.execute("UPDATE accounts SET email = 'same' WHERE id <= 2").await;
    let unique = r#"
[[upgrade]]
op = "add_column"
table = "accounts"
column = { name = "note", type = "text" }

[[upgrade]]
op = "create_index"
table = "accounts"
name = "ux_accounts_email"
columns = ["email"]
unique = true
concurrently = true

[[upgrade]]
op = "create_index"
table = "accounts"
name = "ix_accounts_owner_id"
columns = ["owner_id"]
concurrently = true
"#;
    project.write("r2_unique", &revision("r2", &["r1"], unique, ""));

    let run = project.run(&["upgrade", "head"]).await.expect_code(2);
    for needle in ["op 2", "its first 1 op(s) took effect", "resumes at op 2", "ux_accounts_email"] {
        assert!(run.stderr.contains(needle), "the error should say {needle:?}: {}", run.stderr);
    }
    let invalid = "SELECT c.relname::text, i.indisvalid::text FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid \
                   WHERE i.indrelid = 'accounts'::regclass ORDER BY 1";
    assert_eq!(
        project.db.query(invalid).await,
        [[Some("ux_accounts_email".to_owned()), Some("false".to_owned())]],
        "the failed build left its index, invalid"
    );
    assert_eq!(project.heads().await, ["r1"]);
    let history: Vec<String> = project.history().await.into_iter().map(|(r, d)| format!("{d} {r}")).collect();
    assert_eq!(history, ["upgrade r1", "upgrade-failed r2"]);

    // Fixed, run again: the column is not added twice, the invalid index is rebuilt.
    project.db.execute("UPDATE accounts SET email = 'other' WHERE id = 2").await;
    project.run(&["upgrade", "head"]).await.ok();
    assert_eq!(project.heads().await, ["r2"]);
    assert_eq!(
        project.db.query(invalid).await,
        [
            [Some("ix_accounts_owner_id".to_owned()), Some("true".to_owned())],
            [Some("ux_accounts_email".to_owned()), Some("true".to_owned())],
        ]
    );
    let history: Vec<String> = project.history().await.into_iter().map(|(r, d)| format!("{d} {r}")).collect();
    assert_eq!(history, ["upgrade r1", "upgrade r2"]);
}

/// Resolved as reverted instead of run again, a failed concurrent build's INVALID index is
/// still there: the next run drops it before building, instead of failing on "already exists".
#[tokio::test(flavor = "multi_thread")]
async fn a_revision_resolved_as_reverted_builds_its_index_again() {
    let project = Project::new(Backend::Postgres).await;
    project.write("r1_accounts", &revision("r1", &[], ACCOUNTS, ""));
    project.run(&["upgrade", "head"]).await.ok();
    project.db.execute("UPDATE accounts SET email = 'same' WHERE id <= 2").await;
    let unique = "[[upgrade]]\nop = \"create_index\"\ntable = \"accounts\"\nname = \"ux_accounts_email\"\n\
                  columns = [\"email\"]\nunique = true\nconcurrently = true\n";
    project.write("r2_unique", &revision("r2", &["r1"], unique, ""));
    project.run(&["upgrade", "head"]).await.expect_code(2);
    project.run(&["resolve", "r2", "--reverted"]).await.ok();
    project.db.execute("UPDATE accounts SET email = 'other' WHERE id = 2").await;
    project.run(&["upgrade", "head"]).await.ok();
    let valid = "SELECT indisvalid::text FROM pg_index WHERE indexrelid = 'ux_accounts_email'::regclass";
    assert_eq!(project.db.query(valid).await, [[Some("true".to_owned())]]);
}

async fn steps(project: &Project) -> Vec<String> {
    project.history().await.into_iter().map(|(r, d)| format!("{d} {r}")).collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_revision_that_failed_in_steps_can_be_thrown_away() {
    let project = Project::new(Backend::Postgres).await;
    project.write("r1_accounts", &revision("r1", &[], ACCOUNTS, ""));
    project.run(&["upgrade", "head"]).await.ok();
    let not_null = "[[upgrade]]\nop = \"add_column\"\ntable = \"accounts\"\n\
                    column = { name = \"code\", type = \"integer\", nullable = false }\n";
    let index = "[[upgrade]]\nop = \"create_index\"\ntable = \"accounts\"\nname = \"ix_accounts_owner_id\"\n\
                 columns = [\"owner_id\"]\nconcurrently = true\n";

    // Failing in its first step, whose transaction is rolled back, the revision leaves
    // nothing behind and nothing to resolve: its file can go.
    let failed = project.write("r2_code", &revision("r2", &["r1"], &format!("{not_null}\n{index}"), ""));
    let run = project.run(&["upgrade", "head"]).await.expect_code(2);
    assert!(run.stderr.contains("nothing of the revision took effect"), "{}", run.stderr);
    assert_eq!(steps(&project).await, ["upgrade r1", "upgrade-reverted r2"]);
    std::fs::remove_file(failed).expect("remove the file");
    project.write("r3_index", &revision("r3", &["r1"], index, ""));
    project.run(&["upgrade", "head"]).await.ok();
    assert_eq!(project.heads().await, ["r3"]);

    // Failing after a step took effect, it must be settled; without its file, only as undone.
    let failed =
        project.write("r4_code", &revision("r4", &["r3"], &format!("{index}\n{not_null}").replace("ix_", "ix2_"), ""));
    let run = project.run(&["upgrade", "head"]).await.expect_code(2);
    assert!(run.stderr.contains("its first 1 op(s) took effect"), "{}", run.stderr);
    // Where the database stands says so, and CI's check fails on it.
    let run = project.run(&["current"]).await.ok();
    assert!(run.stdout.contains("Unfinished: revision `r4` did not finish its upgrade (it failed)"), "{}", run.stdout);
    // It runs in segments and its file is unchanged: running the upgrade again resumes it.
    let again =
        "it runs in segments: fix the cause and run `aludel upgrade` again, which resumes at the op that failed";
    assert!(run.stdout.contains(again), "{}", run.stdout);
    let run = project.run(&["current", "--format", "json"]).await.ok();
    assert!(
        run.stdout.contains("\"revision\": \"r4\",\n    \"direction\": \"upgrade\",\n    \"state\": \"failed\""),
        "{}",
        run.stdout
    );
    let run = project.run(&["check"]).await.expect_code(1);
    assert!(run.stdout.contains("Unfinished: revision `r4`"), "{}", run.stdout);
    assert!(!run.stdout.contains("upgrade heads"), "check must not advise what refuses: {}", run.stdout);
    let run = project.run(&["check", "--format", "json"]).await.expect_code(1);
    assert!(run.stdout.contains("\"unfinished\": {"), "{}", run.stdout);
    assert!(run.stdout.contains(again), "{}", run.stdout);
    std::fs::remove_file(failed).expect("remove the file");
    // Without its file, nothing can resume it: only `resolve` settles it.
    let run = project.run(&["current"]).await.ok();
    assert!(run.stdout.contains("aludel resolve r4 --reverted") && !run.stdout.contains(again), "{}", run.stdout);
    let run = project.run(&["resolve", "r4", "--applied"]).await.expect_code(2);
    assert!(run.stderr.contains("has no file any more"), "{}", run.stderr);
    project.db.execute("DROP INDEX ix2_accounts_owner_id").await;
    project.run(&["resolve", "r4", "--reverted"]).await.ok();
    let run = project.run(&["current", "--format", "json"]).await.ok();
    assert!(run.stdout.contains("\"unfinished\": null"), "{}", run.stdout);
    assert_eq!(steps(&project).await, ["upgrade r1", "upgrade-reverted r2", "upgrade r3", "upgrade-reverted r4"]);
    project.write("r5_code", &revision("r5", &["r3"], "[[upgrade]]\nop = \"sql\"\nsql = \"SELECT 1\"\n", ""));
    project.run(&["upgrade", "head"]).await.ok();
    assert_eq!(project.heads().await, ["r5"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn trace_catches_a_plain_index_build_and_passes_its_concurrent_form() {
    let _one_at_a_time = TRACES.lock().await;
    let project = Project::new(Backend::Postgres).await;
    let table = r#"
[[upgrade]]
op = "create_table"
table = "events"
columns = [{ name = "id", type = "bigint", nullable = false }, { name = "kind", type = "integer" }, { name = "body", type = "text" }]
primary_key = ["id"]
"#;
    project.write("r1_events", &revision("r1", &[], table, ""));
    project.run(&["upgrade", "head"]).await.ok();
    let index = |concurrently: bool| {
        format!(
            "[[upgrade]]\nop = \"create_index\"\ntable = \"events\"\nname = \"ix_events_kind\"\ncolumns = [\"kind\", \
             \"body\"]\nconcurrently = {concurrently}\n"
        )
    };
    let scratch = "SELECT count(*)::text FROM pg_database WHERE datname LIKE 'aludel\\_trace\\_%'";
    let before = project.db.query(scratch).await;

    project.write("r2_index", &revision("r2", &["r1"], &index(false), ""));
    // A budget well above what a busy machine adds to a write, well below the build's lock.
    let run = project.run(&["trace", "--rows", "1000000", "--budget", "250", "--format", "json"]).await.expect_code(1);
    let report: serde_json::Value = serde_json::from_str(&run.stdout).expect("a JSON document");
    assert_eq!(report["version"], 1);
    assert_eq!(report["over_budget"], true, "{report:#}");
    let statements = report["statements"].as_array().expect("statements");
    let build = statements.iter().find(|s| s["sql"].as_str().is_some_and(|sql| sql.contains("CREATE INDEX")));
    let build = build.unwrap_or_else(|| panic!("the index build is reported: {report:#}"));
    assert_eq!(build["locks"]["events"], "ShareLock", "{build:#}");
    assert_eq!(build["blocks_writers"], true);
    assert!(build["longest_writer_wait_ms"].as_u64().is_some_and(|ms| ms > 250), "{build:#}");
    assert_eq!(build["over_budget"], true);

    project.write("r2_index", &revision("r2", &["r1"], &index(true), ""));
    let run = project.run(&["trace", "--rows", "1000000", "--budget", "250"]).await.ok();
    assert!(run.stdout.contains("ShareUpdateExclusiveLock on events"), "{}", run.stdout);
    assert!(run.stdout.contains("OK: no statement stopped writers longer than 250 ms"), "{}", run.stdout);

    // A range: r2 runs untraced first, r3 alone is traced and caught.
    let other =
        "[[upgrade]]\nop = \"create_index\"\ntable = \"events\"\nname = \"ix_events_body\"\ncolumns = [\"body\"]\n";
    project.write("r3_index", &revision("r3", &["r2"], other, ""));
    let run =
        project.run(&["trace", "-r", "r2:head", "--rows", "1000000", "--budget", "250", "--format", "json"]).await;
    let report: serde_json::Value = serde_json::from_str(&run.expect_code(1).stdout).expect("a JSON document");
    let traced: Vec<&str> = report["statements"]
        .as_array()
        .expect("statements")
        .iter()
        .map(|s| s["revision"].as_str().expect("revision"))
        .collect();
    assert_eq!(traced, ["r3"], "{report:#}");
    // Without --rows, each table gets the rows the target's statistics estimate.
    project
        .db
        .execute("INSERT INTO events (id, kind) SELECT g, g FROM generate_series(1, 30000) g; ANALYZE events")
        .await;
    let run = project.run(&["trace", "-r", "r2:head", "--budget", "100000", "--format", "json"]).await.ok();
    let report: serde_json::Value = serde_json::from_str(&run.stdout).expect("a JSON document");
    assert_eq!(report["rows"]["events"], 30000, "{report:#}");

    let run = project.run(&["trace", "-r", "r2"]).await.expect_code(2);
    assert!(run.stderr.contains("trace range `r2` is not FROM:TO"), "{}", run.stderr);

    // The target was only read, and no scratch database is left.
    assert_eq!(project.heads().await, ["r1"]);
    assert_eq!(project.db.query(scratch).await, before);
}

#[tokio::test(flavor = "multi_thread")]
async fn trace_copies_what_the_model_does_not_hold_as_the_target_writes_it() {
    let _one_at_a_time = TRACES.lock().await;
    let project = Project::new(Backend::Postgres).await;
    // A type and an operator class from extensions, a domain, a key order, a view, a SQL
    // function over it (created before the view in the copy), a trigger: none of them is in
    // the schema model, and the copy fails without the first three.
    let setup = "CREATE EXTENSION IF NOT EXISTS citext; CREATE EXTENSION IF NOT EXISTS pg_trgm; \
                 CREATE DOMAIN points AS integer DEFAULT 1 NOT NULL CONSTRAINT points_positive CHECK (VALUE > 0); \
                 CREATE TABLE scores (id bigint PRIMARY KEY, value points); \
                 CREATE TABLE users (id bigint PRIMARY KEY, email citext NOT NULL, name text NOT NULL); \
                 CREATE INDEX ix_users_name_trgm ON users USING gin (name gin_trgm_ops); \
                 CREATE INDEX ix_users_name_desc ON users (name DESC NULLS LAST); \
                 CREATE VIEW user_names AS SELECT id, name FROM users; \
                 CREATE FUNCTION user_total() RETURNS bigint LANGUAGE sql AS $$ SELECT count(*) FROM user_names $$; \
                 CREATE FUNCTION trimmed() RETURNS trigger LANGUAGE plpgsql AS \
                 $$ BEGIN NEW.name := trim(NEW.name); RETURN NEW; END $$; \
                 CREATE TRIGGER users_trimmed BEFORE INSERT OR UPDATE ON users FOR EACH ROW EXECUTE FUNCTION trimmed()";
    project.write("r1_users", &revision("r1", &[], &format!("[[upgrade]]\nop = \"sql\"\nsql = \"{setup}\"\n"), ""));
    project.run(&["upgrade", "head"]).await.ok();
    // Dropping the trigram index, the trigger and the function fails on a copy that lacks them.
    let change = "[[upgrade]]\nop = \"drop_index\"\ntable = \"users\"\nname = \"ix_users_name_trgm\"\n\n\
                  [[upgrade]]\nop = \"sql\"\nsql = \"DROP TRIGGER users_trimmed ON users; DROP FUNCTION user_total()\"\n\n\
                  [[upgrade]]\nop = \"add_column\"\ntable = \"users\"\n\
                  column = { name = \"age\", type = \"integer\", nullable = true }\n";
    project.write("r2_change", &revision("r2", &["r1"], change, ""));
    let scratch = "SELECT count(*)::text FROM pg_database WHERE datname LIKE 'aludel\\_trace\\_%'";
    let before = project.db.query(scratch).await;

    let run = project.run(&["trace", "--rows", "1000", "--budget", "100000"]).await.ok();
    assert!(run.stdout.contains("Rows generated: scores 1000, users 1000"), "{}", run.stdout);
    // Each statement is shown by its own first line, not by the timeouts that open the revision.
    assert!(run.stdout.contains("r2 DROP INDEX"), "{}", run.stdout);
    assert!(!run.stdout.contains("SET LOCAL"), "{}", run.stdout);
    assert!(!run.stdout.contains("not copied"), "{}", run.stdout);

    // A change the view stops on the database stops on the copy too.
    let retype = "[[upgrade]]\nop = \"alter_column\"\ntable = \"users\"\ncolumn = \"name\"\n\
                  type = { from = \"text\", to = \"varchar(300)\" }\n";
    let r3 = project.write("r3_retype", &revision("r3", &["r2"], retype, ""));
    let run = project.run(&["trace", "--rows", "1000"]).await.expect_code(2);
    assert!(run.stderr.contains("the revisions failed on the trace's scratch copy"), "{}", run.stderr);
    assert!(run.stderr.contains("view user_names depends on column \"name\""), "{}", run.stderr);
    std::fs::remove_file(r3).expect("remove r3");

    // A role that may not create an extension is told which one and why.
    // dblink is untrusted: only a superuser installs it.
    project.db.execute("CREATE EXTENSION IF NOT EXISTS dblink").await;
    let role = format!("tracer_{}", std::process::id());
    project.db.execute(&format!("DROP ROLE IF EXISTS {role}; CREATE ROLE {role} LOGIN CREATEDB")).await;
    project
        .db
        .execute(&format!(
            "GRANT ALL ON SCHEMA public TO {role}; GRANT SELECT ON ALL TABLES IN SCHEMA public TO {role}"
        ))
        .await;
    let url = project.db.url.replacen("postgres@", &format!("{role}@"), 1);
    let run = project.run_with_url(&url, &["trace", "--rows", "1000"]).await.expect_code(2);
    assert!(
        run.stderr.contains("could not install the extension `dblink` on the trace's scratch database"),
        "{}",
        run.stderr
    );
    project.db.execute(&format!("DROP OWNED BY {role}; DROP ROLE {role}")).await;
    assert_eq!(project.db.query(scratch).await, before, "the scratch databases are dropped");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failed_unique_key_build_is_dropped_and_built_again_by_the_next_run() {
    let project = Project::new(Backend::Postgres).await;
    project.write("r1_accounts", &revision("r1", &[], ACCOUNTS, ""));
    project.run(&["upgrade", "head"]).await.ok();
    project.db.execute("UPDATE accounts SET email = 'same' WHERE id <= 2").await;
    let unique = r#"
[[upgrade]]
op = "add_constraint"
table = "accounts"
constraint = { kind = "unique", name = "accounts_email_key", columns = ["email"] }
concurrently = true
"#;
    project.write("r2_unique", &revision("r2", &["r1"], unique, ""));
    let run = project.run(&["upgrade", "head"]).await.expect_code(2);
    assert!(run.stderr.contains("resumes at op 1"), "{}", run.stderr);
    let state = "SELECT c.relname::text, i.indisvalid::text, \
                 (SELECT count(*) FROM pg_constraint k WHERE k.conindid = i.indexrelid)::text \
                 FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE i.indrelid = 'accounts'::regclass";
    let row = |valid: &str, constraints: &str| {
        vec![vec![Some("accounts_email_key".to_owned()), Some(valid.to_owned()), Some(constraints.to_owned())]]
    };
    assert_eq!(project.db.query(state).await, row("false", "0"), "the failed build left its index, invalid");

    project.db.execute("UPDATE accounts SET email = 'other' WHERE id = 2").await;
    project.run(&["upgrade", "head"]).await.ok();
    assert_eq!(project.heads().await, ["r2"]);
    assert_eq!(project.db.query(state).await, row("true", "1"), "rebuilt and attached to the constraint");
}

#[tokio::test(flavor = "multi_thread")]
async fn ctrl_c_during_a_trace_drops_its_scratch_database() {
    let _one_at_a_time = TRACES.lock().await;
    let project = Project::new(Backend::Postgres).await;
    let table = "[[upgrade]]\nop = \"create_table\"\ntable = \"events\"\ncolumns = [{ name = \"id\", type = \"bigint\", \
                 nullable = false }, { name = \"body\", type = \"text\" }]\nprimary_key = [\"id\"]\n";
    project.write("r1_events", &revision("r1", &[], table, ""));
    project.run(&["upgrade", "head"]).await.ok();
    let index =
        "[[upgrade]]\nop = \"create_index\"\ntable = \"events\"\nname = \"ix_events_body\"\ncolumns = [\"body\"]\n";
    project.write("r2_index", &revision("r2", &["r1"], index, ""));
    // Ctrl-C, and SIGTERM as `timeout`, CI runners and `docker stop` send it.
    for signal in ["-INT", "-TERM"] {
        let before = scratch_databases(&project.db).await;
        // Filling two million rows takes long enough to be interrupted part way.
        let child = common::command(project.dir.path(), &project.db.url, &["trace", "--rows", "2000000"])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start aludel");
        let mut scratch = None;
        for _ in 0..600 {
            let names = scratch_databases(&project.db).await;
            scratch = names.into_iter().find(|name| !before.contains(name));
            if scratch.is_some() {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        let scratch = scratch.expect("the trace creates its scratch database");
        let pid = child.id().expect("a running child").to_string();
        assert!(std::process::Command::new("kill").args([signal, &pid]).status().expect("kill").success());
        let output = child.wait_with_output().await.expect("aludel ends");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{signal}: {stderr}");
        assert!(stderr.contains("interrupted; the trace's scratch database was dropped"), "{signal}: {stderr}");
        let left = scratch_databases(&project.db).await;
        assert!(!left.contains(&scratch), "{scratch} is left behind after kill {signal}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_trace_that_fails_on_its_generated_rows_says_so() {
    let _one_at_a_time = TRACES.lock().await;
    let project = Project::new(Backend::Postgres).await;
    let table = "[[upgrade]]\nop = \"create_table\"\ntable = \"t\"\ncolumns = [\n\
                 { name = \"id\", type = \"integer\", nullable = false },\n{ name = \"c\", type = \"text\" },\n]\n\
                 primary_key = [\"id\"]\n";
    project.write("r1_t", &revision("r1", &[], table, ""));
    project.run(&["upgrade", "head"]).await.ok();
    project.db.execute("INSERT INTO t VALUES (1, '42')").await;
    let to_integer = "[[upgrade]]\nop = \"alter_column\"\ntable = \"t\"\ncolumn = \"c\"\n\
                      type = { from = \"text\", to = \"integer\" }\n";
    project.write("r2_integer", &revision("r2", &["r1"], to_integer, ""));
    // The generated rows hold text that is no number; the database's own rows are numbers.
    let run = project.run(&["trace", "--rows", "50"]).await.expect_code(2);
    assert!(run.stderr.contains("on a value of the rows the trace generated"), "{}", run.stderr);
    assert!(!run.stderr.contains("as they would on the database"), "{}", run.stderr);
    let run = project.run(&["trace", "--rows", "0"]).await.ok();
    assert!(run.stdout.contains("AccessExclusiveLock on t"), "{}", run.stdout);
    project.run(&["upgrade", "head"]).await.ok();
}

/// A table the generator cannot fill is reported as traced empty, and a trace with nothing
/// pending makes no scratch copy (so a role that may not create databases gets its answer).
#[tokio::test(flavor = "multi_thread")]
async fn a_trace_reports_tables_it_could_not_fill_as_empty_and_needs_no_copy_for_nothing() {
    let _one_at_a_time = TRACES.lock().await;
    let project = Project::new(Backend::Postgres).await;
    let strict = "CREATE TABLE strict_t (id integer PRIMARY KEY, c text NOT NULL CHECK (c = 'fixed'))";
    project.write("r1_t", &revision("r1", &[], &format!("[[upgrade]]\nop = \"sql\"\nsql = \"{strict}\"\n"), ""));
    project.run(&["upgrade", "head"]).await.ok();
    let add = "[[upgrade]]\nop = \"add_column\"\ntable = \"strict_t\"\n\
               column = { name = \"d\", type = \"integer\", nullable = true }\n";
    project.write("r2_d", &revision("r2", &["r1"], add, ""));
    let run = project.run(&["trace", "--rows", "100", "--format", "json"]).await.ok();
    let report: serde_json::Value = serde_json::from_str(&run.stdout).expect("json");
    assert_eq!(report["rows"]["strict_t"], 0, "{report:#}");
    assert!(report["notes"].to_string().contains("table `strict_t` has no rows"), "{report:#}");

    project.run(&["upgrade", "head"]).await.ok();
    let role = format!("tracer_nocreate_{}", std::process::id());
    project.db.execute(&format!("DROP ROLE IF EXISTS {role}; CREATE ROLE {role} LOGIN")).await;
    project.db.execute(&format!("GRANT SELECT ON ALL TABLES IN SCHEMA public TO {role}")).await;
    let url = project.db.url.replacen("postgres@", &format!("{role}@"), 1);
    let run = project.run_with_url(&url, &["trace"]).await.ok();
    assert!(run.stdout.contains("Nothing to trace"), "{}", run.stdout);
    project.db.execute(&format!("DROP OWNED BY {role}; DROP ROLE {role}")).await;
}

/// An `sql` op's statements go to the database one by one, as psql sends them: outside a
/// transaction, two concurrent index builds in one op both run (sent whole, PostgreSQL ran them
/// in one implicit transaction and refused), and a failure names the statement that failed.
#[tokio::test(flavor = "multi_thread")]
async fn the_statements_of_an_sql_op_run_one_by_one() {
    let project = Project::new(Backend::Postgres).await;
    let (up, down) = table_ops("items");
    project.write("a1_items", &revision("a1", &[], &up, &down));
    let indexes = "transactional = false\n\n[[upgrade]]\nop = \"sql\"\nsql = \"\"\"\n\
                   CREATE INDEX CONCURRENTLY ix_items_a ON items (id); -- the first\n\
                   CREATE INDEX CONCURRENTLY ix_items_b ON items (id DESC);\n\"\"\"\n\n[[downgrade]]\nop = \"sql\"\n\
                   sql = \"DROP INDEX CONCURRENTLY ix_items_b; DROP INDEX CONCURRENTLY ix_items_a\"\n";
    project
        .write("b2_indexes", &format!("revision = \"b2\"\ndown_revision = \"a1\"\nmessage = \"indexes\"\n{indexes}"));
    project.run(&["upgrade", "head"]).await.ok();
    let valid = "SELECT indexrelid::regclass::text FROM pg_index WHERE indrelid = 'items'::regclass \
                 AND indisvalid AND NOT indisprimary ORDER BY 1";
    let names = |rows: Vec<Vec<Option<String>>>| rows.into_iter().flatten().flatten().collect::<Vec<_>>();
    assert_eq!(names(project.db.query(valid).await), ["ix_items_a", "ix_items_b"]);
    project.run(&["downgrade", "-1"]).await.ok();
    assert!(names(project.db.query(valid).await).is_empty());

    // The second statement fails: the first stays, and the error says which one failed.
    project.db.execute("CREATE INDEX ix_items_b ON items (id)").await;
    let run = project.run(&["upgrade", "head"]).await.expect_code(2);
    assert!(run.stderr.contains("and so did the first 1 statement(s) of op 1"), "{}", run.stderr);
    let current = project.run(&["current"]).await;
    assert!(current.stdout.contains("failed at its statement 2 of 2"), "{}{}", current.stdout, current.stderr);
}

/// A concurrent index build, then an `sql` op and a plain column: the build runs in a
/// segment of its own, the other two in a transaction after it.
fn index_then(sql: &str) -> String {
    format!(
        r#"
[[upgrade]]
op = "create_index"
table = "accounts"
name = "ix_accounts_owner_id"
columns = ["owner_id"]
concurrently = true

[[upgrade]]
op = "sql"
sql = "{sql}"

[[upgrade]]
op = "add_column"
table = "accounts"
column = {{ name = "note", type = "text" }}
"#
    )
}

/// The object id of the index `ix_accounts_owner_id`: building it again gives another.
async fn index_oid(db: &TestDb) -> Vec<Vec<Option<String>>> {
    db.query("SELECT 'ix_accounts_owner_id'::regclass::oid::text").await
}

/// The project of `r1` (the filled tables) applied, and `r2` (`index_then(sql)`) failed at
/// its op 2 after its index was built.
async fn failed_after_its_index(sql: &str) -> Project {
    let project = Project::new(Backend::Postgres).await;
    project.write("r1_accounts", &revision("r1", &[], ACCOUNTS, ""));
    project.run(&["upgrade", "head"]).await.ok();
    project.write("r2_index", &revision("r2", &["r1"], &index_then(sql), ""));
    let run = project.run(&["upgrade", "head"]).await.expect_code(2);
    for needle in ["failed at op 2", "its first 1 op(s) took effect", "op 1 must stay in the file as it ran"] {
        assert!(run.stderr.contains(needle), "the error should say {needle:?}: {}", run.stderr);
    }
    assert_eq!(steps(&project).await, ["upgrade r1", "upgrade-failed r2"]);
    project
}

/// The detail of `r2`'s history row and the checksum it records.
async fn r2_row(project: &Project) -> Vec<Vec<Option<String>>> {
    project.db.query("SELECT detail, checksum FROM aludel_history WHERE revision = 'r2' ORDER BY id").await
}

/// The cause of the failure was in the failed op itself: fixed in the file, the revision
/// resumes at it, without building the index of op 1 again, and records the file it finished
/// with, so that nothing later sees it as edited.
#[tokio::test(flavor = "multi_thread")]
async fn a_revision_fixed_in_the_op_that_failed_resumes_at_it() {
    let project = failed_after_its_index("UPDATE acounts SET email = lower(email)").await;
    let built = index_oid(&project.db).await;
    let detail = r2_row(&project).await[0][0].clone().unwrap_or_default();
    assert!(detail.starts_with("1 of its 3 op(s) ran (their checksum: "), "{detail}");
    let run = project.run(&["current"]).await.ok();
    assert!(run.stdout.contains("the ops that already ran must stay in the file as they ran"), "{}", run.stdout);

    // The typo fixed, and an op added after it.
    let fixed = index_then("UPDATE accounts SET email = lower(email)")
        + "\n[[upgrade]]\nop = \"sql\"\nsql = \"UPDATE accounts SET note = 'resumed'\"\n";
    project.write("r2_index", &revision("r2", &["r1"], &fixed, ""));
    project.run(&["upgrade", "head"]).await.ok();
    assert_eq!(project.heads().await, ["r2"]);
    assert_eq!(index_oid(&project.db).await, built, "the index of op 1 was not built again");
    let notes = project.db.query("SELECT DISTINCT note FROM accounts").await;
    assert_eq!(notes, [[Some("resumed".to_owned())]], "the ops after the one that failed ran");
    assert_eq!(steps(&project).await, ["upgrade r1", "upgrade r2"]);

    // The history holds the file's checksum now: nothing sees the revision as edited.
    let shown = project.run(&["show", "r2"]).await.ok().stdout;
    let checksum = r2_row(&project).await[0][1].clone().unwrap_or_default();
    assert!(shown.contains(&format!("Checksum: {checksum}")), "{checksum}\n{shown}");
    project.run(&["verify"]).await.ok();
    project.run(&["check"]).await.ok();
    project.run(&["upgrade", "head"]).await.ok();
}

/// Ops that took effect must stay as they ran: an edit to one refuses the run before
/// anything runs, saying which ops ran and how to go on; restored, the revision resumes.
#[tokio::test(flavor = "multi_thread")]
async fn an_edit_to_an_op_that_already_ran_refuses_the_resume() {
    let project = failed_after_its_index("UPDATE acounts SET email = lower(email)").await;
    let built = index_oid(&project.db).await;
    let row = r2_row(&project).await;
    let fixed = index_then("UPDATE accounts SET email = lower(email)");
    project.write("r2_index", &revision("r2", &["r1"], &fixed.replace("[\"owner_id\"]", "[\"owner_id\", \"id\"]"), ""));

    let run = project.run(&["upgrade", "head"]).await.expect_code(2);
    let refusal = "revision `r2` (";
    let changed = "cannot resume its upgrade: its op 1 took effect, and it changed in the file since; restore it as it \
                   ran and run `aludel upgrade` again, which resumes at op 2, or settle the revision by hand: finish it \
                   and run `aludel resolve r2 --applied`, or undo what ran and run `aludel resolve r2 --reverted`";
    assert!(run.stderr.contains(refusal) && run.stderr.contains(changed), "{}", run.stderr);
    assert_eq!(r2_row(&project).await, row, "nothing ran");
    assert_eq!(project.columns("accounts").await, ["id", "email", "owner_id"], "nothing ran");
    assert_eq!(project.heads().await, ["r1"]);
    // Where the database stands says the same.
    let run = project.run(&["current"]).await.ok();
    assert!(
        run.stdout.contains(changed) && !run.stdout.contains("which resumes at the op that failed"),
        "{}",
        run.stdout
    );

    project.write("r2_index", &revision("r2", &["r1"], &fixed, ""));
    project.run(&["upgrade", "head"]).await.ok();
    assert_eq!(project.heads().await, ["r2"]);
    assert_eq!(index_oid(&project.db).await, built, "the index of op 1 was not built again");
}

/// With several ops that ran, the refusal names the first that changed and what it reads now,
/// not only the range of ops that ran.
#[tokio::test(flavor = "multi_thread")]
async fn the_refusal_to_resume_names_the_op_that_changed() {
    let project = Project::new(Backend::Postgres).await;
    project.write("r1_accounts", &revision("r1", &[], ACCOUNTS, ""));
    project.run(&["upgrade", "head"]).await.ok();
    // A second concurrent build commits the ops before it: four ran when the fifth fails.
    let ops = |second: &str| {
        index_then(second)
            + "\n[[upgrade]]\nop = \"create_index\"\ntable = \"accounts\"\nname = \"ix_accounts_email\"\n\
               columns = [\"email\"]\nconcurrently = true\n\n[[upgrade]]\nop = \"sql\"\n\
               sql = \"UPDATE acounts SET note = 'x'\"\n"
    };
    project.write("r2_index", &revision("r2", &["r1"], &ops("UPDATE accounts SET email = lower(email)"), ""));
    let run = project.run(&["upgrade", "head"]).await.expect_code(2);
    assert!(run.stderr.contains("its first 4 op(s) took effect"), "{}", run.stderr);

    project.write("r2_index", &revision("r2", &["r1"], &ops("UPDATE accounts SET email = upper(email)"), ""));
    let run = project.run(&["upgrade", "head"]).await.expect_code(2);
    let changed = "its ops 1 to 4 took effect, and op 2 of them changed in the file since (it reads `sql UPDATE \
                   accounts SET email = upper(email)` now); restore them as they ran";
    assert!(run.stderr.contains(changed), "{}", run.stderr);
}

/// A row written before the history recorded the checksum of the ops that ran resumes only
/// while the whole file is unchanged, as it did then.
#[tokio::test(flavor = "multi_thread")]
async fn a_row_without_the_checksum_of_the_ops_that_ran_resumes_only_unchanged() {
    let project = failed_after_its_index("INSERT INTO notes VALUES (1)").await;
    let built = index_oid(&project.db).await;
    project
        .db
        .execute(
            "UPDATE aludel_history SET detail = \
             regexp_replace(detail, ' \\(their checksum: [0-9a-f]+\\) \\(op by op: [0-9a-f ]+\\)', '') \
             WHERE revision = 'r2'",
        )
        .await;
    let detail = r2_row(&project).await[0][0].clone().unwrap_or_default();
    assert!(detail.starts_with("1 of its 3 op(s) ran; op 2 (sql"), "{detail}");

    // Edited after the ops that ran, it is refused as before: only `resolve` settles it.
    let original = std::fs::read_to_string(project.versions().join("r2_index.toml")).expect("read r2");
    project.write("r2_index", &original.replace("INSERT INTO notes VALUES (1)", "SELECT 1"));
    let run = project.run(&["upgrade", "head"]).await.expect_code(2);
    assert!(
        run.stderr
            .contains("the database may hold part of it. Finish it by hand and run `aludel resolve r2 --applied`"),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("cannot resume"), "{}", run.stderr);

    // Unchanged, it resumes once the cause is fixed in the database.
    project.write("r2_index", &original);
    project.db.execute("CREATE TABLE notes (id integer)").await;
    project.run(&["upgrade", "head"]).await.ok();
    assert_eq!(project.heads().await, ["r2"]);
    assert_eq!(index_oid(&project.db).await, built, "the index of op 1 was not built again");
}

/// A downgrade that runs in segments resumes after the ops that ran in the same way: at the
/// op that failed, fixed in the file; an edit to an op that ran refuses it.
#[tokio::test(flavor = "multi_thread")]
async fn a_downgrade_fixed_in_the_op_that_failed_resumes_at_it() {
    let project = Project::new(Backend::Postgres).await;
    project.write("r1_accounts", &revision("r1", &[], ACCOUNTS, ""));
    let downgrade = |sql: &str| {
        format!(
            "[[downgrade]]\nop = \"drop_index\"\ntable = \"accounts\"\nname = \"ix_accounts_owner_id\"\n\
             concurrently = true\n\n[[downgrade]]\nop = \"sql\"\nsql = \"{sql}\"\n\n\
             [[downgrade]]\nop = \"drop_column\"\ntable = \"accounts\"\ncolumn = \"note\"\n"
        )
    };
    let upgrade = index_then("SELECT 1");
    project.write("r2_index", &revision("r2", &["r1"], &upgrade, &downgrade("UPDATE acounts SET note = NULL")));
    project.run(&["upgrade", "head"]).await.ok();
    let run = project.run(&["downgrade", "r1"]).await.expect_code(2);
    assert!(run.stderr.contains("op 1 must stay in the file as it ran"), "{}", run.stderr);
    assert_eq!(steps(&project).await, ["upgrade r1", "upgrade r2", "downgrade-failed r2"]);

    // An edit to the index drop, which ran, is refused.
    let edited =
        downgrade("UPDATE accounts SET note = NULL").replace("\"ix_accounts_owner_id\"", "\"ix_accounts_owner\"");
    project.write("r2_index", &revision("r2", &["r1"], &upgrade, &edited));
    let run = project.run(&["downgrade", "r1"]).await.expect_code(2);
    assert!(run.stderr.contains("cannot resume its downgrade: its op 1 took effect"), "{}", run.stderr);
    assert_eq!(project.columns("accounts").await, ["id", "email", "owner_id", "note"], "nothing ran");

    project.write("r2_index", &revision("r2", &["r1"], &upgrade, &downgrade("UPDATE accounts SET note = NULL")));
    project.run(&["downgrade", "r1"]).await.ok();
    assert_eq!(project.heads().await, ["r1"]);
    assert_eq!(project.columns("accounts").await, ["id", "email", "owner_id"]);
    assert_eq!(steps(&project).await, ["upgrade r1", "upgrade r2", "downgrade r2"]);
    project.run(&["verify"]).await.ok();
}

/// Regression: a unique concurrent build failed on duplicate rows, and the fix renamed its
/// index as well as removing them. The resumed run probed for a leftover under the new name
/// only, so the INVALID index of the failed build stayed, slowing every write to the table.
/// The failure records the leftover by the name it had, and the resumed run drops it first.
#[tokio::test(flavor = "multi_thread")]
async fn a_failed_concurrent_build_renamed_by_the_fix_leaves_no_invalid_index() {
    let project = Project::new(Backend::Postgres).await;
    project.write("r1_accounts", &revision("r1", &[], ACCOUNTS, ""));
    project.run(&["upgrade", "head"]).await.ok();
    project.db.execute("UPDATE accounts SET email = 'same' WHERE id <= 2").await;
    let add_note =
        "[[upgrade]]\nop = \"add_column\"\ntable = \"accounts\"\ncolumn = { name = \"note\", type = \"text\" }\n";
    let unique = |name: &str| {
        format!(
            "[[upgrade]]\nop = \"create_index\"\ntable = \"accounts\"\nname = \"{name}\"\ncolumns = [\"email\"]\n\
             unique = true\nconcurrently = true\n"
        )
    };
    project.write("r2_unique", &revision("r2", &["r1"], &format!("{add_note}\n{}", unique("ix_a")), ""));
    project.run(&["upgrade", "head"]).await.expect_code(2);
    let indexes = "SELECT c.relname::text, i.indisvalid::text FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid \
                   WHERE i.indrelid = 'accounts'::regclass ORDER BY 1";
    let index = |name: &str, valid: &str| vec![Some(name.to_owned()), Some(valid.to_owned())];
    assert_eq!(project.db.query(indexes).await, [index("ix_a", "false")], "the failed build left its index");
    let detail = r2_row(&project).await[0][0].clone().unwrap_or_default();
    assert!(detail.contains("; left behind: `public.ix_a`; op 2 ("), "{detail}");

    // The fix: an op that removes the duplicates, and the index under another name.
    let dedup = "[[upgrade]]\nop = \"sql\"\nsql = \"UPDATE accounts SET email = 'other' WHERE id = 2\"\n";
    project.write("r2_unique", &revision("r2", &["r1"], &format!("{add_note}\n{dedup}\n{}", unique("ix_b")), ""));
    project.run(&["upgrade", "head"]).await.ok();
    assert_eq!(project.heads().await, ["r2"]);
    assert_eq!(project.db.query(indexes).await, [index("ix_b", "true")], "no INVALID index is left");
    assert_eq!(steps(&project).await, ["upgrade r1", "upgrade r2"]);
}

/// The leftover a failed build recorded is dropped only while it is still INVALID: an index
/// that took its name since, valid, stays.
#[tokio::test(flavor = "multi_thread")]
async fn a_recorded_leftover_that_became_a_valid_index_is_kept() {
    let project = Project::new(Backend::Postgres).await;
    project.write("r1_accounts", &revision("r1", &[], ACCOUNTS, ""));
    project.run(&["upgrade", "head"]).await.ok();
    project.db.execute("UPDATE accounts SET email = 'same' WHERE id <= 2").await;
    let unique = |name: &str| {
        format!(
            "[[upgrade]]\nop = \"create_index\"\ntable = \"accounts\"\nname = \"{name}\"\ncolumns = [\"email\"]\n\
             unique = true\nconcurrently = true\n"
        )
    };
    project.write("r2_unique", &revision("r2", &["r1"], &unique("ix_a"), ""));
    project.run(&["upgrade", "head"]).await.expect_code(2);
    // Replaced by hand with a valid index of the same name, before the renamed build resumes.
    project.db.execute("UPDATE accounts SET email = 'other' WHERE id = 2").await;
    project.db.execute("DROP INDEX ix_a; CREATE INDEX ix_a ON accounts (owner_id)").await;
    project.write("r2_unique", &revision("r2", &["r1"], &unique("ix_b"), ""));
    project.run(&["upgrade", "head"]).await.ok();
    let indexes = "SELECT c.relname::text, i.indisvalid::text FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid \
                   WHERE i.indrelid = 'accounts'::regclass ORDER BY 1";
    let index = |name: &str| vec![Some(name.to_owned()), Some("true".to_owned())];
    assert_eq!(project.db.query(indexes).await, [index("ix_a"), index("ix_b")]);
}
