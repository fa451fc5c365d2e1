//! The entity set the tests read: every column type and attribute SeaORM 2 offers, relations
//! with every action, a self-reference, composite keys, and both entity formats (the classic
//! `Relation` enum and 2.0's `#[sea_orm::model]` with relation fields).
//!
//! Types that only some backends have live in their own entities, so each test picks the
//! entities its backend can create: [`arrays`] (PostgreSQL arrays), [`network`] (PostgreSQL
//! types SeaORM's SQLite DDL refuses) and [`oddities`] (types SeaORM's own DDL refuses on
//! PostgreSQL and SQLite). `network` stays off SQLite, which cannot parse a type such as
//! `interval YEAR TO MONTH`.

use aludel_sea_orm::Models;
use sea_orm::schema::SchemaBuilder;

/// Every entity of this module that PostgreSQL can create.
pub fn postgres() -> Models {
    portable().entity::<arrays::Entity>().entity::<network::Entity>()
}

/// Every entity of this module that SQLite can create.
pub fn sqlite() -> Models {
    portable().entity::<oddities::Entity>()
}

/// Every entity of this module.
pub fn all() -> Models {
    postgres().entity::<oddities::Entity>()
}

/// The entities every backend can create.
pub fn portable() -> Models {
    Models::default()
        .entity::<numbers::Entity>()
        .entity::<strings::Entity>()
        .entity::<moments::Entity>()
        .entity::<documents::Entity>()
        .entity::<moods::Entity>()
        .entity::<accounts::Entity>()
        .entity::<teams::Entity>()
        .entity::<memberships::Entity>()
        .entity::<grants::Entity>()
        .entity::<authors::Entity>()
        .entity::<posts::Entity>()
        .entity::<followers::Entity>()
        .entity::<legacy::Entity>()
}

/// The entities SeaORM's own DDL can create on every backend, for [`SchemaBuilder::apply`]:
/// those of [`portable`].
pub fn register_portable(builder: SchemaBuilder) -> SchemaBuilder {
    builder
        .register(numbers::Entity)
        .register(strings::Entity)
        .register(moments::Entity)
        .register(documents::Entity)
        .register(moods::Entity)
        .register(accounts::Entity)
        .register(teams::Entity)
        .register(memberships::Entity)
        .register(grants::Entity)
        .register(authors::Entity)
        .register(posts::Entity)
        .register(followers::Entity)
        .register(legacy::Entity)
}

/// The entities of [`postgres`] that SeaORM's own DDL can create on PostgreSQL once those of
/// [`register_portable`] exist. SeaORM creates an enum type with a table that has a column of
/// it, not with one that only has an array of it, and orders tables by their foreign keys
/// alone: `arrays` must come after `moods`, in a second step.
pub fn register_postgres_extras(builder: SchemaBuilder) -> SchemaBuilder {
    builder.register(arrays::Entity).register(network::Entity)
}

/// Active enums of every kind: native (`db_type = "Enum"`), string and integer backed.
pub mod kinds {
    use sea_orm::entity::prelude::*;

    /// A native enum type with explicit labels.
    #[derive(Clone, Debug, PartialEq, Eq, EnumIter, DeriveActiveEnum)]
    #[sea_orm(rs_type = "String", db_type = "Enum", enum_name = "mood")]
    pub enum Mood {
        #[sea_orm(string_value = "sad")]
        Sad,
        #[sea_orm(string_value = "ok")]
        Ok,
        #[sea_orm(string_value = "happy")]
        Happy,
    }

    /// A native enum type whose labels come from the variant names.
    #[derive(Clone, Debug, PartialEq, Eq, EnumIter, DeriveActiveEnum)]
    #[sea_orm(db_type = "Enum", enum_name = "shade", rename_all = "snake_case")]
    pub enum Shade {
        LightGrey,
        DarkBlue,
    }

