//! `ponder`: command-line access to Ponder's engine.

mod ask;
mod eval;

use std::path::PathBuf;

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
    /// Measure a model's exact-match accuracy on held-out arithmetic, thinking on and off, through mistral.rs.
    Eval(eval::EvalArgs),
}

fn default_model() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../models/ponder-tiny")
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    match Cli::parse().command {
        Command::Ask(args) => ask::run(args).await,
        Command::Eval(args) => eval::run(args).await,
    }
}
