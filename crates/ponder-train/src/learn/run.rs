//! A learning run: a base model folder and examples in; the methods' steps interleaved, with
//! checkpoints, resume and cancellation; a new merged model folder out.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use candle_core::{Device, Var};
use serde::{Deserialize, Serialize};

use super::checkpoint::{self, Meta};
use super::data::ReferenceExample;
use super::plan::{DataCounts, LearnData, LearnSettings};
use super::prepare::{encode_all, load_model, plan_work, reference_values, Work};
use super::render::ChatRenderer;
use super::rollout::{rollouts, RewardFn};
use super::steps::{self, PairRows, StepStats, ThumbRows};
use super::verify;
use crate::data::Encoded;
use crate::methods::kto::KtoWeights;
use crate::methods::Method;
use crate::optim::{AdamW, AdamWConfig, Schedule};
use crate::{loss, weights, TrainError};

/// Where a run reads and writes.
pub struct LearnPaths {
    /// The model folder learned from (never changed).
    pub base: PathBuf,
    /// Checkpoints, for resume.
    pub run_dir: PathBuf,
    /// The new model folder (must not exist yet).
    pub out: PathBuf,
}

/// One step as the progress line and chart see it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ts_rs::TS)]
pub struct StepReport {
    /// Steps done (1-based).
    pub step: usize,
    /// Steps in the run.
    pub total: usize,
    /// The method of this step.
    pub method: Method,
    /// Its loss.
    pub loss: f32,
    /// GRPO: mean reward of the sampled chains.
    pub reward: Option<f64>,
    /// DPO: share of pairs the model prefers the right way.
    pub accuracy: Option<f64>,
    /// GRPO, KTO: KL to the reference.
    pub kl: Option<f64>,
    /// Learning rate.
    pub lr: f64,
    /// Seconds since this process started the run.
    pub seconds: f64,
    /// Estimated seconds left.
    pub eta_seconds: f64,
}

impl StepReport {
    /// One line for a terminal: `step 3/40 dpo loss 0.6512 pair accuracy 0.75 lr 1.0e-4 | 12 s, eta 148 s`.
    pub fn progress_line(&self) -> String {
        let extra = match (self.reward, self.accuracy) {
            (Some(w), _) => format!(" reward {w:.3}"),
            (_, Some(a)) => format!(" pair accuracy {a:.2}"),
            _ => String::new(),
        };
        format!(
            "step {}/{} {} loss {:.4}{extra} lr {:.1e} | {:.0} s, eta {:.0} s",
            self.step,
            self.total,
            self.method.as_str(),
            self.loss,
            self.lr,
            self.seconds,
            self.eta_seconds
        )
    }
}

/// What a run did.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct LearnReport {
    /// Steps taken in total.
    pub steps: usize,
    /// Every step's report (resumed runs include the steps before the resume).
    pub curve: Vec<StepReport>,
    /// Examples used.
    pub counts: DataCounts,
    /// Examples left out because they do not fit the context.
    pub skipped: usize,
    /// Weights that trained.
    pub trainable_parameters: usize,
    /// Wall time of this process's steps.
    pub seconds: f64,
    /// The process's peak memory by the end of training, where the system reports it.
    pub peak_memory_bytes: Option<u64>,
}

/// The default reward: [`verify::reward`] against the question's reference answer.
pub fn reference_reward(completion: &str, q: &ReferenceExample) -> f64 {
    verify::reward(completion, &q.answer)
}

/// Runs the whole learning loop and writes the merged model to `paths.out`. `on_step` sees every step;
/// setting `cancel` stops after the current step with a checkpoint (`TrainError::Interrupted`), and a
/// later call with the same settings resumes there. GRPO is rewarded by [`reference_reward`].
pub fn learn(
    paths: &LearnPaths,
    s: &LearnSettings,
    data: &LearnData,
    on_step: &mut dyn FnMut(&StepReport),
    cancel: &AtomicBool,
) -> Result<LearnReport, TrainError> {
    learn_with_reward(paths, s, data, &reference_reward, on_step, cancel)
}

/// [`learn`] with GRPO rewarded by `reward`.
pub fn learn_with_reward(
    paths: &LearnPaths,
    s: &LearnSettings,
    data: &LearnData,
    reward: &RewardFn<'_>,
    on_step: &mut dyn FnMut(&StepReport),
    cancel: &AtomicBool,
) -> Result<LearnReport, TrainError> {
    learn_with_snapshots(paths, s, data, reward, on_step, cancel, &[])
}

