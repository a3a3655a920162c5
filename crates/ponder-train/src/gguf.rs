//! Writes a Hugging Face Qwen3 or Qwen2 folder as a single GGUF file, the format llama.cpp and mistral.rs
//! read: llama.cpp tensor names, `qwen3.*` / `qwen2.*` hyper-parameters, and the tokenizer and chat template as
//! metadata. Ponder ships no GGUF; this exists so loading GGUF files is tested on a real one.

use std::collections::HashMap;
use std::path::Path;

use candle_core::quantized::gguf_file::{self, Value};
use candle_core::quantized::{GgmlDType, QTensor};
use candle_core::{DType, Device};

use crate::model::{Family, QwenConfig};
use crate::TrainError;

/// llama.cpp's name for a Hugging Face Qwen3 / Qwen2 tensor name.
pub fn gguf_tensor_name(hf: &str) -> Option<String> {
    match hf {
        "model.embed_tokens.weight" => return Some("token_embd.weight".into()),
        "model.norm.weight" => return Some("output_norm.weight".into()),
        "lm_head.weight" => return Some("output.weight".into()),
        _ => {}
    }
    let rest = hf.strip_prefix("model.layers.")?;
    let (layer, part) = rest.split_once('.')?;
    let part = match part {
        "input_layernorm.weight" => "attn_norm.weight",
        "post_attention_layernorm.weight" => "ffn_norm.weight",
        "self_attn.q_proj.weight" => "attn_q.weight",
        "self_attn.k_proj.weight" => "attn_k.weight",
        "self_attn.v_proj.weight" => "attn_v.weight",
        "self_attn.o_proj.weight" => "attn_output.weight",
        "self_attn.q_proj.bias" => "attn_q.bias",
        "self_attn.k_proj.bias" => "attn_k.bias",
        "self_attn.v_proj.bias" => "attn_v.bias",
        "self_attn.q_norm.weight" => "attn_q_norm.weight",
        "self_attn.k_norm.weight" => "attn_k_norm.weight",
        "mlp.gate_proj.weight" => "ffn_gate.weight",
        "mlp.up_proj.weight" => "ffn_up.weight",
        "mlp.down_proj.weight" => "ffn_down.weight",
        _ => return None,
    };
    Some(format!("blk.{layer}.{part}"))
}

fn read_json(path: &Path) -> Result<serde_json::Value, TrainError> {
    let text = std::fs::read_to_string(path).map_err(TrainError::io(path))?;
    serde_json::from_str(&text)
        .map_err(|e| TrainError::Corrupt { path: path.to_path_buf(), message: e.to_string() })
}

/// GGUF token types: 1 normal, 3 control (special), 4 user-defined (added, not special).
const NORMAL: i32 = 1;
const CONTROL: i32 = 3;
const USER_DEFINED: i32 = 4;

/// The vocabulary by id, each token's GGUF type, and the BPE merges, from a `tokenizer.json`.
fn tokenizer_metadata(path: &Path, vocab_size: usize) -> Result<(Value, Value, Value), TrainError> {
    let t = read_json(path)?;
    let corrupt = |m: &str| TrainError::Corrupt { path: path.to_path_buf(), message: m.into() };
    let mut tokens = vec![String::new(); vocab_size];
    let mut types = vec![NORMAL; vocab_size];
    let vocab = t["model"]["vocab"].as_object().ok_or_else(|| corrupt("no model.vocab"))?;
    for (token, id) in vocab {
        let id = id.as_u64().ok_or_else(|| corrupt("vocab id is not a number"))? as usize;
        if id < vocab_size {
            tokens[id] = token.clone();
        }
    }
    for added in t["added_tokens"].as_array().into_iter().flatten() {
        let (Some(id), Some(content)) = (added["id"].as_u64(), added["content"].as_str()) else {
            continue;
        };
        if (id as usize) < vocab_size {
            tokens[id as usize] = content.to_string();
            let special = added["special"].as_bool().unwrap_or(false);
            types[id as usize] = if special { CONTROL } else { USER_DEFINED };
        }
    }
    // tokenizers writes merges either as "a b" strings or as ["a", "b"] pairs.
    let merges: Vec<Value> = t["model"]["merges"]
        .as_array()
        .ok_or_else(|| corrupt("no model.merges"))?
        .iter()
        .filter_map(|m| match m {
            serde_json::Value::String(s) => Some(s.clone()),
            serde_json::Value::Array(pair) => {
                Some(format!("{} {}", pair[0].as_str()?, pair[1].as_str()?))
            }
            _ => None,
        })
        .map(Value::String)
        .collect();
    Ok((
        Value::Array(tokens.into_iter().map(Value::String).collect()),
        Value::Array(types.into_iter().map(Value::I32).collect()),
        Value::Array(merges),
    ))
}

