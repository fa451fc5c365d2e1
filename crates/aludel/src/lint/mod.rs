//! `aludel lint`: what a revision would do to a busy database, before it runs.
//!
//! Every upgrade op, and every statement of an `sql` op (read with `sqlparser` for the
//! backend), becomes [`facts`](self::facts) ("an index is built on `users`", "`orders.total`
//! changes type"); the rules of `rules/` judge those facts against the schema the earlier
//! revisions lead to (simulated with [`Schema::apply`], as the runtime does), so a rule knows
//! whether a table existed before the revision. The revisions a database has not applied are
//! linted as the one run the next upgrade makes of them ([`lint_pending`]): a table an
//! earlier one creates is new to the later ones too. Each [`Finding`] names its [`Rule`] (a
//! stable id, why it hurts, the safe alternative), the revision, op and statement.
//!
//! Table sizes read from the database ([`TableSizes`]) scale a rule's severity: a rewrite of
//! a ten-row table is a note, of a million-row one an error. Exceptions live in the revision
//! file (`allow`, see [`crate::script::Allowances`]) and are reported as allowed, not hidden.
//!
//! Pure: no IO beyond reading a revision file's line numbers, no database. Which revisions to
//! lint and the table sizes come from `runtime::Project::lint`.

mod facts;
mod rules;
mod sizes;
#[cfg(feature = "schema-sql")]
mod sql;

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::time::Duration;

use serde::Serialize;

use crate::dialect::Dialect;
use crate::ops::Op;
use crate::schema::Schema;
use crate::script::{Revision, RevisionGraph, RevisionId};
use facts::{Fact, FactKind};

pub use rules::{RULES, Rule, UNKNOWN_ALLOW, rule};
pub use sizes::{ERROR_FROM_ROWS, NOTE_BELOW_ROWS, TableSizes};

/// How much a finding matters; an unallowed [`Severity::Error`] makes `aludel lint` exit 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Worth knowing; harmless on a small table.
    Note,
    /// Likely to hurt; review it.
    Warning,
    /// Blocks or breaks a busy database; fix it or allow it with a reason.
    Error,
}

impl Severity {
    /// `note`, `warning` or `error`.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Note => "note",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

/// One rule broken by one op (or one statement of an `sql` op).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// The rule.
    pub rule: &'static Rule,
    /// Its severity here: the rule's, lowered on a small table.
    pub severity: Severity,
    /// The revision.
    pub revision: RevisionId,
    /// Its file.
    pub path: PathBuf,
    /// The 1-based line of the op's `[[upgrade]]` in the file, when it could be read.
    pub line: Option<usize>,
    /// The op's 0-based position among the upgrade ops; `None` for the revision as a whole.
    pub op_index: Option<usize>,
    /// The op, described (`create_index ix_users_email on users`).
    pub op: Option<String>,
    /// The 1-based statement of an `sql` op.
    pub statement: Option<usize>,
    /// The table concerned.
    pub table: Option<String>,
    /// The table's estimated rows, when the database was read.
    pub rows: Option<u64>,
    /// What this op does that the rule is about.
    pub message: String,
    /// The reason of the `allow` that accepts it; `None` when it stands.
    pub allowed: Option<String>,
}

/// What [`lint`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    /// The dialect whose rules ran (`postgresql`, `mysql`, `sqlite`).
    pub dialect: &'static str,
    /// The revisions linted, in the order they run.
    pub revisions: Vec<RevisionId>,
    /// Every finding, allowed ones included, in revision and op order.
    pub findings: Vec<Finding>,
}

impl Report {
    /// Whether a finding of [`Severity::Error`] stands (is not allowed).
    pub fn has_errors(&self) -> bool {
        self.standing().any(|f| f.severity == Severity::Error)
    }

    /// The findings no `allow` accepts.
    pub fn standing(&self) -> impl Iterator<Item = &Finding> {
        self.findings.iter().filter(|f| f.allowed.is_none())
    }
}

