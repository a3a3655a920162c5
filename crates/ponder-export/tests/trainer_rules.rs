//! Every exported file obeys what trainers enforce (TRL's key combinations, real booleans, roles in
//! order, no empty completions), the output is byte-identical for the same data, the folder appears
//! whole or not at all, and a split never puts one conversation on both sides.

mod fixture;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use ponder_export::{export, ExportError, ExportOptions, ReasoningStyle};
use serde_json::Value;

fn rows(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{}: {e}: {l}", path.display())))
        .collect()
}

fn keys(row: &Value) -> BTreeSet<&str> {
    row.as_object().unwrap().keys().map(String::as_str).collect()
}

/// Questions and answers alternate, starting with a question (after an optional system message).
fn check_turns(messages: &[Value], ends_with: &str) {
    let roles: Vec<&str> = messages.iter().map(|m| m["role"].as_str().unwrap()).collect();
    let turns: Vec<&str> = roles.iter().copied().skip_while(|r| *r == "system").collect();
    assert!(!turns.is_empty(), "{roles:?}");
    for (i, r) in turns.iter().enumerate() {
        assert_eq!(*r, if i % 2 == 0 { "user" } else { "assistant" }, "{roles:?}");
    }
    assert_eq!(*turns.last().unwrap(), ends_with, "{roles:?}");
    for m in messages {
        assert!(m["content"].is_string());
    }
}

/// One assistant message whose answer (after any thinking block) is not empty.
fn check_completion(messages: &Value) {
    let messages = messages.as_array().unwrap();
    assert_eq!(messages.len(), 1);
    assert_eq!(messages[0]["role"], "assistant");
    let content = messages[0]["content"].as_str().unwrap();
    let answer = content.rsplit("</think>\n\n").next().unwrap();
    assert!(!answer.trim().is_empty(), "empty completion: {content:?}");
}

async fn exported(
    style: ReasoningStyle,
    test_fraction: f64,
) -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let store = fixture::fixture(dir.path()).await;
    let out = dir.path().join("export");
    let options = ExportOptions { reasoning: style, test_fraction, seed: 3, ..Default::default() };
    export(&store, &out, &options).await.unwrap();
    (dir, out)
}

