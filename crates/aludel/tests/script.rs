//! Revision files on disk and the graph they form: real `versions/` folders in a temp dir.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use aludel::ops::Op;
use aludel::script::{
    Direction, NewRevision, Parent, Plan, Revision, RevisionGraph, RevisionId, RevisionSpec, ScriptDirectory,
    ScriptError, Step,
};

/// A script location in a temp dir, with `versions/`.
struct Scripts {
    dir: tempfile::TempDir,
    directory: ScriptDirectory,
}

impl Scripts {
    fn new() -> Scripts {
        let dir = tempfile::tempdir().expect("temp dir");
        let directory = ScriptDirectory::new(&dir.path().join("migrations"));
        directory.init().expect("create versions/");
        Scripts { dir, directory }
    }

    /// Writes `versions/<name>` verbatim.
    fn file(&self, name: &str, text: &str) -> PathBuf {
        let path = self.directory.versions_dir().join(name);
        fs::write(&path, text).expect("write revision file");
        path
    }

    /// Writes a revision through [`ScriptDirectory::write`]; `extra` is applied first.
    fn revision(&self, id: &str, parents: &str, extra: impl FnOnce(&mut NewRevision)) -> PathBuf {
        let mut revision = NewRevision {
            id: RevisionId::parse(id).unwrap(),
            down_revisions: ids(parents),
            message: format!("revision {id}"),
            created: "2026-11-22T10:00:00Z".to_owned(),
            branch_labels: Vec::new(),
            depends_on: Vec::new(),
            transactional: true,
            upgrade: Vec::new(),
            downgrade: Vec::new(),
            downgrade_written: false,
            notes: Default::default(),
        };
        extra(&mut revision);
        self.directory.write(&revision).expect("write revision")
    }

    fn load(&self) -> Result<RevisionGraph, ScriptError> {
        self.directory.load()
    }

    /// `text` with the temp dir's path replaced by `<dir>`, for stable messages.
    fn redact(&self, text: &str) -> String {
        text.replace(&self.dir.path().display().to_string(), "<dir>")
    }
}

fn ids(text: &str) -> Vec<RevisionId> {
    text.split_whitespace().map(|id| RevisionId::parse(id).unwrap()).collect()
}

fn id(text: &str) -> RevisionId {
    RevisionId::parse(text).unwrap()
}

fn join<'a>(ids: impl IntoIterator<Item = &'a RevisionId>) -> String {
    ids.into_iter().map(RevisionId::as_str).collect::<Vec<_>>().join(" ")
}

fn steps(plan: &Plan) -> String {
    join(plan.steps.iter().map(|step| &step.revision))
}

fn ops(toml_text: &str) -> Vec<Op> {
    #[derive(serde::Deserialize)]
    struct Ops {
        upgrade: Vec<Op>,
    }
    toml::from_str::<Ops>(toml_text).expect("valid ops").upgrade
}

/// Runs `plan` step by step as the runner does and returns the heads after each step.
fn heads_along(graph: &RevisionGraph, start: &[RevisionId], plan: &Plan) -> Vec<String> {
    let mut heads = start.to_vec();
    plan.steps
        .iter()
        .map(|step| {
            heads = graph.heads_after(&heads, step);
            join(&heads)
        })
        .collect()
}

/// `a1 <- b2 <- c3 <- d4`, each with an op, written as files by hand.
fn linear() -> Scripts {
    let scripts = Scripts::new();
    let mut parent: Option<&str> = None;
    for (id, table) in [("a1", "t_a"), ("b2", "t_b"), ("c3", "t_c"), ("d4", "t_d")] {
        let down = parent.map(|p| format!("down_revision = \"{p}\"\n")).unwrap_or_default();
        scripts.file(
            &format!("{id}_create_{table}.toml"),
            &format!(
                "revision = \"{id}\"\n{down}message = \"create {table}\"\n\n\
                 [[upgrade]]\nop = \"create_table\"\ntable = \"{table}\"\ncolumns = [{{ name = \"id\", type = \"bigint\" }}]\n\n\
                 [[downgrade]]\nop = \"drop_table\"\ntable = \"{table}\"\n"
            ),
        );
        parent = Some(id);
    }
    scripts
}

