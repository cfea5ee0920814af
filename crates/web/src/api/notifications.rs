//! The signed-in person's inbox and notification preferences.

use axum::extract::State;
use axum::http::{HeaderMap, header};
use serde::Serialize;
use ticorr_kernel::NotificationId;
use ticorr_platform::notify::inbox::{self, InboxFilter, Notification};
use ticorr_platform::notify::prefs::{self, Preferences, PreferencesInput};

use super::page_schema;
use crate::auth::ApiPerson;
use crate::error::{ApiError, Problem};
use crate::extract::{Json, PageParams, Path, Query};
use crate::i18n::Lang;
use crate::state::AppState;

page_schema!(NotificationPage, Notification);

/// The language to show notifications in: the first language of `Accept-Language` that
/// the platform speaks, Chinese otherwise.
pub fn reader_lang(headers: &HeaderMap) -> Lang {
    headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.split(',')
                .filter_map(|part| Lang::parse(part.split(';').next().unwrap_or_default()))
                .next()
        })
        .unwrap_or(Lang::Zh)
}

/// The caller's notifications, newest first, in the language `Accept-Language` asks for
/// (Chinese by default). Archived ones only with `archived=true`.
#[utoipa::path(
    get,
    path = "/api/v1/me/notifications",
    tag = "notifications",
    operation_id = "list_my_notifications",
    params(InboxFilter, PageParams, ("Accept-Language" = Option<String>, Header, description = "`en` or `zh-CN`")),
    responses((status = 200, body = NotificationPage), (status = 401, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = []), ("session_cookie" = []))
)]
pub async fn list(
    State(state): State<AppState>,
    ApiPerson(caller, _): ApiPerson,
    headers: HeaderMap,
    Query(filter): Query<InboxFilter>,
    Query(page): Query<PageParams>,
) -> Result<Json<NotificationPage>, ApiError> {
    let lang = reader_lang(&headers);
    let page = inbox::list(
        &state.db,
        &state.gate,
        &caller,
        &filter,
        &page.request()?,
        lang.tag(),
    )
    .await?;
    Ok(Json(page.into()))
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct UnreadCount {
    /// Unread notifications that are not archived.
    pub unread: i64,
}

/// How many of the caller's notifications are unread.
#[utoipa::path(
    get,
    path = "/api/v1/me/notifications/unread-count",
    tag = "notifications",
    operation_id = "count_my_unread_notifications",
    responses((status = 200, body = UnreadCount)),
    security(("bearer" = []), ("session_cookie" = []))
)]
pub async fn unread_count(
    State(state): State<AppState>,
    ApiPerson(caller, _): ApiPerson,
) -> Result<Json<UnreadCount>, ApiError> {
    Ok(Json(UnreadCount {
        unread: inbox::unread_count(&state.db, &state.gate, &caller).await?,
    }))
}

/// Marks one notification read.
#[utoipa::path(
    post,
    path = "/api/v1/me/notifications/{id}/read",
    tag = "notifications",
    operation_id = "mark_notification_read",
    params(("id" = NotificationId, Path)),
    responses((status = 200, body = Notification), (status = 404, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = []), ("session_cookie" = []))
)]
pub async fn mark_read(
    State(state): State<AppState>,
    ApiPerson(caller, _): ApiPerson,
    headers: HeaderMap,
    Path(id): Path<NotificationId>,
) -> Result<Json<Notification>, ApiError> {
    let lang = reader_lang(&headers);
    Ok(Json(
        inbox::mark_read(&state.db, &state.gate, &caller, id, lang.tag()).await?,
    ))
}

/// Archives one notification (it counts as read from then on).
#[utoipa::path(
    post,
    path = "/api/v1/me/notifications/{id}/archive",
    tag = "notifications",
    operation_id = "archive_notification",
    params(("id" = NotificationId, Path)),
    responses((status = 200, body = Notification), (status = 404, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = []), ("session_cookie" = []))
)]
pub async fn archive(
    State(state): State<AppState>,
    ApiPerson(caller, _): ApiPerson,
    headers: HeaderMap,
    Path(id): Path<NotificationId>,
) -> Result<Json<Notification>, ApiError> {
    let lang = reader_lang(&headers);
    Ok(Json(
        inbox::archive(&state.db, &state.gate, &caller, id, lang.tag()).await?,
    ))
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct MarkedRead {
    /// How many notifications changed from unread to read.
    pub marked: u64,
}

/// Marks every notification of the caller read.
#[utoipa::path(
    post,
    path = "/api/v1/me/notifications/read-all",
    tag = "notifications",
    operation_id = "mark_all_notifications_read",
    responses((status = 200, body = MarkedRead)),
    security(("bearer" = []), ("session_cookie" = []))
)]
pub async fn mark_all_read(
    State(state): State<AppState>,
    ApiPerson(caller, _): ApiPerson,
) -> Result<Json<MarkedRead>, ApiError> {
    Ok(Json(MarkedRead {
        marked: inbox::mark_all_read(&state.db, &state.gate, &caller).await?,
    }))
}

/// The caller's notification preferences: per kind and channel, and the language of
/// e-mails. Kinds without a choice show their defaults.
#[utoipa::path(
    get,
    path = "/api/v1/me/notification-preferences",
    tag = "notifications",
    operation_id = "get_my_notification_preferences",
    responses((status = 200, body = Preferences)),
    security(("bearer" = []), ("session_cookie" = []))
)]
pub async fn get_preferences(
    State(state): State<AppState>,
    ApiPerson(caller, _): ApiPerson,
) -> Result<Json<Preferences>, ApiError> {
    Ok(Json(prefs::get(&state.db, &state.gate, &caller).await?))
}

/// Changes the caller's preferences: the kinds listed are replaced, the others kept.
#[utoipa::path(
    put,
    path = "/api/v1/me/notification-preferences",
    tag = "notifications",
    operation_id = "put_my_notification_preferences",
    request_body = PreferencesInput,
    responses((status = 200, body = Preferences), (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = []), ("session_cookie" = []))
)]
pub async fn put_preferences(
    State(state): State<AppState>,
    ApiPerson(caller, _): ApiPerson,
    Json(input): Json<PreferencesInput>,
) -> Result<Json<Preferences>, ApiError> {
    Ok(Json(
        prefs::set(&state.db, &state.gate, &caller, &input).await?,
    ))
}
