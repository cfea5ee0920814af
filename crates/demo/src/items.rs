//! Equipment items that follow their owner's industry profile.
//!
//! An item starts from a *duty* of the owner's service profile (one of the profile's
//! equipment descriptions, see `data/services.json`): its type is inferred from the
//! description's keywords, its process medium is one of the profile's media, and each
//! operating condition is drawn inside one of the profile's typical ranges, the one that
//! fits the duty and medium. Grade, galvanic partner, crevices, deposits, velocity,
//! pressure and commissioning date are drawn from plausible distributions that depend on
//! the conditions (more Pd/Ru/Ni-Mo grades in hot chloride and reducing acids). Values
//! are finally held inside the registry's own plausibility bounds (`FIELDS`).
//!
//! The risk model's other inputs (chlorine gas, methanol, HF, HCl …) and what a failure
//! would cost or harm are read from the medium's words, then drawn from a generator of
//! their own (seeded by the item's identity), so adding them left every other value of
//! the demo as it was.

use std::collections::HashMap;

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use ticorr_equipment::{FIELDS, ValidEquipment};
use ticorr_kernel::equipment::{EquipmentType, GalvanicPartner, TitaniumGrade};
use ticorr_kernel::{Level, OrgId};
use ticorr_platform::refdata::{ServiceProfile, TypicalRange};

use crate::data::{self, Duty, Medium, ProfileDuties, RangeSpec};
use crate::names::{pick, pick_weighted};

/// A verified, registered manufacturer an item may name as its maker.
#[derive(Debug, Clone)]
pub(crate) struct Maker {
    pub id: OrgId,
    pub name: String,
    pub region: String,
    pub makes: Vec<EquipmentType>,
}

/// Everything item generation needs to know about the owner and the country.
pub(crate) struct Owner<'a> {
    pub profile: &'a ServiceProfile,
    pub duties: Option<&'a ProfileDuties>,
    pub coastal: bool,
    pub region: &'a str,
    /// Parks the owner is settled in.
    pub parks: &'a [OrgId],
    /// Share of items placed at level `park` when the owner is settled in a park.
    pub park_share: f64,
    pub makers: &'a [Maker],
    /// Makers named only as text (not registered on the platform).
    pub free_makers: &'a [String],
}

/// A noun of the equipment descriptions: what it is called in Chinese, which type it
/// is, and how often such a generic item is in fact a plate unit.
struct Noun {
    keyword: &'static str,
    zh: &'static str,
    kind: EquipmentType,
    plate_share: f64,
}

const fn noun(keyword: &'static str, zh: &'static str, kind: EquipmentType, plate: f64) -> Noun {
    Noun {
        keyword,
        zh,
        kind,
        plate_share: plate,
    }
}

/// Keywords → equipment type, most specific first: a keyword found is cut out of the
/// description before the next is looked for, so "preheaters" is not also a "heater".
const NOUNS: &[Noun] = &[
    noun("evaporator tubes", "蒸发器", EquipmentType::Evaporator, 0.0),
    noun(
        "immersion heater",
        "浸入式电加热器",
        EquipmentType::ImmersionHeater,
        0.0,
    ),
    noun("anode basket", "阳极篮", EquipmentType::Other, 0.0),
    noun(
        "plate heat exchanger",
        "板式换热器",
        EquipmentType::Plate,
        0.0,
    ),
    noun("surface condenser", "凝汽器", EquipmentType::Condenser, 0.0),
    noun("heating chamber", "加热室", EquipmentType::Evaporator, 0.0),
    noun("condenser", "冷凝器", EquipmentType::Condenser, 0.0),
    noun("reboiler", "再沸器", EquipmentType::ShellAndTube, 0.0),
    noun("evaporator", "蒸发器", EquipmentType::Evaporator, 0.0),
    noun("coil", "盘管", EquipmentType::Coil, 0.0),
    noun("preheater", "预热器", EquipmentType::ShellAndTube, 0.25),
    noun("cooler", "冷却器", EquipmentType::ShellAndTube, 0.3),
    noun("heater", "加热器", EquipmentType::ShellAndTube, 0.15),
    noun("exchanger", "换热器", EquipmentType::ShellAndTube, 0.35),
    noun("tubes", "换热管束", EquipmentType::ShellAndTube, 0.0),
];

