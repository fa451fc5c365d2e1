//! The rules: one file per family (`postgres`, `mysql`, `sqlite`, and `common` for every
//! backend), each judging [`Fact`]s; this file holds every rule's metadata (id, severity,
//! why, fix), which the README and `aludel lint --rules` repeat.
//!
//! Which family runs is the one place lint picks by backend: a rule is knowledge of how one
//! database locks and rewrites, as a dialect's renderer is knowledge of how it spells.

mod common;
mod mysql;
mod postgres;
mod sqlite;

use std::time::Duration;

use serde::Serialize;

use crate::lint::facts::Fact;
use crate::lint::{Context, Hit, Severity};
use crate::ops::Op;

/// A lint rule: what it finds, why that hurts, and the safe way.
#[derive(Debug, PartialEq, Eq, Serialize)]
pub struct Rule {
    /// Stable id, used in `allow` and in output (`pg-index-not-concurrent`).
    pub id: &'static str,
    /// Its severity on a large (or unmeasured) table.
    pub severity: Severity,
    /// The dialects it applies to (`postgresql`, `mysql`, `sqlite`).
    pub dialects: &'static [&'static str],
    /// Whether a small table lowers its severity (see `lint::sizes`).
    pub scales_with_rows: bool,
    /// One line: what it finds.
    pub summary: &'static str,
    /// Why it hurts: which lock, for how long, what it rewrites or breaks.
    pub why: &'static str,
    /// The safe alternative.
    pub fix: &'static str,
}

const PG: &[&str] = &["postgresql"];
const MYSQL: &[&str] = &["mysql"];
const SQLITE: &[&str] = &["sqlite"];
const ALL: &[&str] = &["postgresql", "mysql", "sqlite"];

/// The id of the finding for an `allow` that names no rule.
pub const UNKNOWN_ALLOW: &str = "unknown-allow";

