//! The inbox (`/inbox`), notification preferences (`/account/notifications`) and, for an
//! organisation's admins, its webhooks (`/org/webhooks`) with their delivery logs.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use ticorr_kernel::{NotificationId, WebhookId};
use ticorr_platform::notify::inbox::{self, InboxFilter, Notification};
use ticorr_platform::notify::prefs::{self, KindChoice, Preferences, PreferencesInput};
use ticorr_platform::notify::webhook::{self, Attempt, CreatedEndpoint, Endpoint, EndpointInput};
use ticorr_platform::notify::{KINDS, NotifyError};

use super::{CsrfForm, Done, PageCtx, PageErrorKind, render, see_other, url_encode};
use crate::extract::{PageParams, Path};
use crate::state::AppState;

impl PageCtx {
    pub fn notify_error(&self, e: NotifyError) -> super::PageError {
        match e {
            NotifyError::NotFound => self.error(PageErrorKind::NotFound),
            NotifyError::Forbidden => self.error(PageErrorKind::Forbidden),
            NotifyError::Invalid(f) => self.error(PageErrorKind::BadRequest(f.to_string())),
            other => self.storage_error(other),
        }
    }
}

#[derive(Template)]
#[template(path = "inbox.html")]
struct InboxPage<'a> {
    ctx: &'a PageCtx,
    items: Vec<Notification>,
    /// `all`, `unread` or `archived`.
    view: &'static str,
    next: Option<String>,
    notice: Option<String>,
}

impl InboxPage<'_> {
    fn kind_label(&self, n: &Notification) -> String {
        self.ctx.label("notify-kind", &n.kind)
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct InboxQuery {
    view: Option<String>,
}

pub async fn inbox(
    ctx: PageCtx,
    Query(q): Query<InboxQuery>,
    Query(done): Query<Done>,
    Query(page): Query<PageParams>,
) -> Response {
    if let Err(e) = ctx.require_actor() {
        return e.into_response();
    }
    let Ok(req) = page.request() else {
        return ctx
            .error(PageErrorKind::BadRequest(ctx.t("error-bad-cursor")))
            .into_response();
    };
    let view = match q.view.as_deref() {
        Some("unread") => "unread",
        Some("archived") => "archived",
        _ => "all",
    };
    let filter = InboxFilter {
        unread: Some(view == "unread"),
        archived: Some(view == "archived"),
    };
    let list = match inbox::list(
        &ctx.state.db,
        &ctx.state.gate,
        ctx.caller(),
        &filter,
        &req,
        ctx.lang_tag(),
    )
    .await
    {
        Ok(l) => l,
        Err(e) => return ctx.notify_error(e).into_response(),
    };
    render(&InboxPage {
        ctx: &ctx,
        next: list
            .next_cursor
            .map(|c| format!("/inbox?view={view}&cursor={}", url_encode(&c))),
        items: list.items,
        view,
        notice: ctx.notice(&done),
    })
}

pub async fn mark_read(
    State(state): State<AppState>,
    Path(id): Path<NotificationId>,
    form: CsrfForm<super::auth::Empty>,
) -> Response {
    let ctx = form.ctx;
    if let Err(e) = ctx.require_actor() {
        return e.into_response();
    }
    match inbox::mark_read(&state.db, &state.gate, ctx.caller(), id, ctx.lang_tag()).await {
        Ok(_) => see_other("/inbox"),
        Err(e) => ctx.notify_error(e).into_response(),
    }
}

pub async fn archive(
    State(state): State<AppState>,
    Path(id): Path<NotificationId>,
    form: CsrfForm<super::auth::Empty>,
) -> Response {
    let ctx = form.ctx;
    if let Err(e) = ctx.require_actor() {
        return e.into_response();
    }
    match inbox::archive(&state.db, &state.gate, ctx.caller(), id, ctx.lang_tag()).await {
        Ok(_) => see_other("/inbox?done=archived"),
        Err(e) => ctx.notify_error(e).into_response(),
    }
}

pub async fn mark_all_read(
    State(state): State<AppState>,
    form: CsrfForm<super::auth::Empty>,
) -> Response {
    let ctx = form.ctx;
    if let Err(e) = ctx.require_actor() {
        return e.into_response();
    }
    match inbox::mark_all_read(&state.db, &state.gate, ctx.caller()).await {
        Ok(_) => see_other("/inbox?done=all-read"),
        Err(e) => ctx.notify_error(e).into_response(),
    }
}

#[derive(Template)]
#[template(path = "notification_preferences.html")]
struct PreferencesPage<'a> {
    ctx: &'a PageCtx,
    prefs: Preferences,
    notice: Option<String>,
}

