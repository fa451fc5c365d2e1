//! The models' own spellings put back into a diff's ops: the comparison needs both sides in
//! the database's spellings, the revision file wants the models' (so a revision generated
//! on one backend runs on the others). What the ops take from the database to reverse
//! themselves (a dropped check, index or column) gets the history's spelling the same way.

use std::collections::BTreeSet;

use crate::diff::matching::*;
use crate::diff::{Diff, downgrade};
use crate::ops::{ColumnChange, ColumnRef, Op};
use crate::schema::{Column, Constraint, Schema, Table};

impl Diff {
    /// The same diff, with what the upgrade takes from the models spelled as `original`
    /// spells it rather than as `normalized` (the models normalized: restated in one
    /// database's spellings, which the comparison needed): column types, defaults and comments, index
    /// keys and predicates, constraints and table comments. The downgrade is derived again.
    ///
    /// A revision generated against SQLite thus keeps `bigint`, enum types and comments, and
    /// one generated against PostgreSQL keeps the models' expressions rather than
    /// PostgreSQL's deparsed ones, so the same revision serves every backend.
    pub fn in_model_spellings(mut self, original: &Schema, normalized: &Schema) -> Diff {
        for op in &mut self.upgrade {
            use_model_spellings(op, original, normalized);
        }
        self.downgrade = downgrade(&self.upgrade, None);
        self
    }
}

impl Diff {
    /// The same diff, with what the upgrade takes from the database to reverse itself
    /// (dropped tables, columns, constraints and indexes, the values an `alter_column`
    /// changes) spelled as the revision history declared it (`original`, the schema the
    /// applied revisions lead to) rather than as the database prints it, wherever the
    /// history restated in the database's spellings (`normalized`) reads the same as the
    /// database (`database`). The downgrade is derived again.
    ///
    /// A revision generated on PostgreSQL that drops a check `status IN ('new', 'done')`
    /// thus adds it back as written, not as `status = ANY (ARRAY['new'::text, ...])`, which
    /// only PostgreSQL runs. What the history does not hold, or holds otherwise than the
    /// database (a change made by hand), keeps the database's spelling.
    ///
    /// The upgrade's renames are followed: what an op takes from a table, column, index or
    /// constraint renamed before it is looked up under the old name in the history. `quote`
    /// is the database's identifier quote, with which it rewrites a renamed column in
    /// expressions.
    pub fn in_history_spellings(
        mut self,
        original: &Schema,
        normalized: &Schema,
        database: &Schema,
        quote: char,
    ) -> Diff {
        if !self.upgrade.iter().any(|op| rename_of(op).is_some()) {
            for op in &mut self.upgrade {
                use_history_spellings(op, original, normalized, database);
            }
        } else {
            let (mut original, mut normalized, mut database) = (original.clone(), normalized.clone(), database.clone());
            for op in &mut self.upgrade {
                use_history_spellings(op, &original, &normalized, &database);
                if let Some(rename) = rename_of(op) {
                    // The models' spelling quotes the standard way; the others as the database.
                    original.apply(&rename).ok();
                    normalized.apply_quoting(&rename, quote).ok();
                    database.apply_quoting(&rename, quote).ok();
                }
            }
        }
        self.downgrade = downgrade(&self.upgrade, None);
        self
    }
}

/// The renaming `op` does, alone: a renamed column's other changes are left out, since the
/// history and the database spell them otherwise.
fn rename_of(op: &Op) -> Option<Op> {
    match op {
        Op::RenameTable { .. } | Op::RenameIndex { .. } | Op::RenameConstraint { .. } => Some(op.clone()),
        Op::AlterColumn(change) => change.new_name.as_ref().map(|new_name| {
            Op::AlterColumn(ColumnChange {
                new_name: Some(new_name.clone()),
                ..ColumnChange::new(&change.table, &change.column)
            })
        }),
        _ => None,
    }
}

