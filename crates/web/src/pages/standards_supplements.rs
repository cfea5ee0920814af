//! The pages of local supplementary clauses: an enterprise or a park writes its own clause
//! against a clause of a released platform standard; the page compares their limits
//! parameter by parameter; experts of other organisations give verdicts; organisations
//! record applying it on their equipment; once enough effective applications exist the
//! secretariat promotes it into a revision of the unified standard.
//!
//! Every read and step goes through the module's `supplement` functions, which ask the
//! policies. The pages ask them too (`would_allow`), but only to decide which forms to
//! show. A step refused for its input or for the clause's state re-renders the page with
//! the reason and what was typed; nothing is written.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use ticorr_kernel::{EquipmentId, FieldErrors, Level, OrgId, OrgKind};
use ticorr_platform::identity::orgs;
use ticorr_platform::policy::{Action, Actor, DraftRef, RecordRef, Resource};
use ticorr_standards::lifecycle::{self, DraftStage};
use ticorr_standards::supplement::{
    self, ApplicationInput, ApplicationOutcome, Equivalence, NewSupplement, Supplement,
    SupplementFilter, SupplementStatus, SupplementView, VerdictInput,
};
use ticorr_standards::{self as standards, Applies, Clause, Limit, StandardsError};

use super::standards::{ClauseView, clause_view, conditions, in_lang};
use super::standards_lifecycle::{Failure, RuleView, failure_with, platform_standards};
use super::{CsrfForm, Done, Options, PageCtx, PageError, render, see_other, url_encode};
use crate::i18n::Lang;

/// How many limit rows the form offers.
const LIMIT_ROWS: usize = 3;

/// What was typed into a form, by field name.
type Typed = HashMap<String, String>;

fn typed(pairs: &[(String, String)]) -> Typed {
    pairs
        .iter()
        .filter(|(k, _)| k != "_csrf")
        .cloned()
        .collect()
}

fn field(t: &Typed, key: &str) -> String {
    t.get(key).cloned().unwrap_or_default()
}

/// Whether the caller's organisation could hold a supplementary clause of its own; decides
/// whether to offer the form, never guards the step.
pub(super) fn may_create(ctx: &PageCtx) -> bool {
    ctx.actor().is_some_and(|a| {
        ctx.state.gate.would_allow(
            ctx.caller(),
            Action::Create,
            &Resource::Record(RecordRef {
                kind: supplement::RECORD_KIND,
                id: String::new(),
                level: Level::Private,
                owner: a.org_id,
                parks: vec![],
            }),
        )
    })
}

// ---- messages ----

/// Module errors whose English text carries the specifics (which limit, which topic): the
/// page's own sentence is followed by them.
const DETAILED: &[(&str, &str)] = &[("limits", "unknown"), ("verdict", "not_eligible")];

/// Every (field, code) the module and these pages refuse with, for the key check.
#[cfg(test)]
const CODES: &[(&str, &str)] = &[
    ("level", "not_allowed"),
    ("park_id", "required"),
    ("base_clause_id", "unknown"),
    ("number", "required"),
    ("text_zh", "required"),
    ("text_en", "required"),
    ("justification", "required"),
    ("limits", "unknown"),
    ("limits", "incomplete"),
    ("limits", "not_a_number"),
    ("provinces", "unknown"),
    ("reason", "required"),
    ("verdict", "not_eligible"),
    ("verdict", "unknown"),
    ("applied_from", "future"),
    ("applied_from", "invalid"),
    ("note", "required"),
    ("equipment_id", "unknown"),
    ("outcome", "unknown"),
];

/// The field errors for display: (field, message), in the page's own words with the
/// module's specifics where they matter.
fn field_texts(ctx: &PageCtx, errors: &FieldErrors) -> Vec<(String, String)> {
    errors
        .iter()
        .map(|e| {
            let key = format!("supplement-error-{}-{}", e.field, e.code);
            let detailed = DETAILED.iter().any(|(f, c)| *f == e.field && *c == e.code);
            let text = if detailed && ctx.lang == Lang::En {
                e.message.clone()
            } else if ctx.state.i18n.has(ctx.lang, &key) {
                let own = ctx.t(&key);
                if detailed {
                    format!("{own}（{}）", e.message)
                } else {
                    own
                }
            } else {
                e.message.clone()
            };
            (e.field.clone(), text)
        })
        .collect()
}

/// One of the page's own refusals, in the page's words.
fn own_error(ctx: &PageCtx, field: &str, code: &str, detail: &str) -> (String, String) {
    let text = ctx.t(&format!("supplement-error-{field}-{code}"));
    let text = match (detail.is_empty(), ctx.lang) {
        (true, _) => text,
        (false, Lang::Zh) => format!("{text}（{detail}）"),
        (false, Lang::En) => format!("{text} ({detail})"),
    };
    (field.to_owned(), text)
}

/// Turns a refused step into what the page shows: field errors and conflicts with the
/// clause's state stay on the page; everything else is the error page.
fn failure(
    ctx: &PageCtx,
    e: StandardsError,
    form: &str,
    typed: Typed,
) -> Result<Failure, PageError> {
    failure_with(ctx, e, form, typed, "supplement", field_texts)
}

