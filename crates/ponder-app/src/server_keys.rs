//! Servers for the window: their API keys kept in the OS keychain, never in the settings file and
//! never sent back to the window (it only learns whether one is kept), and the models they list.

use std::sync::Arc;
use std::time::Duration;

use ponder_engine::keychain::ServerKeys;
use ponder_engine::EngineError;

use crate::{App, AppError, Result};

/// How long a keychain call may take: a Secret Service started on demand, or waiting on a prompt
/// nobody can answer, must not leave the window waiting forever.
const KEYCHAIN_TIMEOUT: Duration = Duration::from_secs(15);

impl App {
    /// Keeps `key` for the server at `url` in the keychain.
    pub async fn save_server_key(&self, url: String, key: String) -> Result<()> {
        let url = server_url(&url)?;
        self.with_keys(move |keys| keys.save(&url, &key)).await
    }

    /// Forgets the key kept for `url`; `false` when none was kept.
    pub async fn forget_server_key(&self, url: String) -> Result<bool> {
        let url = server_url(&url)?;
        self.with_keys(move |keys| keys.forget(&url)).await
    }

    /// Whether a key is kept for `url`.
    pub async fn server_key_saved(&self, url: String) -> Result<bool> {
        let url = server_url(&url)?;
        self.with_keys(move |keys| keys.load(&url).map(|k| k.is_some())).await
    }

    /// The models the server at `url` lists, asked with the key kept for it, for choosing one.
    pub async fn server_models(&self, url: String) -> Result<Vec<ponder_engine::ListedModel>> {
        let url = server_url(&url)?;
        let source = ponder_engine::ServerSource {
            base_url: url.clone(),
            api_key: self.key_for_server(&url).await,
            ..Default::default()
        };
        Ok(ponder_engine::list_server_models(&source).await?)
    }

    /// The key to send to `url`, for loading it. A keychain that cannot be read is no reason not to
    /// try: many servers want no key, and one that does says so when asked.
    pub(crate) async fn key_for_server(&self, url: &str) -> Option<String> {
        let url = url.to_string();
        match self.with_keys(move |keys| keys.load(&url)).await {
            Ok(key) => key,
            Err(e) => {
                tracing::warn!("reading the server's key from the keychain: {e}");
                None
            }
        }
    }

    async fn with_keys<T: Send + 'static>(
        &self,
        call: impl FnOnce(&dyn ServerKeys) -> std::result::Result<T, EngineError> + Send + 'static,
    ) -> Result<T> {
        let keys: Arc<dyn ServerKeys> = self.server_keys.clone();
        let task = tokio::task::spawn_blocking(move || call(keys.as_ref()));
        match tokio::time::timeout(KEYCHAIN_TIMEOUT, task).await {
            Ok(Ok(result)) => Ok(result?),
            Ok(Err(e)) => Err(AppError::Engine(EngineError::Keychain(format!("failed: {e}")))),
            Err(_) => Err(AppError::Engine(EngineError::Keychain(format!(
                "did not answer in {} s (is it locked, waiting for a password?)",
                KEYCHAIN_TIMEOUT.as_secs()
            )))),
        }
    }
}

fn server_url(url: &str) -> Result<String> {
    let url = url.trim();
    if url.starts_with("http://") || url.starts_with("https://") {
        Ok(url.to_string())
    } else {
        Err(AppError::Invalid(format!(
            "a server's address starts with http:// or https:// (got `{url}`)"
        )))
    }
}
