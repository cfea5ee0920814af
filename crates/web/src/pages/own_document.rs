//! Recording an organisation's own document (an internal specification, a park guideline,
//! a chain agreement): its facts in a form, its clauses pasted from a spreadsheet. It is in
//! force at once for the organisation's equipment (or, shared with a park, the park's
//! members'), like `POST /api/v1/standards`.

use askama::Template;
use axum::response::{IntoResponse, Response};
use ticorr_kernel::{OrgId, OrgKind};
use ticorr_standards::{OwnDocument, StandardInput, StandardsError, TOPICS, clause_sheet};

use super::{CsrfForm, Options, PageCtx, render, see_other};

/// What the form sends (and shows again after a refusal).
#[derive(Debug, Default, Clone, serde::Deserialize)]
#[serde(default)]
pub struct OwnForm {
    pub code: String,
    pub origin: String,
    pub title_zh: String,
    pub title_en: String,
    pub scope_zh: String,
    pub scope_en: String,
    pub topic: String,
    pub review_interval_months: String,
    pub level: String,
    pub park_id: String,
    pub clauses: String,
}

#[derive(Template)]
#[template(path = "own_document.html")]
struct OwnPage<'a> {
    ctx: &'a PageCtx,
    form: OwnForm,
    errors: Vec<(String, String)>,
    origins: Options,
    topics: Options,
    parks: Options,
    columns: Vec<(String, String)>,
}

impl OwnPage<'_> {
    fn has(&self, field: &str) -> bool {
        self.errors.iter().any(|(f, _)| f == field)
    }
}

/// The origins an organisation of `kind` records documents of, the usual one first.
fn origins(ctx: &PageCtx, kind: OrgKind) -> Options {
    let mut all = vec!["enterprise", "park", "chain_agreement"];
    if kind == OrgKind::Park {
        all.swap(0, 1);
    }
    all.into_iter()
        .map(|o| (o.to_owned(), ctx.label("standard-origin", o)))
        .collect()
}

async fn page(
    ctx: &PageCtx,
    form: OwnForm,
    errors: Vec<(String, String)>,
    status: axum::http::StatusCode,
) -> Response {
    let actor = match ctx.require_actor() {
        Ok(a) => a,
        Err(e) => return e.into_response(),
    };
    let parks = match super::standards_supplements::park_options(ctx, actor).await {
        Ok(p) => p,
        Err(e) => return e.into_response(),
    };
    let mut form = form;
    if form.review_interval_months.is_empty() {
        form.review_interval_months = "36".into();
    }
    (
        status,
        render(&OwnPage {
            ctx,
            errors,
            origins: origins(ctx, actor.org_kind),
            topics: TOPICS
                .iter()
                .map(|t| ((*t).to_owned(), ctx.label("standard-topic", t)))
                .collect(),
            parks,
            columns: clause_sheet::COLUMNS
                .iter()
                .map(|(c, what)| ((*c).to_owned(), (*what).to_owned()))
                .collect(),
            form,
        }),
    )
        .into_response()
}

/// The empty form.
pub async fn form(ctx: PageCtx) -> Response {
    page(
        &ctx,
        OwnForm::default(),
        Vec::new(),
        axum::http::StatusCode::OK,
    )
    .await
}

/// The clause template as a CSV file Excel opens (UTF-8 with a byte-order mark).
pub async fn template() -> Response {
    let mut body = String::from("\u{feff}");
    body.push_str(&clause_sheet::template_csv());
    (
        [
            (axum::http::header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                axum::http::header::CONTENT_DISPOSITION,
                "attachment; filename=\"ticorr-clauses-template.csv\"",
            ),
        ],
        body,
    )
        .into_response()
}

/// Reads the form. The form's own problems (interval, kind, park, every bad row) come back
/// together; the document's content is then checked as the API checks it. Nothing is
/// recorded until all is right.
pub async fn record(form: CsrfForm<OwnForm>) -> Response {
    let CsrfForm { ctx, form, .. } = form;
    if let Err(e) = ctx.require_actor() {
        return e.into_response();
    }
    let mut errors = Vec::new();
    let months = match super::standards_lifecycle::review_interval(&form.review_interval_months) {
        Some(m) => m,
        None => {
            errors.push((
                "review_interval_months".to_owned(),
                ctx.t("draft-error-interval"),
            ));
            36
        }
    };
    let origin = form.origin.parse().unwrap_or_else(|_| {
        errors.push(("origin".to_owned(), ctx.t("own-error-origin")));
        ticorr_standards::Origin::Enterprise
    });
    let park_id = if form.level == "park" {
        match form.park_id.parse::<OrgId>() {
            Ok(p) => Some(p),
            Err(_) => {
                errors.push(("park_id".to_owned(), ctx.t("own-error-park")));
                None
            }
        }
    } else {
        None
    };
    let clauses = match clause_sheet::read(&form.clauses) {
        Ok(c) => c,
        Err(problems) => {
            for p in problems {
                errors.push((
                    "clauses".to_owned(),
                    ctx.t1("own-error-row", "row", p.row)
                        + &if p.column.is_empty() {
                            String::new()
                        } else {
                            format!(" `{}`", p.column)
                        }
                        + ": "
                        + &p.message,
                ));
            }
            Vec::new()
        }
    };
    if !errors.is_empty() {
        return page(
            &ctx,
            form,
            errors,
            axum::http::StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    }
    let doc = OwnDocument {
        standard: StandardInput {
            code: form.code.trim().to_owned(),
            origin,
            title_en: form.title_en.trim().to_owned(),
            title_zh: form.title_zh.trim().to_owned(),
            scope_en: form.scope_en.trim().to_owned(),
            scope_zh: form.scope_zh.trim().to_owned(),
            topic: form.topic.clone(),
            references: Vec::new(),
            review_interval_months: months,
            clauses,
        },
        level: Some(if form.level.is_empty() {
            "private".to_owned()
        } else {
            form.level.clone()
        }),
        park_id,
    };
    match ticorr_standards::record_own(&ctx.state.db, &ctx.state.gate, ctx.caller(), &doc).await {
        Ok(view) => see_other(&format!(
            "/standards/{}?done=own-recorded",
            view.standard.id
        )),
        Err(StandardsError::Fields(f)) => {
            let errors = f
                .iter()
                .map(|e| (e.field.clone(), e.message.clone()))
                .collect();
            page(
                &ctx,
                form,
                errors,
                axum::http::StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(e) => ctx.standards_error(e).into_response(),
    }
}
