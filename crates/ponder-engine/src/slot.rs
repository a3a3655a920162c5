//! The one loaded model, replaceable: switching frees the old engine before the new one loads, so two
//! models never sit in memory together.

use std::sync::Arc;

use tokio::sync::RwLock;

use crate::load::{LoadOptions, LoadStage};
use crate::{Engine, EngineError, ModelSource};

/// Holds at most one [`Engine`].
#[derive(Default)]
pub struct ModelSlot {
    current: RwLock<Option<Arc<Engine>>>,
}

impl ModelSlot {
    /// An empty slot.
    pub fn new() -> Self {
        Self::default()
    }

    /// The loaded engine, if any.
    pub async fn current(&self) -> Option<Arc<Engine>> {
        self.current.read().await.clone()
    }

    /// Frees the current model, then loads `source`. If loading fails the slot stays empty (the old
    /// model is already gone); generations still running on the old model finish first, since they
    /// hold it until they end.
    pub async fn switch(
        &self,
        source: ModelSource,
        options: &LoadOptions,
        on_stage: impl Fn(LoadStage),
    ) -> Result<Arc<Engine>, EngineError> {
        let mut slot = self.current.write().await;
        drop(slot.take());
        let engine = Arc::new(Engine::load_with(source, options, on_stage).await?);
        *slot = Some(engine.clone());
        Ok(engine)
    }

    /// Frees the current model, leaving the slot empty.
    pub async fn unload(&self) {
        drop(self.current.write().await.take());
    }
}
