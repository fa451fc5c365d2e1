//! A schema difference in words: what a downgrade left behind or took away, from the ops
//! that would bring the schema it left back to the parent's.

use crate::diff::{DiffOptions, diff};
use crate::ops::Op;
use crate::schema::Schema;

/// What `actual` has that `expected` lacks and the reverse, one phrase each (`left index
/// ix_users_email on users behind`); empty when they are the same schema.
pub(crate) fn differences(actual: &Schema, expected: &Schema) -> Vec<String> {
    diff(actual, expected, &DiffOptions::default()).upgrade.iter().map(phrase).collect()
}

/// How the op that repairs `actual` says what was wrong with it.
fn phrase(op: &Op) -> String {
    match op {
        Op::DropTable { table, .. } => format!("left table `{table}` behind"),
        Op::DropColumn { table, column } => format!("left column `{table}.{}` behind", column.name()),
        Op::DropIndex { table, name, .. } => format!("left index `{name}` on `{table}` behind"),
        Op::RenameIndex { table, name, new_name } => {
            format!("left index `{name}` on `{table}`, which the parent names `{new_name}`")
        }
        Op::RenameConstraint { table, name, new_name, .. } => {
            format!("left constraint `{name}` on `{table}`, which the parent names `{new_name}`")
        }
        Op::DropConstraint { table, name, .. } => format!("left constraint `{name}` on `{table}` behind"),
        Op::DropEnum { name, .. } => format!("left enum type `{name}` behind"),
        Op::DropEnumValue { name, value, .. } => format!("left value `{value}` in enum type `{name}` behind"),
        Op::CreateTable(table) => format!("removed table `{}`, which the parent has", table.name),
        Op::AddColumn { table, column } => format!("removed column `{table}.{}`, which the parent has", column.name),
        Op::CreateIndex(index) => format!("removed index `{}` on `{}`, which the parent has", index.name, index.table),
        Op::AddConstraint { table, constraint, .. } => match constraint.name() {
            Some(name) => format!("removed constraint `{name}` on `{table}`, which the parent has"),
            None => format!("removed a constraint on `{table}`, which the parent has"),
        },
        Op::CreateEnum { name, .. } => format!("removed enum type `{name}`, which the parent has"),
        Op::AddEnumValue { name, value, .. } => format!("removed value `{value}` of enum type `{name}`"),
        Op::AlterColumn(change) => format!(
            "left column `{}.{}` different from the parent's (to match: {})",
            change.table,
            change.column,
            op.describe()
        ),
        Op::AlterTable { table, .. } => format!("left the comment of table `{table}` different from the parent's"),
        Op::RenameTable { .. } | Op::ValidateConstraint { .. } | Op::Sql { .. } => {
            format!("left the schema different from the parent's ({})", op.describe())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::CreateIndex;

    #[test]
    fn a_leftover_index_and_a_missing_column_are_named() {
        let ops: Vec<Op> = toml::from_str::<std::collections::BTreeMap<String, Vec<Op>>>(
            "[[ops]]\nop = \"create_table\"\ntable = \"users\"\ncolumns = [{ name = \"id\", type = \"integer\" }, \
             { name = \"email\", type = \"text\" }]\n",
        )
        .expect("ops")
        .remove("ops")
        .expect("ops");
        let mut parent = Schema::default();
        for op in &ops {
            parent.apply(op).expect("applies");
        }
        let mut left = parent.clone();
        let index: CreateIndex =
            toml::from_str("table = \"users\"\nname = \"ix_users_email\"\ncolumns = [\"email\"]\n").expect("an index");
        left.apply(&Op::CreateIndex(index)).expect("applies");
        assert_eq!(differences(&left, &parent), ["left index `ix_users_email` on `users` behind"]);
        assert!(differences(&parent, &parent).is_empty());
        let mut narrower = parent.clone();
        narrower
            .apply(&Op::DropColumn { table: "users".into(), column: crate::ops::ColumnRef::Name("email".into()) })
            .expect("applies");
        assert_eq!(differences(&narrower, &parent), ["removed column `users.email`, which the parent has"]);
    }
}
