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

use std::collections::BTreeSet;
use std::fmt;

use crate::ops::{self, Op};
use crate::schema::{ColumnType, Schema};

mod builder;
mod matching;
mod narrowing;
mod online;
mod options;
mod spellings;

use builder::UpgradeBuilder;
pub use options::{DiffOptions, RenameHints};
pub(crate) use spellings::read_from_database;

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
    /// A type change that rewrites a table which exists already, under a lock that stops
    /// its readers and writers for as long as the rewrite takes.
    RewritesTable {
        /// Table name.
        table: String,
        /// Column name.
        column: String,
        /// The type before.
        from: ColumnType,
        /// The type after.
        to: ColumnType,
    },
    /// Objects of the models that aludel carries as written and cannot compare with the
    /// database (a dump's views, functions, triggers, ...).
    NotCompared {
        /// Each object, as `view published_posts`.
        objects: Vec<String>,
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
                 the database's order: to change it, write that migration by hand (PostgreSQL: create a new type, \
                 convert the columns, drop the old one; MySQL: restate each column with the new order in an `sql` \
                 op, `ALTER TABLE ... MODIFY COLUMN ... ENUM(...)`)"
            ),
            Warning::Irreversible { op_index, op } => write!(
                f,
                "upgrade op {} (`{op}`) has no automatic inverse; the downgrade leaves it in place",
                op_index + 1
            ),
            Warning::RewritesTable { table, column, from, to } => write!(
                f,
                "column `{table}.{column}`: changing its type from {from} to {to} rewrites the table, and readers and \
                 writers wait until it is done; on a large table expand and contract instead: add a column of the \
                 new type, keep it in step (a trigger, or the application writing both), backfill it in batches, \
                 switch the readers to it, then drop the old column and rename the new one"
            ),
            Warning::NotCompared { objects } => write!(
                f,
                "not compared: {}; the models hold them as written, so a change to them needs a revision's `sql` op",
                objects.join(", ")
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

impl Warning {
    /// Whether the warning is a difference between the models and the database that no op
    /// expresses (an identity, a generated expression, an enum's order): the two differ
    /// although the diff holds no op for it.
    pub fn is_unexpressed_difference(&self) -> bool {
        matches!(self, Warning::Unsupported { .. } | Warning::EnumValuesReordered { .. })
    }
}

impl Diff {
    /// Whether the diff holds no op (warnings aside; see [`Diff::matches`]).
    pub fn is_empty(&self) -> bool {
        self.upgrade.is_empty()
    }

    /// Whether the database matches the models: no op to run and no difference that only a
    /// hand-written change can make ([`Warning::is_unexpressed_difference`]).
    pub fn matches(&self) -> bool {
        self.is_empty() && !self.warnings.iter().any(Warning::is_unexpressed_difference)
    }
}

/// Compares `database` with `models` and returns the ops that make the database match.
///
/// Both schemas must be canonical (spelled as the target database spells them). Tables that
/// [`DiffOptions::includes`] rejects are ignored on both sides, with their indexes; an enum
/// that such a database table uses is never dropped.
///
/// The upgrade runs in this order: create enums and add enum values; renames (tables,
/// columns, then constraints the models name otherwise); drop foreign
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
        database,
        cur: in_scope(database, options),
        ops: Vec::new(),
        warnings: Vec::new(),
        destructive: Vec::new(),
        taken: None,
        regenerated: BTreeSet::new(),
    };
    plan.create_enums();
    plan.rename_tables();
    plan.rename_columns();
    plan.warn_likely_renames();
    plan.find_regenerated();
    plan.rename_constraints();
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
pub(crate) fn downgrade(upgrade: &[Op], warnings: Option<&mut Vec<Warning>>) -> Vec<Op> {
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
    upgrade.iter().rev().filter(|op| op.needs_undoing()).filter_map(Op::reverse).collect()
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
