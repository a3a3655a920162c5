//! The window keeps a server's API key in a real OS keychain (GNOME Keyring's Secret Service on a
//! private bus): a server that wants a key refuses the first load, the key typed in Settings is saved
//! to the keychain, Load then gets in and the chat answers through the server, and the key is in no
//! file of the data folder and never comes back to the page (screenshot `server-key.png`).

#[allow(dead_code)]
mod window;

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use ponder_tests::fake_openai::{FakeOpenAi, Script};
use ponder_tests::secret_service::SecretService;
use serde_json::json;
use window::Window;

const LONG: Duration = Duration::from_secs(120);
const KEY: &str = "sk-window-keychain-51d0";

fn files_holding(dir: &Path, needle: &str) -> Vec<PathBuf> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            found.extend(files_holding(&path, needle));
        } else if std::fs::read(&path)
            .is_ok_and(|bytes| bytes.windows(needle.len()).any(|w| w == needle.as_bytes()))
        {
            found.push(path);
        }
    }
    found
}

#[test]
fn a_key_saved_in_settings_goes_to_the_keychain_and_lets_the_window_in() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let mut script = Script::new("Two and two make four.", "The answer is 4.", 200.0);
    script.key = Some(KEY.into());
    let server = rt.block_on(FakeOpenAi::serve(script));
    let dir = tempfile::tempdir().unwrap();
    let keyring = SecretService::start(&dir.path().join("keyring"));
    let data = dir.path().join("data");
    std::fs::create_dir_all(&data).unwrap();
    let settings = json!({"seenWelcome": true,
                          "model": {"source": "server", "serverUrl": server.url}});
    std::fs::write(data.join("settings.json"), settings.to_string()).unwrap();
    let home = keyring.home.clone();
    let env: Vec<(&str, &OsStr)> =
        vec![("DBUS_SESSION_BUS_ADDRESS", OsStr::new(&keyring.bus)), ("HOME", home.as_os_str())];
    let w = Window::open_with_env(&data, &env);
    let s = &w.session;

    // The first load is refused: no key is kept yet.
    s.wait_for(".sidebar .nav-btn", LONG);
    let nav = s.find_all(".sidebar .nav-btn");
    let settings = nav.iter().find(|b| s.text(b).contains("Settings")).expect("Settings button");
    s.click(settings);
    let status = s.wait_for(".page .status.failed", LONG);
    assert!(s.text(&status).contains("refused the API key"), "{}", s.text(&status));
    let kept = s.wait_for(".page .key-status", LONG);
    assert!(s.text(&kept).contains("No key kept"), "{}", s.text(&kept));
    // Its models cannot be listed either, and the reason is said beside the model field.
    let unlisted = s.wait_for(".page .list-failed", LONG);
    assert!(s.text(&unlisted).contains("refused the API key"), "{}", s.text(&unlisted));

    let field = s.wait_for(".page input.server-key", LONG);
    s.type_into(&field, KEY);
    s.click(&s.wait_for(".page button.save-key", LONG));
    window::wait_until(
        LONG,
        || s.try_find(".page .key-status").is_some_and(|e| s.text(&e).contains("is kept")),
        "the key to be kept",
    );
    let typed = s.script("return document.querySelector('input.server-key').value", json!([]));
    assert_eq!(typed, json!(""), "the field is cleared once the key is kept");
    // With the key kept, the server's models are listed to choose from.
    s.click(&s.wait_for(".page button.list-models", LONG));
    window::wait_until(
        LONG,
        || {
            s.try_find(".page select.server-model-list")
                .is_some_and(|e| s.text(&e).contains("Qwen/Qwen3-8B"))
        },
        "the server's models listed",
    );
    s.click(&s.wait_for(".page button.btn.primary", LONG));
    window::wait_until(
        LONG,
        || {
            s.try_find(".page .status:not(.failed)")
                .is_some_and(|e| s.text(&e).contains("Qwen3-8B"))
        },
        "the server's model to load with the kept key",
    );

    w.screenshot(&window::screenshot_dir().join("server-key.png"));

    s.click(&s.wait_for("button[aria-label=\"Back to chat\"]", LONG));
    let composer = s.wait_for(".composer .box:not(.disabled) textarea", LONG);
    s.type_into(&composer, "What is 2 + 2?\u{E007}");
    let answer = window::wait_answered(s, "", LONG);
    assert!(answer.contains("The answer is 4."), "{answer}");
    let page = s.script("return document.documentElement.outerHTML", json!([]));
    assert!(!page.as_str().unwrap_or_default().contains(KEY), "the key came back to the page");
    drop(w);

    let leaks = files_holding(&data, KEY);
    assert!(leaks.is_empty(), "the key is in {leaks:?}");
    let leaks = files_holding(&home, KEY);
    assert!(leaks.is_empty(), "the keyring holds the key in the clear in {leaks:?}");
}
