//! AdamW with decoupled weight decay on matrices only, global-norm clipping, and a warm-up / plateau / cosine-decay schedule.
//!
//! Why not candle-nn's `AdamW`: it decays every parameter (norm gains included) and keeps its moments
//! private, so they could not be saved in a checkpoint for an exact resume.

use std::collections::HashMap;

use candle_core::backprop::GradStore;
use candle_core::{Tensor, Var};

use crate::TrainError;

/// Optimizer hyper-parameters.
#[derive(Clone, Copy, Debug)]
pub struct AdamWConfig {
    /// First-moment decay.
    pub beta1: f64,
    /// Second-moment decay.
    pub beta2: f64,
    /// Denominator guard.
    pub eps: f64,
    /// Decoupled weight decay for 2-D weights.
    pub weight_decay: f64,
    /// Largest global gradient norm before scaling down.
    pub clip_norm: f64,
    /// Learning-rate multiplier for vectors (norm gains). The q/k RMSNorm gains set how sharp attention
    /// can be; at the base rate they grow too slowly for precise digit copying within a short run.
    pub vector_lr_scale: f64,
}

struct Slot {
    name: String,
    var: Var,
    decay: bool,
    m: Tensor,
    v: Tensor,
}

/// Every variable of `vars` with its name, for [`AdamW::new`].
pub fn named_vars(vars: &candle_nn::VarMap) -> Vec<(String, Var)> {
    vars.data().lock().expect("not poisoned").iter().map(|(k, v)| (k.clone(), v.clone())).collect()
}

/// The optimizer and its state.
pub struct AdamW {
    cfg: AdamWConfig,
    slots: Vec<Slot>,
    step: usize,
}

impl AdamW {
    /// Tracks `vars` (name → variable); matrices are decayed, vectors (norm gains) are not.
    pub fn new(vars: Vec<(String, Var)>, cfg: AdamWConfig) -> Result<Self, TrainError> {
        let mut slots = Vec::with_capacity(vars.len());
        for (name, var) in vars {
            let decay = var.rank() >= 2;
            let m = var.zeros_like()?;
            let v = var.zeros_like()?;
            slots.push(Slot { name, var, decay, m, v });
        }
        slots.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(Self { cfg, slots, step: 0 })
    }

    /// Applies one update at learning rate `lr`; returns the gradient norm before clipping.
    pub fn step(&mut self, grads: &GradStore, lr: f64) -> Result<f64, TrainError> {
        let mut sq = 0f64;
        for s in &self.slots {
            if let Some(g) = grads.get(s.var.as_tensor()) {
                sq += f64::from(g.sqr()?.sum_all()?.to_scalar::<f32>()?);
            }
        }
        let norm = sq.sqrt();
        let scale = if norm > self.cfg.clip_norm { self.cfg.clip_norm / norm } else { 1.0 };
        self.step += 1;
        let c = self.cfg;
        let (bc1, bc2) =
            (1.0 - c.beta1.powi(self.step as i32), 1.0 - c.beta2.powi(self.step as i32));
        for s in &mut self.slots {
            let Some(g) = grads.get(s.var.as_tensor()) else { continue };
            let g = (g * scale)?;
            s.m = ((&s.m * c.beta1)? + (&g * (1.0 - c.beta1))?)?;
            s.v = ((&s.v * c.beta2)? + (g.sqr()? * (1.0 - c.beta2))?)?;
            let update = ((&s.m / bc1)? / ((&s.v / bc2)?.sqrt()? + c.eps)?)?;
            let decayed = if s.decay {
                (s.var.as_tensor() * (1.0 - lr * c.weight_decay))?
            } else {
                s.var.as_tensor().clone()
            };
            s.var.set(&(decayed - (update * lr)?)?)?;
        }
        Ok(norm)
    }

    /// Updates applied so far.
    pub fn steps_done(&self) -> usize {
        self.step
    }

