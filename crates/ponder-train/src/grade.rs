//! Exact-match grading: the last whole number in an answer must equal the expected one.

/// The last integer written in `answer` (digits with an optional leading minus), if any.
pub fn last_number(answer: &str) -> Option<i64> {
    let mut best = None;
    let chars: Vec<char> = answer.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        if chars[i].is_ascii_digit() {
            let start = i;
            while i < chars.len() && chars[i].is_ascii_digit() {
                i += 1;
            }
            let negative = start > 0
                && chars[start - 1] == '-'
                && (start < 2 || !chars[start - 2].is_ascii_digit());
            let digits: String = chars[start..i].iter().collect();
            best = digits.parse::<i64>().ok().map(|n| if negative { -n } else { n });
        } else {
            i += 1;
        }
    }
    best
}

/// Whether `answer` states `expected` as its final number.
pub fn is_correct(answer: &str, expected: i64) -> bool {
    last_number(answer) == Some(expected)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_final_number() {
        assert_eq!(last_number("347 + 589 = 936."), Some(936));
        assert_eq!(last_number("一共有 936 个苹果。"), Some(936));
        assert_eq!(last_number("It is -12"), Some(-12));
        assert_eq!(last_number("5 - 3 = 2"), Some(2));
        assert_eq!(last_number("no digits"), None);
        assert!(!is_correct("347 + 589 = 935.", 936));
    }
}
