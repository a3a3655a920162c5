//! Turns a reply's chunk stream — mistral.rs's in-process, or a server's — into per-candidate
//! [`CandidateEvent`]s.

use std::time::{Duration, Instant};

use futures::StreamExt;
use mistralrs::Response;
use tokio::sync::mpsc;

use crate::events::{CandidateEvent, Event, FinishReason, Usage};
use crate::loop_watch::LoopWatch;
use crate::split::{Piece, SplitStart, ThinkSplitter};

/// One candidate's progress.
struct Candidate {
    splitter: ThinkSplitter,
    usage: Usage,
    first_token: Option<Instant>,
    last_token: Option<Instant>,
    /// How it ended, as reported: the engine's reason, or `Looped` when the watch stopped it.
    finish: Option<FinishReason>,
    /// The engine sent its own end (after a loop, it may still be generating what nobody reads).
    engine_finished: bool,
    watch: Option<LoopWatch>,
}

impl Candidate {
    fn new(start: SplitStart, prompt_tokens: usize, stop_loops: bool) -> Self {
        Self {
            splitter: ThinkSplitter::new(start),
            usage: Usage { prompt_tokens, ..Usage::default() },
            first_token: None,
            last_token: None,
            finish: None,
            engine_finished: false,
            watch: stop_loops.then(LoopWatch::new),
        }
    }

    fn looped(&self) -> bool {
        matches!(self.finish, Some(FinishReason::Looped(_)))
    }

    /// Events for one delta. Each delta carries one sampled token (or none for the final one).
    fn take(&mut self, choice: &Delta, now: Instant) -> Vec<Event> {
        self.engine_finished |= choice.finish_reason.is_some();
        if self.looped() {
            // Stopped for looping: what the engine still sends is the loop going on.
            return Vec::new();
        }
        let reasoning = choice.reasoning.as_str();
        let content = choice.content.as_str();
        let mut pieces: Vec<Piece> = Vec::new();
        if !reasoning.is_empty() {
            pieces.push(Piece::Thinking(reasoning.to_string()));
        }
        if !content.is_empty() {
            pieces.extend(self.splitter.push(content));
        }
        if choice.finish_reason.is_none() || !reasoning.is_empty() || !content.is_empty() {
            // A token was sampled: count it where its text went (or, if held back, where it will go).
            self.first_token.get_or_insert(now);
            self.last_token = Some(now);
            let thinking = match pieces.last() {
                Some(Piece::Thinking(_)) => true,
                Some(Piece::Answer(_)) => false,
                None => self.splitter.in_thinking() || !reasoning.is_empty(),
            };
            if thinking {
                self.usage.thinking_tokens += 1;
            } else {
                self.usage.answer_tokens += 1;
            }
        }
        if let Some(r) = &choice.finish_reason {
            self.finish = Some(match r.as_str() {
                "length" => FinishReason::Length,
                "canceled" | "cancelled" => FinishReason::Cancelled,
                _ => FinishReason::Stop,
            });
        }
        if let Some(watch) = &mut self.watch {
            let repeated = pieces.iter().find_map(|p| match p {
                Piece::Thinking(t) => watch.push(t),
                Piece::Answer(_) => None,
            });
            if let Some(repetition) = repeated {
                self.finish = Some(FinishReason::Looped(repetition));
            }
        }
        pieces.into_iter().map(to_event).collect()
    }

    /// Whatever the splitter still holds, then usage and the finish reason.
    fn close(&mut self, started: Instant, default_finish: &FinishReason) -> Vec<Event> {
        let mut events: Vec<Event> = self.splitter.finish().into_iter().map(to_event).collect();
        if let (Some(first), Some(last)) = (self.first_token, self.last_token) {
            self.usage.time_to_first_token_ms = (first - started).as_secs_f64() * 1000.0;
            let generated = self.usage.thinking_tokens + self.usage.answer_tokens;
            let span = (last - first).as_secs_f64();
            if generated > 1 && span > 0.0 {
                self.usage.tokens_per_second = (generated - 1) as f64 / span;
            }
        }
        events.push(Event::Usage(self.usage.clone()));
        events.push(Event::Finished(self.finish.clone().unwrap_or_else(|| default_finish.clone())));
        events
    }
}

fn to_event(p: Piece) -> Event {
    match p {
        Piece::Thinking(t) => Event::Thinking(t),
        Piece::Answer(t) => Event::Answer(t),
    }
}

/// One candidate's share of a chunk: text the engine already called reasoning (mistral.rs's or a
/// server's parser), raw content (split here when it carries the tags inline), and why it ended.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct Delta {
    pub index: usize,
    pub reasoning: String,
    pub content: String,
    pub finish_reason: Option<String>,
}

/// What a reply's stream carries, whichever engine produced it.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Incoming {
    /// The candidates' next deltas.
    Deltas(Vec<Delta>),
    /// The prompt's length as the engine counted it (a server's usage).
    PromptTokens(usize),
    /// The engine failed or the connection broke: what arrived is kept, the reply ends with the error.
    Failed(String),
    /// One candidate's own request failed (a server asked once per candidate): that candidate ends
    /// with the error and what it had; the others go on.
    CandidateFailed(usize, String),
}

