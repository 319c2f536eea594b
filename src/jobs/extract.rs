//! The `extract` hand-off: each transcribed event's `extract` job carries
//! `{event_id, transcript_id}`. With `EXTRACT_WEBHOOK_URL` set, this worker
//! POSTs the event and transcript as JSON there, signed with
//! `EXTRACT_WEBHOOK_SECRET`:
//!
//! - `X-Susurro-Timestamp`: Unix seconds;
//! - `X-Susurro-Signature`: `sha256=` + hex HMAC-SHA256 of `"{timestamp}.{body}"`.
//!
//! Non-2xx answers and timeouts are retried with the queue's backoff; after
//! the last attempt the job is discarded with the reason. Without a URL the
//! jobs wait in the queue for a later extractor.

use super::payload::{self, Payload};
use crate::queue::{FailedJob, Handler, Job, JobContext, JobError, JobKind};
use crate::store::Pool;
use futures_util::future::BoxFuture;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::time::Duration;

/// Signs `"{timestamp}.{body}"` with HMAC-SHA256; returns `sha256=<hex>`.
pub fn sign(secret: &str, timestamp: i64, body: &[u8]) -> String {
    let mut mac =
        Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key length");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// Delivers extract jobs to a webhook.
#[derive(Clone)]
pub struct WebhookWorker {
    pub pool: Pool,
    pub url: String,
    pub secret: Option<String>,
    pub client: reqwest::Client,
}

impl WebhookWorker {
    pub fn new(pool: Pool, url: String, secret: Option<String>) -> Self {
        let client = crate::http_client::build(|b| {
            b.connect_timeout(Duration::from_secs(10))
                .timeout(Duration::from_secs(30))
        })
        .expect("HTTP client");
        Self {
            pool,
            url,
            secret,
            client,
        }
    }

    async fn deliver(self, job: Job, ctx: JobContext) -> Result<(), JobError> {
        let work = payload::Extract::decode(&job.payload)?;
        let event_id = work.event_id;
        let event = crate::store::events::get(&self.pool, &event_id)
            .await
            .map_err(|e| JobError::retryable(e.to_string()))?
            .ok_or_else(|| JobError::permanent(format!("event {event_id} not found")))?;
        if event.transcript.is_none() {
            return Err(JobError::permanent(format!(
                "event {event_id} has no transcript (expired?)"
            )));
        }
        let body = serde_json::to_vec(&serde_json::json!({
            "event": event,
            "transcript_id": work.transcript_id,
        }))
        .map_err(|e| JobError::permanent(e.to_string()))?;
        let ts = crate::clock::now_ms() / 1000;
        let mut req = self
            .client
            .post(&self.url)
            .header("content-type", "application/json")
            .header("x-susurro-event", event_id.as_str())
            .header("x-susurro-timestamp", ts.to_string());
        if let Some(secret) = &self.secret {
            req = req.header("x-susurro-signature", sign(secret, ts, &body));
        }
        let resp = req
            .body(body)
            .send()
            .await
            .map_err(|e| JobError::retryable(format!("webhook request failed: {e}")))?;
        if !resp.status().is_success() {
            return Err(JobError::retryable(format!(
                "webhook answered {}",
                resp.status()
            )));
        }
        ctx.queue
            .complete(&job.lease)
            .await
            .map_err(|e| JobError::retryable(e.to_string()))?;
        tracing::info!(%event_id, job_id = %job.id, "transcript delivered to the extract webhook");
        Ok(())
    }
}

impl Handler for WebhookWorker {
    fn kinds(&self) -> Vec<JobKind> {
        vec![JobKind::Extract]
    }

    fn run(&self, job: Job, ctx: JobContext) -> BoxFuture<'static, Result<(), JobError>> {
        Box::pin(self.clone().deliver(job, ctx))
    }

    fn after_failure(&self, failed: FailedJob) -> BoxFuture<'static, ()> {
        Box::pin(async move {
            tracing::warn!(job_id = %failed.id, error = %failed.message, outcome = ?failed.outcome,
                "extract delivery failed");
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_matches_an_independent_hmac() {
        // python3 -c "import hmac,hashlib; print(hmac.new(b'key', b'1.{}', hashlib.sha256).hexdigest())"
        assert_eq!(
            sign("key", 1, b"{}"),
            "sha256=1ba6b8171186efc613e8bcc0cbdab2748f24984d7c5a84faa2637afa0e40d224"
        );
    }
}
