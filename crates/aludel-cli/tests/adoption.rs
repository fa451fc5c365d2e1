//! Adopting aludel on an existing database: the database's own dump (`pg_dump
//! --schema-only`, `mariadb-dump --no-data --routines`, `sqlite3 .schema`), made by the real
//! tool, read as the `schema.sql` without edits; the baseline revision autogenerate writes
//! from it, run on an empty database, gives a database that `check` finds equal to the
//! models and whose dump equals the original's.

mod common;

use std::path::Path;

use common::{Backend, TestDb, backends, with_schema_sql};

/// A schema with identity, serial and enum columns, partial and expression indexes, foreign
/// keys with actions, checks, comments, a view and a function (and a trigger where the
/// backend's function is not one), in `backend`'s SQL.
fn fixture(backend: Backend) -> &'static str {
    match backend {
        Backend::Postgres => include_str!("fixtures/adoption/postgresql.sql"),
        Backend::MySql => include_str!("fixtures/adoption/mysql.sql"),
        _ => include_str!("fixtures/adoption/sqlite.sql"),
    }
}

/// What `check` lists as not compared for [`fixture`].
fn not_compared(backend: Backend) -> &'static str {
    match backend {
        Backend::Postgres => "not compared: function post_count, view published_posts",
        Backend::MySql => "not compared: trigger posts_title_trim on posts, function post_count, view published_posts",
        _ => "not compared: view published_posts, trigger posts_trim on posts",
    }
}

/// Runs a client program and returns its standard output, or panics with its error.
fn run_tool(program: &str, args: &[&str]) -> String {
    let output = std::process::Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|err| panic!("cannot run `{program}` ({err}); install the database's client tools"));
    assert!(output.status.success(), "{program} {args:?}: {}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8(output.stdout).expect("the dump is UTF-8")
}

/// The parts of a `mysql://user[:password]@host[:port]/database` URL.
fn mysql_parts(url: &str) -> (String, Option<String>, String, String, String) {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let (credentials, rest) = rest.rsplit_once('@').expect("the URL names a user");
    let (user, password) = match credentials.split_once(':') {
        Some((user, password)) => (user.to_owned(), Some(password.to_owned())),
        None => (credentials.to_owned(), None),
    };
    let (address, database) = rest.split_once('/').expect("the URL names a database");
    let database = database.split('?').next().unwrap_or_default().to_owned();
    let (host, port) = address.split_once(':').unwrap_or((address, "3306"));
    (user, password, host.to_owned(), port.to_owned(), database)
}

/// The SQLite file of a `sqlite://path?...` URL.
fn sqlite_path(url: &str) -> String {
    url.trim_start_matches("sqlite://").split('?').next().unwrap_or_default().to_owned()
}

/// The database's schema as its own tool dumps it, as a user would write it to schema.sql.
fn dump(backend: Backend, url: &str) -> String {
    match backend {
        Backend::Postgres => run_tool("pg_dump", &["--schema-only", url]),
        Backend::MySql => {
            let (user, password, host, port, database) = mysql_parts(url);
            let mut args = vec![format!("--user={user}"), format!("--host={host}"), format!("--port={port}")];
            args.extend(password.map(|p| format!("--password={p}")));
            args.extend(["--no-data".into(), "--routines".into(), database]);
            run_tool("mariadb-dump", &args.iter().map(String::as_str).collect::<Vec<_>>())
        }
        _ => run_tool("sqlite3", &[&sqlite_path(url), ".schema"]),
    }
}

