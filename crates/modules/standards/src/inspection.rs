//! Compliance self-inspection: a checklist of the released clauses that apply to one item
//! or to all of an organisation's items, answered clause by clause, with a score in which
//! any mandatory non-conformity is critical. It is the organisation's own record (L1).

use serde::{Deserialize, Serialize};
use sqlx::Row;
use sqlx::any::AnyRow;
use ticorr_db::{Db, parsed, parsed_opt};
use ticorr_kernel::{EquipmentId, FieldErrors, Level, OrgId, PersonId, Timestamp};
use ticorr_platform::policy::{Action, RecordRef, Resource};
use ticorr_platform::{Caller, Gate};
use uuid::Uuid;

use crate::{ClauseKind, StandardsError};

/// The record kind the policies and the audit see.
pub const RECORD_KIND: &str = "self_inspection";

ticorr_kernel::text_enum! {
    /// The answer to one clause of a checklist.
    pub enum Verdict {
        Conform = "conform",
        NotConform = "not_conform",
        NotApplicable = "not_applicable",
    }
}

/// A self-inspection, without its rows.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Inspection {
    pub id: String,
    pub org_id: OrgId,
    /// The item checked, or none for all of the organisation's items.
    pub equipment_id: Option<EquipmentId>,
    pub title: String,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

impl Inspection {
    fn resource(&self) -> Resource {
        record(&self.id, self.org_id)
    }
}

fn record(id: &str, owner: OrgId) -> Resource {
    Resource::Record(RecordRef {
        kind: RECORD_KIND,
        id: id.to_owned(),
        level: Level::Private,
        owner,
        parks: vec![],
    })
}

/// One clause of a checklist with its answer.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ChecklistRow {
    pub position: i64,
    pub clause_id: String,
    pub standard_id: String,
    pub code: String,
    pub number: String,
    pub kind: ClauseKind,
    pub text_en: String,
    pub text_zh: String,
    /// The items (tags) the clause applies to.
    pub applies_to: Vec<String>,
    pub verdict: Option<Verdict>,
    pub note: Option<String>,
    pub answered_at: Option<Timestamp>,
}

/// How a checklist scores.
#[derive(Debug, Clone, Default, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Score {
    pub rows: usize,
    pub answered: usize,
    pub conform: usize,
    pub not_conform: usize,
    pub not_applicable: usize,
    /// Mandatory clauses answered "not conform": each one is critical.
    pub critical: usize,
    /// Conforming share of the applicable answers, per cent; `null` before any.
    pub percent: Option<f64>,
    /// `critical` when a mandatory clause is not met, `incomplete` while rows are
    /// unanswered, `conform` or `gaps` (only recommended clauses not met).
    pub outcome: String,
}

/// A checklist with its rows and score.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct InspectionView {
    #[serde(flatten)]
    pub inspection: Inspection,
    pub rows: Vec<ChecklistRow>,
    pub score: Score,
}

/// The score of some rows.
pub fn score(rows: &[ChecklistRow]) -> Score {
    let count = |v: Verdict| rows.iter().filter(|r| r.verdict == Some(v)).count();
    let conform = count(Verdict::Conform);
    let not_conform = count(Verdict::NotConform);
    let not_applicable = count(Verdict::NotApplicable);
    let critical = rows
        .iter()
        .filter(|r| r.verdict == Some(Verdict::NotConform) && r.kind == ClauseKind::Mandatory)
        .count();
    let answered = conform + not_conform + not_applicable;
    let judged = conform + not_conform;
    let outcome = if critical > 0 {
        "critical"
    } else if answered < rows.len() {
        "incomplete"
    } else if not_conform > 0 {
        "gaps"
    } else {
        "conform"
    };
    Score {
        rows: rows.len(),
        answered,
        conform,
        not_conform,
        not_applicable,
        critical,
        percent: (judged > 0).then(|| (conform as f64 * 1000.0 / judged as f64).round() / 10.0),
        outcome: outcome.to_owned(),
    }
}

