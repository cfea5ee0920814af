//! k-anonymity of a case's quasi-identifiers against what is already published.
//!
//! Even with every name and number removed, a case can point at one plant: "a Gr7 plate heat
//! exchanger in a Hainan chlor-alkali plant, 2023" may describe exactly one enterprise. Before
//! a case is published, its tuple (province, industry, equipment type, titanium grade, year)
//! must fall in a class of at least `k` published records (itself included). The caller passes
//! the tuples already published, with their counts.
//!
//! # Hierarchies
//!
//! Each attribute is generalized one level at a time along a fixed hierarchy:
//!
//! | attribute | level 0 | level 1 | level 2 | level 3 |
//! |---|---|---|---|---|
//! | province | 江苏省 (GB/T 2260) | NBS region: 东部地区 / 中部地区 / 西部地区 / 东北地区 / 港澳台地区 | 中国 | |
//! | industry | GB/T 4754 class 2612 | group 261 | division 26 | `*` |
//! | equipment type | `plate_heat_exchanger` … | family: `heat_exchange_equipment` / `electric_heating_equipment` / `other_equipment` | `heat_transfer_equipment` | |
//! | grade | ASTM grade `2`, or TA2 … | family: `cp_titanium` / `pd_alloyed` / `ru_alloyed` / `ni_mo_alloyed` / `other_alloy` | `titanium` | |
//! | year | 2023 | 5-year band 2020-2024 | decade 2020-2029 | `*` |
//!
//! Published tuples may themselves be generalized; a published value counts towards a class
//! when it generalizes to the record's value at the record's level (a published "2023" is
//! inside the class "2020-2024"; a published "2020-2024" is not inside the class "2023").
//!
//! # Search
//!
//! Exhaustive over the small lattice of level combinations (at most 4 × 4 × 3 × 3 × 3 = 432)
//! and deterministic: among the combinations within the ceilings whose class reaches `k`,
//! take the one with the least information loss, measured as Σ weight × levels raised with
//! weights year 1, equipment type 2, industry 2, province 2, grade 3 (the grade decides the
//! corrosion behaviour, so it is the most expensive to blur). Ties go to the larger class,
//! then to the combination that leaves grade, province, industry, equipment type and year (in
//! that order) least generalized. The steps report each raised attribute, cheapest first.
//! When no combination reaches `k`, the record is held back with the reason.
//!
//! A published class belongs to a combination when each of its values, generalized to that
//! combination's level, equals the record's; so each class is reduced once to the lowest level
//! per attribute at which it joins the record, and a combination's class size is the sum of the
//! counts of the classes it dominates.

use serde::{Deserialize, Serialize};
use ticorr_kernel::equipment::EquipmentType;

use crate::regions;

/// The quasi-identifiers of one case, as text in any level of its hierarchy.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct QuasiIdentifiers {
    /// Province: Chinese or English name, two-digit prefix or six-digit GB/T 2260 code, or a
    /// coarser value (NBS region, "中国").
    pub province: String,
    /// Industry: GB/T 4754-2017 class (4 digits, optionally after the section letter), or a
    /// group (3), division (2) or `*`.
    pub industry: String,
    /// Equipment type: the kernel's vocabulary (`plate_heat_exchanger` …) or a family.
    pub equipment_type: String,
    /// Titanium grade: ASTM grade ("2", "Gr2", "Grade 7"), Chinese designation (TA2, TA10), or
    /// a family.
    pub grade: String,
    /// Year ("2023"), 5-year band ("2020-2024"), decade ("2020-2029") or `*`.
    pub year: String,
}

/// A published class: a tuple and how many published records carry it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublishedClass {
    /// The published tuple.
    pub tuple: QuasiIdentifiers,
    /// Number of published records with this tuple.
    pub count: u64,
}

/// One quasi-identifier attribute.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Attribute {
    /// Province.
    Province,
    /// Industry class.
    Industry,
    /// Equipment type.
    EquipmentType,
    /// Titanium grade.
    Grade,
    /// Year.
    Year,
}

impl Attribute {
    /// All attributes, cheapest to generalize first (the order steps are reported in).
    pub const SEARCH_ORDER: [Attribute; 5] = [
        Attribute::Year,
        Attribute::EquipmentType,
        Attribute::Industry,
        Attribute::Province,
        Attribute::Grade,
    ];

