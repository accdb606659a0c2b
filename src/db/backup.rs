//! Online backups of a SQLite database.

use std::path::Path;

use diesel::connection::SimpleConnection;

use super::{BackendKind, Db};

impl Db {
    /// Writes a consistent copy of the SQLite database to `target` while the server keeps
    /// running: `VACUUM INTO` reads one snapshot (WAL readers never block writers), so the
    /// copy holds every transaction committed before it started and nothing half-done.
    pub fn backup_into(&self, target: &Path) -> Result<(), String> {
        if self.backend() != BackendKind::Sqlite {
            return Err(
                "backup copies SQLite databases only; for PostgreSQL use pg_dump \
                 (see README, Operating Conduit)"
                    .into(),
            );
        }
        if target.exists() {
            return Err(format!(
                "{} already exists; choose a new file",
                target.display()
            ));
        }
        let path = target
            .to_str()
            .ok_or_else(|| "the backup path must be valid UTF-8".to_owned())?;
        let mut conn = self.conn().map_err(|e| e.to_string())?;
        conn.batch_execute(&format!("VACUUM INTO '{}'", path.replace('\'', "''")))
            .map_err(|e| format!("backup failed: {e}"))
    }
}
