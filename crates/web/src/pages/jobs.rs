//! Background jobs on pages: a job's status page (what the progress bars link to, usable
//! without JavaScript) and the operator's page of failed and recurring jobs.

use askama::Template;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use ticorr_platform::jobs::access::{self, JobAccessError};
use ticorr_platform::jobs::schedule::Schedule;
use ticorr_platform::jobs::{JobRecord, JobStatus};
use ticorr_platform::search::{Rebuild, RebuildError, RebuildStatus};

use super::{CsrfForm, Done, PageCtx, PageError, PageErrorKind, render, see_other};
use crate::extract::Path;
use crate::state::AppState;

impl PageCtx {
    pub fn job_error(&self, e: JobAccessError) -> PageError {
        match e {
            JobAccessError::NotFound => self.error(PageErrorKind::NotFound),
            JobAccessError::Forbidden => self.error(PageErrorKind::Forbidden),
            JobAccessError::NotDead => {
                self.error(PageErrorKind::BadRequest(self.t("operator-jobs-not-dead")))
            }
            JobAccessError::Job(e) => self.storage_error(e),
        }
    }
}

/// A job as a page shows it.
pub struct JobPanel {
    pub id: String,
    pub kind: String,
    pub status: String,
    pub finished: bool,
    pub attempts: i64,
    pub max_attempts: i64,
    pub done: i64,
    /// The bar's maximum: the total when known, else 1 (an empty bar).
    pub total: i64,
    pub count: String,
    pub note: String,
    pub last_error: Option<String>,
    pub created: String,
    pub finished_at: String,
    /// Where the result is shown, for kinds that have a page of their own.
    pub result_href: Option<String>,
}

impl JobPanel {
    pub fn new(ctx: &PageCtx, j: &JobRecord) -> Self {
        let done = j.progress_done.unwrap_or(0);
        let total = j.progress_total.filter(|t| *t > 0);
        JobPanel {
            id: j.id.clone(),
            kind: j.kind.clone(),
            status: ctx.label("job-status", j.status.as_str()),
            finished: matches!(j.status, JobStatus::Done | JobStatus::Dead),
            attempts: j.attempts,
            max_attempts: j.max_attempts,
            done,
            total: total.unwrap_or(1),
            count: match total {
                Some(t) => format!("{done} / {t}"),
                None => String::new(),
            },
            // Notes are words of the handler's own; known ones are translated.
            note: j
                .progress_note
                .as_deref()
                .map(|n| {
                    let key = format!("job-note-{n}");
                    if ctx.state.i18n.has(ctx.lang, &key) {
                        ctx.t(&key)
                    } else {
                        n.to_owned()
                    }
                })
                .unwrap_or_default(),
            last_error: j.last_error.clone(),
            created: j.created_at.human(),
            finished_at: j.finished_at.map(|t| t.human()).unwrap_or_default(),
            result_href: match j.kind.as_str() {
                ticorr_equipment::jobs::IMPORT_KIND => {
                    Some(format!("/equipment/import?job={}", j.id))
                }
                ticorr_cases::import::IMPORT_KIND => Some(format!("/cases/import?job={}", j.id)),
                _ => None,
            },
        }
    }
}

#[derive(Template)]
#[template(path = "job.html")]
struct JobPage<'a> {
    ctx: &'a PageCtx,
    job: JobPanel,
}

