//! The window's settings, kept as the JSON the window sends (it owns their shape and defaults) in
//! `settings.json`, written atomically so a crash mid-write never leaves half a file.

use std::path::PathBuf;

use crate::{App, AppError, Result};

pub(crate) struct SettingsFile {
    path: PathBuf,
    /// One writer at a time, so two quick saves cannot interleave their temporary files.
    lock: tokio::sync::Mutex<()>,
}

impl SettingsFile {
    pub(crate) fn new(path: PathBuf) -> Self {
        Self { path, lock: tokio::sync::Mutex::new(()) }
    }

    fn error(&self, reason: impl ToString) -> AppError {
        AppError::Settings { path: self.path.display().to_string(), reason: reason.to_string() }
    }
}

impl App {
    /// The saved settings; `null` when there are none yet. A file that is not JSON is moved aside
    /// (kept, never overwritten) and `null` returned, so the window starts from its defaults.
    pub async fn load_settings(&self) -> Result<serde_json::Value> {
        let file = &self.settings;
        let _guard = file.lock.lock().await;
        let text = match tokio::fs::read_to_string(&file.path).await {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Ok(serde_json::Value::Null)
            }
            Err(e) => return Err(file.error(e)),
        };
        match serde_json::from_str(&text) {
            Ok(v) => Ok(v),
            Err(e) => {
                let aside = file.path.with_extension(format!(
                    "json.unreadable-{}",
                    ponder_store::Clock::System.now_ms()
                ));
                tracing::warn!("settings file is not JSON ({e}); moved to {}", aside.display());
                tokio::fs::rename(&file.path, &aside).await.map_err(|e| file.error(e))?;
                Ok(serde_json::Value::Null)
            }
        }
    }

    /// Replaces the saved settings.
    pub async fn save_settings(&self, value: &serde_json::Value) -> Result<()> {
        let file = &self.settings;
        if !value.is_object() {
            return Err(AppError::Invalid("settings must be a JSON object".into()));
        }
        let _guard = file.lock.lock().await;
        let text = serde_json::to_string_pretty(value).map_err(|e| file.error(e))?;
        let tmp = file.path.with_extension("json.tmp");
        tokio::fs::write(&tmp, text).await.map_err(|e| file.error(e))?;
        tokio::fs::rename(&tmp, &file.path).await.map_err(|e| file.error(e))
    }
}
