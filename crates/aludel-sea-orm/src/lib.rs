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
use aludel::naming;
use aludel::schema::{
    Column, ColumnType, Constraint, DefaultValue, EnumType, Generated, Index, IndexKey, Literal, PortableExpr,
    References, ReferentialAction, Schema, Table,
};
use sea_orm::sea_query::{
    self, ColumnType as SeaType, Expr, ForeignKeyAction, Keyword, OptionEnum, PostgresQueryBuilder, StringLen,
    TableName, TableRef, Value,
};
use sea_orm::{
    ColumnTrait, DbBackend, EntityTrait, IdenStatic, Iterable, PrimaryKeyToColumn, PrimaryKeyTrait, RelationTrait,
};

pub use aludel::naming::{NameKind, conventional_name};

/// An entity that cannot be expressed in the schema model. Each variant names the entity (its
/// Rust type) and, where there is one, the column.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SeaOrmError {
    /// A server default that has no SQL form (a column reference or a subquery).
    #[error(
        "entity `{entity}` column `{column}` has the default `{expr}`, which cannot be a server default; \
         use a literal, `Expr::current_timestamp()` or `Expr::cust(\"...\")`"
    )]
    UnsupportedDefault {
        /// The entity's Rust type.
        entity: String,
        /// The column.
        column: String,
        /// The default as SeaQuery prints it.
        expr: String,
    },
    /// `extra` SQL that is neither a `CHECK (...)` nor a `GENERATED ALWAYS AS (...)` clause.
    #[error(
        "entity `{entity}` column `{column}` has `extra = \"{extra}\"`, which the schema model cannot hold; \
         only `CHECK (...)` and `GENERATED ALWAYS AS (...) [STORED]` are understood"
    )]
    UnsupportedExtra {
        /// The entity's Rust type.
        entity: String,
        /// The column.
        column: String,
        /// The extra SQL.
        extra: String,
    },
    /// `auto_increment` on a primary key column whose type is not an integer.
    #[error(
        "entity `{entity}` column `{column}` is an auto-increment primary key of type `{ty}`; identity needs \
         an integer column, or set `auto_increment = false`"
    )]
    AutoIncrementNotInteger {
        /// The entity's Rust type.
        entity: String,
        /// The column.
        column: String,
        /// Its neutral type.
        ty: ColumnType,
    },
    /// An auto-increment primary key column that also declares a default: its values come
    /// from the identity sequence, and PostgreSQL refuses both on one column.
    #[error(
        "entity `{entity}` column `{column}` is an auto-increment primary key with a default; remove the \
         default, or set `auto_increment = false`"
    )]
    AutoIncrementWithDefault {
        /// The entity's Rust type.
        entity: String,
        /// The column.
        column: String,
    },
    /// The entity or a relation's target lives in a named database schema.
    #[error(
        "entity `{entity}` refers to the table `{schema}.{table}`; tables outside the default schema are not \
         supported yet, remove `schema_name`"
    )]
    SchemaName {
        /// The entity's Rust type.
        entity: String,
        /// The database schema.
        schema: String,
        /// The table.
        table: String,
    },
    /// Two different entities map to the same table.
    #[error("entities `{first}` and `{second}` both define the table `{table}`; give one another `table_name`")]
    DuplicateTable {
        /// The table.
        table: String,
        /// The entity added first.
        first: String,
        /// The entity added second.
        second: String,
    },
    /// Two columns use the same enum name with different values.
    #[error(
        "entity `{entity}` column `{column}` declares enum `{name}` as [{}], but another column declares it as \
         [{}]; one enum name must have one list of values",
        .values.join(", "),
        .other.join(", ")
    )]
    ConflictingEnum {
        /// The entity's Rust type.
        entity: String,
        /// The column.
        column: String,
        /// The enum type's name.
        name: String,
        /// The values this column declares.
        values: Vec<String>,
        /// The values declared earlier.
        other: Vec<String>,
    },
    /// A `belongs_to` relation points at a table that no added entity defines.
    #[error(
        "entity `{entity}` has a foreign key ({}) to the table `{table}`, which no added entity defines; \
         add its entity with `Models::entity`",
        .columns.join(", ")
    )]
    UnknownTable {
        /// The entity's Rust type.
        entity: String,
        /// The referencing columns.
        columns: Vec<String>,
        /// The referenced table.
        table: String,
    },
    /// A foreign key action that the schema model has no name for.
    #[error("entity `{entity}` has a foreign key ({}) with the action {action}, which aludel does not know", .columns.join(", "))]
    UnsupportedAction {
        /// The entity's Rust type.
        entity: String,
        /// The referencing columns.
        columns: Vec<String>,
        /// The action as SeaQuery names it.
        action: String,
    },
    /// Two constraints or indexes get one name: a `fk_name` that repeats, two relations over
    /// the same columns, or conventional names that are the same once cut to PostgreSQL's 63
    /// bytes.
    #[error(
        "entity `{entity}` needs the constraint or index name `{name}`, which another constraint or index has; \
         give one of them another name (`fk_name`), mark one of two relations over the same columns \
         `skip_fk`, or shorten the table or column names"
    )]
    DuplicateName {
        /// The entity's Rust type.
        entity: String,
        /// The name used twice.
        name: String,
    },
    /// SeaORM's entity registry knows an entity that was not added.
    #[error(
        "SeaORM's entity registry has an entity in `{module_path}` (under `{prefix}`) that was not added; \
         add it with `Models::entity::<{module_path}::Entity>()`"
    )]
    NotAdded {
        /// The entity's module.
        module_path: String,
        /// The prefix passed to [`Models::require_registered`].
        prefix: String,
    },
}

