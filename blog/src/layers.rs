//! The production layers [`crate::app`] wraps around the routes, each a small function: the
//! request timeout, the panic catcher, and the outermost [`guard`] (the check of a client's
//! `x-request-id` before it reaches a log line, the memory of large responses, and the
//! security headers). The request id itself and the access log are in [`crate::logging`];
//! CORS is built from the settings in [`crate::app`].

use std::any::Any;
use std::convert::Infallible;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use hyper::body::{Body as HttpBody, Frame, SizeHint};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::errors::{AppError, detail};
use crate::logging::REQUEST_ID;

/// The longest `x-request-id` kept from a client.
pub const MAX_REQUEST_ID_LEN: usize = 128;

/// What HTML pages (the landing page, the docs) may load: their own scripts and styles (the
/// landing page's inline style block and Swagger UI's style attributes need
/// `'unsafe-inline'` for styles only), images including inline icons, and nothing framing them.
pub const HTML_CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
                            img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; \
                            frame-ancestors 'none'";

/// What any other response (JSON, files) may load: nothing, and nothing may frame it.
pub const API_CSP: &str = "default-src 'none'; frame-ancestors 'none'";

/// Answers 504 when the handler takes longer than the configured timeout.
pub async fn timeout(State(limit): State<Duration>, request: Request, next: Next) -> Response {
    match tokio::time::timeout(limit, next.run(request)).await {
        Ok(response) => response,
        Err(_) => {
            tracing::warn!(timeout_secs = limit.as_secs(), "request timed out");
            AppError::Timeout.into_response()
        }
    }
}

/// The answer to a request whose handler panicked: logged with the panic's message (in the
/// request's span, so with its id), then a plain 500 in FastAPI's shape. Used by
/// `tower_http::catch_panic::CatchPanicLayer`, so no request ends without a response.
pub fn panic_response(payload: Box<dyn Any + Send + 'static>) -> Response {
    let message = payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "(no message)".to_owned());
    tracing::error!(panic = message, "request handler panicked");
    detail(StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error")
}

/// What [`guard`] is given: the HSTS header to send, if any, and the memory budget of large
/// responses.
#[derive(Debug, Clone)]
pub struct Guard {
    /// `Strict-Transport-Security`'s value, when it is sent.
    pub hsts: Option<HeaderValue>,
    /// Memory for the bodies of large responses until they are sent.
    pub budget: ResponseBudget,
}

