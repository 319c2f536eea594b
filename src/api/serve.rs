//! The HTTP server's accept loop, with the limits a client must not pass:
//! at most `HTTP_MAX_CONNECTIONS` open connections, headers within
//! `HTTP_HEADER_TIMEOUT_SECONDS`, and request bodies that never stay silent
//! for longer than `HTTP_BODY_IDLE_TIMEOUT_SECONDS`.
//!
//! When every slot is taken, a new connection takes the slot of the
//! connection that has been idle the longest (waiting for its headers, or
//! kept alive between requests), which is closed; only when every
//! connection is in the middle of a request is the new one closed at once.
//! So slow or silent clients cannot keep others out, and the process never
//! holds more descriptors than the limit.

use crate::config::HttpSettings;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::Router;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use std::collections::HashMap;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tower::ServiceExt;

/// An open connection.
struct Slot {
    /// Requests it is serving now.
    busy: usize,
    /// When it last started or finished a request (or was accepted).
    since: Instant,
    close: CancellationToken,
}

/// The open connections, by id.
#[derive(Default)]
struct Slots {
    open: Mutex<HashMap<u64, Slot>>,
    next: std::sync::atomic::AtomicU64,
}

impl Slots {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<u64, Slot>> {
        self.open.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A slot for a new connection, closing the longest-idle one when all
    /// `max` are taken; `None` when every connection is busy.
    fn take(&self, max: usize) -> Option<(u64, CancellationToken)> {
        let mut open = self.lock();
        if open.len() >= max {
            let idle = open
                .iter()
                .filter(|(_, s)| s.busy == 0)
                .min_by_key(|(_, s)| s.since)
                .map(|(id, _)| *id)?;
            if let Some(s) = open.remove(&idle) {
                s.close.cancel();
            }
            crate::metrics::connection_refused();
        }
        let id = self.next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let close = CancellationToken::new();
        open.insert(
            id,
            Slot {
                busy: 0,
                since: Instant::now(),
                close: close.clone(),
            },
        );
        Some((id, close))
    }

    fn request(&self, id: u64, starts: bool) {
        if let Some(s) = self.lock().get_mut(&id) {
            if starts {
                s.busy += 1;
            } else {
                s.busy = s.busy.saturating_sub(1);
            }
            s.since = Instant::now();
        }
    }

    fn release(&self, id: u64) {
        self.lock().remove(&id);
    }
}

/// Serves `router` on `listener` until `stop` fires, then lets open
/// requests finish (connections close after their current request). The
/// connections still open when the returned future is dropped are closed.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: HttpSettings,
    stop: CancellationToken,
) -> std::io::Result<()> {
    let slots = Arc::new(Slots::default());
    let tracker = TaskTracker::new();
    let closing = CancellationToken::new();
    let _close_on_drop = closing.clone().drop_guard();
    loop {
        let accepted = tokio::select! {
            r = listener.accept() => r,
            _ = stop.cancelled() => break,
        };
        let (stream, peer) = match accepted {
            Ok(a) => a,
            Err(e) => {
                // Out of descriptors (or a connection reset before accept):
                // wait a little instead of spinning.
                tracing::warn!(error = %e, "accept failed");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let Some((id, close)) = slots.take(limits.max_connections) else {
            crate::metrics::connection_refused();
            drop(stream);
            continue;
        };
        let _ = stream.set_nodelay(true);
        let conn = Connection {
            peer,
            id,
            slots: slots.clone(),
            router: router.clone(),
        };
        let (limits, stop, closing) = (limits.clone(), stop.clone(), closing.clone());
        tracker.spawn(async move {
            let close = [close, closing];
            conn.run(stream, &limits, &stop, &close).await;
        });
    }
    tracker.close();
    tracker.wait().await;
    Ok(())
}

/// One accepted connection.
struct Connection {
    peer: SocketAddr,
    id: u64,
    slots: Arc<Slots>,
    router: Router,
}

impl Connection {
    /// Serves the connection until it ends; at `stop`, after its current
    /// request; when either `close` token fires, at once.
    async fn run(
        self,
        stream: tokio::net::TcpStream,
        limits: &HttpSettings,
        stop: &CancellationToken,
        close: &[CancellationToken; 2],
    ) {
        let (id, slots) = (self.id, self.slots.clone());
        let idle = limits.body_idle_timeout;
        let (peer, router, counts) = (self.peer, self.router, self.slots.clone());
        let service =
            hyper::service::service_fn(move |req: hyper::Request<hyper::body::Incoming>| {
                let (mut parts, body) = req.into_parts();
                parts.extensions.insert(ConnectInfo(peer));
                let req = hyper::Request::from_parts(parts, Body::new(IdleBody::new(body, idle)));
                let (router, counts) = (router.clone(), counts.clone());
                async move {
                    counts.request(id, true);
                    let r = router.oneshot(req).await;
                    counts.request(id, false);
                    r
                }
            });
        let mut builder = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
        builder
            .http1()
            .timer(TokioTimer::new())
            .header_read_timeout(limits.header_timeout);
        builder.http2().timer(TokioTimer::new());
        let conn = builder.serve_connection_with_upgrades(TokioIo::new(stream), service);
        tokio::pin!(conn);
        let closed = async {
            tokio::select! {
                _ = close[0].cancelled() => {}
                _ = close[1].cancelled() => {}
            }
        };
        tokio::pin!(closed);
        tokio::select! {
            _ = conn.as_mut() => {}
            _ = stop.cancelled() => {
                conn.as_mut().graceful_shutdown();
                tokio::select! {
                    _ = conn => {}
                    _ = closed => {}
                }
            }
            _ = &mut closed => {}
        }
        slots.release(id);
    }
}

/// A request body that fails when the client sends nothing for `idle`.
struct IdleBody {
    inner: hyper::body::Incoming,
    idle: Duration,
    timer: Pin<Box<tokio::time::Sleep>>,
}

impl IdleBody {
    fn new(inner: hyper::body::Incoming, idle: Duration) -> Self {
        Self {
            inner,
            idle,
            timer: Box::pin(tokio::time::sleep(idle)),
        }
    }
}

/// The client stopped sending its body.
#[derive(Debug, thiserror::Error)]
#[error("the request body sent nothing for {0} s (HTTP_BODY_IDLE_TIMEOUT_SECONDS)")]
pub struct BodyIdle(u64);

impl http_body::Body for IdleBody {
    type Data = bytes::Bytes;
    type Error = axum::BoxError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Self::Data>, Self::Error>>> {
        let this = &mut *self;
        match Pin::new(&mut this.inner).poll_frame(cx) {
            Poll::Ready(r) => {
                let deadline = tokio::time::Instant::now() + this.idle;
                this.timer.as_mut().reset(deadline);
                Poll::Ready(r.map(|f| f.map_err(Into::into)))
            }
            Poll::Pending => match this.timer.as_mut().poll(cx) {
                Poll::Ready(()) => Poll::Ready(Some(Err(BodyIdle(this.idle.as_secs()).into()))),
                Poll::Pending => Poll::Pending,
            },
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.inner.size_hint()
    }
}
