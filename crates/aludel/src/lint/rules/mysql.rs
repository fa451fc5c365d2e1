//! MySQL and MariaDB rules: changes that copy the table.

use crate::lint::facts::{Fact, FactKind};
use crate::lint::{Context, Hit};
use crate::schema::{ColumnType, Constraint};

pub(super) fn check(context: &Context<'_>, fact: &Fact, out: &mut Vec<Hit>) {
    match &fact.kind {
        FactKind::ChangeType { table, column, from, to } if context.column_existed(table, column) => {
            let from = from.clone().or_else(|| context.schema.table(table)?.column(column).map(|c| c.ty.clone()));
            let copies = from.as_ref().is_none_or(|from| !in_place(from, to));
            if copies {
                let from = from.map_or_else(|| "its current type".to_owned(), |ty| format!("`{ty}`"));
                out.push(Hit::new(
                    "mysql-table-copy",
                    Some(table),
                    format!("changes `{table}.{column}` from {from} to `{to}`, which copies the table"),
                ));
            }
            // MySQL refuses a type change of a column a foreign key uses: the key is dropped
            // before it and added back after, which copies the key's table too.
            for (other, key) in keys_referencing(context, table, column) {
                if context.existed(&other) {
                    out.push(Hit::new(
                        "mysql-table-copy",
                        Some(&other),
                        format!(
                            "changes the type of `{table}.{column}`, which foreign key {key} of `{other}` \
                             references: the key is dropped and added back, which copies `{other}`"
                        ),
                    ));
                }
            }
        }
        FactKind::DropPrimaryKey { table } if context.existed(table) => out.push(Hit::new(
            "mysql-table-copy",
            Some(table),
            format!("drops the primary key of `{table}`, which copies the table"),
        )),
        FactKind::AddForeignKey { table, .. } if context.existed(table) => out.push(Hit::new(
            "mysql-table-copy",
            Some(table),
            format!(
                "adds a foreign key to `{table}`, which copies the table (MySQL builds one in place only with \
                 foreign_key_checks off)"
            ),
        )),
        FactKind::CopyAlgorithm { table } => {
            out.push(Hit::new("mysql-table-copy", Some(table), format!("asks for ALGORITHM=COPY on `{table}`")))
        }
        FactKind::InsertEnumValue { name } | FactKind::DropEnumValue { name } => {
            let table = tables_using(context, name);
            let what = if matches!(fact.kind, FactKind::InsertEnumValue { .. }) {
                "inserts a value before the last one of"
            } else {
                "removes a value of"
            };
            out.push(Hit::new(
                "mysql-enum-reorder",
                table.as_deref(),
                format!(
                    "{what} enum `{name}`, which copies {}",
                    table.as_deref().map_or_else(|| "every table using it".to_owned(), |t| format!("`{t}`"))
                ),
            ));
        }
        _ => {}
    }
}

/// The foreign keys of other tables that reference `table.column`: each table and the key's
/// name (quoted) or a description of it.
fn keys_referencing(context: &Context<'_>, table: &str, column: &str) -> Vec<(String, String)> {
    let mut keys = Vec::new();
    for other in context.schema.tables.values().filter(|other| other.name != table) {
        for constraint in &other.constraints {
            if let Constraint::ForeignKey { name, columns, references, .. } = constraint
                && references.table == table
                && references.columns.iter().any(|c| c == column)
            {
                let key = name.as_ref().map_or_else(|| format!("({})", columns.join(", ")), |name| format!("`{name}`"));
                keys.push((other.name.clone(), key));
            }
        }
    }
    keys
}

/// The first table with a column of enum `name`.
fn tables_using(context: &Context<'_>, name: &str) -> Option<String> {
    context.schema.tables.values().find_map(|table| {
        let uses = table.columns.iter().any(|c| matches!(&c.ty, ColumnType::Enum(e) if e == name));
        uses.then(|| table.name.clone())
    })
}

/// Whether MySQL changes `from` to `to` without copying the table: only a VARCHAR that grows
/// and keeps its length prefix size (one byte up to 255 bytes, two beyond; utf8mb4 takes up
/// to four bytes a character).
fn in_place(from: &ColumnType, to: &ColumnType) -> bool {
    const BYTES_PER_CHAR: u32 = 4;
    match (from, to) {
        (a, b) if a == b => true,
        (ColumnType::Varchar(Some(a)), ColumnType::Varchar(Some(b))) => {
            b >= a && ((b * BYTES_PER_CHAR <= 255) || (a * BYTES_PER_CHAR > 255))
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_varchar_growth_within_its_prefix_is_in_place() {
        let v = |n| ColumnType::Varchar(Some(n));
        for (from, to, expected) in [
            (v(10), v(20), true),
            (v(10), v(63), true),
            (v(10), v(64), false),
            (v(100), v(300), true),
            (v(20), v(10), false),
            (ColumnType::Integer, ColumnType::BigInt, false),
            (v(10), ColumnType::Text, false),
        ] {
            assert_eq!(in_place(&from, &to), expected, "{from} -> {to}");
        }
    }
}
