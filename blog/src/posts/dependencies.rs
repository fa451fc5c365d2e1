//! Extractors of the posts domain: [`PostById`] (404 when missing) and [`OwnedPost`] (also
//! 401 without a user and 403 for anyone but the author). Routes that change a post take
//! `OwnedPost`, so the check cannot be forgotten.

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
        // Authentication first: an anonymous caller learns nothing about which posts exist.
        let Authenticated(user_id) = Authenticated::from_request_parts(parts, state).await?;
        let PostById(post) = PostById::from_request_parts(parts, state).await?;
        if post.author_id != user_id {
            return Err(AppError::Forbidden("Not the author of this post"));
        }
        Ok(OwnedPost { post, user_id })
    }
}
