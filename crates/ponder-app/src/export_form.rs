//! Export from the window: its form becomes `ponder-export`'s options, and the report comes back with
//! the folder it went to.

use std::path::PathBuf;
use ts_rs::TS;

use ponder_export::{ExportOptions, ExportReport, Format, ReasoningStyle, Trainer};
use ponder_store::{RatingFilter, RatingTag, Vote};
use serde::{Deserialize, Serialize};

use crate::{App, AppError, Result};

/// The export form.
#[derive(Clone, Debug, PartialEq, Deserialize, TS)]
pub struct ExportRequest {
    /// A new or empty folder.
    pub folder: PathBuf,
    /// Which files.
    pub formats: Vec<Format>,
    /// Where thinking goes.
    pub reasoning: ReasoningStyle,
    /// Only answers of these models (empty: all).
    #[serde(default)]
    pub models: Vec<String>,
    /// Rated at or after (Unix ms).
    pub since_ms: Option<i64>,
    /// Rated before (Unix ms).
    pub until_ms: Option<i64>,
    /// Only up- or down-votes.
    pub vote: Option<Vote>,
    /// At least one of these reasons.
    #[serde(default)]
    pub tags: Vec<RatingTag>,
    /// Share held out as a test split.
    #[serde(default)]
    pub test_fraction: f64,
    /// A training kit to write with the files (`trl`: a script and `accelerate` configs).
    #[serde(default)]
    pub trainer: Option<Trainer>,
}

/// What was written, and where.
#[derive(Clone, Debug, PartialEq, Serialize, TS)]
pub struct ExportSummary {
    /// Counts.
    #[serde(flatten)]
    pub report: ExportReport,
    /// The folder written.
    pub folder: PathBuf,
}

impl App {
    /// Writes the chosen formats into `request.folder`; `on_progress` gets the rated answers read so far.
    pub async fn export(
        &self,
        request: ExportRequest,
        on_progress: impl FnMut(usize),
    ) -> Result<ExportSummary> {
        if request.formats.is_empty() {
            return Err(AppError::Invalid("choose at least one format".into()));
        }
        if !(0.0..1.0).contains(&request.test_fraction) {
            return Err(AppError::Invalid("the test share must be at least 0 and below 1".into()));
        }
        let store = self.store().await?;
        let options = ExportOptions {
            formats: request.formats,
            reasoning: request.reasoning,
            filter: RatingFilter {
                models: request.models,
                since_ms: request.since_ms,
                until_ms: request.until_ms,
                vote: request.vote,
                tags: request.tags,
                conversations: vec![],
            },
            test_fraction: request.test_fraction,
            trainer: request.trainer,
            ..ExportOptions::default()
        };
        let report =
            ponder_export::export_with_progress(&store, &request.folder, &options, on_progress)
                .await?;
        Ok(ExportSummary { report, folder: request.folder })
    }
}