/// Every rule, PostgreSQL's first, then every backend's, MySQL's and SQLite's.
pub static RULES: &[Rule] = &[
    Rule {
        id: "pg-index-not-concurrent",
        severity: Severity::Error,
        dialects: PG,
        scales_with_rows: true,
        summary: "an index built without CONCURRENTLY on a table that existed before the revision",
        why: "CREATE INDEX takes a SHARE lock: every INSERT, UPDATE and DELETE on the table waits until the whole \
              index is built, which takes minutes on a large table",
        fix: "set `concurrently = true` on the create_index op (the runner builds it outside the revision's \
              transaction), or write CREATE INDEX CONCURRENTLY in a revision with `transactional = false`",
    },
    Rule {
        id: "pg-concurrently-in-transaction",
        severity: Severity::Error,
        dialects: PG,
        scales_with_rows: false,
        summary: "CREATE or DROP INDEX CONCURRENTLY written as raw SQL in a revision that runs in a transaction",
        why: "PostgreSQL refuses CONCURRENTLY inside a transaction block: the revision fails at deploy time",
        fix: "use the create_index or drop_index op with `concurrently = true`, which runs apart from the \
              revision's transaction, or put the SQL in a revision of its own with `transactional = false`",
    },
    Rule {
        id: "pg-constraint-not-valid",
        severity: Severity::Error,
        dialects: PG,
        scales_with_rows: true,
        summary: "a foreign key or check added to an existing table without NOT VALID",
        why: "adding the constraint checks every row while holding a lock that blocks writes (SHARE ROW EXCLUSIVE on \
              both tables for a foreign key, ACCESS EXCLUSIVE for a check, which blocks reads too)",
        fix: "add it with NOT VALID (only new rows are checked, the lock is brief), then VALIDATE CONSTRAINT in a later \
              revision: validation takes a SHARE UPDATE EXCLUSIVE lock, which lets reads and writes go on",
    },
    Rule {
        id: "pg-set-not-null",
        severity: Severity::Error,
        dialects: PG,
        scales_with_rows: true,
        summary: "SET NOT NULL on an existing column without a validated CHECK (column IS NOT NULL)",
        why: "SET NOT NULL scans the whole table under an ACCESS EXCLUSIVE lock: no read or write of the table runs \
              meanwhile",
        fix: "add CHECK (column IS NOT NULL) NOT VALID, VALIDATE it in a later revision, then SET NOT NULL (PostgreSQL \
              12 and later use the check and skip the scan) and drop the check",
    },
    Rule {
        id: "pg-type-rewrite",
        severity: Severity::Error,
        dialects: PG,
        scales_with_rows: true,
        summary: "a column type change that rewrites the table",
        why: "the table and its indexes are rewritten under an ACCESS EXCLUSIVE lock; when a foreign key holds the \
              column (on either side), the key is checked again, reading every row of the referencing table while \
              its writes wait. Only some changes skip the \
              rewrite: varchar(n) to a longer varchar or to unbounded varchar or text, text to unbounded varchar, a \
              numeric precision increase with the same scale, numeric to unconstrained numeric, cidr to inet, xml to \
              text",
        fix: "add a new column of the new type, fill it in batches, switch the application to it, then drop the old \
              one; or keep to a change that skips the rewrite",
    },
    Rule {
        id: "pg-volatile-default",
        severity: Severity::Error,
        dialects: PG,
        scales_with_rows: true,
        summary: "a column added to an existing table with a volatile default (random(), gen_random_uuid(), \
                  clock_timestamp(), nextval()), an identity or a stored generated value",
        why: "PostgreSQL stores a constant default in the catalog, but a volatile one is computed for every existing \
              row: the table is rewritten under an ACCESS EXCLUSIVE lock",
        fix: "add the column without a default (or with a constant one), set the default for new rows, and fill the \
              existing rows in batches",
    },
    Rule {
        id: "pg-key-without-index",
        severity: Severity::Error,
        dialects: PG,
        scales_with_rows: true,
        summary: "a unique constraint or primary key added to an existing table without its index built first",
        why: "the constraint builds its unique index while holding an ACCESS EXCLUSIVE lock: no read or write of the \
              table runs until the index is built",
        fix: "CREATE UNIQUE INDEX CONCURRENTLY first (a revision with `transactional = false`), then ADD CONSTRAINT \
              ... UNIQUE USING INDEX (or PRIMARY KEY USING INDEX), which only takes the lock briefly",
    },
    Rule {
        id: "pg-no-lock-timeout",
        severity: Severity::Warning,
        dialects: PG,
        scales_with_rows: true,
        summary: "an ACCESS EXCLUSIVE lock on an existing table taken with no lock timeout",
        why: "while the ALTER waits for a long query to finish, every later query on the table queues behind it: a \
              brief change stalls the application",
        fix: "keep a `lock_timeout` (aludel.toml `[timeouts]`, or the revision's own `lock_timeout = \"2s\"`): the \
              revision gives up and is retried instead of stalling the queue",
    },
    Rule {
        id: "pg-drop-index-not-concurrent",
        severity: Severity::Warning,
        dialects: PG,
        scales_with_rows: true,
        summary: "an index dropped without CONCURRENTLY from a table that existed before the revision",
        why: "DROP INDEX takes an ACCESS EXCLUSIVE lock on the index's table. The drop itself is quick, but it first \
              waits for every query running on the table, and every query after it, reads included, queues behind \
              it: one long query stalls the application",
        fix: "set `concurrently = true` on the drop_index op (the runner drops it outside the revision's \
              transaction), or write DROP INDEX CONCURRENTLY in a revision with `transactional = false`; an index \
              behind a unique or primary key constraint goes with the constraint instead",
    },
    Rule {
        id: "pg-fk-without-index",
        severity: Severity::Warning,
        dialects: PG,
        scales_with_rows: true,
        summary: "a foreign key whose referencing columns no index leads with",
        why: "every DELETE or key UPDATE of the referenced table scans the referencing table to check or cascade, and \
              locks what it finds",
        fix: "create an index on the referencing columns (concurrently, on an existing table)",
    },
    Rule {
        id: "add-required-column",
        severity: Severity::Error,
        dialects: ALL,
        scales_with_rows: false,
        summary: "a NOT NULL column without a default added to an existing table",
        why: "every row the table holds needs a value: PostgreSQL and SQLite refuse the change on a table with rows \
              (the upgrade fails in production where it passed on an empty development database), and MySQL fills \
              them with the type's implicit default (0, '', a zero date) without a word",
        fix: "give the column a default (PostgreSQL 11+ and MySQL fill existing rows without a rewrite), or add it \
              nullable, fill it, and set NOT NULL in a later revision",
    },
    Rule {
        id: "sql-down-not-run",
        severity: Severity::Warning,
        dialects: ALL,
        scales_with_rows: false,
        summary: "an upgrade `sql` op with a `down` in a revision whose downgrade is `downgrade = []`",
        why: "`down` is the op's inverse for the tools that write a downgrade (autogenerate, `revision`); the \
              downgrade runs only the revision's `[[downgrade]]` ops, so this one runs nothing and `aludel test` \
              cannot tell a data change from none",
        fix: "write the downgrade as a `[[downgrade]]` op (`op = \"sql\"`, `sql = ` the `down` text)",
    },
    Rule {
        id: "downgrade-not-written",
        severity: Severity::Warning,
        dialects: ALL,
        scales_with_rows: false,
        summary: "a revision with upgrade ops and neither `[[downgrade]]` ops nor `downgrade = []`",
        why: "nobody said how to undo it: `aludel downgrade`, `downgrade --sql` and `aludel test` refuse to pass it \
              rather than move the version below it and leave its changes, so it cannot be rolled back when that is \
              needed, usually in a hurry",
        fix: "write its `[[downgrade]]` ops (`aludel revision --autogenerate` writes them), or add `downgrade = []` \
              above the first `[[upgrade]]` when the upgrade leaves nothing to undo",
    },
    Rule {
        id: "drop-column",
        severity: Severity::Warning,
        dialects: ALL,
        scales_with_rows: false,
        summary: "a column dropped",
        why: "backward incompatible: the running version of the application still reads or writes the column and \
              fails until the new version is deployed everywhere; the data is gone for good",
        fix: "stop using the column in the application and deploy that first; drop the column in a later release, and \
              allow this rule with the reason",
    },
    Rule {
        id: "drop-table",
        severity: Severity::Warning,
        dialects: ALL,
        scales_with_rows: false,
        summary: "a table dropped",
        why: "backward incompatible: the running version of the application still uses the table; the data is gone \
              for good",
        fix: "stop using the table in the application and deploy that first; drop it in a later release, and allow \
              this rule with the reason",
    },
    Rule {
        id: "rename-column",
        severity: Severity::Error,
        dialects: ALL,
        scales_with_rows: false,
        summary: "a column renamed",
        why: "backward incompatible: the running version of the application reads and writes the old name and fails \
              from the moment the revision commits",
        fix: "add the new column, write both, copy the old values in batches, switch reads, then drop the old column \
              in a later release",
    },
    Rule {
        id: "rename-table",
        severity: Severity::Error,
        dialects: ALL,
        scales_with_rows: false,
        summary: "a table renamed",
        why: "backward incompatible: the running version of the application uses the old name and fails from the \
              moment the revision commits",
        fix: "rename, then create a view with the old name until every running version uses the new one; or copy to \
              a new table and switch over in steps",
    },
    Rule {
        id: "drop-enum-value",
        severity: Severity::Warning,
        dialects: ALL,
        scales_with_rows: false,
        summary: "an enum value removed",
        why: "rows or the running application may still hold the value; PostgreSQL cannot remove a value in place, so \
              the type is recreated and every column using it rewritten",
        fix: "stop writing the value, update the rows that hold it, deploy, then remove it in a later release",
    },
    Rule {
        id: "ddl-with-bulk-data",
        severity: Severity::Warning,
        dialects: ALL,
        scales_with_rows: true,
        summary: "a schema change and a bulk data change (UPDATE, DELETE, INSERT ... SELECT) of existing tables in \
                  one revision",
        why: "in a transaction, the locks the schema change takes are held until the data change ends; outside one \
              (MySQL), a failure part way leaves the schema changed and the data half done",
        fix: "change the schema in one revision and the data in the next, in batches",
    },
    Rule {
        id: "sql-unparsed",
        severity: Severity::Note,
        dialects: ALL,
        scales_with_rows: false,
        summary: "a raw SQL statement lint could not read",
        why: "its locks and rewrites are not checked",
        fix: "review it by hand; allow this rule with what the review found",
    },
    Rule {
        id: UNKNOWN_ALLOW,
        severity: Severity::Warning,
        dialects: ALL,
        scales_with_rows: false,
        summary: "an `allow` that names no rule",
        why: "a misspelt id allows nothing, and the reviewer believes it does",
        fix: "correct the id (`aludel lint --rules` lists them) or remove the exception",
    },
    Rule {
        id: "mysql-table-copy",
        severity: Severity::Error,
        dialects: MYSQL,
        scales_with_rows: true,
        summary: "a change MySQL and MariaDB cannot make with ALGORITHM=INSTANT or INPLACE",
        why: "the table is copied row by row; writes are blocked for the whole copy, and the disk needs room for a \
              second table. Column type changes copy, except widening a VARCHAR within the same length-byte class \
              (up to 63 or from 64 characters in utf8mb4); so do dropping the primary key, adding a foreign key (in \
              place only with foreign_key_checks off) and ALGORITHM=COPY. A type change of a column another \
              table's foreign key references copies that table too: the key is dropped before the change and \
              added back after",
        fix: "add a new column and fill it in batches, or run the change with an online schema change tool \
              (gh-ost, pt-online-schema-change) and stamp the revision",
    },
    Rule {
        id: "mysql-enum-reorder",
        severity: Severity::Error,
        dialects: MYSQL,
        scales_with_rows: true,
        summary: "an ENUM value inserted before the last one, or removed",
        why: "only appending a value is instant: any other change of the value list copies every table with a column \
              of the enum",
        fix: "append new values at the end (`add_enum_value` without `before`, or `after` the last value)",
    },
    Rule {
        id: "sqlite-table-rebuild",
        severity: Severity::Note,
        dialects: SQLITE,
        scales_with_rows: true,
        summary: "an op SQLite makes by rebuilding the table",
        why: "SQLite's ALTER TABLE cannot make this change, so the table is copied into a new one inside the \
              revision's transaction; the database is locked for writes meanwhile",
        fix: "nothing, on a small table; on a large one, expect the run to take a while",
    },
];