// ---- shared views ----

/// A message with several numbers.
fn t_args(ctx: &PageCtx, key: &str, args: &[(&str, usize)]) -> String {
    let args: Vec<(&str, fluent_bundle::FluentValue<'_>)> = args
        .iter()
        .map(|(k, v)| (*k, fluent_bundle::FluentValue::from(v.to_string())))
        .collect();
    ctx.state.i18n.get(ctx.lang, key, &args)
}

fn status_label(ctx: &PageCtx, s: SupplementStatus) -> String {
    ctx.label("supplement-status", s.as_str())
}

/// A risk-model input's name in the page's language, with its code.
fn parameter_label(ctx: &PageCtx, parameter: &str) -> String {
    let key = format!("risk-in-{parameter}");
    if ctx.state.i18n.has(ctx.lang, &key) {
        format!("{} ({parameter})", ctx.t(&key))
    } else {
        parameter.to_owned()
    }
}

/// The risk-model inputs a limit may bound: those measured in a unit, with the unit as
/// people write it.
fn parameters() -> Vec<(String, String)> {
    ticorr_platform::risk::load()
        .map(|risk| {
            risk.rules
                .inputs
                .iter()
                .filter_map(|spec| {
                    spec.unit
                        .as_ref()
                        .map(|u| (spec.name.clone(), u.replace("degC", "°C")))
                })
                .collect()
        })
        .unwrap_or_default()
}

// ---- the list ----

/// The list's filters and the notice after a step.
#[derive(serde::Deserialize, Default)]
pub struct ListQuery {
    #[serde(default)]
    status: String,
    #[serde(default)]
    standard_id: String,
}

/// A supplementary clause as the list shows it.
pub struct Row {
    pub id: String,
    pub org: String,
    pub number: String,
    pub standard_id: String,
    pub base: String,
    pub base_number: String,
    pub level: String,
    pub status: String,
    pub status_label: String,
    pub updated: String,
}

fn row(ctx: &PageCtx, s: &Supplement) -> Row {
    Row {
        id: s.id.clone(),
        org: s.org_name.clone(),
        number: s.number.clone(),
        standard_id: s.base_standard_id.clone(),
        base: format!("{} {}", s.base_code, s.base_number),
        base_number: s.base_number.clone(),
        level: s.level.as_str().to_owned(),
        status: s.status.as_str().to_owned(),
        status_label: status_label(ctx, s.status),
        updated: s.updated_at.human(),
    }
}

#[derive(Template)]
#[template(path = "supplements.html")]
struct ListPage<'a> {
    ctx: &'a PageCtx,
    rows: Vec<Row>,
    status: String,
    statuses: Options,
    /// The standard the list is narrowed to: (id, "code title").
    standard: Option<(String, String)>,
    may_create: bool,
}

/// The supplementary clauses the caller may read: their organisation's, their parks', and
/// those shared at the industry level.
pub async fn list(ctx: PageCtx, Query(q): Query<ListQuery>) -> Response {
    if let Err(e) = ctx.require_actor() {
        return e.into_response();
    }
    let standard_id = Some(q.standard_id.trim().to_owned()).filter(|s| !s.is_empty());
    let filter = SupplementFilter {
        standard_id: standard_id.clone(),
        status: Some(q.status.clone()).filter(|s| !s.is_empty()),
    };
    let rows = match supplement::list(&ctx.state.db, &ctx.state.gate, ctx.caller(), &filter).await {
        Ok(list) => list.iter().map(|s| row(&ctx, s)).collect(),
        Err(e) => return ctx.standards_error(e).into_response(),
    };
    let standard = match &standard_id {
        Some(id) => match standards::get(&ctx.state.db, &ctx.state.gate, ctx.caller(), id).await {
            Ok(v) => Some((
                v.standard.id.clone(),
                format!(
                    "{} {}",
                    v.standard.code,
                    in_lang(&ctx, &v.standard.title_zh, &v.standard.title_en)
                ),
            )),
            Err(e) => return ctx.standards_error(e).into_response(),
        },
        None => None,
    };
    let statuses = SupplementStatus::ALL
        .iter()
        .map(|s| (s.as_str().to_owned(), status_label(&ctx, *s)))
        .collect();
    render(&ListPage {
        rows,
        status: q.status,
        statuses,
        standard,
        may_create: may_create(&ctx),
        ctx: &ctx,
    })
}

// ---- the form ----

/// The form's presets: a standard to pick a clause of, or the clause itself.
#[derive(serde::Deserialize, Default)]
pub struct NewQuery {
    #[serde(default)]
    standard_id: String,
    #[serde(default)]
    clause_id: String,
}

/// A limit row of the form, as typed.
pub struct LimitRow {
    pub index: usize,
    pub parameter: String,
    pub op: String,
    pub value: String,
    pub unit: String,
}

/// The form's values, kept as typed.
#[derive(Default)]
pub struct NewValues {
    pub standard_id: String,
    pub base_clause_id: String,
    pub number: String,
    pub text_zh: String,
    pub text_en: String,
    pub justification: String,
    pub provinces: String,
    pub media: String,
    pub level: String,
    pub park_id: String,
}