/// The nouns an equipment description names, most specific first.
fn nouns_in(description: &str) -> Vec<&'static Noun> {
    let mut rest = description.to_lowercase();
    let mut found = Vec::new();
    for n in NOUNS {
        if rest.contains(n.keyword) {
            found.push(n);
            rest = rest.replace(n.keyword, " ");
        }
    }
    // "Tubes" names a kind only when nothing else does ("surface condensers with … tubes"
    // are condensers).
    if found.len() > 1 {
        found.retain(|n| n.keyword != "tubes");
    }
    found
}

/// Infers an item's type and Chinese noun from an equipment description. A description
/// naming several kinds ("coolers, condensers and reboilers") gives one of them; a generic
/// cooler or exchanger is sometimes a plate unit; a bath heater is electric.
pub(crate) fn infer_type(rng: &mut ChaCha8Rng, description: &str) -> (EquipmentType, &'static str) {
    let lower = description.to_lowercase();
    let found = nouns_in(description);
    let Some(n) = (!found.is_empty()).then(|| *pick(rng, &found)) else {
        return (EquipmentType::ShellAndTube, "换热器");
    };
    if n.keyword == "heater" && lower.contains("bath") {
        return (EquipmentType::ElectricHeater, "电加热器");
    }
    if n.plate_share > 0.0 && !lower.contains("plate") && rng.random_bool(n.plate_share) {
        let zh = match n.keyword {
            "exchanger" => "板式换热器",
            "cooler" => "板式冷却器",
            "heater" => "板式加热器",
            _ => "板式预热器",
        };
        return (EquipmentType::Plate, zh);
    }
    (n.kind, n.zh)
}

/// The registry's plausibility bounds of a numeric field.
fn bounds_of(field: &str) -> (f64, f64) {
    FIELDS
        .iter()
        .find(|f| f.name == field)
        .and_then(|f| f.bounds)
        .unwrap_or((f64::MIN, f64::MAX))
}

/// The interval to draw a value from for one of the profile's typical ranges.
///
/// The reference data leaves bounds open (null) where the sources give none:
/// - both open: the parameter is not quantified (`None` here; see [`unquantified`]);
/// - open below: temperatures start at ambient (15 °C), pH at 0 (or 1.5 below a top
///   of 3 or less, so "pH ≤ 1" gives -0.5…1), concentrations at 0;
/// - open above: temperatures run 30 °C past the bottom, pH half a unit past it
///   (caustic soda "14 or more" gives 14…14.5), concentrations up to ten times it.
fn interval(parameter: &str, r: &TypicalRange) -> Option<(f64, f64)> {
    let (lo, hi) = match (r.min, r.max) {
        (None, None) => return None,
        (Some(lo), Some(hi)) => (lo, hi),
        (None, Some(hi)) => {
            let lo = match parameter {
                "temperature_c" => 15.0_f64.min(hi),
                "ph" if hi <= 3.0 => hi - 1.5,
                "ph" => 0.0,
                _ => 0.0,
            };
            (lo, hi)
        }
        (Some(lo), None) => {
            let hi = match parameter {
                "temperature_c" => lo + 30.0,
                "ph" => lo + 0.5,
                _ => lo * 10.0,
            };
            (lo, hi)
        }
    };
    let (min, max) = bounds_of(parameter);
    Some((lo.clamp(min, max), hi.clamp(min, max)))
}

/// A value for a range with neither bound. The reference data uses such ranges for
/// concentrations it describes only qualitatively as "normally absent" or "normally
/// negligible" (fluoride in brine, in clean acids, in organic process streams). Two items
/// in three record what a laboratory would report for that, 0–0.5 mg/L; the others leave
/// the value unrecorded, as plants often do, so the risk engine also sees incomplete
/// inputs. Where the reference data means "present, amount unknown" (fluoride in
/// mixed-catalyst chromium baths) `services.json` says null, and nothing is recorded.
fn unquantified(rng: &mut ChaCha8Rng, parameter: &str) -> Option<f64> {
    let concentration = parameter.ends_with("_mg_l");
    (concentration && rng.random_bool(0.65)).then(|| draw(rng, parameter, 0.0, 0.5))
}

/// Rounds to a multiple of `step` (0.01, 0.1, 0.5, 1, 10 …) so that the stored number
/// prints as a short decimal ("2.8", not "2.8000000000000003").
fn round_to(v: f64, step: f64) -> f64 {
    if step >= 1.0 {
        (v / step).round() * step
    } else {
        let inverse = (1.0 / step).round();
        (v * inverse).round() / inverse
    }
}

/// Rounds a concentration to what a laboratory would report.
fn round_concentration(v: f64) -> f64 {
    if v < 10.0 {
        round_to(v, 0.1)
    } else if v < 1_000.0 {
        v.round()
    } else {
        let magnitude = 10f64.powi(v.log10().floor() as i32 - 2);
        round_to(v, magnitude)
    }
}

