//! The models Ponder offers to download — Qwen3 0.6B to 32B, QwQ-32B and the DeepSeek-R1 distills of
//! Qwen, as safetensors and as GGUF — each sized for this machine: the download, the memory it needs,
//! the decoding speed to expect, and whether it fits.
//!
//! Sizes come from the published parameter counts and shapes, not from the hub (the catalog works
//! offline); the download itself checks every byte against the hub's listing. Speed follows from
//! bandwidth: decoding reads every weight once per token, so tokens/s ≈ measured read bandwidth ÷
//! weight bytes × the share of that ceiling the engine reaches (measured in the peer benchmark).

use serde::Serialize;
use ts_rs::TS;

use crate::load_defaults::{quantized_share, CPU_QUANTIZATION, CPU_SMALL_QUANTIZATION};
use crate::machine::Machine;

/// How a catalog model's weights are stored on the hub.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Weights {
    /// A Hugging Face folder in bf16, quantized while loading on the CPU.
    Safetensors,
    /// One GGUF file of this quantization (`Q8_0`, `Q4_K_M`), matched by name in the repository.
    Gguf(&'static str),
}

/// One downloadable model.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CatalogModel {
    /// What people call it (`Qwen3-4B`).
    pub name: &'static str,
    /// The hub repository.
    pub repo: &'static str,
    /// How it is stored.
    pub weights: Weights,
    /// Parameters, as published.
    pub parameters: u64,
    /// Decoder layers, key/value heads and head size: the key/value cache per token.
    pub layers: u32,
    /// Key/value heads.
    pub kv_heads: u32,
    /// Size of a head.
    pub head_dim: u32,
}

/// Whether a model fits this machine.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum Fit {
    /// Needs at most 70% of the memory: room for the system and other programs.
    Fits,
    /// Needs 70–95%: loads, but other programs will be pushed out.
    Tight,
    /// Needs more than 95% of the memory.
    TooBig,
}

/// A catalog model sized for a machine.
#[derive(Clone, Debug, PartialEq)]
pub struct Offer {
    /// The model.
    pub model: CatalogModel,
    /// Bytes to download.
    pub download_bytes: u64,
    /// The precision it runs at here (`Q4K` for a folder quantized while loading on the CPU).
    pub runs_as: String,
    /// Memory needed while loading and answering (the larger), bytes.
    pub memory_bytes: u64,
    /// Tokens/s to expect while decoding (`None` on a GPU, whose bandwidth is not measured).
    pub tokens_per_second: Option<f64>,
    /// Against the memory that will hold it (the GPU's on a GPU).
    pub fit: Fit,
}

const fn model(
    name: &'static str,
    repo: &'static str,
    weights: Weights,
    millions: u64,
    (layers, kv_heads, head_dim): (u32, u32, u32),
) -> CatalogModel {
    CatalogModel {
        name,
        repo,
        weights,
        parameters: millions * 1_000_000,
        layers,
        kv_heads,
        head_dim,
    }
}

use Weights::{Gguf, Safetensors};

/// Published shapes: Qwen3 (28/28/36/36/40/64 layers, 8 key/value heads of 128), QwQ-32B (Qwen2.5-32B),
/// R1-Distill-Qwen-1.5B and 7B (Qwen2.5-Math), 14B (Qwen2.5-14B).
const QWEN3_0_6B: (u32, u32, u32) = (28, 8, 128);
const QWEN3_1_7B: (u32, u32, u32) = (28, 8, 128);
const QWEN3_4B: (u32, u32, u32) = (36, 8, 128);
const QWEN3_8B: (u32, u32, u32) = (36, 8, 128);
const QWEN3_14B: (u32, u32, u32) = (40, 8, 128);
const QWEN3_32B: (u32, u32, u32) = (64, 8, 128);
const QWQ_32B: (u32, u32, u32) = (64, 8, 128);
const R1_1_5B: (u32, u32, u32) = (28, 2, 128);
const R1_7B: (u32, u32, u32) = (28, 4, 128);
const R1_14B: (u32, u32, u32) = (48, 8, 128);

