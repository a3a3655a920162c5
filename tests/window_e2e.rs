//! End to end, in a real window: the real app binary (window embedded), the bundled model in
//! mistral.rs and a fresh SQLite file, driven through WebDriver under Xvfb. Saves screenshots of the
//! main states (into `docs/screenshots/` with `UPDATE_SCREENSHOTS=1`).

mod window;

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

use serde_json::{json, Value};
use window::{wait_until, Window};

/// One window at a time: two cores cannot run two apps and a model each without timing out.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

const LONG: Duration = Duration::from_secs(90);

fn shots() -> PathBuf {
    window::screenshot_dir()
}

fn by_label(label: &str) -> String {
    format!("[aria-label=\"{label}\"]")
}

/// Draws two Chinese characters in the answer's font on a canvas and compares their pixels.
const CJK_GLYPHS: &str = r#"
const c = document.createElement('canvas');
c.width = 64; c.height = 40;
const ctx = c.getContext('2d');
const family = getComputedStyle(document.querySelector('.answer') || document.body).fontFamily;
const draw = (ch) => {
  ctx.clearRect(0, 0, 64, 40);
  ctx.fillStyle = '#000';
  ctx.font = `28px ${family}`;
  ctx.fillText(ch, 4, 32);
  return Array.from(ctx.getImageData(0, 0, 64, 40).data).join(',');
};
const zhong = draw('中'), guo = draw('国'), blank = draw(' ');
return { family, distinct: zhong !== guo, inked: zhong !== blank };
"#;

/// Clicks past the first-run screen and waits for the bundled model to be ready.
fn start(w: &Window) {
    let s = &w.session;
    let start = s.wait_for(".welcome .start", LONG);
    s.click(&start);
    s.wait_for(".composer .box:not(.disabled) textarea", LONG);
}

/// Records, from inside the page, what the thinking pane showed while the answer streamed.
const WATCH_PANE: &str = r#"
window.__pane = [];
const look = () => {
  const t = document.querySelector('.answer .thinking');
  if (!t) return;
  const body = t.querySelector('.body');
  const answer = document.querySelector('.answer > .markdown, .answer .content');
  window.__pane.push({
    open: t.querySelector('.head').getAttribute('aria-expanded') === 'true',
    thinking: body ? body.textContent.length : 0,
    answer: answer ? answer.textContent.trim().length : 0,
  });
};
new MutationObserver(look).observe(document.body, {subtree: true, childList: true, characterData: true});
"#;

fn ask(w: &Window, question: &str) {
    let s = &w.session;
    let composer = s.wait_for(".composer textarea", LONG);
    s.type_into(&composer, &format!("{question}\u{E007}"));
}

/// Waits until no answer is generating, and returns the last answer's text.
fn wait_answered(w: &Window) -> String {
    window::wait_answered(&w.session, "", LONG)
}

/// Rows of `<stem>.jsonl`, or of `<stem>_train.jsonl` and `<stem>_test.jsonl` when the export split them.
fn rows(dir: &Path, stem: &str) -> Vec<Value> {
    let mut out = Vec::new();
    for name in
        [format!("{stem}.jsonl"), format!("{stem}_train.jsonl"), format!("{stem}_test.jsonl")]
    {
        let Ok(text) = std::fs::read_to_string(dir.join(name)) else { continue };
        out.extend(text.lines().map(|l| serde_json::from_str::<Value>(l).unwrap()));
    }
    out
}

