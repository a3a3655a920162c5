//! One optimizer step of each method: rows of token ids in, the loss's gradients out, computed by
//! several single-threaded workers on shares of the rows (as the bundled model's trainer does, and for
//! the same reason: small matrices keep candle's own threads idle).

use candle_core::backprop::GradStore;
use candle_core::{Device, Tensor, Var};

use crate::data::Encoded;
use crate::methods::dpo::{dpo_loss, PairStats};
use crate::methods::grpo::{grpo_loss, GrpoBatch, GrpoConfig};
use crate::methods::kto::{kl_estimate, kto_loss, KtoWeights};
use crate::methods::sft::sft_loss;
use crate::methods::{sequence_logprobs, token_logprobs};
use crate::model::Qwen;
use crate::TrainError;

/// Token log-probabilities `[rows, w-1]` of each row's next tokens, and the 0/1 mask of trained ones.
pub fn row_logprobs(
    model: &Qwen,
    rows: &[&Encoded],
    pad: u32,
    adapters: bool,
) -> Result<(Tensor, Tensor), TrainError> {
    let device = model.embed.device();
    let width = rows.iter().map(|r| r.ids.len()).max().unwrap_or(1).max(2);
    let (mut inputs, mut targets, mut mask) = (Vec::new(), Vec::new(), Vec::new());
    for r in rows {
        for i in 0..width - 1 {
            inputs.push(r.ids.get(i).copied().unwrap_or(pad));
            targets.push(r.ids.get(i + 1).copied().unwrap_or(pad));
            mask.push(if r.trained.get(i + 1).copied().unwrap_or(false) { 1f32 } else { 0.0 });
        }
    }
    let shape = (rows.len(), width - 1);
    let inputs = Tensor::from_vec(inputs, shape, device)?;
    let targets = Tensor::from_vec(targets, shape, device)?;
    let mask = Tensor::from_vec(mask, shape, device)?;
    let logits = model.forward_with(&inputs, adapters)?;
    Ok((token_logprobs(&logits, &targets)?, mask))
}

/// Summed log-probabilities of each row's trained tokens, without gradients, a few rows at a time.
pub fn sequence_values(
    model: &Qwen,
    rows: &[&Encoded],
    pad: u32,
    adapters: bool,
) -> Result<Vec<f32>, TrainError> {
    let mut out = Vec::with_capacity(rows.len());
    for chunk in rows.chunks(8) {
        let (lp, mask) = row_logprobs(model, chunk, pad, adapters)?;
        out.extend(sequence_logprobs(&lp.detach(), &mask)?.to_vec1::<f32>()?);
    }
    Ok(out)
}

/// What a step measured besides its loss.
#[derive(Clone, Copy, Debug, Default)]
pub struct StepStats {
    /// DPO: preference accuracy and margin.
    pub pairs: Option<PairStats>,
    /// GRPO: the KL to the reference.
    pub kl: Option<f64>,
}

/// A share of a batch's loss (already divided by the whole batch's divisor) and its statistics.
pub type PartLoss<'a, T> = dyn Fn(&[T]) -> Result<(Tensor, StepStats), TrainError> + Sync + 'a;

