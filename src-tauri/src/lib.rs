//! Ponder's desktop shell: opens the window, holds the app state, and registers the commands. All
//! behaviour lives in `ponder-app`; this crate only adapts it to Tauri.
//!
//! Architecture invariant: a command is a few lines: convert the input, call `ponder-app` (or the store
//! it opened), convert the result or the error (`{kind, message}`).

pub mod commands;
pub mod error;
pub mod navigation;

use std::path::PathBuf;
use std::sync::Arc;

use ponder_app::{App, AppConfig};
use tauri::{Manager, Runtime, WebviewUrl, WebviewWindowBuilder};

/// `builder` with every command registered.
pub fn with_commands<R: Runtime>(builder: tauri::Builder<R>) -> tauri::Builder<R> {
    builder.invoke_handler(tauri::generate_handler![
        commands::chat::ask,
        commands::chat::regenerate,
        commands::chat::stop,
        commands::chat::fix_step,
        commands::chat::grade_answer,
        commands::chat::check_answer,
        commands::chat::answer_mode,
        commands::chat::set_answer_mode,
        commands::learning::learn_plan,
        commands::learning::start_learning,
        commands::learning::cancel_learning,
        commands::learning::learning_status,
        commands::learning::list_versions,
        commands::learning::rename_version,
        commands::learning::delete_version,
        commands::learning::comparison_tally,
        commands::history::list_conversations,
        commands::history::thread,
        commands::history::set_active,
        commands::history::rename_conversation,
        commands::history::delete_conversation,
        commands::history::restore_conversation,
        commands::history::search,
        commands::ratings::rate,
        commands::ratings::clear_rating,
        commands::ratings::rating_stats,
        commands::settings::load_settings,
        commands::settings::save_settings,
        commands::models::model_status,
        commands::models::list_models,
        commands::models::model_catalog,
        commands::models::load_model,
        commands::models::cancel_download,
        commands::models::save_server_key,
        commands::models::forget_server_key,
        commands::models::server_key_saved,
        commands::models::server_models,
        commands::models::suggestions,
        commands::system::pick_path,
        commands::export::export_ratings,
        commands::system::open_external,
        commands::system::reopen_store,
        commands::system::repair_store,
    ])
}

/// A builder holding `app`, with every command: what tests drive on the mock runtime.
pub fn builder<R: Runtime>(app: Arc<App>) -> tauri::Builder<R> {
    with_commands(tauri::Builder::<R>::new().manage(app))
}

/// The bundled model: a resource of the installed app, else this source tree's `models/`.
fn bundled_model<R: Runtime>(handle: &tauri::AppHandle<R>) -> PathBuf {
    let installed = handle.path().resource_dir().map(|d| d.join("models/ponder-tiny"));
    match installed {
        Ok(dir) if dir.join("config.json").is_file() => dir,
        _ => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../models/ponder-tiny"),
    }
}

/// Runs the app until its window closes.
pub fn run() {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "warn,ponder=info".into()),
        )
        .init();
    let result = with_commands(tauri::Builder::default())
        .plugin(tauri_plugin_dialog::init())
        .setup(|tauri_app| {
            let handle = tauri_app.handle().clone();
            let data_dir = ponder_store::data_dir(None)
                .or_else(|| handle.path().app_data_dir().ok())
                .ok_or("no data folder: set PONDER_DATA_DIR")?;
            let config = AppConfig { data_dir, bundled_model: bundled_model(&handle) };
            tracing::info!("data in {}", config.data_dir.display());
            let app = tauri::async_runtime::block_on(App::open(config));
            handle.manage(app);
            WebviewWindowBuilder::new(tauri_app, "main", WebviewUrl::App("index.html".into()))
                .title("Ponder")
                .inner_size(1200.0, 800.0)
                .min_inner_size(720.0, 480.0)
                .on_navigation(|url| {
                    let ok = navigation::stays_in_app(url);
                    if !ok {
                        tracing::warn!("blocked navigation to {url}");
                    }
                    ok
                })
                .build()?;
            Ok(())
        })
        .run(tauri::generate_context!());
    if let Err(e) = result {
        tracing::error!("Ponder could not start: {e}");
        eprintln!("Ponder could not start: {e}");
        std::process::exit(1);
    }
}
