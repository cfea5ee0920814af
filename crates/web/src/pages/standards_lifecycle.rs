//! The pages of the standards lifecycle: the proposals a person may follow, applying for a
//! new standard, a revision or an erratum, a proposal's page with the steps each
//! participant may take next (applicant, secretariat, reviewer, commenter), periodic
//! reviews, and the comparison of two versions clause by clause.
//!
//! Every step goes through the module's `lifecycle` and `revision` functions, which ask
//! the policies. The page asks them too (`would_allow`), but only to decide which forms
//! to show. A step refused for its input or for the proposal's state re-renders the page
//! with the reason and what was typed; nothing is written.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use ticorr_kernel::{FieldErrors, PageRequest, PersonId};
use ticorr_platform::policy::{Action, DraftRef, Resource};
use ticorr_standards::diff::{Change, Op, VersionDiff};
use ticorr_standards::lifecycle::{
    self, CommentInput, Disposition, DispositionInput, Draft, DraftEdit, DraftFilter, DraftKind,
    DraftStage, DraftView, Event, Fraction, NewDraft, Vote, VoteInput,
};
use ticorr_standards::{
    self as standards, Applies, Clause, ClauseInput, ClauseKind, Limit, Origin, StandardInput,
    StandardsError, revision,
};

use super::standards::{clause_view, in_lang};
use super::{CsrfForm, Done, Options, PageCtx, PageError, render, see_other, url_encode};
use crate::i18n::Lang;

/// The subjects a standard may have (`standards.topic`).
pub const TOPICS: [&str; 9] = [
    "design_material",
    "fabrication",
    "installation",
    "operation",
    "cleaning",
    "inspection",
    "hydrogen",
    "heaters",
    "other",
];

/// The risk grades a clause may apply to.
pub const GRADES: [&str; 4] = ["I", "II", "III", "IV"];

/// What was typed into a form, by field name.
type Typed = HashMap<String, String>;

fn typed(pairs: &[(String, String)]) -> Typed {
    pairs
        .iter()
        .filter(|(k, _)| k != "_csrf")
        .cloned()
        .collect()
}

/// Every value of a field that repeats (checkboxes).
fn many(pairs: &[(String, String)], key: &str) -> Vec<String> {
    pairs
        .iter()
        .filter(|(k, _)| k == key)
        .map(|(_, v)| v.clone())
        .collect()
}

fn field(t: &Typed, key: &str) -> String {
    t.get(key).cloned().unwrap_or_default()
}

/// Whether the caller could apply for a proposal of their own organisation; decides
/// whether to offer the forms, never guards the step.
pub(super) fn may_apply(ctx: &PageCtx) -> bool {
    ctx.actor().is_some_and(|a| {
        ctx.state.gate.would_allow(
            ctx.caller(),
            Action::EditDraft,
            &Resource::StandardDraft(DraftRef {
                id: String::new(),
                applicant: a.org_id,
                stage: DraftStage::Draft.as_str(),
                reviewers: vec![],
            }),
        )
    })
}

fn options(ctx: &PageCtx, prefix: &str, values: &[&str]) -> Options {
    values
        .iter()
        .map(|v| ((*v).to_owned(), ctx.label(prefix, v)))
        .collect()
}

fn today(ctx: &PageCtx) -> time::Date {
    ctx.state.gate.clock().now().inner().date()
}

// ---- messages ----

/// Module errors whose English text carries the specifics (a clause, a code, a date): in
/// Chinese the page's own sentence is followed by them.
const DETAILED: &[(&str, &str)] = &[
    ("proposal.code", "taken"),
    ("proposal.code", "fixed"),
    ("proposal", "invalid"),
    ("clause_number", "unknown"),
    ("text", "closed"),
    ("person_ids", "unknown"),
    ("person_ids", "not_eligible"),
    ("person_ids", "too_few"),
    ("comment", "required"),
    ("consultation_ends_on", "invalid"),
    ("consultation_ends_on", "too_short"),
    ("effective_on", "invalid"),
    ("stage", "unknown"),
];

/// The module's field errors for display: (field, message). The module words them in
/// English; the Chinese page says them in its own words.
fn field_texts(ctx: &PageCtx, errors: &FieldErrors) -> Vec<(String, String)> {
    errors
        .iter()
        .map(|e| {
            let text = if ctx.lang == Lang::En {
                e.message.clone()
            } else {
                let own = format!("draft-error-{}-{}", e.field.replace('.', "-"), e.code);
                let generic = format!("field-error-{}", e.code);
                let detailed = DETAILED.iter().any(|(f, c)| *f == e.field && *c == e.code);
                let head = if ctx.state.i18n.has(ctx.lang, &own) {
                    Some(ctx.t(&own))
                } else if !detailed && ctx.state.i18n.has(ctx.lang, &generic) {
                    Some(ctx.t(&generic))
                } else {
                    None
                };
                match head {
                    Some(h) if !detailed => h,
                    Some(h) => format!("{h}（{}）", e.message),
                    None => e.message.clone(),
                }
            };
            (e.field.clone(), text)
        })
        .collect()
}

/// A step that could not be taken, to show on the page it came from.
pub struct Failure {
    pub(super) status: StatusCode,
    /// (field, message).
    pub(super) messages: Vec<(String, String)>,
    /// The form that failed, and what was typed into it.
    pub(super) form: String,
    pub(super) typed: Typed,
}

impl Failure {
    fn new(form: &str, typed: Typed, messages: Vec<(String, String)>) -> Failure {
        Failure {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            messages,
            form: form.to_owned(),
            typed,
        }
    }
}

/// Turns a refused step into what the page shows: field errors and conflicts with the
/// state of the proposal stay on the page; everything else is the error page.
fn failure(
    ctx: &PageCtx,
    e: StandardsError,
    form: &str,
    typed: Typed,
) -> Result<Failure, PageError> {
    failure_with(ctx, e, form, typed, "draft", field_texts)
}

/// A refused step of the standards pages, shown on the page it came from: field errors
/// (worded by `fields`), conflicts with the record's state and problems with its content,
/// introduced in the page's language by `<prefix>-conflict` and `<prefix>-invalid` where
/// those messages exist; everything else is the error page.
pub(super) fn failure_with(
    ctx: &PageCtx,
    e: StandardsError,
    form: &str,
    typed: Typed,
    prefix: &str,
    fields: fn(&PageCtx, &FieldErrors) -> Vec<(String, String)>,
) -> Result<Failure, PageError> {
    let say = |kind: &str, detail: String| {
        let key = format!("{prefix}-{kind}");
        if ctx.lang == Lang::En || !ctx.state.i18n.has(ctx.lang, &key) {
            detail
        } else {
            ctx.t1(&key, "detail", detail)
        }
    };
    let (status, messages) = match e {
        StandardsError::Fields(f) => (StatusCode::UNPROCESSABLE_ENTITY, fields(ctx, &f)),
        StandardsError::Conflict(m) => (
            StatusCode::CONFLICT,
            vec![(String::new(), say("conflict", m))],
        ),
        StandardsError::Invalid(problems) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            problems
                .into_iter()
                .map(|p| (String::new(), say("invalid", p)))
                .collect(),
        ),
        other => return Err(ctx.standards_error(other)),
    };
    Ok(Failure {
        status,
        messages,
        form: form.to_owned(),
        typed,
    })
}

// ---- shared views ----

/// One entry of a history, as the tables show it.
pub struct EventView {
    pub at: String,
    pub who: String,
    pub org: String,
    pub action: String,
    pub label: String,
    pub detail: String,
}

pub(super) fn event_view(ctx: &PageCtx, e: &Event) -> EventView {
    let key = format!("draft-event-{}", e.action);
    EventView {
        at: e.at.human(),
        who: e
            .person_name
            .clone()
            .unwrap_or_else(|| ctx.t("draft-platform")),
        org: e.org_name.clone().unwrap_or_default(),
        action: e.action.clone(),
        label: if ctx.state.i18n.has(ctx.lang, &key) {
            ctx.t(&key)
        } else {
            e.action.clone()
        },
        detail: e.detail.clone(),
    }
}

/// A version of a standard in the standard's list of versions.
pub struct VersionRow {
    pub version: String,
    pub stage: String,
    pub stage_label: String,
    pub released: String,
    pub effective: String,
    pub review_due: String,
}

pub(super) fn version_rows(ctx: &PageCtx, versions: &[standards::Version]) -> Vec<VersionRow> {
    versions
        .iter()
        .map(|v| VersionRow {
            version: v.version.clone(),
            stage: v.stage.as_str().to_owned(),
            stage_label: ctx.label("standard-stage", v.stage.as_str()),
            released: v.released_at.map(|t| t.human()).unwrap_or_default(),
            effective: v.effective_on.clone().unwrap_or_default(),
            review_due: v.review_due_on.clone().unwrap_or_default(),
        })
        .collect()
}

/// A proposal's clause as a clause page shows it.
fn as_clause(c: &ClauseInput) -> Clause {
    Clause {
        id: String::new(),
        number: c.number.clone(),
        kind: c.kind,
        text_en: c.text_en.clone(),
        text_zh: c.text_zh.clone(),
        rationale_en: c.rationale_en.clone(),
        rationale_zh: c.rationale_zh.clone(),
        risk_grades: c.risk_grades.clone(),
        applies: c.applies.clone(),
        references: c.references.clone(),
        sources: c.source.clone(),
        convention: c.convention,
        unverified: c.unverified,
        limit: c.limit.clone(),
    }
}

