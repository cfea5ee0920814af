//! What a failure case is, as uploaded and as published, and how input becomes one.

use serde::{Deserialize, Serialize};
use ticorr_kernel::equipment::{EquipmentType, TitaniumGrade};
use ticorr_kernel::{FieldErrors, text_enum};

text_enum! {
    /// The damage mechanism: the risk engine's mechanisms (`refdata/risk_model.json`), so a
    /// case and an assessment speak of the same thing, plus `other`.
    pub enum Mechanism {
        CreviceHotChloride = "crevice_hot_chloride",
        Hydriding = "hydriding",
        FluorideAttack = "fluoride_attack",
        ReducingAcidGeneral = "reducing_acid_general",
        GeneralCorrosionRate = "general_corrosion_rate",
        DryChlorine = "dry_chlorine",
        AnhydrousOxidizerIgnition = "anhydrous_oxidizer_ignition",
        ErosionCorrosion = "erosion_corrosion",
        GalvanicCoupledMetal = "galvanic_coupled_metal",
        SccSpecificMedia = "scc_specific_media",
        AnodicBreakdown = "anodic_breakdown",
        Mic = "mic",
        Other = "other",
    }
}

text_enum! {
    /// Root-cause categories of a failure.
    pub enum RootCause {
        DesignMaterial = "design_material",
        Fabrication = "fabrication",
        OperatingExcursion = "operating_excursion",
        CleaningMaintenance = "cleaning_maintenance",
        InspectionGap = "inspection_gap",
        Management = "management",
    }
}

text_enum! {
    /// Whether the rectification worked.
    pub enum Outcome {
        Effective = "effective",
        Ineffective = "ineffective",
        Unknown = "unknown",
    }
}

text_enum! {
    /// Where a case stands.
    ///
    /// `draft` (uploaded; the contributor reviews the desensitized preview) → `submitted`
    /// (confirmed; waiting for curation) → `published`, or `returned` to the contributor with
    /// the curator's reasons, or `held` (approved, but its class of published cases is still
    /// smaller than k; published as soon as it is not). A published case may be `withdrawn`.
    pub enum Stage {
        Draft = "draft",
        Submitted = "submitted",
        Returned = "returned",
        Held = "held",
        Published = "published",
        Withdrawn = "withdrawn",
    }
}

/// A case as its contributor writes it (API body, form, spreadsheet row). Everything here is
/// the organisation's private original: it is sealed with the organisation's data key and
/// only its desensitized version ever leaves L1. Closed vocabularies arrive as text so a
/// wrong value gets a message naming the allowed ones.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, default)]
pub struct CaseInput {
    /// Title in Chinese (at least one of the two titles).
    pub title_zh: Option<String>,
    pub title_en: Option<String>,
    /// When the failure was found, `YYYY-MM-DD`.
    pub failure_date: String,
    /// GB/T 2260 code of the site (province, prefecture or county). Default: the
    /// organisation's region.
    pub region_code: Option<String>,
    /// GB/T 4754 class of the plant. Default: the organisation's industry.
    pub industry_code: Option<String>,
    /// The organisation's own equipment item, when the case happened on a registered one.
    pub equipment_id: Option<String>,
    /// The equipment in words (service, size, design).
    pub equipment_description: Option<String>,
    pub equipment_type: String,
    /// ASTM grade of the failed titanium (`2`, `Gr7`, `Grade 12`, `other`).
    pub grade: String,
    /// The equipment maker (treated as an organisation name and pseudonymized).
    pub manufacturer: Option<String>,
    pub years_in_service: Option<f64>,
    /// The damage mechanism; suggested from the text and conditions when left out.
    pub mechanism: Option<String>,
    /// Where on the equipment (tube-to-tubesheet joint, gasket face, heater sheath …).
    pub location: Option<String>,
    /// Morphology: what the damage looks like, its extent.
    pub morphology: Option<String>,
    /// Deepest attack, mm.
    pub max_depth_mm: Option<f64>,
    /// Remaining wall thickness, mm.
    pub remaining_thickness_mm: Option<f64>,
    /// Hydrogen content of the metal, ppm by mass.
    pub hydrogen_ppm: Option<f64>,
    pub metallography: Option<String>,
    pub composition: Option<String>,
    /// The process medium on the titanium.
    pub process_medium: Option<String>,
    pub temperature_c: Option<f64>,
    pub chloride_mg_l: Option<f64>,
    pub fluoride_mg_l: Option<f64>,
    pub ph: Option<f64>,
    pub velocity_m_s: Option<f64>,
    pub crevice_present: Option<bool>,
    pub deposits_present: Option<bool>,
    pub direct_cause: Option<String>,
    /// Root-cause categories (`design_material`, `fabrication`, `operating_excursion`,
    /// `cleaning_maintenance`, `inspection_gap`, `management`).
    pub root_causes: Vec<String>,
    /// Days out of service.
    pub downtime_days: Option<f64>,
    /// Cost of the failure, CNY (published only as a band).
    pub cost_cny: Option<f64>,
    /// What was released, if anything.
    pub release: Option<String>,
    /// People injured (published only as none / some).
    pub injuries: Option<i64>,
    pub rectification: Option<String>,
    /// `effective`, `ineffective` or `unknown`.
    pub rectification_outcome: Option<String>,
    pub lessons_zh: Option<String>,
    pub lessons_en: Option<String>,
    /// The account of what happened (at least one of the two).
    pub narrative_zh: Option<String>,
    pub narrative_en: Option<String>,
    /// Who reported it, and how to reach them: kept in the original, never published.
    pub reporter: Option<String>,
    pub reporter_phone: Option<String>,
    pub site_address: Option<String>,
}

