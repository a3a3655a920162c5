//! GRPO (Shao et al. 2024, DeepSeekMath): for each question a group of sampled chains, each rewarded by
//! a verifier; a chain's advantage is its reward against its group's (mean, standard deviation), and
//! each of its tokens gets the clipped policy-gradient term plus β times the k3 estimate of
//! KL(π‖π_ref) — the objective of TRL's `GRPOTrainer`.

use candle_core::{Result, Tensor};
use serde::{Deserialize, Serialize};

/// How per-token terms become one loss.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Aggregation {
    /// Every token of the batch counts the same (DAPO; TRL's default `loss_type="dapo"`), so long
    /// chains are not diluted.
    Token,
    /// Each chain's mean, then the mean over chains (the original GRPO).
    Sequence,
}

/// GRPO's settings.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct GrpoConfig {
    /// Weight of the KL term to the reference.
    pub beta: f64,
    /// Lower clip of the probability ratio (`1 − ε`).
    pub epsilon_low: f64,
    /// Upper clip (`1 + ε_high`; DAPO raises it to let rare good tokens grow).
    pub epsilon_high: f64,
    /// How per-token terms are averaged.
    pub aggregation: Aggregation,
}

impl Default for GrpoConfig {
    /// β 0.04 (DeepSeekMath's; TRL now defaults to 0, but the KL keeps a small model from drifting off
    /// what it could already do), ε 0.2 both sides, token-level averaging.
    fn default() -> Self {
        Self { beta: 0.04, epsilon_low: 0.2, epsilon_high: 0.2, aggregation: Aggregation::Token }
    }
}

/// Group-relative advantages: `(r − mean) / (std + 1e-4)` within each group of `group` consecutive
/// rewards (standard deviation with Bessel's correction, as `torch.std`). A group whose rewards all tie
/// teaches nothing and gets zeros.
pub fn group_advantages(rewards: &[f64], group: usize) -> Vec<f64> {
    let mut out = Vec::with_capacity(rewards.len());
    for g in rewards.chunks(group.max(1)) {
        let n = g.len() as f64;
        let mean = g.iter().sum::<f64>() / n;
        let var = if g.len() > 1 {
            g.iter().map(|r| (r - mean).powi(2)).sum::<f64>() / (n - 1.0)
        } else {
            0.0
        };
        let std = var.sqrt();
        out.extend(g.iter().map(|r| if std == 0.0 { 0.0 } else { (r - mean) / (std + 1e-4) }));
    }
    out
}

/// The inputs of one batch's loss, all `[b, t]` except `advantages` `[b]`.
pub struct GrpoBatch<'a> {
    /// Current policy's token log-probabilities (with gradient).
    pub policy: &'a Tensor,
    /// The policy's log-probabilities when the chains were sampled.
    pub old: &'a Tensor,
    /// The reference's log-probabilities (`None` when β is 0).
    pub reference: Option<&'a Tensor>,
    /// 1 on completion tokens.
    pub mask: &'a Tensor,
    /// One advantage per chain.
    pub advantages: &'a Tensor,
}

