//! Revision files: reading `versions/*.toml` into [`Revision`]s and writing new ones.
//!
//! One TOML file per revision, named `<rev>_<slug>.toml`: a header (`revision`,
//! `down_revision`, `message`, ...) and then one `[[upgrade]]` / `[[downgrade]]` table per
//! [`Op`]. How revisions relate to each other is [`crate::script::graph`]'s business.

use std::fs;
use std::io::{self, Write as _};
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde::de::{self, Deserializer, SeqAccess, Visitor};

use crate::ops::Op;
use crate::script::fixtures::Fixtures;
use crate::script::policy::{Allow, Allowances, RunLimits, optional_duration};
use crate::script::{Direction, NewRevision, RevisionGraph, RevisionId, ScriptError};

/// One revision file, parsed.
#[derive(Debug, Clone, PartialEq)]
pub struct Revision {
    /// The revision's id (`revision = "..."`).
    pub id: RevisionId,
    /// Its parents: none for a base, one normally, several for a merge (`down_revision`).
    pub down_revisions: Vec<RevisionId>,
    /// What it does (`message`).
    pub message: String,
    /// When it was created, as written in the file (`created`).
    pub created: Option<String>,
    /// Names for the branch this revision starts (`branch_labels`).
    pub branch_labels: Vec<String>,
    /// Revisions on other branches that must be applied first (`depends_on`).
    pub depends_on: Vec<RevisionId>,
    /// Whether it runs in one transaction (`transactional`, default `true`).
    pub transactional: bool,
    /// Ops run by upgrade (`[[upgrade]]`).
    pub upgrade: Vec<Op>,
    /// Ops run by downgrade (`[[downgrade]]`).
    pub downgrade: Vec<Op>,
    /// Whether the file says what downgrade runs: `[[downgrade]]` tables, or `downgrade = []`
    /// when there is nothing to undo. An empty [`Revision::downgrade`] alone cannot tell
    /// "nothing to undo" from "never written"; see [`Revision::lacks_downgrade`].
    pub downgrade_written: bool,
    /// Data fixtures for `aludel test` (`[[test.before]]`, ...); not in the checksum.
    pub fixtures: Fixtures,
    /// The lint rules it allows, with reasons (`allow`, at the top or in an upgrade op).
    pub allow: Allowances,
    /// Its own lock and statement timeouts and retries, over aludel.toml's.
    pub limits: RunLimits,
    /// The file it was read from.
    pub path: PathBuf,
}

/// A revision message on one line, as one-line listings and the comments of a `--sql` script
/// show it: its first paragraph, every run of whitespace (line breaks included) one space.
/// A line break inside a SQL comment would end the comment and make the rest SQL.
pub fn message_line(message: &str) -> String {
    let first = message.trim_start().split("\n\n").next().unwrap_or_default();
    let first = first.split("\r\n\r\n").next().unwrap_or_default();
    first.split_whitespace().collect::<Vec<_>>().join(" ")
}

impl Revision {
    /// [`message_line`] of the revision's message.
    pub fn message_line(&self) -> String {
        message_line(&self.message)
    }

    /// SHA-256 of what the revision runs and where it sits in the graph (upgrade ops,
    /// transaction mode, parents, dependencies); see [`crate::script::checksum`].
    pub fn checksum(&self) -> String {
        crate::script::checksum::checksum(self)
    }

    /// The ops that run in `direction`: `[[upgrade]]` up, `[[downgrade]]` down.
    pub fn ops(&self, direction: Direction) -> &[Op] {
        match direction {
            Direction::Up => &self.upgrade,
            Direction::Down => &self.downgrade,
        }
    }

    /// The 1-based line of each `[[upgrade]]` header in the revision's file, in op order:
    /// where a report points for an op. Empty when the file cannot be read (a revision
    /// compiled into the program).
    pub fn upgrade_lines(&self) -> Vec<usize> {
        fs::read_to_string(&self.path).map(|text| upgrade_lines(&text)).unwrap_or_default()
    }

    /// Whether downgrading through this revision must be refused: its upgrade has ops, and
    /// its file has neither `[[downgrade]]` tables nor `downgrade = []`. Running nothing for
    /// it would move the version below it and leave what its upgrade did in place.
    /// Revisions without upgrade ops (empty ones, merges) have nothing to undo.
    pub fn lacks_downgrade(&self) -> bool {
        !self.upgrade.is_empty() && !self.downgrade_written
    }

    /// Whether this revision has no parent.
    pub fn is_base(&self) -> bool {
        self.down_revisions.is_empty()
    }

    /// Whether this revision joins several parents.
    pub fn is_merge(&self) -> bool {
        self.down_revisions.len() > 1
    }

    /// Reads a revision from the text of its file; `path` names the file in errors, and its
    /// name must start with the revision id (`<rev>_<slug>.toml`).
    ///
    /// This is what [`ScriptDirectory::load`] does for each file; call it directly for
    /// revision files embedded in a binary.
    ///
    /// # Errors
    ///
    /// [`ScriptError::Parse`] for invalid TOML, an unknown op or field, or a malformed value
    /// (with the line and column), [`ScriptError::MissingField`] without `revision`, and
    /// [`ScriptError::RevisionMismatch`] when the file name starts with another id.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::path::Path;
    /// use aludel::script::Revision;
    ///
    /// let text = "revision = \"a1\"\nmessage = \"create users\"\n\n[[upgrade]]\nop = \"drop_table\"\ntable = \"old\"\n";
    /// let revision = Revision::parse(text, Path::new("versions/a1_create_users.toml"))?;
    /// assert_eq!(revision.upgrade.len(), 1);
    /// assert!(revision.is_base());
    /// # Ok::<(), aludel::script::ScriptError>(())
    /// ```
    pub fn parse(text: &str, path: &Path) -> Result<Revision, ScriptError> {
        // The fast reader covers the usual files; `toml` reads the rest and explains errors.
        let fast = crate::script::plain_toml::parse(text).and_then(|value| RawRevision::deserialize(value).ok());
        let raw = match fast {
            Some(raw) => raw,
            None => toml::from_str::<RawRevision>(text).map_err(|err| parse_error(text, path, &err))?,
        };
        Revision::from_raw(raw, path)
    }

