//! How two definitions of the same thing are compared: constraints by name then by shape,
//! keys, enum values, column changes that change nothing.

use std::collections::BTreeSet;

use crate::ops::{ColumnChange, Op};
use crate::schema::{ColumnType, Constraint, Index, IndexKey, Schema, Table};

pub(super) fn is_noop(change: &ColumnChange) -> bool {
    change.ty.is_none()
        && change.nullable.is_none()
        && change.default.is_none()
        && change.on_update.is_none()
        && change.comment.is_none()
        && change.collation.is_none()
        && change.identity_always.is_none()
        && change.new_name.is_none()
}

/// The `add_enum_value` ops that turn `live` into `want`, each placed next to a neighbour it
/// has in `want`. Values `want` lacks are left alone.
pub(super) fn enum_additions(name: &str, live: &[String], want: &[String]) -> Vec<Op> {
    let mut values = live.to_vec();
    let mut ops = Vec::new();
    for (i, value) in want.iter().enumerate() {
        if values.contains(value) {
            continue;
        }
        let (before, after) = match i.checked_sub(1) {
            Some(previous) => (None, Some(want[previous].clone())),
            None => (want[1..].iter().find(|w| values.contains(w)).cloned(), None),
        };
        let at = match (&before, &after) {
            (Some(b), _) => values.iter().position(|v| v == b),
            (None, Some(a)) => values.iter().position(|v| v == a).map(|p| p + 1),
            (None, None) => None,
        };
        values.insert(at.unwrap_or(values.len()), value.clone());
        ops.push(Op::AddEnumValue { name: name.to_owned(), value: value.clone(), before, after });
    }
    ops
}

/// The `drop_enum_value` ops that remove from `live` what `want` lacks, each noting the
/// neighbour it had when it went, so that the reversed ops put every value back in place.
pub(super) fn enum_removals(name: &str, live: &[String], want: &[String]) -> Vec<Op> {
    let mut values = live.to_vec();
    let mut ops = Vec::new();
    for value in live.iter().filter(|v| !want.contains(v)) {
        let at = values.iter().position(|v| v == value).expect("each live value is still there once");
        let after = at.checked_sub(1).map(|previous| values[previous].clone());
        let before = if after.is_none() { values.get(at + 1).cloned() } else { None };
        values.remove(at);
        ops.push(Op::DropEnumValue { name: name.to_owned(), value: value.clone(), before, after });
    }
    ops
}

/// Column names and types, sorted: what makes a dropped and a created table look alike.
pub(super) fn table_shape(table: &Table) -> Vec<(&str, &ColumnType)> {
    let mut shape: Vec<_> = table.columns.iter().map(|c| (c.name.as_str(), &c.ty)).collect();
    shape.sort();
    shape
}

/// Tables the foreign keys of `table` reference (with repeats).
pub(super) fn foreign_targets(table: &Table) -> impl Iterator<Item = &str> {
    table.constraints.iter().filter_map(|c| match c {
        Constraint::ForeignKey { references, .. } => Some(references.table.as_str()),
        _ => None,
    })
}

/// Same constraint, or the same shape where one side has no name (the backend named it).
pub(super) fn constraints_match(live: &Constraint, want: &Constraint) -> bool {
    live == want || ((live.name().is_none() || want.name().is_none()) && same_but_name(live, want))
}

/// Whether `a` and `b` are the same constraint, names aside (without cloning either).
pub(super) fn same_but_name(a: &Constraint, b: &Constraint) -> bool {
    match (a, b) {
        (Constraint::PrimaryKey { columns: x, .. }, Constraint::PrimaryKey { columns: y, .. })
        | (Constraint::Unique { columns: x, .. }, Constraint::Unique { columns: y, .. }) => x == y,
        (
            Constraint::ForeignKey { columns, references, on_delete, on_update, .. },
            Constraint::ForeignKey {
                columns: other_columns,
                references: other_references,
                on_delete: other_delete,
                on_update: other_update,
                ..
            },
        ) => {
            columns == other_columns
                && references == other_references
                && on_delete == other_delete
                && on_update == other_update
        }
        (Constraint::Check { expr: x, .. }, Constraint::Check { expr: y, .. }) => x == y,
        _ => false,
    }
}

/// Pairs database constraints with the models' ones: first by equal name, then by shape
/// where a name is missing. Returns which of each side found a partner.
pub(super) fn match_constraints(live: &[Constraint], want: &[Constraint]) -> (Vec<bool>, Vec<bool>) {
    let mut live_matched = vec![false; live.len()];
    let mut want_matched = vec![false; want.len()];
    for (w, wanted) in want.iter().enumerate() {
        if wanted.name().is_some()
            && let Some(l) = live.iter().enumerate().position(|(l, c)| !live_matched[l] && c == wanted)
        {
            live_matched[l] = true;
            want_matched[w] = true;
        }
    }
    for (w, wanted) in want.iter().enumerate() {
        if want_matched[w] {
            continue;
        }
        if let Some(l) = live.iter().enumerate().position(|(l, c)| !live_matched[l] && constraints_match(c, wanted)) {
            live_matched[l] = true;
            want_matched[w] = true;
        }
    }
    (live_matched, want_matched)
}

