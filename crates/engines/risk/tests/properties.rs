//! Properties of the engine over generated conditions. Numbers are drawn around the
//! thresholds the rule file itself uses, so every boundary is crossed.

use std::collections::BTreeMap;

use proptest::prelude::*;
use ticorr_risk::{Cof, Inputs, Kind, RuleSet, Susceptibility, Value};

fn rules() -> RuleSet {
    RuleSet::load(
        &std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../../refdata/risk_model.json"
        ))
        .unwrap(),
    )
    .unwrap()
}

/// The candidate values of each input: for numbers, every threshold the file compares
/// them with, and a little below and above it.
fn candidates(rs: &RuleSet) -> BTreeMap<String, Vec<Value>> {
    let mut out: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    for spec in &rs.inputs {
        let values = match &spec.kind {
            Kind::Bool => vec![Value::Bool(false), Value::Bool(true)],
            Kind::Enum(v) | Kind::Grade(v) => v.iter().map(|s| Value::Text(s.clone())).collect(),
            Kind::Text => vec![Value::Text("other".into())],
            Kind::Number => {
                // Inputs the rules read only through a derived value (water in chlorine)
                // get a spread of their own.
                let mut xs = vec![0.0, 0.5, 1.0, 1.5, 2.0, 5.0];
                for t in rs.thresholds(&spec.name) {
                    let step = (t.abs() * 0.05).max(0.01);
                    xs.extend([t - step, t, t + step]);
                }
                xs.sort_by(f64::total_cmp);
                xs.dedup();
                xs.into_iter().map(Value::Number).collect()
            }
        };
        out.insert(spec.name.clone(), values);
    }
    out
}

/// Full inputs, and which of them to keep.
fn conditions() -> impl Strategy<Value = (Inputs, Vec<bool>)> {
    let rs = rules();
    let cands = candidates(&rs);
    let n = cands.len();
    let picks: Vec<_> = cands
        .into_iter()
        .map(|(name, values)| {
            (0..values.len()).prop_map(move |i| (name.clone(), values[i].clone()))
        })
        .collect();
    (picks, proptest::collection::vec(any::<bool>(), n)).prop_map(|(pairs, keep)| {
        let mut inputs = Inputs::new();
        for (name, value) in pairs {
            inputs.set(name, value);
        }
        (inputs, keep)
    })
}

/// Inputs the file reads with `is_null`: their absence is itself a fact (no cathodic
/// protection when no potential is given), so it is never "filled in" below.
fn absence_matters(rs: &RuleSet) -> Vec<String> {
    let mut out = Vec::new();
    for m in &rs.mechanisms {
        let conditions = m
            .rules
            .iter()
            .map(|r| &r.when)
            .chain(m.adjust.iter().map(|a| &a.when));
        for c in conditions.flat_map(|c| c.comparisons()) {
            if c.op == ticorr_risk::Op::IsNull && !out.contains(&c.param) {
                out.push(c.param.clone());
            }
        }
    }
    out
}

/// `partial` with everything else of `full` added, except inputs whose absence matters.
fn completed(partial: &Inputs, full: &Inputs, absent: &[String]) -> Inputs {
    let mut out = partial.clone();
    for (name, value) in full.iter() {
        if partial.get(name).is_none() && !absent.contains(name) {
            out.set(name.clone(), value.clone());
        }
    }
    out
}

fn partial(full: &Inputs, keep: &[bool]) -> Inputs {
    let mut p = Inputs::new();
    for ((name, value), k) in full.iter().zip(keep) {
        if *k {
            p.set(name.clone(), value.clone());
        }
    }
    p
}

/// (mechanism, input, harsher direction) from `refdata/risk_monotone.json`.
fn monotone() -> Vec<(String, String, String)> {
    let text = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../refdata/risk_monotone.json"
    ))
    .unwrap();
    let doc: serde_json::Value = serde_json::from_slice(&text).unwrap();
    doc["declarations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            let s = |k: &str| d[k].as_str().unwrap().to_owned();
            (s("mechanism"), s("input"), s("harsher"))
        })
        .collect()
}

