//! Checks of a model folder's contents against sane bounds before mistral.rs sizes anything from them.
//!
//! mistral.rs trusts `config.json`: `max_position_embeddings` sizes the rotary tables, `vocab_size` and
//! `hidden_size` the embedding, and so on; a stranger's file with absurd values makes it allocate
//! without limit or divide by zero. Each value here is checked against a bound far above any real Qwen
//! model, the weights' shapes against the config, and the tokenizer is parsed by the same library the
//! engine uses, so a bad file is an error naming the file and the value instead of a crash.

use std::path::Path;

use crate::EngineError;

/// `config.json` integers and their inclusive bounds (a real Qwen model is well inside each).
const BOUNDS: &[(&str, u64, u64, bool)] = &[
    // (key, min, max, required)
    ("vocab_size", 2, 1 << 22, true),
    ("hidden_size", 1, 1 << 16, true),
    ("intermediate_size", 1, 1 << 18, true),
    ("num_hidden_layers", 1, 1 << 10, true),
    ("num_attention_heads", 1, 1 << 10, true),
    ("num_key_value_heads", 1, 1 << 10, false),
    ("head_dim", 1, 1 << 12, false),
    ("max_position_embeddings", 1, 1 << 21, true),
    ("sliding_window", 1, 1 << 21, false),
    ("max_window_layers", 0, 1 << 10, false),
    ("num_experts", 1, 1 << 12, false),
    ("num_experts_per_tok", 1, 1 << 8, false),
    ("moe_intermediate_size", 1, 1 << 18, false),
];

/// The largest `tokenizer.json` accepted (Qwen's is about 11 MB).
const MAX_TOKENIZER_BYTES: u64 = 256 << 20;

fn bad(path: &Path, reason: String) -> EngineError {
    EngineError::CorruptFile { path: path.to_path_buf(), reason }
}

/// Checks `config` (read from `path`) against [`BOUNDS`] and for consistency between head counts.
pub(crate) fn check_config(config: &serde_json::Value, path: &Path) -> Result<(), EngineError> {
    let get = |key: &str| config.get(key).filter(|v| !v.is_null());
    for (key, min, max, required) in BOUNDS {
        let Some(value) = get(key) else {
            if *required {
                return Err(bad(path, format!("has no `{key}`")));
            }
            continue;
        };
        let n = value
            .as_u64()
            .ok_or_else(|| bad(path, format!("`{key}` = {value} is not a whole number")))?;
        if n < *min || n > *max {
            return Err(bad(
                path,
                format!("`{key}` = {n} is outside the sane range {min}..={max}"),
            ));
        }
    }
    for key in ["rope_theta", "rms_norm_eps"] {
        if let Some(value) = get(key) {
            let x = value.as_f64().filter(|x| x.is_finite() && *x > 0.0);
            if x.is_none() {
                return Err(bad(path, format!("`{key}` = {value} is not a positive number")));
            }
        }
    }
    let n = |key: &str| get(key).and_then(|v| v.as_u64());
    let heads = n("num_attention_heads").unwrap_or(1);
    let kv = n("num_key_value_heads").unwrap_or(heads);
    if heads % kv != 0 {
        return Err(bad(
            path,
            format!(
                "`num_attention_heads` = {heads} is not a multiple of `num_key_value_heads` = {kv}"
            ),
        ));
    }
    let hidden = n("hidden_size").unwrap_or(0);
    if n("head_dim").is_none() && hidden % heads != 0 {
        return Err(bad(
            path,
            format!("`hidden_size` = {hidden} does not divide into {heads} attention heads"),
        ));
    }
    Ok(())
}

