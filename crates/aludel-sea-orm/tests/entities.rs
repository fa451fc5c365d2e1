//! Entities to schema, without a database: every column type and attribute of the entity set
//! in `common::models`, the metadata with its renames, and SeaORM's entity registry.

mod common;

use aludel::schema::{
    Column, ColumnType, Constraint, DefaultValue, Index, IndexKey, Literal, References, ReferentialAction,
};
use aludel_sea_orm::{Models, SeaOrmError};

use common::models;

#[test]
fn every_type_and_attribute_maps_to_the_schema() {
    let schema = models::all().schema().expect("the entity set maps");
    insta::assert_snapshot!(schema.to_json());
}

#[test]
fn auto_increment_keys_are_identity_columns_and_other_keys_are_not() {
    let schema = models::all().schema().expect("the entity set maps");
    let identity = |table: &str| -> Vec<(String, ColumnType)> {
        let table = schema.table(table).expect(table);
        table.columns.iter().filter(|c| c.identity).map(|c| (c.name.clone(), c.ty.clone())).collect()
    };
    assert_eq!(identity("numbers"), [("id".to_owned(), ColumnType::BigInt)]);
    assert_eq!(identity("network"), [("id".to_owned(), ColumnType::SmallInt)]);
    // An unsigned key is as wide as its values need.
    assert_eq!(identity("oddities"), [("id".to_owned(), ColumnType::BigInt)]);
    // `auto_increment = false`, string and UUID keys, and composite keys.
    for table in ["legacy_items", "strings", "documents", "accounts", "memberships", "followers"] {
        assert_eq!(identity(table), [], "{table}");
    }
    let memberships = schema.table("memberships").expect("memberships");
    assert_eq!(memberships.primary_key, ["account_id", "team_id"]);
    assert_eq!(memberships.primary_key_name.as_deref(), Some("memberships_pkey"));
}

#[test]
fn relations_become_foreign_keys_with_their_actions() {
    let schema = models::all().schema().expect("the entity set maps");
    let foreign_keys = |table: &str| -> Vec<Constraint> {
        let table = schema.table(table).expect(table);
        table.constraints.iter().filter(|c| matches!(c, Constraint::ForeignKey { .. })).cloned().collect()
    };
    let fk = |name: &str, columns: &[&str], table: &str, to: &[&str], on_delete, on_update| Constraint::ForeignKey {
        name: Some(name.to_owned()),
        columns: columns.iter().map(|c| (*c).to_owned()).collect(),
        references: References { table: table.to_owned(), columns: to.iter().map(|c| (*c).to_owned()).collect() },
        on_delete,
        on_update,
    };
    use ReferentialAction::{Cascade, NoAction, Restrict, SetDefault, SetNull};
    assert_eq!(
        foreign_keys("teams"),
        [fk("teams_parent_id_fkey", &["parent_id"], "teams", &["id"], Some(SetNull), Some(Cascade))]
    );
    assert_eq!(
        foreign_keys("memberships"),
        [
            fk("memberships_account_id_fkey", &["account_id"], "accounts", &["id"], Some(Cascade), None),
            fk("memberships_team_fk", &["team_id"], "teams", &["id"], Some(Restrict), Some(NoAction)),
        ]
    );
    // A composite key; `skip_fk` declares none.
    assert_eq!(
        foreign_keys("grants"),
        [fk(
            "grants_account_id_team_id_fkey",
            &["account_id", "team_id"],
            "memberships",
            &["account_id", "team_id"],
            Some(Cascade),
            Some(Cascade)
        )]
    );
    // SeaORM 2's format: the owning side only, a self-reference, and `SetDefault`.
    assert_eq!(
        foreign_keys("posts"),
        [
            fk("posts_author_id_fkey", &["author_id"], "authors", &["id"], Some(Cascade), None),
            fk("posts_editor_id_fkey", &["editor_id"], "authors", &["id"], Some(SetDefault), Some(Restrict)),
            fk("posts_reply_to_id_fkey", &["reply_to_id"], "posts", &["id"], Some(SetNull), None),
        ]
    );
    assert_eq!(
        foreign_keys("followers"),
        [
            fk("followers_author_id_fkey", &["author_id"], "authors", &["id"], None, None),
            fk("followers_follower_id_fkey", &["follower_id"], "authors", &["id"], Some(NoAction), None),
        ]
    );
}