/// Runs `part_loss` on up to `workers` shares of `items` at once and sums their gradients; each share's
/// loss must already be divided by the whole batch's divisor, so the sum is the batch's loss.
pub fn backward_in_parts<T: Sync>(
    vars: &[Var],
    items: &[T],
    workers: usize,
    part_loss: &PartLoss<'_, T>,
) -> Result<(f32, GradStore, StepStats), TrainError> {
    let per = items.len().div_ceil(workers.max(1)).max(1);
    let parts: Vec<&[T]> = items.chunks(per).collect();
    let run = |part: &[T]| -> Result<(f32, GradStore, StepStats), TrainError> {
        let (loss, stats) = part_loss(part)?;
        Ok((loss.to_scalar::<f32>()?, loss.backward()?, stats))
    };
    let results: Vec<_> = std::thread::scope(|scope| {
        let handles: Vec<_> = parts[1..].iter().map(|p| scope.spawn(move || run(p))).collect();
        let mut out = vec![run(parts[0])];
        out.extend(handles.into_iter().map(|h| h.join().expect("a learning worker panicked")));
        out
    });
    let mut results = results.into_iter().zip(parts.iter().map(|p| p.len()));
    let (first, first_len) = results.next().expect("at least one part");
    let (mut loss, mut grads, first_stats) = first?;
    let mut stats = Weighted::default();
    stats.add(&first_stats, first_len);
    for (r, len) in results {
        let (l, mut more, part_stats) = r?;
        stats.add(&part_stats, len);
        loss += l;
        for v in vars {
            if let Some(g) = more.remove(v.as_tensor()) {
                let sum = match grads.remove(v.as_tensor()) {
                    Some(mine) => (mine + g)?,
                    None => g,
                };
                grads.insert(v.as_tensor(), sum);
            }
        }
    }
    Ok((loss, grads, stats.mean()))
}

/// Statistics of a batch's parts, averaged by their sizes.
#[derive(Default)]
struct Weighted {
    accuracy: f64,
    margin: f64,
    kl: f64,
    pairs: usize,
    kl_rows: usize,
}

impl Weighted {
    fn add(&mut self, s: &StepStats, rows: usize) {
        if let Some(p) = s.pairs {
            self.accuracy += p.accuracy * rows as f64;
            self.margin += p.margin * rows as f64;
            self.pairs += rows;
        }
        if let Some(kl) = s.kl {
            self.kl += kl * rows as f64;
            self.kl_rows += rows;
        }
    }

    fn mean(&self) -> StepStats {
        let n = |c: usize| c.max(1) as f64;
        StepStats {
            pairs: (self.pairs > 0).then(|| PairStats {
                accuracy: self.accuracy / n(self.pairs),
                margin: self.margin / n(self.pairs),
            }),
            kl: (self.kl_rows > 0).then(|| self.kl / n(self.kl_rows)),
        }
    }
}

/// SFT on `rows`, token-weighted over the whole batch.
pub fn sft_step(
    model: &Qwen,
    vars: &[Var],
    rows: &[&Encoded],
    pad: u32,
    workers: usize,
) -> Result<(f32, GradStore, StepStats), TrainError> {
    let tokens: usize = rows.iter().map(|r| r.trained.iter().skip(1).filter(|t| **t).count()).sum();
    backward_in_parts(vars, rows, workers, &|part| {
        let (lp, mask) = row_logprobs(model, part, pad, true)?;
        Ok((sft_loss(&lp, &mask, Some(tokens as f64))?, StepStats::default()))
    })
}

/// One DPO pair with its reference values.
pub struct PairRows<'a> {
    /// The chosen answer's rows.
    pub chosen: &'a Encoded,
    /// The rejected answer's.
    pub rejected: &'a Encoded,
    /// Reference log-probabilities of both.
    pub reference: (f32, f32),
}

/// DPO on `pairs`.
pub fn dpo_step(
    model: &Qwen,
    vars: &[Var],
    pairs: &[PairRows<'_>],
    beta: f64,
    pad: u32,
    workers: usize,
) -> Result<(f32, GradStore, StepStats), TrainError> {
    let n = pairs.len();
    let (loss, grads, stats) = backward_in_parts(vars, pairs, workers, &|part| {
        let rows: Vec<&Encoded> =
            part.iter().map(|p| p.chosen).chain(part.iter().map(|p| p.rejected)).collect();
        let (lp, mask) = row_logprobs(model, &rows, pad, true)?;
        let seq = sequence_logprobs(&lp, &mask)?;
        let k = part.len();
        let device = seq.device();
        let rc = Tensor::new(part.iter().map(|p| p.reference.0).collect::<Vec<_>>(), device)?;
        let rr = Tensor::new(part.iter().map(|p| p.reference.1).collect::<Vec<_>>(), device)?;
        let (loss, stats) =
            dpo_loss(&seq.narrow(0, 0, k)?, &seq.narrow(0, k, k)?, &rc, &rr, beta, n)?;
        Ok((loss, StepStats { pairs: Some(stats), kl: None }))
    })?;
    Ok((loss, grads, stats))
}

/// One KTO answer with its mismatched partner (the same prompt, another answer) and reference values.
pub struct ThumbRows<'a> {
    /// The answer.
    pub row: &'a Encoded,
    /// The prompt with another example's answer, for the KL estimate.
    pub mismatched: &'a Encoded,
    /// Thumbs up.
    pub desirable: bool,
    /// Reference log-probabilities of the answer and the mismatched pair.
    pub reference: (f32, f32),
}

