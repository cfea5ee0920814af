//! The corrosion risk of each item: assessed by the risk engine from the item's own
//! conditions, kept with its history.
//!
//! An assessment is written in the transaction that registers or changes an item, so an
//! item never shows conditions its grade was not computed from. A row is added only when
//! the result changes (a new grade, a mechanism rated differently or by other rules), so
//! the history reads as the list of times the risk changed and why; the same result under
//! new rule files only takes their names. When the rule file or the
//! consequence scheme changes, a job ([`REASSESS_KIND`]) reassesses every item whose
//! current assessment was made with other files.

use serde::Serialize;
use serde_json::{Map, Value as Json};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};
use ticorr_db::{Db, flag, parsed};
use ticorr_kernel::{EquipmentId, PersonId, Timestamp};
use ticorr_platform::jobs::NewJob;
use ticorr_platform::jobs::worker::{JobContext, JobFailure, Settled};
use ticorr_platform::risk::{ConsequenceAnswers, ItemAssessment, Risk};
use ticorr_risk::{RiskGrade, Susceptibility};
use uuid::Uuid;

use crate::model::Equipment;
use crate::{EquipmentError, store};

/// The job kind that reassesses items assessed with other rule or consequence files.
pub const REASSESS_KIND: &str = "equipment.reassess";

/// Items reassessed per transaction.
const REASSESS_BATCH: usize = 500;

ticorr_kernel::text_enum! {
    /// Why an assessment was made.
    pub enum Reason {
        /// The item was registered (or imported as new).
        Registered = "registered",
        /// Its conditions or consequence changed.
        ConditionsChanged = "conditions_changed",
        /// The rule file or the consequence scheme changed.
        RuleSetChanged = "rule_set_changed",
    }
}

/// A changed input: its name and its value before and after.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct Change {
    pub field: String,
    pub from: Option<Json>,
    pub to: Option<Json>,
}

/// One assessment of an item, as stored.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AssessmentRecord {
    pub id: String,
    pub assessed_at: Timestamp,
    pub reason: Reason,
    /// The inputs whose change led to this assessment.
    pub changes: Vec<Change>,
    /// The item's version it was made for.
    pub equipment_version: i64,
    pub rule_set_version: String,
    pub rule_set_sha256: String,
    pub consequence_sha256: String,
    pub risk_grade: Option<RiskGrade>,
    pub pof_category: i64,
    pub cof_category: Option<String>,
    /// The worst mechanism rated above none.
    pub worst_mechanism: Option<String>,
    pub worst_susceptibility: Susceptibility,
    pub incomplete: bool,
    pub current: bool,
    /// The result as kept: grade, consequence, and per mechanism its rating, the rules
    /// and adjustments that applied and the inputs it missed.
    #[schema(value_type = Object)]
    pub result: Json,
}

/// The engine, or why it cannot assess (only when its embedded files are broken, which a
/// server refuses to start with).
fn engine() -> Result<&'static Risk, EquipmentError> {
    ticorr_platform::risk::load().map_err(EquipmentError::Unreadable)
}

/// What the item says about the consequence of a failure.
fn answers_of<'a>(item: &'a Equipment, cost: &'a Option<Json>) -> ConsequenceAnswers<'a> {
    ConsequenceAnswers {
        category: item.consequence_category.as_deref(),
        medium_hazard: item.medium_hazard.as_deref(),
        people_nearby: item.people_nearby.as_deref(),
        failure_cost_usd: cost.as_ref(),
    }
}

/// The item's inputs to the assessment: the risk model's and the consequence answers.
fn all_inputs(item: &Equipment) -> Map<String, Json> {
    let mut m = item.risk_inputs();
    let mut put = |k: &str, v: Option<Json>| {
        if let Some(v) = v {
            m.insert(k.to_owned(), v);
        }
    };
    put(
        "consequence_category",
        item.consequence_category.clone().map(Json::from),
    );
    put("medium_hazard", item.medium_hazard.clone().map(Json::from));
    put("people_nearby", item.people_nearby.clone().map(Json::from));
    put("failure_cost_usd", item.failure_cost_usd.map(Json::from));
    m
}

/// Assesses an item as it stands now.
pub fn assess(item: &Equipment) -> Result<ItemAssessment, EquipmentError> {
    let risk = engine()?;
    let cost = item.failure_cost_usd.map(Json::from);
    risk.assess_item(&item.risk_inputs(), answers_of(item, &cost))
        .map_err(|e| EquipmentError::Unreadable(format!("{}: {}", e.field, e.message)))
}

