//! The stream on scripted deltas: a looping candidate ends `Looped` with what it wrote, the others
//! run on, and the request is ended only once nothing else runs; one candidate's failed request ends
//! that candidate alone.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use super::*;

fn delta(index: usize, reasoning: &str, content: &str, finish: Option<&str>) -> Delta {
    Delta {
        index,
        reasoning: reasoning.into(),
        content: content.into(),
        finish_reason: finish.map(String::from),
    }
}

/// Candidate 0 says the same sentence over and over; candidate 1 counts, then answers.
fn script() -> Vec<Incoming> {
    let mut items = Vec::new();
    for i in 0..120 {
        items.push(Incoming::Deltas(vec![
            delta(0, "Wait, let me check that again. ", "", None),
            delta(1, &format!("step {i}. "), "", None),
        ]));
    }
    items.push(Incoming::Deltas(vec![delta(1, "", "42", None)]));
    items.push(Incoming::Deltas(vec![delta(1, "", "", Some("stop"))]));
    // The looping one would run to the token limit.
    for _ in 0..50 {
        items.push(Incoming::Deltas(vec![delta(0, "Wait, let me check that again. ", "", None)]));
    }
    items.push(Incoming::Deltas(vec![delta(0, "", "", Some("length"))]));
    items
}

async fn run(stop_loops: bool) -> (Vec<CandidateEvent>, bool) {
    let (tx, mut rx) = mpsc::channel(10_000);
    let terminated = Arc::new(AtomicBool::new(false));
    let plan = StreamPlan {
        candidates: 2,
        prompt_tokens: 10,
        split_start: SplitStart::Outside,
        started: Instant::now(),
        stop_loops,
    };
    let flag = terminated.clone();
    let terminate = async move { flag.store(true, Ordering::SeqCst) };
    let stream = futures::stream::iter(script());
    forward(stream, &tx, plan, std::future::pending(), terminate, Duration::from_millis(50)).await;
    drop(tx);
    let mut events = Vec::new();
    while let Some(e) = rx.recv().await {
        events.push(e);
    }
    (events, terminated.load(Ordering::SeqCst))
}

fn finish_of(events: &[CandidateEvent], candidate: usize) -> FinishReason {
    let finishes: Vec<_> = events
        .iter()
        .filter(|e| e.candidate == candidate)
        .filter_map(|e| match &e.event {
            Event::Finished(f) => Some(f.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(finishes.len(), 1, "exactly one Finished: {finishes:?}");
    finishes[0].clone()
}

fn thinking_of(events: &[CandidateEvent], candidate: usize) -> String {
    events
        .iter()
        .filter(|e| e.candidate == candidate)
        .filter_map(|e| match &e.event {
            Event::Thinking(t) => Some(t.as_str()),
            _ => None,
        })
        .collect()
}

#[tokio::test]
async fn a_looping_chain_is_stopped_and_said_so_while_the_others_run_on() {
    let (events, terminated) = run(true).await;
    let FinishReason::Looped(repetition) = finish_of(&events, 0) else {
        panic!("{:?}", finish_of(&events, 0))
    };
    let sentence = "Wait, let me check that again. ";
    assert!(sentence.repeat(2).contains(&repetition.text), "{repetition:?}");
    assert!(repetition.times >= crate::loop_watch::MIN_REPEATS);
    // What arrived before the stop is kept; the rest of the loop is not shown.
    let kept = thinking_of(&events, 0);
    assert!(kept.len() >= crate::loop_watch::MIN_SPAN, "{}", kept.len());
    assert!(kept.len() < 20 * sentence.len(), "stopped soon after it began: {}", kept.len());
    assert_eq!(finish_of(&events, 1), FinishReason::Stop);
    assert!(thinking_of(&events, 1).contains("step 119."));
    // The looping chain was still running in the engine once the other ended: the request was ended.
    assert!(terminated);
}

#[tokio::test]
async fn with_loop_stopping_off_the_chain_runs_to_its_limit() {
    let (events, terminated) = run(false).await;
    assert_eq!(finish_of(&events, 0), FinishReason::Length);
    assert_eq!(thinking_of(&events, 0).len(), 170 * "Wait, let me check that again. ".len());
    assert!(!terminated);
}

#[tokio::test]
async fn one_candidates_failed_request_ends_only_that_candidate() {
    let (tx, mut rx) = mpsc::channel(1_000);
    let plan = StreamPlan {
        candidates: 2,
        prompt_tokens: 10,
        split_start: SplitStart::Outside,
        started: Instant::now(),
        stop_loops: true,
    };
    let items = vec![
        Incoming::Deltas(vec![delta(0, "Adding. ", "", None), delta(1, "Adding. ", "", None)]),
        Incoming::CandidateFailed(1, "the server closed the connection".into()),
        Incoming::Deltas(vec![delta(0, "", "4", None)]),
        Incoming::Deltas(vec![delta(0, "", "", Some("stop"))]),
    ];
    let stream = futures::stream::iter(items);
    forward(stream, &tx, plan, std::future::pending(), async {}, Duration::ZERO).await;
    drop(tx);
    let mut events = Vec::new();
    while let Some(e) = rx.recv().await {
        events.push(e);
    }
    assert_eq!(finish_of(&events, 0), FinishReason::Stop);
    assert_eq!(
        finish_of(&events, 1),
        FinishReason::Error("the server closed the connection".into())
    );
    // What the failed one wrote before its request broke is kept.
    assert_eq!(thinking_of(&events, 1), "Adding. ");
}
