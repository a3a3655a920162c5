//! Helpers shared by the store's tests: a fresh database file and typical generation settings.
#![allow(dead_code)]

use ponder_store::{
    GenerationOutcome, GenerationSettings, Message, MessageId, ModelIdentity, Store,
};

/// A store in a new temporary folder (kept alive by the returned guard).
pub async fn fresh_store() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path().join("ponder.db")).await.unwrap();
    (dir, store)
}

/// Settings as the app records them for the bundled model.
pub fn settings() -> GenerationSettings {
    GenerationSettings {
        model: ModelIdentity {
            id: "ponder-tiny".into(),
            path: Some("/models/ponder-tiny".into()),
            file_hash: Some("sha256:abc".into()),
            architecture: Some("Qwen3ForCausalLM".into()),
            quantization: None,
            device: "cpu".into(),
        },
        sampling: serde_json::json!({"temperature": 0.6, "top_k": 20, "top_p": 0.95, "min_p": 0.0}),
        thinking_enabled: true,
        thinking_budget: Some(512),
        app_version: "0.1.0".into(),
    }
}

/// Streams and finishes an answer to `question`.
pub async fn answer(store: &Store, question: MessageId, thinking: &str, text: &str) -> Message {
    let writer = store.begin_answer(question, settings()).await.unwrap();
    writer.push_thinking(thinking);
    writer.push_answer(text);
    writer
        .finish(GenerationOutcome { total_ms: 10.0, answer_tokens: 3, ..Default::default() })
        .await
        .unwrap()
}
