//! A learning run: a base model folder and examples in; the methods' steps interleaved, with
//! checkpoints, resume and cancellation; a new merged model folder out.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use candle_core::{DType, Device, Var};
use candle_nn::VarMap;
use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use super::checkpoint::{self, Meta};
use super::plan::{DataCounts, LearnData, LearnSettings};
use super::render::ChatRenderer;
use super::sample::sample_group;
use super::steps::{self, ChainRows, PairRows, StepStats, ThumbRows};
use super::verify;
use crate::arch::QwenConfig;
use crate::data::Encoded;
use crate::methods::grpo::group_advantages;
use crate::methods::kto::KtoWeights;
use crate::methods::Method;
use crate::model::Qwen;
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
#[derive(Clone, Debug, Serialize, Deserialize)]
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
}

/// A batch of one method, by example index.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
enum Work {
    Sft(Vec<usize>),
    Dpo(Vec<usize>),
    Kto(Vec<usize>),
    Grpo(Vec<usize>),
}

impl Work {
    fn method(&self) -> Method {
        match self {
            Work::Sft(_) => Method::Sft,
            Work::Dpo(_) => Method::Dpo,
            Work::Kto(_) => Method::Kto,
            Work::Grpo(_) => Method::Grpo,
        }
    }
}

/// Examples tokenized with the model's template; `None` where one does not fit the context.
struct Encodings {
    sft: Vec<Option<Encoded>>,
    pairs: Vec<Option<(Encoded, Encoded)>>,
    thumbs: Vec<Option<(Encoded, Encoded)>>,
    prompts: Vec<Option<Vec<u32>>>,
}

fn encode_all(
    r: &ChatRenderer,
    data: &LearnData,
    s: &LearnSettings,
    context: usize,
) -> Result<Encodings, TrainError> {
    let fits = |e: Encoded| (e.ids.len() <= context && e.ids.len() <= s.batch_tokens).then_some(e);
    let uses = |m: Method| s.methods.contains(&m);
    let mut out =
        Encodings { sft: Vec::new(), pairs: Vec::new(), thumbs: Vec::new(), prompts: Vec::new() };
    if uses(Method::Sft) {
        for e in &data.sft {
            out.sft.push(fits(r.encode(&e.prompt, &e.completion)?));
        }
    }
    if uses(Method::Dpo) {
        for p in &data.pairs {
            let (c, j) =
                (fits(r.encode(&p.prompt, &p.chosen)?), fits(r.encode(&p.prompt, &p.rejected)?));
            out.pairs.push(c.zip(j));
        }
    }
    if uses(Method::Kto) {
        let n = data.thumbs.len();
        for (i, t) in data.thumbs.iter().enumerate() {
            // KTO's KL estimate pairs each prompt with another example's answer.
            let other = &data.thumbs[(i + 1) % n].completion;
            let (row, mis) =
                (fits(r.encode(&t.prompt, &t.completion)?), fits(r.encode(&t.prompt, other)?));
            out.thumbs.push(row.zip(mis));
        }
    }
    if uses(Method::Grpo) {
        for q in &data.references {
            let ids = r.prompt_ids(&q.prompt, true)?;
            out.prompts
                .push((ids.len() + s.sample.max_new_tokens.min(64) <= context).then_some(ids));
        }
    }
    Ok(out)
}

