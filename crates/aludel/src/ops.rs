//! Migration operations: the dialect-neutral steps a revision file lists.
//!
//! An [`Op`] is what `[[upgrade]]` and `[[downgrade]]` entries deserialize into. Each op that
//! autogenerate emits carries what its inverse needs, so [`Op::reverse`] can build the
//! downgrade. Rendering to SQL lives in `dialect`; reading and writing files in `script`.

use serde::{Deserialize, Serialize};

pub use crate::schema::ConstraintKind;
use crate::schema::{Column, ColumnType, Constraint, DefaultValue, Index, IndexKey, KeyOptions, Table};

/// One migration step. Variant names are the `op = "..."` values of revision files.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case", deny_unknown_fields)]
pub enum Op {
    /// `create_table`: a new table with its columns, primary key and inline constraints.
    CreateTable(Table),
    /// `drop_table`.
    DropTable {
        /// Table to drop.
        table: String,
        /// The dropped table's definition, so the drop can be reversed.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        existing: Option<Box<Table>>,
    },
    /// `rename_table`.
    RenameTable {
        /// Current name.
        table: String,
        /// New name.
        new_name: String,
    },
    /// `add_column`.
    AddColumn {
        /// Table to extend.
        table: String,
        /// The new column.
        column: Column,
    },
    /// `drop_column`: `column` is a name, or the full definition so the drop can be reversed.
    DropColumn {
        /// Table to change.
        table: String,
        /// Column to drop.
        column: ColumnRef,
    },
    /// `alter_column`: type, nullability, server default, comment or name.
    AlterColumn(ColumnChange),
    /// `create_index`.
    CreateIndex(CreateIndex),
    /// `drop_index`.
    DropIndex {
        /// Table the index is on.
        table: String,
        /// Index name.
        name: String,
        /// Drop without blocking writes (PostgreSQL; needs `transactional = false`).
        #[serde(default, skip_serializing_if = "is_false")]
        concurrently: bool,
        /// The dropped index, so the drop can be reversed.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        existing: Option<Index>,
    },
    /// `rename_index`: the index keeps its definition and its data (PostgreSQL's `ALTER
    /// INDEX ... RENAME`, MySQL's `RENAME INDEX`; SQLite has neither and builds it anew).
    RenameIndex {
        /// Table the index is on.
        table: String,
        /// Current name.
        name: String,
        /// New name.
        new_name: String,
    },
    /// `rename_constraint`: the constraint keeps its definition, so nothing is checked or
    /// built again (PostgreSQL's `RENAME CONSTRAINT`, which renames a key's index with it;
    /// MySQL's `RENAME INDEX` for a unique key, and nothing for the primary key, which MySQL
    /// always names `PRIMARY`). MySQL cannot rename a foreign key or a check, nor SQLite any
    /// constraint: they drop it and add it again, and SQLite rebuilds the table.
    RenameConstraint {
        /// Table the constraint is on.
        table: String,
        /// Current name.
        name: String,
        /// New name.
        new_name: String,
        /// The constraint, for a backend that drops and adds it again instead, when no earlier
        /// revision names it (MySQL names a foreign key or check declared without a name).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        existing: Option<Constraint>,
    },
    /// `add_constraint`: primary key, unique, foreign key or check.
    AddConstraint {
        /// Table to constrain.
        table: String,
        /// The constraint.
        constraint: Constraint,
        /// A foreign key or check that holds for new rows only until `validate_constraint`
        /// checks the existing ones (PostgreSQL `NOT VALID`: no scan under a lock that stops
        /// writers). Other backends validate at once.
        #[serde(default, skip_serializing_if = "is_false")]
        not_valid: bool,
        /// A unique constraint or primary key whose index is built first without blocking
        /// writes, then attached (PostgreSQL `CREATE UNIQUE INDEX CONCURRENTLY`, then
        /// `ADD CONSTRAINT ... USING INDEX`; MySQL `ALGORITHM=INPLACE, LOCK=NONE`).
        #[serde(default, skip_serializing_if = "is_false")]
        concurrently: bool,
    },
    /// `validate_constraint`: checks the existing rows against a foreign key or check added
    /// with `not_valid`, in a transaction of its own, under a lock that lets writers on.
    /// Nothing to do on backends that validate when they add.
    ValidateConstraint {
        /// Table the constraint is on.
        table: String,
        /// Constraint name.
        name: String,
    },
    /// `drop_constraint`.
    DropConstraint {
        /// Table the constraint is on.
        table: String,
        /// Constraint name.
        name: String,
        /// Its kind, where the backend needs it to spell the drop.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        kind: Option<ConstraintKind>,
        /// The dropped constraint, so the drop can be reversed.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        existing: Option<Constraint>,
    },
    /// `create_enum`.
    CreateEnum {
        /// Type name.
        name: String,
        /// Values in order.
        values: Vec<String>,
    },
    /// `drop_enum`.
    DropEnum {
        /// Type name.
        name: String,
        /// The dropped values, so the drop can be reversed.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        values: Option<Vec<String>>,
    },
    /// `add_enum_value`.
    AddEnumValue {
        /// Enum type name.
        name: String,
        /// The new value.
        value: String,
        /// Insert before this value.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        before: Option<String>,
        /// Insert after this value.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        after: Option<String>,
    },
    /// `drop_enum_value`: removes a value no row may hold any more. PostgreSQL, which cannot
    /// remove a value in place, recreates the type and converts the columns that use it.
    DropEnumValue {
        /// Enum type name.
        name: String,
        /// The value to remove.
        value: String,
        /// The value it stands before, so the drop can be reversed.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        before: Option<String>,
        /// The value it stands after, so the drop can be reversed.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        after: Option<String>,
    },
    /// `alter_table`: the table's comment (`comment = { from = "...", to = "..." }`; a
    /// missing `to` drops it).
    AlterTable {
        /// Table to change.
        table: String,
        /// New comment.
        comment: CommentChange,
    },
    /// `sql`: raw SQL, optionally for one dialect only.
    Sql {
        /// SQL run on upgrade (several statements allowed).
        sql: String,
        /// SQL that undoes it, used when the op is reversed.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        down: Option<String>,
        /// Run only on this dialect (`postgresql`, `sqlite`, `mysql`).
        #[serde(
            default,
            deserialize_with = "crate::dialect::read_dialect_name",
            skip_serializing_if = "Option::is_none"
        )]
        dialect: Option<String>,
    },
}

