//! What a caller asks for: the conversation so far and how to sample the reply.

use serde::{Deserialize, Serialize};

/// Who wrote a message.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ChatRole {
    /// Instructions.
    System,
    /// The person.
    User,
    /// The model (its answer; earlier thinking is never sent back).
    Assistant,
}

/// One message of the conversation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChatMessage {
    /// Author.
    pub role: ChatRole,
    /// Text.
    pub content: String,
}

impl ChatMessage {
    /// A user message.
    pub fn user(text: impl Into<String>) -> Self {
        Self { role: ChatRole::User, content: text.into() }
    }
}

/// Sampling settings. `None` means "the model's `generation_config.json` value".
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Sampling {
    /// Softmax temperature; `Some(0.0)` means greedy.
    pub temperature: Option<f64>,
    /// Keep the k most likely tokens.
    pub top_k: Option<usize>,
    /// Nucleus sampling mass.
    pub top_p: Option<f64>,
    /// Drop tokens below this fraction of the top probability.
    pub min_p: Option<f64>,
    /// Penalise tokens already present.
    pub presence_penalty: Option<f32>,
    /// Penalise repeated tokens multiplicatively.
    pub repetition_penalty: Option<f32>,
    /// Penalise tokens by how often they already appeared.
    #[serde(default)]
    pub frequency_penalty: Option<f32>,
    /// DRY ("don't repeat yourself"): penalise continuing a sequence seen before, growing with its
    /// length; 0.8 is the usual strength (base 1.75, sequences of 2 tokens allowed).
    #[serde(default)]
    pub dry_multiplier: Option<f32>,
    /// Never repeat an n-gram of this many tokens within the reply.
    #[serde(default)]
    pub no_repeat_ngram_size: Option<usize>,
}

impl Sampling {
    /// Qwen3's published recommendation for thinking mode, for models that ship no
    /// `generation_config.json` (GGUF files).
    pub fn qwen_recommended() -> Self {
        Self {
            temperature: Some(0.6),
            top_k: Some(20),
            top_p: Some(0.95),
            min_p: Some(0.0),
            ..Self::default()
        }
    }

    /// Always the most likely token.
    pub fn greedy() -> Self {
        Self { temperature: Some(0.0), top_k: Some(1), ..Self::default() }
    }
}

/// A generation request.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GenerationRequest {
    /// The conversation, ending with the user's latest message.
    pub messages: Vec<ChatMessage>,
    /// Whether the model thinks before answering (Qwen3's `enable_thinking`).
    pub thinking: bool,
    /// Sampling settings.
    pub sampling: Sampling,
    /// Most tokens to generate (thinking and answer together).
    pub max_tokens: usize,
    /// Most tokens to think for; once spent, the model is made to close its thinking and answer.
    pub thinking_budget: Option<usize>,
    /// How many independent replies to generate (at least 1).
    pub candidates: usize,
    /// The person's start of the thinking (a fixed step): the model continues from these words inside
    /// its thinking block instead of starting its own. Needs `thinking`. The events carry only what
    /// the model writes after them.
    #[serde(default)]
    pub continue_thinking: Option<String>,
    /// Think longer: the fewest tokens to think for. Where the model would close its thinking sooner,
    /// `nudge` is written instead and it goes on. Needs `thinking`; a `thinking_budget` still ends it.
    #[serde(default)]
    pub min_thinking: Option<usize>,
    /// What is written where the model would stop thinking too early (default "\n\nWait").
    #[serde(default)]
    pub nudge: Option<String>,
    /// Stop a candidate whose thinking repeats itself word for word ([`crate::loop_watch`]); it ends
    /// `Looped`, with what arrived kept. On unless turned off.
    #[serde(default = "stop_loops_by_default")]
    pub stop_loops: bool,
}

fn stop_loops_by_default() -> bool {
    true
}

impl GenerationRequest {
    /// Most tokens of a request when nobody says otherwise (the turn policy in `ponder-chat` uses it
    /// too): 32,768, the output length Qwen recommends for Qwen3 and QwQ, whose reasoning runs long (a
    /// 4,096-token cap cut hard problems off before their answer). The engine lowers it to what the
    /// model's context leaves after the prompt, so the model decides it in the end (2,048 for the
    /// bundled model, 40,960 for Qwen3).
    pub const DEFAULT_MAX_TOKENS: usize = 32_768;

    /// A single question with thinking on and the model's own sampling defaults.
    pub fn ask(question: impl Into<String>) -> Self {
        Self {
            messages: vec![ChatMessage::user(question)],
            thinking: true,
            sampling: Sampling::default(),
            max_tokens: Self::DEFAULT_MAX_TOKENS,
            thinking_budget: None,
            candidates: 1,
            continue_thinking: None,
            min_thinking: None,
            nudge: None,
            stop_loops: true,
        }
    }
}