/// Draws a value of `parameter` inside `[lo, hi]`. Concentrations spanning decades are
/// drawn log-uniformly, so "0–100 000 mg/L" is mostly hundreds to thousands, not always
/// tens of thousands.
fn draw(rng: &mut ChaCha8Rng, parameter: &str, lo: f64, hi: f64) -> f64 {
    let v = match parameter {
        "temperature_c" => round_to(rng.random_range(lo..=hi), 0.5),
        "ph" => round_to(rng.random_range(lo..=hi), 0.1),
        _ => {
            let floor = lo.max(1.0);
            let raw = if hi > 20.0 * floor {
                10f64.powf(rng.random_range(floor.log10()..=hi.log10()))
            } else {
                rng.random_range(lo..=hi)
            };
            round_concentration(raw)
        }
    };
    // Rounding must not step outside the range it was drawn from.
    v.clamp(lo, hi)
}

/// The duty and medium chosen for one item.
struct Service<'a> {
    description: &'a str,
    zh_prefix: &'a str,
    duty: Option<&'a Duty>,
    medium_text: Option<&'a str>,
    medium: Option<&'a Medium>,
    medium_zh: Option<String>,
    utility: bool,
}

/// A medium's text without the reference data's notes in parentheses.
fn plain_medium(text: &str) -> String {
    match text.find(" (") {
        Some(i) => text[..i].to_owned(),
        None => text.to_owned(),
    }
}

fn choose_service<'a>(rng: &mut ChaCha8Rng, owner: &Owner<'a>) -> Service<'a> {
    let profile = owner.profile;
    let Some(duties) = owner.duties else {
        // A profile the demo data does not describe (reference data newer than the demo
        // data): any of its equipment and media, ranges picked at random.
        let description = if profile.equipment.is_empty() {
            "heat exchangers"
        } else {
            pick(rng, &profile.equipment).as_str()
        };
        let medium_text =
            (!profile.process_media.is_empty()).then(|| pick(rng, &profile.process_media));
        return Service {
            description,
            zh_prefix: "",
            duty: None,
            medium_text: medium_text.map(|m| m.medium.as_str()),
            medium: None,
            medium_zh: medium_text.map(|m| plain_medium(&m.medium)),
            utility: false,
        };
    };
    let usable: Vec<&Duty> = duties
        .duties
        .iter()
        .filter(|d| owner.coastal || !d.coastal)
        .collect();
    let duty = *pick_weighted(rng, &usable, |d| d.weight);
    if duty.utility {
        return Service {
            description: &duty.equipment,
            zh_prefix: &duty.zh,
            duty: Some(duty),
            medium_text: None,
            medium: None,
            medium_zh: Some(data::get().services.utility.medium_zh.clone()),
            utility: true,
        };
    }
    let mut media: Vec<(&String, &Medium)> = if duty.media.is_empty() {
        duties.media.iter().collect()
    } else {
        duty.media
            .iter()
            .filter_map(|m| duties.media.get_key_value(m))
            .collect()
    };
    if !owner.coastal && media.iter().any(|(_, m)| !m.coastal) {
        media.retain(|(_, m)| !m.coastal);
    }
    let (text, medium) = *pick_weighted(rng, &media, |(_, m)| m.weight);
    Service {
        description: &duty.equipment,
        zh_prefix: &duty.zh,
        duty: Some(duty),
        medium_text: Some(text),
        medium: Some(medium),
        medium_zh: Some(medium.zh.clone()),
        utility: false,
    }
}

/// One operating condition of an item: the duty's range, else the medium's, else one of
/// the profile's ranges for the parameter picked at random (the reference data's own
/// choice when it lists several ranges with different `applies_to`).
fn condition(
    rng: &mut ChaCha8Rng,
    profile: &ServiceProfile,
    service: &Service<'_>,
    parameter: &str,
) -> Option<f64> {
    if service.utility {
        let u = &data::get().services.utility;
        let (lo, hi) = match parameter {
            "temperature_c" => u.temperature_c,
            "chloride_mg_l" => u.chloride_mg_l,
            "ph" => u.ph,
            _ => return unquantified(rng, parameter),
        };
        return Some(draw(rng, parameter, lo, hi));
    }
    let of_parameter: Vec<&TypicalRange> = profile
        .typical_ranges
        .iter()
        .filter(|r| r.parameter == parameter)
        .collect();
    let named = |text: &str| {
        of_parameter
            .iter()
            .find(|r| r.applies_to.as_deref() == Some(text))
            .copied()
    };
    let spec = service
        .duty
        .and_then(|d| d.ranges.get(parameter))
        .or_else(|| service.medium.and_then(|m| m.ranges.get(parameter)));
    let range = match spec {
        Some(None) => return None,
        Some(Some(RangeSpec::Within(lo, hi))) => return Some(draw(rng, parameter, *lo, *hi)),
        Some(Some(RangeSpec::Named(text))) => named(text),
        Some(Some(RangeSpec::AnyOf(texts))) => named(pick::<String>(rng, texts)),
        None => None,
    };
    let range = match range {
        Some(r) => r,
        None if of_parameter.is_empty() => return None,
        None => pick(rng, &of_parameter),
    };
    match interval(parameter, range) {
        Some((lo, hi)) => Some(draw(rng, parameter, lo, hi)),
        None => unquantified(rng, parameter),
    }
}