/// What is kept of an assessment: the grade and how it was reached, and per mechanism
/// that a rule reached or that lacked an input, its rating, the rules and adjustments that
/// applied and the inputs it missed. The wording (names, mitigations, inspection) belongs
/// to the rule set and is not repeated in every row.
fn compact(a: &ItemAssessment) -> Json {
    let p = &a.probability;
    let mechanisms: Vec<Json> = p
        .mechanisms
        .iter()
        .filter(|m| !m.rules.is_empty() || m.incomplete)
        .map(|m| {
            serde_json::json!({
                "id": m.id,
                "susceptibility": m.susceptibility,
                "incomplete": m.incomplete,
                "missing": m.missing,
                "rules": m.rules.iter().map(|f| f.id.as_str()).collect::<Vec<_>>(),
                "adjustments": m.adjustments.iter().map(|f| f.id.as_str()).collect::<Vec<_>>(),
            })
        })
        .collect();
    serde_json::json!({
        "risk_grade": a.risk_grade,
        "risk_level": a.risk_level,
        "pof_category": p.pof_category,
        "cof_category": a.cof_category,
        "consequence": a.consequence,
        "incomplete": p.incomplete,
        "mechanisms": mechanisms,
        "rule_set": p.rule_set,
    })
}

/// A kept result without the rule set that made it, to compare results across files.
fn without_rule_set(result: &Json) -> Json {
    let mut r = result.clone();
    if let Some(o) = r.as_object_mut() {
        o.remove("rule_set");
    }
    r
}

/// The inputs that differ between two versions of an item.
fn changes(before: Option<&Equipment>, after: &Equipment) -> Vec<Change> {
    let Some(before) = before else {
        return Vec::new();
    };
    let (old, new) = (all_inputs(before), all_inputs(after));
    let mut names: Vec<&String> = old.keys().chain(new.keys()).collect();
    names.sort();
    names.dedup();
    names
        .into_iter()
        .filter(|k| old.get(*k) != new.get(*k))
        .map(|k| Change {
            field: k.clone(),
            from: old.get(k).cloned(),
            to: new.get(k).cloned(),
        })
        .collect()
}

/// Records the item's assessment in the caller's transaction when it differs from the
/// current one (or there is none). `before` is the item before the change, to say what
/// changed. Returns whether a row was written.
pub(crate) async fn record(
    conn: &mut AnyConnection,
    item: &Equipment,
    before: Option<&Equipment>,
    reason: Reason,
    now: Timestamp,
    by: Option<PersonId>,
) -> Result<bool, EquipmentError> {
    let risk = engine()?;
    let assessment = assess(item)?;
    let result = compact(&assessment);
    let text = result.to_string();
    let current: Option<(String, String)> = sqlx::query(
        "SELECT id, result FROM risk_assessments WHERE equipment_id = $1 AND is_current = 1",
    )
    .bind(item.id.to_string())
    .fetch_optional(&mut *conn)
    .await?
    .map(|r| Ok::<_, sqlx::Error>((r.try_get("id")?, r.try_get("result")?)))
    .transpose()?;
    if let Some((id, old)) = &current {
        // The same result under new files is no change to the reader: the current row
        // takes the new files' names and the history stays a list of real changes.
        let old: Json = serde_json::from_str(old).unwrap_or(Json::Null);
        if without_rule_set(&old) == without_rule_set(&result) {
            let p = &assessment.probability;
            sqlx::query(
                "UPDATE risk_assessments SET result = $1, rule_set_version = $2, \
                 rule_set_sha256 = $3, consequence_sha256 = $4 WHERE id = $5",
            )
            .bind(&text)
            .bind(p.rule_set.version.clone())
            .bind(p.rule_set.sha256.clone())
            .bind(risk.consequence.sha256.clone())
            .bind(id)
            .execute(&mut *conn)
            .await?;
            return Ok(false);
        }
        sqlx::query("UPDATE risk_assessments SET is_current = 0 WHERE id = $1")
            .bind(id)
            .execute(&mut *conn)
            .await?;
    }
    let p = &assessment.probability;
    let worst = p
        .mechanisms
        .first()
        .filter(|m| m.susceptibility > Susceptibility::None);
    let rated: Vec<String> = p
        .mechanisms
        .iter()
        .filter(|m| m.susceptibility > Susceptibility::None)
        .map(|m| format!("{}:{}", m.id, m.susceptibility.as_str()))
        .collect();
    let changes = changes(before, item);
    sqlx::query(
        "INSERT INTO risk_assessments (id, equipment_id, org_id, assessed_at, assessed_by, reason, \
         changes, equipment_version, rule_set_version, rule_set_sha256, consequence_sha256, \
         risk_grade, pof_category, cof_category, worst_mechanism, worst_susceptibility, mechanisms, \
         incomplete, result, is_current) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, 1)",
    )
    .bind(Uuid::now_v7().to_string())
    .bind(item.id.to_string())
    .bind(item.org_id.to_string())
    .bind(now.to_rfc3339())
    .bind(by.map(|b| b.to_string()))
    .bind(reason.as_str())
    .bind((!changes.is_empty()).then(|| serde_json::to_string(&changes).expect("changes serialize")))
    .bind(item.version)
    .bind(p.rule_set.version.clone())
    .bind(p.rule_set.sha256.clone())
    .bind(risk.consequence.sha256.clone())
    .bind(assessment.risk_grade.map(|g| g.as_str()))
    .bind(i64::from(p.pof_category))
    .bind(assessment.cof_category.map(|c| c.as_str()))
    .bind(worst.map(|m| m.id.clone()))
    .bind(
        worst.map_or(Susceptibility::None, |m| m.susceptibility).as_str(),
    )
    .bind(rated.join(" "))
    .bind(flag::to_db(p.incomplete))
    .bind(text)
    .execute(&mut *conn)
    .await?;
    Ok(true)
}

