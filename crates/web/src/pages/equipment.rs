//! Equipment pages: list with filters, detail (with private notes and attached files),
//! create, edit, delete, import and export.

use askama::Template;
use axum::extract::{Query, Request, State};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use ticorr_equipment::{
    self as equipment, EquipmentError, EquipmentInput, EquipmentView, ExportFormat, ListFilter,
};
use ticorr_kernel::equipment::{EquipmentType, GalvanicPartner, TitaniumGrade};
use ticorr_kernel::{AttachmentId, EquipmentId, FieldErrors, Level, OrgId, OrgKind, PageRequest};
use ticorr_platform::attachments::{self, Attachment};
use ticorr_platform::identity::orgs;
use ticorr_platform::policy::{Action, RecordRef, Resource};

use super::{CsrfForm, Done, Options, PageCtx, PageErrorKind, num, render, see_other, url_encode};
use crate::api::equipment::spreadsheet_response;
use crate::extract::{PageParams, Path};
use crate::state::AppState;

/// Whether the caller may register items for their organisation (to offer the buttons).
pub fn may_create(ctx: &PageCtx) -> bool {
    ctx.actor().is_some_and(|a| {
        ctx.state.gate.would_allow(
            ctx.caller(),
            Action::Create,
            &Resource::Record(RecordRef {
                kind: equipment::RECORD_KIND,
                id: String::new(),
                level: Level::Private,
                owner: a.org_id,
                parks: vec![],
            }),
        )
    })
}

/// A row of the list, ready to show.
pub struct Row {
    pub id: EquipmentId,
    pub tag: String,
    pub name: String,
    pub kind: String,
    pub grade: String,
    pub level: Level,
    pub level_label: String,
    pub owner: String,
    pub own: bool,
    pub park: String,
    pub temperature: String,
    pub chloride: String,
    pub ph: String,
    /// Current risk grade, or empty while not graded.
    pub risk_grade: String,
    pub risk_class: String,
}

fn row(ctx: &PageCtx, v: &EquipmentView) -> Row {
    let own = ctx.actor().is_some_and(|a| a.org_id == v.item.org_id);
    Row {
        id: v.item.id,
        tag: v.item.tag.clone(),
        name: v.item.name.clone(),
        kind: ctx.label("equipment-type", v.item.equipment_type.as_str()),
        grade: v.item.grade.label(),
        level: v.item.level,
        level_label: format!(
            "{} {}",
            v.item.level.label(),
            ctx.t(&format!("level-{}", v.item.level.as_str()))
        ),
        owner: v.owner_name.clone(),
        own,
        park: v.park_name.clone().unwrap_or_default(),
        temperature: num(v.item.temperature_c),
        chloride: num(v.item.chloride_mg_l),
        ph: num(v.item.ph),
        risk_grade: v.risk_grade.clone().unwrap_or_default(),
        risk_class: v
            .risk_grade
            .as_deref()
            .and_then(ticorr_risk::RiskGrade::parse)
            .map_or("ungraded", |g| g.level())
            .to_owned(),
    }
}

#[derive(Template)]
#[template(path = "equipment_list.html")]
struct ListPage<'a> {
    ctx: &'a PageCtx,
    rows: Vec<Row>,
    next: Option<String>,
    filter: FilterValues,
    types: Vec<(String, String)>,
    grades: Vec<(String, String)>,
    levels: Vec<(String, String)>,
    export_query: String,
    may_create: bool,
    notice: Option<String>,
    /// The damage mechanism the list is narrowed to (from the risk overview), by name,
    /// with the link that clears it.
    mechanism: Option<(String, String)>,
}

#[derive(Deserialize, Default, Clone)]
pub struct FilterValues {
    #[serde(default)]
    q: String,
    #[serde(default)]
    equipment_type: String,
    #[serde(default)]
    grade: String,
    #[serde(default)]
    level: String,
    #[serde(default)]
    park_id: String,
    #[serde(default)]
    risk_grade: String,
    #[serde(default)]
    mechanism: String,
    #[serde(default)]
    done: String,
}

impl FilterValues {
    fn to_filter(&self) -> ListFilter {
        ListFilter {
            q: Some(self.q.clone()).filter(|q| !q.trim().is_empty()),
            equipment_type: self.equipment_type.parse().ok(),
            grade: self.grade.parse().ok().filter(|_| !self.grade.is_empty()),
            level: self.level.parse().ok(),
            park_id: self.park_id.parse::<OrgId>().ok(),
            org_id: None,
            risk_grade: Some(self.risk_grade.clone()).filter(|g| !g.is_empty()),
            mechanism: Some(self.mechanism.clone()).filter(|m| !m.is_empty()),
        }
    }

    fn query(&self) -> String {
        format!(
            "q={}&equipment_type={}&grade={}&level={}&park_id={}&risk_grade={}&mechanism={}",
            url_encode(&self.q),
            url_encode(&self.equipment_type),
            url_encode(&self.grade),
            url_encode(&self.level),
            url_encode(&self.park_id),
            url_encode(&self.risk_grade),
            url_encode(&self.mechanism)
        )
    }
}

