//! LoRA (Hu et al. 2021): a frozen projection `W` learns only a low-rank update `scale · B·A`, with
//! `scale = alpha / rank`, A `[rank, in]` random and B `[out, rank]` zero so training starts from the
//! base model exactly.
//!
//! Adapters are named as PEFT names them (`….q_proj.lora_A.weight`), so an adapter file Ponder writes
//! is one PEFT reads; the model Ponder serves is always the merged folder, because mistral.rs 0.8.1
//! cannot load local adapters.

use candle_core::{DType, Device, Tensor, Var};
use candle_nn::VarMap;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use crate::model::{normal, PROJECTIONS};

use crate::TrainError;

/// Which projections get adapters, their rank and scale.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LoraConfig {
    /// Rank of the update.
    pub rank: usize,
    /// Scale numerator: the update is `alpha / rank · B·A`.
    pub alpha: f64,
    /// Short projection names (`q_proj`, `down_proj`, …) as PEFT's `target_modules`.
    pub modules: Vec<String>,
}

impl Default for LoraConfig {
    /// Rank 16, alpha 32 on every projection: the common choice for reasoning fine-tunes (adapting the
    /// MLP as well as attention matters for what a model knows, per "LoRA Learns Less and Forgets Less").
    fn default() -> Self {
        Self {
            rank: 16,
            alpha: 32.0,
            modules: PROJECTIONS.iter().map(|p| short(p).to_string()).collect(),
        }
    }
}

fn short(projection: &str) -> &str {
    projection.rsplit('.').next().unwrap_or(projection)
}

impl LoraConfig {
    /// Refuses a rank of zero and module names no Qwen layer has.
    pub fn check(&self) -> Result<(), TrainError> {
        if self.rank == 0 {
            return Err(TrainError::Config("LoRA rank must be at least 1".into()));
        }
        if self.modules.is_empty() {
            return Err(TrainError::Config("LoRA needs at least one target module".into()));
        }
        for m in &self.modules {
            if !PROJECTIONS.iter().any(|p| short(p) == m) {
                let known: Vec<&str> = PROJECTIONS.iter().map(|p| short(p)).collect();
                return Err(TrainError::Config(format!(
                    "no projection is called {m:?}; Qwen has {}",
                    known.join(", ")
                )));
            }
        }
        Ok(())
    }

    /// Whether the projection `self_attn.q_proj` (full layer-relative name) gets an adapter.
    pub fn applies_to(&self, projection: &str) -> bool {
        self.modules.iter().any(|m| m == short(projection))
    }

    /// PEFT's `adapter_config.json` for these settings on `base`.
    pub fn peft_json(&self, base: &str) -> serde_json::Value {
        serde_json::json!({
            "peft_type": "LORA",
            "task_type": "CAUSAL_LM",
            "base_model_name_or_path": base,
            "r": self.rank,
            "lora_alpha": self.alpha,
            "lora_dropout": 0.0,
            "bias": "none",
            "target_modules": self.modules,
            "fan_in_fan_out": false,
            "inference_mode": true
        })
    }
}

/// One adapter: `A` `[rank, in]`, `B` `[out, rank]`, trainable, f32.
#[derive(Clone)]
pub(crate) struct LoraPair {
    pub(crate) a: Tensor,
    pub(crate) b: Tensor,
    pub(crate) scale: f64,
}

impl LoraPair {
    /// A fresh adapter for the projection `prefix` (`model.layers.3.mlp.up_proj`), registered in `vars`.
    pub(crate) fn fresh(
        cfg: &LoraConfig,
        prefix: &str,
        out: usize,
        inp: usize,
        vars: &VarMap,
        device: &Device,
        rng: &mut ChaCha8Rng,
    ) -> Result<Self, TrainError> {
        // PEFT's default: A from Kaiming-uniform(a=√5), whose standard deviation is 1/√in; B zero.
        let std = 1.0 / (inp as f64).sqrt();
        let a_values: Vec<f32> = (0..cfg.rank * inp).map(|_| (normal(rng) * std) as f32).collect();
        let a = Var::from_tensor(&Tensor::from_vec(a_values, (cfg.rank, inp), device)?)?;
        let b = Var::from_tensor(&Tensor::zeros((out, cfg.rank), DType::F32, device)?)?;
        let mut data = vars.data().lock().expect("not poisoned");
        let a = reuse(&mut data, format!("{prefix}.lora_A.weight"), a)?;
        let b = reuse(&mut data, format!("{prefix}.lora_B.weight"), b)?;
        Ok(Self { a, b, scale: cfg.alpha / cfg.rank as f64 })
    }