    /// Information-loss weight of raising the attribute by one level.
    pub fn weight(self) -> u32 {
        match self {
            Attribute::Year => 1,
            Attribute::EquipmentType | Attribute::Industry | Attribute::Province => 2,
            Attribute::Grade => 3,
        }
    }

    /// The top level of the attribute's hierarchy.
    pub fn top(self) -> u8 {
        match self {
            Attribute::Province | Attribute::EquipmentType | Attribute::Grade => 2,
            Attribute::Industry | Attribute::Year => 3,
        }
    }

    fn get(self, q: &QuasiIdentifiers) -> &str {
        match self {
            Attribute::Province => &q.province,
            Attribute::Industry => &q.industry,
            Attribute::EquipmentType => &q.equipment_type,
            Attribute::Grade => &q.grade,
            Attribute::Year => &q.year,
        }
    }

    fn set(self, q: &mut QuasiIdentifiers, v: String) {
        match self {
            Attribute::Province => q.province = v,
            Attribute::Industry => q.industry = v,
            Attribute::EquipmentType => q.equipment_type = v,
            Attribute::Grade => q.grade = v,
            Attribute::Year => q.year = v,
        }
    }

    fn index(self) -> usize {
        match self {
            Attribute::Province => 0,
            Attribute::Industry => 1,
            Attribute::EquipmentType => 2,
            Attribute::Grade => 3,
            Attribute::Year => 4,
        }
    }
}

/// Settings of the check.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KAnonConfig {
    /// Minimum class size, the record included (default 5).
    pub k: u64,
    /// Highest level each attribute may be generalized to, in the order province, industry,
    /// equipment type, grade, year (default: each hierarchy's top). Lower ceilings keep more
    /// detail and hold more records back.
    pub ceilings: [u8; 5],
}

impl Default for KAnonConfig {
    fn default() -> Self {
        KAnonConfig {
            k: 5,
            ceilings: [2, 3, 2, 2, 3],
        }
    }
}

/// Whether the record may be published.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    /// Publish with the generalized tuple.
    Publish,
    /// Do not publish; see the reason.
    HoldBack,
}

/// One generalization step.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Step {
    /// The attribute generalized.
    pub attribute: Attribute,
    /// Its value before.
    pub from: String,
    /// Its value after.
    pub to: String,
    /// The class size after the step (record included).
    pub class_size: u64,
    /// Why the step was taken.
    pub reason: String,
}

/// The outcome of the check.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct KAnonOutcome {
    /// Publish or hold back.
    pub decision: Decision,
    /// The tuple as it would be published (as far as the search got, when held back).
    pub tuple: QuasiIdentifiers,
    /// The level of each attribute in `tuple` (province, industry, equipment type, grade, year).
    pub levels: [u8; 5],
    /// The class size of `tuple`, the record included.
    pub class_size: u64,
    /// The `k` that was required.
    pub k: u64,
    /// The steps taken, in order.
    pub steps: Vec<Step>,
    /// A sentence for the uploader.
    pub reason: String,
}

/// Errors in the input tuples.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KAnonError {
    /// A value that is no level of its attribute's hierarchy.
    #[error("`{value}` is not a valid {attribute:?} value")]
    Invalid {
        /// The attribute.
        attribute: Attribute,
        /// The offending value.
        value: String,
    },
    /// k must be at least 1.
    #[error("k must be at least 1")]
    ZeroK,
}

/// A value parsed into its hierarchy: `chain[0]` is the value at level `level`, `chain[i]`
/// the value at level `level + i`, up to the top.
#[derive(Clone, Debug)]
struct Parsed {
    level: u8,
    chain: Vec<String>,
}

impl Parsed {
    fn at(&self, level: u8) -> Option<&str> {
        level
            .checked_sub(self.level)
            .and_then(|i| self.chain.get(i as usize))
            .map(String::as_str)
    }
}

fn invalid(attribute: Attribute, value: &str) -> KAnonError {
    KAnonError::Invalid {
        attribute,
        value: value.to_owned(),
    }
}

