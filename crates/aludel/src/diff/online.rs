//! The online forms of a diff's ops, for a backend that changes a table with rows in it
//! without stopping its writers (PostgreSQL): applied to tables that exist before the
//! revision; a table the revision creates is empty, so its ops keep the plain form.
//!
//! - `create_index` and `drop_index` run `concurrently`;
//! - a unique key or primary key is added `concurrently` (its index built concurrently, then
//!   attached);
//! - a foreign key or check is added `not_valid`, then `validate_constraint` checks the rows
//!   in a later transaction;
//! - `nullable = false` is preceded by a check `column IS NOT NULL` added `not_valid` and
//!   validated (PostgreSQL 12 and later then set `NOT NULL` without a scan), and followed by
//!   the check's drop; the downgrade only drops `NOT NULL`, without the check, which would
//!   scan the table for nothing;
//! - a type change the backend says rewrites the table stays as it is, with a
//!   [`Warning::RewritesTable`] that gives the expand-and-contract recipe.
//!
//! Pure: which type changes rewrite is the caller's to say (its dialect knows).

use std::collections::BTreeSet;

use crate::diff::{Destructive, Diff, Warning, downgrade};
use crate::naming;
use crate::ops::{ColumnChange, ConstraintKind, Op};
use crate::schema::{ColumnType, Constraint, Schema};

impl Diff {
    /// The same diff with the online form of each op on a table of `database` (see the
    /// module's documentation); `rewrites(from, to)` says whether a type change rewrites the
    /// table. The downgrade is derived again.
    pub fn online(self, database: &Schema, rewrites: impl Fn(&ColumnType, &ColumnType) -> bool) -> Diff {
        let Diff { upgrade, downgrade: _, mut warnings, destructive } = self;
        let mut existing: BTreeSet<String> = database.tables.keys().cloned().collect();
        let mut online = Vec::with_capacity(upgrade.len());
        // Where each op of the plain upgrade went, for the destructive ops' positions.
        let mut moved = Vec::with_capacity(upgrade.len());
        for op in upgrade {
            match &op {
                Op::CreateTable(table) => {
                    existing.remove(&table.name);
                }
                Op::DropTable { table, .. } => {
                    existing.remove(table);
                }
                Op::RenameTable { table, new_name } if existing.remove(table) => {
                    existing.insert(new_name.clone());
                }
                _ => {}
            }
            let on_existing = op_table(&op).is_some_and(|table| existing.contains(table));
            let ops = if on_existing { online_form(op, &rewrites, &mut warnings) } else { vec![op] };
            let at = ops.iter().position(|op| !matches!(op, Op::AddConstraint { not_valid: true, .. }));
            moved.push(online.len() + at.unwrap_or(0));
            online.extend(ops);
        }
        let destructive = destructive
            .into_iter()
            .map(|Destructive { op_index, reason }| Destructive { op_index: moved[op_index], reason })
            .collect();
        warnings.retain(|warning| !matches!(warning, Warning::Irreversible { .. }));
        let mut downgrade = downgrade(&online, Some(&mut warnings));
        // The checks that stand for NOT NULL while it is set have nothing to undo.
        let transient = transient_constraints(&online);
        downgrade.retain(|op| match op {
            Op::AddConstraint { table, constraint, .. } => {
                constraint.name().is_none_or(|name| !transient.contains(&(table.as_str(), name)))
            }
            Op::DropConstraint { table, name, .. } => !transient.contains(&(table.as_str(), name.as_str())),
            _ => true,
        });
        Diff { upgrade: online, downgrade, warnings, destructive }
    }
}

/// The constraints `upgrade` adds and later drops again: (table, name). A constraint dropped
/// and then added (a changed one) is not one of them.
fn transient_constraints(upgrade: &[Op]) -> BTreeSet<(&str, &str)> {
    let mut added = BTreeSet::new();
    let mut transient = BTreeSet::new();
    for op in upgrade {
        match op {
            Op::AddConstraint { table, constraint, .. } => {
                if let Some(name) = constraint.name() {
                    added.insert((table.as_str(), name));
                }
            }
            Op::DropConstraint { table, name, .. } if added.contains(&(table.as_str(), name.as_str())) => {
                transient.insert((table.as_str(), name.as_str()));
            }
            _ => {}
        }
    }
    transient
}

/// The table an op changes in place, if any.
fn op_table(op: &Op) -> Option<&str> {
    match op {
        Op::CreateIndex(create) => Some(&create.table),
        Op::DropIndex { table, .. }
        | Op::AddConstraint { table, .. }
        | Op::DropConstraint { table, .. }
        | Op::ValidateConstraint { table, .. } => Some(table),
        Op::AlterColumn(change) => Some(&change.table),
        _ => None,
    }
}

