//! Builds **ponder-tiny**, the small Qwen3 model bundled with Ponder, entirely in Rust.
//!
//! The pipeline: [`tasks`] generates arithmetic problems with digit-by-digit thinking (English and
//! Chinese, seeded, with a disjoint held-out split); [`tokenizer`] trains a byte-level BPE with Qwen's
//! conventions; [`model`] is a Qwen3 decoder on candle with Hugging Face tensor names; [`train`] runs AdamW
//! on assistant tokens only; [`export`] writes a Hugging Face folder that mistral.rs loads as it is.
//! [`grade`] checks answers, shared with the evaluation that runs through mistral.rs.
//!
//! This crate never runs inference for the app and never names mistral.rs: serving is `ponder-engine`'s job.

pub mod arch;
pub mod background;
pub mod data;
pub mod gguf;
pub mod grade;
pub mod hf_folder;
pub mod init;
pub mod learn;
pub mod lora;
pub mod loss;
pub mod memory;
pub mod methods;
pub mod model;
pub mod ops;
pub mod optim;
pub mod tasks;
pub mod template;
pub mod tokenizer;
pub mod train;
pub mod weights;

use std::path::PathBuf;

/// Everything that can go wrong while building the model.
#[derive(Debug, thiserror::Error)]
pub enum TrainError {
    /// A tensor operation failed (shape mismatch, bad dtype, …).
    #[error("tensor error: {0}")]
    Tensor(#[from] candle_core::Error),
    /// Training or using the tokenizer failed.
    #[error("tokenizer error: {0}")]
    Tokenizer(String),
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file involved.
        path: PathBuf,
        /// What the OS said.
        source: std::io::Error,
    },
    /// A file exists but its contents are not what we wrote.
    #[error("{path}: {message}")]
    Corrupt {
        /// The file involved.
        path: PathBuf,
        /// What is wrong with it.
        message: String,
    },
    /// The run stopped early on request (`stop_after`), leaving a checkpoint to resume from.
    #[error("stopped after step {step}; run again to resume")]
    Interrupted {
        /// Steps completed.
        step: usize,
    },
    /// The settings cannot work (e.g. an example longer than the context).
    #[error("invalid configuration: {0}")]
    Config(String),
}

impl TrainError {
    /// A stable machine-readable name, sent across IPC next to the message.
    pub fn kind(&self) -> ponder_error_kind::ErrorKind {
        use ponder_error_kind::ErrorKind;
        match self {
            TrainError::Tensor(_) => ErrorKind::Tensor,
            TrainError::Tokenizer(_) => ErrorKind::Tokenizer,
            TrainError::Io { .. } => ErrorKind::Io,
            TrainError::Corrupt { .. } => ErrorKind::FileCorrupt,
            TrainError::Interrupted { .. } => ErrorKind::Interrupted,
            TrainError::Config(_) => ErrorKind::Invalid,
        }
    }

    pub(crate) fn tokenizer(e: impl std::fmt::Display) -> Self {
        TrainError::Tokenizer(e.to_string())
    }

    pub(crate) fn io(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> Self {
        let path = path.into();
        move |source| TrainError::Io { path, source }
    }
}
