//! The sandbox's HTTP/1 server: axum's routes on hyper connections, with the
//! limits `axum::serve` lacks, so that slow or idle clients cannot hold
//! sockets forever. Each connection has one deadline, watched by its own
//! task: a request's head is due [`ConnectionLimits::header_read`] after its
//! first byte; otherwise a connection on which no byte moves for
//! [`ConnectionLimits::idle`] is closed. (hyper's `header_read_timeout` also
//! runs while a keep-alive connection waits, and never covers a body.) Past
//! [`ConnectionLimits::max_connections`], clients wait in the listen backlog.

use std::convert::Infallible;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::{Body, Bytes};
use hyper::body::{Body as HttpBody, Frame, Incoming, SizeHint};
use hyper_util::rt::TokioIo;
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, oneshot};
use tokio::task::JoinHandle;
use tokio::time::Instant;

/// How long a client may dawdle, and how many may be connected at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnectionLimits {
    /// From the first byte of a request to the end of its headers.
    pub header_read: Duration,
    /// With no byte moving either way (keep-alive, or a stuck body or answer).
    pub idle: Duration,
    /// Connections served at once (at least one); further clients wait to be accepted.
    pub max_connections: usize,
}

impl Default for ConnectionLimits {
    fn default() -> Self {
        Self { header_read: Duration::from_secs(10), idle: Duration::from_secs(60), max_connections: 1024 }
    }
}

