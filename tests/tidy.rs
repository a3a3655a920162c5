//! House rules and the architecture invariants of ARCHITECTURE.md, checked on every test run: each
//! rule (in `tidy/rules.rs`) runs on the real tree, and once more on a tree with a planted violation,
//! so a rule that stopped seeing anything would fail too.

#[path = "tidy/rules.rs"]
mod rules;

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use rules::{Deps, Source};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..").canonicalize().unwrap()
}

fn collect(root: &Path, dir: &Path, out: &mut Vec<Source>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if path.is_dir() {
            if !["target", "node_modules", "dist", ".git", "generated"].contains(&name.as_str()) {
                collect(root, &path, out);
            }
        } else if [".rs", ".ts", ".svelte", ".sql"].iter().any(|e| name.ends_with(e)) {
            let rel = path.strip_prefix(root).unwrap().to_string_lossy().replace('\\', "/");
            out.push(Source { path: rel, text: std::fs::read_to_string(&path).unwrap() });
        }
    }
}

/// Every source file of the repository (Rust, TypeScript, Svelte, SQL), read once.
fn tree() -> &'static [Source] {
    static TREE: OnceLock<Vec<Source>> = OnceLock::new();
    TREE.get_or_init(|| {
        let root = root();
        let mut all = Vec::new();
        for dir in ["crates", "tests", "src-tauri", "ui/src"] {
            collect(&root, &root.join(dir), &mut all);
        }
        assert!(all.len() > 100, "the tree was not found from {}", root.display());
        all
    })
}

/// The tree with `planted` added (or replacing the file at its path).
fn with(planted: Source) -> Vec<Source> {
    let mut files: Vec<Source> = tree()
        .iter()
        .filter(|f| f.path != planted.path)
        .map(|f| Source { path: f.path.clone(), text: f.text.clone() })
        .collect();
    files.push(planted);
    files
}

/// The workspace's dependency graph for this machine's platform (read once: `cargo metadata` takes the
/// package cache's lock).
fn deps() -> Deps {
    static GRAPH: OnceLock<Deps> = OnceLock::new();
    GRAPH.get_or_init(read_deps).clone()
}

fn read_deps() -> Deps {
    let rustc = std::process::Command::new("rustc").arg("-vV").output().unwrap();
    let info = String::from_utf8_lossy(&rustc.stdout).into_owned();
    let host = info.lines().find_map(|l| l.strip_prefix("host: ")).unwrap().trim().to_string();
    // Only the host's platform: every package it needs is on disk already, so nothing is downloaded.
    let out = std::process::Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .args(["metadata", "--format-version", "1", "--offline", "--locked"])
        .args(["--filter-platform", &host])
        .current_dir(root())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let deps = Deps::from_metadata(&serde_json::from_slice(&out.stdout).unwrap());
    // Positive controls: the graph was read, so an empty answer below means something.
    assert!(deps.closure("ponder-desktop").contains("tauri"));
    assert!(deps.closure("ponder-app").contains("ponder-store"));
    assert!(deps.members.get("ponder-store").is_some_and(|f| f == "crates/ponder-store"));
    deps
}

#[test]
fn every_rust_file_says_what_it_is_for() {
    assert_eq!(rules::files_without_a_purpose_line(tree()), Vec::<String>::new());
    let planted = with(Source::planted("crates/ponder-chat/src/x.rs", "use std::io;\n"));
    assert_eq!(rules::files_without_a_purpose_line(&planted), ["crates/ponder-chat/src/x.rs"]);
}

#[test]
fn only_the_ipc_folder_imports_tauri_in_the_ui() {
    assert_eq!(rules::tauri_imports_outside_the_ipc_door(tree()), Vec::<String>::new());
    let planted = with(Source::planted(
        "ui/src/views/Sneaky.svelte",
        "<script>import { invoke } from \"@tauri-apps/api/core\";</script>",
    ));
    assert_eq!(rules::tauri_imports_outside_the_ipc_door(&planted), ["ui/src/views/Sneaky.svelte"]);
}

