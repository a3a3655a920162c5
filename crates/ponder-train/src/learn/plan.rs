//! What a learning run is asked to do: its settings, its data, and the memory it will need.

use serde::{Deserialize, Serialize};

use super::data::{PairExample, ReferenceExample, SftExample, ThumbExample};
use super::sample::SampleConfig;
use crate::arch::QwenConfig;
use crate::lora::LoraConfig;
use crate::methods::grpo::GrpoConfig;
use crate::methods::kto::KtoWeights;
use crate::methods::Method;

/// Every setting of a run. The same settings, data and base give the same model.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LearnSettings {
    /// The methods trained together (their batches interleaved), e.g. DPO and SFT.
    pub methods: Vec<Method>,
    /// LoRA adapters, or `None` to train every weight.
    pub lora: Option<LoraConfig>,
    /// Passes over the data (GRPO: over the questions).
    pub epochs: usize,
    /// Peak learning rate (after a short warm-up; cosine decay over the last half).
    pub learning_rate: f64,
    /// Padded tokens per batch (rows of SFT, pairs of DPO, answers of KTO).
    pub batch_tokens: usize,
    /// DPO's β.
    pub dpo_beta: f64,
    /// KTO's β and weights; `None` balances the thumbs of the data.
    pub kto: Option<KtoWeights>,
    /// GRPO's objective.
    pub grpo: GrpoConfig,
    /// Chains sampled per question.
    pub group: usize,
    /// Questions per GRPO step.
    pub questions_per_step: usize,
    /// How chains are sampled.
    pub sample: SampleConfig,
    /// Seed for order, adapters and sampling.
    pub seed: u64,
    /// Save a checkpoint every this many steps.
    pub checkpoint_every: usize,
}

impl LearnSettings {
    /// Settings that suit `methods` on a model of `parameters`: LoRA (rank 16) above 100 M
    /// parameters, full fine-tuning below, where adapters would hold most of the model anyway; three
    /// epochs (TRL's default too: a person's ratings are a few hundred examples).
    pub fn for_methods(methods: Vec<Method>, parameters: usize) -> Self {
        let lora = (parameters > 100_000_000).then(LoraConfig::default);
        let learning_rate = sized_rate(lora.is_some(), parameters);
        Self {
            methods,
            lora,
            epochs: 3,
            learning_rate,
            batch_tokens: 4096,
            dpo_beta: 0.1,
            kto: None,
            grpo: GrpoConfig::default(),
            group: 8,
            questions_per_step: 4,
            sample: SampleConfig::default(),
            seed: 1,
            checkpoint_every: 20,
        }
    }

    /// A stable description of everything that shapes the result (not `checkpoint_every`), so a run
    /// resumed under other settings is refused instead of mixing two runs.
    pub fn fingerprint(&self) -> String {
        let mut s = self.clone();
        s.checkpoint_every = 0;
        serde_json::to_string(&s).expect("plain settings")
    }
}

/// The peak rate for a model of `parameters`, training adapters or every weight.
pub fn sized_rate(adapters: bool, parameters: usize) -> f64 {
    if adapters {
        LORA_RATE
    } else {
        full_rate(parameters)
    }
}

/// The peak rate for LoRA adapters: ~10× full fine-tuning's (Hu et al.; TRL's recipes use 1e-4 vs
/// 1e-5).
pub const LORA_RATE: f64 = 1e-4;

/// The peak rate for fine-tuning every weight of a model of `parameters`: smaller models take larger
/// steps. Anchored at ponder-tiny (2 M: 1e-3, what the learning loop measured best; 5e-5 taught it a
/// third as much) and falling with the square root of the size, to 6e-5 at 0.5 B and 4.5e-5 at 1 B,
/// within the rates common for full fine-tuning there; never below 1e-5.
pub fn full_rate(parameters: usize) -> f64 {
    let size = parameters.max(1) as f64;
    (1e-3 * (2e6 / size).sqrt()).clamp(1e-5, 1e-3)
}

/// The examples of one run.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct LearnData {
    /// Answers to imitate (SFT).
    pub sft: Vec<SftExample>,
    /// Preferences (DPO).
    pub pairs: Vec<PairExample>,
    /// Thumbs (KTO).
    pub thumbs: Vec<ThumbExample>,
    /// Questions with references (GRPO).
    pub references: Vec<ReferenceExample>,
}

impl LearnData {
    /// How many examples each method would use.
    pub fn counts(&self) -> DataCounts {
        DataCounts {
            sft: self.sft.len(),
            pairs: self.pairs.len(),
            thumbs_up: self.thumbs.iter().filter(|t| t.label).count(),
            thumbs_down: self.thumbs.iter().filter(|t| !t.label).count(),
            references: self.references.len(),
        }
    }
}

/// Example counts, for cards and the Learn page.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct DataCounts {
    /// SFT answers.
    pub sft: usize,
    /// DPO pairs.
    pub pairs: usize,
    /// KTO thumbs up.
    pub thumbs_up: usize,
    /// KTO thumbs down.
    pub thumbs_down: usize,
    /// GRPO questions.
    pub references: usize,
}

