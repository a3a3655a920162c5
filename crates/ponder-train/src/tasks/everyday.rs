//! Arithmetic asked in everyday sentences that ponder-tiny was never trained on: the learning
//! benchmark's questions (a person teaching the model new phrasings) and its held-out check.
//!
//! Never used by the ponder-tiny recipe: these shapes measure what learning from ratings adds, so
//! they must stay unseen by the bundled model's own training.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::{arith, number, Lang, Split};

/// What a shape asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EverydayOp {
    /// `a + b`.
    Add,
    /// `a - b` with `a >= b`.
    Sub,
    /// `a × b` with `b` one digit.
    Mul,
    /// The larger of two different numbers.
    Larger,
    /// The smaller of two different numbers.
    Smaller,
}

/// One sentence shape: `{a}` and `{b}` are the operands in the order the working uses them.
#[derive(Clone, Copy, Debug)]
pub struct Shape {
    /// A short stable name for reports.
    pub name: &'static str,
    /// Its language.
    pub lang: Lang,
    /// What it asks.
    pub op: EverydayOp,
    /// The sentence.
    pub template: &'static str,
}

const fn shape(name: &'static str, lang: Lang, op: EverydayOp, template: &'static str) -> Shape {
    Shape { name, lang, op, template }
}

/// Eight shapes per language, written for the benchmark: operations named in words, stories the
/// recipe's word problems do not tell, operands in the sentence's own order (`每盒 {b} 个，{a} 盒`).
pub const SHAPES: [Shape; 16] = {
    use EverydayOp::*;
    use Lang::{En, Zh};
    [
        shape("en-minus", En, Sub, "How much is {a} minus {b}?"),
        shape("en-add-words", En, Add, "What do you get when you add {a} and {b}?"),
        shape("en-spent", En, Sub, "I had {a} dollars and spent {b} on groceries. How much money do I have left?"),
        shape("en-train", En, Add, "A train has {a} passengers and {b} more get on at the next stop. How many passengers are on the train now?"),
        shape("en-times", En, Mul, "Could you work out {a} times {b} for me?"),
        shape("en-rows", En, Mul, "Each of the {a} rows in the hall has {b} seats. How many seats are there?"),
        shape("en-greater", En, Larger, "Of {a} and {b}, which one is greater?"),
        shape("en-lower-score", En, Smaller, "I scored {a} points and my friend scored {b}. What is the lower score?"),
        shape("zh-jianqu", Zh, Sub, "{a} 减去 {b} 是多少？"),
        shape("zh-jiashang", Zh, Add, "{a} 加上 {b} 得多少？"),
        shape("zh-bookshop", Zh, Sub, "书店有 {a} 本书，卖掉了 {b} 本，还剩多少本？"),
        shape("zh-bus", Zh, Add, "公交车上原来有 {a} 人，到站又上来 {b} 人，车上现在有多少人？"),
        shape("zh-chengyi", Zh, Mul, "{a} 乘以 {b} 等于几？"),
        shape("zh-eggs", Zh, Mul, "每盒鸡蛋有 {b} 个，{a} 盒一共有多少个鸡蛋？"),
        shape("zh-bigger", Zh, Larger, "{a} 与 {b} 相比，哪个数大一些？"),
        shape("zh-lower-score", Zh, Smaller, "小明得了 {a} 分，小红得了 {b} 分，较低的分数是多少？"),
    ]
};

/// One question in an everyday shape.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EverydayQuestion {
    /// The shape's name.
    pub shape: &'static str,
    /// Its language.
    pub lang: Lang,
    /// What the person asks.
    pub question: String,
    /// The number a right answer ends with.
    pub expected: i64,
    /// The first line of thinking that sets the model on the right path: what a person teaching it
    /// writes as the fixed step (the line the model's own working opens with).
    pub first_step: String,
}

/// FNV-1a, as in the recipe's split, but over the benchmark's own key.
fn fnv1a(text: &str) -> u64 {
    text.bytes()
        .fold(0xcbf2_9ce4_8422_2325, |h, b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3))
}

/// One operand pair in four is held out: the check asks the same shapes with numbers never taught.
fn is_held_out(op: EverydayOp, a: i64, b: i64) -> bool {
    fnv1a(&format!("everyday:{op:?}:{a}:{b}")).is_multiple_of(4)
}