pub fn vocab_options(ctx: &PageCtx) -> (Options, Options) {
    let types = EquipmentType::ALL
        .iter()
        .map(|t| {
            (
                t.as_str().to_owned(),
                ctx.label("equipment-type", t.as_str()),
            )
        })
        .collect();
    let grades = TitaniumGrade::ALL
        .iter()
        .map(|g| {
            (
                g.as_str().to_owned(),
                if *g == TitaniumGrade::Other {
                    ctx.t("grade-other")
                } else {
                    g.label()
                },
            )
        })
        .collect();
    (types, grades)
}

pub async fn list(
    ctx: PageCtx,
    State(state): State<AppState>,
    Query(f): Query<FilterValues>,
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
    let result =
        match equipment::list(&state.db, &state.gate, ctx.caller(), &f.to_filter(), &req).await {
            Ok(r) => r,
            Err(e) => return ctx.equipment_error(e).into_response(),
        };
    let rows = result.items.iter().map(|v| row(&ctx, v)).collect();
    let (types, grades) = vocab_options(&ctx);
    let levels = [Level::Private, Level::Park]
        .iter()
        .map(|l| {
            (
                l.as_str().to_owned(),
                format!("{} {}", l.label(), ctx.t(&format!("level-{}", l.as_str()))),
            )
        })
        .collect();
    let notice = ctx.notice(&Done {
        done: Some(f.done.clone()),
    });
    let mechanism = (!f.mechanism.is_empty()).then(|| {
        let zh = ctx.lang == crate::i18n::Lang::Zh;
        let name = ticorr_platform::risk::load()
            .ok()
            .and_then(|r| r.rules.mechanism(&f.mechanism))
            .map(|m| {
                if zh {
                    m.name_zh.clone()
                } else {
                    m.name.clone()
                }
            })
            .unwrap_or_else(|| f.mechanism.clone());
        let mut without = f.clone();
        without.mechanism.clear();
        (name, format!("/equipment?{}", without.query()))
    });
    render(&ListPage {
        mechanism,
        next: result
            .next_cursor
            .map(|c| format!("/equipment?{}&cursor={}", f.query(), url_encode(&c))),
        export_query: f.query(),
        may_create: may_create(&ctx),
        ctx: &ctx,
        rows,
        filter: f,
        types,
        grades,
        levels,
        notice,
    })
}

#[derive(Template)]
#[template(path = "equipment_detail.html")]
struct DetailPage<'a> {
    ctx: &'a PageCtx,
    notice: Option<String>,
    v: EquipmentView,
    row: Row,
    may_change: bool,
    risk_inputs: Vec<(String, String)>,
    manufacturer_link: Option<OrgId>,
    notes: NotesBox,
    files: FilesBox,
    /// The assessment of the item's conditions now.
    risk: super::risk::ResultView,
    /// Every assessment recorded, newest first.
    history: Vec<HistoryRow>,
    /// Applicable standard clauses: (all, mandatory, limits exceeded).
    clauses: (usize, usize, usize),
    /// Published cases most like the item.
    similar: Vec<super::cases::SimilarRow>,
    /// The newest learned risk model's figures for the item.
    learned: Option<super::risk_models::LearnedBox>,
}

/// One recorded assessment, as the history table shows it.
struct HistoryRow {
    when: String,
    reason: String,
    changes: Vec<String>,
    grade: String,
    grade_class: String,
    worst: String,
    rule_set: String,
}

fn history_rows(
    ctx: &PageCtx,
    risk: &ticorr_platform::risk::Risk,
    records: &[equipment::risk::AssessmentRecord],
) -> Vec<HistoryRow> {
    let zh = ctx.lang == crate::i18n::Lang::Zh;
    let shown = |field: &str, v: &Option<serde_json::Value>| match v {
        None => "—".to_owned(),
        Some(serde_json::Value::Bool(b)) => ctx.t(if *b { "yes" } else { "no" }),
        Some(serde_json::Value::Number(n)) => num(n.as_f64()),
        Some(serde_json::Value::String(s)) if field == "grade" => format!("Gr{s}"),
        Some(serde_json::Value::String(s)) => s.clone(),
        Some(serde_json::Value::Null) => ctx.t("none"),
        Some(other) => other.to_string(),
    };
    records
        .iter()
        .map(|r| HistoryRow {
            when: r.assessed_at.human(),
            reason: ctx.label("risk-reason", r.reason.as_str()),
            changes: r
                .changes
                .iter()
                .map(|c| {
                    format!(
                        "{}: {} → {}",
                        super::risk::input_label(ctx, &c.field),
                        shown(&c.field, &c.from),
                        shown(&c.field, &c.to)
                    )
                })
                .collect(),
            grade: r
                .risk_grade
                .map(|g| format!("{} · {}", g.as_str(), ctx.label("risk-level", g.level())))
                .unwrap_or_else(|| ctx.t("risk-ungraded")),
            grade_class: r.risk_grade.map_or("ungraded", |g| g.level()).to_owned(),
            worst: match &r.worst_mechanism {
                Some(id) => {
                    let name = risk
                        .rules
                        .mechanism(id)
                        .map(|m| {
                            if zh {
                                m.name_zh.clone()
                            } else {
                                m.name.clone()
                            }
                        })
                        .unwrap_or_else(|| id.clone());
                    format!(
                        "{name} ({})",
                        ctx.label("susceptibility", r.worst_susceptibility.as_str())
                    )
                }
                None => ctx.t("risk-nothing-applies"),
            },
            rule_set: format!(
                "{} · {}",
                r.rule_set_version,
                r.rule_set_sha256.get(..12).unwrap_or_default()
            ),
        })
        .collect()
}

