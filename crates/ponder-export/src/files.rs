//! The export's output files: the hidden folder they are written in and its move into place, one
//! buffered writer per file, row counts, and the test/train split.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use ponder_store::ConversationId;
use serde::Serialize;

use crate::{ExportError, ExportReport, Output};

pub(crate) fn io<'a>(
    action: &'static str,
    path: &'a Path,
) -> impl FnOnce(std::io::Error) -> ExportError + 'a {
    move |source| ExportError::Io { action, path: path.to_path_buf(), source }
}

/// FNV-1a over the seed and the conversation id: a stable split (std's hasher may change).
pub(crate) fn in_test_split(conversation: ConversationId, seed: u64, fraction: f64) -> bool {
    if fraction <= 0.0 {
        return false;
    }
    let mut h = format!("{seed}:{}", conversation.0)
        .bytes()
        .fold(0xcbf2_9ce4_8422_2325_u64, |h, b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3));
    // FNV-1a leaves the last characters in the low bits only, so conversations 1–9 all fell on the
    // same side of the split; splitmix64's finalizer spreads every bit over the whole word.
    h ^= h >> 30;
    h = h.wrapping_mul(0xbf58_476d_1ce4_e5b9);
    h ^= h >> 27;
    h = h.wrapping_mul(0x94d0_49bb_1331_11eb);
    h ^= h >> 31;
    (h as f64 / u64::MAX as f64) < fraction
}

/// The open output files, created on first use.
pub(crate) struct Files {
    pub(crate) dir: PathBuf,
    pub(crate) split: bool,
    pub(crate) open: BTreeMap<String, BufWriter<File>>,
    pub(crate) report: ExportReport,
}

impl Files {
    pub(crate) fn name(&self, format: Output, test: bool) -> String {
        match (self.split, test) {
            (false, _) => format!("{}.jsonl", format.stem()),
            (true, false) => format!("{}_train.jsonl", format.stem()),
            (true, true) => format!("{}_test.jsonl", format.stem()),
        }
    }

    pub(crate) fn create(&mut self, name: String) -> Result<(), ExportError> {
        let path = self.dir.join(&name);
        let file = File::create(&path).map_err(io("creating", &path))?;
        self.open.insert(name.clone(), BufWriter::new(file));
        self.report.rows.insert(name, 0);
        Ok(())
    }

    pub(crate) fn write(
        &mut self,
        format: Output,
        test: bool,
        row: &impl Serialize,
    ) -> Result<(), ExportError> {
        let name = self.name(format, test);
        let path = self.dir.join(&name);
        let out = self.open.get_mut(&name).expect("created up front");
        serde_json::to_writer(&mut *out, row).map_err(|e| ExportError::Io {
            action: "writing",
            path: path.clone(),
            source: e.into(),
        })?;
        out.write_all(b"\n").map_err(io("writing", &path))?;
        *self.report.rows.get_mut(&name).expect("counted") += 1;
        Ok(())
    }
}

/// A hidden sibling of `dest` to write into, after checking `dest` is new or empty.
pub(crate) fn make_staging(dest: &Path) -> Result<PathBuf, ExportError> {
    if dest.exists() && std::fs::read_dir(dest).map_err(io("reading", dest))?.next().is_some() {
        return Err(ExportError::Exists(dest.to_path_buf()));
    }
    let name = dest.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let staging = dest.with_file_name(format!(".{name}.partial-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&staging);
    std::fs::create_dir_all(&staging).map_err(io("creating", &staging))?;
    Ok(staging)
}

/// Renames the finished folder into place (the folder is complete or absent).
pub(crate) fn put_in_place(staging: &Path, dest: &Path) -> Result<(), ExportError> {
    if dest.exists() {
        std::fs::remove_dir(dest).map_err(io("replacing", dest))?;
    }
    std::fs::rename(staging, dest).map_err(io("moving into place", dest))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_split_holds_out_the_asked_share_even_of_neighbouring_ids() {
        for seed in [0, 1, 17] {
            let held = (1..=1000).filter(|&c| in_test_split(ConversationId(c), seed, 0.2)).count();
            assert!((150..=250).contains(&held), "seed {seed}: {held} of 1000");
            let first_ten: Vec<bool> =
                (1..=10).map(|c| in_test_split(ConversationId(c), seed, 0.5)).collect();
            assert!(
                first_ten.contains(&true) && first_ten.contains(&false),
                "seed {seed}: {first_ten:?}"
            );
        }
        assert!(!(1..=100).any(|c| in_test_split(ConversationId(c), 3, 0.0)));
    }
}
