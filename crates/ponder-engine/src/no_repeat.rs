//! `no_repeat_ngram_size` as a logits processor (mistral.rs has no such option): a token that would
//! complete an n-gram the reply already contains is masked, so a chain of thought cannot fall into a
//! loop of the same phrase. Only the reply's own tokens count, not the prompt's, so an answer may still
//! quote the question.

use std::sync::OnceLock;

use mistralrs::{CustomLogitsProcessor, Tensor};

/// The tokens that would repeat an n-gram of `generated` if they came next (HF's semantics: with
/// `n = 1`, every token already generated).
pub fn banned_next(generated: &[u32], n: usize) -> Vec<u32> {
    if n == 0 || generated.len() < n {
        return if n == 1 { generated.to_vec() } else { Vec::new() };
    }
    let prefix = &generated[generated.len() - (n - 1)..];
    let mut banned: Vec<u32> =
        generated.windows(n).filter(|w| &w[..n - 1] == prefix).map(|w| w[n - 1]).collect();
    banned.sort_unstable();
    banned.dedup();
    banned
}

/// Masks every token that would repeat an n-gram of the reply.
pub struct NoRepeatNgram {
    n: usize,
    prompt_len: OnceLock<usize>,
}

impl NoRepeatNgram {
    /// A processor for n-grams of `n` tokens.
    pub fn new(n: usize) -> Self {
        Self { n, prompt_len: OnceLock::new() }
    }
}

impl CustomLogitsProcessor for NoRepeatNgram {
    fn apply(&self, logits: &Tensor, context: &[u32]) -> mistralrs::Result<Tensor> {
        let prompt_len = (*self.prompt_len.get_or_init(|| context.len())).min(context.len());
        let banned = banned_next(&context[prompt_len..], self.n);
        let vocab = logits.dims().last().copied().unwrap_or(0);
        // Never every token: the sampler needs one to choose (a vocabulary of thousands makes this
        // theoretical outside tests).
        if banned.is_empty() || banned.len() >= vocab {
            return Ok(logits.clone());
        }
        let mut mask = vec![0.0f32; vocab];
        for t in banned {
            if let Some(m) = mask.get_mut(t as usize) {
                *m = f32::NEG_INFINITY;
            }
        }
        let mask = Tensor::from_vec(mask, vocab, logits.device())?.to_dtype(logits.dtype())?;
        logits.broadcast_add(&mask)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn has_repeat(tokens: &[u32], n: usize) -> bool {
        let mut seen = std::collections::HashSet::new();
        tokens.windows(n).any(|w| !seen.insert(w.to_vec()))
    }

    #[test]
    fn bans_what_would_complete_a_seen_ngram() {
        assert_eq!(banned_next(&[1, 2, 3, 1, 2], 3), [3]);
        assert_eq!(banned_next(&[1, 2, 3, 1], 2), [2]);
        assert!(banned_next(&[1, 2, 3, 1, 4], 2).is_empty(), "4 was never followed");
        assert_eq!(banned_next(&[5, 6, 5], 1), [5, 6]);
        assert!(banned_next(&[1, 2], 3).is_empty());
    }

    #[test]
    fn the_prompt_is_not_counted() {
        let p = NoRepeatNgram::new(2);
        let logits = Tensor::new(&[1.0f32; 6], &mistralrs::Device::Cpu).unwrap();
        // The prompt [1, 2, 1] (the first call) repeats freely; in the reply [3, 4, 3], 4 is banned.
        assert_eq!(p.apply(&logits, &[1, 2, 1]).unwrap().to_vec1::<f32>().unwrap(), [1.0; 6]);
        let out = p.apply(&logits, &[1, 2, 1, 3, 4, 3]).unwrap().to_vec1::<f32>().unwrap();
        assert_eq!(out, [1.0, 1.0, 1.0, 1.0, f32::NEG_INFINITY, 1.0]);
    }

    proptest! {
        /// Whatever the model prefers (random logits, a small vocabulary to make repeats likely),
        /// greedy decoding through the processor never emits a repeated n-gram.
        #[test]
        fn never_emits_a_repeated_ngram(
            n in 1usize..5,
            vocab in 12usize..24,
            seed in any::<u64>(),
            prompt in proptest::collection::vec(0u32..12, 0..6),
        ) {
            let p = NoRepeatNgram::new(n);
            let mut context = prompt.clone();
            let mut state = seed | 1;
            for _ in 0..(vocab - 1) {
                let logits: Vec<f32> = (0..vocab)
                    .map(|_| {
                        state ^= state << 13; state ^= state >> 7; state ^= state << 17;
                        (state % 1000) as f32 / 100.0
                    })
                    .collect();
                let t = Tensor::from_vec(logits, vocab, &mistralrs::Device::Cpu).unwrap();
                let out = p.apply(&t, &context).unwrap().to_vec1::<f32>().unwrap();
                let next = (0..vocab).max_by(|&a, &b| out[a].total_cmp(&out[b])).unwrap() as u32;
                prop_assert!(out[next as usize].is_finite(), "a banned token was all that was left");
                context.push(next);
            }
            prop_assert!(!has_repeat(&context[prompt.len()..], n), "{:?}", &context[prompt.len()..]);
        }
    }
}
