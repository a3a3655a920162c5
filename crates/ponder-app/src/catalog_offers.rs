//! The catalog of models to download as the first run and Settings show it: each sized for this
//! machine (download, memory, speed, fits / tight / too big), whether it is downloaded already, the one
//! Ponder recommends, and the [`ModelChoice`] that one click loads.

use serde::Serialize;
use ts_rs::TS;

use ponder_engine::download::{cached_gguf, cached_snapshot, HubOptions};
use ponder_engine::downloadable::{offers, Fit, Offer, Weights};
use ponder_engine::load_defaults::kernel_threads;
use ponder_engine::machine::{this_machine, Machine};
use ponder_engine::DeviceChoice;

use crate::models::QuantizationChoice;
use crate::{App, ModelChoice};

/// Decoding slower than this (tokens/s) is not recommended, however well the model fits: a reasoning
/// chain of a thousand tokens would take over two minutes.
const RECOMMEND_FROM_TOKENS_PER_S: f64 = 8.0;

/// One downloadable model, sized for this machine.
#[derive(Clone, Debug, PartialEq, Serialize, TS)]
pub struct CatalogOffer {
    /// Stable key (repository, and `:Q4_K_M` for a GGUF file).
    pub key: String,
    /// What people call it (`Qwen3-4B`).
    pub name: String,
    /// The hub repository.
    pub repo: String,
    /// How it is stored: `safetensors` or the GGUF quantization (`GGUF Q4_K_M`).
    pub format: String,
    /// The precision it runs at here (`Q4K` for a folder quantized while loading on the CPU).
    pub runs_as: String,
    /// Bytes to download (estimated from the parameters; the download checks the real sizes).
    #[ts(type = "number")]
    pub download_bytes: u64,
    /// Memory needed while loading and answering, bytes.
    #[ts(type = "number")]
    pub memory_bytes: u64,
    /// Decoding speed to expect here, tokens/s (`None` on a GPU).
    pub tokens_per_second: Option<f64>,
    /// Against this machine's memory (the GPU's on a GPU).
    pub fit: Fit,
    /// In the Hugging Face cache already: loads without a download.
    pub downloaded: bool,
    /// The one Ponder suggests here: the largest that fits and decodes at a usable speed.
    pub recommended: bool,
    /// What loading it sends.
    pub choice: ModelChoice,
}

/// The catalog for this machine, with what it was sized from.
#[derive(Clone, Debug, PartialEq, Serialize, TS)]
pub struct ModelCatalog {
    /// Every model, in catalog order.
    pub offers: Vec<CatalogOffer>,
    /// Memory installed, bytes.
    #[ts(type = "number")]
    pub total_memory: u64,
    /// The GPU's memory in a GPU build, bytes.
    #[ts(type = "number | null")]
    pub gpu_memory: Option<u64>,
    /// Measured memory read bandwidth, GB/s.
    pub bandwidth_gb_per_s: f64,
    /// Threads the CPU kernels use.
    pub threads: u32,
}

fn choice_for(offer: &Offer, device: DeviceChoice) -> ModelChoice {
    let id = offer.model.repo.to_string();
    match offer.model.weights {
        Weights::Safetensors => {
            ModelChoice::Hub { id, device, quantization: Some(QuantizationChoice::Auto) }
        }
        Weights::Gguf(quant) => ModelChoice::HubGguf { id, quant: quant.to_string(), device },
    }
}

/// The offers for `machine`, marked downloaded from the cache at `cache`.
pub fn catalog_for(
    machine: &Machine,
    device: DeviceChoice,
    cache: &std::path::Path,
) -> ModelCatalog {
    let gpu = device == DeviceChoice::Gpu;
    let mut list: Vec<CatalogOffer> = offers(machine, gpu)
        .into_iter()
        .map(|o| {
            let downloaded = match o.model.weights {
                Weights::Safetensors => cached_snapshot(cache, o.model.repo).is_some(),
                Weights::Gguf(q) => cached_gguf(cache, o.model.repo, q).is_some(),
            };
            CatalogOffer {
                key: o.model.key(),
                name: o.model.name.to_string(),
                repo: o.model.repo.to_string(),
                format: match o.model.weights {
                    Weights::Safetensors => "safetensors".to_string(),
                    Weights::Gguf(q) => format!("GGUF {q}"),
                },
                runs_as: o.runs_as.clone(),
                download_bytes: o.download_bytes,
                memory_bytes: o.memory_bytes,
                tokens_per_second: o.tokens_per_second,
                fit: o.fit,
                downloaded,
                recommended: false,
                choice: choice_for(&o, device),
            }
        })
        .collect();
    if let Some(best) = recommended(&list) {
        list[best].recommended = true;
    }
    ModelCatalog {
        offers: list,
        total_memory: machine.total_memory,
        gpu_memory: machine.gpu_memory,
        bandwidth_gb_per_s: machine.read_bandwidth / 1e9,
        threads: kernel_threads() as u32,
    }
}

