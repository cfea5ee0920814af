//! Attachments: files attached to a record of any module (test reports, micrographs,
//! inspection reports, course material).
//!
//! A file belongs to an *owner*: a record of some module, described by an [`Owner`] that
//! the module builds (its kind and id, organisation, level and parks). Who may list, read,
//! attach or delete files is the owner's level deciding through the policies: every call
//! asks the [`Gate`] about an `attachment` record that carries the owner's level,
//! organisation and parks. The owner is resolved by its module at every access, so a change
//! of the owner's level applies to its files at once.
//!
//! The bytes live in an object store (`object_store`): a local directory by default, an
//! S3-compatible bucket in scale-out (cargo feature `s3`). The type is decided from the
//! bytes ([`detect`]), never from the name or the client's Content-Type; the SHA-256 is
//! recorded. The object is written first and the row after it, in one transaction; if the
//! transaction fails the object is removed again, so no row ever points to a missing
//! object. Deleting removes the row first and the object after the commit, for the same
//! reason; an object whose removal failed is logged and left behind, never a row.
//!
//! When the owner record is anchored in the ledger, each file gets an entry of its own
//! (type `attachment`) whose record carries the file's SHA-256, so whoever holds the file
//! can prove it is the one attached. Modules that anchor an owner later call
//! [`anchor_owner`] in the same transaction. An anchored file's row is never removed:
//! deleting it removes the bytes, marks the row deleted and anchors that as a new version,
//! so `ledger verify` can still recompute every entry.

pub mod detect;
pub mod strip;
mod thumb;

use std::path::Path;
use std::sync::Arc;

use bytes::Bytes;
use object_store::path::Path as ObjectPath;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};
use ticorr_db::Db;
use ticorr_kernel::{AttachmentId, Level, OrgId, PersonId, Timestamp};

use crate::audit::{self, AuditEvent, Outcome};
use crate::gate::{Caller, Denied, Gate, Permit};
use crate::ledger::{self, Anchor, LedgerError, LedgerRef};
use crate::policy::{Action, RecordRef, Resource};

pub use detect::{Kind, Refused};
pub use thumb::EDGE as THUMBNAIL_EDGE;

/// The record kind the policies and the audit see.
pub const RECORD_KIND: &str = "attachment";

/// The record type of attachment entries in the ledger.
pub const LEDGER_TYPE: &str = "attachment";

/// Attachment settings (`[attachments]` in the configuration file).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AttachmentsConfig {
    /// The largest file accepted, in bytes.
    pub max_bytes: u64,
    /// Where the files are kept: `local` (a directory) or `s3` (an S3-compatible bucket;
    /// needs a binary built with the `s3` feature).
    pub backend: String,
    /// For `local`: the directory, relative to the data directory unless absolute.
    pub local_dir: String,
    /// For `s3`.
    pub s3: S3Config,
}

/// An S3-compatible bucket. Credentials come from the environment
/// (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, optionally `AWS_SESSION_TOKEN`), never
/// from the configuration file.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct S3Config {
    pub bucket: String,
    /// The endpoint URL for S3-compatible services (MinIO, Ceph, OSS …); empty for AWS.
    pub endpoint: String,
    pub region: String,
    /// A key prefix inside the bucket, so several deployments can share one.
    pub prefix: String,
    /// Allow a plain-HTTP endpoint (a bucket on the same private network only).
    pub allow_http: bool,
}

impl Default for AttachmentsConfig {
    fn default() -> Self {
        AttachmentsConfig {
            max_bytes: 20 * 1024 * 1024,
            backend: "local".into(),
            local_dir: "objects".into(),
            s3: S3Config::default(),
        }
    }
}

