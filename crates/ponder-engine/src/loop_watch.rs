//! Loop detection: notices when a chain of thought has started repeating itself word for word, the
//! failure long reasoning falls into ("Wait, let me check again. 7 + 5 = 12. Wait, let me check
//! again. 7 + 5 = 12. …"), so the engine can stop it and say so instead of spending the rest of the
//! token limit on it.
//!
//! A loop is a tail of the text with a period: the same block of `period` bytes, over and over, for
//! at least [`MIN_REPEATS`] whole repeats and [`MIN_SPAN`] bytes. Both bounds are there so that
//! honest text never trips it: a short block must repeat many times (`----` in a table rule is not a
//! loop; 240 bytes of it is), a long one at least three times in a row. Only exact repetition counts:
//! a chain that varies the numbers each round is left to the token limit and the repetition
//! penalties. The check runs over the last [`WINDOW`] bytes with the Z-function of the reversed tail,
//! so it costs one pass per check, and it checks every [`CHECK_EVERY`] new bytes.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// Fewest bytes a loop spans.
pub const MIN_SPAN: usize = 240;
/// Fewest whole repeats of the block.
pub const MIN_REPEATS: usize = 3;
/// How far back the check looks (so the longest block it finds is a third of it).
pub const WINDOW: usize = 8192;
/// New bytes between checks.
pub const CHECK_EVERY: usize = 32;

/// What repeated, as told to the person.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct Repetition {
    /// The repeated block (the last copy, cut to 200 characters).
    pub text: String,
    /// Its length in characters.
    pub chars: usize,
    /// Whole repeats in a row.
    pub times: usize,
}

impl Repetition {
    /// One line for the person: what repeated and how often.
    pub fn describe(&self) -> String {
        let shown: String = self.text.trim().chars().take(60).collect();
        let cut = if self.text.trim().chars().count() > 60 { "…" } else { "" };
        format!("the thinking repeated itself: \"{shown}{cut}\" {} times in a row", self.times)
    }
}

/// Watches one stream of text for a loop.
#[derive(Debug, Default)]
pub struct LoopWatch {
    tail: Vec<u8>,
    unchecked: usize,
}

impl LoopWatch {
    /// A watch over nothing yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds `text`; returns the repetition once the tail has become a loop.
    pub fn push(&mut self, text: &str) -> Option<Repetition> {
        self.tail.extend_from_slice(text.as_bytes());
        if self.tail.len() > 2 * WINDOW {
            self.tail.drain(..self.tail.len() - WINDOW);
        }
        self.unchecked += text.len();
        if self.unchecked < CHECK_EVERY {
            return None;
        }
        self.unchecked = 0;
        let start = self.tail.len().saturating_sub(WINDOW);
        find_loop(&self.tail[start..])
    }
}

/// The loop `text` ends in, if any: the shortest block that repeats enough.
pub fn find_loop(text: &[u8]) -> Option<Repetition> {
    if text.len() < MIN_SPAN {
        return None;
    }
    let reversed: Vec<u8> = text.iter().rev().copied().collect();
    let z = z_function(&reversed);
    // z[p] is how far the text, read backwards from its end, agrees with itself shifted by p: the
    // tail with period p spans z[p] + p bytes.
    for (period, &agree) in z.iter().enumerate().skip(1) {
        let span = agree + period;
        if span >= MIN_SPAN.max(MIN_REPEATS * period) {
            let times = span / period;
            let block = &text[text.len() - period..];
            let shown = String::from_utf8_lossy(block);
            return Some(Repetition {
                text: shown.chars().take(200).collect(),
                chars: shown.chars().count(),
                times,
            });
        }
        if MIN_REPEATS * period > text.len() {
            break;
        }
    }
    None
}

