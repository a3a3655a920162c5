//! Conversations: listing, opening, branches, renaming, deleting with undo, and search.

use ponder_store::{
    ConversationId, ConversationPage, MessageId, PageCursor, SearchHit, SearchQuery, Thread,
};

use super::AppState;
use crate::error::CmdResult;

/// A page of conversations, most recent activity first.
#[tauri::command]
pub async fn list_conversations(
    app: AppState<'_>,
    limit: u32,
    after: Option<PageCursor>,
) -> CmdResult<ConversationPage> {
    Ok(app.store().await?.list_conversations(limit.clamp(1, 200), after).await?)
}

/// A whole conversation with the branch on screen.
#[tauri::command]
pub async fn thread(app: AppState<'_>, conversation_id: ConversationId) -> CmdResult<Thread> {
    Ok(app.store().await?.thread(conversation_id).await?)
}

/// Shows a message's branch; returns the new branch on screen.
#[tauri::command]
pub async fn set_active(app: AppState<'_>, message_id: MessageId) -> CmdResult<Vec<MessageId>> {
    Ok(app.store().await?.set_active(message_id).await?)
}

/// Renames a conversation.
#[tauri::command]
pub async fn rename_conversation(
    app: AppState<'_>,
    id: ConversationId,
    title: String,
) -> CmdResult<()> {
    Ok(app.store().await?.rename_conversation(id, &title).await?)
}

/// Hides a conversation (undo with `restore_conversation`).
#[tauri::command]
pub async fn delete_conversation(app: AppState<'_>, id: ConversationId) -> CmdResult<()> {
    Ok(app.store().await?.delete_conversation(id).await?)
}

/// Undoes a delete.
#[tauri::command]
pub async fn restore_conversation(app: AppState<'_>, id: ConversationId) -> CmdResult<()> {
    Ok(app.store().await?.restore_conversation(id).await?)
}

/// Full-text search over titles, questions, answers and optionally thinking.
#[tauri::command]
pub async fn search(app: AppState<'_>, query: SearchQuery) -> CmdResult<Vec<SearchHit>> {
    Ok(app.store().await?.search(&query).await?)
}
