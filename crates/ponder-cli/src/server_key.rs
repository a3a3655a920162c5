//! `ponder server-key`: keeps, checks and forgets a model server's API key in the OS keychain, the
//! same entry the window uses, so `ask --model http://…` needs no key on its command line.

use std::io::{BufRead, IsTerminal};

use anyhow::Context;
use ponder_engine::keychain::{account_for, OsKeychain, ServerKeys};

/// Options of `ponder server-key`.
#[derive(clap::Args)]
pub struct ServerKeyArgs {
    #[command(subcommand)]
    action: Action,
}

#[derive(clap::Subcommand)]
enum Action {
    /// Keep a key for URL: typed at a hidden prompt, or read from standard input when piped.
    Set {
        /// The server's address (`http://host:8000`, with or without `/v1`).
        url: String,
    },
    /// Say whether a key is kept for URL (never the key itself).
    Status {
        /// The server's address.
        url: String,
    },
    /// Forget the key kept for URL.
    Forget {
        /// The server's address.
        url: String,
    },
}

/// Runs the action on the OS keychain, on a blocking thread (the keychain's calls block).
pub async fn run(args: ServerKeyArgs) -> anyhow::Result<()> {
    let keys = OsKeychain;
    match args.action {
        Action::Set { url } => {
            let key = read_key()?;
            let root = account_for(&url);
            blocking(move || keys.save(&url, &key)).await?;
            println!("a key for {root} is kept in the keychain");
        }
        Action::Status { url } => {
            let root = account_for(&url);
            let kept = blocking(move || keys.load(&url)).await?.is_some();
            println!("{root}: {}", if kept { "a key is kept" } else { "no key kept" });
        }
        Action::Forget { url } => {
            let root = account_for(&url);
            let had = blocking(move || keys.forget(&url)).await?;
            println!("{root}: {}", if had { "key forgotten" } else { "no key was kept" });
        }
    }
    Ok(())
}

/// The key for `url` from the keychain, for `--model http://…` without `PONDER_API_KEY`. A keychain
/// that cannot be read is said and passed over: many servers want no key.
pub async fn kept_key(url: &str) -> Option<String> {
    let owned = url.to_string();
    match blocking(move || OsKeychain.load(&owned)).await {
        Ok(key) => key,
        Err(e) => {
            eprintln!("note: no key read from the keychain for {url}: {e:#}");
            None
        }
    }
}

async fn blocking<T: Send + 'static>(
    call: impl FnOnce() -> Result<T, ponder_engine::EngineError> + Send + 'static,
) -> anyhow::Result<T> {
    Ok(tokio::task::spawn_blocking(call).await.context("the keychain call panicked")??)
}

fn read_key() -> anyhow::Result<String> {
    let key = if std::io::stdin().is_terminal() {
        rpassword::prompt_password("API key: ").context("reading the key")?
    } else {
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line).context("reading the key from stdin")?;
        line
    };
    let key = key.trim().to_string();
    anyhow::ensure!(!key.is_empty(), "no key given (type it at the prompt or pipe it in)");
    Ok(key)
}