/// Assesses an item just written (by id, as stored) in the caller's transaction.
pub(crate) async fn record_stored(
    conn: &mut AnyConnection,
    id: EquipmentId,
    before: Option<&Equipment>,
    reason: Reason,
    now: Timestamp,
    by: Option<PersonId>,
) -> Result<(), EquipmentError> {
    let item = store::view(conn, id)
        .await?
        .ok_or(EquipmentError::NotFound)?
        .item;
    record(conn, &item, before, reason, now, by).await?;
    Ok(())
}

const RECORD_COLUMNS: &str = "id, assessed_at, reason, changes, equipment_version, rule_set_version, \
    rule_set_sha256, consequence_sha256, risk_grade, pof_category, cof_category, worst_mechanism, \
    worst_susceptibility, incomplete, is_current, result";

fn record_from_row(r: &AnyRow) -> Result<AssessmentRecord, sqlx::Error> {
    let decode = |e: serde_json::Error| sqlx::Error::Decode(Box::new(e));
    let changes: Option<String> = r.try_get("changes")?;
    let result: String = r.try_get("result")?;
    let grade: Option<String> = r.try_get("risk_grade")?;
    let worst: String = r.try_get("worst_susceptibility")?;
    Ok(AssessmentRecord {
        id: r.try_get("id")?,
        assessed_at: parsed(r, "assessed_at")?,
        reason: parsed(r, "reason")?,
        changes: match changes {
            Some(c) => serde_json::from_str(&c).map_err(decode)?,
            None => Vec::new(),
        },
        equipment_version: r.try_get("equipment_version")?,
        rule_set_version: r.try_get("rule_set_version")?,
        rule_set_sha256: r.try_get("rule_set_sha256")?,
        consequence_sha256: r.try_get("consequence_sha256")?,
        risk_grade: grade.as_deref().and_then(RiskGrade::parse),
        pof_category: r.try_get("pof_category")?,
        cof_category: r.try_get("cof_category")?,
        worst_mechanism: r.try_get("worst_mechanism")?,
        worst_susceptibility: Susceptibility::parse(&worst).unwrap_or(Susceptibility::None),
        incomplete: flag::get(r, "incomplete")?,
        current: flag::get(r, "is_current")?,
        result: serde_json::from_str(&result).map_err(decode)?,
    })
}

/// Every assessment of an item, newest first. The caller has been allowed to read it.
pub(crate) async fn history(
    conn: &mut AnyConnection,
    id: EquipmentId,
) -> Result<Vec<AssessmentRecord>, sqlx::Error> {
    let sql = format!(
        "SELECT {RECORD_COLUMNS} FROM risk_assessments WHERE equipment_id = $1 \
         ORDER BY assessed_at DESC, id DESC"
    );
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(id.to_string())
        .fetch_all(conn)
        .await?
        .iter()
        .map(record_from_row)
        .collect()
}

