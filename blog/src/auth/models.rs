//! The auth domain's tables, as SeaORM entities (aludel's model source): `users` and
//! `refresh_tokens`. Constraint and index names follow the project's convention, which the
//! SeaORM adapter applies.

/// A registered user.
pub mod user {
    use sea_orm::entity::prelude::*;

    /// A row of `users`.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "users")]
    pub struct Model {
        /// The id.
        #[sea_orm(primary_key)]
        pub id: i64,
        /// The email address, lower-cased: the login name (`users_email_key`).
        #[sea_orm(unique, column_type = "String(StringLen::N(255))")]
        pub email: String,
        /// The argon2id hash of the password (PHC string).
        #[sea_orm(column_type = "Text")]
        pub password_hash: String,
        /// The name shown with the user's posts.
        #[sea_orm(column_type = "String(StringLen::N(100))", nullable)]
        pub display_name: Option<String>,
        /// When the user registered.
        pub created_at: DateTimeUtc,
    }

    /// Relations of `users`.
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// A refresh token, stored as a hash: the token itself is only ever in the client's hands.
pub mod refresh_token {
    use sea_orm::entity::prelude::*;

    /// A row of `refresh_tokens`.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "refresh_tokens")]
    pub struct Model {
        /// The id.
        #[sea_orm(primary_key)]
        pub id: i64,
        /// The user it was issued to (`refresh_tokens_user_id_fkey`, `ix_refresh_tokens_user_id`).
        #[sea_orm(indexed)]
        pub user_id: i64,
        /// SHA-256 of the token, hex (`refresh_tokens_token_hash_key`).
        #[sea_orm(unique, column_type = "String(StringLen::N(64))")]
        pub token_hash: String,
        /// When it was issued.
        pub created_at: DateTimeUtc,
        /// When it stops working.
        pub expires_at: DateTimeUtc,
        /// When it was rotated (exchanged for a new pair); it never works again after, and using
        /// it again ends every session of its user. Logging out deletes the row instead.
        pub revoked_at: Option<DateTimeUtc>,
    }

    /// Relations of `refresh_tokens`.
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {
        /// The owner; the user's tokens go with the user.
        #[sea_orm(
            belongs_to = "super::user::Entity",
            from = "Column::UserId",
            to = "super::user::Column::Id",
            on_delete = "Cascade"
        )]
        User,
    }

    impl Related<super::user::Entity> for Entity {
        fn to() -> RelationDef {
            Relation::User.def()
        }
    }

    impl ActiveModelBehavior for ActiveModel {}
}
