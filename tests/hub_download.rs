//! Downloading a model by hub id, against a local server that speaks the Hugging Face Hub protocol:
//! the standard cache layout, progress in bytes, reuse of cached files, cancel and resume.

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use ponder_engine::download::{
    cached_gguf, download_gguf, download_model, is_needed, DownloadProgress, HubOptions,
};
use ponder_engine::{Engine, FinishReason, GenerationRequest, ModelSource, Sampling};
use ponder_tests::fake_hub::{FakeHub, Tamper, FAKE_COMMIT};
use ponder_tests::{bundled_model_dir, collect, texts};

const REPO: &str = "ponder/ponder-tiny";

fn options(hub: &FakeHub, cache: &Path) -> HubOptions {
    HubOptions {
        endpoint: hub.endpoint.clone(),
        cache_dir: cache.to_path_buf(),
        token: None,
        chunk_size: 1 << 20,
    }
}

fn needed_bytes() -> u64 {
    std::fs::read_dir(bundled_model_dir())
        .unwrap()
        .map(|e| e.unwrap())
        .filter(|e| is_needed(&e.file_name().to_string_lossy()))
        .map(|e| e.metadata().unwrap().len())
        .sum()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn downloads_into_the_hf_cache_with_progress_and_the_engine_runs_it() {
    let hub = FakeHub::serve(REPO, &bundled_model_dir(), Duration::ZERO).await;
    let cache = tempfile::tempdir().unwrap();
    let seen: Arc<Mutex<Vec<DownloadProgress>>> = Arc::default();
    let sink = seen.clone();
    let dir =
        download_model(REPO, &options(&hub, cache.path()), move |p| sink.lock().unwrap().push(p))
            .await
            .expect("download");

    let repo_dir = cache.path().join("models--ponder--ponder-tiny");
    assert_eq!(dir, repo_dir.join("snapshots").join(FAKE_COMMIT));
    assert_eq!(std::fs::read_to_string(repo_dir.join("refs/main")).unwrap().trim(), FAKE_COMMIT);
    let weights = dir.join("model.safetensors");
    assert!(std::fs::canonicalize(&weights).unwrap().starts_with(repo_dir.join("blobs")));
    assert_eq!(
        std::fs::read(&weights).unwrap(),
        std::fs::read(bundled_model_dir().join("model.safetensors")).unwrap()
    );
    assert!(!dir.join("README.md").exists(), "only the files a model needs are fetched");

    let seen = seen.lock().unwrap().clone();
    let total = needed_bytes();
    assert!(seen.len() > 8, "progress is reported as bytes arrive: {}", seen.len());
    assert!(seen.windows(2).all(|w| w[0].bytes_done <= w[1].bytes_done), "monotonic");
    let last = seen.last().unwrap();
    assert_eq!((last.bytes_done, last.bytes_total), (total, total));

    let engine = Engine::load(ModelSource::LocalDir(dir)).await.expect("loads from the cache");
    let req = GenerationRequest {
        sampling: Sampling::greedy(),
        ..GenerationRequest::ask("What is 2 + 3?")
    };
    assert_eq!(texts(&collect(&engine, &req).await).2, Some(FinishReason::Stop));

    let before = hub.bytes_served();
    let again = download_model(REPO, &options(&hub, cache.path()), |_| {}).await.unwrap();
    assert_eq!(again, repo_dir.join("snapshots").join(FAKE_COMMIT));
    assert_eq!(hub.bytes_served(), before, "cached files are reused, not fetched again");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancelled_download_stops_and_later_resumes() {
    let hub = FakeHub::serve(REPO, &bundled_model_dir(), Duration::from_millis(150)).await;
    let cache = tempfile::tempdir().unwrap();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let tx = Mutex::new(Some(tx));
    let opts = options(&hub, cache.path());
    let download = download_model(REPO, &opts, move |p| {
        if p.file == "model.safetensors" && p.bytes_done > p.bytes_total / 2 {
            if let Some(tx) = tx.lock().unwrap().take() {
                let _ = tx.send(());
            }
        }
    });
    tokio::select! {
        r = download => panic!("should have been cancelled first: {r:?}"),
        _ = rx => {}
    }
    // Cancelling stops the network too: nothing more arrives once the future is gone.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let after_cancel = hub.bytes_served();
    tokio::time::sleep(Duration::from_millis(1000)).await;
    assert_eq!(hub.bytes_served(), after_cancel, "no download continues after a cancel");

    let dir = download_model(REPO, &options(&hub, cache.path()), |_| {}).await.expect("resumes");
    let resumed = hub.bytes_served() - after_cancel;
    assert!(resumed < needed_bytes(), "resumed {resumed} of {} bytes", needed_bytes());
    assert_eq!(
        std::fs::read(dir.join("model.safetensors")).unwrap(),
        std::fs::read(bundled_model_dir().join("model.safetensors")).unwrap()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_that_lies_about_the_commit_or_file_names_is_refused_before_anything_is_written() {
    let cache = tempfile::tempdir().unwrap();
    for (commit, extra) in [
        (Some("../../../../tmp/escape".to_string()), vec![]),
        (Some("main".to_string()), vec![]),
        (None, vec!["..\\..\\evil.safetensors".to_string()]),
        (None, vec!["con fig.json".to_string()]),
    ] {
        let tamper = Tamper { commit, extra_files: extra, ..Default::default() };
        let hub =
            FakeHub::serve_tampered(REPO, &bundled_model_dir(), Duration::ZERO, tamper.clone())
                .await;
        let e = download_model(REPO, &options(&hub, cache.path()), |_| {}).await.unwrap_err();
        assert!(matches!(e, ponder_engine::EngineError::Download { .. }), "{e}");
        assert!(
            e.to_string().contains("commit") || e.to_string().contains("safe file name"),
            "{tamper:?}: {e}"
        );
        assert_eq!(hub.bytes_served(), 0, "nothing fetched: {tamper:?}");
    }
    assert!(!cache.path().join("models--ponder--ponder-tiny").join("snapshots").exists());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn weights_that_do_not_match_the_listed_sha256_are_fetched_again_then_refused_and_removed() {
    let tamper = Tamper { corrupt: Some("model.safetensors".into()), ..Default::default() };
    let hub = FakeHub::serve_tampered(REPO, &bundled_model_dir(), Duration::ZERO, tamper).await;
    let cache = tempfile::tempdir().unwrap();
    let e = download_model(REPO, &options(&hub, cache.path()), |_| {}).await.unwrap_err();
    assert!(e.to_string().contains("SHA-256"), "{e}");
    let snapshot = cache.path().join("models--ponder--ponder-tiny/snapshots").join(FAKE_COMMIT);
    assert!(!snapshot.join("model.safetensors").exists(), "the bad file is not left to be loaded");
    let blobs: Vec<_> = std::fs::read_dir(cache.path().join("models--ponder--ponder-tiny/blobs"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| std::fs::metadata(p).unwrap().len() > 1_000_000)
        .collect();
    assert!(blobs.is_empty(), "no bad blob left: {blobs:?}");
    assert!(hub.requests_for("model.safetensors") >= 2, "tried twice from scratch");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_damaged_file_in_the_cache_is_not_taken_as_done() {
    let hub = FakeHub::serve(REPO, &bundled_model_dir(), Duration::ZERO).await;
    let cache = tempfile::tempdir().unwrap();
    let dir = download_model(REPO, &options(&hub, cache.path()), |_| {}).await.unwrap();
    // Another program (or a disk error) damaged the weights in the cache, keeping their size.
    let weights = std::fs::canonicalize(dir.join("model.safetensors")).unwrap();
    let mut bytes = std::fs::read(&weights).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0x55;
    std::fs::write(&weights, &bytes).unwrap();
    // A truncated tokenizer, too.
    let tokenizer = std::fs::canonicalize(dir.join("tokenizer.json")).unwrap();
    let text = std::fs::read(&tokenizer).unwrap();
    std::fs::write(&tokenizer, &text[..text.len() / 2]).unwrap();

    let before = hub.bytes_served();
    let again = download_model(REPO, &options(&hub, cache.path()), |_| {}).await.unwrap();
    assert!(hub.bytes_served() > before, "the damaged files were fetched again");
    for f in ["model.safetensors", "tokenizer.json"] {
        assert_eq!(
            std::fs::read(again.join(f)).unwrap(),
            std::fs::read(bundled_model_dir().join(f)).unwrap(),
            "{f} is whole again"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_gguf_quantization_is_fetched_alone_and_the_engine_runs_it() {
    // A GGUF repository as Qwen publishes them: several quantizations side by side.
    let repo = tempfile::tempdir().unwrap();
    let q8 = repo.path().join("ponder-tiny-Q8_0.gguf");
    ponder_train::gguf::export_gguf(
        &bundled_model_dir(),
        &q8,
        candle_core::quantized::GgmlDType::Q8_0,
    )
    .expect("gguf written");
    std::fs::write(repo.path().join("ponder-tiny-Q4_K_M.gguf"), b"another quantization").unwrap();
    std::fs::write(repo.path().join("README.md"), b"# ponder-tiny GGUF").unwrap();
    let hub = FakeHub::serve("ponder/ponder-tiny-GGUF", repo.path(), Duration::ZERO).await;
    let cache = tempfile::tempdir().unwrap();
    let seen: Arc<Mutex<Vec<DownloadProgress>>> = Arc::default();
    let sink = seen.clone();
    let opts = options(&hub, cache.path());
    let file = download_gguf("ponder/ponder-tiny-GGUF", "q8_0", &opts, move |p| {
        sink.lock().unwrap().push(p)
    })
    .await
    .expect("download");

    assert_eq!(file.file_name().unwrap(), "ponder-tiny-Q8_0.gguf");
    assert_eq!(std::fs::read(&file).unwrap(), std::fs::read(&q8).unwrap());
    assert_eq!(hub.requests_for("ponder-tiny-Q4_K_M.gguf"), 0, "only the asked quantization");
    assert_eq!(hub.requests_for("README.md"), 0);
    let last = seen.lock().unwrap().last().cloned().unwrap();
    let size = std::fs::metadata(&q8).unwrap().len();
    assert_eq!((last.bytes_done, last.bytes_total), (size, size));
    assert_eq!(cached_gguf(cache.path(), "ponder/ponder-tiny-GGUF", "Q8_0"), Some(file.clone()));
    assert_eq!(cached_gguf(cache.path(), "ponder/ponder-tiny-GGUF", "Q4_K_M"), None);

    let engine = Engine::load(ModelSource::Gguf(file)).await.expect("loads from the cache");
    assert_eq!(engine.info().name, "ponder/ponder-tiny-GGUF", "named by its hub id");
    let req = GenerationRequest {
        sampling: Sampling::greedy(),
        ..GenerationRequest::ask("What is 2 + 3?")
    };
    assert_eq!(texts(&collect(&engine, &req).await).2, Some(FinishReason::Stop));

    let missing =
        download_gguf("ponder/ponder-tiny-GGUF", "Q5_0", &opts, |_| {}).await.unwrap_err();
    assert!(missing.to_string().contains("no Q5_0 GGUF file"), "{missing}");
}