/// The largest Qwen3 that fits and decodes fast enough; among its formats the fastest, then the
/// smallest download. Only Qwen3 is recommended: it thinks or answers directly as asked, where QwQ and
/// the R1 distills always think at length (they stay in the list for those who want them).
fn recommended(list: &[CatalogOffer]) -> Option<usize> {
    let usable = |o: &CatalogOffer| {
        o.name.starts_with("Qwen3-")
            && o.fit == Fit::Fits
            && o.tokens_per_second.is_none_or(|t| t >= RECOMMEND_FROM_TOKENS_PER_S)
    };
    (0..list.len()).filter(|&i| usable(&list[i])).max_by(|&a, &b| {
        let (a, b) = (&list[a], &list[b]);
        parameters(a)
            .cmp(&parameters(b))
            .then(a.tokens_per_second.unwrap_or(0.0).total_cmp(&b.tokens_per_second.unwrap_or(0.0)))
            .then(b.download_bytes.cmp(&a.download_bytes))
    })
}

fn parameters(o: &CatalogOffer) -> u64 {
    ponder_engine::downloadable::CATALOG
        .iter()
        .find(|m| m.key() == o.key)
        .map_or(0, |m| m.parameters)
}

impl App {
    /// The catalog sized for this machine, for loading on `device`. Measuring the bandwidth (once)
    /// and looking in the cache are done on a blocking thread.
    pub async fn model_catalog(&self, device: DeviceChoice) -> ModelCatalog {
        let cache = HubOptions::from_env().cache_dir;
        let work = move || catalog_for(&this_machine(), device, &cache);
        match tokio::task::spawn_blocking(work).await {
            Ok(catalog) => catalog,
            Err(_) => ModelCatalog {
                offers: Vec::new(),
                total_memory: 0,
                gpu_memory: None,
                bandwidth_gb_per_s: 0.0,
                threads: kernel_threads() as u32,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn machine(gib: u64) -> Machine {
        Machine {
            total_memory: gib << 30,
            available_memory: gib << 30,
            physical_cores: 2,
            logical_cores: 2,
            read_bandwidth: 37.4e9,
            gpu_memory: None,
        }
    }

    #[test]
    fn the_recommendation_is_the_largest_model_that_fits_at_a_usable_speed() {
        let cache = tempfile::tempdir().unwrap();
        let catalog = catalog_for(&machine(24), DeviceChoice::Cpu, cache.path());
        let picks: Vec<_> = catalog.offers.iter().filter(|o| o.recommended).collect();
        assert_eq!(picks.len(), 1);
        let pick = picks[0];
        // 37.4 GB/s at 27% of the ceiling: Qwen3-1.7B decodes at ~5.5 tok/s as Q8_0, too slow;
        // Qwen3-0.6B at ~16, and its GGUF file is the smaller download of the two formats.
        assert_eq!(pick.key, "Qwen/Qwen3-0.6B-GGUF:Q8_0", "{pick:?}");
        assert!(pick.tokens_per_second.unwrap() >= RECOMMEND_FROM_TOKENS_PER_S);
        assert_eq!(
            pick.choice,
            ModelChoice::HubGguf {
                id: "Qwen/Qwen3-0.6B-GGUF".into(),
                quant: "Q8_0".into(),
                device: DeviceChoice::Cpu
            }
        );
        let folder = catalog.offers.iter().find(|o| o.key == "Qwen/Qwen3-0.6B").unwrap();
        assert_eq!(
            folder.choice,
            ModelChoice::Hub {
                id: "Qwen/Qwen3-0.6B".into(),
                device: DeviceChoice::Cpu,
                quantization: Some(QuantizationChoice::Auto)
            }
        );
        // A workstation with 100 GB/s: Qwen3-4B as Q4_K_M (~11 tok/s); 8B would decode at ~5.
        let fast = Machine { read_bandwidth: 100e9, ..machine(64) };
        let catalog_fast = catalog_for(&fast, DeviceChoice::Cpu, cache.path());
        let pick = catalog_fast.offers.iter().find(|o| o.recommended).unwrap();
        assert_eq!(pick.key, "Qwen/Qwen3-4B-GGUF:Q4_K_M", "{pick:?}");
        assert!(catalog.offers.iter().all(|o| !o.downloaded));
        let gguf = catalog.offers.iter().find(|o| o.key == "Qwen/Qwen3-4B-GGUF:Q4_K_M").unwrap();
        assert_eq!(gguf.format, "GGUF Q4_K_M");
        assert!(matches!(&gguf.choice, ModelChoice::HubGguf { quant, .. } if quant == "Q4_K_M"));

        let small = catalog_for(&machine(1), DeviceChoice::Cpu, cache.path());
        assert!(small.offers.iter().all(|o| !o.recommended), "nothing fits 1 GiB");
    }
}
