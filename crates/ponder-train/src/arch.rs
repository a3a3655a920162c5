//! The architectures the trainer knows — Qwen3 and Qwen2 (QwQ, the DeepSeek-R1 distills) — read from and
//! written as Hugging Face `config.json`, and the named shapes of real checkpoints.
//!
//! The two differ in three places: Qwen2 has biases on the q/k/v projections and no q/k RMSNorm, Qwen3
//! the reverse; Qwen2's `head_dim` is implied by the hidden size; either may tie the output layer to the
//! embeddings. Everything else (GQA, SwiGLU, RoPE halves layout) is shared.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::TrainError;

/// The model family, as `config.json`'s `model_type` names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Family {
    /// `Qwen2ForCausalLM`: q/k/v biases, no q/k norm.
    Qwen2,
    /// `Qwen3ForCausalLM`: q/k RMSNorm, no biases.
    Qwen3,
}

impl Family {
    /// The `architectures` entry transformers and mistral.rs dispatch on.
    pub fn architecture(self) -> &'static str {
        match self {
            Family::Qwen2 => "Qwen2ForCausalLM",
            Family::Qwen3 => "Qwen3ForCausalLM",
        }
    }
}

/// The architecture hyper-parameters, named as in Qwen's `config.json`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct QwenConfig {
    /// Qwen2 or Qwen3.
    pub model_type: Family,
    /// Token count (BPE entries plus added tokens, often padded).
    pub vocab_size: usize,
    /// Width of the residual stream.
    pub hidden_size: usize,
    /// Width of the SwiGLU MLP.
    pub intermediate_size: usize,
    /// Decoder layers.
    pub num_hidden_layers: usize,
    /// Query heads.
    pub num_attention_heads: usize,
    /// Key/value heads (grouped-query attention when fewer than query heads).
    pub num_key_value_heads: usize,
    /// Per-head width.
    pub head_dim: usize,
    /// RMSNorm epsilon.
    pub rms_norm_eps: f64,
    /// RoPE base.
    pub rope_theta: f64,
    /// Longest context the rotary tables are built for.
    pub max_position_embeddings: usize,
    /// Biases on the q/k/v projections (always for Qwen2, `attention_bias` for Qwen3).
    pub attention_bias: bool,
    /// The output layer is the embedding matrix (no `lm_head.weight`).
    pub tie_word_embeddings: bool,
}

/// `config.json` as written by transformers, with its defaults for absent keys.
#[derive(Deserialize)]
struct RawConfig {
    model_type: Family,
    vocab_size: usize,
    hidden_size: usize,
    intermediate_size: usize,
    num_hidden_layers: usize,
    num_attention_heads: usize,
    num_key_value_heads: Option<usize>,
    head_dim: Option<usize>,
    #[serde(default = "default_eps")]
    rms_norm_eps: f64,
    rope_theta: Option<f64>,
    #[serde(default)]
    rope_parameters: Option<serde_json::Value>,
    #[serde(default = "default_context")]
    max_position_embeddings: usize,
    #[serde(default)]
    attention_bias: bool,
    #[serde(default)]
    tie_word_embeddings: bool,
}

fn default_eps() -> f64 {
    1e-6
}

fn default_context() -> usize {
    32_768
}

impl QwenConfig {
    /// Reads a Hugging Face `config.json` value (transformers 4 or 5 spelling).
    pub fn from_hf_json(value: serde_json::Value) -> Result<Self, String> {
        let raw: RawConfig = serde_json::from_value(value).map_err(|e| e.to_string())?;
        // transformers 5 moved the base into `rope_parameters`.
        let theta = raw
            .rope_theta
            .or_else(|| raw.rope_parameters.as_ref()?.get("rope_theta")?.as_f64())
            .unwrap_or(10_000.0);
        if raw.num_attention_heads == 0 || raw.hidden_size == 0 || raw.num_hidden_layers == 0 {
            return Err(
                "hidden_size, num_hidden_layers and num_attention_heads must be positive".into()
            );
        }
        let kv = raw.num_key_value_heads.unwrap_or(raw.num_attention_heads);
        if kv == 0 || !raw.num_attention_heads.is_multiple_of(kv) {
            return Err(format!(
                "{} query heads cannot share {kv} key/value heads",
                raw.num_attention_heads
            ));
        }
        let head_dim = raw.head_dim.unwrap_or(raw.hidden_size / raw.num_attention_heads);
        if head_dim == 0 || !head_dim.is_multiple_of(2) {
            return Err(format!("head_dim {head_dim} must be even and positive"));
        }
        Ok(Self {
            model_type: raw.model_type,
            vocab_size: raw.vocab_size,
            hidden_size: raw.hidden_size,
            intermediate_size: raw.intermediate_size,
            num_hidden_layers: raw.num_hidden_layers,
            num_attention_heads: raw.num_attention_heads,
            num_key_value_heads: kv,
            head_dim,
            rms_norm_eps: raw.rms_norm_eps,
            rope_theta: theta,
            max_position_embeddings: raw.max_position_embeddings,
            attention_bias: raw.attention_bias || raw.model_type == Family::Qwen2,
            tie_word_embeddings: raw.tie_word_embeddings,
        })
    }

