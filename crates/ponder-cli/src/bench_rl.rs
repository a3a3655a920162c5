//! `ponder bench-rl`: reinforcement learning alone where sampling sometimes succeeds. `--measure`
//! prints greedy accuracy, pass@1 and pass@8 of a model (the bundled one unless `--model` names
//! another) on families of problems it was not trained on; `--family NAME` runs GRPO alone on one of them and measures held-out problems of the
//! family before and after, with the reward curve.

use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::time::Instant;

use ponder_engine::{ChatMessage, Engine, Event, GenerationRequest, ModelSource, Sampling};
use ponder_learn::evaluate::{reference_score, Score};
use ponder_train::grade::is_correct;
use ponder_train::learn::data::{Msg, PairExample, ReferenceExample, SftExample};
use ponder_train::learn::{
    learn_with_snapshots, reference_reward, snapshot_path, LearnData, LearnPaths, LearnSettings,
    StepReport,
};
use ponder_train::methods::Method;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use crate::rl_families::{family, Family, FAMILIES};

/// Options of `ponder bench-rl`.
#[derive(clap::Args)]
pub struct RlBenchArgs {
    /// Measure every family's greedy accuracy, pass@1 and pass@8 instead of training.
    #[arg(long)]
    measure: bool,
    /// With `--measure`: only these families (default: all).
    #[arg(long, value_delimiter = ',', requires = "measure")]
    only: Vec<String>,
    /// The family GRPO learns (see `--measure` for the list).
    #[arg(long, default_value = "add-5")]
    family: String,
    /// Problems per family when measuring, and held-out problems when training.
    #[arg(long, default_value_t = 40)]
    count: usize,
    /// Training questions (other numbers than the held-out ones).
    #[arg(long, default_value_t = 64)]
    train: usize,
    /// Passes over the training questions.
    #[arg(long, default_value_t = 2)]
    epochs: usize,
    /// Peak learning rate.
    #[arg(long, default_value_t = 1e-4)]
    lr: f64,
    /// Chains per question.
    #[arg(long, default_value_t = 8)]
    group: usize,
    /// Temperature of every sampled chain: pass@k's, GRPO's rollouts and the DPO + SFT data's (a
    /// model trained to near-certainty may need more than 1.0 before sampling explores at all).
    #[arg(long, default_value_t = 1.0)]
    temperature: f64,
    /// Measure the model this many times along the run (evenly spaced steps, the last included).
    #[arg(long, default_value_t = 4)]
    curve_points: usize,
    /// Also learn DPO + SFT from the same questions: chains sampled from the model, the right
    /// ones imitated and preferred over the wrong ones (what rejection sampling gives without RL).
    #[arg(long)]
    versus_dpo_sft: bool,
    /// The model measured and learned from (default: the bundled ponder-tiny): e.g. a version the
    /// learning loop taught, whose chains on new material are no longer all-or-nothing.
    #[arg(long)]
    model: Option<PathBuf>,
    /// Where the learned model goes (default: a new folder under the temp dir).
    #[arg(long)]
    out: Option<PathBuf>,
}

/// `count` problems of `f` from `seed`, never repeating a question.
fn problems(f: &Family, seed: u64, count: usize, avoid: &[(String, i64)]) -> Vec<(String, i64)> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut out: Vec<(String, i64)> = Vec::new();
    while out.len() < count {
        let p = (f.make)(&mut rng);
        if !avoid.iter().chain(out.iter()).any(|q| q.0 == p.0) {
            out.push(p);
        }
    }
    out
}

/// Greedy right, and how many of `samples` chains at temperature 1.0 end with the right number.
struct Sampled {
    greedy: usize,
    right_chains: Vec<usize>,
    samples: usize,
}

impl Sampled {
    /// Unbiased pass@1 (mean share of right chains) and pass@k (any right) over the problems.
    fn pass(&self) -> (f64, f64) {
        let n = self.right_chains.len().max(1) as f64;
        let p1 = self.right_chains.iter().map(|c| *c as f64 / self.samples as f64).sum::<f64>() / n;
        let pk = self.right_chains.iter().filter(|c| **c > 0).count() as f64 / n;
        (p1, pk)
    }
}

/// `n` chains of `question`: (thinking, answer) each.
async fn chains(
    engine: &Engine,
    question: &str,
    sampling: Sampling,
    n: usize,
) -> anyhow::Result<Vec<(String, String)>> {
    let req = GenerationRequest {
        messages: vec![ChatMessage::user(question)],
        sampling,
        candidates: n,
        max_tokens: 1024,
        ..GenerationRequest::ask("")
    };
    let mut out = vec![(String::new(), String::new()); n];
    for e in engine.generate(&req).await?.collect().await {
        match e.event {
            Event::Thinking(t) => out[e.candidate].0.push_str(&t),
            Event::Answer(t) => out[e.candidate].1.push_str(&t),
            _ => {}
        }
    }
    Ok(out)
}

