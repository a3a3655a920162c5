//! Learning from the ratings, as the window drives it: start a run in the background, see each step,
//! cancel and resume it (also after a restart), measure a version again, and list or delete versions.
//! One run at a time; answers keep streaming while it trains (the trainer runs on niced threads).

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use ponder_learn::evaluate::{evaluate_version, regression_questions, BeforeAfter};
use ponder_learn::rehearsal::{rehearsal_examples, DEFAULT_REHEARSAL};
use ponder_learn::{
    learn_from_history, settings_for, LearnError, LearnPlan, LearnRequest, SettingsChoice,
    VersionCard,
};
use ponder_train::learn::{DataCounts, StepReport};
use ponder_train::methods::Method;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::{App, AppError, ErrorBody, Result};

/// A run the window asks for.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, TS)]
pub struct LearnStartRequest {
    /// The model folder to learn from; `None` for the bundled model.
    pub base: Option<PathBuf>,
    /// Methods trained together; empty takes what the ratings can teach.
    pub methods: Vec<Method>,
    /// Passes over the data (default: sized for the model).
    pub epochs: Option<usize>,
    /// Peak learning rate (default: sized for the model).
    pub learning_rate: Option<f64>,
    /// LoRA rank; `None` takes the default for the model's size (LoRA above 100 M parameters).
    pub lora_rank: Option<usize>,
    /// Share of rated conversations held out to measure before and after.
    pub held_out: f64,
    /// Problems of the regression check (the bundled model's and its versions'; 0: none).
    pub regression: usize,
    /// Examples of what the model already did well mixed into SFT so it does not forget them
    /// (`None`: Ponder's default; 0: none).
    pub rehearsal: Option<usize>,
    /// Continue the run that stopped before it finished, with the data and settings it began with.
    pub resume: bool,
}

/// A learned version as the window lists it.
#[derive(Clone, Debug, PartialEq, Serialize, TS)]
pub struct VersionSummary {
    /// Its name, which is how answers name it.
    pub name: String,
    /// What the person renamed it to, if they did.
    pub label: Option<String>,
    /// Its folder (load it as a folder).
    pub path: PathBuf,
    /// The model it learned from.
    pub parent: String,
    /// Unix milliseconds.
    pub created_at: i64,
    /// The methods trained.
    pub methods: Vec<Method>,
    /// LoRA rank, or `None` when every weight trained.
    pub lora_rank: Option<usize>,
    /// Optimizer steps.
    pub steps: usize,
    /// Training wall time, seconds.
    pub seconds: f64,
    /// Examples it learned from.
    pub counts: DataCounts,
    /// The before/after table, when something was measured.
    pub evaluation: Option<BeforeAfter>,
}

impl From<&VersionCard> for VersionSummary {
    fn from(c: &VersionCard) -> Self {
        VersionSummary {
            name: c.name.clone(),
            label: c.label.clone(),
            path: c.path.clone(),
            parent: c.parent.clone(),
            created_at: c.created_at,
            methods: c.settings.methods.clone(),
            lora_rank: c.settings.lora.as_ref().map(|l| l.rank),
            steps: c.steps,
            seconds: c.seconds,
            counts: c.counts,
            evaluation: c.evaluation,
        }
    }
}

/// Where learning is.
#[derive(Clone, Debug, PartialEq, Serialize, TS)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum LearningStatus {
    /// No run, and none left unfinished.
    Idle,
    /// Training (then measuring, after the last step).
    Training {
        /// The version being made.
        version: String,
        /// The latest step, once there is one.
        last_step: Option<StepReport>,
    },
    /// A run stopped before it finished (cancelled, failed, or the app closed): resume it.
    Stopped {
        /// The version it was making.
        version: String,
        /// Why, when this process saw it stop.
        error: Option<ErrorBody>,
    },
    /// The last run finished.
    Finished {
        /// What it made.
        version: VersionSummary,
    },
    /// The last run could not start (nothing rated, a bad setting).
    Failed {
        /// Why.
        error: ErrorBody,
    },
}

/// Where a run's progress goes (the window's channel; a vector in tests).
pub trait LearnSink: Send + Sync + 'static {
    /// Delivers the status after a step or a change; must not block.
    fn send(&self, status: LearningStatus);
}

/// The one learning run.
#[derive(Default)]
pub(crate) struct Learning {
    status: Arc<Mutex<Option<LearningStatus>>>,
    /// Set while a run trains; setting the flag cancels it.
    cancel: Arc<Mutex<Option<Arc<AtomicBool>>>>,
}

impl From<LearnError> for AppError {
    fn from(e: LearnError) -> Self {
        AppError::Learn(e)
    }
}

