//! A local HTTP file server for download tests: serves files with Range
//! support, counts requests, records Range headers, and can drop the
//! connection half-way through a response.

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

#[derive(Default)]
pub struct Files {
    pub files: Mutex<HashMap<String, Arc<Vec<u8>>>>,
    pub gets: AtomicUsize,
    pub ranges: Mutex<Vec<String>>,
    /// Drop the next response after half of its body.
    pub drop_next: AtomicBool,
    /// Bytes sent per chunk, with a pause between chunks (slow server).
    pub slow: AtomicBool,
}

pub struct FileServer {
    pub base: String,
    pub state: Arc<Files>,
}

async fn serve(
    State(st): State<Arc<Files>>,
    Path(name): Path<String>,
    headers: HeaderMap,
) -> Response {
    st.gets.fetch_add(1, Ordering::SeqCst);
    let Some(data) = st.files.lock().unwrap().get(&name).cloned() else {
        return Response::builder()
            .status(StatusCode::NOT_FOUND)
            .body(Body::empty())
            .unwrap();
    };
    let mut start = 0usize;
    let mut status = StatusCode::OK;
    if let Some(r) = headers.get("range").and_then(|v| v.to_str().ok()) {
        st.ranges.lock().unwrap().push(r.to_string());
        if let Some(n) = r
            .strip_prefix("bytes=")
            .and_then(|s| s.strip_suffix('-'))
            .and_then(|s| s.parse().ok())
        {
            start = n;
            status = StatusCode::PARTIAL_CONTENT;
        }
    }
    if start >= data.len() && start > 0 {
        return Response::builder()
            .status(StatusCode::RANGE_NOT_SATISFIABLE)
            .body(Body::empty())
            .unwrap();
    }
    let len = data.len() - start;
    let drop_half = st.drop_next.swap(false, Ordering::SeqCst);
    let slow = st.slow.load(Ordering::SeqCst);
    let chunk = 64 * 1024;
    let stream = async_stream(data, start, drop_half, slow, chunk);
    let mut b = Response::builder()
        .status(status)
        .header("content-length", len.to_string());
    if status == StatusCode::PARTIAL_CONTENT {
        b = b.header(
            "content-range",
            format!("bytes {start}-{}/{}", start + len - 1, start + len),
        );
    }
    b.body(Body::from_stream(stream)).unwrap()
}

fn async_stream(
    data: Arc<Vec<u8>>,
    start: usize,
    drop_half: bool,
    slow: bool,
    chunk: usize,
) -> impl futures_util::Stream<Item = Result<Vec<u8>, std::io::Error>> {
    let end = data.len();
    let cut = start + (end - start) / 2;
    futures_util::stream::unfold(start, move |pos| {
        let data = data.clone();
        async move {
            if pos >= end {
                return None;
            }
            if drop_half && pos >= cut {
                return Some((Err(std::io::Error::other("dropped on purpose")), end));
            }
            if slow {
                tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            }
            let stop = (pos + chunk).min(end);
            let stop = if drop_half { stop.min(cut) } else { stop };
            Some((Ok(data[pos..stop].to_vec()), stop))
        }
    })
}

impl FileServer {
    pub async fn start() -> Self {
        let state = Arc::new(Files::default());
        let app = Router::new()
            .route("/{name}", get(serve))
            .with_state(state.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Self {
            base: format!("http://{addr}"),
            state,
        }
    }

    pub fn put(&self, name: &str, data: Vec<u8>) {
        self.state
            .files
            .lock()
            .unwrap()
            .insert(name.to_string(), Arc::new(data));
    }

    pub fn gets(&self) -> usize {
        self.state.gets.load(Ordering::SeqCst)
    }
}

/// Hex SHA-1 of bytes.
pub fn sha1_hex(data: &[u8]) -> String {
    use sha1::Digest;
    sha1::Sha1::digest(data)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}
