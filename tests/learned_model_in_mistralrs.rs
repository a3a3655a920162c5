//! A learning run's merged folder is a model mistral.rs serves with the trainer's own next-token
//! logits — for LoRA merged into the bundled Qwen3 model and for a Qwen2-architecture model (q/k/v
//! biases, no q/k norm, untied output layer) — and an interrupted run resumes to the same weights.

use std::path::Path;
use std::sync::atomic::AtomicBool;

use candle_core::{DType, Device, Tensor};
use ponder_engine::{Engine, GenerationRequest, ModelSource, Sampling};
use ponder_tests::bundled_model_dir;
use ponder_train::arch::{Family, QwenConfig};
use ponder_train::learn::data::{Msg, PairExample, SftExample};
use ponder_train::learn::{learn, LearnData, LearnPaths, LearnSettings};
use ponder_train::lora::LoraConfig;
use ponder_train::methods::Method;
use ponder_train::model::Qwen;

fn examples() -> LearnData {
    let ask = |a: u32, b: u32| vec![Msg::user(&format!("How much is {a} plus {b}?"))];
    let answer = |a: u32, b: u32, sum: u32| {
        Msg::assistant_inline(&format!("{a} + {b} = {sum}"), &format!("{sum}."))
    };
    let sft = (0..6)
        .map(|i| SftExample { prompt: ask(10 + i, 7), completion: answer(10 + i, 7, 17 + i) })
        .collect();
    let pairs = (0..6)
        .map(|i| PairExample {
            prompt: ask(20 + i, 5),
            chosen: answer(20 + i, 5, 25 + i),
            rejected: answer(20 + i, 5, 26 + i),
        })
        .collect();
    LearnData { sft, pairs, ..LearnData::default() }
}

fn settings(methods: Vec<Method>, lora: Option<LoraConfig>) -> LearnSettings {
    let mut s = LearnSettings::for_methods(methods, 0);
    s.lora = lora;
    s.epochs = 1;
    // A large step, so the merged model differs visibly from the base.
    s.learning_rate = 5e-3;
    s.batch_tokens = 1024;
    s.checkpoint_every = 2;
    s
}

async fn assert_mistralrs_agrees(folder: &Path) {
    let engine = Engine::load(ModelSource::LocalDir(folder.to_path_buf())).await.unwrap();
    let req = GenerationRequest {
        sampling: Sampling::greedy(),
        ..GenerationRequest::ask("How much is 12 plus 7?")
    };
    let (theirs, prompt_ids) = engine.next_token_logits(&req).await.unwrap();
    let (model, _) = Qwen::load_hf(folder, &Device::Cpu).unwrap();
    let ids = Tensor::new(prompt_ids.as_slice(), &Device::Cpu).unwrap().unsqueeze(0).unwrap();
    let ours = model.forward(&ids).unwrap().squeeze(0).unwrap().get(prompt_ids.len() - 1).unwrap();
    let ours = ours.to_vec1::<f32>().unwrap();
    assert_eq!(ours.len(), theirs.len());
    let diff = ours.iter().zip(&theirs).map(|(a, b)| (a - b).abs()).fold(0f32, f32::max);
    assert!(diff < 2e-3, "{}: trainer and mistral.rs disagree by {diff}", folder.display());
}

