//! One turn of a conversation, joining the engine and the store so that the app and the CLI do it
//! the same way: the question's context comes from the store ([`request_for`]), and the engine's
//! events are saved as they stream while a listener sees each one ([`record`]). A person's fix of a
//! step is continued into its own branch and graded ([`continue_from_fix`], [`grade`]).
//!
//! Architecture invariant: this crate converts between engine and store types and writes no SQL and
//! names no mistral.rs type; it is the only crate that depends on both.

mod arithmetic;
pub mod check;
mod convert;
mod fix;
mod model_hash;
mod policy;
pub mod vote;

use std::time::Instant;

use ponder_engine::{CandidateEvent, EngineError, Event, Generation, GenerationRequest};
use ponder_store::{AnswerWriter, Message, MessageId, Store, StoreError, Thread};

pub use arithmetic::arithmetic_reference;
pub use convert::{context, generation_settings, outcome};
pub use fix::{
    as_steps, begin_fix, continue_from_fix, grade, reference_of, request_for_fix, Verdict,
};
pub use model_hash::model_hash;
pub use policy::{AnswerOptions, SamplingRequest, DEFAULT_MAX_TOKENS, MAX_CANDIDATES};

/// What can go wrong in a turn.
#[derive(Debug, thiserror::Error)]
pub enum ChatError {
    /// The history database.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The model.
    #[error(transparent)]
    Engine(#[from] EngineError),
    /// Options no turn can run with (see [`AnswerOptions::request`]).
    #[error("{0}")]
    Invalid(String),
    /// The model is needed (to check an answer no grader can) and none is loaded.
    #[error("no model is loaded")]
    NoModel,
}

impl ChatError {
    /// A stable machine-readable name, sent across IPC next to the message.
    pub fn kind(&self) -> ponder_error_kind::ErrorKind {
        match self {
            ChatError::Store(e) => e.kind(),
            ChatError::Engine(e) => e.kind(),
            ChatError::Invalid(_) => ponder_error_kind::ErrorKind::Invalid,
            ChatError::NoModel => ponder_error_kind::ErrorKind::NoModel,
        }
    }
}

/// `template` with its messages replaced by the conversation leading to `question` (the branch it is
/// on, earlier answers without their thinking, as Qwen3's template expects).
pub async fn request_for(
    store: &Store,
    question: MessageId,
    template: GenerationRequest,
) -> Result<(Thread, GenerationRequest), ChatError> {
    let conversation = store.message(question).await?.conversation_id;
    let thread = store.thread(conversation).await?;
    let messages = context(&thread, question);
    Ok((thread, GenerationRequest { messages, ..template }))
}

/// `template` with its messages replaced by the conversation a new question would continue: the
/// branch up to `parent` in `conversation` (nothing for a new conversation or a new first question),
/// then `question`. Nothing is saved, so the engine can refuse the request before the question is.
pub async fn request_for_new_question(
    store: &Store,
    conversation: Option<ponder_store::ConversationId>,
    parent: Option<MessageId>,
    question: &str,
    template: GenerationRequest,
) -> Result<GenerationRequest, ChatError> {
    let mut messages = match (conversation, parent) {
        (Some(c), Some(parent)) => context(&store.thread(c).await?, parent),
        _ => Vec::new(),
    };
    messages.push(ponder_engine::ChatMessage {
        role: ponder_engine::ChatRole::User,
        content: question.to_string(),
    });
    Ok(GenerationRequest { messages, ..template })
}

/// Per-candidate timing seen from the stream.
#[derive(Default)]
struct Clock {
    first_thinking: Option<Instant>,
    first_answer: Option<Instant>,
}

/// Streams `generation` (started from `request`) into new answers to `question`, one per candidate
/// (siblings), calling `on_event` with each event and the answer it belongs to. Text is saved off the
/// token path; counts, timings and the finish reason are saved when each candidate ends. Returns the
/// saved answers.
pub async fn record(
    store: &Store,
    question: MessageId,
    settings: ponder_store::GenerationSettings,
    generation: Generation,
    candidates: usize,
    on_event: impl FnMut(&CandidateEvent, MessageId),
) -> Result<Vec<Message>, ChatError> {
    let writers = begin(store, question, settings, candidates).await?;
    record_into(writers, generation, on_event).await
}

/// Creates the (empty, generating) answers to `question`, one per candidate, so that they are in the
/// conversation before the first token arrives. With several, the first is the branch on screen: each
/// new answer becomes its question's active child, and the person reads the candidates from the first.
pub async fn begin(
    store: &Store,
    question: MessageId,
    settings: ponder_store::GenerationSettings,
    candidates: usize,
) -> Result<Vec<AnswerWriter>, ChatError> {
    let mut writers = Vec::with_capacity(candidates.max(1));
    for _ in 0..candidates.max(1) {
        writers.push(store.begin_answer(question, settings.clone()).await?);
    }
    if writers.len() > 1 {
        store.set_active(writers[0].id()).await?;
    }
    Ok(writers)
}

/// [`record`] into answers made by [`begin`].
pub async fn record_into(
    writers: Vec<AnswerWriter>,
    mut generation: Generation,
    mut on_event: impl FnMut(&CandidateEvent, MessageId),
) -> Result<Vec<Message>, ChatError> {
    let started = Instant::now();
    let mut clocks: Vec<Clock> = (0..writers.len()).map(|_| Clock::default()).collect();
    let mut usage = vec![None; writers.len()];
    let mut finish = vec![None; writers.len()];
    while let Some(e) = generation.next().await {
        let Some(writer) = writers.get(e.candidate) else { continue };
        let clock = &mut clocks[e.candidate];
        match &e.event {
            Event::Thinking(t) => {
                clock.first_thinking.get_or_insert_with(Instant::now);
                writer.push_thinking(t);
            }
            Event::Answer(t) => {
                clock.first_answer.get_or_insert_with(Instant::now);
                writer.push_answer(t);
            }
            Event::Usage(u) => usage[e.candidate] = Some(u.clone()),
            Event::Finished(f) => finish[e.candidate] = Some(f.clone()),
        }
        on_event(&e, writer.id());
    }
    let total_ms = started.elapsed().as_secs_f64() * 1e3;
    let mut saved = Vec::with_capacity(writers.len());
    for (i, writer) in writers.into_iter().enumerate() {
        let thinking_ms = clocks[i].first_thinking.map(|t| {
            let end = clocks[i].first_answer.unwrap_or_else(Instant::now);
            end.saturating_duration_since(t).as_secs_f64() * 1e3
        });
        let o = outcome(usage[i].as_ref(), finish[i].as_ref(), thinking_ms, total_ms);
        saved.push(writer.finish(o).await?);
    }
    Ok(saved)
}
