//! A Qwen3 decoder built only from candle operations that have a backward pass.
//!
//! Parameter names match Hugging Face's `Qwen3ForCausalLM` (`model.layers.0.self_attn.q_proj.weight`, …),
//! so the trained weights load in mistral.rs and transformers unchanged. candle-nn's fused `rope`,
//! `rms_norm` and `softmax_last_dim` have no backward, so RMSNorm, RoPE and the causal softmax come from
//! our own fused ops in [`crate::ops`], each with its own backward pass.

use candle_core::{DType, Device, Module, Tensor, Var};
use candle_nn::VarMap;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use crate::ops::{causal_softmax, rms_norm, rope, RopeTables};
use crate::TrainError;

/// The architecture hyper-parameters, named as in Qwen3's `config.json`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Qwen3Config {
    /// Token count (BPE entries plus added tokens).
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
}

impl Qwen3Config {
    /// Parameters in the model (embeddings counted once: they are tied to the output layer).
    pub fn parameter_count(&self) -> usize {
        let (d, h) = (self.hidden_size, self.head_dim);
        let attn =
            d * self.num_attention_heads * h * 2 + d * self.num_key_value_heads * h * 2 + 2 * h;
        let mlp = 3 * d * self.intermediate_size;
        self.vocab_size * d + self.num_hidden_layers * (attn + mlp + 2 * d) + d
    }

    /// The Hugging Face `config.json` for this architecture.
    pub fn to_hf_json(&self, bos: u32, eos: u32) -> serde_json::Value {
        serde_json::json!({
            "architectures": ["Qwen3ForCausalLM"],
            "model_type": "qwen3",
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
            "attention_bias": false,
            "attention_dropout": 0.0,
            "tie_word_embeddings": true,
            "initializer_range": 0.02,
            "use_cache": true,
            "bos_token_id": bos,
            "eos_token_id": eos,
            "torch_dtype": "float32",
            "transformers_version": "4.51.0"
        })
    }
}

/// How a fresh parameter starts.
#[derive(Clone, Copy)]
enum Init {
    /// Normal with this standard deviation.
    Normal(f64),
    /// Every element this value.
    Const(f32),
}

/// Initial gain of the query/key RMSNorms. With normalised queries and keys an attention logit can be
/// at most `gain_q * gain_k * sqrt(head_dim)`; at gain 1 that caps how sharply a head can pick one digit
/// among hundreds, and the gains grew only slowly in training. Starting higher (as in "Query-Key
/// Normalization for Transformers", Henry et al. 2020) lets copy heads form earlier.
const QK_NORM_GAIN: f32 = 1.5;

struct Layer {
    input_norm: Tensor,
    q: Tensor,
    k: Tensor,
    v: Tensor,
    o: Tensor,
    q_norm: Tensor,
    k_norm: Tensor,
    post_norm: Tensor,
    gate: Tensor,
    up: Tensor,
    down: Tensor,
}

/// The model's parameters, viewed as tensors that share storage with a [`VarMap`].
pub struct Qwen3 {
    cfg: Qwen3Config,
    embed: Tensor,
    layers: Vec<Layer>,
    norm: Tensor,
    rope: RopeTables,
}

fn linear(x: &Tensor, w: &Tensor) -> candle_core::Result<Tensor> {
    x.broadcast_matmul(&w.t()?)
}

