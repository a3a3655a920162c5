//! Preference pairs from answers to the same context (siblings under one question).
//!
//! Rules: an answer rated up is chosen unless it was cut off by the token limit or did not finish; an
//! answer rated down is rejected; a person's corrected answer is chosen against the answer it
//! corrects (first, as the strongest signal); at most `cap` pairs per question; a pair whose answers
//! came from different models is flagged. Answers with no opposite-rated sibling yield no pair (they
//! still appear in KTO). Two answers with the same text and thinking rated both ways (a model that
//! samples the same chain twice) teach DPO nothing: they make no pair and are counted instead.

use ponder_store::{EndReason, MessageStatus, RatedAnswer, Vote};

use crate::messages::thinking_of;

/// The preferred side of a pair.
#[derive(Clone, Copy, Debug)]
pub enum Chosen<'a> {
    /// An answer the model gave, rated up.
    Answer(&'a RatedAnswer),
    /// The answer a person wrote in place of this one.
    Corrected(&'a RatedAnswer),
}

/// One preference pair.
#[derive(Clone, Copy, Debug)]
pub struct Pair<'a> {
    /// Preferred.
    pub chosen: Chosen<'a>,
    /// Not preferred.
    pub rejected: &'a RatedAnswer,
    /// The two answers came from different models.
    pub cross_model: bool,
}

fn vote(a: &RatedAnswer) -> Option<Vote> {
    a.answer.rating.as_ref().and_then(|r| r.input.answer)
}

fn model(a: &RatedAnswer) -> Option<&str> {
    a.answer.generation.as_ref().map(|g| g.settings.model.id.as_str())
}

/// Whether an up-voted answer may be used as chosen: finished on its own, not truncated.
pub fn can_be_chosen(a: &RatedAnswer) -> bool {
    let truncated = a
        .answer
        .generation
        .as_ref()
        .and_then(|g| g.outcome.as_ref())
        .is_some_and(|o| o.finish_reason == Some(EndReason::Length));
    vote(a) == Some(Vote::Up)
        && a.answer.status == MessageStatus::Complete
        && !truncated
        && !a.answer.content.trim().is_empty()
}

/// What one question's answers pair into.
#[derive(Debug, Default)]
pub struct PairSet<'a> {
    /// At most `cap` pairs, corrections first.
    pub pairs: Vec<Pair<'a>>,
    /// Pairs left out because both sides are the same text and thinking.
    pub identical: usize,
}

/// Whether two answers would be the same completion whatever the reasoning style.
pub fn same_text(a: &RatedAnswer, b: &RatedAnswer) -> bool {
    a.answer.content == b.answer.content && thinking_of(&a.answer) == thinking_of(&b.answer)
}

/// The pairs for one question's rated answers (given in id order).
pub fn pairs<'a>(siblings: &[&'a RatedAnswer], cap: usize) -> PairSet<'a> {
    let mut set = PairSet::default();
    for a in siblings {
        let corrected = a.answer.rating.as_ref().and_then(|r| r.input.corrected_answer.as_ref());
        if let Some(text) = corrected {
            if text.trim() == a.answer.content.trim() {
                set.identical += 1;
                continue;
            }
            set.pairs.push(Pair { chosen: Chosen::Corrected(a), rejected: a, cross_model: false });
        }
    }
    for c in siblings.iter().filter(|a| can_be_chosen(a)) {
        for r in siblings
            .iter()
            .filter(|a| vote(a) == Some(Vote::Down) && !a.answer.content.trim().is_empty())
        {
            if same_text(c, r) {
                set.identical += 1;
                continue;
            }
            set.pairs.push(Pair {
                chosen: Chosen::Answer(c),
                rejected: r,
                cross_model: model(c) != model(r),
            });
        }
    }
    set.pairs.truncate(cap);
    set
}
