//! The auth routes: register, the OAuth2 password flow token endpoint, refresh, logout and
//! the current user. Handlers extract, call [`crate::auth::service`] and map to schemas.

use std::time::Instant;

use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use secrecy::ExposeSecret;

use crate::AppState;
use crate::auth::dependencies::CurrentUser;
use crate::auth::limiter::ClientKey;
use crate::auth::schemas::{RefreshIn, RegisterIn, TokenForm, TokenOut, UserOut};
use crate::auth::service::{self, TokenPair};
use crate::errors::{AppError, ErrorBody, ValidationBody};
use crate::extract::{ClientAddress, ValidJson, form_fields};

/// `/auth/*` and `/users/me`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/auth/register", post(register))
        .route("/auth/token", post(token))
        .route("/auth/refresh", post(refresh))
        .route("/auth/logout", post(logout))
        .route("/users/me", get(me))
}

fn token_out(pair: TokenPair) -> TokenOut {
    TokenOut {
        access_token: pair.access_token,
        token_type: "bearer",
        refresh_token: pair.refresh_token.expose_secret().to_owned(),
        expires_in: pair.expires_in,
    }
}

/// Register a user.
#[utoipa::path(post, path = "/auth/register", tag = "auth", request_body = RegisterIn, responses(
    (status = 201, description = "The new user", body = UserOut),
    (status = 409, description = "The email is registered", body = ErrorBody),
    (status = 413, description = "The body is over the size limit", body = ErrorBody),
    (status = 415, description = "The body is not JSON", body = ErrorBody),
    (status = 422, description = "Invalid email, password or display name", body = ValidationBody),
    (status = 429, description = "Too many requests from this client; see Retry-After", body = ErrorBody),
    (status = 503, description = "Too many password checks at once; see Retry-After", body = ErrorBody),
))]
pub async fn register(
    State(state): State<AppState>,
    ClientAddress(client): ClientAddress,
    ValidJson(input): ValidJson<RegisterIn>,
) -> Result<(StatusCode, Json<UserOut>), AppError> {
    if let Err(retry_after_secs) = state.auth_limits.client(ClientKey::of(client), Instant::now()) {
        tracing::warn!(client = ?client, "registration rate limit reached");
        let detail = "Too many registration attempts; try again later";
        return Err(AppError::TooManyRequests { detail, retry_after_secs });
    }
    let user = service::register(
        &state.db,
        &state.hashing,
        input.normalized_email(),
        &input.password,
        input.normalized_display_name(),
    )
    .await?;
    tracing::info!(user_id = user.id, "user registered");
    Ok((StatusCode::CREATED, Json(user.into())))
}

/// What a client over a login limit is told.
const LOGIN_LIMITED: &str = "Too many login attempts; try again later";

/// Log in: exchange an email (`username`) and password for tokens (OAuth2 password flow).
#[utoipa::path(post, path = "/auth/token", tag = "auth",
    request_body(content = crate::auth::schemas::TokenFormDoc, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 200, description = "An access token and a refresh token", body = TokenOut),
        (status = 401, description = "Incorrect username or password", body = ErrorBody),
        (status = 413, description = "The body is over the size limit", body = ErrorBody),
        (status = 415, description = "The body is not a URL-encoded form", body = ErrorBody),
        (status = 422, description = "A field is missing", body = ValidationBody),
        (status = 429, description = "Too many attempts from this client or on this account; see Retry-After", body = ErrorBody),
        (status = 503, description = "Too many password checks at once; see Retry-After", body = ErrorBody),
    ))]
pub async fn token(
    State(state): State<AppState>,
    ClientAddress(client): ClientAddress,
    request: Request,
) -> Result<Json<TokenOut>, AppError> {
    let now = Instant::now();
    if let Err(retry_after_secs) = state.auth_limits.client(ClientKey::of(client), now) {
        tracing::warn!(client = ?client, "login rate limit reached for a client");
        return Err(AppError::TooManyRequests { detail: LOGIN_LIMITED, retry_after_secs });
    }
    let form = TokenForm::from_fields(form_fields(request, &state).await?)?;
    if let Err(retry_after_secs) = state.auth_limits.account(&form.username, now) {
        tracing::warn!(client = ?client, "login rate limit reached for an account");
        return Err(AppError::TooManyRequests { detail: LOGIN_LIMITED, retry_after_secs });
    }
    let user = match service::authenticate(&state.db, &state.hashing, &form.username, &form.password).await {
        Ok(user) => user,
        Err(error) => {
            tracing::info!(client = ?client, "login failed");
            return Err(error.into());
        }
    };
    let pair = service::issue_tokens(&state.db, &state.tokens, user.id).await?;
    tracing::info!(user_id = user.id, "logged in");
    Ok(Json(token_out(pair)))
}

/// Exchange a refresh token for a new pair; the old refresh token stops working.
#[utoipa::path(post, path = "/auth/refresh", tag = "auth", request_body = RefreshIn, responses(
    (status = 200, description = "A new access token and refresh token", body = TokenOut),
    (status = 401, description = "The refresh token is unknown, expired, used or revoked", body = ErrorBody),
    (status = 413, description = "The body is over the size limit", body = ErrorBody),
    (status = 415, description = "The body is not JSON", body = ErrorBody),
    (status = 422, description = "No refresh token in the body", body = ValidationBody),
))]
pub async fn refresh(
    State(state): State<AppState>,
    ValidJson(input): ValidJson<RefreshIn>,
) -> Result<Json<TokenOut>, AppError> {
    let pair = service::rotate_refresh_token(&state.db, &state.tokens, &input.refresh_token).await?;
    Ok(Json(token_out(pair)))
}

/// Log out: revoke a refresh token.
#[utoipa::path(post, path = "/auth/logout", tag = "auth", request_body = RefreshIn, responses(
    (status = 204, description = "The refresh token no longer works"),
    (status = 413, description = "The body is over the size limit", body = ErrorBody),
    (status = 415, description = "The body is not JSON", body = ErrorBody),
    (status = 422, description = "No refresh token in the body", body = ValidationBody),
))]
pub async fn logout(
    State(state): State<AppState>,
    ValidJson(input): ValidJson<RefreshIn>,
) -> Result<StatusCode, AppError> {
    service::revoke_refresh_token(&state.db, &input.refresh_token).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The current user.
#[utoipa::path(get, path = "/users/me", tag = "users", security(("OAuth2PasswordBearer" = [])), responses(
    (status = 200, description = "The user the access token belongs to", body = UserOut),
    (status = 401, description = "Not authenticated, or the token is invalid or expired", body = ErrorBody),
))]
pub async fn me(CurrentUser(user): CurrentUser) -> Json<UserOut> {
    Json(user.into())
}
