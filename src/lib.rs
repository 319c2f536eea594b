//! # susurro
//!
//! A self-hosted speech-to-text job service: audio uploads become events,
//! an `stt` job per event runs whisper.cpp in process, and transcripts are
//! kept for a limited time.
//!
//! ## Layout
//! - [`config`]: every setting (clap with env), validated into typed settings.
//! - [`api`]: HTTP only: routes, auth, and the error → HTTP mapping.
//! - [`ingest`]: streamed uploads, limits, probing; typed errors.
//! - [`jobs`]: the `stt` and `extract` job handlers, their typed payloads,
//!   the shared "transcribe a file" path, and the model manager (list, pull,
//!   delete, activate) over the engine.
//! - [`live`]: live dictation: utterances found in arriving audio, partial
//!   and final text, a saved session as a transcribed event.
//! - [`stt`]: inference on samples: engine and model cache, VAD, chunks.
//! - [`audio`]: probing and decoding to 16 kHz mono.
//! - [`models`]: model files only: names, the checks before whisper.cpp
//!   sees a file, catalog, downloads and the importer (below the engine).
//! - [`queue`]: the durable job queue and the worker runner.
//! - [`db`]: the pool (SQLite or PostgreSQL) and migrations; [`store`]:
//!   events, transcripts, nodes; [`storage`]: audio in a folder or an S3 bucket.
//! - [`node`]: this process in the cluster (heartbeat, followed settings).
//! - [`retention`]: transcript TTL, audio cleanup, purge.
//! - [`app`]: wiring and graceful shutdown; [`cli`]: the command line;
//!   [`http_client`]: outbound HTTP with the system's or bundled TLS roots.

#[macro_use]
mod sql_enum;

pub mod api;
pub mod app;
pub mod audio;
pub mod cli;
pub mod clock;
pub mod config;
pub mod db;
pub mod heap;
pub mod http_client;
pub mod ingest;
pub mod jobs;
pub mod live;
pub mod metrics;
pub mod models;
pub mod node;
pub mod progress;
pub mod queue;
pub mod retention;
pub mod storage;
pub mod store;
pub mod stt;
pub mod telemetry;