    /// Reads only a revision file's header (id, parents, message, labels, dependencies),
    /// leaving its ops empty: what commands that need the graph's shape but not its ops
    /// (autogenerate, `check`) read, since the ops are most of a large file.
    ///
    /// A revision read so has no ops; its [`Revision::checksum`] is not the file's.
    ///
    /// # Errors
    ///
    /// As [`Revision::parse`], for the header.
    pub fn parse_header(text: &str, path: &Path) -> Result<Revision, ScriptError> {
        Revision::parse(header_of(text), path)
    }

    fn from_raw(raw: RawRevision, path: &Path) -> Result<Revision, ScriptError> {
        let id = raw.revision.ok_or_else(|| ScriptError::MissingField { path: path.to_owned(), field: "revision" })?;
        if let Some(stem) = path.file_stem().and_then(|s| s.to_str()) {
            let matches = stem.strip_prefix(id.as_str()).is_some_and(|rest| rest.is_empty() || rest.starts_with('_'));
            if !matches {
                let file_prefix = stem.split('_').next().unwrap_or(stem).to_owned();
                return Err(ScriptError::RevisionMismatch { path: path.to_owned(), revision: id, file_prefix });
            }
        }
        let (upgrade, op_allows): (Vec<Op>, Vec<Vec<Allow>>) =
            raw.upgrade.into_iter().map(|entry| (entry.op, entry.allow)).unzip();
        let allow = Allowances {
            revision: raw.allow,
            ops: if op_allows.iter().all(Vec::is_empty) { Vec::new() } else { op_allows },
        };
        let limits = RunLimits {
            lock_timeout: raw.lock_timeout,
            statement_timeout: raw.statement_timeout,
            lock_retries: raw.lock_retries,
        };
        Ok(Revision {
            id,
            down_revisions: raw.down_revision,
            message: raw.message,
            created: raw.created,
            branch_labels: raw.branch_labels.into_iter().map(|l| l.0).collect(),
            depends_on: raw.depends_on,
            transactional: raw.transactional,
            upgrade,
            downgrade_written: raw.downgrade.is_some(),
            downgrade: raw.downgrade.unwrap_or_default(),
            fixtures: raw.test,
            allow,
            limits,
            path: path.to_owned(),
        })
    }
}

/// A revision file as written, before the checks that need the file's name.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRevision {
    revision: Option<RevisionId>,
    #[serde(default, deserialize_with = "one_or_many")]
    down_revision: Vec<RevisionId>,
    #[serde(default)]
    message: String,
    #[serde(default, deserialize_with = "created")]
    created: Option<String>,
    #[serde(default, deserialize_with = "one_or_many")]
    branch_labels: Vec<BranchLabel>,
    #[serde(default, deserialize_with = "one_or_many")]
    depends_on: Vec<RevisionId>,
    #[serde(default = "yes")]
    transactional: bool,
    #[serde(default)]
    allow: Vec<Allow>,
    #[serde(default, deserialize_with = "optional_duration")]
    lock_timeout: Option<std::time::Duration>,
    #[serde(default, deserialize_with = "optional_duration")]
    statement_timeout: Option<std::time::Duration>,
    #[serde(default)]
    lock_retries: Option<u32>,
    #[serde(default)]
    upgrade: Vec<UpgradeEntry>,
    /// `None` when the file has no `[[downgrade]]` table and no `downgrade = []`.
    #[serde(default)]
    downgrade: Option<Vec<Op>>,
    #[serde(default)]
    test: Fixtures,
}

/// An `[[upgrade]]` table: the op, and the lint rules it allows.
#[derive(Deserialize)]
struct UpgradeEntry {
    #[serde(default)]
    allow: Vec<Allow>,
    #[serde(flatten)]
    op: Op,
}

fn yes() -> bool {
    true
}

/// A branch label that target syntax can name: `billing@head` must not be ambiguous.
#[derive(PartialEq)]
struct BranchLabel(String);

impl std::fmt::Display for BranchLabel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for BranchLabel {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let label = String::deserialize(deserializer)?;
        check_label(&label).map_err(de::Error::custom)?;
        Ok(BranchLabel(label))
    }
}

/// Checks that `label` can be a branch label: letters, digits, `_`, `-` and `.`, not
/// starting with `-` or `.`, and not `head`, `heads`, `base` or `current`.
///
/// # Errors
///
/// [`ScriptError::InvalidLabel`] saying what is wrong.
///
/// # Examples
///
/// ```
/// use aludel::script::check_label;
///
/// assert!(check_label("billing").is_ok());
/// assert!(check_label("head").is_err());
/// ```
pub fn check_label(label: &str) -> Result<(), ScriptError> {
    match label_problem(label) {
        None => Ok(()),
        Some(reason) => Err(ScriptError::InvalidLabel { label: label.to_owned(), reason }),
    }
}

