//! llama.cpp as a peer engine, through `tests/peers/llama_cpp.py` in the virtual environment
//! `scripts/fixtures.sh` makes (`xllamacpp` from PyPI): greedy output and timings on the same GGUF file.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::{json, Value};

/// The peers' virtual environment's Python; panics with what to run when it is missing.
pub fn python() -> PathBuf {
    let venv = match std::env::var_os("PONDER_PEERS_VENV") {
        Some(dir) => PathBuf::from(dir),
        None => {
            PathBuf::from(std::env::var_os("HOME").expect("HOME")).join(".cache/ponder/peers-venv")
        }
    };
    let python = venv.join("bin/python");
    assert!(
        python.is_file(),
        "llama.cpp is not installed in {}: run ./scripts/fixtures.sh (it installs xllamacpp from PyPI)",
        venv.display()
    );
    python
}

fn script() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("peers/llama_cpp.py")
}

/// Runs the peer script with `request` on stdin and returns the JSON it prints.
pub fn run(request: &Value) -> Value {
    let mut child = Command::new(python())
        .arg(script())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the peer script starts");
    child.stdin.take().unwrap().write_all(request.to_string().as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "llama.cpp failed: {}",
        String::from_utf8_lossy(&out.stderr).lines().rev().take(20).collect::<Vec<_>>().join("\n")
    );
    serde_json::from_slice(&out.stdout).expect("the peer script prints JSON")
}

/// One token llama.cpp considered at a step.
#[derive(Clone, Debug)]
pub struct Considered {
    /// Its text, as bytes (a token may hold part of a character).
    pub bytes: Vec<u8>,
    /// Its log-probability.
    pub logprob: f64,
}

/// llama.cpp's greedy continuation of one prompt.
#[derive(Clone, Debug)]
pub struct Greedy {
    /// The text.
    pub text: String,
    /// At each step, the five most likely tokens, best (the one taken) first.
    pub steps: Vec<Vec<Considered>>,
}

/// llama.cpp's greedy continuation of each prompt (token ids), exactly `n` tokens each.
pub fn greedy(gguf: &Path, prompts: &[Vec<u32>], n: usize) -> Vec<Greedy> {
    let reply = run(&json!({
        "mode": "greedy",
        "model": gguf,
        "prompts": prompts,
        "n_predict": n,
    }));
    let considered = |t: &Value| Considered {
        bytes: t["bytes"].as_array().unwrap().iter().map(|b| b.as_u64().unwrap() as u8).collect(),
        logprob: t["logprob"].as_f64().unwrap(),
    };
    let texts = reply["texts"].as_array().expect("texts");
    let steps = reply["steps"].as_array().expect("steps");
    texts
        .iter()
        .zip(steps)
        .map(|(text, steps)| Greedy {
            text: text.as_str().expect("text").to_string(),
            steps: steps
                .as_array()
                .unwrap()
                .iter()
                .map(|s| s.as_array().unwrap().iter().map(considered).collect())
                .collect(),
        })
        .collect()
}

/// How far `ours` follows llama.cpp's greedy path: `Ok(steps)` when it follows every step, or leaves
/// it only at a near-tie (a token within `tie` nats of llama.cpp's choice, which quantization noise
/// can reorder); `Err` with the step when `ours` takes a token llama.cpp did not consider close.
pub fn follows(ours: &str, theirs: &Greedy, tie: f64) -> Result<usize, String> {
    let mut rest = ours.as_bytes();
    for (i, step) in theirs.steps.iter().enumerate() {
        let taken = &step[0];
        if rest.starts_with(&taken.bytes) {
            rest = &rest[taken.bytes.len()..];
            continue;
        }
        let near = step[1..].iter().any(|alt| {
            taken.logprob - alt.logprob <= tie
                && !alt.bytes.is_empty()
                && rest.starts_with(&alt.bytes)
        });
        return if near {
            Ok(i)
        } else {
            Err(format!(
                "step {i}: llama.cpp took {:?} ({:.3}); ours continues {:?}",
                String::from_utf8_lossy(&taken.bytes),
                taken.logprob,
                String::from_utf8_lossy(rest)
            ))
        };
    }
    Ok(theirs.steps.len())
}

/// llama.cpp's own timings of one greedy run.
#[derive(Clone, Debug)]
pub struct PeerTiming {
    /// Prompt tokens processed.
    pub prompt_tokens: usize,
    /// Milliseconds to process the prompt.
    pub prompt_ms: f64,
    /// Tokens generated.
    pub generated: usize,
    /// Milliseconds generating them.
    pub generate_ms: f64,
}

/// `runs` timed greedy runs of `n` tokens for each prompt (after a short warm-up), and llama.cpp's
/// peak memory in bytes.
pub fn bench(
    gguf: &Path,
    prompts: &[Vec<u32>],
    n: usize,
    runs: usize,
) -> (Vec<Vec<PeerTiming>>, u64) {
    let reply = run(&json!({
        "mode": "bench",
        "model": gguf,
        "prompts": prompts,
        "n_predict": n,
        "runs": runs,
    }));
    let timing = |t: &Value| PeerTiming {
        prompt_tokens: t["prompt_n"].as_u64().unwrap() as usize,
        prompt_ms: t["prompt_ms"].as_f64().unwrap(),
        generated: t["predicted_n"].as_u64().unwrap() as usize,
        generate_ms: t["predicted_ms"].as_f64().unwrap(),
    };
    let per_prompt = reply["runs"]
        .as_array()
        .expect("runs")
        .iter()
        .map(|r| r.as_array().unwrap().iter().map(timing).collect())
        .collect();
    (per_prompt, reply["peak_rss_bytes"].as_u64().unwrap())
}
