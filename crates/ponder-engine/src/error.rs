//! The engine's error type: what went wrong, in words a user can act on.

use std::path::PathBuf;

use ponder_error_kind::ErrorKind;

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
    /// `config.json` names an architecture Ponder does not run.
    #[error(
        "{path}: architecture `{found}` is not supported (Ponder runs Qwen2, Qwen3 and Qwen3-MoE models)"
    )]
    UnsupportedArchitecture {
        /// The config file.
        path: PathBuf,
        /// What it declares.
        found: String,
    },
    /// The conversation does not fit the model's context window.
    #[error("the conversation is {tokens} tokens long; this model's context holds {limit}")]
    PromptTooLong {
        /// Tokens in the rendered prompt.
        tokens: usize,
        /// The model's context length.
        limit: usize,
    },
    /// The request itself is malformed (no messages, zero candidates, …).
    #[error("invalid request: {0}")]
    InvalidRequest(String),
    /// Fetching a model from the hub failed (the partial download is kept for a retry).
    #[error("downloading {repo} failed: {reason}")]
    Download {
        /// The repository id.
        repo: String,
        /// What went wrong.
        reason: String,
    },
    /// A model server could not be reached, refused a request, or broke off a reply.
    #[error("the model server at {url}: {reason}")]
    Server {
        /// The server's API root.
        url: String,
        /// What went wrong.
        reason: String,
    },
    /// A model server refused the API key (or wants one).
    #[error("the model server at {url} refused the API key: {reason}")]
    ServerAuth {
        /// The server's API root.
        url: String,
        /// What it said.
        reason: String,
    },
    /// The OS keychain holding server keys could not be reached or refused.
    #[error("the keychain: {0}")]
    Keychain(String),
    /// mistral.rs failed to build the model.
    #[error("could not load the model: {0}")]
    Load(String),
    /// The request was rejected or generation failed.
    #[error("generation failed: {0}")]
    Generation(String),
}

impl EngineError {
    /// A stable machine-readable name, sent across IPC next to the message.
    pub fn kind(&self) -> ErrorKind {
        match self {
            EngineError::MissingFile(_) => ErrorKind::ModelMissingFile,
            EngineError::CorruptFile { .. } => ErrorKind::ModelCorruptFile,
            EngineError::UnsupportedArchitecture { .. } => ErrorKind::ModelUnsupported,
            EngineError::PromptTooLong { .. } => ErrorKind::PromptTooLong,
            EngineError::InvalidRequest(_) => ErrorKind::Invalid,
            EngineError::Download { .. } => ErrorKind::Download,
            EngineError::Server { .. } => ErrorKind::Server,
            EngineError::ServerAuth { .. } => ErrorKind::ServerAuth,
            EngineError::Keychain(_) => ErrorKind::Keychain,
            EngineError::Load(_) => ErrorKind::ModelLoad,
            EngineError::Generation(_) => ErrorKind::Generation,
        }
    }
}
