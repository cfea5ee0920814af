//! A suggested classification for an uploaded case: the damage mechanism and root-cause
//! categories its own words and conditions point at. The curator confirms or corrects it.
//!
//! Mechanism: each mechanism scores two points per distinct word of
//! `data/classification.json` found in the case's texts, plus the susceptibility the risk
//! engine gives it under the case's conditions (none 0 … very high 4). The best score wins;
//! nothing at all gives `other`. Root causes: every category with a word in the texts.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use serde::{Deserialize, Serialize};

use crate::model::{Mechanism, RootCause, ValidCase};

#[derive(Deserialize)]
struct Words {
    mechanisms: BTreeMap<String, Vec<String>>,
    root_causes: BTreeMap<String, Vec<String>>,
}

static WORDS: LazyLock<Words> = LazyLock::new(|| {
    serde_json::from_str(include_str!("../data/classification.json"))
        .expect("data/classification.json is checked by a test")
});

/// What the platform suggests, and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Suggestion {
    pub mechanism: Mechanism,
    pub root_causes: Vec<RootCause>,
    /// The words and engine findings behind the suggestion, for the curator.
    pub basis: Vec<String>,
}

fn text_of(case: &ValidCase) -> String {
    let i = &case.input;
    [
        &i.title_zh,
        &i.title_en,
        &i.narrative_zh,
        &i.narrative_en,
        &i.location,
        &i.morphology,
        &i.metallography,
        &i.direct_cause,
        &i.rectification,
        &i.lessons_zh,
        &i.lessons_en,
    ]
    .iter()
    .filter_map(|t| t.as_deref())
    .collect::<Vec<_>>()
    .join("\n")
    .to_lowercase()
}

/// The case's conditions as risk-model inputs.
fn inputs(case: &ValidCase) -> serde_json::Map<String, serde_json::Value> {
    let i = &case.input;
    let mut m = serde_json::Map::new();
    if case.grade != ticorr_kernel::equipment::TitaniumGrade::Other {
        m.insert("grade".into(), case.grade.as_str().into());
    }
    for (k, v) in [
        ("temperature_c", i.temperature_c),
        ("ph", i.ph),
        ("chloride_mg_l", i.chloride_mg_l),
        ("fluoride_mg_l", i.fluoride_mg_l),
        ("velocity_m_s", i.velocity_m_s),
    ] {
        if let Some(v) = v {
            m.insert(k.into(), v.into());
        }
    }
    for (k, v) in [
        ("crevice_present", i.crevice_present),
        ("deposits_present", i.deposits_present),
    ] {
        if let Some(v) = v {
            m.insert(k.into(), v.into());
        }
    }
    m
}

/// Suggests a classification for `case`.
pub fn suggest(case: &ValidCase) -> Suggestion {
    let text = text_of(case);
    let mut basis = Vec::new();
    let mut scores: BTreeMap<Mechanism, u32> = BTreeMap::new();
    for (id, words) in &WORDS.mechanisms {
        let Ok(m) = id.parse::<Mechanism>() else {
            continue;
        };
        let found: Vec<&String> = words
            .iter()
            .filter(|w| text.contains(&w.to_lowercase()))
            .collect();
        if !found.is_empty() {
            *scores.entry(m).or_default() += 2 * found.len() as u32;
            basis.push(format!(
                "{id}: {}",
                found
                    .iter()
                    .map(|w| format!("“{}”", w.trim()))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
    }
    if let Ok(risk) = ticorr_platform::risk::load()
        && let Ok(read) = risk.rules.read_inputs(&inputs(case))
    {
        for r in risk.rules.probability(&read).mechanisms {
            let rank = r.susceptibility as u32;
            if rank > 0
                && let Ok(m) = r.id.parse::<Mechanism>()
            {
                *scores.entry(m).or_default() += rank;
                basis.push(format!(
                    "{}: {:?} under the case's conditions (risk engine)",
                    r.id, r.susceptibility
                ));
            }
        }
    }
    let mechanism = Mechanism::ALL
        .iter()
        .copied()
        .filter(|m| scores.get(m).copied().unwrap_or(0) > 0)
        .max_by_key(|m| (scores[m], std::cmp::Reverse(*m)))
        .unwrap_or(Mechanism::Other);
    let root_causes = RootCause::ALL
        .iter()
        .copied()
        .filter(|c| {
            WORDS
                .root_causes
                .get(c.as_str())
                .is_some_and(|ws| ws.iter().any(|w| text.contains(&w.to_lowercase())))
        })
        .collect();
    Suggestion {
        mechanism,
        root_causes,
        basis,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::CaseInput;

    #[test]
    fn the_word_list_names_only_known_mechanisms_and_causes() {
        for id in WORDS.mechanisms.keys() {
            assert!(id.parse::<Mechanism>().is_ok(), "{id}");
        }
        for id in WORDS.root_causes.keys() {
            assert!(id.parse::<RootCause>().is_ok(), "{id}");
        }
    }

    #[test]
    fn words_and_conditions_point_at_a_mechanism() {
        let case = CaseInput {
            title_en: Some("Leak at the gasket of a plate exchanger".into()),
            failure_date: "2024-01-02".into(),
            equipment_type: "plate_heat_exchanger".into(),
            grade: "2".into(),
            narrative_en: Some(
                "Crevice corrosion under the gasket after a temperature excursion; the wrong grade was chosen at design."
                    .into(),
            ),
            temperature_c: Some(95.0),
            chloride_mg_l: Some(20_000.0),
            crevice_present: Some(true),
            ..CaseInput::default()
        }
        .validate(time::macros::date!(2026 - 01 - 01), "320000", Some("2612"))
        .unwrap();
        let s = suggest(&case);
        assert_eq!(s.mechanism, Mechanism::CreviceHotChloride);
        assert!(s.root_causes.contains(&RootCause::DesignMaterial));
        assert!(s.root_causes.contains(&RootCause::OperatingExcursion));
        assert!(!s.basis.is_empty());
    }
}
