//! # susurro
//!
//! A self-hosted speech-to-text job service: audio uploads become events,
//! an `stt` job per event runs whisper.cpp in process, and transcripts are
//! kept for a limited time.
//!
//! ## Layout
//! - [`config`]: typed settings from the environment, validated at start.
//! - [`db`]: the SQLite pool (WAL, busy timeout) and migrations.
//! - [`queue`]: the durable job queue and the worker runner.
//! - [`events`]: events and transcripts (their SQL).
//! - [`audio`]: probing and decoding to 16 kHz mono.
//! - [`stt`]: the whisper engine (model cache) and the `stt` worker.
//! - [`models`]: model files, catalog, downloads and the CTranslate2 importer.
//! - [`retention`]: transcript TTL, audio cleanup, purge.
//! - [`extract`]: the signed webhook hand-off of transcripts.
//! - [`api`]: HTTP routes and the error mapping.
//! - [`app`]: wiring and graceful shutdown; [`cli`]: the command line.

#[macro_use]
mod sql_enum;

pub mod api;
pub mod app;
pub mod audio;
pub mod cli;
pub mod config;
pub mod db;
pub mod events;
pub mod extract;
pub mod jobs;
pub mod models;
pub mod progress;
pub mod queue;
pub mod retention;
pub mod stt;
pub mod telemetry;
