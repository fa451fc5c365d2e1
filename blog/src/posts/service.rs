//! The posts domain's logic: posts (newest first, paginated, filterable by author) and their
//! attachments, whose bytes live in object storage. No axum types; errors are [`PostsError`].

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use chrono::Utc;
use futures_util::{Stream, StreamExt};
use object_store::ObjectStore;
use rand::RngCore;
use sea_orm::sea_query::{Expr, Func};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait, FromQueryResult,
    IdenStatic, IntoActiveModel, PaginatorTrait, QueryFilter, QueryResult, QuerySelect, SelectA, SelectB, Set, SqlErr,
    TransactionTrait,
};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::auth::models::user;
use crate::db::HotPath;
use crate::errors::AppError;
use crate::pagination::PageParams;
use crate::posts::models::{attachment, post};
use crate::posts::statements;
use crate::storage;
use crate::storage::config::StorageConfig;

/// What can go wrong in the posts domain.
#[derive(Debug, thiserror::Error)]
pub enum PostsError {
    /// The post does not exist (any more: it may have been deleted meanwhile).
    #[error("post not found")]
    PostNotFound,
    /// The author of a new post does not exist (a valid token of a deleted user).
    #[error("no such author")]
    AuthorNotFound,
    /// The attachment does not exist (or belongs to another post).
    #[error("attachment not found")]
    AttachmentNotFound,
    /// The upload would take the author over their storage quota.
    #[error("storage quota of {quota} bytes exceeded ({used} bytes used)")]
    QuotaExceeded {
        /// The quota in bytes.
        quota: u64,
        /// The bytes stored already.
        used: u64,
    },
    /// The post has as many attachments as it may have.
    #[error("the post has {limit} attachments, the most it may have")]
    TooManyAttachments {
        /// The most attachments a post may have.
        limit: u64,
    },
    /// Every upload slot is taken.
    #[error("too many uploads at once")]
    UploadsBusy,
    /// The user has as many uploads being read as a user may.
    #[error("the user's uploads in progress are at their limit")]
    UploadInProgress,
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
            PostsError::PostNotFound => AppError::NotFound("Post not found"),
            PostsError::AuthorNotFound => AppError::Unauthorized("Could not validate credentials"),
            PostsError::AttachmentNotFound => AppError::NotFound("Attachment not found"),
            PostsError::QuotaExceeded { quota, used } => AppError::PayloadTooLarge(format!(
                "Storage quota exceeded: {used} of {quota} bytes are used; delete attachments to make room"
            )),
            PostsError::TooManyAttachments { limit } => AppError::PayloadTooLarge(format!(
                "Too many attachments: a post may have at most {limit}; delete one to make room"
            )),
            PostsError::UploadInProgress => AppError::TooManyRequests {
                detail: "Too many uploads of yours at once; wait for one to finish",
                retry_after_secs: 1,
            },
            PostsError::UploadsBusy => {
                AppError::Busy { detail: "Too many uploads at once; try again shortly", retry_after_secs: 1 }
            }
            PostsError::Db(error) => error.into(),
            PostsError::Storage(error) => error.into(),
        }
    }
}

/// A post read with the size of the list it was read from.
#[derive(Debug)]
struct Counted {
    post: post::Model,
    total: i64,
}

impl FromQueryResult for Counted {
    fn from_query_result(row: &QueryResult, prefix: &str) -> Result<Self, DbErr> {
        Ok(Counted { post: post::Model::from_query_result(row, prefix)?, total: row.try_get(prefix, "total")? })
    }
}

/// A page of posts, newest first, optionally by one author, each with the count of the
/// whole list, row by row as the database sends them: a caller that writes them out can stop
/// early, and holds one row at a time. The connection is held until the stream ends or is
/// dropped (on PostgreSQL it is then handed to the next request, see [`HotPath`]).
///
/// The page and the count travel in one statement (the count as a subquery the database
/// runs once); only a page past the end, which has no row to carry it, costs a second
/// ([`count_posts`]).
///
/// # Errors
///
/// [`PostsError::Db`].
pub fn page_of_posts(
    hot: &HotPath,
    author_id: Option<i64>,
    params: PageParams,
) -> impl Stream<Item = Result<(post::Model, u64), PostsError>> + Send + Unpin + '_ {
    let rows = hot.stream(statements::page(hot.backend(), author_id, params.size, params.offset()));
    rows.map(|row| {
        let counted = Counted::from_query_result(&row?, "")?;
        Ok((counted.post, u64::try_from(counted.total).unwrap_or(0)))
    })
}

