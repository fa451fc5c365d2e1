//! Serving the application over HTTP/1 with bounded connections: [`serve`] accepts at most
//! `MAX_CONNECTIONS` at once and `MAX_CONNECTIONS_PER_CLIENT` of one client, gives each client `HEADER_READ_TIMEOUT_SECS` to send a request's
//! headers (hyper's timer, from when the connection opens or the previous response is sent),
//! closes a connection with no request in flight for `KEEP_ALIVE_TIMEOUT_SECS`, and one whose
//! client takes none of a response's bytes for `SEND_TIMEOUT_SECS`. `axum::serve` has none
//! of these, so a client that opens connections and sends nothing (or a byte at a time), or
//! asks for large responses and never reads them, could hold every file descriptor and the
//! memory of every response.
//!
//! What a request may do once it is read (its time, its body's size) is for the layers in
//! [`crate::app`]; this module only knows connections.

use std::collections::HashMap;
use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::ConnectInfo;
use axum::extract::Request;
use hyper::body::{Body as HttpBody, Frame, Incoming, SizeHint};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, watch};
use tokio::time::Instant;
use tower::ServiceExt;

use crate::clients::ClientKey;
use crate::config::{ConnectionLimits, TrustedProxies};

/// How long to wait before accepting again when the listener fails (out of file descriptors,
/// for instance): retrying at once would spin.
const ACCEPT_BACKOFF: Duration = Duration::from_secs(1);

/// Serves `app` on `listener` until `shutdown` resolves, then stops accepting, lets every
/// connection finish its request in flight, and returns once all are closed, or once
/// `limits.shutdown_timeout` has passed (a client reading a large download slowly would
/// otherwise hold the process for as long as it likes); what is left is closed as the
/// runtime stops. Each request carries the peer's address as `ConnectInfo<SocketAddr>`.
///
/// A connection past `limits.max_connections` is not accepted until one closes: it waits in
/// the listen backlog, costing no file descriptor here. A client (an IPv4 address, an IPv6
/// /64) past `limits.max_connections_per_client` is answered 503 and closed at once, so that
/// one client cannot take every slot; the `proxies`, which carry many clients, are not
/// counted.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    limits: ConnectionLimits,
    proxies: TrustedProxies,
    shutdown: impl Future<Output = ()> + Send,
) {
    let slots = Arc::new(Semaphore::new(limits.max_connections));
    let clients = Arc::new(OpenByClient { most: limits.max_connections_per_client, proxies, open: Mutex::default() });
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
        let Some(turn) = OpenByClient::admit(&clients, peer.ip()) else {
            tracing::debug!(peer = %peer, "connection refused: the client has MAX_CONNECTIONS_PER_CLIENT open");
            // A best-effort answer, never waited for: the client may not be reading.
            let _ = stream.try_write(CLIENT_AT_ITS_LIMIT);
            continue;
        };
        let connection = Connection {
            stream,
            peer,
            app: app.clone(),
            idle_limit: limits.keep_alive_timeout,
            send_limit: limits.send_timeout,
        };
        tokio::spawn(connection.run(http.clone(), stopping.clone(), (slot, turn)));
    }
    drop(listener);
    stop.send_replace(());
    // Each connection holds its slot until it closes: with every slot back, all are closed.
    let all = u32::try_from(limits.max_connections).unwrap_or(u32::MAX);
    if tokio::time::timeout(limits.shutdown_timeout, slots.acquire_many(all)).await.is_err() {
        let open = limits.max_connections.saturating_sub(slots.available_permits());
        tracing::warn!(
            connections = open,
            timeout_secs = limits.shutdown_timeout.as_secs(),
            "stopping with connections still open: they did not finish within SHUTDOWN_TIMEOUT_SECS"
        );
    }
}

/// What a client past `MAX_CONNECTIONS_PER_CLIENT` is sent before its connection is closed.
const CLIENT_AT_ITS_LIMIT: &[u8] = b"HTTP/1.1 503 Service Unavailable\r\nRetry-After: 1\r\nConnection: close\r\n\
    Content-Type: application/json\r\nContent-Length: 50\r\n\r\n{\"detail\":\"Too many connections from this client\"}";

/// The connections each client has open: as many entries as open connections, at most.
#[derive(Debug)]
struct OpenByClient {
    most: usize,
    proxies: TrustedProxies,
    open: Mutex<HashMap<ClientKey, usize>>,
}

/// A client's share of [`OpenByClient`], given back when the connection closes (`None` for a
/// proxy, which is not counted).
#[derive(Debug)]
struct ClientTurn(Option<(ClientKey, Arc<OpenByClient>)>);

impl OpenByClient {
    /// A turn for a connection from `peer`, or `None` when it has as many open as it may.
    fn admit(this: &Arc<OpenByClient>, peer: IpAddr) -> Option<ClientTurn> {
        if this.proxies.contains(peer) {
            return Some(ClientTurn(None));
        }
        let key = ClientKey::of(Some(peer));
        let mut open = this.open.lock().unwrap_or_else(PoisonError::into_inner);
        let count = open.entry(key).or_default();
        if *count >= this.most {
            return None;
        }
        *count += 1;
        Some(ClientTurn(Some((key, Arc::clone(this)))))
    }
}

