//! Organisations: the public directory, profiles, registration, the operator's
//! verification, and the admin's people and API tokens.

use axum::extract::State;
use axum::http::StatusCode;
use serde::Serialize;
use ticorr_kernel::{OrgId, PersonId, TokenId};
use ticorr_platform::identity::orgs::{
    self, DirectoryFilter, Organization, OrganizationView, Registration, Review,
};
use ticorr_platform::identity::people::{self, MemberChange, NewMember, Person};
use ticorr_platform::identity::tokens::{self, NewToken, TokenInfo};

use super::page_schema;
use crate::auth::{ApiCaller, ApiPerson};
use crate::error::{ApiError, Problem};
use crate::extract::{Json, PageParams, Path, Query};
use crate::state::AppState;

page_schema!(OrganizationPage, Organization);
page_schema!(PersonPage, Person);
page_schema!(TokenPage, TokenInfo);

/// The public directory of verified organisations.
#[utoipa::path(
    get,
    path = "/api/v1/organizations",
    tag = "organizations",
    operation_id = "list_organizations",
    params(DirectoryFilter, PageParams),
    responses((status = 200, body = OrganizationPage))
)]
pub async fn directory(
    State(state): State<AppState>,
    ApiCaller(caller, _): ApiCaller,
    Query(filter): Query<DirectoryFilter>,
    Query(page): Query<PageParams>,
) -> Result<Json<OrganizationPage>, ApiError> {
    let page = orgs::directory(&state.db, &state.gate, &caller, &filter, &page.request()?).await?;
    Ok(Json(page.into()))
}

/// What the caller may see of an organisation: public fields of verified organisations
/// for everyone; address, status reason and registration time for its own people and the
/// operator. Pending organisations are visible only to their people and the operator.
#[utoipa::path(
    get,
    path = "/api/v1/organizations/{id}",
    tag = "organizations",
    operation_id = "get_organization",
    params(("id" = OrgId, Path)),
    responses(
        (status = 200, body = OrganizationView),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn get_organization(
    State(state): State<AppState>,
    ApiCaller(caller, _): ApiCaller,
    Path(id): Path<OrgId>,
) -> Result<Json<OrganizationView>, ApiError> {
    let (_, view) = orgs::view(&state.db, &state.gate, &caller, id).await?;
    Ok(Json(view))
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Registered {
    pub organization_id: OrgId,
    pub person_id: PersonId,
    /// Always `pending`: the operator verifies the organisation before it can use the platform.
    pub status: String,
}

/// Registers a new organisation and its first admin; it waits for the operator's verification.
#[utoipa::path(
    post,
    path = "/api/v1/registrations",
    tag = "organizations",
    operation_id = "register_organization",
    request_body = Registration,
    responses(
        (status = 201, body = Registered),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn register(
    State(state): State<AppState>,
    ApiCaller(caller, _): ApiCaller,
    Json(r): Json<Registration>,
) -> Result<(StatusCode, Json<Registered>), ApiError> {
    let (organization_id, person_id) = orgs::register(
        &state.db,
        &state.config.identity,
        &caller,
        state.gate.clock().now(),
        &r,
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        Json(Registered {
            organization_id,
            person_id,
            status: "pending".into(),
        }),
    ))
}

/// Organisations waiting for verification, oldest first (operator only; others get an empty list).
#[utoipa::path(
    get,
    path = "/api/v1/verification/pending",
    tag = "organizations",
    operation_id = "list_pending_organizations",
    params(PageParams),
    responses((status = 200, body = OrganizationPage)),
    security(("bearer" = []), ("session_cookie" = []))
)]
pub async fn pending(
    State(state): State<AppState>,
    ApiPerson(caller, _): ApiPerson,
    Query(page): Query<PageParams>,
) -> Result<Json<OrganizationPage>, ApiError> {
    Ok(Json(
        orgs::pending(&state.db, &state.gate, &caller, &page.request()?)
            .await?
            .into(),
    ))
}

/// The operator verifies, rejects (pending only) or suspends (verified only) an organisation.
#[utoipa::path(
    post,
    path = "/api/v1/organizations/{id}/review",
    tag = "organizations",
    operation_id = "review_organization",
    params(("id" = OrgId, Path)),
    request_body = Review,
    responses(
        (status = 200, body = Organization),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []), ("session_cookie" = []))
)]
pub async fn review(
    State(state): State<AppState>,
    ApiPerson(caller, _): ApiPerson,
    Path(id): Path<OrgId>,
    Json(decision): Json<Review>,
) -> Result<Json<Organization>, ApiError> {
    Ok(Json(
        orgs::review(&state.db, &state.gate, &caller, id, &decision).await?,
    ))
}

/// The people of an organisation (its own members only).
#[utoipa::path(
    get,
    path = "/api/v1/organizations/{id}/people",
    tag = "organizations",
    operation_id = "list_people",
    params(("id" = OrgId, Path), PageParams),
    responses((status = 200, body = PersonPage), (status = 404, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = []), ("session_cookie" = []))
)]
pub async fn members(
    State(state): State<AppState>,
    ApiPerson(caller, _): ApiPerson,
    Path(id): Path<OrgId>,
    Query(page): Query<PageParams>,
) -> Result<Json<PersonPage>, ApiError> {
    Ok(Json(
        people::members(&state.db, &state.gate, &caller, id, &page.request()?)
            .await?
            .into(),
    ))
}

