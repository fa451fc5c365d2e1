//! SeaORM 2 entities as an aludel model source: the Rust counterpart of Alembic reading
//! SQLAlchemy's `MetaData`.
//!
//! [`Models`] collects entities (one [`Models::entity`] call per entity) and turns them into
//! aludel's [`Metadata`] ([`Models::metadata`]) or just its [`aludel::schema::Schema`]
//! ([`Models::schema`]):
//! - tables (with their `comment`) and columns, in field order, named as SeaORM names them
//!   (`column_name`, `rename_all`, raw identifiers); `ignore`d fields are left out;
//! - neutral types: integers of every width (unsigned ones as the next wider signed type, as
//!   SeaORM creates them on PostgreSQL), floats, decimals with their precision, `String` as
//!   `varchar` (SeaORM creates it without a length), `char`, `text`, booleans, dates, times,
//!   timestamps with and without time zone, intervals, UUIDs, JSON and JSONB, binary strings
//!   as `bytes`, arrays, and everything else (`column_type = "custom(...)"`, `Inet`, `Money`,
//!   `Bit`, `LTree`, `Vector`, an interval with fields) in its PostgreSQL spelling;
//!   `select_as` and `save_as` only change queries, not the schema;
//! - nullability (`Option<T>` or `nullable`; primary key columns are never nullable);
//! - server defaults: literals (`default_value`, an active enum's value as its label),
//!   `Expr::current_timestamp()` / `current_date()` / `current_time()` as portable
//!   expressions, `Expr::cust(...)` and other expressions as SQL; `NULL` is no default;
//! - the primary key (composite ones too), named `{table}_pkey`; an auto-increment key is an
//!   identity column;
//! - `unique` columns as unique constraints, `indexed` columns as indexes and `unique_key`
//!   groups as unique indexes, as SeaORM creates them;
//! - `extra = "CHECK (...)"` as a check constraint and `extra = "GENERATED ALWAYS AS (...)
//!   [STORED]"` as a generated column;
//! - foreign keys from the owning side of relations (`belongs_to`, in the classic `Relation`
//!   enum and in 2.0's relation fields), self-references included, with their `on_delete` and
//!   `on_update` actions and `fk_name`; `skip_fk` declares none;
//! - enum types from native active enums (`db_type = "Enum"`); string and integer backed
//!   active enums are plain columns;
//! - in [`Metadata`], a column rename for every `renamed_from`, so autogenerate renames the
//!   column instead of dropping it.
//!
//! Constraints and indexes get the project's conventional names (see [`conventional_name`]),
//! so autogenerate compares stable names. What the schema model cannot hold is a typed
//! [`SeaOrmError`] naming the entity and column, never a silently different schema.
//!
//! SeaORM's entity registry (the `entity-registry` feature, on by default) only records each
//! entity's module path and an opaque DDL builder, so it cannot stand in for the typed list.
//! [`Models::require_registered`] uses it as a completeness check instead: an entity that the
//! registry knows but nobody added is an error, never a silently missing table.
//!
//! This crate does no IO and writes no SQL of its own; diffing and rendering are aludel's job.
//!
//! # Compared with SeaORM's own DDL
//!
//! The schema is what aludel creates, and what SeaORM's own DDL (`Schema::create_table_from_entity`,
//! `SchemaBuilder::apply`) creates has the same columns, types, nullability, defaults, keys,
//! checks and foreign keys on PostgreSQL, with these exceptions. A database that SeaORM
//! created therefore needs one migration to take aludel's spellings:
//! - names: SeaORM names composite primary keys `pk-{table}`, foreign keys
//!   `fk-{table}-{columns}` and indexes `idx-{table}-{column or key}`, where this crate uses the
//!   conventional names;
//! - comments: SeaORM's DDL writes table and column comments only on MySQL; the schema keeps
//!   them, and aludel creates them on PostgreSQL;
//! - on SQLite, SeaORM spells most types its own way so that it can read its entities back
//!   (`uuid_text`, `datetime_text`, `timestamp_with_timezone_text`, `json_text`,
//!   `real_decimal`, `real(10, 2)` for a decimal, `tinyint`, `integer` for 64-bit and unsigned
//!   integers, `float`, `double`, `varbinary_blob`, `blob(16)`), creates native enums as
//!   `enum_text` without a check of their values, and keeps a redundant unique index for a
//!   `unique` primary key; the schema has the neutral types instead;
//! - SeaORM's DDL refuses some entities outright where this crate maps them: an
//!   auto-increment key that is not `i16`/`i32`/`i64` on PostgreSQL, `Year` (a `smallint` here),
//!   and on SQLite intervals, arrays and PostgreSQL's network and bit string types. It also
//!   creates no enum type for a column that is only an array of that enum.
//!
//! # Examples
//!
//! ```
//! use aludel_sea_orm::Models;
//!
//! mod user {
//!     use sea_orm::entity::prelude::*;
//!
//!     #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
//!     #[sea_orm(table_name = "users")]
//!     pub struct Model {
//!         #[sea_orm(primary_key)]
//!         pub id: i64,
//!         #[sea_orm(unique)]
//!         pub email: String,
//!     }
//!
//!     #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
//!     pub enum Relation {}
//!
//!     impl ActiveModelBehavior for ActiveModel {}
//! }
//!
//! let schema = Models::default().entity::<user::Entity>().schema()?;
//! let users = schema.table("users").expect("the users table");
//! assert!(users.columns[0].identity);
//! assert_eq!(users.primary_key_name.as_deref(), Some("users_pkey"));
//! # Ok::<(), aludel_sea_orm::SeaOrmError>(())
//! ```