/// Why `label` cannot be a branch label, if it cannot.
fn label_problem(label: &str) -> Option<&'static str> {
    if label.is_empty() {
        Some("a label cannot be empty")
    } else if matches!(label, "head" | "heads" | "base" | "current") {
        Some("`head`, `heads`, `base` and `current` are reserved")
    } else if !label.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.')) {
        Some("use letters, digits, `_`, `-` and `.`")
    } else if label.starts_with(['-', '.']) {
        Some("a label must start with a letter, digit or `_`")
    } else {
        None
    }
}

/// Reads `key = "x"` or `key = ["x", "y"]` into a list.
fn one_or_many<'de, D, T>(deserializer: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + PartialEq + std::fmt::Display,
{
    struct OneOrMany<T>(std::marker::PhantomData<T>);

    impl<'de, T: Deserialize<'de> + PartialEq + std::fmt::Display> Visitor<'de> for OneOrMany<T> {
        type Value = Vec<T>;

        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("a string or a list of strings")
        }

        fn visit_str<E: de::Error>(self, value: &str) -> Result<Vec<T>, E> {
            T::deserialize(de::value::StrDeserializer::new(value)).map(|one| vec![one])
        }

        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<T>, A::Error> {
            let mut items: Vec<T> = Vec::new();
            while let Some(item) = seq.next_element()? {
                // A repeat is a typo, not a merge of a revision with itself.
                if items.contains(&item) {
                    return Err(de::Error::custom(format!("`{item}` is listed twice; list it once")));
                }
                items.push(item);
            }
            Ok(items)
        }
    }

    deserializer.deserialize_any(OneOrMany(std::marker::PhantomData))
}

/// Reads `created` as a string, or as a TOML date-time written without quotes.
fn created<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<String>, D::Error> {
    let text = match toml::Value::deserialize(deserializer)? {
        toml::Value::String(text) => text,
        toml::Value::Datetime(datetime) => datetime.to_string(),
        other => {
            return Err(de::Error::custom(format!(
                "`created` must be a date-time such as \"2026-11-22T10:00:00Z\", not a {}",
                other.type_str()
            )));
        }
    };
    normalize_created(&text).map(Some).ok_or_else(|| {
        de::Error::custom(format!("`created` must be a date-time such as \"2026-11-22T10:00:00Z\", not `{text}`"))
    })
}

/// `created` in UTC as `revision` writes it (`2026-11-22T10:00:00Z`): from RFC 3339 with any
/// offset, or from a date-time or date without one, taken as UTC (Alembic writes local
/// times without an offset).
fn normalize_created(text: &str) -> Option<String> {
    use chrono::{DateTime, NaiveDate, NaiveDateTime, SecondsFormat, Utc};
    let utc = match DateTime::parse_from_rfc3339(text.trim()) {
        Ok(at) => at.with_timezone(&Utc),
        Err(_) => {
            let text = text.trim().replacen(' ', "T", 1);
            let naive = NaiveDateTime::parse_from_str(&text, "%Y-%m-%dT%H:%M:%S%.f")
                .ok()
                .or_else(|| NaiveDate::parse_from_str(&text, "%Y-%m-%d").ok()?.and_hms_opt(0, 0, 0))?;
            naive.and_utc()
        }
    };
    Some(utc.to_rfc3339_opts(SecondsFormat::AutoSi, true))
}

/// Turns a TOML error into [`ScriptError::Parse`] with the 1-based line and column.
fn parse_error(text: &str, path: &Path, err: &toml::de::Error) -> ScriptError {
    let mut offset = err.span().map_or(0, |span| span.start).min(text.len());
    let mut message = err.message().trim_end_matches('\n').to_owned();
    // Errors inside an op are reported at its `[[upgrade]]` header, because the op's fields
    // are buffered to find its `op` first. Point at the offending key instead.
    if let Some(field) = quoted_after(&message, "unknown field `")
        && text[offset..].starts_with("[[")
        && let Some(key_offset) = find_key_in_table(text, offset, field)
    {
        offset = key_offset;
    }
    // An unknown op is reported at its table's header too (the table is buffered to take
    // its `allow` apart): point at the op's value.
    if message.starts_with("unknown variant")
        && text[offset..].starts_with("[[")
        && let Some(key_offset) = find_key_in_table(text, offset, "op")
    {
        let line = text[key_offset..].lines().next().unwrap_or("");
        let value = line.find('=').map_or(0, |eq| eq + 1 + (line[eq + 1..].len() - line[eq + 1..].trim_start().len()));
        offset = key_offset + value;
    }
    // Any other error inside an op: find the key whose removal makes it go away.
    if text[offset..].starts_with("[[")
        && let Some(key) = culprit_key(text, offset, &message)
        && let Some(key_offset) = find_key_in_table(text, offset, &key)
    {
        offset = key_offset;
        message = format!("{message} (in `{key}`)");
    }
    let line_start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
    let line = text[..offset].matches('\n').count() + 1;
    let column = text[line_start..offset].chars().count() + 1;
    let line_text = text[line_start..].lines().next().unwrap_or("");
    if message.starts_with("unknown variant")
        && line_text.trim_start().strip_prefix("op").is_some_and(|rest| rest.trim_start().starts_with('='))
    {
        message = message.replacen("unknown variant", "unknown op", 1);
    }
    if let Some(better) = downgrade_message(text, offset, line_text, &message) {
        message = better;
    }
    ScriptError::Parse { path: path.to_owned(), line, column, message }
}

