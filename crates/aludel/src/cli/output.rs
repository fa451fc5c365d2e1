//! How command results look as text. Lines scripts may parse (`current`, `heads`,
//! `history`) keep Alembic's shapes: `<parents> -> <rev> (head), <message>`. Color, when the
//! console takes it, only wraps words in escape codes: without it the text is the same.
//! Whatever aludel did not write itself (messages, names, paths, SQL, the database's answers)
//! goes through `style::shown`, so it cannot drive the terminal.
//! `json` holds the `--format json` documents, `progress` the output of a run.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{self, Write};
use std::path::Path;

use crate::cli::style::{Console, Paint, Style, script_for, shown, shown_lines, shown_str};
use crate::config::Config;
use crate::diff::{Diff, RenameKind, Warning};
use crate::ops::Op;
use crate::runtime::{
    ChecksumMismatch, HistoryRow, RenameQuestion, RunReport, StepReport, TraceReport, TracedStatement,
};
use crate::script::{Direction, Revision, RevisionGraph, RevisionId, message_line};

pub(super) fn join(ids: &[RevisionId]) -> String {
    ids.iter().map(RevisionId::as_str).collect::<Vec<_>>().join(", ")
}

fn parents(revision: &Revision) -> String {
    if revision.down_revisions.is_empty() { "<base>".to_owned() } else { join(&revision.down_revisions) }
}

/// ` (head)`, ` (branchpoint)`, ` (mergepoint)` markers.
fn markers(graph: &RevisionGraph, revision: &Revision) -> String {
    let mut text = String::new();
    let branches = graph.branches_of(&revision.id);
    if !branches.is_empty() {
        text.push_str(&format!(" ({})", branches.join(", ")));
    }
    if graph.is_head(&revision.id) {
        text.push_str(" (head)");
    }
    if graph.is_branch_point(&revision.id) {
        text.push_str(" (branchpoint)");
    }
    if revision.down_revisions.len() > 1 {
        text.push_str(" (mergepoint)");
    }
    text
}

fn summary(graph: &RevisionGraph, revision: &Revision) -> String {
    format!("{} -> {}{}, {}", parents(revision), revision.id, markers(graph, revision), shown(revision.message_line()))
}

fn details(out: &mut dyn Write, graph: &RevisionGraph, revision: &Revision) -> io::Result<()> {
    details_marked(out, graph, revision, "")
}

fn details_marked(out: &mut dyn Write, graph: &RevisionGraph, revision: &Revision, mark: &str) -> io::Result<()> {
    writeln!(out, "Rev: {}{}{mark}", revision.id, markers(graph, revision))?;
    writeln!(out, "Parent: {}", parents(revision))?;
    let children = graph.children(&revision.id);
    if !children.is_empty() {
        let ids: Vec<RevisionId> = children.into_iter().cloned().collect();
        writeln!(out, "Children: {}", join(&ids))?;
    }
    let branches = graph.branches_of(&revision.id);
    if !branches.is_empty() {
        writeln!(out, "Branch names: {}", branches.join(", "))?;
    }
    if !revision.depends_on.is_empty() {
        writeln!(out, "Depends on: {}", join(&revision.depends_on))?;
    }
    if let Some(created) = &revision.created {
        writeln!(out, "Created: {}", shown(created))?;
    }
    writeln!(out, "Path: {}", shown(revision.path.display()))?;
    writeln!(out)?;
    for line in revision.message.lines() {
        writeln!(out, "    {}", shown(line))?;
    }
    writeln!(out)
}

pub(super) fn init(out: &mut dyn Write, config: &Path, versions: &Path) -> io::Result<()> {
    writeln!(out, "Created {}", shown(config.display()))?;
    writeln!(out, "Created {}", shown(versions.display()))?;
    writeln!(out, "Next: set DATABASE_URL (or database_url in the config), then `aludel revision -m \"...\"`")
}

pub(super) fn init_from_database(
    out: &mut dyn Write,
    config: &Path,
    versions: &Path,
    adopted: &crate::runtime::Adopted,
) -> io::Result<()> {
    writeln!(out, "Created {}", shown(config.display()))?;
    writeln!(out, "Created {}", shown(versions.display()))?;
    writeln!(
        out,
        "Wrote {} ({} table(s)): the models, as the database holds them",
        shown(adopted.schema_sql.display()),
        adopted.tables
    )?;
    writeln!(out, "Wrote {}: the baseline revision", shown(adopted.revision.display()))?;
    writeln!(out, "Stamped the database at {}", adopted.revision_id)?;
    writeln!(
        out,
        "Next: `aludel check` (clean now); change schema.sql, then `aludel revision --autogenerate -m \"...\"`"
    )
}

