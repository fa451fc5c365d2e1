//! Writing new revision files: [`NewRevision`] (what `aludel revision` and `aludel merge`
//! create, with its parents resolved against the graph) and its TOML text.
//!
//! The text is written by hand rather than by `toml`'s serializer so that a file reads well:
//! header keys first, `op` first in each table, one line per column of `create_table`, and
//! autogenerate's notes as comments above the ops they concern.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use crate::diff::Diff;
use crate::ops::{ColumnRef, Op};
use crate::schema::{Column, ColumnType};
use crate::script::{RevisionGraph, RevisionId, ScriptError, check_label};

/// Which revision a new one follows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Parent {
    /// The single head (none while the graph is empty).
    #[default]
    Head,
    /// None: the revision starts a new base.
    Base,
    /// A head, by id, prefix, label or `label@head`.
    Revision(String),
    /// Any revision, starting a branch there when it is not a head.
    Splice(String),
}

impl Parent {
    /// Reads `aludel revision --head TARGET [--splice]`: `head`, `base`, or a revision.
    pub fn from_target(target: &str, splice: Splice) -> Parent {
        match (target, splice) {
            ("head", _) => Parent::Head,
            ("base", _) => Parent::Base,
            (other, Splice::Allowed) => Parent::Splice(other.to_owned()),
            (other, Splice::HeadsOnly) => Parent::Revision(other.to_owned()),
        }
    }
}

/// Whether a new revision may follow a revision that is not a head.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Splice {
    /// Only heads (a revision that is not one is an error).
    #[default]
    HeadsOnly,
    /// Any revision: a new branch starts there.
    Allowed,
}

/// What a new revision says about itself, besides its parents and ops.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RevisionSpec {
    /// What it does; also names the file. A merge without one is called `merge <parents>`.
    pub message: String,
    /// Its id; a random one when `None`.
    pub id: Option<String>,
    /// Labels for the branch it starts.
    pub branch_labels: Vec<String>,
    /// Revisions on other branches that must be applied first (ids, prefixes or labels).
    pub depends_on: Vec<String>,
}

/// A revision to write: what `aludel revision` and `aludel merge` create.
#[derive(Debug, Clone, PartialEq)]
pub struct NewRevision {
    /// Its id.
    pub id: RevisionId,
    /// Its parents (none for the first revision, several for a merge).
    pub down_revisions: Vec<RevisionId>,
    /// What it does.
    pub message: String,
    /// Creation time, e.g. `2026-11-22T10:00:00Z`.
    pub created: String,
    /// Branch labels (usually none).
    pub branch_labels: Vec<String>,
    /// Revisions it depends on (usually none).
    pub depends_on: Vec<RevisionId>,
    /// Whether it runs in one transaction.
    pub transactional: bool,
    /// Upgrade ops.
    pub upgrade: Vec<Op>,
    /// Downgrade ops.
    pub downgrade: Vec<Op>,
    /// Whether an empty `downgrade` means "nothing to undo", written `downgrade = []`, rather
    /// than "not written yet", written as a commented example (which downgrade refuses when
    /// the upgrade has ops). Ops are written either way.
    pub downgrade_written: bool,
    /// Comments for the reader of the file (autogenerate's warnings and destructive ops).
    pub notes: RevisionNotes,
}

/// Comments written into a new revision file; they do not change what it does or its checksum.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RevisionNotes {
    /// Lines written after the header (one `# ` comment each).
    pub header: Vec<String>,
    /// Lines written above an upgrade op, by the op's 0-based index.
    pub upgrade: BTreeMap<usize, Vec<String>>,
}

