//! The engine's error type: what went wrong, in words a user can act on.

use std::path::PathBuf;

/// Everything loading or generating can fail with.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// A required model file is absent.
    #[error("model file missing: {0}")]
    MissingFile(PathBuf),
    /// A model file exists but cannot be read as what it should be.
    #[error("model file {path} is unreadable: {reason}")]
    CorruptFile {
        /// The offending file.
        path: PathBuf,
        /// Why it was rejected.
        reason: String,
    },
    /// mistral.rs failed to build the model.
    #[error("could not load the model: {0}")]
    Load(String),
    /// The request was rejected or generation failed.
    #[error("generation failed: {0}")]
    Generation(String),
}