impl NewValues {
    fn of(t: &Typed) -> NewValues {
        NewValues {
            standard_id: field(t, "standard_id"),
            base_clause_id: field(t, "base_clause_id"),
            number: field(t, "number"),
            text_zh: field(t, "text_zh"),
            text_en: field(t, "text_en"),
            justification: field(t, "justification"),
            provinces: field(t, "provinces"),
            media: field(t, "media"),
            level: field(t, "level"),
            park_id: field(t, "park_id"),
        }
    }
}

fn limit_rows(t: &Typed) -> Vec<LimitRow> {
    (1..=LIMIT_ROWS)
        .map(|i| LimitRow {
            index: i,
            parameter: field(t, &format!("limit.{i}.parameter")),
            op: field(t, &format!("limit.{i}.op")),
            value: field(t, &format!("limit.{i}.value")),
            unit: field(t, &format!("limit.{i}.unit")),
        })
        .collect()
}

/// The clause the supplement is written against, read-only on the form.
pub struct BaseView {
    pub standard_id: String,
    pub standard: String,
    pub clause: ClauseView,
}

#[derive(Template)]
#[template(path = "supplement_new.html")]
struct NewPage<'a> {
    ctx: &'a PageCtx,
    form: NewValues,
    limits: Vec<LimitRow>,
    errors: Vec<(String, String)>,
    standards: Options,
    /// The clauses of the chosen standard, when no clause is fixed yet.
    clauses: Options,
    base: Option<BaseView>,
    /// (input name, label, unit).
    parameters: Vec<(String, String, String)>,
    ops: [&'static str; 4],
    levels: Vec<(String, String, String)>,
    parks: Options,
}

impl NewPage<'_> {
    /// Whether a field has an error (to mark it).
    fn has(&self, name: &str) -> bool {
        self.errors.iter().any(|(f, _)| f == name)
    }
}

/// A clause's text shortened for a choice list.
fn gist(text: &str) -> String {
    let mut s: String = text.chars().take(60).collect();
    if text.chars().count() > 60 {
        s.push('…');
    }
    s
}

/// The released clauses of a standard, or none when it has no released version.
async fn released_clauses(
    ctx: &PageCtx,
    standard_id: &str,
) -> Result<Option<(String, Vec<Clause>)>, StandardsError> {
    match standards::clauses(
        &ctx.state.db,
        &ctx.state.gate,
        ctx.caller(),
        standard_id,
        "current",
    )
    .await
    {
        Ok((view, _, clauses)) => {
            let s = &view.standard;
            let name = format!("{} {}", s.code, in_lang(ctx, &s.title_zh, &s.title_en));
            Ok(Some((name, clauses)))
        }
        Err(StandardsError::NotFound) => Ok(None),
        Err(e) => Err(e),
    }
}

/// The parks `actor`'s organisation may share a record with: the parks it is settled in,
/// or itself when it is a park.
pub(super) async fn park_options(ctx: &PageCtx, actor: &Actor) -> Result<Options, PageError> {
    let mut conn = ctx
        .state
        .db
        .pool()
        .acquire()
        .await
        .map_err(|e| ctx.storage_error(e))?;
    let mut parks: Options = orgs::park_summaries_of(&mut conn, actor.org_id)
        .await
        .map_err(|e| ctx.storage_error(e))?
        .into_iter()
        .map(|p| (p.id.to_string(), p.name))
        .collect();
    if actor.org_kind == OrgKind::Park {
        parks.insert(0, (actor.org_id.to_string(), actor.org_name.clone()));
    }
    Ok(parks)
}

