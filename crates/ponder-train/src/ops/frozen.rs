//! `x · Wᵀ` for a weight that does not train, with a backward pass for `x` only.
//!
//! Why: candle's matmul backward computes the gradient of both operands whatever they are, so with
//! LoRA every frozen projection (and the output layer, 151,936 × 1,024 for Qwen3-0.6B) got a full-size
//! f32 gradient nobody reads — 6 GiB more than the model for one 0.6B step, and a third of the
//! backward's work. Here the weight lives inside the op, out of the graph.

use candle_core::{CpuStorage, CustomOp1, Device, Layout, Result, Shape, Tensor};

use super::f32_slice;

/// `x` `[rows, in]` times the transpose of the frozen `w` `[out, in]` (both f32 on the CPU).
pub fn frozen_matmul(x: &Tensor, w: &Tensor) -> Result<Tensor> {
    x.contiguous()?.apply_op1(FrozenMatmul { w: w.clone() })
}

struct FrozenMatmul {
    w: Tensor,
}

impl CustomOp1 for FrozenMatmul {
    fn name(&self) -> &'static str {
        "frozen-matmul"
    }

    fn cpu_fwd(&self, storage: &CpuStorage, layout: &Layout) -> Result<(CpuStorage, Shape)> {
        let (rows, inner) = layout.shape().dims2()?;
        let (out, w_inner) = self.w.dims2()?;
        if inner != w_inner {
            candle_core::bail!(
                "frozen-matmul: input {:?} against weight {:?}",
                layout.dims(),
                self.w.dims()
            );
        }
        let x = Tensor::from_slice(
            f32_slice(storage, layout, "frozen-matmul")?,
            (rows, inner),
            &Device::Cpu,
        )?;
        let y = x.matmul(&self.w.t()?)?.flatten_all()?.to_vec1::<f32>()?;
        Ok((CpuStorage::F32(y), Shape::from((rows, out))))
    }

    fn bwd(&self, _arg: &Tensor, _res: &Tensor, grad: &Tensor) -> Result<Option<Tensor>> {
        Ok(Some(grad.matmul(&self.w)?))
    }
}

#[cfg(test)]
mod tests {
    use super::super::max_diff;
    use super::*;
    use candle_core::Var;

    #[test]
    fn matches_matmul_forward_and_backward_for_the_input() {
        let x = Var::from_tensor(&Tensor::randn(0f32, 1.0, (5, 8), &Device::Cpu).unwrap()).unwrap();
        let w = Tensor::randn(0f32, 1.0, (3, 8), &Device::Cpu).unwrap();
        let probe = Tensor::randn(0f32, 1.0, (5, 3), &Device::Cpu).unwrap();
        let fused = frozen_matmul(x.as_tensor(), &w).unwrap();
        let plain = x.as_tensor().matmul(&w.t().unwrap()).unwrap();
        assert!(max_diff(&fused, &plain) < 1e-5);
        let gf = (fused * &probe).unwrap().sum_all().unwrap().backward().unwrap();
        let gp = (plain * &probe).unwrap().sum_all().unwrap().backward().unwrap();
        assert!(max_diff(gf.get(x.as_tensor()).unwrap(), gp.get(x.as_tensor()).unwrap()) < 1e-5);
        assert!(gf.get(&w).is_none(), "no gradient for the frozen weight");
    }
}