/// Condition under which an item needs reassessing: no current assessment, or one made
/// with other files.
const STALE: &str = "FROM equipment e LEFT JOIN risk_assessments r \
    ON r.equipment_id = e.id AND r.is_current = 1 \
    WHERE r.id IS NULL OR r.rule_set_sha256 <> $1 OR r.consequence_sha256 <> $2";

fn fingerprints() -> Result<(String, String), EquipmentError> {
    let risk = engine()?;
    Ok((risk.rules.sha256.clone(), risk.consequence.sha256.clone()))
}

/// How many items need reassessing with the files this binary carries.
pub async fn stale_count(db: &Db) -> Result<u64, EquipmentError> {
    let (rules, consequence) = fingerprints()?;
    let sql = format!("SELECT CAST(COUNT(*) AS BIGINT) AS n {STALE}");
    let n: i64 = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(rules)
        .bind(consequence)
        .fetch_one(db.pool())
        .await?
        .try_get("n")?;
    Ok(n as u64)
}

/// Enqueues a reassessment job when items need one and none is queued or running.
/// Called when a node starts, so a new rule file takes effect on every item. Returns the
/// job's id when one was enqueued.
pub async fn enqueue_if_stale(db: &Db, now: Timestamp) -> Result<Option<String>, EquipmentError> {
    let stale = stale_count(db).await?;
    if stale == 0 {
        return Ok(None);
    }
    let mut tx = db.begin().await?;
    let pending: i64 = sqlx::query(
        "SELECT CAST(COUNT(*) AS BIGINT) AS n FROM jobs WHERE kind = $1 AND status IN ('queued', 'running')",
    )
    .bind(REASSESS_KIND)
    .fetch_one(&mut *tx)
    .await?
    .try_get("n")?;
    if pending > 0 {
        return Ok(None);
    }
    let id = NewJob::new(REASSESS_KIND, serde_json::json!({ "stale": stale }))
        .enqueue(&mut tx, now)
        .await
        .map_err(|e| EquipmentError::Unreadable(e.to_string()))?;
    tx.commit().await?;
    Ok(Some(id))
}

/// The handler of [`REASSESS_KIND`]: reassesses stale items a batch per transaction,
/// reporting progress, until none is left.
///
/// The job acts for no person and discloses nothing: it recomputes a value derived from
/// each item's own stored conditions and writes it beside the item, as the write that
/// changed the conditions would have. So it works below the gate, like the registry's
/// own storage functions.
pub async fn run_reassess(ctx: JobContext) -> Result<Settled, JobFailure> {
    let (rules, consequence) = fingerprints().map_err(JobFailure::permanent)?;
    let total = stale_count(&ctx.db).await.map_err(JobFailure::retry)? as i64;
    let mut done: i64 = 0;
    ctx.progress(0, Some(total), Some("reassessing")).await?;
    loop {
        let sql = format!("SELECT e.id AS item_id {STALE} ORDER BY e.id LIMIT {REASSESS_BATCH}");
        let ids: Vec<String> = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(&rules)
            .bind(&consequence)
            .fetch_all(ctx.db.pool())
            .await?
            .iter()
            .map(|r| r.try_get("item_id"))
            .collect::<Result<_, _>>()?;
        if ids.is_empty() {
            break;
        }
        let mut tx = ctx.db.begin().await?;
        let now = ctx.clock.now();
        for id in &ids {
            let id: EquipmentId = id
                .parse()
                .map_err(|_| JobFailure::permanent("an item id is unreadable"))?;
            let Some(view) = store::view(&mut tx, id).await? else {
                continue;
            };
            // A changed result adds a history row; the same result takes the new files'
            // names in place.
            let changed = record(&mut tx, &view.item, None, Reason::RuleSetChanged, now, None)
                .await
                .map_err(JobFailure::retry)?;
            if changed {
                // The search index shows the grade as a facet.
                ticorr_platform::search::changed(&mut tx, crate::RECORD_KIND, &id.to_string(), now)
                    .await?;
            }
        }
        tx.commit().await?;
        done += ids.len() as i64;
        ctx.progress(
            done.min(total.max(done)),
            Some(total.max(done)),
            Some("reassessing"),
        )
        .await?;
    }
    let mut tx = ctx.db.begin().await?;
    let settled = ctx
        .complete_in(&mut tx, Some(&serde_json::json!({ "reassessed": done })))
        .await?;
    tx.commit().await?;
    Ok(settled)
}

