//! What an entity can be that the schema model cannot hold: [`SeaOrmError`], naming the
//! entity and the column.

use aludel::schema::ColumnType;

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

/// Where an error happened.
pub(crate) struct Site<'a> {
    pub(crate) entity: &'static str,
    pub(crate) column: &'a str,
}

impl Site<'_> {
    pub(crate) fn entity(&self) -> String {
        self.entity.to_owned()
    }
    pub(crate) fn column(&self) -> String {
        self.column.to_owned()
    }
}