impl Qwen3 {
    /// Creates the parameters in `vars` from `seed` (GPT-style normal initialisation), or reuses the ones
    /// already there (after a checkpoint load), and views them as a model.
    pub fn new(
        cfg: &Qwen3Config,
        vars: &VarMap,
        device: &Device,
        seed: u64,
    ) -> Result<Self, TrainError> {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut get = |name: String, shape: &[usize], init: Init| -> Result<Tensor, TrainError> {
            let mut data = vars.data().lock().expect("not poisoned");
            if let Some(v) = data.get(&name) {
                return Ok(v.as_tensor().clone());
            }
            let n: usize = shape.iter().product();
            let values: Vec<f32> = match init {
                Init::Normal(s) => (0..n).map(|_| (normal(&mut rng) * s) as f32).collect(),
                Init::Const(c) => vec![c; n],
            };
            let var = Var::from_tensor(&Tensor::from_vec(values, shape, device)?)?;
            let t = var.as_tensor().clone();
            data.insert(name, var);
            Ok(t)
        };
        let std = Init::Normal(0.02);
        // Output projections start smaller so the residual stream's variance does not grow with depth.
        let out_std = Init::Normal(0.02 / (2.0 * cfg.num_hidden_layers as f64).sqrt());
        let one = Init::Const(1.0);
        let (d, hd) = (cfg.hidden_size, cfg.head_dim);
        let (nq, nkv, ff) =
            (cfg.num_attention_heads * hd, cfg.num_key_value_heads * hd, cfg.intermediate_size);
        let embed = get("model.embed_tokens.weight".into(), &[cfg.vocab_size, d], std)?;
        let mut layers = Vec::with_capacity(cfg.num_hidden_layers);
        for i in 0..cfg.num_hidden_layers {
            let l = |n: &str| format!("model.layers.{i}.{n}");
            layers.push(Layer {
                input_norm: get(l("input_layernorm.weight"), &[d], one)?,
                q: get(l("self_attn.q_proj.weight"), &[nq, d], std)?,
                k: get(l("self_attn.k_proj.weight"), &[nkv, d], std)?,
                v: get(l("self_attn.v_proj.weight"), &[nkv, d], std)?,
                o: get(l("self_attn.o_proj.weight"), &[d, nq], out_std)?,
                q_norm: get(l("self_attn.q_norm.weight"), &[hd], Init::Const(QK_NORM_GAIN))?,
                k_norm: get(l("self_attn.k_norm.weight"), &[hd], Init::Const(QK_NORM_GAIN))?,
                post_norm: get(l("post_attention_layernorm.weight"), &[d], one)?,
                gate: get(l("mlp.gate_proj.weight"), &[ff, d], std)?,
                up: get(l("mlp.up_proj.weight"), &[ff, d], std)?,
                down: get(l("mlp.down_proj.weight"), &[d, ff], out_std)?,
            });
        }
        let norm = get("model.norm.weight".into(), &[d], one)?;
        let rope = RopeTables::new(cfg.max_position_embeddings, cfg.head_dim, cfg.rope_theta);
        Ok(Self { cfg: cfg.clone(), embed, layers, norm, rope })
    }

    /// Loads a Hugging Face folder written by [`crate::hf_folder`] (or any Qwen3 checkpoint in f32).
    pub fn load_hf(dir: &std::path::Path, device: &Device) -> Result<(Self, VarMap), TrainError> {
        let cfg_path = dir.join("config.json");
        let text = std::fs::read_to_string(&cfg_path).map_err(TrainError::io(&cfg_path))?;
        let cfg: Qwen3Config = serde_json::from_str(&text)
            .map_err(|e| TrainError::Corrupt { path: cfg_path, message: e.to_string() })?;
        let weights = dir.join("model.safetensors");
        let tensors = candle_core::safetensors::load(&weights, device)
            .map_err(|e| TrainError::Corrupt { path: weights.clone(), message: e.to_string() })?;
        let vars = VarMap::new();
        let loaded = tensors.len();
        {
            let mut data = vars.data().lock().expect("not poisoned");
            for (name, t) in tensors {
                data.insert(name, Var::from_tensor(&t.to_dtype(DType::F32)?)?);
            }
        }
        let model = Self::new(&cfg, &vars, device, 0)?;
        // `new` fills in whatever is absent; any addition means the file lacked a tensor.
        if vars.data().lock().expect("not poisoned").len() != loaded {
            return Err(TrainError::Corrupt {
                path: weights,
                message: "missing Qwen3 tensors".into(),
            });
        }
        Ok((model, vars))
    }

    /// The architecture.
    pub fn config(&self) -> &Qwen3Config {
        &self.cfg
    }

