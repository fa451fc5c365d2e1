//! Revision files and the revision graph: the only module that reads or writes `versions/`.
//!
//! - [`id`]: [`RevisionId`], valid by construction.
//! - [`file`](mod@file): one TOML file per revision ([`Revision`]) and the folder that holds
//!   them ([`ScriptDirectory`]).
//! - [`fixtures`]: the data fixtures a revision carries for `aludel test` ([`Fixtures`]).
//! - [`writer`]: new revisions ([`NewRevision`]), their parents resolved ([`Parent`]), and
//!   their text.
//! - [`graph`]: the [`RevisionGraph`] the files form, Alembic's target syntax (`head`, `+1`,
//!   `label@head`, `base`, `-1`, ...) and upgrade / downgrade / stamp planning.
//!
//! Nothing here talks to a database: callers pass the version table's rows in as
//! `current: &[RevisionId]` and apply the [`Plan`] they get back.

use std::path::PathBuf;

pub(crate) mod checksum;
pub mod file;
pub mod fixtures;
pub mod graph;
pub mod id;
mod plain_toml;
pub mod policy;
pub mod writer;

pub use file::{Revision, ScriptDirectory, check_label, message_line};
pub use fixtures::{Fixture, Fixtures};
pub use graph::{Direction, Plan, RevisionGraph, Step};
pub use id::RevisionId;
pub use policy::{Allow, Allowances, RunLimits, format_duration, parse_duration};
pub use writer::{NewRevision, Parent, RevisionNotes, RevisionSpec, Splice, slug};

