//! Work the service does for an event, shared by the job handlers and the
//! command line: [`transcribe_file`] is the one decode → prompt → speech
//! detection → transcription path.

mod transcribe;

pub use transcribe::{transcribe_file, FileError, FileRequest};
