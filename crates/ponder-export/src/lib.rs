//! Ponder's ratings as reward data: a folder of JSON Lines files that TRL and similar trainers load
//! without conversion — KTO (unpaired), DPO (pairs of sibling answers), SFT, and a lossless archive
//! everything else can be rebuilt from — plus a dataset card.
//!
//! The store is read a few conversations at a time, so memory stays flat however many ratings there
//! are. The folder is written under a temporary name and renamed into place, so it is either complete
//! or absent, and the same data always gives byte-identical files.
//!
//! Architecture invariant: this crate reads the store through its public API and writes no SQL.

pub mod card;
pub mod chat;
mod files;
pub mod foreign;
pub mod pairs;
pub mod rows;

use files::{in_test_split, io, Files};

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use ponder_store::{ConversationId, RatedAnswer, RatingFilter, Store, StoreError, Vote};
use serde::Serialize;

pub use chat::ReasoningStyle;

/// A file format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Format {
    /// `{"prompt", "completion", "label"}` (TRL KTOTrainer).
    Kto,
    /// `{"prompt", "chosen", "rejected"}` (TRL DPOTrainer, RewardTrainer).
    Dpo,
    /// `{"messages"}` (TRL SFTTrainer).
    Sft,
    /// Everything about each rating, with a schema version.
    Archive,
    /// LLaMA-Factory: sharegpt ranking and KTO files, and `dataset_info.json`.
    LlamaFactory,
    /// OpenAI-style preference: `{"input": {"messages"}, "preferred_output", "non_preferred_output"}`.
    OpenAi,
}

/// One kind of file an export writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Output {
    Kto,
    Dpo,
    Sft,
    Archive,
    LlamaFactoryKto,
    LlamaFactoryDpo,
    OpenAiDpo,
}

impl Output {
    fn stem(self) -> &'static str {
        match self {
            Output::Kto => "kto",
            Output::Dpo => "dpo",
            Output::Sft => "sft",
            Output::Archive => "archive",
            Output::LlamaFactoryKto => "llamafactory_kto",
            Output::LlamaFactoryDpo => "llamafactory_dpo",
            Output::OpenAiDpo => "openai_dpo",
        }
    }
}

impl Format {
    /// Every format.
    pub const ALL: [Format; 6] = [
        Format::Kto,
        Format::Dpo,
        Format::Sft,
        Format::Archive,
        Format::LlamaFactory,
        Format::OpenAi,
    ];

    fn outputs(self) -> &'static [Output] {
        match self {
            Format::Kto => &[Output::Kto],
            Format::Dpo => &[Output::Dpo],
            Format::Sft => &[Output::Sft],
            Format::Archive => &[Output::Archive],
            Format::LlamaFactory => &[Output::LlamaFactoryKto, Output::LlamaFactoryDpo],
            Format::OpenAi => &[Output::OpenAiDpo],
        }
    }

    /// The name of the format's dataset config (and file stem, for single-file formats).
    pub fn stem(self) -> &'static str {
        match self {
            Format::Kto => "kto",
            Format::Dpo => "dpo",
            Format::Sft => "sft",
            Format::Archive => "archive",
            Format::LlamaFactory => "llamafactory",
            Format::OpenAi => "openai_dpo",
        }
    }
}

/// What to export and how.
#[derive(Clone, Debug, PartialEq, Serialize, serde::Deserialize)]
pub struct ExportOptions {
    /// Which files to write.
    pub formats: Vec<Format>,
    /// Where answers' thinking goes.
    pub reasoning: ReasoningStyle,
    /// Which ratings.
    pub filter: RatingFilter,
    /// Most preference pairs per question.
    pub max_pairs_per_prompt: usize,
    /// Share of conversations held out as a test split (0: no split).
    pub test_fraction: f64,
    /// Seed of the split.
    pub seed: u64,
}

impl Default for ExportOptions {
    fn default() -> Self {
        Self {
            formats: Format::ALL.to_vec(),
            reasoning: ReasoningStyle::Inline,
            filter: RatingFilter::default(),
            max_pairs_per_prompt: 4,
            test_fraction: 0.0,
            seed: 0,
        }
    }
}

