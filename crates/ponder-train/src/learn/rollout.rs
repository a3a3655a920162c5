//! GRPO's rollouts: a group of chains per question from the current weights, rewarded, with the
//! group-relative advantage of each chain.

use super::data::ReferenceExample;
use super::plan::{LearnData, LearnSettings};
use super::prepare::Encodings;
use super::render::ChatRenderer;
use super::sample::sample_group;
use super::steps::ChainRows;
use crate::data::Encoded;
use crate::methods::grpo::group_advantages;
use crate::model::Qwen;
use crate::TrainError;

/// GRPO's reward of one sampled completion (as the model wrote it, thinking included) for a question,
/// like a TRL reward function.
pub type RewardFn<'a> = dyn Fn(&str, &ReferenceExample) -> f64 + Sync + 'a;

/// Samples a group for each question of the step (questions in parallel, one per worker), rewards
/// them against the references, and keeps the chains of groups that did not tie.
#[allow(clippy::too_many_arguments)]
pub(crate) fn rollouts(
    model: &Qwen,
    renderer: &ChatRenderer,
    enc: &Encodings,
    data: &LearnData,
    questions: &[usize],
    s: &LearnSettings,
    stops: &[u32],
    step: usize,
    reward: &RewardFn<'_>,
) -> Result<(Vec<ChainRows>, f64), TrainError> {
    let sampled: Vec<Result<Vec<Vec<u32>>, TrainError>> = std::thread::scope(|scope| {
        let handles: Vec<_> = questions
            .iter()
            .map(|&q| {
                let prompt = enc.prompts[q].as_deref().unwrap_or_default();
                let seed = s.seed ^ ((step as u64) << 20) ^ q as u64;
                scope.spawn(move || sample_group(model, prompt, s.group, stops, &s.sample, seed))
            })
            .collect();
        handles.into_iter().map(|h| h.join().expect("a sampling thread panicked")).collect()
    });
    let (mut chains, mut rewards_all) = (Vec::new(), Vec::new());
    for (&q, group) in questions.iter().zip(sampled) {
        let group = group?;
        let prompt = enc.prompts[q].as_ref().expect("planned questions fit");
        let texts: Vec<String> = group
            .iter()
            .map(|c| renderer.tokenizer().decode(c, false).unwrap_or_default())
            .collect();
        let rewards: Vec<f64> = texts.iter().map(|t| reward(t, &data.references[q])).collect();
        rewards_all.extend(&rewards);
        let advantages = group_advantages(&rewards, rewards.len());
        for (completion, a) in group.into_iter().zip(advantages) {
            if a == 0.0 {
                continue;
            }
            let mut ids = prompt.clone();
            ids.extend(&completion);
            let trained = (0..ids.len()).map(|i| i >= prompt.len()).collect();
            chains.push(ChainRows { row: Encoded { ids, trained }, advantage: a as f32 });
        }
    }
    let mean = rewards_all.iter().sum::<f64>() / rewards_all.len().max(1) as f64;
    Ok((chains, mean))
}
