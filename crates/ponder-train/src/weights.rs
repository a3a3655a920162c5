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

/// safetensors' name for a dtype.
fn safetensors_dtype(dtype: DType) -> &'static str {
    match dtype {
        DType::BF16 => "BF16",
        DType::F16 => "F16",
        _ => "F32",
    }
}

/// Writes a safetensors file whose tensors `shapes` names, in that order, asking `produce` for each
/// one only when its bytes are due, so memory holds one tensor at a time however large the model.
pub fn write_safetensors(
    path: &Path,
    shapes: &[(String, Vec<usize>)],
    dtype: DType,
    produce: &mut dyn FnMut(usize) -> Result<Tensor, TrainError>,
) -> Result<(), TrainError> {
    use std::io::Write;
    let width = dtype.size_in_bytes();
    let mut header = serde_json::Map::new();
    let mut offset = 0usize;
    for (name, shape) in shapes {
        let bytes = shape.iter().product::<usize>() * width;
        header.insert(
            name.clone(),
            serde_json::json!({"dtype": safetensors_dtype(dtype), "shape": shape, "data_offsets": [offset, offset + bytes]}),
        );
        offset += bytes;
    }
    let mut text = serde_json::to_string(&serde_json::Value::Object(header)).expect("json");
    // The data that follows starts on an 8-byte boundary, as the format recommends.
    while !text.len().is_multiple_of(8) {
        text.push(' ');
    }
    let file = std::fs::File::create(path).map_err(TrainError::io(path))?;
    let mut w = std::io::BufWriter::with_capacity(1 << 20, file);
    let io = TrainError::io(path);
    let result = (|| -> Result<(), std::io::Error> {
        w.write_all(&(text.len() as u64).to_le_bytes())?;
        w.write_all(text.as_bytes())
    })();
    result.map_err(io)?;
    for (i, (name, shape)) in shapes.iter().enumerate() {
        let t = produce(i)?.to_dtype(dtype)?;
        if t.dims() != shape.as_slice() {
            return Err(TrainError::Config(format!(
                "{name} came out as {:?}, not {shape:?}",
                t.dims()
            )));
        }
        let t = t.flatten_all()?;
        let bytes: Vec<u8> = match dtype {
            DType::BF16 => {
                t.to_vec1::<half::bf16>()?.iter().flat_map(|v| v.to_le_bytes()).collect()
            }
            DType::F16 => t.to_vec1::<half::f16>()?.iter().flat_map(|v| v.to_le_bytes()).collect(),
            _ => t
                .to_dtype(DType::F32)?
                .to_vec1::<f32>()?
                .iter()
                .flat_map(|v| v.to_le_bytes())
                .collect(),
        };
        w.write_all(&bytes).map_err(TrainError::io(path))?;
    }
    w.flush().map_err(TrainError::io(path))
}

/// How a derived folder's `model.safetensors` gets written (into the path given).
pub type WriteWeights<'a> = dyn Fn(&Path) -> Result<(), TrainError> + 'a;

/// Writes `out/model.safetensors` with `write_weights`, `base`'s config (dtype updated) and its
/// companion files, so the folder loads wherever `base` did. Written under a temporary name and
/// renamed, so `out` is whole or absent.
pub fn write_derived_folder(
    base: &Path,
    out: &Path,
    write_weights: &WriteWeights<'_>,
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
    write_weights(&staging.join("model.safetensors"))?;
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

        let shapes = vec![("a".to_string(), vec![2, 3]), ("b".to_string(), vec![1])];
        let values = [
            Tensor::arange(0f32, 6.0, &Device::Cpu).unwrap().reshape((2, 3)).unwrap(),
            Tensor::ones(1, DType::F32, &Device::Cpu).unwrap(),
        ];
        for dtype in [DType::BF16, DType::F32] {
            let file = dir.path().join("streamed.safetensors");
            write_safetensors(&file, &shapes, dtype, &mut |i| Ok(values[i].clone())).unwrap();
            let back = candle_core::safetensors::load(&file, &Device::Cpu).unwrap();
            assert_eq!(back["a"].dtype(), dtype);
            assert_eq!(
                back["a"].to_dtype(DType::F32).unwrap().to_vec2::<f32>().unwrap(),
                vec![vec![0., 1., 2.], vec![3., 4., 5.]]
            );
            assert_eq!(back["b"].dims(), &[1]);
        }

        let hostile = serde_json::json!({"weight_map": {"x": "../elsewhere.safetensors"}});
        std::fs::write(dir.path().join("model.safetensors.index.json"), hostile.to_string())
            .unwrap();
        assert!(matches!(weight_files(dir.path()), Err(TrainError::Corrupt { .. })));
    }
}
