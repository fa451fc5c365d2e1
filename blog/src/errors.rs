//! One error type for every handler, [`AppError`], answered as JSON in FastAPI's shapes:
//! `{"detail": "..."}` for most errors, and for invalid input (422) a list of field errors
//! `{"detail": [{"type", "loc", "msg", "input"}]}`. Clients written for a FastAPI service keep
//! working.
//!
//! 4xx bodies say what went wrong; 5xx bodies never carry details: the cause is logged with the
//! request's id instead.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::Value;

/// One invalid field, as FastAPI (pydantic) reports it.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct FieldError {
    /// The kind of error: `missing`, `string_too_short`, `value_error`, `json_invalid`...
    #[serde(rename = "type")]
    pub kind: String,
    /// Where: `["body", "title"]`, `["query", "page"]`, `["path", "id"]`; a position in a
    /// list or in the body's text is a number.
    #[schema(schema_with = loc_schema)]
    pub loc: Vec<Value>,
    /// What is wrong, for people.
    pub msg: String,
    /// The value received (any JSON value; secrets are replaced by `**********`).
    #[schema(schema_with = any_schema)]
    pub input: Value,
}

/// `loc`'s schema: a list of strings and integers.
fn loc_schema() -> utoipa::openapi::schema::Array {
    use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, OneOfBuilder, Type};
    let item = OneOfBuilder::new()
        .item(ObjectBuilder::new().schema_type(Type::String))
        .item(ObjectBuilder::new().schema_type(Type::Integer));
    ArrayBuilder::new().items(item).build()
}

/// `input`'s schema: any JSON value (`{}`).
fn any_schema() -> utoipa::openapi::schema::Object {
    utoipa::openapi::schema::Object::with_type(utoipa::openapi::schema::SchemaType::AnyValue)
}

impl FieldError {
    /// An error at `loc` (`["body", "title"]`).
    pub fn new(kind: &str, loc: &[&str], msg: impl Into<String>, input: Value) -> FieldError {
        FieldError {
            kind: kind.to_owned(),
            loc: loc.iter().map(|part| Value::from(*part)).collect(),
            msg: msg.into(),
            input,
        }
    }
}

/// The body of every error but 422: `{"detail": "..."}`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    /// What went wrong.
    pub detail: String,
}

/// The body of a 422: `{"detail": [{...}]}`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ValidationBody {
    /// One entry per invalid field.
    pub detail: Vec<FieldError>,
}