/// The message for an error in how a file writes its downgrade, which has two forms:
/// `[[downgrade]]` tables, or `downgrade = []` among the header keys when there is nothing
/// to undo. `None` for any other error.
fn downgrade_message(text: &str, offset: usize, line_text: &str, message: &str) -> Option<String> {
    let sets_downgrade =
        |line: &str| line.trim_start().strip_prefix("downgrade").is_some_and(|rest| rest.trim_start().starts_with('='));
    let header = header_of(text);
    if offset < header.len() && sets_downgrade(line_text) {
        return Some(format!(
            "{message}; `downgrade` holds the downgrade ops: write them as [[downgrade]] tables, or write \
             `downgrade = []` when there is nothing to undo"
        ));
    }
    if message.starts_with("unknown field `downgrade`") {
        return Some(
            "`downgrade` is no field of an op: `downgrade = []` (nothing to undo) goes with the header keys, above \
             the first table, and a file with [[downgrade]] tables leaves it out"
                .to_owned(),
        );
    }
    if message.starts_with("duplicate key") && line_text.trim_start().starts_with("[[downgrade") {
        let empty_line = header.lines().position(sets_downgrade)? + 1;
        return Some(format!(
            "[[downgrade]] tables follow `downgrade = []` (line {empty_line}), which says there is nothing to undo; \
             keep one: the tables, or `downgrade = []`"
        ));
    }
    None
}

/// The key of the `[[upgrade]]` or `[[downgrade]]` table at `header` whose value causes
/// `message`: the error goes away, or becomes that key's absence, without it. `None` when no
/// single key is to blame (or the table has sub-tables).
fn culprit_key(text: &str, header: usize, message: &str) -> Option<String> {
    let mut lines = text[header..].split_inclusive('\n');
    let section = lines.next()?.trim();
    let body: String = lines.take_while(|line| !line.trim_start().starts_with('[')).collect();
    let table: toml::Table = body.parse().ok()?;
    let fails = |table: &toml::Table| -> Option<String> {
        let value = toml::Value::Table(table.clone());
        match section {
            "[[upgrade]]" => UpgradeEntry::deserialize(value).err().map(|e| e.to_string()),
            "[[downgrade]]" => Op::deserialize(value).err().map(|e| e.to_string()),
            _ => None,
        }
    };
    let first_line = |message: &str| message.lines().next().unwrap_or_default().trim().to_owned();
    let original = first_line(message);
    table.keys().filter(|key| *key != "op").find_map(|key| {
        let mut without = table.clone();
        without.remove(key);
        match fails(&without) {
            None => Some(key.clone()),
            Some(error) if error.contains(&format!("missing field `{key}`")) => Some(key.clone()),
            Some(error) if first_line(&error) != original => None,
            Some(_) => None,
        }
    })
}

/// The text between `prefix` and the next backtick in `message`.
fn quoted_after<'a>(message: &'a str, prefix: &str) -> Option<&'a str> {
    let rest = message.strip_prefix(prefix)?;
    rest.split('`').next()
}

/// The offset of the line that sets `key` in the table whose header starts at `header`.
fn find_key_in_table(text: &str, header: usize, key: &str) -> Option<usize> {
    let mut offset = header;
    let mut lines = text[header..].split_inclusive('\n');
    offset += lines.next()?.len();
    for line in lines {
        let trimmed = line.trim_start();
        if trimmed.starts_with('[') {
            return None;
        }
        let bare = trimmed.trim_start_matches(['"', '\'']);
        if let Some(rest) = bare.strip_prefix(key)
            && rest.trim_start_matches(['"', '\'']).trim_start().starts_with(['=', '.'])
        {
            return Some(offset + (line.len() - trimmed.len()));
        }
        offset += line.len();
    }
    None
}

/// The folder that holds `versions/` (the configuration's `script_location`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScriptDirectory {
    root: PathBuf,
}

impl ScriptDirectory {
    /// The script directory at `root`.
    pub fn new(root: &Path) -> ScriptDirectory {
        ScriptDirectory { root: root.to_owned() }
    }

    /// The script location.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// `<root>/versions`, where the revision files live.
    pub fn versions_dir(&self) -> PathBuf {
        self.root.join("versions")
    }

    /// Creates `<root>/versions` (and `root`) when missing.
    ///
    /// # Errors
    ///
    /// [`ScriptError::Io`] when the folder cannot be created.
    pub fn init(&self) -> Result<(), ScriptError> {
        let versions = self.versions_dir();
        fs::create_dir_all(&versions).map_err(|source| ScriptError::Io { path: versions, source })
    }

