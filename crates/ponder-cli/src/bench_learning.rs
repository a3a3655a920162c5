//! `ponder bench-learning`: the learning loop end to end on the bundled model. A simulated person asks
//! everyday questions through the app crate (the window's code), two candidates each, rates them with
//! the grader, fixes the first step of some wrong ones and lets the model continue; then `ponder learn`
//! runs with each method, and held-out questions in the same shapes with other numbers measure the
//! parent and every version alike, beside the 600-problem regression check.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::Context;
use ponder_app::{
    AnswerBatch, AnswerOptions, AnswerSink, App, AppConfig, AskRequest, FixStepRequest, ModelChoice,
};
use ponder_engine::DeviceChoice;
use ponder_learn::evaluate::{reference_answers, reference_score, GradedAnswer, Score};
use ponder_learn::VersionCard;
use ponder_store::{MessageId, RatingInput, Role, Store, Vote};
use ponder_train::grade::is_correct;
use ponder_train::learn::data::{Msg, ReferenceExample};
use ponder_train::methods::Method;
use ponder_train::tasks::everyday::{everyday_questions, EverydayQuestion, SHAPES};
use ponder_train::tasks::Split;

/// Options of `ponder bench-learning`.
#[derive(clap::Args)]
pub struct LearningBenchArgs {
    /// Questions the simulated person asks (the shapes in turn).
    #[arg(long, default_value_t = 320)]
    questions: usize,
    /// Held-out questions (same shapes, other numbers) asked before and after.
    #[arg(long, default_value_t = 160)]
    held_out: usize,
    /// Share of the questions with no right candidate whose first step the person fixes.
    #[arg(long, default_value_t = 0.5)]
    fix_share: f64,
    /// Runs of `ponder learn`, each from the bundled model: `default` (what the data suggests) or
    /// methods joined by `+` (`dpo+sft`, `grpo`).
    #[arg(long, value_delimiter = ',', default_value = "default,dpo+sft,grpo")]
    runs: Vec<String>,
    /// Passes over the data (default: `ponder learn`'s).
    #[arg(long)]
    epochs: Option<usize>,
    /// Peak learning rate (default: `ponder learn`'s).
    #[arg(long)]
    lr: Option<f64>,
    /// Problems of the regression check.
    #[arg(long, default_value_t = 600)]
    regression: usize,
    /// Rehearsal examples mixed into SFT (default: `ponder learn`'s).
    #[arg(long, default_value_t = ponder_learn::rehearsal::DEFAULT_REHEARSAL)]
    rehearsal: usize,
    /// Seed of the questions (the held-out ones use the next seed).
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Data folder for the history and the versions (default: a new folder under the temp dir).
    #[arg(long)]
    data_dir: Option<PathBuf>,
    /// Learn again from the history already in `--data-dir` (an earlier run's), without asking: to
    /// compare settings on the same ratings.
    #[arg(long, requires = "data_dir")]
    keep_history: bool,
}

/// Batches of one answer, until the last.
#[derive(Default)]
struct Collect(Mutex<Vec<AnswerBatch>>, tokio::sync::Notify);

impl AnswerSink for Collect {
    fn send(&self, batch: AnswerBatch) {
        let done = batch.done;
        self.0.lock().expect("not poisoned").push(batch);
        if done {
            self.1.notify_one();
        }
    }
}

impl Collect {
    async fn finished(&self) -> anyhow::Result<()> {
        loop {
            if let Some(b) = self.0.lock().expect("not poisoned").last().filter(|b| b.done) {
                return match &b.error {
                    Some(e) => Err(anyhow::anyhow!("{}: {}", e.kind.as_str(), e.message)),
                    None => Ok(()),
                };
            }
            let _ = tokio::time::timeout(Duration::from_secs(1), self.1.notified()).await;
        }
    }
}

/// What the simulated person did.
#[derive(Default)]
struct Tally {
    candidates: usize,
    candidates_right: usize,
    questions_with_a_right_one: usize,
    questions_all_wrong: usize,
    fixes: usize,
    fixes_right: usize,
    /// Right answers (candidates and continued fixes) per shape: what SFT can imitate of each.
    right_by_shape: std::collections::BTreeMap<&'static str, usize>,
}

fn pct(s: &Score) -> String {
    format!("{}/{} ({:.1}%)", s.correct, s.total, 100.0 * s.accuracy())
}

/// Answers of `question` saved so far, oldest first.
async fn answers_of(
    store: &Store,
    conversation: ponder_store::ConversationId,
    question: MessageId,
) -> anyhow::Result<Vec<ponder_store::Message>> {
    let thread = store.thread(conversation).await?;
    Ok(thread
        .messages
        .into_iter()
        .filter(|m| m.role == Role::Assistant && m.parent_id == Some(question))
        .collect())
}

async fn rate(store: &Store, answer: MessageId, right: bool) -> anyhow::Result<()> {
    let vote = if right { Vote::Up } else { Vote::Down };
    store.rate(answer, RatingInput { answer: Some(vote), ..Default::default() }).await?;
    Ok(())
}

