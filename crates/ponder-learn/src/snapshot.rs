//! The data of one run: the ratings exported as SFT, DPO, KTO and GRPO files (the same files a TRL user
//! would train on), read back as the trainer's examples, with a hash that names this exact data.

use std::path::{Path, PathBuf};

use ponder_export::{export, ExportOptions, Format, ReasoningStyle};
use ponder_store::Store;
use ponder_train::learn::data::{read_pairs, read_references, read_sft, read_thumbs};
use ponder_train::learn::{DataCounts, LearnData};
use sha2::{Digest, Sha256};

use crate::LearnError;

/// The exported files, their examples and their hash.
pub struct Snapshot {
    /// The folder the files are in.
    pub dir: PathBuf,
    /// The examples trained on.
    pub data: LearnData,
    /// The examples held out (whole conversations the run never sees), for evaluation.
    pub held_out: LearnData,
    /// How many of each.
    pub counts: DataCounts,
    /// `sha256:` of the four files, in name order.
    pub hash: String,
}

/// The formats a run learns from.
const FORMATS: [(Format, &str); 4] = [
    (Format::Dpo, "dpo.jsonl"),
    (Format::Grpo, "grpo.jsonl"),
    (Format::Kto, "kto.jsonl"),
    (Format::Sft, "sft.jsonl"),
];

/// Exports every rating of `store` into `dir` (a new folder) and reads the examples back, holding out
/// `held_out` of the conversations (by the export's seeded split; 0 holds none out).
pub async fn snapshot(store: &Store, dir: &Path, held_out: f64) -> Result<Snapshot, LearnError> {
    let options = ExportOptions {
        formats: FORMATS.iter().map(|(f, _)| *f).collect(),
        // Thinking inline, as Qwen3's template reads it and the model writes it.
        reasoning: ReasoningStyle::Inline,
        test_fraction: held_out,
        seed: 17,
        ..ExportOptions::default()
    };
    export(store, dir, &options).await?;
    read_snapshot(dir, held_out)
}

/// The snapshot already exported into `dir` (a run being resumed learns from exactly what it began with).
pub fn read_snapshot(dir: &Path, held_out: f64) -> Result<Snapshot, LearnError> {
    let mut names: Vec<String> = FORMATS
        .iter()
        .flat_map(|(_, name)| {
            let stem = name.trim_end_matches(".jsonl");
            if held_out > 0.0 {
                vec![format!("{stem}_train.jsonl"), format!("{stem}_test.jsonl")]
            } else {
                vec![name.to_string()]
            }
        })
        .collect();
    names.sort();
    let mut hasher = Sha256::new();
    for name in &names {
        let path = dir.join(name);
        let bytes = std::fs::read(&path).map_err(LearnError::io(&path))?;
        hasher.update(name.as_bytes());
        hasher.update((bytes.len() as u64).to_le_bytes());
        hasher.update(&bytes);
    }
    let hash = format!("sha256:{:x}", hasher.finalize());
    let read = |suffix: &str| -> Result<LearnData, LearnError> {
        let file = |stem: &str| dir.join(format!("{stem}{suffix}.jsonl"));
        Ok(LearnData {
            sft: read_sft(&file("sft"))?,
            pairs: read_pairs(&file("dpo"))?,
            thumbs: read_thumbs(&file("kto"))?,
            references: read_references(&file("grpo"))?,
        })
    };
    let (data, held) = if held_out > 0.0 {
        (read("_train")?, read("_test")?)
    } else {
        (read("")?, LearnData::default())
    };
    Ok(Snapshot { dir: dir.to_path_buf(), counts: data.counts(), data, held_out: held, hash })
}