/// The rule with id `id`.
pub fn rule(id: &str) -> Option<&'static Rule> {
    RULES.iter().find(|rule| rule.id == id)
}

/// The rules of `fact` for the context's dialect.
pub(crate) fn check_fact(context: &Context<'_>, op: &Op, fact: &Fact, out: &mut Vec<Hit>) {
    common::check(context, op, fact, out);
    match context.dialect.name() {
        "postgresql" => postgres::check(context, fact, out),
        "mysql" => mysql::check(context, fact, out),
        _ => {}
    }
}

/// The rules that judge an op as a whole.
pub(crate) fn check_op(context: &Context<'_>, op: &Op, out: &mut Vec<Hit>) {
    common::check_op(context, op, out);
    if context.dialect.name() == "sqlite" {
        sqlite::check_op(context, op, out);
    }
}

/// The rules that judge a revision once all its ops are seen; `facts` carry their op's
/// index. Hits come with their op and statement.
pub(crate) fn check_revision(
    context: &Context<'_>,
    facts: &[(usize, Fact)],
    lock_timeout: Duration,
    out: &mut Vec<(Option<usize>, Option<usize>, Hit)>,
) {
    common::check_revision(context, facts, out);
    if context.dialect.name() == "postgresql" {
        postgres::check_revision(context, facts, lock_timeout, out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_and_every_rule_says_why_and_how() {
        let mut ids: Vec<&str> = RULES.iter().map(|r| r.id).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), RULES.len(), "duplicate rule ids");
        for rule in RULES {
            assert!(!rule.why.is_empty() && !rule.fix.is_empty() && !rule.summary.is_empty(), "{}", rule.id);
            assert!(rule.id.bytes().all(|b| b.is_ascii_lowercase() || b == b'-'), "{}", rule.id);
        }
    }
}
