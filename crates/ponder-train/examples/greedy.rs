//! Greedy decoding with the trainer's own forward pass: a cross-check for what mistral.rs generates.

use candle_core::{Device, Tensor};
use ponder_train::model::Qwen;
use ponder_train::template::{render_prompt, Role};

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let dir = std::path::PathBuf::from(args.next().expect("model dir"));
    let question = args.next().expect("question");
    let (model, _vars) = Qwen::load_hf(&dir, &Device::Cpu)?;
    let tok =
        tokenizers::Tokenizer::from_file(dir.join("tokenizer.json")).map_err(anyhow::Error::msg)?;
    let prompt = render_prompt(&[(Role::User, question.as_str())], true);
    let mut ids =
        tok.encode(prompt.as_str(), false).map_err(anyhow::Error::msg)?.get_ids().to_vec();
    let start = ids.len();
    let end = tok.token_to_id("<|im_end|>").expect("im_end");
    for _ in 0..400 {
        let input = Tensor::new(ids.as_slice(), &Device::Cpu)?.unsqueeze(0)?;
        let logits = model.forward(&input)?.squeeze(0)?.get(ids.len() - 1)?;
        let next = logits.argmax(0)?.to_scalar::<u32>()?;
        ids.push(next);
        if next == end {
            break;
        }
    }
    println!("{}", tok.decode(&ids[start..], false).map_err(anyhow::Error::msg)?);
    Ok(())
}
