//! `ponder-train learn`: the library's loop on files, for engineers and scripts (`ponder learn`
//! takes its data from the store instead).

use std::path::PathBuf;
use std::sync::atomic::AtomicBool;

use super::data;
use super::plan::{default_methods, estimate_memory, LearnData, LearnSettings};
use super::run::{learn, LearnPaths, LearnReport};
use crate::arch::QwenConfig;
use crate::lora::LoraConfig;
use crate::methods::Method;
use crate::TrainError;

/// Options of `ponder-train learn`.
#[derive(clap::Args, Debug)]
pub struct LearnArgs {
    /// The model folder to learn from.
    #[arg(long)]
    pub base: PathBuf,
    /// Where the new model folder goes.
    #[arg(long)]
    pub out: PathBuf,
    /// Checkpoints (run again with the same settings to resume).
    #[arg(long)]
    pub run_dir: PathBuf,
    /// Methods (repeat to combine); default: what the data can teach.
    #[arg(long, value_enum)]
    pub method: Vec<Method>,
    /// SFT rows `{"messages"}`.
    #[arg(long)]
    pub sft: Option<PathBuf>,
    /// DPO rows `{"prompt","chosen","rejected"}`.
    #[arg(long)]
    pub dpo: Option<PathBuf>,
    /// KTO rows `{"prompt","completion","label"}`.
    #[arg(long)]
    pub kto: Option<PathBuf>,
    /// GRPO rows `{"prompt","answer"}`.
    #[arg(long)]
    pub grpo: Option<PathBuf>,
    /// Train LoRA adapters of this rank (default: LoRA above 100 M parameters).
    #[arg(long)]
    pub lora_rank: Option<usize>,
    /// LoRA alpha (default twice the rank).
    #[arg(long)]
    pub lora_alpha: Option<f64>,
    /// LoRA target modules, comma-separated (default all seven projections).
    #[arg(long, value_delimiter = ',')]
    pub lora_modules: Vec<String>,
    /// Train every weight even on a large model.
    #[arg(long, conflicts_with = "lora_rank")]
    pub full: bool,
    /// Passes over the data.
    #[arg(long)]
    pub epochs: Option<usize>,
    /// Peak learning rate.
    #[arg(long)]
    pub lr: Option<f64>,
    /// Chains per GRPO question.
    #[arg(long)]
    pub group: Option<usize>,
    /// Longest sampled chain, in tokens.
    #[arg(long)]
    pub max_new_tokens: Option<usize>,
    /// Padded tokens per batch.
    #[arg(long)]
    pub batch_tokens: Option<usize>,
    /// Seed.
    #[arg(long)]
    pub seed: Option<u64>,
}

/// Reads the data, decides the settings, prints the plan and runs it with a progress line per step.
pub fn run(args: LearnArgs) -> Result<LearnReport, TrainError> {
    let mut data = LearnData::default();
    if let Some(p) = &args.sft {
        data.sft = data::read_sft(p)?;
    }
    if let Some(p) = &args.dpo {
        data.pairs = data::read_pairs(p)?;
    }
    if let Some(p) = &args.kto {
        data.thumbs = data::read_thumbs(p)?;
    }
    if let Some(p) = &args.grpo {
        data.references = data::read_references(p)?;
    }
    let cfg = QwenConfig::read(&args.base)?;
    let (methods, why) = if args.method.is_empty() {
        default_methods(&data.counts())
    } else {
        (args.method.clone(), "as asked")
    };
    let mut s = LearnSettings::for_methods(methods, cfg.parameter_count());
    if args.full {
        s.lora = None;
    }
    if let Some(rank) = args.lora_rank {
        s.lora = Some(LoraConfig {
            rank,
            alpha: args.lora_alpha.unwrap_or(2.0 * rank as f64),
            ..LoraConfig::default()
        });
    }
    if let (Some(l), false) = (&mut s.lora, args.lora_modules.is_empty()) {
        l.modules = args.lora_modules.clone();
    }
    s.epochs = args.epochs.unwrap_or(s.epochs);
    // The rate follows what trains (adapters or every weight), unless one was given.
    let sized = super::plan::sized_rate(s.lora.is_some(), cfg.parameter_count());
    s.learning_rate = args.lr.unwrap_or(sized);
    s.group = args.group.unwrap_or(s.group);
    s.sample.max_new_tokens = args.max_new_tokens.unwrap_or(s.sample.max_new_tokens);
    s.batch_tokens = args.batch_tokens.unwrap_or(s.batch_tokens);
    s.seed = args.seed.unwrap_or(s.seed);
    let bytes = super::plan::stored_bytes_per_weight(&args.base, &s);
    let estimate = estimate_memory(&cfg, &s, bytes, crate::loss::workers());
    let names: Vec<&str> = s.methods.iter().map(|m| m.as_str()).collect();
    eprintln!(
        "{} ({why}); {}; {:?}; estimated peak memory {:.1} GiB",
        names.join(" + "),
        match &s.lora {
            Some(l) => format!("LoRA rank {} on {}", l.rank, l.modules.join(",")),
            None => "every weight".into(),
        },
        data.counts(),
        estimate as f64 / (1u64 << 30) as f64
    );
    let paths = LearnPaths { base: args.base, run_dir: args.run_dir, out: args.out };
    let cancel = AtomicBool::new(false);
    learn(&paths, &s, &data, &mut |r| eprintln!("{}", r.progress_line()), &cancel)
}
