//! Server-rendered pages, in Chinese (default) and English, readable without JavaScript.
//!
//! Every page handler takes a [`PageCtx`] (who is asking, in which language, the form
//! token) and renders an askama template checked at compile time. Forms post back with
//! the anti-forgery token ([`CsrfForm`]) and redirect after success (303).

mod account;
mod auth;
mod bulletins;
mod cases;
mod equipment;
mod file_form;
mod home;
mod import;
pub(crate) mod inspection_report;
mod jobs;
mod notifications;
mod operator;
mod own_document;
mod privacy;
mod risk;
mod risk_models;
mod search;
mod standards;
mod standards_lifecycle;
mod standards_supplements;
mod trends;

use axum::Router;
use axum::extract::{DefaultBodyLimit, FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::de::DeserializeOwned;
use ticorr_equipment::EquipmentError;
use ticorr_kernel::{FieldErrors, OrgKind};
use ticorr_platform::Caller;
use ticorr_platform::identity::IdentityError;
use ticorr_platform::policy::{Action, Actor, OrgRef, Resource};

use crate::auth::{Auth, LANG_COOKIE, authenticate, cookie, origin_matches};
use crate::i18n::{Lang, Tr};
use crate::middleware::AnonCsrf;
use crate::state::AppState;

pub fn router(config: &crate::Config) -> Router<AppState> {
    Router::new()
        .route("/", get(home::home))
        .route("/lang/{code}", get(switch_language))
        .route("/directory", get(home::directory))
        .route("/organizations/{id}", get(home::organization))
        .route("/reference/industries", get(home::industries))
        .route("/reference/industries/{code}", get(home::industry))
        .route("/login", get(auth::login_form).post(auth::login))
        .route("/logout", post(auth::logout))
        .route("/register", get(auth::register_form).post(auth::register))
        .route("/register/done", get(auth::register_done))
        .route("/account", get(account::account))
        .route("/account/password", post(account::change_password))
        .route("/account/sessions/{id}/end", post(account::end_session))
        .route(
            "/account/notifications",
            get(notifications::preferences).post(notifications::save_preferences),
        )
        .route("/inbox", get(notifications::inbox))
        .route("/inbox/read-all", post(notifications::mark_all_read))
        .route("/inbox/{id}/read", post(notifications::mark_read))
        .route("/inbox/{id}/archive", post(notifications::archive))
        .route("/org", get(account::my_org))
        .route(
            "/org/people",
            get(account::people).post(account::add_person),
        )
        .route("/org/people/{id}", post(account::change_person))
        .route(
            "/org/people/{id}/specialties",
            post(account::set_specialties),
        )
        .route(
            "/org/tokens",
            get(account::tokens).post(account::issue_token),
        )
        .route("/org/tokens/{id}/revoke", post(account::revoke_token))
        .route(
            "/org/webhooks",
            get(notifications::webhooks).post(notifications::create_webhook),
        )
        .route("/org/webhooks/{id}", get(notifications::webhook_log))
        .route("/org/webhooks/{id}/test", post(notifications::test_webhook))
        .route(
            "/org/webhooks/{id}/delete",
            post(notifications::delete_webhook),
        )
        .route("/operator/verification", get(operator::queue))
        .route("/operator/verification/{id}", post(operator::decide))
        .route("/operator/jobs", get(jobs::operator))
        .route("/operator/jobs/{id}/retry", post(jobs::retry))
        .route("/operator/search/reindex", post(jobs::reindex))
        .route("/jobs/{id}", get(jobs::status))
        .route("/equipment", get(equipment::list))
        .route(
            "/equipment/new",
            get(equipment::new_form).post(equipment::create),
        )
        .route(
            "/equipment/import",
            get(equipment::import_form)
                .post(equipment::import)
                .layer(DefaultBodyLimit::max(config.http.upload_limit_bytes)),
        )
        .route("/equipment/export", get(equipment::export))
        .route("/equipment/template.csv", get(equipment::template))
        .route("/equipment/{id}", get(equipment::detail))
        .route(
            "/equipment/{id}/edit",
            get(equipment::edit_form).post(equipment::update),
        )
        .route("/equipment/{id}/delete", post(equipment::delete))
        .route("/equipment/{id}/notes", post(equipment::save_notes))
        .route(
            "/equipment/{id}/attachments",
            post(equipment::upload_attachment).layer(DefaultBodyLimit::max(
                crate::api::attachments::body_limit(config),
            )),
        )
        .route(
            "/equipment/{id}/attachments/{file}/delete",
            post(equipment::delete_attachment),
        )
        .route("/privacy", get(privacy::form).post(privacy::run))
        .route("/risk-models", get(risk_models::list))
        .route("/risk-models/train", post(risk_models::train))
        .route("/risk-models/{version}", get(risk_models::detail))
        .route("/bulletins", get(bulletins::list))
        .route("/bulletins/draft", post(bulletins::draft))
        .route("/bulletins/{id}", get(bulletins::detail))
        .route("/bulletins/{id}/edit", post(bulletins::edit))
        .route("/cases", get(cases::list))
        .route("/cases/new", get(cases::new_form).post(cases::create))
        .route("/cases/trends", get(trends::form).post(trends::run))
        .route("/cases/mine", get(cases::mine))
        .route(
            "/cases/import",
            get(cases::import_form)
                .post(cases::import)
                .layer(DefaultBodyLimit::max(config.http.upload_limit_bytes)),
        )
        .route("/cases/import/template.csv", get(cases::import_template))
        .route("/cases/mine/{id}", get(cases::review))
        .route("/cases/mine/{id}/confirm", post(cases::confirm))
        .route(
            "/cases/mine/{id}/files",
            post(cases::attach).layer(DefaultBodyLimit::max(crate::api::attachments::body_limit(
                config,
            ))),
        )
        .route("/cases/mine/{id}/files/{file}/delete", post(cases::detach))
        .route("/cases/curation", get(cases::curation))
        .route("/cases/access", get(cases::access))
        .route("/cases/access/{id}/decide", post(cases::decide))
        .route("/cases/{id}", get(cases::detail))
        .route("/cases/{id}/apply", post(cases::apply))
        .route("/cases/{id}/full", get(cases::full))
        .route("/cases/{id}/curate", post(cases::curate))
        .route("/risk/self-check", get(risk::form).post(risk::run))
        .route("/risk/overview", get(risk::overview))
        .route("/standards", get(standards::list))
        .route("/standards/applicable", get(standards::applicable))
        .route(
            "/standards/own/new",
            get(own_document::form).post(own_document::record),
        )
        .route("/standards/own/template.csv", get(own_document::template))
        .route(
            "/standards/self-inspections",
            get(standards::inspections).post(standards::start_inspection),
        )
        .route(
            "/standards/self-inspections/{id}",
            get(standards::inspection).post(standards::answer_inspection),
        )
        .route(
            "/standards/self-inspections/{id}/report",
            get(inspection_report::report),
        )
        .route(
            "/standards/self-inspections/{id}/report.pdf",
            get(inspection_report::report_pdf),
        )
        .route(
            "/standards/self-inspections/{id}/rows/{position}/evidence/{file}/delete",
            post(inspection_report::delete_evidence),
        )
        .route(
            "/standards/self-inspections/{id}/rows/{position}/evidence",
            post(inspection_report::upload_evidence).layer(DefaultBodyLimit::max(
                crate::api::attachments::body_limit(config),
            )),
        )
        .route("/standards/supplements", get(standards_supplements::list))
        .route(
            "/standards/supplements/new",
            get(standards_supplements::new_form).post(standards_supplements::create),
        )
        .route(
            "/standards/supplements/{id}",
            get(standards_supplements::detail),
        )
        .route(
            "/standards/supplements/{id}/verdicts",
            post(standards_supplements::assess),
        )
        .route(
            "/standards/supplements/{id}/applications",
            post(standards_supplements::record_application),
        )
        .route(
            "/standards/supplements/{id}/promote",
            post(standards_supplements::promote),
        )
        .route("/standards/drafts", get(standards_lifecycle::list))
        .route(
            "/standards/drafts/new",
            get(standards_lifecycle::new_form).post(standards_lifecycle::create),
        )
        .route("/standards/drafts/{id}", get(standards_lifecycle::proposal))
        .route(
            "/standards/drafts/{id}/diff",
            get(standards_lifecycle::draft_diff),
        )
        .route(
            "/standards/drafts/{id}/meta",
            post(standards_lifecycle::save_meta),
        )
        .route(
            "/standards/drafts/{id}/clauses/save",
            post(standards_lifecycle::save_clause),
        )
        .route(
            "/standards/drafts/{id}/clauses/add",
            post(standards_lifecycle::add_clause),
        )
        .route(
            "/standards/drafts/{id}/clauses/remove",
            post(standards_lifecycle::remove_clause),
        )
        .route(
            "/standards/drafts/{id}/submit",
            post(standards_lifecycle::submit),
        )
        .route(
            "/standards/drafts/{id}/withdraw",
            post(standards_lifecycle::withdraw),
        )
        .route(
            "/standards/drafts/{id}/formal-check",
            post(standards_lifecycle::formal_check),
        )
        .route(
            "/standards/drafts/{id}/reviewers",
            post(standards_lifecycle::assign_reviewers),
        )
        .route(
            "/standards/drafts/{id}/conclude",
            post(standards_lifecycle::conclude_review),
        )
        .route(
            "/standards/drafts/{id}/votes",
            post(standards_lifecycle::vote),
        )
        .route(
            "/standards/drafts/{id}/comments",
            post(standards_lifecycle::comment),
        )
        .route(
            "/standards/drafts/{id}/comments/{comment}/dispose",
            post(standards_lifecycle::dispose),
        )
        .route(
            "/standards/drafts/{id}/close-consultation",
            post(standards_lifecycle::close_consultation),
        )
        .route(
            "/standards/drafts/{id}/release",
            post(standards_lifecycle::release),
        )
        .route(
            "/standards/drafts/{id}/reject",
            post(standards_lifecycle::reject),
        )
        .route("/standards/{id}", get(standards::detail))
        .route("/standards/{id}/diff", get(standards_lifecycle::compare))
        .route("/standards/{id}/revise", post(standards_lifecycle::revise))
        .route(
            "/standards/{id}/reaffirm",
            post(standards_lifecycle::reaffirm),
        )
        .route("/equipment/{id}/standards", get(standards::for_item))
        .route("/search", get(search::search))
}

/// The `?done=…` parameter a page gets after a successful form post.
#[derive(Debug, Default, serde::Deserialize)]
pub struct Done {
    pub done: Option<String>,
}

/// The choices of a `<select>`: (value, label) pairs.
pub type Options = Vec<(String, String)>;

/// A navigation link.
#[derive(Debug, Clone)]
pub struct NavItem {
    pub href: &'static str,
    pub label: String,
    pub current: bool,
}

/// Everything a page needs to know about the request.
#[derive(Clone)]
pub struct PageCtx {
    pub state: AppState,
    pub lang: Lang,
    pub auth: Auth,
    /// The anti-forgery token to put in forms.
    pub csrf: String,
    /// The path and query of this page, for the language switch.
    pub here: String,
    pub nav: Vec<NavItem>,
    /// The signed-in person's unread notifications, for the header.
    pub unread: Option<i64>,
}

impl PageCtx {
    pub fn tr(&self) -> Tr<'_> {
        Tr {
            i18n: &self.state.i18n,
            lang: self.lang,
        }
    }

    /// A message.
    pub fn t(&self, key: &str) -> String {
        self.tr().t(key)
    }

    /// A message with one argument.
    pub fn t1(&self, key: &str, name: &str, value: impl std::fmt::Display) -> String {
        self.tr().t1(key, name, value)
    }

    /// A message with several text arguments.
    pub fn tn(&self, key: &str, args: &[(&str, String)]) -> String {
        self.tr().tn(key, args)
    }

    /// The label of a vocabulary value.
    pub fn label(&self, prefix: &str, value: &str) -> String {
        self.tr().label(prefix, value)
    }

    pub fn caller(&self) -> &Caller {
        &self.auth.caller
    }

    pub fn actor(&self) -> Option<&Actor> {
        self.auth.caller.principal.actor()
    }

    pub fn lang_tag(&self) -> &'static str {
        self.lang.tag()
    }

    /// The link that switches to the other language and comes back here.
    pub fn switch_href(&self) -> String {
        let back: String = url_encode(&self.here);
        format!("/lang/{}?back={back}", self.lang.other().tag())
    }

    pub fn switch_label(&self) -> String {
        self.t(match self.lang.other() {
            Lang::Zh => "lang-zh",
            Lang::En => "lang-en",
        })
    }

    /// The own organisation as a policy resource (to decide which links to offer).
    fn own_org(&self) -> Option<Resource> {
        self.actor().map(|a| {
            Resource::Organization(OrgRef {
                id: a.org_id,
                kind: a.org_kind,
                verified: a.org_verified,
            })
        })
    }

    /// Whether the policies allow an action on the caller's own organisation; used to
    /// decide what to show, never to guard data.
    pub fn may_on_own_org(&self, action: Action) -> bool {
        self.own_org()
            .is_some_and(|r| self.state.gate.would_allow(self.caller(), action, &r))
    }

    /// The translated notice for a `?done=…` parameter, if it names a known one.
    pub fn notice(&self, done: &Done) -> Option<String> {
        let key = format!("done-{}", done.done.as_deref()?);
        self.state.i18n.has(self.lang, &key).then(|| self.t(&key))
    }

    pub fn signed_in(&self) -> bool {
        self.actor().is_some()
    }

    /// The header's unread count: the number, or nothing when there is none.
    pub fn unread_badge(&self) -> Option<i64> {
        self.unread.filter(|n| *n > 0)
    }

    /// The header's unread count spelled out, for screen readers.
    pub fn unread_label(&self) -> String {
        self.t1("inbox-unread-count", "count", self.unread.unwrap_or(0))
    }

    pub fn user_name(&self) -> String {
        self.actor()
            .map(|a| a.display_name.clone())
            .unwrap_or_default()
    }

    pub fn org_name(&self) -> String {
        self.actor().map(|a| a.org_name.clone()).unwrap_or_default()
    }

    /// Shown in the header while the organisation waits for verification.
    pub fn org_pending(&self) -> bool {
        self.actor().is_some_and(|a| !a.org_verified)
    }

    pub fn error(&self, kind: PageErrorKind) -> PageError {
        PageError {
            ctx: Box::new(self.clone()),
            kind,
        }
    }

    /// Requires a signed-in person, or sends the visitor to sign in and come back.
    pub fn require_actor(&self) -> Result<&Actor, PageError> {
        self.actor()
            .ok_or_else(|| self.error(PageErrorKind::LoginRequired))
    }

    /// Field errors translated for display: (field, message).
    pub fn field_messages(&self, errors: &FieldErrors) -> Vec<(String, String)> {
        errors
            .iter()
            .map(|e| {
                let key = format!("field-error-{}", e.code);
                let text = if self.lang == Lang::Zh && self.state.i18n.has(self.lang, &key) {
                    self.t(&key)
                } else {
                    e.message.clone()
                };
                (e.field.clone(), text)
            })
            .collect()
    }
}