pub(super) fn import(
    out: &mut dyn Write,
    tool: crate::import::Tool,
    imported: &crate::runtime::Imported,
) -> io::Result<()> {
    for path in &imported.written {
        writeln!(out, "Wrote {}", shown(path.display()))?;
    }
    writeln!(out, "Imported {} {tool} migration(s)", imported.written.len())?;
    match &imported.stamped {
        Some((revision, applied)) => writeln!(
            out,
            "Stamped the database at {revision}: its {} records {applied} applied migration(s); the table stays",
            tool.version_table()
        ),
        None => writeln!(out, "Nothing stamped: no database with a {} table", tool.version_table()),
    }
}

/// Names the database a changing command acts on (password hidden), before it acts.
pub(super) fn database(out: &mut dyn Write, config: &Config) -> io::Result<()> {
    match &config.database_url {
        Some(url) => writeln!(out, "Database: {}", shown(url)),
        None => Ok(()),
    }
}

/// The first line of `current --verbose`, as Alembic words it.
pub(super) fn current_for(out: &mut dyn Write, config: &Config) -> io::Result<()> {
    match &config.database_url {
        Some(url) => writeln!(out, "Current revision(s) for {}:", shown(url)),
        None => Ok(()),
    }
}

pub(super) fn man_pages(out: &mut dyn Write, dir: &Path) -> io::Result<()> {
    writeln!(out, "Wrote the man pages to {}", shown(dir.display()))
}

pub(super) fn generated(out: &mut dyn Write, path: &Path) -> io::Result<()> {
    writeln!(out, "Generating {} ... done", shown(path.display()))
}

pub(super) fn step_line(step: &StepReport) -> String {
    let parents = if step.down_revisions.is_empty() { "<base>".to_owned() } else { join(&step.down_revisions) };
    let millis = step.duration.as_millis();
    let message = shown(message_line(&step.message));
    match step.direction {
        Direction::Up => {
            format!("Running upgrade {parents} -> {}, {message} ({millis} ms)", step.revision)
        }
        Direction::Down => {
            format!("Running downgrade {} -> {parents}, {message} ({millis} ms)", step.revision)
        }
    }
}

pub(super) fn current(
    out: &mut dyn Write,
    graph: &RevisionGraph,
    heads: &[RevisionId],
    history: Option<&[HistoryRow]>,
) -> io::Result<()> {
    let latest = history.map(|history| latest_rows(history, heads));
    for id in heads {
        match (graph.get(id), &latest) {
            (Some(revision), Some(latest)) => {
                details(out, graph, revision)?;
                if let Some(row) = latest.get(id.as_str()) {
                    let kind = row.kind.map_or("a step this version of aludel does not know", |k| k.as_str());
                    writeln!(out, "Applied: {} ({kind})", shown(&row.applied_at))?;
                }
            }
            (Some(revision), None) => writeln!(out, "{}{}", id, markers(graph, revision))?,
            (None, _) => writeln!(out, "{} (no revision file defines it)", shown(id))?,
        }
    }
    Ok(())
}

/// The last row of `history` for each of `heads` that has one: one pass from the end, which
/// stops once every head is found.
pub(super) fn latest_rows<'h>(history: &'h [HistoryRow], heads: &[RevisionId]) -> BTreeMap<&'h str, &'h HistoryRow> {
    let mut wanted: BTreeSet<&str> = heads.iter().map(RevisionId::as_str).collect();
    let mut latest = BTreeMap::new();
    for row in history.iter().rev() {
        if wanted.is_empty() {
            break;
        }
        if wanted.remove(row.revision.as_str()) {
            latest.insert(row.revision.as_str(), row);
        }
    }
    latest
}

pub(super) fn revisions(
    out: &mut dyn Write,
    graph: &RevisionGraph,
    revisions: &[&Revision],
    verbose: bool,
) -> io::Result<()> {
    revisions_marking(out, graph, revisions, verbose, &[])
}

/// [`revisions`], marking those in `current` (the database's heads) with `(current)`.
pub(super) fn revisions_marking(
    out: &mut dyn Write,
    graph: &RevisionGraph,
    revisions: &[&Revision],
    verbose: bool,
    current: &[RevisionId],
) -> io::Result<()> {
    let current: BTreeSet<&RevisionId> = current.iter().collect();
    for revision in revisions {
        let mark = if current.contains(&revision.id) { " (current)" } else { "" };
        if verbose {
            details_marked(out, graph, revision, mark)?;
        } else {
            let markers = markers(graph, revision);
            let message = shown(revision.message_line());
            writeln!(out, "{} -> {}{markers}{mark}, {message}", parents(revision), revision.id)?;
        }
    }
    Ok(())
}

