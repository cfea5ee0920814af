//! Equipment storage. Queries are scoped by construction to what a caller could possibly
//! see (their own organisation's items and items shared with their parks); the gate then
//! decides on every row.

use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};
use ticorr_db::{flag, parsed, parsed_opt};
use ticorr_kernel::equipment::{EquipmentType, TitaniumGrade};
use ticorr_kernel::{EquipmentId, Level, OrgId, OrgKind, PageRequest, PersonId, Timestamp};
use ticorr_platform::Actor;

use crate::EquipmentView;
use crate::model::{Equipment, ValidEquipment};

const SELECT: &str = "SELECT e.id, e.org_id, e.level, e.park_id, e.tag, e.name, e.equipment_type, e.grade, \
    e.manufacturer_org_id, e.manufacturer_name, e.commissioned_on, e.process_medium, e.location, \
    e.temperature_c, e.pressure_mpa, e.chloride_mg_l, e.fluoride_mg_l, e.ph, e.velocity_m_s, \
    e.galvanic_partner, e.cathodic_protection, e.cp_potential_v_sce, e.crevice_present, e.deposits_present, \
    e.service_conditions, e.medium_hazard, e.people_nearby, e.failure_cost_usd, e.consequence_category, \
    e.created_at, e.updated_at, e.version, o.name AS owner_name, pk.name AS park_name, \
    ra.risk_grade AS current_risk_grade \
    FROM equipment e JOIN organizations o ON o.id = e.org_id LEFT JOIN organizations pk ON pk.id = e.park_id \
    LEFT JOIN risk_assessments ra ON ra.equipment_id = e.id AND ra.is_current = 1";

fn from_row(row: &AnyRow) -> Result<EquipmentView, sqlx::Error> {
    let item = Equipment {
        id: parsed(row, "id")?,
        org_id: parsed(row, "org_id")?,
        level: parsed(row, "level")?,
        park_id: parsed_opt(row, "park_id")?,
        tag: row.try_get("tag")?,
        name: row.try_get("name")?,
        equipment_type: parsed(row, "equipment_type")?,
        grade: parsed(row, "grade")?,
        manufacturer_org_id: parsed_opt(row, "manufacturer_org_id")?,
        manufacturer_name: row.try_get("manufacturer_name")?,
        commissioned_on: row.try_get("commissioned_on")?,
        process_medium: row.try_get("process_medium")?,
        location: row.try_get("location")?,
        temperature_c: row.try_get("temperature_c")?,
        pressure_mpa: row.try_get("pressure_mpa")?,
        chloride_mg_l: row.try_get("chloride_mg_l")?,
        fluoride_mg_l: row.try_get("fluoride_mg_l")?,
        ph: row.try_get("ph")?,
        velocity_m_s: row.try_get("velocity_m_s")?,
        galvanic_partner: parsed_opt(row, "galvanic_partner")?,
        cathodic_protection: flag::get_opt(row, "cathodic_protection")?,
        cp_potential_v_sce: row.try_get("cp_potential_v_sce")?,
        crevice_present: flag::get_opt(row, "crevice_present")?,
        deposits_present: flag::get_opt(row, "deposits_present")?,
        service_conditions: conditions_from_db(row.try_get("service_conditions")?)?,
        medium_hazard: row.try_get("medium_hazard")?,
        people_nearby: row.try_get("people_nearby")?,
        failure_cost_usd: row.try_get("failure_cost_usd")?,
        consequence_category: row.try_get("consequence_category")?,
        created_at: parsed(row, "created_at")?,
        updated_at: parsed(row, "updated_at")?,
        version: row.try_get("version")?,
    };
    Ok(EquipmentView {
        item,
        owner_name: row.try_get("owner_name")?,
        park_name: row.try_get("park_name")?,
        risk_grade: row.try_get("current_risk_grade")?,
    })
}

fn conditions_from_db(
    text: Option<String>,
) -> Result<serde_json::Map<String, serde_json::Value>, sqlx::Error> {
    match text {
        None => Ok(serde_json::Map::new()),
        Some(t) => serde_json::from_str(&t).map_err(|e| sqlx::Error::Decode(Box::new(e))),
    }
}

fn conditions_to_db(c: &serde_json::Map<String, serde_json::Value>) -> Option<String> {
    (!c.is_empty()).then(|| serde_json::Value::Object(c.clone()).to_string())
}

pub async fn view(
    conn: &mut AnyConnection,
    id: EquipmentId,
) -> Result<Option<EquipmentView>, sqlx::Error> {
    let sql = format!("{SELECT} WHERE e.id = $1");
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(id.to_string())
        .fetch_optional(conn)
        .await?
        .map(|r| from_row(&r))
        .transpose()
}

