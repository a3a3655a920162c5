//! Timing one generation through [`Engine`] and through a bare mistral.rs loop, measured the same way,
//! so `ponder bench` can print how much the engine's layers cost.

use std::sync::Arc;
use std::time::Instant;

use mistralrs::{Model, RequestBuilder, Response};

use crate::events::Event;
use crate::load::{build_on_own_thread, LoadOptions, LoaderRuntime};
use crate::request::{GenerationRequest, Sampling};
use crate::sampling::sampling_params;
use crate::source::generation_defaults;
use crate::{Engine, EngineError, ModelSource};

/// What one generation measured, from the caller's side.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize)]
pub struct Timing {
    /// Milliseconds from the request to the first generated text.
    pub time_to_first_token_ms: f64,
    /// Tokens that produced text.
    pub tokens: usize,
    /// Tokens per second after the first.
    pub decode_tokens_per_second: f64,
}

/// Arrival times of generated tokens, turned into a [`Timing`].
struct Clock {
    started: Instant,
    first: Option<Instant>,
    last: Option<Instant>,
    tokens: usize,
}

impl Clock {
    fn start() -> Self {
        Self { started: Instant::now(), first: None, last: None, tokens: 0 }
    }

    fn token(&mut self) {
        let now = Instant::now();
        self.first.get_or_insert(now);
        self.last = Some(now);
        self.tokens += 1;
    }

    fn timing(&self) -> Timing {
        let (Some(first), Some(last)) = (self.first, self.last) else { return Timing::default() };
        let span = (last - first).as_secs_f64();
        Timing {
            time_to_first_token_ms: (first - self.started).as_secs_f64() * 1000.0,
            tokens: self.tokens,
            decode_tokens_per_second: if span > 0.0 {
                (self.tokens - 1) as f64 / span
            } else {
                0.0
            },
        }
    }
}

/// Generates `req` through the engine, counting one token per text event.
pub async fn time_engine(engine: &Engine, req: &GenerationRequest) -> Result<Timing, EngineError> {
    let mut clock = Clock::start();
    let mut generation = engine.generate(req).await?;
    while let Some(e) = generation.next().await {
        if matches!(e.event, Event::Thinking(_) | Event::Answer(_)) {
            clock.token();
        }
    }
    Ok(clock.timing())
}

/// The same model loaded a second time and driven with nothing but mistral.rs's own stream.
pub struct BareModel {
    model: Arc<Model>,
    _runtime: LoaderRuntime,
    defaults: Sampling,
}

impl BareModel {
    /// Loads the model exactly as [`Engine::load`] does, without the engine around it.
    pub async fn load(source: ModelSource) -> Result<Self, EngineError> {
        Self::load_with(source, &LoadOptions::default()).await
    }

    /// [`BareModel::load`] on the device and at the precision `options` say, as [`Engine::load_with`].
    pub async fn load_with(
        source: ModelSource,
        options: &LoadOptions,
    ) -> Result<Self, EngineError> {
        let defaults = match &source {
            ModelSource::LocalDir(dir) => generation_defaults(dir)?,
            ModelSource::Gguf(_) => Sampling::qwen_recommended(),
            ModelSource::Server(_) => {
                return Err(EngineError::InvalidRequest(
                    "a bare mistral.rs loop runs locally".into(),
                ))
            }
        };
        let (model, runtime) = build_on_own_thread(source, options.clone()).await?;
        Ok(Self { model: Arc::new(model), _runtime: LoaderRuntime::new(runtime), defaults })
    }

    /// Generates `req` with a plain mistral.rs streaming loop, counting one token per text chunk.
    pub async fn time(&self, req: &GenerationRequest) -> Result<Timing, EngineError> {
        let mut builder = RequestBuilder::new();
        for m in &req.messages {
            builder = builder.add_message(crate::engine::role(m.role), &m.content);
        }
        let builder = builder
            .enable_thinking(req.thinking)
            .set_sampling(sampling_params(req, &self.defaults));
        let mut clock = Clock::start();
        let mut stream = self
            .model
            .stream_chat_request(builder)
            .await
            .map_err(|e| EngineError::Generation(e.to_string()))?;
        while let Some(resp) = stream.next().await {
            let Response::Chunk(chunk) = resp else { break };
            let has_text = chunk.choices.iter().any(|c| {
                c.delta.content.as_deref().is_some_and(|t| !t.is_empty())
                    || c.delta.reasoning_content.as_deref().is_some_and(|t| !t.is_empty())
            });
            if has_text {
                clock.token();
            }
            if chunk.choices.iter().all(|c| c.finish_reason.is_some()) {
                break;
            }
        }
        Ok(clock.timing())
    }
}