/// `n` chains of `question` sampled at `temperature`, one request each: the candidates of one
/// mistral.rs request (`n_choices`) agreed token for token on every number here while one request after
/// another did not, so pass@k asks them one at a time.
async fn independent_chains(
    engine: &Engine,
    question: &str,
    temperature: f64,
    n: usize,
) -> anyhow::Result<Vec<(String, String)>> {
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        out.extend(chains(engine, question, hot(temperature), 1).await?);
    }
    Ok(out)
}

/// Sampling as in pass@k: the model's whole distribution at `temperature`.
fn hot(temperature: f64) -> Sampling {
    Sampling {
        temperature: Some(temperature),
        top_k: Some(0),
        top_p: Some(1.0),
        min_p: Some(0.0),
        ..Sampling::default()
    }
}

async fn sample(
    model: &std::path::Path,
    problems: &[(String, i64)],
    samples: usize,
    temperature: f64,
) -> anyhow::Result<Sampled> {
    let engine = Engine::load(ModelSource::LocalDir(model.to_path_buf())).await?;
    let mut s = Sampled { greedy: 0, right_chains: Vec::new(), samples };
    for (q, expected) in problems {
        let greedy = chains(&engine, q, Sampling::greedy(), 1).await?;
        s.greedy += usize::from(is_correct(&greedy[0].1, *expected));
        let sampled = independent_chains(&engine, q, temperature, samples).await?;
        s.right_chains.push(sampled.iter().filter(|a| is_correct(&a.1, *expected)).count());
    }
    Ok(s)
}

fn references(problems: &[(String, i64)]) -> Vec<ReferenceExample> {
    problems
        .iter()
        .map(|(q, e)| ReferenceExample { prompt: vec![Msg::user(q)], answer: e.to_string() })
        .collect()
}

/// Runs the benchmark.
pub async fn run(args: RlBenchArgs) -> anyhow::Result<()> {
    let start = args.model.clone().unwrap_or_else(crate::model_arg::bundled);
    let start_name = ponder_engine::catalog::model_name(&start);
    if args.measure {
        println!(
            "| family | what | greedy | pass@1 (T={t}) | pass@8 |\n|---|---|---|---|---|",
            t = args.temperature
        );
        for name in &args.only {
            family(name)?;
        }
        let chosen = FAMILIES
            .iter()
            .filter(|f| args.only.is_empty() || args.only.iter().any(|n| n == f.name));
        for f in chosen {
            let begun = Instant::now();
            let s = sample(&start, &problems(f, 11, args.count, &[]), 8, args.temperature).await?;
            let (p1, p8) = s.pass();
            println!(
                "| {} | {} | {}/{} | {:.1}% | {:.1}% |",
                f.name,
                f.what,
                s.greedy,
                args.count,
                100.0 * p1,
                100.0 * p8
            );
            eprintln!("{}: {:.0} s", f.name, begun.elapsed().as_secs_f64());
        }
        return Ok(());
    }
    let f = family(&args.family)?;
    let held_out = problems(f, 11, args.count, &[]);
    let train = problems(f, 12, args.train, &held_out);
    let out = args.out.clone().unwrap_or_else(|| {
        std::env::temp_dir().join(format!("ponder-rl-{}-{}", f.name, std::process::id()))
    });
    let before = sample(&start, &held_out, 8, args.temperature).await?;
    let mut rows = vec![(start_name.clone(), before)];

    let mut settings = LearnSettings::for_methods(vec![Method::Grpo], 0);
    settings.epochs = args.epochs;
    settings.learning_rate = args.lr;
    settings.group = args.group;
    settings.sample.max_new_tokens = 400;
    settings.sample.temperature = args.temperature;
    let total = args.epochs * train.len().div_ceil(settings.questions_per_step);
    let points = args.curve_points.clamp(1, total);
    let marks: Vec<usize> = (1..=points).map(|k| k * total / points).collect();
    let data = LearnData { references: references(&train), ..LearnData::default() };
    let (report, seconds) = train_run(&start, &out, &settings, data, &marks).await?;
    println!("GRPO alone from {start_name} on {} ({}): {} training questions, {} chains each at T={}, {} epochs, lr {:e}; {} steps in {seconds:.0} s", f.name, f.what, train.len(), args.group, args.temperature, args.epochs, args.lr, report.steps);
    println!("\nreward (mean over the step's chains), in tenths of the run:");
    let tenth = (report.curve.len() / 10).max(1);
    for chunk in report.curve.chunks(tenth) {
        let r: Vec<f64> = chunk.iter().filter_map(|s| s.reward).collect();
        println!(
            "  steps {:>3}–{:<3} reward {:.3}",
            chunk[0].step,
            chunk[chunk.len() - 1].step,
            r.iter().sum::<f64>() / r.len().max(1) as f64
        );
    }
    for &step in &marks {
        let at = if step == total { out.clone() } else { snapshot_path(&out, step) };
        rows.push((
            format!("GRPO, {step} steps"),
            sample(&at, &held_out, 8, args.temperature).await?,
        ));
    }
    let through_card: Score = reference_score(&out, &references(&held_out), 1024).await?;

    if args.versus_dpo_sft {
        let begun = Instant::now();
        let data = sampled_preferences(&start, &train, args.group, args.temperature).await?;
        let c = data.counts();
        eprintln!(
            "sampled {} right chains and {} pairs ({:.0} s)",
            c.sft,
            c.pairs,
            begun.elapsed().as_secs_f64()
        );
        let mut s = LearnSettings::for_methods(vec![Method::Dpo, Method::Sft], 0);
        s.epochs = args.epochs;
        s.learning_rate = args.lr;
        let other = out.with_file_name(format!("{}-dpo-sft", f.name));
        let (report, seconds) = train_run(&start, &other, &s, data, &[]).await?;
        println!("DPO + SFT on the same questions: {} right chains imitated, {} (right, wrong) pairs from {} chains per question; {} steps in {:.0} s (+ {:.0} s sampling)", c.sft, c.pairs, args.group, report.steps, seconds, begun.elapsed().as_secs_f64() - seconds);
        rows.push((
            format!("DPO + SFT, {} steps", report.steps),
            sample(&other, &held_out, 8, args.temperature).await?,
        ));
    }

    println!(
        "\n| {} held-out problems | greedy | pass@1 (T={}) | pass@8 |\n|---|---|---|---|",
        held_out.len(),
        args.temperature
    );
    for (name, s) in &rows {
        let (p1, p8) = s.pass();
        println!(
            "| {name} | {}/{} | {:.1}% | {:.1}% |",
            s.greedy,
            held_out.len(),
            100.0 * p1,
            100.0 * p8
        );
    }
    println!(
        "(greedy through the card's check, thinking well formed too: {}/{})",
        through_card.correct, through_card.total
    );
    println!("model: {}", out.display());
    Ok(())
}

