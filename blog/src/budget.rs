//! The memory of large responses, `RESPONSE_MEMORY_MIB`: a body over [`LARGE_BODY_BYTES`]
//! holds its size against one [`ResponseBudget`] until its last piece is handed to the
//! connection, so that clients that ask for large pages and read slowly or not at all cannot
//! make the service hold more. A handler that writes a large body piece by piece (a page of
//! posts, row by row) takes the budget as it writes ([`BudgetedBuffer`]), so that it stops
//! at the budget instead of building the whole body first; [`crate::layers::guard`] holds
//! any other body with a known size once it is made.

use std::convert::Infallible;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use axum::body::{Body, Bytes};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use hyper::body::{Body as HttpBody, Frame, SizeHint};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::errors::AppError;

/// A response body over this size is held against the [`ResponseBudget`] and sent in copied
/// pieces of this size. Smaller ones are not counted: a connection holds one response at a
/// time and there are at most `MAX_CONNECTIONS` of them.
pub const LARGE_BODY_BYTES: usize = 64 * 1024;

/// Memory for the bodies of large responses (a page of long posts can be tens of MiB) from
/// when they are made until their last piece is handed to the connection.
#[derive(Debug, Clone)]
pub struct ResponseBudget {
    /// One permit per KiB.
    kib: Arc<Semaphore>,
    total_kib: u32,
}

/// The budget is taken: the response is refused with a 503 and `Retry-After`.
#[derive(Debug, thiserror::Error)]
#[error("the memory for large responses is taken")]
pub struct BudgetTaken;

impl From<BudgetTaken> for AppError {
    fn from(_: BudgetTaken) -> Self {
        tracing::warn!("response refused: the memory for large responses is taken");
        AppError::Busy { detail: "Too many large responses are being sent; try again shortly", retry_after_secs: 1 }
    }
}

/// Marks a response whose body took its share of the budget as it was written.
#[derive(Debug, Clone, Copy)]
struct Budgeted;

impl ResponseBudget {
    /// A budget of `mib` MiB.
    pub fn new(mib: u32) -> ResponseBudget {
        let total_kib = mib.saturating_mul(1024);
        ResponseBudget { kib: Arc::new(Semaphore::new(total_kib as usize)), total_kib }
    }

    /// `response` with a body over [`LARGE_BODY_BYTES`] holding its share of the budget until
    /// it is sent (a body larger than the whole budget takes all of it), or a 503 with
    /// `Retry-After` when that share is taken. A body of unknown size (a download's stream)
    /// holds one piece at a time and is left alone, as is one written by a
    /// [`BudgetedBuffer`].
    pub async fn hold(&self, response: Response) -> Response {
        if response.extensions().get::<Budgeted>().is_some() {
            return response;
        }
        let Some(size) = response.body().size_hint().exact() else { return response };
        let Ok(size) = usize::try_from(size) else { return response };
        if size <= LARGE_BODY_BYTES {
            return response;
        }
        let Some(permit) = self.take(size, None) else { return AppError::from(BudgetTaken).into_response() };
        let (parts, body) = response.into_parts();
        // The body's size is known: it is already in memory, and collecting it takes no wait.
        match axum::body::to_bytes(body, size).await {
            Ok(rest) => Response::from_parts(parts, Body::new(Pieces { rest, permit: Some(permit) })),
            Err(error) => AppError::Internal(anyhow::anyhow!("reading a response body: {error}")).into_response(),
        }
    }

    /// An empty body to write into, taking the budget as it grows.
    pub fn buffer(&self) -> BudgetedBuffer {
        BudgetedBuffer { bytes: Vec::new(), budget: self.clone(), permit: None, held_kib: 0 }
    }

    /// The permits for `bytes` beyond the `held` ones (at most the whole budget), or `None`
    /// when they are taken.
    fn take(&self, bytes: usize, held: Option<&OwnedSemaphorePermit>) -> Option<OwnedSemaphorePermit> {
        let kib = u32::try_from(bytes.div_ceil(1024)).unwrap_or(u32::MAX).min(self.total_kib);
        let held = held.map_or(0, |permit| u32::try_from(permit.num_permits()).unwrap_or(u32::MAX));
        self.kib.clone().try_acquire_many_owned(kib.saturating_sub(held)).ok()
    }

    /// KiB of the budget not taken.
    #[cfg(test)]
    fn available_kib(&self) -> usize {
        self.kib.available_permits()
    }
}

/// A response body written piece by piece (`std::io::Write`), whose size beyond
/// [`LARGE_BODY_BYTES`] is taken from the [`ResponseBudget`] whenever
/// [`BudgetedBuffer::take_budget`] is called, and held until the body is sent.
pub struct BudgetedBuffer {
    bytes: Vec<u8>,
    budget: ResponseBudget,
    permit: Option<OwnedSemaphorePermit>,
    held_kib: u32,
}

