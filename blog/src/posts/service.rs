//! The posts domain's logic: posts (newest first, paginated, filterable by author) and their
//! attachments, whose bytes live in object storage. No axum types; errors are [`PostsError`].

use chrono::Utc;
use object_store::ObjectStore;
use rand::RngCore;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, IntoActiveModel, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
};

use crate::errors::AppError;
use crate::pagination::PageParams;
use crate::posts::models::{attachment, post};
use crate::storage;

/// What can go wrong in the posts domain.
#[derive(Debug, thiserror::Error)]
pub enum PostsError {
    /// The attachment does not exist (or belongs to another post).
    #[error("attachment not found")]
    AttachmentNotFound,
    /// The database failed.
    #[error(transparent)]
    Db(#[from] sea_orm::DbErr),
    /// The object store failed.
    #[error(transparent)]
    Storage(#[from] storage::errors::StorageError),
}

impl From<PostsError> for AppError {
    fn from(error: PostsError) -> Self {
        match error {
            PostsError::AttachmentNotFound => AppError::NotFound("Attachment not found"),
            PostsError::Db(error) => error.into(),
            PostsError::Storage(error) => error.into(),
        }
    }
}

/// A page of posts, newest first, optionally by one author, and the total count.
///
/// # Errors
///
/// [`PostsError::Db`].
pub async fn list_posts(
    db: &DatabaseConnection,
    author_id: Option<i64>,
    params: PageParams,
) -> Result<(Vec<post::Model>, u64), PostsError> {
    let mut query = post::Entity::find();
    if let Some(author_id) = author_id {
        query = query.filter(post::Column::AuthorId.eq(author_id));
    }
    let total = query.clone().count(db).await?;
    let items = query
        .order_by_desc(post::Column::CreatedAt)
        .order_by_desc(post::Column::Id)
        .offset(params.offset())
        .limit(params.size)
        .all(db)
        .await?;
    Ok((items, total))
}

/// The post with this id, if any.
///
/// # Errors
///
/// [`PostsError::Db`].
pub async fn find_post(db: &DatabaseConnection, id: i64) -> Result<Option<post::Model>, PostsError> {
    Ok(post::Entity::find_by_id(id).one(db).await?)
}

/// Creates a post; `title` and `body` must be valid already.
///
/// # Errors
///
/// [`PostsError::Db`].
pub async fn create_post(
    db: &DatabaseConnection,
    author_id: i64,
    title: &str,
    body: &str,
) -> Result<post::Model, PostsError> {
    let now = Utc::now();
    let row = post::ActiveModel {
        author_id: Set(author_id),
        title: Set(title.trim().to_owned()),
        body: Set(body.to_owned()),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    };
    Ok(row.insert(db).await?)
}

/// Changes the given fields of a post.
///
/// # Errors
///
/// [`PostsError::Db`].
pub async fn update_post(
    db: &DatabaseConnection,
    post: post::Model,
    title: Option<&str>,
    body: Option<&str>,
) -> Result<post::Model, PostsError> {
    if title.is_none() && body.is_none() {
        return Ok(post);
    }
    let mut row = post.into_active_model();
    if let Some(title) = title {
        row.title = Set(title.trim().to_owned());
    }
    if let Some(body) = body {
        row.body = Set(body.to_owned());
    }
    row.updated_at = Set(Utc::now());
    Ok(row.update(db).await?)
}

/// Deletes a post with its attachments: the rows go with the post (foreign key cascade), then
/// the files are removed from storage. A file that cannot be removed is logged and left
/// behind: the post is gone either way.
///
/// # Errors
///
/// [`PostsError::Db`].
pub async fn delete_post(
    db: &DatabaseConnection,
    store: &dyn ObjectStore,
    post: post::Model,
) -> Result<(), PostsError> {
    let keys: Vec<String> = attachment::Entity::find()
        .filter(attachment::Column::PostId.eq(post.id))
        .all(db)
        .await?
        .into_iter()
        .map(|a| a.object_key)
        .collect();
    post::Entity::delete_by_id(post.id).exec(db).await?;
    for key in keys {
        if let Err(error) = storage::client::delete(store, &key).await {
            tracing::error!(error = format!("{error:#}"), key, "could not remove an attachment's file");
        }
    }
    Ok(())
}

/// The attachments of a post, oldest first.
///
/// # Errors
///
/// [`PostsError::Db`].
pub async fn list_attachments(db: &DatabaseConnection, post_id: i64) -> Result<Vec<attachment::Model>, PostsError> {
    Ok(attachment::Entity::find()
        .filter(attachment::Column::PostId.eq(post_id))
        .order_by_asc(attachment::Column::Id)
        .all(db)
        .await?)
}

/// Stores a file and records it as an attachment of `post_id`. The bytes must have passed
/// [`storage::client::check_upload`].
///
/// # Errors
///
/// [`PostsError::Storage`] or [`PostsError::Db`]; when recording fails the file is removed.
pub async fn add_attachment(
    db: &DatabaseConnection,
    store: &dyn ObjectStore,
    post_id: i64,
    filename: &str,
    content_type: &str,
    bytes: Vec<u8>,
) -> Result<attachment::Model, PostsError> {
    let mut random = [0u8; 16];
    rand::rng().fill_bytes(&mut random);
    let key = format!("posts/{post_id}/{}", random.iter().map(|b| format!("{b:02x}")).collect::<String>());
    let size = i64::try_from(bytes.len()).unwrap_or(i64::MAX);
    storage::client::put(store, &key, bytes).await?;
    let row = attachment::ActiveModel {
        post_id: Set(post_id),
        filename: Set(clean_filename(filename)),
        content_type: Set(content_type.to_owned()),
        size: Set(size),
        object_key: Set(key.clone()),
        created_at: Set(Utc::now()),
        ..Default::default()
    };
    match row.insert(db).await {
        Ok(model) => Ok(model),
        Err(error) => {
            // The post may have been deleted meanwhile; do not leave the file behind.
            storage::client::delete(store, &key).await.ok();
            Err(error.into())
        }
    }
}

/// The attachment `id` of post `post_id`, with its bytes.
///
/// # Errors
///
/// [`PostsError::AttachmentNotFound`] when there is no such attachment on that post.
pub async fn read_attachment(
    db: &DatabaseConnection,
    store: &dyn ObjectStore,
    post_id: i64,
    id: i64,
) -> Result<(attachment::Model, Vec<u8>), PostsError> {
    let found = attachment::Entity::find_by_id(id)
        .filter(attachment::Column::PostId.eq(post_id))
        .one(db)
        .await?
        .ok_or(PostsError::AttachmentNotFound)?;
    match storage::client::get(store, &found.object_key).await {
        Ok(bytes) => Ok((found, bytes)),
        Err(storage::errors::StorageError::NotFound { .. }) => Err(PostsError::AttachmentNotFound),
        Err(error) => Err(error.into()),
    }
}

/// The last path segment of a client's file name, without control characters or quotes, at
/// most 255 bytes; `file` when nothing is left.
pub fn clean_filename(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or_default();
    let mut clean: String = base.chars().filter(|c| !c.is_control() && *c != '"').collect();
    let trimmed = clean.trim().trim_start_matches('.');
    clean = trimmed.to_owned();
    while clean.len() > 255 {
        clean.pop();
    }
    if clean.is_empty() { "file".to_owned() } else { clean }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_are_cleaned() {
        for (input, expected) in [
            ("photo.png", "photo.png"),
            ("../../etc/passwd", "passwd"),
            ("C:\\Users\\ada\\notes.txt", "notes.txt"),
            ("a\"b\r\n.txt", "ab.txt"),
            (".hidden", "hidden"),
            ("", "file"),
        ] {
            assert_eq!(clean_filename(input), expected, "{input:?}");
        }
        assert_eq!(clean_filename(&"é".repeat(200)).len(), 254);
    }
}
