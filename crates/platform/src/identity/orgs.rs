//! Organisations, parks and the operator's verification of registrations.

use serde::{Deserialize, Serialize};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};
use ticorr_db::{Db, decode, unique_violation};
use ticorr_kernel::{
    Cursor, FieldErrors, OrgId, OrgKind, OrgStatus, Page, PageRequest, PersonId, Role, Timestamp,
    Uscc,
};

use super::{IdentityConfig, IdentityError, normalize_email, password, valid_email};
use crate::audit::{self, AuditEvent, Outcome};
use crate::gate::{Caller, Gate};
use crate::policy::{Action, OrgRef, Resource};
use crate::refdata;

/// An organisation as stored.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Organization {
    pub id: OrgId,
    pub kind: OrgKind,
    pub name: String,
    pub name_en: Option<String>,
    pub uscc: Option<String>,
    /// GB/T 2260 code.
    pub region_code: String,
    /// GB/T 4754 class.
    pub industry_code: Option<String>,
    pub address: Option<String>,
    pub status: OrgStatus,
    /// Why the operator rejected or suspended it.
    pub status_reason: Option<String>,
    pub created_at: Timestamp,
    pub reviewed_at: Option<Timestamp>,
}

/// The record type under which organisation status decisions are anchored in the ledger.
pub const LEDGER_TYPE: &str = "organization";

impl Organization {
    /// The canonical form anchored in the ledger whenever the operator decides on the
    /// organisation: the identity it was verified under and the decision.
    pub fn ledger_record(&self) -> serde_json::Value {
        serde_json::json!({
            "id": self.id.to_string(),
            "kind": self.kind.as_str(),
            "name": self.name,
            "uscc": self.uscc,
            "region_code": self.region_code,
            "industry_code": self.industry_code,
            "status": self.status.as_str(),
            "status_reason": self.status_reason,
        })
    }

    pub fn ledger_anchor(&self) -> crate::ledger::Anchor<'static> {
        crate::ledger::Anchor {
            record_type: LEDGER_TYPE,
            record_id: self.id.to_string(),
            record: self.ledger_record(),
        }
    }

    pub fn verified(&self) -> bool {
        self.status == OrgStatus::Verified
    }

    /// The policy resource for organisation actions.
    pub fn resource(&self) -> Resource {
        Resource::Organization(OrgRef {
            id: self.id,
            kind: self.kind,
            verified: self.verified(),
        })
    }
}

const COLUMNS: &str = "id, kind, name, name_en, uscc, region_code, industry_code, address, status, \
                       status_reason, created_at, reviewed_at";

fn from_row(row: &AnyRow) -> Result<Organization, sqlx::Error> {
    let reviewed: Option<String> = row.try_get("reviewed_at")?;
    Ok(Organization {
        id: decode("id", &row.try_get::<String, _>("id")?)?,
        kind: decode("kind", &row.try_get::<String, _>("kind")?)?,
        name: row.try_get("name")?,
        name_en: row.try_get("name_en")?,
        uscc: row.try_get("uscc")?,
        region_code: row.try_get("region_code")?,
        industry_code: row.try_get("industry_code")?,
        address: row.try_get("address")?,
        status: decode("status", &row.try_get::<String, _>("status")?)?,
        status_reason: row.try_get("status_reason")?,
        created_at: decode("created_at", &row.try_get::<String, _>("created_at")?)?,
        reviewed_at: reviewed.map(|r| decode("reviewed_at", &r)).transpose()?,
    })
}

/// Reads an organisation without any authorization: for the platform's own use (loading
/// a principal, rendering a record's owner name). Never return its result to a caller
/// without going through the gate.
pub async fn load(
    conn: &mut AnyConnection,
    id: OrgId,
) -> Result<Option<Organization>, sqlx::Error> {
    let sql = format!("SELECT {COLUMNS} FROM organizations WHERE id = $1");
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(id.to_string())
        .fetch_optional(conn)
        .await?
        .map(|r| from_row(&r))
        .transpose()
}

