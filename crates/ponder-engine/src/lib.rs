//! Runs Qwen-family reasoning models in-process with mistral.rs and streams their thinking and answer.
//!
//! The principal type is [`Engine`]: [`Engine::load`] a model from a [`ModelSource`], then
//! [`Engine::generate`] a [`GenerationRequest`] into a [`Generation`]: per candidate, a stream of
//! [`Event`]s — `Thinking` text, `Answer` text, `Usage`, and exactly one `Finished`.
//!
//! A model served elsewhere (vLLM, SGLang, llama.cpp's server, Ollama) is a [`ModelSource::Server`]: the
//! same [`Engine`] and events, over the OpenAI chat-completions protocol.
//!
//! This is the only crate that names `mistralrs`; nothing here knows about Tauri, SQL or the UI.

pub mod bench;
mod budget;
pub mod catalog;
mod continuation;
mod cpu;
pub mod download;
pub mod downloadable;
mod engine;
mod error;
mod events;
mod generation;
mod gguf_check;
mod inspect;
pub mod keychain;
mod load;
pub mod load_defaults;
pub mod loop_watch;
pub mod machine;
pub mod min_thinking;
mod model_checks;
pub mod no_repeat;
mod request;
mod sampling;
mod served;
mod slot;
mod source;
pub mod split;
mod stream;

pub use budget::ThinkTags;
pub use cpu::cpu_support;
pub use engine::{Engine, ModelInfo};
pub use error::EngineError;
pub use events::{CandidateEvent, Event, FinishReason, Usage};
pub use generation::{Generation, StopHandle};
pub use load::{DeviceChoice, LoadOptions, LoadStage, Quantization};
pub use loop_watch::Repetition;
pub use request::{ChatMessage, ChatRole, GenerationRequest, Sampling};
pub use served::{
    list_models as list_server_models, ListedModel, ServerSource, DEFAULT_REPLY_TIMEOUT_S,
};
pub use slot::ModelSlot;
pub use source::{check_model_dir, validate_model_dir, ModelSource, SUPPORTED_ARCHITECTURES};
