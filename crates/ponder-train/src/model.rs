//! A Qwen3 / Qwen2 decoder built only from candle operations that have a backward pass, with optional
//! LoRA adapters on any projection.
//!
//! Parameter names match Hugging Face's `Qwen3ForCausalLM` / `Qwen2ForCausalLM`
//! (`model.layers.0.self_attn.q_proj.weight`, …), so trained weights load in mistral.rs and transformers
//! unchanged. candle-nn's fused `rope`, `rms_norm` and `softmax_last_dim` have no backward, so RMSNorm,
//! RoPE and the causal softmax come from our own fused ops in [`crate::ops`].
//!
//! Frozen weights are plain tensors (no gradient is ever computed for them) and may be stored in bf16;
//! trainable ones are `Var`s in a [`VarMap`]. Activations are f32 throughout.

use std::collections::HashMap;

use candle_core::{DType, Device, Module, Tensor, Var};
use candle_nn::VarMap;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

pub use crate::arch::{Family, QwenConfig};
use crate::lora::{LoraConfig, LoraPair};
use crate::ops::{causal_softmax, rms_norm, rope, RopeTables};
use crate::TrainError;

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

/// The projections a layer has, by their Hugging Face names (`self_attn.q_proj`, `mlp.up_proj`, …).
pub const PROJECTIONS: [&str; 7] = [
    "self_attn.q_proj",
    "self_attn.k_proj",
    "self_attn.v_proj",
    "self_attn.o_proj",
    "mlp.gate_proj",
    "mlp.up_proj",
    "mlp.down_proj",
];

/// A linear layer: `x Wᵀ + b`, plus `scale · (x Aᵀ) Bᵀ` when an adapter is attached.
#[derive(Clone)]
pub(crate) struct Proj {
    pub(crate) weight: Tensor,
    pub(crate) bias: Option<Tensor>,
    pub(crate) lora: Option<LoraPair>,
}

impl Proj {
    pub(crate) fn forward(&self, x: &Tensor, adapters: bool) -> candle_core::Result<Tensor> {
        // A frozen bf16 weight (on a GPU; see `learn::prepare`) multiplies bf16 activations there; the
        // CPU has no bf16 matmul, so one that reaches it is widened.
        let mut y = if self.weight.dtype() == x.dtype() {
            matmul_rows(x, &self.weight)?
        } else if self.weight.device().is_cpu() {
            matmul_rows(x, &self.weight.to_dtype(x.dtype())?)?
        } else {
            matmul_rows(&x.to_dtype(self.weight.dtype())?, &self.weight)?.to_dtype(x.dtype())?
        };
        if let Some(b) = &self.bias {
            y = y.broadcast_add(&b.to_dtype(y.dtype())?)?;
        }
        match (&self.lora, adapters) {
            (Some(l), true) => y + l.forward(x)?,
            _ => Ok(y),
        }
    }
}

/// `x Wᵀ` for `x` of any rank: the leading dimensions are folded into rows first, because a batched
/// `broadcast_matmul` against a 2-D weight makes candle copy the broadcast weight for every call (it
/// dominated sampling, and zeroing those copies' pages dominated the profile).
pub(crate) fn matmul_rows(x: &Tensor, w: &Tensor) -> candle_core::Result<Tensor> {
    let dims = x.dims().to_vec();
    let inner = *dims.last().unwrap_or(&0);
    let rows: usize = dims[..dims.len().saturating_sub(1)].iter().product();
    let x2 = x.contiguous()?.reshape((rows, inner))?;
    // A frozen weight on the CPU is kept out of the graph, so backward never builds its gradient.
    let y = if !w.is_variable() && w.device().is_cpu() && w.dtype() == candle_core::DType::F32 {
        crate::ops::frozen_matmul(&x2, w)?
    } else {
        x2.matmul(&w.t()?)?
    };
    let mut out = dims;
    if let Some(last) = out.last_mut() {
        *last = w.dim(0)?;
    }
    y.reshape(out)
}

#[derive(Clone)]
pub(crate) struct Layer {
    pub(crate) input_norm: Tensor,
    pub(crate) proj: HashMap<&'static str, Proj>,
    pub(crate) q_norm: Option<Tensor>,
    pub(crate) k_norm: Option<Tensor>,
    pub(crate) post_norm: Tensor,
}

impl Layer {
    pub(crate) fn p(&self, name: &str) -> &Proj {
        &self.proj[name]
    }
}

