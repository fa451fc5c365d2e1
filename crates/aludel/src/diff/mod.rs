//! The comparison at the heart of autogenerate: the database's [`Schema`] against the models',
//! giving the ordered [`Op`]s that take one to the other, their downgrade, and what a person
//! should look at before running them (likely renames, destructive and irreversible steps).
//!
//! Pure: no async, no IO, no SQL text. Both inputs must already be canonical: the stage that
//! normalizes the spelling of types, defaults and expressions through the target database runs
//! before this one, so values here compare with `==`. Leaving the version and history tables
//! out is the caller's job (put them in [`DiffOptions::exclude`]); this module does not know
//! their names. Rendering the ops to SQL belongs to `dialect`, writing them to a file to
//! `script`.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use crate::naming;
use crate::ops::{
    self, CollationChange, ColumnChange, ColumnRef, CommentChange, CreateIndex, DefaultChange, Op, TypeChange,
};
use crate::schema::{Column, ColumnType, Constraint, Index, IndexKey, Schema, Table};

mod narrowing;
mod options;

use narrowing::narrowing;
pub use options::{DiffOptions, RenameHints};

/// What a rename warning is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RenameKind {
    /// A table.
    Table,
    /// A column of a table.
    Column,
}

/// Something the person running autogenerate should know; the ops are written regardless.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Warning {
    /// A drop and an add of the same shape, without a rename hint: the data of `old` is lost
    /// unless the rename is declared.
    LikelyRename {
        /// Table or column.
        kind: RenameKind,
        /// The table, for a column (its name in the models).
        table: Option<String>,
        /// The dropped name.
        old: String,
        /// The added name.
        new: String,
        /// How to declare the rename.
        hint: String,
    },
    /// A rename hint that contradicts the schemas and was not used.
    RenameHintIgnored {
        /// Table or column.
        kind: RenameKind,
        /// The table, for a column.
        table: Option<String>,
        /// The hint's old name.
        old: String,
        /// The hint's new name.
        new: String,
        /// Why it was not used.
        reason: String,
    },
    /// The models' enum orders the values it shares with the database differently. The diff
    /// adds and removes values but keeps the database's order.
    EnumValuesReordered {
        /// Enum type name.
        name: String,
    },
    /// An upgrade op with no automatic inverse; the downgrade leaves its effect in place.
    Irreversible {
        /// Index of the op in [`Diff::upgrade`].
        op_index: usize,
        /// The op, described (`add_enum_value mood += happy`).
        op: String,
    },
    /// A column difference no op can express (identity, generated expression).
    Unsupported {
        /// Table name.
        table: String,
        /// Column name.
        column: String,
        /// What differs.
        change: String,
    },
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Warning::LikelyRename { kind: RenameKind::Table, old, new, hint, .. } => write!(
                f,
                "table `{old}` is dropped and `{new}` created with the same columns; if it was renamed, {hint}"
            ),
            Warning::LikelyRename { kind: RenameKind::Column, table, old, new, hint } => {
                let table = table.as_deref().unwrap_or_default();
                write!(
                    f,
                    "column `{table}.{old}` is dropped and `{table}.{new}` added with the same type; if it was \
                     renamed, {hint}"
                )
            }
            Warning::RenameHintIgnored { kind, table, old, new, reason } => {
                let what = match kind {
                    RenameKind::Table => "table",
                    RenameKind::Column => "column",
                };
                let prefix = table.as_deref().map(|t| format!("{t}.")).unwrap_or_default();
                write!(f, "ignored the rename of {what} `{prefix}{old}` to `{prefix}{new}`: {reason}")
            }
            Warning::EnumValuesReordered { name } => write!(
                f,
                "enum `{name}` in the models orders its values differently than the database; autogenerate keeps \
                 the database's order: to change it, write that migration by hand (create a new type, convert the \
                 columns, drop the old one)"
            ),
            Warning::Irreversible { op_index, op } => write!(
                f,
                "upgrade op {} (`{op}`) has no automatic inverse; the downgrade leaves it in place",
                op_index + 1
            ),
            Warning::Unsupported { table, column, change } => write!(
                f,
                "column `{table}.{column}`: autogenerate cannot change {change}; write that change by hand (an `sql` op)"
            ),
        }
    }
}

/// An upgrade op that can lose data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Destructive {
    /// Index of the op in [`Diff::upgrade`].
    pub op_index: usize,
    /// What is lost.
    pub reason: String,
}

