//! Rotary position embedding (GPT-NeoX / Qwen halves layout) with a backward pass.
//!
//! The backward of a rotation is the rotation by the opposite angle, so one op serves both directions.

use std::sync::Arc;

use candle_core::{CpuStorage, CustomOp1, Layout, Result, Shape, Tensor};
use rayon::prelude::*;

use super::f32_slice;

/// Cosine and sine tables, `[positions, head_dim / 2]` row-major.
#[derive(Clone, Debug)]
pub struct RopeTables {
    cos: Arc<Vec<f32>>,
    sin: Arc<Vec<f32>>,
    half: usize,
    positions: usize,
}

impl RopeTables {
    /// Tables for `positions` positions, head width `head_dim` and base `theta` (Qwen3's `rope_theta`).
    pub fn new(positions: usize, head_dim: usize, theta: f64) -> Self {
        let half = head_dim / 2;
        let inv: Vec<f64> =
            (0..half).map(|i| 1.0 / theta.powf(2.0 * i as f64 / head_dim as f64)).collect();
        let angle = |p: usize, i: usize| (p as f64 * inv[i]) as f32;
        let table = |f: fn(f32) -> f32| -> Arc<Vec<f32>> {
            Arc::new((0..positions).flat_map(|p| (0..half).map(move |i| f(angle(p, i)))).collect())
        };
        Self { cos: table(f32::cos), sin: table(f32::sin), half, positions }
    }

    /// Rows `offset..offset + len` as `[len, head_dim / 2]` cosine and sine tensors, for decoding with
    /// a cache (forward only).
    pub(crate) fn rows(
        &self,
        offset: usize,
        len: usize,
        device: &candle_core::Device,
    ) -> Result<(Tensor, Tensor)> {
        if offset + len > self.positions {
            candle_core::bail!(
                "rope: position {} is past the {} the tables hold",
                offset + len,
                self.positions
            );
        }
        let part = |t: &[f32]| {
            Tensor::from_slice(
                &t[offset * self.half..(offset + len) * self.half],
                (len, self.half),
                device,
            )
        };
        Ok((part(&self.cos)?, part(&self.sin)?))
    }
}

/// Rotates `x` (`[batch, heads, time, head_dim]`); position `t` uses row `t` of the tables.
pub fn rope(x: &Tensor, tables: &RopeTables) -> Result<Tensor> {
    x.contiguous()?.apply_op1(Rope { tables: tables.clone(), inverse: false })
}

struct Rope {
    tables: RopeTables,
    inverse: bool,
}

impl CustomOp1 for Rope {
    fn name(&self) -> &'static str {
        "rope"
    }

    fn cpu_fwd(&self, storage: &CpuStorage, layout: &Layout) -> Result<(CpuStorage, Shape)> {
        let (_, _, t, d) = layout.shape().dims4()?;
        let half = self.tables.half;
        if d != 2 * half || t > self.tables.positions {
            candle_core::bail!("rope: input {:?} does not fit the tables", layout.dims());
        }
        let x = f32_slice(storage, layout, "rope")?;
        let sign = if self.inverse { -1.0 } else { 1.0 };
        let mut out = vec![0f32; x.len()];
        out.par_chunks_mut(d).zip(x.par_chunks(d)).enumerate().for_each(|(row, (o, x))| {
            let p = row % t;
            let cos = &self.tables.cos[p * half..(p + 1) * half];
            let sin = &self.tables.sin[p * half..(p + 1) * half];
            let (x1, x2) = x.split_at(half);
            let (o1, o2) = o.split_at_mut(half);
            for i in 0..half {
                let s = sign * sin[i];
                o1[i] = x1[i] * cos[i] - x2[i] * s;
                o2[i] = x2[i] * cos[i] + x1[i] * s;
            }
        });
        Ok((CpuStorage::F32(out), layout.shape().clone()))
    }

    fn bwd(&self, _arg: &Tensor, _res: &Tensor, grad: &Tensor) -> Result<Option<Tensor>> {
        let back = Rope { tables: self.tables.clone(), inverse: !self.inverse };
        Ok(Some(grad.contiguous()?.apply_op1(back)?))
    }
}

#[cfg(test)]
mod tests {
    use super::super::max_diff;
    use super::*;
    use candle_core::{DType, Device, Var};

    #[test]
    fn matches_candle_rope_slow_forward_and_backward() {
        let dev = Device::Cpu;
        let (t, hd, theta) = (7, 8, 10_000f64);
        let tables = RopeTables::new(16, hd, theta);
        let inv: Vec<f32> =
            (0..hd / 2).map(|i| 1.0 / (theta as f32).powf(2.0 * i as f32 / hd as f32)).collect();
        let inv = Tensor::from_vec(inv, (1, hd / 2), &dev).unwrap();
        let pos = Tensor::arange(0u32, t as u32, &dev).unwrap().to_dtype(DType::F32).unwrap();
        let freqs = pos.reshape((t, 1)).unwrap().broadcast_mul(&inv).unwrap();
        let (cos, sin) = (freqs.cos().unwrap(), freqs.sin().unwrap());

        let x = Var::from_tensor(&Tensor::randn(0f32, 1.0, (2, 3, t, hd), &dev).unwrap()).unwrap();
        let probe = Tensor::randn(0f32, 1.0, (2, 3, t, hd), &dev).unwrap();
        let fused = rope(x.as_tensor(), &tables).unwrap();
        let slow = candle_nn::rotary_emb::rope_slow(x.as_tensor(), &cos, &sin).unwrap();
        assert!(max_diff(&fused, &slow) < 1e-5);
        let gf = (fused * &probe).unwrap().sum_all().unwrap().backward().unwrap();
        let gs = (slow * &probe).unwrap().sum_all().unwrap().backward().unwrap();
        let (a, b) = (gf.get(x.as_tensor()).unwrap(), gs.get(x.as_tensor()).unwrap());
        assert!(max_diff(a, b) < 1e-5, "gradients differ by {}", max_diff(a, b));
    }
}
