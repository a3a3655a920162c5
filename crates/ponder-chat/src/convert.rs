//! Engine types to store records and back: the context a question is asked in, the settings an
//! answer was made with, and how it ended.

use ponder_engine::{ChatMessage, ChatRole, FinishReason, GenerationRequest, ModelInfo, Usage};
use ponder_store::{
    GenerationOutcome, GenerationSettings, MessageId, MessageStatus, ModelIdentity, Role, Thread,
};

/// The messages from the first question down to `question`, following parents (so it is the branch
/// the question is on, whatever is on screen). Answers carry only their text; an answer that failed
/// or is empty is left out, since the model never said it.
pub fn context(thread: &Thread, question: MessageId) -> Vec<ChatMessage> {
    let mut chain = Vec::new();
    let mut next = Some(question);
    while let Some(id) = next {
        let Some(m) = thread.message(id) else { break };
        chain.push(m);
        next = m.parent_id;
    }
    chain
        .into_iter()
        .rev()
        .filter(|m| match m.role {
            Role::Assistant => m.status != MessageStatus::Failed && !m.content.trim().is_empty(),
            _ => true,
        })
        .map(|m| ChatMessage {
            role: match m.role {
                Role::System => ChatRole::System,
                Role::User => ChatRole::User,
                Role::Assistant => ChatRole::Assistant,
            },
            content: m.content.clone(),
        })
        .collect()
}

/// Everything about the model and the request that produced an answer. For a local model this hashes
/// its weights the first time (seconds for gigabytes; later calls are instant): call
/// [`crate::model_hash`] on a blocking thread after loading to have it ready.
pub fn generation_settings(info: &ModelInfo, request: &GenerationRequest) -> GenerationSettings {
    let mut sampling = serde_json::to_value(&request.sampling).unwrap_or_default();
    if let Some(map) = sampling.as_object_mut() {
        map.insert("max_tokens".into(), request.max_tokens.into());
        map.insert("candidates".into(), request.candidates.into());
        // Thinking longer and loop stopping shape the chain as much as sampling does.
        if let Some(min) = request.min_thinking {
            map.insert("min_thinking".into(), min.into());
            map.insert("nudge".into(), request.nudge.clone().unwrap_or_default().into());
        }
        if !request.stop_loops {
            map.insert("stop_loops".into(), false.into());
        }
    }
    let local = std::path::Path::new(&info.id).exists();
    GenerationSettings {
        model: ModelIdentity {
            // The name, so statistics, filters and exports agree across machines; the path beside it.
            id: info.name.clone(),
            path: local.then(|| info.id.clone()),
            file_hash: if local { crate::model_hash(std::path::Path::new(&info.id)) } else { None },
            architecture: Some(info.architecture.clone()),
            quantization: info.quantization.clone(),
            device: info.device.clone(),
        },
        sampling,
        thinking_enabled: request.thinking,
        thinking_budget: request.thinking_budget.map(|b| b as u32),
        app_version: env!("CARGO_PKG_VERSION").to_string(),
    }
}

/// How a generation ended, in the store's terms.
pub fn outcome(
    usage: Option<&Usage>,
    finish: Option<&FinishReason>,
    thinking_ms: Option<f64>,
    total_ms: f64,
) -> GenerationOutcome {
    use ponder_store::EndReason as Stored;
    let (finish_reason, error) = match finish {
        Some(FinishReason::Stop) => (Stored::Stop, None),
        Some(FinishReason::Length) => (Stored::Length, None),
        Some(FinishReason::Cancelled) => (Stored::Cancelled, None),
        Some(FinishReason::Error(e)) => (Stored::Error, Some(e.clone())),
        Some(FinishReason::Looped(r)) => (Stored::Looped, Some(r.describe())),
        None => (Stored::Error, Some("the engine's stream ended without finishing".to_string())),
    };
    GenerationOutcome {
        prompt_tokens: usage.map_or(0, |u| u.prompt_tokens as u32),
        thinking_tokens: usage.map_or(0, |u| u.thinking_tokens as u32),
        answer_tokens: usage.map_or(0, |u| u.answer_tokens as u32),
        time_to_first_token_ms: usage.map(|u| u.time_to_first_token_ms),
        thinking_ms,
        total_ms,
        finish_reason: Some(finish_reason),
        error,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_guard_and_thinking_longer_are_stored_with_the_answer() {
        let info = ModelInfo {
            id: "Qwen/Qwen3-8B".into(),
            name: "Qwen/Qwen3-8B".into(),
            architecture: "vLLM 0.11".into(),
            device: "server http://gpu-box:8000/v1".into(),
            quantization: None,
        };
        let mut request = GenerationRequest::ask("What is 2 + 2?");
        request.sampling.frequency_penalty = Some(0.3);
        request.sampling.dry_multiplier = Some(0.8);
        request.sampling.no_repeat_ngram_size = Some(4);
        request.min_thinking = Some(128);
        request.nudge = Some("等等".into());
        request.stop_loops = false;
        let stored = generation_settings(&info, &request).sampling;
        assert_eq!(stored["frequency_penalty"], serde_json::json!(0.3f32));
        assert_eq!(stored["dry_multiplier"], serde_json::json!(0.8f32));
        assert_eq!(stored["no_repeat_ngram_size"], 4);
        assert_eq!(
            (stored["min_thinking"].clone(), stored["nudge"].clone()),
            (128.into(), "等等".into())
        );
        assert_eq!(stored["stop_loops"], false);
    }
}
