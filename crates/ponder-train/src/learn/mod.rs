//! Learning from ratings: examples in TRL's formats, rendered with the model's own template, trained by
//! one or more of [`crate::methods`] on full weights or LoRA adapters, written as a new model folder.
//!
//! [`data`] reads the examples, [`render`] tokenizes them with the model's chat template, [`plan`]
//! holds the settings, the default method and the memory estimate, [`sample`] draws GRPO's chains from
//! the current weights, [`verify`] rewards them, [`steps`] computes each method's gradients,
//! [`run`] is the loop and [`checkpoint`] its resumable state.

pub mod checkpoint;
pub mod cli;
pub mod data;
pub mod estimate;
pub mod plan;
pub mod preference;
mod prepare;
pub mod render;
mod rollout;
pub mod run;
pub mod sample;
pub mod steps;
pub mod verify;

pub use estimate::{estimate_run, RunEstimate};
pub use plan::{default_methods, estimate_memory, DataCounts, LearnData, LearnSettings};
pub use rollout::RewardFn;
pub use run::{
    learn, learn_with_reward, learn_with_snapshots, reference_reward, snapshot_path, LearnPaths,
    LearnReport, StepReport,
};
