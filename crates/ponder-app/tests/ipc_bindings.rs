//! The window's IPC types (`ui/src/lib/ipc/generated/`) are generated from the Rust types; this test
//! fails when the committed files differ from what the Rust types generate now, so a changed field
//! cannot reach the window unnoticed. `UPDATE_BINDINGS=1` rewrites them.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

fn committed_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../ui/src/lib/ipc/generated")
}

fn read_tree(root: &Path) -> BTreeMap<String, String> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, String>) {
        let Ok(entries) = std::fs::read_dir(dir) else { return };
        for entry in entries {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(root, &path, out);
            } else {
                let name = path.strip_prefix(root).unwrap().to_string_lossy().replace('\\', "/");
                out.insert(name, std::fs::read_to_string(&path).unwrap());
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(root, root, &mut out);
    out
}

#[test]
fn committed_bindings_match_the_rust_types() {
    let fresh = tempfile::tempdir().unwrap();
    let written = ponder_app::write_ipc_bindings(fresh.path()).unwrap();
    let generated = read_tree(fresh.path());
    assert_eq!(written.len(), generated.len());
    // The types the window relies on are among them.
    for name in ["AskRequest.ts", "ErrorKind.ts", "Thread.ts", "ModelStatus.ts", "index.ts"] {
        assert!(generated.contains_key(name), "{name} missing from {:?}", generated.keys());
    }
    assert!(generated["ErrorKind.ts"].contains("\"prompt_too_long\""));
    assert!(!generated.values().any(|t| t.contains("bigint")), "ids and times are JSON numbers");

    let dir = committed_dir();
    if std::env::var_os("UPDATE_BINDINGS").is_some() {
        let _ = std::fs::remove_dir_all(&dir);
        for (name, text) in &generated {
            let path = dir.join(name);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        }
        return;
    }
    let committed = read_tree(&dir);
    let differing: Vec<&String> = generated
        .keys()
        .chain(committed.keys())
        .filter(|k| generated.get(*k) != committed.get(*k))
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    assert!(
        differing.is_empty(),
        "the IPC bindings in ui/src/lib/ipc/generated/ are out of date with the Rust types \
         ({differing:?}); run `UPDATE_BINDINGS=1 cargo test --workspace --test ipc_bindings` and \
         commit the result"
    );
}