#[test]
fn uniques_indexes_checks_and_generated_columns() {
    let schema = models::all().schema().expect("the entity set maps");
    let accounts = schema.table("accounts").expect("accounts");
    let unique = |name: &str, columns: &[&str]| Constraint::Unique {
        name: Some(name.to_owned()),
        columns: columns.iter().map(|c| (*c).to_owned()).collect(),
    };
    assert_eq!(
        accounts.constraints,
        [
            unique("accounts_email_key", &["email"]),
            // `unique` with `indexed` is one unique constraint, without a second index.
            unique("accounts_handle_key", &["handle"]),
            Constraint::Check { name: Some("accounts_age_check".into()), expr: "age >= 0".into() },
        ]
    );
    let age_months = accounts.column("age_months").expect("age_months");
    assert_eq!(age_months.generated.as_ref().map(|g| (g.expr.as_str(), g.stored)), Some(("age * 12", true)));
    // `ignore` leaves the field out; `column_name` renames it.
    assert!(accounts.column("cached").is_none());
    assert_eq!(accounts.column("name").and_then(|c| c.comment.as_deref()), Some("shown to others"));
    assert_eq!(accounts.comment.as_deref(), Some("people who sign in"));

    let on = |table: &str| -> Vec<(String, Vec<IndexKey>, bool)> {
        schema.indexes_on(table).map(|i| (i.name.clone(), i.columns.clone(), i.unique)).collect()
    };
    let columns = |names: &[&str]| names.iter().map(|n| IndexKey::Column((*n).to_owned())).collect::<Vec<_>>();
    // `unique_key` groups are unique indexes, as SeaORM creates them, named after their columns.
    assert_eq!(
        on("accounts"),
        [
            ("ix_accounts_alone".to_owned(), columns(&["alone"]), true),
            ("ix_accounts_nickname".to_owned(), columns(&["nickname"]), false),
            ("ix_accounts_tenant_seat".to_owned(), columns(&["tenant", "seat"]), true),
        ]
    );
    assert_eq!(on("grants"), [("ix_grants_permission".to_owned(), columns(&["permission"]), false)]);
    // `unique` on a one-column primary key says nothing more.
    assert_eq!(schema.table("legacy_items").map(|t| t.constraints.len()), Some(0));
}

#[test]
fn defaults_are_literals_portable_expressions_or_sql() {
    let schema = models::all().schema().expect("the entity set maps");
    let default = |table: &str, column: &str| -> Option<DefaultValue> {
        schema.table(table).and_then(|t| t.column(column)).unwrap_or_else(|| panic!("{table}.{column}")).default.clone()
    };
    let value = |literal| Some(DefaultValue::Value(literal));
    assert_eq!(default("numbers", "seven"), value(Literal::Int(7)));
    assert_eq!(default("numbers", "minus_three"), value(Literal::Int(-3)));
    assert_eq!(default("numbers", "half"), value(Literal::Float(0.5)));
    assert_eq!(default("strings", "quoted"), value(Literal::String("it's".into())));
    assert_eq!(default("strings", "empty"), value(Literal::String(String::new())));
    assert_eq!(default("documents", "active"), value(Literal::Bool(true)));
    assert_eq!(default("moments", "epoch_day"), value(Literal::String("2020-01-31".into())));
    assert_eq!(
        default("moments", "created_at"),
        Some(DefaultValue::Expr(aludel::schema::PortableExpr::CurrentTimestamp))
    );
    // An active enum's default is its label, whichever way it is written.
    assert_eq!(default("moods", "usual"), value(Literal::String("ok".into())));
    assert_eq!(default("moods", "worst"), value(Literal::String("sad".into())));
    assert_eq!(default("moods", "usual_shade"), value(Literal::String("dark_blue".into())));
    assert_eq!(default("moods", "best"), value(Literal::String("happy".into())));
    assert_eq!(default("moods", "usual_priority"), value(Literal::Int(1)));
    // `DEFAULT NULL` is no default, typed or not.
    assert_eq!(default("numbers", "typed_null"), None);
    assert_eq!(default("strings", "null"), None);
    assert_eq!(default("accounts", "joined"), Some(DefaultValue::Sql("'x' || 'y'".into())));
    assert_eq!(default("accounts", "bio"), None);
}

