//! The documents `--format json` prints: one JSON object per command, with `"version": 1` so
//! that tools can tell the shape. Version 1 only grows: a field may be added, none is renamed,
//! removed or given another type; a change that breaks that is version 2.
//!
//! The shapes are documented in the README (section "Output for CI and tools"); each struct
//! here is one of them. Text output lives in `output`.

use std::io::{self, Write};

use serde::Serialize;

use crate::dialect::common::StepKind;
use crate::diff::{Destructive, Diff, Warning};
use crate::ops::Op;
use crate::runtime::{CheckReport, ChecksumMismatch, HistoryRow, ModelCheck, TraceReport, Unfinished};
use crate::script::{Revision, RevisionGraph, RevisionId};

/// The shape's version, the `"version"` of every document.
pub(super) const VERSION: u32 = 1;

/// Every document: the version, then the command's own fields.
#[derive(Serialize)]
struct Document<T: Serialize> {
    version: u32,
    #[serde(flatten)]
    body: T,
}

/// Writes `body` as a document: pretty-printed, one newline at the end.
fn write<T: Serialize>(out: &mut dyn Write, body: T) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, &Document { version: VERSION, body })?;
    writeln!(out)
}

fn ids(ids: &[RevisionId]) -> Vec<&str> {
    ids.iter().map(RevisionId::as_str).collect()
}

/// A revision in the graph: `history`, `heads`, `branches`, `current` and `show`.
#[derive(Serialize)]
struct RevisionJson<'a> {
    id: &'a str,
    /// Its down revisions: empty for a base, two or more for a merge.
    parents: Vec<&'a str>,
    children: Vec<&'a str>,
    message: &'a str,
    /// The labels its file declares.
    branch_labels: &'a [String],
    /// The labels that cover it: its own and those of the revisions it descends from.
    branches: Vec<&'a str>,
    depends_on: Vec<&'a str>,
    created: Option<&'a str>,
    path: String,
    head: bool,
    branch_point: bool,
    merge_point: bool,
    transactional: bool,
    /// The revision's checksum, as the history table records it.
    checksum: String,
}

impl<'a> RevisionJson<'a> {
    fn new(graph: &'a RevisionGraph, revision: &'a Revision) -> Self {
        RevisionJson {
            id: revision.id.as_str(),
            parents: ids(&revision.down_revisions),
            children: graph.children(&revision.id).into_iter().map(RevisionId::as_str).collect(),
            message: &revision.message,
            branch_labels: &revision.branch_labels,
            branches: graph.branches_of(&revision.id),
            depends_on: ids(&revision.depends_on),
            created: revision.created.as_deref(),
            path: revision.path.display().to_string(),
            head: graph.is_head(&revision.id),
            branch_point: graph.is_branch_point(&revision.id),
            merge_point: revision.down_revisions.len() > 1,
            transactional: revision.transactional,
            checksum: revision.checksum(),
        }
    }
}

/// A revision not applied yet, in `check`: what its header says.
#[derive(Serialize)]
struct PendingJson<'a> {
    id: &'a str,
    parents: Vec<&'a str>,
    message: &'a str,
    branch_labels: &'a [String],
    depends_on: Vec<&'a str>,
    path: String,
}

/// An op: its one-line description and its definition in the revision file's terms.
#[derive(Serialize)]
struct OpJson<'a> {
    description: String,
    definition: &'a Op,
}

fn ops(ops: &[Op]) -> Vec<OpJson<'_>> {
    ops.iter().map(|op| OpJson { description: op.describe(), definition: op }).collect()
}

#[derive(Serialize)]
struct WarningJson {
    kind: &'static str,
    message: String,
}

fn warnings(warnings: &[Warning]) -> Vec<WarningJson> {
    warnings
        .iter()
        .map(|warning| {
            let kind = match warning {
                Warning::LikelyRename { .. } => "likely_rename",
                Warning::RenameHintIgnored { .. } => "rename_hint_ignored",
                Warning::EnumValuesReordered { .. } => "enum_values_reordered",
                Warning::Irreversible { .. } => "irreversible",
                Warning::Unsupported { .. } => "unsupported",
                Warning::RewritesTable { .. } => "rewrites_table",
                Warning::NotCompared { .. } => "not_compared",
            };
            WarningJson { kind, message: warning.to_string() }
        })
        .collect()
}

