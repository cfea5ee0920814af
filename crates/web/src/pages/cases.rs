//! Failure-case pages: the published cases (summaries for everyone, details for registered
//! users, the full record for granted applications), upload and the contributor's review,
//! the curation queue, and applications with their decisions and the access log.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use ticorr_cases::similar::Reason;
use ticorr_cases::{
    Access, AccessInput, AccessRequest, CaseCard, CaseInput, CaseView, CasesError, ConfirmInput,
    CurationInput, DecisionInput, FileAction, FileReceipt, FullView, ListFilter, Mechanism,
    OwnCase, Preview, QueueItem, RootCause, SimilarCase, Withheld,
};
use ticorr_kernel::PageRequest;
use ticorr_kernel::equipment::EquipmentType;

use super::{CsrfForm, PageCtx, PageError, PageErrorKind, render, see_other};
use crate::i18n::Lang;
use crate::state::AppState;

pub(super) fn fail(ctx: &PageCtx, e: CasesError) -> PageError {
    match e {
        CasesError::Attachment(e) => ctx.attachment_error(e),
        CasesError::NotFound => ctx.error(PageErrorKind::NotFound),
        CasesError::Forbidden => ctx.error(PageErrorKind::Forbidden),
        CasesError::Conflict(m) => ctx.error(PageErrorKind::Conflict(m)),
        CasesError::Fields(f) => ctx.error(PageErrorKind::BadRequest(f.to_string())),
        other => ctx.storage_error(other),
    }
}

/// A file of a case as a page shows it: what publication did (or will do) with it.
pub(super) struct FileLine {
    position: u32,
    kind: String,
    fate: String,
    size: Option<String>,
    sha256: Option<String>,
    sha256_short: Option<String>,
    /// Where a reader of the full record downloads the published copy.
    download: Option<String>,
}

/// What publication did, or will do, with a file, in words.
fn fate(ctx: &PageCtx, line: &FileReceipt) -> String {
    match (line.action, line.withheld_because) {
        (FileAction::Stripped, _) if line.sha256.is_none() => ctx.t("case-file-planned-strip"),
        (FileAction::Stripped, _) if line.removed.is_empty() => ctx.t("case-file-clean"),
        (FileAction::Stripped, _) => ctx.t1(
            "case-file-stripped",
            "removed",
            line.removed
                .iter()
                .map(|r| match r.as_str() {
                    "exif" | "xmp" | "iptc" | "comment" | "text" | "time" | "trailing_data" => {
                        ctx.label("case-metadata", r)
                    }
                    // Other application segments: their JPEG name (APP3 …).
                    other => other.to_uppercase(),
                })
                .collect::<Vec<_>>()
                .join(", "),
        ),
        (FileAction::Withheld, Some(Withheld::Format)) => ctx.t("case-file-withheld-format"),
        (FileAction::Withheld, Some(Withheld::Damaged)) => ctx.t("case-file-withheld-damaged"),
        (FileAction::Withheld, _) => ctx.t("case-file-withheld-document"),
    }
}

/// The receipt's file lines in words; with download links when the reader holds the full
/// record.
pub(super) fn file_lines(
    ctx: &PageCtx,
    case_id: &str,
    lines: &[FileReceipt],
    downloadable: bool,
) -> Vec<FileLine> {
    lines
        .iter()
        .map(|l| FileLine {
            position: l.position,
            kind: ctx.label("attachment-kind", &l.kind),
            fate: fate(ctx, l),
            size: l.size_bytes.map(ticorr_platform::attachments::human_size),
            sha256: l.sha256.clone(),
            sha256_short: l.sha256.as_deref().map(|s| s.chars().take(12).collect()),
            download: (downloadable && l.sha256.is_some())
                .then(|| format!("/api/v1/cases/{case_id}/files/{}", l.position)),
        })
        .collect()
}

/// The mechanism's name in the page's language (the risk engine's wording).
pub fn mechanism_name(lang: Lang, m: Mechanism) -> String {
    if m == Mechanism::Other {
        return match lang {
            Lang::Zh => "其他".to_owned(),
            Lang::En => "Other".to_owned(),
        };
    }
    ticorr_platform::risk::load()
        .ok()
        .and_then(|r| r.rules.mechanism(m.as_str()))
        .map(|x| match lang {
            Lang::Zh => x.name_zh.clone(),
            Lang::En => x.name.clone(),
        })
        .unwrap_or_else(|| m.as_str().to_owned())
}

