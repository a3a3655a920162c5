//! A damaged, locked or old database: clear errors naming the file, a backup before any repair or
//! upgrade, and nothing lost; many readers alongside a writer.

mod common;

use std::time::Duration;

use common::{answer, fresh_store};
use ponder_store::{SearchQuery, Store, StoreError, StoreOptions, MIGRATOR};
use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{Connection, SqliteConnection};

fn backups(dir: &std::path::Path, label: &str) -> Vec<std::path::PathBuf> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            name.contains(label) && name.ends_with(".bak")
        })
        .collect()
}

#[tokio::test]
async fn a_file_that_is_not_a_database_is_reported_then_moved_aside_by_repair() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("ponder.db");
    let garbage = "this is not a database, it is a shopping list\n".repeat(200);
    std::fs::write(&db, &garbage).unwrap();

    let e = Store::open(&db).await.unwrap_err();
    assert_eq!(e.kind().as_str(), "corrupt", "{e}");
    assert!(e.to_string().contains(&db.display().to_string()), "names the file: {e}");
    assert_eq!(std::fs::read_to_string(&db).unwrap(), garbage, "opening changed nothing");

    let report = Store::repair(&db).await.unwrap();
    assert!(!report.recovered);
    assert_eq!(
        std::fs::read_to_string(&report.backup).unwrap(),
        garbage,
        "backup is byte for byte"
    );
    let store = Store::open(&db).await.unwrap();
    assert_eq!(store.counts().await.unwrap(), (0, 0));
}

#[tokio::test]
async fn damaged_pages_give_a_corrupt_error_and_repair_keeps_a_backup() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("ponder.db");
    {
        let store = Store::open(&db).await.unwrap();
        for i in 0..200 {
            let (_, q) = store
                .start_conversation(&format!("question {i} {}", "x".repeat(300)))
                .await
                .unwrap();
            answer(&store, q.id, &"thinking ".repeat(50), "answer").await;
        }
        store.close().await;
    }
    let mut bytes = std::fs::read(&db).unwrap();
    let original_len = bytes.len();
    assert!(original_len > 40 * 4096, "enough pages to damage");
    // Scribble over every page after the first few (the schema stays readable).
    let page = 4096;
    for p in (6..original_len / page).step_by(2) {
        bytes[p * page..p * page + 64].fill(0xA5);
    }
    std::fs::write(&db, &bytes).unwrap();

    let error = match Store::open(&db).await {
        Err(e) => e,
        Ok(store) => {
            let mut failure = None;
            let list = store.list_conversations(500, None).await;
            if let Err(e) = list {
                failure = Some(e);
            } else {
                for c in list.unwrap().items {
                    if let Err(e) = store.thread(c.id).await {
                        failure = Some(e);
                        break;
                    }
                }
            }
            store.close().await;
            failure.expect("reading damaged pages fails")
        }
    };
    assert_eq!(error.kind().as_str(), "corrupt", "{error}");
    let before_repair = std::fs::read(&db).unwrap();
    let report = Store::repair(&db).await.unwrap();
    assert!(
        std::fs::read(&report.backup).unwrap() == before_repair,
        "the damaged file is kept as it was"
    );
    // Whatever was salvaged, the store opens again.
    Store::open(&db).await.unwrap();
}

#[tokio::test]
async fn a_lock_held_by_another_program_is_reported_and_nothing_is_lost() {
    let (dir, store) = fresh_store().await;
    let db = dir.path().join("ponder.db");
    store.start_conversation("before the lock").await.unwrap();

    let mut other =
        SqliteConnection::connect_with(&SqliteConnectOptions::new().filename(&db)).await.unwrap();
    sqlx::query("BEGIN EXCLUSIVE").execute(&mut other).await.unwrap();

    let mut opts = StoreOptions::new(&db);
    opts.busy_timeout = Duration::from_millis(200);
    let e = Store::open_with(opts.clone()).await.unwrap_err();
    assert!(matches!(e, StoreError::Locked { .. }), "{e:?}");
    assert!(e.to_string().contains("locked"), "{e}");
    // Reads still work while another program writes (WAL).
    assert_eq!(store.counts().await.unwrap(), (1, 1));

    sqlx::query("ROLLBACK").execute(&mut other).await.unwrap();
    other.close().await.unwrap();
    let store = Store::open_with(opts).await.unwrap();
    store.start_conversation("after the lock").await.unwrap();
    assert_eq!(store.counts().await.unwrap(), (2, 2));
}

