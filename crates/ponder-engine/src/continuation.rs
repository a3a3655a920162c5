//! Continuing from a fixed step: the prompt as the chat template renders it, then `<think>` and the
//! person's start of the thinking, sent to mistral.rs as raw tokens so the model carries on inside its
//! thinking from exactly those words.
//!
//! mistral.rs 0.8.1 has no "continue the last assistant message" for chats, but it accepts prompt
//! tokens (`RequestMessage::CompletionTokens`) with all the settings of a chat request; this wrapper
//! sends those instead of the messages and keeps the sampling, logits processors and the rest.

use std::sync::Arc;

use image::DynamicImage;
use indexmap::IndexMap;
use mistralrs::core::RequestMessage;
use mistralrs::{
    Constraint, CustomLogitsProcessor, MessageContent, ModelCategory, RequestBuilder, RequestLike,
    SamplingParams, Tool, ToolChoice, WebSearchOptions,
};

/// A request whose prompt is `tokens` when given, else the builder's messages.
pub(crate) struct Prompted {
    pub(crate) inner: RequestBuilder,
    pub(crate) tokens: Option<Vec<u32>>,
}

impl RequestLike for Prompted {
    fn messages_ref(&self) -> &[IndexMap<String, MessageContent>] {
        RequestLike::messages_ref(&self.inner)
    }
    fn images_ref(&self) -> &[DynamicImage] {
        RequestLike::images_ref(&self.inner)
    }
    fn take_messages(&mut self) -> RequestMessage {
        match self.tokens.take() {
            Some(tokens) => RequestMessage::CompletionTokens(tokens),
            None => RequestLike::take_messages(&mut self.inner),
        }
    }
    fn take_logits_processors(&mut self) -> Option<Vec<Arc<dyn CustomLogitsProcessor>>> {
        RequestLike::take_logits_processors(&mut self.inner)
    }
    fn take_adapters(&mut self) -> Option<Vec<String>> {
        RequestLike::take_adapters(&mut self.inner)
    }
    fn return_logprobs(&self) -> bool {
        RequestLike::return_logprobs(&self.inner)
    }
    fn enable_search(&self) -> Option<bool> {
        RequestLike::enable_search(&self.inner)
    }
    fn take_constraint(&mut self) -> Constraint {
        RequestLike::take_constraint(&mut self.inner)
    }
    fn take_tools(&mut self) -> Option<(Vec<Tool>, ToolChoice)> {
        RequestLike::take_tools(&mut self.inner)
    }
    fn take_sampling_params(&mut self) -> SamplingParams {
        RequestLike::take_sampling_params(&mut self.inner)
    }
    fn take_web_search_options(&mut self) -> Option<WebSearchOptions> {
        RequestLike::take_web_search_options(&mut self.inner)
    }
    fn truncate_sequence(&self) -> bool {
        RequestLike::truncate_sequence(&self.inner)
    }
    fn resolve_pending_prefixes(&mut self, category: &ModelCategory) {
        RequestLike::resolve_pending_prefixes(&mut self.inner, category)
    }
}

/// The text after the generation prompt that puts the model inside its thinking at the person's
/// words: Qwen3 writes `<think>` and a newline first.
pub fn thinking_prefix(person: &str) -> String {
    format!("<think>\n{}", person.trim_start_matches('\n'))
}
