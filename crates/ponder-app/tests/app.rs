//! The window's actions on real parts: the bundled model in mistral.rs and a real SQLite file.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use ponder_app::{
    AnswerBatch, AnswerOptions, AnswerSink, App, AppConfig, AskRequest, FixStepRequest,
    ModelChoice, ModelStatus, RegenerateRequest, SamplingRequest,
};
use ponder_engine::{DeviceChoice, Event};
use ponder_store::{MessageStatus, Role};

fn bundled() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../models/ponder-tiny")
}

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

impl Collect {
    async fn wait(&self) -> Vec<AnswerBatch> {
        loop {
            if self.0.lock().unwrap().last().is_some_and(|b| b.done) {
                return self.0.lock().unwrap().clone();
            }
            tokio::time::timeout(Duration::from_secs(120), self.1.notified()).await.unwrap();
        }
    }
}

fn greedy(thinking: bool) -> AnswerOptions {
    AnswerOptions {
        thinking,
        thinking_budget: None,
        candidates: 1,
        sampling: Some(SamplingRequest { temperature: Some(0.0), ..Default::default() }),
        max_tokens: Some(400),
        ..AnswerOptions::default()
    }
}

async fn app_with_model(dir: &std::path::Path) -> Arc<App> {
    let app = App::open(AppConfig { data_dir: dir.to_path_buf(), bundled_model: bundled() }).await;
    let stages = Arc::new(Mutex::new(Vec::new()));
    let seen = stages.clone();
    let status = app
        .load_model(
            ModelChoice::Bundled { device: DeviceChoice::Cpu, quantization: None },
            Arc::new(move |p| seen.lock().unwrap().push(p)),
        )
        .await
        .unwrap();
    assert!(matches!(status, ModelStatus::Ready { bundled: true, .. }), "{status:?}");
    assert_eq!(stages.lock().unwrap().last(), Some(&ponder_app::LoadProgress::Ready));
    app
}

