//! Where the database lives: a flag, then `PONDER_DATA_DIR`, then the platform's data folder.

use std::path::{Path, PathBuf};

/// The environment variable that overrides the data folder.
pub const DATA_DIR_ENV: &str = "PONDER_DATA_DIR";

/// The database's file name inside the data folder.
pub const DATABASE_FILE: &str = "ponder.db";

/// The data folder: `explicit` (a command-line flag) if given, else `PONDER_DATA_DIR` if set and not
/// empty, else the platform's per-user data folder (e.g. `~/.local/share/ponder` on Linux,
/// `~/Library/Application Support/app.ponder.Ponder` on macOS, `%APPDATA%\ponder\Ponder\data` on Windows).
pub fn data_dir(explicit: Option<&Path>) -> Option<PathBuf> {
    if let Some(dir) = explicit {
        return Some(dir.to_path_buf());
    }
    if let Some(dir) = std::env::var_os(DATA_DIR_ENV).filter(|d| !d.is_empty()) {
        return Some(PathBuf::from(dir));
    }
    directories::ProjectDirs::from("app", "ponder", "Ponder").map(|d| d.data_dir().to_path_buf())
}

/// The database file inside [`data_dir`].
pub fn database_path(explicit_dir: Option<&Path>) -> Option<PathBuf> {
    data_dir(explicit_dir).map(|d| d.join(DATABASE_FILE))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_flag_wins_over_everything() {
        let dir = Path::new("/tmp/somewhere");
        assert_eq!(data_dir(Some(dir)).unwrap(), dir);
        assert_eq!(database_path(Some(dir)).unwrap(), dir.join("ponder.db"));
    }

    #[test]
    fn the_default_is_a_per_user_folder_named_for_ponder() {
        if std::env::var_os(DATA_DIR_ENV).is_some() {
            return;
        }
        let dir = data_dir(None).expect("a home folder");
        assert!(dir.to_string_lossy().to_lowercase().contains("ponder"), "{}", dir.display());
    }
}