/// Every model offered, smallest first within each family.
pub const CATALOG: &[CatalogModel] = &[
    model("Qwen3-0.6B", "Qwen/Qwen3-0.6B", Safetensors, 596, QWEN3_0_6B),
    model("Qwen3-0.6B", "Qwen/Qwen3-0.6B-GGUF", Gguf("Q8_0"), 596, QWEN3_0_6B),
    model("Qwen3-1.7B", "Qwen/Qwen3-1.7B", Safetensors, 1_720, QWEN3_1_7B),
    model("Qwen3-1.7B", "Qwen/Qwen3-1.7B-GGUF", Gguf("Q8_0"), 1_720, QWEN3_1_7B),
    model("Qwen3-4B", "Qwen/Qwen3-4B", Safetensors, 4_020, QWEN3_4B),
    model("Qwen3-4B", "Qwen/Qwen3-4B-GGUF", Gguf("Q4_K_M"), 4_020, QWEN3_4B),
    model("Qwen3-4B", "Qwen/Qwen3-4B-GGUF", Gguf("Q8_0"), 4_020, QWEN3_4B),
    model("Qwen3-8B", "Qwen/Qwen3-8B", Safetensors, 8_190, QWEN3_8B),
    model("Qwen3-8B", "Qwen/Qwen3-8B-GGUF", Gguf("Q4_K_M"), 8_190, QWEN3_8B),
    model("Qwen3-8B", "Qwen/Qwen3-8B-GGUF", Gguf("Q8_0"), 8_190, QWEN3_8B),
    model("Qwen3-14B", "Qwen/Qwen3-14B", Safetensors, 14_770, QWEN3_14B),
    model("Qwen3-14B", "Qwen/Qwen3-14B-GGUF", Gguf("Q4_K_M"), 14_770, QWEN3_14B),
    model("Qwen3-32B", "Qwen/Qwen3-32B", Safetensors, 32_760, QWEN3_32B),
    model("Qwen3-32B", "Qwen/Qwen3-32B-GGUF", Gguf("Q4_K_M"), 32_760, QWEN3_32B),
    model("QwQ-32B", "Qwen/QwQ-32B", Safetensors, 32_760, QWQ_32B),
    model("QwQ-32B", "Qwen/QwQ-32B-GGUF", Gguf("Q4_K_M"), 32_760, QWQ_32B),
    model(
        "DeepSeek-R1-Distill-Qwen-1.5B",
        "deepseek-ai/DeepSeek-R1-Distill-Qwen-1.5B",
        Safetensors,
        1_780,
        R1_1_5B,
    ),
    model(
        "DeepSeek-R1-Distill-Qwen-1.5B",
        "unsloth/DeepSeek-R1-Distill-Qwen-1.5B-GGUF",
        Gguf("Q8_0"),
        1_780,
        R1_1_5B,
    ),
    model(
        "DeepSeek-R1-Distill-Qwen-7B",
        "deepseek-ai/DeepSeek-R1-Distill-Qwen-7B",
        Safetensors,
        7_620,
        R1_7B,
    ),
    model(
        "DeepSeek-R1-Distill-Qwen-7B",
        "unsloth/DeepSeek-R1-Distill-Qwen-7B-GGUF",
        Gguf("Q4_K_M"),
        7_620,
        R1_7B,
    ),
    model(
        "DeepSeek-R1-Distill-Qwen-14B",
        "deepseek-ai/DeepSeek-R1-Distill-Qwen-14B",
        Safetensors,
        14_770,
        R1_14B,
    ),
    model(
        "DeepSeek-R1-Distill-Qwen-14B",
        "unsloth/DeepSeek-R1-Distill-Qwen-14B-GGUF",
        Gguf("Q4_K_M"),
        14_770,
        R1_14B,
    ),
];

