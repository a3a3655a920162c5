//! The one list of error kinds every Ponder crate reports, from the engine and the store up to the
//! window, and the `{kind, message}` body that carries one across IPC.
//!
//! Each library crate keeps its own `thiserror` enum; its `kind()` returns an [`ErrorKind`] from this
//! list, and an error that wraps another (a turn's store error, an export's) reports the inner kind
//! unchanged, so the window can react to `locked` or `prompt_too_long` however deep it arose. The
//! TypeScript union the window matches on is generated from this enum.
//!
//! Architecture invariant: this crate depends on nothing of Ponder's; every other crate may use it.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// What went wrong, machine-readable and stable: the window and scripts match on these names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    // The history database.
    /// Another program holds the database.
    Locked,
    /// The database file is damaged (repair offered).
    Corrupt,
    /// The database could not be brought to this version's schema.
    Migration,
    /// A conversation or message that does not exist (or was deleted).
    NotFound,
    /// A database error that is none of the above.
    Database,
    /// The task saving a streamed answer ended early.
    WriterGone,

    // The model.
    /// A required model file is absent.
    ModelMissingFile,
    /// A model file cannot be read as what it should be.
    ModelCorruptFile,
    /// An architecture Ponder does not run.
    ModelUnsupported,
    /// The conversation does not fit the model's context.
    PromptTooLong,
    /// Fetching a model from the hub failed.
    Download,
    /// mistral.rs could not build the model.
    ModelLoad,
    /// Generation failed.
    Generation,
    /// A model server could not be reached, refused a request or broke off a reply.
    Server,
    /// A model server refused the API key.
    ServerAuth,
    /// The OS keychain (server API keys) could not be reached or refused.
    Keychain,
    /// No model is loaded yet.
    NoModel,
    /// A model is loading already.
    Busy,

    // Training.
    /// A tensor operation failed.
    Tensor,
    /// Training or using a tokenizer failed.
    Tokenizer,
    /// A training run stopped on request, leaving a checkpoint.
    Interrupted,
    /// A file Ponder wrote (a checkpoint) is not what it wrote.
    FileCorrupt,

    // Files, settings and the person.
    /// The export folder exists and is not empty.
    Exists,
    /// Reading or writing a file failed.
    Io,
    /// The settings file could not be read or written.
    Settings,
    /// The person cancelled (a download).
    Cancelled,
    /// A request or setting that cannot work (bad values, a question that is not one).
    Invalid,

    // The shell.
    /// A native dialog failed.
    Dialog,
    /// The system browser could not be opened.
    Opener,
    /// Something Ponder did not expect (a task that panicked, an unreadable reply).
    Internal,
}

impl ErrorKind {
    /// The name the window sees (`prompt_too_long`).
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::Locked => "locked",
            ErrorKind::Corrupt => "corrupt",
            ErrorKind::Migration => "migration",
            ErrorKind::NotFound => "not_found",
            ErrorKind::Database => "database",
            ErrorKind::WriterGone => "writer_gone",
            ErrorKind::ModelMissingFile => "model_missing_file",
            ErrorKind::ModelCorruptFile => "model_corrupt_file",
            ErrorKind::ModelUnsupported => "model_unsupported",
            ErrorKind::PromptTooLong => "prompt_too_long",
            ErrorKind::Download => "download",
            ErrorKind::ModelLoad => "model_load",
            ErrorKind::Generation => "generation",
            ErrorKind::Server => "server",
            ErrorKind::ServerAuth => "server_auth",
            ErrorKind::Keychain => "keychain",
            ErrorKind::NoModel => "no_model",
            ErrorKind::Busy => "busy",
            ErrorKind::Tensor => "tensor",
            ErrorKind::Tokenizer => "tokenizer",
            ErrorKind::Interrupted => "interrupted",
            ErrorKind::FileCorrupt => "file_corrupt",
            ErrorKind::Exists => "exists",
            ErrorKind::Io => "io",
            ErrorKind::Settings => "settings",
            ErrorKind::Cancelled => "cancelled",
            ErrorKind::Invalid => "invalid",
            ErrorKind::Dialog => "dialog",
            ErrorKind::Opener => "opener",
            ErrorKind::Internal => "internal",
        }
    }
}

impl std::fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An error as it crosses to the window: what kind, and a message for people.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct ErrorBody {
    /// Machine-readable.
    pub kind: ErrorKind,
    /// For people.
    pub message: String,
}

impl ErrorBody {
    /// A body from any error with a kind.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        ErrorBody { kind, message: message.into() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_name_is_the_serialized_name() {
        // `as_str` is written out by hand; serde's name is what crosses IPC. They must agree for every
        // variant, so the variants are read from the generated TypeScript union itself.
        let union = ErrorKind::inline(&ts_rs::Config::new());
        let names: Vec<&str> = union.split('|').map(|n| n.trim().trim_matches('"')).collect();
        assert!(names.len() > 20, "{union}");
        for name in names {
            let kind: ErrorKind = serde_json::from_str(&format!("\"{name}\"")).unwrap();
            assert_eq!(kind.as_str(), name);
        }
    }
}
