//! After release: the push to the organisations a released version concerns, the periodic
//! review (a daily job opens a task when a standard's review falls due; its holder
//! reaffirms it or revises it through the lifecycle), and a standard's history.

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;
use sqlx::Row;
use ticorr_db::{Db, parsed};
use ticorr_kernel::{EquipmentId, OrgId, Timestamp};
use ticorr_platform::identity::orgs;
use ticorr_platform::jobs::worker::{JobContext, JobFailure, Settled};
use ticorr_platform::notify::{self, Audience, Message};
use ticorr_platform::policy::Action;
use ticorr_platform::{Caller, Gate};
use uuid::Uuid;

use crate::diff::{self, Change};
use crate::lifecycle::{self, Event, NOTIFY_KIND};
use crate::model::{ClauseInput, Stage};
use crate::{MediumWords, StandardsError, applies, store};

/// Items read per batch when matching a release against all equipment.
const BATCH: i64 = 1000;

/// The handler of [`lifecycle::PUSH_JOB`]: finds the clauses a released version adds or
/// changes, the organisations with at least one item they apply to, and tells each of
/// them what changed and for how many of its items. Nothing about the items leaves the
/// platform: each organisation hears only about its own.
pub async fn run_push(ctx: JobContext) -> Result<Settled, JobFailure> {
    let version_id = ctx
        .job
        .payload
        .get("version_id")
        .and_then(|v| v.as_str())
        .ok_or_else(|| JobFailure::permanent("the payload names no version_id"))?
        .to_owned();
    let mut conn = ctx.db.pool().acquire().await?;
    let Some((standard_id, code, version)) = store::version(&mut conn, &version_id).await? else {
        return Err(JobFailure::permanent("the version does not exist"));
    };
    let standard = store::standard(&mut conn, &standard_id)
        .await?
        .ok_or_else(|| JobFailure::permanent("the standard does not exist"))?;
    let versions = store::versions(&mut conn, &standard_id).await?;
    let previous = versions
        .iter()
        .skip_while(|v| v.id != version_id)
        .nth(1)
        .cloned();
    let new: Vec<ClauseInput> = store::clauses(&mut conn, &version_id)
        .await?
        .into_iter()
        .map(ClauseInput::from)
        .collect();
    let old: Vec<ClauseInput> = match &previous {
        Some(p) => store::clauses(&mut conn, &p.id)
            .await?
            .into_iter()
            .map(ClauseInput::from)
            .collect(),
        None => Vec::new(),
    };
    let from = previous
        .as_ref()
        .map(|p| p.version.clone())
        .unwrap_or_default();
    let d = diff::versions((&from, &old), (&version.version, &new));
    let touched: Vec<&ClauseInput> = d
        .clauses
        .iter()
        .filter(|c| matches!(c.change, Change::Added | Change::Changed))
        .filter_map(|c| new.iter().find(|n| n.number == c.number))
        .collect();
    drop(conn);

    // Organisation → (items concerned, clause numbers that concern them).
    let mut concerned: BTreeMap<OrgId, (usize, std::collections::BTreeSet<String>)> =
        BTreeMap::new();
    let mut owners: HashMap<OrgId, Option<orgs::Organization>> = HashMap::new();
    let mut after: Option<EquipmentId> = None;
    let mut seen = 0i64;
    if !touched.is_empty() {
        loop {
            let items = ticorr_equipment::batch_for_targeting(&ctx.db, after, BATCH)
                .await
                .map_err(JobFailure::retry)?;
            let Some(last) = items.last() else { break };
            after = Some(last.item.id);
            let mut conn = ctx.db.pool().acquire().await?;
            for item in &items {
                let org = item.item.org_id;
                if let std::collections::hash_map::Entry::Vacant(e) = owners.entry(org) {
                    e.insert(orgs::load(&mut conn, org).await?);
                }
                let Some(owner) = owners.get(&org).and_then(|o| o.as_ref()) else {
                    continue;
                };
                if owner.status != ticorr_kernel::OrgStatus::Verified {
                    continue;
                }
                let facts = crate::facts_of(Some(owner), item);
                let mut hit = false;
                for c in &touched {
                    if applies::check(&c.applies, &c.risk_grades, &facts, &MediumWords).applies {
                        concerned.entry(org).or_default().1.insert(c.number.clone());
                        hit = true;
                    }
                }
                if hit {
                    concerned.entry(org).or_default().0 += 1;
                }
            }
            seen += items.len() as i64;
            ctx.progress(seen, None, Some("matching equipment")).await?;
        }
    }
    let link = match &previous {
        Some(p) => format!(
            "/standards/{standard_id}/diff?from={}&to={}",
            p.version, version.version
        ),
        None => format!("/standards/{standard_id}"),
    };
    let mut tx = ctx.db.begin().await?;
    let now = ctx.clock.now();
    let mut recipients = 0usize;
    for (org, (items, numbers)) in &concerned {
        let numbers: Vec<&str> = numbers.iter().map(String::as_str).collect();
        let message = Message {
            kind: NOTIFY_KIND.to_owned(),
            title_zh: format!(
                "{code} {} 发布：{} 条新增或修改条款适用于贵单位设备",
                version.version,
                numbers.len()
            ),
            title_en: format!(
                "{code} {} released: {} new or changed clauses apply to your equipment",
                version.version,
                numbers.len()
            ),
            body_zh: format!(
                "《{}》{} 版的条款 {} 适用于贵单位 {items} 台设备，请查看变更并核对。",
                standard.title_zh,
                version.version,
                numbers.join("、")
            ),
            body_en: format!(
                "Clauses {} of “{}” {} apply to {items} of your items; see what changed.",
                numbers.join(", "),
                standard.title_en,
                version.version
            ),
            link: Some(link.clone()),
        };
        let report = notify::send(&mut tx, now, &Audience::Organizations(vec![*org]), &message)
            .await
            .map_err(JobFailure::retry)?;
        recipients += report.recipients;
    }
    let settled = ctx
        .complete_in(
            &mut tx,
            Some(&serde_json::json!({
                "clauses_added_or_changed": touched.len(),
                "items_checked": seen,
                "organisations": concerned.len(),
                "people": recipients,
            })),
        )
        .await?;
    tx.commit().await?;
    Ok(settled)
}