/// The tables and indexes whose definitions `ops` take from the database, which
/// [`Diff::in_history_spellings`] may spell as the history does.
pub(crate) fn read_from_database(ops: &[Op]) -> (BTreeSet<String>, BTreeSet<String>) {
    let (mut tables, mut indexes) = (BTreeSet::new(), BTreeSet::new());
    for op in ops {
        match op {
            Op::DropTable { table, existing: Some(_) }
            | Op::DropColumn { table, column: ColumnRef::Definition(_) }
            | Op::DropConstraint { table, existing: Some(_), .. }
            | Op::RenameConstraint { table, existing: Some(_), .. }
            | Op::AlterColumn(crate::ops::ColumnChange { table, .. }) => {
                tables.insert(table.clone());
            }
            Op::DropIndex { name, existing: Some(_), .. } => {
                indexes.insert(name.clone());
            }
            // What later ops take from it is under the old name in the history.
            Op::RenameTable { table, .. } => {
                tables.insert(table.clone());
            }
            Op::RenameIndex { name, .. } => {
                indexes.insert(name.clone());
            }
            _ => {}
        }
    }
    (tables, indexes)
}

/// Puts `original`'s spelling of what `op` takes from the database into `op`, where
/// `normalized` (the history restated) and `database` read the same.
fn use_history_spellings(op: &mut Op, original: &Schema, normalized: &Schema, database: &Schema) {
    let tables = |name: &str| Some((original.tables.get(name)?, normalized.tables.get(name)?));
    match op {
        Op::DropTable { table, existing: Some(existing) } => {
            let Some((source, spelled)) = tables(table) else { return };
            for column in &mut existing.columns {
                if let Some(found) = history_column(column, source, spelled) {
                    *column = found;
                }
            }
            for constraint in &mut existing.constraints {
                if let Some(found) = history_constraint(constraint, source, spelled) {
                    *constraint = found;
                }
            }
        }
        Op::DropColumn { table, column: ColumnRef::Definition(column) } => {
            if let Some(found) = tables(table).and_then(|(source, spelled)| history_column(column, source, spelled)) {
                *column = found;
            }
        }
        Op::DropConstraint { table, existing: Some(constraint), .. }
        | Op::RenameConstraint { table, existing: Some(constraint), .. } => {
            let found = tables(table).and_then(|(source, spelled)| history_constraint(constraint, source, spelled));
            if let Some(found) = found {
                *constraint = found;
            }
        }
        Op::DropIndex { name, existing: Some(existing), .. } => {
            if normalized.indexes.get(name.as_str()) == Some(existing)
                && let Some(found) = original.indexes.get(name.as_str())
            {
                *existing = found.clone();
            }
        }
        Op::AlterColumn(change) => {
            let live = database.tables.get(&change.table).and_then(|t| t.column(&change.column));
            let Some((source, spelled)) = tables(&change.table) else { return };
            let Some(found) = live.and_then(|live| history_column(live, source, spelled)) else { return };
            if let Some(ty) = &mut change.ty {
                ty.from = Some(found.ty.clone());
            }
            if let Some(default) = &mut change.default {
                default.from.clone_from(&found.default);
            }
            if let Some(on_update) = &mut change.on_update {
                on_update.from.clone_from(&found.on_update);
            }
            if let Some(comment) = &mut change.comment {
                comment.from.clone_from(&found.comment);
            }
            if let Some(collation) = &mut change.collation {
                collation.from.clone_from(&found.collation);
            }
        }
        _ => {}
    }
}

/// The history's declaration of the database's `live` column, when the history restated
/// (`spelled`) reads the same.
fn history_column(live: &Column, source: &Table, spelled: &Table) -> Option<Column> {
    (spelled.column(&live.name)? == live).then(|| source.column(&live.name).cloned()).flatten()
}

