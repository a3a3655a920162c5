//! Sampling chains of thought from the model being trained, for GRPO's groups: the prompt is read once,
//! its key/value cache copied to every chain, then all chains decode together one token a step.
//!
//! This is the trainer sampling from its own current weights (GRPO must sample from the policy it
//! updates); answers people see are always served by mistral.rs.

use candle_core::{DType, Device, Tensor};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::model::Qwen;
use crate::ops::{causal_softmax, rms_norm};
use crate::TrainError;

/// How chains are drawn.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct SampleConfig {
    /// Softmax temperature (TRL's GRPO default is 1.0: the policy's own distribution).
    pub temperature: f64,
    /// Nucleus: keep the smallest set of tokens whose probability reaches this (1.0: all).
    pub top_p: f64,
    /// Longest completion, in tokens.
    pub max_new_tokens: usize,
}

impl Default for SampleConfig {
    fn default() -> Self {
        Self { temperature: 1.0, top_p: 1.0, max_new_tokens: 512 }
    }
}

/// One layer's keys and values, `[chains, kv heads, time, head_dim]`, in a buffer allocated once for
/// the whole chain (growing it by concatenation reallocated and copied it every token).
type Cache = candle_nn::kv_cache::KvCache;

/// `group` completions of `prompt` (token ids), each ending at the first of `stop` (included) or at
/// the length limit. Deterministic for a seed.
pub fn sample_group(
    model: &Qwen,
    prompt: &[u32],
    group: usize,
    stop: &[u32],
    cfg: &SampleConfig,
    seed: u64,
) -> Result<Vec<Vec<u32>>, TrainError> {
    let device = model.embed.device().clone();
    if prompt.is_empty() || group == 0 {
        return Err(TrainError::Config("sampling needs a prompt and at least one chain".into()));
    }
    let context = model.cfg.max_position_embeddings.min(1 << 16);
    if prompt.len() >= context {
        return Err(TrainError::Config(format!(
            "the prompt has {} tokens; the context is {context}",
            prompt.len()
        )));
    }
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let limit = cfg.max_new_tokens.min(context - prompt.len());
    // Every chain reads the prompt (a short prefill next to the decoding that follows).
    let ids = Tensor::new(prompt, &device)?.unsqueeze(0)?.repeat((group, 1))?;
    let mut caches: Vec<Cache> =
        (0..model.layers.len()).map(|_| Cache::new(2, prompt.len() + limit + 1)).collect();
    let mut last = step(model, &ids, 0, &mut caches)?;
    let mut out = vec![Vec::new(); group];
    let mut done = vec![false; group];
    for pos in 0..limit {
        let rows = last.to_dtype(DType::F32)?.to_vec2::<f32>()?;
        let next: Vec<u32> = rows
            .iter()
            .enumerate()
            .map(|(i, row)| {
                if done[i] {
                    stop.first().copied().unwrap_or(0)
                } else {
                    draw(row, cfg, &mut rng)
                }
            })
            .collect();
        for (i, &t) in next.iter().enumerate() {
            if !done[i] {
                out[i].push(t);
                done[i] = stop.contains(&t);
            }
        }
        if done.iter().all(|d| *d) || pos + 1 == limit {
            break;
        }
        let input = Tensor::new(next.as_slice(), &device)?.unsqueeze(1)?;
        last = step(model, &input, prompt.len() + pos, &mut caches)?;
    }
    Ok(out)
}

/// One forward step over `ids` `[chains, t]` at positions `offset..`, appending to the caches; returns
/// the last position's logits `[chains, vocab]`.
fn step(
    model: &Qwen,
    ids: &Tensor,
    offset: usize,
    caches: &mut [Cache],
) -> Result<Tensor, TrainError> {
    let cfg = &model.cfg;
    let (b, t) = ids.dims2()?;
    let (hd, nh, nkv) = (cfg.head_dim, cfg.num_attention_heads, cfg.num_key_value_heads);
    let eps = cfg.rms_norm_eps as f32;
    let device = ids.device();
    let (cos, sin) = model.rope.rows(offset, t, device)?;
    let rotate = |x: &Tensor| candle_nn::rotary_emb::rope(&x.contiguous()?, &cos, &sin);
    let mut x = model
        .embed
        .index_select(&ids.flatten_all()?, 0)?
        .reshape((b, t, cfg.hidden_size))?
        .to_dtype(DType::F32)?;
    let scale = 1.0 / (hd as f64).sqrt();
    let rep = nh / nkv;
    for (l, cache) in model.layers.iter().zip(caches.iter_mut()) {
        let h = rms_norm(&x, &l.input_norm.to_dtype(DType::F32)?, eps)?;
        let heads = |name: &str, n: usize, norm: &Option<Tensor>| -> candle_core::Result<Tensor> {
            let y = l.p(name).forward(&h, true)?.reshape((b, t, n, hd))?.transpose(1, 2)?;
            match norm {
                Some(g) => rotate(&rms_norm(&y, &g.to_dtype(DType::F32)?, eps)?),
                None => rotate(&y),
            }
        };
        let q = (heads("self_attn.q_proj", nh, &l.q_norm)? * scale)?;
        let k = heads("self_attn.k_proj", nkv, &l.k_norm)?;
        let v = l
            .p("self_attn.v_proj")
            .forward(&h, true)?
            .reshape((b, t, nkv, hd))?
            .transpose(1, 2)?
            .contiguous()?;
        let (k, v) = cache.append(&k.contiguous()?, &v)?;
        let q = q.reshape((b, nkv, rep * t, hd))?;
        let scores = q.matmul(&k.t()?)?;
        // The prompt attends causally among itself; a decoded token sees everything before it.
        let probs = if t > 1 {
            causal_softmax(&scores)?
        } else {
            candle_nn::ops::softmax_last_dim(&scores)?
        };
        let att =
            probs.matmul(&v)?.reshape((b, nh, t, hd))?.transpose(1, 2)?.reshape((b, t, nh * hd))?;
        x = (x + l.p("self_attn.o_proj").forward(&att, true)?)?;
        let h = rms_norm(&x, &l.post_norm.to_dtype(DType::F32)?, eps)?;
        let act = (l.p("mlp.gate_proj").forward(&h, true)?.silu()?
            * l.p("mlp.up_proj").forward(&h, true)?)?;
        x = (x + l.p("mlp.down_proj").forward(&act, true)?)?;
    }
    let last = x.narrow(1, t - 1, 1)?.squeeze(1)?;
    let last = rms_norm(&last, &model.norm.to_dtype(DType::F32)?, eps)?;
    Ok(model.logits(&last)?.detach())
}

