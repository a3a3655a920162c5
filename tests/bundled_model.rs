//! The bundled ponder-tiny model through mistral.rs: thinking then answer, thinking off, clear errors
//! for a broken folder.

use ponder_engine::{Engine, EngineError, Event, GenerationRequest, ModelSource, Sampling};
use ponder_tests::{bundled_model_dir, collect, texts};

async fn bundled() -> Engine {
    Engine::load(ModelSource::LocalDir(bundled_model_dir())).await.expect("bundled model loads")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thinks_first_then_answers_correctly() {
    let engine = bundled().await;
    let req = GenerationRequest {
        sampling: Sampling::greedy(),
        ..GenerationRequest::ask("What is 347 + 589?")
    };
    let events = collect(&engine, &req).await;
    let first_answer =
        events.iter().position(|e| matches!(e, Event::Answer(_))).expect("an answer");
    let last_thinking =
        events.iter().rposition(|e| matches!(e, Event::Thinking(_))).expect("thinking");
    assert!(last_thinking < first_answer, "thinking must come before the answer");
    let (thinking, answer, finish) = texts(&events);
    assert!(
        thinking.contains("digit by digit") && thinking.contains("carry"),
        "digit-by-digit working: {thinking}"
    );
    for text in [&thinking, &answer] {
        assert!(!text.contains("<think>") && !text.contains("</think>"), "tags leaked: {text}");
    }
    assert!(answer.contains('=') && answer.trim().ends_with('.'), "a one-line answer: {answer}");
    assert_eq!(finish, Some(ponder_engine::FinishReason::Stop));
    assert!(matches!(events[events.len() - 2], Event::Usage(_)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thinking_off_gives_no_thinking() {
    let engine = bundled().await;
    let req = GenerationRequest {
        thinking: false,
        sampling: Sampling::greedy(),
        ..GenerationRequest::ask("小明有 347 个苹果，又买了 589 个，一共有多少个？")
    };
    let events = collect(&engine, &req).await;
    assert!(!events.iter().any(|e| matches!(e, Event::Thinking(_))), "{events:?}");
    let (_, answer, _) = texts(&events);
    assert!(answer.contains("一共有"), "{answer}");
    assert!(answer.chars().any(|c| c.is_ascii_digit()), "{answer}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chinese_question_gets_chinese_thinking() {
    let engine = bundled().await;
    let req = GenerationRequest {
        sampling: Sampling::greedy(),
        ..GenerationRequest::ask("计算 56 × 7。")
    };
    let (thinking, answer, _) = texts(&collect(&engine, &req).await);
    assert!(thinking.contains("进位") && thinking.contains("目前"), "{thinking}");
    assert!(answer.contains('×') && answer.contains('='), "{answer}");
}

fn broken_copy(damage: impl FnOnce(&std::path::Path)) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for entry in std::fs::read_dir(bundled_model_dir()).unwrap() {
        let p = entry.unwrap().path();
        std::fs::copy(&p, dir.path().join(p.file_name().unwrap())).unwrap();
    }
    damage(dir.path());
    dir
}

#[tokio::test]
async fn truncated_weights_are_named_in_the_error() {
    let dir = broken_copy(|d| {
        let f = std::fs::OpenOptions::new().write(true).open(d.join("model.safetensors")).unwrap();
        f.set_len(4096).unwrap();
    });
    let err = Engine::load(ModelSource::LocalDir(dir.path().to_path_buf()))
        .await
        .err()
        .expect("must fail");
    assert!(matches!(err, EngineError::CorruptFile { .. }), "{err}");
    assert!(err.to_string().contains("model.safetensors"), "{err}");
}

#[tokio::test]
async fn missing_tokenizer_is_named_in_the_error() {
    let dir = broken_copy(|d| std::fs::remove_file(d.join("tokenizer.json")).unwrap());
    let err = Engine::load(ModelSource::LocalDir(dir.path().to_path_buf()))
        .await
        .err()
        .expect("must fail");
    assert!(err.to_string().contains("tokenizer.json"), "{err}");
}

#[tokio::test]
async fn garbled_config_is_named_in_the_error() {
    let dir = broken_copy(|d| std::fs::write(d.join("config.json"), "{ not json").unwrap());
    let err = Engine::load(ModelSource::LocalDir(dir.path().to_path_buf()))
        .await
        .err()
        .expect("must fail");
    assert!(err.to_string().contains("config.json") && err.to_string().contains("JSON"), "{err}");
}
