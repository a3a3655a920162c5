//! Loading a model into mistral.rs, and starting generations on it.

use std::sync::Arc;

use either::Either;
use mistralrs::{Model, RequestBuilder, TextMessageRole, TextMessages};
use tokio::sync::Semaphore;

use crate::budget::{ThinkTags, ThinkingBudget};
use crate::continuation::{thinking_prefix, Prompted};
use crate::generation::{self, Generation, Job};
use crate::inspect::inspect;
use crate::load::{build_on_own_thread, LoadOptions, LoadStage, LoaderRuntime};
use crate::min_thinking::{MinThinking, DEFAULT_NUDGE};
use crate::no_repeat::NoRepeatNgram;
use crate::request::{ChatRole, GenerationRequest, Sampling};
use crate::sampling::sampling_params;
use crate::served::{ServedModel, ServerSource};
use crate::split::SplitStart;
use crate::{EngineError, ModelSource};

/// What was loaded, recorded with every message it generates.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ModelInfo {
    /// Folder, file or hub id it came from.
    pub id: String,
    /// What people call it: `Qwen/Qwen3-0.6B` for a hub snapshot, else the folder's or file's name
    /// (`ponder-tiny`), never a path that differs from machine to machine.
    pub name: String,
    /// Architecture from `config.json` (e.g. `Qwen3ForCausalLM`).
    pub architecture: String,
    /// Device it runs on.
    pub device: String,
    /// In-situ quantization, if any.
    pub quantization: Option<String>,
}

/// What thinking longer writes, and the tokens that would end the turn inside the thinking.
struct Nudge {
    tokens: Vec<u32>,
    ends: Vec<u32>,
}

/// Where the model runs.
enum Backend {
    /// In this process, in mistral.rs (its loader runtime kept alive beside it).
    Local { model: Arc<Model>, _runtime: LoaderRuntime },
    /// On a server, over the OpenAI chat-completions protocol.
    Served(Arc<ServedModel>),
}

/// A loaded model, ready to generate.
pub struct Engine {
    backend: Backend,
    info: ModelInfo,
    defaults: Sampling,
    /// Token ids of the thinking tags, when the vocabulary has them (needed for a thinking budget).
    tags: Option<ThinkTags>,
    /// Where raw output starts, for models whose thinking mistral.rs does not separate itself.
    split_start: SplitStart,
    /// One permit: generations run one at a time and later requests queue (see [`Job::permit`]).
    queue: Arc<Semaphore>,
}

impl Engine {
    /// Loads `source` on the CPU, unquantized.
    pub async fn load(source: ModelSource) -> Result<Self, EngineError> {
        Self::load_with(source, &LoadOptions::default(), |_| {}).await
    }

    /// Loads `source` with `options`, reporting each [`LoadStage`]. mistral.rs's blocking build runs on
    /// a thread of its own, so the caller's executor keeps running.
    pub async fn load_with(
        source: ModelSource,
        options: &LoadOptions,
        on_stage: impl Fn(LoadStage),
    ) -> Result<Self, EngineError> {
        on_stage(LoadStage::Checking);
        if let ModelSource::Server(server) = &source {
            return Self::connect(server, on_stage).await;
        }
        let device = options.device.resolve()?.to_string();
        if matches!(source, ModelSource::Gguf(_)) && options.quantization.is_some() {
            return Err(EngineError::InvalidRequest(
                "a GGUF file is quantized already; load it without in-situ quantization".into(),
            ));
        }
        // Reading and checking the files is blocking work (a tokenizer parse, a GGUF header walk).
        let checked = source.clone();
        let quantization = options.quantization.map(|q| q.name().to_string());
        let (info, defaults, tags, template) =
            tokio::task::spawn_blocking(move || inspect(&checked, device, quantization))
                .await
                .map_err(|e| EngineError::Load(format!("checking the model files failed: {e}")))??;
        let split_start = SplitStart::for_template(&template);
        on_stage(LoadStage::Loading);
        let (model, runtime) = build_on_own_thread(source, options.clone()).await?;
        on_stage(LoadStage::Ready);
        Ok(Self {
            backend: Backend::Local {
                model: Arc::new(model),
                _runtime: LoaderRuntime::new(runtime),
            },
            info,
            defaults,
            tags,
            split_start,
            queue: Arc::new(Semaphore::new(1)),
        })
    }

    /// Connects to a served model: its name, origin and context from the server's model list.
    async fn connect(
        server: &ServerSource,
        on_stage: impl Fn(LoadStage),
    ) -> Result<Self, EngineError> {
        let served = ServedModel::connect(server).await?;
        let info = ModelInfo {
            id: served.root().to_string(),
            name: served.name.clone(),
            architecture: if served.origin.is_empty() {
                "served".into()
            } else {
                format!("served ({})", served.origin)
            },
            device: format!("server {}", served.root()),
            quantization: None,
        };
        on_stage(LoadStage::Ready);
        Ok(Self {
            backend: Backend::Served(Arc::new(served)),
            info,
            // The server applies the model's own defaults to whatever a request leaves out.
            defaults: Sampling::default(),
            tags: None,
            split_start: SplitStart::Outside,
            queue: Arc::new(Semaphore::new(1)),
        })
    }