/// What a lint knows beyond the revisions.
#[derive(Debug, Clone, Copy)]
pub struct LintOptions<'a> {
    /// The backend whose rules apply.
    pub dialect: &'a dyn Dialect,
    /// The lock timeout a revision runs with when its file sets none (aludel.toml's
    /// `[timeouts] lock_timeout`); zero is none.
    pub lock_timeout: Duration,
    /// Estimated rows per table, when the database was read.
    pub sizes: Option<&'a TableSizes>,
}

/// Lints the revisions of `graph` that `selection` names, each against the schema the
/// revisions before it (in the graph's order) lead to, and as if deployed alone: a table an
/// earlier selected revision created counts as existing ([`lint_pending`] does otherwise).
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use aludel::dialect::Backend;
/// use aludel::lint::{LintOptions, Severity, lint};
/// use aludel::script::ScriptDirectory;
///
/// let files = [
///     ("a1_users.toml", "revision = \"a1\"\n[[upgrade]]\nop = \"create_table\"\ntable = \"users\"\n\
///                        columns = [{ name = \"email\", type = \"text\" }]\n\
///                        [[downgrade]]\nop = \"drop_table\"\ntable = \"users\"\n"),
///     ("b2_index.toml", "revision = \"b2\"\ndown_revision = \"a1\"\n[[upgrade]]\nop = \"create_index\"\n\
///                        table = \"users\"\nname = \"ix_users_email\"\ncolumns = [\"email\"]\n\
///                        [[downgrade]]\nop = \"drop_index\"\ntable = \"users\"\nname = \"ix_users_email\"\n"),
/// ];
/// let graph = ScriptDirectory::from_embedded(&files)?;
/// let ids: Vec<_> = graph.revisions().iter().map(|r| r.id.clone()).collect();
/// let options = LintOptions { dialect: Backend::Postgres.dialect(), lock_timeout: Duration::from_secs(2), sizes: None };
/// let report = lint(&graph, &ids, &options);
/// assert_eq!(report.findings[0].rule.id, "pg-index-not-concurrent");
/// assert_eq!(report.findings[0].severity, Severity::Error);
/// # Ok::<(), aludel::script::ScriptError>(())
/// ```
pub fn lint(graph: &RevisionGraph, selection: &[RevisionId], options: &LintOptions<'_>) -> Report {
    lint_selected(graph, selection, options, false)
}

/// Lints `pending`, the revisions a database has not applied, as the next upgrade runs them:
/// one after the other, so a table one of them creates is empty, and unknown to the running
/// application, when the later ones change it. Such a table counts as new in those too, as
/// in the revision that creates it; [`lint`] judges each revision as if deployed alone.
///
/// Every revision pending is a database at base: a fresh one (CI's, a developer's), whose
/// findings are meant for the databases that hold rows, so each revision is judged alone.
pub fn lint_pending(graph: &RevisionGraph, pending: &[RevisionId], options: &LintOptions<'_>) -> Report {
    let selected: BTreeSet<&RevisionId> = pending.iter().collect();
    let at_base = graph.revisions().iter().all(|revision| selected.contains(&revision.id));
    lint_selected(graph, pending, options, !at_base)
}

