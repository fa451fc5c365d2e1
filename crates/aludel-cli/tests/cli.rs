//! The `aludel` binary end to end, on PostgreSQL, SQLite and MySQL: every command, branch and
//! merge graphs, every target syntax, checksums, failure recovery and password redaction.

mod common;

use common::{Backend, Project, backends, revision, table_ops, write_table_revision};

/// a -> b -> c
async fn chain(backend: Backend) -> Project {
    let project = Project::new(backend).await;
    write_table_revision(&project, "aaaa00000001", &[]);
    write_table_revision(&project, "bbbb00000002", &["aaaa00000001"]);
    write_table_revision(&project, "cccc00000003", &["bbbb00000002"]);
    project
}

#[tokio::test(flavor = "multi_thread")]
async fn upgrade_downgrade_current_on_a_chain() {
    for backend in backends() {
        let project = chain(backend).await;
        let run = project.run(&["current"]).await.ok();
        assert_eq!(run.stdout, "", "{backend:?}: a fresh database is at base");
        for verb in ["upgrade", "downgrade", "stamp"] {
            let run = project.run(&[verb, "aaaa00000001:bbbb00000002"]).await.expect_code(2);
            assert!(run.stderr.contains("only a --sql script takes"), "{verb}: {}", run.stderr);
        }

        let run = project.run(&["upgrade", "head"]).await.ok();
        assert!(run.stdout.contains("Running upgrade <base> -> aaaa00000001"), "{}", run.stdout);
        assert!(run.stdout.contains("Running upgrade bbbb00000002 -> cccc00000003"), "{}", run.stdout);
        assert_eq!(project.heads().await, ["cccc00000003"]);
        assert_eq!(project.tables().await, ["t_aaaa00000001", "t_bbbb00000002", "t_cccc00000003"]);
        assert_eq!(project.run(&["current"]).await.ok().stdout, "cccc00000003 (head)\n");

        let run = project.run(&["upgrade", "head"]).await.ok();
        assert_eq!(
            run.stdout,
            format!("Database: {}\nNothing to do: the database is at cccc00000003\n", project.db.url)
        );

        project.run(&["downgrade", "-1"]).await.ok();
        assert_eq!(project.heads().await, ["bbbb00000002"]);
        assert_eq!(project.tables().await, ["t_aaaa00000001", "t_bbbb00000002"]);

        project.run(&["downgrade", "base"]).await.ok();
        assert!(project.heads().await.is_empty());
        assert!(project.tables().await.is_empty());

        let history: Vec<String> = project.history().await.into_iter().map(|(r, d)| format!("{d} {r}")).collect();
        assert_eq!(
            history,
            [
                "upgrade aaaa00000001",
                "upgrade bbbb00000002",
                "upgrade cccc00000003",
                "downgrade cccc00000003",
                "downgrade bbbb00000002",
                "downgrade aaaa00000001",
            ],
            "{backend:?}"
        );

        let verbose = project.run(&["upgrade", "bbbb"]).await.ok();
        assert!(verbose.stdout.contains("-> bbbb00000002"));
        let verbose = project.run(&["current", "--verbose"]).await.ok().stdout;
        assert!(verbose.contains("Rev: bbbb00000002") && verbose.contains("Applied: "), "{verbose}");
    }
}

/// `downgrade` and `downgrade --sql` past a revision with upgrade ops and no downgrade
/// written exit 2 naming it and the fix, and nothing runs; `downgrade = []` lets them pass.
#[tokio::test(flavor = "multi_thread")]
async fn a_downgrade_past_a_revision_without_one_is_refused() {
    let project = Project::new(Backend::Sqlite).await;
    write_table_revision(&project, "aaaa00000001", &[]);
    let (upgrade, _) = table_ops("t_bbbb00000002");
    let unwritten = project.write("bbbb00000002_t", &revision("bbbb00000002", &["aaaa00000001"], &upgrade, ""));
    project.run(&["upgrade", "head"]).await.ok();
    for args in [&["downgrade", "base"][..], &["downgrade", "--sql", "bbbb00000002:base"]] {
        let run = project.run(args).await.expect_code(2);
        assert!(
            run.stderr.contains("cannot downgrade past revision(s) without a downgrade: `bbbb00000002` (")
                && run.stderr.contains("bbbb00000002_t.toml); each has upgrade ops"),
            "{args:?}: {}",
            run.stderr
        );
        assert!(!run.stdout.contains("DROP TABLE"), "{args:?}: {}", run.stdout);
    }
    assert_eq!(project.heads().await, ["bbbb00000002"]);
    assert_eq!(project.tables().await, ["t_aaaa00000001", "t_bbbb00000002"]);

    std::fs::write(
        &unwritten,
        revision("bbbb00000002", &["aaaa00000001"], &format!("downgrade = []\n\n{upgrade}"), ""),
    )
    .unwrap();
    project.run(&["downgrade", "--sql", "bbbb00000002:base"]).await.ok();
    project.run(&["downgrade", "base"]).await.ok();
    assert!(project.heads().await.is_empty());
    assert_eq!(project.tables().await, ["t_bbbb00000002"], "nothing undoes it, as its file says");
}

#[tokio::test(flavor = "multi_thread")]
async fn relative_and_prefix_targets() {
    for backend in backends() {
        let project = chain(backend).await;
        project.run(&["upgrade", "+1"]).await.ok();
        assert_eq!(project.heads().await, ["aaaa00000001"]);
        project.run(&["upgrade", "+2"]).await.ok();
        assert_eq!(project.heads().await, ["cccc00000003"]);
        project.run(&["downgrade", "-2"]).await.ok();
        assert_eq!(project.heads().await, ["aaaa00000001"]);
        project.run(&["upgrade", "aaaa00000001+1"]).await.ok();
        assert_eq!(project.heads().await, ["bbbb00000002"]);
        project.run(&["downgrade", "aaaa"]).await.ok();
        assert_eq!(project.heads().await, ["aaaa00000001"]);
        project.run(&["upgrade", "cccc00000003"]).await.ok();
        assert_eq!(project.heads().await, ["cccc00000003"]);

        let run = project.run(&["downgrade", "-5"]).await.expect_code(2);
        assert!(run.stderr.contains("-5"), "{}", run.stderr);
        assert_eq!(project.heads().await, ["cccc00000003"], "a bad target changes nothing");
        let run = project.run(&["upgrade", "zzzz"]).await.expect_code(2);
        assert!(run.stderr.contains("zzzz"), "{}", run.stderr);
    }
}

/// base -> (billing: b1 -> b2) and (shop: s1), merged by m.
async fn branches(backend: Backend) -> Project {
    let project = Project::new(backend).await;
    write_table_revision(&project, "base00000000", &[]);
    let (up, down) = common::table_ops("t_b1");
    project.write(
        "b1_billing",
        &revision("b1", &["base00000000"], &up, &down).replace("message =", "branch_labels = [\"billing\"]\nmessage ="),
    );
    write_table_revision(&project, "b2", &["b1"]);
    let (up, down) = common::table_ops("t_s1");
    project.write(
        "s1_shop",
        &revision("s1", &["base00000000"], &up, &down).replace("message =", "branch_labels = [\"shop\"]\nmessage ="),
    );
    project
}

