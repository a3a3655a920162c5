//! `ponder learn`: learn from the ratings in the history and keep the result as a new model version.

use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use anyhow::Context;
use ponder_learn::evaluate::{evaluate_version, regression_questions, BeforeAfter};
use ponder_learn::{
    learn_from_history, list_versions, settings_for, LearnRequest, SettingsChoice, VersionCard,
};
use ponder_train::methods::Method;

/// Options of `ponder learn`.
#[derive(clap::Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct LearnArgs {
    /// `eval`: measure a learned version against its parent again.
    #[command(subcommand)]
    pub(crate) command: Option<LearnCommand>,
    /// The model to learn from (default: the bundled ponder-tiny): a folder or a Hugging Face id.
    #[arg(long)]
    pub(crate) model: Option<String>,
    /// Methods (repeat to combine); default: what the ratings can teach.
    #[arg(long, value_enum)]
    pub(crate) method: Vec<Method>,
    /// Passes over the data.
    #[arg(long)]
    pub(crate) epochs: Option<usize>,
    /// Peak learning rate.
    #[arg(long)]
    pub(crate) lr: Option<f64>,
    /// Train LoRA adapters of this rank (default: LoRA above 100 M parameters).
    #[arg(long)]
    pub(crate) lora_rank: Option<usize>,
    /// Train every weight even on a large model.
    #[arg(long, conflicts_with = "lora_rank")]
    pub(crate) full: bool,
    /// Share of rated conversations held out to compare the model before and after (0: none).
    #[arg(long, default_value_t = 0.2)]
    pub(crate) held_out: f64,
    /// Problems of the regression check asked of the parent and the version (ponder-tiny and its
    /// versions: the held-out problems of `ponder eval`; 0: none).
    #[arg(long, default_value_t = 600)]
    pub(crate) regression: usize,
    /// Examples of what the model already did well mixed into the SFT data, so learning the ratings
    /// does not erase it (ponder-tiny and its versions: problems of its own training mix; other
    /// models have none to rehearse). 0: none.
    #[arg(long, default_value_t = ponder_learn::rehearsal::DEFAULT_REHEARSAL)]
    pub(crate) rehearsal: usize,
    /// Continue the run that stopped before it finished (Ctrl-C, a crash), with the data and settings
    /// it began with.
    #[arg(long, conflicts_with_all = ["method", "epochs", "lr", "lora_rank", "full", "rehearsal"])]
    pub(crate) resume: bool,
    /// List the learned versions instead.
    #[arg(long)]
    pub(crate) list: bool,
    /// Folder of the history database (default: `PONDER_DATA_DIR`, then the platform's data folder).
    #[arg(long, value_name = "DIR")]
    pub(crate) data_dir: Option<PathBuf>,
}

/// What `ponder learn` can do besides learning.
#[derive(clap::Subcommand)]
pub enum LearnCommand {
    /// Measure a version and its parent on what its run held out and on the regression problems,
    /// and write the table into its card.
    Eval(EvalArgs),
}

/// Options of `ponder learn eval`.
#[derive(clap::Args)]
pub struct EvalArgs {
    /// The version (default: the newest).
    #[arg(long)]
    version: Option<String>,
    /// Problems of the regression check (0: none).
    #[arg(long, default_value_t = 600)]
    regression: usize,
    /// Folder of the history database and the versions.
    #[arg(long, value_name = "DIR")]
    data_dir: Option<PathBuf>,
}

async fn eval(args: EvalArgs) -> anyhow::Result<()> {
    let data_dir = ponder_store::data_dir(args.data_dir.as_deref()).unwrap_or_default();
    let versions = list_versions(&data_dir);
    let card = match &args.version {
        Some(name) => versions.iter().find(|c| &c.name == name),
        None => versions.last(),
    }
    .with_context(|| {
        format!("no learned version in {}: run ponder learn first", data_dir.display())
    })?;
    let regression = regression_questions(&card.parent, args.regression);
    let card = evaluate_version(&data_dir, &card.name, &regression).await?;
    match &card.evaluation {
        Some(e) => print_evaluation(&card, e),
        None => println!(
            "{}: nothing was held out and no regression check was asked for; nothing measured",
            card.name
        ),
    }
    Ok(())
}

