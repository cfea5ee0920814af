//! Reference data embedded in the binary: provincial-level divisions (GB/T 2260) and the
//! GB/T 4754-2017 industry classes relevant to titanium heating equipment, with the typical
//! service profile of each. The files live in `refdata/` with their sources and
//! verification notes; the product never reads anything outside its own tree.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use serde::Deserialize;

const REGIONS_JSON: &str = include_str!("../../../refdata/regions_gbt2260.json");
const INDUSTRIES_JSON: &str = include_str!("../../../refdata/industries_gbt4754.json");

/// A provincial-level division.
#[derive(Debug, Clone, Deserialize)]
pub struct Region {
    /// Six-digit GB/T 2260 code ending in 0000.
    pub code: String,
    /// The first two digits, the provincial part of any lower-level code.
    pub prefix: String,
    pub name_zh: String,
    pub name_zh_short: String,
    pub name_en: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub coastal: bool,
}

impl Region {
    pub fn name(&self, lang: &str) -> &str {
        if lang.starts_with("zh") {
            &self.name_zh
        } else {
            &self.name_en
        }
    }
}

#[derive(Deserialize)]
struct RegionsFile {
    standard: String,
    regions: Vec<Region>,
}

/// A GB/T 4754 class (four digits) relevant to the platform.
#[derive(Debug, Clone, Deserialize)]
pub struct Industry {
    pub code: String,
    pub section: String,
    pub division: String,
    pub name_zh: String,
    /// Our own translation (the standard has no English column).
    pub name_en: String,
    /// `end_user`, `manufacturer` or `equipment_maker`.
    pub role: String,
    #[serde(default)]
    pub relevance: Option<String>,
    /// Key into the service profiles; none for equipment makers.
    #[serde(default)]
    pub profile: Option<String>,
}

impl Industry {
    pub fn name(&self, lang: &str) -> &str {
        if lang.starts_with("zh") {
            &self.name_zh
        } else {
            &self.name_en
        }
    }
}

/// A typical range of one risk-model input in an industry's service.
#[derive(Debug, Clone, Deserialize)]
pub struct TypicalRange {
    /// A risk-model input name (`temperature_c`, `chloride_mg_l`, `fluoride_mg_l`, `ph`)
    /// or `hf_wt_pct`.
    pub parameter: String,
    pub min: Option<f64>,
    pub max: Option<f64>,
    #[serde(default)]
    pub applies_to: Option<String>,
    /// Source ids from the corrosion knowledge base, or `estimate`.
    #[serde(default)]
    pub basis: Vec<String>,
}

impl TypicalRange {
    /// True when the range is our reasoned estimate, not a value read in a source; such
    /// values must be marked as estimates wherever they are shown.
    pub fn is_estimate(&self) -> bool {
        self.basis.iter().any(|b| b == "estimate")
    }
}

/// Typical service of titanium heating equipment in an industry.
#[derive(Debug, Clone, Deserialize)]
pub struct ServiceProfile {
    pub label: String,
    #[serde(default)]
    pub equipment: Vec<String>,
    #[serde(default)]
    pub process_media: Vec<ProcessMedium>,
    #[serde(default)]
    pub typical_ranges: Vec<TypicalRange>,
    #[serde(default)]
    pub screening_points: Vec<ScreeningPoint>,
    /// Damage mechanism ids of the risk model that apply.
    #[serde(default)]
    pub mechanisms: Vec<String>,
}

/// A screening rule of thumb for the industry's service, with its sources.
#[derive(Debug, Clone, Deserialize)]
pub struct ScreeningPoint {
    pub text: String,
    #[serde(default)]
    pub basis: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct ProcessMedium {
    pub medium: String,
    #[serde(default)]
    pub basis: Vec<String>,
}

#[derive(Deserialize)]
struct IndustriesFile {
    standard: String,
    status: String,
    industries: Vec<Industry>,
    profiles: BTreeMap<String, ServiceProfile>,
}

/// All reference data, parsed once.
pub struct RefData {
    pub regions_standard: String,
    pub regions: Vec<Region>,
    pub industries_standard: String,
    /// The status note of the industry file (draft, which values are estimates).
    pub industries_status: String,
    pub industries: Vec<Industry>,
    pub profiles: BTreeMap<String, ServiceProfile>,
}

static REFDATA: LazyLock<RefData> = LazyLock::new(|| {
    let regions: RegionsFile =
        serde_json::from_str(REGIONS_JSON).expect("refdata/regions_gbt2260.json is valid");
    let industries: IndustriesFile =
        serde_json::from_str(INDUSTRIES_JSON).expect("refdata/industries_gbt4754.json is valid");
    RefData {
        regions_standard: regions.standard,
        regions: regions.regions,
        industries_standard: industries.standard,
        industries_status: industries.status,
        industries: industries.industries,
        profiles: industries.profiles,
    }
});

/// The embedded reference data.
pub fn get() -> &'static RefData {
    &REFDATA
}

impl RefData {
    /// The provincial-level division a GB/T 2260 code belongs to: a province code
    /// itself, or any prefecture or county code below it (matched by its first two digits).
    pub fn region(&self, code: &str) -> Option<&Region> {
        if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        self.regions.iter().find(|r| code.starts_with(&r.prefix))
    }

    /// A GB/T 4754 class by its four-digit code (a leading section letter is accepted).
    pub fn industry(&self, code: &str) -> Option<&Industry> {
        let code = code.trim_start_matches(|c: char| c.is_ascii_uppercase());
        self.industries.iter().find(|i| i.code == code)
    }

    pub fn profile(&self, key: &str) -> Option<&ServiceProfile> {
        self.profiles.get(key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_34_provincial_divisions_are_shipped() {
        let data = get();
        assert_eq!(data.regions.len(), 34);
        assert_eq!(data.region("330000").unwrap().name_en, "Zhejiang");
        // A county code resolves to its province.
        assert_eq!(data.region("330106").unwrap().code, "330000");
        assert!(data.region("990000").is_none());
        assert!(data.region("33").is_none());
    }

    #[test]
    fn industries_resolve_with_or_without_section_letter() {
        let data = get();
        assert_eq!(data.industry("2612").unwrap().name_zh, "无机碱制造");
        assert_eq!(data.industry("C2612").unwrap().code, "2612");
        assert!(data.industry("9999").is_none());
    }

    #[test]
    fn every_profile_an_industry_names_exists() {
        let data = get();
        for i in &data.industries {
            if let Some(p) = &i.profile {
                assert!(
                    data.profile(p).is_some(),
                    "{} names missing profile {p}",
                    i.code
                );
            }
        }
    }
}