fn max_weight_change(a: &Path, b: &Path) -> f32 {
    let wa = candle_core::safetensors::load(a.join("model.safetensors"), &Device::Cpu).unwrap();
    let wb = candle_core::safetensors::load(b.join("model.safetensors"), &Device::Cpu).unwrap();
    wa.iter()
        .map(|(k, t)| {
            let d =
                (t.to_dtype(DType::F32).unwrap() - wb[k].to_dtype(DType::F32).unwrap()).unwrap();
            d.abs().unwrap().max_all().unwrap().to_scalar::<f32>().unwrap()
        })
        .fold(0f32, f32::max)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lora_merged_into_the_bundled_model_serves_the_trainers_logits() {
    let work = tempfile::tempdir().unwrap();
    let out = work.path().join("v1");
    let paths = LearnPaths {
        base: bundled_model_dir(),
        run_dir: work.path().join("run"),
        out: out.clone(),
    };
    let lora = LoraConfig { rank: 4, alpha: 8.0, ..LoraConfig::default() };
    let s = settings(vec![Method::Dpo, Method::Sft], Some(lora));
    let report = learn(&paths, &s, &examples(), &mut |_| {}, &AtomicBool::new(false)).unwrap();
    assert!(report.steps >= 2 && report.trainable_parameters < 200_000, "{report:?}");
    assert!(work.path().join("run/adapter/adapter_model.safetensors").is_file());
    assert!(max_weight_change(&bundled_model_dir(), &out) > 1e-4, "the adapters changed nothing");
    assert_mistralrs_agrees(&out).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_qwen2_model_trained_in_full_serves_the_trainers_logits() {
    let work = tempfile::tempdir().unwrap();
    let base = work.path().join("qwen2");
    let tokenizer =
        tokenizers::Tokenizer::from_file(bundled_model_dir().join("tokenizer.json")).unwrap();
    let cfg = QwenConfig {
        model_type: Family::Qwen2,
        vocab_size: tokenizer.get_vocab_size(true) + 16,
        hidden_size: 64,
        intermediate_size: 128,
        num_hidden_layers: 2,
        num_attention_heads: 4,
        num_key_value_heads: 2,
        head_dim: 16,
        rms_norm_eps: 1e-6,
        rope_theta: 10_000.0,
        max_position_embeddings: 1024,
        attention_bias: true,
        tie_word_embeddings: false,
    };
    ponder_train::init::write_random_model(&cfg, 5, DType::F32, &bundled_model_dir(), &base)
        .unwrap();
    let out = work.path().join("qwen2-sft");
    let paths =
        LearnPaths { base: base.clone(), run_dir: work.path().join("run"), out: out.clone() };
    learn(
        &paths,
        &settings(vec![Method::Sft], None),
        &examples(),
        &mut |_| {},
        &AtomicBool::new(false),
    )
    .unwrap();
    assert!(max_weight_change(&base, &out) > 1e-4);
    assert_mistralrs_agrees(&out).await;
}

#[test]
fn an_interrupted_run_resumes_to_the_same_weights() {
    let work = tempfile::tempdir().unwrap();
    let mut s = settings(vec![Method::Dpo, Method::Sft], None);
    s.epochs = 3;
    let straight = LearnPaths {
        base: bundled_model_dir(),
        run_dir: work.path().join("a"),
        out: work.path().join("a-out"),
    };
    learn(&straight, &s, &examples(), &mut |_| {}, &AtomicBool::new(false)).unwrap();

    let resumed = LearnPaths {
        base: bundled_model_dir(),
        run_dir: work.path().join("b"),
        out: work.path().join("b-out"),
    };
    let cancel = AtomicBool::new(false);
    let mut seen = 0;
    let err = learn(
        &resumed,
        &s,
        &examples(),
        &mut |r| {
            seen = r.step;
            if r.step == 2 {
                cancel.store(true, std::sync::atomic::Ordering::Relaxed);
            }
        },
        &cancel,
    )
    .unwrap_err();
    assert!(matches!(err, ponder_train::TrainError::Interrupted { step: 2 }), "{err}");
    assert_eq!(seen, 2);
    assert!(!resumed.out.exists(), "nothing is written from an interrupted run");

    let mut other = s.clone();
    other.learning_rate = 1e-3;
    let refused = learn(&resumed, &other, &examples(), &mut |_| {}, &AtomicBool::new(false));
    assert!(
        matches!(refused, Err(ponder_train::TrainError::Config(_))),
        "other settings must be refused"
    );

    let report = learn(&resumed, &s, &examples(), &mut |_| {}, &AtomicBool::new(false)).unwrap();
    assert_eq!(report.steps, 6);
    assert_eq!(report.curve.len(), report.steps, "the curve keeps the steps before the resume");
    assert_eq!(
        max_weight_change(&straight.out, &resumed.out),
        0.0,
        "a resumed run must end where a straight one does"
    );
}
