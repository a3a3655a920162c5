//! A vote kept with its chains: the tally of a turn's answers saved beside them, and the majority's
//! chain put on screen (the others stay one click away as its siblings).

use ponder_store::{Message, NewVote, Store, VoteResult, VotedChain};

use super::{final_answer, Verdict, Vote};
use crate::ChatError;

/// The store's record of `vote` over `answers` (the chains, in order).
pub fn stored(vote: &Vote, answers: &[Message]) -> NewVote {
    let chains = answers
        .iter()
        .map(|m| {
            let answer = final_answer(&m.content);
            VotedChain {
                message: m.id,
                key: answer.as_ref().map(|a| a.key.clone()),
                shown: answer.map(|a| a.shown),
            }
        })
        .collect();
    let most = vote.tallies.first().map_or(0, |t| t.chains.len() as u32);
    let (result, winner_key, shown) = match &vote.verdict {
        Verdict::Majority { chain } => (
            VoteResult::Majority,
            Some(vote.tallies[0].key.clone()),
            answers.get(*chain as usize).map(|m| m.id),
        ),
        Verdict::Tie => (VoteResult::Tie, None, None),
        Verdict::NoAnswer => (VoteResult::NoAnswer, None, None),
    };
    NewVote { result, winner_key, agreeing: most, chains, shown }
}

/// Tallies `answers` (one turn's chains, as saved), saves the vote and puts the majority's chain on
/// screen (the first chain when there is no majority); returns the vote and the chains as now saved.
pub async fn record_vote(
    store: &Store,
    answers: &[Message],
) -> Result<(Vote, Vec<Message>), ChatError> {
    let vote = Vote::of(&answers.iter().map(|m| m.content.as_str()).collect::<Vec<_>>());
    store.record_vote(&stored(&vote, answers)).await?;
    let mut saved = Vec::with_capacity(answers.len());
    for m in answers {
        saved.push(store.message(m.id).await?);
    }
    Ok((vote, saved))
}
