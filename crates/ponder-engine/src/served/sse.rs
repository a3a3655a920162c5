//! Server-sent events read incrementally: bytes in, each event's `data` out, however the bytes are cut.

/// The incremental reader. Feed it the body's byte chunks with [`SseReader::push`].
#[derive(Debug, Default)]
pub(crate) struct SseReader {
    /// Bytes of a line not yet ended (a chunk may end mid-line, even mid-character).
    line: Vec<u8>,
    /// `data` lines of the event being read, joined by newlines as the format says.
    data: Option<String>,
}

impl SseReader {
    /// The `data` of every event completed by `bytes`. Comments (`:` lines, keep-alives) and other
    /// fields (`event`, `id`, `retry`) carry nothing a chat stream needs and are skipped.
    pub(crate) fn push(&mut self, bytes: &[u8]) -> Vec<String> {
        let mut events = Vec::new();
        for &b in bytes {
            if b != b'\n' {
                self.line.push(b);
                continue;
            }
            let mut line = std::mem::take(&mut self.line);
            if line.last() == Some(&b'\r') {
                line.pop();
            }
            self.take_line(&line, &mut events);
        }
        events
    }

    /// The last event, when the body ends without the blank line that should close it.
    pub(crate) fn finish(&mut self) -> Option<String> {
        let line = std::mem::take(&mut self.line);
        let mut events = Vec::new();
        self.take_line(&line, &mut events);
        events.pop().or_else(|| self.data.take())
    }

    fn take_line(&mut self, line: &[u8], events: &mut Vec<String>) {
        if line.is_empty() {
            events.extend(self.data.take());
            return;
        }
        let text = String::from_utf8_lossy(line);
        let (field, value) = match text.split_once(':') {
            Some((f, v)) => (f, v.strip_prefix(' ').unwrap_or(v)),
            None => (text.as_ref(), ""),
        };
        if field == "data" {
            match &mut self.data {
                Some(d) => {
                    d.push('\n');
                    d.push_str(value);
                }
                None => self.data = Some(value.to_string()),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const BODY: &str =
        ": keep-alive\r\n\r\ndata: {\"a\":1}\r\n\r\nevent: x\ndata: one\ndata: two\n\n\
                        data: 你好\n\ndata:[DONE]\n\n";

    fn all(chunks: &[&[u8]]) -> Vec<String> {
        let mut r = SseReader::default();
        let mut out: Vec<String> = chunks.iter().flat_map(|c| r.push(c)).collect();
        out.extend(r.finish());
        out
    }

    #[test]
    fn reads_data_lines_comments_and_multi_line_events() {
        assert_eq!(all(&[BODY.as_bytes()]), ["{\"a\":1}", "one\ntwo", "你好", "[DONE]"]);
    }

    #[test]
    fn an_event_the_body_does_not_close_still_counts() {
        assert_eq!(all(&[b"data: last"]), ["last"]);
        assert_eq!(all(&[b"data: last\n"]), ["last"]);
    }

    proptest! {
        #[test]
        fn any_cut_of_the_bytes_reads_the_same(cuts in proptest::collection::vec(0usize..BODY.len(), 0..8)) {
            let bytes = BODY.as_bytes();
            let mut cuts = cuts;
            cuts.sort_unstable();
            let mut chunks = Vec::new();
            let mut at = 0;
            for c in cuts {
                chunks.push(&bytes[at..c.max(at)]);
                at = c.max(at);
            }
            chunks.push(&bytes[at..]);
            prop_assert_eq!(all(&chunks), all(&[bytes]));
        }
    }
}
