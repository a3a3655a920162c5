//! Where a model comes from, and checks that turn a broken folder into an error naming the bad file.

use std::io::Read;
use std::path::{Path, PathBuf};

use crate::budget::ThinkTags;
use crate::request::Sampling;
use crate::EngineError;

/// A model to load.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ModelSource {
    /// A folder in Hugging Face layout (`config.json`, `*.safetensors`, `tokenizer.json`, …).
    LocalDir(PathBuf),
    /// A single GGUF file (weights, tokenizer and chat template in one).
    Gguf(PathBuf),
    /// A model on a server speaking the OpenAI chat-completions protocol.
    Server(crate::served::ServerSource),
}

impl ModelSource {
    /// The bundled ponder-tiny folder of this source tree.
    pub fn bundled() -> Self {
        ModelSource::LocalDir(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../../models/ponder-tiny"),
        )
    }
}

fn read_json(path: &Path) -> Result<serde_json::Value, EngineError> {
    let text = std::fs::read_to_string(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => EngineError::MissingFile(path.to_path_buf()),
        _ => EngineError::CorruptFile { path: path.to_path_buf(), reason: e.to_string() },
    })?;
    serde_json::from_str(&text).map_err(|e| EngineError::CorruptFile {
        path: path.to_path_buf(),
        reason: format!("not valid JSON: {e}"),
    })
}

/// A tensor a weights file holds: the file, its name and its shape.
type TensorShape = (PathBuf, String, Vec<u64>);

/// Checks a safetensors file's header: 8-byte length, then that much JSON, within the file, and each
/// tensor's byte range matching its dtype and shape; returns the tensors' shapes.
fn check_safetensors(path: &Path) -> Result<Vec<TensorShape>, EngineError> {
    let corrupt = |reason: String| EngineError::CorruptFile { path: path.to_path_buf(), reason };
    let mut f =
        std::fs::File::open(path).map_err(|_| EngineError::MissingFile(path.to_path_buf()))?;
    let size = f.metadata().map_err(|e| corrupt(e.to_string()))?.len();
    let mut len = [0u8; 8];
    f.read_exact(&mut len).map_err(|_| corrupt("shorter than a safetensors header".into()))?;
    let header_len = u64::from_le_bytes(len);
    if header_len == 0 || header_len > size.saturating_sub(8) || header_len > 100_000_000 {
        return Err(corrupt("not a safetensors file (bad header length)".into()));
    }
    let mut header = vec![0u8; header_len as usize];
    f.read_exact(&mut header).map_err(|e| corrupt(e.to_string()))?;
    let header: serde_json::Value = serde_json::from_slice(&header)
        .map_err(|e| corrupt(format!("safetensors header is not JSON: {e}")))?;
    let data_len = size - 8 - header_len;
    let entries = header
        .as_object()
        .ok_or_else(|| corrupt("safetensors header is not a JSON object".into()))?;
    let needed = entries
        .iter()
        .filter_map(|(_, t)| t.get("data_offsets")?.get(1)?.as_u64())
        .max()
        .unwrap_or(0);
    if needed > data_len {
        return Err(corrupt(format!(
            "truncated: tensors need {needed} bytes, file has {data_len}"
        )));
    }
    let mut shapes = Vec::new();
    for (name, t) in entries.iter().filter(|(name, _)| *name != "__metadata__") {
        let dtype = t.get("dtype").and_then(|d| d.as_str()).unwrap_or("");
        let width = crate::model_checks::dtype_bytes(dtype)
            .ok_or_else(|| corrupt(format!("tensor `{name}` has unknown dtype {dtype:?}")))?;
        let shape: Option<Vec<u64>> = t
            .get("shape")
            .and_then(|s| s.as_array())
            .map(|s| s.iter().filter_map(|d| d.as_u64()).collect());
        let offsets: Option<Vec<u64>> = t
            .get("data_offsets")
            .and_then(|s| s.as_array())
            .map(|s| s.iter().filter_map(|d| d.as_u64()).collect());
        let (Some(shape), Some([start, end])) = (
            shape,
            offsets.as_deref().map(<[u64]>::to_vec).and_then(|o| <[u64; 2]>::try_from(o).ok()),
        ) else {
            return Err(corrupt(format!("tensor `{name}` has no valid shape and data offsets")));
        };
        let bytes = shape.iter().try_fold(width, |n, d| n.checked_mul(*d));
        if start > end || bytes != Some(end - start) {
            return Err(corrupt(format!(
                "tensor `{name}` ({dtype} {shape:?}) does not match its {} bytes at {start}..{end}",
                end.saturating_sub(start)
            )));
        }
        shapes.push((path.to_path_buf(), name.clone(), shape));
    }
    Ok(shapes)
}

