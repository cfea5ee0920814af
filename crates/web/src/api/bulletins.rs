//! The national warning bulletins over the API: the public archive, and the staff's draft,
//! edit and publication.

use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use ticorr_cases::bulletins::{Bulletin, BulletinCard, BulletinEdit, Pushed};

use crate::auth::{ApiCaller, ApiPerson};
use crate::error::{ApiError, Problem};
use crate::extract::{Json, Path};
use crate::state::AppState;

/// The bulletins.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Bulletins {
    pub items: Vec<BulletinCard>,
}

/// Published bulletins, newest first (no account needed); staff of the operator and the
/// association also see drafts.
#[utoipa::path(
    get,
    path = "/api/v1/bulletins",
    tag = "cases",
    operation_id = "list_bulletins",
    responses((status = 200, body = Bulletins)),
)]
pub async fn list(
    State(state): State<AppState>,
    ApiCaller(caller, _): ApiCaller,
) -> Result<Json<Bulletins>, ApiError> {
    Ok(Json(Bulletins {
        items: state.cases().bulletins(&caller).await?,
    }))
}

/// Staff draft last month's bulletin now (the monthly job does it on the 1st). Answers the
/// bulletin, 201 when drafted by this call, 200 when it existed.
#[utoipa::path(
    post,
    path = "/api/v1/bulletins",
    tag = "cases",
    operation_id = "draft_bulletin",
    responses(
        (status = 201, body = Bulletin),
        (status = 200, body = Bulletin),
        (status = 403, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []), ("session_cookie" = []))
)]
pub async fn draft(
    State(state): State<AppState>,
    ApiPerson(caller, _): ApiPerson,
) -> Result<(StatusCode, Json<Bulletin>), ApiError> {
    let (id, drafted) = state.cases().draft_bulletin(&caller).await?;
    let b = state.cases().bulletin(&caller, &id).await?;
    let status = if drafted {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(b)))
}

/// A bulletin: its groups of cases with lessons and clauses, its figures and its evidence,
/// each with its ledger entry. Drafts are 404 to all but staff.
#[utoipa::path(
    get,
    path = "/api/v1/bulletins/{id}",
    tag = "cases",
    operation_id = "get_bulletin",
    params(("id" = String, Path)),
    responses((status = 200, body = Bulletin), (status = 404, body = Problem, content_type = "application/problem+json")),
)]
pub async fn get(
    State(state): State<AppState>,
    ApiCaller(caller, _): ApiCaller,
    Path(id): Path<String>,
) -> Result<Json<Bulletin>, ApiError> {
    Ok(Json(state.cases().bulletin(&caller, &id).await?))
}

/// Staff edit a draft's title and introduction in both languages (422 names each empty or
/// too long text; 409 for a stale revision or a published bulletin).
#[utoipa::path(
    put,
    path = "/api/v1/bulletins/{id}",
    tag = "cases",
    operation_id = "edit_bulletin",
    params(("id" = String, Path)),
    request_body = BulletinEdit,
    responses(
        (status = 200, body = Bulletin),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []), ("session_cookie" = []))
)]
pub async fn edit(
    State(state): State<AppState>,
    ApiPerson(caller, _): ApiPerson,
    Path(id): Path<String>,
    Json(edit): Json<BulletinEdit>,
) -> Result<Json<Bulletin>, ApiError> {
    Ok(Json(
        state.cases().edit_bulletin(&caller, &id, &edit).await?,
    ))
}

/// The revision a publication acts on.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Publication {
    pub revision: i64,
}

/// Staff publish a draft: it becomes public, is anchored in the ledger (`warning_bulletin`)
/// and is pushed to every verified organisation, prominently to those with equipment whose
/// worst-rated mechanism it names.
#[utoipa::path(
    post,
    path = "/api/v1/bulletins/{id}/publication",
    tag = "cases",
    operation_id = "publish_bulletin",
    params(("id" = String, Path)),
    request_body = Publication,
    responses(
        (status = 200, body = Pushed),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []), ("session_cookie" = []))
)]
pub async fn publish(
    State(state): State<AppState>,
    ApiPerson(caller, _): ApiPerson,
    Path(id): Path<String>,
    Json(p): Json<Publication>,
) -> Result<Json<Pushed>, ApiError> {
    Ok(Json(
        state
            .cases()
            .publish_bulletin(&caller, &id, p.revision)
            .await?,
    ))
}