    /// The moments as named tensors (`adam.m.<param>`, `adam.v.<param>`), for checkpoints.
    pub fn state(&self) -> HashMap<String, Tensor> {
        let mut out = HashMap::new();
        for s in &self.slots {
            out.insert(format!("adam.m.{}", s.name), s.m.clone());
            out.insert(format!("adam.v.{}", s.name), s.v.clone());
        }
        out
    }

    /// Restores moments saved by [`AdamW::state`] after `step` updates.
    pub fn restore(
        &mut self,
        state: &HashMap<String, Tensor>,
        step: usize,
    ) -> Result<(), TrainError> {
        for s in &mut self.slots {
            let get = |k: String| {
                state
                    .get(&k)
                    .cloned()
                    .ok_or_else(|| TrainError::Config(format!("checkpoint lacks {k}")))
            };
            s.m = get(format!("adam.m.{}", s.name))?;
            s.v = get(format!("adam.v.{}", s.name))?;
        }
        self.step = step;
        Ok(())
    }
}

/// The learning-rate schedule: warm-up, a long plateau at the peak, then a cosine decay to the floor.
///
/// Why a plateau ("warm-up, stable, decay") rather than cosine from the start: a small model learns to
/// copy digits only after a long stretch at a near-constant loss, and under a plain cosine that moment
/// arrived when the rate had already halved, leaving too few strong steps to consolidate it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Schedule {
    /// Peak learning rate.
    pub peak: f64,
    /// Warm-up steps (linear from near zero).
    pub warmup: usize,
    /// The final part of the run (0..=1) spent decaying.
    pub decay_fraction: f64,
    /// Final rate as a fraction of the peak.
    pub floor: f64,
}

impl Schedule {
    /// The rate for optimizer step `step` of `total`.
    pub fn at(&self, step: usize, total: usize) -> f64 {
        if step < self.warmup {
            return self.peak * (step + 1) as f64 / self.warmup as f64;
        }
        let decay_steps = ((total as f64 * self.decay_fraction).round() as usize).max(1);
        let decay_start = total.saturating_sub(decay_steps).max(self.warmup);
        if step < decay_start {
            return self.peak;
        }
        let progress = (step - decay_start) as f64 / (total - decay_start).max(1) as f64;
        let cosine = 0.5 * (1.0 + (std::f64::consts::PI * progress.min(1.0)).cos());
        self.peak * (self.floor + (1.0 - self.floor) * cosine)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::Device;

    #[test]
    fn schedule_warms_up_holds_then_decays_to_the_floor() {
        let s = Schedule { peak: 1.0, warmup: 10, decay_fraction: 0.3, floor: 0.1 };
        assert!(s.at(0, 100) < s.at(9, 100));
        assert!((s.at(9, 100) - 1.0).abs() < 1e-9);
        assert!((s.at(69, 100) - 1.0).abs() < 1e-9, "still on the plateau");
        assert!(s.at(80, 100) < 1.0 && s.at(80, 100) > s.at(90, 100));
        assert!((s.at(100, 100) - 0.1).abs() < 1e-9);
    }

    #[test]
    fn minimises_a_quadratic() {
        let x = Var::new(&[[3f32, -2.0]], &Device::Cpu).unwrap();
        let cfg = AdamWConfig {
            beta1: 0.9,
            beta2: 0.99,
            eps: 1e-8,
            weight_decay: 0.0,
            clip_norm: 10.0,
            vector_lr_scale: 1.0,
        };
        let mut opt = AdamW::new(vec![("x".into(), x.clone())], cfg).unwrap();
        for _ in 0..300 {
            let loss = x.as_tensor().sqr().unwrap().sum_all().unwrap();
            let grads = loss.backward().unwrap();
            opt.step(&grads, 0.05).unwrap();
        }
        let left = x.as_tensor().abs().unwrap().max_all().unwrap().to_scalar::<f32>().unwrap();
        assert!(left < 0.05, "{left}");
    }
}
