//! Rebuilding a damaged database from whatever SQLite can still read, table by table and row by row.
//!
//! `VACUUM INTO` gives up at the first unreadable page, and a read-only connection cannot even open a
//! WAL database's journal, so neither keeps a person's history. Instead the damaged file (a working
//! copy, never the original) is attached to a fresh database of the current schema and its rows are
//! copied in rowid ranges; a range that fails is retried row by row, so one bad page loses only the
//! rows on it. References left dangling by lost rows are mended, and the copy must pass SQLite's
//! `integrity_check` and `foreign_key_check` before anything replaces the original.

use std::path::{Path, PathBuf};
use std::time::Duration;

use sqlx::sqlite::SqlitePoolOptions;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous};
use sqlx::SqlitePool;

use crate::open::MIGRATOR;

/// Rows copied per statement while the pages read fine.
const CHUNK: i64 = 256;
/// When a table's largest rowid cannot be read, scanning stops after this many empty ranges in a row.
const EMPTY_RANGES_BEFORE_GIVING_UP: u32 = 64;
/// With the largest rowid known, a gap this long (a million rowids) without a readable row ends the scan
/// too: the tree may be unreadable from its root, or the largest rowid itself damaged.
const EMPTY_RANGES_KNOWN_END: u32 = 4096;

/// The tables worth keeping, parents first. The search indexes are rebuilt by the schema's triggers.
const TABLES: [&str; 8] = [
    "conversations",
    "messages",
    "generations",
    "ratings",
    "rating_events",
    "votes",
    "vote_chains",
    "checks",
];

/// What a salvage copied.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Salvaged {
    /// Conversations in the rebuilt database (including ones recreated for surviving messages).
    pub conversations: u64,
    /// Messages (questions and answers) in the rebuilt database.
    pub messages: u64,
    /// Ratings in the rebuilt database.
    pub ratings: u64,
    /// Rows SQLite could not read (on damaged pages), across all tables.
    pub unreadable_rows: u64,
}

/// Copies what can be read from `damaged` (with its `-wal`, if any, beside it) into a new database at
/// `dest`, and verifies the result. `damaged` may be modified (its WAL is replayed): pass a copy.
pub(crate) async fn salvage(damaged: &Path, dest: &Path) -> sqlx::Result<Salvaged> {
    let dest_opts = SqliteConnectOptions::new()
        .filename(dest)
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal)
        // Lost parents must not take surviving children with them; references are mended below.
        .foreign_keys(false)
        .busy_timeout(Duration::from_secs(3));
    // One connection, kept for the whole salvage: the damaged file is attached to it.
    let db = SqlitePoolOptions::new()
        .max_connections(1)
        .idle_timeout(None)
        .max_lifetime(None)
        .connect_with(dest_opts)
        .await?;
    let migrated = MIGRATOR.run(&db).await.map_err(|e| match e {
        sqlx::migrate::MigrateError::Execute(e) => e,
        other => sqlx::Error::Migrate(Box::new(other)),
    });
    let result = match migrated {
        Ok(()) => copy_and_verify(&db, damaged).await,
        Err(e) => Err(e),
    };
    let _ = sqlx::query("DETACH DATABASE damaged").execute(&db).await;
    db.close().await;
    result
}

async fn copy_and_verify(db: &SqlitePool, damaged: &Path) -> sqlx::Result<Salvaged> {
    let attached = sqlx::query("ATTACH DATABASE ?1 AS damaged")
        .bind(damaged.to_string_lossy().into_owned())
        .execute(db)
        .await;
    let mut unreadable = 0;
    match attached {
        // Not a database at all (or its header is gone): the new one starts empty.
        Err(e) => tracing::warn!(error = %e, "nothing can be read from the damaged database"),
        Ok(_) => {
            for table in TABLES {
                unreadable += copy_table(db, table).await?;
            }
        }
    }
    mend_references(db).await?;
    verify(db).await?;
    let mut counts = [0u64; 3];
    for (n, table) in counts.iter_mut().zip(["conversations", "messages", "ratings"]) {
        let sql = format!("SELECT count(*) FROM main.{table}");
        *n = sqlx::query_scalar::<_, i64>(&sql).fetch_one(db).await? as u64;
    }
    let [conversations, messages, ratings] = counts;
    Ok(Salvaged { conversations, messages, ratings, unreadable_rows: unreadable })
}

/// The column names of `schema.table`, or none when the table cannot be read at all.
async fn columns(db: &SqlitePool, schema: &str, table: &str) -> Vec<String> {
    sqlx::query_scalar::<_, String>(&format!("SELECT name FROM pragma_table_info(?1, '{schema}')"))
        .bind(table)
        .fetch_all(db)
        .await
        .unwrap_or_default()
}

