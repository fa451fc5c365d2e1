//! Extractors of the posts domain: [`PostById`] (404 when missing), [`Writer`] (401 without a
//! user, 429 past the account's writes per minute) and [`OwnedPost`] (a writer's post: also
//! 403 for anyone but the author). Routes that create take `Writer` and routes that change a
//! post take `OwnedPost`, so neither check can be forgotten.

use std::time::Instant;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;

use crate::AppState;
use crate::auth::dependencies::Authenticated;
use crate::errors::AppError;
use crate::extract::path_id;
use crate::posts::models::post;
use crate::posts::service;

/// The post named by the `{id}` path parameter.
#[derive(Debug, Clone)]
pub struct PostById(pub post::Model);

impl FromRequestParts<AppState> for PostById {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let id = path_id(parts, state, "id").await?;
        match service::find_post(&state.db, id).await? {
            Some(post) => Ok(PostById(post)),
            None => Err(AppError::NotFound("Post not found")),
        }
    }
}

/// What a client over its account's writes is told.
const WRITES_LIMITED: &str = "Too many changes from this account; try again later";

/// The authenticated user, counted against their writes per minute (`WRITES_PER_MINUTE`):
/// one account cannot fill the database or the object store as fast as the service takes
/// requests.
#[derive(Debug, Clone, Copy)]
pub struct Writer(pub i64);

impl FromRequestParts<AppState> for Writer {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let Authenticated(user_id) = Authenticated::from_request_parts(parts, state).await?;
        state
            .write_limits
            .check(&user_id, Instant::now())
            .map_err(|retry_after_secs| AppError::TooManyRequests { detail: WRITES_LIMITED, retry_after_secs })?;
        Ok(Writer(user_id))
    }
}

/// The post named by `{id}`, when the current user wrote it.
#[derive(Debug, Clone)]
pub struct OwnedPost {
    /// The post.
    pub post: post::Model,
    /// Its author, the current user.
    pub user_id: i64,
}

impl FromRequestParts<AppState> for OwnedPost {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        // Authentication first: an anonymous caller learns nothing about which posts exist;
        // and the write is counted before the post is looked up.
        let Writer(user_id) = Writer::from_request_parts(parts, state).await?;
        let PostById(post) = PostById::from_request_parts(parts, state).await?;
        if post.author_id != user_id {
            return Err(AppError::Forbidden("Not the author of this post"));
        }
        Ok(OwnedPost { post, user_id })
    }
}