impl NewRevision {
    /// A revision without ops that follows `parent` in `graph`, created now. Fill it with
    /// [`NewRevision::with_diff`] or by setting its ops.
    ///
    /// # Errors
    ///
    /// [`ScriptError::NotAHead`] for a [`Parent::Revision`] that is not a head,
    /// [`ScriptError::RevisionExists`] when the id is taken, and the target errors of
    /// [`RevisionGraph::resolve`] (unknown revision, several heads, ...).
    ///
    /// # Examples
    ///
    /// ```
    /// use aludel::script::{NewRevision, Parent, RevisionGraph, RevisionSpec};
    ///
    /// let graph = RevisionGraph::from_revisions(Vec::new())?;
    /// let spec = RevisionSpec { message: "create users".into(), id: Some("a1".into()), ..Default::default() };
    /// let revision = NewRevision::child(&graph, &Parent::Head, &spec)?;
    /// assert_eq!(revision.file_name(), "a1_create_users.toml");
    /// assert!(revision.down_revisions.is_empty());
    /// # Ok::<(), aludel::script::ScriptError>(())
    /// ```
    pub fn child(graph: &RevisionGraph, parent: &Parent, spec: &RevisionSpec) -> Result<NewRevision, ScriptError> {
        let down_revisions = match parent {
            Parent::Base => Vec::new(),
            Parent::Head if graph.is_empty() => Vec::new(),
            Parent::Head => vec![graph.resolve("head").map_err(|error| match error {
                ScriptError::MultipleHeads { heads } => ScriptError::ParentNotChosen { heads },
                other => other,
            })?],
            Parent::Revision(target) => {
                let revision = graph.resolve(target)?;
                if !graph.is_head(&revision) {
                    return Err(ScriptError::NotAHead { revision });
                }
                vec![revision]
            }
            Parent::Splice(target) => vec![graph.resolve(target)?],
        };
        NewRevision::following(graph, down_revisions, spec.message.clone(), spec)
    }

    /// A revision without ops that joins the revisions `targets` name (`heads` for every
    /// head), created now.
    ///
    /// # Errors
    ///
    /// [`ScriptError::NothingToMerge`] when they name fewer than two revisions, and the
    /// errors of [`NewRevision::child`].
    pub fn merge(graph: &RevisionGraph, targets: &[String], spec: &RevisionSpec) -> Result<NewRevision, ScriptError> {
        let mut parents: Vec<RevisionId> = Vec::new();
        let mut named = BTreeSet::new();
        for target in targets {
            let resolved = match target.as_str() {
                "heads" => graph.heads().into_iter().cloned().collect(),
                other => vec![graph.resolve(other)?],
            };
            for id in resolved {
                if named.insert(id.clone()) {
                    parents.push(id);
                }
            }
        }
        if parents.len() < 2 {
            return Err(ScriptError::NothingToMerge { targets: targets.to_vec(), found: parents.len() });
        }
        // By `down_revision` alone: a head that only depends on another still needs the merge
        // that joins their lines, as `heads` lists them apart.
        if let Some((descendant, ancestor)) = graph.lineage_pair(&parents)? {
            return Err(ScriptError::MergeOfAncestor { ancestor, descendant });
        }
        if let Some(inner) = parents.iter().find(|id| !graph.is_head(id)) {
            return Err(ScriptError::MergeOfNonHead { revision: inner.clone() });
        }
        let message = if spec.message.is_empty() {
            format!("merge {}", parents.iter().map(RevisionId::as_str).collect::<Vec<_>>().join(", "))
        } else {
            spec.message.clone()
        };
        NewRevision::following(graph, parents, message, spec)
    }

