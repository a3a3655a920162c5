//! A learning run's checkpoint: the trainable weights and AdamW's moments in one safetensors file, and
//! beside it the step, the settings' fingerprint, the reference's values and the curve so far. Both are
//! written under a temporary name and renamed, so a kill mid-save leaves the previous checkpoint.

use std::collections::HashMap;
use std::path::Path;

use candle_core::{Device, Tensor};
use candle_nn::VarMap;
use serde::{Deserialize, Serialize};

use super::plan::LearnSettings;
use super::run::StepReport;
use crate::lora::LoraConfig;
use crate::optim::AdamW;
use crate::TrainError;

/// The frozen reference's summed log-probabilities, computed once before the first step.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct ReferenceValues {
    /// Per DPO pair: (chosen, rejected).
    pub pairs: Vec<(f32, f32)>,
    /// Per KTO answer: (answer, mismatched pair).
    pub thumbs: Vec<(f32, f32)>,
}

/// Everything of a checkpoint but the tensors.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Meta {
    /// Steps done.
    pub step: usize,
    /// [`LearnSettings::fingerprint`] of the run.
    pub settings: String,
    /// The reference's values.
    pub reference: ReferenceValues,
    /// Steps so far.
    pub curve: Vec<StepReport>,
}

const WEIGHTS: &str = "learn-state.safetensors";
const META: &str = "learn-state.json";

fn replace(tmp: &Path, target: &Path) -> Result<(), TrainError> {
    std::fs::rename(tmp, target).map_err(TrainError::io(target))
}

/// Saves the trainable weights, the optimizer and `meta` into `dir`.
pub fn save(dir: &Path, vars: &VarMap, opt: &AdamW, meta: &Meta) -> Result<(), TrainError> {
    let mut all: HashMap<String, Tensor> = opt.state();
    for (k, v) in vars.data().lock().expect("not poisoned").iter() {
        all.insert(k.clone(), v.as_tensor().clone());
    }
    let tmp = dir.join(format!("{WEIGHTS}.tmp"));
    candle_core::safetensors::save(&all, &tmp)?;
    replace(&tmp, &dir.join(WEIGHTS))?;
    let tmp = dir.join(format!("{META}.tmp"));
    let text = serde_json::to_string(meta).expect("plain data");
    std::fs::write(&tmp, text).map_err(TrainError::io(&tmp))?;
    replace(&tmp, &dir.join(META))
}

/// The checkpoint in `dir`, restored into `vars` and `opt`; `None` when there is none. A checkpoint
/// made under other settings is refused rather than mixed into this run.
pub fn load(
    dir: &Path,
    vars: &VarMap,
    opt: &mut AdamW,
    s: &LearnSettings,
) -> Result<Option<Meta>, TrainError> {
    let meta_path = dir.join(META);
    if !meta_path.is_file() {
        return Ok(None);
    }
    let text = std::fs::read_to_string(&meta_path).map_err(TrainError::io(&meta_path))?;
    let meta: Meta = serde_json::from_str(&text)
        .map_err(|e| TrainError::Corrupt { path: meta_path.clone(), message: e.to_string() })?;
    if meta.settings != s.fingerprint() {
        return Err(TrainError::Config(format!(
            "{} holds a run with other settings; start over with a new run folder",
            dir.display()
        )));
    }
    let weights = dir.join(WEIGHTS);
    let tensors = candle_core::safetensors::load(&weights, &Device::Cpu)
        .map_err(|e| TrainError::Corrupt { path: weights.clone(), message: e.to_string() })?;
    for (k, v) in vars.data().lock().expect("not poisoned").iter() {
        let t = tensors.get(k).ok_or_else(|| TrainError::Corrupt {
            path: weights.clone(),
            message: format!("missing {k}"),
        })?;
        v.set(&t.to_dtype(v.dtype())?)?;
    }
    opt.restore(&tensors, meta.step)?;
    Ok(Some(meta))
}

/// Writes the LoRA adapters as PEFT does (`adapter_model.safetensors` with `base_model.model.` names,
/// `adapter_config.json`) into `dir/adapter`, for use with transformers or vLLM.
pub fn write_adapter(
    dir: &Path,
    vars: &VarMap,
    lora: &LoraConfig,
    base: &Path,
) -> Result<(), TrainError> {
    let out = dir.join("adapter");
    std::fs::create_dir_all(&out).map_err(TrainError::io(&out))?;
    let tensors: HashMap<String, Tensor> = vars
        .data()
        .lock()
        .expect("not poisoned")
        .iter()
        .map(|(k, v)| (format!("base_model.model.{k}"), v.as_tensor().clone()))
        .collect();
    candle_core::safetensors::save(&tensors, out.join("adapter_model.safetensors"))?;
    let config = lora.peft_json(&base.display().to_string());
    let path = out.join("adapter_config.json");
    std::fs::write(&path, serde_json::to_string_pretty(&config).expect("json") + "\n")
        .map_err(TrainError::io(&path))
}