    /// mistral.rs's model, or why a served one cannot do this.
    fn local(&self, what: &str) -> Result<&Arc<Model>, EngineError> {
        match &self.backend {
            Backend::Local { model, .. } => Ok(model),
            Backend::Served(s) => Err(EngineError::InvalidRequest(format!(
                "{what} needs the model in this process; {} is served by {}",
                self.info.name,
                s.root()
            ))),
        }
    }

    /// Whether the model runs on a server rather than in this process.
    pub fn is_served(&self) -> bool {
        matches!(self.backend, Backend::Served(_))
    }

    /// What is loaded.
    pub fn info(&self) -> &ModelInfo {
        &self.info
    }

    /// The model's own sampling defaults (from `generation_config.json`).
    pub fn defaults(&self) -> &Sampling {
        &self.defaults
    }

    /// The ids of `<think>` and `</think>` in the model's vocabulary, if it has them as single tokens.
    pub fn think_tags(&self) -> Option<ThinkTags> {
        self.tags
    }

    /// For a request that thinks longer, the nudge's tokens and the end-of-turn tokens (`None`
    /// otherwise).
    async fn nudge_ids(&self, req: &GenerationRequest) -> Result<Option<Nudge>, EngineError> {
        if req.min_thinking.is_none_or(|m| m == 0) || !req.thinking {
            return Ok(None);
        }
        let model = self.local("thinking longer")?;
        let ids = |text: String| async move {
            model
                .tokenize(Either::Right(text), None, false, false, None)
                .await
                .map_err(|e| EngineError::Generation(e.to_string()))
        };
        let nudge = ids(req.nudge.clone().unwrap_or_else(|| DEFAULT_NUDGE.to_string())).await?;
        let mut ends = Vec::new();
        for end in ["<|im_end|>", "<|endoftext|>"] {
            if let [id] = ids(end.to_string()).await?.as_slice() {
                ends.push(*id);
            }
        }
        Ok((!nudge.is_empty()).then_some(Nudge { tokens: nudge, ends }))
    }

    fn request(&self, req: &GenerationRequest, nudge: Option<Nudge>) -> RequestBuilder {
        let mut b = RequestBuilder::new();
        for m in &req.messages {
            b = b.add_message(role(m.role), &m.content);
        }
        let mut b =
            b.enable_thinking(req.thinking).set_sampling(sampling_params(req, &self.defaults));
        if let (Some(budget), Some(tags), true) = (req.thinking_budget, self.tags, req.thinking) {
            let prompt_opens = req.continue_thinking.is_some();
            b = b.add_logits_processor(Arc::new(ThinkingBudget::new(tags, budget, prompt_opens)));
        }
        if let Some(n) = req.sampling.no_repeat_ngram_size.filter(|n| *n > 0) {
            b = b.add_logits_processor(Arc::new(NoRepeatNgram::new(n)));
        }
        if let (Some(min), Some(tags), Some(nudge)) = (req.min_thinking, self.tags, nudge) {
            let prompt_opens = req.continue_thinking.is_some();
            let processor = MinThinking::new(tags, min, nudge.tokens, nudge.ends, prompt_opens);
            b = b.add_logits_processor(Arc::new(processor));
        }
        b
    }

    /// Tokens in the rendered prompt of `req`.
    pub async fn prompt_tokens(&self, req: &GenerationRequest) -> Result<usize, EngineError> {
        Ok(self.prompt_ids(req).await?.len())
    }

    /// The prompt of `req` as the model reads it: the chat template's text, special tokens included.
    /// What a person debugging a template (or a test checking one) needs to see.
    pub async fn rendered_prompt(&self, req: &GenerationRequest) -> Result<String, EngineError> {
        let ids = self.prompt_ids(req).await?;
        let model = self.local("showing the rendered prompt")?;
        model.detokenize(ids, false).await.map_err(|e| EngineError::Generation(e.to_string()))
    }

    /// The rendered prompt's token ids, with a continuation's `<think>` and fixed step after it
    /// (what a peer engine is given to compare greedy output on the same input).
    pub async fn prompt_ids(&self, req: &GenerationRequest) -> Result<Vec<u32>, EngineError> {
        let mut messages = TextMessages::new();
        for m in &req.messages {
            messages = messages.add_message(role(m.role), &m.content);
        }
        let model = self.local("counting the prompt's tokens")?;
        let failed = |e: mistralrs::error::Error| EngineError::Generation(e.to_string());
        let mut ids = model
            .tokenize(Either::Left(messages), None, false, true, Some(req.thinking))
            .await
            .map_err(failed)?;
        if let Some(person) = &req.continue_thinking {
            let prefix = thinking_prefix(person);
            ids.extend(
                model
                    .tokenize(Either::Right(prefix), None, false, false, None)
                    .await
                    .map_err(failed)?,
            );
        }
        Ok(ids)
    }

