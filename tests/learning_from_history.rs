//! Learning from the history on real parts: answers from the bundled model in mistral.rs, rated in a
//! real SQLite file, exported, trained on, and kept as a version that mistral.rs loads and that the
//! next answers name.

use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use ponder_engine::{Engine, GenerationRequest, ModelSource, Sampling};
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
        let answer = ask(&store, &engine, question).await;
        store
            .rate(answer.id, RatingInput { answer: Some(Vote::Up), ..Default::default() })
            .await
            .unwrap();
    }
    let mut settings = LearnSettings::for_methods(vec![Method::Sft], 0);
    settings.learning_rate = 1e-4;
    let request = LearnRequest {
        base: bundled_model_dir(),
        base_name: "ponder-tiny".into(),
        data_dir: dir.path().to_path_buf(),
        settings: Some(settings),
        held_out: 0.5,
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
    assert!(readme.contains("| questions answered right |"), "{readme}");
    assert_eq!(e.pairs_before.total, 0, "only thumbs up: no pairs to hold out");
}