async fn new_page(
    ctx: &PageCtx,
    mut form: NewValues,
    limits: Vec<LimitRow>,
    mut errors: Vec<(String, String)>,
    status: StatusCode,
) -> Response {
    let actor = match ctx.require_actor() {
        Ok(a) => a,
        Err(e) => return e.into_response(),
    };
    let standards = match platform_standards(ctx).await {
        Ok(s) => s,
        Err(e) => return ctx.standards_error(e).into_response(),
    };
    // The clause, when one is named: in the standard named with it, or else looked for
    // in each platform standard the caller may read.
    let mut base = None;
    let mut status = status;
    let clause_id = form.base_clause_id.trim().to_owned();
    if !clause_id.is_empty() {
        let candidates: Vec<String> = if form.standard_id.trim().is_empty() {
            standards.iter().map(|(id, _)| id.clone()).collect()
        } else {
            vec![form.standard_id.trim().to_owned()]
        };
        for sid in candidates {
            let found = match released_clauses(ctx, &sid).await {
                Ok(found) => found,
                Err(e) => return ctx.standards_error(e).into_response(),
            };
            if let Some((name, clauses)) = found
                && let Some(c) = clauses.iter().find(|c| c.id == clause_id)
            {
                base = Some(BaseView {
                    standard_id: sid.clone(),
                    standard: name,
                    clause: clause_view(ctx, c),
                });
                form.standard_id = sid;
                break;
            }
        }
        if base.is_none() {
            form.base_clause_id.clear();
            if !errors.iter().any(|(f, _)| f == "base_clause_id") {
                errors.push(own_error(ctx, "base_clause_id", "unknown", ""));
                status = StatusCode::UNPROCESSABLE_ENTITY;
            }
        }
    }
    let mut clauses: Options = Vec::new();
    if base.is_none() && !form.standard_id.trim().is_empty() {
        match released_clauses(ctx, form.standard_id.trim()).await {
            Ok(Some((_, list))) => {
                clauses = list
                    .iter()
                    .map(|c| {
                        (
                            c.id.clone(),
                            format!(
                                "{} {}",
                                c.number,
                                gist(&in_lang(ctx, &c.text_zh, &c.text_en))
                            ),
                        )
                    })
                    .collect();
            }
            Ok(None) => {
                errors.push(own_error(ctx, "standard_id", "unknown", ""));
                status = StatusCode::UNPROCESSABLE_ENTITY;
            }
            Err(e) => return ctx.standards_error(e).into_response(),
        }
    }
    let parks = match park_options(ctx, actor).await {
        Ok(p) => p,
        Err(e) => return e.into_response(),
    };
    let levels = [Level::Private, Level::Park, Level::Industry]
        .iter()
        .map(|l| {
            (
                l.as_str().to_owned(),
                ctx.label("level", l.as_str()),
                ctx.label("supplement-level-hint", l.as_str()),
            )
        })
        .collect();
    if form.level.is_empty() {
        form.level = Level::Private.as_str().to_owned();
    }
    let parameters = parameters()
        .into_iter()
        .map(|(name, unit)| {
            let label = parameter_label(ctx, &name);
            (name, label, unit)
        })
        .collect();
    (
        status,
        render(&NewPage {
            form,
            limits,
            errors,
            standards,
            clauses,
            base,
            parameters,
            ops: Limit::OPS,
            levels,
            parks,
            ctx,
        }),
    )
        .into_response()
}

/// The form: against the clause named (`?clause_id=…`), or a standard to pick one of its
/// clauses (`?standard_id=…`), or the platform standards to start from.
pub async fn new_form(ctx: PageCtx, Query(q): Query<NewQuery>) -> Response {
    if let Err(e) = ctx.require_actor() {
        return e.into_response();
    }
    let form = NewValues {
        standard_id: q.standard_id,
        base_clause_id: q.clause_id,
        ..NewValues::default()
    };
    new_page(
        &ctx,
        form,
        limit_rows(&Typed::new()),
        Vec::new(),
        StatusCode::OK,
    )
    .await
}

/// Words of a list typed into one box: separated by commas (either width), the Chinese
/// enumeration comma, semicolons or new lines.
fn words(text: &str) -> Vec<String> {
    text.split([',', '，', '、', ';', '；', '\n', '\r'])
        .map(str::trim)
        .filter(|w| !w.is_empty())
        .map(str::to_owned)
        .collect()
}

/// The limits typed into the rows: a row with nothing chosen is skipped; a row started
/// must be complete, with a number.
fn limits_from(ctx: &PageCtx, rows: &[LimitRow], errors: &mut Vec<(String, String)>) -> Vec<Limit> {
    let units: HashMap<String, String> = parameters().into_iter().collect();
    let mut limits = Vec::new();
    for r in rows {
        let (parameter, value, unit) = (r.parameter.trim(), r.value.trim(), r.unit.trim());
        if parameter.is_empty() && value.is_empty() {
            continue;
        }
        let n = r.index.to_string();
        if parameter.is_empty() || r.op.is_empty() || value.is_empty() {
            errors.push(own_error(ctx, "limits", "incomplete", &n));
            continue;
        }
        let Some(v) = value
            .replace('，', ".")
            .parse::<f64>()
            .ok()
            .filter(|v| v.is_finite())
        else {
            errors.push(own_error(ctx, "limits", "not_a_number", &n));
            continue;
        };
        limits.push(Limit {
            parameter: parameter.to_owned(),
            op: r.op.clone(),
            value: v,
            unit: if unit.is_empty() {
                units.get(parameter).cloned().unwrap_or_default()
            } else {
                unit.to_owned()
            },
        });
    }
    limits
}

