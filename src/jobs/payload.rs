//! What each job kind carries: one typed payload per [`JobKind`], encoded
//! into the queue's JSON column and decoded from it here and nowhere else.
//! The queue stores payloads without reading them.

use crate::queue::{JobError, JobKind};
use crate::store::events::EventId;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

/// A job kind's payload.
pub trait Payload: Serialize + DeserializeOwned {
    /// The kind of job that carries it.
    const KIND: JobKind;

    /// The JSON the queue stores.
    fn encode(&self) -> serde_json::Value {
        // A struct of strings and ids: serialising it cannot fail.
        serde_json::to_value(self).unwrap_or_default()
    }

    /// Reads a payload back; a payload that does not decode is the job's
    /// fault, not the moment's: the job fails without a retry.
    fn decode(v: &serde_json::Value) -> Result<Self, JobError> {
        serde_json::from_value(v.clone())
            .map_err(|e| JobError::permanent(format!("{} job with a bad payload: {e}", Self::KIND)))
    }
}

/// `stt`: transcribe an event's audio.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stt {
    pub event_id: EventId,
}

impl Payload for Stt {
    const KIND: JobKind = JobKind::Stt;
}

/// `extract`: hand an event's stored transcript to the next stage.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Extract {
    pub event_id: EventId,
    pub transcript_id: String,
}

impl Payload for Extract {
    const KIND: JobKind = JobKind::Extract;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payloads_round_trip_and_bad_ones_fail_permanently() {
        let stt = Stt {
            event_id: EventId::new(),
        };
        let v = stt.encode();
        assert_eq!(v["event_id"], stt.event_id.as_str());
        assert_eq!(Stt::decode(&v).unwrap(), stt);
        let ex = Extract {
            event_id: EventId::new(),
            transcript_id: "t1".into(),
        };
        assert_eq!(Extract::decode(&ex.encode()).unwrap(), ex);
        for bad in [
            serde_json::json!({}),
            serde_json::json!({ "event_id": "not-a-uuid" }),
            serde_json::json!({ "event_id": 7 }),
        ] {
            let e = Stt::decode(&bad).unwrap_err();
            assert_eq!(e.failure, crate::queue::Failure::Permanent, "{bad}");
            assert!(
                e.message.contains("stt job with a bad payload"),
                "{}",
                e.message
            );
        }
    }
}