    /// Reads `dir/config.json`.
    pub fn read(dir: &Path) -> Result<Self, TrainError> {
        let path = dir.join("config.json");
        let text = std::fs::read_to_string(&path).map_err(TrainError::io(&path))?;
        let value = serde_json::from_str(&text)
            .map_err(|e| TrainError::Corrupt { path: path.clone(), message: e.to_string() })?;
        Self::from_hf_json(value).map_err(|message| TrainError::Corrupt { path, message })
    }

    /// Whether the layers carry q/k RMSNorm gains.
    pub fn has_qk_norm(&self) -> bool {
        self.model_type == Family::Qwen3
    }

    /// Parameters in the model (tied embeddings counted once).
    pub fn parameter_count(&self) -> usize {
        let (d, h) = (self.hidden_size, self.head_dim);
        let (q, kv) = (self.num_attention_heads * h, self.num_key_value_heads * h);
        let bias = if self.attention_bias { q + 2 * kv } else { 0 };
        let norms = if self.has_qk_norm() { 2 * h } else { 0 };
        let attn = d * q * 2 + d * kv * 2 + bias + norms;
        let mlp = 3 * d * self.intermediate_size;
        let head = if self.tie_word_embeddings { 0 } else { self.vocab_size * d };
        self.vocab_size * d + head + self.num_hidden_layers * (attn + mlp + 2 * d) + d
    }

    /// The Hugging Face `config.json` for this architecture, with the classic keys mistral.rs 0.8.1
    /// reads (`rope_theta`, not transformers 5's `rope_parameters`).
    pub fn to_hf_json(&self, bos: u32, eos: u32, dtype: &str) -> serde_json::Value {
        let mut v = serde_json::json!({
            "architectures": [self.model_type.architecture()],
            "model_type": self.model_type,
            "vocab_size": self.vocab_size,
            "hidden_size": self.hidden_size,
            "intermediate_size": self.intermediate_size,
            "num_hidden_layers": self.num_hidden_layers,
            "num_attention_heads": self.num_attention_heads,
            "num_key_value_heads": self.num_key_value_heads,
            "head_dim": self.head_dim,
            "hidden_act": "silu",
            "rms_norm_eps": self.rms_norm_eps,
            "rope_theta": self.rope_theta,
            "rope_scaling": null,
            "max_position_embeddings": self.max_position_embeddings,
            "max_window_layers": self.num_hidden_layers,
            "sliding_window": null,
            "use_sliding_window": false,
            "attention_dropout": 0.0,
            "tie_word_embeddings": self.tie_word_embeddings,
            "initializer_range": 0.02,
            "use_cache": true,
            "bos_token_id": bos,
            "eos_token_id": eos,
            "torch_dtype": dtype,
            "transformers_version": "4.51.0"
        });
        if self.model_type == Family::Qwen3 {
            v["attention_bias"] = self.attention_bias.into();
        }
        v
    }
}

/// A published checkpoint's shape, for random-weight stand-ins of real models (`ponder-train init`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Shape {
    /// Qwen3-0.6B: 28 layers, hidden 1024, 16/8 heads of 128, MLP 3072, tied.
    #[value(name = "qwen3-0.6b")]
    Qwen3_0_6b,
    /// Qwen3-1.7B: 28 layers, hidden 2048, 16/8 heads of 128, MLP 6144, tied.
    #[value(name = "qwen3-1.7b")]
    Qwen3_1_7b,
    /// Qwen3-4B: 36 layers, hidden 2560, 32/8 heads of 128, MLP 9728, tied.
    #[value(name = "qwen3-4b")]
    Qwen3_4b,
    /// Qwen2-1.5B (as in DeepSeek-R1-Distill-Qwen-1.5B): 28 layers, hidden 1536, 12/2 heads, MLP 8960.
    #[value(name = "qwen2-1.5b")]
    Qwen2_1_5b,
    /// Qwen2.5-0.5B: 24 layers, hidden 896, 14/2 heads of 64, MLP 4864, tied.
    #[value(name = "qwen2.5-0.5b")]
    Qwen2_5_0_5b,
}