/// One added entity: how to read it, and who it is.
#[derive(Clone)]
struct Entry {
    type_id: TypeId,
    type_name: &'static str,
    read: fn() -> Result<EntityParts, SeaOrmError>,
}

/// What one entity contributes to the schema.
struct EntityParts {
    table: Table,
    indexes: Vec<Index>,
    /// Enum types with the column that declares each.
    enums: Vec<(EnumType, String)>,
    /// Columns with `renamed_from`: (column, old name).
    renames: Vec<(String, String)>,
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

    /// The module paths of the entities that SeaORM's entity registry lists under `prefix`,
    /// sorted.
    #[cfg(feature = "entity-registry")]
    pub fn registered_modules(prefix: &str) -> Vec<&'static str> {
        let prefix = normalize_prefix(prefix);
        let mut modules: Vec<&'static str> = inventory::iter::<sea_orm::EntityRegistry>()
            .map(|entry| entry.module_path)
            .filter(|path| under_prefix(path, &prefix))
            .collect();
        modules.sort_unstable();
        modules.dedup();
        modules
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
            // a clash (two names cut to the same 63 bytes) would fail when the table is created.
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
        Ok(Metadata { schema, renames })
    }

    #[cfg(feature = "entity-registry")]
    fn check_registered(&self) -> Result<(), SeaOrmError> {
        for prefix in &self.required_prefixes {
            for module_path in Self::registered_modules(prefix) {
                let added = self.entries.iter().any(|e| module_of(e.type_name) == module_path);
                if !added {
                    return Err(SeaOrmError::NotAdded { module_path: module_path.to_owned(), prefix: prefix.clone() });
                }
            }
        }
        Ok(())
    }

    #[cfg(not(feature = "entity-registry"))]
    fn check_registered(&self) -> Result<(), SeaOrmError> {
        Ok(())
    }
}

/// `blog::posts::models::Entity` -> `blog::posts::models`: the module that `module_path!()`
/// names inside the entity's derive.
#[cfg(feature = "entity-registry")]
fn module_of(type_name: &str) -> &str {
    type_name.rsplit_once("::").map_or(type_name, |(module, _)| module)
}

/// Accepts `blog`, `blog::`, `blog::*` and crate names with dashes, as SeaORM's own
/// `get_schema_registry` does.
#[cfg(feature = "entity-registry")]
fn normalize_prefix(prefix: &str) -> String {
    prefix.trim_end_matches('*').trim_end_matches("::").replace('-', "_")
}

#[cfg(feature = "entity-registry")]
fn under_prefix(module_path: &str, prefix: &str) -> bool {
    prefix.is_empty()
        || module_path == prefix
        || module_path.strip_prefix(prefix).is_some_and(|rest| rest.starts_with("::"))
}

/// Where an error happened.
struct Site<'a> {
    entity: &'static str,
    column: &'a str,
}

impl Site<'_> {
    fn entity(&self) -> String {
        self.entity.to_owned()
    }
    fn column(&self) -> String {
        self.column.to_owned()
    }
}

