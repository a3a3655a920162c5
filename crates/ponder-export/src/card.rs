//! The dataset card: a Hugging Face `README.md` with a YAML header (one config per format, a split
//! per file), the counts, the pairing rules and the up/down balance with the KTO weights it suggests.

use std::fmt::Write;

use crate::{ExportOptions, ExportReport, Format, ReasoningStyle};

fn size_category(n: usize) -> &'static str {
    match n {
        0..1_000 => "n<1K",
        1_000..10_000 => "1K<n<10K",
        10_000..100_000 => "10K<n<100K",
        100_000..1_000_000 => "100K<n<1M",
        _ => "1M<n<10M",
    }
}

/// KTO weights that keep `desirable_weight × ups / (undesirable_weight × downs)` within TRL's advised
/// range of 1 to 4/3. `None` when one side is empty.
pub fn kto_weights(up: usize, down: usize) -> Option<(f64, f64)> {
    if up == 0 || down == 0 {
        return None;
    }
    let ratio = up as f64 / down as f64;
    Some(if ratio < 1.0 {
        (1.0 / ratio, 1.0) // fewer ups: weigh them up
    } else if ratio > 4.0 / 3.0 {
        (1.0, ratio * 3.0 / 4.0) // fewer downs: weigh them up
    } else {
        (1.0, 1.0)
    })
}