#[derive(Serialize)]
struct DestructiveJson {
    /// Index into the document's `ops`, from 0.
    op_index: usize,
    description: String,
    reason: String,
}

fn destructive(diff: &Diff) -> Vec<DestructiveJson> {
    diff.destructive
        .iter()
        .map(|Destructive { op_index, reason }| DestructiveJson {
            op_index: *op_index,
            description: diff.upgrade.get(*op_index).map(Op::describe).unwrap_or_default(),
            reason: reason.clone(),
        })
        .collect()
}

/// `history`: newest first, as the range selects them.
pub(super) fn history(out: &mut dyn Write, graph: &RevisionGraph, revisions: &[&Revision]) -> io::Result<()> {
    #[derive(Serialize)]
    struct History<'a> {
        revisions: Vec<RevisionJson<'a>>,
    }
    write(out, History { revisions: revisions.iter().map(|r| RevisionJson::new(graph, r)).collect() })
}

/// `heads`.
pub(super) fn heads(out: &mut dyn Write, graph: &RevisionGraph, heads: &[&Revision]) -> io::Result<()> {
    #[derive(Serialize)]
    struct Heads<'a> {
        heads: Vec<RevisionJson<'a>>,
    }
    write(out, Heads { heads: heads.iter().map(|r| RevisionJson::new(graph, r)).collect() })
}

/// `branches`: each branch point with the revisions that leave it.
pub(super) fn branches(out: &mut dyn Write, graph: &RevisionGraph) -> io::Result<()> {
    #[derive(Serialize)]
    struct BranchPoint<'a> {
        revision: RevisionJson<'a>,
        branches: Vec<RevisionJson<'a>>,
    }
    #[derive(Serialize)]
    struct Branches<'a> {
        branch_points: Vec<BranchPoint<'a>>,
    }
    let branch_points = graph
        .branch_points()
        .into_iter()
        .filter_map(|id| graph.get(id))
        .map(|revision| BranchPoint {
            revision: RevisionJson::new(graph, revision),
            branches: graph
                .children(&revision.id)
                .into_iter()
                .filter_map(|child| graph.get(child))
                .map(|child| RevisionJson::new(graph, child))
                .collect(),
        })
        .collect();
    write(out, Branches { branch_points })
}

/// `show`: the revision with its ops.
pub(super) fn show(out: &mut dyn Write, graph: &RevisionGraph, revision: &Revision) -> io::Result<()> {
    #[derive(Serialize)]
    struct Detailed<'a> {
        #[serde(flatten)]
        revision: RevisionJson<'a>,
        upgrade: Vec<OpJson<'a>>,
        downgrade: Vec<OpJson<'a>>,
    }
    #[derive(Serialize)]
    struct Show<'a> {
        revision: Detailed<'a>,
    }
    let revision = Detailed {
        revision: RevisionJson::new(graph, revision),
        upgrade: ops(&revision.upgrade),
        downgrade: ops(&revision.downgrade),
    };
    write(out, Show { revision })
}

/// `current`: each row of the version table, its revision (`null` when no file defines it)
/// and the last history row that brought the database there (`null` when none).
pub(super) fn current(
    out: &mut dyn Write,
    database: Option<String>,
    graph: &RevisionGraph,
    heads: &[RevisionId],
    history: &[HistoryRow],
    unfinished: Option<&Unfinished>,
) -> io::Result<()> {
    #[derive(Serialize)]
    struct Applied<'a> {
        at: &'a str,
        /// `upgrade`, `stamp`, ...; `null` for a word this version does not know.
        kind: Option<&'static str>,
    }
    #[derive(Serialize)]
    struct Head<'a> {
        id: &'a str,
        revision: Option<RevisionJson<'a>>,
        applied: Option<Applied<'a>>,
    }
    #[derive(Serialize)]
    struct Current<'a> {
        database: Option<String>,
        current: Vec<Head<'a>>,
        unfinished: Option<UnfinishedJson<'a>>,
    }
    let latest = crate::cli::output::latest_rows(history, heads);
    let current = heads
        .iter()
        .map(|id| Head {
            id: id.as_str(),
            revision: graph.get(id).map(|revision| RevisionJson::new(graph, revision)),
            applied: latest
                .get(id.as_str())
                .map(|row| Applied { at: &row.applied_at, kind: row.kind.map(|kind| kind.as_str()) }),
        })
        .collect();
    write(out, Current { database, current, unfinished: unfinished.map(UnfinishedJson::new) })
}