fn read_entity<E: EntityTrait + Default>() -> Result<EntityParts, SeaOrmError> {
    let entity = E::default();
    let entity_name = std::any::type_name::<E>();
    let table_name = entity.table_name().to_owned();
    if let Some(schema) = entity.schema_name() {
        return Err(SeaOrmError::SchemaName {
            entity: entity_name.to_owned(),
            schema: schema.to_owned(),
            table: table_name,
        });
    }

    // Comments, `extra`, `indexed` and `unique_key` are private in `sea_orm::ColumnDef`; SeaORM's
    // own DDL helper exposes them through SeaQuery's statements.
    let helper = sea_orm::Schema::new(DbBackend::Postgres);
    let ddl = helper.create_table_from_entity(entity);
    let ddl_indexes = helper.create_index_from_entity(entity);

    let primary_key: Vec<String> = E::PrimaryKey::iter().map(|pk| pk.into_column().as_str().to_owned()).collect();
    let identity = E::PrimaryKey::auto_increment() && primary_key.len() == 1;

    let mut table = Table {
        name: table_name.clone(),
        columns: Vec::new(),
        primary_key_name: (!primary_key.is_empty())
            .then(|| conventional_name::<&str>(NameKind::PrimaryKey, &table_name, &[])),
        primary_key: primary_key.clone(),
        constraints: Vec::new(),
        comment: entity.comment().map(str::to_owned),
    };
    let mut indexes = Vec::new();
    let mut enums = Vec::new();
    let mut renames = Vec::new();

    for column in E::Column::iter() {
        let name = column.as_str();
        let site = Site { entity: entity_name, column: name };
        let def = column.def();
        let mut found = Vec::new();
        let ty = map_type(def.get_column_type(), &mut found);
        enums.extend(found.into_iter().map(|e| (e, name.to_owned())));
        let in_primary_key = primary_key.iter().any(|c| c == name);

        let mut mapped = Column::new(name, ty);
        // PostgreSQL makes primary key columns NOT NULL whatever the entity says.
        mapped.nullable = def.is_null() && !in_primary_key;
        if in_primary_key && identity {
            if !matches!(mapped.ty, ColumnType::SmallInt | ColumnType::Integer | ColumnType::BigInt) {
                return Err(SeaOrmError::AutoIncrementNotInteger {
                    entity: site.entity(),
                    column: site.column(),
                    ty: mapped.ty,
                });
            }
            mapped.identity = true;
        }
        if let Some(default) = def.get_column_default() {
            mapped.default = map_default(default, &site)?;
        }
        if mapped.identity && mapped.default.is_some() {
            return Err(SeaOrmError::AutoIncrementWithDefault { entity: site.entity(), column: site.column() });
        }

        let spec = ddl.get_columns().iter().find(|c| c.get_column_name() == name).map(|c| c.get_column_spec());
        if let Some(spec) = spec {
            if let Some(comment) = spec.comment.as_deref() {
                let (comment, old) = split_renamed_from(comment);
                mapped.comment = comment;
                if let Some(old) = old {
                    renames.push((name.to_owned(), old));
                }
            }
            if let Some(extra) = &spec.extra {
                match read_extra(extra) {
                    // Named once every column is known: after the column the expression reads.
                    Some(Extra::Check(expr)) => table.constraints.push(Constraint::Check { name: None, expr }),
                    Some(Extra::Generated(generated)) => mapped.generated = Some(generated),
                    None => {
                        return Err(SeaOrmError::UnsupportedExtra {
                            entity: site.entity(),
                            column: site.column(),
                            extra: extra.clone(),
                        });
                    }
                }
            }
        }
        if def.is_unique() && !(in_primary_key && primary_key.len() == 1) {
            table.constraints.push(Constraint::Unique {
                name: Some(conventional_name(NameKind::Unique, &table_name, &[name])),
                columns: vec![name.to_owned()],
            });
        }
        table.columns.push(mapped);
    }

    let names: Vec<String> = table.constraints.iter().map(|c| naming::constraint_name(&table, c)).collect();
    for (constraint, conventional) in table.constraints.iter_mut().zip(names) {
        if let Constraint::Check { name: name @ None, .. } = constraint {
            *name = Some(conventional);
        }
    }

    // `indexed` columns and `unique_key` groups: SeaORM creates both as indexes (a group as a
    // unique one, apart from any `unique` constraint on the same column).
    for index in &ddl_indexes {
        let columns = index.get_index_spec().get_column_names();
        indexes.push(Index {
            name: conventional_name(NameKind::Index, &table_name, &columns),
            table: table_name.clone(),
            columns: columns.into_iter().map(IndexKey::Column).collect(),
            unique: index.is_unique_key(),
            predicate: None,
            method: None,
        });
    }

    for relation in E::Relation::iter() {
        let relation = relation.def();
        // Only the owned side (`belongs_to`) holds the foreign key.
        if relation.is_owner || relation.skip_fk {
            continue;
        }
        let target = table_of(&relation.to_tbl, entity_name)?;
        let columns: Vec<String> = relation.from_col.iter().map(|c| c.to_string()).collect();
        let name =
            relation.fk_name.clone().unwrap_or_else(|| conventional_name(NameKind::ForeignKey, &table_name, &columns));
        let on_delete = map_action(relation.on_delete, entity_name, &columns)?;
        let on_update = map_action(relation.on_update, entity_name, &columns)?;
        table.constraints.push(Constraint::ForeignKey {
            name: Some(name),
            columns,
            references: References { table: target, columns: relation.to_col.iter().map(|c| c.to_string()).collect() },
            on_delete,
            on_update,
        });
    }

    Ok(EntityParts { table, indexes, enums, renames })
}

