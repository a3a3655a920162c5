//! `ponder rate`: thumbs up or down on a saved answer (ids from `ponder history --show`).

use std::path::PathBuf;

use anyhow::Context;
use ponder_store::{MessageId, RatingInput, RatingTag, Store, Vote};

/// Options of `ponder rate`.
#[derive(clap::Args)]
pub struct RateArgs {
    /// The answer's id.
    answer: i64,
    /// `up`, `down`, or `clear` to remove the rating.
    #[arg(value_parser = ["up", "down", "clear"])]
    vote: String,
    /// A reason (repeatable): correct, wrong_answer, flawed_reasoning, too_long, unhelpful, unsafe.
    #[arg(long = "tag", value_parser = crate::export::parse_tag)]
    tags: Vec<RatingTag>,
    /// Thumbs on the reasoning, apart from the answer.
    #[arg(long, value_parser = ["up", "down"])]
    reasoning: Option<String>,
    /// A comment.
    #[arg(long)]
    comment: Option<String>,
    /// The answer it should have given (exported as the chosen answer).
    #[arg(long, value_name = "TEXT")]
    correct: Option<String>,
    /// Folder of the history database (default: `PONDER_DATA_DIR`, then the platform's data folder).
    #[arg(long, value_name = "DIR")]
    data_dir: Option<PathBuf>,
}

fn vote(s: &str) -> Vote {
    if s == "up" {
        Vote::Up
    } else {
        Vote::Down
    }
}

/// Saves (or clears) the rating.
pub async fn run(args: RateArgs) -> anyhow::Result<()> {
    let path = ponder_store::database_path(args.data_dir.as_deref())
        .context("no data folder: set PONDER_DATA_DIR or pass --data-dir")?;
    let store = Store::open(&path).await?;
    let id = MessageId(args.answer);
    if args.vote == "clear" {
        store.clear_rating(id).await?;
    } else {
        let input = RatingInput {
            answer: Some(vote(&args.vote)),
            reasoning: args.reasoning.as_deref().map(vote),
            tags: args.tags,
            comment: args.comment,
            corrected_answer: args.correct,
        };
        store.rate(id, input).await?;
    }
    store.close().await;
    Ok(())
}
