//! Saving answers while they stream: text reaches the file within the flush interval, an abandoned
//! answer is kept as interrupted, and a process killed mid-answer loses at most about a second.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use ponder_store::{EndReason, MessageStatus, Store, StoreOptions};

async fn store_flushing_every(ms: u64) -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let mut opts = StoreOptions::new(dir.path().join("ponder.db"));
    opts.flush_interval = Duration::from_millis(ms);
    (dir, Store::open_with(opts).await.unwrap())
}

#[tokio::test]
async fn streamed_text_is_saved_within_the_flush_interval() {
    let (_dir, store) = store_flushing_every(400).await;
    let (_, q) = store.start_conversation("count").await.unwrap();
    let writer = store.begin_answer(q.id, common::settings()).await.unwrap();
    writer.push_thinking("one two ");
    writer.push_answer("three");
    let saved = store.message(writer.id()).await.unwrap();
    assert_eq!(
        (saved.content.as_str(), saved.status),
        ("", MessageStatus::Generating),
        "not on the token path"
    );
    tokio::time::sleep(Duration::from_millis(1000)).await;
    let saved = store.message(writer.id()).await.unwrap();
    assert_eq!(saved.thinking.as_deref(), Some("one two "));
    assert_eq!(saved.content, "three");
    writer.push_answer(" four");
    let done = writer.finish(Default::default()).await.unwrap();
    assert_eq!((done.content.as_str(), done.status), ("three four", MessageStatus::Complete));
}

#[tokio::test]
async fn stopping_keeps_the_partial_answer_and_a_dropped_writer_marks_it_interrupted() {
    let (_dir, store) = store_flushing_every(1000).await;
    let (_, q) = store.start_conversation("long one").await.unwrap();
    let writer = store.begin_answer(q.id, common::settings()).await.unwrap();
    writer.push_thinking("halfway through");
    let stopped = writer
        .finish(ponder_store::GenerationOutcome {
            finish_reason: Some(EndReason::Cancelled),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(
        (stopped.status, stopped.thinking.as_deref()),
        (MessageStatus::Stopped, Some("halfway through"))
    );

    let writer = store.begin_answer(q.id, common::settings()).await.unwrap();
    let id = writer.id();
    writer.push_answer("the shell task panicked here");
    drop(writer);
    tokio::time::sleep(Duration::from_millis(200)).await;
    let m = store.message(id).await.unwrap();
    assert_eq!(
        (m.status, m.content.as_str()),
        (MessageStatus::Interrupted, "the shell task panicked here")
    );
}

/// The text the child streams, word by word; any saved text must be a prefix of it.
fn word(i: usize) -> String {
    format!("w{i} ")
}

const CHILD_DB: &str = "PONDER_STORE_KILL_TEST_DB";

/// Run only as the child of the test below: streams an answer until it is killed.
#[tokio::test]
async fn child_process_for_the_kill_test() {
    let Some(path) = std::env::var_os(CHILD_DB) else { return };
    let store = Store::open(path).await.unwrap(); // the app's default: flush every second
    let (_, q) = store.start_conversation("stream until killed").await.unwrap();
    let writer = store.begin_answer(q.id, common::settings()).await.unwrap();
    let mut pushed = 0;
    for i in 0.. {
        let w = word(i);
        writer.push_answer(&w);
        pushed += w.len();
        println!("pushed {pushed}");
        tokio::time::sleep(Duration::from_millis(4)).await;
    }
}

#[tokio::test]
async fn a_process_killed_mid_answer_keeps_all_but_the_last_second_marked_interrupted() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("ponder.db");
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "child_process_for_the_kill_test", "--nocapture", "--test-threads=1"])
        .env(CHILD_DB, &db)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut progress: Vec<(Instant, usize)> = Vec::new();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut started = None;
    while let Some(Ok(line)) = lines.next() {
        let Some(n) = line.strip_prefix("pushed ") else { continue };
        let now = Instant::now();
        progress.push((now, n.parse().unwrap()));
        if now.duration_since(*started.get_or_insert(now)) > Duration::from_millis(3500) {
            break;
        }
    }
    child.kill().unwrap(); // SIGKILL: no destructor, no flush
    let killed_at = Instant::now();
    child.wait().unwrap();
    let pushed = progress.last().unwrap().1;

    let store = Store::open(&db).await.unwrap();
    let page = store.list_conversations(10, None).await.unwrap();
    let thread = store.thread(page.items[0].id).await.unwrap();
    let answer = thread.active_messages()[1].clone();
    assert_eq!(answer.status, MessageStatus::Interrupted);
    let finish = answer.generation.unwrap().outcome.and_then(|o| o.finish_reason);
    assert_eq!(finish, Some(EndReason::Interrupted));
    // The child may have pushed (and saved) a little past the last line read here before it died, so
    // compare with a stream longer than anything it could have written.
    let full: String = (0..pushed).map(word).collect();
    assert!(full.starts_with(&answer.content), "saved text is exactly what was streamed");
    // Everything pushed more than ~1 s before the kill is there (half a second of slack for scheduling).
    let due = progress
        .iter()
        .rev()
        .find(|(t, _)| killed_at.duration_since(*t) >= Duration::from_millis(1500))
        .map_or(0, |p| p.1);
    assert!(due > 0, "the child streamed for long enough");
    assert!(
        answer.content.len() >= due,
        "saved {} of {pushed} bytes; {due} were due",
        answer.content.len()
    );
    // Reopening again does not duplicate or change it.
    store.close().await;
    let store = Store::open(&db).await.unwrap();
    let again = store.thread(page.items[0].id).await.unwrap();
    assert_eq!(again.messages.len(), 2);
    assert_eq!(again.active_messages()[1].content, answer.content);
}

#[tokio::test]
async fn another_process_opening_the_store_does_not_take_a_live_answer_away() {
    // Ticks a second apart, so the other process's open lands well between two of them.
    let (dir, store) = store_flushing_every(1000).await;
    let (_, q) = store.start_conversation("long answer").await.unwrap();
    let writer = store.begin_answer(q.id, common::settings()).await.unwrap();
    writer.push_answer("first ");
    tokio::time::sleep(Duration::from_millis(250)).await;

    // e.g. `ponder history` while the app streams: its open marks the answer interrupted...
    let other = Store::open(dir.path().join("ponder.db")).await.unwrap();
    assert_eq!(other.message(writer.id()).await.unwrap().status, MessageStatus::Interrupted);
    // ...and the live writer takes it back at its next tick, even with nothing new to write.
    tokio::time::sleep(Duration::from_millis(1200)).await;
    let live = other.message(writer.id()).await.unwrap();
    assert_eq!(live.status, MessageStatus::Generating);
    assert_eq!(live.generation.unwrap().outcome, None);
    writer.push_answer("second");
    let done = writer.finish(Default::default()).await.unwrap();
    assert_eq!((done.status, done.content.as_str()), (MessageStatus::Complete, "first second"));
}
