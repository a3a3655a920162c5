//! Store benchmark: 10,000 conversations / 200,000 messages; p50/p95 of the sidebar's first page,
//! opening a conversation, and searching (English, Chinese 3+ characters, Chinese 2 characters).
//!
//! Run: `cargo bench -p ponder-store --bench store`. The database is built once under the target
//! folder and reused. The goal for every p95 is 50 ms on a 2-core machine.

use std::time::{Duration, Instant};

use ponder_store::{ConversationId, SearchQuery, Store};
use sqlx::Connection;

const CONVERSATIONS: i64 = 10_000;
const TURNS: i64 = 10; // a question and an answer each: 20 messages per conversation
const RUNS: usize = 200;
const GOAL: Duration = Duration::from_millis(50);

const EN: &[&str] = &[
    "apple",
    "orchard",
    "carry",
    "digit",
    "number",
    "answer",
    "think",
    "because",
    "sum",
    "total",
    "borrow",
    "multiply",
    "compare",
    "larger",
    "smaller",
    "result",
    "first",
    "second",
    "column",
    "write",
    "count",
    "basket",
    "river",
    "train",
    "station",
    "minutes",
    "hours",
    "price",
    "market",
    "garden",
    "letter",
    "window",
    "silver",
    "morning",
    "evening",
    "problem",
    "reason",
    "check",
    "again",
    "therefore",
    "equation",
    "fraction",
    "divide",
    "remainder",
    "pattern",
    "sequence",
    "triangle",
    "circle",
    "square",
    "angle",
    "degree",
    "measure",
    "weight",
    "length",
    "distance",
];
const ZH: &[char] = &[
    '苹', '果', '小', '明', '有', '个', '又', '买', '了', '一', '共', '多', '少', '数', '字', '进',
    '位', '借', '乘', '以', '比', '较', '大', '答', '案', '因', '为', '所', '先', '后', '计', '算',
    '题', '目', '学', '生', '老', '师', '书', '本', '时', '间', '分', '钟', '价', '格', '市', '场',
];

/// Makes one search text from the random source.
type QueryMaker = Box<dyn Fn(&mut Rng) -> String>;

/// xorshift: deterministic text without a dependency.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn text(&mut self, words: usize) -> String {
        let mut s = String::new();
        for _ in 0..words {
            if self.below(4) == 0 {
                for _ in 0..2 + self.below(4) {
                    s.push(ZH[self.below(ZH.len())]);
                }
            } else {
                s.push_str(EN[self.below(EN.len())]);
            }
            s.push(' ');
        }
        s
    }
}

