//! `ponder history`: the saved conversations — list them, search them, or print one.

use std::io::IsTerminal;
use std::path::PathBuf;

use anyhow::Context;
use ponder_store::{ConversationId, Role, SearchQuery, Store};

/// Options of `ponder history`.
#[derive(clap::Args)]
pub struct HistoryArgs {
    /// Find conversations containing every word (titles, questions, answers).
    #[arg(long, value_name = "WORDS")]
    search: Option<String>,
    /// Search the thinking too.
    #[arg(long)]
    thinking: bool,
    /// Print this conversation's branch on screen, thinking included.
    #[arg(long, value_name = "ID")]
    show: Option<i64>,
    /// How many to list.
    #[arg(long, default_value_t = 20)]
    limit: u32,
    /// Folder of the history database (default: `PONDER_DATA_DIR`, then the platform's data folder).
    #[arg(long, value_name = "DIR")]
    data_dir: Option<PathBuf>,
}

/// Opens the history and prints what was asked for.
pub async fn run(args: HistoryArgs) -> anyhow::Result<()> {
    let path = ponder_store::database_path(args.data_dir.as_deref())
        .context("no data folder: set PONDER_DATA_DIR or pass --data-dir")?;
    let store = Store::open(&path).await?;
    let (bold, dim, reset) = if std::io::stdout().is_terminal() {
        ("\x1b[1m", "\x1b[2m", "\x1b[0m")
    } else {
        ("", "", "")
    };
    if let Some(id) = args.show {
        let thread = store.thread(ConversationId(id)).await?;
        println!("{bold}{}{reset}", thread.conversation.title);
        for m in thread.active_messages() {
            match m.role {
                Role::User | Role::System => println!("\n{bold}> {}{reset}", m.content),
                Role::Assistant => {
                    if let Some(t) = m.thinking.as_deref().filter(|t| !t.is_empty()) {
                        // A fixed step's words are the person's: shown apart from the model's.
                        match m.fixed.as_ref().and_then(|f| {
                            t.strip_prefix(f.person_thinking.as_str()).map(|rest| (f, rest))
                        }) {
                            Some((f, rest)) => {
                                println!("\n[your step] {}", f.person_thinking.trim_end());
                                println!("{dim}{rest}{reset}");
                            }
                            None => println!("\n{dim}{t}{reset}"),
                        }
                    }
                    println!("\n{}", m.content);
                    let rating = match m.rating.as_ref().and_then(|r| r.input.answer) {
                        Some(ponder_store::Vote::Up) => "rated up",
                        Some(ponder_store::Vote::Down) => "rated down",
                        None => "not rated",
                    };
                    let siblings = thread.siblings(m.id);
                    let at = siblings.iter().position(|s| *s == m.id).unwrap_or(0) + 1;
                    let fixed = match m.fixed.as_ref().and_then(|f| f.from) {
                        Some(from) => format!(" · continued from a fix of answer {}", from.0),
                        None => String::new(),
                    };
                    println!(
                        "{dim}[answer {} · {at} / {} · {rating}{fixed}]{reset}",
                        m.id.0,
                        siblings.len()
                    );
                }
            }
        }
    } else if let Some(text) = args.search {
        let query = SearchQuery { text, include_thinking: args.thinking, limit: args.limit };
        for hit in store.search(&query).await? {
            let snippet: String =
                hit.snippet
                    .iter()
                    .map(|p| {
                        if p.highlight {
                            format!("{bold}{}{reset}", p.text)
                        } else {
                            p.text.clone()
                        }
                    })
                    .collect();
            println!(
                "{:>6}  {}  {dim}{:?}{reset}  {}",
                hit.conversation_id.0,
                hit.conversation_title,
                hit.field,
                snippet.replace('\n', " ")
            );
        }
    } else {
        let page = store.list_conversations(args.limit, None).await?;
        if page.items.is_empty() {
            println!("No conversations yet in {}.", path.display());
        }
        for c in page.items {
            println!("{:>6}  {}", c.id.0, c.title);
        }
    }
    store.close().await;
    Ok(())
}
