//! Ponder's ratings as reward data: a folder of JSON Lines files that TRL and similar trainers load
//! without conversion — KTO (unpaired), DPO (pairs of sibling answers), SFT, and a lossless archive
//! everything else can be rebuilt from — plus a dataset card.
//!
//! The store is read a few conversations at a time, so memory stays flat however many ratings there
//! are. The folder is written under a temporary name and renamed into place, so it is either complete
//! or absent, and the same data always gives byte-identical files.
//!
//! Architecture invariant: this crate reads the store through its public API and writes no SQL.

pub mod card;
mod files;
pub mod foreign;
pub mod messages;
mod pages;
pub mod pairs;
pub mod rows;
pub mod trl_kit;
pub mod votes;
mod write;

use files::{make_staging, put_in_place};
use pages::{read_pages, Page};
use write::write_all;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use ponder_store::{RatingFilter, Store, StoreError};
use serde::Serialize;
use ts_rs::TS;

pub use messages::ReasoningStyle;
pub use trl_kit::Trainer;

/// A file format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, serde::Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(rename = "ExportFormat")]
pub enum Format {
    /// `{"prompt", "completion", "label"}` (TRL KTOTrainer).
    Kto,
    /// `{"prompt", "chosen", "rejected"}` (TRL DPOTrainer, RewardTrainer).
    Dpo,
    /// `{"messages"}` (TRL SFTTrainer).
    Sft,
    /// Everything about each rating, with a schema version.
    Archive,
    /// LLaMA-Factory: sharegpt ranking and KTO files, and `dataset_info.json`.
    LlamaFactory,
    /// OpenAI-style preference: `{"input": {"messages"}, "preferred_output", "non_preferred_output"}`.
    OpenAi,
    /// `{"prompt", "answer"}`: questions with a checkable answer, for TRL's GRPOTrainer (extra columns
    /// reach its reward functions) and `ponder-train learn --grpo`.
    Grpo,
    /// From votes over several chains: preference pairs (majority over minority) and GRPO
    /// references (the majority's answer), each with how strongly the chains agreed.
    Votes,
}

/// One kind of file an export writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Output {
    Kto,
    Dpo,
    Sft,
    Archive,
    LlamaFactoryKto,
    LlamaFactoryDpo,
    OpenAiDpo,
    Grpo,
    VoteDpo,
    VoteGrpo,
}

impl Output {
    fn stem(self) -> &'static str {
        match self {
            Output::Kto => "kto",
            Output::Dpo => "dpo",
            Output::Sft => "sft",
            Output::Archive => "archive",
            Output::LlamaFactoryKto => "llamafactory_kto",
            Output::LlamaFactoryDpo => "llamafactory_dpo",
            Output::OpenAiDpo => "openai_dpo",
            Output::Grpo => "grpo",
            Output::VoteDpo => "vote_dpo",
            Output::VoteGrpo => "vote_grpo",
        }
    }
}

impl Format {
    /// Every format.
    pub const ALL: [Format; 8] = [
        Format::Kto,
        Format::Dpo,
        Format::Sft,
        Format::Archive,
        Format::LlamaFactory,
        Format::OpenAi,
        Format::Grpo,
        Format::Votes,
    ];

    fn outputs(self) -> &'static [Output] {
        match self {
            Format::Kto => &[Output::Kto],
            Format::Dpo => &[Output::Dpo],
            Format::Sft => &[Output::Sft],
            Format::Archive => &[Output::Archive],
            Format::LlamaFactory => &[Output::LlamaFactoryKto, Output::LlamaFactoryDpo],
            Format::OpenAi => &[Output::OpenAiDpo],
            Format::Grpo => &[Output::Grpo],
            Format::Votes => &[Output::VoteDpo, Output::VoteGrpo],
        }
    }

    /// The name of the format's dataset config (and file stem, for single-file formats).
    pub fn stem(self) -> &'static str {
        match self {
            Format::Kto => "kto",
            Format::Dpo => "dpo",
            Format::Sft => "sft",
            Format::Archive => "archive",
            Format::LlamaFactory => "llamafactory",
            Format::OpenAi => "openai_dpo",
            Format::Grpo => "grpo",
            Format::Votes => "votes",
        }
    }
}

/// What to export and how.
#[derive(Clone, Debug, PartialEq, Serialize, serde::Deserialize)]
pub struct ExportOptions {
    /// Which files to write.
    pub formats: Vec<Format>,
    /// Where answers' thinking goes.
    pub reasoning: ReasoningStyle,
    /// Which ratings.
    pub filter: RatingFilter,
    /// Most preference pairs per question.
    pub max_pairs_per_prompt: usize,
    /// Share of conversations held out as a test split (0: no split).
    pub test_fraction: f64,
    /// Seed of the split.
    pub seed: u64,
    /// A trainer whose ready-to-run kit (script and launch configs) goes with the files.
    #[serde(default)]
    pub trainer: Option<Trainer>,
}