/// Everything a handler can answer besides success.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// 422: invalid input, field by field.
    #[error("invalid input")]
    Validation(Vec<FieldError>),
    /// 400: a request that makes no sense.
    #[error("{0}")]
    BadRequest(String),
    /// 401: missing, invalid or expired credentials (with `WWW-Authenticate: Bearer`).
    #[error("{0}")]
    Unauthorized(&'static str),
    /// 403: authenticated, but not allowed.
    #[error("{0}")]
    Forbidden(&'static str),
    /// 404.
    #[error("{0}")]
    NotFound(&'static str),
    /// 409: the request conflicts with what exists.
    #[error("{0}")]
    Conflict(&'static str),
    /// 413: a body over the limit.
    #[error("{0}")]
    PayloadTooLarge(String),
    /// 415: a content type that is not accepted.
    #[error("{0}")]
    UnsupportedMediaType(String),
    /// 429, with `Retry-After`.
    #[error("too many requests")]
    TooManyRequests {
        /// What to tell the client.
        detail: &'static str,
        /// Seconds until the next attempt is allowed.
        retry_after_secs: u64,
    },
    /// 503: a dependency is not ready.
    #[error("{0}")]
    Unavailable(String),
    /// 503 with `Retry-After`: the service is at capacity for this kind of work.
    #[error("busy")]
    Busy {
        /// What to tell the client.
        detail: &'static str,
        /// Seconds to wait before trying again.
        retry_after_secs: u64,
    },
    /// 504: the request took longer than the configured timeout.
    #[error("request timed out")]
    Timeout,
    /// 408: the timeout passed while the service waited for the client's body (with
    /// `Connection: close`, since the rest of the body is not read).
    #[error("request body timed out")]
    BodyTimeout,
    /// 500: a bug or an outage; logged, never shown.
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl AppError {
    /// One field error as a 422.
    pub fn field(kind: &str, loc: &[&str], msg: impl Into<String>, input: Value) -> AppError {
        AppError::Validation(vec![FieldError::new(kind, loc, msg, input)])
    }

    /// The status code of this error.
    pub fn status(&self) -> StatusCode {
        match self {
            AppError::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
            AppError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            AppError::Forbidden(_) => StatusCode::FORBIDDEN,
            AppError::NotFound(_) => StatusCode::NOT_FOUND,
            AppError::Conflict(_) => StatusCode::CONFLICT,
            AppError::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            AppError::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            AppError::Unavailable(_) | AppError::Busy { .. } => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Timeout => StatusCode::GATEWAY_TIMEOUT,
            AppError::BodyTimeout => StatusCode::REQUEST_TIMEOUT,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl From<sea_orm::DbErr> for AppError {
    fn from(error: sea_orm::DbErr) -> Self {
        match error {
            // Every pooled connection stayed busy for `DATABASE_POOL_TIMEOUT_SECS`: the service
            // is at capacity, which a client can wait out, not broken.
            sea_orm::DbErr::ConnectionAcquire(sea_orm::error::ConnAcquireErr::Timeout) => {
                tracing::warn!("request refused: no database connection came free in time");
                AppError::Busy { detail: "The database is busy; try again shortly", retry_after_secs: 1 }
            }
            // The server ended the connection (a restart, a failover, an administrator): the
            // pool drops it, and the client's retry gets another.
            error if connection_lost(&error) => {
                tracing::warn!(error = %error, "request refused: the database connection was lost");
                AppError::Busy { detail: "The database connection was lost; try again", retry_after_secs: 1 }
            }
            error => AppError::Internal(anyhow::Error::new(error).context("database error")),
        }
    }
}

/// Whether the error says the connection is gone, not that the statement failed: the socket
/// broke or closed, or PostgreSQL ended the session (`57P01` administrator shutdown, `57P02`
/// crash shutdown, `57P03` cannot connect now).
fn connection_lost(error: &sea_orm::DbErr) -> bool {
    use sea_orm::sqlx::Error as SqlxError;
    use sea_orm::{DbErr, RuntimeErr};
    match error {
        DbErr::ConnectionAcquire(sea_orm::error::ConnAcquireErr::ConnectionClosed) => true,
        DbErr::Conn(RuntimeErr::SqlxError(error))
        | DbErr::Exec(RuntimeErr::SqlxError(error))
        | DbErr::Query(RuntimeErr::SqlxError(error)) => match error.as_ref() {
            SqlxError::Io(_) | SqlxError::PoolClosed | SqlxError::WorkerCrashed => true,
            SqlxError::Database(error) => {
                error.code().is_some_and(|code| matches!(&*code, "57P01" | "57P02" | "57P03"))
            }
            _ => false,
        },
        _ => false,
    }
}

impl From<crate::storage::errors::StorageError> for AppError {
    fn from(error: crate::storage::errors::StorageError) -> Self {
        AppError::Internal(anyhow::Error::new(error).context("storage error"))
    }
}

/// `{"detail": "..."}` with `status`.
pub fn detail(status: StatusCode, detail: impl Into<String>) -> Response {
    (status, Json(ErrorBody { detail: detail.into() })).into_response()
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let status = self.status();
        match self {
            AppError::Validation(errors) => (status, Json(ValidationBody { detail: errors })).into_response(),
            AppError::Unauthorized(message) => {
                let mut response = detail(status, message);
                response.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
                response
            }
            AppError::TooManyRequests { detail: message, retry_after_secs }
            | AppError::Busy { detail: message, retry_after_secs } => {
                let mut response = detail(status, message);
                response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(retry_after_secs));
                response
            }
            AppError::Internal(error) => {
                // The whole chain goes to the log (with the request id of the current span);
                // the client learns nothing about the internals.
                tracing::error!(error = format!("{error:#}"), "request failed");
                detail(status, "Internal Server Error")
            }
            AppError::BadRequest(message)
            | AppError::PayloadTooLarge(message)
            | AppError::UnsupportedMediaType(message)
            | AppError::Unavailable(message) => detail(status, message),
            AppError::Forbidden(message) | AppError::NotFound(message) | AppError::Conflict(message) => {
                detail(status, message)
            }
            AppError::Timeout => detail(status, "Request timed out"),
            AppError::BodyTimeout => {
                let mut response = detail(status, "The request body did not arrive in time");
                response.headers_mut().insert(header::CONNECTION, HeaderValue::from_static("close"));
                response
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(error: AppError, status: u16, body: Value) {
        let response = error.into_response();
        assert_eq!(response.status().as_u16(), status);
        let runtime = tokio::runtime::Builder::new_current_thread().build().expect("a runtime");
        let bytes =
            runtime.block_on(axum::body::to_bytes(response.into_body(), usize::MAX)).expect("the body is in memory");
        let json: Value = serde_json::from_slice(&bytes).expect("JSON");
        assert_eq!(json, body);
    }

    #[test]
    fn errors_have_fastapi_shapes() {
        check(AppError::NotFound("Post not found"), 404, serde_json::json!({"detail": "Post not found"}));
        check(
            AppError::field("missing", &["body", "title"], "Field required", Value::Null),
            422,
            serde_json::json!({"detail": [{"type": "missing", "loc": ["body", "title"], "msg": "Field required", "input": null}]}),
        );
        check(
            AppError::Internal(anyhow::anyhow!("password authentication failed for user admin")),
            500,
            serde_json::json!({"detail": "Internal Server Error"}),
        );
    }
}