/// A column named by `drop_column`: just its name, or its whole definition.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum ColumnRef {
    /// `column = "age"`.
    Name(String),
    /// `column = { name = "age", type = "integer" }`.
    Definition(Column),
}

impl ColumnRef {
    /// The column's name.
    pub fn name(&self) -> &str {
        match self {
            ColumnRef::Name(name) => name,
            ColumnRef::Definition(column) => &column.name,
        }
    }
}

/// The body of `create_index`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateIndex {
    /// Index name.
    pub name: String,
    /// Indexed table.
    pub table: String,
    /// Keys in order: column names or `{ expr = "..." }`.
    pub columns: Vec<IndexKey>,
    /// Whether the keys are unique.
    #[serde(default, skip_serializing_if = "is_false")]
    pub unique: bool,
    /// Partial index predicate.
    #[serde(default, rename = "where", skip_serializing_if = "Option::is_none")]
    pub predicate: Option<String>,
    /// Access method (`btree`, `gin`, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    /// Each key's order and operator class, by position in `columns`:
    /// `key_options = [{ desc = true }, {}]`; absent when every key is plain.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub key_options: Vec<KeyOptions>,
    /// Columns stored beside the keys (PostgreSQL's `INCLUDE`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub include: Vec<String>,
    /// Build without blocking writes (PostgreSQL; needs `transactional = false`).
    #[serde(default, skip_serializing_if = "is_false")]
    pub concurrently: bool,
}

impl CreateIndex {
    /// The index this op creates.
    pub fn index(&self) -> Index {
        Index {
            name: self.name.clone(),
            table: self.table.clone(),
            columns: self.columns.clone(),
            unique: self.unique,
            predicate: self.predicate.clone(),
            method: self.method.clone(),
            key_options: KeyOptions::canonical(self.key_options.clone()),
            include: self.include.clone(),
        }
    }