#[test]
fn ask_fold_rate_regenerate_export_restart_and_search() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    {
        let w = Window::open(&data);
        let s = &w.session;
        s.wait_for(".welcome .start", LONG);
        w.screenshot(&shots().join("first-run.png"));
        start(&w);

        // 1. Thinking shows while streaming and folds when the answer appears; the answer is right.
        s.script(WATCH_PANE, json!([]));
        ask(&w, "What is 347 + 589?");
        let answer = wait_answered(&w);
        assert!(answer.contains("936"), "answer: {answer}");
        let samples = s.script("return window.__pane", json!([]));
        let samples = samples.as_array().unwrap();
        assert!(
            samples
                .iter()
                .any(|p| p["open"] == true && p["thinking"].as_u64() > Some(0) && p["answer"] == 0),
            "the pane never showed thinking while open before the answer: {samples:?}"
        );
        let head = s.wait_for(".answer .thinking .head", LONG);
        assert_eq!(
            s.script(
                "return arguments[0].getAttribute('aria-expanded')",
                json!([{"element-6066-11e4-a52e-4f735466cecf": head.id}])
            ),
            "false"
        );
        assert!(s.text(&head).contains("Thought for"), "{}", s.text(&head));
        w.screenshot(&shots().join("answer.png"));
        s.click(&head);
        w.screenshot(&shots().join("thinking-open.png"));

        // 2. Thumbs up; regenerate; thumbs down on the sibling with a reason.
        s.click(&s.wait_for(&by_label("Good answer"), LONG));
        wait_until(
            LONG,
            || s.try_find(&format!("{}[aria-pressed=\"true\"]", by_label("Good answer"))).is_some(),
            "the up-vote to be saved",
        );
        s.click(&s.wait_for(&by_label("Regenerate"), LONG));
        wait_until(
            LONG,
            || s.find_all(".branches").iter().any(|b| s.text(b).contains("2 / 2")),
            "the second answer",
        );
        wait_answered(&w);
        s.click(&s.wait_for(&by_label("Bad answer"), LONG));
        let chip = s.wait_for(".details .chips .chip", LONG);
        let chips = s.find_all(".details .chips .chip");
        let wrong = chips.iter().find(|c| s.text(c) == "Wrong answer").unwrap_or(&chip).clone();
        s.click(&wrong);
        s.click(&s.wait_for(".details .btn.primary", LONG));
        // Saved means the panel closed *and* the Details link marks the stored reasons ("Details •"): a
        // lookup that fails under load also returns nothing, so absence alone proves too little.
        wait_until(
            LONG,
            || {
                s.find_all(".rating .link").iter().any(|l| s.text(l).contains('•'))
                    && s.try_find(".details").is_none()
            },
            "the details to be saved",
        );
        w.screenshot(&shots().join("rated.png"));

        // Export DPO and KTO into a folder typed in the form.
        let out = dir.path().join("export");
        let nav = s.find_all(".sidebar .nav-btn");
        let export = nav.iter().find(|b| s.text(b).contains("Export")).expect("Export button");
        s.click(export);
        let folder = s.wait_for("input.folder", LONG);
        s.type_into(&folder, &out.display().to_string());
        wait_until(LONG, || s.try_find(".section .chart, svg").is_some(), "the chart");
        s.click(&s.wait_for(".go .btn.primary:not([disabled])", LONG));
        wait_until(LONG, || out.join("README.md").is_file(), "the export files");
        w.screenshot(&shots().join("export.png"));
        let dpo = rows(&out, "dpo");
        let kto = rows(&out, "kto");
        // The 👍 answer against the 👎 one. The model gets this sum right nearly every time, sampled or
        // not, so the two are often the same text: such a pair teaches nothing and contradicts itself in
        // KTO, so the export leaves it out and says so.
        let answers: Vec<(String, String)> = ponder_store_thread(&data)
            .iter()
            .filter(|m| m["role"] == "assistant")
            .map(|m| (m["content"].to_string(), m["thinking"].to_string()))
            .collect();
        assert_eq!(answers.len(), 2, "{answers:?}");
        if answers[0] == answers[1] {
            assert!(dpo.is_empty() && kto.is_empty(), "{dpo:?} {kto:?}");
            let report = s.text(&s.wait_for(".report", LONG));
            assert!(report.contains("Left out: 1 pairs"), "{report}");
            let card = std::fs::read_to_string(out.join("README.md")).unwrap();
            assert!(card.contains("1 pairs are left out"), "{card}");
        } else {
            assert_eq!(dpo.len(), 1, "{dpo:?}");
            assert!(dpo[0]["prompt"].to_string().contains("347 + 589"), "{dpo:?}");
            assert_ne!(dpo[0]["chosen"], dpo[0]["rejected"]);
            let labels: Vec<bool> = kto.iter().map(|r| r["label"].as_bool().unwrap()).collect();
            assert_eq!(labels.len(), 2, "{kto:?}");
            assert!(labels.contains(&true) && labels.contains(&false), "{labels:?}");
        }
    }
    // 3. Quit and start again: the conversation is there and search finds it.
    let w = Window::open(&data);
    let s = &w.session;
    let listed = || {
        s.script("return document.querySelector('.sidebar .list')?.textContent ?? ''", json!([]))
    };
    wait_until(
        LONG,
        || listed().as_str().is_some_and(|t| t.contains("347")),
        "the conversation in the sidebar",
    );
    let search = s.wait_for(&by_label("Search conversations"), LONG);
    s.type_into(&search, "589");
    wait_until(LONG, || s.try_find(".sidebar mark").is_some(), "a highlighted search hit");
    w.screenshot(&shots().join("search.png"));
    let nav = s.find_all(".sidebar .nav-btn");
    let settings = nav.iter().find(|b| s.text(b).contains("Settings")).expect("Settings button");
    s.click(settings);
    s.wait_for(".page", LONG);
    w.screenshot(&shots().join("settings.png"));
}

