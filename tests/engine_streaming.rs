//! The engine on the real bundled model: thinking budget, stop, candidates, queueing, and clear errors
//! for requests and folders it cannot serve.

use std::time::Duration;

use ponder_engine::{
    ChatMessage, Engine, EngineError, Event, FinishReason, GenerationRequest, ModelSource, Sampling,
};
use ponder_tests::{bundled_model_dir, collect, collect_all, of_candidate, texts};

async fn bundled() -> Engine {
    Engine::load(ModelSource::LocalDir(bundled_model_dir())).await.expect("bundled model loads")
}

fn greedy(question: &str) -> GenerationRequest {
    GenerationRequest { sampling: Sampling::greedy(), ..GenerationRequest::ask(question) }
}

fn usage(events: &[Event]) -> ponder_engine::Usage {
    events
        .iter()
        .find_map(|e| if let Event::Usage(u) = e { Some(u.clone()) } else { None })
        .expect("a Usage event")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn usage_counts_the_prompt_and_both_streams() {
    let engine = bundled().await;
    let events = collect(&engine, &greedy("What is 58 + 67?")).await;
    let u = usage(&events);
    let expected_prompt = engine.prompt_tokens(&greedy("What is 58 + 67?")).await.unwrap();
    assert_eq!(u.prompt_tokens, expected_prompt);
    assert!(u.thinking_tokens > 10 && u.answer_tokens > 3, "{u:?}");
    assert!(u.time_to_first_token_ms > 0.0 && u.tokens_per_second > 0.0, "{u:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thinking_budget_is_respected_and_an_answer_follows() {
    let engine = bundled().await;
    let full = usage(&collect(&engine, &greedy("What is 4821 + 3967?")).await);
    let budget = 12;
    assert!(full.thinking_tokens > 3 * budget, "the unbudgeted thinking must be longer: {full:?}");
    let req = GenerationRequest { thinking_budget: Some(budget), ..greedy("What is 4821 + 3967?") };
    let events = collect(&engine, &req).await;
    let u = usage(&events);
    assert!(u.thinking_tokens <= budget + 1, "{u:?}");
    let (thinking, answer, finish) = texts(&events);
    assert!(!thinking.is_empty(), "it still thinks first");
    assert!(!answer.trim().is_empty(), "and then answers");
    assert_eq!(finish, Some(FinishReason::Stop));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stop_mid_thinking_keeps_the_partial_text_and_the_engine_usable() {
    let engine = bundled().await;
    let mut generation = engine.generate(&greedy("What is 9876 - 1234?")).await.unwrap();
    let stop = generation.stop_handle();
    let mut events = Vec::new();
    let mut thinking_seen = 0;
    while let Some(e) = tokio::time::timeout(Duration::from_secs(60), generation.next())
        .await
        .expect("events keep coming")
    {
        if matches!(e.event, Event::Thinking(_)) {
            thinking_seen += 1;
            if thinking_seen == 5 {
                stop.stop();
            }
        }
        events.push(e.event);
    }
    let (thinking, answer, finish) = texts(&events);
    assert_eq!(finish, Some(FinishReason::Cancelled));
    assert!(!thinking.is_empty(), "the partial thinking is kept");
    assert!(answer.is_empty(), "stopped before the answer: {answer}");
    assert!(usage(&events).thinking_tokens < 30, "stopped within a few tokens: {events:?}");

    let after = collect(&engine, &greedy("What is 12 + 30?")).await;
    assert_eq!(texts(&after).2, Some(FinishReason::Stop), "the engine still works");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn candidates_come_back_distinct_and_each_finishes_once() {
    let engine = bundled().await;
    let req = GenerationRequest {
        candidates: 3,
        sampling: Sampling {
            temperature: Some(1.5),
            top_k: Some(2000),
            top_p: Some(1.0),
            ..Sampling::default()
        },
        max_tokens: 200,
        ..GenerationRequest::ask("What is 6543 + 2789?")
    };
    let events = collect_all(&engine, &req).await;
    let mut replies = Vec::new();
    for c in 0..3 {
        let mine = of_candidate(&events, c);
        let finished = mine.iter().filter(|e| matches!(e, Event::Finished(_))).count();
        assert_eq!(finished, 1, "candidate {c}: {mine:?}");
        assert!(matches!(mine[mine.len() - 2], Event::Usage(_)), "candidate {c}");
        let (thinking, answer, _) = texts(&mine);
        assert!(!thinking.is_empty(), "candidate {c} thinks");
        replies.push(format!("{thinking}|{answer}"));
    }
    assert!(events.iter().all(|e| e.candidate < 3));
    replies.sort();
    replies.dedup();
    assert!(replies.len() >= 2, "sampled candidates should differ: {replies:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_request_waits_its_turn() {
    let engine = bundled().await;
    let (a, b) = (greedy("What is 345 + 678?"), greedy("Which is larger, 4321 or 4312?"));
    let first = engine.generate(&a).await.unwrap();
    let second = engine.generate(&b).await.unwrap();
    let (ea, eb) = tokio::join!(first.collect(), second.collect());
    for events in [ea, eb] {
        let events: Vec<Event> = events.into_iter().map(|e| e.event).collect();
        assert_eq!(texts(&events).2, Some(FinishReason::Stop), "{events:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn emoji_and_other_scripts_work_end_to_end() {
    let engine = bundled().await;
    let events = collect(&engine, &greedy("😀 What is 21 + 34? ✨ Привет")).await;
    let (thinking, answer, finish) = texts(&events);
    assert_eq!(finish, Some(FinishReason::Stop));
    assert!(!thinking.is_empty() && !answer.is_empty(), "{events:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_over_long_prompt_is_refused_with_its_length() {
    let engine = bundled().await;
    let limit = engine.context_length().expect("the bundled model declares its context");
    let req = GenerationRequest {
        messages: vec![ChatMessage::user("7 ".repeat(limit))],
        ..GenerationRequest::ask("")
    };
    let err = engine.generate(&req).await.expect_err("too long");
    assert!(matches!(err, EngineError::PromptTooLong { tokens, .. } if tokens > limit), "{err}");
    assert!(err.to_string().contains(&limit.to_string()), "{err}");
    let after = collect(&engine, &greedy("What is 2 + 2?")).await;
    assert_eq!(texts(&after).2, Some(FinishReason::Stop), "the engine still works");
}

#[tokio::test]
async fn a_missing_folder_and_a_foreign_architecture_are_named() {
    let missing = bundled_model_dir().join("no-such-model");
    let err = Engine::load(ModelSource::LocalDir(missing)).await.err().expect("must fail");
    assert!(err.to_string().contains("no-such-model"), "{err}");

    let dir = tempfile::tempdir().unwrap();
    for entry in std::fs::read_dir(bundled_model_dir()).unwrap() {
        let p = entry.unwrap().path();
        std::fs::copy(&p, dir.path().join(p.file_name().unwrap())).unwrap();
    }
    let config = std::fs::read_to_string(dir.path().join("config.json")).unwrap();
    std::fs::write(dir.path().join("config.json"), config.replace("Qwen3ForCausalLM", "BertModel"))
        .unwrap();
    let err =
        Engine::load(ModelSource::LocalDir(dir.path().to_path_buf())).await.err().expect("fails");
    assert!(matches!(err, EngineError::UnsupportedArchitecture { .. }), "{err}");
    assert!(err.to_string().contains("BertModel"), "{err}");
}
