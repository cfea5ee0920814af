//! The demo's own data files (`crates/demo/data/`), embedded in the binary.
//!
//! They hold what the project's reference data does not: where organisations are placed
//! (`places.json`), the parts of invented names (`names.json`) and how each industry's
//! service profile becomes equipment items (`services.json`). Everything quoted from the
//! reference data is checked against it by the tests below, so a change there that
//! breaks a quotation fails the build's tests instead of silently thinning the demo.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use serde::Deserialize;

const PLACES_JSON: &str = include_str!("../data/places.json");
const NAMES_JSON: &str = include_str!("../data/names.json");
const SERVICES_JSON: &str = include_str!("../data/services.json");

/// A city as used in names and addresses: short name, full name, pinyin.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct City(pub String, pub String, pub String);

impl City {
    pub fn short(&self) -> &str {
        &self.0
    }
    pub fn full(&self) -> &str {
        &self.1
    }
    pub fn pinyin(&self) -> &str {
        &self.2
    }
}

#[derive(Debug, Clone, Deserialize)]
pub(crate) struct Province {
    /// GB/T 2260 code, as in `refdata/regions_gbt2260.json`.
    pub code: String,
    pub weight: f64,
    pub cities: Vec<City>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct Places {
    pub provinces: Vec<Province>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct NameParts {
    /// `[character, pinyin]`.
    pub word_first: Vec<(String, String)>,
    pub word_second: Vec<(String, String)>,
    pub surnames: Vec<String>,
    pub given: Vec<String>,
    pub roads: Vec<String>,
}

/// An end-user industry (GB/T 4754 class whose role is `end_user`).
#[derive(Debug, Deserialize)]
pub(crate) struct EndUser {
    pub weight: f64,
    /// Multipliers of the weight in given provinces.
    #[serde(default)]
    pub boost: BTreeMap<String, f64>,
    #[serde(default)]
    pub coastal_only: bool,
    /// Fewest and most equipment items of one enterprise.
    pub items: (usize, usize),
    /// Trade words for names, `[zh, en]`.
    pub trades: Vec<(String, String)>,
}

/// A manufacturer industry (role `manufacturer` or `equipment_maker`).
#[derive(Debug, Deserialize)]
pub(crate) struct Maker {
    pub weight: f64,
    pub trades: Vec<(String, String)>,
    /// Equipment types (their text form) such makers build.
    pub makes: Vec<String>,
}

/// Conditions of fresh circulating cooling water, for utility duties.
#[derive(Debug, Deserialize)]
pub(crate) struct Utility {
    pub medium_zh: String,
    pub temperature_c: (f64, f64),
    pub chloride_mg_l: (f64, f64),
    pub ph: (f64, f64),
}

/// Which range a parameter takes for a duty or medium.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub(crate) enum RangeSpec {
    /// A sub-range lying inside one of the profile's ranges.
    Within(f64, f64),
    /// The profile's range with this `applies_to`.
    Named(String),
    /// One of these `applies_to` ranges, picked per item.
    AnyOf(Vec<String>),
}

/// `None` (JSON null) means: the value is not recorded for such items.
pub(crate) type Ranges = BTreeMap<String, Option<RangeSpec>>;

#[derive(Debug, Deserialize)]
pub(crate) struct Duty {
    /// One of the profile's `equipment` descriptions, verbatim.
    pub equipment: String,
    /// Chinese prefix of the item names ("湿氯气" → "1#湿氯气冷却器").
    pub zh: String,
    pub weight: f64,
    /// Media the duty is used in (verbatim from the profile); empty: any of the profile's.
    #[serde(default)]
    pub media: Vec<String>,
    #[serde(default)]
    pub ranges: Ranges,
    /// Utility service on cooling water rather than on the process stream.
    #[serde(default)]
    pub utility: bool,
    /// Only in coastal provinces.
    #[serde(default)]
    pub coastal: bool,
    #[serde(default)]
    pub pressure_mpa: Option<(f64, f64)>,
    #[serde(default)]
    pub velocity_m_s: Option<(f64, f64)>,
    /// A galvanic partner the duty often has (e.g. Cu-Ni tubesheets).
    #[serde(default)]
    pub galvanic: Option<String>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct Medium {
    pub zh: String,
    #[serde(default = "one")]
    pub weight: f64,
    #[serde(default)]
    pub coastal: bool,
    #[serde(default)]
    pub ranges: Ranges,
}

fn one() -> f64 {
    1.0
}

#[derive(Debug, Deserialize)]
pub(crate) struct ProfileDuties {
    pub duties: Vec<Duty>,
    pub media: BTreeMap<String, Medium>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct Services {
    pub end_users: BTreeMap<String, EndUser>,
    pub makers: BTreeMap<String, Maker>,
    pub maker_province_boost: BTreeMap<String, f64>,
    pub utility: Utility,
    pub profiles: BTreeMap<String, ProfileDuties>,
}

pub(crate) struct DemoData {
    pub places: Places,
    pub names: NameParts,
    pub services: Services,
}

static DATA: LazyLock<DemoData> = LazyLock::new(|| DemoData {
    places: serde_json::from_str(PLACES_JSON).expect("crates/demo/data/places.json is valid"),
    names: serde_json::from_str(NAMES_JSON).expect("crates/demo/data/names.json is valid"),
    services: serde_json::from_str(SERVICES_JSON).expect("crates/demo/data/services.json is valid"),
});

pub(crate) fn get() -> &'static DemoData {
    &DATA
}

#[cfg(test)]
mod tests {
    use super::*;
    use ticorr_kernel::equipment::{EquipmentType, GalvanicPartner};
    use ticorr_platform::refdata;