/// The attachments section of an item page.
struct FilesBox {
    items: Vec<FileRow>,
    may_attach: bool,
    may_delete: bool,
    /// Why the last upload was refused.
    error: Option<String>,
    /// The upload limit and accepted types, for the form.
    hint: String,
}

/// One attached file, ready to show.
struct FileRow {
    id: AttachmentId,
    name: String,
    kind: String,
    size: String,
    sha256: String,
    sha256_short: String,
    uploaded: String,
    thumbnail: bool,
    thumbnail_alt: String,
    ledger: Option<ticorr_platform::ledger::LedgerRef>,
}

impl FileRow {
    fn new(ctx: &PageCtx, a: &Attachment) -> Self {
        FileRow {
            id: a.id,
            name: a.file_name.clone(),
            kind: ctx.label("attachment-kind", a.kind.as_str()),
            size: a.size_human(),
            sha256: a.sha256.clone(),
            sha256_short: a.sha256_short().to_owned(),
            uploaded: a.created_at.human(),
            thumbnail: a.has_thumbnail,
            thumbnail_alt: ctx.t1("attachments-thumbnail-alt", "name", &a.file_name),
            ledger: a.ledger,
        }
    }
}

/// The private-notes section of an item page.
enum NotesBox {
    /// The caller is not of the owner organisation: no section.
    Hidden,
    Shown {
        text: String,
        updated: Option<String>,
    },
    /// The owner's data key was destroyed.
    Erased,
}

impl DetailPage<'_> {
    fn n(&self, v: &Option<f64>) -> String {
        if v.is_some() { num(*v) } else { "—".into() }
    }

    fn flag(&self, v: &Option<bool>) -> String {
        match v {
            Some(true) => self.ctx.t("yes"),
            Some(false) => self.ctx.t("no"),
            None => self.ctx.t("unknown"),
        }
    }

    fn text(&self, v: &Option<String>) -> String {
        v.clone().unwrap_or_else(|| "—".into())
    }

    /// A consequence answer in the page's language.
    fn choice(&self, list: &str, v: &Option<String>) -> String {
        let Some(id) = v else {
            return self.ctx.t("unknown");
        };
        let scheme = ticorr_platform::risk::load().map(|r| &r.consequence);
        let choices = match (list, scheme) {
            ("medium_hazard", Ok(s)) => &s.medium_hazard,
            (_, Ok(s)) => &s.people_nearby,
            (_, Err(_)) => return id.clone(),
        };
        choices
            .iter()
            .find(|c| &c.id == id)
            .map(|c| {
                if self.ctx.lang == crate::i18n::Lang::Zh {
                    c.zh.clone()
                } else {
                    c.en.clone()
                }
            })
            .unwrap_or_else(|| id.clone())
    }

    fn galvanic(&self) -> String {
        self.v
            .item
            .galvanic_partner
            .map(|g| self.ctx.label("galvanic", g.as_str()))
            .unwrap_or_else(|| self.ctx.t("unknown"))
    }
}

pub async fn detail(
    ctx: PageCtx,
    State(state): State<AppState>,
    Path(id): Path<EquipmentId>,
    Query(done): Query<Done>,
) -> Response {
    if let Err(e) = ctx.require_actor() {
        return e.into_response();
    }
    let notice = ctx.notice(&done);
    detail_page(&ctx, &state, id, notice, None, axum::http::StatusCode::OK).await
}