    /// Reads every `versions/*.toml` file (in file name order) and builds the graph.
    ///
    /// # Errors
    ///
    /// [`ScriptError::NoVersionsDir`] when `versions/` is missing, [`ScriptError::Io`] when a
    /// file cannot be read, any error of [`Revision::parse`] and of
    /// [`RevisionGraph::from_revisions`].
    ///
    /// # Examples
    ///
    /// ```
    /// use aludel::script::ScriptDirectory;
    ///
    /// let dir = tempfile::tempdir()?;
    /// let scripts = ScriptDirectory::new(dir.path());
    /// scripts.init()?;
    /// assert!(scripts.load()?.is_empty());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn load(&self) -> Result<RevisionGraph, ScriptError> {
        let paths = self.revision_files()?;
        let revisions = read_all(&paths, Reading::Whole)?;
        RevisionGraph::from_revisions(revisions)
    }

    /// [`ScriptDirectory::load`], reading only each file's header (see
    /// [`Revision::parse_header`]): the graph's shape without its ops, for commands that
    /// plan nothing (autogenerate, `check`).
    ///
    /// # Errors
    ///
    /// As [`ScriptDirectory::load`].
    pub fn load_headers(&self) -> Result<RevisionGraph, ScriptError> {
        let paths = self.revision_files()?;
        let revisions = read_all(&paths, Reading::Header)?;
        RevisionGraph::from_revisions(revisions)
    }

    /// Builds the graph from revision files compiled into the program: `(file name, text)`
    /// pairs, such as a build script generates with `include_str!`. The file names play the
    /// part of paths in error messages and must start with the revision id, as on disk.
    ///
    /// # Errors
    ///
    /// As [`ScriptDirectory::load`].
    ///
    /// # Examples
    ///
    /// ```
    /// use aludel::script::ScriptDirectory;
    ///
    /// let files = [("a1_create_users.toml", "revision = \"a1\"\nmessage = \"create users\"\n")];
    /// let graph = ScriptDirectory::from_embedded(&files)?;
    /// assert_eq!(graph.heads().len(), 1);
    /// # Ok::<(), aludel::script::ScriptError>(())
    /// ```
    pub fn from_embedded(files: &[(&str, &str)]) -> Result<RevisionGraph, ScriptError> {
        let mut files = files.to_vec();
        files.sort_by(|a, b| a.0.cmp(b.0));
        let revisions =
            files.iter().map(|(name, text)| Revision::parse(text, Path::new(name))).collect::<Result<Vec<_>, _>>()?;
        RevisionGraph::from_revisions(revisions)
    }

    /// The paths of the revision files, sorted by file name.
    fn revision_files(&self) -> Result<Vec<PathBuf>, ScriptError> {
        let versions = self.versions_dir();
        let entries = match fs::read_dir(&versions) {
            Ok(entries) => entries,
            Err(err) if err.kind() == io::ErrorKind::NotFound => {
                return Err(ScriptError::NoVersionsDir { path: versions });
            }
            Err(source) => return Err(ScriptError::Io { path: versions, source }),
        };
        let mut paths = Vec::new();
        for entry in entries {
            let entry = entry.map_err(|source| ScriptError::Io { path: versions.clone(), source })?;
            let name = entry.file_name();
            let Some(name) = name.to_str() else { continue };
            // Editors leave hidden lock and backup files next to the ones they edit.
            if name.starts_with('.') || !name.ends_with(".toml") {
                continue;
            }
            let path = entry.path();
            let is_file = match entry.file_type() {
                Ok(kind) if kind.is_symlink() => path.is_file(),
                Ok(kind) => kind.is_file(),
                Err(source) => return Err(ScriptError::Io { path, source }),
            };
            if is_file {
                paths.push(path);
            }
        }
        paths.sort_by(|a, b| a.file_name().cmp(&b.file_name()));
        Ok(paths)
    }

    /// Writes `versions/<rev>_<slug>.toml` and returns its path.
    ///
    /// # Errors
    ///
    /// [`ScriptError::NoVersionsDir`] when `versions/` is missing, [`ScriptError::FileExists`]
    /// when the file exists (it is never overwritten), [`ScriptError::InvalidLabel`] for a
    /// branch label that could not be read back, [`ScriptError::Io`] when writing fails.
    pub fn write(&self, revision: &NewRevision) -> Result<PathBuf, ScriptError> {
        for label in &revision.branch_labels {
            check_label(label)?;
        }
        let versions = self.versions_dir();
        if !versions.is_dir() {
            return Err(ScriptError::NoVersionsDir { path: versions });
        }
        let path = versions.join(revision.file_name());
        let mut file = match fs::OpenOptions::new().write(true).create_new(true).open(&path) {
            Ok(file) => file,
            Err(err) if err.kind() == io::ErrorKind::AlreadyExists => return Err(ScriptError::FileExists { path }),
            Err(source) => return Err(ScriptError::Io { path, source }),
        };
        file.write_all(revision.to_toml().as_bytes())
            .map_err(|source| ScriptError::Io { path: path.clone(), source })?;
        Ok(path)
    }
}

/// Reads and parses the files; large histories are split over the available cores.
/// The text before the first table header (`[[upgrade]]`), where TOML puts a file's
/// top-level keys; lines inside multi-line strings do not count.
fn header_of(text: &str) -> &str {
    let mut offset = 0;
    let mut open: Option<&str> = None;
    for line in text.split_inclusive('\n') {
        if open.is_none() && line.trim_start().starts_with('[') {
            return &text[..offset];
        }
        for delimiter in ["\"\"\"", "'''"] {
            if open.is_none_or(|d| d == delimiter) && line.matches(delimiter).count() % 2 == 1 {
                open = if open.is_some() { None } else { Some(delimiter) };
            }
        }
        offset += line.len();
    }
    text
}

/// The 1-based lines of the `[[upgrade]]` headers of `text`, outside multi-line strings.
fn upgrade_lines(text: &str) -> Vec<usize> {
    let mut lines = Vec::new();
    let mut open: Option<&str> = None;
    for (number, line) in (1..).zip(text.lines()) {
        if open.is_none() && line.trim_start().starts_with("[[upgrade]]") {
            lines.push(number);
        }
        for delimiter in ["\"\"\"", "'''"] {
            if open.is_none_or(|d| d == delimiter) && line.matches(delimiter).count() % 2 == 1 {
                open = if open.is_some() { None } else { Some(delimiter) };
            }
        }
    }
    lines
}

/// How much of each file to read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Reading {
    Whole,
    Header,
}

