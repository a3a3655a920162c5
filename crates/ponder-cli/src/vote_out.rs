//! `ponder ask --vote N`'s ending: each chain's final answer, the majority and how many agree (or the
//! tie), and the winning chain's answer when it is not the one that streamed.

use std::io::Write;

use ponder_chat::vote::{final_answer, Verdict, Vote};

/// Tallies `answers` (each chain's answer text, in order) and prints the vote; returns it.
pub(crate) fn print(out: &mut impl Write, json: bool, answers: &[String]) -> std::io::Result<Vote> {
    let vote = Vote::of(answers);
    if json {
        let line = serde_json::json!({"vote": vote, "said": vote.describe()});
        writeln!(out, "{line}")?;
        return Ok(vote);
    }
    writeln!(out)?;
    for (i, answer) in answers.iter().enumerate() {
        let said = final_answer(answer).map_or_else(|| "(no answer)".to_string(), |a| a.shown);
        writeln!(out, "chain {:>2}: {said}", i + 1)?;
    }
    match (&vote.verdict, vote.winner()) {
        (Verdict::Majority { chain }, Some(winner)) => {
            writeln!(out, "vote: {} — {}", vote.describe(), winner.shown)?;
            if *chain != 0 {
                writeln!(out, "\n--- the majority's answer (chain {}) ---", chain + 1)?;
                writeln!(out, "{}", answers[*chain as usize].trim())?;
            }
        }
        _ => writeln!(out, "vote: {}", vote.describe())?,
    }
    Ok(vote)
}