/// The handler of [`lifecycle::REVIEW_DUE_JOB`]: opens a review task for every released
/// version whose review date has come, once, and tells its holder.
pub async fn run_review_due(ctx: JobContext) -> Result<Settled, JobFailure> {
    let now = ctx.clock.now();
    let today = now.inner().date().to_string();
    let due = sqlx::query(
        "SELECT v.id, v.standard_id, v.version, v.review_due_on, s.code, s.title_zh, s.title_en, \
         s.owner_org_id FROM standard_versions v JOIN standards s ON s.id = v.standard_id \
         WHERE v.stage = 'released' AND v.review_due_on <= $1 AND NOT EXISTS \
         (SELECT 1 FROM standard_review_tasks t WHERE t.version_id = v.id \
          AND t.due_on = v.review_due_on) ORDER BY v.review_due_on",
    )
    .bind(today)
    .fetch_all(ctx.db.pool())
    .await?;
    let mut tx = ctx.db.begin().await?;
    for r in &due {
        let version_id: String = r.try_get("id")?;
        let standard_id: String = r.try_get("standard_id")?;
        let due_on: String = r.try_get("review_due_on")?;
        let code: String = r.try_get("code")?;
        let version: String = r.try_get("version")?;
        let owner: OrgId = parsed(r, "owner_org_id")?;
        sqlx::query(
            "INSERT INTO standard_review_tasks (id, standard_id, version_id, due_on, opened_at) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(Uuid::now_v7().to_string())
        .bind(standard_id.clone())
        .bind(version_id)
        .bind(due_on.clone())
        .bind(now.to_rfc3339())
        .execute(&mut *tx)
        .await?;
        lifecycle::record_event(
            &mut tx,
            (None, Some(&standard_id)),
            None,
            now,
            "review_due",
            &format!("{code} {version}: periodic review due {due_on}"),
        )
        .await?;
        let message = Message {
            kind: NOTIFY_KIND.to_owned(),
            title_zh: format!("标准到期复审：{code} {version}"),
            title_en: format!("Periodic review due: {code} {version}"),
            body_zh: format!(
                "《{}》的复审日期为 {due_on}。请确认继续有效，或提出修订。",
                r.try_get::<String, _>("title_zh")?
            ),
            body_en: format!(
                "“{}” was due for review on {due_on}. Reaffirm it or propose a revision.",
                r.try_get::<String, _>("title_en")?
            ),
            link: Some(format!("/standards/{standard_id}")),
        };
        notify::send(&mut tx, now, &Audience::Admins(vec![owner]), &message)
            .await
            .map_err(JobFailure::retry)?;
    }
    let settled = ctx
        .complete_in(&mut tx, Some(&serde_json::json!({ "opened": due.len() })))
        .await?;
    tx.commit().await?;
    Ok(settled)
}

/// An open (or closed) periodic review of a standard.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ReviewTask {
    pub id: String,
    pub standard_id: String,
    pub code: String,
    pub title_zh: String,
    pub title_en: String,
    pub version: String,
    pub due_on: String,
    pub opened_at: Timestamp,
    pub closed_at: Option<Timestamp>,
    /// `reaffirmed` or `revised` once closed.
    pub outcome: Option<String>,
    /// When failure cases opened it rather than the review date: the clause and how many
    /// published cases fell under it (`due_on` is then the day it was opened).
    pub cases: Option<CasesReason>,
}

