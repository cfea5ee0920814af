//! The standards module: the clause library — unified platform standards, enterprise
//! specifications, park guidelines and industrial-chain agreements — with their versions,
//! a catalogue of the external standards they refer to, and which clauses apply to an
//! equipment item, and why.
//!
//! This file is the module's public service API. Every read goes through the platform's
//! [`Gate`]: a standard is a record of the organisation that holds it, at a data level
//! (`public` for released platform standards: retrieval is a free public service).

pub mod applies;
pub mod catalogue;
pub mod clause_sheet;
pub mod diff;
pub mod inspection;
pub mod lifecycle;
pub mod model;
pub mod revision;
pub mod search;
mod store;
pub mod supplement;

use serde::Serialize;
use sha2::{Digest as _, Sha256};
use ticorr_db::Db;
use ticorr_equipment::EquipmentError;
use ticorr_kernel::equipment::{EquipmentType, TitaniumGrade};
use ticorr_kernel::{EquipmentId, Level, OrgId, Page, PageRequest, Timestamp};
use ticorr_platform::identity::orgs;
use ticorr_platform::policy::{Action, RecordRef, Resource};
use ticorr_platform::{Caller, Denied, Gate};

pub use applies::{Applies, Check, ItemFacts, Outcome, Range, Verdict};
pub use model::{
    Clause, ClauseInput, ClauseKind, Limit, Origin, Stage, Standard, StandardInput, StandardView,
    Version,
};
pub use store::ListFilter;

/// The record kind the policies and the audit see.
pub const RECORD_KIND: &str = "standard";

/// The record type under which released versions are anchored in the ledger.
pub const LEDGER_TYPE: &str = "standard_version";

