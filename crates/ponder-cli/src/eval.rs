//! `ponder eval`: held-out problems through mistral.rs (the app's engine), graded by exact match.

use std::collections::BTreeMap;
use std::time::Instant;

use anyhow::Context;
use ponder_engine::{Engine, Event, GenerationRequest, ModelSource, Sampling};
use ponder_train::grade::is_correct;
use ponder_train::hf_folder::replace_eval_section;
use ponder_train::tasks::{held_out_problems, Problem, TaskKind};
use serde::Serialize;

/// Options of `ponder eval`.
#[derive(clap::Args)]
pub struct EvalArgs {
    /// Model folder or Hugging Face id (defaults to the bundled ponder-tiny).
    #[arg(long)]
    model: Option<String>,
    /// Held-out problems per setting (spread evenly over task kinds and both languages).
    #[arg(long, default_value_t = 600)]
    count: usize,
    /// Seed for drawing the held-out problems.
    #[arg(long, default_value_t = 7)]
    seed: u64,
    /// Rewrite the evaluation section of the model's README.md with the results.
    #[arg(long)]
    write_card: bool,
    /// Only the greedy settings (faster).
    #[arg(long)]
    greedy_only: bool,
    /// Write every wrong answer (question, thinking, answer, expected) to this JSON Lines file.
    #[arg(long)]
    failures: Option<std::path::PathBuf>,
}

/// One wrong answer, for reading what the model gets wrong.
#[derive(Serialize)]
struct Failure<'a> {
    setting: &'static str,
    kind: &'static str,
    question: &'a str,
    expected: Option<i64>,
    thinking: &'a str,
    answer: &'a str,
}

#[derive(Serialize)]
struct Setting {
    name: &'static str,
    thinking: bool,
    sampling: Sampling,
}

#[derive(Serialize)]
struct SettingResult {
    name: &'static str,
    thinking: bool,
    correct: usize,
    total: usize,
    per_kind: BTreeMap<&'static str, (usize, usize)>,
    mean_generated_tokens: f64,
    seconds: f64,
}

fn settings(greedy_only: bool) -> Vec<Setting> {
    let recommended = |t: f64, p: f64| Sampling {
        temperature: Some(t),
        top_k: Some(20),
        top_p: Some(p),
        min_p: Some(0.0),
        ..Sampling::default()
    };
    let mut s = vec![
        Setting { name: "thinking, greedy", thinking: true, sampling: Sampling::greedy() },
        Setting { name: "no thinking, greedy", thinking: false, sampling: Sampling::greedy() },
    ];
    if !greedy_only {
        s.push(Setting {
            name: "thinking, T=0.6 top-p 0.95 top-k 20",
            thinking: true,
            sampling: recommended(0.6, 0.95),
        });
        s.push(Setting {
            name: "no thinking, T=0.7 top-p 0.8 top-k 20",
            thinking: false,
            sampling: recommended(0.7, 0.8),
        });
    }
    s
}

/// What the model wrote for one problem.
struct Output {
    thinking: String,
    answer: String,
    tokens: usize,
}

async fn answer(engine: &Engine, p: &Problem, s: &Setting) -> Output {
    let req = GenerationRequest {
        messages: vec![ponder_engine::ChatMessage::user(&p.question)],
        thinking: s.thinking,
        sampling: s.sampling.clone(),
        ..GenerationRequest::ask("")
    };
    let mut out = Output { thinking: String::new(), answer: String::new(), tokens: 0 };
    let events = match engine.generate(&req).await {
        Ok(generation) => generation.collect().await,
        Err(e) => {
            eprintln!("{}: {e}", p.question);
            return out;
        }
    };
    for e in events {
        match e.event {
            Event::Thinking(t) => out.thinking.push_str(&t),
            Event::Answer(t) => out.answer.push_str(&t),
            Event::Usage(u) => out.tokens = u.thinking_tokens + u.answer_tokens,
            _ => {}
        }
    }
    out
}

