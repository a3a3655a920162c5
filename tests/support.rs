//! Helpers shared by the cross-crate tests: where the bundled model is, and draining event streams.

use std::path::PathBuf;

use ponder_engine::{Engine, Event, FinishReason, GenerationRequest};

/// The bundled model folder.
pub fn bundled_model_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../models/ponder-tiny")
}

/// Every event of one generation, in order.
pub async fn collect(engine: &Engine, req: &GenerationRequest) -> Vec<Event> {
    let mut rx = engine.generate(req);
    let mut events = Vec::new();
    while let Some(e) = rx.recv().await {
        events.push(e);
    }
    events
}

/// (thinking, answer, finish) concatenated from `events`.
pub fn texts(events: &[Event]) -> (String, String, Option<FinishReason>) {
    let (mut thinking, mut answer, mut finish) = (String::new(), String::new(), None);
    for e in events {
        match e {
            Event::Thinking(t) => thinking.push_str(t),
            Event::Answer(t) => answer.push_str(t),
            Event::Finished(f) => finish = Some(f.clone()),
            Event::Usage(_) => {}
        }
    }
    (thinking, answer, finish)
}
