//! The clause library: released standards for everyone, a standard's clauses, and the
//! clauses that apply to an equipment item with the reasons.

use askama::Template;
use axum::extract::{Path, Query};
use axum::response::{IntoResponse, Response};
use ticorr_kernel::{EquipmentId, PageRequest};
use ticorr_standards::{
    self as standards, Applies, Check, Clause, ClauseKind, LimitStatus, LocalSupplement, Matched,
    Standard, Verdict,
};

use super::standards_lifecycle as lifecycle_pages;
use super::standards_supplements as supplement_pages;
use super::{PageCtx, render, url_encode};
use crate::i18n::{Lang, Tr};

/// The Chinese or the English text, by the page's language.
pub(super) fn in_lang(ctx: &PageCtx, zh: &str, en: &str) -> String {
    if ctx.lang == Lang::Zh { zh } else { en }.to_owned()
}

/// A standard as the list shows it.
pub struct StandardRow {
    pub id: String,
    pub code: String,
    pub title: String,
    pub origin: String,
    pub topic: String,
    pub level: String,
}

pub(super) fn row(ctx: &PageCtx, s: &Standard) -> StandardRow {
    StandardRow {
        id: s.id.clone(),
        code: s.code.clone(),
        title: in_lang(ctx, &s.title_zh, &s.title_en),
        origin: ctx.label("standard-origin", s.origin.as_str()),
        topic: ctx.label("standard-topic", &s.topic),
        level: s.level.as_str().to_owned(),
    }
}

#[derive(serde::Deserialize, Default)]
pub struct ListQuery {
    #[serde(default)]
    q: String,
    #[serde(default)]
    origin: String,
    #[serde(default)]
    cursor: String,
}

#[derive(Template)]
#[template(path = "standards_list.html")]
struct ListPage<'a> {
    ctx: &'a PageCtx,
    signed_in: bool,
    rows: Vec<StandardRow>,
    q: String,
    origin: String,
    origins: Vec<(String, String)>,
    next: Option<String>,
}

/// Released standards (and the caller's own documents), by code. No account needed.
pub async fn list(ctx: PageCtx, Query(q): Query<ListQuery>) -> Response {
    let filter = standards::ListFilter {
        q: Some(q.q.clone()).filter(|s| !s.trim().is_empty()),
        origin: Some(q.origin.clone()).filter(|s| !s.is_empty()),
        topic: None,
    };
    let mut page = PageRequest::first(50);
    if let Ok(c) = ticorr_kernel::Cursor::decode(&q.cursor) {
        page.after = Some(c);
    }
    let result =
        match standards::list(&ctx.state.db, &ctx.state.gate, ctx.caller(), &filter, &page).await {
            Ok(p) => p,
            Err(e) => return ctx.standards_error(e).into_response(),
        };
    let origins = standards::Origin::ALL
        .iter()
        .map(|o| {
            (
                o.as_str().to_owned(),
                ctx.label("standard-origin", o.as_str()),
            )
        })
        .collect();
    render(&ListPage {
        signed_in: ctx.actor().is_some(),
        rows: result.items.iter().map(|s| row(&ctx, s)).collect(),
        next: result.next_cursor.map(|c| {
            format!(
                "/standards?q={}&origin={}&cursor={}",
                url_encode(&q.q),
                url_encode(&q.origin),
                url_encode(&c)
            )
        }),
        ctx: &ctx,
        q: q.q,
        origin: q.origin,
        origins,
    })
}

/// A clause as a page shows it.
pub struct ClauseView {
    pub id: String,
    pub number: String,
    pub mandatory: bool,
    pub kind: String,
    pub text: String,
    pub rationale: String,
    pub grades: String,
    /// The conditions in words, e.g. "Grade: 1, 2 · Temperature (°C): ≥ 70".
    pub conditions: Vec<String>,
    pub limit: Option<String>,
    pub references: Vec<(String, String)>,
    pub sources: String,
    pub convention: bool,
    pub unverified: bool,
    /// The published failure cases under it (on a standard's page).
    pub cases: Option<ClauseCasesView>,
}