#[test]
fn linear_chain_upgrade_targets() {
    let graph = linear().load().unwrap();
    assert_eq!(graph.len(), 4);
    assert_eq!(join(graph.heads()), "d4");
    assert_eq!(join(graph.bases()), "a1");
    let a1 = graph.get(&id("a1")).unwrap();
    assert_eq!(a1.message, "create t_a");
    assert!(a1.path.ends_with("versions/a1_create_t_a.toml"));
    assert_eq!(a1.upgrade.len(), 1);
    assert_eq!(a1.downgrade.len(), 1);

    let cases: &[(&str, &str, &str)] = &[
        ("", "head", "a1 b2 c3 d4"),
        ("", "heads", "a1 b2 c3 d4"),
        ("b2", "head", "c3 d4"),
        ("d4", "head", ""),
        ("", "+1", "a1"),
        ("a1", "+2", "b2 c3"),
        ("", "c", "a1 b2 c3"),
        ("", "c3", "a1 b2 c3"),
        ("a1", "b2+1", "b2 c3"),
        ("", "head-1", "a1 b2 c3"),
        ("d4", "b2", ""),
    ];
    for &(current, target, expected) in cases {
        let plan = graph.plan_upgrade(&ids(current), target).unwrap();
        assert_eq!(steps(&plan), expected, "{current:?} -> {target}");
        assert!(plan.steps.iter().all(|s| s.direction == Direction::Up));
    }
    let plan = graph.plan_upgrade(&[], "head").unwrap();
    assert_eq!(heads_along(&graph, &[], &plan), ["a1", "b2", "c3", "d4"]);
}

#[test]
fn linear_chain_downgrade_targets() {
    let graph = linear().load().unwrap();
    let cases: &[(&str, &str, &str)] = &[
        ("d4", "base", "d4 c3 b2 a1"),
        ("d4", "-1", "d4"),
        ("d4", "-3", "d4 c3 b2"),
        ("d4", "b2", "d4 c3"),
        ("d4", "b", "d4 c3"),
        ("d4", "d4-1", "d4"),
        ("d4", "head-2", "d4 c3"),
        ("c3", "c3", ""),
        ("", "base", ""),
    ];
    for &(current, target, expected) in cases {
        let plan = graph.plan_downgrade(&ids(current), target).unwrap();
        assert_eq!(steps(&plan), expected, "{current:?} -> {target}");
        assert!(plan.steps.iter().all(|s| s.direction == Direction::Down));
    }
    let plan = graph.plan_downgrade(&ids("d4"), "base").unwrap();
    assert_eq!(heads_along(&graph, &ids("d4"), &plan), ["c3", "b2", "a1", ""]);
    assert!(matches!(
        graph.plan_downgrade(&ids("d4"), "-5"),
        Err(ScriptError::RelativeOutOfRange { steps: 5, available: 4, .. })
    ));
    assert!(matches!(graph.plan_downgrade(&ids("b2"), "c3"), Err(ScriptError::NotApplied { .. })));
}

#[test]
fn linear_chain_stamp_and_applied() {
    let graph = linear().load().unwrap();
    let applied = graph.applied(&ids("c3")).unwrap();
    assert_eq!(join(&applied), "a1 b2 c3");
    let cases: &[(&str, &str, bool, &str)] = &[
        ("", "head", false, "d4"),
        ("d4", "base", false, ""),
        ("d4", "b2", false, "b2"),
        ("b2", "d4", false, "d4"),
        ("d4", "-2", false, "b2"),
        ("b2", "+1", false, "c3"),
        ("zz", "c3", true, "c3"),
        ("zz", "heads", true, "d4"),
    ];
    for &(current, target, purge, expected) in cases {
        let heads = graph.stamp_heads(&ids(current), target, purge).unwrap();
        assert_eq!(join(&heads), expected, "stamp {current:?} {target} purge={purge}");
    }
    assert!(matches!(graph.stamp_heads(&ids("zz"), "c3", false), Err(ScriptError::UnknownCurrent { .. })));
}