impl Default for ExportOptions {
    fn default() -> Self {
        Self {
            formats: Format::ALL.to_vec(),
            reasoning: ReasoningStyle::Inline,
            filter: RatingFilter::default(),
            max_pairs_per_prompt: 4,
            test_fraction: 0.0,
            seed: 0,
            trainer: None,
        }
    }
}

/// What an export wrote.
#[derive(Clone, Debug, Default, PartialEq, Serialize, TS)]
pub struct ExportReport {
    /// Rows per file, by file name.
    pub rows: BTreeMap<String, usize>,
    /// Rated answers read.
    pub rated: usize,
    /// Of those, thumbs up.
    pub up: usize,
    /// Of those, thumbs down.
    pub down: usize,
    /// Preference pairs written.
    pub pairs: usize,
    /// Of those, pairs of answers from different models.
    pub cross_model_pairs: usize,
    /// Answers left out because their text contains `</think>`, which a template would split
    /// wrongly (inline and stripped styles; the archive keeps them).
    pub skipped_inline: usize,
    /// Pairs left out because both sides were the same text (the same chain sampled twice and rated
    /// both ways).
    pub identical_pairs: usize,
    /// KTO rows left out because the same answer to the same context was rated both up and down.
    pub contradictory_kto: usize,
    /// KTO rows labelled desirable (thumbs up, corrections).
    pub kto_desirable: usize,
    /// KTO rows labelled undesirable.
    pub kto_undesirable: usize,
    /// Whether any pair's prompt starts with a system message (LLaMA-Factory maps the column only then).
    pub system_prompts: bool,
    /// Votes read (their chains are in the vote files, rated or not).
    pub votes: usize,
}

/// What can go wrong in an export.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// Reading the store.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The destination already holds files.
    #[error("{0} already exists and is not empty; choose a new folder")]
    Exists(PathBuf),
    /// The thread writing the files failed unexpectedly.
    #[error("the export's writing task failed: {0}")]
    Task(String),
    /// Writing files.
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
}

impl ExportError {
    /// A stable machine-readable name, sent across IPC next to the message.
    pub fn kind(&self) -> ponder_error_kind::ErrorKind {
        use ponder_error_kind::ErrorKind;
        match self {
            ExportError::Store(e) => e.kind(),
            ExportError::Exists(_) => ErrorKind::Exists,
            ExportError::Io { .. } => ErrorKind::Io,
            ExportError::Task(_) => ErrorKind::Internal,
        }
    }
}

/// Writes the selected formats for the ratings passing the filter into a new folder `dest`.
pub async fn export(
    store: &Store,
    dest: &Path,
    options: &ExportOptions,
) -> Result<ExportReport, ExportError> {
    export_with_progress(store, dest, options, |_| {}).await
}

/// [`export`], calling `on_progress` with the number of rated answers read so far after each page.
///
/// The store is read here, on the runtime; rows are built and files written and synced on a blocking
/// thread that receives the pages, so a slow disk never stalls the runtime the window's commands run on.
pub async fn export_with_progress(
    store: &Store,
    dest: &Path,
    options: &ExportOptions,
    mut on_progress: impl FnMut(usize),
) -> Result<ExportReport, ExportError> {
    let staging = {
        let dest = dest.to_path_buf();
        blocking(move || make_staging(&dest)).await?
    };
    let (pages, received) = tokio::sync::mpsc::channel::<Page>(2);
    let writer = {
        let (staging, options) = (staging.clone(), options.clone());
        tokio::task::spawn_blocking(move || write_all(&staging, &options, received))
    };
    let read = read_pages(store, options, pages, &mut on_progress).await;
    let written = writer.await.map_err(|e| ExportError::Task(e.to_string())).and_then(|r| r);
    // A store error stops the reading first; the writer then ends early with what it had.
    let finished = read.and(written);
    let dest = dest.to_path_buf();
    blocking(move || match finished {
        Ok(report) => put_in_place(&staging, &dest).map(|()| report),
        Err(e) => {
            let _ = std::fs::remove_dir_all(&staging);
            Err(e)
        }
    })
    .await
}

/// Runs file work on a blocking thread.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, ExportError> + Send + 'static,
) -> Result<T, ExportError> {
    tokio::task::spawn_blocking(work).await.map_err(|e| ExportError::Task(e.to_string()))?
}
