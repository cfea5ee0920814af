//! Local supplementary clauses over the API: recorded against a unified clause, compared
//! limit by limit, verified by experts, applied on equipment, promoted into a revision.

use axum::extract::State;
use axum::http::StatusCode;
use serde::Serialize;
use ticorr_standards::supplement::{
    self, ApplicationInput, NewSupplement, Supplement, SupplementFilter, SupplementStatus,
    SupplementView, VerdictInput,
};

use crate::auth::ApiPerson;
use crate::error::{ApiError, Problem};
use crate::extract::{Json, Path, Query};
use crate::state::AppState;

/// A list of supplementary clauses.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SupplementList {
    pub items: Vec<Supplement>,
}

/// The supplementary clauses the caller may read: their organisation's, their parks', and
/// those shared at the industry level.
#[utoipa::path(
    get,
    path = "/api/v1/standards/supplements",
    tag = "standards",
    operation_id = "list_supplements",
    params(SupplementFilter),
    responses((status = 200, body = SupplementList), (status = 401, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = []), ("session_cookie" = []))
)]
pub async fn list(
    State(state): State<AppState>,
    ApiPerson(caller, _): ApiPerson,
    Query(filter): Query<SupplementFilter>,
) -> Result<Json<SupplementList>, ApiError> {
    let items = supplement::list(&state.db, &state.gate, &caller, &filter).await?;
    Ok(Json(SupplementList { items }))
}

/// Records a supplementary clause of the caller's organisation against a clause of a
/// released platform standard. At level `industry` it is shared for expert verification
/// and for other organisations to apply.
#[utoipa::path(
    post,
    path = "/api/v1/standards/supplements",
    tag = "standards",
    operation_id = "create_supplement",
    request_body = NewSupplement,
    responses((status = 201, body = SupplementView), (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = []), ("session_cookie" = []))
)]
pub async fn create(
    State(state): State<AppState>,
    ApiPerson(caller, _): ApiPerson,
    Json(new): Json<NewSupplement>,
) -> Result<(StatusCode, Json<SupplementView>), ApiError> {
    let view = supplement::create(&state.db, &state.gate, &caller, &new).await?;
    Ok((StatusCode::CREATED, Json(view)))
}

/// A supplementary clause with the unified clause, the comparison of their limits
/// parameter by parameter (`stricter`, `equal`, `looser`, `incomparable`), the experts'
/// verdicts and group verdict, the engineering applications and the promotion progress.
#[utoipa::path(
    get,
    path = "/api/v1/standards/supplements/{id}",
    tag = "standards",
    operation_id = "get_supplement",
    params(("id" = String, Path)),
    responses((status = 200, body = SupplementView), (status = 404, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = []), ("session_cookie" = []))
)]
pub async fn get(
    State(state): State<AppState>,
    ApiPerson(caller, _): ApiPerson,
    Path(id): Path<String>,
) -> Result<Json<SupplementView>, ApiError> {
    Ok(Json(
        supplement::get(&state.db, &state.gate, &caller, &id).await?,
    ))
}

/// The clause's status after a step.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct StatusReply {
    pub status: SupplementStatus,
}

/// An expert of another organisation, with a specialty in the unified standard's topic,
/// gives their verdict: `equivalent`, `stricter` or `not_equivalent`, with reasons.
#[utoipa::path(
    post,
    path = "/api/v1/standards/supplements/{id}/verdicts",
    tag = "standards",
    operation_id = "assess_supplement",
    params(("id" = String, Path)),
    request_body = VerdictInput,
    responses((status = 200, body = StatusReply), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = []), ("session_cookie" = []))
)]
pub async fn assess(
    State(state): State<AppState>,
    ApiPerson(caller, _): ApiPerson,
    Path(id): Path<String>,
    Json(body): Json<VerdictInput>,
) -> Result<Json<StatusReply>, ApiError> {
    let status = supplement::assess(&state.db, &state.gate, &caller, &id, &body).await?;
    Ok(Json(StatusReply { status }))
}

/// The caller's organisation records applying the clause on its equipment, with the
/// outcome. Enough effective applications across enough organisations propose it for the
/// unified standard.
#[utoipa::path(
    post,
    path = "/api/v1/standards/supplements/{id}/applications",
    tag = "standards",
    operation_id = "record_supplement_application",
    params(("id" = String, Path)),
    request_body = ApplicationInput,
    responses((status = 200, body = StatusReply), (status = 404, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = []), ("session_cookie" = []))
)]
pub async fn record_application(
    State(state): State<AppState>,
    ApiPerson(caller, _): ApiPerson,
    Path(id): Path<String>,
    Json(body): Json<ApplicationInput>,
) -> Result<Json<StatusReply>, ApiError> {
    let status =
        supplement::record_application(&state.db, &state.gate, &caller, &id, &body).await?;
    Ok(Json(StatusReply { status }))
}

/// The revision proposal made.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Promoted {
    pub draft_id: String,
}

/// The secretariat turns a clause proposed for promotion into a revision proposal of the
/// unified standard, which then goes through the lifecycle.
#[utoipa::path(
    post,
    path = "/api/v1/standards/supplements/{id}/promote",
    tag = "standards",
    operation_id = "promote_supplement",
    params(("id" = String, Path)),
    responses((status = 201, body = Promoted), (status = 409, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = []), ("session_cookie" = []))
)]
pub async fn promote(
    State(state): State<AppState>,
    ApiPerson(caller, _): ApiPerson,
    Path(id): Path<String>,
) -> Result<(StatusCode, Json<Promoted>), ApiError> {
    let draft_id = supplement::promote(&state.db, &state.gate, &caller, &id).await?;
    Ok((StatusCode::CREATED, Json(Promoted { draft_id })))
}
