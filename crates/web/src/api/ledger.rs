//! The transparency log over HTTP: checkpoints, entries, proofs, cosignatures and
//! verifiable bundles for anchored records. Hashes are standard base64, as in the
//! checkpoint format.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde::{Deserialize, Serialize};
use ticorr_platform::ledger::{self, LedgerError};

use crate::auth::ApiCaller;
use crate::error::{ApiError, Problem};
use crate::extract::{Json, Path, Query};
use crate::state::AppState;

impl From<LedgerError> for ApiError {
    fn from(e: LedgerError) -> Self {
        match e {
            LedgerError::NotFound => ApiError::NotFound,
            LedgerError::Invalid(m) => ApiError::BadRequest(m),
            other => ApiError::internal(other),
        }
    }
}

/// The latest signed checkpoint (C2SP tlog-checkpoint in a signed note), with the
/// cosignatures of the witnesses that have checked it.
#[utoipa::path(
    get,
    path = "/api/v1/ledger/checkpoint",
    tag = "ledger",
    operation_id = "get_checkpoint",
    responses((status = 200, description = "The signed note", content_type = "text/plain", body = String))
)]
pub async fn checkpoint(State(state): State<AppState>) -> Result<Response, ApiError> {
    let text = ledger::checkpoint(&state.db, &state.ledger, state.gate.clock().now()).await?;
    let mut res = text.into_response();
    res.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    Ok(res)
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct LogKey {
    /// The origin line of every checkpoint of this log.
    pub origin: String,
    /// The log's verifier key (C2SP signed-note format).
    pub log_key: String,
    /// The verifier keys of the witnesses whose cosignatures the log accepts.
    pub witnesses: Vec<String>,
}

/// The log's origin, public key and witnesses, for configuring verifiers.
#[utoipa::path(get, path = "/api/v1/ledger/key", tag = "ledger", operation_id = "get_log_key", responses((status = 200, body = LogKey)))]
pub async fn key(State(state): State<AppState>) -> Json<LogKey> {
    Json(LogKey {
        origin: state.ledger.origin().to_owned(),
        log_key: state.ledger.verifier_key().to_string(),
        witnesses: state
            .ledger
            .witnesses()
            .iter()
            .map(|w| w.to_string())
            .collect(),
    })
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct EntryOut {
    pub index: u64,
    /// The exact bytes hashed as the leaf, standard base64. They are the RFC 8785 canonical
    /// JSON of `{"id", "record_sha256", "type", "version"}` where `record_sha256` is the
    /// standard-base64 SHA-256 of the record's canonical JSON.
    pub leaf_data: String,
    /// SHA-256(0x00 ‖ leaf_data), standard base64.
    pub leaf_hash: String,
    pub record_type: String,
    pub record_id: String,
    pub version: u64,
    /// The record's canonical JSON, when the caller may see the record.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub record: Option<serde_json::Value>,
}

/// One entry of the log.
#[utoipa::path(
    get,
    path = "/api/v1/ledger/entries/{index}",
    tag = "ledger",
    operation_id = "get_ledger_entry",
    params(("index" = u64, Path)),
    responses((status = 200, body = EntryOut), (status = 404, body = Problem, content_type = "application/problem+json"))
)]
pub async fn entry(
    State(state): State<AppState>,
    ApiCaller(caller, _): ApiCaller,
    Path(index): Path<u64>,
) -> Result<Json<EntryOut>, ApiError> {
    let e = ledger::entry(&state.db, index).await?;
    let record = visible(&state, &caller, &e.record_type, &e.record_id)
        .await
        .filter(|r| {
            ticorr_ledger::LeafEntry::for_record(&e.record_type, &e.record_id, e.version, r)
                .map(|l| l.to_leaf_data())
                == Ok(e.leaf_data.clone())
        });
    Ok(Json(EntryOut {
        index,
        leaf_hash: e.leaf_hash().to_base64(),
        leaf_data: STANDARD.encode(&e.leaf_data),
        record_type: e.record_type,
        record_id: e.record_id,
        version: e.version,
        record,
    }))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct InclusionParams {
    pub index: u64,
    pub size: u64,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct InclusionProof {
    pub index: u64,
    pub size: u64,
    /// The audit path (RFC 9162 §2.1.3.1), leaf side first, standard base64.
    pub hashes: Vec<String>,
}

/// The inclusion proof of an entry in the tree of a given size.
#[utoipa::path(
    get,
    path = "/api/v1/ledger/proof/inclusion",
    tag = "ledger",
    operation_id = "get_inclusion_proof",
    params(InclusionParams),
    responses((status = 200, body = InclusionProof), (status = 400, body = Problem, content_type = "application/problem+json"))
)]
pub async fn inclusion(
    State(state): State<AppState>,
    Query(p): Query<InclusionParams>,
) -> Result<Json<InclusionProof>, ApiError> {
    let hashes = ledger::inclusion_proof(&state.db, p.index, p.size).await?;
    Ok(Json(InclusionProof {
        index: p.index,
        size: p.size,
        hashes: hashes.iter().map(|h| h.to_base64()).collect(),
    }))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ConsistencyParams {
    pub from: u64,
    pub to: u64,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ConsistencyProof {
    pub from: u64,
    pub to: u64,
    /// The consistency proof (RFC 9162 §2.1.4.1), standard base64.
    pub hashes: Vec<String>,
}

/// The consistency proof between two tree sizes.
#[utoipa::path(
    get,
    path = "/api/v1/ledger/proof/consistency",
    tag = "ledger",
    operation_id = "get_consistency_proof",
    params(ConsistencyParams),
    responses((status = 200, body = ConsistencyProof), (status = 400, body = Problem, content_type = "application/problem+json"))
)]
pub async fn consistency(
    State(state): State<AppState>,
    Query(p): Query<ConsistencyParams>,
) -> Result<Json<ConsistencyProof>, ApiError> {
    let hashes = ledger::consistency_proof(&state.db, p.from, p.to).await?;
    Ok(Json(ConsistencyProof {
        from: p.from,
        to: p.to,
        hashes: hashes.iter().map(|h| h.to_base64()).collect(),
    }))
}

