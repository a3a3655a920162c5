//! Think longer: a logits processor that keeps a chain of thought open for a minimum of tokens. Until
//! then `</think>` is masked, and where the model would have closed its thinking (`</think>` its most
//! likely token) a nudge such as "Wait" is written instead, so it checks its work (budget forcing).

use std::hash::{Hash, Hasher};
use std::sync::{Mutex, OnceLock};

use mistralrs::{CustomLogitsProcessor, DType, Tensor};

use crate::budget::{force, open_thinking, ThinkTags};

/// The nudge when none is given: what s1 and Qwen's own chains use to reconsider.
pub const DEFAULT_NUDGE: &str = "\n\nWait";

/// Keeps thinking open for `min` tokens (the model's own; a person's fixed step does not count).
pub struct MinThinking {
    tags: ThinkTags,
    min: usize,
    /// The nudge's tokens, written one per step.
    nudge: Vec<u32>,
    /// End-of-turn tokens: ending the reply inside the thinking is stopping it too.
    ends: Vec<u32>,
    prompt_opens: bool,
    prompt_len: OnceLock<usize>,
    /// Nudges being written: where each began and a hash of the context before it, which tells the
    /// sequences of one request (they share this processor) apart.
    writing: Mutex<Vec<(usize, u64)>>,
}

fn hash_of(tokens: &[u32]) -> u64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    tokens.hash(&mut h);
    h.finish()
}

/// What the processor does at one step.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    /// Nothing: no open thinking, or its minimum is reached.
    Free,
    /// `</think>` masked, the rest left to the sampler.
    NoClose,
    /// This token forced (the nudge's next one).
    Write(u32),
}

impl MinThinking {
    /// A processor keeping thinking open for `min` tokens and writing `nudge` (its tokens, non-empty)
    /// where the model would close early or end its turn (`ends`: `<|im_end|>`, `<|endoftext|>`);
    /// `prompt_opens` as for the thinking budget.
    pub fn new(
        tags: ThinkTags,
        min: usize,
        nudge: Vec<u32>,
        ends: Vec<u32>,
        prompt_opens: bool,
    ) -> Self {
        Self {
            tags,
            min,
            nudge,
            ends,
            prompt_opens,
            prompt_len: OnceLock::new(),
            writing: Mutex::new(Vec::new()),
        }
    }

    /// The step for `context`, given whether `</think>` is the model's most likely next token.
    pub fn step(&self, context: &[u32], close_is_likeliest: bool) -> Step {
        let prompt_len = *self.prompt_len.get_or_init(|| context.len());
        let Some(thought) = open_thinking(self.tags, prompt_len, self.prompt_opens, context) else {
            return Step::Free;
        };
        let mut writing = self.writing.lock().unwrap_or_else(|e| e.into_inner());
        // A nudge under way in this sequence goes on, whatever the count, so it is never cut.
        let mine = writing
            .iter()
            .position(|&(start, h)| start < context.len() && hash_of(&context[..start]) == h);
        if let Some(i) = mine {
            let (start, _) = writing[i];
            let written = context.len() - start;
            if written < self.nudge.len() {
                return Step::Write(self.nudge[written]);
            }
            writing.swap_remove(i);
        }
        if thought >= self.min || self.nudge.is_empty() {
            return Step::Free;
        }
        if close_is_likeliest {
            writing.push((context.len(), hash_of(context)));
            return Step::Write(self.nudge[0]);
        }
        Step::NoClose
    }
}

