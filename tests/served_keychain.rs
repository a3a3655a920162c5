//! A server's API key kept in a real OS keychain (GNOME Keyring's Secret Service on a private bus):
//! `ponder server-key set` keeps it, `ponder ask --server` and `ponder models --server` send it
//! without being given it, and the key is in no file Ponder writes and in nothing it prints;
//! forgotten, the server refuses again; with no keychain at all, saving says so and how to go on.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use ponder_tests::fake_openai::{FakeOpenAi, Script};
use ponder_tests::secret_service::SecretService;

const KEY: &str = "sk-kept-in-the-keychain-7f3a";

/// The `ponder` CLI built next to this test (`cargo test --workspace` builds it).
fn cli_binary() -> PathBuf {
    let exe = std::env::current_exe().expect("test binary path");
    let bin = exe.parent().and_then(Path::parent).expect("target/<profile>/deps/..").join("ponder");
    assert!(bin.is_file(), "{} is missing: `cargo build --workspace --bins`", bin.display());
    bin
}

fn ponder(keyring: Option<&SecretService>, home: &Path, args: &[&str], stdin: &str) -> Output {
    let mut cmd = Command::new(cli_binary());
    cmd.args(args).env_remove("PONDER_API_KEY").env("PONDER_DATA_DIR", home.join("ponder-data"));
    match keyring {
        Some(service) => service.env(&mut cmd),
        // No bus at all: the keychain is unreachable.
        None => cmd
            .env("DBUS_SESSION_BUS_ADDRESS", format!("unix:path={}", home.join("no-bus").display()))
            .env("HOME", home),
    };
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("ponder runs");
    child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
    child.wait_with_output().unwrap()
}

fn said(out: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
}

/// Every file under `dir` holding `needle`.
fn files_holding(dir: &Path, needle: &str) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else { return found };
    for entry in entries.flatten() {
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_key_lives_in_the_keychain_is_sent_from_there_and_nowhere_else() {
    let dir = tempfile::tempdir().unwrap();
    let keyring = SecretService::start(dir.path());
    let mut script = Script::new("Adding 2 and 2.", "The answer is 4.", 400.0);
    script.key = Some(KEY.into());
    let server = FakeOpenAi::serve(script).await;
    let home = dir.path().join("home");
    let url = server.url.clone();

    let refused = ponder(Some(&keyring), &home, &["ask", "--server", &url, "What is 2+2?"], "");
    assert!(!refused.status.success(), "no key kept yet: {}", said(&refused));
    assert!(said(&refused).contains("refused the API key"), "{}", said(&refused));
    let unlisted = ponder(Some(&keyring), &home, &["models", "--server", &url], "");
    assert!(said(&unlisted).contains("refused the API key"), "{}", said(&unlisted));

    let set = ponder(Some(&keyring), &home, &["server-key", "set", &url], &format!("{KEY}\n"));
    assert!(set.status.success(), "{}", said(&set));
    let status =
        ponder(Some(&keyring), &home, &["server-key", "status", &format!("{url}/v1/")], "");
    assert!(said(&status).contains("a key is kept"), "{}", said(&status));
    // With the key kept, the server's model list is read (what the window offers to choose from).
    let listed = ponder(Some(&keyring), &home, &["models", "--server", &url, "--json"], "");
    assert!(listed.status.success(), "{}", said(&listed));
    let listed: serde_json::Value = serde_json::from_slice(&listed.stdout).expect("JSON");
    assert_eq!(listed, serde_json::json!([{"id": "Qwen/Qwen3-8B", "context": 40960}]));

    let asked =
        ponder(Some(&keyring), &home, &["ask", "--server", &url, "--save", "What is 2+2?"], "");
    assert!(asked.status.success(), "{}", said(&asked));
    assert!(said(&asked).contains("The answer is 4."), "{}", said(&asked));
    assert!(!said(&asked).contains(KEY) && !said(&set).contains(KEY), "the key was printed");
    assert!(home.join("ponder-data").join(ponder_store::DATABASE_FILE).is_file());
    let leaks = files_holding(&home.join("ponder-data"), KEY);
    assert!(leaks.is_empty(), "the key is in {leaks:?}");
    // The keyring keeps it encrypted: not even GNOME Keyring's own file holds it in the clear.
    let leaks = files_holding(&home, KEY);
    assert!(leaks.is_empty(), "the key is in the clear in {leaks:?}");

    let forget = ponder(Some(&keyring), &home, &["server-key", "forget", &url], "");
    assert!(said(&forget).contains("key forgotten"), "{}", said(&forget));
    let refused = ponder(Some(&keyring), &home, &["ask", "--server", &url, "What is 2+2?"], "");
    assert!(said(&refused).contains("refused the API key"), "{}", said(&refused));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_no_keychain_saving_says_so_and_the_key_goes_nowhere() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("home");
    std::fs::create_dir_all(&home).unwrap();
    let set =
        ponder(None, &home, &["server-key", "set", "http://127.0.0.1:9"], &format!("{KEY}\n"));
    assert!(!set.status.success(), "{}", said(&set));
    assert!(said(&set).contains("PONDER_API_KEY"), "the way around it is said: {}", said(&set));
    assert!(!said(&set).contains(KEY));
    assert!(files_holding(dir.path(), KEY).is_empty());
}