/// The result of [`diff`].
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Diff {
    /// Ops that take the database to the models, in an order that runs.
    pub upgrade: Vec<Op>,
    /// The upgrade reversed ([`ops::downgrade_of`]); ops without an inverse are left out and
    /// named by a [`Warning::Irreversible`].
    pub downgrade: Vec<Op>,
    /// What to look at before running the upgrade.
    pub warnings: Vec<Warning>,
    /// Upgrade ops that can lose data.
    pub destructive: Vec<Destructive>,
}

impl Diff {
    /// Whether the database already matches the models (warnings aside).
    pub fn is_empty(&self) -> bool {
        self.upgrade.is_empty()
    }
}

/// Compares `database` with `models` and returns the ops that make the database match.
///
/// Both schemas must be canonical (spelled as the target database spells them). Tables that
/// [`DiffOptions::includes`] rejects are ignored on both sides, with their indexes; an enum
/// that such a database table uses is never dropped.
///
/// The upgrade runs in this order: create enums and add enum values; renames; drop foreign
/// keys (also those whose referenced key goes), then indexes and other constraints, then
/// columns, then tables (referencing tables first); create tables (referenced tables first,
/// foreign keys inline where their target exists, cycles closed by `add_constraint` later);
/// add columns; table comments and alter columns; add keys,
/// checks and indexes; add foreign keys; remove enum values; drop enums. Within a step, names
/// order the ops.
///
/// # Examples
///
/// ```
/// use aludel::diff::{DiffOptions, diff};
/// use aludel::schema::{Column, ColumnType, Schema, Table};
///
/// let users = Table {
///     name: "users".into(),
///     columns: vec![Column::new("id", ColumnType::BigInt)],
///     primary_key: vec!["id".into()],
///     primary_key_name: None,
///     constraints: Vec::new(),
///     comment: None,
/// };
/// let mut models = Schema::default();
/// models.tables.insert("users".into(), users);
///
/// let diff = diff(&Schema::default(), &models, &DiffOptions::default());
/// assert_eq!(diff.upgrade[0].describe(), "create_table users");
/// assert_eq!(diff.downgrade[0].describe(), "drop_table users");
/// ```
pub fn diff(database: &Schema, models: &Schema, options: &DiffOptions) -> Diff {
    let protected_enums = enums_of_excluded_tables(database, options);
    // The models are read only: borrowed when every table is in scope, as it usually is.
    let all_in_scope = models.tables.keys().all(|name| options.includes(name))
        && models.indexes.values().all(|index| options.includes(&index.table));
    let models = if all_in_scope {
        std::borrow::Cow::Borrowed(models)
    } else {
        std::borrow::Cow::Owned(in_scope(models, options))
    };
    let mut plan = UpgradeBuilder {
        options,
        models: &models,
        cur: in_scope(database, options),
        ops: Vec::new(),
        warnings: Vec::new(),
        destructive: Vec::new(),
        taken: None,
    };
    plan.create_enums();
    plan.rename_tables();
    plan.rename_columns();
    plan.warn_likely_renames();
    let drop_order = plan.drop_foreign_keys();
    plan.drop_indexes_and_keys();
    plan.drop_columns();
    plan.drop_tables(&drop_order);
    plan.create_tables();
    plan.add_columns();
    plan.alter_columns();
    plan.add_keys_and_indexes();
    plan.add_foreign_keys();
    plan.drop_enum_values();
    plan.drop_enums(&protected_enums);

    let UpgradeBuilder { ops: upgrade, mut warnings, destructive, .. } = plan;
    let downgrade = downgrade(&upgrade, Some(&mut warnings));
    Diff { upgrade, downgrade, warnings, destructive }
}

/// The upgrade reversed; an op without an inverse is left out, and `warnings` (when given)
/// gets an [`Warning::Irreversible`] for it.
fn downgrade(upgrade: &[Op], warnings: Option<&mut Vec<Warning>>) -> Vec<Op> {
    if let Some(downgrade) = ops::downgrade_of(upgrade) {
        return downgrade;
    }
    if let Some(warnings) = warnings {
        for (op_index, op) in upgrade.iter().enumerate() {
            if op.reverse().is_none() {
                warnings.push(Warning::Irreversible { op_index, op: op.describe() });
            }
        }
    }
    upgrade.iter().rev().filter_map(Op::reverse).collect()
}

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
        Op::AddConstraint { table, constraint } => {
            if let Some(source) = original.tables.get(table.as_str()) {
                *constraint = original_constraint(constraint, source, canonical.tables.get(table.as_str()));
            }
        }
        Op::DropTable { .. }
        | Op::RenameTable { .. }
        | Op::DropColumn { .. }
        | Op::DropIndex { .. }
        | Op::DropConstraint { .. }
        | Op::CreateEnum { .. }
        | Op::DropEnum { .. }
        | Op::AddEnumValue { .. }
        | Op::DropEnumValue { .. }
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
        Some(found) => with_name(&found, constraint.name().map(str::to_owned)),
        None => constraint.clone(),
    }
}