async fn build(path: &std::path::Path) {
    let _ = std::fs::remove_file(path);
    let store = Store::open(path).await.unwrap(); // creates the schema
    store.close().await;
    let opts = sqlx::sqlite::SqliteConnectOptions::new().filename(path);
    let mut conn = sqlx::SqliteConnection::connect_with(&opts).await.unwrap();
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let begun = Instant::now();
    let mut id = 0i64;
    for c in 1..=CONVERSATIONS {
        if c % 500 == 1 {
            sqlx::query("BEGIN").execute(&mut conn).await.unwrap();
        }
        let t = c * 60_000;
        sqlx::query(
            "INSERT INTO conversations (id, title, created_at, updated_at) VALUES (?1, ?2, ?3, ?3)",
        )
        .bind(c)
        .bind(rng.text(5))
        .bind(t)
        .execute(&mut conn)
        .await
        .unwrap();
        let mut parent: Option<i64> = None;
        for turn in 0..TURNS * 2 {
            id += 1;
            let (role, content, thinking) = if turn % 2 == 0 {
                ("user", rng.text(12), None)
            } else {
                ("assistant", rng.text(40), Some(rng.text(80)))
            };
            sqlx::query(
                "INSERT INTO messages (id, conversation_id, parent_id, role, content, thinking, status, created_at, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'complete', ?7, ?7)",
            )
            .bind(id)
            .bind(c)
            .bind(parent)
            .bind(role)
            .bind(content)
            .bind(thinking)
            .bind(t + turn)
            .execute(&mut conn)
            .await
            .unwrap();
            if let Some(p) = parent {
                sqlx::query("UPDATE messages SET active_child_id = ?1 WHERE id = ?2")
                    .bind(id)
                    .bind(p)
                    .execute(&mut conn)
                    .await
                    .unwrap();
            }
            parent = Some(id);
        }
        if c % 500 == 0 {
            sqlx::query("COMMIT").execute(&mut conn).await.unwrap();
        }
    }
    conn.close().await.unwrap();
    eprintln!("built {} messages in {:.0} s", id, begun.elapsed().as_secs_f64());
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn report(name: &str, mut times: Vec<Duration>) {
    times.sort();
    let (p50, p95) = (percentile(&times, 0.5), percentile(&times, 0.95));
    println!(
        "| {name} | {:.2} ms | {:.2} ms | {:.2}× |",
        p50.as_secs_f64() * 1e3,
        p95.as_secs_f64() * 1e3,
        p95.as_secs_f64() / GOAL.as_secs_f64()
    );
}

#[tokio::main]
async fn main() {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("store-bench");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("ponder.db");
    let reuse = match Store::open(&path).await {
        Ok(s) => {
            s.counts().await.ok()
                == Some((CONVERSATIONS as u64, (CONVERSATIONS * TURNS * 2) as u64))
        }
        Err(_) => false,
    };
    if !reuse {
        build(&path).await;
    }
    let store = Store::open(&path).await.unwrap();
    let (convs, msgs) = store.counts().await.unwrap();
    let size: u64 =
        std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().metadata().unwrap().len()).sum();
    println!(
        "{convs} conversations, {msgs} messages, {:.0} MB on disk; {RUNS} runs each\n",
        size as f64 / 1e6
    );
    println!("| operation | p50 | p95 | p95 / 50 ms goal |\n|---|---|---|---|");

    let mut rng = Rng(42);
    let mut times = Vec::new();
    for _ in 0..RUNS {
        let t = Instant::now();
        let page = store.list_conversations(50, None).await.unwrap();
        times.push(t.elapsed());
        assert_eq!(page.items.len(), 50);
    }
    report("first page of the list (50)", times);

    let mut times = Vec::new();
    for _ in 0..RUNS {
        let id = ConversationId(1 + rng.below(CONVERSATIONS as usize) as i64);
        let t = Instant::now();
        let thread = store.thread(id).await.unwrap();
        times.push(t.elapsed());
        assert_eq!(thread.active_path.len(), (TURNS * 2) as usize);
    }
    report("open a conversation (20 messages)", times);

    let queries: [(&str, QueryMaker); 7] = [
        ("search: English word", Box::new(|r: &mut Rng| EN[r.below(EN.len())].to_string())),
        (
            "search: two English words",
            Box::new(|r: &mut Rng| format!("{} {}", EN[r.below(EN.len())], EN[r.below(EN.len())])),
        ),
        (
            "search: 3 Chinese characters (index)",
            Box::new(|r: &mut Rng| (0..3).map(|_| ZH[r.below(ZH.len())]).collect()),
        ),
        (
            "search: 2 Chinese characters (trigram prefixes)",
            Box::new(|r: &mut Rng| (0..2).map(|_| ZH[r.below(ZH.len())]).collect()),
        ),
        // Worst cases: nothing matches, so nothing stops the search early.
        ("search: English word, no match", Box::new(|r: &mut Rng| format!("zq{}x", r.below(1000)))),
        (
            "search: 2 Chinese characters, no match",
            Box::new(|r: &mut Rng| ["龙虎", "星月", "风云"][r.below(3)].to_string()),
        ),
        // The one case the index cannot serve: a single character that appears nowhere reads every message.
        (
            "search: 1 character, no match (full scan)",
            Box::new(|r: &mut Rng| ["龙", "虎", "星"][r.below(3)].to_string()),
        ),
    ];
    for (name, make) in queries {
        let mut times = Vec::new();
        let runs = if name.contains("full scan") { 20 } else { RUNS };
        for i in 0..runs {
            let q = SearchQuery { text: make(&mut rng), include_thinking: i % 2 == 0, limit: 20 };
            let t = Instant::now();
            store.search(&q).await.unwrap();
            times.push(t.elapsed());
        }
        report(name, times);
    }
}
