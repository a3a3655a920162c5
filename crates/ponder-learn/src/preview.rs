//! What the ratings can teach before a run starts: the examples of each kind with a sample of each,
//! the methods a run would use (and why), its settings, and what it will cost — steps, memory against
//! what the machine has free, and time.

use ponder_store::Store;
use ponder_train::learn::data::Msg;
use ponder_train::learn::{default_methods, estimate_run, DataCounts};
use ponder_train::methods::Method;
use serde::Serialize;
use ts_rs::TS;

use crate::history_run::{settings_for, SettingsChoice};
use crate::{snapshot, LearnError, LearnRequest};

/// A sample answer's text is cut here: the page shows a glimpse, not the whole chain.
const SAMPLE_CHARS: usize = 280;

/// One example of what a run would learn from.
#[derive(Clone, Debug, PartialEq, Serialize, TS)]
pub struct TeachSample {
    /// `pair`, `answer` (to imitate), `thumb_up`, `thumb_down`, `reference` or `fixed_step` (whose
    /// `rejected` is the thinking it replaced and `answer` the person's step).
    pub kind: String,
    /// The last question of its prompt.
    pub question: String,
    /// The answer taught (the chosen one of a pair; a reference's expected answer).
    pub answer: String,
    /// A pair's rejected answer.
    pub rejected: Option<String>,
}

/// What a run would do and cost.
#[derive(Clone, Debug, PartialEq, Serialize, TS)]
pub struct LearnPlan {
    /// Examples of each kind the run would learn from (held-out conversations excluded).
    pub counts: DataCounts,
    /// Examples in the conversations held out to measure before and after.
    pub held_out: DataCounts,
    /// Rated answers that continue from a step a person fixed (their examples are among the above).
    pub fixed_steps: usize,
    /// A sample of each kind there is.
    pub samples: Vec<TeachSample>,
    /// The methods trained together.
    pub methods: Vec<Method>,
    /// Why these methods (the default's reason, or that the person chose them).
    pub reason: String,
    /// Passes over the data.
    pub epochs: usize,
    /// Peak learning rate.
    pub learning_rate: f64,
    /// LoRA rank, or `None` when every weight trains.
    pub lora_rank: Option<usize>,
    /// Examples of what the model already does well mixed into SFT.
    pub rehearsal: usize,
    /// Optimizer steps.
    pub steps: usize,
    /// Parameters of the model.
    #[ts(type = "number")]
    pub parameters: usize,
    /// Estimated peak memory, bytes.
    #[ts(type = "number")]
    pub memory_bytes: u64,
    /// Memory the machine has free now, bytes (`None` where it cannot be read).
    #[ts(type = "number | null")]
    pub available_bytes: Option<u64>,
    /// Estimated training time, seconds (measuring after the run comes on top).
    pub seconds: f64,
    /// Why the run cannot start (nothing to learn, not enough memory); `None` when it can.
    pub refusal: Option<String>,
}

/// Memory the system can give a new allocation now, bytes.
pub fn available_memory() -> Option<u64> {
    let mut sys = sysinfo::System::new();
    sys.refresh_memory();
    let free = sys.available_memory();
    (free > 0).then_some(free)
}

/// Why a run needing `needed` bytes cannot start with `available` free, if it cannot.
pub fn memory_refusal(needed: u64, available: Option<u64>) -> Option<String> {
    let gib = |b: u64| b as f64 / (1u64 << 30) as f64;
    match available {
        Some(free) if needed > free => Some(format!(
            "this run needs about {:.1} GiB of memory and {:.1} GiB is free: close other programs, \
             choose LoRA with a smaller rank, or learn from a smaller model",
            gib(needed),
            gib(free)
        )),
        _ => None,
    }
}

