//! Preparing a run: the examples tokenized with the model's template, the interleaved plan of batches,
//! the model as the settings want it (LoRA or every weight), and the frozen reference's values.

use std::path::Path;

use candle_core::{DType, Device};
use candle_nn::VarMap;
use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use super::checkpoint;
use super::plan::{LearnData, LearnSettings};
use super::render::ChatRenderer;
use super::steps;
use crate::arch::QwenConfig;
use crate::data::Encoded;
use crate::methods::Method;
use crate::model::Qwen;
use crate::{weights, TrainError};

/// A batch of one method, by example index.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum Work {
    Sft(Vec<usize>),
    Dpo(Vec<usize>),
    Kto(Vec<usize>),
    Grpo(Vec<usize>),
}

impl Work {
    pub(crate) fn method(&self) -> Method {
        match self {
            Work::Sft(_) => Method::Sft,
            Work::Dpo(_) => Method::Dpo,
            Work::Kto(_) => Method::Kto,
            Work::Grpo(_) => Method::Grpo,
        }
    }
}

/// Examples tokenized with the model's template; `None` where one does not fit the context.
pub(crate) struct Encodings {
    pub(crate) sft: Vec<Option<Encoded>>,
    pub(crate) pairs: Vec<Option<(Encoded, Encoded)>>,
    pub(crate) thumbs: Vec<Option<(Encoded, Encoded)>>,
    pub(crate) prompts: Vec<Option<Vec<u32>>>,
}

pub(crate) fn encode_all(
    r: &ChatRenderer,
    data: &LearnData,
    s: &LearnSettings,
    context: usize,
) -> Result<Encodings, TrainError> {
    let fits = |e: Encoded| (e.ids.len() <= context && e.ids.len() <= s.batch_tokens).then_some(e);
    let uses = |m: Method| s.methods.contains(&m);
    let mut out =
        Encodings { sft: Vec::new(), pairs: Vec::new(), thumbs: Vec::new(), prompts: Vec::new() };
    if uses(Method::Sft) {
        for e in &data.sft {
            out.sft.push(fits(r.encode(&e.prompt, &e.completion)?));
        }
    }
    if uses(Method::Dpo) {
        for p in &data.pairs {
            let (c, j) =
                (fits(r.encode(&p.prompt, &p.chosen)?), fits(r.encode(&p.prompt, &p.rejected)?));
            out.pairs.push(c.zip(j));
        }
    }
    if uses(Method::Kto) {
        let n = data.thumbs.len();
        for (i, t) in data.thumbs.iter().enumerate() {
            // KTO's KL estimate pairs each prompt with another example's answer.
            let other = &data.thumbs[(i + 1) % n].completion;
            let (row, mis) =
                (fits(r.encode(&t.prompt, &t.completion)?), fits(r.encode(&t.prompt, other)?));
            out.thumbs.push(row.zip(mis));
        }
    }
    if uses(Method::Grpo) {
        for q in &data.references {
            let ids = r.prompt_ids(&q.prompt, true)?;
            out.prompts
                .push((ids.len() + s.sample.max_new_tokens.min(64) <= context).then_some(ids));
        }
    }
    Ok(out)
}