#[derive(Debug, thiserror::Error)]
pub enum StandardsError {
    #[error(transparent)]
    Ledger(#[from] ticorr_platform::ledger::LedgerError),
    #[error("not found")]
    NotFound,
    #[error("not allowed")]
    Forbidden,
    #[error("invalid: {}", .0.join("; "))]
    Invalid(Vec<String>),
    #[error("invalid input: {0}")]
    Fields(ticorr_kernel::FieldErrors),
    /// The step does not fit the record's state (a proposal at another stage, a review
    /// without quorum).
    #[error("{0}")]
    Conflict(String),
    #[error(transparent)]
    Storage(#[from] sqlx::Error),
    #[error(transparent)]
    Db(#[from] ticorr_db::DbError),
    #[error(transparent)]
    Equipment(#[from] EquipmentError),
    #[error("stored standards data is damaged: {0}")]
    Corrupt(String),
}

impl From<Denied> for StandardsError {
    fn from(d: Denied) -> Self {
        match d {
            Denied::NotFound => StandardsError::NotFound,
            Denied::Forbidden => StandardsError::Forbidden,
            Denied::Storage(e) => StandardsError::Storage(e),
        }
    }
}

impl Standard {
    /// The standard as the policies see it.
    pub fn resource(&self) -> Resource {
        Resource::Record(RecordRef {
            kind: RECORD_KIND,
            id: self.id.clone(),
            level: self.level,
            owner: self.owner_org_id,
            parks: self.park_id.into_iter().collect(),
        })
    }
}

/// SHA-256 of a version's clauses in their canonical form: what a release seals.
pub fn content_sha256(clauses: &[ClauseInput]) -> String {
    hex::encode(Sha256::digest(store::content(clauses).as_bytes()))
}

/// The standards the caller may read that match `filter`, by code. Without an account,
/// the released public ones.
pub async fn list(
    db: &Db,
    gate: &Gate,
    caller: &Caller,
    filter: &ListFilter,
    page: &PageRequest,
) -> Result<Page<Standard>, StandardsError> {
    let mut conn = db.pool().acquire().await?;
    let rows = store::list(&mut conn, caller.principal.actor(), filter, page).await?;
    let page = Page::from_rows(rows, page, |s: &Standard| ticorr_kernel::Cursor {
        key: s.code.clone(),
        id: s.id.clone(),
    });
    let items = gate
        .filter(&mut conn, caller, Action::Read, page.items, |s| {
            s.resource()
        })
        .await?;
    Ok(Page {
        items,
        next_cursor: page.next_cursor,
    })
}

/// One standard with its versions, if the caller may read it.
pub async fn get(
    db: &Db,
    gate: &Gate,
    caller: &Caller,
    id: &str,
) -> Result<StandardView, StandardsError> {
    let mut conn = db.pool().acquire().await?;
    let standard = store::standard(&mut conn, id)
        .await?
        .ok_or(StandardsError::NotFound)?;
    gate.check(&mut conn, caller, Action::Read, &standard.resource())
        .await?;
    let versions = store::versions(&mut conn, id).await?;
    Ok(StandardView { standard, versions })
}

/// One clause with its standard and version number, if the caller may read the standard.
pub async fn clause(
    db: &Db,
    gate: &Gate,
    caller: &Caller,
    id: &str,
) -> Result<(Standard, String, Clause), StandardsError> {
    let mut conn = db.pool().acquire().await?;
    let (standard_id, version, clause) = store::clause(&mut conn, id)
        .await?
        .ok_or(StandardsError::NotFound)?;
    let standard = store::standard(&mut conn, &standard_id)
        .await?
        .ok_or(StandardsError::NotFound)?;
    gate.check(&mut conn, caller, Action::Read, &standard.resource())
        .await?;
    Ok((standard, version, clause))
}

/// The clauses of one version (`current` for the released one) of a standard the caller
/// may read.
pub async fn clauses(
    db: &Db,
    gate: &Gate,
    caller: &Caller,
    id: &str,
    version: &str,
) -> Result<(StandardView, Version, Vec<Clause>), StandardsError> {
    let view = get(db, gate, caller, id).await?;
    let found = view
        .versions
        .iter()
        .find(|v| {
            if version == "current" {
                v.stage == Stage::Released
            } else {
                v.version == version
            }
        })
        .cloned()
        .ok_or(StandardsError::NotFound)?;
    let mut conn = db.pool().acquire().await?;
    let clauses = store::clauses(&mut conn, &found.id).await?;
    Ok((view, found, clauses))
}

/// Medium words with their synonyms in both languages, from the search vocabulary's
/// `medium.*` concepts.
pub struct MediumWords;

impl applies::Synonyms for MediumWords {
    fn synonyms(&self, word: &str) -> Vec<String> {
        let w = word.to_lowercase();
        let from_vocabulary = ticorr_platform::search::vocabulary()
            .ok()
            .and_then(|v| v.concept(&format!("medium.{w}")))
            .map(|c| c.terms.iter().map(|t| t.to_lowercase()).collect::<Vec<_>>());
        match from_vocabulary {
            Some(mut terms) => {
                if !terms.contains(&w) {
                    terms.push(w);
                }
                terms
            }
            None => vec![w],
        }
    }
}

/// How a clause's limit stands for an item where the clause applies.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct LimitStatus {
    /// `temperature_c ≤ 70 °C`.
    pub limit: String,
    /// The item's value, when recorded.
    pub value: Option<f64>,
    /// `kept`, `exceeded` or `unknown`.
    pub status: String,
}

/// How an item stands against a limit. A value the model states as absent (`null`: no
/// cathodic protection, so no CP potential) imposes nothing and keeps the limit.
fn limit_status(l: &Limit, inputs: &serde_json::Map<String, serde_json::Value>) -> LimitStatus {
    let given = inputs.get(&l.parameter);
    let value = given.and_then(serde_json::Value::as_f64);
    let status = match (given, value) {
        (Some(serde_json::Value::Null), _) => "kept",
        (_, None) => "unknown",
        (_, Some(v)) if l.holds(v) => "kept",
        _ => "exceeded",
    };
    LimitStatus {
        limit: l.text(),
        value,
        status: status.to_owned(),
    }
}

/// A clause checked against an item.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Matched {
    pub standard_id: String,
    pub code: String,
    pub title_en: String,
    pub title_zh: String,
    pub version: String,
    pub clause: Clause,
    /// Every condition of the clause with the item's value and the verdict.
    pub checks: Vec<Check>,
    /// Where the clause applies and carries a limit: whether the item keeps it.
    pub limit: Option<LimitStatus>,
    /// The local supplementary clauses of the item's organisation (or its park) against
    /// this clause, with the item checked against their limits.
    pub supplements: Vec<LocalSupplement>,
}

/// A local supplementary clause as it bears on an item.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct LocalSupplement {
    pub id: String,
    pub number: String,
    pub org_name: String,
    pub text_zh: String,
    pub text_en: String,
    pub status: supplement::SupplementStatus,
    /// Each of its limits against the item.
    pub limits: Vec<LimitStatus>,
}

/// The clauses for one item.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct MatchResult {
    pub equipment_id: EquipmentId,
    /// The item's current risk grade, which the clauses' risk grades are checked against.
    pub risk_grade: Option<String>,
    /// Clauses that apply: mandatory first, then by standard and number.
    pub applicable: Vec<Matched>,
    /// Clauses that would apply if facts the item does not record turned out to fit:
    /// no condition fails, at least one is unknown.
    pub undecided: Vec<Matched>,
}