/// Errors in revision files, the revision graph or a target.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ScriptError {
    /// Reading or writing a file failed.
    #[error("could not access `{path}`")]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// The script location has no `versions/` folder.
    #[error("no revision folder at `{}`; run `aludel init` to create it, or check `script_location`", .path.display())]
    NoVersionsDir {
        /// The missing `versions/` folder.
        path: PathBuf,
    },
    /// A revision file is not valid TOML or does not have the expected shape.
    #[error("invalid revision file `{}` at line {line}, column {column}: {message}", .path.display())]
    Parse {
        /// The revision file.
        path: PathBuf,
        /// 1-based line of the error.
        line: usize,
        /// 1-based column (in characters) of the error.
        column: usize,
        /// What is wrong.
        message: String,
    },
    /// A revision file lacks a required header field.
    #[error("revision file `{}` has no `{field}`; add `{field} = \"...\"` at the top of the file", .path.display())]
    MissingField {
        /// The revision file.
        path: PathBuf,
        /// The missing field.
        field: &'static str,
    },
    /// The `revision` inside a file differs from the id its file name starts with.
    #[error(
        "revision file `{}` declares revision `{revision}`, but its name starts with `{file_prefix}`; \
         rename the file to `{revision}_<slug>.toml` or correct `revision`",
        .path.display()
    )]
    RevisionMismatch {
        /// The revision file.
        path: PathBuf,
        /// The id the file declares.
        revision: RevisionId,
        /// The start of the file name, up to the first `_`.
        file_prefix: String,
    },
    /// Text that is not a revision id.
    #[error("invalid revision id `{text}`: use 1 to 32 letters, digits or underscores")]
    InvalidRevisionId {
        /// The text as given.
        text: String,
    },
    /// Two files define the same revision.
    #[error(
        "revision `{id}` is defined twice, in `{}` and `{}`; give one of them a new id",
        .first.display(), .second.display()
    )]
    DuplicateRevision {
        /// The revision id.
        id: RevisionId,
        /// The first file that defines it.
        first: PathBuf,
        /// The second file that defines it.
        second: PathBuf,
    },
    /// A new revision's id is a target word, or differs from an existing id only in case.
    #[error("revision id `{id}` cannot be used: {reason}; choose another `--rev-id`")]
    UnusableRevisionId {
        /// The id asked for.
        id: RevisionId,
        /// Why not.
        reason: String,
    },
    /// A `down_revision` names a revision that no file defines.
    #[error(
        "revision `{rev}` ({}) has down_revision `{parent}`, which no revision file defines; \
         restore that file or correct `down_revision`",
        .path.display()
    )]
    MissingParent {
        /// The revision whose parent is missing.
        rev: RevisionId,
        /// The missing parent.
        parent: RevisionId,
        /// The file of `rev`.
        path: PathBuf,
    },
    /// A `depends_on` names a revision that no file defines.
    #[error(
        "revision `{rev}` ({}) depends on `{dependency}`, which no revision file defines; \
         restore that file or correct `depends_on`",
        .path.display()
    )]
    MissingDependency {
        /// The revision whose dependency is missing.
        rev: RevisionId,
        /// The missing dependency.
        dependency: RevisionId,
        /// The file of `rev`.
        path: PathBuf,
    },
    /// Revisions reach themselves through `down_revision` / `depends_on`.
    #[error(
        "revisions form a cycle: {}; correct their `down_revision` or `depends_on`",
        join_cycle(.revisions)
    )]
    Cycle {
        /// The revisions on the cycle, each followed by its parent; the first one repeats at
        /// the end of the message.
        revisions: Vec<RevisionId>,
    },
    /// A branch label that targets could not name unambiguously.
    #[error("invalid branch label `{label}`: {reason}")]
    InvalidLabel {
        /// The label.
        label: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A revision file's branch label is another revision's id, which targets would take
    /// for the id.
    #[error(
        "revision `{rev}` ({}) has branch label `{label}`, which is the id of revision `{other}`: a target \
         `{label}` would name that revision; rename the label",
        .path.display()
    )]
    LabelIsAnId {
        /// The label.
        label: String,
        /// The revision that carries it.
        rev: RevisionId,
        /// Its file.
        path: PathBuf,
        /// The revision whose id it is.
        other: RevisionId,
    },
    /// A new revision's branch label is already a label or a revision id.
    #[error("branch label `{label}` is already taken by revision `{by}`: pick another label")]
    LabelTaken {
        /// The label.
        label: String,
        /// The revision that carries it, or whose id it is.
        by: RevisionId,
    },
    /// A merge names a revision that is not a head: it would start a branch, not join two.
    #[error(
        "`{revision}` is not a head (revisions follow it), so a merge of it would add a head rather than join \
         two: merge heads (`aludel heads` lists them)"
    )]
    MergeOfNonHead {
        /// The revision.
        revision: RevisionId,
    },
    /// A merge names a revision and one of its ancestors: there is nothing to join.
    #[error(
        "`{ancestor}` is an ancestor of `{descendant}`, so merging them joins nothing: merge heads (`aludel heads` \
         lists them)"
    )]
    MergeOfAncestor {
        /// The earlier revision.
        ancestor: RevisionId,
        /// The revision that descends from it.
        descendant: RevisionId,
    },
    /// Two revisions use the same branch label.
    #[error("branch label `{label}` is used by both `{first}` and `{second}`; labels must be unique")]
    DuplicateLabel {
        /// The label.
        label: String,
        /// The first revision that uses it.
        first: RevisionId,
        /// The second revision that uses it.
        second: RevisionId,
    },
    /// A target is malformed or makes no sense for the command.
    #[error("invalid target `{target}`: {reason}")]
    InvalidTarget {
        /// The target as given.
        target: String,
        /// Why it is invalid, and what to use instead.
        reason: String,
    },
    /// No revision matches the target.
    #[error("no revision matches `{target}`; list revisions with `aludel history`")]
    UnknownRevision {
        /// The target as given.
        target: String,
    },
    /// A revision id prefix matches several revisions.
    #[error("revision prefix `{prefix}` is ambiguous: it matches {}; type more characters", join(.candidates))]
    AmbiguousPrefix {
        /// The prefix as given.
        prefix: String,
        /// Every revision it matches, sorted.
        candidates: Vec<RevisionId>,
    },
    /// `head` was asked for, but the graph has several heads.
    #[error(
        "multiple heads: {}; name one (`aludel heads` lists them), use `heads` for all where the command takes \
         several (upgrade, stamp), or join them with `aludel merge heads`",
        join(.heads)
    )]
    MultipleHeads {
        /// The heads, sorted.
        heads: Vec<RevisionId>,
    },
    /// A new revision would follow `head`, but the graph has several heads.
    #[error(
        "multiple heads: {}; choose the new revision's parent with `--head <rev>` (or `--head <label>@head`), or \
         join the heads first with `aludel merge heads`",
        join(.heads)
    )]
    ParentNotChosen {
        /// The heads, sorted.
        heads: Vec<RevisionId>,
    },
    /// No revision carries the branch label.
    #[error(
        "no revision has branch label `{label}`, and no revision id starts with it; `aludel branches` lists the \
         branches"
    )]
    UnknownLabel {
        /// The label as given.
        label: String,
    },
    /// The database is at a revision that no file defines.
    #[error(
        "the database is at revision `{rev}`, which no revision file defines (files deleted? wrong \
         script_location?); restore the file, or set the version with `aludel stamp <rev> --purge`"
    )]
    UnknownCurrent {
        /// The version table's row.
        rev: RevisionId,
    },
    /// A new revision file would overwrite an existing one.
    #[error("`{}` already exists; choose another revision id", .path.display())]
    FileExists {
        /// The existing file.
        path: PathBuf,
    },
    /// A target such as `head` was given, but there are no revision files yet.
    #[error(
        "there are no revision files yet, so `{target}` names nothing; create one with `aludel revision -m \"...\"`"
    )]
    NoRevisions {
        /// The target as given.
        target: String,
    },
    /// A relative target (`+N`, `-N`) moves further than the graph goes.
    #[error(
        "`{target}` asks for {steps} step(s), but at most {available} can be taken in that direction; \
         use {} or a smaller number",
        furthest(.target)
    )]
    RelativeOutOfRange {
        /// The target as given.
        target: String,
        /// How many steps it asks for.
        steps: usize,
        /// How many steps are possible.
        available: usize,
    },
    /// A relative target reaches a branch point or a merge, where the way on is not unique.
    #[error(
        "`{target}` is ambiguous: from {from} it can go to {}; name the revision to go to",
        join(.choices)
    )]
    AmbiguousStep {
        /// The target as given.
        target: String,
        /// Where the walk stood (`base`, or a revision id).
        from: String,
        /// The revisions it could go on to.
        choices: Vec<RevisionId>,
    },
    /// A relative target counts from the current revision, but the database has several heads.
    #[error(
        "the database is at several heads ({}), so `{target}` is ambiguous; use `<rev>{target}` \
         or `<label>@{target}`",
        join(.heads)
    )]
    AmbiguousCurrent {
        /// The target as given.
        target: String,
        /// The current heads.
        heads: Vec<RevisionId>,
    },
    /// A new revision would follow a revision that is not a head, without saying it starts a
    /// branch there.
    #[error("revision `{revision}` is not a head; pass --splice to start a branch from it")]
    NotAHead {
        /// The parent asked for.
        revision: RevisionId,
    },
    /// A merge names fewer than two revisions.
    #[error("nothing to merge: {} names {found} revision(s); name two or more heads", .targets.join(" "))]
    NothingToMerge {
        /// The targets as given.
        targets: Vec<String>,
        /// How many distinct revisions they name.
        found: usize,
    },
    /// A new revision's id is taken.
    #[error("revision `{id}` already exists; pick another --rev-id")]
    RevisionExists {
        /// The id asked for.
        id: RevisionId,
    },
    /// A downgrade target that is not applied (it would be an upgrade).
    #[error("cannot downgrade to `{target}`: revision `{rev}` is not applied; use `aludel upgrade {target}`")]
    NotApplied {
        /// The target as given.
        target: String,
        /// The revision it resolved to.
        rev: RevisionId,
    },
    /// A downgrade would pass revisions whose upgrade has ops but whose file says nothing
    /// about undoing them (see [`Revision::lacks_downgrade`]); it is refused before any step
    /// runs.
    #[error(
        "cannot downgrade past revision(s) without a downgrade: {}; each has upgrade ops but neither `[[downgrade]]` \
         ops nor `downgrade = []`, so downgrading past it would move the version below it and leave its changes in \
         place; write its `[[downgrade]]` ops (`aludel revision --autogenerate` writes them), or add \
         `downgrade = []` above its first `[[upgrade]]` when there is nothing to undo",
        join_files(.revisions)
    )]
    DowngradeNotWritten {
        /// The revisions without a downgrade, in the order the downgrade would run them.
        revisions: Vec<RevisionFile>,
    },
}

