//! Random-weight stand-ins for real checkpoints (`ponder-train init --shape qwen3-0.6b`): a published
//! shape, seeded weights in bf16, Hugging Face layout, and a tokenizer and chat template copied from a
//! model folder — what real weights would be, for everything but their knowledge, since they cannot be
//! downloaded here.

use std::path::Path;

use candle_core::DType;

use crate::arch::QwenConfig;
use crate::model::Qwen;
use crate::{weights, TrainError};

/// Writes a model of architecture `cfg` with weights drawn from `seed` into `out`, stored as `dtype`,
/// with the tokenizer, chat template and generation defaults of `tokenizer_from`. The config names
/// that tokenizer's end tokens.
pub fn write_random_model(
    cfg: &QwenConfig,
    seed: u64,
    dtype: DType,
    tokenizer_from: &Path,
    out: &Path,
) -> Result<(), TrainError> {
    let tok_path = tokenizer_from.join("tokenizer.json");
    let tok = tokenizers::Tokenizer::from_file(&tok_path).map_err(TrainError::tokenizer)?;
    if tok.get_vocab_size(true) > cfg.vocab_size {
        return Err(TrainError::Config(format!(
            "the tokenizer has {} tokens; the shape's vocabulary only {}",
            tok.get_vocab_size(true),
            cfg.vocab_size
        )));
    }
    let id = |t: &str| tok.token_to_id(t);
    let eos = id("<|im_end|>").or_else(|| id("<|endoftext|>")).unwrap_or(0);
    let bos = id("<|endoftext|>").unwrap_or(eos);
    let tensors = Qwen::initial_weights(cfg, seed, dtype)?;
    // A staging folder holding only the config, so the derived-folder writer can copy its files.
    let staging = tempfile::tempdir_in(
        out.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new(".")),
    )
    .map_err(TrainError::io(out))?;
    let config =
        serde_json::to_string_pretty(&cfg.to_hf_json(bos, eos, weights::torch_name(dtype)))
            .expect("json");
    let config_path = staging.path().join("config.json");
    std::fs::write(&config_path, config).map_err(TrainError::io(&config_path))?;
    for file in weights::COMPANION_FILES {
        let from = tokenizer_from.join(file);
        if from.is_file() {
            let to = staging.path().join(file);
            std::fs::copy(&from, &to).map_err(TrainError::io(&to))?;
        }
    }
    let card = format!(
        "# Random weights, {} shape\n\nSeed {seed}, {} parameters, {}. Made by `ponder-train init` as a stand-in \
         for a real checkpoint: it has the real shapes and memory, and knows nothing.\n",
        cfg.model_type.architecture(),
        cfg.parameter_count(),
        weights::torch_name(dtype)
    );
    let write = |path: &Path| -> Result<(), TrainError> {
        let mut names: Vec<&String> = tensors.keys().collect();
        names.sort();
        let shapes: Vec<(String, Vec<usize>)> =
            names.iter().map(|n| ((*n).clone(), tensors[*n].dims().to_vec())).collect();
        weights::write_safetensors(path, &shapes, dtype, &mut |i| Ok(tensors[names[i]].clone()))
    };
    weights::write_derived_folder(staging.path(), out, &write, dtype, &[("README.md", card)])
}