/// `r0 <- r1`, then branches `alpha` (`a1 <- a2`) and `beta` (`b1 <- b2`) from `r1`,
/// merged by `m1`, then `t1`. Written through `ScriptDirectory::write`.
fn branched_and_merged(merged: bool) -> Scripts {
    let scripts = Scripts::new();
    scripts.revision("r0", "", |_| {});
    scripts.revision("r1", "r0", |_| {});
    scripts.revision("a1", "r1", |r| r.branch_labels = vec!["alpha".to_owned()]);
    scripts.revision("a2", "a1", |_| {});
    scripts.revision("b1", "r1", |r| r.branch_labels = vec!["beta".to_owned()]);
    scripts.revision("b2", "b1", |_| {});
    if merged {
        scripts.revision("m1", "a2 b2", |r| r.message = "merge a2, b2".to_owned());
        scripts.revision("t1", "m1", |_| {});
    }
    scripts
}

#[test]
fn branches_with_labels() {
    let graph = branched_and_merged(false).load().unwrap();
    assert_eq!(join(graph.heads()), "a2 b2");
    assert_eq!(join(graph.branch_points()), "r1");
    assert_eq!(join(graph.children(&id("r1"))), "a1 b1");
    assert_eq!(graph.label("beta"), Some(&id("b1")));
    assert!(
        matches!(graph.plan_upgrade(&[], "head"), Err(ScriptError::MultipleHeads { heads }) if heads == ids("a2 b2"))
    );

    let up: &[(&str, &str, &str)] = &[
        ("", "heads", "r0 r1 a1 a2 b1 b2"),
        ("", "alpha@head", "r0 r1 a1 a2"),
        ("", "beta@head", "r0 r1 b1 b2"),
        ("", "beta", "r0 r1 b1"),
        ("a2", "beta@+1", "b1"),
        ("a2", "beta@+2", "b1 b2"),
        ("a1 b1", "alpha@+1", "a2"),
        ("r1", "a1+1", "a1 a2"),
    ];
    for &(current, target, expected) in up {
        assert_eq!(steps(&graph.plan_upgrade(&ids(current), target).unwrap()), expected, "up {current:?} {target}");
    }
    let down: &[(&str, &str, &str)] = &[
        ("a2 b2", "r1", "b2 b1 a2 a1"),
        ("a2 b2", "alpha@-1", "a2"),
        ("a2 b2", "beta@-2", "b2 b1"),
        ("a2 b2", "beta@base", "b2 b1"),
        ("a2 b2", "a1", "a2"),
    ];
    for &(current, target, expected) in down {
        assert_eq!(steps(&graph.plan_downgrade(&ids(current), target).unwrap()), expected, "down {current:?} {target}");
    }
    assert!(
        matches!(graph.plan_upgrade(&ids("r1"), "+1"), Err(ScriptError::AmbiguousStep { choices, .. }) if choices == ids("a1 b1"))
    );
    assert!(matches!(graph.plan_downgrade(&ids("a2 b2"), "-1"), Err(ScriptError::AmbiguousCurrent { .. })));

    let stamps: &[(&str, &str, bool, &str)] = &[
        ("a2 b2", "a1", false, "a1 b2"),
        ("a2 b2", "a1", true, "a1"),
        ("a2", "beta@head", false, "a2 b2"),
        ("a2 b2", "alpha@-1", false, "a1 b2"),
    ];
    for &(current, target, purge, expected) in stamps {
        assert_eq!(join(&graph.stamp_heads(&ids(current), target, purge).unwrap()), expected, "stamp {target}");
    }
}

#[test]
fn heads_through_a_branch_and_a_merge() {
    let graph = branched_and_merged(true).load().unwrap();
    assert_eq!(join(graph.heads()), "t1");
    let m1 = graph.get(&id("m1")).unwrap();
    assert!(m1.is_merge());
    assert_eq!(join(&m1.down_revisions), "a2 b2");

    let plan = graph.plan_upgrade(&[], "head").unwrap();
    assert_eq!(steps(&plan), "r0 r1 a1 a2 b1 b2 m1 t1");
    assert_eq!(heads_along(&graph, &[], &plan), ["r0", "r1", "a1", "a2", "a2 b1", "a2 b2", "m1", "t1"]);

    // Only one branch applied: reaching the merge pulls in the other branch.
    let plan = graph.plan_upgrade(&ids("a2"), "m1").unwrap();
    assert_eq!(steps(&plan), "b1 b2 m1");
    assert_eq!(heads_along(&graph, &ids("a2"), &plan), ["a2 b1", "a2 b2", "m1"]);

    let plan = graph.plan_downgrade(&ids("t1"), "-2").unwrap();
    assert_eq!(steps(&plan), "t1 m1");
    assert_eq!(heads_along(&graph, &ids("t1"), &plan), ["m1", "a2 b2"]);

    let plan = graph.plan_downgrade(&ids("t1"), "b1").unwrap();
    assert_eq!(steps(&plan), "t1 m1 b2");
    assert_eq!(heads_along(&graph, &ids("t1"), &plan), ["m1", "a2 b2", "a2 b1"]);

    let plan = graph.plan_downgrade(&ids("t1"), "base").unwrap();
    assert_eq!(heads_along(&graph, &ids("t1"), &plan).last().map(String::as_str), Some(""));
    assert!(matches!(graph.plan_downgrade(&ids("t1"), "-3"), Err(ScriptError::AmbiguousStep { .. })));
    assert_eq!(graph.resolve("alpha@head").unwrap(), id("t1"));
}

