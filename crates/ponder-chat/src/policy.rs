//! The turn policy: how a turn is asked for and what its defaults and limits are, the same for the
//! window and the CLI. Both send [`AnswerOptions`]; [`AnswerOptions::request`] is the only place a
//! request's token limit, candidate count and thinking budget are decided.

use ponder_engine::{GenerationRequest, Sampling};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::vote::MAX_VOTERS;
use crate::ChatError;

/// Most tokens of a turn (thinking and answer together) when the asker names none.
pub const DEFAULT_MAX_TOKENS: usize = GenerationRequest::DEFAULT_MAX_TOKENS;

/// Most candidates of one turn. Candidates batch in one generation, and each holds its own KV cache;
/// past four the window cannot show them side by side and a CPU gains nothing.
pub const MAX_CANDIDATES: usize = 4;

/// Sampling values chosen by the person; `None` keeps the model's own default
/// (`generation_config.json`, else Qwen's recommendation), never mistral.rs's deterministic one.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, TS)]
pub struct SamplingRequest {
    /// Temperature (0 = greedy).
    pub temperature: Option<f64>,
    /// Nucleus sampling.
    pub top_p: Option<f64>,
    /// Top-k.
    pub top_k: Option<usize>,
    /// Min-p.
    pub min_p: Option<f64>,
    /// Additive penalty for tokens already present.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub presence_penalty: Option<f32>,
    /// Multiplicative penalty for repeated tokens (1 = off).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub repetition_penalty: Option<f32>,
    /// Additive penalty growing with how often a token appeared.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub frequency_penalty: Option<f32>,
    /// DRY's strength (0.8 usual; `None` or 0 off).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub dry_multiplier: Option<f32>,
    /// Never repeat an n-gram of this many tokens within the reply.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub no_repeat_ngram_size: Option<usize>,
}

/// How to answer: asking, regenerating and `ponder ask` all send this.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, TS)]
pub struct AnswerOptions {
    /// Think before answering.
    pub thinking: bool,
    /// Most thinking tokens (`None` or 0: no limit beyond `max_tokens`).
    pub thinking_budget: Option<usize>,
    /// Independent answers, side by side (1 to [`MAX_CANDIDATES`]).
    pub candidates: usize,
    /// `None`: the model's defaults.
    pub sampling: Option<SamplingRequest>,
    /// Most tokens in all (default [`DEFAULT_MAX_TOKENS`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub max_tokens: Option<usize>,
    /// Think longer: the fewest thinking tokens (`None` or 0: as the model likes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub min_thinking: Option<usize>,
    /// What thinking longer writes where the model would stop (default "\n\nWait").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub nudge: Option<String>,
    /// Vote over this many chains (2 to [`MAX_VOTERS`]) instead of side-by-side candidates.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub vote: Option<usize>,
    /// Stop a chain of thought that repeats itself word for word (on unless `Some(false)`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub stop_loops: Option<bool>,
}

impl Default for AnswerOptions {
    fn default() -> Self {
        AnswerOptions {
            thinking: true,
            thinking_budget: None,
            candidates: 1,
            sampling: None,
            max_tokens: None,
            min_thinking: None,
            nudge: None,
            vote: None,
            stop_loops: None,
        }
    }
}

impl AnswerOptions {
    /// The request these options make, without its messages (the turn fills them from the branch).
    /// Options no turn can run with are refused here, before anything is saved.
    pub fn request(&self) -> Result<GenerationRequest, ChatError> {
        if !(1..=MAX_CANDIDATES).contains(&self.candidates) {
            return Err(ChatError::Invalid(format!(
                "candidates must be between 1 and {MAX_CANDIDATES}, not {}",
                self.candidates
            )));
        }
        if let Some(n) = self.vote {
            if !(2..=MAX_VOTERS).contains(&n) || self.candidates != 1 {
                return Err(ChatError::Invalid(format!(
                    "a vote takes 2 to {MAX_VOTERS} chains (and no side-by-side candidates), not {n}"
                )));
            }
        }
        if self.min_thinking.is_some_and(|m| m > 0) && !self.thinking {
            return Err(ChatError::Invalid("thinking longer needs thinking on".into()));
        }
        if self.max_tokens == Some(0) {
            return Err(ChatError::Invalid("max_tokens must be at least 1".into()));
        }
        min_within_limits(
            self.min_thinking.filter(|m| *m > 0),
            self.thinking_budget.filter(|b| *b > 0),
            self.max_tokens.unwrap_or(DEFAULT_MAX_TOKENS),
        )?;
        let sampling = match &self.sampling {
            None => Sampling::default(),
            Some(s) => Sampling {
                temperature: s.temperature,
                top_k: s.top_k,
                top_p: s.top_p,
                min_p: s.min_p,
                presence_penalty: s.presence_penalty,
                repetition_penalty: s.repetition_penalty,
                frequency_penalty: s.frequency_penalty,
                dry_multiplier: s.dry_multiplier,
                no_repeat_ngram_size: s.no_repeat_ngram_size.filter(|n| *n > 0),
            },
        };
        Ok(GenerationRequest {
            messages: Vec::new(),
            thinking: self.thinking,
            sampling,
            max_tokens: self.max_tokens.unwrap_or(DEFAULT_MAX_TOKENS),
            // A budget of 0 would end the thinking before it starts; the window sends 0 for "none".
            thinking_budget: self.thinking_budget.filter(|b| *b > 0),
            candidates: self.vote.unwrap_or(self.candidates),
            // Set only when continuing from a person's fixed step (`ponder_chat::fix`).
            continue_thinking: None,
            min_thinking: self.min_thinking.filter(|m| *m > 0),
            nudge: self.nudge.clone().filter(|n| !n.is_empty()),
            stop_loops: self.stop_loops.unwrap_or(true),
        })
    }
}