fn inspection_from(r: &AnyRow) -> Result<Inspection, sqlx::Error> {
    Ok(Inspection {
        id: r.try_get("id")?,
        org_id: parsed(r, "org_id")?,
        equipment_id: parsed_opt(r, "equipment_id")?,
        title: r.try_get("title")?,
        created_at: parsed(r, "created_at")?,
        updated_at: parsed(r, "updated_at")?,
    })
}

async fn load(conn: &mut sqlx::AnyConnection, id: &str) -> Result<Option<Inspection>, sqlx::Error> {
    sqlx::query(
        "SELECT id, org_id, equipment_id, title, created_at, updated_at FROM self_inspections WHERE id = $1",
    )
    .bind(id.to_owned())
    .fetch_optional(conn)
    .await?
    .map(|r| inspection_from(&r))
    .transpose()
}

async fn rows(conn: &mut sqlx::AnyConnection, id: &str) -> Result<Vec<ChecklistRow>, sqlx::Error> {
    sqlx::query(
        "SELECT position, clause_id, standard_id, code, number, kind, text_en, text_zh, applies_to, \
         verdict, note, answered_at FROM self_inspection_items WHERE inspection_id = $1 ORDER BY position",
    )
    .bind(id.to_owned())
    .fetch_all(conn)
    .await?
    .iter()
    .map(|r| {
        let applies: String = r.try_get("applies_to")?;
        Ok(ChecklistRow {
            position: r.try_get("position")?,
            clause_id: r.try_get("clause_id")?,
            standard_id: r.try_get("standard_id")?,
            code: r.try_get("code")?,
            number: r.try_get("number")?,
            kind: parsed(r, "kind")?,
            text_en: r.try_get("text_en")?,
            text_zh: r.try_get("text_zh")?,
            applies_to: serde_json::from_str(&applies)
                .map_err(|e| sqlx::Error::Decode(Box::new(e)))?,
            verdict: parsed_opt(r, "verdict")?,
            note: r.try_get("note")?,
            answered_at: parsed_opt(r, "answered_at")?,
        })
    })
    .collect()
}

/// A clause of a new checklist: the clause, its standard's code and id, the items' tags.
type Line = (crate::Clause, String, String, Vec<String>);