/// Copies one table; returns how many rows could not be read.
async fn copy_table(db: &SqlitePool, table: &str) -> sqlx::Result<u64> {
    let wanted = columns(db, "main", table).await;
    // Columns both schemas have, so a database from an older Ponder is carried forward too.
    let shared: Vec<String> = columns(db, "damaged", table)
        .await
        .into_iter()
        .filter(|c| wanted.contains(c))
        .map(|c| format!("\"{}\"", c.replace('"', "\"\"")))
        .collect();
    if shared.is_empty() {
        tracing::warn!(table, "the table cannot be read from the damaged database");
        return Ok(0);
    }
    let list = shared.join(", ");
    // OR IGNORE: a row whose values no longer satisfy the schema's checks is skipped, not fatal.
    let range_sql = format!(
        "INSERT OR IGNORE INTO main.{table} ({list}) SELECT {list} FROM damaged.{table} \
         WHERE rowid >= ?1 AND rowid < ?2"
    );
    let row_sql = format!(
        "INSERT OR IGNORE INTO main.{table} ({list}) SELECT {list} FROM damaged.{table} WHERE rowid = ?1"
    );
    // The rightmost path of the table's tree often survives damage elsewhere; when it does not, the
    // scan goes on until a long run of ranges holds nothing.
    let last: Option<i64> = sqlx::query_scalar(&format!("SELECT max(rowid) FROM damaged.{table}"))
        .fetch_one(db)
        .await
        .ok()
        .flatten();
    let mut failures: Vec<(i64, u64)> = Vec::new();
    let mut last_copied: i64 = 0;
    // Ranges in a row that gave nothing, readable or not: past the largest rowid (when it is unknown)
    // or where the table's tree is unreadable from its root, the scan has to end somewhere.
    let mut empty_run = 0;
    let give_up =
        if last.is_some() { EMPTY_RANGES_KNOWN_END } else { EMPTY_RANGES_BEFORE_GIVING_UP };
    // Ponder's ids start at 1 (SQLite never picks a rowid below 1 by itself).
    let mut lo: i64 = 0;
    while last.is_none_or(|last| lo <= last) && empty_run < give_up {
        let hi = lo.saturating_add(CHUNK);
        let copied = match sqlx::query(&range_sql).bind(lo).bind(hi).execute(db).await {
            Ok(done) => done.rows_affected(),
            Err(_) => {
                let mut copied = 0;
                let mut failed = 0;
                for id in lo..hi {
                    match sqlx::query(&row_sql).bind(id).execute(db).await {
                        Ok(done) => copied += done.rows_affected(),
                        Err(_) => failed += 1,
                    }
                }
                failures.push((lo, failed));
                copied
            }
        };
        if copied > 0 {
            last_copied = lo;
        }
        empty_run = if copied == 0 { empty_run + 1 } else { 0 };
        lo = hi;
    }
    // A rowid that cannot be read is known to be a lost row below the largest rowid (or below the last
    // row read, when the largest is unreadable too); past it, it may never have existed.
    let end = last.unwrap_or(last_copied);
    let unreadable: u64 = failures.iter().filter(|(lo, _)| *lo <= end).map(|(_, n)| n).sum();
    if unreadable > 0 {
        tracing::warn!(table, unreadable, "rows on damaged pages could not be read");
    }
    Ok(unreadable)
}

/// Rows whose parents were lost: messages get a conversation back (titled from their first question),
/// a message whose parent is gone starts a branch of its own, and pointers to lost rows are cleared.
async fn mend_references(db: &SqlitePool) -> sqlx::Result<()> {
    sqlx::raw_sql(
        "INSERT INTO main.conversations (id, title, created_at, updated_at)
             SELECT m.conversation_id,
                    coalesce((SELECT substr(q.content, 1, 80) FROM main.messages q
                              WHERE q.conversation_id = m.conversation_id AND q.role = 'user'
                              ORDER BY q.id LIMIT 1), 'Recovered conversation'),
                    min(m.created_at), max(m.updated_at)
             FROM main.messages m
             WHERE m.conversation_id NOT IN (SELECT id FROM main.conversations)
             GROUP BY m.conversation_id;
         UPDATE main.messages SET parent_id = NULL
             WHERE parent_id IS NOT NULL AND parent_id NOT IN (SELECT id FROM main.messages);
         UPDATE main.messages SET active_child_id = NULL
             WHERE active_child_id IS NOT NULL AND active_child_id NOT IN (SELECT id FROM main.messages);
         UPDATE main.conversations SET active_root_id = NULL
             WHERE active_root_id IS NOT NULL AND active_root_id NOT IN (SELECT id FROM main.messages);
         DELETE FROM main.generations WHERE message_id NOT IN (SELECT id FROM main.messages);
         DELETE FROM main.ratings WHERE message_id NOT IN (SELECT id FROM main.messages);
         DELETE FROM main.rating_events WHERE message_id NOT IN (SELECT id FROM main.messages);
         DELETE FROM main.votes WHERE question_id NOT IN (SELECT id FROM main.messages);
         DELETE FROM main.vote_chains WHERE message_id NOT IN (SELECT id FROM main.messages)
             OR vote_id NOT IN (SELECT id FROM main.votes);
         DELETE FROM main.checks WHERE message_id NOT IN (SELECT id FROM main.messages);",
    )
    .execute(db)
    .await?;
    Ok(())
}

/// The rebuilt file must be whole and consistent before it may replace anything.
async fn verify(db: &SqlitePool) -> sqlx::Result<()> {
    let integrity: Vec<String> =
        sqlx::query_scalar("PRAGMA main.integrity_check").fetch_all(db).await?;
    if integrity != ["ok"] {
        return Err(sqlx::Error::Protocol(format!(
            "the rebuilt database fails its integrity check: {}",
            integrity.join("; ")
        )));
    }
    let dangling: Vec<String> =
        sqlx::query_scalar("SELECT \"table\" FROM pragma_foreign_key_check").fetch_all(db).await?;
    if !dangling.is_empty() {
        return Err(sqlx::Error::Protocol(format!(
            "the rebuilt database has rows with missing parents in: {}",
            dangling.join(", ")
        )));
    }
    Ok(())
}

/// `ponder.db` → `ponder.db-wal` (or `-shm`).
pub(crate) fn side_file(path: &Path, suffix: &str) -> PathBuf {
    let mut side = path.as_os_str().to_os_string();
    side.push(suffix);
    PathBuf::from(side)
}