/// The online form of `op`, an op on a table that exists already.
fn online_form(op: Op, rewrites: &impl Fn(&ColumnType, &ColumnType) -> bool, warnings: &mut Vec<Warning>) -> Vec<Op> {
    match op {
        Op::CreateIndex(mut create) => {
            create.concurrently = true;
            vec![Op::CreateIndex(create)]
        }
        Op::DropIndex { table, name, concurrently: _, existing } => {
            vec![Op::DropIndex { table, name, concurrently: true, existing }]
        }
        Op::AddConstraint { table, constraint, not_valid: false, concurrently: false } => {
            match (&constraint, constraint.name()) {
                (Constraint::PrimaryKey { .. } | Constraint::Unique { .. }, Some(_)) => {
                    vec![Op::AddConstraint { table, constraint, not_valid: false, concurrently: true }]
                }
                (Constraint::ForeignKey { .. } | Constraint::Check { .. }, Some(name)) => {
                    let validate = Op::ValidateConstraint { table: table.clone(), name: name.to_owned() };
                    vec![Op::AddConstraint { table, constraint, not_valid: true, concurrently: false }, validate]
                }
                // Without a name, a later statement could not find the constraint.
                _ => vec![Op::AddConstraint { table, constraint, not_valid: false, concurrently: false }],
            }
        }
        Op::AlterColumn(change) => {
            if let Some(ty) = &change.ty
                && let Some(from) = &ty.from
                && rewrites(from, &ty.to)
            {
                warnings.push(Warning::RewritesTable {
                    table: change.table.clone(),
                    column: change.column.clone(),
                    from: from.clone(),
                    to: ty.to.clone(),
                });
            }
            // A rename in the same change would leave the check naming the old column.
            if change.nullable == Some(false) && change.new_name.is_none() {
                set_not_null(change)
            } else {
                vec![Op::AlterColumn(change)]
            }
        }
        other => vec![other],
    }
}

/// `change`, which sets `NOT NULL`, between a validated check that stands for it and the
/// check's drop.
fn set_not_null(change: ColumnChange) -> Vec<Op> {
    let table = change.table.clone();
    let name = naming::not_null_check_name(&table, &change.column);
    let check =
        Constraint::Check { name: Some(name.clone()), expr: format!("{} IS NOT NULL", column_sql(&change.column)) };
    vec![
        Op::AddConstraint { table: table.clone(), constraint: check.clone(), not_valid: true, concurrently: false },
        Op::ValidateConstraint { table: table.clone(), name: name.clone() },
        Op::AlterColumn(change),
        Op::DropConstraint { table, name, kind: Some(ConstraintKind::Check), existing: Some(check) },
    ]
}