/// Every item, by id, `limit` after `after`: for the platform's own matching (relevance
/// targeting), never for a request.
pub async fn batch_after(
    conn: &mut AnyConnection,
    after: Option<EquipmentId>,
    limit: i64,
) -> Result<Vec<EquipmentView>, sqlx::Error> {
    batch(conn, "", after, limit).await
}

/// Every item of a verified organisation, `limit` after `after` by id.
pub async fn population_after(
    conn: &mut AnyConnection,
    after: Option<EquipmentId>,
    limit: i64,
) -> Result<Vec<EquipmentView>, sqlx::Error> {
    batch(conn, "AND o.status = 'verified'", after, limit).await
}

async fn batch(
    conn: &mut AnyConnection,
    and: &'static str,
    after: Option<EquipmentId>,
    limit: i64,
) -> Result<Vec<EquipmentView>, sqlx::Error> {
    let sql = format!("{SELECT} WHERE e.id > $1 {and} ORDER BY e.id LIMIT {limit}");
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(after.map(|a| a.to_string()).unwrap_or_default())
        .fetch_all(conn)
        .await?
        .iter()
        .map(from_row)
        .collect()
}

pub async fn find_by_tag(
    conn: &mut AnyConnection,
    owner: OrgId,
    tag: &str,
) -> Result<Option<Equipment>, sqlx::Error> {
    let sql = format!("{SELECT} WHERE e.org_id = $1 AND e.tag = $2");
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(owner.to_string())
        .bind(tag.to_owned())
        .fetch_optional(conn)
        .await?
        .map(|r| from_row(&r).map(|v| v.item))
        .transpose()
}

/// Binds the stored columns of an item, in the order of [`COLUMNS`].
macro_rules! bind_item {
    ($q:expr, $v:expr) => {
        $q.bind($v.level.as_str())
            .bind($v.park_id.map(|p| p.to_string()))
            .bind($v.tag.clone())
            .bind($v.name.clone())
            .bind($v.equipment_type.as_str())
            .bind($v.grade.as_str())
            .bind($v.manufacturer_org_id.map(|m| m.to_string()))
            .bind($v.manufacturer_name.clone())
            .bind($v.commissioned_on.clone())
            .bind($v.process_medium.clone())
            .bind($v.location.clone())
            .bind($v.temperature_c)
            .bind($v.pressure_mpa)
            .bind($v.chloride_mg_l)
            .bind($v.fluoride_mg_l)
            .bind($v.ph)
            .bind($v.velocity_m_s)
            .bind($v.galvanic_partner.map(|g| g.as_str()))
            .bind(flag::to_db_opt($v.cathodic_protection))
            .bind($v.cp_potential_v_sce)
            .bind(flag::to_db_opt($v.crevice_present))
            .bind(flag::to_db_opt($v.deposits_present))
            .bind(conditions_to_db(&$v.service_conditions))
            .bind($v.medium_hazard.clone())
            .bind($v.people_nearby.clone())
            .bind($v.failure_cost_usd)
            .bind($v.consequence_category.clone())
    };
}

const COLUMNS: [&str; 27] = [
    "level",
    "park_id",
    "tag",
    "name",
    "equipment_type",
    "grade",
    "manufacturer_org_id",
    "manufacturer_name",
    "commissioned_on",
    "process_medium",
    "location",
    "temperature_c",
    "pressure_mpa",
    "chloride_mg_l",
    "fluoride_mg_l",
    "ph",
    "velocity_m_s",
    "galvanic_partner",
    "cathodic_protection",
    "cp_potential_v_sce",
    "crevice_present",
    "deposits_present",
    "service_conditions",
    "medium_hazard",
    "people_nearby",
    "failure_cost_usd",
    "consequence_category",
];

pub async fn insert(
    conn: &mut AnyConnection,
    id: EquipmentId,
    owner: OrgId,
    v: &ValidEquipment,
    now: Timestamp,
    by: Option<PersonId>,
) -> Result<(), sqlx::Error> {
    let n = COLUMNS.len();
    let sql = format!(
        "INSERT INTO equipment ({}, id, org_id, created_at, created_by, updated_at, version) VALUES ({})",
        COLUMNS.join(", "),
        ticorr_db::placeholders(1, n + 5) + ", 1"
    );
    let q = sqlx::query(sqlx::AssertSqlSafe(sql));
    bind_item!(q, v)
        .bind(id.to_string())
        .bind(owner.to_string())
        .bind(now.to_rfc3339())
        .bind(by.map(|b| b.to_string()))
        .bind(now.to_rfc3339())
        .execute(&mut *conn)
        .await?;
    ticorr_platform::search::changed(conn, crate::RECORD_KIND, &id.to_string(), now).await
}