/// The part of `schema` the options look at: included tables and their indexes, every enum.
fn in_scope(schema: &Schema, options: &DiffOptions) -> Schema {
    Schema {
        tables: schema
            .tables
            .iter()
            .filter(|(name, _)| options.includes(name))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
        indexes: schema
            .indexes
            .iter()
            .filter(|(_, index)| options.includes(&index.table))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
        enums: schema.enums.clone(),
    }
}

/// Enums that columns of excluded database tables use: dropping them would break those tables.
fn enums_of_excluded_tables(database: &Schema, options: &DiffOptions) -> BTreeSet<String> {
    fn enum_name(ty: &ColumnType) -> Option<&str> {
        match ty {
            ColumnType::Enum(name) => Some(name),
            ColumnType::Array(inner) => enum_name(inner),
            _ => None,
        }
    }
    database
        .tables
        .values()
        .filter(|table| !options.includes(&table.name))
        .flat_map(|table| table.columns.iter().filter_map(|c| enum_name(&c.ty)))
        .map(str::to_owned)
        .collect()
}

/// The upgrade being built, and the schema it has led to so far.
struct UpgradeBuilder<'a> {
    options: &'a DiffOptions,
    models: &'a Schema,
    /// The database as the ops pushed so far leave it; drops read what they remove from it,
    /// so each op carries the state its inverse restores.
    cur: Schema,
    ops: Vec<Op>,
    warnings: Vec<Warning>,
    destructive: Vec<Destructive>,
    /// Constraint and index names in use, built when the first name is made up.
    taken: Option<BTreeSet<String>>,
}

