//! A scripted stand-in for a model server speaking the OpenAI chat-completions protocol: it lists one
//! model and streams a given thinking and answer at a given pace — as `reasoning_content` (vLLM's and
//! llama.cpp's reasoning parsers) or inline in `<think>` tags — recording when it sent what. It serves
//! what no real server here can produce on demand (a 100,000-character chain of thought at GPU speed,
//! a wrong key, a cut connection); the real-server tests use llama.cpp's.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// What the server says, and how.
#[derive(Clone, Debug)]
pub struct Script {
    /// The model id it lists.
    pub model: String,
    /// The chain of thought.
    pub thinking: String,
    /// The answer.
    pub answer: String,
    /// Characters per streamed token (Qwen's English tokens average about four).
    pub chars_per_token: usize,
    /// Tokens per second.
    pub tokens_per_second: f64,
    /// Thinking as `reasoning_content` (else inline, between `<think>` tags in `content`).
    pub reasoning_field: bool,
    /// The bearer token it wants, if any.
    pub key: Option<String>,
    /// Drop the connection after this many tokens, mid-reply.
    pub cut_after: Option<usize>,
    /// Drop the first chat request's connection after this many tokens; later requests run whole.
    pub cut_first_after: Option<usize>,
    /// Fall silent after this many tokens, the connection kept open (a server that hangs).
    pub stall_after: Option<usize>,
}

impl Script {
    /// `thinking` then `answer`, as `reasoning_content`, at `tokens_per_second`.
    pub fn new(thinking: &str, answer: &str, tokens_per_second: f64) -> Self {
        Self {
            model: "Qwen/Qwen3-8B".into(),
            thinking: thinking.into(),
            answer: answer.into(),
            chars_per_token: 4,
            tokens_per_second,
            reasoning_field: true,
            key: None,
            cut_after: None,
            cut_first_after: None,
            stall_after: None,
        }
    }
}

/// When a token went out: milliseconds since the Unix epoch (the page's clock is the same), and
/// how many characters of thinking and of answer had been sent by then.
#[derive(Clone, Copy, Debug)]
pub struct Sent {
    /// Milliseconds since the Unix epoch.
    pub at_ms: f64,
    /// Characters of thinking sent so far.
    pub thinking_chars: usize,
    /// Characters of answer sent so far.
    pub answer_chars: usize,
}

/// A running fake server; it stops when dropped.
pub struct FakeOpenAi {
    /// Base address (without `/v1`).
    pub url: String,
    log: Arc<Mutex<Vec<Sent>>>,
    requests: Arc<Mutex<Vec<Value>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for FakeOpenAi {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl FakeOpenAi {
    /// Serves `script` on 127.0.0.1 (on the current runtime).
    pub async fn serve(script: Script) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("address"));
        let log = Arc::new(Mutex::new(Vec::new()));
        let requests = Arc::new(Mutex::new(Vec::new()));
        let (l, r, s) = (log.clone(), requests.clone(), Arc::new(script));
        let task = tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                tokio::spawn(handle(socket, s.clone(), l.clone(), r.clone()));
            }
        });
        Self { url, log, requests, task }
    }

    /// Every token sent so far, in order.
    pub fn sent(&self) -> Vec<Sent> {
        self.log.lock().expect("not poisoned").clone()
    }

    /// The chat requests' bodies, in order.
    pub fn requests(&self) -> Vec<Value> {
        self.requests.lock().expect("not poisoned").clone()
    }
}

fn epoch_ms() -> f64 {
    SystemTime::now().duration_since(UNIX_EPOCH).expect("after 1970").as_secs_f64() * 1000.0
}

/// `text` cut into tokens of about `n` characters, on character boundaries.
fn tokens(text: &str, n: usize) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    chars.chunks(n.max(1)).map(|c| c.iter().collect()).collect()
}

async fn read_request(socket: &mut TcpStream) -> Option<(String, Vec<u8>)> {
    let mut data = Vec::new();
    let mut buf = [0u8; 8192];
    let head_end = loop {
        if let Some(i) = data.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        match socket.read(&mut buf).await {
            Ok(0) | Err(_) => return None,
            Ok(n) => data.extend_from_slice(&buf[..n]),
        }
    };
    let head = String::from_utf8_lossy(&data[..head_end]).into_owned();
    let length = head
        .lines()
        .find_map(|l| l.to_ascii_lowercase().strip_prefix("content-length:").map(str::to_string))
        .and_then(|v| v.trim().parse::<usize>().ok())
        .unwrap_or(0);
    while data.len() < head_end + length {
        match socket.read(&mut buf).await {
            Ok(0) | Err(_) => return None,
            Ok(n) => data.extend_from_slice(&buf[..n]),
        }
    }
    Some((head, data[head_end..head_end + length].to_vec()))
}