    /// Stored as a one-character string.
    #[derive(Clone, Debug, PartialEq, Eq, EnumIter, DeriveActiveEnum)]
    #[sea_orm(rs_type = "String", db_type = "String(StringLen::N(1))")]
    pub enum Size {
        #[sea_orm(string_value = "S")]
        Small,
        #[sea_orm(string_value = "L")]
        Large,
    }

    /// Stored as an integer.
    #[derive(Clone, Debug, PartialEq, Eq, EnumIter, DeriveActiveEnum)]
    #[sea_orm(rs_type = "i32", db_type = "Integer")]
    pub enum Priority {
        #[sea_orm(num_value = 1)]
        Low,
        #[sea_orm(num_value = 2)]
        High,
    }

    /// Stored as a tiny integer.
    #[derive(Clone, Debug, PartialEq, Eq, EnumIter, DeriveActiveEnum)]
    #[sea_orm(rs_type = "i8", db_type = "TinyInteger")]
    pub enum Level {
        #[sea_orm(num_value = 0)]
        Zero,
        #[sea_orm(num_value = 9)]
        Nine,
    }
}

/// Integers of every width, signed and unsigned, floats and decimals.
pub mod numbers {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "numbers", comment = "every numeric type")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub tiny: i8,
        pub small: i16,
        pub int: i32,
        pub big: i64,
        pub tiny_unsigned: u8,
        pub small_unsigned: u16,
        pub unsigned: u32,
        pub big_unsigned: u64,
        pub float: f32,
        pub double: f64,
        pub decimal: Decimal,
        #[sea_orm(column_type = "Decimal(Some((10, 2)))")]
        pub price: Decimal,
        pub maybe: Option<i32>,
        pub epoch: ChronoUnixTimestamp,
        #[sea_orm(default_value = 7)]
        pub seven: i32,
        #[sea_orm(default_value = -3)]
        pub minus_three: i64,
        #[sea_orm(default_value = 0.5)]
        pub half: f64,
        #[sea_orm(default_value = 2.5)]
        pub ratio: Decimal,
        #[sea_orm(default_expr = "Expr::value(Option::<i32>::None)")]
        pub typed_null: Option<i32>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// Strings with and without a length, fixed-length characters and text; a string primary key.
pub mod strings {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "strings")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub code: String,
        pub name: String,
        #[sea_orm(column_type = "String(StringLen::N(40))")]
        pub short: String,
        #[sea_orm(column_type = "String(StringLen::Max)")]
        pub long: String,
        #[sea_orm(column_type = "Text")]
        pub body: String,
        #[sea_orm(column_type = "Char(Some(3))")]
        pub initials: String,
        #[sea_orm(column_type = "Char(None)")]
        pub grade: String,
        pub note: Option<String>,
        #[sea_orm(nullable)]
        pub aside: String,
        pub r#type: String,
        pub text_uuid: TextUuid,
        #[sea_orm(column_type = "custom(\"citext\")", select_as = "text", save_as = "citext")]
        pub login: String,
        #[sea_orm(default_value = "it's")]
        pub quoted: String,
        #[sea_orm(default_value = "")]
        pub empty: String,
        #[sea_orm(default_expr = "Expr::null()")]
        pub null: Option<String>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// Dates, times and timestamps through chrono, with the portable default expressions.
pub mod moments {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "moments")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i32,
        pub day: Date,
        pub clock: Time,
        pub naive: DateTime,
        #[sea_orm(column_type = "Timestamp")]
        pub stamp: DateTime,
        pub utc: DateTimeUtc,
        pub local: DateTimeLocal,
        pub zoned: DateTimeWithTimeZone,
        pub maybe: Option<DateTimeUtc>,
        #[sea_orm(default_expr = "Expr::current_timestamp()")]
        pub created_at: DateTimeUtc,
        #[sea_orm(default_expr = "Expr::current_date()")]
        pub created_on: Date,
        #[sea_orm(default_expr = "Expr::current_time()")]
        pub created_time: Time,
        #[sea_orm(default_value = "2020-01-31")]
        pub epoch_day: Date,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// Booleans, UUIDs, JSON and binary strings; a UUID primary key.
