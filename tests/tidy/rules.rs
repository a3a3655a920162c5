//! The architecture invariants as functions over the sources and the dependency graph, so that each
//! can be run on the real tree and on a tree with a planted violation (a test of the test).
//!
//! Each rule returns what breaks it, as readable lines; an empty list means it holds.

use std::collections::{BTreeMap, BTreeSet};

/// A source file, by its path from the repository root (always with `/`).
pub struct Source {
    /// e.g. `crates/ponder-store/src/lib.rs`.
    pub path: String,
    /// Its text.
    pub text: String,
}

impl Source {
    /// A file made up by a test.
    pub fn planted(path: &str, text: &str) -> Source {
        Source { path: path.into(), text: text.into() }
    }
}

fn rust(files: &[Source]) -> impl Iterator<Item = &Source> {
    files.iter().filter(|f| f.path.ends_with(".rs"))
}

/// Lines of code, without `//` comments (doc comments included), so prose may name anything.
fn code_lines(text: &str) -> impl Iterator<Item = &str> {
    text.lines().map(|l| l.split("//").next().unwrap_or("")).filter(|l| !l.trim().is_empty())
}

/// Every Rust file opens with a `//!` line saying what it is for.
pub fn files_without_a_purpose_line(files: &[Source]) -> Vec<String> {
    rust(files).filter(|f| !f.text.starts_with("//!")).map(|f| f.path.clone()).collect()
}

/// Only `ui/src/lib/ipc/` imports `@tauri-apps/*`.
pub fn tauri_imports_outside_the_ipc_door(files: &[Source]) -> Vec<String> {
    files
        .iter()
        .filter(|f| f.path.starts_with("ui/src/") && !f.path.starts_with("ui/src/lib/ipc/"))
        .filter(|f| f.text.contains("@tauri-apps/"))
        .map(|f| f.path.clone())
        .collect()
}

/// Model output reaches the DOM only through the markdown component: no other file inserts HTML.
pub fn html_outside_the_markdown_component(files: &[Source]) -> Vec<String> {
    const DOOR: &str = "ui/src/lib/components/chat/Markdown.svelte";
    files
        .iter()
        .filter(|f| {
            f.path.starts_with("ui/src/") && f.path != DOOR && !f.path.ends_with(".test.ts")
        })
        .filter(|f| {
            ["{@html", "innerHTML", "outerHTML", "insertAdjacentHTML"]
                .iter()
                .any(|s| f.text.contains(s))
        })
        .map(|f| f.path.clone())
        .collect()
}

/// Whether a line of Rust holds an SQL statement that changes data or schema.
fn writes_sql(line: &str) -> bool {
    const STATEMENTS: [&str; 8] = [
        "INSERT INTO",
        "INSERT OR",
        "DELETE FROM",
        "CREATE TABLE",
        "CREATE INDEX",
        "CREATE TRIGGER",
        "ALTER TABLE",
        "DROP TABLE",
    ];
    if line.contains("sqlx::query") || STATEMENTS.iter().any(|s| line.contains(s)) {
        return true;
    }
    // `UPDATE <table> SET`
    let words: Vec<&str> = line.split_whitespace().collect();
    words.windows(3).any(|w| w[0].ends_with("UPDATE") && w[2] == "SET")
}

/// Only `ponder-store` (its code, tests and benchmarks) writes SQL (the tidy rules themselves aside).
pub fn sql_outside_the_store(files: &[Source]) -> Vec<String> {
    rust(files)
        .filter(|f| {
            !f.path.starts_with("crates/ponder-store/") && !f.path.starts_with("tests/tidy")
        })
        .filter(|f| code_lines(&f.text).any(writes_sql))
        .map(|f| f.path.clone())
        .collect()
}

/// Only `ponder-engine` names `mistralrs` in code (the tidy rules themselves aside).
pub fn mistralrs_outside_the_engine(files: &[Source]) -> Vec<String> {
    rust(files)
        .filter(|f| {
            !f.path.starts_with("crates/ponder-engine/") && !f.path.starts_with("tests/tidy")
        })
        .filter(|f| {
            code_lines(&f.text).any(|l| l.contains("mistralrs::") || l.contains("use mistralrs"))
        })
        .map(|f| f.path.clone())
        .collect()
}

/// The library crate a file belongs to, if it is part of a library target (`crates/<name>/src/`, not
/// a binary's `main.rs` or `bin/`).
fn library_crate(path: &str, libraries: &BTreeSet<String>) -> Option<String> {
    let rest = path.strip_prefix("crates/")?;
    let (name, inner) = rest.split_once('/')?;
    let inner = inner.strip_prefix("src/")?;
    let binary = inner == "main.rs" || inner.starts_with("bin/");
    (libraries.contains(name) && !binary).then(|| name.to_string())
}

/// The crates under `crates/` that have a library target.
pub fn library_crates(files: &[Source]) -> BTreeSet<String> {
    files
        .iter()
        .filter_map(|f| {
            f.path.strip_prefix("crates/")?.strip_suffix("/src/lib.rs").map(String::from)
        })
        .collect()
}