fn grade(
    rng: &mut ChaCha8Rng,
    kind: EquipmentType,
    temperature: Option<f64>,
    chloride: Option<f64>,
    ph: Option<f64>,
    medium: &str,
) -> TitaniumGrade {
    use TitaniumGrade::*;
    let chloride = chloride.unwrap_or(0.0);
    // Crevice corrosion of Gr2 in chloride starts around 70–80 °C; hydrochloric and
    // other reducing acids attack unalloyed titanium. Both call for Pd, Ru or Ni-Mo grades.
    let hot_chloride = chloride >= 10_000.0 && temperature.unwrap_or(0.0) >= 75.0;
    let medium = medium.to_lowercase();
    let reducing_acid = ph.is_some_and(|p| p <= 2.0)
        && (chloride >= 1_000.0 || medium.contains("hcl") || medium.contains("hydrochloric"));
    let upgrade = match (hot_chloride, reducing_acid) {
        (true, true) => 0.6,
        (true, false) => 0.45,
        (false, true) => 0.4,
        (false, false) => 0.03,
    };
    if rng.random_bool(upgrade) {
        let alloyed = [
            (Gr7, 30.0),
            (Gr12, 28.0),
            (Gr16, 15.0),
            (Gr26, 12.0),
            (Gr11, 8.0),
            (Gr17, 7.0),
        ];
        return pick_weighted(rng, &alloyed, |(_, w)| *w).0;
    }
    // Plates are pressed from the softer Gr1 more often than tubes are drawn from it.
    let gr1 = if kind == EquipmentType::Plate {
        0.4
    } else {
        0.06
    };
    if rng.random_bool(gr1) { Gr1 } else { Gr2 }
}

fn galvanic(rng: &mut ChaCha8Rng, seawater: bool, hint: Option<&str>) -> Option<GalvanicPartner> {
    use GalvanicPartner::*;
    if rng.random_bool(0.1) {
        return Option::None;
    }
    if let Some(h) = hint.and_then(|h| h.parse().ok())
        && rng.random_bool(0.5)
    {
        return Some(h);
    }
    let choices: &[(GalvanicPartner, f64)] = if seawater {
        &[
            (None, 45.0),
            (CarbonSteel, 20.0),
            (CopperAlloy, 15.0),
            (Stainless300, 12.0),
            (ZincOrAluminiumAnode, 8.0),
        ]
    } else {
        &[
            (None, 70.0),
            (Stainless300, 15.0),
            (CarbonSteel, 11.0),
            (CopperAlloy, 2.0),
            (Other, 2.0),
        ]
    };
    Some(pick_weighted(rng, choices, |(_, w)| *w).0)
}

fn maybe(rng: &mut ChaCha8Rng, missing: f64, p_true: f64) -> Option<bool> {
    if rng.random_bool(missing) {
        None
    } else {
        Some(rng.random_bool(p_true))
    }
}

fn in_range(rng: &mut ChaCha8Rng, (lo, hi): (f64, f64), step: f64) -> f64 {
    round_to(rng.random_range(lo..=hi), step).clamp(lo, hi)
}

/// Typical flow velocity (m/s) and operating pressure (MPa, gauge) of a type; `None`
/// where the quantity means little (a heater standing in an open bath).
fn velocity_default(kind: EquipmentType) -> Option<(f64, f64)> {
    match kind {
        EquipmentType::ShellAndTube => Some((0.8, 2.5)),
        EquipmentType::Plate => Some((0.3, 1.0)),
        EquipmentType::Condenser => Some((1.5, 2.4)),
        EquipmentType::Evaporator => Some((1.0, 2.5)),
        EquipmentType::ElectricHeater | EquipmentType::ImmersionHeater => Some((0.0, 0.3)),
        EquipmentType::Coil => Some((0.1, 1.0)),
        EquipmentType::Other => None,
    }
}

