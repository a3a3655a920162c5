//! The `ponder` binary on the bundled model: JSON events, flags, clear failures, and Ctrl-C.

use std::io::Read;
use std::process::{Command, Stdio};

fn ponder(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_ponder")).args(args).output().expect("runs")
}

#[test]
fn ask_json_prints_one_event_per_line_thinking_then_answer() {
    let out = ponder(&["ask", "--json", "--temperature", "0", "What is 25 + 17?"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let events: Vec<serde_json::Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).expect("each line is JSON"))
        .collect();
    let kinds: Vec<&str> = events.iter().map(|e| e["type"].as_str().unwrap()).collect();
    let first_answer = kinds.iter().position(|k| *k == "answer").expect("an answer");
    assert!(kinds[..first_answer].contains(&"thinking"), "{kinds:?}");
    assert_eq!(&kinds[kinds.len() - 2..], ["usage", "finished"]);
    assert!(events.iter().all(|e| e["candidate"] == 0));
}

#[test]
fn no_think_and_hide_thinking_print_only_the_answer() {
    let out = ponder(&["ask", "--no-think", "--temperature", "0", "What is 3 + 4?"]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(out.status.success());
    assert!(!text.contains("digit by digit"), "{text}");
    let out = ponder(&["ask", "--hide-thinking", "--temperature", "0", "What is 3 + 4?"]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(!text.contains("digit by digit") && text.contains('='), "{text}");
}

#[test]
fn a_missing_model_fails_with_its_name() {
    let out = ponder(&["ask", "--model", "/no/such/model", "hi"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("/no/such/model"), "{err}");
}

#[test]
fn models_lists_the_bundled_model_as_ready() {
    let out = ponder(&["models", "--json"]);
    assert!(out.status.success());
    let list: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let bundled = &list.as_array().unwrap()[0];
    assert_eq!(bundled["id"], "ponder-tiny");
    assert_eq!(bundled["status"]["Ok"], "Qwen3ForCausalLM");
}

/// One `ask` at a hot temperature, interrupted with SIGINT after its first 40 bytes: what came after.
fn ask_then_interrupt() -> String {
    // A hot temperature makes the model ramble, so it is usually still writing when the signal comes.
    let mut child = Command::new(env!("CARGO_BIN_EXE_ponder"))
        .args([
            "ask",
            "--temperature",
            "2",
            "--top-k",
            "1000",
            "--top-p",
            "1",
            "--max-tokens",
            "4000",
        ])
        .arg("What is 9999 + 9999?")
        .stdout(Stdio::piped())
        .spawn()
        .expect("starts");
    let mut stdout = child.stdout.take().unwrap();
    let mut seen = Vec::new();
    let mut buf = [0u8; 256];
    while seen.len() < 40 {
        let n = stdout.read(&mut buf).unwrap();
        if n == 0 {
            break;
        }
        seen.extend_from_slice(&buf[..n]);
    }
    let _ = Command::new("kill").args(["-INT", &child.id().to_string()]).status();
    let mut rest = String::new();
    stdout.read_to_string(&mut rest).unwrap();
    assert!(child.wait().unwrap().success(), "a stop is not a failure");
    rest
}

#[test]
fn ctrl_c_stops_generation_and_keeps_what_was_written() {
    // Even rambling, the model sometimes ends on its own before the signal lands (on a loaded
    // machine): such a try proves nothing either way, so it is tried again.
    let mut tries = Vec::new();
    for _ in 0..5 {
        let rest = ask_then_interrupt();
        if rest.lines().any(|l| l == "[stopped]") {
            return;
        }
        tries.push(rest);
    }
    panic!("never stopped in 5 tries: {tries:?}");
}

#[test]
fn a_question_too_long_for_the_model_is_refused_and_not_saved() {
    let data = tempfile::tempdir().unwrap();
    let dir = data.path().to_str().unwrap();
    // The bundled model's context is 2,048 tokens; one digit is one token.
    let long = format!("What is {} + 1?", "7".repeat(3000));
    let out = ponder(&["ask", "--save", "--data-dir", dir, &long]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("context holds 2048"), "{err}");
    let list = ponder(&["history", "--data-dir", dir]);
    let list = String::from_utf8(list.stdout).unwrap();
    assert!(!list.contains("What is"), "nothing saved: {list}");
}

#[test]
fn ask_save_keeps_the_conversation_for_history_to_list_search_and_show() {
    let data = tempfile::tempdir().unwrap();
    let dir = data.path().to_str().unwrap();
    let out =
        ponder(&["ask", "--save", "--data-dir", dir, "--temperature", "0", "What is 25 + 17?"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(data.path().join("ponder.db").exists());

    let list = String::from_utf8(ponder(&["history", "--data-dir", dir]).stdout).unwrap();
    assert!(list.contains("What is 25 + 17?"), "{list}");
    let id = list.split_whitespace().next().unwrap().to_string();
    let found = String::from_utf8(
        ponder(&["history", "--data-dir", dir, "--search", "digit", "--thinking"]).stdout,
    )
    .unwrap();
    assert!(found.contains("Thinking") && found.contains("digit"), "{found}");
    let shown = ponder(&["history", "--data-dir", dir, "--show", &id]);
    let shown = String::from_utf8(shown.stdout).unwrap();
    assert!(
        shown.contains("> What is 25 + 17?")
            && shown.contains("digit by digit")
            && shown.contains("42"),
        "{shown}"
    );

    // The environment variable is the other way to choose the folder.
    let env = Command::new(env!("CARGO_BIN_EXE_ponder"))
        .args(["history"])
        .env("PONDER_DATA_DIR", dir)
        .output()
        .unwrap();
    assert!(String::from_utf8(env.stdout).unwrap().contains("What is 25 + 17?"));
}

#[test]
fn ask_rate_and_export_make_reward_data_files() {
    let data = tempfile::tempdir().unwrap();
    let dir = data.path().to_str().unwrap();
    for _ in 0..2 {
        let out = ponder(&["ask", "--save", "--data-dir", dir, "-n", "1", "What is 12 + 30?"]);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    }
    let shown =
        String::from_utf8(ponder(&["history", "--data-dir", dir, "--show", "1"]).stdout).unwrap();
    let answer_id = shown.split("[answer ").nth(1).unwrap().split(' ').next().unwrap().to_string();
    let rated = ponder(&[
        "rate",
        &answer_id,
        "down",
        "--tag",
        "wrong_answer",
        "--correct",
        "12 + 30 = 42, since 2 + 0 = 2 and 10 + 30 = 40.",
        "--data-dir",
        dir,
    ]);
    assert!(rated.status.success(), "{}", String::from_utf8_lossy(&rated.stderr));
    assert!(!ponder(&["rate", &answer_id, "down", "--tag", "nonsense", "--data-dir", dir])
        .status
        .success());

    let out_dir = data.path().join("export");
    let out = ponder(&[
        "export",
        "--data-dir",
        dir,
        "--out",
        out_dir.to_str().unwrap(),
        "--format",
        "kto",
        "--format",
        "dpo",
    ]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8(out.stdout).unwrap().contains("1 preference pairs"));
    let dpo = std::fs::read_to_string(out_dir.join("dpo.jsonl")).unwrap();
    let row: serde_json::Value = serde_json::from_str(dpo.lines().next().unwrap()).unwrap();
    assert_eq!(row["chosen"][0]["content"], "12 + 30 = 42, since 2 + 0 = 2 and 10 + 30 = 40.");
    let kto = std::fs::read_to_string(out_dir.join("kto.jsonl")).unwrap();
    assert_eq!(kto.lines().count(), 2, "the down vote and the corrected answer");
    assert!(out_dir.join("README.md").exists() && !out_dir.join("sft.jsonl").exists());
}

/// Each line of `--json` output as JSON.
fn json_lines(out: &std::process::Output) -> Vec<serde_json::Value> {
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout.clone()).unwrap();
    text.lines().map(|l| serde_json::from_str(l).expect("each line is JSON")).collect()
}

#[test]
fn vote_and_check_from_the_command_line() {
    let out = ponder(&["ask", "--json", "--vote", "4", "--check", "What is 25 + 17?"]);
    let lines = json_lines(&out);
    let chains: std::collections::BTreeSet<u64> =
        lines.iter().filter_map(|l| l["candidate"].as_u64()).collect();
    assert_eq!(chains, (0..4).collect(), "four chains streamed");
    let vote = lines.iter().find(|l| l.get("vote").is_some()).expect("the vote's line");
    assert_eq!(vote["vote"]["chains"], 4);
    let said = vote["said"].as_str().unwrap();
    assert!(said.contains("agree") || said.contains("no clear answer"), "{said}");
    // The grader knows the sum: with a majority, its verdict is whether the majority said 42.
    let check = lines.iter().find(|l| l.get("check").is_some()).expect("the check's line");
    assert_eq!(check["check"]["method"], "grader");
    if said.contains("agree") {
        let right = vote["vote"]["tallies"][0]["key"] == "42";
        let verdict = if right { "correct" } else { "incorrect" };
        assert_eq!(check["check"]["verdict"], verdict, "{vote} {check}");
    }
}

#[test]
fn think_longer_from_the_command_line_thinks_at_least_the_minimum() {
    let thinking_tokens = |args: &[&str]| {
        let lines = json_lines(&ponder(args));
        let usage = lines.iter().find(|l| l["type"] == "usage").expect("usage");
        usage["data"]["thinking_tokens"].as_u64().unwrap()
    };
    let question = ["ask", "--json", "--temperature", "0", "What is 25 + 17?"];
    let plain = thinking_tokens(&question);
    let longer =
        thinking_tokens(&[&question[..4], &["--min-thinking", "120", question[4]]].concat());
    assert!(plain < 120, "the bundled model thinks briefly on its own: {plain}");
    assert!(longer >= 120, "thinking longer kept it thinking: {longer} (alone {plain})");
    // A minimum the thinking budget cannot hold is refused before anything runs, and says why.
    let out = ponder(&["ask", "--min-thinking", "300", "--budget", "100", "What is 25 + 17?"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("thinking budget of 100"), "{err}");
}