/// Where [`learn_with_snapshots`] writes the model as it was after `step`: beside `out`, named
/// `<out>-step-<step>`.
pub fn snapshot_path(out: &std::path::Path, step: usize) -> PathBuf {
    let name = out.file_name().map_or_else(|| "model".into(), |n| n.to_string_lossy().into_owned());
    out.with_file_name(format!("{name}-step-{step}"))
}

/// [`learn_with_reward`], also writing the model after each step in `snapshot_steps` (a merged folder
/// at [`snapshot_path`]), so accuracy can be measured against the number of steps of one run.
pub fn learn_with_snapshots(
    paths: &LearnPaths,
    s: &LearnSettings,
    data: &LearnData,
    reward: &RewardFn<'_>,
    on_step: &mut dyn FnMut(&StepReport),
    cancel: &AtomicBool,
    snapshot_steps: &[usize],
) -> Result<LearnReport, TrainError> {
    if s.methods.is_empty() {
        return Err(TrainError::Config("choose at least one method".into()));
    }
    if paths.out.exists() {
        return Err(TrainError::Config(format!("{} already exists", paths.out.display())));
    }
    let device = Device::Cpu;
    let trace = |what: &str| {
        if std::env::var_os("PONDER_TRACE_MEMORY").is_some() {
            let gib = |b: Option<u64>| b.map_or(f64::NAN, |b| b as f64 / (1u64 << 30) as f64);
            eprintln!("[memory] {what}: peak {:.2} GiB", gib(crate::memory::peak_bytes()));
        }
    };
    trace("start");
    let renderer = ChatRenderer::from_folder(&paths.base)?;
    let (model, vars, reference) = load_model(&paths.base, s, &device)?;
    trace("model loaded");
    let cfg = model.config().clone();
    let enc = encode_all(&renderer, data, s, cfg.max_position_embeddings)?;
    let work = plan_work(&enc, s);
    if work.is_empty() {
        return Err(TrainError::Config("no example fits these methods and the context".into()));
    }
    let skipped = enc.sft.iter().filter(|e| e.is_none()).count()
        + enc.pairs.iter().filter(|e| e.is_none()).count()
        + enc.thumbs.iter().filter(|e| e.is_none()).count()
        + enc.prompts.iter().filter(|e| e.is_none()).count();
    let tok = renderer.tokenizer();
    let pad = ["<|endoftext|>", "<|im_end|>"].iter().find_map(|t| tok.token_to_id(t)).unwrap_or(0);
    let stops: Vec<u32> =
        ["<|im_end|>", "<|endoftext|>"].iter().filter_map(|t| tok.token_to_id(t)).collect();

    let named = crate::optim::named_vars(&vars);
    let params: Vec<Var> = named.iter().map(|(_, v)| v.clone()).collect();
    let trainable_parameters = params.iter().map(|v| v.elem_count()).sum();
    let adam = AdamWConfig {
        beta1: 0.9,
        beta2: 0.999,
        eps: 1e-8,
        weight_decay: 0.0,
        clip_norm: 1.0,
        vector_lr_scale: 1.0,
    };
    let mut opt = AdamW::new(named, adam)?;
    let total = work.len();
    let schedule = Schedule {
        peak: s.learning_rate,
        warmup: (total / 20).max(1),
        decay_fraction: 0.5,
        floor: 0.1,
    };

    std::fs::create_dir_all(&paths.run_dir).map_err(TrainError::io(&paths.run_dir))?;
    let (mut meta, start) = match checkpoint::load(&paths.run_dir, &vars, &mut opt, s)? {
        Some(meta) => {
            let step = meta.step;
            (meta, step)
        }
        None => {
            // The frozen reference's values, once, before any step changes the model.
            let reference_pairs = reference_values(&model, &enc, pad)?;
            (
                Meta {
                    step: 0,
                    settings: s.fingerprint(),
                    reference: reference_pairs,
                    curve: Vec::new(),
                },
                0,
            )
        }
    };
    let kto_weights = s.kto.unwrap_or_else(|| {
        let c = data.counts();
        KtoWeights::balanced(c.thumbs_up, c.thumbs_down)
    });
    let workers = loss::workers();
    let begun = Instant::now();
    for (step, item) in work.iter().enumerate().skip(start) {
        if cancel.load(Ordering::Relaxed) {
            meta.step = step;
            checkpoint::save(&paths.run_dir, &vars, &opt, &meta)?;
            return Err(TrainError::Interrupted { step });
        }
        let lr = schedule.at(step, total);
        let mut step_reward = None;
        let (loss, grads, stats): (f32, Option<_>, StepStats) = match item {
            Work::Sft(ids) => {
                let rows: Vec<&Encoded> = ids.iter().filter_map(|&i| enc.sft[i].as_ref()).collect();
                with_grads(steps::sft_step(&model, &params, &rows, pad, workers)?)
            }
            Work::Dpo(ids) => {
                let pairs: Vec<PairRows<'_>> = ids
                    .iter()
                    .filter_map(|&i| {
                        let (c, r) = enc.pairs[i].as_ref()?;
                        Some(PairRows {
                            chosen: c,
                            rejected: r,
                            reference: meta.reference.pairs[i],
                        })
                    })
                    .collect();
                with_grads(steps::dpo_step(&model, &params, &pairs, s.dpo_beta, pad, workers)?)
            }
            Work::Kto(ids) => {
                let thumbs: Vec<ThumbRows<'_>> = ids
                    .iter()
                    .filter_map(|&i| {
                        let (row, mis) = enc.thumbs[i].as_ref()?;
                        let desirable = data.thumbs[i].label;
                        Some(ThumbRows {
                            row,
                            mismatched: mis,
                            desirable,
                            reference: meta.reference.thumbs[i],
                        })
                    })
                    .collect();
                with_grads(steps::kto_step(&model, &params, &thumbs, kto_weights, pad, workers)?)
            }
            Work::Grpo(ids) => {
                let (chains, mean_reward) =
                    rollouts(&model, &renderer, &enc, data, ids, s, &stops, step, reward)?;
                step_reward = Some(mean_reward);
                if chains.is_empty() {
                    // Every group tied (all right or all wrong): nothing to learn from this step.
                    (0.0, None, StepStats::default())
                } else {
                    with_grads(steps::grpo_step(
                        &model,
                        reference.as_ref(),
                        &params,
                        &chains,
                        &s.grpo,
                        pad,
                        workers,
                        &device,
                    )?)
                }
            }
        };
        if !loss.is_finite() {
            return Err(TrainError::Config(format!(
                "the loss became {loss} at step {step}; lower the learning rate"
            )));
        }
        if let Some(grads) = grads {
            opt.step(&grads, lr)?;
        }
        let seconds = begun.elapsed().as_secs_f64();
        let done_here = (step + 1 - start) as f64;
        let report = StepReport {
            step: step + 1,
            total,
            method: item.method(),
            loss,
            reward: step_reward,
            accuracy: stats.pairs.map(|p| p.accuracy),
            kl: stats.kl,
            lr,
            seconds,
            eta_seconds: seconds / done_here * (total - step - 1) as f64,
        };
        trace("step done");
        if snapshot_steps.contains(&(step + 1)) && step + 1 < total {
            let at = snapshot_path(&paths.out, step + 1);
            let stored = weights::stored_dtype(&paths.base);
            let write = |path: &std::path::Path| model.write_merged(path, stored);
            weights::write_derived_folder(&paths.base, &at, &write, stored, &[])?;
        }
        on_step(&report);
        meta.curve.push(report);
        if (step + 1).is_multiple_of(s.checkpoint_every.max(1)) && step + 1 < total {
            meta.step = step + 1;
            checkpoint::save(&paths.run_dir, &vars, &opt, &meta)?;
        }
    }
    meta.step = total;
    checkpoint::save(&paths.run_dir, &vars, &opt, &meta)?;
    let report = LearnReport {
        steps: total,
        curve: meta.curve.clone(),
        counts: data.counts(),
        skipped,
        trainable_parameters,
        seconds: begun.elapsed().as_secs_f64(),
        peak_memory_bytes: crate::memory::peak_bytes(),
    };
    trace("before writing");
    let stored = weights::stored_dtype(&paths.base);
    let record = serde_json::json!({ "settings": s, "report": &report });
    let extra =
        [("ponder-learn.json", serde_json::to_string_pretty(&record).expect("plain data") + "\n")];
    weights::write_derived_folder(
        &paths.base,
        &paths.out,
        &|path: &std::path::Path| model.write_merged(path, stored),
        stored,
        &extra,
    )?;
    if let Some(lora) = &s.lora {
        checkpoint::write_adapter(&paths.run_dir, &vars, lora, &paths.base)?;
    }
    Ok(report)
}

fn with_grads<G>((loss, grads, stats): (f32, G, StepStats)) -> (f32, Option<G>, StepStats) {
    (loss, Some(grads), stats)
}