impl Shape {
    /// The architecture of this shape (vocabulary 151,936 as published).
    pub fn config(self) -> QwenConfig {
        let (family, layers, hidden, ff, heads, kv, head_dim, tied, theta, context) = match self {
            Shape::Qwen3_0_6b => (Family::Qwen3, 28, 1024, 3072, 16, 8, 128, true, 1e6, 40_960),
            Shape::Qwen3_1_7b => (Family::Qwen3, 28, 2048, 6144, 16, 8, 128, true, 1e6, 40_960),
            Shape::Qwen3_4b => (Family::Qwen3, 36, 2560, 9728, 32, 8, 128, true, 1e6, 40_960),
            Shape::Qwen2_1_5b => (Family::Qwen2, 28, 1536, 8960, 12, 2, 128, false, 1e4, 131_072),
            Shape::Qwen2_5_0_5b => (Family::Qwen2, 24, 896, 4864, 14, 2, 64, true, 1e6, 32_768),
        };
        QwenConfig {
            model_type: family,
            vocab_size: 151_936,
            hidden_size: hidden,
            intermediate_size: ff,
            num_hidden_layers: layers,
            num_attention_heads: heads,
            num_key_value_heads: kv,
            head_dim,
            rms_norm_eps: 1e-6,
            rope_theta: theta,
            max_position_embeddings: context,
            attention_bias: family == Family::Qwen2,
            tie_word_embeddings: tied,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn published_shapes_have_their_published_sizes() {
        // Parameter counts as the model cards state them (rounded).
        let billions = |s: Shape| s.config().parameter_count() as f64 / 1e9;
        assert!(
            (billions(Shape::Qwen3_0_6b) - 0.596).abs() < 0.01,
            "{}",
            billions(Shape::Qwen3_0_6b)
        );
        assert!(
            (billions(Shape::Qwen3_1_7b) - 1.72).abs() < 0.02,
            "{}",
            billions(Shape::Qwen3_1_7b)
        );
        assert!((billions(Shape::Qwen3_4b) - 4.02).abs() < 0.03, "{}", billions(Shape::Qwen3_4b));
        assert!(
            (billions(Shape::Qwen2_5_0_5b) - 0.494).abs() < 0.01,
            "{}",
            billions(Shape::Qwen2_5_0_5b)
        );
        assert!(
            (billions(Shape::Qwen2_1_5b) - 1.78).abs() < 0.02,
            "{}",
            billions(Shape::Qwen2_1_5b)
        );
    }

    #[test]
    fn reads_qwen2_and_transformers_5_configs() {
        // Qwen2.5's config.json has no head_dim and no attention_bias: both are implied.
        let qwen2 = QwenConfig::from_hf_json(serde_json::json!({
            "model_type": "qwen2", "vocab_size": 151936, "hidden_size": 896, "intermediate_size": 4864,
            "num_hidden_layers": 24, "num_attention_heads": 14, "num_key_value_heads": 2,
            "rope_theta": 1000000.0, "tie_word_embeddings": true
        }))
        .unwrap();
        assert_eq!(qwen2, Shape::Qwen2_5_0_5b.config());
        assert!(!qwen2.has_qk_norm());
        let v5 = QwenConfig::from_hf_json(serde_json::json!({
            "model_type": "qwen3", "vocab_size": 64, "hidden_size": 32, "intermediate_size": 64,
            "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 2, "head_dim": 8,
            "rope_parameters": {"rope_type": "default", "rope_theta": 5000.0}
        }))
        .unwrap();
        assert_eq!(v5.rope_theta, 5000.0);
        assert!(!v5.attention_bias && !v5.tie_word_embeddings && v5.has_qk_norm());
        let round = QwenConfig::from_hf_json(v5.to_hf_json(0, 1, "float32")).unwrap();
        assert_eq!(round, v5);
    }

    #[test]
    fn refuses_configs_nothing_could_run() {
        let bad = serde_json::json!({
            "model_type": "qwen3", "vocab_size": 64, "hidden_size": 32, "intermediate_size": 64,
            "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 3
        });
        assert!(QwenConfig::from_hf_json(bad).unwrap_err().contains("key/value heads"));
        let llama = serde_json::json!({"model_type": "llama", "vocab_size": 1});
        assert!(QwenConfig::from_hf_json(llama).is_err());
    }
}
