//! The store's errors, with the database path where it helps a person act on them.

use std::path::PathBuf;

use ponder_error_kind::ErrorKind;

/// Everything that can go wrong in the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// Another program holds a lock on the database for longer than the busy timeout.
    #[error("the database {path} is locked by another program (is Ponder already open?)")]
    Locked {
        /// The database file.
        path: PathBuf,
    },
    /// The file is not a SQLite database, or its pages are damaged.
    #[error("the database {path} is damaged or not a Ponder database ({detail}); Ponder can move it aside and start a new one, keeping a backup")]
    Corrupt {
        /// The database file.
        path: PathBuf,
        /// What SQLite reported.
        detail: String,
    },
    /// A schema upgrade failed; the database is left as it was (each migration is one transaction).
    #[error("could not upgrade the database {path}: {source}")]
    Migration {
        /// The database file.
        path: PathBuf,
        /// What went wrong.
        #[source]
        source: sqlx::migrate::MigrateError,
    },
    /// A conversation or message that does not exist (or was deleted).
    #[error("no {what} with id {id}")]
    NotFound {
        /// "conversation" or "message".
        what: &'static str,
        /// The id asked for.
        id: i64,
    },
    /// A request the store refuses, e.g. rating a question.
    #[error("{0}")]
    Invalid(String),
    /// A file operation around the database (folder, backup) failed.
    #[error("{action} {path}: {source}")]
    Io {
        /// What was being done.
        action: &'static str,
        /// The file or folder.
        path: PathBuf,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
    /// Any other database error.
    #[error("database error on {path}: {source}")]
    Database {
        /// The database file.
        path: PathBuf,
        /// What sqlx reported.
        #[source]
        source: sqlx::Error,
    },
    /// The task saving a streamed answer ended before the answer was finished.
    #[error("the task saving the answer stopped early")]
    WriterGone,
}

impl StoreError {
    /// A stable machine-readable name, sent across IPC next to the message.
    pub fn kind(&self) -> ErrorKind {
        match self {
            StoreError::Locked { .. } => ErrorKind::Locked,
            StoreError::Corrupt { .. } => ErrorKind::Corrupt,
            StoreError::Migration { .. } => ErrorKind::Migration,
            StoreError::NotFound { .. } => ErrorKind::NotFound,
            StoreError::Invalid(_) => ErrorKind::Invalid,
            StoreError::Io { .. } => ErrorKind::Io,
            StoreError::Database { .. } => ErrorKind::Database,
            StoreError::WriterGone => ErrorKind::WriterGone,
        }
    }

    /// Sorts a sqlx error into locked, corrupt or other, naming the database file.
    pub(crate) fn from_sqlx(path: &std::path::Path, source: sqlx::Error) -> Self {
        let path = path.to_path_buf();
        let code = match &source {
            sqlx::Error::Database(e) => e.code().and_then(|c| c.parse::<i32>().ok()),
            _ => None,
        };
        // SQLite's primary result code is the low byte of the extended one.
        match code.map(|c| c & 0xff) {
            Some(5 | 6) => StoreError::Locked { path },
            Some(11 | 26) => StoreError::Corrupt { path, detail: source.to_string() },
            _ => StoreError::Database { path, source },
        }
    }
}

/// Results of store operations.
pub type Result<T> = std::result::Result<T, StoreError>;