/// `z[i]`: the length of the longest common prefix of `s` and `s[i..]` (`z[0]` is `s.len()`).
fn z_function(s: &[u8]) -> Vec<usize> {
    let n = s.len();
    let mut z = vec![0; n];
    if n == 0 {
        return z;
    }
    z[0] = n;
    let (mut l, mut r) = (0, 0);
    for i in 1..n {
        if i < r {
            z[i] = z[i - l].min(r - i);
        }
        while i + z[i] < n && s[z[i]] == s[i + z[i]] {
            z[i] += 1;
        }
        if i + z[i] > r {
            l = i;
            r = i + z[i];
        }
    }
    z
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Streams `text` in chunks of `chunk` characters; the loop found and the text seen by then.
    fn watch_all(text: &str, chunk: usize) -> Option<(Repetition, String)> {
        let mut w = LoopWatch::new();
        let mut seen = String::new();
        let chars: Vec<char> = text.chars().collect();
        chars.chunks(chunk.max(1)).find_map(|c| {
            let piece: String = c.iter().collect();
            seen.push_str(&piece);
            w.push(&piece).map(|r| (r, seen.clone()))
        })
    }

    /// Whether `shown` is `block` started somewhere else (a check can land mid-block).
    fn is_rotation(shown: &str, block: &str) -> bool {
        shown.len() == block.len() && block.repeat(2).contains(shown)
    }

    #[test]
    fn a_sentence_said_over_and_over_is_a_loop() {
        let mut text = String::from("Okay, the question is 17 + 25. Let me add the ones first.\n");
        let again = "Wait, let me check again. 7 + 5 = 12, so I write 2 and carry 1.\n";
        for _ in 0..5 {
            text.push_str(again);
        }
        let (found, _) = watch_all(&text, 3).expect("a loop");
        assert!(is_rotation(&found.text, again), "{found:?}");
        assert!(found.times >= 3, "{found:?}");
        assert!(found.describe().contains("times in a row"), "{}", found.describe());
    }

    #[test]
    fn chinese_loops_are_found_and_shown_whole() {
        let text = "等等，我再检查一下。七加五等于十二。".repeat(12);
        let (found, _) = watch_all(&text, 1).expect("a loop");
        assert!(is_rotation(&found.text, "等等，我再检查一下。七加五等于十二。"), "{found:?}");
        assert_eq!(found.chars, 18);
    }

    #[test]
    fn honest_reasoning_that_varies_is_not_a_loop() {
        let mut text = String::new();
        for i in 0..200 {
            text.push_str(&format!("Step {i}: {i} + 1 = {}. ", i + 1));
        }
        assert!(watch_all(&text, 7).is_none());
        assert_eq!(find_loop(text.as_bytes()), None);
    }

    #[test]
    fn a_short_rule_or_two_repeats_are_not_loops() {
        assert_eq!(find_loop("-".repeat(MIN_SPAN - 1).as_bytes()), None);
        assert!(find_loop("-".repeat(MIN_SPAN).as_bytes()).is_some());
        let block =
            "A long paragraph that the model restates once, as people do when they sum up. "
                .repeat(2);
        assert_eq!(find_loop(block.as_bytes()), None);
    }

    proptest! {
        /// Any block said often enough at the end of any text is found, however it is streamed, and
        /// the reported block really repeats that often at the end.
        #[test]
        fn any_repeated_tail_is_found(
            lead in "[a-z ,.]{0,300}",
            block in "[a-z0-9 ,.=+]{4,120}",
            chunk in 1usize..64,
        ) {
            // Enough that a check falls after the loop is long enough, however the chunks land.
            let times = (MIN_SPAN + CHECK_EVERY + 64) / block.len() + MIN_REPEATS + 1;
            let text = format!("{lead}{}", block.repeat(times));
            let found = watch_all(&text, chunk);
            prop_assert!(found.is_some());
            let (found, seen) = found.unwrap();
            prop_assert!(seen.ends_with(&found.text.repeat(found.times)));
            prop_assert!(found.times >= MIN_REPEATS);
        }

        /// Text with no block repeated three times running is never called a loop.
        #[test]
        fn counting_is_never_a_loop(start in 0u64..1_000_000, n in 1usize..400) {
            let text: String = (start..start + n as u64).map(|i| format!("{i} ")).collect();
            prop_assert_eq!(find_loop(text.as_bytes()), None);
        }
    }
}
