//! Export benchmark: time and peak memory of exporting 10,000, 30,000 and 100,000 ratings (every
//! format), each export in a fresh child process so its peak resident memory is its own. Memory should
//! stay flat as the count grows: the store is read a few conversations at a time.
//!
//! Run: `cargo bench -p ponder-export --bench export` (Linux: peak memory from /proc). Databases are
//! built once under the target folder and reused.

use std::time::Instant;

use ponder_export::{export, ExportOptions};
use ponder_store::Store;
use sqlx::Connection;

const SIZES: [usize; 3] = [10_000, 30_000, 100_000];
const CHILD: &str = "PONDER_EXPORT_BENCH_DB";

/// Ratings in pairs: each conversation has a question and two answers, one up and one down.
async fn build(path: &std::path::Path, ratings: usize) {
    let _ = std::fs::remove_file(path);
    Store::open(path).await.unwrap().close().await;
    let opts = sqlx::sqlite::SqliteConnectOptions::new().filename(path);
    let mut conn = sqlx::SqliteConnection::connect_with(&opts).await.unwrap();
    sqlx::query("BEGIN").execute(&mut conn).await.unwrap();
    let thinking = "Add the digits from the right, writing each carry. ".repeat(6);
    for c in 0..(ratings / 2) as i64 {
        let (q, a, b) = (3 * c + 1, 3 * c + 2, 3 * c + 3);
        sqlx::query("INSERT INTO conversations (id, title, created_at, updated_at) VALUES (?1, 'q', ?1, ?1)")
            .bind(c + 1)
            .execute(&mut conn)
            .await
            .unwrap();
        sqlx::query(
            "INSERT INTO messages (id, conversation_id, parent_id, role, content, thinking, status, created_at, updated_at) VALUES
             (?1, ?4, NULL, 'user', 'What is ' || ?4 || ' + 589?', NULL, 'complete', 1, 1),
             (?2, ?4, ?1, 'assistant', 'The sum is ' || (?4 + 589) || '.', ?5, 'complete', 2, 2),
             (?3, ?4, ?1, 'assistant', 'The sum is ' || (?4 + 590) || '.', ?5, 'complete', 3, 3)",
        )
        .bind(q)
        .bind(a)
        .bind(b)
        .bind(c + 1)
        .bind(&thinking)
        .execute(&mut conn)
        .await
        .unwrap();
        sqlx::query(
            "INSERT INTO generations (message_id, model_id, device, thinking_enabled, app_version, total_ms, finish_reason)
             VALUES (?1, 'ponder-tiny', 'cpu', 1, '0.1.0', 100, 'stop'), (?2, 'ponder-tiny', 'cpu', 1, '0.1.0', 100, 'stop')",
        )
        .bind(a)
        .bind(b)
        .execute(&mut conn)
        .await
        .unwrap();
        sqlx::query(
            "INSERT INTO ratings (message_id, answer_vote, tags, created_at, updated_at)
             VALUES (?1, 1, '[\"correct\"]', 5, 5), (?2, -1, '[\"wrong_answer\"]', 5, 5)",
        )
        .bind(a)
        .bind(b)
        .execute(&mut conn)
        .await
        .unwrap();
    }
    sqlx::query("COMMIT").execute(&mut conn).await.unwrap();
    conn.close().await.unwrap();
}

fn peak_rss_mb() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

#[tokio::main]
async fn main() {
    if let Some(db) = std::env::var_os(CHILD) {
        let db = std::path::PathBuf::from(db);
        let store = Store::open(&db).await.unwrap();
        let out = db.with_extension("export");
        let _ = std::fs::remove_dir_all(&out);
        let started = Instant::now();
        let report = export(&store, &out, &ExportOptions::default()).await.unwrap();
        let seconds = started.elapsed().as_secs_f64();
        let bytes: u64 =
            std::fs::read_dir(&out).unwrap().map(|e| e.unwrap().metadata().unwrap().len()).sum();
        println!(
            "{} {} {seconds:.2} {:.1} {:.1}",
            report.rated,
            report.pairs,
            peak_rss_mb(),
            bytes as f64 / 1e6
        );
        let _ = std::fs::remove_dir_all(&out);
        return;
    }
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("export-bench");
    std::fs::create_dir_all(&dir).unwrap();
    println!(
        "| ratings | pairs | time | ratings/s | peak memory | output |\n|---|---|---|---|---|---|"
    );
    let mut first_peak = None;
    for n in SIZES {
        let db = dir.join(format!("ratings-{n}.db"));
        let ready = match Store::open(&db).await {
            Ok(s) => s.counts().await.ok().map(|c| c.1) == Some((n / 2 * 3) as u64),
            Err(_) => false,
        };
        if !ready {
            build(&db, n).await;
        }
        let out = std::process::Command::new(std::env::current_exe().unwrap())
            .env(CHILD, &db)
            .output()
            .unwrap();
        let line = String::from_utf8(out.stdout).unwrap();
        let f: Vec<f64> = line.split_whitespace().map(|x| x.parse().unwrap()).collect();
        let peak = f[3];
        let base = *first_peak.get_or_insert(peak);
        println!(
            "| {} | {} | {:.2} s | {:.0} | {peak:.1} MB ({:.2}× the 10k run) | {:.1} MB |",
            f[0],
            f[1],
            f[2],
            f[0] / f[2],
            peak / base,
            f[4]
        );
    }
}