/// Bits per weight of a storage format, as llama.cpp's files come out (Q4_K_M keeps some tensors
/// at 6 bits; Q8_0 stores a 16-bit scale per 32 weights).
fn bits_per_weight(format: &str) -> f64 {
    match format {
        "BF16" | "F16" => 16.0,
        "Q8_0" => 8.5,
        "Q6_K" => 6.6,
        "Q5_K_M" => 5.7,
        "Q4_K_M" => 5.0,
        // mistral.rs's in-situ Q4K: 4.5 bits in 256-weight blocks.
        "Q4K" => 4.5,
        _ => 16.0,
    }
}

/// The context a working session is sized for: a long reasoning chain plus its question and answer.
pub const WORKING_CONTEXT: u64 = 8_192;
/// The runtime around the weights: activations, tokenizer, the app.
const OVERHEAD: u64 = 600 << 20;
/// The share of the bandwidth ceiling Ponder decodes at on the CPU: 15.8 of 58.5 tok/s for the
/// Qwen3-0.6B-shaped Q8_0 file (docs/benchmarks.md, "Against llama.cpp on the same file").
pub const CPU_DECODE_EFFICIENCY: f64 = 0.27;

impl CatalogModel {
    /// A stable key: the repository, and the quantization for a GGUF file.
    pub fn key(&self) -> String {
        match self.weights {
            Weights::Safetensors => self.repo.to_string(),
            Weights::Gguf(q) => format!("{}:{q}", self.repo),
        }
    }

    fn bytes_at(&self, format: &str) -> u64 {
        (self.parameters as f64 * bits_per_weight(format) / 8.0) as u64
    }

    /// The key/value cache of [`WORKING_CONTEXT`] tokens in 16-bit floats, bytes.
    fn kv_cache_bytes(&self) -> u64 {
        2 * u64::from(self.layers)
            * u64::from(self.kv_heads)
            * u64::from(self.head_dim)
            * 2
            * WORKING_CONTEXT
    }

    /// This model sized for `machine`, run on the GPU when `gpu` (and the machine has one).
    pub fn offer(&self, machine: &Machine, gpu: bool) -> Offer {
        let on_gpu = gpu && machine.gpu_memory.is_some();
        let download_bytes = match self.weights {
            Weights::Safetensors => self.bytes_at("BF16"),
            Weights::Gguf(q) => self.bytes_at(q),
        };
        let (runs_as, loading) = match self.weights {
            // The folder is read in bf16 and quantized as it loads: the bf16 weights bound the peak.
            Weights::Safetensors if !on_gpu => {
                // As the load will choose: Q8_0, or Q4K when Q8_0 would not fit.
                let q8 = download_bytes as f64 * quantized_share(CPU_QUANTIZATION);
                let q = if q8 <= 0.7 * machine.total_memory as f64 {
                    CPU_QUANTIZATION
                } else {
                    CPU_SMALL_QUANTIZATION
                };
                (q.name().to_string(), download_bytes)
            }
            Weights::Safetensors => ("BF16".to_string(), download_bytes),
            Weights::Gguf(q) => (q.to_string(), download_bytes),
        };
        let resident = self.bytes_at(&runs_as);
        let memory_bytes = resident.max(loading) + self.kv_cache_bytes() + OVERHEAD;
        let capacity = if on_gpu { machine.gpu_memory } else { Some(machine.total_memory) };
        let fit = match capacity {
            Some(c) if memory_bytes as f64 <= 0.7 * c as f64 => Fit::Fits,
            Some(c) if memory_bytes as f64 <= 0.95 * c as f64 => Fit::Tight,
            _ => Fit::TooBig,
        };
        let tokens_per_second =
            (!on_gpu).then(|| machine.read_bandwidth / resident as f64 * CPU_DECODE_EFFICIENCY);
        Offer { model: *self, download_bytes, runs_as, memory_bytes, tokens_per_second, fit }
    }
}

