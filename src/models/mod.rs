//! Model files, below the engine that runs them: names and locations
//! ([`name`]), the checks a file passes before whisper.cpp sees it
//! ([`file`]), the catalog of downloadable models, verified downloads, and
//! the importers (CTranslate2 Whisper models, Silero VAD weights). Nothing
//! here loads a model or runs inference; the model manager that does (list,
//! pull, delete, activate over the engine) is in the jobs layer above.

pub mod catalog;
pub mod download;
pub mod file;
pub mod import;
pub mod name;

pub use name::{list_installed, ModelName};
