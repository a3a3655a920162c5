//! Writing an export's files from the pages read: the rows of every format, the counts of the report,
//! the LLaMA-Factory `dataset_info.json` and the dataset card. Runs on a blocking thread.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;

use ponder_store::{ConversationId, RatedAnswer, Vote};

use crate::files::{in_test_split, io, Files};
use crate::{
    card, foreign, pairs, rows, votes, ExportError, ExportOptions, ExportReport, Format, Output,
};
use crate::{Page, ReasoningStyle};

pub(crate) fn write_all(
    dir: &Path,
    options: &ExportOptions,
    mut received: tokio::sync::mpsc::Receiver<Page>,
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
    while let Some(page) = received.blocking_recv() {
        for v in &page.votes {
            files.report.votes += 1;
            let test = in_test_split(v.conversation.id, options.seed, options.test_fraction);
            if wants(Output::VoteDpo) {
                for row in votes::pairs(v, options.max_pairs_per_prompt, style) {
                    files.write(Output::VoteDpo, test, &row)?;
                }
            }
            if let (true, Some(row)) = (wants(Output::VoteGrpo), votes::reference(v)) {
                files.write(Output::VoteGrpo, test, &row)?;
            }
        }
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
                let history = page.histories.get(&a.answer.id).map_or(&[][..], Vec::as_slice);
                let (context, answer) = rows::with_canonical_sampling(a);
                let row = rows::ArchiveRow {
                    schema_version: rows::ARCHIVE_SCHEMA_VERSION,
                    mode: votes::mode_of(&a.answer),
                    conversation: &a.conversation,
                    context: &context,
                    answer: &answer,
                    rating_history: history,
                };
                files.write(Output::Archive, test, &row)?;
            }
        }
        for ((conversation, _), siblings) in &by_question {
            let test = in_test_split(*conversation, options.seed, options.test_fraction);
            if wants(Output::Grpo) {
                if let Some(row) = rows::grpo(siblings) {
                    files.write(Output::Grpo, test, &row)?;
                }
            }
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
    let mut card = card::render(&files.report, options, &formats);
    if let Some(trainer) = options.trainer {
        crate::trl_kit::write_kit(dir, trainer)?;
        card.push_str(&crate::trl_kit::card_section(&files.report));
    }
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
