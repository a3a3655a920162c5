//! Thinking harder from the window's side, on the bundled model in mistral.rs and a real SQLite file:
//! a vote saved with its chains and its majority on screen, thinking longer recorded with the answer,
//! checks by the grader and by the model, the composer's mode per conversation, and the export of it
//! all (vote pairs and references, the mode of every answer).

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use ponder_app::{
    AnswerBatch, AnswerOptions, AnswerSink, App, AppConfig, AskRequest, CheckRequest,
    ExportRequest, ModelChoice, SamplingRequest,
};
use ponder_engine::DeviceChoice;
use ponder_store::{
    AnswerMode, CheckMethod, CheckVerdict, ConversationId, Message, RatingInput, Role, Vote,
    VoteResult,
};

#[derive(Default)]
struct Collect(Mutex<Vec<AnswerBatch>>, tokio::sync::Notify);

impl AnswerSink for Collect {
    fn send(&self, batch: AnswerBatch) {
        let done = batch.done;
        self.0.lock().unwrap().push(batch);
        if done {
            self.1.notify_one();
        }
    }
}

async fn open_with_model(dir: &std::path::Path) -> Arc<App> {
    let bundled = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../models/ponder-tiny");
    let app = App::open(AppConfig { data_dir: dir.to_path_buf(), bundled_model: bundled }).await;
    let choice = ModelChoice::Bundled { device: DeviceChoice::Cpu, quantization: None };
    app.load_model(choice, Arc::new(|_| {})).await.unwrap();
    app
}

/// Asks `text` in a new conversation and waits for the end; the conversation's answers to it.
async fn ask(app: &App, text: &str, options: AnswerOptions) -> (ConversationId, Vec<Message>) {
    let sink = Arc::new(Collect::default());
    let ask = AskRequest { conversation_id: None, parent_id: None, text: text.into(), options };
    let started = app.ask(ask, sink.clone()).await.unwrap();
    loop {
        if let Some(last) = sink.0.lock().unwrap().last().filter(|b| b.done) {
            assert!(last.error.is_none(), "{:?}", last.error);
            break;
        }
        tokio::time::timeout(Duration::from_secs(300), sink.1.notified()).await.unwrap();
    }
    let thread = app.store().await.unwrap().thread(started.conversation_id).await.unwrap();
    let answers = thread
        .messages
        .iter()
        .filter(|m| m.role == Role::Assistant && m.parent_id == Some(started.question_id))
        .cloned()
        .collect();
    (started.conversation_id, answers)
}