fn pressure_default(kind: EquipmentType) -> Option<(f64, f64)> {
    match kind {
        EquipmentType::ShellAndTube => Some((0.2, 1.6)),
        EquipmentType::Plate => Some((0.2, 1.0)),
        EquipmentType::Condenser => Some((0.15, 0.45)),
        EquipmentType::Evaporator => Some((-0.08, 0.3)),
        EquipmentType::Coil => Some((0.1, 0.6)),
        EquipmentType::ElectricHeater | EquipmentType::ImmersionHeater | EquipmentType::Other => {
            None
        }
    }
}

fn tag_prefix(kind: EquipmentType) -> &'static str {
    match kind {
        EquipmentType::Evaporator => "EV",
        EquipmentType::ImmersionHeater | EquipmentType::ElectricHeater => "EH",
        EquipmentType::Coil => "C",
        EquipmentType::Other => "X",
        _ => "E",
    }
}

const CN_NUMBERS: [&str; 10] = ["一", "二", "三", "四", "五", "六", "七", "八", "九", "十"];

fn location(profile_key: &str, utility: bool, area: usize) -> String {
    if utility {
        return "循环水站".to_owned();
    }
    match profile_key {
        "power_condenser" => format!("{area}号机组"),
        "desalination" => format!("{area}号淡化装置"),
        "electroplating" => format!("{area}号生产线"),
        _ => format!("{}车间", CN_NUMBERS[(area - 1) % CN_NUMBERS.len()]),
    }
}

/// A commissioning date from 1995 to 2025, more of them recent (titanium equipment has
/// spread over the period).
fn commissioned(rng: &mut ChaCha8Rng) -> String {
    let u: f64 = rng.random();
    let year = (1995 + (31.0 * u.powf(0.7)) as i32).min(2025);
    let month = rng.random_range(1..=12);
    let day = rng.random_range(1..=28);
    format!("{year:04}-{month:02}-{day:02}")
}

fn maker(
    rng: &mut ChaCha8Rng,
    owner: &Owner<'_>,
    kind: EquipmentType,
) -> (Option<OrgId>, Option<String>) {
    let r: f64 = rng.random();
    if r < 0.55 {
        let able: Vec<&Maker> = owner
            .makers
            .iter()
            .filter(|m| m.makes.contains(&kind))
            .collect();
        if !able.is_empty() {
            let local: Vec<&Maker> = able
                .iter()
                .copied()
                .filter(|m| m.region == owner.region)
                .collect();
            let from = if !local.is_empty() && rng.random_bool(0.5) {
                &local
            } else {
                &able
            };
            let m = pick(rng, from);
            return (Some(m.id), Some(m.name.clone()));
        }
    }
    if r < 0.88 && !owner.free_makers.is_empty() {
        return (None, Some(pick(rng, owner.free_makers).clone()));
    }
    (None, None)
}