/// The dump without aludel's own tables and what differs between two dumps of one schema
/// (psql's random `\restrict` key, the database's name, the dump's date).
fn comparable_dump(backend: Backend, url: &str) -> Vec<String> {
    let text = match backend {
        Backend::Postgres => run_tool(
            "pg_dump",
            &["--schema-only", "--exclude-table=aludel_version", "--exclude-table=aludel_history", url],
        ),
        Backend::MySql => {
            let (user, password, host, port, database) = mysql_parts(url);
            let mut args = vec![format!("--user={user}"), format!("--host={host}"), format!("--port={port}")];
            args.extend(password.map(|p| format!("--password={p}")));
            args.extend([
                "--no-data".into(),
                "--routines".into(),
                "--skip-dump-date".into(),
                format!("--ignore-table={database}.aludel_version"),
                format!("--ignore-table={database}.aludel_history"),
                database,
            ]);
            run_tool("mariadb-dump", &args.iter().map(String::as_str).collect::<Vec<_>>())
        }
        _ => run_tool("sqlite3", &[&sqlite_path(url), ".schema"]),
    };
    let mut statements = Vec::new();
    let mut current = String::new();
    for line in text.lines() {
        if line.starts_with("\\restrict") || line.starts_with("\\unrestrict") || line.starts_with("-- Host:") {
            continue;
        }
        current.push_str(line);
        current.push('\n');
        if line.ends_with(';') || line.ends_with(";;") || line.is_empty() {
            statements.push(std::mem::take(&mut current));
        }
    }
    statements.push(current);
    // Comments and blank lines only frame the statements. SQLite keeps each table's and
    // index's CREATE text as it was written (by hand, or by aludel's renderer), so there those
    // compare through `check`, and the rest (views, triggers) as text.
    let spelled_as_written = |s: &String| {
        backend == Backend::Sqlite
            && (s.starts_with("CREATE TABLE") || s.starts_with("CREATE INDEX") || s.starts_with("CREATE UNIQUE INDEX"))
    };
    statements
        .into_iter()
        .filter(|s| !s.contains("aludel_") && !spelled_as_written(s))
        .flat_map(|s| s.lines().map(str::to_owned).collect::<Vec<_>>())
        .filter(|line| !line.is_empty() && !line.starts_with("--"))
        .collect()
}

/// The lines of `a` that `b` lacks and those of `b` that `a` lacks, each in order.
fn line_difference(a: &[String], b: &[String]) -> (Vec<String>, Vec<String>) {
    let only = |x: &[String], y: &[String]| {
        let mut rest: Vec<&String> = y.iter().collect();
        x.iter()
            .filter(|line| match rest.iter().position(|other| other == line) {
                Some(at) => {
                    rest.remove(at);
                    false
                }
                None => true,
            })
            .cloned()
            .collect::<Vec<_>>()
    };
    (only(a, b), only(b, a))
}

#[tokio::test(flavor = "multi_thread")]
async fn a_dump_of_each_backend_is_a_schema_sql_whose_baseline_rebuilds_the_database() {
    for backend in backends() {
        let origin = TestDb::new(backend).await;
        origin.execute(fixture(backend)).await;
        let project = with_schema_sql(backend, &dump(backend, &origin.url)).await;

        let run = project.run(&["revision", "--autogenerate", "-m", "baseline", "--rev-id", "baseline"]).await.ok();
        assert!(run.stdout.contains(not_compared(backend)), "{backend:?}: {}", run.stdout);
        project.run(&["upgrade", "head"]).await.ok();
        let run = project.run(&["check"]).await.ok();
        assert!(run.stdout.contains("OK: the models match the database"), "{backend:?}: {}", run.stdout);
        assert!(run.stdout.contains(not_compared(backend)), "{backend:?}: {}", run.stdout);

        // The dumped database, stamped at the baseline, matches its own dump too.
        project.run_with_url(&origin.url, &["stamp", "head"]).await.ok();
        let run = project.run_with_url(&origin.url, &["check"]).await.ok();
        assert!(run.stdout.contains("OK: the models match the database"), "{backend:?}: {}", run.stdout);

        // Equal dumps: identity kinds (`GENERATED ALWAYS` or `BY DEFAULT`), `serial` columns and
        // `now()` come back as they were.
        let (lost, gained) =
            line_difference(&comparable_dump(backend, &origin.url), &comparable_dump(backend, &project.db.url));
        assert_eq!((lost, gained), (Vec::new(), Vec::new()), "{backend:?}: lines lost, lines gained");

        // The baseline goes down whole, carried objects first.
        project.run(&["downgrade", "base"]).await.ok();
        assert_eq!(project.tables().await, Vec::<String>::new(), "{backend:?}");
    }
}

