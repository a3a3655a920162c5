//! Learning from the history on real parts: answers from the bundled model in mistral.rs, rated in a
//! real SQLite file, exported, trained on, and kept as a version that mistral.rs loads and that the
//! next answers name.

use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use ponder_engine::{Engine, GenerationRequest, ModelSource, Sampling};
use ponder_learn::evaluate::{evaluate_version, regression_questions};
use ponder_learn::rehearsal::rehearsal_examples;
use ponder_learn::{delete_version, learn_from_history, list_versions, LearnRequest};
use ponder_store::{RatingInput, Store, Vote};
use ponder_tests::{bundled_model_dir, collect, texts};
use ponder_train::learn::LearnSettings;
use ponder_train::methods::Method;

fn greedy(question: &str) -> GenerationRequest {
    GenerationRequest {
        sampling: Sampling::greedy(),
        max_tokens: 400,
        ..GenerationRequest::ask(question)
    }
}

/// Asks `question` in a new conversation, as the app does, and returns the saved answer.
async fn ask(store: &Store, engine: &Engine, question: &str) -> ponder_store::Message {
    let (_, q) = store.start_conversation(question).await.unwrap();
    let req = greedy(question);
    let settings = ponder_chat::generation_settings(engine.info(), &req);
    let generation = engine.generate(&req).await.unwrap();
    ponder_chat::record(store, q.id, settings, generation, 1, |_, _| {}).await.unwrap().remove(0)
}