/// Records the supplementary clause; on a refusal the form comes back with the reasons
/// and the input.
pub async fn create(form: CsrfForm<serde::de::IgnoredAny>) -> Response {
    let CsrfForm { ctx, pairs, .. } = form;
    if let Err(e) = ctx.require_actor() {
        return e.into_response();
    }
    let t = typed(&pairs);
    let values = NewValues::of(&t);
    let rows = limit_rows(&t);
    let mut errors = Vec::new();
    let limits = limits_from(&ctx, &rows, &mut errors);
    let provinces: Vec<String> = values
        .provinces
        .split(|c: char| !c.is_ascii_digit())
        .filter(|w| !w.is_empty())
        .map(str::to_owned)
        .collect();
    let regions = ticorr_platform::refdata::get();
    let unknown: Vec<&str> = provinces
        .iter()
        .filter(|p| !p.ends_with("0000") || regions.region(p).is_none())
        .map(String::as_str)
        .collect();
    if !unknown.is_empty() {
        errors.push(own_error(&ctx, "provinces", "unknown", &unknown.join(", ")));
    }
    let park_id = match values.park_id.trim() {
        "" => None,
        p => match p.parse::<OrgId>() {
            Ok(p) => Some(p),
            Err(_) => {
                errors.push(own_error(&ctx, "park_id", "required", ""));
                None
            }
        },
    };
    if !errors.is_empty() {
        return new_page(&ctx, values, rows, errors, StatusCode::UNPROCESSABLE_ENTITY).await;
    }
    let new = NewSupplement {
        base_clause_id: values.base_clause_id.trim().to_owned(),
        number: values.number.clone(),
        text_zh: values.text_zh.clone(),
        text_en: values.text_en.clone(),
        justification: values.justification.clone(),
        applies: Applies {
            provinces,
            media: words(&values.media),
            ..Applies::default()
        },
        limits,
        level: Some(values.level.clone()).filter(|l| !l.is_empty()),
        // A park is named only for the park level.
        park_id: park_id.filter(|_| values.level == Level::Park.as_str()),
    };
    match supplement::create(&ctx.state.db, &ctx.state.gate, ctx.caller(), &new).await {
        Ok(v) => see_other(&format!(
            "/standards/supplements/{}?done=supplement-created",
            v.supplement.id
        )),
        Err(e) => match failure(&ctx, e, "new", t) {
            Ok(f) => new_page(&ctx, values, rows, f.messages, f.status).await,
            Err(page) => page.into_response(),
        },
    }
}

// ---- the clause's page ----

/// The facts at the head of the clause's page.
pub struct Head {
    pub id: String,
    pub number: String,
    pub org: String,
    pub level: String,
    /// The park a park-level clause is shared with.
    pub park: Option<String>,
    pub status: String,
    pub status_label: String,
    pub standard_id: String,
    pub base: String,
    pub base_number: String,
    pub created: String,
    pub updated: String,
    pub draft_id: Option<String>,
}

/// The local clause as the page shows it, beside the unified one.
pub struct LocalClause {
    pub text: String,
    /// The text in the other language, for the bilingual record.
    pub other_text: String,
    pub justification: String,
    pub conditions: Vec<String>,
    pub limits: Vec<String>,
}

/// One parameter compared.
pub struct ComparisonRow {
    pub parameter: String,
    pub unified: String,
    pub local: String,
    pub verdict: String,
    pub verdict_label: String,
}

/// An expert's verdict as the table shows it.
pub struct VerdictRow {
    pub who: String,
    pub org: String,
    pub verdict: String,
    pub verdict_label: String,
    pub reason: String,
    pub at: String,
}

/// Where the expert group stands.
pub struct GroupView {
    pub equivalent: usize,
    pub stricter: usize,
    pub not_equivalent: usize,
    pub given: usize,
    pub needed: usize,
    pub outcome: String,
    pub outcome_label: String,
    /// "2 of 3 verdicts needed".
    pub progress: String,
}

/// An engineering application as the table shows it.
pub struct ApplicationRow {
    pub org: String,
    pub tag: String,
    pub from: String,
    pub outcome: String,
    pub outcome_label: String,
    pub note: String,
    pub recorded: String,
}

/// How far the clause is from promotion.
pub struct PromotionView {
    pub effective: usize,
    pub organisations: usize,
    pub needed_applications: usize,
    pub needed_organisations: usize,
    pub ready: bool,
    pub verified: bool,
    /// "3 of 3 effective applications, 2 of 2 organisations".
    pub progress: String,
}

/// The forms' values: prefilled, or as typed when the form was refused.
pub struct Forms {
    pub verdict: String,
    pub reason: String,
    pub equipment_id: String,
    pub applied_from: String,
    pub outcome: String,
    pub note: String,
}

/// What the caller may do on the clause, as the policies would decide.
pub struct May {
    pub assess: bool,
    pub apply: bool,
    pub promote: bool,
}

#[derive(Template)]
#[template(path = "supplement.html")]
struct DetailPage<'a> {
    ctx: &'a PageCtx,
    head: Head,
    c: ClauseView,
    local: LocalClause,
    comparison: Vec<ComparisonRow>,
    verdicts: Vec<VerdictRow>,
    group: GroupView,
    group_rule: RuleView,
    applications: Vec<ApplicationRow>,
    promotion: PromotionView,
    promotion_rule: RuleView,
    may: May,
    /// Whether verdicts are taken at the clause's status.
    assessable: bool,
    equipment: Options,
    outcomes: Options,
    verdict_choices: Options,
    forms: Forms,
    notice: Option<String>,
    errors: Vec<(String, String)>,
    failed: String,
}

impl DetailPage<'_> {
    fn failed_here(&self, form: &str) -> bool {
        self.failed == form
    }
}

fn group_rule(ctx: &PageCtx) -> RuleView {
    let r = &lifecycle::rules().review;
    RuleView {
        lines: vec![
            ctx.t1("supplement-group-rule-min", "count", r.min_reviewers),
            ctx.t("supplement-group-rule-half"),
        ],
        source: r.source.clone(),
        convention: r.convention,
        unverified: r.unverified,
    }
}