/// The published cases that fall under a clause, and a revision cases proposed for it.
pub struct ClauseCasesView {
    /// "Published cases under this clause (crevice corrosion …): 12".
    pub summary: String,
    /// (case id, title, period), newest first.
    pub recent: Vec<(String, String, String)>,
    /// The open proposal cases made for it, in words.
    pub proposal: Option<String>,
}

/// `2612 Manufacture of inorganic alkalis …`, in the page's language.
pub(super) fn industry_name(ctx: &PageCtx, code: &str) -> String {
    ticorr_platform::refdata::get()
        .industry(code)
        .map(|i| {
            let name = if ctx.lang == Lang::Zh {
                &i.name_zh
            } else {
                &i.name_en
            };
            format!("{code} {name}")
        })
        .unwrap_or_else(|| code.to_owned())
}

/// A clause's (or a supplementary clause's) conditions of application in words, e.g.
/// "Grade: Gr1, Gr2", "Temperature (°C): ≥ 70".
pub(super) fn conditions(ctx: &PageCtx, a: &Applies) -> Vec<String> {
    let mut conditions = Vec::new();
    let mut list = |key: &str, values: &[String], label: &dyn Fn(&str) -> String| {
        if !values.is_empty() {
            let shown: Vec<String> = values.iter().map(|v| label(v)).collect();
            conditions.push(format!("{}: {}", ctx.t(key), shown.join(", ")));
        }
    };
    list("standard-cond-industry", &a.industries, &|v| {
        industry_name(ctx, v)
    });
    list("standard-cond-equipment_type", &a.equipment_types, &|v| {
        ctx.label("equipment-type", v)
    });
    list("standard-cond-grade", &a.grades, &|v| format!("Gr{v}"));
    list("standard-cond-medium", &a.media, &|v| v.to_owned());
    list("standard-cond-corrosivity", &a.corrosivity, &|v| {
        v.to_owned()
    });
    list("standard-cond-province", &a.provinces, &|v| {
        province_name(ctx, v)
    });
    list(
        "standard-cond-galvanic_partner",
        &a.galvanic_partners,
        &|v| ctx.label("galvanic", v),
    );
    if let Some(w) = a.crevices_or_deposits {
        conditions.push(format!(
            "{}: {}",
            ctx.t("standard-cond-crevices_or_deposits"),
            ctx.t(if w { "yes" } else { "no" })
        ));
    }
    for (key, range) in [
        ("standard-cond-temperature_c", a.temperature_c),
        ("standard-cond-chloride_mg_l", a.chloride_mg_l),
        ("standard-cond-fluoride_mg_l", a.fluoride_mg_l),
        ("standard-cond-ph", a.ph),
    ] {
        if let Some(r) = range {
            conditions.push(format!("{}: {}", ctx.t(key), r.text()));
        }
    }
    conditions
}

/// `330000 浙江省`: a GB/T 2260 province code with its name in the page's language.
pub(super) fn province_name(ctx: &PageCtx, code: &str) -> String {
    ticorr_platform::refdata::get()
        .region(code)
        .map(|r| format!("{code} {}", r.name(ctx.lang_tag())))
        .unwrap_or_else(|| code.to_owned())
}

pub(super) fn clause_view(ctx: &PageCtx, c: &Clause) -> ClauseView {
    let conditions = conditions(ctx, &c.applies);
    let catalogue = standards::catalogue::get();
    ClauseView {
        id: c.id.clone(),
        number: c.number.clone(),
        mandatory: c.kind == ClauseKind::Mandatory,
        kind: ctx.label("clause-kind", c.kind.as_str()),
        text: in_lang(ctx, &c.text_zh, &c.text_en),
        rationale: in_lang(ctx, &c.rationale_zh, &c.rationale_en),
        grades: c.risk_grades.join(", "),
        conditions,
        limit: c.limit.as_ref().map(|l| l.text()),
        references: c
            .references
            .iter()
            .map(|r| {
                let title = catalogue
                    .find(r)
                    .map(|e| e.title.clone())
                    .unwrap_or_default();
                (r.clone(), title)
            })
            .collect(),
        sources: c.sources.join("; "),
        convention: c.convention,
        unverified: c.unverified,
        cases: None,
    }
}