fn print_evaluation(card: &VersionCard, e: &BeforeAfter) {
    println!(
        "held-out questions answered right: {} {}/{} → {} {}/{}; pairs preferred the right way: {}/{} → {}/{}",
        card.parent,
        e.before.correct,
        e.before.total,
        card.name,
        e.after.correct,
        e.after.total,
        e.pairs_before.correct,
        e.pairs_before.total,
        e.pairs_after.correct,
        e.pairs_after.total
    );
    if e.regression_after.total > 0 {
        println!(
            "regression check ({} problems): {:.1}% → {:.1}%",
            e.regression_after.total,
            100.0 * e.regression_before.accuracy(),
            100.0 * e.regression_after.accuracy()
        );
    }
}

/// Runs `ponder learn`.
pub async fn run(args: LearnArgs) -> anyhow::Result<()> {
    if let Some(LearnCommand::Eval(e)) = args.command {
        return eval(e).await;
    }
    let data_dir = ponder_store::data_dir(args.data_dir.as_deref()).unwrap_or_default();
    if args.list {
        for v in list_versions(&data_dir) {
            let methods: Vec<&str> = v.settings.methods.iter().map(|m| m.as_str()).collect();
            println!(
                "{:<32} from {:<24} {:<10} {} steps  {}",
                v.name,
                v.parent,
                methods.join("+"),
                v.steps,
                v.path.display()
            );
        }
        return Ok(());
    }
    let card = learn_version(args).await?;
    if let Some(e) = &card.evaluation {
        print_evaluation(&card, e);
    }
    println!(
        "learned {} from {} ({} steps, loss {:.3} → {:.3}); try it: ponder ask --model {}",
        card.name,
        card.parent,
        card.steps,
        card.loss.0,
        card.loss.1,
        card.path.display()
    );
    Ok(())
}

/// Learns one version as `ponder learn` does, printing each step to stderr.
pub(crate) async fn learn_version(args: LearnArgs) -> anyhow::Result<VersionCard> {
    let path = ponder_store::database_path(args.data_dir.as_deref())
        .context("no data folder: set PONDER_DATA_DIR or pass --data-dir")?;
    let data_dir = ponder_store::data_dir(args.data_dir.as_deref()).unwrap_or_default();
    let source = crate::model_arg::resolve(args.model.as_deref()).await?;
    let ponder_engine::ModelSource::LocalDir(base) = source else {
        anyhow::bail!("learning needs a model folder (safetensors), not a GGUF file");
    };
    let base_name = ponder_engine::catalog::model_name(&base);
    let choice = SettingsChoice {
        methods: args.method.clone(),
        epochs: args.epochs,
        learning_rate: args.lr,
        lora_rank: args.lora_rank,
        full: args.full,
    };
    let settings = settings_for(&base, &choice)?;
    let store = ponder_store::Store::open(&path).await?;
    let regression = regression_questions(&base_name, args.regression);
    let rehearsal = ponder_learn::rehearsal::rehearsal_examples(&base_name, args.rehearsal);
    let request = LearnRequest {
        base,
        base_name,
        data_dir,
        settings: Some(settings),
        held_out: args.held_out,
        regression,
        rehearsal,
        resume: args.resume,
    };
    if !request.resume {
        let plan = ponder_learn::plan_run(&store, &request, &choice).await?;
        let methods: Vec<&str> = plan.methods.iter().map(|m| m.as_str()).collect();
        let mib = |b: u64| b / (1 << 20);
        eprintln!(
            "plan: {} ({}); {} steps, about {:.0} s, about {} MiB of memory ({} MiB free)",
            methods.join(" + "),
            plan.reason,
            plan.steps,
            plan.seconds,
            mib(plan.memory_bytes),
            plan.available_bytes.map_or("?".into(), |b| mib(b).to_string()),
        );
    }
    let on_step =
        Box::new(|r: &ponder_train::learn::StepReport| eprintln!("{}", r.progress_line()));
    let card =
        learn_from_history(&store, request, on_step, Arc::new(AtomicBool::new(false))).await?;
    store.close().await;
    Ok(card)
}