fn nav_for(state: &AppState, auth: &Auth, lang: Lang, path: &str) -> Vec<NavItem> {
    let tr = Tr {
        i18n: &state.i18n,
        lang,
    };
    let mut items: Vec<(&'static str, &'static str)> = vec![
        ("/", "nav-home"),
        ("/directory", "nav-directory"),
        ("/reference/industries", "nav-industries"),
        ("/standards", "nav-standards"),
        ("/cases", "nav-cases"),
        ("/search", "nav-search"),
    ];
    if let Some(actor) = auth.caller.principal.actor() {
        let own = Resource::Organization(OrgRef {
            id: actor.org_id,
            kind: actor.org_kind,
            verified: actor.org_verified,
        });
        // Offer the registry to people whose organisation may hold records.
        let probe = Resource::Record(ticorr_platform::RecordRef {
            kind: ticorr_equipment::RECORD_KIND,
            id: String::new(),
            level: ticorr_kernel::Level::Private,
            owner: actor.org_id,
            parks: vec![],
        });
        let may_hold_equipment = matches!(
            actor.org_kind,
            OrgKind::Enterprise | OrgKind::Park | OrgKind::Manufacturer
        );
        if may_hold_equipment && state.gate.would_allow(&auth.caller, Action::Create, &probe) {
            items.push(("/equipment", "nav-equipment"));
        }
        items.push(("/risk/self-check", "nav-risk"));
        if ticorr_platform::privacy::Privacy::may_use(&state.gate, &auth.caller) {
            items.push(("/privacy", "nav-privacy"));
        }
        items.push(("/org", "nav-org"));
        if state
            .gate
            .would_allow(&auth.caller, Action::ManagePeople, &own)
        {
            items.push(("/org/people", "nav-people"));
            items.push(("/org/tokens", "nav-tokens"));
        }
        if state
            .gate
            .would_allow(&auth.caller, Action::ManageWebhooks, &own)
        {
            items.push(("/org/webhooks", "nav-webhooks"));
        }
        let other = Resource::Organization(OrgRef {
            id: ticorr_kernel::OrgId::from_uuid(uuid::Uuid::nil()),
            kind: OrgKind::Enterprise,
            verified: false,
        });
        if state.gate.would_allow(&auth.caller, Action::Verify, &other) {
            items.push(("/operator/verification", "nav-verification"));
        }
        if ticorr_platform::jobs::access::may_operate(&state.gate, &auth.caller) {
            items.push(("/operator/jobs", "nav-jobs"));
        }
    }
    items
        .into_iter()
        .map(|(href, key)| NavItem {
            href,
            label: tr.t(key),
            current: if href == "/" {
                path == "/"
            } else {
                path.starts_with(href) && !(href == "/org" && path.starts_with("/org/"))
            },
        })
        .collect()
}

