//! Ponder's history and ratings, kept in one SQLite file through sqlx. This crate is the only code
//! that writes SQL.
//!
//! A [`Store`] holds conversations whose messages form a tree (a regenerated answer or an edited
//! question is a sibling of the one it replaces), each answer with its thinking kept apart from the
//! answer text and the exact model and settings that produced it, and the ratings people give them.
//! Answers are saved while they stream ([`AnswerWriter`]): if the process dies, at most about a second
//! of text is lost and the answer is kept, marked interrupted, on the next start.
//!
//! ```no_run
//! # async fn demo() -> ponder_store::Result<()> {
//! use ponder_store::{Store, RatingInput, Vote};
//! let store = Store::open("/tmp/ponder.db").await?;
//! let (_conversation, question) = store.start_conversation("What is 347 + 589?").await?;
//! # let settings: ponder_store::GenerationSettings = unimplemented!();
//! let writer = store.begin_answer(question.id, settings).await?;
//! writer.push_thinking("7 + 9 = 16, write 6, carry 1...");
//! writer.push_answer("347 + 589 = 936.");
//! let answer = writer.finish(Default::default()).await?;
//! store.rate(answer.id, RatingInput { answer: Some(Vote::Up), ..Default::default() }).await?;
//! # Ok(()) }
//! ```
//!
//! Architecture invariant: no Tauri, no engine. Callers convert their own types into the records here.

mod error;
pub mod fixtures;
mod location;
mod open;
mod queries;
mod rating;
mod salvage;
mod search;
mod stream;
mod thinking_harder;
mod types;

use std::path::PathBuf;
use std::time::Duration;

pub use error::{Result, StoreError};
pub use location::{data_dir, database_path, DATABASE_FILE, DATA_DIR_ENV};
pub use open::{RepairReport, StoreOptions, MIGRATOR};
pub use queries::{RatedAnswer, RatedPage, RatingFilter};
pub use rating::{Rating, RatingEvent, RatingInput, RatingTag, Vote};
pub use search::{SearchField, SearchHit, SearchQuery, SnippetPart};
pub use stream::AnswerWriter;
pub use thinking_harder::{
    AnswerCheck, AnswerMode, ChainVote, CheckInput, CheckMethod, CheckVerdict, NewVote, VotePage,
    VoteResult, VotedChain, VotedQuestion,
};
pub use types::*;

/// An open database. Cheap to clone; clones share the connections.
#[derive(Clone, Debug)]
pub struct Store {
    path: PathBuf,
    /// One connection: writes never wait on each other for SQLite's lock.
    writer: sqlx::SqlitePool,
    /// Read-only connections; in WAL mode they read while the writer writes.
    reader: sqlx::SqlitePool,
    flush_interval: Duration,
    clock: Clock,
}

/// Where the store's times come from.
#[derive(Clone, Debug, Default)]
pub enum Clock {
    /// The system clock (Unix milliseconds).
    #[default]
    System,
    /// A counter that starts at a fixed time and advances one second per reading, for tests whose
    /// output must be byte-identical from run to run.
    Fixed(std::sync::Arc<std::sync::atomic::AtomicI64>),
}

impl Clock {
    /// A fixed clock starting at `start_ms`.
    pub fn fixed(start_ms: i64) -> Self {
        Clock::Fixed(std::sync::Arc::new(std::sync::atomic::AtomicI64::new(start_ms)))
    }

    /// The current time in Unix milliseconds.
    pub fn now_ms(&self) -> i64 {
        match self {
            Clock::System => now_ms(),
            Clock::Fixed(t) => t.fetch_add(1000, std::sync::atomic::Ordering::SeqCst),
        }
    }
}

impl Store {
    fn now(&self) -> i64 {
        self.clock.now_ms()
    }

    fn sql_err(&self) -> impl Fn(sqlx::Error) -> StoreError + '_ {
        move |e| StoreError::from_sqlx(&self.path, e)
    }
}

/// Milliseconds since the Unix epoch.
pub(crate) fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}