/// What an export wrote.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct ExportReport {
    /// Rows per file, by file name.
    pub rows: BTreeMap<String, usize>,
    /// Rated answers read.
    pub rated: usize,
    /// Of those, thumbs up.
    pub up: usize,
    /// Of those, thumbs down.
    pub down: usize,
    /// Preference pairs written.
    pub pairs: usize,
    /// Of those, pairs of answers from different models.
    pub cross_model_pairs: usize,
    /// Answers left out because their text contains `</think>`, which a template would split
    /// wrongly (inline and stripped styles; the archive keeps them).
    pub skipped_inline: usize,
    /// Pairs left out because both sides were the same text (the same chain sampled twice and rated
    /// both ways).
    pub identical_pairs: usize,
    /// KTO rows left out because the same answer to the same context was rated both up and down.
    pub contradictory_kto: usize,
    /// KTO rows labelled desirable (thumbs up, corrections).
    pub kto_desirable: usize,
    /// KTO rows labelled undesirable.
    pub kto_undesirable: usize,
    /// Whether any pair's prompt starts with a system message (LLaMA-Factory maps the column only then).
    pub system_prompts: bool,
}

/// What can go wrong in an export.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// Reading the store.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The destination already holds files.
    #[error("{0} already exists and is not empty; choose a new folder")]
    Exists(PathBuf),
    /// Writing files.
    #[error("{action} {path}: {source}")]
    Io {
        /// What was being done.
        action: &'static str,
        /// The file or folder.
        path: PathBuf,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
}

impl ExportError {
    /// A stable machine-readable name, sent across IPC next to the message.
    pub fn kind(&self) -> &'static str {
        match self {
            ExportError::Store(e) => e.kind(),
            ExportError::Exists(_) => "exists",
            ExportError::Io { .. } => "io",
        }
    }
}

/// Writes the selected formats for the ratings passing the filter into a new folder `dest`.
pub async fn export(
    store: &Store,
    dest: &Path,
    options: &ExportOptions,
) -> Result<ExportReport, ExportError> {
    export_with_progress(store, dest, options, |_| {}).await
}