/// The published cases under each clause of a standard's page, with the open proposals
/// cases made; clauses that prevent no mechanism of the rule file show nothing.
async fn clause_cases(
    ctx: &PageCtx,
    standard_id: &str,
    clauses: &[Clause],
    views: &mut [ClauseView],
) -> Result<(), Response> {
    let found = match ctx.state.cases().under_clauses(clauses, 5).await {
        Ok(f) => f,
        Err(e) => return Err(super::cases::fail(ctx, e).into_response()),
    };
    let proposals = match standards::revision::case_proposals(
        &ctx.state.db,
        &ctx.state.gate,
        ctx.caller(),
        standard_id,
        None,
    )
    .await
    {
        Ok(p) => p,
        Err(e) => return Err(ctx.standards_error(e).into_response()),
    };
    for ((clause, view), cases) in clauses.iter().zip(views.iter_mut()).zip(found) {
        if cases.mechanisms.is_empty() {
            continue;
        }
        let names: Vec<String> = cases
            .mechanisms
            .iter()
            .map(|m| super::cases::mechanism_label(ctx.lang, m))
            .collect();
        let proposal = proposals
            .iter()
            .find(|p| p.clause_number == clause.number && p.closed_at.is_none())
            .map(|p| {
                ctx.tn(
                    "clause-case-proposal",
                    &[
                        ("date", p.opened_at.date_string()),
                        ("count", p.case_ids.len().to_string()),
                        ("days", p.window_days.to_string()),
                    ],
                )
            });
        view.cases = Some(ClauseCasesView {
            summary: ctx.tn(
                "clause-cases",
                &[
                    ("mechanisms", names.join(", ")),
                    ("count", cases.total.to_string()),
                ],
            ),
            recent: cases
                .recent
                .into_iter()
                .map(|c| (c.id, c.title, c.period))
                .collect(),
            proposal,
        });
    }
    Ok(())
}

#[derive(Template)]
#[template(path = "standard_detail.html")]
struct DetailPage<'a> {
    ctx: &'a PageCtx,
    row: StandardRow,
    scope: String,
    owner: String,
    version: String,
    released: String,
    effective: String,
    review_due: String,
    sha256: String,
    references: Vec<(String, String)>,
    clauses: Vec<ClauseView>,
    /// Where the released version is anchored in the ledger.
    ledger: Option<ticorr_platform::ledger::LedgerRef>,
    version_id: String,
    /// Every version, newest first, superseded ones kept.
    versions: Vec<lifecycle_pages::VersionRow>,
    /// The link comparing the two newest versions, when there are two.
    compare: Option<String>,
    drafts: String,
    /// The standard's history: releases, reviews and the steps of its proposals.
    events: Vec<lifecycle_pages::EventView>,
    /// Whether to offer "propose a revision" (a released platform standard, and the
    /// caller's organisation may apply).
    may_revise: bool,
    /// Whether to offer "add a local supplement" on each clause (a released platform
    /// standard, and the caller's organisation may hold supplementary clauses).
    may_supplement: bool,
    notice: Option<String>,
}