fn promotion_rule(ctx: &PageCtx) -> RuleView {
    let r = &lifecycle::rules().promotion;
    RuleView {
        lines: vec![t_args(
            ctx,
            "supplement-promotion-rule",
            &[
                ("applications", r.min_applications),
                ("organisations", r.min_organisations),
            ],
        )],
        source: r.source.clone(),
        convention: r.convention,
        unverified: false,
    }
}

/// The prospective revision proposal of the caller's organisation, as the policies see
/// it: whether they may steer the unified standards decides the promote button.
fn may_steer(ctx: &PageCtx) -> bool {
    ctx.actor().is_some_and(|a| {
        ctx.state.gate.would_allow(
            ctx.caller(),
            Action::SteerStandards,
            &Resource::StandardDraft(DraftRef {
                id: String::new(),
                applicant: a.org_id,
                stage: DraftStage::Draft.as_str(),
                reviewers: vec![],
            }),
        )
    })
}

fn may_record_application(ctx: &PageCtx) -> bool {
    ctx.actor().is_some_and(|a| {
        ctx.state.gate.would_allow(
            ctx.caller(),
            Action::Create,
            &Resource::Record(RecordRef {
                kind: supplement::APPLICATION_KIND,
                id: String::new(),
                level: Level::Private,
                owner: a.org_id,
                parks: vec![],
            }),
        )
    })
}

fn head(ctx: &PageCtx, s: &Supplement) -> Head {
    Head {
        id: s.id.clone(),
        number: s.number.clone(),
        org: s.org_name.clone(),
        level: s.level.as_str().to_owned(),
        park: s.park_name.clone(),
        status: s.status.as_str().to_owned(),
        status_label: status_label(ctx, s.status),
        standard_id: s.base_standard_id.clone(),
        base: format!("{} {}", s.base_code, s.base_number),
        base_number: s.base_number.clone(),
        created: s.created_at.human(),
        updated: s.updated_at.human(),
        draft_id: s.draft_id.clone(),
    }
}

fn local_clause(ctx: &PageCtx, s: &Supplement) -> LocalClause {
    LocalClause {
        text: in_lang(ctx, &s.text_zh, &s.text_en),
        other_text: in_lang(ctx, &s.text_en, &s.text_zh),
        justification: s.justification.clone(),
        conditions: conditions(ctx, &s.applies),
        limits: s.limits.iter().map(Limit::text).collect(),
    }
}