/// The longest free text a field takes (characters).
pub const MAX_TEXT: usize = 20_000;
/// The longest short text (titles, names, locations).
pub const MAX_SHORT: usize = 300;

/// A validated case: the original as stored (sealed) plus its parsed vocabulary.
#[derive(Debug, Clone)]
pub struct ValidCase {
    pub input: CaseInput,
    pub equipment_type: EquipmentType,
    pub grade: TitaniumGrade,
    pub mechanism: Option<Mechanism>,
    pub root_causes: Vec<RootCause>,
    pub outcome: Option<Outcome>,
    pub region_code: String,
    pub industry_code: String,
    pub failure_date: time::Date,
}

fn trimmed(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

fn clean(v: &mut Option<String>) {
    if v.as_deref().is_some_and(|s| s.trim().is_empty()) {
        *v = None;
    } else if let Some(s) = v {
        *s = s.trim().to_owned();
    }
}

impl CaseInput {
    /// Checks every field and reports every problem at once. `org_region` and
    /// `org_industry` are the organisation's, used when the case does not say.
    pub fn validate(
        mut self,
        today: time::Date,
        org_region: &str,
        org_industry: Option<&str>,
    ) -> Result<ValidCase, FieldErrors> {
        let mut e = FieldErrors::new();
        for v in [
            &mut self.title_zh,
            &mut self.title_en,
            &mut self.region_code,
            &mut self.industry_code,
            &mut self.equipment_id,
            &mut self.equipment_description,
            &mut self.manufacturer,
            &mut self.mechanism,
            &mut self.location,
            &mut self.morphology,
            &mut self.metallography,
            &mut self.composition,
            &mut self.process_medium,
            &mut self.direct_cause,
            &mut self.release,
            &mut self.rectification,
            &mut self.rectification_outcome,
            &mut self.lessons_zh,
            &mut self.lessons_en,
            &mut self.narrative_zh,
            &mut self.narrative_en,
            &mut self.reporter,
            &mut self.reporter_phone,
            &mut self.site_address,
        ] {
            clean(v);
        }
        if self.title_zh.is_none() && self.title_en.is_none() {
            e.add(
                "title_zh",
                "required",
                "give the case a title, in Chinese or English",
            );
        }
        if self.narrative_zh.is_none() && self.narrative_en.is_none() {
            e.add(
                "narrative_zh",
                "required",
                "describe what happened, in Chinese or English",
            );
        }
        let short = [
            ("title_zh", &self.title_zh),
            ("title_en", &self.title_en),
            ("manufacturer", &self.manufacturer),
            ("location", &self.location),
            ("process_medium", &self.process_medium),
            ("reporter", &self.reporter),
            ("reporter_phone", &self.reporter_phone),
            ("site_address", &self.site_address),
        ];
        for (field, v) in short {
            if v.as_deref().is_some_and(|s| s.chars().count() > MAX_SHORT) {
                e.add(field, "too_long", format!("at most {MAX_SHORT} characters"));
            }
        }
        let long = [
            ("equipment_description", &self.equipment_description),
            ("morphology", &self.morphology),
            ("metallography", &self.metallography),
            ("composition", &self.composition),
            ("direct_cause", &self.direct_cause),
            ("release", &self.release),
            ("rectification", &self.rectification),
            ("lessons_zh", &self.lessons_zh),
            ("lessons_en", &self.lessons_en),
            ("narrative_zh", &self.narrative_zh),
            ("narrative_en", &self.narrative_en),
        ];
        for (field, v) in long {
            if v.as_deref().is_some_and(|s| s.chars().count() > MAX_TEXT) {
                e.add(field, "too_long", format!("at most {MAX_TEXT} characters"));
            }
        }
        let format = time::macros::format_description!("[year]-[month]-[day]");
        let failure_date = match time::Date::parse(self.failure_date.trim(), &format) {
            Ok(d) if d.year() < 1950 => {
                e.add("failure_date", "out_of_range", "enter a date from 1950 on");
                None
            }
            Ok(d) if d > today => {
                e.add(
                    "failure_date",
                    "in_future",
                    "the failure date is in the future",
                );
                None
            }
            Ok(d) => Some(d),
            Err(_) if self.failure_date.trim().is_empty() => {
                e.add("failure_date", "required", "when was the failure found?");
                None
            }
            Err(_) => {
                e.add("failure_date", "invalid", "write the date as YYYY-MM-DD");
                None
            }
        };
        self.failure_date = self.failure_date.trim().to_owned();
        let refdata = ticorr_platform::refdata::get();
        let region_code = trimmed(&self.region_code).unwrap_or(org_region).to_owned();
        if refdata.region(&region_code).is_none() {
            e.add(
                "region_code",
                "unknown",
                format!(
                    "`{region_code}` is not a GB/T 2260 code of a province, prefecture or county"
                ),
            );
        }
        let industry_code = match trimmed(&self.industry_code).or(org_industry) {
            Some(code) => match refdata.industry(code) {
                Some(i) => i.code.clone(),
                None => {
                    e.add(
                        "industry_code",
                        "unknown",
                        format!("`{code}` is not a GB/T 4754 class the platform knows"),
                    );
                    String::new()
                }
            },
            None => {
                e.add(
                    "industry_code",
                    "required",
                    "give the plant's GB/T 4754 industry class (your organisation has none on file)",
                );
                String::new()
            }
        };
        let equipment_type = match self.equipment_type.parse::<EquipmentType>() {
            Ok(t) => Some(t),
            Err(u) => {
                e.add("equipment_type", "unknown", u.to_string());
                None
            }
        };
        let grade = match self.grade.parse::<TitaniumGrade>() {
            Ok(g) => Some(g),
            Err(u) => {
                e.add("grade", "unknown", u.to_string());
                None
            }
        };
        let mechanism = match trimmed(&self.mechanism) {
            Some(m) => match m.parse::<Mechanism>() {
                Ok(m) => Some(m),
                Err(u) => {
                    e.add("mechanism", "unknown", u.to_string());
                    None
                }
            },
            None => None,
        };
        let mut root_causes = Vec::new();
        for r in self
            .root_causes
            .iter()
            .map(|r| r.trim())
            .filter(|r| !r.is_empty())
        {
            match r.parse::<RootCause>() {
                Ok(c) if !root_causes.contains(&c) => root_causes.push(c),
                Ok(_) => {}
                Err(u) => e.add("root_causes", "unknown", u.to_string()),
            }
        }
        let outcome = match trimmed(&self.rectification_outcome) {
            Some(o) => match o.parse::<Outcome>() {
                Ok(o) => Some(o),
                Err(u) => {
                    e.add("rectification_outcome", "unknown", u.to_string());
                    None
                }
            },
            None => None,
        };
        let ranges: [(&str, Option<f64>, f64, f64, &str); 10] = [
            (
                "years_in_service",
                self.years_in_service,
                0.0,
                80.0,
                "years",
            ),
            ("max_depth_mm", self.max_depth_mm, 0.0, 200.0, "mm"),
            (
                "remaining_thickness_mm",
                self.remaining_thickness_mm,
                0.0,
                200.0,
                "mm",
            ),
            ("hydrogen_ppm", self.hydrogen_ppm, 0.0, 100_000.0, "ppm"),
            ("temperature_c", self.temperature_c, -60.0, 600.0, "°C"),
            ("chloride_mg_l", self.chloride_mg_l, 0.0, 400_000.0, "mg/L"),
            ("fluoride_mg_l", self.fluoride_mg_l, 0.0, 100_000.0, "mg/L"),
            ("ph", self.ph, -2.0, 16.0, ""),
            ("velocity_m_s", self.velocity_m_s, 0.0, 50.0, "m/s"),
            ("downtime_days", self.downtime_days, 0.0, 3650.0, "days"),
        ];
        for (field, value, lo, hi, unit) in ranges {
            if let Some(v) = value
                && (!v.is_finite() || v < lo || v > hi)
            {
                e.add(
                    field,
                    "out_of_range",
                    format!("expected between {lo} and {hi} {unit}")
                        .trim_end()
                        .to_owned(),
                );
            }
        }
        if let Some(c) = self.cost_cny
            && (!c.is_finite() || c < 0.0)
        {
            e.add("cost_cny", "out_of_range", "a cost is zero or more");
        }
        if self.injuries.is_some_and(|n| !(0..=10_000).contains(&n)) {
            e.add(
                "injuries",
                "out_of_range",
                "expected a number of people, 0 or more",
            );
        }
        match (e.is_empty(), equipment_type, grade, failure_date) {
            (true, Some(equipment_type), Some(grade), Some(failure_date)) => Ok(ValidCase {
                input: self,
                equipment_type,
                grade,
                mechanism,
                root_causes,
                outcome,
                region_code,
                industry_code,
                failure_date,
            }),
            _ => Err(e),
        }
    }
}

/// The desensitized case, as it is published (and as the contributor confirms it). Texts are
/// the desensitizer's output; numbers are technical content, kept; consequences are bands.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Published {
    pub title_zh: Option<String>,
    pub title_en: Option<String>,
    /// The period of the failure as far as the k-anonymity check lets it show: a month
    /// (`2024-05`) when the year is published as is, else the year band.
    pub period: String,
    /// Province, or the larger area k-anonymity generalized it to.
    pub province: String,
    /// GB/T 4754 class, group, division or `*`.
    pub industry: String,
    /// Equipment type or its family.
    pub equipment_type: String,
    /// ASTM grade or its family.
    pub grade: String,
    pub mechanism: Mechanism,
    pub root_causes: Vec<RootCause>,
    pub summary_zh: Option<String>,
    pub summary_en: Option<String>,
    /// What registered users read.
    pub details: Details,
    /// What a granted application reads besides the details.
    pub full: Full,
}