/// A real-world schema nobody here wrote: PostgreSQL's pagila sample (domains, an enum,
/// functions in SQL and PL/pgSQL, an aggregate, free sequences, a partitioned table and its
/// partitions, views, a materialized view, triggers, full-text and GiST indexes), loaded with
/// `psql` and dumped with `pg_dump`.
#[tokio::test(flavor = "multi_thread")]
async fn the_pagila_sample_dump_rebuilds_an_equal_database() {
    let origin = TestDb::new(Backend::Postgres).await;
    let schema = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/adoption/pagila/pagila-schema.sql");
    run_tool("psql", &["-q", "-v", "ON_ERROR_STOP=1", "-f", &schema.to_string_lossy(), &origin.url]);
    let project = with_schema_sql(Backend::Postgres, &dump(Backend::Postgres, &origin.url)).await;

    let run = project.run(&["revision", "--autogenerate", "-m", "baseline", "--rev-id", "baseline"]).await.ok();
    for object in [
        "domain year",
        "function rewards_report",
        "aggregate group_concat",
        "sequence customer_customer_id_seq",
        "table payment,",
        "table payment_p2022_01,",
        "materialized view rental_by_category",
        "view film_list",
        "trigger last_updated on actor",
        "trigger film_fulltext_trigger on film",
    ] {
        assert!(run.stdout.contains(object), "{object}: {}", run.stdout);
    }
    project.run(&["upgrade", "head"]).await.ok();
    let run = project.run(&["check"]).await.ok();
    assert!(run.stdout.contains("OK: the models match the database"), "{}", run.stdout);
    project.run_with_url(&origin.url, &["stamp", "head"]).await.ok();
    project.run_with_url(&origin.url, &["check"]).await.ok();

    let (lost, gained) = line_difference(
        &comparable_dump(Backend::Postgres, &origin.url),
        &comparable_dump(Backend::Postgres, &project.db.url),
    );
    // What differs: the schema's owner and grants, which a schema.sql leaves out.
    let sorted = |mut lines: Vec<String>| {
        lines.sort();
        lines
    };
    let expected_lost = [
        "ALTER SCHEMA public OWNER TO postgres;",
        "REVOKE USAGE ON SCHEMA public FROM PUBLIC;",
        "GRANT ALL ON SCHEMA public TO PUBLIC;",
    ]
    .map(str::to_owned)
    .to_vec();
    assert_eq!((sorted(lost), gained), (sorted(expected_lost), Vec::<String>::new()));
    project.run(&["downgrade", "base"]).await.ok();
    assert_eq!(project.tables().await, Vec::<String>::new());
}

#[tokio::test(flavor = "multi_thread")]
async fn not_compared_objects_are_a_warning_or_an_error_when_the_settings_say_so() {
    let project = with_schema_sql(
        Backend::Sqlite,
        "CREATE TABLE t (id integer PRIMARY KEY);\nCREATE VIEW v AS SELECT id FROM t;\n\
         CREATE TRIGGER tr AFTER INSERT ON t BEGIN SELECT 1; END;\n",
    )
    .await;
    let run = project.run(&["check", "--format", "json"]).await.expect_code(1);
    let document: serde_json::Value = serde_json::from_str(&run.stdout).expect("JSON");
    let not_compared: Vec<&serde_json::Value> = document["models"]["warnings"]
        .as_array()
        .expect("warnings")
        .iter()
        .filter(|w| w["kind"] == "not_compared")
        .collect();
    assert_eq!(not_compared.len(), 1, "listed once: {}", run.stdout);
    assert!(
        not_compared[0]["message"].as_str().is_some_and(|m| m.starts_with("not compared: view v, trigger tr on t;")),
        "{}",
        run.stdout
    );
    let config = project.dir.path().join("aludel.toml");
    let text = std::fs::read_to_string(&config)
        .expect("aludel.toml")
        .replace("not_compared = \"warn\"", "not_compared = \"error\"");
    std::fs::write(&config, text).expect("write aludel.toml");
    let run = project.run(&["check"]).await.expect_code(2);
    assert!(
        run.stderr.contains(
            "the models hold objects aludel cannot compare with the database: view v, trigger tr on t; model them"
        ),
        "{}",
        run.stderr
    );
}

