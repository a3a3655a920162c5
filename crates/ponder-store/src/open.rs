//! Opening the database: pragmas, a backup before any upgrade, migrations, crash recovery, repair.

use std::path::{Path, PathBuf};
use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::SqlitePool;

use crate::error::{Result, StoreError};
use crate::salvage::{salvage, side_file};
use crate::{now_ms, Store};

/// The schema, embedded in the binary.
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// How to open a store.
#[derive(Clone, Debug)]
pub struct StoreOptions {
    /// The database file (created with its folder if missing).
    pub path: PathBuf,
    /// How long to wait for another connection's lock before reporting [`StoreError::Locked`].
    pub busy_timeout: Duration,
    /// How often a streamed answer is written while it grows: at most this much text is lost if
    /// the process is killed.
    pub flush_interval: Duration,
    /// Connections for reading (writes share one connection, so they never wait on each other).
    pub readers: u32,
    /// Where times come from.
    pub clock: crate::Clock,
}

impl StoreOptions {
    /// Defaults for the database at `path`.
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Self {
            path: path.into(),
            busy_timeout: Duration::from_secs(3),
            flush_interval: Duration::from_secs(1),
            readers: 4,
            clock: crate::Clock::System,
        }
    }
}

/// What [`Store::repair`] did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RepairReport {
    /// A byte-for-byte copy of the damaged file, made before anything else.
    pub backup: PathBuf,
    /// Whether any conversation or message could be copied into the new database (otherwise it
    /// starts empty).
    pub recovered: bool,
    /// Conversations in the repaired database.
    pub conversations: u64,
    /// Messages (questions and answers) in the repaired database.
    pub messages: u64,
    /// Ratings in the repaired database.
    pub ratings: u64,
    /// Rows that sat on unreadable pages and could not be recovered.
    pub unreadable_rows: u64,
}

fn connect_options(opts: &StoreOptions) -> SqliteConnectOptions {
    SqliteConnectOptions::new()
        .filename(&opts.path)
        .create_if_missing(true)
        // WAL: readers never block the writer, and a crash loses nothing that was committed.
        .journal_mode(SqliteJournalMode::Wal)
        // NORMAL in WAL mode survives a process crash; only a power cut can undo the last commits.
        .synchronous(SqliteSynchronous::Normal)
        .foreign_keys(true)
        .busy_timeout(opts.busy_timeout)
}

fn io_err<'a>(
    action: &'static str,
    path: &'a Path,
) -> impl FnOnce(std::io::Error) -> StoreError + 'a {
    move |source| StoreError::Io { action, path: path.to_path_buf(), source }
}

/// `ponder.db` → `ponder.db.<label>-<millis>.bak`, next to it.
fn backup_path(path: &Path, label: &str) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(format!(".{label}-{}.bak", now_ms()));
    path.with_file_name(name)
}

/// Removes a database file and its side files, if there.
fn remove_all(p: &Path) {
    for suffix in ["", "-wal", "-shm", "-journal"] {
        let _ = std::fs::remove_file(side_file(p, suffix));
    }
}

/// Repair's first step, byte for byte: the damaged file and its `-wal`/`-shm` to `backup` (kept for the
/// person), then the file and its WAL to `work` (which the salvage reads, and SQLite may change).
fn copy_aside(path: &Path, backup: &Path, work: &Path) -> Result<()> {
    std::fs::copy(path, backup).map_err(io_err("backing up", path))?;
    for suffix in ["-wal", "-shm"] {
        let side = side_file(path, suffix);
        if side.exists() {
            std::fs::copy(&side, side_file(backup, suffix)).map_err(io_err("backing up", &side))?;
        }
    }
    let copied = std::fs::copy(path, work).and_then(|_| {
        let wal = side_file(path, "-wal");
        if wal.exists() {
            std::fs::copy(&wal, side_file(work, "-wal"))?;
        }
        Ok(())
    });
    copied.map_err(|source| {
        remove_all(work);
        StoreError::Io { action: "copying", path: path.to_path_buf(), source }
    })
}

impl Store {
    /// Opens (or creates) the database at `path` with default options.
    pub async fn open(path: impl Into<PathBuf>) -> Result<Store> {
        Store::open_with(StoreOptions::new(path)).await
    }

