//! L4 statistics: the one way numbers about many organisations leave the platform.
//!
//! A regulator or research institution asks a small declarative question (a measure,
//! dimensions to group by, filters, the ε to spend). The answer is computed over the
//! registry of all verified organisations — the named, audited transformation by which L1
//! data moves up to L4 — and released only as:
//!
//! - noisy values from OpenDP (`ticorr-dp`), each with its ε and mechanism;
//! - with each organisation's contribution bounded (at most `contribution_bound` items per
//!   organisation per query), so the ε protects whole organisations;
//! - with every cell of fewer than `min_contributors` organisations suppressed;
//! - charged to the consumer organisation's privacy budget for the month, refused whole
//!   when the budget does not cover it.
//!
//! The data comes from the modules (the equipment registry provides [`StatRow`]s); this
//! module owns the rules.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use sqlx::{AnyConnection, Row};
use ticorr_db::Db;
use ticorr_dp::{Budget, DpError, Histogram};
use ticorr_kernel::{FieldErrors, Level, OrgId, PersonId, Timestamp};
use uuid::Uuid;

use crate::gate::{Caller, Denied, Gate};
use crate::policy::{Action, RecordRef, Resource};

/// Statistics settings (`[stats]` in the configuration file).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StatsConfig {
    /// ε each consumer organisation may spend per calendar month (UTC).
    pub budget_epsilon_per_month: f64,
    /// The most ε one query may spend.
    pub max_epsilon_per_query: f64,
    /// Cells with fewer contributing organisations are suppressed.
    pub min_contributors: i64,
    /// The most items one organisation contributes to one query.
    pub contribution_bound: i64,
}

impl Default for StatsConfig {
    fn default() -> Self {
        StatsConfig {
            budget_epsilon_per_month: 4.0,
            max_epsilon_per_query: 1.0,
            min_contributors: 10,
            contribution_bound: 50,
        }
    }
}

ticorr_kernel::text_enum! {
    /// What is counted or averaged.
    pub enum Measure {
        /// Equipment items.
        EquipmentCount = "equipment_count",
        /// Organisations holding at least one matching item.
        OrganizationCount = "organization_count",
        /// Mean of the maximum metal temperature, °C.
        MeanTemperatureC = "mean_temperature_c",
        /// Mean chloride concentration, mg/L.
        MeanChlorideMgL = "mean_chloride_mg_l",
        /// Mean pH.
        MeanPh = "mean_ph",
        /// Published failure cases (their published, k-anonymous attributes), for trends.
        CaseCount = "case_count",
    }
}

ticorr_kernel::text_enum! {
    /// What cells are grouped by.
    pub enum Dimension {
        /// The provincial-level division (GB/T 2260 code) of the owning organisation.
        Province = "province",
        /// The GB/T 4754 class of the owning organisation.
        Industry = "industry",
        EquipmentType = "equipment_type",
        Grade = "grade",
        /// The year the item was commissioned.
        CommissionedYear = "commissioned_year",
        /// A failure case's damage mechanism.
        Mechanism = "mechanism",
        /// A failure case's year as published (a year, or the band k-anonymity widened it to).
        FailureYear = "failure_year",
    }
}

/// The range values of a mean are clamped to, so that one organisation's influence on the
/// sum is bounded. These are analysis parameters of the release (shown with every answer),
/// chosen to cover the typical service ranges of the industry profiles; they are not
/// corrosion thresholds.
pub fn clamp_range(measure: Measure) -> Option<(f64, f64)> {
    match measure {
        Measure::MeanTemperatureC => Some((0.0, 250.0)),
        Measure::MeanChlorideMgL => Some((0.0, 200_000.0)),
        Measure::MeanPh => Some((0.0, 14.0)),
        Measure::EquipmentCount | Measure::OrganizationCount | Measure::CaseCount => None,
    }
}

