//! Repair keeps what can be read: a WAL database of 280 conversations has leaf pages overwritten, with
//! its WAL kept and with it dropped; every conversation and message whose row sits on an undamaged page
//! comes back, the damaged files are kept aside byte for byte, and the search index is rebuilt.

mod common;

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::path::{Path, PathBuf};

use common::answer;
use ponder_store::{ConversationId, RatingInput, Store, Vote};
use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{Connection, SqliteConnection};

const PAGE: usize = 4096;

/// What the undamaged database held: titles by conversation, contents by message.
#[derive(Default)]
struct Contents {
    titles: BTreeMap<i64, String>,
    messages: BTreeMap<i64, (i64, String)>,
}

fn side(path: &Path, suffix: &str) -> PathBuf {
    let mut s = path.as_os_str().to_os_string();
    s.push(suffix);
    PathBuf::from(s)
}

/// 240 conversations checkpointed into the main file, then 40 more (and some ratings) left in the WAL,
/// copied while the store is still open as a crash would leave them.
async fn crashed_wal_database(dir: &Path) -> PathBuf {
    let live = dir.join("live.db");
    let ask = |store: Store, range: std::ops::Range<usize>| async move {
        for i in range {
            let (_, q) = store
                .start_conversation(&format!("question number {i}: what is {i} + {}?", i * 7))
                .await
                .unwrap();
            let a = answer(
                &store,
                q.id,
                &format!("add {i} and {} digit by digit", i * 7),
                &format!("answer {}", i * 8),
            )
            .await;
            if i % 3 == 0 {
                let vote = if i % 2 == 0 { Vote::Up } else { Vote::Down };
                store
                    .rate(a.id, RatingInput { answer: Some(vote), ..Default::default() })
                    .await
                    .unwrap();
            }
        }
        store
    };
    let store = ask(Store::open(&live).await.unwrap(), 0..240).await;
    store.close().await;
    let store = ask(Store::open(&live).await.unwrap(), 240..280).await;
    let crashed = dir.join("ponder.db");
    std::fs::copy(&live, &crashed).unwrap();
    std::fs::copy(side(&live, "-wal"), side(&crashed, "-wal")).unwrap();
    store.close().await;
    assert!(
        std::fs::metadata(side(&crashed, "-wal")).unwrap().len() > 0,
        "the WAL holds the last writes"
    );
    crashed
}

/// A private copy of `db` (with its WAL when `with_wal`), checkpointed so its file shows every page as
/// SQLite sees it; returns the copy's path.
async fn checkpointed_copy(db: &Path, with_wal: bool, scratch: &Path) -> PathBuf {
    let copy = scratch.join(format!("image-{with_wal}.db"));
    std::fs::copy(db, &copy).unwrap();
    if with_wal {
        std::fs::copy(side(db, "-wal"), side(&copy, "-wal")).unwrap();
    }
    let mut conn =
        SqliteConnection::connect_with(&SqliteConnectOptions::new().filename(&copy)).await.unwrap();
    sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)").execute(&mut conn).await.unwrap();
    conn.close().await.unwrap();
    copy
}

async fn contents(image: &Path) -> Contents {
    let mut conn =
        SqliteConnection::connect_with(&SqliteConnectOptions::new().filename(image)).await.unwrap();
    let mut c = Contents::default();
    for (id, title) in sqlx::query_as::<_, (i64, String)>("SELECT id, title FROM conversations")
        .fetch_all(&mut conn)
        .await
        .unwrap()
    {
        c.titles.insert(id, title);
    }
    for (id, conv, content) in
        sqlx::query_as::<_, (i64, i64, String)>("SELECT id, conversation_id, content FROM messages")
            .fetch_all(&mut conn)
            .await
            .unwrap()
    {
        c.messages.insert(id, (conv, content));
    }
    conn.close().await.unwrap();
    c
}

/// Reads a SQLite varint; returns the value and its length.
fn varint(bytes: &[u8]) -> (i64, usize) {
    let mut v: i64 = 0;
    for (i, b) in bytes.iter().enumerate().take(9) {
        if i == 8 {
            return ((v << 8) | i64::from(*b), 9);
        }
        v = (v << 7) | i64::from(b & 0x7f);
        if b & 0x80 == 0 {
            return (v, i + 1);
        }
    }
    (v, 9)
}

/// The rowids on each leaf page of `table` (from SQLite's dbstat table and the file format).
async fn leaf_rowids(image: &Path, table: &str) -> BTreeMap<u32, Vec<i64>> {
    let mut conn =
        SqliteConnection::connect_with(&SqliteConnectOptions::new().filename(image)).await.unwrap();
    let pages: Vec<i64> =
        sqlx::query_scalar("SELECT pageno FROM dbstat WHERE name = ?1 AND pagetype = 'leaf'")
            .bind(table)
            .fetch_all(&mut conn)
            .await
            .unwrap();
    conn.close().await.unwrap();
    let bytes = std::fs::read(image).unwrap();
    let mut out = BTreeMap::new();
    for p in pages {
        let base = (p as usize - 1) * PAGE;
        let page = &bytes[base..base + PAGE];
        assert_eq!(page[0], 0x0d, "page {p} is a table leaf");
        let cells = u16::from_be_bytes([page[3], page[4]]) as usize;
        let mut rowids = Vec::new();
        for c in 0..cells {
            let at = u16::from_be_bytes([page[8 + 2 * c], page[9 + 2 * c]]) as usize;
            let (_, n) = varint(&page[at..]);
            rowids.push(varint(&page[at + n..]).0);
        }
        out.insert(p as u32, rowids);
    }
    out
}

