//! `GET /api/v1/search`: one search over every registered record type.

use axum::extract::{RawQuery, State};
use axum::http::HeaderMap;
use axum::http::header::ACCEPT_LANGUAGE;

use crate::auth::ApiCaller;
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
