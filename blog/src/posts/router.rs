//! The posts routes: CRUD with owner-only changes, paginated lists, and attachments
//! (multipart upload, download). Handlers extract, call [`crate::posts::service`] and map to
//! schemas.

use std::collections::HashMap;
use std::io::Write;

use axum::body::Body;
use axum::extract::multipart::MultipartRejection;
use axum::extract::{DefaultBodyLimit, Multipart, Query, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use futures_util::StreamExt;
use serde_json::Value;

use crate::AppState;
use crate::errors::{AppError, ErrorBody, FieldError, ValidationBody};
use crate::extract::{ValidJson, path_id};
use crate::pagination::{Page, PageParams, query_int};
use crate::posts::dependencies::{OwnedPost, PostById, Writer};
use crate::posts::schemas::{AttachmentOut, PostCreate, PostDetail, PostOut, PostUpdate};
use crate::posts::service;
use crate::storage;

/// Room for the multipart framing around an upload's bytes.
const MULTIPART_OVERHEAD: usize = 64 * 1024;

/// `/posts` and below. `max_upload_bytes` sets the body limit of the upload route.
pub fn router(max_upload_bytes: usize) -> Router<AppState> {
    Router::new()
        .route("/posts", get(list_posts).post(create_post))
        .route("/posts/{id}", get(get_post).patch(update_post).delete(delete_post))
        .route(
            "/posts/{id}/attachments",
            post(upload_attachment).layer(DefaultBodyLimit::max(max_upload_bytes.saturating_add(MULTIPART_OVERHEAD))),
        )
        .route("/posts/{id}/attachments/{attachment_id}", get(download_attachment))
}

/// List posts, newest first.
#[utoipa::path(get, path = "/posts", tag = "posts",
    params(
        ("page" = Option<u64>, Query, description = "Page number, from 1", minimum = 1, maximum = 1_000_000_000),
        ("size" = Option<u64>, Query, description = "Posts per page (1 to 100, default 50)", minimum = 1, maximum = 100),
        ("author_id" = Option<i64>, Query, description = "Only this author's posts"),
    ),
    responses(
        (status = 200, description = "A page of posts", body = Page<PostOut>),
        (status = 422, description = "Invalid query parameters", body = ValidationBody),
        (status = 503, description = "The memory for large responses is taken; see Retry-After", body = ErrorBody),
    ))]
pub async fn list_posts(
    State(state): State<AppState>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, AppError> {
    let mut errors = Vec::new();
    let params = PageParams::read(&query, &mut errors);
    let author_id = query
        .contains_key("author_id")
        .then(|| query_int(&query, "author_id", 1, 1, i64::MAX.unsigned_abs(), &mut errors))
        .map(|id| i64::try_from(id).unwrap_or(i64::MAX));
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    // Written row by row, taking the memory budget as the page grows: a page of long posts
    // is refused once the budget is spent, before it is whole.
    let mut out = state.responses.buffer();
    out.write_all(b"{\"items\":[").map_err(written)?;
    let mut total = None;
    let mut rows = service::page_of_posts(&state.hot, author_id, params);
    while let Some(row) = rows.next().await {
        let (post, count) = row?;
        if total.replace(count).is_some() {
            out.write_all(b",").map_err(written)?;
        }
        serde_json::to_writer(&mut out, &PostOut::from(post)).map_err(written)?;
        out.take_budget()?;
    }
    drop(rows);
    let total = match total {
        Some(total) => total,
        None if params.offset() == 0 => 0,
        None => service::count_posts(&state.db, author_id).await?,
    };
    // The rest of `Page`, in its order.
    let page = Page::<PostOut>::new(Vec::new(), total, params);
    write!(out, "],\"total\":{},\"page\":{},\"size\":{},\"pages\":{}}}", page.total, page.page, page.size, page.pages)
        .map_err(written)?;
    Ok(out.into_response("application/json")?)
}

/// A failure to write a response body in memory.
fn written(error: impl std::error::Error + Send + Sync + 'static) -> AppError {
    AppError::Internal(anyhow::Error::new(error).context("writing the response"))
}

/// Write a post.
#[utoipa::path(post, path = "/posts", tag = "posts", request_body = PostCreate,
    security(("OAuth2PasswordBearer" = [])),
    responses(
        (status = 201, description = "The new post", body = PostOut),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 413, description = "The body is over the size limit", body = ErrorBody),
        (status = 415, description = "The body is not JSON", body = ErrorBody),
        (status = 422, description = "Invalid title or body", body = ValidationBody),
        (status = 429, description = "The account is past its `WRITES_PER_MINUTE`; see Retry-After", body = ErrorBody),
        (status = 503, description = "The memory for large responses is taken; see Retry-After", body = ErrorBody),
    ))]