/// One question as the person asks it: two candidates, graded and rated; a fixed first step on some
/// questions where both were wrong.
async fn ask_and_rate(
    app: &App,
    q: &EverydayQuestion,
    fix: &mut dyn FnMut() -> bool,
    tally: &mut Tally,
) -> anyhow::Result<()> {
    let sink = Arc::new(Collect::default());
    let options = AnswerOptions { candidates: 2, ..AnswerOptions::default() };
    let ask =
        AskRequest { conversation_id: None, parent_id: None, text: q.question.clone(), options };
    let started = app.ask(ask, sink.clone()).await?;
    sink.finished().await?;
    let store = app.store().await?;
    let answers = answers_of(&store, started.conversation_id, started.question_id).await?;
    let mut any_right = false;
    for a in &answers {
        let right = is_correct(&a.content, q.expected);
        rate(&store, a.id, right).await?;
        tally.candidates += 1;
        tally.candidates_right += usize::from(right);
        *tally.right_by_shape.entry(q.shape).or_default() += usize::from(right);
        any_right |= right;
    }
    if any_right {
        tally.questions_with_a_right_one += 1;
        return Ok(());
    }
    tally.questions_all_wrong += 1;
    let (Some(wrong), true) = (answers.first(), fix()) else { return Ok(()) };
    let sink = Arc::new(Collect::default());
    let request = FixStepRequest {
        answer_id: wrong.id,
        person_thinking: q.first_step.clone(),
        options: AnswerOptions::default(),
    };
    app.fix_step(request, sink.clone()).await?;
    sink.finished().await?;
    let after = answers_of(&store, started.conversation_id, started.question_id).await?;
    let fixed = after.iter().find(|m| m.fixed.is_some()).context("the fixed branch was saved")?;
    let right = is_correct(&fixed.content, q.expected);
    rate(&store, fixed.id, right).await?;
    tally.fixes += 1;
    tally.fixes_right += usize::from(right);
    *tally.right_by_shape.entry(q.shape).or_default() += usize::from(right);
    Ok(())
}

fn references(questions: &[EverydayQuestion]) -> Vec<ReferenceExample> {
    questions
        .iter()
        .map(|q| ReferenceExample {
            prompt: vec![Msg::user(&q.question)],
            answer: q.expected.to_string(),
        })
        .collect()
}

fn methods_of(run: &str) -> anyhow::Result<Vec<Method>> {
    if run == "default" {
        return Ok(Vec::new());
    }
    run.split('+')
        .map(|m| {
            <Method as clap::ValueEnum>::from_str(m.trim(), true)
                .map_err(|e| anyhow::anyhow!("{run}: {e}"))
        })
        .collect()
}

/// The simulated person asks every question, rates and fixes; returns the seconds it took.
async fn ask_everything(
    data_dir: &std::path::Path,
    asked: &[EverydayQuestion],
    fix_share: f64,
) -> anyhow::Result<f64> {
    let phase = Instant::now();
    let app = App::open(AppConfig {
        data_dir: data_dir.to_path_buf(),
        bundled_model: crate::model_arg::bundled(),
    })
    .await;
    let choice = ModelChoice::Bundled { device: DeviceChoice::Cpu, quantization: None };
    app.load_model(choice, Arc::new(|_| {})).await?;
    let mut tally = Tally::default();
    let mut all_wrong = 0usize;
    for (i, q) in asked.iter().enumerate() {
        let share = fix_share;
        let fixes_so_far = tally.fixes;
        // The person fixes a steady share of the questions the model got wholly wrong.
        let mut fix = || {
            all_wrong += 1;
            (fixes_so_far as f64) < (all_wrong as f64 * share).floor()
        };
        ask_and_rate(&app, q, &mut fix, &mut tally).await.with_context(|| q.question.clone())?;
        if (i + 1) % 40 == 0 {
            eprintln!("asked {}/{} ({:.0} s)", i + 1, asked.len(), phase.elapsed().as_secs_f64());
        }
    }
    let asking = phase.elapsed().as_secs_f64();
    drop(app);
    println!(
        "The person asked {} questions ({} shapes, {} per language): {}/{} candidates right, {} questions with a right one, {} all wrong, {} fixed first steps ({} continued to the right answer); {asking:.0} s",
        asked.len(),
        SHAPES.len(),
        SHAPES.len() / 2,
        tally.candidates_right,
        tally.candidates,
        tally.questions_with_a_right_one,
        tally.questions_all_wrong,
        tally.fixes,
        tally.fixes_right,
    );
    let by_shape: Vec<String> = SHAPES
        .iter()
        .map(|s| format!("{} {}", s.name, tally.right_by_shape.get(s.name).copied().unwrap_or(0)))
        .collect();
    println!("Right answers to imitate, by shape: {}", by_shape.join(", "));

    Ok(asking)
}

