//! Relevance targeting: a notification for "the organisations whose equipment matches"
//! (titanium grade, process medium, temperature band, chloride band) and whose profile
//! matches (industry, region), fanned out to their people by their preferences, and to
//! no one else.
//!
//! The equipment lives in the equipment module, which the platform does not depend on;
//! the module answers the equipment part through [`EquipmentIndex`]
//! (`ticorr_equipment::relevance::Index`), and the platform adds the organisation part.
//! Only verified organisations are addressed. The match uses each owner's own items
//! whatever their level: the sender learns nothing about them, and the notification
//! goes only to their owners.

use std::future::Future;
use std::pin::Pin;

use serde::{Deserialize, Serialize};
use sqlx::AnyConnection;
use ticorr_kernel::equipment::TitaniumGrade;
use ticorr_kernel::{FieldErrors, OrgId, Timestamp};

use super::{Audience, Message, NotifyError, SendReport};

/// Which equipment, and which organisations, a notification is about. Every criterion
/// given must hold (an item whose value is unknown does not match a band); at least one
/// criterion is required, so nothing goes to everyone by accident.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RelevanceFilter {
    /// Titanium grades (`2`, `Gr7`, …): any of them.
    #[serde(default)]
    pub grades: Vec<String>,
    /// Text the item's process medium contains, case-insensitively (e.g. `海水`, `brine`).
    pub medium: Option<String>,
    /// Operating temperature band, °C, inclusive.
    pub temperature_min_c: Option<f64>,
    pub temperature_max_c: Option<f64>,
    /// Chloride band, mg/L, inclusive.
    pub chloride_min_mg_l: Option<f64>,
    pub chloride_max_mg_l: Option<f64>,
    /// GB/T 4754 industry code or its prefix (`26` matches `2612`).
    pub industry: Option<String>,
    /// GB/T 2260 region code: a province (`330000`) matches all of it, a city (`330100`)
    /// its districts.
    pub region: Option<String>,
}

/// The equipment part of a filter, checked and normalized, for [`EquipmentIndex`].
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EquipmentMatch {
    /// Risk-model grade values (`"2"`, `"7"` …); empty: any grade.
    pub grades: Vec<String>,
    /// Lower-cased text to find in the process medium.
    pub medium: Option<String>,
    pub temperature_c: (Option<f64>, Option<f64>),
    pub chloride_mg_l: (Option<f64>, Option<f64>),
}

/// The boxed future [`EquipmentIndex`] returns.
pub type OrgsFuture<'a> =
    Pin<Box<dyn Future<Output = Result<Vec<OrgId>, sqlx::Error>> + Send + 'a>>;

/// Answers which organisations own equipment that matches; implemented by the equipment
/// module over its own tables.
pub trait EquipmentIndex: Send + Sync {
    fn owners_of_matching<'a>(
        &'a self,
        conn: &'a mut AnyConnection,
        filter: &'a EquipmentMatch,
    ) -> OrgsFuture<'a>;
}

fn band(
    errors: &mut FieldErrors,
    field: &str,
    min: Option<f64>,
    max: Option<f64>,
) -> (Option<f64>, Option<f64>) {
    for v in [min, max].into_iter().flatten() {
        if !v.is_finite() {
            errors.add(field, "not_a_number", format!("{field} must be a number"));
        }
    }
    if let (Some(lo), Some(hi)) = (min, max)
        && lo > hi
    {
        errors.add(
            field,
            "empty_band",
            format!("{field}: the minimum is above the maximum"),
        );
    }
    (min, max)
}

/// The prefix of a region code that covers it: `330000` → `33`, `330100` → `3301`.
fn region_prefix(code: &str) -> String {
    let mut p = code;
    while p.len() > 2 && p.ends_with("00") {
        p = &p[..p.len() - 2];
    }
    p.to_owned()
}

