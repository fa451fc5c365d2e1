//! PostgreSQL rules: locks that block reads or writes for the length of a scan, a build or
//! a rewrite, and what keeps a deploy from failing.

use std::time::Duration;

use crate::lint::facts::{Fact, FactKind};
use crate::lint::{Context, Hit};
use crate::schema::{Constraint, IndexKey, Schema};

pub(super) fn check(context: &Context<'_>, fact: &Fact, out: &mut Vec<Hit>) {
    match &fact.kind {
        FactKind::CreateIndex { table, concurrently, .. } => {
            if !concurrently && context.existed(table) {
                out.push(Hit::new(
                    "pg-index-not-concurrent",
                    Some(table),
                    format!("builds an index on `{table}` without CONCURRENTLY, blocking its writes until it is built"),
                ));
            }
            // An op's concurrent build runs apart from the revision's transaction (the runner
            // splits the revision); raw SQL runs where it stands.
            if *concurrently && context.in_transaction && fact.statement.is_some() {
                out.push(concurrently_in_transaction(Some(table)));
            }
        }
        FactKind::DropIndex { index, table, concurrently } => {
            // An index lint cannot place is on a table that exists, as with any unknown table.
            if !concurrently && table.as_deref().is_none_or(|table| context.existed(table)) {
                let (on, unknown) = match table {
                    Some(table) => (format!("`{table}`"), ""),
                    None => ("its table".to_owned(), " (no op created the index, so lint cannot tell its table)"),
                };
                out.push(Hit::new(
                    "pg-drop-index-not-concurrent",
                    table.as_deref(),
                    format!(
                        "drops index `{index}` without CONCURRENTLY, locking {on} ACCESS EXCLUSIVE: the drop waits \
                         for the queries running on it, and every later query waits behind the drop{unknown}"
                    ),
                ));
            }
            if *concurrently && context.in_transaction && fact.statement.is_some() {
                out.push(concurrently_in_transaction(table.as_deref()));
            }
        }
        FactKind::Concurrent if context.in_transaction && fact.statement.is_some() => {
            out.push(concurrently_in_transaction(None));
        }
        FactKind::AddForeignKey { table, not_valid: false, .. } if context.existed(table) => out.push(Hit::new(
            "pg-constraint-not-valid",
            Some(table),
            format!("adds a foreign key to `{table}` without NOT VALID: every row is checked while writes wait"),
        )),
        FactKind::AddCheck { table, not_valid: false, .. } if context.existed(table) => out.push(Hit::new(
            "pg-constraint-not-valid",
            Some(table),
            format!("adds a check to `{table}` without NOT VALID: every row is checked while reads and writes wait"),
        )),
        FactKind::SetNotNull { table, column }
            if context.column_existed(table, column) && !has_not_null_check(context, table, column) =>
        {
            out.push(Hit::new(
                "pg-set-not-null",
                Some(table),
                format!("sets `{table}.{column}` NOT NULL, scanning the table under an ACCESS EXCLUSIVE lock"),
            ));
        }
        FactKind::ChangeType { table, column, from, to } if context.column_existed(table, column) => {
            let from = from.clone().or_else(|| context.schema.table(table)?.column(column).map(|c| c.ty.clone()));
            match &from {
                Some(from) if !context.dialect.type_change_rewrites(from, to) => {}
                Some(from) => out.push(Hit::new(
                    "pg-type-rewrite",
                    Some(table),
                    format!(
                        "changes `{table}.{column}` from `{from}` to `{to}`, which rewrites the table{}",
                        foreign_keys_checked_again(context.schema, table, column)
                    ),
                )),
                None => out.push(Hit::new(
                    "pg-type-rewrite",
                    Some(table),
                    format!(
                        "changes `{table}.{column}` to `{to}` from a type lint does not know, which rewrites the \
                         table unless the change is one PostgreSQL makes in place"
                    ),
                )),
            }
        }
        FactKind::AddColumn { table, column, volatile_default: true, .. } if context.existed(table) => {
            out.push(Hit::new(
                "pg-volatile-default",
                Some(table),
                format!("adds `{table}.{column}` with a value computed per row, which rewrites the table"),
            ))
        }
        FactKind::AddKey { table, primary, using_index: false } if context.existed(table) => {
            let what = if *primary { "a primary key" } else { "a unique constraint" };
            out.push(Hit::new(
                "pg-key-without-index",
                Some(table),
                format!("adds {what} to `{table}`, building its index under an ACCESS EXCLUSIVE lock"),
            ));
        }
        _ => {}
    }
}

