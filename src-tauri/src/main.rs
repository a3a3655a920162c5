//! Starts Ponder's window.

// No console window next to the app on Windows release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() {
    if let Err(message) = ponder_app::cpu_support() {
        eprintln!("{message}");
        std::process::exit(1);
    }
    ponder_desktop::run();
}
