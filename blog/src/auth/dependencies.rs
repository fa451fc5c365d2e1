//! Extractors of the auth domain: [`CurrentUser`], the user an access token names. Every
//! route that needs a user takes it as an argument; nothing else reads the `Authorization`
//! header.

use axum::extract::FromRequestParts;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;

use crate::AppState;
use crate::auth::models::user;
use crate::auth::service::{self, AuthError};
use crate::errors::AppError;

/// The authenticated user (`Authorization: Bearer <access token>`); 401 otherwise, as
/// FastAPI's `OAuth2PasswordBearer` answers.
#[derive(Debug, Clone)]
pub struct CurrentUser(pub user::Model);

impl FromRequestParts<AppState> for CurrentUser {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let header = parts.headers.get(AUTHORIZATION).and_then(|v| v.to_str().ok());
        let Some(token) = header.and_then(bearer_token) else {
            return Err(AppError::Unauthorized("Not authenticated"));
        };
        let user_id = service::decode_access_token(&state.tokens, token)?;
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
