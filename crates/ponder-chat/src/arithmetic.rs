//! A grader for questions that carry their own answer: one arithmetic operation on two whole numbers,
//! written with symbols or words in English or Chinese ("What is 23 + 45?", "How much is 9712 minus
//! 5426?", "计算 12 × 34"). Other questions have no reference unless the person gave one.

/// The answer of `question` when it asks for exactly one operation on two whole numbers.
pub fn arithmetic_reference(question: &str) -> Option<String> {
    let tokens = tokens_of(question);
    let mut found = None;
    for window in tokens.windows(3) {
        if let [Token::Number(a), Token::Op(op), Token::Number(b)] = window {
            if found.is_some() {
                // Two operations: not a single-step question this grader can be sure of.
                return None;
            }
            found = Some(match op {
                '+' => a.checked_add(*b)?,
                '-' => a.checked_sub(*b)?,
                _ => a.checked_mul(*b)?,
            });
        }
    }
    found.map(|n| n.to_string())
}

#[derive(Debug, PartialEq)]
enum Token {
    Number(i64),
    Op(char),
    Other,
}

const WORDS: [(&str, char); 10] = [
    ("plus", '+'),
    ("minus", '-'),
    ("times", '*'),
    ("加", '+'),
    ("减", '-'),
    ("乘以", '*'),
    ("乘", '*'),
    ("multiplied by", '*'),
    ("take away", '-'),
    ("add", '+'),
];

fn tokens_of(text: &str) -> Vec<Token> {
    let lower = text.to_lowercase();
    let mut out = Vec::new();
    let mut rest = lower.as_str();
    while let Some(c) = rest.chars().next() {
        if c.is_ascii_digit() {
            let end = rest.find(|c: char| !c.is_ascii_digit() && c != ',').unwrap_or(rest.len());
            let digits: String = rest[..end].chars().filter(char::is_ascii_digit).collect();
            out.push(digits.parse().map_or(Token::Other, Token::Number));
            rest = &rest[end..];
            continue;
        }
        if let Some(op) = match c {
            '+' => Some('+'),
            '-' | '−' => Some('-'),
            '*' | '×' | 'x' | '·' => Some('*'),
            _ => None,
        } {
            // An `x` inside a word (`six`, `next`) is a letter, not a sign.
            let letter = c == 'x' && rest[1..].starts_with(|n: char| n.is_alphabetic());
            out.push(if letter { Token::Other } else { Token::Op(op) });
            rest = &rest[c.len_utf8()..];
            continue;
        }
        if let Some((word, op)) = WORDS.iter().find(|(w, _)| rest.starts_with(w)) {
            out.push(Token::Op(*op));
            rest = &rest[word.len()..];
            continue;
        }
        if !c.is_whitespace() && !matches!(c, '?' | '？' | '.' | '。' | '=' | '：' | ':') {
            if out.last() != Some(&Token::Other) {
                out.push(Token::Other);
            }
            // Skip the rest of this word.
            let end = rest
                .char_indices()
                .skip(1)
                .find(|(_, n)| n.is_whitespace() || n.is_ascii_digit() || !n.is_alphabetic())
                .map_or(rest.len(), |(i, _)| i);
            rest = &rest[end..];
            continue;
        }
        rest = &rest[c.len_utf8()..];
    }
    out
}

#[cfg(test)]
mod tests {
    use super::arithmetic_reference;

    #[test]
    fn one_operation_in_symbols_or_words_has_a_reference() {
        let cases = [
            ("What is 23 + 45?", Some("68")),
            ("How much is 9712 minus 5426?", Some("4286")),
            ("12 × 34?", Some("408")),
            ("What is 7 x 8?", Some("56")),
            ("计算 12 乘 3", Some("36")),
            ("25减7等于多少？", Some("18")),
            ("What is 1,200 - 300?", Some("900")),
            ("What is 3 - 5?", Some("-2")),
            ("Explain how rainbows form.", None),
            ("What is 2 + 3 + 4?", None),
            ("I have 6 apples and next week 3 more", None),
        ];
        for (question, want) in cases {
            assert_eq!(arithmetic_reference(question).as_deref(), want, "{question}");
        }
    }
}
