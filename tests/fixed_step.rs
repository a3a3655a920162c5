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
