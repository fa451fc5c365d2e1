//! `aludel lint` and `check --lint` through the binary: exit codes, the three formats, the
//! exceptions a revision file makes, and the retries a run announces.

mod common;

use common::{Backend, Project};

const USERS: &str = "revision = \"a1\"\nmessage = \"users\"\n\n[[upgrade]]\nop = \"create_table\"\ntable = \"users\"\n\
                     columns = [{ name = \"id\", type = \"bigint\", nullable = false }, { name = \"email\", type = \"text\" }]\n\
                     primary_key = [\"id\"]\n\n[[downgrade]]\nop = \"drop_table\"\ntable = \"users\"\n";

/// `b2` up to its upgrade op, which a test may give an `allow`; [`INDEX_DOWN`] follows.
const INDEX: &str = "revision = \"b2\"\ndown_revision = \"a1\"\nmessage = \"index emails\"\n\n[[upgrade]]\n\
                     op = \"create_index\"\ntable = \"users\"\nname = \"ix_users_email\"\ncolumns = [\"email\"]\n";

const INDEX_DOWN: &str = "\n[[downgrade]]\nop = \"drop_index\"\ntable = \"users\"\nname = \"ix_users_email\"\n";

#[tokio::test]
async fn lint_reports_pending_revisions_and_exits_1_on_an_error() {
    let project = Project::new(Backend::Postgres).await;
    project.write("a1_users", USERS);
    project.write("b2_index", &format!("{INDEX}{INDEX_DOWN}"));
    project.run(&["upgrade", "a1"]).await.ok();

    // Text: grouped by revision and op, with why and the fix; only b2 is pending.
    let run = project.run(&["lint"]).await.expect_code(1);
    assert!(run.stdout.starts_with("b2 ("), "{}", run.stdout);
    assert!(run.stdout.contains("  op 1 create_index ix_users_email on users, line 5\n"), "{}", run.stdout);
    assert!(run.stdout.contains("    error[pg-index-not-concurrent]: builds an index on `users`"), "{}", run.stdout);
    assert!(run.stdout.contains("      fix: set `concurrently = true`"), "{}", run.stdout);
    assert!(run.stdout.contains("Linted 1 revision(s) for postgresql; the database is at a1"), "{}", run.stdout);
    assert!(run.stdout.ends_with("1 error(s), 0 warning(s), 0 note(s); 0 allowed\n"), "{}", run.stdout);

    // JSON: the documented fields.
    let run = project.run(&["lint", "--format", "json"]).await.expect_code(1);
    let document: serde_json::Value = serde_json::from_str(&run.stdout).expect("JSON");
    assert_eq!(document["version"], 1);
    assert_eq!(document["dialect"], "postgresql");
    assert_eq!(document["database"]["status"], "read");
    assert_eq!(document["database"]["heads"], serde_json::json!(["a1"]));
    assert_eq!(document["revisions"], serde_json::json!(["b2"]));
    assert_eq!(document["errors"], 1);
    let finding = &document["findings"][0];
    assert_eq!(finding["rule"], "pg-index-not-concurrent");
    assert_eq!(finding["severity"], "error");
    assert_eq!((finding["op_number"].clone(), finding["line"].clone()), (serde_json::json!(1), serde_json::json!(5)));
    assert_eq!(finding["table"], "users");
    assert_eq!(finding["allowed"], serde_json::Value::Null);

    // GitHub annotations, at the op's line, the path relative to the working directory.
    let run = project.run(&["lint", "--format", "github"]).await.expect_code(1);
    let first = run.stdout.lines().next().unwrap_or_default();
    assert!(
        first.starts_with(
            "::error file=migrations/versions/b2_index.toml,line=5,title=pg-index-not-concurrent (b2)::create_index \
             ix_users_email on users: builds an index"
        ),
        "{}",
        run.stdout
    );

    // An exception in the op, with its reason, turns the exit code to 0 and stays visible.
    project.write(
        "b2_index",
        &format!("{INDEX}allow = [{{ rule = \"pg-index-not-concurrent\", reason = \"users is tiny\" }}]\n{INDEX_DOWN}"),
    );
    let run = project.run(&["lint"]).await.ok();
    assert!(run.stdout.contains("    allowed pg-index-not-concurrent: builds an index"), "{}", run.stdout);
    assert!(run.stdout.contains("; reason: users is tiny\n"), "{}", run.stdout);

    // `check --lint` adds the findings to check's report; `--all` lints a1 too.
    let run = project.run(&["check", "--lint", "--format", "json"]).await.expect_code(1);
    let document: serde_json::Value = serde_json::from_str(&run.stdout).expect("JSON");
    assert_eq!(document["lint"]["findings"][0]["allowed"], "users is tiny");
    let run = project.run(&["lint", "--all", "--format", "json"]).await.ok();
    let document: serde_json::Value = serde_json::from_str(&run.stdout).expect("JSON");
    assert_eq!(document["revisions"], serde_json::json!(["a1", "b2"]));
}

#[tokio::test]
async fn lint_without_a_database_needs_a_dialect() {
    let project = Project::new(Backend::Sqlite).await;
    project.write("a1_users", USERS);
    project.write("b2_index", &format!("{INDEX}{INDEX_DOWN}"));
    // An unreachable server: every revision, with the URL's rules.
    let run = project.run_with_url("postgresql://app:s3cret@127.0.0.1:1/none", &["lint"]).await.expect_code(1);
    assert!(
        run.stdout.contains("Linted 2 revision(s) for postgresql; the database could not be read"),
        "{}",
        run.stdout
    );
    assert!(!run.stdout.contains("s3cret"), "{}", run.stdout);
    assert!(
        run.stdout.contains("could not be read (could not connect to postgresql://app:***@127.0.0.1:1/none: "),
        "why: {}",
        run.stdout
    );
    // A SQLite file that does not exist is a mistyped path: refused, as `current` refuses it.
    let missing = project.dir.path().join("missing.db");
    let run = project.run_with_url(&format!("sqlite://{}", missing.display()), &["lint"]).await.expect_code(2);
    assert!(run.stderr.contains("no SQLite database at"), "{}", run.stderr);
    assert!(!missing.exists(), "lint made no file");
    // Revisions named outright need no database: lint goes on without sizes, and says why.
    for selection in [&["lint", "--all"][..], &["lint", "a1"], &["lint", "-r", "base:head"]] {
        let run = project.run_with_url(&format!("sqlite://{}", missing.display()), selection).await.ok();
        assert!(run.stdout.contains("the database could not be read (could not connect to sqlite:"), "{}", run.stdout);
        assert!(run.stdout.contains("no SQLite database at"), "{}", run.stdout);
        assert!(run.stdout.contains("Linted"), "{selection:?}: {}", run.stdout);
        assert!(!missing.exists(), "lint made no file");
    }
    // No URL at all: `--dialect` says which rules; without it, an error that says so.
    let run = project.run_with_url("", &["lint", "--dialect", "mysql"]).await.ok();
    assert!(run.stdout.contains("0 error(s)"), "{}", run.stdout);
    let run = project.run_with_url("", &["lint"]).await.expect_code(2);
    assert!(run.stderr.contains("pass `--dialect postgresql`"), "{}", run.stderr);
    let run = project.run(&["lint", "--rules"]).await.ok();
    assert!(run.stdout.contains("pg-set-not-null (error; postgresql)"), "{}", run.stdout);
}
