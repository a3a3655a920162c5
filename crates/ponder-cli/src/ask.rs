//! `ponder ask`: stream one answer to the terminal, thinking dimmed, then the answer.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;

use anyhow::Context;
use ponder_engine::{Engine, Event, FinishReason, GenerationRequest, ModelSource, Sampling};

/// Options of `ponder ask`.
#[derive(clap::Args)]
pub struct AskArgs {
    /// The question.
    question: String,
    /// Model folder (defaults to the bundled ponder-tiny).
    #[arg(long)]
    model: Option<PathBuf>,
    /// Answer directly, without thinking first.
    #[arg(long)]
    no_think: bool,
    /// Do not print the thinking.
    #[arg(long)]
    hide_thinking: bool,
    /// Sampling temperature (0 = greedy); defaults to the model's recommendation.
    #[arg(long)]
    temperature: Option<f64>,
    /// Most tokens to generate.
    #[arg(long, default_value_t = 2048)]
    max_tokens: usize,
}

/// Loads the model and streams the reply.
pub async fn run(args: AskArgs) -> anyhow::Result<()> {
    let dir = args.model.unwrap_or_else(crate::default_model);
    let engine = Engine::load(ModelSource::LocalDir(dir.clone()))
        .await
        .with_context(|| format!("loading {}", dir.display()))?;
    let req = GenerationRequest {
        thinking: !args.no_think,
        sampling: Sampling { temperature: args.temperature, ..Sampling::default() },
        max_tokens: args.max_tokens,
        ..GenerationRequest::ask(args.question)
    };
    let mut rx = engine.generate(&req);
    let mut out = std::io::stdout().lock();
    // Dim the thinking on a terminal; keep piped output free of escape codes.
    let (dim, reset) = if out.is_terminal() { ("\x1b[2m", "\x1b[0m") } else { ("", "") };
    let mut in_thinking = false;
    while let Some(event) = rx.recv().await {
        match event {
            Event::Thinking(t) if !args.hide_thinking => {
                if !in_thinking {
                    write!(out, "{dim}")?;
                    in_thinking = true;
                }
                write!(out, "{t}")?;
            }
            Event::Answer(t) => {
                if in_thinking {
                    write!(out, "{reset}\n\n")?;
                    in_thinking = false;
                }
                write!(out, "{t}")?;
            }
            Event::Finished(reason) => {
                writeln!(out, "{reset}")?;
                if let FinishReason::Error(e) = reason {
                    anyhow::bail!("generation failed: {e}");
                }
            }
            _ => {}
        }
        out.flush()?;
    }
    Ok(())
}
