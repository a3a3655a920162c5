//! Runs Qwen-family reasoning models in-process with mistral.rs and streams their thinking and answer.
//!
//! The principal type is [`Engine`]: [`Engine::load`] a model from a [`ModelSource`], then
//! [`Engine::generate`] a [`GenerationRequest`] into a stream of [`Event`]s — `Thinking` text, `Answer`
//! text, `Usage`, and exactly one `Finished`.
//!
//! This is the only crate that names `mistralrs`; nothing here knows about Tauri, SQL or the UI.

mod engine;
mod error;
mod events;
mod request;
mod source;

pub use engine::{Engine, ModelInfo};
pub use error::EngineError;
pub use events::{Event, FinishReason, Usage};
pub use request::{ChatMessage, ChatRole, GenerationRequest, Sampling};
pub use source::{validate_model_dir, ModelSource};
