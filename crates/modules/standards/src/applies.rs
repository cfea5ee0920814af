//! Whether a clause applies to an equipment item, and why.
//!
//! A clause's applicability is a conjunction: every condition it states must hold for the
//! item. A condition on a fact the item does not record (no temperature given, no grade
//! yet) does not hold; it is reported as *unknown*, so the person sees what would decide
//! it. A clause therefore never applies to an item outside its conditions.

use serde::{Deserialize, Serialize};

/// An inclusive range on a number; either end may be open.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Range {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<f64>,
}

impl Range {
    pub fn contains(&self, v: f64) -> bool {
        self.min.is_none_or(|m| v >= m) && self.max.is_none_or(|m| v <= m)
    }

    /// `≥ 70`, `≤ 3`, `1 – 8`.
    pub fn text(&self) -> String {
        let n = |v: f64| {
            let s = format!("{v:.3}");
            s.trim_end_matches('0').trim_end_matches('.').to_owned()
        };
        match (self.min, self.max) {
            (Some(a), Some(b)) => format!("{} – {}", n(a), n(b)),
            (Some(a), None) => format!("≥ {}", n(a)),
            (None, Some(b)) => format!("≤ {}", n(b)),
            (None, None) => "any".to_owned(),
        }
    }
}

/// The conditions under which a clause applies. An empty list or an absent range means
/// "any".
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Applies {
    /// GB/T 4754 codes of the owner's industry (a code also covers its sub-codes).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub industries: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub equipment_types: Vec<String>,
    /// ASTM titanium grade numbers.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub grades: Vec<String>,
    /// Words of the process medium (matched with their synonyms in both languages).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub media: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub temperature_c: Option<Range>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chloride_mg_l: Option<Range>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fluoride_mg_l: Option<Range>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ph: Option<Range>,
    /// ISO 9223 atmospheric corrosivity categories of the site.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub corrosivity: Vec<String>,
    /// GB/T 2260 province codes of the owner.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub provinces: Vec<String>,
    /// Crevices by design or deposits on the wetted surface (either), or neither.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub crevices_or_deposits: Option<bool>,
    /// The more active metals electrically connected to the titanium (risk-model
    /// `galvanic_partner` values).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub galvanic_partners: Vec<String>,
}

/// What the platform knows of an item, for matching.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ItemFacts {
    /// The owner's GB/T 4754 code.
    pub industry: Option<String>,
    /// The owner's province, six digits.
    pub province: Option<String>,
    pub equipment_type: String,
    /// ASTM grade number; `None` for a grade the registry does not name.
    pub grade: Option<String>,
    /// The process medium as written, in lower case.
    pub medium: Option<String>,
    pub temperature_c: Option<f64>,
    pub chloride_mg_l: Option<f64>,
    pub fluoride_mg_l: Option<f64>,
    pub ph: Option<f64>,
    /// The current risk grade, `I` to `IV`.
    pub risk_grade: Option<String>,
    /// ISO 9223 category of the site, when known.
    pub corrosivity: Option<String>,
    /// Crevices or deposits: true if either is present, false if neither, unknown else.
    pub crevices_or_deposits: Option<bool>,
    /// The electrically connected metal (`none` when there is none).
    pub galvanic_partner: Option<String>,
}

impl ItemFacts {
    /// The `crevices_or_deposits` fact from the two flags a record keeps: true if either is
    /// present, false if neither is, unknown otherwise.
    pub fn crevices_or_deposits_of(crevice: Option<bool>, deposits: Option<bool>) -> Option<bool> {
        match (crevice, deposits) {
            (Some(true), _) | (_, Some(true)) => Some(true),
            (Some(false), Some(false)) => Some(false),
            _ => None,
        }
    }
}

/// How one condition came out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Met,
    NotMet,
    /// The item does not record the fact the condition needs.
    Unknown,
}

/// One condition of a clause checked against an item.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Check {
    /// `industry`, `equipment_type`, `grade`, `medium`, `temperature_c`, `chloride_mg_l`,
    /// `fluoride_mg_l`, `ph`, `corrosivity`, `province` or `risk_grade`.
    pub condition: String,
    /// What the clause asks, e.g. `≥ 70` or `1, 2`.
    pub wanted: String,
    /// What the item has, if it records it.
    pub actual: Option<String>,
    pub verdict: Verdict,
}

/// Whether a clause applies, with every condition checked.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Outcome {
    pub applies: bool,
    pub checks: Vec<Check>,
}

/// Synonyms of medium words: a word and the other words that mean the same.
pub trait Synonyms {
    fn synonyms(&self, word: &str) -> Vec<String>;
}

/// No synonyms: a word matches only itself.
pub struct Literal;

impl Synonyms for Literal {
    fn synonyms(&self, word: &str) -> Vec<String> {
        vec![word.to_lowercase()]
    }
}