pub async fn update(
    conn: &mut AnyConnection,
    id: EquipmentId,
    v: &ValidEquipment,
    now: Timestamp,
    by: Option<PersonId>,
) -> Result<(), sqlx::Error> {
    let n = COLUMNS.len();
    let sets: Vec<String> = COLUMNS
        .iter()
        .enumerate()
        .map(|(i, c)| format!("{c} = ${}", i + 1))
        .collect();
    let sql = format!(
        "UPDATE equipment SET {}, updated_at = ${}, updated_by = ${}, version = version + 1 WHERE id = ${}",
        sets.join(", "),
        n + 1,
        n + 2,
        n + 3
    );
    let q = sqlx::query(sqlx::AssertSqlSafe(sql));
    bind_item!(q, v)
        .bind(now.to_rfc3339())
        .bind(by.map(|b| b.to_string()))
        .bind(id.to_string())
        .execute(&mut *conn)
        .await?;
    ticorr_platform::search::changed(conn, crate::RECORD_KIND, &id.to_string(), now).await
}

pub async fn delete(
    conn: &mut AnyConnection,
    id: EquipmentId,
    now: Timestamp,
) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM equipment WHERE id = $1")
        .bind(id.to_string())
        .execute(&mut *conn)
        .await?;
    ticorr_platform::search::changed(conn, crate::RECORD_KIND, &id.to_string(), now).await?;
    Ok(())
}

/// An item with its owner's region and industry codes, for the search index.
pub struct SearchRow {
    pub view: EquipmentView,
    pub region_code: Option<String>,
    pub industry_code: Option<String>,
}

/// Items by id, or a page of all items in id order after `after`, for the search index.
pub async fn search_rows(
    conn: &mut AnyConnection,
    ids: Option<&[String]>,
    after: Option<&str>,
    limit: usize,
) -> Result<Vec<SearchRow>, sqlx::Error> {
    let select = SELECT.replacen(
        "SELECT e.id,",
        "SELECT o.region_code AS owner_region, o.industry_code AS owner_industry, e.id,",
        1,
    );
    let mut args: Vec<String> = Vec::new();
    let condition = match ids {
        Some(ids) => {
            args.extend(ids.iter().cloned());
            format!("e.id IN ({})", ticorr_db::placeholders(1, ids.len()))
        }
        None => {
            args.push(after.unwrap_or_default().to_owned());
            "e.id > $1".to_owned()
        }
    };
    if args.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!("{select} WHERE {condition} ORDER BY e.id LIMIT {limit}");
    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
    for a in args {
        q = q.bind(a);
    }
    let rows = q.fetch_all(conn).await?;
    rows.iter()
        .map(|r| {
            Ok(SearchRow {
                view: from_row(r)?,
                region_code: r.try_get("owner_region")?,
                industry_code: r.try_get("owner_industry")?,
            })
        })
        .collect()
}

/// How many items [`search_rows`] yields in all.
pub async fn count_all(conn: &mut AnyConnection) -> Result<u64, sqlx::Error> {
    let n: i64 = sqlx::query("SELECT CAST(COUNT(*) AS BIGINT) AS n FROM equipment")
        .fetch_one(conn)
        .await?
        .try_get("n")?;
    Ok(n as u64)
}

/// Filters of the equipment list.
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListFilter {
    /// Text in the tag, name, process medium or location.
    pub q: Option<String>,
    pub equipment_type: Option<EquipmentType>,
    pub grade: Option<TitaniumGrade>,
    pub level: Option<Level>,
    /// Items of one park.
    pub park_id: Option<OrgId>,
    /// Items of one owning organisation.
    pub org_id: Option<OrgId>,
    /// Items whose current risk grade is this (`I` to `IV`), or `ungraded`.
    pub risk_grade: Option<String>,
    /// Items on which this damage mechanism (a risk-model mechanism id) is rated above
    /// none.
    pub mechanism: Option<String>,
}

