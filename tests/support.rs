//! Helpers shared by the cross-crate tests: where the bundled model is, and draining event streams.

pub mod fake_hub;
pub mod fake_openai;
pub mod llama_cpp;
pub mod llama_server;
pub mod qwen_fixture;
pub mod secret_service;

use std::path::PathBuf;

use ponder_engine::{CandidateEvent, Engine, Event, FinishReason, GenerationRequest};

/// The bundled model folder.
pub fn bundled_model_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../models/ponder-tiny")
}

/// Every event of one generation, every candidate, in arrival order.
pub async fn collect_all(engine: &Engine, req: &GenerationRequest) -> Vec<CandidateEvent> {
    engine.generate(req).await.expect("request accepted").collect().await
}

/// The events of candidate 0 of one generation, in order.
pub async fn collect(engine: &Engine, req: &GenerationRequest) -> Vec<Event> {
    of_candidate(&collect_all(engine, req).await, 0)
}

/// The events of one candidate.
pub fn of_candidate(events: &[CandidateEvent], candidate: usize) -> Vec<Event> {
    events.iter().filter(|e| e.candidate == candidate).map(|e| e.event.clone()).collect()
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