pub(super) fn branches(out: &mut dyn Write, graph: &RevisionGraph, verbose: bool) -> io::Result<()> {
    for id in graph.branch_points() {
        let Some(revision) = graph.get(id) else { continue };
        if verbose {
            details(out, graph, revision)?;
        } else {
            writeln!(out, "{}", summary(graph, revision))?;
        }
        for child in graph.children(id) {
            if let Some(child) = graph.get(child) {
                writeln!(out, "    -> {}{}, {}", child.id, markers(graph, child), shown(child.message_line()))?;
            }
        }
    }
    Ok(())
}

pub(super) fn show(out: &mut dyn Write, graph: &RevisionGraph, revision: &Revision) -> io::Result<()> {
    details(out, graph, revision)?;
    if !revision.transactional {
        writeln!(out, "Runs outside a transaction (transactional = false)")?;
    }
    writeln!(out, "Checksum: {}", revision.checksum())?;
    for (title, ops) in [("Upgrade", &revision.upgrade), ("Downgrade", &revision.downgrade)] {
        writeln!(out, "{title}:")?;
        if ops.is_empty() {
            writeln!(out, "    (no ops)")?;
        }
        for op in ops {
            writeln!(out, "    {}", shown(op.describe()))?;
        }
    }
    Ok(())
}

pub(super) fn stamped(out: &mut dyn Write, heads: &[RevisionId]) -> io::Result<()> {
    if heads.is_empty() {
        writeln!(out, "Stamped base: the version table is empty")
    } else {
        writeln!(out, "Stamped {}", join(heads))
    }
}

/// The revision that did not finish, and how to settle it.
pub(super) fn unfinished(out: &mut dyn Write, unfinished: &crate::runtime::Unfinished) -> io::Result<()> {
    writeln!(out, "Unfinished: {}", shown_lines(unfinished.message()))
}

pub(super) fn check(
    out: &mut dyn Write,
    current: &[RevisionId],
    pending: &[Revision],
    unfinished: Option<&crate::runtime::Unfinished>,
) -> io::Result<()> {
    let at = if current.is_empty() { "base".to_owned() } else { join(current) };
    if let Some(stuck) = unfinished {
        writeln!(out, "The database is at {at}")?;
        return self::unfinished(out, stuck);
    }
    if pending.is_empty() {
        return writeln!(out, "OK: the database is at head ({at})");
    }
    writeln!(out, "The database is at {at}; {} revision(s) not applied:", pending.len())?;
    for revision in pending {
        writeln!(out, "    {}, {}", revision.id, shown(revision.message_line()))?;
    }
    writeln!(out, "Run `aludel upgrade heads` to apply them.")
}

pub(super) fn verified(out: &mut dyn Write, mismatches: &[ChecksumMismatch]) -> io::Result<()> {
    if mismatches.is_empty() {
        return writeln!(out, "OK: every applied revision matches its file");
    }
    writeln!(out, "{} applied revision file(s) changed or removed since they ran:", mismatches.len())?;
    for mismatch in mismatches {
        writeln!(out, "    {}", shown(mismatch))?;
    }
    writeln!(out, "Restore the files, or run `aludel verify --accept` if the edits (or removals) are intended.")
}

pub(super) fn accepted(out: &mut dyn Write, accepted: &[ChecksumMismatch]) -> io::Result<()> {
    if accepted.is_empty() {
        return writeln!(out, "Nothing to accept: every applied revision matches its file");
    }
    for mismatch in accepted {
        match &mismatch.current {
            Some(file) => writeln!(out, "Accepted the edit of {} ({})", mismatch.revision, shown(file.path.display()))?,
            None => writeln!(out, "Accepted the removal of {} (no file defines it any more)", mismatch.revision)?,
        }
    }
    Ok(())
}