impl PreferencesPage<'_> {
    fn kind_label(&self, kind: &str) -> String {
        self.ctx.label("notify-kind", kind)
    }

    fn kind_hint(&self, kind: &str) -> String {
        self.ctx.label("notify-kind-hint", kind)
    }
}

pub async fn preferences(ctx: PageCtx, Query(done): Query<Done>) -> Response {
    if let Err(e) = ctx.require_actor() {
        return e.into_response();
    }
    match prefs::get(&ctx.state.db, &ctx.state.gate, ctx.caller()).await {
        Ok(p) => render(&PreferencesPage {
            ctx: &ctx,
            prefs: p,
            notice: ctx.notice(&done),
        }),
        Err(e) => ctx.notify_error(e).into_response(),
    }
}

#[derive(Deserialize)]
pub struct PreferencesForm {
    language: Option<String>,
}

/// The form sends one checkbox per kind and channel (`inbox.<kind>`, `email.<kind>`); an
/// unticked box is absent, so every kind is saved explicitly.
pub async fn save_preferences(
    State(state): State<AppState>,
    form: CsrfForm<PreferencesForm>,
) -> Response {
    let CsrfForm { ctx, form, pairs } = form;
    if let Err(e) = ctx.require_actor() {
        return e.into_response();
    }
    let ticked = |name: String| pairs.iter().any(|(k, _)| *k == name);
    let input = PreferencesInput {
        language: form.language,
        kinds: KINDS
            .iter()
            .map(|k| KindChoice {
                kind: k.name.to_owned(),
                inbox: ticked(format!("inbox.{}", k.name)),
                email: ticked(format!("email.{}", k.name)),
            })
            .collect(),
    };
    match prefs::set(&state.db, &state.gate, ctx.caller(), &input).await {
        Ok(_) => see_other("/account/notifications?done=preferences"),
        Err(e) => ctx.notify_error(e).into_response(),
    }
}

#[derive(Template)]
#[template(path = "org_webhooks.html")]
struct WebhooksPage<'a> {
    ctx: &'a PageCtx,
    endpoints: Vec<Endpoint>,
    created: Option<CreatedEndpoint>,
    errors: Vec<(String, String)>,
    notice: Option<String>,
    events: Vec<(String, String)>,
}

