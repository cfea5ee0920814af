//! The operator's verification queue.

use askama::Template;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use ticorr_kernel::OrgId;
use ticorr_platform::identity::IdentityError;
use ticorr_platform::identity::orgs::{self, Organization, Review};
use ticorr_platform::policy::Action;
use ticorr_platform::refdata;

use super::{CsrfForm, Done, PageCtx, PageErrorKind, render, see_other, url_encode};
use crate::extract::{PageParams, Path};
use crate::state::AppState;

pub struct PendingRow {
    pub org: Organization,
    pub kind: String,
    pub region: String,
    pub industry: String,
}

#[derive(Template)]
#[template(path = "verification.html")]
struct QueuePage<'a> {
    ctx: &'a PageCtx,
    rows: Vec<PendingRow>,
    next: Option<String>,
    notice: Option<String>,
    error: Option<String>,
}

async fn queue_page(
    ctx: &PageCtx,
    page: &PageParams,
    notice: Option<String>,
    error: Option<String>,
) -> Response {
    if let Err(e) = ctx.require_actor() {
        return e.into_response();
    }
    let Ok(req) = page.request() else {
        return ctx
            .error(PageErrorKind::BadRequest(ctx.t("error-bad-cursor")))
            .into_response();
    };
    let list = match orgs::pending(&ctx.state.db, &ctx.state.gate, ctx.caller(), &req).await {
        Ok(l) => l,
        Err(e) => return ctx.identity_error(e).into_response(),
    };
    // Only the operator sees the queue at all (the policies give nobody else `verify`).
    let probe = ticorr_platform::policy::Resource::Organization(ticorr_platform::policy::OrgRef {
        id: OrgId::from_uuid(uuid::Uuid::nil()),
        kind: ticorr_kernel::OrgKind::Enterprise,
        verified: false,
    });
    if !ctx
        .state
        .gate
        .would_allow(ctx.caller(), Action::Verify, &probe)
    {
        return ctx.error(PageErrorKind::Forbidden).into_response();
    }
    let data = refdata::get();
    let lang = ctx.lang.short();
    let rows = list
        .items
        .into_iter()
        .map(|o| PendingRow {
            kind: ctx.label("org-kind", o.kind.as_str()),
            region: data
                .region(&o.region_code)
                .map(|r| r.name(lang).to_owned())
                .unwrap_or_default(),
            industry: o
                .industry_code
                .as_deref()
                .and_then(|c| data.industry(c))
                .map(|i| format!("{} {}", i.code, i.name(lang)))
                .unwrap_or_default(),
            org: o,
        })
        .collect();
    render(&QueuePage {
        ctx,
        rows,
        next: list
            .next_cursor
            .map(|c| format!("/operator/verification?cursor={}", url_encode(&c))),
        notice,
        error,
    })
}

pub async fn queue(
    ctx: PageCtx,
    Query(page): Query<PageParams>,
    Query(done): Query<Done>,
) -> Response {
    let notice = ctx.notice(&done);
    queue_page(&ctx, &page, notice, None).await
}

#[derive(Deserialize)]
pub struct DecisionForm {
    decision: String,
    #[serde(default)]
    reason: String,
}

pub async fn decide(
    State(state): State<AppState>,
    Path(id): Path<OrgId>,
    form: CsrfForm<DecisionForm>,
) -> Response {
    let CsrfForm { ctx, form, .. } = form;
    let review = match form.decision.as_str() {
        "verify" => Review::Verify,
        "reject" => Review::Reject {
            reason: form.reason.clone(),
        },
        _ => {
            return ctx
                .error(PageErrorKind::BadRequest(ctx.t("error-bad-decision")))
                .into_response();
        }
    };
    match orgs::review(&state.db, &state.gate, ctx.caller(), id, &review).await {
        Ok(o) => see_other(if o.verified() {
            "/operator/verification?done=verified"
        } else {
            "/operator/verification?done=rejected"
        }),
        Err(IdentityError::Invalid(_)) => {
            let msg = ctx.t("verification-reason-required");
            let mut res = queue_page(&ctx, &PageParams::default(), None, Some(msg)).await;
            *res.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
            res
        }
        Err(e) => ctx.identity_error(e).into_response(),
    }
}