/// Writes `model_dir` (config, f32 safetensors, tokenizer, chat template) as the GGUF file `out`, with
/// every tensor in `dtype` (`F32` keeps the weights exact; `Q8_0` is a quarter of the size).
pub fn export_gguf(model_dir: &Path, out: &Path, dtype: GgmlDType) -> Result<(), TrainError> {
    let cfg = QwenConfig::read(model_dir)?;
    let weights = model_dir.join("model.safetensors");
    let mut tensors = crate::weights::read_folder(model_dir, &Device::Cpu, DType::F32)?;
    if cfg.tie_word_embeddings {
        tensors.remove("lm_head.weight");
    }
    let mut named: Vec<(String, QTensor)> = Vec::new();
    for (hf, t) in &tensors {
        let name = gguf_tensor_name(hf).ok_or_else(|| TrainError::Corrupt {
            path: weights.clone(),
            message: format!("unexpected tensor {hf}"),
        })?;
        // Norm gains and other vectors stay f32: block formats need rows of 32+ values.
        let ty = if t.rank() == 1 { GgmlDType::F32 } else { dtype };
        named.push((name, QTensor::quantize(&t.to_dtype(DType::F32)?, ty)?));
    }
    named.sort_by(|a, b| a.0.cmp(&b.0));

    let tok_path = model_dir.join("tokenizer.json");
    let (tokens, types, merges) = tokenizer_metadata(&tok_path, cfg.vocab_size)?;
    let tc = read_json(&model_dir.join("tokenizer_config.json"))?;
    // The assistant-only-loss markers are for Hugging Face's trainers; GGUF readers (llama.cpp's
    // template engine among them) do not know the `generation` tag.
    let template = tc["chat_template"]
        .as_str()
        .unwrap_or_default()
        .replace("{% generation %}", "")
        .replace("{% endgeneration %}", "");
    let id_of = |token: &str| -> Option<u32> {
        let Value::Array(all) = &tokens else { return None };
        all.iter().position(|t| matches!(t, Value::String(s) if s == token)).map(|i| i as u32)
    };
    let eos = id_of("<|im_end|>").ok_or_else(|| TrainError::Corrupt {
        path: tok_path.clone(),
        message: "no <|im_end|> token".into(),
    })?;
    let pad = id_of("<|endoftext|>").unwrap_or(eos);

    let u32v = |v: usize| Value::U32(v as u32);
    let arch = match cfg.model_type {
        Family::Qwen2 => "qwen2",
        Family::Qwen3 => "qwen3",
    };
    let key = |k: &str| format!("{arch}.{k}");
    let name = model_dir.file_name().map_or("model".into(), |n| n.to_string_lossy().into_owned());
    let metadata: HashMap<String, Value> = HashMap::from([
        ("general.architecture".to_string(), Value::String(arch.into())),
        ("general.name".to_string(), Value::String(name)),
        (key("block_count"), u32v(cfg.num_hidden_layers)),
        (key("context_length"), u32v(cfg.max_position_embeddings)),
        (key("embedding_length"), u32v(cfg.hidden_size)),
        (key("feed_forward_length"), u32v(cfg.intermediate_size)),
        (key("attention.head_count"), u32v(cfg.num_attention_heads)),
        (key("attention.head_count_kv"), u32v(cfg.num_key_value_heads)),
        (key("attention.key_length"), u32v(cfg.head_dim)),
        (key("attention.value_length"), u32v(cfg.head_dim)),
        (key("attention.layer_norm_rms_epsilon"), Value::F32(cfg.rms_norm_eps as f32)),
        (key("rope.freq_base"), Value::F32(cfg.rope_theta as f32)),
        ("tokenizer.ggml.model".to_string(), Value::String("gpt2".into())),
        ("tokenizer.ggml.pre".to_string(), Value::String("qwen2".into())),
        ("tokenizer.ggml.tokens".to_string(), tokens.clone()),
        ("tokenizer.ggml.token_type".to_string(), types),
        ("tokenizer.ggml.merges".to_string(), merges),
        ("tokenizer.ggml.eos_token_id".to_string(), Value::U32(eos)),
        ("tokenizer.ggml.padding_token_id".to_string(), Value::U32(pad)),
        ("tokenizer.ggml.bos_token_id".to_string(), Value::U32(pad)),
        ("tokenizer.ggml.add_bos_token".to_string(), Value::Bool(false)),
        ("tokenizer.chat_template".to_string(), Value::String(template)),
    ]);
    let mut meta: Vec<(&str, &Value)> = metadata.iter().map(|(k, v)| (k.as_str(), v)).collect();
    meta.sort_by(|a, b| a.0.cmp(b.0));
    let refs: Vec<(&str, &QTensor)> = named.iter().map(|(n, t)| (n.as_str(), t)).collect();
    let mut file =
        std::io::BufWriter::new(std::fs::File::create(out).map_err(TrainError::io(out))?);
    gguf_file::write(&mut file, &meta, &refs)?;
    use std::io::Write;
    file.flush().map_err(TrainError::io(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tensor_names_follow_llama_cpp() {
        assert_eq!(gguf_tensor_name("model.embed_tokens.weight").unwrap(), "token_embd.weight");
        assert_eq!(
            gguf_tensor_name("model.layers.3.self_attn.k_norm.weight").unwrap(),
            "blk.3.attn_k_norm.weight"
        );
        assert_eq!(
            gguf_tensor_name("model.layers.0.mlp.down_proj.weight").unwrap(),
            "blk.0.ffn_down.weight"
        );
        assert!(gguf_tensor_name("model.layers.0.unknown").is_none());
    }
}
