//! Formats of other trainers and services: LLaMA-Factory (sharegpt ranking and KTO files plus the
//! `dataset_info.json` entries that describe them) and OpenAI-style preference fine-tuning.

use serde::Serialize;
use serde_json::{json, Value};

use crate::chat::ChatMessage;
use crate::rows::{DpoRow, KtoRow};

/// A sharegpt turn: `{"from": "human" | "gpt", "value": …}`.
#[derive(Serialize)]
pub struct Turn {
    from: &'static str,
    value: String,
}

fn turn(m: &ChatMessage) -> Turn {
    let from = if m.role == "assistant" { "gpt" } else { "human" };
    // sharegpt has no reasoning field: separate reasoning goes inline, as Qwen3's template writes it.
    let value = match &m.reasoning_content {
        Some(r) => format!("<think>\n{}\n</think>\n\n{}", r.trim_matches('\n'), m.content),
        None => m.content.clone(),
    };
    Turn { from, value }
}

fn split_system(prompt: &[ChatMessage]) -> (Option<String>, Vec<Turn>) {
    let system = prompt.iter().find(|m| m.role == "system").map(|m| m.content.clone());
    (system, prompt.iter().filter(|m| m.role != "system").map(turn).collect())
}

/// LLaMA-Factory's sharegpt ranking row.
#[derive(Serialize)]
pub struct LlamaFactoryDpo {
    conversations: Vec<Turn>,
    chosen: Turn,
    rejected: Turn,
    #[serde(skip_serializing_if = "Option::is_none")]
    system: Option<String>,
}

impl From<&DpoRow> for LlamaFactoryDpo {
    fn from(row: &DpoRow) -> Self {
        let (system, conversations) = split_system(&row.prompt);
        LlamaFactoryDpo {
            conversations,
            chosen: turn(&row.chosen[0]),
            rejected: turn(&row.rejected[0]),
            system,
        }
    }
}

/// LLaMA-Factory's KTO row: role/content messages ending in the answer, and the label.
#[derive(Serialize)]
pub struct LlamaFactoryKto {
    messages: Vec<Value>,
    label: bool,
}

impl From<&KtoRow> for LlamaFactoryKto {
    fn from(row: &KtoRow) -> Self {
        let messages = row
            .prompt
            .iter()
            .chain(&row.completion)
            .map(|m| {
                let t = turn(m);
                let role = match m.role {
                    "assistant" => "assistant",
                    "system" => "system",
                    _ => "user",
                };
                json!({"role": role, "content": t.value})
            })
            .collect();
        LlamaFactoryKto { messages, label: row.label }
    }
}

/// The `dataset_info.json` entry for a ranking file.
pub fn dataset_info_dpo(file: &str) -> Value {
    json!({
        "file_name": file,
        "formatting": "sharegpt",
        "ranking": true,
        "columns": {"messages": "conversations", "chosen": "chosen", "rejected": "rejected", "system": "system"}
    })
}

/// The `dataset_info.json` entry for a KTO file.
pub fn dataset_info_kto(file: &str) -> Value {
    json!({
        "file_name": file,
        "formatting": "sharegpt",
        "columns": {"messages": "messages", "kto_tag": "label"},
        "tags": {"role_tag": "role", "content_tag": "content", "user_tag": "user", "assistant_tag": "assistant", "system_tag": "system"}
    })
}

/// OpenAI-style preference row (also read by Together and Fireworks).
#[derive(Serialize)]
pub struct OpenAiPreference {
    input: Value,
    preferred_output: Vec<ChatMessage>,
    non_preferred_output: Vec<ChatMessage>,
}

impl From<&DpoRow> for OpenAiPreference {
    fn from(row: &DpoRow) -> Self {
        OpenAiPreference {
            input: json!({ "messages": row.prompt }),
            preferred_output: row.chosen.clone(),
            non_preferred_output: row.rejected.clone(),
        }
    }
}