/// KTO on `thumbs`.
pub fn kto_step(
    model: &Qwen,
    vars: &[Var],
    thumbs: &[ThumbRows<'_>],
    weights: KtoWeights,
    pad: u32,
    workers: usize,
) -> Result<(f32, GradStore, StepStats), TrainError> {
    let mismatched: Vec<&Encoded> = thumbs.iter().map(|t| t.mismatched).collect();
    let policy_kl = sequence_values(model, &mismatched, pad, true)?;
    let reference_kl: Vec<f32> = thumbs.iter().map(|t| t.reference.1).collect();
    let z0 = kl_estimate(&policy_kl, &reference_kl);
    let n = thumbs.len();
    backward_in_parts(vars, thumbs, workers, &|part| {
        let rows: Vec<&Encoded> = part.iter().map(|t| t.row).collect();
        let (lp, mask) = row_logprobs(model, &rows, pad, true)?;
        let seq = sequence_logprobs(&lp, &mask)?;
        let reference =
            Tensor::new(part.iter().map(|t| t.reference.0).collect::<Vec<_>>(), seq.device())?;
        let labels: Vec<bool> = part.iter().map(|t| t.desirable).collect();
        Ok((
            kto_loss(&seq, &reference, &labels, z0, weights, n)?,
            StepStats { pairs: None, kl: Some(z0) },
        ))
    })
}

/// One sampled chain, with its advantage.
pub struct ChainRows {
    /// Prompt and completion.
    pub row: Encoded,
    /// Group-relative advantage.
    pub advantage: f32,
}

/// GRPO on `chains` (on-policy: one update per sampling, so the old log-probabilities are the
/// current ones, detached); `reference` is the frozen model, or `None` for the adapters-off base.
#[allow(clippy::too_many_arguments)]
pub fn grpo_step(
    model: &Qwen,
    reference: Option<&Qwen>,
    vars: &[Var],
    chains: &[ChainRows],
    cfg: &GrpoConfig,
    pad: u32,
    workers: usize,
    device: &Device,
) -> Result<(f32, GradStore, StepStats), TrainError> {
    let tokens: usize =
        chains.iter().map(|c| c.row.trained.iter().skip(1).filter(|t| **t).count()).sum();
    let divisor = match cfg.aggregation {
        crate::methods::grpo::Aggregation::Token => tokens as f64,
        crate::methods::grpo::Aggregation::Sequence => chains.len() as f64,
    };
    backward_in_parts(vars, chains, workers, &|part| {
        let rows: Vec<&Encoded> = part.iter().map(|c| &c.row).collect();
        let (lp, mask) = row_logprobs(model, &rows, pad, true)?;
        let ref_lp = if cfg.beta == 0.0 {
            None
        } else {
            let (r, _) = match reference {
                Some(m) => row_logprobs(m, &rows, pad, false)?,
                None => row_logprobs(model, &rows, pad, false)?,
            };
            Some(r.detach())
        };
        let adv = Tensor::new(part.iter().map(|c| c.advantage).collect::<Vec<_>>(), device)?;
        let old = lp.detach();
        let batch = GrpoBatch {
            policy: &lp,
            old: &old,
            reference: ref_lp.as_ref(),
            mask: &mask,
            advantages: &adv,
        };
        let (loss, kl) = grpo_loss(&batch, cfg, divisor)?;
        Ok((loss, StepStats { pairs: None, kl: Some(kl) }))
    })
}
