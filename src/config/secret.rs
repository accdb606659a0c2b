//! The secret key that signs sessions and tokens: kept out of logs, and, when no
//! `CONDUIT_SECRET_KEY` is set, generated once into a private file beside the database.

use std::path::{Path, PathBuf};

use super::ConfigError;
use crate::db::DatabaseUrl;

/// A secret that never shows itself through `Debug` or logs.
#[derive(Clone)]
pub struct Secret(Vec<u8>);

impl Secret {
    /// Wraps key material.
    pub fn new(bytes: Vec<u8>) -> Self {
        Self(bytes)
    }

    /// The raw key material, for the code that signs with it.
    pub fn expose(&self) -> &[u8] {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(***)")
    }
}

/// Smallest secret accepted: cookie keys are derived from it and need 32 bytes of entropy.
pub(super) const MIN_SECRET_LEN: usize = 32;

/// The generated key lives beside the SQLite file, or in the working directory for
/// PostgreSQL, so that restarts keep sessions and tokens valid.
pub fn key_file_path(url: &DatabaseUrl) -> PathBuf {
    super::beside_database(url, "secret", "conduit.secret")
}

/// The key in the file at `path`, or a new one written there when there is none.
pub(super) fn load_or_create_key_file(path: &Path) -> Result<Secret, ConfigError> {
    let fail = |reason: String| ConfigError {
        var: "CONDUIT_SECRET_KEY",
        reason,
    };
    match std::fs::read_to_string(path) {
        Ok(text) => {
            let key = hex::decode(text.trim()).map_err(|_| {
                fail(format!(
                    "unset, and the key file {} is corrupt",
                    path.display()
                ))
            })?;
            if key.len() < MIN_SECRET_LEN {
                return Err(fail(format!(
                    "unset, and the key file {} is too short",
                    path.display()
                )));
            }
            Ok(Secret::new(key))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let key: [u8; 64] = rand::random();
            write_private_file(path, &hex::encode(key)).map_err(|e| {
                fail(format!(
                    "unset, and the key file {} cannot be written: {e}",
                    path.display()
                ))
            })?;
            log::info!("generated a new secret key in {}", path.display());
            Ok(Secret::new(key.to_vec()))
        }
        Err(e) => Err(fail(format!(
            "unset, and the key file {} cannot be read: {e}",
            path.display()
        ))),
    }
}

fn write_private_file(path: &Path, contents: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    file.write_all(contents.as_bytes())?;
    file.sync_all()
}
