//! Tests of the thinking/answer splitter: known shapes, and chunking invariance as a property.

use proptest::prelude::*;

use super::*;

/// Splits `chunks` and joins adjacent pieces of the same kind, so results compare by content.
fn split(start: SplitStart, chunks: &[&str]) -> Vec<Piece> {
    let mut s = ThinkSplitter::new(start);
    let mut pieces: Vec<Piece> = chunks.iter().flat_map(|c| s.push(c)).collect();
    pieces.extend(s.finish());
    let mut out = Vec::new();
    for p in pieces {
        match p {
            Piece::Thinking(t) => push_piece(&mut out, true, &t),
            Piece::Answer(t) => push_piece(&mut out, false, &t),
        }
    }
    out
}

fn thinking(t: &str) -> Piece {
    Piece::Thinking(t.into())
}

fn answer(t: &str) -> Piece {
    Piece::Answer(t.into())
}

#[test]
fn qwen_output_with_both_tags() {
    let got = split(SplitStart::Outside, &["<think>\nAdd 3 and 4.\nSo 7.\n</think>\n\n3 + 4 = 7."]);
    assert_eq!(got, [thinking("Add 3 and 4.\nSo 7."), answer("3 + 4 = 7.")]);
}

#[test]
fn deepseek_r1_output_with_only_the_closing_tag() {
    let got = split(SplitStart::Inside, &["Hmm, 2 + 2.\n</think>\n\n4"]);
    assert_eq!(got, [thinking("Hmm, 2 + 2."), answer("4")]);
}

#[test]
fn output_without_tags_is_all_answer() {
    assert_eq!(split(SplitStart::Outside, &["  Hello", " there"]), [answer("Hello there")]);
}

#[test]
fn empty_thinking_block_of_qwen3_no_think_mode() {
    assert_eq!(split(SplitStart::Outside, &["<think>\n\n</think>\n\nHi"]), [answer("Hi")]);
}

#[test]
fn tags_broken_across_chunks() {
    let got = split(SplitStart::Outside, &["<th", "ink>\nx", "y</th", "in", "k>", "\n\nz"]);
    assert_eq!(got, [thinking("xy"), answer("z")]);
}

#[test]
fn thinking_that_never_closes_stays_thinking() {
    let got = split(SplitStart::Outside, &["<think>\nstill going\n", "</thi"]);
    assert_eq!(got, [thinking("still going\n</thi")]);
}

#[test]
fn partial_tag_that_turns_out_to_be_text_is_released() {
    assert_eq!(
        split(SplitStart::Outside, &["<thing> is not a tag"]),
        [answer("<thing> is not a tag")]
    );
    let got = split(SplitStart::Outside, &["<think>a </thin", "g> b</think>c"]);
    assert_eq!(got, [thinking("a </thing> b"), answer("c")]);
}

#[test]
fn a_stray_close_in_the_answer_is_dropped_and_a_new_open_thinks_again() {
    assert_eq!(split(SplitStart::Outside, &["ok</think> fine"]), [answer("ok fine")]);
    let got = split(SplitStart::Outside, &["<think>a</think>b <think>\nc</think>d"]);
    assert_eq!(got, [thinking("a"), answer("b "), thinking("c"), answer("d")]);
}

#[test]
fn template_decides_where_output_starts() {
    assert_eq!(SplitStart::for_template("{{ x.split('</think>')[-1] }}"), SplitStart::Inside);
    assert_eq!(SplitStart::for_template("<|im_start|>assistant\n<think>\n"), SplitStart::Inside);
    assert_eq!(SplitStart::for_template("<think>\n\n</think>"), SplitStart::Outside);
    assert_eq!(SplitStart::for_template("{{ messages }}"), SplitStart::Outside);
}

#[test]
fn reports_whether_thinking_is_open() {
    let mut s = ThinkSplitter::new(SplitStart::Outside);
    assert!(!s.in_thinking());
    s.push("<think>\nabc");
    assert!(s.in_thinking());
    s.push("</think>");
    assert!(!s.in_thinking());
}

/// Text built from `fragments`.
fn text_of(fragments: &'static [&'static str]) -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(fragments), 0..40).prop_map(|v| v.concat())
}

/// Text that stresses the tag handling: tags, pieces of tags, newlines, multi-byte characters.
fn model_output() -> impl Strategy<Value = String> {
    text_of(&[
        "<think>", "</think>", "<th", "</", "ink>", "k>", "<", "\n", " ", "a", "7", "好", "😀",
        "\r\n",
    ])
}

/// Text whose only tag-like content is whole tags (as a tokenizer with tag tokens produces).
fn tagged_output() -> impl Strategy<Value = String> {
    text_of(&["<think>", "</think>", "<", ">", "\n", " ", "a", "7", "好", "😀", "\r\n"])
}

proptest! {
    #[test]
    fn every_chunking_gives_the_same_split(
        text in model_output(),
        cuts in prop::collection::vec(any::<prop::sample::Index>(), 0..12),
        inside in any::<bool>(),
    ) {
        let start = if inside { SplitStart::Inside } else { SplitStart::Outside };
        let bounds: Vec<usize> = (0..=text.len()).filter(|&i| text.is_char_boundary(i)).collect();
        let mut at: Vec<usize> = cuts.iter().map(|c| bounds[c.index(bounds.len())]).collect();
        at.extend([0, text.len()]);
        at.sort_unstable();
        at.dedup();
        let chunks: Vec<&str> = at.windows(2).map(|w| &text[w[0]..w[1]]).collect();
        prop_assert_eq!(split(start, &chunks), split(start, &[text.as_str()]));
    }

    #[test]
    fn no_tag_ever_reaches_the_answer(text in tagged_output()) {
        for p in split(SplitStart::Outside, &[text.as_str()]) {
            if let Piece::Answer(a) = p {
                prop_assert!(!a.contains(OPEN) && !a.contains(CLOSE), "{:?}", a);
            }
        }
    }
}
