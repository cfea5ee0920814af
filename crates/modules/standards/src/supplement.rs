//! Local supplementary clauses: an enterprise or a park writes its own clause against a
//! clause of a released platform standard, with its regional or working-condition
//! justification. The platform compares their machine-checkable limits parameter by
//! parameter; experts of other organisations give verdicts on equivalence; organisations
//! that apply it on real equipment record the outcome; once enough effective applications
//! across enough organisations exist (`refdata/standards_lifecycle.json`), the platform
//! proposes promoting it, and the secretariat turns it into a revision of the unified
//! standard, which then goes through the lifecycle.
//!
//! A supplementary clause is a record of its organisation at a data level (`private`,
//! `park`, or `industry` to have it verified and applied by others); the level policies
//! decide who reads it. Verdicts are the `assess_equivalence` action.

use serde::{Deserialize, Serialize};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};
use ticorr_db::{Db, parsed};
use ticorr_kernel::{EquipmentId, FieldErrors, Level, OrgId, OrgKind, Timestamp};
use ticorr_platform::identity::orgs;
use ticorr_platform::notify::{self, Audience, Message};
use ticorr_platform::policy::{Action, DraftRef, RecordRef, Resource};
use ticorr_platform::{Caller, Gate};
use uuid::Uuid;

use crate::applies::Applies;
use crate::lifecycle::{self, DraftKind, NewDraft, rules};
use crate::model::{Clause, ClauseInput, Limit, Origin, Stage};
use crate::{StandardsError, store};

/// The record kind the policies and the audit see.
pub const RECORD_KIND: &str = "supplementary_clause";
/// The record kind of an engineering application, for the policies.
pub const APPLICATION_KIND: &str = "supplementary_application";

ticorr_kernel::text_enum! {
    /// Where a supplementary clause stands.
    pub enum SupplementStatus {
        /// In force for its holder (and its park), not shared for verification.
        Local = "local",
        /// Shared at the industry level, waiting for the expert group.
        Verification = "verification",
        /// The expert group found it equivalent or stricter.
        Verified = "verified",
        NotEquivalent = "not_equivalent",
        /// Enough effective applications: proposed for the unified standard.
        PromotionProposed = "promotion_proposed",
        /// A revision of the unified standard carries it.
        Promoted = "promoted",
    }
}

ticorr_kernel::text_enum! {
    /// An expert's verdict.
    pub enum Equivalence {
        Equivalent = "equivalent",
        Stricter = "stricter",
        NotEquivalent = "not_equivalent",
    }
}

ticorr_kernel::text_enum! {
    /// What applying the clause on equipment showed.
    pub enum ApplicationOutcome {
        Effective = "effective",
        Ineffective = "ineffective",
        Inconclusive = "inconclusive",
    }
}

ticorr_kernel::text_enum! {
    /// How a local limit compares with the unified one on the same parameter.
    pub enum Strictness {
        Stricter = "stricter",
        Equal = "equal",
        Looser = "looser",
        /// One bounds from above, the other from below.
        Incomparable = "incomparable",
    }
}

/// One parameter compared.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct LimitComparison {
    pub parameter: String,
    /// The unified clause's limit on it, if any.
    pub unified: Option<String>,
    /// The local clause's limit on it, if any.
    pub local: Option<String>,
    pub verdict: Strictness,
}

fn upper(op: &str) -> bool {
    op.starts_with('<')
}

/// How `local` compares with `unified` on the same parameter.
fn strictness(unified: &Limit, local: &Limit) -> Strictness {
    if upper(&unified.op) != upper(&local.op) {
        return Strictness::Incomparable;
    }
    // Put both as "value must stay below (or above) the bound": a smaller upper bound, or a
    // larger lower bound, is stricter; at the same bound, the strict operator is stricter.
    let sign = if upper(&local.op) { 1.0 } else { -1.0 };
    let (u, l) = (sign * unified.value, sign * local.value);
    if l < u {
        Strictness::Stricter
    } else if l > u {
        Strictness::Looser
    } else {
        let strict = |op: &str| op.len() == 1;
        match (strict(&unified.op), strict(&local.op)) {
            (false, true) => Strictness::Stricter,
            (true, false) => Strictness::Looser,
            _ => Strictness::Equal,
        }
    }
}

/// The local limits against the unified clause's, parameter by parameter: a parameter only
/// the local clause limits is stricter; one only the unified clause limits is looser (the
/// local clause drops it).
pub fn compare_limits(unified: Option<&Limit>, local: &[Limit]) -> Vec<LimitComparison> {
    let mut out = Vec::new();
    let mut unified_seen = false;
    for l in local {
        let same = unified.filter(|u| u.parameter == l.parameter);
        unified_seen |= same.is_some();
        out.push(LimitComparison {
            parameter: l.parameter.clone(),
            unified: same.map(Limit::text),
            local: Some(l.text()),
            verdict: match same {
                Some(u) => strictness(u, l),
                None => Strictness::Stricter,
            },
        });
    }
    if let Some(u) = unified
        && !unified_seen
    {
        out.push(LimitComparison {
            parameter: u.parameter.clone(),
            unified: Some(u.text()),
            local: None,
            verdict: Strictness::Looser,
        });
    }
    out
}

