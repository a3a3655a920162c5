//! Rehearsal: examples of what the parent already does well, mixed into the SFT data so that learning
//! the person's new material does not erase it (replay against catastrophic forgetting).

use ponder_train::learn::data::{Msg, SftExample};
use ponder_train::tasks::{Generator, Split};

/// Rehearsal examples a run mixes into its SFT data when nothing else is asked for.
pub const DEFAULT_REHEARSAL: usize = 256;

/// Seed of the rehearsal problems: fixed, so a resumed run rehearses the same ones.
const REHEARSAL_SEED: u64 = 0x5eed_4e4e;

/// `count` rehearsal examples for a model named `name`. For ponder-tiny and the versions learned from
/// it: problems drawn from the recipe's own training mix (never from the held-out split, so the
/// regression check stays unseen), with the recipe's chains of thought inline. Other models come with
/// no training data of their own, so they get none; their runs rely on the person's up-voted answers
/// and on the methods' own pull towards the reference (DPO's, KTO's and GRPO's KL terms).
pub fn rehearsal_examples(name: &str, count: usize) -> Vec<SftExample> {
    if !crate::bundled_lineage(name) {
        return Vec::new();
    }
    let mut problems = Generator::new(REHEARSAL_SEED, Split::Train);
    (0..count)
        .map(|_| {
            let p = problems.mixed();
            SftExample {
                prompt: vec![Msg::user(&p.question)],
                completion: Msg::assistant_inline(&p.thinking, &p.answer),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_bundled_lineage_rehearses_and_always_the_same_problems() {
        assert!(rehearsal_examples("Qwen/Qwen3-0.6B", 8).is_empty());
        let once = rehearsal_examples("ponder-tiny-learned-2", 32);
        assert_eq!(once.len(), 32);
        assert_eq!(once, rehearsal_examples("ponder-tiny", 32));
        assert!(once.iter().all(|e| !e.completion.thinking().trim().is_empty()));
        assert!(once.iter().all(|e| !e.completion.answer().is_empty()));
    }

    #[test]
    fn rehearsal_never_shows_a_regression_problem() {
        let regression: Vec<String> = crate::evaluate::regression_questions("ponder-tiny", 600)
            .into_iter()
            .map(|q| q.prompt[0].content.clone())
            .collect();
        let rehearsed = rehearsal_examples("ponder-tiny", 2000);
        assert!(rehearsed.iter().all(|e| !regression.contains(&e.prompt[0].content)));
    }
}