/// The outermost layer, one function so that a request pays for one: a client's
/// `x-request-id` is dropped unless it is 1 to [`MAX_REQUEST_ID_LEN`] characters of
/// `A-Z a-z 0-9 - _ . :` (the request then gets an id of ours, so log lines and responses only
/// carry ids of that shape); a response body over [`LARGE_BODY_BYTES`] takes its size from
/// the [`ResponseBudget`] until it is sent (a 503 with `Retry-After` when the budget is spent);
/// and every response gets the security headers a handler did not set itself: a content
/// security policy (for HTML pages, [`HTML_CSP`]; for anything else, [`API_CSP`]),
/// `X-Frame-Options: DENY` for browsers without `frame-ancestors`, `nosniff`, no referrer, and
/// HSTS when configured.
pub async fn guard(State(guard): State<Guard>, mut request: Request, next: Next) -> Response {
    let valid = request.headers().get_all(REQUEST_ID).iter().count() <= 1
        && request.headers().get(REQUEST_ID).is_none_or(|value| is_valid_request_id(value.as_bytes()));
    if !valid {
        request.headers_mut().remove(REQUEST_ID);
    }
    let mut response = guard.budget.hold(next.run(request).await).await;
    let headers = response.headers_mut();
    let is_html = headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.as_bytes().get(..9))
        .is_some_and(|essence| essence.eq_ignore_ascii_case(b"text/html"));
    let csp = if is_html { HTML_CSP } else { API_CSP };
    set_default(headers, header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(csp));
    set_default(headers, header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    set_default(headers, header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    set_default(headers, header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    if let Some(hsts) = guard.hsts {
        set_default(headers, header::STRICT_TRANSPORT_SECURITY, hsts);
    }
    response
}

/// A response body over this size is held against the [`ResponseBudget`] and sent in copied
/// pieces of this size. Smaller ones are not counted: a connection holds one response at a
/// time and there are at most `MAX_CONNECTIONS` of them.
pub const LARGE_BODY_BYTES: usize = 64 * 1024;

/// Memory for the bodies of large responses (a page of long posts can be tens of MiB) from
/// when they are made until their last piece is handed to the connection. Without it, clients
/// that ask for large pages and then read slowly or not at all would hold that much memory
/// each, once per connection.
#[derive(Debug, Clone)]
pub struct ResponseBudget {
    /// One permit per KiB.
    kib: Arc<Semaphore>,
    total_kib: u32,
}

impl ResponseBudget {
    /// A budget of `mib` MiB.
    pub fn new(mib: u32) -> ResponseBudget {
        let total_kib = mib.saturating_mul(1024);
        ResponseBudget { kib: Arc::new(Semaphore::new(total_kib as usize)), total_kib }
    }

    /// `response` with a body over [`LARGE_BODY_BYTES`] holding its share of the budget until
    /// it is sent (a body larger than the whole budget takes all of it), or a 503 with
    /// `Retry-After` when that share is taken. A body of unknown size (a download's stream)
    /// holds one piece at a time and is left alone.
    pub async fn hold(&self, response: Response) -> Response {
        let Some(size) = response.body().size_hint().exact() else { return response };
        let Ok(size) = usize::try_from(size) else { return response };
        if size <= LARGE_BODY_BYTES {
            return response;
        }
        let kib = u32::try_from(size.div_ceil(1024)).unwrap_or(u32::MAX).min(self.total_kib);
        let Ok(permit) = self.kib.clone().try_acquire_many_owned(kib) else {
            tracing::warn!(bytes = size, "response refused: the memory for large responses is taken");
            return AppError::Busy {
                detail: "Too many large responses are being sent; try again shortly",
                retry_after_secs: 1,
            }
            .into_response();
        };
        let (parts, body) = response.into_parts();
        // The body's size is known: it is already in memory, and collecting it takes no wait.
        match axum::body::to_bytes(body, size).await {
            Ok(rest) => Response::from_parts(parts, Body::new(Pieces { rest, permit: Some(permit) })),
            Err(error) => AppError::Internal(anyhow::anyhow!("reading a response body: {error}")).into_response(),
        }
    }

    /// KiB of the budget not taken.
    #[cfg(test)]
    fn available_kib(&self) -> usize {
        self.kib.available_permits()
    }
}

/// A large body given to the connection in copied pieces of [`LARGE_BODY_BYTES`]: the
/// connection buffers a few pieces at most, and the whole body, with its share of the
/// budget, is freed when the last piece is taken.
struct Pieces {
    rest: Bytes,
    permit: Option<OwnedSemaphorePermit>,
}

impl HttpBody for Pieces {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(mut self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        if self.rest.is_empty() {
            return Poll::Ready(None);
        }
        let length = self.rest.len().min(LARGE_BODY_BYTES);
        let piece = Bytes::copy_from_slice(&self.rest[..length]);
        if length == self.rest.len() {
            self.rest = Bytes::new();
            self.permit = None;
        } else {
            self.rest = self.rest.slice(length..);
        }
        Poll::Ready(Some(Ok(Frame::data(piece))))
    }

    fn is_end_stream(&self) -> bool {
        self.rest.is_empty()
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact(self.rest.len() as u64)
    }
}

fn set_default(headers: &mut HeaderMap, name: HeaderName, value: HeaderValue) {
    headers.entry(name).or_insert(value);
}

/// Whether a client's request id may be kept.
pub fn is_valid_request_id(id: &[u8]) -> bool {
    (1..=MAX_REQUEST_ID_LEN).contains(&id.len())
        && id.iter().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'))
}

#[cfg(test)]
mod tests {
    use axum::Router;
    use axum::body::Body;
    use axum::routing::get;
    use tower::ServiceExt;

    use super::*;

    async fn body_of(response: Response) -> String {
        let bytes = axum::body::to_bytes(response.into_body(), 1024).await.expect("a body");
        String::from_utf8_lossy(&bytes).into_owned()
    }

    #[tokio::test]
    async fn slow_requests_are_answered_504() {
        let app = Router::new()
            .route("/slow", get(|| async { tokio::time::sleep(Duration::from_secs(5)).await }))
            .route("/fast", get(|| async { "ok" }))
            .layer(axum::middleware::from_fn_with_state(Duration::from_millis(50), timeout));
        let slow = app.clone().oneshot(Request::get("/slow").body(Body::empty()).expect("a request")).await;
        let slow = slow.expect("the router never fails");
        assert_eq!(slow.status(), StatusCode::GATEWAY_TIMEOUT);
        assert_eq!(body_of(slow).await, r#"{"detail":"Request timed out"}"#);
        let fast = app.oneshot(Request::get("/fast").body(Body::empty()).expect("a request")).await;
        assert_eq!(fast.expect("the router never fails").status(), StatusCode::OK);
    }

    #[tokio::test]
    async fn a_panicking_handler_is_answered_500() {
        async fn boom() -> &'static str {
            panic!("attempt to multiply with overflow")
        }
        let app = Router::new()
            .route("/boom", get(boom))
            .layer(tower_http::catch_panic::CatchPanicLayer::custom(panic_response));
        let response = app.oneshot(Request::get("/boom").body(Body::empty()).expect("a request")).await;
        let response = response.expect("the router never fails");
        assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(body_of(response).await, r#"{"detail":"Internal Server Error"}"#);
    }

    /// A router whose `/big` answers `size` bytes (`a` to `z` over and over) behind [`guard`]
    /// with a budget of `mib`.
    fn budgeted(size: usize, mib: u32) -> (Router, ResponseBudget, Bytes) {
        let body: Bytes = (0..size).map(|i| b'a' + (i % 26) as u8).collect::<Vec<u8>>().into();
        let budget = ResponseBudget::new(mib);
        let served = body.clone();
        let app = Router::new()
            .route("/big", get(move || async move { served.clone() }))
            .route("/small", get(|| async { "small" }))
            .layer(axum::middleware::from_fn_with_state(Guard { hsts: None, budget: budget.clone() }, guard));
        (app, budget, body)
    }

    async fn call(app: &Router, path: &str) -> Response {
        let request = Request::get(path).body(Body::empty()).expect("a request");
        app.clone().oneshot(request).await.expect("the router never fails")
    }

    /// A client that asks for large responses and never reads them holds no more than the
    /// budget: past it, large responses are refused until the held ones are sent or dropped.
    #[tokio::test]
    async fn large_responses_left_unread_hold_no_more_than_the_budget() {
        let (app, budget, body) = budgeted(600 * 1024, 1);
        let held = call(&app, "/big").await;
        assert_eq!(held.status(), StatusCode::OK);
        assert_eq!(budget.available_kib(), 1024 - 600);

        let refused = call(&app, "/big").await;
        assert_eq!(refused.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(refused.headers()[header::RETRY_AFTER], "1");
        assert_eq!(refused.headers()[header::X_CONTENT_TYPE_OPTIONS], "nosniff", "security headers still go on");
        assert_eq!(
            body_of(refused).await,
            r#"{"detail":"Too many large responses are being sent; try again shortly"}"#
        );
        // Small responses are not counted.
        assert_eq!(call(&app, "/small").await.status(), StatusCode::OK);
        assert_eq!(budget.available_kib(), 1024 - 600);

        drop(held);
        assert_eq!(budget.available_kib(), 1024, "a connection that closes gives its share back");
        let sent = call(&app, "/big").await;
        assert_eq!(sent.status(), StatusCode::OK);
        let received = axum::body::to_bytes(sent.into_body(), usize::MAX).await.expect("a body");
        assert_eq!(received, body, "the pieces make the whole body");
        assert_eq!(budget.available_kib(), 1024);
    }

    /// The body goes out in pieces of [`LARGE_BODY_BYTES`] with its exact length known, and
    /// its share of the budget comes back as the last piece is taken, not when the connection
    /// has written it.
    #[tokio::test]
    async fn a_large_body_goes_in_pieces_and_frees_its_share_with_the_last() {
        let (app, budget, body) = budgeted(3 * LARGE_BODY_BYTES + 10, 1);
        let mut response = call(&app, "/big").await;
        assert_eq!(response.body().size_hint().exact(), Some(body.len() as u64));
        let mut pieces = Vec::new();
        while let Some(frame) = http_body_util::BodyExt::frame(response.body_mut()).await {
            let piece = frame.expect("no error").into_data().expect("data");
            pieces.push(piece.len());
            if pieces.len() < 4 {
                assert!(budget.available_kib() < 1024, "held until the last piece");
            }
        }
        assert_eq!(pieces, [LARGE_BODY_BYTES, LARGE_BODY_BYTES, LARGE_BODY_BYTES, 10]);
        assert_eq!(budget.available_kib(), 1024, "given back with the last piece, the body still alive");
        drop(response);
    }

    /// A body larger than the whole budget is still sent when nothing else holds it.
    #[tokio::test]
    async fn a_body_larger_than_the_budget_is_sent_alone() {
        let (app, budget, body) = budgeted(1024 * 1024 + 1, 1);
        let first = call(&app, "/big").await;
        assert_eq!(first.status(), StatusCode::OK);
        assert_eq!(budget.available_kib(), 0);
        assert_eq!(call(&app, "/big").await.status(), StatusCode::SERVICE_UNAVAILABLE);
        let received = axum::body::to_bytes(first.into_body(), usize::MAX).await.expect("a body");
        assert_eq!(received.len(), body.len());
        assert_eq!(call(&app, "/big").await.status(), StatusCode::OK);
    }

    #[test]
    fn request_ids_are_checked() {
        for (id, valid) in [
            (&b"from-the-proxy-42"[..], true),
            (b"0f3a9c1b-7d04-4e2b-9a1f-5c6d7e8f9a0b", true),
            (b"Root=1-67891233-abcdef012345678912345678", false),
            (b"a b", false),
            (b"a\"b", false),
            (b"\xc3\xa9", false),
            (b"", false),
        ] {
            assert_eq!(is_valid_request_id(id), valid, "{}", String::from_utf8_lossy(id));
        }
        assert!(is_valid_request_id(&[b'a'; MAX_REQUEST_ID_LEN]));
        assert!(!is_valid_request_id(&[b'a'; MAX_REQUEST_ID_LEN + 1]));
    }
}