impl RelevanceFilter {
    /// Checks the filter and splits off its equipment part.
    pub fn check(&self) -> Result<EquipmentMatch, FieldErrors> {
        let mut errors = FieldErrors::new();
        let mut grades = Vec::new();
        for g in &self.grades {
            match g.parse::<TitaniumGrade>() {
                Ok(g) => grades.push(g.as_str().to_owned()),
                Err(e) => errors.add("grades", "unknown_value", e.to_string()),
            }
        }
        let medium = self
            .medium
            .as_deref()
            .map(str::trim)
            .filter(|m| !m.is_empty())
            .map(str::to_lowercase);
        let temperature_c = band(
            &mut errors,
            "temperature",
            self.temperature_min_c,
            self.temperature_max_c,
        );
        let chloride_mg_l = band(
            &mut errors,
            "chloride",
            self.chloride_min_mg_l,
            self.chloride_max_mg_l,
        );
        if let Some(i) = &self.industry
            && !(i.len() >= 2 && i.len() <= 4 && i.chars().all(|c| c.is_ascii_digit()))
        {
            errors.add(
                "industry",
                "invalid",
                "industry is a GB/T 4754 code or prefix of 2 to 4 digits",
            );
        }
        if let Some(r) = &self.region
            && !(r.len() == 6 && r.chars().all(|c| c.is_ascii_digit()))
        {
            errors.add("region", "invalid", "region is a 6-digit GB/T 2260 code");
        }
        let m = EquipmentMatch {
            grades,
            medium,
            temperature_c,
            chloride_mg_l,
        };
        let any = !m.grades.is_empty()
            || m.medium.is_some()
            || m.temperature_c != (None, None)
            || m.chloride_mg_l != (None, None)
            || self.industry.is_some()
            || self.region.is_some();
        if !any {
            errors.add(
                "filter",
                "required",
                "give at least one criterion (grade, medium, temperature, chloride, industry, region)",
            );
        }
        errors.into_result(m)
    }
}

/// The verified organisations that own matching equipment and match the profile part.
pub async fn matching_organizations(
    conn: &mut AnyConnection,
    index: &dyn EquipmentIndex,
    filter: &RelevanceFilter,
) -> Result<Vec<OrgId>, NotifyError> {
    let m = filter.check()?;
    let owners = index.owners_of_matching(conn, &m).await?;
    let mut out = Vec::new();
    for chunk in owners.chunks(super::CHUNK) {
        let mut sql = format!(
            "SELECT id FROM organizations WHERE status = 'verified' AND id IN ({})",
            ticorr_db::placeholders(1, chunk.len())
        );
        let mut n = chunk.len();
        if filter.industry.is_some() {
            n += 1;
            sql.push_str(&format!(" AND industry_code LIKE ${n}"));
        }
        if filter.region.is_some() {
            n += 1;
            sql.push_str(&format!(" AND region_code LIKE ${n}"));
        }
        sql.push_str(" ORDER BY id");
        let mut q = sqlx::query_scalar::<_, String>(sqlx::AssertSqlSafe(sql));
        for id in chunk {
            q = q.bind(id.to_string());
        }
        if let Some(i) = &filter.industry {
            q = q.bind(format!("{i}%"));
        }
        if let Some(r) = &filter.region {
            q = q.bind(format!("{}%", region_prefix(r)));
        }
        for id in q.fetch_all(&mut *conn).await? {
            out.push(ticorr_db::decode("id", &id)?);
        }
    }
    Ok(out)
}

/// What [`send_to_matching`] did.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct TargetReport {
    pub organizations: usize,
    #[serde(flatten)]
    pub sent: SendReport,
}

/// Sends `message` to every person of the organisations that match `filter`, by their
/// preferences, inside the caller's transaction.
pub async fn send_to_matching(
    conn: &mut AnyConnection,
    now: Timestamp,
    index: &dyn EquipmentIndex,
    filter: &RelevanceFilter,
    message: &Message,
) -> Result<TargetReport, NotifyError> {
    message.validate()?;
    let orgs = matching_organizations(conn, index, filter).await?;
    let sent = super::send(conn, now, &Audience::Organizations(orgs.clone()), message).await?;
    Ok(TargetReport {
        organizations: orgs.len(),
        sent,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn region_codes_cover_their_subdivisions() {
        assert_eq!(region_prefix("330000"), "33");
        assert_eq!(region_prefix("330100"), "3301");
        assert_eq!(region_prefix("330106"), "330106");
    }

    #[test]
    fn a_filter_needs_a_criterion_and_sane_bands() {
        assert!(RelevanceFilter::default().check().is_err());
        let f = RelevanceFilter {
            grades: vec!["Gr2".into(), "7".into()],
            temperature_min_c: Some(80.0),
            temperature_max_c: Some(40.0),
            industry: Some("26x".into()),
            ..RelevanceFilter::default()
        };
        let errors = f.check().unwrap_err();
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["temperature", "industry"]);
        let ok = RelevanceFilter {
            grades: vec!["Gr2".into()],
            medium: Some(" Seawater ".into()),
            ..RelevanceFilter::default()
        }
        .check()
        .unwrap();
        assert_eq!(ok.grades, ["2"]);
        assert_eq!(ok.medium.as_deref(), Some("seawater"));
    }
}
