//! API keys of model servers, kept in the operating system's keychain (Keychain Services on macOS,
//! the Credential Manager on Windows, the Secret Service — GNOME Keyring, KWallet — on Linux) so that
//! no key is ever written to Ponder's settings, database, exports or logs.
//!
//! One entry per server, service `Ponder`, account the server's API root (`http://host:8080/v1`), so
//! `http://host:8080` and `http://host:8080/v1/` share a key. The calls block (D-Bus, Security
//! framework): async callers run them on a blocking thread.

use std::collections::HashMap;
use std::sync::Mutex;

use crate::{EngineError, ServerSource};

/// The keychain service name Ponder's entries are filed under.
pub const KEYCHAIN_SERVICE: &str = "Ponder";

/// Where server keys are kept: the OS keychain in the app and the CLI, memory in tests of the layers
/// above.
pub trait ServerKeys: Send + Sync {
    /// Keeps `key` for the server at `url`, replacing any kept before.
    fn save(&self, url: &str, key: &str) -> Result<(), EngineError>;
    /// The key kept for `url`, if any.
    fn load(&self, url: &str) -> Result<Option<String>, EngineError>;
    /// Forgets the key for `url`; `false` when there was none.
    fn forget(&self, url: &str) -> Result<bool, EngineError>;
}

/// The account name a server's key is filed under: its API root.
pub fn account_for(url: &str) -> String {
    ServerSource { base_url: url.to_string(), model: None, api_key: None, reply_timeout_s: None }
        .api_root()
}

/// The operating system's keychain.
#[derive(Debug, Default, Clone, Copy)]
pub struct OsKeychain;

impl OsKeychain {
    fn entry(url: &str) -> Result<keyring::Entry, EngineError> {
        keyring::Entry::new(KEYCHAIN_SERVICE, &account_for(url)).map_err(keychain_error)
    }
}

impl ServerKeys for OsKeychain {
    fn save(&self, url: &str, key: &str) -> Result<(), EngineError> {
        if key.trim().is_empty() {
            return Err(EngineError::InvalidRequest("the API key is empty".into()));
        }
        Self::entry(url)?.set_password(key.trim()).map_err(keychain_error)
    }

    fn load(&self, url: &str) -> Result<Option<String>, EngineError> {
        match Self::entry(url)?.get_password() {
            Ok(key) => Ok(Some(key)),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(e) => Err(keychain_error(e)),
        }
    }

    fn forget(&self, url: &str) -> Result<bool, EngineError> {
        match Self::entry(url)?.delete_credential() {
            Ok(()) => Ok(true),
            Err(keyring::Error::NoEntry) => Ok(false),
            Err(e) => Err(keychain_error(e)),
        }
    }
}

/// Says what failed in words a person can act on; the key itself is never part of an error.
fn keychain_error(e: keyring::Error) -> EngineError {
    let reason = match &e {
        keyring::Error::NoDefaultStore | keyring::Error::NoStorageAccess(_) => format!(
            "no keychain is available ({e}); on Linux start a Secret Service such as GNOME Keyring \
             or KWallet, or give the key in PONDER_API_KEY instead"
        ),
        keyring::Error::PlatformFailure(_) => format!("the keychain failed: {e}"),
        _ => format!("{e}"),
    };
    EngineError::Keychain(reason)
}

/// Keys in memory, for tests of the layers above the keychain.
#[derive(Debug, Default)]
pub struct MemoryKeys {
    keys: Mutex<HashMap<String, String>>,
}

impl ServerKeys for MemoryKeys {
    fn save(&self, url: &str, key: &str) -> Result<(), EngineError> {
        if key.trim().is_empty() {
            return Err(EngineError::InvalidRequest("the API key is empty".into()));
        }
        self.keys.lock().expect("not poisoned").insert(account_for(url), key.trim().into());
        Ok(())
    }

    fn load(&self, url: &str) -> Result<Option<String>, EngineError> {
        Ok(self.keys.lock().expect("not poisoned").get(&account_for(url)).cloned())
    }

    fn forget(&self, url: &str) -> Result<bool, EngineError> {
        Ok(self.keys.lock().expect("not poisoned").remove(&account_for(url)).is_some())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_key_per_api_root_however_the_address_is_written() {
        let keys = MemoryKeys::default();
        keys.save("http://host:8080", " sk-1 ").unwrap();
        assert_eq!(keys.load("http://host:8080/v1/").unwrap().as_deref(), Some("sk-1"));
        assert_eq!(keys.load("http://other:8080").unwrap(), None);
        assert!(keys.forget("http://host:8080/v1").unwrap());
        assert!(!keys.forget("http://host:8080").unwrap());
        assert_eq!(keys.load("http://host:8080").unwrap(), None);
    }

    #[test]
    fn an_empty_key_is_refused_not_kept() {
        let keys = MemoryKeys::default();
        let err = keys.save("http://host:8080", "  ").unwrap_err();
        assert_eq!(err.kind(), ponder_error_kind::ErrorKind::Invalid);
        assert_eq!(keys.load("http://host:8080").unwrap(), None);
    }

    #[test]
    fn a_missing_keychain_is_said_with_the_way_around_it() {
        let err = keychain_error(keyring::Error::NoDefaultStore);
        assert_eq!(err.kind(), ponder_error_kind::ErrorKind::Keychain);
        assert!(err.to_string().contains("PONDER_API_KEY"), "{err}");
    }
}
