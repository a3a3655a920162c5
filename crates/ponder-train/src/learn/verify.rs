//! GRPO's verifiable reward: a chain earns 1 when its thinking is well formed and its final answer
//! matches the reference (numbers compared as numbers, text compared normalised), else 0.

/// A number as people write it: `8,690`, `-12`, `3.50`, full-width digits; the last one in `text`.
pub fn last_number(text: &str) -> Option<f64> {
    let chars: Vec<char> = text
        .chars()
        .map(|c| match c {
            '０'..='９' => char::from_u32(c as u32 - '０' as u32 + '0' as u32).unwrap_or(c),
            '－' | '−' => '-',
            _ => c,
        })
        .collect();
    let mut best = None;
    let mut i = 0;
    while i < chars.len() {
        if !chars[i].is_ascii_digit() {
            i += 1;
            continue;
        }
        let start = i;
        let mut s = String::new();
        while i < chars.len() {
            let c = chars[i];
            let digit_follows = chars.get(i + 1).is_some_and(|d| d.is_ascii_digit());
            if c.is_ascii_digit() {
                s.push(c);
            } else if c == ','
                && digit_follows
                && chars.get(i + 3).is_some_and(|d| d.is_ascii_digit())
            {
                // A thousands separator: exactly three digits follow it.
                if chars.get(i + 4).is_some_and(|d| d.is_ascii_digit()) {
                    break;
                }
            } else if c == '.' && digit_follows && !s.contains('.') {
                s.push('.');
            } else {
                break;
            }
            i += 1;
        }
        let negative = start > 0
            && chars[start - 1] == '-'
            && (start < 2 || !chars[start - 2].is_ascii_digit());
        best = s.parse::<f64>().ok().map(|n| if negative { -n } else { n });
    }
    best
}

/// Text compared without case, surrounding punctuation or repeated spaces.
pub fn normalise_text(text: &str) -> String {
    let lowered = text.to_lowercase();
    let trimmed = lowered.trim_matches(|c: char| {
        c.is_whitespace() || c.is_ascii_punctuation() || "。，！？".contains(c)
    });
    trimmed.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Whether `answer` states `reference`: the same final number when the reference has one, else the
/// same normalised text.
pub fn answers_match(answer: &str, reference: &str) -> bool {
    match last_number(reference) {
        Some(want) => last_number(answer).is_some_and(|got| (got - want).abs() < 1e-9),
        None => {
            !normalise_text(reference).is_empty()
                && normalise_text(answer) == normalise_text(reference)
        }
    }
}

/// Splits a completion as the model wrote it into (thinking, answer) when the thinking is well formed:
/// at most one `<think>` block, opened first, closed once, followed by a non-empty answer. A chain
/// without thinking (thinking off) is well formed when its answer is.
pub fn well_formed(completion: &str) -> Option<(&str, &str)> {
    let text = completion.trim_end_matches("<|im_end|>").trim_end_matches("<|endoftext|>");
    let (thinking, answer) = match text.find("</think>") {
        Some(end) => {
            let body = text[..end].trim_start().strip_prefix("<think>")?;
            (body, &text[end + "</think>".len()..])
        }
        None => ("", text),
    };
    if thinking.contains("<think>") || answer.contains("<think>") || answer.contains("</think>") {
        return None;
    }
    let answer = answer.trim();
    (!answer.is_empty()).then_some((thinking, answer))
}

/// The reward of one chain against `reference`.
pub fn reward(completion: &str, reference: &str) -> f64 {
    match well_formed(completion) {
        Some((_, answer)) if answers_match(answer, reference) => 1.0,
        _ => 0.0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_as_people_write_them() {
        assert_eq!(last_number("还剩 2,486 箱。"), Some(2486.0));
        assert_eq!(last_number("9712 - 5426 = 4286."), Some(4286.0));
        assert_eq!(last_number("It is -12"), Some(-12.0));
        assert_eq!(last_number("５ − 3 = ２"), Some(2.0));
        assert_eq!(last_number("costs 3.50 dollars"), Some(3.5));
        assert_eq!(last_number("1,2345"), Some(2345.0), "not a thousands separator");
        assert_eq!(last_number("none"), None);
    }

    #[test]
    fn rewards_correct_well_formed_chains_only() {
        assert_eq!(reward("<think>\n9712 - 5426\n</think>\n\n4286.<|im_end|>", "4286"), 1.0);
        assert_eq!(reward("<think>\nwrong op\n</think>\n\n15138.<|im_end|>", "4286"), 0.0);
        assert_eq!(reward("<think>\nnever closed 4286", "4286"), 1.0 * 0.0, "unclosed thinking");
        assert_eq!(reward("<think>a</think><think>b</think>4286", "4286"), 0.0);
        assert_eq!(reward("<think>\n\n</think>\n\n", "4286"), 0.0, "no answer");
        assert_eq!(reward("Paris.", "paris"), 1.0);
        assert_eq!(reward("4,286", "4286"), 1.0);
    }
}