fn parse(attribute: Attribute, raw: &str) -> Result<Parsed, KAnonError> {
    let v = raw.trim();
    let chain = |level: u8, values: Vec<String>| {
        Ok(Parsed {
            level,
            chain: values,
        })
    };
    match attribute {
        Attribute::Province => {
            if v == "中国" || v.eq_ignore_ascii_case("china") || v == "*" {
                return chain(2, vec!["中国".into()]);
            }
            if let Some(p) = regions::by_name(v).or_else(|| regions::by_code(v)) {
                return chain(0, vec![p.name_zh.into(), p.region.into(), "中国".into()]);
            }
            if regions::all().iter().any(|p| p.region == v) {
                return chain(1, vec![v.into(), "中国".into()]);
            }
            Err(invalid(attribute, raw))
        }
        Attribute::Industry => {
            let digits = v.trim_start_matches(|c: char| c.is_ascii_uppercase());
            if v == "*" {
                return chain(3, vec!["*".into()]);
            }
            if !digits.bytes().all(|b| b.is_ascii_digit()) || !(2..=4).contains(&digits.len()) {
                return Err(invalid(attribute, raw));
            }
            let level = 4 - digits.len() as u8;
            let mut values: Vec<String> = (2..=digits.len())
                .rev()
                .map(|n| digits[..n].to_owned())
                .collect();
            values.push("*".into());
            chain(level, values)
        }
        Attribute::EquipmentType => {
            const TOP: &str = "heat_transfer_equipment";
            let family = |t: EquipmentType| match t {
                EquipmentType::ShellAndTube
                | EquipmentType::Plate
                | EquipmentType::Condenser
                | EquipmentType::Evaporator
                | EquipmentType::Coil => "heat_exchange_equipment",
                EquipmentType::ImmersionHeater | EquipmentType::ElectricHeater => {
                    "electric_heating_equipment"
                }
                EquipmentType::Other => "other_equipment",
            };
            if v == TOP || v == "*" {
                return chain(2, vec![TOP.into()]);
            }
            if [
                "heat_exchange_equipment",
                "electric_heating_equipment",
                "other_equipment",
            ]
            .contains(&v)
            {
                return chain(1, vec![v.into(), TOP.into()]);
            }
            let t: EquipmentType = v.parse().map_err(|_| invalid(attribute, raw))?;
            chain(0, vec![t.as_str().into(), family(t).into(), TOP.into()])
        }
        Attribute::Grade => {
            const TOP: &str = "titanium";
            const FAMILIES: [&str; 5] = [
                "cp_titanium",
                "pd_alloyed",
                "ru_alloyed",
                "ni_mo_alloyed",
                "other_alloy",
            ];
            if v == TOP || v == "*" {
                return chain(2, vec![TOP.into()]);
            }
            if FAMILIES.contains(&v) {
                return chain(1, vec![v.into(), TOP.into()]);
            }
            let (label, family) = grade_family(v).ok_or_else(|| invalid(attribute, raw))?;
            chain(0, vec![label, family.into(), TOP.into()])
        }
        Attribute::Year => {
            if v == "*" {
                return chain(3, vec!["*".into()]);
            }
            let band = |y: u32, width: u32| {
                let lo = y - y % width;
                format!("{lo}-{}", lo + width - 1)
            };
            if let Ok(y) = v.parse::<u32>()
                && (1900..=2199).contains(&y)
            {
                return chain(0, vec![y.to_string(), band(y, 5), band(y, 10), "*".into()]);
            }
            if let Some((a, b)) = v.split_once(['-', '–'])
                && let (Ok(a), Ok(b)) = (a.trim().parse::<u32>(), b.trim().parse::<u32>())
            {
                if a % 5 == 0 && b == a + 4 {
                    return chain(1, vec![band(a, 5), band(a, 10), "*".into()]);
                }
                if a % 10 == 0 && b == a + 9 {
                    return chain(2, vec![band(a, 10), "*".into()]);
                }
            }
            Err(invalid(attribute, raw))
        }
    }
}

/// The canonical label and family of a grade written as "2", "Gr2", "Grade 7", "TA2", "TA10" ….
fn grade_family(v: &str) -> Option<(String, &'static str)> {
    let upper = v.to_ascii_uppercase().replace([' ', '.'], "");
    if let Some(ta) = upper.strip_prefix("TA") {
        // Chinese designations (GB/T 3620.1): TA0–TA4 and their G forms are commercially pure;
        // TA9 carries Pd (Gr7 equivalent), TA10 is Ti-0.3Mo-0.8Ni (Gr12 equivalent).
        let n: u32 = ta.trim_end_matches('G').parse().ok()?;
        let family = match n {
            0..=4 => "cp_titanium",
            8 | 9 => "pd_alloyed",
            10 => "ni_mo_alloyed",
            _ => "other_alloy",
        };
        return Some((format!("TA{ta}"), family));
    }
    let number = upper
        .strip_prefix("GRADE")
        .or_else(|| upper.strip_prefix("GR"))
        .unwrap_or(&upper);
    let n: u32 = number.parse().ok()?;
    let family = match n {
        1..=4 => "cp_titanium",
        7 | 11 | 16 | 17 => "pd_alloyed",
        13..=15 | 26 | 27 => "ru_alloyed",
        12 => "ni_mo_alloyed",
        5..=40 => "other_alloy",
        _ => return None,
    };
    Some((n.to_string(), family))
}

