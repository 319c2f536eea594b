//! The HTTP server's accept loop, with the limits a client must not pass:
//! at most `HTTP_MAX_CONNECTIONS` open connections (one more is closed at
//! once, so slow clients cannot use up the process's descriptors), headers
//! within `HTTP_HEADER_TIMEOUT_SECONDS`, and request bodies that never stay
//! silent for longer than `HTTP_BODY_IDLE_TIMEOUT_SECONDS`.

use crate::config::HttpSettings;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::Router;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tower::ServiceExt;

/// Serves `router` on `listener` until `stop` fires, then lets open
/// requests finish (connections close after their current request). The
/// connections still open when the returned future is dropped are closed.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: HttpSettings,
    stop: CancellationToken,
) -> std::io::Result<()> {
    let slots = Arc::new(Semaphore::new(limits.max_connections));
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
        let Ok(permit) = slots.clone().try_acquire_owned() else {
            crate::metrics::connection_refused();
            drop(stream);
            continue;
        };
        let _ = stream.set_nodelay(true);
        let (router, limits) = (router.clone(), limits.clone());
        let (stop, closing) = (stop.clone(), closing.clone());
        tracker.spawn(async move {
            let _permit = permit;
            run_connection(stream, peer, router, &limits, &stop, &closing).await;
        });
    }
    tracker.close();
    tracker.wait().await;
    Ok(())
}

/// Serves one connection until it ends; at `stop`, after its current
/// request; at `closing`, at once.
async fn run_connection(
    stream: tokio::net::TcpStream,
    peer: SocketAddr,
    router: Router,
    limits: &HttpSettings,
    stop: &CancellationToken,
    closing: &CancellationToken,
) {
    let idle = limits.body_idle_timeout;
    let service = hyper::service::service_fn(move |req: hyper::Request<hyper::body::Incoming>| {
        let (mut parts, body) = req.into_parts();
        parts.extensions.insert(ConnectInfo(peer));
        let req = hyper::Request::from_parts(parts, Body::new(IdleBody::new(body, idle)));
        router.clone().oneshot(req)
    });
    let mut builder = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout);
    builder.http2().timer(TokioTimer::new());
    let conn = builder.serve_connection_with_upgrades(TokioIo::new(stream), service);
    tokio::pin!(conn);
    tokio::select! {
        _ = conn.as_mut() => return,
        _ = stop.cancelled() => {}
        _ = closing.cancelled() => return,
    }
    conn.as_mut().graceful_shutdown();
    tokio::select! {
        _ = conn => {}
        _ = closing.cancelled() => {}
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
