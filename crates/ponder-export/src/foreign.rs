//! Formats of other trainers and services: LLaMA-Factory (sharegpt ranking and KTO files plus the
//! `dataset_info.json` entries that describe them) and OpenAI-style preference fine-tuning.

use serde::Serialize;
use serde_json::{json, Value};

use crate::messages::ChatMessage;
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

/// A role/content message (a struct, not a JSON map, so the field order never depends on features).
#[derive(Serialize)]
pub struct RoleContent {
    role: &'static str,
    content: String,
}

/// LLaMA-Factory's KTO row: role/content messages ending in the answer, and the label.
#[derive(Serialize)]
pub struct LlamaFactoryKto {
    messages: Vec<RoleContent>,
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
                RoleContent { role, content: t.value }
            })
            .collect();
        LlamaFactoryKto { messages, label: row.label }
    }
}

/// `value` with every object's keys in sorted order, whatever serde_json's `preserve_order` feature
/// (which another crate in the build may turn on) does to maps.
pub fn canonical(value: &Value) -> Value {
    match value {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            Value::Object(keys.into_iter().map(|k| (k.clone(), canonical(&map[k]))).collect())
        }
        Value::Array(items) => Value::Array(items.iter().map(canonical).collect()),
        other => other.clone(),
    }
}

/// The `dataset_info.json` entry for a ranking file. The `system` column is mapped only when some row
/// has one: LLaMA-Factory's converter fails on a mapped column that no row holds.
pub fn dataset_info_dpo(file: &str, has_system: bool) -> Value {
    let mut columns =
        json!({"messages": "conversations", "chosen": "chosen", "rejected": "rejected"});
    if has_system {
        columns["system"] = json!("system");
    }
    canonical(&json!({
        "file_name": file,
        "formatting": "sharegpt",
        "ranking": true,
        "columns": columns
    }))
}

/// The `dataset_info.json` entry for a KTO file.
pub fn dataset_info_kto(file: &str) -> Value {
    canonical(&json!({
        "file_name": file,
        "formatting": "sharegpt",
        "columns": {"messages": "messages", "kto_tag": "label"},
        "tags": {"role_tag": "role", "content_tag": "content", "user_tag": "user", "assistant_tag": "assistant", "system_tag": "system"}
    }))
}

/// The `input` of an OpenAI-style preference row.
#[derive(Serialize)]
pub struct OpenAiInput {
    messages: Vec<ChatMessage>,
}

/// OpenAI-style preference row (also read by Together and Fireworks).
#[derive(Serialize)]
pub struct OpenAiPreference {
    input: OpenAiInput,
    preferred_output: Vec<ChatMessage>,
    non_preferred_output: Vec<ChatMessage>,
}

impl From<&DpoRow> for OpenAiPreference {
    fn from(row: &DpoRow) -> Self {
        OpenAiPreference {
            input: OpenAiInput { messages: row.prompt.clone() },
            preferred_output: row.chosen.clone(),
            non_preferred_output: row.rejected.clone(),
        }
    }
}
