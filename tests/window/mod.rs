//! Drives the real Ponder binary in a real window: an Xvfb display, a D-Bus session, `tauri-driver`
//! in front of WebKitGTK's WebDriver, and a small WebDriver client. Screenshots are taken of the
//! whole display with ImageMagick's `import` (WebKitWebDriver's own come back empty here).

pub mod driver;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub use driver::Session;

/// Where screenshots go: the README's `docs/screenshots/` only when asked (`UPDATE_SCREENSHOTS=1`),
/// so a test run leaves the checkout as it found it; otherwise a folder under the target directory.
pub fn screenshot_dir() -> PathBuf {
    let dir = match std::env::var_os("UPDATE_SCREENSHOTS") {
        Some(_) => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../docs/screenshots"),
        None => PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("screenshots"),
    };
    std::fs::create_dir_all(&dir).expect("screenshot folder");
    dir
}

/// The app binary: `PONDER_APP_BINARY` when set (an installed package's, see `tests/package.sh`), else
/// the one next to this test binary (`target/<profile>/ponder-desktop`), built with the window embedded
/// by `cargo test --workspace`.
pub fn app_binary() -> PathBuf {
    if let Some(bin) = std::env::var_os("PONDER_APP_BINARY") {
        return PathBuf::from(bin);
    }
    let exe = std::env::current_exe().expect("test binary path");
    let profile_dir = exe.parent().and_then(Path::parent).expect("target/<profile>/deps/..");
    let bin = profile_dir.join("ponder-desktop");
    assert!(
        bin.is_file(),
        "{} is missing: build it with `cargo build -p ponder-desktop` (tests/all.sh does)",
        bin.display()
    );
    bin
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn tool(name: &str) -> PathBuf {
    let home = std::env::var_os("HOME").map(PathBuf::from).unwrap_or_default();
    let cargo_bin = home.join(".cargo/bin").join(name);
    if cargo_bin.is_file() {
        return cargo_bin;
    }
    PathBuf::from(name)
}

/// A child process ended when dropped: its own children first (tauri-driver's WebKitWebDriver), then
/// itself with SIGTERM, then SIGKILL if it lingers. Only positive pids are ever signalled.
struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let pid = self.0.id().to_string();
        let _ = Command::new("pkill").args(["-TERM", "-P", &pid]).status();
        let _ = Command::new("kill").args(["-s", "TERM", &pid]).status();
        for _ in 0..30 {
            if matches!(self.0.try_wait(), Ok(Some(_))) {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn spawn(cmd: &mut Command) -> Killed {
    Killed(cmd.spawn().unwrap_or_else(|e| panic!("starting {cmd:?}: {e}")))
}

/// A private D-Bus session bus (WebKitGTK wants one): its address and the daemon.
fn session_bus(runtime: &Path) -> (String, Killed) {
    let socket = runtime.join("bus");
    let address = format!("unix:path={}", socket.display());
    let daemon = spawn(
        Command::new("dbus-daemon")
            .args(["--session", "--nofork", "--nopidfile"])
            .arg(format!("--address={address}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null()),
    );
    wait_until(Duration::from_secs(20), || socket.exists(), "the D-Bus session bus");
    (address, daemon)
}

/// An Xvfb display, a driver and one app session with its own data folder.
pub struct Window {
    pub session: Session,
    pub display: String,
    // Dropped in this order: the session (closes the app), the driver, the bus, then the display.
    _driver: Killed,
    _bus: Killed,
    _xvfb: Killed,
}

impl Window {
    /// Starts the app with `data_dir` as its data folder (created if missing).
    pub fn open(data_dir: &Path) -> Window {
        Self::open_with_env(data_dir, &[])
    }

    /// [`Window::open`] with more environment for the app (a hub endpoint, a cache folder).
    pub fn open_with_env(data_dir: &Path, env: &[(&str, &std::ffi::OsStr)]) -> Window {
        std::fs::create_dir_all(data_dir).unwrap();
        let number = 90 + (std::process::id() % 500) as u16 + free_port() % 50;
        let display = format!(":{number}");
        let xvfb = spawn(
            Command::new("Xvfb")
                .args([&display, "-screen", "0", "1200x800x24", "-nolisten", "tcp"])
                .stdout(Stdio::null())
                .stderr(Stdio::null()),
        );
        let socket = PathBuf::from(format!("/tmp/.X11-unix/X{number}"));
        wait_until(Duration::from_secs(20), || socket.exists(), "Xvfb to start");
        let runtime = std::env::temp_dir().join(format!("ponder-e2e-rt-{number}"));
        std::fs::create_dir_all(&runtime).unwrap();
        std::fs::set_permissions(&runtime, std::os::unix::fs::PermissionsExt::from_mode(0o700))
            .unwrap();
        let port = free_port();
        let native = free_port();
        let (bus, bus_daemon) = session_bus(&runtime);
        let logs = std::fs::File::create(runtime.join("driver.log")).unwrap();
        let driver = spawn(
            Command::new(tool("tauri-driver"))
                .args(["--port", &port.to_string(), "--native-port", &native.to_string()])
                .env("DISPLAY", &display)
                .env("XDG_RUNTIME_DIR", &runtime)
                .env("DBUS_SESSION_BUS_ADDRESS", &bus)
                .env("NO_AT_BRIDGE", "1")
                .env("WEBKIT_DISABLE_COMPOSITING_MODE", "1")
                .env("LIBGL_ALWAYS_SOFTWARE", "1")
                .env("GDK_BACKEND", "x11")
                .env("PONDER_DATA_DIR", data_dir)
                .env("RUST_LOG", "warn")
                .envs(env.iter().copied())
                .stdout(Stdio::null())
                .stderr(logs),
        );
        let base = format!("http://127.0.0.1:{port}");
        wait_until(
            Duration::from_secs(30),
            || ureq::get(&format!("{base}/status")).call().is_ok(),
            "tauri-driver to listen",
        );
        let session = Session::start(&base, &app_binary());
        Window { session, display, _driver: driver, _bus: bus_daemon, _xvfb: xvfb }
    }

    /// Saves the whole display as a PNG, after a pause: the display shows WebKit's last paint, which
    /// under load can trail the page by a frame or more (a saved rating was caught still "saving").
    pub fn screenshot(&self, path: &Path) {
        std::thread::sleep(Duration::from_millis(500));
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).unwrap();
        }
        let status = Command::new("import")
            .args(["-display", &self.display, "-window", "root"])
            .arg(path)
            .status()
            .expect("ImageMagick's import");
        assert!(status.success(), "screenshot {}", path.display());
    }
}

impl Drop for Window {
    fn drop(&mut self) {
        self.session.quit();
    }
}

/// Polls `ok` until it holds, panicking with `what` after `limit`.
pub fn wait_until(limit: Duration, mut ok: impl FnMut() -> bool, what: &str) {
    let start = Instant::now();
    while !ok() {
        assert!(start.elapsed() < limit, "timed out after {limit:?} waiting for {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Waits until no answer in `scope` (a CSS selector, "" for the whole page) is generating and the last
/// one shows its actions (only a saved, finished answer has them) with a text that no longer changes
/// (WebKit's display can trail the DOM by a frame under load); returns that text.
pub fn wait_answered(s: &Session, scope: &str, limit: Duration) -> String {
    let answers = format!("{scope} .answer");
    let mut seen = String::new();
    wait_until(
        limit,
        || {
            let busy = s.try_find(&format!("{answers}[aria-busy=\"true\"]")).is_some();
            let done = !busy && s.try_find(&format!("{answers} .actions .icon-btn")).is_some();
            let text = if done {
                s.find_all(&answers).last().map(|a| s.text(a)).unwrap_or_default()
            } else {
                String::new()
            };
            let settled = done && !text.is_empty() && text == seen;
            seen = text;
            if !settled {
                std::thread::sleep(Duration::from_millis(200));
            }
            settled
        },
        "the answer to finish",
    );
    seen
}

/// An ordinary long answer: headings, emphasis, lists, tables, code and math, `chars` long.
#[allow(dead_code)]
pub fn ordinary_markdown(chars: usize) -> String {
    let mut out = String::new();
    let mut i = 0;
    while out.len() < chars {
        i += 1;
        out.push_str(&format!(
            "## Step {i}\n\nWe add **{i} + {}** and _carry_ the `tens`; see [why](https://example.com/{i}).\n\n\
             - item one {i}\n- item two with $x^{{{i}}}$\n\n| a | b |\n|---|---|\n| {i} | {} |\n\n\
             ```python\nprint({i} + {i})\n```\n\n",
            i * 3,
            i * 2
        ));
    }
    out
}

/// Thinking as Qwen writes it, `chars` long: numbered cases with lists, inline and display LaTeX, and
/// "wait" paragraphs, one long reasoning block after another.
#[allow(dead_code)]
pub fn qwen_style_thinking(chars: usize) -> String {
    let mut out = String::new();
    let mut i = 0;
    while out.len() < chars {
        i += 1;
        out.push_str(&format!(
            "**Case {i}.** Let me check whether $n = {i}$ works. We need $n^2 + {} \\equiv 0 \\pmod{{7}}$.\n\n\
             1. Compute $n^2 = {}$.\n2. Then $n^2 + {} = {}$.\n3. And ${} \\bmod 7 = {}$.\n\n\
             $$\\sum_{{k=1}}^{{{i}}} k = \\frac{{{i}({i}+1)}}{{2}} = {}$$\n\n\
             Wait, that is not quite it. Let me re-check the previous step: the sum is {} and so the case \
             {} the condition. Hmm, so case {i} is settled; on to the next one.\n\n",
            i % 5,
            i * i,
            i % 5,
            i * i + i % 5,
            i * i + i % 5,
            (i * i + i % 5) % 7,
            i * (i + 1) / 2,
            i * (i + 1) / 2,
            if (i * i + i % 5) % 7 == 0 { "meets" } else { "fails" }
        ));
    }
    out
}

/// A history database in `data` with one finished conversation per `(question, thinking, answer)`, and
/// settings that skip the first-run screen with the thinking panes in `pane_mode` ("auto", "open", …).
#[allow(dead_code)]
pub fn seed(data: &Path, pane_mode: &str, conversations: &[(&str, &str, &str)]) {
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let store = ponder_store::Store::open(data.join("ponder.db")).await.unwrap();
        for (question, thinking, answer) in conversations {
            let (_, q) = store.start_conversation(question).await.unwrap();
            let settings = ponder_store::GenerationSettings {
                model: ponder_store::ModelIdentity {
                    id: "ponder-tiny".into(),
                    device: "cpu".into(),
                    ..Default::default()
                },
                sampling: serde_json::json!({}),
                thinking_enabled: true,
                thinking_budget: None,
                app_version: "test".into(),
            };
            let a = store.begin_answer(q.id, settings).await.unwrap();
            a.push_thinking(thinking);
            a.push_answer(answer);
            a.finish(ponder_store::GenerationOutcome {
                finish_reason: Some(ponder_store::EndReason::Stop),
                ..Default::default()
            })
            .await
            .unwrap();
        }
        store.close().await;
    });
    let settings = serde_json::json!({"seenWelcome": true, "paneMode": pane_mode});
    std::fs::write(data.join("settings.json"), settings.to_string()).unwrap();
}