/// Batches of every method over all epochs, interleaved in a seeded order.
fn plan_work(enc: &Encodings, s: &LearnSettings) -> Vec<Work> {
    let mut rng = ChaCha8Rng::seed_from_u64(s.seed);
    let by_tokens = |lens: Vec<(usize, usize)>, rng: &mut ChaCha8Rng| -> Vec<Vec<usize>> {
        let mut order = lens;
        order.shuffle(rng);
        let mut out: Vec<Vec<usize>> = Vec::new();
        let (mut current, mut width) = (Vec::new(), 0);
        for (i, len) in order {
            if !current.is_empty() && len.max(width) * (current.len() + 1) > s.batch_tokens {
                out.push(std::mem::take(&mut current));
                width = 0;
            }
            width = width.max(len);
            current.push(i);
        }
        if !current.is_empty() {
            out.push(current);
        }
        out
    };
    let mut all = Vec::new();
    for _ in 0..s.epochs.max(1) {
        let sft = enc
            .sft
            .iter()
            .enumerate()
            .filter_map(|(i, e)| e.as_ref().map(|e| (i, e.ids.len())))
            .collect();
        all.extend(by_tokens(sft, &mut rng).into_iter().map(Work::Sft));
        let pairs = enc
            .pairs
            .iter()
            .enumerate()
            .filter_map(|(i, p)| p.as_ref().map(|(c, r)| (i, 2 * c.ids.len().max(r.ids.len()))))
            .collect();
        all.extend(by_tokens(pairs, &mut rng).into_iter().map(Work::Dpo));
        let thumbs = enc
            .thumbs
            .iter()
            .enumerate()
            .filter_map(|(i, t)| t.as_ref().map(|(e, _)| (i, e.ids.len())))
            .collect();
        all.extend(by_tokens(thumbs, &mut rng).into_iter().map(Work::Kto));
        let mut questions: Vec<usize> =
            enc.prompts.iter().enumerate().filter(|(_, p)| p.is_some()).map(|(i, _)| i).collect();
        questions.shuffle(&mut rng);
        all.extend(questions.chunks(s.questions_per_step.max(1)).map(|c| Work::Grpo(c.to_vec())));
    }
    all.shuffle(&mut rng);
    all
}

/// The base model, trainable as the settings say, with its reference for GRPO when every weight trains.
fn load_model(
    base: &Path,
    s: &LearnSettings,
    device: &Device,
) -> Result<(Qwen, VarMap, Option<Qwen>), TrainError> {
    match &s.lora {
        Some(lora) => {
            let cfg = QwenConfig::read(base)?;
            let stored = weights::stored_dtype(base);
            // bf16 checkpoints stay bf16 in memory (half the size); f16 is widened, as CPUs lack f16 math.
            let keep = if stored == DType::BF16 { DType::BF16 } else { DType::F32 };
            let tensors = weights::read_folder(base, device, keep)?;
            let mut model = Qwen::frozen(&cfg, &tensors)?;
            let vars = VarMap::new();
            model.attach_lora(lora, &vars, s.seed)?;
            Ok((model, vars, None))
        }
        None => {
            let (model, vars) = Qwen::load_hf(base, device)?;
            let reference = (s.methods.contains(&Method::Grpo) && s.grpo.beta != 0.0)
                .then(|| model.frozen_copy())
                .transpose()?;
            Ok((model, vars, reference))
        }
    }
}

