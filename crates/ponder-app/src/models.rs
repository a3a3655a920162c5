//! The model behind the window: which one is loaded, loading another (downloading a hub id first,
//! cancellably), and what is on disk to choose from.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use ts_rs::TS;

use ponder_engine::download::{
    cached_gguf, cached_snapshot, download_gguf, download_model, looks_like_hub_id, HubOptions,
};
use ponder_engine::load_defaults::{automatic_quantization, kernel_threads};
use ponder_engine::{
    DeviceChoice, Engine, LoadOptions, LoadStage, ModelSlot, ModelSource, Quantization,
    ServerSource,
};
use serde::{Deserialize, Serialize};
use tokio::sync::watch;

use crate::{App, AppError, Result};

/// In-situ quantization, as the window names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum QuantizationChoice {
    /// Ponder decides: Q4K for an unquantized checkpoint of real size on the CPU, else none
    /// (`ponder_engine::load_defaults::automatic_quantization`).
    Auto,
    /// 4-bit k-quants.
    Q4k,
    /// 8-bit.
    #[serde(rename = "q8_0")]
    Q80,
}

/// Which model to load.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(tag = "source", rename_all = "snake_case")]
pub enum ModelChoice {
    /// ponder-tiny, shipped with the app.
    Bundled {
        /// CPU or GPU.
        device: DeviceChoice,
        /// Quantize while loading.
        quantization: Option<QuantizationChoice>,
    },
    /// A Hugging Face layout folder.
    Folder {
        /// The folder.
        path: PathBuf,
        /// CPU or GPU.
        device: DeviceChoice,
        /// Quantize while loading.
        quantization: Option<QuantizationChoice>,
    },
    /// One GGUF file (already quantized).
    Gguf {
        /// The file.
        path: PathBuf,
        /// CPU or GPU.
        device: DeviceChoice,
    },
    /// One GGUF file of a hub repository, from the local cache or downloaded into it.
    HubGguf {
        /// `org/name`, e.g. `Qwen/Qwen3-4B-GGUF`.
        id: String,
        /// The quantization whose file to fetch, e.g. `Q4_K_M`.
        quant: String,
        /// CPU or GPU.
        device: DeviceChoice,
    },
    /// A model on a server speaking the OpenAI chat-completions protocol (vLLM, SGLang,
    /// llama.cpp's server, Ollama, LM Studio).
    Server {
        /// Its address, e.g. `http://127.0.0.1:8080` (`/v1` optional).
        url: String,
        /// Which of its models; `None` takes the first it lists.
        model: Option<String>,
        /// The longest silence to wait for in a reply, in seconds (`None`: the engine's
        /// `DEFAULT_REPLY_TIMEOUT_S`, 5 minutes). A CPU server reading a long prompt says nothing
        /// until its first token.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[ts(optional, type = "number")]
        reply_timeout_s: Option<u64>,
    },
    /// A hub id, from the local cache or downloaded into it.
    Hub {
        /// `org/name`.
        id: String,
        /// CPU or GPU.
        device: DeviceChoice,
        /// Quantize while loading.
        quantization: Option<QuantizationChoice>,
    },
}

/// What the loaded model is.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, TS)]
pub struct ModelSummary {
    /// Path or hub id.
    pub id: String,
    /// What to call it (`ponder-tiny`, `Qwen/Qwen3-0.6B`): the name answers are saved under.
    pub name: String,
    /// e.g. `qwen3`.
    pub architecture: String,
    /// `cpu`, `cuda`, `metal`.
    pub device: String,
    /// In-situ quantization, if any.
    pub quantization: Option<String>,
    /// Whether Ponder chose the quantization (the person left it on automatic).
    pub quantization_automatic: bool,
    /// Threads the CPU kernels use.
    pub threads: u32,
    /// The model's context, tokens (a question and its answer together); `None` if it declares none.
    pub context_tokens: Option<u32>,
}