/// A supplementary clause.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Supplement {
    pub id: String,
    pub org_id: OrgId,
    pub org_name: String,
    pub level: Level,
    pub park_id: Option<OrgId>,
    /// The park it is shared with, for level `park`.
    pub park_name: Option<String>,
    pub base_clause_id: String,
    pub base_standard_id: String,
    pub base_code: String,
    pub base_number: String,
    /// The holder's own number for it.
    pub number: String,
    pub text_zh: String,
    pub text_en: String,
    pub justification: String,
    pub applies: Applies,
    pub limits: Vec<Limit>,
    pub status: SupplementStatus,
    /// The revision proposal that carries it, once promoted.
    pub draft_id: Option<String>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

impl Supplement {
    pub fn resource(&self) -> Resource {
        Resource::Record(RecordRef {
            kind: RECORD_KIND,
            id: self.id.clone(),
            level: self.level,
            owner: self.org_id,
            parks: self.park_id.into_iter().collect(),
        })
    }
}

/// An expert's verdict as recorded.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct VerdictRecord {
    pub person_name: String,
    pub org_name: String,
    pub verdict: Equivalence,
    pub reason: String,
    pub at: Timestamp,
}

/// An engineering application as recorded.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ApplicationRecord {
    pub org_id: OrgId,
    pub org_name: String,
    /// The item's tag, shown only to the organisation that applied it.
    pub equipment_tag: Option<String>,
    pub applied_from: String,
    pub outcome: ApplicationOutcome,
    pub note: String,
    pub recorded_at: Timestamp,
}

/// Where the expert group stands.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct GroupVerdict {
    pub equivalent: usize,
    pub stricter: usize,
    pub not_equivalent: usize,
    /// Verdicts needed before the group decides (the review panel's minimum).
    pub needed: usize,
    /// The group's verdict once decided: not equivalent when at least half say so,
    /// otherwise stricter or equivalent, whichever more experts gave.
    pub outcome: Option<Equivalence>,
}

/// How far the clause is from being proposed for the unified standard.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Promotion {
    /// Effective applications recorded.
    pub effective: usize,
    /// Organisations with at least one.
    pub organisations: usize,
    pub needed_applications: usize,
    pub needed_organisations: usize,
    /// Verified, and enough effective applications across enough organisations.
    pub ready: bool,
}

/// A supplementary clause with the unified clause, the comparison, verdicts and
/// applications.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SupplementView {
    pub supplement: Supplement,
    pub unified: Clause,
    pub comparison: Vec<LimitComparison>,
    pub verdicts: Vec<VerdictRecord>,
    pub group: GroupVerdict,
    pub applications: Vec<ApplicationRecord>,
    pub promotion: Promotion,
}

/// The expert group's verdict from the verdicts given.
pub fn group_verdict(verdicts: &[Equivalence]) -> GroupVerdict {
    let count = |e: Equivalence| verdicts.iter().filter(|v| **v == e).count();
    let (eq, st, ne) = (
        count(Equivalence::Equivalent),
        count(Equivalence::Stricter),
        count(Equivalence::NotEquivalent),
    );
    let needed = rules().review.min_reviewers;
    let outcome = (verdicts.len() >= needed).then(|| {
        if ne * 2 >= verdicts.len() {
            Equivalence::NotEquivalent
        } else if st > eq {
            Equivalence::Stricter
        } else {
            Equivalence::Equivalent
        }
    });
    GroupVerdict {
        equivalent: eq,
        stricter: st,
        not_equivalent: ne,
        needed,
        outcome,
    }
}

/// Whether the applications meet the promotion rule.
pub fn promotion(applications: &[(OrgId, ApplicationOutcome)], verified: bool) -> Promotion {
    let rule = &rules().promotion;
    let effective: Vec<OrgId> = applications
        .iter()
        .filter(|(_, o)| *o == ApplicationOutcome::Effective)
        .map(|(org, _)| *org)
        .collect();
    let organisations = effective
        .iter()
        .collect::<std::collections::BTreeSet<_>>()
        .len();
    Promotion {
        effective: effective.len(),
        organisations,
        needed_applications: rule.min_applications,
        needed_organisations: rule.min_organisations,
        ready: verified
            && effective.len() >= rule.min_applications
            && organisations >= rule.min_organisations,
    }
}

// ---- storage ----

const SELECT: &str = "SELECT x.id, x.org_id, o.name AS org_name, x.level, x.park_id, \
    pk.name AS park_name, x.base_clause_id, x.base_standard_id, s.code AS base_code, \
    c.number AS base_number, x.number, x.text_zh, x.text_en, x.justification, x.limits, \
    x.status, x.draft_id, x.created_at, x.updated_at FROM supplementary_clauses x \
    JOIN organizations o ON o.id = x.org_id LEFT JOIN organizations pk ON pk.id = x.park_id \
    JOIN standards s ON s.id = x.base_standard_id JOIN clauses c ON c.id = x.base_clause_id";

fn decode(e: serde_json::Error) -> sqlx::Error {
    sqlx::Error::Decode(Box::new(e))
}

/// The stored `limits` column: `{"applies": …, "limits": […]}`.
#[derive(Debug, Default, Serialize, Deserialize)]
struct Conditions {
    #[serde(default)]
    applies: Applies,
    #[serde(default)]
    limits: Vec<Limit>,
}

