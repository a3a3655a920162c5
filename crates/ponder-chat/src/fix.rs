//! Teaching by fixing a step: on a wrong answer the person rewrites the thinking from the first step
//! that went wrong, and the model continues from their words into a new branch beside the original —
//! the person's part marked as theirs — which is then graded against a reference.

use ponder_engine::{CandidateEvent, Engine, GenerationRequest};
use ponder_store::{AnswerWriter, GenerationSettings, Message, MessageId, Role, Store};
use ponder_train::learn::verify;

use crate::{record_into, request_for, ChatError};

/// The person's words as whole steps: a step is a line, so a fix without a final newline gets one and
/// the model begins the next step on a line of its own (carried on the same line, the bundled model
/// ran the words together and lost the subtraction).
pub fn as_steps(person_thinking: &str) -> String {
    let mut text = person_thinking.trim_start_matches('\n').to_string();
    if !text.ends_with('\n') {
        text.push('\n');
    }
    text
}

/// The request that continues the question `fixed` answered from the person's words: the same
/// branch's context, thinking on, one candidate, the model carrying on inside its thinking.
pub async fn request_for_fix(
    store: &Store,
    fixed: MessageId,
    person_thinking: &str,
    template: GenerationRequest,
) -> Result<(Message, GenerationRequest), ChatError> {
    let original = store.message(fixed).await?;
    if original.role != Role::Assistant {
        return Err(ChatError::Invalid("only an answer's thinking can be fixed".into()));
    }
    if person_thinking.trim().is_empty() {
        return Err(ChatError::Invalid("write the step that should come first".into()));
    }
    let question = original
        .parent_id
        .ok_or_else(|| ChatError::Invalid("the answer has no question".into()))?;
    let (_, request) = request_for(store, question, template).await?;
    let request = GenerationRequest {
        thinking: true,
        candidates: 1,
        continue_thinking: Some(as_steps(person_thinking)),
        ..request
    };
    Ok((original, request))
}

/// Creates the continued answer: a sibling of `fixed`, on screen, whose thinking starts with the
/// person's words ([`as_steps`]).
pub async fn begin_fix(
    store: &Store,
    fixed: MessageId,
    person_thinking: &str,
    settings: GenerationSettings,
) -> Result<AnswerWriter, ChatError> {
    Ok(store.begin_fixed_answer(fixed, &as_steps(person_thinking), settings).await?)
}

/// Continues from the person's fix of `fixed` on `engine` and saves the result as its own branch,
/// calling `on_event` with each event of the model's continuation. `template` carries the sampling
/// (as for any turn). Checked by the engine before anything is saved.
pub async fn continue_from_fix(
    store: &Store,
    engine: &Engine,
    fixed: MessageId,
    person_thinking: &str,
    template: GenerationRequest,
    on_event: impl FnMut(&CandidateEvent, MessageId),
) -> Result<Message, ChatError> {
    let (_, request) = request_for_fix(store, fixed, person_thinking, template).await?;
    let generation = engine.generate(&request).await?;
    let settings = crate::generation_settings(engine.info(), &request);
    let writer = begin_fix(store, fixed, person_thinking, settings).await?;
    let mut saved = record_into(vec![writer], generation, on_event).await?;
    Ok(saved.remove(0))
}

/// A graded answer.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize, ts_rs::TS)]
pub struct Verdict {
    /// Whether the answer states the reference (numbers as numbers, text normalised) after
    /// well-formed thinking.
    pub correct: bool,
    /// What it was graded against.
    pub reference: String,
}

/// Grades `answer` against `reference`.
pub fn grade(answer: &Message, reference: &str) -> Verdict {
    let thinking = answer.thinking.as_deref().unwrap_or("");
    let written = format!("<think>\n{thinking}\n</think>\n\n{}", answer.content);
    Verdict { correct: verify::reward(&written, reference) > 0.0, reference: reference.to_string() }
}

/// The reference a fix of `original` is graded against when the person gives none: the correction
/// in its rating.
pub fn reference_of(original: &Message) -> Option<String> {
    original.rating.as_ref()?.input.corrected_answer.clone().filter(|c| !c.trim().is_empty())
}