/// A standard's released (or newest) version with its clauses.
pub async fn detail(
    ctx: PageCtx,
    Path(id): Path<String>,
    Query(done): Query<super::Done>,
) -> Response {
    let (view, version, clauses) = match standards::clauses(
        &ctx.state.db,
        &ctx.state.gate,
        ctx.caller(),
        &id,
        "current",
    )
    .await
    {
        Ok(found) => found,
        Err(e) => return ctx.standards_error(e).into_response(),
    };
    let s = &view.standard;
    let catalogue = standards::catalogue::get();
    let ledger = match ctx.state.db.pool().acquire().await {
        Ok(mut conn) => {
            ticorr_platform::ledger::latest(&mut conn, standards::LEDGER_TYPE, &version.id)
                .await
                .ok()
                .flatten()
        }
        Err(e) => return ctx.storage_error(e).into_response(),
    };
    let events =
        match standards::revision::history(&ctx.state.db, &ctx.state.gate, ctx.caller(), &s.id)
            .await
        {
            Ok(events) => events,
            Err(e) => return ctx.standards_error(e).into_response(),
        };
    let mut clause_views: Vec<ClauseView> = clauses.iter().map(|c| clause_view(&ctx, c)).collect();
    if version.stage == standards::Stage::Released
        && let Err(r) = clause_cases(&ctx, &s.id, &clauses, &mut clause_views).await
    {
        return r;
    }
    let compare = match view.versions.as_slice() {
        [newest, previous, ..] => Some(format!(
            "/standards/{}/diff?from={}&to={}",
            s.id,
            url_encode(&previous.version),
            url_encode(&newest.version)
        )),
        _ => None,
    };
    render(&DetailPage {
        notice: ctx.notice(&done),
        ledger,
        versions: lifecycle_pages::version_rows(&ctx, &view.versions),
        compare,
        drafts: lifecycle_pages::drafts_of(&s.id),
        events: events
            .iter()
            .map(|e| lifecycle_pages::event_view(&ctx, e))
            .collect(),
        may_revise: s.origin == standards::Origin::Platform && lifecycle_pages::may_apply(&ctx),
        may_supplement: s.origin == standards::Origin::Platform
            && version.stage == standards::Stage::Released
            && supplement_pages::may_create(&ctx),
        version_id: version.id.clone(),
        row: row(&ctx, s),
        scope: in_lang(&ctx, &s.scope_zh, &s.scope_en),
        owner: s.owner_name.clone(),
        version: version.version.clone(),
        released: version.released_at.map(|t| t.human()).unwrap_or_default(),
        effective: version.effective_on.clone().unwrap_or_default(),
        review_due: version.review_due_on.clone().unwrap_or_default(),
        sha256: version.content_sha256.clone().unwrap_or_default(),
        references: s
            .references
            .iter()
            .map(|r| {
                let title = catalogue
                    .find(r)
                    .map(|e| e.title.clone())
                    .unwrap_or_default();
                (r.clone(), title)
            })
            .collect(),
        clauses: clause_views,
        ctx: &ctx,
    })
}

/// A matched clause as the item's page shows it.
pub struct MatchView {
    pub standard_id: String,
    pub code: String,
    pub title: String,
    pub clause: ClauseView,
    /// (condition, wanted, actual, verdict class).
    pub checks: Vec<(String, String, String, String)>,
    /// (limit, the item's value, `kept` / `exceeded` / `unknown`).
    pub limit: Option<(String, String, String)>,
    /// The local supplementary clauses of the item's organisation (or its park) against
    /// this clause.
    pub supplements: Vec<LocalView>,
}

/// A local supplementary clause as it bears on an item.
pub struct LocalView {
    pub id: String,
    pub number: String,
    pub org: String,
    pub text: String,
    pub status: String,
    pub status_label: String,
    /// Each of its limits: (limit, the item's value, `kept` / `exceeded` / `unknown`).
    pub limits: Vec<(String, String, String)>,
}

/// A limit against an item: (limit, the item's value, `kept` / `exceeded` / `unknown`).
fn limit_row(ctx: &PageCtx, l: &LimitStatus) -> (String, String, String) {
    (
        l.limit.clone(),
        match (l.value, l.status.as_str()) {
            (Some(v), _) => super::num(Some(v)),
            (None, "kept") => ctx.t("none"),
            (None, _) => ctx.t("unknown"),
        },
        l.status.clone(),
    )
}

