//! Golden files: every format from the fixed fixture store, compared byte for byte with
//! `tests/golden/`. Rewrite them with `UPDATE_GOLDEN=1 cargo test -p ponder-export` and review the diff.

mod fixture;

use std::path::Path;

use ponder_export::{export, ExportOptions, Format, ReasoningStyle};

fn compare_dir(got: &Path, want: &Path) {
    let update = std::env::var_os("UPDATE_GOLDEN").is_some();
    if update {
        let _ = std::fs::remove_dir_all(want);
        std::fs::create_dir_all(want).unwrap();
    }
    let mut names: Vec<_> =
        std::fs::read_dir(got).unwrap().map(|e| e.unwrap().file_name()).collect();
    names.sort();
    for name in &names {
        let bytes = std::fs::read(got.join(name)).unwrap();
        if update {
            std::fs::write(want.join(name), &bytes).unwrap();
            continue;
        }
        let expected =
            std::fs::read(want.join(name)).unwrap_or_else(|_| panic!("no golden {name:?}"));
        assert!(
            bytes == expected,
            "{name:?} differs from its golden file; rerun with UPDATE_GOLDEN=1 and review:\n{}",
            String::from_utf8_lossy(&bytes)
        );
    }
    let wanted = std::fs::read_dir(want).unwrap().count();
    assert_eq!(names.len(), wanted, "same set of files");
}

async fn check(style: ReasoningStyle, golden: &str) {
    let dir = tempfile::tempdir().unwrap();
    let store = fixture::fixture(dir.path()).await;
    let out = dir.path().join("export");
    let options =
        ExportOptions { reasoning: style, formats: Format::ALL.to_vec(), ..Default::default() };
    export(&store, &out, &options).await.unwrap();
    compare_dir(&out, &Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden").join(golden));
}

#[tokio::test]
async fn inline_reasoning_matches_the_golden_files() {
    check(ReasoningStyle::Inline, "inline").await;
}

#[tokio::test]
async fn separate_reasoning_matches_the_golden_files() {
    check(ReasoningStyle::Separate, "separate").await;
}

#[tokio::test]
async fn stripped_reasoning_matches_the_golden_files() {
    check(ReasoningStyle::Stripped, "stripped").await;
}