/// Runs the evaluation and prints (and optionally records) the results.
pub async fn run(args: EvalArgs) -> anyhow::Result<()> {
    let source = crate::model_arg::resolve(args.model.as_deref()).await?;
    let name = crate::model_arg::describe(&source);
    let card_dir = match &source {
        ModelSource::LocalDir(dir) => Some(dir.clone()),
        ModelSource::Gguf(_) | ModelSource::Server(_) => None,
    };
    if args.write_card && card_dir.is_none() {
        anyhow::bail!("--write-card needs a model folder (its README.md is the card)");
    }
    let engine = Engine::load(source).await.with_context(|| format!("loading {name}"))?;
    let problems = held_out_problems(args.seed, args.count);
    let mut results = Vec::new();
    let mut failures = String::new();
    for s in settings(args.greedy_only) {
        let begun = Instant::now();
        // One at a time: the engine queues requests anyway (see ARCHITECTURE.md).
        let mut outputs = Vec::with_capacity(problems.len());
        for p in &problems {
            outputs.push(answer(&engine, p, &s).await);
        }
        let mut r = SettingResult {
            name: s.name,
            thinking: s.thinking,
            correct: 0,
            total: 0,
            per_kind: BTreeMap::new(),
            mean_generated_tokens: 0.0,
            seconds: begun.elapsed().as_secs_f64(),
        };
        for (p, out) in problems.iter().zip(&outputs) {
            let ok = p.expected.is_some_and(|e| is_correct(&out.answer, e));
            if !ok {
                let failure = Failure {
                    setting: s.name,
                    kind: p.kind.name(),
                    question: &p.question,
                    expected: p.expected,
                    thinking: &out.thinking,
                    answer: &out.answer,
                };
                failures.push_str(&serde_json::to_string(&failure)?);
                failures.push('\n');
            }
            let e = r.per_kind.entry(p.kind.name()).or_insert((0, 0));
            e.0 += usize::from(ok);
            e.1 += 1;
            r.correct += usize::from(ok);
            r.total += 1;
            r.mean_generated_tokens += out.tokens as f64 / outputs.len() as f64;
        }
        eprintln!(
            "{}: {}/{} ({:.1}%) in {:.0} s",
            r.name,
            r.correct,
            r.total,
            100.0 * r.correct as f64 / r.total as f64,
            r.seconds
        );
        results.push(r);
    }
    if let Some(path) = &args.failures {
        std::fs::write(path, failures).with_context(|| format!("writing {}", path.display()))?;
    }
    let table = markdown(&results, args.count, args.seed);
    println!("{table}");
    if let (true, Some(dir)) = (args.write_card, card_dir) {
        let card_path = dir.join("README.md");
        let card = std::fs::read_to_string(&card_path)
            .with_context(|| format!("reading {}", card_path.display()))?;
        let updated = replace_eval_section(&card, &table)
            .context("the model card has no evaluation markers")?;
        std::fs::write(&card_path, updated)?;
        std::fs::write(dir.join("eval.json"), serde_json::to_string_pretty(&results)? + "\n")?;
    }
    Ok(())
}

fn pct(c: usize, t: usize) -> String {
    if t == 0 {
        "–".into()
    } else {
        format!("{:.1}%", 100.0 * c as f64 / t as f64)
    }
}

fn markdown(results: &[SettingResult], count: usize, seed: u64) -> String {
    let kinds: Vec<&str> = TaskKind::GRADED.iter().map(|k| k.name()).collect();
    let mut out = format!(
        "Exact-match accuracy on {count} held-out problems (never trained on; half English, half Chinese), \
         generated through mistral.rs 0.8.1 on CPU. Reproduce: `cargo run -p ponder-cli -- eval --count {count} --seed {seed}`.\n\n"
    );
    out += &format!(
        "| setting | all | {} | tokens generated |\n|---|---|{}---|\n",
        kinds.join(" | "),
        "---|".repeat(kinds.len())
    );
    for r in results {
        let cells: Vec<String> = kinds
            .iter()
            .map(|k| r.per_kind.get(k).map_or("–".into(), |(c, t)| pct(*c, *t)))
            .collect();
        out += &format!(
            "| {} | **{}** | {} | {:.0} |\n",
            r.name,
            pct(r.correct, r.total),
            cells.join(" | "),
            r.mean_generated_tokens
        );
    }
    out
}