/// A mechanism id (as stored) in the page's language; an id the platform does not know
/// stays as it is.
pub fn mechanism_label(lang: Lang, id: &str) -> String {
    id.parse::<Mechanism>()
        .map(|m| mechanism_name(lang, m))
        .unwrap_or_else(|_| id.to_owned())
}

/// A published province value (a province, an NBS region or 中国) in the page's language.
fn area(lang: Lang, v: &str) -> String {
    match lang {
        Lang::Zh => v.to_owned(),
        Lang::En => ticorr_cases::publication::area_en(v).to_owned(),
    }
}

/// A published equipment type (a type or the family k-anonymity raised it to), in words.
fn equipment_label(ctx: &PageCtx, v: &str) -> String {
    if v.parse::<EquipmentType>().is_ok() {
        ctx.t(&format!("equipment-type-{v}"))
    } else {
        ctx.t(&format!("case-class-{v}"))
    }
}

/// A published grade ("2", or the family it was raised to), in words.
fn grade_label(ctx: &PageCtx, v: &str) -> String {
    if v.bytes().all(|b| b.is_ascii_digit()) {
        format!("Gr{v}")
    } else {
        ctx.t(&format!("case-class-{v}"))
    }
}

/// A number as a reader writes it: no trailing zeros.
fn plain(v: f64) -> String {
    let s = format!("{v:.2}");
    s.trim_end_matches('0').trim_end_matches('.').to_owned()
}

/// A similar case as a page lists it: what it is, its score and its signals, and why it
/// was found, in words.
pub struct SimilarRow {
    pub id: String,
    pub title: String,
    pub period: String,
    pub area: String,
    pub mechanism: String,
    pub score: String,
    pub signals: String,
    pub reasons: Vec<String>,
}

fn reason_text(ctx: &PageCtx, r: &Reason) -> String {
    match r {
        Reason::Mechanism { mechanism } => ctx.tn(
            "case-reason-mechanism",
            &[("name", mechanism_name(ctx.lang, *mechanism))],
        ),
        Reason::RootCauses { root_causes } => ctx.tn(
            "case-reason-causes",
            &[(
                "names",
                root_causes
                    .iter()
                    .map(|c| ctx.t(&format!("case-cause-{}", c.as_str())))
                    .collect::<Vec<_>>()
                    .join("、"),
            )],
        ),
        Reason::Parameter {
            parameter,
            this,
            that,
        } => {
            let (name, unit) = match parameter.as_str() {
                "temperature_c" => (ctx.t("case-temperature"), " °C"),
                "chloride_mg_l" => (ctx.t("case-chloride"), " mg/L"),
                "ph" => ("pH".to_owned(), ""),
                "fluoride_mg_l" => (ctx.t("case-parameter-fluoride_mg_l"), " mg/L"),
                other => (ctx.t(&format!("case-parameter-{other}")), " m/s"),
            };
            ctx.tn(
                "case-reason-parameter",
                &[
                    ("name", name),
                    ("this", format!("{}{unit}", plain(*this))),
                    ("that", format!("{}{unit}", plain(*that))),
                ],
            )
        }
        Reason::Same { attribute, value } => {
            let value = match attribute.as_str() {
                "equipment_type" => equipment_label(ctx, value),
                "grade" => grade_label(ctx, value),
                "industry" => super::standards::industry_name(ctx, value),
                _ => value.clone(),
            };
            ctx.tn(
                "case-reason-same",
                &[
                    ("name", ctx.t(&format!("case-attribute-{attribute}"))),
                    ("value", value),
                ],
            )
        }
        Reason::Words { words } => ctx.tn("case-reason-words", &[("words", words.join("、"))]),
    }
}

/// The rows of a similar-case list.
pub fn similar_rows(ctx: &PageCtx, found: &[SimilarCase]) -> Vec<SimilarRow> {
    found
        .iter()
        .map(|f| {
            let card = Card::of(ctx, &f.card);
            SimilarRow {
                id: card.id,
                title: card.title,
                period: card.period,
                area: card.area,
                mechanism: card.mechanism,
                score: format!("{:.2}", f.parts.score),
                signals: ctx.tn(
                    "case-similar-signals",
                    &[
                        ("text", format!("{:.2}", f.parts.text)),
                        ("conditions", format!("{:.2}", f.parts.parameters)),
                        ("mechanism", format!("{:.2}", f.parts.mechanism)),
                        ("causes", format!("{:.2}", f.parts.root_causes)),
                    ],
                ),
                reasons: f.reasons.iter().map(|r| reason_text(ctx, r)).collect(),
            }
        })
        .collect()
}

