//! The first revision of an empty database whose models carry objects as written (a dump's
//! views, functions, triggers, domains, ...): the diff's ops and those objects as `sql` ops,
//! in the order the source declared them, so that each exists before what uses it, as the
//! dump's own order ensures.
//!
//! Enums come first (they use nothing). Tables, indexes and the carried objects follow in the
//! source's order. A foreign key to a table declared later is added once both exist. Pure:
//! no IO, no SQL of its own (the carried SQL is the source's).

use std::collections::BTreeMap;

use crate::diff::{Diff, Warning};
use crate::models::Metadata;
use crate::ops::Op;
use crate::schema::Constraint;

/// `diff` (from an empty database to `metadata`) with `metadata`'s carried objects as `sql`
/// ops for `dialect`, in the source's order, and its downgrade recomputed.
pub(crate) fn with_verbatim(diff: Diff, metadata: &Metadata, dialect: &str) -> Diff {
    let order = &metadata.order;
    let end = usize::MAX;
    let table_at = |table: &str| order.tables.get(table).copied().unwrap_or(end);
    let mut first = Vec::new();
    // (position, after-the-statement) -> ops, kept in the diff's order within a key.
    let mut placed: BTreeMap<(usize, u8), Vec<Op>> = BTreeMap::new();
    for op in diff.upgrade {
        match op {
            Op::CreateEnum { .. } => first.push(op),
            Op::CreateTable(mut table) => {
                let here = table_at(&table.name);
                let mut later = Vec::new();
                table.constraints.retain(|constraint| match constraint {
                    Constraint::ForeignKey { references, .. }
                        if references.table != table.name && table_at(&references.table) > here =>
                    {
                        later.push(constraint.clone());
                        false
                    }
                    _ => true,
                });
                let name = table.name.clone();
                placed.entry((here, 0)).or_default().push(Op::CreateTable(table));
                for constraint in later {
                    let after = match &constraint {
                        Constraint::ForeignKey { references, .. } => table_at(&references.table),
                        _ => here,
                    };
                    placed.entry((after, 1)).or_default().push(Op::AddConstraint {
                        table: name.clone(),
                        constraint,
                        not_valid: false,
                        concurrently: false,
                    });
                }
            }
            Op::CreateIndex(index) => {
                let at = order.indexes.get(&index.name).copied().unwrap_or_else(|| table_at(&index.table));
                placed.entry((at, 0)).or_default().push(Op::CreateIndex(index));
            }
            Op::AddConstraint { table, constraint, not_valid, concurrently } => {
                let at = match &constraint {
                    Constraint::ForeignKey { references, .. } => table_at(&table).max(table_at(&references.table)),
                    _ => table_at(&table),
                };
                placed.entry((at, 1)).or_default().push(Op::AddConstraint {
                    table,
                    constraint,
                    not_valid,
                    concurrently,
                });
            }
            other => placed.entry((end, 1)).or_default().push(other),
        }
    }
    for object in &metadata.verbatim {
        placed.entry((object.position, 0)).or_default().push(Op::Sql {
            sql: object.sql.clone(),
            down: object.undo.clone(),
            dialect: Some(dialect.to_owned()),
        });
    }
    let upgrade: Vec<Op> = first.into_iter().chain(placed.into_values().flatten()).collect();
    let mut warnings: Vec<Warning> =
        diff.warnings.into_iter().filter(|w| !matches!(w, Warning::Irreversible { .. })).collect();
    let downgrade = crate::diff::downgrade(&upgrade, Some(&mut warnings));
    Diff { upgrade, downgrade, warnings, destructive: Vec::new() }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::dialect::Backend;
    use crate::diff::{DiffOptions, diff};
    use crate::schema::Schema;

    fn baseline(sql: &str) -> Vec<String> {
        let metadata =
            crate::models::parse_schema_sql_metadata(sql, Backend::Postgres, Path::new("schema.sql")).unwrap();
        let found = diff(&Schema::default(), &metadata.schema, &DiffOptions::default());
        with_verbatim(found, &metadata, "postgresql").upgrade.iter().map(Op::describe).collect()
    }

    #[test]
    fn carried_objects_keep_their_place_among_tables_and_indexes() {
        let sql = "CREATE DOMAIN year AS integer;\n\
                   CREATE TABLE b (id int PRIMARY KEY, a_id int REFERENCES a (id), y year);\n\
                   CREATE VIEW vb AS SELECT id FROM b;\n\
                   CREATE TABLE a (id int PRIMARY KEY);\n\
                   CREATE TYPE mood AS ENUM ('ok');\n\
                   CREATE INDEX ix_b ON b (y);\n\
                   CREATE TRIGGER tr BEFORE UPDATE ON a FOR EACH ROW EXECUTE FUNCTION f();";
        assert_eq!(
            baseline(sql),
            [
                "create_enum mood",
                "sql CREATE DOMAIN year AS integer",
                "create_table b",
                "sql CREATE VIEW vb AS SELECT id FROM b",
                "create_table a",
                "add_constraint b",
                "create_index ix_b on b",
                "sql CREATE TRIGGER tr BEFORE UPDATE ON a FOR EACH ROW EXECUTE FU…",
            ]
        );
    }
}
