//! The OpenAI chat-completions protocol as the servers Ponder fronts speak it: the request body, and
//! each streamed chunk read into the engine's deltas.

use serde::Deserialize;
use serde_json::{json, Map, Value};

use super::family::ServerFamily;
use crate::request::{ChatRole, GenerationRequest};
use crate::stream::Delta;

/// The streaming request for `req` to `model` on a server of `family`. Sampling settings the person
/// did not set are left out, so the server applies the model's own defaults (vLLM and llama.cpp read
/// `generation_config`). Thinking and its budget are passed the way the family reads them
/// ([`ServerFamily::thinking_fields`]).
pub(crate) fn chat_body(model: &str, req: &GenerationRequest, family: ServerFamily) -> Value {
    let messages: Vec<Value> = req
        .messages
        .iter()
        .map(|m| {
            let role = match m.role {
                ChatRole::System => "system",
                ChatRole::User => "user",
                ChatRole::Assistant => "assistant",
            };
            json!({"role": role, "content": m.content})
        })
        .collect();
    let mut body = Map::new();
    body.insert("model".into(), model.into());
    body.insert("messages".into(), messages.into());
    body.insert("stream".into(), true.into());
    body.insert("stream_options".into(), json!({"include_usage": true}));
    // OpenAI's reasoning models refuse `max_tokens`; the others read it (Ollama reads only it).
    let limit = if family == ServerFamily::OpenAi { "max_completion_tokens" } else { "max_tokens" };
    body.insert(limit.into(), req.max_tokens.into());
    if req.candidates > 1 && family.samples_n() {
        body.insert("n".into(), req.candidates.into());
    }
    family.thinking_fields(&mut body, req.thinking, req.thinking_budget);
    let s = &req.sampling;
    // (name, value, whether OpenAI's own API takes it: it refuses fields it does not know).
    let settings: [(&str, Option<Value>, bool); 8] = [
        ("temperature", s.temperature.map(Value::from), true),
        ("top_p", s.top_p.map(Value::from), true),
        ("top_k", s.top_k.map(Value::from), false),
        ("min_p", s.min_p.map(Value::from), false),
        ("presence_penalty", s.presence_penalty.map(Value::from), true),
        ("repetition_penalty", s.repetition_penalty.map(Value::from), false),
        ("frequency_penalty", s.frequency_penalty.map(Value::from), true),
        // llama.cpp's name; vLLM and SGLang ignore what they do not know.
        ("dry_multiplier", s.dry_multiplier.map(Value::from), false),
    ];
    for (name, value, standard) in settings {
        if let Some(v) = value.filter(|_| standard || family.takes_extra_sampling()) {
            body.insert(name.into(), v);
        }
    }
    // llama.cpp's server spells the repetition penalty its own way.
    if let (ServerFamily::LlamaCpp, Some(p)) = (family, s.repetition_penalty) {
        body.insert("repeat_penalty".into(), p.into());
    }
    Value::Object(body)
}

/// What one chunk carries.
#[derive(Debug, Default, PartialEq)]
pub(crate) struct Chunk {
    pub deltas: Vec<Delta>,
    pub prompt_tokens: Option<usize>,
}

#[derive(Deserialize)]
struct WireChunk {
    #[serde(default)]
    choices: Vec<WireChoice>,
    #[serde(default)]
    usage: Option<WireUsage>,
    #[serde(default)]
    error: Option<Value>,
}

#[derive(Deserialize)]
struct WireChoice {
    #[serde(default)]
    index: usize,
    #[serde(default)]
    delta: WireDelta,
    #[serde(default)]
    finish_reason: Option<String>,
}

#[derive(Default, Deserialize)]
struct WireDelta {
    #[serde(default)]
    content: Option<String>,
    /// vLLM's, SGLang's and llama.cpp's reasoning parsers.
    #[serde(default)]
    reasoning_content: Option<String>,
    /// The newer spelling (vLLM ≥ 0.10, OpenRouter).
    #[serde(default)]
    reasoning: Option<String>,
}

#[derive(Deserialize)]
struct WireUsage {
    #[serde(default)]
    prompt_tokens: Option<usize>,
}

