//! The thinking budget: a logits processor that forces `</think>` once the model has thought long enough.

use std::sync::OnceLock;

use mistralrs::{CustomLogitsProcessor, Tensor};

/// How far back into the prompt an opening `<think>` still counts: templates such as DeepSeek-R1's open
/// the thinking block at the very end of the prompt.
const PROMPT_TAIL: usize = 8;

/// Token ids of the thinking tags in the loaded model's vocabulary.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ThinkTags {
    /// `<think>`.
    pub open: u32,
    /// `</think>`.
    pub close: u32,
}

/// Once `budget` tokens have been generated inside an open thinking block, every token but `</think>`
/// is masked, so the model closes its thinking and answers.
pub struct ThinkingBudget {
    tags: ThinkTags,
    budget: usize,
    /// Length of the prompt: the context the first sampling step sees.
    prompt_len: OnceLock<usize>,
}

impl ThinkingBudget {
    /// A processor allowing `budget` thinking tokens.
    pub fn new(tags: ThinkTags, budget: usize) -> Self {
        Self { tags, budget, prompt_len: OnceLock::new() }
    }

    /// Whether the next token must be `</think>`, given the prompt and everything generated so far.
    pub fn must_close(&self, context: &[u32]) -> bool {
        let prompt_len = *self.prompt_len.get_or_init(|| context.len());
        let search_from = prompt_len.saturating_sub(PROMPT_TAIL).min(context.len());
        let Some(open_at) = context[search_from..]
            .iter()
            .rposition(|&t| t == self.tags.open)
            .map(|i| i + search_from)
        else {
            return false;
        };
        let after = &context[open_at + 1..];
        !after.contains(&self.tags.close) && after.len() >= self.budget
    }
}

impl CustomLogitsProcessor for ThinkingBudget {
    fn apply(&self, logits: &Tensor, context: &[u32]) -> mistralrs::Result<Tensor> {
        if !self.must_close(context) {
            return Ok(logits.clone());
        }
        let vocab = logits.dims().last().copied().unwrap_or(0);
        let close = self.tags.close as usize;
        if close >= vocab {
            return Ok(logits.clone());
        }
        let mut mask = vec![f32::NEG_INFINITY; vocab];
        mask[close] = 0.0;
        let mask = Tensor::from_vec(mask, vocab, logits.device())?.to_dtype(logits.dtype())?;
        logits.broadcast_add(&mask)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TAGS: ThinkTags = ThinkTags { open: 1, close: 2 };

    #[test]
    fn closes_after_the_budget_inside_an_open_block() {
        let b = ThinkingBudget::new(TAGS, 3);
        let prompt = [9, 9, 9];
        assert!(!b.must_close(&prompt));
        assert!(!b.must_close(&[9, 9, 9, 1, 5, 5]));
        assert!(b.must_close(&[9, 9, 9, 1, 5, 5, 5]));
        assert!(!b.must_close(&[9, 9, 9, 1, 5, 5, 5, 2, 7]), "already closed");
    }

    #[test]
    fn counts_from_a_block_the_prompt_opened() {
        let b = ThinkingBudget::new(TAGS, 2);
        assert!(!b.must_close(&[9, 9, 1]));
        assert!(b.must_close(&[9, 9, 1, 5, 5]));
    }

    #[test]
    fn ignores_tags_deep_in_earlier_turns() {
        let b = ThinkingBudget::new(TAGS, 1);
        let mut prompt = vec![1];
        prompt.extend([9; 20]);
        assert!(!b.must_close(&prompt));
        prompt.extend([5, 5]);
        assert!(!b.must_close(&prompt));
    }

    #[test]
    fn forced_logits_leave_only_the_closing_tag() {
        let b = ThinkingBudget::new(TAGS, 0);
        let logits = Tensor::new(&[0.5f32, 3.0, -1.0, 2.0], &mistralrs::Device::Cpu).unwrap();
        b.apply(&logits, &[9]).unwrap();
        let out = b.apply(&logits, &[9, 1]).unwrap().to_vec1::<f32>().unwrap();
        assert_eq!(out[2], -1.0);
        assert!(out.iter().enumerate().all(|(i, v)| i == 2 || *v == f32::NEG_INFINITY));
    }
}
