//! `aludel lint` as text and as GitHub annotations (`--format github`); its JSON document is
//! in `json`.

use std::io::{self, Write};
use std::path::Path;

use crate::cli::style::{Paint, Style, shown};
use crate::lint::{Finding, RULES, Report, Severity, by_revision};
use crate::runtime::{LintDatabase, LintRun};

/// Counts of standing findings by severity, and of allowed ones.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(super) struct Tally {
    pub(super) errors: usize,
    pub(super) warnings: usize,
    pub(super) notes: usize,
    pub(super) allowed: usize,
}

impl Tally {
    pub(super) fn of(report: &Report) -> Tally {
        let mut tally = Tally::default();
        for finding in &report.findings {
            match (&finding.allowed, finding.severity) {
                (Some(_), _) => tally.allowed += 1,
                (None, Severity::Error) => tally.errors += 1,
                (None, Severity::Warning) => tally.warnings += 1,
                (None, Severity::Note) => tally.notes += 1,
            }
        }
        tally
    }
}

/// What was linted and against what, in a line.
fn scope(run: &LintRun) -> String {
    let count = run.report.revisions.len();
    let dialect = run.report.dialect;
    match &run.database {
        LintDatabase::Read { heads, sizes } => {
            let at = if heads.is_empty() { "base".to_owned() } else { crate::cli::output::join(heads) };
            let sizes = if *sizes { "; severities scaled by table sizes" } else { "" };
            format!("Linted {count} revision(s) for {dialect}; the database is at {at}{sizes}")
        }
        LintDatabase::Unreachable(why) => {
            format!(
                "Linted {count} revision(s) for {dialect}; the database could not be read ({}), so no sizes",
                shown(why)
            )
        }
        LintDatabase::NotConfigured => format!("Linted {count} revision(s) for {dialect}; no database configured"),
    }
}

fn paint(severity: Severity) -> Paint {
    match severity {
        Severity::Error => Paint::Error,
        Severity::Warning => Paint::Warning,
        Severity::Note => Paint::Comment,
    }
}

/// Findings grouped by revision and op, each with why and the fix; allowed ones in a line.
pub(super) fn text(out: &mut dyn Write, style: Style, run: &LintRun) -> io::Result<()> {
    for (_, (revision, findings)) in by_revision(&run.report) {
        let path = findings.first().map(|f| shown(f.path.display()).to_string()).unwrap_or_default();
        writeln!(out, "{revision} ({path})")?;
        let mut last_op = None;
        for finding in findings {
            if last_op != Some(finding.op_index) {
                last_op = Some(finding.op_index);
                match (&finding.op_index, &finding.op) {
                    (Some(index), Some(op)) => {
                        let line = finding.line.map(|l| format!(", line {l}")).unwrap_or_default();
                        writeln!(out, "  op {} {}{line}", index + 1, shown(op))?;
                    }
                    _ => writeln!(out, "  the revision")?,
                }
            }
            finding_text(out, style, finding)?;
        }
    }
    let tally = Tally::of(&run.report);
    writeln!(out, "{}", scope(run))?;
    writeln!(
        out,
        "{} error(s), {} warning(s), {} note(s); {} allowed",
        tally.errors, tally.warnings, tally.notes, tally.allowed
    )
}

fn finding_text(out: &mut dyn Write, style: Style, finding: &Finding) -> io::Result<()> {
    let statement = finding.statement.map(|s| format!("statement {s}: ")).unwrap_or_default();
    let rows = match (&finding.table, finding.rows) {
        (Some(table), Some(rows)) => format!(" ({}: about {rows} rows)", shown(table)),
        _ => String::new(),
    };
    if let Some(reason) = &finding.allowed {
        return writeln!(
            out,
            "    allowed {}: {statement}{}; reason: {}",
            finding.rule.id,
            shown(&finding.message),
            shown(reason)
        );
    }
    let label = format!("{}[{}]", finding.severity.as_str(), finding.rule.id);
    writeln!(
        out,
        "    {}: {statement}{}{rows}",
        style.paint(paint(finding.severity), &label),
        shown(&finding.message)
    )?;
    writeln!(out, "      why: {}", finding.rule.why)?;
    writeln!(out, "      fix: {}", finding.rule.fix)?;
    match allow_hint(finding) {
        Some(hint) => writeln!(out, "      or {hint}"),
        None => Ok(()),
    }
}

/// How to accept the finding in the revision file; none for a misspelt `allow` itself.
fn allow_hint(finding: &Finding) -> Option<String> {
    (finding.rule.id != crate::lint::UNKNOWN_ALLOW).then(|| {
        format!("allow it in the revision file: allow = [{{ rule = \"{}\", reason = \"...\" }}]", finding.rule.id)
    })
}

/// One GitHub Actions workflow command per standing finding, so a pull request shows each
/// at its op's line.
pub(super) fn github(out: &mut dyn Write, cwd: &Path, report: &Report) -> io::Result<()> {
    for finding in report.standing() {
        let level = match finding.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Note => "notice",
        };
        let path = finding.path.strip_prefix(cwd).unwrap_or(&finding.path);
        let line = finding.line.map(|l| format!(",line={l}")).unwrap_or_default();
        let op = finding.op.as_deref().map(|op| format!("{op}: ")).unwrap_or_default();
        let hint = allow_hint(finding).map(|hint| format!(" Or {hint}")).unwrap_or_default();
        let message = format!("{op}{}. Why: {}. Fix: {}.{hint}", finding.message, finding.rule.why, finding.rule.fix);
        writeln!(
            out,
            "::{level} file={}{line},title={}::{}",
            escape_property(&path.display().to_string()),
            escape_property(&format!("{} ({})", finding.rule.id, finding.revision)),
            escape_data(&message)
        )?;
    }
    let tally = Tally::of(report);
    writeln!(
        out,
        "{} error(s), {} warning(s), {} note(s); {} allowed",
        tally.errors, tally.warnings, tally.notes, tally.allowed
    )
}

/// The escapes of a workflow command's message; its other control characters are shown as
/// escapes, since a CI log renders them.
fn escape_data(text: &str) -> String {
    let text = text.replace('%', "%25").replace('\r', "%0D").replace('\n', "%0A");
    shown(text).to_string()
}

/// The escapes of a workflow command's property (also `:` and `,`).
fn escape_property(text: &str) -> String {
    escape_data(text).replace(':', "%3A").replace(',', "%2C")
}

/// `aludel lint --rules`: every rule with its severity, backends and summary.
pub(super) fn rules(out: &mut dyn Write) -> io::Result<()> {
    for rule in RULES {
        writeln!(out, "{} ({}; {})", rule.id, rule.severity.as_str(), rule.dialects.join(", "))?;
        writeln!(out, "    {}", rule.summary)?;
        writeln!(out, "    why: {}", rule.why)?;
        writeln!(out, "    fix: {}", rule.fix)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn workflow_commands_escape_what_would_end_them() {
        assert_eq!(escape_data("50% done\nnext"), "50%25 done%0Anext");
        assert_eq!(escape_property("a:b,c"), "a%3Ab%2Cc");
    }
}