    fn following(
        graph: &RevisionGraph,
        down_revisions: Vec<RevisionId>,
        message: String,
        spec: &RevisionSpec,
    ) -> Result<NewRevision, ScriptError> {
        let id = match &spec.id {
            Some(text) => RevisionId::parse(text)?,
            None => RevisionId::generate(),
        };
        if graph.get(&id).is_some() {
            return Err(ScriptError::RevisionExists { id });
        }
        let unusable = |reason: String| Err(ScriptError::UnusableRevisionId { id: id.clone(), reason });
        if matches!(id.as_str(), "head" | "heads" | "base" | "current") {
            return unusable("`head`, `heads`, `base` and `current` name targets, so no command could name it".into());
        }
        if let Some(other) = graph.revisions().iter().find(|r| r.id.as_str().eq_ignore_ascii_case(id.as_str())) {
            return unusable(format!(
                "it differs from `{}` only in case, which MySQL's version table does not tell apart",
                other.id
            ));
        }
        if let Some(labelled) = graph.label(id.as_str()) {
            return unusable(format!("it is a branch label (of `{labelled}`), which the id would hide"));
        }
        for label in &spec.branch_labels {
            check_label(label)?;
            let by_id = RevisionId::parse(label).ok().filter(|id| graph.get(id).is_some());
            if let Some(by) = graph.label(label).cloned().or(by_id) {
                return Err(ScriptError::LabelTaken { label: label.clone(), by });
            }
        }
        let depends_on = spec.depends_on.iter().map(|d| graph.resolve(d)).collect::<Result<Vec<_>, _>>()?;
        Ok(NewRevision {
            id,
            down_revisions,
            message,
            created: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            branch_labels: spec.branch_labels.clone(),
            depends_on,
            transactional: true,
            upgrade: Vec::new(),
            downgrade: Vec::new(),
            downgrade_written: false,
            notes: RevisionNotes::default(),
        })
    }

    /// Takes autogenerate's ops and downgrade, with its warnings as comments at the top of
    /// the file and each destructive op marked where it stands.
    pub fn with_diff(mut self, diff: &Diff) -> NewRevision {
        self.notes.header.extend(diff.warnings.iter().map(|w| format!("warning: {w}")));
        for destructive in &diff.destructive {
            self.notes
                .upgrade
                .entry(destructive.op_index)
                .or_default()
                .push(format!("DESTRUCTIVE: {}; review before running", destructive.reason));
        }
        self.upgrade = diff.upgrade.clone();
        self.downgrade = diff.downgrade.clone();
        self
    }

    /// The file name: `<rev>_<slug>.toml`.
    pub fn file_name(&self) -> String {
        format!("{}_{}.toml", self.id, slug(&self.message))
    }

    /// The file's text. Header keys come first (`down_revision` is left out for a base,
    /// `branch_labels` / `depends_on` when empty, `transactional` when true, `downgrade = []`
    /// unless the downgrade is written and empty), then one `[[upgrade]]` table per op and
    /// one `[[downgrade]]` table per op. Without ops, a commented example shows what to write.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::path::Path;
    /// use aludel::script::{NewRevision, Revision, RevisionId};
    ///
    /// let new = NewRevision {
    ///     id: RevisionId::parse("a1")?,
    ///     down_revisions: vec![],
    ///     message: "empty".into(),
    ///     created: "2026-11-22T10:00:00Z".into(),
    ///     branch_labels: vec![],
    ///     depends_on: vec![],
    ///     transactional: true,
    ///     upgrade: vec![],
    ///     downgrade: vec![],
    ///     downgrade_written: false,
    ///     notes: Default::default(),
    /// };
    /// let text = new.to_toml();
    /// assert!(text.starts_with("revision = \"a1\"\n"));
    /// assert!(Revision::parse(&text, Path::new("a1_empty.toml"))?.upgrade.is_empty());
    /// # Ok::<(), aludel::script::ScriptError>(())
    /// ```
    pub fn to_toml(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "revision = {}", string(self.id.as_str()));
        match self.down_revisions.as_slice() {
            [] => {}
            [one] => {
                let _ = writeln!(out, "down_revision = {}", string(one.as_str()));
            }
            many => {
                let _ = writeln!(out, "down_revision = {}", string_list(many.iter().map(RevisionId::as_str)));
            }
        }
        let _ = writeln!(out, "message = {}", string(&self.message));
        let _ = writeln!(out, "created = {}", string(&self.created));
        if !self.branch_labels.is_empty() {
            let _ = writeln!(out, "branch_labels = {}", string_list(self.branch_labels.iter().map(String::as_str)));
        }
        if !self.depends_on.is_empty() {
            let _ = writeln!(out, "depends_on = {}", string_list(self.depends_on.iter().map(RevisionId::as_str)));
        }
        if !self.transactional {
            out.push_str("transactional = false\n");
        }
        let nothing_to_undo = self.downgrade_written && self.downgrade.is_empty();
        if nothing_to_undo {
            out.push_str("downgrade = []\n");
        }
        if !self.notes.header.is_empty() {
            out.push('\n');
            write_comment(&mut out, &self.notes.header);
        }
        write_ops(&mut out, "upgrade", &self.upgrade, &self.notes.upgrade);
        if !nothing_to_undo {
            write_ops(&mut out, "downgrade", &self.downgrade, &BTreeMap::new());
        }
        out
    }
}

