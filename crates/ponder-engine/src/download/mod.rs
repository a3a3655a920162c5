//! Downloads a model from the Hugging Face Hub (or any server speaking its protocol) into the standard
//! Hugging Face cache: files other tools downloaded are reused, an interrupted download resumes, and
//! progress is reported in bytes. Cancelling is dropping the future; the partial file stays for resume.
//!
//! The server is not trusted: its commit id and file names become parts of paths, so they must be a
//! 40-hex commit and plain file names; every file must have the size the listing gives, and a weights
//! file (stored with Git LFS) the SHA-256 it gives. A file that does not match is removed and fetched
//! once more from scratch (a resumed partial may have been the bad part), then reported.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use hf_hub::api::tokio::{ApiBuilder, Progress};
use hf_hub::{Repo, RepoType};

use crate::EngineError;

mod listing;

pub use listing::Wanted;
use listing::{listed_files, remove_cached};

/// Where to download from and to.
#[derive(Clone, Debug)]
pub struct HubOptions {
    /// Base address of the hub (`HF_ENDPOINT`, default `https://huggingface.co`).
    pub endpoint: String,
    /// The hub cache folder (`HF_HUB_CACHE`, else `$HF_HOME/hub`, else `~/.cache/huggingface/hub`).
    pub cache_dir: PathBuf,
    /// Access token for gated or private models (`HF_TOKEN`).
    pub token: Option<String>,
    /// Bytes per request; an interrupted download resumes from the last whole chunk.
    pub chunk_size: usize,
}

impl HubOptions {
    /// The settings other Hugging Face tools use, from the same environment variables.
    pub fn from_env() -> Self {
        let var = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
        let home = std::env::var_os("HOME").map(PathBuf::from).unwrap_or_default();
        let cache_dir = var("HF_HUB_CACHE").map(PathBuf::from).unwrap_or_else(|| {
            var("HF_HOME")
                .map(PathBuf::from)
                .unwrap_or_else(|| home.join(".cache").join("huggingface"))
                .join("hub")
        });
        Self {
            endpoint: var("HF_ENDPOINT").unwrap_or_else(|| "https://huggingface.co".into()),
            cache_dir,
            token: var("HF_TOKEN"),
            chunk_size: 16 * 1024 * 1024,
        }
    }
}

/// How far a model download has come.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DownloadProgress {
    /// The file being fetched.
    pub file: String,
    /// Bytes present so far, over all files (including ones already cached).
    pub bytes_done: u64,
    /// Bytes of all files (known up front when the hub lists sizes; otherwise grows per file).
    pub bytes_total: u64,
}

/// A git commit id as the hub reports it: exactly 40 hexadecimal digits.
pub fn is_commit_id(s: &str) -> bool {
    s.len() == 40 && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// A plain file name that is safe as a path part on every system: letters, digits, `.`, `_`, `-`,
/// not starting with a dot, no separators (`/`, `\`), at most 200 bytes.
pub fn is_safe_file_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 200
        && !name.starts_with('.')
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b))
}

/// The files a text model needs; other weights formats, ONNX exports and images are skipped.
pub fn is_needed(file: &str) -> bool {
    const EXACT: &[&str] = &[
        "config.json",
        "generation_config.json",
        "tokenizer.json",
        "tokenizer_config.json",
        "special_tokens_map.json",
        "chat_template.jinja",
        "model.safetensors.index.json",
    ];
    !file.contains('/') && (EXACT.contains(&file) || file.ends_with(".safetensors"))
}

type Callback = Arc<dyn Fn(DownloadProgress) + Send + Sync>;

/// Counts bytes across all files and hands each update to the caller.
#[derive(Clone)]
struct Reporter {
    state: Arc<Mutex<(u64, u64)>>,
    file: String,
    /// Size the listing gave for this file (0 if unknown): counted in the total already.
    listed: u64,
    callback: Callback,
}

impl Reporter {
    fn report(&self, done_delta: u64, total_delta: u64) {
        let (done, total) = {
            let mut s = self.state.lock().expect("not poisoned");
            s.0 += done_delta;
            s.1 += total_delta;
            *s
        };
        (self.callback)(DownloadProgress {
            file: self.file.clone(),
            bytes_done: done,
            bytes_total: total,
        });
    }
}

impl Progress for Reporter {
    async fn init(&mut self, size: usize, _filename: &str) {
        let unlisted = if self.listed == 0 { size as u64 } else { 0 };
        self.report(0, unlisted);
    }

    async fn update(&mut self, size: usize) {
        self.report(size as u64, 0);
    }

    async fn finish(&mut self) {}
}

fn hub_error(repo: &str, e: impl std::fmt::Display) -> EngineError {
    EngineError::Download { repo: repo.to_string(), reason: e.to_string() }
}

