//! Entities the schema model cannot hold: each gives a typed error that names the entity and,
//! where there is one, the column.

use aludel_sea_orm::{Models, SeaOrmError};

/// An entity without relations in the module `$module`, on the table `$table`, with the
/// fields given.
macro_rules! entity {
    ($module:ident, $table:literal, { $($field:tt)* }) => {
        pub mod $module {
            use sea_orm::entity::prelude::*;

            #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
            #[sea_orm(table_name = $table)]
            pub struct Model {
                $($field)*
            }

            #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
            pub enum Relation {}

            impl ActiveModelBehavior for ActiveModel {}
        }
    };
}

entity!(column_default, "column_default", {
    #[sea_orm(primary_key)]
    pub id: i32,
    #[sea_orm(default_expr = "Expr::col(\"id\")")]
    pub copy: i32,
});

entity!(default_keyword, "default_keyword", {
    #[sea_orm(primary_key)]
    pub id: i32,
    #[sea_orm(default_expr = "Expr::Keyword(sea_orm::sea_query::Keyword::Default)")]
    pub value: i32,
});

entity!(subquery_default, "subquery_default", {
    #[sea_orm(primary_key)]
    pub id: i32,
    #[sea_orm(default_expr = "Expr::exists(sea_orm::sea_query::Query::select().expr(Expr::val(1)).take())")]
    pub flag: bool,
});

entity!(collated, "collated", {
    #[sea_orm(primary_key)]
    pub id: i32,
    #[sea_orm(extra = "COLLATE \"C\"")]
    pub name: String,
});

entity!(string_serial, "string_serial", {
    #[sea_orm(primary_key, auto_increment = true)]
    pub code: String,
});

entity!(serial_with_default, "serial_with_default", {
    #[sea_orm(primary_key, default_value = 5)]
    pub id: i32,
});

entity!(first_owner, "shared", {
    #[sea_orm(primary_key)]
    pub id: i32,
});

entity!(second_owner, "shared", {
    #[sea_orm(primary_key)]
    pub id: i64,
});

entity!(long_names, "long_names", {
    #[sea_orm(primary_key)]
    pub id: i32,
    #[sea_orm(unique)]
    pub a_very_long_column_name_that_goes_on_and_on_and_on_beyond_one: i32,
    #[sea_orm(unique)]
    pub a_very_long_column_name_that_goes_on_and_on_and_on_beyond_two: i32,
});

/// An entity in a named database schema.
pub mod audited {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(schema_name = "audit", table_name = "events")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i32,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// A foreign key to a table in a named schema.
pub mod referencing {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "referencing")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i32,
        pub event_id: i32,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {
        #[sea_orm(belongs_to = "super::audited::Entity", from = "Column::EventId", to = "super::audited::Column::Id")]
        Event,
    }

    impl ActiveModelBehavior for ActiveModel {}
}

/// A foreign key to an entity that is not added.
pub mod orphan {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "orphan")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i32,
        pub owner_id: i32,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {
        #[sea_orm(
            belongs_to = "super::first_owner::Entity",
            from = "Column::OwnerId",
            to = "super::first_owner::Column::Id"
        )]
        Owner,
    }

    impl ActiveModelBehavior for ActiveModel {}
}

/// Two foreign keys that `fk_name` gives one name.
pub mod same_fk_name {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "same_fk_name")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i32,
        pub owner_id: i32,
        pub other_owner_id: i32,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {
        #[sea_orm(
            belongs_to = "super::first_owner::Entity",
            from = "Column::OwnerId",
            to = "super::first_owner::Column::Id",
            fk_name = "owner_fk"
        )]
        Owner,
        #[sea_orm(
            belongs_to = "super::first_owner::Entity",
            from = "Column::OtherOwnerId",
            to = "super::first_owner::Column::Id",
            fk_name = "owner_fk"
        )]
        OtherOwner,
    }

    impl ActiveModelBehavior for ActiveModel {}
}

/// One enum name with two lists of values.
pub mod moods {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, EnumIter, DeriveActiveEnum)]
    #[sea_orm(rs_type = "String", db_type = "Enum", enum_name = "mood")]
    pub enum Mood {
        #[sea_orm(string_value = "sad")]
        Sad,
        #[sea_orm(string_value = "happy")]
        Happy,
    }

    #[derive(Clone, Debug, PartialEq, Eq, EnumIter, DeriveActiveEnum)]
    #[sea_orm(rs_type = "String", db_type = "Enum", enum_name = "mood")]
    pub enum OtherMood {
        #[sea_orm(string_value = "sad")]
        Sad,
        #[sea_orm(string_value = "ok")]
        Ok,
    }

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "moods")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i32,
        pub mood: Mood,
        pub same_mood: Mood,
        pub other_mood: OtherMood,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

fn entity(name: &str) -> String {
    format!("errors::{name}::Entity")
}

#[test]
fn a_default_without_an_sql_form_is_refused() {
    let err = Models::default().entity::<column_default::Entity>().schema().unwrap_err();
    assert_eq!(
        err,
        SeaOrmError::UnsupportedDefault {
            entity: entity("column_default"),
            column: "copy".into(),
            expr: "\"id\"".into(),
        }
    );
    assert_eq!(
        err.to_string(),
        "entity `errors::column_default::Entity` column `copy` has the default `\"id\"`, which cannot be a server \
         default; use a literal, `Expr::current_timestamp()` or `Expr::cust(\"...\")`"
    );
    assert_eq!(
        Models::default().entity::<default_keyword::Entity>().schema(),
        Err(SeaOrmError::UnsupportedDefault {
            entity: entity("default_keyword"),
            column: "value".into(),
            expr: "DEFAULT".into(),
        })
    );
    assert_eq!(
        Models::default().entity::<subquery_default::Entity>().schema(),
        Err(SeaOrmError::UnsupportedDefault {
            entity: entity("subquery_default"),
            column: "flag".into(),
            expr: "EXISTS(SELECT 1)".into(),
        })
    );
}

