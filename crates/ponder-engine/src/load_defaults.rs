//! What Ponder decides when a person leaves it to Ponder: whether to quantize a checkpoint while
//! loading it on the CPU (bf16 decodes about ten times slower there than 4-bit weights, because
//! decoding reads every weight once per token), and how many threads the CPU kernels use.

use std::path::Path;

use crate::{DeviceChoice, ModelSource, Quantization};

/// Checkpoints whose weights take this many bytes or more are quantized on the CPU by default; the
/// bundled 2 M-parameter model (8 MB) is kept as trained, where quantizing gains nothing.
pub const QUANTIZE_FROM_BYTES: u64 = 256 << 20;

/// The in-situ quantization used on the CPU by default. Q8_0 rather than Q4K: on the
/// Qwen3-0.6B-shaped fixture it decodes faster (30.5 against 24.3 tok/s) with a faster first token
/// (305 against 470 ms) on two cores (`ponder bench --quantize`, docs/benchmarks.md), and it loses
/// less. Q4K holds the weights in about half the memory, so it is used when Q8_0 would not fit.
pub const CPU_QUANTIZATION: Quantization = Quantization::Q8_0;
/// The fallback when [`CPU_QUANTIZATION`] would not fit the memory.
pub const CPU_SMALL_QUANTIZATION: Quantization = Quantization::Q4K;

/// Bytes per bf16 weight byte after quantizing (Q8_0: 8.5 bits for 16; Q4K: 4.5 for 16).
pub fn quantized_share(q: Quantization) -> f64 {
    match q {
        Quantization::Q8_0 => 8.5 / 16.0,
        Quantization::Q4K => 4.5 / 16.0,
    }
}

/// The quantization to load `source` with on `device` when the person chose "automatic": Q8_0 for
/// an unquantized checkpoint of real size on the CPU (Q4K when Q8_0 weights would take more than 70%
/// of `memory` bytes), otherwise none (a GGUF file is quantized already, a folder with a
/// `quantization_config` is quantized its own way, a GPU has bandwidth to spare).
pub fn automatic_quantization_for(
    source: &ModelSource,
    device: DeviceChoice,
    memory: u64,
) -> Option<Quantization> {
    let ModelSource::LocalDir(dir) = source else { return None };
    if device != DeviceChoice::Cpu || prequantized(dir) {
        return None;
    }
    let bytes = weights_bytes(dir);
    if bytes < QUANTIZE_FROM_BYTES {
        return None;
    }
    let fits = bytes as f64 * quantized_share(CPU_QUANTIZATION) <= 0.7 * memory as f64;
    Some(if fits { CPU_QUANTIZATION } else { CPU_SMALL_QUANTIZATION })
}

/// [`automatic_quantization_for`] this machine's memory.
pub fn automatic_quantization(source: &ModelSource, device: DeviceChoice) -> Option<Quantization> {
    automatic_quantization_for(source, device, crate::machine::this_machine_memory())
}

fn prequantized(dir: &Path) -> bool {
    std::fs::read_to_string(dir.join("config.json"))
        .is_ok_and(|t| t.contains("quantization_config"))
}

/// Bytes of the folder's safetensors files (a hub snapshot's links followed to their blobs).
pub fn weights_bytes(dir: &Path) -> u64 {
    std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().ends_with(".safetensors"))
        .filter_map(|e| std::fs::metadata(e.path()).ok())
        .map(|m| m.len())
        .sum()
}

/// Sets the threads the CPU kernels use to the physical cores, unless `RAYON_NUM_THREADS` says
/// otherwise, and returns the number in force. candle sizes its matrix kernels from that variable
/// (else from the logical CPUs, counting hyperthreads that share a core's memory bandwidth), so it
/// must be set before any model loads: binaries call this first thing in `main`, before other threads
/// exist.
pub fn configure_threads() -> usize {
    if let Some(n) = threads_from_env() {
        return n;
    }
    let physical = crate::machine::physical_cores();
    // Safe in this crate's edition; the binaries call it while the process has one thread.
    std::env::set_var("RAYON_NUM_THREADS", physical.to_string());
    physical
}

/// The threads in force: `RAYON_NUM_THREADS` if set (as [`configure_threads`] sets it), else the
/// logical CPUs, as candle counts them.
pub fn kernel_threads() -> usize {
    threads_from_env()
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
}

fn threads_from_env() -> Option<usize> {
    std::env::var("RAYON_NUM_THREADS").ok().and_then(|v| v.parse().ok()).filter(|&n| n > 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_unquantized_checkpoints_of_real_size_on_the_cpu_are_quantized() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("config.json"), "{}").unwrap();
        let weights = std::fs::File::create(dir.path().join("model.safetensors")).unwrap();
        let folder = ModelSource::LocalDir(dir.path().to_path_buf());

        let auto =
            |source: &ModelSource, device| automatic_quantization_for(source, device, 16 << 30);
        weights.set_len(8 << 20).unwrap();
        assert_eq!(auto(&folder, DeviceChoice::Cpu), None, "bundled-sized");

        weights.set_len(QUANTIZE_FROM_BYTES).unwrap();
        assert_eq!(auto(&folder, DeviceChoice::Cpu), Some(Quantization::Q8_0));
        assert_eq!(auto(&folder, DeviceChoice::Gpu), None);
        let gguf = ModelSource::Gguf(dir.path().join("model.gguf"));
        assert_eq!(auto(&gguf, DeviceChoice::Cpu), None);
        // 8 GiB of bf16 is 4.25 GiB as Q8_0: more than 70% of 6 GiB, so Q4K (2.25 GiB).
        weights.set_len(8 << 30).unwrap();
        assert_eq!(
            automatic_quantization_for(&folder, DeviceChoice::Cpu, 6 << 30),
            Some(Quantization::Q4K)
        );
        assert_eq!(auto(&folder, DeviceChoice::Cpu), Some(Quantization::Q8_0));

        std::fs::write(dir.path().join("config.json"), r#"{"quantization_config": {}}"#).unwrap();
        assert_eq!(auto(&folder, DeviceChoice::Cpu), None, "GPTQ/AWQ");
    }
}
