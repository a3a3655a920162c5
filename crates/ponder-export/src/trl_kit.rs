//! The training kit `--trainer trl` adds to an export: a script that trains on the folder's files
//! with TRL (SFT, DPO, KTO, GRPO with the references as a verifiable reward) and `accelerate` configs
//! for the CPU, one GPU, data parallel over several and FSDP, so the folder trains where the GPUs are.
//!
//! The files are fixed text (the script finds the data beside itself), so an export stays
//! byte-identical for the same data; the dataset card says how to run them.

use std::fmt::Write;
use std::path::Path;

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::files::io;
use crate::{ExportError, ExportReport};

/// A trainer whose ready-to-run kit an export can include.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum Trainer {
    /// Hugging Face TRL, launched with `accelerate`.
    Trl,
}

/// The script, run as `accelerate launch --config_file accelerate/X.yaml train_trl.py METHOD`.
pub const SCRIPT: &str = include_str!("trl_kit/train_trl.py");

/// The `accelerate` configs: (file name, text).
pub const ACCELERATE_CONFIGS: [(&str, &str); 4] = [
    ("cpu.yaml", include_str!("trl_kit/accelerate/cpu.yaml")),
    ("one_gpu.yaml", include_str!("trl_kit/accelerate/one_gpu.yaml")),
    ("multi_gpu.yaml", include_str!("trl_kit/accelerate/multi_gpu.yaml")),
    ("fsdp.yaml", include_str!("trl_kit/accelerate/fsdp.yaml")),
];

/// Writes the kit into the export folder `dir`.
pub(crate) fn write_kit(dir: &Path, trainer: Trainer) -> Result<(), ExportError> {
    match trainer {
        Trainer::Trl => {
            let script = dir.join("train_trl.py");
            std::fs::write(&script, SCRIPT).map_err(io("writing", &script))?;
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                let executable = std::fs::Permissions::from_mode(0o755);
                std::fs::set_permissions(&script, executable).map_err(io("writing", &script))?;
            }
            let configs = dir.join("accelerate");
            std::fs::create_dir_all(&configs).map_err(io("creating", &configs))?;
            for (name, text) in ACCELERATE_CONFIGS {
                let path = configs.join(name);
                std::fs::write(&path, text).map_err(io("writing", &path))?;
            }
        }
    }
    Ok(())
}

/// The methods the kit can run on this export: (method, the file it reads), for files with rows.
fn runnable(report: &ExportReport) -> Vec<(&'static str, &'static str)> {
    let has = |stem: &str| {
        report.rows.iter().any(|(name, n)| {
            *n > 0 && (name == &format!("{stem}.jsonl") || name == &format!("{stem}_train.jsonl"))
        })
    };
    [("sft", "sft"), ("dpo", "dpo"), ("kto", "kto"), ("grpo", "grpo")]
        .into_iter()
        .filter(|(_, stem)| has(stem))
        .collect()
}

/// The card's section on running the kit.
pub(crate) fn card_section(report: &ExportReport) -> String {
    let mut s = String::from("\n## Training elsewhere: the TRL kit\n\n");
    s.push_str("`train_trl.py` trains on this folder's files with TRL, and `accelerate/` holds configs for the CPU (`cpu.yaml`), one GPU (`one_gpu.yaml`), data parallel over every GPU of a machine (`multi_gpu.yaml`) and FSDP for a model too large for one GPU (`fsdp.yaml`; set `num_processes` to your GPU count, or pass `--num_processes`). Copy the folder to the GPU machine, then:\n\n");
    s.push_str("```sh\npip install \"trl>=1.16\" peft   # with a PyTorch build for your GPUs\n");
    let methods = runnable(report);
    for (method, _) in &methods {
        // GRPO samples as it trains: the most to gain from more GPUs.
        let config = if *method == "grpo" { "multi_gpu" } else { "one_gpu" };
        let _ = writeln!(s, "accelerate launch --config_file accelerate/{config}.yaml train_trl.py {method} --model Qwen/Qwen3-8B --lora");
    }
    if let Some((method, _)) = methods.first() {
        let _ = writeln!(s, "accelerate launch --config_file accelerate/fsdp.yaml train_trl.py {method} --model Qwen/Qwen3-8B   # every weight, sharded");
    }
    s.push_str("python train_trl.py sft --model Qwen/Qwen3-0.6B --max-steps 2 --cpu   # a quick check\n```\n\n");
    if methods.is_empty() {
        s.push_str(
            "This export has no rows any method trains on yet: rate some answers first.\n\n",
        );
    }
    s.push_str("`--model` is the model the ratings were collected on (or one of its family). SFT trains on the rated answer only (prompt/completion), DPO on the pairs, KTO on every thumb with its class weights balanced as above, GRPO on the questions with a reference, rewarded 1 when a completion's final answer (`\\boxed{}`, \"the answer is\", the last bold text or line; numbers compared as numbers) matches. `--votes` adds the votes' rows where at least `--min-agreement` of the chains agreed; `--lora` trains an adapter (`--merge` also saves merged weights); `--vllm` samples GRPO's completions with vLLM. `python train_trl.py --help` lists the rest. A folder of full weights loads in Ponder as a local model.\n");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_card_offers_only_the_methods_this_export_has_rows_for() {
        let mut report = ExportReport::default();
        report.rows.insert("dpo.jsonl".into(), 2);
        report.rows.insert("sft.jsonl".into(), 0);
        report.rows.insert("grpo_train.jsonl".into(), 1);
        let card = card_section(&report);
        assert!(card.contains("accelerate/one_gpu.yaml train_trl.py dpo --model"), "{card}");
        assert!(card.contains("accelerate/multi_gpu.yaml train_trl.py grpo --model"), "{card}");
        assert!(!card.contains("train_trl.py kto --model Qwen/Qwen3-8B"), "{card}");
        assert!(!card.contains("train_trl.py sft --model Qwen/Qwen3-8B"), "{card}");
        let empty = card_section(&ExportReport::default());
        assert!(empty.contains("rate some answers first"), "{empty}");
    }

    #[test]
    fn the_kit_is_written_beside_the_data_and_runnable() {
        let dir = tempfile::tempdir().unwrap();
        write_kit(dir.path(), Trainer::Trl).unwrap();
        let script = std::fs::read_to_string(dir.path().join("train_trl.py")).unwrap();
        assert!(script.starts_with("#!/usr/bin/env python3"));
        for (name, _) in ACCELERATE_CONFIGS {
            let text = std::fs::read_to_string(dir.path().join("accelerate").join(name)).unwrap();
            assert!(text.contains("distributed_type:"), "{name}: {text}");
        }
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join("train_trl.py")).unwrap().permissions();
            assert_eq!(mode.mode() & 0o111, 0o111);
        }
    }
}
