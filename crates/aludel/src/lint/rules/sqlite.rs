//! SQLite's rule: ops it can only make by rebuilding the table. The dialect says which.

use crate::lint::facts::of_op;
use crate::lint::{Context, Hit};
use crate::ops::Op;

pub(super) fn check_op(context: &Context<'_>, op: &Op, out: &mut Vec<Hit>) {
    if !context.rebuilds {
        return;
    }
    let facts = of_op(op, context.schema, context.dialect);
    let Some(table) = facts.iter().find_map(|fact| fact.table()) else { return };
    if context.existed(table) {
        out.push(Hit::new(
            "sqlite-table-rebuild",
            Some(table),
            format!("rebuilds `{table}`: every row is copied into a new table"),
        ));
    }
}
