//! The ledger: the platform's transparency log, stored in the database.
//!
//! Every state change that matters is *anchored*: a leaf holding the canonical hash of the
//! record, its type, id and version (`ticorr-ledger`'s leaf format) is appended to an
//! RFC 9162 Merkle tree in the same transaction as the change. The tree's perfect-subtree
//! hashes are stored, so appending and proving cost O(log n). Checkpoints (C2SP
//! tlog-checkpoint) are signed with the log's Ed25519 key and cosigned by independent
//! witnesses (`ticorr witness`), which check consistency with what they cosigned before;
//! a log that rewrote history cannot collect their cosignatures again.
//!
//! [`verify_all`] recomputes everything from the stored leaves, so an edit, deletion,
//! reordering or insertion behind the platform's back is found and named.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use serde::{Deserialize, Serialize};
use sqlx::{AnyConnection, Row};
use ticorr_db::Db;
use ticorr_kernel::Timestamp;
use ticorr_ledger::{
    Checkpoint, Hash, LeafEntry, NodeId, Note, SignatureType, SignerKey, TrustPolicy, VerifierKey,
};

/// Ledger settings (`[ledger]` in the configuration file).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LedgerConfig {
    /// The log's origin line (and key name): a schema-less URL naming this log.
    pub origin: String,
    /// The log's private key file (C2SP signed-note private-key format), relative to the
    /// data directory unless absolute. Created on first start when missing.
    pub key_file: String,
    /// Verifier keys of the witnesses whose cosignatures the log accepts.
    pub witnesses: Vec<String>,
}

