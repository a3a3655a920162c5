//! A local stand-in for the Hugging Face Hub: serves a model folder the way the hub does (a repository
//! listing, `resolve` URLs with commit and etag headers, byte ranges), counts the bytes it sends, and can
//! be slowed down so a download can be caught mid-way. [`Tamper`] makes it a hostile server: a bad commit
//! id, unsafe file names, or a file whose bytes do not match the SHA-256 its listing gives.

use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// The commit every file is served at.
pub const FAKE_COMMIT: &str = "0123456789abcdef0123456789abcdef01234567";

/// A running fake hub; it stops when dropped.
pub struct FakeHub {
    /// Base address to pass as the hub endpoint.
    pub endpoint: String,
    served: Arc<AtomicU64>,
    repo: Arc<Repo>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for FakeHub {
    fn drop(&mut self) {
        self.task.abort();
    }
}

struct Repo {
    id: String,
    files: Vec<(String, Vec<u8>)>,
    delay: Duration,
    tamper: Tamper,
    /// Requests for each file, by name.
    fetched: std::sync::Mutex<std::collections::HashMap<String, u32>>,
}

/// Ways the fake hub lies.
#[derive(Clone, Debug, Default)]
pub struct Tamper {
    /// The listing's commit id instead of [`FAKE_COMMIT`].
    pub commit: Option<String>,
    /// Extra names in the listing (never served).
    pub extra_files: Vec<String>,
    /// This file is always served with one byte changed, so its SHA-256 is not the listed one.
    pub corrupt: Option<String>,
}

fn sha256_hex(body: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(body).iter().map(|b| format!("{b:02x}")).collect()
}

impl FakeHub {
    /// Serves the files of `dir` as model repository `repo_id`, waiting `delay` before each file
    /// response.
    pub async fn serve(repo_id: &str, dir: &Path, delay: Duration) -> Self {
        Self::serve_tampered(repo_id, dir, delay, Tamper::default()).await
    }

    /// [`FakeHub::serve`], lying as `tamper` says.
    pub async fn serve_tampered(
        repo_id: &str,
        dir: &Path,
        delay: Duration,
        tamper: Tamper,
    ) -> Self {
        let mut files: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
            .expect("model folder")
            .map(|e| e.expect("entry").path())
            .filter(|p| p.is_file())
            .map(|p| {
                let name = p.file_name().expect("name").to_string_lossy().into_owned();
                (name, std::fs::read(&p).expect("readable"))
            })
            .collect();
        files.sort();
        let repo = Arc::new(Repo {
            id: repo_id.to_string(),
            files,
            delay,
            tamper,
            fetched: Default::default(),
        });
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let endpoint = format!("http://{}", listener.local_addr().expect("address"));
        let served = Arc::new(AtomicU64::new(0));
        let counter = served.clone();
        let shared = repo.clone();
        let task = tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                tokio::spawn(handle(socket, shared.clone(), counter.clone()));
            }
        });
        Self { endpoint, served, repo, task }
    }

    /// How many times `file` was requested.
    pub fn requests_for(&self, file: &str) -> u32 {
        self.repo.fetched.lock().expect("not poisoned").get(file).copied().unwrap_or(0)
    }

    /// File bytes sent so far (listing excluded).
    pub fn bytes_served(&self) -> u64 {
        self.served.load(Ordering::SeqCst)
    }
}

fn etag(body: &[u8]) -> String {
    let h = body
        .iter()
        .fold(0xcbf2_9ce4_8422_2325u64, |h, b| (h ^ u64::from(*b)).wrapping_mul(0x100_0000_01b3));
    format!("{h:016x}")
}

/// `bytes=a-b` → `(a, b)`, with `b` capped at the last byte.
fn range(head: &str, len: usize) -> Option<(usize, usize)> {
    let line = head.lines().find(|l| l.to_ascii_lowercase().starts_with("range:"))?;
    let spec = line.split_once('=')?.1.trim();
    let (a, b) = spec.split_once('-')?;
    let a: usize = a.parse().ok()?;
    let b: usize =
        b.parse::<usize>().map_or(len.saturating_sub(1), |b| b.min(len.saturating_sub(1)));
    (a <= b).then_some((a, b))
}

async fn handle(mut socket: TcpStream, repo: Arc<Repo>, served: Arc<AtomicU64>) {
    let mut head = Vec::new();
    let mut buf = [0u8; 4096];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < 64 * 1024 {
        match socket.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => head.extend_from_slice(&buf[..n]),
        }
    }
    let head = String::from_utf8_lossy(&head).into_owned();
    let path = head.split_whitespace().nth(1).unwrap_or("/").split('?').next().unwrap_or("/");
    let listing = format!("/api/models/{}/revision/main", repo.id);
    let resolve = format!("/{}/resolve/main/", repo.id);
    let (status, headers, body, counted) = if path == listing {
        // As the hub lists them: weights are Git LFS files with their SHA-256 and size.
        let mut siblings: Vec<serde_json::Value> = repo
            .files
            .iter()
            .map(|(name, body)| {
                if name.ends_with(".safetensors") {
                    serde_json::json!({"rfilename": name, "size": body.len(),
                        "lfs": {"sha256": sha256_hex(body), "size": body.len(), "pointerSize": 134}})
                } else {
                    serde_json::json!({"rfilename": name, "size": body.len()})
                }
            })
            .collect();
        siblings.extend(
            repo.tamper.extra_files.iter().map(|n| serde_json::json!({"rfilename": n, "size": 10})),
        );
        let commit = repo.tamper.commit.as_deref().unwrap_or(FAKE_COMMIT);
        let json = serde_json::json!({"id": repo.id, "sha": commit, "siblings": siblings});
        (
            "200 OK",
            "Content-Type: application/json\r\n".to_string(),
            json.to_string().into_bytes(),
            false,
        )
    } else if let Some((name, body)) =
        path.strip_prefix(&resolve).and_then(|f| repo.files.iter().find(|(n, _)| n == f))
    {
        tokio::time::sleep(repo.delay).await;
        *repo.fetched.lock().expect("not poisoned").entry(name.clone()).or_default() += 1;
        let mut body = body.clone();
        if repo.tamper.corrupt.as_deref() == Some(name.as_str()) {
            let mid = body.len() / 2;
            body[mid] ^= 0xff;
        }
        let body = &body;
        let common = format!(
            "x-repo-commit: {FAKE_COMMIT}\r\netag: \"{}\"\r\nAccept-Ranges: bytes\r\n",
            etag(body)
        );
        match range(&head, body.len()) {
            Some((a, b)) => (
                "206 Partial Content",
                format!("{common}Content-Range: bytes {a}-{b}/{}\r\n", body.len()),
                body[a..=b].to_vec(),
                true,
            ),
            None => ("200 OK", common, body.clone(), true),
        }
    } else {
        ("404 Not Found", String::new(), b"not found".to_vec(), false)
    };
    let response = format!(
        "HTTP/1.1 {status}\r\n{headers}Content-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    if socket.write_all(response.as_bytes()).await.is_err() {
        return;
    }
    if socket.write_all(&body).await.is_ok() && counted {
        served.fetch_add(body.len() as u64, Ordering::SeqCst);
    }
    let _ = socket.shutdown().await;
}
