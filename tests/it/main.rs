//! The integration tests, as one binary (one link of whisper.cpp): real
//! SQLite files (and, under scripts/with-pg-s3, a real PostgreSQL and S3 server), real HTTP over sockets, real models, real and generated
//! speech. `common` holds the shared helpers.

mod common;

mod apidoc;
mod audio;
mod cli;
mod cluster;
mod crash;
mod e2e;
mod faults;
mod fuzzed;
mod hostile;
mod importer;
mod kernels;
mod layout;
mod lifecycle;
mod malformed;
mod memory;
mod models;
mod observe;
mod openai;
mod queue;
mod realtime;
mod speech;
mod stream;
mod unstoppable;
mod web;
