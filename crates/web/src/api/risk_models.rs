//! The learned risk model over the API: its versions with their measurements (public:
//! coefficients and figures over the whole registry), the operator's request for a new
//! version, and the newest version's figures for an equipment item the caller may read.

use axum::extract::State;
use axum::response::Response;
use serde::Serialize;
use ticorr_cases::risk_models::{self, ItemFigures, Released, VersionSummary};
use ticorr_kernel::EquipmentId;

use super::jobs::JobView;
use crate::auth::{ApiCaller, ApiPerson};
use crate::error::{ApiError, Problem};
use crate::extract::{Json, Path};
use crate::state::AppState;

/// The versions of the learned risk model, newest first.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct RiskModels {
    pub items: Vec<VersionSummary>,
}

/// Every version of the learned risk model, newest first, with its size and AUC range.
#[utoipa::path(
    get,
    path = "/api/v1/risk-models",
    tag = "cases",
    operation_id = "list_risk_models",
    responses((status = 200, body = RiskModels)),
)]
pub async fn list(
    State(state): State<AppState>,
    _caller: ApiCaller,
) -> Result<Json<RiskModels>, ApiError> {
    Ok(Json(RiskModels {
        items: risk_models::list(&state.db).await?,
    }))
}

/// One version: per mechanism the coefficients, the cross-validated AUC beside the rule
/// file's, the calibration table, and per susceptibility level the yearly frequency placed
/// in the general POF bands; and its ledger entry.
#[utoipa::path(
    get,
    path = "/api/v1/risk-models/{version}",
    tag = "cases",
    operation_id = "get_risk_model",
    params(("version" = i64, Path)),
    responses((status = 200, body = Released), (status = 404, body = Problem, content_type = "application/problem+json")),
)]
pub async fn get(
    State(state): State<AppState>,
    _caller: ApiCaller,
    Path(version): Path<i64>,
) -> Result<Json<Released>, ApiError> {
    risk_models::get(&state.db, Some(version))
        .await?
        .map(Json)
        .ok_or(ApiError::NotFound)
}

/// Asks for a new version now, trained on the registry and the publications as they are
/// (the operator). Follow the job at `Location`; its result names the version.
#[utoipa::path(
    post,
    path = "/api/v1/risk-models",
    tag = "cases",
    operation_id = "train_risk_model",
    responses(
        (status = 202, description = "The training job was queued; follow the `Location` header", body = JobView,
            headers(("Location" = String, description = "The job's status resource"))),
        (status = 403, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []), ("session_cookie" = []))
)]
pub async fn train(
    State(state): State<AppState>,
    ApiPerson(caller, _): ApiPerson,
) -> Result<Response, ApiError> {
    let id = risk_models::request(&state.db, &state.gate, &caller).await?;
    crate::api::jobs::accepted(&state, &caller, &id).await
}

/// The newest version's figures for an item.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct LearnedRisk {
    /// `null` until a first version is trained.
    pub figures: Option<ItemFigures>,
}

/// What the newest version of the learned risk model says of an equipment item the caller
/// may read: per modelled mechanism the estimated yearly failure frequency at the item's
/// conditions, its general POF category beside the rule file's screening category, and
/// the model's cross-validated AUC.
#[utoipa::path(
    get,
    path = "/api/v1/equipment/{id}/learned-risk",
    tag = "cases",
    operation_id = "learned_risk_of_equipment",
    params(("id" = EquipmentId, Path)),
    responses((status = 200, body = LearnedRisk), (status = 404, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = []), ("session_cookie" = []))
)]
pub async fn for_equipment(
    State(state): State<AppState>,
    ApiPerson(caller, _): ApiPerson,
    Path(id): Path<EquipmentId>,
) -> Result<Json<LearnedRisk>, ApiError> {
    let item = ticorr_equipment::get(&state.db, &state.gate, &caller, id).await?;
    Ok(Json(LearnedRisk {
        figures: risk_models::for_item(&state.db, &item.item).await?,
    }))
}