/// Writes `lines` as `# ` comments, each line of a multi-line note on its own.
fn write_comment(out: &mut String, lines: &[String]) {
    for line in lines.iter().flat_map(|l| l.lines()) {
        let _ = writeln!(out, "# {line}");
    }
}

/// Appends one `[[<section>]]` table per op, with its notes above it, or a commented example
/// when there are none.
fn write_ops(out: &mut String, section: &str, ops: &[Op], notes: &BTreeMap<usize, Vec<String>>) {
    if ops.is_empty() {
        let (intro, example) = example(section);
        out.push('\n');
        out.push_str(intro);
        out.push_str("#\n");
        for line in op_table(section, &example).lines() {
            let _ = writeln!(out, "# {line}");
        }
        return;
    }
    for (index, op) in ops.iter().enumerate() {
        out.push('\n');
        if let Some(lines) = notes.get(&index) {
            write_comment(out, lines);
        }
        out.push_str(&op_table(section, op));
    }
}

/// The comment and example op written in place of an empty `section`.
fn example(section: &str) -> (&'static str, Op) {
    let column = Column::new("age", ColumnType::Integer);
    if section == "upgrade" {
        let intro = "# Steps of `aludel upgrade`, one [[upgrade]] table each, for example:\n\
                     # (ops: create_table, drop_table, rename_table, alter_table, add_column, drop_column,\n\
                     # alter_column, create_index, drop_index, add_constraint, validate_constraint,\n\
                     # drop_constraint, create_enum, drop_enum, add_enum_value, drop_enum_value, sql)\n";
        (intro, Op::AddColumn { table: "users".to_owned(), column })
    } else {
        // A revision with upgrade ops and neither form is refused by downgrade: say so here,
        // where the ops go, rather than let the first downgrade find out.
        let intro = "# Steps of `aludel downgrade` that undo the upgrade, in reverse order, one [[downgrade]] table each.\n\
                     # With [[upgrade]] ops and none of these, `aludel downgrade` refuses to pass this revision;\n\
                     # when the upgrade leaves nothing to undo, write `downgrade = []` above the first [[upgrade]].\n\
                     # For example:\n";
        (intro, Op::DropColumn { table: "users".to_owned(), column: ColumnRef::Name("age".to_owned()) })
    }
}

/// `[[section]]` followed by the op's fields, one `key = value` line each.
fn op_table(section: &str, op: &Op) -> String {
    let mut out = format!("[[{section}]]\n");
    // `toml`'s value tree keeps the order of struct fields (files list `op` first and a
    // column's `name` before its `type`) and every float, NaN and infinities included.
    let fields = match toml::Value::try_from(op) {
        Ok(toml::Value::Table(fields)) => fields,
        other => unreachable!("an op always serializes to a table, not {other:?}"),
    };
    for (key, value) in &fields {
        write_field(&mut out, &bare_or_quoted(key), value);
    }
    out
}

/// Writes `key = value`. A list of tables (the columns of `create_table`) gets one line per
/// table; a table that holds such a list (the `existing` table of `drop_table`) is spread
/// over dotted keys (`existing.columns = [...]`) so that its list can do the same.
fn write_field(out: &mut String, key: &str, value: &toml::Value) {
    match value {
        toml::Value::Array(items) if is_table_list(items) => {
            let _ = writeln!(out, "{key} = [");
            for item in items {
                out.push_str("  ");
                write_inline(out, item);
                out.push_str(",\n");
            }
            out.push_str("]\n");
        }
        toml::Value::Table(fields)
            if fields.values().any(|v| matches!(v, toml::Value::Array(items) if is_table_list(items))) =>
        {
            for (inner, value) in fields {
                write_field(out, &format!("{key}.{}", bare_or_quoted(inner)), value);
            }
        }
        _ => {
            let _ = write!(out, "{key} = ");
            write_inline(out, value);
            out.push('\n');
        }
    }
}

