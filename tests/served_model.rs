//! The served-model engine against a scripted OpenAI-compatible server: the same events as the
//! in-process engine with thinking from `reasoning_content` or inline tags, thinking switched through
//! the template, and every way a server fails — refused, a wrong key, a model it lacks, a stop, a
//! connection cut mid-answer (what arrived is kept and the reply says why it ended).

use std::time::{Duration, Instant};

use ponder_engine::{Engine, Event, FinishReason, GenerationRequest, ModelSource, ServerSource};
use ponder_error_kind::ErrorKind;
use ponder_tests::fake_openai::{FakeOpenAi, Script};
use ponder_tests::texts;

fn source(url: &str) -> ModelSource {
    ModelSource::Server(ServerSource {
        base_url: url.into(),
        model: None,
        api_key: None,
        reply_timeout_s: None,
    })
}

async fn ask(engine: &Engine, req: &GenerationRequest) -> Vec<Event> {
    let gen = engine.generate(req).await.expect("started");
    gen.collect().await.into_iter().map(|e| e.event).collect()
}

#[tokio::test]
async fn thinking_and_answer_arrive_as_from_the_local_engine_either_way_the_server_sends_them() {
    for reasoning_field in [true, false] {
        let mut script = Script::new("Two and two make four.", "**4**", 400.0);
        script.reasoning_field = reasoning_field;
        let server = FakeOpenAi::serve(script).await;
        let engine = Engine::load(source(&server.url)).await.expect("connected");
        assert_eq!(engine.info().name, "Qwen/Qwen3-8B");
        assert_eq!(engine.context_length(), Some(40960));
        assert!(engine.info().device.contains(&server.url), "{:?}", engine.info());
        let events = ask(&engine, &GenerationRequest::ask("2+2?")).await;
        let (thinking, answer, finish) = texts(&events);
        assert_eq!(thinking.trim(), "Two and two make four.", "reasoning_field {reasoning_field}");
        assert_eq!(answer, "**4**");
        assert_eq!(finish, Some(FinishReason::Stop));
        let Some(Event::Usage(usage)) = events.iter().rev().nth(1) else { panic!("{events:?}") };
        assert_eq!(usage.prompt_tokens, 17, "the server's count");
        assert!(usage.thinking_tokens >= 5 && usage.answer_tokens >= 1, "{usage:?}");
    }
}