async fn detail_page(
    ctx: &PageCtx,
    id: &str,
    notice: Option<String>,
    failure: Option<Failure>,
) -> Response {
    let actor = match ctx.require_actor() {
        Ok(a) => a,
        Err(e) => return e.into_response(),
    };
    let view: SupplementView =
        match supplement::get(&ctx.state.db, &ctx.state.gate, ctx.caller(), id).await {
            Ok(v) => v,
            Err(e) => return ctx.standards_error(e).into_response(),
        };
    let s = &view.supplement;
    let may = May {
        assess: ctx
            .state
            .gate
            .would_allow(ctx.caller(), Action::AssessEquivalence, &s.resource()),
        apply: may_record_application(ctx),
        promote: s.status == SupplementStatus::PromotionProposed && may_steer(ctx),
    };
    let equipment = if may.apply {
        let filter = ticorr_equipment::ListFilter {
            org_id: Some(actor.org_id),
            ..Default::default()
        };
        match ticorr_equipment::all_readable(&ctx.state.db, &ctx.state.gate, ctx.caller(), &filter)
            .await
        {
            Ok(items) => items
                .iter()
                .filter(|v| v.item.org_id == actor.org_id)
                .map(|v| {
                    (
                        v.item.id.to_string(),
                        format!("{} · {}", v.item.tag, v.item.name),
                    )
                })
                .collect(),
            Err(e) => return ctx.equipment_error(e).into_response(),
        }
    } else {
        Vec::new()
    };
    let (status, errors, failed, t) = match failure {
        Some(f) => (f.status, f.messages, f.form, f.typed),
        None => (StatusCode::OK, Vec::new(), String::new(), Typed::new()),
    };
    let echo = |form: &str, key: &str, default: String| {
        if failed == form {
            field(&t, key)
        } else {
            default
        }
    };
    let today = ctx.state.gate.clock().now().inner().date();
    let forms = Forms {
        verdict: echo("verdict", "verdict", String::new()),
        reason: echo("verdict", "reason", String::new()),
        equipment_id: echo("application", "equipment_id", String::new()),
        applied_from: echo("application", "applied_from", today.to_string()),
        outcome: echo(
            "application",
            "outcome",
            ApplicationOutcome::Effective.as_str().to_owned(),
        ),
        note: echo("application", "note", String::new()),
    };
    let g = &view.group;
    let given = g.equivalent + g.stricter + g.not_equivalent;
    let group = GroupView {
        equivalent: g.equivalent,
        stricter: g.stricter,
        not_equivalent: g.not_equivalent,
        given,
        needed: g.needed,
        outcome: g
            .outcome
            .map(|o| o.as_str().to_owned())
            .unwrap_or_else(|| "pending".to_owned()),
        outcome_label: g
            .outcome
            .map(|o| ctx.label("supplement-verdict", o.as_str()))
            .unwrap_or_else(|| ctx.t("supplement-group-pending")),
        progress: t_args(
            ctx,
            "supplement-group-progress",
            &[("given", given), ("needed", g.needed)],
        ),
    };
    let p = &view.promotion;
    let promotion = PromotionView {
        effective: p.effective,
        organisations: p.organisations,
        needed_applications: p.needed_applications,
        needed_organisations: p.needed_organisations,
        ready: p.ready,
        verified: matches!(
            s.status,
            SupplementStatus::Verified
                | SupplementStatus::PromotionProposed
                | SupplementStatus::Promoted
        ),
        progress: t_args(
            ctx,
            "supplement-promotion-progress",
            &[
                ("effective", p.effective),
                ("applications", p.needed_applications),
                ("organisations", p.organisations),
                ("needed", p.needed_organisations),
            ],
        ),
    };
    let page = DetailPage {
        head: head(ctx, s),
        c: clause_view(ctx, &view.unified),
        local: local_clause(ctx, s),
        comparison: view
            .comparison
            .iter()
            .map(|c| ComparisonRow {
                parameter: parameter_label(ctx, &c.parameter),
                unified: c.unified.clone().unwrap_or_else(|| ctx.t("none")),
                local: c.local.clone().unwrap_or_else(|| ctx.t("none")),
                verdict: c.verdict.as_str().to_owned(),
                verdict_label: ctx.label("supplement-strictness", c.verdict.as_str()),
            })
            .collect(),
        verdicts: view
            .verdicts
            .iter()
            .map(|v| VerdictRow {
                who: v.person_name.clone(),
                org: v.org_name.clone(),
                verdict: v.verdict.as_str().to_owned(),
                verdict_label: ctx.label("supplement-verdict", v.verdict.as_str()),
                reason: v.reason.clone(),
                at: v.at.human(),
            })
            .collect(),
        group,
        group_rule: group_rule(ctx),
        applications: view
            .applications
            .iter()
            .map(|a| ApplicationRow {
                org: a.org_name.clone(),
                tag: a.equipment_tag.clone().unwrap_or_default(),
                from: a.applied_from.clone(),
                outcome: a.outcome.as_str().to_owned(),
                outcome_label: ctx.label("supplement-outcome", a.outcome.as_str()),
                note: a.note.clone(),
                recorded: a.recorded_at.human(),
            })
            .collect(),
        promotion,
        promotion_rule: promotion_rule(ctx),
        assessable: matches!(
            s.status,
            SupplementStatus::Verification
                | SupplementStatus::Verified
                | SupplementStatus::NotEquivalent
        ),
        may,
        equipment,
        outcomes: ApplicationOutcome::ALL
            .iter()
            .map(|o| {
                (
                    o.as_str().to_owned(),
                    ctx.label("supplement-outcome", o.as_str()),
                )
            })
            .collect(),
        verdict_choices: Equivalence::ALL
            .iter()
            .map(|v| {
                (
                    v.as_str().to_owned(),
                    ctx.label("supplement-verdict", v.as_str()),
                )
            })
            .collect(),
        forms,
        notice,
        errors,
        failed,
        ctx,
    };
    (status, render(&page)).into_response()
}

/// A supplementary clause beside the unified one, compared, with the verdicts, the
/// applications, the promotion progress, and the forms of the steps the caller may take.
pub async fn detail(ctx: PageCtx, Path(id): Path<String>, Query(done): Query<Done>) -> Response {
    let notice = ctx.notice(&done);
    detail_page(&ctx, &id, notice, None).await
}

/// After a step: back to the clause with the notice, or its page with the reason.
async fn finish<T>(
    ctx: &PageCtx,
    id: &str,
    result: Result<T, StandardsError>,
    form: &str,
    typed: Typed,
    done: &str,
) -> Response {
    match result {
        Ok(_) => see_other(&format!(
            "/standards/supplements/{}?done={done}",
            url_encode(id)
        )),
        Err(e) => match failure(ctx, e, form, typed) {
            Ok(f) => detail_page(ctx, id, None, Some(f)).await,
            Err(page) => page.into_response(),
        },
    }
}

/// An expert's verdict as submitted.
#[derive(serde::Deserialize, Default)]
pub struct VerdictForm {
    #[serde(default)]
    verdict: String,
    #[serde(default)]
    reason: String,
}

/// An expert of another organisation gives (or changes) their verdict.
pub async fn assess(Path(id): Path<String>, form: CsrfForm<VerdictForm>) -> Response {
    let CsrfForm { ctx, form, pairs } = form;
    if let Err(e) = ctx.require_actor() {
        return e.into_response();
    }
    let Ok(verdict) = form.verdict.parse::<Equivalence>() else {
        let f = Failure {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            messages: vec![own_error(&ctx, "verdict", "unknown", "")],
            form: "verdict".to_owned(),
            typed: typed(&pairs),
        };
        return detail_page(&ctx, &id, None, Some(f)).await;
    };
    let input = VerdictInput {
        verdict,
        reason: form.reason,
    };
    let result =
        supplement::assess(&ctx.state.db, &ctx.state.gate, ctx.caller(), &id, &input).await;
    finish(
        &ctx,
        &id,
        result,
        "verdict",
        typed(&pairs),
        "supplement-verdict-saved",
    )
    .await
}