/// What the data can teach, and the reason: pairs teach the most (DPO, with SFT on the good answers
/// so the chosen answers' likelihood does not fall, as RPO found); thumbs alone suit KTO; answers
/// alone SFT; questions with references alone GRPO.
pub fn default_methods(c: &DataCounts) -> (Vec<Method>, &'static str) {
    if c.pairs > 0 && c.sft > 0 {
        (
            vec![Method::Dpo, Method::Sft],
            "pairs and good answers: DPO on the pairs, SFT on the answers",
        )
    } else if c.pairs > 0 {
        (vec![Method::Dpo], "pairs of answers to the same question: DPO")
    } else if c.thumbs_up + c.thumbs_down > 0 && c.thumbs_up > 0 && c.thumbs_down > 0 {
        (vec![Method::Kto], "thumbs up and down without pairs: KTO")
    } else if c.sft > 0 {
        (vec![Method::Sft], "good answers only: SFT")
    } else if c.references > 0 {
        (vec![Method::Grpo], "questions with checkable answers only: GRPO")
    } else {
        (Vec::new(), "nothing rated yet")
    }
}

/// Bytes per weight of `base` as the trainer loads it for `s`: bf16 files stay bf16 under LoRA (frozen
/// weights are read as stored), anything else is read as f32.
pub fn stored_bytes_per_weight(base: &std::path::Path, s: &LearnSettings) -> usize {
    let bf16 = crate::weights::stored_dtype(base) == candle_core::DType::BF16;
    if bf16 && s.lora.is_some() {
        2
    } else {
        4
    }
}

/// A peak-memory estimate in bytes for a run on the CPU from a base stored with
/// `stored_bytes_per_weight`: the larger of loading (the file's tensors and their f32 copies) and
/// training — f32 weights (candle's CPU matmul has no bf16), trainable state (weights or adapters,
/// gradients, two AdamW moments), a frozen reference when full fine-tuning needs one, and one batch's
/// activations (per token: each layer's saved tensors and the attention rows; the logits three times
/// over). Writing streams one tensor at a time and adds nothing.
pub fn estimate_memory(
    cfg: &QwenConfig,
    s: &LearnSettings,
    stored_bytes_per_weight: usize,
    workers: usize,
) -> u64 {
    let params = cfg.parameter_count() as u64;
    let weights = params * 4;
    let (trainable, reference) = match &s.lora {
        Some(l) => {
            let per_layer: usize = crate::model::PROJECTIONS
                .iter()
                .filter(|p| l.applies_to(p))
                .map(|p| {
                    let (o, i) = projection_shape(cfg, p);
                    l.rank * (o + i)
                })
                .sum();
            ((per_layer * cfg.num_hidden_layers) as u64 * 16, 0)
        }
        None => {
            let needs_ref = s.methods.contains(&Method::Grpo) && s.grpo.beta != 0.0;
            (params * 12, if needs_ref { params * 4 } else { 0 })
        }
    };
    let d = cfg.hidden_size as u64;
    let per_token_layer = 4
        * (12 * d
            + 4 * cfg.intermediate_size as u64
            + (cfg.num_attention_heads * cfg.head_dim) as u64 * 3);
    // Attention probabilities are [heads, t, t]: quadratic in the row length.
    let row = s.batch_tokens.min(cfg.max_position_embeddings) as u64;
    let attention = 4 * 2 * cfg.num_attention_heads as u64 * row * row;
    let tokens = s.batch_tokens as u64;
    let activations = tokens * cfg.num_hidden_layers as u64 * per_token_layer
        + attention * cfg.num_hidden_layers as u64
        + tokens * cfg.vocab_size as u64 * 4 * 3;
    // Workers share a batch's rows, so together they hold one batch's activations; each also keeps
    // its own gradients of the trainable weights until they are summed.
    let gradients = (workers.max(1) as u64 - 1) * (trainable / 4);
    let loading = params * stored_bytes_per_weight as u64 + weights;
    let training = weights + trainable + reference + activations + gradients;
    loading.max(training) + (256 << 20)
}

fn projection_shape(cfg: &QwenConfig, projection: &str) -> (usize, usize) {
    let (d, q, kv, ff) = (
        cfg.hidden_size,
        cfg.num_attention_heads * cfg.head_dim,
        cfg.num_key_value_heads * cfg.head_dim,
        cfg.intermediate_size,
    );
    match projection {
        "self_attn.q_proj" => (q, d),
        "self_attn.k_proj" | "self_attn.v_proj" => (kv, d),
        "self_attn.o_proj" => (d, q),
        "mlp.gate_proj" | "mlp.up_proj" => (ff, d),
        _ => (d, ff),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_models_take_larger_steps_and_large_ones_train_adapters() {
        let tiny = LearnSettings::for_methods(vec![Method::Sft], 2_000_000);
        assert_eq!((tiny.learning_rate, tiny.lora.is_none(), tiny.epochs), (1e-3, true, 3));
        let mid = LearnSettings::for_methods(vec![Method::Sft], 60_000_000);
        assert!(mid.lora.is_none() && mid.learning_rate < 2e-4 && mid.learning_rate > 1e-4);
        let big = LearnSettings::for_methods(vec![Method::Sft], 600_000_000);
        assert_eq!((big.learning_rate, big.lora.map(|l| l.rank)), (1e-4, Some(16)));
        // Every weight of a large model (`--full`) at a full fine-tuning rate, never below 1e-5.
        assert!((5e-5..7e-5).contains(&full_rate(600_000_000)));
        assert_eq!(full_rate(70_000_000_000), 1e-5);
        assert_eq!(full_rate(0), 1e-3);
    }
}
