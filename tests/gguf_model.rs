//! GGUF files through the engine: the bundled model written as GGUF (by ponder-train) loads, thinks and
//! answers, and gives the same next-token logits as the folder it came from; broken files are named.

use std::path::Path;

use candle_core::quantized::gguf_file::{self, Value};
use candle_core::quantized::GgmlDType;
use ponder_engine::{
    Engine, EngineError, Event, FinishReason, GenerationRequest, ModelSource, Sampling,
};
use ponder_tests::{bundled_model_dir, collect, texts};
use ponder_train::gguf::export_gguf;

fn write_gguf(dir: &Path, dtype: GgmlDType) -> std::path::PathBuf {
    let out = dir.join("ponder-tiny.gguf");
    export_gguf(&bundled_model_dir(), &out, dtype).expect("export");
    out
}

fn greedy(q: &str) -> GenerationRequest {
    GenerationRequest { sampling: Sampling::greedy(), ..GenerationRequest::ask(q) }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_f32_gguf_matches_its_folder_and_streams_thinking_then_answer() {
    let tmp = tempfile::tempdir().unwrap();
    let file = write_gguf(tmp.path(), GgmlDType::F32);
    let gguf = Engine::load(ModelSource::Gguf(file)).await.expect("GGUF loads");
    assert_eq!(gguf.info().architecture, "Qwen3ForCausalLM");
    assert_eq!(gguf.info().quantization.as_deref(), Some("GGUF F32"));

    let folder = Engine::load(ModelSource::LocalDir(bundled_model_dir())).await.unwrap();
    let req = greedy("What is 347 + 589?");
    let (a, ids_a) = gguf.next_token_logits(&req).await.unwrap();
    let (b, ids_b) = folder.next_token_logits(&req).await.unwrap();
    assert_eq!(ids_a, ids_b, "the GGUF tokenizer and template render the same prompt");
    // mistral.rs runs GGUF through its quantized-model code (other kernels, other summation order), so
    // the match is close rather than bit-exact.
    let diff = a.iter().zip(&b).map(|(x, y)| (x - y).abs()).fold(0f32, f32::max);
    assert!(diff < 5e-3, "next-token logits differ by {diff}");
    let argmax = |v: &[f32]| (0..v.len()).max_by(|&i, &j| v[i].total_cmp(&v[j]));
    assert_eq!(argmax(&a), argmax(&b));

    let events = collect(&gguf, &req).await;
    let first_answer = events.iter().position(|e| matches!(e, Event::Answer(_))).expect("answer");
    let last_thinking =
        events.iter().rposition(|e| matches!(e, Event::Thinking(_))).expect("thinks");
    assert!(last_thinking < first_answer);
    let (thinking, answer, finish) = texts(&events);
    assert!(thinking.contains("digit by digit"), "{thinking}");
    assert!(!answer.contains("think>"), "{answer}");
    assert_eq!(finish, Some(FinishReason::Stop));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_q8_gguf_loads_and_answers() {
    let tmp = tempfile::tempdir().unwrap();
    let file = write_gguf(tmp.path(), GgmlDType::Q8_0);
    let engine = Engine::load(ModelSource::Gguf(file)).await.expect("Q8_0 GGUF loads");
    assert_eq!(engine.info().quantization.as_deref(), Some("GGUF Q8_0"));
    let (_, answer, finish) = texts(&collect(&engine, &greedy("What is 21 + 34?")).await);
    assert_eq!(finish, Some(FinishReason::Stop));
    assert!(!answer.is_empty());
}

#[tokio::test]
async fn broken_and_foreign_gguf_files_are_named() {
    let tmp = tempfile::tempdir().unwrap();
    let file = write_gguf(tmp.path(), GgmlDType::F32);
    let truncated = tmp.path().join("truncated.gguf");
    std::fs::write(&truncated, &std::fs::read(&file).unwrap()[..1000]).unwrap();
    let err = Engine::load(ModelSource::Gguf(truncated)).await.err().expect("fails");
    assert!(err.to_string().contains("truncated.gguf"), "{err}");

    let llama = tmp.path().join("llama.gguf");
    let arch = Value::String("llama".into());
    let mut f = std::fs::File::create(&llama).unwrap();
    gguf_file::write(&mut f, &[("general.architecture", &arch)], &[]).unwrap();
    let err = Engine::load(ModelSource::Gguf(llama)).await.err().expect("fails");
    assert!(matches!(err, EngineError::UnsupportedArchitecture { .. }), "{err}");
    assert!(err.to_string().contains("llama"), "{err}");

    let q = ponder_engine::LoadOptions {
        quantization: Some(ponder_engine::Quantization::Q8_0),
        ..Default::default()
    };
    let err = Engine::load_with(ModelSource::Gguf(file), &q, |_| {}).await.err().expect("fails");
    assert!(matches!(err, EngineError::InvalidRequest(_)), "{err}");
}
