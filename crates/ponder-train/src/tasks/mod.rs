//! Problems with verifiable answers, each with a digit-by-digit chain of thought.
//!
//! Generation is seeded and reproducible. Whether a problem is held out depends only on its operation and
//! operands (never on phrasing or language), so no held-out problem is ever seen in training in any form.

pub mod arith;
pub mod everyday;
pub mod phrasing;

use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use phrasing::WordOp;

/// The language a problem is asked (and worked) in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Lang {
    /// English.
    En,
    /// Simplified Chinese.
    Zh,
}

/// What a problem exercises; evaluation reports accuracy per kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum TaskKind {
    /// Addition, up to 4 digits each.
    Add,
    /// Subtraction with a non-negative result, up to 4 digits.
    Sub,
    /// Up to 3 digits times 1 digit.
    Mul,
    /// Which of two numbers is larger or smaller.
    Compare,
    /// A short story hiding an addition, subtraction or multiplication.
    Word,
    /// Greetings and off-topic requests (not graded).
    Chat,
}

impl TaskKind {
    /// Every kind that has a checkable answer.
    pub const GRADED: [TaskKind; 5] =
        [TaskKind::Add, TaskKind::Sub, TaskKind::Mul, TaskKind::Compare, TaskKind::Word];

    /// Short lowercase name used in reports.
    pub fn name(self) -> &'static str {
        match self {
            TaskKind::Add => "add",
            TaskKind::Sub => "sub",
            TaskKind::Mul => "mul",
            TaskKind::Compare => "compare",
            TaskKind::Word => "word",
            TaskKind::Chat => "chat",
        }
    }
}

/// One problem: the question, the thinking that solves it, the final answer and the number to check.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Problem {
    /// What it exercises.
    pub kind: TaskKind,
    /// Language of question, thinking and answer.
    pub lang: Lang,
    /// The user's message.
    pub question: String,
    /// The chain of thought, without the `<think>` tags.
    pub thinking: String,
    /// The final answer shown to the user.
    pub answer: String,
    /// The number a correct answer states (`None` for small talk).
    pub expected: Option<i64>,
}

/// FNV-1a: a stable hash (std's `DefaultHasher` may change between Rust releases).
fn fnv1a(text: &str) -> u64 {
    text.bytes()
        .fold(0xcbf2_9ce4_8422_2325, |h, b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3))
}

/// One problem in 32 (by operation and operands) is reserved for evaluation.
pub fn is_held_out(op: &str, a: i64, b: i64) -> bool {
    fnv1a(&format!("{op}:{a}:{b}")).is_multiple_of(32)
}

/// Which split to draw from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Split {
    /// Problems for training (never held out).
    Train,
    /// Held-out problems for evaluation.
    HeldOut,
}

/// A seeded, endless source of problems from one split.
pub struct Generator {
    rng: ChaCha8Rng,
    split: Split,
}

/// A number with a uniformly chosen digit count in `min_digits..=max_digits`.
fn number(rng: &mut impl Rng, min_digits: u32, max_digits: u32) -> i64 {
    let d = rng.random_range(min_digits..=max_digits);
    let lo = if d == 1 { 0 } else { 10i64.pow(d - 1) };
    rng.random_range(lo..10i64.pow(d))
}

impl Generator {
    /// A generator for `split`; the same seed always yields the same problems.
    pub fn new(seed: u64, split: Split) -> Self {
        Self { rng: ChaCha8Rng::seed_from_u64(seed), split }
    }

    fn operands(&mut self, op: &str, pick: impl Fn(&mut ChaCha8Rng) -> (i64, i64)) -> (i64, i64) {
        loop {
            let (a, b) = pick(&mut self.rng);
            if is_held_out(op, a, b) == (self.split == Split::HeldOut) {
                return (a, b);
            }
        }
    }

    /// A problem of the given kind in the given language.
    pub fn problem(&mut self, kind: TaskKind, lang: Lang) -> Problem {
        let (question, thinking, answer, expected) = match kind {
            TaskKind::Add | TaskKind::Sub | TaskKind::Mul => {
                let (sym, a, b, work) = self.expression(kind, lang);
                let question =
                    phrasing::expression_question(&mut self.rng, lang, &format!("{a} {sym} {b}"));
                let answer = format!("{a} {sym} {b} = {}.", work.result);
                (question, work.lines.join("\n"), answer, Some(work.result))
            }
            TaskKind::Compare => {
                let (a, b) = self.operands("cmp", |r| loop {
                    let (a, b) = (number(r, 1, 4), number(r, 1, 4));
                    // Half the pairs share their digit count, where comparing is actually work.
                    let b = if r.random_bool(0.5) { a + r.random_range(-99..=99) } else { b };
                    if a != b && (0..10_000).contains(&b) {
                        break (a, b);
                    }
                });
                // Asked for the smaller as often as for the larger: with the smaller asked 30% of the
                // time, run 3 learned to ignore the question's word and answered every "smaller" with
                // the larger.
                let ask_smaller = self.rng.random_bool(0.5);
                let question = phrasing::compare_question(&mut self.rng, lang, a, b, ask_smaller);
                let work = arith::compare(lang, a, b, ask_smaller);
                let (answer, n) = phrasing::compare_answer(lang, a, b, ask_smaller);
                (question, work.lines.join("\n"), answer, Some(n))
            }
            TaskKind::Word => {
                let op = *[WordOp::Add, WordOp::Sub, WordOp::Mul]
                    .choose(&mut self.rng)
                    .expect("non-empty");
                let inner = match op {
                    WordOp::Add => TaskKind::Add,
                    WordOp::Sub => TaskKind::Sub,
                    WordOp::Mul => TaskKind::Mul,
                };
                let (_, a, b, work) = self.expression(inner, lang);
                let (question, opening, answer) =
                    phrasing::word_problem(&mut self.rng, lang, op, a, b, work.result);
                let thinking = format!("{opening}\n{}", work.lines.join("\n"));
                (question, thinking, answer, Some(work.result))
            }
            TaskKind::Chat => {
                let (q, t, a) = phrasing::small_talk(&mut self.rng, lang);
                (q, t, a, None)
            }
        };
        Problem { kind, lang, question, thinking, answer, expected }
    }