impl CustomLogitsProcessor for MinThinking {
    fn apply(&self, logits: &Tensor, context: &[u32]) -> mistralrs::Result<Tensor> {
        let values = logits.to_dtype(DType::F32)?.flatten_all()?.to_vec1::<f32>()?;
        let stopping: Vec<usize> = std::iter::once(self.tags.close)
            .chain(self.ends.iter().copied())
            .map(|t| t as usize)
            .filter(|&t| t < values.len())
            .collect();
        let best = values.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        let likeliest = stopping.iter().any(|&t| values[t] >= best);
        match self.step(context, likeliest) {
            Step::Free => Ok(logits.clone()),
            Step::Write(token) => force(logits, token),
            Step::NoClose => {
                let mut mask = vec![0.0f32; values.len()];
                for t in stopping {
                    mask[t] = f32::NEG_INFINITY;
                }
                let mask = Tensor::from_vec(mask, values.len(), logits.device())?
                    .to_dtype(logits.dtype())?;
                logits.broadcast_add(&mask)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TAGS: ThinkTags = ThinkTags { open: 1, close: 2 };
    const NUDGE: [u32; 2] = [7, 8];

    /// Runs the processor as a sampler would, the model wanting to close whenever `wants_close(n)` for
    /// its n-th own token; returns the generated tokens.
    fn run(
        p: &MinThinking,
        prompt: &[u32],
        steps: usize,
        wants_close: impl Fn(usize) -> bool,
    ) -> Vec<u32> {
        let mut context = prompt.to_vec();
        for n in 0..steps {
            let wants = wants_close(n);
            let token = match p.step(&context, wants) {
                Step::Write(t) => t,
                Step::NoClose if wants => 5, // its second choice
                Step::NoClose => 5,
                Step::Free if wants => TAGS.close,
                Step::Free => 5,
            };
            context.push(token);
            if token == TAGS.close {
                break;
            }
        }
        context[prompt.len()..].to_vec()
    }

    #[test]
    fn an_early_close_becomes_the_nudge_until_the_minimum() {
        let p = MinThinking::new(TAGS, 6, NUDGE.to_vec(), vec![], false);
        // The model wants to close at its 2nd token, and again at every later one.
        let out = run(&p, &[9, 9, 1], 20, |n| n >= 1);
        assert_eq!(&out[..3], &[5, 7, 8], "the close became the whole nudge");
        let close_at = out.iter().position(|&t| t == TAGS.close).expect("closes in the end");
        assert!(close_at >= 6, "not before the minimum: {out:?}");
    }

    #[test]
    fn a_nudge_is_never_cut_at_the_minimum() {
        let p = MinThinking::new(TAGS, 3, NUDGE.to_vec(), vec![], false);
        let out = run(&p, &[9, 1], 20, |n| n == 2);
        assert_eq!(out, [5, 5, 7, 8, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5]);
    }

    #[test]
    fn after_the_minimum_or_outside_thinking_it_does_nothing() {
        let p = MinThinking::new(TAGS, 2, NUDGE.to_vec(), vec![], false);
        assert_eq!(p.step(&[9, 1], false), Step::NoClose, "the prompt: nothing thought yet");
        assert_eq!(p.step(&[9, 1, 5, 5], true), Step::Free);
        let q = MinThinking::new(TAGS, 50, NUDGE.to_vec(), vec![], false);
        assert_eq!(q.step(&[9, 9], true), Step::Free, "no thinking block");
        assert_eq!(q.step(&[9, 9, 1, 5, 2, 4], true), Step::Free, "closed already");
    }

    #[test]
    fn sequences_of_one_request_keep_their_own_nudges() {
        let p = MinThinking::new(TAGS, 10, NUDGE.to_vec(), vec![], false);
        let a = [9, 1, 5];
        let b = [9, 1, 6];
        assert_eq!(p.step(&a, true), Step::Write(7));
        assert_eq!(p.step(&b, false), Step::NoClose, "the other sequence is not nudged");
        assert_eq!(p.step(&[9, 1, 5, 7], false), Step::Write(8));
        assert_eq!(p.step(&[9, 1, 6, 5], false), Step::NoClose);
    }

    #[test]
    fn the_mask_leaves_everything_but_the_close() {
        let p = MinThinking::new(TAGS, 5, NUDGE.to_vec(), vec![4], false);
        let logits =
            Tensor::new(&[0.5f32, 3.0, 1.0, 2.0, 0.0, 0.0, 0.0, 0.0, 0.0], &mistralrs::Device::Cpu)
                .unwrap();
        p.apply(&logits, &[9]).unwrap();
        let out = p.apply(&logits, &[9, 1]).unwrap().to_vec1::<f32>().unwrap();
        assert_eq!(
            (out[2], out[4]),
            (f32::NEG_INFINITY, f32::NEG_INFINITY),
            "close and end masked"
        );
        assert_eq!(out[1], 3.0);
        let wants =
            Tensor::new(&[0.5f32, 0.0, 9.0, 2.0, 0.0, 0.0, 0.0, 0.0, 0.0], &mistralrs::Device::Cpu)
                .unwrap();
        let forced = p.apply(&wants, &[9, 1, 5]).unwrap().to_vec1::<f32>().unwrap();
        assert!(
            forced.iter().enumerate().all(|(i, v)| (i == 7) != (*v == f32::NEG_INFINITY)),
            "{forced:?}"
        );
    }
}