/// What the platform knows of an item, for matching: its conditions, its owner's industry
/// and province (`owner`, loaded once by the caller), and its current risk grade.
pub fn facts_of(
    owner: Option<&orgs::Organization>,
    item: &ticorr_equipment::EquipmentView,
) -> ItemFacts {
    let e = &item.item;
    ItemFacts {
        industry: owner.and_then(|o| o.industry_code.clone()),
        province: owner.and_then(|o| o.region_code.get(..2).map(|p| format!("{p}0000"))),
        equipment_type: e.equipment_type.as_str().to_owned(),
        grade: (e.grade != TitaniumGrade::Other).then(|| e.grade.as_str().to_owned()),
        medium: e.process_medium.as_ref().map(|m| m.to_lowercase()),
        temperature_c: e.temperature_c,
        chloride_mg_l: e.chloride_mg_l,
        fluoride_mg_l: e.fluoride_mg_l,
        ph: e.ph,
        risk_grade: item.risk_grade.clone(),
        corrosivity: None,
        crevices_or_deposits: applies::ItemFacts::crevices_or_deposits_of(
            e.crevice_present,
            e.deposits_present,
        ),
        galvanic_partner: e.galvanic_partner.map(|g| g.as_str().to_owned()),
    }
}

/// The clauses of the released standards the caller may read that apply to an item the
/// caller may read, each with the conditions that made it apply.
pub async fn match_item(
    db: &Db,
    gate: &Gate,
    caller: &Caller,
    equipment_id: EquipmentId,
) -> Result<MatchResult, StandardsError> {
    let item = ticorr_equipment::get(db, gate, caller, equipment_id).await?;
    match_view(db, gate, caller, &item).await
}

/// [`match_item`] for an item the caller has already read through the gate (its page).
pub async fn match_view(
    db: &Db,
    gate: &Gate,
    caller: &Caller,
    item: &ticorr_equipment::EquipmentView,
) -> Result<MatchResult, StandardsError> {
    let equipment_id = item.item.id;
    let mut conn = db.pool().acquire().await?;
    let owner = orgs::load(&mut conn, item.item.org_id).await?;
    let facts = facts_of(owner.as_ref(), item);
    let parks: Vec<OrgId> = orgs::parks_of(&mut conn, item.item.org_id).await?;
    let released = store::released_for(&mut conn, item.item.org_id, &parks).await?;
    let readable = gate
        .filter(&mut conn, caller, Action::Read, released, |(s, _)| {
            s.resource()
        })
        .await?;
    let inputs = item.item.risk_inputs();
    drop(conn);
    // The item's organisation's own supplementary clauses, and its parks'.
    let local: Vec<supplement::Supplement> =
        supplement::for_organization(db, gate, caller, item.item.org_id, &parks).await?;
    let mut conn = db.pool().acquire().await?;
    let mut applicable = Vec::new();
    let mut undecided = Vec::new();
    for (standard, version) in readable {
        for clause in store::clauses(&mut conn, &version.id).await? {
            let outcome =
                applies::check(&clause.applies, &clause.risk_grades, &facts, &MediumWords);
            let decided_no = outcome.checks.iter().any(|c| c.verdict == Verdict::NotMet);
            if !outcome.applies && decided_no {
                continue;
            }
            let limit = clause
                .limit
                .as_ref()
                .filter(|_| outcome.applies)
                .map(|l| limit_status(l, &inputs));
            let supplements = local
                .iter()
                .filter(|s| s.base_clause_id == clause.id && outcome.applies)
                // Its own conditions too (a coastal province, a medium …).
                .filter(|s| {
                    applies::check(&s.applies, &clause.risk_grades, &facts, &MediumWords).applies
                })
                .map(|s| LocalSupplement {
                    id: s.id.clone(),
                    number: s.number.clone(),
                    org_name: s.org_name.clone(),
                    text_zh: s.text_zh.clone(),
                    text_en: s.text_en.clone(),
                    status: s.status,
                    limits: s.limits.iter().map(|l| limit_status(l, &inputs)).collect(),
                })
                .collect();
            let m = Matched {
                standard_id: standard.id.clone(),
                code: standard.code.clone(),
                title_en: standard.title_en.clone(),
                title_zh: standard.title_zh.clone(),
                version: version.version.clone(),
                clause,
                checks: outcome.checks,
                limit,
                supplements,
            };
            if outcome.applies {
                applicable.push(m);
            } else {
                undecided.push(m);
            }
        }
    }
    let rank = |m: &Matched| (m.clause.kind != ClauseKind::Mandatory, m.code.clone());
    applicable.sort_by_key(rank);
    undecided.sort_by_key(rank);
    Ok(MatchResult {
        equipment_id,
        risk_grade: item.risk_grade.clone(),
        applicable,
        undecided,
    })
}

