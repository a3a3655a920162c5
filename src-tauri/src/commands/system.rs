//! Dialogs, links and the database file: things the window asks Rust to do so that the webview itself
//! needs no dialog or shell permission.

use tauri::{AppHandle, Runtime};
use tauri_plugin_dialog::DialogExt;

use super::AppState;
use crate::error::{CmdResult, IpcError};
use ponder_app::ErrorKind;

/// A native folder or GGUF-file picker; `None` when cancelled.
#[tauri::command]
pub async fn pick_path<R: Runtime>(
    handle: AppHandle<R>,
    kind: String,
) -> CmdResult<Option<String>> {
    let (tx, rx) = tokio::sync::oneshot::channel();
    let dialog = handle.dialog().file();
    match kind.as_str() {
        "folder" => dialog.pick_folder(move |p| drop(tx.send(p))),
        "gguf" => dialog.add_filter("GGUF model", &["gguf"]).pick_file(move |p| drop(tx.send(p))),
        other => return Err(IpcError::new(ErrorKind::Invalid, format!("no picker for {other}"))),
    }
    let picked = rx.await.map_err(|e| IpcError::new(ErrorKind::Dialog, e.to_string()))?;
    Ok(picked.and_then(|p| p.into_path().ok()).map(|p| p.display().to_string()))
}

/// Opens an http(s) link in the system browser; anything else is refused.
#[tauri::command]
pub fn open_external(url: String) -> CmdResult<()> {
    if !crate::navigation::is_web_link(&url) {
        return Err(IpcError::new(ErrorKind::Invalid, format!("not a web link: {url}")));
    }
    tauri_plugin_opener::open_url(&url, None::<&str>)
        .map_err(|e| IpcError::new(ErrorKind::Opener, e.to_string()))
}

/// Opens the database again (after another program let go of it).
#[tauri::command]
pub async fn reopen_store(app: AppState<'_>) -> CmdResult<()> {
    Ok(app.reopen_store().await?)
}

/// Copies a damaged database aside and rebuilds it from what can be read; says where the copy is and
/// how much came back.
#[tauri::command]
pub async fn repair_store(app: AppState<'_>) -> CmdResult<ponder_app::RepairSummary> {
    Ok(app.repair_store().await?)
}