#[test]
fn model_output_reaches_the_dom_only_through_the_markdown_component() {
    assert_eq!(rules::html_outside_the_markdown_component(tree()), Vec::<String>::new());
    let planted =
        with(Source::planted("ui/src/lib/components/chat/Raw.svelte", "<div>{@html answer}</div>"));
    assert_eq!(
        rules::html_outside_the_markdown_component(&planted),
        ["ui/src/lib/components/chat/Raw.svelte"]
    );
}

#[test]
fn only_the_store_writes_sql() {
    assert_eq!(rules::sql_outside_the_store(tree()), Vec::<String>::new());
    let planted = with(Source::planted(
        "crates/ponder-export/benches/seed.rs",
        "//! Seeds.\nfn f() { let q = \"UPDATE messages SET content = ''\"; }\n",
    ));
    assert_eq!(rules::sql_outside_the_store(&planted), ["crates/ponder-export/benches/seed.rs"]);
    // Prose may name SQL; code may not.
    let prose =
        with(Source::planted("crates/ponder-app/src/x.rs", "//! INSERT INTO is the store's.\n"));
    assert_eq!(rules::sql_outside_the_store(&prose), Vec::<String>::new());

    let mut graph = deps();
    assert_eq!(rules::unexpected_users(&graph, "sqlx", &["ponder-store"]), Vec::<String>::new());
    graph.plant("ponder-app", "sqlx");
    assert_eq!(
        rules::unexpected_users(&graph, "sqlx", &["ponder-store"]),
        ["ponder-app depends on sqlx"]
    );
}

#[test]
fn only_the_engine_names_mistralrs() {
    assert_eq!(rules::mistralrs_outside_the_engine(tree()), Vec::<String>::new());
    let planted =
        with(Source::planted("crates/ponder-chat/src/x.rs", "//! x\nuse mistralrs::Model;\n"));
    assert_eq!(rules::mistralrs_outside_the_engine(&planted), ["crates/ponder-chat/src/x.rs"]);

    let mut graph = deps();
    assert_eq!(
        rules::unexpected_users(&graph, "mistralrs", &["ponder-engine"]),
        Vec::<String>::new()
    );
    graph.plant("ponder-cli", "mistralrs");
    assert_eq!(
        rules::unexpected_users(&graph, "mistralrs", &["ponder-engine"]),
        ["ponder-cli depends on mistralrs"]
    );
}

#[test]
fn nothing_under_crates_depends_on_tauri() {
    let mut graph = deps();
    assert_eq!(rules::crates_reaching_tauri(&graph), Vec::<String>::new());
    assert_eq!(rules::unexpected_users(&graph, "tauri", &["ponder-desktop"]), Vec::<String>::new());
    // Indirectly counts: the export crate reaching Tauri through a helper crate.
    graph.plant("ponder-export", "tauri-helper");
    graph.plant("tauri-helper", "tauri");
    let found = rules::crates_reaching_tauri(&graph);
    assert!(found.iter().any(|f| f.starts_with("ponder-export depends on")), "{found:?}");
    assert!(found.iter().any(|f| f.starts_with("ponder-app depends on")), "{found:?}");
}

#[test]
fn the_layers_below_the_turn_do_not_reach_each_other() {
    let mut graph = deps();
    assert_eq!(rules::layering_breaches(&graph), Vec::<String>::new());
    graph.plant("ponder-store", "ponder-engine");
    let found = rules::layering_breaches(&graph);
    // The exporter, above the store, now reaches the engine through it: found too.
    assert_eq!(
        found,
        ["ponder-store depends on ponder-engine", "ponder-export depends on ponder-engine"]
    );
    let mut graph = deps();
    graph.plant("ponder-error-kind", "ponder-store");
    let found = rules::layering_breaches(&graph);
    assert!(found.contains(&"ponder-error-kind depends on ponder-store".to_string()), "{found:?}");
}

