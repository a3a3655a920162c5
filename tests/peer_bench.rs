//! Ponder against its peers on the same weights, in one run: the Qwen3-0.6B-shaped fixture as F16, Q8_0
//! and Q4_K GGUF files (written by `ponder-train`'s GGUF writer), each run through ponder-engine, a bare
//! mistral.rs loop and llama.cpp (`xllamacpp`), on a 512-token prompt and a 2,048-token conversation,
//! 128 tokens generated greedily: decode tokens/s, time to first token, prompt tokens/s and peak memory,
//! with the machine's measured memory bandwidth and the decode ceiling it sets (every weight is read
//! once per token). Minutes long, so not part of `cargo test`:
//! `cargo test --workspace --test peer_bench -- --ignored --nocapture` (results in docs/benchmarks.md);
//! `PONDER_BENCH_SHAPE`, `PONDER_BENCH_FORMATS`, `PONDER_BENCH_WORKLOADS` and `PONDER_BENCH_RUNS` choose.

use std::path::{Path, PathBuf};

use candle_core::quantized::GgmlDType;
use ponder_engine::bench::{time_engine, BareModel, Timing};
use ponder_engine::machine::read_bandwidth;
use ponder_engine::{ChatMessage, ChatRole, Engine, GenerationRequest, ModelSource, Sampling};
use ponder_tests::llama_cpp;
use ponder_tests::qwen_fixture::qwen3_fixture;

const GENERATE: usize = 128;

fn gguf(fixture_gguf: &Path, dtype: GgmlDType, name: &str, model_dir: &Path) -> PathBuf {
    if dtype == GgmlDType::Q8_0 {
        return fixture_gguf.to_path_buf();
    }
    let q8 = fixture_gguf.file_name().unwrap().to_string_lossy().into_owned();
    let out = fixture_gguf.with_file_name(q8.replace("-q8_0.gguf", &format!("-{name}.gguf")));
    if !out.is_file() {
        let partial = out.with_extension("partial");
        ponder_train::gguf::export_gguf(model_dir, &partial, dtype).expect("gguf written");
        std::fs::rename(&partial, &out).unwrap();
    }
    out
}

fn workloads() -> Vec<(&'static str, GenerationRequest)> {
    let filler =
        "The quick brown fox jumps over the lazy dog while the committee reviews the budget. ";
    let request = |messages| GenerationRequest {
        messages,
        thinking: false,
        sampling: Sampling::greedy(),
        max_tokens: GENERATE,
        ..GenerationRequest::ask("")
    };
    let prompt = ChatMessage::user(format!("{}Summarise the above.", filler.repeat(29)));
    let mut turns = Vec::new();
    for i in 0..6 {
        let role = if i % 2 == 0 { ChatRole::User } else { ChatRole::Assistant };
        turns.push(ChatMessage { role, content: filler.repeat(19) });
    }
    turns.push(ChatMessage::user("And what follows from all of that?"));
    // PONDER_BENCH_WORKLOADS=prompt (or conversation) runs one: the larger shapes take long.
    let chosen =
        std::env::var("PONDER_BENCH_WORKLOADS").unwrap_or_else(|_| "prompt,conversation".into());
    [("prompt 512", request(vec![prompt])), ("conversation 2,048", request(turns))]
        .into_iter()
        .filter(|(label, _)| chosen.split(',').any(|c| label.starts_with(c.trim())))
        .collect()
}

struct Row {
    ttft_ms: f64,
    decode: f64,
    prompt_per_s: f64,
    peak: u64,
}

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    xs[xs.len() / 2]
}

fn ours(timings: &[Timing], prompt_tokens: usize, peak: u64) -> Row {
    let ttft_ms = median(timings.iter().map(|t| t.time_to_first_token_ms).collect());
    Row {
        ttft_ms,
        decode: median(timings.iter().map(|t| t.decode_tokens_per_second).collect()),
        prompt_per_s: prompt_tokens as f64 / (ttft_ms / 1000.0),
        peak,
    }
}

