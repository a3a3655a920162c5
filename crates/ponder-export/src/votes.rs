//! Votes as training data: a vote over several chains of thought is a ready source of preference
//! pairs (a chain that reached the majority's answer over one that did not) and of references for
//! GRPO (the majority's answer). Both are the model's own agreement, not a person's judgement: the
//! rows say how strong it was (`agreement`), and a person's thumbs overrule it (a chain rated down
//! is never chosen, one rated up never rejected). Answers a person rated are in the usual files too.

use ponder_store::{EndReason, Message, MessageStatus, Vote, VoteResult, VotedQuestion};
use serde::Serialize;

use crate::messages::{completion, prompt, thinking_of, ChatMessage, ReasoningStyle};

/// A preference pair from a vote (TRL's `prompt`/`chosen`/`rejected`, plus columns trainers ignore).
#[derive(Serialize)]
pub struct VoteDpoRow {
    /// The context both chains saw.
    pub prompt: Vec<ChatMessage>,
    /// A chain that reached the majority's answer.
    pub chosen: Vec<ChatMessage>,
    /// A chain that reached another answer.
    pub rejected: Vec<ChatMessage>,
    /// Share of the chains that gave the majority's answer.
    pub agreement: f64,
    /// Chains in the vote.
    pub chains: u32,
}

/// A question whose reference is the majority's answer (TRL's GRPO `prompt`/`answer`).
#[derive(Serialize)]
pub struct VoteGrpoRow {
    /// The context, ending with the question.
    pub prompt: Vec<ChatMessage>,
    /// The majority's answer, as its first chain wrote it.
    pub answer: String,
    /// Share of the chains that gave it.
    pub agreement: f64,
    /// Chains in the vote.
    pub chains: u32,
}

fn thumbs(m: &Message) -> Option<Vote> {
    m.rating.as_ref().and_then(|r| r.input.answer)
}

/// A chain that may stand for the majority: it finished on its own, and nobody rated it down.
fn may_be_chosen(m: &Message) -> bool {
    let truncated = m
        .generation
        .as_ref()
        .and_then(|g| g.outcome.as_ref())
        .is_some_and(|o| o.finish_reason == Some(EndReason::Length));
    m.status == MessageStatus::Complete
        && !truncated
        && !m.content.trim().is_empty()
        && thumbs(m) != Some(Vote::Down)
}

fn agreement(v: &VotedQuestion) -> Option<(f64, u32)> {
    let first = v.chains.first()?.vote.as_ref()?;
    (first.result == VoteResult::Majority && first.chains > 0)
        .then(|| (f64::from(first.agreeing) / f64::from(first.chains), first.chains))
}

fn message(m: &Message, style: ReasoningStyle) -> Option<ChatMessage> {
    completion(thinking_of(m), &m.content, style)
}

/// Up to `cap` pairs from one vote: each chain with another answer (that nobody rated up) against a
/// chain of the majority, taken in turn. Nothing without a majority of at least two chains.
pub fn pairs(v: &VotedQuestion, cap: usize, style: ReasoningStyle) -> Vec<VoteDpoRow> {
    let Some((agreement, chains)) = agreement(v) else { return Vec::new() };
    let with = |m: &&Message| m.vote.as_ref().is_some_and(|c| c.with_majority);
    let majority: Vec<&Message> =
        v.chains.iter().filter(with).filter(|m| may_be_chosen(m)).collect();
    if v.chains.iter().filter(with).count() < 2 || majority.is_empty() {
        return Vec::new();
    }
    let minority = v.chains.iter().filter(|m| {
        let answered = m.vote.as_ref().is_some_and(|c| !c.with_majority && c.answer_key.is_some());
        answered && !m.content.trim().is_empty() && thumbs(m) != Some(Vote::Up)
    });
    let mut rows = Vec::new();
    for (i, rejected) in minority.enumerate().take(cap) {
        let chosen = majority[i % majority.len()];
        let (Some(c), Some(r)) = (message(chosen, style), message(rejected, style)) else {
            continue;
        };
        rows.push(VoteDpoRow {
            prompt: prompt(&v.context),
            chosen: vec![c],
            rejected: vec![r],
            agreement,
            chains,
        });
    }
    rows
}

/// The GRPO row of a vote more than half of whose chains agree.
pub fn reference(v: &VotedQuestion) -> Option<VoteGrpoRow> {
    let (agreement, chains) = agreement(v)?;
    if agreement <= 0.5 {
        return None;
    }
    let answer = v.chains.iter().find_map(|m| {
        let c = m.vote.as_ref()?;
        c.with_majority.then(|| c.answer.clone()).flatten()
    })?;
    Some(VoteGrpoRow { prompt: prompt(&v.context), answer, agreement, chains })
}

/// How an answer was made, as the archive says: `vote`, `think_longer` or `answer`.
pub fn mode_of(m: &Message) -> &'static str {
    let min_thinking = m
        .generation
        .as_ref()
        .and_then(|g| g.settings.sampling.get("min_thinking"))
        .and_then(|v| v.as_u64())
        .is_some_and(|n| n > 0);
    match (m.vote.is_some(), min_thinking) {
        (true, _) => "vote",
        (false, true) => "think_longer",
        (false, false) => "answer",
    }
}