/// Checks the token embedding (and output head) in the weights against the config's sizes.
pub(crate) fn check_shapes(
    config: &serde_json::Value,
    config_path: &Path,
    tensors: &[(std::path::PathBuf, String, Vec<u64>)],
) -> Result<(), EngineError> {
    let n = |key: &str| config.get(key).and_then(|v| v.as_u64()).unwrap_or(0);
    let (vocab, hidden) = (n("vocab_size"), n("hidden_size"));
    for (file, name, shape) in tensors {
        if name == "model.embed_tokens.weight" || name == "lm_head.weight" {
            // In-situ quantized or sharded checkpoints still store these whole.
            if shape.as_slice() != [vocab, hidden] {
                return Err(bad(
                    file,
                    format!(
                        "`{name}` has shape {shape:?}, but {} declares vocab_size {vocab} and hidden_size {hidden}",
                        config_path.display()
                    ),
                ));
            }
        }
    }
    Ok(())
}

/// Parses `tokenizer.json` with the tokenizer library mistral.rs uses.
pub(crate) fn check_tokenizer(path: &Path) -> Result<(), EngineError> {
    let len =
        std::fs::metadata(path).map_err(|_| EngineError::MissingFile(path.to_path_buf()))?.len();
    if len > MAX_TOKENIZER_BYTES {
        return Err(bad(
            path,
            format!("is {len} bytes; a tokenizer is at most {MAX_TOKENIZER_BYTES}"),
        ));
    }
    tokenizers::Tokenizer::from_file(path)
        .map(|_| ())
        .map_err(|e| bad(path, format!("is not a tokenizer the engine can read: {e}")))
}

/// Bytes per element of a safetensors dtype.
pub(crate) fn dtype_bytes(dtype: &str) -> Option<u64> {
    Some(match dtype {
        "BOOL" | "U8" | "I8" | "F8_E4M3" | "F8_E5M2" => 1,
        "U16" | "I16" | "F16" | "BF16" => 2,
        "U32" | "I32" | "F32" => 4,
        "U64" | "I64" | "F64" => 8,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn qwen3() -> serde_json::Value {
        json!({"vocab_size": 151936, "hidden_size": 1024, "intermediate_size": 3072,
               "num_hidden_layers": 28, "num_attention_heads": 16, "num_key_value_heads": 8,
               "head_dim": 128, "max_position_embeddings": 40960, "rope_theta": 1000000.0,
               "rms_norm_eps": 1e-6})
    }

    #[test]
    fn a_real_shape_passes_and_absurd_values_are_named() {
        let p = Path::new("/m/config.json");
        check_config(&qwen3(), p).unwrap();
        for (key, value, says) in [
            (
                "max_position_embeddings",
                json!(1_000_000_000_000u64),
                "max_position_embeddings` = 1000000000000",
            ),
            ("hidden_size", json!(0), "hidden_size` = 0"),
            ("vocab_size", json!(-5), "not a whole number"),
            ("num_hidden_layers", json!("28"), "not a whole number"),
            ("rope_theta", json!(-1.0), "rope_theta"),
            ("num_key_value_heads", json!(3), "not a multiple"),
        ] {
            let mut c = qwen3();
            c[key] = value;
            let e = check_config(&c, p).unwrap_err().to_string();
            assert!(e.contains(says) && e.contains("/m/config.json"), "{key}: {e}");
        }
        let mut c = qwen3();
        c.as_object_mut().unwrap().remove("vocab_size");
        assert!(check_config(&c, p).unwrap_err().to_string().contains("has no `vocab_size`"));
    }

    #[test]
    fn the_embedding_must_match_the_config() {
        let p = Path::new("/m/config.json");
        let w = std::path::PathBuf::from("/m/model.safetensors");
        let ok = vec![(w.clone(), "model.embed_tokens.weight".to_string(), vec![151936, 1024])];
        check_shapes(&qwen3(), p, &ok).unwrap();
        let off = vec![(w, "model.embed_tokens.weight".to_string(), vec![1000, 1024])];
        let e = check_shapes(&qwen3(), p, &off).unwrap_err().to_string();
        assert!(e.contains("model.safetensors") && e.contains("vocab_size 151936"), "{e}");
    }
}