fn from_row(r: &AnyRow) -> Result<Supplement, sqlx::Error> {
    let conditions: String = r.try_get("limits")?;
    let conditions: Conditions = serde_json::from_str(&conditions).map_err(decode)?;
    Ok(Supplement {
        id: r.try_get("id")?,
        org_id: parsed(r, "org_id")?,
        org_name: r.try_get("org_name")?,
        level: parsed(r, "level")?,
        park_id: ticorr_db::parsed_opt(r, "park_id")?,
        park_name: r.try_get("park_name")?,
        base_clause_id: r.try_get("base_clause_id")?,
        base_standard_id: r.try_get("base_standard_id")?,
        base_code: r.try_get("base_code")?,
        base_number: r.try_get("base_number")?,
        number: r.try_get("number")?,
        text_zh: r.try_get("text_zh")?,
        text_en: r.try_get("text_en")?,
        justification: r.try_get("justification")?,
        applies: conditions.applies,
        limits: conditions.limits,
        status: parsed(r, "status")?,
        draft_id: r.try_get("draft_id")?,
        created_at: parsed(r, "created_at")?,
        updated_at: parsed(r, "updated_at")?,
    })
}

async fn load(conn: &mut AnyConnection, id: &str) -> Result<Option<Supplement>, sqlx::Error> {
    let sql = format!("{SELECT} WHERE x.id = $1");
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(id.to_owned())
        .fetch_optional(conn)
        .await?
        .map(|r| from_row(&r))
        .transpose()
}

async fn set_status(
    conn: &mut AnyConnection,
    id: &str,
    status: SupplementStatus,
    now: Timestamp,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE supplementary_clauses SET status = $1, updated_at = $2 WHERE id = $3")
        .bind(status.as_str())
        .bind(now.to_rfc3339())
        .bind(id.to_owned())
        .execute(conn)
        .await?;
    Ok(())
}

async fn verdicts(
    conn: &mut AnyConnection,
    id: &str,
) -> Result<Vec<(VerdictRecord, Equivalence)>, sqlx::Error> {
    sqlx::query(
        "SELECT p.display_name, o.name AS org_name, v.verdict, v.reason, v.at \
         FROM supplementary_verdicts v JOIN people p ON p.id = v.person_id \
         JOIN organizations o ON o.id = v.org_id WHERE v.supplement_id = $1 ORDER BY v.at",
    )
    .bind(id.to_owned())
    .fetch_all(conn)
    .await?
    .iter()
    .map(|r| {
        let verdict: Equivalence = parsed(r, "verdict")?;
        Ok((
            VerdictRecord {
                person_name: r.try_get("display_name")?,
                org_name: r.try_get("org_name")?,
                verdict,
                reason: r.try_get("reason")?,
                at: parsed(r, "at")?,
            },
            verdict,
        ))
    })
    .collect()
}

async fn applications(
    conn: &mut AnyConnection,
    id: &str,
    viewer: Option<OrgId>,
) -> Result<Vec<ApplicationRecord>, sqlx::Error> {
    sqlx::query(
        "SELECT a.org_id, o.name AS org_name, e.tag, a.applied_from, a.outcome, a.note, \
         a.recorded_at FROM supplementary_applications a JOIN organizations o ON o.id = a.org_id \
         LEFT JOIN equipment e ON e.id = a.equipment_id WHERE a.supplement_id = $1 \
         ORDER BY a.recorded_at, a.id",
    )
    .bind(id.to_owned())
    .fetch_all(conn)
    .await?
    .iter()
    .map(|r| {
        let org: OrgId = parsed(r, "org_id")?;
        Ok(ApplicationRecord {
            org_id: org,
            org_name: r.try_get("org_name")?,
            equipment_tag: if Some(org) == viewer {
                r.try_get("tag")?
            } else {
                None
            },
            applied_from: r.try_get("applied_from")?,
            outcome: parsed(r, "outcome")?,
            note: r.try_get("note")?,
            recorded_at: parsed(r, "recorded_at")?,
        })
    })
    .collect()
}

/// The released clause a supplement is written against: its standard and the clause.
async fn unified_clause(
    conn: &mut AnyConnection,
    clause_id: &str,
) -> Result<Option<(crate::Standard, Stage, Clause)>, sqlx::Error> {
    let Some(r) = sqlx::query(
        "SELECT v.standard_id, v.stage, c.version_id FROM clauses c \
         JOIN standard_versions v ON v.id = c.version_id WHERE c.id = $1",
    )
    .bind(clause_id.to_owned())
    .fetch_optional(&mut *conn)
    .await?
    else {
        return Ok(None);
    };
    let standard_id: String = r.try_get("standard_id")?;
    let version_id: String = r.try_get("version_id")?;
    let stage: Stage = parsed(&r, "stage")?;
    let Some(standard) = store::standard(conn, &standard_id).await? else {
        return Ok(None);
    };
    let clause = store::clauses(conn, &version_id)
        .await?
        .into_iter()
        .find(|c| c.id == clause_id);
    Ok(clause.map(|c| (standard, stage, c)))
}

// ---- services ----

/// A supplementary clause as submitted.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewSupplement {
    /// The clause of a released platform standard it supplements.
    pub base_clause_id: String,
    /// The holder's own number for it.
    pub number: String,
    pub text_zh: String,
    pub text_en: String,
    /// The regional or working-condition reason for it.
    pub justification: String,
    /// Where it applies beyond the unified clause's conditions (provinces, media …).
    #[serde(default)]
    pub applies: Applies,
    /// Its machine-checkable limits.
    #[serde(default)]
    pub limits: Vec<Limit>,
    /// `private` (the default), `park` (with `park_id`), or `industry` to have experts
    /// verify it and other organisations apply it.
    #[serde(default)]
    pub level: Option<String>,
    #[serde(default)]
    pub park_id: Option<OrgId>,
}

