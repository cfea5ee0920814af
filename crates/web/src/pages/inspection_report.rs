//! The report of a compliance self-inspection: the outcome, the gaps first (mandatory ones
//! first) with their notes and evidence, then what is unanswered and what conforms. Each
//! row takes evidence files here (the checklist form itself posts answers only).

use askama::Template;
use axum::extract::{Query, Request, State};
use axum::response::{IntoResponse, Response};
use ticorr_platform::attachments::{self, Attachment};
use ticorr_standards::ClauseKind;
use ticorr_standards::inspection::{self, ChecklistRow, InspectionView, Verdict};

use super::standards::{InspectionSummary, in_lang, summary};
use super::{Done, PageCtx, PageErrorKind, render, see_other};
use crate::extract::Path;
use crate::state::AppState;

/// One row of the report.
pub struct ReportRow {
    pub position: i64,
    pub standard_id: String,
    pub code: String,
    pub number: String,
    pub mandatory: bool,
    pub kind: String,
    pub text: String,
    pub applies_to: String,
    pub verdict: String,
    pub note: String,
    pub files: Vec<EvidenceFile>,
}

pub struct EvidenceFile {
    pub id: String,
    pub name: String,
    pub size: String,
    pub sha256_short: String,
}

#[derive(Template)]
#[template(path = "inspection_report.html")]
struct ReportPage<'a> {
    ctx: &'a PageCtx,
    summary: InspectionSummary,
    gaps: Vec<ReportRow>,
    open: Vec<ReportRow>,
    conform: Vec<ReportRow>,
    not_applicable: Vec<ReportRow>,
    notice: Option<String>,
    /// A refused upload: the row and the reason.
    refused: Option<(i64, String)>,
    max_size: String,
}

fn row(ctx: &PageCtx, r: &ChecklistRow, files: Vec<Attachment>) -> ReportRow {
    ReportRow {
        position: r.position,
        standard_id: r.standard_id.clone(),
        code: r.code.clone(),
        number: r.number.clone(),
        mandatory: r.kind == ClauseKind::Mandatory,
        kind: ctx.label("clause-kind", r.kind.as_str()),
        text: in_lang(ctx, &r.text_zh, &r.text_en),
        applies_to: r.applies_to.join(", "),
        verdict: r
            .verdict
            .map(|v| ctx.label("inspection-verdict", v.as_str()))
            .unwrap_or_default(),
        note: r.note.clone().unwrap_or_default(),
        files: files
            .into_iter()
            .map(|f| EvidenceFile {
                id: f.id.to_string(),
                name: f.file_name,
                size: attachments::human_size(f.size_bytes),
                sha256_short: f.sha256.chars().take(12).collect(),
            })
            .collect(),
    }
}

async fn page(
    ctx: &PageCtx,
    state: &AppState,
    v: &InspectionView,
    notice: Option<String>,
    refused: Option<(i64, String)>,
    status: axum::http::StatusCode,
) -> Response {
    let mut gaps = Vec::new();
    let mut open = Vec::new();
    let mut conform = Vec::new();
    let mut not_applicable = Vec::new();
    for r in &v.rows {
        let owner = match inspection::evidence_owner(
            &state.db,
            &format!("{}:{}", v.inspection.id, r.position),
        )
        .await
        {
            Ok(Some(o)) => o,
            Ok(None) => return ctx.error(PageErrorKind::NotFound).into_response(),
            Err(e) => return ctx.standards_error(e).into_response(),
        };
        let files = match attachments::list(&state.db, &state.gate, ctx.caller(), &owner).await {
            Ok(f) => f,
            Err(e) => return ctx.attachment_error(e).into_response(),
        };
        let line = row(ctx, r, files);
        match r.verdict {
            Some(Verdict::NotConform) => gaps.push(line),
            Some(Verdict::Conform) => conform.push(line),
            Some(Verdict::NotApplicable) => not_applicable.push(line),
            None => open.push(line),
        }
    }
    // Mandatory gaps first: they make the outcome critical.
    gaps.sort_by_key(|r| !r.mandatory);
    (
        status,
        render(&ReportPage {
            ctx,
            summary: summary(ctx, v),
            gaps,
            open,
            conform,
            not_applicable,
            notice,
            refused,
            max_size: attachments::human_size(state.attachments.max_bytes()),
        }),
    )
        .into_response()
}

/// The report of a checklist.
pub async fn report(
    ctx: PageCtx,
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(done): Query<Done>,
) -> Response {
    if let Err(e) = ctx.require_actor() {
        return e.into_response();
    }
    match inspection::get(&state.db, &state.gate, ctx.caller(), &id).await {
        Ok(v) => {
            let notice = ctx.notice(&done);
            page(&ctx, &state, &v, notice, None, axum::http::StatusCode::OK).await
        }
        Err(e) => ctx.standards_error(e).into_response(),
    }
}

/// Attaches an evidence file to one row, then back to the report at that row.
pub async fn upload_evidence(
    State(state): State<AppState>,
    Path((id, position)): Path<(String, i64)>,
    req: Request,
) -> Response {
    let refused = |ctx: PageCtx, status: axum::http::StatusCode, message: String| {
        let state = state.clone();
        let id = id.clone();
        async move {
            match inspection::get(&state.db, &state.gate, ctx.caller(), &id).await {
                Ok(v) => page(&ctx, &state, &v, None, Some((position, message)), status).await,
                Err(e) => ctx.standards_error(e).into_response(),
            }
        }
    };
    let (ctx, name, bytes) = match super::file_form::read(&state, req).await {
        super::file_form::FileForm::File(ctx, name, bytes) => (ctx, name, bytes),
        super::file_form::FileForm::Refused(ctx, status, message) => {
            return refused(ctx, status, message).await;
        }
        super::file_form::FileForm::Done(response) => return response,
    };
    let owner = match inspection::evidence_owner(&state.db, &format!("{id}:{position}")).await {
        Ok(Some(o)) => o,
        Ok(None) => return ctx.error(PageErrorKind::NotFound).into_response(),
        Err(e) => return ctx.standards_error(e).into_response(),
    };
    match super::file_form::store(&state, &ctx, &owner, &name, bytes).await {
        Ok(()) => see_other(&format!(
            "/standards/self-inspections/{id}/report?done=evidence-added#row-{position}"
        )),
        Err(super::file_form::NotStored::Refused(status, message)) => {
            refused(ctx, status, message).await
        }
        Err(super::file_form::NotStored::Failed(page)) => page,
    }
}

/// Removes an evidence file from a row, then back to the report at that row.
pub async fn delete_evidence(
    State(state): State<AppState>,
    Path((id, position, file)): Path<(String, i64, ticorr_kernel::AttachmentId)>,
    form: super::CsrfForm<super::auth::Empty>,
) -> Response {
    let ctx = form.ctx;
    if let Err(e) = ctx.require_actor() {
        return e.into_response();
    }
    let owner = match inspection::evidence_owner(&state.db, &format!("{id}:{position}")).await {
        Ok(Some(o)) => o,
        Ok(None) => return ctx.error(PageErrorKind::NotFound).into_response(),
        Err(e) => return ctx.standards_error(e).into_response(),
    };
    match attachments::delete(
        &state.db,
        &state.gate,
        &state.attachments,
        ctx.caller(),
        &owner,
        file,
    )
    .await
    {
        Ok(()) => see_other(&format!(
            "/standards/self-inspections/{id}/report?done=evidence-deleted#row-{position}"
        )),
        Err(e) => ctx.attachment_error(e).into_response(),
    }
}