    /// An op that creates `index`.
    pub fn from_index(index: &Index) -> Self {
        CreateIndex {
            name: index.name.clone(),
            table: index.table.clone(),
            columns: index.columns.clone(),
            unique: index.unique,
            predicate: index.predicate.clone(),
            method: index.method.clone(),
            key_options: index.key_options.clone(),
            include: index.include.clone(),
            concurrently: false,
        }
    }
}

/// The body of `alter_column`. Absent fields stay as they are.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ColumnChange {
    /// Table of the column.
    pub table: String,
    /// The column's name before the change.
    pub column: String,
    /// New type: `type = "bigint"` or `type = { from = "integer", to = "bigint" }`.
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub ty: Option<TypeChange>,
    /// New nullability.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nullable: Option<bool>,
    /// New server default: `default = { from = {...}, to = {...} }`; a missing `to` drops it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<DefaultChange>,
    /// New `ON UPDATE` value (MySQL): `on_update = { from = {...}, to = {...} }`; a missing
    /// `to` drops it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_update: Option<DefaultChange>,
    /// New comment: `comment = { from = "...", to = "..." }`; a missing `to` drops it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<CommentChange>,
    /// New collation: `collation = { from = "...", to = "..." }`; a missing `to` returns to
    /// the backend's default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub collation: Option<CollationChange>,
    /// How an identity column takes its values (PostgreSQL): `true` for `GENERATED ALWAYS`,
    /// `false` for `GENERATED BY DEFAULT`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identity_always: Option<bool>,
    /// New name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub new_name: Option<String>,
}

/// A type change; `from` is what reversing it needs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "TypeChangeRepr")]
pub struct TypeChange {
    /// The type before, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<ColumnType>,
    /// The type after.
    pub to: ColumnType,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum TypeChangeRepr {
    Short(ColumnType),
    Full {
        #[serde(default)]
        from: Option<ColumnType>,
        to: ColumnType,
    },
}

impl From<TypeChangeRepr> for TypeChange {
    fn from(repr: TypeChangeRepr) -> Self {
        match repr {
            TypeChangeRepr::Short(to) => TypeChange { from: None, to },
            TypeChangeRepr::Full { from, to } => TypeChange { from, to },
        }
    }
}

/// A change of an optional attribute, `{ from = ..., to = ... }`; `from` is what reversing it
/// needs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Change<T> {
    // `default = "Option::default"`: a plain `default` would require `T: Default`.
    /// The value before.
    #[serde(default = "Option::default", skip_serializing_if = "Option::is_none")]
    pub from: Option<T>,
    /// The value after.
    #[serde(default = "Option::default", skip_serializing_if = "Option::is_none")]
    pub to: Option<T>,
}

impl<T: Clone> Change<T> {
    /// The change that undoes this one.
    pub fn reversed(&self) -> Change<T> {
        Change { from: self.to.clone(), to: self.from.clone() }
    }
}

/// A server default change; an absent side means "no default".
pub type DefaultChange = Change<DefaultValue>;

/// A comment change; an absent side means "no comment".
pub type CommentChange = Change<String>;

/// A collation change; an absent side means the backend's default.
pub type CollationChange = Change<String>;

impl ColumnChange {
    /// A change of nothing yet on `table.column`.
    pub fn new(table: &str, column: &str) -> Self {
        ColumnChange {
            table: table.to_owned(),
            column: column.to_owned(),
            ty: None,
            nullable: None,
            default: None,
            on_update: None,
            comment: None,
            collation: None,
            identity_always: None,
            new_name: None,
        }
    }

    /// The column's name after the change.
    pub fn final_name(&self) -> &str {
        self.new_name.as_deref().unwrap_or(&self.column)
    }

