//! The consequence category: given, or the more severe of the safety letter (project
//! convention) and the financial letter (API 581 exchanger-bundle bands of the rule file).

use serde_json::json;
use ticorr_risk::{Cof, ConsequenceInputs, ConsequenceScheme, RuleSet, RuleSetError};

fn read(path: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/../../../refdata/{path}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

fn scheme() -> (RuleSet, ConsequenceScheme) {
    let rules = RuleSet::load(&read("risk_model.json")).unwrap();
    let scheme = ConsequenceScheme::load(&read("risk_consequence.json"), &rules).unwrap();
    (rules, scheme)
}

fn inputs(h: Option<&str>, p: Option<&str>, usd: Option<f64>) -> ConsequenceInputs {
    ConsequenceInputs {
        medium_hazard: h.map(str::to_owned),
        people_nearby: p.map(str::to_owned),
        failure_cost_usd: usd,
    }
}

#[test]
fn the_financial_letter_follows_the_exchanger_bundle_bands_of_the_rule_file() {
    let (rules, s) = scheme();
    assert_eq!(rules.financial.as_ref().unwrap().verification, "verified");
    for (usd, letter) in [
        (0.0, Cof::A),
        (10_000.0, Cof::A),
        (10_000.01, Cof::B),
        (50_000.0, Cof::B),
        (150_000.0, Cof::C),
        (150_001.0, Cof::D),
        (1_000_000.0, Cof::D),
        (5_000_000.0, Cof::E),
    ] {
        assert_eq!(s.financial(usd), letter, "{usd}");
    }
}

#[test]
fn the_more_severe_letter_wins_and_a_given_category_is_kept() {
    let (_, s) = scheme();
    // Chlorine next to a manned workshop is E whatever the cost.
    let c = s
        .category(
            None,
            &inputs(Some("toxic"), Some("continuously"), Some(5_000.0)),
        )
        .unwrap();
    assert_eq!(
        (c.category, c.safety, c.financial),
        (Cof::E, Some(Cof::E), Some(Cof::A))
    );
    assert_eq!(c.basis, "derived");
    // A cooling-water exchanger whose failure stops a line for a week: the cost decides.
    let c = s
        .category(
            None,
            &inputs(Some("non_hazardous"), Some("rarely"), Some(400_000.0)),
        )
        .unwrap();
    assert_eq!(
        (c.category, c.safety, c.financial),
        (Cof::D, Some(Cof::A), Some(Cof::D))
    );
    // Either part alone is enough; the safety part needs both of its answers.
    assert_eq!(
        s.category(None, &inputs(None, None, Some(20_000.0)))
            .unwrap()
            .category,
        Cof::B
    );
    assert_eq!(
        s.category(None, &inputs(Some("flammable"), Some("occasionally"), None))
            .unwrap()
            .category,
        Cof::C
    );
    assert!(
        s.category(None, &inputs(Some("flammable"), None, None))
            .is_none()
    );
    assert!(s.category(None, &ConsequenceInputs::default()).is_none());
    let given = s
        .category(
            Some(Cof::B),
            &inputs(Some("toxic"), Some("continuously"), None),
        )
        .unwrap();
    assert_eq!((given.category, given.basis), (Cof::B, "given"));
}

#[test]
fn every_hazard_and_presence_has_a_letter_that_grows_with_both() {
    let (_, s) = scheme();
    let letter = |h: &str, p: &str| {
        s.category(None, &inputs(Some(h), Some(p), None))
            .unwrap()
            .category
    };
    for (i, h) in s.medium_hazard.iter().enumerate() {
        for (j, p) in s.people_nearby.iter().enumerate() {
            if i > 0 {
                assert!(letter(&h.id, &p.id) >= letter(&s.medium_hazard[i - 1].id, &p.id));
            }
            if j > 0 {
                assert!(letter(&h.id, &p.id) >= letter(&h.id, &s.people_nearby[j - 1].id));
            }
        }
    }
}

#[test]
fn consequence_inputs_are_checked() {
    let (_, s) = scheme();
    assert_eq!(
        s.read(Some("toxic"), Some("rarely"), Some(&json!(12000)))
            .unwrap(),
        inputs(Some("toxic"), Some("rarely"), Some(12_000.0))
    );
    let e = s.read(Some("explosive"), None, None).unwrap_err();
    assert_eq!(e.field, "medium_hazard");
    let e = s.read(None, Some("sometimes"), None).unwrap_err();
    assert_eq!(e.field, "people_nearby");
    let e = s.read(None, None, Some(&json!(-1))).unwrap_err();
    assert_eq!(e.field, "failure_cost_usd");
}

#[test]
fn a_scheme_with_a_hole_in_its_table_is_refused() {
    let (rules, _) = scheme();
    let mut doc: serde_json::Value =
        serde_json::from_slice(&read("risk_consequence.json")).unwrap();
    doc["safety_category"]["toxic"]
        .as_object_mut()
        .unwrap()
        .remove("rarely");
    let err = ConsequenceScheme::load(&serde_json::to_vec(&doc).unwrap(), &rules).unwrap_err();
    let RuleSetError::Invalid(problems) = err else {
        panic!("{err}")
    };
    assert!(
        problems
            .iter()
            .any(|p| p.contains("safety_category.toxic.rarely")),
        "{problems:?}"
    );
}