/// `anyhow` is for binaries: no library crate's code names it.
pub fn anyhow_in_libraries(files: &[Source]) -> Vec<String> {
    let libraries = library_crates(files);
    rust(files)
        .filter(|f| library_crate(&f.path, &libraries).is_some())
        .filter(|f| code_lines(&f.text).any(|l| l.contains("anyhow")))
        .map(|f| f.path.clone())
        .collect()
}

/// Every library crate has a `thiserror` error whose `kind()` is an `ErrorKind` from
/// `ponder-error-kind` (which is the list itself and has no error of its own).
pub fn libraries_without_an_error_kind(files: &[Source]) -> Vec<String> {
    let libraries = library_crates(files);
    let mut has_error = BTreeSet::new();
    let mut has_kind = BTreeSet::new();
    for f in rust(files) {
        let Some(name) = library_crate(&f.path, &libraries) else { continue };
        if f.text.contains("thiserror::Error") {
            has_error.insert(name.clone());
        }
        if code_lines(&f.text).any(|l| l.contains("fn kind(&self) -> ") && l.contains("ErrorKind"))
        {
            has_kind.insert(name);
        }
    }
    libraries
        .iter()
        .filter(|l| l.as_str() != "ponder-error-kind")
        .filter(|l| !has_error.contains(*l) || !has_kind.contains(*l))
        .map(|l| format!("crates/{l}: no thiserror enum with `fn kind(&self) -> ErrorKind`"))
        .collect()
}

/// Released migrations, by file name, with the SHA-256 they were released with (`migrations.lock`).
pub fn edited_migrations(migrations: &[Source], lock: &str) -> Vec<String> {
    use sha2::{Digest, Sha256};
    let released: BTreeMap<&str, &str> = lock
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .filter_map(|l| l.split_once("  ").map(|(hash, name)| (name.trim(), hash.trim())))
        .collect();
    let mut problems = Vec::new();
    for m in migrations {
        let name = m.path.rsplit('/').next().unwrap_or(&m.path);
        let hash: String =
            Sha256::digest(m.text.as_bytes()).iter().map(|b| format!("{b:02x}")).collect();
        match released.get(name) {
            Some(h) if *h == hash => {}
            Some(_) => problems.push(format!("{name} was edited after its release")),
            None => {
                problems.push(format!("{name} is not in migrations.lock (add: {hash}  {name})"))
            }
        }
    }
    for name in released.keys() {
        if !migrations.iter().any(|m| m.path.ends_with(&format!("/{name}"))) {
            problems.push(format!("{name} was released and is gone"));
        }
    }
    problems
}

/// The workspace's dependency graph by package name: normal and build dependencies (what ships), and
/// dev-dependencies separately.
#[derive(Clone, Default)]
pub struct Deps {
    /// Package → packages it depends on to build and run.
    pub shipped: BTreeMap<String, BTreeSet<String>>,
    /// Package → packages its tests and benchmarks add.
    pub dev: BTreeMap<String, BTreeSet<String>>,
    /// Workspace members, by name, with their manifest folder from the root (`crates/ponder-store`).
    pub members: BTreeMap<String, String>,
}