fn is_table_list(items: &[toml::Value]) -> bool {
    !items.is_empty() && items.iter().all(toml::Value::is_table)
}

/// Writes `value` on one line: inline tables as `{ key = value, ... }`.
fn write_inline(out: &mut String, value: &toml::Value) {
    match value {
        toml::Value::String(text) => out.push_str(&string(text)),
        toml::Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_inline(out, item);
            }
            out.push(']');
        }
        toml::Value::Table(fields) if fields.is_empty() => out.push_str("{}"),
        toml::Value::Table(fields) => {
            out.push_str("{ ");
            for (i, (key, value)) in fields.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                let _ = write!(out, "{} = ", bare_or_quoted(key));
                write_inline(out, value);
            }
            out.push_str(" }");
        }
        // Numbers (`nan`, `inf` and `-inf` too), booleans and dates as TOML spells them.
        scalar => {
            let _ = write!(out, "{scalar}");
        }
    }
}

/// A TOML string literal for `text`.
fn string(text: &str) -> String {
    toml::Value::String(text.to_owned()).to_string()
}

fn string_list<'a>(items: impl Iterator<Item = &'a str>) -> String {
    format!("[{}]", items.map(string).collect::<Vec<_>>().join(", "))
}

fn bare_or_quoted(key: &str) -> String {
    if !key.is_empty() && key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-') {
        key.to_owned()
    } else {
        string(key)
    }
}

