//! `ponder bench-vote`: what thinking harder buys on held-out problems — one sample against a vote of
//! 4, 8 and 16 chains, and thinking longer at a few minimums — with the tokens and time each costs.

use std::time::Instant;

use anyhow::Context;
use ponder_chat::vote::Vote;
use ponder_engine::{ChatMessage, Engine, Event, FinishReason, GenerationRequest, Sampling};
use ponder_train::tasks::held_out_problems;

/// Options of `ponder bench-vote`.
#[derive(clap::Args)]
pub struct VoteBenchArgs {
    /// Model folder or Hugging Face id (defaults to the bundled ponder-tiny).
    #[arg(long)]
    model: Option<String>,
    /// Held-out problems (spread over task kinds and both languages).
    #[arg(long, default_value_t = 120)]
    count: usize,
    /// Seed for drawing them.
    #[arg(long, default_value_t = 11)]
    seed: u64,
    /// Votes to measure, chains each.
    #[arg(long, value_delimiter = ',', default_value = "4,8,16")]
    votes: Vec<usize>,
    /// Instead of the held-out problems, problems of these `bench-rl` families (off the bundled
    /// model's training shapes, where it is sometimes wrong), `count` of each.
    #[arg(long, value_delimiter = ',')]
    family: Vec<String>,
    /// Minimum thinking budgets to measure (tokens).
    #[arg(long, value_delimiter = ',', default_value = "32,64,128,256")]
    min_thinking: Vec<usize>,
}

/// Qwen's recommendation for thinking mode: what a vote samples with.
fn qwen_thinking() -> Sampling {
    Sampling::qwen_recommended()
}

struct Row {
    name: String,
    correct: usize,
    total: usize,
    tokens: usize,
    seconds: f64,
    /// Chains stopped because their thinking repeated itself.
    looped: usize,
}

async fn run_setting(
    engine: &Engine,
    problems: &[(String, i64)],
    name: String,
    chains: usize,
    min_thinking: Option<usize>,
) -> anyhow::Result<Row> {
    let begun = Instant::now();
    let mut row = Row { name, correct: 0, total: 0, tokens: 0, seconds: 0.0, looped: 0 };
    for (question, expected) in problems {
        let req = GenerationRequest {
            messages: vec![ChatMessage::user(question)],
            sampling: qwen_thinking(),
            candidates: chains,
            min_thinking,
            ..GenerationRequest::ask("")
        };
        let events = engine.generate(&req).await?.collect().await;
        let mut answers = vec![String::new(); chains];
        for e in events {
            match e.event {
                Event::Answer(t) => answers[e.candidate].push_str(&t),
                Event::Usage(u) => row.tokens += u.thinking_tokens + u.answer_tokens,
                Event::Finished(FinishReason::Looped(_)) => row.looped += 1,
                _ => {}
            }
        }
        let vote = Vote::of(&answers);
        let right = vote.winner().is_some_and(|w| w.key == expected.to_string());
        row.correct += usize::from(right);
        row.total += 1;
    }
    row.seconds = begun.elapsed().as_secs_f64();
    eprintln!(
        "{}: {}/{} in {:.0} s, {:.0} tokens per question",
        row.name,
        row.correct,
        row.total,
        row.seconds,
        row.tokens as f64 / row.total.max(1) as f64
    );
    Ok(row)
}

/// Runs every setting on the same problems and prints the table.
pub async fn run(args: VoteBenchArgs) -> anyhow::Result<()> {
    let source = crate::model_arg::resolve(args.model.as_deref()).await?;
    let name = crate::model_arg::describe(&source);
    let engine = Engine::load(source).await.with_context(|| format!("loading {name}"))?;
    let problems: Vec<(String, i64)> = if args.family.is_empty() {
        held_out_problems(args.seed, args.count)
            .into_iter()
            .filter_map(|p| p.expected.map(|e| (p.question, e)))
            .collect()
    } else {
        let mut rng = <rand_chacha::ChaCha8Rng as rand::SeedableRng>::seed_from_u64(args.seed);
        let mut out = Vec::new();
        for name in &args.family {
            let family = crate::rl_families::family(name)?;
            out.extend((0..args.count).map(|_| (family.make)(&mut rng)));
        }
        out
    };
    let what = if args.family.is_empty() {
        format!("held-out problems (seed {})", args.seed)
    } else {
        format!("problems of {} (seed {})", args.family.join(", "), args.seed)
    };
    let mut rows = vec![run_setting(&engine, &problems, "one sample".into(), 1, None).await?];
    for &n in &args.votes {
        rows.push(run_setting(&engine, &problems, format!("vote {n}"), n, None).await?);
    }
    for &m in &args.min_thinking {
        let label = format!("think longer, ≥ {m} tokens");
        rows.push(run_setting(&engine, &problems, label, 1, Some(m)).await?);
    }
    let base = rows[0].correct as f64 / rows[0].total.max(1) as f64;
    println!(
        "{} {what}, sampled at Qwen's thinking settings (T 0.6, top-p 0.95, top-k 20), through \
         mistral.rs on {name}.\n",
        rows[0].total
    );
    println!("| setting | accuracy | vs one sample | tokens per question | seconds | chains stopped looping |");
    println!("|---|---|---|---|---|---|");
    for r in &rows {
        let acc = r.correct as f64 / r.total.max(1) as f64;
        println!(
            "| {} | {:.1}% ({}/{}) | {:+.1} pts | {:.0} | {:.0} | {} |",
            r.name,
            100.0 * acc,
            r.correct,
            r.total,
            100.0 * (acc - base),
            r.tokens as f64 / r.total.max(1) as f64,
            r.seconds,
            r.looped
        );
    }
    Ok(())
}
