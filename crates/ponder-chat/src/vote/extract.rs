//! The final answer of a chain of thought's reply, as votes compare it: `\boxed{}`, a stated answer
//! ("The answer is", "答案是"), a bold result, or the last line; numbers compared as numbers.

use ponder_train::learn::verify::{last_number, normalise_text};

/// One reply's final answer: what to show, and the key votes compare.
#[derive(Clone, Debug, PartialEq)]
pub struct FinalAnswer {
    /// As the reply wrote it (trimmed), for people.
    pub shown: String,
    /// What answers are compared by: a number in canonical form (`8690`, `-0.5`, `3/4`), else the
    /// text lowercased without surrounding punctuation or spaces.
    pub key: String,
}

/// Phrases after which a reply states its answer, English and Chinese, longest first.
const CUES: &[&str] = &[
    "the final answer is",
    "final answer:",
    "the answer is",
    "answer:",
    "最终答案是",
    "最终答案：",
    "答案是",
    "答案为",
    "答案：",
    "答案:",
    "结果是",
    "所以",
    "因此",
];

/// The content of the last `\boxed{…}` (braces balanced), if any.
fn last_boxed(text: &str) -> Option<&str> {
    let start = text.rfind("\\boxed{")? + "\\boxed{".len();
    let mut depth = 1;
    for (i, c) in text[start..].char_indices() {
        match c {
            '{' => depth += 1,
            '}' => {
                depth -= 1;
                if depth == 0 {
                    return Some(&text[start..start + i]);
                }
            }
            _ => {}
        }
    }
    None
}

/// What follows the last cue, to the end of its line.
fn after_cue(text: &str) -> Option<&str> {
    let lower = text.to_lowercase();
    // Lowercasing keeps byte offsets for the ASCII cues; Chinese cues have no case.
    if lower.len() != text.len() {
        return None;
    }
    let (at, cue) =
        CUES.iter().filter_map(|c| lower.rfind(c).map(|i| (i, *c))).max_by_key(|(i, _)| *i)?;
    let rest = &text[at + cue.len()..];
    let line = rest.lines().next().unwrap_or("").trim();
    (!line.is_empty()).then_some(line)
}

/// The last `**bold**` run.
fn last_bold(text: &str) -> Option<&str> {
    let end = text.rfind("**")?;
    let start = text[..end].rfind("**")? + 2;
    let inner = text[start..end].trim();
    (!inner.is_empty() && !inner.contains('\n')).then_some(inner)
}

/// LaTeX as plain text: `\text{…}`, `\frac{a}{b}`, spacing and `$` removed.
fn plain_latex(s: &str) -> String {
    let mut out = s.replace("\\dfrac", "\\frac").replace("\\tfrac", "\\frac");
    while let Some(i) = out.find("\\frac{") {
        let rest = &out[i + 6..];
        let Some(num_end) = rest.find('}') else { break };
        let after = &rest[num_end + 1..];
        let Some(den) = after.strip_prefix('{').and_then(|a| a.find('}').map(|e| &a[..e])) else {
            break;
        };
        let replaced = format!("{}/{}", &rest[..num_end], den);
        let consumed = 6 + num_end + 1 + 1 + den.len() + 1;
        out.replace_range(i..i + consumed, &replaced);
    }
    for (from, to) in [("\\text{", ""), ("\\mathrm{", ""), ("\\,", ""), ("\\!", ""), ("\\%", "%")] {
        out = out.replace(from, to);
    }
    out.replace(['$', '{', '}'], "").replace("\\left", "").replace("\\right", "")
}

/// The comparison key of an answer's text.
fn key_of(shown: &str) -> String {
    let plain = plain_latex(shown);
    let stripped = plain.trim().trim_end_matches(['.', '。', '!', '！']).trim();
    // "x = 5" and "n = 12" state the value after the last `=`.
    let value = stripped.rsplit('=').next().unwrap_or(stripped).trim();
    if let Some((a, b)) = value.split_once('/') {
        if let (Ok(a), Ok(b)) = (a.trim().parse::<i64>(), b.trim().parse::<i64>()) {
            return format!("{a}/{b}");
        }
    }
    // A number, with any words or units around it ("936 apples", "$8,690", "42 个"), is that number,
    // as the trainer's verifier reads answers.
    match last_number(value) {
        Some(n) => {
            let n = if n == 0.0 { 0.0 } else { n };
            if n.fract() == 0.0 && n.abs() < 1e15 {
                format!("{}", n as i64)
            } else {
                format!("{n}")
            }
        }
        None => normalise_text(value),
    }
}

/// The final answer of `reply` (the answer part, after any thinking), or `None` when it is empty.
pub fn final_answer(reply: &str) -> Option<FinalAnswer> {
    let reply = reply.trim();
    if reply.is_empty() {
        return None;
    }
    let shown = last_boxed(reply)
        .or_else(|| after_cue(reply))
        .or_else(|| last_bold(reply))
        .or_else(|| reply.lines().rev().map(str::trim).find(|l| !l.is_empty()))?
        .trim()
        .to_string();
    let key = key_of(&shown);
    (!key.is_empty()).then_some(FinalAnswer { shown, key })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Answers as models write them, and the key each must come to.
    const SHAPES: &[(&str, &str)] = &[
        ("347 + 589 = **936**", "936"),
        ("The answer is 936.", "936"),
        ("So the total is $8,690.", "8690"),
        ("Therefore, the final answer is $\\boxed{42}$.", "42"),
        ("We get \\boxed{\\frac{3}{4}} in the end.", "3/4"),
        ("\\[ x = \\boxed{-12} \\]", "-12"),
        ("Answer: Paris", "paris"),
        ("The capital of France is **Paris**.", "paris"),
        ("所以答案是 48。", "48"),
        ("答案：42 个苹果", "42"),
        ("因此，x = 7", "7"),
        ("１２ × ３４ = ４０８", "408"),
        ("Step 1: add.\nStep 2: carry.\n\n1,024", "1024"),
        ("The final answer is: 2.50", "2.5"),
        ("Answer: \\text{blue}", "blue"),
        ("So n = 12.", "12"),
    ];

    #[test]
    fn real_world_answer_shapes_come_to_one_key() {
        for (reply, key) in SHAPES {
            let got = final_answer(reply).map(|a| a.key);
            assert_eq!(got.as_deref(), Some(*key), "{reply:?}");
        }
    }

    #[test]
    fn the_boxed_answer_wins_over_numbers_after_it() {
        let a = final_answer("\\boxed{15}, checked against 3 × 5 = 15 and 2 × 7 = 14").unwrap();
        assert_eq!((a.shown.as_str(), a.key.as_str()), ("15", "15"));
    }

    #[test]
    fn an_empty_reply_has_no_answer() {
        assert_eq!(final_answer("  \n "), None);
    }
}