    /// Applies the change to a column definition.
    pub fn apply_to(&self, column: &mut Column) {
        if let Some(ty) = &self.ty {
            column.ty = ty.to.clone();
        }
        if let Some(nullable) = self.nullable {
            column.nullable = nullable;
        }
        if let Some(default) = &self.default {
            column.default = default.to.clone();
        }
        if let Some(on_update) = &self.on_update {
            column.on_update = on_update.to.clone();
        }
        if let Some(comment) = &self.comment {
            column.comment = comment.to.clone();
        }
        if let Some(collation) = &self.collation {
            column.collation = collation.to.clone();
        }
        if let Some(always) = self.identity_always {
            column.identity_always = always;
        }
        if let Some(new_name) = &self.new_name {
            column.name = new_name.clone();
        }
    }

    /// The change that undoes this one, when every `from` it needs is known.
    pub fn swapped(&self) -> Option<ColumnChange> {
        let ty = match &self.ty {
            Some(TypeChange { from: Some(from), to }) => Some(TypeChange { from: Some(to.clone()), to: from.clone() }),
            Some(TypeChange { from: None, .. }) => return None,
            None => None,
        };
        Some(ColumnChange {
            table: self.table.clone(),
            column: self.final_name().to_owned(),
            ty,
            nullable: self.nullable.map(|n| !n),
            default: self.default.as_ref().map(Change::reversed),
            on_update: self.on_update.as_ref().map(Change::reversed),
            comment: self.comment.as_ref().map(Change::reversed),
            collation: self.collation.as_ref().map(Change::reversed),
            identity_always: self.identity_always.map(|always| !always),
            new_name: self.new_name.as_ref().map(|_| self.column.clone()),
        })
    }
}

fn is_false(value: &bool) -> bool {
    !*value
}

