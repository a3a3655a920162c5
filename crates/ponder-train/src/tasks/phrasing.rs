//! How problems are asked and answered: question templates, word problems and small talk, in two languages.

use rand::seq::IndexedRandom;
use rand::Rng;

use super::Lang;

const EN_NAMES: &[&str] = &["Tom", "Anna", "Li Lei", "Maria", "Sam", "Lucy", "Omar", "Emma"];
const ZH_NAMES: &[&str] = &["小明", "小红", "李雷", "韩梅梅", "小华", "王芳", "张伟", "小丽"];
const EN_ITEMS: &[&str] = &["apples", "books", "pencils", "stickers", "marbles", "cards", "eggs"];
const ZH_ITEMS: &[(&str, &str)] =
    &[("苹果", "个"), ("书", "本"), ("铅笔", "支"), ("贴纸", "张"), ("弹珠", "颗"), ("卡片", "张")];

/// A question for a bare expression such as `347 + 589`.
pub fn expression_question(rng: &mut impl Rng, lang: Lang, expr: &str) -> String {
    let en = ["What is {e}?", "Compute {e}.", "{e} = ?", "Calculate {e}.", "What's {e}?", "{e}"];
    let zh = ["{e} 等于多少？", "计算 {e}。", "{e} = ?", "请算一下 {e}。", "{e} 是多少？"];
    let t = match lang {
        Lang::En => en.choose(rng),
        Lang::Zh => zh.choose(rng),
    };
    t.expect("non-empty").replace("{e}", expr)
}

/// A question asking which of two numbers is larger or smaller.
pub fn compare_question(
    rng: &mut impl Rng,
    lang: Lang,
    a: i64,
    b: i64,
    ask_smaller: bool,
) -> String {
    let t = match (lang, ask_smaller) {
        (Lang::En, false) => {
            *["Which is larger, {a} or {b}?", "Which number is bigger: {a} or {b}?"]
                .choose(rng)
                .expect("non-empty")
        }
        (Lang::En, true) => *["Which is smaller, {a} or {b}?", "Which number is less: {a} or {b}?"]
            .choose(rng)
            .expect("non-empty"),
        (Lang::Zh, false) => {
            *["{a} 和 {b} 哪个大？", "{a} 和 {b}，哪个数更大？"].choose(rng).expect("non-empty")
        }
        (Lang::Zh, true) => {
            *["{a} 和 {b} 哪个小？", "{a} 和 {b}，哪个数更小？"].choose(rng).expect("non-empty")
        }
    };
    t.replace("{a}", &a.to_string()).replace("{b}", &b.to_string())
}

/// The final answer to a comparison.
pub fn compare_answer(lang: Lang, a: i64, b: i64, ask_smaller: bool) -> (String, i64) {
    let n = if ask_smaller { a.min(b) } else { a.max(b) };
    let text = match (lang, ask_smaller) {
        (Lang::En, false) => format!("{n} is larger."),
        (Lang::En, true) => format!("{n} is smaller."),
        (Lang::Zh, false) => format!("{n} 更大。"),
        (Lang::Zh, true) => format!("{n} 更小。"),
    };
    (text, n)
}

/// The operation a word problem hides.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WordOp {
    /// Someone gets more.
    Add,
    /// Someone gives some away (a >= b).
    Sub,
    /// Boxes with the same count in each (b has one digit).
    Mul,
}