impl App {
    /// Starts (or resumes) learning from the history; returns at once, progress goes to `sink`.
    pub async fn start_learning(
        &self,
        request: LearnStartRequest,
        sink: Arc<dyn LearnSink>,
    ) -> Result<()> {
        let store = self.store().await?;
        let cancel = Arc::new(AtomicBool::new(false));
        {
            let mut running = self.learning.cancel.lock().expect("not poisoned");
            if running.is_some() {
                return Err(AppError::Busy);
            }
            *running = Some(cancel.clone());
        }
        let learn_request = match self.learn_request(&request) {
            Ok(r) => r,
            Err(e) => {
                *self.learning.cancel.lock().expect("not poisoned") = None;
                return Err(e);
            }
        };
        let version = ponder_learn::versions::next_name(self.data_dir(), &learn_request.base_name);
        let status = self.learning.status.clone();
        let publish = move |s: LearningStatus| {
            *status.lock().expect("not poisoned") = Some(s.clone());
            sink.send(s);
        };
        publish(LearningStatus::Training { version: version.clone(), last_step: None });
        let on_step = {
            let (publish, version) = (publish.clone(), version.clone());
            Box::new(move |r: &StepReport| {
                publish(LearningStatus::Training {
                    version: version.clone(),
                    last_step: Some(r.clone()),
                })
            })
        };
        let slot = RunSlot(self.learning.cancel.clone());
        let data_dir = self.data_dir().to_path_buf();
        tokio::spawn(async move {
            let result = learn_from_history(&store, learn_request, on_step, cancel).await;
            drop(slot);
            publish(match result {
                Ok(card) => LearningStatus::Finished { version: VersionSummary::from(&card) },
                Err(e) => {
                    let error = ErrorBody::from(AppError::Learn(e));
                    // A run that began keeps its start and checkpoints: it can be resumed.
                    if ponder_learn::unfinished_runs(&data_dir).contains(&version) {
                        LearningStatus::Stopped { version, error: Some(error) }
                    } else {
                        LearningStatus::Failed { error }
                    }
                }
            });
        });
        Ok(())
    }

    fn learn_request(&self, r: &LearnStartRequest) -> Result<LearnRequest> {
        let base = r.base.clone().unwrap_or_else(|| self.config.bundled_model.clone());
        let base_name = if r.base.is_none() {
            "ponder-tiny".to_string()
        } else {
            ponder_engine::catalog::model_name(&base)
        };
        if !(0.0..1.0).contains(&r.held_out) {
            return Err(AppError::Invalid(format!(
                "held out {} of the conversations: give a share below 1",
                r.held_out
            )));
        }
        let settings =
            if r.resume { None } else { Some(settings_for(&base, &Self::settings_choice(r))?) };
        Ok(LearnRequest {
            regression: regression_questions(&base_name, r.regression),
            rehearsal: rehearsal_examples(&base_name, r.rehearsal.unwrap_or(DEFAULT_REHEARSAL)),
            base,
            base_name,
            data_dir: self.data_dir().to_path_buf(),
            settings,
            held_out: r.held_out,
            resume: r.resume,
        })
    }

    fn settings_choice(r: &LearnStartRequest) -> SettingsChoice {
        SettingsChoice {
            methods: r.methods.clone(),
            epochs: r.epochs,
            learning_rate: r.learning_rate,
            lora_rank: r.lora_rank,
            full: false,
        }
    }

    /// What a run started with `request` would learn from (counts and a sample of each kind), the
    /// methods and why, its settings, and its memory and time against what this machine has.
    pub async fn learn_plan(&self, request: LearnStartRequest) -> Result<LearnPlan> {
        let store = self.store().await?;
        let learn_request = self.learn_request(&request)?;
        Ok(ponder_learn::plan_run(&store, &learn_request, &Self::settings_choice(&request)).await?)
    }

    /// Gives version `name` a label of the person's choosing (blank: none).
    pub async fn rename_version(&self, name: &str, label: &str) -> Result<VersionSummary> {
        let card = ponder_learn::rename_version(self.data_dir(), name, Some(label))?;
        Ok(VersionSummary::from(&card))
    }

    /// Stops the running run after its current step; its checkpoint stays for a resume.
    pub fn cancel_learning(&self) {
        if let Some(flag) = &*self.learning.cancel.lock().expect("not poisoned") {
            flag.store(true, Ordering::Relaxed);
        }
    }

    /// Where learning is: this process's run, or a run an earlier one left unfinished.
    pub fn learning_status(&self) -> LearningStatus {
        if let Some(s) = self.learning.status.lock().expect("not poisoned").clone() {
            return s;
        }
        match ponder_learn::unfinished_runs(self.data_dir()).pop() {
            Some(version) => LearningStatus::Stopped { version, error: None },
            None => LearningStatus::Idle,
        }
    }

    /// The versions learned here, oldest first.
    pub async fn list_versions(&self) -> Vec<VersionSummary> {
        let dir = self.data_dir().to_path_buf();
        let cards = tokio::task::spawn_blocking(move || ponder_learn::list_versions(&dir));
        cards.await.unwrap_or_default().iter().map(VersionSummary::from).collect()
    }

    /// Measures version `name` against its parent again (its run's held-out data and `regression`
    /// problems) and keeps the result in its card.
    pub async fn evaluate_version(&self, name: &str, regression: usize) -> Result<VersionSummary> {
        let card = ponder_learn::list_versions(self.data_dir())
            .into_iter()
            .find(|c| c.name == name)
            .ok_or_else(|| AppError::Invalid(format!("no learned version is called {name}")))?;
        let problems = regression_questions(&card.parent, regression);
        let card = evaluate_version(self.data_dir(), name, &problems).await?;
        Ok(VersionSummary::from(&card))
    }

    /// Deletes version `name` (not while it is the loaded model).
    pub async fn delete_version(&self, name: &str) -> Result<()> {
        if let crate::ModelStatus::Ready { info, .. } = self.model_status() {
            if info.name == name {
                return Err(AppError::Invalid(format!(
                    "{name} is the model in use: load another before deleting it"
                )));
            }
        }
        ponder_learn::delete_version(self.data_dir(), name)?;
        Ok(())
    }
}

/// Frees the one-run slot however a run's task ends — finished, failed, or panicked — so a later run is
/// never refused as busy (as the model slot's load guard does).
struct RunSlot(Arc<Mutex<Option<Arc<AtomicBool>>>>);

impl Drop for RunSlot {
    fn drop(&mut self) {
        if let Ok(mut slot) = self.0.lock() {
            *slot = None;
        }
    }
}