impl FromRequestParts<AppState> for PageCtx {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let auth = match authenticate(state, parts).await {
            Ok(a) => a,
            Err(e) => return Err(e.into_response()),
        };
        let lang = cookie(&parts.headers, LANG_COOKIE)
            .and_then(Lang::parse)
            .unwrap_or(Lang::Zh);
        let csrf = match &auth.session {
            Some(s) if auth.via_cookie => s.csrf_token.clone(),
            _ => parts
                .extensions
                .get::<AnonCsrf>()
                .map(|c| c.0.clone())
                .unwrap_or_default(),
        };
        let here = parts
            .uri
            .path_and_query()
            .map(|p| p.as_str().to_owned())
            .unwrap_or_else(|| "/".into());
        let nav = nav_for(state, &auth, lang, parts.uri.path());
        let unread = if auth.caller.principal.actor().is_some() {
            match ticorr_platform::notify::inbox::unread_count(&state.db, &state.gate, &auth.caller)
                .await
            {
                Ok(n) => Some(n),
                // The header is not worth failing the page for; the inbox page reports it.
                Err(e) => {
                    tracing::warn!(error = %e, "unread count unavailable");
                    None
                }
            }
        } else {
            None
        };
        Ok(PageCtx {
            state: state.clone(),
            lang,
            auth,
            csrf,
            here,
            nav,
            unread,
        })
    }
}