/// Downloads `repo_id` (e.g. `Qwen/Qwen3-0.6B`) at `main` into the cache and returns its snapshot
/// folder, ready for [`crate::ModelSource::LocalDir`]. Dropping the returned future cancels the download
/// at once, network included; the next call resumes from the last whole chunk.
pub async fn download_model(
    repo_id: &str,
    options: &HubOptions,
    on_progress: impl Fn(DownloadProgress) + Send + Sync + 'static,
) -> Result<PathBuf, EngineError> {
    download(repo_id, Wanted::Folder, options, on_progress).await
}

/// Downloads the one GGUF file of `quant` (`Q4_K_M`) from `repo_id` (e.g. `Qwen/Qwen3-4B-GGUF`) and
/// returns its path in the cache, ready for [`crate::ModelSource::Gguf`]; cancelled and resumed as
/// [`download_model`].
pub async fn download_gguf(
    repo_id: &str,
    quant: &str,
    options: &HubOptions,
    on_progress: impl Fn(DownloadProgress) + Send + Sync + 'static,
) -> Result<PathBuf, EngineError> {
    let snapshot = download(repo_id, Wanted::Gguf(quant.to_string()), options, on_progress).await?;
    gguf_in(&snapshot, quant).ok_or_else(|| {
        hub_error(repo_id, format!("the {quant} GGUF file is missing after its download"))
    })
}

async fn download(
    repo_id: &str,
    wanted: Wanted,
    options: &HubOptions,
    on_progress: impl Fn(DownloadProgress) + Send + Sync + 'static,
) -> Result<PathBuf, EngineError> {
    // hf-hub fetches chunks in tasks of their own, which would outlive a dropped future. A private
    // runtime, shut down when this future ends or is dropped, takes them all down with it.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .map_err(|e| hub_error(repo_id, e))?;
    let task =
        runtime.spawn(fetch(repo_id.to_string(), wanted, options.clone(), Arc::new(on_progress)));
    let _runtime = PrivateRuntime(Some(runtime));
    task.await.map_err(|e| hub_error(repo_id, e))?
}

struct PrivateRuntime(Option<tokio::runtime::Runtime>);

impl Drop for PrivateRuntime {
    fn drop(&mut self) {
        if let Some(rt) = self.0.take() {
            rt.shutdown_background();
        }
    }
}

async fn fetch(
    repo_id: String,
    wanted: Wanted,
    options: HubOptions,
    callback: Callback,
) -> Result<PathBuf, EngineError> {
    let repo_id = repo_id.as_str();
    let api = ApiBuilder::new()
        .with_endpoint(options.endpoint.trim_end_matches('/').to_string())
        .with_cache_dir(options.cache_dir.clone())
        .with_token(options.token.clone())
        .with_chunk_size(Some(options.chunk_size.max(1)))
        .with_progress(false)
        .build()
        .map_err(|e| hub_error(repo_id, e))?;
    let repo = api.repo(Repo::new(repo_id.to_string(), RepoType::Model));
    let listing: serde_json::Value = repo
        .info_request()
        .query(&[("blobs", "true")])
        .send()
        .await
        .and_then(|r| r.error_for_status())
        .map_err(|e| hub_error(repo_id, e))?
        .json()
        .await
        .map_err(|e| hub_error(repo_id, e))?;
    let sha = listing
        .get("sha")
        .and_then(|s| s.as_str())
        .ok_or_else(|| hub_error(repo_id, "the hub's listing has no commit sha"))?;
    if !is_commit_id(sha) {
        return Err(hub_error(
            repo_id,
            format!("the hub gave {sha:?} as the commit, not a commit id"),
        ));
    }
    let files = listed_files(&listing, &wanted).map_err(|e| hub_error(repo_id, e))?;
    if wanted == Wanted::Folder && !files.iter().any(|f| f.name == "config.json") {
        return Err(hub_error(repo_id, "the repository has no config.json: not a model"));
    }
    let folder = Repo::new(repo_id.into(), RepoType::Model).folder_name();
    let snapshot = options.cache_dir.join(folder).join("snapshots").join(sha);
    let state =
        Arc::new(Mutex::new((0u64, files.iter().map(|f| f.size.unwrap_or(0)).sum::<u64>())));
    for file in &files {
        let reporter = Reporter {
            state: state.clone(),
            file: file.name.clone(),
            listed: file.size.unwrap_or(0),
            callback: callback.clone(),
        };
        let path = snapshot.join(&file.name);
        if path.exists() {
            // Already there (from an earlier run or another tool): kept only if it is the right file.
            match file.check(&path) {
                Ok(()) => {
                    reporter.report(file.size.unwrap_or(0), 0);
                    continue;
                }
                Err(why) => {
                    tracing::warn!(file = %file.name, %why, "a cached file does not match the hub; fetching it again");
                    remove_cached(&path);
                }
            }
        }
        let mut attempt = 0;
        loop {
            attempt += 1;
            let got = repo
                .download_with_progress(&file.name, reporter.clone())
                .await
                .map_err(|e| hub_error(repo_id, e))?;
            match file.check(&got) {
                Ok(()) => break,
                Err(why) => {
                    remove_cached(&got);
                    if attempt >= 2 {
                        return Err(hub_error(repo_id, format!("{why}; the file was removed")));
                    }
                    tracing::warn!(file = %file.name, %why, "a downloaded file does not match the hub; fetching it again");
                }
            }
        }
    }
    Ok(snapshot)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commit_ids_and_file_names_from_the_server_are_checked() {
        assert!(is_commit_id("0123456789abcdef0123456789ABCDEF01234567"));
        for bad in [
            "",
            "main",
            "../../../etc",
            "0123456789abcdef0123456789abcdef0123456",
            "g123456789abcdef0123456789abcdef01234567",
        ] {
            assert!(!is_commit_id(bad), "{bad}");
        }
        assert!(is_safe_file_name("model-00001-of-00002.safetensors"));
        for bad in [
            "..",
            "..\\x.safetensors",
            "a\\b.json",
            ".hidden.json",
            "a/b.json",
            "con fig.json",
            "é.json",
            "",
        ] {
            assert!(!is_safe_file_name(bad), "{bad}");
        }
        let listing = serde_json::json!({"siblings": [
            {"rfilename": "config.json", "size": 10},
            {"rfilename": "model.safetensors", "size": 99, "lfs": {"sha256": "AB".repeat(32), "size": 100}},
            {"rfilename": "onnx/model.onnx"},
        ]});
        let files = listed_files(&listing, &Wanted::Folder).unwrap();
        assert_eq!(files.len(), 2);
        assert_eq!(files[1].size, Some(100), "the LFS size is the file's");
        assert_eq!(files[1].sha256.as_deref(), Some("ab".repeat(32).as_str()));
        let hostile = serde_json::json!({"siblings": [{"rfilename": "..\\..\\model.safetensors"}]});
        assert!(listed_files(&hostile, &Wanted::Folder)
            .unwrap_err()
            .contains("not a safe file name"));
    }

    #[test]
    fn only_text_model_files_are_fetched() {
        for f in ["config.json", "model-00001-of-00002.safetensors", "tokenizer.json"] {
            assert!(is_needed(f), "{f}");
        }
        for f in ["pytorch_model.bin", "model.gguf", "onnx/model.safetensors", "README.md", "x.png"]
        {
            assert!(!is_needed(f), "{f}");
        }
    }
}

