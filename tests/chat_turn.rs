//! A whole turn on real parts: the bundled model through mistral.rs, saved as it streams into a real
//! SQLite file, exactly as the app and the CLI do it (ponder-chat).

use ponder_chat::{generation_settings, record, request_for};
use ponder_engine::{Engine, Event, GenerationRequest, ModelSource, Sampling};
use ponder_store::{EndReason, MessageStatus, Store};
use ponder_tests::bundled_model_dir;

async fn parts() -> (tempfile::TempDir, Engine, Store) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path().join("ponder.db")).await.unwrap();
    let engine = Engine::load(ModelSource::LocalDir(bundled_model_dir())).await.unwrap();
    (dir, engine, store)
}

fn greedy(question: &str) -> GenerationRequest {
    GenerationRequest { sampling: Sampling::greedy(), ..GenerationRequest::ask(question) }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_saved_answer_is_exactly_what_streamed_with_its_provenance() {
    let (_dir, engine, store) = parts().await;
    let (conv, question) = store.start_conversation("What is 347 + 589?").await.unwrap();
    let (_, req) = request_for(&store, question.id, greedy("ignored")).await.unwrap();
    assert_eq!(req.messages.len(), 1);
    assert_eq!(req.messages[0].content, "What is 347 + 589?");
    let generation = engine.generate(&req).await.unwrap();
    let (mut thinking, mut answer) = (String::new(), String::new());
    let saved = record(
        &store,
        question.id,
        generation_settings(engine.info(), &req),
        generation,
        1,
        |e, _| match &e.event {
            Event::Thinking(t) => thinking.push_str(t),
            Event::Answer(t) => answer.push_str(t),
            _ => {}
        },
    )
    .await
    .unwrap();

    // Reopen from the file: what a person sees next time is what streamed.
    let thread = store.thread(conv.id).await.unwrap();
    let stored = thread.message(saved[0].id).unwrap();
    assert_eq!(stored.thinking.as_deref(), Some(thinking.as_str()));
    assert_eq!(stored.content, answer);
    assert!(answer.contains("936"), "{answer}");
    assert_eq!(stored.status, MessageStatus::Complete);
    let g = stored.generation.as_ref().unwrap();
    assert_eq!(g.settings.model.architecture.as_deref(), Some("Qwen3ForCausalLM"));
    assert_eq!(g.settings.model.device, engine.info().device);
    let hash = g.settings.model.file_hash.as_deref().unwrap_or_default();
    assert!(hash.starts_with("sha256:") && hash.len() == 7 + 64, "{hash}");
    assert_eq!(g.settings.sampling["temperature"], 0.0);
    assert_eq!(g.settings.sampling["max_tokens"], GenerationRequest::DEFAULT_MAX_TOKENS);
    assert!(g.settings.thinking_enabled);
    let o = g.outcome.as_ref().unwrap();
    assert_eq!(o.finish_reason, Some(EndReason::Stop));
    assert!(o.prompt_tokens > 5 && o.thinking_tokens > 20 && o.answer_tokens > 3, "{o:?}");
    assert!(o.thinking_ms.unwrap() > 0.0 && o.total_ms >= o.thinking_ms.unwrap());
    assert_eq!(thread.active_path, vec![question.id, saved[0].id]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn candidates_become_siblings_and_a_follow_up_carries_the_branch() {
    let (_dir, engine, store) = parts().await;
    let (conv, question) = store.start_conversation("What is 25 + 17?").await.unwrap();
    let template = GenerationRequest { candidates: 2, ..GenerationRequest::ask("") };
    let (_, req) = request_for(&store, question.id, template).await.unwrap();
    let generation = engine.generate(&req).await.unwrap();
    let saved = record(
        &store,
        question.id,
        generation_settings(engine.info(), &req),
        generation,
        2,
        |_, _| {},
    )
    .await
    .unwrap();
    assert_eq!(saved.len(), 2);
    let thread = store.thread(conv.id).await.unwrap();
    assert_eq!(thread.siblings(saved[0].id), vec![saved[0].id, saved[1].id]);
    assert!(saved.iter().all(|m| !m.content.is_empty() && m.status == MessageStatus::Complete));

    // A follow-up under the first candidate is asked with that candidate's answer, not the other's.
    store.set_active(saved[0].id).await.unwrap();
    let follow = store.add_question(conv.id, Some(saved[0].id), "And 25 + 18?").await.unwrap();
    let (_, req) = request_for(&store, follow.id, greedy("")).await.unwrap();
    let contents: Vec<&str> = req.messages.iter().map(|m| m.content.as_str()).collect();
    assert_eq!(contents, vec!["What is 25 + 17?", saved[0].content.as_str(), "And 25 + 18?"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stopping_mid_thinking_keeps_the_partial_thinking() {
    let (_dir, engine, store) = parts().await;
    let (_, question) = store.start_conversation("What is 4821 + 3967?").await.unwrap();
    let (_, req) = request_for(&store, question.id, greedy("")).await.unwrap();
    let generation = engine.generate(&req).await.unwrap();
    let stop = generation.stop_handle();
    let mut streamed = String::new();
    let saved = record(
        &store,
        question.id,
        generation_settings(engine.info(), &req),
        generation,
        1,
        |e, _| {
            if let Event::Thinking(t) = &e.event {
                streamed.push_str(t);
                if streamed.len() > 40 {
                    stop.stop();
                }
            }
        },
    )
    .await
    .unwrap();
    let m = store.message(saved[0].id).await.unwrap();
    assert_eq!(m.status, MessageStatus::Stopped);
    assert_eq!(m.thinking.as_deref(), Some(streamed.as_str()));
    assert!(streamed.len() > 40 && m.content.is_empty(), "stopped before the answer");
    let o = m.generation.unwrap().outcome.unwrap();
    assert_eq!(o.finish_reason, Some(EndReason::Cancelled));
}