/// What went wrong, for the error page.
#[derive(Debug)]
pub enum PageErrorKind {
    NotFound,
    LoginRequired,
    Forbidden,
    /// The form's anti-forgery token did not match.
    Csrf,
    Conflict(String),
    BadRequest(String),
    Internal,
}

pub struct PageError {
    ctx: Box<PageCtx>,
    kind: PageErrorKind,
}

impl std::fmt::Debug for PageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.kind.fmt(f)
    }
}

#[derive(askama::Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    ctx: &'a PageCtx,
    title: String,
    message: String,
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let ctx = &self.ctx;
        let (status, title, message) = match &self.kind {
            PageErrorKind::LoginRequired => {
                let next = url_encode(&ctx.here);
                return Redirect::to(&format!("/login?next={next}")).into_response();
            }
            PageErrorKind::NotFound => (
                StatusCode::NOT_FOUND,
                ctx.t("error-not-found-title"),
                ctx.t("error-not-found"),
            ),
            PageErrorKind::Forbidden => (
                StatusCode::FORBIDDEN,
                ctx.t("error-forbidden-title"),
                ctx.t("error-forbidden"),
            ),
            PageErrorKind::Csrf => (
                StatusCode::FORBIDDEN,
                ctx.t("error-csrf-title"),
                ctx.t("error-csrf"),
            ),
            PageErrorKind::Conflict(m) => (
                StatusCode::CONFLICT,
                ctx.t("error-conflict-title"),
                m.clone(),
            ),
            PageErrorKind::BadRequest(m) => (
                StatusCode::BAD_REQUEST,
                ctx.t("error-bad-request-title"),
                m.clone(),
            ),
            PageErrorKind::Internal => (
                StatusCode::INTERNAL_SERVER_ERROR,
                ctx.t("error-internal-title"),
                ctx.t("error-internal"),
            ),
        };
        let page = ErrorPage {
            ctx,
            title,
            message,
        };
        (status, render(&page)).into_response()
    }
}

