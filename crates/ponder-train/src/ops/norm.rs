//! RMSNorm over the last dimension, `y = x / sqrt(mean(x²) + eps) * w`, with gradients for `x` and `w`.

use candle_core::{CpuStorage, CustomOp2, CustomOp3, Layout, Result, Shape, Tensor};
use rayon::prelude::*;

use super::f32_slice;

/// Rows per parallel task when summing the gain's gradient: enough work to outweigh the hand-off.
const ROWS_PER_TASK: usize = 64;

/// RMSNorm of `x` (`[..., d]`) with gain `w` (`[d]`), as Qwen3 and candle-nn's `rms_norm_slow` define it.
pub fn rms_norm(x: &Tensor, w: &Tensor, eps: f32) -> Result<Tensor> {
    x.contiguous()?.apply_op2(&w.contiguous()?, RmsNorm { eps })
}

struct RmsNorm {
    eps: f32,
}

/// `dL/dx`, from `x`, `w` and `dL/dy`.
struct RmsNormGradX {
    eps: f32,
}

/// `dL/dw`, from `x` and `dL/dy`.
struct RmsNormGradW {
    eps: f32,
}

fn width(xl: &Layout, wl: &Layout) -> Result<usize> {
    let d = *xl.dims().last().unwrap_or(&0);
    if wl.dims() != [d] {
        candle_core::bail!("rms-norm: gain {:?} does not match input {:?}", wl.dims(), xl.dims());
    }
    Ok(d)
}

fn inv_rms(x: &[f32], eps: f32) -> f32 {
    let mean_sq = x.iter().map(|v| v * v).sum::<f32>() / x.len() as f32;
    1.0 / (mean_sq + eps).sqrt()
}

impl CustomOp2 for RmsNorm {
    fn name(&self) -> &'static str {
        "rms-norm"
    }

    fn cpu_fwd(
        &self,
        xs: &CpuStorage,
        xl: &Layout,
        ws: &CpuStorage,
        wl: &Layout,
    ) -> Result<(CpuStorage, Shape)> {
        let d = width(xl, wl)?;
        let (x, w) = (f32_slice(xs, xl, "rms-norm")?, f32_slice(ws, wl, "rms-norm")?);
        let mut out = vec![0f32; x.len()];
        out.par_chunks_mut(d).zip(x.par_chunks(d)).for_each(|(o, x)| {
            let r = inv_rms(x, self.eps);
            for ((o, x), w) in o.iter_mut().zip(x).zip(w) {
                *o = x * r * w;
            }
        });
        Ok((CpuStorage::F32(out), xl.shape().clone()))
    }

    fn bwd(
        &self,
        x: &Tensor,
        w: &Tensor,
        _res: &Tensor,
        grad: &Tensor,
    ) -> Result<(Option<Tensor>, Option<Tensor>)> {
        let grad = grad.contiguous()?;
        let dx = x.apply_op3_no_bwd(w, &grad, &RmsNormGradX { eps: self.eps })?;
        let dw = x.apply_op2_no_bwd(&grad, &RmsNormGradW { eps: self.eps })?;
        Ok((Some(dx), Some(dw)))
    }
}

impl CustomOp3 for RmsNormGradX {
    fn name(&self) -> &'static str {
        "rms-norm-grad-x"
    }

    /// With `n = x·r` and `g = dy·w`: `dx = r · (g − n · mean(g·n))`.
    fn cpu_fwd(
        &self,
        xs: &CpuStorage,
        xl: &Layout,
        ws: &CpuStorage,
        wl: &Layout,
        gs: &CpuStorage,
        gl: &Layout,
    ) -> Result<(CpuStorage, Shape)> {
        let d = width(xl, wl)?;
        let what = "rms-norm-grad-x";
        let (x, w, dy) =
            (f32_slice(xs, xl, what)?, f32_slice(ws, wl, what)?, f32_slice(gs, gl, what)?);
        let mut out = vec![0f32; x.len()];
        out.par_chunks_mut(d).zip(x.par_chunks(d).zip(dy.par_chunks(d))).for_each(
            |(o, (x, dy))| {
                let r = inv_rms(x, self.eps);
                let dot = x.iter().zip(dy).zip(w).map(|((x, g), w)| x * r * g * w).sum::<f32>();
                let mean = dot / d as f32;
                for (((o, x), g), w) in o.iter_mut().zip(x).zip(dy).zip(w) {
                    *o = r * (g * w - x * r * mean);
                }
            },
        );
        Ok((CpuStorage::F32(out), xl.shape().clone()))
    }
}

impl CustomOp2 for RmsNormGradW {
    fn name(&self) -> &'static str {
        "rms-norm-grad-w"
    }

    /// `dw = Σ_rows dy · x · r`.
    fn cpu_fwd(
        &self,
        xs: &CpuStorage,
        xl: &Layout,
        gs: &CpuStorage,
        gl: &Layout,
    ) -> Result<(CpuStorage, Shape)> {
        let d = *xl.dims().last().unwrap_or(&0);
        let (x, dy) =
            (f32_slice(xs, xl, "rms-norm-grad-w")?, f32_slice(gs, gl, "rms-norm-grad-w")?);
        let chunk = d * ROWS_PER_TASK;
        let dw = x
            .par_chunks(chunk)
            .zip(dy.par_chunks(chunk))
            .map(|(x, dy)| {
                let mut acc = vec![0f32; d];
                for (x, dy) in x.chunks(d).zip(dy.chunks(d)) {
                    let r = inv_rms(x, self.eps);
                    for ((a, x), g) in acc.iter_mut().zip(x).zip(dy) {
                        *a += g * x * r;
                    }
                }
                acc
            })
            .reduce(
                || vec![0f32; d],
                |mut a, b| {
                    a.iter_mut().zip(&b).for_each(|(a, b)| *a += b);
                    a
                },
            );
        Ok((CpuStorage::F32(dw), Shape::from(d)))
    }
}

#[cfg(test)]
mod tests {
    use super::super::max_diff;
    use super::*;
    use candle_core::{Device, Var};

    #[test]
    fn matches_basic_op_rms_norm_forward_and_backward() {
        let dev = Device::Cpu;
        let x = Var::from_tensor(&Tensor::randn(0f32, 2.0, (3, 5, 16), &dev).unwrap()).unwrap();
        let w = Var::from_tensor(&Tensor::randn(1f32, 0.3, 16, &dev).unwrap()).unwrap();
        let probe = Tensor::randn(0f32, 1.0, (3, 5, 16), &dev).unwrap();
        let fused = rms_norm(x.as_tensor(), w.as_tensor(), 1e-6).unwrap();
        let slow = candle_nn::ops::rms_norm_slow(x.as_tensor(), w.as_tensor(), 1e-6).unwrap();
        assert!(max_diff(&fused, &slow) < 1e-5);
        let gf = (fused * &probe).unwrap().sum_all().unwrap().backward().unwrap();
        let gs = (slow * &probe).unwrap().sum_all().unwrap().backward().unwrap();
        for v in [&x, &w] {
            let (a, b) = (gf.get(v.as_tensor()).unwrap(), gs.get(v.as_tensor()).unwrap());
            assert!(max_diff(a, b) < 1e-4, "gradients differ by {}", max_diff(a, b));
        }
    }
}
