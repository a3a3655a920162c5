//! Asking, regenerating, continuing from a fixed step and stopping; answers stream over a channel in batches of about one frame.

use std::sync::Arc;

use ponder_app::{
    AnswerBatch, AnswerSink, AskRequest, CheckRequest, FixStepRequest, RegenerateRequest, Started,
    Verdict,
};
use ponder_store::{AnswerMode, ConversationId, Message, MessageId};
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

/// Continues an answer's question from the person's fixed step, into a new branch, streamed like `ask`.
#[tauri::command]
pub async fn fix_step(
    app: AppState<'_>,
    request: FixStepRequest,
    on_batch: Channel<AnswerBatch>,
) -> CmdResult<Started> {
    Ok(app.fix_step(request, Arc::new(ChannelSink(on_batch))).await?)
}

/// Grades an answer where a reference exists (the person's better answer, or the question's arithmetic).
#[tauri::command]
pub async fn grade_answer(app: AppState<'_>, answer_id: MessageId) -> CmdResult<Option<Verdict>> {
    Ok(app.grade_answer(answer_id).await?)
}

/// Checks an answer (the grader where one can, else the model) and saves the verdict with it.
#[tauri::command]
pub async fn check_answer(app: AppState<'_>, request: CheckRequest) -> CmdResult<Message> {
    Ok(app.check_answer(request).await?)
}

/// How the composer answers in a conversation.
#[tauri::command]
pub async fn answer_mode(
    app: AppState<'_>,
    conversation_id: ConversationId,
) -> CmdResult<AnswerMode> {
    Ok(app.answer_mode(conversation_id).await?)
}

/// Remembers how the composer answers in a conversation.
#[tauri::command]
pub async fn set_answer_mode(
    app: AppState<'_>,
    conversation_id: ConversationId,
    mode: AnswerMode,
) -> CmdResult<()> {
    Ok(app.set_answer_mode(conversation_id, mode).await?)
}

/// Stops a running answer, keeping what was written.
#[tauri::command]
pub fn stop(app: AppState<'_>, run_id: u64) {
    app.stop(run_id);
}