/// The plan of a run `request` would start with `choice`: exports the ratings into a scratch folder
/// (removed again), counts and samples them, and sizes the run.
pub async fn plan_run(
    store: &Store,
    request: &LearnRequest,
    choice: &SettingsChoice,
) -> Result<LearnPlan, LearnError> {
    // One folder per plan: the page plans again as settings change, and two plans may overlap.
    static PLANS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = PLANS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let scratch =
        request.data_dir.join("learning").join(format!(".plan-{}-{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&scratch);
    let snap = snapshot(store, &scratch, request.held_out).await;
    let _ = std::fs::remove_dir_all(&scratch);
    let snap = snap?;
    let mut settings = settings_for(&request.base, choice)?;
    let (methods, reason) = if choice.methods.is_empty() {
        let (m, why) = default_methods(&snap.counts);
        (m, why.to_string())
    } else {
        (choice.methods.clone(), "chosen in More".to_string())
    };
    settings.methods = methods;
    let rehearsal = if settings.methods.contains(&Method::Sft) {
        request.rehearsal.clone()
    } else {
        Vec::new()
    };
    let mut data = snap.data.clone();
    data.sft.extend(rehearsal.iter().cloned());
    let mut samples = samples_of(&snap.data);
    let (fixed_steps, fixed_sample) = fixed_steps(store).await?;
    samples.extend(fixed_sample);
    let base = request.base.clone();
    let s = settings.clone();
    let estimate = if s.methods.is_empty() {
        None
    } else {
        let workers = ponder_train::loss::workers();
        Some(
            tokio::task::spawn_blocking(move || estimate_run(&base, &s, &data, workers))
                .await
                .map_err(|e| LearnError::Task(e.to_string()))??,
        )
    };
    let available_bytes = available_memory();
    let refusal = match &estimate {
        None => Some("nothing rated yet: rate some answers first".to_string()),
        Some(e) if e.steps == 0 => Some("no example fits the model's context".to_string()),
        Some(e) => memory_refusal(e.memory_bytes, available_bytes),
    };
    Ok(LearnPlan {
        counts: snap.counts,
        held_out: snap.held_out.counts(),
        fixed_steps,
        samples,
        reason,
        epochs: settings.epochs,
        learning_rate: settings.learning_rate,
        lora_rank: settings.lora.as_ref().map(|l| l.rank),
        rehearsal: rehearsal.len(),
        steps: estimate.as_ref().map_or(0, |e| e.steps),
        parameters: estimate.as_ref().map_or(0, |e| e.parameters),
        memory_bytes: estimate.as_ref().map_or(0, |e| e.memory_bytes),
        seconds: estimate.as_ref().map_or(0.0, |e| e.seconds),
        available_bytes,
        refusal,
        methods: settings.methods,
    })
}

fn question_of(prompt: &[Msg]) -> String {
    let q = prompt.iter().rev().find(|m| m.role == "user").map_or("", |m| m.content.as_str());
    cut(q)
}

fn cut(text: &str) -> String {
    let text = text.trim();
    match text.char_indices().nth(SAMPLE_CHARS) {
        Some((i, _)) => format!("{}…", &text[..i]),
        None => text.to_string(),
    }
}

fn samples_of(data: &ponder_train::learn::LearnData) -> Vec<TeachSample> {
    let mut out = Vec::new();
    let sample = |kind: &str, prompt: &[Msg], answer: &str, rejected: Option<&str>| TeachSample {
        kind: kind.into(),
        question: question_of(prompt),
        answer: cut(answer),
        rejected: rejected.map(cut),
    };
    if let Some(p) = data.pairs.first() {
        out.push(sample("pair", &p.prompt, &p.chosen.content, Some(&p.rejected.content)));
    }
    if let Some(e) = data.sft.first() {
        out.push(sample("answer", &e.prompt, &e.completion.content, None));
    }
    for (label, kind) in [(true, "thumb_up"), (false, "thumb_down")] {
        if let Some(t) = data.thumbs.iter().find(|t| t.label == label) {
            out.push(sample(kind, &t.prompt, &t.completion.content, None));
        }
    }
    if let Some(r) = data.references.first() {
        out.push(sample("reference", &r.prompt, &r.answer, None));
    }
    out
}

/// Rated answers continued from a person's fixed step, and a sample: the person's step and the
/// thinking it replaced.
async fn fixed_steps(store: &Store) -> Result<(usize, Option<TeachSample>), LearnError> {
    let filter = ponder_store::RatingFilter::default();
    let (mut count, mut sample, mut after) = (0, None, None);
    loop {
        let page = store.rated_answers(&filter, after, 64).await.map_err(export_error)?;
        for rated in &page.answers {
            let Some(fixed) = &rated.answer.fixed else { continue };
            count += 1;
            if sample.is_none() {
                let question = rated.context.last().map_or("", |m| m.content.as_str());
                let replaced = match fixed.from {
                    Some(id) => store.message(id).await.ok().and_then(|m| m.thinking),
                    None => None,
                };
                sample = Some(TeachSample {
                    kind: "fixed_step".into(),
                    question: cut(question),
                    answer: cut(&fixed.person_thinking),
                    rejected: replaced.as_deref().map(cut),
                });
            }
        }
        match page.next {
            Some(next) => after = Some(next),
            None => return Ok((count, sample)),
        }
    }
}

fn export_error(e: ponder_store::StoreError) -> LearnError {
    LearnError::Export(ponder_export::ExportError::from(e))
}

#[cfg(test)]
mod tests {
    use super::memory_refusal;

    #[test]
    fn a_run_larger_than_the_free_memory_is_refused_with_both_sizes() {
        let gib = 1u64 << 30;
        let why = memory_refusal(12 * gib, Some(3 * gib)).unwrap();
        assert!(why.contains("12.0 GiB") && why.contains("3.0 GiB"), "{why}");
        assert_eq!(memory_refusal(2 * gib, Some(3 * gib)), None);
        // Unknown free memory does not stop a run.
        assert_eq!(memory_refusal(12 * gib, None), None);
    }
}