#[tokio::test]
async fn thinking_is_switched_through_the_template_and_sampling_passed_on() {
    let server = FakeOpenAi::serve(Script::new("", "4", 400.0)).await;
    let engine = Engine::load(source(&format!("{}/v1/", server.url))).await.expect("connected");
    let mut req = GenerationRequest::ask("2+2?");
    req.thinking = false;
    req.sampling.temperature = Some(0.7);
    ask(&engine, &req).await;
    let sent = &server.requests()[0];
    assert_eq!(sent["chat_template_kwargs"]["enable_thinking"], false);
    assert_eq!(sent["temperature"], 0.7);
    assert_eq!(sent["model"], "Qwen/Qwen3-8B");
    assert_eq!(sent["stream"], true);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn candidates_from_a_server_without_n_come_from_a_request_each() {
    let server = FakeOpenAi::serve(Script::new("Adding.", "The answer is 4.", 400.0)).await;
    let engine = Engine::load(source(&server.url)).await.expect("connected");
    let req = GenerationRequest { candidates: 3, ..GenerationRequest::ask("2+2?") };
    let events = engine.generate(&req).await.expect("started").collect().await;
    for candidate in 0..3 {
        let (thinking, answer, finish) = texts(&ponder_tests::of_candidate(&events, candidate));
        assert_eq!(answer, "The answer is 4.", "candidate {candidate}");
        assert_eq!(thinking.trim(), "Adding.");
        assert_eq!(finish, Some(FinishReason::Stop));
    }
    let sent = server.requests();
    assert_eq!(sent.len(), 3, "one request per candidate");
    assert!(sent.iter().all(|r| r.get("n").is_none()), "{sent:?}");
}

#[tokio::test]
async fn what_the_server_cannot_be_asked_for_is_refused_before_anything_is_sent() {
    let server = FakeOpenAi::serve(Script::new("", "4", 400.0)).await;
    let engine = Engine::load(source(&server.url)).await.expect("connected");
    let mut longer = GenerationRequest::ask("2+2?");
    longer.min_thinking = Some(64);
    let mut no_repeat = GenerationRequest::ask("2+2?");
    no_repeat.sampling.no_repeat_ngram_size = Some(3);
    for (req, said) in [(longer, "thinking longer"), (no_repeat, "no_repeat_ngram_size")] {
        let Err(e) = engine.generate(&req).await else { panic!("{said}: not refused") };
        assert_eq!(e.kind(), ErrorKind::Invalid);
        assert!(e.to_string().contains(said) && e.to_string().contains("in this process"), "{e}");
    }
    // A server of no family known to read a thinking budget is not sent one it would ignore.
    let budgeted =
        GenerationRequest { thinking_budget: Some(64), ..GenerationRequest::ask("2+2?") };
    let Err(e) = engine.generate(&budgeted).await else { panic!("a budget: not refused") };
    assert!(e.to_string().contains("takes no thinking budget"), "{e}");
    assert!(server.requests().is_empty(), "nothing reached the server");
}

#[tokio::test]
async fn a_server_that_is_not_there_a_wrong_key_and_a_missing_model_are_said_plainly() {
    let refused = Engine::load(source("http://127.0.0.1:9")).await.err().expect("refused");
    assert_eq!(refused.kind(), ErrorKind::Server);
    assert!(refused.to_string().contains("could not connect"), "{refused}");

    let mut script = Script::new("", "4", 400.0);
    script.key = Some("sk-right".into());
    let server = FakeOpenAi::serve(script).await;
    let wrong = ServerSource {
        base_url: server.url.clone(),
        model: None,
        api_key: Some("sk-wrong".into()),
        reply_timeout_s: None,
    };
    let e = Engine::load(ModelSource::Server(wrong)).await.err().expect("refused");
    assert_eq!(e.kind(), ErrorKind::ServerAuth);
    assert!(
        e.to_string().contains("Incorrect API key") && !e.to_string().contains("sk-wrong"),
        "{e}"
    );
    let right = ServerSource {
        base_url: server.url.clone(),
        model: None,
        api_key: Some("sk-right".into()),
        reply_timeout_s: None,
    };
    Engine::load(ModelSource::Server(right)).await.expect("the right key is let in");

    let absent = ServerSource {
        base_url: server.url.clone(),
        model: Some("llama".into()),
        api_key: Some("sk-right".into()),
        reply_timeout_s: None,
    };
    let e = Engine::load(ModelSource::Server(absent)).await.err().expect("no such model");
    assert!(
        e.to_string().contains("no model `llama`") && e.to_string().contains("Qwen/Qwen3-8B"),
        "{e}"
    );
}

#[tokio::test]
async fn a_connection_cut_mid_answer_keeps_what_arrived_and_says_so() {
    let mut script = Script::new("Step one. Step two.", "The answer is four.", 400.0);
    script.cut_after = Some(8);
    let server = FakeOpenAi::serve(script).await;
    let engine = Engine::load(source(&server.url)).await.expect("connected");
    let (thinking, answer, finish) = texts(&ask(&engine, &GenerationRequest::ask("2+2?")).await);
    assert_eq!(thinking, "Step one. Step two.");
    assert!(!answer.is_empty() && "The answer is four.".starts_with(&answer), "{answer:?}");
    let Some(FinishReason::Error(why)) = finish else { panic!("{finish:?}") };
    assert!(why.contains("broke mid-reply"), "{why}");
}

#[tokio::test]
async fn a_server_that_falls_silent_times_out_keeping_what_arrived() {
    let mut script = Script::new("Step one. Step two. Step three.", "Four.", 400.0);
    script.stall_after = Some(3);
    let server = FakeOpenAi::serve(script).await;
    let patient = ServerSource { reply_timeout_s: Some(1), ..ServerSource::default() };
    let source = ModelSource::Server(ServerSource { base_url: server.url.clone(), ..patient });
    let engine = Engine::load(source).await.expect("connected");
    let asked = Instant::now();
    let (thinking, answer, finish) = texts(&ask(&engine, &GenerationRequest::ask("2+2?")).await);
    assert!(asked.elapsed() < Duration::from_secs(5), "gave up after {:?}", asked.elapsed());
    assert_eq!(thinking, "Step one. St", "the three tokens that arrived");
    assert_eq!(answer, "");
    let Some(FinishReason::Error(why)) = finish else { panic!("{finish:?}") };
    assert!(why.contains("sent nothing for 1 s") && why.contains("what arrived is kept"), "{why}");
}

#[tokio::test]
async fn several_candidates_each_asked_alone_fail_alone() {
    // Two requests for two candidates (the fake lists no `n`): the first to arrive is cut after a
    // few tokens, the second answers whole; only the cut one ends in an error.
    let mut script = Script::new("Adding two and two.", "4", 400.0);
    script.cut_first_after = Some(3);
    let server = FakeOpenAi::serve(script).await;
    let engine = Engine::load(source(&server.url)).await.expect("connected");
    let req = GenerationRequest { candidates: 2, ..GenerationRequest::ask("2+2?") };
    let events = engine.generate(&req).await.expect("started").collect().await;
    let finishes: Vec<_> =
        (0..2).map(|c| texts(&ponder_tests::of_candidate(&events, c)).2).collect();
    let failed = finishes.iter().filter(|f| matches!(f, Some(FinishReason::Error(_)))).count();
    let stopped = finishes.iter().filter(|f| **f == Some(FinishReason::Stop)).count();
    assert_eq!((failed, stopped), (1, 1), "{finishes:?}");
}

#[tokio::test]
async fn a_stop_mid_thinking_ends_the_reply_at_once_and_closes_the_connection() {
    let server = FakeOpenAi::serve(Script::new(&"thinking ".repeat(2000), "4", 50.0)).await;
    let engine = Engine::load(source(&server.url)).await.expect("connected");
    let mut gen = engine.generate(&GenerationRequest::ask("2+2?")).await.expect("started");
    let mut thinking = String::new();
    while thinking.len() < 40 {
        if let Some(Event::Thinking(t)) = gen.next().await.map(|e| e.event) {
            thinking.push_str(&t);
        }
    }
    let asked = Instant::now();
    gen.stop_handle().stop();
    let rest: Vec<Event> = gen.collect().await.into_iter().map(|e| e.event).collect();
    assert!(asked.elapsed() < Duration::from_secs(2), "stopped in {:?}", asked.elapsed());
    assert_eq!(rest.last(), Some(&Event::Finished(FinishReason::Cancelled)));
    let sent_then = server.sent().len();
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        server.sent().len() <= sent_then + 2,
        "the server stopped sending once the client went away"
    );
}

