//! The training run: data, tokenizer, model, AdamW loop with checkpoints, held-out loss, export.

use std::collections::HashMap;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::time::Instant;

use candle_core::{Device, Tensor};
use candle_nn::VarMap;
use indicatif::{ProgressBar, ProgressStyle};
use serde::{Deserialize, Serialize};
use tokenizers::Tokenizer;

use crate::data::{self, Mix};
use crate::model::{Family, Qwen, QwenConfig};
use crate::optim::{AdamW, AdamWConfig, Schedule};
use crate::tasks::Split;
use crate::{hf_folder, loss, tokenizer, TrainError};

/// Everything that determines a training run; the same settings give the same model when run with the
/// same number of gradient workers (`loss::set_workers`) on the same kind of CPU.
#[derive(Clone, Debug)]
pub struct TrainConfig {
    /// Architecture (its `vocab_size` is replaced by the trained tokenizer's size).
    pub model: QwenConfig,
    /// BPE vocabulary before added tokens.
    pub bpe_vocab: usize,
    /// Training examples (one pass; every example is a fresh problem).
    pub examples: usize,
    /// Held-out examples for the final teacher-forced loss.
    pub eval_examples: usize,
    /// Padded tokens per batch.
    pub batch_tokens: usize,
    /// Learning-rate schedule.
    pub schedule: Schedule,
    /// Optimizer settings.
    pub adam: AdamWConfig,
    /// Seed for data, batching and initialisation.
    pub seed: u64,
    /// Thinking on/off and multi-turn mix.
    pub mix: Mix,
    /// Save a checkpoint every this many steps.
    pub checkpoint_every: usize,
    /// Stop (with a checkpoint, without exporting) after this many steps: simulates an interrupted run.
    pub stop_after: Option<usize>,
}

impl TrainConfig {
    /// The bundled model: about 2 M parameters, sized to train in under an hour on two CPU cores.
    pub fn full() -> Self {
        Self {
            model: QwenConfig {
                model_type: Family::Qwen3,
                vocab_size: 0,
                hidden_size: 192,
                intermediate_size: 576,
                num_hidden_layers: 4,
                num_attention_heads: 4,
                num_key_value_heads: 2,
                head_dim: 48,
                rms_norm_eps: 1e-6,
                rope_theta: 10_000.0,
                max_position_embeddings: 2048,
                attention_bias: false,
                tie_word_embeddings: true,
            },
            bpe_vocab: 1024,
            // Run 8's 68,000 plus the extra comparisons, so every other kind keeps its practice.
            examples: 73_440,
            eval_examples: 256,
            // Small batches: at this data budget, more updates teach more than larger, smoother ones.
            batch_tokens: 1024,
            schedule: Schedule { peak: 2e-3, warmup: 100, decay_fraction: 0.3, floor: 0.05 },
            adam: AdamWConfig {
                beta1: 0.9,
                beta2: 0.98,
                eps: 1e-8,
                weight_decay: 0.05,
                clip_norm: 1.0,
                vector_lr_scale: 4.0,
            },
            seed: 20_261_129,
            mix: Mix { thinking: 0.7, history: 0.05 },
            checkpoint_every: 100,
            stop_after: None,
        }
    }

    /// A seconds-long run for tests: same pipeline, toy sizes.
    pub fn tiny() -> Self {
        let mut c = Self::full();
        c.model.hidden_size = 32;
        c.model.intermediate_size = 64;
        c.model.num_hidden_layers = 2;
        c.model.head_dim = 8;
        c.model.max_position_embeddings = 1024;
        c.bpe_vocab = 300;
        c.examples = 96;
        c.eval_examples = 8;
        c.batch_tokens = 4096;
        c.schedule = Schedule { peak: 1e-2, warmup: 2, decay_fraction: 0.5, floor: 0.05 };
        c.checkpoint_every = 4;
        c
    }
}

/// What a run measured.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct TrainReport {
    /// Optimizer steps taken in total (including before a resume).
    pub steps: usize,
    /// Mean loss over the first steps of this process.
    pub first_loss: f32,
    /// Mean loss over the last steps.
    pub last_loss: f32,
    /// Teacher-forced loss on held-out examples.
    pub held_out_loss: f32,
    /// Trained (completion) tokens per second, this process.
    pub tokens_per_second: f64,
    /// Wall time of this process's steps.
    pub seconds: f64,
    /// Model parameters.
    pub parameters: usize,
}

#[derive(Serialize, Deserialize)]
struct CheckpointMeta {
    step: usize,
    /// Every setting that shapes the run; resuming under different ones would silently mix two runs.
    settings: String,
}

impl TrainConfig {
    fn fingerprint(&self) -> String {
        format!("{:?}", TrainConfig { stop_after: None, checkpoint_every: 0, ..self.clone() })
    }
}

/// Where a run keeps its tokenizer and checkpoints.
pub struct RunDir(PathBuf);

