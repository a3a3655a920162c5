//! What a run will cost before it starts: its steps, the tokens it trains on, its peak memory and a
//! time estimate, from the same tokenization and batch plan the run itself uses (nothing is loaded
//! but the config and the tokenizer).

use std::path::Path;

use serde::Serialize;

use super::plan::{estimate_memory, stored_bytes_per_weight, LearnData, LearnSettings};
use super::prepare::{encode_all, plan_work, Work};
use super::render::ChatRenderer;
use crate::arch::QwenConfig;
use crate::methods::Method;
use crate::TrainError;

/// Floating-point operations per second one core sustains in the trainer's forward and backward
/// passes, as this model counts them. Measured on the development machine (2 cores, x86-64-v3): a
/// 16-step SFT run of the bundled model in the window (`tests/window_learning.rs`) was estimated at
/// 120 s with 2e9 and took 18 s. An estimate's order, not a promise: the Learn page shows the
/// trainer's own ETA once steps run.
const FLOPS_PER_CORE: f64 = 1.3e10;

/// A run's cost, before it starts.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RunEstimate {
    /// Optimizer steps.
    pub steps: usize,
    /// Tokens of every forward pass over all epochs (pairs and mismatched KTO rows counted twice;
    /// GRPO's sampled chains at their cap).
    pub tokens: u64,
    /// Examples left out because they do not fit the context or a batch.
    pub skipped: usize,
    /// Parameters of the model.
    pub parameters: usize,
    /// Peak memory, bytes ([`estimate_memory`]).
    pub memory_bytes: u64,
    /// Wall time, seconds.
    pub seconds: f64,
}

/// The cost of training `data` with settings `s` on the model folder `base`, with `workers` threads.
pub fn estimate_run(
    base: &Path,
    s: &LearnSettings,
    data: &LearnData,
    workers: usize,
) -> Result<RunEstimate, TrainError> {
    let cfg = QwenConfig::read(base)?;
    let renderer = ChatRenderer::from_folder(base)?;
    let enc = encode_all(&renderer, data, s, cfg.max_position_embeddings)?;
    let work = plan_work(&enc, s);
    let skipped = enc.sft.iter().filter(|e| e.is_none()).count()
        + enc.pairs.iter().filter(|e| e.is_none()).count()
        + enc.thumbs.iter().filter(|e| e.is_none()).count()
        + enc.prompts.iter().filter(|e| e.is_none()).count();
    let mut tokens = 0u64;
    for w in &work {
        let step: u64 = match w {
            Work::Sft(rows) => {
                rows.iter().filter_map(|&i| enc.sft[i].as_ref()).map(|e| e.ids.len() as u64).sum()
            }
            Work::Dpo(rows) => rows
                .iter()
                .filter_map(|&i| enc.pairs[i].as_ref())
                .map(|(c, r)| (c.ids.len() + r.ids.len()) as u64)
                .sum(),
            Work::Kto(rows) => rows
                .iter()
                .filter_map(|&i| enc.thumbs[i].as_ref())
                .map(|(e, m)| (e.ids.len() + m.ids.len()) as u64)
                .sum(),
            Work::Grpo(questions) => questions
                .iter()
                .filter_map(|&i| enc.prompts[i].as_ref())
                .map(|p| ((p.len() + s.sample.max_new_tokens) * s.group) as u64)
                .sum(),
        };
        tokens += step;
    }
    let parameters = cfg.parameter_count();
    let memory_bytes = estimate_memory(&cfg, s, stored_bytes_per_weight(base, s), workers);
    // Forward 2 and backward 4 operations per parameter per token; frozen weights under LoRA skip their
    // own gradient (2 of the 4). GRPO's sampling is a forward pass only.
    let per_token = if s.lora.is_some() { 4.0 } else { 6.0 } * parameters as f64;
    let sampled: u64 = if s.methods.contains(&Method::Grpo) {
        work.iter()
            .filter_map(|w| match w {
                Work::Grpo(q) => Some((q.len() * s.group * s.sample.max_new_tokens) as u64),
                _ => None,
            })
            .sum()
    } else {
        0
    };
    let operations = per_token * tokens as f64 + 2.0 * parameters as f64 * sampled as f64;
    let seconds = operations / (FLOPS_PER_CORE * workers.max(1) as f64);
    Ok(RunEstimate { steps: work.len(), tokens, skipped, parameters, memory_bytes, seconds })
}