/// mistral.rs's response as [`Incoming`]; `None` for responses that carry nothing for the reply.
pub(crate) fn from_mistralrs(resp: Response) -> Option<Incoming> {
    match resp {
        Response::Chunk(chunk) => Some(Incoming::Deltas(
            chunk
                .choices
                .into_iter()
                .map(|c| Delta {
                    index: c.index,
                    reasoning: c.delta.reasoning_content.unwrap_or_default(),
                    content: c.delta.content.unwrap_or_default(),
                    finish_reason: c.finish_reason,
                })
                .collect(),
        )),
        // A continuation (sent as prompt tokens) streams as completion chunks of raw text.
        Response::CompletionChunk(chunk) => Some(Incoming::Deltas(
            chunk
                .choices
                .into_iter()
                .map(|c| Delta {
                    index: c.index,
                    reasoning: String::new(),
                    content: c.text,
                    finish_reason: c.finish_reason,
                })
                .collect(),
        )),
        Response::InternalError(e) | Response::ValidationError(e) => {
            Some(Incoming::Failed(e.to_string()))
        }
        Response::ModelError(e, _) => Some(Incoming::Failed(e)),
        _ => None,
    }
}

/// How a generation's output is to be read.
pub(crate) struct StreamPlan {
    /// Candidates requested.
    pub candidates: usize,
    /// Tokens in the rendered prompt.
    pub prompt_tokens: usize,
    /// Where raw `content` starts: inside a thinking block the prompt opened, or outside.
    pub split_start: SplitStart,
    /// When the request was made (time to first token counts from here).
    pub started: Instant,
    /// Stop a candidate whose thinking loops ([`crate::loop_watch`]).
    pub stop_loops: bool,
}

/// Forwards the stream's events until it ends or the receiver goes away; then every candidate gets its
/// `Usage` and exactly one `Finished`. When `stop` completes while candidates are still running,
/// `terminate` is awaited and the stream gets `grace` to wind down (text already generated still
/// arrives) before it is dropped.
pub(crate) async fn forward(
    mut stream: impl futures::Stream<Item = Incoming> + Unpin,
    tx: &mpsc::Sender<CandidateEvent>,
    plan: StreamPlan,
    stop: impl std::future::Future<Output = ()>,
    terminate: impl std::future::Future<Output = ()>,
    grace: Duration,
) {
    let mut candidates: Vec<Candidate> = (0..plan.candidates.max(1))
        .map(|_| Candidate::new(plan.split_start, plan.prompt_tokens, plan.stop_loops))
        .collect();
    // mistral.rs may end a stream without a final chunk (when the last token is an incomplete UTF-8
    // piece): that is still a normal stop.
    let mut default_finish = FinishReason::Stop;
    let mut out = Outbox { tx, gone: false };
    let mut stop = std::pin::pin!(stop);
    let mut terminate = Some(terminate);
    let mut deadline: Option<tokio::time::Instant> = None;
    'stream: loop {
        let next = match deadline {
            Some(d) => tokio::time::timeout_at(d, stream.next()).await.unwrap_or(None),
            None => tokio::select! {
                r = stream.next() => r,
                () = &mut stop => {
                    default_finish = FinishReason::Cancelled;
                    deadline = Some(tokio::time::Instant::now() + grace);
                    // mistral.rs's only per-request stop is a global "terminate all": send it only
                    // while this request still runs, or it would cancel the next one.
                    if candidates.iter().any(|c| !c.engine_finished) {
                        if let Some(t) = terminate.take() {
                            t.await;
                        }
                    }
                    continue;
                }
            },
        };
        let Some(incoming) = next else { break };
        match incoming {
            Incoming::Deltas(deltas) => {
                let now = Instant::now();
                for choice in &deltas {
                    let Some(c) = candidates.get_mut(choice.index) else { continue };
                    for event in c.take(choice, now) {
                        out.send(CandidateEvent { candidate: choice.index, event }).await;
                    }
                }
                if candidates.iter().all(|c| c.finish.is_some()) {
                    if candidates.iter().all(|c| c.engine_finished) {
                        break 'stream;
                    }
                    // Every candidate still running was stopped for looping: end the request, and
                    // let it wind down so the next one never overlaps it.
                    if deadline.is_none() {
                        deadline = Some(tokio::time::Instant::now() + grace);
                        if let Some(t) = terminate.take() {
                            t.await;
                        }
                    }
                }
            }
            Incoming::PromptTokens(n) => {
                candidates.iter_mut().for_each(|c| c.usage.prompt_tokens = n)
            }
            Incoming::Failed(e) => {
                default_finish = FinishReason::Error(e);
                break;
            }
            Incoming::CandidateFailed(index, e) => {
                if let Some(c) = candidates.get_mut(index) {
                    c.engine_finished = true;
                    c.finish.get_or_insert(FinishReason::Error(e));
                }
                if candidates.iter().all(|c| c.engine_finished) {
                    break 'stream;
                }
            }
        }
    }
    for (index, c) in candidates.iter_mut().enumerate() {
        for event in c.close(plan.started, &default_finish) {
            out.send(CandidateEvent { candidate: index, event }).await;
        }
    }
}

/// The event channel; once the receiver is gone, events are dropped while the stream winds down (the
/// [`crate::Generation`] signals a stop as it is dropped), so the next request never overlaps this one.
struct Outbox<'a> {
    tx: &'a mpsc::Sender<CandidateEvent>,
    gone: bool,
}

impl Outbox<'_> {
    async fn send(&mut self, item: CandidateEvent) {
        if !self.gone && self.tx.send(item).await.is_err() {
            self.gone = true;
        }
    }
}

#[cfg(test)]
#[path = "stream_tests.rs"]
mod tests;
