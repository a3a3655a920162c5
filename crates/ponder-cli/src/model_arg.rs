//! `--model`: a folder, a GGUF file, a Hugging Face id that is used from the local cache or downloaded
//! into it, or the address of an OpenAI-compatible server.

use std::path::{Path, PathBuf};

use anyhow::Context;
use ponder_engine::download::{cached_snapshot, download_model, looks_like_hub_id, HubOptions};
use ponder_engine::load_defaults::automatic_quantization;
use ponder_engine::{DeviceChoice, Engine, LoadOptions, ModelSource, ServerSource};

/// The bundled model folder.
pub fn bundled() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../models/ponder-tiny")
}

/// What to load for `--model` (default: the bundled model): a folder, a `.gguf` file, or a hub id,
/// used offline when the cache has it and otherwise downloaded with a progress bar (Ctrl-C cancels; a
/// rerun resumes), or a server's address (`http://host:8080`, `#name` after it picks one of its
/// models; the key, if it wants one, from `PONDER_API_KEY`, else the one `ponder server-key set`
/// kept in the keychain).
pub async fn resolve(model: Option<&str>) -> anyhow::Result<ModelSource> {
    let Some(model) = model else { return Ok(ModelSource::LocalDir(bundled())) };
    if model.starts_with("http://") || model.starts_with("https://") {
        let (url, name) = match model.split_once('#') {
            Some((url, name)) => (url, Some(name.to_string())),
            None => (model, None),
        };
        let api_key = match std::env::var("PONDER_API_KEY").ok().filter(|k| !k.is_empty()) {
            Some(key) => Some(key),
            None => crate::server_key::kept_key(url).await,
        };
        return Ok(ModelSource::Server(ServerSource {
            base_url: url.into(),
            model: name,
            api_key,
            reply_timeout_s: None,
        }));
    }
    let path = Path::new(model);
    if path.exists() {
        if path.extension().is_some_and(|e| e == "gguf") {
            return Ok(ModelSource::Gguf(path.to_path_buf()));
        }
        return Ok(ModelSource::LocalDir(path.to_path_buf()));
    }
    if !looks_like_hub_id(model) {
        anyhow::bail!("{model}: no such folder, and not a Hugging Face id like Qwen/Qwen3-0.6B");
    }
    let options = HubOptions::from_env();
    if let Some(dir) = cached_snapshot(&options.cache_dir, model) {
        return Ok(ModelSource::LocalDir(dir));
    }
    let bar = indicatif::ProgressBar::new(0).with_style(
        indicatif::ProgressStyle::with_template(
            "{msg} {bar:30} {bytes}/{total_bytes} ({bytes_per_sec}, {eta})",
        )
        .expect("valid template"),
    );
    bar.set_message(format!("downloading {model}"));
    let progress = bar.clone();
    let download = download_model(model, &options, move |p| {
        progress.set_length(p.bytes_total);
        progress.set_position(p.bytes_done);
    });
    let dir = tokio::select! {
        r = download => r.with_context(|| format!("fetching {model}"))?,
        _ = tokio::signal::ctrl_c() => {
            bar.abandon_with_message("download cancelled; run again to resume");
            anyhow::bail!("cancelled");
        }
    };
    bar.finish_with_message(format!("downloaded {model}"));
    Ok(ModelSource::LocalDir(dir))
}

/// The path behind a source, for messages.
pub fn describe(source: &ModelSource) -> String {
    match source {
        ModelSource::LocalDir(p) | ModelSource::Gguf(p) => p.display().to_string(),
        ModelSource::Server(s) => s.base_url.clone(),
    }
}

/// Loads `--model` (see [`resolve`]) on the CPU or GPU, quantized as asked (or as Ponder decides,
/// said on stderr), naming it in any error.
pub async fn load(
    model: Option<&str>,
    gpu: bool,
    precision: crate::ask::Precision,
) -> anyhow::Result<Engine> {
    load_waiting(model, gpu, precision, None).await
}

/// [`load`], a server's reply allowed `reply_timeout_s` of silence (default 300 s).
pub async fn load_waiting(
    model: Option<&str>,
    gpu: bool,
    precision: crate::ask::Precision,
    reply_timeout_s: Option<u64>,
) -> anyhow::Result<Engine> {
    let mut source = resolve(model).await?;
    if let ModelSource::Server(server) = &mut source {
        server.reply_timeout_s = reply_timeout_s;
    }
    let device = if gpu { DeviceChoice::Gpu } else { DeviceChoice::Cpu };
    let quantization = match precision {
        crate::ask::Precision::Exactly(q) => q,
        crate::ask::Precision::Auto => {
            let q = automatic_quantization(&source, device);
            if let Some(q) = q {
                eprintln!(
                    "quantizing to {} while loading (automatic on the CPU; --quantize none keeps the weights as stored)",
                    q.name()
                );
            }
            q
        }
    };
    let options = LoadOptions { device, quantization };
    let name = describe(&source);
    Engine::load_with(source, &options, |_| {}).await.with_context(|| format!("loading {name}"))
}