#[test]
fn active_enums_declare_enum_types() {
    let schema = models::all().schema().expect("the entity set maps");
    let enums: Vec<(&str, Vec<&str>)> =
        schema.enums.values().map(|e| (e.name.as_str(), e.values.iter().map(String::as_str).collect())).collect();
    // Only native enums are types; string and integer backed ones are plain columns.
    assert_eq!(enums, [("mood", vec!["sad", "ok", "happy"]), ("shade", vec!["light_grey", "dark_blue"])]);
    let moods = schema.table("moods").expect("moods");
    let ty = |column: &str| moods.column(column).map(|c| c.ty.to_string());
    assert_eq!(ty("mood").as_deref(), Some("enum:mood"));
    assert_eq!(ty("size").as_deref(), Some("varchar(1)"));
    assert_eq!(ty("priority").as_deref(), Some("integer"));
    assert_eq!(ty("level").as_deref(), Some("smallint"));
    let arrays = schema.table("arrays").expect("arrays");
    assert_eq!(arrays.column("moods").map(|c| c.ty.to_string()).as_deref(), Some("enum:mood[]"));
}

#[test]
fn metadata_carries_renamed_from_as_column_renames() {
    let metadata = models::all().metadata().expect("the entity set maps");
    let renames: Vec<(&str, &str, &str)> = metadata
        .renames
        .columns
        .iter()
        .map(|((table, column), old)| (table.as_str(), column.as_str(), old.as_str()))
        .collect();
    assert_eq!(renames, [("accounts", "bio", "about"), ("accounts", "score", "points")]);
    assert!(metadata.renames.tables.is_empty());
    // The marker SeaORM keeps in the comment is not part of the comment.
    let accounts = metadata.schema.table("accounts").expect("accounts");
    assert_eq!(accounts.column("score").map(|c| c.comment.clone()), Some(None));
    assert_eq!(accounts.column("bio").and_then(|c| c.comment.as_deref()), Some("free text"));
    assert_eq!(metadata.schema, models::all().schema().expect("the entity set maps"));
}

#[test]
fn metadata_takes_what_entities_cannot_say() {
    let metadata = models::portable()
        .metadata()
        .expect("the entity set maps")
        .check("accounts", "accounts_score_check", "score >= 0")
        .expect("the check fits");
    let metadata = metadata
        .index(Index {
            name: "ix_accounts_email_lower".into(),
            table: "accounts".into(),
            columns: vec![IndexKey::Expr { expr: "lower(email)".into() }],
            unique: true,
            predicate: Some("nickname IS NOT NULL".into()),
            method: None,
            key_options: Vec::new(),
            include: Vec::new(),
        })
        .expect("the index fits");
    assert!(metadata.schema.indexes.contains_key("ix_accounts_email_lower"));
    let checks = metadata.schema.table("accounts").map(|t| t.constraints.iter().filter_map(Constraint::name).count());
    assert_eq!(checks, Some(4));
    let err = metadata.check("nowhere", "c", "true").expect_err("no such table");
    assert!(matches!(err, aludel::models::MetadataError::UnknownTable { table, .. } if table == "nowhere"));
}

#[test]
fn adding_an_entity_twice_adds_it_once() {
    let twice = Models::default().entity::<models::teams::Entity>().entity::<models::teams::Entity>();
    let once = Models::default().entity::<models::teams::Entity>();
    assert_eq!(twice.schema(), once.schema());
    assert_eq!(format!("{twice:?}"), format!("{once:?}"));
}

#[test]
fn the_registry_lists_every_entity_module() {
    assert_eq!(
        Models::registered_modules("entities::common::models"),
        [
            "entities::common::models::accounts",
            "entities::common::models::arrays",
            "entities::common::models::authors",
            "entities::common::models::documents",
            "entities::common::models::followers",
            "entities::common::models::grants",
            "entities::common::models::legacy",
            "entities::common::models::memberships",
            "entities::common::models::moments",
            "entities::common::models::moods",
            "entities::common::models::network",
            "entities::common::models::numbers",
            "entities::common::models::oddities",
            "entities::common::models::posts",
            "entities::common::models::strings",
            "entities::common::models::teams",
        ]
    );
    // The prefix matches whole path segments, and takes SeaORM's spellings.
    assert_eq!(Models::registered_modules("entities::common::models::post"), Vec::<&str>::new());
    assert_eq!(Models::registered_modules("entities::common::models::posts::*"), ["entities::common::models::posts"]);
}