/// Every catalog model sized for `machine`.
pub fn offers(machine: &Machine, gpu: bool) -> Vec<Offer> {
    CATALOG.iter().map(|m| m.offer(machine, gpu)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn machine(gib: u64, bandwidth_gb: f64) -> Machine {
        Machine {
            total_memory: gib << 30,
            available_memory: gib << 30,
            physical_cores: 2,
            logical_cores: 2,
            read_bandwidth: bandwidth_gb * 1e9,
            gpu_memory: None,
        }
    }

    #[test]
    fn sizes_follow_the_published_files() {
        let q8 = CATALOG.iter().find(|m| m.key() == "Qwen/Qwen3-0.6B-GGUF:Q8_0").unwrap();
        let offer = q8.offer(&machine(24, 37.4), false);
        // Our own Q8_0 writer's file of this shape is 639,443,488 bytes (and Qwen's is 639 MB).
        assert!((offer.download_bytes as f64 / 639_443_488.0 - 1.0).abs() < 0.02, "{offer:?}");
        let folder = CATALOG.iter().find(|m| m.key() == "Qwen/Qwen3-0.6B").unwrap();
        let offer = folder.offer(&machine(24, 37.4), false);
        assert_eq!(offer.download_bytes, 1_192_000_000, "596 M bf16 weights");
        assert_eq!(offer.runs_as, "Q8_0", "quantized while loading on the CPU");
        let big = CATALOG.iter().find(|m| m.key() == "Qwen/Qwen3-32B").unwrap();
        assert_eq!(big.offer(&machine(40, 37.4), false).runs_as, "Q4K", "Q8_0 would take 35 GB");
    }

    #[test]
    fn fit_and_speed_follow_memory_and_bandwidth() {
        let small = machine(24, 37.4);
        let offers = offers(&small, false);
        let fit = |key: &str| offers.iter().find(|o| o.model.key() == key).unwrap().fit;
        assert_eq!(fit("Qwen/Qwen3-0.6B-GGUF:Q8_0"), Fit::Fits);
        assert_eq!(fit("Qwen/Qwen3-8B-GGUF:Q4_K_M"), Fit::Fits);
        assert_eq!(fit("Qwen/Qwen3-14B-GGUF:Q4_K_M"), Fit::Fits);
        assert_eq!(fit("Qwen/Qwen3-32B-GGUF:Q4_K_M"), Fit::Tight, "20 GB of weights in 24 GiB");
        let q4 = CATALOG.iter().find(|m| m.key() == "Qwen/Qwen3-32B-GGUF:Q4_K_M").unwrap();
        assert_eq!(q4.offer(&machine(16, 37.4), false).fit, Fit::TooBig);
        assert_eq!(fit("Qwen/QwQ-32B"), Fit::TooBig, "65 GB of bf16 to read while quantizing");

        let speed = |o: &Offer| o.tokens_per_second.unwrap();
        let tiny = offers.iter().find(|o| o.model.key() == "Qwen/Qwen3-0.6B-GGUF:Q8_0").unwrap();
        // The benchmark's own numbers: 58.5 tok/s ceiling on this file at 37.4 GB/s, 15.8 measured.
        assert!((speed(tiny) - 15.8).abs() < 1.5, "{tiny:?}");
        let fast = tiny.model.offer(&machine(24, 74.8), false);
        assert!((speed(&fast) / speed(tiny) - 2.0).abs() < 1e-9, "speed scales with bandwidth");

        let gpu = Machine { gpu_memory: Some(80 << 30), ..small };
        let on_gpu = CATALOG.iter().find(|m| m.key() == "Qwen/QwQ-32B").unwrap().offer(&gpu, true);
        assert_eq!((on_gpu.runs_as.as_str(), on_gpu.fit), ("BF16", Fit::Tight), "{on_gpu:?}");
        assert_eq!(on_gpu.tokens_per_second, None);
    }

    #[test]
    fn every_model_has_a_unique_key_and_a_hub_id() {
        let mut keys: Vec<_> = CATALOG.iter().map(CatalogModel::key).collect();
        keys.sort();
        keys.dedup();
        assert_eq!(keys.len(), CATALOG.len());
        assert!(CATALOG.iter().all(|m| crate::download::looks_like_hub_id(m.repo)));
    }
}
