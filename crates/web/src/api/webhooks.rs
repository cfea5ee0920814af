//! An organisation's webhook endpoints and their delivery logs (its admins only).

use axum::extract::State;
use axum::http::StatusCode;
use serde::Serialize;
use ticorr_kernel::{OrgId, WebhookId};
use ticorr_platform::notify::webhook::{self, Attempt, CreatedEndpoint, Endpoint, EndpointInput};

use super::page_schema;
use crate::auth::ApiPerson;
use crate::error::{ApiError, Problem};
use crate::extract::{Json, PageParams, Path, Query};
use crate::state::AppState;

page_schema!(AttemptPage, Attempt);

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct EndpointList {
    pub items: Vec<Endpoint>,
}

/// The organisation's webhook endpoints.
#[utoipa::path(
    get,
    path = "/api/v1/organizations/{id}/webhooks",
    tag = "webhooks",
    operation_id = "list_webhooks",
    params(("id" = OrgId, Path)),
    responses((status = 200, body = EndpointList), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = []), ("session_cookie" = []))
)]
pub async fn list(
    State(state): State<AppState>,
    ApiPerson(caller, _): ApiPerson,
    Path(id): Path<OrgId>,
) -> Result<Json<EndpointList>, ApiError> {
    Ok(Json(EndpointList {
        items: webhook::list(&state.db, &state.gate, &caller, id).await?,
    }))
}

/// Registers an endpoint. The signing secret is in the answer, and only there.
#[utoipa::path(
    post,
    path = "/api/v1/organizations/{id}/webhooks",
    tag = "webhooks",
    operation_id = "create_webhook",
    params(("id" = OrgId, Path)),
    request_body = EndpointInput,
    responses((status = 201, body = CreatedEndpoint), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = []), ("session_cookie" = []))
)]
pub async fn create(
    State(state): State<AppState>,
    ApiPerson(caller, _): ApiPerson,
    Path(id): Path<OrgId>,
    Json(input): Json<EndpointInput>,
) -> Result<(StatusCode, Json<CreatedEndpoint>), ApiError> {
    let created =
        webhook::create(&state.db, &state.gate, &state.vault, &caller, id, &input).await?;
    Ok((StatusCode::CREATED, Json(created)))
}

/// Removes an endpoint; nothing more is delivered to it.
#[utoipa::path(
    delete,
    path = "/api/v1/organizations/{id}/webhooks/{webhook_id}",
    tag = "webhooks",
    operation_id = "delete_webhook",
    params(("id" = OrgId, Path), ("webhook_id" = WebhookId, Path)),
    responses((status = 204), (status = 404, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = []), ("session_cookie" = []))
)]
pub async fn delete(
    State(state): State<AppState>,
    ApiPerson(caller, _): ApiPerson,
    Path((id, webhook_id)): Path<(OrgId, WebhookId)>,
) -> Result<StatusCode, ApiError> {
    webhook::delete(&state.db, &state.gate, &caller, id, webhook_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct TestSent {
    /// The `webhook-id` of the `ping` message.
    pub message_id: String,
}

/// Sends a `ping` event to the endpoint (delivered by the job worker like any message).
#[utoipa::path(
    post,
    path = "/api/v1/organizations/{id}/webhooks/{webhook_id}/test",
    tag = "webhooks",
    operation_id = "test_webhook",
    params(("id" = OrgId, Path), ("webhook_id" = WebhookId, Path)),
    responses((status = 202, body = TestSent), (status = 404, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = []), ("session_cookie" = []))
)]
pub async fn test(
    State(state): State<AppState>,
    ApiPerson(caller, _): ApiPerson,
    Path((id, webhook_id)): Path<(OrgId, WebhookId)>,
) -> Result<(StatusCode, Json<TestSent>), ApiError> {
    let message_id = webhook::send_test(&state.db, &state.gate, &caller, id, webhook_id).await?;
    Ok((StatusCode::ACCEPTED, Json(TestSent { message_id })))
}

/// The endpoint's delivery log: every attempt, newest first.
#[utoipa::path(
    get,
    path = "/api/v1/organizations/{id}/webhooks/{webhook_id}/attempts",
    tag = "webhooks",
    operation_id = "list_webhook_attempts",
    params(("id" = OrgId, Path), ("webhook_id" = WebhookId, Path), PageParams),
    responses((status = 200, body = AttemptPage), (status = 404, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = []), ("session_cookie" = []))
)]
pub async fn attempts(
    State(state): State<AppState>,
    ApiPerson(caller, _): ApiPerson,
    Path((id, webhook_id)): Path<(OrgId, WebhookId)>,
    Query(page): Query<PageParams>,
) -> Result<Json<AttemptPage>, ApiError> {
    let page = webhook::attempts(
        &state.db,
        &state.gate,
        &caller,
        id,
        webhook_id,
        &page.request()?,
    )
    .await?;
    Ok(Json(page.into()))
}
