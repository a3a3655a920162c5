//! One run from the history: snapshot the ratings, decide the methods, train off the async runtime,
//! and keep the result as a new version.

use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use ponder_store::Store;
use ponder_train::background::in_background;
use ponder_train::learn::data::{ReferenceExample, SftExample};
use ponder_train::learn::{default_methods, learn, LearnPaths, LearnSettings, StepReport};
use serde::{Deserialize, Serialize};

use crate::evaluate::{measure_against_parent, HeldOut};
use crate::versions::{next_name, versions_dir, write_card, VersionCard};
use crate::{snapshot, LearnError};

/// What to learn from and how.
pub struct LearnRequest {
    /// The model folder to learn from.
    pub base: PathBuf,
    /// Its name as answers record it (`ponder-tiny`, `Qwen/Qwen3-0.6B`).
    pub base_name: String,
    /// The data directory (history, versions, runs).
    pub data_dir: PathBuf,
    /// Settings; `None` (or no methods in them) takes what the data can teach, sized for the model.
    pub settings: Option<LearnSettings>,
    /// Share of conversations held out for the before/after evaluation (0: none).
    pub held_out: f64,
    /// Questions the parent could already answer, asked of both to catch what learning broke
    /// ([`crate::evaluate::regression_questions`]); empty for none.
    pub regression: Vec<ReferenceExample>,
    /// Examples of what the parent already does well, mixed into the SFT data so the run does not
    /// forget it ([`crate::rehearsal::rehearsal_examples`]); unused by a run without SFT.
    pub rehearsal: Vec<SftExample>,
    /// Continue the run that stopped before it finished (cancelled, or the app closed) with the data
    /// and settings it began with, from its last checkpoint.
    pub resume: bool,
}

/// What a run began with, kept beside its checkpoints so it can be resumed as it was.
#[derive(Serialize, Deserialize)]
struct RunStart {
    settings: LearnSettings,
    held_out: f64,
    /// Runs begun before rehearsal existed had none.
    #[serde(default)]
    rehearsal: Vec<SftExample>,
}

pub(crate) const RUN_START: &str = "run.json";

/// Runs that began and did not finish (cancelled, or the app closed mid-run), by version name: each
/// can be resumed with the data and settings it began with.
pub fn unfinished_runs(data_dir: &std::path::Path) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(data_dir.join("learning")) else { return Vec::new() };
    let mut names: Vec<String> = entries
        .flatten()
        .filter(|e| e.path().join(RUN_START).is_file())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|name| !versions_dir(data_dir).join(name).exists())
        .collect();
    names.sort();
    names
}

/// The held-out share a run began with, from its `run.json`.
pub(crate) fn started_held_out(run_dir: &std::path::Path) -> Result<f64, LearnError> {
    let file = run_dir.join(RUN_START);
    let text = std::fs::read_to_string(&file).map_err(LearnError::io(&file))?;
    let start: RunStart = serde_json::from_str(&text)
        .map_err(|e| LearnError::Invalid(format!("{}: {e}", file.display())))?;
    Ok(start.held_out)
}

/// What a person may choose of a run; everything else is sized for the model.
#[derive(Clone, Debug, Default)]
pub struct SettingsChoice {
    /// Methods; empty takes what the data can teach.
    pub methods: Vec<ponder_train::methods::Method>,
    /// Passes over the data.
    pub epochs: Option<usize>,
    /// Peak learning rate.
    pub learning_rate: Option<f64>,
    /// LoRA of this rank (alpha twice the rank), whatever the model's size.
    pub lora_rank: Option<usize>,
    /// Every weight, whatever the model's size.
    pub full: bool,
}

/// The settings for `choice` on the model folder `base`: LoRA and the rate sized for its parameters
/// ([`LearnSettings::for_methods`]), then the person's choices over them.
pub fn settings_for(
    base: &std::path::Path,
    choice: &SettingsChoice,
) -> Result<LearnSettings, LearnError> {
    let parameters = ponder_train::arch::QwenConfig::read(base)?.parameter_count();
    let mut s = LearnSettings::for_methods(choice.methods.clone(), parameters);
    s.epochs = choice.epochs.unwrap_or(s.epochs);
    if choice.full {
        s.lora = None;
    }
    if let Some(rank) = choice.lora_rank {
        let lora = ponder_train::lora::LoraConfig::default();
        s.lora = Some(ponder_train::lora::LoraConfig { rank, alpha: 2.0 * rank as f64, ..lora });
    }
    // The rate follows what trains (adapters or every weight), unless the person chose one.
    let sized = ponder_train::learn::plan::sized_rate(s.lora.is_some(), parameters);
    s.learning_rate = choice.learning_rate.unwrap_or(sized);
    Ok(s)
}

/// The request's settings, or what the data can teach sized for the model.
fn planned_settings(
    request: &LearnRequest,
    snap: &snapshot::Snapshot,
) -> Result<LearnSettings, LearnError> {
    if snap.counts == Default::default() && request.held_out > 0.0 {
        return Err(LearnError::Invalid(
            "every rated conversation was held out for evaluation: rate more, or hold none out"
                .into(),
        ));
    }
    let parameters = ponder_train::arch::QwenConfig::read(&request.base)?.parameter_count();
    let mut settings = request
        .settings
        .clone()
        .unwrap_or_else(|| LearnSettings::for_methods(Vec::new(), parameters));
    if settings.methods.is_empty() {
        let (methods, _why) = default_methods(&snap.counts);
        if methods.is_empty() {
            return Err(LearnError::Invalid("nothing rated yet: rate some answers first".into()));
        }
        settings.methods = methods;
    }
    Ok(settings)
}

