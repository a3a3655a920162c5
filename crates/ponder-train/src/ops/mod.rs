//! Fused CPU operations with their own backward passes, for training.
//!
//! Why: candle-nn's fused `softmax_last_dim`, `rms_norm` and `rope` have no backward, and the same
//! functions built from basic candle ops walk every activation many times, single-threaded, allocating a
//! tensor per step. Each op here makes one parallel pass forward and one or two backward, and is tested
//! against the basic-op version for values and gradients.

mod frozen;
mod norm;
mod rope;
mod softmax;

use candle_core::{CpuStorage, Layout, Result};

pub use frozen::frozen_matmul;
pub use norm::rms_norm;
pub use rope::{rope, RopeTables};
pub use softmax::causal_softmax;

fn f32_slice<'a>(storage: &'a CpuStorage, layout: &Layout, what: &str) -> Result<&'a [f32]> {
    let (start, end) = layout
        .contiguous_offsets()
        .ok_or_else(|| candle_core::Error::Msg(format!("{what}: needs a contiguous tensor")))?;
    Ok(&storage.as_slice::<f32>()?[start..end])
}

#[cfg(test)]
fn max_diff(a: &candle_core::Tensor, b: &candle_core::Tensor) -> f32 {
    (a - b).unwrap().abs().unwrap().max_all().unwrap().to_scalar::<f32>().unwrap()
}