fn texts(batches: &[AnswerBatch]) -> (String, String) {
    let (mut thinking, mut answer) = (String::new(), String::new());
    for e in batches.iter().flat_map(|b| &b.events) {
        match &e.event {
            Event::Thinking(t) => thinking.push_str(t),
            Event::Answer(t) => answer.push_str(t),
            _ => {}
        }
    }
    (thinking, answer)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn asking_streams_batches_and_saves_the_same_text_then_regenerate_adds_a_sibling() {
    let dir = tempfile::tempdir().unwrap();
    let app = app_with_model(dir.path()).await;
    let sink = Arc::new(Collect::default());
    let ask = AskRequest {
        conversation_id: None,
        parent_id: None,
        text: "What is 347 + 589?".into(),
        options: greedy(true),
    };
    let started = app.ask(ask, sink.clone()).await.unwrap();
    // The window reads the thread right after asking: the answer must already be on the branch shown.
    let early = app.store().await.unwrap().thread(started.conversation_id).await.unwrap();
    assert_eq!(early.active_path.len(), 2, "question and its answer: {:?}", early.active_path);
    let batches = sink.wait().await;
    let events: usize = batches.iter().map(|b| b.events.len()).sum();
    assert!(batches.len() < events, "{} batches for {events} events: not batched", batches.len());
    assert!(batches.iter().all(|b| b.error.is_none()));
    let (thinking, answer) = texts(&batches);
    assert!(thinking.contains("carry"), "{thinking}");
    assert!(answer.contains("936"), "{answer}");

    let store = app.store().await.unwrap();
    let thread = store.thread(started.conversation_id).await.unwrap();
    let saved = thread.messages.iter().find(|m| m.role == Role::Assistant).unwrap();
    assert_eq!(saved.content, answer);
    assert_eq!(saved.thinking.as_deref(), Some(thinking.as_str()));
    assert_eq!(saved.status, MessageStatus::Complete);

    let sink = Arc::new(Collect::default());
    let again = RegenerateRequest { question_id: started.question_id, options: greedy(false) };
    let second = app.regenerate(again, sink.clone()).await.unwrap();
    assert_eq!(second.question_id, started.question_id);
    sink.wait().await;
    let thread = store.thread(started.conversation_id).await.unwrap();
    let answers: Vec<_> =
        thread.messages.iter().filter(|m| m.parent_id == Some(started.question_id)).collect();
    assert_eq!(answers.len(), 2);
    assert_eq!(thread.active_path.last(), Some(&answers[1].id), "the new answer is shown");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stopping_mid_thinking_keeps_the_partial_thinking() {
    let dir = tempfile::tempdir().unwrap();
    let app = app_with_model(dir.path()).await;
    let sink = Arc::new(Collect::default());
    let ask = AskRequest {
        conversation_id: None,
        parent_id: None,
        text: "What is 4821 × 7?".into(),
        options: greedy(true),
    };
    let started = app.ask(ask, sink.clone()).await.unwrap();
    // Wait for some thinking, then stop.
    loop {
        if !texts(&sink.0.lock().unwrap()).0.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    app.stop(started.run_id);
    let batches = sink.wait().await;
    let finished: Vec<_> = batches
        .iter()
        .flat_map(|b| &b.events)
        .filter_map(|e| match &e.event {
            Event::Finished(f) => Some(f.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(finished, vec![ponder_engine::FinishReason::Cancelled]);
    let (thinking, answer) = texts(&batches);
    assert!(answer.is_empty(), "stopped while thinking, yet answered: {answer}");
    let thread = app.store().await.unwrap().thread(started.conversation_id).await.unwrap();
    let saved = thread.messages.iter().find(|m| m.role == Role::Assistant).unwrap();
    assert_eq!(saved.status, MessageStatus::Stopped);
    assert_eq!(saved.thinking.as_deref(), Some(thinking.as_str()));
}

#[tokio::test]
async fn without_a_model_nothing_is_saved_and_the_error_says_what_to_do() {
    let dir = tempfile::tempdir().unwrap();
    let app = App::open(AppConfig { data_dir: dir.path().into(), bundled_model: bundled() }).await;
    let ask = AskRequest {
        conversation_id: None,
        parent_id: None,
        text: "hello".into(),
        options: greedy(true),
    };
    let e = app.ask(ask, Arc::new(Collect::default())).await.unwrap_err();
    assert_eq!(e.kind().as_str(), "no_model");
    assert!(e.to_string().contains("Settings"), "{e}");
    assert_eq!(app.store().await.unwrap().counts().await.unwrap(), (0, 0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_question_the_engine_refuses_is_not_saved_in_a_new_or_an_existing_conversation() {
    let dir = tempfile::tempdir().unwrap();
    let app = app_with_model(dir.path()).await;
    // The bundled model's context is 2,048 tokens; one digit is one token.
    let long = format!("What is {} + 1?", "7".repeat(3000));
    let ask = |conversation_id, parent_id, text: &str| AskRequest {
        conversation_id,
        parent_id,
        text: text.into(),
        options: greedy(true),
    };
    for _ in 0..2 {
        let e = app.ask(ask(None, None, &long), Arc::new(Collect::default())).await.unwrap_err();
        assert!(e.to_string().contains("context holds 2048"), "{e}");
    }
    let store = app.store().await.unwrap();
    assert_eq!(store.counts().await.unwrap(), (0, 0), "a retry stores nothing either");

    let sink = Arc::new(Collect::default());
    let started = app.ask(ask(None, None, "What is 2 + 3?"), sink.clone()).await.unwrap();
    sink.wait().await;
    let before = store.counts().await.unwrap();
    let answer = store.thread(started.conversation_id).await.unwrap().active_path[1];
    let e = app
        .ask(ask(Some(started.conversation_id), Some(answer), &long), Arc::new(Collect::default()))
        .await
        .unwrap_err();
    assert!(e.to_string().contains("context holds"), "{e}");
    assert_eq!(store.counts().await.unwrap(), before, "the follow-up was not saved");
}

#[tokio::test]
async fn a_broken_model_folder_fails_with_the_file_named_and_the_app_loads_another_after() {
    let dir = tempfile::tempdir().unwrap();
    let broken = dir.path().join("broken-model");
    std::fs::create_dir(&broken).unwrap();
    for f in ["config.json", "tokenizer.json", "tokenizer_config.json"] {
        std::fs::copy(bundled().join(f), broken.join(f)).unwrap();
    }
    std::fs::write(broken.join("model.safetensors"), b"not weights").unwrap();
    let app =
        App::open(AppConfig { data_dir: dir.path().join("data"), bundled_model: bundled() }).await;
    let choice =
        ModelChoice::Folder { path: broken.clone(), device: DeviceChoice::Cpu, quantization: None };
    let e = app.load_model(choice, Arc::new(|_| {})).await.unwrap_err();
    assert!(e.to_string().contains("model.safetensors"), "{e}");
    match app.model_status() {
        ModelStatus::Failed { kind, message } => {
            assert_eq!(kind, ponder_app::ErrorKind::ModelCorruptFile);
            assert!(message.contains("model.safetensors"));
        }
        other => panic!("{other:?}"),
    }
    let bundled_choice = ModelChoice::Bundled { device: DeviceChoice::Cpu, quantization: None };
    app.load_model(bundled_choice, Arc::new(|_| {})).await.unwrap();
    assert!(matches!(app.model_status(), ModelStatus::Ready { bundled: true, .. }));
    let listed = app.list_models().await;
    assert!(
        listed.iter().any(|m| m.architecture.as_deref() == Some("Qwen3ForCausalLM")),
        "{listed:?}"
    );
    assert!(listed.iter().all(|m| m.path != broken), "a folder that failed is not offered again");
}

#[tokio::test]
async fn a_corrupt_database_is_reported_and_repaired_with_a_backup() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("ponder.db"), vec![7u8; 8192]).unwrap();
    let app = App::open(AppConfig { data_dir: dir.path().into(), bundled_model: bundled() }).await;
    let e = app.store().await.unwrap_err();
    assert_eq!(e.kind().as_str(), "corrupt");
    assert!(e.to_string().contains("ponder.db"), "{e}");
    let repaired = app.repair_store().await.unwrap();
    assert_eq!(std::fs::read(&repaired.backup).unwrap(), vec![7u8; 8192]);
    assert_eq!((repaired.conversations, repaired.messages), (0, 0), "nothing was readable");
    app.store().await.unwrap().start_conversation("works again").await.unwrap();
}

#[tokio::test]
async fn settings_round_trip_and_an_unreadable_file_is_kept_aside() {
    let dir = tempfile::tempdir().unwrap();
    let app = App::open(AppConfig { data_dir: dir.path().into(), bundled_model: bundled() }).await;
    assert_eq!(app.load_settings().await.unwrap(), serde_json::Value::Null);
    let value = serde_json::json!({"theme": "dark", "language": "zh"});
    app.save_settings(&value).await.unwrap();
    assert_eq!(app.load_settings().await.unwrap(), value);
    assert!(app.save_settings(&serde_json::json!([1])).await.is_err());

    std::fs::write(dir.path().join("settings.json"), "{ not json").unwrap();
    assert_eq!(app.load_settings().await.unwrap(), serde_json::Value::Null);
    let kept: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("settings.json.unreadable-"))
        .collect();
    assert_eq!(kept.len(), 1, "{kept:?}");
}

/// A copy of the bundled model with `change` applied to it.
fn hostile_copy(
    root: &std::path::Path,
    name: &str,
    change: impl FnOnce(&std::path::Path),
) -> PathBuf {
    let dir = root.join(name);
    std::fs::create_dir_all(&dir).unwrap();
    for e in std::fs::read_dir(bundled()).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), dir.join(e.file_name())).unwrap();
    }
    change(&dir);
    dir
}

fn edit_config(dir: &std::path::Path, key: &str, value: serde_json::Value) {
    let path = dir.join("config.json");
    let mut c: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    c[key] = value;
    std::fs::write(path, c.to_string()).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_model_files_give_clear_errors_and_the_app_loads_the_bundled_model_after_each() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let mut cases: Vec<(ModelChoice, Vec<&str>)> = Vec::new();
    let folder = |path| ModelChoice::Folder { path, device: DeviceChoice::Cpu, quantization: None };
    let huge_context = hostile_copy(root, "huge-context", |d| {
        edit_config(d, "max_position_embeddings", serde_json::json!(1_000_000_000_000u64))
    });
    cases.push((
        folder(huge_context),
        vec!["config.json", "max_position_embeddings", "1000000000000"],
    ));
    let no_width =
        hostile_copy(root, "zero-hidden", |d| edit_config(d, "hidden_size", serde_json::json!(0)));
    cases.push((folder(no_width), vec!["config.json", "hidden_size` = 0"]));
    let wrong_vocab = hostile_copy(root, "wrong-vocab", |d| {
        edit_config(d, "vocab_size", serde_json::json!(4096))
    });
    cases.push((folder(wrong_vocab), vec!["model.safetensors", "vocab_size 4096"]));
    let tokenizer = hostile_copy(root, "bad-tokenizer", |d| {
        std::fs::write(d.join("tokenizer.json"), r#"{"model": {"type": "BPE", "vocab": 7}}"#)
            .unwrap()
    });
    cases.push((folder(tokenizer), vec!["tokenizer.json", "not a tokenizer"]));
    let header = hostile_copy(root, "lying-header", |d| {
        // A safetensors header that claims 2^60 bytes of JSON.
        let path = d.join("model.safetensors");
        let mut bytes = std::fs::read(&path).unwrap();
        bytes[..8].copy_from_slice(&(1u64 << 60).to_le_bytes());
        std::fs::write(path, bytes).unwrap();
    });
    cases.push((folder(header), vec!["model.safetensors", "header length"]));
    // A GGUF file whose first metadata key claims to be 2^64 - 1 bytes long.
    let gguf = root.join("hostile.gguf");
    let mut bytes = b"GGUF".to_vec();
    bytes.extend(3u32.to_le_bytes());
    bytes.extend(0u64.to_le_bytes());
    bytes.extend(1u64.to_le_bytes());
    bytes.extend(u64::MAX.to_le_bytes());
    bytes.extend(b"general.architecture");
    std::fs::write(&gguf, bytes).unwrap();
    cases.push((
        ModelChoice::Gguf { path: gguf, device: DeviceChoice::Cpu },
        vec!["hostile.gguf", "bytes"],
    ));

    let app = App::open(AppConfig { data_dir: root.join("data"), bundled_model: bundled() }).await;
    for (choice, says) in cases {
        let e = app.load_model(choice.clone(), Arc::new(|_| {})).await.unwrap_err();
        for s in &says {
            assert!(e.to_string().contains(s), "{choice:?}: `{e}` should say {s}");
        }
        assert!(
            matches!(app.model_status(), ModelStatus::Failed { .. }),
            "{:?}",
            app.model_status()
        );
        let bundled_choice = ModelChoice::Bundled { device: DeviceChoice::Cpu, quantization: None };
        app.load_model(bundled_choice, Arc::new(|_| {})).await.unwrap();
        assert!(matches!(app.model_status(), ModelStatus::Ready { bundled: true, .. }));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fixing_a_step_streams_the_continuation_into_a_marked_branch() {
    let dir = tempfile::tempdir().unwrap();
    let app = app_with_model(dir.path()).await;
    let sink = Arc::new(Collect::default());
    let ask = AskRequest {
        conversation_id: None,
        parent_id: None,
        text: "How much is 9712 minus 5426?".into(),
        options: greedy(true),
    };
    let started = app.ask(ask, sink.clone()).await.unwrap();
    sink.wait().await;
    let store = app.store().await.unwrap();
    let thread = store.thread(started.conversation_id).await.unwrap();
    let wrong = thread.messages.iter().find(|m| m.role == Role::Assistant).unwrap().clone();

    let sink = Arc::new(Collect::default());
    let fix = FixStepRequest {
        answer_id: wrong.id,
        person_thinking: "Subtract 5426 from 9712 digit by digit, from the right.".into(),
        options: greedy(true),
    };
    let again = app.fix_step(fix, sink.clone()).await.unwrap();
    assert_eq!(again.question_id, started.question_id);
    let batches = sink.wait().await;
    assert!(batches.iter().all(|b| b.error.is_none()));
    let (thinking, answer) = texts(&batches);
    assert!(!thinking.contains("Subtract 5426"), "only the model's words stream: {thinking}");
    assert!(answer.contains("4286"), "{answer}");
    let thread = store.thread(started.conversation_id).await.unwrap();
    let fixed = thread.message(*thread.active_path.last().unwrap()).unwrap();
    assert_ne!(fixed.id, wrong.id);
    assert_eq!(fixed.fixed.as_ref().and_then(|f| f.from), Some(wrong.id));
    assert!(fixed
        .thinking
        .as_deref()
        .unwrap()
        .starts_with("Subtract 5426 from 9712 digit by digit, from the right.\n"));

    let question = FixStepRequest {
        answer_id: started.question_id,
        person_thinking: "x".into(),
        options: greedy(true),
    };
    assert!(
        app.fix_step(question, Arc::new(Collect::default())).await.is_err(),
        "a question has no thinking to fix"
    );
}