/// Why failure cases opened a review.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CasesReason {
    pub clause_number: String,
    pub cases: usize,
}

/// The open review tasks of the standards the caller holds (may update), periodic ones and
/// those failure cases opened.
pub async fn review_tasks(
    db: &Db,
    gate: &Gate,
    caller: &Caller,
) -> Result<Vec<ReviewTask>, StandardsError> {
    let actor = caller.principal.actor().ok_or(StandardsError::Forbidden)?;
    let mut conn = db.pool().acquire().await?;
    let rows = sqlx::query(
        "SELECT t.id, t.standard_id, s.code, s.title_zh, s.title_en, v.version, t.due_on, \
         t.opened_at, t.closed_at, t.outcome FROM standard_review_tasks t \
         JOIN standards s ON s.id = t.standard_id JOIN standard_versions v ON v.id = t.version_id \
         WHERE t.closed_at IS NULL AND s.owner_org_id = $1 ORDER BY t.due_on, s.code",
    )
    .bind(actor.org_id.to_string())
    .fetch_all(&mut *conn)
    .await?;
    let mut tasks = Vec::new();
    for r in rows {
        tasks.push(ReviewTask {
            id: r.try_get("id")?,
            standard_id: r.try_get("standard_id")?,
            code: r.try_get("code")?,
            title_zh: r.try_get("title_zh")?,
            title_en: r.try_get("title_en")?,
            version: r.try_get("version")?,
            due_on: r.try_get("due_on")?,
            opened_at: parsed(&r, "opened_at")?,
            closed_at: ticorr_db::parsed_opt(&r, "closed_at")?,
            outcome: r.try_get("outcome")?,
            cases: None,
        });
    }
    let proposals = sqlx::query(
        "SELECT p.id, p.standard_id, s.code, s.title_zh, s.title_en, v.version, p.clause_number, \
         p.case_ids, p.opened_at FROM clause_case_proposals p \
         JOIN standards s ON s.id = p.standard_id JOIN standard_versions v ON v.id = p.version_id \
         WHERE p.closed_at IS NULL AND s.owner_org_id = $1 ORDER BY p.opened_at, s.code",
    )
    .bind(actor.org_id.to_string())
    .fetch_all(&mut *conn)
    .await?;
    for r in proposals {
        let opened_at: Timestamp = parsed(&r, "opened_at")?;
        let cited: Vec<String> = serde_json::from_str(&r.try_get::<String, _>("case_ids")?)
            .map_err(|e| StandardsError::Corrupt(e.to_string()))?;
        tasks.push(ReviewTask {
            id: r.try_get("id")?,
            standard_id: r.try_get("standard_id")?,
            code: r.try_get("code")?,
            title_zh: r.try_get("title_zh")?,
            title_en: r.try_get("title_en")?,
            version: r.try_get("version")?,
            due_on: opened_at.date_string(),
            opened_at,
            closed_at: None,
            outcome: None,
            cases: Some(CasesReason {
                clause_number: r.try_get("clause_number")?,
                cases: cited.len(),
            }),
        });
    }
    let mut kept = Vec::new();
    for t in tasks {
        if let Some(s) = store::standard(&mut conn, &t.standard_id).await? {
            kept.push((s, t));
        }
    }
    Ok(gate
        .filter(&mut conn, caller, Action::Update, kept, |(s, _)| {
            s.resource()
        })
        .await?
        .into_iter()
        .map(|(_, t)| t)
        .collect())
}