impl RunDir {
    /// Uses (and creates) `path`.
    pub fn new(path: &Path) -> Result<Self, TrainError> {
        std::fs::create_dir_all(path).map_err(TrainError::io(path))?;
        Ok(Self(path.to_path_buf()))
    }
    fn tokenizer(&self) -> PathBuf {
        self.0.join("tokenizer.json")
    }
    fn weights(&self) -> PathBuf {
        self.0.join("checkpoint.safetensors")
    }
    fn meta(&self) -> PathBuf {
        self.0.join("checkpoint.json")
    }
}

/// Runs the whole pipeline and writes the model folder to `out`; resumes from `run`'s checkpoint if `resume`.
pub fn run(
    cfg: &TrainConfig,
    run: &RunDir,
    out: &Path,
    resume: bool,
    quiet: bool,
) -> Result<TrainReport, TrainError> {
    let say = |m: String| {
        if !quiet {
            eprintln!("{m}");
        }
    };
    let texts = data::text_examples(cfg.seed, Split::Train, cfg.examples, cfg.mix);
    let tok = if resume && run.tokenizer().exists() {
        Tokenizer::from_file(run.tokenizer()).map_err(TrainError::tokenizer)?
    } else {
        let corpus: Vec<String> =
            texts.iter().take(6000).map(|(_, e)| format!("{}{}", e.prompt, e.completion)).collect();
        let t = tokenizer::train(&corpus, cfg.bpe_vocab)?;
        t.save(run.tokenizer(), false).map_err(TrainError::tokenizer)?;
        t
    };
    let mut mcfg = cfg.model.clone();
    mcfg.vocab_size = tok.get_vocab_size(true);
    let encoded =
        texts.iter().map(|(_, e)| data::encode(&tok, e)).collect::<Result<Vec<_>, _>>()?;
    let longest = encoded.iter().map(|e| e.ids.len()).max().unwrap_or(0);
    if longest > mcfg.max_position_embeddings || longest > cfg.batch_tokens {
        return Err(TrainError::Config(format!(
            "an example has {longest} tokens; raise the context or batch"
        )));
    }
    let trained_tokens: usize =
        encoded.iter().map(|e| e.trained.iter().filter(|t| **t).count()).sum();
    let batches = data::batches(&encoded, cfg.batch_tokens, cfg.seed);
    say(format!(
        "{} examples, {} trained tokens (longest {longest}), {} steps, vocab {}, {} parameters",
        encoded.len(),
        trained_tokens,
        batches.len(),
        mcfg.vocab_size,
        mcfg.parameter_count()
    ));

    let device = Device::Cpu;
    let vars = VarMap::new();
    let model = Qwen::new(&mcfg, &vars, &device, cfg.seed)?;
    let named = crate::optim::named_vars(&vars);
    let mut opt = AdamW::new(named, cfg.adam)?;
    let mut start = 0;
    if resume && run.meta().exists() {
        start = load_checkpoint(run, &vars, &mut opt, cfg)?;
        say(format!("resumed at step {start}"));
    }

    let pad = tokenizer::token_id(&tok, "<|endoftext|>")?;
    let params = vars.all_vars();
    // Workers share each batch's rows (see `loss.rs`); how many changes the speed, not the result.
    let workers = loss::workers();
    let log_lines = !quiet && !std::io::stderr().is_terminal();
    let bar = if quiet || log_lines {
        ProgressBar::hidden()
    } else {
        ProgressBar::new(batches.len() as u64)
    };
    bar.set_style(
        ProgressStyle::with_template("{elapsed_precise} [{bar:30}] {pos}/{len} {msg} (eta {eta})")
            .expect("valid template")
            .progress_chars("=> "),
    );
    bar.set_position(start as u64);
    let begun = Instant::now();
    let (mut losses, mut seen_tokens) = (Vec::new(), 0usize);
    for (step, batch) in batches.iter().enumerate().skip(start) {
        if cfg.stop_after == Some(step) {
            save_checkpoint(run, &vars, &opt, cfg, step)?;
            return Err(TrainError::Interrupted { step });
        }
        let lr = cfg.schedule.at(step, batches.len());
        let (l, grads) =
            loss::loss_and_gradients(&model, &params, &encoded, batch, pad, &device, workers)?;
        let norm = opt.step(&grads, lr)?;
        if !l.is_finite() {
            return Err(TrainError::Config(format!(
                "loss became {l} at step {step}; lower the learning rate"
            )));
        }
        losses.push(l);
        seen_tokens += batch
            .members
            .iter()
            .map(|&m| encoded[m].trained.iter().filter(|t| **t).count())
            .sum::<usize>();
        let tps = seen_tokens as f64 / begun.elapsed().as_secs_f64();
        let msg = format!("loss {l:.4} | {tps:.0} tok/s | lr {lr:.2e} | |g| {norm:.2}");
        if log_lines && (step.is_multiple_of(10) || step + 1 == batches.len()) {
            // Not a terminal (CI, a log file): a plain line now and then instead of a redrawn bar.
            eprintln!(
                "step {}/{} {msg} | {:.0} s",
                step + 1,
                batches.len(),
                begun.elapsed().as_secs_f64()
            );
        }
        bar.set_message(msg);
        bar.inc(1);
        if (step + 1).is_multiple_of(cfg.checkpoint_every) {
            save_checkpoint(run, &vars, &opt, cfg, step + 1)?;
        }
    }
    bar.finish();
    save_checkpoint(run, &vars, &opt, cfg, batches.len())?;
    let seconds = begun.elapsed().as_secs_f64();

    let held_out =
        data::text_examples(cfg.seed ^ 0x5eed, Split::HeldOut, cfg.eval_examples, cfg.mix);
    let held_enc =
        held_out.iter().map(|(_, e)| data::encode(&tok, e)).collect::<Result<Vec<_>, _>>()?;
    let held_out_loss = loss::mean_loss(&model, &held_enc, cfg.batch_tokens, pad, &device)?;
    let window = (losses.len() / 10).clamp(1, 20);
    let avg =
        |s: &[f32]| if s.is_empty() { f32::NAN } else { s.iter().sum::<f32>() / s.len() as f32 };
    let report = TrainReport {
        steps: batches.len(),
        first_loss: avg(&losses[..window.min(losses.len())]),
        last_loss: avg(&losses[losses.len().saturating_sub(window)..]),
        held_out_loss,
        tokens_per_second: seen_tokens as f64 / seconds.max(1e-9),
        seconds,
        parameters: mcfg.parameter_count(),
    };
    say(format!("held-out loss {held_out_loss:.4}; writing {}", out.display()));
    hf_folder::write_model(out, &mcfg, &vars, &tok, &report)?;
    Ok(report)
}

