//! Export benchmark: time and peak memory of exporting 10,000, 30,000 and 100,000 ratings (every
//! format), each export in a fresh child process so its peak resident memory is its own. Memory should
//! stay flat as the count grows: the store is read a few conversations at a time.
//!
//! Run: `cargo bench -p ponder-export --bench export` (Linux: peak memory from /proc). Databases are
//! built once under the target folder and reused.

use std::time::Instant;

use ponder_export::{export, ExportOptions};
use ponder_store::Store;

const SIZES: [usize; 3] = [10_000, 30_000, 100_000];
const CHILD: &str = "PONDER_EXPORT_BENCH_DB";

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
            ponder_store::fixtures::seed_rated_pairs(&db, n / 2).await.unwrap();
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
