//! KTO (Ethayarajh et al. 2024): each answer alone, thumbs up or down. With the implicit reward
//! `r = log π(y|x) − log π_ref(y|x)` and `z₀` a batch estimate of KL(π‖π_ref), a desirable answer costs
//! `λ_D·(1 − σ(β(r − z₀)))` and an undesirable one `λ_U·(1 − σ(β(z₀ − r)))`; the loss is their mean,
//! as in TRL's `KTOTrainer`.

use candle_core::{Result, Tensor};

use super::sigmoid;

/// KTO's settings.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct KtoWeights {
    /// β: how far from the reference the policy may move.
    pub beta: f64,
    /// λ_D, the weight of thumbs up.
    pub desirable: f64,
    /// λ_U, the weight of thumbs down.
    pub undesirable: f64,
}

impl KtoWeights {
    /// β 0.1 and weights that balance the thumbs: the paper recommends `λ_D·n_D / (λ_U·n_U)` in
    /// [1, 4/3], so the rarer kind is weighted up to match the commoner.
    pub fn balanced(up: usize, down: usize) -> Self {
        let (up, down) = (up.max(1) as f64, down.max(1) as f64);
        if up >= down {
            Self { beta: 0.1, desirable: 1.0, undesirable: up / down }
        } else {
            Self { beta: 0.1, desirable: down / up, undesirable: 1.0 }
        }
    }
}

/// `z₀`: the mean of `log π − log π_ref` over mismatched (prompt, other answer) pairs, never below zero
/// and without gradient, as the paper defines it.
pub fn kl_estimate(policy_mismatched: &[f32], reference_mismatched: &[f32]) -> f64 {
    let n = policy_mismatched.len().max(1) as f64;
    let sum: f64 =
        policy_mismatched.iter().zip(reference_mismatched).map(|(p, r)| f64::from(p - r)).sum();
    (sum / n).max(0.0)
}

/// The KTO loss over summed sequence log-probabilities `[n]` with `desirable[i]` the thumbs; the sum is
/// divided by `examples_in_batch`.
pub fn kto_loss(
    policy: &Tensor,
    reference: &Tensor,
    desirable: &[bool],
    kl: f64,
    w: KtoWeights,
    examples_in_batch: usize,
) -> Result<Tensor> {
    let reward = (policy - reference.detach())?;
    // Desirable: 1 − σ(β(r − z₀)); undesirable: 1 − σ(β(z₀ − r)), i.e. with the sign of (r − z₀) flipped.
    let sign: Vec<f32> = desirable.iter().map(|d| if *d { 1.0 } else { -1.0 }).collect();
    let weight: Vec<f32> =
        desirable.iter().map(|d| if *d { w.desirable } else { w.undesirable } as f32).collect();
    let device = policy.device();
    let sign = Tensor::new(sign, device)?;
    let weight = Tensor::new(weight, device)?;
    let centred = ((reward - kl)? * w.beta)?;
    let per = (sigmoid(&(centred * sign)?)?.neg()? + 1.0)?;
    (per * weight)?.sum_all()? * (1.0 / examples_in_batch.max(1) as f64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::methods::{scalar, vector};

    #[test]
    fn matches_the_hand_computed_value() {
        let z0 = kl_estimate(&[-1.0, -2.0, 0.0], &[-1.5, -1.7, -1.0]);
        assert!((z0 - 0.4).abs() < 1e-6, "{z0}");
        // Rewards 2, −1, 0 (up, down, up) with β 0.1, λ_D 1, λ_U 1.5:
        // (1 − σ(0.16)) + 1.5·(1 − σ(0.14)) + (1 − σ(−0.04)), over 3.
        let w = KtoWeights { beta: 0.1, desirable: 1.0, undesirable: 1.5 };
        let loss = kto_loss(
            &vector(&[-3.0, -6.0, -4.0]),
            &vector(&[-5.0, -5.0, -4.0]),
            &[true, false, true],
            z0,
            w,
            3,
        )
        .unwrap();
        assert!((scalar(&loss) - 0.555_890).abs() < 1e-5, "{}", scalar(&loss));
    }

    #[test]
    fn the_kl_estimate_never_goes_negative_and_weights_balance_the_thumbs() {
        assert_eq!(kl_estimate(&[-3.0], &[-1.0]), 0.0);
        let w = KtoWeights::balanced(30, 10);
        assert_eq!((w.desirable, w.undesirable), (1.0, 3.0));
        assert_eq!(KtoWeights::balanced(5, 20).desirable, 4.0);
    }
}
