//! Writes the trained model as a Hugging Face folder: config, weights, tokenizer, chat template, card.

use std::collections::HashMap;
use std::path::Path;

use candle_core::Tensor;
use candle_nn::VarMap;
use tokenizers::Tokenizer;

use crate::model::QwenConfig;
use crate::template::CHAT_TEMPLATE;
use crate::tokenizer::{token_id, SPECIAL_TOKENS, THINK_TOKENS};
use crate::train::TrainReport;
use crate::TrainError;

/// Marks the model card section that evaluation rewrites with measured accuracy.
pub const EVAL_BEGIN: &str = "<!-- eval:begin -->";
/// End of that section.
pub const EVAL_END: &str = "<!-- eval:end -->";

/// The command that rebuilds the bundled model, as printed in its card.
pub const BUILD_COMMAND: &str = "cargo run -p ponder-train -- build --out models/ponder-tiny";

fn write(path: &Path, text: &str) -> Result<(), TrainError> {
    std::fs::write(path, text).map_err(TrainError::io(path))
}

fn json(v: &serde_json::Value) -> String {
    serde_json::to_string_pretty(v).expect("json values serialise") + "\n"
}

/// Writes every file mistral.rs (or transformers) needs into `out`.
pub fn write_model(
    out: &Path,
    cfg: &QwenConfig,
    vars: &VarMap,
    tok: &Tokenizer,
    report: &TrainReport,
) -> Result<(), TrainError> {
    std::fs::create_dir_all(out).map_err(TrainError::io(out))?;
    let im_end = token_id(tok, "<|im_end|>")?;
    let eot = token_id(tok, "<|endoftext|>")?;
    write(&out.join("config.json"), &json(&cfg.to_hf_json(eot, im_end, "float32")))?;

    let weights: HashMap<String, Tensor> = vars
        .data()
        .lock()
        .expect("not poisoned")
        .iter()
        .map(|(k, v)| (k.clone(), v.as_tensor().clone()))
        .collect();
    candle_core::safetensors::save(&weights, out.join("model.safetensors"))?;
    tok.save(out.join("tokenizer.json"), true).map_err(TrainError::tokenizer)?;

    let mut added = serde_json::Map::new();
    for t in SPECIAL_TOKENS.iter().chain(THINK_TOKENS.iter()) {
        let special = SPECIAL_TOKENS.contains(t);
        added.insert(
            token_id(tok, t)?.to_string(),
            serde_json::json!({"content": t, "lstrip": false, "normalized": false, "rstrip": false, "single_word": false, "special": special}),
        );
    }
    let tokenizer_config = serde_json::json!({
        "add_bos_token": false,
        "add_prefix_space": false,
        "added_tokens_decoder": added,
        "bos_token": null,
        "chat_template": CHAT_TEMPLATE,
        "clean_up_tokenization_spaces": false,
        "eos_token": "<|im_end|>",
        "errors": "replace",
        "model_max_length": cfg.max_position_embeddings,
        "pad_token": "<|endoftext|>",
        "split_special_tokens": false,
        "tokenizer_class": "Qwen2Tokenizer",
        "unk_token": null
    });
    write(&out.join("tokenizer_config.json"), &json(&tokenizer_config))?;

    // Qwen3's recommended thinking-mode sampling; the app switches to 0.7 / 0.8 when thinking is off.
    let generation = serde_json::json!({
        "bos_token_id": eot,
        "eos_token_id": [im_end, eot],
        "pad_token_id": eot,
        "do_sample": true,
        "temperature": 0.6,
        "top_k": 20,
        "top_p": 0.95,
        "min_p": 0.0,
        "transformers_version": "4.51.0"
    });
    write(&out.join("generation_config.json"), &json(&generation))?;
    // New weights make any earlier measurement stale, so the card starts without one.
    write(&out.join("README.md"), &model_card(cfg, report))
}

/// Replaces the evaluation section of a model card with `body`.
pub fn replace_eval_section(card: &str, body: &str) -> Option<String> {
    let start = card.find(EVAL_BEGIN)? + EVAL_BEGIN.len();
    let end = card.find(EVAL_END)?;
    Some(format!("{}\n{}\n{}", &card[..start], body.trim(), &card[end..]))
}