/// What a rewriting type change of `table.column` also does when a foreign key holds the
/// column, on either side: PostgreSQL drops and adds the key again, checking every row of the
/// referencing table while it holds a lock that blocks that table's writes (measured on
/// PostgreSQL 15; a change that keeps the key's comparison, such as a longer varchar, keeps
/// the key unchecked, and rewrites nothing either).
fn foreign_keys_checked_again(schema: &Schema, table: &str, column: &str) -> String {
    let mut keys = Vec::new();
    for (name, referencing) in schema.tables.iter() {
        for constraint in &referencing.constraints {
            let Constraint::ForeignKey { name: key, columns, references, .. } = constraint else { continue };
            let holds = (name == table && columns.iter().any(|c| c == column))
                || (references.table == table && references.columns.iter().any(|c| c == column));
            if holds {
                let key = key.as_deref().map(|key| format!("`{key}` ")).unwrap_or_default();
                keys.push(format!("{key}of `{name}`"));
            }
        }
    }
    if keys.is_empty() {
        return String::new();
    }
    format!(
        ", and checks foreign key{} {} again: every row of the referencing table is read while its writes wait",
        if keys.len() == 1 { "" } else { "s" },
        keys.join(", ")
    )
}

fn concurrently_in_transaction(table: Option<&str>) -> Hit {
    Hit::new(
        "pg-concurrently-in-transaction",
        table,
        "runs CONCURRENTLY in a revision that runs in a transaction, which PostgreSQL refuses".to_owned(),
    )
}

pub(super) fn check_revision(
    context: &Context<'_>,
    facts: &[(usize, Fact)],
    default_lock_timeout: Duration,
    out: &mut Vec<(Option<usize>, Option<usize>, Hit)>,
) {
    // Foreign keys are judged against the schema after the revision: the index may come
    // after the key in the same revision.
    for (op, fact) in facts {
        if let FactKind::AddForeignKey { table, columns, .. } = &fact.kind
            && !leads_an_index(context.schema, table, columns)
        {
            out.push((
                Some(*op),
                fact.statement,
                Hit::new(
                    "pg-fk-without-index",
                    Some(table),
                    format!("no index on `{table}` starts with ({})", columns.join(", ")),
                ),
            ));
        }
    }
    let lock_timeout = context.revision.limits.lock_timeout.unwrap_or(default_lock_timeout);
    let sets_its_own = facts.iter().any(|(_, fact)| fact.kind == FactKind::SetsLockTimeout);
    if !lock_timeout.is_zero() || sets_its_own {
        return;
    }
    let exclusive = facts
        .iter()
        .find(|(_, fact)| fact.takes_exclusive_lock() && fact.table().is_some_and(|table| context.existed(table)));
    if let Some((op, fact)) = exclusive {
        let table = fact.table().unwrap_or_default();
        out.push((
            Some(*op),
            fact.statement,
            Hit::new(
                "pg-no-lock-timeout",
                Some(table),
                format!(
                    "locks `{table}` ACCESS EXCLUSIVE with lock_timeout off, so queries on it queue behind the wait"
                ),
            ),
        ));
    }
}

/// Whether `table` has a validated check that `column IS NOT NULL` (however it is spaced or
/// quoted), as an op or raw SQL added it.
fn has_not_null_check(context: &Context<'_>, table: &str, column: &str) -> bool {
    let wanted = format!("{}isnotnull", column.to_ascii_lowercase());
    let reads = |expr: &str| {
        let flat: String = expr.chars().filter(|c| !c.is_whitespace() && !matches!(c, '"' | '(' | ')' | '`')).collect();
        flat.to_ascii_lowercase().contains(&wanted)
    };
    let known = context.checks.on(table);
    // The schema holds an op's check, NOT VALID or not; `known` tells which are still.
    let not_validated = |name: &Option<String>, expr: &str| {
        known.iter().any(|check| !check.by_sql && !check.validated && check.name == *name && check.expr == expr)
    };
    let from_ops = context.schema.table(table).is_some_and(|table| {
        table.constraints.iter().any(|constraint| {
            matches!(constraint, Constraint::Check { name, expr } if reads(expr) && !not_validated(name, expr))
        })
    });
    from_ops || known.iter().any(|check| check.by_sql && check.validated && reads(&check.expr))
}

/// Whether an index, the primary key or a unique constraint of `table` starts with `columns`.
fn leads_an_index(schema: &Schema, table: &str, columns: &[String]) -> bool {
    let leads = |keys: &[String]| keys.len() >= columns.len() && keys[..columns.len()] == *columns;
    let Some(definition) = schema.table(table) else { return true };
    leads(&definition.primary_key)
        || definition.constraints.iter().any(|c| matches!(c, Constraint::Unique { columns: keys, .. } if leads(keys)))
        || schema.indexes_on(table).any(|index| {
            let keys: Vec<String> = index
                .columns
                .iter()
                .map_while(|key| match key {
                    IndexKey::Column(name) => Some(name.clone()),
                    IndexKey::Expr { .. } => None,
                })
                .collect();
            leads(&keys)
        })
}