/// The architectures Ponder runs (`config.json`'s `architectures`), with their `model_type`s.
pub const SUPPORTED_ARCHITECTURES: &[(&str, &str)] = &[
    ("Qwen2ForCausalLM", "qwen2"),
    ("Qwen3ForCausalLM", "qwen3"),
    ("Qwen3MoeForCausalLM", "qwen3_moe"),
];

/// GGUF's `general.architecture` names for the same architectures.
const GGUF_ARCHITECTURES: &[(&str, &str)] = &[
    ("qwen2", "Qwen2ForCausalLM"),
    ("qwen3", "Qwen3ForCausalLM"),
    ("qwen3moe", "Qwen3MoeForCausalLM"),
];

/// What a GGUF file's header says about the model in it.
pub(crate) struct GgufHeader {
    /// The Hugging Face architecture name.
    pub architecture: String,
    /// `tokenizer.chat_template`, or empty.
    pub chat_template: String,
    /// Ids of the thinking tags in `tokenizer.ggml.tokens`.
    pub tags: Option<ThinkTags>,
    /// The most common type of its matrices (`Q4K`, `Q8_0`, `F16`, …).
    pub weights_dtype: String,
}

/// Reads and checks a GGUF file's header: the magic number, a supported architecture, a tokenizer.
pub(crate) fn read_gguf(path: &Path) -> Result<GgufHeader, EngineError> {
    use candle_core::quantized::gguf_file::{Content, Value};
    // Every length in the header is checked against the file before candle allocates from it.
    crate::gguf_check::check_gguf(path)?;
    let corrupt = |reason: String| EngineError::CorruptFile { path: path.to_path_buf(), reason };
    let file = std::fs::File::open(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => EngineError::MissingFile(path.to_path_buf()),
        _ => corrupt(e.to_string()),
    })?;
    let content = Content::read(&mut std::io::BufReader::new(file))
        .map_err(|e| corrupt(format!("not a readable GGUF file: {e}")))?;
    let meta = &content.metadata;
    let text = |key: &str| meta.get(key).and_then(|v| v.to_string().ok()).cloned();
    let declared =
        text("general.architecture").ok_or_else(|| corrupt("no general.architecture".into()))?;
    let architecture = GGUF_ARCHITECTURES
        .iter()
        .find(|(g, _)| *g == declared)
        .map(|(_, hf)| hf.to_string())
        .ok_or_else(|| EngineError::UnsupportedArchitecture {
            path: path.to_path_buf(),
            found: declared,
        })?;
    let tokens = match meta.get("tokenizer.ggml.tokens") {
        Some(Value::Array(tokens)) => tokens,
        _ => return Err(corrupt("has no tokenizer (tokenizer.ggml.tokens)".into())),
    };
    let id_of = |tag: &str| {
        tokens.iter().position(|t| matches!(t, Value::String(s) if s == tag)).map(|i| i as u32)
    };
    let tags =
        id_of("<think>").zip(id_of("</think>")).map(|(open, close)| ThinkTags { open, close });
    let chat_template = text("tokenizer.chat_template").unwrap_or_default();
    let mut counts: std::collections::BTreeMap<String, usize> = Default::default();
    for info in content.tensor_infos.values().filter(|i| i.shape.rank() == 2) {
        *counts.entry(format!("{:?}", info.ggml_dtype)).or_default() += 1;
    }
    let weights_dtype =
        counts.into_iter().max_by_key(|(_, n)| *n).map(|(t, _)| t).unwrap_or_else(|| "?".into());
    Ok(GgufHeader { architecture, chat_template, tags, weights_dtype })
}

/// The architecture `config.json` declares, if it is one Ponder runs.
fn check_architecture(config: &serde_json::Value, path: &Path) -> Result<String, EngineError> {
    let declared = config.get("architectures").and_then(|a| a.get(0)).and_then(|a| a.as_str());
    let model_type = config.get("model_type").and_then(|t| t.as_str());
    let found = SUPPORTED_ARCHITECTURES.iter().find(|(arch, ty)| {
        declared == Some(*arch) || (declared.is_none() && model_type == Some(*ty))
    });
    match (found, declared.or(model_type)) {
        (Some((arch, _)), _) => Ok(arch.to_string()),
        (None, Some(other)) => Err(EngineError::UnsupportedArchitecture {
            path: path.to_path_buf(),
            found: other.to_string(),
        }),
        (None, None) => Err(EngineError::CorruptFile {
            path: path.to_path_buf(),
            reason: "names no architecture (expected `architectures` or `model_type`)".into(),
        }),
    }
}