/// Learns from every rating in `store` and returns the new version's card. `on_step` sees each step
/// (from the training thread); `cancel` stops the run after the current step, leaving its checkpoint.
pub async fn learn_from_history(
    store: &Store,
    request: LearnRequest,
    on_step: Box<dyn FnMut(&StepReport) + Send>,
    cancel: Arc<AtomicBool>,
) -> Result<VersionCard, LearnError> {
    let name = next_name(&request.data_dir, &request.base_name);
    let run_dir = request.data_dir.join("learning").join(&name);
    let start_file = run_dir.join(RUN_START);
    let unfinished = start_file.is_file();
    let (snap, settings, rehearsal) = match (unfinished, request.resume) {
        (true, false) => {
            return Err(LearnError::Invalid(format!(
                "{name} stopped before it finished: resume it (`ponder learn --resume`), or delete {} to start over",
                run_dir.display()
            )))
        }
        (false, true) => {
            return Err(LearnError::Invalid(format!("no unfinished run of {} to resume", request.base_name)))
        }
        (true, true) => {
            let text = std::fs::read_to_string(&start_file).map_err(LearnError::io(&start_file))?;
            let start: RunStart = serde_json::from_str(&text)
                .map_err(|e| LearnError::Invalid(format!("{}: {e}", start_file.display())))?;
            let snap = snapshot::read_snapshot(&run_dir.join("data"), start.held_out)?;
            (snap, start.settings, start.rehearsal)
        }
        (false, false) => {
            let snap = snapshot(store, &run_dir.join("data"), request.held_out).await?;
            let settings = planned_settings(&request, &snap)?;
            let rehearsal = if settings.methods.contains(&ponder_train::methods::Method::Sft) {
                request.rehearsal.clone()
            } else {
                Vec::new()
            };
            let start = RunStart {
                settings: settings.clone(),
                held_out: request.held_out,
                rehearsal: rehearsal.clone(),
            };
            let text = serde_json::to_string_pretty(&start).expect("plain data");
            std::fs::write(&start_file, text).map_err(LearnError::io(&start_file))?;
            (snap, settings, rehearsal)
        }
    };
    // Refused before the first step rather than swapping or killed by the OS mid-run.
    let mut all = snap.data.clone();
    all.sft.extend(rehearsal.iter().cloned());
    let (base, s) = (request.base.clone(), settings.clone());
    let workers = ponder_train::loss::workers();
    let estimate = tokio::task::spawn_blocking(move || {
        ponder_train::learn::estimate_run(&base, &s, &all, workers)
    })
    .await
    .map_err(|e| LearnError::Task(e.to_string()))??;
    if let Some(why) =
        crate::preview::memory_refusal(estimate.memory_bytes, crate::preview::available_memory())
    {
        // A run refused before its first step leaves nothing to resume.
        if !unfinished {
            let _ = std::fs::remove_dir_all(&run_dir);
        }
        return Err(LearnError::Invalid(why));
    }
    let out = versions_dir(&request.data_dir).join(&name);
    let paths = LearnPaths {
        base: request.base.clone(),
        run_dir: run_dir.join("checkpoints"),
        out: out.clone(),
    };
    let held_out = HeldOut { questions: snap.held_out.references, pairs: snap.held_out.pairs };
    let rehearsed = rehearsal.len();
    let mut data = snap.data;
    data.sft.extend(rehearsal);
    let s = settings.clone();
    // Training is seconds to hours of CPU work: never on the runtime the window's commands use, and
    // on niced threads, so answers and the window keep the cores they need.
    let report = tokio::task::spawn_blocking(move || {
        let mut on_step = on_step;
        in_background(|| learn(&paths, &s, &data, &mut *on_step, &cancel))
    })
    .await
    .map_err(|e| LearnError::Task(e.to_string()))??;
    let parent_hash = ponder_chat::model_hash(&request.base);
    let evaluation = measure_against_parent(
        &request.data_dir,
        (&request.base, parent_hash.as_deref()),
        &out,
        &held_out,
        &request.regression,
    )
    .await?;
    let tenth = (report.curve.len() / 10).max(1);
    let mean =
        |rows: &[StepReport]| rows.iter().map(|r| r.loss).sum::<f32>() / rows.len().max(1) as f32;
    let card = VersionCard {
        name,
        label: None,
        path: out,
        parent: request.base_name,
        parent_hash,
        parent_path: request.base,
        created_at: SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as i64),
        data_hash: snap.hash,
        counts: snap.counts,
        rehearsal: rehearsed,
        settings,
        steps: report.steps,
        seconds: report.seconds,
        evaluation,
        loss: (
            mean(&report.curve[..tenth.min(report.curve.len())]),
            mean(&report.curve[report.curve.len().saturating_sub(tenth)..]),
        ),
    };
    write_card(&card)?;
    Ok(card)
}