/// Renders a template to an HTML response body.
pub fn render<T: askama::Template>(t: &T) -> Response {
    match t.render() {
        Ok(html) => ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], html).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "template rendering failed");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

impl PageCtx {
    /// Maps an identity failure to the error page (validation errors are handled by the
    /// forms themselves).
    pub fn identity_error(&self, e: IdentityError) -> PageError {
        match e {
            IdentityError::NotFound => self.error(PageErrorKind::NotFound),
            IdentityError::Forbidden => self.error(PageErrorKind::Forbidden),
            IdentityError::Conflict(m) => self.error(PageErrorKind::Conflict(m.to_owned())),
            IdentityError::Invalid(f) => self.error(PageErrorKind::BadRequest(f.to_string())),
            other => {
                tracing::error!(error = %other, "request failed");
                self.error(PageErrorKind::Internal)
            }
        }
    }

    pub fn equipment_error(&self, e: EquipmentError) -> PageError {
        match e {
            EquipmentError::NotFound => self.error(PageErrorKind::NotFound),
            EquipmentError::Forbidden => self.error(PageErrorKind::Forbidden),
            EquipmentError::Invalid(f) => self.error(PageErrorKind::BadRequest(f.to_string())),
            EquipmentError::Unreadable(m) => self.error(PageErrorKind::BadRequest(m)),
            c @ EquipmentError::VersionConflict { .. } => {
                self.error(PageErrorKind::Conflict(c.to_string()))
            }
            other => {
                tracing::error!(error = %other, "request failed");
                self.error(PageErrorKind::Internal)
            }
        }
    }

