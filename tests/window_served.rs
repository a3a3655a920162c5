//! The window in front of a real server no one here wrote: llama.cpp's own server (`xllamacpp` from
//! PyPI) serving the bundled model's GGUF file, chosen as the model in Settings ("Server"). The answer
//! and its thinking pane arrive as from the in-process engine, the model is named as the server
//! reports it, the answer is saved with the server's identity (screenshot `served-llama-cpp.png`), and
//! Settings lists the models the server serves.

#[allow(dead_code)]
mod window;

use std::time::Duration;

use ponder_tests::llama_server::LlamaServer;
use serde_json::json;
use window::Window;

const LONG: Duration = Duration::from_secs(300);

#[test]
fn the_window_answers_through_llama_cpp_with_its_thinking_pane() {
    let server = LlamaServer::bundled();
    let dir = tempfile::tempdir().unwrap();
    let settings = json!({"seenWelcome": true, "paneMode": "auto",
                          "model": {"source": "server", "serverUrl": server.url}});
    std::fs::write(dir.path().join("settings.json"), settings.to_string()).unwrap();
    let w = Window::open(dir.path());
    let s = &w.session;
    let composer = s.wait_for(".composer .box:not(.disabled) textarea", LONG);
    s.type_into(&composer, "What is 347 + 589?\u{E007}");
    let answer = window::wait_answered(s, "", LONG);
    assert!(answer.contains("936"), "{answer}");
    // The pane folded when the answer began; opened, it holds llama.cpp's reasoning_content.
    let head = s.wait_for(".answer .thinking .head", LONG);
    assert!(s.text(&head).contains("tokens"), "{}", s.text(&head));
    s.click(&head);
    let body = s.wait_for(".answer .thinking .body", LONG);
    window::wait_until(LONG, || s.text(&body).contains("digit by digit"), "the thinking shown");
    assert!(!answer.contains("<think>"), "{answer}");
    w.screenshot(&window::screenshot_dir().join("served-llama-cpp.png"));

    // Saved with the server's identity, so its ratings stay traceable.
    let rt = tokio::runtime::Runtime::new().unwrap();
    let model = rt.block_on(async {
        let store = ponder_store::Store::open(dir.path().join("ponder.db")).await.unwrap();
        let page = store.list_conversations(10, None).await.unwrap();
        let thread = store.thread(page.items[0].id).await.unwrap();
        let answer = thread.messages.into_iter().find(|m| m.role == ponder_store::Role::Assistant);
        answer.and_then(|m| m.generation).expect("a saved answer").settings.model
    });
    let architecture = model.architecture.clone().unwrap_or_default();
    assert!(architecture.contains("llama.cpp") && model.device.contains(&server.url), "{model:?}");

    // Settings offers the models the server lists, the one in use among them.
    let nav = s.find_all(".sidebar .nav-btn");
    let settings = nav.iter().find(|b| s.text(b).contains("Settings")).expect("Settings button");
    s.click(settings);
    let listed = s.wait_for(".page select.server-model-list", LONG);
    let options = s.text(&listed);
    assert!(options.contains(&format!("The first it lists ({})", model.id)), "{options}");
}