/// Held-out accuracy per shape (`en-minus 9/10, …`), and on stderr the first wrong answer of each
/// shape: where a run still fails, and how.
fn by_shape(questions: &[EverydayQuestion], answers: &[GradedAnswer]) -> String {
    SHAPES
        .iter()
        .map(|shape| {
            let of: Vec<_> =
                questions.iter().zip(answers).filter(|(q, _)| q.shape == shape.name).collect();
            let right = of.iter().filter(|(_, a)| a.right).count();
            if let Some((q, a)) = of.iter().find(|(_, a)| !a.right) {
                let written: String = a.written.chars().take(240).collect();
                eprintln!("  wrong, {}: {} → {:?}", shape.name, q.question, written);
            }
            format!("{} {right}/{}", shape.name, of.len())
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Runs the loop and prints a table of the results (markdown, for `docs/benchmarks.md`).
pub async fn run(args: LearningBenchArgs) -> anyhow::Result<()> {
    let begun = Instant::now();
    let data_dir = args.data_dir.clone().unwrap_or_else(|| {
        std::env::temp_dir().join(format!("ponder-learning-loop-{}", std::process::id()))
    });
    let has_history = data_dir.join("ponder.db").exists();
    if has_history != args.keep_history {
        anyhow::bail!(
            "{}: {}",
            data_dir.display(),
            if has_history {
                "already has a history: the loop starts from an empty one (or pass --keep-history)"
            } else {
                "has no history to keep"
            }
        );
    }
    std::fs::create_dir_all(&data_dir)?;
    eprintln!("data folder: {}", data_dir.display());
    let held_out = everyday_questions(args.seed + 1, Split::HeldOut, args.held_out);
    let asking = if args.keep_history {
        println!("The person's ratings: those already in {}", data_dir.display());
        0.0
    } else {
        let asked = everyday_questions(args.seed, Split::Train, args.questions);
        ask_everything(&data_dir, &asked, args.fix_share).await?
    };

    let phase = Instant::now();
    let check = references(&held_out);
    let bundled = crate::model_arg::bundled();
    let before = reference_score(&bundled, &check, 1024).await?;
    eprintln!("held-out before: {} ({:.0} s)", pct(&before), phase.elapsed().as_secs_f64());

    let mut rows: Vec<(String, VersionCard, Score, f64)> = Vec::new();
    for run in &args.runs {
        let methods = methods_of(run)?;
        if let Some((first, card, after, _)) =
            rows.iter().find(|(_, c, _, _)| !methods.is_empty() && c.settings.methods == methods)
        {
            println!("{run}: the same methods as {first} ({}), not run twice", card.name);
            let (card, after) = (card.clone(), *after);
            rows.push((run.clone(), card, after, 0.0));
            continue;
        }
        let phase = Instant::now();
        let learn = crate::learn::LearnArgs {
            command: None,
            model: None,
            method: methods,
            epochs: args.epochs,
            lr: args.lr,
            lora_rank: None,
            full: false,
            held_out: 0.0,
            regression: args.regression,
            rehearsal: args.rehearsal,
            resume: false,
            list: false,
            data_dir: Some(data_dir.clone()),
        };
        let card = crate::learn::learn_version(learn)
            .await
            .with_context(|| format!("ponder learn ({run})"))?;
        let answers = reference_answers(&card.path, &check, 1024).await?;
        let after =
            Score { correct: answers.iter().filter(|a| a.right).count(), total: answers.len() };
        let seconds = phase.elapsed().as_secs_f64();
        eprintln!("{run}, held-out by shape: {}", by_shape(&held_out, &answers));
        eprintln!("{run}: {} → {} ({seconds:.0} s)", pct(&before), pct(&after));
        rows.push((run.clone(), card, after, seconds));
    }

    println!("\n| run | methods | data (SFT + rehearsal / pairs / thumbs / references) | steps | learn + measure | held-out before → after | × | 600-problem check before → after |");
    println!("|---|---|---|---|---|---|---|---|");
    for (run, card, after, seconds) in &rows {
        let methods: Vec<&str> = card.settings.methods.iter().map(|m| m.as_str()).collect();
        let c = &card.counts;
        let regression = card.evaluation.as_ref().map_or("–".to_string(), |e| {
            format!(
                "{:.1}% → {:.1}%",
                100.0 * e.regression_before.accuracy(),
                100.0 * e.regression_after.accuracy()
            )
        });
        println!(
            "| {run} | {} | {} + {} / {} / {} / {} | {} | {seconds:.0} s | {} → {} | {:.2}× | {regression} |",
            methods.join(" + "),
            c.sft,
            card.rehearsal,
            c.pairs,
            c.thumbs_up + c.thumbs_down,
            c.references,
            card.steps,
            pct(&before),
            pct(after),
            after.accuracy() / before.accuracy().max(1e-9),
        );
    }
    println!("\nwall time: {:.0} s (asking {asking:.0} s)", begun.elapsed().as_secs_f64());
    Ok(())
}
