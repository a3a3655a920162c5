//! Learning from the ratings: the plan before a run, a run in the background (its progress over a
//! channel), cancelling, the versions it made, and how versions did against each other.

use std::sync::Arc;

use ponder_app::{
    LearnPlan, LearnSink, LearnStartRequest, LearningStatus, PairTally, VersionSummary,
};
use tauri::ipc::Channel;

use super::AppState;
use crate::error::CmdResult;

/// Sends each status to the window; a closed window stops receiving and the run goes on.
struct ChannelSink(Channel<LearningStatus>);

impl LearnSink for ChannelSink {
    fn send(&self, status: LearningStatus) {
        if let Err(e) = self.0.send(status) {
            tracing::debug!("window stopped following the run: {e}");
        }
    }
}

/// What a run would learn from, how, and what it would cost.
#[tauri::command]
pub async fn learn_plan(app: AppState<'_>, request: LearnStartRequest) -> CmdResult<LearnPlan> {
    Ok(app.learn_plan(request).await?)
}

/// Starts (or resumes) a run; its statuses arrive on `on_status`.
#[tauri::command]
pub async fn start_learning(
    app: AppState<'_>,
    request: LearnStartRequest,
    on_status: Channel<LearningStatus>,
) -> CmdResult<()> {
    Ok(app.start_learning(request, Arc::new(ChannelSink(on_status))).await?)
}

/// Stops the run after its current step (it can be resumed).
#[tauri::command]
pub fn cancel_learning(app: AppState<'_>) {
    app.cancel_learning();
}

/// Where learning is (also a run an earlier session left unfinished).
#[tauri::command]
pub fn learning_status(app: AppState<'_>) -> LearningStatus {
    app.learning_status()
}

/// The learned versions, oldest first.
#[tauri::command]
pub async fn list_versions(app: AppState<'_>) -> CmdResult<Vec<VersionSummary>> {
    Ok(app.list_versions().await)
}

/// Gives a version the name people see.
#[tauri::command]
pub async fn rename_version(
    app: AppState<'_>,
    name: String,
    label: String,
) -> CmdResult<VersionSummary> {
    Ok(app.rename_version(&name, &label).await?)
}

/// Deletes a version (not the one in use).
#[tauri::command]
pub async fn delete_version(app: AppState<'_>, name: String) -> CmdResult<()> {
    Ok(app.delete_version(&name).await?)
}

/// Wins and ties of every pair of models rated on the same questions.
#[tauri::command]
pub async fn comparison_tally(app: AppState<'_>) -> CmdResult<Vec<PairTally>> {
    Ok(app.comparison_tally().await?)
}