/// Records a supplementary clause of the caller's organisation.
pub async fn create(
    db: &Db,
    gate: &Gate,
    caller: &Caller,
    new: &NewSupplement,
) -> Result<SupplementView, StandardsError> {
    let actor = caller.principal.actor().ok_or(StandardsError::Forbidden)?;
    let now = gate.clock().now();
    let mut errors = FieldErrors::new();
    let level = match new.level.as_deref().unwrap_or("private") {
        "private" => Level::Private,
        "park" => Level::Park,
        "industry" => Level::Industry,
        other => {
            errors.add(
                "level",
                "not_allowed",
                format!("`{other}`: a supplementary clause is private, park or industry"),
            );
            Level::Private
        }
    };
    let mut tx = db.begin().await?;
    let mut parks = orgs::parks_of(&mut tx, actor.org_id).await?;
    if actor.org_kind == OrgKind::Park {
        parks.push(actor.org_id);
    }
    let park = match (level, new.park_id) {
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
    let base = unified_clause(&mut tx, &new.base_clause_id).await?;
    let base = match base {
        Some((s, Stage::Released, c)) if s.origin == Origin::Platform => Some((s, c)),
        _ => {
            errors.add(
                "base_clause_id",
                "unknown",
                "name a clause of a released platform standard",
            );
            None
        }
    };
    for (field, text) in [
        ("number", &new.number),
        ("text_zh", &new.text_zh),
        ("text_en", &new.text_en),
        ("justification", &new.justification),
    ] {
        if text.trim().is_empty() {
            errors.add(field, "required", format!("{field} is required"));
        }
    }
    let risk = ticorr_platform::risk::load().ok();
    for (i, l) in new.limits.iter().enumerate() {
        if !Limit::OPS.contains(&l.op.as_str()) {
            errors.add(
                "limits",
                "unknown",
                format!("limit {}: `{}` is not one of <, <=, >, >=", i + 1, l.op),
            );
        }
        if let Some(risk) = risk
            && risk.rules.input(&l.parameter).is_none()
        {
            errors.add(
                "limits",
                "unknown",
                format!(
                    "limit {}: `{}` is not a risk-model input",
                    i + 1,
                    l.parameter
                ),
            );
        }
    }
    let resource = Resource::Record(RecordRef {
        kind: RECORD_KIND,
        id: String::new(),
        level,
        owner: actor.org_id,
        parks: park.into_iter().collect(),
    });
    let mut checks = vec![(Action::Create, resource)];
    if let Some((s, _)) = &base {
        checks.push((Action::Read, s.resource()));
    }
    let (mut tx, _permit) = gate.check_all_tx(tx, caller, &checks).await?;
    if !errors.is_empty() {
        return Err(StandardsError::Fields(errors));
    }
    let (standard, _) = base.expect("checked above");
    let id = Uuid::now_v7().to_string();
    let status = if level == Level::Industry {
        SupplementStatus::Verification
    } else {
        SupplementStatus::Local
    };
    let conditions = Conditions {
        applies: new.applies.clone(),
        limits: new.limits.clone(),
    };
    sqlx::query(
        "INSERT INTO supplementary_clauses (id, org_id, level, park_id, base_clause_id, \
         base_standard_id, number, text_zh, text_en, justification, limits, status, created_by, \
         created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $14)",
    )
    .bind(id.clone())
    .bind(actor.org_id.to_string())
    .bind(level.as_str())
    .bind(park.map(|p| p.to_string()))
    .bind(new.base_clause_id.clone())
    .bind(standard.id.clone())
    .bind(new.number.trim().to_owned())
    .bind(new.text_zh.trim().to_owned())
    .bind(new.text_en.trim().to_owned())
    .bind(new.justification.trim().to_owned())
    .bind(serde_json::to_string(&conditions).expect("conditions serialize"))
    .bind(status.as_str())
    .bind(actor.person_id.to_string())
    .bind(now.to_rfc3339())
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    get(db, gate, caller, &id).await
}

/// The clauses an organisation could see or be bound by: its own, those shared with one
/// of `parks`, and (with `industry`) those shared with the whole industry. Binds its values
/// onto `args`.
fn scope(org: OrgId, parks: &[OrgId], industry: bool, args: &mut Vec<String>) -> String {
    args.push(org.to_string());
    let mut scope = format!("(x.org_id = ${}", args.len());
    if industry {
        scope.push_str(" OR x.level = 'industry'");
    }
    for p in parks {
        args.push(p.to_string());
        scope.push_str(&format!(
            " OR (x.level = 'park' AND x.park_id = ${})",
            args.len()
        ));
    }
    scope.push(')');
    scope
}

/// Runs a scoped query and keeps the rows the caller may read.
async fn readable(
    db: &Db,
    gate: &Gate,
    caller: &Caller,
    sql: String,
    args: Vec<String>,
) -> Result<Vec<Supplement>, StandardsError> {
    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
    for a in args {
        q = q.bind(a);
    }
    let mut conn = db.pool().acquire().await?;
    let rows: Vec<Supplement> = q
        .fetch_all(&mut *conn)
        .await?
        .iter()
        .map(from_row)
        .collect::<Result<_, _>>()?;
    Ok(gate
        .filter(&mut conn, caller, Action::Read, rows, Supplement::resource)
        .await?)
}

/// Filters of the supplementary clause list.
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SupplementFilter {
    /// Supplements of one unified standard.
    pub standard_id: Option<String>,
    /// One status.
    pub status: Option<String>,
}

/// The supplementary clauses the caller may read: their organisation's, their parks', and
/// those shared at the industry level.
pub async fn list(
    db: &Db,
    gate: &Gate,
    caller: &Caller,
    filter: &SupplementFilter,
) -> Result<Vec<Supplement>, StandardsError> {
    let actor = caller.principal.actor().ok_or(StandardsError::Forbidden)?;
    let mut parks = actor.org_parks.clone();
    if actor.org_kind == OrgKind::Park {
        parks.push(actor.org_id);
    }
    let mut args = Vec::new();
    let scope = scope(actor.org_id, &parks, true, &mut args);
    let mut conditions = vec![scope];
    if let Some(s) = filter.standard_id.as_deref().filter(|s| !s.is_empty()) {
        args.push(s.to_owned());
        conditions.push(format!("x.base_standard_id = ${}", args.len()));
    }
    if let Some(s) = filter.status.as_deref().filter(|s| !s.is_empty()) {
        args.push(s.to_owned());
        conditions.push(format!("x.status = ${}", args.len()));
    }
    let sql = format!(
        "{SELECT} WHERE {} ORDER BY x.updated_at DESC, x.id LIMIT 500",
        conditions.join(" AND ")
    );
    readable(db, gate, caller, sql, args).await
}

/// The supplementary clauses held by `org` or shared with one of `parks` that the caller
/// may read: what binds that organisation's equipment beyond the unified clauses.
pub async fn for_organization(
    db: &Db,
    gate: &Gate,
    caller: &Caller,
    org: OrgId,
    parks: &[OrgId],
) -> Result<Vec<Supplement>, StandardsError> {
    let mut args = Vec::new();
    let scope = scope(org, parks, false, &mut args);
    let sql = format!("{SELECT} WHERE {scope} ORDER BY x.created_at, x.id");
    readable(db, gate, caller, sql, args).await
}

/// One supplementary clause with the comparison, verdicts and applications.
pub async fn get(
    db: &Db,
    gate: &Gate,
    caller: &Caller,
    id: &str,
) -> Result<SupplementView, StandardsError> {
    let mut conn = db.pool().acquire().await?;
    let supplement = load(&mut conn, id).await?.ok_or(StandardsError::NotFound)?;
    gate.check(&mut conn, caller, Action::Read, &supplement.resource())
        .await?;
    view(
        &mut conn,
        supplement,
        caller.principal.actor().map(|a| a.org_id),
    )
    .await
}

async fn view(
    conn: &mut AnyConnection,
    supplement: Supplement,
    viewer: Option<OrgId>,
) -> Result<SupplementView, StandardsError> {
    let (_, _, unified) = unified_clause(conn, &supplement.base_clause_id)
        .await?
        .ok_or(StandardsError::NotFound)?;
    let comparison = compare_limits(unified.limit.as_ref(), &supplement.limits);
    let given = verdicts(conn, &supplement.id).await?;
    let group = group_verdict(&given.iter().map(|(_, v)| *v).collect::<Vec<_>>());
    let applications = applications(conn, &supplement.id, viewer).await?;
    let verified = matches!(
        supplement.status,
        SupplementStatus::Verified
            | SupplementStatus::PromotionProposed
            | SupplementStatus::Promoted
    );
    let promotion = promotion(
        &applications
            .iter()
            .map(|a| (a.org_id, a.outcome))
            .collect::<Vec<_>>(),
        verified,
    );
    Ok(SupplementView {
        supplement,
        unified,
        comparison,
        verdicts: given.into_iter().map(|(r, _)| r).collect(),
        group,
        applications,
        promotion,
    })
}

/// After a verdict or an application: the status the clause now has, and whether it is
/// newly proposed for promotion (the secretariat is told, and the unified standard's
/// history records it).
async fn settle(
    conn: &mut AnyConnection,
    s: &Supplement,
    now: Timestamp,
) -> Result<SupplementStatus, StandardsError> {
    if matches!(
        s.status,
        SupplementStatus::Local | SupplementStatus::PromotionProposed | SupplementStatus::Promoted
    ) {
        return Ok(s.status);
    }
    let given: Vec<Equivalence> = verdicts(conn, &s.id)
        .await?
        .into_iter()
        .map(|(_, v)| v)
        .collect();
    let group = group_verdict(&given);
    let mut status = match group.outcome {
        None => SupplementStatus::Verification,
        Some(Equivalence::NotEquivalent) => SupplementStatus::NotEquivalent,
        Some(_) => SupplementStatus::Verified,
    };
    if status == SupplementStatus::Verified {
        let apps: Vec<(OrgId, ApplicationOutcome)> = applications(conn, &s.id, None)
            .await?
            .into_iter()
            .map(|a| (a.org_id, a.outcome))
            .collect();
        let p = promotion(&apps, true);
        if p.ready {
            status = SupplementStatus::PromotionProposed;
            lifecycle::record_event(
                conn,
                (None, Some(&s.base_standard_id)),
                None,
                now,
                "promotion_proposed",
                &format!(
                    "supplementary clause {} of {} to clause {}: {} effective applications across {} organisations",
                    s.number, s.org_name, s.base_number, p.effective, p.organisations
                ),
            )
            .await?;
            let secretariat = lifecycle::secretariat(&mut *conn).await?;
            let message = Message {
                kind: lifecycle::NOTIFY_KIND.to_owned(),
                title_zh: format!(
                    "地方补充条款建议纳入统一标准：{} {}",
                    s.base_code, s.base_number
                ),
                title_en: format!(
                    "Supplementary clause proposed for the unified standard: {} {}",
                    s.base_code, s.base_number
                ),
                body_zh: format!(
                    "{} 的补充条款 {} 经专家组认定，并有 {} 个单位的 {} 次有效工程应用。",
                    s.org_name, s.number, p.organisations, p.effective
                ),
                body_en: format!(
                    "{}'s supplementary clause {} was verified by the expert group and applied effectively {} times by {} organisations.",
                    s.org_name, s.number, p.effective, p.organisations
                ),
                link: Some(format!("/standards/supplements/{}", s.id)),
            };
            notify::send(conn, now, &Audience::Organizations(secretariat), &message)
                .await
                .map_err(|e| StandardsError::Invalid(vec![e.to_string()]))?;
        }
    }
    if status != s.status {
        set_status(conn, &s.id, status, now).await?;
    }
    Ok(status)
}

/// An expert's verdict as submitted.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VerdictInput {
    pub verdict: Equivalence,
    pub reason: String,
}

