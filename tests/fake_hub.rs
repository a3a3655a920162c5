//! A local stand-in for the Hugging Face Hub: serves a model folder the way the hub does (a repository
//! listing, `resolve` URLs with commit and etag headers, byte ranges), counts the bytes it sends, and can
//! be slowed down so a download can be caught mid-way.

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
}

impl FakeHub {
    /// Serves the files of `dir` as model repository `repo_id`, waiting `delay` before each file
    /// response.
    pub async fn serve(repo_id: &str, dir: &Path, delay: Duration) -> Self {
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
        let repo = Arc::new(Repo { id: repo_id.to_string(), files, delay });
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let endpoint = format!("http://{}", listener.local_addr().expect("address"));
        let served = Arc::new(AtomicU64::new(0));
        let counter = served.clone();
        let task = tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                tokio::spawn(handle(socket, repo.clone(), counter.clone()));
            }
        });
        Self { endpoint, served, task }
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
        let siblings: Vec<serde_json::Value> = repo
            .files
            .iter()
            .map(|(name, body)| serde_json::json!({"rfilename": name, "size": body.len()}))
            .collect();
        let json = serde_json::json!({"id": repo.id, "sha": FAKE_COMMIT, "siblings": siblings});
        (
            "200 OK",
            "Content-Type: application/json\r\n".to_string(),
            json.to_string().into_bytes(),
            false,
        )
    } else if let Some((_, body)) =
        path.strip_prefix(&resolve).and_then(|f| repo.files.iter().find(|(n, _)| n == f))
    {
        tokio::time::sleep(repo.delay).await;
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