/// The item page, with a notice after a successful form post or the reason an upload was
/// refused.
async fn detail_page(
    ctx: &PageCtx,
    state: &AppState,
    id: EquipmentId,
    notice: Option<String>,
    upload_error: Option<String>,
    status: axum::http::StatusCode,
) -> Response {
    let (v, item_risk) = match equipment::item_risk(&state.db, &state.gate, ctx.caller(), id).await
    {
        Ok(found) => found,
        Err(e) => return ctx.equipment_error(e).into_response(),
    };
    let engine = match ticorr_platform::risk::load() {
        Ok(r) => r,
        Err(e) => return ctx.storage_error(e).into_response(),
    };
    let mut risk = super::risk::view(
        ctx,
        engine,
        &super::risk::Outcome::of_item(&item_risk.assessment),
        &v.item.risk_inputs(),
    );
    risk.heading = ctx.t("equipment-risk");
    let history = history_rows(ctx, engine, &item_risk.history);
    let profile = ticorr_cases::similar::Profile::of_item(
        &v.item,
        &item_risk.assessment.probability.mechanisms,
    );
    let similar = match state.cases().like_item(ctx.caller(), &profile, 5).await {
        Ok(found) => super::cases::similar_rows(ctx, &found),
        Err(e) => return ctx.storage_error(e).into_response(),
    };
    let learned = match ticorr_cases::risk_models::for_item(&state.db, &v.item).await {
        Ok(f) => super::risk_models::learned_box(ctx, f),
        Err(e) => return ctx.storage_error(e).into_response(),
    };
    let clauses = match ticorr_standards::match_view(&state.db, &state.gate, ctx.caller(), &v).await
    {
        Ok(m) => (
            m.applicable.len(),
            m.applicable
                .iter()
                .filter(|c| c.clause.kind == ticorr_standards::ClauseKind::Mandatory)
                .count(),
            m.applicable
                .iter()
                .filter(|c| c.limit.as_ref().is_some_and(|l| l.status == "exceeded"))
                .count(),
        ),
        Err(e) => return ctx.standards_error(e).into_response(),
    };
    let may_change = equipment::may_change(&state.gate, ctx.caller(), &v.item);
    let risk_inputs = v
        .item
        .risk_inputs()
        .into_iter()
        .map(|(k, val)| {
            let shown = match val {
                serde_json::Value::String(s) => s,
                serde_json::Value::Number(n) => num(n.as_f64()),
                serde_json::Value::Null => ctx.t("none"),
                other => other.to_string(),
            };
            (k, shown)
        })
        .collect();
    let notes = if equipment::notes::may_read(&state.gate, ctx.caller(), &v.item) {
        match equipment::notes::get(&state.db, &state.gate, &state.vault, ctx.caller(), id).await {
            Ok(n) => NotesBox::Shown {
                text: n.text,
                updated: n.updated_at.map(|t| t.human()),
            },
            Err(EquipmentError::Vault(ticorr_platform::vault::VaultError::Shredded)) => {
                NotesBox::Erased
            }
            Err(e) => return ctx.equipment_error(e).into_response(),
        }
    } else {
        NotesBox::Hidden
    };
    let owner = equipment::attachments::owner(&v.item);
    let items = match attachments::list(&state.db, &state.gate, ctx.caller(), &owner).await {
        Ok(items) => items.iter().map(|a| FileRow::new(ctx, a)).collect(),
        Err(e) => return ctx.storage_error(e).into_response(),
    };
    let files = FilesBox {
        items,
        may_attach: attachments::may_attach(&state.gate, ctx.caller(), &owner),
        may_delete: attachments::may_delete(&state.gate, ctx.caller(), &owner),
        error: upload_error,
        hint: ctx.t1(
            "attachments-file-hint",
            "limit",
            attachments::human_size(state.attachments.max_bytes()),
        ),
    };
    let row = row(ctx, &v);
    (
        status,
        render(&DetailPage {
            ctx,
            notice,
            manufacturer_link: v.item.manufacturer_org_id,
            v,
            row,
            may_change,
            risk_inputs,
            similar,
            learned,
            notes,
            files,
            risk,
            history,
            clauses,
        }),
    )
        .into_response()
}

/// The attachment form posts multipart data; the anti-forgery token is one of its fields.
pub async fn upload_attachment(
    State(state): State<AppState>,
    Path(id): Path<EquipmentId>,
    req: Request,
) -> Response {
    let refused = |ctx: PageCtx, status: axum::http::StatusCode, message: String| {
        let state = state.clone();
        async move { detail_page(&ctx, &state, id, None, Some(message), status).await }
    };
    let (ctx, name, bytes) = match super::file_form::read(&state, req).await {
        super::file_form::FileForm::File(ctx, name, bytes) => (ctx, name, bytes),
        super::file_form::FileForm::Refused(ctx, status, message) => {
            return refused(ctx, status, message).await;
        }
        super::file_form::FileForm::Done(response) => return response,
    };
    let owner = match equipment::attachments::owner_of(&state.db, id).await {
        Ok(Some(o)) => o,
        Ok(None) => return ctx.error(PageErrorKind::NotFound).into_response(),
        Err(e) => return ctx.equipment_error(e).into_response(),
    };
    match super::file_form::store(&state, &ctx, &owner, &name, bytes).await {
        Ok(()) => see_other(&format!(
            "/equipment/{id}?done=attachment-added#attachments"
        )),
        Err(super::file_form::NotStored::Refused(status, message)) => {
            refused(ctx, status, message).await
        }
        Err(super::file_form::NotStored::Failed(page)) => page,
    }
}

pub async fn delete_attachment(
    State(state): State<AppState>,
    Path((id, file)): Path<(EquipmentId, AttachmentId)>,
    form: CsrfForm<super::auth::Empty>,
) -> Response {
    let ctx = form.ctx;
    if let Err(e) = ctx.require_actor() {
        return e.into_response();
    }
    let owner = match equipment::attachments::owner_of(&state.db, id).await {
        Ok(Some(o)) => o,
        Ok(None) => return ctx.error(PageErrorKind::NotFound).into_response(),
        Err(e) => return ctx.equipment_error(e).into_response(),
    };
    let back = format!("/equipment/{id}?done=attachment-deleted#attachments");
    super::file_form::delete(&state, &ctx, &owner, file, &back).await
}