fn local_view(ctx: &PageCtx, s: &LocalSupplement) -> LocalView {
    LocalView {
        id: s.id.clone(),
        number: s.number.clone(),
        org: s.org_name.clone(),
        text: in_lang(ctx, &s.text_zh, &s.text_en),
        status: s.status.as_str().to_owned(),
        status_label: ctx.label("supplement-status", s.status.as_str()),
        limits: s.limits.iter().map(|l| limit_row(ctx, l)).collect(),
    }
}

fn check_row(ctx: &PageCtx, c: &Check) -> (String, String, String, String) {
    let verdict = match c.verdict {
        Verdict::Met => "met",
        Verdict::NotMet => "not-met",
        Verdict::Unknown => "unknown",
    };
    (
        ctx.t(&format!("standard-cond-{}", c.condition)),
        c.wanted.clone(),
        c.actual.clone().unwrap_or_else(|| ctx.t("unknown")),
        verdict.to_owned(),
    )
}

fn match_view(ctx: &PageCtx, m: &Matched) -> MatchView {
    MatchView {
        standard_id: m.standard_id.clone(),
        code: m.code.clone(),
        title: in_lang(ctx, &m.title_zh, &m.title_en),
        clause: clause_view(ctx, &m.clause),
        checks: m.checks.iter().map(|c| check_row(ctx, c)).collect(),
        limit: m.limit.as_ref().map(|l| limit_row(ctx, l)),
        supplements: m.supplements.iter().map(|s| local_view(ctx, s)).collect(),
    }
}

#[derive(Template)]
#[template(path = "equipment_standards.html")]
struct ItemPage<'a> {
    ctx: &'a PageCtx,
    id: EquipmentId,
    tag: String,
    name: String,
    risk_grade: String,
    mandatory: usize,
    exceeded: usize,
    applicable: Vec<MatchView>,
    undecided: Vec<MatchView>,
}

/// The clauses that apply to an item, mandatory first, each with its reasons.
pub async fn for_item(ctx: PageCtx, Path(id): Path<EquipmentId>) -> Response {
    if let Err(e) = ctx.require_actor() {
        return e.into_response();
    }
    let item = match ticorr_equipment::get(&ctx.state.db, &ctx.state.gate, ctx.caller(), id).await {
        Ok(v) => v,
        Err(e) => return ctx.equipment_error(e).into_response(),
    };
    let result =
        match standards::match_view(&ctx.state.db, &ctx.state.gate, ctx.caller(), &item).await {
            Ok(r) => r,
            Err(e) => return ctx.standards_error(e).into_response(),
        };
    render(&ItemPage {
        id,
        tag: item.item.tag.clone(),
        name: item.item.name.clone(),
        risk_grade: result.risk_grade.clone().unwrap_or_default(),
        mandatory: result
            .applicable
            .iter()
            .filter(|m| m.clause.kind == ClauseKind::Mandatory)
            .count(),
        exceeded: result
            .applicable
            .iter()
            .filter(|m| m.limit.as_ref().is_some_and(|l| l.status == "exceeded"))
            .count(),
        applicable: result
            .applicable
            .iter()
            .map(|m| match_view(&ctx, m))
            .collect(),
        undecided: result
            .undecided
            .iter()
            .map(|m| match_view(&ctx, m))
            .collect(),
        ctx: &ctx,
    })
}

/// A clause with the organisation's items it applies to, as the page shows it.
pub struct OrgClause {
    pub standard_id: String,
    pub code: String,
    pub title: String,
    pub clause: ClauseView,
    pub items: Vec<(EquipmentId, String)>,
    pub exceeded: Vec<(EquipmentId, String)>,
}

#[derive(Template)]
#[template(path = "standards_applicable.html")]
struct ApplicablePage<'a> {
    ctx: &'a PageCtx,
    items: usize,
    mandatory: usize,
    exceeded: usize,
    clauses: Vec<OrgClause>,
}