fn sampled(max_tokens: usize) -> AnswerOptions {
    AnswerOptions {
        sampling: Some(SamplingRequest { temperature: Some(1.0), ..Default::default() }),
        max_tokens: Some(max_tokens),
        ..AnswerOptions::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_vote_is_saved_with_its_chains_its_majority_shown_checked_and_exported() {
    let dir = tempfile::tempdir().unwrap();
    let app = open_with_model(dir.path()).await;
    let options = AnswerOptions { vote: Some(5), ..sampled(400) };
    let (conversation, chains) = ask(&app, "What is 347 + 589?", options).await;
    assert_eq!(chains.len(), 5);
    let votes: Vec<_> =
        chains.iter().map(|m| m.vote.clone().expect("a chain of the vote")).collect();
    assert!(votes.iter().all(|v| v.vote_id == votes[0].vote_id && v.chains == 5));
    let mut positions: Vec<u32> = votes.iter().map(|v| v.position).collect();
    positions.sort();
    assert_eq!(positions, [0, 1, 2, 3, 4]);
    let thread = app.store().await.unwrap().thread(conversation).await.unwrap();
    let shown = thread.message(*thread.active_path.last().unwrap()).unwrap().clone();
    let vote = shown.vote.clone().unwrap();
    match vote.result {
        VoteResult::Majority => {
            assert!(vote.with_majority, "the majority's chain is on screen: {vote:?}");
            let agreeing = votes.iter().filter(|v| v.with_majority).count() as u32;
            assert_eq!(vote.agreeing, agreeing);
            assert!(votes.iter().filter(|v| v.with_majority).all(|v| v.position >= vote.position));
        }
        _ => assert_eq!(vote.position, 0, "no majority: the first chain is shown"),
    }

    // Checked by the grader: the question carries its own answer.
    let checked = app
        .check_answer(CheckRequest { answer_id: shown.id, options: AnswerOptions::default() })
        .await
        .unwrap();
    let check = checked.check.expect("saved with the answer").input;
    assert_eq!(check.method, CheckMethod::Grader);
    let right = ponder_chat::grade(&shown, "936").correct;
    let want = if right { CheckVerdict::Correct } else { CheckVerdict::Incorrect };
    assert_eq!(check.verdict, want, "{check:?} for {:?}", shown.content);

    // Rated like any answer, and exported with its mode; the vote gives its own rows.
    let store = app.store().await.unwrap();
    store
        .rate(shown.id, RatingInput { answer: Some(Vote::Up), ..Default::default() })
        .await
        .unwrap();
    let out = dir.path().join("export");
    let request = ExportRequest {
        folder: out.clone(),
        formats: vec![ponder_export::Format::Archive, ponder_export::Format::Votes],
        reasoning: ponder_export::ReasoningStyle::Inline,
        models: vec![],
        since_ms: None,
        until_ms: None,
        vote: None,
        tags: vec![],
        test_fraction: 0.0,
        // The window's "TRL training kit" box.
        trainer: Some(ponder_export::Trainer::Trl),
    };
    let summary = app.export(request, |_| {}).await.unwrap();
    assert_eq!(summary.report.votes, 1, "{summary:?}");
    assert!(out.join("train_trl.py").is_file() && out.join("accelerate/fsdp.yaml").is_file());
    let archive = std::fs::read_to_string(out.join("archive.jsonl")).unwrap();
    let row: serde_json::Value = serde_json::from_str(archive.lines().next().unwrap()).unwrap();
    assert_eq!(row["mode"], "vote");
    assert_eq!(row["answer"]["vote"]["chains"], 5);
    assert_eq!(row["answer"]["check"]["method"], "grader");
    let references = std::fs::read_to_string(out.join("vote_grpo.jsonl")).unwrap();
    let pairs = std::fs::read_to_string(out.join("vote_dpo.jsonl")).unwrap();
    let strong = vote.result == VoteResult::Majority && vote.agreeing * 2 > vote.chains;
    assert_eq!(references.lines().count(), usize::from(strong), "{references}");
    if strong {
        let r: serde_json::Value = serde_json::from_str(references.trim()).unwrap();
        assert_eq!(r["answer"].as_str(), vote.answer.as_deref());
        assert_eq!(r["prompt"][0]["content"], "What is 347 + 589?");
    }
    let minority = votes.iter().filter(|v| !v.with_majority && v.answer_key.is_some()).count();
    let expected_pairs =
        if vote.result == VoteResult::Majority && vote.agreeing >= 2 { minority.min(4) } else { 0 };
    assert!(pairs.lines().count() <= expected_pairs, "{pairs}");
    for line in pairs.lines() {
        let p: serde_json::Value = serde_json::from_str(line).unwrap();
        assert_ne!(p["chosen"], p["rejected"]);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thinking_longer_is_recorded_and_a_question_without_a_known_answer_is_checked_by_the_model()
{
    let dir = tempfile::tempdir().unwrap();
    let app = open_with_model(dir.path()).await;
    let options = AnswerOptions { min_thinking: Some(120), ..sampled(600) };
    let (conversation, answers) = ask(&app, "What is 58 + 67?", options).await;
    let generation = answers[0].generation.as_ref().unwrap();
    assert_eq!(generation.settings.sampling["min_thinking"], 120);
    let outcome = generation.outcome.as_ref().unwrap();
    assert!(outcome.thinking_tokens >= 120, "thought for at least the minimum: {outcome:?}");

    // The composer's mode is the conversation's own.
    assert_eq!(app.answer_mode(conversation).await.unwrap(), AnswerMode::Answer);
    let longer = AnswerMode::ThinkLonger { min_tokens: 120 };
    app.set_answer_mode(conversation, longer).await.unwrap();
    assert_eq!(app.answer_mode(conversation).await.unwrap(), longer);
    let e = app.set_answer_mode(conversation, AnswerMode::Vote { chains: 40 }).await.unwrap_err();
    assert_eq!(e.kind(), ponder_app::ErrorKind::Invalid, "{e}");

    // No grader knows the answer to this: the model is asked to check, and its verdict is read
    // from what it says (unsure unless it ends with one).
    let (_, answers) = ask(&app, "Tell me about the apples in the orchard.", sampled(200)).await;
    let request = CheckRequest { answer_id: answers[0].id, options: sampled(200) };
    let check = app.check_answer(request).await.unwrap().check.unwrap().input;
    assert_eq!(check.method, CheckMethod::Model);
    assert_eq!(check.model.as_deref(), Some("ponder-tiny"));
    assert_eq!(check.verdict, ponder_chat::check::verdict_of(&check.reason));
}