fn gib(bytes: u64) -> f64 {
    bytes as f64 / (1u64 << 30) as f64
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "minutes: run with --ignored --nocapture (docs/benchmarks.md)"]
async fn ponder_bare_mistralrs_and_llama_cpp_on_the_same_files() {
    // PONDER_BENCH_SHAPE=qwen3-1.7b|qwen3-4b measures another shape (default the CI fixture's).
    let shape = std::env::var("PONDER_BENCH_SHAPE").unwrap_or_else(|_| "qwen3-0.6b".into());
    let fixture = qwen3_fixture(&shape).unwrap_or_else(|| panic!("no fixture shape {shape}"));
    println!("shape: {shape}");
    let bandwidth = read_bandwidth(1 << 30);
    println!(
        "memory read bandwidth: {:.1} GB/s (1 GiB summed on every core, best of 3)",
        bandwidth / 1e9
    );
    let runs: usize =
        std::env::var("PONDER_BENCH_RUNS").ok().and_then(|r| r.parse().ok()).unwrap_or(2);
    // PONDER_BENCH_FORMATS=q8_0,q4_k picks some (F16 through mistral.rs 0.8.1 on CPU takes many minutes).
    let chosen = std::env::var("PONDER_BENCH_FORMATS").unwrap_or_else(|_| "f16,q8_0,q4_k".into());
    let formats: Vec<_> =
        [(GgmlDType::F16, "f16"), (GgmlDType::Q8_0, "q8_0"), (GgmlDType::Q4K, "q4_k")]
            .into_iter()
            .filter(|(_, name)| chosen.split(',').any(|c| c.trim() == *name))
            .collect();
    let mut lines = vec![
        "| file | workload | engine | decode tok/s | first token | prompt tok/s | peak memory | decode vs llama.cpp | first token vs llama.cpp |".to_string(),
        "|---|---|---|---|---|---|---|---|---|".to_string(),
    ];
    for (dtype, name) in formats {
        let file = gguf(&fixture.gguf, dtype, name, &fixture.model_dir);
        let bytes = std::fs::metadata(&file).unwrap().len();
        println!(
            "{name}: {:.2} GiB, decode ceiling {:.1} tok/s at the measured bandwidth",
            gib(bytes),
            bandwidth / bytes as f64
        );
        let work = workloads();
        let source = ModelSource::Gguf(file.clone());

        assert!(ponder_train::memory::reset_peak(), "cannot measure peak memory here");
        let engine = Engine::load(source.clone()).await.expect("loads");
        let mut prompts = Vec::new();
        let mut engine_rows = Vec::new();
        for (_, req) in &work {
            let ids = engine.prompt_ids(req).await.unwrap();
            time_engine(&engine, &GenerationRequest { max_tokens: 8, ..req.clone() })
                .await
                .unwrap();
            let mut t = Vec::new();
            for _ in 0..runs {
                t.push(time_engine(&engine, req).await.unwrap());
            }
            engine_rows.push((t, ids.len()));
            prompts.push(ids);
        }
        let engine_peak = ponder_train::memory::peak_bytes().unwrap_or(0);
        drop(engine);

        assert!(ponder_train::memory::reset_peak());
        let bare = BareModel::load(source.clone()).await.expect("loads");
        let mut bare_rows = Vec::new();
        for (_, req) in &work {
            bare.time(&GenerationRequest { max_tokens: 8, ..req.clone() }).await.unwrap();
            let mut t = Vec::new();
            for _ in 0..runs {
                t.push(bare.time(req).await.unwrap());
            }
            bare_rows.push(t);
        }
        let bare_peak = ponder_train::memory::peak_bytes().unwrap_or(0);
        drop(bare);

        let (peer, peer_peak) = llama_cpp::bench(&file, &prompts, GENERATE, runs);
        for (i, (label, _)) in work.iter().enumerate() {
            let prompt_tokens = engine_rows[i].1;
            let o = ours(&engine_rows[i].0, prompt_tokens, engine_peak);
            let b = ours(&bare_rows[i], prompt_tokens, bare_peak);
            let p = &peer[i];
            let l = Row {
                ttft_ms: median(
                    p.iter().map(|t| t.prompt_ms + t.generate_ms / t.generated as f64).collect(),
                ),
                decode: median(
                    p.iter().map(|t| (t.generated - 1) as f64 / (t.generate_ms / 1000.0)).collect(),
                ),
                prompt_per_s: median(
                    p.iter().map(|t| t.prompt_tokens as f64 / (t.prompt_ms / 1000.0)).collect(),
                ),
                peak: peer_peak,
            };
            for (engine_name, r) in
                [("ponder-engine", &o), ("bare mistral.rs", &b), ("llama.cpp", &l)]
            {
                lines.push(format!(
                    "| {name} | {label} ({prompt_tokens} tokens) | {engine_name} | {:.1} | {:.0} ms | {:.0} | {:.2} GiB | {:.2}× | {:.2}× |",
                    r.decode,
                    r.ttft_ms,
                    r.prompt_per_s,
                    gib(r.peak),
                    r.decode / l.decode,
                    r.ttft_ms / l.ttft_ms
                ));
            }
        }
        println!("{}", lines.join("\n"));
    }
}
