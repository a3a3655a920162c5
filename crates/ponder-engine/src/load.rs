//! How a model is loaded: device, quantization, the stages reported, and the thread the build runs on.

use std::path::{Path, PathBuf};
use ts_rs::TS;

use mistralrs::{GgufModelBuilder, IsqType, Model, ModelDType, TextModelBuilder};
use serde::{Deserialize, Serialize};

use crate::{EngineError, ModelSource};

/// Where the model runs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum DeviceChoice {
    /// The CPU (the default; always available).
    #[default]
    Cpu,
    /// The GPU this build supports: CUDA with the `cuda` feature, Metal with `metal`.
    Gpu,
}

impl DeviceChoice {
    /// The device's name, or an error when this build has no GPU support.
    pub fn resolve(self) -> Result<&'static str, EngineError> {
        match self {
            DeviceChoice::Cpu => Ok("cpu"),
            DeviceChoice::Gpu if cfg!(feature = "cuda") => Ok("cuda"),
            DeviceChoice::Gpu if cfg!(feature = "metal") => Ok("metal"),
            DeviceChoice::Gpu => Err(EngineError::InvalidRequest(
                "this build has no GPU support; rebuild with `--features cuda` or `--features metal`"
                    .into(),
            )),
        }
    }
}

/// In-situ quantization of the weights while loading.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Quantization {
    /// 4-bit k-quants (blocks of 256 weights).
    Q4K,
    /// 8-bit (blocks of 32 weights).
    Q8_0,
}

impl Quantization {
    /// The usual name (`Q4K`, `Q8_0`).
    pub fn name(self) -> &'static str {
        match self {
            Quantization::Q4K => "Q4K",
            Quantization::Q8_0 => "Q8_0",
        }
    }

    fn isq(self) -> IsqType {
        match self {
            Quantization::Q4K => IsqType::Q4K,
            Quantization::Q8_0 => IsqType::Q8_0,
        }
    }
}

/// How to load a model.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoadOptions {
    /// CPU or GPU.
    pub device: DeviceChoice,
    /// Quantize while loading (`None`: keep the checkpoint's precision).
    pub quantization: Option<Quantization>,
}

/// Where a load has got to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LoadStage {
    /// Checking the files.
    Checking,
    /// mistral.rs is reading (and, if asked, quantizing) the weights.
    Loading,
    /// Ready to generate.
    Ready,
}

fn float32_weights(dir: &Path) -> bool {
    std::fs::read_to_string(dir.join("config.json")).is_ok_and(|t| t.contains("\"float32\""))
}

/// mistral.rs's build, its error (with its chain of causes) turned into ours here, at the boundary.
async fn build(source: &ModelSource, options: &LoadOptions) -> Result<Model, EngineError> {
    let cpu = options.device == DeviceChoice::Cpu;
    match source {
        ModelSource::LocalDir(dir) => {
            let dtype = if float32_weights(dir) { ModelDType::F32 } else { ModelDType::Auto };
            let mut builder = TextModelBuilder::new(dir.display().to_string()).with_dtype(dtype);
            if cpu {
                builder = builder.with_force_cpu();
            }
            if let Some(q) = options.quantization {
                builder = builder.with_isq(q.isq());
            }
            builder.build().await.map_err(|e| EngineError::Load(format!("{e:#}")))
        }
        ModelSource::Gguf(file) => {
            let folder = file.parent().map(Path::to_path_buf).unwrap_or_else(|| PathBuf::from("."));
            let name =
                file.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            let mut builder = GgufModelBuilder::new(folder.display().to_string(), vec![name]);
            if cpu {
                builder = builder.with_force_cpu();
            }
            builder.build().await.map_err(|e| EngineError::Load(format!("{e:#}")))
        }
        ModelSource::Server(s) => Err(EngineError::InvalidRequest(format!(
            "{} is a server; mistral.rs builds only local models",
            s.base_url
        ))),
    }
}

/// Builds the model on a thread of its own with its own runtime (mistral.rs's build blocks).
pub(crate) async fn build_on_own_thread(
    source: ModelSource,
    options: LoadOptions,
) -> Result<(Model, tokio::runtime::Runtime), EngineError> {
    let (tx, rx) = tokio::sync::oneshot::channel();
    std::thread::Builder::new()
        .name("ponder-model-load".into())
        .spawn(move || {
            let result = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(1)
                .enable_all()
                .build()
                .map_err(|e| EngineError::Load(e.to_string()))
                .and_then(|rt| rt.block_on(build(&source, &options)).map(|m| (m, rt)));
            let _ = tx.send(result);
        })
        .map_err(|e| EngineError::Load(e.to_string()))?;
    rx.await.map_err(|_| EngineError::Load("the loading thread panicked".into()))?
}

/// The runtime that drove the build; kept alive with the engine in case the build spawned tasks on it.
pub(crate) struct LoaderRuntime(Option<tokio::runtime::Runtime>);

impl LoaderRuntime {
    pub(crate) fn new(runtime: tokio::runtime::Runtime) -> Self {
        Self(Some(runtime))
    }
}

impl Drop for LoaderRuntime {
    fn drop(&mut self) {
        if let Some(rt) = self.0.take() {
            rt.shutdown_background();
        }
    }
}
