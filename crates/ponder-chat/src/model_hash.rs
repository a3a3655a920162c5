//! The SHA-256 of a model's weights, so every answer names exactly which weights produced it. Hashing
//! gigabytes takes seconds, so results are kept per (path, size, modification time) for the process.

use std::collections::HashMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};
use std::time::SystemTime;

use sha2::{Digest, Sha256};

type Key = (PathBuf, u64, Option<SystemTime>);

fn cache() -> &'static Mutex<HashMap<Key, String>> {
    static CACHE: OnceLock<Mutex<HashMap<Key, String>>> = OnceLock::new();
    CACHE.get_or_init(Default::default)
}

/// The weight files of a model: the file itself, or a folder's `*.safetensors`, `*.gguf` and `*.bin`
/// files in name order.
fn weight_files(path: &Path) -> Vec<PathBuf> {
    if path.is_file() {
        return vec![path.to_path_buf()];
    }
    let mut files: Vec<PathBuf> = std::fs::read_dir(path)
        .into_iter()
        .flatten()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            let ext = p.extension().and_then(|e| e.to_str()).unwrap_or("");
            p.is_file() && ["safetensors", "gguf", "bin"].contains(&ext)
        })
        .collect();
    files.sort();
    files
}

fn key(path: &Path) -> Option<Key> {
    let files = weight_files(path);
    if files.is_empty() {
        return None;
    }
    let mut size = 0;
    let mut newest = None;
    for f in &files {
        let meta = std::fs::metadata(f).ok()?;
        size += meta.len();
        newest = newest.max(meta.modified().ok());
    }
    Some((path.to_path_buf(), size, newest))
}

/// `sha256:<hex>` of the model's weights (several files hash as one stream, in name order); `None` when
/// `path` holds no weights or cannot be read.
pub fn model_hash(path: &Path) -> Option<String> {
    let key = key(path)?;
    if let Some(hit) = cache().lock().ok()?.get(&key) {
        return Some(hit.clone());
    }
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    for f in weight_files(path) {
        let mut file = std::fs::File::open(f).ok()?;
        loop {
            let n = file.read(&mut buf).ok()?;
            if n == 0 {
                break;
            }
            hasher.update(&buf[..n]);
        }
    }
    let hex: String = hasher.finalize().iter().map(|b| format!("{b:02x}")).collect();
    let hash = format!("sha256:{hex}");
    cache().lock().ok()?.insert(key, hash.clone());
    Some(hash)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_a_file_and_a_folders_weights() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("model.safetensors"), b"abc").unwrap();
        std::fs::write(dir.path().join("config.json"), b"{}").unwrap();
        // SHA-256("abc").
        let abc = "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
        assert_eq!(model_hash(&dir.path().join("model.safetensors")).as_deref(), Some(abc));
        assert_eq!(model_hash(dir.path()).as_deref(), Some(abc), "only weights count");
        std::fs::write(dir.path().join("model.safetensors"), b"abcd").unwrap();
        assert_ne!(model_hash(dir.path()).as_deref(), Some(abc), "a changed file is hashed again");
        assert_eq!(model_hash(&dir.path().join("nothing-here")), None);
    }
}
