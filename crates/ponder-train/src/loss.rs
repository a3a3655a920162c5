//! The training loss (mean cross-entropy over assistant tokens) and its gradients, computed on several
//! cores at once by splitting each batch's rows between threads.
//!
//! Why threads over rows rather than candle's own threading: the matrices of a 2 M-parameter model are
//! small and most of candle's CPU operations run on one thread, so on two cores one run with candle's
//! threads trained ~1,230 tokens/s while two single-threaded runs side by side trained ~1,100 each.
//! So each worker computes a whole forward and backward pass on its rows, single-threaded
//! (`RAYON_NUM_THREADS=1`, set by `main.rs`), and the gradients are summed.

use std::sync::atomic::{AtomicUsize, Ordering};

use candle_core::backprop::GradStore;
use candle_core::{Device, Tensor, Var, D};

use crate::data::{self, Batch, Encoded};
use crate::model::Qwen;
use crate::TrainError;

/// Worker threads chosen by [`set_workers`]; 0 means one per core.
static WORKERS: AtomicUsize = AtomicUsize::new(0);

/// Sets how many threads compute each batch's gradients, for the whole process (like
/// `RAYON_NUM_THREADS`, and because it changes the speed of a run, never its result).
pub fn set_workers(n: usize) {
    WORKERS.store(n, Ordering::Relaxed);
}

/// The worker count in effect: [`set_workers`]'s, else one per core.
pub fn workers() -> usize {
    match WORKERS.load(Ordering::Relaxed) {
        0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
        n => n,
    }
}

/// Targets trained on in `members` (the loss's denominator).
fn trained_targets(encoded: &[Encoded], members: &[usize]) -> usize {
    members.iter().map(|&m| encoded[m].trained.iter().skip(1).filter(|t| **t).count()).sum()
}

/// Summed negative log-likelihood of `batch`'s trained targets, divided by `denominator`.
fn scaled_loss(
    model: &Qwen,
    encoded: &[Encoded],
    batch: &Batch,
    pad: u32,
    device: &Device,
    denominator: f64,
) -> Result<Tensor, TrainError> {
    let (inputs, targets, mask) = data::tensors_for(encoded, batch, pad);
    let shape = (batch.members.len(), batch.width - 1);
    let inputs = Tensor::from_vec(inputs, shape, device)?;
    let targets = Tensor::from_vec(targets, shape.0 * shape.1, device)?;
    let mask = Tensor::from_vec(mask, shape.0 * shape.1, device)?;
    let logits = model.forward(&inputs)?;
    let (b, t, v) = logits.dims3()?;
    let logp = candle_nn::ops::log_softmax(&logits.reshape((b * t, v))?, D::Minus1)?;
    let picked = logp.gather(&targets.unsqueeze(1)?, 1)?.squeeze(1)?;
    Ok(((picked * mask)?.sum_all()? * (-1.0 / denominator.max(1.0)))?)
}

/// Mean loss of one batch, as a tensor that can be differentiated.
pub fn batch_loss(
    model: &Qwen,
    encoded: &[Encoded],
    batch: &Batch,
    pad: u32,
    device: &Device,
) -> Result<Tensor, TrainError> {
    let denominator = trained_targets(encoded, &batch.members) as f64;
    scaled_loss(model, encoded, batch, pad, device, denominator)
}

/// The batch's mean loss and the gradients of `vars`, with the rows split between up to `workers`
/// threads. Each part's loss is divided by the whole batch's token count, so the summed gradients are
/// exactly those of the batch's mean loss, whatever the split.
pub fn loss_and_gradients(
    model: &Qwen,
    vars: &[Var],
    encoded: &[Encoded],
    batch: &Batch,
    pad: u32,
    device: &Device,
    workers: usize,
) -> Result<(f32, GradStore), TrainError> {
    let denominator = trained_targets(encoded, &batch.members) as f64;
    let per_part = batch.members.len().div_ceil(workers.max(1));
    let parts: Vec<Batch> = batch
        .members
        .chunks(per_part)
        .map(|rows| Batch { members: rows.to_vec(), width: batch.width })
        .collect();
    let run = |part: &Batch| -> Result<(f32, GradStore), TrainError> {
        let loss = scaled_loss(model, encoded, part, pad, device, denominator)?;
        Ok((loss.to_scalar::<f32>()?, loss.backward()?))
    };
    let results: Vec<Result<(f32, GradStore), TrainError>> = std::thread::scope(|scope| {
        let handles: Vec<_> = parts[1..].iter().map(|p| scope.spawn(move || run(p))).collect();
        let mut out = vec![run(&parts[0])];
        out.extend(handles.into_iter().map(|h| h.join().expect("a loss worker panicked")));
        out
    });
    let mut results = results.into_iter();
    let (mut loss, mut grads) = results.next().expect("at least one part")?;
    for result in results {
        let (l, mut more) = result?;
        loss += l;
        for var in vars {
            let t = var.as_tensor();
            if let Some(g) = more.remove(t) {
                let sum = match grads.remove(t) {
                    Some(mine) => (mine + g)?,
                    None => g,
                };
                grads.insert(t, sum);
            }
        }
    }
    Ok((loss, grads))
}

/// Token-weighted mean loss over `examples` (no gradients kept).
pub fn mean_loss(
    model: &Qwen,
    examples: &[Encoded],
    batch_tokens: usize,
    pad: u32,
    device: &Device,
) -> Result<f32, TrainError> {
    let (mut total, mut count) = (0f64, 0f64);
    for b in data::batches(examples, batch_tokens, 0) {
        let n = trained_targets(examples, &b.members) as f64;
        let l = batch_loss(model, examples, &b, pad, device)?.detach().to_scalar::<f32>()?;
        total += f64::from(l) * n;
        count += n;
    }
    Ok((total / count.max(1.0)) as f32)
}