fn title_of(ctx: &PageCtx, d: &Draft) -> String {
    in_lang(ctx, &d.proposal.title_zh, &d.proposal.title_en)
}

fn fraction(f: Fraction) -> String {
    format!("{}/{}", f.num, f.den)
}

/// A rule of the lifecycle as the page states it, with where it comes from.
pub struct RuleView {
    pub lines: Vec<String>,
    pub source: String,
    pub convention: bool,
    pub unverified: bool,
}

fn review_rule(ctx: &PageCtx) -> RuleView {
    let r = &lifecycle::rules().review;
    RuleView {
        lines: vec![
            ctx.t1("draft-rule-min-reviewers", "count", r.min_reviewers),
            ctx.t1(
                "draft-rule-participation",
                "share",
                fraction(r.participation),
            ),
            ctx.t1("draft-rule-approve", "share", fraction(r.approve_share)),
            ctx.t1("draft-rule-reject", "share", fraction(r.reject_share_max)),
        ],
        source: r.source.clone(),
        convention: r.convention,
        unverified: r.unverified,
    }
}

fn consultation_rule(ctx: &PageCtx) -> RuleView {
    let r = &lifecycle::rules().consultation;
    RuleView {
        lines: vec![ctx.t1("draft-rule-consultation", "days", r.min_days)],
        source: r.source.clone(),
        convention: r.convention,
        unverified: false,
    }
}

// ---- the list ----

/// The list's filters, and the notice after a reaffirmation.
#[derive(serde::Deserialize, Default)]
pub struct DraftsQuery {
    #[serde(default)]
    stage: Option<String>,
    #[serde(default)]
    standard_id: Option<String>,
    #[serde(default)]
    done: Option<String>,
}

/// A proposal as the list shows it.
pub struct DraftRow {
    pub id: String,
    pub code: String,
    pub title: String,
    pub kind: String,
    pub applicant: String,
    pub stage: String,
    pub stage_label: String,
    pub updated: String,
}

fn draft_row(ctx: &PageCtx, d: &Draft) -> DraftRow {
    DraftRow {
        id: d.id.clone(),
        code: d.proposal.code.clone(),
        title: title_of(ctx, d),
        kind: ctx.label("draft-kind", d.kind.as_str()),
        applicant: d.applicant_org_name.clone(),
        stage: d.stage.as_str().to_owned(),
        stage_label: ctx.label("draft-stage", d.stage.as_str()),
        updated: d.updated_at.human(),
    }
}

/// A periodic review waiting for the holder of a standard.
pub struct TaskRow {
    pub standard_id: String,
    pub code: String,
    pub title: String,
    pub version: String,
    pub due_on: String,
    /// Why it is open, when failure cases opened it.
    pub cases: Option<String>,
    /// Where the reason is shown.
    pub href: String,
}

#[derive(Template)]
#[template(path = "standard_drafts.html")]
struct ListPage<'a> {
    ctx: &'a PageCtx,
    rows: Vec<DraftRow>,
    stage: String,
    stages: Options,
    standard: Option<(String, String)>,
    may_apply: bool,
    tasks: Vec<TaskRow>,
    notice: Option<String>,
    errors: Vec<(String, String)>,
    /// The review task whose form failed, and what was typed into it.
    failed: String,
    typed: Typed,
}

impl ListPage<'_> {
    /// The note typed into a reaffirmation form that was refused.
    fn reaffirm_note(&self, standard_id: &str) -> String {
        if self.failed == format!("reaffirm-{standard_id}") {
            field(&self.typed, "note")
        } else {
            String::new()
        }
    }
}

/// The proposals the caller may follow, with the periodic reviews of the standards their
/// organisation holds.
pub async fn list(ctx: PageCtx, Query(q): Query<DraftsQuery>) -> Response {
    let notice = ctx.notice(&Done {
        done: q.done.clone(),
    });
    list_page(&ctx, &q, notice, None).await
}

async fn list_page(
    ctx: &PageCtx,
    q: &DraftsQuery,
    notice: Option<String>,
    failed: Option<Failure>,
) -> Response {
    let standard_id = q.standard_id.clone().filter(|s| !s.trim().is_empty());
    // One standard's proposals: all of them by default; otherwise those still moving.
    let stage = q
        .stage
        .clone()
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| {
            if standard_id.is_some() {
                "all".to_owned()
            } else {
                "open".to_owned()
            }
        });
    let filter = DraftFilter {
        stage: Some(stage.clone()).filter(|s| s != "all"),
        standard_id: standard_id.clone(),
    };
    let mut errors = Vec::new();
    let rows = match lifecycle::list(&ctx.state.db, &ctx.state.gate, ctx.caller(), &filter).await {
        Ok(drafts) => drafts.iter().map(|d| draft_row(ctx, d)).collect(),
        Err(StandardsError::Fields(f)) => {
            errors.extend(field_texts(ctx, &f));
            Vec::new()
        }
        Err(e) => return ctx.standards_error(e).into_response(),
    };
    let standard = match &standard_id {
        Some(id) => match standards::get(&ctx.state.db, &ctx.state.gate, ctx.caller(), id).await {
            Ok(v) => Some((
                v.standard.id.clone(),
                format!(
                    "{} {}",
                    v.standard.code,
                    in_lang(ctx, &v.standard.title_zh, &v.standard.title_en)
                ),
            )),
            Err(e) => return ctx.standards_error(e).into_response(),
        },
        None => None,
    };
    let tasks = if ctx.signed_in() {
        match revision::review_tasks(&ctx.state.db, &ctx.state.gate, ctx.caller()).await {
            Ok(tasks) => tasks
                .iter()
                .map(|t| TaskRow {
                    standard_id: t.standard_id.clone(),
                    code: t.code.clone(),
                    title: in_lang(ctx, &t.title_zh, &t.title_en),
                    version: t.version.clone(),
                    due_on: t.due_on.clone(),
                    cases: t.cases.as_ref().map(|c| {
                        ctx.tn(
                            "drafts-review-cases",
                            &[
                                ("clause", c.clause_number.clone()),
                                ("count", c.cases.to_string()),
                                ("date", t.due_on.clone()),
                            ],
                        )
                    }),
                    href: match &t.cases {
                        Some(c) => {
                            format!("/standards/{}#clause-{}", t.standard_id, c.clause_number)
                        }
                        None => format!("/standards/{}", t.standard_id),
                    },
                })
                .collect(),
            Err(e) => return ctx.standards_error(e).into_response(),
        }
    } else {
        Vec::new()
    };
    let mut stages: Options = vec![
        ("open".to_owned(), ctx.t("draft-filter-open")),
        ("all".to_owned(), ctx.t("all")),
    ];
    stages.extend(
        DraftStage::ALL
            .iter()
            .map(|s| (s.as_str().to_owned(), ctx.label("draft-stage", s.as_str()))),
    );
    let (status, failed_form, typed) = match failed {
        Some(f) => {
            errors.extend(f.messages);
            (f.status, f.form, f.typed)
        }
        None if errors.is_empty() => (StatusCode::OK, String::new(), Typed::new()),
        None => (
            StatusCode::UNPROCESSABLE_ENTITY,
            String::new(),
            Typed::new(),
        ),
    };
    (
        status,
        render(&ListPage {
            rows,
            stage,
            stages,
            standard,
            may_apply: may_apply(ctx),
            tasks,
            notice,
            errors,
            failed: failed_form,
            typed,
            ctx,
        }),
    )
        .into_response()
}

/// The reaffirmation form of a periodic review.
#[derive(serde::Deserialize, Default)]
pub struct ReaffirmForm {
    #[serde(default)]
    note: String,
}

/// The holder confirms a standard due for review stays valid as it is.
pub async fn reaffirm(Path(id): Path<String>, form: CsrfForm<ReaffirmForm>) -> Response {
    let CsrfForm { ctx, form, pairs } = form;
    if let Err(e) = ctx.require_actor() {
        return e.into_response();
    }
    match revision::reaffirm(
        &ctx.state.db,
        &ctx.state.gate,
        ctx.caller(),
        &id,
        &form.note,
    )
    .await
    {
        Ok(_) => see_other("/standards/drafts?done=reaffirmed"),
        Err(e) => match failure(&ctx, e, &format!("reaffirm-{id}"), typed(&pairs)) {
            Ok(f) => list_page(&ctx, &DraftsQuery::default(), None, Some(f)).await,
            Err(page) => page.into_response(),
        },
    }
}

// ---- applying ----

/// The application form's values, kept as typed.
#[derive(serde::Deserialize, Default, Clone)]
pub struct NewForm {
    #[serde(default)]
    kind: String,
    #[serde(default)]
    standard_id: String,
    #[serde(default)]
    code: String,
    #[serde(default)]
    title_zh: String,
    #[serde(default)]
    title_en: String,
    #[serde(default)]
    scope_zh: String,
    #[serde(default)]
    scope_en: String,
    #[serde(default)]
    topic: String,
    #[serde(default)]
    review_interval_months: String,
    #[serde(default)]
    justification: String,
    #[serde(default)]
    number: String,
    #[serde(default)]
    clause_kind: String,
    #[serde(default)]
    text_zh: String,
    #[serde(default)]
    text_en: String,
    #[serde(default)]
    rationale_zh: String,
    #[serde(default)]
    rationale_en: String,
    #[serde(skip)]
    risk_grades: Vec<String>,
}