fn read_all(paths: &[PathBuf], reading: Reading) -> Result<Vec<Revision>, ScriptError> {
    // A thread only pays for itself with enough files to parse.
    const PER_THREAD: usize = 64;
    let wanted = paths.len() / PER_THREAD;
    if wanted < 2 {
        return read_some(paths, reading);
    }
    let threads = std::thread::available_parallelism().map_or(1, usize::from).min(wanted);
    if threads < 2 {
        return read_some(paths, reading);
    }
    let chunk = paths.len().div_ceil(threads);
    std::thread::scope(|scope| {
        let mut parts = paths.chunks(chunk);
        let first = parts.next().unwrap_or_default();
        let others: Vec<_> = parts.map(|part| scope.spawn(move || read_some(part, reading))).collect();
        let mut revisions = read_some(first, reading)?;
        revisions.reserve(paths.len() - revisions.len());
        // Joining in order keeps file name order, and reports the first bad file.
        for handle in others {
            revisions.extend(handle.join().expect("parsing a revision file does not panic")?);
        }
        Ok(revisions)
    })
}

fn read_some(paths: &[PathBuf], reading: Reading) -> Result<Vec<Revision>, ScriptError> {
    let mut buffer = Vec::with_capacity(8 * 1024);
    paths
        .iter()
        .map(|path| {
            let io_error = |source| ScriptError::Io { path: path.clone(), source };
            read_into(path, &mut buffer).map_err(io_error)?;
            let text = std::str::from_utf8(&buffer).map_err(|err| not_utf8(path, &buffer, err.valid_up_to()))?;
            match reading {
                Reading::Whole => Revision::parse(text, path),
                Reading::Header => Revision::parse_header(text, path),
            }
        })
        .collect()
}

/// The error for a file whose bytes from `valid_up_to` on are not UTF-8, at their line and
/// column.
fn not_utf8(path: &Path, bytes: &[u8], valid_up_to: usize) -> ScriptError {
    let before = std::str::from_utf8(&bytes[..valid_up_to]).unwrap_or_default();
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |last| last.chars().count()) + 1;
    ScriptError::Parse {
        path: path.to_owned(),
        line,
        column,
        message: "the file is not UTF-8 here; save it as UTF-8".to_owned(),
    }
}