/// The parks an enterprise is settled in.
pub async fn parks_of(conn: &mut AnyConnection, org: OrgId) -> Result<Vec<OrgId>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT park_id FROM park_memberships WHERE enterprise_id = $1 ORDER BY park_id",
    )
    .bind(org.to_string())
    .fetch_all(conn)
    .await?;
    rows.iter()
        .map(|r| decode("park_id", &r.try_get::<String, _>("park_id")?))
        .collect()
}

/// A park as offered in forms: id, name and region.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ParkSummary {
    pub id: OrgId,
    pub name: String,
    pub region_code: String,
}

/// Verified parks, by region and name; public (a park's existence is public information).
pub async fn verified_parks(db: &Db) -> Result<Vec<ParkSummary>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT id, name, region_code FROM organizations WHERE kind = 'park' AND status = 'verified' \
         ORDER BY region_code, name",
    )
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|r| {
            Ok(ParkSummary {
                id: decode("id", &r.try_get::<String, _>("id")?)?,
                name: r.try_get("name")?,
                region_code: r.try_get("region_code")?,
            })
        })
        .collect()
}

/// Parks an organisation is settled in, with names (for its profile page).
pub async fn park_summaries_of(
    conn: &mut AnyConnection,
    org: OrgId,
) -> Result<Vec<ParkSummary>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT o.id, o.name, o.region_code FROM park_memberships m \
         JOIN organizations o ON o.id = m.park_id WHERE m.enterprise_id = $1 ORDER BY o.name",
    )
    .bind(org.to_string())
    .fetch_all(conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(ParkSummary {
                id: decode("id", &r.try_get::<String, _>("id")?)?,
                name: r.try_get("name")?,
                region_code: r.try_get("region_code")?,
            })
        })
        .collect()
}

/// A new organisation, as the seed, the operator bootstrap and registration create it.
#[derive(Debug, Clone)]
pub struct NewOrganization {
    pub id: OrgId,
    pub kind: OrgKind,
    pub name: String,
    pub name_en: Option<String>,
    pub uscc: Option<Uscc>,
    pub region_code: String,
    pub industry_code: Option<String>,
    pub address: Option<String>,
    pub status: OrgStatus,
    pub parks: Vec<OrgId>,
}

