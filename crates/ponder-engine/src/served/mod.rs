//! A model served elsewhere over the OpenAI chat-completions protocol — vLLM, SGLang, llama.cpp's
//! server, Ollama, LM Studio: its model list, and replies streamed into the same events as the
//! in-process engine (thinking from `reasoning_content` or from inline `<think>` tags).

mod family;
mod reply;
mod sse;
mod wire;

use family::ServerFamily;
use reply::incoming;

use std::sync::Arc;
use std::time::Duration;

use futures::{Stream, StreamExt};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokio::sync::{mpsc, watch};

use crate::events::CandidateEvent;
use crate::generation::{self, Generation};
use crate::request::GenerationRequest;
use crate::stream::{forward, Incoming, StreamPlan};
use crate::EngineError;

/// How long to wait for a connection.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// How long to wait for the model list (it is small; a server that takes longer is not answering).
const LISTING_TIMEOUT: Duration = Duration::from_secs(30);
/// The longest silence allowed in a reply unless the source says otherwise: a server reading a long
/// prompt on a CPU sends nothing until its first token, so this is generous; past it the reply ends
/// with what arrived.
pub const DEFAULT_REPLY_TIMEOUT_S: u64 = 300;

/// Where a served model is.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServerSource {
    /// The server's address, with or without the `/v1` (e.g. `http://127.0.0.1:8080`).
    pub base_url: String,
    /// The model to ask; `None` takes the first the server lists.
    pub model: Option<String>,
    /// A bearer token, when the server wants one. Never printed (`Debug` hides it) nor written
    /// (`Serialize` skips it).
    #[serde(skip_serializing, default)]
    pub api_key: Option<String>,
    /// The longest silence allowed while waiting for or reading a reply, in seconds
    /// (`None`: [`DEFAULT_REPLY_TIMEOUT_S`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply_timeout_s: Option<u64>,
}

impl std::fmt::Debug for ServerSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerSource")
            .field("base_url", &self.base_url)
            .field("model", &self.model)
            .field("api_key", &self.api_key.as_ref().map(|_| "<hidden>"))
            .field("reply_timeout_s", &self.reply_timeout_s)
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

/// One model a server lists, for choosing among them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct ListedModel {
    /// Its id on the server, as a request names it.
    pub id: String,
    /// Its context length, where the listing gives one.
    #[ts(type = "number | null")]
    pub context: Option<usize>,
}

/// The models `source`'s server lists (`/v1/models`), in its order.
pub async fn list_models(source: &ServerSource) -> Result<Vec<ListedModel>, EngineError> {
    let served = ServedModel::prepare(source)?;
    let (models, _) = served.listing().await?;
    Ok(models
        .iter()
        .filter_map(|m| {
            let id = m.get("id").and_then(Value::as_str)?.to_string();
            Some(ListedModel { id, context: context_of(m) })
        })
        .collect())
}

/// A listed model's context length: vLLM's `max_model_len`, llama.cpp's `meta.n_ctx_train`.
fn context_of(model: &Value) -> Option<usize> {
    model
        .get("max_model_len")
        .or_else(|| model.pointer("/meta/n_ctx_train"))
        .and_then(Value::as_u64)
        .map(|n| n as usize)
}

/// A model on a server, as its `/v1/models` listed it.
pub(crate) struct ServedModel {
    client: reqwest::Client,
    root: String,
    /// Never printed: the `Debug` below leaves it out.
    key: Option<String>,
    /// The longest silence allowed in a reply.
    reply_timeout: Duration,
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

impl std::fmt::Debug for ServedModel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServedModel")
            .field("root", &self.root)
            .field("family", &self.family)
            .field("name", &self.name)
            .field("origin", &self.origin)
            .field("context", &self.context)
            .finish_non_exhaustive()
    }
}

fn server_error(root: &str, reason: impl Into<String>) -> EngineError {
    EngineError::Server { url: root.to_string(), reason: reason.into() }
}