impl std::io::Write for BudgetedBuffer {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.bytes.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl BudgetedBuffer {
    /// Takes the budget for what was written so far.
    ///
    /// # Errors
    ///
    /// [`BudgetTaken`] when the budget is spent; the caller stops writing, and the buffer
    /// gives back what it held when dropped.
    pub fn take_budget(&mut self) -> Result<(), BudgetTaken> {
        if self.bytes.len() <= LARGE_BODY_BYTES || self.held_kib >= self.budget.total_kib {
            return Ok(());
        }
        let needed = u32::try_from(self.bytes.len().div_ceil(1024)).unwrap_or(u32::MAX).min(self.budget.total_kib);
        if needed > self.held_kib {
            let more = self.budget.take(self.bytes.len(), self.permit.as_ref()).ok_or(BudgetTaken)?;
            match &mut self.permit {
                Some(permit) => permit.merge(more),
                None => self.permit = Some(more),
            }
            self.held_kib = needed;
        }
        Ok(())
    }

    /// The body as a response of `content_type`, still holding its share of the budget.
    ///
    /// # Errors
    ///
    /// [`BudgetTaken`] when the budget is spent (the last writes are taken here).
    pub fn into_response(mut self, content_type: &'static str) -> Result<Response, BudgetTaken> {
        self.take_budget()?;
        let rest = Bytes::from(self.bytes);
        let body = if rest.len() > LARGE_BODY_BYTES {
            Body::new(Pieces { rest, permit: self.permit })
        } else {
            Body::from(rest)
        };
        let mut response = body.into_response();
        response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
        response.extensions_mut().insert(Budgeted);
        Ok(response)
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

#[cfg(test)]
mod tests {
    use std::io::Write;

    use axum::Router;
    use axum::extract::Request;
    use axum::http::StatusCode;
    use axum::routing::get;
    use tower::ServiceExt;

    use super::*;
    use crate::layers::{Guard, guard};

    async fn body_of(response: Response) -> String {
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX).await.expect("a body");
        String::from_utf8_lossy(&bytes).into_owned()
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

    /// A body written piece by piece takes the budget as it grows: the writer learns that
    /// the budget is spent at the first piece past it, not once the whole body is built.
    #[test]
    fn a_written_body_takes_the_budget_as_it_grows() {
        let budget = ResponseBudget::new(1);
        let mut held = budget.buffer();
        held.write_all(&[b'a'; 700 * 1024]).expect("written");
        held.take_budget().expect("the budget is free");
        assert_eq!(budget.available_kib(), 1024 - 700);

        let mut refused = budget.buffer();
        refused.write_all(&[b'b'; 200 * 1024]).expect("written");
        refused.take_budget().expect("200 KiB fit beside 700");
        assert_eq!(budget.available_kib(), 1024 - 900);
        refused.write_all(&[b'b'; 200 * 1024]).expect("written");
        assert!(refused.take_budget().is_err(), "400 KiB do not fit beside 700");
        drop(refused);
        assert_eq!(budget.available_kib(), 1024 - 700, "a refused body gives back what it held");

        let response = held.into_response("application/json").expect("within the budget");
        assert_eq!(response.headers()[header::CONTENT_TYPE], "application/json");
        assert_eq!(response.body().size_hint().exact(), Some(700 * 1024));
        assert_eq!(budget.available_kib(), 1024 - 700, "held until sent");
        drop(response);
        assert_eq!(budget.available_kib(), 1024);

        let mut small = budget.buffer();
        small.write_all(b"{}").expect("written");
        let response = small.into_response("application/json").expect("small bodies are not counted");
        assert_eq!(budget.available_kib(), 1024);
        drop(response);
    }

    /// A response written with a [`BudgetedBuffer`] is not counted a second time by
    /// [`guard`].
    #[tokio::test]
    async fn the_guard_does_not_count_a_written_body_twice() {
        let budget = ResponseBudget::new(1);
        let writer = budget.clone();
        let app = Router::new()
            .route(
                "/written",
                get(move || {
                    let writer = writer.clone();
                    async move {
                        let mut out = writer.buffer();
                        out.write_all(&[b'w'; 600 * 1024]).expect("written");
                        out.into_response("text/plain").map_err(AppError::from)
                    }
                }),
            )
            .layer(axum::middleware::from_fn_with_state(Guard { hsts: None, budget: budget.clone() }, guard));
        let response = app.oneshot(Request::get("/written").body(Body::empty()).expect("a request")).await;
        let response = response.expect("the router never fails");
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(budget.available_kib(), 1024 - 600);
        assert_eq!(body_of(response).await.len(), 600 * 1024);
        assert_eq!(budget.available_kib(), 1024);
    }
}