#[test]
fn stopping_mid_thinking_keeps_the_partial_thinking() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let dir = tempfile::tempdir().unwrap();
    let w = Window::open(dir.path());
    let s = &w.session;
    start(&w);
    // The tiny model thinks for well under a second: the page itself presses Stop the moment the
    // first thinking text appears (the same button a person presses).
    s.script(
        r#"new MutationObserver((_, obs) => {
             const body = document.querySelector('.answer .thinking .body');
             const stop = document.querySelector('.composer .send.stop');
             if (body && body.textContent.length > 0 && stop) { obs.disconnect(); window.__stoppedAt = body.textContent.length; stop.click(); }
           }).observe(document.body, {subtree: true, childList: true, characterData: true});"#,
        json!([]),
    );
    ask(&w, "What is 9876 × 7?");
    wait_answered(&w);
    let stopped_at = s.script("return window.__stoppedAt || 0", json!([])).as_u64().unwrap();
    assert!(stopped_at > 0, "Stop was never pressed");
    // Reopen the conversation from the store: the partial thinking was kept, the answer is empty.
    let db = ponder_store_thread(dir.path());
    let answer = db.iter().find(|m| m["role"] == "assistant").expect("an answer row");
    assert_eq!(answer["status"], "stopped", "{answer}");
    let thinking = answer["thinking"].as_str().unwrap_or_default();
    assert!(!thinking.is_empty(), "{answer}");
    assert!(!thinking.contains("= 69132."), "it finished thinking: {thinking}");
}

#[test]
fn a_vote_from_the_composer_shows_its_agreement_and_a_check_its_verdict() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let dir = tempfile::tempdir().unwrap();
    let w = Window::open(dir.path());
    let s = &w.session;
    start(&w);
    // The composer's mode, as a person picks it from the select (a real change event bubbles, and
    // Svelte listens for it at the root).
    let mode = s.wait_for(&by_label("How to answer"), LONG);
    s.script(
        "arguments[0].value = 'vote:4'; arguments[0].dispatchEvent(new Event('change', {bubbles: true}))",
        json!([{"element-6066-11e4-a52e-4f735466cecf": mode.id}]),
    );
    ask(&w, "What is 347 + 589?");
    wait_answered(&w);
    let agreement = s.text(&s.wait_for(".harder .vote", LONG));
    s.click(&s.wait_for(".harder .check-open", LONG));
    let verdict = s.text(&s.wait_for(".harder .check", LONG));
    assert!(verdict.contains("checked") && verdict.contains("grader"), "{verdict}");
    w.screenshot(&shots().join("vote-and-check.png"));
    let saved = ponder_store_thread(dir.path());
    let chains: Vec<_> = saved.iter().filter(|m| m["role"] == "assistant").collect();
    assert_eq!(chains.len(), 4, "the vote's four chains are kept");
    assert!(chains.iter().all(|m| m["vote"]["chains"] == 4));
    // What the window says is what the saved vote came to.
    let vote = &chains[0]["vote"];
    let expected = match (vote["result"].as_str(), vote["agreeing"].as_u64()) {
        (Some("majority"), Some(4)) => "all 4 agree".to_string(),
        (Some("majority"), Some(n)) => format!("{n} of 4 agree"),
        (Some("tie"), Some(n)) => format!("a tie: {n} say "),
        _ => "no clear answer in 4 chains".to_string(),
    };
    assert!(agreement.contains(&expected), "{agreement:?} for {vote}");
    let checked = chains.iter().find(|m| m["check"].is_object()).expect("the check was saved");
    let shown = &checked["vote"];
    assert!(
        shown["with_majority"] == true || shown["position"] == 0,
        "the chain on screen was checked"
    );
}

