//! Background jobs over HTTP: the status resource a `202 Accepted` points to, and the
//! operator's view of failed jobs and recurring jobs.

use axum::extract::State;
use serde::{Deserialize, Serialize};
use ticorr_kernel::Timestamp;
use ticorr_platform::jobs::access::{self, JobAccessError};
use ticorr_platform::jobs::schedule::Schedule;
use ticorr_platform::jobs::{JobRecord, JobStatus};

use crate::auth::ApiPerson;
use crate::error::{ApiError, Problem};
use crate::extract::{Json, Path, Query};
use crate::state::AppState;

impl From<JobAccessError> for ApiError {
    fn from(e: JobAccessError) -> Self {
        match e {
            JobAccessError::NotFound => ApiError::NotFound,
            JobAccessError::Forbidden => ApiError::Forbidden,
            JobAccessError::NotDead => ApiError::Conflict(e.to_string()),
            other => ApiError::internal(other),
        }
    }
}

/// `202 Accepted` for a job just started: the job as its status resource shows it, with
/// `Location` pointing there.
pub async fn accepted(
    state: &AppState,
    caller: &ticorr_platform::Caller,
    id: &str,
) -> Result<axum::response::Response, ApiError> {
    use axum::response::IntoResponse;
    let job = access::view(&state.db, &state.gate, caller, id).await?;
    let mut res = (axum::http::StatusCode::ACCEPTED, Json(JobView::from(job))).into_response();
    if let Ok(v) = axum::http::HeaderValue::from_str(&format!("/api/v1/jobs/{id}")) {
        res.headers_mut().insert(axum::http::header::LOCATION, v);
    }
    Ok(res)
}

/// How far a running job got.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct JobProgress {
    pub done: i64,
    /// Absent when the job cannot tell in advance.
    pub total: Option<i64>,
    /// What the job is doing, e.g. `checking` or `writing`.
    pub note: Option<String>,
}

/// A background job: its state, its progress while it runs, and its result once done.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct JobView {
    pub id: String,
    /// The kind of work, e.g. `equipment.import`.
    pub kind: String,
    /// `queued` (waiting, or waiting for a retry after a failed attempt), `running`, `done`
    /// or `dead` (failed for good; the operator may retry it).
    pub status: JobStatus,
    /// Attempts started so far.
    pub attempts: i64,
    pub max_attempts: i64,
    pub progress: Option<JobProgress>,
    /// Why the last attempt failed.
    pub last_error: Option<String>,
    /// What the job produced (for an import: the report, or every rejected row).
    #[schema(value_type = Option<Object>)]
    pub result: Option<serde_json::Value>,
    pub created_at: Timestamp,
    /// When a queued job is due (after a failed attempt: when it is retried).
    pub run_after: Timestamp,
    pub started_at: Option<Timestamp>,
    pub finished_at: Option<Timestamp>,
    /// The human-readable status page.
    pub page: String,
}

impl From<JobRecord> for JobView {
    fn from(j: JobRecord) -> Self {
        JobView {
            page: format!("/jobs/{}", j.id),
            progress: j.progress_done.map(|done| JobProgress {
                done,
                total: j.progress_total,
                note: j.progress_note.clone(),
            }),
            id: j.id,
            kind: j.kind,
            status: j.status,
            attempts: j.attempts,
            max_attempts: j.max_attempts,
            last_error: j.last_error,
            result: j.result,
            created_at: j.created_at,
            run_after: j.run_after,
            started_at: j.started_at,
            finished_at: j.finished_at,
        }
    }
}

/// One job: visible to the person who started it, the admins of their organisation and
/// the platform operator; to anyone else it does not exist (404).
#[utoipa::path(
    get,
    path = "/api/v1/jobs/{id}",
    tag = "jobs",
    operation_id = "get_job",
    params(("id" = String, Path)),
    responses(
        (status = 200, body = JobView),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []), ("session_cookie" = []))
)]
pub async fn get(
    State(state): State<AppState>,
    ApiPerson(caller, _): ApiPerson,
    Path(id): Path<String>,
) -> Result<Json<JobView>, ApiError> {
    let job = access::view(&state.db, &state.gate, &caller, &id).await?;
    Ok(Json(job.into()))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TroubledParams {
    /// At most this many (default 100, at most 500).
    pub limit: Option<i64>,
}

/// The jobs that need the operator: dead jobs and jobs whose last attempt failed, newest
/// first, with their last error. Operator only.
#[utoipa::path(
    get,
    path = "/api/v1/jobs",
    tag = "jobs",
    operation_id = "list_troubled_jobs",
    params(TroubledParams),
    responses(
        (status = 200, body = Vec<JobView>),
        (status = 404, description = "The caller is not the operator", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []), ("session_cookie" = []))
)]
pub async fn troubled(
    State(state): State<AppState>,
    ApiPerson(caller, _): ApiPerson,
    Query(params): Query<TroubledParams>,
) -> Result<Json<Vec<JobView>>, ApiError> {
    let jobs =
        access::troubled(&state.db, &state.gate, &caller, params.limit.unwrap_or(100)).await?;
    Ok(Json(jobs.into_iter().map(JobView::from).collect()))
}

/// Puts a dead job back in the queue with a fresh set of attempts. Operator only; audited.
#[utoipa::path(
    post,
    path = "/api/v1/jobs/{id}/retry",
    tag = "jobs",
    operation_id = "retry_job",
    params(("id" = String, Path)),
    responses(
        (status = 200, body = JobView),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The job is not dead", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []), ("session_cookie" = []))
)]
pub async fn retry(
    State(state): State<AppState>,
    ApiPerson(caller, _): ApiPerson,
    Path(id): Path<String>,
) -> Result<Json<JobView>, ApiError> {
    let job = access::retry(&state.db, &state.gate, &caller, &id).await?;
    Ok(Json(job.into()))
}

/// A recurring job.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ScheduleView {
    pub name: String,
    /// Five-field cron expression, in UTC.
    pub cron: String,
    pub kind: String,
    #[schema(value_type = Object)]
    pub payload: serde_json::Value,
    pub next_run_at: Timestamp,
    pub enabled: bool,
    pub last_run_at: Option<Timestamp>,
    pub last_job_id: Option<String>,
}

impl From<Schedule> for ScheduleView {
    fn from(s: Schedule) -> Self {
        ScheduleView {
            name: s.name,
            cron: s.cron,
            kind: s.kind,
            payload: s.payload,
            next_run_at: s.next_run_at,
            enabled: s.enabled,
            last_run_at: s.last_run_at,
            last_job_id: s.last_job_id,
        }
    }
}

/// The recurring jobs and when each runs next. Operator only.
#[utoipa::path(
    get,
    path = "/api/v1/schedules",
    tag = "jobs",
    operation_id = "list_schedules",
    responses(
        (status = 200, body = Vec<ScheduleView>),
        (status = 404, description = "The caller is not the operator", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []), ("session_cookie" = []))
)]
pub async fn schedules(
    State(state): State<AppState>,
    ApiPerson(caller, _): ApiPerson,
) -> Result<Json<Vec<ScheduleView>>, ApiError> {
    let list = access::schedules(&state.db, &state.gate, &caller).await?;
    Ok(Json(list.into_iter().map(ScheduleView::from).collect()))
}
