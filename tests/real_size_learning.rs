//! Learning at real size: on a random-weight model with Qwen3-0.6B's shapes (made by
//! `ponder-train init`), one LoRA step of each method runs within the memory estimate, and the merged
//! folder served by mistral.rs gives the trainer's next-token logits.
//!
//! Minutes long on two cores, so not part of `cargo test`; run it with
//! `cargo test --workspace --test real_size_learning -- --ignored --nocapture`
//! (numbers in docs/benchmarks.md). The tokenizer is the bundled model's: the shapes, not the vocabulary,
//! set the cost (`real_qwen.rs` runs the engine on Qwen3's real tokenizer).

use std::sync::atomic::AtomicBool;
use std::time::Instant;

use candle_core::{DType, Device, Tensor};
use ponder_engine::{Engine, GenerationRequest, ModelSource, Sampling};
use ponder_tests::bundled_model_dir;
use ponder_train::arch::Shape;
use ponder_train::learn::data::{Msg, PairExample, ReferenceExample, SftExample, ThumbExample};
use ponder_train::learn::{
    estimate_memory, learn_with_reward, LearnData, LearnPaths, LearnSettings,
};
use ponder_train::methods::Method;
use ponder_train::model::Qwen;

fn one_of_each() -> LearnData {
    let q = || vec![Msg::user("How much is 9712 minus 5426?")];
    let good =
        Msg::assistant_inline("9712 - 5426: 2 - 6 borrows, 12 - 6 = 6 …", "9712 - 5426 = 4286.");
    let bad = Msg::assistant_inline("9712 + 5426 …", "9712 + 5426 = 15138.");
    LearnData {
        sft: vec![SftExample { prompt: q(), completion: good.clone() }],
        pairs: vec![PairExample { prompt: q(), chosen: good.clone(), rejected: bad.clone() }],
        thumbs: vec![
            ThumbExample { prompt: q(), completion: good, label: true },
            ThumbExample { prompt: q(), completion: bad, label: false },
        ],
        references: vec![ReferenceExample { prompt: q(), answer: "4286".into() }],
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "real size, minutes: run with --ignored (docs/benchmarks.md)"]
async fn one_lora_step_of_each_method_at_qwen3_0_6b_shapes() {
    let work = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
    let base = work.path().join("qwen3-0.6b-random");
    let cfg = Shape::Qwen3_0_6b.config();
    let t = Instant::now();
    ponder_train::init::write_random_model(&cfg, 1, DType::BF16, &bundled_model_dir(), &base)
        .unwrap();
    println!("init: {} parameters in {:.1} s", cfg.parameter_count(), t.elapsed().as_secs_f64());

    for method in [Method::Sft, Method::Dpo, Method::Kto, Method::Grpo] {
        let mut s = LearnSettings::for_methods(vec![method], cfg.parameter_count());
        assert!(s.lora.is_some(), "LoRA is the default at this size");
        s.batch_tokens = 512;
        s.group = 4;
        s.questions_per_step = 1;
        s.sample.max_new_tokens = 8;
        let estimate = estimate_memory(&cfg, &s, 2, ponder_train::loss::workers());
        let out = work.path().join(format!("learned-{}", method.as_str()));
        let paths = LearnPaths {
            base: base.clone(),
            run_dir: work.path().join(method.as_str()),
            out: out.clone(),
        };
        assert!(ponder_train::memory::reset_peak(), "cannot measure peak memory here");
        let t = Instant::now();
        // Random weights never reach the reference (and mostly sample ids past the bundled tokenizer's,
        // which decode to nothing), so GRPO's chains are rewarded 1, 0, 1, 0 in turn instead: a group
        // that ties updates nothing.
        let turn = std::sync::atomic::AtomicUsize::new(0);
        let reward = |_: &str, _: &ReferenceExample| {
            (turn.fetch_add(1, std::sync::atomic::Ordering::Relaxed) % 2) as f64
        };
        let report = learn_with_reward(
            &paths,
            &s,
            &one_of_each(),
            &reward,
            &mut |_| {},
            &AtomicBool::new(false),
        )
        .unwrap();
        let peak = report.peak_memory_bytes.unwrap();
        let gib = |b: u64| b as f64 / (1u64 << 30) as f64;
        println!(
            "{}: {} step(s), loss {:.4}, {:.1} s, {} trainable, peak {:.2} GiB, estimate {:.2} GiB",
            method.as_str(),
            report.steps,
            report.curve.last().map_or(f32::NAN, |r| r.loss),
            t.elapsed().as_secs_f64(),
            report.trainable_parameters,
            gib(peak),
            gib(estimate)
        );
        assert_eq!(report.steps, 1);
        assert!(report.curve[0].loss.is_finite());
        if method == Method::Grpo {
            assert!(
                report.curve[0].kl.is_some(),
                "the group tied, so GRPO took no step: {report:?}"
            );
        }
        assert!(
            peak <= estimate,
            "{}: peak {:.2} GiB over the estimate {:.2} GiB",
            method.as_str(),
            gib(peak),
            gib(estimate)
        );
        if method != Method::Sft {
            std::fs::remove_dir_all(&out).unwrap();
        }
    }

    let merged = work.path().join("learned-sft");
    let engine = Engine::load(ModelSource::LocalDir(merged.clone())).await.unwrap();
    let req = GenerationRequest {
        sampling: Sampling::greedy(),
        ..GenerationRequest::ask("How much is 12 plus 7?")
    };
    let (theirs, prompt_ids) = engine.next_token_logits(&req).await.unwrap();
    drop(engine);
    let (model, _) = Qwen::load_hf(&merged, &Device::Cpu).unwrap();
    let ids = Tensor::new(prompt_ids.as_slice(), &Device::Cpu).unwrap().unsqueeze(0).unwrap();
    let ours = model.forward(&ids).unwrap().squeeze(0).unwrap().get(prompt_ids.len() - 1).unwrap();
    let ours = ours.to_vec1::<f32>().unwrap();
    let scale = ours.iter().fold(0f32, |m, v| m.max(v.abs()));
    let diff = ours.iter().zip(&theirs).map(|(a, b)| (a - b).abs()).fold(0f32, f32::max);
    let argmax = |v: &[f32]| v.iter().enumerate().max_by(|a, b| a.1.total_cmp(b.1)).unwrap().0;
    println!("merged folder in mistral.rs: max |Δlogit| {diff:.4} of max |logit| {scale:.3}");
    // mistral.rs computes in bf16 on CPU, the trainer in f32: agreement to bf16's precision.
    assert!(
        diff <= 0.05 * scale.max(1.0),
        "trainer and mistral.rs disagree by {diff} (scale {scale})"
    );
    assert_eq!(argmax(&ours), argmax(&theirs));
}
