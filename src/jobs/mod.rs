//! The jobs the service runs: [`stt`] (transcribe an event) and [`extract`]
//! (hand its transcript to the next stage), their typed [`payload`]s, the
//! stt job's segments published as they come (`segments`), and
//! [`transcribe_file`], the one
//! decode → prompt → speech detection → transcription path that the `stt`
//! job and the command line share.

pub mod extract;
mod models;
pub mod payload;
mod segments;
pub mod stt;
mod transcribe;

pub use models::{ModelError, ModelManager, ModelView};
pub use transcribe::{transcribe_file, FileError, FileRequest};
