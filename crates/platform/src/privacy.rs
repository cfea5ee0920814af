//! Desensitization as a platform service: what text and fields pass through before anything
//! leaves an organisation's private level.
//!
//! The engine (`ticorr-desensitize`) is built with the failure-case policy and the
//! platform's own registry of organisation names, and rebuilt when an organisation registers. Each
//! call is one document: pseudonyms are keyed per call from the platform's secret, so the
//! same person is "Person A" throughout one document and unlinkable across documents.
//! Calls are for verified organisations, decided by the policies, and metered.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::{Arc, RwLock};

use serde::{Deserialize, Serialize};
use ticorr_db::Db;
use ticorr_desensitize::{
    Desensitizer, OrgDictionary, Policy, PseudonymKey, Redacted, RedactedFields,
};
use ticorr_kernel::{FieldErrors, Level};
use uuid::Uuid;

use crate::gate::{Caller, Denied, Gate};
use crate::policy::{Action, RecordRef, Resource};

/// The largest text one call may desensitize (characters).
pub const MAX_CHARS: usize = 200_000;

/// The service: the engine for the current registry and the platform's pseudonym secret.
pub struct Privacy {
    /// The engine and the registry state it was built from.
    engine: RwLock<(RegistryState, Arc<Desensitizer>)>,
    secret: PseudonymKey,
}

impl std::fmt::Debug for Privacy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Privacy")
    }
}

#[derive(Debug, thiserror::Error)]
pub enum PrivacyError {
    #[error("invalid input: {0}")]
    Invalid(FieldErrors),
    #[error("not found")]
    NotFound,
    #[error("not allowed")]
    Forbidden,
    #[error("the pseudonym secret: {0}")]
    Secret(String),
    #[error("the desensitization policy is invalid: {0}")]
    Policy(String),
    #[error(transparent)]
    Storage(#[from] sqlx::Error),
}

impl From<Denied> for PrivacyError {
    fn from(d: Denied) -> Self {
        match d {
            Denied::NotFound => PrivacyError::NotFound,
            Denied::Forbidden => PrivacyError::Forbidden,
            Denied::Storage(e) => PrivacyError::Storage(e),
        }
    }
}

/// Reads the 32-byte pseudonym secret (hex) from `path`, creating it when missing.
fn load_secret(path: &Path) -> Result<PseudonymKey, PrivacyError> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let mut bytes = [0u8; 32];
            rand::fill(&mut bytes);
            let text = hex::encode(bytes);
            crate::ledger::write_secret(path, &text)
                .map_err(|e| PrivacyError::Secret(format!("{}: {e}", path.display())))?;
            text
        }
        Err(e) => return Err(PrivacyError::Secret(format!("{}: {e}", path.display()))),
    };
    let bytes = hex::decode(text.trim())
        .map_err(|e| PrivacyError::Secret(format!("{}: {e}", path.display())))?;
    if bytes.len() != 32 {
        return Err(PrivacyError::Secret(format!(
            "{} must hold 32 bytes in hex",
            path.display()
        )));
    }
    Ok(PseudonymKey::new(bytes))
}

/// The names the engine recognizes as organisations: the Chinese and English names of every
/// organisation that registered, whatever its status (a pending or suspended organisation's
/// name identifies it just as well). Returns (organisations, names).
pub async fn registry(db: &Db) -> Result<(i64, Vec<String>), sqlx::Error> {
    let rows: Vec<(String, Option<String>)> =
        sqlx::query_as("SELECT name, name_en FROM organizations")
            .fetch_all(db.pool())
            .await?;
    let count = rows.len() as i64;
    let names = rows
        .into_iter()
        .flat_map(|(zh, en)| std::iter::once(zh).chain(en))
        .collect();
    Ok((count, names))
}

/// What changes whenever an organisation registers: their number and the latest
/// registration.
type RegistryState = (i64, Option<String>);

async fn registry_state(db: &Db) -> Result<RegistryState, sqlx::Error> {
    sqlx::query_as("SELECT COUNT(*), MAX(created_at) FROM organizations")
        .fetch_one(db.pool())
        .await
}

fn build(names: Vec<String>) -> Result<Desensitizer, PrivacyError> {
    Desensitizer::new(Policy::default(), OrgDictionary::new(names))
        .map_err(|e| PrivacyError::Policy(e.to_string()))
}

/// The document is the caller's own L1 data; the policies decide who may process it.
fn resource_for(org: ticorr_kernel::OrgId) -> Resource {
    Resource::Record(RecordRef {
        kind: "desensitization",
        id: Uuid::now_v7().to_string(),
        level: Level::Private,
        owner: org,
        parks: vec![],
    })
}

/// One metered service's use by an organisation in a month.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct ServiceUse {
    /// The service (`desensitize`).
    pub service: String,
    /// `YYYY-MM` (UTC).
    pub period: String,
    /// Calls made.
    pub calls: i64,
    /// Units consumed (for `desensitize`: characters processed).
    pub units: i64,
}

