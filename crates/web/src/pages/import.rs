//! Spreadsheet imports on pages: the form, the progress of the import job and its result
//! (what was written, or every problem by row), shared by the modules that import.
//!
//! A module's import page names its texts and links in an [`ImportKind`]; the form posts
//! multipart data (the anti-forgery token is one of its fields) read by [`read_form`]; the
//! module starts its job and the browser is sent to the page with `?job=…`, where the
//! progress bar follows the job until its result is shown.

use askama::Template;
use axum::extract::{FromRequest, FromRequestParts, Multipart, Request};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use ticorr_equipment::RowError;
use ticorr_platform::jobs::JobRecord;

use super::{PageCtx, PageErrorKind, render};
use crate::state::AppState;

/// What differs between the import pages of two modules.
pub(super) struct ImportKind {
    /// The job kind the page follows.
    pub job_kind: &'static str,
    pub title_key: &'static str,
    pub intro_key: &'static str,
    pub hint_key: &'static str,
    pub back_href: &'static str,
    pub back_key: &'static str,
    pub template_href: &'static str,
    /// Where the form posts.
    pub action: &'static str,
}

/// The page's content besides the form.
#[derive(Default)]
pub(super) struct ImportPageData {
    pub job: Option<super::jobs::JobPanel>,
    /// What the finished import wrote, in words, and where to see it.
    pub done: Option<(String, String, String)>,
    pub row_errors: Vec<RowError>,
    pub file_error: Option<String>,
    pub file_name: String,
}

#[derive(Template)]
#[template(path = "import.html")]
struct ImportPage<'a> {
    ctx: &'a PageCtx,
    kind: &'a ImportKind,
    job: Option<super::jobs::JobPanel>,
    done: Option<(String, String, String)>,
    row_errors: Vec<RowError>,
    file_error: Option<String>,
    file_name: String,
}

pub(super) fn page(
    ctx: &PageCtx,
    status: StatusCode,
    kind: &ImportKind,
    data: ImportPageData,
) -> Response {
    (
        status,
        render(&ImportPage {
            ctx,
            kind,
            job: data.job,
            done: data.done,
            row_errors: data.row_errors,
            file_error: data.file_error,
            file_name: data.file_name,
        }),
    )
        .into_response()
}

/// The import job `id` of `kind`, if the caller may follow it; otherwise the error page.
pub(super) async fn job(ctx: &PageCtx, kind: &ImportKind, id: &str) -> Result<JobRecord, Response> {
    match ticorr_platform::jobs::access::view(&ctx.state.db, &ctx.state.gate, ctx.caller(), id)
        .await
    {
        Ok(j) if j.kind == kind.job_kind => Ok(j),
        Ok(_) => Err(ctx.error(PageErrorKind::NotFound).into_response()),
        Err(e) => Err(ctx.job_error(e).into_response()),
    }
}

/// Reads the import form: the signed-in sender, the file's name and bytes. Anything else
/// (not signed in, a bad token, no file, a file over the limit) is answered here.
pub(super) async fn read_form(
    state: &AppState,
    kind: &ImportKind,
    req: Request,
) -> Result<(PageCtx, Option<String>, Vec<u8>), Response> {
    let (mut parts, body) = req.into_parts();
    let ctx = PageCtx::from_request_parts(&mut parts, state).await?;
    if let Err(e) = ctx.require_actor() {
        return Err(e.into_response());
    }
    let mut mp = match Multipart::from_request(Request::from_parts(parts, body), state).await {
        Ok(m) => m,
        Err(e) => {
            return Err(ctx
                .error(PageErrorKind::BadRequest(e.body_text()))
                .into_response());
        }
    };
    let mut csrf = String::new();
    let mut file: Option<(Option<String>, Vec<u8>)> = None;
    loop {
        match mp.next_field().await {
            Ok(Some(field)) => match field.name() {
                Some("_csrf") => csrf = field.text().await.unwrap_or_default(),
                Some("file") => {
                    let name = field.file_name().map(str::to_owned);
                    match field.bytes().await {
                        Ok(b) => file = Some((name, b.to_vec())),
                        Err(e) => {
                            let status = e.status();
                            let msg = if status == StatusCode::PAYLOAD_TOO_LARGE {
                                ctx.t("error-body-too-large")
                            } else {
                                e.body_text()
                            };
                            let data = ImportPageData {
                                file_error: Some(msg),
                                ..Default::default()
                            };
                            return Err(page(&ctx, status, kind, data));
                        }
                    }
                }
                _ => {}
            },
            Ok(None) => break,
            Err(e) => {
                return Err(ctx
                    .error(PageErrorKind::BadRequest(e.body_text()))
                    .into_response());
            }
        }
    }
    if ctx.csrf.is_empty() || !ticorr_platform::identity::secret::constant_time_eq(&ctx.csrf, &csrf)
    {
        return Err(ctx.error(PageErrorKind::Csrf).into_response());
    }
    match file.filter(|(_, b)| !b.is_empty()) {
        Some((name, bytes)) => Ok((ctx, name, bytes)),
        None => {
            let data = ImportPageData {
                file_error: Some(ctx.t("import-no-file")),
                ..Default::default()
            };
            Err(page(&ctx, StatusCode::UNPROCESSABLE_ENTITY, kind, data))
        }
    }
}

/// The page again with a file the module refused before starting a job.
pub(super) fn refused(
    ctx: &PageCtx,
    kind: &ImportKind,
    message: String,
    file_name: Option<String>,
) -> Response {
    let data = ImportPageData {
        file_error: Some(message),
        file_name: file_name.unwrap_or_default(),
        ..Default::default()
    };
    page(ctx, StatusCode::UNPROCESSABLE_ENTITY, kind, data)
}
