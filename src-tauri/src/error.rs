//! Errors as they cross to the window: `{kind, message}` ([`ponder_app::ErrorBody`]), from any app
//! error or one the shell itself meets.

use ponder_app::{ErrorBody, ErrorKind};
use serde::Serialize;

/// What a command returns on failure; serialized exactly as the [`ErrorBody`] it wraps.
#[derive(Debug, Serialize)]
#[serde(transparent)]
pub struct IpcError(pub ErrorBody);

impl From<ponder_app::AppError> for IpcError {
    fn from(e: ponder_app::AppError) -> Self {
        IpcError(ErrorBody::from(&e))
    }
}

impl From<ponder_store::StoreError> for IpcError {
    fn from(e: ponder_store::StoreError) -> Self {
        ponder_app::AppError::from(e).into()
    }
}

impl IpcError {
    /// An error the shell itself found (a dialog failed, a bad link).
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        IpcError(ErrorBody::new(kind, message))
    }
}

/// Command results.
pub type CmdResult<T> = Result<T, IpcError>;