/// The holder confirms a standard stays valid as it is: its next review is one review
/// interval from today, and the open review task closes.
pub async fn reaffirm(
    db: &Db,
    gate: &Gate,
    caller: &Caller,
    standard_id: &str,
    note: &str,
) -> Result<String, StandardsError> {
    let actor = caller.principal.actor().ok_or(StandardsError::Forbidden)?;
    let now = gate.clock().now();
    let mut tx = db.begin().await?;
    let standard = store::standard(&mut tx, standard_id)
        .await?
        .ok_or(StandardsError::NotFound)?;
    let (mut tx, _permit) = gate
        .check_tx(tx, caller, Action::Update, &standard.resource())
        .await?;
    let current = store::versions(&mut tx, standard_id)
        .await?
        .into_iter()
        .find(|v| v.stage == Stage::Released)
        .ok_or_else(|| StandardsError::Conflict("the standard has no released version".into()))?;
    let open: i64 = sqlx::query(
        "SELECT COUNT(*) AS n FROM standard_review_tasks WHERE standard_id = $1 AND closed_at IS NULL",
    )
    .bind(standard_id.to_owned())
    .fetch_one(&mut *tx)
    .await?
    .try_get("n")?;
    let proposals = open_case_proposals(&mut tx, standard_id).await?;
    if open == 0 && proposals == 0 {
        return Err(StandardsError::Conflict(format!(
            "no review is open: the next one is due {}",
            current.review_due_on.as_deref().unwrap_or("—")
        )));
    }
    let next = (now.inner().date()
        + time::Duration::days(30 * standard.review_interval_months.max(1)))
    .to_string();
    sqlx::query("UPDATE standard_versions SET review_due_on = $1 WHERE id = $2")
        .bind(next.clone())
        .bind(current.id.clone())
        .execute(&mut *tx)
        .await?;
    sqlx::query(
        "UPDATE standard_review_tasks SET closed_at = $1, outcome = 'reaffirmed' \
         WHERE standard_id = $2 AND closed_at IS NULL",
    )
    .bind(now.to_rfc3339())
    .bind(standard_id.to_owned())
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "UPDATE clause_case_proposals SET closed_at = $1, outcome = 'reaffirmed' \
         WHERE standard_id = $2 AND closed_at IS NULL",
    )
    .bind(now.to_rfc3339())
    .bind(standard_id.to_owned())
    .execute(&mut *tx)
    .await?;
    let detail = if note.trim().is_empty() {
        format!("{} reaffirmed; next review {next}", current.version)
    } else {
        format!(
            "{} reaffirmed; next review {next}: {}",
            current.version,
            note.trim()
        )
    };
    lifecycle::record_event(
        &mut tx,
        (None, Some(standard_id)),
        Some(actor),
        now,
        "reaffirmed",
        &detail,
    )
    .await?;
    tx.commit().await?;
    Ok(next)
}

/// A standard's history: its releases, reviews and the steps of every proposal released
/// into it, if the caller may read the standard.
pub async fn history(
    db: &Db,
    gate: &Gate,
    caller: &Caller,
    standard_id: &str,
) -> Result<Vec<Event>, StandardsError> {
    let view = crate::get(db, gate, caller, standard_id).await?;
    let mut conn = db.pool().acquire().await?;
    Ok(lifecycle::events(&mut conn, None, Some(&view.standard.id)).await?)
}

