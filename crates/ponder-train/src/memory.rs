//! The process's peak memory, for checking a run against its estimate (Linux; elsewhere unknown).

/// The peak resident set size (`VmHWM`) in bytes since start or the last [`reset_peak`].
pub fn peak_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

/// Starts the peak over from the current size (writing 5 to `/proc/self/clear_refs`); false where the
/// system does not allow it.
pub fn reset_peak() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}