pub mod documents {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "documents")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: Uuid,
        pub token: Option<Uuid>,
        pub data: Json,
        #[sea_orm(column_type = "JsonBinary")]
        pub data_binary: Json,
        #[sea_orm(column_type = "JsonBinary", default_value = "{}")]
        pub settings: Json,
        pub raw: Vec<u8>,
        #[sea_orm(column_type = "Binary(16)")]
        pub digest: Vec<u8>,
        #[sea_orm(column_type = "VarBinary(StringLen::N(64))")]
        pub short_raw: Vec<u8>,
        #[sea_orm(column_type = "Blob")]
        pub blob: Vec<u8>,
        pub flag: bool,
        #[sea_orm(default_value = true)]
        pub active: bool,
        #[sea_orm(default_value = false)]
        pub hidden: bool,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// Columns of active enums, with defaults.
pub mod moods {
    use sea_orm::entity::prelude::*;

    use super::kinds::{Level, Mood, Priority, Shade, Size};

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "moods")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i32,
        pub mood: Mood,
        #[sea_orm(default_value = "ok")]
        pub usual: Mood,
        #[sea_orm(default_expr = "sea_orm::sea_query::ExprTrait::as_enum(Expr::val(\"sad\"), \"mood\")")]
        pub worst: Mood,
        pub maybe: Option<Mood>,
        pub shade: Shade,
        #[sea_orm(default_expr = "Expr::val(Shade::DarkBlue)")]
        pub usual_shade: Shade,
        #[sea_orm(default_expr = "Expr::val(Mood::Happy)")]
        pub best: Mood,
        pub size: Size,
        #[sea_orm(default_value = "L")]
        pub usual_size: Size,
        pub priority: Priority,
        #[sea_orm(default_value = 1)]
        pub usual_priority: Priority,
        pub level: Option<Level>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// Every column attribute: keys, uniqueness, indexes, defaults, renames, comments, checks,
/// generated columns, ignored fields and custom types.
pub mod accounts {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "accounts", comment = "people who sign in")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        #[sea_orm(unique)]
        pub email: String,
        #[sea_orm(unique, indexed)]
        pub handle: String,
        #[sea_orm(column_name = "name", comment = "shown to others")]
        pub display_name: String,
        #[sea_orm(indexed)]
        pub nickname: Option<String>,
        #[sea_orm(renamed_from = "points")]
        pub score: i32,
        #[sea_orm(renamed_from = "about", comment = "free text")]
        pub bio: Option<String>,
        #[sea_orm(default_value = 0)]
        pub logins: i32,
        #[sea_orm(default_value = "en")]
        pub locale: String,
        #[sea_orm(extra = "CHECK (age >= 0)")]
        pub age: i32,
        #[sea_orm(extra = "GENERATED ALWAYS AS (age * 12) STORED")]
        pub age_months: i32,
        #[sea_orm(unique_key = "seat")]
        pub tenant: i32,
        #[sea_orm(unique_key = "seat")]
        pub seat: i32,
        #[sea_orm(unique_key = "alone")]
        pub alone: i32,
        #[sea_orm(ignore)]
        pub cached: i32,
        #[sea_orm(default_expr = "Expr::cust(\"'x' || 'y'\")")]
        pub joined: String,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {
        #[sea_orm(has_many = "super::memberships::Entity")]
        Memberships,
    }

    impl Related<super::memberships::Entity> for Entity {
        fn to() -> RelationDef {
            Relation::Memberships.def()
        }
    }

    impl ActiveModelBehavior for ActiveModel {}
}

