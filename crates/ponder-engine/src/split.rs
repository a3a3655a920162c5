//! Splits a model's raw output into thinking and answer as it streams, by `<think>`/`</think>` tags.
//!
//! mistral.rs separates `reasoning_content` itself when a chat template has both tags. This splitter is
//! for everything else: templates that open the thinking block in the prompt so the output holds only
//! `</think>` (older DeepSeek-R1 distills), and models that write both tags as plain text. It is pure:
//! text in, pieces out, and any way of chunking the same text gives the same split.

const OPEN: &str = "<think>";
const CLOSE: &str = "</think>";

/// Where the output starts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SplitStart {
    /// The output may open with `<think>`; if it does not, it is all answer.
    Outside,
    /// The prompt already opened the thinking block: everything up to `</think>` is thinking.
    Inside,
}

impl SplitStart {
    /// Where raw output starts for a model with this chat template. A template naming both tags is
    /// split by mistral.rs itself, so only answer text reaches us; one naming only `</think>` (older
    /// DeepSeek-R1 distills) or only `<think>` (opened in the prompt) leaves the model inside the block.
    pub fn for_template(template: &str) -> Self {
        if template.contains(OPEN) != template.contains(CLOSE) {
            SplitStart::Inside
        } else {
            SplitStart::Outside
        }
    }
}

/// A run of text and which stream it belongs to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Piece {
    /// Chain-of-thought text.
    Thinking(String),
    /// Answer text.
    Answer(String),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    /// Before any visible text: leading whitespace and a possible `<think>` are being read.
    Opening,
    /// Just after `<think>`: the newline Qwen writes after the tag is dropped.
    ThinkingStart,
    Thinking,
    /// Just after `</think>`: the blank lines Qwen puts before the answer are dropped.
    AnswerStart,
    Answer,
}

/// The incremental splitter. Feed chunks with [`ThinkSplitter::push`], then call
/// [`ThinkSplitter::finish`] once for whatever was held back.
#[derive(Clone, Debug)]
pub struct ThinkSplitter {
    state: State,
    /// Text that might still turn out to be (part of) a tag, or leading whitespace.
    held: String,
}

/// The longest suffix of `text` that is a proper prefix of `tag` (it may complete in the next chunk).
fn partial_tag_suffix(text: &str, tag: &str) -> usize {
    (1..tag.len().min(text.len() + 1))
        .rev()
        .find(|&n| {
            text.is_char_boundary(text.len() - n) && tag.starts_with(&text[text.len() - n..])
        })
        .unwrap_or(0)
}

fn push_piece(out: &mut Vec<Piece>, thinking: bool, text: &str) {
    if text.is_empty() {
        return;
    }
    match (out.last_mut(), thinking) {
        (Some(Piece::Thinking(t)), true) | (Some(Piece::Answer(t)), false) => t.push_str(text),
        _ => out.push(if thinking {
            Piece::Thinking(text.to_string())
        } else {
            Piece::Answer(text.to_string())
        }),
    }
}

impl ThinkSplitter {
    /// A splitter for output that starts `start`.
    pub fn new(start: SplitStart) -> Self {
        let state = match start {
            SplitStart::Outside => State::Opening,
            SplitStart::Inside => State::ThinkingStart,
        };
        Self { state, held: String::new() }
    }

    /// Whether the thinking block is open (its closing tag not yet seen).
    pub fn in_thinking(&self) -> bool {
        matches!(self.state, State::ThinkingStart | State::Thinking)
    }

    /// Splits the next chunk; text that could be the start of a tag is held until the next call.
    pub fn push(&mut self, chunk: &str) -> Vec<Piece> {
        let mut out = Vec::new();
        self.held.push_str(chunk);
        let mut text = std::mem::take(&mut self.held);
        loop {
            match self.state {
                State::Opening => {
                    let visible = text.trim_start();
                    if let Some(rest) = visible.strip_prefix(OPEN) {
                        self.state = State::ThinkingStart;
                        text = rest.to_string();
                        continue;
                    }
                    if OPEN.starts_with(visible) {
                        // Only whitespace or a partial `<think>` so far.
                        self.held = text;
                        return out;
                    }
                    self.state = State::Answer;
                    text = visible.to_string();
                }
                State::Thinking => {
                    if let Some(at) = text.find(CLOSE) {
                        push_piece(&mut out, true, text[..at].trim_end_matches(['\n', '\r']));
                        self.state = State::AnswerStart;
                        text = text[at + CLOSE.len()..].to_string();
                        continue;
                    }
                    // Newlines before a possible `</think>` are held too: they belong to no stream.
                    let keep = partial_tag_suffix(&text, CLOSE);
                    let body = &text[..text.len() - keep];
                    let trimmed = body.trim_end_matches(['\n', '\r']);
                    push_piece(&mut out, true, trimmed);
                    self.held = text[trimmed.len()..].to_string();
                    return out;
                }
                State::ThinkingStart | State::AnswerStart => {
                    let visible = text.trim_start();
                    if visible.is_empty() {
                        return out;
                    }
                    self.state = if self.state == State::AnswerStart {
                        State::Answer
                    } else {
                        State::Thinking
                    };
                    text = visible.to_string();
                }
                State::Answer => {
                    // A `<think>` in the answer opens another thinking block (some models think
                    // again mid-answer); a stray `</think>` is dropped rather than shown.
                    let open = text.find(OPEN);
                    let close = text.find(CLOSE);
                    let tag = match (open, close) {
                        (Some(o), Some(c)) => Some(if o < c { (o, true) } else { (c, false) }),
                        (Some(o), None) => Some((o, true)),
                        (None, Some(c)) => Some((c, false)),
                        (None, None) => None,
                    };
                    if let Some((at, opens)) = tag {
                        push_piece(&mut out, false, &text[..at]);
                        let tag_len = if opens { OPEN.len() } else { CLOSE.len() };
                        if opens {
                            self.state = State::ThinkingStart;
                        }
                        text = text[at + tag_len..].to_string();
                        continue;
                    }
                    let keep =
                        partial_tag_suffix(&text, OPEN).max(partial_tag_suffix(&text, CLOSE));
                    push_piece(&mut out, false, &text[..text.len() - keep]);
                    self.held = text[text.len() - keep..].to_string();
                    return out;
                }
            }
        }
    }

    /// Flushes held text at the end of the output. Thinking that never closed stays thinking.
    pub fn finish(&mut self) -> Vec<Piece> {
        let mut out = Vec::new();
        let held = std::mem::take(&mut self.held);
        match self.state {
            State::Opening => push_piece(&mut out, false, held.trim_start()),
            State::Thinking => push_piece(&mut out, true, held.trim_end_matches(['\n', '\r'])),
            State::ThinkingStart | State::AnswerStart => {}
            State::Answer => push_piece(&mut out, false, &held),
        }
        out
    }
}

#[cfg(test)]
mod tests;