/// `trace`: one block per statement, then the verdict.
pub(super) fn trace(out: &mut dyn Write, report: &TraceReport) -> io::Result<()> {
    let millis = |d: std::time::Duration| format!("{} ms", d.as_millis());
    if report.statements.is_empty() {
        writeln!(out, "Nothing to trace: no revision is pending")?;
    }
    for statement in &report.statements {
        let first_line =
            statement.sql.lines().map(str::trim).find(|l| !l.is_empty() && !opens_revision(l)).unwrap_or("");
        writeln!(out, "{} {}", statement.revision, shown(first_line))?;
        let locks: Vec<String> =
            statement.locks.iter().map(|(table, mode)| format!("{} on {}", shown(mode), shown(table))).collect();
        let locks = if locks.is_empty() { "none".to_owned() } else { locks.join(", ") };
        writeln!(out, "    ran {}; locks: {locks}", millis(statement.duration))?;
        match &statement.longest_stall {
            Some((table, wait)) => writeln!(out, "    longest writer wait: {} on {}", millis(*wait), shown(table))?,
            None => writeln!(out, "    longest writer wait: none measured")?,
        }
        if !statement.rewritten.is_empty() {
            writeln!(out, "    rewrote: {}", shown(statement.rewritten.join(", ")))?;
        }
    }
    for note in &report.notes {
        writeln!(out, "note: {}", shown_lines(note))?;
    }
    let rows: Vec<String> = report.rows.iter().map(|(table, rows)| format!("{} {rows}", shown(table))).collect();
    writeln!(out, "Rows generated: {}", if rows.is_empty() { "none".to_owned() } else { rows.join(", ") })?;
    let over: Vec<&TracedStatement> = report.over_budget().collect();
    if over.is_empty() {
        writeln!(out, "OK: no statement stopped writers longer than {}", millis(report.budget))
    } else {
        writeln!(
            out,
            "{} statement(s) stopped writers longer than {}; write them in their online forms (CONCURRENTLY, NOT \
             VALID then VALIDATE) or split them",
            over.len(),
            millis(report.budget)
        )
    }
}

/// Whether `line` is the run's own start of a revision, which travels with its first
/// statement: `BEGIN` and the revision's lock and statement timeouts.
fn opens_revision(line: &str) -> bool {
    line == "BEGIN;"
        || ["SET LOCAL lock_timeout ", "SET LOCAL statement_timeout ", "SET lock_timeout ", "SET statement_timeout "]
            .iter()
            .any(|set| line.starts_with(set))
}

fn is_destructive(diff: &Diff, index: usize) -> bool {
    diff.destructive.iter().any(|destructive| destructive.op_index == index)
}

/// An op as `check` and autogenerate list it, colored by what it does.
fn op_text(style: Style, diff: &Diff, index: usize, op: &Op) -> String {
    let description = op.describe();
    style.paint(Paint::of_op(&description, is_destructive(diff, index)), &shown_str(&description)).into_owned()
}

fn warning_line(out: &mut dyn Write, style: Style, warning: &Warning) -> io::Result<()> {
    writeln!(out, "{} {}", style.paint(Paint::Warning, "warning:"), shown(warning))
}

/// The ops autogenerate found, its warnings and the destructive ops, as Alembic's
/// "Detected ..." lines.
pub(super) fn detected(out: &mut dyn Write, style: Style, diff: &Diff) -> io::Result<()> {
    for (index, op) in diff.upgrade.iter().enumerate() {
        writeln!(out, "Detected {}", op_text(style, diff, index, op))?;
    }
    for warning in &diff.warnings {
        warning_line(out, style, warning)?;
    }
    for destructive in &diff.destructive {
        writeln!(
            out,
            "{} op {}: {}",
            style.paint(Paint::Error, "DESTRUCTIVE:"),
            destructive.op_index + 1,
            shown(&destructive.reason)
        )?;
    }
    Ok(())
}

/// What `check` says when the models differ only in what no op expresses.
const UNEXPRESSED: &str = "The models differ from the database in what autogenerate cannot write (above): write it by hand in a revision's \
     `sql` op";

pub(super) fn no_changes(out: &mut dyn Write, diff: &Diff) -> io::Result<()> {
    if diff.matches() {
        writeln!(out, "No changes in schema detected; no revision file written")
    } else {
        writeln!(out, "No revision file written: autogenerate cannot write the differences above; write them by hand")
    }
}

pub(super) fn no_models(out: &mut dyn Write) -> io::Result<()> {
    writeln!(out, "No models configured (`[models]` in aludel.toml): the models were not compared")
}

