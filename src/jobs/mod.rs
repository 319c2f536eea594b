//! The jobs the service runs: [`stt`] (transcribe an event) and [`extract`]
//! (hand its transcript to the next stage), and [`transcribe_file`], the one
//! decode → prompt → speech detection → transcription path that the `stt`
//! job and the command line share.

pub mod extract;
pub mod stt;
mod transcribe;

pub use transcribe::{transcribe_file, FileError, FileRequest};