/// The count of the posts, optionally by one author.
///
/// # Errors
///
/// [`PostsError::Db`].
pub async fn count_posts(db: &DatabaseConnection, author_id: Option<i64>) -> Result<u64, PostsError> {
    let total = match db.query_one_raw(statements::count(db.get_database_backend(), author_id)).await? {
        Some(row) => row.try_get::<i64>("", "total")?,
        None => 0,
    };
    Ok(u64::try_from(total).unwrap_or(0))
}

/// The post with this id and its attachments (oldest first), in one statement.
///
/// # Errors
///
/// [`PostsError::Db`].
pub async fn find_post_with_attachments(
    hot: &HotPath,
    id: i64,
) -> Result<Option<(post::Model, Vec<attachment::Model>)>, PostsError> {
    let rows = hot.query_all(statements::post_with_attachments(hot.backend(), id)).await?;
    let Some(first) = rows.first() else { return Ok(None) };
    let post = post::Model::from_query_result(first, SelectA.as_str())?;
    // A post without attachments is one row whose attachment columns are null.
    let attachments = rows
        .iter()
        .map(|row| attachment::Model::from_query_result_optional(row, SelectB.as_str()))
        .filter_map(Result::transpose)
        .collect::<Result<_, _>>()?;
    Ok(Some((post, attachments)))
}

/// The post with this id, if any.
///
/// # Errors
///
/// [`PostsError::Db`].
pub async fn find_post(db: &DatabaseConnection, id: i64) -> Result<Option<post::Model>, PostsError> {
    Ok(post::Entity::find_by_id(id).one(db).await?)
}

/// Creates a post; `title` and `body` must be valid already. The author's existence is left
/// to the foreign key: one statement, no read first.
///
/// # Errors
///
/// [`PostsError::AuthorNotFound`] when no user has that id, [`PostsError::Db`].
pub async fn create_post(hot: &HotPath, author_id: i64, title: &str, body: &str) -> Result<post::Model, PostsError> {
    let insert =
        statements::insert_post(hot.backend(), author_id, title.trim().to_owned(), body.to_owned(), Utc::now());
    let rows = hot.query_all(insert).await.map_err(|error| match error.sql_err() {
        Some(SqlErr::ForeignKeyConstraintViolation(_)) => PostsError::AuthorNotFound,
        _ => PostsError::Db(error),
    })?;
    let row = rows.first().ok_or_else(|| DbErr::RecordNotInserted)?;
    Ok(post::Model::from_query_result(row, "")?)
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
    match row.update(db).await {
        Ok(post) => Ok(post),
        // Deleted between being read and being written (or, where the database cannot return
        // the row it updated, between the update and the read that follows): as if it had
        // never been found.
        Err(DbErr::RecordNotUpdated | DbErr::RecordNotFound(_)) => Err(PostsError::PostNotFound),
        Err(error) => Err(error.into()),
    }
}

/// Deletes a post with its attachments: the rows go with the post (foreign key cascade), then
/// the files are removed from storage. A file that cannot be removed, or one an upload still
/// in flight stores meanwhile, is left for [`remove_orphaned_files`]: the post is gone either
/// way.
///
/// # Errors
///
/// [`PostsError::PostNotFound`] when another request deleted it first, [`PostsError::Db`].
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
    // Of requests that all read the post, only the one whose statement removed the row deleted it.
    if post::Entity::delete_by_id(post.id).exec(db).await?.rows_affected == 0 {
        return Err(PostsError::PostNotFound);
    }
    for key in keys {
        if let Err(error) = storage::client::delete(store, &key).await {
            tracing::error!(error = format!("{error:#}"), key, "could not remove an attachment's file");
        }
    }
    Ok(())
}

/// Bounds the uploads read at once: each holds up to `MAX_UPLOAD_BYTES` in memory until it is
/// stored. A request past the bound is refused at once rather than queued, as password
/// hashing is. One user has a few of the slots at most, so that one account sending slowly
/// cannot hold every slot for the request timeout.
#[derive(Debug)]
pub struct UploadSlots {
    slots: Arc<Semaphore>,
    per_user: usize,
    /// The slots each user holds: as many entries as slots taken, at most.
    uploading: Arc<std::sync::Mutex<HashMap<i64, usize>>>,
}