/// An expert of another organisation, with a specialty in the unified standard's topic,
/// gives (or changes) their verdict on a shared supplementary clause.
pub async fn assess(
    db: &Db,
    gate: &Gate,
    caller: &Caller,
    id: &str,
    input: &VerdictInput,
) -> Result<SupplementStatus, StandardsError> {
    let actor = caller.principal.actor().ok_or(StandardsError::Forbidden)?;
    let now = gate.clock().now();
    let mut tx = db.begin().await?;
    let s = load(&mut tx, id).await?.ok_or(StandardsError::NotFound)?;
    let (mut tx, _permit) = gate
        .check_tx(tx, caller, Action::AssessEquivalence, &s.resource())
        .await?;
    let mut errors = FieldErrors::new();
    if input.reason.trim().is_empty() {
        errors.add("reason", "required", "give the reasons for the verdict");
    }
    let topic = store::standard(&mut tx, &s.base_standard_id)
        .await?
        .map(|s| s.topic)
        .unwrap_or_default();
    let fits =
        sqlx::query("SELECT 1 AS one FROM person_specialties WHERE person_id = $1 AND topic = $2")
            .bind(actor.person_id.to_string())
            .bind(topic.clone())
            .fetch_optional(&mut *tx)
            .await?
            .is_some();
    if !fits {
        errors.add(
            "verdict",
            "not_eligible",
            format!("your specialties do not include `{topic}`, the unified standard's topic"),
        );
    }
    if !matches!(
        s.status,
        SupplementStatus::Verification
            | SupplementStatus::Verified
            | SupplementStatus::NotEquivalent
    ) {
        return Err(StandardsError::Conflict(format!(
            "the clause is `{}`: verdicts are taken while it is being verified",
            s.status
        )));
    }
    if !errors.is_empty() {
        return Err(StandardsError::Fields(errors));
    }
    sqlx::query("DELETE FROM supplementary_verdicts WHERE supplement_id = $1 AND person_id = $2")
        .bind(id.to_owned())
        .bind(actor.person_id.to_string())
        .execute(&mut *tx)
        .await?;
    sqlx::query(
        "INSERT INTO supplementary_verdicts (supplement_id, person_id, org_id, verdict, reason, at) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(id.to_owned())
    .bind(actor.person_id.to_string())
    .bind(actor.org_id.to_string())
    .bind(input.verdict.as_str())
    .bind(input.reason.trim().to_owned())
    .bind(now.to_rfc3339())
    .execute(&mut *tx)
    .await?;
    let status = settle(&mut tx, &s, now).await?;
    tx.commit().await?;
    Ok(status)
}

/// An engineering application as submitted.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApplicationInput {
    /// One of the caller's organisation's items, if the application is on a recorded item.
    #[serde(default)]
    pub equipment_id: Option<EquipmentId>,
    /// Since when (`YYYY-MM-DD`).
    pub applied_from: String,
    pub outcome: ApplicationOutcome,
    /// What was observed (inspection findings, measurements).
    pub note: String,
}