/// Builds a database with only the first migration and fills it the way that schema's Ponder did.
async fn first_schema_database(db: &std::path::Path) {
    let only_first = tempfile::tempdir().unwrap();
    let first = MIGRATOR.iter().next().unwrap();
    let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations");
    let file = std::fs::read_dir(&src)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| {
            p.file_name().unwrap().to_string_lossy().starts_with(&format!("{:04}_", first.version))
        })
        .unwrap();
    std::fs::copy(&file, only_first.path().join(file.file_name().unwrap())).unwrap();
    let migrator = sqlx::migrate::Migrator::new(only_first.path()).await.unwrap();
    let opts = SqliteConnectOptions::new().filename(db).create_if_missing(true);
    let mut conn = SqliteConnection::connect_with(&opts).await.unwrap();
    migrator.run(&mut conn).await.unwrap();
    sqlx::raw_sql(
        "INSERT INTO conversations (id, title, created_at, updated_at) VALUES (1, 'Old apples', 1, 2);
         INSERT INTO messages (id, conversation_id, parent_id, role, content, status, created_at, updated_at)
             VALUES (1, 1, NULL, 'user', 'How many 苹果 in the orchard?', 'complete', 1, 1);
         INSERT INTO messages (id, conversation_id, parent_id, role, content, thinking, status, created_at, updated_at)
             VALUES (2, 1, 1, 'assistant', 'Forty-two orchard apples.', 'count rows', 'complete', 2, 2);
         INSERT INTO messages (id, conversation_id, parent_id, role, content, thinking, status, created_at, updated_at)
             VALUES (3, 1, 1, 'assistant', 'Half of', '', 'generating', 3, 3);
         INSERT INTO generations (message_id, model_id, device, thinking_enabled, app_version)
             VALUES (2, 'ponder-tiny', 'cpu', 1, '0.1.0'), (3, 'ponder-tiny', 'cpu', 1, '0.1.0');
         INSERT INTO ratings (message_id, answer_vote, tags, created_at, updated_at)
             VALUES (2, 1, '[\"correct\"]', 5, 5);
         UPDATE messages SET active_child_id = 2 WHERE id = 1;
         UPDATE conversations SET active_root_id = 1 WHERE id = 1;",
    )
    .execute(&mut conn)
    .await
    .unwrap();
    conn.close().await.unwrap();
}

#[tokio::test]
async fn every_migration_carries_a_first_schema_database_forward_after_a_backup() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("ponder.db");
    first_schema_database(&db).await;

    let store = Store::open(&db).await.unwrap();
    assert_eq!(backups(dir.path(), "before-v").len(), 1, "backed up before upgrading");
    let thread = store.thread(ponder_store::ConversationId(1)).await.unwrap();
    assert_eq!(thread.messages.len(), 3);
    assert_eq!(thread.active_path.len(), 2);
    let old = thread.message(ponder_store::MessageId(2)).unwrap();
    assert_eq!(old.rating.as_ref().unwrap().input.tags, vec![ponder_store::RatingTag::Correct]);
    // The generations table is rebuilt by a later migration: its rows come through whole.
    assert_eq!(old.generation.as_ref().unwrap().settings.model.id, "ponder-tiny");
    assert!(old.vote.is_none() && old.check.is_none());
    let streaming = thread.message(ponder_store::MessageId(3)).unwrap();
    assert_eq!(streaming.status, ponder_store::MessageStatus::Interrupted);
    // What the old schema held is searchable after the upgrade, Chinese included.
    for text in ["orchard", "苹果", "Old apples"] {
        let hits = store
            .search(&SearchQuery { text: text.into(), include_thinking: false, limit: 9 })
            .await
            .unwrap();
        assert!(!hits.is_empty(), "{text}");
    }
    store.close().await;
    // Opening an up-to-date database makes no further backup.
    Store::open(&db).await.unwrap();
    assert_eq!(backups(dir.path(), "before-v").len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn readers_and_a_writer_work_at_the_same_time() {
    let (_dir, store) = fresh_store().await;
    let writer = {
        let store = store.clone();
        tokio::spawn(async move {
            for i in 0..60 {
                let (_, q) =
                    store.start_conversation(&format!("concurrent question {i}")).await.unwrap();
                answer(&store, q.id, "thinking about it", &format!("answer number {i}")).await;
            }
        })
    };
    let readers: Vec<_> = (0..4)
        .map(|r| {
            let store = store.clone();
            tokio::spawn(async move {
                let mut reads = 0;
                for _ in 0..40 {
                    let page = store.list_conversations(20, None).await.unwrap();
                    if let Some(c) = page.items.first() {
                        let thread = store.thread(c.id).await.unwrap();
                        assert!(!thread.messages.is_empty());
                    }
                    let q = SearchQuery {
                        text: format!("number {r}"),
                        include_thinking: r % 2 == 0,
                        limit: 5,
                    };
                    store.search(&q).await.unwrap();
                    reads += 1;
                }
                reads
            })
        })
        .collect();
    writer.await.unwrap();
    for r in readers {
        assert_eq!(r.await.unwrap(), 40);
    }
    assert_eq!(store.counts().await.unwrap(), (60, 120));
}