/// A column name as an expression: bare when it is a plain lower-case name no backend
/// reserves, which every backend reads alike, double-quoted otherwise.
fn column_sql(column: &str) -> String {
    if crate::dialect::common::keywords::is_bare_name(column) {
        column.to_owned()
    } else {
        format!("\"{}\"", column.replace('"', "\"\""))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diff::{DiffOptions, diff};

    fn schema(toml_text: &str) -> Schema {
        #[derive(serde::Deserialize)]
        struct Ops {
            op: Vec<Op>,
        }
        let mut schema = Schema::default();
        for op in toml::from_str::<Ops>(toml_text).expect("valid ops").op {
            schema.apply(&op).expect("ops fit");
        }
        schema
    }

    fn described(ops: &[Op]) -> Vec<String> {
        ops.iter()
            .map(|op| match op {
                Op::CreateIndex(create) if create.concurrently => format!("{} concurrently", op.describe()),
                Op::DropIndex { concurrently: true, .. } | Op::AddConstraint { concurrently: true, .. } => {
                    format!("{} concurrently", op.describe())
                }
                Op::AddConstraint { not_valid: true, .. } => format!("{} not valid", op.describe()),
                _ => op.describe(),
            })
            .collect()
    }

    const DATABASE: &str = r#"
        [[op]]
        op = "create_table"
        table = "users"
        columns = [{ name = "id", type = "bigint", nullable = false }, { name = "email", type = "text" }]
        primary_key = ["id"]
        [[op]]
        op = "create_table"
        table = "posts"
        columns = [{ name = "id", type = "bigint", nullable = false }, { name = "user_id", type = "integer" }]
        primary_key = ["id"]
        [[op]]
        op = "create_index"
        table = "posts"
        name = "ix_posts_old"
        columns = ["id", "user_id"]
    "#;

    const MODELS: &str = r#"
        [[op]]
        op = "create_table"
        table = "users"
        columns = [{ name = "id", type = "bigint", nullable = false }, { name = "email", type = "text" }]
        primary_key = ["id"]
        constraints = [{ kind = "unique", name = "users_email_key", columns = ["email"] }]
        [[op]]
        op = "create_table"
        table = "posts"
        columns = [{ name = "id", type = "bigint", nullable = false }, { name = "user_id", type = "bigint", nullable = false }]
        primary_key = ["id"]
        constraints = [
            { kind = "foreign_key", name = "posts_user_id_fkey", columns = ["user_id"], references = { table = "users", columns = ["id"] } },
            { kind = "check", name = "posts_id_check", expr = "id > 0" },
        ]
        [[op]]
        op = "create_index"
        table = "posts"
        name = "ix_posts_user_id"
        columns = ["user_id"]
        [[op]]
        op = "create_table"
        table = "tags"
        columns = [{ name = "id", type = "bigint", nullable = false }, { name = "post_id", type = "bigint" }]
        primary_key = ["id"]
        constraints = [{ kind = "foreign_key", name = "tags_post_id_fkey", columns = ["post_id"], references = { table = "posts", columns = ["id"] } }]
        [[op]]
        op = "create_index"
        table = "tags"
        name = "ix_tags_post_id"
        columns = ["post_id"]
    "#;

    #[test]
    fn existing_tables_get_the_online_forms_and_new_ones_the_plain_forms() {
        let (database, models) = (schema(DATABASE), schema(MODELS));
        let plain = diff(&database, &models, &DiffOptions::default());
        let online = plain.clone().online(&database, |from, to| from != to);
        assert_eq!(
            described(&online.upgrade),
            [
                "drop_index ix_posts_old on posts concurrently",
                "create_table tags",
                "add_constraint posts_user_id_not_null on posts not valid",
                "validate_constraint posts_user_id_not_null on posts",
                "alter_column posts.user_id",
                "drop_constraint posts_user_id_not_null on posts",
                "add_constraint posts_id_check on posts not valid",
                "validate_constraint posts_id_check on posts",
                "add_constraint users_email_key on users concurrently",
                "create_index ix_posts_user_id on posts concurrently",
                "create_index ix_tags_post_id on tags",
                "add_constraint posts_user_id_fkey on posts not valid",
                "validate_constraint posts_user_id_fkey on posts",
            ],
            "{:#?}",
            plain.upgrade
        );
        let rewrite = Warning::RewritesTable {
            table: "posts".into(),
            column: "user_id".into(),
            from: ColumnType::Integer,
            to: ColumnType::BigInt,
        };
        assert_eq!(online.warnings, [rewrite]);
        assert!(online.warnings[0].to_string().contains("backfill"), "{}", online.warnings[0]);

        // The online forms reach the same schema, and their downgrade goes back.
        let mut upgraded = database.clone();
        for op in &online.upgrade {
            upgraded.apply(op).expect("upgrade fits");
        }
        assert!(diff(&upgraded, &models, &DiffOptions::default()).is_empty());
        let mut downgraded = upgraded;
        for op in &online.downgrade {
            downgraded.apply(op).expect("downgrade fits");
        }
        assert!(diff(&downgraded, &database, &DiffOptions::default()).is_empty());
        assert!(!online.downgrade.iter().any(|op| matches!(op, Op::ValidateConstraint { .. })));
        assert!(
            !online.downgrade.iter().any(|op| op.describe().contains("posts_user_id_not_null")),
            "the downgrade drops NOT NULL without the check: {:#?}",
            online.downgrade
        );
    }

    #[test]
    fn destructive_ops_keep_pointing_at_their_op() {
        let database = schema(DATABASE);
        let models = schema(
            &DATABASE
                .replace(r#"{ name = "user_id", type = "integer" }"#, r#"{ name = "x", type = "text" }"#)
                .replace(r#"columns = ["id", "user_id"]"#, r#"columns = ["id"]"#),
        );
        let plain = diff(&database, &models, &DiffOptions::default());
        let online = plain.clone().online(&database, |_, _| false);
        assert!(!plain.destructive.is_empty(), "the case drops a column");
        assert_eq!(plain.destructive.len(), online.destructive.len());
        for (before, after) in plain.destructive.iter().zip(&online.destructive) {
            assert_eq!(plain.upgrade[before.op_index].describe(), online.upgrade[after.op_index].describe());
        }
    }

    #[test]
    fn a_column_name_in_the_not_null_check_is_quoted_unless_plain() {
        assert_eq!(column_sql("user_id"), "user_id");
        assert_eq!(column_sql("UserId"), "\"UserId\"");
        assert_eq!(column_sql("odd\"name"), "\"odd\"\"name\"");
        assert_eq!(column_sql("select"), "\"select\"", "a reserved word is no column bare");
    }
}