fn table_of(table: &TableRef, entity: &'static str) -> Result<String, SeaOrmError> {
    match table {
        TableRef::Table(TableName(Some(schema), name), _) => Err(SeaOrmError::SchemaName {
            entity: entity.to_owned(),
            schema: schema.1.to_string(),
            table: name.to_string(),
        }),
        other => Ok(other.sea_orm_table().to_string()),
    }
}

fn map_action(
    action: Option<ForeignKeyAction>,
    entity: &'static str,
    columns: &[String],
) -> Result<Option<ReferentialAction>, SeaOrmError> {
    Ok(Some(match action {
        None => return Ok(None),
        Some(ForeignKeyAction::Restrict) => ReferentialAction::Restrict,
        Some(ForeignKeyAction::Cascade) => ReferentialAction::Cascade,
        Some(ForeignKeyAction::SetNull) => ReferentialAction::SetNull,
        Some(ForeignKeyAction::NoAction) => ReferentialAction::NoAction,
        Some(ForeignKeyAction::SetDefault) => ReferentialAction::SetDefault,
        Some(other) => {
            return Err(SeaOrmError::UnsupportedAction {
                entity: entity.to_owned(),
                columns: columns.to_vec(),
                action: format!("{other:?}"),
            });
        }
    }))
}

/// Maps a SeaQuery column type to a neutral one, collecting the enum types it declares.
///
/// Unsigned integers become the next wider signed type, as SeaQuery spells them on
/// PostgreSQL (`BigUnsigned` stays `bigint`). Types without a neutral name pass through as
/// [`ColumnType::Custom`] in their PostgreSQL spelling.
fn map_type(ty: &SeaType, enums: &mut Vec<EnumType>) -> ColumnType {
    match ty {
        SeaType::Char(n) => ColumnType::Char(*n),
        SeaType::String(StringLen::N(n)) => ColumnType::Varchar(Some(*n)),
        // SeaORM creates `varchar` without a length for a `String` field.
        SeaType::String(StringLen::None | StringLen::Max) => ColumnType::Varchar(None),
        SeaType::Text => ColumnType::Text,
        SeaType::TinyInteger | SeaType::SmallInteger | SeaType::TinyUnsigned => ColumnType::SmallInt,
        SeaType::Integer | SeaType::SmallUnsigned => ColumnType::Integer,
        SeaType::BigInteger | SeaType::Unsigned | SeaType::BigUnsigned => ColumnType::BigInt,
        SeaType::Float => ColumnType::Real,
        SeaType::Double => ColumnType::Double,
        SeaType::Decimal(precision) => ColumnType::Numeric(*precision),
        SeaType::DateTime | SeaType::Timestamp => ColumnType::Timestamp,
        SeaType::TimestampWithTimeZone => ColumnType::Timestamptz,
        SeaType::Time => ColumnType::Time,
        SeaType::Date => ColumnType::Date,
        // MySQL's YEAR: a small number everywhere else.
        SeaType::Year => ColumnType::SmallInt,
        SeaType::Interval(None, None) => ColumnType::Interval,
        SeaType::Binary(_) | SeaType::VarBinary(_) | SeaType::Blob => ColumnType::Bytes,
        SeaType::Boolean => ColumnType::Boolean,
        SeaType::Json => ColumnType::Json,
        SeaType::JsonBinary => ColumnType::Jsonb,
        SeaType::Uuid => ColumnType::Uuid,
        SeaType::Custom(name) => ColumnType::Custom(name.to_string()),
        SeaType::Enum { name, variants } => {
            enums.push(EnumType { name: name.to_string(), values: variants.iter().map(|v| v.to_string()).collect() });
            ColumnType::Enum(name.to_string())
        }
        SeaType::Array(inner) => ColumnType::Array(Box::new(map_type(inner, enums))),
        other => ColumnType::Custom(postgres_type(other)),
    }
}