/// The messages of the only conversation, read with the store itself (the app holds it open in WAL
/// mode, so reading alongside is safe).
fn ponder_store_thread(data: &Path) -> Vec<Value> {
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let store = ponder_store::Store::open(data.join("ponder.db")).await.unwrap();
        let page = store.list_conversations(10, None).await.unwrap();
        let thread = store.thread(page.items[0].id).await.unwrap();
        serde_json::to_value(thread.messages).unwrap().as_array().unwrap().clone()
    })
}

#[test]
fn the_simplified_chinese_window_answers_a_chinese_question() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path()).unwrap();
    std::fs::write(dir.path().join("settings.json"), r#"{"seenWelcome": true, "language": "zh"}"#)
        .unwrap();
    let w = Window::open(dir.path());
    let s = &w.session;
    let composer = s.wait_for(".composer .box:not(.disabled) textarea", LONG);
    let placeholder = s.script(
        "return arguments[0].placeholder",
        json!([{"element-6066-11e4-a52e-4f735466cecf": composer.id}]),
    );
    assert_eq!(placeholder, "想问什么都可以");
    assert_eq!(s.script("return document.documentElement.lang", json!([])), "zh-CN");
    ask(&w, "小明有 347 个苹果，又买了 589 个，一共有多少个？");
    let answer = wait_answered(&w);
    assert!(answer.contains("936"), "{answer}");
    let head = s.wait_for(".answer .thinking .head", LONG);
    assert!(s.text(&head).contains("思考"), "{}", s.text(&head));
    // The Chinese must be drawn with real glyphs, not the missing-glyph box: two different characters
    // in the page's own font must come out as different pixels (boxes are all alike).
    let glyphs = s.script(CJK_GLYPHS, json!([]));
    assert_eq!(glyphs["inked"], true, "nothing drawn: {glyphs}");
    assert_eq!(
        glyphs["distinct"], true,
        "Chinese renders as missing-glyph boxes: install a CJK font (scripts/setup.sh does): {glyphs}"
    );
    w.screenshot(&shots().join("zh.png"));
}

/// Run by `tests/package.sh` with `PONDER_APP_BINARY=/usr/bin/ponder-desktop` after `dpkg -i`: the
/// installed app opens, answers with the model its package carries (not the source tree's), and saves.
#[test]
#[ignore = "needs an installed package: run tests/package.sh"]
fn installed_package_answers_with_its_own_model() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let binary = window::app_binary();
    let prefix = binary.parent().and_then(Path::parent).expect("<prefix>/bin/ponder-desktop");
    let dir = tempfile::tempdir().unwrap();
    {
        let w = Window::open(dir.path());
        start(&w);
        ask(&w, "What is 347 + 589?");
        let answer = wait_answered(&w);
        assert!(answer.contains("936"), "answer: {answer}");
    }
    let thread = ponder_store_thread(dir.path());
    let path = thread[1]["generation"]["settings"]["model"]["path"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(
        Path::new(&path).starts_with(prefix.join("lib/Ponder/models/ponder-tiny")),
        "the answer came from {path}, not from the package's model under {}",
        prefix.display()
    );
}
