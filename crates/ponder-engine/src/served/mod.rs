//! A model served elsewhere over the OpenAI chat-completions protocol — vLLM, SGLang, llama.cpp's
//! server, Ollama, LM Studio: its model list, and replies streamed into the same events as the
//! in-process engine (thinking from `reasoning_content` or from inline `<think>` tags).

mod family;
mod sse;
mod wire;

use family::ServerFamily;

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;

use futures::{Stream, StreamExt};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokio::sync::{mpsc, watch};

use crate::events::{CandidateEvent, FinishReason};
use crate::generation::{self, Generation};
use crate::request::GenerationRequest;
use crate::stream::{forward, Delta, Incoming, StreamPlan};
use crate::EngineError;

/// How long to wait for a connection.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// The longest silence allowed in a reply: a server reading a long prompt on a CPU sends nothing
/// until its first token, so this is generous; past it the reply ends with what arrived.
const READ_TIMEOUT: Duration = Duration::from_secs(300);

/// Where a served model is.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServerSource {
    /// The server's address, with or without the `/v1` (e.g. `http://127.0.0.1:8080`).
    pub base_url: String,
    /// The model to ask; `None` takes the first the server lists.
    pub model: Option<String>,
    /// A bearer token, when the server wants one. Never printed (`Debug` hides it).
    pub api_key: Option<String>,
}

impl std::fmt::Debug for ServerSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerSource")
            .field("base_url", &self.base_url)
            .field("model", &self.model)
            .field("api_key", &self.api_key.as_ref().map(|_| "<hidden>"))
            .finish()
    }
}

impl ServerSource {
    /// The API root, ending in `/v1`.
    pub fn api_root(&self) -> String {
        let base = self.base_url.trim().trim_end_matches('/');
        if base.ends_with("/v1") {
            base.to_string()
        } else {
            format!("{base}/v1")
        }
    }
}

/// A model on a server, as its `/v1/models` listed it.
#[derive(Debug)]
pub(crate) struct ServedModel {
    client: reqwest::Client,
    root: String,
    key: Option<String>,
    /// Which server it is (what it accepts differs).
    family: ServerFamily,
    /// The model's id on the server.
    pub name: String,
    /// What the listing says it is (its `owned_by`, and vLLM's `root`: the checkpoint it serves).
    pub origin: String,
    /// The context length, where the listing gives one (vLLM's `max_model_len`, llama.cpp's
    /// `meta.n_ctx_train`).
    pub context: Option<usize>,
}

fn server_error(root: &str, reason: impl Into<String>) -> EngineError {
    EngineError::Server { url: root.to_string(), reason: reason.into() }
}

/// A transport failure in words: refused, timed out, or cut.
fn describe(e: &reqwest::Error) -> String {
    if e.is_connect() {
        "could not connect (is the server running, and is the address right?)".into()
    } else if e.is_timeout() {
        "the server did not answer in time".into()
    } else {
        with_causes(e)
    }
}

