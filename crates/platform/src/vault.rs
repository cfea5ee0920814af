//! Encryption at rest for L1 fields: each organisation's data key, wrapped by the master key,
//! stored in `org_data_keys`; modules seal and open field values through [`Vault`].
//!
//! The master keys come from `TICORR_MASTER_KEY` when set (one `<id>:<hex>` per comma), or
//! else from `<data_dir>/master.key` (created on first start, mode 0600). The first key
//! wraps; every listed key unwraps, which is what makes a rotation safe to interrupt:
//! put the new key first, run `ticorr keys rotate` (every data key re-wrapped in one
//! transaction), restart the servers, then `ticorr keys retire` drops the old key. With the
//! key file, `ticorr keys rotate --generate` creates and places the new key itself.
//!
//! Deleting an organisation's wrapped key ([`destroy`]) makes its sealed fields unreadable
//! for good: this is how an organisation's private data is erased from live rows, backups
//! and replicas alike.

use std::path::{Path, PathBuf};
use std::sync::RwLock;

use sqlx::AnyConnection;
use ticorr_crypto::{CryptoError, DataKey, MasterKey, MasterKeys, WrappedKey};
use ticorr_db::Db;
use ticorr_kernel::{OrgId, Timestamp};

/// The environment variable that, when set, holds the master keys instead of the file.
pub const MASTER_KEY_ENV: &str = "TICORR_MASTER_KEY";
/// The key file's name in the data directory.
pub const MASTER_KEY_FILE: &str = "master.key";

#[derive(Debug, thiserror::Error)]
pub enum VaultError {
    #[error("master key: {0}")]
    MasterKey(String),
    #[error("the organisation's data key was destroyed; its private data cannot be read")]
    Shredded,
    #[error("a sealed value did not open: {0}")]
    Crypto(#[from] CryptoError),
    #[error(transparent)]
    Storage(#[from] sqlx::Error),
}

impl From<ticorr_db::DbError> for VaultError {
    fn from(e: ticorr_db::DbError) -> Self {
        match e {
            ticorr_db::DbError::Sqlx(e) => VaultError::Storage(e),
            other => VaultError::MasterKey(other.to_string()),
        }
    }
}

/// Where the master keys come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeySource {
    File(PathBuf),
    Environment,
}

/// The master keys and the operations on data keys.
#[derive(Debug)]
pub struct Vault {
    keys: RwLock<MasterKeys>,
    source: KeySource,
}

/// What a rotation did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rotation {
    /// The master key every data key is now wrapped with.
    pub master_id: String,
    /// Data keys re-wrapped (destroyed ones are left destroyed).
    pub rewrapped: u64,
    /// The other configured master keys: no data key needs them any more.
    pub retired: Vec<String>,
}

fn new_key_id(now: Timestamp) -> String {
    let mut suffix = [0u8; 3];
    rand::fill(&mut suffix);
    format!(
        "m{}-{}",
        now.to_rfc3339()[..10].replace('-', ""),
        hex::encode(suffix)
    )
}