pub async fn status(
    ctx: PageCtx,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Response {
    if let Err(e) = ctx.require_actor() {
        return e.into_response();
    }
    match access::view(&state.db, &state.gate, ctx.caller(), &id).await {
        Ok(j) => {
            let job = JobPanel::new(&ctx, &j);
            render(&JobPage { ctx: &ctx, job })
        }
        Err(e) => ctx.job_error(e).into_response(),
    }
}

pub struct ScheduleRow {
    pub s: Schedule,
    pub next: String,
    pub last: String,
}

/// This node's search index as the operator's page shows it.
pub struct IndexPanel {
    pub docs: u64,
    pub position: String,
    /// The last rebuild started from the page or the API.
    pub rebuild: Option<RebuildPanel>,
}

pub struct RebuildPanel {
    pub status: String,
    pub running: bool,
    pub done: u64,
    /// The bar's maximum (1 while the total is not known yet).
    pub total: u64,
    pub count: String,
    pub error: Option<String>,
    pub started: String,
    pub started_by: String,
    pub finished: String,
}

impl RebuildPanel {
    fn new(ctx: &PageCtx, r: &Rebuild) -> Self {
        let status = match r.status {
            RebuildStatus::Running => "running",
            RebuildStatus::Done => "done",
            RebuildStatus::Failed => "dead",
        };
        RebuildPanel {
            status: ctx.label("job-status", status),
            running: r.status == RebuildStatus::Running,
            done: r.progress.done,
            total: r.progress.total.max(1),
            count: format!("{} / {}", r.progress.done, r.progress.total),
            error: r.error.clone(),
            started: r.started_at.human(),
            started_by: r.started_by.clone(),
            finished: r.finished_at.map(|t| t.human()).unwrap_or_default(),
        }
    }
}

#[derive(Template)]
#[template(path = "operator_jobs.html")]
struct OperatorJobsPage<'a> {
    ctx: &'a PageCtx,
    jobs: Vec<JobPanel>,
    schedules: Vec<ScheduleRow>,
    index: IndexPanel,
    notice: Option<String>,
}

/// The operator's page: dead jobs and jobs whose last attempt failed, with a retry for
/// dead ones, and the recurring jobs.
pub async fn operator(
    ctx: PageCtx,
    State(state): State<AppState>,
    Query(done): Query<Done>,
) -> Response {
    if let Err(e) = ctx.require_actor() {
        return e.into_response();
    }
    let jobs = match access::troubled(&state.db, &state.gate, ctx.caller(), 200).await {
        Ok(j) => j,
        Err(e) => return ctx.job_error(e).into_response(),
    };
    let schedules = match access::schedules(&state.db, &state.gate, ctx.caller()).await {
        Ok(s) => s,
        Err(e) => return ctx.job_error(e).into_response(),
    };
    let rebuild = match state
        .search
        .rebuild_status(&state.db, &state.gate, ctx.caller())
        .await
    {
        Ok(r) => r,
        Err(e) => return ctx.job_error(e.into()).into_response(),
    };
    let index = IndexPanel {
        docs: state.search.num_docs(),
        position: match state.search.position() {
            Ok(Some(p)) => p.to_string(),
            Ok(None) => ctx.t("operator-index-empty"),
            Err(e) => e.to_string(),
        },
        rebuild: rebuild.as_ref().map(|r| RebuildPanel::new(&ctx, r)),
    };
    let notice = ctx.notice(&done);
    render(&OperatorJobsPage {
        index,
        jobs: jobs.iter().map(|j| JobPanel::new(&ctx, j)).collect(),
        schedules: schedules
            .into_iter()
            .map(|s| ScheduleRow {
                next: s.next_run_at.human(),
                last: s.last_run_at.map(|t| t.human()).unwrap_or_default(),
                s,
            })
            .collect(),
        notice,
        ctx: &ctx,
    })
}

/// The operator's button: rebuild this node's search index in the background.
pub async fn reindex(State(state): State<AppState>, form: CsrfForm<RetryForm>) -> Response {
    let ctx = form.ctx;
    if let Err(e) = ctx.require_actor() {
        return e.into_response();
    }
    match state
        .search
        .start_rebuild(&state.db, &state.gate, ctx.caller())
        .await
    {
        Ok(_) => see_other("/operator/jobs?done=reindex-started#search-index"),
        Err(RebuildError::Running(_)) => {
            see_other("/operator/jobs?done=reindex-running#search-index")
        }
        Err(RebuildError::Denied(d)) => ctx.job_error(d.into()).into_response(),
        Err(RebuildError::Storage(e)) => ctx.storage_error(e).into_response(),
    }
}

#[derive(serde::Deserialize)]
pub struct RetryForm {}

pub async fn retry(
    State(state): State<AppState>,
    Path(id): Path<String>,
    form: CsrfForm<RetryForm>,
) -> Response {
    let ctx = form.ctx;
    if let Err(e) = ctx.require_actor() {
        return e.into_response();
    }
    match access::retry(&state.db, &state.gate, ctx.caller(), &id).await {
        Ok(_) => see_other("/operator/jobs?done=job-retried"),
        Err(e) => ctx.job_error(e).into_response(),
    }
}
