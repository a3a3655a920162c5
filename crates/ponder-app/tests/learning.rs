//! Learning as the window drives it, on real parts: answers of the bundled model rated in a real
//! SQLite file, a run trained in the background, the version listed, loaded, answering and deleted;
//! a run cancelled, found again by a new app on the same folder, and resumed to the end.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use ponder_app::{
    AnswerBatch, AnswerOptions, AnswerSink, App, AppConfig, AskRequest, LearnSink,
    LearnStartRequest, LearningStatus, ModelChoice, ModelStatus, PairTally, RegenerateRequest,
    SamplingRequest,
};
use ponder_engine::catalog::ModelOrigin;
use ponder_engine::DeviceChoice;
use ponder_store::{RatingInput, Role, Vote};
use ponder_train::methods::Method;

fn bundled() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../models/ponder-tiny")
}

#[derive(Default)]
struct Batches(Mutex<bool>);

impl AnswerSink for Batches {
    fn send(&self, batch: AnswerBatch) {
        if batch.done {
            *self.0.lock().unwrap() = true;
        }
    }
}

#[derive(Default)]
struct Statuses(Mutex<Vec<LearningStatus>>);

impl LearnSink for Statuses {
    fn send(&self, status: LearningStatus) {
        self.0.lock().unwrap().push(status);
    }
}