/// Reads a whole file into `buffer`. Unlike `fs::read`, this does not ask for the file's
/// size first, which saves system calls when there are a thousand small files.
fn read_into(path: &Path, buffer: &mut Vec<u8>) -> io::Result<()> {
    use std::io::Read as _;
    buffer.clear();
    let mut file = fs::File::open(path)?;
    loop {
        if buffer.capacity() == buffer.len() {
            buffer.reserve(buffer.len().max(4096));
        }
        let len = buffer.len();
        let spare = buffer.capacity() - len;
        buffer.resize(len + spare, 0);
        match file.read(&mut buffer[len..]) {
            Ok(0) => {
                buffer.truncate(len);
                return Ok(());
            }
            Ok(n) => buffer.truncate(len + n),
            Err(err) if err.kind() == io::ErrorKind::Interrupted => buffer.truncate(len),
            Err(err) => {
                buffer.truncate(len);
                return Err(err);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_message_line_is_the_first_paragraph_on_one_line() {
        assert_eq!(message_line("add users"), "add users");
        assert_eq!(message_line("add users\n\nwhy, at length"), "add users");
        assert_eq!(message_line("  add\r\nusers\rand\tposts \u{2028}now\n"), "add users and posts now");
        assert_eq!(message_line("a\r\n\r\nb"), "a");
        assert_eq!(message_line(""), "");
    }

    #[test]
    fn the_header_ends_at_the_first_table_outside_a_multi_line_string() {
        for (text, header) in [
            ("revision = \"a\"\n\n[[upgrade]]\nop = \"sql\"\n", "revision = \"a\"\n\n"),
            (
                "revision = \"a\"\nmessage = \"\"\"\n[[not a table]]\n\"\"\"\n[[upgrade]]\n",
                "revision = \"a\"\nmessage = \"\"\"\n[[not a table]]\n\"\"\"\n",
            ),
            ("message = '''x\n  [y]\n'''\n  [[downgrade]]\n", "message = '''x\n  [y]\n'''\n"),
            ("revision = \"a\"\n", "revision = \"a\"\n"),
        ] {
            assert_eq!(header_of(text), header, "{text:?}");
        }
    }

    /// Parses `text` as `versions/<name>`, returning the revision or the error's display.
    fn parse(name: &str, text: &str) -> Result<Revision, ScriptError> {
        Revision::parse(text, Path::new(name))
    }

    fn check_error(text: &str, expected: (usize, usize, &str)) {
        match parse("a1_x.toml", text) {
            Err(ScriptError::Parse { line, column, message, .. }) => {
                assert_eq!((line, column), (expected.0, expected.1), "{message}\n{text}");
                assert!(message.contains(expected.2), "{message:?} lacks {:?}", expected.2);
            }
            other => panic!("expected a parse error for\n{text}\ngot {other:?}"),
        }
    }

    #[test]
    fn a_file_that_is_not_utf8_is_named_with_its_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r2_two.toml");
        fs::write(&path, b"revision = \"r2\"\nmessage = \"\xff\xfe\"\n").unwrap();
        let err = read_some(std::slice::from_ref(&path), Reading::Whole).unwrap_err();
        assert!(matches!(&err, ScriptError::Parse { line: 2, column: 12, .. }), "{err:?}");
        assert!(err.to_string().contains("not UTF-8"), "{err}");
    }

    #[test]
    fn parse_errors_point_at_the_line_and_column() {
        check_error("revision = \"a1\"\nmessage = \"x\n", (2, 13, "string"));
        check_error("revision = \"a1\"\nmesage = \"x\"\n", (2, 1, "unknown field `mesage`"));
        check_error("revision = \"a 1\"\n", (1, 12, "invalid revision id `a 1`"));
        check_error("revision = \"a1\"\ndown_revision = 3\n", (2, 17, "a string or a list"));
        check_error("revision = \"a1\"\ndown_revision = [\"ok\", \"no!\"]\n", (2, 17, "invalid revision id `no!`"));
        check_error("revision = \"a1\"\nbranch_labels = [\"head\"]\n", (2, 17, "reserved"));
        check_error("revision = \"a1\"\nbranch_labels = \"a@b\"\n", (2, 17, "invalid branch label `a@b`"));
        check_error("revision = \"a1\"\ntransactional = \"no\"\n", (2, 17, "bool"));
        check_error("revision = \"a1\"\ncreated = 3\n", (2, 11, "date-time"));
        check_error("revision = \"a1\"\ncreated = \"yesterday\"\n", (2, 11, "not `yesterday`"));
        check_error("revision = \"a1\"\ndown_revision = [\"r1\", \"r1\"]\n", (2, 17, "`r1` is listed twice"));
        check_error(
            "revision = \"a1\"\n\n[[upgrade]]\nop = \"drop_table\"\ntable = \"t\"\n\n[[upgrade]]\nop = \"add_columns\"\n",
            (8, 6, "unknown op `add_columns`"),
        );
        check_error(
            "revision = \"a1\"\n\n[[upgrade]]\nop = \"drop_table\"\n  tabel = \"t\"\n",
            (5, 3, "unknown field `tabel`"),
        );
        check_error("revision = \"a1\"\n\n[[downgrade]]\nop = \"drop_table\"\n", (3, 1, "missing field `table`"));
        // A bad value inside an op is pointed at by its key, not by the op's header.
        check_error(
            "revision = \"a1\"\n\n[[upgrade]]\nop = \"add_column\"\ntable = \"t\"\ncolumn = { name = \"a\", type = 3 }\n",
            (6, 1, "(in `column`)"),
        );
        check_error(
            "revision = \"a1\"\n\n[[upgrade]]\nop = \"create_index\"\ntable = \"t\"\nname = \"ix\"\ncolumns = \"a\"\n",
            (7, 1, "expected a sequence (in `columns`)"),
        );
        check_error(
            "revision = \"a1\"\n[[upgrade]]\nop = \"add_column\"\ntable = \"t\"\ncolumn = { name = \"a\", type = \"\" }\n",
            (5, 1, "the type is empty (in `column`)"),
        );
    }

    /// `downgrade = []` says there is nothing to undo; no `[[downgrade]]` table and no
    /// `downgrade = []` says nothing was written. Both forms at once, or either misplaced,
    /// is an error at its line.
    #[test]
    fn a_downgrade_is_written_as_tables_or_as_an_empty_list() {
        let upgrade = "\n[[upgrade]]\nop = \"drop_table\"\ntable = \"t\"\n";
        let none = parse("a1_x.toml", &format!("revision = \"a1\"\n{upgrade}")).unwrap();
        assert!(!none.downgrade_written && none.lacks_downgrade());
        let empty = parse("a1_x.toml", &format!("revision = \"a1\"\ndowngrade = []\n{upgrade}")).unwrap();
        assert!(empty.downgrade_written && empty.downgrade.is_empty() && !empty.lacks_downgrade());
        let tables = format!("revision = \"a1\"\n{upgrade}\n[[downgrade]]\nop = \"drop_table\"\ntable = \"u\"\n");
        let tables = parse("a1_x.toml", &tables).unwrap();
        assert!(tables.downgrade_written && tables.downgrade.len() == 1 && !tables.lacks_downgrade());
        // Without upgrade ops there is nothing to undo, written or not.
        let merge = parse("m_x.toml", "revision = \"m\"\ndown_revision = [\"a\", \"b\"]\n").unwrap();
        assert!(!merge.downgrade_written && !merge.lacks_downgrade());

        check_error(
            &format!(
                "revision = \"a1\"\ndowngrade = []\n{upgrade}\n[[downgrade]]\nop = \"drop_table\"\ntable = \"u\"\n"
            ),
            (
                8,
                3,
                "[[downgrade]] tables follow `downgrade = []` (line 2), which says there is nothing to undo; keep one",
            ),
        );
        for table in ["[[upgrade]]", "[[downgrade]]"] {
            check_error(
                &format!("revision = \"a1\"\n\n{table}\nop = \"drop_table\"\ntable = \"t\"\ndowngrade = []\n"),
                (
                    6,
                    1,
                    "`downgrade` is no field of an op: `downgrade = []` (nothing to undo) goes with the header keys",
                ),
            );
        }
        for (value, column, what) in [
            ("\"none\"", 13, "invalid type: string \"none\", expected a sequence"),
            ("{}", 13, "invalid type: map"),
            ("false", 13, "invalid type: boolean"),
            ("[1]", 14, "expected internally tagged enum Op"),
        ] {
            let text = format!("revision = \"a1\"\ndowngrade = {value}\n");
            check_error(&text, (2, column, what));
            check_error(&text, (2, column, "write them as [[downgrade]] tables, or write `downgrade = []`"));
        }
    }

    #[test]
    fn header_fields_accept_one_or_many_and_defaults() {
        let revision = parse(
            "a1_x.toml",
            "revision = \"a1\"\ndown_revision = \"b2\"\nbranch_labels = \"billing\"\ndepends_on = [\"c3\", \"d4\"]\n\
             created = 2026-11-22T10:00:00Z\n",
        )
        .unwrap();
        assert_eq!(revision.down_revisions, [RevisionId::parse("b2").unwrap()]);
        assert_eq!(revision.branch_labels, ["billing"]);
        assert_eq!(revision.depends_on.len(), 2);
        assert_eq!(revision.created.as_deref(), Some("2026-11-22T10:00:00Z"));
        assert!(revision.transactional);
        for (written, read) in [
            ("2026-11-22T12:00:00+02:00", "2026-11-22T10:00:00Z"),
            ("\"2026-11-22 10:00:00.5\"", "2026-11-22T10:00:00.500Z"),
            ("2026-11-22", "2026-11-22T00:00:00Z"),
        ] {
            let revision = parse("a1_x.toml", &format!("revision = \"a1\"\ncreated = {written}\n")).unwrap();
            assert_eq!(revision.created.as_deref(), Some(read), "{written}");
        }
        assert_eq!(revision.message, "");

        let merge =
            parse("m_x.toml", "revision = \"m\"\ndown_revision = [\"a\", \"b\"]\ntransactional = false\n").unwrap();
        assert!(merge.is_merge());
        assert!(!merge.transactional);
        let base = parse("b.toml", "revision = \"b\"\ndown_revision = []\n").unwrap();
        assert!(base.is_base());
    }

    #[test]
    fn the_file_name_must_start_with_the_revision() {
        fn check(name: &str, ok: bool) {
            let result = parse(name, "revision = \"ab_c\"\n");
            assert_eq!(result.is_ok(), ok, "{name}: {result:?}");
            if !ok {
                assert!(matches!(result, Err(ScriptError::RevisionMismatch { .. })));
            }
        }
        check("ab_c.toml", true);
        check("ab_c_add_users.toml", true);
        check("versions/ab_c_x.toml", true);
        check("ab_cd_x.toml", false);
        check("ab_x.toml", false);
        check("zz_ab_c.toml", false);
        let err = parse("ab_x.toml", "revision = \"abc\"\n").unwrap_err();
        assert_eq!(
            err.to_string(),
            "revision file `ab_x.toml` declares revision `abc`, but its name starts with `ab`; \
             rename the file to `abc_<slug>.toml` or correct `revision`"
        );
    }

    /// Both readers give the same revision for every file the fast one accepts.
    #[test]
    fn the_fast_reader_reads_revisions_as_toml_does() {
        let files = [
            "revision = \"a1\"\n",
            "revision = \"a1\"\ndown_revision = [\"b2\", \"c3\"]\nbranch_labels = \"x\"\ndepends_on = \"d4\"\n\
             transactional = false\nmessage = \"m\"\ncreated = \"2026-11-22T10:00:00Z\"\n",
            "revision = 'a1'\n[[upgrade]]\nop = \"create_table\"\ntable = \"t\"\ncolumns = [\n  { name = \"id\", type = \"bigint\", \
             nullable = false, identity = true, default = { value = 1 } },\n  { name = \"x\", type = \"numeric(10,2)\", \
             default = { value = 1.5 } },\n  { name = \"y\", type = \"text[]\", default = { sql = \"'{}'\" }, \
             generated = { expr = \"1\", stored = false } },\n]\nprimary_key = [\"id\"]\n\
             constraints = [{ kind = \"foreign_key\", columns = [\"x\"], references = { table = \"u\", columns = [\"id\"] }, \
             on_delete = \"set_null\" }]\n",
            "revision = \"a1\"\n[[upgrade]]\nop = \"alter_column\"\ntable = \"t\"\ncolumn = \"c\"\n\
             type = { from = \"integer\", to = \"bigint\" }\nnullable = false\n\
             default = { from = { value = \"a\" }, to = { expr = \"current_date\" } }\ncomment = { to = \"hi\" }\n\
             [[downgrade]]\nop = \"sql\"\nsql = \"\"\"\nSELECT 1;\nSELECT '\\\\';\"\"\"\ndialect = \"sqlite\"\n",
            "revision = \"a1\"\n[[upgrade]]\nop = \"drop_table\"\ntable = \"t\"\nexisting.table = \"t\"\n\
             existing.columns = [{ name = \"id\", type = \"uuid\" }]\n",
            "revision = \"a1\"\ndowngrade = []\n[[upgrade]]\nop = \"drop_table\"\ntable = \"t\"\n",
            "revision = \"a1\"\n[[upgrade]]\nop = \"add_enum_value\"\nname = \"mood\"\nvalue = \"meh\"\nafter = \"ok\"\n",
        ];
        for text in files {
            let path = Path::new("a1_x.toml");
            let node = crate::script::plain_toml::parse(text).unwrap_or_else(|| panic!("the fast reader takes {text}"));
            let raw = RawRevision::deserialize(node).unwrap_or_else(|err| panic!("{err}\n{text}"));
            let fast = Revision::from_raw(raw, path).unwrap();
            let reference = Revision::from_raw(toml::from_str(text).unwrap(), path).unwrap();
            assert_eq!(fast, reference, "{text}");
        }
    }

    #[test]
    fn upgrade_headers_are_found_outside_strings() {
        let text = "revision = \"a\"\n[[upgrade]]\nop = \"sql\"\nsql = \"\"\"\n[[upgrade]]\n\"\"\"\n\n  [[upgrade]]\nop = \"x\"\n";
        assert_eq!(upgrade_lines(text), [2, 8]);
    }

    #[test]
    fn a_file_without_revision_is_an_error() {
        let err = parse("a1.toml", "message = \"x\"\n").unwrap_err();
        assert!(matches!(err, ScriptError::MissingField { field: "revision", .. }), "{err:?}");
    }

    #[test]
    fn label_rules() {
        fn check(label: &str, ok: bool) {
            assert_eq!(label_problem(label).is_none(), ok, "{label:?}");
        }
        check("billing", true);
        check("v1.2-beta_x", true);
        check("", false);
        check("head", false);
        check("base", false);
        check("a@b", false);
        check("a:b", false);
        check("a+b", false);
        check("-a", false);
    }
}
