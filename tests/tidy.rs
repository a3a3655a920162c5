//! House rules checked on every build: every Rust file opens with a `//!` line saying what it is for,
//! and only `ui/src/lib/ipc/` imports `@tauri-apps/*`.

use std::path::{Path, PathBuf};

fn files(dir: &Path, ext: &str, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if path.is_dir() {
            if !["target", "node_modules", "dist", ".git"].contains(&name.as_str()) {
                files(&path, ext, out);
            }
        } else if name.ends_with(ext) {
            out.push(path);
        }
    }
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

#[test]
fn every_rust_file_says_what_it_is_for() {
    let mut all = Vec::new();
    for dir in ["crates", "tests"] {
        files(&root().join(dir), ".rs", &mut all);
    }
    assert!(all.len() > 50);
    let missing: Vec<_> =
        all.iter().filter(|p| !std::fs::read_to_string(p).unwrap().starts_with("//!")).collect();
    assert!(missing.is_empty(), "no //! line: {missing:?}");
}

#[test]
fn only_the_ipc_folder_imports_tauri_in_the_ui() {
    let mut all = Vec::new();
    for ext in [".ts", ".svelte"] {
        files(&root().join("ui/src"), ext, &mut all);
    }
    let ipc = root().join("ui/src/lib/ipc");
    let offenders: Vec<_> = all
        .iter()
        .filter(|p| !p.starts_with(&ipc))
        .filter(|p| std::fs::read_to_string(p).unwrap().contains("@tauri-apps/"))
        .collect();
    assert!(offenders.is_empty(), "{offenders:?}");
}
