//! Warning bulletin pages: the public archive, a bulletin with its evidence, and for staff
//! the draft's editing and publication.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use ticorr_cases::CasesError;
use ticorr_cases::bulletins::{Bulletin, BulletinCard, BulletinEdit, Group};

use super::cases::{fail, mechanism_label};
use super::{CsrfForm, Done, PageCtx, render, see_other};
use crate::extract::Path;
use crate::i18n::Lang;
use crate::state::AppState;

fn mechanism(ctx: &PageCtx, m: &str) -> String {
    mechanism_label(ctx.lang, m)
}

fn pick<'a>(ctx: &PageCtx, zh: &'a str, en: &'a str) -> &'a str {
    match ctx.lang {
        Lang::Zh => zh,
        Lang::En => en,
    }
}

#[derive(Template)]
#[template(path = "bulletins.html")]
struct ListPage<'a> {
    ctx: &'a PageCtx,
    items: Vec<(BulletinCard, String)>,
    may_edit: bool,
}

pub async fn list(ctx: PageCtx, State(state): State<AppState>) -> Response {
    match state.cases().bulletins(ctx.caller()).await {
        Ok(items) => render(&ListPage {
            items: items
                .into_iter()
                .map(|b| {
                    let title = pick(&ctx, &b.title_zh, &b.title_en).to_owned();
                    (b, title)
                })
                .collect(),
            may_edit: state.cases().may_edit_bulletins(ctx.caller()),
            ctx: &ctx,
        }),
        Err(e) => fail(&ctx, e).into_response(),
    }
}

/// A group as the page shows it.
struct GroupView {
    mechanism: String,
    industry: String,
    group: Group,
    /// Lessons in the page's language (the other one when a case has only that).
    lessons: Vec<(String, String)>,
    /// (standard id, "code version clause", text, cases under it, ledger index).
    clauses: Vec<(String, String, String, usize, Option<u64>)>,
}

#[derive(Template)]
#[template(path = "bulletin.html")]
struct DetailPage<'a> {
    ctx: &'a PageCtx,
    b: Bulletin,
    title: String,
    intro: String,
    figures: Vec<(String, usize)>,
    groups: Vec<GroupView>,
    may_edit: bool,
    notice: Option<String>,
    error: Option<String>,
}

async fn detail_page(
    ctx: &PageCtx,
    state: &AppState,
    id: &str,
    notice: Option<String>,
    error: Option<(StatusCode, String)>,
) -> Response {
    let b = match state.cases().bulletin(ctx.caller(), id).await {
        Ok(b) => b,
        Err(e) => return fail(ctx, e).into_response(),
    };
    let industry = |code: &str| {
        if code == "*" {
            ctx.t("bulletin-industry-any")
        } else {
            super::standards::industry_name(ctx, code)
        }
    };
    let groups = b
        .contents
        .groups
        .iter()
        .map(|g| GroupView {
            mechanism: mechanism(ctx, &g.mechanism),
            industry: industry(&g.industry),
            lessons: g
                .lessons
                .iter()
                .filter_map(|l| {
                    let text = match ctx.lang {
                        Lang::Zh => l.zh.clone().or_else(|| l.en.clone()),
                        Lang::En => l.en.clone().or_else(|| l.zh.clone()),
                    };
                    text.map(|t| (l.case_id.clone(), t))
                })
                .collect(),
            clauses: g
                .clauses
                .iter()
                .map(|c| {
                    (
                        c.standard_id.clone(),
                        format!("{} {} · {}", c.code, c.version, c.number),
                        pick(ctx, &c.text_zh, &c.text_en).to_owned(),
                        c.cases,
                        c.ledger.map(|l| l.index),
                    )
                })
                .collect(),
            group: g.clone(),
        })
        .collect();
    let (status, error) = match error {
        Some((s, m)) => (s, Some(m)),
        None => (StatusCode::OK, None),
    };
    (
        status,
        render(&DetailPage {
            title: pick(ctx, &b.title_zh, &b.title_en).to_owned(),
            intro: pick(ctx, &b.intro_zh, &b.intro_en).to_owned(),
            figures: b
                .contents
                .by_mechanism
                .iter()
                .map(|f| (mechanism(ctx, &f.mechanism), f.count))
                .collect(),
            groups,
            may_edit: b.stage == "draft" && state.cases().may_edit_bulletins(ctx.caller()),
            b,
            notice,
            error,
            ctx,
        }),
    )
        .into_response()
}

pub async fn detail(
    ctx: PageCtx,
    State(state): State<AppState>,
    Path(id): Path<String>,
    axum::extract::Query(done): axum::extract::Query<Done>,
) -> Response {
    let notice = ctx.notice(&done);
    detail_page(&ctx, &state, &id, notice, None).await
}

/// Staff draft last month's bulletin now.
pub async fn draft(State(state): State<AppState>, form: CsrfForm<super::auth::Empty>) -> Response {
    let ctx = form.ctx;
    if let Err(e) = ctx.require_actor() {
        return e.into_response();
    }
    match state.cases().draft_bulletin(ctx.caller()).await {
        Ok((id, _)) => see_other(&format!("/bulletins/{id}")),
        Err(e) => fail(&ctx, e).into_response(),
    }
}

#[derive(Deserialize)]
pub struct EditForm {
    revision: i64,
    #[serde(default)]
    title_zh: String,
    #[serde(default)]
    title_en: String,
    #[serde(default)]
    intro_zh: String,
    #[serde(default)]
    intro_en: String,
    /// `save` or `publish`.
    #[serde(default)]
    action: String,
}

/// Staff save the texts of a draft, and publish it when asked.
pub async fn edit(
    State(state): State<AppState>,
    Path(id): Path<String>,
    form: CsrfForm<EditForm>,
) -> Response {
    let CsrfForm { ctx, form, .. } = form;
    if let Err(e) = ctx.require_actor() {
        return e.into_response();
    }
    let edit = BulletinEdit {
        revision: form.revision,
        title_zh: form.title_zh,
        title_en: form.title_en,
        intro_zh: form.intro_zh,
        intro_en: form.intro_en,
    };
    let saved = match state.cases().edit_bulletin(ctx.caller(), &id, &edit).await {
        Ok(b) => b,
        Err(CasesError::Fields(f)) => {
            let message = f.to_string();
            return detail_page(
                &ctx,
                &state,
                &id,
                None,
                Some((StatusCode::UNPROCESSABLE_ENTITY, message)),
            )
            .await;
        }
        Err(CasesError::Conflict(m)) => {
            return detail_page(&ctx, &state, &id, None, Some((StatusCode::CONFLICT, m))).await;
        }
        Err(e) => return fail(&ctx, e).into_response(),
    };
    if form.action != "publish" {
        return see_other(&format!("/bulletins/{id}?done=bulletin-saved"));
    }
    match state
        .cases()
        .publish_bulletin(ctx.caller(), &id, saved.revision)
        .await
    {
        Ok(_) => see_other(&format!("/bulletins/{id}?done=bulletin-published")),
        Err(CasesError::Conflict(m)) => {
            detail_page(&ctx, &state, &id, None, Some((StatusCode::CONFLICT, m))).await
        }
        Err(e) => fail(&ctx, e).into_response(),
    }
}
