//! The models available on this machine: the bundled one, those in the Hugging Face cache, and any
//! folders or GGUF files the user names.

use std::path::{Path, PathBuf};
use ts_rs::TS;

use serde::Serialize;

use crate::source::{read_gguf, validate_model_dir};

/// Where a model was found.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum ModelOrigin {
    /// Shipped with Ponder.
    Bundled,
    /// A snapshot in the Hugging Face cache.
    HubCache,
    /// A folder the user named.
    Folder,
    /// A GGUF file the user named.
    Gguf,
    /// A version Ponder learned from the ratings (in the data folder's `models/`).
    Learned,
}

/// One model on disk.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LocalModel {
    /// A name to show and to pass back as `--model` (a hub id for cached models, else the path).
    pub id: String,
    /// The folder or file.
    pub path: PathBuf,
    /// Where it was found.
    pub origin: ModelOrigin,
    /// Architecture, or why the folder cannot be loaded.
    pub status: Result<String, String>,
    /// Bytes on disk (symlinks followed).
    pub bytes: u64,
}

/// The card beside a learned version's weights.
pub const LEARNED_CARD: &str = "ponder-version.json";

/// Folder levels [`size_of`] descends (a model folder is flat; the cache adds two levels).
const MAX_DEPTH: u32 = 4;

/// The name people know a model by, from where it was loaded: a hub snapshot
/// (`…/models--Qwen--Qwen3-0.6B/snapshots/<commit>`) is its hub id, a GGUF file its name without
/// `.gguf`, a folder its own name.
pub fn model_name(path: &Path) -> String {
    let parts: Vec<String> =
        path.components().map(|c| c.as_os_str().to_string_lossy().into_owned()).collect();
    let snapshot = parts.iter().rposition(|p| p == "snapshots");
    if let Some(repo) = snapshot.and_then(|i| i.checked_sub(1)).and_then(|i| parts.get(i)) {
        if let Some(id) = repo.strip_prefix("models--") {
            return id.replacen("--", "/", 1);
        }
    }
    let file = path.file_name().map(|n| n.to_string_lossy().into_owned());
    let name = file.unwrap_or_else(|| path.display().to_string());
    name.strip_suffix(".gguf").map(String::from).unwrap_or(name)
}

/// Bytes under `path`. A symlinked file counts as its target (the hub cache links snapshots to
/// blobs); a symlinked folder is not followed, so a link loop cannot recurse forever.
fn size_of(path: &Path) -> u64 {
    fn walk(path: &Path, depth: u32) -> u64 {
        let Ok(link) = std::fs::symlink_metadata(path) else { return 0 };
        if link.is_dir() {
            if depth >= MAX_DEPTH {
                return 0;
            }
            return std::fs::read_dir(path)
                .map(|entries| {
                    entries.filter_map(Result::ok).map(|e| walk(&e.path(), depth + 1)).sum()
                })
                .unwrap_or(0);
        }
        match std::fs::metadata(path) {
            Ok(m) if m.is_file() => m.len(),
            _ => 0,
        }
    }
    walk(path, 0)
}

fn folder(id: String, path: PathBuf, origin: ModelOrigin) -> LocalModel {
    let status = validate_model_dir(&path).map_err(|e| e.to_string());
    LocalModel { id, bytes: size_of(&path), path, origin, status }
}

/// A GGUF file, checked by reading its header (a cached file is a symlink to its blob).
fn gguf(id: String, path: PathBuf) -> LocalModel {
    let status = if path.is_file() {
        read_gguf(&path).map(|h| h.architecture).map_err(|e| e.to_string())
    } else {
        Err("file not found".into())
    };
    let bytes = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
    LocalModel { id, path, origin: ModelOrigin::Gguf, status, bytes }
}

/// Hub-cache snapshots that hold a `config.json` (`models--org--name/snapshots/<commit>/`), and the
/// GGUF files of GGUF repositories (one per quantization downloaded). The newest snapshot of each
/// repository (the one `refs/main` names, else any) is listed.
fn cached(hub_cache: &Path) -> Vec<LocalModel> {
    let Ok(repos) = std::fs::read_dir(hub_cache) else { return Vec::new() };
    let mut out = Vec::new();
    for repo in repos.filter_map(Result::ok) {
        let name = repo.file_name().to_string_lossy().into_owned();
        let Some(id) = name.strip_prefix("models--").map(|r| r.replacen("--", "/", 1)) else {
            continue;
        };
        let snapshots = repo.path().join("snapshots");
        let main = std::fs::read_to_string(repo.path().join("refs/main")).ok();
        let chosen = main.map(|c| snapshots.join(c.trim())).filter(|p| p.is_dir()).or_else(|| {
            std::fs::read_dir(&snapshots).ok()?.filter_map(Result::ok).map(|e| e.path()).next()
        });
        let Some(dir) = chosen else { continue };
        if dir.join("config.json").exists() {
            out.push(folder(id, dir, ModelOrigin::HubCache));
            continue;
        }
        let Ok(files) = std::fs::read_dir(&dir) else { continue };
        let mut ggufs: Vec<PathBuf> = files
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|e| e == "gguf"))
            .collect();
        ggufs.sort();
        for path in ggufs {
            let file = path.file_name().unwrap_or_default().to_string_lossy().into_owned();
            out.push(gguf(format!("{id} · {file}"), path));
        }
    }
    out.sort_by(|a, b| a.id.cmp(&b.id));
    out
}