impl Op {
    /// The op's name as revision files spell it (`add_column`).
    pub fn name(&self) -> &'static str {
        match self {
            Op::CreateTable(_) => "create_table",
            Op::DropTable { .. } => "drop_table",
            Op::RenameTable { .. } => "rename_table",
            Op::AddColumn { .. } => "add_column",
            Op::DropColumn { .. } => "drop_column",
            Op::AlterColumn(_) => "alter_column",
            Op::CreateIndex(_) => "create_index",
            Op::DropIndex { .. } => "drop_index",
            Op::RenameIndex { .. } => "rename_index",
            Op::RenameConstraint { .. } => "rename_constraint",
            Op::AddConstraint { .. } => "add_constraint",
            Op::ValidateConstraint { .. } => "validate_constraint",
            Op::DropConstraint { .. } => "drop_constraint",
            Op::CreateEnum { .. } => "create_enum",
            Op::DropEnum { .. } => "drop_enum",
            Op::AddEnumValue { .. } => "add_enum_value",
            Op::DropEnumValue { .. } => "drop_enum_value",
            Op::AlterTable { .. } => "alter_table",
            Op::Sql { .. } => "sql",
        }
    }

    /// A short human description: `add_column users.age`.
    pub fn describe(&self) -> String {
        let target = match self {
            Op::CreateTable(table) => table.name.clone(),
            Op::DropTable { table, .. } => table.clone(),
            Op::RenameTable { table, new_name } => format!("{table} -> {new_name}"),
            Op::AddColumn { table, column } => format!("{table}.{}", column.name),
            Op::DropColumn { table, column } => format!("{table}.{}", column.name()),
            Op::AlterColumn(change) => format!("{}.{}", change.table, change.column),
            Op::CreateIndex(index) => format!("{} on {}", index.name, index.table),
            Op::DropIndex { table, name, .. } => format!("{name} on {table}"),
            Op::RenameIndex { table, name, new_name } | Op::RenameConstraint { table, name, new_name, .. } => {
                format!("{name} -> {new_name} on {table}")
            }
            Op::AddConstraint { table, constraint, .. } => match constraint.name() {
                Some(name) => format!("{name} on {table}"),
                None => table.clone(),
            },
            Op::DropConstraint { table, name, .. } | Op::ValidateConstraint { table, name } => {
                format!("{name} on {table}")
            }
            Op::CreateEnum { name, .. } | Op::DropEnum { name, .. } => name.clone(),
            Op::AddEnumValue { name, value, .. } => format!("{name} += {value}"),
            Op::DropEnumValue { name, value, .. } => format!("{name} -= {value}"),
            Op::AlterTable { table, .. } => table.clone(),
            Op::Sql { sql, .. } => {
                let first = sql.lines().map(str::trim).find(|l| !l.is_empty()).unwrap_or("");
                let mut short: String = first.chars().take(60).collect();
                if short.len() < first.len() {
                    short.push('…');
                }
                short
            }
        };
        format!("{} {target}", self.name())
    }

    /// Returns the operation that undoes `self`, or `None` when the op does not carry what
    /// its inverse needs (a drop without its definition, raw SQL without `down`).
    pub fn reverse(&self) -> Option<Op> {
        Some(match self {
            Op::CreateTable(table) => {
                Op::DropTable { table: table.name.clone(), existing: Some(Box::new(table.clone())) }
            }
            Op::DropTable { existing, .. } => Op::CreateTable(existing.as_deref()?.clone()),
            Op::RenameTable { table, new_name } => Op::RenameTable { table: new_name.clone(), new_name: table.clone() },
            Op::RenameIndex { table, name, new_name } => {
                Op::RenameIndex { table: table.clone(), name: new_name.clone(), new_name: name.clone() }
            }
            Op::RenameConstraint { table, name, new_name, existing } => Op::RenameConstraint {
                table: table.clone(),
                name: new_name.clone(),
                new_name: name.clone(),
                existing: existing.as_ref().map(|c| c.with_name(Some(new_name.clone()))),
            },
            Op::AddColumn { table, column } => {
                Op::DropColumn { table: table.clone(), column: ColumnRef::Definition(column.clone()) }
            }
            Op::DropColumn { table, column } => match column {
                ColumnRef::Definition(column) => Op::AddColumn { table: table.clone(), column: column.clone() },
                ColumnRef::Name(_) => return None,
            },
            Op::AlterColumn(change) => Op::AlterColumn(change.swapped()?),
            Op::CreateIndex(create) => Op::DropIndex {
                table: create.table.clone(),
                name: create.name.clone(),
                concurrently: create.concurrently,
                existing: Some(create.index()),
            },
            Op::DropIndex { existing, concurrently, .. } => {
                let mut create = CreateIndex::from_index(existing.as_ref()?);
                create.concurrently = *concurrently;
                Op::CreateIndex(create)
            }
            Op::AddConstraint { table, constraint, .. } => Op::DropConstraint {
                table: table.clone(),
                name: constraint.name()?.to_owned(),
                kind: Some(constraint.kind()),
                existing: Some(constraint.clone()),
            },
            Op::DropConstraint { table, existing, .. } => Op::AddConstraint {
                table: table.clone(),
                constraint: existing.clone()?,
                not_valid: false,
                concurrently: false,
            },
            // A constraint cannot be made not valid again; the validation stays, harmless,
            // and `downgrade_of` leaves it out (see `Op::needs_undoing`).
            Op::ValidateConstraint { .. } => self.clone(),
            Op::CreateEnum { name, values } => Op::DropEnum { name: name.clone(), values: Some(values.clone()) },
            Op::DropEnum { name, values } => Op::CreateEnum { name: name.clone(), values: values.clone()? },
            Op::AddEnumValue { name, value, before, after } => Op::DropEnumValue {
                name: name.clone(),
                value: value.clone(),
                before: before.clone(),
                after: after.clone(),
            },
            Op::DropEnumValue { name, value, before, after } => Op::AddEnumValue {
                name: name.clone(),
                value: value.clone(),
                before: before.clone(),
                after: after.clone(),
            },
            Op::AlterTable { table, comment } => Op::AlterTable { table: table.clone(), comment: comment.reversed() },
            Op::Sql { sql, down, dialect } => {
                Op::Sql { sql: down.clone()?, down: Some(sql.clone()), dialect: dialect.clone() }
            }
        })
    }
}

impl Op {
    /// Whether undoing the op takes a step: a validation changes no definition, so a
    /// downgrade has nothing to run for it.
    pub fn needs_undoing(&self) -> bool {
        !matches!(self, Op::ValidateConstraint { .. })
    }
}