/// The model's parameters, viewed as tensors (trainable ones share storage with a [`VarMap`]).
#[derive(Clone)]
pub struct Qwen {
    pub(crate) cfg: QwenConfig,
    pub(crate) embed: Tensor,
    pub(crate) lm_head: Option<Tensor>,
    pub(crate) layers: Vec<Layer>,
    pub(crate) norm: Tensor,
    pub(crate) rope: RopeTables,
}

/// Looks parameters up by Hugging Face name, creating (or reading) each one.
type Getter<'a> = dyn FnMut(String, &[usize], Init) -> Result<Tensor, TrainError> + 'a;

impl Qwen {
    /// Creates the parameters in `vars` from `seed` (GPT-style normal initialisation), or reuses the ones
    /// already there (after a checkpoint load), and views them as a model whose every weight trains.
    pub fn new(
        cfg: &QwenConfig,
        vars: &VarMap,
        device: &Device,
        seed: u64,
    ) -> Result<Self, TrainError> {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut get = |name: String, shape: &[usize], init: Init| -> Result<Tensor, TrainError> {
            let mut data = vars.data().lock().expect("not poisoned");
            if let Some(v) = data.get(&name) {
                if v.dims() != shape {
                    return Err(TrainError::Config(format!(
                        "{name} has shape {:?}, expected {shape:?}",
                        v.dims()
                    )));
                }
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
        Self::build(cfg, &mut get)
    }

    /// Fresh weights for `cfg` from `seed`, each converted to `dtype` as soon as it is drawn (so a
    /// multi-billion-parameter stand-in never exists in f32 all at once), by Hugging Face name.
    pub fn initial_weights(
        cfg: &QwenConfig,
        seed: u64,
        dtype: DType,
    ) -> Result<HashMap<String, Tensor>, TrainError> {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut out = HashMap::new();
        let mut get = |name: String, shape: &[usize], init: Init| -> Result<Tensor, TrainError> {
            let n: usize = shape.iter().product();
            let values: Vec<f32> = match init {
                Init::Normal(s) => (0..n).map(|_| (normal(&mut rng) * s) as f32).collect(),
                Init::Const(c) => vec![c; n],
            };
            let t = Tensor::from_vec(values, shape, &Device::Cpu)?.to_dtype(dtype)?;
            out.insert(name, t.clone());
            Ok(t)
        };
        Self::build(cfg, &mut get)?;
        Ok(out)
    }

    /// Views `tensors` (Hugging Face names) as a model whose weights are frozen: nothing is trainable
    /// until adapters are attached. Fails naming the first missing or misshapen tensor.
    pub fn frozen(cfg: &QwenConfig, tensors: &HashMap<String, Tensor>) -> Result<Self, TrainError> {
        let mut get = |name: String, shape: &[usize], _: Init| -> Result<Tensor, TrainError> {
            let t = tensors
                .get(&name)
                .ok_or_else(|| TrainError::Config(format!("the weights lack {name}")))?;
            if t.dims() != shape {
                return Err(TrainError::Config(format!(
                    "{name} has shape {:?}, expected {shape:?}",
                    t.dims()
                )));
            }
            Ok(t.clone())
        };
        Self::build(cfg, &mut get)
    }

    fn build(cfg: &QwenConfig, get: &mut Getter<'_>) -> Result<Self, TrainError> {
        let std = Init::Normal(0.02);
        // Output projections start smaller so the residual stream's variance does not grow with depth.
        let out_std = Init::Normal(0.02 / (2.0 * cfg.num_hidden_layers as f64).sqrt());
        let (one, zero) = (Init::Const(1.0), Init::Const(0.0));
        let (d, hd) = (cfg.hidden_size, cfg.head_dim);
        let (nq, nkv, ff) =
            (cfg.num_attention_heads * hd, cfg.num_key_value_heads * hd, cfg.intermediate_size);
        let embed = get("model.embed_tokens.weight".into(), &[cfg.vocab_size, d], std)?;
        let lm_head = if cfg.tie_word_embeddings {
            None
        } else {
            Some(get("lm_head.weight".into(), &[cfg.vocab_size, d], std)?)
        };
        let mut layers = Vec::with_capacity(cfg.num_hidden_layers);
        for i in 0..cfg.num_hidden_layers {
            let l = |n: &str| format!("model.layers.{i}.{n}");
            let mut proj = HashMap::new();
            for name in PROJECTIONS {
                let (out, inp, init) = match name {
                    "self_attn.q_proj" => (nq, d, std),
                    "self_attn.k_proj" | "self_attn.v_proj" => (nkv, d, std),
                    "self_attn.o_proj" => (d, nq, out_std),
                    "mlp.gate_proj" | "mlp.up_proj" => (ff, d, std),
                    _ => (d, ff, out_std),
                };
                let weight = get(l(&format!("{name}.weight")), &[out, inp], init)?;
                let biased = cfg.attention_bias
                    && matches!(name, "self_attn.q_proj" | "self_attn.k_proj" | "self_attn.v_proj");
                let bias = if biased {
                    Some(get(l(&format!("{name}.bias")), &[out], zero)?)
                } else {
                    None
                };
                proj.insert(name, Proj { weight, bias, lora: None });
            }
            let gain = Init::Const(QK_NORM_GAIN);
            let (q_norm, k_norm) = if cfg.has_qk_norm() {
                (
                    Some(get(l("self_attn.q_norm.weight"), &[hd], gain)?),
                    Some(get(l("self_attn.k_norm.weight"), &[hd], gain)?),
                )
            } else {
                (None, None)
            };
            layers.push(Layer {
                input_norm: get(l("input_layernorm.weight"), &[d], one)?,
                proj,
                q_norm,
                k_norm,
                post_norm: get(l("post_attention_layernorm.weight"), &[d], one)?,
            });
        }
        let norm = get("model.norm.weight".into(), &[d], one)?;
        let rope =
            RopeTables::new(cfg.max_position_embeddings.min(1 << 16), cfg.head_dim, cfg.rope_theta);
        Ok(Self { cfg: cfg.clone(), embed, lm_head, layers, norm, rope })
    }

    /// Loads a Hugging Face folder (one or several safetensors files, any float dtype) with every weight
    /// trainable in f32: full fine-tuning, and the bundled model's own training.
    pub fn load_hf(dir: &std::path::Path, device: &Device) -> Result<(Self, VarMap), TrainError> {
        let cfg = QwenConfig::read(dir)?;
        let mut tensors = crate::weights::read_folder(dir, device, DType::F32)?;
        if cfg.tie_word_embeddings {
            // Some tied checkpoints also store the copy; the embeddings are what is trained.
            tensors.remove("lm_head.weight");
        }
        let vars = VarMap::new();
        {
            let mut data = vars.data().lock().expect("not poisoned");
            for (name, t) in &tensors {
                data.insert(name.clone(), Var::from_tensor(t)?);
            }
        }
        // Check every tensor is there before `new` would invent the missing ones.
        Self::frozen(&cfg, &tensors)?;
        let model = Self::new(&cfg, &vars, device, 0)?;
        Ok((model, vars))
    }

    /// Attaches fresh LoRA adapters (A random, B zero, so the model is unchanged until trained) to the
    /// projections `lora.modules` names, as `Var`s in `vars` under PEFT's names.
    pub fn attach_lora(
        &mut self,
        lora: &LoraConfig,
        vars: &VarMap,
        seed: u64,
    ) -> Result<(), TrainError> {
        lora.check()?;
        let device = self.embed.device().clone();
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        for (i, layer) in self.layers.iter_mut().enumerate() {
            for name in PROJECTIONS {
                if !lora.applies_to(name) {
                    continue;
                }
                let p = layer.proj.get_mut(name).expect("every projection exists");
                let (out, inp) = p.weight.dims2()?;
                p.lora = Some(LoraPair::fresh(
                    lora,
                    &format!("model.layers.{i}.{name}"),
                    out,
                    inp,
                    vars,
                    &device,
                    &mut rng,
                )?);
            }
        }
        Ok(())
    }

    /// A frozen deep copy of the current weights (adapters folded in): GRPO's reference when every
    /// weight trains. A plain clone would not do: trainable tensors share storage with their `Var`s,
    /// which updates overwrite in place.
    pub fn frozen_copy(&self) -> Result<Self, TrainError> {
        let mut weights = self.merged_weights(DType::F32)?;
        for t in weights.values_mut() {
            *t = t.copy()?;
        }
        Self::frozen(&self.cfg, &weights)
    }

    /// The architecture.
    pub fn config(&self) -> &QwenConfig {
        &self.cfg
    }

    /// Every weight by Hugging Face name, with the adapter to fold into it, in file order.
    fn named_parts(&self) -> Vec<(String, &Tensor, Option<&LoraPair>)> {
        let mut out = vec![("model.embed_tokens.weight".to_string(), &self.embed, None)];
        if let Some(h) = &self.lm_head {
            out.push(("lm_head.weight".into(), h, None));
        }
        out.push(("model.norm.weight".into(), &self.norm, None));
        for (i, l) in self.layers.iter().enumerate() {
            let n = |s: &str| format!("model.layers.{i}.{s}");
            out.push((n("input_layernorm.weight"), &l.input_norm, None));
            out.push((n("post_attention_layernorm.weight"), &l.post_norm, None));
            if let (Some(q), Some(k)) = (&l.q_norm, &l.k_norm) {
                out.push((n("self_attn.q_norm.weight"), q, None));
                out.push((n("self_attn.k_norm.weight"), k, None));
            }
            for name in PROJECTIONS {
                let p = l.p(name);
                out.push((n(&format!("{name}.weight")), &p.weight, p.lora.as_ref()));
                if let Some(b) = &p.bias {
                    out.push((n(&format!("{name}.bias")), b, None));
                }
            }
        }
        out
    }

    fn merge(weight: &Tensor, lora: Option<&LoraPair>, dtype: DType) -> Result<Tensor, TrainError> {
        let w = match lora {
            Some(l) => (weight.to_dtype(DType::F32)? + l.delta()?)?,
            None => weight.clone(),
        };
        Ok(w.detach().to_dtype(dtype)?)
    }

    /// The weights with every adapter folded in (`W + scale·B·A`), by Hugging Face name, in `dtype`.
    pub fn merged_weights(&self, dtype: DType) -> Result<HashMap<String, Tensor>, TrainError> {
        self.named_parts()
            .into_iter()
            .map(|(name, w, lora)| Ok((name, Self::merge(w, lora, dtype)?)))
            .collect()
    }

    /// Writes the merged weights to a safetensors file one tensor at a time, so writing never holds a
    /// second copy of the model.
    pub fn write_merged(&self, path: &std::path::Path, dtype: DType) -> Result<(), TrainError> {
        let parts = self.named_parts();
        let shapes: Vec<(String, Vec<usize>)> =
            parts.iter().map(|(n, w, _)| (n.clone(), w.dims().to_vec())).collect();
        crate::weights::write_safetensors(path, &shapes, dtype, &mut |i| {
            Self::merge(parts[i].1, parts[i].2, dtype)
        })
    }

    /// Logits `[batch, time, vocab]` for token ids `[batch, time]` (causal, positions from 0), with the
    /// adapters applied.
    pub fn forward(&self, ids: &Tensor) -> Result<Tensor, TrainError> {
        self.forward_with(ids, true)
    }

    /// As [`Qwen::forward`]; `adapters: false` computes the base model's logits, which is the frozen
    /// reference of DPO, KTO and GRPO when training LoRA (no second copy of the weights).
    pub fn forward_with(&self, ids: &Tensor, adapters: bool) -> Result<Tensor, TrainError> {
        let (b, t) = ids.dims2()?;
        let cfg = &self.cfg;
        if t > cfg.max_position_embeddings.min(1 << 16) {
            return Err(TrainError::Config(format!(
                "{t} tokens exceed the context of {}",
                cfg.max_position_embeddings
            )));
        }
        let (hd, nh, nkv) = (cfg.head_dim, cfg.num_attention_heads, cfg.num_key_value_heads);
        let eps = cfg.rms_norm_eps as f32;
        let mut x = candle_nn::Embedding::new(self.embed.clone(), cfg.hidden_size)
            .forward(ids)?
            .to_dtype(DType::F32)?;
        let scale = 1.0 / (hd as f64).sqrt();
        let rep = nh / nkv;
        for l in &self.layers {
            let h = rms_norm(&x, &l.input_norm.to_dtype(DType::F32)?, eps)?;
            let heads =
                |name: &str, n: usize, norm: &Option<Tensor>| -> candle_core::Result<Tensor> {
                    let y =
                        l.p(name).forward(&h, adapters)?.reshape((b, t, n, hd))?.transpose(1, 2)?;
                    match norm {
                        Some(g) => rope(&rms_norm(&y, &g.to_dtype(DType::F32)?, eps)?, &self.rope),
                        None => rope(&y, &self.rope),
                    }
                };
            // Grouped-query attention without copying keys and values: the `rep` query heads that share
            // a key/value head are stacked along the time axis, `[b, kv heads, rep·t, hd]`.
            // Scaling q (T×d values) is cheaper than scaling the T×T scores.
            let q = (heads("self_attn.q_proj", nh, &l.q_norm)? * scale)?.reshape((
                b,
                nkv,
                rep * t,
                hd,
            ))?;
            let k = heads("self_attn.k_proj", nkv, &l.k_norm)?;
            let v = l
                .p("self_attn.v_proj")
                .forward(&h, adapters)?
                .reshape((b, t, nkv, hd))?
                .transpose(1, 2)?
                .contiguous()?;
            let probs = causal_softmax(&q.matmul(&k.t()?)?)?;
            let att = probs.matmul(&v)?.reshape((b, nh, t, hd))?;
            let att = att.transpose(1, 2)?.reshape((b, t, nh * hd))?;
            x = (x + l.p("self_attn.o_proj").forward(&att, adapters)?)?;
            let h = rms_norm(&x, &l.post_norm.to_dtype(DType::F32)?, eps)?;
            let act = (l.p("mlp.gate_proj").forward(&h, adapters)?.silu()?
                * l.p("mlp.up_proj").forward(&h, adapters)?)?;
            x = (x + l.p("mlp.down_proj").forward(&act, adapters)?)?;
        }
        let x = rms_norm(&x, &self.norm.to_dtype(DType::F32)?, eps)?;
        Ok(self.logits(&x)?)
    }

    /// The output layer (tied to the embeddings or its own `lm_head`).
    pub(crate) fn logits(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        let w = self.lm_head.as_ref().unwrap_or(&self.embed);
        Proj { weight: w.clone(), bias: None, lora: None }.forward(x, false)
    }
}

/// A standard normal sample (Box–Muller), so initialisation depends only on the seed.
pub(crate) fn normal(rng: &mut ChaCha8Rng) -> f64 {
    let u1: f64 = rng.random::<f64>().max(f64::MIN_POSITIVE);
    let u2: f64 = rng.random();
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) fn tiny_config(family: Family) -> QwenConfig {
        QwenConfig {
            model_type: family,
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
            attention_bias: family == Family::Qwen2,
            tie_word_embeddings: family == Family::Qwen3,
        }
    }

    #[test]
    fn parameter_count_matches_the_variables() {
        for family in [Family::Qwen3, Family::Qwen2] {
            let cfg = tiny_config(family);
            let vars = VarMap::new();
            Qwen::new(&cfg, &vars, &Device::Cpu, 1).unwrap();
            let n: usize = vars.all_vars().iter().map(|v| v.elem_count()).sum();
            assert_eq!(n, cfg.parameter_count(), "{family:?}");
            let names: Vec<String> = vars.data().lock().unwrap().keys().cloned().collect();
            let has = |n: &str| names.iter().any(|k| k == n);
            assert_eq!(has("model.layers.1.self_attn.k_norm.weight"), family == Family::Qwen3);
            assert_eq!(has("model.layers.1.self_attn.v_proj.bias"), family == Family::Qwen2);
            assert_eq!(
                has("lm_head.weight"),
                family == Family::Qwen2,
                "tied only in the Qwen3 config"
            );
        }
    }

    #[test]
    fn later_tokens_do_not_change_earlier_logits() {
        for family in [Family::Qwen3, Family::Qwen2] {
            let vars = VarMap::new();
            let m = Qwen::new(&tiny_config(family), &vars, &Device::Cpu, 1).unwrap();
            let a = Tensor::new(&[[1u32, 2, 3, 4]], &Device::Cpu).unwrap();
            let b = Tensor::new(&[[1u32, 2, 9, 9]], &Device::Cpu).unwrap();
            let la = m.forward(&a).unwrap().narrow(1, 0, 2).unwrap();
            let lb = m.forward(&b).unwrap().narrow(1, 0, 2).unwrap();
            let diff =
                (la - lb).unwrap().abs().unwrap().max_all().unwrap().to_scalar::<f32>().unwrap();
            assert!(diff < 1e-5, "causal mask leaks: {diff}");
        }
    }

    #[test]
    fn frozen_view_refuses_missing_and_misshapen_weights() {
        let cfg = tiny_config(Family::Qwen2);
        let vars = VarMap::new();
        Qwen::new(&cfg, &vars, &Device::Cpu, 1).unwrap();
        let mut tensors: HashMap<String, Tensor> = vars
            .data()
            .lock()
            .unwrap()
            .iter()
            .map(|(k, v)| (k.clone(), v.as_tensor().clone()))
            .collect();
        assert!(Qwen::frozen(&cfg, &tensors).is_ok());
        tensors.remove("model.layers.1.self_attn.q_proj.bias");
        let err = Qwen::frozen(&cfg, &tensors).err().unwrap().to_string();
        assert!(err.contains("model.layers.1.self_attn.q_proj.bias"), "{err}");
        tensors.insert(
            "model.layers.1.self_attn.q_proj.bias".into(),
            Tensor::zeros(3, DType::F32, &Device::Cpu).unwrap(),
        );
        assert!(Qwen::frozen(&cfg, &tensors).err().unwrap().to_string().contains("shape"));
    }
}
