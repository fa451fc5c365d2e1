//! The posts domain's tables, as SeaORM entities (aludel's model source): `posts` and their
//! `attachments` (the files themselves live in object storage).

/// A blog post.
pub mod post {
    use sea_orm::entity::prelude::*;

    /// A row of `posts`.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "posts")]
    pub struct Model {
        /// The id.
        #[sea_orm(primary_key)]
        pub id: i64,
        /// The author (`posts_author_id_fkey`, `ix_posts_author_id`).
        #[sea_orm(indexed)]
        pub author_id: i64,
        /// The title.
        #[sea_orm(column_type = "String(StringLen::N(200))")]
        pub title: String,
        /// The text.
        #[sea_orm(column_type = "Text")]
        pub body: String,
        /// When it was written; lists are newest first (`ix_posts_created_at`).
        #[sea_orm(indexed)]
        pub created_at: DateTimeUtc,
        /// When it was last edited.
        pub updated_at: DateTimeUtc,
    }

    /// Relations of `posts`.
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {
        /// The author; a user's posts go with the user.
        #[sea_orm(
            belongs_to = "crate::auth::models::user::Entity",
            from = "Column::AuthorId",
            to = "crate::auth::models::user::Column::Id",
            on_delete = "Cascade"
        )]
        Author,
        /// The files attached to it.
        #[sea_orm(has_many = "super::attachment::Entity")]
        Attachments,
    }

    impl Related<crate::auth::models::user::Entity> for Entity {
        fn to() -> RelationDef {
            Relation::Author.def()
        }
    }

    impl Related<super::attachment::Entity> for Entity {
        fn to() -> RelationDef {
            Relation::Attachments.def()
        }
    }

    impl ActiveModelBehavior for ActiveModel {}
}

/// A file attached to a post.
pub mod attachment {
    use sea_orm::entity::prelude::*;

    /// A row of `attachments`.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "attachments")]
    pub struct Model {
        /// The id.
        #[sea_orm(primary_key)]
        pub id: i64,
        /// The post (`attachments_post_id_fkey`, `ix_attachments_post_id`).
        #[sea_orm(indexed)]
        pub post_id: i64,
        /// The file name the client sent, cleaned.
        #[sea_orm(column_type = "String(StringLen::N(255))")]
        pub filename: String,
        /// The content type, checked against the allowed list.
        #[sea_orm(column_type = "String(StringLen::N(127))")]
        pub content_type: String,
        /// Size in bytes.
        pub size: i64,
        /// Where the bytes are in object storage (`attachments_object_key_key`).
        #[sea_orm(unique, column_type = "String(StringLen::N(255))")]
        pub object_key: String,
        /// When it was uploaded.
        pub created_at: DateTimeUtc,
    }

    /// Relations of `attachments`.
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {
        /// The post; its attachment rows go with it (the service removes the files).
        #[sea_orm(
            belongs_to = "super::post::Entity",
            from = "Column::PostId",
            to = "super::post::Column::Id",
            on_delete = "Cascade"
        )]
        Post,
    }

    impl Related<super::post::Entity> for Entity {
        fn to() -> RelationDef {
            Relation::Post.def()
        }
    }

    impl ActiveModelBehavior for ActiveModel {}
}