/// A clause with the caller's items it applies to.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ClauseForItems {
    pub standard_id: String,
    pub code: String,
    pub title_en: String,
    pub title_zh: String,
    pub clause: Clause,
    /// The items it applies to, by id and tag.
    pub items: Vec<(EquipmentId, String)>,
    /// The items where it applies and its limit is exceeded.
    pub exceeded: Vec<(EquipmentId, String)>,
}

/// The clauses that apply to the caller's organisation's items.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct OrgMatch {
    /// Items considered.
    pub items: usize,
    /// Clauses that apply to at least one item: mandatory first, then by how many items.
    pub clauses: Vec<ClauseForItems>,
}

/// Which released clauses apply to the items of the caller's own organisation, and to
/// which items: the enterprise's view of its obligations.
pub async fn match_org(db: &Db, gate: &Gate, caller: &Caller) -> Result<OrgMatch, StandardsError> {
    let actor = caller.principal.actor().ok_or(StandardsError::Forbidden)?;
    let filter = ticorr_equipment::ListFilter {
        org_id: Some(actor.org_id),
        ..Default::default()
    };
    let items = ticorr_equipment::all_readable(db, gate, caller, &filter).await?;
    let mut conn = db.pool().acquire().await?;
    let parks: Vec<OrgId> = orgs::parks_of(&mut conn, actor.org_id).await?;
    let released = store::released_for(&mut conn, actor.org_id, &parks).await?;
    let readable = gate
        .filter(&mut conn, caller, Action::Read, released, |(s, _)| {
            s.resource()
        })
        .await?;
    let owner = orgs::load(&mut conn, actor.org_id).await?;
    let facts: Vec<_> = items
        .iter()
        .map(|item| {
            (
                item,
                facts_of(owner.as_ref(), item),
                item.item.risk_inputs(),
            )
        })
        .collect();
    let mut out = Vec::new();
    for (standard, version) in readable {
        for clause in store::clauses(&mut conn, &version.id).await? {
            let mut applies_to = Vec::new();
            let mut exceeded = Vec::new();
            for (item, f, inputs) in &facts {
                let o = applies::check(&clause.applies, &clause.risk_grades, f, &MediumWords);
                if !o.applies {
                    continue;
                }
                let key = (item.item.id, item.item.tag.clone());
                if let Some(l) = &clause.limit
                    && limit_status(l, inputs).status == "exceeded"
                {
                    exceeded.push(key.clone());
                }
                applies_to.push(key);
            }
            if !applies_to.is_empty() {
                out.push(ClauseForItems {
                    standard_id: standard.id.clone(),
                    code: standard.code.clone(),
                    title_en: standard.title_en.clone(),
                    title_zh: standard.title_zh.clone(),
                    clause,
                    items: applies_to,
                    exceeded,
                });
            }
        }
    }
    out.sort_by_key(|c| {
        (
            c.clause.kind != ClauseKind::Mandatory,
            std::cmp::Reverse(c.exceeded.len()),
            std::cmp::Reverse(c.items.len()),
            c.code.clone(),
        )
    });
    Ok(OrgMatch {
        items: items.len(),
        clauses: out,
    })
}

