//! Whether this CPU has the instructions the build was compiled for (`.cargo/config.toml` targets
//! x86-64-v3, because candle picks its fast quantized kernels at compile time). Binaries check at start
//! and explain, instead of dying of an illegal instruction in the middle of a model load.

/// `Err` with a message for people when the CPU lacks an instruction set the build relies on.
pub fn cpu_support() -> Result<(), String> {
    let missing = missing_features();
    if missing.is_empty() {
        return Ok(());
    }
    Err(format!(
        "This build of Ponder needs a CPU with AVX2, FMA and F16C (x86-64-v3: Intel Haswell from 2013, \
         AMD Excavator from 2015, or later); this CPU lacks {}. Build Ponder from source on this machine \
         with RUSTFLAGS=\"-C target-cpu=native\" to run it here.",
        missing.join(", ")
    ))
}

#[cfg(target_arch = "x86_64")]
fn missing_features() -> Vec<&'static str> {
    let mut missing = Vec::new();
    macro_rules! need {
        ($($feature:tt),*) => {$(
            if cfg!(target_feature = $feature) && !std::arch::is_x86_feature_detected!($feature) {
                missing.push($feature);
            }
        )*};
    }
    need!("avx", "avx2", "fma", "f16c", "bmi2");
    missing
}

#[cfg(not(target_arch = "x86_64"))]
fn missing_features() -> Vec<&'static str> {
    Vec::new()
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_machine_that_builds_the_tests_can_run_them() {
        assert_eq!(super::cpu_support(), Ok(()));
    }

    #[cfg(target_arch = "x86_64")]
    #[test]
    fn the_workspace_is_built_for_x86_64_v3() {
        // Set once in .cargo/config.toml; without it candle's quantized kernels lose AVX2/FMA.
        assert!(std::hint::black_box(
            cfg!(target_feature = "avx2") && cfg!(target_feature = "fma")
        ));
    }
}