    /// Logits `[batch, time, vocab]` for token ids `[batch, time]` (causal, positions from 0).
    pub fn forward(&self, ids: &Tensor) -> Result<Tensor, TrainError> {
        let (b, t) = ids.dims2()?;
        let cfg = &self.cfg;
        let (hd, nh, nkv) = (cfg.head_dim, cfg.num_attention_heads, cfg.num_key_value_heads);
        let eps = cfg.rms_norm_eps as f32;
        let mut x = candle_nn::Embedding::new(self.embed.clone(), cfg.hidden_size).forward(ids)?;
        if t > cfg.max_position_embeddings {
            return Err(TrainError::Config(format!(
                "{t} tokens exceed max_position_embeddings {}",
                cfg.max_position_embeddings
            )));
        }
        let scale = 1.0 / (hd as f64).sqrt();
        let rep = nh / nkv;
        for l in &self.layers {
            let h = rms_norm(&x, &l.input_norm, eps)?;
            let heads = |w: &Tensor, n: usize, norm: &Tensor| -> candle_core::Result<Tensor> {
                let y = linear(&h, w)?.reshape((b, t, n, hd))?.transpose(1, 2)?;
                rope(&rms_norm(&y, norm, eps)?, &self.rope)
            };
            // Grouped-query attention without copying keys and values: the `rep` query heads that share
            // a key/value head are stacked along the time axis, `[b, kv heads, rep·t, hd]`.
            // Scaling q (T×d values) is cheaper than scaling the T×T scores.
            let q = (heads(&l.q, nh, &l.q_norm)? * scale)?.reshape((b, nkv, rep * t, hd))?;
            let k = heads(&l.k, nkv, &l.k_norm)?;
            let v = linear(&h, &l.v)?.reshape((b, t, nkv, hd))?.transpose(1, 2)?.contiguous()?;
            let probs = causal_softmax(&q.matmul(&k.t()?)?)?;
            let att = probs.matmul(&v)?.reshape((b, nh, t, hd))?;
            let att = att.transpose(1, 2)?.reshape((b, t, nh * hd))?;
            x = (x + linear(&att, &l.o)?)?;
            let h = rms_norm(&x, &l.post_norm, eps)?;
            let act = (linear(&h, &l.gate)?.silu()? * linear(&h, &l.up)?)?;
            x = (x + linear(&act, &l.down)?)?;
        }
        let x = rms_norm(&x, &self.norm, eps)?;
        Ok(linear(&x, &self.embed)?)
    }
}

/// A standard normal sample (Box–Muller), so initialisation depends only on the seed.
fn normal(rng: &mut ChaCha8Rng) -> f64 {
    let u1: f64 = rng.random::<f64>().max(f64::MIN_POSITIVE);
    let u2: f64 = rng.random();
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tiny_config() -> Qwen3Config {
        Qwen3Config {
            vocab_size: 64,
            hidden_size: 32,
            intermediate_size: 64,
            num_hidden_layers: 2,
            num_attention_heads: 4,
            num_key_value_heads: 2,
            head_dim: 8,
            rms_norm_eps: 1e-6,
            rope_theta: 10_000.0,
            max_position_embeddings: 64,
        }
    }

    #[test]
    fn parameter_count_matches_the_variables() {
        let cfg = tiny_config();
        let vars = VarMap::new();
        Qwen3::new(&cfg, &vars, &Device::Cpu, 1).unwrap();
        let n: usize = vars.all_vars().iter().map(|v| v.elem_count()).sum();
        assert_eq!(n, cfg.parameter_count());
        let names: Vec<String> = vars.data().lock().unwrap().keys().cloned().collect();
        assert!(names.contains(&"model.layers.1.self_attn.k_norm.weight".to_string()));
        assert!(!names.iter().any(|n| n.starts_with("lm_head")), "embeddings are tied");
    }

    #[test]
    fn later_tokens_do_not_change_earlier_logits() {
        let cfg = tiny_config();
        let vars = VarMap::new();
        let m = Qwen3::new(&cfg, &vars, &Device::Cpu, 1).unwrap();
        let a = Tensor::new(&[[1u32, 2, 3, 4]], &Device::Cpu).unwrap();
        let b = Tensor::new(&[[1u32, 2, 9, 9]], &Device::Cpu).unwrap();
        let la = m.forward(&a).unwrap().narrow(1, 0, 2).unwrap();
        let lb = m.forward(&b).unwrap().narrow(1, 0, 2).unwrap();
        let diff = (la - lb).unwrap().abs().unwrap().max_all().unwrap().to_scalar::<f32>().unwrap();
        assert!(diff < 1e-5, "causal mask leaks: {diff}");
    }
}