/// The application form's presets (`?kind=revision&standard_id=…`).
#[derive(serde::Deserialize, Default)]
pub struct NewQuery {
    #[serde(default)]
    kind: String,
    #[serde(default)]
    standard_id: String,
}

#[derive(Template)]
#[template(path = "standard_draft_new.html")]
struct NewPage<'a> {
    ctx: &'a PageCtx,
    form: NewForm,
    errors: Vec<(String, String)>,
    kinds: Options,
    standards: Options,
    topics: Options,
    clause_kinds: Options,
    grades: [&'static str; 4],
}

impl NewPage<'_> {
    /// Whether a field has an error (to mark it).
    fn has(&self, name: &str) -> bool {
        self.errors.iter().any(|(f, _)| f == name)
    }

    fn graded(&self, g: &str) -> bool {
        self.form.risk_grades.iter().any(|x| x == g)
    }
}

/// Where an error of the module belongs on the application form: the field's name, or
/// nothing for the proposal as a whole.
fn new_form_field(field: &str) -> String {
    const SHOWN: [&str; 5] = [
        "code",
        "justification",
        "standard_id",
        "topic",
        "review_interval_months",
    ];
    let name = field.strip_prefix("proposal.").unwrap_or(field);
    if SHOWN.contains(&name) {
        name.to_owned()
    } else {
        String::new()
    }
}

/// The platform standards the caller may read, as (id, "code title") choices: what a
/// revision, an erratum or a local supplementary clause is made against.
pub(super) async fn platform_standards(ctx: &PageCtx) -> Result<Options, StandardsError> {
    let mut released: Options = Vec::new();
    let filter = standards::ListFilter {
        q: None,
        origin: Some(Origin::Platform.as_str().to_owned()),
        topic: None,
    };
    let mut page = PageRequest::first(200);
    loop {
        let result =
            standards::list(&ctx.state.db, &ctx.state.gate, ctx.caller(), &filter, &page).await?;
        released.extend(result.items.iter().map(|s| {
            (
                s.id.clone(),
                format!("{} {}", s.code, in_lang(ctx, &s.title_zh, &s.title_en)),
            )
        }));
        match result
            .next_cursor
            .and_then(|c| ticorr_kernel::Cursor::decode(&c).ok())
        {
            Some(c) if released.len() < 5000 => page.after = Some(c),
            _ => break,
        }
    }
    Ok(released)
}

async fn new_page(
    ctx: &PageCtx,
    form: NewForm,
    errors: Vec<(String, String)>,
    status: StatusCode,
) -> Response {
    // The released platform standards, for a revision or an erratum.
    let released = match platform_standards(ctx).await {
        Ok(r) => r,
        Err(e) => return ctx.standards_error(e).into_response(),
    };
    let kinds = DraftKind::ALL
        .iter()
        .map(|k| (k.as_str().to_owned(), ctx.label("draft-kind", k.as_str())))
        .collect();
    let clause_kinds = ClauseKind::ALL
        .iter()
        .map(|k| (k.as_str().to_owned(), ctx.label("clause-kind", k.as_str())))
        .collect();
    (
        status,
        render(&NewPage {
            form,
            errors,
            kinds,
            standards: released,
            topics: options(ctx, "standard-topic", &TOPICS),
            clause_kinds,
            grades: GRADES,
            ctx,
        }),
    )
        .into_response()
}

/// The application form: a new standard with its first clause, or a revision or erratum
/// of a released platform standard.
pub async fn new_form(ctx: PageCtx, Query(q): Query<NewQuery>) -> Response {
    if let Err(e) = ctx.require_actor() {
        return e.into_response();
    }
    let form = NewForm {
        kind: if q.kind.is_empty() {
            DraftKind::New.as_str().to_owned()
        } else {
            q.kind
        },
        standard_id: q.standard_id,
        review_interval_months: "60".to_owned(),
        clause_kind: ClauseKind::Mandatory.as_str().to_owned(),
        risk_grades: GRADES.iter().map(|g| (*g).to_owned()).collect(),
        ..NewForm::default()
    };
    new_page(&ctx, form, Vec::new(), StatusCode::OK).await
}

/// Applies; on a refusal the form comes back with the reasons and the input.
pub async fn create(form: CsrfForm<NewForm>) -> Response {
    let CsrfForm {
        ctx,
        mut form,
        pairs,
    } = form;
    if let Err(e) = ctx.require_actor() {
        return e.into_response();
    }
    form.risk_grades = many(&pairs, "risk_grades");
    let mut errors: Vec<(String, String)> = Vec::new();
    let kind = match form.kind.parse::<DraftKind>() {
        Ok(k) => Some(k),
        Err(_) => {
            errors.push(("kind".into(), ctx.t("draft-error-kind")));
            None
        }
    };
    let proposal = match kind {
        Some(DraftKind::New) => {
            let months = match review_interval(&form.review_interval_months) {
                Some(m) => m,
                None => {
                    errors.push((
                        "review_interval_months".into(),
                        ctx.t("draft-error-interval"),
                    ));
                    0
                }
            };
            let clause_kind = form.clause_kind.parse::<ClauseKind>().unwrap_or_else(|_| {
                errors.push(("clause_kind".into(), ctx.t("draft-error-clause-kind")));
                ClauseKind::Mandatory
            });
            if form.number.trim().is_empty() {
                errors.push(("number".into(), ctx.t("draft-error-number")));
            }
            Some(StandardInput {
                code: form.code.trim().to_owned(),
                origin: Origin::Platform,
                title_en: form.title_en.trim().to_owned(),
                title_zh: form.title_zh.trim().to_owned(),
                scope_en: form.scope_en.trim().to_owned(),
                scope_zh: form.scope_zh.trim().to_owned(),
                topic: form.topic.clone(),
                references: Vec::new(),
                review_interval_months: months,
                clauses: vec![ClauseInput {
                    number: form.number.trim().to_owned(),
                    kind: clause_kind,
                    text_en: form.text_en.trim().to_owned(),
                    text_zh: form.text_zh.trim().to_owned(),
                    rationale_en: form.rationale_en.trim().to_owned(),
                    rationale_zh: form.rationale_zh.trim().to_owned(),
                    risk_grades: form.risk_grades.clone(),
                    applies: Applies::default(),
                    references: Vec::new(),
                    source: Vec::new(),
                    convention: false,
                    unverified: false,
                    limit: None,
                }],
            })
        }
        _ => None,
    };
    if form.kind == DraftKind::New.as_str() && !TOPICS.contains(&form.topic.as_str()) {
        errors.push(("topic".into(), ctx.t("draft-error-topic")));
    }
    let Some(kind) = kind else {
        return new_page(&ctx, form, errors, StatusCode::UNPROCESSABLE_ENTITY).await;
    };
    if !errors.is_empty() {
        return new_page(&ctx, form, errors, StatusCode::UNPROCESSABLE_ENTITY).await;
    }
    let new = NewDraft {
        kind,
        standard_id: Some(form.standard_id.trim().to_owned()).filter(|s| !s.is_empty()),
        proposal,
        justification: form.justification.clone(),
    };
    apply(&ctx, &new, form).await
}

