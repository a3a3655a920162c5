//! Loading options on the real bundled model: stages, in-situ quantization, the GPU choice in a CPU
//! build, and switching models through a slot that frees the old one.

use std::sync::{Arc, Mutex};

use ponder_engine::{
    DeviceChoice, Engine, EngineError, FinishReason, GenerationRequest, LoadOptions, LoadStage,
    ModelSlot, ModelSource, Quantization, Sampling,
};
use ponder_tests::{bundled_model_dir, collect, texts};

fn greedy(q: &str) -> GenerationRequest {
    GenerationRequest { sampling: Sampling::greedy(), ..GenerationRequest::ask(q) }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stages_are_reported_in_order() {
    let stages: Arc<Mutex<Vec<LoadStage>>> = Arc::default();
    let sink = stages.clone();
    let source = ModelSource::LocalDir(bundled_model_dir());
    let engine =
        Engine::load_with(source, &LoadOptions::default(), move |s| sink.lock().unwrap().push(s))
            .await
            .unwrap();
    assert_eq!(
        *stages.lock().unwrap(),
        [LoadStage::Checking, LoadStage::Loading, LoadStage::Ready]
    );
    assert_eq!(engine.info().device, "cpu");
    assert_eq!(engine.info().architecture, "Qwen3ForCausalLM");
    assert_eq!(engine.info().quantization, None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn q8_quantized_model_loads_generates_and_says_so() {
    let options = LoadOptions { quantization: Some(Quantization::Q8_0), ..LoadOptions::default() };
    let engine = Engine::load_with(ModelSource::LocalDir(bundled_model_dir()), &options, |_| {})
        .await
        .expect("Q8_0 in-situ quantization");
    assert_eq!(engine.info().quantization.as_deref(), Some("Q8_0"));
    let (thinking, answer, finish) = texts(&collect(&engine, &greedy("What is 21 + 34?")).await);
    assert_eq!(finish, Some(FinishReason::Stop));
    assert!(!thinking.is_empty() && !answer.is_empty());
}

#[tokio::test]
async fn asking_for_a_gpu_in_a_cpu_build_is_a_clear_error() {
    if DeviceChoice::Gpu.resolve().is_ok() {
        return; // built with `cuda` or `metal`
    }
    let options = LoadOptions { device: DeviceChoice::Gpu, ..LoadOptions::default() };
    let err = Engine::load_with(ModelSource::LocalDir(bundled_model_dir()), &options, |_| {})
        .await
        .err()
        .expect("no GPU support compiled in");
    assert!(matches!(err, EngineError::InvalidRequest(_)), "{err}");
    assert!(err.to_string().contains("--features cuda"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn switching_models_frees_the_old_one() {
    let slot = ModelSlot::new();
    let source = || ModelSource::LocalDir(bundled_model_dir());
    let first = slot.switch(source(), &LoadOptions::default(), |_| {}).await.unwrap();
    let old = Arc::downgrade(&first);
    drop(first);
    let q8 = LoadOptions { quantization: Some(Quantization::Q8_0), ..LoadOptions::default() };
    let second = slot.switch(source(), &q8, |_| {}).await.unwrap();
    assert!(old.upgrade().is_none(), "the first engine is gone");
    assert_eq!(second.info().quantization.as_deref(), Some("Q8_0"));
    let current = slot.current().await.expect("loaded");
    assert!(Arc::ptr_eq(&current, &second));
    assert_eq!(
        texts(&collect(&current, &greedy("What is 5 + 6?")).await).2,
        Some(FinishReason::Stop)
    );
    slot.unload().await;
    assert!(slot.current().await.is_none());
}
