//! Serving the application over HTTP/1 with bounded connections: [`serve`] accepts at most
//! `MAX_CONNECTIONS` at once, gives each client `HEADER_READ_TIMEOUT_SECS` to send a request's
//! headers (hyper's timer, from when the connection opens or the previous response is sent),
//! and closes a connection with no request in flight for `KEEP_ALIVE_TIMEOUT_SECS`.
//! `axum::serve` has none of these, so a client that opens connections and sends nothing (or
//! a byte at a time) could hold every file descriptor.
//!
//! What a request may do once it is read (its time, its body's size) is for the layers in
//! [`crate::app`]; this module only knows connections.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use axum::extract::Request;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, watch};
use tokio::time::Instant;
use tower::ServiceExt;

use crate::config::ConnectionLimits;

/// How long to wait before accepting again when the listener fails (out of file descriptors,
/// for instance): retrying at once would spin.
const ACCEPT_BACKOFF: Duration = Duration::from_secs(1);

/// Serves `app` on `listener` until `shutdown` resolves, then stops accepting, lets every
/// connection finish its request in flight, and returns once all are closed. Each request
/// carries the peer's address as `ConnectInfo<SocketAddr>`.
///
/// A connection past `limits.max_connections` is not accepted until one closes: it waits in
/// the listen backlog, costing no file descriptor here.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    limits: ConnectionLimits,
    shutdown: impl Future<Output = ()> + Send,
) {
    let slots = Arc::new(Semaphore::new(limits.max_connections));
    let (stop, stopping) = watch::channel(());
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new()).header_read_timeout(limits.header_read_timeout).keep_alive(true);
    tokio::pin!(shutdown);
    loop {
        let slot = tokio::select! {
            slot = slots.clone().acquire_owned() => slot.expect("the semaphore is never closed"),
            () = &mut shutdown => break,
        };
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) if is_connection_error(&error) => continue,
                Err(error) => {
                    tracing::error!(error = %error, "could not accept a connection; retrying in a second");
                    tokio::time::sleep(ACCEPT_BACKOFF).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let connection = Connection { stream, peer, app: app.clone(), idle_limit: limits.keep_alive_timeout };
        tokio::spawn(connection.run(http.clone(), stopping.clone(), slot));
    }
    drop(listener);
    stop.send_replace(());
    // Each connection holds its slot until it closes: with every slot back, all are closed.
    let all = u32::try_from(limits.max_connections).unwrap_or(u32::MAX);
    let _closed = slots.acquire_many(all).await;
}

/// Errors of one connection that leave the listener able to accept the next.
fn is_connection_error(error: &std::io::Error) -> bool {
    matches!(
        error.kind(),
        std::io::ErrorKind::ConnectionRefused
            | std::io::ErrorKind::ConnectionAborted
            | std::io::ErrorKind::ConnectionReset
    )
}

/// One accepted connection.
struct Connection {
    stream: TcpStream,
    peer: SocketAddr,
    app: Router,
    idle_limit: Duration,
}

impl Connection {
    /// Serves requests until the client closes, a timeout closes the connection, or the
    /// server stops; `_slot` is given back then.
    async fn run(
        self,
        http: hyper::server::conn::http1::Builder,
        mut stopping: watch::Receiver<()>,
        _slot: OwnedSemaphorePermit,
    ) {
        let activity = Arc::new(Activity::new());
        let (app, peer, tracked) = (self.app, self.peer, activity.clone());
        let service = hyper::service::service_fn(move |mut request: Request<Incoming>| {
            request.extensions_mut().insert(ConnectInfo(peer));
            let busy = tracked.begin();
            let app = app.clone();
            async move {
                let response = app.oneshot(request).await;
                drop(busy);
                response
            }
        });
        let connection = http.serve_connection(TokioIo::new(self.stream), service);
        tokio::pin!(connection);
        let mut closing = false;
        loop {
            tokio::select! {
                result = connection.as_mut() => {
                    if let Err(error) = result {
                        // Timeouts and clients that hang up: nothing the service can act on.
                        tracing::debug!(error = %error, peer = %peer, "connection closed");
                    }
                    return;
                }
                () = tokio::time::sleep_until(activity.idle_deadline(self.idle_limit)), if !closing => {
                    if activity.idle_for(self.idle_limit) {
                        // Closes an idle connection now; one still writing a response after it.
                        connection.as_mut().graceful_shutdown();
                        closing = true;
                    }
                }
                _ = stopping.changed(), if !closing => {
                    connection.as_mut().graceful_shutdown();
                    closing = true;
                }
            }
        }
    }
}

/// Whether a connection has a request in flight, and since when it has had none.
#[derive(Debug)]
struct Activity {
    in_flight: AtomicUsize,
    last: Mutex<Instant>,
}

impl Activity {
    fn new() -> Activity {
        Activity { in_flight: AtomicUsize::new(0), last: Mutex::new(Instant::now()) }
    }

    /// Counts a request in flight until the returned guard is dropped.
    fn begin(self: &Arc<Self>) -> InFlight {
        self.in_flight.fetch_add(1, Ordering::SeqCst);
        InFlight(self.clone())
    }

    fn last(&self) -> Instant {
        *self.last.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// When the connection will have been idle for `limit`, as far as is known now.
    fn idle_deadline(&self, limit: Duration) -> Instant {
        if self.in_flight.load(Ordering::SeqCst) > 0 { Instant::now() + limit } else { self.last() + limit }
    }

    fn idle_for(&self, limit: Duration) -> bool {
        self.in_flight.load(Ordering::SeqCst) == 0 && self.last().elapsed() >= limit
    }
}

/// A request in flight on a connection.
struct InFlight(Arc<Activity>);

impl Drop for InFlight {
    fn drop(&mut self) {
        *self.0.last.lock().unwrap_or_else(PoisonError::into_inner) = Instant::now();
        self.0.in_flight.fetch_sub(1, Ordering::SeqCst);
    }
}