/// The caller's organisation records an application of a supplementary clause it may read
/// on its own equipment, with the outcome.
pub async fn record_application(
    db: &Db,
    gate: &Gate,
    caller: &Caller,
    id: &str,
    input: &ApplicationInput,
) -> Result<SupplementStatus, StandardsError> {
    let actor = caller.principal.actor().ok_or(StandardsError::Forbidden)?;
    let now = gate.clock().now();
    let mut errors = FieldErrors::new();
    match crate::day(&input.applied_from) {
        Some(d) if d > now.inner().date() => errors.add(
            "applied_from",
            "future",
            "an application cannot start in the future",
        ),
        Some(_) => {}
        None => errors.add(
            "applied_from",
            "invalid",
            format!("`{}` is not a date (YYYY-MM-DD)", input.applied_from),
        ),
    }
    if input.note.trim().is_empty() {
        errors.add("note", "required", "say what was observed");
    }
    if let Some(eq) = input.equipment_id {
        match ticorr_equipment::get(db, gate, caller, eq).await {
            Ok(item) if item.item.org_id == actor.org_id => {}
            Ok(_) | Err(ticorr_equipment::EquipmentError::NotFound) => errors.add(
                "equipment_id",
                "unknown",
                "name an item of your own organisation",
            ),
            Err(e) => return Err(e.into()),
        }
    }
    let tx = db.begin().await?;
    let mut tx = tx;
    let s = load(&mut tx, id).await?.ok_or(StandardsError::NotFound)?;
    let record = Resource::Record(RecordRef {
        kind: APPLICATION_KIND,
        id: String::new(),
        level: Level::Private,
        owner: actor.org_id,
        parks: vec![],
    });
    let (mut tx, _permit) = gate
        .check_all_tx(
            tx,
            caller,
            &[(Action::Read, s.resource()), (Action::Create, record)],
        )
        .await?;
    if !errors.is_empty() {
        return Err(StandardsError::Fields(errors));
    }
    sqlx::query(
        "INSERT INTO supplementary_applications (id, supplement_id, org_id, equipment_id, \
         applied_from, outcome, note, recorded_by, recorded_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(Uuid::now_v7().to_string())
    .bind(id.to_owned())
    .bind(actor.org_id.to_string())
    .bind(input.equipment_id.map(|e| e.to_string()))
    .bind(input.applied_from.trim().to_owned())
    .bind(input.outcome.as_str())
    .bind(input.note.trim().to_owned())
    .bind(actor.person_id.to_string())
    .bind(now.to_rfc3339())
    .execute(&mut *tx)
    .await?;
    let status = settle(&mut tx, &s, now).await?;
    tx.commit().await?;
    Ok(status)
}

/// The clause number a promoted supplement takes: the unified clause's number with the
/// first free `.n` after it.
fn promoted_number(base: &str, taken: &[ClauseInput]) -> String {
    (1..)
        .map(|n| format!("{base}.{n}"))
        .find(|n| !taken.iter().any(|c| &c.number == n))
        .expect("some number is free")
}

/// The secretariat turns a supplementary clause proposed for promotion into a revision of
/// the unified standard: a proposal (applicant: the secretariat's association) that adds
/// it after the clause it supplements, with its limits and conditions, and then goes
/// through the lifecycle like any revision.
pub async fn promote(
    db: &Db,
    gate: &Gate,
    caller: &Caller,
    id: &str,
) -> Result<String, StandardsError> {
    let actor = caller.principal.actor().ok_or(StandardsError::Forbidden)?;
    let view = get(db, gate, caller, id).await?;
    let s = &view.supplement;
    // The secretariat's right to start a proposal for the unified standard.
    let prospective = Resource::StandardDraft(DraftRef {
        id: String::new(),
        applicant: actor.org_id,
        stage: "draft",
        reviewers: vec![],
    });
    {
        let mut conn = db.pool().acquire().await?;
        gate.check(&mut conn, caller, Action::SteerStandards, &prospective)
            .await?;
    }
    if s.status != SupplementStatus::PromotionProposed {
        return Err(StandardsError::Conflict(format!(
            "the clause is `{}`; only a clause proposed for promotion is promoted",
            s.status
        )));
    }
    let mut conn = db.pool().acquire().await?;
    let standard = store::standard(&mut conn, &s.base_standard_id)
        .await?
        .ok_or(StandardsError::NotFound)?;
    let current = store::versions(&mut conn, &standard.id)
        .await?
        .into_iter()
        .find(|v| v.stage == Stage::Released)
        .ok_or_else(|| {
            StandardsError::Conflict("the unified standard has no released version".into())
        })?;
    let mut clauses: Vec<ClauseInput> = store::clauses(&mut conn, &current.id)
        .await?
        .into_iter()
        .map(ClauseInput::from)
        .collect();
    drop(conn);
    let at = clauses
        .iter()
        .position(|c| c.number == s.base_number)
        .map(|p| p + 1)
        .unwrap_or(clauses.len());
    let base = &view.unified;
    let number = promoted_number(&s.base_number, &clauses);
    let promoted = ClauseInput {
        number,
        kind: base.kind,
        text_en: s.text_en.clone(),
        text_zh: s.text_zh.clone(),
        rationale_en: s.justification.clone(),
        rationale_zh: s.justification.clone(),
        risk_grades: base.risk_grades.clone(),
        applies: if s.applies == Applies::default() {
            base.applies.clone()
        } else {
            s.applies.clone()
        },
        references: base.references.clone(),
        source: vec![format!(
            "supplementary clause {} of {} ({} effective applications across {} organisations; expert group: {})",
            s.number,
            s.org_name,
            view.promotion.effective,
            view.promotion.organisations,
            view.group
                .outcome
                .map(|o| o.to_string())
                .unwrap_or_default()
        )],
        convention: false,
        unverified: false,
        limit: s.limits.first().cloned(),
    };
    clauses.insert(at, promoted);
    let proposal = crate::StandardInput {
        code: standard.code.clone(),
        origin: standard.origin,
        title_en: standard.title_en.clone(),
        title_zh: standard.title_zh.clone(),
        scope_en: standard.scope_en.clone(),
        scope_zh: standard.scope_zh.clone(),
        topic: standard.topic.clone(),
        references: standard.references.clone(),
        review_interval_months: standard.review_interval_months,
        clauses,
    };
    let draft = lifecycle::create(
        db,
        gate,
        caller,
        &NewDraft {
            kind: DraftKind::Revision,
            standard_id: Some(standard.id.clone()),
            proposal: Some(proposal),
            justification: format!(
                "Promotes {}'s supplementary clause {} to clause {}: {} Verified by the expert group ({}); {} effective applications across {} organisations.",
                s.org_name,
                s.number,
                s.base_number,
                s.justification,
                view.group.outcome.map(|o| o.to_string()).unwrap_or_default(),
                view.promotion.effective,
                view.promotion.organisations
            ),
        },
    )
    .await?;
    let now = gate.clock().now();
    let mut tx = db.begin().await?;
    sqlx::query(
        "UPDATE supplementary_clauses SET status = $1, draft_id = $2, updated_at = $3 WHERE id = $4",
    )
    .bind(SupplementStatus::Promoted.as_str())
    .bind(draft.id.clone())
    .bind(now.to_rfc3339())
    .bind(id.to_owned())
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(draft.id)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limit(parameter: &str, op: &str, value: f64) -> Limit {
        Limit {
            parameter: parameter.into(),
            op: op.into(),
            value,
            unit: String::new(),
        }
    }

    #[test]
    fn limits_compare_parameter_by_parameter() {
        let unified = limit("temperature_c", "<=", 70.0);
        let verdicts = |local: &[Limit]| {
            compare_limits(Some(&unified), local)
                .into_iter()
                .map(|c| (c.parameter, c.verdict))
                .collect::<Vec<_>>()
        };
        let t = "temperature_c".to_owned();
        assert_eq!(
            verdicts(&[limit("temperature_c", "<=", 60.0)]),
            vec![(t.clone(), Strictness::Stricter)]
        );
        assert_eq!(
            verdicts(&[limit("temperature_c", "<=", 70.0)]),
            vec![(t.clone(), Strictness::Equal)]
        );
        assert_eq!(
            verdicts(&[limit("temperature_c", "<", 70.0)]),
            vec![(t.clone(), Strictness::Stricter)]
        );
        assert_eq!(
            verdicts(&[limit("temperature_c", "<=", 80.0)]),
            vec![(t.clone(), Strictness::Looser)]
        );
        assert_eq!(
            verdicts(&[limit("temperature_c", ">=", 10.0)]),
            vec![(t.clone(), Strictness::Incomparable)]
        );
        // A parameter only the local clause limits is stricter; dropping the unified one is
        // looser.
        assert_eq!(
            verdicts(&[limit("chloride_mg_l", "<=", 1000.0)]),
            vec![
                ("chloride_mg_l".to_owned(), Strictness::Stricter),
                (t, Strictness::Looser)
            ]
        );
        // Lower bounds: a higher floor is stricter.
        let floor = limit("ph", ">=", 3.0);
        let got = compare_limits(
            Some(&floor),
            &[limit("ph", ">=", 4.0), limit("ph", ">", 3.0)],
        );
        assert_eq!(got[0].verdict, Strictness::Stricter);
        assert_eq!(got[1].verdict, Strictness::Stricter);
        let got = compare_limits(Some(&floor), &[limit("ph", ">=", 2.0)]);
        assert_eq!(got[0].verdict, Strictness::Looser);
    }

    #[test]
    fn the_group_decides_at_three_and_half_against_is_not_equivalent() {
        use Equivalence::*;
        assert_eq!(group_verdict(&[Stricter, Stricter]).outcome, None);
        assert_eq!(
            group_verdict(&[Stricter, Stricter, Equivalent]).outcome,
            Some(Stricter)
        );
        assert_eq!(
            group_verdict(&[Stricter, Equivalent, Equivalent]).outcome,
            Some(Equivalent)
        );
        assert_eq!(
            group_verdict(&[Stricter, NotEquivalent, Equivalent]).outcome,
            Some(Equivalent)
        );
        assert_eq!(
            group_verdict(&[Stricter, NotEquivalent, Equivalent, NotEquivalent]).outcome,
            Some(NotEquivalent)
        );
    }

    #[test]
    fn promotion_needs_three_effective_applications_across_two_organisations() {
        let (a, b) = (OrgId::new(), OrgId::new());
        let e = ApplicationOutcome::Effective;
        let i = ApplicationOutcome::Ineffective;
        assert!(
            !promotion(&[(a, e), (a, e), (a, e)], true).ready,
            "one organisation"
        );
        assert!(
            !promotion(&[(a, e), (b, e), (a, i)], true).ready,
            "an ineffective one"
        );
        assert!(promotion(&[(a, e), (b, e), (a, e)], true).ready);
        assert!(
            !promotion(&[(a, e), (b, e), (a, e)], false).ready,
            "not verified"
        );
    }

    #[test]
    fn a_promoted_clause_takes_the_first_free_number_after_its_base() {
        let c = |n: &str| -> ClauseInput {
            serde_json::from_value(serde_json::json!({
                "number": n, "kind": "mandatory", "text_en": "t", "text_zh": "条", "risk_grades": ["I"]
            }))
            .unwrap()
        };
        assert_eq!(promoted_number("4.1", &[c("4.1"), c("4.2")]), "4.1.1");
        assert_eq!(promoted_number("4.1", &[c("4.1"), c("4.1.1")]), "4.1.2");
    }
}
