//! Loading a model into mistral.rs and turning its chunk stream into [`Event`]s.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use futures::StreamExt;
use mistralrs::{
    Model, ModelDType, RequestBuilder, Response, SamplingParams, TextMessageRole, TextModelBuilder,
};
use tokio::sync::mpsc;

use crate::events::{Event, FinishReason, Usage};
use crate::request::{ChatRole, GenerationRequest, Sampling};
use crate::source::{generation_defaults, validate_model_dir};
use crate::{EngineError, ModelSource};

/// What was loaded, recorded with every message it generates.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ModelInfo {
    /// Folder, file or hub id it came from.
    pub id: String,
    /// Architecture from `config.json` (e.g. `Qwen3ForCausalLM`).
    pub architecture: String,
    /// Device it runs on.
    pub device: String,
    /// In-situ quantization, if any.
    pub quantization: Option<String>,
}

/// A loaded model, ready to generate.
pub struct Engine {
    model: Arc<Model>,
    _runtime: LoaderRuntime,
    info: ModelInfo,
    defaults: Sampling,
}

fn architecture(dir: &Path) -> String {
    std::fs::read_to_string(dir.join("config.json"))
        .ok()
        .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
        .and_then(|c| c.get("architectures")?.get(0)?.as_str().map(str::to_string))
        .unwrap_or_else(|| "unknown".into())
}

fn float32_weights(dir: &Path) -> bool {
    std::fs::read_to_string(dir.join("config.json")).is_ok_and(|t| t.contains("\"float32\""))
}

impl Engine {
    /// Loads `source` on the CPU. Runs mistral.rs's blocking build on its own thread so the caller's
    /// executor keeps running.
    pub async fn load(source: ModelSource) -> Result<Self, EngineError> {
        let ModelSource::LocalDir(dir) = source;
        validate_model_dir(&dir)?;
        let defaults = generation_defaults(&dir)?;
        let info = ModelInfo {
            id: dir.display().to_string(),
            architecture: architecture(&dir),
            device: "cpu".into(),
            quantization: None,
        };
        let (model, runtime) = build_on_own_thread(dir).await?;
        Ok(Self { model: Arc::new(model), _runtime: LoaderRuntime(Some(runtime)), info, defaults })
    }

    /// What is loaded.
    pub fn info(&self) -> &ModelInfo {
        &self.info
    }

    /// The model's own sampling defaults (from `generation_config.json`).
    pub fn defaults(&self) -> &Sampling {
        &self.defaults
    }

    fn request(&self, req: &GenerationRequest) -> RequestBuilder {
        let mut b = RequestBuilder::new();
        for m in &req.messages {
            let role = match m.role {
                ChatRole::System => TextMessageRole::System,
                ChatRole::User => TextMessageRole::User,
                ChatRole::Assistant => TextMessageRole::Assistant,
            };
            b = b.add_message(role, &m.content);
        }
        b.enable_thinking(req.thinking).set_sampling(sampling_params(req, &self.defaults))
    }

    /// Starts generating; events arrive on the returned channel. Dropping the receiver stops generation.
    pub fn generate(&self, req: &GenerationRequest) -> mpsc::Receiver<Event> {
        let (tx, rx) = mpsc::channel(256);
        let request = self.request(req);
        let model = self.model.clone();
        let started = Instant::now();
        tokio::spawn(async move {
            let finish = match model.stream_chat_request(request).await {
                Ok(stream) => forward(stream, &tx, started).await,
                Err(e) => (Usage::default(), FinishReason::Error(e.to_string())),
            };
            let _ = tx.send(Event::Usage(finish.0)).await;
            let _ = tx.send(Event::Finished(finish.1)).await;
        });
        rx
    }