    /// Opens (or creates) a database: backs it up if the schema must be upgraded, upgrades it, and
    /// marks answers that were streaming when the app last ended as interrupted.
    pub async fn open_with(opts: StoreOptions) -> Result<Store> {
        let path = opts.path.clone();
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(io_err("creating the folder", dir))?;
        }
        let sq = |e| StoreError::from_sqlx(&path, e);
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(connect_options(&opts))
            .await
            .map_err(sq)?;
        // A pool dropped on an error path closes its connection later, in the background; one still
        // open while `repair` moves the files aside made the repaired database fail with a disk I/O
        // error now and then. So on any error the writer is closed before returning.
        if let Err(e) = prepare(&writer, &path, &opts).await {
            writer.close().await;
            return Err(e);
        }
        let reader = match SqlitePoolOptions::new()
            .max_connections(opts.readers.max(1))
            .connect_with(connect_options(&opts).read_only(true))
            .await
        {
            Ok(reader) => reader,
            Err(e) => {
                writer.close().await;
                return Err(sq(e));
            }
        };
        Ok(Store { path, writer, reader, flush_interval: opts.flush_interval, clock: opts.clock })
    }

    /// Makes a damaged database usable again without losing the original: copies the file (and its
    /// WAL) aside byte for byte, rebuilds a new database from every row SQLite can still read, verifies
    /// it, and only then puts it in the original's place. If the rebuilt copy cannot be verified, the
    /// original is left exactly where it was and the error says why.
    pub async fn repair(path: &Path) -> Result<RepairReport> {
        let backup = backup_path(path, "damaged");
        // SQLite replays a WAL into the file it reads, so the salvage works on a copy of its own.
        let work = backup_path(path, "salvaging");
        let rebuilt = backup_path(path, "rebuilt");
        // Copying a large history takes a while: on a blocking thread, not the runtime's.
        let copying = {
            let (path, backup, work) = (path.to_path_buf(), backup.clone(), work.clone());
            tokio::task::spawn_blocking(move || copy_aside(&path, &backup, &work))
        };
        copying.await.map_err(|e| StoreError::Io {
            action: "copying",
            path: path.to_path_buf(),
            source: std::io::Error::other(e),
        })??;
        let salvaged = salvage(&work, &rebuilt).await;
        remove_all(&work);
        let salvaged = match salvaged {
            Ok(s) => s,
            Err(e) => {
                remove_all(&rebuilt);
                tracing::error!(error = %e, "the rebuilt database failed its checks; the original is untouched");
                return Err(StoreError::from_sqlx(path, e));
            }
        };
        // The damaged file's WAL belongs to it (and is in the backup); beside the new file it would be
        // replayed into pages it does not describe.
        for suffix in ["-wal", "-shm"] {
            let side = side_file(path, suffix);
            if side.exists() {
                std::fs::remove_file(&side).map_err(io_err("removing", &side))?;
            }
        }
        std::fs::rename(&rebuilt, path).map_err(io_err("replacing", path))?;
        remove_all(&rebuilt);
        tracing::info!(
            conversations = salvaged.conversations,
            messages = salvaged.messages,
            unreadable_rows = salvaged.unreadable_rows,
            backup = %backup.display(),
            "repaired the database"
        );
        Ok(RepairReport {
            backup,
            recovered: salvaged.conversations + salvaged.messages > 0,
            conversations: salvaged.conversations,
            messages: salvaged.messages,
            ratings: salvaged.ratings,
            unreadable_rows: salvaged.unreadable_rows,
        })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Closes every connection (the WAL is checkpointed into the main file).
    pub async fn close(self) {
        self.reader.close().await;
        self.writer.close().await;
    }
}

/// Checks that the file is a database, backs it up before an upgrade, upgrades it, and marks answers
/// left streaming by the last run as interrupted.
async fn prepare(writer: &SqlitePool, path: &Path, opts: &StoreOptions) -> Result<()> {
    let sq = |e| StoreError::from_sqlx(path, e);
    // Reading the schema is what detects a file that is not a database at all.
    let tables: i64 = sqlx::query_scalar("SELECT count(*) FROM sqlite_master")
        .fetch_one(writer)
        .await
        .map_err(sq)?;
    let applied: Vec<i64> = if tables > 0 && has_migrations_table(writer).await.map_err(sq)? {
        sqlx::query_scalar("SELECT version FROM _sqlx_migrations WHERE success")
            .fetch_all(writer)
            .await
            .map_err(sq)?
    } else {
        Vec::new()
    };
    let pending = MIGRATOR.iter().any(|m| !applied.contains(&m.version));
    if pending && tables > 0 {
        let backup = backup_path(path, &format!("before-v{}", MIGRATOR.iter().count()));
        vacuum_into(writer, &backup).await.map_err(sq)?;
        tracing::info!(backup = %backup.display(), "backed up the database before upgrading it");
    }
    MIGRATOR.run(writer).await.map_err(|source| match source {
        sqlx::migrate::MigrateError::Execute(e) => StoreError::from_sqlx(path, e),
        source => StoreError::Migration { path: path.to_path_buf(), source },
    })?;
    let interrupted = sqlx::query(
        "UPDATE messages SET status = 'interrupted', updated_at = ?1 WHERE status = 'generating'",
    )
    .bind(opts.clock.now_ms())
    .execute(writer)
    .await
    .map_err(sq)?
    .rows_affected();
    sqlx::query(
        "UPDATE generations SET finish_reason = 'interrupted'
         WHERE finish_reason IS NULL
           AND message_id IN (SELECT id FROM messages WHERE status = 'interrupted')",
    )
    .execute(writer)
    .await
    .map_err(sq)?;
    if interrupted > 0 {
        tracing::warn!(
            interrupted,
            "answers were streaming when Ponder last ended; kept as interrupted"
        );
    }
    Ok(())
}

async fn has_migrations_table(pool: &SqlitePool) -> sqlx::Result<bool> {
    let n: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = '_sqlx_migrations'",
    )
    .fetch_one(pool)
    .await?;
    Ok(n > 0)
}

/// A consistent copy of the live database (works while other connections read).
async fn vacuum_into(pool: &SqlitePool, dest: &Path) -> sqlx::Result<()> {
    sqlx::query("VACUUM INTO ?1").bind(dest.to_string_lossy().into_owned()).execute(pool).await?;
    Ok(())
}
