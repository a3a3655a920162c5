//! A short training run on a toy configuration lowers the loss, and the folder it writes loads in
//! mistral.rs with the same next-token logits as the trainer's own forward pass.

use candle_core::{Device, Tensor};
use ponder_engine::{Engine, GenerationRequest, ModelSource, Sampling};
use ponder_tests::{collect, texts};
use ponder_train::model::Qwen;
use ponder_train::train::{run, RunDir, TrainConfig};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn toy_training_lowers_loss_and_mistralrs_agrees_on_logits() {
    let work = tempfile::tempdir().unwrap();
    let out = work.path().join("model");
    let run_dir = RunDir::new(&work.path().join("run")).unwrap();
    let report = run(&TrainConfig::tiny(), &run_dir, &out, false, true).unwrap();
    assert!(report.last_loss < report.first_loss - 0.3, "loss did not fall: {report:?}");
    for f in [
        "config.json",
        "model.safetensors",
        "tokenizer.json",
        "tokenizer_config.json",
        "generation_config.json",
        "README.md",
    ] {
        assert!(out.join(f).is_file(), "{f} missing");
    }

    let engine = Engine::load(ModelSource::LocalDir(out.clone())).await.unwrap();
    assert_eq!(engine.info().architecture, "Qwen3ForCausalLM");
    let req = GenerationRequest {
        sampling: Sampling::greedy(),
        ..GenerationRequest::ask("What is 12 + 7?")
    };
    let (mistral_logits, prompt_ids) = engine.next_token_logits(&req).await.unwrap();

    let (model, _vars) = Qwen::load_hf(&out, &Device::Cpu).unwrap();
    let ids = Tensor::new(prompt_ids.as_slice(), &Device::Cpu).unwrap().unsqueeze(0).unwrap();
    let ours = model.forward(&ids).unwrap();
    let last =
        ours.squeeze(0).unwrap().get(prompt_ids.len() - 1).unwrap().to_vec1::<f32>().unwrap();
    assert_eq!(last.len(), mistral_logits.len());
    let max_diff =
        last.iter().zip(&mistral_logits).map(|(a, b)| (a - b).abs()).fold(0f32, f32::max);
    assert!(max_diff < 1e-3, "trainer and mistral.rs disagree by {max_diff}");

    // The untrained toy model babbles, but the stream must still end cleanly.
    let events = collect(&engine, &GenerationRequest { max_tokens: 24, ..req }).await;
    let (_, _, finish) = texts(&events);
    assert!(finish.is_some(), "no Finished event: {events:?}");
}

#[test]
fn an_interrupted_run_resumes_to_the_same_model() {
    let work = tempfile::tempdir().unwrap();
    let straight = work.path().join("straight");
    run(
        &TrainConfig::tiny(),
        &RunDir::new(&work.path().join("a")).unwrap(),
        &straight,
        false,
        true,
    )
    .unwrap();

    let mut other = TrainConfig::tiny();
    other.schedule.peak = 5e-3;
    let mismatch =
        run(&other, &RunDir::new(&work.path().join("a")).unwrap(), &straight, true, true);
    assert!(
        matches!(mismatch, Err(ponder_train::TrainError::Config(_))),
        "resuming under other settings must be refused"
    );

    let resumed = work.path().join("resumed");
    let run_b = RunDir::new(&work.path().join("b")).unwrap();
    let interrupted = TrainConfig { stop_after: Some(3), ..TrainConfig::tiny() };
    let err = run(&interrupted, &run_b, &resumed, false, true).unwrap_err();
    assert!(matches!(err, ponder_train::TrainError::Interrupted { step: 3 }), "{err}");
    assert!(!resumed.exists(), "nothing is exported from an interrupted run");
    let report = run(&TrainConfig::tiny(), &run_b, &resumed, true, true).unwrap();
    assert!(report.steps > 3, "{report:?}");

    let load = |dir: &std::path::Path| {
        candle_core::safetensors::load(dir.join("model.safetensors"), &Device::Cpu).unwrap()
    };
    let (a, b) = (load(&straight), load(&resumed));
    assert_eq!(a.len(), b.len());
    for (name, ta) in &a {
        let diff =
            (ta - &b[name]).unwrap().abs().unwrap().max_all().unwrap().to_scalar::<f32>().unwrap();
        assert!(diff < 1e-5, "{name} differs by {diff} after resuming");
    }
}