/// An upload slot and its user's turn, both given back when dropped.
#[derive(Debug)]
pub struct UploadSlot {
    _slot: OwnedSemaphorePermit,
    user_id: i64,
    uploading: Arc<std::sync::Mutex<HashMap<i64, usize>>>,
}

impl Drop for UploadSlot {
    fn drop(&mut self) {
        let mut uploading = self.uploading.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(held) = uploading.get_mut(&self.user_id) {
            *held -= 1;
            if *held == 0 {
                uploading.remove(&self.user_id);
            }
        }
    }
}

impl UploadSlots {
    /// Room for `concurrency` uploads at once, `per_user` of them for one user (at least one
    /// each).
    pub fn new(concurrency: usize, per_user: usize) -> UploadSlots {
        UploadSlots {
            slots: Arc::new(Semaphore::new(concurrency.max(1))),
            per_user: per_user.max(1),
            uploading: Arc::default(),
        }
    }

    /// A slot for `user_id`, held until it is dropped.
    ///
    /// # Errors
    ///
    /// [`PostsError::UploadInProgress`] when the user holds all the slots a user may,
    /// [`PostsError::UploadsBusy`] when every slot is taken.
    pub fn try_acquire(&self, user_id: i64) -> Result<UploadSlot, PostsError> {
        let mut uploading = self.uploading.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if uploading.get(&user_id).is_some_and(|held| *held >= self.per_user) {
            return Err(PostsError::UploadInProgress);
        }
        let slot = self.slots.clone().try_acquire_owned().map_err(|_| PostsError::UploadsBusy)?;
        *uploading.entry(user_id).or_default() += 1;
        Ok(UploadSlot { _slot: slot, user_id, uploading: Arc::clone(&self.uploading) })
    }
}

/// The bytes of `post`'s author's quota still free, checked before an upload's body is read:
/// when the post is at its attachment limit, or `at_least` bytes (what the request's length
/// says the file has at least) cannot fit, the upload is refused without reading it.
/// [`add_attachment`] checks again, under a lock, when recording.
///
/// # Errors
///
/// [`PostsError::TooManyAttachments`], [`PostsError::QuotaExceeded`], [`PostsError::Db`].
pub async fn upload_room(
    db: &DatabaseConnection,
    limits: &StorageConfig,
    post: &post::Model,
    at_least: u64,
) -> Result<u64, PostsError> {
    if attachment_count(db, post.id).await? >= limits.max_attachments_per_post {
        return Err(PostsError::TooManyAttachments { limit: limits.max_attachments_per_post });
    }
    let used = quota_used(db, post.author_id).await?;
    if used.saturating_add(at_least) > limits.quota_bytes {
        return Err(PostsError::QuotaExceeded { quota: limits.quota_bytes, used });
    }
    Ok(limits.quota_bytes - used)
}

/// Stores a file and records it as an attachment of `post`, within its author's quota and the
/// post's attachment limit. The bytes must have passed [`storage::client::check_upload`].
///
/// The file is stored first and recorded after, in a transaction that first takes a lock on
/// the author's row (a row lock on PostgreSQL, the write lock on SQLite), so two uploads by
/// one author (so to one post) cannot both fit under the limits. When recording fails the file
/// is removed; when the request is cut short between the two, [`remove_orphaned_files`]
/// removes it later.
///
/// # Errors
///
/// [`PostsError::QuotaExceeded`], [`PostsError::TooManyAttachments`],
/// [`PostsError::PostNotFound`] when the post was deleted meanwhile, [`PostsError::Storage`]
/// or [`PostsError::Db`].
pub async fn add_attachment(
    db: &DatabaseConnection,
    store: &dyn ObjectStore,
    limits: &StorageConfig,
    post: &post::Model,
    filename: &str,
    content_type: &str,
    bytes: Vec<u8>,
) -> Result<attachment::Model, PostsError> {
    let mut random = [0u8; 16];
    rand::rng().fill_bytes(&mut random);
    let key = format!("posts/{}/{}", post.id, random.iter().map(|b| format!("{b:02x}")).collect::<String>());
    let size = u64::try_from(bytes.len()).unwrap_or(u64::MAX);
    storage::client::put(store, &key, bytes).await?;
    let row = attachment::ActiveModel {
        post_id: Set(post.id),
        filename: Set(clean_filename(filename)),
        content_type: Set(content_type.to_owned()),
        size: Set(i64::try_from(size).unwrap_or(i64::MAX)),
        object_key: Set(key.clone()),
        created_at: Set(Utc::now()),
        ..Default::default()
    };
    match record_within_limits(db, limits, post, size, row).await {
        Ok(model) => Ok(model),
        Err(error) => {
            if let Err(cleanup) = storage::client::delete(store, &key).await {
                tracing::warn!(error = format!("{cleanup:#}"), key, "could not remove an unrecorded upload");
            }
            Err(error)
        }
    }
}