/// A revision that did not finish: `direction` `upgrade` or `downgrade`, `state` `failed` or
/// `running` (the process stopped), what ran, and how to settle it.
#[derive(Serialize)]
struct UnfinishedJson<'a> {
    revision: &'a str,
    direction: &'static str,
    state: &'static str,
    detail: Option<&'a str>,
    message: String,
}

impl<'a> UnfinishedJson<'a> {
    fn new(unfinished: &'a Unfinished) -> Self {
        let (direction, state) = match unfinished.kind {
            StepKind::UpgradeRunning => ("upgrade", "running"),
            StepKind::DowngradeRunning => ("downgrade", "running"),
            StepKind::DowngradeFailed => ("downgrade", "failed"),
            _ => ("upgrade", "failed"),
        };
        UnfinishedJson {
            revision: &unfinished.revision,
            direction,
            state,
            detail: unfinished.detail.as_deref(),
            message: unfinished.message(),
        }
    }
}

/// `check`: whether anything differs, the pending revisions, and the comparison with the
/// models (`status`: `compared`, `not_compared` while revisions are pending, or
/// `not_configured`).
pub(super) fn check(
    out: &mut dyn Write,
    database: Option<String>,
    report: &CheckReport,
    lint: Option<&crate::runtime::LintRun>,
) -> io::Result<()> {
    let CheckReport { current, pending, models, unfinished } = report;
    #[derive(Serialize)]
    struct Models<'a> {
        status: &'static str,
        ops: Vec<OpJson<'a>>,
        warnings: Vec<WarningJson>,
        destructive: Vec<DestructiveJson>,
    }
    #[derive(Serialize)]
    struct Check<'a> {
        database: Option<String>,
        drift: bool,
        current: Vec<&'a str>,
        /// The revision that did not finish (runs refuse until it is resolved).
        unfinished: Option<UnfinishedJson<'a>>,
        pending: Vec<PendingJson<'a>>,
        models: Models<'a>,
        /// With `--lint`: the pending revisions' findings, as `lint` prints them.
        #[serde(skip_serializing_if = "Option::is_none")]
        lint: Option<serde_json::Value>,
    }
    let pending = pending
        .iter()
        .map(|revision| PendingJson {
            id: revision.id.as_str(),
            parents: ids(&revision.down_revisions),
            message: &revision.message,
            branch_labels: &revision.branch_labels,
            depends_on: ids(&revision.depends_on),
            path: revision.path.display().to_string(),
        })
        .collect();
    let empty = |status| Models { status, ops: Vec::new(), warnings: Vec::new(), destructive: Vec::new() };
    let models = match models {
        ModelCheck::NotConfigured => empty("not_configured"),
        ModelCheck::NotCompared => empty("not_compared"),
        ModelCheck::Compared(diff) => Models {
            status: "compared",
            ops: ops(&diff.upgrade),
            warnings: warnings(&diff.warnings),
            destructive: destructive(diff),
        },
    };
    let lint = lint.map(|run| serde_json::to_value(lint_body(run))).transpose().map_err(io::Error::other)?;
    let unfinished = unfinished.as_ref().map(UnfinishedJson::new);
    write(out, Check { database, drift: report.has_drift(), current: ids(current), unfinished, pending, models, lint })
}

