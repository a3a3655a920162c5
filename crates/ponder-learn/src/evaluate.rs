//! Before and after: the share of held-out questions with a reference that a model answers right,
//! through mistral.rs (the engine people use), greedy, thinking on.

use std::path::Path;

use ponder_engine::{
    ChatMessage, ChatRole, Engine, Event, GenerationRequest, ModelSource, Sampling,
};
use ponder_train::learn::data::ReferenceExample;
use ponder_train::learn::verify;
use serde::{Deserialize, Serialize};

use crate::LearnError;

/// One model's score on the held-out questions.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Score {
    /// Answered right (well-formed thinking, matching final answer).
    pub correct: usize,
    /// Questions asked.
    pub total: usize,
}

impl Score {
    /// `correct / total` (0 when nothing was asked).
    pub fn accuracy(&self) -> f64 {
        self.correct as f64 / self.total.max(1) as f64
    }
}

/// The parent and the version on the same held-out conversations.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct BeforeAfter {
    /// The parent's score on the questions with a reference.
    pub before: Score,
    /// The learned version's.
    pub after: Score,
    /// The parent's preference accuracy on the held-out pairs (chosen more likely per token).
    pub pairs_before: Score,
    /// The learned version's.
    pub pairs_after: Score,
}

/// Preference accuracy of the model in `dir` on `pairs`, off the async runtime.
pub async fn pair_score(
    dir: &Path,
    pairs: &[ponder_train::learn::data::PairExample],
) -> Result<Score, LearnError> {
    let (dir, pairs) = (dir.to_path_buf(), pairs.to_vec());
    let (correct, total) = tokio::task::spawn_blocking(move || {
        ponder_train::learn::preference::preference_accuracy(&dir, &pairs)
    })
    .await
    .map_err(|e| LearnError::Task(e.to_string()))??;
    Ok(Score { correct, total })
}

fn role(r: &str) -> ChatRole {
    match r {
        "system" => ChatRole::System,
        "assistant" => ChatRole::Assistant,
        _ => ChatRole::User,
    }
}

/// Loads `model` and asks it every question, greedy, with up to `max_tokens` of thinking and answer.
pub async fn reference_score(
    model: &Path,
    questions: &[ReferenceExample],
    max_tokens: usize,
) -> Result<Score, LearnError> {
    let engine = Engine::load(ModelSource::LocalDir(model.to_path_buf()))
        .await
        .map_err(|e| LearnError::Invalid(format!("{} does not load: {e}", model.display())))?;
    let mut score = Score::default();
    for q in questions {
        let messages = q
            .prompt
            .iter()
            // Earlier answers go back without their thinking, as in any turn.
            .map(|m| ChatMessage { role: role(&m.role), content: m.answer().to_string() })
            .collect();
        let req = GenerationRequest {
            messages,
            sampling: Sampling::greedy(),
            max_tokens,
            ..GenerationRequest::ask("")
        };
        let mut generation =
            engine.generate(&req).await.map_err(|e| LearnError::Invalid(e.to_string()))?;
        let (mut thinking, mut answer) = (String::new(), String::new());
        while let Some(e) = generation.next().await {
            match e.event {
                Event::Thinking(t) => thinking.push_str(&t),
                Event::Answer(t) => answer.push_str(&t),
                _ => {}
            }
        }
        let written = format!("<think>\n{thinking}\n</think>\n\n{answer}");
        score.total += 1;
        if verify::reward(&written, &q.answer) > 0.0 {
            score.correct += 1;
        }
    }
    Ok(score)
}