impl UpgradeBuilder<'_> {
    fn push(&mut self, op: Op, destructive: Option<String>) {
        // An op that does not fit comes from inconsistent models (a key on a column they do
        // not define, say); it is still emitted, and running it reports the problem.
        self.cur.apply(&op).ok();
        if let Some(reason) = destructive {
            self.destructive.push(Destructive { op_index: self.ops.len(), reason });
        }
        self.ops.push(op);
    }

    fn create_enums(&mut self) {
        let models = self.models;
        for (name, want) in &models.enums {
            let Some(live) = self.cur.enums.get(name) else {
                self.push(Op::CreateEnum { name: name.clone(), values: want.values.clone() }, None);
                continue;
            };
            if live.values == want.values {
                continue;
            }
            let live = live.values.clone();
            let kept: Vec<&String> = live.iter().filter(|v| want.values.contains(v)).collect();
            let wanted: Vec<&String> = want.values.iter().filter(|v| live.contains(v)).collect();
            for op in enum_additions(name, &live, &want.values) {
                self.push(op, None);
            }
            if kept != wanted {
                self.warnings.push(Warning::EnumValuesReordered { name: name.clone() });
            }
        }
    }

    /// Values the models' enums lack, removed last: the columns, defaults and checks that
    /// used them have changed by then.
    fn drop_enum_values(&mut self) {
        let models = self.models;
        for (name, want) in &models.enums {
            let Some(live) = self.cur.enums.get(name) else { continue };
            for op in enum_removals(name, &live.values, &want.values) {
                let Op::DropEnumValue { value, .. } = &op else { unreachable!("enum_removals drops values") };
                let reason = format!("removes value `{value}` from enum `{name}`; rows that hold it stop the upgrade");
                self.push(op, Some(reason));
            }
        }
    }

    fn rename_tables(&mut self) {
        let models = self.models;
        let mut claimed = BTreeSet::new();
        for (new, old) in &self.options.renames.tables {
            if old == new || !models.tables.contains_key(new) || !self.cur.tables.contains_key(old) {
                continue;
            }
            let conflict = if self.cur.tables.contains_key(new) {
                Some(format!("the database has both `{old}` and `{new}`"))
            } else if models.tables.contains_key(old) {
                Some(format!("the models still define `{old}`"))
            } else if !claimed.insert(old.clone()) {
                Some(format!("another hint renames `{old}` too"))
            } else {
                None
            };
            match conflict {
                Some(reason) => self.warnings.push(Warning::RenameHintIgnored {
                    kind: RenameKind::Table,
                    table: None,
                    old: old.clone(),
                    new: new.clone(),
                    reason,
                }),
                None => self.push(Op::RenameTable { table: old.clone(), new_name: new.clone() }, None),
            }
        }
    }

    fn rename_columns(&mut self) {
        let models = self.models;
        let mut claimed = BTreeSet::new();
        for ((table, new), old) in &self.options.renames.columns {
            let (Some(want_table), Some(live_table)) = (models.tables.get(table), self.cur.tables.get(table)) else {
                continue;
            };
            let (Some(want), Some(live)) = (want_table.column(new), live_table.column(old)) else {
                continue;
            };
            if old == new {
                continue;
            }
            let conflict = if live_table.column(new).is_some() {
                Some(format!("the database table has both `{old}` and `{new}`"))
            } else if want_table.column(old).is_some() {
                Some(format!("the models still define `{table}.{old}`"))
            } else if !claimed.insert((table.clone(), old.clone())) {
                Some(format!("another hint renames `{table}.{old}` too"))
            } else {
                None
            };
            if let Some(reason) = conflict {
                self.warnings.push(Warning::RenameHintIgnored {
                    kind: RenameKind::Column,
                    table: Some(table.clone()),
                    old: old.clone(),
                    new: new.clone(),
                    reason,
                });
                continue;
            }
            let live = live.clone();
            let mut change = self.column_change(table, &live, want);
            change.new_name = Some(new.clone());
            self.push_alter(change);
        }
    }

    /// Warns about drop + add pairs of the same shape that no hint declared.
    fn warn_likely_renames(&mut self) {
        let models = self.models;
        let dropped: Vec<&Table> = self.cur.tables.values().filter(|t| !models.tables.contains_key(&t.name)).collect();
        let mut paired = BTreeSet::new();
        for created in models.tables.values().filter(|t| !self.cur.tables.contains_key(&t.name)) {
            let shape = table_shape(created);
            if let Some(old) = dropped.iter().find(|t| !paired.contains(&t.name) && table_shape(t) == shape) {
                paired.insert(old.name.clone());
                self.warnings.push(Warning::LikelyRename {
                    kind: RenameKind::Table,
                    table: None,
                    old: old.name.clone(),
                    new: created.name.clone(),
                    hint: format!("declare `renamed_from = \"{}\"` on table `{}`", old.name, created.name),
                });
            }
        }
        for (name, want) in &models.tables {
            let Some(live) = self.cur.tables.get(name) else { continue };
            let dropped: Vec<&Column> = live.columns.iter().filter(|c| want.column(&c.name).is_none()).collect();
            let mut paired = BTreeSet::new();
            for added in want.columns.iter().filter(|c| live.column(&c.name).is_none()) {
                if let Some(old) = dropped
                    .iter()
                    .find(|c| !paired.contains(&c.name) && c.ty == added.ty && c.nullable == added.nullable)
                {
                    paired.insert(old.name.clone());
                    self.warnings.push(Warning::LikelyRename {
                        kind: RenameKind::Column,
                        table: Some(name.clone()),
                        old: old.name.clone(),
                        new: added.name.clone(),
                        hint: format!(
                            "declare `renamed_from = \"{}\"` on column `{}` of table `{name}`",
                            old.name, added.name
                        ),
                    });
                }
            }
        }
    }

    /// Drops the foreign keys the models lack, then those that tie dropped tables in a cycle.
    /// Returns the order to drop tables in: referencing tables first.
    /// The keys (table, columns) that the next steps drop: unmatched primary keys, unique
    /// constraints and unique indexes of the tables that stay.
    fn doomed_keys(&self) -> BTreeSet<(String, Vec<String>)> {
        let models = self.models;
        let mut doomed = BTreeSet::new();
        for (name, live) in &self.cur.tables {
            let Some(want) = models.tables.get(name) else { continue };
            for constraint in self.unmatched_live(name, |c| matches!(c, Constraint::Unique { .. })) {
                doomed.insert((name.clone(), constraint.columns().to_vec()));
            }
            if !live.primary_key.is_empty() && !primary_keys_match(live, want) {
                doomed.insert((name.clone(), live.primary_key.clone()));
            }
        }
        for index in self.cur.indexes.values() {
            if index.unique && models.indexes.get(&index.name) != Some(index) {
                let columns: Option<Vec<String>> = index
                    .columns
                    .iter()
                    .map(|k| match k {
                        IndexKey::Column(c) => Some(c.clone()),
                        IndexKey::Expr { .. } => None,
                    })
                    .collect();
                if let Some(columns) = columns {
                    doomed.insert((index.table.clone(), columns));
                }
            }
        }
        doomed
    }

    fn drop_foreign_keys(&mut self) -> Vec<String> {
        let models = self.models;
        // A foreign key goes before the key it references does; the models' foreign keys are
        // added back after the new keys.
        let doomed = self.doomed_keys();
        let names: Vec<String> = self.cur.tables.keys().cloned().collect();
        for name in names {
            let mut drops = self.unmatched_live(&name, |c| matches!(c, Constraint::ForeignKey { .. }));
            for constraint in &self.cur.tables[&name].constraints {
                if let Constraint::ForeignKey { references, .. } = constraint
                    && doomed.contains(&(references.table.clone(), references.columns.clone()))
                    && !drops.contains(constraint)
                {
                    drops.push(constraint.clone());
                }
            }
            for constraint in drops {
                self.drop_constraint(&name, constraint);
            }
        }

        // Kahn's algorithm over "is referenced by", among the tables to drop. When every
        // remaining table is referenced (a cycle), the first by name loses the foreign keys
        // that point at it, which makes it droppable.
        let dropped: BTreeSet<String> =
            self.cur.tables.keys().filter(|n| !models.tables.contains_key(*n)).cloned().collect();
        let mut targets: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
        let mut referrers: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
        for name in &dropped {
            for target in foreign_targets(&self.cur.tables[name]) {
                if target != name && dropped.contains(target) {
                    targets.entry(name).or_default().insert(target);
                    referrers.entry(target).or_default().insert(name);
                }
            }
        }
        let mut pending: BTreeMap<&str, usize> = dropped.iter().map(|n| (n.as_str(), 0)).collect();
        for (target, from) in &referrers {
            pending.insert(target, from.len());
        }
        let mut ready: BTreeSet<&str> = pending.iter().filter(|(_, n)| **n == 0).map(|(t, _)| *t).collect();
        let mut remaining: BTreeSet<&str> = dropped.iter().map(String::as_str).collect();
        let mut order = Vec::new();
        let mut cuts = Vec::new();
        while let Some(name) = ready.pop_first().or_else(|| remaining.first().copied()) {
            remaining.remove(name);
            if pending[name] > 0 {
                for &from in referrers.get(name).into_iter().flatten() {
                    if remaining.contains(from) {
                        cuts.push((from.to_owned(), name.to_owned()));
                    }
                }
            }
            for &target in targets.get(name).into_iter().flatten() {
                if let Some(count) = pending.get_mut(target)
                    && remaining.contains(target)
                {
                    *count -= 1;
                    if *count == 0 {
                        ready.insert(target);
                    }
                }
            }
            order.push(name.to_owned());
        }
        for (from, target) in cuts {
            let drops: Vec<Constraint> = self.cur.tables[&from]
                .constraints
                .iter()
                .filter(|c| matches!(c, Constraint::ForeignKey { references, .. } if references.table == target))
                .cloned()
                .collect();
            for constraint in drops {
                self.drop_constraint(&from, constraint);
            }
        }
        order
    }

    /// Drops indexes the models lack (every index of a dropped table, so the downgrade
    /// recreates them), then unique and check constraints, then primary keys.
    fn drop_indexes_and_keys(&mut self) {
        let models = self.models;
        let drops: Vec<Index> = self
            .cur
            .indexes
            .values()
            .filter(|index| models.indexes.get(&index.name) != Some(*index))
            .cloned()
            .collect();
        for index in drops {
            let op = Op::DropIndex {
                table: index.table.clone(),
                name: index.name.clone(),
                concurrently: false,
                existing: Some(index),
            };
            self.push(op, None);
        }
        let kept: Vec<String> = self.cur.tables.keys().filter(|n| models.tables.contains_key(*n)).cloned().collect();
        for name in kept {
            let drops = self.unmatched_live(&name, |c| !matches!(c, Constraint::ForeignKey { .. }));
            for constraint in drops {
                self.drop_constraint(&name, constraint);
            }
            let live = &self.cur.tables[&name];
            if !live.primary_key.is_empty() && !primary_keys_match(live, &models.tables[&name]) {
                self.drop_primary_key(&name);
            }
        }
    }

    fn drop_columns(&mut self) {
        let models = self.models;
        for (name, want) in &models.tables {
            let Some(live) = self.cur.tables.get(name) else { continue };
            let drops: Vec<Column> = live.columns.iter().filter(|c| want.column(&c.name).is_none()).cloned().collect();
            for column in drops {
                let reason = format!("drops column `{name}.{}` and its data", column.name);
                self.push(Op::DropColumn { table: name.clone(), column: ColumnRef::Definition(column) }, Some(reason));
            }
        }
    }

    fn drop_tables(&mut self, order: &[String]) {
        for name in order {
            let Some(existing) = self.cur.tables.get(name).cloned() else { continue };
            let reason = format!("drops table `{name}` and all its rows");
            self.push(Op::DropTable { table: name.clone(), existing: Some(Box::new(existing)) }, Some(reason));
        }
    }

    /// Creates the models' new tables, each after the new tables it references. A foreign key
    /// goes inline when its target key exists by then; the others (cycles, targets whose key
    /// comes later) are added by [`UpgradeBuilder::add_foreign_keys`].
    fn create_tables(&mut self) {
        let models = self.models;
        let new: BTreeSet<&str> =
            models.tables.keys().map(String::as_str).filter(|n| !self.cur.tables.contains_key(*n)).collect();
        let mut pending: BTreeMap<&str, usize> = BTreeMap::new();
        let mut dependents: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
        for &name in &new {
            let targets: BTreeSet<&str> =
                foreign_targets(&models.tables[name]).filter(|t| *t != name && new.contains(t)).collect();
            pending.insert(name, targets.len());
            for target in targets {
                dependents.entry(target).or_default().push(name);
            }
        }
        let mut ready: BTreeSet<&str> = pending.iter().filter(|(_, n)| **n == 0).map(|(t, _)| *t).collect();
        let mut remaining = new.clone();
        while let Some(name) = ready.pop_first().or_else(|| remaining.first().copied()) {
            remaining.remove(name);
            let want = &models.tables[name];
            let mut table = want.clone();
            table.constraints.retain(|c| self.key_ready(want, c));
            self.push(Op::CreateTable(table), None);
            for &dependent in dependents.get(name).into_iter().flatten() {
                if remaining.contains(dependent) {
                    let count = pending.get_mut(dependent).expect("every new table has a count");
                    *count -= 1;
                    if *count == 0 {
                        ready.insert(dependent);
                    }
                }
            }
        }
    }

    fn add_columns(&mut self) {
        let models = self.models;
        for (name, want) in &models.tables {
            let Some(live) = self.cur.tables.get(name) else { continue };
            let adds: Vec<Column> = want.columns.iter().filter(|c| live.column(&c.name).is_none()).cloned().collect();
            for column in adds {
                self.push(Op::AddColumn { table: name.clone(), column }, None);
            }
        }
    }

    fn alter_columns(&mut self) {
        let models = self.models;
        for (name, want) in &models.tables {
            if let Some(live) = self.cur.tables.get(name)
                && live.comment != want.comment
            {
                let comment = CommentChange { from: live.comment.clone(), to: want.comment.clone() };
                self.push(Op::AlterTable { table: name.clone(), comment }, None);
            }
            for want_column in &want.columns {
                let Some(live) = self.cur.tables.get(name).and_then(|t| t.column(&want_column.name)).cloned() else {
                    continue;
                };
                let change = self.column_change(name, &live, want_column);
                if !is_noop(&change) {
                    self.push_alter(change);
                }
            }
        }
    }

    /// Adds primary keys, unique and check constraints, then creates indexes.
    fn add_keys_and_indexes(&mut self) {
        let models = self.models;
        for (name, want) in &models.tables {
            let Some(live) = self.cur.tables.get(name) else { continue };
            if !want.primary_key.is_empty() && !primary_keys_match(live, want) {
                let constraint =
                    Constraint::PrimaryKey { name: want.primary_key_name.clone(), columns: want.primary_key.clone() };
                self.add_constraint(name, &constraint);
            }
            for constraint in self.unmatched_wanted(name, |c| !matches!(c, Constraint::ForeignKey { .. })) {
                self.add_constraint(name, &constraint);
            }
        }
        for index in models.indexes.values() {
            if self.cur.indexes.get(&index.name) != Some(index) {
                self.push(Op::CreateIndex(CreateIndex::from_index(index)), None);
            }
        }
    }

    fn add_foreign_keys(&mut self) {
        let models = self.models;
        for name in models.tables.keys() {
            for constraint in self.unmatched_wanted(name, |c| matches!(c, Constraint::ForeignKey { .. })) {
                self.add_constraint(name, &constraint);
            }
        }
    }

    fn drop_enums(&mut self, protected: &BTreeSet<String>) {
        let models = self.models;
        let drops: Vec<(String, Vec<String>)> = self
            .cur
            .enums
            .values()
            .filter(|e| !models.enums.contains_key(&e.name) && !protected.contains(&e.name))
            .map(|e| (e.name.clone(), e.values.clone()))
            .collect();
        for (name, values) in drops {
            self.push(Op::DropEnum { name, values: Some(values) }, None);
        }
    }

    /// Constraints of `table` in the database state that the models do not have, among
    /// those `wanted` selects.
    fn unmatched_live(&self, table: &str, wanted: impl Fn(&Constraint) -> bool) -> Vec<Constraint> {
        let (Some(live), Some(want)) = (self.cur.tables.get(table), self.models.tables.get(table)) else {
            return Vec::new();
        };
        let (live_matched, _) = match_constraints(&live.constraints, &want.constraints);
        live.constraints
            .iter()
            .zip(live_matched)
            .filter(|(c, matched)| !matched && wanted(c))
            .map(|(c, _)| c.clone())
            .collect()
    }

    /// Constraints of the models' `table` that the database state lacks, among those
    /// `wanted` selects.
    fn unmatched_wanted(&self, table: &str, wanted: impl Fn(&Constraint) -> bool) -> Vec<Constraint> {
        let (Some(live), Some(want)) = (self.cur.tables.get(table), self.models.tables.get(table)) else {
            return Vec::new();
        };
        let (_, want_matched) = match_constraints(&live.constraints, &want.constraints);
        want.constraints
            .iter()
            .zip(want_matched)
            .filter(|(c, matched)| !matched && wanted(c))
            .map(|(c, _)| c.clone())
            .collect()
    }

    /// Drops a constraint of the database state. One without a name (SQLite) is dropped by
    /// the conventional one and found by its definition, which the op carries unnamed, so
    /// that the downgrade re-creates it as it was.
    fn drop_constraint(&mut self, table: &str, constraint: Constraint) {
        let Some(live) = self.cur.tables.get(table) else { return };
        let name = match constraint.name() {
            Some(name) => name.to_owned(),
            None => {
                let taken: BTreeSet<String> =
                    live.constraints.iter().filter_map(|c| c.name().map(str::to_owned)).collect();
                naming::unique_name(&naming::constraint_name(live, &constraint), &taken)
            }
        };
        let op = Op::DropConstraint {
            table: table.to_owned(),
            name,
            kind: Some(constraint.kind()),
            existing: Some(constraint),
        };
        self.push(op, None);
    }

    fn drop_primary_key(&mut self, table: &str) {
        let Some(live) = self.cur.tables.get(table) else { return };
        let name = live
            .primary_key_name
            .clone()
            .unwrap_or_else(|| naming::conventional_name::<&str>(naming::NameKind::PrimaryKey, table, &[]));
        let existing =
            Constraint::PrimaryKey { name: live.primary_key_name.clone(), columns: live.primary_key.clone() };
        let op =
            Op::DropConstraint { table: table.to_owned(), name, kind: Some(existing.kind()), existing: Some(existing) };
        self.push(op, None);
    }

    /// Adds a constraint, named: the models' name, or a made-up conventional one so that the
    /// downgrade can drop it by name.
    fn add_constraint(&mut self, table: &str, constraint: &Constraint) {
        let constraint = match constraint.name() {
            Some(_) => constraint.clone(),
            None => {
                let UpgradeBuilder { taken, cur, models, .. } = self;
                let taken = taken.get_or_insert_with(|| names_in_use(cur, models));
                // The table as the models have it: a check is named after the column it reads.
                let owner = models.tables.get(table).or_else(|| cur.tables.get(table));
                let base = match owner {
                    Some(owner) => naming::constraint_name(owner, constraint),
                    None => naming::constraint_name(&Table::new(table), constraint),
                };
                let name = naming::unique_name(&base, taken);
                taken.insert(name.clone());
                with_name(constraint, Some(name))
            }
        };
        self.push(Op::AddConstraint { table: table.to_owned(), constraint }, None);
    }

    /// Whether a foreign key of the new table `own` can be created inline: its target is
    /// `own` itself or a table that exists by now, with a primary key, unique constraint or
    /// unique index on exactly the referenced columns.
    fn key_ready(&self, own: &Table, constraint: &Constraint) -> bool {
        let Constraint::ForeignKey { references, .. } = constraint else { return true };
        if references.table == own.name {
            return has_key(own, std::iter::empty(), &references.columns);
        }
        match self.cur.tables.get(&references.table) {
            Some(target) => has_key(target, self.cur.indexes_on(&target.name), &references.columns),
            // A table outside the diff (excluded): nothing to wait for.
            None => !self.models.tables.contains_key(&references.table),
        }
    }

    /// The alter_column that takes `live` to `want` (not yet renamed); warns about what no
    /// op can change.
    fn column_change(&mut self, table: &str, live: &Column, want: &Column) -> ColumnChange {
        let mut change = ColumnChange::new(table, &live.name);
        if self.options.compare_types && live.ty != want.ty {
            change.ty = Some(TypeChange { from: Some(live.ty.clone()), to: want.ty.clone() });
        }
        if live.nullable != want.nullable {
            change.nullable = Some(want.nullable);
        }
        if self.options.compare_server_defaults && live.default != want.default {
            change.default = Some(DefaultChange { from: live.default.clone(), to: want.default.clone() });
        }
        if self.options.compare_server_defaults && live.on_update != want.on_update {
            change.on_update = Some(DefaultChange { from: live.on_update.clone(), to: want.on_update.clone() });
        }
        if live.comment != want.comment {
            change.comment = Some(CommentChange { from: live.comment.clone(), to: want.comment.clone() });
        }
        // A type change restates the collation it keeps: PostgreSQL and MySQL reset it otherwise,
        // and the database may hold one no earlier revision wrote.
        let restated = change.ty.is_some() && want.collation.is_some();
        if self.options.compare_types && (live.collation != want.collation || restated) {
            change.collation = Some(CollationChange { from: live.collation.clone(), to: want.collation.clone() });
        }
        let mut unsupported = |what: &str| {
            self.warnings.push(Warning::Unsupported {
                table: table.to_owned(),
                column: want.name.clone(),
                change: what.to_owned(),
            });
        };
        if live.identity != want.identity {
            unsupported(if want.identity {
                "a column into an identity column"
            } else {
                "an identity column into a plain one"
            });
        }
        if live.generated != want.generated {
            unsupported("whether or how a column is generated");
        }
        change
    }

    fn push_alter(&mut self, change: ColumnChange) {
        let reason = change.ty.as_ref().and_then(|ty| {
            let from = ty.from.as_ref()?;
            let why = narrowing(from, &ty.to)?;
            Some(format!("changes `{}.{}` from `{from}` to `{}`: {why}", change.table, change.column, ty.to))
        });
        self.push(Op::AlterColumn(change), reason);
    }
}

