//! A small Server-Sent Events reader over a real HTTP response, for the
//! stream tests: events as they arrive, with their name, id and data.

use futures_util::StreamExt;

/// One event.
#[derive(Debug, Clone)]
pub struct SseEvent {
    pub event: String,
    pub id: Option<String>,
    pub data: String,
}

impl SseEvent {
    /// The data as JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.data).unwrap_or_else(|e| panic!("{e}: {}", self.data))
    }
}

/// Reads the events of one response.
pub struct SseReader {
    body: futures_util::stream::BoxStream<'static, reqwest::Result<bytes::Bytes>>,
    buf: String,
}

impl SseReader {
    /// Opens `GET url` (with `Last-Event-ID: last` when given); expects 200
    /// and `text/event-stream`.
    pub async fn open(client: &reqwest::Client, url: &str, last: Option<&str>) -> Self {
        let mut req = client.get(url);
        if let Some(last) = last {
            req = req.header("last-event-id", last);
        }
        let r = req.send().await.unwrap();
        assert_eq!(r.status(), 200, "{url}");
        Self::of(r)
    }

    /// The events of a response already made.
    pub fn of(r: reqwest::Response) -> Self {
        let ct = r.headers()["content-type"].to_str().unwrap().to_string();
        assert!(ct.starts_with("text/event-stream"), "{ct}");
        Self {
            body: r.bytes_stream().boxed(),
            buf: String::new(),
        }
    }

    /// The next event (comments and keep-alives skipped); `None` at the
    /// end of the stream.
    pub async fn next(&mut self) -> Option<SseEvent> {
        loop {
            while let Some(end) = self.buf.find("\n\n") {
                let block: String = self.buf.drain(..end + 2).collect();
                if let Some(ev) = parse(&block) {
                    return Some(ev);
                }
            }
            match self.body.next().await {
                Some(chunk) => self.buf.push_str(&String::from_utf8_lossy(&chunk.unwrap())),
                None => return None,
            }
        }
    }

    /// Every event until the stream ends, failing after `within`.
    pub async fn all(&mut self, within: std::time::Duration) -> Vec<SseEvent> {
        let mut out = Vec::new();
        let read = async {
            while let Some(ev) = self.next().await {
                out.push(ev);
            }
        };
        tokio::time::timeout(within, read)
            .await
            .expect("the stream did not end in time");
        out
    }
}

fn parse(block: &str) -> Option<SseEvent> {
    let mut ev = SseEvent {
        event: "message".into(),
        id: None,
        data: String::new(),
    };
    let mut any = false;
    for line in block.lines() {
        let (field, value) = line.split_once(':').unwrap_or((line, ""));
        let value = value.strip_prefix(' ').unwrap_or(value);
        match field {
            "event" => ev.event = value.to_string(),
            "id" => ev.id = Some(value.to_string()),
            "data" => {
                if any {
                    ev.data.push('\n');
                }
                ev.data.push_str(value);
                any = true;
            }
            _ => {}
        }
    }
    any.then_some(ev)
}