/// What a card shows, in the page's language.
struct Card {
    id: String,
    title: String,
    summary: String,
    period: String,
    area: String,
    equipment_type: String,
    grade: String,
    mechanism: String,
    root_causes: Vec<String>,
}

impl Card {
    fn of(ctx: &PageCtx, c: &CaseCard) -> Card {
        let pick = |zh: &Option<String>, en: &Option<String>| match ctx.lang {
            Lang::Zh => zh.clone().or_else(|| en.clone()),
            Lang::En => en.clone().or_else(|| zh.clone()),
        };
        Card {
            id: c.id.clone(),
            title: pick(&c.title_zh, &c.title_en).unwrap_or_default(),
            summary: pick(&c.summary_zh, &c.summary_en).unwrap_or_default(),
            period: c.period.clone(),
            area: area(ctx.lang, &c.province),
            equipment_type: equipment_label(ctx, &c.equipment_type),
            grade: grade_label(ctx, &c.grade),
            mechanism: mechanism_name(ctx.lang, c.mechanism),
            root_causes: c
                .root_causes
                .iter()
                .map(|r| ctx.t(&format!("case-cause-{}", r.as_str())))
                .collect(),
        }
    }
}

#[derive(Template)]
#[template(path = "cases.html")]
struct ListPage<'a> {
    ctx: &'a PageCtx,
    cards: Vec<Card>,
    next: Option<String>,
    mechanisms: Vec<(String, String)>,
    types: Vec<String>,
    filter: ListFilter,
    may_upload: bool,
}

#[derive(Deserialize)]
pub struct ListQuery {
    #[serde(default)]
    mechanism: Option<String>,
    #[serde(default)]
    equipment_type: Option<String>,
    #[serde(default)]
    cursor: Option<String>,
}

fn mechanism_options(ctx: &PageCtx) -> Vec<(String, String)> {
    Mechanism::ALL
        .iter()
        .map(|m| (m.as_str().to_owned(), mechanism_name(ctx.lang, *m)))
        .collect()
}

pub async fn list(
    ctx: PageCtx,
    State(state): State<AppState>,
    Query(q): Query<ListQuery>,
) -> Response {
    let filter = ListFilter {
        mechanism: q.mechanism.filter(|v| !v.is_empty()),
        equipment_type: q.equipment_type.filter(|v| !v.is_empty()),
        grade: None,
    };
    let page = match PageRequest::from_query(q.cursor.as_deref(), Some(30)) {
        Ok(p) => p,
        Err(_) => {
            return ctx
                .error(PageErrorKind::BadRequest(ctx.t("case-bad-cursor")))
                .into_response();
        }
    };
    match state.cases().list(ctx.caller(), &filter, &page).await {
        Ok(page) => render(&ListPage {
            cards: page.items.iter().map(|c| Card::of(&ctx, c)).collect(),
            next: page.next_cursor,
            mechanisms: mechanism_options(&ctx),
            types: EquipmentType::ALL
                .iter()
                .map(|t| t.as_str().to_owned())
                .collect(),
            filter,
            may_upload: ctx.actor().is_some(),
            ctx: &ctx,
        }),
        Err(e) => fail(&ctx, e).into_response(),
    }
}

#[derive(Template)]
#[template(path = "case.html")]
struct DetailPage<'a> {
    ctx: &'a PageCtx,
    card: Card,
    view: CaseView,
    /// The attributes k-anonymity generalized, in words.
    generalized: Vec<String>,
    narrative: Option<String>,
    lessons: Option<String>,
    similar: Vec<SimilarRow>,
    /// How the similar cases' score is made, with the weights in use.
    similar_intro: String,
    /// The receipt's files.
    files: Vec<FileLine>,
    done: Option<String>,
    error: Option<String>,
}

#[derive(Deserialize)]
pub struct Done {
    #[serde(default)]
    done: Option<String>,
}

fn pick(lang: Lang, zh: &Option<String>, en: &Option<String>) -> Option<String> {
    match lang {
        Lang::Zh => zh.clone().or_else(|| en.clone()),
        Lang::En => en.clone().or_else(|| zh.clone()),
    }
}

