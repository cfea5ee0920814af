//! The signed-in person's pages: account (sessions, password), own organisation, and for
//! admins the organisation's people and API tokens.

use askama::Template;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use ticorr_kernel::{Capacity, PageRequest, PersonId, Role, SessionId, TokenId};
use ticorr_platform::identity::people::{self, MemberChange, NewMember, Person};
use ticorr_platform::identity::sessions::{self, SessionInfo};
use ticorr_platform::identity::tokens::{self, NewToken, TokenInfo};
use ticorr_platform::identity::{IdentityError, login};
use ticorr_platform::policy::Action;

use super::{CsrfForm, Done, PageCtx, PageErrorKind, render, see_other, url_encode};
use crate::extract::{PageParams, Path};
use crate::state::AppState;

#[derive(Template)]
#[template(path = "account.html")]
struct AccountPage<'a> {
    ctx: &'a PageCtx,
    sessions: Vec<SessionInfo>,
    next: Option<String>,
    errors: Vec<(String, String)>,
    notice: Option<String>,
    role: String,
    capacities: Vec<String>,
}

impl AccountPage<'_> {
    fn has(&self, field: &str) -> bool {
        self.errors.iter().any(|(f, _)| f == field)
    }
}

async fn account_page(
    ctx: &PageCtx,
    page: &PageRequest,
    errors: Vec<(String, String)>,
    notice: Option<String>,
) -> Response {
    let actor = match ctx.require_actor() {
        Ok(a) => a,
        Err(e) => return e.into_response(),
    };
    let mut conn = match ctx.state.db.pool().acquire().await {
        Ok(c) => c,
        Err(e) => return ctx.storage_error(e).into_response(),
    };
    let list = sessions::list_live(
        &mut conn,
        &ctx.state.config.identity,
        ctx.state.gate.clock().now(),
        actor.person_id,
        ctx.auth.session.as_ref().map(|s| s.id),
        page,
    )
    .await;
    let list = match list {
        Ok(l) => l,
        Err(e) => return ctx.storage_error(e).into_response(),
    };
    render(&AccountPage {
        ctx,
        next: list
            .next_cursor
            .map(|c| format!("/account?cursor={}", url_encode(&c))),
        sessions: list.items,
        errors,
        notice,
        role: ctx.label("role", actor.role.as_str()),
        capacities: actor
            .capacities
            .iter()
            .map(|c| ctx.label("capacity", c.as_str()))
            .collect(),
    })
}

pub async fn account(
    ctx: PageCtx,
    Query(done): Query<Done>,
    Query(page): Query<PageParams>,
) -> Response {
    let Ok(req) = page.request() else {
        return ctx
            .error(PageErrorKind::BadRequest(ctx.t("error-bad-cursor")))
            .into_response();
    };
    let notice = ctx.notice(&done);
    account_page(&ctx, &req, vec![], notice).await
}

#[derive(Deserialize)]
pub struct PasswordForm {
    current_password: String,
    new_password: String,
}

pub async fn change_password(
    State(state): State<AppState>,
    form: CsrfForm<PasswordForm>,
) -> Response {
    let CsrfForm { ctx, form, .. } = form;
    if let Err(e) = ctx.require_actor() {
        return e.into_response();
    }
    match people::change_own_password(
        &state.db,
        &state.config.identity,
        &state.gate,
        ctx.caller(),
        &form.current_password,
        &form.new_password,
    )
    .await
    {
        Ok(()) => see_other("/account?done=password"),
        Err(IdentityError::Invalid(f)) => {
            let errors = ctx.field_messages(&f);
            let mut res = account_page(&ctx, &PageRequest::first(50), errors, None).await;
            *res.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
            res
        }
        Err(e) => ctx.identity_error(e).into_response(),
    }
}

