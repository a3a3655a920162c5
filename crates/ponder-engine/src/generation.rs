//! A running generation: its event stream, and the handle that stops it.

use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::StreamExt;
use mistralrs::{Model, Request};

use crate::continuation::Prompted;
use tokio::sync::{mpsc, watch, OwnedSemaphorePermit};

use crate::events::{CandidateEvent, Event, FinishReason, Usage};
use crate::split::SplitStart;
use crate::stream::{forward, from_mistralrs, StreamPlan};

/// How long a stopped generation may take to wind down before its stream is simply dropped.
const STOP_GRACE: Duration = Duration::from_secs(2);

/// Stops a generation: the model halts within about one token, and what it produced so far is kept
/// (each candidate still ends with `Usage` and `Finished(Cancelled)`). Cloneable; stopping twice is fine.
#[derive(Clone, Debug)]
pub struct StopHandle(Arc<watch::Sender<bool>>);

impl StopHandle {
    /// Asks the generation to stop.
    pub fn stop(&self) {
        self.0.send_replace(true);
    }
}

/// The events of one request, in order per candidate. Dropping it also stops the generation.
#[derive(Debug)]
pub struct Generation {
    events: mpsc::Receiver<CandidateEvent>,
    stop: StopHandle,
}

impl Drop for Generation {
    fn drop(&mut self) {
        self.stop.stop();
    }
}

impl Generation {
    /// The next event, or `None` once every candidate has finished.
    pub async fn next(&mut self) -> Option<CandidateEvent> {
        self.events.recv().await
    }

    /// A handle that stops this generation from elsewhere (a button, Ctrl-C).
    pub fn stop_handle(&self) -> StopHandle {
        self.stop.clone()
    }

    /// Waits for the whole generation.
    pub async fn collect(mut self) -> Vec<CandidateEvent> {
        let mut all = Vec::new();
        while let Some(e) = self.next().await {
            all.push(e);
        }
        all
    }
}

/// Everything a generation task needs, prepared by the engine.
pub(crate) struct Job {
    pub model: Arc<Model>,
    pub request: Prompted,
    pub plan: StreamPlan,
    /// Held for the whole generation: mistral.rs 0.8.1 cannot batch sequences whose caches differ in
    /// length (it panics in its KV cache), so requests run one at a time and later ones wait here.
    pub permit: Arc<tokio::sync::Semaphore>,
}

/// A generation's two ends: what the caller holds, the sender its task fills, and the stop signal.
pub(crate) fn channel() -> (Generation, mpsc::Sender<CandidateEvent>, watch::Receiver<bool>) {
    let (tx, rx) = mpsc::channel(256);
    let (stop_tx, stop_rx) = watch::channel(false);
    (Generation { events: rx, stop: StopHandle(Arc::new(stop_tx)) }, tx, stop_rx)
}

/// Starts `job` on the current runtime.
pub(crate) fn start(job: Job) -> Generation {
    let (generation, tx, stop_rx) = channel();
    tokio::spawn(run(job, tx, stop_rx));
    generation
}

async fn run(job: Job, tx: mpsc::Sender<CandidateEvent>, mut stop: watch::Receiver<bool>) {
    let candidates = job.plan.candidates;
    let permit: OwnedSemaphorePermit = tokio::select! {
        p = job.permit.clone().acquire_owned() => match p {
            Ok(p) => p,
            Err(_) => return finish_all(&tx, candidates, FinishReason::Error("engine closed".into())).await,
        },
        () = stopped(&mut stop) => return finish_all(&tx, candidates, FinishReason::Cancelled).await,
    };
    let stream = match job.model.stream_chat_request(job.request).await {
        Ok(s) => s,
        Err(e) => return finish_all(&tx, candidates, FinishReason::Error(e.to_string())).await,
    };
    let terminator = job.model.inner().get_sender(None).ok();
    let stop_signal = async move { stopped(&mut stop).await };
    let terminate = async move {
        if let Some(sender) = terminator {
            // One request runs at a time, so "terminate every sequence" means exactly this one.
            let _ = sender.send(Request::TerminateAllSeqsNextStep).await;
        }
    };
    let incoming = stream.filter_map(|r| std::future::ready(from_mistralrs(r)));
    forward(std::pin::pin!(incoming), &tx, job.plan, stop_signal, terminate, STOP_GRACE).await;
    drop(permit);
}

/// Completes when a stop is asked for; never, once no handle is left that could ask.
pub(crate) async fn stopped(stop: &mut watch::Receiver<bool>) {
    let closed = stop.wait_for(|s| *s).await.is_err();
    if closed {
        std::future::pending::<()>().await;
    }
}

/// Ends every candidate at once (before any token was generated).
pub(crate) async fn finish_all(
    tx: &mpsc::Sender<CandidateEvent>,
    candidates: usize,
    reason: FinishReason,
) {
    for candidate in 0..candidates {
        let events = [Event::Usage(Usage::default()), Event::Finished(reason.clone())];
        for event in events {
            if tx.send(CandidateEvent { candidate, event }).await.is_err() {
                return;
            }
        }
    }
}

/// A plan for a request made now.
pub(crate) fn plan(
    req: &crate::GenerationRequest,
    prompt_tokens: usize,
    split_start: SplitStart,
) -> StreamPlan {
    StreamPlan {
        candidates: req.candidates.max(1),
        prompt_tokens,
        split_start,
        started: Instant::now(),
        stop_loops: req.stop_loops,
    }
}