async fn detail_page(
    ctx: &PageCtx,
    state: &AppState,
    id: &str,
    done: Option<String>,
    error: Option<String>,
) -> Response {
    match state.cases().get(ctx.caller(), id).await {
        Ok(view) => {
            let similar = match state.cases().similar(ctx.caller(), id, 8).await {
                Ok(found) => similar_rows(ctx, &found),
                Err(e) => return fail(ctx, e).into_response(),
            };
            let (narrative, lessons) = match &view.details {
                Some(d) => (
                    pick(ctx.lang, &d.narrative_zh, &d.narrative_en),
                    pick(ctx.lang, &d.lessons_zh, &d.lessons_en),
                ),
                None => (None, None),
            };
            let status = if error.is_some() {
                StatusCode::UNPROCESSABLE_ENTITY
            } else {
                StatusCode::OK
            };
            (
                status,
                render(&DetailPage {
                    card: Card::of(ctx, &view.card),
                    generalized: view
                        .receipt
                        .generalized
                        .iter()
                        .map(|g| {
                            let value = match g.attribute.as_str() {
                                "province" => area(ctx.lang, &g.to),
                                "equipment_type" => equipment_label(ctx, &g.to),
                                "grade" => grade_label(ctx, &g.to),
                                _ => g.to.clone(),
                            };
                            format!(
                                "{} → {value}",
                                ctx.t(&format!("case-attribute-{}", g.attribute))
                            )
                        })
                        .collect(),
                    files: file_lines(ctx, id, &view.receipt.files, false),
                    view,
                    narrative,
                    lessons,
                    similar,
                    similar_intro: {
                        let w = ticorr_cases::similar::Weights::HYBRID;
                        ctx.tn(
                            "case-similar-intro",
                            &[
                                ("text", plain(w.text)),
                                ("conditions", plain(w.parameters)),
                                ("mechanism", plain(w.mechanism)),
                                ("causes", plain(w.root_causes)),
                            ],
                        )
                    },
                    done,
                    error,
                    ctx,
                }),
            )
                .into_response()
        }
        Err(e) => fail(ctx, e).into_response(),
    }
}

pub async fn detail(
    ctx: PageCtx,
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(d): Query<Done>,
) -> Response {
    detail_page(&ctx, &state, &id, d.done, None).await
}

#[derive(Deserialize)]
pub struct ApplyForm {
    #[serde(default)]
    purpose: String,
}

pub async fn apply(
    State(state): State<AppState>,
    Path(id): Path<String>,
    form: CsrfForm<ApplyForm>,
) -> Response {
    let CsrfForm { ctx, form, .. } = form;
    if let Err(e) = ctx.require_actor() {
        return e.into_response();
    }
    match state
        .cases()
        .request_access(
            ctx.caller(),
            &id,
            &AccessInput {
                purpose: form.purpose,
            },
        )
        .await
    {
        Ok(_) => see_other(&format!("/cases/{id}?done=applied")),
        Err(CasesError::Fields(f)) => {
            detail_page(&ctx, &state, &id, None, Some(f.to_string())).await
        }
        Err(e) => fail(&ctx, e).into_response(),
    }
}

#[derive(Template)]
#[template(path = "case_full.html")]
struct FullPage<'a> {
    ctx: &'a PageCtx,
    card: Card,
    view: FullView,
    narrative: Option<String>,
    files: Vec<FileLine>,
}

pub async fn full(ctx: PageCtx, State(state): State<AppState>, Path(id): Path<String>) -> Response {
    if let Err(e) = ctx.require_actor() {
        return e.into_response();
    }
    match state.cases().full(ctx.caller(), &id).await {
        Ok(view) => render(&FullPage {
            files: file_lines(&ctx, &id, &view.receipt.files, true),
            card: Card::of(&ctx, &view.card),
            narrative: pick(
                ctx.lang,
                &view.details.narrative_zh,
                &view.details.narrative_en,
            ),
            view,
            ctx: &ctx,
        }),
        Err(e) => fail(&ctx, e).into_response(),
    }
}

#[derive(Template)]
#[template(path = "case_new.html")]
struct NewPage<'a> {
    ctx: &'a PageCtx,
    form: CaseForm,
    errors: Vec<(String, String)>,
    types: Vec<String>,
    mechanisms: Vec<(String, String)>,
    causes: Vec<(String, String)>,
}

/// The upload form, as typed.
#[derive(Deserialize, Default, Clone)]
#[serde(default)]
pub struct CaseForm {
    title_zh: String,
    title_en: String,
    failure_date: String,
    region_code: String,
    equipment_type: String,
    grade: String,
    manufacturer: String,
    years_in_service: String,
    mechanism: String,
    location: String,
    morphology: String,
    max_depth_mm: String,
    metallography: String,
    process_medium: String,
    temperature_c: String,
    chloride_mg_l: String,
    ph: String,
    direct_cause: String,
    downtime_days: String,
    cost_cny: String,
    injuries: String,
    rectification: String,
    rectification_outcome: String,
    lessons_zh: String,
    lessons_en: String,
    narrative_zh: String,
    narrative_en: String,
    reporter: String,
    reporter_phone: String,
    site_address: String,
    #[serde(skip)]
    root_causes: Vec<String>,
}