impl WebhooksPage<'_> {
    fn has(&self, field: &str) -> bool {
        self.errors.iter().any(|(f, _)| f == field)
    }

    fn event_labels(&self, e: &Endpoint) -> String {
        e.events
            .iter()
            .map(|k| self.ctx.label("notify-kind", k))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

async fn webhooks_page(
    ctx: &PageCtx,
    created: Option<CreatedEndpoint>,
    errors: Vec<(String, String)>,
    notice: Option<String>,
) -> Response {
    let actor = match ctx.require_actor() {
        Ok(a) => a,
        Err(e) => return e.into_response(),
    };
    let endpoints =
        match webhook::list(&ctx.state.db, &ctx.state.gate, ctx.caller(), actor.org_id).await {
            Ok(l) => l,
            Err(NotifyError::NotFound | NotifyError::Forbidden) => {
                return ctx.error(PageErrorKind::Forbidden).into_response();
            }
            Err(e) => return ctx.notify_error(e).into_response(),
        };
    render(&WebhooksPage {
        ctx,
        endpoints,
        created,
        errors,
        notice,
        events: KINDS
            .iter()
            .map(|k| (k.name.to_owned(), ctx.label("notify-kind", k.name)))
            .collect(),
    })
}

pub async fn webhooks(ctx: PageCtx, Query(done): Query<Done>) -> Response {
    let notice = ctx.notice(&done);
    webhooks_page(&ctx, None, vec![], notice).await
}

#[derive(Deserialize)]
pub struct WebhookForm {
    #[serde(default)]
    url: String,
    #[serde(default)]
    description: String,
}

pub async fn create_webhook(
    State(state): State<AppState>,
    form: CsrfForm<WebhookForm>,
) -> Response {
    let CsrfForm { ctx, form, pairs } = form;
    let actor = match ctx.require_actor() {
        Ok(a) => a.clone(),
        Err(e) => return e.into_response(),
    };
    let input = EndpointInput {
        url: form.url,
        events: pairs
            .iter()
            .filter(|(k, _)| k == "events")
            .map(|(_, v)| v.clone())
            .collect(),
        description: Some(form.description),
    };
    match webhook::create(
        &state.db,
        &state.gate,
        &state.vault,
        ctx.caller(),
        actor.org_id,
        &input,
    )
    .await
    {
        Ok(created) => {
            let mut res = webhooks_page(&ctx, Some(created), vec![], None).await;
            *res.status_mut() = StatusCode::CREATED;
            res
        }
        Err(NotifyError::Invalid(f)) => {
            let errors = ctx.field_messages(&f);
            let mut res = webhooks_page(&ctx, None, errors, None).await;
            *res.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            res
        }
        Err(e) => ctx.notify_error(e).into_response(),
    }
}

pub async fn delete_webhook(
    State(state): State<AppState>,
    Path(id): Path<WebhookId>,
    form: CsrfForm<super::auth::Empty>,
) -> Response {
    let ctx = form.ctx;
    let actor = match ctx.require_actor() {
        Ok(a) => a.clone(),
        Err(e) => return e.into_response(),
    };
    match webhook::delete(&state.db, &state.gate, ctx.caller(), actor.org_id, id).await {
        Ok(()) => see_other("/org/webhooks?done=webhook-deleted"),
        Err(e) => ctx.notify_error(e).into_response(),
    }
}

pub async fn test_webhook(
    State(state): State<AppState>,
    Path(id): Path<WebhookId>,
    form: CsrfForm<super::auth::Empty>,
) -> Response {
    let ctx = form.ctx;
    let actor = match ctx.require_actor() {
        Ok(a) => a.clone(),
        Err(e) => return e.into_response(),
    };
    match webhook::send_test(&state.db, &state.gate, ctx.caller(), actor.org_id, id).await {
        Ok(_) => see_other(&format!("/org/webhooks/{id}?done=webhook-test")),
        Err(e) => ctx.notify_error(e).into_response(),
    }
}

#[derive(Template)]
#[template(path = "org_webhook_log.html")]
struct WebhookLogPage<'a> {
    ctx: &'a PageCtx,
    endpoint: Endpoint,
    attempts: Vec<Attempt>,
    next: Option<String>,
    notice: Option<String>,
}

pub async fn webhook_log(
    ctx: PageCtx,
    Path(id): Path<WebhookId>,
    Query(done): Query<Done>,
    Query(page): Query<PageParams>,
) -> Response {
    let actor = match ctx.require_actor() {
        Ok(a) => a.clone(),
        Err(e) => return e.into_response(),
    };
    let Ok(req) = page.request() else {
        return ctx
            .error(PageErrorKind::BadRequest(ctx.t("error-bad-cursor")))
            .into_response();
    };
    let (db, gate) = (&ctx.state.db, &ctx.state.gate);
    let endpoints = match webhook::list(db, gate, ctx.caller(), actor.org_id).await {
        Ok(l) => l,
        Err(e) => return ctx.notify_error(e).into_response(),
    };
    let Some(endpoint) = endpoints.into_iter().find(|e| e.id == id) else {
        return ctx.error(PageErrorKind::NotFound).into_response();
    };
    let log = match webhook::attempts(db, gate, ctx.caller(), actor.org_id, id, &req).await {
        Ok(l) => l,
        Err(e) => return ctx.notify_error(e).into_response(),
    };
    render(&WebhookLogPage {
        ctx: &ctx,
        endpoint,
        next: log
            .next_cursor
            .map(|c| format!("/org/webhooks/{id}?cursor={}", url_encode(&c))),
        attempts: log.items,
        notice: ctx.notice(&done),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::{I18n, Lang};

    /// Kinds are labelled through computed keys, which the key scan cannot see.
    #[test]
    fn every_notification_kind_has_a_label_and_a_hint_in_both_languages() {
        let i18n = I18n::load().unwrap();
        for kind in KINDS {
            for lang in Lang::ALL {
                for key in [
                    format!("notify-kind-{}", kind.name),
                    format!("notify-kind-hint-{}", kind.name),
                ] {
                    assert!(i18n.has(lang, &key), "`{key}` missing in {}", lang.tag());
                }
            }
        }
    }
}
