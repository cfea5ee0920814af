//! Background jobs on pages: a job's status page (what the progress bars link to, usable
//! without JavaScript) and the operator's page of failed and recurring jobs.

use askama::Template;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use ticorr_platform::jobs::access::{self, JobAccessError};
use ticorr_platform::jobs::schedule::Schedule;
use ticorr_platform::jobs::{JobRecord, JobStatus};

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
            result_href: (j.kind == ticorr_equipment::jobs::IMPORT_KIND)
                .then(|| format!("/equipment/import?job={}", j.id)),
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

#[derive(Template)]
#[template(path = "operator_jobs.html")]
struct OperatorJobsPage<'a> {
    ctx: &'a PageCtx,
    jobs: Vec<JobPanel>,
    schedules: Vec<ScheduleRow>,
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
    let notice = ctx.notice(&done);
    render(&OperatorJobsPage {
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
