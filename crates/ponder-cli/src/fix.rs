//! `ponder ask --continue-from ID --fix TEXT`: teach by fixing a step of a saved answer — the model
//! continues from the person's words into a new branch, which is then graded.

use std::io::{IsTerminal, Write};

use anyhow::Context;
use ponder_engine::Event;
use ponder_store::MessageId;

use crate::ask::{AskArgs, TextOut};

/// Continues `answer`'s question from `args.fix` and prints the continuation and its grade.
pub async fn run(args: &AskArgs, answer: i64) -> anyhow::Result<()> {
    let fix = args.fix.clone().unwrap_or_default();
    let template = args.request()?;
    let path = ponder_store::database_path(args.data_dir.as_deref())
        .context("no data folder: set PONDER_DATA_DIR or pass --data-dir")?;
    let store = ponder_store::Store::open(&path).await?;
    let original =
        store.message(MessageId(answer)).await.with_context(|| format!("answer {answer}"))?;
    let engine = crate::model_arg::load(args.model.as_deref(), args.gpu, args.quantize).await?;
    let mut out = std::io::stdout().lock();
    if !args.json && !args.hide_thinking {
        // The person's words first, marked, so they are never read as the model's.
        writeln!(out, "[your step] {}", fix.trim_end())?;
    }
    let mut text = TextOut::new(args.hide_thinking, out.is_terminal());
    let mut write_error = None;
    let mut failure = None;
    let continued =
        ponder_chat::continue_from_fix(&store, &engine, original.id, &fix, template, |e, _| {
            if let Err(w) = text.write_event(args.json, &mut out, e) {
                write_error.get_or_insert(w);
            }
            if let Event::Finished(ponder_engine::FinishReason::Error(m)) = &e.event {
                failure.get_or_insert_with(|| m.clone());
            }
        })
        .await?;
    if let Some(w) = write_error {
        return Err(w.into());
    }
    if let Some(m) = failure {
        anyhow::bail!("generation failed: {m}");
    }
    let reference = args.expect.clone().or_else(|| ponder_chat::reference_of(&original));
    let verdict = reference.map(|r| ponder_chat::grade(&continued, &r));
    if args.json {
        let summary = serde_json::json!({"answer_id": continued.id, "fixed_from": original.id, "verdict": verdict});
        writeln!(out, "{summary}")?;
    } else {
        let grade = match &verdict {
            Some(v) if v.correct => format!("right (reference {})", v.reference),
            Some(v) => format!("wrong (reference {})", v.reference),
            None => {
                "not graded: no reference (rate the answer with a correction, or pass --expect)"
                    .into()
            }
        };
        writeln!(out, "saved as answer {} beside {}; {grade}", continued.id.0, original.id.0)?;
    }
    store.close().await;
    Ok(())
}