#[tokio::test]
async fn a_chain_of_thought_that_loops_is_stopped_said_so_and_the_connection_closed() {
    let looping = "Wait, 7 + 5 is 12. Let me check again. ".repeat(400);
    let server = FakeOpenAi::serve(Script::new(&looping, "12", 2000.0)).await;
    let engine = Engine::load(source(&server.url)).await.expect("connected");
    let events = ask(&engine, &GenerationRequest::ask("7 + 5?")).await;
    let (thinking, answer, finish) = texts(&events);
    let Some(FinishReason::Looped(repeated)) = finish else { panic!("{finish:?}") };
    assert!(repeated.describe().contains("times in a row"), "{repeated:?}");
    assert!(thinking.len() < looping.len() / 10, "stopped early: {} chars", thinking.len());
    assert!(looping.starts_with(thinking.trim_start()), "what arrived is kept as it came");
    assert_eq!(answer, "");
    let sent_then = server.sent().len();
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(server.sent().len() <= sent_then + 2, "the server stopped sending");

    let mut keep = GenerationRequest::ask("7 + 5?");
    keep.stop_loops = false;
    let (thinking, answer, finish) = texts(&ask(&engine, &keep).await);
    assert_eq!((thinking.trim(), answer.as_str()), (looping.trim(), "12"));
    assert_eq!(finish, Some(FinishReason::Stop));
}