pub async fn end_session(
    State(state): State<AppState>,
    Path(id): Path<SessionId>,
    form: CsrfForm<super::auth::Empty>,
) -> Response {
    let ctx = form.ctx;
    let actor = match ctx.require_actor() {
        Ok(a) => a.clone(),
        Err(e) => return e.into_response(),
    };
    // Ending the current session is signing out.
    if ctx.auth.session.as_ref().map(|s| s.id) == Some(id) {
        if let Err(e) = login::logout(&state.db, &state.gate, ctx.caller()).await {
            return ctx.storage_error(e).into_response();
        }
        return see_other("/login");
    }
    let mut conn = match state.db.pool().acquire().await {
        Ok(c) => c,
        Err(e) => return ctx.storage_error(e).into_response(),
    };
    match sessions::end_own(&mut conn, actor.person_id, id, state.gate.clock().now()).await {
        Ok(true) => see_other("/account?done=session-ended"),
        Ok(false) => ctx.error(PageErrorKind::NotFound).into_response(),
        Err(e) => ctx.storage_error(e).into_response(),
    }
}

pub async fn my_org(ctx: PageCtx, State(state): State<AppState>) -> Response {
    let actor = match ctx.require_actor() {
        Ok(a) => a.org_id,
        Err(e) => return e.into_response(),
    };
    super::home::show_organization(&ctx, &state, actor).await
}

#[derive(Template)]
#[template(path = "org_people.html")]
struct PeoplePage<'a> {
    ctx: &'a PageCtx,
    people: Vec<Person>,
    next: Option<String>,
    errors: Vec<(String, String)>,
    form: AddPersonForm,
    notice: Option<String>,
    roles: Vec<(String, String)>,
    me: PersonId,
    /// For people with the expert or reviewer capacity: their specialties.
    specialties: std::collections::HashMap<PersonId, Vec<String>>,
    /// Every topic, with its label.
    topics: Vec<(String, String)>,
}

impl PeoplePage<'_> {
    fn specialties_of(&self, person: &PersonId) -> Option<&Vec<String>> {
        self.specialties.get(person)
    }

    fn has(&self, field: &str) -> bool {
        self.errors.iter().any(|(f, _)| f == field)
    }

    fn role_label(&self, role: &Role) -> String {
        self.ctx.label("role", role.as_str())
    }
}

#[derive(Deserialize, Default)]
pub struct AddPersonForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    display_name: String,
    #[serde(default)]
    role: String,
    #[serde(skip)]
    password: String,
}

async fn people_page(
    ctx: &PageCtx,
    page: &PageRequest,
    form: AddPersonForm,
    errors: Vec<(String, String)>,
    notice: Option<String>,
) -> Response {
    let actor = match ctx.require_actor() {
        Ok(a) => a,
        Err(e) => return e.into_response(),
    };
    if !ctx.may_on_own_org(Action::ManagePeople) {
        return ctx.error(PageErrorKind::Forbidden).into_response();
    }
    let list = match people::members(
        &ctx.state.db,
        &ctx.state.gate,
        ctx.caller(),
        actor.org_id,
        page,
    )
    .await
    {
        Ok(l) => l,
        Err(e) => return ctx.identity_error(e).into_response(),
    };
    let mut specialties = std::collections::HashMap::new();
    {
        let mut conn = match ctx.state.db.pool().acquire().await {
            Ok(c) => c,
            Err(e) => return ctx.storage_error(e).into_response(),
        };
        for p in &list.items {
            if p.capacities
                .iter()
                .any(|c| matches!(c, Capacity::Expert | Capacity::Reviewer))
            {
                match ticorr_standards::lifecycle::specialties(&mut conn, p.id).await {
                    Ok(t) => {
                        specialties.insert(p.id, t);
                    }
                    Err(e) => return ctx.storage_error(e).into_response(),
                }
            }
        }
    }
    render(&PeoplePage {
        ctx,
        specialties,
        topics: ticorr_standards::TOPICS
            .iter()
            .map(|t| ((*t).to_owned(), ctx.label("standard-topic", t)))
            .collect(),
        next: list
            .next_cursor
            .map(|c| format!("/org/people?cursor={}", url_encode(&c))),
        people: list.items,
        errors,
        form,
        notice,
        roles: Role::ALL
            .iter()
            .map(|r| (r.as_str().to_owned(), ctx.label("role", r.as_str())))
            .collect(),
        me: actor.person_id,
    })
}

