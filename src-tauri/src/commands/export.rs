//! Export of ratings as reward data, with progress over a channel.

use ponder_app::{ExportRequest, ExportSummary};
use tauri::ipc::Channel;

use super::AppState;
use crate::error::CmdResult;

/// Writes reward data; progress (rated answers read) arrives on `on_progress`.
#[tauri::command]
pub async fn export_ratings(
    app: AppState<'_>,
    request: ExportRequest,
    on_progress: Channel<usize>,
) -> CmdResult<ExportSummary> {
    Ok(app.export(request, |n| drop(on_progress.send(n))).await?)
}
