//! Sign-in, sign-out and registration pages.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use ticorr_kernel::OrgKind;
use ticorr_platform::identity::orgs::{self, Registration};
use ticorr_platform::identity::{IdentityError, login};
use ticorr_platform::refdata;

use super::{CsrfForm, PageCtx, render, see_other};
use crate::auth::{session_cookie_name, set_cookie};
use crate::state::AppState;

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage<'a> {
    ctx: &'a PageCtx,
    email: String,
    next: String,
    message: Option<String>,
}

#[derive(Deserialize, Default)]
pub struct NextParam {
    next: Option<String>,
}

/// Only local paths are followed after sign-in, so the form cannot be used to send people
/// to another site.
fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n) if n.starts_with('/') && !n.starts_with("//") && !n.contains('\\') => n.to_owned(),
        _ => "/".to_owned(),
    }
}

pub async fn login_form(ctx: PageCtx, Query(q): Query<NextParam>) -> Response {
    if ctx.signed_in() {
        return see_other(&safe_next(q.next.as_deref()));
    }
    render(&LoginPage {
        ctx: &ctx,
        email: String::new(),
        next: safe_next(q.next.as_deref()),
        message: None,
    })
}

#[derive(Deserialize)]
pub struct LoginForm {
    email: String,
    password: String,
    next: Option<String>,
}

pub async fn login(
    State(state): State<AppState>,
    headers: HeaderMap,
    form: CsrfForm<LoginForm>,
) -> Response {
    let CsrfForm { ctx, form, .. } = form;
    let ua = headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok());
    let result = login::login(
        &state.db,
        &state.gate,
        &state.config.identity,
        &form.email,
        &form.password,
        ctx.caller().ip.as_deref(),
        ua,
    )
    .await;
    match result {
        Ok(done) => {
            state.metrics.login("success");
            let secure = state.config.identity.cookie_secure;
            let cookie = set_cookie(
                session_cookie_name(secure),
                &done.session.secret,
                secure,
                None,
                "Lax",
            );
            (
                [(header::SET_COOKIE, cookie)],
                see_other(&safe_next(form.next.as_deref())),
            )
                .into_response()
        }
        Err(e) => {
            let (status, message) = match e {
                login::LoginError::Invalid => {
                    state.metrics.login("failure");
                    (axum::http::StatusCode::UNAUTHORIZED, ctx.t("login-failed"))
                }
                login::LoginError::Throttled { retry_after_secs } => {
                    state.metrics.login("throttled");
                    (
                        axum::http::StatusCode::TOO_MANY_REQUESTS,
                        ctx.t1("login-throttled", "seconds", retry_after_secs),
                    )
                }
                other => return ctx.storage_error(other).into_response(),
            };
            let page = LoginPage {
                ctx: &ctx,
                email: form.email.clone(),
                next: safe_next(form.next.as_deref()),
                message: Some(message),
            };
            (status, render(&page)).into_response()
        }
    }
}

#[derive(Deserialize)]
pub struct Empty {}

pub async fn logout(State(state): State<AppState>, form: CsrfForm<Empty>) -> Response {
    let ctx = form.ctx;
    if let Err(e) = login::logout(&state.db, &state.gate, ctx.caller()).await {
        return ctx.storage_error(e).into_response();
    }
    let secure = state.config.identity.cookie_secure;
    let clear = set_cookie(session_cookie_name(secure), "", secure, Some(0), "Lax");
    ([(header::SET_COOKIE, clear)], see_other("/")).into_response()
}

/// The registration form's values, kept to refill the form after an error.
#[derive(Default, Deserialize)]
pub struct RegisterValues {
    #[serde(default)]
    org_name: String,
    #[serde(default)]
    org_name_en: String,
    #[serde(default)]
    org_kind: String,
    #[serde(default)]
    uscc: String,
    #[serde(default)]
    region_code: String,
    #[serde(default)]
    industry_code: String,
    #[serde(default)]
    address: String,
    #[serde(default)]
    admin_name: String,
    #[serde(default)]
    admin_email: String,
    #[serde(skip)]
    park_ids: Vec<String>,
}