/// A calendar day as people type it (`YYYY-MM-DD`), surrounding spaces ignored.
pub(crate) fn day(text: &str) -> Option<time::Date> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    time::Date::parse(text.trim(), format).ok()
}

/// The subjects a standard covers (its `topic`), which experts' specialties are named by.
pub const TOPICS: &[&str] = &[
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

/// Checks a standard as written in a data file or a draft: every vocabulary value known,
/// clause numbers unique, limits on risk-model inputs, references in the catalogue.
/// Returns every problem, named by code and clause number.
pub fn check_input(s: &StandardInput) -> Vec<String> {
    let mut problems = Vec::new();
    let at = |n: &str| format!("{} {n}", s.code);
    if s.code.trim().is_empty() {
        problems.push("a standard without a code".to_owned());
    }
    for (name, text) in [
        ("title_en", &s.title_en),
        ("title_zh", &s.title_zh),
        ("scope_en", &s.scope_en),
        ("scope_zh", &s.scope_zh),
    ] {
        if text.trim().is_empty() {
            problems.push(format!("{}: {name} is empty", s.code));
        }
    }
    if s.clauses.is_empty() {
        problems.push(format!("{}: no clauses", s.code));
    }
    if !TOPICS.contains(&s.topic.as_str()) {
        problems.push(format!(
            "{}: topic `{}` is not one of {}",
            s.code,
            s.topic,
            TOPICS.join(", ")
        ));
    }
    let catalogue = catalogue::get();
    for r in &s.references {
        if catalogue.find(r).is_none() {
            problems.push(format!(
                "{}: reference `{r}` is not in the catalogue",
                s.code
            ));
        }
    }
    let risk = ticorr_platform::risk::load().ok();
    let mut numbers = std::collections::BTreeSet::new();
    for c in &s.clauses {
        let here = at(&c.number);
        if c.number.trim().is_empty() {
            problems.push(format!("{}: a clause without a number", s.code));
        }
        if !numbers.insert(c.number.clone()) {
            problems.push(format!("{here}: the number is used twice"));
        }
        for (name, text) in [("text_en", &c.text_en), ("text_zh", &c.text_zh)] {
            if text.trim().is_empty() {
                problems.push(format!("{here}: {name} is empty"));
            }
        }
        if c.risk_grades.is_empty() {
            problems.push(format!("{here}: no risk grades"));
        }
        for g in &c.risk_grades {
            if !["I", "II", "III", "IV"].contains(&g.as_str()) {
                problems.push(format!("{here}: risk grade `{g}` is not I–IV"));
            }
        }
        for t in &c.applies.equipment_types {
            if t.parse::<EquipmentType>().is_err() {
                problems.push(format!("{here}: equipment type `{t}` is unknown"));
            }
        }
        for p in &c.applies.galvanic_partners {
            if p.parse::<ticorr_kernel::equipment::GalvanicPartner>()
                .is_err()
            {
                problems.push(format!("{here}: galvanic partner `{p}` is unknown"));
            }
        }
        for g in &c.applies.grades {
            if g.parse::<TitaniumGrade>().is_err() {
                problems.push(format!("{here}: titanium grade `{g}` is unknown"));
            }
        }
        for code in &c.applies.industries {
            if !ticorr_platform::refdata::get()
                .industries
                .iter()
                .any(|i| i.code.starts_with(code.as_str()))
            {
                problems.push(format!("{here}: industry `{code}` is unknown"));
            }
        }
        for r in &c.references {
            if catalogue.find(r).is_none() {
                problems.push(format!("{here}: reference `{r}` is not in the catalogue"));
            }
        }
        for (name, range) in [
            ("temperature_c", c.applies.temperature_c),
            ("chloride_mg_l", c.applies.chloride_mg_l),
            ("fluoride_mg_l", c.applies.fluoride_mg_l),
            ("ph", c.applies.ph),
        ] {
            if let Some(Range {
                min: Some(a),
                max: Some(b),
            }) = range
                && a > b
            {
                problems.push(format!("{here}: {name} range {a} – {b} is empty"));
            }
        }
        if let Some(l) = &c.limit {
            if !Limit::OPS.contains(&l.op.as_str()) {
                problems.push(format!("{here}: limit operator `{}` is unknown", l.op));
            }
            if let Some(risk) = risk
                && risk.rules.input(&l.parameter).is_none()
            {
                problems.push(format!(
                    "{here}: limit parameter `{}` is not a risk-model input",
                    l.parameter
                ));
            }
        }
    }
    problems
}

/// An organisation's own document as submitted: an enterprise specification, a park
/// guideline or an industrial-chain agreement, with its clauses.
#[derive(Debug, Clone, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OwnDocument {
    /// The document: code, origin, titles, scope, topic, references, review interval and
    /// clauses, as in the demo's `data/standards.json`.
    #[schema(value_type = Object)]
    pub standard: StandardInput,
    /// `private` (the default: the organisation alone) or `park` (shared with a park).
    #[serde(default)]
    pub level: Option<String>,
    /// The park it is shared with, for level `park`.
    #[serde(default)]
    pub park_id: Option<OrgId>,
}