/// Writes the proposal and opens it; a refusal shows the application form again.
async fn apply(ctx: &PageCtx, new: &NewDraft, form: NewForm) -> Response {
    match lifecycle::create(&ctx.state.db, &ctx.state.gate, ctx.caller(), new).await {
        Ok(d) => see_other(&format!("/standards/drafts/{}?done=draft-created", d.id)),
        Err(StandardsError::Fields(f)) => {
            let errors = field_texts(ctx, &f)
                .into_iter()
                .map(|(k, v)| (new_form_field(&k), v))
                .collect();
            new_page(ctx, form, errors, StatusCode::UNPROCESSABLE_ENTITY).await
        }
        // The standard named for a revision does not exist (or is not visible).
        Err(StandardsError::NotFound) if new.kind != DraftKind::New => {
            let errors = vec![("standard_id".into(), ctx.t("draft-error-standard"))];
            new_page(ctx, form, errors, StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(StandardsError::Conflict(m)) => {
            let text = if ctx.lang == Lang::En {
                m
            } else {
                ctx.t1("draft-conflict", "detail", m)
            };
            new_page(ctx, form, vec![(String::new(), text)], StatusCode::CONFLICT).await
        }
        Err(e) => ctx.standards_error(e).into_response(),
    }
}

/// "Propose a revision" on a standard's page or a periodic review.
#[derive(serde::Deserialize, Default)]
pub struct ReviseForm {
    #[serde(default)]
    justification: String,
    #[serde(default)]
    kind: String,
}

/// Proposes a revision (or an erratum) of a released standard, starting from a copy of its
/// released version, and opens the new proposal.
pub async fn revise(Path(id): Path<String>, form: CsrfForm<ReviseForm>) -> Response {
    let CsrfForm { ctx, form, .. } = form;
    if let Err(e) = ctx.require_actor() {
        return e.into_response();
    }
    let kind = match form.kind.parse::<DraftKind>() {
        Ok(DraftKind::Erratum) => DraftKind::Erratum,
        _ => DraftKind::Revision,
    };
    let new = NewDraft {
        kind,
        standard_id: Some(id.clone()),
        proposal: None,
        justification: form.justification.clone(),
    };
    let shown = NewForm {
        kind: kind.as_str().to_owned(),
        standard_id: id,
        justification: form.justification,
        review_interval_months: "60".to_owned(),
        clause_kind: ClauseKind::Mandatory.as_str().to_owned(),
        ..NewForm::default()
    };
    apply(&ctx, &new, shown).await
}

// ---- the proposal's page ----

/// A step of the progress bar: `done`, `current`, `todo` or `stopped`.
pub struct Step {
    pub label: String,
    pub state: &'static str,
}

/// The stage a proposal had reached before it was rejected or withdrawn, from its history.
fn reached(kind: DraftKind, events: &[Event]) -> DraftStage {
    let mut at = DraftStage::Draft;
    for e in events {
        at = match e.action.as_str() {
            "submitted" => DraftStage::FormalCheck,
            "formal_check_passed" if kind == DraftKind::Erratum => DraftStage::Approved,
            "formal_check_passed" => DraftStage::ExpertReview,
            "returned" => DraftStage::Draft,
            "consultation_opened" => DraftStage::Consultation,
            "consultation_closed" => DraftStage::Approved,
            "released" => DraftStage::Released,
            _ => at,
        };
    }
    at
}

fn progress(ctx: &PageCtx, view: &DraftView) -> Vec<Step> {
    let d = &view.draft;
    let (current, stopped) = if d.stage.open() || d.stage == DraftStage::Released {
        (d.stage, false)
    } else {
        (reached(d.kind, &view.events), true)
    };
    let path: Vec<DraftStage> = DraftStage::PATH
        .iter()
        .copied()
        .filter(|s| {
            // An erratum goes from the formal check straight to approval.
            d.kind != DraftKind::Erratum
                || !matches!(s, DraftStage::ExpertReview | DraftStage::Consultation)
        })
        .collect();
    let at = path.iter().position(|s| *s == current).unwrap_or(0);
    path.iter()
        .enumerate()
        .map(|(i, s)| Step {
            label: ctx.label("draft-stage", s.as_str()),
            state: if i < at || (i == at && current == DraftStage::Released) {
                "done"
            } else if i == at && stopped {
                "stopped"
            } else if i == at {
                "current"
            } else {
                "todo"
            },
        })
        .collect()
}

/// The facts at the head of a proposal's page.
pub struct Head {
    pub id: String,
    pub code: String,
    pub title: String,
    pub scope: String,
    pub kind: String,
    pub kind_label: String,
    pub applicant: String,
    pub stage: String,
    pub stage_label: String,
    pub round: i64,
    pub created: String,
    pub updated: String,
    /// The content revision the edit forms send back, to refuse an edit of a stale page.
    pub stamp: String,
    pub topic: String,
    pub interval: i64,
    pub justification: String,
    pub consultation_ends_on: String,
    pub base_version: Option<String>,
    pub standard_id: Option<String>,
    pub released: bool,
    pub ended: bool,
}

/// Where a clause's review stands in the current round.
pub struct TallyView {
    pub approve: usize,
    pub with_changes: usize,
    pub reject: usize,
    pub missing: usize,
    pub outcome: String,
    pub outcome_label: String,
}

/// A consultation comment as the page shows it.
pub struct CommentView {
    pub id: String,
    pub clause: String,
    pub who: String,
    pub org: String,
    pub text: String,
    pub at: String,
    pub disposition: String,
    pub disposition_label: String,
    pub reason: String,
    pub disposed_at: String,
    /// The disposition form's values (kept as typed after a refusal).
    pub form_disposition: String,
    pub form_reason: String,
}

/// The applicant's edit form of one clause.
pub struct ClauseForm {
    /// The clause's number before the edit; empty for a new clause.
    pub original: String,
    pub number: String,
    pub kind: String,
    pub text_zh: String,
    pub text_en: String,
    pub rationale_zh: String,
    pub rationale_en: String,
    pub grades: Vec<String>,
    pub applies_json: String,
    pub limit_json: String,
}

impl ClauseForm {
    pub fn graded(&self, g: &str) -> bool {
        self.grades.iter().any(|x| x == g)
    }

    fn of(c: &ClauseInput) -> ClauseForm {
        ClauseForm {
            original: c.number.clone(),
            number: c.number.clone(),
            kind: c.kind.as_str().to_owned(),
            text_zh: c.text_zh.clone(),
            text_en: c.text_en.clone(),
            rationale_zh: c.rationale_zh.clone(),
            rationale_en: c.rationale_en.clone(),
            grades: c.risk_grades.clone(),
            applies_json: if c.applies == Applies::default() {
                String::new()
            } else {
                serde_json::to_string_pretty(&c.applies).unwrap_or_default()
            },
            limit_json: c
                .limit
                .as_ref()
                .map(|l| serde_json::to_string(l).unwrap_or_default())
                .unwrap_or_default(),
        }
    }

    fn typed(original: &str, t: &Typed, grades: Vec<String>) -> ClauseForm {
        ClauseForm {
            original: original.to_owned(),
            number: field(t, "number"),
            kind: field(t, "kind"),
            text_zh: field(t, "text_zh"),
            text_en: field(t, "text_en"),
            rationale_zh: field(t, "rationale_zh"),
            rationale_en: field(t, "rationale_en"),
            grades,
            applies_json: field(t, "applies_json"),
            limit_json: field(t, "limit_json"),
        }
    }
}

/// A clause of the proposal with its review and its comments.
pub struct ProposalClause {
    pub c: super::standards::ClauseView,
    pub tally: Option<TallyView>,
    pub comments: Vec<CommentView>,
    pub form: ClauseForm,
    /// The reviewer's own vote and comment (or what they typed).
    pub my_vote: String,
    pub my_comment: String,
}

/// A vote as the tables show it.
pub struct VoteView {
    pub who: String,
    pub clause: String,
    pub vote: String,
    pub vote_label: String,
    pub comment: String,
    pub at: String,
}

/// An assigned reviewer, with their specialties.
pub struct ReviewerView {
    pub name: String,
    pub org: String,
    pub specialties: String,
}

/// A person who may be assigned to review, with why they qualify.
pub struct CandidateView {
    pub person_id: String,
    pub name: String,
    pub org: String,
    pub capacities: String,
    pub specialties: String,
    pub checked: bool,
}

/// The applicant's form of the proposal's titles, scope and justification.
pub struct MetaForm {
    pub code: String,
    pub title_zh: String,
    pub title_en: String,
    pub scope_zh: String,
    pub scope_en: String,
    pub topic: String,
    pub review_interval_months: String,
    pub justification: String,
}

/// What the caller may do on the proposal, as the policies would decide.
pub struct May {
    /// Change the clauses: a draft, or once consultation has closed (folding in the changes
    /// reviewers asked for and the comments accepted).
    pub edit: bool,
    /// Submit for the formal check: a draft only.
    pub submit: bool,
    pub withdraw: bool,
    pub steer: bool,
    pub review: bool,
    pub comment: bool,
}

#[derive(Template)]
#[template(path = "standard_draft.html")]
struct ProposalPage<'a> {
    ctx: &'a PageCtx,
    head: Head,
    steps: Vec<Step>,
    notice: Option<String>,
    errors: Vec<(String, String)>,
    failed: String,
    may: May,
    meta: MetaForm,
    topics: Options,
    clause_kinds: Options,
    grades: [&'static str; 4],
    clauses: Vec<ProposalClause>,
    new_clause: ClauseForm,
    general_comments: Vec<CommentView>,
    clause_numbers: Vec<String>,
    comment_clause: String,
    comment_text: String,
    reviewers: Vec<ReviewerView>,
    candidates: Vec<CandidateView>,
    votes: Vec<VoteView>,
    earlier: Vec<(i64, Vec<VoteView>)>,
    events: Vec<EventView>,
    review_rule: RuleView,
    consultation_rule: RuleView,
    review_decided: bool,
    open_comments: usize,
    /// Prefilled dates and notes of the secretariat's forms.
    consultation_default: String,
    effective_default: String,
    formal_note: String,
    reject_reason: String,
    votes_shown: bool,
    consultation_open: bool,
}

impl ProposalPage<'_> {
    fn at(&self, stage: &str) -> bool {
        self.head.stage == stage
    }

    fn failed_here(&self, form: &str) -> bool {
        self.failed == form
    }

    fn failed_clause(&self, number: &str) -> bool {
        self.failed == format!("clause-{number}")
    }

    /// Whether the secretariat may still reject the proposal at its stage.
    fn rejectable(&self) -> bool {
        ["formal_check", "expert_review", "consultation", "approved"]
            .contains(&self.head.stage.as_str())
    }
}

fn vote_view(ctx: &PageCtx, v: &lifecycle::VoteRecord) -> VoteView {
    VoteView {
        who: v.person_name.clone(),
        clause: v.clause_number.clone(),
        vote: v.vote.as_str().to_owned(),
        vote_label: ctx.label("draft-vote", v.vote.as_str()),
        comment: v.comment.clone(),
        at: v.voted_at.human(),
    }
}

async fn proposal_page(
    ctx: &PageCtx,
    id: &str,
    notice: Option<String>,
    failure: Option<Failure>,
) -> Response {
    let view = match lifecycle::get(&ctx.state.db, &ctx.state.gate, ctx.caller(), id).await {
        Ok(v) => v,
        Err(e) => return ctx.standards_error(e).into_response(),
    };
    let d = &view.draft;
    let resource = d.resource();
    let allow = |a: Action| ctx.state.gate.would_allow(ctx.caller(), a, &resource);
    let may = May {
        edit: allow(Action::EditDraft)
            && matches!(d.stage, DraftStage::Draft | DraftStage::Approved),
        submit: allow(Action::EditDraft) && d.stage == DraftStage::Draft,
        withdraw: allow(Action::EditDraft) && d.stage.open(),
        steer: allow(Action::SteerStandards),
        review: allow(Action::ReviewDraft),
        comment: allow(Action::CommentDraft),
    };
    let candidates = if may.steer && d.stage == DraftStage::ExpertReview {
        match lifecycle::eligible_reviewers(&ctx.state.db, &ctx.state.gate, ctx.caller(), id).await
        {
            Ok(c) => c,
            Err(e) => return ctx.standards_error(e).into_response(),
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
    let me = ctx.actor().map(|a| a.person_id);
    let comment_view = |c: &lifecycle::Comment| {
        let form = format!("dispose-{}", c.id);
        CommentView {
            id: c.id.clone(),
            clause: c.clause_number.clone().unwrap_or_default(),
            who: c.person_name.clone(),
            org: c.org_name.clone(),
            text: c.text.clone(),
            at: c.created_at.human(),
            disposition: c
                .disposition
                .map(|x| x.as_str().to_owned())
                .unwrap_or_default(),
            disposition_label: c
                .disposition
                .map(|x| ctx.label("draft-disposition", x.as_str()))
                .unwrap_or_default(),
            reason: c.reason.clone().unwrap_or_default(),
            disposed_at: c.disposed_at.map(|t| t.human()).unwrap_or_default(),
            form_disposition: echo(
                &form,
                "disposition",
                c.disposition
                    .map(|x| x.as_str().to_owned())
                    .unwrap_or_default(),
            ),
            form_reason: echo(&form, "reason", c.reason.clone().unwrap_or_default()),
        }
    };
    let votes_shown = d.stage == DraftStage::ExpertReview || !view.votes.is_empty();
    let clauses = d
        .proposal
        .clauses
        .iter()
        .map(|c| {
            let form_id = format!("clause-{}", c.number);
            let mine = view
                .votes
                .iter()
                .find(|v| Some(v.person_id) == me && v.clause_number == c.number);
            ProposalClause {
                c: clause_view(ctx, &as_clause(c)),
                tally: view
                    .tally
                    .iter()
                    .find(|x| x.number == c.number)
                    .filter(|_| votes_shown)
                    .map(|x| TallyView {
                        approve: x.approve,
                        with_changes: x.approve_with_changes,
                        reject: x.reject,
                        missing: x.missing,
                        outcome: x.outcome.clone(),
                        outcome_label: ctx.label("draft-outcome", &x.outcome),
                    }),
                comments: view
                    .comments
                    .iter()
                    .filter(|x| x.clause_number.as_deref() == Some(c.number.as_str()))
                    .map(comment_view)
                    .collect(),
                form: if failed == form_id {
                    ClauseForm::typed(&c.number, &t, many_typed(&t, "risk_grades"))
                } else {
                    ClauseForm::of(c)
                },
                my_vote: echo(
                    "votes",
                    &format!("vote.{}", c.number),
                    mine.map(|v| v.vote.as_str().to_owned()).unwrap_or_default(),
                ),
                my_comment: echo(
                    "votes",
                    &format!("comment.{}", c.number),
                    mine.map(|v| v.comment.clone()).unwrap_or_default(),
                ),
            }
        })
        .collect();
    let new_clause = if failed == "clause-new" {
        ClauseForm::typed("", &t, many_typed(&t, "risk_grades"))
    } else {
        ClauseForm {
            original: String::new(),
            number: String::new(),
            kind: ClauseKind::Mandatory.as_str().to_owned(),
            text_zh: String::new(),
            text_en: String::new(),
            rationale_zh: String::new(),
            rationale_en: String::new(),
            grades: GRADES.iter().map(|g| (*g).to_owned()).collect(),
            applies_json: String::new(),
            limit_json: String::new(),
        }
    };
    let p = &d.proposal;
    let meta = MetaForm {
        code: echo("meta", "code", p.code.clone()),
        title_zh: echo("meta", "title_zh", p.title_zh.clone()),
        title_en: echo("meta", "title_en", p.title_en.clone()),
        scope_zh: echo("meta", "scope_zh", p.scope_zh.clone()),
        scope_en: echo("meta", "scope_en", p.scope_en.clone()),
        topic: echo("meta", "topic", p.topic.clone()),
        review_interval_months: echo(
            "meta",
            "review_interval_months",
            p.review_interval_months.to_string(),
        ),
        justification: echo("meta", "justification", d.justification.clone()),
    };
    let checked: Vec<String> = if failed == "reviewers" {
        many_typed(&t, "person_ids")
    } else {
        Vec::new()
    };
    let mut earlier: Vec<(i64, Vec<VoteView>)> = Vec::new();
    for v in &view.earlier_votes {
        match earlier.iter_mut().find(|(r, _)| *r == v.round) {
            Some((_, list)) => list.push(vote_view(ctx, v)),
            None => earlier.push((v.round, vec![vote_view(ctx, v)])),
        }
    }
    let min_days = lifecycle::rules().consultation.min_days;
    let today = today(ctx);
    let head = Head {
        id: d.id.clone(),
        code: p.code.clone(),
        title: title_of(ctx, d),
        scope: in_lang(ctx, &p.scope_zh, &p.scope_en),
        kind: d.kind.as_str().to_owned(),
        kind_label: ctx.label("draft-kind", d.kind.as_str()),
        applicant: d.applicant_org_name.clone(),
        stage: d.stage.as_str().to_owned(),
        stage_label: ctx.label("draft-stage", d.stage.as_str()),
        round: d.round,
        created: d.created_at.human(),
        updated: d.updated_at.human(),
        stamp: d.revision.to_string(),
        topic: ctx.label("standard-topic", &p.topic),
        interval: p.review_interval_months,
        justification: d.justification.clone(),
        consultation_ends_on: d.consultation_ends_on.clone().unwrap_or_default(),
        base_version: view.base_version.clone(),
        standard_id: d.standard_id.clone(),
        released: d.stage == DraftStage::Released,
        ended: matches!(d.stage, DraftStage::Rejected | DraftStage::Withdrawn),
    };
    let page = ProposalPage {
        steps: progress(ctx, &view),
        notice,
        may,
        meta,
        topics: options(ctx, "standard-topic", &TOPICS),
        clause_kinds: ClauseKind::ALL
            .iter()
            .map(|k| (k.as_str().to_owned(), ctx.label("clause-kind", k.as_str())))
            .collect(),
        grades: GRADES,
        clauses,
        new_clause,
        general_comments: view
            .comments
            .iter()
            .filter(|c| c.clause_number.is_none())
            .map(comment_view)
            .collect(),
        clause_numbers: p.clauses.iter().map(|c| c.number.clone()).collect(),
        comment_clause: echo("comment", "clause_number", String::new()),
        comment_text: echo("comment", "text", String::new()),
        reviewers: d
            .reviewers
            .iter()
            .map(|r| ReviewerView {
                name: r.name.clone(),
                org: r.org_name.clone(),
                specialties: r
                    .specialties
                    .iter()
                    .map(|s| ctx.label("standard-topic", s))
                    .collect::<Vec<_>>()
                    .join(", "),
            })
            .collect(),
        candidates: candidates
            .iter()
            .map(|c| CandidateView {
                person_id: c.person_id.to_string(),
                name: c.name.clone(),
                org: c.org_name.clone(),
                capacities: c
                    .capacities
                    .iter()
                    .map(|x| ctx.label("capacity", x))
                    .collect::<Vec<_>>()
                    .join(", "),
                specialties: c
                    .specialties
                    .iter()
                    .map(|s| ctx.label("standard-topic", s))
                    .collect::<Vec<_>>()
                    .join(", "),
                checked: checked.contains(&c.person_id.to_string()),
            })
            .collect(),
        votes: view.votes.iter().map(|v| vote_view(ctx, v)).collect(),
        earlier,
        events: view.events.iter().map(|e| event_view(ctx, e)).collect(),
        review_rule: review_rule(ctx),
        consultation_rule: consultation_rule(ctx),
        review_decided: view.review_decided,
        open_comments: view
            .comments
            .iter()
            .filter(|c| c.disposition.is_none())
            .count(),
        consultation_default: echo(
            "conclude",
            "consultation_ends_on",
            (today + time::Duration::days(min_days + 1)).to_string(),
        ),
        effective_default: echo("release", "effective_on", today.to_string()),
        formal_note: echo("formal-check", "note", String::new()),
        reject_reason: echo("reject", "reason", String::new()),
        votes_shown,
        consultation_open: d.stage == DraftStage::Consultation
            && d.consultation_ends_on
                .as_deref()
                .is_none_or(|e| today.to_string().as_str() <= e),
        head,
        errors,
        failed,
        ctx,
    };
    (status, render(&page)).into_response()
}

/// The repeated values of a field as typed (kept as `key` → values joined by `\n`).
fn many_typed(t: &Typed, key: &str) -> Vec<String> {
    t.get(key)
        .map(|v| v.split('\n').map(str::to_owned).collect())
        .unwrap_or_default()
}

/// What was typed, with repeated fields kept (joined by `\n`, read back by
/// [`many_typed`]).
fn typed_many(pairs: &[(String, String)], repeated: &[&str]) -> Typed {
    let mut t = typed(pairs);
    for key in repeated {
        t.insert((*key).to_owned(), many(pairs, key).join("\n"));
    }
    t
}

/// A proposal with its clauses, votes, comments and history, and the forms of the steps
/// the caller may take.
pub async fn proposal(ctx: PageCtx, Path(id): Path<String>, Query(done): Query<Done>) -> Response {
    let notice = ctx.notice(&done);
    proposal_page(&ctx, &id, notice, None).await
}

/// After a step: back to the proposal with the notice, or the page with the reason.
async fn finish(
    ctx: &PageCtx,
    id: &str,
    result: Result<(), StandardsError>,
    form: &str,
    typed: Typed,
    done: &str,
) -> Response {
    match result {
        Ok(()) => see_other(&format!("/standards/drafts/{id}?done={done}")),
        Err(e) => match failure(ctx, e, form, typed) {
            Ok(f) => proposal_page(ctx, id, None, Some(f)).await,
            Err(page) => page.into_response(),
        },
    }
}

// ---- the applicant's steps ----

/// Writes an edited proposal through the module.
async fn save(
    ctx: &PageCtx,
    id: &str,
    proposal: StandardInput,
    justification: String,
    revision: i64,
) -> Result<(), StandardsError> {
    lifecycle::update(
        &ctx.state.db,
        &ctx.state.gate,
        ctx.caller(),
        id,
        &DraftEdit {
            proposal,
            justification,
            revision: Some(revision),
        },
    )
    .await
    .map(|_| ())
}

/// Runs an edit of the loaded proposal: `change` rewrites it (or refuses with messages),
/// then the whole proposal is saved.
async fn edit(
    ctx: &PageCtx,
    id: &str,
    form: &str,
    t: Typed,
    done: &str,
    change: impl FnOnce(&mut StandardInput, &mut String) -> Vec<(String, String)>,
) -> Response {
    let view = match lifecycle::get(&ctx.state.db, &ctx.state.gate, ctx.caller(), id).await {
        Ok(v) => v,
        Err(e) => return ctx.standards_error(e).into_response(),
    };
    // The form carries the revision it was made from: an edit of a page that has since
    // changed would silently undo the other change, since the whole proposal is saved.
    // The save checks the revision again, for a change landing in between.
    if view.draft.revision.to_string() != field(&t, "stamp") {
        let mut f = Failure::new(form, t, vec![(String::new(), ctx.t("draft-error-stale"))]);
        f.status = StatusCode::CONFLICT;
        return proposal_page(ctx, id, None, Some(f)).await;
    }
    let mut proposal = view.draft.proposal.clone();
    let mut justification = view.draft.justification.clone();
    let refused = change(&mut proposal, &mut justification);
    if !refused.is_empty() {
        return proposal_page(ctx, id, None, Some(Failure::new(form, t, refused))).await;
    }
    let result = save(ctx, id, proposal, justification, view.draft.revision).await;
    finish(ctx, id, result, form, t, done).await
}

/// A review interval as typed: whole months from 1 to 240.
pub(super) fn review_interval(text: &str) -> Option<i64> {
    text.trim()
        .parse::<i64>()
        .ok()
        .filter(|m| (1..=240).contains(m))
}

/// Reads a clause from its form, keeping what the form does not show (references,
/// sources, marks) from the clause it replaces.
fn clause_from(
    ctx: &PageCtx,
    t: &Typed,
    grades: Vec<String>,
    base: Option<&ClauseInput>,
) -> Result<ClauseInput, Vec<(String, String)>> {
    let mut errors = Vec::new();
    let number = field(t, "number").trim().to_owned();
    if number.is_empty() {
        errors.push(("number".to_owned(), ctx.t("draft-error-number")));
    }
    let kind = field(t, "kind").parse::<ClauseKind>().unwrap_or_else(|_| {
        errors.push(("kind".to_owned(), ctx.t("draft-error-clause-kind")));
        ClauseKind::Mandatory
    });
    let applies_text = field(t, "applies_json");
    let applies = if applies_text.trim().is_empty() {
        Applies::default()
    } else {
        serde_json::from_str::<Applies>(&applies_text).unwrap_or_else(|e| {
            errors.push((
                "applies_json".to_owned(),
                ctx.t1("draft-error-applies", "detail", e),
            ));
            Applies::default()
        })
    };
    let limit_text = field(t, "limit_json");
    let limit = if limit_text.trim().is_empty() {
        None
    } else {
        serde_json::from_str::<Limit>(&limit_text)
            .map_err(|e| {
                errors.push((
                    "limit_json".to_owned(),
                    ctx.t1("draft-error-limit", "detail", e),
                ));
            })
            .ok()
    };
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(ClauseInput {
        number,
        kind,
        text_en: field(t, "text_en").trim().to_owned(),
        text_zh: field(t, "text_zh").trim().to_owned(),
        rationale_en: field(t, "rationale_en").trim().to_owned(),
        rationale_zh: field(t, "rationale_zh").trim().to_owned(),
        risk_grades: grades,
        applies,
        limit,
        references: base.map(|b| b.references.clone()).unwrap_or_default(),
        source: base.map(|b| b.source.clone()).unwrap_or_default(),
        convention: base.is_some_and(|b| b.convention),
        unverified: base.is_some_and(|b| b.unverified),
    })
}

/// Saves the titles, scope, subject, review interval and justification.
pub async fn save_meta(Path(id): Path<String>, form: CsrfForm<serde::de::IgnoredAny>) -> Response {
    let CsrfForm { ctx, pairs, .. } = form;
    let t = typed(&pairs);
    let values = t.clone();
    let ctx2 = &ctx;
    edit(
        &ctx,
        &id,
        "meta",
        t,
        "draft-saved",
        move |p, justification| {
            let mut errors = Vec::new();
            let months = match review_interval(&field(&values, "review_interval_months")) {
                Some(m) => m,
                None => {
                    errors.push((
                        "review_interval_months".to_owned(),
                        ctx2.t("draft-error-interval"),
                    ));
                    p.review_interval_months
                }
            };
            let topic = field(&values, "topic");
            if !TOPICS.contains(&topic.as_str()) {
                errors.push(("topic".to_owned(), ctx2.t("draft-error-topic")));
            }
            if let Some(code) = values.get("code") {
                p.code = code.trim().to_owned();
            }
            p.title_zh = field(&values, "title_zh").trim().to_owned();
            p.title_en = field(&values, "title_en").trim().to_owned();
            p.scope_zh = field(&values, "scope_zh").trim().to_owned();
            p.scope_en = field(&values, "scope_en").trim().to_owned();
            p.topic = topic;
            p.review_interval_months = months;
            *justification = field(&values, "justification");
            errors
        },
    )
    .await
}

/// Saves one clause (`original` names it as it was, the number may change).
pub async fn save_clause(
    Path(id): Path<String>,
    form: CsrfForm<serde::de::IgnoredAny>,
) -> Response {
    let CsrfForm { ctx, pairs, .. } = form;
    let t = typed_many(&pairs, &["risk_grades"]);
    let original = field(&t, "original");
    let grades = many(&pairs, "risk_grades");
    let values = t.clone();
    let ctx2 = &ctx;
    let form_id = format!("clause-{original}");
    edit(&ctx, &id, &form_id, t, "clause-saved", move |p, _| {
        let Some(at) = p.clauses.iter().position(|c| c.number == original) else {
            return vec![(String::new(), ctx2.t("draft-error-no-clause"))];
        };
        match clause_from(ctx2, &values, grades, Some(&p.clauses[at])) {
            Ok(c) => {
                p.clauses[at] = c;
                Vec::new()
            }
            Err(errors) => errors,
        }
    })
    .await
}

/// Adds a clause at the end (or before the clause named in `before`).
pub async fn add_clause(Path(id): Path<String>, form: CsrfForm<serde::de::IgnoredAny>) -> Response {
    let CsrfForm { ctx, pairs, .. } = form;
    let t = typed_many(&pairs, &["risk_grades"]);
    let grades = many(&pairs, "risk_grades");
    let values = t.clone();
    let ctx2 = &ctx;
    edit(
        &ctx,
        &id,
        "clause-new",
        t,
        "clause-added",
        move |p, _| match clause_from(ctx2, &values, grades, None) {
            Ok(c) => {
                p.clauses.push(c);
                Vec::new()
            }
            Err(errors) => errors,
        },
    )
    .await
}

/// Removes a clause.
pub async fn remove_clause(
    Path(id): Path<String>,
    form: CsrfForm<serde::de::IgnoredAny>,
) -> Response {
    let CsrfForm { ctx, pairs, .. } = form;
    let t = typed(&pairs);
    let number = field(&t, "number");
    let ctx2 = &ctx;
    let form_id = format!("remove-{number}");
    edit(&ctx, &id, &form_id, t, "clause-removed", move |p, _| {
        let before = p.clauses.len();
        p.clauses.retain(|c| c.number != number);
        if p.clauses.len() == before {
            vec![(String::new(), ctx2.t("draft-error-no-clause"))]
        } else {
            Vec::new()
        }
    })
    .await
}

/// Submits the draft for the formal check.
pub async fn submit(Path(id): Path<String>, form: CsrfForm<serde::de::IgnoredAny>) -> Response {
    let CsrfForm { ctx, pairs, .. } = form;
    let result = lifecycle::submit(&ctx.state.db, &ctx.state.gate, ctx.caller(), &id).await;
    finish(
        &ctx,
        &id,
        result,
        "submit",
        typed(&pairs),
        "draft-submitted",
    )
    .await
}

/// The applicant withdraws the proposal.
pub async fn withdraw(Path(id): Path<String>, form: CsrfForm<serde::de::IgnoredAny>) -> Response {
    let CsrfForm { ctx, pairs, .. } = form;
    let result = lifecycle::withdraw(&ctx.state.db, &ctx.state.gate, ctx.caller(), &id).await;
    finish(
        &ctx,
        &id,
        result,
        "withdraw",
        typed(&pairs),
        "draft-withdrawn",
    )
    .await
}

// ---- the secretariat's steps ----

/// The formal check: `decision` is `pass` or `return`.
#[derive(serde::Deserialize, Default)]
pub struct FormalCheckForm {
    #[serde(default)]
    decision: String,
    #[serde(default)]
    note: String,
}

/// The formal check: passed on, or returned to the applicant with the note.
pub async fn formal_check(Path(id): Path<String>, form: CsrfForm<FormalCheckForm>) -> Response {
    let CsrfForm { ctx, form, pairs } = form;
    let passed = match form.decision.as_str() {
        "pass" => true,
        "return" => false,
        _ => {
            let f = Failure::new(
                "formal-check",
                typed(&pairs),
                vec![(String::new(), ctx.t("error-bad-decision"))],
            );
            return proposal_page(&ctx, &id, None, Some(f)).await;
        }
    };
    let result = lifecycle::formal_check(
        &ctx.state.db,
        &ctx.state.gate,
        ctx.caller(),
        &id,
        passed,
        &form.note,
    )
    .await;
    let done = if passed {
        "formal-passed"
    } else {
        "formal-returned"
    };
    finish(&ctx, &id, result, "formal-check", typed(&pairs), done).await
}

/// Assigns the reviewers ticked on the form.
pub async fn assign_reviewers(
    Path(id): Path<String>,
    form: CsrfForm<serde::de::IgnoredAny>,
) -> Response {
    let CsrfForm { ctx, pairs, .. } = form;
    let t = typed_many(&pairs, &["person_ids"]);
    let mut people = Vec::new();
    for raw in many(&pairs, "person_ids") {
        match raw.trim().parse::<PersonId>() {
            Ok(p) => people.push(p),
            Err(_) => {
                let f = Failure::new(
                    "reviewers",
                    t,
                    vec![("person_ids".to_owned(), ctx.t("draft-error-person"))],
                );
                return proposal_page(&ctx, &id, None, Some(f)).await;
            }
        }
    }
    let result =
        lifecycle::assign_reviewers(&ctx.state.db, &ctx.state.gate, ctx.caller(), &id, &people)
            .await;
    finish(&ctx, &id, result, "reviewers", t, "reviewers-assigned").await
}

/// Concluding review: the last day of the consultation it opens.
#[derive(serde::Deserialize, Default)]
pub struct ConcludeForm {
    #[serde(default)]
    consultation_ends_on: String,
}

/// Concludes expert review: on to public consultation, or back to the applicant.
pub async fn conclude_review(Path(id): Path<String>, form: CsrfForm<ConcludeForm>) -> Response {
    let CsrfForm { ctx, form, pairs } = form;
    let ends = Some(form.consultation_ends_on.trim()).filter(|s| !s.is_empty());
    let result =
        lifecycle::conclude_review(&ctx.state.db, &ctx.state.gate, ctx.caller(), &id, ends)
            .await
            .map(|_| ());
    finish(
        &ctx,
        &id,
        result,
        "conclude",
        typed(&pairs),
        "review-concluded",
    )
    .await
}

/// What became of a consultation comment.
#[derive(serde::Deserialize, Default)]
pub struct DisposeForm {
    #[serde(default)]
    disposition: String,
    #[serde(default)]
    reason: String,
}

/// Records what became of a consultation comment.
pub async fn dispose(
    Path((id, comment)): Path<(String, String)>,
    form: CsrfForm<DisposeForm>,
) -> Response {
    let CsrfForm { ctx, form, pairs } = form;
    let form_id = format!("dispose-{comment}");
    let Ok(disposition) = form.disposition.parse::<Disposition>() else {
        let f = Failure::new(
            &form_id,
            typed(&pairs),
            vec![("disposition".to_owned(), ctx.t("draft-error-disposition"))],
        );
        return proposal_page(&ctx, &id, None, Some(f)).await;
    };
    let result = lifecycle::dispose(
        &ctx.state.db,
        &ctx.state.gate,
        ctx.caller(),
        &id,
        &comment,
        &DispositionInput {
            disposition,
            reason: form.reason,
        },
    )
    .await;
    finish(
        &ctx,
        &id,
        result,
        &form_id,
        typed(&pairs),
        "comment-disposed",
    )
    .await
}

/// Closes public consultation once every comment is disposed of.
pub async fn close_consultation(
    Path(id): Path<String>,
    form: CsrfForm<serde::de::IgnoredAny>,
) -> Response {
    let CsrfForm { ctx, pairs, .. } = form;
    let result =
        lifecycle::close_consultation(&ctx.state.db, &ctx.state.gate, ctx.caller(), &id).await;
    finish(
        &ctx,
        &id,
        result,
        "close",
        typed(&pairs),
        "consultation-closed",
    )
    .await
}

/// The release: the day the version comes into force.
#[derive(serde::Deserialize, Default)]
pub struct ReleaseForm {
    #[serde(default)]
    effective_on: String,
}

/// Releases the approved proposal as a new version.
pub async fn release(Path(id): Path<String>, form: CsrfForm<ReleaseForm>) -> Response {
    let CsrfForm { ctx, form, pairs } = form;
    let result = lifecycle::release(
        &ctx.state.db,
        &ctx.state.gate,
        ctx.caller(),
        &id,
        &form.effective_on,
    )
    .await
    .map(|_| ());
    finish(
        &ctx,
        &id,
        result,
        "release",
        typed(&pairs),
        "draft-released",
    )
    .await
}

/// The reason a proposal is rejected.
#[derive(serde::Deserialize, Default)]
pub struct RejectForm {
    #[serde(default)]
    reason: String,
}

/// Rejects the proposal with the reason.
pub async fn reject(Path(id): Path<String>, form: CsrfForm<RejectForm>) -> Response {
    let CsrfForm { ctx, form, pairs } = form;
    let result = lifecycle::reject(
        &ctx.state.db,
        &ctx.state.gate,
        ctx.caller(),
        &id,
        &form.reason,
    )
    .await;
    finish(&ctx, &id, result, "reject", typed(&pairs), "draft-rejected").await
}

// ---- the reviewer's and the public's steps ----

/// Records a reviewer's votes (`vote.<number>`, `comment.<number>`); clauses left without
/// a vote are skipped.
pub async fn vote(Path(id): Path<String>, form: CsrfForm<serde::de::IgnoredAny>) -> Response {
    let CsrfForm { ctx, pairs, .. } = form;
    let t = typed(&pairs);
    let view = match lifecycle::get(&ctx.state.db, &ctx.state.gate, ctx.caller(), &id).await {
        Ok(v) => v,
        Err(e) => return ctx.standards_error(e).into_response(),
    };
    let mut votes = Vec::new();
    let mut errors = Vec::new();
    for c in &view.draft.proposal.clauses {
        let chosen = field(&t, &format!("vote.{}", c.number));
        if chosen.is_empty() {
            continue;
        }
        match chosen.parse::<Vote>() {
            Ok(vote) => votes.push(VoteInput {
                clause_number: c.number.clone(),
                vote,
                comment: field(&t, &format!("comment.{}", c.number)),
            }),
            Err(_) => errors.push((
                format!("vote.{}", c.number),
                ctx.t1("draft-error-vote", "clause", &c.number),
            )),
        }
    }
    if !errors.is_empty() {
        return proposal_page(&ctx, &id, None, Some(Failure::new("votes", t, errors))).await;
    }
    let result = lifecycle::vote(&ctx.state.db, &ctx.state.gate, ctx.caller(), &id, &votes).await;
    finish(&ctx, &id, result, "votes", t, "votes-saved").await
}

/// A consultation comment: an empty clause means the whole proposal.
#[derive(serde::Deserialize, Default)]
pub struct CommentForm {
    #[serde(default)]
    clause_number: String,
    #[serde(default)]
    text: String,
}

/// A consultation comment on a clause or on the whole proposal.
pub async fn comment(Path(id): Path<String>, form: CsrfForm<CommentForm>) -> Response {
    let CsrfForm { ctx, form, pairs } = form;
    let input = CommentInput {
        clause_number: Some(form.clause_number).filter(|c| !c.trim().is_empty()),
        text: form.text,
    };
    let result = lifecycle::comment(&ctx.state.db, &ctx.state.gate, ctx.caller(), &id, &input)
        .await
        .map(|_| ());
    finish(&ctx, &id, result, "comment", typed(&pairs), "comment-added").await
}

// ---- comparisons ----

/// One run of a character diff: `same`, `deleted` or `inserted`.
pub struct SpanView {
    pub op: &'static str,
    pub text: String,
}

/// One changed field of a clause, with its character runs.
pub struct FieldView {
    pub label: String,
    pub spans: Vec<SpanView>,
}

/// One clause of a comparison, with how it changed.
pub struct DiffClauseView {
    pub number: String,
    pub change: String,
    pub change_label: String,
    pub text: String,
    pub fields: Vec<FieldView>,
}

/// A comparison as its page shows it.
pub struct DiffView {
    pub from: String,
    pub to: String,
    pub added: usize,
    pub removed: usize,
    pub changed: usize,
    pub unchanged: usize,
    pub clauses: Vec<DiffClauseView>,
}

fn diff_view(ctx: &PageCtx, d: &VersionDiff, all: bool) -> DiffView {
    DiffView {
        from: d.from.clone(),
        to: d.to.clone(),
        added: d.added,
        removed: d.removed,
        changed: d.changed,
        unchanged: d.unchanged,
        clauses: d
            .clauses
            .iter()
            .filter(|c| all || c.change != Change::Unchanged)
            .map(|c| DiffClauseView {
                number: c.number.clone(),
                change: c.change.as_str().to_owned(),
                change_label: ctx.label("diff-change", c.change.as_str()),
                text: in_lang(ctx, &c.text_zh, &c.text_en),
                fields: c
                    .fields
                    .iter()
                    .map(|f| FieldView {
                        label: ctx.label("diff-field", &f.field),
                        spans: f
                            .spans
                            .iter()
                            .map(|s| SpanView {
                                op: match s.op {
                                    Op::Same => "same",
                                    Op::Deleted => "deleted",
                                    Op::Inserted => "inserted",
                                },
                                text: s.text.clone(),
                            })
                            .collect(),
                    })
                    .collect(),
            })
            .collect(),
    }
}

/// The versions compared; `all=1` shows the unchanged clauses too.
#[derive(serde::Deserialize, Default)]
pub struct DiffQuery {
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    #[serde(default)]
    all: String,
}

#[derive(Template)]
#[template(path = "standard_diff.html")]
struct DiffPage<'a> {
    ctx: &'a PageCtx,
    heading: String,
    back: (String, String),
    /// The form's action and the versions to choose from (none for a proposal).
    action: String,
    versions: Options,
    from: String,
    to: String,
    all: bool,
    diff: Option<DiffView>,
}

/// Two versions of a standard, clause by clause (`?from=1.0&to=2.0`; `all=1` shows the
/// unchanged clauses too). Without versions named: the two newest.
pub async fn compare(ctx: PageCtx, Path(id): Path<String>, Query(q): Query<DiffQuery>) -> Response {
    let view = match standards::get(&ctx.state.db, &ctx.state.gate, ctx.caller(), &id).await {
        Ok(v) => v,
        Err(e) => return ctx.standards_error(e).into_response(),
    };
    let s = &view.standard;
    let newest = |n: usize| {
        view.versions
            .get(n)
            .map(|v| v.version.clone())
            .unwrap_or_default()
    };
    let from = Some(q.from.trim().to_owned())
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| newest(1));
    let to = Some(q.to.trim().to_owned())
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| newest(0));
    let all = q.all == "1";
    let diff = if view.versions.len() >= 2 {
        match revision::compare(
            &ctx.state.db,
            &ctx.state.gate,
            ctx.caller(),
            &id,
            &from,
            &to,
        )
        .await
        {
            Ok(d) => Some(diff_view(&ctx, &d, all)),
            Err(e) => return ctx.standards_error(e).into_response(),
        }
    } else {
        None
    };
    render(&DiffPage {
        heading: format!("{} · {}", s.code, in_lang(&ctx, &s.title_zh, &s.title_en)),
        back: (
            format!("/standards/{}", s.id),
            format!("{} {}", s.code, in_lang(&ctx, &s.title_zh, &s.title_en)),
        ),
        action: format!("/standards/{}/diff", s.id),
        versions: view
            .versions
            .iter()
            .map(|v| {
                (
                    v.version.clone(),
                    format!(
                        "{} ({})",
                        v.version,
                        ctx.label("standard-stage", v.stage.as_str())
                    ),
                )
            })
            .collect(),
        from,
        to,
        all,
        diff,
        ctx: &ctx,
    })
}