/// Writes the latest checkpoint in `run` as a model folder, to try a run before it ends.
pub fn snapshot(cfg: &TrainConfig, run: &RunDir, out: &Path) -> Result<usize, TrainError> {
    let tok = Tokenizer::from_file(run.tokenizer()).map_err(TrainError::tokenizer)?;
    let mut mcfg = cfg.model.clone();
    mcfg.vocab_size = tok.get_vocab_size(true);
    let text = std::fs::read_to_string(run.meta()).map_err(TrainError::io(run.meta()))?;
    let meta: CheckpointMeta = serde_json::from_str(&text)
        .map_err(|e| TrainError::Corrupt { path: run.meta(), message: e.to_string() })?;
    let tensors = candle_core::safetensors::load(run.weights(), &Device::Cpu)
        .map_err(|e| TrainError::Corrupt { path: run.weights(), message: e.to_string() })?;
    let vars = VarMap::new();
    for (k, t) in tensors.into_iter().filter(|(k, _)| !k.starts_with("adam.")) {
        vars.data().lock().expect("not poisoned").insert(k, candle_core::Var::from_tensor(&t)?);
    }
    Qwen::new(&mcfg, &vars, &Device::Cpu, cfg.seed)?;
    let report = TrainReport {
        steps: meta.step,
        first_loss: f32::NAN,
        last_loss: f32::NAN,
        held_out_loss: f32::NAN,
        tokens_per_second: f64::NAN,
        seconds: f64::NAN,
        parameters: mcfg.parameter_count(),
    };
    hf_folder::write_model(out, &mcfg, &vars, &tok, &report)?;
    Ok(meta.step)
}

fn save_checkpoint(
    run: &RunDir,
    vars: &VarMap,
    opt: &AdamW,
    cfg: &TrainConfig,
    step: usize,
) -> Result<(), TrainError> {
    let mut all: HashMap<String, Tensor> = opt.state();
    for (k, v) in vars.data().lock().expect("not poisoned").iter() {
        all.insert(k.clone(), v.as_tensor().clone());
    }
    // Write then rename, so a kill mid-save never leaves a half-written checkpoint.
    let tmp = run.weights().with_extension("safetensors.tmp");
    candle_core::safetensors::save(&all, &tmp)?;
    std::fs::rename(&tmp, run.weights()).map_err(TrainError::io(run.weights()))?;
    let meta = CheckpointMeta { step, settings: cfg.fingerprint() };
    let text = serde_json::to_string(&meta).expect("plain struct");
    std::fs::write(run.meta(), text).map_err(TrainError::io(run.meta()))
}

fn load_checkpoint(
    run: &RunDir,
    vars: &VarMap,
    opt: &mut AdamW,
    cfg: &TrainConfig,
) -> Result<usize, TrainError> {
    let text = std::fs::read_to_string(run.meta()).map_err(TrainError::io(run.meta()))?;
    let meta: CheckpointMeta = serde_json::from_str(&text)
        .map_err(|e| TrainError::Corrupt { path: run.meta(), message: e.to_string() })?;
    if meta.settings != cfg.fingerprint() {
        return Err(TrainError::Config("the checkpoint in the run folder was made with other settings; pass --fresh to start over".into()));
    }
    let tensors = candle_core::safetensors::load(run.weights(), &Device::Cpu)
        .map_err(|e| TrainError::Corrupt { path: run.weights(), message: e.to_string() })?;
    for (k, v) in vars.data().lock().expect("not poisoned").iter() {
        let t = tensors.get(k).ok_or_else(|| TrainError::Corrupt {
            path: run.weights(),
            message: format!("missing {k}"),
        })?;
        v.set(t)?;
    }
    opt.restore(&tensors, meta.step)?;
    Ok(meta.step)
}