/// A witness submits its cosignature: the checkpoint note carrying its cosignature line.
/// Accepted only for a checkpoint this log signed and a witness it is configured to trust.
#[utoipa::path(
    post,
    path = "/api/v1/ledger/cosignatures",
    tag = "ledger",
    operation_id = "add_cosignature",
    request_body(content = String, content_type = "text/plain"),
    responses((status = 204), (status = 400, body = Problem, content_type = "application/problem+json"))
)]
pub async fn cosign(State(state): State<AppState>, body: Bytes) -> Result<StatusCode, ApiError> {
    let text = std::str::from_utf8(&body)
        .map_err(|_| ApiError::BadRequest("the body is not UTF-8 text".into()))?;
    let witness =
        ledger::add_cosignature(&state.db, &state.ledger, text, state.gate.clock().now()).await?;
    tracing::info!(ledger.witness = %witness, "cosignature accepted");
    Ok(StatusCode::NO_CONTENT)
}

/// A self-contained proof that a record is in the log: the record, its entry, the
/// inclusion proof and the latest signed checkpoint. `ticorr ledger verify-proof` checks
/// it offline with nothing but the log's public key.
#[utoipa::path(
    get,
    path = "/api/v1/ledger/records/{record_type}/{record_id}/bundle",
    tag = "ledger",
    operation_id = "get_record_bundle",
    params(("record_type" = String, Path), ("record_id" = String, Path)),
    responses((status = 200, description = "An inclusion bundle (JSON)"), (status = 404, body = Problem, content_type = "application/problem+json"))
)]
pub async fn bundle(
    State(state): State<AppState>,
    ApiCaller(caller, _): ApiCaller,
    Path((record_type, record_id)): Path<(String, String)>,
) -> Result<Json<ticorr_ledger::InclusionBundle>, ApiError> {
    let record = visible(&state, &caller, &record_type, &record_id)
        .await
        .ok_or(ApiError::NotFound)?;
    let mut conn = state.db.pool().acquire().await?;
    let latest = ledger::latest(&mut conn, &record_type, &record_id)
        .await?
        .ok_or(ApiError::NotFound)?;
    drop(conn);
    let note = ledger::checkpoint(&state.db, &state.ledger, state.gate.clock().now()).await?;
    let size = ticorr_ledger::Note::parse(&note)
        .ok()
        .and_then(|n| ticorr_ledger::Checkpoint::parse(n.text()).ok())
        .map(|c| c.size())
        .ok_or_else(|| ApiError::internal("the stored checkpoint does not parse"))?;
    let proof = ledger::inclusion_proof(&state.db, latest.index, size).await?;
    Ok(Json(ticorr_ledger::InclusionBundle {
        record_type,
        record_id,
        version: latest.version,
        record,
        leaf_index: latest.index,
        inclusion_proof: proof,
        checkpoint: note,
    }))
}

/// A record's canonical form when the caller may see it. Attachments are resolved through
/// their owner's module here, where every module is known; other types by the platform.
async fn visible(
    state: &AppState,
    caller: &ticorr_platform::Caller,
    record_type: &str,
    record_id: &str,
) -> Option<serde_json::Value> {
    use ticorr_platform::attachments;
    if record_type == attachments::LEDGER_TYPE {
        let a = attachments::find(&state.db, record_id.parse().ok()?)
            .await
            .ok()??;
        let owner = super::attachments::owner_of(state, &a).await.ok()?;
        return attachments::visible_record(&state.db, &state.gate, caller, &owner, &a).await;
    }
    if record_type == ticorr_standards::LEDGER_TYPE {
        let mut conn = state.db.pool().acquire().await.ok()?;
        let record = ticorr_standards::ledger_record(&mut conn, record_id)
            .await
            .ok()??;
        drop(conn);
        let standard = record.get("standard_id")?.as_str()?;
        ticorr_standards::get(&state.db, &state.gate, caller, standard)
            .await
            .ok()?;
        return Some(record);
    }
    ledger::records::visible(&state.db, &state.gate, caller, record_type, record_id).await
}