/// A revision or erratum against the released version it starts from.
pub async fn draft_diff(
    ctx: PageCtx,
    Path(id): Path<String>,
    Query(q): Query<DiffQuery>,
) -> Response {
    let view = match lifecycle::get(&ctx.state.db, &ctx.state.gate, ctx.caller(), &id).await {
        Ok(v) => v,
        Err(e) => return ctx.standards_error(e).into_response(),
    };
    let d = match lifecycle::diff(&ctx.state.db, &ctx.state.gate, ctx.caller(), &id).await {
        Ok(d) => d,
        Err(e) => return ctx.standards_error(e).into_response(),
    };
    let all = q.all == "1";
    let mut shown = diff_view(&ctx, &d, all);
    if shown.from.is_empty() {
        shown.from = ctx.t("diff-nothing");
    }
    shown.to = ctx.t("diff-proposal");
    let title = format!(
        "{} · {}",
        view.draft.proposal.code,
        title_of(&ctx, &view.draft)
    );
    render(&DiffPage {
        heading: title.clone(),
        back: (format!("/standards/drafts/{}", view.draft.id), title),
        action: format!("/standards/drafts/{}/diff", view.draft.id),
        versions: Vec::new(),
        from: String::new(),
        to: String::new(),
        all,
        diff: Some(shown),
        ctx: &ctx,
    })
}