/// An error with its chain of causes (hyper's and the OS's reasons sit below reqwest's own).
fn with_causes(e: &reqwest::Error) -> String {
    let mut text = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

/// A refusal in words, from the status and the start of the body.
async fn refusal(root: &str, resp: reqwest::Response) -> EngineError {
    let status = resp.status();
    let body = resp.text().await.unwrap_or_default();
    let said = serde_json::from_str::<Value>(&body)
        .ok()
        .and_then(|v| v.pointer("/error/message").and_then(Value::as_str).map(str::to_string))
        .unwrap_or_else(|| body.chars().take(200).collect());
    if status == reqwest::StatusCode::UNAUTHORIZED || status == reqwest::StatusCode::FORBIDDEN {
        EngineError::ServerAuth { url: root.to_string(), reason: format!("HTTP {status}: {said}") }
    } else {
        server_error(root, format!("HTTP {status}: {said}"))
    }
}

impl ServedModel {
    fn authorized(&self, b: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        match &self.key {
            Some(k) => b.bearer_auth(k),
            None => b,
        }
    }

    /// Connects to `source`'s server and finds its model in `/v1/models`.
    pub(crate) async fn connect(source: &ServerSource) -> Result<Self, EngineError> {
        let root = source.api_root();
        if !(root.starts_with("http://") || root.starts_with("https://")) {
            return Err(EngineError::InvalidRequest(format!(
                "a server address starts with http:// or https:// (got {})",
                source.base_url
            )));
        }
        let client = reqwest::Client::builder()
            .connect_timeout(CONNECT_TIMEOUT)
            .read_timeout(READ_TIMEOUT)
            .build()
            .map_err(|e| server_error(&root, e.to_string()))?;
        let mut served = Self {
            client,
            root: root.clone(),
            key: source.api_key.clone().filter(|k| !k.is_empty()),
            family: ServerFamily::Other,
            name: String::new(),
            origin: String::new(),
            context: None,
        };
        let listing = served.authorized(served.client.get(format!("{root}/models")));
        let resp = tokio::time::timeout(CONNECT_TIMEOUT * 3, listing.send())
            .await
            .map_err(|_| server_error(&root, "the server did not list its models in time"))?
            .map_err(|e| server_error(&root, describe(&e)))?;
        if !resp.status().is_success() {
            return Err(refusal(&root, resp).await);
        }
        let server_header = resp
            .headers()
            .get(reqwest::header::SERVER)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string();
        let listed: Value = resp.json().await.map_err(|e| {
            server_error(&root, format!("its model list is not JSON ({})", describe(&e)))
        })?;
        let models = listed.get("data").and_then(Value::as_array).cloned().unwrap_or_default();
        let id_of = |m: &Value| m.get("id").and_then(Value::as_str).map(str::to_string);
        let chosen = match &source.model {
            Some(wanted) => {
                models.iter().find(|m| id_of(m).as_deref() == Some(wanted)).ok_or_else(|| {
                    let names: Vec<String> = models.iter().filter_map(id_of).collect();
                    server_error(
                        &root,
                        format!("it serves no model `{wanted}` (it lists: {})", names.join(", ")),
                    )
                })?
            }
            None => models.first().ok_or_else(|| server_error(&root, "it lists no models"))?,
        };
        served.name = id_of(chosen).unwrap_or_default();
        let text = |k: &str| chosen.get(k).and_then(Value::as_str).filter(|s| !s.is_empty());
        let owned_by = text("owned_by").unwrap_or_default();
        served.family = ServerFamily::detect(owned_by, &server_header, &root);
        let build = served.build().await;
        let family = match &build {
            Some(b) => format!("{} {b}", served.family.name()),
            None => served.family.name().to_string(),
        };
        let owner = (!owned_by.is_empty()).then(|| format!("owned by {owned_by}"));
        let checkpoint = text("root").filter(|r| *r != served.name).map(str::to_string);
        served.origin =
            [Some(family), owner, checkpoint].into_iter().flatten().collect::<Vec<_>>().join(", ");
        served.context = chosen
            .get("max_model_len")
            .or_else(|| chosen.pointer("/meta/n_ctx_train"))
            .and_then(Value::as_u64)
            .map(|n| n as usize);
        Ok(served)
    }

    /// The build the server reports (llama.cpp's `build_info`, vLLM's or Ollama's version), asked
    /// briefly: a server that does not say is still used.
    async fn build(&self) -> Option<String> {
        let (path, field) = self.family.version_endpoint()?;
        let base = self.root.trim_end_matches("/v1");
        let ask = self.authorized(self.client.get(format!("{base}{path}")));
        let resp = tokio::time::timeout(Duration::from_secs(3), ask.send()).await.ok()?.ok()?;
        let info: Value = resp.error_for_status().ok()?.json().await.ok()?;
        let said = info.pointer(field)?.as_str()?.trim();
        (!said.is_empty()).then(|| said.chars().take(80).collect())
    }

    /// The API root it was reached at.
    pub(crate) fn root(&self) -> &str {
        &self.root
    }

    /// Starts streaming `req`; events arrive on the returned [`Generation`] like the local engine's.
    pub(crate) fn generate(
        self: &Arc<Self>,
        req: &GenerationRequest,
        plan: StreamPlan,
    ) -> Generation {
        let (generation, tx, stop) = generation::channel();
        let body = wire::chat_body(&self.name, req, self.family);
        tokio::spawn(run(self.clone(), body, plan, tx, stop));
        generation
    }
}

async fn run(
    model: Arc<ServedModel>,
    body: Value,
    plan: StreamPlan,
    tx: mpsc::Sender<CandidateEvent>,
    mut stop: watch::Receiver<bool>,
) {
    let candidates = plan.candidates;
    let send = model.authorized(model.client.post(format!("{}/chat/completions", model.root)));
    let sent = tokio::select! {
        r = send.json(&body).send() => r,
        () = generation::stopped(&mut stop) => {
            return generation::finish_all(&tx, candidates, FinishReason::Cancelled).await;
        }
    };
    let resp = match sent {
        Ok(r) if r.status().is_success() => r,
        Ok(r) => {
            let why = refusal(&model.root, r).await.to_string();
            return generation::finish_all(&tx, candidates, FinishReason::Error(why)).await;
        }
        Err(e) => {
            let why = server_error(&model.root, describe(&e)).to_string();
            return generation::finish_all(&tx, candidates, FinishReason::Error(why)).await;
        }
    };
    let incoming = incoming(resp.bytes_stream(), candidates);
    // Dropping the response closes the connection, which is how a server is told to stop.
    let stop_signal = async move { generation::stopped(&mut stop).await };
    forward(std::pin::pin!(incoming), &tx, plan, stop_signal, async {}, Duration::ZERO).await;
}

/// Reads a reply's body into [`Incoming`]s. A finished candidate's last delta is held until the
/// usage that follows it (OpenAI streams usage after the finish), so the prompt count arrives first;
/// a body that ends before `[DONE]` or a finish for every candidate is a cut connection.
struct BodyReader {
    sse: sse::SseReader,
    out: VecDeque<Incoming>,
    held: Vec<Delta>,
    /// `[DONE]` arrived, or the reply failed: nothing after counts.
    over: bool,
    finished: usize,
    candidates: usize,
}

impl BodyReader {
    fn new(candidates: usize) -> Self {
        let (sse, out, held) = (sse::SseReader::default(), VecDeque::new(), Vec::new());
        Self { sse, out, held, over: false, finished: 0, candidates }
    }

    fn release(&mut self) {
        if !self.held.is_empty() {
            self.out.push_back(Incoming::Deltas(std::mem::take(&mut self.held)));
        }
    }

    fn fail(&mut self, why: String) {
        self.release();
        self.out.push_back(Incoming::Failed(why));
        self.over = true;
    }

    fn data(&mut self, data: &str) {
        if self.over {
            return;
        }
        if data.trim() == "[DONE]" {
            self.release();
            self.over = true;
            return;
        }
        match wire::parse_chunk(data) {
            Err(e) => self.fail(e),
            Ok(chunk) => {
                if let Some(n) = chunk.prompt_tokens {
                    self.out.push_back(Incoming::PromptTokens(n));
                    self.release();
                }
                let (ending, going): (Vec<Delta>, Vec<Delta>) =
                    chunk.deltas.into_iter().partition(|d| d.finish_reason.is_some());
                if !going.is_empty() {
                    self.out.push_back(Incoming::Deltas(going));
                }
                self.finished += ending.len();
                self.held.extend(ending);
            }
        }
    }

    fn bytes(&mut self, bytes: &[u8]) {
        for data in self.sse.push(bytes) {
            self.data(&data);
        }
    }

    /// The body ended, or broke with `broke`.
    fn end(&mut self, broke: Option<String>) {
        if let Some(last) = self.sse.finish() {
            self.data(&last);
        }
        if self.over || self.finished >= self.candidates {
            self.release();
            self.over = true;
            return;
        }
        let why = match broke {
            Some(e) => {
                format!("the connection to the server broke mid-reply ({e}); what arrived is kept")
            }
            None => {
                "the server closed the connection before the reply finished; what arrived is kept"
                    .to_string()
            }
        };
        self.fail(why);
    }
}

/// The reply's body, read by a [`BodyReader`].
fn incoming<B, T, E>(body: B, candidates: usize) -> impl Stream<Item = Incoming>
where
    B: Stream<Item = Result<T, E>> + Send + 'static,
    T: AsRef<[u8]>,
    E: std::fmt::Display,
{
    let state = (Box::pin(body), BodyReader::new(candidates), false);
    futures::stream::unfold(state, |(mut body, mut reader, mut ended)| async move {
        loop {
            if let Some(item) = reader.out.pop_front() {
                return Some((item, (body, reader, ended)));
            }
            if ended {
                return None;
            }
            match body.next().await {
                Some(Ok(bytes)) => reader.bytes(bytes.as_ref()),
                Some(Err(e)) => {
                    reader.end(Some(e.to_string()));
                    ended = true;
                }
                None => {
                    reader.end(None);
                    ended = true;
                }
            }
        }
    })
}

#[cfg(test)]
mod tests;