/// Inserts an organisation and its park memberships on `conn` (within the caller's
/// transaction). Input must already be validated.
pub async fn insert(
    conn: &mut AnyConnection,
    org: &NewOrganization,
    now: Timestamp,
) -> Result<(), sqlx::Error> {
    let reviewed = (org.status != OrgStatus::Pending).then(|| now.to_rfc3339());
    sqlx::query(
        "INSERT INTO organizations (id, kind, name, name_en, uscc, region_code, industry_code, address, \
         status, created_at, reviewed_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    )
    .bind(org.id.to_string())
    .bind(org.kind.as_str())
    .bind(org.name.clone())
    .bind(org.name_en.clone())
    .bind(org.uscc.as_ref().map(|u| u.to_string()))
    .bind(org.region_code.clone())
    .bind(org.industry_code.clone())
    .bind(org.address.clone())
    .bind(org.status.as_str())
    .bind(now.to_rfc3339())
    .bind(reviewed)
    .execute(&mut *conn)
    .await?;
    for park in &org.parks {
        sqlx::query(
            "INSERT INTO park_memberships (park_id, enterprise_id, since) VALUES ($1, $2, $3)",
        )
        .bind(park.to_string())
        .bind(org.id.to_string())
        .bind(now.to_rfc3339())
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// A registration as submitted by a visitor (form or API).
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct Registration {
    pub org_name: String,
    #[serde(default)]
    pub org_name_en: String,
    /// One of the organisation kinds except `operator`.
    pub org_kind: String,
    /// Unified social credit code (GB 32100).
    pub uscc: String,
    /// GB/T 2260 region code (province, prefecture or county).
    pub region_code: String,
    /// GB/T 4754 class; required for enterprises and manufacturers.
    #[serde(default)]
    pub industry_code: String,
    #[serde(default)]
    pub address: String,
    /// For enterprises: the verified parks it is settled in.
    #[serde(default)]
    pub park_ids: Vec<String>,
    pub admin_name: String,
    pub admin_email: String,
    pub password: String,
}

fn trimmed(s: &str) -> Option<String> {
    let t = s.trim();
    (!t.is_empty()).then(|| t.to_owned())
}

/// Checks a registration and turns it into a new organisation, collecting every problem.
pub async fn validate_registration(
    conn: &mut AnyConnection,
    r: &Registration,
) -> Result<NewOrganization, FieldErrors> {
    let mut errors = FieldErrors::new();
    let name = r.org_name.trim();
    if name.is_empty() {
        errors.add(
            "org_name",
            "required",
            "enter the organisation's registered name",
        );
    } else if name.chars().count() > 200 {
        errors.add("org_name", "too_long", "use at most 200 characters");
    }
    let kind = match r.org_kind.parse::<OrgKind>() {
        Ok(k) if k.self_registrable() => Some(k),
        Ok(_) => {
            errors.add(
                "org_kind",
                "not_allowed",
                "operator organisations are created by the operator",
            );
            None
        }
        Err(e) => {
            errors.add("org_kind", "unknown_value", e.to_string());
            None
        }
    };
    let uscc = match Uscc::parse(&r.uscc) {
        Ok(u) => Some(u),
        Err(e) => {
            errors.add("uscc", "invalid", e.to_string());
            None
        }
    };
    let data = refdata::get();
    let region = data.region(r.region_code.trim());
    if region.is_none() {
        errors.add(
            "region_code",
            "unknown_value",
            "enter a GB/T 2260 region code, e.g. 330000",
        );
    }
    let industry_code = trimmed(&r.industry_code);
    match (&industry_code, kind) {
        (Some(code), _) if data.industry(code).is_none() => {
            errors.add(
                "industry_code",
                "unknown_value",
                "enter one of the GB/T 4754 classes the platform lists",
            );
        }
        (None, Some(k)) if k.requires_industry() => {
            errors.add(
                "industry_code",
                "required",
                "enterprises and manufacturers give their GB/T 4754 class",
            );
        }
        _ => {}
    }
    let mut parks = Vec::new();
    if !r.park_ids.is_empty() && kind != Some(OrgKind::Enterprise) {
        errors.add(
            "park_ids",
            "not_allowed",
            "only enterprises are settled in parks",
        );
    }
    for raw in r.park_ids.iter().filter(|p| !p.trim().is_empty()) {
        let ok = match raw.trim().parse::<OrgId>() {
            Ok(id) => match load(conn, id).await {
                Ok(Some(o)) if o.kind == OrgKind::Park && o.verified() => {
                    parks.push(id);
                    true
                }
                Ok(_) => false,
                Err(_) => false,
            },
            Err(_) => false,
        };
        if !ok {
            errors.add(
                "park_ids",
                "unknown_value",
                "choose parks from the list of verified parks",
            );
            break;
        }
    }
    parks.sort();
    parks.dedup();
    if r.admin_name.trim().is_empty() {
        errors.add(
            "admin_name",
            "required",
            "enter the name of the person registering",
        );
    }
    if !valid_email(&normalize_email(&r.admin_email)) {
        errors.add(
            "admin_email",
            "invalid",
            "enter an e-mail address such as name@example.com",
        );
    }
    password::check_new("password", &r.password, &mut errors);
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(NewOrganization {
        id: OrgId::new(),
        kind: kind.expect("checked"),
        name: name.to_owned(),
        name_en: trimmed(&r.org_name_en),
        uscc,
        region_code: r.region_code.trim().to_owned(),
        industry_code: industry_code.map(|c| {
            c.trim_start_matches(|c: char| c.is_ascii_uppercase())
                .to_owned()
        }),
        address: trimmed(&r.address),
        status: OrgStatus::Pending,
        parks,
    })
}

/// Registers a new organisation with its first admin. The organisation is pending until
/// the operator verifies it; its admin can sign in and see that status.
pub async fn register(
    db: &Db,
    config: &IdentityConfig,
    caller: &Caller,
    now: Timestamp,
    r: &Registration,
) -> Result<(OrgId, PersonId), IdentityError> {
    let mut conn = db.pool().acquire().await?;
    let org = validate_registration(&mut conn, r).await?;
    drop(conn);
    let hash = password::hash_async(config, &r.password).await?;
    let person_id = PersonId::new();
    let mut tx = db.begin().await?;
    let result: Result<(), sqlx::Error> = async {
        insert(&mut tx, &org, now).await?;
        super::people::insert(
            &mut tx,
            &super::people::NewPerson {
                id: person_id,
                org_id: org.id,
                email: normalize_email(&r.admin_email),
                display_name: r.admin_name.trim().to_owned(),
                role: Role::Admin,
                password_hash: Some(hash),
            },
            now,
        )
        .await?;
        let e = AuditEvent::on(
            caller,
            now,
            "org.register",
            Outcome::Success,
            "organization",
            org.id,
            Some(org.id),
        );
        audit::record(&mut tx, &[e]).await
    }
    .await;
    if let Err(err) = result {
        return Err(match unique_violation(&err) {
            Some(c) if c.contains("uscc") => {
                let mut f = FieldErrors::new();
                f.add(
                    "uscc",
                    "taken",
                    "an organisation with this unified social credit code is already registered",
                );
                IdentityError::Invalid(f)
            }
            Some(c) if c.contains("email") => {
                let mut f = FieldErrors::new();
                f.add(
                    "admin_email",
                    "taken",
                    "this e-mail address cannot be used for a new registration",
                );
                IdentityError::Invalid(f)
            }
            _ => IdentityError::Storage(err),
        });
    }
    tx.commit().await?;
    Ok((org.id, person_id))
}

/// What a caller may see of an organisation.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct OrganizationView {
    pub id: OrgId,
    pub kind: OrgKind,
    pub name: String,
    pub name_en: Option<String>,
    pub uscc: Option<String>,
    pub region_code: String,
    pub industry_code: Option<String>,
    pub status: OrgStatus,
    /// The parks it is settled in (enterprises).
    pub parks: Vec<ParkSummary>,
    /// Only for its own people and the operator.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status_reason: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created_at: Option<Timestamp>,
    /// The ledger entry of the latest decision on this organisation, for offline
    /// verification (`GET /api/v1/ledger/entries/{index}`).
    pub ledger: Option<crate::ledger::LedgerRef>,
}

/// An organisation's profile as the caller may see it; 404 when the caller may not.
pub async fn view(
    db: &Db,
    gate: &Gate,
    caller: &Caller,
    id: OrgId,
) -> Result<(Organization, OrganizationView), IdentityError> {
    let mut conn = db.pool().acquire().await?;
    let org = load(&mut conn, id).await?.ok_or(IdentityError::NotFound)?;
    gate.check(&mut conn, caller, Action::ViewProfile, &org.resource())
        .await?;
    let parks = park_summaries_of(&mut conn, id).await?;
    let insider = gate.would_allow(caller, Action::ViewMembers, &org.resource())
        || gate.would_allow(caller, Action::Verify, &org.resource());
    let view = OrganizationView {
        id: org.id,
        kind: org.kind,
        name: org.name.clone(),
        name_en: org.name_en.clone(),
        uscc: org.uscc.clone(),
        region_code: org.region_code.clone(),
        industry_code: org.industry_code.clone(),
        status: org.status,
        parks,
        address: if insider { org.address.clone() } else { None },
        status_reason: if insider {
            org.status_reason.clone()
        } else {
            None
        },
        created_at: insider.then_some(org.created_at),
        ledger: crate::ledger::latest(&mut conn, LEDGER_TYPE, &org.id.to_string())
            .await
            .map_err(|e| IdentityError::Ledger(e.to_string()))?,
    };
    Ok((org, view))
}

/// Organisations waiting for verification, oldest first (the operator's queue). Callers
/// the policies do not let verify get an empty page.
pub async fn pending(
    db: &Db,
    gate: &Gate,
    caller: &Caller,
    page: &PageRequest,
) -> Result<Page<Organization>, IdentityError> {
    let probe = Resource::Organization(OrgRef {
        id: OrgId::from_uuid(uuid::Uuid::nil()),
        kind: OrgKind::Enterprise,
        verified: false,
    });
    if !gate.would_allow(caller, Action::Verify, &probe) {
        return Ok(Page {
            items: vec![],
            next_cursor: None,
        });
    }
    let mut conn = db.pool().acquire().await?;
    let (key, id) = page
        .after
        .as_ref()
        .map(|c| (c.key.clone(), c.id.clone()))
        .unwrap_or_default();
    let sql = format!(
        "SELECT {COLUMNS} FROM organizations WHERE status = 'pending' AND (created_at > $1 OR (created_at = $1 AND id > $2)) \
         ORDER BY created_at, id LIMIT $3"
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(key)
        .bind(id)
        .bind(page.fetch_limit())
        .fetch_all(&mut *conn)
        .await?;
    let orgs = rows.iter().map(from_row).collect::<Result<Vec<_>, _>>()?;
    let page_out = Page::from_rows(orgs, page, |o| Cursor {
        key: o.created_at.to_rfc3339(),
        id: o.id.to_string(),
    });
    let items = gate
        .filter(
            &mut conn,
            caller,
            Action::ViewProfile,
            page_out.items,
            Organization::resource,
        )
        .await?;
    Ok(Page {
        items,
        next_cursor: page_out.next_cursor,
    })
}

/// The operator's decision on an organisation.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(tag = "decision", rename_all = "snake_case")]
pub enum Review {
    Verify,
    Reject { reason: String },
    Suspend { reason: String },
}

/// Applies the operator's decision. Suspension ends the organisation's sessions.
pub async fn review(
    db: &Db,
    gate: &Gate,
    caller: &Caller,
    id: OrgId,
    decision: &Review,
) -> Result<Organization, IdentityError> {
    let (status, reason) = match decision {
        Review::Verify => (OrgStatus::Verified, None),
        Review::Reject { reason } | Review::Suspend { reason } => {
            if reason.trim().is_empty() {
                let mut f = FieldErrors::new();
                f.add(
                    "reason",
                    "required",
                    "say why, so the organisation can act on it",
                );
                return Err(f.into());
            }
            let status = if matches!(decision, Review::Reject { .. }) {
                OrgStatus::Rejected
            } else {
                OrgStatus::Suspended
            };
            (status, Some(reason.trim().to_owned()))
        }
    };
    let now = gate.clock().now();
    let mut tx = db.begin().await?;
    let org = load(&mut tx, id).await?.ok_or(IdentityError::NotFound)?;
    let (mut tx, _permit) = gate
        .check_tx(tx, caller, Action::Verify, &org.resource())
        .await?;
    let allowed_from: &[OrgStatus] = match status {
        OrgStatus::Verified => &[
            OrgStatus::Pending,
            OrgStatus::Suspended,
            OrgStatus::Rejected,
        ],
        OrgStatus::Rejected => &[OrgStatus::Pending],
        OrgStatus::Suspended => &[OrgStatus::Verified],
        OrgStatus::Pending => &[],
    };
    if !allowed_from.contains(&org.status) {
        return Err(IdentityError::Conflict(
            "the organisation is not in a state this decision applies to",
        ));
    }
    let reviewer = caller.principal.actor().map(|a| a.person_id.to_string());
    sqlx::query("UPDATE organizations SET status = $1, status_reason = $2, reviewed_at = $3, reviewed_by = $4 WHERE id = $5")
        .bind(status.as_str())
        .bind(reason)
        .bind(now.to_rfc3339())
        .bind(reviewer)
        .bind(id.to_string())
        .execute(&mut *tx)
        .await?;
    if status == OrgStatus::Suspended {
        sqlx::query(
            "UPDATE sessions SET ended_at = $1, end_reason = 'organization_suspended' \
             WHERE ended_at IS NULL AND person_id IN (SELECT id FROM people WHERE org_id = $2)",
        )
        .bind(now.to_rfc3339())
        .bind(id.to_string())
        .execute(&mut *tx)
        .await?;
    }
    let org = load(&mut tx, id).await?.ok_or(IdentityError::NotFound)?;
    crate::ledger::anchor(&mut tx, now, &[org.ledger_anchor()])
        .await
        .map_err(|e| match e {
            crate::ledger::LedgerError::Storage(s) => IdentityError::Storage(s),
            other => IdentityError::Ledger(other.to_string()),
        })?;
    // Tell the organisation's people, with the decision.
    crate::notify::send(
        &mut tx,
        now,
        &crate::notify::Audience::Organizations(vec![id]),
        &decision_message(&org, decision),
    )
    .await
    .map_err(|e| match e {
        crate::notify::NotifyError::Storage(s) => IdentityError::Storage(s),
        other => IdentityError::Notify(other.to_string()),
    })?;
    tx.commit().await?;
    Ok(org)
}

/// What the organisation's people are told about the operator's decision.
fn decision_message(org: &Organization, decision: &Review) -> crate::notify::Message {
    let name_en = org.name_en.as_deref().unwrap_or(&org.name);
    // A notification body is bounded; the full reason stays on the organisation's record.
    let short = |r: &str| r.trim().chars().take(2_000).collect::<String>();
    let (title_zh, title_en, body_zh, body_en) = match decision {
        Review::Verify => (
            "贵单位的注册已通过审核".to_owned(),
            "Your organisation's registration was verified".to_owned(),
            format!("{} 已通过运营方审核，平台的各项服务现已开放。", org.name),
            format!(
                "{name_en} was verified by the operator; every service of the platform is now open to it."
            ),
        ),
        Review::Reject { reason } => (
            "贵单位的注册未通过审核".to_owned(),
            "Your organisation's registration was rejected".to_owned(),
            format!("{} 的注册申请未通过审核。原因：{}", org.name, short(reason)),
            format!(
                "The registration of {name_en} was rejected. Reason: {}",
                short(reason)
            ),
        ),
        Review::Suspend { reason } => (
            "贵单位已被暂停使用平台".to_owned(),
            "Your organisation was suspended".to_owned(),
            format!(
                "{} 已被运营方暂停使用平台。原因：{}",
                org.name,
                short(reason)
            ),
            format!(
                "{name_en} was suspended by the operator. Reason: {}",
                short(reason)
            ),
        ),
    };
    crate::notify::Message {
        kind: "org_status".into(),
        title_zh,
        title_en,
        body_zh,
        body_en,
        link: Some("/org".into()),
    }
}

/// Anchors every verified organisation that has never been anchored (the demo's seed, an
/// installation that predates the ledger). Returns how many were anchored.
pub async fn anchor_unanchored(db: &Db, now: Timestamp) -> Result<usize, IdentityError> {
    let sql = format!(
        "SELECT {COLUMNS} FROM organizations o WHERE status = 'verified' AND NOT EXISTS \
         (SELECT 1 FROM ledger_entries e WHERE e.record_type = 'organization' AND e.record_id = o.id) ORDER BY id"
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .fetch_all(db.pool())
        .await?;
    let orgs = rows.iter().map(from_row).collect::<Result<Vec<_>, _>>()?;
    for chunk in orgs.chunks(1000) {
        let anchors: Vec<_> = chunk.iter().map(Organization::ledger_anchor).collect();
        let mut tx = db.begin().await?;
        crate::ledger::anchor(&mut tx, now, &anchors)
            .await
            .map_err(|e| IdentityError::Ledger(e.to_string()))?;
        tx.commit().await?;
    }
    Ok(orgs.len())
}

/// Organisations by kind, for directories and the demo's own checks; public fields only,
/// verified organisations only.
pub async fn count_by_kind(db: &Db) -> Result<Vec<(OrgKind, i64)>, sqlx::Error> {
    let rows = sqlx::query("SELECT kind, COUNT(*) AS n FROM organizations WHERE status = 'verified' GROUP BY kind ORDER BY kind")
        .fetch_all(db.pool())
        .await?;
    rows.iter()
        .map(|r| {
            Ok((
                decode("kind", &r.try_get::<String, _>("kind")?)?,
                r.try_get::<i64, _>("n")?,
            ))
        })
        .collect()
}

/// Filters of the public directory.
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DirectoryFilter {
    /// Text in the name (Chinese or English).
    pub q: Option<String>,
    pub kind: Option<OrgKind>,
    /// A GB/T 2260 province code (organisations of that province).
    pub region: Option<String>,
}

/// The public directory of verified organisations, by name.
pub async fn directory(
    db: &Db,
    gate: &Gate,
    caller: &Caller,
    filter: &DirectoryFilter,
    page: &PageRequest,
) -> Result<Page<Organization>, IdentityError> {
    let mut args: Vec<String> = Vec::new();
    let mut conds = vec!["status = 'verified'".to_owned()];
    if let Some(q) = filter.q.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
        let pattern = ticorr_db::contains_pattern(q);
        args.push(pattern);
        let n = args.len();
        conds.push(format!(
            "(LOWER(name) LIKE ${n} ESCAPE '\\' OR LOWER(COALESCE(name_en, '')) LIKE ${n} ESCAPE '\\')"
        ));
    }
    if let Some(k) = filter.kind {
        args.push(k.as_str().to_owned());
        conds.push(format!("kind = ${}", args.len()));
    }
    if let Some(r) = filter
        .region
        .as_deref()
        .and_then(|r| refdata::get().region(r.trim()))
    {
        args.push(format!("{}%", r.prefix));
        conds.push(format!("region_code LIKE ${}", args.len()));
    }
    if let Some(after) = &page.after {
        args.push(after.key.clone());
        let k = args.len();
        args.push(after.id.clone());
        let i = args.len();
        conds.push(format!("(name > ${k} OR (name = ${k} AND id > ${i}))"));
    }
    let sql = format!(
        "SELECT {COLUMNS} FROM organizations WHERE {} ORDER BY name, id LIMIT {}",
        conds.join(" AND "),
        page.fetch_limit()
    );
    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
    for a in args {
        q = q.bind(a);
    }
    let mut conn = db.pool().acquire().await?;
    let rows = q.fetch_all(&mut *conn).await?;
    let orgs = rows.iter().map(from_row).collect::<Result<Vec<_>, _>>()?;
    let page_out = Page::from_rows(orgs, page, |o| Cursor {
        key: o.name.clone(),
        id: o.id.to_string(),
    });
    let items = gate
        .filter(
            &mut conn,
            caller,
            Action::ViewProfile,
            page_out.items,
            Organization::resource,
        )
        .await?;
    Ok(Page {
        items,
        next_cursor: page_out.next_cursor,
    })
}

/// Creates the platform operator's organisation and its first admin, on a new
/// installation. Refused when an operator already exists.
pub async fn create_operator(
    db: &Db,
    config: &IdentityConfig,
    name: &str,
    region_code: &str,
    email: &str,
    password_input: &str,
) -> Result<OrgId, IdentityError> {
    let mut errors = FieldErrors::new();
    if name.trim().is_empty() {
        errors.add("name", "required", "name the operator organisation");
    }
    if refdata::get().region(region_code).is_none() {
        errors.add("region", "unknown_value", "enter a GB/T 2260 region code");
    }
    let email = normalize_email(email);
    if !valid_email(&email) {
        errors.add("email", "invalid", "enter an e-mail address");
    }
    password::check_new("password", password_input, &mut errors);
    if !errors.is_empty() {
        return Err(errors.into());
    }
    let hash = password::hash_async(config, password_input).await?;
    let now = ticorr_kernel::Clock::system().now();
    let mut tx = db.begin().await?;
    let existing: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM organizations WHERE kind = 'operator'")
            .fetch_one(&mut *tx)
            .await?;
    if existing > 0 {
        return Err(IdentityError::Conflict(
            "an operator organisation already exists",
        ));
    }
    let org = NewOrganization {
        id: OrgId::new(),
        kind: OrgKind::Operator,
        name: name.trim().to_owned(),
        name_en: None,
        uscc: None,
        region_code: region_code.to_owned(),
        industry_code: None,
        address: None,
        status: OrgStatus::Verified,
        parks: vec![],
    };
    insert(&mut tx, &org, now).await?;
    super::people::insert(
        &mut tx,
        &super::people::NewPerson {
            id: PersonId::new(),
            org_id: org.id,
            email,
            display_name: "Operator admin".to_owned(),
            role: Role::Admin,
            password_hash: Some(hash),
        },
        now,
    )
    .await
    .map_err(|e| match unique_violation(&e) {
        Some(_) => IdentityError::Conflict("this e-mail address already belongs to an account"),
        None => IdentityError::Storage(e),
    })?;
    tx.commit().await?;
    Ok(org.id)
}