/// A revision and the file that defines it, as errors about several revisions list them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RevisionFile {
    /// The revision.
    pub revision: RevisionId,
    /// Its file.
    pub path: PathBuf,
}

impl RevisionFile {
    /// The revision `revision` and its file.
    pub fn of(revision: &Revision) -> RevisionFile {
        RevisionFile { revision: revision.id.clone(), path: revision.path.clone() }
    }
}

/// The first few of `files` with their paths, and how many more: a long history imported
/// without downgrades would otherwise print a page.
fn join_files(files: &[RevisionFile]) -> String {
    const SHOWN: usize = 10;
    let each = files.iter().take(SHOWN).map(|file| format!("`{}` ({})", file.revision, file.path.display()));
    let mut text = each.collect::<Vec<_>>().join(", ");
    if files.len() > SHOWN {
        text.push_str(&format!(" and {} more", files.len() - SHOWN));
    }
    text
}

/// The end a relative target that went too far can name instead: `head` or `base`, of its
/// branch when it counts along one (`feat@-5`: `feat@base`).
fn furthest(target: &str) -> String {
    let up = target.rfind(['+', '-']).is_some_and(|sign| target.as_bytes()[sign] == b'+');
    let end = if up { "head" } else { "base" };
    match target.split_once('@') {
        Some((branch, _)) if !branch.is_empty() => format!("`{branch}@{end}`"),
        _ => format!("`{end}`"),
    }
}

fn join(ids: &[RevisionId]) -> String {
    ids.iter().map(RevisionId::as_str).collect::<Vec<_>>().join(", ")
}

fn join_cycle(ids: &[RevisionId]) -> String {
    let mut text = ids.iter().map(RevisionId::as_str).collect::<Vec<_>>().join(" -> ");
    if let Some(first) = ids.first() {
        text.push_str(" -> ");
        text.push_str(first.as_str());
    }
    text
}
