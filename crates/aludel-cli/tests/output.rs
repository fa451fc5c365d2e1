//! What the `aludel` binary prints for tools and for people: the `--format json` documents of
//! every command that has one (parsed and checked field by field, the graph's snapshotted),
//! color on a terminal and never in a pipe, progress on a terminal, shell completions and
//! man pages.

mod common;

use serde_json::Value;

use common::{Backend, Project, backends, revision, table_ops, with_schema_sql, write_table_revision};

/// Parses a `--format json` document and checks its version.
#[track_caller]
fn document(stdout: &str) -> Value {
    let value: Value = serde_json::from_str(stdout).unwrap_or_else(|e| panic!("not JSON ({e}):\n{stdout}"));
    assert_eq!(value["version"], 1, "{stdout}");
    value
}

fn strings(value: &Value) -> Vec<&str> {
    value
        .as_array()
        .unwrap_or_else(|| panic!("not an array: {value}"))
        .iter()
        .map(|v| v.as_str().expect("a string"))
        .collect()
}

/// a -> b, a -> c (labelled `feature`, from a depending on nothing else): a branch point and
/// two heads.
fn branched(project: &Project) {
    write_table_revision(project, "aaaa00000001", &[]);
    write_table_revision(project, "bbbb00000002", &["aaaa00000001"]);
    let (up, down) = table_ops("t_cccc00000003");
    let text = revision("cccc00000003", &["aaaa00000001"], &up, &down)
        .replace("message = ", "branch_labels = [\"feature\"]\ncreated = \"2026-11-22T10:00:00Z\"\nmessage = ");
    project.write("cccc00000003_create_t_cccc00000003", &text);
}

/// Output for snapshots: the project's folder written as `[project]`, and checksums as
/// `[sha256]` (what they cover is the checksum's business, tested with it; that each one is
/// the revision's own is checked beside the snapshots).
fn redacted(project: &Project, stdout: &str) -> String {
    let dir = serde_json::to_string(&project.dir.path().display().to_string()).expect("a string");
    let text = stdout.replace(dir.trim_matches('"'), "[project]");
    let mut lines: Vec<String> = Vec::new();
    for line in text.lines() {
        match line.split_once("\"checksum\": \"") {
            Some((indent, rest)) if rest.len() > 64 && rest[..64].bytes().all(|b| b.is_ascii_hexdigit()) => {
                lines.push(format!("{indent}\"checksum\": \"[sha256]{}", &rest[64..]));
            }
            _ => lines.push(line.to_owned()),
        }
    }
    lines.join("\n")
}

