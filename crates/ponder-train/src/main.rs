//! `ponder-train`: rebuilds the bundled ponder-tiny model, or prints sample problems.

use std::path::PathBuf;

use anyhow::Context;
use candle_core::quantized::GgmlDType;
use clap::{Parser, Subcommand};
use ponder_train::tasks::{Generator, Split};
use ponder_train::train::{self, RunDir, TrainConfig};

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(name = "ponder-train", about = "Train Ponder's bundled Qwen3 model from scratch on CPU")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Generate data, train the tokenizer and the model, and write a Hugging Face folder.
    Build {
        /// Where the finished model goes.
        #[arg(long, default_value = "models/ponder-tiny")]
        out: PathBuf,
        /// Where the tokenizer and checkpoints are kept while training.
        #[arg(long, default_value = "target/ponder-train-run")]
        run_dir: PathBuf,
        /// Start over instead of resuming from the last checkpoint in --run-dir.
        #[arg(long)]
        fresh: bool,
        /// A seconds-long toy configuration (for trying the pipeline).
        #[arg(long)]
        tiny: bool,
        /// Override the number of training examples.
        #[arg(long)]
        examples: Option<usize>,
        /// Override the seed (data, batching and initialisation), e.g. to measure run-to-run spread.
        #[arg(long)]
        seed: Option<u64>,
        /// Stop with a checkpoint after this many steps; run again without it to finish.
        #[arg(long)]
        stop_after: Option<usize>,
        /// Threads computing gradients, each on part of a batch (default: one per core).
        #[arg(long)]
        workers: Option<usize>,
    },
    /// Write the latest checkpoint of a run as a model folder (to evaluate a run before it ends).
    Snapshot {
        /// The run's tokenizer and checkpoints.
        #[arg(long, default_value = "target/ponder-train-run")]
        run_dir: PathBuf,
        /// Where to write the folder.
        #[arg(long)]
        out: PathBuf,
        /// The run used the toy configuration.
        #[arg(long)]
        tiny: bool,
        /// The run's seed, if it was overridden.
        #[arg(long)]
        seed: Option<u64>,
    },
    /// Write a model folder as a single GGUF file (to try or test GGUF loading).
    Gguf {
        /// The model folder.
        #[arg(long, default_value = "models/ponder-tiny")]
        model: PathBuf,
        /// The file to write.
        #[arg(long)]
        out: PathBuf,
        /// Store matrices as Q8_0 instead of F32.
        #[arg(long)]
        q8: bool,
    },
    /// Write a model with random weights and a published shape (a stand-in for real weights).
    Init {
        /// The shape.
        #[arg(long, value_enum)]
        shape: ponder_train::arch::Shape,
        /// Where the folder goes.
        #[arg(long)]
        out: PathBuf,
        /// Seed of the weights.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Store as float32 instead of bfloat16.
        #[arg(long)]
        f32: bool,
        /// The model folder whose tokenizer and chat template to copy.
        #[arg(long, default_value = "models/ponder-tiny")]
        tokenizer_from: PathBuf,
    },
    /// Learn from examples in TRL's formats (what `ponder export` writes) and write a new model folder.
    Learn(Box<ponder_train::learn::cli::LearnArgs>),
    /// Print generated problems as JSON lines.
    Sample {
        /// How many.
        #[arg(long, default_value_t = 5)]
        count: usize,
        /// Draw from the held-out split instead of training.
        #[arg(long)]
        held_out: bool,
        /// Seed.
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
}

/// mimalloc reads its options from the environment once, at start-up. Returning freed memory to the OS
/// ("purging") made the kernel zero fresh pages for every activation buffer: a quarter of all training
/// time. So the process restarts itself once with purging off.
///
/// The same restart makes candle's operations single-threaded (`RAYON_NUM_THREADS=1`) unless the caller
/// chose otherwise: the trainer runs one worker thread per core itself (`loss.rs`).
fn reexec_without_purging() -> anyhow::Result<Option<i32>> {
    const KEY: &str = "MIMALLOC_PURGE_DELAY";
    if std::env::var_os(KEY).is_some() {
        return Ok(None);
    }
    let mut restart = std::process::Command::new(std::env::current_exe()?);
    restart.args(std::env::args_os().skip(1)).env(KEY, "-1");
    if std::env::var_os("RAYON_NUM_THREADS").is_none() {
        restart.env("RAYON_NUM_THREADS", "1");
    }
    let status = restart.status()?;
    Ok(Some(status.code().unwrap_or(1)))
}

fn main() -> anyhow::Result<()> {
    if let Some(code) = reexec_without_purging()? {
        std::process::exit(code);
    }
    match Cli::parse().command {
        Command::Build { out, run_dir, fresh, tiny, examples, seed, stop_after, workers } => {
            let mut cfg = if tiny { TrainConfig::tiny() } else { TrainConfig::full() };
            if let Some(n) = examples {
                cfg.examples = n;
            }
            if let Some(s) = seed {
                cfg.seed = s;
            }
            cfg.stop_after = stop_after;
            if let Some(n) = workers {
                ponder_train::loss::set_workers(n);
            }
            let run = RunDir::new(&run_dir)?;
            let report = train::run(&cfg, &run, &out, !fresh, false)
                .with_context(|| format!("training into {}", out.display()))?;
            println!("{}", serde_json::to_string_pretty(&report)?);
        }
        Command::Snapshot { run_dir, out, tiny, seed } => {
            let mut cfg = if tiny { TrainConfig::tiny() } else { TrainConfig::full() };
            if let Some(s) = seed {
                cfg.seed = s;
            }
            let step = train::snapshot(&cfg, &RunDir::new(&run_dir)?, &out)?;
            println!("wrote step {step} to {}", out.display());
        }
        Command::Gguf { model, out, q8 } => {
            let dtype = if q8 { GgmlDType::Q8_0 } else { GgmlDType::F32 };
            ponder_train::gguf::export_gguf(&model, &out, dtype)?;
            println!("wrote {}", out.display());
        }
        Command::Init { shape, out, seed, f32, tokenizer_from } => {
            let dtype = if f32 { candle_core::DType::F32 } else { candle_core::DType::BF16 };
            ponder_train::init::write_random_model(
                &shape.config(),
                seed,
                dtype,
                &tokenizer_from,
                &out,
            )?;
            println!("wrote {}", out.display());
        }
        Command::Learn(args) => {
            let report = ponder_train::learn::cli::run(*args)?;
            println!("{}", serde_json::to_string_pretty(&report)?);
        }
        Command::Sample { count, held_out, seed } => {
            let split = if held_out { Split::HeldOut } else { Split::Train };
            let mut g = Generator::new(seed, split);
            for _ in 0..count {
                println!("{}", serde_json::to_string(&g.mixed())?);
            }
        }
    }
    Ok(())
}