#[test]
fn extra_sql_other_than_a_check_or_a_generated_column_is_refused() {
    let err = Models::default().entity::<collated::Entity>().metadata().unwrap_err();
    assert_eq!(
        err,
        SeaOrmError::UnsupportedExtra {
            entity: entity("collated"),
            column: "name".into(),
            extra: "COLLATE \"C\"".into(),
        }
    );
    assert_eq!(
        err.to_string(),
        "entity `errors::collated::Entity` column `name` has `extra = \"COLLATE \"C\"\"`, which the schema model \
         cannot hold; only `CHECK (...)` and `GENERATED ALWAYS AS (...) [STORED]` are understood"
    );
}

#[test]
fn auto_increment_needs_an_integer_key_without_a_default() {
    let err = Models::default().entity::<string_serial::Entity>().schema().unwrap_err();
    assert_eq!(
        err,
        SeaOrmError::AutoIncrementNotInteger {
            entity: entity("string_serial"),
            column: "code".into(),
            ty: aludel::schema::ColumnType::Varchar(None),
        }
    );
    assert_eq!(
        err.to_string(),
        "entity `errors::string_serial::Entity` column `code` is an auto-increment primary key of type `varchar`; \
         identity needs an integer column, or set `auto_increment = false`"
    );
    let err = Models::default().entity::<serial_with_default::Entity>().schema().unwrap_err();
    assert_eq!(
        err,
        SeaOrmError::AutoIncrementWithDefault { entity: entity("serial_with_default"), column: "id".into() }
    );
    assert_eq!(
        err.to_string(),
        "entity `errors::serial_with_default::Entity` column `id` is an auto-increment primary key with a default; \
         remove the default, or set `auto_increment = false`"
    );
}

#[test]
fn tables_in_a_named_schema_are_refused() {
    let err = Models::default().entity::<audited::Entity>().schema().unwrap_err();
    assert_eq!(
        err,
        SeaOrmError::SchemaName { entity: entity("audited"), schema: "audit".into(), table: "events".into() }
    );
    assert_eq!(
        err.to_string(),
        "entity `errors::audited::Entity` refers to the table `audit.events`; tables outside the default schema are \
         not supported yet, remove `schema_name`"
    );
    // A foreign key to such a table.
    assert_eq!(
        Models::default().entity::<referencing::Entity>().schema(),
        Err(SeaOrmError::SchemaName { entity: entity("referencing"), schema: "audit".into(), table: "events".into() })
    );
}

#[test]
fn two_entities_on_one_table_are_refused() {
    let err = Models::default().entity::<first_owner::Entity>().entity::<second_owner::Entity>().schema().unwrap_err();
    assert_eq!(
        err,
        SeaOrmError::DuplicateTable {
            table: "shared".into(),
            first: entity("first_owner"),
            second: entity("second_owner"),
        }
    );
    assert_eq!(
        err.to_string(),
        "entities `errors::first_owner::Entity` and `errors::second_owner::Entity` both define the table `shared`; \
         give one another `table_name`"
    );
}

#[test]
fn one_enum_name_with_two_lists_of_values_is_refused() {
    let err = Models::default().entity::<moods::Entity>().schema().unwrap_err();
    assert_eq!(
        err,
        SeaOrmError::ConflictingEnum {
            entity: entity("moods"),
            column: "other_mood".into(),
            name: "mood".into(),
            values: vec!["sad".into(), "ok".into()],
            other: vec!["sad".into(), "happy".into()],
        }
    );
    assert_eq!(
        err.to_string(),
        "entity `errors::moods::Entity` column `other_mood` declares enum `mood` as [sad, ok], but another column \
         declares it as [sad, happy]; one enum name must have one list of values"
    );
}

#[test]
fn a_foreign_key_to_an_entity_not_added_is_refused() {
    let err = Models::default().entity::<orphan::Entity>().schema().unwrap_err();
    assert_eq!(
        err,
        SeaOrmError::UnknownTable {
            entity: entity("orphan"),
            columns: vec!["owner_id".into()],
            table: "shared".into()
        }
    );
    assert_eq!(
        err.to_string(),
        "entity `errors::orphan::Entity` has a foreign key (owner_id) to the table `shared`, which no added entity \
         defines; add its entity with `Models::entity`"
    );
    // The order entities are added in does not matter.
    let schema = Models::default().entity::<orphan::Entity>().entity::<first_owner::Entity>().schema();
    assert!(schema.is_ok(), "{schema:?}");
}

#[test]
fn two_constraints_with_one_name_are_refused() {
    let err = Models::default().entity::<first_owner::Entity>().entity::<same_fk_name::Entity>().schema().unwrap_err();
    assert_eq!(err, SeaOrmError::DuplicateName { entity: entity("same_fk_name"), name: "owner_fk".into() });
    assert_eq!(
        err.to_string(),
        "entity `errors::same_fk_name::Entity` needs the constraint or index name `owner_fk`, which another \
         constraint or index has; give one of them another name (`fk_name`), mark one of two relations over the \
         same columns `skip_fk`, or shorten the table or column names"
    );
    // Conventional names shortened to 63 bytes (as PostgreSQL shortens them) can meet too.
    assert_eq!(
        Models::default().entity::<long_names::Entity>().schema(),
        Err(SeaOrmError::DuplicateName {
            entity: entity("long_names"),
            name: "long_names_a_very_long_column_name_that_goes_on_and_on_and__key".into(),
        })
    );
}