/// Adds a person to the organisation (admins only).
#[utoipa::path(
    post,
    path = "/api/v1/organizations/{id}/people",
    tag = "organizations",
    operation_id = "add_person",
    params(("id" = OrgId, Path)),
    request_body = NewMember,
    responses((status = 201, body = Person), (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = []), ("session_cookie" = []))
)]
pub async fn add_member(
    State(state): State<AppState>,
    ApiPerson(caller, _): ApiPerson,
    Path(id): Path<OrgId>,
    Json(input): Json<NewMember>,
) -> Result<(StatusCode, Json<Person>), ApiError> {
    let person = people::add_member(
        &state.db,
        &state.gate,
        &state.config.identity,
        &caller,
        id,
        &input,
    )
    .await?;
    Ok((StatusCode::CREATED, Json(person)))
}

/// Changes a person's role, or disables (ending their sessions) or re-enables them.
#[utoipa::path(
    patch,
    path = "/api/v1/organizations/{id}/people/{person_id}",
    tag = "organizations",
    operation_id = "change_person",
    params(("id" = OrgId, Path), ("person_id" = PersonId, Path)),
    request_body = MemberChange,
    responses((status = 200, body = Person), (status = 409, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = []), ("session_cookie" = []))
)]
pub async fn change_member(
    State(state): State<AppState>,
    ApiPerson(caller, _): ApiPerson,
    Path((id, person_id)): Path<(OrgId, PersonId)>,
    Json(change): Json<MemberChange>,
) -> Result<Json<Person>, ApiError> {
    Ok(Json(
        people::change_member(&state.db, &state.gate, &caller, id, person_id, &change).await?,
    ))
}

/// A person's specialties: the standards topics whose proposals they may review.
#[derive(Debug, serde::Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Specialties {
    /// `design_material`, `fabrication`, `installation`, `operation`, `cleaning`,
    /// `inspection`, `hydrogen`, `heaters`, `other`.
    pub topics: Vec<String>,
}

/// An admin records what one of the organisation's experts (or reviewers) is qualified
/// in: reviewers of a standard proposal are drawn from the people whose specialties
/// include its topic. Replaces the person's topics.
#[utoipa::path(
    put,
    path = "/api/v1/organizations/{id}/people/{person_id}/specialties",
    tag = "organizations",
    operation_id = "set_specialties",
    params(("id" = OrgId, Path), ("person_id" = PersonId, Path)),
    request_body = Specialties,
    responses((status = 200, body = Specialties), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = []), ("session_cookie" = []))
)]
pub async fn set_specialties(
    State(state): State<AppState>,
    ApiPerson(caller, _): ApiPerson,
    Path((id, person_id)): Path<(OrgId, PersonId)>,
    Json(body): Json<Specialties>,
) -> Result<Json<Specialties>, ApiError> {
    let topics = ticorr_standards::lifecycle::set_specialties(
        &state.db,
        &state.gate,
        &caller,
        id,
        person_id,
        &body.topics,
    )
    .await?;
    Ok(Json(Specialties { topics }))
}

/// The organisation's API tokens (admins only).
#[utoipa::path(
    get,
    path = "/api/v1/organizations/{id}/tokens",
    tag = "organizations",
    operation_id = "list_tokens",
    params(("id" = OrgId, Path), PageParams),
    responses((status = 200, body = TokenPage)),
    security(("bearer" = []), ("session_cookie" = []))
)]
pub async fn tokens(
    State(state): State<AppState>,
    ApiPerson(caller, _): ApiPerson,
    Path(id): Path<OrgId>,
    Query(page): Query<PageParams>,
) -> Result<Json<TokenPage>, ApiError> {
    let page = tokens::list(&state.db, &state.gate, &caller, id, &page.request()?).await?;
    Ok(Json(page.into()))
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct IssuedToken {
    pub token: TokenInfo,
    /// The token itself. It is shown only now; store it in the client's secret store.
    pub secret: String,
}

/// Issues an API token for the admin's organisation.
#[utoipa::path(
    post,
    path = "/api/v1/organizations/{id}/tokens",
    tag = "organizations",
    operation_id = "issue_token",
    params(("id" = OrgId, Path)),
    request_body = NewToken,
    responses((status = 201, body = IssuedToken), (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = []), ("session_cookie" = []))
)]
pub async fn issue_token(
    State(state): State<AppState>,
    ApiPerson(caller, _): ApiPerson,
    Path(id): Path<OrgId>,
    Json(input): Json<NewToken>,
) -> Result<(StatusCode, Json<IssuedToken>), ApiError> {
    let (token, secret) = tokens::issue(
        &state.db,
        &state.gate,
        &state.config.identity,
        &caller,
        id,
        &input,
    )
    .await?;
    Ok((StatusCode::CREATED, Json(IssuedToken { token, secret })))
}

/// Revokes an API token.
#[utoipa::path(
    delete,
    path = "/api/v1/organizations/{id}/tokens/{token_id}",
    tag = "organizations",
    operation_id = "revoke_token",
    params(("id" = OrgId, Path), ("token_id" = TokenId, Path)),
    responses((status = 204), (status = 404, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = []), ("session_cookie" = []))
)]
pub async fn revoke_token(
    State(state): State<AppState>,
    ApiPerson(caller, _): ApiPerson,
    Path((id, token_id)): Path<(OrgId, TokenId)>,
) -> Result<StatusCode, ApiError> {
    tokens::revoke(&state.db, &state.gate, &caller, id, token_id).await?;
    Ok(StatusCode::NO_CONTENT)
}
