//! Extractors of the auth domain: [`Authenticated`], the id of the user a valid access token
//! names, and [`CurrentUser`], that user's row. Every route that needs a user takes one of
//! them as an argument; nothing else reads the `Authorization` header.

use axum::extract::FromRequestParts;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;

use crate::AppState;
use crate::auth::models::user;
use crate::auth::service::{self, AuthError};
use crate::errors::AppError;

/// The id of the user a valid access token names (`Authorization: Bearer <access token>`,
/// signature, type and expiry checked); 401 otherwise, as FastAPI's `OAuth2PasswordBearer`
/// answers. No database read: routes that only act on the user's own rows take this, and the
/// database's foreign keys refuse a user who no longer exists (see [`CurrentUser`] for the
/// row itself).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Authenticated(pub i64);

impl FromRequestParts<AppState> for Authenticated {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let header = parts.headers.get(AUTHORIZATION).and_then(|v| v.to_str().ok());
        let Some(token) = header.and_then(bearer_token) else {
            return Err(AppError::Unauthorized("Not authenticated"));
        };
        Ok(Authenticated(service::decode_access_token(&state.tokens, token)?))
    }
}

/// The authenticated user's row; 401 as for [`Authenticated`], and for a user who no longer
/// exists.
#[derive(Debug, Clone)]
pub struct CurrentUser(pub user::Model);

impl FromRequestParts<AppState> for CurrentUser {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let Authenticated(user_id) = Authenticated::from_request_parts(parts, state).await?;
        match service::find_user(&state.db, user_id).await? {
            Some(user) => Ok(CurrentUser(user)),
            // A valid token for a user who no longer exists.
            None => Err(AuthError::InvalidAccessToken.into()),
        }
    }
}

/// The token of `Bearer <token>` (the scheme in any case).
fn bearer_token(header: &str) -> Option<&str> {
    let (scheme, token) = header.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearer_tokens_are_read() {
        assert_eq!(bearer_token("Bearer abc"), Some("abc"));
        assert_eq!(bearer_token("bearer  abc "), Some("abc"));
        assert_eq!(bearer_token("Basic abc"), None);
        assert_eq!(bearer_token("Bearer "), None);
        assert_eq!(bearer_token("Bearer"), None);
    }
}
