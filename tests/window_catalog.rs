//! The model catalog in the real window: the first run offers real Qwen models sized for this machine;
//! one click on Qwen3-0.6B's Q8_0 GGUF downloads it from a local server speaking the Hugging Face Hub
//! protocol (serving the Qwen3-0.6B-shaped fixture under Qwen's repository and file name), with
//! progress, loads it in mistral.rs and starts the chat, which streams its thinking; Settings then
//! shows the catalog with that model in use and what the load chose. Screenshots of both (into
//! `docs/screenshots/` with `UPDATE_SCREENSHOTS=1`).

#[allow(dead_code)]
mod window;

use std::time::Duration;

use ponder_tests::fake_hub::FakeHub;
use ponder_tests::qwen_fixture::qwen3_0_6b;
use serde_json::json;
use window::{wait_until, Window};

const LONG: Duration = Duration::from_secs(180);
const ROW: &str = r#".welcome .offers li[data-key="Qwen/Qwen3-0.6B-GGUF:Q8_0"]"#;

fn text(w: &Window, selector: &str) -> String {
    let script = format!("return document.querySelector('{selector}')?.textContent ?? ''");
    w.session.script(&script, json!([])).as_str().unwrap_or_default().to_string()
}

#[test]
fn the_first_run_downloads_a_catalog_model_with_progress_loads_it_and_answers() {
    let fixture = qwen3_0_6b();
    // The repository as Qwen publishes it: one file, named as theirs is.
    let repo = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink(&fixture.gguf, repo.path().join("Qwen3-0.6B-Q8_0.gguf")).unwrap();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    // Slowed a little per request so the progress bar is on screen long enough to be seen.
    let hub = runtime.block_on(FakeHub::serve(
        "Qwen/Qwen3-0.6B-GGUF",
        repo.path(),
        Duration::from_millis(20),
    ));
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("hf-cache");
    let endpoint = std::ffi::OsString::from(&hub.endpoint);
    let w = Window::open_with_env(
        &dir.path().join("data"),
        &[("HF_ENDPOINT", endpoint.as_os_str()), ("HF_HUB_CACHE", cache.as_os_str())],
    );
    let s = &w.session;

    // 1. The first run: the bundled model's Start, and the catalog sized for this machine.
    s.wait_for(ROW, LONG);
    let row = text(&w, ROW);
    assert!(row.contains("Qwen3-0.6B") && row.contains("GGUF Q8_0"), "{row}");
    assert!(row.contains("download") && row.contains("needs") && row.contains("tokens/s"), "{row}");
    assert!(row.contains("Fits"), "{row}");
    let machine = text(&w, ".welcome .catalog .machine");
    assert!(machine.contains("GB of memory") && machine.contains("GB/s"), "{machine}");
    let listed =
        s.script("return document.querySelectorAll('.welcome .offers li').length", json!([]));
    assert!(listed.as_u64().unwrap() >= 5, "the models that fit are listed: {listed}");
    w.screenshot(&window::screenshot_dir().join("catalog-first-run.png"));

    // 2. One click: progress while it downloads, then the chat with the model loaded.
    s.script(
        r#"window.__progress = 0;
           new MutationObserver(() => {
             if (document.querySelector('.welcome .offers progress')) window.__progress += 1;
           }).observe(document.body, {subtree: true, childList: true, attributes: true});"#,
        json!([]),
    );
    let button = s.wait_for(&format!("{ROW} button.get"), LONG);
    s.click(&button);
    wait_until(LONG, || s.try_find(".welcome").is_none(), "the download and load to finish");
    let seen = s.script("return window.__progress", json!([])).as_u64().unwrap_or(0);
    assert!(seen > 0, "a progress bar was shown while downloading");
    assert!(hub.requests_for("Qwen3-0.6B-Q8_0.gguf") >= 1);
    let file = cache.join("models--Qwen--Qwen3-0.6B-GGUF/snapshots");
    assert!(file.is_dir(), "downloaded into the Hugging Face cache at {}", cache.display());

    // 3. It answers: the thinking streams (random weights: stopped once it has started).
    s.script(
        r#"new MutationObserver((_, obs) => {
             const body = document.querySelector('.answer .thinking .body, .answer > .markdown');
             const stop = document.querySelector('.composer .send.stop');
             if (body && body.textContent.length > 0 && stop) { obs.disconnect(); window.__streamed = body.textContent.length; stop.click(); }
           }).observe(document.body, {subtree: true, childList: true, characterData: true});"#,
        json!([]),
    );
    let composer = s.wait_for(".composer .box:not(.disabled) textarea", LONG);
    s.type_into(&composer, "How many r's are in strawberry?\u{E007}");
    window::wait_answered(s, "", LONG);
    let streamed = s.script("return window.__streamed || 0", json!([])).as_u64().unwrap();
    assert!(streamed > 0, "the downloaded model streamed text");

    // 4. Settings: the model in use, what the load chose, and the catalog marking it.
    let nav = s.find_all(".sidebar .nav-btn");
    let settings = nav.iter().find(|b| s.text(b).contains("Settings")).expect("Settings button");
    s.click(settings);
    s.wait_for(".page .catalog .offers", LONG);
    let status = text(&w, ".page .status");
    assert!(
        status.contains("Qwen/Qwen3-0.6B-GGUF") && status.contains("GGUF Q8_0"),
        "the status names the model and its format: {status}"
    );
    assert!(status.contains("threads") && status.contains("40,960-token context"), "{status}");
    wait_until(
        LONG,
        || text(&w, r#".page .offers li[data-key="Qwen/Qwen3-0.6B-GGUF:Q8_0"]"#).contains("In use"),
        "the catalog to mark the model in use",
    );
    s.script(
        "document.querySelector('.page .catalog').scrollIntoView({block: 'center'})",
        json!([]),
    );
    w.screenshot(&window::screenshot_dir().join("catalog-settings.png"));
    drop(w);
    drop(hub);
}
