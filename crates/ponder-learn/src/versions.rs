//! Model versions: each learning run's result is a model folder under `<data dir>/models/`, with a
//! card (`ponder-version.json`, and a README for people) naming its parent and the parent's hash, the
//! data it learned from, the methods and settings, and what the run measured.

use std::path::{Path, PathBuf};

use ponder_train::learn::{DataCounts, LearnSettings};
use serde::{Deserialize, Serialize};

use crate::LearnError;

/// The card of a learned version.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct VersionCard {
    /// The folder's name (`ponder-tiny-learned-1`), which is how answers name it.
    pub name: String,
    /// What the person calls it (renaming changes only this, so answers stay traceable to `name`).
    #[serde(default)]
    pub label: Option<String>,
    /// The folder.
    pub path: PathBuf,
    /// The model it learned from, as answers name it.
    pub parent: String,
    /// The parent's folder.
    pub parent_path: PathBuf,
    /// `sha256:` of the parent's weights.
    pub parent_hash: Option<String>,
    /// Unix milliseconds.
    pub created_at: i64,
    /// `sha256:` of the exported data it learned from.
    pub data_hash: String,
    /// Examples of each kind in that data.
    pub counts: DataCounts,
    /// Rehearsal examples of what the parent already did well, mixed into the SFT data.
    #[serde(default)]
    pub rehearsal: usize,
    /// Every setting of the run (methods, LoRA, rates, seed …).
    pub settings: LearnSettings,
    /// Optimizer steps.
    pub steps: usize,
    /// Wall time of the training, seconds.
    pub seconds: f64,
    /// Mean loss of the first and the last tenth of the steps.
    pub loss: (f32, f32),
    /// Held-out questions with a reference, answered by the parent and by this version.
    pub evaluation: Option<crate::evaluate::BeforeAfter>,
}

const CARD: &str = ponder_engine::catalog::LEARNED_CARD;

/// Where versions live: `<data dir>/models`.
pub fn versions_dir(data_dir: &Path) -> PathBuf {
    data_dir.join("models")
}

/// The next free version name for `parent` (`ponder-tiny-learned-2` after `…-1`).
pub fn next_name(data_dir: &Path, parent: &str) -> String {
    let stem: String = parent
        .rsplit('/')
        .next()
        .unwrap_or(parent)
        .chars()
        .map(|c| if c.is_alphanumeric() || c == '.' { c } else { '-' })
        .collect();
    let dir = versions_dir(data_dir);
    (1..)
        .map(|n| format!("{stem}-learned-{n}"))
        .find(|name| !dir.join(name).exists())
        .expect("a free name")
}

/// Writes `card` into its folder, beside the weights.
pub fn write_card(card: &VersionCard) -> Result<(), LearnError> {
    let json = card.path.join(CARD);
    std::fs::write(&json, serde_json::to_string_pretty(card).expect("plain data") + "\n")
        .map_err(LearnError::io(&json))?;
    let readme = card.path.join("README.md");
    std::fs::write(&readme, readme_text(card)).map_err(LearnError::io(&readme))
}

