//! `--sql`: the printed script, run by `psql`, `sqlite3` or `mariadb` on an empty database,
//! must produce the same schema and version table as the online `upgrade head`.

mod common;

use std::process::Stdio;

use tokio::io::AsyncWriteExt;

use common::{Backend, Project, TestDb, backends, revision};

const USERS: &str = r#"
[[upgrade]]
op = "create_table"
table = "users"
columns = [
  { name = "id", type = "bigint", nullable = false, identity = true },
  { name = "email", type = "varchar(255)", nullable = false },
  { name = "active", type = "boolean", nullable = false, default = { value = true } },
  { name = "created_at", type = "timestamptz", nullable = false, default = { expr = "current_timestamp" } },
]
primary_key = ["id"]

[[upgrade]]
op = "create_index"
table = "users"
name = "ix_users_email"
columns = ["email"]
unique = true

[[upgrade]]
op = "sql"
sql = "INSERT INTO users (email) VALUES ('admin@example.com')"

[[downgrade]]
op = "drop_table"
table = "users"
"#;

const POSTS: &str = r#"
[[upgrade]]
op = "create_table"
table = "posts"
columns = [
  { name = "id", type = "integer", nullable = false },
  { name = "author_id", type = "bigint", nullable = false },
  { name = "title", type = "text", nullable = false },
]
primary_key = ["id"]
constraints = [
  { kind = "foreign_key", name = "posts_author_id_fkey", columns = ["author_id"], references = { table = "users", columns = ["id"] }, on_delete = "cascade" },
]

[[upgrade]]
op = "add_column"
table = "users"
column = { name = "age", type = "integer", default = { value = 0 } }

[[upgrade]]
op = "alter_column"
table = "users"
column = "age"
nullable = false

[[downgrade]]
op = "alter_column"
table = "users"
column = "age"
nullable = true

[[downgrade]]
op = "drop_column"
table = "users"
column = "age"

[[downgrade]]
op = "drop_table"
table = "posts"
"#;

async fn project(backend: Backend) -> Project {
    let project = Project::new(backend).await;
    project.write("r1_users", &revision("r1", &[], USERS, ""));
    project.write("r2_posts", &revision("r2", &["r1"], POSTS, ""));
    project
}

/// Feeds `script` to the backend's own command-line client.
async fn run_script(db: &TestDb, script: &str) {
    if let Err(error) = try_run_script(db, script).await {
        panic!("script failed: {error}\n{script}");
    }
}

/// [`run_script`], returning the client's error output when the script fails.
async fn try_run_script(db: &TestDb, script: &str) -> Result<(), String> {
    let mut command = match db.backend {
        Backend::Postgres => {
            let mut c = tokio::process::Command::new("psql");
            c.args(["-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", &db.url, "-f", "-"]);
            c
        }
        Backend::MySql => {
            // mysql://user[:password]@host[:port]/database; the client stops at the first error.
            let rest = db.url.split_once("://").map_or(db.url.as_str(), |(_, rest)| rest);
            let (authority, database) = rest.split_once('/').expect("a URL ending in /<database>");
            let (user, server) = authority.rsplit_once('@').unwrap_or(("root", authority));
            let (user, password) = user.split_once(':').map_or((user, None), |(u, p)| (u, Some(p)));
            let (host, port) = server.split_once(':').unwrap_or((server, "3306"));
            let mut c = tokio::process::Command::new("mariadb");
            c.args(["--batch", "--host", host, "--port", port, "--user", user]);
            if let Some(password) = password {
                c.arg(format!("--password={password}"));
            }
            c.arg(database);
            c
        }
        _ => {
            let mut c = tokio::process::Command::new("sqlite3");
            c.args(["-bail", db.url.trim_start_matches("sqlite://")]);
            c
        }
    };
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("psql, sqlite3 and mariadb are installed (scripts/test installs them)");
    child.stdin.take().unwrap().write_all(script.as_bytes()).await.unwrap();
    let output = child.wait_with_output().await.unwrap();
    if output.status.success() { Ok(()) } else { Err(String::from_utf8_lossy(&output.stderr).into_owned()) }
}

