//! Causal softmax over attention scores.
//!
//! Why: built from basic candle ops, `softmax(scores + mask)` walks the `[batch, heads, T, T]` score tensor
//! about seven times forward and fourteen backward, single-threaded, and dominated the step time. This op
//! does one parallel pass each way and skips the masked upper triangle entirely.

use candle_core::{CpuStorage, CustomOp1, CustomOp2, Layout, Result, Shape, Tensor};
use rayon::prelude::*;

use super::f32_slice;

/// Softmax over the last dimension of `[..., R·T, T]` scores where query row `i` (of each `T × T` block)
/// may only see keys `0..=i`.
pub fn causal_softmax(scores: &Tensor) -> Result<Tensor> {
    scores.contiguous()?.apply_op1(CausalSoftmax)
}

struct CausalSoftmax;
struct CausalSoftmaxBackward;

/// The key count `T` of `[..., R·T, T]` scores: `R` query groups (heads sharing one key/value head)
/// stacked along the rows, each a `T × T` block.
fn square_width(layout: &Layout) -> Result<usize> {
    let dims = layout.dims();
    let t = *dims.last().unwrap_or(&0);
    if dims.len() < 2 || t == 0 || !dims[dims.len() - 2].is_multiple_of(t) {
        candle_core::bail!("causal softmax expects [..., R·T, T], got {dims:?}");
    }
    Ok(t)
}

impl CustomOp1 for CausalSoftmax {
    fn name(&self) -> &'static str {
        "causal-softmax"
    }

    fn cpu_fwd(&self, storage: &CpuStorage, layout: &Layout) -> Result<(CpuStorage, Shape)> {
        let t = square_width(layout)?;
        let x = f32_slice(storage, layout, "causal-softmax")?;
        let mut out = vec![0f32; x.len()];
        out.par_chunks_mut(t).zip(x.par_chunks(t)).enumerate().for_each(|(row, (o, x))| {
            let visible = row % t + 1;
            let max = x[..visible].iter().copied().fold(f32::NEG_INFINITY, f32::max);
            let mut sum = 0f32;
            for (o, x) in o[..visible].iter_mut().zip(&x[..visible]) {
                *o = (x - max).exp();
                sum += *o;
            }
            let inv = 1.0 / sum;
            o[..visible].iter_mut().for_each(|o| *o *= inv);
        });
        Ok((CpuStorage::F32(out), layout.shape().clone()))
    }

    fn bwd(&self, _arg: &Tensor, res: &Tensor, grad_res: &Tensor) -> Result<Option<Tensor>> {
        Ok(Some(res.apply_op2(&grad_res.contiguous()?, CausalSoftmaxBackward)?))
    }
}

impl CustomOp2 for CausalSoftmaxBackward {
    fn name(&self) -> &'static str {
        "causal-softmax-backward"
    }

    /// `dx_j = y_j * (dy_j - Σ_k y_k dy_k)` over the visible keys; zero for masked ones.
    fn cpu_fwd(
        &self,
        ys: &CpuStorage,
        yl: &Layout,
        gs: &CpuStorage,
        gl: &Layout,
    ) -> Result<(CpuStorage, Shape)> {
        let t = square_width(yl)?;
        let y = f32_slice(ys, yl, "causal-softmax-backward")?;
        let g = f32_slice(gs, gl, "causal-softmax-backward")?;
        let mut out = vec![0f32; y.len()];
        out.par_chunks_mut(t).zip(y.par_chunks(t).zip(g.par_chunks(t))).enumerate().for_each(
            |(row, (o, (y, g)))| {
                let visible = row % t + 1;
                let dot: f32 = y[..visible].iter().zip(&g[..visible]).map(|(y, g)| y * g).sum();
                for j in 0..visible {
                    o[j] = y[j] * (g[j] - dot);
                }
            },
        );
        Ok((CpuStorage::F32(out), yl.shape().clone()))
    }
}

#[cfg(test)]
mod tests {
    use super::super::max_diff;
    use super::*;
    use candle_core::{Device, Var, D};

    fn reference(x: &Tensor) -> Tensor {
        let t = x.dim(D::Minus1).unwrap();
        let mask: Vec<f32> = (0..t)
            .flat_map(|i| (0..t).map(move |j| if j > i { f32::NEG_INFINITY } else { 0.0 }))
            .collect();
        let mask = Tensor::from_vec(mask, (t, t), x.device()).unwrap();
        candle_nn::ops::softmax(&x.broadcast_add(&mask).unwrap(), D::Minus1).unwrap()
    }

    #[test]
    fn matches_masked_softmax_forward_and_backward() {
        let x = Var::from_tensor(&Tensor::randn(0f32, 2.0, (2, 3, 7, 7), &Device::Cpu).unwrap())
            .unwrap();
        let w = Tensor::randn(0f32, 1.0, (2, 3, 7, 7), &Device::Cpu).unwrap();
        let fused = causal_softmax(x.as_tensor()).unwrap();
        let slow = reference(x.as_tensor());
        assert!(max_diff(&fused, &slow) < 1e-6);
        let gf = (fused * &w).unwrap().sum_all().unwrap().backward().unwrap();
        let gs = (slow * &w).unwrap().sum_all().unwrap().backward().unwrap();
        let (gf, gs) = (gf.get(x.as_tensor()).unwrap(), gs.get(x.as_tensor()).unwrap());
        assert!(max_diff(gf, gs) < 1e-5, "gradients differ by {}", max_diff(gf, gs));
    }
}
