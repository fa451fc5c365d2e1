//! `revision --autogenerate`, `check` and `diff` through the standalone binary, with the
//! models read from a `schema.sql` or printed by a command, on PostgreSQL, SQLite and MySQL:
//! what a user sees, the files written, the exit codes and the errors.

mod common;

use std::io::Write as _;
use std::process::Stdio;

use common::{Backend, Project, backends, with_schema_sql};

/// The blog's tables in the dialect of `backend`.
fn schema_sql(backend: Backend) -> &'static str {
    match backend {
        Backend::Postgres => {
            "CREATE TABLE users (id bigserial PRIMARY KEY, email varchar(255) NOT NULL UNIQUE, \
             created_at timestamptz NOT NULL DEFAULT now());\n\
             CREATE TABLE posts (id bigserial PRIMARY KEY, author_id bigint NOT NULL REFERENCES users (id) \
             ON DELETE CASCADE, title text NOT NULL, body text);\n\
             CREATE INDEX ix_posts_author_id ON posts (author_id);\n"
        }
        Backend::MySql => {
            "CREATE TABLE users (id bigint AUTO_INCREMENT PRIMARY KEY, email varchar(255) NOT NULL UNIQUE, \
             created_at datetime(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6)) ENGINE=InnoDB;\n\
             CREATE TABLE posts (id bigint AUTO_INCREMENT PRIMARY KEY, author_id bigint NOT NULL, title text NOT NULL, \
             body text, FOREIGN KEY (author_id) REFERENCES users (id) ON DELETE CASCADE);\n\
             CREATE INDEX ix_posts_author_id ON posts (author_id);\n"
        }
        _ => {
            "CREATE TABLE users (id INTEGER PRIMARY KEY AUTOINCREMENT, email varchar(255) NOT NULL UNIQUE, \
             created_at timestamp NOT NULL DEFAULT CURRENT_TIMESTAMP);\n\
             CREATE TABLE posts (id INTEGER PRIMARY KEY AUTOINCREMENT, author_id INTEGER NOT NULL REFERENCES users \
             (id) ON DELETE CASCADE, title text NOT NULL, body text);\n\
             CREATE INDEX ix_posts_author_id ON posts (author_id);\n"
        }
    }
}

fn revision_files(project: &Project) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(project.versions())
        .expect("versions")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[tokio::test(flavor = "multi_thread")]