pub(super) fn primary_keys_match(live: &Table, want: &Table) -> bool {
    live.primary_key == want.primary_key
        && (live.primary_key_name == want.primary_key_name
            || live.primary_key_name.is_none()
            || want.primary_key_name.is_none())
}

/// Whether `table` has a key on exactly `columns` (in any order) that a foreign key can
/// reference.
pub(super) fn has_key<'i>(table: &Table, mut indexes: impl Iterator<Item = &'i Index>, columns: &[String]) -> bool {
    let wanted: BTreeSet<&str> = columns.iter().map(String::as_str).collect();
    let same = |cols: &[String]| {
        cols.len() == columns.len() && cols.iter().map(String::as_str).collect::<BTreeSet<_>>() == wanted
    };
    same(&table.primary_key)
        || table.constraints.iter().any(|c| matches!(c, Constraint::Unique { columns, .. } if same(columns)))
        || indexes.any(|index| {
            let keys: Option<Vec<String>> = index
                .columns
                .iter()
                .map(|key| match key {
                    IndexKey::Column(column) => Some(column.clone()),
                    IndexKey::Expr { .. } => None,
                })
                .collect();
            index.unique && index.predicate.is_none() && keys.is_some_and(|keys| same(&keys))
        })
}

/// Every constraint and index name of both schemas: PostgreSQL keeps index names (and the
/// indexes behind keys) in one namespace per schema, so made-up names avoid them all.
pub(super) fn names_in_use(cur: &Schema, models: &Schema) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    for schema in [cur, models] {
        for table in schema.tables.values() {
            names.extend(table.primary_key_name.iter().cloned());
            names.extend(table.constraints.iter().filter_map(|c| c.name().map(str::to_owned)));
        }
        names.extend(schema.indexes.keys().cloned());
    }
    names
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::References;

    #[test]
    fn enum_values_are_added_next_to_their_neighbours() {
        let check = |live: &[&str], want: &[&str], expected: &[(&str, Option<&str>, Option<&str>)]| {
            let live: Vec<String> = live.iter().map(|v| (*v).to_owned()).collect();
            let want: Vec<String> = want.iter().map(|v| (*v).to_owned()).collect();
            let ops = enum_additions("e", &live, &want);
            let got: Vec<(String, Option<String>, Option<String>)> = ops
                .iter()
                .map(|op| match op {
                    Op::AddEnumValue { value, before, after, .. } => (value.clone(), before.clone(), after.clone()),
                    other => panic!("unexpected {other:?}"),
                })
                .collect();
            let expected: Vec<(String, Option<String>, Option<String>)> = expected
                .iter()
                .map(|(v, b, a)| ((*v).to_owned(), b.map(str::to_owned), a.map(str::to_owned)))
                .collect();
            assert_eq!(got, expected, "{live:?} -> {want:?}");
            let mut schema = Schema::default();
            schema.apply(&Op::CreateEnum { name: "e".into(), values: live.clone() }).unwrap();
            for op in &ops {
                schema.apply(op).unwrap();
            }
            let kept: Vec<&String> = schema.enums["e"].values.iter().filter(|v| want.contains(v)).collect();
            assert_eq!(kept, want.iter().collect::<Vec<_>>(), "order after applying");
        };
        check(&["a", "c"], &["a", "b", "c"], &[("b", None, Some("a"))]);
        check(&["b"], &["a", "b"], &[("a", Some("b"), None)]);
        check(&["b"], &["x", "y", "b", "z"], &[("x", Some("b"), None), ("y", None, Some("x")), ("z", None, Some("b"))]);
        check(&[], &["a", "b"], &[("a", None, None), ("b", None, Some("a"))]);
        check(&["a", "b"], &["a", "b"], &[]);
    }

    #[test]
    fn constraints_match_by_name_then_by_shape() {
        let unique = |name: Option<&str>, column: &str| Constraint::Unique {
            name: name.map(str::to_owned),
            columns: vec![column.to_owned()],
        };
        let fk = |name: Option<&str>| Constraint::ForeignKey {
            name: name.map(str::to_owned),
            columns: vec!["user_id".into()],
            references: References { table: "users".into(), columns: vec!["id".into()] },
            on_delete: None,
            on_update: None,
        };
        let check = |live: &[Constraint], want: &[Constraint], expected: (&[bool], &[bool])| {
            let (l, w) = match_constraints(live, want);
            assert_eq!((l.as_slice(), w.as_slice()), expected, "{live:?} vs {want:?}");
        };
        check(&[unique(Some("k"), "a")], &[unique(Some("k"), "a")], (&[true], &[true]));
        check(&[unique(Some("k"), "a")], &[unique(None, "a")], (&[true], &[true]));
        check(&[unique(None, "a")], &[unique(Some("k"), "a")], (&[true], &[true]));
        check(&[unique(Some("k"), "a")], &[unique(Some("j"), "a")], (&[false], &[false]));
        check(&[unique(Some("k"), "a")], &[unique(Some("k"), "b")], (&[false], &[false]));
        // The named match is taken first, so the unnamed one pairs with what is left.
        check(
            &[unique(Some("x"), "a"), unique(Some("k"), "a")],
            &[unique(None, "a"), unique(Some("k"), "a")],
            (&[true, true], &[true, true]),
        );
        check(&[fk(Some("f"))], &[fk(None), fk(None)], (&[true], &[true, false]));
    }
}