/// The clauses that apply to the organisation's equipment, with the items behind each.
pub async fn applicable(ctx: PageCtx) -> Response {
    if let Err(e) = ctx.require_actor() {
        return e.into_response();
    }
    let m = match standards::match_org(&ctx.state.db, &ctx.state.gate, ctx.caller()).await {
        Ok(m) => m,
        Err(e) => return ctx.standards_error(e).into_response(),
    };
    render(&ApplicablePage {
        items: m.items,
        mandatory: m
            .clauses
            .iter()
            .filter(|c| c.clause.kind == ClauseKind::Mandatory)
            .count(),
        exceeded: m.clauses.iter().filter(|c| !c.exceeded.is_empty()).count(),
        clauses: m
            .clauses
            .iter()
            .map(|c| OrgClause {
                standard_id: c.standard_id.clone(),
                code: c.code.clone(),
                title: in_lang(&ctx, &c.title_zh, &c.title_en),
                clause: clause_view(&ctx, &c.clause),
                items: c.items.clone(),
                exceeded: c.exceeded.clone(),
            })
            .collect(),
        ctx: &ctx,
    })
}

/// A checklist row as the page shows it.
pub struct CheckRow {
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
    pub error: Option<String>,
}

/// A checklist with its score, as the list and the checklist page show it.
pub struct InspectionSummary {
    pub id: String,
    pub title: String,
    pub created: String,
    pub outcome: String,
    pub outcome_label: String,
    pub answered: usize,
    pub rows: usize,
    pub percent: String,
    pub critical: usize,
}

pub(super) fn summary(tr: Tr<'_>, v: &standards::inspection::InspectionView) -> InspectionSummary {
    let s = &v.score;
    InspectionSummary {
        id: v.inspection.id.clone(),
        title: if v.inspection.title.is_empty() {
            tr.t("inspection-all-equipment")
        } else {
            v.inspection.title.clone()
        },
        created: v.inspection.created_at.human(),
        outcome: s.outcome.clone(),
        outcome_label: tr.label("inspection-outcome", &s.outcome),
        answered: s.answered,
        rows: s.rows,
        percent: s
            .percent
            .map(|p| format!("{p} %"))
            .unwrap_or_else(|| "—".into()),
        critical: s.critical,
    }
}

#[derive(Template)]
#[template(path = "inspections.html")]
struct InspectionsPage<'a> {
    ctx: &'a PageCtx,
    items: Vec<InspectionSummary>,
}

/// The organisation's self-inspections, with a button to start one for all its items.
pub async fn inspections(ctx: PageCtx) -> Response {
    if let Err(e) = ctx.require_actor() {
        return e.into_response();
    }
    match standards::inspection::list(&ctx.state.db, &ctx.state.gate, ctx.caller()).await {
        Ok(list) => render(&InspectionsPage {
            items: list.iter().map(|v| summary(ctx.tr(), v)).collect(),
            ctx: &ctx,
        }),
        Err(e) => ctx.standards_error(e).into_response(),
    }
}

#[derive(serde::Deserialize, Default)]
pub struct StartForm {
    #[serde(default)]
    equipment_id: String,
}

/// Starts a checklist (for one item when the form names it) and opens it.
pub async fn start_inspection(form: super::CsrfForm<StartForm>) -> Response {
    let super::CsrfForm { ctx, form, .. } = form;
    if let Err(e) = ctx.require_actor() {
        return e.into_response();
    }
    let item = form.equipment_id.trim().parse::<EquipmentId>().ok();
    match standards::inspection::start(&ctx.state.db, &ctx.state.gate, ctx.caller(), item).await {
        Ok(v) => super::see_other(&format!("/standards/self-inspections/{}", v.inspection.id)),
        Err(e) => ctx.standards_error(e).into_response(),
    }
}