pub async fn people(
    ctx: PageCtx,
    Query(page): Query<PageParams>,
    Query(done): Query<Done>,
) -> Response {
    let Ok(req) = page.request() else {
        return ctx
            .error(PageErrorKind::BadRequest(ctx.t("error-bad-cursor")))
            .into_response();
    };
    let notice = ctx.notice(&done);
    people_page(&ctx, &req, AddPersonForm::default(), vec![], notice).await
}

pub async fn add_person(State(state): State<AppState>, form: CsrfForm<AddPersonForm>) -> Response {
    let CsrfForm {
        ctx,
        mut form,
        pairs,
    } = form;
    form.password = pairs
        .iter()
        .find(|(k, _)| k == "password")
        .map(|(_, v)| v.clone())
        .unwrap_or_default();
    let actor = match ctx.require_actor() {
        Ok(a) => a.clone(),
        Err(e) => return e.into_response(),
    };
    let input = NewMember {
        email: form.email.clone(),
        display_name: form.display_name.clone(),
        role: form.role.clone(),
        password: form.password.clone(),
    };
    match people::add_member(
        &state.db,
        &state.gate,
        &state.config.identity,
        ctx.caller(),
        actor.org_id,
        &input,
    )
    .await
    {
        Ok(_) => see_other("/org/people?done=person-added"),
        Err(IdentityError::Invalid(f)) => {
            let errors = ctx.field_messages(&f);
            let mut res = people_page(&ctx, &PageRequest::first(50), form, errors, None).await;
            *res.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
            res
        }
        Err(e) => ctx.identity_error(e).into_response(),
    }
}

/// Records an expert's specialties (the `topic` checkboxes).
pub async fn set_specialties(
    State(state): State<AppState>,
    Path(id): Path<PersonId>,
    form: CsrfForm<serde::de::IgnoredAny>,
) -> Response {
    let CsrfForm { ctx, pairs, .. } = form;
    let actor = match ctx.require_actor() {
        Ok(a) => a.clone(),
        Err(e) => return e.into_response(),
    };
    let topics: Vec<String> = pairs
        .into_iter()
        .filter(|(k, _)| k == "topic")
        .map(|(_, v)| v)
        .collect();
    match ticorr_standards::lifecycle::set_specialties(
        &state.db,
        &state.gate,
        ctx.caller(),
        actor.org_id,
        id,
        &topics,
    )
    .await
    {
        Ok(_) => see_other("/org/people?done=specialties-saved"),
        Err(e) => ctx.standards_error(e).into_response(),
    }
}

#[derive(Deserialize)]
pub struct ChangePersonForm {
    role: Option<String>,
    active: Option<String>,
}

pub async fn change_person(
    State(state): State<AppState>,
    Path(id): Path<PersonId>,
    form: CsrfForm<ChangePersonForm>,
) -> Response {
    let CsrfForm { ctx, form, .. } = form;
    let actor = match ctx.require_actor() {
        Ok(a) => a.clone(),
        Err(e) => return e.into_response(),
    };
    let change = MemberChange {
        role: form.role.filter(|r| !r.is_empty()),
        active: form.active.as_deref().map(|a| a == "true"),
    };
    match people::change_member(
        &state.db,
        &state.gate,
        ctx.caller(),
        actor.org_id,
        id,
        &change,
    )
    .await
    {
        Ok(_) => see_other("/org/people?done=person-changed"),
        Err(e) => ctx.identity_error(e).into_response(),
    }
}

#[derive(Template)]
#[template(path = "org_tokens.html")]
struct TokensPage<'a> {
    ctx: &'a PageCtx,
    tokens: Vec<TokenInfo>,
    next: Option<String>,
    issued: Option<(TokenInfo, String)>,
    errors: Vec<(String, String)>,
    notice: Option<String>,
    scopes: Vec<(String, String)>,
    max_days: i64,
}