/// `count` items for one owner, with tags (`E-101`, `EH-102` …) unique within the owner.
pub(crate) fn generate(
    rng: &mut ChaCha8Rng,
    profile_key: &str,
    owner: &Owner<'_>,
    count: usize,
) -> Vec<ValidEquipment> {
    let mut same_name: HashMap<String, u32> = HashMap::new();
    (0..count)
        .map(|index| {
            let service = choose_service(rng, owner);
            let (kind, noun_zh) = infer_type(rng, service.description);
            let temperature_c = condition(rng, owner.profile, &service, "temperature_c")
                .filter(|_| !rng.random_bool(0.02));
            let chloride_mg_l = condition(rng, owner.profile, &service, "chloride_mg_l")
                .filter(|_| !rng.random_bool(0.04));
            let fluoride_mg_l = condition(rng, owner.profile, &service, "fluoride_mg_l");
            let ph =
                condition(rng, owner.profile, &service, "ph").filter(|_| !rng.random_bool(0.06));
            let medium_en = service.medium_text.unwrap_or("cooling water");
            let grade = grade(rng, kind, temperature_c, chloride_mg_l, ph, medium_en);
            let seawater = chloride_mg_l.is_some_and(|c| c >= 10_000.0)
                && (medium_en.contains("seawater")
                    || service.description.contains("seawater")
                    || profile_key == "desalination");
            let galvanic_partner = galvanic(
                rng,
                seawater,
                service.duty.and_then(|d| d.galvanic.as_deref()),
            );
            let (cathodic_protection, cp_potential_v_sce) =
                if galvanic_partner == Some(GalvanicPartner::ZincOrAluminiumAnode) {
                    (Some(true), Some(-in_range(rng, (0.95, 1.10), 0.01)))
                } else if seawater && rng.random_bool(0.2) {
                    (Some(true), Some(-in_range(rng, (0.75, 1.05), 0.01)))
                } else if rng.random_bool(0.85) {
                    (Some(false), None)
                } else {
                    (None, None)
                };
            let crevice_share = match kind {
                EquipmentType::Plate => 0.85,
                EquipmentType::ShellAndTube
                | EquipmentType::Condenser
                | EquipmentType::Evaporator => 0.55,
                EquipmentType::Other => 0.6,
                _ => 0.25,
            };
            let crevice_present = maybe(rng, 0.08, crevice_share);
            let lower = format!("{medium_en} {}", service.description).to_lowercase();
            let fouling = service.utility
                || ["brine", "slurr", "seawater", "cooling water", "crystal"]
                    .iter()
                    .any(|k| lower.contains(k));
            let deposits_present = maybe(rng, 0.1, if fouling { 0.5 } else { 0.3 });
            let velocity_m_s = service
                .duty
                .and_then(|d| d.velocity_m_s)
                .or_else(|| velocity_default(kind))
                .filter(|_| !rng.random_bool(0.1))
                .map(|r| in_range(rng, r, 0.1));
            let pressure_mpa = service
                .duty
                .and_then(|d| d.pressure_mpa)
                .or_else(|| pressure_default(kind))
                .filter(|_| !rng.random_bool(0.1))
                .map(|r| in_range(rng, r, 0.01));
            let (manufacturer_org_id, manufacturer_name) = maker(rng, owner, kind);
            let (level, park_id) = if !owner.parks.is_empty() && rng.random_bool(owner.park_share) {
                (Level::Park, Some(*pick(rng, owner.parks)))
            } else {
                (Level::Private, None)
            };
            let base = format!("{}{noun_zh}", service.zh_prefix);
            let n = same_name.entry(base.clone()).or_insert(0);
            *n += 1;
            // Six items to a plant area: tags E-101 … E-106, E-201 …
            let area = index / 6 + 1;
            let tag = format!("{}-{area}{:02}", tag_prefix(kind), index % 6 + 1);
            let name = format!("{n}#{base}");
            let mut side = ChaCha8Rng::seed_from_u64(fnv1a(&format!(
                "{}|{profile_key}|{tag}|{name}",
                owner.region
            )));
            let words = format!("{medium_en} {}", service.description);
            let risk = risk_side(
                &mut side,
                profile_key,
                kind,
                &words,
                galvanic_partner,
                temperature_c,
            );
            ValidEquipment {
                tag,
                name,
                equipment_type: kind,
                grade,
                level,
                park_id,
                manufacturer_org_id,
                manufacturer_name,
                commissioned_on: Some(commissioned(rng)),
                process_medium: service.medium_zh.clone(),
                location: Some(location(profile_key, service.utility, area)),
                temperature_c,
                pressure_mpa,
                chloride_mg_l,
                // Where the profile knows no fluoride, most owners state none.
                fluoride_mg_l: fluoride_mg_l.or_else(|| side.random_bool(0.8).then_some(0.0)),
                ph,
                velocity_m_s,
                galvanic_partner,
                cathodic_protection,
                cp_potential_v_sce,
                crevice_present,
                deposits_present,
                service_conditions: risk.conditions,
                medium_hazard: risk.hazard,
                people_nearby: risk.people,
                failure_cost_usd: risk.cost,
                consequence_category: None,
            }
        })
        .collect()
}