/// Verifies that `dir` holds a loadable model of a supported architecture, naming the first missing or
/// corrupt file; returns the architecture.
pub fn validate_model_dir(dir: &Path) -> Result<String, EngineError> {
    if !dir.is_dir() {
        return Err(EngineError::MissingFile(dir.to_path_buf()));
    }
    let config_path = dir.join("config.json");
    let config = read_json(&config_path)?;
    let architecture = check_architecture(&config, &config_path)?;
    read_json(&dir.join("tokenizer.json"))?;
    let tc = dir.join("tokenizer_config.json");
    if tc.exists() {
        read_json(&tc)?;
    }
    let mut weights: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| EngineError::CorruptFile { path: dir.to_path_buf(), reason: e.to_string() })?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "safetensors"))
        .collect();
    weights.sort();
    if weights.is_empty() {
        return Err(EngineError::MissingFile(dir.join("model.safetensors")));
    }
    crate::model_checks::check_config(&config, &config_path)?;
    let mut tensors = Vec::new();
    for w in &weights {
        tensors.extend(check_safetensors(w)?);
    }
    crate::model_checks::check_shapes(&config, &config_path, &tensors)?;
    Ok(architecture)
}

/// [`validate_model_dir`], and the tokenizer parsed by the library the engine reads it with: what a
/// load checks before mistral.rs is given the folder. Reads files: call it off the async runtime.
pub fn check_model_dir(dir: &Path) -> Result<String, EngineError> {
    let architecture = validate_model_dir(dir)?;
    crate::model_checks::check_tokenizer(&dir.join("tokenizer.json"))?;
    Ok(architecture)
}

/// The ids of `<think>` and `</think>` in the folder's tokenizer, if it has both as single tokens.
pub(crate) fn think_tags(dir: &Path) -> Result<Option<ThinkTags>, EngineError> {
    let tokenizer = read_json(&dir.join("tokenizer.json"))?;
    let id_of = |tag: &str| -> Option<u32> {
        let added = tokenizer.get("added_tokens")?.as_array()?;
        let from_added =
            added.iter().find(|t| t.get("content").and_then(|c| c.as_str()) == Some(tag));
        from_added
            .and_then(|t| t.get("id")?.as_u64())
            .or_else(|| tokenizer.get("model")?.get("vocab")?.get(tag)?.as_u64())
            .map(|id| id as u32)
    };
    Ok(id_of("<think>").zip(id_of("</think>")).map(|(open, close)| ThinkTags { open, close }))
}

/// The chat template text (all named variants joined), from `chat_template.jinja` or
/// `tokenizer_config.json`; empty when the folder has none.
pub(crate) fn chat_template(dir: &Path) -> Result<String, EngineError> {
    let jinja = dir.join("chat_template.jinja");
    if jinja.exists() {
        return std::fs::read_to_string(&jinja)
            .map_err(|e| EngineError::CorruptFile { path: jinja.clone(), reason: e.to_string() });
    }
    let path = dir.join("tokenizer_config.json");
    if !path.exists() {
        return Ok(String::new());
    }
    Ok(match read_json(&path)?.get("chat_template") {
        Some(serde_json::Value::String(t)) => t.clone(),
        Some(serde_json::Value::Array(named)) => {
            named.iter().filter_map(|n| n.get("template")?.as_str()).collect::<Vec<_>>().join("\n")
        }
        _ => String::new(),
    })
}

