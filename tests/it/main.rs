//! The integration tests, as one binary (one link of whisper.cpp): real
//! SQLite files, real HTTP over sockets, real models, real and generated
//! speech. `common` holds the shared helpers.

mod common;

mod apidoc;
mod audio;
mod cli;
mod crash;
mod e2e;
mod fuzzed;
mod hostile;
mod importer;
mod layout;
mod lifecycle;
mod malformed;
mod memory;
mod models;
mod observe;
mod openai;
mod queue;
mod speech;
mod web;