/// A PostgreSQL script run by a client that goes on after an error (`psql -f` without
/// `ON_ERROR_STOP`) does not run a revision whose parent failed: each revision's transaction
/// first checks that the version table holds what the script recorded before it.
#[tokio::test(flavor = "multi_thread")]
async fn a_postgresql_script_run_past_an_error_runs_no_later_revision() {
    let project = Project::new(Backend::Postgres).await;
    let sql = |text: &str| format!("[[upgrade]]\nop = \"sql\"\nsql = \"{text}\"\n");
    project.write("r1_one", &revision("r1", &[], &sql("CREATE TABLE t1 (a int)"), ""));
    project.write("r2_two", &revision("r2", &["r1"], &sql("CREATE TABLE t2 (a int); SELECT 1/0"), ""));
    project.write("r3_three", &revision("r3", &["r2"], &sql("CREATE TABLE t3 (a int)"), ""));
    let script = project.run(&["upgrade", "head", "--sql"]).await.expect_code(0).stdout;
    assert!(script.contains("-- run it with psql -v ON_ERROR_STOP=1 -f"), "{script}");
    let mut psql = tokio::process::Command::new("psql")
        .args(["-X", "-q", "-d", &project.db.url, "-f", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("psql is installed");
    psql.stdin.take().expect("stdin").write_all(script.as_bytes()).await.expect("the script is sent");
    let output = psql.wait_with_output().await.expect("psql ends");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("a revision before r3 in this script failed"), "{stderr}");
    let tables = project.db.query("SELECT tablename FROM pg_tables WHERE tablename LIKE 't_' ORDER BY 1").await;
    assert_eq!(tables, [[Some("t1".to_owned())]], "r3 did not run after r2 failed");
    assert_eq!(versions(&project.db).await, "r1");
}

/// Everything about the schema that both runs must agree on.
async fn dump(db: &TestDb) -> Vec<Vec<Option<String>>> {
    let sql = match db.backend {
        Backend::Postgres => {
            "SELECT table_name::text, column_name::text, data_type::text, is_nullable::text, column_default::text, is_identity::text \
             FROM information_schema.columns WHERE table_schema = 'public' \
             UNION ALL SELECT tablename::text, indexname::text, indexdef::text, '', '', '' FROM pg_indexes WHERE schemaname = 'public' \
             UNION ALL SELECT conrelid::regclass::text, conname::text, pg_get_constraintdef(oid), '', '', '' FROM pg_constraint WHERE connamespace = 'public'::regnamespace \
             UNION ALL SELECT 'version', version_num, '', '', '', '' FROM aludel_version \
             UNION ALL SELECT 'users', email, '', '', '', '' FROM users \
             ORDER BY 1, 2"
        }
        Backend::MySql => {
            "SELECT TABLE_NAME, COLUMN_NAME, COLUMN_TYPE, IS_NULLABLE, COLUMN_DEFAULT, EXTRA \
             FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() \
             UNION ALL SELECT TABLE_NAME, INDEX_NAME, COLUMN_NAME, CAST(NON_UNIQUE AS CHAR), \
               CAST(SEQ_IN_INDEX AS CHAR), INDEX_TYPE FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() \
             UNION ALL SELECT TABLE_NAME, CONSTRAINT_NAME, CONSTRAINT_TYPE, '', '', '' \
               FROM information_schema.TABLE_CONSTRAINTS WHERE TABLE_SCHEMA = DATABASE() \
             UNION ALL SELECT 'version', version_num, '', '', '', '' FROM aludel_version \
             UNION ALL SELECT 'users', email, '', '', '', '' FROM users"
        }
        _ => {
            "SELECT type, name, tbl_name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' \
             UNION ALL SELECT 'version', version_num, '', '' FROM aludel_version \
             UNION ALL SELECT 'users', email, '', '' FROM users ORDER BY 1, 2"
        }
    };
    let mut rows = db.query(sql).await;
    rows.sort();
    rows
}

#[tokio::test(flavor = "multi_thread")]
async fn offline_upgrade_script_matches_online_upgrade() {
    for backend in backends() {
        let project = project(backend).await;
        let script = project.run(&["upgrade", "head", "--sql"]).await.ok().stdout;
        assert!(script.contains("BEGIN;") && script.contains("COMMIT;"), "{script}");
        assert!(!script.is_empty());

        project.run(&["upgrade", "head"]).await.ok();
        let offline = TestDb::new(backend).await;
        run_script(&offline, &script).await;
        let online = dump(&project.db).await;
        assert!(online.len() >= 6, "{online:?}");
        assert_eq!(online, dump(&offline).await, "{backend:?}");

        // The downgrade script of that range takes the offline database back to base.
        let down = project.run(&["downgrade", "r2:base", "--sql"]).await.ok().stdout;
        run_script(&offline, &down).await;
        assert!(offline.query("SELECT version_num FROM aludel_version").await.is_empty());
        let missing = project.run(&["downgrade", "base", "--sql"]).await.expect_code(2);
        assert!(missing.stderr.contains("<from>:<to>"), "{}", missing.stderr);

        // A partial range starts where the database is.
        let partial = project.run(&["upgrade", "r1:head", "--sql"]).await.ok().stdout;
        assert!(partial.contains("r1 -> r2") && !partial.contains("<base> -> r1"), "{partial}");

        let stamp = project.run(&["stamp", "head", "--sql"]).await.ok().stdout;
        let stamped = TestDb::new(backend).await;
        run_script(&stamped, &stamp).await;
        assert_eq!(stamped.query("SELECT version_num FROM aludel_version").await, [[Some("r2".to_owned())]]);
        // `--purge` empties the version table, whatever it holds, before the new rows.
        stamped.execute("INSERT INTO aludel_version (version_num) VALUES ('deadbeef0000')").await;
        let purge = project.run(&["stamp", "r1", "--purge", "--sql"]).await.ok().stdout;
        run_script(&stamped, &purge).await;
        assert_eq!(stamped.query("SELECT version_num FROM aludel_version").await, [[Some("r1".to_owned())]]);
    }
}

/// A branch whose first revision depends on another branch: aludel's runs keep the
/// dependency's row beside the branch's (`c0 e2`), a stamp of the branch alone does not
/// (`e2`). A downgrade script inserted the dependency's row again (a duplicate key on every
/// database aludel upgraded); now it leaves both shapes of the table as the online run does.
#[tokio::test(flavor = "multi_thread")]
async fn an_offline_downgrade_of_a_branch_that_depends_on_another_keeps_one_row_each() {
    for backend in backends() {
        let project = Project::new(backend).await;
        for (id, parents) in [("c0", &[][..]), ("e1", &[]), ("e2", &["e1"])] {
            let (up, down) = common::table_ops(&format!("t_{id}"));
            let mut text = revision(id, parents, &up, &down);
            if id == "e1" {
                text = text.replace("message =", "depends_on = [\"c0\"]\nmessage =");
            }
            project.write(id, &text);
        }
        let upgraded = TestDb::new(backend).await;
        let stamped = TestDb::new(backend).await;
        let upgrade = project.run(&["upgrade", "e2", "--sql"]).await.ok().stdout;
        for db in [&upgraded, &stamped] {
            run_script(db, &upgrade).await;
        }
        assert_eq!(versions(&upgraded).await, "c0 e2", "{backend:?}");
        stamped.execute("DELETE FROM aludel_version WHERE version_num = 'c0'").await;
        for (range, expected) in [("e2:e1", "c0 e1"), ("e1:c0", "c0")] {
            let script = project.run(&["downgrade", range, "--sql"]).await.ok().stdout;
            for db in [&upgraded, &stamped] {
                if let Err(error) = try_run_script(db, &script).await {
                    panic!("{backend:?} {range}: {error}\n{script}");
                }
                assert_eq!(versions(db).await, expected, "{backend:?} {range}\n{script}");
            }
        }
        // The online run agrees.
        project.run(&["upgrade", "e2"]).await.ok();
        project.run(&["downgrade", "e1"]).await.ok();
        assert_eq!(versions(&project.db).await, "c0 e1", "{backend:?}");
        project.run(&["downgrade", "c0"]).await.ok();
        assert_eq!(versions(&project.db).await, "c0", "{backend:?}");
    }
}

/// The version table's rows, sorted, space-separated.
async fn versions(db: &TestDb) -> String {
    let mut rows: Vec<String> = db
        .query("SELECT version_num FROM aludel_version")
        .await
        .into_iter()
        .filter_map(|row| row.into_iter().next().flatten())
        .collect();
    rows.sort();
    rows.join(" ")
}

/// A message of several lines is one comment line in a script: its other lines (a carriage
/// return ends a comment for PostgreSQL too) are neither a syntax error nor SQL that runs.
#[tokio::test(flavor = "multi_thread")]
async fn a_message_of_several_lines_stays_a_comment_in_a_script() {
    for backend in backends() {
        let project = Project::new(backend).await;
        let (up, down) = common::table_ops("kept");
        let message = "add kept\rCREATE TABLE smuggled (id integer);\n\nCREATE TABLE smuggled_too (id integer);";
        let text = revision("m1", &[], &up, &down)
            .replace("message = \"revision m1\"", &format!("message = {}", toml_string(message)));
        project.write("m1_kept", &text);
        let script = project.run(&["upgrade", "head", "--sql"]).await.ok().stdout;
        let header = "-- Running upgrade <base> -> m1, add kept CREATE TABLE smuggled (id integer);\n";
        assert!(script.contains(header), "{script}");
        let offline = TestDb::new(backend).await;
        run_script(&offline, &script).await;
        let tables = offline.query("SELECT version_num FROM aludel_version").await;
        assert_eq!(tables, [[Some("m1".to_owned())]], "{backend:?}");
        for smuggled in ["smuggled", "smuggled_too"] {
            let made = try_run_script(&offline, &format!("SELECT 1 FROM {smuggled};")).await;
            assert!(made.is_err(), "{backend:?}: the message's SQL ran: {smuggled}\n{script}");
        }
        let history = project.run(&["history"]).await.ok().stdout;
        assert!(history.contains(", add kept CREATE") && !history.contains("smuggled_too"), "{history}");
    }
}

/// `text` as a TOML basic string.
fn toml_string(text: &str) -> String {
    let mut out = String::from("\"");
    for c in text.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[tokio::test(flavor = "multi_thread")]
async fn offline_scripts_need_no_database() {
    let project = project(Backend::Postgres).await;
    let unreachable = "postgresql://postgres@127.0.0.1:1/nowhere";
    let run = project.run_with_url(unreachable, &["upgrade", "head", "--sql"]).await.ok();
    assert!(run.stdout.contains("CREATE TABLE \"users\""), "{}", run.stdout);
    let sqlite = project.run_with_url("sqlite://never-created.db", &["upgrade", "head", "--sql"]).await.ok();
    assert!(sqlite.stdout.contains("AUTOINCREMENT"), "{}", sqlite.stdout);
    let mysql = project.run_with_url("mysql://root@127.0.0.1:1/nowhere", &["upgrade", "head", "--sql"]).await.ok();
    assert!(
        mysql.stdout.contains("CREATE TABLE `users`") && mysql.stdout.contains("AUTO_INCREMENT"),
        "{}",
        mysql.stdout
    );
    assert!(!project.dir.path().join("never-created.db").exists());
    // The ends swapped would print a script that runs nothing: refused, saying which way.
    let swapped = project.run_with_url(unreachable, &["upgrade", "r2:r1", "--sql"]).await.expect_code(2);
    assert!(swapped.stderr.contains("`r1` is below `r2`"), "{}", swapped.stderr);
    assert!(swapped.stderr.contains("downgrade --sql r2:r1"), "{}", swapped.stderr);
    project.run_with_url(unreachable, &["upgrade", "r2:heads", "--sql"]).await.ok();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_sqlite_script_refuses_a_foreign_key_its_rows_break() {
    // The key is added by rebuilding the table with foreign keys off, as an online run does;
    // the script checks the keys before its commit as the online run does.
    let project = Project::new(Backend::Sqlite).await;
    let tables = "[[upgrade]]\nop = \"create_table\"\ntable = \"owners\"\n\
                  columns = [{ name = \"id\", type = \"integer\", nullable = false }]\nprimary_key = [\"id\"]\n\n\
                  [[upgrade]]\nop = \"create_table\"\ntable = \"items\"\ncolumns = [\n\
                  { name = \"id\", type = \"integer\", nullable = false },\n{ name = \"owner_id\", type = \"integer\" },\n]\n\
                  primary_key = [\"id\"]\n";
    let key = "[[upgrade]]\nop = \"add_constraint\"\ntable = \"items\"\n\
               constraint = { kind = \"foreign_key\", name = \"items_owner_id_fkey\", columns = [\"owner_id\"], \
               references = { table = \"owners\", columns = [\"id\"] } }\n";
    project.write("r1_tables", &revision("r1", &[], tables, ""));
    project.write("r2_key", &revision("r2", &["r1"], key, ""));
    let offline = TestDb::new(Backend::Sqlite).await;
    run_script(&offline, &project.run(&["upgrade", "base:r1", "--sql"]).await.ok().stdout).await;
    offline.execute("INSERT INTO owners VALUES (1)").await;
    offline.execute("INSERT INTO items VALUES (1, 1), (2, 99)").await;

    let script = project.run(&["upgrade", "r1:r2", "--sql"]).await.ok().stdout;
    let error = try_run_script(&offline, &script).await.expect_err("row 2 references a missing owner");
    assert!(error.contains("revision r2 leaves rows referencing missing rows"), "{error}");
    assert_eq!(offline.query("SELECT version_num FROM aludel_version").await, [[Some("r1".to_owned())]]);

    offline.execute("DELETE FROM items WHERE id = 2").await;
    run_script(&offline, &script).await;
    assert_eq!(offline.query("SELECT version_num FROM aludel_version").await, [[Some("r2".to_owned())]]);
}