/// The downgrade of `upgrade`: each op reversed, in reverse order (ops with nothing to undo
/// left out). `None` when some op cannot be reversed.
pub fn downgrade_of(upgrade: &[Op]) -> Option<Vec<Op>> {
    upgrade.iter().rev().filter(|op| op.needs_undoing()).map(Op::reverse).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(toml_text: &str) -> Vec<Op> {
        #[derive(Deserialize)]
        struct Ops {
            upgrade: Vec<Op>,
        }
        toml::from_str::<Ops>(toml_text).expect("valid ops").upgrade
    }

    #[test]
    fn every_reversible_op_round_trips_through_reverse() {
        let ops = parse(
            r#"
            [[upgrade]]
            op = "create_table"
            table = "users"
            columns = [{ name = "id", type = "bigint", nullable = false, identity = true }]
            primary_key = ["id"]

            [[upgrade]]
            op = "add_column"
            table = "users"
            column = { name = "age", type = "integer", default = { value = 0 } }

            [[upgrade]]
            op = "alter_column"
            table = "users"
            column = "age"
            type = { from = "integer", to = "bigint" }
            nullable = false
            default = { from = { value = 0 }, to = { expr = "current_timestamp" } }
            new_name = "years"

            [[upgrade]]
            op = "create_index"
            table = "users"
            name = "ix_users_age"
            columns = ["years", { expr = "lower(email)" }]
            where = "years > 0"

            [[upgrade]]
            op = "add_constraint"
            table = "users"
            constraint = { kind = "check", name = "users_age_check", expr = "years >= 0" }

            [[upgrade]]
            op = "create_enum"
            name = "mood"
            values = ["sad", "ok"]

            [[upgrade]]
            op = "sql"
            sql = "INSERT INTO users DEFAULT VALUES"
            down = "DELETE FROM users"
            "#,
        );
        let down = downgrade_of(&ops).expect("all reversible");
        let back = downgrade_of(&down).expect("reverse of reverse");
        assert_eq!(back, ops);
    }

    #[test]
    fn online_fields_are_written_only_when_set_and_a_validation_needs_no_undoing() {
        let ops = parse(
            r#"
            [[upgrade]]
            op = "add_constraint"
            table = "users"
            constraint = { kind = "check", name = "users_age_check", expr = "age >= 0" }
            not_valid = true

            [[upgrade]]
            op = "validate_constraint"
            table = "users"
            name = "users_age_check"

            [[upgrade]]
            op = "add_constraint"
            table = "users"
            constraint = { kind = "unique", name = "users_email_key", columns = ["email"] }
            concurrently = true
            "#,
        );
        let text = toml::to_string(&ops[0]).expect("serializes");
        assert!(text.contains("not_valid = true") && !text.contains("concurrently"), "{text}");
        let down = downgrade_of(&ops).expect("reversible");
        assert_eq!(
            down.iter().map(Op::describe).collect::<Vec<_>>(),
            ["drop_constraint users_email_key on users", "drop_constraint users_age_check on users"]
        );
        // Reversed again, the constraints come back in their plain forms.
        let back = downgrade_of(&down).expect("reversible");
        assert!(back.iter().all(|op| matches!(op, Op::AddConstraint { not_valid: false, concurrently: false, .. })));
    }

    #[test]
    fn ops_without_their_inverse_information_are_not_reversible() {
        let ops = parse(
            r#"
            [[upgrade]]
            op = "drop_column"
            table = "users"
            column = "age"
            [[upgrade]]
            op = "alter_column"
            table = "users"
            column = "age"
            type = "bigint"
            [[upgrade]]
            op = "sql"
            sql = "SELECT 1"
            "#,
        );
        for op in &ops {
            assert_eq!(op.reverse(), None, "{op:?}");
        }
    }

    #[test]
    fn unknown_fields_are_rejected() {
        let err = toml::from_str::<toml::Table>("").map(|_| ()).and_then(|_| {
            toml::from_str::<Op>("op = \"add_column\"\ntable = \"t\"\ncolum = { name = \"a\", type = \"text\" }")
                .map(|_| ())
        });
        assert!(err.unwrap_err().to_string().contains("colum"));
        let err = toml::from_str::<Op>("op = \"add_columns\"\ntable = \"t\"").unwrap_err();
        assert!(err.to_string().contains("add_columns"), "{err}");
    }
}