/// The caller's organisation's use of metered services in `period` (`YYYY-MM`, default this
/// month), read through the policies as the organisation's own private record.
pub async fn usage(
    db: &Db,
    gate: &Gate,
    caller: &Caller,
    period: Option<&str>,
) -> Result<Vec<ServiceUse>, PrivacyError> {
    let actor = caller.principal.actor().ok_or(PrivacyError::NotFound)?;
    let period = period
        .map(str::to_owned)
        .unwrap_or_else(|| crate::stats::period_of(gate.clock().now()));
    let valid = period.len() == 7
        && period.as_bytes()[4] == b'-'
        && period[..4].parse::<u16>().is_ok()
        && period[5..]
            .parse::<u8>()
            .is_ok_and(|m| (1..=12).contains(&m));
    if !valid {
        let mut e = FieldErrors::new();
        e.add("period", "invalid", "write the period as YYYY-MM");
        return Err(PrivacyError::Invalid(e));
    }
    let mut conn = db.pool().acquire().await?;
    let resource = Resource::Record(RecordRef {
        kind: "usage",
        id: format!("{}/{period}", actor.org_id),
        level: Level::Private,
        owner: actor.org_id,
        parks: vec![],
    });
    gate.check(&mut conn, caller, Action::Read, &resource)
        .await?;
    // Timestamps are fixed-width RFC 3339, so the month is a prefix range.
    let rows: Vec<(String, i64, i64)> = sqlx::query_as(
        "SELECT service, COUNT(*), CAST(COALESCE(SUM(units), 0) AS BIGINT) FROM usage_events \
         WHERE org_id = $1 AND at >= $2 AND at < $3 GROUP BY service ORDER BY service",
    )
    .bind(actor.org_id.to_string())
    .bind(format!("{period}-01"))
    .bind(format!("{period}-32"))
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(service, calls, units)| ServiceUse {
            service,
            period: period.clone(),
            calls,
            units,
        })
        .collect())
}

/// What a caller sends: free text, or structured fields.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DesensitizeRequest {
    pub text: Option<String>,
    pub fields: Option<BTreeMap<String, String>>,
}

/// The redacted document and the report the uploader reviews.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(untagged)]
pub enum DesensitizeResponse {
    #[schema(value_type = Object)]
    Text(Redacted),
    #[schema(value_type = Object)]
    Fields(RedactedFields),
}

impl Privacy {
    /// Loads the secret (`<data_dir>/privacy.key`) and builds the engine from the registry.
    pub async fn load(db: &Db, data_dir: &Path) -> Result<Privacy, PrivacyError> {
        let secret = load_secret(&data_dir.join("privacy.key"))?;
        let state = registry_state(db).await?;
        let (_, names) = registry(db).await?;
        Ok(Privacy {
            engine: RwLock::new((state, Arc::new(build(names)?))),
            secret,
        })
    }

    /// The engine for the current registry, rebuilt when an organisation registered since
    /// it was built.
    async fn engine(&self, db: &Db) -> Result<Arc<Desensitizer>, PrivacyError> {
        let state = registry_state(db).await?;
        {
            let guard = self.engine.read().expect("engine lock");
            if guard.0 == state {
                return Ok(guard.1.clone());
            }
        }
        let (_, names) = registry(db).await?;
        let engine = Arc::new(build(names)?);
        *self.engine.write().expect("engine lock") = (state, engine.clone());
        Ok(engine)
    }

    /// The engine and the pseudonym key of one document, for a module that desensitizes its
    /// own records on their way out of L1 (the failure cases): pseudonyms are stable for the
    /// same `document_id`, so a preview shown twice reads the same.
    pub async fn for_document(
        &self,
        db: &Db,
        document_id: &str,
    ) -> Result<(Arc<Desensitizer>, PseudonymKey), PrivacyError> {
        let engine = self.engine(db).await?;
        Ok((
            engine,
            PseudonymKey::for_document(&self.secret, document_id),
        ))
    }

    /// Whether the caller may use the service (to offer it; the gate decides again on use).
    pub fn may_use(gate: &Gate, caller: &Caller) -> bool {
        caller
            .principal
            .actor()
            .is_some_and(|a| gate.would_allow(caller, Action::Create, &resource_for(a.org_id)))
    }

    /// Desensitizes one document for the caller's organisation and meters the use.
    pub async fn desensitize(
        &self,
        db: &Db,
        gate: &Gate,
        caller: &Caller,
        req: &DesensitizeRequest,
    ) -> Result<DesensitizeResponse, PrivacyError> {
        let actor = caller.principal.actor().ok_or(PrivacyError::NotFound)?;
        let resource = resource_for(actor.org_id);
        {
            let mut conn = db.pool().acquire().await?;
            gate.check(&mut conn, caller, Action::Create, &resource)
                .await?;
        }
        let mut errors = FieldErrors::new();
        let units = match (&req.text, &req.fields) {
            (Some(t), None) => t.chars().count(),
            (None, Some(f)) => f.values().map(|v| v.chars().count()).sum(),
            _ => {
                errors.add("body", "invalid", "send either `text` or `fields`");
                0
            }
        };
        if units > MAX_CHARS {
            errors.add(
                "body",
                "too_long",
                format!("send at most {MAX_CHARS} characters per call"),
            );
        }
        if !errors.is_empty() {
            return Err(PrivacyError::Invalid(errors));
        }
        let engine = self.engine(db).await?;
        let key = PseudonymKey::for_document(&self.secret, &Uuid::now_v7().to_string());
        // Up to ~50 ms of one core at the size limit: keep it off the async workers.
        let req = req.clone();
        let out = tokio::task::spawn_blocking(move || match (&req.text, &req.fields) {
            (Some(t), _) => DesensitizeResponse::Text(engine.desensitize_text(t, &key)),
            (_, Some(f)) => DesensitizeResponse::Fields(engine.desensitize_fields(f, &key)),
            _ => unreachable!("validated above"),
        })
        .await
        .map_err(|e| PrivacyError::Policy(format!("the engine stopped: {e}")))?;
        sqlx::query("INSERT INTO usage_events (id, org_id, person_id, service, units, at) VALUES ($1, $2, $3, 'desensitize', $4, $5)")
            .bind(Uuid::now_v7().to_string())
            .bind(actor.org_id.to_string())
            .bind(actor.person_id.to_string())
            .bind(units as i64)
            .bind(gate.clock().now().to_rfc3339())
            .execute(db.pool())
            .await?;
        Ok(out)
    }
}