/// A self-reference with both actions, in the classic format.
pub mod teams {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "teams")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i32,
        #[sea_orm(unique)]
        pub name: String,
        pub parent_id: Option<i32>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {
        #[sea_orm(
            belongs_to = "Entity",
            from = "Column::ParentId",
            to = "Column::Id",
            on_delete = "SetNull",
            on_update = "Cascade"
        )]
        Parent,
        #[sea_orm(has_many = "super::memberships::Entity")]
        Memberships,
    }

    impl Related<super::memberships::Entity> for Entity {
        fn to() -> RelationDef {
            Relation::Memberships.def()
        }
    }

    impl ActiveModelBehavior for ActiveModel {}
}

/// A composite primary key of two foreign keys, one with a custom constraint name.
pub mod memberships {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "memberships")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub account_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub team_id: i32,
        #[sea_orm(default_value = "member")]
        pub role: String,
        #[sea_orm(unique)]
        pub badge: Option<i32>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {
        #[sea_orm(
            belongs_to = "super::accounts::Entity",
            from = "Column::AccountId",
            to = "super::accounts::Column::Id",
            on_delete = "Cascade"
        )]
        Account,
        #[sea_orm(
            belongs_to = "super::teams::Entity",
            from = "Column::TeamId",
            to = "super::teams::Column::Id",
            on_delete = "Restrict",
            on_update = "NoAction",
            fk_name = "memberships_team_fk"
        )]
        Team,
        #[sea_orm(has_many = "super::grants::Entity")]
        Grants,
    }

    impl Related<super::accounts::Entity> for Entity {
        fn to() -> RelationDef {
            Relation::Account.def()
        }
    }

    impl Related<super::teams::Entity> for Entity {
        fn to() -> RelationDef {
            Relation::Team.def()
        }
    }

    impl Related<super::grants::Entity> for Entity {
        fn to() -> RelationDef {
            Relation::Grants.def()
        }
    }

    impl ActiveModelBehavior for ActiveModel {}
}

/// A composite foreign key, and a relation that declares no foreign key (`skip_fk`).
pub mod grants {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "grants")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub account_id: Uuid,
        pub team_id: i32,
        #[sea_orm(indexed)]
        pub permission: String,
        pub granted_by: Option<Uuid>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {
        #[sea_orm(
            belongs_to = "super::memberships::Entity",
            from = "(Column::AccountId, Column::TeamId)",
            to = "(super::memberships::Column::AccountId, super::memberships::Column::TeamId)",
            on_delete = "Cascade",
            on_update = "Cascade"
        )]
        Membership,
        #[sea_orm(
            belongs_to = "super::accounts::Entity",
            from = "Column::GrantedBy",
            to = "super::accounts::Column::Id",
            skip_fk
        )]
        Grantor,
    }

    impl Related<super::memberships::Entity> for Entity {
        fn to() -> RelationDef {
            Relation::Membership.def()
        }
    }

    impl ActiveModelBehavior for ActiveModel {}
}

/// SeaORM 2's format: an entity that others belong to.
pub mod authors {
    use sea_orm::entity::prelude::*;

    #[sea_orm::model]
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "authors")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i32,
        #[sea_orm(unique)]
        pub pen_name: String,
        #[sea_orm(has_many, relation_enum = "Posts", via_rel = "Author")]
        pub posts: HasMany<super::posts::Entity>,
    }

    impl ActiveModelBehavior for ActiveModel {}
}

/// SeaORM 2's format: relations as fields, two to one table, a self-reference, `SetDefault`.
pub mod posts {
    use sea_orm::entity::prelude::*;