/// `together`: tables an earlier selected revision created count as new in the later ones.
fn lint_selected(graph: &RevisionGraph, selection: &[RevisionId], options: &LintOptions<'_>, together: bool) -> Report {
    let selected: BTreeSet<&RevisionId> = selection.iter().collect();
    let mut schema = Schema::default();
    let mut checks = Checks::default();
    let mut sql_indexes = SqlIndexes::default();
    let mut created_in_run = BTreeSet::new();
    let mut findings = Vec::new();
    let mut revisions = Vec::new();
    for revision in graph.revisions() {
        if selected.contains(&revision.id) {
            revisions.push(revision.id.clone());
            let start = findings.len();
            let mut fresh_tables = if together { std::mem::take(&mut created_in_run) } else { BTreeSet::new() };
            let known = Known { schema: &mut schema, checks: &mut checks, sql_indexes: &mut sql_indexes };
            lint_revision(revision, known, &mut fresh_tables, options, &mut findings);
            created_in_run = fresh_tables;
            if findings.len() > start {
                let lines = revision.upgrade_lines();
                for finding in &mut findings[start..] {
                    finding.line = match finding.op_index {
                        Some(index) => lines.get(index).copied(),
                        None => Some(1),
                    };
                }
            }
        } else {
            for op in &revision.upgrade {
                let mut op_facts = facts::of_op(op, &schema, options.dialect);
                sql_indexes.place(&mut op_facts);
                checks.remember(&op_facts);
                sql_indexes.remember(&op_facts);
                schema.apply(op).ok();
            }
        }
    }
    Report { dialect: options.dialect.name(), revisions, findings }
}

/// A rule's verdict before it is placed: which rule, on what, and what exactly.
#[derive(Debug, Clone)]
pub(crate) struct Hit {
    pub(crate) rule: &'static str,
    pub(crate) table: Option<String>,
    pub(crate) message: String,
}

impl Hit {
    pub(crate) fn new(rule: &'static str, table: Option<&str>, message: String) -> Hit {
        Hit { rule, table: table.map(str::to_owned), message }
    }
}

/// What the rules know about a revision while its ops are walked.
pub(crate) struct Context<'a> {
    pub(crate) revision: &'a Revision,
    /// The schema just before the current op.
    pub(crate) schema: &'a Schema,
    /// Tables this revision created so far (they hold no rows, and nobody uses them yet),
    /// and for pending revisions linted as one run, those the earlier ones created.
    pub(crate) fresh_tables: &'a BTreeSet<String>,
    /// Columns this revision added so far, as `(table, column)`.
    pub(crate) fresh_columns: &'a BTreeSet<(String, String)>,
    /// What the simulated schema does not hold about checks, as of the current op.
    pub(crate) checks: &'a Checks,
    /// Whether the revision's statements run in one transaction.
    pub(crate) in_transaction: bool,
    pub(crate) dialect: &'a dyn Dialect,
    /// Whether the current op's statements rebuild its table (SQLite; one op of a run of
    /// ops rebuilt once).
    pub(crate) rebuilds: bool,
}

impl Context<'_> {
    /// Whether `table` existed before this revision, or before the run for pending revisions
    /// linted as one (a table the simulated history does not know, made by raw SQL, counts
    /// as existing).
    pub(crate) fn existed(&self, table: &str) -> bool {
        !self.fresh_tables.contains(table)
    }

    /// Whether `table.column` existed before this revision.
    pub(crate) fn column_existed(&self, table: &str, column: &str) -> bool {
        self.existed(table) && !self.fresh_columns.contains(&(table.to_owned(), column.to_owned()))
    }
}

/// What the simulated schema does not hold about checks: the checks raw SQL added, which
/// `Schema::apply` does not see, and whether the `NOT VALID` ones, op or raw SQL, were
/// validated since. Kept over every revision of the graph, linted or not, as the schema is,
/// so a check validated in an applied revision counts for a pending one.
#[derive(Debug, Default)]
pub(crate) struct Checks(BTreeMap<String, Vec<Check>>);

/// A check raw SQL added, or an op added `NOT VALID`.
#[derive(Debug, Clone)]
pub(crate) struct Check {
    pub(crate) name: Option<String>,
    pub(crate) expr: String,
    /// Added valid, or `VALIDATE CONSTRAINT` ran since.
    pub(crate) validated: bool,
    /// Raw SQL added it: the simulated schema does not hold it.
    pub(crate) by_sql: bool,
}

impl Checks {
    /// The checks on `table` that raw SQL added or an op added `NOT VALID`.
    pub(crate) fn on(&self, table: &str) -> &[Check] {
        self.0.get(table).map_or(&[], Vec::as_slice)
    }