#[derive(Template)]
#[template(path = "register.html")]
struct RegisterPage<'a> {
    ctx: &'a PageCtx,
    form: RegisterValues,
    errors: Vec<(String, String)>,
    kinds: Vec<(String, String)>,
    regions: Vec<(String, String)>,
    industries: Vec<(String, String)>,
    parks: Vec<(String, String)>,
}

impl RegisterPage<'_> {
    fn has(&self, field: &str) -> bool {
        self.errors.iter().any(|(f, _)| f == field)
    }
}

async fn register_page(
    ctx: &PageCtx,
    form: RegisterValues,
    errors: Vec<(String, String)>,
) -> Response {
    let lang = ctx.lang.short();
    let data = refdata::get();
    let kinds = OrgKind::ALL
        .iter()
        .filter(|k| k.self_registrable())
        .map(|k| (k.as_str().to_owned(), ctx.label("org-kind", k.as_str())))
        .collect();
    let regions = data
        .regions
        .iter()
        .map(|r| (r.code.clone(), format!("{} {}", r.code, r.name(lang))))
        .collect();
    let industries = data
        .industries
        .iter()
        .map(|i| (i.code.clone(), format!("{} {}", i.code, i.name(lang))))
        .collect();
    let parks = match orgs::verified_parks(&ctx.state.db).await {
        Ok(p) => p
            .into_iter()
            .map(|p| {
                let region = data
                    .region(&p.region_code)
                    .map(|r| r.name(lang).to_owned())
                    .unwrap_or_default();
                (p.id.to_string(), format!("{} ({region})", p.name))
            })
            .collect(),
        Err(e) => return ctx.storage_error(e).into_response(),
    };
    render(&RegisterPage {
        ctx,
        form,
        errors,
        kinds,
        regions,
        industries,
        parks,
    })
}

pub async fn register_form(ctx: PageCtx) -> Response {
    register_page(&ctx, RegisterValues::default(), vec![]).await
}

pub async fn register(State(state): State<AppState>, form: CsrfForm<RegisterValues>) -> Response {
    let CsrfForm {
        ctx,
        mut form,
        pairs,
    } = form;
    form.park_ids = pairs
        .iter()
        .filter(|(k, _)| k == "park_ids")
        .map(|(_, v)| v.clone())
        .collect();
    let password = pairs
        .iter()
        .find(|(k, _)| k == "password")
        .map(|(_, v)| v.clone())
        .unwrap_or_default();
    let registration = Registration {
        org_name: form.org_name.clone(),
        org_name_en: form.org_name_en.clone(),
        org_kind: form.org_kind.clone(),
        uscc: form.uscc.clone(),
        region_code: form.region_code.clone(),
        industry_code: form.industry_code.clone(),
        address: form.address.clone(),
        park_ids: form.park_ids.clone(),
        admin_name: form.admin_name.clone(),
        admin_email: form.admin_email.clone(),
        password,
    };
    match orgs::register(
        &state.db,
        &state.config.identity,
        ctx.caller(),
        state.gate.clock().now(),
        &registration,
    )
    .await
    {
        Ok(_) => see_other("/register/done"),
        Err(IdentityError::Invalid(errors)) => {
            let messages = ctx.field_messages(&errors);
            let mut res = register_page(&ctx, form, messages).await;
            *res.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
            res
        }
        Err(e) => ctx.identity_error(e).into_response(),
    }
}

#[derive(Template)]
#[template(path = "register_done.html")]
struct RegisterDone<'a> {
    ctx: &'a PageCtx,
}

pub async fn register_done(ctx: PageCtx) -> Response {
    render(&RegisterDone { ctx: &ctx })
}
