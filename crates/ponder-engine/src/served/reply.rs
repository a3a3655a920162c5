//! A served reply's body read as [`Incoming`]s: server-sent events parsed into deltas, the usage
//! put before the finish it follows, and a body that ends early called a cut connection.

use std::collections::VecDeque;

use futures::{Stream, StreamExt};

use super::{sse, wire};
use crate::stream::{Delta, Incoming};

/// Reads a reply's body into [`Incoming`]s. A finished candidate's last delta is held until the
/// usage that follows it (OpenAI streams usage after the finish), so the prompt count arrives first;
/// a body that ends before `[DONE]` or a finish for every candidate is a cut connection.
struct BodyReader {
    sse: sse::SseReader,
    out: VecDeque<Incoming>,
    held: Vec<Delta>,
    /// `[DONE]` arrived, or the reply failed: nothing after counts.
    over: bool,
    finished: usize,
    candidates: usize,
}

impl BodyReader {
    fn new(candidates: usize) -> Self {
        let (sse, out, held) = (sse::SseReader::default(), VecDeque::new(), Vec::new());
        Self { sse, out, held, over: false, finished: 0, candidates }
    }

    fn release(&mut self) {
        if !self.held.is_empty() {
            self.out.push_back(Incoming::Deltas(std::mem::take(&mut self.held)));
        }
    }

    fn fail(&mut self, why: String) {
        self.release();
        self.out.push_back(Incoming::Failed(why));
        self.over = true;
    }

    fn data(&mut self, data: &str) {
        if self.over {
            return;
        }
        if data.trim() == "[DONE]" {
            self.release();
            self.over = true;
            return;
        }
        match wire::parse_chunk(data) {
            Err(e) => self.fail(e),
            Ok(chunk) => {
                if let Some(n) = chunk.prompt_tokens {
                    self.out.push_back(Incoming::PromptTokens(n));
                    self.release();
                }
                let (ending, going): (Vec<Delta>, Vec<Delta>) =
                    chunk.deltas.into_iter().partition(|d| d.finish_reason.is_some());
                if !going.is_empty() {
                    self.out.push_back(Incoming::Deltas(going));
                }
                self.finished += ending.len();
                self.held.extend(ending);
            }
        }
    }

    fn bytes(&mut self, bytes: &[u8]) {
        for data in self.sse.push(bytes) {
            self.data(&data);
        }
    }

    /// The body ended, or broke with `broke`.
    fn end(&mut self, broke: Option<String>) {
        if let Some(last) = self.sse.finish() {
            self.data(&last);
        }
        if self.over || self.finished >= self.candidates {
            self.release();
            self.over = true;
            return;
        }
        let why = match broke {
            Some(e) => {
                format!("the connection to the server broke mid-reply ({e}); what arrived is kept")
            }
            None => {
                "the server closed the connection before the reply finished; what arrived is kept"
                    .to_string()
            }
        };
        self.fail(why);
    }
}

/// The reply's body, read by a [`BodyReader`].
pub(super) fn incoming<B, T, E>(body: B, candidates: usize) -> impl Stream<Item = Incoming>
where
    B: Stream<Item = Result<T, E>> + Send + 'static,
    T: AsRef<[u8]>,
    E: std::fmt::Display,
{
    let state = (Box::pin(body), BodyReader::new(candidates), false);
    futures::stream::unfold(state, |(mut body, mut reader, mut ended)| async move {
        loop {
            if let Some(item) = reader.out.pop_front() {
                return Some((item, (body, reader, ended)));
            }
            if ended {
                return None;
            }
            match body.next().await {
                Some(Ok(bytes)) => reader.bytes(bytes.as_ref()),
                Some(Err(e)) => {
                    reader.end(Some(e.to_string()));
                    ended = true;
                }
                None => {
                    reader.end(None);
                    ended = true;
                }
            }
        }
    })
}