/// The history's declaration of the database's `live` constraint (a primary key aside,
/// which has no spelling): the one of the same name, when the history restated (`spelled`)
/// reads the same; else the only unnamed one of the same kind and shape, under the name the
/// database gave it. Unnamed constraints keep the history's order when restated.
fn history_constraint(live: &Constraint, source: &Table, spelled: &Table) -> Option<Constraint> {
    let same_name = |c: &&Constraint| c.name().is_some() && c.name() == live.name() && c.kind() == live.kind();
    if let Some(restated) = spelled.constraints.iter().find(same_name) {
        return (restated == live).then(|| source.constraints.iter().find(same_name).cloned()).flatten();
    }
    let unnamed = |table: &Table| -> Vec<Constraint> {
        table.constraints.iter().filter(|c| c.name().is_none() && c.kind() == live.kind()).cloned().collect()
    };
    let (restated, declared) = (unnamed(spelled), unnamed(source));
    if restated.len() != declared.len() {
        return None;
    }
    let mut hits = restated.iter().enumerate().filter(|(_, c)| same_but_name(c, live));
    match (hits.next(), hits.next()) {
        (Some((at, _)), None) => Some(declared[at].with_name(live.name().map(str::to_owned))),
        _ => None,
    }
}

/// Puts `original`'s spelling of what `op` takes from the models into `op`.
fn use_model_spellings(op: &mut Op, original: &Schema, canonical: &Schema) {
    match op {
        Op::CreateTable(table) => {
            let Some(source) = original.tables.get(&table.name) else { return };
            for column in &mut table.columns {
                if let Some(wanted) = source.column(&column.name) {
                    *column = wanted.clone();
                }
            }
            let spelled = canonical.tables.get(&table.name);
            for constraint in &mut table.constraints {
                *constraint = original_constraint(constraint, source, spelled);
            }
            table.comment.clone_from(&source.comment);
        }
        Op::AddColumn { table, column } => {
            if let Some(wanted) = original.tables.get(table.as_str()).and_then(|t| t.column(&column.name)) {
                *column = wanted.clone();
            }
        }
        Op::AlterColumn(change) => {
            let name = change.new_name.as_deref().unwrap_or(&change.column);
            let Some(wanted) = original.tables.get(&change.table).and_then(|t| t.column(name)) else { return };
            if let Some(ty) = &mut change.ty {
                ty.to = wanted.ty.clone();
            }
            if let Some(default) = &mut change.default {
                // A default restated with its type means the same before and after: the
                // downgrade sets it again in the models' spelling too.
                if default.from == default.to {
                    default.from.clone_from(&wanted.default);
                }
                default.to.clone_from(&wanted.default);
            }
            if let Some(on_update) = &mut change.on_update {
                on_update.to.clone_from(&wanted.on_update);
            }
            if let Some(comment) = &mut change.comment {
                comment.to.clone_from(&wanted.comment);
            }
            if let Some(collation) = &mut change.collation {
                collation.to.clone_from(&wanted.collation);
            }
        }
        Op::CreateIndex(create) => {
            if let Some(wanted) = original.indexes.get(&create.name).filter(|i| i.table == create.table) {
                create.columns.clone_from(&wanted.columns);
                create.predicate.clone_from(&wanted.predicate);
                create.method.clone_from(&wanted.method);
            }
        }
        Op::AddConstraint { table, constraint, .. } => {
            if let Some(source) = original.tables.get(table.as_str()) {
                *constraint = original_constraint(constraint, source, canonical.tables.get(table.as_str()));
            }
        }
        Op::DropTable { .. }
        | Op::RenameTable { .. }
        | Op::DropColumn { .. }
        | Op::DropIndex { .. }
        | Op::RenameIndex { .. }
        | Op::RenameConstraint { .. }
        | Op::DropConstraint { .. }
        | Op::CreateEnum { .. }
        | Op::DropEnum { .. }
        | Op::AddEnumValue { .. }
        | Op::DropEnumValue { .. }
        | Op::ValidateConstraint { .. }
        | Op::Sql { .. } => {}
        Op::AlterTable { table, comment } => {
            if let Some(source) = original.tables.get(table.as_str()) {
                comment.to.clone_from(&source.comment);
            }
        }
    }
}

