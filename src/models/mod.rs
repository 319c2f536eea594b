//! Models as the service manages them: the catalog of downloadable models,
//! verified downloads, the manager (list, pull, delete, activate), and the
//! importers (CTranslate2 Whisper models, Silero VAD weights). Names and
//! file locations are [`crate::model_name`]'s.

pub mod catalog;
pub mod download;
pub mod import;
mod manager;

pub use manager::{ModelError, ModelManager, ModelView};

pub use crate::model_name::{list_installed, ModelName};
