//! The model: status, what is on disk, loading (with download progress over a channel), cancelling.

use std::sync::Arc;

use ponder_app::{
    DeviceChoice, ListedModel, LoadProgress, ModelCatalog, ModelChoice, ModelEntry, ModelStatus,
};
use tauri::ipc::Channel;

use super::AppState;
use crate::error::CmdResult;

/// Where the model slot is.
#[tauri::command]
pub fn model_status(app: AppState<'_>) -> ModelStatus {
    app.model_status()
}

/// Models on disk (read on a blocking thread, never on the window's main thread).
#[tauri::command]
pub async fn list_models(app: AppState<'_>) -> CmdResult<Vec<ModelEntry>> {
    Ok(app.list_models().await)
}

/// The models to download, sized for this machine, for loading on `device`.
#[tauri::command]
pub async fn model_catalog(app: AppState<'_>, device: DeviceChoice) -> CmdResult<ModelCatalog> {
    Ok(app.model_catalog(device).await)
}

/// Loads a model (downloading a hub id first); progress arrives on `on_progress`.
#[tauri::command]
pub async fn load_model(
    app: AppState<'_>,
    choice: ModelChoice,
    on_progress: Channel<LoadProgress>,
) -> CmdResult<ModelStatus> {
    let progress = Arc::new(move |p| {
        let _ = on_progress.send(p);
    });
    Ok(app.load_model(choice, progress).await?)
}

/// The first screen's suggestions for the model in use, in `language`.
#[tauri::command]
pub fn suggestions(app: AppState<'_>, language: String) -> Vec<String> {
    app.suggestions(&language)
}

/// Cancels a download in progress.
#[tauri::command]
pub fn cancel_download(app: AppState<'_>) {
    app.cancel_download();
}

/// Keeps a server's API key in the OS keychain (never in the settings file).
#[tauri::command]
pub async fn save_server_key(app: AppState<'_>, url: String, key: String) -> CmdResult<()> {
    Ok(app.save_server_key(url, key).await?)
}

/// Forgets a server's API key; `false` when none was kept.
#[tauri::command]
pub async fn forget_server_key(app: AppState<'_>, url: String) -> CmdResult<bool> {
    Ok(app.forget_server_key(url).await?)
}

/// Whether a key is kept for a server (the key itself never comes back to the window).
#[tauri::command]
pub async fn server_key_saved(app: AppState<'_>, url: String) -> CmdResult<bool> {
    Ok(app.server_key_saved(url).await?)
}

/// The models a server lists, for choosing one in Settings.
#[tauri::command]
pub async fn server_models(app: AppState<'_>, url: String) -> CmdResult<Vec<ListedModel>> {
    Ok(app.server_models(url).await?)
}