fn parse_all(q: &QuasiIdentifiers) -> Result<[Parsed; 5], KAnonError> {
    let p = |a: Attribute| parse(a, a.get(q));
    Ok([
        p(Attribute::Province)?,
        p(Attribute::Industry)?,
        p(Attribute::EquipmentType)?,
        p(Attribute::Grade)?,
        p(Attribute::Year)?,
    ])
}

/// Published classes parsed once, to check many records against the same set (a batch
/// released together checks each of its records against all the others).
#[derive(Clone, Debug)]
pub struct Published {
    classes: Vec<([Parsed; 5], u64)>,
}

impl Published {
    /// Parses the classes; a value that is no level of its hierarchy is an error.
    pub fn new(published: &[PublishedClass]) -> Result<Published, KAnonError> {
        Ok(Published {
            classes: published
                .iter()
                .map(|c| parse_all(&c.tuple).map(|p| (p, c.count)))
                .collect::<Result<_, _>>()?,
        })
    }

    /// As [`check`]: `record` against these classes, the record added to its class.
    pub fn check(
        &self,
        record: &QuasiIdentifiers,
        config: &KAnonConfig,
    ) -> Result<KAnonOutcome, KAnonError> {
        check_parsed(record, &self.classes, 1, config)
    }

    /// As [`Published::check`] for a record that is itself among the classes (counted
    /// once there, not added again).
    pub fn check_member(
        &self,
        record: &QuasiIdentifiers,
        config: &KAnonConfig,
    ) -> Result<KAnonOutcome, KAnonError> {
        check_parsed(record, &self.classes, 0, config)
    }
}

/// Checks `record` against the `published` classes and generalizes it until its class has at
/// least `config.k` members (the record included), or holds it back.
pub fn check(
    record: &QuasiIdentifiers,
    published: &[PublishedClass],
    config: &KAnonConfig,
) -> Result<KAnonOutcome, KAnonError> {
    Published::new(published)?.check(record, config)
}