/// Two versions of a standard the caller may read, compared clause by clause.
pub async fn compare(
    db: &Db,
    gate: &Gate,
    caller: &Caller,
    standard_id: &str,
    from: &str,
    to: &str,
) -> Result<diff::VersionDiff, StandardsError> {
    let view = crate::get(db, gate, caller, standard_id).await?;
    let find = |v: &str| {
        view.versions
            .iter()
            .find(|x| x.version == v)
            .cloned()
            .ok_or(StandardsError::NotFound)
    };
    let (a, b) = (find(from)?, find(to)?);
    let mut conn = db.pool().acquire().await?;
    let read = |c: Vec<crate::Clause>| c.into_iter().map(ClauseInput::from).collect::<Vec<_>>();
    let old = read(store::clauses(&mut conn, &a.id).await?);
    let new = read(store::clauses(&mut conn, &b.id).await?);
    Ok(diff::versions((&a.version, &old), (&b.version, &new)))
}

/// A revision proposal opened by failure cases: published cases kept occurring under the
/// conditions of a released clause, of a mechanism the clause exists to prevent.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CaseProposal {
    pub id: String,
    pub standard_id: String,
    pub version_id: String,
    pub clause_number: String,
    /// The damage mechanisms the clause prevents (from the rules its sources cite).
    pub mechanisms: Vec<String>,
    /// The published cases cited, newest first.
    pub case_ids: Vec<String>,
    /// The window the cases were counted in, in days.
    pub window_days: i64,
    pub opened_at: Timestamp,
    pub closed_at: Option<Timestamp>,
    /// `reaffirmed` or `revised` once closed.
    pub outcome: Option<String>,
}

/// What the failure-case module asks for when it opens a proposal.
#[derive(Debug, Clone)]
pub struct NewCaseProposal<'a> {
    pub standard: &'a crate::model::Standard,
    pub version: &'a crate::model::Version,
    pub clause_number: &'a str,
    pub mechanisms: &'a [String],
    pub case_ids: &'a [String],
    pub window_days: i64,
}

async fn open_case_proposals(
    conn: &mut sqlx::AnyConnection,
    standard_id: &str,
) -> Result<i64, sqlx::Error> {
    sqlx::query(
        "SELECT COUNT(*) AS n FROM clause_case_proposals WHERE standard_id = $1 AND closed_at IS NULL",
    )
    .bind(standard_id.to_owned())
    .fetch_one(&mut *conn)
    .await?
    .try_get("n")
}