/// Counts of the current assessments of some items, for the overviews.
#[derive(Debug, Clone, Default, Serialize, utoipa::ToSchema)]
pub struct Overview {
    /// Items counted.
    pub items: u64,
    /// Items by grade, `I` to `IV`, and `ungraded` (consequence not known).
    pub by_grade: Vec<(String, u64)>,
    /// Items by mechanism rated above none (an item may count under several), with the
    /// count per susceptibility.
    pub by_mechanism: Vec<MechanismCount>,
    /// Items with at least one incomplete mechanism.
    pub incomplete: u64,
    /// Items without an assessment yet (a reassessment is running).
    pub unassessed: u64,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct MechanismCount {
    pub mechanism: String,
    pub items: u64,
    /// (susceptibility, items), low to very high.
    pub by_susceptibility: Vec<(String, u64)>,
}

/// The current grade and mechanisms of the given items.
pub(crate) async fn summaries(
    conn: &mut AnyConnection,
    ids: &[EquipmentId],
) -> Result<Vec<(EquipmentId, Option<String>, String, bool)>, sqlx::Error> {
    let mut out = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(500) {
        let sql = format!(
            "SELECT equipment_id, risk_grade, mechanisms, incomplete FROM risk_assessments \
             WHERE is_current = 1 AND equipment_id IN ({})",
            ticorr_db::placeholders(1, chunk.len())
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for id in chunk {
            q = q.bind(id.to_string());
        }
        for r in q.fetch_all(&mut *conn).await? {
            out.push((
                parsed(&r, "equipment_id")?,
                r.try_get("risk_grade")?,
                r.try_get("mechanisms")?,
                flag::get(&r, "incomplete")?,
            ));
        }
    }
    Ok(out)
}

/// Adds up summaries of `items` items.
pub(crate) fn overview(
    items: usize,
    rows: &[(EquipmentId, Option<String>, String, bool)],
) -> Overview {
    let mut grades = std::collections::BTreeMap::<String, u64>::new();
    let mut mechanisms =
        std::collections::BTreeMap::<String, std::collections::BTreeMap<Susceptibility, u64>>::new(
        );
    let mut incomplete = 0;
    for (_, grade, rated, inc) in rows {
        *grades
            .entry(grade.clone().unwrap_or_else(|| "ungraded".into()))
            .or_default() += 1;
        if *inc {
            incomplete += 1;
        }
        for pair in rated.split_whitespace() {
            if let Some((m, s)) = pair.split_once(':')
                && let Some(s) = Susceptibility::parse(s)
            {
                *mechanisms
                    .entry(m.to_owned())
                    .or_default()
                    .entry(s)
                    .or_default() += 1;
            }
        }
    }
    let by_grade = by_grade(&grades);
    let mut by_mechanism: Vec<MechanismCount> = mechanisms
        .into_iter()
        .map(|(mechanism, by)| MechanismCount {
            mechanism,
            items: by.values().sum(),
            by_susceptibility: by
                .into_iter()
                .map(|(s, n)| (s.as_str().to_owned(), n))
                .collect(),
        })
        .collect();
    by_mechanism.sort_by(|a, b| b.items.cmp(&a.items).then(a.mechanism.cmp(&b.mechanism)));
    Overview {
        items: items as u64,
        by_grade,
        by_mechanism,
        incomplete,
        unassessed: (items - rows.len()) as u64,
    }
}

/// How many items hold each current grade (`I` to `IV`, `ungraded`), over the whole
/// database: for the command line of whoever runs the installation (the demo's summary),
/// never for a request.
pub async fn grade_census(db: &Db) -> Result<Vec<(String, u64)>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT COALESCE(risk_grade, 'ungraded') AS grade, CAST(COUNT(*) AS BIGINT) AS n \
         FROM risk_assessments WHERE is_current = 1 GROUP BY COALESCE(risk_grade, 'ungraded')",
    )
    .fetch_all(db.pool())
    .await?;
    let mut counts = std::collections::BTreeMap::new();
    for r in &rows {
        let n: i64 = r.try_get("n")?;
        counts.insert(r.try_get::<String, _>("grade")?, n as u64);
    }
    Ok(by_grade(&counts))
}

/// Counts by grade in grade order, `ungraded` last, zeros included.
fn by_grade(counts: &std::collections::BTreeMap<String, u64>) -> Vec<(String, u64)> {
    RiskGrade::ALL
        .iter()
        .map(|g| g.as_str().to_owned())
        .chain(std::iter::once("ungraded".to_owned()))
        .map(|g| {
            let n = counts.get(&g).copied().unwrap_or(0);
            (g, n)
        })
        .collect()
}