    #[sea_orm::model]
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "posts")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub author_id: i32,
        #[sea_orm(default_value = 1)]
        pub editor_id: i32,
        pub reply_to_id: Option<i64>,
        #[sea_orm(unique)]
        pub slug: String,
        #[sea_orm(belongs_to, relation_enum = "Author", from = "author_id", to = "id", on_delete = "Cascade")]
        pub author: BelongsTo<super::authors::Entity>,
        #[sea_orm(
            belongs_to,
            relation_enum = "Editor",
            from = "editor_id",
            to = "id",
            on_delete = "SetDefault",
            on_update = "Restrict"
        )]
        pub editor: BelongsTo<super::authors::Entity>,
        #[sea_orm(
            self_ref,
            relation_enum = "ReplyTo",
            relation_reverse = "Replies",
            from = "reply_to_id",
            to = "id",
            on_delete = "SetNull"
        )]
        pub reply_to: BelongsTo<Option<Entity>>,
        #[sea_orm(self_ref, relation_enum = "Replies", relation_reverse = "ReplyTo")]
        pub replies: HasMany<Entity>,
    }

    impl ActiveModelBehavior for ActiveModel {}
}

/// SeaORM 2's format: a composite primary key of two foreign keys to one table.
pub mod followers {
    use sea_orm::entity::prelude::*;

    #[sea_orm::model]
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "followers")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub author_id: i32,
        #[sea_orm(primary_key)]
        pub follower_id: i32,
        #[sea_orm(belongs_to, relation_enum = "Author", from = "author_id", to = "id")]
        pub author: BelongsTo<super::authors::Entity>,
        #[sea_orm(belongs_to, relation_enum = "Follower", from = "follower_id", to = "id", on_delete = "NoAction")]
        pub follower: BelongsTo<super::authors::Entity>,
    }

    impl ActiveModelBehavior for ActiveModel {}
}

/// Column names from `rename_all`, and a non-identity integer primary key that is `unique`
/// too (which says nothing more).
pub mod legacy {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "legacy_items", rename_all = "camelCase")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false, unique)]
        pub item_number: i32,
        pub display_title: String,
        #[sea_orm(column_name = "KEPT")]
        pub kept_as_is: bool,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// PostgreSQL arrays, of scalars and of a native enum.
pub mod arrays {
    use sea_orm::entity::prelude::*;

    use super::kinds::Mood;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "arrays")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i32,
        pub tags: Vec<String>,
        pub scores: Vec<i32>,
        pub maybe: Option<Vec<f64>>,
        pub moods: Vec<Mood>,
        #[sea_orm(column_type = "Array(RcOrArc::new(ColumnType::Text))")]
        pub notes: Vec<String>,
        #[sea_orm(column_type = "Array(RcOrArc::new(ColumnType::String(StringLen::N(8))))")]
        pub codes: Vec<String>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// PostgreSQL's own types: network addresses, bit strings, money, intervals and `ltree`.
pub mod network {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "network")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i16,
        #[sea_orm(column_type = "Inet")]
        pub ip: String,
        #[sea_orm(column_type = "Cidr")]
        pub net: String,
        #[sea_orm(column_type = "MacAddr")]
        pub mac: String,
        #[sea_orm(column_type = "Bit(Some(3))")]
        pub bits: String,
        #[sea_orm(column_type = "Bit(None)")]
        pub bit: String,
        #[sea_orm(column_type = "VarBit(8)")]
        pub varbits: String,
        #[sea_orm(column_type = "Money(None)")]
        pub cash: Decimal,
        #[sea_orm(column_type = "Interval(None, None)")]
        pub span: String,
        #[sea_orm(column_type = "Interval(Some(sea_orm::sea_query::PgInterval::YearToMonth), None)")]
        pub months: String,
        #[sea_orm(column_type = "Interval(None, Some(3))")]
        pub precise: String,
        #[sea_orm(column_type = "LTree")]
        pub path: String,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// Types SeaORM's own DDL refuses on PostgreSQL and SQLite (MySQL's `YEAR`; pgvector's
/// `vector`, an extension this server lacks), and an auto-increment unsigned key, which
/// SeaORM cannot create on PostgreSQL.
pub mod oddities {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "oddities")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: u32,
        #[sea_orm(column_type = "Year")]
        pub year: i16,
        #[sea_orm(column_type = "Vector(Some(3))")]
        pub embedding: String,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}