    /// The logits for the next token after the rendered prompt, and the prompt's token ids.
    pub async fn next_token_logits(
        &self,
        req: &GenerationRequest,
    ) -> Result<(Vec<f32>, Vec<u32>), EngineError> {
        let (chunks, tokens) = self
            .model
            .send_raw_chat_request(self.request(req))
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

/// Request settings over the model's defaults; never mistral.rs's own deterministic default.
fn sampling_params(req: &GenerationRequest, defaults: &Sampling) -> SamplingParams {
    let (s, d) = (&req.sampling, defaults);
    let mut p = SamplingParams::neutral();
    let temperature = s.temperature.or(d.temperature);
    if temperature == Some(0.0) {
        p.top_k = Some(1);
    } else {
        p.temperature = temperature;
        p.top_k = s.top_k.or(d.top_k);
        p.top_p = s.top_p.or(d.top_p);
        p.min_p = s.min_p.or(d.min_p);
    }
    p.presence_penalty = s.presence_penalty.or(d.presence_penalty);
    p.repetition_penalty = s.repetition_penalty.or(d.repetition_penalty);
    p.max_len = Some(req.max_tokens);
    p
}

async fn build_on_own_thread(
    dir: PathBuf,
) -> Result<(Model, tokio::runtime::Runtime), EngineError> {
    let (tx, rx) = tokio::sync::oneshot::channel();
    std::thread::Builder::new()
        .name("ponder-model-load".into())
        .spawn(move || {
            let result = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(1)
                .enable_all()
                .build()
                .map_err(|e| EngineError::Load(e.to_string()))
                .and_then(|rt| {
                    let dtype =
                        if float32_weights(&dir) { ModelDType::F32 } else { ModelDType::Auto };
                    let builder = TextModelBuilder::new(dir.display().to_string())
                        .with_force_cpu()
                        .with_dtype(dtype);
                    let model = rt
                        .block_on(builder.build())
                        .map_err(|e| EngineError::Load(format!("{e:#}")));
                    model.map(|m| (m, rt))
                });
            let _ = tx.send(result);
        })
        .map_err(|e| EngineError::Load(e.to_string()))?;
    rx.await.map_err(|_| EngineError::Load("the loading thread panicked".into()))?
}

/// Turns mistral.rs chunks into events until the stream ends or the receiver goes away.
async fn forward(
    mut stream: impl futures::Stream<Item = Response> + Unpin,
    tx: &mpsc::Sender<Event>,
    started: Instant,
) -> (Usage, FinishReason) {
    let mut usage = Usage::default();
    let mut first: Option<Instant> = None;
    let mut finish: Option<FinishReason> = None;
    while let Some(resp) = stream.next().await {
        match resp {
            Response::Chunk(chunk) => {
                for choice in &chunk.choices {
                    let parts = [
                        (choice.delta.reasoning_content.as_deref(), true),
                        (choice.delta.content.as_deref(), false),
                    ];
                    for (text, thinking) in parts {
                        let Some(t) = text.filter(|t| !t.is_empty()) else { continue };
                        first.get_or_insert_with(Instant::now);
                        let event = if thinking {
                            usage.thinking_tokens += 1;
                            Event::Thinking(t.to_string())
                        } else {
                            usage.answer_tokens += 1;
                            Event::Answer(t.to_string())
                        };
                        if tx.send(event).await.is_err() {
                            // Dropping the stream tells mistral.rs to stop this sequence.
                            return (usage, FinishReason::Cancelled);
                        }
                    }
                    if let Some(r) = &choice.finish_reason {
                        finish = Some(match r.as_str() {
                            "length" => FinishReason::Length,
                            "canceled" | "cancelled" => FinishReason::Cancelled,
                            _ => FinishReason::Stop,
                        });
                    }
                }
                if let Some(u) = &chunk.usage {
                    usage.prompt_tokens = u.prompt_tokens;
                    usage.tokens_per_second = f64::from(u.avg_compl_tok_per_sec);
                }
            }
            Response::InternalError(e) | Response::ValidationError(e) => {
                finish = Some(FinishReason::Error(e.to_string()));
                break;
            }
            Response::ModelError(e, _) => {
                finish = Some(FinishReason::Error(e));
                break;
            }
            _ => {}
        }
    }
    if let Some(f) = first {
        usage.time_to_first_token_ms = (f - started).as_secs_f64() * 1000.0;
    }
    // mistral.rs may end a stream without a final chunk (see ARCHITECTURE.md): that is still a stop.
    (usage, finish.unwrap_or(FinishReason::Stop))
}

/// The runtime that drove the build; kept alive with the engine in case the build spawned tasks on it.
struct LoaderRuntime(Option<tokio::runtime::Runtime>);

impl Drop for LoaderRuntime {
    fn drop(&mut self) {
        if let Some(rt) = self.0.take() {
            rt.shutdown_background();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn qwen_defaults() -> Sampling {
        Sampling {
            temperature: Some(0.6),
            top_k: Some(20),
            top_p: Some(0.95),
            min_p: Some(0.0),
            ..Sampling::default()
        }
    }

    #[test]
    fn model_defaults_fill_what_the_request_leaves_open() {
        let req = GenerationRequest {
            sampling: Sampling { top_p: Some(0.8), ..Sampling::default() },
            ..GenerationRequest::ask("x")
        };
        let p = sampling_params(&req, &qwen_defaults());
        assert_eq!(p.temperature, Some(0.6));
        assert_eq!(p.top_k, Some(20));
        assert_eq!(p.top_p, Some(0.8));
        assert_eq!(p.max_len, Some(1024));
    }

    #[test]
    fn zero_temperature_is_greedy_and_nothing_else() {
        let req = GenerationRequest { sampling: Sampling::greedy(), ..GenerationRequest::ask("x") };
        let p = sampling_params(&req, &qwen_defaults());
        assert_eq!((p.top_k, p.temperature, p.top_p), (Some(1), None, None));
    }

    #[test]
    fn without_defaults_sampling_stays_neutral_not_deterministic() {
        let p = sampling_params(&GenerationRequest::ask("x"), &Sampling::default());
        assert_eq!(
            p.top_k, None,
            "mistral.rs's RequestBuilder default is top-k 1; we must not inherit it"
        );
    }
}