/// Runs the whole learning loop and writes the merged model to `paths.out`. `on_step` sees every step;
/// setting `cancel` stops after the current step with a checkpoint (`TrainError::Interrupted`), and a
/// later call with the same settings resumes there.
pub fn learn(
    paths: &LearnPaths,
    s: &LearnSettings,
    data: &LearnData,
    on_step: &mut dyn FnMut(&StepReport),
    cancel: &AtomicBool,
) -> Result<LearnReport, TrainError> {
    if s.methods.is_empty() {
        return Err(TrainError::Config("choose at least one method".into()));
    }
    if paths.out.exists() {
        return Err(TrainError::Config(format!("{} already exists", paths.out.display())));
    }
    let device = Device::Cpu;
    let renderer = ChatRenderer::from_folder(&paths.base)?;
    let (model, vars, reference) = load_model(&paths.base, s, &device)?;
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

    let named: Vec<(String, Var)> = vars
        .data()
        .lock()
        .expect("not poisoned")
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
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
        let mut reward = None;
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
                    rollouts(&model, &renderer, &enc, data, ids, s, &stops, step)?;
                reward = Some(mean_reward);
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
            reward,
            accuracy: stats.pairs.map(|p| p.accuracy),
            kl: stats.kl,
            lr,
            seconds,
            eta_seconds: seconds / done_here * (total - step - 1) as f64,
        };
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
    };
    let stored = weights::stored_dtype(&paths.base);
    let record = serde_json::json!({ "settings": s, "report": &report });
    let extra =
        [("ponder-learn.json", serde_json::to_string_pretty(&record).expect("plain data") + "\n")];
    weights::write_derived_folder(
        &paths.base,
        &paths.out,
        &model.merged_weights(stored)?,
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

/// The reference's summed log-probabilities of every DPO answer and KTO answer (and mismatched pair).
fn reference_values(
    model: &Qwen,
    enc: &Encodings,
    pad: u32,
) -> Result<checkpoint::ReferenceValues, TrainError> {
    let pair_rows: Vec<&Encoded> = enc.pairs.iter().flatten().flat_map(|(c, r)| [c, r]).collect();
    let values = steps::sequence_values(model, &pair_rows, pad, false)?;
    let mut it = values.chunks(2);
    let pairs =
        enc.pairs
            .iter()
            .map(|p| {
                if p.is_some() {
                    it.next().map_or((0.0, 0.0), |v| (v[0], v[1]))
                } else {
                    (0.0, 0.0)
                }
            })
            .collect();
    let thumb_rows: Vec<&Encoded> = enc.thumbs.iter().flatten().flat_map(|(e, m)| [e, m]).collect();
    let values = steps::sequence_values(model, &thumb_rows, pad, false)?;
    let mut it = values.chunks(2);
    let thumbs =
        enc.thumbs
            .iter()
            .map(|t| {
                if t.is_some() {
                    it.next().map_or((0.0, 0.0), |v| (v[0], v[1]))
                } else {
                    (0.0, 0.0)
                }
            })
            .collect();
    Ok(checkpoint::ReferenceValues { pairs, thumbs })
}

/// Samples a group for each question of the step (questions in parallel, one per worker), rewards
/// them against the references, and keeps the chains of groups that did not tie.
#[allow(clippy::too_many_arguments)]
fn rollouts(
    model: &Qwen,
    renderer: &ChatRenderer,
    enc: &Encodings,
    data: &LearnData,
    questions: &[usize],
    s: &LearnSettings,
    stops: &[u32],
    step: usize,
) -> Result<(Vec<ChainRows>, f64), TrainError> {
    let sampled: Vec<Result<Vec<Vec<u32>>, TrainError>> = std::thread::scope(|scope| {
        let handles: Vec<_> = questions
            .iter()
            .map(|&q| {
                let prompt = enc.prompts[q].as_deref().unwrap_or_default();
                let seed = s.seed ^ ((step as u64) << 20) ^ q as u64;
                scope.spawn(move || sample_group(model, prompt, s.group, stops, &s.sample, seed))
            })
            .collect();
        handles.into_iter().map(|h| h.join().expect("a sampling thread panicked")).collect()
    });
    let (mut chains, mut rewards_all) = (Vec::new(), Vec::new());
    for (&q, group) in questions.iter().zip(sampled) {
        let group = group?;
        let prompt = enc.prompts[q].as_ref().expect("planned questions fit");
        let texts: Vec<String> = group
            .iter()
            .map(|c| renderer.tokenizer().decode(c, false).unwrap_or_default())
            .collect();
        let rewards: Vec<f64> =
            texts.iter().map(|t| verify::reward(t, &data.references[q].answer)).collect();
        rewards_all.extend(&rewards);
        let advantages = group_advantages(&rewards, rewards.len());
        for (completion, a) in group.into_iter().zip(advantages) {
            if a == 0.0 {
                continue;
            }
            let mut ids = prompt.clone();
            ids.extend(&completion);
            let trained = (0..ids.len()).map(|i| i >= prompt.len()).collect();
            chains.push(ChainRows { row: Encoded { ids, trained }, advantage: a as f32 });
        }
    }
    let mean = rewards_all.iter().sum::<f64>() / rewards_all.len().max(1) as f64;
    Ok((chains, mean))
}
