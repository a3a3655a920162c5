//! Server keys through the app's actions: kept in the key store the app was opened with (the OS
//! keychain in the window; memory here), one per server however its address is written, never in the
//! settings file, and refused for an address that is not one.

use std::sync::Arc;

use ponder_app::{App, AppConfig, ErrorKind};
use ponder_engine::keychain::{MemoryKeys, ServerKeys};

#[tokio::test]
async fn a_key_is_kept_checked_and_forgotten_and_never_written_to_the_data_folder() {
    let dir = tempfile::tempdir().unwrap();
    let keys = Arc::new(MemoryKeys::default());
    let config = AppConfig {
        data_dir: dir.path().to_path_buf(),
        bundled_model: std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../../models/ponder-tiny"),
    };
    let app = App::open_with_keys(config, keys.clone()).await;
    let url = "http://gpu-box:8000".to_string();
    assert!(!app.server_key_saved(url.clone()).await.unwrap());
    app.save_server_key(url.clone(), "sk-app-9c1e".into()).await.unwrap();
    assert!(app.server_key_saved("http://gpu-box:8000/v1/".into()).await.unwrap());
    assert_eq!(keys.load(&url).unwrap().as_deref(), Some("sk-app-9c1e"));
    app.save_settings(&serde_json::json!({"model": {"source": "server", "serverUrl": url}}))
        .await
        .unwrap();
    for entry in std::fs::read_dir(dir.path()).unwrap().flatten() {
        let bytes = std::fs::read(entry.path()).unwrap_or_default();
        assert!(!String::from_utf8_lossy(&bytes).contains("sk-app-9c1e"), "{:?}", entry.path());
    }

    assert!(app.forget_server_key(url.clone()).await.unwrap());
    assert!(!app.forget_server_key(url.clone()).await.unwrap());
    assert!(!app.server_key_saved(url.clone()).await.unwrap());

    let bad = app.save_server_key("gpu-box:8000".into(), "sk".into()).await.unwrap_err();
    assert_eq!(bad.kind(), ErrorKind::Invalid);
    let empty = app.save_server_key(url, "  ".into()).await.unwrap_err();
    assert_eq!(empty.kind(), ErrorKind::Invalid);
}