impl Default for LedgerConfig {
    fn default() -> Self {
        LedgerConfig {
            origin: "ticorr.local/ledger".into(),
            key_file: "ledger.key".into(),
            witnesses: vec![],
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum LedgerError {
    #[error("ledger key: {0}")]
    Key(String),
    #[error("{0}")]
    Invalid(String),
    #[error("not found")]
    NotFound,
    #[error(transparent)]
    Storage(#[from] sqlx::Error),
    #[error(transparent)]
    Db(#[from] ticorr_db::DbError),
}

fn invalid(e: impl std::fmt::Display) -> LedgerError {
    LedgerError::Invalid(e.to_string())
}

/// The log's identity: its signing key, origin and trusted witnesses.
pub struct Ledger {
    key: SignerKey,
    origin: String,
    witnesses: Vec<VerifierKey>,
}

impl std::fmt::Debug for Ledger {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ledger")
            .field("origin", &self.origin)
            .finish()
    }
}

impl Ledger {
    /// Loads the log key from `key_file` (relative to `data_dir`), creating it when missing.
    pub fn load(config: &LedgerConfig, data_dir: &Path) -> Result<Ledger, LedgerError> {
        let path = if Path::new(&config.key_file).is_absolute() {
            Path::new(&config.key_file).to_path_buf()
        } else {
            data_dir.join(&config.key_file)
        };
        let key = match std::fs::read_to_string(&path) {
            Ok(text) => SignerKey::parse(text.trim())
                .map_err(|e| LedgerError::Key(format!("{}: {e}", path.display())))?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let key = SignerKey::generate(&config.origin, SignatureType::Ed25519)
                    .map_err(|e| LedgerError::Key(e.to_string()))?;
                write_secret(&path, &key.to_private_key_string())
                    .map_err(|e| LedgerError::Key(format!("{}: {e}", path.display())))?;
                tracing::info!(ledger.key_file = %path.display(), "created the ledger signing key");
                key
            }
            Err(e) => return Err(LedgerError::Key(format!("{}: {e}", path.display()))),
        };
        if key.name() != config.origin {
            return Err(LedgerError::Key(format!(
                "the key in {} is named `{}` but ledger.origin is `{}`",
                path.display(),
                key.name(),
                config.origin
            )));
        }
        let witnesses = config
            .witnesses
            .iter()
            .map(|w| {
                VerifierKey::parse(w)
                    .map_err(|e| LedgerError::Key(format!("witness key `{w}`: {e}")))
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Ledger {
            key,
            origin: config.origin.clone(),
            witnesses,
        })
    }

    /// A ledger with a given key (tests, tools).
    pub fn with_key(key: SignerKey, witnesses: Vec<VerifierKey>) -> Ledger {
        Ledger {
            origin: key.name().to_owned(),
            key,
            witnesses,
        }
    }

    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// The log's verifier key, as third parties configure it.
    pub fn verifier_key(&self) -> VerifierKey {
        self.key.verifier_key()
    }

    pub fn witnesses(&self) -> &[VerifierKey] {
        &self.witnesses
    }

    /// The trust policy for this log's checkpoints (no witness quorum required).
    pub fn policy(&self) -> TrustPolicy {
        TrustPolicy::new(self.verifier_key())
            .with_origin(&self.origin)
            .with_witnesses(self.witnesses.clone(), 0)
    }
}

/// Writes a secret file readable by its owner only.
pub fn write_secret(path: &Path, text: &str) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    #[cfg(unix)]
    {
        use std::io::Write;
        use std::os::unix::fs::OpenOptionsExt;
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(path)?;
        f.write_all(text.as_bytes())?;
        f.write_all(b"\n")?;
        f.sync_all()
    }
    #[cfg(not(unix))]
    {
        std::fs::write(path, format!("{text}\n"))
    }
}

/// Reads the given nodes in one query.
async fn fetch_nodes(
    conn: &mut AnyConnection,
    ids: &[NodeId],
) -> Result<HashMap<NodeId, Hash>, LedgerError> {
    let mut out = HashMap::with_capacity(ids.len());
    for chunk in ids.chunks(500) {
        if chunk.is_empty() {
            continue;
        }
        let sql = format!(
            "SELECT node_key, hash FROM ledger_nodes WHERE node_key IN ({})",
            ticorr_db::placeholders(1, chunk.len())
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for id in chunk {
            q = q.bind(id.storage_key().ok_or_else(|| invalid("tree too large"))?);
        }
        for row in q.fetch_all(&mut *conn).await? {
            let key: i64 = row.try_get("node_key")?;
            let hash: String = row.try_get("hash")?;
            let id = NodeId::from_storage_key(key).ok_or_else(|| invalid("corrupt node key"))?;
            out.insert(id, Hash::from_hex(&hash).map_err(invalid)?);
        }
    }
    Ok(out)
}

async fn insert_nodes(
    conn: &mut AnyConnection,
    nodes: &[ticorr_ledger::StoredNode],
) -> Result<(), LedgerError> {
    for chunk in nodes.chunks(400) {
        let mut sql = String::from("INSERT INTO ledger_nodes (node_key, hash) VALUES ");
        for i in 0..chunk.len() {
            if i > 0 {
                sql.push_str(", ");
            }
            sql.push_str(&format!("(${}, ${})", 2 * i + 1, 2 * i + 2));
        }
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for n in chunk {
            q = q
                .bind(
                    n.id.storage_key()
                        .ok_or_else(|| invalid("tree too large"))?,
                )
                .bind(n.hash.to_hex());
        }
        q.execute(&mut *conn).await?;
    }
    Ok(())
}

/// Locks the log head for this transaction and returns the tree size.
async fn lock_head(conn: &mut AnyConnection) -> Result<u64, LedgerError> {
    // An UPDATE takes PostgreSQL's row lock, serializing appends across nodes; on SQLite
    // the write transaction already excludes other writers.
    sqlx::query("UPDATE ledger_head SET size = size WHERE id = 1")
        .execute(&mut *conn)
        .await?;
    let size: i64 = sqlx::query_scalar("SELECT size FROM ledger_head WHERE id = 1")
        .fetch_one(&mut *conn)
        .await?;
    Ok(size as u64)
}

/// A record to anchor.
#[derive(Debug, Clone)]
pub struct Anchor<'a> {
    pub record_type: &'a str,
    pub record_id: String,
    pub record: serde_json::Value,
}

/// Where a record sits in the log.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct LedgerRef {
    /// The leaf index of the record's latest entry.
    pub index: u64,
    pub version: u64,
}

/// Appends records to the log inside the caller's write transaction, so the change and
/// its anchor commit together. Returns each record's new entry.
pub async fn anchor(
    conn: &mut AnyConnection,
    now: Timestamp,
    records: &[Anchor<'_>],
) -> Result<Vec<LedgerRef>, LedgerError> {
    if records.is_empty() {
        return Ok(vec![]);
    }
    let size = lock_head(conn).await?;
    let mut entries = Vec::with_capacity(records.len());
    let mut next_version: HashMap<(String, String), u64> = HashMap::new();
    for r in records {
        let key = (r.record_type.to_owned(), r.record_id.clone());
        let version = match next_version.get(&key) {
            Some(v) => *v,
            None => {
                let last: Option<i64> = sqlx::query_scalar("SELECT MAX(version) FROM ledger_entries WHERE record_type = $1 AND record_id = $2")
                    .bind(r.record_type.to_owned())
                    .bind(r.record_id.clone())
                    .fetch_one(&mut *conn)
                    .await?;
                last.map(|v| v as u64 + 1).unwrap_or(1)
            }
        };
        next_version.insert(key, version + 1);
        let entry = LeafEntry::for_record(r.record_type, &r.record_id, version, &r.record)
            .map_err(invalid)?;
        entries.push(entry);
    }
    let leaf_hashes: Vec<Hash> = entries.iter().map(|e| e.leaf_hash()).collect();
    let needed = ticorr_ledger::needed_nodes_for_root(size).map_err(invalid)?;
    let existing = fetch_nodes(conn, &needed).await?;
    let batch = ticorr_ledger::nodes_to_store_on_append_batch(size, &leaf_hashes, &existing)
        .map_err(invalid)?;
    insert_nodes(conn, &batch.nodes).await?;
    let mut refs = Vec::with_capacity(entries.len());
    for (i, e) in entries.iter().enumerate() {
        let idx = size + i as u64;
        let leaf_data = String::from_utf8(e.to_leaf_data()).map_err(invalid)?;
        sqlx::query("INSERT INTO ledger_entries (idx, record_type, record_id, version, leaf_data, at) VALUES ($1, $2, $3, $4, $5, $6)")
            .bind(idx as i64)
            .bind(e.record_type.clone())
            .bind(e.id.clone())
            .bind(e.version as i64)
            .bind(leaf_data)
            .bind(now.to_rfc3339())
            .execute(&mut *conn)
            .await?;
        refs.push(LedgerRef {
            index: idx,
            version: e.version,
        });
    }
    sqlx::query("UPDATE ledger_head SET size = $1, updated_at = $2 WHERE id = 1")
        .bind(batch.size as i64)
        .bind(now.to_rfc3339())
        .execute(&mut *conn)
        .await?;
    Ok(refs)
}

/// The latest entry of a record, if it was ever anchored.
pub async fn latest(
    conn: &mut AnyConnection,
    record_type: &str,
    record_id: &str,
) -> Result<Option<LedgerRef>, LedgerError> {
    let row = sqlx::query("SELECT idx, version FROM ledger_entries WHERE record_type = $1 AND record_id = $2 ORDER BY version DESC LIMIT 1")
        .bind(record_type.to_owned())
        .bind(record_id.to_owned())
        .fetch_optional(conn)
        .await?;
    Ok(match row {
        Some(r) => Some(LedgerRef {
            index: r.try_get::<i64, _>("idx")? as u64,
            version: r.try_get::<i64, _>("version")? as u64,
        }),
        None => None,
    })
}

/// The current tree size.
pub async fn size(db: &Db) -> Result<u64, LedgerError> {
    let mut conn = db.pool().acquire().await?;
    let size: i64 = sqlx::query_scalar("SELECT size FROM ledger_head WHERE id = 1")
        .fetch_one(&mut *conn)
        .await?;
    Ok(size as u64)
}

/// The root of the tree at `size`.
pub async fn root_at(conn: &mut AnyConnection, size: u64) -> Result<Hash, LedgerError> {
    let needed = ticorr_ledger::needed_nodes_for_root(size).map_err(invalid)?;
    let nodes = fetch_nodes(conn, &needed).await?;
    ticorr_ledger::root_from_nodes(size, &nodes).map_err(invalid)
}

/// The latest signed checkpoint with its cosignatures, creating and signing a new one when
/// the tree has grown since the last.
pub async fn checkpoint(db: &Db, ledger: &Ledger, now: Timestamp) -> Result<String, LedgerError> {
    let current = size(db).await?;
    let mut conn = db.pool().acquire().await?;
    let latest: Option<i64> = sqlx::query_scalar("SELECT MAX(size) FROM ledger_checkpoints")
        .fetch_one(&mut *conn)
        .await?;
    let size = if latest.map(|l| l as u64) == Some(current) {
        current
    } else {
        let root = root_at(&mut conn, current).await?;
        let cp = Checkpoint::new(&ledger.origin, current, root).map_err(invalid)?;
        let note = cp.sign(&ledger.key).map_err(invalid)?;
        sqlx::query("INSERT INTO ledger_checkpoints (size, root, note, at) VALUES ($1, $2, $3, $4) ON CONFLICT (size) DO NOTHING")
            .bind(current as i64)
            .bind(root.to_base64())
            .bind(note.to_string())
            .bind(now.to_rfc3339())
            .execute(&mut *conn)
            .await?;
        current
    };
    signed_checkpoint(&mut conn, size).await
}

/// The stored checkpoint of `size` with every cosignature collected for it.
pub async fn signed_checkpoint(conn: &mut AnyConnection, size: u64) -> Result<String, LedgerError> {
    let note: String = sqlx::query_scalar("SELECT note FROM ledger_checkpoints WHERE size = $1")
        .bind(size as i64)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or(LedgerError::NotFound)?;
    let lines: Vec<String> =
        sqlx::query_scalar("SELECT line FROM ledger_cosignatures WHERE size = $1 ORDER BY witness")
            .bind(size as i64)
            .fetch_all(&mut *conn)
            .await?;
    let mut note = Note::parse(&note).map_err(invalid)?;
    for line in lines {
        let cosig = Note::parse(&format!("{}\n{line}\n", note.text())).map_err(invalid)?;
        for s in cosig.signatures() {
            note.add_signature(s.clone());
        }
    }
    Ok(note.to_string())
}

/// Accepts a witness's cosignature: `cosigned` is a checkpoint note carrying the
/// witness's cosignature line. It must be one of this log's stored checkpoints, and the
/// cosignature must verify under a configured witness key. Returns the witness name.
pub async fn add_cosignature(
    db: &Db,
    ledger: &Ledger,
    cosigned: &str,
    now: Timestamp,
) -> Result<String, LedgerError> {
    let note = Note::parse(cosigned).map_err(invalid)?;
    let cp = Checkpoint::parse(note.text()).map_err(invalid)?;
    let mut conn = db.pool().acquire().await?;
    let stored: Option<String> =
        sqlx::query_scalar("SELECT note FROM ledger_checkpoints WHERE size = $1")
            .bind(cp.size() as i64)
            .fetch_optional(&mut *conn)
            .await?;
    let stored = stored.ok_or_else(|| invalid("no such checkpoint"))?;
    if Note::parse(&stored).map_err(invalid)?.text() != note.text() {
        return Err(invalid(
            "the cosigned checkpoint is not the one this log signed at that size",
        ));
    }
    let verified = note
        .verify(&ledger.witnesses)
        .map_err(|e| invalid(format!("no valid cosignature of a known witness: {e}")))?;
    let cosig = verified
        .iter()
        .find(|v| v.signature_type == SignatureType::CosignatureV1)
        .ok_or_else(|| invalid("no cosignature of a known witness"))?;
    let line = note
        .signatures()
        .iter()
        .find(|s| s.name() == cosig.name && s.key_id() == cosig.key_id)
        .map(|s| s.to_line())
        .ok_or_else(|| invalid("cosignature line missing"))?;
    sqlx::query(
        "INSERT INTO ledger_cosignatures (size, witness, line, at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (size, witness) DO UPDATE SET line = $3, at = $4",
    )
    .bind(cp.size() as i64)
    .bind(cosig.name.clone())
    .bind(line.trim_end().to_owned())
    .bind(now.to_rfc3339())
    .execute(&mut *conn)
    .await?;
    Ok(cosig.name.clone())
}

/// One stored entry.
#[derive(Debug, Clone, Serialize)]
pub struct StoredEntry {
    pub index: u64,
    pub record_type: String,
    pub record_id: String,
    pub version: u64,
    /// The exact bytes hashed as the leaf.
    pub leaf_data: Vec<u8>,
}

impl StoredEntry {
    pub fn leaf_hash(&self) -> Hash {
        ticorr_ledger::leaf_hash(&self.leaf_data)
    }
}

pub async fn entry(db: &Db, index: u64) -> Result<StoredEntry, LedgerError> {
    let mut conn = db.pool().acquire().await?;
    let row = sqlx::query(
        "SELECT idx, record_type, record_id, version, leaf_data FROM ledger_entries WHERE idx = $1",
    )
    .bind(index as i64)
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(LedgerError::NotFound)?;
    Ok(StoredEntry {
        index,
        record_type: row.try_get("record_type")?,
        record_id: row.try_get("record_id")?,
        version: row.try_get::<i64, _>("version")? as u64,
        leaf_data: row.try_get::<String, _>("leaf_data")?.into_bytes(),
    })
}

/// The RFC 9162 inclusion proof of leaf `index` in the tree of `size`.
pub async fn inclusion_proof(db: &Db, index: u64, size: u64) -> Result<Vec<Hash>, LedgerError> {
    if size > self::size(db).await? {
        return Err(invalid("the tree is not that large yet"));
    }
    let needed = ticorr_ledger::needed_nodes_for_inclusion(index, size).map_err(invalid)?;
    let mut conn = db.pool().acquire().await?;
    let nodes = fetch_nodes(&mut conn, &needed).await?;
    ticorr_ledger::inclusion_proof_from_nodes(index, size, &nodes).map_err(invalid)
}

/// The RFC 9162 consistency proof between the trees of `from` and `to` leaves.
pub async fn consistency_proof(db: &Db, from: u64, to: u64) -> Result<Vec<Hash>, LedgerError> {
    if to > size(db).await? {
        return Err(invalid("the tree is not that large yet"));
    }
    let needed = ticorr_ledger::needed_nodes_for_consistency(from, to).map_err(invalid)?;
    let mut conn = db.pool().acquire().await?;
    let nodes = fetch_nodes(&mut conn, &needed).await?;
    ticorr_ledger::consistency_proof_from_nodes(from, to, &nodes).map_err(invalid)
}

/// What `ledger verify` found.
#[derive(Debug, Default)]
pub struct VerifyReport {
    pub size: u64,
    pub checkpoints: usize,
    pub records: usize,
    /// Every problem, naming the entry, node, checkpoint or record.
    pub problems: Vec<String>,
}

/// Recomputes the whole log from its leaves and checks, naming what is wrong: entries
/// contiguous from 0 and each leaf well-formed; every stored node equal to the recomputed
/// perfect subtree; the head size; every stored checkpoint's root and log signature; every
/// cosignature; and each anchored record's current canonical hash against its latest entry
/// (`current` gives a record's canonical JSON now, or `None` if it is gone).
pub async fn verify_all<F, Fut>(
    db: &Db,
    ledger: &Ledger,
    mut current: F,
) -> Result<VerifyReport, LedgerError>
where
    F: FnMut(String, String) -> Fut,
    Fut: std::future::Future<Output = Result<Option<serde_json::Value>, LedgerError>>,
{
    let mut report = VerifyReport::default();
    let mut conn = db.pool().acquire().await?;
    let rows = sqlx::query(
        "SELECT idx, record_type, record_id, version, leaf_data FROM ledger_entries ORDER BY idx",
    )
    .fetch_all(&mut *conn)
    .await?;
    let mut tree = ticorr_ledger::MemoryTree::new();
    let mut latest: BTreeMap<(String, String), (u64, u64, [u8; 32])> = BTreeMap::new();
    for row in &rows {
        let idx = row.try_get::<i64, _>("idx")? as u64;
        if idx != tree.size() {
            report.problems.push(format!(
                "entry {} is missing (found entry {idx} next): an entry was deleted or inserted",
                tree.size()
            ));
            break;
        }
        let data: String = row.try_get("leaf_data")?;
        tree.append(data.as_bytes());
        let (ty, id, version): (String, String, i64) = (
            row.try_get("record_type")?,
            row.try_get("record_id")?,
            row.try_get("version")?,
        );
        match LeafEntry::parse(data.as_bytes()) {
            Ok(e) if e.record_type == ty && e.id == id && e.version == version as u64 => {
                let key = (ty, id);
                if latest.get(&key).is_none_or(|(_, v, _)| *v < e.version) {
                    latest.insert(key, (idx, e.version, e.record_sha256));
                }
            }
            Ok(_) => report.problems.push(format!(
                "entry {idx}: its columns do not match its leaf data"
            )),
            Err(e) => report.problems.push(format!(
                "entry {idx}: the leaf data is not a valid entry ({e})"
            )),
        }
    }
    report.size = tree.size();
    let head: i64 = sqlx::query_scalar("SELECT size FROM ledger_head WHERE id = 1")
        .fetch_one(&mut *conn)
        .await?;
    if head as u64 != tree.size() {
        report.problems.push(format!(
            "the head says {head} entries but {} are stored",
            tree.size()
        ));
    }
    // Every stored node must be the recomputed perfect subtree.
    let nodes = sqlx::query("SELECT node_key, hash FROM ledger_nodes ORDER BY node_key")
        .fetch_all(&mut *conn)
        .await?;
    let mut expected_nodes = 0u64;
    for level in 0..64u32 {
        let span = 1u64 << level;
        if span > tree.size() {
            break;
        }
        expected_nodes += tree.size() / span;
    }
    if nodes.len() as u64 != expected_nodes {
        report.problems.push(format!(
            "{} tree nodes are stored, {expected_nodes} expected",
            nodes.len()
        ));
    }
    for n in &nodes {
        let key: i64 = n.try_get("node_key")?;
        let Some(id) = NodeId::from_storage_key(key) else {
            report
                .problems
                .push(format!("node key {key} is not a valid node"));
            continue;
        };
        let hash = Hash::from_hex(&n.try_get::<String, _>("hash")?).map_err(invalid)?;
        if ticorr_ledger::NodeSource::node(&tree, id) != Some(hash) {
            report.problems.push(format!(
                "tree node level {} index {} does not match the entries under it",
                id.level, id.index
            ));
        }
    }
    // Checkpoints: root and signature.
    let policy = ledger.policy();
    let cps = sqlx::query("SELECT size, root, note FROM ledger_checkpoints ORDER BY size")
        .fetch_all(&mut *conn)
        .await?;
    for cp in &cps {
        let size = cp.try_get::<i64, _>("size")? as u64;
        let note: String = cp.try_get("note")?;
        report.checkpoints += 1;
        match ticorr_ledger::open_checkpoint(&note, &policy) {
            Ok(opened) => {
                let expected = tree.root_at(size).ok();
                if Some(*opened.checkpoint.root()) != expected || opened.checkpoint.size() != size {
                    report.problems.push(format!("checkpoint {size}: its signed root is not the root of the first {size} entries"));
                }
            }
            Err(e) => report.problems.push(format!("checkpoint {size}: {e}")),
        }
        match signed_checkpoint(&mut conn, size).await {
            Ok(text) => {
                if let Err(e) = ticorr_ledger::open_checkpoint(&text, &policy) {
                    report
                        .problems
                        .push(format!("checkpoint {size} with its cosignatures: {e}"));
                }
            }
            Err(e) => report.problems.push(format!("checkpoint {size}: {e}")),
        }
    }
    drop(conn);
    // Anchored records: the current canonical form must hash to the latest entry.
    for ((ty, id), (idx, version, sha)) in latest {
        report.records += 1;
        match current(ty.clone(), id.clone()).await? {
            None => report.problems.push(format!("{ty} {id}: anchored at entry {idx} (version {version}) but the record is gone")),
            Some(record) => match ticorr_ledger::record_sha256(&record) {
                Ok(now) if now == sha => {}
                Ok(_) => report.problems.push(format!(
                    "{ty} {id}: the stored record no longer matches its latest entry {idx} (version {version}); it was changed without being anchored"
                )),
                Err(e) => report.problems.push(format!("{ty} {id}: cannot be canonicalized ({e})")),
            },
        }
    }
    Ok(report)
}

/// The anchored record types the platform can show and re-derive, by type name. Each
/// module that anchors records adds its type here (through its public service API).
pub mod records {
    use super::LedgerError;
    use crate::gate::{Caller, Gate};
    use crate::identity::orgs;
    use ticorr_db::Db;
    use ticorr_kernel::OrgId;

    /// The record's current canonical form, if it still exists (for `ledger verify`).
    pub async fn current(
        db: &Db,
        record_type: &str,
        id: &str,
    ) -> Result<Option<serde_json::Value>, LedgerError> {
        match record_type {
            orgs::LEDGER_TYPE => {
                let Ok(id) = id.parse::<OrgId>() else {
                    return Ok(None);
                };
                let mut conn = db.pool().acquire().await?;
                Ok(orgs::load(&mut conn, id).await?.map(|o| o.ledger_record()))
            }
            crate::attachments::LEDGER_TYPE => {
                let mut conn = db.pool().acquire().await?;
                crate::attachments::ledger_record(&mut conn, id).await
            }
            _ => Ok(None),
        }
    }

    /// The record's current canonical form when `caller` may see the record (decided by
    /// the policies through the record's own module), `None` otherwise.
    pub async fn visible(
        db: &Db,
        gate: &Gate,
        caller: &Caller,
        record_type: &str,
        id: &str,
    ) -> Option<serde_json::Value> {
        match record_type {
            orgs::LEDGER_TYPE => {
                let id = id.parse::<OrgId>().ok()?;
                orgs::view(db, gate, caller, id)
                    .await
                    .ok()
                    .map(|(o, _)| o.ledger_record())
            }
            _ => None,
        }
    }
}
