//! The commands on Tauri's mock runtime: arguments as the window sends them, results and
//! `{kind, message}` errors as it receives them, over a real SQLite file.

use std::sync::Arc;

use ponder_app::{App, AppConfig};
use serde_json::{json, Value};
use tauri::ipc::{CallbackFn, InvokeBody};
use tauri::test::{
    get_ipc_response, mock_builder, mock_context, noop_assets, MockRuntime, INVOKE_KEY,
};
use tauri::webview::InvokeRequest;
use tauri::WebviewWindow;

fn window(
    data_dir: &std::path::Path,
) -> (tauri::App<MockRuntime>, WebviewWindow<MockRuntime>, Arc<App>) {
    let bundled =
        std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../models/ponder-tiny");
    let state = tauri::async_runtime::block_on(App::open(AppConfig {
        data_dir: data_dir.to_path_buf(),
        bundled_model: bundled,
    }));
    let app = ponder_desktop::with_commands(mock_builder().manage(state.clone()))
        .build(mock_context(noop_assets()))
        .unwrap();
    let webview =
        tauri::WebviewWindowBuilder::new(&app, "main", Default::default()).build().unwrap();
    (app, webview, state)
}

fn invoke(webview: &WebviewWindow<MockRuntime>, cmd: &str, args: Value) -> Result<Value, Value> {
    get_ipc_response(
        webview,
        InvokeRequest {
            cmd: cmd.into(),
            callback: CallbackFn(0),
            error: CallbackFn(1),
            url: "tauri://localhost".parse().unwrap(),
            body: InvokeBody::Json(args),
            headers: Default::default(),
            invoke_key: INVOKE_KEY.to_string(),
        },
    )
    .map(|body| body.deserialize::<Value>().unwrap())
}

#[test]
fn history_ratings_and_settings_round_trip_through_the_commands() {
    let dir = tempfile::tempdir().unwrap();
    let (_app, w, state) = window(dir.path());
    let store = tauri::async_runtime::block_on(state.store()).unwrap();
    let (conv, question) =
        tauri::async_runtime::block_on(store.start_conversation("What is 2 + 2?")).unwrap();

    let page = invoke(&w, "list_conversations", json!({"limit": 10, "after": null})).unwrap();
    assert_eq!(page["items"][0]["title"], "What is 2 + 2?");
    assert_eq!(page["next"], Value::Null);

    let thread = invoke(&w, "thread", json!({"conversationId": conv.id})).unwrap();
    assert_eq!(thread["messages"][0]["content"], "What is 2 + 2?");
    assert_eq!(thread["active_path"], json!([question.id]));

    invoke(&w, "rename_conversation", json!({"id": conv.id, "title": "Sums"})).unwrap();
    let hits = invoke(
        &w,
        "search",
        json!({"query": {"text": "Sums", "include_thinking": false, "limit": 5}}),
    )
    .unwrap();
    assert_eq!(hits[0]["conversation_title"], "Sums");

    invoke(&w, "delete_conversation", json!({"id": conv.id})).unwrap();
    let page = invoke(&w, "list_conversations", json!({"limit": 10, "after": null})).unwrap();
    assert_eq!(page["items"], json!([]));
    invoke(&w, "restore_conversation", json!({"id": conv.id})).unwrap();
    let page = invoke(&w, "list_conversations", json!({"limit": 10, "after": null})).unwrap();
    assert_eq!(page["items"][0]["title"], "Sums");

    assert_eq!(invoke(&w, "load_settings", json!({})).unwrap(), Value::Null);
    let settings = json!({"theme": "dark", "language": "zh", "paneMode": "auto"});
    invoke(&w, "save_settings", json!({"settings": settings})).unwrap();
    assert_eq!(invoke(&w, "load_settings", json!({})).unwrap(), settings);

    let stats = invoke(&w, "rating_stats", json!({})).unwrap();
    assert_eq!((stats["up"].clone(), stats["down"].clone()), (json!(0), json!(0)));
    assert_eq!(invoke(&w, "model_status", json!({})).unwrap(), json!({"state": "empty"}));
}

#[test]
fn errors_reach_the_window_as_kind_and_message() {
    let dir = tempfile::tempdir().unwrap();
    let (_app, w, _) = window(dir.path());
    let e = invoke(&w, "thread", json!({"conversationId": 404})).unwrap_err();
    assert_eq!(e["kind"], "not_found", "{e}");
    assert!(e["message"].as_str().unwrap().contains("404"), "{e}");

    let e = invoke(&w, "open_external", json!({"url": "javascript:alert(1)"})).unwrap_err();
    assert_eq!(e["kind"], "invalid", "{e}");

    let e =
        invoke(&w, "rate", json!({"answerId": 1, "input": {"answer": "sideways"}})).unwrap_err();
    // Tauri rejects malformed arguments itself, as a plain string; `ui/src/lib/ipc/tauri.ts` wraps such
    // strings into `{kind: "ipc", message}`.
    assert!(e.as_str().is_some_and(|m| m.contains("sideways")), "{e}");

    let e = invoke(&w, "save_settings", json!({"settings": [1, 2]})).unwrap_err();
    assert_eq!(e["kind"], "invalid", "{e}");
}

#[test]
fn a_corrupt_database_is_an_error_per_command_and_repair_brings_it_back() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("ponder.db"), vec![3u8; 4096]).unwrap();
    let (_app, w, _) = window(dir.path());
    let e = invoke(&w, "list_conversations", json!({"limit": 10, "after": null})).unwrap_err();
    assert_eq!(e["kind"], "corrupt", "{e}");
    // Settings live apart from the database and still work.
    invoke(&w, "save_settings", json!({"settings": {"theme": "light"}})).unwrap();
    let repaired = invoke(&w, "repair_store", json!({})).unwrap();
    assert!(std::path::Path::new(repaired["backup"].as_str().unwrap()).is_file(), "{repaired}");
    assert_eq!(repaired["conversations"], 0);
    let page = invoke(&w, "list_conversations", json!({"limit": 10, "after": null})).unwrap();
    assert_eq!(page["items"], json!([]));
}

#[test]
fn every_command_is_registered_listed_and_granted_once() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let listed: Vec<String> = std::fs::read_to_string(root.join("commands.txt"))
        .unwrap()
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.trim().to_string())
        .collect();
    let lib = std::fs::read_to_string(root.join("src/lib.rs")).unwrap();
    let mut registered: Vec<String> = lib
        .lines()
        .filter_map(|l| l.trim().strip_prefix("commands::"))
        .filter_map(|l| l.trim_end_matches(',').rsplit("::").next().map(str::to_string))
        .collect();
    registered.sort();
    let mut sorted = listed.clone();
    sorted.sort();
    assert_eq!(registered, sorted, "src/lib.rs and commands.txt differ");
    let capability: Value = serde_json::from_str(
        &std::fs::read_to_string(root.join("capabilities/main.json")).unwrap(),
    )
    .unwrap();
    let granted: Vec<String> = capability["permissions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().unwrap().to_string())
        .collect();
    let expected: Vec<String> =
        listed.iter().map(|c| format!("allow-{}", c.replace('_', "-"))).collect();
    assert_eq!(granted, expected, "the window is granted exactly its own commands");
}
