//! The signed-in person: who they are, their sessions, their password.

use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use ticorr_kernel::{Capacity, OrgId, OrgKind, OrgStatus, PersonId, Role, SessionId};
use ticorr_platform::identity::{orgs, people, sessions};

use super::page_schema;
use crate::auth::ApiPerson;
use crate::error::{ApiError, Problem};
use crate::extract::{Json, PageParams, Path, Query};

page_schema!(SessionPage, sessions::SessionInfo);
use crate::state::AppState;

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct MeResponse {
    pub person: MePerson,
    pub organization: MeOrganization,
    /// The person's role in the organisation (`admin` or `member`).
    pub roles: Vec<Role>,
    /// Platform-wide capacities.
    pub capacities: Vec<Capacity>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct MePerson {
    pub id: PersonId,
    pub display_name: String,
    pub email: String,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct MeOrganization {
    pub id: OrgId,
    pub kind: OrgKind,
    pub name: String,
    pub status: OrgStatus,
    /// GB/T 2260 code.
    pub region: String,
    pub industry: Option<String>,
    /// The parks the organisation is settled in.
    pub parks: Vec<orgs::ParkSummary>,
}

/// The signed-in person, their organisation and roles.
#[utoipa::path(
    get,
    path = "/api/v1/me",
    tag = "auth",
    operation_id = "me",
    responses(
        (status = 200, body = MeResponse),
        (status = 401, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []), ("session_cookie" = []))
)]
pub async fn me(
    State(state): State<AppState>,
    ApiPerson(caller, _): ApiPerson,
) -> Result<Json<MeResponse>, ApiError> {
    let actor = caller.principal.actor().ok_or(ApiError::Unauthorized)?;
    let (org, view) = orgs::view(&state.db, &state.gate, &caller, actor.org_id).await?;
    let mut conn = state.db.pool().acquire().await?;
    let person = people::load(&mut conn, actor.person_id)
        .await?
        .ok_or(ApiError::Unauthorized)?;
    let parks = view.parks;
    Ok(Json(MeResponse {
        person: MePerson {
            id: person.id,
            display_name: person.display_name,
            email: person.email,
        },
        organization: MeOrganization {
            id: org.id,
            kind: org.kind,
            name: org.name,
            status: org.status,
            region: org.region_code,
            industry: org.industry_code,
            parks,
        },
        roles: vec![actor.role],
        capacities: actor.capacities.clone(),
    }))
}

/// The person's live sessions, newest first.
#[utoipa::path(
    get,
    path = "/api/v1/me/sessions",
    tag = "auth",
    operation_id = "list_my_sessions",
    params(PageParams),
    responses((status = 200, body = SessionPage)),
    security(("bearer" = []), ("session_cookie" = []))
)]
pub async fn sessions(
    State(state): State<AppState>,
    ApiPerson(caller, auth): ApiPerson,
    Query(page): Query<PageParams>,
) -> Result<Json<SessionPage>, ApiError> {
    let actor = caller.principal.actor().ok_or(ApiError::Unauthorized)?;
    let mut conn = state.db.pool().acquire().await?;
    let list = sessions::list_live(
        &mut conn,
        &state.config.identity,
        state.gate.clock().now(),
        actor.person_id,
        auth.session.map(|s| s.id),
        &page.request()?,
    )
    .await?;
    Ok(Json(list.into()))
}

/// Ends one of the person's sessions (e.g. a browser left signed in elsewhere).
#[utoipa::path(
    delete,
    path = "/api/v1/me/sessions/{id}",
    tag = "auth",
    operation_id = "end_my_session",
    params(("id" = SessionId, Path)),
    responses((status = 204), (status = 404, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = []), ("session_cookie" = []))
)]
pub async fn end_session(
    State(state): State<AppState>,
    ApiPerson(caller, _): ApiPerson,
    Path(id): Path<SessionId>,
) -> Result<StatusCode, ApiError> {
    let actor = caller.principal.actor().ok_or(ApiError::Unauthorized)?;
    let mut conn = state.db.pool().acquire().await?;
    if sessions::end_own(&mut conn, actor.person_id, id, state.gate.clock().now()).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::NotFound)
    }
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct PasswordChange {
    pub current_password: String,
    pub new_password: String,
}

/// Changes the person's password; their other sessions end.
#[utoipa::path(
    post,
    path = "/api/v1/me/password",
    tag = "auth",
    operation_id = "change_my_password",
    request_body = PasswordChange,
    responses((status = 204), (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = []), ("session_cookie" = []))
)]
pub async fn change_password(
    State(state): State<AppState>,
    ApiPerson(caller, _): ApiPerson,
    Json(req): Json<PasswordChange>,
) -> Result<StatusCode, ApiError> {
    people::change_own_password(
        &state.db,
        &state.config.identity,
        &state.gate,
        &caller,
        &req.current_password,
        &req.new_password,
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}