    #[test]
    fn places_cover_every_mainland_province_once() {
        let refdata = refdata::get();
        let places = &get().places.provinces;
        let mainland: Vec<_> = refdata
            .regions
            .iter()
            .filter(|r| !matches!(r.prefix.as_str(), "71" | "81" | "82"))
            .collect();
        assert_eq!(places.len(), mainland.len());
        for region in mainland {
            let p = places
                .iter()
                .find(|p| p.code == region.code)
                .unwrap_or_else(|| panic!("{} has no places entry", region.code));
            assert!(p.weight > 0.0 && !p.cities.is_empty(), "{}", p.code);
            for c in &p.cities {
                assert!(c.full().starts_with(c.short()), "{}", c.full());
                assert!(c.pinyin().chars().all(|ch| ch.is_ascii_alphabetic()));
            }
        }
    }

    #[test]
    fn industries_quoted_exist_with_the_right_role() {
        let refdata = refdata::get();
        let services = &get().services;
        for code in services.end_users.keys() {
            let i = refdata.industry(code).expect("end-user industry exists");
            assert_eq!(i.role, "end_user", "{code}");
            let profile = i.profile.as_deref().expect("end users have a profile");
            assert!(
                services.profiles.contains_key(profile),
                "profile {profile} of {code} has no duties"
            );
        }
        // Every end-user industry of the reference data is used.
        for i in refdata.industries.iter().filter(|i| i.role == "end_user") {
            assert!(services.end_users.contains_key(&i.code), "{}", i.code);
        }
        for (code, maker) in &services.makers {
            let i = refdata.industry(code).expect("maker industry exists");
            assert!(matches!(
                i.role.as_str(),
                "manufacturer" | "equipment_maker"
            ));
            for t in &maker.makes {
                t.parse::<EquipmentType>().expect("known equipment type");
            }
        }
    }

    /// Whether `[lo, hi]` lies inside the reference range (open ends unbounded).
    fn inside(lo: f64, hi: f64, r: &refdata::TypicalRange) -> bool {
        r.min.is_none_or(|m| lo >= m) && r.max.is_none_or(|m| hi <= m)
    }

    fn check_ranges(profile_key: &str, profile: &refdata::ServiceProfile, ranges: &Ranges) {
        for (param, spec) in ranges {
            let of_param: Vec<_> = profile
                .typical_ranges
                .iter()
                .filter(|r| &r.parameter == param)
                .collect();
            assert!(
                !of_param.is_empty(),
                "{profile_key}: no {param} range in the profile"
            );
            let named = |text: &String| {
                assert!(
                    of_param.iter().any(|r| r.applies_to.as_ref() == Some(text)),
                    "{profile_key}: no {param} range applies to `{text}`"
                );
            };
            match spec {
                None => {}
                Some(RangeSpec::Named(t)) => named(t),
                Some(RangeSpec::AnyOf(ts)) => ts.iter().for_each(named),
                Some(RangeSpec::Within(lo, hi)) => {
                    assert!(lo <= hi);
                    assert!(
                        of_param.iter().any(|r| inside(*lo, *hi, r)),
                        "{profile_key}: {param} [{lo}, {hi}] is outside every range"
                    );
                }
            }
        }
    }

    #[test]
    fn duties_quote_the_reference_profiles_exactly() {
        let refdata = refdata::get();
        for (key, duties) in &get().services.profiles {
            let profile = refdata.profile(key).expect("profile exists");
            assert!(!duties.duties.is_empty(), "{key}");
            for d in &duties.duties {
                assert!(
                    profile.equipment.contains(&d.equipment),
                    "{key}: `{}` is not an equipment description",
                    d.equipment
                );
                for m in &d.media {
                    assert!(duties.media.contains_key(m), "{key}: duty medium `{m}`");
                }
                if !d.utility {
                    assert!(!duties.media.is_empty(), "{key} has no media");
                }
                if let Some(g) = &d.galvanic {
                    g.parse::<GalvanicPartner>().expect("known partner");
                }
                check_ranges(key, profile, &d.ranges);
            }
            for (text, m) in &duties.media {
                assert!(
                    profile.process_media.iter().any(|p| &p.medium == text),
                    "{key}: `{text}` is not a process medium"
                );
                assert!(m.weight > 0.0);
                check_ranges(key, profile, &m.ranges);
            }
        }
    }
}