/// The details of a published case.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Details {
    pub equipment_description: Option<String>,
    pub years_in_service: Option<f64>,
    pub location: Option<String>,
    pub morphology: Option<String>,
    pub process_medium: Option<String>,
    pub temperature_c: Option<f64>,
    pub chloride_mg_l: Option<f64>,
    pub fluoride_mg_l: Option<f64>,
    pub ph: Option<f64>,
    pub velocity_m_s: Option<f64>,
    pub crevice_present: Option<bool>,
    pub deposits_present: Option<bool>,
    pub direct_cause: Option<String>,
    pub rectification: Option<String>,
    pub rectification_outcome: Option<Outcome>,
    pub lessons_zh: Option<String>,
    pub lessons_en: Option<String>,
    pub narrative_zh: Option<String>,
    pub narrative_en: Option<String>,
}

/// The test data and consequences, for granted applications.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Full {
    pub manufacturer: Option<String>,
    pub max_depth_mm: Option<f64>,
    pub remaining_thickness_mm: Option<f64>,
    pub hydrogen_ppm: Option<f64>,
    pub metallography: Option<String>,
    pub composition: Option<String>,
    /// Downtime as a band (`< 1 d`, `1–7 d`, `7–30 d`, `> 30 d`).
    pub downtime: Option<String>,
    /// Cost as the desensitizer's money band.
    pub cost: Option<String>,
    pub release: Option<String>,
    /// `none` or `some`: the number of injured people is not published.
    pub injuries: Option<String>,
}