fn cause_options(ctx: &PageCtx) -> Vec<(String, String)> {
    RootCause::ALL
        .iter()
        .map(|r| {
            (
                r.as_str().to_owned(),
                ctx.t(&format!("case-cause-{}", r.as_str())),
            )
        })
        .collect()
}

fn new_page(ctx: &PageCtx, form: CaseForm, errors: Vec<(String, String)>) -> Response {
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    (
        status,
        render(&NewPage {
            ctx,
            form,
            errors,
            types: EquipmentType::ALL
                .iter()
                .map(|t| t.as_str().to_owned())
                .collect(),
            mechanisms: mechanism_options(ctx),
            causes: cause_options(ctx),
        }),
    )
        .into_response()
}

pub async fn new_form(ctx: PageCtx) -> Response {
    if let Err(e) = ctx.require_actor() {
        return e.into_response();
    }
    new_page(&ctx, CaseForm::default(), Vec::new())
}

/// Reads the typed form into the module's input; numbers that do not read are reported.
fn input_of(form: &CaseForm, errors: &mut Vec<(String, String)>, ctx: &PageCtx) -> CaseInput {
    let text = |s: &str| (!s.trim().is_empty()).then(|| s.trim().to_owned());
    let mut number = |name: &str, s: &str| -> Option<f64> {
        let s = s.trim();
        if s.is_empty() {
            return None;
        }
        match s.parse::<f64>() {
            Ok(v) => Some(v),
            Err(_) => {
                errors.push((name.to_owned(), ctx.t("case-not-a-number")));
                None
            }
        }
    };
    CaseInput {
        title_zh: text(&form.title_zh),
        title_en: text(&form.title_en),
        failure_date: form.failure_date.trim().to_owned(),
        region_code: text(&form.region_code),
        industry_code: None,
        equipment_id: None,
        equipment_description: None,
        equipment_type: form.equipment_type.clone(),
        grade: form.grade.clone(),
        manufacturer: text(&form.manufacturer),
        years_in_service: number("years_in_service", &form.years_in_service),
        mechanism: text(&form.mechanism),
        location: text(&form.location),
        morphology: text(&form.morphology),
        max_depth_mm: number("max_depth_mm", &form.max_depth_mm),
        remaining_thickness_mm: None,
        hydrogen_ppm: None,
        metallography: text(&form.metallography),
        composition: None,
        process_medium: text(&form.process_medium),
        temperature_c: number("temperature_c", &form.temperature_c),
        chloride_mg_l: number("chloride_mg_l", &form.chloride_mg_l),
        fluoride_mg_l: None,
        ph: number("ph", &form.ph),
        velocity_m_s: None,
        crevice_present: None,
        deposits_present: None,
        direct_cause: text(&form.direct_cause),
        root_causes: form.root_causes.clone(),
        downtime_days: number("downtime_days", &form.downtime_days),
        cost_cny: number("cost_cny", &form.cost_cny),
        release: None,
        injuries: match form.injuries.trim() {
            "" => None,
            s => match s.parse::<i64>() {
                Ok(n) => Some(n),
                Err(_) => {
                    errors.push(("injuries".to_owned(), ctx.t("case-not-a-number")));
                    None
                }
            },
        },
        rectification: text(&form.rectification),
        rectification_outcome: text(&form.rectification_outcome),
        lessons_zh: text(&form.lessons_zh),
        lessons_en: text(&form.lessons_en),
        narrative_zh: text(&form.narrative_zh),
        narrative_en: text(&form.narrative_en),
        reporter: text(&form.reporter),
        reporter_phone: text(&form.reporter_phone),
        site_address: text(&form.site_address),
    }
}

pub async fn create(State(state): State<AppState>, form: CsrfForm<CaseForm>) -> Response {
    let CsrfForm {
        ctx,
        mut form,
        pairs,
    } = form;
    if let Err(e) = ctx.require_actor() {
        return e.into_response();
    }
    form.root_causes = pairs
        .iter()
        .filter(|(k, _)| k == "root_causes")
        .map(|(_, v)| v.clone())
        .collect();
    let mut errors = Vec::new();
    let input = input_of(&form, &mut errors, &ctx);
    if !errors.is_empty() {
        return new_page(&ctx, form, errors);
    }
    match state.cases().upload(ctx.caller(), input).await {
        Ok(case) => see_other(&format!("/cases/mine/{}", case.id)),
        Err(CasesError::Fields(f)) => {
            let errors = f
                .iter()
                .map(|e| (e.field.clone(), e.message.clone()))
                .collect();
            new_page(&ctx, form, errors)
        }
        Err(e) => fail(&ctx, e).into_response(),
    }
}

