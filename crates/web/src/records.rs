//! The anchored record types of every module, for the ledger: the platform's own
//! (organisations, attachments) and the modules' (released standard versions). The
//! platform cannot name the modules, so the binary composes them here.

use ticorr_db::Db;
use ticorr_platform::ledger::{self, LedgerError};

/// A record's current canonical form, if it still exists (for `ticorr ledger verify`).
pub async fn current(
    db: &Db,
    record_type: &str,
    id: &str,
) -> Result<Option<serde_json::Value>, LedgerError> {
    {
        let mut conn = db.pool().acquire().await?;
        if let Some(found) = ticorr_cases::ledger_record(&mut conn, record_type, id).await? {
            return Ok(found);
        }
    }
    if record_type == ticorr_standards::LEDGER_TYPE {
        let mut conn = db.pool().acquire().await?;
        return Ok(ticorr_standards::ledger_record(&mut conn, id).await?);
    }
    ledger::records::current(db, record_type, id).await
}
