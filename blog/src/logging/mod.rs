//! Logging with tracing: human-readable or JSON lines (`LOG_FORMAT`), filtered by
//! `LOG_LEVEL`. Every request gets an id (`x-request-id`, kept when the client sends one and
//! returned in the response) carried by a span, so every line logged while handling it names
//! the request; the access log is one line per response.

use std::ffi::OsStr;
use std::io::IsTerminal;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use axum::body::Body;
use axum::http::{HeaderName, Request, Response};
use rand::RngCore;
use tower_http::request_id::{MakeRequestId, RequestId};
use tower_http::trace::TraceLayer;
use tracing::Span;
use tracing_subscriber::EnvFilter;

use crate::config::{LogFormat, Settings};

mod json;

pub use json::{JsonFields, JsonLines};

/// The request id header.
pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Installs the global subscriber.
///
/// # Errors
///
/// When `LOG_LEVEL` is not a valid filter, or a subscriber is installed already.
pub fn init(settings: &Settings) -> Result<(), String> {
    let filter = EnvFilter::try_new(&settings.log_level)
        .map_err(|e| format!("invalid LOG_LEVEL=`{}`: {e}", settings.log_level))?;
    // Lines go to stdout (the fmt default), so stdout decides whether they are colored.
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stdout);
    let result = match settings.log_format {
        LogFormat::Human => {
            let ansi = use_color(std::io::stdout().is_terminal(), std::env::var_os("NO_COLOR").as_deref());
            builder.with_target(false).with_ansi(ansi).try_init()
        }
        LogFormat::Json => builder.fmt_fields(JsonFields).event_format(JsonLines).try_init(),
    };
    result.map_err(|e| format!("could not install the logger: {e}"))
}

/// Whether human lines are colored: only on a terminal (a file or a pipe would keep the
/// escape codes as text), and never with `NO_COLOR` set to anything but the empty string
/// (<https://no-color.org>).
fn use_color(is_terminal: bool, no_color: Option<&OsStr>) -> bool {
    is_terminal && no_color.is_none_or(OsStr::is_empty)
}

/// Request ids: a random prefix per process and a counter, unique across replicas and cheap.
#[derive(Debug, Clone)]
pub struct RequestIds {
    prefix: String,
    next: std::sync::Arc<AtomicU64>,
}

impl Default for RequestIds {
    fn default() -> Self {
        let mut bytes = [0u8; 4];
        rand::rng().fill_bytes(&mut bytes);
        RequestIds {
            prefix: bytes.iter().map(|b| format!("{b:02x}")).collect(),
            next: std::sync::Arc::new(AtomicU64::new(1)),
        }
    }
}

impl MakeRequestId for RequestIds {
    fn make_request_id<B>(&mut self, _: &Request<B>) -> Option<RequestId> {
        let n = self.next.fetch_add(1, Ordering::Relaxed);
        format!("{}-{n:x}", self.prefix).parse().ok().map(RequestId::new)
    }
}

/// The span of a request, named by its id.
fn request_span(request: &Request<Body>) -> Span {
    let id = request.headers().get(REQUEST_ID).and_then(|v| v.to_str().ok()).unwrap_or("-");
    tracing::info_span!("request", request_id = %id, method = %request.method(), path = %request.uri().path())
}

/// The access log line.
fn log_response(response: &Response<Body>, latency: Duration, _: &Span) {
    tracing::info!(
        status = response.status().as_u16(),
        latency_ms = latency.as_secs_f64() * 1000.0,
        "request finished"
    );
}

/// The tracing layer: a span per request and the access log.
#[allow(clippy::type_complexity)] // tower-http's layer type spells out each callback.
pub fn trace_layer() -> TraceLayer<
    tower_http::classify::SharedClassifier<tower_http::classify::ServerErrorsAsFailures>,
    fn(&Request<Body>) -> Span,
    (),
    fn(&Response<Body>, Duration, &Span),
    (),
    (),
    (),
> {
    TraceLayer::new_for_http()
        .make_span_with(request_span as fn(&Request<Body>) -> Span)
        .on_request(())
        .on_response(log_response as fn(&Response<Body>, Duration, &Span))
        .on_body_chunk(())
        .on_eos(())
        .on_failure(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colors_only_on_a_terminal_without_no_color() {
        assert!(use_color(true, None));
        assert!(use_color(true, Some(OsStr::new(""))));
        assert!(!use_color(true, Some(OsStr::new("1"))));
        // A file or a pipe: never, whatever NO_COLOR says.
        assert!(!use_color(false, None));
        assert!(!use_color(false, Some(OsStr::new(""))));
    }
}