#![warn(missing_docs)]

use std::any::TypeId;
use std::collections::BTreeMap;

use aludel::diff::RenameHints;
use aludel::models::Metadata;
use aludel::schema::{Constraint, Schema};
use sea_orm::EntityTrait;

mod entity;
mod error;
mod registry;
mod types;

pub use aludel::naming::{NameKind, conventional_name};
pub use error::SeaOrmError;

use crate::entity::{EntityParts, read_entity};

/// One added entity: how to read it, and who it is.
#[derive(Clone)]
struct Entry {
    type_id: TypeId,
    type_name: &'static str,
    read: fn() -> Result<EntityParts, SeaOrmError>,
}

/// The SeaORM entities that make up the models; a builder.
///
/// # Examples
///
/// ```
/// # mod post {
/// #     use sea_orm::entity::prelude::*;
/// #     #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
/// #     #[sea_orm(table_name = "posts")]
/// #     pub struct Model { #[sea_orm(primary_key)] pub id: i32 }
/// #     #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
/// #     pub enum Relation {}
/// #     impl ActiveModelBehavior for ActiveModel {}
/// # }
/// let schema = aludel_sea_orm::Models::default().entity::<post::Entity>().schema()?;
/// assert!(schema.table("posts").is_some());
/// # Ok::<(), aludel_sea_orm::SeaOrmError>(())
/// ```
#[derive(Clone, Default)]
pub struct Models {
    entries: Vec<Entry>,
    required_prefixes: Vec<String>,
}

impl std::fmt::Debug for Models {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Models")
            .field("entities", &self.entries.iter().map(|e| e.type_name).collect::<Vec<_>>())
            .field("required_prefixes", &self.required_prefixes)
            .finish()
    }
}

impl Models {
    /// An empty set of models (the same as `Models::default()`).
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds one entity: its table, columns, primary key, unique constraints, indexes, foreign
    /// keys (from its `belongs_to` relations, with their actions) and the enum types its
    /// columns use. Adding the same entity twice adds it once.
    pub fn entity<E: EntityTrait + Default>(mut self) -> Self {
        let type_id = TypeId::of::<E>();
        if !self.entries.iter().any(|e| e.type_id == type_id) {
            self.entries.push(Entry { type_id, type_name: std::any::type_name::<E>(), read: read_entity::<E> });
        }
        self
    }

    /// Requires every entity that SeaORM's entity registry lists under the module prefix
    /// `prefix` (such as `"blog"` or `"blog::posts"`) to have been added with
    /// [`Models::entity`]; [`Models::schema`] fails with [`SeaOrmError::NotAdded`] otherwise.
    ///
    /// SeaORM 2's registry (`sea_orm::EntityRegistry`, filled by `DeriveEntityModel` when the
    /// `entity-registry` feature is on) records only each entity's module path and an opaque
    /// DDL builder, not the typed entity, so it can prove that the list is complete but cannot
    /// replace it. An entity is matched by its module path, the path of its `Entity` type
    /// without the last segment.
    #[cfg(feature = "entity-registry")]
    pub fn require_registered(mut self, prefix: &str) -> Self {
        self.required_prefixes.push(prefix.to_owned());
        self
    }

    /// Builds the schema the added entities declare; the same as
    /// [`Models::metadata`] without the renames.
    ///
    /// # Errors
    ///
    /// As [`Models::metadata`].
    pub fn schema(&self) -> Result<Schema, SeaOrmError> {
        self.metadata().map(|metadata| metadata.schema)
    }

