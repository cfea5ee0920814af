//! The desensitization tool: paste a report, see what would be redacted and why, before
//! sharing anything.

use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use ticorr_platform::privacy::{DesensitizeRequest, DesensitizeResponse, MAX_CHARS, Privacy};

use super::{CsrfForm, PageCtx, PageErrorKind, render};
use crate::i18n::Lang;
use crate::state::AppState;

/// One line of the redaction report as the page shows it.
struct ReportLine {
    kind: String,
    original: String,
    replacement: String,
    reason: String,
}

#[derive(Template)]
#[template(path = "privacy.html")]
struct PrivacyPage<'a> {
    ctx: &'a PageCtx,
    max_chars: usize,
    text: String,
    error: Option<String>,
    result: Option<(String, Vec<ReportLine>)>,
    /// Calls this month by the caller's organisation.
    calls_this_month: i64,
}

async fn page(
    ctx: &PageCtx,
    state: &AppState,
    text: String,
    error: Option<String>,
    result: Option<(String, Vec<ReportLine>)>,
) -> Response {
    let calls_this_month =
        ticorr_platform::privacy::usage(&state.db, &state.gate, ctx.caller(), None)
            .await
            .map(|u| {
                u.iter()
                    .filter(|s| s.service == "desensitize")
                    .map(|s| s.calls)
                    .sum()
            })
            .unwrap_or_default();
    render(&PrivacyPage {
        ctx,
        max_chars: MAX_CHARS,
        text,
        error,
        result,
        calls_this_month,
    })
}

pub async fn form(ctx: PageCtx, State(state): State<AppState>) -> Response {
    if let Err(e) = ctx.require_actor() {
        return e.into_response();
    }
    if !Privacy::may_use(&state.gate, ctx.caller()) {
        return ctx.error(PageErrorKind::Forbidden).into_response();
    }
    page(&ctx, &state, String::new(), None, None).await
}

#[derive(Deserialize)]
pub struct TextForm {
    #[serde(default)]
    text: String,
}

pub async fn run(State(state): State<AppState>, form: CsrfForm<TextForm>) -> Response {
    let CsrfForm { ctx, form, .. } = form;
    if let Err(e) = ctx.require_actor() {
        return e.into_response();
    }
    if form.text.trim().is_empty() {
        let msg = ctx.t("privacy-empty");
        return (
            axum::http::StatusCode::UNPROCESSABLE_ENTITY,
            page(&ctx, &state, form.text, Some(msg), None).await,
        )
            .into_response();
    }
    let req = DesensitizeRequest {
        text: Some(form.text.clone()),
        fields: None,
    };
    match state
        .privacy
        .desensitize(&state.db, &state.gate, ctx.caller(), &req)
        .await
    {
        Ok(DesensitizeResponse::Text(r)) => {
            let lines = r
                .redactions
                .iter()
                .map(|x| ReportLine {
                    kind: match ctx.lang {
                        Lang::Zh => x.kind.label_zh(),
                        Lang::En => x.kind.label_en(),
                    }
                    .to_owned(),
                    original: form.text.get(x.start..x.end).unwrap_or_default().to_owned(),
                    replacement: x.replacement.clone(),
                    reason: x.reason.clone(),
                })
                .collect();
            page(&ctx, &state, form.text, None, Some((r.text, lines))).await
        }
        Ok(DesensitizeResponse::Fields(_)) => ctx.error(PageErrorKind::Internal).into_response(),
        Err(ticorr_platform::privacy::PrivacyError::Invalid(f)) => {
            let msg = f.to_string();
            (
                axum::http::StatusCode::UNPROCESSABLE_ENTITY,
                page(&ctx, &state, form.text, Some(msg), None).await,
            )
                .into_response()
        }
        Err(
            ticorr_platform::privacy::PrivacyError::NotFound
            | ticorr_platform::privacy::PrivacyError::Forbidden,
        ) => ctx.error(PageErrorKind::Forbidden).into_response(),
        Err(e) => ctx.storage_error(e).into_response(),
    }
}