/// A token drawn from one row of logits at the configured temperature and nucleus (greedy at 0).
fn draw(logits: &[f32], cfg: &SampleConfig, rng: &mut ChaCha8Rng) -> u32 {
    let argmax =
        || logits.iter().enumerate().max_by(|a, b| a.1.total_cmp(b.1)).map_or(0, |(i, _)| i as u32);
    if cfg.temperature <= 0.0 {
        return argmax();
    }
    let max = logits.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let mut probs: Vec<(u32, f64)> = logits
        .iter()
        .enumerate()
        .map(|(i, l)| (i as u32, (f64::from(l - max) / cfg.temperature).exp()))
        .collect();
    if cfg.top_p < 1.0 {
        probs.sort_by(|a, b| b.1.total_cmp(&a.1));
        let total: f64 = probs.iter().map(|p| p.1).sum();
        let mut acc = 0.0;
        let keep = probs.iter().position(|p| {
            acc += p.1 / total;
            acc >= cfg.top_p
        });
        probs.truncate(keep.map_or(probs.len(), |k| k + 1));
    }
    let total: f64 = probs.iter().map(|p| p.1).sum();
    let mut u = rng.random::<f64>() * total;
    for (id, p) in &probs {
        u -= p;
        if u <= 0.0 {
            return *id;
        }
    }
    probs.last().map_or_else(argmax, |p| p.0)
}

/// The last position's logits of `ids` (two tokens or more), read half as a prompt and then one token
/// at a time: how the cached decoder is checked against the training forward pass.
pub fn last_logits(model: &Qwen, ids: &[u32]) -> Result<Vec<f32>, TrainError> {
    if ids.len() < 2 {
        return Err(TrainError::Config("the check needs two tokens or more".into()));
    }
    let device: &Device = model.embed.device();
    let input = Tensor::new(ids, device)?.unsqueeze(0)?;
    let mut caches: Vec<Cache> =
        (0..model.layers.len()).map(|_| Cache::new(2, ids.len() + 1)).collect();
    let split = ids.len() / 2;
    let mut last = step(model, &input.narrow(1, 0, split)?, 0, &mut caches)?;
    for i in split..ids.len() {
        last = step(model, &input.narrow(1, i, 1)?, i, &mut caches)?;
    }
    Ok(last.squeeze(0)?.to_vec1::<f32>()?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::tests::tiny_config;
    use crate::model::Family;
    use candle_nn::VarMap;

    #[test]
    fn the_cached_decoder_matches_the_training_forward_pass() {
        for family in [Family::Qwen3, Family::Qwen2] {
            let model = Qwen::new(&tiny_config(family), &VarMap::new(), &Device::Cpu, 4).unwrap();
            let ids = [3u32, 9, 1, 7, 22, 5, 8];
            let cached = last_logits(&model, &ids).unwrap();
            let input = Tensor::new(&ids, &Device::Cpu).unwrap().unsqueeze(0).unwrap();
            let full =
                model.forward(&input).unwrap().squeeze(0).unwrap().get(ids.len() - 1).unwrap();
            let full = full.to_vec1::<f32>().unwrap();
            let diff = cached.iter().zip(&full).map(|(a, b)| (a - b).abs()).fold(0f32, f32::max);
            assert!(diff < 1e-4, "{family:?}: {diff}");
        }
    }

    #[test]
    fn groups_are_seeded_and_stop_at_the_end_token() {
        let model =
            Qwen::new(&tiny_config(Family::Qwen3), &VarMap::new(), &Device::Cpu, 4).unwrap();
        let cfg = SampleConfig { max_new_tokens: 40, ..SampleConfig::default() };
        let a = sample_group(&model, &[1, 2, 3], 4, &[7], &cfg, 11).unwrap();
        assert_eq!(a, sample_group(&model, &[1, 2, 3], 4, &[7], &cfg, 11).unwrap());
        assert_ne!(a, sample_group(&model, &[1, 2, 3], 4, &[7], &cfg, 12).unwrap());
        for chain in &a {
            let end = chain.iter().position(|t| *t == 7);
            assert!(end.map_or(chain.len() == 40, |e| e + 1 == chain.len()), "{chain:?}");
        }
        // Different chains of one group differ (temperature 1 on a random model).
        assert!(a.iter().any(|c| c != &a[0]));
    }
}