/// A running HTTP server for one emulator; it stops when dropped or on [`Server::shutdown`].
#[derive(Debug)]
pub struct Server {
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl Server {
    /// Serves `router` on `127.0.0.1:port` (0 for any free port).
    pub(crate) async fn start(router: axum::Router, port: u16, limits: ConnectionLimits) -> io::Result<Self> {
        let listener = TcpListener::bind(("127.0.0.1", port)).await?;
        let addr = listener.local_addr()?;
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(serve(listener, router, limits, stopped));
        Ok(Self { addr, stop: Some(stop), task: Some(task) })
    }

    /// `http://127.0.0.1:<port>`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stops accepting connections and waits for open ones to finish (within their deadlines).
    pub async fn shutdown(mut self) {
        let task = self.task.take();
        drop(self); // Stops it.
        if let Some(task) = task {
            let _ = task.await;
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// The accept loop: one task per connection, each holding a slot.
async fn serve(listener: TcpListener, router: axum::Router, limits: ConnectionLimits, mut stop: oneshot::Receiver<()>) {
    let slots = Arc::new(Semaphore::new(limits.max_connections.clamp(1, Semaphore::MAX_PERMITS)));
    let graceful = GracefulShutdown::new();
    let mut http = hyper::server::conn::http1::Builder::new();
    // The connection's own deadline does this (see the module's comment).
    http.header_read_timeout(None);
    loop {
        let accepted = tokio::select! {
            _ = &mut stop => break,
            accepted = accept(&listener, &slots) => accepted,
        };
        let Some((stream, slot)) = accepted else { continue };
        let clock = Clock::new();
        let io = TokioIo::new(Watched { io: stream, clock: clock.clone() });
        let exchange = Exchange { router: TowerToHyperService::new(router.clone()), clock: clock.clone() };
        let connection = graceful.watch(http.serve_connection(io, exchange));
        tokio::spawn(async move {
            tokio::select! {
                // An error here is the client's (gone, or not speaking HTTP): nothing to do.
                _ = connection => {}
                () = clock.expired(limits) => tracing::debug!("sandbox closed a connection past its deadline"),
            }
            drop(slot);
        });
    }
    drop(listener);
    graceful.shutdown().await;
}

/// The next connection, once a slot is free (`None`: accepting failed).
async fn accept(listener: &TcpListener, slots: &Arc<Semaphore>) -> Option<(TcpStream, OwnedSemaphorePermit)> {
    let slot = slots.clone().acquire_owned().await.ok()?;
    match listener.accept().await {
        Ok((stream, _)) => Some((stream, slot)),
        Err(e) => {
            use io::ErrorKind::{ConnectionAborted, ConnectionRefused, ConnectionReset};
            // Out of file descriptors, say: give open connections time to close.
            if !matches!(e.kind(), ConnectionAborted | ConnectionRefused | ConnectionReset) {
                tracing::warn!(error = %e, "sandbox could not accept a connection");
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
            None
        }
    }
}

/// Where a connection is, for its deadline.
#[derive(Debug, Clone, Copy)]
enum Phase {
    /// Between requests.
    Waiting,
    /// A request's head started arriving then.
    Head(Instant),
    /// The head is in; the request is being handled and answered.
    Answering,
}

#[derive(Debug)]
struct Activity {
    phase: Phase,
    /// When a byte last moved, either way.
    last: Instant,
}

/// One connection's activity, shared by its socket, its service and its watcher.
#[derive(Debug, Clone)]
struct Clock(Arc<Mutex<Activity>>);

impl Clock {
    fn new() -> Self {
        Self(Arc::new(Mutex::new(Activity { phase: Phase::Waiting, last: Instant::now() })))
    }

    fn update(&self, change: impl FnOnce(&mut Activity, Instant)) {
        let mut activity = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        change(&mut activity, Instant::now());
    }

    fn read(&self) {
        self.update(|a, now| {
            a.last = now;
            if let Phase::Waiting = a.phase {
                a.phase = Phase::Head(now);
            }
        });
    }

    /// Passes on a write's `poll`, noting when it moved bytes.
    fn wrote(&self, poll: Poll<io::Result<usize>>) -> Poll<io::Result<usize>> {
        if matches!(poll, Poll::Ready(Ok(n)) if n > 0) {
            self.update(|a, now| a.last = now);
        }
        poll
    }

    fn set(&self, phase: Phase) {
        self.update(|a, now| {
            a.phase = phase;
            a.last = now;
        });
    }

    /// When the connection is due to close, as things stand (`None`: never).
    fn deadline(&self, limits: ConnectionLimits) -> Option<Instant> {
        let activity = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        match activity.phase {
            Phase::Head(start) => start.checked_add(limits.header_read),
            Phase::Waiting | Phase::Answering => activity.last.checked_add(limits.idle),
        }
    }

    /// Resolves once the deadline has passed; wakes at least every `header_read`
    /// (10 ms at the least), so that a head starting meanwhile meets its own.
    async fn expired(&self, limits: ConnectionLimits) {
        let every = limits.header_read.min(limits.idle).max(Duration::from_millis(10));
        loop {
            let now = Instant::now();
            let deadline = self.deadline(limits);
            if deadline.is_some_and(|d| d <= now) {
                return;
            }
            let recheck = now.checked_add(every).unwrap_or(now + Duration::from_secs(3600));
            tokio::time::sleep_until(deadline.map_or(recheck, |d| d.min(recheck))).await;
        }
    }
}

/// A socket that tells its [`Clock`] when bytes move.
struct Watched {
    io: TcpStream,
    clock: Clock,
}

impl AsyncRead for Watched {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let poll = Pin::new(&mut self.io).poll_read(cx, buf);
        if buf.filled().len() > before {
            self.clock.read();
        }
        poll
    }
}

impl AsyncWrite for Watched {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        let poll = Pin::new(&mut self.io).poll_write(cx, buf);
        self.clock.wrote(poll)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let poll = Pin::new(&mut self.io).poll_write_vectored(cx, bufs);
        self.clock.wrote(poll)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_shutdown(cx)
    }
}

/// The router, serving one connection: a request marks its head complete, its answer written the exchange over.
#[derive(Debug, Clone)]
struct Exchange {
    router: TowerToHyperService<axum::Router>,
    clock: Clock,
}

impl hyper::service::Service<hyper::Request<Incoming>> for Exchange {
    type Response = hyper::Response<Answer>;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Infallible>> + Send>>;

    fn call(&self, request: hyper::Request<Incoming>) -> Self::Future {
        self.clock.set(Phase::Answering);
        let answer = self.router.call(request);
        let clock = self.clock.clone();
        Box::pin(async move { Ok(answer.await?.map(|body| Answer { body, clock })) })
    }
}

/// A response body; hyper drops it once written (or with the connection), ending the exchange.
struct Answer {
    body: Body,
    clock: Clock,
}

impl Drop for Answer {
    fn drop(&mut self) {
        self.clock.set(Phase::Waiting);
    }
}

impl HttpBody for Answer {
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
