//! The window's commands, one file per domain; each converts its input, calls `ponder-app` or the
//! store, and converts the result. The list is `commands.txt` (permissions are generated from it).

pub mod chat;
pub mod export;
pub mod history;
pub mod learning;
pub mod models;
pub mod ratings;
pub mod settings;
pub mod system;

/// The app behind the window, shared by every command.
pub type AppState<'a> = tauri::State<'a, std::sync::Arc<ponder_app::App>>;