/// FNV-1a, a stable hash to seed an item's own generator from its identity.
fn fnv1a(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// The risk model's other inputs and the consequence answers of one item.
struct RiskSide {
    conditions: serde_json::Map<String, serde_json::Value>,
    hazard: Option<String>,
    people: Option<String>,
    cost: Option<f64>,
}

/// Reads the medium's words (English, from the reference profiles) for what the risk
/// model asks beyond the basic conditions. About one answer in twenty is left unknown, as an
/// owner would leave it; a measured corrosion rate exists for a minority of items.
fn risk_side(
    rng: &mut ChaCha8Rng,
    profile_key: &str,
    kind: EquipmentType,
    words: &str,
    galvanic: Option<GalvanicPartner>,
    temperature_c: Option<f64>,
) -> RiskSide {
    let w = words.to_lowercase();
    let has = |keys: &[&str]| keys.iter().any(|k| w.contains(k));
    let mut c = serde_json::Map::new();
    let chlorine = has(&["chlorine gas", "wet chlorine"]);
    answer(rng, &mut c, "chlorine_gas", chlorine.into());
    if chlorine {
        // Wet chlorine coolers run with water in the gas, mostly well above the least the
        // rule file's curve asks at the temperature, sometimes close to it.
        let least = ticorr_platform::risk::load()
            .ok()
            .and_then(|r| Some(r.rules.water_curve.as_ref()?.at(temperature_c?)))
            .unwrap_or(0.0);
        let v = round_to(least + rng.random_range(0.1..=1.5), 0.05);
        answer(rng, &mut c, "water_in_chlorine_wt_pct", v.into());
    }
    let methanol = has(&["methanol"]);
    answer(rng, &mut c, "methanol_service", methanol.into());
    if methanol {
        let acid = has(&["acid", "halide"]);
        answer(rng, &mut c, "acid_halide_in_methanol", acid.into());
        let v = in_range(rng, (0.5, 5.0), 0.1);
        answer(rng, &mut c, "water_in_methanol_wt_pct", v.into());
    }
    let hf = if has(&["hf/", "hf ", "hydrofluoric", "hf in"]) {
        in_range(rng, (0.5, 5.0), 0.1)
    } else {
        0.0
    };
    answer(rng, &mut c, "hf_wt_pct", hf.into());
    let hcl = has(&["hcl", "hydrochloric"]);
    let normality = if hcl {
        in_range(rng, (0.05, 3.0), 0.05)
    } else {
        0.0
    };
    answer(rng, &mut c, "hcl_normality", normality.into());
    let oxidizing = has(&[
        "nitric",
        "chlorate",
        "hypochlorite",
        "chlorine",
        "oxygen",
        "ferric",
    ]);
    answer(rng, &mut c, "oxidizing_species_present", oxidizing.into());
    let complexing = has(&["leach", "the ore", "ferric"]);
    answer(rng, &mut c, "complexing_cations_al_fe3", complexing.into());
    answer(rng, &mut c, "h2s_high", has(&["h2s"]).into());
    let solids = has(&["slurr", "solids", "crystal", "sand"]);
    answer(rng, &mut c, "solids_present", solids.into());
    let plating = profile_key.contains("plating") || has(&["plating", "anodiz", "electrolyte"]);
    let anodic = plating && rng.random_bool(0.3);
    answer(rng, &mut c, "anodic_or_stray_current", anodic.into());
    let rfna = has(&["fuming nitric", "n2o4"]);
    answer(rng, &mut c, "rfna_or_n2o4_service", rfna.into());
    // Dry oxygen reaches titanium only in oxygen-fed units; elsewhere the owner answers 0.
    let oxygen = if has(&["oxygen-fed", "oxygen fed"]) {
        in_range(rng, (100.0, 1500.0), 10.0)
    } else {
        0.0
    };
    answer(rng, &mut c, "oxygen_partial_pressure_kpa", oxygen.into());
    if galvanic.is_some_and(|g| g != GalvanicPartner::None) {
        let v = in_range(rng, (0.02, 2.0), 0.01);
        answer(rng, &mut c, "anode_to_cathode_area_ratio", v.into());
    }
    if rng.random_bool(0.6) {
        // Coupon or ER-probe measurements: titanium in its passive range, faster in
        // reducing acids.
        let rate = if hcl || has(&["sulfuric", "sulphuric", "reducing"]) {
            10f64.powf(rng.random_range(-2.0..=-0.3))
        } else {
            10f64.powf(rng.random_range(-3.5..=-1.7))
        };
        c.insert(
            "general_corrosion_rate_mm_y".into(),
            round_to(rate, 0.0001).into(),
        );
    }
    let hazard = if has(&[
        "chlorine",
        "hf",
        "hydrofluoric",
        "h2s",
        "phosgene",
        "chlorine dioxide",
    ]) {
        "toxic"
    } else if has(&[
        "methanol",
        "hydrogen",
        "hydrocarbon",
        "alcohol",
        "solvent",
        "ethanol",
    ]) {
        "flammable"
    } else if has(&[
        "acid",
        "caustic",
        "naoh",
        "alkal",
        "plating",
        "bath",
        "hypochlorite",
        "chlorate",
        "pickl",
        "leach",
        "liquor",
        "brine",
        "urea",
    ]) {
        "hazardous"
    } else {
        "non_hazardous"
    };
    let people = ["rarely", "occasionally", "continuously"][pick_index(rng, &[0.4, 0.45, 0.15])];
    // Repair or replacement with lost production, by the kind of unit (USD).
    let cost_range = match kind {
        EquipmentType::ElectricHeater | EquipmentType::ImmersionHeater => (2e3, 4e4),
        EquipmentType::Coil => (5e3, 6e4),
        EquipmentType::Plate => (1e4, 1.5e5),
        EquipmentType::ShellAndTube => (3e4, 5e5),
        EquipmentType::Condenser => (5e4, 2e6),
        EquipmentType::Evaporator => (1e5, 3e6),
        _ => (1e4, 2e5),
    };
    let cost = rng.random_bool(0.7).then(|| {
        let (lo, hi): (f64, f64) = cost_range;
        round_to(
            10f64.powf(rng.random_range(lo.log10()..=hi.log10())),
            1000.0,
        )
    });
    RiskSide {
        conditions: c,
        hazard: (!rng.random_bool(0.05)).then(|| hazard.to_owned()),
        people: (!rng.random_bool(0.05)).then(|| people.to_owned()),
        cost,
    }
}

/// Keeps an answer, except about one in twenty that the owner left unknown.
fn answer(
    rng: &mut ChaCha8Rng,
    conditions: &mut serde_json::Map<String, serde_json::Value>,
    name: &str,
    value: serde_json::Value,
) {
    if !rng.random_bool(0.05) {
        conditions.insert(name.to_owned(), value);
    }
}

/// An index drawn with the given weights.
fn pick_index(rng: &mut ChaCha8Rng, weights: &[f64]) -> usize {
    let total: f64 = weights.iter().sum();
    let mut x = rng.random_range(0.0..total);
    for (i, w) in weights.iter().enumerate() {
        if x < *w {
            return i;
        }
        x -= w;
    }
    weights.len() - 1
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use ticorr_platform::refdata;

    #[test]
    fn every_reference_equipment_description_names_a_known_kind() {
        for (key, p) in &refdata::get().profiles {
            for d in &p.equipment {
                assert!(!nouns_in(d).is_empty(), "{key}: `{d}` has no known noun");
            }
        }
    }

    #[test]
    fn keywords_give_the_expected_types() {
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let cases = [
            ("electric immersion heaters", EquipmentType::ImmersionHeater),
            ("heating and cooling coils", EquipmentType::Coil),
            ("MED evaporator tubes", EquipmentType::Evaporator),
            ("evaporator heating chambers", EquipmentType::Evaporator),
            ("bath plate heat exchangers", EquipmentType::Plate),
            ("anode baskets", EquipmentType::Other),
            ("overhead condensers", EquipmentType::Condenser),
            (
                "surface condensers with thin-wall Gr 2 tubes and titanium-clad tubesheets",
                EquipmentType::Condenser,
            ),
        ];
        for (d, t) in cases {
            for _ in 0..20 {
                assert_eq!(infer_type(&mut rng, d).0, t, "{d}");
            }
        }
    }

    #[test]
    fn open_bounds_become_finite_intervals() {
        let r = |parameter: &str, min, max| TypicalRange {
            parameter: parameter.into(),
            min,
            max,
            applies_to: None,
            basis: vec![],
        };
        assert_eq!(
            interval("fluoride_mg_l", &r("fluoride_mg_l", None, None)),
            None
        );
        assert_eq!(interval("ph", &r("ph", None, Some(1.0))), Some((-0.5, 1.0)));
        assert_eq!(
            interval("ph", &r("ph", Some(14.0), None)),
            Some((14.0, 14.5))
        );
        assert_eq!(
            interval("ph", &r("ph", None, Some(14.0))),
            Some((0.0, 14.0))
        );
        assert_eq!(
            interval("temperature_c", &r("temperature_c", None, Some(65.0))),
            Some((15.0, 65.0))
        );
        assert_eq!(
            interval("fluoride_mg_l", &r("fluoride_mg_l", Some(1000.0), None)),
            Some((1000.0, 10000.0))
        );
    }

    #[test]
    fn drawn_values_stay_in_their_range() {
        let mut rng = ChaCha8Rng::seed_from_u64(9);
        for _ in 0..2_000 {
            let v = draw(&mut rng, "chloride_mg_l", 0.0, 100_000.0);
            assert!((0.0..=100_000.0).contains(&v));
            let v = draw(&mut rng, "ph", -0.5, 1.0);
            assert!((-0.5..=1.0).contains(&v));
            let v = draw(&mut rng, "temperature_c", 150.0, 260.0);
            assert!((150.0..=260.0).contains(&v));
        }
    }
}
