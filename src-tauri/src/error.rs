//! Errors as they cross to the window: `{kind, message}`, from any app error.

use serde::Serialize;

/// What a command returns on failure.
#[derive(Debug, Serialize)]
pub struct IpcError {
    /// Machine-readable.
    pub kind: String,
    /// For people.
    pub message: String,
}

impl From<ponder_app::AppError> for IpcError {
    fn from(e: ponder_app::AppError) -> Self {
        IpcError { kind: e.kind().to_string(), message: e.to_string() }
    }
}

impl From<ponder_store::StoreError> for IpcError {
    fn from(e: ponder_store::StoreError) -> Self {
        ponder_app::AppError::from(e).into()
    }
}

impl IpcError {
    /// An error the shell itself found (a dialog failed, a bad link).
    pub fn new(kind: &str, message: impl Into<String>) -> Self {
        IpcError { kind: kind.into(), message: message.into() }
    }
}

/// Command results.
pub type CmdResult<T> = Result<T, IpcError>;