impl Dimension {
    /// Whether rows of `measure` carry this dimension: cases have no commissioning year,
    /// items no mechanism or failure year.
    pub fn fits(self, measure: Measure) -> bool {
        match self {
            Dimension::CommissionedYear => measure != Measure::CaseCount,
            Dimension::Mechanism | Dimension::FailureYear => measure == Measure::CaseCount,
            _ => true,
        }
    }
}

/// A question about many organisations.
#[derive(Debug, Clone, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StatsQuery {
    pub measure: Measure,
    #[serde(default)]
    pub group_by: Vec<Dimension>,
    #[serde(default)]
    pub filters: StatsFilters,
    /// The ε to spend (default 0.5).
    #[serde(default)]
    pub epsilon: Option<f64>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StatsFilters {
    /// A GB/T 2260 province code.
    pub province: Option<String>,
    /// A GB/T 4754 class.
    pub industry: Option<String>,
    pub equipment_type: Option<String>,
    pub grade: Option<String>,
    /// Commissioned in or after this year.
    pub commissioned_from: Option<i32>,
    /// Commissioned in or before this year.
    pub commissioned_to: Option<i32>,
}

/// One item as the statistics see it: its owner and the attributes queries use.
#[derive(Debug, Clone)]
pub struct StatRow {
    pub item_id: String,
    pub org_id: OrgId,
    /// Province code (six digits ending in 0000).
    pub province: String,
    pub industry: Option<String>,
    pub equipment_type: String,
    pub grade: String,
    pub commissioned_year: Option<i32>,
    pub temperature_c: Option<f64>,
    pub chloride_mg_l: Option<f64>,
    pub ph: Option<f64>,
    /// For a failure case: its mechanism and published year (or year band).
    pub mechanism: Option<String>,
    pub failure_year: Option<String>,
}

/// One released cell.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Cell {
    /// The cell's value per grouped dimension.
    pub key: BTreeMap<String, String>,
    /// The noisy value; absent when the cell is suppressed.
    pub value: Option<f64>,
    pub suppressed: bool,
}

/// The answer, with everything needed to interpret it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Release {
    pub measure: Measure,
    pub group_by: Vec<Dimension>,
    pub cells: Vec<Cell>,
    /// The ε this release cost.
    pub epsilon: f64,
    pub mechanism: String,
    /// The Laplace scale(s) applied, by what they were applied to.
    pub scales: BTreeMap<String, f64>,
    pub contribution_bound: i64,
    pub min_contributors: i64,
    /// For means: the range values were clamped to.
    pub clamp: Option<(f64, f64)>,
    pub budget: BudgetUse,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct BudgetUse {
    pub org_id: OrgId,
    /// `YYYY-MM` (UTC).
    pub period: String,
    pub epsilon_total: f64,
    pub epsilon_spent: f64,
    pub epsilon_remaining: f64,
}