fn operands(rng: &mut ChaCha8Rng, op: EverydayOp) -> (i64, i64) {
    match op {
        EverydayOp::Add => (number(rng, 1, 4), number(rng, 1, 4)),
        EverydayOp::Sub => {
            let (x, y) = (number(rng, 1, 4), number(rng, 1, 4));
            (x.max(y), x.min(y))
        }
        EverydayOp::Mul => (number(rng, 2, 3), number(rng, 1, 1)),
        EverydayOp::Larger | EverydayOp::Smaller => loop {
            let a = number(rng, 1, 4);
            let b = if rng.random_bool(0.5) {
                a + rng.random_range(-99..=99)
            } else {
                number(rng, 1, 4)
            };
            if a != b && (0..10_000).contains(&b) {
                break (a, b);
            }
        },
    }
}

/// A question in `shape` with operands from `split`'s side.
fn question(rng: &mut ChaCha8Rng, shape: &Shape, split: Split) -> EverydayQuestion {
    let (a, b) = loop {
        let (a, b) = operands(rng, shape.op);
        if is_held_out(shape.op, a, b) == (split == Split::HeldOut) {
            break (a, b);
        }
    };
    let work = match shape.op {
        EverydayOp::Add => arith::add(shape.lang, a, b),
        EverydayOp::Sub => arith::sub(shape.lang, a, b),
        EverydayOp::Mul => arith::mul(shape.lang, a, b),
        EverydayOp::Larger => arith::compare(shape.lang, a, b, false),
        EverydayOp::Smaller => arith::compare(shape.lang, a, b, true),
    };
    EverydayQuestion {
        shape: shape.name,
        lang: shape.lang,
        question: shape.template.replace("{a}", &a.to_string()).replace("{b}", &b.to_string()),
        expected: work.result,
        first_step: work.lines[0].clone(),
    }
}

/// One question in a shape chosen at random, with operands from `split`'s side.
pub fn any_question(rng: &mut ChaCha8Rng, split: Split) -> EverydayQuestion {
    let shape = &SHAPES[rng.random_range(0..SHAPES.len())];
    question(rng, shape, split)
}

/// `count` questions from `split`, the shapes in turn, seeded and reproducible.
pub fn everyday_questions(seed: u64, split: Split, count: usize) -> Vec<EverydayQuestion> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    (0..count).map(|i| question(&mut rng, &SHAPES[i % SHAPES.len()], split)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::grade::is_correct;

    #[test]
    fn every_language_has_at_least_six_shapes_none_a_training_template() {
        for lang in [Lang::En, Lang::Zh] {
            assert!(SHAPES.iter().filter(|s| s.lang == lang).count() >= 6);
        }
        // A sentence without its numbers: what a shape shares with a training question, if anything.
        let skeleton = |q: &str| -> String { q.chars().filter(|c| !c.is_ascii_digit()).collect() };
        let mut g = super::super::Generator::new(5, Split::Train);
        let kinds = super::super::TaskKind::GRADED;
        let taught: std::collections::HashSet<String> = (0..4000)
            .map(|i| {
                let lang = if i % 2 == 0 { Lang::En } else { Lang::Zh };
                skeleton(&g.problem(kinds[i % kinds.len()], lang).question)
            })
            .collect();
        for s in SHAPES {
            let asked = skeleton(&s.template.replace("{a}", "").replace("{b}", ""));
            assert!(!taught.contains(&asked), "{} is a training template", s.name);
        }
        assert!(
            taught.contains(&skeleton("What is 1 + 2?")),
            "the check sees the recipe's templates"
        );
    }

    #[test]
    fn asked_and_held_out_questions_never_share_numbers() {
        let asked = everyday_questions(1, Split::Train, 320);
        let held = everyday_questions(2, Split::HeldOut, 160);
        for h in &held {
            assert!(!asked.iter().any(|a| a.question == h.question), "{}", h.question);
            assert!(is_correct(&h.expected.to_string(), h.expected));
        }
        assert_eq!(asked, everyday_questions(1, Split::Train, 320), "seeded");
        let eggs = asked.iter().find(|q| q.shape == "zh-eggs").unwrap();
        assert!(eggs.first_step.starts_with("从个位开始，逐位计算"), "{}", eggs.first_step);
        let lower = asked.iter().find(|q| q.shape == "en-lower-score").unwrap();
        assert!(lower.first_step.starts_with("Find the smaller of"), "{}", lower.first_step);
    }
}
