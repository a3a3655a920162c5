//! `ponder bench`: decode speed and time to first token through ponder-engine vs a bare mistral.rs loop,
//! same model, prompt and settings, runs interleaved, printed as ratios.

use anyhow::Context;
use ponder_engine::bench::{time_engine, BareModel, Timing};
use ponder_engine::{Engine, GenerationRequest, LoadOptions, Quantization, Sampling};

/// Options of `ponder bench`.
#[derive(clap::Args)]
pub struct BenchArgs {
    /// Model folder or Hugging Face id (defaults to the bundled ponder-tiny).
    #[arg(long)]
    model: Option<String>,
    /// Measured runs of each side (after one warm-up each).
    #[arg(long, default_value_t = 7)]
    runs: usize,
    /// Tokens to generate per run.
    #[arg(long, default_value_t = 256)]
    max_tokens: usize,
    /// The prompt.
    #[arg(long, default_value = "What is 4821 + 3967?")]
    question: String,
    /// Instead: the cost of saving the streamed answer to the history database, relative to
    /// generating it.
    #[arg(long)]
    persistence: bool,
    /// Quantize a folder's weights while loading, both sides alike: `q4k` or `q8_0`.
    #[arg(long, value_parser = crate::ask::parse_quantization)]
    quantize: Option<Quantization>,
}

pub(crate) fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(|a, b| a.total_cmp(b));
    xs.get(xs.len() / 2).copied().unwrap_or(0.0)
}

struct Summary {
    ttft_ms: f64,
    decode: f64,
    tokens: usize,
}

fn summarize(runs: &[Timing]) -> Summary {
    Summary {
        ttft_ms: median(runs.iter().map(|t| t.time_to_first_token_ms).collect()),
        decode: median(runs.iter().map(|t| t.decode_tokens_per_second).collect()),
        tokens: runs.iter().map(|t| t.tokens).max().unwrap_or(0),
    }
}

/// Loads the model twice (engine and bare) and times greedy generations, alternating the two.
pub async fn run(args: BenchArgs) -> anyhow::Result<()> {
    let source = crate::model_arg::resolve(args.model.as_deref()).await?;
    let name = crate::model_arg::describe(&source);
    let options = LoadOptions { quantization: args.quantize, ..LoadOptions::default() };
    let engine = Engine::load_with(source.clone(), &options, |_| {})
        .await
        .with_context(|| format!("loading {name}"))?;
    if args.persistence {
        return crate::bench_persistence::run(
            &engine,
            &name,
            &args.question,
            args.runs,
            args.max_tokens,
        )
        .await;
    }
    let bare = BareModel::load_with(source, &options).await?;
    let req = GenerationRequest {
        sampling: Sampling::greedy(),
        max_tokens: args.max_tokens,
        ..GenerationRequest::ask(args.question)
    };
    time_engine(&engine, &req).await?;
    bare.time(&req).await?;
    let (mut ours, mut theirs) = (Vec::new(), Vec::new());
    for _ in 0..args.runs.max(1) {
        theirs.push(bare.time(&req).await?);
        ours.push(time_engine(&engine, &req).await?);
    }
    let (o, b) = (summarize(&ours), summarize(&theirs));
    let precision = args.quantize.map_or("as stored", |q| q.name());
    println!("model: {name}, {precision} ({} runs each, medians, greedy)", args.runs.max(1));
    println!("| | bare mistral.rs | ponder-engine | ratio / difference |");
    println!("|---|---|---|---|");
    println!(
        "| decode tokens/s | {:.1} | {:.1} | **{:.3}×** (goal ≥ 0.97×) |",
        b.decode,
        o.decode,
        o.decode / b.decode.max(f64::MIN_POSITIVE)
    );
    println!(
        "| time to first token | {:.1} ms | {:.1} ms | **{:+.1} ms** (goal ≤ +50 ms) |",
        b.ttft_ms,
        o.ttft_ms,
        o.ttft_ms - b.ttft_ms
    );
    println!("| tokens generated | {} | {} | |", b.tokens, o.tokens);
    Ok(())
}