#[derive(Template)]
#[template(path = "cases_mine.html")]
struct MinePage<'a> {
    ctx: &'a PageCtx,
    cases: Vec<OwnCase>,
}

pub async fn mine(ctx: PageCtx, State(state): State<AppState>) -> Response {
    if let Err(e) = ctx.require_actor() {
        return e.into_response();
    }
    match state.cases().mine(ctx.caller()).await {
        Ok(cases) => render(&MinePage { ctx: &ctx, cases }),
        Err(e) => fail(&ctx, e).into_response(),
    }
}

#[derive(Template)]
#[template(path = "case_review.html")]
struct ReviewPage<'a> {
    ctx: &'a PageCtx,
    preview: Preview,
    mechanism: String,
    editable: Vec<(String, String)>,
    /// The original's files: name, type, size, what publication will do.
    files: Vec<(ticorr_platform::attachments::Attachment, String)>,
    /// The upload limit and accepted types, for the form.
    file_hint: String,
    notice: Option<String>,
    error: Option<String>,
}

async fn review_page(
    ctx: &PageCtx,
    state: &AppState,
    id: &str,
    notice: Option<String>,
    error: Option<(StatusCode, String)>,
) -> Response {
    match state.cases().preview(ctx.caller(), id).await {
        Ok(p) => {
            let mut published = p.published.clone();
            let editable = ["narrative_zh", "narrative_en", "lessons_zh", "lessons_en"]
                .iter()
                .map(|f| {
                    let v = ticorr_cases::publication::text_mut(&mut published, f)
                        .and_then(|v| v.clone())
                        .unwrap_or_default();
                    ((*f).to_owned(), v)
                })
                .collect();
            let (status, error) = match error {
                Some((status, message)) => (status, Some(message)),
                None => (StatusCode::OK, None),
            };
            let files = p
                .files
                .iter()
                .map(|f| (f.attachment.clone(), fate(ctx, &f.publication)))
                .collect();
            (
                status,
                render(&ReviewPage {
                    mechanism: mechanism_name(ctx.lang, p.published.mechanism),
                    preview: p,
                    editable,
                    files,
                    file_hint: ctx.t1(
                        "attachments-file-hint",
                        "limit",
                        ticorr_platform::attachments::human_size(state.attachments.max_bytes()),
                    ),
                    notice,
                    error,
                    ctx,
                }),
            )
                .into_response()
        }
        Err(e) => fail(ctx, e).into_response(),
    }
}

pub async fn review(
    ctx: PageCtx,
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(done): Query<Done>,
) -> Response {
    if let Err(e) = ctx.require_actor() {
        return e.into_response();
    }
    let notice = match done.done.as_deref() {
        Some(d @ ("attachment-added" | "attachment-deleted")) => Some(ctx.label("done", d)),
        _ => None,
    };
    review_page(&ctx, &state, &id, notice, None).await
}

/// The contributor attaches a photo or report to its case (multipart form).
pub async fn attach(
    State(state): State<AppState>,
    Path(id): Path<String>,
    req: axum::extract::Request,
) -> Response {
    let (ctx, name, bytes) = match super::file_form::read(&state, req).await {
        super::file_form::FileForm::File(ctx, name, bytes) => (ctx, name, bytes),
        super::file_form::FileForm::Refused(ctx, status, message) => {
            return review_page(&ctx, &state, &id, None, Some((status, message))).await;
        }
        super::file_form::FileForm::Done(response) => return response,
    };
    match state.cases().attach(ctx.caller(), &id, &name, bytes).await {
        Ok(_) => see_other(&format!(
            "/cases/mine/{id}?done=attachment-added#case-files"
        )),
        Err(CasesError::Attachment(e)) => match super::file_form::refusal(&ctx, &e) {
            Some(refused) => review_page(&ctx, &state, &id, None, Some(refused)).await,
            None => ctx.attachment_error(e).into_response(),
        },
        Err(CasesError::Conflict(m)) => {
            review_page(&ctx, &state, &id, None, Some((StatusCode::CONFLICT, m))).await
        }
        Err(e) => fail(&ctx, e).into_response(),
    }
}