fn is_noop(change: &ColumnChange) -> bool {
    change.ty.is_none()
        && change.nullable.is_none()
        && change.default.is_none()
        && change.on_update.is_none()
        && change.comment.is_none()
        && change.collation.is_none()
        && change.new_name.is_none()
}

/// The `add_enum_value` ops that turn `live` into `want`, each placed next to a neighbour it
/// has in `want`. Values `want` lacks are left alone.
fn enum_additions(name: &str, live: &[String], want: &[String]) -> Vec<Op> {
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
fn enum_removals(name: &str, live: &[String], want: &[String]) -> Vec<Op> {
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
fn table_shape(table: &Table) -> Vec<(&str, &ColumnType)> {
    let mut shape: Vec<_> = table.columns.iter().map(|c| (c.name.as_str(), &c.ty)).collect();
    shape.sort();
    shape
}

/// Tables the foreign keys of `table` reference (with repeats).
fn foreign_targets(table: &Table) -> impl Iterator<Item = &str> {
    table.constraints.iter().filter_map(|c| match c {
        Constraint::ForeignKey { references, .. } => Some(references.table.as_str()),
        _ => None,
    })
}

fn with_name(constraint: &Constraint, new_name: Option<String>) -> Constraint {
    let mut constraint = constraint.clone();
    match &mut constraint {
        Constraint::PrimaryKey { name, .. }
        | Constraint::Unique { name, .. }
        | Constraint::ForeignKey { name, .. }
        | Constraint::Check { name, .. } => *name = new_name,
    }
    constraint
}

/// Same constraint, or the same shape where one side has no name (the backend named it).
fn constraints_match(live: &Constraint, want: &Constraint) -> bool {
    live == want || ((live.name().is_none() || want.name().is_none()) && same_but_name(live, want))
}

/// Whether `a` and `b` are the same constraint, names aside (without cloning either).
fn same_but_name(a: &Constraint, b: &Constraint) -> bool {
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
fn match_constraints(live: &[Constraint], want: &[Constraint]) -> (Vec<bool>, Vec<bool>) {
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

fn primary_keys_match(live: &Table, want: &Table) -> bool {
    live.primary_key == want.primary_key
        && (live.primary_key_name == want.primary_key_name
            || live.primary_key_name.is_none()
            || want.primary_key_name.is_none())
}

/// Whether `table` has a key on exactly `columns` (in any order) that a foreign key can
/// reference.
fn has_key<'i>(table: &Table, mut indexes: impl Iterator<Item = &'i Index>, columns: &[String]) -> bool {
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
fn names_in_use(cur: &Schema, models: &Schema) -> BTreeSet<String> {
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