/// How SeaQuery spells `ty` in PostgreSQL (`interval YEAR TO MONTH`, `money`, `inet`).
fn postgres_type(ty: &SeaType) -> String {
    let sql = sea_query::Table::create()
        .table("t")
        .col(sea_query::ColumnDef::new_with_type("c", ty.clone()))
        .to_string(PostgresQueryBuilder);
    sql.split_once("\"c\" ")
        .and_then(|(_, rest)| rest.rsplit_once(" )"))
        .map_or_else(|| format!("{ty:?}"), |(ty, _)| ty.trim().to_owned())
}

/// The server default `expr` declares; `None` for `NULL`, which is no default at all (the
/// databases keep no `DEFAULT NULL` apart from no default).
fn map_default(expr: &Expr, site: &Site<'_>) -> Result<Option<DefaultValue>, SeaOrmError> {
    let unsupported =
        || SeaOrmError::UnsupportedDefault { entity: site.entity(), column: site.column(), expr: render(expr) };
    Ok(Some(match expr {
        Expr::Keyword(Keyword::Null) => return Ok(None),
        Expr::Keyword(Keyword::CurrentTimestamp) => DefaultValue::Expr(PortableExpr::CurrentTimestamp),
        Expr::Keyword(Keyword::CurrentDate) => DefaultValue::Expr(PortableExpr::CurrentDate),
        Expr::Keyword(Keyword::CurrentTime) => DefaultValue::Expr(PortableExpr::CurrentTime),
        // `DEFAULT DEFAULT` means nothing.
        Expr::Keyword(Keyword::Default) => return Err(unsupported()),
        Expr::Value(value) | Expr::Constant(value) if is_null(value) => return Ok(None),
        Expr::Value(value) | Expr::Constant(value) => match literal(value) {
            Some(literal) => DefaultValue::Value(literal),
            None => DefaultValue::Sql(render(expr)),
        },
        // An active enum's value: the label is the default.
        Expr::AsEnum(_, inner) => return map_default(inner, site),
        Expr::Column(_) | Expr::SubQuery(..) => return Err(unsupported()),
        Expr::Custom(sql) => DefaultValue::Sql(sql.to_string()),
        other => DefaultValue::Sql(render(other)),
    }))
}

/// Whether a value is SQL `NULL` (any `Value` variant holding `None`).
fn is_null(value: &Value) -> bool {
    *value == value.as_null()
}

/// A default that is a plain literal; `None` for NULL and for values whose SQL spelling
/// (dates, decimals, JSON, bytes) is better passed as SQL.
fn literal(value: &Value) -> Option<Literal> {
    Some(match value {
        Value::Bool(Some(b)) => Literal::Bool(*b),
        Value::TinyInt(Some(n)) => Literal::Int(i64::from(*n)),
        Value::SmallInt(Some(n)) => Literal::Int(i64::from(*n)),
        Value::Int(Some(n)) => Literal::Int(i64::from(*n)),
        Value::BigInt(Some(n)) => Literal::Int(*n),
        Value::TinyUnsigned(Some(n)) => Literal::Int(i64::from(*n)),
        Value::SmallUnsigned(Some(n)) => Literal::Int(i64::from(*n)),
        Value::Unsigned(Some(n)) => Literal::Int(i64::from(*n)),
        Value::BigUnsigned(Some(n)) => Literal::Int(i64::try_from(*n).ok()?),
        // Through the shortest decimal form, so `0.1f32` stays `0.1`.
        Value::Float(Some(f)) => Literal::Float(f.to_string().parse().ok()?),
        Value::Double(Some(f)) => Literal::Float(*f),
        Value::String(Some(s)) => Literal::String(s.clone()),
        Value::Char(Some(c)) => Literal::String(c.to_string()),
        // An active enum's value: its label.
        Value::Enum(OptionEnum::Some(value)) => Literal::String(value.value.to_string()),
        _ => return None,
    })
}

/// SeaQuery's PostgreSQL spelling of an expression, values inlined.
fn render(expr: &Expr) -> String {
    let sql = sea_query::Query::select().expr(expr.clone()).to_string(PostgresQueryBuilder);
    sql.strip_prefix("SELECT ").map_or_else(|| sql.clone(), str::to_owned)
}

