//! The learning methods as losses over log-probabilities: SFT, DPO, KTO and GRPO.
//!
//! Each loss is a plain function of per-token or per-sequence log-probabilities (with the reference's
//! as constants), so it is tested against values computed by hand, apart from any model. The run that
//! feeds them real sequences is [`crate::learn`].

pub mod dpo;
pub mod grpo;
pub mod kto;
pub mod sft;

use candle_core::{Result, Tensor, D};
use serde::{Deserialize, Serialize};

/// A learning method.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    /// Supervised fine-tuning on good answers (up-voted, corrected, fixed-and-continued).
    Sft,
    /// Direct preference optimisation on (chosen, rejected) pairs against a frozen reference.
    Dpo,
    /// Kahneman–Tversky optimisation on single thumbs up or down.
    Kto,
    /// Group-relative policy optimisation: sampled chains rewarded by a verifier.
    Grpo,
}

impl Method {
    /// The name in settings, cards and the CLI.
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Sft => "sft",
            Method::Dpo => "dpo",
            Method::Kto => "kto",
            Method::Grpo => "grpo",
        }
    }
}

/// `log σ(x)`, without overflow for large |x| and with the true derivative `σ(−x)` everywhere — at
/// `x = 0` too, where every DPO run starts (a `min(x, 0)` formulation gives a subgradient of 1 there).
/// Each branch sees only the inputs it is chosen for, so the other cannot overflow into NaN gradients.
pub fn log_sigmoid(x: &Tensor) -> Result<Tensor> {
    let positive = x.ge(0f64)?;
    let zeros = x.zeros_like()?;
    let pos = positive.where_cond(x, &zeros)?;
    let neg = positive.where_cond(&zeros, x)?;
    // x ≥ 0: −log(1 + e^−x); x < 0: x − log(1 + eˣ).
    let upper = (pos.neg()?.exp()? + 1.0)?.log()?.neg()?;
    let lower = (&neg - (neg.exp()? + 1.0)?.log()?)?;
    positive.where_cond(&upper, &lower)
}

/// `σ(x)`.
pub fn sigmoid(x: &Tensor) -> Result<Tensor> {
    log_sigmoid(x)?.exp()
}

/// Log-probability of each next token: logits `[b, t, v]` predicting `targets` `[b, t]` gives `[b, t]`.
pub fn token_logprobs(logits: &Tensor, targets: &Tensor) -> Result<Tensor> {
    let logp = candle_nn::ops::log_softmax(logits, D::Minus1)?;
    logp.gather(&targets.unsqueeze(D::Minus1)?, D::Minus1)?.squeeze(D::Minus1)
}

/// Summed log-probability of each row's trained tokens: `(token_logprobs · mask)` summed over time.
pub fn sequence_logprobs(token_logprobs: &Tensor, mask: &Tensor) -> Result<Tensor> {
    (token_logprobs * mask)?.sum(D::Minus1)
}

#[cfg(test)]
pub(crate) fn scalar(t: &Tensor) -> f64 {
    f64::from(t.to_dtype(candle_core::DType::F32).unwrap().to_scalar::<f32>().unwrap())
}

#[cfg(test)]
pub(crate) fn vector(values: &[f32]) -> Tensor {
    Tensor::new(values, &candle_core::Device::Cpu).unwrap()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_sigmoid_is_exact_and_finite_at_the_extremes() {
        let x = vector(&[0.0, 2.0, -2.0, 200.0, -200.0]);
        let got = log_sigmoid(&x).unwrap().to_vec1::<f32>().unwrap();
        let want = [-std::f32::consts::LN_2, -0.126_928, -2.126_928, 0.0, -200.0];
        for (g, w) in got.iter().zip(want) {
            assert!((g - w).abs() < 1e-5, "{got:?}");
        }
    }

    #[test]
    fn log_sigmoid_has_the_true_gradient_everywhere() {
        let x =
            candle_core::Var::new(&[0f32, 3.0, -3.0, -500.0], &candle_core::Device::Cpu).unwrap();
        let grads = log_sigmoid(x.as_tensor()).unwrap().sum_all().unwrap().backward().unwrap();
        let g = grads.get(x.as_tensor()).unwrap().to_vec1::<f32>().unwrap();
        let want = [0.5, 0.047_426, 0.952_574, 1.0];
        for (g, w) in g.iter().zip(want) {
            assert!((g - w).abs() < 1e-5, "{g} vs {w}");
        }
    }

    #[test]
    fn token_logprobs_pick_the_targets() {
        // Two tokens; logits [0, ln 3] give probabilities 1/4 and 3/4.
        let logits =
            Tensor::new(&[[[0f32, 3f32.ln()], [0.0, 3f32.ln()]]], &candle_core::Device::Cpu)
                .unwrap();
        let targets = Tensor::new(&[[1u32, 0]], &candle_core::Device::Cpu).unwrap();
        let lp = token_logprobs(&logits, &targets).unwrap().to_vec2::<f32>().unwrap();
        assert!((lp[0][0] - 0.75f32.ln()).abs() < 1e-6 && (lp[0][1] - 0.25f32.ln()).abs() < 1e-6);
        let mask = Tensor::new(&[[0f32, 1.0]], &candle_core::Device::Cpu).unwrap();
        let seq =
            sequence_logprobs(&Tensor::new(lp, &candle_core::Device::Cpu).unwrap(), &mask).unwrap();
        assert!((seq.to_vec1::<f32>().unwrap()[0] - 0.25f32.ln()).abs() < 1e-6);
    }
}
