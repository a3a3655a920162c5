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

/// Once the model has generated `budget` tokens inside an open thinking block, every token but
/// `</think>` is masked, so it closes its thinking and answers. Only the model's own tokens count: a
/// person's fixed step in the prompt, however long, does not spend the budget.
pub struct ThinkingBudget {
    tags: ThinkTags,
    budget: usize,
    /// The prompt ends inside a thinking block it opened (a continued fixed step), however far back.
    prompt_opens: bool,
    /// Length of the prompt: the context the first sampling step sees.
    prompt_len: OnceLock<usize>,
}

impl ThinkingBudget {
    /// A processor allowing `budget` thinking tokens; `prompt_opens` when the prompt ends inside a
    /// thinking block (a continuation), wherever its `<think>` is.
    pub fn new(tags: ThinkTags, budget: usize, prompt_opens: bool) -> Self {
        Self { tags, budget, prompt_opens, prompt_len: OnceLock::new() }
    }

    /// Whether the next token must be `</think>`, given the prompt and everything generated so far.
    pub fn must_close(&self, context: &[u32]) -> bool {
        let prompt_len = *self.prompt_len.get_or_init(|| context.len());
        open_thinking(self.tags, prompt_len, self.prompt_opens, context)
            .is_some_and(|n| n >= self.budget)
    }
}

/// The tokens the model has generated inside a thinking block still open at the end of `context`, or
/// `None` when no block is open. `prompt_len` is where the prompt ends; `prompt_opens` when the prompt
/// ends inside a block it opened (a continued fixed step), however far back its `<think>` is.
pub(crate) fn open_thinking(
    tags: ThinkTags,
    prompt_len: usize,
    prompt_opens: bool,
    context: &[u32],
) -> Option<usize> {
    let prompt_len = prompt_len.min(context.len());
    let search_from = prompt_len.saturating_sub(PROMPT_TAIL);
    let open_at = context[search_from..]
        .iter()
        .rposition(|&t| t == tags.open)
        .map(|i| i + search_from)
        .or(prompt_opens.then(|| prompt_len.saturating_sub(1)))?;
    if context[open_at + 1..].contains(&tags.close) {
        return None;
    }
    Some(context.len() - (open_at + 1).max(prompt_len))
}

/// Logits that leave only `only` to sample. Built from zeros, not added to `logits`: an earlier
/// processor may have banned `only` (no_repeat_ngram_size banning a nudge's repeat), and a forced
/// token added to its ban would leave nothing to sample at all.
pub(crate) fn force(logits: &Tensor, only: u32) -> mistralrs::Result<Tensor> {
    let vocab = logits.dims().last().copied().unwrap_or(0);
    if only as usize >= vocab {
        return Ok(logits.clone());
    }
    let mut mask = vec![f32::NEG_INFINITY; vocab];
    mask[only as usize] = 0.0;
    let mask = Tensor::from_vec(mask, vocab, logits.device())?.to_dtype(logits.dtype())?;
    logits.zeros_like()?.broadcast_add(&mask)
}

impl CustomLogitsProcessor for ThinkingBudget {
    fn apply(&self, logits: &Tensor, context: &[u32]) -> mistralrs::Result<Tensor> {
        if !self.must_close(context) {
            return Ok(logits.clone());
        }
        force(logits, self.tags.close)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TAGS: ThinkTags = ThinkTags { open: 1, close: 2 };

    #[test]
    fn a_forced_token_is_sampled_even_where_another_processor_banned_it() {
        let banned =
            Tensor::new(&[0.5f32, f32::NEG_INFINITY, 2.0], &mistralrs::Device::Cpu).unwrap();
        let forced = force(&banned, 1).unwrap().to_vec1::<f32>().unwrap();
        assert_eq!(forced, [f32::NEG_INFINITY, 0.0, f32::NEG_INFINITY]);
    }

    #[test]
    fn closes_after_the_budget_inside_an_open_block() {
        let b = ThinkingBudget::new(TAGS, 3, false);
        let prompt = [9, 9, 9];
        assert!(!b.must_close(&prompt));
        assert!(!b.must_close(&[9, 9, 9, 1, 5, 5]));
        assert!(b.must_close(&[9, 9, 9, 1, 5, 5, 5]));
        assert!(!b.must_close(&[9, 9, 9, 1, 5, 5, 5, 2, 7]), "already closed");
    }

    #[test]
    fn counts_from_a_block_the_prompt_opened() {
        let b = ThinkingBudget::new(TAGS, 2, false);
        assert!(!b.must_close(&[9, 9, 1]));
        assert!(b.must_close(&[9, 9, 1, 5, 5]));
    }

    #[test]
    fn a_fixed_step_in_the_prompt_does_not_spend_the_budget() {
        // `<think>`, then a person's step of 12 tokens: past the tail, yet the block is open.
        let b = ThinkingBudget::new(TAGS, 2, true);
        let mut context = vec![9, 1];
        context.extend([6; 12]);
        assert!(!b.must_close(&context));
        context.push(5);
        assert!(!b.must_close(&context), "one token of the model's own");
        context.push(5);
        assert!(b.must_close(&context));
        context.extend([2, 7]);
        assert!(!b.must_close(&context), "closed");
    }

    #[test]
    fn a_short_fixed_step_counts_only_what_follows_it() {
        let b = ThinkingBudget::new(TAGS, 3, true);
        assert!(!b.must_close(&[9, 1, 6, 6, 6, 6]), "the person's four tokens are not the model's");
        assert!(b.must_close(&[9, 1, 6, 6, 6, 6, 5, 5, 5]));
    }

    #[test]
    fn ignores_tags_deep_in_earlier_turns() {
        let b = ThinkingBudget::new(TAGS, 1, false);
        let mut prompt = vec![1];
        prompt.extend([9; 20]);
        assert!(!b.must_close(&prompt));
        prompt.extend([5, 5]);
        assert!(!b.must_close(&prompt));
    }

    #[test]
    fn forced_logits_leave_only_the_closing_tag() {
        let b = ThinkingBudget::new(TAGS, 0, false);
        let logits = Tensor::new(&[0.5f32, 3.0, -1.0, 2.0], &mistralrs::Device::Cpu).unwrap();
        b.apply(&logits, &[9]).unwrap();
        let out = b.apply(&logits, &[9, 1]).unwrap().to_vec1::<f32>().unwrap();
        assert!(out[2].is_finite(), "{out:?}");
        assert!(out.iter().enumerate().all(|(i, v)| i == 2 || *v == f32::NEG_INFINITY));
    }
}
