//! Asking, regenerating and stopping; answers stream over a channel in batches of about one frame.

use std::sync::Arc;

use ponder_app::{AnswerBatch, AnswerSink, AskRequest, RegenerateRequest, Started};
use tauri::ipc::Channel;

use super::AppState;
use crate::error::CmdResult;

/// Sends each batch to the window; a closed window simply stops receiving.
struct ChannelSink(Channel<AnswerBatch>);

impl AnswerSink for ChannelSink {
    fn send(&self, batch: AnswerBatch) {
        if let Err(e) = self.0.send(batch) {
            tracing::debug!("window stopped listening: {e}");
        }
    }
}

/// Saves a question and starts answering it; batches of events arrive on `on_batch`.
#[tauri::command]
pub async fn ask(
    app: AppState<'_>,
    request: AskRequest,
    on_batch: Channel<AnswerBatch>,
) -> CmdResult<Started> {
    Ok(app.ask(request, Arc::new(ChannelSink(on_batch))).await?)
}

/// More answers to an asked question, streamed like `ask`.
#[tauri::command]
pub async fn regenerate(
    app: AppState<'_>,
    request: RegenerateRequest,
    on_batch: Channel<AnswerBatch>,
) -> CmdResult<Started> {
    Ok(app.regenerate(request, Arc::new(ChannelSink(on_batch))).await?)
}

/// Stops a running answer, keeping what was written.
#[tauri::command]
pub fn stop(app: AppState<'_>, run_id: u64) {
    app.stop(run_id);
}
