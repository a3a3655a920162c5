//! Which server Ponder is talking to, since each speaks the chat-completions protocol with its own
//! extensions: how thinking is switched off, whether and how a thinking budget is passed, which
//! sampling fields it accepts, and where it reports its version.

use serde_json::Value;

/// A family of OpenAI-compatible servers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ServerFamily {
    Vllm,
    Sglang,
    LlamaCpp,
    Ollama,
    LmStudio,
    /// OpenAI's own API: rejects fields it does not know, never streams the reasoning.
    OpenAi,
    /// Anything else (Qwen3's template switch and the common fields are sent).
    Other,
}

impl ServerFamily {
    /// Recognises the server from its model listing's `owned_by`, the `Server` header of the
    /// listing's response, and its address.
    pub(crate) fn detect(owned_by: &str, server_header: &str, root: &str) -> Self {
        let header = server_header.to_ascii_lowercase();
        match owned_by {
            "vllm" => return Self::Vllm,
            "sglang" => return Self::Sglang,
            "llamacpp" => return Self::LlamaCpp,
            "organization_owner" => return Self::LmStudio,
            "library" => return Self::Ollama,
            _ => {}
        }
        if header.contains("llama.cpp") {
            Self::LlamaCpp
        } else if root.contains("://api.openai.com") || matches!(owned_by, "openai" | "system") {
            Self::OpenAi
        } else {
            Self::Other
        }
    }

    /// How it is named in the model's identity.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::Vllm => "vLLM",
            Self::Sglang => "SGLang",
            Self::LlamaCpp => "llama.cpp",
            Self::Ollama => "Ollama",
            Self::LmStudio => "LM Studio",
            Self::OpenAi => "OpenAI",
            Self::Other => "OpenAI-compatible",
        }
    }

    /// Where the server says which build it is (a path below the address without `/v1`), and the
    /// field holding it.
    pub(crate) fn version_endpoint(self) -> Option<(&'static str, &'static str)> {
        match self {
            Self::Vllm => Some(("/version", "/version")),
            Self::Sglang => Some(("/get_server_info", "/version")),
            Self::LlamaCpp => Some(("/props", "/build_info")),
            Self::Ollama => Some(("/api/version", "/version")),
            _ => None,
        }
    }

    /// Whether it samples several choices for one request (`n`). llama.cpp's server refuses `n` above
    /// one ("Only one completion choice is allowed"), Ollama's and LM Studio's compatible endpoints
    /// ignore it, and an unknown server may do either, so those are sent one request per candidate.
    pub(crate) fn samples_n(self) -> bool {
        matches!(self, Self::Vllm | Self::Sglang | Self::OpenAi)
    }

    /// Whether it reads a thinking budget (each its own way: see [`Self::thinking_fields`]).
    pub(crate) fn takes_budget(self) -> bool {
        matches!(self, Self::Vllm | Self::Sglang | Self::LlamaCpp)
    }

    /// Whether it accepts sampling fields beyond OpenAI's own (top-k, min-p, repetition penalties).
    pub(crate) fn takes_extra_sampling(self) -> bool {
        self != Self::OpenAi
    }

    /// Adds to `body` what switches thinking on or off, and the thinking budget where the server
    /// has one (`None` where it has none: the budget is then not applied).
    pub(crate) fn thinking_fields(
        self,
        body: &mut serde_json::Map<String, Value>,
        thinking: bool,
        budget: Option<usize>,
    ) {
        match self {
            // Qwen3's chat template reads `enable_thinking`; these pass it to the template.
            Self::Vllm | Self::Sglang | Self::LlamaCpp | Self::LmStudio | Self::Other => {
                body.insert(
                    "chat_template_kwargs".into(),
                    serde_json::json!({"enable_thinking": thinking}),
                );
            }
            // Ollama's compatible endpoint ignores template arguments; "none" is its "think: false".
            Self::Ollama if !thinking => {
                body.insert("reasoning_effort".into(), "none".into());
            }
            Self::Ollama | Self::OpenAi => {}
        }
        let Some(budget) = budget.filter(|_| thinking) else { return };
        match self {
            Self::Vllm => {
                body.insert("thinking_token_budget".into(), budget.into());
            }
            Self::Sglang => {
                body.insert("custom_params".into(), serde_json::json!({"thinking_budget": budget}));
            }
            Self::LlamaCpp => {
                // The older and the newer spelling; each build reads one.
                body.insert("thinking_budget_tokens".into(), budget.into());
                body.insert("reasoning_budget_tokens".into(), budget.into());
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn families_are_told_apart_by_their_listing_header_and_address() {
        let d = ServerFamily::detect;
        assert_eq!(d("vllm", "uvicorn", "http://gpu:8000/v1"), ServerFamily::Vllm);
        assert_eq!(d("sglang", "", "http://gpu:30000/v1"), ServerFamily::Sglang);
        assert_eq!(d("llamacpp", "llama.cpp", "http://127.0.0.1:8080/v1"), ServerFamily::LlamaCpp);
        assert_eq!(d("", "llama.cpp", "http://127.0.0.1:8080/v1"), ServerFamily::LlamaCpp);
        assert_eq!(d("library", "", "http://127.0.0.1:11434/v1"), ServerFamily::Ollama);
        assert_eq!(d("organization_owner", "", "http://localhost:1234/v1"), ServerFamily::LmStudio);
        assert_eq!(d("system", "", "https://api.openai.com/v1"), ServerFamily::OpenAi);
        assert_eq!(d("me", "", "http://box/v1"), ServerFamily::Other);
    }

    fn fields(family: ServerFamily, thinking: bool, budget: Option<usize>) -> Value {
        let mut body = serde_json::Map::new();
        family.thinking_fields(&mut body, thinking, budget);
        Value::Object(body)
    }

    #[test]
    fn thinking_and_its_budget_go_the_way_each_family_reads_them() {
        let v = fields(ServerFamily::Vllm, true, Some(512));
        assert_eq!(v["chat_template_kwargs"]["enable_thinking"], true);
        assert_eq!(v["thinking_token_budget"], 512);
        let s = fields(ServerFamily::Sglang, true, Some(256));
        assert_eq!(s["custom_params"]["thinking_budget"], 256);
        let l = fields(ServerFamily::LlamaCpp, true, Some(64));
        assert_eq!(
            (l["thinking_budget_tokens"].clone(), l["reasoning_budget_tokens"].clone()),
            (64.into(), 64.into())
        );
        let off = fields(ServerFamily::LlamaCpp, false, Some(64));
        assert_eq!(off["chat_template_kwargs"]["enable_thinking"], false);
        assert!(off.get("thinking_budget_tokens").is_none(), "no budget without thinking: {off}");
        assert_eq!(fields(ServerFamily::Ollama, false, None)["reasoning_effort"], "none");
        assert_eq!(fields(ServerFamily::Ollama, true, Some(9)), serde_json::json!({}));
        assert_eq!(fields(ServerFamily::OpenAi, false, Some(9)), serde_json::json!({}));
    }
}