/// Thinking longer's minimum must leave room under the thinking budget (else the budget closes the
/// thinking that the minimum keeps open, and nothing is left to sample) and under `max_tokens`
/// (else the reply ends before any answer).
fn min_within_limits(
    min: Option<usize>,
    budget: Option<usize>,
    max_tokens: usize,
) -> Result<(), ChatError> {
    let Some(min) = min else { return Ok(()) };
    if let Some(budget) = budget.filter(|b| min > *b) {
        return Err(ChatError::Invalid(format!(
            "thinking longer asks for at least {min} thinking tokens, more than the thinking \
             budget of {budget}: raise the budget or lower the minimum"
        )));
    }
    if min >= max_tokens {
        return Err(ChatError::Invalid(format!(
            "thinking longer asks for at least {min} thinking tokens, which leaves no room to \
             answer within max_tokens {max_tokens}"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_the_policys() {
        let r = AnswerOptions::default().request().unwrap();
        assert_eq!(r.max_tokens, DEFAULT_MAX_TOKENS);
        assert_eq!(r.candidates, 1);
        assert!(r.thinking && r.thinking_budget.is_none() && r.messages.is_empty());
        assert_eq!(r.sampling, Sampling::default());
    }

    #[test]
    fn a_zero_budget_means_none_and_sampling_is_carried_whole() {
        let options = AnswerOptions {
            thinking_budget: Some(0),
            sampling: Some(SamplingRequest {
                temperature: Some(0.0),
                repetition_penalty: Some(1.1),
                ..SamplingRequest::default()
            }),
            max_tokens: Some(64),
            ..AnswerOptions::default()
        };
        let r = options.request().unwrap();
        assert_eq!(r.thinking_budget, None);
        assert_eq!(r.max_tokens, 64);
        assert_eq!(r.sampling.temperature, Some(0.0));
        assert_eq!(r.sampling.repetition_penalty, Some(1.1));
    }

    #[test]
    fn options_no_turn_can_run_are_refused() {
        for candidates in [0, MAX_CANDIDATES + 1] {
            let e = AnswerOptions { candidates, ..AnswerOptions::default() }.request().unwrap_err();
            assert_eq!(e.kind(), ponder_error_kind::ErrorKind::Invalid, "{e}");
        }
        let e = AnswerOptions { max_tokens: Some(0), ..AnswerOptions::default() }.request();
        assert!(e.is_err());
    }

    #[test]
    fn a_vote_samples_its_chains_as_candidates_within_its_limits() {
        let r = AnswerOptions { vote: Some(8), ..AnswerOptions::default() }.request().unwrap();
        assert_eq!(r.candidates, 8);
        for bad in [
            AnswerOptions { vote: Some(1), ..AnswerOptions::default() },
            AnswerOptions { vote: Some(MAX_VOTERS + 1), ..AnswerOptions::default() },
            AnswerOptions { vote: Some(4), candidates: 2, ..AnswerOptions::default() },
            AnswerOptions { min_thinking: Some(100), thinking: false, ..AnswerOptions::default() },
        ] {
            assert!(bad.request().is_err(), "{bad:?}");
        }
        let longer = AnswerOptions { min_thinking: Some(300), ..AnswerOptions::default() };
        assert_eq!(longer.request().unwrap().min_thinking, Some(300));
    }

    #[test]
    fn a_minimum_beyond_the_budget_or_the_reply_is_refused_and_says_which() {
        let over_budget = AnswerOptions {
            min_thinking: Some(300),
            thinking_budget: Some(200),
            ..AnswerOptions::default()
        };
        let e = over_budget.request().unwrap_err();
        assert!(e.to_string().contains("thinking budget of 200"), "{e}");
        let over_reply = AnswerOptions {
            min_thinking: Some(64),
            max_tokens: Some(64),
            ..AnswerOptions::default()
        };
        assert!(over_reply.request().unwrap_err().to_string().contains("max_tokens 64"));
        // Equal to the budget is allowed: the minimum reached, the budget closes the thinking.
        let at_budget = AnswerOptions {
            min_thinking: Some(200),
            thinking_budget: Some(200),
            ..AnswerOptions::default()
        };
        assert!(at_budget.request().is_ok());
    }
}
