//! The production layers [`crate::app`] wraps around the routes, each a small function: the
//! request timeout, the panic catcher, and the outermost [`guard`] (the check of a client's
//! `x-request-id` before it reaches a log line, the memory of large responses, and the
//! security headers). The request id itself and the access log are in [`crate::logging`];
//! CORS is built from the settings in [`crate::app`].

use std::any::Any;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::{Body, Bytes};
use hyper::body::{Body as HttpBody, Frame, SizeHint};

use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::budget::ResponseBudget;

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

/// Answers when the handler takes longer than the configured timeout: 408 when it was
/// waiting for the client's body just then (a slow or stalled upload: the client's doing,
/// and a 504 would blame the service), 504 otherwise.
pub async fn timeout(State(limit): State<Duration>, request: Request, next: Next) -> Response {
    let (request, waiting_for_body) = watch_body(request);
    match tokio::time::timeout(limit, next.run(request)).await {
        Ok(response) => response,
        Err(_) if waiting_for_body.is_some_and(|waiting| waiting.load(Ordering::Relaxed)) => {
            tracing::warn!(timeout_secs = limit.as_secs(), "request timed out waiting for its body");
            AppError::BodyTimeout.into_response()
        }
        Err(_) => {
            tracing::warn!(timeout_secs = limit.as_secs(), "request timed out");
            AppError::Timeout.into_response()
        }
    }
}

/// The request, its body (if it has one) telling through the flag whether its reader is
/// waiting for the client.
fn watch_body(request: Request) -> (Request, Option<Arc<AtomicBool>>) {
    if request.body().is_end_stream() {
        return (request, None);
    }
    let waiting = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&waiting);
    (request.map(|inner| Body::new(WatchedBody { inner, waiting: flag })), Some(waiting))
}

/// A request body that records whether its last read found nothing yet to read.
struct WatchedBody {
    inner: Body,
    waiting: Arc<AtomicBool>,
}

impl HttpBody for WatchedBody {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        let poll = Pin::new(&mut self.inner).poll_frame(cx);
        self.waiting.store(poll.is_pending(), Ordering::Relaxed);
        poll
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
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
/// carry ids of that shape); a response to `/auth/...` or to a request with credentials gets
/// `Cache-Control: no-store`, so that no cache keeps tokens or a user's data; a response body over
/// [`LARGE_BODY_BYTES`](crate::budget::LARGE_BODY_BYTES) takes its size from the
/// [`ResponseBudget`] until it is sent (a 503 with `Retry-After` when the budget is spent);
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
    // Tokens and what only a signed-in user may see stay out of every cache (RFC 6749 5.1).
    let private = request.uri().path().starts_with("/auth/") || request.headers().contains_key(header::AUTHORIZATION);
    let mut response = guard.budget.hold(next.run(request).await).await;
    let headers = response.headers_mut();
    if private {
        set_default(headers, header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        set_default(headers, header::PRAGMA, HeaderValue::from_static("no-cache"));
    }
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

    /// A client that stops sending its body holds the handler until the timeout: that is its
    /// doing (408, and the connection closed), where a slow handler is the service's (504).
    #[tokio::test]
    async fn a_body_that_stops_arriving_is_answered_408() {
        async fn read(body: Bytes) -> String {
            format!("{} bytes", body.len())
        }
        async fn read_then_stall(body: Bytes) -> String {
            tokio::time::sleep(Duration::from_secs(5)).await;
            format!("{} bytes", body.len())
        }
        let app = Router::new()
            .route("/read", axum::routing::post(read))
            .route("/read-then-stall", axum::routing::post(read_then_stall))
            .layer(axum::middleware::from_fn_with_state(Duration::from_millis(50), timeout));
        let stalled = || {
            let first = futures_util::stream::iter([Ok::<_, std::io::Error>(Bytes::from_static(b"{\"title\""))]);
            Body::from_stream(futures_util::StreamExt::chain(first, futures_util::stream::pending()))
        };
        let post = |path: &str, body: Body| Request::post(path).body(body).expect("a request");

        let response = app.clone().oneshot(post("/read", stalled())).await.expect("the router never fails");
        assert_eq!(response.status(), StatusCode::REQUEST_TIMEOUT);
        assert_eq!(response.headers().get(header::CONNECTION).map(HeaderValue::as_bytes), Some(&b"close"[..]));
        assert_eq!(body_of(response).await, r#"{"detail":"The request body did not arrive in time"}"#);

        let whole = app.clone().oneshot(post("/read", Body::from("{}"))).await.expect("the router never fails");
        assert_eq!((whole.status(), body_of(whole).await), (StatusCode::OK, "2 bytes".to_owned()));
        // The body was read whole; the handler's own wait is the service's.
        let slow = app.oneshot(post("/read-then-stall", Body::from("{}"))).await.expect("the router never fails");
        assert_eq!(slow.status(), StatusCode::GATEWAY_TIMEOUT);
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