/// PostgreSQL objects the model does not hold, which a baseline would leave out (its columns
/// typed by a missing domain, a partitioned table made plain): refused by name, nothing
/// written; a column's own serial and identity sequences are the column's, not refused.
#[tokio::test(flavor = "multi_thread")]
async fn init_from_database_refuses_domains_free_sequences_types_and_partitions_on_postgresql() {
    let db = TestDb::new(Backend::Postgres).await;
    db.execute(
        "CREATE SEQUENCE invoice_no START 1000; CREATE DOMAIN posint AS integer CHECK (VALUE > 0); \
         CREATE TYPE pair AS (a int, b int); CREATE TYPE floatrange AS RANGE (subtype = float8); \
         CREATE TABLE t (id serial PRIMARY KEY, n posint, inv bigint DEFAULT nextval('invoice_no'), \
         k bigint GENERATED ALWAYS AS IDENTITY); \
         CREATE TABLE p (id int, d date) PARTITION BY RANGE (d); \
         CREATE TABLE p2020 PARTITION OF p FOR VALUES FROM ('2020-01-01') TO ('2021-01-01')",
    )
    .await;
    let dir = tempfile::tempdir().expect("temp dir");
    let output = common::command(dir.path(), &db.url, &["init", "--from-database"]).output().await.expect("run");
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    for named in [
        "sequence invoice_no",
        "domain posint",
        "composite type pair",
        "range type floatrange",
        "partitioned table p",
        "partition p2020",
    ] {
        assert!(stderr.contains(named), "{named}: {stderr}");
    }
    for not_named in ["t_id_seq", "t_k_seq", "function floatrange"] {
        assert!(!stderr.contains(not_named), "{not_named}: {stderr}");
    }
    assert!(!dir.path().join("schema.sql").exists(), "nothing written");
    let left: Vec<_> =
        std::fs::read_dir(dir.path()).expect("the folder").map(|e| e.expect("entry").file_name()).collect();
    assert!(left.is_empty(), "the refused command leaves nothing behind: {left:?}");
}