impl Vault {
    /// Reads the master keys from the environment or `<data_dir>/master.key`, creating the
    /// file with one new key when neither exists.
    pub fn load(data_dir: &Path, now: Timestamp) -> Result<Vault, VaultError> {
        if let Ok(text) = std::env::var(MASTER_KEY_ENV) {
            let keys = MasterKeys::parse(&text)
                .map_err(|e| VaultError::MasterKey(format!("{MASTER_KEY_ENV}: {e}")))?;
            return Ok(Vault {
                keys: RwLock::new(keys),
                source: KeySource::Environment,
            });
        }
        let path = data_dir.join(MASTER_KEY_FILE);
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let key = MasterKey::generate(&new_key_id(now))?;
                let text = key.to_text();
                crate::ledger::write_secret(&path, &text)
                    .map_err(|e| VaultError::MasterKey(format!("{}: {e}", path.display())))?;
                text.to_string()
            }
            Err(e) => return Err(VaultError::MasterKey(format!("{}: {e}", path.display()))),
        };
        let keys = MasterKeys::parse(&text)
            .map_err(|e| VaultError::MasterKey(format!("{}: {e}", path.display())))?;
        Ok(Vault {
            keys: RwLock::new(keys),
            source: KeySource::File(path),
        })
    }

    pub fn source(&self) -> &KeySource {
        &self.source
    }

    /// The identifiers of the configured master keys, current first.
    pub fn master_ids(&self) -> Vec<String> {
        let keys = self.keys.read().expect("key lock");
        keys.keys().iter().map(|k| k.id().to_owned()).collect()
    }

    /// `org`'s data key, created on first use. Fails with [`VaultError::Shredded`] once
    /// the key was destroyed.
    async fn data_key(
        &self,
        conn: &mut AnyConnection,
        org: OrgId,
        now: Timestamp,
    ) -> Result<DataKey, VaultError> {
        let owner = org.to_string();
        if let Some(key) = self.stored_key(conn, &owner).await? {
            return Ok(key);
        }
        let fresh = DataKey::generate();
        let wrapped = self.keys.read().expect("key lock").wrap(&owner, &fresh);
        // Two writers may race to create it; the first insert wins and both use its key.
        sqlx::query(
            "INSERT INTO org_data_keys (org_id, master_key_id, wrapped, created_at) \
             VALUES ($1, $2, $3, $4) ON CONFLICT (org_id) DO NOTHING",
        )
        .bind(&owner)
        .bind(&wrapped.master_id)
        .bind(&wrapped.blob)
        .bind(now.to_rfc3339())
        .execute(&mut *conn)
        .await?;
        self.stored_key(conn, &owner)
            .await?
            .ok_or(VaultError::Shredded)
    }

    async fn stored_key(
        &self,
        conn: &mut AnyConnection,
        owner: &str,
    ) -> Result<Option<DataKey>, VaultError> {
        let row: Option<(Option<String>, Option<String>)> =
            sqlx::query_as("SELECT master_key_id, wrapped FROM org_data_keys WHERE org_id = $1")
                .bind(owner)
                .fetch_optional(&mut *conn)
                .await?;
        match row {
            None => Ok(None),
            Some((Some(master_id), Some(blob))) => {
                let keys = self.keys.read().expect("key lock");
                Ok(Some(keys.unwrap(owner, &WrappedKey { master_id, blob })?))
            }
            Some(_) => Err(VaultError::Shredded),
        }
    }

    /// Seals `plaintext` with `org`'s data key, bound to `context` (table, column and
    /// record, e.g. `equipment_notes/<id>`).
    pub async fn seal(
        &self,
        conn: &mut AnyConnection,
        org: OrgId,
        context: &str,
        plaintext: &str,
        now: Timestamp,
    ) -> Result<String, VaultError> {
        Ok(self
            .data_key(conn, org, now)
            .await?
            .seal(context, plaintext))
    }

    /// Opens a value [`seal`](Self::seal) made for `org` and `context`.
    pub async fn open(
        &self,
        conn: &mut AnyConnection,
        org: OrgId,
        context: &str,
        sealed: &str,
    ) -> Result<String, VaultError> {
        let key = self
            .stored_key(conn, &org.to_string())
            .await?
            .ok_or(VaultError::Shredded)?;
        Ok(key.open(context, sealed)?)
    }

    /// Re-wraps every data key with the current master key, in one transaction. With
    /// `generate`, first creates a new master key and puts it first in the key file. The
    /// older keys stay configured: a server still running with the old file keeps wrapping
    /// new data keys with the old current key until it restarts. [`retire`](Self::retire)
    /// drops them afterwards.
    pub async fn rotate(
        &self,
        db: &Db,
        generate: bool,
        now: Timestamp,
    ) -> Result<Rotation, VaultError> {
        if generate {
            let KeySource::File(path) = &self.source else {
                return Err(VaultError::MasterKey(format!(
                    "the master keys come from {MASTER_KEY_ENV}: put a new key first there \
                     (`ticorr keys new-master`) and run `ticorr keys rotate` without --generate"
                )));
            };
            let new = MasterKey::generate(&new_key_id(now))?;
            let mut keys = self.keys.write().expect("key lock");
            keys.prepend(new)?;
            replace_secret(path, &keys.to_text())?;
        }
        self.rewrap_all(db, now).await
    }

    /// Re-wraps what is still wrapped with an older key, then drops the older keys from the
    /// key file (from the environment, the operator removes them). Run it after every
    /// server has restarted with the new current key.
    pub async fn retire(&self, db: &Db, now: Timestamp) -> Result<Rotation, VaultError> {
        let rotation = self.rewrap_all(db, now).await?;
        if let KeySource::File(path) = &self.source {
            let mut keys = self.keys.write().expect("key lock");
            keys.retain_current();
            replace_secret(path, &keys.to_text())?;
        }
        Ok(rotation)
    }

    async fn rewrap_all(&self, db: &Db, now: Timestamp) -> Result<Rotation, VaultError> {
        let mut tx = db.begin().await?;
        let rows: Vec<(String, String, String)> = sqlx::query_as(
            "SELECT org_id, master_key_id, wrapped FROM org_data_keys \
             WHERE wrapped IS NOT NULL ORDER BY org_id",
        )
        .fetch_all(&mut *tx)
        .await?;
        let (master_id, rewrapped) = {
            let keys = self.keys.read().expect("key lock");
            let mut out = Vec::with_capacity(rows.len());
            for (org, master_id, blob) in rows {
                let key = keys.unwrap(&org, &WrappedKey { master_id, blob })?;
                out.push((org.clone(), keys.wrap(&org, &key)));
            }
            (keys.current().id().to_owned(), out)
        };
        for (org, w) in &rewrapped {
            sqlx::query(
                "UPDATE org_data_keys SET master_key_id = $1, wrapped = $2, rewrapped_at = $3 \
                 WHERE org_id = $4",
            )
            .bind(&w.master_id)
            .bind(&w.blob)
            .bind(now.to_rfc3339())
            .bind(org)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        let retired = self
            .master_ids()
            .into_iter()
            .filter(|id| *id != master_id)
            .collect();
        Ok(Rotation {
            master_id,
            rewrapped: rewrapped.len() as u64,
            retired,
        })
    }
}

