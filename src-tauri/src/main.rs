//! Starts Ponder's window.

// No console window next to the app on Windows release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() {
    if let Err(message) = ponder_app::cpu_support() {
        eprintln!("{message}");
        std::process::exit(1);
    }
    // Before any other thread exists: the CPU kernels read it when a model loads.
    ponder_app::configure_threads();
    ponder_desktop::run();
}
