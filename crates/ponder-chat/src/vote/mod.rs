//! Voting over several chains of thought (self-consistency): each reply's final answer extracted and
//! normalised, the answers tallied, and the majority — or a tie, or no answer at all — said plainly.

mod extract;
mod saved;

pub use extract::{final_answer, FinalAnswer};
pub use saved::{record_vote, stored};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// How many chains one vote may sample: the engine batches a request's candidates, and past 16 the
/// gain of another chain is small next to its cost.
pub const MAX_VOTERS: usize = 16;

/// One answer and the chains that gave it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct Tally {
    /// The comparison key (see [`FinalAnswer::key`]).
    pub key: String,
    /// As the first chain that gave it wrote it.
    pub shown: String,
    /// The chains (by index) that gave it, in order.
    pub chains: Vec<u32>,
}

/// What a vote came to.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Verdict {
    /// One answer has more chains than any other.
    Majority {
        /// The chain shown as the reply: the first that gave the majority answer.
        chain: u32,
    },
    /// Two or more answers share the most chains.
    Tie,
    /// No chain gave an answer.
    NoAnswer,
}

/// A vote over `chains` replies.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct Vote {
    /// Chains that voted (replies, answered or not).
    pub chains: u32,
    /// Each answer and its chains, most chains first (ties in order of first appearance).
    pub tallies: Vec<Tally>,
    /// The outcome.
    pub verdict: Verdict,
}

impl Vote {
    /// Tallies the final answers of `replies` (the answer text of each chain, in order).
    pub fn of<S: AsRef<str>>(replies: &[S]) -> Self {
        let mut tallies: Vec<Tally> = Vec::new();
        for (i, reply) in replies.iter().enumerate() {
            let Some(answer) = final_answer(reply.as_ref()) else { continue };
            match tallies.iter_mut().find(|t| t.key == answer.key) {
                Some(t) => t.chains.push(i as u32),
                None => tallies.push(Tally {
                    key: answer.key,
                    shown: answer.shown,
                    chains: vec![i as u32],
                }),
            }
        }
        // A stable sort keeps first appearance among equals.
        tallies.sort_by_key(|t| std::cmp::Reverse(t.chains.len()));
        let verdict = match tallies.as_slice() {
            [] => Verdict::NoAnswer,
            [only] => Verdict::Majority { chain: only.chains[0] },
            [first, second, ..] if first.chains.len() > second.chains.len() => {
                Verdict::Majority { chain: first.chains[0] }
            }
            _ => Verdict::Tie,
        };
        Self { chains: replies.len() as u32, tallies, verdict }
    }

    /// The winning answer's key, when there is one.
    pub fn winner(&self) -> Option<&Tally> {
        matches!(self.verdict, Verdict::Majority { .. }).then(|| &self.tallies[0])
    }

    /// "7 of 8 agree", "a tie: 3 say 12, 3 say 15", "no chain gave an answer".
    pub fn describe(&self) -> String {
        match &self.verdict {
            Verdict::Majority { .. } => {
                let agree = self.tallies[0].chains.len();
                if agree == self.chains as usize {
                    format!("all {agree} agree")
                } else {
                    format!("{agree} of {} agree", self.chains)
                }
            }
            Verdict::Tie => {
                let most = self.tallies[0].chains.len();
                let tied: Vec<String> = self
                    .tallies
                    .iter()
                    .take_while(|t| t.chains.len() == most)
                    .map(|t| format!("{most} say {}", t.shown))
                    .collect();
                format!("no clear answer, a tie: {}", tied.join(", "))
            }
            Verdict::NoAnswer => "no clear answer: no chain gave one".into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_majority_is_the_answer_most_chains_give_however_they_write_it() {
        let replies = ["**936**", "The answer is 936.", "\\boxed{936}", "926", "答案是 936"];
        let vote = Vote::of(&replies);
        assert_eq!(vote.verdict, Verdict::Majority { chain: 0 });
        assert_eq!(vote.tallies[0].chains, [0, 1, 2, 4]);
        assert_eq!(vote.tallies[1].key, "926");
        assert_eq!(vote.describe(), "4 of 5 agree");
        assert_eq!(vote.winner().map(|t| t.key.as_str()), Some("936"));
    }

    #[test]
    fn a_tie_and_no_answer_are_said_plainly() {
        let vote = Vote::of(&["12", "15", "so 12", "x = 15"]);
        assert_eq!(vote.verdict, Verdict::Tie);
        assert_eq!(vote.describe(), "no clear answer, a tie: 2 say 12, 2 say 15");
        assert!(vote.winner().is_none());
        let none = Vote::of(&["", "  "]);
        assert_eq!(none.verdict, Verdict::NoAnswer);
        assert_eq!(none.chains, 2);
    }

    #[test]
    fn unanimity_and_a_chain_without_an_answer() {
        let vote = Vote::of(&["7", "", "seven is 7"]);
        assert_eq!(vote.verdict, Verdict::Majority { chain: 0 });
        assert_eq!(vote.describe(), "2 of 3 agree");
        assert_eq!(Vote::of(&["7", "7"]).describe(), "all 2 agree");
    }
}