/// Items the actor could see: their organisation's own, and park-level items of the parks
/// they manage or are settled in. One row more than the page is fetched.
pub async fn list(
    conn: &mut AnyConnection,
    actor: &Actor,
    filter: &ListFilter,
    page: &PageRequest,
) -> Result<Vec<EquipmentView>, sqlx::Error> {
    let mut parks: Vec<String> = actor.org_parks.iter().map(|p| p.to_string()).collect();
    if actor.org_kind == OrgKind::Park {
        parks.push(actor.org_id.to_string());
    }
    let mut args: Vec<String> = vec![actor.org_id.to_string()];
    let mut scope = String::from("(e.org_id = $1");
    if !parks.is_empty() {
        let list: Vec<String> = parks
            .iter()
            .map(|p| {
                args.push(p.clone());
                format!("${}", args.len())
            })
            .collect();
        scope.push_str(&format!(
            " OR (e.level = 'park' AND e.park_id IN ({}))",
            list.join(", ")
        ));
    }
    scope.push(')');
    let mut conditions = vec![scope];
    let mut push = |cond: &str, value: String, args: &mut Vec<String>| {
        args.push(value);
        conditions.push(cond.replace('?', &format!("${}", args.len())));
    };
    if let Some(q) = filter.q.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
        let pattern = ticorr_db::contains_pattern(q);
        push(
            "(LOWER(e.tag) LIKE ? ESCAPE '\\' OR LOWER(e.name) LIKE ? ESCAPE '\\' OR LOWER(COALESCE(e.process_medium, '')) LIKE ? ESCAPE '\\' OR LOWER(COALESCE(e.location, '')) LIKE ? ESCAPE '\\')",
            pattern,
            &mut args,
        );
    }
    if let Some(t) = filter.equipment_type {
        push("e.equipment_type = ?", t.as_str().to_owned(), &mut args);
    }
    if let Some(g) = filter.grade {
        push("e.grade = ?", g.as_str().to_owned(), &mut args);
    }
    if let Some(l) = filter.level {
        push("e.level = ?", l.as_str().to_owned(), &mut args);
    }
    if let Some(p) = filter.park_id {
        push("e.park_id = ?", p.to_string(), &mut args);
    }
    if let Some(o) = filter.org_id {
        push("e.org_id = ?", o.to_string(), &mut args);
    }
    if let Some(g) = filter
        .risk_grade
        .as_deref()
        .map(str::trim)
        .filter(|g| !g.is_empty())
    {
        // `ungraded`: assessed, but the consequence of a failure is not known.
        push(
            "ra.id IS NOT NULL AND COALESCE(ra.risk_grade, 'ungraded') = ?",
            g.to_owned(),
            &mut args,
        );
    }
    if let Some(m) = filter
        .mechanism
        .as_deref()
        .map(str::trim)
        .filter(|m| !m.is_empty())
    {
        // `mechanisms` holds `id:susceptibility` pairs separated by spaces.
        push(
            "(' ' || ra.mechanisms) LIKE ? ESCAPE '\\'",
            ticorr_db::contains_pattern(&format!(" {m}:")),
            &mut args,
        );
    }
    if let Some(after) = &page.after {
        args.push(after.key.clone());
        let k = args.len();
        args.push(after.id.clone());
        let i = args.len();
        conditions.push(format!("(e.tag > ${k} OR (e.tag = ${k} AND e.id > ${i}))"));
    }
    let sql = format!(
        "{SELECT} WHERE {} ORDER BY e.tag, e.id LIMIT {}",
        conditions.join(" AND "),
        page.fetch_limit()
    );
    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
    for a in args {
        q = q.bind(a);
    }
    let rows = q.fetch_all(conn).await?;
    rows.iter().map(from_row).collect()
}

/// All items of verified organisations with their owners' region and industry.
pub async fn stat_rows(
    db: &ticorr_db::Db,
) -> Result<Vec<ticorr_platform::stats::StatRow>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT e.id, e.org_id, o.region_code, o.industry_code, e.equipment_type, e.grade, e.commissioned_on, \
         e.temperature_c, e.chloride_mg_l, e.ph FROM equipment e JOIN organizations o ON o.id = e.org_id \
         WHERE o.status = 'verified'",
    )
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|r| {
            let region: String = r.try_get("region_code")?;
            let commissioned: Option<String> = r.try_get("commissioned_on")?;
            Ok(ticorr_platform::stats::StatRow {
                item_id: r.try_get("id")?,
                org_id: parsed(r, "org_id")?,
                province: format!("{}0000", region.get(..2).unwrap_or_default()),
                industry: r.try_get("industry_code")?,
                equipment_type: r.try_get("equipment_type")?,
                grade: r.try_get("grade")?,
                commissioned_year: commissioned
                    .and_then(|d| d.get(..4).and_then(|y| y.parse().ok())),
                temperature_c: r.try_get("temperature_c")?,
                chloride_mg_l: r.try_get("chloride_mg_l")?,
                ph: r.try_get("ph")?,
                mechanism: None,
                failure_year: None,
            })
        })
        .collect()
}