/// `org/name`, as the hub spells repository ids.
pub fn looks_like_hub_id(s: &str) -> bool {
    let mut parts = s.split('/');
    let ok = |p: Option<&str>| {
        p.is_some_and(|p| {
            !p.is_empty()
                && !p.starts_with('.')
                && p.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
        })
    };
    ok(parts.next()) && ok(parts.next()) && parts.next().is_none()
}

/// The cached snapshot of `id` that `refs/main` points at, if it is complete enough to load.
pub fn cached_snapshot(cache: &std::path::Path, id: &str) -> Option<PathBuf> {
    let repo = cache.join(format!("models--{}", id.replace('/', "--")));
    let commit = std::fs::read_to_string(repo.join("refs/main")).ok()?;
    let dir = repo.join("snapshots").join(commit.trim());
    crate::validate_model_dir(&dir).is_ok().then_some(dir)
}

/// The cached GGUF file of `quant` from `id`, at the snapshot `refs/main` points at.
pub fn cached_gguf(cache: &std::path::Path, id: &str, quant: &str) -> Option<PathBuf> {
    let repo = cache.join(format!("models--{}", id.replace('/', "--")));
    let commit = std::fs::read_to_string(repo.join("refs/main")).ok()?;
    gguf_in(&repo.join("snapshots").join(commit.trim()), quant)
}

/// The file of `quant` in a snapshot folder (complete: a partial download has another name).
fn gguf_in(snapshot: &std::path::Path, quant: &str) -> Option<PathBuf> {
    let wanted = Wanted::Gguf(quant.to_string());
    std::fs::read_dir(snapshot)
        .ok()?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .find(|p| p.is_file() && p.file_name().is_some_and(|n| wanted.wants(&n.to_string_lossy())))
}

#[cfg(test)]
mod hub_id_tests {
    use super::*;

    #[test]
    fn hub_ids_are_told_from_paths() {
        assert!(looks_like_hub_id("Qwen/Qwen3-0.6B"));
        assert!(looks_like_hub_id("deepseek-ai/DeepSeek-R1-Distill-Qwen-1.5B"));
        for not in ["Qwen3", "/abs/path", "./rel/x", "a/b/c", "a b/c", "../x"] {
            assert!(!looks_like_hub_id(not), "{not}");
        }
    }
}