/// A table or index whose name holds a line break cannot end schema.sql's comment line and
/// turn the rest of its name into SQL: the comment writes it escaped, and `check` is clean.
#[tokio::test(flavor = "multi_thread")]
async fn names_with_line_breaks_stay_inside_schema_sql_comments() {
    for backend in backends() {
        let db = TestDb::new(backend).await;
        let quote = if backend == Backend::MySql { '`' } else { '"' };
        let name = "a\nDROP TABLE victim; --";
        db.execute(&format!("CREATE TABLE {quote}{name}{quote} (id integer PRIMARY KEY, x integer)")).await;
        db.execute(&format!("CREATE INDEX {quote}i\rDROP TABLE victim2; --{quote} ON {quote}{name}{quote} (x)")).await;
        let dir = tempfile::tempdir().expect("temp dir");
        let output = common::command(dir.path(), &db.url, &["init", "--from-database"]).output().await.expect("run");
        assert!(output.status.success(), "{backend:?}: {}", String::from_utf8_lossy(&output.stderr));
        let schema_sql = std::fs::read_to_string(dir.path().join("schema.sql")).expect("schema.sql");
        // Each op's comment is one line, and its statement follows it.
        let lines: Vec<&str> = schema_sql.lines().collect();
        for pair in lines.windows(2) {
            if pair[0].starts_with("-- create_") {
                assert!(pair[1].starts_with("CREATE "), "{backend:?}: a name escaped its comment:\n{schema_sql}");
            }
        }
        assert!(schema_sql.contains("-- create_table a\\u{a}DROP TABLE victim; --"), "{backend:?}:\n{schema_sql}");
        let output = common::command(dir.path(), &db.url, &["check"]).output().await.expect("run");
        assert!(output.status.success(), "{backend:?}: {}", String::from_utf8_lossy(&output.stdout));
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn init_from_database_writes_the_models_and_a_baseline_and_stamps_it() {
    for backend in backends() {
        let db = TestDb::new(backend).await;
        db.execute(fixture(backend)).await;
        let dir = tempfile::tempdir().expect("temp dir");
        let run = |url: &str, args: &[&str]| {
            let mut command = common::command(dir.path(), url, args);
            async move { command.output().await.expect("run aludel") }
        };

        // What the model does not hold would be left out without a word: refused, named.
        let output = run(&db.url, &["init", "--from-database"]).await;
        let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
        assert_eq!(output.status.code(), Some(2), "{backend:?}: {stderr}");
        assert!(stderr.contains("view published_posts") && stderr.contains("from its dump"), "{backend:?}: {stderr}");
        assert!(!dir.path().join("schema.sql").exists(), "{backend:?}: nothing written");
        let drops = match backend {
            Backend::Postgres => "DROP VIEW published_posts; DROP FUNCTION post_count",
            Backend::MySql => "DROP VIEW published_posts; DROP FUNCTION post_count; DROP TRIGGER posts_title_trim",
            _ => "DROP VIEW published_posts; DROP TRIGGER posts_trim",
        };
        for drop in drops.split("; ") {
            db.execute(drop).await;
        }

        let output = run(&db.url, &["init", "--from-database"]).await;
        let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
        assert!(output.status.success(), "{backend:?}: {stdout}{}", String::from_utf8_lossy(&output.stderr));
        let tables = if backend == Backend::Postgres { 4 } else { 2 };
        assert!(stdout.contains(&format!("({tables} table(s))")), "{backend:?}: {stdout}");
        assert!(stdout.contains("Stamped the database at "), "{stdout}");
        assert!(stdout.starts_with("Database: "), "the database is named before it is stamped: {stdout}");
        let versions: Vec<_> = std::fs::read_dir(dir.path().join("migrations/versions")).expect("versions").collect();
        assert_eq!(versions.len(), 1, "{backend:?}: one baseline revision");
        if backend == Backend::Postgres {
            // Both kinds of identity column are written as the database has them.
            let schema_sql = std::fs::read_to_string(dir.path().join("schema.sql")).expect("schema.sql");
            assert!(schema_sql.contains(r#""id" INTEGER GENERATED ALWAYS AS IDENTITY NOT NULL"#), "{schema_sql}");
            assert!(schema_sql.contains(r#""id" BIGINT GENERATED BY DEFAULT AS IDENTITY NOT NULL"#), "{schema_sql}");
        }

        let output = run(&db.url, &["check"]).await;
        let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
        assert!(
            output.status.success() && stdout.contains("OK: the models match the database"),
            "{backend:?}: {stdout}"
        );

        // The baseline builds the same schema on an empty database.
        let empty = TestDb::new(backend).await;
        let output = run(&empty.url, &["upgrade", "head"]).await;
        assert!(output.status.success(), "{backend:?}: {}", String::from_utf8_lossy(&output.stderr));
        let output = run(&empty.url, &["check"]).await;
        let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
        assert!(
            output.status.success() && stdout.contains("OK: the models match the database"),
            "{backend:?}: {stdout}"
        );

        // A second adoption into the same folder is refused, and leaves the files alone.
        let output = run(&db.url, &["init", "--from-database"]).await;
        assert_eq!(output.status.code(), Some(2), "{backend:?}");
        assert!(dir.path().join("schema.sql").exists());
    }
}

/// pagila's schema file as published (written by pg_dump 15beta2 from a PostgreSQL 12
/// server, without the `\restrict` line of later releases) reads as it is too.
#[test]
fn pagilas_published_dump_reads_without_edits() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/adoption/pagila/pagila-schema.sql");
    let text = std::fs::read_to_string(&path).expect("pagila's schema");
    let metadata =
        aludel::models::parse_schema_sql_metadata(&text, Backend::Postgres, &path).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(metadata.schema.tables.len(), 14);
    assert_eq!(metadata.schema.enums.keys().collect::<Vec<_>>(), ["mpaa_rating"]);
    let mut kinds: Vec<(String, usize)> = Vec::new();
    for object in metadata.verbatim.iter().filter(|o| o.is_object) {
        match kinds.iter_mut().find(|(kind, _)| *kind == object.kind) {
            Some((_, count)) => *count += 1,
            None => kinds.push((object.kind.clone(), 1)),
        }
    }
    kinds.sort();
    let expected: Vec<(String, usize)> = [
        ("aggregate", 1),
        ("domain", 2),
        ("function", 9),
        ("materialized view", 1),
        ("sequence", 13),
        ("table", 56),
        ("trigger", 15),
        ("view", 7),
    ]
    .iter()
    .map(|(kind, count)| ((*kind).to_owned(), *count))
    .collect();
    assert_eq!(kinds, expected);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_mysql_column_check_beside_a_unique_key_is_adopted_so_that_it_rebuilds() {
    // MariaDB names a column's check and an unnamed unique key both after the column; the
    // baseline must not ask for two constraints of one name.
    let db = TestDb::new(Backend::MySql).await;
    db.execute("CREATE TABLE u (id int PRIMARY KEY, email varchar(100) UNIQUE CHECK (email LIKE '%@%'))").await;
    let dir = tempfile::tempdir().expect("temp dir");
    let run = |url: &str, args: &[&str]| {
        let mut command = common::command(dir.path(), url, args);
        async move { command.output().await.expect("run aludel") }
    };
    assert!(run(&db.url, &["init", "--from-database"]).await.status.success());
    assert!(run(&db.url, &["check"]).await.status.success(), "the adopted database is clean");
    let empty = TestDb::new(Backend::MySql).await;
    let output = run(&empty.url, &["upgrade", "head"]).await;
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    assert!(run(&empty.url, &["check"]).await.status.success(), "the rebuilt database is clean");
    assert!(empty.try_execute("INSERT INTO u VALUES (1, 'no at sign')").await.is_err(), "the check holds");
}