pub async fn create_post(
    State(state): State<AppState>,
    Writer(user_id): Writer,
    ValidJson(input): ValidJson<PostCreate>,
) -> Result<(StatusCode, Json<PostOut>), AppError> {
    let post = service::create_post(&state.hot, user_id, &input.title, &input.body).await?;
    Ok((StatusCode::CREATED, Json(post.into())))
}

/// One post, with its attachments.
#[utoipa::path(get, path = "/posts/{id}", tag = "posts", params(("id" = i64, Path, description = "The post")),
    responses(
        (status = 200, description = "The post", body = PostDetail),
        (status = 404, description = "No such post", body = ErrorBody),
        (status = 422, description = "The id is not an integer", body = ValidationBody),
        (status = 503, description = "The memory for large responses is taken; see Retry-After", body = ErrorBody),
    ))]
pub async fn get_post(State(state): State<AppState>, request: Parts) -> Result<Json<PostDetail>, AppError> {
    let mut parts = request;
    let id = path_id(&mut parts, &state, "id").await?;
    let Some((post, attachments)) = service::find_post_with_attachments(&state.hot, id).await? else {
        return Err(AppError::NotFound("Post not found"));
    };
    Ok(Json(PostDetail { post: post.into(), attachments: attachments.into_iter().map(AttachmentOut::from).collect() }))
}

/// Edit a post (its author only).
#[utoipa::path(patch, path = "/posts/{id}", tag = "posts", request_body = PostUpdate,
    params(("id" = i64, Path, description = "The post")),
    security(("OAuth2PasswordBearer" = [])),
    responses(
        (status = 200, description = "The edited post", body = PostOut),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Not the author", body = ErrorBody),
        (status = 404, description = "No such post (or it was deleted meanwhile)", body = ErrorBody),
        (status = 413, description = "The body is over the size limit", body = ErrorBody),
        (status = 415, description = "The body is not JSON", body = ErrorBody),
        (status = 422, description = "Invalid id, title or body", body = ValidationBody),
        (status = 429, description = "The account is past its `WRITES_PER_MINUTE`; see Retry-After", body = ErrorBody),
        (status = 503, description = "The memory for large responses is taken; see Retry-After", body = ErrorBody),
    ))]
pub async fn update_post(
    State(state): State<AppState>,
    owned: OwnedPost,
    ValidJson(input): ValidJson<PostUpdate>,
) -> Result<Json<PostOut>, AppError> {
    let post = service::update_post(&state.db, owned.post, input.title.as_deref(), input.body.as_deref()).await?;
    Ok(Json(post.into()))
}

/// Delete a post and its attachments (its author only).
#[utoipa::path(delete, path = "/posts/{id}", tag = "posts", params(("id" = i64, Path, description = "The post")),
    security(("OAuth2PasswordBearer" = [])),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Not the author", body = ErrorBody),
        (status = 404, description = "No such post", body = ErrorBody),
        (status = 422, description = "The id is not an integer", body = ValidationBody),
        (status = 429, description = "The account is past its `WRITES_PER_MINUTE`; see Retry-After", body = ErrorBody),
    ))]
pub async fn delete_post(State(state): State<AppState>, owned: OwnedPost) -> Result<StatusCode, AppError> {
    service::delete_post(&state.db, state.storage.as_ref(), owned.post).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Attach a file to a post (its author only): multipart, field `file`.
#[utoipa::path(post, path = "/posts/{id}/attachments", tag = "attachments",
    params(("id" = i64, Path, description = "The post")),
    request_body(content = crate::posts::schemas::UploadForm, content_type = "multipart/form-data"),
    security(("OAuth2PasswordBearer" = [])),
    responses(
        (status = 201, description = "The attachment", body = AttachmentOut),
        (status = 400, description = "The multipart body is malformed", body = ErrorBody),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Not the author", body = ErrorBody),
        (status = 404, description = "No such post", body = ErrorBody),
        (status = 413, description = "The file is over the size limit or the author's storage quota, or the post has as many attachments as it may have", body = ErrorBody),
        (status = 415, description = "The body is not multipart, or the file type is not allowed", body = ErrorBody),
        (status = 422, description = "Invalid id, or no `file` field", body = ValidationBody),
        (status = 429, description = "The user has `UPLOADS_PER_USER` uploads being read, or is past their `WRITES_PER_MINUTE`; see Retry-After", body = ErrorBody),
        (status = 503, description = "Too many uploads at once; see Retry-After", body = ErrorBody),
    ))]