/// Inserts the attachment row when the post has room for one more and the author's
/// attachments plus `size` fit in the quota.
async fn record_within_limits(
    db: &DatabaseConnection,
    limits: &StorageConfig,
    post: &post::Model,
    size: u64,
    row: attachment::ActiveModel,
) -> Result<attachment::Model, PostsError> {
    let author_id = post.author_id;
    let quota = limits.quota_bytes;
    let txn = db.begin().await?;
    // A write first: it serializes the author's uploads until commit (PostgreSQL locks the
    // row; SQLite takes its write lock now rather than failing to upgrade a read later).
    user::Entity::update_many()
        .col_expr(user::Column::Id, Expr::col(user::Column::Id))
        .filter(user::Column::Id.eq(author_id))
        .exec(&txn)
        .await?;
    if attachment_count(&txn, post.id).await? >= limits.max_attachments_per_post {
        txn.rollback().await?;
        return Err(PostsError::TooManyAttachments { limit: limits.max_attachments_per_post });
    }
    let used = quota_used(&txn, author_id).await?;
    if used.saturating_add(size) > quota {
        txn.rollback().await?;
        return Err(PostsError::QuotaExceeded { quota, used });
    }
    let model = row.insert(&txn).await.map_err(|error| match error.sql_err() {
        // The post was deleted since it was read.
        Some(SqlErr::ForeignKeyConstraintViolation(_)) => PostsError::PostNotFound,
        _ => PostsError::Db(error),
    })?;
    txn.commit().await?;
    Ok(model)
}

/// The bytes of attachments `author_id` has stored.
async fn quota_used(db: &impl ConnectionTrait, author_id: i64) -> Result<u64, PostsError> {
    let used: Option<i64> = attachment::Entity::find()
        .select_only()
        // SUM of a bigint is a numeric on PostgreSQL: brought back to a bigint.
        .column_as(
            Expr::expr(Func::cast_as(Func::sum(Expr::col((attachment::Entity, attachment::Column::Size))), "BIGINT")),
            "used",
        )
        .inner_join(post::Entity)
        .filter(post::Column::AuthorId.eq(author_id))
        .into_tuple()
        .one(db)
        .await?
        .flatten();
    Ok(used.and_then(|n| u64::try_from(n).ok()).unwrap_or(0))
}

/// How many attachments post `post_id` has.
async fn attachment_count(db: &impl ConnectionTrait, post_id: i64) -> Result<u64, PostsError> {
    Ok(attachment::Entity::find().filter(attachment::Column::PostId.eq(post_id)).count(db).await?)
}

/// The attachment `id` of post `post_id`, with its bytes as a stream.
///
/// # Errors
///
/// [`PostsError::AttachmentNotFound`] when there is no such attachment on that post.
pub async fn read_attachment(
    db: &DatabaseConnection,
    store: &dyn ObjectStore,
    post_id: i64,
    id: i64,
) -> Result<(attachment::Model, storage::client::Download), PostsError> {
    let found = attachment::Entity::find_by_id(id)
        .filter(attachment::Column::PostId.eq(post_id))
        .one(db)
        .await?
        .ok_or(PostsError::AttachmentNotFound)?;
    match storage::client::get(store, &found.object_key).await {
        Ok(download) => Ok((found, download)),
        Err(storage::errors::StorageError::NotFound { .. }) => Err(PostsError::AttachmentNotFound),
        Err(error) => Err(error.into()),
    }
}

/// Keys checked against the attachment rows per query.
const SWEEP_BATCH: usize = 500;

