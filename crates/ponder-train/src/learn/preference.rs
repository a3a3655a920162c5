//! Preference accuracy: the share of pairs whose chosen answer the model finds more likely per token
//! than the rejected one — comparable between a parent and its learned version (DPO's implicit-reward
//! accuracy is not: it is measured against the parent itself, where every margin is 0).

use std::path::Path;

use candle_core::Device;

use super::data::PairExample;
use super::render::ChatRenderer;
use super::steps::sequence_values;
use crate::data::Encoded;
use crate::model::Qwen;
use crate::TrainError;

/// How many of `pairs` the model in `dir` prefers the right way, and how many it was asked.
pub fn preference_accuracy(
    dir: &Path,
    pairs: &[PairExample],
) -> Result<(usize, usize), TrainError> {
    let renderer = ChatRenderer::from_folder(dir)?;
    let (model, _) = Qwen::load_hf(dir, &Device::Cpu)?;
    let tok = renderer.tokenizer();
    let pad = ["<|endoftext|>", "<|im_end|>"].iter().find_map(|t| tok.token_to_id(t)).unwrap_or(0);
    let per_token = |e: &Encoded, total: f32| {
        total / e.trained.iter().skip(1).filter(|t| **t).count().max(1) as f32
    };
    let mut right = 0;
    for p in pairs {
        let chosen = renderer.encode(&p.prompt, &p.chosen)?;
        let rejected = renderer.encode(&p.prompt, &p.rejected)?;
        let values = sequence_values(&model, &[&chosen, &rejected], pad, true)?;
        if per_token(&chosen, values[0]) > per_token(&rejected, values[1]) {
            right += 1;
        }
    }
    Ok((right, pairs.len()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::learn::data::Msg;

    #[test]
    fn the_bundled_model_prefers_its_own_right_working() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../models/ponder-tiny");
        let pair = PairExample {
            prompt: vec![Msg::user("What is 347 + 589?")],
            chosen: Msg::assistant("347 + 589 = 936."),
            rejected: Msg::assistant("347 + 589 = 12 apples and a banana."),
        };
        let flipped = PairExample {
            chosen: pair.rejected.clone(),
            rejected: pair.chosen.clone(),
            ..pair.clone()
        };
        assert_eq!(preference_accuracy(&dir, &[pair, flipped]).unwrap(), (1, 2));
    }
}