    /// The model's context length, if it declares one.
    pub fn context_length(&self) -> Option<usize> {
        match &self.backend {
            Backend::Local { model, .. } => model.max_sequence_length().ok().flatten(),
            Backend::Served(s) => s.context,
        }
    }

    /// Whether [`Engine::generate`] would accept `req` (not empty, fits the model's context), without
    /// generating anything; returns its prompt length in tokens. Callers check before they save a
    /// question, so a refused one leaves nothing behind.
    pub async fn check(&self, req: &GenerationRequest) -> Result<usize, EngineError> {
        if req.messages.is_empty() {
            return Err(EngineError::InvalidRequest("the conversation is empty".into()));
        }
        if req.candidates == 0 || req.max_tokens == 0 {
            return Err(EngineError::InvalidRequest(
                "candidates and max_tokens must be at least 1".into(),
            ));
        }
        if req.continue_thinking.is_some() && !req.thinking {
            return Err(EngineError::InvalidRequest(
                "continuing a fixed step needs thinking on".into(),
            ));
        }
        if let Backend::Served(served) = &self.backend {
            served.can_do(req)?;
        }
        if req.min_thinking.is_some_and(|m| m > 0) && (!req.thinking || self.tags.is_none()) {
            return Err(EngineError::InvalidRequest(
                "thinking longer needs thinking on and a model with thinking tags".into(),
            ));
        }
        if req.continue_thinking.is_some() && self.tags.is_none() {
            return Err(EngineError::InvalidRequest(
                "this model has no thinking tags, so there is no thinking to continue".into(),
            ));
        }
        if self.is_served() {
            // The server renders and counts the prompt itself, and refuses one too long in the reply.
            return Ok(0);
        }
        let prompt_tokens = self.prompt_tokens(req).await?;
        if let Some(limit) = self.context_length() {
            if prompt_tokens >= limit {
                return Err(EngineError::PromptTooLong { tokens: prompt_tokens, limit });
            }
        }
        Ok(prompt_tokens)
    }

    /// Checks `req` ([`Engine::check`]), then starts generating it (after any generation already
    /// running). Events arrive on the returned [`Generation`].
    pub async fn generate(&self, req: &GenerationRequest) -> Result<Generation, EngineError> {
        let prompt_tokens = self.check(req).await?;
        let mut req = req.clone();
        if let Some(limit) = self.context_length() {
            req.max_tokens = req.max_tokens.min(limit.saturating_sub(prompt_tokens).max(1));
        }
        let nudge = self.nudge_ids(&req).await?;
        let model = match &self.backend {
            Backend::Served(served) => {
                let plan = generation::plan(&req, prompt_tokens, SplitStart::Outside);
                return Ok(served.generate(&req, plan));
            }
            Backend::Local { model, .. } => model.clone(),
        };
        // A continuation is sent as tokens that end inside the thinking block, so its raw output is
        // thinking until `</think>`, whatever the template.
        let (tokens, split_start) = match req.continue_thinking {
            Some(_) => (Some(self.prompt_ids(&req).await?), SplitStart::Inside),
            None => (None, self.split_start),
        };
        Ok(generation::start(Job {
            model,
            request: Prompted { inner: self.request(&req, nudge), tokens },
            plan: generation::plan(&req, prompt_tokens, split_start),
            permit: self.queue.clone(),
        }))
    }

    /// The logits for the next token after the rendered prompt, and the prompt's token ids.
    pub async fn next_token_logits(
        &self,
        req: &GenerationRequest,
    ) -> Result<(Vec<f32>, Vec<u32>), EngineError> {
        let model = self.local("reading the next token's logits")?;
        let _turn =
            self.queue.acquire().await.map_err(|e| EngineError::Generation(e.to_string()))?;
        let (chunks, tokens) = model
            .send_raw_chat_request(self.request(req, None))
            .await
            .map_err(|e| EngineError::Generation(e.to_string()))?;
        let last =
            chunks.last().ok_or_else(|| EngineError::Generation("no logits returned".into()))?;
        // The chunk may hold every prompt position; the next token's logits are the last row.
        let logits = last
            .to_dtype(mistralrs::DType::F32)
            .and_then(|t| {
                let vocab = *t.dims().last().unwrap_or(&0);
                let flat = t.flatten_all()?;
                flat.narrow(0, flat.elem_count() - vocab, vocab)?.to_vec1::<f32>()
            })
            .map_err(|e| EngineError::Generation(e.to_string()))?;
        Ok((logits, tokens))
    }
}

pub(crate) fn role(role: ChatRole) -> TextMessageRole {
    match role {
        ChatRole::System => TextMessageRole::System,
        ChatRole::User => TextMessageRole::User,
        ChatRole::Assistant => TextMessageRole::Assistant,
    }
}
