//! Snippets: the text around a match, split into plain and highlighted parts (never markup).

use super::SnippetPart;

pub(crate) const OPEN: char = '\u{2}';
pub(crate) const CLOSE: char = '\u{3}';
/// Characters of context on each side of a match in scanned snippets.
const CONTEXT: usize = 32;

/// Splits FTS5 snippet text marked with `OPEN`/`CLOSE` into parts.
pub(crate) fn parts_from_marked(marked: &str) -> Vec<SnippetPart> {
    let mut parts = Vec::new();
    let mut highlight = false;
    for (i, piece) in marked.split([OPEN, CLOSE]).enumerate() {
        if i > 0 {
            highlight = !highlight;
        }
        if !piece.is_empty() {
            parts.push(SnippetPart { text: piece.to_string(), highlight });
        }
    }
    parts
}

/// A snippet around the first of `terms` in `text`, every term inside it highlighted.
pub(crate) fn snippet_around(text: &str, terms: &[String]) -> Option<Vec<SnippetPart>> {
    let lower = text.to_ascii_lowercase();
    let first = terms.iter().filter_map(|t| lower.find(t.as_str())).min()?;
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let at = chars.iter().position(|(b, _)| *b == first).unwrap_or(0);
    let start = at.saturating_sub(CONTEXT);
    let end = (at + CONTEXT * 2).min(chars.len());
    let (from, to) = (chars[start].0, chars.get(end).map_or(text.len(), |c| c.0));
    let window = &text[from..to];
    let window_lower = &lower[from..to];
    let mut marked = String::new();
    if start > 0 {
        marked.push('…');
    }
    let mut i = 0;
    while i < window.len() {
        let hit = terms.iter().find(|t| !t.is_empty() && window_lower[i..].starts_with(t.as_str()));
        match hit {
            Some(t) => {
                marked.push(OPEN);
                marked.push_str(&window[i..i + t.len()]);
                marked.push(CLOSE);
                i += t.len();
            }
            None => {
                let c = window[i..].chars().next().expect("in bounds");
                marked.push(c);
                i += c.len_utf8();
            }
        }
    }
    if to < text.len() {
        marked.push('…');
    }
    Some(parts_from_marked(&marked))
}

/// The snippet around the terms, or the start of the text when they are not found as typed (e.g. a
/// non-ASCII letter in another case: the index folds case, this does not).
pub(crate) fn snippet_or_start(text: &str, terms: &[String]) -> Vec<SnippetPart> {
    snippet_around(text, terms).unwrap_or_else(|| {
        let start: String = text.chars().take(CONTEXT * 2).collect();
        let more = if start.len() < text.len() { "…" } else { "" };
        vec![SnippetPart { text: format!("{start}{more}"), highlight: false }]
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render(parts: &[SnippetPart]) -> String {
        parts
            .iter()
            .map(|p| if p.highlight { format!("[{}]", p.text) } else { p.text.clone() })
            .collect()
    }

    #[test]
    fn marked_snippets_become_parts() {
        let parts = parts_from_marked("a \u{2}big\u{3} apple \u{2}tree\u{3}");
        assert_eq!(render(&parts), "a [big] apple [tree]");
    }

    #[test]
    fn scanned_snippets_highlight_every_term_and_keep_case() {
        let parts =
            snippet_around("小明有 347 个苹果，又买了 589 个苹果", &["苹果".into()]).unwrap();
        assert_eq!(render(&parts), "小明有 347 个[苹果]，又买了 589 个[苹果]");
        let parts = snippet_around("An Apple a day", &["apple".into()]).unwrap();
        assert_eq!(render(&parts), "An [Apple] a day");
        assert!(snippet_around("nothing here", &["zz".into()]).is_none());
    }

    #[test]
    fn long_texts_are_cut_around_the_match() {
        let text = format!("{}needle{}", "x".repeat(500), "y".repeat(500));
        let s = render(&snippet_around(&text, &["needle".into()]).unwrap());
        assert!(s.starts_with('…') && s.ends_with('…') && s.contains("[needle]"), "{s}");
        assert!(s.chars().count() < 120);
    }
}