#[derive(Template)]
#[template(path = "inspection.html")]
struct InspectionPage<'a> {
    ctx: &'a PageCtx,
    summary: InspectionSummary,
    rows: Vec<CheckRow>,
    notice: Option<String>,
    has_errors: bool,
}

fn inspection_page(
    ctx: &PageCtx,
    v: &standards::inspection::InspectionView,
    typed: Option<&std::collections::HashMap<String, String>>,
    errors: &ticorr_kernel::FieldErrors,
    notice: Option<String>,
) -> Response {
    let rows = v
        .rows
        .iter()
        .map(|r| {
            let typed_value =
                |k: &str| typed.and_then(|t| t.get(&format!("{k}.{}", r.position)).cloned());
            CheckRow {
                position: r.position,
                standard_id: r.standard_id.clone(),
                code: r.code.clone(),
                number: r.number.clone(),
                mandatory: r.kind == ClauseKind::Mandatory,
                kind: ctx.label("clause-kind", r.kind.as_str()),
                text: in_lang(ctx, &r.text_zh, &r.text_en),
                applies_to: r.applies_to.join(", "),
                verdict: typed_value("verdict").unwrap_or_else(|| {
                    r.verdict.map(|v| v.as_str().to_owned()).unwrap_or_default()
                }),
                note: typed_value("note").unwrap_or_else(|| r.note.clone().unwrap_or_default()),
                error: errors
                    .iter()
                    .find(|e| e.field == format!("answers.{}", r.position))
                    .map(|e| e.message.clone()),
            }
        })
        .collect();
    let status = if errors.is_empty() {
        axum::http::StatusCode::OK
    } else {
        axum::http::StatusCode::UNPROCESSABLE_ENTITY
    };
    (
        status,
        render(&InspectionPage {
            summary: summary(ctx.tr(), v),
            rows,
            notice,
            has_errors: !errors.is_empty(),
            ctx,
        }),
    )
        .into_response()
}

/// A checklist to answer.
pub async fn inspection(
    ctx: PageCtx,
    Path(id): Path<String>,
    Query(done): Query<super::Done>,
) -> Response {
    if let Err(e) = ctx.require_actor() {
        return e.into_response();
    }
    match standards::inspection::get(&ctx.state.db, &ctx.state.gate, ctx.caller(), &id).await {
        Ok(v) => {
            let notice = ctx.notice(&done);
            inspection_page(&ctx, &v, None, &ticorr_kernel::FieldErrors::new(), notice)
        }
        Err(e) => ctx.standards_error(e).into_response(),
    }
}

/// Saves the answers of the checklist form (`verdict.<position>`, `note.<position>`).
pub async fn answer_inspection(
    Path(id): Path<String>,
    form: super::CsrfForm<serde::de::IgnoredAny>,
) -> Response {
    let super::CsrfForm { ctx, pairs, .. } = form;
    if let Err(e) = ctx.require_actor() {
        return e.into_response();
    }
    let typed: std::collections::HashMap<String, String> = pairs.into_iter().collect();
    let current =
        match standards::inspection::get(&ctx.state.db, &ctx.state.gate, ctx.caller(), &id).await {
            Ok(v) => v,
            Err(e) => return ctx.standards_error(e).into_response(),
        };
    let answers: Vec<standards::inspection::Answer> = current
        .rows
        .iter()
        .map(|r| standards::inspection::Answer {
            position: r.position,
            verdict: typed.get(&format!("verdict.{}", r.position)).cloned(),
            note: typed.get(&format!("note.{}", r.position)).cloned(),
        })
        .collect();
    match standards::inspection::answer(&ctx.state.db, &ctx.state.gate, ctx.caller(), &id, &answers)
        .await
    {
        Ok(_) => super::see_other(&format!("/standards/self-inspections/{id}?done=saved")),
        Err(standards::StandardsError::Fields(errors)) => {
            inspection_page(&ctx, &current, Some(&typed), &errors, None)
        }
        Err(e) => ctx.standards_error(e).into_response(),
    }
}
