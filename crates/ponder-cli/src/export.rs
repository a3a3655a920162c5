//! `ponder export`: ratings as reward data files (KTO, DPO, SFT, archive, LLaMA-Factory, OpenAI) with
//! a dataset card.

use std::path::PathBuf;

use anyhow::Context;
use ponder_export::{export, ExportOptions, Format, ReasoningStyle, Trainer};
use ponder_store::{ConversationId, RatingFilter, RatingTag, Store, Vote};

/// Options of `ponder export`.
#[derive(clap::Args)]
pub struct ExportArgs {
    /// New folder to write (must not exist, or be empty).
    #[arg(long)]
    out: PathBuf,
    /// Formats to write (default: all).
    #[arg(long = "format", value_enum)]
    formats: Vec<FormatArg>,
    /// Where the thinking goes.
    #[arg(long, value_enum, default_value = "inline")]
    reasoning: ReasoningArg,
    /// Only answers from this model id (repeatable).
    #[arg(long = "model")]
    models: Vec<String>,
    /// Only ratings given on or after this day (YYYY-MM-DD, UTC).
    #[arg(long, value_parser = parse_day)]
    since: Option<i64>,
    /// Only ratings given before this day (YYYY-MM-DD, UTC).
    #[arg(long, value_parser = parse_day)]
    until: Option<i64>,
    /// Only thumbs up or only thumbs down.
    #[arg(long, value_enum)]
    rating: Option<VoteArg>,
    /// Only ratings with this reason tag (repeatable; any of them).
    #[arg(long = "tag", value_parser = parse_tag)]
    tags: Vec<RatingTag>,
    /// Only this conversation (repeatable).
    #[arg(long = "conversation")]
    conversations: Vec<i64>,
    /// Share of conversations held out as a test split.
    #[arg(long, default_value_t = 0.0)]
    test_fraction: f64,
    /// Seed of the split.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Most preference pairs per question.
    #[arg(long, default_value_t = 4)]
    max_pairs: usize,
    /// Also write a ready-to-run training kit for this trainer: `trl` writes `train_trl.py` (SFT,
    /// DPO, KTO, GRPO) and `accelerate` configs for the CPU, one GPU, several GPUs and FSDP.
    #[arg(long, value_enum)]
    trainer: Option<TrainerArg>,
    /// Folder of the history database (default: `PONDER_DATA_DIR`, then the platform's data folder).
    #[arg(long, value_name = "DIR")]
    data_dir: Option<PathBuf>,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum FormatArg {
    Kto,
    Dpo,
    Sft,
    Archive,
    Llamafactory,
    Openai,
    /// Questions with a checkable answer (`{"prompt", "answer"}`).
    Grpo,
    /// Pairs and references from votes over several chains.
    Votes,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum TrainerArg {
    /// Hugging Face TRL, launched with `accelerate`.
    Trl,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum ReasoningArg {
    Inline,
    Separate,
    Stripped,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum VoteArg {
    Up,
    Down,
}

pub(crate) fn parse_tag(s: &str) -> Result<RatingTag, String> {
    RatingTag::ALL.into_iter().find(|t| t.name() == s).ok_or_else(|| {
        let names: Vec<_> = RatingTag::ALL.iter().map(|t| t.name()).collect();
        format!("unknown tag {s:?}; one of: {}", names.join(", "))
    })
}

/// `YYYY-MM-DD` → Unix milliseconds at 00:00 UTC.
fn parse_day(s: &str) -> Result<i64, String> {
    let bad = || format!("{s:?} is not a date like 2026-11-29");
    let mut parts = s.splitn(3, '-').map(|p| p.parse::<i64>().map_err(|_| bad()));
    let (y, m, d) = (
        parts.next().ok_or_else(bad)??,
        parts.next().ok_or_else(bad)??,
        parts.next().ok_or_else(bad)??,
    );
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return Err(bad());
    }
    // Days from the civil date (Howard Hinnant's algorithm).
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * ((m + 9) % 12) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    Ok((era * 146_097 + doe - 719_468) * 86_400_000)
}

/// Exports and prints what was written.
pub async fn run(args: ExportArgs) -> anyhow::Result<()> {
    let path = ponder_store::database_path(args.data_dir.as_deref())
        .context("no data folder: set PONDER_DATA_DIR or pass --data-dir")?;
    let store = Store::open(&path).await?;
    let formats = if args.formats.is_empty() {
        Format::ALL.to_vec()
    } else {
        args.formats
            .iter()
            .map(|f| match f {
                FormatArg::Kto => Format::Kto,
                FormatArg::Dpo => Format::Dpo,
                FormatArg::Sft => Format::Sft,
                FormatArg::Archive => Format::Archive,
                FormatArg::Llamafactory => Format::LlamaFactory,
                FormatArg::Openai => Format::OpenAi,
                FormatArg::Grpo => Format::Grpo,
                FormatArg::Votes => Format::Votes,
            })
            .collect()
    };
    let options = ExportOptions {
        formats,
        reasoning: match args.reasoning {
            ReasoningArg::Inline => ReasoningStyle::Inline,
            ReasoningArg::Separate => ReasoningStyle::Separate,
            ReasoningArg::Stripped => ReasoningStyle::Stripped,
        },
        filter: RatingFilter {
            models: args.models,
            since_ms: args.since,
            until_ms: args.until,
            vote: args.rating.map(|v| match v {
                VoteArg::Up => Vote::Up,
                VoteArg::Down => Vote::Down,
            }),
            tags: args.tags,
            conversations: args.conversations.into_iter().map(ConversationId).collect(),
        },
        max_pairs_per_prompt: args.max_pairs,
        test_fraction: args.test_fraction,
        seed: args.seed,
        trainer: args.trainer.map(|TrainerArg::Trl| Trainer::Trl),
    };
    let report = export(&store, &args.out, &options).await?;
    store.close().await;
    println!("Wrote {}:", args.out.display());
    for (name, n) in &report.rows {
        println!("  {name:<22} {n:>7} rows");
    }
    println!(
        "{} rated answers ({} up, {} down); {} preference pairs ({} across models).",
        report.rated, report.up, report.down, report.pairs, report.cross_model_pairs
    );
    if report.skipped_inline > 0 {
        println!(
            "{} answers contain </think> (a template would split them there) and were left out.",
            report.skipped_inline
        );
    }
    if report.identical_pairs > 0 || report.contradictory_kto > 0 {
        println!(
            "Left out: {} pairs whose two sides are the same text, {} KTO rows rated both up and down.",
            report.identical_pairs, report.contradictory_kto
        );
    }
    if args.trainer.is_some() {
        println!(
            "Training kit: train_trl.py and accelerate/ (how to run them: README.md in the folder)."
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::parse_day;

    #[test]
    fn days_are_utc_midnights() {
        assert_eq!(parse_day("1970-01-01"), Ok(0));
        assert_eq!(parse_day("2026-01-01"), Ok(1_767_225_600_000));
        assert_eq!(
            parse_day("2024-03-01").unwrap() - parse_day("2024-02-28").unwrap(),
            2 * 86_400_000
        );
        assert!(parse_day("2026-13-01").is_err() && parse_day("yesterday").is_err());
    }
}