/// One chunk's data; an error object the server streams, or text that is not a chunk, is the error.
pub(crate) fn parse_chunk(data: &str) -> Result<Chunk, String> {
    let chunk: WireChunk = serde_json::from_str(data).map_err(|e| {
        let start: String = data.chars().take(120).collect();
        format!("the server sent a chunk that is not a chat-completions chunk ({e}): {start}")
    })?;
    if let Some(error) = chunk.error {
        let message = error.get("message").and_then(Value::as_str).map(str::to_string);
        return Err(format!(
            "the server reported: {}",
            message.unwrap_or_else(|| error.to_string())
        ));
    }
    let deltas = chunk
        .choices
        .into_iter()
        .map(|c| Delta {
            index: c.index,
            reasoning: c.delta.reasoning_content.or(c.delta.reasoning).unwrap_or_default(),
            content: c.delta.content.unwrap_or_default(),
            finish_reason: c.finish_reason,
        })
        .collect();
    Ok(Chunk { deltas, prompt_tokens: chunk.usage.and_then(|u| u.prompt_tokens) })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::request::Sampling;

    #[test]
    fn the_body_sends_thinking_through_the_template_and_only_the_settings_given() {
        let mut req = GenerationRequest::ask("2+2?");
        req.thinking = false;
        req.candidates = 3;
        req.sampling = Sampling { temperature: Some(0.6), top_k: Some(20), ..Sampling::default() };
        let body = chat_body("qwen3", &req, ServerFamily::Vllm);
        assert_eq!(body["chat_template_kwargs"]["enable_thinking"], json!(false));
        assert_eq!(body["n"], json!(3));
        assert_eq!(body["messages"], json!([{"role": "user", "content": "2+2?"}]));
        assert_eq!(body["temperature"], json!(0.6));
        assert_eq!(body["top_k"], json!(20));
        assert!(body.get("top_p").is_none() && body.get("min_p").is_none(), "{body}");
        assert_eq!(body["stream_options"]["include_usage"], json!(true));
        assert!(body.get("repeat_penalty").is_none(), "llama.cpp's own name only for llama.cpp");
        // llama.cpp refuses `n` above one and Ollama ignores it: they get a request per candidate.
        for family in [ServerFamily::LlamaCpp, ServerFamily::Ollama, ServerFamily::Other] {
            assert!(chat_body("qwen3", &req, family).get("n").is_none(), "{family:?}");
        }
    }

    #[test]
    fn openai_gets_only_the_fields_it_accepts() {
        let mut req = GenerationRequest::ask("2+2?");
        req.sampling = Sampling {
            temperature: Some(1.0),
            top_k: Some(20),
            min_p: Some(0.0),
            repetition_penalty: Some(1.1),
            ..Sampling::default()
        };
        let body = chat_body("o4-mini", &req, ServerFamily::OpenAi);
        assert_eq!(body["max_completion_tokens"], json!(req.max_tokens));
        assert_eq!(body["temperature"], json!(1.0));
        for absent in ["max_tokens", "top_k", "min_p", "repetition_penalty", "chat_template_kwargs"]
        {
            assert!(body.get(absent).is_none(), "{absent}: {body}");
        }
    }

    #[test]
    fn chunks_carry_reasoning_under_either_name_content_and_usage() {
        let c = parse_chunk(r#"{"choices":[{"index":0,"delta":{"reasoning_content":"hm"}}]}"#);
        assert_eq!(c.unwrap().deltas[0].reasoning, "hm");
        let c = parse_chunk(
            r#"{"choices":[{"index":1,"delta":{"reasoning":"so"},"finish_reason":null}]}"#,
        );
        assert_eq!(c.unwrap().deltas[0].index, 1);
        let c = parse_chunk(r#"{"choices":[{"delta":{"content":"4"},"finish_reason":"stop"}]}"#)
            .unwrap();
        assert_eq!(
            (c.deltas[0].content.as_str(), c.deltas[0].finish_reason.as_deref()),
            ("4", Some("stop"))
        );
        let c = parse_chunk(r#"{"choices":[],"usage":{"prompt_tokens":12,"completion_tokens":3}}"#);
        assert_eq!(c.unwrap(), Chunk { deltas: vec![], prompt_tokens: Some(12) });
    }

    #[test]
    fn an_error_object_or_garbage_is_an_error_that_says_what_came() {
        let e = parse_chunk(r#"{"error":{"message":"context length exceeded","code":400}}"#);
        assert_eq!(e.unwrap_err(), "the server reported: context length exceeded");
        let e = parse_chunk("<html>502 Bad Gateway</html>").unwrap_err();
        assert!(e.contains("not a chat-completions chunk") && e.contains("502 Bad Gateway"), "{e}");
    }
}
