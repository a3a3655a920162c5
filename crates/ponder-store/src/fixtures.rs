//! Large rated histories for benchmarks, written straight into the tables in one transaction:
//! building 100,000 rated answers through the store's API takes minutes, and a benchmark of reading
//! them should not wait for that. The rows are what the API would write.

use std::path::Path;

use sqlx::Connection;

use crate::{Result, Store, StoreError};

/// Replaces the database at `path` with `pairs` conversations, each a question with two rated answers
/// (one up, one down) by `ponder-tiny`, with a few lines of thinking.
pub async fn seed_rated_pairs(path: &Path, pairs: usize) -> Result<()> {
    let _ = std::fs::remove_file(path);
    Store::open(path).await?.close().await;
    let fail = |e| StoreError::from_sqlx(path, e);
    let opts = sqlx::sqlite::SqliteConnectOptions::new().filename(path);
    let mut conn = sqlx::SqliteConnection::connect_with(&opts).await.map_err(fail)?;
    let mut tx = conn.begin().await.map_err(fail)?;
    let thinking = "Add the digits from the right, writing each carry. ".repeat(6);
    for c in 0..pairs as i64 {
        let (q, a, b) = (3 * c + 1, 3 * c + 2, 3 * c + 3);
        sqlx::query(
            "INSERT INTO conversations (id, title, created_at, updated_at) VALUES (?1, 'q', ?1, ?1)",
        )
        .bind(c + 1)
        .execute(&mut *tx)
        .await
        .map_err(fail)?;
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
        .execute(&mut *tx)
        .await
        .map_err(fail)?;
        sqlx::query(
            "INSERT INTO generations (message_id, model_id, device, thinking_enabled, app_version, total_ms, finish_reason)
             VALUES (?1, 'ponder-tiny', 'cpu', 1, '0.1.0', 100, 'stop'), (?2, 'ponder-tiny', 'cpu', 1, '0.1.0', 100, 'stop')",
        )
        .bind(a)
        .bind(b)
        .execute(&mut *tx)
        .await
        .map_err(fail)?;
        sqlx::query(
            "INSERT INTO ratings (message_id, answer_vote, tags, created_at, updated_at)
             VALUES (?1, 1, '[\"correct\"]', 5, 5), (?2, -1, '[\"wrong_answer\"]', 5, 5)",
        )
        .bind(a)
        .bind(b)
        .execute(&mut *tx)
        .await
        .map_err(fail)?;
    }
    tx.commit().await.map_err(fail)?;
    conn.close().await.map_err(fail)?;
    Ok(())
}
