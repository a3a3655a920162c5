//! The first screen's suggestions for the bundled model are problems it answers right: each one, in
//! both languages, asked of the real model (greedy) and graded by the question's own arithmetic.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use ponder_app::{
    AnswerBatch, AnswerOptions, AnswerSink, App, AppConfig, AskRequest, ModelChoice,
    SamplingRequest,
};
use ponder_engine::DeviceChoice;
use ponder_store::Role;

#[derive(Default)]
struct Done(Mutex<bool>);

impl AnswerSink for Done {
    fn send(&self, batch: AnswerBatch) {
        if batch.done {
            *self.0.lock().unwrap() = true;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_suggestion_for_the_bundled_model_is_answered_right() {
    let dir = tempfile::tempdir().unwrap();
    let bundled = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../models/ponder-tiny");
    let app =
        App::open(AppConfig { data_dir: dir.path().to_path_buf(), bundled_model: bundled }).await;
    let choice = ModelChoice::Bundled { device: DeviceChoice::Cpu, quantization: None };
    app.load_model(choice, Arc::new(|_| {})).await.unwrap();
    for language in ["en", "zh"] {
        for question in app.suggestions(language) {
            let sink = Arc::new(Done::default());
            let options = AnswerOptions {
                sampling: Some(SamplingRequest { temperature: Some(0.0), ..Default::default() }),
                ..AnswerOptions::default()
            };
            let ask = AskRequest {
                conversation_id: None,
                parent_id: None,
                text: question.clone(),
                options,
            };
            let started = app.ask(ask, sink.clone()).await.unwrap();
            while !*sink.0.lock().unwrap() {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            let store = app.store().await.unwrap();
            let thread = store.thread(started.conversation_id).await.unwrap();
            let answer = thread.messages.iter().find(|m| m.role == Role::Assistant).unwrap();
            let verdict = app.grade_answer(answer.id).await.unwrap().expect("a reference");
            assert!(
                verdict.correct,
                "{question} → {:?} (expected {})",
                answer.content, verdict.reference
            );
        }
    }
    // Another model gets general prompts, not arithmetic.
    assert!(ponder_app::suggestions_for(Some("Qwen/Qwen3-8B"), "en")[0].contains("strawberry"));
}