#[derive(Deserialize)]
pub struct NotesForm {
    #[serde(default)]
    text: String,
}

pub async fn save_notes(
    State(state): State<AppState>,
    Path(id): Path<EquipmentId>,
    form: CsrfForm<NotesForm>,
) -> Response {
    let CsrfForm { ctx, form, .. } = form;
    if let Err(e) = ctx.require_actor() {
        return e.into_response();
    }
    let input = equipment::notes::NotesInput { text: form.text };
    match equipment::notes::set(
        &state.db,
        &state.gate,
        &state.vault,
        ctx.caller(),
        id,
        &input,
    )
    .await
    {
        Ok(_) => see_other(&format!("/equipment/{id}?done=notes-saved#notes")),
        Err(EquipmentError::Vault(ticorr_platform::vault::VaultError::Shredded)) => {
            see_other(&format!("/equipment/{id}#notes"))
        }
        Err(e) => ctx.equipment_error(e).into_response(),
    }
}

/// The form's values as typed, kept to refill the form after an error.
#[derive(Deserialize, Default, Clone)]
pub struct FormValues {
    #[serde(default)]
    tag: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    equipment_type: String,
    #[serde(default)]
    grade: String,
    #[serde(default)]
    level: String,
    #[serde(default)]
    park_id: String,
    #[serde(default)]
    manufacturer_org_id: String,
    #[serde(default)]
    manufacturer_name: String,
    #[serde(default)]
    commissioned_on: String,
    #[serde(default)]
    process_medium: String,
    #[serde(default)]
    location: String,
    #[serde(default)]
    temperature_c: String,
    #[serde(default)]
    pressure_mpa: String,
    #[serde(default)]
    chloride_mg_l: String,
    #[serde(default)]
    fluoride_mg_l: String,
    #[serde(default)]
    ph: String,
    #[serde(default)]
    velocity_m_s: String,
    #[serde(default)]
    galvanic_partner: String,
    #[serde(default)]
    cathodic_protection: String,
    #[serde(default)]
    cp_potential_v_sce: String,
    #[serde(default)]
    crevice_present: String,
    #[serde(default)]
    deposits_present: String,
    #[serde(default)]
    medium_hazard: String,
    #[serde(default)]
    people_nearby: String,
    #[serde(default)]
    failure_cost_usd: String,
    #[serde(default)]
    consequence_category: String,
    #[serde(default)]
    version: String,
    /// The risk model's other inputs as typed (`sc.<name>` in the form).
    #[serde(skip)]
    conditions: std::collections::BTreeMap<String, String>,
}

/// Form fields named `sc.<name>` for the risk model's inputs kept as service conditions.
const CONDITION_PREFIX: &str = "sc.";

impl FormValues {
    /// The form with its service-condition fields, which serde does not see.
    fn with_conditions(mut self, pairs: &[(String, String)]) -> Self {
        for (k, v) in pairs {
            if let Some(name) = k.strip_prefix(CONDITION_PREFIX)
                && equipment::FIELDS
                    .iter()
                    .any(|f| f.condition && f.name == name)
                && !v.trim().is_empty()
            {
                self.conditions.insert(name.to_owned(), v.trim().to_owned());
            }
        }
        self
    }
}

fn opt(s: &str) -> Option<String> {
    let t = s.trim();
    (!t.is_empty()).then(|| t.to_owned())
}

fn opt_num(errors: &mut FieldErrors, field: &str, s: &str) -> Option<f64> {
    let t = s.trim();
    if t.is_empty() {
        return None;
    }
    match t.parse::<f64>() {
        Ok(v) if v.is_finite() => Some(v),
        _ => {
            errors.add(field, "not_a_number", "enter a number");
            None
        }
    }
}

fn opt_flag(s: &str) -> Option<bool> {
    match s {
        "true" => Some(true),
        "false" => Some(false),
        _ => None,
    }
}

fn flag_value(v: Option<bool>) -> String {
    match v {
        Some(true) => "true".into(),
        Some(false) => "false".into(),
        None => String::new(),
    }
}

impl FormValues {
    fn to_input(&self) -> Result<EquipmentInput, FieldErrors> {
        let mut e = FieldErrors::new();
        let input = EquipmentInput {
            tag: self.tag.clone(),
            name: self.name.clone(),
            equipment_type: self.equipment_type.clone(),
            grade: self.grade.clone(),
            level: opt(&self.level),
            park_id: opt(&self.park_id),
            manufacturer_org_id: opt(&self.manufacturer_org_id),
            manufacturer_name: opt(&self.manufacturer_name),
            commissioned_on: opt(&self.commissioned_on),
            process_medium: opt(&self.process_medium),
            location: opt(&self.location),
            temperature_c: opt_num(&mut e, "temperature_c", &self.temperature_c),
            pressure_mpa: opt_num(&mut e, "pressure_mpa", &self.pressure_mpa),
            chloride_mg_l: opt_num(&mut e, "chloride_mg_l", &self.chloride_mg_l),
            fluoride_mg_l: opt_num(&mut e, "fluoride_mg_l", &self.fluoride_mg_l),
            ph: opt_num(&mut e, "ph", &self.ph),
            velocity_m_s: opt_num(&mut e, "velocity_m_s", &self.velocity_m_s),
            galvanic_partner: opt(&self.galvanic_partner),
            cathodic_protection: opt_flag(&self.cathodic_protection),
            cp_potential_v_sce: opt_num(&mut e, "cp_potential_v_sce", &self.cp_potential_v_sce),
            crevice_present: opt_flag(&self.crevice_present),
            deposits_present: opt_flag(&self.deposits_present),
            service_conditions: Some(self.condition_values(&mut e)),
            medium_hazard: opt(&self.medium_hazard),
            people_nearby: opt(&self.people_nearby),
            failure_cost_usd: opt_num(&mut e, "failure_cost_usd", &self.failure_cost_usd),
            consequence_category: opt(&self.consequence_category),
        };
        e.into_result(input)
    }