pub async fn upload_attachment(
    State(state): State<AppState>,
    owned: OwnedPost,
    headers: HeaderMap,
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<(StatusCode, Json<AttachmentOut>), AppError> {
    let mut multipart = multipart.map_err(|_| multipart_rejection(&headers))?;
    let limits = &state.settings.storage;
    // Held until the file is stored: it bounds the uploads in memory at once, one per user.
    let _slot = state.uploads.try_acquire(owned.post.author_id)?;
    // What the body's length says the file has at least (beyond the framing the body limit
    // allows for): an upload that cannot fit is refused before it is read.
    let at_least = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
        .map_or(0, |length| length.saturating_sub(MULTIPART_OVERHEAD as u64));
    let room = service::upload_room(&state.db, limits, &owned.post, at_least).await?;
    let too_large =
        || AppError::PayloadTooLarge(format!("File too large: the limit is {} bytes", limits.max_upload_bytes));
    let multipart_error = |error: axum::extract::multipart::MultipartError| {
        if error.status() == StatusCode::PAYLOAD_TOO_LARGE {
            too_large()
        } else {
            AppError::BadRequest(format!("Invalid multipart body: {}", error.body_text()))
        }
    };
    while let Some(mut field) = multipart.next_field().await.map_err(multipart_error)? {
        if field.name() != Some("file") {
            continue;
        }
        let filename = field.file_name().unwrap_or("file").to_owned();
        let content_type = field.content_type().unwrap_or("application/octet-stream").to_owned();
        let mut bytes = Vec::new();
        while let Some(chunk) = field.chunk().await.map_err(multipart_error)? {
            let size = bytes.len() + chunk.len();
            if size > limits.max_upload_bytes {
                return Err(too_large());
            }
            // Past the free part of the quota, the rest need not be read either.
            if u64::try_from(size).unwrap_or(u64::MAX) > room {
                let used = limits.quota_bytes - room;
                return Err(service::PostsError::QuotaExceeded { quota: limits.quota_bytes, used }.into());
            }
            bytes.extend_from_slice(&chunk);
        }
        match storage::client::check_upload(limits, &content_type, &bytes) {
            Ok(()) => {}
            Err(storage::client::Rejection::TooLarge { .. }) => return Err(too_large()),
            Err(storage::client::Rejection::Type { declared, allowed }) => {
                return Err(AppError::UnsupportedMediaType(format!(
                    "Unsupported file type `{declared}` (or the content does not match it); allowed: {}",
                    allowed.join(", ")
                )));
            }
        }
        let essence = content_type.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
        let attachment =
            service::add_attachment(&state.db, state.storage.as_ref(), limits, &owned.post, &filename, &essence, bytes)
                .await?;
        tracing::info!(
            post_id = owned.post.id,
            attachment_id = attachment.id,
            size = attachment.size,
            "attachment stored"
        );
        return Ok((StatusCode::CREATED, Json(attachment.into())));
    }
    Err(AppError::Validation(vec![FieldError::new("missing", &["body", "file"], "Field required", Value::Null)]))
}

/// Why a body could not be read as multipart: another content type (415), or a multipart
/// one without its boundary (400, a malformed body).
fn multipart_rejection(headers: &HeaderMap) -> AppError {
    let essence = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|v| v.trim().to_ascii_lowercase());
    if essence.as_deref() == Some("multipart/form-data") {
        AppError::BadRequest("Invalid multipart body: missing boundary".to_owned())
    } else {
        AppError::UnsupportedMediaType("Content-Type must be multipart/form-data".to_owned())
    }
}

/// Download an attachment.
#[utoipa::path(get, path = "/posts/{id}/attachments/{attachment_id}", tag = "attachments",
    params(("id" = i64, Path, description = "The post"), ("attachment_id" = i64, Path, description = "The attachment")),
    responses(
        (status = 200, description = "The file, with the content type it was uploaded with", content_type = "*/*"),
        (status = 404, description = "No such post or attachment", body = ErrorBody),
        (status = 422, description = "An id is not an integer", body = ValidationBody),
    ))]
pub async fn download_attachment(
    State(state): State<AppState>,
    PostById(post): PostById,
    request: Parts,
) -> Result<Response, AppError> {
    let mut parts = request;
    let attachment_id = path_id(&mut parts, &state, "attachment_id").await?;
    let (attachment, download) =
        service::read_attachment(&state.db, state.storage.as_ref(), post.id, attachment_id).await?;
    // Streamed from the store as it arrives; a file is never held in memory whole.
    let mut response = Body::from_stream(download.stream).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_LENGTH, HeaderValue::from(download.size));
    let content_type = HeaderValue::from_str(&attachment.content_type)
        .unwrap_or_else(|_| HeaderValue::from_static("application/octet-stream"));
    headers.insert(header::CONTENT_TYPE, content_type);
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    // Only ASCII in the plain `filename`, the full name percent-encoded (RFC 6266).
    let ascii: String =
        attachment.filename.chars().map(|c| if c.is_ascii_graphic() || c == ' ' { c } else { '_' }).collect();
    let encoded: String =
        form_urlencoded::byte_serialize(attachment.filename.as_bytes()).collect::<String>().replace('+', "%20");
    if let Ok(value) = HeaderValue::from_str(&format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}")) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    Ok(response)
}
