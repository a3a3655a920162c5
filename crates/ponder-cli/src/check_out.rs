//! `ponder ask --check`: the answer checked once given — by the grader when the question carries its
//! own answer, else by the model in a second turn — and the verdict printed (and saved with --save).

use std::io::Write;

use ponder_chat::check::{check_answer, grader_check_text, model_check};
use ponder_engine::{Engine, GenerationRequest};
use ponder_store::{CheckInput, CheckMethod, CheckVerdict, MessageId, Store};

/// Checks the answer (`saved` in the history, or only as `asked`: the request, its thinking and its
/// answer) and prints the verdict.
pub(crate) async fn run(
    out: &mut impl Write,
    json: bool,
    engine: &Engine,
    saved: Option<(&Store, MessageId)>,
    asked: (&GenerationRequest, &str, &str),
) -> anyhow::Result<()> {
    let (request, thinking, answer) = asked;
    let template = GenerationRequest { candidates: 1, ..request.clone() };
    let check = match saved {
        Some((store, id)) => check_answer(store, Some(engine), id, template)
            .await?
            .check
            .map(|c| c.input)
            .ok_or_else(|| anyhow::anyhow!("the check was not saved"))?,
        None => {
            let question = request.messages.last().map_or("", |m| m.content.as_str());
            match grader_check_text(question, thinking, answer) {
                Some(check) => check,
                None => model_check(engine, request.messages.clone(), answer, template).await?,
            }
        }
    };
    print(out, json, &check)
}

fn print(out: &mut impl Write, json: bool, check: &CheckInput) -> anyhow::Result<()> {
    if json {
        writeln!(out, "{}", serde_json::json!({ "check": check }))?;
        return Ok(());
    }
    let verdict = match check.verdict {
        CheckVerdict::Correct => "correct",
        CheckVerdict::Incorrect => "incorrect",
        CheckVerdict::Unsure => "unsure",
    };
    let by = match check.method {
        CheckMethod::Grader => "the grader".to_string(),
        CheckMethod::Model => check.model.clone().unwrap_or_else(|| "the model".into()),
    };
    writeln!(out, "\ncheck ({by}): {verdict}")?;
    if check.method == CheckMethod::Grader || check.verdict == CheckVerdict::Unsure {
        let reason: String = check.reason.chars().take(400).collect();
        if !reason.is_empty() {
            writeln!(out, "{reason}")?;
        }
    }
    Ok(())
}