async fn autogenerate_upgrade_check_and_diff_from_a_schema_sql() {
    for backend in backends() {
        let project = with_schema_sql(backend, schema_sql(backend)).await;

        let run = project.run(&["check"]).await.expect_code(1);
        assert!(run.stdout.contains("a new revision would hold 3 op(s)"), "{backend:?}: {}", run.stdout);
        assert!(run.stdout.contains("create_table users"), "{}", run.stdout);

        let run = project.run(&["diff"]).await.ok();
        let create_users = format!("CREATE TABLE {}", backend.dialect().quote_ident("users"));
        assert!(run.stdout.contains(&create_users), "{backend:?}: {}", run.stdout);
        assert!(revision_files(&project).is_empty(), "diff writes nothing");

        let run = project.run(&["revision", "--autogenerate", "-m", "create blog", "--rev-id", "a1"]).await.ok();
        assert_eq!(
            run.stdout.lines().filter(|l| l.starts_with("Detected")).collect::<Vec<_>>(),
            [
                "Detected create_table users",
                "Detected create_table posts",
                "Detected create_index ix_posts_author_id on posts"
            ],
            "{backend:?}"
        );
        assert_eq!(revision_files(&project), ["a1_create_blog.toml"]);

        project.run(&["upgrade", "head"]).await.ok();
        assert_eq!(project.tables().await, ["posts", "users"]);
        let run = project.run(&["check"]).await.ok();
        assert!(run.stdout.contains("OK: the models match the database"), "{backend:?}: {}", run.stdout);
        let run = project.run(&["revision", "--autogenerate", "-m", "nothing"]).await.ok();
        assert_eq!(run.stdout, "No changes in schema detected; no revision file written\n");
        assert_eq!(revision_files(&project).len(), 1, "{backend:?}: no file for no change");

        // A dropped column is flagged in the file and on the terminal.
        let without_body = schema_sql(backend).replace(", body text", "");
        std::fs::write(project.dir.path().join("schema.sql"), &without_body).expect("write schema.sql");
        let run = project.run(&["check"]).await.expect_code(1);
        assert!(run.stdout.contains("drop_column posts.body"), "{}", run.stdout);
        let run = project.run(&["revision", "--autogenerate", "-m", "drop body", "--rev-id", "b2"]).await.ok();
        assert!(run.stdout.contains("DESTRUCTIVE: op 1: drops column `posts.body` and its data"), "{}", run.stdout);
        let file = std::fs::read_to_string(project.versions().join("b2_drop_body.toml")).expect("b2");
        assert!(file.contains("# DESTRUCTIVE: drops column `posts.body` and its data; review before running\n[[upgrade]]\nop = \"drop_column\""), "{file}");
        project.run(&["upgrade", "head"]).await.ok();
        project.run(&["check"]).await.ok();
        assert_eq!(project.columns("posts").await, ["id", "author_id", "title"]);
        project.run(&["downgrade", "-1"]).await.ok();
        assert_eq!(project.columns("posts").await, ["id", "author_id", "title", "body"]);

        // A narrower type loses values where the database holds a column to its type; SQLite
        // keeps any value in any column.
        project.run(&["upgrade", "head"]).await.ok();
        let narrower = without_body.replace("title text NOT NULL", "title varchar(100) NOT NULL");
        std::fs::write(project.dir.path().join("schema.sql"), narrower).expect("write schema.sql");
        let run = project.run(&["revision", "--autogenerate", "-m", "narrow", "--rev-id", "c3"]).await.ok();
        assert!(run.stdout.contains("Detected alter_column posts.title"), "{backend:?}: {}", run.stdout);
        let flagged = run.stdout.contains("DESTRUCTIVE: op 1: changes `posts.title` from `text` to `varchar(100)`");
        assert_eq!(flagged, backend != Backend::Sqlite, "{backend:?}: {}", run.stdout);

        // A value that does not fit stops the upgrade instead of being cut to the new length
        // (an explicit cast cuts it silently on PostgreSQL); SQLite keeps it as it is.
        let title = "t".repeat(150);
        project.db.execute("INSERT INTO users (id, email) VALUES (1, 'a@example.com')").await;
        project.db.execute(&format!("INSERT INTO posts (id, author_id, title) VALUES (1, 1, '{title}')")).await;
        let expected = if backend == Backend::Sqlite { 0 } else { 2 };
        let run = project.run(&["upgrade", "head"]).await.expect_code(expected);
        let kept = project.db.query("SELECT title FROM posts").await;
        assert_eq!(kept, [[Some(title.clone())]], "{backend:?}: {}", run.stderr);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn autogenerate_refuses_a_database_behind_its_revisions() {
    for backend in backends() {
        let project = with_schema_sql(backend, schema_sql(backend)).await;
        project.run(&["revision", "--autogenerate", "-m", "first", "--rev-id", "a1"]).await.ok();
        let run = project.run(&["revision", "--autogenerate", "-m", "second"]).await.expect_code(2);
        assert!(
            run.stderr.contains(
                "the database is at <base> but the revision files' head(s) are a1; run `aludel upgrade heads` first"
            ),
            "{backend:?}: {}",
            run.stderr
        );
        let run = project.run(&["diff"]).await.expect_code(2);
        assert!(run.stderr.contains("upgrade heads"), "{}", run.stderr);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn model_source_errors_name_the_file_line_and_fix() {
    let project = with_schema_sql(Backend::Sqlite, "CREATE TABLE t (id integer PRIMARY KEY);\n\nDROP TABLE t;\n").await;
    let run = project.run(&["check"]).await.expect_code(2);
    assert!(run.stderr.contains("schema.sql:3: `DROP TABLE t`"), "{}", run.stderr);

    std::fs::remove_file(project.dir.path().join("schema.sql")).expect("remove");
    let run = project.run(&["check"]).await.expect_code(2);
    assert!(
        run.stderr.contains("could not read the models file") && run.stderr.contains("schema.sql"),
        "{}",
        run.stderr
    );

    // No models at all: autogenerate says where to declare them.
    let bare = Project::new(Backend::Sqlite).await;
    let run = bare.run(&["revision", "--autogenerate", "-m", "x"]).await.expect_code(2);
    assert!(run.stderr.contains("no models to compare with: set `schema_sql` or `command`"), "{}", run.stderr);
    // Refused before any database is opened: a SQLite file a mistyped URL names is not made.
    let mistyped = bare.dir.path().join("mistyped.db");
    let url = format!("sqlite://{}", mistyped.display());
    let run = bare.run_with_url(&url, &["revision", "--autogenerate", "-m", "x"]).await.expect_code(2);
    assert!(run.stderr.contains("no models to compare with"), "{}", run.stderr);
    assert!(!mistyped.exists(), "a failed autogenerate made {}", mistyped.display());
    let run = bare.run(&["revision", "--interactive", "-m", "x"]).await.expect_code(2);
    assert!(run.stderr.contains("--autogenerate"), "{}", run.stderr);
}

/// A schema.sql declares renames in comments: autogenerate renames the table and the column
/// (keeping the rows) instead of dropping and adding; once run, the comments are stale and
/// ignored; a comment that declares nothing it can is an error naming the file and line.
#[tokio::test(flavor = "multi_thread")]
async fn schema_sql_comments_declare_renames() {
    let before = "CREATE TABLE accounts (\n    id integer PRIMARY KEY,\n    email text\n);\n";
    let after = "CREATE TABLE people ( -- aludel: renamed from accounts\n    id integer PRIMARY KEY,\n    \
                 email_address text -- aludel: renamed from email\n);\n";
    for backend in backends() {
        let project = with_schema_sql(backend, before).await;
        project.run(&["revision", "--autogenerate", "-m", "accounts", "--rev-id", "a1"]).await.ok();
        project.run(&["upgrade", "head"]).await.ok();
        project.db.execute("INSERT INTO accounts (id, email) VALUES (1, 'kept@example.com')").await;

        std::fs::write(project.dir.path().join("schema.sql"), after).expect("write schema.sql");
        let run = project.run(&["revision", "--autogenerate", "-m", "people", "--rev-id", "b2"]).await.ok();
        assert_eq!(
            run.stdout.lines().filter(|l| l.starts_with("Detected")).collect::<Vec<_>>(),
            ["Detected rename_table accounts -> people", "Detected alter_column people.email"],
            "{backend:?}: renames, not drops and adds:\n{}",
            run.stdout
        );
        let file = std::fs::read_to_string(project.versions().join("b2_people.toml")).expect("b2");
        assert!(file.contains("op = \"rename_table\"") && file.contains("new_name = \"email_address\""), "{file}");
        project.run(&["upgrade", "head"]).await.ok();
        assert_eq!(project.tables().await, ["people"], "{backend:?}");
        assert_eq!(project.columns("people").await, ["id", "email_address"], "{backend:?}");
        let rows = project.db.query("SELECT email_address FROM people").await;
        assert_eq!(rows, [[Some("kept@example.com".to_owned())]], "{backend:?}: the row survived");

        // The old names are gone: the declarations are stale and change nothing.
        project.run(&["check"]).await.ok();
        let run = project.run(&["revision", "--autogenerate", "-m", "again"]).await.ok();
        assert_eq!(run.stdout, "No changes in schema detected; no revision file written\n", "{backend:?}");
    }

    let misplaced = "CREATE TABLE people (\n    -- aludel: renamed from accounts\n    id integer PRIMARY KEY\n);\n";
    let project = with_schema_sql(Backend::Sqlite, misplaced).await;
    let run = project.run(&["check"]).await.expect_code(2);
    assert!(
        run.stderr.contains("schema.sql:2: `-- aludel: renamed from accounts`: the line names no table and no column"),
        "{}",
        run.stderr
    );
    std::fs::write(
        project.dir.path().join("schema.sql"),
        "CREATE TABLE people ( -- aludel: renamed from\n  id int\n);",
    )
    .expect("write schema.sql");
    let run = project.run(&["check"]).await.expect_code(2);
    assert!(
        run.stderr.contains("schema.sql:1: `-- aludel: renamed from`: the comment names no old name"),
        "{}",
        run.stderr
    );
}

/// A project whose models come from a command printing JSON.
async fn with_command(backend: Backend, command: &str) -> Project {
    let project = Project::new(backend).await;
    let config = project.dir.path().join("aludel.toml");
    let text = std::fs::read_to_string(&config).expect("aludel.toml").replace(
        "# command = \"cargo run -q -p app -- db models --json\"    # a command printing the schema as JSON",
        &format!("command = {}", toml_string(command)),
    );
    std::fs::write(&config, text).expect("write aludel.toml");
    project
}

fn toml_string(text: &str) -> String {
    format!("\"{}\"", text.replace('\\', "\\\\").replace('"', "\\\""))
}

const MODELS_JSON: &str = r#"{
  "tables": [{ "table": "people", "columns": [
    { "name": "id", "type": "bigint", "nullable": false, "identity": true },
    { "name": "email_address", "type": "text", "nullable": false }
  ], "primary_key": ["id"] }],
  "renames": [{ "table": "people", "column": "email_address", "from": "email" }]
}"#;

#[tokio::test(flavor = "multi_thread")]
async fn models_from_a_command_with_renames() {
    for backend in backends() {
        let project = with_command(backend, "cat models.json").await;
        let start = MODELS_JSON.replace("email_address", "email").replace(
            r#",
  "renames": [{ "table": "people", "column": "email", "from": "email" }]"#,
            "",
        );
        std::fs::write(project.dir.path().join("models.json"), &start).expect("write models.json");
        project.run(&["revision", "--autogenerate", "-m", "people", "--rev-id", "a1"]).await.ok();
        project.run(&["upgrade", "head"]).await.ok();

        std::fs::write(project.dir.path().join("models.json"), MODELS_JSON).expect("write models.json");
        let run = project.run(&["revision", "--autogenerate", "-m", "rename", "--rev-id", "b2"]).await.ok();
        assert_eq!(
            run.stdout.lines().filter(|l| l.starts_with("Detected")).collect::<Vec<_>>(),
            ["Detected alter_column people.email"],
            "{backend:?}: a rename, not a drop and an add:\n{}",
            run.stdout
        );
        project.run(&["upgrade", "head"]).await.ok();
        assert_eq!(project.columns("people").await, ["id", "email_address"]);
        project.run(&["check"]).await.ok();
    }

    let failing = with_command(Backend::Sqlite, "echo broken >&2; exit 3").await;
    let run = failing.run(&["check"]).await.expect_code(2);
    assert!(run.stderr.contains("the models command `echo broken >&2; exit 3` exited with"), "{}", run.stderr);
    assert!(run.stderr.contains("broken"), "{}", run.stderr);
    let invalid = with_command(Backend::Sqlite, "echo '{\"tables\": 1}'").await;
    let run = invalid.run(&["check"]).await.expect_code(2);
    assert!(run.stderr.contains("printed an invalid schema document"), "{}", run.stderr);
}

#[tokio::test(flavor = "multi_thread")]
async fn interactive_autogenerate_asks_about_likely_renames() {
    for (answer, expected) in [
        ("y\n", vec!["Detected alter_column people.email"]),
        ("n\n", vec!["Detected drop_column people.email", "Detected add_column people.email_address"]),
    ] {
        let project = with_command(Backend::Sqlite, "cat models.json").await;
        let without_renames = MODELS_JSON.split(",\n  \"renames\"").next().expect("models").to_owned() + "\n}";
        std::fs::write(project.dir.path().join("models.json"), without_renames.replace("email_address", "email"))
            .expect("write");
        project.run(&["revision", "--autogenerate", "-m", "people", "--rev-id", "a1"]).await.ok();
        project.run(&["upgrade", "head"]).await.ok();
        std::fs::write(project.dir.path().join("models.json"), &without_renames).expect("write");

        let mut child = common::command(
            project.dir.path(),
            &project.db.url,
            &["revision", "--autogenerate", "--interactive", "-m", "change", "--rev-id", "b2"],
        )
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start aludel");
        let mut stdin = child.stdin.take().expect("stdin");
        tokio::io::AsyncWriteExt::write_all(&mut stdin, answer.as_bytes()).await.expect("answer");
        drop(stdin);
        let output = child.wait_with_output().await.expect("aludel ends");
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(output.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&output.stderr));
        assert!(stdout.contains("Was column `people.email` renamed to `email_address`? [y/N]"), "{stdout}");
        let detected: Vec<&str> =
            stdout.split("[y/N] ").last().unwrap_or_default().lines().filter(|l| l.starts_with("Detected")).collect();
        assert_eq!(detected, expected, "answer {answer:?}");
    }
    let _ = std::io::stdout().flush();
}

/// A table made outside aludel (no revision knows it) keeps its collation when autogenerate
/// widens the column on PostgreSQL: the change states the collation, which `ALTER COLUMN ...
/// TYPE` would otherwise reset. (SQLite and MySQL restate whole columns and refuse to change
/// one that no revision defines.)
#[tokio::test(flavor = "multi_thread")]
async fn a_type_change_keeps_a_collation_no_revision_wrote() {
    let table =
        |width: u32| format!("CREATE TABLE words (id integer PRIMARY KEY, word varchar({width}) COLLATE \"C\");\n");
    let project = with_schema_sql(Backend::Postgres, &table(30)).await;
    project.db.execute(&table(10)).await;
    let run = project.run(&["revision", "--autogenerate", "-m", "wider", "--rev-id", "w1"]).await.ok();
    assert!(run.stdout.contains("Detected alter_column words.word"), "{}", run.stdout);
    project.run(&["upgrade", "head"]).await.ok();
    let check = project.run(&["check"]).await;
    assert_eq!(check.code, 0, "the collation survived the type change:\n{}{}", check.stdout, check.stderr);
}

/// Adopting aludel on a database that already has its tables, as README describes: the
/// baseline revision is generated against an empty database, the existing one is stamped,
/// and from then on autogenerate works against it, including the changes SQLite and MySQL make
/// by restating whole tables or columns (the baseline tells them the definitions).
#[tokio::test(flavor = "multi_thread")]
async fn an_existing_database_is_adopted_with_a_baseline_and_stamp() {
    for backend in backends() {
        let table = |width: u32| {
            format!("CREATE TABLE notes (id integer PRIMARY KEY, title varchar({width}) NOT NULL, body text);\n")
        };
        let project = with_schema_sql(backend, &table(40)).await;
        project.db.execute(&table(40)).await;
        project.db.execute("INSERT INTO notes (id, title) VALUES (1, 'kept')").await;

        let empty = common::TestDb::new(backend).await;
        let baseline = ["revision", "--autogenerate", "-m", "baseline", "--rev-id", "base1"];
        project.run_with_url(&empty.url, &baseline).await.ok();
        project.run(&["stamp", "head"]).await.ok();
        project.run(&["check"]).await.ok();

        std::fs::write(project.dir.path().join("schema.sql"), table(80)).expect("write schema.sql");
        let run = project.run(&["revision", "--autogenerate", "-m", "wider", "--rev-id", "wide2"]).await.ok();
        assert!(run.stdout.contains("Detected alter_column notes.title"), "{backend:?}: {}", run.stdout);
        project.run(&["upgrade", "head"]).await.ok();
        project.run(&["check"]).await.ok();
        let rows = project.db.query("SELECT title FROM notes").await;
        assert_eq!(rows, [[Some("kept".to_owned())]], "{backend:?}: the row survived");
    }
}

/// A database adopted from another migration tool keeps that tool's version table:
/// autogenerate leaves it alone by default, and compares it when `exclude_tables` is emptied.
#[tokio::test(flavor = "multi_thread")]
async fn other_tools_version_tables_are_left_out_of_the_comparison() {
    let others = ["alembic_version", "_sqlx_migrations", "__diesel_schema_migrations", "refinery_schema_history"];
    for backend in backends() {
        let project = with_schema_sql(backend, "CREATE TABLE users (id integer PRIMARY KEY);\n").await;
        for table in others {
            project.db.execute(&format!("CREATE TABLE {table} (version varchar(32) NOT NULL)")).await;
        }
        let run = project.run(&["revision", "--autogenerate", "-m", "users", "--rev-id", "a1"]).await.ok();
        let detected: Vec<&str> = run.stdout.lines().filter(|l| l.starts_with("Detected")).collect();
        assert_eq!(detected, ["Detected create_table users"], "{backend:?}: {}", run.stdout);
        project.run(&["upgrade", "head"]).await.ok();
        project.run(&["check"]).await.ok();

        let config = project.dir.path().join("aludel.toml");
        let text = std::fs::read_to_string(&config).expect("aludel.toml");
        let start = text.find("\nexclude_tables = [").expect("the reference config lists the tables") + 1;
        let end = start + text[start..].find(']').expect("the list ends");
        std::fs::write(&config, format!("{}exclude_tables = []{}", &text[..start], &text[end + 1..])).expect("write");
        let run = project.run(&["check"]).await.expect_code(1);
        for table in others {
            assert!(run.stdout.contains(&format!("drop_table {table}")), "{backend:?}: {}", run.stdout);
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn index_key_order_and_operator_classes_are_compared() {
    for backend in backends() {
        let id = if backend == Backend::MySql { "bigint" } else { "integer" };
        let name = if backend == Backend::MySql { "varchar(100)" } else { "text" };
        let mut sql = format!(
            "CREATE TABLE people (id {id} PRIMARY KEY, name {name} NOT NULL, seen_at timestamp NULL);\n\
             CREATE INDEX ix_people_seen ON people (seen_at DESC, name);\n"
        );
        if backend == Backend::Postgres {
            // A non-default operator class and NULLs' place, and a default class written out,
            // which the catalog leaves unnamed.
            sql.push_str(
                "CREATE INDEX ix_people_name_prefix ON people (name text_pattern_ops, seen_at DESC NULLS LAST) INCLUDE (id);\n\
                 CREATE INDEX ix_people_name ON people (name text_ops ASC NULLS LAST);\n",
            );
        }
        let project = with_schema_sql(backend, &sql).await;
        project.run(&["revision", "--autogenerate", "-m", "people", "--rev-id", "a1"]).await.ok();
        project.run(&["upgrade", "head"]).await.ok();
        let run = project.run(&["check"]).await.ok();
        assert!(run.stdout.contains("OK: the models match the database"), "{backend:?}: {}", run.stdout);

        // Turning a key around is a change: the index is built again.
        let ascending = sql.replace("seen_at DESC, name", "seen_at, name");
        std::fs::write(project.dir.path().join("schema.sql"), &ascending).expect("write schema.sql");
        let run = project.run(&["check"]).await.expect_code(1);
        assert!(run.stdout.contains("drop_index ix_people_seen on people"), "{backend:?}: {}", run.stdout);
        assert!(run.stdout.contains("create_index ix_people_seen on people"), "{backend:?}: {}", run.stdout);
        if backend == Backend::Postgres {
            for changed in [sql.replace("text_pattern_ops", "varchar_pattern_ops"), sql.replace(" INCLUDE (id)", "")] {
                std::fs::write(project.dir.path().join("schema.sql"), changed).expect("write schema.sql");
                let run = project.run(&["check"]).await.expect_code(1);
                assert!(run.stdout.contains("create_index ix_people_name_prefix on people"), "{}", run.stdout);
            }
        }
        std::fs::write(project.dir.path().join("schema.sql"), &ascending).expect("write schema.sql");
        project.run(&["revision", "--autogenerate", "-m", "ascending", "--rev-id", "b2"]).await.ok();
        project.run(&["upgrade", "head"]).await.ok();
        let run = project.run(&["check"]).await.ok();
        assert!(run.stdout.contains("OK: the models match the database"), "{backend:?}: {}", run.stdout);
        // Each downgrade leaves its parent's schema, key order and operator classes included.
        let run = project.run(&["test"]).await;
        assert_eq!(run.code, 0, "{backend:?}: {}{}", run.stdout, run.stderr);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_difference_no_op_expresses_fails_check() {
    // An identity the database lacks, and an enum whose values the models order differently:
    // autogenerate writes neither, but the models do not match the database.
    let before = "CREATE TYPE mood AS ENUM ('calm', 'busy');\nCREATE TABLE t (id integer PRIMARY KEY, m mood);\n";
    let project = with_schema_sql(Backend::Postgres, before).await;
    project.run(&["revision", "--autogenerate", "-m", "first", "--rev-id", "a1"]).await.ok();
    project.run(&["upgrade", "head"]).await.ok();
    project.run(&["check"]).await.ok();
    for after in [
        "CREATE TYPE mood AS ENUM ('calm', 'busy');\n\
         CREATE TABLE t (id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY, m mood);\n",
        "CREATE TYPE mood AS ENUM ('busy', 'calm');\nCREATE TABLE t (id integer PRIMARY KEY, m mood);\n",
    ] {
        std::fs::write(project.dir.path().join("schema.sql"), after).expect("write schema.sql");
        let run = project.run(&["check"]).await.expect_code(1);
        assert!(run.stdout.contains("differ from the database in what autogenerate cannot write"), "{}", run.stdout);
        assert!(!run.stdout.contains("the models match"), "{}", run.stdout);
        let run = project.run(&["check", "--format", "json"]).await.expect_code(1);
        assert!(run.stdout.contains("\"drift\": true"), "{}", run.stdout);
        let run = project.run(&["diff"]).await.ok();
        assert!(run.stdout.contains("-- no op expresses the differences above"), "{}", run.stdout);
        let run = project.run(&["revision", "--autogenerate", "-m", "second"]).await.ok();
        assert!(run.stdout.contains("No revision file written"), "{}", run.stdout);
    }
    // Written by hand, the identity matches again.
    let identity = "CREATE TYPE mood AS ENUM ('calm', 'busy');\n\
                    CREATE TABLE t (id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY, m mood);\n";
    std::fs::write(project.dir.path().join("schema.sql"), identity).expect("write schema.sql");
    project.db.execute("ALTER TABLE t ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY").await;
    project.run(&["check"]).await.ok();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_column_renamed_to_a_quoted_name_keeps_its_checks_working() {
    for backend in backends() {
        // MySQL reads `"Quantity"` as a string: the check a rename rewrites must quote the new
        // name as the database does, or its downgrade writes `CHECK ('Quantity' > 0)`.
        let name = if backend == Backend::MySql { "Quantity" } else { "\"Quantity\"" };
        let before = "CREATE TABLE t (id integer PRIMARY KEY, qty integer, CONSTRAINT ck_qty CHECK (qty > 0));\n";
        let after = format!(
            "CREATE TABLE t (\n    id integer PRIMARY KEY,\n    {name} integer, -- aludel: renamed from qty\n    \
             CONSTRAINT ck_qty CHECK ({name} > 0)\n);\n"
        );
        let project = with_schema_sql(backend, before).await;
        project.run(&["revision", "--autogenerate", "-m", "first", "--rev-id", "a1"]).await.ok();
        std::fs::write(project.dir.path().join("schema.sql"), after).expect("write schema.sql");
        project.run(&["upgrade", "head"]).await.ok();
        let run = project.run(&["revision", "--autogenerate", "-m", "rename", "--rev-id", "b2"]).await.ok();
        assert!(!run.stdout.contains("constraint ck_qty"), "{backend:?}: the check is unchanged\n{}", run.stdout);
        project.run(&["upgrade", "head"]).await.ok();
        project.run(&["check"]).await.ok();
        project.run(&["downgrade", "-1"]).await.ok();
        project.db.execute("INSERT INTO t (id, qty) VALUES (1, 5)").await;
        let refused = project.db.try_execute("INSERT INTO t (id, qty) VALUES (2, -5)").await;
        assert!(refused.is_err(), "{backend:?}: the check still holds after the downgrade");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_key_and_the_foreign_keys_on_it_widen_together() {
    // MySQL refuses to change the type of a column a foreign key uses, on either side: the
    // key is dropped first and added back after. PostgreSQL changes them in place.
    for backend in [Backend::Postgres, Backend::MySql] {
        let before = "CREATE TABLE parent (id integer PRIMARY KEY);\n\
                      CREATE TABLE child (id integer PRIMARY KEY, parent_id integer REFERENCES parent (id));\n";
        let project = with_schema_sql(backend, before).await;
        project.run(&["revision", "--autogenerate", "-m", "first", "--rev-id", "a1"]).await.ok();
        project.run(&["upgrade", "head"]).await.ok();
        project.db.execute("INSERT INTO parent VALUES (1)").await;
        project.db.execute("INSERT INTO child VALUES (1, 1)").await;
        std::fs::write(project.dir.path().join("schema.sql"), before.replace("integer", "bigint")).expect("write");
        let run = project.run(&["revision", "--autogenerate", "-m", "widen", "--rev-id", "b2"]).await.ok();
        let dropped = run.stdout.contains("Detected drop_constraint");
        assert_eq!(dropped, backend == Backend::MySql, "{backend:?}: {}", run.stdout);
        project.run(&["upgrade", "head"]).await.ok();
        project.run(&["check"]).await.ok();
        let refused = project.db.try_execute("INSERT INTO child VALUES (2, 5)").await;
        assert!(refused.is_err(), "{backend:?}: the foreign key holds after the upgrade");
        project.run(&["downgrade", "-1"]).await.ok();
        let refused = project.db.try_execute("INSERT INTO child VALUES (2, 5)").await;
        assert!(refused.is_err(), "{backend:?}: and after the downgrade");
    }
}

/// SQLite's `INTEGER PRIMARY KEY` is the rowid, never NULL, whether it says `NOT NULL` or not:
/// a model without it against a table with it (or with AUTOINCREMENT, which adds it) is no
/// difference, instead of a nullability change that runs, changes nothing and is found again.
#[tokio::test(flavor = "multi_thread")]
async fn sqlite_key_columns_nullability_is_no_difference() {
    let project = with_schema_sql(Backend::Sqlite, "CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT);\n").await;
    project.db.execute("CREATE TABLE t (id INTEGER NOT NULL PRIMARY KEY, name TEXT)").await;
    let check = project.run(&["check"]).await;
    assert_eq!(check.code, 0, "{}{}", check.stdout, check.stderr);
    // SQLite lets a key column of another type hold NULL unless it says NOT NULL, which no
    // other database does: a key declared NOT NULL (as a history made on PostgreSQL declares
    // it) and one declared without it (the same schema.sql read here) are the same key.
    std::fs::write(
        project.dir.path().join("schema.sql"),
        "CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT);\nCREATE TABLE u (code TEXT PRIMARY KEY, note TEXT);\n",
    )
    .expect("write schema.sql");
    project.db.execute("CREATE TABLE u (code TEXT NOT NULL PRIMARY KEY, note TEXT NOT NULL)").await;
    let run = project.run(&["check"]).await.expect_code(1);
    assert!(!run.stdout.contains("alter_column u.code"), "{}", run.stdout);
    assert!(run.stdout.contains("alter_column u.note"), "a column outside the key is compared:\n{}", run.stdout);
    std::fs::write(project.dir.path().join("schema.sql"), "CREATE TABLE t (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT);\nCREATE TABLE u (code TEXT NOT NULL PRIMARY KEY);\n")
        .expect("write schema.sql");
    let run = project.run(&["check"]).await.expect_code(1);
    assert!(!run.stdout.contains("alter_column t.id"), "only the identity differs:\n{}{}", run.stdout, run.stderr);
}