#[tokio::test(flavor = "multi_thread")]
async fn branches_labels_and_merges() {
    for backend in backends() {
        let project = branches(backend).await;
        let run = project.run(&["upgrade", "head"]).await.expect_code(2);
        assert!(run.stderr.contains("merge"), "multiple heads suggests merge: {}", run.stderr);
        assert!(project.tables().await.is_empty(), "nothing ran");

        assert_eq!(project.run(&["heads"]).await.ok().stdout.lines().count(), 2);
        let branches = project.run(&["branches"]).await.ok().stdout;
        assert!(branches.contains("base00000000") && branches.contains("-> b1") && branches.contains("-> s1"));

        project.run(&["upgrade", "billing@head"]).await.ok();
        assert_eq!(project.heads().await, ["b2"]);
        project.run(&["upgrade", "shop@head"]).await.ok();
        assert_eq!(project.heads().await, ["b2", "s1"]);
        assert_eq!(project.run(&["check"]).await.ok().code, 0);

        project.run(&["downgrade", "b1"]).await.ok();
        assert_eq!(project.heads().await, ["b1", "s1"], "only the billing branch moves");
        project.run(&["upgrade", "heads"]).await.ok();
        assert_eq!(project.heads().await, ["b2", "s1"]);

        let run = project.run(&["merge", "heads", "-m", "join", "--rev-id", "m1"]).await.ok();
        assert!(run.stdout.contains("m1_join.toml"), "{}", run.stdout);
        // The merge is on both branches: it shows the labels of the revisions it descends from.
        assert_eq!(
            project.run(&["heads"]).await.ok().stdout,
            "b2, s1 -> m1 (billing, shop) (head) (mergepoint), join\n"
        );
        assert_eq!(project.run(&["check"]).await.expect_code(1).code, 1);
        project.run(&["upgrade", "head"]).await.ok();
        assert_eq!(project.heads().await, ["m1"]);
        project.run(&["downgrade", "-1"]).await.ok();
        assert_eq!(project.heads().await, ["b2", "s1"], "reverting a merge restores both heads");
        project.run(&["upgrade", "m1"]).await.ok();
        project.run(&["downgrade", "b2"]).await.ok();
        assert_eq!(project.heads().await, ["b2", "s1"]);

        let history = project.run(&["history"]).await.ok().stdout;
        assert_eq!(history.lines().next(), Some("b2, s1 -> m1 (billing, shop) (head) (mergepoint), join"), "{history}");
        assert!(history.contains("<base> -> base00000000 (branchpoint)"), "{history}");
        let ranged = project.run(&["history", "-r", "b1:b2"]).await.ok().stdout;
        assert_eq!(ranged.lines().count(), 2, "{ranged}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn depends_on_pulls_in_the_other_branch() {
    for backend in backends() {
        let project = branches(backend).await;
        let (up, down) = common::table_ops("t_s2");
        project
            .write("s2", &revision("s2", &["s1"], &up, &down).replace("message =", "depends_on = [\"b2\"]\nmessage ="));
        project.run(&["upgrade", "s2"]).await.ok();
        let heads = project.heads().await;
        assert!(heads.contains(&"s2".to_owned()) && heads.contains(&"b2".to_owned()), "{heads:?}");
        // `heads` lists b2 and s2 apart and `upgrade head` asks for a merge: `merge heads` makes
        // it, though s2 depends on b2 (it refused, calling b2 an ancestor: no way forward).
        let merged = project.run(&["merge", "heads", "-m", "join"]).await.ok();
        assert!(merged.stdout.contains("Generating"), "{backend:?}: {}", merged.stdout);
        project.run(&["upgrade", "head"]).await.ok();
        assert_eq!(project.heads().await.len(), 1, "{backend:?}: one head after the merge");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn revision_command_writes_files_that_form_the_graph() {
    for backend in backends() {
        let project = Project::new(backend).await;
        project.run(&["revision", "-m", "create users", "--rev-id", "r1"]).await.ok();
        project.run(&["revision", "-m", "second", "--rev-id", "r2"]).await.ok();
        let run = project.run(&["revision", "-m", "side", "--rev-id", "r3", "--head", "r1"]).await.expect_code(2);
        assert!(run.stderr.contains("--splice"), "{}", run.stderr);
        project
            .run(&["revision", "-m", "side", "--rev-id", "r3", "--head", "r1", "--splice", "--branch-label", "side"])
            .await
            .ok();
        project
            .run(&["revision", "-m", "new root", "--rev-id", "r4", "--head", "base", "--depends-on", "r2"])
            .await
            .ok();
        let text = std::fs::read_to_string(project.versions().join("r2_second.toml")).unwrap();
        assert!(text.contains("down_revision = \"r1\""), "{text}");
        let show = project.run(&["show", "r3"]).await.ok().stdout;
        assert!(show.contains("Parent: r1") && show.contains("Branch names: side"), "{show}");
        project.run(&["upgrade", "heads"]).await.ok();
        assert_eq!(project.heads().await, ["r2", "r3", "r4"]);
        let run = project.run(&["revision", "-m", "dup", "--rev-id", "r2"]).await.expect_code(2);
        assert!(run.stderr.contains("r2"), "{}", run.stderr);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn stamp_sets_the_version_without_running_anything() {
    for backend in backends() {
        let project = chain(backend).await;
        project.run(&["stamp", "bbbb00000002"]).await.ok();
        assert_eq!(project.heads().await, ["bbbb00000002"]);
        assert!(project.tables().await.is_empty(), "stamp runs no migration");
        project.run(&["upgrade", "head"]).await.ok();
        assert_eq!(project.tables().await, ["t_cccc00000003"]);
        project.run(&["stamp", "base"]).await.ok();
        assert!(project.heads().await.is_empty());
        project.run(&["stamp", "head", "--purge"]).await.ok();
        assert_eq!(project.heads().await, ["cccc00000003"]);
        assert!(project.history().await.contains(&("cccc00000003".into(), "stamp".into())));
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn check_reports_pending_revisions() {
    for backend in backends() {
        let project = chain(backend).await;
        let run = project.run(&["check"]).await.expect_code(1);
        assert!(run.stdout.contains("3 revision(s) not applied"), "{}", run.stdout);
        project.run(&["upgrade", "head"]).await.ok();
        let run = project.run(&["check"]).await.ok();
        assert_eq!(
            run.stdout,
            "OK: the database is at head (cccc00000003)\nNo models configured (`[models]` in aludel.toml): the models \
             were not compared\n"
        );
        write_table_revision(&project, "dddd", &["cccc00000003"]);
        project.run(&["check"]).await.expect_code(1);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn edited_applied_revisions_are_refused_until_accepted() {
    for backend in backends() {
        let project = chain(backend).await;
        project.run(&["upgrade", "bbbb00000002"]).await.ok();
        // Ten history rows and more: the acceptance must be read as the latest row by number,
        // not by the text of its number ("12" before "9").
        for _ in 0..4 {
            project.run(&["downgrade", "base"]).await.ok();
            project.run(&["upgrade", "bbbb00000002"]).await.ok();
        }
        let path = project.versions().join("aaaa00000001_create_t_aaaa00000001.toml");
        let original = std::fs::read_to_string(&path).unwrap();

        // Reformatting, comments and CRLF line endings keep the checksum.
        let reformatted = format!("# reviewed\r\n{}", original.replace('\n', "\r\n").replace(" = ", "   =   "));
        std::fs::write(&path, reformatted).unwrap();
        project.run(&["verify"]).await.ok();

        std::fs::write(&path, original.replace("type = \"integer\"", "type = \"bigint\"")).unwrap();
        let run = project.run(&["verify"]).await.expect_code(1);
        assert!(run.stdout.contains("aaaa00000001"), "{}", run.stdout);
        let run = project.run(&["upgrade", "head"]).await.expect_code(2);
        assert!(run.stderr.contains("aaaa00000001") && run.stderr.contains("verify --accept"), "{}", run.stderr);
        assert_eq!(project.heads().await, ["bbbb00000002"], "nothing ran");

        let run = project.run(&["verify", "--accept"]).await.ok();
        assert!(run.stdout.contains("Accepted"), "{}", run.stdout);
        project.run(&["verify"]).await.ok();
        project.run(&["upgrade", "head"]).await.ok();
        assert_eq!(project.heads().await, ["cccc00000003"]);

        // With nothing pending too: a deploy notices the edit before the next revision ships.
        std::fs::write(&path, original.replace("type = \"integer\"", "type = \"smallint\"")).unwrap();
        let run = project.run(&["upgrade", "head"]).await.expect_code(2);
        assert!(run.stderr.contains("aaaa00000001") && run.stderr.contains("verify --accept"), "{}", run.stderr);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn removed_applied_revisions_are_refused_until_accepted_and_stamps_record_what_they_unapply() {
    for backend in backends() {
        let project = chain(backend).await;
        project.run(&["upgrade", "head"]).await.ok();
        // Squashed away: bbbb's file is deleted and cccc now follows aaaa.
        std::fs::remove_file(project.versions().join("bbbb00000002_create_t_bbbb00000002.toml")).unwrap();
        write_table_revision(&project, "cccc00000003", &["aaaa00000001"]);
        write_table_revision(&project, "dddd00000004", &["cccc00000003"]);

        let run = project.run(&["verify"]).await.expect_code(1);
        assert!(run.stdout.contains("`bbbb00000002` recorded"), "{backend:?}: {}", run.stdout);
        assert!(run.stdout.contains("no file defines it any more"), "{}", run.stdout);
        let json = project.run(&["verify", "--format", "json"]).await.expect_code(1);
        let json: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
        let removed = json["mismatches"].as_array().unwrap().iter().find(|m| m["revision"] == "bbbb00000002").unwrap();
        assert!(removed["path"].is_null() && removed["current"].is_null(), "{removed}");
        let run = project.run(&["upgrade", "head"]).await.expect_code(2);
        assert!(run.stderr.contains("bbbb00000002") && run.stderr.contains("verify --accept"), "{}", run.stderr);
        assert_eq!(project.heads().await, ["cccc00000003"], "nothing ran");

        let run = project.run(&["verify", "--accept"]).await.ok();
        assert!(run.stdout.contains("Accepted the removal of bbbb00000002"), "{}", run.stdout);
        assert!(project.history().await.contains(&("bbbb00000002".into(), "removed".into())));
        project.run(&["verify"]).await.ok();
        project.run(&["upgrade", "head"]).await.ok();
        assert_eq!(project.heads().await, ["dddd00000004"]);

        // A stamp below applied revisions records them as unapplied, so their files may go.
        project.run(&["stamp", "cccc00000003"]).await.ok();
        assert!(
            project
                .history()
                .await
                .ends_with(&[("dddd00000004".into(), "unstamp".into()), ("cccc00000003".into(), "stamp".into())])
        );
        std::fs::remove_file(project.versions().join("dddd00000004_create_t_dddd00000004.toml")).unwrap();
        project.run(&["verify"]).await.ok();
        project.run(&["stamp", "base"]).await.ok();
        let history = project.history().await;
        for id in ["aaaa00000001", "cccc00000003"] {
            assert!(history.contains(&(id.into(), "unstamp".into())), "{id}: {history:?}");
        }
        let run = project.run(&["stamp", "base", "--sql"]).await.ok();
        assert!(!run.stdout.contains("unstamp"), "nothing was applied: {}", run.stdout);
        let run = project.run(&["stamp", "cccc00000003:base", "--sql"]).await.ok();
        assert_eq!(run.stdout.matches("'unstamp'").count(), 2, "{}", run.stdout);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn commands_that_only_read_refuse_a_missing_sqlite_file() {
    let project = chain(Backend::Sqlite).await;
    let missing = project.dir.path().join("typo.db");
    let url = format!("sqlite://{}", missing.display());
    // A mistyped path used to be an empty database made on the spot, which `verify` passed.
    for args in [&["verify"][..], &["current"], &["check"]] {
        let run = project.run_with_url(&url, args).await.expect_code(2);
        assert!(
            run.stderr.contains(&format!("no SQLite database at `{}`", missing.display())),
            "{args:?}: {}",
            run.stderr
        );
        assert!(!missing.exists(), "{args:?} made the file");
        assert!(!run.stderr.contains("error with configuration"), "the driver's wrapping: {}", run.stderr);
    }
    // An in-memory database is no missing file (it is empty: at base).
    let run = project.run_with_url("sqlite::memory:", &["current"]).await.ok();
    assert!(!run.stderr.contains("sqlx-in-memory"), "{}", run.stderr);
    // A setting the driver refuses is named once, in its own words.
    let bogus = "postgresql://postgres@127.0.0.1:1/x?sslmode=bogus";
    let run = project.run_with_url(bogus, &["current"]).await.expect_code(2);
    assert!(
        run.stderr.contains("caused by: invalid connection setting: unknown value \"bogus\" for `ssl_mode`\n"),
        "{}",
        run.stderr
    );
    assert_eq!(run.stderr.matches("bogus\"").count(), 1, "{}", run.stderr);
    // `aludel test` leaves the configured database's checksums out.
    let run = project.run_with_url(&url, &["test", "--skip", "stairway", "--skip", "offline"]).await;
    assert!(run.stdout.contains("skip checksums"), "{}", run.stdout);
    assert!(!missing.exists(), "`test` made the file");
    // Writing creates it, and a URL that asks for creation gets it.
    project.run_with_url(&url, &["upgrade", "head"]).await.ok();
    assert!(missing.exists());
    let asked = project.dir.path().join("asked.db");
    project.run_with_url(&format!("sqlite://{}?mode=rwc", asked.display()), &["current"]).await.ok();
    assert!(asked.exists());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_revision_failing_midway_leaves_the_previous_revision_whole() {
    for backend in backends() {
        let project = Project::new(backend).await;
        let (up, down) = common::table_ops("keep");
        project.write(
            "r1_keep",
            &revision(
                "r1",
                &[],
                &format!("{up}\n[[upgrade]]\nop = \"sql\"\nsql = \"INSERT INTO keep (id) VALUES (1)\"\n"),
                &down,
            ),
        );
        let failing = "[[upgrade]]\nop = \"add_column\"\ntable = \"keep\"\ncolumn = { name = \"extra\", type = \"integer\" }\n\n\
                       [[upgrade]]\nop = \"sql\"\nsql = \"UPDATE keep SET extra = 5\"\n\n\
                       [[upgrade]]\nop = \"sql\"\nsql = \"INSERT INTO missing_table VALUES (1)\"\n";
        project.write("r2_fails", &revision("r2", &["r1"], failing, ""));
        let run = project.run(&["upgrade", "head"]).await.expect_code(2);
        assert!(run.stdout.contains("-> r1"), "r1 ran: {}", run.stdout);
        for needle in ["r2", "op 3", "INSERT INTO missing_table VALUES (1)", "missing_table"] {
            assert!(run.stderr.contains(needle), "{backend:?}: error should name {needle:?}: {}", run.stderr);
        }
        assert_eq!(project.heads().await, ["r1"]);
        assert_eq!(project.db.query("SELECT COUNT(*) FROM keep").await[0][0].as_deref(), Some("1"));
        if backend.dialect().has_transactional_ddl() {
            assert!(run.stderr.contains("still at r1"), "{backend:?}: {}", run.stderr);
            assert_eq!(project.columns("keep").await, ["id"], "{backend:?}: the added column was rolled back");
            assert_eq!(project.history().await, [("r1".to_owned(), "upgrade".to_owned())]);
        } else {
            let fixed = failing.replace("INSERT INTO missing_table VALUES (1)", "INSERT INTO keep (id) VALUES (2)");
            failed_midway_outside_a_transaction(&project, &run, &fixed).await;
        }
    }
}

/// A pending revision this database cannot express stops `upgrade` before any revision runs,
/// not after the ones before it: a deploy leaves the database where it was.
#[tokio::test(flavor = "multi_thread")]
async fn a_revision_this_database_cannot_express_stops_the_run_before_anything_runs() {
    for backend in backends().into_iter().filter(|b| *b != Backend::Postgres) {
        let project = Project::new(backend).await;
        let (up, down) = table_ops("keep");
        project.write("r1_keep", &revision("r1", &[], &up, &down));
        // PostgreSQL's cast syntax, refused elsewhere.
        let check = "[[upgrade]]\nop = \"add_constraint\"\ntable = \"keep\"\n\
                     constraint = { kind = \"check\", name = \"keep_positive\", expr = \"id::integer > 0\" }\n";
        project.write("r2_check", &revision("r2", &["r1"], check, ""));
        let run = project.run(&["upgrade", "head"]).await.expect_code(2);
        assert!(!run.stdout.contains("-> r1"), "{backend:?}: r1 did not run: {}", run.stdout);
        for needle in ["r2", "cannot be rendered"] {
            assert!(run.stderr.contains(needle), "{backend:?}: error should name {needle:?}: {}", run.stderr);
        }
        assert!(project.heads().await.is_empty(), "{backend:?}: nothing was applied");
        assert!(project.columns("keep").await.is_empty(), "{backend:?}: r1's table was not made");
    }
}

/// Dropping an enum value a column still takes as its default left SQLite with a default
/// its own check refuses (every insert without the column failed, the upgrade said nothing),
/// and failed part way on MySQL: refused before anything runs, naming the column. Changing
/// the default first, in the same revision, lets it run.
#[tokio::test(flavor = "multi_thread")]
async fn an_enum_value_a_default_uses_is_not_dropped() {
    for backend in backends() {
        let project = Project::new(backend).await;
        let create = "[[upgrade]]\nop = \"create_enum\"\nname = \"mood\"\nvalues = [\"happy\", \"sad\", \"meh\"]\n\n\
                      [[upgrade]]\nop = \"create_table\"\ntable = \"t\"\n\
                      columns = [{ name = \"m\", type = \"enum:mood\", default = { value = \"sad\" } }]\n";
        project.write("r1_mood", &revision("r1", &[], create, ""));
        project.run(&["upgrade", "head"]).await.expect_code(0);
        let drop = "[[upgrade]]\nop = \"drop_enum_value\"\nname = \"mood\"\nvalue = \"sad\"\n";
        project.write("r2_drop", &revision("r2", &["r1"], drop, ""));
        let run = project.run(&["upgrade", "head"]).await.expect_code(2);
        assert!(run.stderr.contains("column `t.m` defaults to 'sad'"), "{backend:?}: {}", run.stderr);
        assert_eq!(project.heads().await, ["r1"], "{backend:?}");
        let fixed = format!(
            "[[upgrade]]\nop = \"alter_column\"\ntable = \"t\"\ncolumn = \"m\"\n\
             default = {{ from = {{ value = \"sad\" }}, to = {{ value = \"meh\" }} }}\n\n{drop}"
        );
        project.write("r2_drop", &revision("r2", &["r1"], &fixed, ""));
        project.run(&["upgrade", "head"]).await.expect_code(0);
        project.db.execute("INSERT INTO t (m) VALUES ('happy')").await;
    }
}

/// A `COMMIT` (or `ROLLBACK`, `BEGIN`...) in an `sql` op would end the transaction the
/// revision runs in: what follows would run outside it, and a failure would leave part of the
/// revision while saying it was rolled back. Such a revision is refused before it runs.
#[tokio::test(flavor = "multi_thread")]
async fn an_sql_op_that_ends_the_revisions_transaction_is_refused() {
    for backend in backends().into_iter().filter(|b| b.dialect().has_transactional_ddl()) {
        let project = Project::new(backend).await;
        let upgrade = "[[upgrade]]\nop = \"sql\"\nsql = \"CREATE TABLE a1 (x int); COMMIT; CREATE TABLE b1 (x int)\"\n";
        project.write("r1_commit", &revision("r1", &[], upgrade, ""));
        let run = project.run(&["upgrade", "head"]).await.expect_code(2);
        for needle in ["r1", "statement 2 (`COMMIT`) would end the transaction", "transactional = false"] {
            assert!(run.stderr.contains(needle), "{backend:?}: error should name {needle:?}: {}", run.stderr);
        }
        assert!(project.columns("a1").await.is_empty(), "{backend:?}: nothing ran");
        assert!(project.heads().await.is_empty());
        if backend.dialect().can_run_outside_transaction() {
            let text = revision("r1", &[], upgrade, "").replacen("\n", "\ntransactional = false\n", 1);
            project.write("r1_commit", &text);
            project.run(&["upgrade", "head"]).await.expect_code(0);
            assert_eq!(project.columns("b1").await, ["x"], "{backend:?}: outside a transaction it runs");
        }
    }
}

/// Without transactional DDL (MySQL), the ops before the failing one stay: the database is
/// marked dirty, the error says what ran and how to resolve it, runs refuse until then, and
/// undoing by hand and `resolve --reverted` bring it back to a clean state, from which the
/// fixed revision runs.
async fn failed_midway_outside_a_transaction(project: &Project, run: &common::Run, fixed: &str) {
    for needle in [
        "ran outside a transaction, so the ops before op 3 took effect",
        "recorded as unfinished",
        "aludel resolve r2 --applied",
        "aludel resolve r2 --reverted",
    ] {
        assert!(run.stderr.contains(needle), "the error should say {needle:?}: {}", run.stderr);
    }
    assert_eq!(project.columns("keep").await, ["id", "extra"], "the ops before the failure took effect");
    assert_eq!(project.db.query("SELECT CAST(extra AS CHAR) FROM keep").await[0][0].as_deref(), Some("5"));
    let history = [("r1".to_owned(), "upgrade".to_owned()), ("r2".to_owned(), "upgrade-failed".to_owned())];
    assert_eq!(project.history().await, history);
    for args in [&["upgrade", "head"][..], &["downgrade", "base"], &["stamp", "head"]] {
        let refused = project.run(args).await.expect_code(2);
        assert!(
            refused.stderr.contains(
                "revision `r2` did not finish its upgrade (it failed): 2 of its 3 op(s) ran; op 3 (sql INSERT INTO \
                 missing_table VALUES (1)) failed"
            ),
            "{args:?}: {}",
            refused.stderr
        );
    }
    // The documented way back: undo what ran, say so, fix the revision, run it again.
    project.db.execute("ALTER TABLE keep DROP COLUMN extra").await;
    let resolved = project.run(&["resolve", "r2", "--reverted"]).await.ok();
    assert_eq!(
        resolved.stdout,
        format!(
            "Database: {}\nResolved r2, its upgrade as undone: it is not applied; the database is at r1\n",
            project.db.url
        )
    );
    assert_eq!(project.columns("keep").await, ["id"]);
    project.write("r2_fails", &revision("r2", &["r1"], fixed, ""));
    project.run(&["upgrade", "head"]).await.ok();
    assert_eq!(project.heads().await, ["r2"]);
    let directions: Vec<String> = project.history().await.into_iter().map(|(r, d)| format!("{d} {r}")).collect();
    assert_eq!(directions, ["upgrade r1", "upgrade-reverted r2", "upgrade r2"]);
}

/// `url` with port 1 on the loopback address, where nothing listens, whatever port the server has.
fn unreachable(url: &str) -> String {
    let (user, server) = url.rsplit_once('@').expect("a URL with a user");
    let (_, database) = server.split_once('/').expect("a URL ending in /<database>");
    format!("{user}@127.0.0.1:1/{database}")
}

#[tokio::test(flavor = "multi_thread")]
async fn passwords_never_appear_in_output() {
    let project = chain(Backend::Postgres).await;
    let with_password = project.db.url.replace("postgres@", "postgres:hunter2secret@");
    assert_ne!(with_password, project.db.url);
    let runs = [
        project.run_with_url(&with_password, &["upgrade", "head"]).await,
        project.run_with_url(&with_password, &["current", "--verbose"]).await,
        project.run_with_url(&with_password.replace("aludel_test", "no_such_db"), &["current"]).await,
        project.run_with_url(&unreachable(&with_password), &["upgrade", "head"]).await,
        project.run_with_url(&with_password, &["-x", "db_url=oracle://u:hunter2secret@h/db", "current"]).await,
    ];
    for run in runs {
        let all = format!("{}{}", run.stdout, run.stderr);
        assert!(!all.contains("hunter2secret"), "password leaked: {all}");
    }
    let failed = project.run_with_url(&unreachable(&with_password), &["current"]).await.expect_code(2);
    assert!(failed.stderr.contains("postgres:***@"), "{}", failed.stderr);
}

/// Generated passwords hold every character that means something in a URL. Escaped, the URL
/// works and every line that names the database hides the password; unescaped, the URL does
/// not parse, and the error shows its scheme only.
#[tokio::test(flavor = "multi_thread")]
async fn passwords_with_url_characters_never_appear_in_output() {
    let project = chain(Backend::Postgres).await;
    let secret = "hunter2";
    for special in ["/", "?", "#", "@", ":", "%", "/?#@:%"] {
        let password = format!("{secret}{special}{secret}");
        let escaped: String = url_escape(&password);
        let working = project.db.url.replace("postgres@", &format!("postgres:{escaped}@"));
        assert_ne!(working, project.db.url);
        let runs = [
            project.run_with_url(&working, &["upgrade", "head"]).await.ok(),
            project.run_with_url(&working, &["current", "--verbose"]).await.ok(),
            project.run_with_url(&working, &["downgrade", "-1"]).await.ok(),
            project.run_with_url(&working, &["upgrade", "+1"]).await.ok(),
            project.run_with_url(&working, &["stamp", "head"]).await.ok(),
            project.run_with_url(&working, &["verify", "--accept"]).await.ok(),
            project.run_with_url(&working, &["upgrade", "head", "--sql"]).await.ok(),
            project.run_with_url(&working.replace("5432", "1"), &["upgrade", "head"]).await.expect_code(2),
        ];
        for run in &runs {
            let all = format!("{}{}", run.stdout, run.stderr);
            assert!(!all.contains(secret), "{special:?}: password leaked: {all}");
        }
        assert!(runs[0].stdout.contains("Database: postgresql://postgres:***@127.0.0.1"), "{}", runs[0].stdout);
        assert!(runs[1].stdout.starts_with("Current revision(s) for postgresql://postgres:***@"), "{}", runs[1].stdout);
        assert!(runs[7].stderr.contains("could not connect to postgresql://postgres:***@"), "{}", runs[7].stderr);

        let unescaped = project.db.url.replace("postgres@", &format!("postgres:{password}@"));
        let run = project.run_with_url(&unescaped, &["upgrade", "head"]).await;
        let all = format!("{}{}", run.stdout, run.stderr);
        assert!(!all.contains(secret), "{special:?} unescaped: password leaked: {all}");
    }
}

/// Percent-escapes everything but letters and digits, as a URL's userinfo needs.
fn url_escape(text: &str) -> String {
    text.bytes()
        .map(|b| if b.is_ascii_alphanumeric() { char::from(b).to_string() } else { format!("%{b:02X}") })
        .collect()
}

/// The binary prints an error, then each cause on its own `caused by:` line, and a driver's
/// message reaches the user once (not once per wrapper that repeats it).
#[tokio::test(flavor = "multi_thread")]
async fn a_driver_error_reaches_the_user_exactly_once() {
    let project = chain(Backend::Postgres).await;
    let refused = project.run_with_url(&project.db.url.replace("5432", "1"), &["current"]).await.expect_code(2);
    assert!(refused.stderr.starts_with("error: could not connect to postgresql://"), "{}", refused.stderr);
    assert!(refused.stderr.contains("\ncaused by: "), "{}", refused.stderr);
    assert_eq!(refused.stderr.matches("Connection refused").count(), 1, "{}", refused.stderr);
    // The server's words, without the line of its own source code that raised them.
    let missing = format!("{}_missing", project.db.url);
    let refused = project.run_with_url(&missing, &["current"]).await.expect_code(2);
    assert!(refused.stderr.contains("does not exist (SQLSTATE 3D000)"), "{}", refused.stderr);
    assert!(!refused.stderr.contains(" at line "), "{}", refused.stderr);

    let failing = "[[upgrade]]\nop = \"sql\"\nsql = \"INSERT INTO missing_table VALUES (1)\"\n";
    project.write("r9_fails", &revision("r9", &["cccc00000003"], failing, ""));
    let failed = project.run(&["upgrade", "head"]).await.expect_code(2);
    let message = "relation \"missing_table\" does not exist (SQLSTATE 42P01)";
    assert_eq!(failed.stderr.matches(message).count(), 1, "{}", failed.stderr);
    assert!(failed.stderr.contains(&format!("\ncaused by: {message}")), "{}", failed.stderr);
}

#[tokio::test(flavor = "multi_thread")]
async fn configuration_sources() {
    let project = chain(Backend::Sqlite).await;
    // -x db_url beats DATABASE_URL.
    let other = project.dir.path().join("other.db");
    project
        .run_with_url(
            "sqlite://nowhere/x.db",
            &["-x", &format!("db_url=sqlite://{}", other.display()), "upgrade", "head"],
        )
        .await
        .ok();
    assert!(other.exists());
    // A misspelt key is refused before anything runs, not ignored for the configured database.
    let elsewhere = project.dir.path().join("elsewhere.db");
    let run = project
        .run_with_url(
            &format!("sqlite://{}", other.display()),
            &["-x", &format!("dburl=sqlite://{}", elsewhere.display()), "downgrade", "base"],
        )
        .await
        .expect_code(2);
    assert!(run.stderr.contains("`-x dburl=...` names no setting; the keys are db_url,"), "{}", run.stderr);
    let current = project.run_with_url(&format!("sqlite://{}", other.display()), &["current"]).await.ok();
    assert!(current.stdout.contains("cccc00000003"), "nothing was downgraded: {}", current.stdout);
    // A downgrade on a SQLite file that does not exist (a mistyped path) is refused, not made.
    let run = project.run_with_url(&format!("sqlite://{}", elsewhere.display()), &["downgrade", "base"]).await;
    let run = run.expect_code(2);
    assert!(run.stderr.contains("no SQLite database at"), "{}", run.stderr);
    assert!(!elsewhere.exists(), "the downgrade made {}", elsewhere.display());
    // -c and ALUDEL_CONFIG name another config file.
    std::fs::create_dir_all(project.dir.path().join("conf")).unwrap();
    std::fs::write(project.dir.path().join("conf/alt.toml"), "script_location = \"../migrations\"\n").unwrap();
    let run = project.run(&["-c", "conf/alt.toml", "heads"]).await.ok();
    assert_eq!(run.stdout, "bbbb00000002 -> cccc00000003 (head), revision cccc00000003\n");
    let run = project.run(&["-c", "conf/missing.toml", "heads"]).await.expect_code(2);
    assert!(run.stderr.contains("missing.toml"), "{}", run.stderr);
    // init refuses to overwrite.
    let run = project.run(&["init", "migrations"]).await.expect_code(2);
    assert!(run.stderr.contains("already exists"), "{}", run.stderr);
    // init writes the config -c or ALUDEL_CONFIG names, pointing at DIRECTORY as typed.
    let run = project.run(&["-c", "sub/conf.toml", "init", "mig"]).await.ok();
    assert!(run.stdout.contains("sub/conf.toml"), "{}", run.stdout);
    let conf = std::fs::read_to_string(project.dir.path().join("sub/conf.toml")).unwrap();
    assert!(conf.contains("script_location = \"../mig\""), "{conf}");
    project.run(&["-c", "sub/conf.toml", "revision", "-m", "first"]).await.ok();
    assert_eq!(std::fs::read_dir(project.dir.path().join("mig/versions")).unwrap().count(), 1);
    let run = project.run_env(&[("ALUDEL_CONFIG", "env/conf.toml")], &["init", "envmig"]).await.ok();
    assert!(run.stdout.contains("env/conf.toml"), "{}", run.stdout);
    project.run_env(&[("ALUDEL_CONFIG", "env/conf.toml")], &["heads"]).await.ok();
    // A new revision's id may not be a target word, nor another's in another case.
    for (id, why) in [("head", "name targets"), ("CCCC00000003", "only in case")] {
        let run = project.run(&["revision", "-m", "x", "--rev-id", id]).await.expect_code(2);
        assert!(run.stderr.contains(why), "{id}: {}", run.stderr);
    }
    // .env provides DATABASE_URL when the environment does not.
    let dotenv_db = project.dir.path().join("dotenv.db");
    std::fs::write(project.dir.path().join(".env"), format!("DATABASE_URL=sqlite://{}\n", dotenv_db.display()))
        .unwrap();
    let mut command = common::command(project.dir.path(), "", &["upgrade", "head"]);
    command.env_remove("DATABASE_URL");
    let output = command.output().await.unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    assert!(dotenv_db.exists());
}

#[tokio::test(flavor = "multi_thread")]
async fn help_teaches_every_command() {
    let project = Project::new(Backend::Sqlite).await;
    let help = project.run(&["--help"]).await.ok().stdout;
    for verb in [
        "init",
        "revision",
        "upgrade",
        "downgrade",
        "current",
        "history",
        "heads",
        "branches",
        "show",
        "stamp",
        "merge",
        "check",
        "verify",
    ] {
        assert!(help.contains(verb), "--help lists {verb}");
        let sub = project.run(&[verb, "--help"]).await.ok().stdout;
        assert!(sub.contains("Usage: aludel"), "{verb} --help: {sub}");
    }
    let upgrade = project.run(&["upgrade", "--help"]).await.ok().stdout;
    assert!(upgrade.contains("label@head") && upgrade.contains("--sql"), "{upgrade}");
    let run = project.run(&["upgrade", "--bogus"]).await.expect_code(2);
    assert!(run.stderr.starts_with("error: unexpected argument '--bogus'"), "{}", run.stderr);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_quickstart_example_migrates_up_and_down() {
    let config = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/quickstart/aludel.toml");
    for backend in backends() {
        let project = Project::new(backend).await;
        let db_url = format!("db_url={}", project.db.url);
        let args = |verb: &'static [&'static str]| {
            let mut args = vec!["-c", config, "-x", db_url.as_str()];
            args.extend_from_slice(verb);
            args
        };
        project.run(&args(&["upgrade", "head"])).await.ok();
        assert_eq!(project.heads().await, ["3f2a9c1b7d04"]);
        assert_eq!(project.columns("users").await, ["id", "email", "active", "created_at", "age"]);
        project.run(&args(&["check"])).await.ok();
        project.run(&args(&["downgrade", "base"])).await.ok();
        assert!(project.tables().await.is_empty(), "{backend:?}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn non_transactional_revisions_build_indexes_concurrently() {
    for backend in backends() {
        let project = Project::new(backend).await;
        write_table_revision(&project, "r1", &[]);
        let index = "[[upgrade]]\nop = \"create_index\"\ntable = \"t_r1\"\nname = \"ix_t_r1_id\"\ncolumns = [\"id\"]\nconcurrently = true\n\n\
                     [[downgrade]]\nop = \"drop_index\"\ntable = \"t_r1\"\nname = \"ix_t_r1_id\"\nconcurrently = true\n";
        project.write(
            "r2_index",
            &revision("r2", &["r1"], index, "").replace("message =", "transactional = false\nmessage ="),
        );
        let script = project.run(&["upgrade", "head", "--sql"]).await.ok().stdout;
        let r2 = &script[script.find("-> r2").expect("r2 in script")..];
        if backend == Backend::Postgres {
            assert!(r2.contains("CREATE INDEX CONCURRENTLY"), "{r2}");
            let create = r2.find("CREATE INDEX").unwrap();
            assert!(!r2[..create].contains("BEGIN;"), "the index is built outside a transaction: {r2}");
        }
        project.run(&["upgrade", "head"]).await.ok();
        assert_eq!(project.heads().await, ["r2"]);
        let show = project.run(&["show", "r2"]).await.ok().stdout;
        assert!(show.contains("outside a transaction"), "{show}");
        project.run(&["downgrade", "r1"]).await.ok();
        assert_eq!(project.heads().await, ["r1"]);
        let verbose = project.run(&["history", "--verbose"]).await.ok().stdout;
        assert!(verbose.contains("Rev: r2 (head)") && verbose.contains("Path: "), "{verbose}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn stamp_purge_repairs_a_version_table_naming_a_deleted_revision() {
    for backend in backends() {
        let project = chain(backend).await;
        project.run(&["stamp", "head"]).await.ok();
        project.db.execute("UPDATE aludel_version SET version_num = 'deadbeef0000'").await;
        let run = project.run(&["upgrade", "head"]).await.expect_code(2);
        assert!(run.stderr.contains("deadbeef0000") && run.stderr.contains("stamp"), "{}", run.stderr);
        let current = project.run(&["current"]).await.ok().stdout;
        assert!(current.contains("deadbeef0000 (no revision file defines it)"), "{current}");
        project.run(&["stamp", "bbbb00000002", "--purge"]).await.ok();
        assert_eq!(project.heads().await, ["bbbb00000002"]);
        // A row that is no revision id at all: named with its table, and purged by a stamp.
        project.db.execute("INSERT INTO aludel_version (version_num) VALUES ('not an id!')").await;
        for command in [&["upgrade", "head"][..], &["current"][..]] {
            let run = project.run(command).await.expect_code(2);
            assert!(
                run.stderr
                    .contains("the version table `aludel_version` holds \"not an id!\", which is not a revision id")
                    && run.stderr.contains("stamp --purge"),
                "{backend:?} {command:?}: {}",
                run.stderr
            );
        }
        project.run(&["stamp", "bbbb00000002", "--purge"]).await.ok();
        assert_eq!(project.heads().await, ["bbbb00000002"]);
    }
}

/// A revision outside a transaction whose third statement fails: the first two took effect,
/// the revision is recorded as unfinished, and runs refuse until `resolve` says what the
/// database holds.
#[tokio::test(flavor = "multi_thread")]
async fn an_unfinished_revision_blocks_runs_until_resolved() {
    let project = Project::new(Backend::Postgres).await;
    write_table_revision(&project, "r1", &[]);
    let failing = "[[upgrade]]\nop = \"add_column\"\ntable = \"t_r1\"\ncolumn = { name = \"a\", type = \"integer\" }\n\n\
                   [[upgrade]]\nop = \"add_column\"\ntable = \"t_r1\"\ncolumn = { name = \"b\", type = \"integer\" }\n\n\
                   [[upgrade]]\nop = \"sql\"\nsql = \"INSERT INTO missing_table VALUES (1)\"\n";
    let file = revision("r2", &["r1"], failing, "").replace("message =", "transactional = false\nmessage =");
    project.write("r2_partial", &file);
    let run = project.run(&["upgrade", "head"]).await.expect_code(2);
    for needle in ["op 3", "outside a transaction", "aludel resolve r2 --applied", "aludel resolve r2 --reverted"] {
        assert!(run.stderr.contains(needle), "the error should say {needle:?}: {}", run.stderr);
    }
    assert_eq!(project.heads().await, ["r1"]);
    assert_eq!(project.columns("t_r1").await, ["id", "a", "b"], "the ops before the failure took effect");

    for args in [&["upgrade", "head"][..], &["downgrade", "base"], &["stamp", "head"]] {
        let run = project.run(args).await.expect_code(2);
        assert!(
            run.stderr.contains("revision `r2` did not finish its upgrade (it failed): 2 of its 3 op(s) ran; op 3 (sql INSERT INTO missing_table VALUES (1)) failed"),
            "{args:?}: {}",
            run.stderr
        );
    }
    let run = project.run(&["resolve", "r1", "--reverted"]).await.expect_code(2);
    assert!(run.stderr.contains("`r2` is"), "{}", run.stderr);

    // Undone by hand, fixed, run again.
    project.db.execute("ALTER TABLE t_r1 DROP COLUMN a; ALTER TABLE t_r1 DROP COLUMN b").await;
    // A prefix names the revision as in every other command, and the output names the id.
    write_table_revision(&project, "r3", &["r2"]);
    let run = project.run(&["resolve", "r", "--reverted"]).await.expect_code(2);
    assert!(run.stderr.contains("ambiguous"), "{}", run.stderr);
    std::fs::remove_file(project.versions().join("r3_create_t_r3.toml")).unwrap();
    let run = project.run(&["resolve", "r", "--reverted"]).await.expect_code(2);
    assert!(run.stderr.contains("ambiguous"), "r1 and r2 both start with r: {}", run.stderr);
    let run = project.run(&["resolve", "r2", "--reverted"]).await.ok();
    assert_eq!(
        run.stdout,
        format!(
            "Database: {}\nResolved r2, its upgrade as undone: it is not applied; the database is at r1\n",
            project.db.url
        )
    );
    project.write("r2_partial", &file.replace("INSERT INTO missing_table VALUES (1)", "UPDATE t_r1 SET a = b"));
    project.run(&["upgrade", "head"]).await.ok();
    assert_eq!(project.heads().await, ["r2"]);
    let directions: Vec<String> = project.history().await.into_iter().map(|(r, d)| format!("{d} {r}")).collect();
    assert_eq!(directions, ["upgrade r1", "upgrade-reverted r2", "upgrade r2"]);

    // Finished by hand instead: the version moves as the step would have moved it.
    let project = Project::new(Backend::Postgres).await;
    write_table_revision(&project, "r1", &[]);
    project.write("r2_partial", &file);
    project.run(&["upgrade", "head"]).await.expect_code(2);
    let run = project.run(&["resolve", "r2", "--applied"]).await.ok();
    assert_eq!(
        run.stdout,
        format!(
            "Database: {}\nResolved r2, its upgrade as finished: it is applied; the database is at r2\n",
            project.db.url
        )
    );
    project.run(&["upgrade", "head"]).await.ok();
    assert_eq!(project.heads().await, ["r2"]);
    let run = project.run(&["resolve", "r2", "--applied"]).await.expect_code(2);
    assert!(run.stderr.contains("nothing to resolve"), "{}", run.stderr);
}

/// A run killed part way through a revision outside a transaction leaves it running.
#[tokio::test(flavor = "multi_thread")]
async fn a_revision_interrupted_outside_a_transaction_is_reported() {
    for backend in backends() {
        let project = chain(backend).await;
        project.run(&["upgrade", "bbbb"]).await.ok();
        project
            .db
            .execute(
                "INSERT INTO aludel_history (revision, direction, checksum) VALUES ('cccc00000003', 'upgrading', 'x')",
            )
            .await;
        let run = project.run(&["upgrade", "head"]).await.expect_code(2);
        assert!(
            run.stderr
                .contains("revision `cccc00000003` did not finish its upgrade (the process stopped while it ran)"),
            "{backend:?}: {}",
            run.stderr
        );
        project.run(&["resolve", "cccc", "--reverted"]).await.ok();
        project.run(&["upgrade", "head"]).await.ok();
        assert_eq!(project.heads().await, ["cccc00000003"]);
    }
}

/// `[mysql] uuid` (or `-x mysql_uuid=...`) picks how MySQL stores uuid columns, online and in
/// `--sql` scripts alike.
#[tokio::test(flavor = "multi_thread")]
async fn mysql_stores_uuid_as_the_configuration_says() {
    let project = Project::new(Backend::MySql).await;
    let up = "[[upgrade]]\nop = \"create_table\"\ntable = \"tokens\"\ncolumns = [{ name = \"id\", type = \"uuid\", nullable = false }]\n";
    project.write("r1_tokens", &revision("r1", &[], up, ""));
    let script = project.run(&["upgrade", "head", "--sql"]).await.ok().stdout;
    assert!(script.contains("`id` CHAR(36) NOT NULL"), "{script}");
    let script = project.run(&["-x", "mysql_uuid=binary16", "upgrade", "head", "--sql"]).await.ok().stdout;
    assert!(script.contains("`id` BINARY(16) NOT NULL"), "{script}");

    let config = project.dir.path().join("aludel.toml");
    let text =
        std::fs::read_to_string(&config).expect("aludel.toml").replace("uuid = \"char36\"", "uuid = \"binary16\"");
    std::fs::write(&config, text).expect("write aludel.toml");
    project.run(&["upgrade", "head"]).await.ok();
    let types =
        project.db.query("SELECT COLUMN_TYPE FROM information_schema.COLUMNS WHERE TABLE_NAME = 'tokens'").await;
    assert_eq!(types, [[Some("binary(16)".to_owned())]]);
}

/// An enum value added and used in one revision (PostgreSQL lets a value be used only once
/// committed), removed again by the downgrade, and a removal refused while a row holds the
/// value, then done once the rows have changed.
#[tokio::test(flavor = "multi_thread")]
async fn enum_values_are_added_used_and_removed() {
    for backend in backends() {
        let project = Project::new(backend).await;
        let base = r#"
            [[upgrade]]
            op = "create_enum"
            name = "mood"
            values = ["sad", "ok"]

            [[upgrade]]
            op = "create_table"
            table = "people"
            columns = [
                { name = "id", type = "integer", nullable = false },
                { name = "mood", type = "enum:mood", nullable = false, default = { value = "ok" } },
            ]
            primary_key = ["id"]

            [[upgrade]]
            op = "sql"
            sql = "INSERT INTO people (id, mood) VALUES (1, 'sad'), (2, 'ok')"

            [[downgrade]]
            op = "drop_table"
            table = "people"

            [[downgrade]]
            op = "drop_enum"
            name = "mood"
        "#;
        project.write("e1_people", &revision("e1", &[], base, ""));
        let add = r#"
            [[upgrade]]
            op = "add_enum_value"
            name = "mood"
            value = "happy"
            after = "ok"

            [[upgrade]]
            op = "alter_column"
            table = "people"
            column = "mood"
            default = { from = { value = "ok" }, to = { value = "happy" } }

            [[upgrade]]
            op = "sql"
            sql = "INSERT INTO people (id) VALUES (3)"
            down = "DELETE FROM people WHERE id = 3"
        "#;
        // The downgrade is the upgrade reversed, as autogenerate writes it.
        let ops: Vec<aludel::ops::Op> =
            toml::from_str::<toml::Table>(add).unwrap()["upgrade"].clone().try_into().expect("valid ops");
        let reversed = aludel::ops::downgrade_of(&ops).expect("every op has an inverse");
        let mut file = toml::Table::new();
        file.insert("downgrade".into(), toml::Value::try_from(reversed).unwrap());
        let downgrade = toml::to_string(&file).unwrap();
        assert!(downgrade.contains("op = \"drop_enum_value\""), "{downgrade}");
        project.write("e2_happy", &revision("e2", &["e1"], add, &downgrade));
        project.run(&["upgrade", "head"]).await.ok();
        let moods = || async {
            project
                .db
                .query("SELECT CAST(mood AS CHAR(10)) FROM people ORDER BY id")
                .await
                .into_iter()
                .map(|row| row[0].clone().unwrap_or_default().trim_end().to_owned())
                .collect::<Vec<_>>()
        };
        assert_eq!(moods().await, ["sad", "ok", "happy"], "{backend:?}");

        project.run(&["downgrade", "-1"]).await.ok();
        assert_eq!(moods().await, ["sad", "ok"], "{backend:?}");
        let refused = project.db.try_execute("INSERT INTO people (id, mood) VALUES (4, 'happy')").await;
        assert!(refused.is_err(), "{backend:?}: the downgrade removed `happy`");
        project.run(&["upgrade", "head"]).await.ok();

        let drop = "[[upgrade]]\nop = \"drop_enum_value\"\nname = \"mood\"\nvalue = \"sad\"\nbefore = \"ok\"\n";
        project.write("e3_not_sad", &revision("e3", &["e2"], drop, ""));
        let run = project.run(&["upgrade", "head"]).await.expect_code(2);
        for needle in ["e3", "op 1", "drop_enum_value mood -= sad"] {
            assert!(run.stderr.contains(needle), "{backend:?}: the error should name {needle:?}: {}", run.stderr);
        }
        if backend == Backend::Postgres {
            assert!(run.stderr.contains("column people.mood holds it"), "{}", run.stderr);
            assert!(run.stderr.contains("\n  hint: change those rows first"), "PostgreSQL's hint: {}", run.stderr);
            assert!(
                run.stderr.contains("statement: DO $aludel$")
                    && run.stderr.contains("more lines; `--sql` prints them all"),
                "the generated block is abbreviated: {}",
                run.stderr
            );
        }
        if backend.dialect().has_transactional_ddl() {
            assert_eq!(project.heads().await, ["e2"]);
        } else {
            project.run(&["resolve", "e3", "--reverted"]).await.ok();
        }
        let fixed =
            format!("[[upgrade]]\nop = \"sql\"\nsql = \"UPDATE people SET mood = 'ok' WHERE id = 1\"\n\n{drop}");
        project.write("e3_not_sad", &revision("e3", &["e2"], &fixed, ""));
        project.run(&["upgrade", "head"]).await.ok();
        assert_eq!(moods().await, ["ok", "ok", "happy"], "{backend:?}");
        let refused = project.db.try_execute("INSERT INTO people (id, mood) VALUES (5, 'sad')").await;
        assert!(refused.is_err(), "{backend:?}: `sad` is gone");
        project.db.execute("INSERT INTO people (id) VALUES (6)").await;
        assert_eq!(moods().await, ["ok", "ok", "happy", "happy"], "{backend:?}: the default survives");

        // A revision that adds a value and then fails: run again once fixed, it adds it once.
        if backend.dialect().has_transactional_ddl() {
            let add = "[[upgrade]]\nop = \"add_enum_value\"\nname = \"mood\"\nvalue = \"meh\"\n";
            let failing = format!("{add}\n[[upgrade]]\nop = \"sql\"\nsql = \"INSERT INTO missing_table VALUES (1)\"\n");
            project.write("e4_meh", &revision("e4", &["e3"], &failing, ""));
            let run = project.run(&["upgrade", "head"]).await.expect_code(2);
            assert_eq!(project.heads().await, ["e3"], "{backend:?}");
            if backend == Backend::Postgres {
                assert!(run.stderr.contains("the enum values it adds before its transaction stay"), "{}", run.stderr);
            }
            let fixed = format!(
                "{add}\n[[upgrade]]\nop = \"sql\"\nsql = \"INSERT INTO people (id, mood) VALUES (7, 'meh')\"\n"
            );
            project.write("e4_meh", &revision("e4", &["e3"], &fixed, ""));
            project.run(&["upgrade", "head"]).await.ok();
            assert_eq!(moods().await, ["ok", "ok", "happy", "happy", "meh"], "{backend:?}");
        }
    }
}

/// SQLite runs each revision as a savepoint inside the run's transaction, which releasing
/// the lock commits. A revision whose bookkeeping is refused must leave nothing behind:
/// before, its tables and rows were committed without a version row, and the next run ran
/// it again.
#[tokio::test(flavor = "multi_thread")]
async fn a_revision_whose_bookkeeping_fails_leaves_the_database_unchanged() {
    let project = Project::new(Backend::Sqlite).await;
    write_table_revision(&project, "r1", &[]);
    project.run(&["upgrade", "head"]).await.ok();
    let (up, down) = common::table_ops("t2");
    let up = format!("{up}\n[[upgrade]]\nop = \"sql\"\nsql = \"INSERT INTO t2 (id) VALUES (7)\"\n");
    project.write("r2_t2", &revision("r2", &["r1"], &up, &down));

    // The history table refuses the row that records r2.
    project
        .db
        .execute(
            "CREATE TRIGGER refuse_r2 BEFORE INSERT ON aludel_history WHEN NEW.revision = 'r2' \
             BEGIN SELECT RAISE(ABORT, 'the history refuses r2'); END",
        )
        .await;
    let run = project.run(&["upgrade", "head"]).await.expect_code(2);
    assert!(run.stderr.contains("could not record the revision in the version table"), "{}", run.stderr);
    assert!(run.stderr.contains("the history refuses r2"), "{}", run.stderr);
    assert_eq!(project.tables().await, ["t_r1"], "r2's table was rolled back");
    assert_eq!(project.heads().await, ["r1"]);
    assert_eq!(project.history().await, [("r1".to_owned(), "upgrade".to_owned())]);

    // A stamp refused the same way leaves the version table as it was.
    let run = project.run(&["stamp", "r2"]).await.expect_code(2);
    assert!(run.stderr.contains("could not stamp the version table"), "{}", run.stderr);
    assert_eq!(project.heads().await, ["r1"]);

    // Once the history takes the row, r2 runs once.
    project.db.execute("DROP TRIGGER refuse_r2").await;
    project.run(&["upgrade", "head"]).await.ok();
    assert_eq!(project.heads().await, ["r2"]);
    assert_eq!(project.db.query("SELECT COUNT(*) FROM t2").await[0][0].as_deref(), Some("1"));
}

/// When SQLite's foreign-key check itself fails (a foreign key whose parent key is not one),
/// the revision is rolled back, not committed unrecorded.
#[tokio::test(flavor = "multi_thread")]
async fn a_revision_whose_foreign_key_check_fails_is_rolled_back() {
    let project = Project::new(Backend::Sqlite).await;
    write_table_revision(&project, "r1", &[]);
    let up = "[[upgrade]]\nop = \"sql\"\nsql = \"\"\"\nCREATE TABLE parent (id INTEGER);\n\
              CREATE TABLE child (id INTEGER, p INTEGER REFERENCES parent (id));\n\
              INSERT INTO child VALUES (1, 5)\n\"\"\"\n";
    project.write("r2_mismatch", &revision("r2", &["r1"], up, ""));
    let run = project.run(&["upgrade", "head"]).await.expect_code(2);
    assert!(run.stderr.contains("could not check foreign keys"), "{}", run.stderr);
    assert!(run.stderr.contains("foreign key mismatch"), "{}", run.stderr);
    assert_eq!(project.tables().await, ["t_r1"], "r1 stays, r2 is rolled back");
    assert_eq!(project.heads().await, ["r1"]);
}

/// SQLite's foreign-key check reads the whole database. An orphan row that was there before a
/// revision does not stop it; a revision that adds one is rolled back, and the error names
/// that row, not the older one.
#[tokio::test(flavor = "multi_thread")]
async fn a_revision_answers_only_for_the_orphan_rows_it_adds() {
    let project = Project::new(Backend::Sqlite).await;
    let up = "[[upgrade]]\nop = \"create_table\"\ntable = \"parent\"\n\
              columns = [{ name = \"id\", type = \"integer\", nullable = false }]\nprimary_key = [\"id\"]\n\n\
              [[upgrade]]\nop = \"create_table\"\ntable = \"child\"\n\
              columns = [{ name = \"id\", type = \"integer\", nullable = false }, { name = \"parent_id\", type = \"integer\" }]\n\
              primary_key = [\"id\"]\n\
              constraints = [{ kind = \"foreign_key\", columns = [\"parent_id\"], references = { table = \"parent\", columns = [\"id\"] } }]\n";
    project.write("r1_tables", &revision("r1", &[], up, ""));
    project.run(&["upgrade", "head"]).await.ok();
    // An orphan written outside aludel, with the database's checks off.
    project.db.execute("PRAGMA foreign_keys = OFF; INSERT INTO child (id, parent_id) VALUES (1, 99)").await;

    write_table_revision(&project, "r2", &["r1"]);
    project.run(&["upgrade", "head"]).await.ok();
    assert_eq!(project.heads().await, ["r2"], "the older orphan does not stop r2");

    let orphan = "[[upgrade]]\nop = \"sql\"\nsql = \"INSERT INTO child (id, parent_id) VALUES (2, 98)\"\n";
    project.write("r3_orphan", &revision("r3", &["r2"], orphan, ""));
    let run = project.run(&["upgrade", "head"]).await.expect_code(2);
    assert!(
        run.stderr.contains("revision `r3`")
            && run.stderr.contains("was rolled back: it leaves row 2 of `child` referencing a missing row of `parent`"),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("row 1 of"), "the older orphan is not r3's: {}", run.stderr);
    assert_eq!(project.heads().await, ["r2"]);
    assert_eq!(project.db.query("SELECT COUNT(*) FROM child").await[0][0].as_deref(), Some("1"));
}

#[test]
fn a_reader_that_stops_reading_is_no_error() {
    // `aludel man | head -1`: the pipe closes before aludel writes; the command still
    // finishes, prints no error and exits 0.
    for _ in 0..3 {
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_aludel"))
            .arg("man")
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("start aludel");
        drop(child.stdout.take());
        let output = child.wait_with_output().expect("aludel ends");
        assert!(output.status.success(), "{output:?}");
        assert_eq!(String::from_utf8_lossy(&output.stderr), "");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn raw_sql_failing_part_way_outside_a_transaction_says_its_first_statements_ran() {
    // MySQL commits each statement: the first one takes effect, the second fails.
    let project = Project::new(Backend::MySql).await;
    let (up, down) = table_ops("t");
    project.write("r1_t", &revision("r1", &[], &up, &down));
    project.run(&["upgrade", "head"]).await.ok();
    let twice = "[[upgrade]]\nop = \"sql\"\nsql = \"ALTER TABLE t ADD COLUMN a int; ALTER TABLE t ADD COLUMN a int\"\n";
    project.write("r2_twice", &revision("r2", &["r1"], twice, ""));
    let run = project.run(&["upgrade", "head"]).await.expect_code(2);
    let said = "and so did the first 1 statement(s) of op 1";
    assert!(run.stderr.contains(said), "{}", run.stderr);
    assert_eq!(project.columns("t").await, ["id", "a"], "the first statement took effect");
}

#[tokio::test(flavor = "multi_thread")]
async fn postgresql_connections_can_require_tls() {
    // Managed PostgreSQL services want TLS: `sslmode=require` in the URL encrypts the session.
    let project = Project::new(Backend::Postgres).await;
    let seen = "[[upgrade]]\nop = \"sql\"\n\
                sql = \"CREATE TABLE tls_seen AS SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()\"\n";
    project.write("r1_tls", &revision("r1", &[], seen, ""));
    let url = format!("{}?sslmode=require", project.db.url);
    let server_has_tls = project.db.query("SHOW ssl").await == [[Some("on".to_owned())]];
    if server_has_tls {
        project.run_with_url(&url, &["upgrade", "head"]).await.ok();
        assert_eq!(project.db.query("SELECT ssl::text FROM tls_seen").await, [[Some("true".to_owned())]]);
    } else {
        let run = project.run_with_url(&url, &["upgrade", "head"]).await.expect_code(2);
        assert!(run.stderr.to_lowercase().contains("tls"), "the error says TLS is what failed: {}", run.stderr);
    }
}

/// Ids that differ only in case are two revisions on every backend (MySQL's default
/// collation would take them for one row of the version table).
#[tokio::test(flavor = "multi_thread")]
async fn revision_ids_that_differ_only_in_case_are_two_revisions() {
    for backend in backends() {
        let project = Project::new(backend).await;
        project.write("ab_root", &revision("ab", &[], "", ""));
        project.write("Cd_upper", &revision("Cd", &["ab"], "", ""));
        project.write("cd_lower", &revision("cd", &["ab"], "", ""));
        project.run(&["upgrade", "heads"]).await.ok();
        assert_eq!(project.heads().await, ["Cd", "cd"], "{backend:?}");
        project.run(&["downgrade", "cd-1"]).await.ok();
        assert_eq!(project.heads().await, ["Cd"], "{backend:?}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn history_indicates_the_current_revision_and_ranges_from_it() {
    let project = chain(Backend::Sqlite).await;
    project.run(&["upgrade", "bbbb00000002"]).await.ok();
    let run = project.run(&["history", "-i"]).await.ok();
    assert!(run.stdout.contains("aaaa00000001 -> bbbb00000002 (current), revision bbbb00000002\n"), "{}", run.stdout);
    assert_eq!(run.stdout.matches("(current)").count(), 1, "{}", run.stdout);
    let run = project.run(&["history", "-r", "current:heads"]).await.ok();
    assert_eq!(
        run.stdout,
        "bbbb00000002 -> cccc00000003 (head), revision cccc00000003\naaaa00000001 -> bbbb00000002, revision bbbb00000002\n"
    );
    // Without a database to ask, `current` is refused by name.
    let run = project.run_with_url("", &["history", "-r", "current:"]).await.expect_code(2);
    assert!(run.stderr.contains("database"), "{}", run.stderr);
}

/// `stamp a1 b1` sets revisions of two branches at once, as Alembic's `stamp` takes several.
/// `trace --rows` is bounded: a few digits too many would fill the server's disk with
/// generated rows before anyone noticed.
#[tokio::test(flavor = "multi_thread")]
async fn trace_rows_are_bounded() {
    let project = Project::new(Backend::Sqlite).await;
    let run = project.run(&["trace", "--rows", "99999999999999"]).await.expect_code(2);
    assert!(run.stderr.contains("0..=100000000"), "{}", run.stderr);
}

#[tokio::test(flavor = "multi_thread")]
async fn stamp_takes_several_targets() {
    let project = Project::new(Backend::Sqlite).await;
    project.write("r0_root", &revision("r0", &[], "", ""));
    project.write("a1_a", &revision("a1", &["r0"], "", ""));
    project.write("b1_b", &revision("b1", &["r0"], "", ""));
    let run = project.run(&["stamp", "a1", "b1"]).await.ok();
    assert!(run.stdout.contains("Stamped a1, b1"), "{}", run.stdout);
    assert_eq!(project.heads().await, ["a1", "b1"]);
    let script = project.run(&["stamp", "--sql", "a1", "b1"]).await.ok().stdout;
    assert_eq!(script.matches("INSERT INTO \"aludel_version\"").count(), 2, "{script}");
    let run = project.run(&["stamp", "--sql", "a1", "r0:b1"]).await.expect_code(2);
    assert!(run.stderr.contains("only the first target"), "{}", run.stderr);
    // `base` after other targets emptied the table of them, silently: refused. First, it
    // starts from an empty table.
    let run = project.run(&["stamp", "a1", "base"]).await.expect_code(2);
    assert!(run.stderr.contains("put it first"), "{}", run.stderr);
    assert_eq!(project.heads().await, ["a1", "b1"], "the table is as it was");
    project.run(&["stamp", "base", "b1"]).await.ok();
    assert_eq!(project.heads().await, ["b1"]);
}