fn model_card(cfg: &QwenConfig, r: &TrainReport) -> String {
    let eval = "Not measured yet: run `cargo run -p ponder-cli -- eval --write-card`.";
    format!(
        r#"---
license: apache-2.0
language: [en, zh]
pipeline_tag: text-generation
tags: [qwen3, reasoning, arithmetic, ponder]
---

# ponder-tiny

A {params:.1} M-parameter model with the **Qwen3 architecture** (`Qwen3ForCausalLM`, grouped-query
attention with q/k RMSNorm, SwiGLU, tied embeddings), trained from scratch by Ponder's own Rust trainer
(`crates/ponder-train`, on candle) so that Ponder works offline the moment it is installed.

It is honest about what it is: a model **trained to think step by step about arithmetic** before it
answers. How well it actually does is measured below, through mistral.rs, on problems it never saw.
It uses Qwen3's chat format and hybrid thinking: `<think>…</think>` first by default, or a direct answer
when the chat template is rendered with `enable_thinking=false`.

## What it is trained on
- addition and subtraction of whole numbers up to 4 digits (subtraction with a non-negative result),
- multiplication of a 2–3 digit number by a 1-digit number,
- which of two numbers (up to 4 digits) is larger or smaller,
- short word problems hiding one of those operations,
- all of it asked in English or Simplified Chinese (e.g. "小明有 347 个苹果，又买了 589 个，一共有多少个？").

Its thinking works digit by digit: each step rewrites the digits still to be used, adds or multiplies one
column (a product and its carry as two written steps), writes the carry or borrow and the partial result;
a comparison first says what it is looking for, settles the order by digit counts and then digits from
the left, writes it as `larger > smaller`, and ends by naming the number the question asked for.

## Evaluation
{EVAL_BEGIN}
{eval}
{EVAL_END}

## Limits
- It makes mistakes (now and then a digit slips in a subtraction, or a carry in a multiplication): the
  evaluation above gives its exact-match rate per kind. Check its answers.
- In English word problems its answer sentence often names the wrong thing ("Omar has 886 marbles left."
  for apples): the thinking never writes the object down, so the answer has to copy it from the question,
  which it has not learned to do. The number is what it was trained to get right.
- Questions worded unlike its training templates (other names, verbs or sentence shapes) are out of its
  distribution and often answered wrongly.
- It knows nothing but the arithmetic above. Anything else gets a short note saying so.
- Two-digit by two-digit multiplication is not taught. An earlier run of the same size trained on it
  reached 1% (its working is three times as long as a 3-digit addition's), so it was narrowed out to
  spend the hour on what the model can learn well.
- Negative results, decimals, division and numbers over 4 digits are out of its training distribution.
- Trained on single-turn and two-turn chats only, with prompts under ~450 tokens.

## How it was made
```
{BUILD_COMMAND}
```
- Architecture: {layers} layers, hidden {hidden}, {heads} query heads / {kv} key-value heads of width {hd},
  MLP {ff}, vocabulary {vocab} (byte-level BPE, one token per digit, Qwen's special tokens), RoPE θ {theta}.
- Data: seeded synthetic problems, 70% with thinking and 30% without, 5% after an earlier exchange; loss
  on assistant tokens only. One problem in 32 (by operation and operands) is held out and never trained on.
- Training: AdamW, warm-up, a long plateau, then cosine decay over the last 30%; {steps} steps, {secs:.0} s on CPU ({tps:.0} trained tokens/s).
  Loss {first:.3} → {last:.3}; held-out loss {held:.3}.
- Weights are float32 safetensors with Hugging Face tensor names; mistral.rs and transformers load the
  folder as it is.
"#,
        params = r.parameters as f64 / 1e6,
        layers = cfg.num_hidden_layers,
        hidden = cfg.hidden_size,
        heads = cfg.num_attention_heads,
        kv = cfg.num_key_value_heads,
        hd = cfg.head_dim,
        ff = cfg.intermediate_size,
        vocab = cfg.vocab_size,
        theta = cfg.rope_theta,
        steps = r.steps,
        secs = r.seconds,
        tps = r.tokens_per_second,
        first = r.first_loss,
        last = r.last_loss,
        held = r.held_out_loss,
    )
}