fn check_parsed(
    record: &QuasiIdentifiers,
    theirs: &[([Parsed; 5], u64)],
    itself: u64,
    config: &KAnonConfig,
) -> Result<KAnonOutcome, KAnonError> {
    if config.k == 0 {
        return Err(KAnonError::ZeroK);
    }
    let mine = parse_all(record)?;
    let start: [u8; 5] = std::array::from_fn(|i| mine[i].level);
    let ceilings: [u8; 5] = std::array::from_fn(|i| config.ceilings[i].max(start[i]));

    // For each published class, the lowest level per attribute at which it joins the record's
    // class (None: it never does below the top, e.g. a coarser value than our ceiling allows).
    // Classes joining at the same levels are summed: at most one entry per combination.
    let mut by_levels: std::collections::HashMap<[u8; 5], u64> = std::collections::HashMap::new();
    for (p, n) in theirs {
        let mut lv = [0u8; 5];
        let joined = (0..5).all(|i| {
            match (start[i]..=ceilings[i])
                .find(|&l| p[i].at(l).is_some() && p[i].at(l) == mine[i].at(l))
            {
                Some(l) => {
                    lv[i] = l;
                    true
                }
                None => false,
            }
        });
        if joined {
            *by_levels.entry(lv).or_default() += *n;
        }
    }
    let joins: Vec<([u8; 5], u64)> = by_levels.into_iter().collect();
    let class_size = |levels: &[u8; 5]| -> u64 {
        itself
            + joins
                .iter()
                .filter(|(lv, _)| (0..5).all(|i| lv[i] <= levels[i]))
                .map(|(_, n)| *n)
                .sum::<u64>()
    };
    let value_at = |i: usize, level: u8| mine[i].at(level).unwrap_or("*").to_owned();
    let cost = |levels: &[u8; 5]| -> u32 {
        Attribute::SEARCH_ORDER
            .iter()
            .map(|a| a.weight() * u32::from(levels[a.index()] - start[a.index()]))
            .sum()
    };
    // Tie-break key: grade, province, industry, equipment type, year levels (smaller first).
    let keep_detail = |levels: &[u8; 5]| -> [u8; 5] {
        let mut key = [0u8; 5];
        for (k, a) in Attribute::SEARCH_ORDER.iter().rev().enumerate() {
            key[k] = levels[a.index()];
        }
        key
    };

    let mut best: Option<([u8; 5], u64)> = None;
    let mut levels = start;
    loop {
        let size = class_size(&levels);
        if size >= config.k {
            let better = match &best {
                None => true,
                Some((b, bsize)) => {
                    (cost(&levels), std::cmp::Reverse(size), keep_detail(&levels))
                        < (cost(b), std::cmp::Reverse(*bsize), keep_detail(b))
                }
            };
            if better {
                best = Some((levels, size));
            }
        }
        // Next combination (odometer over the five attributes).
        let mut i = 0;
        loop {
            if i == 5 {
                break;
            }
            if levels[i] < ceilings[i] {
                levels[i] += 1;
                break;
            }
            levels[i] = start[i];
            i += 1;
        }
        if i == 5 {
            break;
        }
    }

    let initial_size = class_size(&start);
    let (target, size) = best.unwrap_or((ceilings, class_size(&ceilings)));
    let mut steps = Vec::new();
    let mut current = start;
    let mut before = initial_size;
    for a in Attribute::SEARCH_ORDER {
        let i = a.index();
        if target[i] == current[i] {
            continue;
        }
        let from = value_at(i, current[i]);
        current[i] = target[i];
        let after = class_size(&current);
        steps.push(Step {
            attribute: a,
            from,
            to: value_at(i, current[i]),
            class_size: after,
            reason: if best.is_some() {
                format!(
                    "class of {before} < k = {}; part of the least-loss generalization that reaches k",
                    config.k
                )
            } else {
                format!("class of {before} < k = {}; raised to the ceiling", config.k)
            },
        });
        before = after;
    }
    let mut tuple = record.clone();
    for a in Attribute::SEARCH_ORDER {
        a.set(&mut tuple, value_at(a.index(), target[a.index()]));
    }
    let (decision, reason) = if best.is_some() {
        let reason = if steps.is_empty() {
            format!("already in a class of {size} ≥ k = {}", config.k)
        } else {
            format!(
                "generalized {} attribute(s) to reach a class of {size} ≥ k = {}",
                steps.len(),
                config.k
            )
        };
        (Decision::Publish, reason)
    } else {
        (
            Decision::HoldBack,
            format!(
                "even at the coarsest allowed levels the class has {size} record(s) < k = {}; \
                 publishing would single out the enterprise, so the case is held back until more \
                 similar cases are published or the ceilings are raised",
                config.k
            ),
        )
    };
    Ok(KAnonOutcome {
        decision,
        tuple,
        levels: target,
        class_size: size,
        k: config.k,
        steps,
        reason,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(
        province: &str,
        industry: &str,
        equipment: &str,
        grade: &str,
        year: &str,
    ) -> QuasiIdentifiers {
        QuasiIdentifiers {
            province: province.into(),
            industry: industry.into(),
            equipment_type: equipment.into(),
            grade: grade.into(),
            year: year.into(),
        }
    }

    fn class(t: QuasiIdentifiers, count: u64) -> PublishedClass {
        PublishedClass { tuple: t, count }
    }

    #[test]
    fn a_record_in_a_large_class_is_published_unchanged() {
        let rec = q("江苏省", "C2612", "plate_heat_exchanger", "Gr2", "2023");
        let published = [class(
            q("32", "2612", "plate_heat_exchanger", "2", "2023"),
            4,
        )];
        let out = check(&rec, &published, &KAnonConfig::default()).unwrap();
        assert_eq!(out.decision, Decision::Publish);
        assert!(out.steps.is_empty());
        assert_eq!(out.class_size, 5);
        assert_eq!(out.tuple.province, "江苏省");
        assert_eq!(out.tuple.grade, "2");
    }

    #[test]
    fn the_year_is_widened_first_when_that_suffices() {
        let rec = q("江苏省", "2612", "plate_heat_exchanger", "Gr2", "2023");
        let published = [
            class(q("江苏省", "2612", "plate_heat_exchanger", "2", "2021"), 2),
            class(q("江苏省", "2612", "plate_heat_exchanger", "2", "2024"), 2),
        ];
        let out = check(&rec, &published, &KAnonConfig::default()).unwrap();
        assert_eq!(out.decision, Decision::Publish);
        assert_eq!(out.steps.len(), 1);
        assert_eq!(out.steps[0].attribute, Attribute::Year);
        assert_eq!(out.tuple.year, "2020-2024");
    }

    #[test]
    fn the_step_with_the_largest_class_wins() {
        // Other provinces of the eastern region have many such cases; other years do not.
        let rec = q("海南省", "2612", "plate_heat_exchanger", "Gr7", "2023");
        let published = [
            class(q("浙江省", "2612", "plate_heat_exchanger", "7", "2023"), 6),
            class(q("海南省", "2612", "plate_heat_exchanger", "7", "2021"), 1),
        ];
        let out = check(&rec, &published, &KAnonConfig::default()).unwrap();
        assert_eq!(out.decision, Decision::Publish);
        assert_eq!(out.steps[0].attribute, Attribute::Province);
        assert_eq!(out.tuple.province, "东部地区");
        assert_eq!(out.class_size, 7);
    }

    #[test]
    fn coarser_published_values_only_count_at_their_level() {
        let rec = q("江苏省", "2612", "coil", "TA2", "2023");
        let published = [class(
            q(
                "东部地区",
                "26",
                "heat_exchange_equipment",
                "cp_titanium",
                "2020-2024",
            ),
            10,
        )];
        let out = check(&rec, &published, &KAnonConfig::default()).unwrap();
        assert_eq!(out.decision, Decision::Publish);
        assert_eq!(
            out.tuple,
            q(
                "东部地区",
                "26",
                "heat_exchange_equipment",
                "cp_titanium",
                "2020-2024"
            )
        );
        assert_eq!(out.class_size, 11);
    }

    #[test]
    fn held_back_when_nothing_similar_is_published() {
        let rec = q("西藏自治区", "4411", "electric_heater", "Gr12", "2024");
        let out = check(&rec, &[], &KAnonConfig::default()).unwrap();
        assert_eq!(out.decision, Decision::HoldBack);
        assert_eq!(out.levels, [2, 3, 2, 2, 3]);
        assert!(out.reason.contains("held back"));
        let low = KAnonConfig {
            k: 1,
            ..KAnonConfig::default()
        };
        assert_eq!(check(&rec, &[], &low).unwrap().decision, Decision::Publish);
    }

    #[test]
    fn ceilings_limit_the_search() {
        let rec = q("江苏省", "2612", "plate_heat_exchanger", "Gr2", "2023");
        let published = [class(
            q("浙江省", "2612", "plate_heat_exchanger", "2", "2023"),
            10,
        )];
        let config = KAnonConfig {
            ceilings: [0, 3, 2, 2, 3],
            ..KAnonConfig::default()
        };
        let out = check(&rec, &published, &config).unwrap();
        assert_eq!(out.decision, Decision::HoldBack);
        assert_eq!(out.tuple.province, "江苏省");
    }

    #[test]
    fn invalid_values_are_reported() {
        let rec = q("Atlantis", "2612", "plate_heat_exchanger", "Gr2", "2023");
        assert!(matches!(
            check(&rec, &[], &KAnonConfig::default()),
            Err(KAnonError::Invalid {
                attribute: Attribute::Province,
                ..
            })
        ));
        let rec = q("江苏省", "2612", "teapot", "Gr2", "2023");
        assert!(check(&rec, &[], &KAnonConfig::default()).is_err());
    }

    #[test]
    fn hierarchies() {
        assert_eq!(
            parse(Attribute::Year, "2023").unwrap().chain,
            ["2023", "2020-2024", "2020-2029", "*"]
        );
        assert_eq!(
            parse(Attribute::Industry, "C2612").unwrap().chain,
            ["2612", "261", "26", "*"]
        );
        assert_eq!(
            parse(Attribute::Grade, "TA10").unwrap().chain,
            ["TA10", "ni_mo_alloyed", "titanium"]
        );
        assert_eq!(
            parse(Attribute::Grade, "Grade 7").unwrap().chain,
            ["7", "pd_alloyed", "titanium"]
        );
        assert_eq!(
            parse(Attribute::Province, "440305").unwrap().chain,
            ["广东省", "东部地区", "中国"]
        );
        assert_eq!(parse(Attribute::Year, "2020-2024").unwrap().level, 1);
    }
}
