//! Learning from the history: [`snapshot`] exports the ratings as training data (the files TRL reads),
//! [`learn_from_history`] trains the model on them with `ponder-train`, and [`versions`] keeps each
//! result as a model folder in the data directory with a card saying where it came from, and what
//! [`evaluate`] measured on held-out questions before and after.
//!
//! Architecture invariant: this crate reads the store only through `ponder-export` and the store's
//! read methods (the Learn page's counts), never writes to it, and writes no SQL; the trainer sees
//! files, never the database.

pub mod evaluate;
mod history_run;
pub mod preview;
pub mod rehearsal;
pub mod snapshot;
pub mod versions;

use std::path::PathBuf;

pub use history_run::{
    learn_from_history, settings_for, unfinished_runs, LearnRequest, SettingsChoice,
};
pub use preview::{plan_run, LearnPlan, TeachSample};
pub use snapshot::{snapshot, Snapshot};
pub use versions::{delete_version, list_versions, rename_version, versions_dir, VersionCard};

/// Whether `name` is the bundled ponder-tiny or a version learned from it (`ponder-tiny-learned-2`):
/// the models whose training mix and held-out problems Ponder itself has.
pub fn bundled_lineage(name: &str) -> bool {
    name.starts_with("ponder-tiny")
}

/// What can go wrong while learning from the history.
#[derive(Debug, thiserror::Error)]
pub enum LearnError {
    /// Reading the history.
    #[error(transparent)]
    Export(#[from] ponder_export::ExportError),
    /// Training.
    #[error(transparent)]
    Train(#[from] ponder_train::TrainError),
    /// A file of a version or a snapshot.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// What the OS said.
        source: std::io::Error,
    },
    /// Nothing to learn from, or a request no run can do.
    #[error("{0}")]
    Invalid(String),
    /// The training thread failed unexpectedly.
    #[error("the training task failed: {0}")]
    Task(String),
}

impl LearnError {
    /// A stable machine-readable name, sent across IPC next to the message.
    pub fn kind(&self) -> ponder_error_kind::ErrorKind {
        use ponder_error_kind::ErrorKind;
        match self {
            LearnError::Export(e) => e.kind(),
            LearnError::Train(e) => e.kind(),
            LearnError::Io { .. } => ErrorKind::Io,
            LearnError::Invalid(_) => ErrorKind::Invalid,
            LearnError::Task(_) => ErrorKind::Internal,
        }
    }

    pub(crate) fn io(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> Self {
        let path = path.into();
        move |source| LearnError::Io { path, source }
    }
}