fn readme_text(c: &VersionCard) -> String {
    let methods: Vec<&str> = c.settings.methods.iter().map(|m| m.as_str()).collect();
    let how = match &c.settings.lora {
        Some(l) => {
            format!("LoRA rank {} (alpha {}) on {}, merged", l.rank, l.alpha, l.modules.join(", "))
        }
        None => "every weight".into(),
    };
    let n = &c.counts;
    format!(
        "# {name}{label}\n\nLearned by Ponder from the ratings in this computer's history.\n\n\
         - Parent: `{parent}` ({hash})\n- Method: {methods} ({how}), {steps} steps in {secs:.0} s, loss {l0:.3} → {l1:.3}\n\
         - Data `{data}`: {sft} answers to imitate, {pairs} pairs, {up} thumbs up and {down} down, {refs} questions with a reference{rehearsal}\n\n\
         {eval}\n",
        name = c.name,
        label = c.label.as_deref().map(|l| format!(" ({l})")).unwrap_or_default(),
        parent = c.parent,
        hash = c.parent_hash.as_deref().unwrap_or("weights not hashed"),
        methods = methods.join(" + "),
        steps = c.steps,
        secs = c.seconds,
        l0 = c.loss.0,
        l1 = c.loss.1,
        data = c.data_hash,
        sft = n.sft,
        pairs = n.pairs,
        up = n.thumbs_up,
        down = n.thumbs_down,
        refs = n.references,
        rehearsal = match c.rehearsal {
            0 => String::new(),
            k => format!("; {k} examples of what the parent already did well, rehearsed alongside"),
        },
        eval = match &c.evaluation {
            Some(e) => evaluation_table(c, e),
            None => "Not measured against its parent: nothing was held out.".into(),
        },
    )
}

fn evaluation_table(c: &VersionCard, e: &crate::evaluate::BeforeAfter) -> String {
    let cell = |s: &crate::evaluate::Score| match s.total {
        0 => "–".to_string(),
        t => format!("{}/{t} ({:.1}%)", s.correct, 100.0 * s.accuracy()),
    };
    let mut table = format!(
        "| measured on | {parent} | {name} |\n|---|---|---|\n\
         | held-out conversations: questions answered right | {} | {} |\n\
         | held-out pairs preferred the right way | {} | {} |\n",
        cell(&e.before),
        cell(&e.after),
        cell(&e.pairs_before),
        cell(&e.pairs_after),
        parent = c.parent,
        name = c.name,
    );
    if e.regression_before.total + e.regression_after.total > 0 {
        table += &format!(
            "| regression: {} problems the parent was trained for | {} | {} |\n",
            e.regression_after.total.max(e.regression_before.total),
            cell(&e.regression_before),
            cell(&e.regression_after),
        );
    }
    table
}

/// Every version in the data directory, oldest first; folders without a readable card are skipped.
pub fn list_versions(data_dir: &Path) -> Vec<VersionCard> {
    let Ok(entries) = std::fs::read_dir(versions_dir(data_dir)) else { return Vec::new() };
    let mut cards: Vec<VersionCard> = entries
        .flatten()
        .filter_map(|e| std::fs::read_to_string(e.path().join(CARD)).ok())
        .filter_map(|text| serde_json::from_str(&text).ok())
        .collect();
    cards.sort_by_key(|c| (c.created_at, c.name.clone()));
    cards
}

/// Gives version `name` the label people see (`None` or blank: none); its folder and the name its
/// answers carry stay as they are.
pub fn rename_version(
    data_dir: &Path,
    name: &str,
    label: Option<&str>,
) -> Result<VersionCard, LearnError> {
    let mut card = list_versions(data_dir)
        .into_iter()
        .find(|c| c.name == name)
        .ok_or_else(|| LearnError::Invalid(format!("no learned version is called {name}")))?;
    let label = label.map(str::trim).filter(|l| !l.is_empty());
    if label.is_some_and(|l| l.chars().count() > 80) {
        return Err(LearnError::Invalid("a version's name is at most 80 characters".into()));
    }
    card.label = label.map(str::to_string);
    write_card(&card)?;
    Ok(card)
}

/// Deletes the version `name` (only a folder under the versions directory with a card).
pub fn delete_version(data_dir: &Path, name: &str) -> Result<(), LearnError> {
    if name.is_empty() || name.contains(['/', '\\']) || name.starts_with('.') {
        return Err(LearnError::Invalid(format!("{name:?} is not a version name")));
    }
    let dir = versions_dir(data_dir).join(name);
    if !dir.join(CARD).is_file() {
        return Err(LearnError::Invalid(format!("no learned version is called {name}")));
    }
    std::fs::remove_dir_all(&dir).map_err(LearnError::io(&dir))
}
