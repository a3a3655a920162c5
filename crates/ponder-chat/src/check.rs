//! Checking an answer after it is given: for a question that carries its own answer (or one a person
//! corrected), the grader; otherwise the model, asked in a second turn to verify the answer step by
//! step and end with a verdict. The verdict is saved beside the answer and shown there.

use ponder_engine::{ChatMessage, ChatRole, Engine, Event, FinishReason, GenerationRequest};
use ponder_store::{CheckInput, CheckMethod, CheckVerdict, Message, MessageId, Store};

use crate::{arithmetic_reference, context, grade, reference_of, ChatError};

/// The second turn that asks the model to check its answer.
pub const CHECK_PROMPT: &str =
    "Check the answer above carefully, step by step, as if someone else \
wrote it. End your reply with exactly one line: \"Verdict: correct\" if it is right, or \"Verdict: \
incorrect\" if it is wrong.";

/// The same, for a question asked in Chinese.
pub const CHECK_PROMPT_ZH: &str =
    "请像检查别人的答案一样，一步一步仔细检查上面的答案。最后单独写一行：答案正确写“结论：正确”，答案错误写“结论：错误”。";

/// The check prompt in the question's language.
pub fn check_prompt(question: &str) -> &'static str {
    let chinese = question.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c));
    if chinese {
        CHECK_PROMPT_ZH
    } else {
        CHECK_PROMPT
    }
}

/// The verdict a checking reply ends with: its last "Verdict: correct / incorrect" line (or
/// "结论：正确 / 错误"); anything else is unsure, never guessed.
pub fn verdict_of(reply: &str) -> CheckVerdict {
    for line in reply.lines().rev() {
        let line = line.trim().trim_matches(|c: char| c == '*' || c == '#' || c == '>').trim();
        let lower = line.to_lowercase();
        let said = lower
            .strip_prefix("verdict")
            .map(|rest| rest.trim_start_matches([':', '：', ' ']).trim())
            .map(|w| w.trim_end_matches(['.', '。', '!', '*']).trim().to_string());
        match said.as_deref() {
            Some("correct" | "right" | "true") => return CheckVerdict::Correct,
            Some("incorrect" | "wrong" | "false" | "not correct") => {
                return CheckVerdict::Incorrect
            }
            _ => {}
        }
        if let Some(rest) = line.strip_prefix("结论") {
            let w = rest.trim_start_matches([':', '：', ' ']).trim_end_matches(['。', '.']).trim();
            match w {
                "正确" | "对" => return CheckVerdict::Correct,
                "错误" | "错" | "不正确" => return CheckVerdict::Incorrect,
                _ => {}
            }
        }
    }
    CheckVerdict::Unsure
}

/// The grader's check of `answer` to `question`, when something says what the right answer is: the
/// person's correction in the answer's rating, else the question's own arithmetic.
pub fn grader_check(question: &str, answer: &Message) -> Option<CheckInput> {
    let reference = reference_of(answer).or_else(|| arithmetic_reference(question))?;
    Some(graded(grade(answer, &reference)))
}

/// The grader's check of an answer not saved (`ponder ask --check`): the question's arithmetic only.
pub fn grader_check_text(question: &str, thinking: &str, answer: &str) -> Option<CheckInput> {
    let reference = arithmetic_reference(question)?;
    let written = format!("<think>\n{thinking}\n</think>\n\n{answer}");
    let correct = ponder_train::learn::verify::reward(&written, &reference) > 0.0;
    Some(graded(crate::Verdict { correct, reference }))
}

fn graded(verdict: crate::Verdict) -> CheckInput {
    CheckInput {
        method: CheckMethod::Grader,
        verdict: if verdict.correct { CheckVerdict::Correct } else { CheckVerdict::Incorrect },
        reason: format!("The right answer is {}.", verdict.reference),
        thinking: None,
        model: None,
    }
}

/// Asks `engine` to check `answer`, the reply to the conversation `asked` (ending with the
/// question); `template` carries the sampling and limits. A failed check is an error, not a verdict.
pub async fn model_check(
    engine: &Engine,
    asked: Vec<ChatMessage>,
    answer: &str,
    template: GenerationRequest,
) -> Result<CheckInput, ChatError> {
    let question = asked.last().map(|m| m.content.clone()).unwrap_or_default();
    let mut messages = asked;
    messages.push(ChatMessage { role: ChatRole::Assistant, content: answer.to_string() });
    messages.push(ChatMessage::user(check_prompt(&question)));
    let request = GenerationRequest { messages, candidates: 1, ..template };
    let mut generation = engine.generate(&request).await?;
    let (mut thinking, mut reply, mut failed) = (String::new(), String::new(), None);
    while let Some(e) = generation.next().await {
        match e.event {
            Event::Thinking(t) => thinking.push_str(&t),
            Event::Answer(t) => reply.push_str(&t),
            Event::Finished(FinishReason::Error(why)) => failed = Some(why),
            _ => {}
        }
    }
    if let Some(why) = failed {
        return Err(ChatError::Engine(ponder_engine::EngineError::Generation(why)));
    }
    Ok(CheckInput {
        method: CheckMethod::Model,
        verdict: verdict_of(&reply),
        reason: reply.trim().to_string(),
        thinking: Some(thinking).filter(|t| !t.trim().is_empty()),
        model: Some(engine.info().name.clone()),
    })
}

/// Checks saved answer `answer`: the grader where it can, else `engine` (none loaded: an error);
/// saves the verdict with the answer and returns the answer as now saved.
pub async fn check_answer(
    store: &Store,
    engine: Option<&Engine>,
    answer: MessageId,
    template: GenerationRequest,
) -> Result<Message, ChatError> {
    let saved = store.message(answer).await?;
    let question_id = saved
        .parent_id
        .filter(|_| saved.role == ponder_store::Role::Assistant)
        .ok_or_else(|| ChatError::Invalid("only an answer can be checked".into()))?;
    let question = store.message(question_id).await?;
    let check = match grader_check(&question.content, &saved) {
        Some(check) => check,
        None => {
            let engine = engine.ok_or(ChatError::NoModel)?;
            let thread = store.thread(saved.conversation_id).await?;
            model_check(engine, context(&thread, question_id), &saved.content, template).await?
        }
    };
    Ok(store.record_check(answer, &check).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_last_verdict_line_decides_and_anything_else_is_unsure() {
        let cases = [
            ("7 + 5 = 12, as stated.\nVerdict: correct", CheckVerdict::Correct),
            ("**Verdict: Incorrect.**", CheckVerdict::Incorrect),
            (
                "Verdict: correct\n…on second thought it is 13.\nVerdict: wrong",
                CheckVerdict::Incorrect,
            ),
            ("七加五等于十二。\n结论：正确", CheckVerdict::Correct),
            ("结论：错误。", CheckVerdict::Incorrect),
            ("It looks right to me.", CheckVerdict::Unsure),
            ("Verdict: probably", CheckVerdict::Unsure),
            ("", CheckVerdict::Unsure),
        ];
        for (reply, want) in cases {
            assert_eq!(verdict_of(reply), want, "{reply:?}");
        }
    }

    #[test]
    fn the_prompt_follows_the_questions_language() {
        assert_eq!(check_prompt("What is 2 + 2?"), CHECK_PROMPT);
        assert_eq!(check_prompt("计算 12 × 34"), CHECK_PROMPT_ZH);
    }
}