impl Deps {
    /// From `cargo metadata --format-version 1` output; `root` is the workspace root it names.
    pub fn from_metadata(metadata: &serde_json::Value) -> Deps {
        let root = metadata["workspace_root"].as_str().unwrap_or_default().to_string();
        let mut names = BTreeMap::new();
        let mut deps = Deps::default();
        for p in metadata["packages"].as_array().into_iter().flatten() {
            let id = p["id"].as_str().unwrap_or_default().to_string();
            let name = p["name"].as_str().unwrap_or_default().to_string();
            names.insert(id.clone(), name.clone());
            let manifest = p["manifest_path"].as_str().unwrap_or_default();
            if let Some(rel) = manifest.strip_prefix(&root) {
                let folder = rel.trim_start_matches('/').trim_end_matches("Cargo.toml");
                if metadata["workspace_members"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .any(|m| m == &p["id"])
                {
                    deps.members.insert(name, folder.trim_end_matches('/').to_string());
                }
            }
        }
        for node in metadata["resolve"]["nodes"].as_array().into_iter().flatten() {
            let Some(from) = node["id"].as_str().and_then(|id| names.get(id)) else { continue };
            for d in node["deps"].as_array().into_iter().flatten() {
                let Some(to) = d["pkg"].as_str().and_then(|id| names.get(id)) else { continue };
                for k in d["dep_kinds"].as_array().into_iter().flatten() {
                    let map = if k["kind"] == "dev" { &mut deps.dev } else { &mut deps.shipped };
                    map.entry(from.clone()).or_default().insert(to.clone());
                }
            }
        }
        deps
    }

    /// A test's planted edge.
    pub fn plant(&mut self, from: &str, to: &str) {
        self.shipped.entry(from.into()).or_default().insert(to.into());
    }

    /// Everything `package` needs to build and run, itself excluded.
    pub fn closure(&self, package: &str) -> BTreeSet<String> {
        let mut seen = BTreeSet::new();
        let mut todo = vec![package.to_string()];
        while let Some(p) = todo.pop() {
            for d in self.shipped.get(&p).into_iter().flatten() {
                if seen.insert(d.clone()) {
                    todo.push(d.clone());
                }
            }
        }
        seen.remove(package);
        seen
    }

    /// Members whose own manifest names `dependency` (any kind).
    pub fn direct_users(&self, dependency: &str) -> BTreeSet<String> {
        self.members
            .keys()
            .filter(|m| {
                [&self.shipped, &self.dev]
                    .iter()
                    .any(|map| map.get(*m).is_some_and(|d| d.contains(dependency)))
            })
            .cloned()
            .collect()
    }
}

/// Nothing under `crates/` depends on `tauri`, however indirectly.
pub fn crates_reaching_tauri(deps: &Deps) -> Vec<String> {
    deps.members
        .iter()
        .filter(|(_, folder)| folder.starts_with("crates/"))
        .filter_map(|(name, _)| {
            let tauri: Vec<String> =
                deps.closure(name).into_iter().filter(|d| d.starts_with("tauri")).collect();
            (!tauri.is_empty()).then(|| format!("{name} depends on {tauri:?}"))
        })
        .collect()
}

/// Only the named members may name `dependency` in their manifests.
pub fn unexpected_users(deps: &Deps, dependency: &str, allowed: &[&str]) -> Vec<String> {
    deps.direct_users(dependency)
        .into_iter()
        .filter(|m| !allowed.contains(&m.as_str()))
        .map(|m| format!("{m} depends on {dependency}"))
        .collect()
}

/// The layers below the turn never reach each other or anything above them: the store knows nothing
/// of the engine, the engine nothing of the store, and neither, nor the exporter, knows the app; the
/// error-kind list depends on nothing of Ponder's.
pub fn layering_breaches(deps: &Deps) -> Vec<String> {
    const FORBIDDEN: [(&str, &[&str]); 4] = [
        ("ponder-store", &["ponder-engine", "ponder-chat", "ponder-app", "ponder-export"]),
        ("ponder-engine", &["ponder-store", "ponder-chat", "ponder-app", "ponder-export"]),
        ("ponder-export", &["ponder-engine", "ponder-chat", "ponder-app"]),
        ("ponder-chat", &["ponder-app", "ponder-export"]),
    ];
    let mut out: Vec<String> = deps
        .closure("ponder-error-kind")
        .into_iter()
        .filter(|d| d.starts_with("ponder-"))
        .map(|d| format!("ponder-error-kind depends on {d}"))
        .collect();
    for (package, never) in FORBIDDEN {
        let closure = deps.closure(package);
        for n in never {
            if closure.contains(*n) {
                out.push(format!("{package} depends on {n}"));
            }
        }
    }
    out
}

/// `tauri dev` opens `devUrl`; it must be the port Vite's dev server listens on.
pub fn dev_server_mismatch(tauri_conf: &str, vite_config: &str) -> Vec<String> {
    let conf: serde_json::Value = serde_json::from_str(tauri_conf).unwrap_or_default();
    let dev_url = conf["build"]["devUrl"].as_str().unwrap_or_default();
    let tauri_port =
        dev_url.rsplit(':').next().map(|p| p.trim_end_matches('/')).unwrap_or_default();
    let vite_port = vite_config
        .split("port:")
        .nth(1)
        .map(|rest| rest.trim_start().chars().take_while(char::is_ascii_digit).collect::<String>())
        .unwrap_or_default();
    if tauri_port.is_empty() || tauri_port != vite_port {
        vec![format!(
            "tauri.conf.json's devUrl is {dev_url:?} but Vite listens on port {vite_port:?}"
        )]
    } else {
        Vec::new()
    }
}

/// The window declares none of the types generated from Rust itself: a hand-written `interface` or
/// `type` of the same name would drift from the Rust one again.
pub fn hand_written_ipc_types(files: &[Source], generated: &BTreeSet<String>) -> Vec<String> {
    let mut out = Vec::new();
    for f in
        files.iter().filter(|f| f.path.starts_with("ui/src/") && !f.path.contains("/generated/"))
    {
        for line in f.text.lines() {
            let line = line.trim_start().trim_start_matches("export ");
            let name = line.strip_prefix("interface ").or_else(|| line.strip_prefix("type ")).map(
                |rest| {
                    rest.chars()
                        .take_while(|c| c.is_alphanumeric() || *c == '_')
                        .collect::<String>()
                },
            );
            if let Some(name) = name.filter(|n| generated.contains(n)) {
                out.push(format!("{} declares {name}, which is generated from Rust", f.path));
            }
        }
    }
    out
}