    fn expression(&mut self, kind: TaskKind, lang: Lang) -> (char, i64, i64, arith::Working) {
        match kind {
            TaskKind::Add => {
                let (a, b) = self.operands("add", |r| (number(r, 1, 4), number(r, 1, 4)));
                ('+', a, b, arith::add(lang, a, b))
            }
            TaskKind::Sub => {
                let (a, b) = self.operands("sub", |r| {
                    let (x, y) = (number(r, 1, 4), number(r, 1, 4));
                    (x.max(y), x.min(y))
                });
                ('-', a, b, arith::sub(lang, a, b))
            }
            _ => {
                let (a, b) = self.operands("mul", |r| (number(r, 2, 3), number(r, 1, 1)));
                ('×', a, b, arith::mul(lang, a, b))
            }
        }
    }

    /// A problem drawn from the training mix (kinds weighted by how much practice they need).
    pub fn mixed(&mut self) -> Problem {
        const MIX: &[(TaskKind, u32)] = &[
            (TaskKind::Add, 22),
            (TaskKind::Sub, 22),
            (TaskKind::Mul, 22),
            // Raised from 14 in run 9: comparisons were the only kind under 90%, and they are short.
            (TaskKind::Compare, 22),
            (TaskKind::Word, 18),
            (TaskKind::Chat, 2),
        ];
        let total: u32 = MIX.iter().map(|(_, w)| w).sum();
        let mut roll = self.rng.random_range(0..total);
        let kind = MIX
            .iter()
            .find(|(_, w)| {
                let hit = roll < *w;
                roll = roll.saturating_sub(*w);
                hit
            })
            .map(|(k, _)| *k)
            .expect("roll < total");
        let lang = if self.rng.random_bool(0.5) { Lang::En } else { Lang::Zh };
        self.problem(kind, lang)
    }

    /// The generator's random source, for choices that belong with the problem stream (thinking on/off).
    pub fn rng(&mut self) -> &mut ChaCha8Rng {
        &mut self.rng
    }
}

/// The evaluation's problems (`ponder eval`, and the regression check after learning): held out from
/// training, the graded kinds in turn, alternating languages.
pub fn held_out_problems(seed: u64, count: usize) -> Vec<Problem> {
    let mut g = Generator::new(seed, Split::HeldOut);
    (0..count)
        .map(|i| {
            let kind = TaskKind::GRADED[i % TaskKind::GRADED.len()];
            let lang =
                if (i / TaskKind::GRADED.len()).is_multiple_of(2) { Lang::En } else { Lang::Zh };
            g.problem(kind, lang)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_problems() {
        let a: Vec<_> = (0..50).map(|_| Generator::new(7, Split::Train).mixed().question).collect();
        let mut g = Generator::new(7, Split::Train);
        let b: Vec<_> = (0..50).map(|_| g.mixed().question).collect();
        assert_eq!(a[0], b[0]);
        let mut g2 = Generator::new(7, Split::Train);
        let c: Vec<_> = (0..50).map(|_| g2.mixed().question).collect();
        assert_eq!(b, c);
    }

    #[test]
    fn held_out_split_is_disjoint_from_training() {
        let mut held = Generator::new(1, Split::HeldOut);
        for _ in 0..300 {
            let p = held.mixed();
            if p.kind == TaskKind::Chat {
                continue;
            }
            let nums: Vec<i64> = p
                .question
                .split(|c: char| !c.is_ascii_digit())
                .filter(|s| !s.is_empty())
                .map(|s| s.parse().unwrap())
                .collect();
            let (a, b) = (nums[0], nums[1]);
            assert!(
                ["add", "sub", "mul", "cmp"].iter().any(|op| is_held_out(op, a, b)),
                "{}",
                p.question
            );
        }
        let mut train = Generator::new(1, Split::Train);
        for _ in 0..300 {
            let p = train.problem(TaskKind::Add, Lang::En);
            let nums: Vec<i64> =
                p.answer.split([' ', '.']).filter_map(|s| s.parse().ok()).collect();
            assert!(!is_held_out("add", nums[0], nums[1]));
        }
    }

    #[test]
    fn chinese_word_problem_reads_naturally() {
        let mut g = Generator::new(3, Split::Train);
        let p = (0..100)
            .map(|_| g.problem(TaskKind::Word, Lang::Zh))
            .find(|p| p.question.contains("一共"))
            .unwrap();
        assert!(p.thinking.contains("逐位"), "{}", p.thinking);
        assert!(p.answer.contains(&p.expected.unwrap().to_string()));
    }
}