/// The checksum `show` prints as text for `revision`.
async fn text_checksum(project: &Project, revision: &str) -> String {
    let show = project.run(&["show", revision]).await.ok().stdout;
    let line = show.lines().find_map(|line| line.strip_prefix("Checksum: ")).expect("a Checksum line");
    line.to_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn graph_commands_print_json_documents() {
    let project = Project::new(Backend::Sqlite).await;
    branched(&project);

    let stdout = project.run(&["history", "--format", "json"]).await.ok().stdout;
    insta::assert_snapshot!("history_json", redacted(&project, &stdout));
    let history = document(&stdout);
    let revisions = history["revisions"].as_array().expect("revisions");
    let ids: Vec<&str> = revisions.iter().map(|r| r["id"].as_str().expect("id")).collect();
    assert_eq!(ids, ["cccc00000003", "bbbb00000002", "aaaa00000001"], "newest first");
    let a = &revisions[2];
    assert_eq!(strings(&a["parents"]), Vec::<&str>::new());
    assert_eq!(strings(&a["children"]), ["bbbb00000002", "cccc00000003"]);
    assert_eq!(a["message"], "revision aaaa00000001");
    assert_eq!(
        (a["head"].as_bool(), a["branch_point"].as_bool(), a["merge_point"].as_bool()),
        (Some(false), Some(true), Some(false))
    );
    assert_eq!(a["transactional"], true);
    assert_eq!(a["created"], Value::Null);
    let checksum = a["checksum"].as_str().expect("checksum");
    assert!(checksum.len() == 64 && checksum.bytes().all(|b| b.is_ascii_hexdigit()), "{checksum}");
    for revision in revisions {
        let id = revision["id"].as_str().expect("id");
        assert_eq!(revision["checksum"].as_str(), Some(text_checksum(&project, id).await.as_str()), "{id}");
    }
    assert!(a["path"].as_str().expect("path").ends_with("aaaa00000001_create_t_aaaa00000001.toml"));
    let c = &revisions[0];
    assert_eq!(strings(&c["branch_labels"]), ["feature"]);
    assert_eq!(c["created"], "2026-11-22T10:00:00Z");
    assert_eq!(c["head"], true);

    let range =
        document(&project.run(&["history", "-r", "aaaa00000001:bbbb00000002", "--format", "json"]).await.ok().stdout);
    let ids: Vec<&str> =
        range["revisions"].as_array().expect("revisions").iter().map(|r| r["id"].as_str().expect("id")).collect();
    assert_eq!(ids, ["bbbb00000002", "aaaa00000001"]);

    let heads = document(&project.run(&["heads", "--format", "json"]).await.ok().stdout);
    let ids: Vec<&str> =
        heads["heads"].as_array().expect("heads").iter().map(|r| r["id"].as_str().expect("id")).collect();
    assert_eq!(ids, ["bbbb00000002", "cccc00000003"]);

    let branches = document(&project.run(&["branches", "--format", "json"]).await.ok().stdout);
    let points = branches["branch_points"].as_array().expect("branch_points");
    assert_eq!(points.len(), 1);
    assert_eq!(points[0]["revision"]["id"], "aaaa00000001");
    let children: Vec<&str> =
        points[0]["branches"].as_array().expect("branches").iter().map(|r| r["id"].as_str().expect("id")).collect();
    assert_eq!(children, ["bbbb00000002", "cccc00000003"]);

    let stdout = project.run(&["show", "feature@head", "--format", "json"]).await.ok().stdout;
    insta::assert_snapshot!("show_json", redacted(&project, &stdout));
    let show = document(&stdout);
    let shown = &show["revision"];
    assert_eq!(shown["id"], "cccc00000003");
    assert_eq!(strings(&shown["parents"]), ["aaaa00000001"]);
    let upgrade = shown["upgrade"].as_array().expect("upgrade");
    assert_eq!(upgrade.len(), 1);
    assert_eq!(upgrade[0]["description"], "create_table t_cccc00000003");
    assert_eq!(upgrade[0]["definition"]["op"], "create_table");
    assert_eq!(upgrade[0]["definition"]["table"], "t_cccc00000003");
    assert_eq!(upgrade[0]["definition"]["columns"][0]["name"], "id");
    assert_eq!(upgrade[0]["definition"]["primary_key"][0], "id");
    assert_eq!(shown["downgrade"][0]["description"], "drop_table t_cccc00000003");

    // Text stays as it was, with `--format text` or without `--format`.
    for command in [&["history"][..], &["heads", "--verbose"], &["branches"], &["show", "aaaa00000001"]] {
        let plain = project.run(command).await.ok().stdout;
        let text = project.run(&[command, &["--format", "text"]].concat()).await.ok().stdout;
        assert_eq!(plain, text, "{command:?}");
        assert!(!plain.trim_start().starts_with('{'), "{plain}");
    }
    let history = project.run(&["history"]).await.ok().stdout;
    assert_eq!(
        history,
        "aaaa00000001 -> cccc00000003 (feature) (head), revision cccc00000003\n\
         aaaa00000001 -> bbbb00000002 (head), revision bbbb00000002\n\
         <base> -> aaaa00000001 (branchpoint), revision aaaa00000001\n"
    );

    // --format belongs to the commands that report data.
    let refused = project.run(&["upgrade", "head", "--format", "json"]).await.expect_code(2);
    assert!(refused.stderr.contains("--format"), "{}", refused.stderr);
    let refused = project.run(&["history", "--format", "yaml"]).await.expect_code(2);
    assert!(refused.stderr.contains("yaml") && refused.stderr.contains("json"), "{}", refused.stderr);
}

/// `t_aaaa00000001` stays, `t_bbbb00000002` goes (destructive), `notes` comes.
const MODELS: &str = "CREATE TABLE t_aaaa00000001 (id integer NOT NULL PRIMARY KEY);\n\
                      CREATE TABLE notes (id integer NOT NULL PRIMARY KEY, body text);\n";

/// a -> b on a project whose models are [`MODELS`].
async fn drifting(backend: Backend) -> Project {
    let project = with_schema_sql(backend, MODELS).await;
    write_table_revision(&project, "aaaa00000001", &[]);
    write_table_revision(&project, "bbbb00000002", &["aaaa00000001"]);
    project
}

fn ops(value: &Value) -> Vec<&str> {
    value.as_array().expect("ops").iter().map(|op| op["description"].as_str().expect("description")).collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn database_commands_print_json_documents() {
    for backend in backends() {
        let project = drifting(backend).await;
        let url = project.db.url.as_str();

        let current = document(&project.run(&["current", "--format", "json"]).await.ok().stdout);
        assert_eq!(current["current"], serde_json::json!([]), "{backend:?}: at base");
        assert_eq!(current["database"], url);

        // Pending revisions: drift, and the models are not compared yet.
        let check = project.run(&["check", "--format", "json"]).await.expect_code(1);
        let check = document(&check.stdout);
        assert_eq!(check["drift"], true);
        assert_eq!(check["current"], serde_json::json!([]));
        let pending: Vec<&str> =
            check["pending"].as_array().expect("pending").iter().map(|r| r["id"].as_str().expect("id")).collect();
        assert_eq!(pending, ["aaaa00000001", "bbbb00000002"]);
        assert_eq!(strings(&check["pending"][1]["parents"]), ["aaaa00000001"]);
        assert_eq!(check["pending"][1]["message"], "revision bbbb00000002");
        assert_eq!(check["models"]["status"], "not_compared");
        assert_eq!(check["models"]["ops"], serde_json::json!([]));

        project.run(&["upgrade", "head"]).await.ok();

        let current = document(&project.run(&["current", "--format", "json"]).await.ok().stdout);
        let heads = current["current"].as_array().expect("current");
        assert_eq!(heads.len(), 1);
        assert_eq!(heads[0]["id"], "bbbb00000002");
        assert_eq!(heads[0]["revision"]["head"], true);
        assert_eq!(strings(&heads[0]["revision"]["parents"]), ["aaaa00000001"]);
        assert_eq!(heads[0]["applied"]["kind"], "upgrade");
        // RFC 3339 in UTC on every backend: 2026-12-06T02:01:39.094693Z.
        let at = heads[0]["applied"]["at"].as_str().expect("at");
        let shape: String = at.chars().map(|c| if c.is_ascii_digit() { 'd' } else { c }).collect();
        let (seconds, fraction) = shape.split_at(19);
        assert_eq!(seconds, "dddd-dd-ddTdd:dd:dd", "{backend:?}: {at}");
        assert!(fraction.starts_with('.') && fraction.ends_with('Z') && fraction.len() > 2, "{backend:?}: {at}");

        // At head, the models differ: one op drops a table (destructive), one creates one.
        let check = project.run(&["check", "--format", "json"]).await.expect_code(1);
        let check = document(&check.stdout);
        assert_eq!(check["drift"], true);
        assert_eq!(strings(&check["current"]), ["bbbb00000002"]);
        assert_eq!(check["pending"], serde_json::json!([]));
        let models = &check["models"];
        assert_eq!(models["status"], "compared", "{backend:?}");
        assert_eq!(ops(&models["ops"]), ["drop_table t_bbbb00000002", "create_table notes"], "{backend:?}");
        assert_eq!(models["ops"][1]["definition"]["columns"][1]["name"], "body");
        let destructive = models["destructive"].as_array().expect("destructive");
        assert_eq!(destructive.len(), 1, "{backend:?}: {destructive:?}");
        assert_eq!(destructive[0]["op_index"], 0);
        assert_eq!(destructive[0]["description"], "drop_table t_bbbb00000002");
        assert!(destructive[0]["reason"].as_str().expect("reason").contains("t_bbbb00000002"));
        assert_eq!(models["warnings"], serde_json::json!([]));

        let diff = document(&project.run(&["diff", "--format", "json"]).await.ok().stdout);
        assert_eq!(diff["dialect"], backend.dialect().name());
        assert_eq!(ops(&diff["ops"]), ["drop_table t_bbbb00000002", "create_table notes"]);
        assert_eq!(diff["destructive"][0]["op_index"], 0);
        let sql = diff["sql"].as_str().expect("sql");
        let text = project.run(&["diff"]).await.ok().stdout;
        assert!(text.ends_with(sql), "the JSON's SQL is the text's:\n{sql}\n---\n{text}");
        assert!(sql.contains("DROP TABLE") && sql.contains("CREATE TABLE"), "{sql}");

        // verify: nothing changed, then an applied file edited, then the edit accepted.
        let verify = document(&project.run(&["verify", "--format", "json"]).await.ok().stdout);
        assert_eq!((verify["accepted"].as_bool(), verify["mismatches"].clone()), (Some(false), serde_json::json!([])));
        let path = project.versions().join("aaaa00000001_create_t_aaaa00000001.toml");
        let edited = std::fs::read_to_string(&path).expect("file").replace("type = \"integer\"", "type = \"bigint\"");
        std::fs::write(&path, edited).expect("edit");
        let verify = project.run(&["verify", "--format", "json"]).await.expect_code(1);
        let verify = document(&verify.stdout);
        assert_eq!(verify["accepted"], false);
        let mismatches = verify["mismatches"].as_array().expect("mismatches");
        assert_eq!(mismatches.len(), 1);
        assert_eq!(mismatches[0]["revision"], "aaaa00000001");
        assert!(mismatches[0]["path"].as_str().expect("path").ends_with("aaaa00000001_create_t_aaaa00000001.toml"));
        let (recorded, now) = (
            mismatches[0]["recorded"].as_str().expect("recorded"),
            mismatches[0]["current"].as_str().expect("current"),
        );
        assert_ne!(recorded, now);
        assert_eq!((recorded.len(), now.len()), (64, 64));
        let accepted = document(&project.run(&["verify", "--accept", "--format", "json"]).await.ok().stdout);
        assert_eq!(accepted["accepted"], true);
        assert_eq!(accepted["database"], url);
        assert_eq!(accepted["mismatches"][0]["current"], now);
        let verify = document(&project.run(&["verify", "--format", "json"]).await.ok().stdout);
        assert_eq!(verify["mismatches"], serde_json::json!([]));

        // Errors stay text on stderr, exit 2, with nothing on stdout.
        let failed = project.run(&["show", "nosuchrev", "--format", "json"]).await.expect_code(2);
        assert_eq!(failed.stdout, "");
        assert!(failed.stderr.starts_with("error: "), "{}", failed.stderr);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn json_of_an_unconfigured_check() {
    let project = Project::new(Backend::Sqlite).await;
    let check = document(&project.run(&["check", "--format", "json"]).await.ok().stdout);
    assert_eq!(check["drift"], false);
    assert_eq!(check["models"]["status"], "not_configured");
}

const ESC: &str = "\x1b[";

#[tokio::test(flavor = "multi_thread")]
async fn color_on_a_terminal_or_when_forced_never_in_a_pipe() {
    let project = drifting(Backend::Sqlite).await;
    project.run(&["upgrade", "head"]).await.ok();
    let drop_red = "\x1b[1;31mdrop_table t_bbbb00000002\x1b[0m";
    let create_green = "\x1b[32mcreate_table notes\x1b[0m";

    // A pipe: no escape codes anywhere.
    let check = project.run(&["check"]).await.expect_code(1);
    assert!(!check.stdout.contains(ESC), "{}", check.stdout);
    assert!(check.stdout.contains("    drop_table t_bbbb00000002\n"), "{}", check.stdout);
    assert!(!project.run(&["diff"]).await.ok().stdout.contains(ESC));
    let failed = project.run(&["show", "nosuchrev"]).await.expect_code(2);
    assert!(failed.stderr.starts_with("error: "), "{}", failed.stderr);

    // Forced (CLICOLOR_FORCE, as CI logs that render color set it): ops by what they do.
    let check = project.run_env(&[("CLICOLOR_FORCE", "1")], &["check"]).await.expect_code(1);
    assert!(check.stdout.contains(drop_red) && check.stdout.contains(create_green), "{:?}", check.stdout);
    let diff = project.run_env(&[("CLICOLOR_FORCE", "1")], &["diff"]).await.ok().stdout;
    assert!(diff.contains("\x1b[1;31m-- DESTRUCTIVE: op 1: "), "{diff:?}");
    assert!(diff.contains("\x1b[1;31m-- drop_table t_bbbb00000002\x1b[0m"), "{diff:?}");
    assert!(diff.contains("\x1b[32m-- create_table notes\x1b[0m"), "{diff:?}");
    let failed = project.run_env(&[("CLICOLOR_FORCE", "1")], &["show", "nosuchrev"]).await.expect_code(2);
    assert!(failed.stderr.starts_with("\x1b[1;31merror:\x1b[0m "), "{:?}", failed.stderr);
    // JSON is for tools: never colored.
    let json = project.run_env(&[("CLICOLOR_FORCE", "1")], &["check", "--format", "json"]).await.expect_code(1);
    assert!(!json.stdout.contains(ESC));
    document(&json.stdout);
    // NO_COLOR wins over everything.
    let check = project.run_env(&[("CLICOLOR_FORCE", "1"), ("NO_COLOR", "1")], &["check"]).await.expect_code(1);
    assert!(!check.stdout.contains(ESC), "{:?}", check.stdout);

    // A terminal.
    let check = project.run_on_terminal(&[], &["check"]).await.expect_code(1);
    assert!(check.stdout.contains(drop_red) && check.stdout.contains(create_green), "{:?}", check.stdout);
    let failed = project.run_on_terminal(&[], &["show", "nosuchrev"]).await.expect_code(2);
    assert!(failed.stdout.starts_with("\x1b[1;31merror:\x1b[0m "), "{:?}", failed.stdout);
    let check = project.run_on_terminal(&[("NO_COLOR", "1")], &["check"]).await.expect_code(1);
    assert!(!check.stdout.contains(ESC), "{:?}", check.stdout);
    assert!(check.stdout.contains("    drop_table t_bbbb00000002\r\n"), "{:?}", check.stdout);
    let dumb = project.run_on_terminal(&[("TERM", "dumb")], &["check"]).await.expect_code(1);
    assert!(!dumb.stdout.contains(ESC), "{:?}", dumb.stdout);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_terminal_shows_which_revision_of_how_many_runs() {
    let project = Project::new(Backend::Sqlite).await;
    write_table_revision(&project, "aaaa00000001", &[]);
    write_table_revision(&project, "bbbb00000002", &["aaaa00000001"]);

    let run = project.run_on_terminal(&[("NO_COLOR", "1")], &["upgrade", "head"]).await.ok();
    let screen = &run.stdout;
    assert!(screen.contains("[1/2] upgrade aaaa00000001, revision aaaa00000001"), "{screen:?}");
    // The status line is erased before the revision's line is written. (Whether the second
    // revision gets one depends on the clock: the line is redrawn ten times a second at most.)
    assert!(screen.contains("\r\x1b[2KRunning upgrade <base> -> aaaa00000001, revision aaaa00000001 ("), "{screen:?}");
    assert!(screen.contains("Running upgrade aaaa00000001 -> bbbb00000002, revision bbbb00000002 ("), "{screen:?}");
    assert!(screen.ends_with(" ms)\r\n"), "nothing is left after the last line: {screen:?}");

    // In a pipe, the same run is one line per revision and nothing else.
    project.run(&["downgrade", "base"]).await.ok();
    let run = project.run(&["upgrade", "head"]).await.ok();
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(lines.len(), 3, "{}", run.stdout);
    assert!(lines[1].starts_with("Running upgrade <base> -> aaaa00000001, revision aaaa00000001 ("));
    assert!(lines[2].starts_with("Running upgrade aaaa00000001 -> bbbb00000002, revision bbbb00000002 ("));
    assert!(!run.stdout.contains('\r') && !run.stdout.contains(ESC));
}

/// The clock beside a run: a revision that runs for three seconds says so in a pipe. (The
/// formatter itself is tested with made-up times; this shows it is wired to a clock.)
#[tokio::test(flavor = "multi_thread")]
async fn a_long_revision_says_it_is_still_running() {
    let project = Project::new(Backend::Postgres).await;
    project.write(
        "aaaa00000001_sleep",
        // Longer than the default statement timeout, so the revision says it takes longer.
        &format!(
            "statement_timeout = \"10s\"\n{}",
            revision("aaaa00000001", &[], "[[upgrade]]\nop = \"sql\"\nsql = \"SELECT pg_sleep(3)\"\n", "")
        ),
    );
    let run = project.run(&["upgrade", "head"]).await.ok();
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert!(lines[1].starts_with("... upgrade aaaa00000001, revision aaaa00000001: running for "), "{}", run.stdout);
    assert!(lines.last().expect("a line").starts_with("Running upgrade <base> -> aaaa00000001"), "{}", run.stdout);
}

#[tokio::test(flavor = "multi_thread")]
async fn completions_and_man_pages_come_from_the_command_definitions() {
    let project = Project::new(Backend::Sqlite).await;
    let verbs = ["upgrade", "downgrade", "history", "check", "diff", "verify", "completions", "man"];
    for (shell, marker) in [
        ("bash", "complete -F _aludel"),
        ("zsh", "#compdef aludel"),
        ("fish", "complete -c aludel"),
        ("elvish", "edit:completion:arg-completer[aludel]"),
        ("powershell", "Register-ArgumentCompleter"),
    ] {
        let script = project.run(&["completions", shell]).await.ok().stdout;
        assert!(script.contains(marker), "{shell}: {script}");
        for word in verbs.iter().chain(&["format", "rev-range"]) {
            assert!(script.contains(word), "{shell} completes {word}");
        }
    }
    let refused = project.run(&["completions", "tcsh"]).await.expect_code(2);
    assert!(refused.stderr.contains("tcsh"), "{}", refused.stderr);

    let page = project.run(&["man"]).await.ok().stdout;
    assert!(page.contains(".TH aludel 1"), "{page}");
    for verb in verbs {
        assert!(page.contains(&format!("aludel\\-{verb}")), "the page lists {verb}");
    }

    let dir = project.dir.path().join("man1");
    let run = project.run(&["man", "--dir", "man1"]).await.ok();
    assert_eq!(run.stdout, "Wrote the man pages to man1\n");
    let mut pages: Vec<String> = std::fs::read_dir(&dir)
        .expect("man1")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    pages.sort();
    assert!(pages.contains(&"aludel.1".to_owned()) && pages.contains(&"aludel-upgrade.1".to_owned()), "{pages:?}");
    let upgrade = std::fs::read_to_string(dir.join("aludel-upgrade.1")).expect("page");
    assert!(upgrade.contains("label@head") && upgrade.contains("\\-\\-sql"), "{upgrade}");

    let file = project.dir.path().join("a-file");
    std::fs::write(&file, "").expect("write");
    let refused = project.run(&["man", "--dir", "a-file"]).await.expect_code(2);
    assert!(refused.stderr.starts_with("error: could not write the man pages to `a-file`"), "{}", refused.stderr);
}

#[tokio::test(flavor = "multi_thread")]
async fn help_shows_the_output_options() {
    let project = Project::new(Backend::Sqlite).await;
    insta::assert_snapshot!("check_help", project.run(&["check", "--help"]).await.ok().stdout);
    insta::assert_snapshot!("completions_help", project.run(&["completions", "--help"]).await.ok().stdout);
}

/// Control sequences a hostile revision file may carry: a window title (OSC), erase display,
/// a C1 CSI and a right-to-left override.
const HOSTILE: &str = r"\u001b]0;owned\u0007\u001b[2J\u009b31m\u202e";

/// What the terminal must never get raw: ESC, BEL, C1's CSI, the override.
#[track_caller]
fn assert_inert(verb: &str, text: &str) {
    for raw in ['\x1b', '\x07', '\u{9b}', '\u{202e}'] {
        assert!(!text.contains(raw), "`{verb}` printed {raw:?} raw:\n{text:?}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn text_from_a_revision_file_cannot_drive_the_terminal() {
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let project = Project::new(backend).await;
        project.write(
            "aaaa00000001_hostile",
            &format!(
                "revision = \"aaaa00000001\"\nmessage = \"users {HOSTILE}\\nmore {HOSTILE}\"\n\n[[upgrade]]\n\
                 op = \"create_table\"\ntable = \"users{HOSTILE}\"\ncolumns = [{{ name = \"id\", type = \"integer\" }}]\n\n\
                 [[upgrade]]\nop = \"sql\"\nsql = \"SELECT '{HOSTILE}' FROM missing{HOSTILE}\"\n"
            ),
        );
        // What the escapes look like: readable, and the same on every verb.
        let visible = r"\u{1b}]0;owned\u{7}\u{1b}[2J\u{9b}31m\u{202e}";
        for args in [
            &["history"][..],
            &["history", "--verbose"],
            &["heads"],
            &["heads", "--verbose"],
            &["show", "aaaa00000001"],
            &["check"],
            &["lint", "--all"],
        ] {
            let run = project.run(args).await;
            assert_inert(&args.join(" "), &run.stdout);
            assert_inert(&args.join(" "), &run.stderr);
            let seen = if args[0] == "lint" { format!("missing{visible}") } else { format!("users {visible}") };
            assert!(run.stdout.contains(&seen), "{args:?}:\n{}", run.stdout);
        }
        let show = project.run(&["show", "aaaa00000001"]).await.ok().stdout;
        assert!(show.contains(&format!("    create_table users{visible}\n")), "{show}");
        // The message's own second line stays a line of its own.
        let verbose = project.run(&["history", "--verbose"]).await.ok().stdout;
        assert!(verbose.contains(&format!("    users {visible}\n    more {visible}\n")), "{verbose}");

        // The failing statement, quoted by aludel and by the database.
        let failed = project.run(&["upgrade", "head"]).await.expect_code(2);
        assert_inert("upgrade head", &failed.stdout);
        assert_inert("upgrade head", &failed.stderr);
        assert!(failed.stderr.contains(&format!("SELECT '{visible}' FROM missing\\u{{1b}}]0")), "{}", failed.stderr);

        // A script for a file is exact; on a terminal it is shown escaped, and says so.
        let script = project.run(&["upgrade", "head", "--sql"]).await.ok().stdout;
        assert!(script.contains("SELECT '\x1b]0;owned\x07"), "{script}");
        let shown = project.run_on_terminal(&[], &["upgrade", "head", "--sql"]).await.ok().stdout;
        assert_inert("upgrade head --sql on a terminal", &shown);
        assert!(shown.starts_with("-- aludel: control characters below are shown as escapes"), "{shown}");
        assert!(shown.contains(&format!("SELECT '{visible}' FROM missing\\u{{1b}}]0")), "{shown}");
        let failed = project.run_on_terminal(&[], &["upgrade", "head"]).await.expect_code(2);
        // Only the colored prefixes are aludel's own codes.
        let text = failed.stdout.replace("\x1b[1;31merror:\x1b[0m", "").replace("\x1b[1;33mcaused by:\x1b[0m", "");
        assert_inert("upgrade head on a terminal", &text);
        assert!(text.contains(&format!("statement: SELECT '{visible}' FROM missing\\u{{1b}}]0")), "{text}");
    }
}
