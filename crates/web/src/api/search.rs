//! `GET /api/v1/search`: one search over every registered record type.

use axum::extract::{RawQuery, State};
use axum::http::header::{ACCEPT_LANGUAGE, LOCATION};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use ticorr_platform::Denied;
use ticorr_platform::search::{Rebuild, RebuildError};

use crate::auth::{ApiCaller, ApiPerson};
use crate::error::{ApiError, Problem};
use crate::extract::Json;
use crate::i18n::Lang;
use crate::search::{SearchQuery, SearchResults};
use crate::state::AppState;

/// The documented parameters; `facet.<dimension>=<value>` may be repeated and combined.
#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct SearchParams {
    /// The words to find, Chinese or English. Concepts of the vocabulary (e.g. 缝隙腐蚀 /
    /// crevice corrosion, TA2 / Gr2) match in both languages; all words must match.
    /// Empty: every visible record, for browsing by facets.
    q: Option<String>,
    /// Only these document types, comma-separated (e.g. `equipment`).
    #[serde(rename = "type")]
    #[param(rename = "type")]
    doc_type: Option<String>,
    /// Filter on a facet value: `facet.grade=Gr2`, `facet.region=330000`. Values of one
    /// facet are alternatives; different facets combine.
    #[serde(rename = "facet.*")]
    #[param(rename = "facet.*")]
    facet: Option<String>,
    /// The `next_cursor` of the previous page.
    cursor: Option<String>,
    /// Hits per page, 1–100 (default 20).
    limit: Option<usize>,
}

/// Searches the records the caller may see. Totals and facet counts count only visible
/// records; anonymous callers see public records.
#[utoipa::path(
    get,
    path = "/api/v1/search",
    tag = "search",
    operation_id = "search",
    params(SearchParams),
    responses(
        (status = 200, body = SearchResults),
        (status = 400, body = Problem, content_type = "application/problem+json"),
    ),
    security((), ("bearer" = []), ("session_cookie" = []))
)]
pub async fn search(
    State(state): State<AppState>,
    ApiCaller(caller, _): ApiCaller,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Result<Json<SearchResults>, ApiError> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(raw.as_deref().unwrap_or(""))
        .map_err(|e| ApiError::BadRequest(format!("the query string is malformed: {e}")))?;
    let query = SearchQuery::parse(&pairs).map_err(ApiError::BadRequest)?;
    let lang = headers
        .get(ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .filter(|v| v.trim_start().to_ascii_lowercase().starts_with("en"))
        .map(|_| Lang::En)
        .unwrap_or(Lang::Zh);
    Ok(Json(
        crate::search::run(&state, &caller, &query, lang).await?,
    ))
}

/// Where the status of this node's last rebuild is read.
const REBUILD_STATUS: &str = "/api/v1/search/reindex";

impl From<RebuildError> for ApiError {
    fn from(e: RebuildError) -> Self {
        match e {
            RebuildError::Running(r) => ApiError::Conflict(format!(
                "a rebuild of the search index is already running (started {} by {}); follow it at {REBUILD_STATUS}",
                r.started_at, r.started_by
            )),
            RebuildError::Denied(d) => denied(d),
            RebuildError::Storage(e) => ApiError::internal(e),
        }
    }
}

fn denied(d: Denied) -> ApiError {
    match d {
        Denied::NotFound => ApiError::NotFound,
        Denied::Forbidden => ApiError::Forbidden,
        Denied::Storage(e) => ApiError::internal(e),
    }
}

/// Rebuilds this node's search index from the database in the background (the platform
/// operator only; 404 to anyone else). Answers `202 Accepted` with the status resource in
/// `Location`; searches keep answering from the old index until the rebuild is done. `409`
/// while one runs.
#[utoipa::path(
    post,
    path = "/api/v1/search/reindex",
    tag = "search",
    operation_id = "start_search_reindex",
    responses(
        (status = 202, body = Rebuild, headers(("Location" = String, description = "The status resource"))),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []), ("session_cookie" = []))
)]
pub async fn start_reindex(
    State(state): State<AppState>,
    ApiPerson(caller, _): ApiPerson,
) -> Result<Response, ApiError> {
    let rebuild = state
        .search
        .start_rebuild(&state.db, &state.gate, &caller)
        .await?;
    let mut res = (StatusCode::ACCEPTED, Json(rebuild)).into_response();
    res.headers_mut()
        .insert(LOCATION, HeaderValue::from_static(REBUILD_STATUS));
    Ok(res)
}

/// The last rebuild of this node's search index started over the API: running, done or
/// failed, with its progress (the platform operator only; 404 when none was started since
/// the node started).
#[utoipa::path(
    get,
    path = "/api/v1/search/reindex",
    tag = "search",
    operation_id = "get_search_reindex",
    responses(
        (status = 200, body = Rebuild),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []), ("session_cookie" = []))
)]
pub async fn reindex_status(
    State(state): State<AppState>,
    ApiPerson(caller, _): ApiPerson,
) -> Result<Json<Rebuild>, ApiError> {
    state
        .search
        .rebuild_status(&state.db, &state.gate, &caller)
        .await
        .map_err(denied)?
        .map(Json)
        .ok_or(ApiError::NotFound)
}