/// A transport failure in words: refused, timed out (after `waited` of silence), or cut.
fn describe(e: &reqwest::Error, waited: Duration) -> String {
    match (e.is_connect(), e.is_timeout()) {
        (true, true) => format!("no connection in {} s", CONNECT_TIMEOUT.as_secs()),
        (true, false) => {
            "could not connect (is the server running, and is the address right?)".into()
        }
        (false, true) => format!("the server sent nothing for {} s", waited.as_secs()),
        (false, false) => with_causes(e),
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

    /// A client for `source`'s server, not yet asked anything.
    fn prepare(source: &ServerSource) -> Result<Self, EngineError> {
        let root = source.api_root();
        if !(root.starts_with("http://") || root.starts_with("https://")) {
            return Err(EngineError::InvalidRequest(format!(
                "a server address starts with http:// or https:// (got {})",
                source.base_url
            )));
        }
        let reply_timeout =
            Duration::from_secs(source.reply_timeout_s.unwrap_or(DEFAULT_REPLY_TIMEOUT_S).max(1));
        let client = reqwest::Client::builder()
            .connect_timeout(CONNECT_TIMEOUT)
            .read_timeout(reply_timeout)
            .build()
            .map_err(|e| server_error(&root, e.to_string()))?;
        Ok(Self {
            client,
            root,
            key: source.api_key.clone().filter(|k| !k.is_empty()),
            reply_timeout,
            family: ServerFamily::Other,
            name: String::new(),
            origin: String::new(),
            context: None,
        })
    }

    /// The server's `/v1/models` entries, and its `Server` header (which family it is).
    async fn listing(&self) -> Result<(Vec<Value>, String), EngineError> {
        let root = &self.root;
        let listing = self.authorized(self.client.get(format!("{root}/models")));
        let listing_limit = LISTING_TIMEOUT.min(self.reply_timeout);
        let resp = tokio::time::timeout(listing_limit, listing.send())
            .await
            .map_err(|_| {
                let waited = listing_limit.as_secs();
                server_error(root, format!("the server did not list its models in {waited} s"))
            })?
            .map_err(|e| server_error(root, describe(&e, listing_limit)))?;
        if !resp.status().is_success() {
            return Err(refusal(root, resp).await);
        }
        let server_header = resp
            .headers()
            .get(reqwest::header::SERVER)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string();
        let listed: Value = resp.json().await.map_err(|e| {
            let why = describe(&e, self.reply_timeout);
            server_error(root, format!("its model list is not JSON ({why})"))
        })?;
        let models = listed.get("data").and_then(Value::as_array).cloned().unwrap_or_default();
        Ok((models, server_header))
    }

    /// Connects to `source`'s server and finds its model in `/v1/models`.
    pub(crate) async fn connect(source: &ServerSource) -> Result<Self, EngineError> {
        let mut served = Self::prepare(source)?;
        let root = served.root.clone();
        let (models, server_header) = served.listing().await?;
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
        served.context = context_of(chosen);
        Ok(served)
    }

    /// Refuses what this server cannot be asked for. Continuing a fixed step, thinking longer and
    /// `no_repeat_ngram_size` all steer tokens as they are sampled, which no server's API offers; a
    /// thinking budget only the servers that read one take. Answering without them would store
    /// settings that were not applied.
    pub(crate) fn can_do(&self, req: &GenerationRequest) -> Result<(), EngineError> {
        let refuse = |what: &str, instead: &str| {
            Err(EngineError::InvalidRequest(format!(
                "{what} needs the model in this process, not a served one; {instead}"
            )))
        };
        if req.continue_thinking.is_some() {
            return refuse(
                "continuing a fixed step",
                "load a local model to teach by fixing a step",
            );
        }
        if req.min_thinking.is_some_and(|m| m > 0) {
            return refuse("thinking longer", "choose Answer or Vote for a served model");
        }
        if req.sampling.no_repeat_ngram_size.is_some_and(|n| n > 0) {
            return refuse("no_repeat_ngram_size", "clear it in Settings to ask a served model");
        }
        if req.thinking && req.thinking_budget.is_some() && !self.family.takes_budget() {
            return Err(EngineError::InvalidRequest(format!(
                "{} takes no thinking budget (vLLM, SGLang and llama.cpp's server do); clear the \
                 budget in Settings (or drop --budget) to ask it",
                self.family.name()
            )));
        }
        Ok(())
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
    // A server that samples `n` choices gets one request; any other, one request per candidate,
    // read side by side (so a server that runs them one after another is never left blocked
    // writing a reply nobody reads) and numbered as the candidates they are.
    let (requests, per_request) =
        if model.family.samples_n() { (1, candidates) } else { (candidates, 1) };
    let body = Arc::new(body);
    let replies = (0..requests).map(|i| {
        let own = requests > 1;
        one_reply(model.clone(), body.clone(), per_request).map(move |item| numbered(item, i, own))
    });
    let incoming = futures::stream::select_all(replies.map(StreamExt::boxed));
    // Dropping the responses closes the connections, which is how a server is told to stop.
    let stop_signal = async move { generation::stopped(&mut stop).await };
    forward(incoming, &tx, plan, stop_signal, async {}, Duration::ZERO).await;
}

/// One chat request's reply as [`Incoming`]s: a refusal or an unreachable server is one `Failed`.
fn one_reply(
    model: Arc<ServedModel>,
    body: Arc<Value>,
    candidates: usize,
) -> impl Stream<Item = Incoming> + Send {
    let reply = async move {
        let send = model.authorized(model.client.post(format!("{}/chat/completions", model.root)));
        let failed = |why: String| futures::stream::iter([Incoming::Failed(why)]).boxed();
        let waited = model.reply_timeout;
        match send.json(body.as_ref()).send().await {
            Ok(r) if r.status().is_success() => {
                let body = r.bytes_stream().map(move |b| b.map_err(|e| describe(&e, waited)));
                incoming(body, candidates).boxed()
            }
            Ok(r) => failed(refusal(&model.root, r).await.to_string()),
            Err(e) => failed(server_error(&model.root, describe(&e, waited)).to_string()),
        }
    };
    futures::stream::once(reply).flatten()
}

/// `item` from the reply of request `offset`, its choices renumbered as candidates; when each
/// candidate has a request of its own (`own`), a failure ends only that candidate.
fn numbered(item: Incoming, offset: usize, own: bool) -> Incoming {
    match item {
        Incoming::Deltas(mut deltas) => {
            deltas.iter_mut().for_each(|d| d.index += offset);
            Incoming::Deltas(deltas)
        }
        Incoming::Failed(why) if own => Incoming::CandidateFailed(offset, why),
        other => other,
    }
}

#[cfg(test)]
mod tests;