    /// The typed service conditions as the registry's JSON values. Every condition field
    /// is sent, `null` when left empty, so clearing one in the form clears it.
    fn condition_values(&self, e: &mut FieldErrors) -> serde_json::Map<String, serde_json::Value> {
        let mut out = serde_json::Map::new();
        for f in equipment::FIELDS.iter().filter(|f| f.condition) {
            let field = format!("service_conditions.{}", f.name);
            let value = match self.conditions.get(f.name) {
                None => serde_json::Value::Null,
                Some(text) => match f.kind {
                    equipment::FieldKind::Flag => match opt_flag(text) {
                        Some(b) => serde_json::Value::Bool(b),
                        None => serde_json::Value::Null,
                    },
                    _ => match opt_num(e, &field, text) {
                        Some(n) => serde_json::json!(n),
                        None => continue,
                    },
                },
            };
            out.insert(f.name.to_owned(), value);
        }
        out
    }

    fn from_item(v: &EquipmentView) -> Self {
        let i = &v.item;
        FormValues {
            tag: i.tag.clone(),
            name: i.name.clone(),
            equipment_type: i.equipment_type.as_str().into(),
            grade: i.grade.as_str().into(),
            level: i.level.as_str().into(),
            park_id: i.park_id.map(|p| p.to_string()).unwrap_or_default(),
            manufacturer_org_id: i
                .manufacturer_org_id
                .map(|m| m.to_string())
                .unwrap_or_default(),
            manufacturer_name: if i.manufacturer_org_id.is_some() {
                String::new()
            } else {
                i.manufacturer_name.clone().unwrap_or_default()
            },
            commissioned_on: i.commissioned_on.clone().unwrap_or_default(),
            process_medium: i.process_medium.clone().unwrap_or_default(),
            location: i.location.clone().unwrap_or_default(),
            temperature_c: num(i.temperature_c),
            pressure_mpa: num(i.pressure_mpa),
            chloride_mg_l: num(i.chloride_mg_l),
            fluoride_mg_l: num(i.fluoride_mg_l),
            ph: num(i.ph),
            velocity_m_s: num(i.velocity_m_s),
            galvanic_partner: i
                .galvanic_partner
                .map(|g| g.as_str().to_owned())
                .unwrap_or_default(),
            cathodic_protection: flag_value(i.cathodic_protection),
            cp_potential_v_sce: num(i.cp_potential_v_sce),
            crevice_present: flag_value(i.crevice_present),
            deposits_present: flag_value(i.deposits_present),
            medium_hazard: i.medium_hazard.clone().unwrap_or_default(),
            people_nearby: i.people_nearby.clone().unwrap_or_default(),
            failure_cost_usd: num(i.failure_cost_usd),
            consequence_category: i.consequence_category.clone().unwrap_or_default(),
            version: i.version.to_string(),
            conditions: i
                .service_conditions
                .iter()
                .map(|(k, v)| {
                    let text = match v {
                        serde_json::Value::Bool(b) => flag_value(Some(*b)),
                        serde_json::Value::Number(n) => num(n.as_f64()),
                        other => other.to_string(),
                    };
                    (k.clone(), text)
                })
                .collect(),
        }
    }
}

#[derive(Template)]
#[template(path = "equipment_form.html")]
struct FormPage<'a> {
    ctx: &'a PageCtx,
    /// `None` when creating.
    id: Option<EquipmentId>,
    form: FormValues,
    errors: Vec<(String, String)>,
    types: Vec<(String, String)>,
    grades: Vec<(String, String)>,
    levels: Vec<(String, String)>,
    parks: Vec<(String, String)>,
    manufacturers: Vec<(String, String)>,
    galvanic: Vec<(String, String)>,
    flags: Vec<(String, String)>,
    conditions: Vec<ConditionField>,
    hazard: Vec<(String, String)>,
    people: Vec<(String, String)>,
}

/// A service-condition field of the form.
struct ConditionField {
    name: &'static str,
    label: String,
    unit: String,
    flag: bool,
    value: String,
}

impl FormPage<'_> {
    fn has(&self, field: &str) -> bool {
        self.errors.iter().any(|(f, _)| f == field)
    }

    fn action(&self) -> String {
        match self.id {
            Some(id) => format!("/equipment/{id}/edit"),
            None => "/equipment/new".into(),
        }
    }
}