#[test]
fn libraries_do_not_use_anyhow() {
    assert_eq!(rules::anyhow_in_libraries(tree()), Vec::<String>::new());
    let planted = with(Source::planted(
        "crates/ponder-store/src/x.rs",
        "//! x\nfn f() -> anyhow::Result<()> { Ok(()) }\n",
    ));
    assert_eq!(rules::anyhow_in_libraries(&planted), ["crates/ponder-store/src/x.rs"]);
    // A binary's own file may.
    let binary =
        with(Source::planted("crates/ponder-train/src/main.rs", "//! x\nuse anyhow::Context;\n"));
    assert_eq!(rules::anyhow_in_libraries(&binary), Vec::<String>::new());
}

#[test]
fn every_library_error_has_a_kind() {
    assert!(rules::library_crates(tree()).len() >= 7);
    assert_eq!(rules::libraries_without_an_error_kind(tree()), Vec::<String>::new());
    let planted = with(Source::planted(
        "crates/ponder-gadget/src/lib.rs",
        "//! A new library.\n#[derive(Debug, thiserror::Error)]\npub enum GadgetError {}\n",
    ));
    assert_eq!(
        rules::libraries_without_an_error_kind(&planted),
        ["crates/ponder-gadget: no thiserror enum with `fn kind(&self) -> ErrorKind`"]
    );
}

#[test]
fn released_migrations_are_never_edited() {
    let lock_path = root().join("crates/ponder-store/migrations.lock");
    let lock = std::fs::read_to_string(&lock_path).unwrap();
    let migrations: Vec<&Source> =
        tree().iter().filter(|f| f.path.starts_with("crates/ponder-store/migrations/")).collect();
    assert!(migrations.len() >= 2);
    let owned = |extra: Option<Source>| -> Vec<Source> {
        let mut v: Vec<Source> = migrations
            .iter()
            .map(|m| Source { path: m.path.clone(), text: m.text.clone() })
            .collect();
        if let Some(e) = extra {
            v.retain(|m| m.path != e.path);
            v.push(e);
        }
        v
    };
    assert_eq!(rules::edited_migrations(&owned(None), &lock), Vec::<String>::new());
    let first = &migrations[0];
    let edited = Source { path: first.path.clone(), text: format!("{}\n-- tidied\n", first.text) };
    let problems = rules::edited_migrations(&owned(Some(edited)), &lock);
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(problems[0].ends_with("was edited after its release"), "{problems:?}");
}

#[test]
fn tauri_dev_opens_the_port_vite_serves() {
    let conf = std::fs::read_to_string(root().join("src-tauri/tauri.conf.json")).unwrap();
    let vite = std::fs::read_to_string(root().join("ui/vite.config.ts")).unwrap();
    assert_eq!(rules::dev_server_mismatch(&conf, &vite), Vec::<String>::new());
    let moved = vite.replace("port: 5173", "port: 5174");
    assert_eq!(rules::dev_server_mismatch(&conf, &moved).len(), 1);
}

#[test]
fn the_window_writes_no_ipc_type_by_hand() {
    let dir = root().join("ui/src/lib/ipc/generated");
    let generated: std::collections::BTreeSet<String> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| {
            e.unwrap().file_name().to_string_lossy().strip_suffix(".ts").map(String::from)
        })
        .filter(|n| n != "index" && n != "constants")
        .collect();
    assert!(generated.contains("Started") && generated.contains("ErrorKind"), "{generated:?}");
    assert_eq!(rules::hand_written_ipc_types(tree(), &generated), Vec::<String>::new());
    let planted = with(Source::planted(
        "ui/src/lib/ipc/tauri.ts",
        "interface Started {\n  conversation_id: number;\n  run_id: number;\n}\n",
    ));
    assert_eq!(
        rules::hand_written_ipc_types(&planted, &generated),
        ["ui/src/lib/ipc/tauri.ts declares Started, which is generated from Rust"]
    );
}