#[test]
fn depends_on_orders_and_reverts_across_branches() {
    let scripts = Scripts::new();
    scripts.revision("x1", "", |_| {});
    scripts.revision("x2", "x1", |_| {});
    scripts.revision("y1", "", |r| {
        r.depends_on = ids("x2");
        r.branch_labels = vec!["reports".to_owned()];
    });
    scripts.revision("y2", "y1", |_| {});
    let graph = scripts.load().unwrap();
    assert_eq!(graph.get(&id("y1")).unwrap().depends_on, ids("x2"));
    assert_eq!(join(graph.heads()), "x2 y2");
    assert_eq!(join(&graph.applied(&ids("y1")).unwrap()), "x1 x2 y1");

    let plan = graph.plan_upgrade(&[], "reports@head").unwrap();
    assert_eq!(steps(&plan), "x1 x2 y1 y2");
    assert_eq!(heads_along(&graph, &[], &plan), ["x1", "x2", "x2 y1", "x2 y2"]);

    // Reverting x2 reverts what depends on it first.
    let plan = graph.plan_downgrade(&ids("x2 y2"), "x1").unwrap();
    assert_eq!(steps(&plan), "y2 y1 x2");
    assert_eq!(heads_along(&graph, &ids("x2 y2"), &plan), ["x2 y1", "x2", "x1"]);
}

#[test]
fn history_ranges() {
    let graph = branched_and_merged(true).load().unwrap();
    let cases: &[(Option<&str>, &str)] = &[
        (None, "t1 m1 b2 b1 a2 a1 r1 r0"),
        (Some("base:head"), "t1 m1 b2 b1 a2 a1 r1 r0"),
        (Some("base:heads"), "t1 m1 b2 b1 a2 a1 r1 r0"),
        (Some(":r1"), "r1 r0"),
        (Some("a1:"), "t1 m1 a2 a1"),
        (Some("a1:m1"), "m1 a2 a1"),
        (Some("a:m"), "!AmbiguousPrefix"),
        (Some("a2:m"), "m1 a2"),
        (Some("beta:beta"), "b1"),
        (Some("head:"), "t1"),
        (Some("a1:b1"), "!InvalidTarget"),
        (Some("r1"), "!InvalidTarget"),
    ];
    for &(range, expected) in cases {
        let got = match graph.history(range) {
            Ok(revisions) => join(revisions.iter().map(|r| &r.id)),
            Err(err) => format!("!{}", format!("{err:?}").split([' ', '{']).next().unwrap()),
        };
        assert_eq!(got, expected, "{range:?}");
    }
}

