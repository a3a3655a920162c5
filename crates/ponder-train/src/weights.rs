//! Reads a Hugging Face model folder's weights (one safetensors file or an index of shards, any float
//! dtype) and writes a trained model as a new folder beside the files it came with.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use candle_core::{DType, Device, Tensor};

use crate::TrainError;

/// The files besides the weights that a model folder carries and a derived folder keeps as they are:
/// tokenizer, chat template, generation defaults.
pub const COMPANION_FILES: [&str; 8] = [
    "tokenizer.json",
    "tokenizer_config.json",
    "generation_config.json",
    "chat_template.jinja",
    "chat_template.json",
    "special_tokens_map.json",
    "vocab.json",
    "merges.txt",
];

/// The safetensors files of `dir`: the shards its index names, else `model.safetensors`.
pub fn weight_files(dir: &Path) -> Result<Vec<PathBuf>, TrainError> {
    let index = dir.join("model.safetensors.index.json");
    if index.is_file() {
        let text = std::fs::read_to_string(&index).map_err(TrainError::io(&index))?;
        let value: serde_json::Value = serde_json::from_str(&text)
            .map_err(|e| TrainError::Corrupt { path: index.clone(), message: e.to_string() })?;
        let map = value["weight_map"].as_object().ok_or_else(|| TrainError::Corrupt {
            path: index.clone(),
            message: "no weight_map".into(),
        })?;
        let mut files: Vec<String> =
            map.values().filter_map(|v| v.as_str().map(str::to_string)).collect();
        files.sort();
        files.dedup();
        for f in &files {
            // A shard name is a plain file in this folder, never a path elsewhere.
            if f.contains('/') || f.contains('\\') || f.starts_with('.') {
                return Err(TrainError::Corrupt {
                    path: index.clone(),
                    message: format!("shard name {f:?}"),
                });
            }
        }
        return Ok(files.into_iter().map(|f| dir.join(f)).collect());
    }
    let single = dir.join("model.safetensors");
    if single.is_file() {
        return Ok(vec![single]);
    }
    Err(TrainError::Config(format!(
        "{} has no model.safetensors (or index of shards)",
        dir.display()
    )))
}

/// Every model tensor of `dir` (Hugging Face names), converted to `dtype`.
pub fn read_folder(
    dir: &Path,
    device: &Device,
    dtype: DType,
) -> Result<HashMap<String, Tensor>, TrainError> {
    let mut out = HashMap::new();
    for file in weight_files(dir)? {
        let tensors = candle_core::safetensors::load(&file, device)
            .map_err(|e| TrainError::Corrupt { path: file.clone(), message: e.to_string() })?;
        for (name, t) in tensors {
            // Older checkpoints also carry rotary tables; they are recomputed, not loaded.
            if name.contains("rotary_emb") {
                continue;
            }
            if !t.dtype().is_float() {
                return Err(TrainError::Corrupt {
                    path: file.clone(),
                    message: format!("{name} is {:?}", t.dtype()),
                });
            }
            out.insert(name, t.to_dtype(dtype)?);
        }
    }
    Ok(out)
}

/// The dtype `config.json` says the weights are stored in (`torch_dtype`, or transformers 5's `dtype`).
pub fn stored_dtype(dir: &Path) -> DType {
    let text = std::fs::read_to_string(dir.join("config.json")).unwrap_or_default();
    let value: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
    match value.get("torch_dtype").or_else(|| value.get("dtype")).and_then(|v| v.as_str()) {
        Some("bfloat16") => DType::BF16,
        Some("float16") => DType::F16,
        _ => DType::F32,
    }
}

/// transformers' name for a dtype.
pub fn torch_name(dtype: DType) -> &'static str {
    match dtype {
        DType::BF16 => "bfloat16",
        DType::F16 => "float16",
        _ => "float32",
    }
}

/// Writes `weights` as `out/model.safetensors` in `dtype`, `base`'s config (dtype updated) and its
/// companion files, so the folder loads wherever `base` did. Written under a temporary name and
/// renamed, so `out` is whole or absent.
pub fn write_derived_folder(
    base: &Path,
    out: &Path,
    weights: &HashMap<String, Tensor>,
    dtype: DType,
    extra: &[(&str, String)],
) -> Result<(), TrainError> {
    let parent = out.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    std::fs::create_dir_all(parent).map_err(TrainError::io(parent))?;
    if out.exists() {
        return Err(TrainError::Config(format!("{} already exists", out.display())));
    }
    let name = out.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let staging = parent.join(format!(".{name}.partial"));
    if staging.exists() {
        std::fs::remove_dir_all(&staging).map_err(TrainError::io(&staging))?;
    }
    std::fs::create_dir_all(&staging).map_err(TrainError::io(&staging))?;
    let cast: HashMap<String, Tensor> = weights
        .iter()
        .map(|(k, t)| Ok((k.clone(), t.to_dtype(dtype)?)))
        .collect::<Result<_, TrainError>>()?;
    candle_core::safetensors::save(&cast, staging.join("model.safetensors"))?;
    let config_path = base.join("config.json");
    let text = std::fs::read_to_string(&config_path).map_err(TrainError::io(&config_path))?;
    let mut config: serde_json::Value = serde_json::from_str(&text)
        .map_err(|e| TrainError::Corrupt { path: config_path.clone(), message: e.to_string() })?;
    config["torch_dtype"] = torch_name(dtype).into();
    if config.get("dtype").is_some() {
        config["dtype"] = torch_name(dtype).into();
    }
    let pretty = serde_json::to_string_pretty(&config).expect("json values serialise") + "\n";
    let target = staging.join("config.json");
    std::fs::write(&target, pretty).map_err(TrainError::io(&target))?;
    for file in COMPANION_FILES {
        let from = base.join(file);
        if from.is_file() {
            let to = staging.join(file);
            std::fs::copy(&from, &to).map_err(TrainError::io(&to))?;
        }
    }
    for (file, text) in extra {
        let to = staging.join(file);
        std::fs::write(&to, text).map_err(TrainError::io(&to))?;
    }
    std::fs::rename(&staging, out).map_err(TrainError::io(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_shards_named_by_the_index_and_refuses_paths_outside() {
        let dir = tempfile::tempdir().unwrap();
        let a =
            HashMap::from([("x".to_string(), Tensor::ones(3, DType::BF16, &Device::Cpu).unwrap())]);
        let b =
            HashMap::from([("y".to_string(), Tensor::zeros(2, DType::F32, &Device::Cpu).unwrap())]);
        candle_core::safetensors::save(&a, dir.path().join("model-00001-of-00002.safetensors"))
            .unwrap();
        candle_core::safetensors::save(&b, dir.path().join("model-00002-of-00002.safetensors"))
            .unwrap();
        let index = serde_json::json!({"weight_map": {
            "x": "model-00001-of-00002.safetensors", "y": "model-00002-of-00002.safetensors"}});
        std::fs::write(dir.path().join("model.safetensors.index.json"), index.to_string()).unwrap();
        let all = read_folder(dir.path(), &Device::Cpu, DType::F32).unwrap();
        assert_eq!(all.len(), 2);
        assert_eq!(all["x"].dtype(), DType::F32);

        let hostile = serde_json::json!({"weight_map": {"x": "../elsewhere.safetensors"}});
        std::fs::write(dir.path().join("model.safetensors.index.json"), hostile.to_string())
            .unwrap();
        assert!(matches!(weight_files(dir.path()), Err(TrainError::Corrupt { .. })));
    }
}