/// Everything available: `bundled` first, then the cache at `hub_cache`, then `extra` paths.
pub fn local_models(bundled: &Path, hub_cache: &Path, extra: &[PathBuf]) -> Vec<LocalModel> {
    let mut out = Vec::new();
    if bundled.is_dir() {
        out.push(folder("ponder-tiny".into(), bundled.to_path_buf(), ModelOrigin::Bundled));
    }
    out.extend(cached(hub_cache));
    for path in extra {
        // A folder loaded before may also be a version or in the cache: list it once.
        if out.iter().any(|m| &m.path == path) {
            continue;
        }
        let id = path.display().to_string();
        if path.extension().is_some_and(|e| e == "gguf") {
            out.push(gguf(id, path.clone()));
        } else {
            // A learned version carries its card (ponder-learn writes it; the name is its contract).
            let origin = if path.join(LEARNED_CARD).is_file() {
                ModelOrigin::Learned
            } else {
                ModelOrigin::Folder
            };
            out.push(folder(id, path.clone(), origin));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn models_are_named_as_people_know_them() {
        let snap =
            Path::new("/home/a/.cache/huggingface/hub/models--Qwen--Qwen3-0.6B/snapshots/0123abcd");
        assert_eq!(model_name(snap), "Qwen/Qwen3-0.6B");
        assert_eq!(model_name(&snap.join("model.gguf")), "Qwen/Qwen3-0.6B");
        assert_eq!(model_name(Path::new("/opt/target/debug/models/ponder-tiny")), "ponder-tiny");
        assert_eq!(model_name(Path::new("/m/Qwen3-0.6B-Q8_0.gguf")), "Qwen3-0.6B-Q8_0");
        assert_eq!(model_name(Path::new("models--odd")), "models--odd");
    }

    #[test]
    fn symlink_loops_are_not_followed_when_measuring_folders() {
        let cache = tempfile::tempdir().unwrap();
        let snap = cache.path().join("models--Qwen--Looped/snapshots/abc");
        std::fs::create_dir_all(&snap).unwrap();
        std::fs::write(snap.join("config.json"), "{}").unwrap();
        std::os::unix::fs::symlink(&snap, snap.join("again")).unwrap();
        std::os::unix::fs::symlink(cache.path(), snap.join("up")).unwrap();
        let blob = cache.path().join("blob");
        std::fs::write(&blob, vec![0u8; 1000]).unwrap();
        std::os::unix::fs::symlink(&blob, snap.join("model.safetensors")).unwrap();
        let nowhere = Path::new("/nonexistent");
        // Measured as a cached snapshot and as a folder the user named; named twice, it is listed once.
        let cached = local_models(nowhere, cache.path(), std::slice::from_ref(&snap));
        let named = local_models(nowhere, nowhere, std::slice::from_ref(&snap));
        assert_eq!(cached.len(), 1, "{cached:?}");
        assert_eq!(cached[0].origin, ModelOrigin::HubCache);
        assert_eq!(named.len(), 1, "{named:?}");
        assert_eq!(named[0].origin, ModelOrigin::Folder);
        // The linked file counts as its target; the linked folders are not walked.
        assert_eq!(cached[0].bytes, 1002, "{cached:?}");
        assert_eq!(named[0].bytes, 1002, "{named:?}");
    }

    #[test]
    fn finds_cached_snapshots_and_reports_broken_ones() {
        let cache = tempfile::tempdir().unwrap();
        let snap = cache.path().join("models--Qwen--Qwen3-0.6B/snapshots/abc");
        std::fs::create_dir_all(&snap).unwrap();
        std::fs::write(snap.join("config.json"), r#"{"architectures":["Qwen3ForCausalLM"]}"#)
            .unwrap();
        std::fs::create_dir_all(cache.path().join("datasets--x--y/snapshots/1")).unwrap();
        let found = local_models(Path::new("/nonexistent"), cache.path(), &[]);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].id, "Qwen/Qwen3-0.6B");
        assert_eq!(found[0].origin, ModelOrigin::HubCache);
        let why = found[0].status.clone().unwrap_err();
        assert!(why.contains("tokenizer.json"), "a snapshot without a tokenizer says so: {why}");
    }

    #[test]
    fn a_gguf_repository_in_the_cache_lists_its_files() {
        let cache = tempfile::tempdir().unwrap();
        let snap = cache.path().join("models--Qwen--Qwen3-0.6B-GGUF/snapshots/abc");
        std::fs::create_dir_all(&snap).unwrap();
        std::fs::write(snap.join("Qwen3-0.6B-Q8_0.gguf"), b"not a gguf").unwrap();
        let found = local_models(Path::new("/nonexistent"), cache.path(), &[]);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].id, "Qwen/Qwen3-0.6B-GGUF · Qwen3-0.6B-Q8_0.gguf");
        assert_eq!(found[0].origin, ModelOrigin::Gguf);
        assert!(found[0].status.is_err(), "its header is read: {:?}", found[0].status);
    }

    #[test]
    fn named_files_are_listed_even_when_missing() {
        let found = local_models(
            Path::new("/nonexistent"),
            Path::new("/nonexistent"),
            &[PathBuf::from("/tmp/none.gguf")],
        );
        assert_eq!(found[0].origin, ModelOrigin::Gguf);
        assert_eq!(found[0].status, Err("file not found".into()));
    }
}
