//! Export and rating counts from the window's forms, over a real store.

use std::path::PathBuf;

use ponder_app::{App, AppConfig, ExportRequest};
use ponder_store::{GenerationOutcome, GenerationSettings, ModelIdentity, RatingInput, Vote};

async fn answered(app: &App, question: &str, votes: &[Vote]) {
    let store = app.store().await.unwrap();
    let (_, q) = store.start_conversation(question).await.unwrap();
    for (i, vote) in votes.iter().enumerate() {
        let settings = GenerationSettings {
            model: ModelIdentity {
                id: "ponder-tiny".into(),
                device: "cpu".into(),
                ..Default::default()
            },
            sampling: serde_json::json!({}),
            thinking_enabled: true,
            thinking_budget: None,
            app_version: "test".into(),
        };
        let w = store.begin_answer(q.id, settings).await.unwrap();
        w.push_thinking("working");
        w.push_answer(&format!("answer {i}"));
        let a = w
            .finish(GenerationOutcome {
                finish_reason: Some(ponder_store::EndReason::Stop),
                answer_tokens: 2,
                ..Default::default()
            })
            .await
            .unwrap();
        let input = RatingInput {
            answer: Some(*vote),
            reasoning: None,
            tags: vec![],
            comment: None,
            corrected_answer: None,
        };
        store.rate(a.id, input).await.unwrap();
    }
}

#[tokio::test]
async fn the_export_form_writes_files_reports_progress_and_stats_count_votes() {
    let dir = tempfile::tempdir().unwrap();
    let app =
        App::open(AppConfig { data_dir: dir.path().join("data"), bundled_model: PathBuf::new() })
            .await;
    answered(&app, "1 + 1?", &[Vote::Up, Vote::Down]).await;
    answered(&app, "2 + 2?", &[Vote::Up]).await;

    let stats = app.rating_stats().await.unwrap();
    assert_eq!((stats.up, stats.down), (2, 1));
    assert_eq!(stats.models, vec!["ponder-tiny".to_string()]);
    assert_eq!(stats.days.iter().map(|d| d.up + d.down).sum::<u64>(), 3);

    let folder = dir.path().join("out");
    let request: ExportRequest = serde_json::from_value(serde_json::json!({
        "folder": folder, "formats": ["kto", "dpo"], "reasoning": "separate",
        "models": [], "since_ms": null, "until_ms": null, "vote": null, "tags": [], "test_fraction": 0.0
    }))
    .unwrap();
    let mut progress = vec![];
    let summary = app.export(request, |n| progress.push(n)).await.unwrap();
    assert_eq!(progress.last(), Some(&3));
    assert_eq!(summary.report.pairs, 1);
    assert_eq!(summary.report.rows.get("kto.jsonl"), Some(&3));
    let dpo = std::fs::read_to_string(folder.join("dpo.jsonl")).unwrap();
    assert!(dpo.contains("answer 0") && dpo.contains("answer 1"), "{dpo}");

    let again: ExportRequest = serde_json::from_value(serde_json::json!({
        "folder": folder, "formats": ["kto"], "reasoning": "inline",
        "since_ms": null, "until_ms": null, "vote": null
    }))
    .unwrap();
    let e = app.export(again, |_| {}).await.unwrap_err();
    assert_eq!(e.kind().as_str(), "exists", "{e}");
}