/// Where the model slot is.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, TS)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum ModelStatus {
    /// Nothing loaded yet.
    Empty,
    /// Being downloaded or loaded.
    Loading {
        /// What.
        choice: ModelChoice,
    },
    /// Ready to answer.
    Ready {
        /// What is loaded.
        info: ModelSummary,
        /// Whether it is ponder-tiny.
        bundled: bool,
    },
    /// The last load failed; nothing is loaded.
    Failed {
        /// Machine-readable.
        kind: ponder_error_kind::ErrorKind,
        /// Names the file or the reason.
        message: String,
    },
}

/// How a load is going.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, TS)]
#[serde(tag = "stage", rename_all = "snake_case")]
pub enum LoadProgress {
    /// Fetching files from the hub.
    Downloading {
        /// The file being fetched.
        file: String,
        /// Bytes of all files so far.
        bytes_done: u64,
        /// Bytes of all files.
        bytes_total: u64,
    },
    /// Checking the files.
    Checking,
    /// mistral.rs is reading the weights.
    Loading,
    /// Ready.
    Ready,
}

/// Receives load progress.
pub type ProgressSink = Arc<dyn Fn(LoadProgress) + Send + Sync>;

/// A model on disk.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, TS)]
pub struct ModelEntry {
    /// Name to show (hub id or path).
    pub id: String,
    /// Folder or file.
    pub path: PathBuf,
    /// `bundled`, `hub_cache`, `folder`, `gguf`.
    pub origin: ponder_engine::catalog::ModelOrigin,
    /// Architecture when loadable.
    pub architecture: Option<String>,
    /// Why it cannot be loaded.
    pub problem: Option<String>,
    /// Size on disk.
    pub bytes: u64,
}

pub(crate) struct Models {
    slot: ModelSlot,
    bundled: PathBuf,
    status: Mutex<ModelStatus>,
    /// Set while a load runs; sending `true` cancels its download.
    cancel: Mutex<Option<watch::Sender<bool>>>,
    /// Folders and files loaded before, offered again in the list.
    recent: Mutex<Vec<PathBuf>>,
}

impl Models {
    pub(crate) fn new(bundled: PathBuf) -> Self {
        Self {
            slot: ModelSlot::new(),
            bundled,
            status: Mutex::new(ModelStatus::Empty),
            cancel: Mutex::new(None),
            recent: Mutex::new(Vec::new()),
        }
    }

    pub(crate) async fn engine(&self) -> Result<Arc<Engine>> {
        self.slot.current().await.ok_or(AppError::NoModel)
    }

    fn set(&self, status: ModelStatus) {
        *self.status.lock().expect("not poisoned") = status;
    }
}

/// The load options for `source`, with "automatic" decided for it; the flag says it was.
fn options(
    source: &ModelSource,
    device: DeviceChoice,
    q: Option<QuantizationChoice>,
) -> (LoadOptions, bool) {
    let (quantization, automatic) = match q {
        None => (None, false),
        Some(QuantizationChoice::Auto) => (automatic_quantization(source, device), true),
        Some(QuantizationChoice::Q4k) => (Some(Quantization::Q4K), false),
        Some(QuantizationChoice::Q80) => (Some(Quantization::Q8_0), false),
    };
    (LoadOptions { device, quantization }, automatic)
}

impl App {
    /// Where the model slot is.
    pub fn model_status(&self) -> ModelStatus {
        self.models.status.lock().expect("not poisoned").clone()
    }