#[derive(Debug, thiserror::Error)]
pub enum StatsError {
    #[error("invalid query: {0}")]
    Invalid(FieldErrors),
    #[error("{0}")]
    Budget(DpError),
    #[error("not found")]
    NotFound,
    #[error("not allowed")]
    Forbidden,
    #[error("the statistics could not be computed: {0}")]
    Dp(DpError),
    #[error(transparent)]
    Storage(#[from] sqlx::Error),
    #[error(transparent)]
    Db(#[from] ticorr_db::DbError),
}

impl From<Denied> for StatsError {
    fn from(d: Denied) -> Self {
        match d {
            Denied::NotFound => StatsError::NotFound,
            Denied::Forbidden => StatsError::Forbidden,
            Denied::Storage(e) => StatsError::Storage(e),
        }
    }
}

/// The policy resource of a statistics release: an L4 record of the platform.
fn statistics_resource() -> Resource {
    Resource::Record(RecordRef {
        kind: "statistics",
        id: "release".into(),
        level: Level::Macro,
        owner: OrgId::from_uuid(Uuid::nil()),
        parks: vec![],
    })
}

/// The policy resource of an organisation's privacy-budget record.
fn budget_resource(org: OrgId) -> Resource {
    Resource::Record(RecordRef {
        kind: "privacy_budget",
        id: org.to_string(),
        level: Level::Private,
        owner: org,
        parks: vec![],
    })
}

pub fn period_of(t: Timestamp) -> String {
    t.to_rfc3339()[..7].to_owned()
}

fn validate(config: &StatsConfig, q: &StatsQuery) -> Result<f64, FieldErrors> {
    let mut e = FieldErrors::new();
    let epsilon = q.epsilon.unwrap_or(0.5);
    if !(epsilon.is_finite() && epsilon > 0.0 && epsilon <= config.max_epsilon_per_query) {
        e.add(
            "epsilon",
            "out_of_range",
            format!(
                "spend more than 0 and at most {} per query",
                config.max_epsilon_per_query
            ),
        );
    }
    let distinct: BTreeSet<_> = q.group_by.iter().collect();
    if distinct.len() != q.group_by.len() {
        e.add("group_by", "invalid", "name each dimension once");
    }
    if q.group_by.len() > 3 {
        e.add("group_by", "too_long", "group by at most three dimensions");
    }
    for d in &q.group_by {
        if !d.fits(q.measure) {
            e.add(
                "group_by",
                "invalid",
                format!("`{d}` does not apply to `{}`", q.measure),
            );
        }
    }
    if q.measure == Measure::CaseCount
        && (q.filters.commissioned_from.is_some() || q.filters.commissioned_to.is_some())
    {
        e.add(
            "filters.commissioned_from",
            "invalid",
            "cases have no commissioning year",
        );
    }
    if let (Some(a), Some(b)) = (q.filters.commissioned_from, q.filters.commissioned_to)
        && a > b
    {
        e.add(
            "filters.commissioned_from",
            "out_of_range",
            "the range is empty",
        );
    }
    e.into_result(epsilon)
}

fn matches(f: &StatsFilters, r: &StatRow) -> bool {
    let prefix = |code: &str| code.get(..2).unwrap_or_default().to_owned();
    f.province
        .as_deref()
        .is_none_or(|p| prefix(p) == prefix(&r.province))
        && f.industry
            .as_deref()
            .is_none_or(|i| r.industry.as_deref() == Some(i))
        && f.equipment_type
            .as_deref()
            .is_none_or(|t| t == r.equipment_type)
        && f.grade.as_deref().is_none_or(|g| g == r.grade)
        && f.commissioned_from
            .is_none_or(|y| r.commissioned_year.is_some_and(|c| c >= y))
        && f.commissioned_to
            .is_none_or(|y| r.commissioned_year.is_some_and(|c| c <= y))
}

fn key_of(dims: &[Dimension], r: &StatRow) -> Vec<String> {
    dims.iter()
        .map(|d| match d {
            Dimension::Province => r.province.clone(),
            Dimension::Industry => r.industry.clone().unwrap_or_else(|| "unknown".into()),
            Dimension::EquipmentType => r.equipment_type.clone(),
            Dimension::Grade => r.grade.clone(),
            Dimension::CommissionedYear => r
                .commissioned_year
                .map(|y| y.to_string())
                .unwrap_or_else(|| "unknown".into()),
            Dimension::Mechanism => r.mechanism.clone().unwrap_or_else(|| "unknown".into()),
            Dimension::FailureYear => r.failure_year.clone().unwrap_or_else(|| "unknown".into()),
        })
        .collect()
}

fn measured_value(m: Measure, r: &StatRow) -> Option<f64> {
    match m {
        Measure::MeanTemperatureC => r.temperature_c,
        Measure::MeanChlorideMgL => r.chloride_mg_l,
        Measure::MeanPh => r.ph,
        Measure::EquipmentCount | Measure::OrganizationCount | Measure::CaseCount => Some(1.0),
    }
}

#[derive(Default)]
struct Acc {
    count: i64,
    sum: f64,
    orgs: BTreeSet<OrgId>,
}

/// What [`compute`] produces: the cells and how their noise was made.
#[derive(Debug, Clone)]
pub struct Computed {
    pub cells: Vec<Cell>,
    /// The Laplace scale by what it was applied to (`count`, `sum`).
    pub scales: BTreeMap<String, f64>,
    pub mechanism: String,
}

/// Computes a release from rows (no I/O): bounds contributions, groups, suppresses and adds
/// noise. Public so the rules can be tested and benchmarked on their own.
pub fn compute(
    config: &StatsConfig,
    q: &StatsQuery,
    epsilon: f64,
    mut rows: Vec<StatRow>,
) -> Result<Computed, DpError> {
    // Bound each organisation's contribution: its first `contribution_bound` matching items
    // in id order (a choice that does not depend on the values measured).
    rows.retain(|r| matches(&q.filters, r) && measured_value(q.measure, r).is_some());
    rows.sort_by(|a, b| (a.org_id, &a.item_id).cmp(&(b.org_id, &b.item_id)));
    let mut per_org: BTreeMap<OrgId, i64> = BTreeMap::new();
    rows.retain(|r| {
        let n = per_org.entry(r.org_id).or_default();
        *n += 1;
        *n <= config.contribution_bound
    });
    let clamp = clamp_range(q.measure);
    let mut cells: BTreeMap<Vec<String>, Acc> = BTreeMap::new();
    for r in &rows {
        let acc = cells.entry(key_of(&q.group_by, r)).or_default();
        acc.count += 1;
        acc.orgs.insert(r.org_id);
        if let (Some((lo, hi)), Some(v)) = (clamp, measured_value(q.measure, r)) {
            acc.sum += v.clamp(lo, hi);
        }
    }
    let keys: Vec<Vec<String>> = cells.keys().cloned().collect();
    let bound = config.contribution_bound;
    let mut scales = BTreeMap::new();
    let (values, mechanism): (Vec<Option<f64>>, String) = match q.measure {
        Measure::EquipmentCount | Measure::CaseCount => {
            let counts: Vec<i64> = keys.iter().map(|k| cells[k].count).collect();
            let noisy = Histogram {
                contribution_bound: bound,
            }
            .release(&counts, epsilon)?;
            scales.insert(
                "count".into(),
                noisy
                    .first()
                    .map(|n| n.scale)
                    .unwrap_or(bound as f64 / epsilon),
            );
            (
                noisy.iter().map(|n| Some(n.value.max(0) as f64)).collect(),
                ticorr_dp::COUNT_MECHANISM.into(),
            )
        }
        Measure::OrganizationCount => {
            // One organisation appears in at most min(bound, cells) cells.
            let sensitivity = bound.min(keys.len().max(1) as i64);
            let counts: Vec<i64> = keys.iter().map(|k| cells[k].orgs.len() as i64).collect();
            let noisy = Histogram {
                contribution_bound: sensitivity,
            }
            .release(&counts, epsilon)?;
            scales.insert("count".into(), sensitivity as f64 / epsilon);
            (
                noisy.iter().map(|n| Some(n.value.max(0) as f64)).collect(),
                ticorr_dp::COUNT_MECHANISM.into(),
            )
        }
        m => {
            let (lo, hi) = clamp.expect("means have a clamp range");
            // Half the ε for the sums, half for the counts; the mean is their ratio
            // (post-processing, no further privacy cost).
            let half = epsilon / 2.0;
            let counts: Vec<i64> = keys.iter().map(|k| cells[k].count).collect();
            let noisy_counts = Histogram {
                contribution_bound: bound,
            }
            .release(&counts, half)?;
            let sums: Vec<f64> = keys.iter().map(|k| cells[k].sum).collect();
            let sum_sensitivity = bound as f64 * lo.abs().max(hi.abs());
            let noisy_sums = ticorr_dp::noisy_sums(&sums, sum_sensitivity, half)?;
            let out: Vec<Option<f64>> = noisy_counts
                .iter()
                .zip(&noisy_sums)
                .map(|(c, s)| {
                    // A cell whose noisy count is not positive has no meaningful mean; the
                    // middle of the clamp range says "no information" rather than zero.
                    let mean = if c.value > 0 {
                        (s.value / c.value as f64).clamp(lo, hi)
                    } else {
                        (lo + hi) / 2.0
                    };
                    Some(mean)
                })
                .collect();
            scales.insert("sum".into(), sum_sensitivity / half);
            scales.insert("count".into(), bound as f64 / half);
            let _ = m;
            (
                out,
                format!(
                    "{} for sums, {} for counts",
                    ticorr_dp::SUM_MECHANISM,
                    ticorr_dp::COUNT_MECHANISM
                ),
            )
        }
    };
    let released = keys
        .iter()
        .zip(values)
        .map(|(k, v)| {
            let suppressed =
                ticorr_dp::suppressed(cells[k].orgs.len() as i64, config.min_contributors);
            Cell {
                key: q
                    .group_by
                    .iter()
                    .map(|d| d.as_str().to_owned())
                    .zip(k.iter().cloned())
                    .collect(),
                value: if suppressed { None } else { v },
                suppressed,
            }
        })
        .collect();
    Ok(Computed {
        cells: released,
        scales,
        mechanism,
    })
}

/// Answers a statistics query for the caller's organisation, charging its budget.
/// `rows` reads the data (the equipment registry's rows of all verified organisations).
pub async fn query<F, Fut>(
    db: &Db,
    gate: &Gate,
    config: &StatsConfig,
    caller: &Caller,
    q: &StatsQuery,
    rows: F,
) -> Result<Release, StatsError>
where
    F: FnOnce(Db) -> Fut,
    Fut: std::future::Future<Output = Result<Vec<StatRow>, sqlx::Error>>,
{
    let actor = caller.principal.actor().ok_or(StatsError::NotFound)?;
    let (org, person) = (actor.org_id, actor.person_id);
    {
        let mut conn = db.pool().acquire().await?;
        gate.check(&mut conn, caller, Action::Read, &statistics_resource())
            .await?;
    }
    let epsilon = validate(config, q).map_err(StatsError::Invalid)?;
    let data = rows(db.clone()).await?;
    let now = gate.clock().now();
    let period = period_of(now);

    let mut tx = db.begin().await?;
    let mut budget = load_budget(&mut tx, config, org, &period).await?;
    budget.charge(epsilon).map_err(StatsError::Budget)?;
    // Charge with a conditional update, so concurrent queries cannot overspend.
    let charged = sqlx::query(
        "UPDATE privacy_budgets SET epsilon_spent = epsilon_spent + $1 \
         WHERE org_id = $2 AND period = $3 AND epsilon_spent + $1 <= epsilon_total + 0.000000001",
    )
    .bind(epsilon)
    .bind(org.to_string())
    .bind(period.clone())
    .execute(&mut *tx)
    .await?;
    if charged.rows_affected() != 1 {
        return Err(StatsError::Budget(DpError::BudgetExhausted {
            remaining: budget.remaining() + epsilon,
            wanted: epsilon,
        }));
    }
    let Computed {
        cells,
        scales,
        mechanism,
    } = compute(config, q, epsilon, data).map_err(StatsError::Dp)?;
    let suppressed = cells.iter().filter(|c| c.suppressed).count() as i64;
    record_release(
        &mut tx,
        org,
        person,
        &period,
        now,
        q,
        epsilon,
        cells.len() as i64,
        suppressed,
    )
    .await?;
    tx.commit().await?;
    Ok(Release {
        measure: q.measure,
        group_by: q.group_by.clone(),
        cells,
        epsilon,
        mechanism,
        scales,
        contribution_bound: config.contribution_bound,
        min_contributors: config.min_contributors,
        clamp: clamp_range(q.measure),
        budget: BudgetUse {
            org_id: org,
            period,
            epsilon_total: budget.total,
            epsilon_spent: budget.spent,
            epsilon_remaining: budget.remaining(),
        },
    })
}

#[allow(clippy::too_many_arguments)]
async fn record_release(
    conn: &mut AnyConnection,
    org: OrgId,
    person: PersonId,
    period: &str,
    now: Timestamp,
    q: &StatsQuery,
    epsilon: f64,
    cells: i64,
    suppressed: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO privacy_releases (id, org_id, person_id, period, at, measure, query, epsilon, cells, suppressed) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(Uuid::now_v7().to_string())
    .bind(org.to_string())
    .bind(person.to_string())
    .bind(period.to_owned())
    .bind(now.to_rfc3339())
    .bind(q.measure.as_str())
    .bind(serde_json::to_string(q).expect("query serializes"))
    .bind(epsilon)
    .bind(cells)
    .bind(suppressed)
    .execute(conn)
    .await?;
    Ok(())
}

/// The organisation's budget for the period, created at the configured size on first use.
async fn load_budget(
    conn: &mut AnyConnection,
    config: &StatsConfig,
    org: OrgId,
    period: &str,
) -> Result<Budget, sqlx::Error> {
    sqlx::query(
        "INSERT INTO privacy_budgets (org_id, period, epsilon_total, epsilon_spent) VALUES ($1, $2, $3, 0) \
         ON CONFLICT (org_id, period) DO NOTHING",
    )
    .bind(org.to_string())
    .bind(period.to_owned())
    .bind(config.budget_epsilon_per_month)
    .execute(&mut *conn)
    .await?;
    let row = sqlx::query("SELECT epsilon_total, epsilon_spent FROM privacy_budgets WHERE org_id = $1 AND period = $2")
        .bind(org.to_string())
        .bind(period.to_owned())
        .fetch_one(conn)
        .await?;
    Ok(Budget {
        total: row.try_get("epsilon_total")?,
        spent: row.try_get("epsilon_spent")?,
    })
}

/// Budget use of one period: the caller's own organisation, or — for the regulator, who
/// supervises data security — every consumer's.
pub async fn budgets(
    db: &Db,
    gate: &Gate,
    caller: &Caller,
    period: Option<&str>,
) -> Result<Vec<BudgetUse>, StatsError> {
    let actor = caller.principal.actor().ok_or(StatsError::NotFound)?;
    let period = period
        .map(str::to_owned)
        .unwrap_or_else(|| period_of(gate.clock().now()));
    if period.len() != 7 || period.as_bytes()[4] != b'-' {
        let mut e = FieldErrors::new();
        e.add("period", "invalid", "write the period as YYYY-MM");
        return Err(StatsError::Invalid(e));
    }
    let mut conn = db.pool().acquire().await?;
    let rows = sqlx::query(
        "SELECT org_id, period, epsilon_total, epsilon_spent FROM privacy_budgets WHERE period = $1 ORDER BY org_id",
    )
    .bind(period.clone())
    .fetch_all(&mut *conn)
    .await?;
    let mut all = Vec::new();
    for r in rows {
        let org: OrgId = ticorr_db::parsed(&r, "org_id")?;
        let total: f64 = r.try_get("epsilon_total")?;
        let spent: f64 = r.try_get("epsilon_spent")?;
        all.push(BudgetUse {
            org_id: org,
            period: period.clone(),
            epsilon_total: total,
            epsilon_spent: spent,
            epsilon_remaining: (total - spent).max(0.0),
        });
    }
    // The regulator supervises every consumer's budget (its own included); anyone else
    // sees its own organisation's by the owner rule.
    let probe = budget_resource(OrgId::from_uuid(Uuid::nil()));
    let visible = if gate.would_allow(caller, Action::Supervise, &probe) {
        gate.filter(&mut conn, caller, Action::Supervise, all, |b| {
            budget_resource(b.org_id)
        })
        .await?
    } else {
        let own: Vec<BudgetUse> = all
            .into_iter()
            .filter(|b| b.org_id == actor.org_id)
            .collect();
        gate.filter(&mut conn, caller, Action::Read, own, |b| {
            budget_resource(b.org_id)
        })
        .await?
    };
    Ok(visible)
}