    pub fn attachment_error(&self, e: ticorr_platform::attachments::AttachmentError) -> PageError {
        use ticorr_platform::attachments::AttachmentError;
        match e {
            AttachmentError::NotFound => self.error(PageErrorKind::NotFound),
            AttachmentError::Forbidden => self.error(PageErrorKind::Forbidden),
            e @ (AttachmentError::Refused(_)
            | AttachmentError::TooLarge { .. }
            | AttachmentError::BrokenImage(_)) => {
                self.error(PageErrorKind::BadRequest(e.to_string()))
            }
            other => {
                tracing::error!(error = %other, "request failed");
                self.error(PageErrorKind::Internal)
            }
        }
    }

    pub fn standards_error(&self, e: ticorr_standards::StandardsError) -> PageError {
        use ticorr_standards::StandardsError as E;
        match e {
            E::NotFound => self.error(PageErrorKind::NotFound),
            E::Forbidden => self.error(PageErrorKind::Forbidden),
            E::Equipment(e) => self.equipment_error(e),
            E::Fields(f) => self.error(PageErrorKind::BadRequest(f.to_string())),
            E::Conflict(m) => self.error(PageErrorKind::Conflict(m)),
            E::Invalid(p) => self.error(PageErrorKind::BadRequest(p.join("; "))),
            other => self.storage_error(other),
        }
    }

