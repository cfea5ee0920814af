//! The free public services: home, the directory of verified organisations, organisation
//! profiles and the industry service profiles.

use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use ticorr_kernel::{OrgId, OrgKind};
use ticorr_platform::identity::orgs::{self, DirectoryFilter, Organization, OrganizationView};
use ticorr_platform::policy::Action;
use ticorr_platform::refdata::{self, Industry, ServiceProfile};

use super::{PageCtx, PageErrorKind, render, url_encode};
use crate::extract::{PageParams, Path, Query};
use crate::state::AppState;

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage<'a> {
    ctx: &'a PageCtx,
    counts: Vec<(String, i64)>,
    total: i64,
}

pub async fn home(ctx: PageCtx, State(state): State<AppState>) -> Response {
    let counts = match orgs::count_by_kind(&state.db).await {
        Ok(c) => c,
        Err(e) => return ctx.storage_error(e).into_response(),
    };
    let total = counts.iter().map(|(_, n)| n).sum();
    let counts = counts
        .into_iter()
        .map(|(k, n)| (ctx.label("org-kind", k.as_str()), n))
        .collect();
    render(&HomePage {
        ctx: &ctx,
        counts,
        total,
    })
}

/// A row of the directory.
pub struct OrgRow {
    pub id: OrgId,
    pub name: String,
    pub kind: String,
    pub region: String,
    pub industry: String,
}

fn org_row(ctx: &PageCtx, o: &Organization) -> OrgRow {
    let data = refdata::get();
    let lang = ctx.lang.short();
    OrgRow {
        id: o.id,
        name: match (&o.name_en, ctx.lang) {
            (Some(en), crate::i18n::Lang::En) => format!("{en} ({})", o.name),
            _ => o.name.clone(),
        },
        kind: ctx.label("org-kind", o.kind.as_str()),
        region: data
            .region(&o.region_code)
            .map(|r| r.name(lang).to_owned())
            .unwrap_or_else(|| o.region_code.clone()),
        industry: o
            .industry_code
            .as_deref()
            .and_then(|c| data.industry(c))
            .map(|i| format!("{} {}", i.code, i.name(lang)))
            .unwrap_or_default(),
    }
}

#[derive(Template)]
#[template(path = "directory.html")]
struct DirectoryPage<'a> {
    ctx: &'a PageCtx,
    rows: Vec<OrgRow>,
    q: String,
    kind: String,
    region: String,
    kinds: Vec<(String, String)>,
    regions: Vec<(String, String)>,
    next: Option<String>,
}

#[derive(serde::Deserialize, Default)]
pub struct DirectoryQuery {
    q: Option<String>,
    kind: Option<String>,
    region: Option<String>,
}

pub async fn directory(
    ctx: PageCtx,
    State(state): State<AppState>,
    Query(q): Query<DirectoryQuery>,
    Query(page): Query<PageParams>,
) -> Response {
    let kind = q
        .kind
        .as_deref()
        .filter(|k| !k.is_empty())
        .and_then(|k| k.parse::<OrgKind>().ok());
    let filter = DirectoryFilter {
        q: q.q.clone(),
        kind,
        region: q.region.clone().filter(|r| !r.is_empty()),
    };
    let Ok(req) = page.request() else {
        return ctx
            .error(PageErrorKind::BadRequest(ctx.t("error-bad-cursor")))
            .into_response();
    };
    let result = match orgs::directory(&state.db, &state.gate, ctx.caller(), &filter, &req).await {
        Ok(r) => r,
        Err(e) => return ctx.identity_error(e).into_response(),
    };
    let rows = result.items.iter().map(|o| org_row(&ctx, o)).collect();
    let base = format!(
        "/directory?q={}&kind={}&region={}",
        url_encode(q.q.as_deref().unwrap_or_default()),
        url_encode(q.kind.as_deref().unwrap_or_default()),
        url_encode(q.region.as_deref().unwrap_or_default())
    );
    let next = result
        .next_cursor
        .map(|c| format!("{base}&cursor={}", url_encode(&c)));
    let lang = ctx.lang.short();
    let page = DirectoryPage {
        ctx: &ctx,
        rows,
        q: q.q.clone().unwrap_or_default(),
        kind: q.kind.clone().unwrap_or_default(),
        region: q.region.clone().unwrap_or_default(),
        kinds: OrgKind::ALL
            .iter()
            .map(|k| (k.as_str().to_owned(), ctx.label("org-kind", k.as_str())))
            .collect(),
        regions: refdata::get()
            .regions
            .iter()
            .map(|r| (r.code.clone(), r.name(lang).to_owned()))
            .collect(),
        next,
    };
    render(&page)
}

#[derive(Template)]
#[template(path = "organization.html")]
struct OrganizationPage<'a> {
    ctx: &'a PageCtx,
    org: OrganizationView,
    row: OrgRow,
    status: String,
    own: bool,
    may_manage_people: bool,
    parks: Vec<(OrgId, String)>,
}

pub async fn organization(
    ctx: PageCtx,
    State(state): State<AppState>,
    Path(id): Path<OrgId>,
) -> Response {
    show_organization(&ctx, &state, id).await
}

pub async fn show_organization(ctx: &PageCtx, state: &AppState, id: OrgId) -> Response {
    let (org, view) = match orgs::view(&state.db, &state.gate, ctx.caller(), id).await {
        Ok(v) => v,
        Err(e) => return ctx.identity_error(e).into_response(),
    };
    let row = org_row(ctx, &org);
    let own = ctx.actor().is_some_and(|a| a.org_id == id);
    let may_manage_people =
        state
            .gate
            .would_allow(ctx.caller(), Action::ManagePeople, &org.resource());
    let parks = view.parks.iter().map(|p| (p.id, p.name.clone())).collect();
    render(&OrganizationPage {
        ctx,
        status: ctx.label("org-status", org.status.as_str()),
        org: view,
        row,
        own,
        may_manage_people,
        parks,
    })
}

#[derive(Template)]
#[template(path = "industries.html")]
struct IndustriesPage<'a> {
    ctx: &'a PageCtx,
    industries: Vec<&'static Industry>,
    standard: &'static str,
    status: &'static str,
}

pub async fn industries(ctx: PageCtx) -> Response {
    let data = refdata::get();
    render(&IndustriesPage {
        ctx: &ctx,
        industries: data.industries.iter().collect(),
        standard: &data.industries_standard,
        status: &data.industries_status,
    })
}

#[derive(Template)]
#[template(path = "industry.html")]
struct IndustryPage<'a> {
    ctx: &'a PageCtx,
    industry: &'static Industry,
    profile: Option<&'static ServiceProfile>,
    status: &'static str,
}

impl IndustryPage<'_> {
    fn bound(&self, v: &Option<f64>) -> String {
        match v {
            Some(_) => super::num(*v),
            None => "—".to_owned(),
        }
    }

    fn basis(&self, basis: &[String]) -> String {
        basis.join(", ")
    }

    fn is_estimate(&self, basis: &[String]) -> bool {
        basis.iter().any(|b| b == "estimate")
    }
}

pub async fn industry(ctx: PageCtx, Path(code): Path<String>) -> Response {
    let data = refdata::get();
    let Some(industry) = data.industry(&code) else {
        return ctx.error(PageErrorKind::NotFound).into_response();
    };
    let profile = industry.profile.as_deref().and_then(|p| data.profile(p));
    render(&IndustryPage {
        ctx: &ctx,
        industry,
        profile,
        status: &data.industries_status,
    })
}