async fn respond(socket: &mut TcpStream, status: &str, body: &Value) {
    let text = body.to_string();
    let reply = format!(
        "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{text}",
        text.len()
    );
    let _ = socket.write_all(reply.as_bytes()).await;
}

/// One SSE event as an HTTP chunk.
async fn event(socket: &mut TcpStream, data: &str) -> std::io::Result<()> {
    let payload = format!("data: {data}\n\n");
    socket.write_all(format!("{:x}\r\n{payload}\r\n", payload.len()).as_bytes()).await
}

fn delta(id: &str, delta: Value, finish: Option<&str>) -> String {
    json!({"id": id, "object": "chat.completion.chunk", "created": 0, "model": "m",
           "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]})
    .to_string()
}

async fn handle(
    mut socket: TcpStream,
    script: Arc<Script>,
    log: Arc<Mutex<Vec<Sent>>>,
    requests: Arc<Mutex<Vec<Value>>>,
) {
    let Some((head, body)) = read_request(&mut socket).await else { return };
    if let Some(key) = &script.key {
        let wanted = format!("authorization: bearer {}", key.to_ascii_lowercase());
        if !head.to_ascii_lowercase().lines().any(|l| l.trim() == wanted) {
            let error = json!({"error": {"message": "Incorrect API key provided", "type": "invalid_request_error"}});
            return respond(&mut socket, "401 Unauthorized", &error).await;
        }
    }
    let path = head.split_whitespace().nth(1).unwrap_or("/").to_string();
    if path.ends_with("/models") {
        let listing = json!({"object": "list", "data": [
            {"id": script.model, "object": "model", "owned_by": "fake-openai", "max_model_len": 40960}
        ]});
        return respond(&mut socket, "200 OK", &listing).await;
    }
    if !path.ends_with("/chat/completions") {
        return respond(
            &mut socket,
            "404 Not Found",
            &json!({"error": {"message": "no such route"}}),
        )
        .await;
    }
    let request: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let first = {
        let mut asked = requests.lock().expect("not poisoned");
        asked.push(request);
        asked.len() == 1
    };
    let cut_after =
        if first { script.cut_first_after.or(script.cut_after) } else { script.cut_after };
    let head =
        "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n";
    if socket.write_all(head.as_bytes()).await.is_err() {
        return;
    }
    let thinking = tokens(&script.thinking, script.chars_per_token);
    let answer = tokens(&script.answer, script.chars_per_token);
    let mut pieces: Vec<(bool, String)> = Vec::new();
    if !script.reasoning_field {
        pieces.push((true, "<think>\n".into()));
    }
    pieces.extend(thinking.into_iter().map(|t| (true, t)));
    if !script.reasoning_field {
        pieces.push((true, "\n</think>\n\n".into()));
    }
    pieces.extend(answer.into_iter().map(|t| (false, t)));
    let interval = Duration::from_secs_f64(1.0 / script.tokens_per_second);
    let start = Instant::now();
    let (mut thinking_chars, mut answer_chars) = (0, 0);
    for (i, (is_thinking, piece)) in pieces.iter().enumerate() {
        if cut_after == Some(i) {
            return; // dropped mid-body: no last chunk, no [DONE]
        }
        if script.stall_after == Some(i) {
            // Hung: nothing more, and the connection held until the client gives up.
            let mut rest = [0u8; 64];
            while matches!(socket.read(&mut rest).await, Ok(n) if n > 0) {}
            return;
        }
        tokio::time::sleep_until((start + interval * i as u32).into()).await;
        let field =
            if *is_thinking && script.reasoning_field { "reasoning_content" } else { "content" };
        if event(&mut socket, &delta("c1", json!({ field: piece }), None)).await.is_err() {
            return; // the client went away (a stop)
        }
        if *is_thinking {
            thinking_chars += piece.chars().count();
        } else {
            answer_chars += piece.chars().count();
        }
        log.lock().expect("not poisoned").push(Sent {
            at_ms: epoch_ms(),
            thinking_chars,
            answer_chars,
        });
    }
    let _ = event(&mut socket, &delta("c1", json!({}), Some("stop"))).await;
    let usage = json!({"id": "c1", "object": "chat.completion.chunk", "choices": [],
                       "usage": {"prompt_tokens": 17, "completion_tokens": pieces.len(), "total_tokens": 17 + pieces.len()}});
    let _ = event(&mut socket, &usage.to_string()).await;
    let _ = event(&mut socket, "[DONE]").await;
    let _ = socket.write_all(b"0\r\n\r\n").await;
}
