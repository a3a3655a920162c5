//! What this machine offers a model: memory, cores, the memory read bandwidth that decoding lives on
//! (every weight is read once per generated token), and the GPU's memory in GPU builds. The catalog
//! sizes its offers from it; the bandwidth is measured once per process, in a fraction of a second.

use std::sync::OnceLock;
use std::time::Instant;

/// The machine, as a model sees it.
#[derive(Clone, Debug, PartialEq)]
pub struct Machine {
    /// Memory installed, bytes.
    pub total_memory: u64,
    /// Memory free for a new allocation now, bytes.
    pub available_memory: u64,
    /// Physical cores (the threads a decode loop should use: a second hyperthread on a core shares
    /// its memory bandwidth and gains nothing).
    pub physical_cores: usize,
    /// Logical CPUs.
    pub logical_cores: usize,
    /// Measured memory read bandwidth, bytes per second.
    pub read_bandwidth: f64,
    /// The GPU's memory in a CUDA or Metal build, bytes (`None` in CPU builds or when unreadable).
    pub gpu_memory: Option<u64>,
}

/// Bytes summed per bandwidth pass: far beyond any CPU cache, small enough to allocate at once.
const BANDWIDTH_BYTES: usize = 256 << 20;

/// This machine (the bandwidth measured on the first call only; memory read afresh each call).
pub fn this_machine() -> Machine {
    static BANDWIDTH: OnceLock<f64> = OnceLock::new();
    let read_bandwidth = *BANDWIDTH.get_or_init(|| read_bandwidth(BANDWIDTH_BYTES));
    let mut sys = sysinfo::System::new();
    sys.refresh_memory();
    let logical_cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    Machine {
        total_memory: sys.total_memory(),
        available_memory: sys.available_memory(),
        physical_cores: physical_cores(),
        logical_cores,
        read_bandwidth,
        gpu_memory: gpu_memory(),
    }
}

/// Memory installed, bytes.
pub fn this_machine_memory() -> u64 {
    let mut sys = sysinfo::System::new();
    sys.refresh_memory();
    sys.total_memory()
}

/// Physical cores (logical CPUs where the system does not say).
pub fn physical_cores() -> usize {
    let logical = std::thread::available_parallelism().map_or(1, |n| n.get());
    sysinfo::System::physical_core_count().unwrap_or(logical).clamp(1, logical)
}

/// Best of three passes summing `bytes` of memory on every core, bytes per second.
pub fn read_bandwidth(bytes: usize) -> f64 {
    let words: Vec<u64> = (0..bytes / 8).map(|i| i as u64).collect();
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut best = 0.0f64;
    for _ in 0..3 {
        let started = Instant::now();
        let total: u64 = std::thread::scope(|s| {
            let parts: Vec<_> = words
                .chunks(words.len().div_ceil(threads).max(1))
                .map(|part| s.spawn(move || part.iter().fold(0u64, |a, &w| a.wrapping_add(w))))
                .collect();
            parts.into_iter().map(|p| p.join().unwrap_or(0)).fold(0, u64::wrapping_add)
        });
        std::hint::black_box(total);
        best = best.max(bytes as f64 / started.elapsed().as_secs_f64().max(1e-9));
    }
    best
}

#[cfg(any(feature = "cuda", feature = "metal"))]
fn gpu_memory() -> Option<u64> {
    let device = mistralrs::best_device(false).ok()?;
    if device.is_cpu() {
        return None;
    }
    mistralrs_core::MemoryUsage.get_total_memory(&device).ok().map(|b| b as u64)
}

#[cfg(not(any(feature = "cuda", feature = "metal")))]
fn gpu_memory() -> Option<u64> {
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_machine_reports_memory_cores_and_a_plausible_bandwidth() {
        let m = this_machine();
        assert!(m.total_memory >= m.available_memory && m.available_memory > 0, "{m:?}");
        assert!(m.physical_cores >= 1 && m.physical_cores <= m.logical_cores, "{m:?}");
        // Between a slow laptop's DRAM and an HBM GPU's: anything outside is a broken measurement.
        assert!(m.read_bandwidth > 1e9 && m.read_bandwidth < 5e12, "{m:?}");
        assert_eq!(this_machine().read_bandwidth, m.read_bandwidth, "measured once");
    }
}
