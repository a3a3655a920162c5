//! Teaching by fixing a step, in the engine: the model continues from the person's start of the
//! thinking, inside its thinking block, on the real bundled model.

use ponder_engine::{Engine, EngineError, GenerationRequest, ModelSource, Sampling};
use ponder_tests::{bundled_model_dir, collect, texts};

fn greedy(question: &str) -> GenerationRequest {
    GenerationRequest { sampling: Sampling::greedy(), ..GenerationRequest::ask(question) }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_model_continues_from_a_fixed_first_line() {
    let engine = Engine::load(ModelSource::LocalDir(bundled_model_dir())).await.unwrap();
    let question = "How much is 9712 minus 5426?";
    let (own_thinking, own_answer, _) = texts(&collect(&engine, &greedy(question)).await);
    println!("its own: {own_thinking:?} → {own_answer:?}");

    let fix = "Subtract 5426 from 9712 digit by digit, from the right.\n";
    let req = GenerationRequest { continue_thinking: Some(fix.into()), ..greedy(question) };
    let plain = engine.prompt_tokens(&greedy(question)).await.unwrap();
    assert!(engine.prompt_tokens(&req).await.unwrap() > plain + 5, "the fix is part of the prompt");
    let (thinking, answer, finish) = texts(&collect(&engine, &req).await);
    println!("from the fix: {thinking:?} → {answer:?}");
    assert!(finish.is_some());
    // The events hold only the model's words: it carries on with the first column, not the fix.
    assert!(!thinking.contains("Subtract 5426 from 9712"), "{thinking:?}");
    assert!(
        !thinking.contains("<think>") && !answer.contains("</think>"),
        "{thinking:?} / {answer:?}"
    );
    assert!(thinking.contains("9712 - 5426"), "it continues the subtraction: {thinking:?}");
    assert!(answer.contains("4286"), "and reaches the right answer: {answer:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_continuation_without_thinking_is_refused() {
    let engine = Engine::load(ModelSource::LocalDir(bundled_model_dir())).await.unwrap();
    let req = GenerationRequest {
        thinking: false,
        continue_thinking: Some("x".into()),
        ..greedy("1 + 1?")
    };
    assert!(matches!(engine.check(&req).await, Err(EngineError::InvalidRequest(_))));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fixed_step_becomes_a_graded_branch_of_its_own() {
    let dir = tempfile::tempdir().unwrap();
    let store = ponder_store::Store::open(dir.path().join("ponder.db")).await.unwrap();
    let engine = Engine::load(ModelSource::LocalDir(bundled_model_dir())).await.unwrap();
    let question = "How much is 9712 minus 5426?";
    let (conversation, q) = store.start_conversation(question).await.unwrap();
    let req = greedy(question);
    let settings = ponder_chat::generation_settings(engine.info(), &req);
    let generation = engine.generate(&req).await.unwrap();
    let wrong = ponder_chat::record(&store, q.id, settings, generation, 1, |_, _| {})
        .await
        .unwrap()
        .remove(0);
    let rating = ponder_store::RatingInput {
        answer: Some(ponder_store::Vote::Down),
        corrected_answer: Some("4286".into()),
        ..Default::default()
    };
    store.rate(wrong.id, rating).await.unwrap();
    let wrong = store.message(wrong.id).await.unwrap();
    let reference = ponder_chat::reference_of(&wrong).unwrap();
    assert!(
        !ponder_chat::grade(&wrong, &reference).correct,
        "the model's own answer was wrong: {wrong:?}"
    );

    // Written as a person types it, without the newline that ends a step.
    let fix = "Subtract 5426 from 9712 digit by digit, from the right.";
    let mut streamed = String::new();
    let fixed =
        ponder_chat::continue_from_fix(&store, &engine, wrong.id, fix, greedy(""), |e, _| {
            if let ponder_engine::Event::Thinking(t) = &e.event {
                streamed.push_str(t);
            }
        })
        .await
        .unwrap();
    assert_eq!(fixed.parent_id, Some(q.id));
    let step = format!("{fix}\n");
    assert_eq!(fixed.fixed.as_ref().unwrap().person_thinking, step, "a step is a whole line");
    assert_eq!(
        fixed.thinking.as_deref().unwrap(),
        format!("{step}{streamed}"),
        "the person's words, then the model's"
    );
    let verdict = ponder_chat::grade(&fixed, &reference);
    assert!(verdict.correct, "{fixed:?}");
    let thread = store.thread(conversation.id).await.unwrap();
    assert_eq!(thread.active_path, vec![q.id, fixed.id]);

    let refused =
        ponder_chat::continue_from_fix(&store, &engine, q.id, fix, greedy(""), |_, _| {}).await;
    assert!(
        matches!(refused, Err(ponder_chat::ChatError::Invalid(_))),
        "a question cannot be fixed"
    );
}