/// A file name fragment for `message`: lowercase ASCII words joined by `_`, at most 40
/// characters, `revision` when nothing is left.
///
/// # Examples
///
/// ```
/// assert_eq!(aludel::script::slug("Add age to users!"), "add_age_to_users");
/// assert_eq!(aludel::script::slug("¿?"), "revision");
/// ```
pub fn slug(message: &str) -> String {
    const MAX: usize = 40;
    let mut out = String::new();
    for word in message.split(|c: char| !c.is_ascii_alphanumeric()).filter(|w| !w.is_empty()) {
        if !out.is_empty() {
            out.push('_');
        }
        out.push_str(&word.to_ascii_lowercase());
        if out.len() >= MAX {
            break;
        }
    }
    out.truncate(MAX);
    let trimmed = out.trim_end_matches('_');
    if trimmed.is_empty() { "revision".to_owned() } else { trimmed.to_owned() }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::script::Revision;

    /// `r1 <- r2 (@alpha)`, and `r3` branching from `r1`, `r4` from `r3`.
    fn branched() -> RevisionGraph {
        let revision = |text: &str, name: &str| Revision::parse(text, std::path::Path::new(name)).expect("valid");
        RevisionGraph::from_revisions(vec![
            revision("revision = \"r1\"\n", "r1_a.toml"),
            revision("revision = \"r2\"\ndown_revision = \"r1\"\nbranch_labels = [\"alpha\"]\n", "r2_b.toml"),
            revision("revision = \"r3\"\ndown_revision = \"r1\"\n", "r3_c.toml"),
            revision("revision = \"r4\"\ndown_revision = \"r3\"\n", "r4_d.toml"),
        ])
        .expect("a valid graph")
    }

    #[test]
    fn a_merge_joins_branches_not_a_revision_and_its_ancestor() {
        let spec = RevisionSpec { message: "m".into(), id: Some("m1".into()), ..Default::default() };
        let merged = NewRevision::merge(&branched(), &["r2".into(), "r4".into()], &spec).expect("two heads");
        assert_eq!(merged.down_revisions, [RevisionId::parse("r2").unwrap(), RevisionId::parse("r4").unwrap()]);
        let error = NewRevision::merge(&branched(), &["r2".into(), "r3".into()], &spec).expect_err("r3 is no head");
        assert_eq!(
            error.to_string(),
            "`r3` is not a head (revisions follow it), so a merge of it would add a head rather than join two: merge \
             heads (`aludel heads` lists them)"
        );
        let error = NewRevision::merge(&branched(), &["r1".into(), "r2".into()], &spec).expect_err("r1 is below r2");
        assert_eq!(
            error.to_string(),
            "`r1` is an ancestor of `r2`, so merging them joins nothing: merge heads (`aludel heads` lists them)"
        );
    }

    #[test]
    fn a_new_branch_label_must_be_free() {
        let graph = branched();
        for (label, by) in [("alpha", "r2"), ("r3", "r3")] {
            let spec = RevisionSpec { branch_labels: vec![label.into()], ..Default::default() };
            let error = NewRevision::child(&graph, &Parent::Splice("r1".into()), &spec).expect_err("taken");
            assert_eq!(
                error.to_string(),
                format!("branch label `{label}` is already taken by revision `{by}`: pick another label")
            );
        }
        let spec = RevisionSpec { branch_labels: vec!["beta".into()], ..Default::default() };
        assert!(NewRevision::child(&graph, &Parent::Splice("r1".into()), &spec).is_ok());
    }

    /// An empty downgrade is written `downgrade = []` only when the revision says there is
    /// nothing to undo; otherwise the example shows where the ops go and that downgrade
    /// refuses without them. Both read back as written.
    #[test]
    fn an_empty_downgrade_is_nothing_to_undo_only_when_said() {
        let spec = RevisionSpec { message: "drop t".into(), id: Some("a1".into()), ..Default::default() };
        let mut new = NewRevision::child(&branched(), &Parent::Base, &spec).expect("a base");
        new.upgrade = vec![Op::DropTable { table: "t".into(), existing: None }];
        let read = |new: &NewRevision| Revision::parse(&new.to_toml(), std::path::Path::new("a1_drop_t.toml"));

        let unwritten = new.to_toml();
        assert!(!unwritten.contains("downgrade = []\n["), "{unwritten}");
        assert!(unwritten.contains("`aludel downgrade` refuses to pass this revision"), "{unwritten}");
        assert!(unwritten.contains("\n# [[downgrade]]\n# op = \"drop_column\""), "{unwritten}");
        assert!(read(&new).expect("valid").lacks_downgrade());

        new.downgrade_written = true;
        let nothing = new.to_toml();
        assert!(nothing.contains("downgrade = []\n\n[[upgrade]]"), "{nothing}");
        assert!(!nothing.contains("[[downgrade]]"), "{nothing}");
        let revision = read(&new).expect("valid");
        assert!(revision.downgrade_written && !revision.lacks_downgrade());
    }

    #[test]
    fn slug_makes_short_file_name_fragments() {
        fn check(message: &str, expected: &str) {
            assert_eq!(slug(message), expected, "{message:?}");
        }
        check("Add age to users!", "add_age_to_users");
        check("  create   users  ", "create_users");
        check("merge a1, b2", "merge_a1_b2");
        check("", "revision");
        check("!!!", "revision");
        check("Ünïcode names", "n_code_names");
        check(&"word ".repeat(20), "word_word_word_word_word_word_word_word");
        check(&"x".repeat(50), &"x".repeat(40));
    }

    /// NaN and the infinities are written as TOML spells them and read back the same: before,
    /// a NaN default was written as `default = {}`, which no reader accepts.
    #[test]
    fn every_float_default_survives_a_round_trip() {
        for value in ["nan", "inf", "-inf", "1.5", "-0.0"] {
            let text = format!(
                "op = \"add_column\"\ntable = \"t\"\ncolumn = {{ name = \"f\", type = \"double\", default = {{ value = {value} }} }}\n"
            );
            let op: Op = toml::from_str(&text).expect("a valid op");
            let written = op_table("upgrade", &op);
            assert!(written.contains(&format!("default = {{ value = {value} }}")), "{written}");
            #[derive(serde::Deserialize)]
            struct File {
                upgrade: Vec<Op>,
            }
            let read: File = toml::from_str(&written).expect("what is written reads back");
            assert_eq!(format!("{:?}", read.upgrade[0]), format!("{op:?}"), "{value}");
        }
    }
}
