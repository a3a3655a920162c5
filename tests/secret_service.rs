//! A real Secret Service for tests of the OS keychain: a private D-Bus session bus with GNOME
//! Keyring's daemon on it, its login keyring created and unlocked in a folder of the test's own, so a
//! test never touches the keyring of the person running it.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A bus and a keyring daemon, ended when dropped.
pub struct SecretService {
    /// `DBUS_SESSION_BUS_ADDRESS` for programs that should use it.
    pub bus: String,
    /// Its `HOME`; the keyring files are under `data/keyrings`.
    pub home: PathBuf,
    daemons: Vec<Child>,
}

impl Drop for SecretService {
    fn drop(&mut self) {
        for child in self.daemons.iter_mut().rev() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl SecretService {
    /// Starts both in `dir`. Needs `dbus-daemon` and `gnome-keyring-daemon` (`scripts/setup.sh`
    /// installs them).
    pub fn start(dir: &Path) -> SecretService {
        let home = dir.join("home");
        let runtime = dir.join("run");
        std::fs::create_dir_all(&home).unwrap();
        std::fs::create_dir_all(&runtime).unwrap();
        std::fs::set_permissions(&runtime, std::os::unix::fs::PermissionsExt::from_mode(0o700))
            .unwrap();
        let socket = runtime.join("bus");
        let bus = format!("unix:path={}", socket.display());
        let dbus = Command::new("dbus-daemon")
            .args(["--session", "--nofork", "--nopidfile"])
            .arg(format!("--address={bus}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("dbus-daemon (scripts/setup.sh installs it)");
        let mut service = SecretService { bus, home, daemons: vec![dbus] };
        wait_for(|| socket.exists(), "the D-Bus session bus");
        let mut keyring = service
            .env(&mut Command::new("gnome-keyring-daemon"))
            .args(["--foreground", "--components=secrets", "--unlock"])
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("gnome-keyring-daemon (scripts/setup.sh installs gnome-keyring)");
        // `--unlock` reads the login keyring's password from stdin, creating the keyring with it.
        let mut stdin = keyring.stdin.take().unwrap();
        stdin.write_all(b"ponder-test-password").unwrap();
        drop(stdin);
        service.daemons.push(keyring);
        let bus = service.bus.clone();
        wait_for(|| name_has_owner(&bus, "org.freedesktop.secrets"), "the Secret Service");
        service
    }

    /// Points `cmd` at this bus and home (and away from the real ones).
    pub fn env<'a>(&self, cmd: &'a mut Command) -> &'a mut Command {
        cmd.env("DBUS_SESSION_BUS_ADDRESS", &self.bus)
            .env("HOME", &self.home)
            .env("XDG_DATA_HOME", self.home.join("data"))
            .env("XDG_RUNTIME_DIR", self.home.parent().unwrap().join("run"))
    }
}

fn name_has_owner(bus: &str, name: &str) -> bool {
    let out = Command::new("dbus-send")
        .env("DBUS_SESSION_BUS_ADDRESS", bus)
        .args([
            "--session",
            "--print-reply",
            "--dest=org.freedesktop.DBus",
            "/org/freedesktop/DBus",
        ])
        .arg("org.freedesktop.DBus.NameHasOwner")
        .arg(format!("string:{name}"))
        .output();
    out.is_ok_and(|o| String::from_utf8_lossy(&o.stdout).contains("boolean true"))
}

fn wait_for(mut ok: impl FnMut() -> bool, what: &str) {
    let start = Instant::now();
    while !ok() {
        assert!(start.elapsed() < Duration::from_secs(20), "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}
