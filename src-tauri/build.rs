//! Generates the Tauri context and, from the list of commands, one permission per command, so the
//! window's capability grants exactly the commands it uses and nothing else.

fn main() {
    // The manifest wants a `'static` list; a build script runs once, so leaking it costs nothing.
    let commands: &'static [&'static str] = Box::leak(ponder_commands().into_boxed_slice());
    tauri_build::try_build(
        tauri_build::Attributes::new()
            .app_manifest(tauri_build::AppManifest::new().commands(commands)),
    )
    .expect("tauri build step");
}

/// Every `#[tauri::command]` in `src/commands/` (a test checks the lists agree).
fn ponder_commands() -> Vec<&'static str> {
    include_str!("commands.txt").lines().map(str::trim).filter(|l| !l.is_empty()).collect()
}