#[test]
fn every_registered_entity_added_passes_the_registry_check() {
    let schema = models::all().require_registered("entities::common::models").schema().expect("every entity is added");
    assert_eq!(schema.tables.len(), 16);
}

#[test]
fn an_entity_registered_but_not_added_is_an_error() {
    let missing = models::portable()
        .entity::<models::network::Entity>()
        .entity::<models::oddities::Entity>()
        .require_registered("entities::common");
    assert_eq!(
        missing.schema(),
        Err(SeaOrmError::NotAdded {
            module_path: "entities::common::models::arrays".into(),
            prefix: "entities::common".into(),
        })
    );
    assert_eq!(
        missing.metadata().map(|_| ()).map_err(|e| e.to_string()),
        Err("SeaORM's entity registry has an entity in `entities::common::models::arrays` (under \
             `entities::common`) that was not added; add it with \
             `Models::entity::<entities::common::models::arrays::Entity>()`"
            .into())
    );
    // A prefix no entity lives under asks for nothing.
    let schema = Models::default().require_registered("elsewhere").schema().expect("nothing is registered there");
    assert!(schema.tables.is_empty());
}

#[test]
fn a_column_keeps_every_attribute_it_declares() {
    let schema = models::all().schema().expect("the entity set maps");
    let documents = schema.table("documents").expect("documents");
    let settings = documents.column("settings").expect("settings");
    assert_eq!(
        settings,
        &Column {
            name: "settings".into(),
            ty: ColumnType::Jsonb,
            nullable: false,
            default: Some(DefaultValue::Value(Literal::String("{}".into()))),
            on_update: None,
            identity: false,
            serial: false,
            identity_always: false,
            generated: None,
            comment: None,
            collation: None,
        }
    );
    let token = documents.column("token").expect("token");
    assert!(token.nullable);
    let strings = schema.table("strings").expect("strings");
    assert!(strings.column("aside").expect("aside").nullable, "`nullable` without Option");
    assert!(strings.column("type").is_some(), "a raw identifier loses its `r#`");
    let legacy = schema.table("legacy_items").expect("legacy_items");
    let names: Vec<&str> = legacy.columns.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["itemNumber", "displayTitle", "KEPT"]);
}

/// A table whose constraints the entity leaves to the naming convention.
pub mod checked {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "checked")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i32,
        #[sea_orm(unique)]
        pub email: String,
        #[sea_orm(extra = "CHECK (age >= 0)")]
        pub age: i32,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

#[test]
fn entities_and_schema_sql_name_constraints_alike() {
    use std::path::Path;

    use aludel::diff::{DiffOptions, diff};
    use aludel::ops::Op;

    let entity = Models::default().entity::<checked::Entity>().schema().expect("the entity maps");
    // The same table in a schema.sql, its constraints unnamed.
    let sql = "CREATE TABLE checked (id serial PRIMARY KEY, email varchar NOT NULL UNIQUE, \
               age integer NOT NULL CHECK (age >= 0));";
    let file = aludel::models::parse_schema_sql(sql, aludel::dialect::Backend::Postgres, Path::new("schema.sql"))
        .expect("the file parses");
    // A database with the table and none of its constraints: the names autogenerate adds them by.
    let mut database = file.clone();
    let bare = database.tables.get_mut("checked").expect("checked");
    bare.constraints.clear();
    let added = |models: &aludel::schema::Schema| -> Vec<String> {
        diff(&database, models, &DiffOptions::default())
            .upgrade
            .iter()
            .filter_map(|op| match op {
                Op::AddConstraint { constraint, .. } => constraint.name().map(str::to_owned),
                _ => None,
            })
            .collect()
    };
    assert_eq!(added(&file), ["checked_email_key", "checked_age_check"]);
    assert_eq!(added(&entity), added(&file));
    assert_eq!(entity.table("checked").expect("checked").primary_key_name.as_deref(), Some("checked_pkey"));
}