    pub fn storage_error(&self, e: impl std::fmt::Display) -> PageError {
        tracing::error!(error = %e, "request failed");
        self.error(PageErrorKind::Internal)
    }
}

/// A form body whose anti-forgery token (`_csrf`) matched the session's (or, before
/// sign-in, the visitor's cookie). Also refuses cross-origin posts.
pub struct CsrfForm<T> {
    pub ctx: PageCtx,
    pub form: T,
    /// The raw pairs, for fields that repeat (multi-selects).
    pub pairs: Vec<(String, String)>,
}

impl<T: DeserializeOwned> FromRequest<AppState> for CsrfForm<T> {
    type Rejection = Response;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let (mut parts, body) = req.into_parts();
        let ctx = PageCtx::from_request_parts(&mut parts, state).await?;
        let bytes = axum::body::to_bytes(body, state.config.http.body_limit_bytes)
            .await
            .map_err(|_| {
                ctx.error(PageErrorKind::BadRequest(ctx.t("error-body-too-large")))
                    .into_response()
            })?;
        let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(&bytes).map_err(|e| {
            ctx.error(PageErrorKind::BadRequest(e.to_string()))
                .into_response()
        })?;
        let given = pairs
            .iter()
            .find(|(k, _)| k == "_csrf")
            .map(|(_, v)| v.as_str())
            .unwrap_or_default();
        if ctx.csrf.is_empty()
            || !ticorr_platform::identity::secret::constant_time_eq(&ctx.csrf, given)
            || !origin_matches(&parts.headers)
        {
            return Err(ctx.error(PageErrorKind::Csrf).into_response());
        }
        let form: T = serde_urlencoded::from_bytes(&bytes).map_err(|e| {
            ctx.error(PageErrorKind::BadRequest(e.to_string()))
                .into_response()
        })?;
        Ok(CsrfForm { ctx, form, pairs })
    }
}

/// Switches the interface language and goes back to where the visitor was.
async fn switch_language(
    axum::extract::Path(code): axum::extract::Path<String>,
    axum::extract::Query(q): axum::extract::Query<std::collections::HashMap<String, String>>,
) -> Response {
    let lang = Lang::parse(&code).unwrap_or(Lang::Zh);
    let back = q.get("back").map(String::as_str).unwrap_or("/");
    let back = if back.starts_with('/') && !back.starts_with("//") && !back.contains('\\') {
        back
    } else {
        "/"
    };
    let cookie = format!(
        "{LANG_COOKIE}={}; Path=/; Max-Age=31536000; SameSite=Lax",
        lang.tag()
    );
    ([(header::SET_COOKIE, cookie)], Redirect::to(back)).into_response()
}

/// The 404 page for unknown paths (JSON for the API).
pub async fn not_found(ctx: Result<PageCtx, Response>, uri: axum::http::Uri) -> Response {
    if uri.path().starts_with("/api/") {
        return crate::error::ApiError::NotFound.into_response();
    }
    match ctx {
        Ok(ctx) => ctx.error(PageErrorKind::NotFound).into_response(),
        Err(r) => r,
    }
}

/// Percent-encodes a value for a URL query.
pub fn url_encode(s: &str) -> String {
    serde_urlencoded::to_string([("v", s)])
        .map(|e| e[2..].to_owned())
        .unwrap_or_default()
}

/// A 303 redirect after a successful form post.
pub fn see_other(to: &str) -> Response {
    Redirect::to(to).into_response()
}

/// Formats an optional number for display, trimming needless decimals.
pub fn num(v: Option<f64>) -> String {
    match v {
        None => String::new(),
        Some(v) if v.fract() == 0.0 && v.abs() < 1e15 => format!("{}", v as i64),
        Some(v) => {
            let s = format!("{v:.4}");
            s.trim_end_matches('0').trim_end_matches('.').to_owned()
        }
    }
}