/// The GRPO loss and the mean KL over trained tokens. `divisor` is the whole batch's token count
/// ([`Aggregation::Token`]) or chain count ([`Aggregation::Sequence`]), so parts computed by several
/// workers sum to the batch's loss.
pub fn grpo_loss(batch: &GrpoBatch<'_>, cfg: &GrpoConfig, divisor: f64) -> Result<(Tensor, f64)> {
    let ratio = (batch.policy - batch.old.detach())?.exp()?;
    let adv = batch.advantages.unsqueeze(1)?;
    let unclipped = ratio.broadcast_mul(&adv)?;
    let clipped =
        ratio.clamp(1.0 - cfg.epsilon_low, 1.0 + cfg.epsilon_high)?.broadcast_mul(&adv)?;
    let mut per_token = unclipped.minimum(&clipped)?.neg()?;
    let mut kl_mean = 0.0;
    if let Some(reference) = batch.reference.filter(|_| cfg.beta != 0.0) {
        let diff = (reference.detach() - batch.policy)?;
        let kl = ((diff.exp()? - &diff)? - 1.0)?;
        let tokens = f64::from(batch.mask.sum_all()?.to_scalar::<f32>()?).max(1.0);
        kl_mean = f64::from((&kl * batch.mask)?.sum_all()?.to_scalar::<f32>()?) / tokens;
        per_token = (per_token + (kl * cfg.beta)?)?;
    }
    let masked = (per_token * batch.mask)?;
    let loss = match cfg.aggregation {
        Aggregation::Token => (masked.sum_all()? / divisor.max(1.0))?,
        Aggregation::Sequence => {
            let lengths = batch.mask.sum(1)?.clamp(1.0, f64::INFINITY)?;
            (masked.sum(1)?.div(&lengths)?.sum_all()? / divisor.max(1.0))?
        }
    };
    Ok((loss, kl_mean))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::methods::{scalar, vector};
    use candle_core::Device;

    fn t2(rows: &[[f32; 2]]) -> Tensor {
        let flat: Vec<f32> = rows.iter().flatten().copied().collect();
        Tensor::from_vec(flat, (rows.len(), 2), &Device::Cpu).unwrap()
    }

    #[test]
    fn advantages_are_relative_to_the_group() {
        let a = group_advantages(&[1.0, 0.0, 0.0, 1.0, 1.0, 1.0], 4);
        // Group 1: mean ½, std √(1/3) → ±0.866; group 2 (a lone pair that ties) teaches nothing.
        assert!((a[0] - 0.5 / (1f64 / 3.0).sqrt()).abs() < 1e-3 && (a[1] + a[0]).abs() < 1e-9);
        assert_eq!(&a[4..], &[0.0, 0.0]);
    }

    #[test]
    fn on_policy_loss_is_minus_the_advantage_per_token() {
        // Chain 1 (advantage +1) has two tokens, chain 2 (advantage −1) one.
        let lp = t2(&[[-1.0, -2.0], [-0.5, -9.0]]);
        let mask = t2(&[[1.0, 1.0], [1.0, 0.0]]);
        let adv = vector(&[1.0, -1.0]);
        let batch =
            GrpoBatch { policy: &lp, old: &lp, reference: None, mask: &mask, advantages: &adv };
        let cfg = GrpoConfig { beta: 0.0, ..GrpoConfig::default() };
        let (token, _) = grpo_loss(&batch, &cfg, 3.0).unwrap();
        assert!((scalar(&token) + 1.0 / 3.0).abs() < 1e-6, "(−1 −1 +1)/3");
        let seq = GrpoConfig { aggregation: Aggregation::Sequence, ..cfg };
        let (per_chain, _) = grpo_loss(&batch, &seq, 2.0).unwrap();
        assert!(scalar(&per_chain).abs() < 1e-6, "(−1 + 1)/2");
    }

    #[test]
    fn clips_the_ratio_and_adds_the_kl_term() {
        // One token whose probability grew 1.5× since sampling; the reference gives it twice the
        // current probability.
        let policy = t2(&[[1.5f32.ln() - 2.0, 0.0]]);
        let old = t2(&[[-2.0, 0.0]]);
        let reference = t2(&[[1.5f32.ln() - 2.0 + 2f32.ln(), 0.0]]);
        let mask = t2(&[[1.0, 0.0]]);
        let cfg = GrpoConfig { beta: 0.1, ..GrpoConfig::default() };
        let kl = 2.0 - 2f64.ln() - 1.0;
        for (advantage, pg) in [(1.0f32, -1.2), (-1.0, 1.5)] {
            let adv = vector(&[advantage]);
            let batch = GrpoBatch {
                policy: &policy,
                old: &old,
                reference: Some(&reference),
                mask: &mask,
                advantages: &adv,
            };
            let (loss, kl_mean) = grpo_loss(&batch, &cfg, 1.0).unwrap();
            // A > 0: min(1.5, 1.2)·A; A < 0: min(−1.5, −1.2).
            assert!(
                (scalar(&loss) - (pg + 0.1 * kl)).abs() < 1e-5,
                "{advantage}: {}",
                scalar(&loss)
            );
            assert!((kl_mean - kl).abs() < 1e-5);
        }
    }
}
