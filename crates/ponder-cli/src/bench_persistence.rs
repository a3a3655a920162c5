//! `ponder bench --persistence`: what saving a streamed answer costs next to generating it.
//!
//! Two measures, runs interleaved: the wall time of whole generations with and without the store
//! (begin, streaming writes, final transaction), and the time spent on the token path itself (the
//! `push` calls, replayed from a captured stream and timed alone). The store flushes every 100 ms
//! here, ten times as often as the app, so the measured cost is an upper bound.

use std::time::{Duration, Instant};

use ponder_chat::{generation_settings, record};
use ponder_engine::{Engine, Event, GenerationRequest, Sampling};
use ponder_store::{Store, StoreOptions};

use crate::bench::median;

async fn drain(engine: &Engine, req: &GenerationRequest) -> anyhow::Result<Vec<Event>> {
    let events = engine.generate(req).await?.collect().await;
    Ok(events.into_iter().map(|e| e.event).collect())
}

/// Runs the comparison and prints a table.
pub async fn run(
    engine: &Engine,
    name: &str,
    question: &str,
    runs: usize,
    max_tokens: usize,
) -> anyhow::Result<()> {
    let dir = std::env::temp_dir().join(format!("ponder-bench-{}", std::process::id()));
    let mut opts = StoreOptions::new(dir.join("ponder.db"));
    opts.flush_interval = Duration::from_millis(100);
    let store = Store::open_with(opts).await?;
    let req = GenerationRequest {
        sampling: Sampling::greedy(),
        max_tokens,
        ..GenerationRequest::ask(question)
    };
    let settings = generation_settings(engine.info(), &req);
    let events = drain(engine, &req).await?; // warm-up, and the stream replayed below
    let (mut without, mut with, mut pushes) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..runs.max(1) {
        let t = Instant::now();
        drain(engine, &req).await?;
        without.push(t.elapsed().as_secs_f64() * 1e3);

        let (_, q) = store.start_conversation(question).await?;
        let t = Instant::now();
        let generation = engine.generate(&req).await?;
        record(&store, q.id, settings.clone(), generation, 1, |_, _| {}).await?;
        with.push(t.elapsed().as_secs_f64() * 1e3);

        let (_, q) = store.start_conversation(question).await?;
        let writer = store.begin_answer(q.id, settings.clone()).await?;
        let t = Instant::now();
        for e in &events {
            match e {
                Event::Thinking(s) => writer.push_thinking(s),
                Event::Answer(s) => writer.push_answer(s),
                _ => {}
            }
        }
        pushes.push(t.elapsed().as_secs_f64() * 1e3);
        writer.finish(Default::default()).await?;
    }
    store.close().await;
    let _ = std::fs::remove_dir_all(&dir);
    let (a, b, p) = (median(without), median(with), median(pushes));
    let deltas =
        events.iter().filter(|e| matches!(e, Event::Thinking(_) | Event::Answer(_))).count();
    println!("model: {name}; {deltas} text events per answer; {} runs each, medians", runs.max(1));
    println!("| | without the store | with the store (flush every 100 ms) | cost |");
    println!("|---|---|---|---|");
    println!(
        "| whole generation | {a:.1} ms | {b:.1} ms | **{:+.2}%** (goal ≤ 1%) |",
        100.0 * (b - a) / a.max(f64::MIN_POSITIVE)
    );
    println!(
        "| token path (`push` calls) | | {:.3} ms per answer | **{:.3}%** of generating it |",
        p,
        100.0 * p / a.max(f64::MIN_POSITIVE)
    );
    Ok(())
}