#[tokio::test]
async fn every_row_has_an_allowed_shape() {
    for style in [ReasoningStyle::Inline, ReasoningStyle::Separate, ReasoningStyle::Stripped] {
        let (_dir, out) = exported(style, 0.0).await;
        for row in rows(&out.join("kto.jsonl")) {
            assert_eq!(keys(&row), BTreeSet::from(["prompt", "completion", "label"]));
            assert!(row["label"].is_boolean(), "a real boolean: {row}");
            check_turns(row["prompt"].as_array().unwrap(), "user");
            check_completion(&row["completion"]);
        }
        for row in rows(&out.join("dpo.jsonl")) {
            assert_eq!(keys(&row), BTreeSet::from(["prompt", "chosen", "rejected", "cross_model"]));
            assert!(row["cross_model"].is_boolean());
            check_turns(row["prompt"].as_array().unwrap(), "user");
            check_completion(&row["chosen"]);
            check_completion(&row["rejected"]);
            assert_ne!(row["chosen"], row["rejected"]);
        }
        for row in rows(&out.join("sft.jsonl")) {
            assert_eq!(keys(&row), BTreeSet::from(["messages"]), "never messages with prompt");
            check_turns(row["messages"].as_array().unwrap(), "assistant");
        }
        for row in rows(&out.join("archive.jsonl")) {
            assert_eq!(row["schema_version"], 1);
        }
        let dpo_rows = rows(&out.join("dpo.jsonl"));
        let lf = rows(&out.join("llamafactory_dpo.jsonl"));
        assert_eq!(lf.len(), dpo_rows.len());
        for row in &lf {
            assert_eq!(keys(row), BTreeSet::from(["conversations", "chosen", "rejected"]));
            let turns = row["conversations"].as_array().unwrap();
            assert_eq!(turns.last().unwrap()["from"], "human");
            assert_eq!(
                (row["chosen"]["from"].as_str(), row["rejected"]["from"].as_str()),
                (Some("gpt"), Some("gpt"))
            );
        }
        for row in rows(&out.join("llamafactory_kto.jsonl")) {
            assert_eq!(keys(&row), BTreeSet::from(["messages", "label"]));
            assert!(row["label"].is_boolean());
            check_turns(row["messages"].as_array().unwrap(), "assistant");
        }
        let info: Value =
            serde_json::from_str(&std::fs::read_to_string(out.join("dataset_info.json")).unwrap())
                .unwrap();
        assert_eq!(info["ponder_dpo"]["ranking"], true);
        assert_eq!(info["ponder_dpo"]["file_name"], "llamafactory_dpo.jsonl");
        assert_eq!(info["ponder_kto"]["columns"]["kto_tag"], "label");
        let openai = rows(&out.join("openai_dpo.jsonl"));
        assert_eq!(openai.len(), dpo_rows.len());
        for row in &openai {
            assert_eq!(
                keys(row),
                BTreeSet::from(["input", "preferred_output", "non_preferred_output"])
            );
            check_turns(row["input"]["messages"].as_array().unwrap(), "user");
            check_completion(&row["preferred_output"]);
            check_completion(&row["non_preferred_output"]);
        }
        let separate = style == ReasoningStyle::Separate;
        let kto = std::fs::read_to_string(out.join("kto.jsonl")).unwrap();
        assert_eq!(kto.contains("reasoning_content"), separate, "{style:?}");
        assert_eq!(kto.contains("<think>\\n"), style == ReasoningStyle::Inline, "{style:?}");
    }
}

#[tokio::test]
async fn the_hard_cases_land_where_they_should() {
    let (_dir, out) = exported(ReasoningStyle::Inline, 0.0).await;
    let dpo = rows(&out.join("dpo.jsonl"));
    // The corrected answer is chosen against the answer it corrects; the truncated up-vote never is.
    assert!(dpo.iter().any(|r| r["chosen"][0]["content"]
        .as_str()
        .unwrap()
        .ends_with("\n\n347 + 589 = 936.")
        && r["rejected"][0]["content"].as_str().unwrap().ends_with("935")));
    assert!(!dpo
        .iter()
        .any(|r| r["chosen"][0]["content"].as_str().unwrap().contains("write\n</think>")));
    assert_eq!(dpo.iter().filter(|r| r["cross_model"] == true).count(), 1);
    // `</think>` inside an answer cannot be written inline: left out, kept in the archive.
    let all = std::fs::read_to_string(out.join("kto.jsonl")).unwrap();
    assert!(!all.contains("It ends with"));
    let archive = std::fs::read_to_string(out.join("archive.jsonl")).unwrap();
    assert!(archive.contains("It ends with </think> and then more."));
    // The rating changed twice keeps its whole history; the cleared one and the deleted conversation are gone.
    let a2 = rows(&out.join("archive.jsonl"))
        .into_iter()
        .find(|r| r["answer"]["content"] == "935")
        .unwrap();
    assert_eq!(a2["rating_history"].as_array().unwrap().len(), 3);
    assert!(!archive.contains("\"gone\"") && !archive.contains("\"cleared\""));
    // The same text rated both ways makes no pair and no KTO row; the other sibling still pairs.
    let dpo_same = |r: &&Value| r["chosen"] == r["rejected"];
    assert!(!dpo.iter().any(|r| dpo_same(&r)), "no pair of identical sides");
    assert!(dpo.iter().any(|r| r["prompt"][0]["content"] == "What is 2 + 2?"
        && r["rejected"][0]["content"].as_str().unwrap().ends_with("5")));
    let kto = rows(&out.join("kto.jsonl"));
    let two_plus_two: Vec<_> =
        kto.iter().filter(|r| r["prompt"][0]["content"] == "What is 2 + 2?").collect();
    assert_eq!(two_plus_two.len(), 1, "only the answer 5: {two_plus_two:?}");
    assert_eq!(two_plus_two[0]["label"], false);
    // A correction has thinking only if its writer wrote some.
    let chosen: Vec<&str> =
        dpo.iter().map(|r| r["chosen"][0]["content"].as_str().unwrap()).collect();
    assert!(chosen.contains(&"347 + 589 = 936."), "no empty think block: {chosen:?}");
    assert!(
        chosen.contains(&"<think>\nTake 5 to reach 10, then 2 more: 8.\n</think>\n\n15 − 7 = 8."),
        "{chosen:?}"
    );
    // The card's balance is the KTO file's, and its configs name files that exist, one the default.
    let card = std::fs::read_to_string(out.join("README.md")).unwrap();
    let up = kto.iter().filter(|r| r["label"] == true).count();
    let down = kto.len() - up;
    assert!(card.contains(&format!("desirable:undesirable = {up}:{down}")), "{card}");
    assert_eq!(card.matches("default: true").count(), 1, "{card}");
    for line in card.lines().filter_map(|l| l.trim().strip_prefix("path: ")) {
        assert!(out.join(line).is_file(), "the card names {line}");
    }
    assert!(!card.contains("kto_train.jsonl"), "no split, no such file: {card}");
    // LLaMA-Factory: no `system` column mapped when no row has one.
    let info = std::fs::read_to_string(out.join("dataset_info.json")).unwrap();
    assert!(!info.contains("\"system\": \"system\""), "{info}");

    // The follow-up's prompt carries the answer it followed, without that answer's thinking.
    let kto = rows(&out.join("kto.jsonl"));
    let follow = kto.iter().find(|r| r["prompt"].as_array().unwrap().len() == 3).unwrap();
    assert_eq!(follow["prompt"][1]["content"], "347 + 589 = 936.");
}

