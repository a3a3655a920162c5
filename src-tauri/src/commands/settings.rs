//! The window's settings, stored as the JSON it sends.

use super::AppState;
use crate::error::CmdResult;

/// The saved settings (`null` when none).
#[tauri::command]
pub async fn load_settings(app: AppState<'_>) -> CmdResult<serde_json::Value> {
    Ok(app.load_settings().await?)
}

/// Replaces the saved settings.
#[tauri::command]
pub async fn save_settings(app: AppState<'_>, settings: serde_json::Value) -> CmdResult<()> {
    Ok(app.save_settings(&settings).await?)
}