#[test]
fn new_revision_files_round_trip() {
    let scripts = Scripts::new();
    let upgrade = ops(r#"
        [[upgrade]]
        op = "create_table"
        table = "users"
        columns = [
          { name = "id", type = "bigint", nullable = false, identity = true },
          { name = "email", type = "varchar(255)", nullable = false },
          { name = "active", type = "boolean", nullable = false, default = { value = true } },
          { name = "score", type = "double", default = { value = 1.5 } },
          { name = "created_at", type = "timestamptz", nullable = false, default = { expr = "current_timestamp" } },
        ]
        primary_key = ["id"]

        [[upgrade]]
        op = "create_index"
        table = "users"
        name = "ix_users_email"
        columns = ["email", { expr = "lower(email)" }]
        unique = true
        where = "active"

        [[upgrade]]
        op = "add_constraint"
        table = "users"
        constraint = { kind = "foreign_key", name = "users_team_fkey", columns = ["team_id"], references = { table = "teams", columns = ["id"] }, on_delete = "cascade" }

        [[upgrade]]
        op = "sql"
        sql = """
INSERT INTO users (email) VALUES ('admin@example.com');
UPDATE users SET "active" = true;"""
        down = "DELETE FROM users WHERE email = 'admin@example.com'"
        dialect = "postgresql"
    "#);
    let downgrade = aludel::ops::downgrade_of(&upgrade).expect("reversible");
    let new = NewRevision {
        id: id("3f2a9c1b7d04"),
        down_revisions: ids("1a2b3c4d5e6f 9e8d7c6b5a40"),
        message: "Create \"users\" table".to_owned(),
        created: "2026-11-22T10:00:00Z".to_owned(),
        branch_labels: vec!["accounts".to_owned()],
        depends_on: ids("0c0ffee"),
        transactional: false,
        upgrade: upgrade.clone(),
        downgrade: downgrade.clone(),
        downgrade_written: false,
        notes: Default::default(),
    };
    let text = new.to_toml();
    insta::assert_snapshot!("new_revision_with_ops", text);

    for parent in ["1a2b3c4d5e6f", "9e8d7c6b5a40", "0c0ffee"] {
        scripts.revision(parent, "", |_| {});
    }
    let path = scripts.directory.write(&new).unwrap();
    assert_eq!(path.file_name().unwrap(), "3f2a9c1b7d04_create_users_table.toml");
    let graph = scripts.load().unwrap();
    let read = graph.get(&new.id).unwrap();
    assert_eq!(read.upgrade, upgrade);
    assert_eq!(read.downgrade, downgrade);
    assert_eq!(read.message, new.message);
    assert_eq!(read.created.as_deref(), Some("2026-11-22T10:00:00Z"));
    assert_eq!(read.down_revisions, new.down_revisions);
    assert_eq!(read.depends_on, new.depends_on);
    assert_eq!(read.branch_labels, new.branch_labels);
    assert!(!read.transactional);
    let written = aludel::script::Revision::parse(&text, &path).unwrap();
    assert_eq!(read.checksum(), written.checksum());
}

#[test]
fn new_revision_without_ops_shows_an_example() {
    let scripts = Scripts::new();
    let new = NewRevision {
        id: id("1a2b3c4d5e6f"),
        down_revisions: Vec::new(),
        message: "add age to users".to_owned(),
        created: "2026-11-22T10:00:00Z".to_owned(),
        branch_labels: Vec::new(),
        depends_on: Vec::new(),
        transactional: true,
        upgrade: Vec::new(),
        downgrade: Vec::new(),
        downgrade_written: false,
        notes: Default::default(),
    };
    let text = new.to_toml();
    insta::assert_snapshot!("new_revision_without_ops", text);
    let path = scripts.directory.write(&new).unwrap();
    let read = scripts.load().unwrap().revisions()[0].clone();
    assert!(read.upgrade.is_empty() && read.downgrade.is_empty() && read.is_base());

    // Uncommenting the examples' TOML lines gives a valid revision (prose quotes TOML in
    // backticks, which the examples' lines never hold).
    let uncommented: Vec<&str> = text
        .lines()
        .filter_map(|line| match line.strip_prefix("# ") {
            Some(rest) if rest.starts_with('[') || (rest.contains(" = ") && !rest.contains('`')) => Some(rest),
            Some(_) => None,
            None => Some(line),
        })
        .collect();
    fs::write(&path, uncommented.join("\n")).unwrap();
    let read = scripts.load().unwrap().revisions()[0].clone();
    assert_eq!(read.upgrade.len(), 1);
    assert_eq!(read.downgrade.len(), 1);

    // Only downgrade ops: the upgrade example stays a comment and the file still parses.
    let mut only_down = new.clone();
    only_down.id = id("b2");
    only_down.down_revisions = ids("1a2b3c4d5e6f");
    only_down.downgrade = read.downgrade.clone();
    scripts.directory.write(&only_down).unwrap();
    let graph = scripts.load().unwrap();
    assert_eq!(graph.get(&id("b2")).unwrap().downgrade, read.downgrade);
}

#[test]
fn write_refuses_to_overwrite() {
    let scripts = Scripts::new();
    let path = scripts.revision("a1", "", |_| {});
    let before = fs::read_to_string(&path).unwrap();
    let again = NewRevision {
        id: id("a1"),
        down_revisions: Vec::new(),
        message: "revision a1".to_owned(),
        created: "later".to_owned(),
        branch_labels: Vec::new(),
        depends_on: Vec::new(),
        transactional: true,
        upgrade: Vec::new(),
        downgrade: Vec::new(),
        downgrade_written: false,
        notes: Default::default(),
    };
    let err = scripts.directory.write(&again).unwrap_err();
    assert!(matches!(&err, ScriptError::FileExists { path: p } if *p == path), "{err:?}");
    assert_eq!(fs::read_to_string(&path).unwrap(), before);
}

#[test]
fn load_skips_other_files_and_sorts_by_name() {
    let scripts = linear();
    scripts.file("README.md", "not a revision");
    scripts.file(".#a1_create_t_a.toml", "garbage =");
    scripts.file("a1_create_t_a.toml~", "garbage =");
    fs::create_dir(scripts.directory.versions_dir().join("sub.toml")).unwrap();
    let graph = scripts.load().unwrap();
    assert_eq!(graph.len(), 4);
}

#[test]
fn an_unknown_op_reports_its_line() {
    let scripts = Scripts::new();
    let path = scripts.file(
        "a1_x.toml",
        "revision = \"a1\"\nmessage = \"x\"\n\n[[upgrade]]\ntable = \"users\"\n\n\
         op = \"add_columns\"\n",
    );
    let err = scripts.load().unwrap_err();
    match &err {
        ScriptError::Parse { path: p, line, column, message } => {
            assert_eq!(p, &path);
            assert_eq!((*line, *column), (7, 6));
            assert!(message.starts_with("unknown op `add_columns`, expected one of"), "{message}");
        }
        other => panic!("expected a parse error, got {other:?}"),
    }
    // An unknown field inside an op points at the field, not at `[[upgrade]]`.
    scripts.file(
        "a1_x.toml",
        "revision = \"a1\"\n\n[[upgrade]]\nop = \"drop_table\"\ntable = \"users\"\ncascade = true\n",
    );
    assert!(matches!(scripts.load(), Err(ScriptError::Parse { line: 6, column: 1, .. })));
}

/// Every error variant, through files where they come from files.
#[test]
fn every_error() {
    use ScriptError as E;
    let mut messages = Vec::new();
    let mut record = |scripts: &Scripts, err: &ScriptError| messages.push(scripts.redact(&err.to_string()));

    // Files and folders.
    let scripts = Scripts::new();
    let missing = ScriptDirectory::new(&scripts.dir.path().join("nowhere"));
    let err = missing.load().unwrap_err();
    assert!(matches!(&err, E::NoVersionsDir { path } if path.ends_with("nowhere/versions")));
    record(&scripts, &err);
    assert!(matches!(
        missing.write(&NewRevision {
            id: id("a1"),
            down_revisions: vec![],
            message: String::new(),
            created: String::new(),
            branch_labels: vec![],
            depends_on: vec![],
            transactional: true,
            upgrade: vec![],
            downgrade: vec![],
            downgrade_written: false,
            notes: Default::default(),
        }),
        Err(E::NoVersionsDir { .. })
    ));
    fs::create_dir_all(scripts.dir.path().join("file")).unwrap();
    fs::write(scripts.dir.path().join("file/versions"), "").unwrap();
    let err = ScriptDirectory::new(&scripts.dir.path().join("file")).load().unwrap_err();
    assert!(matches!(err, E::Io { .. }), "{err:?}");

    let bad = |name: &str, text: &str| {
        let scripts = Scripts::new();
        scripts.file(name, text);
        let err = scripts.load().unwrap_err();
        (scripts, err)
    };
    let (s, err) = bad("a1_x.toml", "revision = \"a1\"\nmessage = [\n");
    assert!(matches!(err, E::Parse { line: 2, .. }), "{err:?}");
    record(&s, &err);
    let (s, err) = bad("a1_x.toml", "message = \"no id\"\n");
    assert!(matches!(err, E::MissingField { field: "revision", .. }), "{err:?}");
    record(&s, &err);
    let (s, err) = bad("a1_x.toml", "revision = \"b2\"\n");
    assert!(
        matches!(&err, E::RevisionMismatch { revision, file_prefix, .. } if revision.as_str() == "b2" && file_prefix == "a1")
    );
    record(&s, &err);
    assert!(matches!(RevisionId::parse("a-1"), Err(E::InvalidRevisionId { .. })));
    record(&s, &RevisionId::parse("a-1").unwrap_err());

    // The graph.
    let scripts = Scripts::new();
    scripts.file("a1_one.toml", "revision = \"a1\"\n");
    scripts.file("a1_two.toml", "revision = \"a1\"\n");
    let err = scripts.load().unwrap_err();
    assert!(matches!(&err, E::DuplicateRevision { first, second, .. }
        if first.ends_with("a1_one.toml") && second.ends_with("a1_two.toml")));
    record(&scripts, &err);
    let (s, err) = bad("b2_x.toml", "revision = \"b2\"\ndown_revision = \"a1\"\n");
    assert!(matches!(&err, E::MissingParent { rev, parent, .. } if rev.as_str() == "b2" && parent.as_str() == "a1"));
    record(&s, &err);
    let (s, err) = bad("b2_x.toml", "revision = \"b2\"\ndepends_on = \"a1\"\n");
    assert!(matches!(err, E::MissingDependency { .. }));
    record(&s, &err);
    let scripts = Scripts::new();
    scripts.file("a1_x.toml", "revision = \"a1\"\ndown_revision = \"b2\"\n");
    scripts.file("b2_x.toml", "revision = \"b2\"\ndown_revision = \"a1\"\n");
    let err = scripts.load().unwrap_err();
    assert!(matches!(&err, E::Cycle { revisions } if *revisions == ids("a1 b2")));
    record(&scripts, &err);
    let scripts = Scripts::new();
    scripts.file("a1_x.toml", "revision = \"a1\"\nbranch_labels = [\"x\"]\n");
    scripts.file("b2_x.toml", "revision = \"b2\"\nbranch_labels = \"x\"\n");
    let err = scripts.load().unwrap_err();
    assert!(matches!(&err, E::DuplicateLabel { label, .. } if label == "x"));
    record(&scripts, &err);

    // Targets.
    let scripts = branched_and_merged(false);
    let graph = scripts.load().unwrap();
    type Check = fn(&ScriptError) -> bool;
    let checks: Vec<(Result<Plan, ScriptError>, Check)> = vec![
        (graph.plan_upgrade(&[], "base"), |e| matches!(e, E::InvalidTarget { .. })),
        (graph.plan_upgrade(&[], "zz"), |e| matches!(e, E::UnknownRevision { target } if target == "zz")),
        (
            graph.plan_upgrade(&[], "a"),
            |e| matches!(e, E::AmbiguousPrefix { candidates, .. } if *candidates == ids("a1 a2")),
        ),
        (graph.plan_upgrade(&[], "head"), |e| matches!(e, E::MultipleHeads { .. })),
        (graph.plan_upgrade(&[], "gamma@head"), |e| matches!(e, E::UnknownLabel { label } if label == "gamma")),
        (graph.plan_upgrade(&ids("zz"), "heads"), |e| matches!(e, E::UnknownCurrent { rev } if rev.as_str() == "zz")),
        (graph.plan_upgrade(&ids("a2"), "+1"), |e| matches!(e, E::RelativeOutOfRange { .. })),
        (graph.plan_upgrade(&ids("r1"), "+1"), |e| matches!(e, E::AmbiguousStep { .. })),
        (graph.plan_upgrade(&ids("a1 b1"), "+1"), |e| matches!(e, E::AmbiguousCurrent { .. })),
        (graph.plan_downgrade(&ids("a1"), "a2"), |e| matches!(e, E::NotApplied { rev, .. } if rev.as_str() == "a2")),
        (graph.plan_downgrade(&ids("a2"), "alpha@-5"), |e| matches!(e, E::RelativeOutOfRange { .. })),
        (graph.plan_upgrade(&[], "alpha@a3"), |e| matches!(e, E::UnknownRevision { .. })),
        (graph.plan_upgrade(&[], "alpha@b1"), |e| matches!(e, E::InvalidTarget { .. })),
        (graph.plan_upgrade(&[], "alpha@"), |e| matches!(e, E::InvalidTarget { .. })),
        (NewRevision::child(&graph, &Parent::Head, &RevisionSpec::default()).map(|_| Plan::default()), |e| {
            matches!(e, E::ParentNotChosen { .. })
        }),
    ];
    for (result, expected) in checks {
        let err = result.unwrap_err();
        assert!(expected(&err), "{err:?}");
        record(&scripts, &err);
    }
    let err = RevisionGraph::default().resolve("head").unwrap_err();
    assert!(matches!(err, E::NoRevisions { .. }));
    record(&scripts, &err);
    let err = scripts.directory.write(&NewRevision {
        id: id("a1"),
        down_revisions: ids("r1"),
        message: "revision a1".to_owned(),
        created: String::new(),
        branch_labels: vec![],
        depends_on: vec![],
        transactional: true,
        upgrade: vec![],
        downgrade: vec![],
        downgrade_written: false,
        notes: Default::default(),
    });
    let err = err.unwrap_err();
    assert!(matches!(err, E::FileExists { .. }));
    record(&scripts, &err);
    let err = scripts.directory.write(&NewRevision {
        id: id("c1"),
        down_revisions: ids("r1"),
        message: "gamma".to_owned(),
        created: String::new(),
        branch_labels: vec!["gamma@x".to_owned()],
        depends_on: vec![],
        transactional: true,
        upgrade: vec![],
        downgrade: vec![],
        downgrade_written: false,
        notes: Default::default(),
    });
    let err = err.unwrap_err();
    assert!(matches!(&err, E::InvalidLabel { label, .. } if label == "gamma@x"));
    assert!(!scripts.directory.versions_dir().join("c1_gamma.toml").exists());
    record(&scripts, &err);

    insta::assert_snapshot!("error_messages", messages.join("\n"));
}

#[test]
fn step_and_plan_are_plain_data() {
    let step = Step { revision: id("a1"), direction: Direction::Up };
    let plan = Plan { steps: vec![step.clone()] };
    assert_eq!(plan.steps[0], step);
    assert_eq!(Plan::default().steps.len(), 0);
}

#[test]
fn revisions_can_be_parsed_from_embedded_text() {
    let text = "revision = \"a1\"\nmessage = \"embedded\"\n";
    let revision = Revision::parse(text, Path::new("a1_embedded.toml")).unwrap();
    let graph = RevisionGraph::from_revisions(vec![revision]).unwrap();
    assert_eq!(graph.resolve("head").unwrap(), id("a1"));
}

/// `aludel current` on a 1,000-revision chain must start in a few milliseconds: loading is
/// one parse per file and linear graph work.
#[test]
fn loading_a_thousand_revisions_is_fast() {
    let scripts = Scripts::new();
    let count = 1000;
    let names: Vec<String> = (0..count).map(|i| format!("r{i:04}")).collect();
    for (i, name) in names.iter().enumerate() {
        let down = if i == 0 { String::new() } else { format!("down_revision = \"{}\"\n", names[i - 1]) };
        scripts.file(
            &format!("{name}_add_column_{i}.toml"),
            &format!(
                "revision = \"{name}\"\n{down}message = \"add column {i}\"\ncreated = \"2026-11-22T10:00:00Z\"\n\n\
                 [[upgrade]]\nop = \"add_column\"\ntable = \"users\"\ncolumn = {{ name = \"c{i}\", type = \"integer\", nullable = true }}\n\n\
                 [[downgrade]]\nop = \"drop_column\"\ntable = \"users\"\ncolumn = \"c{i}\"\n"
            ),
        );
    }
    // Warm the page cache, as a real run would find it.
    scripts.load().unwrap();
    let started = Instant::now();
    let graph = scripts.load().unwrap();
    let head = graph.resolve("head").unwrap();
    let applied = graph.applied(std::slice::from_ref(&head)).unwrap();
    let elapsed = started.elapsed();
    assert_eq!(applied.len(), count);
    assert_eq!(graph.history(None).unwrap().len(), count);
    eprintln!("loaded {count} revisions in {elapsed:?}");
    // Debug builds are several times slower than release; this still catches quadratic work.
    assert!(elapsed < Duration::from_millis(if cfg!(debug_assertions) { 400 } else { 40 }), "{elapsed:?}");
}