    /// Models on disk: the bundled one, the hub cache, and folders or files loaded before. Reading
    /// and checking them is file work, done on a blocking thread.
    pub async fn list_models(&self) -> Vec<ModelEntry> {
        let cache = HubOptions::from_env().cache_dir;
        let mut known = self.models.recent.lock().expect("not poisoned").clone();
        let bundled = self.models.bundled.clone();
        let data_dir = self.config.data_dir.clone();
        let found = tokio::task::spawn_blocking(move || {
            // Versions learned here come first after the bundled model and the cache.
            let versions = ponder_learn::list_versions(&data_dir).into_iter().map(|v| v.path);
            known.splice(0..0, versions);
            ponder_engine::catalog::local_models(&bundled, &cache, &known)
        })
        .await
        .unwrap_or_default();
        found
            .into_iter()
            .map(|m| ModelEntry {
                architecture: m.status.as_ref().ok().cloned(),
                problem: m.status.err(),
                id: m.id,
                path: m.path,
                origin: m.origin,
                bytes: m.bytes,
            })
            .collect()
    }

    /// Frees the current model and loads `choice`, reporting progress. One load at a time.
    pub async fn load_model(
        &self,
        choice: ModelChoice,
        progress: ProgressSink,
    ) -> Result<ModelStatus> {
        let (tx, rx) = watch::channel(false);
        {
            let mut cancel = self.models.cancel.lock().expect("not poisoned");
            if cancel.is_some() {
                return Err(AppError::Busy);
            }
            *cancel = Some(tx);
        }
        // Frees the slot however this ends: an error, a panic in a load task, or the caller dropping
        // the future; otherwise the app would refuse every later load as busy.
        let guard = LoadGuard { models: &self.models, finished: false };
        self.models.set(ModelStatus::Loading { choice: choice.clone() });
        let result = self.load_inner(&choice, progress, rx).await;
        guard.finish();
        let status = match &result {
            Ok((engine, automatic)) => {
                let info = engine.info();
                let bundled = matches!(choice, ModelChoice::Bundled { .. });
                if !bundled {
                    if let ModelChoice::Folder { path, .. } | ModelChoice::Gguf { path, .. } =
                        &choice
                    {
                        let mut recent = self.models.recent.lock().expect("not poisoned");
                        recent.retain(|p| p != path);
                        recent.insert(0, path.clone());
                        recent.truncate(8);
                    }
                }
                // Warm the weights' hash (each answer records it) while the person reads the screen.
                let id = PathBuf::from(&info.id);
                tokio::task::spawn_blocking(move || ponder_chat::model_hash(&id));
                ModelStatus::Ready {
                    info: ModelSummary {
                        id: info.id.clone(),
                        name: info.name.clone(),
                        architecture: info.architecture.clone(),
                        device: info.device.clone(),
                        quantization: info.quantization.clone(),
                        quantization_automatic: *automatic,
                        // A server's threads are its own business.
                        threads: if engine.is_served() { 0 } else { kernel_threads() as u32 },
                        context_tokens: engine.context_length().map(|c| c as u32),
                    },
                    bundled,
                }
            }
            Err(e) => ModelStatus::Failed { kind: e.kind(), message: e.to_string() },
        };
        self.models.set(status.clone());
        result.map(|_| status)
    }

    /// Cancels the download of a load in progress (a later load resumes it).
    pub fn cancel_download(&self) {
        if let Some(tx) = &*self.models.cancel.lock().expect("not poisoned") {
            let _ = tx.send(true);
        }
    }

