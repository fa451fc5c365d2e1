//! The upgrade built step by step, each step one kind of change in an order that runs: what
//! [`diff`](crate::diff::diff) calls, like Alembic's comparators. A new comparison is a new
//! step, not a branch inside another.

use std::collections::{BTreeMap, BTreeSet};

use crate::diff::matching::*;
use crate::diff::narrowing::narrowing;
use crate::diff::{Destructive, DiffOptions, RenameKind, Warning};
use crate::naming;
use crate::ops::{CollationChange, ColumnChange, ColumnRef, CommentChange, CreateIndex, DefaultChange, Op, TypeChange};
use crate::schema::{Column, Constraint, DefaultValue, Index, IndexKey, Schema, Table};

/// The upgrade being built, and the schema it has led to so far.
pub(super) struct UpgradeBuilder<'a> {
    pub(super) options: &'a DiffOptions,
    pub(super) models: &'a Schema,
    /// The database as read, before any op.
    pub(super) database: &'a Schema,
    /// The database as the ops pushed so far leave it; drops read what they remove from it,
    /// so each op carries the state its inverse restores.
    pub(super) cur: Schema,
    pub(super) ops: Vec<Op>,
    pub(super) warnings: Vec<Warning>,
    pub(super) destructive: Vec<Destructive>,
    /// Constraint and index names in use, built when the first name is made up.
    pub(super) taken: Option<BTreeSet<String>>,
    /// Stored generated columns (table, column) dropped before a column they read changes
    /// type and added back after ([`DiffOptions::generated_columns_block_type_changes`]).
    pub(super) regenerated: BTreeSet<(String, String)>,
}