/// Asks `question` and rates the answer up, as a person who liked it.
async fn ask_and_like(store: &Store, engine: &Engine, question: &str) {
    let answer = ask(store, engine, question).await;
    let up = RatingInput { answer: Some(Vote::Up), ..Default::default() };
    store.rate(answer.id, up).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rated_answers_become_a_version_that_loads_and_lists() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path().join("ponder.db")).await.unwrap();
    let engine = Engine::load(ModelSource::LocalDir(bundled_model_dir())).await.unwrap();
    for (question, right) in
        [("What is 347 + 589?", "936"), ("How much is 9712 minus 5426?", "4286")]
    {
        let answer = ask(&store, &engine, question).await;
        let good = answer.content.contains(right);
        let rating = RatingInput {
            answer: Some(if good { Vote::Up } else { Vote::Down }),
            corrected_answer: (!good).then(|| format!("{right}.")),
            ..Default::default()
        };
        store.rate(answer.id, rating).await.unwrap();
    }

    let mut settings = LearnSettings::for_methods(vec![Method::Sft], 0);
    settings.learning_rate = 1e-3;
    let request = LearnRequest {
        base: bundled_model_dir(),
        base_name: "ponder-tiny".into(),
        data_dir: dir.path().to_path_buf(),
        settings: Some(settings),
        held_out: 0.0,
        regression: Vec::new(),
        rehearsal: Vec::new(),
        resume: false,
    };
    let steps = Arc::new(std::sync::Mutex::new(0));
    let seen = steps.clone();
    let card = learn_from_history(
        &store,
        request,
        Box::new(move |_| *seen.lock().unwrap() += 1),
        Arc::new(AtomicBool::new(false)),
    )
    .await
    .unwrap();
    assert_eq!(card.name, "ponder-tiny-learned-1");
    assert!(card.counts.sft >= 2, "an up-voted answer and a correction: {:?}", card.counts);
    assert!(card.parent_hash.as_deref().is_some_and(|h| h.starts_with("sha256:")));
    assert!(card.data_hash.starts_with("sha256:"));
    assert_eq!(*steps.lock().unwrap(), card.steps);
    assert!(
        card.path.join("README.md").is_file() && card.path.join("ponder-version.json").is_file()
    );
    assert_eq!(list_versions(dir.path()), vec![card.clone()]);
    assert!(card.evaluation.is_none(), "nothing was held out");

    // The version is a model like any other: mistral.rs serves it, and answers are saved under its name.
    let learned = Engine::load(ModelSource::LocalDir(card.path.clone())).await.unwrap();
    assert_eq!(learned.info().name, "ponder-tiny-learned-1");
    let (_, answer, finish) = texts(&collect(&learned, &greedy("What is 12 + 7?")).await);
    assert!(finish.is_some() && !answer.is_empty());

    assert!(
        delete_version(dir.path(), "../ponder.db").is_err(),
        "only version folders can be deleted"
    );
    delete_version(dir.path(), &card.name).unwrap();
    assert!(list_versions(dir.path()).is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn held_out_conversations_measure_the_parent_and_the_version_alike() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path().join("ponder.db")).await.unwrap();
    let engine = Engine::load(ModelSource::LocalDir(bundled_model_dir())).await.unwrap();
    let questions = [
        "What is 347 + 589?",
        "What is 56 × 7?",
        "What is 1024 - 768?",
        "Which is larger, 9478 or 294?",
        "What is 58 + 67?",
        "计算 63 × 8。",
    ];
    for question in questions {
        ask_and_like(&store, &engine, question).await;
    }
    let mut settings = LearnSettings::for_methods(vec![Method::Sft], 0);
    settings.learning_rate = 1e-4;
    let request = LearnRequest {
        base: bundled_model_dir(),
        base_name: "ponder-tiny".into(),
        data_dir: dir.path().to_path_buf(),
        settings: Some(settings),
        held_out: 0.5,
        regression: regression_questions("ponder-tiny", 10),
        rehearsal: Vec::new(),
        resume: false,
    };
    let card =
        learn_from_history(&store, request, Box::new(|_| {}), Arc::new(AtomicBool::new(false)))
            .await
            .unwrap();
    let e = card.evaluation.expect("some conversations were held out");
    assert!(
        card.counts.sft >= 1 && card.counts.sft < questions.len(),
        "trained on part only: {:?}",
        card.counts
    );
    assert_eq!(e.before.total, e.after.total);
    assert_eq!(
        e.before.total + card.counts.sft,
        questions.len(),
        "every question is in exactly one split"
    );
    // Up-voted answers of the model itself, asked again greedily: the parent gets them all right.
    assert_eq!(e.before.correct, e.before.total, "{e:?}");
    let readme = std::fs::read_to_string(card.path.join("README.md")).unwrap();
    assert!(readme.contains("questions answered right |"), "{readme}");
    // The regression check: problems the parent was trained for, asked of both.
    assert_eq!((e.regression_before.total, e.regression_after.total), (10, 10));
    assert!(e.regression_before.correct >= 9, "ponder-tiny answers 99% of them: {e:?}");
    assert!(readme.contains("| regression: 10 problems"), "{readme}");
    let cache = dir.path().join("learning/parent-scores.json");
    assert!(
        std::fs::read_to_string(cache).unwrap().contains("sha256:"),
        "the parent's score is kept"
    );
    assert_eq!(e.pairs_before.total, 0, "only thumbs up: no pairs to hold out");

    // `ponder learn eval`: measured again from the run's own held-out data, greedy, so the same
    // table; without the regression problems this time, and the card says so.
    std::fs::remove_file(card.path.join("README.md")).unwrap();
    let again = evaluate_version(dir.path(), &card.name, &[]).await.unwrap();
    let e2 = again.evaluation.expect("the held-out questions are read back");
    assert_eq!((e2.before, e2.after), (e.before, e.after));
    assert_eq!(e2.regression_after.total, 0);
    assert_eq!(list_versions(dir.path())[0].evaluation, Some(e2), "written into the card");
    assert!(card.path.join("README.md").is_file(), "the README is written again");
    let unknown = evaluate_version(dir.path(), "no-such-version", &[]).await.unwrap_err();
    assert!(unknown.to_string().contains("no learned version"), "{unknown}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stopped_run_resumes_with_the_data_it_began_with() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path().join("ponder.db")).await.unwrap();
    let engine = Engine::load(ModelSource::LocalDir(bundled_model_dir())).await.unwrap();
    for question in
        ["What is 347 + 589?", "What is 56 × 7?", "What is 1024 - 768?", "计算 63 × 8。"]
    {
        ask_and_like(&store, &engine, question).await;
    }
    let mut settings = LearnSettings::for_methods(vec![Method::Sft], 0);
    // About one answer per step, so the run has steps to stop between.
    settings.batch_tokens = 256;
    let request = |resume| LearnRequest {
        base: bundled_model_dir(),
        base_name: "ponder-tiny".into(),
        data_dir: dir.path().to_path_buf(),
        settings: Some(settings.clone()),
        held_out: 0.0,
        regression: Vec::new(),
        // Asked for only when the run begins: a resumed run rehearses what it began with.
        rehearsal: if resume { Vec::new() } else { rehearsal_examples("ponder-tiny", 3) },
        resume,
    };
    let cancel = Arc::new(AtomicBool::new(false));
    let stop = cancel.clone();
    let stopped = learn_from_history(
        &store,
        request(false),
        Box::new(move |_| stop.store(true, std::sync::atomic::Ordering::SeqCst)),
        cancel,
    )
    .await
    .unwrap_err();
    assert!(
        matches!(
            stopped,
            ponder_learn::LearnError::Train(ponder_train::TrainError::Interrupted { step: 1 })
        ),
        "{stopped}"
    );
    assert!(list_versions(dir.path()).is_empty(), "a stopped run is not a version");

    // Ratings that arrive meanwhile are not mixed into the stopped run.
    let late = ask(&store, &engine, "What is 58 + 67?").await;
    store
        .rate(late.id, RatingInput { answer: Some(Vote::Up), ..Default::default() })
        .await
        .unwrap();
    let refused = learn_from_history(
        &store,
        request(false),
        Box::new(|_| {}),
        Arc::new(AtomicBool::new(false)),
    )
    .await
    .unwrap_err();
    assert!(refused.to_string().contains("--resume"), "{refused}");

    let steps = Arc::new(std::sync::Mutex::new(0));
    let seen = steps.clone();
    let card = learn_from_history(
        &store,
        request(true),
        Box::new(move |_| *seen.lock().unwrap() += 1),
        Arc::new(AtomicBool::new(false)),
    )
    .await
    .unwrap();
    assert_eq!(card.counts.sft, 4, "the data the run began with");
    assert_eq!(card.rehearsal, 3, "and the rehearsal it began with");
    assert_eq!(*steps.lock().unwrap() + 1, card.steps, "the resumed run did the steps left");
    assert!(
        learn_from_history(
            &store,
            request(true),
            Box::new(|_| {}),
            Arc::new(AtomicBool::new(false))
        )
        .await
        .is_err(),
        "nothing left to resume"
    );
}