/// SeaORM appends `renamed_from "old"` to the column comment (after `; ` when there is a
/// comment too): splits that into the user's comment and the old name.
fn split_renamed_from(comment: &str) -> (Option<String>, Option<String>) {
    let (comment, old) = match comment.rsplit_once("renamed_from \"") {
        Some((before, after)) => match after.strip_suffix('"') {
            Some(old) => (before.trim_end().trim_end_matches(';'), Some(old.to_owned())),
            None => (comment, None),
        },
        None => (comment, None),
    };
    ((!comment.is_empty()).then(|| comment.to_owned()), old)
}

enum Extra {
    Check(String),
    Generated(Generated),
}

/// Reads `extra = "CHECK (...)"` and `extra = "GENERATED ALWAYS AS (...) [STORED]"`.
fn read_extra(extra: &str) -> Option<Extra> {
    let text = extra.trim();
    let upper = text.to_ascii_uppercase();
    if upper.starts_with("CHECK") {
        let (expr, rest) = parenthesized(text["CHECK".len()..].trim_start())?;
        return rest.trim().is_empty().then(|| Extra::Check(expr.to_owned()));
    }
    let keyword = "GENERATED ALWAYS AS";
    if upper.starts_with(keyword) {
        let (expr, rest) = parenthesized(text[keyword.len()..].trim_start())?;
        let stored = match rest.trim().to_ascii_uppercase().as_str() {
            "STORED" => true,
            "" | "VIRTUAL" => false,
            _ => return None,
        };
        return Some(Extra::Generated(Generated { expr: expr.to_owned(), stored }));
    }
    None
}

/// Splits `(inner) rest` at the parenthesis that closes the first one.
fn parenthesized(text: &str) -> Option<(&str, &str)> {
    let body = text.strip_prefix('(')?;
    let mut depth = 1usize;
    for (at, c) in body.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => {
                depth -= 1;
                if depth == 0 {
                    return Some((&body[..at], &body[at + 1..]));
                }
            }
            _ => {}
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check_type(input: SeaType, expected: &str) {
        let mut enums = Vec::new();
        assert_eq!(map_type(&input, &mut enums).to_string(), expected, "{input:?}");
    }

    #[test]
    fn types_map_to_neutral_names() {
        check_type(SeaType::Char(Some(2)), "char(2)");
        check_type(SeaType::String(StringLen::N(40)), "varchar(40)");
        check_type(SeaType::String(StringLen::None), "varchar");
        check_type(SeaType::Text, "text");
        check_type(SeaType::TinyUnsigned, "smallint");
        check_type(SeaType::SmallUnsigned, "integer");
        check_type(SeaType::Unsigned, "bigint");
        check_type(SeaType::BigUnsigned, "bigint");
        check_type(SeaType::Decimal(Some((10, 2))), "numeric(10,2)");
        check_type(SeaType::Money(None), "money");
        check_type(SeaType::Inet, "inet");
        check_type(SeaType::Bit(Some(3)), "bit(3)");
        check_type(SeaType::Interval(Some(sea_query::PgInterval::YearToMonth), None), "interval YEAR TO MONTH");
        check_type(SeaType::Array(SeaType::Integer.into()), "integer[]");
    }

    #[test]
    fn extra_reads_checks_and_generated_columns() {
        assert!(matches!(read_extra("CHECK (price > 0)"), Some(Extra::Check(e)) if e == "price > 0"));
        assert!(matches!(read_extra("check ((a) < (b))"), Some(Extra::Check(e)) if e == "(a) < (b)"));
        assert!(matches!(
            read_extra("GENERATED ALWAYS AS (a * 2) STORED"),
            Some(Extra::Generated(Generated { stored: true, .. }))
        ));
        assert!(read_extra("COLLATE \"C\"").is_none());
        assert!(read_extra("CHECK (a > 0) NOT VALID").is_none());
    }

    #[test]
    fn comments_lose_the_renamed_from_marker() {
        let old = Some("old".to_owned());
        assert_eq!(split_renamed_from("renamed_from \"old\""), (None, old.clone()));
        assert_eq!(split_renamed_from("the title; renamed_from \"old\""), (Some("the title".to_owned()), old));
        assert_eq!(split_renamed_from("plain"), (Some("plain".to_owned()), None));
    }

    #[test]
    fn long_names_are_cut_like_postgresql_does() {
        let long = "x".repeat(80);
        assert_eq!(conventional_name(NameKind::Unique, &long, &["a"]).len(), 63);
    }
}
