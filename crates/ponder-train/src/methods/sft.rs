//! SFT: the mean negative log-likelihood of the completion tokens (thinking included), over all the
//! batch's trained tokens — TRL's `completion_only_loss`, token-weighted.

use candle_core::{Result, Tensor};

/// `−Σ mask·logp / Σ mask` over `[b, t]` token log-probabilities; `denominator` overrides `Σ mask`
/// when a batch is split between workers (each part divides by the whole batch's count).
pub fn sft_loss(
    token_logprobs: &Tensor,
    mask: &Tensor,
    denominator: Option<f64>,
) -> Result<Tensor> {
    let total = (token_logprobs * mask)?.sum_all()?;
    let count = match denominator {
        Some(n) => n,
        None => f64::from(mask.sum_all()?.to_scalar::<f32>()?),
    };
    total * (-1.0 / count.max(1.0))
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::Device;

    #[test]
    fn averages_only_the_trained_tokens() {
        let lp = Tensor::new(&[[-1f32, -2.0, -3.0], [-4.0, -5.0, -6.0]], &Device::Cpu).unwrap();
        let mask = Tensor::new(&[[0f32, 1.0, 1.0], [0.0, 0.0, 1.0]], &Device::Cpu).unwrap();
        // (2 + 3 + 6) / 3
        let l = sft_loss(&lp, &mask, None).unwrap().to_scalar::<f32>().unwrap();
        assert!((l - 11.0 / 3.0).abs() < 1e-6, "{l}");
        let half = sft_loss(&lp, &mask, Some(6.0)).unwrap().to_scalar::<f32>().unwrap();
        assert!((half - 11.0 / 6.0).abs() < 1e-6);
    }
}
