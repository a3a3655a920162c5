//! `ponder`: command-line access to Ponder's engine and history.

mod ask;
mod bench;
mod bench_learning;
mod bench_persistence;
mod bench_rl;
mod bench_vote;
mod check_out;
mod eval;
mod export;
mod fix;
mod history;
mod learn;
mod model_arg;
mod models;
mod rate;
mod rl_families;
mod server_key;
mod vote_out;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "ponder", version, about = "Ponder: a local reasoning assistant")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Ask a question and stream the thinking and the answer.
    Ask(ask::AskArgs),
    /// Rate a saved answer: thumbs up or down, reasons, a comment, a corrected answer.
    Rate(rate::RateArgs),
    /// Write the ratings as reward data (KTO, DPO pairs, SFT, archive) that trainers load as they are.
    Export(export::ExportArgs),
    /// List, search or print saved conversations (`ask --save` saves them, as the app does).
    History(history::HistoryArgs),
    /// List the models available on this machine (bundled, Hugging Face cache, and PATHS given), or
    /// those a model server serves (`--server URL`).
    Models(models::ModelsArgs),
    /// Time decoding and first-token latency through ponder-engine against a bare mistral.rs loop.
    Bench(bench::BenchArgs),
    /// Learn from the ratings in the history and keep the result as a new model version.
    Learn(learn::LearnArgs),
    /// The learning loop as a benchmark: a simulated person asks, rates and fixes through the app's
    /// code, `ponder learn` runs with each method, held-out questions measure before and after.
    BenchLearning(bench_learning::LearningBenchArgs),
    /// Reinforcement learning alone (GRPO) on problems where sampling sometimes succeeds.
    BenchRl(bench_rl::RlBenchArgs),
    /// Measure what voting over chains of thought and thinking longer buy on held-out problems.
    BenchVote(bench_vote::VoteBenchArgs),
    /// Keep, check or forget a model server's API key in the OS keychain.
    ServerKey(server_key::ServerKeyArgs),
    /// Measure a model's exact-match accuracy on held-out arithmetic, thinking on and off, through mistral.rs.
    Eval(eval::EvalArgs),
}

fn main() -> anyhow::Result<()> {
    ponder_engine::cpu_support().map_err(anyhow::Error::msg)?;
    // Before the runtime starts any thread: the CPU kernels read it when a model loads.
    ponder_engine::load_defaults::configure_threads();
    tokio::runtime::Builder::new_multi_thread().enable_all().build()?.block_on(run())
}

async fn run() -> anyhow::Result<()> {
    match Cli::parse().command {
        Command::Ask(args) => ask::run(args).await,
        Command::Eval(args) => eval::run(args).await,
        Command::Bench(args) => bench::run(args).await,
        Command::Models(args) => models::run(args).await,
        Command::History(args) => history::run(args).await,
        Command::Export(args) => export::run(args).await,
        Command::Rate(args) => rate::run(args).await,
        Command::Learn(args) => learn::run(args).await,
        Command::BenchLearning(args) => bench_learning::run(args).await,
        Command::BenchRl(args) => bench_rl::run(args).await,
        Command::BenchVote(args) => bench_vote::run(args).await,
        Command::ServerKey(args) => server_key::run(args).await,
    }
}
