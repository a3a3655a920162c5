//! The app's error: every failure a window action can meet, with a stable kind for `{kind, message}`.

use ponder_chat::ChatError;
use ponder_engine::EngineError;
use ponder_error_kind::{ErrorBody, ErrorKind};
use ponder_export::ExportError;
use ponder_store::StoreError;

/// What went wrong in an app action.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// The history database.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The model: loading, downloading or generating.
    #[error(transparent)]
    Engine(#[from] EngineError),
    /// Writing reward data.
    #[error(transparent)]
    Export(#[from] ExportError),
    /// Learning from the ratings, or a learned version.
    #[error(transparent)]
    Learn(ponder_learn::LearnError),
    /// The database could not be opened when the app started (locked, corrupt).
    #[error("{message}")]
    StoreUnavailable {
        /// The store error's kind.
        kind: ErrorKind,
        /// What the store said.
        message: String,
    },
    /// Asked to answer with no model loaded.
    #[error(
        "no model is loaded yet: choose one in Settings (the bundled ponder-tiny works offline)"
    )]
    NoModel,
    /// A model is being loaded or downloaded already.
    #[error("a model is already loading; wait for it or cancel the download")]
    Busy,
    /// Settings could not be read or written.
    #[error("settings file {path}: {reason}")]
    Settings {
        /// The file.
        path: String,
        /// Why.
        reason: String,
    },
    /// The person cancelled (a download).
    #[error("{0}")]
    Cancelled(String),
    /// A request the window should not have sent.
    #[error("{0}")]
    Invalid(String),
}

impl From<ChatError> for AppError {
    fn from(e: ChatError) -> Self {
        match e {
            ChatError::Store(s) => AppError::Store(s),
            ChatError::Engine(g) => AppError::Engine(g),
            ChatError::Invalid(m) => AppError::Invalid(m),
            ChatError::NoModel => AppError::NoModel,
        }
    }
}

impl AppError {
    /// A stable machine-readable name, sent across IPC next to the message.
    pub fn kind(&self) -> ErrorKind {
        match self {
            AppError::Store(e) => e.kind(),
            AppError::Engine(e) => e.kind(),
            AppError::Export(e) => e.kind(),
            AppError::Learn(e) => e.kind(),
            AppError::StoreUnavailable { kind, .. } => *kind,
            AppError::NoModel => ErrorKind::NoModel,
            AppError::Busy => ErrorKind::Busy,
            AppError::Settings { .. } => ErrorKind::Settings,
            AppError::Cancelled(_) => ErrorKind::Cancelled,
            AppError::Invalid(_) => ErrorKind::Invalid,
        }
    }
}

impl From<&AppError> for ErrorBody {
    fn from(e: &AppError) -> Self {
        ErrorBody::new(e.kind(), e.to_string())
    }
}

impl From<AppError> for ErrorBody {
    fn from(e: AppError) -> Self {
        ErrorBody::from(&e)
    }
}

/// Results of app actions.
pub type Result<T> = std::result::Result<T, AppError>;
