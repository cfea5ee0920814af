//! Desensitization over HTTP: what a verified organisation runs its text through before
//! sharing it, with the report to review.

use axum::extract::State;
use serde::Deserialize;
use ticorr_platform::privacy::{
    self, DesensitizeRequest, DesensitizeResponse, PrivacyError, ServiceUse,
};

use crate::auth::ApiPerson;
use crate::error::{ApiError, Problem};
use crate::extract::{Json, Query};
use crate::state::AppState;

impl From<PrivacyError> for ApiError {
    fn from(e: PrivacyError) -> Self {
        match e {
            PrivacyError::Invalid(f) => ApiError::Invalid(f),
            PrivacyError::NotFound => ApiError::NotFound,
            PrivacyError::Forbidden => ApiError::Forbidden,
            other => ApiError::internal(other),
        }
    }
}

/// Finds and redacts identifiers in free text (`{"text"}`) or in structured fields
/// (`{"fields": {...}}`): credit codes, identity numbers, phone numbers, e-mail, URLs, IP
/// addresses, bank cards, plates, addresses, coordinates, people, organisations, contract
/// numbers and money. Answers the redacted document and one report line per redaction
/// (span, detector, action, reason). Nothing is stored; each call is metered to the
/// caller's organisation.
#[utoipa::path(
    post,
    path = "/api/v1/privacy/desensitize",
    tag = "privacy",
    operation_id = "desensitize",
    request_body = DesensitizeRequest,
    responses(
        (status = 200, body = DesensitizeResponse),
        (status = 404, description = "The caller is not a person of a verified organisation", body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []), ("session_cookie" = []))
)]
pub async fn desensitize(
    State(state): State<AppState>,
    ApiPerson(caller, _): ApiPerson,
    Json(req): Json<DesensitizeRequest>,
) -> Result<Json<DesensitizeResponse>, ApiError> {
    let out = state
        .privacy
        .desensitize(&state.db, &state.gate, &caller, &req)
        .await?;
    Ok(Json(out))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UsageParams {
    /// `YYYY-MM` (default: this month, UTC).
    pub period: Option<String>,
}

/// The caller's organisation's use of metered services in a month: calls and units per
/// service.
#[utoipa::path(
    get,
    path = "/api/v1/usage",
    tag = "privacy",
    operation_id = "get_usage",
    params(UsageParams),
    responses(
        (status = 200, body = Vec<ServiceUse>),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []), ("session_cookie" = []))
)]
pub async fn usage(
    State(state): State<AppState>,
    ApiPerson(caller, _): ApiPerson,
    Query(p): Query<UsageParams>,
) -> Result<Json<Vec<ServiceUse>>, ApiError> {
    Ok(Json(
        privacy::usage(&state.db, &state.gate, &caller, p.period.as_deref()).await?,
    ))
}