/// The value of `input` one step harsher than `v` among the candidates, if any.
fn harsher(cands: &[Value], v: &Value, direction: &str) -> Option<Value> {
    match (v, direction) {
        (Value::Bool(false), "true") => Some(Value::Bool(true)),
        (Value::Number(x), "higher") => cands
            .iter()
            .find(|c| matches!(c, Value::Number(y) if y > x))
            .cloned(),
        (Value::Number(x), "lower") => cands
            .iter()
            .rev()
            .find(|c| matches!(c, Value::Number(y) if y < x))
            .cloned(),
        _ => None,
    }
}

#[test]
fn every_monotone_declaration_names_a_mechanism_and_an_input_it_reads() {
    let rs = rules();
    for (mechanism, input, direction) in monotone() {
        let m = rs
            .mechanism(&mechanism)
            .unwrap_or_else(|| panic!("{mechanism}"));
        let reads = m
            .rules
            .iter()
            .map(|r| &r.when)
            .chain(m.adjust.iter().map(|a| &a.when))
            .flat_map(|c| c.params())
            .any(|p| {
                p == input
                    || (input == "water_in_chlorine_wt_pct" || input == "temperature_c")
                        && p == "chlorine_water_margin_wt_pct"
            });
        assert!(reads, "{mechanism} does not read {input}");
        assert!(["higher", "lower", "true"].contains(&direction.as_str()));
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    /// A harsher value of a declared input never lowers the mechanism's susceptibility.
    #[test]
    fn a_harsher_input_never_lowers_a_monotone_mechanism((full, _) in conditions()) {
        let rs = rules();
        let cands = candidates(&rs);
        let base = rs.assess(&full, Cof::C);
        for (mechanism, input, direction) in monotone() {
            let Some(v) = full.get(&input) else { continue };
            let Some(worse) = harsher(&cands[&input], v, &direction) else { continue };
            let mut h = full.clone();
            h.set(input.clone(), worse.clone());
            let after = rs.assess(&h, Cof::C);
            let s = |a: &ticorr_risk::Assessment| a.mechanisms.iter().find(|m| m.id == mechanism).unwrap().susceptibility;
            prop_assert!(
                s(&after) >= s(&base),
                "{} fell from {:?} to {:?} when {} went from {:?} to {:?}",
                mechanism, s(&base), s(&after), input, v, worse
            );
        }
    }

    /// A result no missing input could change is final: filling in the rest of the
    /// conditions leaves every complete mechanism as it was.
    #[test]
    fn a_complete_result_does_not_change_when_more_is_known((full, keep) in conditions()) {
        let rs = rules();
        let part = partial(&full, &keep);
        let some = rs.assess(&part, Cof::C);
        let all = rs.assess(&completed(&part, &full, &absence_matters(&rs)), Cof::C);
        for m in some.mechanisms.iter().filter(|m| !m.incomplete) {
            let later = all.mechanisms.iter().find(|x| x.id == m.id).unwrap();
            prop_assert_eq!(m.susceptibility, later.susceptibility, "{}", m.id);
        }
        // With every input given, nothing is incomplete.
        let everything = rs.assess(&full, Cof::C);
        prop_assert!(
            !everything.incomplete,
            "{:?}",
            everything.mechanisms.iter().filter(|m| m.incomplete).map(|m| (&m.id, &m.missing)).collect::<Vec<_>>()
        );
    }

    /// Missing inputs never yield a silent "none": a mechanism at none with inputs missing
    /// is flagged incomplete and names them, unless it would be none whatever they were.
    #[test]
    fn missing_inputs_never_yield_a_silent_none((full, keep) in conditions()) {
        let rs = rules();
        let part = partial(&full, &keep);
        let a = rs.assess(&part, Cof::C);
        let all = rs.assess(&completed(&part, &full, &absence_matters(&rs)), Cof::C);
        for m in &a.mechanisms {
            prop_assert_eq!(m.incomplete, !m.missing.is_empty());
            let later = all.mechanisms.iter().find(|x| x.id == m.id).unwrap();
            if m.susceptibility == Susceptibility::None && later.susceptibility > Susceptibility::None {
                prop_assert!(m.incomplete, "{} said none for lack of {:?}", m.id, later.rules);
            }
        }
        // The grade follows the worst mechanism through the file's map and matrix.
        let worst = a.mechanisms[0].susceptibility;
        prop_assert_eq!(a.pof_category, rs.pof_of[&worst]);
    }
}
