//! Conversational messages as trainers read them, with the reasoning placed as the chosen style says.

use ponder_store::{Message, MessageStatus, Role};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// Where an answer's thinking goes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum ReasoningStyle {
    /// `<think>\n…\n</think>\n\n` before the answer, as Qwen3's chat template reads it.
    #[default]
    Inline,
    /// A separate `reasoning_content` field next to `content`.
    Separate,
    /// Left out.
    Stripped,
}

/// One message of a conversational row.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChatMessage {
    /// `system`, `user` or `assistant`.
    pub role: &'static str,
    /// The text (with the thinking in front, in the inline style).
    pub content: String,
    /// The thinking, in the separate style.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reasoning_content: Option<String>,
}

fn role_name(role: Role) -> &'static str {
    match role {
        Role::System => "system",
        Role::User => "user",
        Role::Assistant => "assistant",
    }
}

/// The context the model saw: questions and earlier answers' text (Qwen3's template drops earlier
/// thinking), without answers that failed or are empty.
pub fn prompt(context: &[Message]) -> Vec<ChatMessage> {
    context
        .iter()
        .filter(|m| {
            m.role != Role::Assistant
                || (m.status != MessageStatus::Failed && !m.content.trim().is_empty())
        })
        .map(|m| ChatMessage {
            role: role_name(m.role),
            content: m.content.clone(),
            reasoning_content: None,
        })
        .collect()
}

/// Whether text would be split wrongly by a template looking for the end of the thinking.
pub fn breaks_inline(text: &str) -> bool {
    text.contains("</think>")
}

/// An assistant message with `thinking` (`None`: the model was not asked to think) and `answer`.
/// `None` when the inline style cannot represent it unambiguously (`</think>` inside the text).
pub fn completion(
    thinking: Option<&str>,
    answer: &str,
    style: ReasoningStyle,
) -> Option<ChatMessage> {
    let message = |content: String, reasoning_content| ChatMessage {
        role: "assistant",
        content,
        reasoning_content,
    };
    match style {
        ReasoningStyle::Inline => {
            if breaks_inline(answer) || thinking.is_some_and(breaks_inline) {
                return None;
            }
            // Exactly what Qwen3's template renders (an empty block when thinking is off or empty).
            let thinking = thinking.unwrap_or("").trim_matches('\n');
            Some(message(format!("<think>\n{thinking}\n</think>\n\n{answer}"), None))
        }
        ReasoningStyle::Separate => {
            Some(message(answer.to_string(), Some(thinking.unwrap_or("").to_string())))
        }
        // Without a reasoning field, Qwen3's template looks for `</think>` in the content itself.
        ReasoningStyle::Stripped if breaks_inline(answer) => None,
        ReasoningStyle::Stripped => Some(message(answer.to_string(), None)),
    }
}

/// A person's corrected answer as an assistant message. A correction carries thinking only if the
/// person wrote some (a `<think>…</think>` block at its start): an empty block would teach a thinking
/// model to answer without thinking. `None` when the text would be split wrongly by a template.
pub fn corrected_completion(text: &str, style: ReasoningStyle) -> Option<ChatMessage> {
    let written =
        text.trim_start().strip_prefix("<think>").and_then(|rest| rest.split_once("</think>"));
    let (thinking, answer) = match written {
        Some((thinking, answer)) => {
            (Some(thinking.trim_matches('\n')), answer.trim_start_matches('\n'))
        }
        None => (None, text),
    };
    if breaks_inline(answer) {
        return None;
    }
    match thinking {
        Some(_) => completion(thinking, answer, style),
        None => Some(ChatMessage {
            role: "assistant",
            content: answer.to_string(),
            reasoning_content: None,
        }),
    }
}

/// The thinking of an answer as the model produced it (`None` if thinking was off).
pub fn thinking_of(answer: &Message) -> Option<&str> {
    let enabled = answer.generation.as_ref().is_none_or(|g| g.settings.thinking_enabled);
    if enabled {
        answer.thinking.as_deref()
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inline_matches_qwen3s_layout() {
        let m = completion(Some("7 + 9 = 16"), "936", ReasoningStyle::Inline).unwrap();
        assert_eq!(m.content, "<think>\n7 + 9 = 16\n</think>\n\n936");
        let m = completion(None, "936", ReasoningStyle::Inline).unwrap();
        assert_eq!(m.content, "<think>\n\n</think>\n\n936");
        assert!(completion(Some("x"), "a </think> b", ReasoningStyle::Inline).is_none());
        let m = completion(Some("x"), "<think> typed", ReasoningStyle::Inline).unwrap();
        assert!(m.content.ends_with("<think> typed"));
    }

    #[test]
    fn a_correction_has_thinking_only_if_the_person_wrote_it() {
        for style in [ReasoningStyle::Inline, ReasoningStyle::Separate, ReasoningStyle::Stripped] {
            let m = corrected_completion("936", style).unwrap();
            assert_eq!(
                (m.content.as_str(), m.reasoning_content.as_deref()),
                ("936", None),
                "{style:?}"
            );
            assert!(corrected_completion("a </think> b", style).is_none(), "{style:?}");
        }
        let written = "<think>\nadd the units first\n</think>\n\n936";
        let m = corrected_completion(written, ReasoningStyle::Inline).unwrap();
        assert_eq!(m.content, written);
        let m = corrected_completion(written, ReasoningStyle::Separate).unwrap();
        assert_eq!(
            (m.content.as_str(), m.reasoning_content.as_deref()),
            ("936", Some("add the units first"))
        );
        let m = corrected_completion(written, ReasoningStyle::Stripped).unwrap();
        assert_eq!((m.content.as_str(), m.reasoning_content.as_deref()), ("936", None));
    }

    #[test]
    fn separate_and_stripped() {
        let m = completion(Some("t"), "a", ReasoningStyle::Separate).unwrap();
        assert_eq!((m.content.as_str(), m.reasoning_content.as_deref()), ("a", Some("t")));
        let json =
            serde_json::to_string(&completion(Some("t"), "a", ReasoningStyle::Stripped).unwrap())
                .unwrap();
        assert_eq!(json, r#"{"role":"assistant","content":"a"}"#);
        // Separate keeps `</think>` in the answer whole (the template reads `reasoning_content`);
        // stripped cannot, since the template would take what comes before it as reasoning.
        assert!(completion(Some("t"), "a </think> b", ReasoningStyle::Separate).is_some());
        assert!(completion(Some("t"), "a </think> b", ReasoningStyle::Stripped).is_none());
    }
}