pub(super) fn model_check(out: &mut dyn Write, style: Style, diff: &Diff) -> io::Result<()> {
    if diff.is_empty() {
        for warning in &diff.warnings {
            warning_line(out, style, warning)?;
        }
        if !diff.matches() {
            return writeln!(out, "{UNEXPRESSED}");
        }
        return writeln!(out, "OK: the models match the database; no new upgrade operations detected");
    }
    writeln!(out, "The models differ from the database; a new revision would hold {} op(s):", diff.upgrade.len())?;
    for (index, op) in diff.upgrade.iter().enumerate() {
        writeln!(out, "    {}", op_text(style, diff, index, op))?;
    }
    for warning in &diff.warnings {
        warning_line(out, style, warning)?;
    }
    writeln!(out, "Run `aludel revision --autogenerate -m \"...\"` to write it.")
}

/// The SQL of a comparison, with its warnings and destructive ops as comments first (escaped,
/// so that a line break in a name cannot end the comment). With color, comments are dim and
/// the comment that opens each op's statements takes the op's color. The SQL is exact off a
/// terminal and escaped on one (`style::script_for`).
pub(super) fn diff_sql(out: &mut dyn Write, console: Console, diff: &Diff, sql: &str) -> io::Result<()> {
    let style = console.style();
    if diff.matches() {
        return writeln!(out, "-- the models match the database: nothing to do");
    }
    for warning in &diff.warnings {
        writeln!(out, "{}", style.paint(Paint::Warning, &format!("-- warning: {}", shown(warning))))?;
    }
    if diff.is_empty() {
        return writeln!(out, "-- no op expresses the differences above: write them by hand in a revision's `sql` op");
    }
    for destructive in &diff.destructive {
        let line = format!("-- DESTRUCTIVE: op {}: {}", destructive.op_index + 1, shown(&destructive.reason));
        writeln!(out, "{}", style.paint(Paint::Error, &line))?;
    }
    let sql = script_for(console, sql);
    if style == Style::default() {
        return out.write_all(sql.as_bytes());
    }
    // Each op's statements follow a `-- <op described>` line, in the order of the ops.
    let mut next = 0;
    for line in sql.lines() {
        let opens_op = diff.upgrade.get(next).is_some_and(|op| {
            let described = op.describe();
            let described = if console.terminal { shown_lines(&described).to_string() } else { described };
            line.strip_prefix("-- ") == Some(described.as_str())
        });
        let line = if opens_op {
            next += 1;
            style.paint(Paint::of_op(line.trim_start_matches("-- "), is_destructive(diff, next - 1)), line)
        } else if line.starts_with("--") {
            style.paint(Paint::Comment, line)
        } else {
            line.into()
        };
        writeln!(out, "{line}")?;
    }
    Ok(())
}

/// The question `--interactive` asks about a likely rename.
pub(super) fn rename_question(question: &RenameQuestion) -> String {
    match (&question.kind, &question.table) {
        (RenameKind::Column, Some(table)) => {
            format!("Was column `{}.{}` renamed to `{}`?", shown(table), shown(&question.old), shown(&question.new))
        }
        _ => format!("Was table `{}` renamed to `{}`?", shown(&question.old), shown(&question.new)),
    }
}

/// Asks a yes/no question on `out` and reads the answer from `input`; no is the default.
pub(super) fn ask(out: &mut dyn Write, input: &mut dyn io::BufRead, question: &str) -> io::Result<bool> {
    loop {
        write!(out, "{question} [y/N] ")?;
        out.flush()?;
        let mut answer = String::new();
        if input.read_line(&mut answer)? == 0 {
            writeln!(out)?;
            return Ok(false);
        }
        match answer.trim().to_ascii_lowercase().as_str() {
            "y" | "yes" => return Ok(true),
            "" | "n" | "no" => return Ok(false),
            _ => writeln!(out, "Please answer y or n.")?,
        }
    }
}

/// `resolve`: what the settled step now counts as, in the terms of its direction (a
/// finished downgrade leaves the revision unapplied).
pub(super) fn resolved(
    out: &mut dyn Write,
    typed: &str,
    resolution: crate::runtime::Resolution,
    report: &RunReport,
) -> io::Result<()> {
    use crate::runtime::Resolution::{Applied, Reverted};
    let at = if report.heads.is_empty() { "base".to_owned() } else { join(&report.heads) };
    let (revision, direction) =
        report.steps.first().map_or((typed, Direction::Up), |step| (step.revision.as_str(), step.direction));
    let how = match (direction, resolution) {
        (Direction::Up, Applied) => "its upgrade as finished: it is applied",
        (Direction::Up, Reverted) => "its upgrade as undone: it is not applied",
        (Direction::Down, Applied) => "its downgrade as finished: it is not applied",
        (Direction::Down, Reverted) => "its downgrade as undone: it stays applied",
    };
    writeln!(out, "Resolved {}, {how}; the database is at {at}", shown(revision))
}