fn list_check(
    name: &str,
    wanted: &[String],
    actual: Option<&str>,
    holds: impl Fn(&str) -> bool,
) -> Option<Check> {
    if wanted.is_empty() {
        return None;
    }
    let verdict = match actual {
        None => Verdict::Unknown,
        Some(a) if holds(a) => Verdict::Met,
        Some(_) => Verdict::NotMet,
    };
    Some(Check {
        condition: name.to_owned(),
        wanted: wanted.join(", "),
        actual: actual.map(str::to_owned),
        verdict,
    })
}

fn range_check(name: &str, wanted: Option<&Range>, actual: Option<f64>) -> Option<Check> {
    let r = wanted?;
    let verdict = match actual {
        None => Verdict::Unknown,
        Some(v) if r.contains(v) => Verdict::Met,
        Some(_) => Verdict::NotMet,
    };
    Some(Check {
        condition: name.to_owned(),
        wanted: r.text(),
        actual: actual.map(|v| {
            let s = format!("{v:.3}");
            s.trim_end_matches('0').trim_end_matches('.').to_owned()
        }),
        verdict,
    })
}

/// Checks a clause's conditions and risk grades against an item.
pub fn check(
    applies: &Applies,
    risk_grades: &[String],
    item: &ItemFacts,
    synonyms: &dyn Synonyms,
) -> Outcome {
    let mut checks = Vec::new();
    let mut push = |c: Option<Check>| checks.extend(c);
    push(list_check(
        "industry",
        &applies.industries,
        item.industry.as_deref(),
        |a| applies.industries.iter().any(|w| a.starts_with(w.as_str())),
    ));
    push(list_check(
        "equipment_type",
        &applies.equipment_types,
        Some(&item.equipment_type),
        |a| applies.equipment_types.iter().any(|w| w == a),
    ));
    push(list_check(
        "grade",
        &applies.grades,
        item.grade.as_deref(),
        |a| applies.grades.iter().any(|w| w == a),
    ));
    push(list_check(
        "medium",
        &applies.media,
        item.medium.as_deref(),
        |a| {
            let a = a.to_lowercase();
            applies
                .media
                .iter()
                .any(|w| synonyms.synonyms(w).iter().any(|s| a.contains(s.as_str())))
        },
    ));
    push(range_check(
        "temperature_c",
        applies.temperature_c.as_ref(),
        item.temperature_c,
    ));
    push(range_check(
        "chloride_mg_l",
        applies.chloride_mg_l.as_ref(),
        item.chloride_mg_l,
    ));
    push(range_check(
        "fluoride_mg_l",
        applies.fluoride_mg_l.as_ref(),
        item.fluoride_mg_l,
    ));
    push(range_check("ph", applies.ph.as_ref(), item.ph));
    push(list_check(
        "corrosivity",
        &applies.corrosivity,
        item.corrosivity.as_deref(),
        |a| applies.corrosivity.iter().any(|w| w == a),
    ));
    push(list_check(
        "province",
        &applies.provinces,
        item.province.as_deref(),
        |a| applies.provinces.iter().any(|w| w == a),
    ));
    if let Some(wanted) = applies.crevices_or_deposits {
        let verdict = match item.crevices_or_deposits {
            None => Verdict::Unknown,
            Some(v) if v == wanted => Verdict::Met,
            Some(_) => Verdict::NotMet,
        };
        push(Some(Check {
            condition: "crevices_or_deposits".to_owned(),
            wanted: if wanted { "yes" } else { "no" }.to_owned(),
            actual: item
                .crevices_or_deposits
                .map(|v| if v { "yes" } else { "no" }.to_owned()),
            verdict,
        }));
    }
    push(list_check(
        "galvanic_partner",
        &applies.galvanic_partners,
        item.galvanic_partner.as_deref(),
        |a| applies.galvanic_partners.iter().any(|w| w == a),
    ));
    // A clause for every grade says nothing about the risk grade: no condition.
    if !risk_grades.is_empty() && risk_grades.len() < 4 {
        push(list_check(
            "risk_grade",
            risk_grades,
            item.risk_grade.as_deref(),
            |a| risk_grades.iter().any(|w| w == a),
        ));
    }
    let applies = checks.iter().all(|c| c.verdict == Verdict::Met);
    Outcome { applies, checks }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn range() -> impl Strategy<Value = Option<Range>> {
        prop::option::of(
            (
                prop::option::of(-20.0f64..200.0),
                prop::option::of(-20.0f64..200.0),
            )
                .prop_map(|(min, max)| Range { min, max }),
        )
    }

    fn words(pool: &'static [&'static str]) -> impl Strategy<Value = Vec<String>> {
        prop::collection::vec(prop::sample::select(pool), 0..3)
            .prop_map(|v| v.into_iter().map(str::to_owned).collect())
    }

    const TYPES: &[&str] = &["plate_heat_exchanger", "condenser", "coil"];
    const GRADES: &[&str] = &["1", "2", "7", "12"];
    const INDUSTRIES: &[&str] = &["2612", "26", "4411", "3360"];
    const MEDIA: &[&str] = &["brine", "seawater", "acid"];
    const RISK: &[&str] = &["I", "II", "III", "IV"];

    const PARTNERS: &[&str] = &["none", "carbon_steel", "copper_alloy"];

    fn applies() -> impl Strategy<Value = Applies> {
        (
            words(INDUSTRIES),
            words(TYPES),
            words(GRADES),
            words(MEDIA),
            range(),
            range(),
            range(),
            prop::option::of(any::<bool>()),
            words(PARTNERS),
        )
            .prop_map(
                |(industries, types, grades, media, t, cl, ph, crevices, partners)| Applies {
                    industries,
                    equipment_types: types,
                    grades,
                    media,
                    temperature_c: t,
                    chloride_mg_l: cl,
                    ph,
                    crevices_or_deposits: crevices,
                    galvanic_partners: partners,
                    ..Applies::default()
                },
            )
    }

    fn item() -> impl Strategy<Value = ItemFacts> {
        (
            prop::option::of(prop::sample::select(&["2612", "2614", "4411", "3360"][..])),
            prop::sample::select(TYPES),
            prop::option::of(prop::sample::select(GRADES)),
            prop::option::of(prop::sample::select(
                &["hot brine", "seawater coolant", "cooling water"][..],
            )),
            prop::option::of(-20.0f64..200.0),
            prop::option::of(0.0f64..200.0),
            prop::option::of(-1.0f64..14.0),
            prop::option::of(prop::sample::select(RISK)),
        )
            .prop_map(
                |(industry, t, grade, medium, temp, cl, ph, risk)| ItemFacts {
                    industry: industry.map(str::to_owned),
                    equipment_type: t.to_owned(),
                    grade: grade.map(str::to_owned),
                    medium: medium.map(str::to_owned),
                    temperature_c: temp,
                    chloride_mg_l: cl,
                    ph,
                    risk_grade: risk.map(str::to_owned),
                    ..ItemFacts::default()
                },
            )
    }

    proptest! {
        /// A clause applies exactly when every condition it states holds for the item: a
        /// value outside a range, a type, grade, industry or medium not listed, an unknown
        /// fact, or a risk grade not listed never lets it apply.
        #[test]
        fn a_clause_never_applies_outside_its_conditions(
            a in applies(),
            risk in words(RISK),
            i in item(),
        ) {
            let o = check(&a, &risk, &i, &Literal);
            let in_range = |r: &Option<Range>, v: Option<f64>| match r {
                None => true,
                Some(r) => v.is_some_and(|v| r.contains(v)),
            };
            let listed = |list: &[String], v: Option<&str>, eq: &dyn Fn(&str, &str) -> bool| {
                list.is_empty() || v.is_some_and(|v| list.iter().any(|w| eq(w, v)))
            };
            let expected = in_range(&a.temperature_c, i.temperature_c)
                && in_range(&a.chloride_mg_l, i.chloride_mg_l)
                && in_range(&a.ph, i.ph)
                && listed(&a.equipment_types, Some(&i.equipment_type), &|w, v| w == v)
                && listed(&a.grades, i.grade.as_deref(), &|w, v| w == v)
                && listed(&a.industries, i.industry.as_deref(), &|w, v| v.starts_with(w))
                && listed(&a.media, i.medium.as_deref(), &|w, v| v.contains(w))
                && a.crevices_or_deposits.is_none_or(|w| i.crevices_or_deposits == Some(w))
                && listed(&a.galvanic_partners, i.galvanic_partner.as_deref(), &|w, v| w == v)
                && (risk.is_empty() || risk.len() >= 4
                    || listed(&risk, i.risk_grade.as_deref(), &|w, v| w == v));
            prop_assert_eq!(o.applies, expected, "{:?}", o);
            // Every stated condition is explained, and an unknown fact is never "met".
            for c in &o.checks {
                if c.actual.is_none() {
                    prop_assert_eq!(c.verdict, Verdict::Unknown);
                }
            }
            if o.applies {
                prop_assert!(o.checks.iter().all(|c| c.verdict == Verdict::Met));
            }
        }
    }

    #[test]
    fn a_brine_clause_explains_why_it_applies_and_why_not() {
        let a = Applies {
            grades: vec!["1".into(), "2".into()],
            temperature_c: Some(Range {
                min: Some(70.0),
                max: None,
            }),
            ..Applies::default()
        };
        let mut item = ItemFacts {
            equipment_type: "plate_heat_exchanger".into(),
            grade: Some("2".into()),
            temperature_c: Some(85.0),
            ..ItemFacts::default()
        };
        let o = check(&a, &[], &item, &Literal);
        assert!(o.applies);
        assert_eq!(o.checks.len(), 2);
        assert_eq!(o.checks[1].wanted, "≥ 70");
        assert_eq!(o.checks[1].actual.as_deref(), Some("85"));
        item.temperature_c = Some(60.0);
        let o = check(&a, &[], &item, &Literal);
        assert!(!o.applies);
        assert_eq!(o.checks[1].verdict, Verdict::NotMet);
        item.temperature_c = None;
        let o = check(&a, &[], &item, &Literal);
        assert!(!o.applies);
        assert_eq!(o.checks[1].verdict, Verdict::Unknown);
    }
}