/// An engineering application as submitted; no item means one not recorded here.
#[derive(serde::Deserialize, Default)]
pub struct ApplicationForm {
    #[serde(default)]
    equipment_id: String,
    #[serde(default)]
    applied_from: String,
    #[serde(default)]
    outcome: String,
    #[serde(default)]
    note: String,
}

/// The caller's organisation records applying the clause, with the outcome.
pub async fn record_application(
    Path(id): Path<String>,
    form: CsrfForm<ApplicationForm>,
) -> Response {
    let CsrfForm { ctx, form, pairs } = form;
    if let Err(e) = ctx.require_actor() {
        return e.into_response();
    }
    let mut errors = Vec::new();
    let equipment_id = match form.equipment_id.trim() {
        "" => None,
        e => match e.parse::<EquipmentId>() {
            Ok(e) => Some(e),
            Err(_) => {
                errors.push(own_error(&ctx, "equipment_id", "unknown", ""));
                None
            }
        },
    };
    let outcome = form.outcome.parse::<ApplicationOutcome>().ok();
    if outcome.is_none() {
        errors.push(own_error(&ctx, "outcome", "unknown", ""));
    }
    let (Some(outcome), true) = (outcome, errors.is_empty()) else {
        let f = Failure {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            messages: errors,
            form: "application".to_owned(),
            typed: typed(&pairs),
        };
        return detail_page(&ctx, &id, None, Some(f)).await;
    };
    let input = ApplicationInput {
        equipment_id,
        applied_from: form.applied_from,
        outcome,
        note: form.note,
    };
    let result =
        supplement::record_application(&ctx.state.db, &ctx.state.gate, ctx.caller(), &id, &input)
            .await;
    finish(
        &ctx,
        &id,
        result,
        "application",
        typed(&pairs),
        "supplement-application-recorded",
    )
    .await
}

/// The secretariat turns the clause into a revision proposal of the unified standard and
/// opens it.
pub async fn promote(Path(id): Path<String>, form: CsrfForm<serde::de::IgnoredAny>) -> Response {
    let CsrfForm { ctx, pairs, .. } = form;
    if let Err(e) = ctx.require_actor() {
        return e.into_response();
    }
    match supplement::promote(&ctx.state.db, &ctx.state.gate, ctx.caller(), &id).await {
        Ok(draft_id) => see_other(&format!(
            "/standards/drafts/{}?done=supplement-promoted",
            url_encode(&draft_id)
        )),
        Err(e) => match failure(&ctx, e, "promote", typed(&pairs)) {
            Ok(f) => detail_page(&ctx, &id, None, Some(f)).await,
            Err(page) => page.into_response(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::I18n;
    use ticorr_standards::supplement::Strictness;

    /// Labels and messages are looked up through computed keys, which the key scan cannot
    /// see.
    #[test]
    fn every_computed_label_exists_in_both_languages() {
        let i18n = I18n::load().unwrap();
        let mut keys: Vec<String> = Vec::new();
        keys.extend(
            SupplementStatus::ALL
                .iter()
                .map(|s| format!("supplement-status-{s}")),
        );
        keys.extend(
            Strictness::ALL
                .iter()
                .map(|s| format!("supplement-strictness-{s}")),
        );
        keys.extend(
            Equivalence::ALL
                .iter()
                .map(|v| format!("supplement-verdict-{v}")),
        );
        keys.extend(
            ApplicationOutcome::ALL
                .iter()
                .map(|o| format!("supplement-outcome-{o}")),
        );
        for l in [Level::Private, Level::Park, Level::Industry] {
            keys.push(format!("supplement-level-hint-{}", l.as_str()));
        }
        for (field, code) in CODES {
            keys.push(format!("supplement-error-{field}-{code}"));
        }
        keys.push("supplement-error-standard_id-unknown".to_owned());
        for done in [
            "supplement-created",
            "supplement-verdict-saved",
            "supplement-application-recorded",
            "supplement-promoted",
        ] {
            keys.push(format!("done-{done}"));
        }
        for (name, _) in parameters() {
            keys.push(format!("risk-in-{name}"));
        }
        for key in keys {
            for lang in Lang::ALL {
                assert!(i18n.has(lang, &key), "`{key}` missing in {}", lang.tag());
            }
        }
    }

    #[test]
    fn the_limit_parameters_are_the_measured_inputs_of_the_risk_model() {
        let names: Vec<String> = parameters().into_iter().map(|(n, _)| n).collect();
        assert!(names.contains(&"temperature_c".to_owned()));
        assert!(names.contains(&"chloride_mg_l".to_owned()));
        assert!(!names.contains(&"crevice_present".to_owned()), "a flag");
        assert!(
            parameters()
                .iter()
                .any(|(n, u)| n == "temperature_c" && u == "°C")
        );
    }

    #[test]
    fn list_words_split_on_either_comma_and_new_lines() {
        assert_eq!(
            words("海水，盐水、 brine;\nseawater ,"),
            vec!["海水", "盐水", "brine", "seawater"]
        );
    }
}