/// Records an organisation's own document, in force from now: its clauses apply to the
/// organisation's equipment (and, at level `park`, to the park's members') and the version
/// is anchored in the ledger. Platform standards are not recorded this way: they go
/// through the association's review.
pub async fn record_own(
    db: &Db,
    gate: &Gate,
    caller: &Caller,
    doc: &OwnDocument,
) -> Result<StandardView, StandardsError> {
    let actor = caller.principal.actor().ok_or(StandardsError::Forbidden)?;
    let mut errors = ticorr_kernel::FieldErrors::new();
    if doc.standard.origin == Origin::Platform {
        errors.add(
            "origin",
            "not_allowed",
            "platform standards are issued through the association's review, not recorded here",
        );
    }
    let level = match doc.level.as_deref().unwrap_or("private") {
        "private" => Level::Private,
        "park" => Level::Park,
        other => {
            errors.add(
                "level",
                "not_allowed",
                format!("`{other}`: an own document is private or shared with a park"),
            );
            Level::Private
        }
    };
    let mut conn = db.pool().acquire().await?;
    let mut parks = orgs::parks_of(&mut conn, actor.org_id).await?;
    if actor.org_kind == ticorr_kernel::OrgKind::Park {
        parks.push(actor.org_id);
    }
    drop(conn);
    let park = match (level, doc.park_id) {
        (Level::Park, Some(p)) if parks.contains(&p) => Some(p),
        (Level::Park, _) => {
            errors.add(
                "park_id",
                "required",
                "name a park your organisation manages or is settled in",
            );
            None
        }
        _ => None,
    };
    for problem in check_input(&doc.standard) {
        errors.add("clauses", "invalid", problem);
    }
    let tx = db.begin().await?;
    let resource = Resource::Record(RecordRef {
        kind: RECORD_KIND,
        id: String::new(),
        level,
        owner: actor.org_id,
        parks: park.into_iter().collect(),
    });
    let (mut tx, _permit) = gate.check_tx(tx, caller, Action::Create, &resource).await?;
    if !errors.is_empty() {
        return Err(StandardsError::Fields(errors));
    }
    let now = gate.clock().now();
    let release = Release {
        at: now,
        effective_on: now.inner().date().to_string(),
        review_due_on: (now.inner().date()
            + time::Duration::days(30 * doc.standard.review_interval_months.max(1)))
        .to_string(),
    };
    let id = match seed_released(
        &mut tx,
        (actor.org_id, level, park),
        &doc.standard,
        &release,
    )
    .await
    {
        Ok(id) => id,
        Err(StandardsError::Storage(e)) if ticorr_db::unique_violation(&e).is_some() => {
            let mut f = ticorr_kernel::FieldErrors::new();
            f.add("code", "taken", "a standard with this code already exists");
            return Err(StandardsError::Fields(f));
        }
        Err(e) => return Err(e),
    };
    tx.commit().await?;
    get(db, gate, caller, &id).await
}