impl Drop for ClientTurn {
    fn drop(&mut self) {
        if let Some((key, clients)) = &self.0 {
            let mut open = clients.open.lock().unwrap_or_else(PoisonError::into_inner);
            if let Some(count) = open.get_mut(key) {
                *count -= 1;
                if *count == 0 {
                    open.remove(key);
                }
            }
        }
    }
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
    send_limit: Duration,
}

impl Connection {
    /// Serves requests until the client closes, a timeout closes the connection, or the
    /// server stops; `_slot` (the server's and the client's) is given back then.
    async fn run(
        self,
        http: hyper::server::conn::http1::Builder,
        mut stopping: watch::Receiver<()>,
        _slot: (OwnedSemaphorePermit, ClientTurn),
    ) {
        let activity = Arc::new(Activity::new());
        let (app, peer, tracked) = (self.app, self.peer, activity.clone());
        let service = hyper::service::service_fn(move |mut request: Request<Incoming>| {
            request.extensions_mut().insert(ConnectInfo(peer));
            let busy = tracked.begin();
            let app = app.clone();
            let tracked = tracked.clone();
            async move {
                let response = app.oneshot(request).await;
                drop(busy);
                // From here the client must take the body's bytes.
                response.map(|response| response.map(|body| Body::new(Sending::new(body, &tracked))))
            }
        });
        let stream = Progress { stream: self.stream, activity: activity.clone() };
        let connection = http.serve_connection(TokioIo::new(stream), service);
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
                () = tokio::time::sleep_until(activity.send_deadline(self.send_limit)) => {
                    if activity.stalled_for(self.send_limit) {
                        // The client takes none of the response: it goes, with its memory.
                        tracing::debug!(peer = %peer, "connection closed: the client stopped reading its response");
                        return;
                    }
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

/// Whether a connection has a request in flight, and since when it has had none; whether it
/// has response bodies being sent, and when the client last took some of their bytes.
#[derive(Debug)]
struct Activity {
    in_flight: AtomicUsize,
    last: Mutex<Instant>,
    /// Response bodies not sent whole yet.
    sending: AtomicUsize,
    /// When the connection started, the origin of `progress_ms`.
    opened: Instant,
    /// When bytes were last written to the client (or a response began), in milliseconds
    /// since `opened`.
    progress_ms: AtomicU64,
}

impl Activity {
    fn new() -> Activity {
        Activity {
            in_flight: AtomicUsize::new(0),
            last: Mutex::new(Instant::now()),
            sending: AtomicUsize::new(0),
            opened: Instant::now(),
            progress_ms: AtomicU64::new(0),
        }
    }

    /// Notes that the client took bytes, or that a response begins.
    fn progressed(&self) {
        let now = u64::try_from(self.opened.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.progress_ms.store(now, Ordering::Relaxed);
    }

    fn last_progress(&self) -> Instant {
        self.opened + Duration::from_millis(self.progress_ms.load(Ordering::Relaxed))
    }

    /// When a response will have been stalled for `limit`, as far as is known now.
    fn send_deadline(&self, limit: Duration) -> Instant {
        if self.sending.load(Ordering::SeqCst) > 0 { self.last_progress() + limit } else { Instant::now() + limit }
    }

    /// Whether a response is being sent and the client took none of it for `limit`.
    fn stalled_for(&self, limit: Duration) -> bool {
        self.sending.load(Ordering::SeqCst) > 0 && self.last_progress().elapsed() >= limit
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

/// A response body being sent: counted in [`Activity::sending`] until it is dropped (sent
/// whole, or its connection closed).
struct Sending {
    body: Body,
    activity: Arc<Activity>,
}

impl Sending {
    fn new(body: Body, activity: &Arc<Activity>) -> Sending {
        activity.sending.fetch_add(1, Ordering::SeqCst);
        activity.progressed();
        Sending { body, activity: activity.clone() }
    }
}

impl Drop for Sending {
    fn drop(&mut self) {
        self.activity.sending.fetch_sub(1, Ordering::SeqCst);
    }
}

impl HttpBody for Sending {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        Pin::new(&mut self.body).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}

/// The connection's socket, noting in its [`Activity`] each time the client takes bytes.
struct Progress {
    stream: TcpStream,
    activity: Arc<Activity>,
}

impl AsyncRead for Progress {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.stream).poll_read(cx, buf)
    }
}

impl AsyncWrite for Progress {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<std::io::Result<usize>> {
        let written = Pin::new(&mut self.stream).poll_write(cx, buf);
        if matches!(written, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.progressed();
        }
        written
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        let written = Pin::new(&mut self.stream).poll_write_vectored(cx, bufs);
        if matches!(written, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.progressed();
        }
        written
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }
}