/// Batches of every method over all epochs, interleaved in a seeded order.
pub(crate) fn plan_work(enc: &Encodings, s: &LearnSettings) -> Vec<Work> {
    let mut rng = ChaCha8Rng::seed_from_u64(s.seed);
    let by_tokens = |lens: Vec<(usize, usize)>, rng: &mut ChaCha8Rng| -> Vec<Vec<usize>> {
        let mut order = lens;
        order.shuffle(rng);
        let mut out: Vec<Vec<usize>> = Vec::new();
        let (mut current, mut width) = (Vec::new(), 0);
        for (i, len) in order {
            if !current.is_empty() && len.max(width) * (current.len() + 1) > s.batch_tokens {
                out.push(std::mem::take(&mut current));
                width = 0;
            }
            width = width.max(len);
            current.push(i);
        }
        if !current.is_empty() {
            out.push(current);
        }
        out
    };
    let mut all = Vec::new();
    for _ in 0..s.epochs.max(1) {
        let sft = enc
            .sft
            .iter()
            .enumerate()
            .filter_map(|(i, e)| e.as_ref().map(|e| (i, e.ids.len())))
            .collect();
        all.extend(by_tokens(sft, &mut rng).into_iter().map(Work::Sft));
        let pairs = enc
            .pairs
            .iter()
            .enumerate()
            .filter_map(|(i, p)| p.as_ref().map(|(c, r)| (i, 2 * c.ids.len().max(r.ids.len()))))
            .collect();
        all.extend(by_tokens(pairs, &mut rng).into_iter().map(Work::Dpo));
        let thumbs = enc
            .thumbs
            .iter()
            .enumerate()
            .filter_map(|(i, t)| t.as_ref().map(|(e, _)| (i, e.ids.len())))
            .collect();
        all.extend(by_tokens(thumbs, &mut rng).into_iter().map(Work::Kto));
        let mut questions: Vec<usize> =
            enc.prompts.iter().enumerate().filter(|(_, p)| p.is_some()).map(|(i, _)| i).collect();
        questions.shuffle(&mut rng);
        all.extend(questions.chunks(s.questions_per_step.max(1)).map(|c| Work::Grpo(c.to_vec())));
    }
    all.shuffle(&mut rng);
    all
}

/// The base model, trainable as the settings say, with its reference for GRPO when every weight trains.
pub(crate) fn load_model(
    base: &Path,
    s: &LearnSettings,
    device: &Device,
) -> Result<(Qwen, VarMap, Option<Qwen>), TrainError> {
    match &s.lora {
        Some(lora) => {
            let cfg = QwenConfig::read(base)?;
            let stored = weights::stored_dtype(base);
            // bf16 checkpoints stay bf16 on a GPU (half the memory). candle's CPU matmul has no bf16
            // kernel, and a bf16 weight widened for each product stays alive in the graph until the
            // backward pass, so on the CPU the frozen weights are f32 from the start.
            let keep =
                if stored == DType::BF16 && !device.is_cpu() { DType::BF16 } else { DType::F32 };
            let tensors = weights::read_folder(base, device, keep)?;
            let mut model = Qwen::frozen(&cfg, &tensors)?;
            let vars = VarMap::new();
            model.attach_lora(lora, &vars, s.seed)?;
            Ok((model, vars, None))
        }
        None => {
            let (model, vars) = Qwen::load_hf(base, device)?;
            let reference = (s.methods.contains(&Method::Grpo) && s.grpo.beta != 0.0)
                .then(|| model.frozen_copy())
                .transpose()?;
            Ok((model, vars, reference))
        }
    }
}

/// The reference's summed log-probabilities of every DPO answer and KTO answer (and mismatched pair).
pub(crate) fn reference_values(
    model: &Qwen,
    enc: &Encodings,
    pad: u32,
) -> Result<checkpoint::ReferenceValues, TrainError> {
    let pairs = paired_values(model, &enc.pairs, pad)?;
    let thumbs = paired_values(model, &enc.thumbs, pad)?;
    Ok(checkpoint::ReferenceValues { pairs, thumbs })
}

/// The reference's value of both rows of each entry (`(0, 0)` for one left out as too long).
fn paired_values(
    model: &Qwen,
    rows: &[Option<(Encoded, Encoded)>],
    pad: u32,
) -> Result<Vec<(f32, f32)>, TrainError> {
    let flat: Vec<&Encoded> = rows.iter().flatten().flat_map(|(a, b)| [a, b]).collect();
    let values = steps::sequence_values(model, &flat, pad, false)?;
    let mut it = values.chunks(2);
    Ok(rows
        .iter()
        .map(|r| r.as_ref().and_then(|_| it.next()).map_or((0.0, 0.0), |v| (v[0], v[1])))
        .collect())
}