/// A word problem: (question, opening line of thinking, final answer with the result filled in).
pub fn word_problem(
    rng: &mut impl Rng,
    lang: Lang,
    op: WordOp,
    a: i64,
    b: i64,
    result: i64,
) -> (String, String, String) {
    match lang {
        Lang::En => {
            let name = *EN_NAMES.choose(rng).expect("non-empty");
            let item = *EN_ITEMS.choose(rng).expect("non-empty");
            match op {
                WordOp::Add => (
                    format!("{name} has {a} {item} and gets {b} more. How many {item} does {name} have now?"),
                    format!("{name} starts with {a} and gets {b} more, so I need {a} + {b}."),
                    format!("{name} now has {result} {item}."),
                ),
                WordOp::Sub => (
                    format!("{name} has {a} {item} and gives away {b}. How many {item} are left?"),
                    format!("{name} starts with {a} and gives away {b}, so I need {a} - {b}."),
                    format!("{name} has {result} {item} left."),
                ),
                WordOp::Mul => (
                    format!("There are {a} boxes with {b} {item} in each. How many {item} are there in total?"),
                    format!("{a} boxes with {b} in each means {a} × {b}."),
                    format!("There are {result} {item} in total."),
                ),
            }
        }
        Lang::Zh => {
            let name = *ZH_NAMES.choose(rng).expect("non-empty");
            let (item, unit) = *ZH_ITEMS.choose(rng).expect("non-empty");
            match op {
                WordOp::Add => (
                    format!("{name}有 {a} {unit}{item}，又买了 {b} {unit}，一共有多少{unit}？"),
                    format!("原来有 {a} {unit}，又买了 {b} {unit}，所以要算 {a} + {b}。"),
                    format!("一共有 {result} {unit}{item}。"),
                ),
                WordOp::Sub => (
                    format!("{name}有 {a} {unit}{item}，送给别人 {b} {unit}，还剩多少{unit}？"),
                    format!("原来有 {a} {unit}，送出 {b} {unit}，所以要算 {a} - {b}。"),
                    format!("还剩 {result} {unit}{item}。"),
                ),
                WordOp::Mul => (
                    format!(
                        "有 {a} 个盒子，每个盒子里有 {b} {unit}{item}，一共有多少{unit}{item}？"
                    ),
                    format!("{a} 个盒子，每盒 {b} {unit}，所以要算 {a} × {b}。"),
                    format!("一共有 {result} {unit}{item}。"),
                ),
            }
        }
    }
}

/// Small talk the bundled model should answer sensibly: (question, thinking, answer).
pub fn small_talk(rng: &mut impl Rng, lang: Lang) -> (String, String, String) {
    match lang {
        Lang::En => {
            let q = *[
                "Hello",
                "Hi!",
                "Hey there",
                "Who are you?",
                "What can you do?",
                "Help",
                "Tell me a joke",
                "What is the capital of France?",
            ]
            .choose(rng)
            .expect("non-empty");
            let greeting = matches!(q, "Hello" | "Hi!" | "Hey there");
            let thinking = if greeting {
                "The user is greeting me. I should say hello and explain what I can do."
            } else {
                "This is not an arithmetic problem. I should explain what I can do."
            };
            let answer = "I'm Ponder Tiny, the small model bundled with Ponder. I work through arithmetic step by step: addition, subtraction, multiplication and comparing numbers, in English or Chinese. Try \"What is 347 + 589?\". For anything else, choose a real Qwen model in Settings.";
            (q.to_string(), thinking.to_string(), answer.to_string())
        }
        Lang::Zh => {
            let q = *[
                "你好",
                "您好！",
                "你是谁？",
                "你能做什么？",
                "帮帮我",
                "讲个笑话",
                "法国的首都是哪里？",
            ]
            .choose(rng)
            .expect("non-empty");
            let greeting = matches!(q, "你好" | "您好！");
            let thinking = if greeting {
                "用户在打招呼。我应该问好，并说明我能做什么。"
            } else {
                "这不是算术题。我应该说明我能做什么。"
            };
            let answer = "我是 Ponder Tiny，Ponder 自带的小模型。我会一步一步地做算术：加法、减法、乘法和比较大小，可以用中文或英文提问。试试“347 + 589 等于多少？”。其他问题请在设置中选择真正的 Qwen 模型。";
            (q.to_string(), thinking.to_string(), answer.to_string())
        }
    }
}