/// The contributor removes a file of its case's original.
pub async fn detach(
    State(state): State<AppState>,
    Path((id, file)): Path<(String, ticorr_kernel::AttachmentId)>,
    form: CsrfForm<super::auth::Empty>,
) -> Response {
    let ctx = form.ctx;
    if let Err(e) = ctx.require_actor() {
        return e.into_response();
    }
    let owner = match state.cases().owner_of(&id).await {
        Ok(Some(o)) => o,
        Ok(None) => return ctx.error(PageErrorKind::NotFound).into_response(),
        Err(e) => return fail(&ctx, e).into_response(),
    };
    let back = format!("/cases/mine/{id}?done=attachment-deleted#case-files");
    super::file_form::delete(&state, &ctx, &owner, file, &back).await
}

#[derive(Deserialize)]
pub struct ConfirmForm {
    #[serde(default)]
    revision: i64,
}

pub async fn confirm(
    State(state): State<AppState>,
    Path(id): Path<String>,
    form: CsrfForm<ConfirmForm>,
) -> Response {
    let CsrfForm { ctx, form, pairs } = form;
    if let Err(e) = ctx.require_actor() {
        return e.into_response();
    }
    // Rewritten texts: only those changed from what the preview showed count as edits.
    let preview = match state.cases().preview(ctx.caller(), &id).await {
        Ok(p) => p,
        Err(e) => return fail(&ctx, e).into_response(),
    };
    let mut shown = preview.published.clone();
    let mut edits = std::collections::BTreeMap::new();
    for (k, v) in &pairs {
        if let Some(field) = k.strip_prefix("edit_") {
            let before = ticorr_cases::publication::text_mut(&mut shown, field)
                .and_then(|v| v.clone())
                .unwrap_or_default();
            let v = v.replace("\r\n", "\n");
            if v.trim() != before.trim() {
                edits.insert(field.to_owned(), v);
            }
        }
    }
    for (k, v) in preview.edits {
        edits.entry(k).or_insert(v);
    }
    match state
        .cases()
        .confirm(
            ctx.caller(),
            &id,
            &ConfirmInput {
                revision: form.revision,
                edits,
            },
        )
        .await
    {
        Ok(_) => see_other(&format!("/cases/mine/{id}")),
        Err(CasesError::Fields(f)) => {
            review_page(
                &ctx,
                &state,
                &id,
                None,
                Some((StatusCode::UNPROCESSABLE_ENTITY, f.to_string())),
            )
            .await
        }
        Err(e) => fail(&ctx, e).into_response(),
    }
}

#[derive(Template)]
#[template(path = "cases_curation.html")]
struct CurationPage<'a> {
    ctx: &'a PageCtx,
    items: Vec<(QueueItem, String)>,
    mechanisms: Vec<(String, String)>,
}

pub async fn curation(ctx: PageCtx, State(state): State<AppState>) -> Response {
    if let Err(e) = ctx.require_actor() {
        return e.into_response();
    }
    match state.cases().queue(ctx.caller()).await {
        Ok(items) => render(&CurationPage {
            items: items
                .into_iter()
                .map(|i| {
                    let title = pick(ctx.lang, &i.published.title_zh, &i.published.title_en)
                        .unwrap_or_default();
                    (i, title)
                })
                .collect(),
            mechanisms: mechanism_options(&ctx),
            ctx: &ctx,
        }),
        Err(e) => fail(&ctx, e).into_response(),
    }
}

#[derive(Deserialize)]
pub struct CurateForm {
    revision: i64,
    decision: String,
    #[serde(default)]
    note: Option<String>,
    #[serde(default)]
    mechanism: Option<String>,
}

pub async fn curate(
    State(state): State<AppState>,
    Path(id): Path<String>,
    form: CsrfForm<CurateForm>,
) -> Response {
    let CsrfForm { ctx, form, .. } = form;
    if let Err(e) = ctx.require_actor() {
        return e.into_response();
    }
    let input = CurationInput {
        revision: form.revision,
        decision: form.decision,
        note: form.note,
        mechanism: form.mechanism,
        root_causes: None,
    };
    match state.cases().curate(ctx.caller(), &id, &input).await {
        Ok(stage) => see_other(&format!("/cases/curation?done={stage}")),
        Err(e) => fail(&ctx, e).into_response(),
    }
}

#[derive(Template)]
#[template(path = "cases_access.html")]
struct AccessPage<'a> {
    ctx: &'a PageCtx,
    incoming: Vec<AccessRequest>,
    mine: Vec<AccessRequest>,
    accesses: Vec<Access>,
    grant_days: u32,
}