/// Writes a standard with one released version and anchors it: for the platform's own demo
/// data (`ticorr demo`), and for [`record_own`] once the gate has decided. It does not
/// consult the gate itself; never call it with data from a request that the gate has not
/// allowed.
pub async fn seed_released(
    conn: &mut sqlx::AnyConnection,
    (owner, level, park): (OrgId, Level, Option<OrgId>),
    s: &StandardInput,
    release: &Release,
) -> Result<String, StandardsError> {
    let problems = check_input(s);
    if !problems.is_empty() {
        return Err(StandardsError::Invalid(problems));
    }
    let (id, version_id) = store::insert(
        conn,
        owner,
        level,
        park,
        s,
        "1.0",
        Stage::Released,
        Some((
            release.at,
            release.effective_on.clone(),
            release.review_due_on.clone(),
        )),
        release.at,
    )
    .await?;
    if let Some(record) = ledger_record(conn, &version_id).await? {
        ticorr_platform::ledger::anchor(
            conn,
            release.at,
            &[ticorr_platform::ledger::Anchor {
                record_type: LEDGER_TYPE,
                record_id: version_id,
                record,
            }],
        )
        .await?;
    }
    Ok(id)
}

/// A released version's canonical form for the ledger: the standard's code, the version,
/// its dates, and the SHA-256 of its clauses *as stored now*, so that a clause edited
/// after release no longer matches what was anchored (`ticorr ledger verify`).
pub async fn ledger_record(
    conn: &mut sqlx::AnyConnection,
    version_id: &str,
) -> Result<Option<serde_json::Value>, sqlx::Error> {
    let Some((standard_id, code, v)) = store::version(conn, version_id).await? else {
        return Ok(None);
    };
    if v.released_at.is_none() {
        return Ok(None);
    }
    let clauses: Vec<ClauseInput> = store::clauses(conn, version_id)
        .await?
        .into_iter()
        .map(ClauseInput::from)
        .collect();
    Ok(Some(serde_json::json!({
        "standard_id": standard_id,
        "code": code,
        "version": v.version,
        "released_at": v.released_at.map(|t| t.to_rfc3339()),
        "effective_on": v.effective_on,
        "content_sha256": content_sha256(&clauses),
    })))
}

/// When a version was released, takes effect and is due for review (`YYYY-MM-DD`).
#[derive(Debug, Clone)]
pub struct Release {
    pub at: Timestamp,
    pub effective_on: String,
    pub review_due_on: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_draft_without_a_clause_number_or_with_an_unknown_topic_is_refused() {
        let s: StandardInput = serde_json::from_value(serde_json::json!({
            "code": "T/X 1", "origin": "platform", "title_en": "t", "title_zh": "标",
            "scope_en": "s", "scope_zh": "范", "topic": "corrosion", "review_interval_months": 36,
            "clauses": [{"number": " ", "kind": "mandatory", "text_en": "t", "text_zh": "条",
                         "risk_grades": ["I"]}]
        }))
        .unwrap();
        let problems = check_input(&s);
        assert!(
            problems.iter().any(|p| p.contains("topic `corrosion`")),
            "{problems:?}"
        );
        assert!(
            problems.iter().any(|p| p.contains("without a number")),
            "{problems:?}"
        );
    }

    #[test]
    fn a_limit_is_kept_exceeded_or_not_recorded_and_no_cp_imposes_nothing() {
        let limit = |parameter: &str, op: &str, value: f64| Limit {
            parameter: parameter.into(),
            op: op.into(),
            value,
            unit: String::new(),
        };
        let inputs: serde_json::Map<String, serde_json::Value> = serde_json::from_value(
            serde_json::json!({"temperature_c": 85.0, "cp_potential_v_sce": null}),
        )
        .unwrap();
        let status = |l: Limit| limit_status(&l, &inputs).status;
        assert_eq!(status(limit("temperature_c", "<=", 70.0)), "exceeded");
        assert_eq!(status(limit("temperature_c", "<=", 90.0)), "kept");
        assert_eq!(status(limit("ph", ">=", 3.0)), "unknown");
        assert_eq!(status(limit("cp_potential_v_sce", ">=", -0.75)), "kept");
    }
}
