//! The hub's listing of a repository: which of its files to fetch, and what each must be.

use super::{is_needed, is_safe_file_name};

/// What to fetch from a repository.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Wanted {
    /// A model folder: config, tokenizer and safetensors weights ([`is_needed`]).
    Folder,
    /// The one GGUF file of a quantization (`Q4_K_M`): named `…-Q4_K_M.gguf` or `…_q4_k_m.gguf`.
    Gguf(String),
}

impl Wanted {
    pub(super) fn wants(&self, name: &str) -> bool {
        match self {
            Wanted::Folder => is_needed(name),
            Wanted::Gguf(quant) => {
                let lower = name.to_ascii_lowercase();
                let quant = quant.to_ascii_lowercase();
                !name.contains('/')
                    && [
                        format!("-{quant}.gguf"),
                        format!("_{quant}.gguf"),
                        format!(".{quant}.gguf"),
                    ]
                    .iter()
                    .any(|end| lower.ends_with(end.as_str()))
            }
        }
    }
}

/// A file the listing names, with what it must be.
#[derive(Debug)]
pub(super) struct ListedFile {
    pub(super) name: String,
    pub(super) size: Option<u64>,
    /// For Git LFS files (the weights): their SHA-256, lowercase hex.
    pub(super) sha256: Option<String>,
}

/// The wanted files of a listing; an error if one of them has a name that is unsafe as a path, or
/// if a GGUF quantization is not there exactly once.
pub(super) fn listed_files(
    listing: &serde_json::Value,
    wanted: &Wanted,
) -> Result<Vec<ListedFile>, String> {
    let mut out = Vec::new();
    for s in listing.get("siblings").and_then(|s| s.as_array()).into_iter().flatten() {
        let Some(name) = s.get("rfilename").and_then(|n| n.as_str()) else { continue };
        // Anything in a subfolder is not needed; a flat name must also be a plain, portable one.
        let flat = !name.contains('/');
        if flat
            && !is_safe_file_name(name)
            && (name.ends_with(".json") || name.contains("safetensors") || name.ends_with(".gguf"))
        {
            return Err(format!(
                "the hub listed a file named {name:?}, which is not a safe file name"
            ));
        }
        if !wanted.wants(name) || !is_safe_file_name(name) {
            continue;
        }
        let lfs = s.get("lfs");
        let sha256 = match lfs.and_then(|l| l.get("sha256")).and_then(|h| h.as_str()) {
            Some(h) if h.len() == 64 && h.bytes().all(|b| b.is_ascii_hexdigit()) => {
                Some(h.to_ascii_lowercase())
            }
            Some(h) => return Err(format!("the hub gave {h:?} as the SHA-256 of {name}")),
            None => None,
        };
        let size =
            lfs.and_then(|l| l.get("size")).or_else(|| s.get("size")).and_then(|v| v.as_u64());
        out.push(ListedFile { name: name.to_string(), size, sha256 });
    }
    if let Wanted::Gguf(quant) = wanted {
        match out.len() {
            1 => {}
            0 => return Err(format!("the repository has no {quant} GGUF file")),
            _ => {
                let names: Vec<_> = out.iter().map(|f| f.name.as_str()).collect();
                return Err(format!("the repository has several {quant} GGUF files: {names:?}"));
            }
        }
    }
    Ok(out)
}

impl ListedFile {
    /// Whether `path` holds this file: its size, and for LFS files its SHA-256.
    pub(super) fn check(&self, path: &std::path::Path) -> Result<(), String> {
        let len = std::fs::metadata(path).map_err(|e| format!("{}: {e}", path.display()))?.len();
        if let Some(size) = self.size {
            if len != size {
                return Err(format!("{} is {len} bytes; the hub lists {size}", self.name));
            }
        }
        if let Some(expected) = &self.sha256 {
            // The Hugging Face cache names a weights blob by its SHA-256: a blob already named so was
            // checked when it was written, by us or by the tool that fetched it.
            let blob = std::fs::canonicalize(path).ok();
            let named =
                blob.as_ref().and_then(|b| b.file_name()).is_some_and(|n| n == expected.as_str());
            if !named {
                let actual = sha256_of(path).map_err(|e| format!("{}: {e}", path.display()))?;
                if &actual != expected {
                    return Err(format!(
                        "{} has SHA-256 {actual}; the hub lists {expected}",
                        self.name
                    ));
                }
            }
        }
        Ok(())
    }
}

fn sha256_of(path: &std::path::Path) -> std::io::Result<String> {
    use sha2::{Digest, Sha256};
    let mut file = std::fs::File::open(path)?;
    let mut hasher = Sha256::new();
    std::io::copy(&mut file, &mut hasher)?;
    Ok(hasher.finalize().iter().map(|b| format!("{b:02x}")).collect())
}

/// Removes a cached file: the snapshot's link and the blob it points to.
pub(super) fn remove_cached(path: &std::path::Path) {
    if let Ok(blob) = std::fs::canonicalize(path) {
        let _ = std::fs::remove_file(blob);
    }
    let _ = std::fs::remove_file(path);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_gguf_quantization_is_one_file_matched_by_name_in_any_spelling() {
        let listing = serde_json::json!({"siblings": [
            {"rfilename": "config.json"},
            {"rfilename": "Qwen3-4B-Q4_K_M.gguf", "lfs": {"sha256": "ab".repeat(32), "size": 2_500}},
            {"rfilename": "Qwen3-4B-Q8_0.gguf", "size": 4_300},
            {"rfilename": "qwq-32b-q4_k_m.gguf.partial"},
            {"rfilename": "sub/Qwen3-4B-Q5_0.gguf"},
        ]});
        let got = listed_files(&listing, &Wanted::Gguf("q4_k_m".into())).unwrap();
        assert_eq!(
            (got.len(), got[0].name.as_str(), got[0].size),
            (1, "Qwen3-4B-Q4_K_M.gguf", Some(2_500))
        );
        let q8 = listed_files(&listing, &Wanted::Gguf("Q8_0".into())).unwrap();
        assert_eq!(q8[0].name, "Qwen3-4B-Q8_0.gguf");
        let missing = listed_files(&listing, &Wanted::Gguf("Q5_0".into())).unwrap_err();
        assert!(missing.contains("no Q5_0 GGUF file"), "{missing}");
        assert!(Wanted::Gguf("Q4_K_M".into()).wants("qwq-32b-q4_k_m.gguf"));
        assert!(!Wanted::Gguf("Q4_K".into()).wants("Qwen3-4B-Q4_K_M.gguf"));

        let twice = serde_json::json!({"siblings": [
            {"rfilename": "a-Q8_0.gguf"}, {"rfilename": "b-Q8_0.gguf"},
        ]});
        assert!(listed_files(&twice, &Wanted::Gguf("Q8_0".into()))
            .unwrap_err()
            .contains("several"));
        let hostile = serde_json::json!({"siblings": [{"rfilename": "..\\x-Q8_0.gguf"}]});
        assert!(listed_files(&hostile, &Wanted::Gguf("Q8_0".into()))
            .unwrap_err()
            .contains("not a safe file name"));
    }
}