    /// `scale · (x Aᵀ) Bᵀ`, in the order that keeps the work proportional to the rank.
    pub(crate) fn forward(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        let low = crate::model::matmul_rows(x, &self.a)?;
        crate::model::matmul_rows(&low, &self.b)? * self.scale
    }

    /// The update `scale · B·A`, shaped like the weight.
    pub(crate) fn delta(&self) -> candle_core::Result<Tensor> {
        self.b.matmul(&self.a)? * self.scale
    }
}

/// The tensor already in `vars` under `name` (a resumed run's), or `fresh` registered there.
fn reuse(
    data: &mut std::collections::HashMap<String, Var>,
    name: String,
    fresh: Var,
) -> Result<Tensor, TrainError> {
    if let Some(v) = data.get(&name) {
        if v.dims() != fresh.dims() {
            return Err(TrainError::Config(format!(
                "{name} has shape {:?}, expected {:?}",
                v.dims(),
                fresh.dims()
            )));
        }
        return Ok(v.as_tensor().clone());
    }
    let t = fresh.as_tensor().clone();
    data.insert(name, fresh);
    Ok(t)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::tests::tiny_config;
    use crate::model::{Family, Qwen};

    fn ids() -> Tensor {
        Tensor::new(&[[1u32, 5, 9, 3, 7]], &Device::Cpu).unwrap()
    }

    fn max_diff(a: &Tensor, b: &Tensor) -> f32 {
        (a - b).unwrap().abs().unwrap().max_all().unwrap().to_scalar::<f32>().unwrap()
    }

    #[test]
    fn fresh_adapters_leave_the_model_unchanged_and_train_only_themselves() {
        let cfg = tiny_config(Family::Qwen3);
        let base_vars = VarMap::new();
        let base = Qwen::new(&cfg, &base_vars, &Device::Cpu, 3).unwrap();
        let tensors = base.merged_weights(DType::F32).unwrap();
        let mut model = Qwen::frozen(&cfg, &tensors).unwrap();
        let vars = VarMap::new();
        let lora =
            LoraConfig { rank: 2, alpha: 4.0, modules: vec!["q_proj".into(), "down_proj".into()] };
        model.attach_lora(&lora, &vars, 1).unwrap();
        assert_eq!(
            vars.all_vars().len(),
            2 * 2 * cfg.num_hidden_layers,
            "A and B per module per layer"
        );
        assert!(max_diff(&model.forward(&ids()).unwrap(), &base.forward(&ids()).unwrap()) < 1e-6);

        let loss = model.forward(&ids()).unwrap().sqr().unwrap().mean_all().unwrap();
        let grads = loss.backward().unwrap();
        let b =
            vars.data().lock().unwrap()["model.layers.0.self_attn.q_proj.lora_B.weight"].clone();
        assert!(grads.get(b.as_tensor()).is_some(), "B gets a gradient");
        assert!(grads.get(&model.embed).is_none(), "frozen weights get none");
    }

    #[test]
    fn merged_weights_give_the_adapted_logits() {
        let cfg = tiny_config(Family::Qwen2);
        let base = Qwen::new(&cfg, &VarMap::new(), &Device::Cpu, 3).unwrap();
        let mut model = Qwen::frozen(&cfg, &base.merged_weights(DType::F32).unwrap()).unwrap();
        let vars = VarMap::new();
        model
            .attach_lora(&LoraConfig { rank: 4, alpha: 8.0, ..LoraConfig::default() }, &vars, 1)
            .unwrap();
        // Move B off zero so the adapters change the output.
        for v in vars.all_vars() {
            if v.dims()[1] == 4 {
                v.set(&Tensor::randn(0f32, 0.1, v.dims(), &Device::Cpu).unwrap()).unwrap();
            }
        }
        let adapted = model.forward(&ids()).unwrap();
        assert!(max_diff(&adapted, &model.forward_with(&ids(), false).unwrap()) > 1e-3);
        let merged = Qwen::frozen(&cfg, &model.merged_weights(DType::F32).unwrap()).unwrap();
        assert!(max_diff(&merged.forward(&ids()).unwrap(), &adapted) < 1e-4);
    }

    #[test]
    fn refuses_unknown_modules_and_rank_zero() {
        let bad = LoraConfig { modules: vec!["qkv".into()], ..LoraConfig::default() };
        assert!(bad.check().unwrap_err().to_string().contains("qkv"));
        assert!(LoraConfig { rank: 0, ..LoraConfig::default() }.check().is_err());
        assert!(LoraConfig::default().applies_to("mlp.gate_proj"));
    }
}