pub async fn access(ctx: PageCtx, State(state): State<AppState>) -> Response {
    if let Err(e) = ctx.require_actor() {
        return e.into_response();
    }
    let cases = state.cases();
    let result = async {
        Ok::<_, CasesError>((
            cases.requests(ctx.caller(), true).await?,
            cases.requests(ctx.caller(), false).await?,
            cases.accesses(ctx.caller(), None).await?,
        ))
    }
    .await;
    match result {
        Ok((incoming, mine, accesses)) => render(&AccessPage {
            ctx: &ctx,
            incoming,
            mine,
            accesses,
            grant_days: state.config.cases.grant_days,
        }),
        Err(e) => fail(&ctx, e).into_response(),
    }
}

#[derive(Deserialize)]
pub struct DecideForm {
    decision: String,
    #[serde(default)]
    days: Option<String>,
    #[serde(default)]
    note: Option<String>,
}

pub async fn decide(
    State(state): State<AppState>,
    Path(id): Path<String>,
    form: CsrfForm<DecideForm>,
) -> Response {
    let CsrfForm { ctx, form, .. } = form;
    if let Err(e) = ctx.require_actor() {
        return e.into_response();
    }
    let days = match form
        .days
        .as_deref()
        .map(str::trim)
        .filter(|d| !d.is_empty())
    {
        Some(d) => match d.parse::<u32>() {
            Ok(n) => Some(n),
            Err(_) => {
                return ctx
                    .error(PageErrorKind::BadRequest(ctx.t("case-not-a-number")))
                    .into_response();
            }
        },
        None => None,
    };
    let input = DecisionInput {
        grant: form.decision == "grant",
        days,
        note: form.note,
    };
    match state.cases().decide(ctx.caller(), &id, &input).await {
        Ok(_) => see_other("/cases/access"),
        Err(e) => fail(&ctx, e).into_response(),
    }
}

/// The case import page.
const IMPORT: super::import::ImportKind = super::import::ImportKind {
    job_kind: ticorr_cases::import::IMPORT_KIND,
    title_key: "cases-import",
    intro_key: "cases-import-intro",
    hint_key: "cases-import-hint",
    back_href: "/cases/mine",
    back_key: "cases-mine",
    template_href: "/cases/import/template.csv",
    action: "/cases/import",
};

#[derive(Deserialize, Default)]
pub struct ImportQuery {
    /// The import job to show: its progress while it runs, its result once done.
    job: Option<String>,
}

pub async fn import_form(ctx: PageCtx, Query(q): Query<ImportQuery>) -> Response {
    use super::import::{ImportPageData, page};
    use ticorr_cases::import::ImportOutcome;
    if let Err(e) = ctx.require_actor() {
        return e.into_response();
    }
    let Some(id) = q.job else {
        return page(&ctx, StatusCode::OK, &IMPORT, ImportPageData::default());
    };
    let job = match super::import::job(&ctx, &IMPORT, &id).await {
        Ok(j) => j,
        Err(r) => return r,
    };
    let mut data = ImportPageData {
        job: Some(super::jobs::JobPanel::new(&ctx, &job)),
        ..Default::default()
    };
    match job
        .result
        .clone()
        .and_then(|r| serde_json::from_value::<ImportOutcome>(r).ok())
    {
        Some(ImportOutcome::Imported { rows, .. }) => {
            data.done = Some((
                ctx.t1("cases-import-done", "count", rows),
                "/cases/mine".into(),
                ctx.t("cases-import-see-drafts"),
            ));
        }
        Some(ImportOutcome::Rejected {
            message,
            row_errors,
        }) => {
            if row_errors.is_empty() {
                data.file_error = Some(message);
            }
            data.row_errors = row_errors;
        }
        None => {}
    }
    page(&ctx, StatusCode::OK, &IMPORT, data)
}

/// The import form posts multipart data; the anti-forgery token is one of its fields.
pub async fn import(State(state): State<AppState>, req: axum::extract::Request) -> Response {
    let (ctx, name, bytes) = match super::import::read_form(&state, &IMPORT, req).await {
        Ok(form) => form,
        Err(r) => return r,
    };
    match state
        .cases()
        .start_import(ctx.caller(), bytes, name.clone())
        .await
    {
        Ok(id) => see_other(&format!("/cases/import?job={id}")),
        Err(CasesError::Unreadable(msg)) => super::import::refused(&ctx, &IMPORT, msg, name),
        Err(e) => fail(&ctx, e).into_response(),
    }
}

/// The import template: the header row.
pub async fn import_template() -> Response {
    (
        [
            (axum::http::header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                axum::http::header::CONTENT_DISPOSITION,
                "attachment; filename=\"ticorr-cases-template.csv\"",
            ),
        ],
        ticorr_cases::import::template_csv(),
    )
        .into_response()
}