/// `diff`: the ops, their SQL for `dialect`, warnings and destructive ops.
pub(super) fn diff(
    out: &mut dyn Write,
    database: Option<String>,
    dialect: &str,
    diff: &Diff,
    sql: &str,
) -> io::Result<()> {
    #[derive(Serialize)]
    struct DiffJson<'a> {
        database: Option<String>,
        dialect: &'a str,
        ops: Vec<OpJson<'a>>,
        warnings: Vec<WarningJson>,
        destructive: Vec<DestructiveJson>,
        sql: &'a str,
    }
    write(
        out,
        DiffJson {
            database,
            dialect,
            ops: ops(&diff.upgrade),
            warnings: warnings(&diff.warnings),
            destructive: destructive(diff),
            sql,
        },
    )
}

/// `verify`: the applied revisions whose files changed since they ran; with `--accept`,
/// `accepted` is true and they are the ones just recorded as intended.
pub(super) fn verify(
    out: &mut dyn Write,
    accepted: bool,
    database: Option<String>,
    mismatches: &[ChecksumMismatch],
) -> io::Result<()> {
    #[derive(Serialize)]
    struct Mismatch<'a> {
        revision: &'a str,
        /// `null` when no file defines the revision any more.
        path: Option<String>,
        recorded: &'a str,
        current: Option<&'a str>,
    }
    #[derive(Serialize)]
    struct Verify<'a> {
        accepted: bool,
        database: Option<String>,
        mismatches: Vec<Mismatch<'a>>,
    }
    let mismatches = mismatches
        .iter()
        .map(|m| Mismatch {
            revision: m.revision.as_str(),
            path: m.current.as_ref().map(|file| file.path.display().to_string()),
            recorded: &m.recorded,
            current: m.current.as_ref().map(|file| file.checksum.as_str()),
        })
        .collect();
    write(out, Verify { accepted, database, mismatches })
}

/// `trace --format json`.
pub(super) fn trace(out: &mut dyn Write, database: Option<String>, report: &TraceReport) -> io::Result<()> {
    #[derive(Serialize)]
    struct Statement<'a> {
        revision: &'a str,
        sql: &'a str,
        duration_ms: u128,
        locks: &'a std::collections::BTreeMap<String, String>,
        blocks_writers: bool,
        longest_writer_wait_ms: Option<u128>,
        longest_writer_wait_table: Option<&'a str>,
        rewritten: &'a [String],
        over_budget: bool,
    }
    #[derive(Serialize)]
    struct Trace<'a> {
        database: Option<String>,
        rows: &'a std::collections::BTreeMap<String, u64>,
        budget_ms: u128,
        over_budget: bool,
        statements: Vec<Statement<'a>>,
        notes: &'a [String],
    }
    let statements = report
        .statements
        .iter()
        .map(|s| Statement {
            revision: s.revision.as_str(),
            sql: &s.sql,
            duration_ms: s.duration.as_millis(),
            locks: &s.locks,
            blocks_writers: s.blocks_writers,
            longest_writer_wait_ms: s.longest_stall.as_ref().map(|(_, wait)| wait.as_millis()),
            longest_writer_wait_table: s.longest_stall.as_ref().map(|(table, _)| table.as_str()),
            rewritten: &s.rewritten,
            over_budget: s.exceeds(report.budget),
        })
        .collect();
    write(
        out,
        Trace {
            database,
            rows: &report.rows,
            budget_ms: report.budget.as_millis(),
            over_budget: report.over_budget().next().is_some(),
            statements,
            notes: &report.notes,
        },
    )
}