impl UpgradeBuilder<'_> {
    fn push(&mut self, op: Op, destructive: Option<String>) {
        // An op that does not fit comes from inconsistent models (a key on a column they do
        // not define, say); it is still emitted, and running it reports the problem.
        self.cur.apply_quoting(&op, self.options.identifier_quote).ok();
        if let Some(reason) = destructive {
            self.destructive.push(Destructive { op_index: self.ops.len(), reason });
        }
        self.ops.push(op);
    }

    pub(super) fn create_enums(&mut self) {
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
    pub(super) fn drop_enum_values(&mut self) {
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

    pub(super) fn rename_tables(&mut self) {
        let models = self.models;
        let mut claimed = BTreeSet::new();
        for (new, old) in &self.options.renames.tables {
            if old == new || !models.tables.contains_key(new) {
                continue;
            }
            if !self.cur.tables.contains_key(old) {
                // Done already (the database has `new`), or a name spelled in another case.
                let other_case = self.cur.tables.keys().find(|name| name.eq_ignore_ascii_case(old));
                if let (false, Some(found)) = (self.cur.tables.contains_key(new), other_case) {
                    self.warnings.push(Warning::RenameHintIgnored {
                        kind: RenameKind::Table,
                        table: None,
                        old: old.clone(),
                        new: new.clone(),
                        reason: case_only_reason("table", old, found),
                    });
                }
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

    pub(super) fn rename_columns(&mut self) {
        let models = self.models;
        let mut claimed = BTreeSet::new();
        for ((table, new), old) in &self.options.renames.columns {
            let (Some(want_table), Some(live_table)) = (models.tables.get(table), self.cur.tables.get(table)) else {
                continue;
            };
            let (Some(want), Some(live)) = (want_table.column(new), live_table.column(old)) else {
                // Done already (the database has `new`), or a name spelled in another case.
                let other_case = live_table.columns.iter().find(|c| c.name.eq_ignore_ascii_case(old));
                if let (true, None, Some(found)) =
                    (want_table.column(new).is_some(), live_table.column(new), other_case)
                {
                    self.ignore_column_hint(table, old, new, case_only_reason("column", old, &found.name));
                }
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
                self.ignore_column_hint(table, old, new, reason);
                continue;
            }
            // Where a foreign key blocks a type change (MySQL), the rename goes alone: the rest
            // of the change waits for `alter_columns`, after the keys on the column are dropped.
            if self.options.foreign_keys_block_type_changes && self.options.compare_types && live.ty != want.ty {
                self.push_alter(ColumnChange { new_name: Some(new.clone()), ..ColumnChange::new(table, old) });
                continue;
            }
            let live = live.clone();
            let mut change = self.column_change(table, &live, want);
            change.new_name = Some(new.clone());
            self.push_alter(change);
        }
    }

    fn ignore_column_hint(&mut self, table: &str, old: &str, new: &str, reason: String) {
        self.warnings.push(Warning::RenameHintIgnored {
            kind: RenameKind::Column,
            table: Some(table.to_owned()),
            old: old.to_owned(),
            new: new.to_owned(),
            reason,
        });
    }

    /// Warns about drop + add pairs of the same shape that no hint declared.
    pub(super) fn warn_likely_renames(&mut self) {
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
                    hint: format!(
                        "declare it: `rename_tables = {{ \"{new}\" = \"{old}\" }}` under `[autogenerate]` in \
                         aludel.toml, `-- aludel: renamed from {old_sql}` at the end of the `CREATE TABLE {new_sql} (` \
                         line of a schema.sql, or `table_renamed_from` on the models; `--interactive` asks",
                        new = created.name,
                        old = old.name,
                        new_sql = sql_name(&created.name),
                        old_sql = sql_name(&old.name),
                    ),
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
                            "declare it: `rename_columns = {{ \"{name}.{new}\" = \"{old}\" }}` under \
                             `[autogenerate]` in aludel.toml, `-- aludel: renamed from {old_sql}` at the end of its \
                             line in a schema.sql, or `column_renamed_from` on the models; `--interactive` asks",
                            new = added.name,
                            old = old.name,
                            old_sql = sql_name(&old.name),
                        ),
                    });
                }
            }
        }
    }

    /// Renames the constraints the models have under another name, on the same table and
    /// otherwise alike (a naming convention adopted): dropping and adding one instead would
    /// check every row again (a foreign key or a check) or build its index (a key), under a
    /// lock that stops writers. Keys and checks first, then the foreign keys whose referenced
    /// key stays; a constraint that goes anyway (on a column generated anew, a foreign key
    /// whose key is dropped or whose columns change type where that needs it gone) is left
    /// to the drops, as is one whose new name is still taken.
    pub(super) fn rename_constraints(&mut self) {
        let keys_and_checks = |c: &Constraint| !matches!(c, Constraint::ForeignKey { .. });
        let renames = self.constraint_renames(&keys_and_checks, &BTreeSet::new());
        self.push_renames(renames);
        let doomed = self.doomed_keys();
        let foreign_keys = |c: &Constraint| matches!(c, Constraint::ForeignKey { .. });
        let renames = self.constraint_renames(&foreign_keys, &doomed);
        self.push_renames(renames);
    }

    /// The renames [`Self::rename_constraints`] makes among the constraints `kinds` selects
    /// (the primary key with the keys).
    fn constraint_renames(
        &self,
        kinds: &dyn Fn(&Constraint) -> bool,
        doomed: &BTreeSet<(String, Vec<String>)>,
    ) -> Vec<Op> {
        let models = self.models;
        let mut in_use: BTreeSet<&str> = self.cur.indexes.keys().map(String::as_str).collect();
        for table in self.cur.tables.values() {
            in_use.extend(table.primary_key_name.as_deref());
            in_use.extend(table.constraints.iter().filter_map(Constraint::name));
        }
        let mut renames = Vec::new();
        for (name, want) in &models.tables {
            let Some(live) = self.cur.tables.get(name) else { continue };
            let regenerated = |columns: &[String]| columns.iter().any(|c| self.is_regenerated(name, c));
            let primary = Constraint::PrimaryKey { name: None, columns: live.primary_key.clone() };
            if let (Some(old), Some(new)) = (&live.primary_key_name, &want.primary_key_name)
                && kinds(&primary)
                && old != new
                && !live.primary_key.is_empty()
                && live.primary_key == want.primary_key
                && !regenerated(&live.primary_key)
                && !in_use.contains(new.as_str())
            {
                let existing = Constraint::PrimaryKey { name: Some(old.clone()), columns: live.primary_key.clone() };
                renames.push(rename(name, existing, new));
            }
            let (live_matched, want_matched) = match_constraints(&live.constraints, &want.constraints);
            let mut paired = want_matched;
            for (constraint, matched) in live.constraints.iter().zip(live_matched) {
                if constraint.name().is_none()
                    || matched
                    || !kinds(constraint)
                    || self.goes_anyway(name, constraint, doomed)
                {
                    continue;
                }
                let partner = want.constraints.iter().enumerate().find_map(|(w, wanted)| {
                    let new = wanted.name()?;
                    (!paired[w] && !in_use.contains(new) && same_but_name(constraint, wanted)).then_some((w, new))
                });
                if let Some((w, new)) = partner {
                    paired[w] = true;
                    renames.push(rename(name, constraint.clone(), new));
                }
            }
        }
        renames
    }

    fn push_renames(&mut self, renames: Vec<Op>) {
        for op in renames {
            self.push(op, None);
        }
    }

    /// Whether `constraint` of `table` is dropped whatever its name: it is on a column
    /// generated anew, or a foreign key whose referenced key is `doomed` or whose columns
    /// change type on a backend where that needs the key gone.
    fn goes_anyway(&self, table: &str, constraint: &Constraint, doomed: &BTreeSet<(String, Vec<String>)>) -> bool {
        let on_regenerated = match constraint {
            Constraint::Check { expr, .. } => {
                self.regenerated.iter().any(|(t, column)| t == table && reads_column(expr, column))
            }
            _ => constraint.columns().iter().any(|c| self.is_regenerated(table, c)),
        };
        let Constraint::ForeignKey { columns, references, .. } = constraint else { return on_regenerated };
        on_regenerated
            || doomed.contains(&(references.table.clone(), references.columns.clone()))
            || (self.options.foreign_keys_block_type_changes
                && (columns.iter().any(|c| self.type_changes(table, c))
                    || references.columns.iter().any(|c| self.type_changes(&references.table, c))))
    }

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

    /// Drops the foreign keys the models lack, then those that tie dropped tables in a cycle.
    /// Returns the order to drop tables in: referencing tables first.
    pub(super) fn drop_foreign_keys(&mut self) -> Vec<String> {
        let models = self.models;
        // A foreign key goes before the key it references does; the models' foreign keys are
        // added back after the new keys.
        let doomed = self.doomed_keys();
        let names: Vec<String> = self.cur.tables.keys().cloned().collect();
        for name in names {
            let mut drops = self.unmatched_live(&name, |c| matches!(c, Constraint::ForeignKey { .. }));
            for constraint in &self.cur.tables[&name].constraints {
                if let Constraint::ForeignKey { columns, references, .. } = constraint
                    && (doomed.contains(&(references.table.clone(), references.columns.clone()))
                        || (self.options.foreign_keys_block_type_changes
                            && (columns.iter().any(|c| self.type_changes(&name, c))
                                || references.columns.iter().any(|c| self.type_changes(&references.table, c)))))
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

    /// Finds the stored generated columns that must be dropped and added back because a
    /// column they read changes type or collation, on a backend that refuses that change
    /// while they exist. Their values are computed, so nothing is lost. New ones reading
    /// such a column are found too: they are added after the change.
    pub(super) fn find_regenerated(&mut self) {
        if !self.options.generated_columns_block_type_changes {
            return;
        }
        let mut found = BTreeSet::new();
        for (name, live) in &self.cur.tables {
            let Some(want) = self.models.tables.get(name) else { continue };
            let retyped: Vec<&str> = live
                .columns
                .iter()
                .filter(|c| want.column(&c.name).is_some_and(|w| self.retyped(c, w)))
                .map(|c| c.name.as_str())
                .collect();
            if retyped.is_empty() {
                continue;
            }
            let reads_retyped = |column: &Column| {
                column.generated.as_ref().is_some_and(|generated| {
                    generated.stored && retyped.iter().any(|r| *r != column.name && reads_column(&generated.expr, r))
                })
            };
            for column in &live.columns {
                if reads_retyped(column) && want.column(&column.name).is_some_and(|w| w.generated.is_some()) {
                    found.insert((name.clone(), column.name.clone()));
                }
            }
            // A new one is added once the change is made, like those added back.
            for column in &want.columns {
                if live.column(&column.name).is_none() && reads_retyped(column) {
                    found.insert((name.clone(), column.name.clone()));
                }
            }
        }
        self.regenerated = found;
    }

    /// Whether the database changes `live`'s type (when types are compared) or collation.
    fn retyped(&self, live: &Column, want: &Column) -> bool {
        (self.options.compare_types && live.ty != want.ty) || live.collation != want.collation
    }

    /// Whether `column` of `table` is a generated column dropped and added back.
    fn is_regenerated(&self, table: &str, column: &str) -> bool {
        self.regenerated.contains(&(table.to_owned(), column.to_owned()))
    }

    /// Whether `index` reads a generated column dropped and added back (a key, an included
    /// column or an expression that names it).
    fn uses_regenerated(&self, index: &Index) -> bool {
        let reads = |column: &str| {
            index.columns.iter().any(|key| match key {
                IndexKey::Column(c) => c == column,
                IndexKey::Expr { expr } => reads_column(expr, column),
            }) || index.include.iter().any(|c| c == column)
                || index.predicate.as_deref().is_some_and(|p| reads_column(p, column))
        };
        self.regenerated.iter().any(|(table, column)| *table == index.table && reads(column))
    }

    /// Renames an index the models have under another name, on the same table and otherwise
    /// alike (a naming convention adopted, a table renamed): rebuilding it instead would
    /// read the whole table, and on MySQL or without CONCURRENTLY block its writes meanwhile.
    fn rename_indexes(&mut self) {
        let models = self.models;
        // A name a constraint still holds (a key's index shares it on PostgreSQL and MySQL)
        // is free only once the constraint is dropped: that index is built anew after it.
        let mut held: BTreeSet<&str> = BTreeSet::new();
        for table in self.cur.tables.values() {
            held.extend(table.primary_key_name.as_deref());
            held.extend(table.constraints.iter().filter_map(Constraint::name));
        }
        let mut renames: Vec<(String, String, String)> = Vec::new();
        for live in self.cur.indexes.values() {
            if models.indexes.contains_key(&live.name) || self.uses_regenerated(live) {
                continue;
            }
            let taken = |name: &str| renames.iter().any(|(_, _, new_name)| new_name == name);
            let wanted = models.indexes.values().find(|want| {
                !self.cur.indexes.contains_key(&want.name)
                    && !held.contains(want.name.as_str())
                    && !taken(&want.name)
                    && **want == Index { name: want.name.clone(), ..live.clone() }
            });
            if let Some(want) = wanted {
                renames.push((live.table.clone(), live.name.clone(), want.name.clone()));
            }
        }
        for (table, name, new_name) in renames {
            self.push(Op::RenameIndex { table, name, new_name }, None);
        }
    }

    /// Renames indexes the models have under another name ([`Self::rename_indexes`]), drops
    /// those they lack (every index of a dropped table, so the downgrade recreates them),
    /// then unique and check constraints, then primary keys.
    pub(super) fn drop_indexes_and_keys(&mut self) {
        self.rename_indexes();
        let models = self.models;
        let drops: Vec<Index> = self
            .cur
            .indexes
            .values()
            .filter(|index| models.indexes.get(&index.name) != Some(*index) || self.uses_regenerated(index))
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
            let mut drops = self.unmatched_live(&name, |c| !matches!(c, Constraint::ForeignKey { .. }));
            // A key or check on a generated column dropped and added back goes with it, and
            // comes back after it.
            for constraint in &self.cur.tables[&name].constraints {
                let on_regenerated = match constraint {
                    Constraint::Check { expr, .. } => {
                        self.regenerated.iter().any(|(table, column)| *table == name && reads_column(expr, column))
                    }
                    _ => constraint.columns().iter().any(|c| self.is_regenerated(&name, c)),
                };
                if on_regenerated && !matches!(constraint, Constraint::ForeignKey { .. }) && !drops.contains(constraint)
                {
                    drops.push(constraint.clone());
                }
            }
            for constraint in drops {
                self.drop_constraint(&name, constraint);
            }
            let live = &self.cur.tables[&name];
            if !live.primary_key.is_empty() && !primary_keys_match(live, &models.tables[&name]) {
                self.drop_primary_key(&name);
            }
        }
    }

    pub(super) fn drop_columns(&mut self) {
        let models = self.models;
        for (name, want) in &models.tables {
            let Some(live) = self.cur.tables.get(name) else { continue };
            let mut drops: Vec<Column> = live
                .columns
                .iter()
                .filter(|c| want.column(&c.name).is_none() || self.is_regenerated(name, &c.name))
                .cloned()
                .collect();
            // A generated column goes before the columns it reads (and its downgrade, which
            // adds them back, after them); otherwise the last first, so that the downgrade
            // adds them back in the table's order.
            drops.reverse();
            drops.sort_by_key(|c| c.generated.is_none());
            for column in drops {
                // A generated column added back is computed again: no data is lost.
                let reason = (!self.is_regenerated(name, &column.name))
                    .then(|| format!("drops column `{name}.{}` and its data", column.name));
                self.push(Op::DropColumn { table: name.clone(), column: ColumnRef::Definition(column) }, reason);
            }
        }
    }

    pub(super) fn drop_tables(&mut self, order: &[String]) {
        for name in order {
            let Some(existing) = self.cur.tables.get(name).cloned() else { continue };
            let reason = format!("drops table `{name}` and all its rows");
            self.push(Op::DropTable { table: name.clone(), existing: Some(Box::new(existing)) }, Some(reason));
        }
    }

    /// Creates the models' new tables, each after the new tables it references. A foreign key
    /// goes inline when its target key exists by then; the others (cycles, targets whose key
    /// comes later) are added by [`UpgradeBuilder::add_foreign_keys`].
    pub(super) fn create_tables(&mut self) {
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

    pub(super) fn add_columns(&mut self) {
        let models = self.models;
        for (name, want) in &models.tables {
            let Some(live) = self.cur.tables.get(name) else { continue };
            let adds: Vec<Column> = want
                .columns
                .iter()
                .filter(|c| live.column(&c.name).is_none() && !self.is_regenerated(name, &c.name))
                .cloned()
                .collect();
            for column in adds {
                self.push(Op::AddColumn { table: name.clone(), column }, None);
            }
        }
    }

    pub(super) fn alter_columns(&mut self) {
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
            // Generated columns dropped for a type change of a column they read, back once
            // the change is made.
            let back: Vec<Column> =
                want.columns.iter().filter(|c| self.is_regenerated(name, &c.name)).cloned().collect();
            for column in back {
                self.push(Op::AddColumn { table: name.clone(), column }, None);
            }
        }
    }

    /// Adds primary keys, unique and check constraints, then creates indexes.
    pub(super) fn add_keys_and_indexes(&mut self) {
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

    pub(super) fn add_foreign_keys(&mut self) {
        let models = self.models;
        for name in models.tables.keys() {
            for constraint in self.unmatched_wanted(name, |c| matches!(c, Constraint::ForeignKey { .. })) {
                self.add_constraint(name, &constraint);
            }
        }
    }

    pub(super) fn drop_enums(&mut self, protected: &BTreeSet<String>) {
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

    /// Whether the column `table.column` has another type in the models than in the database
    /// state (and types are compared).
    fn type_changes(&self, table: &str, column: &str) -> bool {
        let live = self.cur.tables.get(table).and_then(|t| t.column(column));
        let want = self.models.tables.get(table).and_then(|t| t.column(column));
        self.options.compare_types && matches!((live, want), (Some(live), Some(want)) if live.ty != want.ty)
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
            // As PostgreSQL names the table's unnamed constraints, in their order as read
            // (before this revision dropped any): the second check on a column is `t_a_check1`.
            None => self
                .database
                .tables
                .get(table)
                .and_then(|read| naming::unnamed_constraint_name(read, &constraint))
                .unwrap_or_else(|| naming::constraint_name(live, &constraint)),
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
                let name = match owner {
                    Some(owner) => naming::free_constraint_name(owner, constraint, taken),
                    None => naming::free_constraint_name(&Table::new(table), constraint, taken),
                };
                taken.insert(name.clone());
                constraint.with_name(Some(name))
            }
        };
        self.push(
            Op::AddConstraint { table: table.to_owned(), constraint, not_valid: false, concurrently: false },
            None,
        );
    }

    /// Whether a foreign key of the new table `own` can be created inline: its target is
    /// `own` itself or a table that exists by now, with a primary key, unique constraint or
    /// unique index on exactly the referenced columns, and (where a foreign key needs equal
    /// types) none of those columns changes type later in the diff.
    fn key_ready(&self, own: &Table, constraint: &Constraint) -> bool {
        let Constraint::ForeignKey { references, .. } = constraint else { return true };
        if references.table == own.name {
            return has_key(own, std::iter::empty(), &references.columns);
        }
        match self.cur.tables.get(&references.table) {
            Some(target) => {
                has_key(target, self.cur.indexes_on(&target.name), &references.columns)
                    && !(self.options.foreign_keys_block_type_changes
                        && references.columns.iter().any(|c| self.type_changes(&references.table, c)))
            }
            // A table outside the diff (excluded): nothing to wait for.
            None => !self.models.tables.contains_key(&references.table),
        }
    }

    /// Whether `live` and `want` are primary key columns of `table` on both sides (see
    /// [`DiffOptions::primary_key_nullability_unread`]).
    fn stays_key(&self, table: &str, live: &Column, want: &Column) -> bool {
        let in_key = |schema: &Schema, name: &str| {
            schema.tables.get(table).is_some_and(|t| t.primary_key.iter().any(|k| k == name))
        };
        in_key(&self.cur, &live.name) && in_key(self.models, &want.name)
    }

    /// The alter_column that takes `live` to `want` (not yet renamed); warns about what no
    /// op can change.
    fn column_change(&mut self, table: &str, live: &Column, want: &Column) -> ColumnChange {
        let mut change = ColumnChange::new(table, &live.name);
        if self.options.compare_types && live.ty != want.ty {
            change.ty = Some(TypeChange { from: Some(live.ty.clone()), to: want.ty.clone() });
        }
        if live.nullable != want.nullable
            && !(self.options.primary_key_nullability_unread && self.stays_key(table, live, want))
        {
            change.nullable = Some(want.nullable);
        }
        // A type change restates the default it keeps: PostgreSQL keeps a default in the old
        // type (`'x'::character varying` after a change to `text`), and the database may hold
        // one no earlier revision wrote, which the renderer cannot know to set again.
        let default_restated = change.ty.is_some() && live.default.is_some() && want.default.is_some();
        if self.options.compare_server_defaults && (!same_meaning(&live.default, &want.default) || default_restated) {
            change.default = Some(DefaultChange { from: live.default.clone(), to: want.default.clone() });
        }
        if self.options.compare_server_defaults && !same_meaning(&live.on_update, &want.on_update) {
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
        // Only an identity column on both sides has a kind to change; becoming one is unsupported below.
        if live.identity && want.identity && live.identity_always != want.identity_always {
            change.identity_always = Some(want.identity_always);
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

/// Whether two defaults mean the same: spelled alike, or spelled apart where a database
/// prints its own spelling of one meaning (PostgreSQL's `now()` and `CURRENT_TIMESTAMP`).
fn same_meaning(live: &Option<DefaultValue>, want: &Option<DefaultValue>) -> bool {
    live == want || live.as_ref().map(DefaultValue::meaning) == want.as_ref().map(DefaultValue::meaning)
}

/// Why a rename hint naming `old` found nothing: the database spells it `found`.
fn case_only_reason(what: &str, old: &str, found: &str) -> String {
    format!(
        "the database has no {what} `{old}` but has `{found}`: a quoted name keeps its case, so write the hint as \
         `renamed from {}`",
        sql_name(found)
    )
}

/// `name` as a schema.sql (and its rename hints) must spell it: bare when SQL folds nothing
/// in it, else double-quoted.
fn sql_name(name: &str) -> String {
    let bare = name.starts_with(|c: char| c.is_ascii_lowercase() || c == '_')
        && name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if bare { name.to_owned() } else { format!("\"{}\"", name.replace('"', "\"\"")) }
}

/// Whether the SQL expression `expr` names `column`: as a bare word (any case, as an unquoted
/// name folds) or double-quoted exactly. A function of the same name counts too: the worst
/// that does is a generated column dropped and added back for nothing.
fn reads_column(expr: &str, column: &str) -> bool {
    let mut chars = expr.char_indices().peekable();
    while let Some((start, c)) = chars.next() {
        match c {
            '\'' => {
                // A string literal: skipped ('' inside is two quotes in a row).
                while let Some((_, c)) = chars.next() {
                    if c == '\'' && chars.next_if(|(_, c)| *c == '\'').is_none() {
                        break;
                    }
                }
            }
            '"' => {
                let mut name = String::new();
                while let Some((_, c)) = chars.next() {
                    if c == '"' && chars.next_if(|(_, c)| *c == '"').is_none() {
                        break;
                    }
                    name.push(c);
                }
                if name == column {
                    return true;
                }
            }
            c if c.is_alphanumeric() || c == '_' => {
                let mut end = start + c.len_utf8();
                while let Some((i, c)) = chars.next_if(|(_, c)| c.is_alphanumeric() || matches!(c, '_' | '$')) {
                    end = i + c.len_utf8();
                }
                if expr[start..end].eq_ignore_ascii_case(column) {
                    return true;
                }
            }
            _ => {}
        }
    }
    false
}

/// `rename_constraint` of `existing` on `table` to `new_name`.
fn rename(table: &str, existing: Constraint, new_name: &str) -> Op {
    let name = existing.name().unwrap_or_default().to_owned();
    Op::RenameConstraint { table: table.to_owned(), name, new_name: new_name.to_owned(), existing: Some(existing) }
}

#[cfg(test)]
mod tests {
    use crate::diff::{DiffOptions, diff};
    use crate::ops::Op;
    use crate::schema::{Column, ColumnType, DefaultValue, Literal, PortableExpr, Schema, Table};

    #[test]
    fn an_expression_reads_a_column_by_its_name_not_inside_a_string_or_another_name() {
        use super::reads_column;
        assert!(reads_column("price * 2", "price"));
        assert!(reads_column("(PRICE * 2)", "price"), "an unquoted name folds");
        assert!(reads_column("upper((\"Name\")::text)", "Name"));
        assert!(!reads_column("upper((\"Name\")::text)", "name"), "a quoted name is exact");
        assert!(reads_column("\"say \"\"hi\"\"\" || x", "say \"hi\""));
        assert!(!reads_column("'price' || other", "price"), "inside a string literal");
        assert!(!reads_column("'it''s price' || other", "price"));
        assert!(!reads_column("price_total * 2", "price"), "part of another name");
        assert!(!reads_column("base_price + 1", "price"));
        assert!(reads_column("coalesce(a, 0) + é", "é"));
    }

    fn schema(ty: ColumnType, default: DefaultValue) -> Schema {
        let mut table = Table::new("t");
        table.columns.push(Column { default: Some(default), ..Column::new("c", ty) });
        let mut schema = Schema::default();
        schema.tables.insert("t".into(), table);
        schema
    }

    /// The ops that take a column of `live` to `want`.
    fn ops(live: (ColumnType, DefaultValue), want: (ColumnType, DefaultValue)) -> Vec<Op> {
        diff(&schema(live.0, live.1), &schema(want.0, want.1), &DiffOptions::default()).upgrade
    }

    #[test]
    fn a_key_columns_nullability_is_left_alone_where_the_dialect_says_so() {
        // A history made on PostgreSQL declares the key NOT NULL; the same schema.sql read on
        // SQLite leaves it nullable. A column outside the key is still compared.
        let table = |nullable: bool, key: &[&str]| {
            let mut table = Table::new("p");
            table.columns.push(Column { nullable, ..Column::new("id", ColumnType::BigInt) });
            table.columns.push(Column { nullable, ..Column::new("code", ColumnType::Text) });
            table.primary_key = key.iter().map(|k| (*k).to_owned()).collect();
            let mut schema = Schema::default();
            schema.tables.insert("p".into(), table);
            schema
        };
        let sqlite = DiffOptions { primary_key_nullability_unread: true, ..DiffOptions::default() };
        let altered = |options: &DiffOptions, key: &[&str]| -> Vec<String> {
            diff(&table(false, key), &table(true, key), options)
                .upgrade
                .iter()
                .filter_map(|op| match op {
                    Op::AlterColumn(change) if change.nullable.is_some() => Some(change.column.clone()),
                    _ => None,
                })
                .collect()
        };
        assert_eq!(altered(&sqlite, &["id"]), ["code"]);
        assert_eq!(altered(&sqlite, &["id", "code"]), Vec::<String>::new());
        assert_eq!(altered(&DiffOptions::default(), &["id"]), ["id", "code"]);
    }

    #[test]
    fn defaults_compare_by_meaning_and_a_type_change_restates_them() {
        let now = DefaultValue::Expr(PortableExpr::Now);
        let current = DefaultValue::Expr(PortableExpr::CurrentTimestamp);
        let ts = ColumnType::Timestamptz;
        assert!(ops((ts.clone(), now.clone()), (ts.clone(), current.clone())).is_empty());
        assert!(ops((ts.clone(), current.clone()), (ts.clone(), now.clone())).is_empty());
        let number = DefaultValue::Number("0.00".into());
        let float = DefaultValue::Value(Literal::Float(0.0));
        let numeric = ColumnType::Numeric(Some((10, 2)));
        assert!(ops((numeric.clone(), float), (numeric, number)).is_empty());
        // Raw SQL is not read: `now()` written as SQL differs from the portable expression.
        assert_eq!(ops((ts.clone(), current), (ts, DefaultValue::Sql("now()".into()))).len(), 1);

        let none = DefaultValue::Value(Literal::String("none".into()));
        let changed = ops((ColumnType::Varchar(Some(20)), none.clone()), (ColumnType::Text, none.clone()));
        let [Op::AlterColumn(change)] = changed.as_slice() else { panic!("one alter_column: {changed:?}") };
        let default = change.default.as_ref().expect("the default is restated with the type");
        assert_eq!((&default.from, &default.to), (&Some(none.clone()), &Some(none)));
    }
}
