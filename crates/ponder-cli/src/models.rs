//! `ponder models`: what can be loaded on this machine, or what a model server serves.

use std::path::PathBuf;

use ponder_engine::catalog::{local_models, ModelOrigin};
use ponder_engine::download::HubOptions;

/// Options of `ponder models`.
#[derive(clap::Args)]
pub struct ModelsArgs {
    /// Extra model folders or GGUF files to include.
    paths: Vec<PathBuf>,
    /// Print JSON instead of a table.
    #[arg(long)]
    json: bool,
    /// Folder of the data (its learned versions are listed too; default: `PONDER_DATA_DIR`, then the
    /// platform's data folder).
    #[arg(long, value_name = "DIR")]
    data_dir: Option<PathBuf>,
    /// List the models an OpenAI-compatible server serves instead (its `/v1/models`; the key from
    /// `PONDER_API_KEY` or the keychain, as `ask --model URL` sends it).
    #[arg(long, value_name = "URL")]
    server: Option<String>,
}

/// Prints the bundled model, the Hugging Face cache's models, the versions learned here
/// (`ponder learn`) and the given paths.
pub async fn run(args: ModelsArgs) -> anyhow::Result<()> {
    if let Some(url) = &args.server {
        return served(url, args.json).await;
    }
    let cache = HubOptions::from_env().cache_dir;
    let mut paths = args.paths.clone();
    let data_dir = ponder_store::data_dir(args.data_dir.as_deref());
    if let Some(dir) = &data_dir {
        paths.extend(ponder_learn::list_versions(dir).into_iter().map(|v| v.path));
    }
    let models = local_models(&crate::model_arg::bundled(), &cache, &paths);
    if args.json {
        println!("{}", serde_json::to_string_pretty(&models)?);
        return Ok(());
    }
    println!("{:<44} {:<9} {:>10}  status", "model", "from", "size");
    for m in &models {
        let from = match m.origin {
            ModelOrigin::Bundled => "bundled",
            ModelOrigin::HubCache => "hf cache",
            ModelOrigin::Folder => "folder",
            ModelOrigin::Gguf => "gguf",
            ModelOrigin::Learned => "learned",
        };
        let status = match &m.status {
            Ok(arch) => format!("ready ({arch})"),
            Err(why) => format!("not loadable: {why}"),
        };
        println!("{:<44} {:<9} {:>8.1} MB  {status}", m.id, from, m.bytes as f64 / 1e6);
    }
    println!("\nHugging Face cache: {}", cache.display());
    Ok(())
}

/// Prints what the server at `url` lists; the first is the one `--model URL` asks.
async fn served(url: &str, json: bool) -> anyhow::Result<()> {
    let ponder_engine::ModelSource::Server(source) = crate::model_arg::resolve(Some(url)).await?
    else {
        anyhow::bail!("{url}: a server's address starts with http:// or https://");
    };
    let models = ponder_engine::list_server_models(&source).await?;
    if json {
        println!("{}", serde_json::to_string_pretty(&models)?);
        return Ok(());
    }
    println!("{:<52} context", "model");
    for m in &models {
        let context = m.context.map_or("-".to_string(), |n| n.to_string());
        println!("{:<52} {context}", m.id);
    }
    if models.is_empty() {
        println!("(it lists no models)");
    }
    Ok(())
}
