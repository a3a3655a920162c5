//! The rows of each format, built from rated answers. Field order is fixed, so the same data always
//! serializes to the same bytes.

use ponder_store::{RatedAnswer, Rating, Vote};
use serde::Serialize;

use crate::messages::{
    completion, corrected_completion, prompt, thinking_of, ChatMessage, ReasoningStyle,
};
use crate::pairs::{Chosen, Pair};

/// TRL's unpaired preference (KTO): `prompt`, `completion`, `label`.
#[derive(Serialize)]
pub struct KtoRow {
    /// The context.
    pub prompt: Vec<ChatMessage>,
    /// The answer.
    pub completion: Vec<ChatMessage>,
    /// Thumbs up.
    pub label: bool,
}

/// TRL's preference (DPO): `prompt`, `chosen`, `rejected`, plus a flag trainers ignore.
#[derive(Serialize)]
pub struct DpoRow {
    /// The context both answers saw.
    pub prompt: Vec<ChatMessage>,
    /// Preferred.
    pub chosen: Vec<ChatMessage>,
    /// Not preferred.
    pub rejected: Vec<ChatMessage>,
    /// The two answers came from different models.
    pub cross_model: bool,
}

/// Supervised fine-tuning: the whole conversation ending in a good answer.
#[derive(Serialize)]
pub struct SftRow {
    /// Context, then the answer.
    pub messages: Vec<ChatMessage>,
}

/// The model's own answer as a message, or `None` when the style cannot carry it.
pub fn answer_message(a: &RatedAnswer, style: ReasoningStyle) -> Option<ChatMessage> {
    completion(thinking_of(&a.answer), &a.answer.content, style)
}

/// A person's corrected answer as a message, with thinking only if the person wrote some.
pub fn corrected_message(a: &RatedAnswer, style: ReasoningStyle) -> Option<ChatMessage> {
    let text = a.answer.rating.as_ref()?.input.corrected_answer.as_deref()?;
    corrected_completion(text, style)
}

fn rating(a: &RatedAnswer) -> Option<&Rating> {
    a.answer.rating.as_ref()
}

/// KTO rows for one rated answer: its vote, and a positive row for a corrected answer. An answer
/// with no text is left out (trainers refuse empty completions), and so is a thumbs up on an answer
/// that may not be chosen (cut off by the token limit, or never finished).
pub fn kto(a: &RatedAnswer, style: ReasoningStyle) -> Vec<KtoRow> {
    let mut rows = Vec::new();
    let p = prompt(&a.context);
    let vote = rating(a).and_then(|r| r.input.answer);
    let usable = match vote {
        Some(Vote::Up) => crate::pairs::can_be_chosen(a),
        Some(Vote::Down) => true,
        None => false,
    };
    if let (true, Some(v), false) = (usable, vote, a.answer.content.trim().is_empty()) {
        if let Some(m) = answer_message(a, style) {
            rows.push(KtoRow { prompt: p.clone(), completion: vec![m], label: v == Vote::Up });
        }
    }
    if let Some(m) = corrected_message(a, style) {
        rows.push(KtoRow { prompt: p, completion: vec![m], label: true });
    }
    rows
}

/// The DPO row of a pair, or `None` when the style cannot carry one side.
pub fn dpo(pair: &Pair<'_>, style: ReasoningStyle) -> Option<DpoRow> {
    let (context, chosen) = match pair.chosen {
        Chosen::Answer(a) => (&a.context, answer_message(a, style)?),
        Chosen::Corrected(a) => (&a.context, corrected_message(a, style)?),
    };
    Some(DpoRow {
        prompt: prompt(context),
        chosen: vec![chosen],
        rejected: vec![answer_message(pair.rejected, style)?],
        cross_model: pair.cross_model,
    })
}

/// SFT rows: an up-voted answer that may be chosen, and any corrected answer.
pub fn sft(a: &RatedAnswer, style: ReasoningStyle) -> Vec<SftRow> {
    let mut rows = Vec::new();
    let with = |m: ChatMessage| {
        let mut messages = prompt(&a.context);
        messages.push(m);
        SftRow { messages }
    };
    if crate::pairs::can_be_chosen(a) {
        rows.extend(answer_message(a, style).map(with));
    }
    rows.extend(corrected_message(a, style).map(with));
    rows
}

/// A question with a checkable answer (GRPO): the context and the reference a sampled chain's final
/// answer must match.
#[derive(Serialize)]
pub struct GrpoRow {
    /// The context, ending with the question.
    pub prompt: Vec<ChatMessage>,
    /// The reference: a person's correction, else an up-voted answer's text.
    pub answer: String,
}

/// The GRPO row of one question from its rated answers (siblings): the first correction, else the
/// first up-voted answer that may be chosen; `None` when nothing says what the answer is.
pub fn grpo(siblings: &[&RatedAnswer]) -> Option<GrpoRow> {
    let correction = siblings.iter().find_map(|a| {
        let text = a.answer.rating.as_ref()?.input.corrected_answer.as_deref()?;
        // A correction may carry thinking (`<think>…</think>` first): the reference is what follows.
        let answer = text.rsplit("</think>").next().unwrap_or(text).trim();
        (!answer.is_empty()).then(|| (*a, answer.to_string()))
    });
    let upvoted = || {
        siblings.iter().find_map(|a| {
            let up = rating(a).and_then(|r| r.input.answer) == Some(Vote::Up);
            let text = a.answer.content.trim();
            (up && crate::pairs::can_be_chosen(a) && !text.is_empty())
                .then(|| (*a, text.to_string()))
        })
    };
    let (a, answer) = correction.or_else(upvoted)?;
    Some(GrpoRow { prompt: prompt(&a.context), answer })
}

/// The lossless archive: everything the store knows about one rating, with a schema version.
#[derive(Serialize)]
pub struct ArchiveRow<'a> {
    /// Bumped whenever a field changes meaning or goes away.
    pub schema_version: u32,
    /// How the answer was made: `answer`, `vote` (one chain of several; `answer.vote` says how the
    /// vote went) or `think_longer` (a minimum of thinking, in `answer.generation.settings.sampling`).
    pub mode: &'static str,
    /// The conversation.
    pub conversation: &'a ponder_store::Conversation,
    /// Every message the answer followed, thinking included.
    pub context: &'a [ponder_store::Message],
    /// The answer with its generation metadata and current rating.
    pub answer: &'a ponder_store::Message,
    /// Every change to the rating, oldest first.
    pub rating_history: &'a [ponder_store::RatingEvent],
}

/// The archive's schema version.
pub const ARCHIVE_SCHEMA_VERSION: u32 = 1;

/// Copies of the context and answer with sampling settings in sorted key order, so the archive is the
/// same bytes whichever serde_json features the build has.
pub fn with_canonical_sampling(
    a: &RatedAnswer,
) -> (Vec<ponder_store::Message>, ponder_store::Message) {
    let fix = |m: &ponder_store::Message| {
        let mut m = m.clone();
        if let Some(g) = m.generation.as_mut() {
            g.settings.sampling = crate::foreign::canonical(&g.settings.sampling);
        }
        m
    };
    (a.context.iter().map(fix).collect(), fix(&a.answer))
}
