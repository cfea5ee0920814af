//! L4 statistics with differential privacy.

use axum::extract::State;
use serde::Deserialize;
use ticorr_platform::stats::{self, BudgetUse, Release, StatsQuery};

use crate::auth::ApiPerson;
use crate::error::{ApiError, Problem};
use crate::extract::{Json, Query};
use crate::state::AppState;

/// Answers a statistics question for regulators and research institutions: noisy values
/// (OpenDP), each organisation's contribution bounded, small cells suppressed, the ε
/// charged to the caller's organisation's monthly budget.
#[utoipa::path(
    post,
    path = "/api/v1/stats/query",
    tag = "statistics",
    operation_id = "query_statistics",
    request_body = StatsQuery,
    responses(
        (status = 200, body = Release),
        (status = 404, description = "The caller may not read L4 statistics", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The privacy budget does not cover the query; nothing was charged", body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []), ("session_cookie" = []))
)]
pub async fn query(
    State(state): State<AppState>,
    ApiPerson(caller, _): ApiPerson,
    Json(q): Json<StatsQuery>,
) -> Result<Json<Release>, ApiError> {
    let (db, gate, config) = (&state.db, &state.gate, &state.config.stats);
    // Trend reports of failure cases read the published cases; every other measure the
    // equipment registry.
    let release = if q.measure == stats::Measure::CaseCount {
        stats::query(db, gate, config, &caller, &q, ticorr_cases::stat_rows).await?
    } else {
        stats::query(db, gate, config, &caller, &q, ticorr_equipment::stat_rows).await?
    };
    Ok(Json(release))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct BudgetParams {
    /// `YYYY-MM` (default: this month, UTC).
    pub period: Option<String>,
}

/// Privacy-budget use of a month: the caller's own organisation's, and for the regulator,
/// who supervises data security, every consumer's.
#[utoipa::path(
    get,
    path = "/api/v1/stats/budgets",
    tag = "statistics",
    operation_id = "list_privacy_budgets",
    params(BudgetParams),
    responses((status = 200, body = Vec<BudgetUse>)),
    security(("bearer" = []), ("session_cookie" = []))
)]
pub async fn budgets(
    State(state): State<AppState>,
    ApiPerson(caller, _): ApiPerson,
    Query(p): Query<BudgetParams>,
) -> Result<Json<Vec<BudgetUse>>, ApiError> {
    Ok(Json(
        stats::budgets(&state.db, &state.gate, &caller, p.period.as_deref()).await?,
    ))
}