    /// Keeps what `facts` add or validate.
    fn remember(&mut self, facts: &[Fact]) {
        for fact in facts {
            match &fact.kind {
                FactKind::AddCheck { table, name, expr, not_valid } => {
                    let by_sql = fact.statement.is_some();
                    let checks = self.0.entry(table.clone()).or_default();
                    // An op's check replaces what was known of a check of that name.
                    if !by_sql && name.is_some() {
                        checks.retain(|check| check.by_sql || check.name != *name);
                    }
                    if by_sql || *not_valid {
                        checks.push(Check { name: name.clone(), expr: expr.clone(), validated: !not_valid, by_sql });
                    }
                }
                FactKind::ValidateConstraint { table, name } => {
                    let checks = self.0.get_mut(table).into_iter().flatten();
                    for check in checks.filter(|check| check.name.as_deref() == Some(name.as_str())) {
                        check.validated = true;
                    }
                }
                _ => {}
            }
        }
    }
}

/// What the history before a revision left, as lint simulates it.
struct Known<'a> {
    schema: &'a mut Schema,
    checks: &'a mut Checks,
    sql_indexes: &'a mut SqlIndexes,
}

/// The indexes raw SQL created, by name, with their tables: the simulated schema does not
/// hold them, and PostgreSQL's `DROP INDEX` names the index alone, so a later drop finds its
/// table (and the table's size) here. Kept over every revision, as the schema is.
#[derive(Debug, Default)]
pub(crate) struct SqlIndexes(BTreeMap<String, String>);

impl SqlIndexes {
    /// Gives raw SQL's drops of an index raw SQL created the table it is on.
    fn place(&self, facts: &mut [Fact]) {
        for fact in facts {
            if let FactKind::DropIndex { index, table: table @ None, .. } = &mut fact.kind {
                *table = self.0.get(index.as_str()).cloned();
            }
        }
    }

    /// Keeps the indexes `facts` create by raw SQL, and forgets those they drop.
    fn remember(&mut self, facts: &[Fact]) {
        for fact in facts {
            match &fact.kind {
                FactKind::CreateIndex { table, index: Some(index), .. } if fact.statement.is_some() => {
                    self.0.insert(index.clone(), table.clone());
                }
                FactKind::DropIndex { index, .. } => {
                    self.0.remove(index.as_str());
                }
                FactKind::DropTable { table } => self.0.retain(|_, on| on != table),
                _ => {}
            }
        }
    }
}