/// Opens a revision proposal for a clause, citing the cases, unless one is open for that
/// clause of that version already (then nothing changes and `false` is returned). Recorded
/// in the standard's history; the holder's admins are told. The caller (a platform job)
/// decides when cases warrant it.
pub async fn open_case_proposal(
    conn: &mut sqlx::AnyConnection,
    now: Timestamp,
    p: &NewCaseProposal<'_>,
) -> Result<bool, StandardsError> {
    let open: i64 = sqlx::query(
        "SELECT COUNT(*) AS n FROM clause_case_proposals WHERE version_id = $1 \
         AND clause_number = $2 AND closed_at IS NULL",
    )
    .bind(p.version.id.clone())
    .bind(p.clause_number.to_owned())
    .fetch_one(&mut *conn)
    .await?
    .try_get("n")?;
    if open > 0 {
        return Ok(false);
    }
    let json = |v: &[String]| serde_json::to_string(v).unwrap_or_else(|_| "[]".into());
    sqlx::query(
        "INSERT INTO clause_case_proposals (id, standard_id, version_id, clause_number, \
         mechanisms, case_ids, window_days, opened_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(Uuid::now_v7().to_string())
    .bind(p.standard.id.clone())
    .bind(p.version.id.clone())
    .bind(p.clause_number.to_owned())
    .bind(json(p.mechanisms))
    .bind(json(p.case_ids))
    .bind(p.window_days)
    .bind(now.to_rfc3339())
    .execute(&mut *conn)
    .await?;
    let (code, version, clause) = (&p.standard.code, &p.version.version, p.clause_number);
    let n = p.case_ids.len();
    lifecycle::record_event(
        conn,
        (None, Some(&p.standard.id)),
        None,
        now,
        "case_proposal",
        &format!(
            "{code} {version} clause {clause}: {n} published cases of {} within {} days",
            p.mechanisms.join(", "),
            p.window_days
        ),
    )
    .await?;
    let message = Message {
        kind: NOTIFY_KIND.to_owned(),
        title_zh: format!("失效案例提示修订：{code} 第 {clause} 条"),
        title_en: format!("Cases call for a revision: {code} clause {clause}"),
        body_zh: format!(
            "近 {} 天内有 {n} 个已发布的失效案例发生在该条款适用的工况下，且属于该条款所防范的失效机理。请复核该条款，确认继续有效或提出修订。",
            p.window_days
        ),
        body_en: format!(
            "{n} published failure cases within {} days occurred under the conditions this clause covers, of a mechanism it exists to prevent. Review the clause: reaffirm it or propose a revision.",
            p.window_days
        ),
        link: Some(format!(
            "/standards/{}#clause-{}",
            p.standard.id, p.clause_number
        )),
    };
    notify::send(
        conn,
        now,
        &Audience::Admins(vec![p.standard.owner_org_id]),
        &message,
    )
    .await
    .map_err(|e| match e {
        notify::NotifyError::Storage(e) => StandardsError::Storage(e),
        other => StandardsError::Invalid(vec![other.to_string()]),
    })?;
    Ok(true)
}

/// The proposals cases opened for a standard (or one clause of it), newest first, if the
/// caller may read the standard.
pub async fn case_proposals(
    db: &Db,
    gate: &Gate,
    caller: &Caller,
    standard_id: &str,
    clause_number: Option<&str>,
) -> Result<Vec<CaseProposal>, StandardsError> {
    crate::get(db, gate, caller, standard_id).await?;
    let mut conn = db.pool().acquire().await?;
    let rows = sqlx::query(
        "SELECT id, standard_id, version_id, clause_number, mechanisms, case_ids, window_days, \
         opened_at, closed_at, outcome FROM clause_case_proposals WHERE standard_id = $1 \
         ORDER BY opened_at DESC, id DESC",
    )
    .bind(standard_id.to_owned())
    .fetch_all(&mut *conn)
    .await?;
    let list = |r: &sqlx::any::AnyRow, c: &str| -> Result<Vec<String>, StandardsError> {
        let text: String = r.try_get(c)?;
        serde_json::from_str(&text).map_err(|e| StandardsError::Corrupt(e.to_string()))
    };
    let mut out = Vec::new();
    for r in &rows {
        let number: String = r.try_get("clause_number")?;
        if clause_number.is_some_and(|c| c != number) {
            continue;
        }
        out.push(CaseProposal {
            id: r.try_get("id")?,
            standard_id: r.try_get("standard_id")?,
            version_id: r.try_get("version_id")?,
            clause_number: number,
            mechanisms: list(r, "mechanisms")?,
            case_ids: list(r, "case_ids")?,
            window_days: r.try_get("window_days")?,
            opened_at: parsed(r, "opened_at")?,
            closed_at: ticorr_db::parsed_opt(r, "closed_at")?,
            outcome: r.try_get("outcome")?,
        });
    }
    Ok(out)
}

/// The clauses of every public standard's released version: the industry's unified clauses,
/// public to all, for the platform's own matching (the failure cases' feedback).
pub async fn released_clauses(
    db: &Db,
) -> Result<
    Vec<(
        crate::model::Standard,
        crate::model::Version,
        Vec<crate::model::Clause>,
    )>,
    StandardsError,
> {
    let mut conn = db.pool().acquire().await?;
    let mut out = Vec::new();
    for (standard, version) in store::released_public(&mut conn).await? {
        let clauses = store::clauses(&mut conn, &version.id).await?;
        out.push((standard, version, clauses));
    }
    Ok(out)
}

/// When the holder last closed a proposal cases made for this clause of this version: cases
/// published before that were weighed then, and are not counted again.
pub async fn case_proposal_closed_at(
    conn: &mut sqlx::AnyConnection,
    version_id: &str,
    clause_number: &str,
) -> Result<Option<Timestamp>, StandardsError> {
    let last: Option<String> = sqlx::query_scalar(
        "SELECT MAX(closed_at) FROM clause_case_proposals WHERE version_id = $1 \
         AND clause_number = $2 AND closed_at IS NOT NULL",
    )
    .bind(version_id.to_owned())
    .bind(clause_number.to_owned())
    .fetch_one(&mut *conn)
    .await?;
    last.map(|t| {
        t.parse()
            .map_err(|_| StandardsError::Corrupt(format!("closed_at `{t}`")))
    })
    .transpose()
}