/// The card's text.
pub fn render(report: &ExportReport, options: &ExportOptions, formats: &[Format]) -> String {
    let llamafactory = formats.contains(&Format::LlamaFactory);
    let mut s = String::from("---\npretty_name: Ponder ratings\n");
    s.push_str("license: other # choose one before sharing: these are your conversations\n");
    s.push_str("tags:\n  - ponder\n  - reasoning\n  - preference\n  - kto\n  - dpo\n");
    let total: usize = report.rows.values().sum();
    let _ = writeln!(s, "size_categories:\n  - {}", size_category(total));
    s.push_str("configs:\n");
    // One config per kind of file (LLaMA-Factory's ranking and KTO files are two configs).
    let kind = |n: &str| -> String {
        let stem = n.trim_end_matches(".jsonl");
        stem.strip_suffix("_train")
            .or_else(|| stem.strip_suffix("_test"))
            .unwrap_or(stem)
            .to_string()
    };
    let mut configs: Vec<String> = report.rows.keys().map(|n| kind(n)).collect();
    configs.dedup();
    // `load_dataset(folder)` needs a default config: KTO holds every usable rating.
    let default = configs.iter().find(|c| *c == "kto").or(configs.first()).cloned();
    for config in &configs {
        let _ = writeln!(s, "  - config_name: {config}");
        if Some(config) == default.as_ref() {
            s.push_str("    default: true\n");
        }
        s.push_str("    data_files:\n");
        for name in report.rows.keys().filter(|n| kind(n) == *config) {
            let split = if name.ends_with("_test.jsonl") { "test" } else { "train" };
            let _ = writeln!(s, "      - split: {split}\n        path: {name}");
        }
    }
    s.push_str("---\n\n# Ponder ratings\n\n");
    s.push_str("Answers rated in Ponder, exported as reward data. Conversational rows (`role`/`content`);\n");
    let style = match options.reasoning {
        ReasoningStyle::Inline => "the model's thinking is inline, `<think>\\n…\\n</think>\\n\\n` before the answer, as Qwen3's chat template reads it",
        ReasoningStyle::Separate => "the model's thinking is in a separate `reasoning_content` field",
        ReasoningStyle::Stripped => "the model's thinking is left out",
    };
    let _ = writeln!(s, "{style}. A prompt holds only what the model saw: questions and earlier answers, without earlier thinking.\n");
    s.push_str("| file | rows |\n|---|---|\n");
    for (name, n) in &report.rows {
        let _ = writeln!(s, "| `{name}` | {n} |");
    }
    let _ = writeln!(
        s,
        "\nRated answers: {} ({} up, {} down). Preference pairs: {} ({} from two different models, flagged `cross_model`).",
        report.rated, report.up, report.down, report.pairs, report.cross_model_pairs
    );
    if report.skipped_inline > 0 {
        let _ = writeln!(s, "{} answers contain `</think>` in their text, which Qwen3's template would take for the end of the thinking, and are left out of these files (the archive keeps them).", report.skipped_inline);
    }
    if report.identical_pairs > 0 {
        let _ = writeln!(s, "{} pairs are left out because both sides are the same text (the same answer sampled twice and rated both ways): they teach DPO nothing.", report.identical_pairs);
    }
    if report.contradictory_kto > 0 {
        let _ = writeln!(s, "{} KTO rows are left out because the same answer to the same context was rated both up and down.", report.contradictory_kto);
    }
    s.push_str("\n## Pairing rules\n\n");
    let _ = writeln!(s, "- Pairs are built only from answers to the same context (siblings under one question): an answer rated up is chosen, one rated down is rejected; at most {} pairs per question.", options.max_pairs_per_prompt);
    s.push_str("- An answer cut off by the token limit, stopped or interrupted is never chosen.\n");
    s.push_str("- A person's corrected answer is chosen against the answer it corrects.\n");
    s.push_str("- Answers with no opposite-rated sibling appear only in the KTO file.\n");
    s.push_str("- A corrected answer carries thinking only if the person wrote some (a `<think>…</think>` block at the start of the correction); otherwise it has none, rather than an empty block that would teach a thinking model to skip thinking. Qwen3's own template still renders an empty block for a final turn without reasoning: filter on `reasoning_content`/`<think>` if that matters for your run.\n");
    if options.test_fraction > 0.0 {
        let _ = writeln!(s, "- Test split: {:.0}% of conversations (seed {}), so no conversation is in both splits.", options.test_fraction * 100.0, options.seed);
    }
    if formats.contains(&Format::Votes) {
        s.push_str("\n## Votes\n\n");
        let _ = writeln!(s, "Votes: {} (several chains of thought sampled for one question, the answer most of them reached shown). `vote_dpo` pairs a chain that reached the majority's answer (chosen) with one that reached another answer (rejected), at most {} per vote; `vote_grpo` holds the majority's answer as the reference of questions where more than half of the chains agreed. These are the model's own agreement, not a person's judgement: each row's `agreement` is the majority's share of the chains, so filter on it (a chain a person rated down is never chosen, one rated up never rejected). Every answer's `mode` (`answer`, `vote`, `think_longer`) is in the archive.", report.votes, options.max_pairs_per_prompt);
    }
    s.push_str("\n## Training with TRL\n\n");
    let (d_rows, u_rows) = (report.kto_desirable, report.kto_undesirable);
    match kto_weights(d_rows, u_rows) {
        Some((d, u)) => {
            let _ = writeln!(s, "KTO rows desirable:undesirable = {d_rows}:{u_rows}. Suggested `KTOConfig(desirable_weight={d:.2}, undesirable_weight={u:.2})`, keeping the weighted ratio within 1–4/3 as TRL advises.");
        }
        None => {
            let _ = writeln!(s, "KTO rows desirable:undesirable = {d_rows}:{u_rows}. KTO needs both kinds; this export has at most one.");
        }
    }
    let first = |stem: &str| {
        report
            .rows
            .keys()
            .find(|n| {
                n.starts_with(&format!("{stem}.")) || n.starts_with(&format!("{stem}_train."))
            })
            .cloned()
    };
    s.push_str("\n```python\nfrom datasets import load_dataset\n");
    if let Some(default) = &default {
        let _ = writeln!(s, "data = load_dataset(\"path/to/this/folder\")  # the `{default}` config; name another: load_dataset(folder, \"dpo\")");
    }
    if let Some(kto) = first("kto") {
        let _ = writeln!(s, "kto = load_dataset(\"json\", data_files=\"{kto}\", split=\"train\")");
    }
    s.push_str("```\n");
    if llamafactory {
        s.push_str("\nLLaMA-Factory: point `dataset_dir` at this folder and use the datasets named in `dataset_info.json` (`ponder_dpo` with `stage: dpo`, `ponder_kto` with `stage: kto`).\n");
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kto_weights_bring_the_ratio_into_range() {
        assert_eq!(kto_weights(10, 10), Some((1.0, 1.0)));
        let (d, u) = kto_weights(30, 10).unwrap();
        assert!((d * 30.0 / (u * 10.0) - 4.0 / 3.0).abs() < 1e-9);
        let (d, u) = kto_weights(5, 20).unwrap();
        assert!((d * 5.0 / (u * 20.0) - 1.0).abs() < 1e-9);
        assert_eq!(kto_weights(0, 3), None);
    }

    #[test]
    fn sizes() {
        assert_eq!(size_category(0), "n<1K");
        assert_eq!(size_category(100_000), "100K<n<1M");
    }
}