/// The link of a standard's proposals.
pub(super) fn drafts_of(standard_id: &str) -> String {
    format!("/standards/drafts?standard_id={}", url_encode(standard_id))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::I18n;

    /// Labels are looked up through computed keys, which the key scan cannot see.
    #[test]
    fn every_computed_label_exists_in_both_languages() {
        let i18n = I18n::load().unwrap();
        let mut keys: Vec<String> = Vec::new();
        keys.extend(DraftStage::ALL.iter().map(|s| format!("draft-stage-{s}")));
        keys.extend(DraftKind::ALL.iter().map(|k| format!("draft-kind-{k}")));
        keys.extend(Vote::ALL.iter().map(|v| format!("draft-vote-{v}")));
        keys.extend(
            Disposition::ALL
                .iter()
                .map(|d| format!("draft-disposition-{d}")),
        );
        keys.extend(Change::ALL.iter().map(|c| format!("diff-change-{c}")));
        keys.extend(
            standards::Stage::ALL
                .iter()
                .map(|s| format!("standard-stage-{s}")),
        );
        keys.extend(TOPICS.iter().map(|t| format!("standard-topic-{t}")));
        for outcome in ["pending", "passed", "failed"] {
            keys.push(format!("draft-outcome-{outcome}"));
        }
        for field in [
            "text_zh",
            "text_en",
            "kind",
            "risk_grades",
            "applies",
            "limit",
            "references",
            "rationale_zh",
            "rationale_en",
        ] {
            keys.push(format!("diff-field-{field}"));
        }
        for action in [
            "applied",
            "edited",
            "submitted",
            "formal_check_passed",
            "returned",
            "reviewers_assigned",
            "voted",
            "review_concluded",
            "consultation_opened",
            "commented",
            "disposed",
            "consultation_closed",
            "released",
            "rejected",
            "withdrawn",
            "review_due",
            "reaffirmed",
            "revised_after_consultation",
            "promotion_proposed",
        ] {
            keys.push(format!("draft-event-{action}"));
        }
        for done in [
            "draft-created",
            "draft-saved",
            "clause-saved",
            "clause-added",
            "clause-removed",
            "draft-submitted",
            "draft-withdrawn",
            "formal-passed",
            "formal-returned",
            "reviewers-assigned",
            "review-concluded",
            "votes-saved",
            "comment-added",
            "comment-disposed",
            "consultation-closed",
            "draft-released",
            "draft-rejected",
            "reaffirmed",
        ] {
            keys.push(format!("done-{done}"));
        }
        for (field, code) in DETAILED {
            keys.push(format!("draft-error-{}-{code}", field.replace('.', "-")));
        }
        for key in keys {
            for lang in Lang::ALL {
                assert!(i18n.has(lang, &key), "`{key}` missing in {}", lang.tag());
            }
        }
    }

    fn event(action: &str) -> Event {
        Event {
            at: ticorr_kernel::Timestamp::parse("2026-11-28T08:00:00Z").unwrap(),
            person_name: None,
            org_name: None,
            action: action.to_owned(),
            detail: String::new(),
        }
    }

    #[test]
    fn the_stage_a_stopped_proposal_had_reached_is_read_from_its_history() {
        let events: Vec<Event> = ["applied", "submitted", "formal_check_passed", "voted"]
            .into_iter()
            .map(event)
            .collect();
        assert_eq!(
            reached(DraftKind::Revision, &events),
            DraftStage::ExpertReview
        );
        assert_eq!(reached(DraftKind::Erratum, &events), DraftStage::Approved);
        let returned: Vec<Event> = ["applied", "submitted", "returned"]
            .into_iter()
            .map(event)
            .collect();
        assert_eq!(reached(DraftKind::New, &returned), DraftStage::Draft);
    }

    #[test]
    fn module_errors_land_on_the_application_forms_fields_or_on_the_whole() {
        assert_eq!(new_form_field("proposal.code"), "code");
        assert_eq!(new_form_field("justification"), "justification");
        assert_eq!(new_form_field("proposal"), "");
        assert_eq!(new_form_field("proposal.origin"), "");
    }
}