/// One run from `base` into `out`, with snapshots after `marks`; the report and seconds.
async fn train_run(
    base: &std::path::Path,
    out: &std::path::Path,
    settings: &LearnSettings,
    data: LearnData,
    marks: &[usize],
) -> anyhow::Result<(ponder_train::learn::LearnReport, f64)> {
    let paths = LearnPaths {
        base: base.to_path_buf(),
        run_dir: out.with_extension("run"),
        out: out.to_path_buf(),
    };
    std::fs::create_dir_all(&paths.run_dir)?;
    let begun = Instant::now();
    let (s, marks) = (settings.clone(), marks.to_vec());
    let report = tokio::task::spawn_blocking(move || {
        let mut on_step = |r: &StepReport| eprintln!("{}", r.progress_line());
        ponder_train::background::in_background(|| {
            let never = AtomicBool::new(false);
            learn_with_snapshots(&paths, &s, &data, &reference_reward, &mut on_step, &never, &marks)
        })
    })
    .await??;
    Ok((report, begun.elapsed().as_secs_f64()))
}

/// DPO + SFT data from the same questions GRPO learns: `group` chains each from `model` at `temperature`;
/// every distinct right chain is imitated, and each right chain is preferred over a wrong one.
async fn sampled_preferences(
    model: &std::path::Path,
    questions: &[(String, i64)],
    group: usize,
    temperature: f64,
) -> anyhow::Result<LearnData> {
    let engine = Engine::load(ModelSource::LocalDir(model.to_path_buf())).await?;
    let mut data = LearnData::default();
    for (q, expected) in questions {
        let sampled = independent_chains(&engine, q, temperature, group).await?;
        let (mut right, mut wrong): (Vec<_>, Vec<_>) =
            sampled.into_iter().partition(|c| is_correct(&c.1, *expected));
        right.sort();
        right.dedup();
        wrong.sort();
        wrong.dedup();
        let prompt = vec![Msg::user(q)];
        let msg = |c: &(String, String)| Msg::assistant_inline(&c.0, &c.1);
        for (r, w) in right.iter().zip(wrong.iter()) {
            let pair = PairExample { prompt: prompt.clone(), chosen: msg(r), rejected: msg(w) };
            data.pairs.push(pair);
        }
        for r in &right {
            data.sft.push(SftExample { prompt: prompt.clone(), completion: msg(r) });
        }
    }
    Ok(data)
}
