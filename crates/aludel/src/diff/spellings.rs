//! The models' own spellings put back into a diff's ops: the comparison needs both sides in
//! the database's spellings, the revision file wants the models' (so a revision generated
//! on one backend runs on the others).

use crate::diff::matching::*;
use crate::diff::{Diff, downgrade};
use crate::ops::Op;
use crate::schema::{Constraint, Schema, Table};

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