/// [`export`], calling `on_progress` with the number of rated answers read so far after each page.
pub async fn export_with_progress(
    store: &Store,
    dest: &Path,
    options: &ExportOptions,
    on_progress: impl FnMut(usize),
) -> Result<ExportReport, ExportError> {
    if dest.exists() && std::fs::read_dir(dest).map_err(io("reading", dest))?.next().is_some() {
        return Err(ExportError::Exists(dest.to_path_buf()));
    }
    let name = dest.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let staging = dest.with_file_name(format!(".{name}.partial-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&staging);
    std::fs::create_dir_all(&staging).map_err(io("creating", &staging))?;
    let result = write_all(store, &staging, options, on_progress).await;
    let report = match result {
        Ok(report) => report,
        Err(e) => {
            let _ = std::fs::remove_dir_all(&staging);
            return Err(e);
        }
    };
    if dest.exists() {
        std::fs::remove_dir(dest).map_err(io("replacing", dest))?;
    }
    std::fs::rename(&staging, dest).map_err(io("moving into place", dest))?;
    Ok(report)
}

async fn write_all(
    store: &Store,
    dir: &Path,
    options: &ExportOptions,
    mut on_progress: impl FnMut(usize),
) -> Result<ExportReport, ExportError> {
    let split = options.test_fraction > 0.0;
    let mut files = Files {
        dir: dir.to_path_buf(),
        split,
        open: BTreeMap::new(),
        report: ExportReport::default(),
    };
    let mut formats = options.formats.clone();
    formats.sort();
    formats.dedup();
    let mut outputs: Vec<Output> =
        formats.iter().flat_map(|f| f.outputs().iter().copied()).collect();
    outputs.sort();
    for o in &outputs {
        for test in if split { vec![false, true] } else { vec![false] } {
            let name = files.name(*o, test);
            files.create(name)?;
        }
    }
    let wants = |o: Output| outputs.contains(&o);
    let style = options.reasoning;
    let mut after = None;
    loop {
        let page = store.rated_answers(&options.filter, after, 50).await?;
        // Siblings (same question) are adjacent groups within a page.
        let question_of =
            |a: &RatedAnswer| (a.conversation.id, a.answer.parent_id.map_or(0, |p| p.0));
        let mut by_question: BTreeMap<(ConversationId, i64), Vec<&RatedAnswer>> = BTreeMap::new();
        for a in &page.answers {
            by_question.entry(question_of(a)).or_default().push(a);
        }
        let contradictory = contradictions(&by_question, style);
        for a in &page.answers {
            let test = in_test_split(a.conversation.id, options.seed, options.test_fraction);
            account(&mut files.report, a, style);
            for row in rows::kto(a, style) {
                if contradictory.contains(&(question_of(a), completion_key(&row))) {
                    files.report.contradictory_kto += 1;
                    continue;
                }
                if row.label {
                    files.report.kto_desirable += 1;
                } else {
                    files.report.kto_undesirable += 1;
                }
                if wants(Output::Kto) {
                    files.write(Output::Kto, test, &row)?;
                }
                if wants(Output::LlamaFactoryKto) {
                    files.write(
                        Output::LlamaFactoryKto,
                        test,
                        &foreign::LlamaFactoryKto::from(&row),
                    )?;
                }
            }
            if wants(Output::Sft) {
                for row in rows::sft(a, style) {
                    files.write(Output::Sft, test, &row)?;
                }
            }
            if wants(Output::Archive) {
                let history = store.rating_history(a.answer.id).await?;
                let (context, answer) = rows::with_canonical_sampling(a);
                let row = rows::ArchiveRow {
                    schema_version: rows::ARCHIVE_SCHEMA_VERSION,
                    conversation: &a.conversation,
                    context: &context,
                    answer: &answer,
                    rating_history: &history,
                };
                files.write(Output::Archive, test, &row)?;
            }
        }
        for ((conversation, _), siblings) in &by_question {
            let test = in_test_split(*conversation, options.seed, options.test_fraction);
            let set = pairs::pairs(siblings, options.max_pairs_per_prompt);
            files.report.identical_pairs += set.identical;
            for pair in set.pairs {
                let Some(row) = rows::dpo(&pair, style) else { continue };
                // Different thinking, same answer: identical once the style drops the thinking.
                if row.chosen == row.rejected {
                    files.report.identical_pairs += 1;
                    continue;
                }
                files.report.pairs += 1;
                files.report.cross_model_pairs += usize::from(pair.cross_model);
                files.report.system_prompts |=
                    row.prompt.first().is_some_and(|m| m.role == "system");
                if wants(Output::Dpo) {
                    files.write(Output::Dpo, test, &row)?;
                }
                if wants(Output::LlamaFactoryDpo) {
                    files.write(
                        Output::LlamaFactoryDpo,
                        test,
                        &foreign::LlamaFactoryDpo::from(&row),
                    )?;
                }
                if wants(Output::OpenAiDpo) {
                    files.write(Output::OpenAiDpo, test, &foreign::OpenAiPreference::from(&row))?;
                }
            }
        }
        on_progress(files.report.rated);
        match page.next {
            Some(next) => after = Some(next),
            None => break,
        }
    }
    for (name, out) in &mut files.open {
        let path = dir.join(name);
        out.flush().map_err(io("writing", &path))?;
        out.get_ref().sync_all().map_err(io("syncing", &path))?;
    }
    if formats.contains(&Format::LlamaFactory) {
        let mut info = std::collections::BTreeMap::new();
        for name in files.report.rows.keys().filter(|n| n.starts_with("llamafactory_")) {
            let entry = name.trim_end_matches(".jsonl").replacen("llamafactory", "ponder", 1);
            let value = if name.contains("_dpo") {
                foreign::dataset_info_dpo(name, files.report.system_prompts)
            } else {
                foreign::dataset_info_kto(name)
            };
            info.insert(entry, value);
        }
        let path = dir.join("dataset_info.json");
        let text = serde_json::to_string_pretty(&info).expect("json") + "\n";
        std::fs::write(&path, text).map_err(io("writing", &path))?;
    }
    let card = card::render(&files.report, options, &formats);
    let path = dir.join("README.md");
    std::fs::write(&path, card).map_err(io("writing", &path))?;
    Ok(files.report)
}

/// A KTO row's completion, as a key for finding the same answer rated both ways.
fn completion_key(row: &rows::KtoRow) -> String {
    serde_json::to_string(&row.completion).expect("json")
}

/// The (question, completion) keys rated both up and down among one page's siblings.
fn contradictions(
    by_question: &BTreeMap<(ConversationId, i64), Vec<&RatedAnswer>>,
    style: ReasoningStyle,
) -> std::collections::HashSet<((ConversationId, i64), String)> {
    let mut out = std::collections::HashSet::new();
    for (question, siblings) in by_question {
        let mut labels: BTreeMap<String, (bool, bool)> = BTreeMap::new();
        for a in siblings {
            for row in rows::kto(a, style) {
                let seen = labels.entry(completion_key(&row)).or_default();
                if row.label {
                    seen.0 = true;
                } else {
                    seen.1 = true;
                }
            }
        }
        out.extend(
            labels.into_iter().filter(|(_, (up, down))| *up && *down).map(|(k, _)| (*question, k)),
        );
    }
    out
}

fn account(report: &mut ExportReport, a: &RatedAnswer, style: ReasoningStyle) {
    report.rated += 1;
    match a.answer.rating.as_ref().and_then(|r| r.input.answer) {
        Some(Vote::Up) => report.up += 1,
        Some(Vote::Down) => report.down += 1,
        None => {}
    }
    if rows::answer_message(a, style).is_none() {
        report.skipped_inline += 1;
    }
}