/// Sampling defaults from the folder's `generation_config.json` (Qwen publishes its recommended values
/// there); empty when the file is absent.
pub(crate) fn generation_defaults(dir: &Path) -> Result<Sampling, EngineError> {
    let path = dir.join("generation_config.json");
    if !path.exists() {
        return Ok(Sampling::default());
    }
    let g = read_json(&path)?;
    let greedy = g.get("do_sample").and_then(|v| v.as_bool()) == Some(false);
    if greedy {
        return Ok(Sampling::greedy());
    }
    Ok(Sampling {
        temperature: g.get("temperature").and_then(|v| v.as_f64()),
        top_k: g.get("top_k").and_then(|v| v.as_u64()).map(|k| k as usize),
        top_p: g.get("top_p").and_then(|v| v.as_f64()),
        min_p: g.get("min_p").and_then(|v| v.as_f64()),
        presence_penalty: None,
        repetition_penalty: g.get("repetition_penalty").and_then(|v| v.as_f64()).map(|v| v as f32),
        // `generation_config.json` carries HF's `no_repeat_ngram_size` too.
        no_repeat_ngram_size: g
            .get("no_repeat_ngram_size")
            .and_then(|v| v.as_u64())
            .map(|n| n as usize)
            .filter(|n| *n > 0),
        ..Sampling::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn folder(files: &[(&str, &[u8])]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        for (name, body) in files {
            std::fs::write(dir.path().join(name), body).unwrap();
        }
        dir
    }

    const CONFIG: &[u8] =
        br#"{"architectures": ["Qwen3ForCausalLM"], "vocab_size": 8, "hidden_size": 4,
        "intermediate_size": 8, "num_hidden_layers": 1, "num_attention_heads": 2,
        "max_position_embeddings": 64}"#;

    fn safetensors(declared: u64, actual: usize) -> Vec<u8> {
        let header =
            format!(r#"{{"w":{{"dtype":"F32","shape":[2],"data_offsets":[0,{declared}]}}}}"#);
        let mut out = (header.len() as u64).to_le_bytes().to_vec();
        out.extend(header.as_bytes());
        out.extend(vec![0u8; actual]);
        out
    }

    #[test]
    fn a_complete_folder_passes() {
        let w = safetensors(8, 8);
        let dir = folder(&[
            ("config.json", CONFIG),
            ("tokenizer.json", b"{}"),
            ("model.safetensors", &w),
        ]);
        validate_model_dir(dir.path()).unwrap();
    }

    #[test]
    fn each_problem_names_its_file() {
        let w = safetensors(8, 8);
        type Files<'a> = Vec<(&'a str, &'a [u8])>;
        let cases: Vec<(Files, &str)> = vec![
            (vec![("tokenizer.json", b"{}"), ("model.safetensors", &w)], "config.json"),
            (
                vec![("config.json", b"{"), ("tokenizer.json", b"{}"), ("model.safetensors", &w)],
                "config.json",
            ),
            (vec![("config.json", CONFIG), ("model.safetensors", &w)], "tokenizer.json"),
            (vec![("config.json", CONFIG), ("tokenizer.json", b"{}")], "model.safetensors"),
            (
                vec![
                    ("config.json", CONFIG),
                    ("tokenizer.json", b"{}"),
                    ("model.safetensors", b"abc"),
                ],
                "model.safetensors",
            ),
        ];
        for (files, culprit) in cases {
            let dir = folder(&files);
            let err = validate_model_dir(dir.path()).unwrap_err().to_string();
            assert!(err.contains(culprit), "{err} should name {culprit}");
        }
    }

    #[test]
    fn an_unsupported_architecture_is_named() {
        let w = safetensors(8, 8);
        let dir = folder(&[
            ("config.json", br#"{"architectures": ["BertModel"]}"#),
            ("tokenizer.json", b"{}"),
            ("model.safetensors", &w),
        ]);
        let err = validate_model_dir(dir.path()).unwrap_err().to_string();
        assert!(err.contains("BertModel") && err.contains("config.json"), "{err}");
        let by_type = folder(&[
            (
                "config.json",
                br#"{"model_type": "qwen2", "vocab_size": 8, "hidden_size": 4, "intermediate_size": 8,
                    "num_hidden_layers": 1, "num_attention_heads": 2, "max_position_embeddings": 64}"#,
            ),
            ("tokenizer.json", b"{}"),
            ("model.safetensors", &w),
        ]);
        assert_eq!(validate_model_dir(by_type.path()).unwrap(), "Qwen2ForCausalLM");
    }

    #[test]
    fn think_tags_and_template_are_read_from_the_tokenizer_files() {
        let dir = folder(&[
            (
                "tokenizer.json",
                br#"{"added_tokens": [{"id": 7, "content": "<think>"}, {"id": 8, "content": "</think>"}]}"#,
            ),
            ("tokenizer_config.json", br#"{"chat_template": "{{ '<think>' }}"}"#),
        ]);
        assert_eq!(think_tags(dir.path()).unwrap(), Some(ThinkTags { open: 7, close: 8 }));
        assert_eq!(chat_template(dir.path()).unwrap(), "{{ '<think>' }}");
        let plain = folder(&[("tokenizer.json", br#"{"added_tokens": []}"#)]);
        assert_eq!(think_tags(plain.path()).unwrap(), None);
        assert_eq!(chat_template(plain.path()).unwrap(), "");
    }

    #[test]
    fn truncated_weights_are_caught() {
        let w = safetensors(4096, 8);
        let dir = folder(&[
            ("config.json", CONFIG),
            ("tokenizer.json", b"{}"),
            ("model.safetensors", &w),
        ]);
        let err = validate_model_dir(dir.path()).unwrap_err().to_string();
        assert!(err.contains("truncated"), "{err}");
    }

    #[test]
    fn generation_config_supplies_sampling_defaults() {
        let dir = folder(&[(
            "generation_config.json",
            br#"{"do_sample": true, "temperature": 0.6, "top_k": 20, "top_p": 0.95}"#,
        )]);
        let s = generation_defaults(dir.path()).unwrap();
        assert_eq!((s.temperature, s.top_k, s.top_p), (Some(0.6), Some(20), Some(0.95)));
        let greedy = folder(&[("generation_config.json", br#"{"do_sample": false}"#)]);
        assert_eq!(generation_defaults(greedy.path()).unwrap(), Sampling::greedy());
    }
}
