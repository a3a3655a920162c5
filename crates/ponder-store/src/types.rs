//! The records the store reads and writes: conversations, messages, generation metadata.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// A conversation's id.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, sqlx::Type, TS,
)]
#[serde(transparent)]
#[sqlx(transparent)]
pub struct ConversationId(pub i64);

/// A message's id.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, sqlx::Type, TS,
)]
#[serde(transparent)]
#[sqlx(transparent)]
pub struct MessageId(pub i64);

/// Who wrote a message.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, sqlx::Type, TS)]
#[serde(rename_all = "snake_case")]
#[sqlx(rename_all = "snake_case")]
pub enum Role {
    /// Instructions set before the conversation.
    System,
    /// The person.
    User,
    /// The model.
    Assistant,
}

/// Where a message is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, sqlx::Type, TS)]
#[serde(rename_all = "snake_case")]
#[sqlx(rename_all = "snake_case")]
pub enum MessageStatus {
    /// Written in full (a question, or an answer the model ended or ran out of tokens on).
    Complete,
    /// Being streamed right now.
    Generating,
    /// Stopped by the person; the partial text is kept.
    Stopped,
    /// The app ended while it streamed; the text saved up to then is kept.
    Interrupted,
    /// Generation failed; the partial text and the error are kept.
    Failed,
}

/// A conversation as listed in the sidebar.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, sqlx::FromRow, TS)]
pub struct Conversation {
    /// Its id.
    pub id: ConversationId,
    /// Set from the first question until the person renames it.
    pub title: String,
    /// Whether the person chose the title.
    pub title_is_custom: bool,
    /// Unix milliseconds.
    pub created_at: i64,
    /// Unix milliseconds of the last new message or rename.
    pub updated_at: i64,
}

/// Where the next page of conversations starts (keyset pagination: stable while new ones arrive).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct PageCursor {
    /// `updated_at` of the last conversation on the previous page.
    pub updated_at: i64,
    /// Its id, to break ties.
    pub id: ConversationId,
}

/// One page of conversations, newest activity first.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, TS)]
pub struct ConversationPage {
    /// The conversations on this page.
    pub items: Vec<Conversation>,
    /// Where the next page starts, if there is one.
    pub next: Option<PageCursor>,
}

/// The model that produced an answer, as exactly as it can be named.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, TS)]
pub struct ModelIdentity {
    /// Hugging Face id, or the name of the bundled model.
    pub id: String,
    /// Folder or file it was loaded from, if local.
    pub path: Option<String>,
    /// Hash of the weights file, when known.
    pub file_hash: Option<String>,
    /// e.g. `Qwen3ForCausalLM`.
    pub architecture: Option<String>,
    /// In-situ quantization, e.g. `Q8_0`.
    pub quantization: Option<String>,
    /// e.g. `cpu`, `cuda:0`.
    pub device: String,
}

/// What is known when an answer starts: the model and every setting it runs with.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, TS)]
pub struct GenerationSettings {
    /// The model.
    pub model: ModelIdentity,
    /// Every sampling setting (temperature, top-k, top-p, min-p, penalties, seed, ...), as given.
    pub sampling: serde_json::Value,
    /// Whether the model was asked to think first.
    pub thinking_enabled: bool,
    /// Most thinking tokens allowed, if limited.
    pub thinking_budget: Option<u32>,
    /// The Ponder version that ran it.
    pub app_version: String,
}

/// How a generation ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, sqlx::Type, TS)]
#[serde(rename_all = "snake_case")]
#[sqlx(rename_all = "snake_case")]
pub enum EndReason {
    /// The model ended its answer.
    Stop,
    /// It hit the token limit (the answer is truncated).
    Length,
    /// The person stopped it.
    Cancelled,
    /// The engine failed.
    Error,
    /// The app ended while it ran.
    Interrupted,
    /// Its thinking repeated itself word for word and Ponder stopped it (`error` says what repeated).
    Looped,
}

/// What is known when an answer ends: counts, timings, and why it ended.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, TS)]
pub struct GenerationOutcome {
    /// Tokens in the rendered prompt.
    pub prompt_tokens: u32,
    /// Tokens inside the thinking block.
    pub thinking_tokens: u32,
    /// Tokens in the answer.
    pub answer_tokens: u32,
    /// Milliseconds to the first generated text.
    pub time_to_first_token_ms: Option<f64>,
    /// Milliseconds spent thinking.
    pub thinking_ms: Option<f64>,
    /// Milliseconds from request to end.
    pub total_ms: f64,
    /// Why it ended (`None` is read as `Stop`).
    pub finish_reason: Option<EndReason>,
    /// The engine's error, when it failed.
    pub error: Option<String>,
}

/// An answer's provenance: settings from the start, outcome from the end (absent if it never ended).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, TS)]
pub struct Generation {
    /// Model and settings.
    pub settings: GenerationSettings,
    /// Counts and timings, once finished.
    pub outcome: Option<GenerationOutcome>,
}

/// One message of a conversation's tree.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, TS)]
pub struct Message {
    /// Its id.
    pub id: MessageId,
    /// The conversation it belongs to.
    pub conversation_id: ConversationId,
    /// The message it answers or follows (`None` for a first question).
    pub parent_id: Option<MessageId>,
    /// Who wrote it.
    pub role: Role,
    /// The question, or the final answer.
    pub content: String,
    /// The chain of thought (answers only).
    pub thinking: Option<String>,
    /// Where it is in its life.
    pub status: MessageStatus,
    /// Unix milliseconds.
    pub created_at: i64,
    /// Unix milliseconds of the last change.
    pub updated_at: i64,
    /// For answers: what produced it.
    pub generation: Option<Generation>,
    /// For answers: the person's current rating.
    pub rating: Option<crate::Rating>,
    /// For an answer continued from a person's fix of another answer's thinking: which answer, and
    /// the person's words, which `thinking` starts with. Left out when absent, so exports of
    /// histories without fixes stay the same bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub fixed: Option<FixedStep>,
    /// For a chain of a vote: its answer and how the vote went. Left out when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub vote: Option<crate::ChainVote>,
    /// For an answer that was checked: the latest verdict. Left out when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub check: Option<crate::AnswerCheck>,
}

/// A person's fix of an answer's thinking, which the model continued from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct FixedStep {
    /// The answer whose thinking was fixed (`None` once it was deleted).
    pub from: Option<MessageId>,
    /// The person's words: the start of this answer's thinking, up to where the model took over.
    pub person_thinking: String,
}

/// A conversation opened for reading: every message of every branch, and the branch on screen.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, TS)]
pub struct Thread {
    /// The conversation.
    pub conversation: Conversation,
    /// All messages, oldest first.
    pub messages: Vec<Message>,
    /// The branch on screen, from the first question to the last message.
    pub active_path: Vec<MessageId>,
}

impl Thread {
    /// The message with this id.
    pub fn message(&self, id: MessageId) -> Option<&Message> {
        self.messages.iter().find(|m| m.id == id)
    }

    /// The messages sharing `id`'s parent, oldest first, `id` included (for "2 / 3" navigation).
    pub fn siblings(&self, id: MessageId) -> Vec<MessageId> {
        let Some(parent) = self.message(id).map(|m| m.parent_id) else { return Vec::new() };
        self.messages.iter().filter(|m| m.parent_id == parent).map(|m| m.id).collect()
    }

    /// The messages on the branch on screen, in order.
    pub fn active_messages(&self) -> Vec<&Message> {
        self.active_path.iter().filter_map(|id| self.message(*id)).collect()
    }
}