/// The models' own spelling of `constraint` (as the diff emitted it, from `spelled`, the
/// canonical table): the original constraint of the same name; else the unnamed original of
/// the same kind and columns; else, for checks, the unnamed original check at the same place
/// among the unnamed checks (restating keeps their order). The name the diff gave it stays.
/// Unchanged when nothing matches.
fn original_constraint(constraint: &Constraint, source: &Table, spelled: Option<&Table>) -> Constraint {
    if let Some(name) = constraint.name()
        && let Some(found) = source.constraints.iter().find(|c| c.name() == Some(name) && c.kind() == constraint.kind())
    {
        return found.clone();
    }
    let unnamed = |table: &Table| -> Vec<Constraint> {
        table.constraints.iter().filter(|c| c.name().is_none() && c.kind() == constraint.kind()).cloned().collect()
    };
    let originals = unnamed(source);
    let found = match constraint {
        Constraint::Check { .. } => spelled.and_then(|spelled| {
            let canonical = unnamed(spelled);
            let at = canonical.iter().position(|c| constraints_match(c, constraint))?;
            (canonical.len() == originals.len()).then(|| originals[at].clone())
        }),
        _ => {
            let shape = |c: &Constraint| match c {
                Constraint::ForeignKey { columns, references, .. } => (columns.clone(), Some(references.clone())),
                other => (other.columns().to_vec(), None),
            };
            let mut candidates = originals.iter().filter(|c| shape(c) == shape(constraint));
            match (candidates.next(), candidates.next()) {
                (Some(one), None) => Some(one.clone()),
                _ => None,
            }
        }
    };
    match found {
        Some(found) => found.with_name(constraint.name().map(str::to_owned)),
        None => constraint.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(name: Option<&str>, expr: &str) -> Constraint {
        Constraint::Check { name: name.map(str::to_owned), expr: expr.to_owned() }
    }

    fn table(constraints: Vec<Constraint>) -> Table {
        Table { constraints, ..Table::new("t") }
    }

    const DECLARED: &str = "status IN ('a', 'b')";
    const PRINTED: &str = "(status = ANY (ARRAY['a'::text, 'b'::text]))";

    #[test]
    fn a_named_constraint_takes_the_history_spelling_when_the_database_reads_the_same() {
        let source = table(vec![check(Some("c"), DECLARED)]);
        let spelled = table(vec![check(Some("c"), PRINTED)]);
        assert_eq!(history_constraint(&check(Some("c"), PRINTED), &source, &spelled), Some(check(Some("c"), DECLARED)));
        // Changed by hand since: the database's spelling stays.
        assert_eq!(history_constraint(&check(Some("c"), "(status <> 'x'::text)"), &source, &spelled), None);
    }

    #[test]
    fn an_unnamed_constraint_is_found_by_its_shape_and_keeps_the_database_name() {
        let source = table(vec![check(None, "a > 0"), check(None, DECLARED)]);
        let spelled = table(vec![check(None, "(a > 0)"), check(None, PRINTED)]);
        assert_eq!(
            history_constraint(&check(Some("t_status_check"), PRINTED), &source, &spelled),
            Some(check(Some("t_status_check"), DECLARED))
        );
        // Two restated alike: which declaration is meant cannot be told.
        let twice = table(vec![check(None, PRINTED), check(None, PRINTED)]);
        let declared_twice = table(vec![check(None, DECLARED), check(None, "status in ('a','b')")]);
        assert_eq!(history_constraint(&check(Some("t_check"), PRINTED), &declared_twice, &twice), None);
    }

    #[test]
    fn a_dropped_column_takes_the_history_spelling_only_when_it_reads_the_same() {
        let mut declared = Column::new("code", crate::schema::ColumnType::parse("varchar(10)").expect("a type"));
        declared.default = Some(crate::schema::DefaultValue::Sql("'none'".to_owned()));
        let mut printed = declared.clone();
        printed.default = Some(crate::schema::DefaultValue::Sql("'none'::character varying".to_owned()));
        let (source, spelled) = (
            Table { columns: vec![declared.clone()], ..table(vec![]) },
            Table { columns: vec![printed.clone()], ..table(vec![]) },
        );
        assert_eq!(history_column(&printed, &source, &spelled), Some(declared));
        let mut other = printed.clone();
        other.nullable = false;
        assert_eq!(history_column(&other, &source, &spelled), None);
    }
}
