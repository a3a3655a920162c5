//! Downloads a model from the Hugging Face Hub (or any server speaking its protocol) into the standard
//! Hugging Face cache: files other tools downloaded are reused, an interrupted download resumes, and
//! progress is reported in bytes. Cancelling is dropping the future; the partial file stays for resume.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use hf_hub::api::tokio::{ApiBuilder, Progress};
use hf_hub::{Repo, RepoType};

use crate::EngineError;

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
    // hf-hub fetches chunks in tasks of their own, which would outlive a dropped future. A private
    // runtime, shut down when this future ends or is dropped, takes them all down with it.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .map_err(|e| hub_error(repo_id, e))?;
    let task = runtime.spawn(fetch(repo_id.to_string(), options.clone(), Arc::new(on_progress)));
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
    let files: Vec<(String, u64)> = listing
        .get("siblings")
        .and_then(|s| s.as_array())
        .into_iter()
        .flatten()
        .filter_map(|s| {
            let name = s.get("rfilename")?.as_str()?.to_string();
            let size = s.get("size").and_then(|v| v.as_u64()).unwrap_or(0);
            Some((name, size))
        })
        .filter(|(name, _)| is_needed(name))
        .collect();
    if !files.iter().any(|(f, _)| f == "config.json") {
        return Err(hub_error(repo_id, "the repository has no config.json: not a model"));
    }
    let folder = Repo::new(repo_id.into(), RepoType::Model).folder_name();
    let snapshot = options.cache_dir.join(folder).join("snapshots").join(sha);
    let state = Arc::new(Mutex::new((0u64, files.iter().map(|(_, s)| s).sum::<u64>())));
    for (file, size) in &files {
        let reporter = Reporter {
            state: state.clone(),
            file: file.clone(),
            listed: *size,
            callback: callback.clone(),
        };
        if snapshot.join(file).exists() {
            // Already there (from an earlier run or another tool): count it as done.
            reporter.report(*size, 0);
            continue;
        }
        repo.download_with_progress(file, reporter).await.map_err(|e| hub_error(repo_id, e))?;
    }
    Ok(snapshot)
}

#[cfg(test)]
mod tests {
    use super::*;

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
