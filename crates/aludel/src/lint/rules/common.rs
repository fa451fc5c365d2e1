//! Rules for every backend: backward-incompatible changes, DDL beside bulk data changes, and
//! downgrades that are not written or do not run.

use crate::lint::facts::{Fact, FactKind};
use crate::lint::{Context, Hit};
use crate::ops::Op;

pub(super) fn check(context: &Context<'_>, _op: &Op, fact: &Fact, out: &mut Vec<Hit>) {
    match &fact.kind {
        FactKind::DropColumn { table, column } if context.column_existed(table, column) => out.push(Hit::new(
            "drop-column",
            Some(table),
            format!("drops `{table}.{column}`, which the running application may still use"),
        )),
        FactKind::DropTable { table } if context.existed(table) => out.push(Hit::new(
            "drop-table",
            Some(table),
            format!("drops `{table}`, which the running application may still use"),
        )),
        FactKind::RenameColumn { table, column, new_name } if context.column_existed(table, column) => {
            out.push(Hit::new(
                "rename-column",
                Some(table),
                format!("renames `{table}.{column}` to `{new_name}`: the running application still uses `{column}`"),
            ));
        }
        FactKind::RenameTable { table, new_name } if context.existed(table) => out.push(Hit::new(
            "rename-table",
            Some(table),
            format!("renames `{table}` to `{new_name}`: the running application still uses `{table}`"),
        )),
        FactKind::AddColumn { table, column, required: true, .. } if context.existed(table) => out.push(Hit::new(
            "add-required-column",
            Some(table),
            format!("adds `{table}.{column}` NOT NULL with no default: the rows `{table}` holds have no value for it"),
        )),
        FactKind::DropEnumValue { name } => out.push(Hit::new(
            "drop-enum-value",
            None,
            format!("removes a value of enum `{name}`, which rows or the running application may still hold"),
        )),
        FactKind::Unparsed { error } => out.push(Hit::new(
            "sql-unparsed",
            None,
            format!("could not read this statement, so it is not checked ({error})"),
        )),
        _ => {}
    }
}

pub(super) fn check_op(context: &Context<'_>, op: &Op, out: &mut Vec<Hit>) {
    // Without any downgrade written, `downgrade-not-written` says it (and names the `down`).
    if let Op::Sql { down: Some(_), .. } = op
        && context.revision.downgrade.is_empty()
        && context.revision.downgrade_written
    {
        out.push(Hit::new(
            "sql-down-not-run",
            None,
            "the op's `down` never runs: the revision has no `[[downgrade]]` ops, so its downgrade runs nothing"
                .to_owned(),
        ));
    }
}

pub(super) fn check_revision(
    context: &Context<'_>,
    facts: &[(usize, Fact)],
    out: &mut Vec<(Option<usize>, Option<usize>, Hit)>,
) {
    if context.revision.lacks_downgrade() {
        let has_down = context.revision.upgrade.iter().any(|op| matches!(op, Op::Sql { down: Some(_), .. }));
        let down =
            if has_down { "; the `down` of its `sql` op runs only when written as a `[[downgrade]]` op" } else { "" };
        out.push((
            None,
            None,
            Hit::new(
                "downgrade-not-written",
                None,
                format!("has upgrade ops but no downgrade: `aludel downgrade` refuses to pass it{down}"),
            ),
        ));
    }
    let existing = |fact: &Fact| fact.table().is_some_and(|table| context.existed(table));
    let data = facts.iter().find(|(_, fact)| matches!(fact.kind, FactKind::DataChange { .. }) && existing(fact));
    let ddl = facts.iter().find(|(_, fact)| {
        fact.is_ddl()
            && existing(fact)
            && !matches!(
                fact.kind,
                FactKind::CreateIndex { concurrently: true, .. }
                    | FactKind::DropIndex { concurrently: true, .. }
                    | FactKind::CreateTable { .. }
            )
    });
    let (Some((data_op, data_fact)), Some((ddl_op, ddl_fact))) = (data, ddl) else { return };
    let data_table = data_fact.table().unwrap_or_default();
    let ddl_table = ddl_fact.table().unwrap_or_default();
    let how = if context.in_transaction {
        format!("the locks op {} takes on `{ddl_table}` are held until the data change ends", ddl_op + 1)
    } else {
        "the revision runs outside a transaction: a failure part way leaves the schema changed and the data half done"
            .to_owned()
    };
    out.push((
        Some(*data_op),
        data_fact.statement,
        Hit::new(
            "ddl-with-bulk-data",
            Some(data_table),
            format!(
                "changes rows of `{data_table}` in bulk in the revision that changes the schema of `{ddl_table}`; {how}"
            ),
        ),
    ));
}
