//! Before and after: the share of held-out questions with a reference that a model answers right,
//! through mistral.rs (the engine people use), greedy, thinking on.

use std::path::Path;

use ponder_engine::{
    ChatMessage, ChatRole, Engine, Event, GenerationRequest, ModelSource, Sampling,
};
use ponder_train::learn::data::ReferenceExample;
use ponder_train::learn::verify;
use serde::{Deserialize, Serialize};

use crate::versions::{list_versions, write_card, VersionCard};
use crate::LearnError;

/// Tokens an evaluated answer may take, thinking included.
const EVAL_TOKENS: usize = 1024;

/// What a run never trained on: the held-out conversations' questions with a reference, and pairs.
#[derive(Clone, Debug, Default)]
pub struct HeldOut {
    /// Questions with a reference answer.
    pub questions: Vec<ReferenceExample>,
    /// Preference pairs.
    pub pairs: Vec<ponder_train::learn::data::PairExample>,
}

/// The parent (`base`, with its weights' hash for the cache) and the version in `out` on the same
/// held-out data and regression problems; `None` when there is nothing to measure on. The parent's
/// regression score is cached under `<data dir>/learning/parent-scores.json`.
pub async fn measure_against_parent(
    data_dir: &Path,
    (base, parent_hash): (&Path, Option<&str>),
    out: &Path,
    held_out: &HeldOut,
    regression: &[ReferenceExample],
) -> Result<Option<BeforeAfter>, LearnError> {
    if held_out.questions.is_empty() && held_out.pairs.is_empty() && regression.is_empty() {
        return Ok(None);
    }
    let cache = data_dir.join("learning").join("parent-scores.json");
    let asked = &held_out.questions;
    Ok(Some(BeforeAfter {
        before: reference_score(base, asked, EVAL_TOKENS).await?,
        after: reference_score(out, asked, EVAL_TOKENS).await?,
        pairs_before: pair_score(base, &held_out.pairs).await?,
        pairs_after: pair_score(out, &held_out.pairs).await?,
        regression_before: parent_score(&cache, parent_hash, base, regression, EVAL_TOKENS).await?,
        regression_after: reference_score(out, regression, EVAL_TOKENS).await?,
    }))
}

/// Measures the version `name` against its parent again, on what its run held out (read back from the
/// run's data) and on `regression`, and writes the result into its card (`ponder learn eval`); with
/// nothing to measure on, the card keeps what it had.
pub async fn evaluate_version(
    data_dir: &Path,
    name: &str,
    regression: &[ReferenceExample],
) -> Result<VersionCard, LearnError> {
    let mut card = list_versions(data_dir)
        .into_iter()
        .find(|c| c.name == name)
        .ok_or_else(|| LearnError::Invalid(format!("no learned version is called {name}")))?;
    let run_dir = data_dir.join("learning").join(name);
    let share = crate::history_run::started_held_out(&run_dir)?;
    let snap = crate::snapshot::read_snapshot(&run_dir.join("data"), share)?;
    let held_out = HeldOut { questions: snap.held_out.references, pairs: snap.held_out.pairs };
    let parent = (card.parent_path.as_path(), card.parent_hash.as_deref());
    // Nothing to measure on leaves the card's earlier table as it was.
    if let Some(e) =
        measure_against_parent(data_dir, parent, &card.path, &held_out, regression).await?
    {
        card.evaluation = Some(e);
        write_card(&card)?;
    }
    Ok(card)
}

/// One model's score on the held-out questions.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize, ts_rs::TS)]
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
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize, ts_rs::TS)]
pub struct BeforeAfter {
    /// The parent's score on the questions with a reference.
    pub before: Score,
    /// The learned version's.
    pub after: Score,
    /// The parent's preference accuracy on the held-out pairs (chosen more likely per token).
    pub pairs_before: Score,
    /// The learned version's.
    pub pairs_after: Score,
    /// The parent's score on the regression benchmark (what the model could do before it learned
    /// anything from the history: for ponder-tiny, its 600 held-out problems); 0 of 0 when none ran.
    #[serde(default)]
    pub regression_before: Score,
    /// The learned version's.
    #[serde(default)]
    pub regression_after: Score,
}

/// The regression benchmark for a model named `name`: ponder-tiny and the versions learned from it
/// are checked on the problems `ponder eval` asks; other models have none yet (empty).
pub fn regression_questions(name: &str, count: usize) -> Vec<ReferenceExample> {
    if !crate::bundled_lineage(name) {
        return Vec::new();
    }
    ponder_train::tasks::held_out_problems(7, count)
        .into_iter()
        .filter_map(|p| {
            let answer = p.expected?.to_string();
            let prompt = vec![ponder_train::learn::data::Msg::user(&p.question)];
            Some(ReferenceExample { prompt, answer })
        })
        .collect()
}

/// `reference_score` of the parent, remembered in `cache` (a JSON map) under the parent's hash and
/// the questions': the parent does not change between runs, and its 600 answers take minutes.
pub async fn parent_score(
    cache: &Path,
    parent_hash: Option<&str>,
    model: &Path,
    questions: &[ReferenceExample],
    max_tokens: usize,
) -> Result<Score, LearnError> {
    use sha2::Digest;
    let (Some(parent_hash), false) = (parent_hash, questions.is_empty()) else {
        return reference_score(model, questions, max_tokens).await;
    };
    let asked = serde_json::to_vec(questions).expect("plain data");
    let key = format!("{parent_hash}:{max_tokens}:{:x}", sha2::Sha256::digest(&asked));
    let mut known: std::collections::BTreeMap<String, Score> = std::fs::read_to_string(cache)
        .ok()
        .and_then(|text| serde_json::from_str(&text).ok())
        .unwrap_or_default();
    if let Some(score) = known.get(&key) {
        return Ok(*score);
    }
    let score = reference_score(model, questions, max_tokens).await?;
    known.insert(key, score);
    // A cache that cannot be written only costs the next run the same minutes.
    let _ = std::fs::write(cache, serde_json::to_string_pretty(&known).expect("plain data"));
    Ok(score)
}

/// Preference accuracy of the model in `dir` on `pairs`, off the async runtime.
pub async fn pair_score(
    dir: &Path,
    pairs: &[ponder_train::learn::data::PairExample],
) -> Result<Score, LearnError> {
    if pairs.is_empty() {
        return Ok(Score::default());
    }
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
    let answers = reference_answers(model, questions, max_tokens).await?;
    let correct = answers.iter().filter(|a| a.right).count();
    Ok(Score { correct, total: answers.len() })
}

/// One graded answer of [`reference_answers`].
#[derive(Clone, Debug)]
pub struct GradedAnswer {
    /// What the model wrote, thinking inline.
    pub written: String,
    /// Well-formed thinking and the reference's final answer.
    pub right: bool,
}

/// [`reference_score`] answer by answer, in the questions' order: to see where a model fails.
pub async fn reference_answers(
    model: &Path,
    questions: &[ReferenceExample],
    max_tokens: usize,
) -> Result<Vec<GradedAnswer>, LearnError> {
    if questions.is_empty() {
        return Ok(Vec::new());
    }
    let engine = Engine::load(ModelSource::LocalDir(model.to_path_buf()))
        .await
        .map_err(|e| LearnError::Invalid(format!("{} does not load: {e}", model.display())))?;
    let mut out = Vec::with_capacity(questions.len());
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
        let right = verify::reward(&written, &q.answer) > 0.0;
        out.push(GradedAnswer { written, right });
    }
    Ok(out)
}