/// `aludel test`: every result, with the backends it ran on.
pub(super) fn test(out: &mut dyn Write, report: &crate::testing::Report) -> io::Result<()> {
    use crate::testing::Outcome;

    #[derive(Serialize)]
    struct Database<'a> {
        backend: &'a str,
        server: &'a str,
    }
    #[derive(Serialize)]
    struct Result<'a> {
        check: &'static str,
        backend: Option<&'a str>,
        revision: Option<&'a str>,
        subject: &'a str,
        /// `passed`, `failed` or `skipped`.
        status: &'static str,
        /// Why it failed or was skipped; `null` when it passed.
        message: Option<&'a str>,
        duration_ms: u64,
    }
    #[derive(Serialize)]
    struct Test<'a> {
        passed: bool,
        databases: Vec<Database<'a>>,
        results: Vec<Result<'a>>,
    }
    let results = report
        .results
        .iter()
        .map(|r| {
            let (status, message) = match &r.outcome {
                Outcome::Passed => ("passed", None),
                Outcome::Failed(message) => ("failed", Some(message.as_str())),
                Outcome::Skipped(reason) => ("skipped", Some(reason.as_str())),
            };
            Result {
                check: r.check.name(),
                backend: r.backend,
                revision: r.revision.as_ref().map(RevisionId::as_str),
                subject: &r.subject,
                status,
                message,
                duration_ms: r.duration.as_millis() as u64,
            }
        })
        .collect();
    let databases = report.databases.iter().map(|(backend, server)| Database { backend, server }).collect();
    write(out, Test { passed: report.passed(), databases, results })
}

/// `lint`: what was linted, against what, and every finding (allowed ones too).
pub(super) fn lint(out: &mut dyn Write, run: &crate::runtime::LintRun) -> io::Result<()> {
    write(out, lint_body(run))
}

/// The fields of the `lint` document, which `check --lint` nests as its `lint`.
fn lint_body(run: &crate::runtime::LintRun) -> impl Serialize + '_ {
    use crate::runtime::LintDatabase;
    #[derive(Serialize)]
    struct Database<'a> {
        /// `read`, `unreachable` or `not_configured`.
        status: &'static str,
        heads: Vec<&'a str>,
        sizes: bool,
        error: Option<&'a str>,
    }
    #[derive(Serialize)]
    struct FindingJson<'a> {
        rule: &'static str,
        severity: &'static str,
        revision: &'a str,
        path: String,
        line: Option<usize>,
        /// 1-based, as errors count ops; `null` for the revision as a whole.
        op_number: Option<usize>,
        op: Option<&'a str>,
        statement: Option<usize>,
        table: Option<&'a str>,
        rows: Option<u64>,
        message: &'a str,
        why: &'static str,
        fix: &'static str,
        /// The `allow`'s reason; `null` when the finding stands.
        allowed: Option<&'a str>,
    }
    #[derive(Serialize)]
    struct Lint<'a> {
        dialect: &'static str,
        database: Database<'a>,
        revisions: Vec<&'a str>,
        errors: usize,
        warnings: usize,
        notes: usize,
        allowed: usize,
        findings: Vec<FindingJson<'a>>,
    }
    let database = match &run.database {
        LintDatabase::Read { heads, sizes } => {
            Database { status: "read", heads: ids(heads), sizes: *sizes, error: None }
        }
        LintDatabase::Unreachable(error) => {
            Database { status: "unreachable", heads: Vec::new(), sizes: false, error: Some(error) }
        }
        LintDatabase::NotConfigured => {
            Database { status: "not_configured", heads: Vec::new(), sizes: false, error: None }
        }
    };
    let tally = crate::cli::lint::Tally::of(&run.report);
    let findings = run
        .report
        .findings
        .iter()
        .map(|finding| FindingJson {
            rule: finding.rule.id,
            severity: finding.severity.as_str(),
            revision: finding.revision.as_str(),
            path: finding.path.display().to_string(),
            line: finding.line,
            op_number: finding.op_index.map(|i| i + 1),
            op: finding.op.as_deref(),
            statement: finding.statement,
            table: finding.table.as_deref(),
            rows: finding.rows,
            message: &finding.message,
            why: finding.rule.why,
            fix: finding.rule.fix,
            allowed: finding.allowed.as_deref(),
        })
        .collect();
    Lint {
        dialect: run.report.dialect,
        database,
        revisions: ids(&run.report.revisions),
        errors: tally.errors,
        warnings: tally.warnings,
        notes: tally.notes,
        allowed: tally.allowed,
        findings,
    }
}