/// Page numbers the WAL has frames for (those override the main file's copy of the page).
fn wal_pages(db: &Path) -> HashSet<u32> {
    let wal = std::fs::read(side(db, "-wal")).unwrap();
    let mut pages = HashSet::new();
    let mut at = 32;
    while at + 24 + PAGE <= wal.len() {
        pages.insert(u32::from_be_bytes(wal[at..at + 4].try_into().unwrap()));
        at += 24 + PAGE;
    }
    pages
}

/// Overwrites every third leaf page of the conversations and messages tables that the reader will
/// take from the main file; returns the rowids that were on them.
async fn damage(db: &Path, image: &Path, keep_wal: bool) -> (BTreeSet<i64>, BTreeSet<i64>) {
    let overridden = if keep_wal { wal_pages(db) } else { HashSet::new() };
    let mut bytes = std::fs::read(db).unwrap();
    let mut lost = Vec::new();
    for table in ["conversations", "messages"] {
        let mut gone = BTreeSet::new();
        let leaves = leaf_rowids(image, table).await;
        let eligible: Vec<_> =
            leaves.iter().filter(|(p, _)| !overridden.contains(p) && **p > 1).collect();
        assert!(eligible.len() >= 3, "{table}: enough leaf pages to damage ({})", eligible.len());
        for (page, rowids) in eligible.into_iter().step_by(3) {
            let base = (*page as usize - 1) * PAGE;
            bytes[base..base + PAGE].fill(0xA5);
            gone.extend(rowids.iter().copied());
        }
        lost.push(gone);
    }
    std::fs::write(db, &bytes).unwrap();
    if !keep_wal {
        std::fs::remove_file(side(db, "-wal")).unwrap();
        let _ = std::fs::remove_file(side(db, "-shm"));
    }
    let messages = lost.pop().unwrap();
    (lost.pop().unwrap(), messages)
}

async fn repair_keeps_every_row_on_an_undamaged_page(keep_wal: bool) {
    let dir = tempfile::tempdir().unwrap();
    let db = crashed_wal_database(dir.path()).await;
    let image = checkpointed_copy(&db, keep_wal, dir.path()).await;
    let before = contents(&image).await;
    assert!(before.titles.len() >= if keep_wal { 280 } else { 240 }, "{}", before.titles.len());
    let (lost_conversations, lost_messages) = damage(&db, &image, keep_wal).await;
    assert!(!lost_conversations.is_empty() && !lost_messages.is_empty());
    let damaged_main = std::fs::read(&db).unwrap();
    let damaged_wal = keep_wal.then(|| std::fs::read(side(&db, "-wal")).unwrap());

    let report = Store::repair(&db).await.unwrap();

    assert_eq!(
        std::fs::read(&report.backup).unwrap(),
        damaged_main,
        "the damaged file is kept aside"
    );
    if let Some(wal) = damaged_wal {
        assert_eq!(std::fs::read(side(&report.backup, "-wal")).unwrap(), wal, "and its WAL");
    }
    assert!(report.recovered);
    assert!(report.unreadable_rows > 0, "rows on damaged pages are counted: {report:?}");
    let store = Store::open(&db).await.unwrap();
    let mut kept_conversations = 0;
    for (id, title) in &before.titles {
        if lost_conversations.contains(id) {
            continue;
        }
        let c = store
            .conversation(ConversationId(*id))
            .await
            .unwrap_or_else(|e| panic!("conversation {id}: {e}"));
        assert_eq!(&c.title, title);
        kept_conversations += 1;
    }
    let mut kept_messages = 0;
    for (id, (conv, content)) in &before.messages {
        if lost_messages.contains(id) {
            continue;
        }
        let thread = store
            .thread(ConversationId(*conv))
            .await
            .unwrap_or_else(|e| panic!("conversation {conv}: {e}"));
        let m = thread
            .message(ponder_store::MessageId(*id))
            .unwrap_or_else(|| panic!("message {id} of conversation {conv} is back"));
        assert_eq!(&m.content, content);
        kept_messages += 1;
    }
    eprintln!(
        "WAL {}: {kept_conversations} of {} conversations and {kept_messages} of {} messages on undamaged \
         pages, all back; report: {report:?}",
        if keep_wal { "kept" } else { "dropped" },
        before.titles.len(),
        before.messages.len()
    );
    assert!(
        kept_conversations > before.titles.len() / 2,
        "{kept_conversations} of {}",
        before.titles.len()
    );
    assert!(
        kept_messages > before.messages.len() / 2,
        "{kept_messages} of {}",
        before.messages.len()
    );
    assert!(report.conversations as usize >= kept_conversations, "{report:?}");
    assert!(report.messages as usize >= kept_messages, "{report:?}");
    // Every conversation opens, and the search index was rebuilt from the recovered rows.
    let list = store.list_conversations(500, None).await.unwrap();
    for c in &list.items {
        store.thread(c.id).await.unwrap();
    }
    let (&survivor, (_, text)) =
        before.messages.iter().rev().find(|(id, _)| !lost_messages.contains(id)).unwrap();
    let hits = store
        .search(&ponder_store::SearchQuery {
            text: text.clone(),
            include_thinking: false,
            limit: 50,
        })
        .await
        .unwrap();
    assert!(
        hits.iter().any(|h| h.message_id == Some(ponder_store::MessageId(survivor))),
        "search finds message {survivor}: {text}"
    );
    store.close().await;
}

#[tokio::test]
async fn repair_of_a_damaged_wal_database_with_its_wal_keeps_every_readable_row() {
    repair_keeps_every_row_on_an_undamaged_page(true).await;
}

#[tokio::test]
async fn repair_of_a_damaged_wal_database_without_its_wal_keeps_every_readable_row() {
    repair_keeps_every_row_on_an_undamaged_page(false).await;
}