    /// Builds the [`Metadata`] autogenerate compares with the database: the schema the added
    /// entities declare, and a column rename for every `renamed_from` attribute. Chain
    /// [`Metadata`]'s builder methods to add what an entity cannot say (a partial index, a
    /// check on several columns, a table rename).
    ///
    /// # Errors
    ///
    /// [`SeaOrmError`] for anything the schema model cannot hold (naming the entity and
    /// column), for two entities on one table, for an enum declared twice with different
    /// values, for a foreign key to a table that no added entity defines, for two constraints
    /// or indexes with one name, and for a registered entity that was not added (see
    /// [`Models::require_registered`]).
    ///
    /// # Examples
    ///
    /// ```
    /// # mod user {
    /// #     use sea_orm::entity::prelude::*;
    /// #     #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    /// #     #[sea_orm(table_name = "users")]
    /// #     pub struct Model {
    /// #         #[sea_orm(primary_key)]
    /// #         pub id: i64,
    /// #         #[sea_orm(renamed_from = "email")]
    /// #         pub email_address: String,
    /// #         pub age: i32,
    /// #     }
    /// #     #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    /// #     pub enum Relation {}
    /// #     impl ActiveModelBehavior for ActiveModel {}
    /// # }
    /// use aludel_sea_orm::Models;
    ///
    /// // `email_address` has `#[sea_orm(renamed_from = "email")]`.
    /// let metadata = Models::default().entity::<user::Entity>().metadata()?.check("users", "users_age_check", "age >= 0")?;
    /// assert_eq!(metadata.renames.columns[&("users".into(), "email_address".into())], "email");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn metadata(&self) -> Result<Metadata, SeaOrmError> {
        self.check_registered()?;
        let mut schema = Schema::default();
        let mut renames = RenameHints::default();
        let mut owners: BTreeMap<String, &'static str> = BTreeMap::new();
        let mut names = std::collections::BTreeSet::new();
        let mut references = Vec::new();
        for entry in &self.entries {
            let parts = (entry.read)()?;
            if let Some(first) = owners.insert(parts.table.name.clone(), entry.type_name) {
                return Err(SeaOrmError::DuplicateTable {
                    table: parts.table.name,
                    first: first.to_owned(),
                    second: entry.type_name.to_owned(),
                });
            }
            for (enum_type, column) in parts.enums {
                match schema.enums.get(&enum_type.name) {
                    Some(known) if known.values != enum_type.values => {
                        return Err(SeaOrmError::ConflictingEnum {
                            entity: entry.type_name.to_owned(),
                            column,
                            name: enum_type.name,
                            values: enum_type.values,
                            other: known.values.clone(),
                        });
                    }
                    Some(_) => {}
                    None => {
                        schema.enums.insert(enum_type.name.clone(), enum_type);
                    }
                }
            }
            // PostgreSQL keeps indexes, primary keys and unique constraints in one namespace;
            // a clash (two names shortened to the same 63 bytes) would fail when the table is created.
            let table = &parts.table;
            let uniques = table.constraints.iter().filter(|c| matches!(c, Constraint::Unique { .. }));
            let relations = (table.primary_key_name.as_deref().into_iter())
                .chain(uniques.filter_map(Constraint::name))
                .chain(parts.indexes.iter().map(|i| i.name.as_str()));
            for name in relations {
                if !names.insert(name.to_owned()) {
                    return Err(SeaOrmError::DuplicateName {
                        entity: entry.type_name.to_owned(),
                        name: name.to_owned(),
                    });
                }
            }
            let mut constraint_names = std::collections::BTreeSet::new();
            for constraint in &table.constraints {
                if let Some(name) = constraint.name()
                    && !constraint_names.insert(name)
                {
                    return Err(SeaOrmError::DuplicateName {
                        entity: entry.type_name.to_owned(),
                        name: name.to_owned(),
                    });
                }
                if let Constraint::ForeignKey { columns, references: target, .. } = constraint {
                    references.push((entry.type_name, columns.clone(), target.table.clone()));
                }
            }
            for (column, old) in parts.renames {
                renames.columns.insert((table.name.clone(), column), old);
            }
            for index in parts.indexes {
                schema.indexes.insert(index.name.clone(), index);
            }
            schema.tables.insert(parts.table.name.clone(), parts.table);
        }
        for (entity, columns, table) in references {
            if !schema.tables.contains_key(&table) {
                return Err(SeaOrmError::UnknownTable { entity: entity.to_owned(), columns, table });
            }
        }
        Ok(Metadata { renames, ..Metadata::new(schema) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_names_are_cut_like_postgresql_does() {
        let long = "x".repeat(80);
        assert_eq!(conventional_name(NameKind::Unique, &long, &["a"]).len(), 63);
    }
}