fn tree(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            (e.file_name().to_string_lossy().into_owned(), std::fs::read(e.path()).unwrap())
        })
        .collect()
}

#[tokio::test]
async fn the_same_data_gives_byte_identical_files_and_splits_keep_conversations_whole() {
    let (_a, first) = exported(ReasoningStyle::Inline, 0.5).await;
    let (_b, second) = exported(ReasoningStyle::Inline, 0.5).await;
    assert!(tree(&first) == tree(&second));
    let ids = |name: &str| -> BTreeSet<i64> {
        rows(&first.join(name)).iter().map(|r| r["conversation"]["id"].as_i64().unwrap()).collect()
    };
    let (train, test) = (ids("archive_train.jsonl"), ids("archive_test.jsonl"));
    assert!(train.is_disjoint(&test), "{train:?} {test:?}");
    assert_eq!(train.len() + test.len(), 6);
    let card = std::fs::read_to_string(first.join("README.md")).unwrap();
    assert!(card.contains("split: test\n        path: kto_test.jsonl"), "{card}");
}

#[tokio::test]
async fn an_export_never_overwrites_files_or_leaves_half_a_folder() {
    let dir = tempfile::tempdir().unwrap();
    let store = fixture::fixture(dir.path()).await;
    let out = dir.path().join("export");
    std::fs::create_dir(&out).unwrap();
    std::fs::write(out.join("mine.txt"), "keep me").unwrap();
    let e = export(&store, &out, &ExportOptions::default()).await.unwrap_err();
    assert!(matches!(e, ExportError::Exists(_)), "{e}");
    assert_eq!(std::fs::read_to_string(out.join("mine.txt")).unwrap(), "keep me");
    // An empty folder is fine, and nothing is left beside it.
    let fresh = dir.path().join("fresh");
    std::fs::create_dir(&fresh).unwrap();
    export(&store, &fresh, &ExportOptions::default()).await.unwrap();
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains("partial"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}