impl AttachmentsConfig {
    pub fn validate(&self) -> Result<(), String> {
        if self.max_bytes == 0 {
            return Err("attachments.max_bytes must be positive".into());
        }
        match self.backend.as_str() {
            "local" => Ok(()),
            "s3" if self.s3.bucket.trim().is_empty() => {
                Err("attachments.s3.bucket is required when attachments.backend is `s3`".into())
            }
            "s3" if cfg!(feature = "s3") => Ok(()),
            "s3" => Err(
                "attachments.backend is `s3` but this binary was built without the `s3` feature (cargo build --features s3)"
                    .into(),
            ),
            other => Err(format!(
                "attachments.backend must be `local` or `s3`, not `{other}`"
            )),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum AttachmentError {
    #[error(transparent)]
    Refused(#[from] Refused),
    #[error("the file is larger than the limit of {}", human_size(*.limit))]
    TooLarge { limit: u64 },
    #[error("the image cannot be read ({0}); the file looks damaged")]
    BrokenImage(String),
    #[error("not found")]
    NotFound,
    #[error("not allowed")]
    Forbidden,
    #[error("the stored file does not match its recorded SHA-256")]
    Corrupt,
    #[error("object store: {0}")]
    Object(#[from] object_store::Error),
    #[error("object store configuration: {0}")]
    Config(String),
    #[error(transparent)]
    Storage(#[from] sqlx::Error),
    #[error(transparent)]
    Db(#[from] ticorr_db::DbError),
    #[error(transparent)]
    Ledger(#[from] LedgerError),
    #[error("background task failed: {0}")]
    Task(String),
}

impl From<Denied> for AttachmentError {
    fn from(d: Denied) -> Self {
        match d {
            Denied::NotFound => AttachmentError::NotFound,
            Denied::Forbidden => AttachmentError::Forbidden,
            Denied::Storage(e) => AttachmentError::Storage(e),
        }
    }
}

/// A byte count for people: `20 MiB`, `512 KiB`, `900 B`.
pub fn human_size(bytes: u64) -> String {
    const KIB: u64 = 1024;
    const MIB: u64 = 1024 * 1024;
    if bytes >= MIB {
        let v = bytes as f64 / MIB as f64;
        if bytes.is_multiple_of(MIB) {
            format!("{} MiB", bytes / MIB)
        } else {
            format!("{v:.1} MiB")
        }
    } else if bytes >= KIB {
        let v = bytes as f64 / KIB as f64;
        if bytes.is_multiple_of(KIB) {
            format!("{} KiB", bytes / KIB)
        } else {
            format!("{v:.1} KiB")
        }
    } else {
        format!("{bytes} B")
    }
}

/// The record files are attached to, as its module describes it.
#[derive(Debug, Clone)]
pub struct Owner {
    /// The owner's record kind, e.g. `equipment`.
    pub kind: &'static str,
    pub id: String,
    pub org: OrgId,
    pub level: Level,
    pub parks: Vec<OrgId>,
    /// The owner's record type in the ledger, when its module anchors such records; files
    /// of an owner that has an entry are anchored too.
    pub ledger_type: Option<&'static str>,
}

impl Owner {
    /// An attachment of this owner as the policies see it: the owner's level, organisation
    /// and parks decide.
    pub fn resource(&self, attachment: &str) -> Resource {
        Resource::Record(RecordRef {
            kind: RECORD_KIND,
            id: attachment.to_owned(),
            level: self.level,
            owner: self.org,
            parks: self.parks.clone(),
        })
    }

    fn whole(&self) -> String {
        format!("{}/{}", self.kind, self.id)
    }
}

/// A stored file.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Attachment {
    pub id: AttachmentId,
    /// The owner's record kind, e.g. `equipment`.
    pub owner_kind: String,
    pub owner_id: String,
    /// The name it was uploaded with (last path component, control characters removed).
    pub file_name: String,
    /// The type detected from the content.
    pub kind: Kind,
    /// The media type it is served with.
    pub content_type: String,
    pub size_bytes: u64,
    /// Lower-case hex SHA-256 of the bytes.
    pub sha256: String,
    /// Whether `GET /api/v1/attachments/{id}/thumbnail` has an image.
    pub has_thumbnail: bool,
    pub created_at: Timestamp,
    pub created_by: Option<PersonId>,
    /// The file's latest ledger entry, when its owner is anchored.
    pub ledger: Option<LedgerRef>,
    #[serde(skip)]
    org_id: OrgId,
    #[serde(skip)]
    object_key: String,
    #[serde(skip)]
    thumbnail_key: Option<String>,
    #[serde(skip)]
    deleted_at: Option<Timestamp>,
}

impl Attachment {
    /// The canonical record anchored in the ledger. It names the file by its hash, so the
    /// leaf proves which bytes were attached without revealing them.
    pub fn ledger_record(&self) -> serde_json::Value {
        serde_json::json!({
            "id": self.id.to_string(),
            "owner_kind": self.owner_kind,
            "owner_id": self.owner_id,
            "org_id": self.org_id.to_string(),
            "file_name": self.file_name,
            "content_type": self.content_type,
            "size_bytes": self.size_bytes,
            "sha256": self.sha256,
            "created_at": self.created_at.to_rfc3339(),
            "deleted_at": self.deleted_at.map(|t| t.to_rfc3339()),
        })
    }

    /// The first 12 hex digits of the SHA-256, for lists.
    pub fn sha256_short(&self) -> &str {
        self.sha256.get(..12).unwrap_or(&self.sha256)
    }

    pub fn size_human(&self) -> String {
        human_size(self.size_bytes)
    }

    fn anchor(&self) -> Anchor<'static> {
        Anchor {
            record_type: LEDGER_TYPE,
            record_id: self.id.to_string(),
            record: self.ledger_record(),
        }
    }

    fn object_keys(&self) -> Vec<String> {
        std::iter::once(self.object_key.clone())
            .chain(self.thumbnail_key.clone())
            .collect()
    }
}

/// The object store holding the files, and the upload limit. Cheap to clone.
#[derive(Clone)]
pub struct Attachments {
    store: Arc<dyn ObjectStore>,
    max_bytes: u64,
    description: String,
}

impl std::fmt::Debug for Attachments {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Attachments")
            .field("store", &self.description)
            .field("max_bytes", &self.max_bytes)
            .finish()
    }
}

impl Attachments {
    /// Opens the configured store (creating the local directory when missing).
    pub fn open(
        config: &AttachmentsConfig,
        data_dir: &Path,
    ) -> Result<Attachments, AttachmentError> {
        config.validate().map_err(AttachmentError::Config)?;
        let (store, description): (Arc<dyn ObjectStore>, String) = match config.backend.as_str() {
            "s3" => open_s3(&config.s3)?,
            _ => {
                let dir = if Path::new(&config.local_dir).is_absolute() {
                    Path::new(&config.local_dir).to_path_buf()
                } else {
                    data_dir.join(&config.local_dir)
                };
                std::fs::create_dir_all(&dir).map_err(|e| {
                    AttachmentError::Config(format!("cannot create {}: {e}", dir.display()))
                })?;
                // fsync on every write: a file is acknowledged only once it is on disk,
                // as the database's own commits are.
                let store = object_store::local::LocalFileSystem::new_with_prefix(&dir)?
                    .with_fsync(true)
                    .with_automatic_cleanup(true);
                (Arc::new(store), format!("local:{}", dir.display()))
            }
        };
        Ok(Attachments {
            store,
            max_bytes: config.max_bytes,
            description,
        })
    }

    /// The largest file accepted, in bytes.
    pub fn max_bytes(&self) -> u64 {
        self.max_bytes
    }

    async fn put(&self, key: &str, bytes: Bytes) -> Result<(), AttachmentError> {
        self.store
            .put(&ObjectPath::from(key), PutPayload::from(bytes))
            .await?;
        Ok(())
    }

    async fn get(&self, key: &str) -> Result<Bytes, AttachmentError> {
        match self.store.get(&ObjectPath::from(key)).await {
            Ok(r) => Ok(r.bytes().await?),
            Err(e) => Err(e.into()),
        }
    }

    /// Removes objects, logging (not failing on) what could not be removed: the rows are
    /// already gone, and a leftover object harms nothing but space.
    async fn remove(&self, keys: &[String]) {
        for key in keys {
            match self.store.delete(&ObjectPath::from(key.as_str())).await {
                Ok(()) | Err(object_store::Error::NotFound { .. }) => {}
                Err(e) => {
                    tracing::error!(attachment.object = %key, error = %e, "an attachment's object could not be removed; remove it by hand")
                }
            }
        }
    }

    /// Whether an object exists (for tests and operators).
    pub async fn exists(&self, key: &str) -> Result<bool, AttachmentError> {
        match self.store.head(&ObjectPath::from(key)).await {
            Ok(_) => Ok(true),
            Err(object_store::Error::NotFound { .. }) => Ok(false),
            Err(e) => Err(e.into()),
        }
    }
}

#[cfg(feature = "s3")]
fn open_s3(c: &S3Config) -> Result<(Arc<dyn ObjectStore>, String), AttachmentError> {
    let mut b = object_store::aws::AmazonS3Builder::from_env()
        .with_bucket_name(&c.bucket)
        .with_allow_http(c.allow_http);
    if !c.region.is_empty() {
        b = b.with_region(&c.region);
    }
    if !c.endpoint.is_empty() {
        b = b.with_endpoint(&c.endpoint);
    }
    let s3 = b.build()?;
    let description = format!("s3:{}/{}", c.bucket, c.prefix);
    if c.prefix.trim_matches('/').is_empty() {
        Ok((Arc::new(s3), description))
    } else {
        let prefixed =
            object_store::prefix::PrefixStore::new(s3, c.prefix.trim_matches('/').to_owned());
        Ok((Arc::new(prefixed), description))
    }
}

#[cfg(not(feature = "s3"))]
fn open_s3(_: &S3Config) -> Result<(Arc<dyn ObjectStore>, String), AttachmentError> {
    Err(AttachmentError::Config(
        "this binary was built without the `s3` feature".into(),
    ))
}

const COLUMNS: &str = "id, owner_kind, owner_id, org_id, file_name, kind, content_type, size_bytes, \
    sha256, object_key, thumbnail_key, created_at, created_by, deleted_at";

fn from_row(row: &AnyRow) -> Result<Attachment, sqlx::Error> {
    let kind: String = row.try_get("kind")?;
    Ok(Attachment {
        id: ticorr_db::parsed(row, "id")?,
        owner_kind: row.try_get("owner_kind")?,
        owner_id: row.try_get("owner_id")?,
        org_id: ticorr_db::parsed(row, "org_id")?,
        file_name: row.try_get("file_name")?,
        kind: Kind::parse(&kind).ok_or_else(|| sqlx::Error::ColumnDecode {
            index: "kind".into(),
            source: format!("unknown attachment kind `{kind}`").into(),
        })?,
        content_type: row.try_get("content_type")?,
        size_bytes: row.try_get::<i64, _>("size_bytes")? as u64,
        sha256: row.try_get("sha256")?,
        has_thumbnail: row.try_get::<Option<String>, _>("thumbnail_key")?.is_some(),
        object_key: row.try_get("object_key")?,
        thumbnail_key: row.try_get("thumbnail_key")?,
        created_at: ticorr_db::parsed(row, "created_at")?,
        created_by: ticorr_db::parsed_opt(row, "created_by")?,
        deleted_at: ticorr_db::parsed_opt(row, "deleted_at")?,
        ledger: None,
    })
}

/// One row, deleted (tombstone) or not.
async fn load(conn: &mut AnyConnection, id: &str) -> Result<Option<Attachment>, AttachmentError> {
    let sql = format!("SELECT {COLUMNS} FROM attachments WHERE id = $1");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(id.to_owned())
        .fetch_optional(&mut *conn)
        .await?;
    let Some(row) = row else { return Ok(None) };
    let mut a = from_row(&row)?;
    a.ledger = ledger::latest(conn, LEDGER_TYPE, id).await?;
    Ok(Some(a))
}

/// A live attachment by id, with no authorization: only to learn its owner, which the
/// owner's module then resolves into an [`Owner`] for the calls that decide access.
pub async fn find(db: &Db, id: AttachmentId) -> Result<Option<Attachment>, AttachmentError> {
    let mut conn = db.pool().acquire().await?;
    Ok(load(&mut conn, &id.to_string())
        .await?
        .filter(|a| a.deleted_at.is_none()))
}

/// The files of `owner`, oldest first, if the caller may read them.
pub async fn list(
    db: &Db,
    gate: &Gate,
    caller: &Caller,
    owner: &Owner,
) -> Result<Vec<Attachment>, AttachmentError> {
    let mut conn = db.pool().acquire().await?;
    // One decision for the list: every file of an owner is governed by the owner.
    gate.check(
        &mut conn,
        caller,
        Action::Read,
        &owner.resource(&owner.whole()),
    )
    .await?;
    let sql = format!(
        "SELECT {COLUMNS} FROM attachments WHERE owner_kind = $1 AND owner_id = $2 \
         AND deleted_at IS NULL ORDER BY created_at, id"
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(owner.kind)
        .bind(owner.id.clone())
        .fetch_all(&mut *conn)
        .await?;
    let mut out = Vec::with_capacity(rows.len());
    for row in &rows {
        let mut a = from_row(row)?;
        a.ledger = ledger::latest(&mut conn, LEDGER_TYPE, &a.id.to_string()).await?;
        out.push(a);
    }
    Ok(out)
}

/// The live files of an owner, oldest first, with no authorization and without their
/// ledger entries: for the owner's module, after its own policy decision, when it derives
/// something from the files (a desensitized copy at publication).
pub async fn of_owner(
    conn: &mut AnyConnection,
    owner_kind: &str,
    owner_id: &str,
) -> Result<Vec<Attachment>, AttachmentError> {
    let sql = format!(
        "SELECT {COLUMNS} FROM attachments WHERE owner_kind = $1 AND owner_id = $2 \
         AND deleted_at IS NULL ORDER BY created_at, id"
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(owner_kind.to_owned())
        .bind(owner_id.to_owned())
        .fetch_all(&mut *conn)
        .await?;
    Ok(rows.iter().map(from_row).collect::<Result<_, _>>()?)
}

/// The bytes of `attachment` for a module holding a [`Permit`] for what it does with them
/// (e.g. the curation that publishes a desensitized copy). Checked against the recorded
/// SHA-256 like any read.
pub async fn read_permitted(
    files: &Attachments,
    attachment: &Attachment,
    _permit: &Permit,
) -> Result<Bytes, AttachmentError> {
    let bytes = files.get(&attachment.object_key).await?;
    verify(attachment, bytes).await
}

/// Stores an object a module derived and governs itself (a published copy), under `key`.
/// The key should name the content (e.g. by its hash), so that writing it twice is harmless.
pub async fn put_derived(
    files: &Attachments,
    key: &str,
    bytes: Bytes,
) -> Result<(), AttachmentError> {
    files.put(key, bytes).await
}

/// An object stored with [`put_derived`], checked against the SHA-256 its module recorded.
/// The module decides who reads it, through the gate, before calling this.
pub async fn get_derived(
    files: &Attachments,
    key: &str,
    sha256: &str,
) -> Result<Bytes, AttachmentError> {
    let bytes = files.get(key).await?;
    checked(bytes, sha256, key).await
}

/// The lower-case hex SHA-256 of `bytes`.
pub fn sha256_of(bytes: &[u8]) -> String {
    sha256_hex(bytes)
}

async fn verify(attachment: &Attachment, bytes: Bytes) -> Result<Bytes, AttachmentError> {
    checked(bytes, &attachment.sha256, &attachment.object_key).await
}

/// `bytes` if they hash to `sha256`; otherwise the object was damaged in the store.
async fn checked(bytes: Bytes, sha256: &str, key: &str) -> Result<Bytes, AttachmentError> {
    let check = bytes.clone();
    let sha = tokio::task::spawn_blocking(move || sha256_hex(&check))
        .await
        .map_err(|e| AttachmentError::Task(e.to_string()))?;
    if sha != sha256 {
        tracing::error!(object = %key, "a stored object does not match its SHA-256");
        return Err(AttachmentError::Corrupt);
    }
    Ok(bytes)
}

/// Whether the caller may attach files to `owner` (to offer the form; the gate decides
/// again on upload).
pub fn may_attach(gate: &Gate, caller: &Caller, owner: &Owner) -> bool {
    gate.would_allow(caller, Action::Create, &owner.resource(&owner.whole()))
}

/// Whether the caller may delete files of `owner` (to offer the buttons).
pub fn may_delete(gate: &Gate, caller: &Caller, owner: &Owner) -> bool {
    gate.would_allow(caller, Action::Delete, &owner.resource(&owner.whole()))
}

fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Attaches a file to `owner`. Refused before anything is stored when the caller may not
/// attach, when the file is too large, of an unknown type, named against its content, or
/// a broken image.
pub async fn upload(
    db: &Db,
    gate: &Gate,
    files: &Attachments,
    caller: &Caller,
    owner: &Owner,
    name: &str,
    bytes: Bytes,
) -> Result<Attachment, AttachmentError> {
    let id = AttachmentId::new();
    // Decide first, so a caller who may not attach learns nothing about the file rules.
    {
        let mut conn = db.pool().acquire().await?;
        gate.check(
            &mut conn,
            caller,
            Action::Create,
            &owner.resource(&id.to_string()),
        )
        .await?;
    }
    if bytes.len() as u64 > files.max_bytes {
        return Err(AttachmentError::TooLarge {
            limit: files.max_bytes,
        });
    }
    let kind = detect::detect(name, &bytes)?;
    let file_name = detect::clean_name(name, kind);
    let work = bytes.clone();
    let (sha256, thumbnail) =
        tokio::task::spawn_blocking(move || (sha256_hex(&work), thumb::make(kind, &work)))
            .await
            .map_err(|e| AttachmentError::Task(e.to_string()))?;
    let thumbnail = match thumbnail {
        thumb::Thumbnail::Made(t) => Some(t),
        thumb::Thumbnail::None => None,
        thumb::Thumbnail::Broken(reason) => return Err(AttachmentError::BrokenImage(reason)),
    };
    let now = gate.clock().now();
    let attachment = Attachment {
        id,
        owner_kind: owner.kind.to_owned(),
        owner_id: owner.id.clone(),
        org_id: owner.org,
        file_name,
        kind,
        content_type: kind.content_type().to_owned(),
        size_bytes: bytes.len() as u64,
        sha256,
        has_thumbnail: thumbnail.is_some(),
        created_at: now,
        created_by: caller.principal.actor().map(|a| a.person_id),
        ledger: None,
        object_key: format!("attachments/{id}"),
        thumbnail_key: thumbnail.as_ref().map(|_| format!("thumbnails/{id}.png")),
        deleted_at: None,
    };
    // The objects first; the row only once they are stored.
    files.put(&attachment.object_key, bytes).await?;
    if let (Some(key), Some(t)) = (&attachment.thumbnail_key, thumbnail)
        && let Err(e) = files.put(key, Bytes::from(t)).await
    {
        files
            .remove(std::slice::from_ref(&attachment.object_key))
            .await;
        return Err(e);
    }
    match insert(db, owner, attachment.clone(), now).await {
        Ok(stored) => {
            tracing::info!(
                attachment.id = %stored.id,
                attachment.owner = %owner.whole(),
                attachment.kind = %stored.kind,
                attachment.size = stored.size_bytes,
                "file attached"
            );
            Ok(stored)
        }
        Err(e) => {
            files.remove(&attachment.object_keys()).await;
            Err(e)
        }
    }
}

/// Writes the row, and its ledger entry when the owner is anchored, in one transaction.
async fn insert(
    db: &Db,
    owner: &Owner,
    mut a: Attachment,
    now: Timestamp,
) -> Result<Attachment, AttachmentError> {
    let mut tx = db.begin().await?;
    sqlx::query(
        "INSERT INTO attachments (id, owner_kind, owner_id, org_id, file_name, kind, content_type, \
         size_bytes, sha256, object_key, thumbnail_key, created_at, created_by) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
    )
    .bind(a.id.to_string())
    .bind(a.owner_kind.clone())
    .bind(a.owner_id.clone())
    .bind(a.org_id.to_string())
    .bind(a.file_name.clone())
    .bind(a.kind.as_str())
    .bind(a.content_type.clone())
    .bind(a.size_bytes as i64)
    .bind(a.sha256.clone())
    .bind(a.object_key.clone())
    .bind(a.thumbnail_key.clone())
    .bind(a.created_at.to_rfc3339())
    .bind(a.created_by.map(|p| p.to_string()))
    .execute(&mut *tx)
    .await?;
    let owner_anchored = match owner.ledger_type {
        Some(t) => ledger::latest(&mut tx, t, &owner.id).await?.is_some(),
        None => false,
    };
    if owner_anchored {
        a.ledger = ledger::anchor(&mut tx, now, &[a.anchor()])
            .await?
            .into_iter()
            .next();
    }
    tx.commit().await?;
    Ok(a)
}

/// Anchors every file of an owner that has no ledger entry yet. A module calls this in the
/// transaction that anchors the owner record, so the owner and its files enter the log
/// together. Returns the number of files anchored.
pub async fn anchor_owner(
    conn: &mut AnyConnection,
    now: Timestamp,
    owner_kind: &str,
    owner_id: &str,
) -> Result<usize, AttachmentError> {
    let sql = format!(
        "SELECT {COLUMNS} FROM attachments a WHERE owner_kind = $1 AND owner_id = $2 \
         AND deleted_at IS NULL AND NOT EXISTS (SELECT 1 FROM ledger_entries l \
         WHERE l.record_type = $3 AND l.record_id = a.id) ORDER BY created_at, id"
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(owner_kind.to_owned())
        .bind(owner_id.to_owned())
        .bind(LEDGER_TYPE)
        .fetch_all(&mut *conn)
        .await?;
    let pending = rows.iter().map(from_row).collect::<Result<Vec<_>, _>>()?;
    let anchors: Vec<Anchor<'static>> = pending.iter().map(Attachment::anchor).collect();
    ledger::anchor(conn, now, &anchors).await?;
    Ok(anchors.len())
}

/// Which bytes of a file to read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Content {
    File,
    Thumbnail,
}

/// The bytes of `attachment` (which must belong to `owner`), if the caller may read them.
/// A file whose stored bytes no longer match the recorded SHA-256 is not served.
pub async fn read(
    db: &Db,
    gate: &Gate,
    files: &Attachments,
    caller: &Caller,
    owner: &Owner,
    attachment: &Attachment,
    content: Content,
) -> Result<Bytes, AttachmentError> {
    if attachment.owner_kind != owner.kind || attachment.owner_id != owner.id {
        return Err(AttachmentError::NotFound);
    }
    {
        let mut conn = db.pool().acquire().await?;
        gate.check(
            &mut conn,
            caller,
            Action::Read,
            &owner.resource(&attachment.id.to_string()),
        )
        .await?;
    }
    match content {
        Content::Thumbnail => {
            let key = attachment
                .thumbnail_key
                .as_deref()
                .ok_or(AttachmentError::NotFound)?;
            files.get(key).await
        }
        Content::File => {
            let bytes = files.get(&attachment.object_key).await?;
            verify(attachment, bytes).await
        }
    }
}

/// Deletes a file of `owner`. The row goes (or, for an anchored file, becomes a tombstone
/// anchored as a new version) in one transaction with its audit record; the bytes are
/// removed after the commit.
pub async fn delete(
    db: &Db,
    gate: &Gate,
    files: &Attachments,
    caller: &Caller,
    owner: &Owner,
    id: AttachmentId,
) -> Result<(), AttachmentError> {
    let mut tx = db.begin().await?;
    let current = load(&mut tx, &id.to_string())
        .await?
        .filter(|a| a.deleted_at.is_none() && a.owner_kind == owner.kind && a.owner_id == owner.id)
        .ok_or(AttachmentError::NotFound)?;
    let (mut tx, _permit) = gate
        .check_tx(tx, caller, Action::Delete, &owner.resource(&id.to_string()))
        .await?;
    let now = gate.clock().now();
    let tombstone = current.ledger.is_some();
    remove_rows(&mut tx, now, caller, std::slice::from_ref(&current)).await?;
    let mut event = AuditEvent::on(
        caller,
        now,
        Action::Delete.as_str(),
        Outcome::Success,
        RECORD_KIND,
        id,
        Some(owner.org),
    );
    event.level = Some(owner.level);
    event.detail = Some(if tombstone {
        "file removed; the anchored row is kept as a tombstone".into()
    } else {
        "file removed".into()
    });
    audit::record(&mut tx, &[event]).await?;
    tx.commit().await?;
    files.remove(&current.object_keys()).await;
    Ok(())
}

/// Removes rows: anchored ones become tombstones anchored as a new version, the others go.
async fn remove_rows(
    conn: &mut AnyConnection,
    now: Timestamp,
    caller: &Caller,
    rows: &[Attachment],
) -> Result<(), AttachmentError> {
    let by = caller.principal.actor().map(|a| a.person_id.to_string());
    let mut anchors = Vec::new();
    for a in rows {
        if a.ledger.is_some() {
            sqlx::query("UPDATE attachments SET deleted_at = $1, deleted_by = $2 WHERE id = $3")
                .bind(now.to_rfc3339())
                .bind(by.clone())
                .bind(a.id.to_string())
                .execute(&mut *conn)
                .await?;
            let mut gone = a.clone();
            gone.deleted_at = Some(now);
            anchors.push(gone.anchor());
        } else {
            sqlx::query("DELETE FROM attachments WHERE id = $1")
                .bind(a.id.to_string())
                .execute(&mut *conn)
                .await?;
        }
    }
    ledger::anchor(conn, now, &anchors).await?;
    Ok(())
}

/// The objects of an owner's files, taken off the owner inside the transaction that
/// deletes the owner record (whose permit covers its files). Call [`release`] with the
/// result after that transaction commits.
#[derive(Debug, Default)]
#[must_use = "pass it to `release` after the commit, or the objects stay behind"]
pub struct Released(Vec<String>);

/// Removes every file of an owner that is being deleted, in the caller's transaction.
pub async fn detach_all(
    conn: &mut AnyConnection,
    now: Timestamp,
    caller: &Caller,
    owner_kind: &str,
    owner_id: &str,
) -> Result<Released, AttachmentError> {
    let sql = format!(
        "SELECT {COLUMNS} FROM attachments WHERE owner_kind = $1 AND owner_id = $2 AND deleted_at IS NULL"
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(owner_kind.to_owned())
        .bind(owner_id.to_owned())
        .fetch_all(&mut *conn)
        .await?;
    let mut current = Vec::with_capacity(rows.len());
    for row in &rows {
        let mut a = from_row(row)?;
        a.ledger = ledger::latest(conn, LEDGER_TYPE, &a.id.to_string()).await?;
        current.push(a);
    }
    remove_rows(conn, now, caller, &current).await?;
    Ok(Released(
        current.iter().flat_map(Attachment::object_keys).collect(),
    ))
}

/// Removes the objects of files detached by [`detach_all`], once its transaction committed.
pub async fn release(files: &Attachments, released: Released) {
    files.remove(&released.0).await;
}

/// The current canonical record of an attachment entry, tombstones included (for
/// `ledger verify`).
pub async fn ledger_record(
    conn: &mut AnyConnection,
    id: &str,
) -> Result<Option<serde_json::Value>, LedgerError> {
    match load(conn, id).await {
        Ok(a) => Ok(a.map(|a| a.ledger_record())),
        Err(AttachmentError::Storage(e)) => Err(LedgerError::Storage(e)),
        Err(AttachmentError::Ledger(e)) => Err(e),
        Err(e) => Err(LedgerError::Invalid(e.to_string())),
    }
}

/// The anchored record of a file of `owner`, when the caller may read the file (for the
/// ledger's entry and proof views).
pub async fn visible_record(
    db: &Db,
    gate: &Gate,
    caller: &Caller,
    owner: &Owner,
    a: &Attachment,
) -> Option<serde_json::Value> {
    if a.owner_kind != owner.kind || a.owner_id != owner.id {
        return None;
    }
    let mut conn = db.pool().acquire().await.ok()?;
    gate.check(
        &mut conn,
        caller,
        Action::Read,
        &owner.resource(&a.id.to_string()),
    )
    .await
    .ok()?;
    Some(a.ledger_record())
}

/// The object key of a live file, for operators' checks and tests.
pub fn object_key(a: &Attachment) -> &str {
    &a.object_key
}

/// The thumbnail's object key, if the file has one.
pub fn thumbnail_key(a: &Attachment) -> Option<&str> {
    a.thumbnail_key.as_deref()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::Authz;
    use crate::policy::matrix::{Condition, Relation, principal, record_of};
    use ticorr_kernel::{OrgKind, Role};

    /// A file is decided as its owner for reading, attaching and deleting, for every kind of
    /// organisation, relation, level and condition; nobody updates one.
    #[test]
    fn files_are_decided_as_their_owner_and_never_updated() {
        let authz = Authz::load().unwrap();
        let conditions = [
            Condition::Normal,
            Condition::OrgPending,
            Condition::Disabled,
            Condition::TokenWithoutScope,
            Condition::TokenWithScope,
        ];
        let mut checked = 0;
        for kind in OrgKind::ALL {
            for relation in Relation::for_kind(*kind) {
                for condition in conditions {
                    for level in Level::ALL {
                        for action in [Action::Read, Action::Create, Action::Delete] {
                            let p = principal(*kind, relation, Role::Member, condition, action);
                            assert_eq!(
                                authz.authorize(&p, action, &record_of(RECORD_KIND, level)),
                                authz.authorize(&p, action, &record_of("equipment", level)),
                                "{kind} ({relation:?}, {condition:?}) {action} on {level}"
                            );
                            checked += 1;
                        }
                        let p = principal(*kind, relation, Role::Admin, condition, Action::Update);
                        assert!(!authz.authorize(
                            &p,
                            Action::Update,
                            &record_of(RECORD_KIND, level)
                        ));
                    }
                }
            }
        }
        assert!(checked > 500);
    }

    #[test]
    fn sizes_read_well() {
        assert_eq!(human_size(20 * 1024 * 1024), "20 MiB");
        assert_eq!(human_size(1536), "1.5 KiB");
        assert_eq!(human_size(900), "900 B");
    }

    #[test]
    fn the_configuration_is_checked() {
        let mut c = AttachmentsConfig::default();
        assert!(c.validate().is_ok());
        c.backend = "ftp".into();
        assert!(c.validate().unwrap_err().contains("local"));
        c.backend = "s3".into();
        assert!(c.validate().unwrap_err().contains("bucket"));
        c.s3.bucket = "ticorr".into();
        assert_eq!(c.validate().is_ok(), cfg!(feature = "s3"));
        c.backend = "local".into();
        c.max_bytes = 0;
        assert!(c.validate().is_err());
    }
}