/// Lints `revision`; `fresh_tables` holds the tables that count as new from its start, and
/// gains those it creates.
fn lint_revision(
    revision: &Revision,
    known: Known<'_>,
    fresh_tables: &mut BTreeSet<String>,
    options: &LintOptions<'_>,
    findings: &mut Vec<Finding>,
) {
    let Known { schema, checks, sql_indexes } = known;
    let dialect = options.dialect;
    let in_transaction = dialect.runs_in_transaction(revision.transactional);
    let mut fresh_columns = BTreeSet::new();
    let rebuilt = dialect.rebuilt_ops(&revision.upgrade, schema);
    // Facts the revision-wide rules read once every op is seen: (op index, fact).
    let mut seen: Vec<(usize, Fact)> = Vec::new();
    let mut hits: Vec<(Option<usize>, Option<usize>, Hit)> = Vec::new();
    for (index, op) in revision.upgrade.iter().enumerate() {
        let mut op_facts = facts::of_op(op, schema, dialect);
        sql_indexes.place(&mut op_facts);
        // A table is new from the op that creates it on, its own constraints included.
        for fact in &op_facts {
            if let FactKind::CreateTable { table } = &fact.kind {
                fresh_tables.insert(table.clone());
            }
        }
        {
            let context = Context {
                revision,
                schema,
                fresh_tables,
                fresh_columns: &fresh_columns,
                checks,
                in_transaction,
                dialect,
                rebuilds: rebuilt.get(index).copied().unwrap_or(false),
            };
            for fact in &op_facts {
                let mut found = Vec::new();
                rules::check_fact(&context, op, fact, &mut found);
                hits.extend(found.into_iter().map(|hit| (Some(index), fact.statement, hit)));
            }
            let mut found = Vec::new();
            rules::check_op(&context, op, &mut found);
            hits.extend(found.into_iter().map(|hit| (Some(index), None, hit)));
        }
        for fact in &op_facts {
            match &fact.kind {
                FactKind::RenameTable { table, new_name } if fresh_tables.remove(table) => {
                    fresh_tables.insert(new_name.clone());
                }
                FactKind::AddColumn { table, column, .. } => {
                    fresh_columns.insert((table.clone(), column.clone()));
                }
                _ => {}
            }
        }
        checks.remember(&op_facts);
        sql_indexes.remember(&op_facts);
        schema.apply(op).ok();
        seen.extend(op_facts.into_iter().map(|fact| (index, fact)));
    }
    let context = Context {
        revision,
        schema,
        fresh_tables,
        fresh_columns: &fresh_columns,
        checks,
        in_transaction,
        dialect,
        rebuilds: false,
    };
    let mut found = Vec::new();
    rules::check_revision(&context, &seen, options.lock_timeout, &mut found);
    hits.extend(found);
    hits.sort_by_key(|(op, statement, _)| (op.map_or(0, |i| i + 1), *statement));

    for (op_index, statement, hit) in hits {
        let Some(rule) = rule(hit.rule) else { continue };
        let rows = hit.table.as_deref().and_then(|table| options.sizes.and_then(|sizes| sizes.rows(table)));
        let severity = match rows {
            Some(rows) if rule.scales_with_rows => sizes::scale(rows).min(rule.severity),
            _ => rule.severity,
        };
        let allowed = revision.allow.find(rule.id, op_index).map(|allow| allow.reason.clone());
        findings.push(Finding {
            rule,
            severity,
            revision: revision.id.clone(),
            path: revision.path.clone(),
            line: None,
            op_index,
            op: op_index.and_then(|i| revision.upgrade.get(i)).map(Op::describe),
            statement,
            table: hit.table,
            rows,
            message: hit.message,
            allowed,
        });
    }
    unknown_allows(revision, findings);
}

/// An `allow` that names no rule is a typo that silently allows nothing: say so.
fn unknown_allows(revision: &Revision, findings: &mut Vec<Finding>) {
    let Some(unknown) = rule(rules::UNKNOWN_ALLOW) else { return };
    for (op_index, allow) in revision.allow.all() {
        if rule(&allow.rule).is_some() {
            continue;
        }
        findings.push(Finding {
            rule: unknown,
            severity: unknown.severity,
            revision: revision.id.clone(),
            path: revision.path.clone(),
            line: None,
            op_index,
            op: op_index.and_then(|i| revision.upgrade.get(i)).map(Op::describe),
            statement: None,
            table: None,
            rows: None,
            message: format!("`allow` names `{}`, which is no rule's id; `aludel lint --rules` lists them", allow.rule),
            allowed: None,
        });
    }
}

/// The findings by revision, in the report's order, for output grouped by revision.
pub fn by_revision(report: &Report) -> BTreeMap<usize, (&RevisionId, Vec<&Finding>)> {
    let position: BTreeMap<&RevisionId, usize> = report.revisions.iter().enumerate().map(|(i, r)| (r, i)).collect();
    let mut groups: BTreeMap<usize, (&RevisionId, Vec<&Finding>)> = BTreeMap::new();
    for finding in &report.findings {
        let at = position.get(&finding.revision).copied().unwrap_or(usize::MAX);
        groups.entry(at).or_insert_with(|| (&finding.revision, Vec::new())).1.push(finding);
    }
    groups
}
