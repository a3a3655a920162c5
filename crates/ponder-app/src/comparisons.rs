//! The tally of comparisons: wherever one question has rated answers from two models (a Compare, or a
//! regeneration after switching models), the thumbs say which did better — the Learn page's
//! "learned vs parent" score, counted from the history itself so it survives restarts and exports.

use std::collections::BTreeMap;

use ponder_store::{MessageId, RatedAnswer, RatingFilter, Vote};
use serde::Serialize;
use ts_rs::TS;

use crate::{App, Result};

/// How two models did on the questions both answered and both had rated.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, TS)]
pub struct PairTally {
    /// One model (the pair is in name order).
    pub left: String,
    /// The other.
    pub right: String,
    /// Questions where `left`'s answer was rated up and `right`'s down.
    pub left_wins: u32,
    /// The other way round.
    pub right_wins: u32,
    /// Both up or both down.
    pub ties: u32,
}

/// The thumbs of one model's answer to one question; a model with several answers to it counts its
/// first rated one (the one the person compared).
fn votes_by_question(answers: &[RatedAnswer]) -> BTreeMap<MessageId, BTreeMap<String, Vote>> {
    let mut out: BTreeMap<MessageId, BTreeMap<String, Vote>> = BTreeMap::new();
    let mut sorted: Vec<&RatedAnswer> = answers.iter().collect();
    sorted.sort_by_key(|a| a.answer.id);
    for a in sorted {
        let (Some(question), Some(generation), Some(rating)) =
            (a.answer.parent_id, &a.answer.generation, &a.answer.rating)
        else {
            continue;
        };
        let Some(vote) = rating.input.answer else { continue };
        out.entry(question)
            .or_default()
            .entry(generation.settings.model.id.clone())
            .or_insert(vote);
    }
    out
}

/// Tallies every pair of models rated on the same questions.
pub fn tally(answers: &[RatedAnswer]) -> Vec<PairTally> {
    let mut pairs: BTreeMap<(String, String), PairTally> = BTreeMap::new();
    for votes in votes_by_question(answers).values() {
        let models: Vec<(&String, &Vote)> = votes.iter().collect();
        for (i, (left, lv)) in models.iter().enumerate() {
            for (right, rv) in &models[i + 1..] {
                let t =
                    pairs.entry(((*left).clone(), (*right).clone())).or_insert_with(|| PairTally {
                        left: (*left).clone(),
                        right: (*right).clone(),
                        ..Default::default()
                    });
                match (lv, rv) {
                    (Vote::Up, Vote::Down) => t.left_wins += 1,
                    (Vote::Down, Vote::Up) => t.right_wins += 1,
                    _ => t.ties += 1,
                }
            }
        }
    }
    pairs.into_values().collect()
}

impl App {
    /// Every pair of models compared on the same questions, with wins and ties.
    pub async fn comparison_tally(&self) -> Result<Vec<PairTally>> {
        let store = self.store().await?;
        let (filter, mut after) = (RatingFilter::default(), None);
        let mut sum: BTreeMap<(String, String), PairTally> = BTreeMap::new();
        loop {
            let page = store.rated_answers(&filter, after, 200).await?;
            // Pages hold whole conversations, so a question's answers are never split across two.
            for t in tally(&page.answers) {
                let s = sum.entry((t.left.clone(), t.right.clone())).or_insert_with(|| PairTally {
                    left: t.left.clone(),
                    right: t.right.clone(),
                    ..Default::default()
                });
                s.left_wins += t.left_wins;
                s.right_wins += t.right_wins;
                s.ties += t.ties;
            }
            match page.next {
                Some(n) => after = Some(n),
                None => return Ok(sum.into_values().collect()),
            }
        }
    }
}