/// The bands downtime is published in.
pub fn downtime_band(days: f64) -> &'static str {
    if days < 1.0 {
        "< 1 d"
    } else if days < 7.0 {
        "1–7 d"
    } else if days < 30.0 {
        "7–30 d"
    } else {
        "> 30 d"
    }
}

/// The first sentence-ish of a text, at most `max` characters, for the public summary.
pub fn summary_of(text: &str, max: usize) -> String {
    let text = text.trim();
    let end = text
        .char_indices()
        .find(|(i, c)| {
            matches!(c, '。' | '！' | '？') || (*c == '.' && text[*i..].starts_with(". "))
        })
        .map(|(i, c)| i + c.len_utf8());
    let first = match end {
        Some(e) => &text[..e],
        None => text,
    };
    if first.chars().count() <= max {
        first.to_owned()
    } else {
        let cut: String = first.chars().take(max).collect();
        format!("{cut}…")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> time::Date {
        time::macros::date!(2026 - 06 - 01)
    }

    fn minimal() -> CaseInput {
        CaseInput {
            title_zh: Some("板式换热器缝隙腐蚀".into()),
            failure_date: "2025-03-14".into(),
            equipment_type: "plate_heat_exchanger".into(),
            grade: "Gr2".into(),
            narrative_zh: Some("垫片下方出现缝隙腐蚀。".into()),
            ..CaseInput::default()
        }
    }

    #[test]
    fn the_organisation_fills_region_and_industry() {
        let v = minimal().validate(today(), "330106", Some("2612")).unwrap();
        assert_eq!(v.region_code, "330106");
        assert_eq!(v.industry_code, "2612");
        assert_eq!(v.grade, TitaniumGrade::Gr2);
    }

    #[test]
    fn every_problem_is_reported_at_once() {
        let input = CaseInput {
            failure_date: "2030-01-01".into(),
            equipment_type: "kettle".into(),
            grade: "Gr99".into(),
            mechanism: Some("rust".into()),
            root_causes: vec!["bad_luck".into()],
            ph: Some(20.0),
            ..CaseInput::default()
        };
        let e = input.validate(today(), "990000", None).unwrap_err();
        for field in [
            "title_zh",
            "narrative_zh",
            "failure_date",
            "region_code",
            "industry_code",
            "equipment_type",
            "grade",
            "mechanism",
            "root_causes",
            "ph",
        ] {
            assert!(e.has(field), "{field} not reported: {e:?}");
        }
    }

    #[test]
    fn every_mechanism_of_the_risk_engine_is_in_the_vocabulary() {
        let risk = ticorr_platform::risk::load().unwrap();
        for m in &risk.rules.mechanisms {
            assert!(m.id.parse::<Mechanism>().is_ok(), "{} missing", m.id);
        }
        assert_eq!(Mechanism::ALL.len(), risk.rules.mechanisms.len() + 1);
    }

    #[test]
    fn summaries_stop_at_the_first_sentence() {
        assert_eq!(summary_of("管束泄漏。随后停车检修。", 100), "管束泄漏。");
        assert_eq!(
            summary_of("Tubes leaked. The unit stopped.", 100),
            "Tubes leaked."
        );
        assert_eq!(summary_of("很长的句子没有句号", 4), "很长的句…");
    }
}
