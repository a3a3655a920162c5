//! What Ponder's window can do, without the window: one [`App`] holds the history store, the model
//! slot, the settings file and the running answers, and each window action is one method here. The
//! Tauri shell only converts arguments and results, so everything the window relies on is tested with
//! real parts and no webview.
//!
//! Architecture invariant: this crate never depends on Tauri; streaming goes through [`AnswerSink`].

mod bindings;
mod catalog_offers;
mod comparisons;
mod error;
mod export_form;
mod grading;
mod learning;
mod models;
mod server_keys;
mod settings;
mod stats;
mod suggestions;
mod thinking_harder;
mod turns;

use std::path::PathBuf;
use std::sync::Arc;

use ponder_store::Store;
use serde::Serialize;
use tokio::sync::RwLock;
use ts_rs::TS;

pub use bindings::write_ipc_bindings;
pub use catalog_offers::{CatalogOffer, ModelCatalog};
pub use comparisons::PairTally;
pub use error::{AppError, Result};
pub use export_form::{ExportRequest, ExportSummary};
pub use learning::{LearnSink, LearnStartRequest, LearningStatus, VersionSummary};
pub use models::{LoadProgress, ModelChoice, ModelEntry, ModelStatus, ProgressSink};
pub use ponder_chat::{AnswerOptions, SamplingRequest, Verdict};
pub use ponder_engine::cpu_support;
pub use ponder_engine::load_defaults::configure_threads;
pub use ponder_engine::DeviceChoice;
pub use ponder_engine::ListedModel;
pub use ponder_error_kind::{ErrorBody, ErrorKind};
pub use ponder_learn::{LearnPlan, TeachSample};
pub use stats::{RatingDay, RatingStats};
pub use suggestions::suggestions_for;
pub use thinking_harder::CheckRequest;
pub use turns::{
    AnswerBatch, AnswerEvent, AnswerSink, AskRequest, FixStepRequest, RegenerateRequest, Started,
};

/// What a repair of the history database kept, for the window to say.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, TS)]
pub struct RepairSummary {
    /// Where the damaged file was copied, byte for byte.
    pub backup: PathBuf,
    /// Conversations in the repaired database.
    pub conversations: u64,
    /// Messages (questions and answers) in the repaired database.
    pub messages: u64,
    /// Rows on unreadable pages that could not be brought back.
    pub unreadable_rows: u64,
}

/// Where the app keeps things.
#[derive(Clone, Debug)]
pub struct AppConfig {
    /// The data folder: `ponder.db`, `settings.json`.
    pub data_dir: PathBuf,
    /// The bundled model folder (a resource of the installed app, or the source tree's `models/`).
    pub bundled_model: PathBuf,
}

/// The history database, or why it could not be opened (the window shows it and offers repair).
enum StoreState {
    Open(Store),
    Failed { kind: ErrorKind, message: String },
}

/// Everything behind the window.
pub struct App {
    config: AppConfig,
    store: RwLock<StoreState>,
    models: models::Models,
    settings: settings::SettingsFile,
    running: turns::Running,
    learning: learning::Learning,
    /// Where server API keys are kept (the OS keychain, or memory in tests).
    server_keys: Arc<dyn ponder_engine::keychain::ServerKeys>,
}

impl App {
    /// Opens the store in `config.data_dir` (creating the folder). A database that cannot be opened
    /// (locked, corrupt) does not stop the app: store actions report why until [`App::repair_store`].
    pub async fn open(config: AppConfig) -> Arc<App> {
        Self::open_with_keys(config, Arc::new(ponder_engine::keychain::OsKeychain)).await
    }

    /// [`App::open`], keeping server keys in `server_keys` instead of the OS keychain.
    pub async fn open_with_keys(
        config: AppConfig,
        server_keys: Arc<dyn ponder_engine::keychain::ServerKeys>,
    ) -> Arc<App> {
        let db = config.data_dir.join(ponder_store::DATABASE_FILE);
        let store = match std::fs::create_dir_all(&config.data_dir) {
            Ok(()) => Self::open_store(db).await,
            Err(e) => StoreState::Failed {
                kind: ErrorKind::Io,
                message: format!(
                    "cannot create the data folder {}: {e}",
                    config.data_dir.display()
                ),
            },
        };
        Arc::new(App {
            settings: settings::SettingsFile::new(config.data_dir.join("settings.json")),
            models: models::Models::new(config.bundled_model.clone()),
            running: turns::Running::default(),
            learning: learning::Learning::default(),
            store: RwLock::new(store),
            server_keys,
            config,
        })
    }

    async fn open_store(db: PathBuf) -> StoreState {
        match Store::open(&db).await {
            Ok(s) => {
                // Conversations deleted before this start are past their undo.
                let cutoff = ponder_store::Clock::System.now_ms();
                if let Err(e) = s.purge_deleted(cutoff).await {
                    tracing::warn!("purging deleted conversations: {e}");
                }
                StoreState::Open(s)
            }
            Err(e) => StoreState::Failed { kind: e.kind(), message: e.to_string() },
        }
    }

    /// The open store, or the reason it is not open.
    pub async fn store(&self) -> Result<Store> {
        match &*self.store.read().await {
            StoreState::Open(s) => Ok(s.clone()),
            StoreState::Failed { kind, message } => {
                Err(AppError::StoreUnavailable { kind: *kind, message: message.clone() })
            }
        }
    }

    /// Tries to open the database again (after another program let go of it).
    pub async fn reopen_store(&self) -> Result<()> {
        let db = self.config.data_dir.join(ponder_store::DATABASE_FILE);
        let mut state = self.store.write().await;
        if let StoreState::Open(s) = &*state {
            s.clone().close().await;
        }
        *state = Self::open_store(db).await;
        drop(state);
        self.store().await.map(|_| ())
    }

    /// Copies a damaged database aside, rebuilds what it can, and opens the result.
    pub async fn repair_store(&self) -> Result<RepairSummary> {
        let db = self.config.data_dir.join(ponder_store::DATABASE_FILE);
        let mut state = self.store.write().await;
        if let StoreState::Open(s) = &*state {
            s.clone().close().await;
        }
        let report = Store::repair(&db).await;
        *state = Self::open_store(db).await;
        drop(state);
        let report = report?;
        self.store().await?;
        Ok(RepairSummary {
            backup: report.backup,
            conversations: report.conversations,
            messages: report.messages,
            unreadable_rows: report.unreadable_rows,
        })
    }

    /// The data folder.
    pub fn data_dir(&self) -> &std::path::Path {
        &self.config.data_dir
    }
}