/// Starts a checklist for one item (or, without one, for all of the caller's
/// organisation's items) from the released clauses that apply now.
pub async fn start(
    db: &Db,
    gate: &Gate,
    caller: &Caller,
    equipment_id: Option<EquipmentId>,
) -> Result<InspectionView, StandardsError> {
    let actor = caller.principal.actor().ok_or(StandardsError::Forbidden)?;
    let id = Uuid::now_v7().to_string();
    // Decide first, so an outsider learns nothing from what follows.
    let mut conn = db.pool().acquire().await?;
    gate.check(
        &mut conn,
        caller,
        Action::Create,
        &record(&id, actor.org_id),
    )
    .await?;
    drop(conn);
    let (title, lines): (String, Vec<Line>) = match equipment_id {
        Some(item) => {
            let view = ticorr_equipment::get(db, gate, caller, item).await?;
            if view.item.org_id != actor.org_id {
                // Only an organisation's own items are self-inspected.
                return Err(StandardsError::NotFound);
            }
            let m = crate::match_view(db, gate, caller, &view).await?;
            let tag = view.item.tag.clone();
            (
                format!("{} {}", view.item.tag, view.item.name),
                m.applicable
                    .into_iter()
                    .map(|a| (a.clause, a.code, a.standard_id, vec![tag.clone()]))
                    .collect(),
            )
        }
        None => {
            let m = crate::match_org(db, gate, caller).await?;
            (
                String::new(),
                m.clauses
                    .into_iter()
                    .map(|c| {
                        let tags = c.items.into_iter().map(|(_, t)| t).collect();
                        (c.clause, c.code, c.standard_id, tags)
                    })
                    .collect(),
            )
        }
    };
    let now = gate.clock().now();
    let by: Option<PersonId> = Some(actor.person_id);
    let mut tx = db.begin().await?;
    sqlx::query(
        "INSERT INTO self_inspections (id, org_id, equipment_id, title, created_at, created_by, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $5)",
    )
    .bind(&id)
    .bind(actor.org_id.to_string())
    .bind(equipment_id.map(|e| e.to_string()))
    .bind(&title)
    .bind(now.to_rfc3339())
    .bind(by.map(|p| p.to_string()))
    .execute(&mut *tx)
    .await?;
    for (position, (clause, code, standard_id, tags)) in lines.iter().enumerate() {
        sqlx::query(
            "INSERT INTO self_inspection_items (inspection_id, position, clause_id, standard_id, code, \
             number, kind, text_en, text_zh, applies_to) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(&id)
        .bind(position as i64)
        .bind(clause.id.clone())
        .bind(standard_id.clone())
        .bind(code.clone())
        .bind(clause.number.clone())
        .bind(clause.kind.as_str())
        .bind(clause.text_en.clone())
        .bind(clause.text_zh.clone())
        .bind(serde_json::to_string(tags).expect("tags serialize"))
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    get(db, gate, caller, &id).await
}

/// A checklist of the caller's organisation.
pub async fn get(
    db: &Db,
    gate: &Gate,
    caller: &Caller,
    id: &str,
) -> Result<InspectionView, StandardsError> {
    let mut conn = db.pool().acquire().await?;
    let inspection = load(&mut conn, id).await?.ok_or(StandardsError::NotFound)?;
    gate.check(&mut conn, caller, Action::Read, &inspection.resource())
        .await?;
    let rows = rows(&mut conn, id).await?;
    let score = score(&rows);
    Ok(InspectionView {
        inspection,
        rows,
        score,
    })
}

/// The checklists of the caller's organisation, newest first, with their scores.
pub async fn list(
    db: &Db,
    gate: &Gate,
    caller: &Caller,
) -> Result<Vec<InspectionView>, StandardsError> {
    let Some(actor) = caller.principal.actor() else {
        return Ok(Vec::new());
    };
    let mut conn = db.pool().acquire().await?;
    let found: Vec<Inspection> = sqlx::query(
        "SELECT id, org_id, equipment_id, title, created_at, updated_at FROM self_inspections \
         WHERE org_id = $1 ORDER BY created_at DESC, id DESC",
    )
    .bind(actor.org_id.to_string())
    .fetch_all(&mut *conn)
    .await?
    .iter()
    .map(inspection_from)
    .collect::<Result<_, _>>()?;
    let readable = gate
        .filter(&mut conn, caller, Action::Read, found, |i| i.resource())
        .await?;
    let mut out = Vec::with_capacity(readable.len());
    for inspection in readable {
        let rows = rows(&mut conn, &inspection.id).await?;
        out.push(InspectionView {
            score: score(&rows),
            inspection,
            rows,
        });
    }
    Ok(out)
}

/// One answer.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Answer {
    pub position: i64,
    /// `conform`, `not_conform`, `not_applicable`, or null to clear.
    pub verdict: Option<String>,
    #[serde(default)]
    pub note: Option<String>,
}

/// Records answers, all or none: a bad one is named by its position and nothing changes.
pub async fn answer(
    db: &Db,
    gate: &Gate,
    caller: &Caller,
    id: &str,
    answers: &[Answer],
) -> Result<InspectionView, StandardsError> {
    let mut tx = db.begin().await?;
    let inspection = load(&mut tx, id).await?.ok_or(StandardsError::NotFound)?;
    let (mut tx, _permit) = gate
        .check_tx(tx, caller, Action::Update, &inspection.resource())
        .await?;
    let existing = rows(&mut tx, id).await?;
    let mut errors = FieldErrors::new();
    let mut valid = Vec::new();
    for a in answers {
        let field = format!("answers.{}", a.position);
        if !existing.iter().any(|r| r.position == a.position) {
            errors.add(
                &field,
                "unknown_value",
                "no row of the checklist has this position",
            );
            continue;
        }
        let verdict = match a
            .verdict
            .as_deref()
            .map(str::trim)
            .filter(|v| !v.is_empty())
        {
            None => None,
            Some(v) => match v.parse::<Verdict>() {
                Ok(v) => Some(v),
                Err(e) => {
                    errors.add(&field, "unknown_value", e.to_string());
                    continue;
                }
            },
        };
        let note = a.note.as_deref().map(str::trim).filter(|n| !n.is_empty());
        if note.is_some_and(|n| n.chars().count() > 2000) {
            errors.add(&field, "too_long", "use at most 2000 characters");
            continue;
        }
        if verdict == Some(Verdict::NotConform) && note.is_none() {
            errors.add(&field, "required", "say what does not conform");
            continue;
        }
        valid.push((a.position, verdict, note.map(str::to_owned)));
    }
    if !errors.is_empty() {
        return Err(StandardsError::Fields(errors));
    }
    let now = gate.clock().now();
    let by = caller.principal.actor().map(|a| a.person_id.to_string());
    for (position, verdict, note) in valid {
        sqlx::query(
            "UPDATE self_inspection_items SET verdict = $1, note = $2, answered_at = $3, answered_by = $4 \
             WHERE inspection_id = $5 AND position = $6",
        )
        .bind(verdict.map(|v| v.as_str()))
        .bind(note)
        .bind(verdict.map(|_| now.to_rfc3339()))
        .bind(verdict.and(by.clone()))
        .bind(id.to_owned())
        .bind(position)
        .execute(&mut *tx)
        .await?;
    }
    sqlx::query("UPDATE self_inspections SET updated_at = $1 WHERE id = $2")
        .bind(now.to_rfc3339())
        .bind(id.to_owned())
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    get(db, gate, caller, id).await
}

/// The record kind of a checklist row's evidence files, as the attachment service sees
/// their owner: `<inspection id>:<position>`.
pub const EVIDENCE_KIND: &str = "self_inspection_row";

/// The owner descriptor of one checklist row's evidence: governed like the checklist (the
/// organisation's own, level `private`). `None` when the checklist or the row does not
/// exist. No authorization here: the attachment service decides on it.
pub async fn evidence_owner(
    db: &Db,
    owner_id: &str,
) -> Result<Option<ticorr_platform::attachments::Owner>, StandardsError> {
    let Some((id, position)) = owner_id.split_once(':') else {
        return Ok(None);
    };
    let Ok(position) = position.parse::<i64>() else {
        return Ok(None);
    };
    let mut conn = db.pool().acquire().await?;
    let Some(inspection) = load(&mut conn, id).await? else {
        return Ok(None);
    };
    if !rows(&mut conn, id)
        .await?
        .iter()
        .any(|r| r.position == position)
    {
        return Ok(None);
    }
    Ok(Some(ticorr_platform::attachments::Owner {
        kind: EVIDENCE_KIND,
        id: format!("{id}:{position}"),
        org: inspection.org_id,
        level: Level::Private,
        parks: vec![],
        ledger_type: None,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(kind: ClauseKind, verdict: Option<Verdict>) -> ChecklistRow {
        ChecklistRow {
            position: 0,
            clause_id: String::new(),
            standard_id: String::new(),
            code: String::new(),
            number: String::new(),
            kind,
            text_en: String::new(),
            text_zh: String::new(),
            applies_to: vec![],
            verdict,
            note: None,
            answered_at: None,
        }
    }

    #[test]
    fn any_mandatory_non_conformity_is_critical_whatever_the_percentage() {
        use ClauseKind::*;
        let mut rows: Vec<ChecklistRow> = (0..19)
            .map(|_| row(Mandatory, Some(Verdict::Conform)))
            .collect();
        rows.push(row(Mandatory, Some(Verdict::NotConform)));
        let s = score(&rows);
        assert_eq!(s.outcome, "critical");
        assert_eq!(s.critical, 1);
        assert_eq!(s.percent, Some(95.0));
        let rows = vec![
            row(Mandatory, Some(Verdict::Conform)),
            row(Recommended, Some(Verdict::NotConform)),
            row(Recommended, Some(Verdict::NotApplicable)),
        ];
        let s = score(&rows);
        assert_eq!(s.outcome, "gaps");
        assert_eq!(s.percent, Some(50.0));
        let s = score(&[
            row(Mandatory, Some(Verdict::Conform)),
            row(Recommended, None),
        ]);
        assert_eq!(s.outcome, "incomplete");
        assert_eq!(score(&[]).percent, None);
        assert_eq!(
            score(&[row(Mandatory, Some(Verdict::Conform))]).outcome,
            "conform"
        );
    }
}
