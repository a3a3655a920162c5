//! What a generation emits, per candidate and in order: thinking, answer, usage, and one final `Finished`.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// Why a generation ended.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum FinishReason {
    /// The model ended its answer.
    Stop,
    /// The token limit was reached.
    Length,
    /// The caller stopped it.
    Cancelled,
    /// The engine reported an error (the message says which).
    Error(String),
    /// The chain of thought repeated itself word for word and was stopped (what repeated, how often).
    Looped(crate::loop_watch::Repetition),
}

/// Token counts and speed of one generation.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, TS)]
pub struct Usage {
    /// Tokens in the rendered prompt.
    pub prompt_tokens: usize,
    /// Tokens generated inside the thinking block.
    pub thinking_tokens: usize,
    /// Tokens generated in the answer.
    pub answer_tokens: usize,
    /// Milliseconds from the request to the first generated text.
    pub time_to_first_token_ms: f64,
    /// Generated tokens per second after the first.
    pub tokens_per_second: f64,
}

/// One event of a generation stream.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, TS)]
#[serde(tag = "type", content = "data", rename_all = "snake_case")]
#[ts(rename = "GenerationEvent")]
pub enum Event {
    /// More chain-of-thought text.
    Thinking(String),
    /// More answer text.
    Answer(String),
    /// Counts and timings, sent once just before `Finished`.
    Usage(Usage),
    /// The end; always the last event.
    Finished(FinishReason),
}

/// An event of one candidate reply (requests may ask for several, generated side by side).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CandidateEvent {
    /// Which candidate, from 0.
    pub candidate: usize,
    /// What happened.
    #[serde(flatten)]
    pub event: Event,
}