impl Statuses {
    /// The status that ended the run (finished, stopped or failed).
    async fn end(&self) -> LearningStatus {
        for _ in 0..6000 {
            let last = self.0.lock().unwrap().last().cloned();
            if let Some(s) = last.filter(|s| !matches!(s, LearningStatus::Training { .. })) {
                return s;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("the run did not end in 5 minutes");
    }
}

async fn open(dir: &std::path::Path) -> Arc<App> {
    App::open(AppConfig { data_dir: dir.to_path_buf(), bundled_model: bundled() }).await
}

async fn load(app: &App, choice: ModelChoice) {
    let status = app.load_model(choice, Arc::new(|_| {})).await.unwrap();
    assert!(matches!(status, ModelStatus::Ready { .. }), "{status:?}");
}

fn folder_of(path: &std::path::Path) -> ModelChoice {
    ModelChoice::Folder { path: path.to_path_buf(), device: DeviceChoice::Cpu, quantization: None }
}

fn bundled_choice() -> ModelChoice {
    ModelChoice::Bundled { device: DeviceChoice::Cpu, quantization: None }
}

/// Asks `question` greedily and rates the answer up; returns the model the answer records and the
/// question's id.
async fn ask_and_like(app: &App, question: &str) -> (String, ponder_store::MessageId) {
    let sink = Arc::new(Batches::default());
    let options = AnswerOptions {
        sampling: Some(SamplingRequest { temperature: Some(0.0), ..Default::default() }),
        max_tokens: Some(400),
        ..AnswerOptions::default()
    };
    let ask = AskRequest { conversation_id: None, parent_id: None, text: question.into(), options };
    let started = app.ask(ask, sink.clone()).await.unwrap();
    while !*sink.0.lock().unwrap() {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let store = app.store().await.unwrap();
    let thread = store.thread(started.conversation_id).await.unwrap();
    let answer = thread.messages.iter().find(|m| m.role == Role::Assistant).unwrap();
    let up = RatingInput { answer: Some(Vote::Up), ..Default::default() };
    store.rate(answer.id, up).await.unwrap();
    let model = answer.generation.as_ref().map(|g| g.settings.model.id.clone());
    (model.unwrap_or_default(), started.question_id)
}

fn sft(epochs: usize) -> LearnStartRequest {
    // No rehearsal: the steps are the person's own answers, one per step.
    LearnStartRequest {
        methods: vec![Method::Sft],
        epochs: Some(epochs),
        rehearsal: Some(0),
        ..Default::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_trains_in_the_background_and_its_version_is_listed_loaded_used_and_deleted() {
    let dir = tempfile::tempdir().unwrap();
    let app = open(dir.path()).await;
    load(&app, bundled_choice()).await;
    assert_eq!(app.learning_status(), LearningStatus::Idle);
    let (_, first) = ask_and_like(&app, "What is 23 + 45?").await;
    ask_and_like(&app, "What is 71 - 18?").await;

    // An arithmetic question grades its own answers; the verdict is whatever the answer says.
    let store = app.store().await.unwrap();
    let conversation = store.message(first).await.unwrap().conversation_id;
    let thread = store.thread(conversation).await.unwrap();
    let answer = thread.messages.iter().find(|m| m.parent_id == Some(first)).unwrap();
    let verdict = app.grade_answer(answer.id).await.unwrap().expect("a reference");
    assert_eq!(verdict.reference, "68");
    assert_eq!(verdict.correct, answer.content.contains("68"), "{}", answer.content);
    assert!(app.grade_answer(first).await.is_err(), "a question is not graded");

    // What the Learn page shows before a run: the two answers, a sample, the steps and their cost.
    let plan = app.learn_plan(sft(3)).await.unwrap();
    assert_eq!((plan.counts.sft, plan.methods.clone(), plan.epochs), (2, vec![Method::Sft], 3));
    assert!(plan.steps >= 3 && plan.memory_bytes > 0 && plan.seconds > 0.0, "{plan:?}");
    assert_eq!(plan.refusal, None);
    let sample = plan.samples.iter().find(|s| s.kind == "answer").expect("a sample answer");
    assert!(["What is 23 + 45?", "What is 71 - 18?"].contains(&sample.question.as_str()));

    let statuses = Arc::new(Statuses::default());
    app.start_learning(sft(3), statuses.clone()).await.unwrap();
    // One run at a time.
    let again = app.start_learning(sft(3), Arc::new(Statuses::default())).await;
    assert_eq!(again.unwrap_err().kind(), ponder_app::ErrorKind::Busy);
    let LearningStatus::Finished { version } = statuses.end().await else {
        panic!("{:?}", statuses.0.lock().unwrap().last());
    };
    let steps: Vec<usize> = statuses
        .0
        .lock()
        .unwrap()
        .iter()
        .filter_map(|s| match s {
            LearningStatus::Training { last_step: Some(r), .. } => Some(r.step),
            _ => None,
        })
        .collect();
    assert_eq!(steps, (1..=version.steps).collect::<Vec<_>>(), "every step reported once");
    assert_eq!(version.steps, plan.steps, "the plan counted the run's own steps");
    assert_eq!(version.methods, vec![Method::Sft]);
    assert_eq!(version.counts.sft, 2);
    assert_eq!(version.parent, "ponder-tiny");
    assert!(matches!(app.learning_status(), LearningStatus::Finished { .. }));

    assert_eq!(app.list_versions().await, vec![version.clone()]);
    let listed = app.list_models().await;
    let entry = listed.iter().find(|m| m.path == version.path).expect("the version is listed");
    assert_eq!(entry.origin, ModelOrigin::Learned);
    assert_eq!(listed.iter().filter(|m| m.path == version.path).count(), 1);

    load(&app, folder_of(&version.path)).await;
    let (answered_by, question) = ask_and_like(&app, "What is 12 + 30?").await;
    assert_eq!(answered_by, version.name, "answers record the version that wrote them");

    // Renaming changes the label people see, not the name answers carry.
    let renamed = app.rename_version(&version.name, "  adds better ").await.unwrap();
    assert_eq!(
        (renamed.name.as_str(), renamed.label.as_deref()),
        (version.name.as_str(), Some("adds better"))
    );
    assert_eq!(app.list_versions().await[0].label.as_deref(), Some("adds better"));

    // The same question answered by the parent and rated down: the tally counts a win for the version.
    load(&app, bundled_choice()).await;
    let store = app.store().await.unwrap();
    let sink = Arc::new(Batches::default());
    app.regenerate(
        RegenerateRequest { question_id: question, options: AnswerOptions::default() },
        sink.clone(),
    )
    .await
    .unwrap();
    while !*sink.0.lock().unwrap() {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let thread =
        store.thread(store.message(question).await.unwrap().conversation_id).await.unwrap();
    let parents = thread.messages.iter().filter(|m| m.parent_id == Some(question));
    let by_parent = parents.max_by_key(|m| m.id).unwrap();
    let down = RatingInput { answer: Some(Vote::Down), ..Default::default() };
    store.rate(by_parent.id, down).await.unwrap();
    let tally = app.comparison_tally().await.unwrap();
    assert_eq!(
        tally,
        vec![PairTally {
            left: "ponder-tiny".into(),
            right: version.name.clone(),
            left_wins: 0,
            right_wins: 1,
            ties: 0
        }]
    );
    load(&app, folder_of(&version.path)).await;
    let refused = app.delete_version(&version.name).await.unwrap_err();
    assert!(refused.to_string().contains("in use"), "{refused}");
    load(&app, bundled_choice()).await;
    app.delete_version(&version.name).await.unwrap();
    assert!(app.list_versions().await.is_empty());
    assert!(!version.path.exists());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancelled_run_is_found_by_a_new_app_and_resumes_to_the_end() {
    let dir = tempfile::tempdir().unwrap();
    let app = open(dir.path()).await;
    load(&app, bundled_choice()).await;
    ask_and_like(&app, "What is 23 + 45?").await;

    let statuses = Arc::new(Statuses::default());
    app.start_learning(sft(400), statuses.clone()).await.unwrap();
    loop {
        let stepped = statuses
            .0
            .lock()
            .unwrap()
            .iter()
            .any(|s| matches!(s, LearningStatus::Training { last_step: Some(_), .. }));
        if stepped {
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    app.cancel_learning();
    let LearningStatus::Stopped { version, error } = statuses.end().await else {
        panic!("{:?}", statuses.0.lock().unwrap().last());
    };
    assert_eq!(error.unwrap().kind, ponder_app::ErrorKind::Interrupted);
    assert!(app.list_versions().await.is_empty());
    drop(app);

    // As after a restart: the new app finds the run and resumes it with what it began with.
    let app = open(dir.path()).await;
    let status = app.learning_status();
    assert_eq!(status, LearningStatus::Stopped { version: version.clone(), error: None });
    let statuses = Arc::new(Statuses::default());
    let resume = LearnStartRequest { resume: true, ..Default::default() };
    app.start_learning(resume, statuses.clone()).await.unwrap();
    let LearningStatus::Finished { version: finished } = statuses.end().await else {
        panic!("{:?}", statuses.0.lock().unwrap().last());
    };
    assert_eq!(finished.name, version);
    assert_eq!(finished.steps, 400);
    let first_after_resume = statuses.0.lock().unwrap().iter().find_map(|s| match s {
        LearningStatus::Training { last_step: Some(r), .. } => Some(r.step),
        _ => None,
    });
    assert!(first_after_resume.unwrap() > 1, "resumed from the checkpoint, not from step 1");
    assert!(matches!(app.learning_status(), LearningStatus::Finished { .. }));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nothing_rated_fails_clearly_and_frees_the_slot() {
    let dir = tempfile::tempdir().unwrap();
    let app = open(dir.path()).await;
    let statuses = Arc::new(Statuses::default());
    app.start_learning(LearnStartRequest::default(), statuses.clone()).await.unwrap();
    let LearningStatus::Failed { error } = statuses.end().await else {
        panic!("{:?}", statuses.0.lock().unwrap().last());
    };
    assert!(error.message.contains("nothing rated"), "{}", error.message);
    let plan = app.learn_plan(LearnStartRequest::default()).await.unwrap();
    assert_eq!((plan.methods.len(), plan.steps), (0, 0));
    assert!(plan.refusal.unwrap().contains("nothing rated"));
    assert_eq!(app.learning_status(), LearningStatus::Failed { error });
    let bad = LearnStartRequest { held_out: 1.0, ..Default::default() };
    let refused = app.start_learning(bad, statuses.clone()).await.unwrap_err();
    assert_eq!(refused.kind(), ponder_app::ErrorKind::Invalid);
    // Neither left the run slot taken.
    app.start_learning(LearnStartRequest::default(), statuses).await.unwrap();
}