async fn form_page(
    ctx: &PageCtx,
    id: Option<EquipmentId>,
    form: FormValues,
    errors: Vec<(String, String)>,
) -> Response {
    let actor = match ctx.require_actor() {
        Ok(a) => a,
        Err(e) => return e.into_response(),
    };
    let mut conn = match ctx.state.db.pool().acquire().await {
        Ok(c) => c,
        Err(e) => return ctx.storage_error(e).into_response(),
    };
    let parks = match orgs::park_summaries_of(&mut conn, actor.org_id).await {
        Ok(p) => p.into_iter().map(|p| (p.id.to_string(), p.name)).collect(),
        Err(e) => return ctx.storage_error(e).into_response(),
    };
    let manufacturers = match orgs::directory(
        &ctx.state.db,
        &ctx.state.gate,
        ctx.caller(),
        &orgs::DirectoryFilter {
            kind: Some(OrgKind::Manufacturer),
            ..Default::default()
        },
        &PageRequest::first(ticorr_kernel::page::MAX_LIMIT),
    )
    .await
    {
        Ok(p) => p
            .items
            .into_iter()
            .map(|o| (o.id.to_string(), o.name))
            .collect(),
        Err(e) => return ctx.identity_error(e).into_response(),
    };
    let (types, grades) = vocab_options(ctx);
    let levels = [Level::Private, Level::Park]
        .iter()
        .map(|l| {
            (
                l.as_str().to_owned(),
                format!(
                    "{} {}",
                    l.label(),
                    ctx.t(&format!("level-{}-who", l.as_str()))
                ),
            )
        })
        .collect();
    let galvanic = GalvanicPartner::ALL
        .iter()
        .map(|g| (g.as_str().to_owned(), ctx.label("galvanic", g.as_str())))
        .collect();
    let flags = vec![
        ("".into(), ctx.t("unknown")),
        ("true".into(), ctx.t("yes")),
        ("false".into(), ctx.t("no")),
    ];
    let engine = match ticorr_platform::risk::load() {
        Ok(r) => r,
        Err(e) => return ctx.storage_error(e).into_response(),
    };
    let conditions = equipment::FIELDS
        .iter()
        .filter(|f| f.condition)
        .map(|f| ConditionField {
            name: f.name,
            label: ctx.t(&format!("risk-in-{}", f.name)),
            unit: engine
                .rules
                .input(f.name)
                .and_then(|s| s.unit.clone())
                .unwrap_or_default(),
            flag: f.kind == equipment::FieldKind::Flag,
            value: form.conditions.get(f.name).cloned().unwrap_or_default(),
        })
        .collect();
    let (hazard, people) = super::risk::consequence_choices(ctx, engine);
    let status = if errors.is_empty() {
        axum::http::StatusCode::OK
    } else {
        axum::http::StatusCode::UNPROCESSABLE_ENTITY
    };
    (
        status,
        render(&FormPage {
            ctx,
            id,
            form,
            errors,
            types,
            grades,
            levels,
            parks,
            manufacturers,
            galvanic,
            flags,
            conditions,
            hazard,
            people,
        }),
    )
        .into_response()
}

pub async fn new_form(ctx: PageCtx) -> Response {
    let form = FormValues {
        level: "private".into(),
        grade: "2".into(),
        ..Default::default()
    };
    form_page(&ctx, None, form, vec![]).await
}

pub async fn create(State(state): State<AppState>, form: CsrfForm<FormValues>) -> Response {
    let CsrfForm { ctx, form, pairs } = form;
    let form = form.with_conditions(&pairs);
    if let Err(e) = ctx.require_actor() {
        return e.into_response();
    }
    let input = match form.to_input() {
        Ok(i) => i,
        Err(f) => {
            let errors = ctx.field_messages(&f);
            return form_page(&ctx, None, form, errors).await;
        }
    };
    match equipment::create(&state.db, &state.gate, ctx.caller(), &input).await {
        Ok(v) => see_other(&format!("/equipment/{}?done=created", v.item.id)),
        Err(EquipmentError::Invalid(f)) => {
            let errors = ctx.field_messages(&f);
            form_page(&ctx, None, form, errors).await
        }
        Err(e) => ctx.equipment_error(e).into_response(),
    }
}

pub async fn edit_form(
    ctx: PageCtx,
    State(state): State<AppState>,
    Path(id): Path<EquipmentId>,
) -> Response {
    if let Err(e) = ctx.require_actor() {
        return e.into_response();
    }
    let v = match equipment::get(&state.db, &state.gate, ctx.caller(), id).await {
        Ok(v) => v,
        Err(e) => return ctx.equipment_error(e).into_response(),
    };
    if !equipment::may_change(&state.gate, ctx.caller(), &v.item) {
        return ctx.error(PageErrorKind::Forbidden).into_response();
    }
    form_page(&ctx, Some(id), FormValues::from_item(&v), vec![]).await
}