/// Destroys `org`'s data key: every value sealed for it becomes unreadable, for good.
/// Returns whether a key existed.
pub async fn destroy(db: &Db, org: OrgId, now: Timestamp) -> Result<bool, VaultError> {
    let mut tx = db.begin().await?;
    let updated = sqlx::query(
        "UPDATE org_data_keys SET master_key_id = NULL, wrapped = NULL, destroyed_at = $1 \
         WHERE org_id = $2 AND wrapped IS NOT NULL",
    )
    .bind(now.to_rfc3339())
    .bind(org.to_string())
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if updated == 0 {
        // No key yet: leave a tombstone so none is ever created for this organisation.
        sqlx::query(
            "INSERT INTO org_data_keys (org_id, created_at, destroyed_at) VALUES ($1, $2, $2) \
             ON CONFLICT (org_id) DO NOTHING",
        )
        .bind(org.to_string())
        .bind(now.to_rfc3339())
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(updated > 0)
}

/// Replaces a secret file atomically (write a sibling, sync, rename).
fn replace_secret(path: &Path, text: &str) -> Result<(), VaultError> {
    let tmp = path.with_extension("key.new");
    let _ = std::fs::remove_file(&tmp);
    crate::ledger::write_secret(&tmp, text.trim_end())
        .and_then(|()| std::fs::rename(&tmp, path))
        .map_err(|e| VaultError::MasterKey(format!("{}: {e}", path.display())))
}

/// The state of the keys, for the operator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyStatus {
    /// Each configured master key, current first, with the number of data keys it wraps.
    pub masters: Vec<(String, u64)>,
    /// Data keys wrapped with a master key that is not configured (unreadable until it is).
    pub orphaned: Vec<(String, u64)>,
    /// Organisations whose data key was destroyed.
    pub destroyed: u64,
}

impl Vault {
    pub async fn status(&self, db: &Db) -> Result<KeyStatus, VaultError> {
        let rows: Vec<(Option<String>, i64)> = sqlx::query_as(
            "SELECT master_key_id, COUNT(*) FROM org_data_keys GROUP BY master_key_id",
        )
        .fetch_all(db.pool())
        .await?;
        let count = |id: &str| {
            rows.iter()
                .find(|(m, _)| m.as_deref() == Some(id))
                .map_or(0, |(_, n)| *n as u64)
        };
        let ids = self.master_ids();
        Ok(KeyStatus {
            masters: ids.iter().map(|id| (id.clone(), count(id))).collect(),
            orphaned: rows
                .iter()
                .filter_map(|(m, n)| {
                    m.as_ref()
                        .filter(|m| !ids.contains(m))
                        .map(|m| (m.clone(), *n as u64))
                })
                .collect(),
            destroyed: rows
                .iter()
                .find(|(m, _)| m.is_none())
                .map_or(0, |(_, n)| *n as u64),
        })
    }
}

/// A new master key's text form, for operators who keep the keys in the environment.
pub fn new_master_key(now: Timestamp) -> Result<String, VaultError> {
    Ok(MasterKey::generate(&new_key_id(now))?.to_text().to_string())
}
