//! Turns problems into token ids with a loss mask, and groups them into length-sorted batches.

use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use tokenizers::Tokenizer;

use crate::tasks::{Generator, Problem, Split};
use crate::template::{self, TextExample};
use crate::TrainError;

/// One tokenized example: ids, and which positions the loss is computed on (the assistant's tokens).
#[derive(Clone, Debug)]
pub struct Encoded {
    /// Prompt then completion.
    pub ids: Vec<u32>,
    /// `true` where `ids[i]` is part of the completion.
    pub trained: Vec<bool>,
}

/// How the training stream mixes modes.
#[derive(Clone, Copy, Debug)]
pub struct Mix {
    /// Fraction of examples with thinking on (the rest answer directly, like Qwen3's hybrid mode).
    pub thinking: f64,
    /// Fraction of examples that follow an earlier exchange in the same conversation.
    pub history: f64,
}

/// `count` text examples from a seeded generator.
pub fn text_examples(
    seed: u64,
    split: Split,
    count: usize,
    mix: Mix,
) -> Vec<(Problem, TextExample)> {
    let mut gen = Generator::new(seed, split);
    let mut out = Vec::with_capacity(count);
    while out.len() < count {
        let history = if gen.rng().random_bool(mix.history) { Some(gen.mixed()) } else { None };
        let p = gen.mixed();
        let thinking = gen.rng().random_bool(mix.thinking);
        let ex = template::example(&p, thinking, history.as_ref());
        out.push((p, ex));
    }
    out
}

/// Encodes an example; the prompt's tokens must be a prefix of the whole text's tokens.
pub fn encode(tokenizer: &Tokenizer, ex: &TextExample) -> Result<Encoded, TrainError> {
    let prompt = tokenizer.encode(ex.prompt.as_str(), false).map_err(TrainError::tokenizer)?;
    let full = format!("{}{}", ex.prompt, ex.completion);
    let all = tokenizer.encode(full.as_str(), false).map_err(TrainError::tokenizer)?;
    let (p, ids) = (prompt.get_ids(), all.get_ids());
    if !ids.starts_with(p) {
        return Err(TrainError::Tokenizer(format!(
            "prompt tokens are not a prefix: {:?}",
            ex.prompt
        )));
    }
    let trained = (0..ids.len()).map(|i| i >= p.len()).collect();
    Ok(Encoded { ids: ids.to_vec(), trained })
}

/// A batch: indices into the encoded examples, padded to the longest one.
#[derive(Clone, Debug)]
pub struct Batch {
    /// Which examples.
    pub members: Vec<usize>,
    /// Tokens per row after padding.
    pub width: usize,
}

/// Groups examples of similar length so little compute goes to padding, then shuffles the batches.
pub fn batches(examples: &[Encoded], batch_tokens: usize, seed: u64) -> Vec<Batch> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut order: Vec<usize> = (0..examples.len()).collect();
    order.shuffle(&mut rng);
    let mut out = Vec::new();
    // Sort within windows rather than globally, so each stretch of training still sees every kind.
    for window in order.chunks(4096) {
        let mut w = window.to_vec();
        w.sort_by_key(|&i| examples[i].ids.len());
        let mut current: Vec<usize> = Vec::new();
        let mut width = 0;
        for i in w {
            let len = examples[i].ids.len();
            if !current.is_empty() && len.max(width) * (current.len() + 1) > batch_tokens {
                out.push(Batch { members: std::mem::take(&mut current), width });
                width = 0;
            }
            width = width.max(len);
            current.push(i);
        }
        if !current.is_empty() {
            out.push(Batch { members: current, width });
        }
    }
    out.shuffle(&mut rng);
    out
}

/// Inputs `[rows, width-1]`, targets and a 0/1 loss mask as flat row-major vectors.
pub fn tensors_for(
    examples: &[Encoded],
    batch: &Batch,
    pad: u32,
) -> (Vec<u32>, Vec<u32>, Vec<f32>) {
    let w = batch.width - 1;
    let mut inputs = Vec::with_capacity(batch.members.len() * w);
    let mut targets = Vec::with_capacity(batch.members.len() * w);
    let mut mask = Vec::with_capacity(batch.members.len() * w);
    for &m in &batch.members {
        let e = &examples[m];
        for i in 0..w {
            inputs.push(e.ids.get(i).copied().unwrap_or(pad));
            targets.push(e.ids.get(i + 1).copied().unwrap_or(pad));
            mask.push(if e.trained.get(i + 1).copied().unwrap_or(false) { 1.0 } else { 0.0 });
        }
    }
    (inputs, targets, mask)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn enc(n: usize) -> Encoded {
        Encoded { ids: vec![1; n], trained: (0..n).map(|i| i >= n / 2).collect() }
    }

    #[test]
    fn batches_cover_every_example_once_within_budget() {
        let ex: Vec<Encoded> = (0..500).map(|i| enc(20 + i % 180)).collect();
        let bs = batches(&ex, 2048, 1);
        let mut seen: Vec<usize> = bs.iter().flat_map(|b| b.members.clone()).collect();
        seen.sort();
        assert_eq!(seen, (0..500).collect::<Vec<_>>());
        for b in &bs {
            assert!(b.width * b.members.len() <= 2048 || b.members.len() == 1);
        }
    }

    #[test]
    fn loss_mask_covers_only_completion_targets() {
        let ex = vec![
            Encoded { ids: vec![5, 6, 7, 8], trained: vec![false, false, true, true] },
            enc(2),
        ];
        let b = Batch { members: vec![0, 1], width: 4 };
        let (inp, tgt, mask) = tensors_for(&ex, &b, 0);
        assert_eq!(inp[..3], [5, 6, 7]);
        assert_eq!(tgt[..3], [6, 7, 8]);
        assert_eq!(mask[..3], [0.0, 1.0, 1.0]);
        assert_eq!(mask[3..], [1.0, 0.0, 0.0], "padding is never trained");
    }
}