pub async fn update(
    State(state): State<AppState>,
    Path(id): Path<EquipmentId>,
    form: CsrfForm<FormValues>,
) -> Response {
    let CsrfForm { ctx, form, pairs } = form;
    let form = form.with_conditions(&pairs);
    if let Err(e) = ctx.require_actor() {
        return e.into_response();
    }
    let input = match form.to_input() {
        Ok(i) => i,
        Err(f) => {
            let errors = ctx.field_messages(&f);
            return form_page(&ctx, Some(id), form, errors).await;
        }
    };
    let patch = serde_json::to_value(&input).unwrap_or_default();
    let expected = form.version.trim().parse::<i64>().ok();
    match equipment::update(&state.db, &state.gate, ctx.caller(), id, &patch, expected).await {
        Ok(_) => see_other(&format!("/equipment/{id}?done=saved")),
        Err(EquipmentError::Invalid(f)) => {
            let errors = ctx.field_messages(&f);
            form_page(&ctx, Some(id), form, errors).await
        }
        Err(e) => ctx.equipment_error(e).into_response(),
    }
}

pub async fn delete(
    State(state): State<AppState>,
    Path(id): Path<EquipmentId>,
    form: CsrfForm<super::auth::Empty>,
) -> Response {
    let ctx = form.ctx;
    if let Err(e) = ctx.require_actor() {
        return e.into_response();
    }
    match equipment::delete(&state.db, &state.gate, &state.attachments, ctx.caller(), id).await {
        Ok(()) => see_other("/equipment?done=deleted"),
        Err(e) => ctx.equipment_error(e).into_response(),
    }
}

/// The equipment import page.
const IMPORT: super::import::ImportKind = super::import::ImportKind {
    job_kind: equipment::jobs::IMPORT_KIND,
    title_key: "equipment-import",
    intro_key: "import-intro",
    hint_key: "import-file-hint",
    back_href: "/equipment",
    back_key: "nav-equipment",
    template_href: "/equipment/template.csv",
    action: "/equipment/import",
};

#[derive(Deserialize, Default)]
pub struct ImportQuery {
    /// The import job to show: its progress while it runs, its result once done.
    job: Option<String>,
}

pub async fn import_form(ctx: PageCtx, Query(q): Query<ImportQuery>) -> Response {
    use super::import::{ImportPageData, page};
    if let Err(e) = ctx.require_actor() {
        return e.into_response();
    }
    let Some(id) = q.job else {
        return page(
            &ctx,
            axum::http::StatusCode::OK,
            &IMPORT,
            ImportPageData::default(),
        );
    };
    let job = match super::import::job(&ctx, &IMPORT, &id).await {
        Ok(j) => j,
        Err(r) => return r,
    };
    let mut data = ImportPageData {
        job: Some(super::jobs::JobPanel::new(&ctx, &job)),
        ..Default::default()
    };
    let outcome = job
        .result
        .clone()
        .and_then(|r| serde_json::from_value::<equipment::jobs::ImportOutcome>(r).ok());
    match outcome {
        Some(equipment::jobs::ImportOutcome::Imported { report }) => {
            let message = format!(
                "{} {} {}",
                ctx.t1("import-done", "rows", report.rows),
                ctx.t1("import-created", "count", report.created),
                ctx.t1("import-updated", "count", report.updated)
            );
            data.done = Some((message, "/equipment".into(), ctx.t("import-see-list")));
        }
        Some(equipment::jobs::ImportOutcome::Rejected {
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
    page(&ctx, axum::http::StatusCode::OK, &IMPORT, data)
}

/// The import form posts multipart data; the anti-forgery token is one of its fields.
pub async fn import(State(state): State<AppState>, req: Request) -> Response {
    let (ctx, name, bytes) = match super::import::read_form(&state, &IMPORT, req).await {
        Ok(form) => form,
        Err(r) => return r,
    };
    match equipment::jobs::start_import(&state.db, &state.gate, ctx.caller(), bytes, name.clone())
        .await
    {
        Ok(id) => see_other(&format!("/equipment/import?job={id}")),
        Err(EquipmentError::Unreadable(msg)) => super::import::refused(&ctx, &IMPORT, msg, name),
        Err(e) => ctx.equipment_error(e).into_response(),
    }
}

#[derive(Deserialize, Default)]
pub struct ExportQuery {
    format: Option<String>,
}

pub async fn export(
    ctx: PageCtx,
    State(state): State<AppState>,
    Query(q): Query<ExportQuery>,
    Query(f): Query<FilterValues>,
) -> Response {
    if let Err(e) = ctx.require_actor() {
        return e.into_response();
    }
    let format = if q.format.as_deref() == Some("xlsx") {
        ExportFormat::Xlsx
    } else {
        ExportFormat::Csv
    };
    match equipment::export(&state.db, &state.gate, ctx.caller(), &f.to_filter(), format).await {
        Ok(bytes) => spreadsheet_response(bytes, format, "equipment"),
        Err(e) => ctx.equipment_error(e).into_response(),
    }
}

pub async fn template() -> Response {
    spreadsheet_response(
        equipment::tabular::template_csv(),
        ExportFormat::Csv,
        "equipment-template",
    )
}
