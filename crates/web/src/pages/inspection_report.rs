//! The report of a compliance self-inspection: the outcome, the gaps first (mandatory ones
//! first) with their notes and evidence, then what is unanswered and what conforms. Each
//! row takes evidence files here (the checklist form itself posts answers only).

use askama::Template;
use axum::extract::{Query, Request, State};
use axum::response::{IntoResponse, Response};
use ticorr_platform::Caller;
use ticorr_platform::attachments::{self, Attachment};
use ticorr_standards::ClauseKind;
use ticorr_standards::inspection::{self, ChecklistRow, InspectionView, Verdict};

use super::standards::{InspectionSummary, summary};
use super::{Done, PageCtx, PageErrorKind, render, see_other};
use crate::extract::Path;
use crate::i18n::{Lang, Tr};
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
    pub clause_id: String,
    /// For a gap: why the clause exists (its rationale) and what it rests on.
    pub why: String,
    pub refs: String,
    /// For a gap: the published failure cases under its clause, in words, and the newest
    /// of them (id, title, period).
    pub cases: String,
    pub case_links: Vec<(String, String, String)>,
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

fn row(tr: Tr<'_>, r: &ChecklistRow, files: Vec<Attachment>) -> ReportRow {
    ReportRow {
        position: r.position,
        standard_id: r.standard_id.clone(),
        code: r.code.clone(),
        number: r.number.clone(),
        mandatory: r.kind == ClauseKind::Mandatory,
        kind: tr.label("clause-kind", r.kind.as_str()),
        text: if tr.lang == Lang::Zh {
            r.text_zh.clone()
        } else {
            r.text_en.clone()
        },
        applies_to: r.applies_to.join(", "),
        verdict: r
            .verdict
            .map(|v| tr.label("inspection-verdict", v.as_str()))
            .unwrap_or_default(),
        note: r.note.clone().unwrap_or_default(),
        clause_id: r.clause_id.clone(),
        why: String::new(),
        refs: String::new(),
        cases: String::new(),
        case_links: Vec::new(),
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

/// The rows of a report by section, as the page and the PDF show them.
pub struct Sections {
    /// Not conforming, mandatory ones first: they make the outcome critical.
    pub gaps: Vec<ReportRow>,
    pub open: Vec<ReportRow>,
    pub conform: Vec<ReportRow>,
    pub not_applicable: Vec<ReportRow>,
}

/// Why the sections could not be read.
pub enum SectionsError {
    Standards(ticorr_standards::StandardsError),
    Cases(ticorr_cases::CasesError),
    Attachments(attachments::AttachmentError),
    NotFound,
}

impl From<SectionsError> for crate::error::ApiError {
    fn from(e: SectionsError) -> Self {
        match e {
            SectionsError::Standards(e) => e.into(),
            SectionsError::Cases(e) => e.into(),
            SectionsError::Attachments(e) => e.into(),
            SectionsError::NotFound => crate::error::ApiError::NotFound,
        }
    }
}

/// Sorts the rows of `v` into sections, each with its evidence files as `caller` may see them.
pub async fn sections(
    tr: Tr<'_>,
    state: &AppState,
    caller: &Caller,
    v: &InspectionView,
) -> Result<Sections, SectionsError> {
    let mut out = Sections {
        gaps: Vec::new(),
        open: Vec::new(),
        conform: Vec::new(),
        not_applicable: Vec::new(),
    };
    for r in &v.rows {
        let owner =
            inspection::evidence_owner(&state.db, &format!("{}:{}", v.inspection.id, r.position))
                .await
                .map_err(SectionsError::Standards)?
                .ok_or(SectionsError::NotFound)?;
        let files = attachments::list(&state.db, &state.gate, caller, &owner)
            .await
            .map_err(SectionsError::Attachments)?;
        let line = row(tr, r, files);
        match r.verdict {
            Some(Verdict::NotConform) => out.gaps.push(line),
            Some(Verdict::Conform) => out.conform.push(line),
            Some(Verdict::NotApplicable) => out.not_applicable.push(line),
            None => out.open.push(line),
        }
    }
    out.gaps.sort_by_key(|r| !r.mandatory);
    // A gap is explained by its clause: the rationale and the references behind it, and
    // the published failure cases under it.
    let mut clauses = Vec::new();
    for (i, gap) in out.gaps.iter_mut().enumerate() {
        match ticorr_standards::clause(&state.db, &state.gate, caller, &gap.clause_id).await {
            Ok((_, _, c)) => {
                gap.why = if tr.lang == Lang::Zh {
                    c.rationale_zh.clone()
                } else {
                    c.rationale_en.clone()
                };
                gap.refs = c.references.join("; ");
                clauses.push((i, c));
            }
            // The clause's standard is no longer readable: the copied text stands alone.
            Err(
                ticorr_standards::StandardsError::NotFound
                | ticorr_standards::StandardsError::Forbidden,
            ) => {}
            Err(e) => return Err(SectionsError::Standards(e)),
        }
    }
    let found = state
        .cases()
        .under_clauses(
            &clauses.iter().map(|(_, c)| c.clone()).collect::<Vec<_>>(),
            3,
        )
        .await
        .map_err(SectionsError::Cases)?;
    for ((i, _), cases) in clauses.iter().zip(found) {
        if cases.total == 0 {
            continue;
        }
        let names: Vec<String> = cases
            .mechanisms
            .iter()
            .map(|m| super::cases::mechanism_label(tr.lang, m))
            .collect();
        let gap = &mut out.gaps[*i];
        gap.cases = tr.tn(
            "clause-cases",
            &[
                ("mechanisms", names.join(", ")),
                ("count", cases.total.to_string()),
            ],
        );
        gap.case_links = cases
            .recent
            .into_iter()
            .map(|c| (c.id, c.title, c.period))
            .collect();
    }
    Ok(out)
}

fn sections_error(ctx: &PageCtx, e: SectionsError) -> Response {
    match e {
        SectionsError::NotFound => ctx.error(PageErrorKind::NotFound).into_response(),
        SectionsError::Standards(e) => ctx.standards_error(e).into_response(),
        SectionsError::Cases(e) => super::cases::fail(ctx, e).into_response(),
        SectionsError::Attachments(e) => ctx.attachment_error(e).into_response(),
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
    let s = match sections(ctx.tr(), state, ctx.caller(), v).await {
        Ok(s) => s,
        Err(e) => return sections_error(ctx, e),
    };
    (
        status,
        render(&ReportPage {
            ctx,
            summary: summary(ctx.tr(), v),
            gaps: s.gaps,
            open: s.open,
            conform: s.conform,
            not_applicable: s.not_applicable,
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
    let back =
        format!("/standards/self-inspections/{id}/report?done=evidence-deleted#row-{position}");
    super::file_form::delete(&state, &ctx, &owner, file, &back).await
}

/// The report as a printable PDF document, in `tr`'s language: the outcome, the gaps with
/// the clauses behind them, their notes and evidence (with hashes, so a printed copy can be
/// matched to the files), then the other rows, and lines to sign.
pub fn document(
    tr: Tr<'_>,
    caller: &Caller,
    v: &InspectionView,
    s: &Sections,
    printed: ticorr_kernel::Timestamp,
) -> ticorr_pdf::Document {
    use ticorr_pdf::{Block, Tone};
    let sum = summary(tr, v);
    let mut fields = Vec::new();
    if let Some(a) = caller
        .principal
        .actor()
        .filter(|a| a.org_id == v.inspection.org_id)
    {
        fields.push((tr.t("report-organisation"), a.org_name.clone()));
    }
    fields.extend([
        (tr.t("inspection-scope"), sum.title.clone()),
        (tr.t("report-started"), sum.created.clone()),
        (tr.t("report-printed"), printed.human()),
        (tr.t("inspection-outcome"), sum.outcome_label.clone()),
        (
            tr.t("inspection-answered"),
            format!("{} / {}", sum.answered, sum.rows),
        ),
        (tr.t("inspection-percent"), sum.percent.clone()),
    ]);
    let mut blocks = vec![Block::Fields(fields)];
    if sum.critical > 0 {
        blocks.push(Block::styled(
            tr.t1("inspection-critical", "count", sum.critical),
            Tone::Alert,
            0,
        ));
    }
    blocks.push(Block::styled(tr.t("inspection-scoring"), Tone::Muted, 0));

    let section = |blocks: &mut Vec<Block>, title: String, rows: &[ReportRow], full: bool| {
        blocks.push(Block::Heading(format!("{title} ({})", rows.len())));
        for r in rows {
            let head = if r.verdict.is_empty() {
                format!("{} {} · {}", r.code, r.number, r.kind)
            } else {
                format!("{} {} · {} · {}", r.code, r.number, r.kind, r.verdict)
            };
            let tone = if full && r.mandatory {
                Tone::Alert
            } else {
                Tone::Normal
            };
            blocks.push(Block::Gap);
            blocks.push(Block::styled(head, tone, 0));
            blocks.push(Block::styled(r.text.clone(), Tone::Normal, 1));
            if !r.why.is_empty() {
                blocks.push(Block::styled(
                    format!("{}: {}", tr.t("report-why"), r.why),
                    Tone::Muted,
                    1,
                ));
            }
            if !r.refs.is_empty() {
                blocks.push(Block::styled(
                    format!("{}: {}", tr.t("report-refs"), r.refs),
                    Tone::Muted,
                    1,
                ));
            }
            if !r.cases.is_empty() {
                let named: Vec<String> = r
                    .case_links
                    .iter()
                    .map(|(_, title, period)| format!("{title} ({period})"))
                    .collect();
                blocks.push(Block::styled(
                    format!("{} — {}", r.cases, named.join("; ")),
                    Tone::Muted,
                    1,
                ));
            }
            if !r.applies_to.is_empty() {
                blocks.push(Block::styled(
                    format!("{}: {}", tr.t("inspection-items"), r.applies_to),
                    Tone::Muted,
                    1,
                ));
            }
            if !r.note.is_empty() {
                blocks.push(Block::styled(
                    format!("{}: {}", tr.t("report-note"), r.note),
                    Tone::Normal,
                    1,
                ));
            }
            if full || !r.files.is_empty() {
                let files = if r.files.is_empty() {
                    tr.t("report-no-evidence")
                } else {
                    r.files
                        .iter()
                        .map(|f| format!("{} ({}, SHA-256 {})", f.name, f.size, f.sha256_short))
                        .collect::<Vec<_>>()
                        .join("; ")
                };
                blocks.push(Block::styled(
                    format!("{}: {files}", tr.t("report-evidence")),
                    Tone::Muted,
                    1,
                ));
            }
        }
    };
    section(&mut blocks, tr.t("report-gaps"), &s.gaps, true);
    if s.gaps.is_empty() {
        blocks.push(Block::styled(tr.t("report-no-gaps"), Tone::Muted, 0));
    }
    if !s.open.is_empty() {
        section(&mut blocks, tr.t("report-open"), &s.open, false);
    }
    section(&mut blocks, tr.t("report-conform"), &s.conform, false);
    if !s.not_applicable.is_empty() {
        section(
            &mut blocks,
            tr.t("report-not-applicable"),
            &s.not_applicable,
            false,
        );
    }
    blocks.push(Block::Heading(tr.t("report-sign-off")));
    blocks.push(Block::Fields(vec![
        (tr.t("report-checked-by"), "______________________".into()),
        (tr.t("report-approved-by"), "______________________".into()),
        (tr.t("report-date"), "______________________".into()),
    ]));
    ticorr_pdf::Document {
        title: format!("{} · {}", tr.t("report-title"), sum.title),
        lang: tr.lang.tag().to_owned(),
        blocks,
        footer: format!("Ticorr · {} · {}", tr.t("report-title"), v.inspection.id),
    }
}

/// A PDF as a download named `name`.
pub fn pdf_response(name: &str, bytes: Vec<u8>) -> Response {
    (
        [
            (
                axum::http::header::CONTENT_TYPE,
                "application/pdf".to_owned(),
            ),
            (
                axum::http::header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
            (
                axum::http::header::CACHE_CONTROL,
                "private, no-store".to_owned(),
            ),
        ],
        bytes,
    )
        .into_response()
}

/// The report as a PDF, in the page's language.
pub async fn report_pdf(
    ctx: PageCtx,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Response {
    if let Err(e) = ctx.require_actor() {
        return e.into_response();
    }
    let v = match inspection::get(&state.db, &state.gate, ctx.caller(), &id).await {
        Ok(v) => v,
        Err(e) => return ctx.standards_error(e).into_response(),
    };
    let s = match sections(ctx.tr(), &state, ctx.caller(), &v).await {
        Ok(s) => s,
        Err(e) => return sections_error(&ctx, e),
    };
    let doc = document(ctx.tr(), ctx.caller(), &v, &s, state.gate.clock().now());
    match ticorr_pdf::render(&doc) {
        Ok(bytes) => pdf_response(&format!("self-inspection-{id}.pdf"), bytes),
        Err(e) => {
            tracing::error!(error = %e, "report PDF not rendered");
            ctx.error(PageErrorKind::Internal).into_response()
        }
    }
}