    async fn load_inner(
        &self,
        choice: &ModelChoice,
        progress: ProgressSink,
        mut cancelled: watch::Receiver<bool>,
    ) -> Result<(Arc<Engine>, bool)> {
        let cancelled_error = |id: &str| {
            AppError::Cancelled(format!("download of {id} cancelled; load it again to resume"))
        };
        let (source, device, quantization) = match choice {
            ModelChoice::Bundled { device, quantization } => {
                (ModelSource::LocalDir(self.models.bundled.clone()), *device, *quantization)
            }
            ModelChoice::Folder { path, device, quantization } => {
                (ModelSource::LocalDir(path.clone()), *device, *quantization)
            }
            ModelChoice::Gguf { path, device } => (ModelSource::Gguf(path.clone()), *device, None),
            ModelChoice::HubGguf { id, quant, device } => {
                let file = tokio::select! {
                    file = fetch_gguf(id, quant, progress.clone()) => file?,
                    _ = cancelled.wait_for(|c| *c) => return Err(cancelled_error(id)),
                };
                (ModelSource::Gguf(file), *device, None)
            }
            ModelChoice::Hub { id, device, quantization } => {
                let dir = tokio::select! {
                    dir = fetch(id, progress.clone()) => dir?,
                    _ = cancelled.wait_for(|c| *c) => return Err(cancelled_error(id)),
                };
                (ModelSource::LocalDir(dir), *device, *quantization)
            }
            ModelChoice::Server { url, model, reply_timeout_s } => {
                let server = ServerSource {
                    base_url: url.clone(),
                    model: model.clone().filter(|m| !m.trim().is_empty()),
                    api_key: self.key_for_server(url).await,
                    reply_timeout_s: *reply_timeout_s,
                };
                (ModelSource::Server(server), DeviceChoice::Cpu, None)
            }
        };
        let (opts, automatic) = options(&source, device, quantization);
        opts.device.resolve()?;
        let stage = progress.clone();
        let engine = self
            .models
            .slot
            .switch(source, &opts, move |s| {
                stage(match s {
                    LoadStage::Checking => LoadProgress::Checking,
                    LoadStage::Loading => LoadProgress::Loading,
                    LoadStage::Ready => LoadProgress::Ready,
                })
            })
            .await?;
        Ok((engine, automatic))
    }
}

/// Clears the load-in-progress mark when a load ends in any way; one that did not end normally leaves
/// the status saying so instead of "loading" forever.
struct LoadGuard<'a> {
    models: &'a Models,
    finished: bool,
}

impl LoadGuard<'_> {
    fn finish(mut self) {
        self.finished = true;
    }
}

impl Drop for LoadGuard<'_> {
    fn drop(&mut self) {
        if let Ok(mut cancel) = self.models.cancel.lock() {
            *cancel = None;
        }
        if !self.finished {
            if let Ok(mut status) = self.models.status.lock() {
                *status = ModelStatus::Failed {
                    kind: ponder_error_kind::ErrorKind::ModelLoad,
                    message: "loading the model stopped before it finished".into(),
                };
            }
        }
    }
}

/// The hub repository's GGUF file of `quant`: the cached one, or downloaded now.
async fn fetch_gguf(id: &str, quant: &str, progress: ProgressSink) -> Result<PathBuf> {
    if !looks_like_hub_id(id) {
        return Err(AppError::Invalid(format!(
            "{id} is not a Hugging Face id like Qwen/Qwen3-4B-GGUF"
        )));
    }
    let options = HubOptions::from_env();
    if let Some(file) = cached_gguf(&options.cache_dir, id, quant) {
        return Ok(file);
    }
    let file = download_gguf(id, quant, &options, move |p| {
        progress(LoadProgress::Downloading {
            file: p.file,
            bytes_done: p.bytes_done,
            bytes_total: p.bytes_total,
        })
    })
    .await?;
    Ok(file)
}

/// The hub id's folder: the cached snapshot, or downloaded now.
async fn fetch(id: &str, progress: ProgressSink) -> Result<PathBuf> {
    if !looks_like_hub_id(id) {
        return Err(AppError::Invalid(format!(
            "{id} is not a Hugging Face id like Qwen/Qwen3-0.6B"
        )));
    }
    let options = HubOptions::from_env();
    if let Some(dir) = cached_snapshot(&options.cache_dir, id) {
        return Ok(dir);
    }
    let dir = download_model(id, &options, move |p| {
        progress(LoadProgress::Downloading {
            file: p.file,
            bytes_done: p.bytes_done,
            bytes_total: p.bytes_total,
        })
    })
    .await?;
    Ok(dir)
}