impl TokensPage<'_> {
    fn has(&self, field: &str) -> bool {
        self.errors.iter().any(|(f, _)| f == field)
    }

    fn scope_labels(&self, t: &TokenInfo) -> String {
        t.scopes
            .iter()
            .map(|s| self.ctx.label("action", s.as_str()))
            .collect::<Vec<_>>()
            .join(", ")
    }

    fn state_label(&self, t: &TokenInfo) -> String {
        let now = self.ctx.state.gate.clock().now();
        if t.revoked_at.is_some() {
            self.ctx.t("token-revoked")
        } else if t.expires_at <= now {
            self.ctx.t("token-expired")
        } else {
            self.ctx.t("token-active")
        }
    }

    fn revocable(&self, t: &TokenInfo) -> bool {
        t.revoked_at.is_none() && t.expires_at > self.ctx.state.gate.clock().now()
    }
}

async fn tokens_page(
    ctx: &PageCtx,
    page: &PageRequest,
    issued: Option<(TokenInfo, String)>,
    errors: Vec<(String, String)>,
    notice: Option<String>,
) -> Response {
    let actor = match ctx.require_actor() {
        Ok(a) => a,
        Err(e) => return e.into_response(),
    };
    let list = match tokens::list(
        &ctx.state.db,
        &ctx.state.gate,
        ctx.caller(),
        actor.org_id,
        page,
    )
    .await
    {
        Ok(l) => l,
        Err(IdentityError::NotFound | IdentityError::Forbidden) => {
            return ctx.error(PageErrorKind::Forbidden).into_response();
        }
        Err(e) => return ctx.identity_error(e).into_response(),
    };
    render(&TokensPage {
        ctx,
        next: list
            .next_cursor
            .map(|c| format!("/org/tokens?cursor={}", url_encode(&c))),
        tokens: list.items,
        issued,
        errors,
        notice,
        scopes: Action::RECORD
            .iter()
            .map(|a| (a.as_str().to_owned(), ctx.label("action", a.as_str())))
            .collect(),
        max_days: ctx.state.config.identity.token_max_days,
    })
}

pub async fn tokens(
    ctx: PageCtx,
    Query(done): Query<Done>,
    Query(page): Query<PageParams>,
) -> Response {
    let Ok(req) = page.request() else {
        return ctx
            .error(PageErrorKind::BadRequest(ctx.t("error-bad-cursor")))
            .into_response();
    };
    let notice = ctx.notice(&done);
    tokens_page(&ctx, &req, None, vec![], notice).await
}

#[derive(Deserialize)]
pub struct IssueTokenForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    days: String,
}

pub async fn issue_token(
    State(state): State<AppState>,
    form: CsrfForm<IssueTokenForm>,
) -> Response {
    let CsrfForm { ctx, form, pairs } = form;
    let actor = match ctx.require_actor() {
        Ok(a) => a.clone(),
        Err(e) => return e.into_response(),
    };
    let input = NewToken {
        name: form.name.clone(),
        scopes: pairs
            .iter()
            .filter(|(k, _)| k == "scopes")
            .map(|(_, v)| v.clone())
            .collect(),
        days: form.days.trim().parse().unwrap_or(0),
    };
    match tokens::issue(
        &state.db,
        &state.gate,
        &state.config.identity,
        ctx.caller(),
        actor.org_id,
        &input,
    )
    .await
    {
        Ok(issued) => {
            let mut res =
                tokens_page(&ctx, &PageRequest::first(50), Some(issued), vec![], None).await;
            *res.status_mut() = axum::http::StatusCode::CREATED;
            res
        }
        Err(IdentityError::Invalid(f)) => {
            let errors = ctx.field_messages(&f);
            let mut res = tokens_page(&ctx, &PageRequest::first(50), None, errors, None).await;
            *res.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
            res
        }
        Err(e) => ctx.identity_error(e).into_response(),
    }
}

pub async fn revoke_token(
    State(state): State<AppState>,
    Path(id): Path<TokenId>,
    form: CsrfForm<super::auth::Empty>,
) -> Response {
    let ctx = form.ctx;
    let actor = match ctx.require_actor() {
        Ok(a) => a.clone(),
        Err(e) => return e.into_response(),
    };
    match tokens::revoke(&state.db, &state.gate, ctx.caller(), actor.org_id, id).await {
        Ok(()) => see_other("/org/tokens?done=token-revoked"),
        Err(e) => ctx.identity_error(e).into_response(),
    }
}
