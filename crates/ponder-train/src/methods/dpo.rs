//! DPO (Rafailov et al. 2023): for each pair, `−log σ(β·[(log π(c) − log π_ref(c)) − (log π(r) − log π_ref(r))])`,
//! averaged over pairs — TRL's `loss_type="sigmoid"`.

use candle_core::{Result, Tensor};

use super::log_sigmoid;

/// What one batch of pairs measured, besides the loss.
#[derive(Clone, Copy, Debug, Default, PartialEq, serde::Serialize)]
pub struct PairStats {
    /// Share of pairs whose implicit reward prefers the chosen answer.
    pub accuracy: f64,
    /// Mean of `β·(chosen reward − rejected reward)`.
    pub margin: f64,
}

/// The DPO loss and its statistics from summed sequence log-probabilities `[pairs]` of the policy and
/// the frozen reference (which carry no gradient). `pairs_in_batch` is the divisor (all pairs of the
/// batch, when a worker holds only some of them).
pub fn dpo_loss(
    policy_chosen: &Tensor,
    policy_rejected: &Tensor,
    reference_chosen: &Tensor,
    reference_rejected: &Tensor,
    beta: f64,
    pairs_in_batch: usize,
) -> Result<(Tensor, PairStats)> {
    let chosen = (policy_chosen - reference_chosen.detach())?;
    let rejected = (policy_rejected - reference_rejected.detach())?;
    let margin = ((chosen - rejected)? * beta)?;
    let loss = (log_sigmoid(&margin)?.sum_all()? * (-1.0 / pairs_in_batch.max(1) as f64))?;
    let m = margin.detach().to_vec1::<f32>()?;
    let n = m.len().max(1) as f64;
    let stats = PairStats {
        accuracy: m.iter().filter(|v| **v > 0.0).count() as f64 / n,
        margin: m.iter().map(|v| f64::from(*v)).sum::<f64>() / n,
    };
    Ok((loss, stats))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::methods::{scalar, vector};

    #[test]
    fn matches_the_hand_computed_value() {
        // Pair 1: chosen gained 1.0 over the reference, rejected lost 1.0 → margin β·2 = 0.2.
        // Pair 2: the policy prefers the rejected answer by 0.5 nats → margin −0.05.
        let (loss, stats) = dpo_loss(
            &vector(&[-10.0, -8.0]),
            &vector(&[-21.0, -7.0]),
            &vector(&[-11.0, -8.0]),
            &vector(&[-20.0, -7.5]),
            0.1,
            2,
        )
        .unwrap();
        // −½·[log σ(0.2) + log σ(−0.05)] = ½·(0.598139 + 0.718460)
        assert!((scalar(&loss) - 0.658_299).abs() < 1e-5, "{}", scalar(&loss));
        assert_eq!(stats.accuracy, 0.5);
        assert!((stats.margin - 0.075).abs() < 1e-6);
    }

    #[test]
    fn starts_at_log_two_and_pushes_chosen_up() {
        let chosen = candle_core::Var::new(&[-5f32], &candle_core::Device::Cpu).unwrap();
        let rejected = candle_core::Var::new(&[-5f32], &candle_core::Device::Cpu).unwrap();
        let (loss, _) = dpo_loss(
            chosen.as_tensor(),
            rejected.as_tensor(),
            &vector(&[-5.0]),
            &vector(&[-5.0]),
            0.1,
            1,
        )
        .unwrap();
        assert!((scalar(&loss) - std::f64::consts::LN_2).abs() < 1e-6);
        let grads = loss.backward().unwrap();
        // d/dc = −β·σ(−0) = −0.05: descending raises the chosen log-probability.
        let g = grads.get(chosen.as_tensor()).unwrap().to_vec1::<f32>().unwrap()[0];
        assert!((g + 0.05).abs() < 1e-6, "{g}");
        let g = grads.get(rejected.as_tensor()).unwrap().to_vec1::<f32>().unwrap()[0];
        assert!((g - 0.05).abs() < 1e-6, "{g}");
    }
}