/// Removes the files under `posts/` that no attachment row names and that were written before
/// `older_than` (so an upload still between storing its file and recording it is left
/// alone); returns how many were removed.
///
/// # Errors
///
/// [`PostsError::Storage`] when the store cannot be listed, [`PostsError::Db`].
pub async fn remove_orphaned_files(
    db: &DatabaseConnection,
    store: &dyn ObjectStore,
    older_than: chrono::DateTime<Utc>,
) -> Result<u64, PostsError> {
    let mut listing = storage::client::list(store, "posts/");
    let mut batch = Vec::with_capacity(SWEEP_BATCH);
    let mut removed = 0;
    while let Some(object) = listing.next().await {
        let object = object?;
        if object.last_modified < older_than {
            batch.push(object.key);
        }
        if batch.len() == SWEEP_BATCH {
            removed += remove_unreferenced(db, store, std::mem::take(&mut batch)).await?;
        }
    }
    if !batch.is_empty() {
        removed += remove_unreferenced(db, store, batch).await?;
    }
    Ok(removed)
}

async fn remove_unreferenced(
    db: &DatabaseConnection,
    store: &dyn ObjectStore,
    keys: Vec<String>,
) -> Result<u64, PostsError> {
    let referenced: HashSet<String> = attachment::Entity::find()
        .select_only()
        .column(attachment::Column::ObjectKey)
        .filter(attachment::Column::ObjectKey.is_in(keys.iter().map(String::as_str)))
        .into_tuple()
        .all(db)
        .await?
        .into_iter()
        .collect();
    let mut removed = 0;
    for key in keys.into_iter().filter(|key| !referenced.contains(key)) {
        storage::client::delete(store, &key).await?;
        tracing::info!(key, "removed a file no attachment names");
        removed += 1;
    }
    Ok(removed)
}

/// The last path segment of a client's file name, without control characters, quotes,
/// bidirectional controls and marks, or invisible characters, at most 255 bytes; `file` when
/// nothing is left. A right-to-left override would show `invoice\u{202E}fdp.exe` to whoever
/// downloads it as `invoiceexe.pdf`.
pub fn clean_filename(name: &str) -> String {
    use crate::extract::{is_bidi_control, is_invisible};
    let base = name.rsplit(['/', '\\']).next().unwrap_or_default();
    let shown = |c: &char| {
        !c.is_control()
            && *c != '"'
            && !is_bidi_control(*c)
            && !is_invisible(*c)
            && !matches!(c, '\u{200E}' | '\u{200F}')
    };
    let mut clean: String = base.chars().filter(shown).collect();
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
    fn a_user_reads_one_upload_at_a_time() {
        let slots = UploadSlots::new(3, 1);
        let first = slots.try_acquire(1).expect("a free slot");
        assert!(matches!(slots.try_acquire(1), Err(PostsError::UploadInProgress)));
        let other = slots.try_acquire(2).expect("another user's turn");
        let third = slots.try_acquire(3).expect("the last slot");
        assert!(matches!(slots.try_acquire(4), Err(PostsError::UploadsBusy)));
        // A user refused for want of slots holds no turn.
        drop(third);
        let fourth = slots.try_acquire(4).expect("a slot came free");
        drop(first);
        let again = slots.try_acquire(1).expect("the user's turn came back");
        drop((other, fourth, again));
        assert_eq!(slots.slots.available_permits(), 3);
        assert!(slots.uploading.lock().expect("not poisoned").is_empty());

        let slots = UploadSlots::new(3, 2);
        let held = [slots.try_acquire(1).expect("one"), slots.try_acquire(1).expect("two")];
        assert!(matches!(slots.try_acquire(1), Err(PostsError::UploadInProgress)));
        drop(held);
        assert!(slots.uploading.lock().expect("not poisoned").is_empty());
    }

    #[test]
    fn file_names_are_cleaned() {
        for (input, expected) in [
            ("photo.png", "photo.png"),
            ("../../etc/passwd", "passwd"),
            ("C:\\Users\\ada\\notes.txt", "notes.txt"),
            ("a\"b\r\n.txt", "ab.txt"),
            (".hidden", "hidden"),
            ("", "file"),
            ("invoice\u{202E}fdp.exe", "invoicefdp.exe"),
            ("\u{2067}report\u{2069}.pdf", "report.pdf"),
            ("pay\u{200B}roll\u{FEFF}\u{200F}.xlsx", "payroll.xlsx"),
            ("\u{200B}", "file"),
        ] {
            assert_eq!(clean_filename(input), expected, "{input:?}");
        }
        assert_eq!(clean_filename(&"é".repeat(200)).len(), 254);
    }
}
