//! What the served-model engine costs per token over reading the same stream with a bare HTTP
//! client, in one run: a scripted server streaming 20,000 tokens as fast as the loopback carries them
//! (so only the client's work is measured), and llama.cpp's real server answering the bundled model
//! (where the server's own pace is what a person waits for). Both clients send the same request; the
//! bare one reads the body and parses each chunk's JSON, the engine also splits thinking from answer,
//! counts tokens, watches for loops and hands out events. Printed as times per token and ratios
//! (docs/benchmarks.md): `cargo test --workspace --test served_overhead -- --nocapture`.

use std::time::{Duration, Instant};

use futures::StreamExt;
use ponder_engine::{Engine, Event, GenerationRequest, ModelSource, Sampling, ServerSource};
use ponder_tests::fake_openai::{FakeOpenAi, Script};
use ponder_tests::llama_server::LlamaServer;
use serde_json::{json, Value};

const RUNS: usize = 5;

#[derive(serde::Deserialize)]
struct Chunk<'a> {
    #[serde(borrow)]
    choices: Vec<Choice<'a>>,
}

#[derive(serde::Deserialize)]
struct Choice<'a> {
    #[serde(borrow)]
    delta: Delta<'a>,
}

#[derive(serde::Deserialize)]
struct Delta<'a> {
    #[serde(borrow, default)]
    content: Option<std::borrow::Cow<'a, str>>,
    #[serde(borrow, default)]
    reasoning_content: Option<std::borrow::Cow<'a, str>>,
}

/// The bare client: the request, the body read chunk by chunk, and with `parse` each `data:` line
/// deserialized into a typed chunk and its text counted (without, only the bytes are read: the floor
/// any client pays). Returns the characters of text read (or the bytes).
async fn bare(client: &reqwest::Client, url: &str, body: &Value, parse: bool) -> usize {
    let resp = client.post(format!("{url}/v1/chat/completions")).json(body).send().await.unwrap();
    let mut stream = resp.bytes_stream();
    let (mut pending, mut scanned, mut count) = (Vec::<u8>::new(), 0, 0);
    while let Some(bytes) = stream.next().await {
        let bytes = bytes.unwrap();
        if !parse {
            count += bytes.len();
            continue;
        }
        pending.extend_from_slice(&bytes);
        let mut start = 0;
        while let Some(at) = pending[scanned..].windows(2).position(|w| w == b"\n\n") {
            let end = scanned + at;
            let event = std::str::from_utf8(&pending[start..end]).unwrap();
            if let Some(data) = event.trim().strip_prefix("data:") {
                if let Ok(chunk) = serde_json::from_str::<Chunk>(data.trim()) {
                    for choice in chunk.choices {
                        let d = choice.delta;
                        count += d.content.map_or(0, |s| s.chars().count());
                        count += d.reasoning_content.map_or(0, |s| s.chars().count());
                    }
                }
            }
            start = end + 2;
            scanned = start;
        }
        pending.drain(..start);
        scanned = pending.len().saturating_sub(1).min(scanned.saturating_sub(start));
    }
    count
}

/// The engine: the same request through ponder-engine. Returns the characters of thinking and
/// answer, and the tokens it counted.
async fn engine(engine: &Engine, req: &GenerationRequest) -> (usize, usize) {
    let events = engine.generate(req).await.unwrap().collect().await;
    let (mut chars, mut tokens) = (0, 0);
    for e in events {
        match e.event {
            Event::Thinking(t) | Event::Answer(t) => chars += t.chars().count(),
            Event::Usage(u) => tokens = u.thinking_tokens + u.answer_tokens,
            _ => {}
        }
    }
    (chars, tokens)
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

/// Times the three clients `RUNS` times each, alternating; returns the medians (raw read, parsing
/// bare client, engine).
async fn compare(url: &str, req: &GenerationRequest, body: &Value) -> [Duration; 3] {
    let source =
        ServerSource { base_url: url.into(), model: None, api_key: None, reply_timeout_s: None };
    let served = Engine::load(ModelSource::Server(source)).await.unwrap();
    let (mut raws, mut bares, mut engines) = (Vec::new(), Vec::new(), Vec::new());
    // A new connection per request (llama.cpp closes its idle ones; a loopback connect is ~0.1 ms).
    let client = reqwest::Client::builder().pool_max_idle_per_host(0).build().unwrap();
    bare(&client, url, body, true).await;
    for _ in 0..RUNS {
        let t = Instant::now();
        bare(&client, url, body, false).await;
        raws.push(t.elapsed());
        let t = Instant::now();
        let bare_chars = bare(&client, url, body, true).await;
        bares.push(t.elapsed());
        let t = Instant::now();
        let (engine_chars, _) = engine(&served, req).await;
        engines.push(t.elapsed());
        // The same text (the engine trims the whitespace around the thinking).
        let close = engine_chars <= bare_chars && engine_chars + 8 >= bare_chars;
        assert!(close, "the engine read {engine_chars} characters, the bare client {bare_chars}");
    }
    [median(raws), median(bares), median(engines)]
}

fn report(what: &str, tokens: usize, [raw, bare, engine]: [Duration; 3]) {
    let per = |d: Duration| d.as_secs_f64() * 1e6 / tokens as f64;
    eprintln!(
        "{what}: {tokens} tokens; body read raw {:.2} µs/token, bare parsing client {:.2} µs/token, \
         ponder-engine {:.2} µs/token ({:.0} ms); engine / bare = {:.2}×, engine / raw = {:.2}×",
        per(raw),
        per(bare),
        per(engine),
        engine.as_secs_f64() * 1e3,
        engine.as_secs_f64() / bare.as_secs_f64(),
        engine.as_secs_f64() / raw.as_secs_f64(),
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_served_path_costs_little_over_a_bare_client() {
    // 1. The client's work alone: 20,000 tokens, unpaced.
    // Numbered, so no stretch repeats itself (the loop watcher would rightly stop a chain that did).
    let thinking: String =
        (0..2_000).map(|i| format!("Case {i}: check it, then carry. ")).collect();
    let answer: String = (0..476).map(|i| format!("Step {i} gives **{}**. ", i * 7)).collect();
    let server = FakeOpenAi::serve(Script::new(&thinking, &answer, 1e7)).await;
    let tokens = (thinking.len() + answer.len()).div_ceil(4);
    let req = GenerationRequest::ask("Add them.");
    let body = json!({"model": "Qwen/Qwen3-8B", "stream": true,
                      "messages": [{"role": "user", "content": "Add them."}]});
    report("scripted server, unpaced", tokens, compare(&server.url, &req, &body).await);

    // 2. A real server at its own pace: llama.cpp answering the bundled model, greedy.
    let llama = LlamaServer::bundled();
    let req = GenerationRequest {
        sampling: Sampling::greedy(),
        max_tokens: 400,
        ..GenerationRequest::ask("What is 347 + 589?")
    };
    let source = ServerSource {
        base_url: llama.url.clone(),
        model: None,
        api_key: None,
        reply_timeout_s: None,
    };
    let served = Engine::load(ModelSource::Server(source)).await.unwrap();
    let (_, tokens) = engine(&served, &req).await;
    let body = json!({"model": served.info().name, "stream": true, "max_tokens": 400,
                      "temperature": 0.0, "chat_template_kwargs": {"enable_thinking": true},
                      "messages": [{"role": "user", "content": "What is 347 + 589?"}]});
    report("llama.cpp, bundled model", tokens, compare(&llama.url, &req, &body).await);
}
