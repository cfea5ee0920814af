//! The shipped rule file: it loads, every rule and every adjustment in it can fire and does
//! so when its condition holds, and the semantics of the file hold.

use std::collections::BTreeMap;

use serde_json::{Map, Value as Json, json};
use ticorr_risk::{
    Cof, Condition, Inputs, Op, RiskGrade, RuleSet, RuleSetError, Susceptibility, Value,
};

fn file() -> Vec<u8> {
    std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../refdata/risk_model.json"
    ))
    .unwrap()
}

fn rules() -> RuleSet {
    let bounds = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../refdata/risk_inputs.json"
    ))
    .unwrap();
    let zh = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../refdata/risk_model_zh.json"
    ))
    .unwrap();
    RuleSet::load(&file())
        .unwrap()
        .with_bounds(&bounds)
        .unwrap()
        .with_chinese(&zh)
        .unwrap()
}

/// What a solution knows about one input.
#[derive(Debug, Clone, Default)]
struct Bounds {
    lo: Option<(f64, bool)>,
    hi: Option<(f64, bool)>,
    exact: Option<Json>,
    not: Vec<Json>,
    one_of: Option<Vec<Json>>,
    absent: bool,
}

/// Inputs under which `c` holds, taking the first branch of every `any`; None when the
/// parts contradict each other.
fn solve(rs: &RuleSet, conditions: &[&Condition]) -> Option<Inputs> {
    let mut atoms = Vec::new();
    fn flatten<'a>(c: &'a Condition, out: &mut Vec<&'a ticorr_risk::Comparison>) {
        match c {
            Condition::All { all } => all.iter().for_each(|c| flatten(c, out)),
            Condition::Any { any } => {
                if let Some(first) = any.first() {
                    flatten(first, out);
                }
            }
            Condition::Compare(c) => out.push(c),
        }
    }
    for c in conditions {
        flatten(c, &mut atoms);
    }
    let mut by: BTreeMap<&str, Bounds> = BTreeMap::new();
    for a in atoms {
        let b = by.entry(a.param.as_str()).or_default();
        let v = a.value.clone();
        match a.op {
            Op::Lt => b.hi = tighter_hi(b.hi, (v.as_f64()?, false)),
            Op::Le => b.hi = tighter_hi(b.hi, (v.as_f64()?, true)),
            Op::Gt => b.lo = tighter_lo(b.lo, (v.as_f64()?, false)),
            Op::Ge => b.lo = tighter_lo(b.lo, (v.as_f64()?, true)),
            Op::Eq => {
                if b.exact.as_ref().is_some_and(|e| *e != v) {
                    return None;
                }
                b.exact = Some(v);
            }
            Op::Ne => b.not.push(v),
            Op::In => {
                let list = v.as_array()?.clone();
                b.one_of = Some(match b.one_of.take() {
                    Some(prev) => prev.into_iter().filter(|x| list.contains(x)).collect(),
                    None => list,
                });
            }
            Op::IsNull => b.absent = v.as_bool().unwrap_or(true),
        }
    }
    let mut inputs = Inputs::new();
    let mut margin = None;
    for (param, b) in &by {
        if b.absent {
            continue;
        }
        let value = pick(rs, param, b)?;
        if *param == "chlorine_water_margin_wt_pct" {
            margin = value.as_f64();
            continue;
        }
        inputs.set(*param, json_value(&value));
    }
    if let Some(m) = margin {
        // The margin is water minus what the temperature requires: set the water to match.
        let t = match inputs.get("temperature_c") {
            Some(Value::Number(t)) => *t,
            _ => {
                inputs.set("temperature_c", Value::Number(25.0));
                25.0
            }
        };
        let curve = rs.water_curve.as_ref().unwrap();
        inputs.set("water_in_chlorine_wt_pct", Value::Number(curve.at(t) + m));
    }
    Some(inputs)
}

fn tighter_lo(a: Option<(f64, bool)>, b: (f64, bool)) -> Option<(f64, bool)> {
    Some(match a {
        Some(a) if a.0 > b.0 || (a.0 == b.0 && !a.1) => a,
        _ => b,
    })
}

fn tighter_hi(a: Option<(f64, bool)>, b: (f64, bool)) -> Option<(f64, bool)> {
    Some(match a {
        Some(a) if a.0 < b.0 || (a.0 == b.0 && !a.1) => a,
        _ => b,
    })
}

fn pick(rs: &RuleSet, param: &str, b: &Bounds) -> Option<Json> {
    if let Some(e) = &b.exact {
        if b.not.contains(e) || b.one_of.as_ref().is_some_and(|l| !l.contains(e)) {
            return None;
        }
        return Some(e.clone());
    }
    if let Some(list) = &b.one_of {
        return list.iter().find(|x| !b.not.contains(x)).cloned();
    }
    if b.lo.is_some() || b.hi.is_some() {
        let x = match (b.lo, b.hi) {
            (Some((lo, _)), Some((hi, _))) if lo > hi => return None,
            (Some((lo, li)), Some((hi, hi_incl))) if lo == hi => {
                if li && hi_incl {
                    lo
                } else {
                    return None;
                }
            }
            (Some((lo, _)), Some((hi, _))) => (lo + hi) / 2.0,
            (Some((lo, incl)), None) => {
                if incl {
                    lo
                } else {
                    lo + 1.0
                }
            }
            (None, Some((hi, incl))) => {
                if incl {
                    hi
                } else {
                    hi - 1.0
                }
            }
            (None, None) => unreachable!(),
        };
        return Some(json!(x));
    }
    // Only `!=`: another value of the input's kind.
    let spec = rs.input(param)?;
    match &spec.kind {
        ticorr_risk::Kind::Bool => Some(Json::Bool(!b.not.iter().any(|v| v == &Json::Bool(false)))),
        ticorr_risk::Kind::Enum(values) | ticorr_risk::Kind::Grade(values) => {
            values.iter().map(|v| json!(v)).find(|v| !b.not.contains(v))
        }
        ticorr_risk::Kind::Number => Some(json!(
            b.not.iter().filter_map(Json::as_f64).fold(0.0, f64::max) + 1.0
        )),
        ticorr_risk::Kind::Text => Some(json!("other")),
    }
}

fn json_value(v: &Json) -> Value {
    match v {
        Json::Bool(b) => Value::Bool(*b),
        Json::Number(n) => Value::Number(n.as_f64().unwrap()),
        Json::String(s) => Value::Text(s.clone()),
        other => panic!("no input value {other}"),
    }
}

#[test]
fn the_shipped_rule_file_loads_with_twelve_mechanisms_and_names_itself() {
    let rs = rules();
    assert_eq!(rs.mechanisms.len(), 12);
    assert_eq!(rs.version, "0.1-draft");
    assert_eq!(rs.sha256.len(), 64);
    let ids: Vec<&str> = rs.mechanisms.iter().map(|m| m.id.as_str()).collect();
    for id in [
        "crevice_hot_chloride",
        "hydriding",
        "fluoride_attack",
        "dry_chlorine",
        "mic",
    ] {
        assert!(ids.contains(&id), "{id}");
    }
    let a = rs.assess(&Inputs::new(), Cof::C);
    assert_eq!(a.rule_set.sha256, rs.sha256);
    // Every source a rule or adjustment cites can be shown with its citation.
    for m in &rs.mechanisms {
        let cited = m
            .rules
            .iter()
            .map(|r| &r.provenance)
            .chain(m.adjust.iter().map(|a| &a.provenance));
        for p in cited {
            for s in &p.sources {
                let citation = rs.sources.get(s).map(String::as_str).unwrap_or_default();
                assert!(!citation.is_empty(), "{}: source {s} has no citation", m.id);
            }
        }
    }
}

#[test]
fn every_rule_fires_when_its_condition_holds() {
    let rs = rules();
    let mut checked = 0;
    for m in &rs.mechanisms {
        for r in &m.rules {
            let inputs = solve(&rs, &[&r.when])
                .unwrap_or_else(|| panic!("{}: no inputs satisfy its condition", r.id));
            let a = rs.assess(&inputs, Cof::A);
            let result = a.mechanisms.iter().find(|x| x.id == m.id).unwrap();
            assert!(
                result.rules.iter().any(|f| f.id == r.id),
                "{} did not fire on {inputs:?}: {result:?}",
                r.id
            );
            assert!(
                result.susceptibility >= r.susceptibility || !result.adjustments.is_empty(),
                "{}: the highest rule wins unless an adjustment lowered it",
                r.id
            );
            checked += 1;
        }
    }
    assert_eq!(checked, 39, "every rule of the file");
}

#[test]
fn every_adjustment_applies_on_top_of_a_rule_it_can_modify() {
    let rs = rules();
    let mut checked = 0;
    for m in &rs.mechanisms {
        for adj in &m.adjust {
            let applied = m
                .rules
                .iter()
                .filter(|r| r.susceptibility > Susceptibility::None)
                .filter_map(|r| solve(&rs, &[&r.when, &adj.when]))
                .any(|inputs| {
                    let a = rs.assess(&inputs, Cof::A);
                    let result = a.mechanisms.iter().find(|x| x.id == m.id).unwrap();
                    result.adjustments.iter().any(|f| f.id == adj.id)
                });
            assert!(applied, "{} never applies", adj.id);
            checked += 1;
        }
    }
    assert_eq!(checked, 6, "every adjustment of the file");
}

fn gr2_brine_heater(temperature: f64) -> Inputs {
    Inputs::new()
        .with("grade", "2")
        .with("temperature_c", temperature)
        .with("ph", 7.0)
        .with("chloride_mg_l", 150_000.0)
        .with("fluoride_mg_l", 0.0)
        .with("crevice_present", true)
        .with("deposits_present", false)
        .with("galvanic_partner", "none")
        .with("chlorine_gas", false)
}

#[test]
fn a_gr2_brine_heater_with_crevices_crosses_into_crevice_corrosion_at_70_c() {
    let rs = rules();
    let cool = rs.assess(&gr2_brine_heater(60.0), Cof::C);
    let hot = rs.assess(&gr2_brine_heater(85.0), Cof::C);
    let crevice = |a: &ticorr_risk::Assessment| {
        a.mechanisms
            .iter()
            .find(|m| m.id == "crevice_hot_chloride")
            .unwrap()
            .clone()
    };
    assert_eq!(crevice(&cool).susceptibility, Susceptibility::None);
    assert!(crevice(&cool).rules.iter().any(|f| f.id == "CR1"));
    assert!(!crevice(&cool).incomplete);
    assert_eq!(crevice(&hot).susceptibility, Susceptibility::Medium);
    assert!(crevice(&hot).rules.iter().any(|f| f.id == "CR2"));
    assert!(crevice(&hot).sources.contains(&"S8".to_owned()));
    assert!(hot.pof_category > cool.pof_category);
    assert!(hot.risk_grade >= cool.risk_grade);
    // The same at 85 °C in a Pd grade: the grade modifier lowers it by two steps.
    let gr7 = rs.assess(&gr2_brine_heater(85.0).with("grade", "7"), Cof::C);
    let c = crevice(&gr7);
    assert_eq!(c.susceptibility, Susceptibility::None);
    assert_eq!(c.adjustments[0].id, "CR-GRADE-PDRU");
}

#[test]
fn a_missing_input_flags_the_mechanism_incomplete_and_names_it() {
    let rs = rules();
    let mut inputs = gr2_brine_heater(85.0);
    inputs.remove("temperature_c");
    let a = rs.assess(&inputs, Cof::C);
    let c = a
        .mechanisms
        .iter()
        .find(|m| m.id == "crevice_hot_chloride")
        .unwrap();
    assert!(c.incomplete);
    assert!(c.missing.contains(&"temperature_c".to_owned()));
    assert!(a.incomplete);
    // With nothing given, a mechanism is either incomplete, naming what it lacks, or
    // answered by a rule that needs nothing (MIC: titanium is immune, a sourced rule).
    let empty = rs.assess(&Inputs::new(), Cof::A);
    for m in &empty.mechanisms {
        assert!(
            (m.incomplete && !m.missing.is_empty()) || !m.rules.is_empty(),
            "{} is a silent none: {m:?}",
            m.id
        );
    }
}

#[test]
fn a_cp_potential_of_null_states_that_no_cp_acts() {
    let rs = rules();
    let hydriding = |given: &Map<String, Json>| {
        let inputs = rs.read_inputs(given).unwrap();
        rs.assess(&inputs, Cof::C)
            .mechanisms
            .into_iter()
            .find(|m| m.id == "hydriding")
            .unwrap()
    };
    let mut given: Map<String, Json> = serde_json::from_value(json!({
        "grade": "2", "temperature_c": 85.0, "ph": 7.0, "galvanic_partner": "none",
        "h2s_high": false
    }))
    .unwrap();
    // Not given: the CP rules cannot be decided.
    let unknown = hydriding(&given);
    assert!(unknown.missing.contains(&"cp_potential_v_sce".to_owned()));
    // null: no CP, so the rules that need a CP potential do not hold.
    given.insert("cp_potential_v_sce".into(), Json::Null);
    let none = hydriding(&given);
    assert!(!none.incomplete, "{none:?}");
    assert_eq!(none.susceptibility, Susceptibility::None);
    // And a strongly cathodic potential at 85 °C is what HY5 rates high.
    given.insert("cp_potential_v_sce".into(), json!(-1.0));
    assert_eq!(hydriding(&given).susceptibility, Susceptibility::High);
    // Other inputs keep null as "not given".
    given.insert("ph".into(), Json::Null);
    assert!(hydriding(&given).missing.contains(&"ph".to_owned()));
}

#[test]
fn aggravators_stop_at_high_unless_a_rule_said_very_high() {
    let rs = rules();
    // Crevice at 85 °C (medium) with a steel couple (+1), 250 mg/L fluoride (+1) and
    // pH 2 (+1): three steps up from medium, held at high.
    let inputs = gr2_brine_heater(85.0)
        .with("galvanic_partner", "carbon_steel")
        .with("fluoride_mg_l", 250.0)
        .with("ph", 2.0);
    let a = rs.assess(&inputs, Cof::A);
    let c = a
        .mechanisms
        .iter()
        .find(|m| m.id == "crevice_hot_chloride")
        .unwrap();
    assert_eq!(c.adjustments.len(), 3, "{c:?}");
    assert_eq!(c.susceptibility, Susceptibility::High);
    // Dry chlorine below the water it needs: very_high, as the rule says.
    let dry = Inputs::new()
        .with("chlorine_gas", true)
        .with("temperature_c", 25.0)
        .with("water_in_chlorine_wt_pct", 0.2);
    let a = rs.assess(&dry, Cof::E);
    assert_eq!(a.mechanisms[0].id, "dry_chlorine");
    assert_eq!(a.mechanisms[0].susceptibility, Susceptibility::VeryHigh);
    assert_eq!(a.pof_category, 5);
    assert_eq!(a.risk_grade, RiskGrade::IV);
    assert_eq!(a.risk_level, "high");
}

#[test]
fn the_matrix_of_the_file_decides_the_grade() {
    let rs = rules();
    for (pof, cof, grade) in [
        (1, Cof::A, RiskGrade::I),
        (1, Cof::D, RiskGrade::II),
        (3, Cof::C, RiskGrade::II),
        (3, Cof::D, RiskGrade::III),
        (4, Cof::E, RiskGrade::IV),
        (5, Cof::A, RiskGrade::II),
    ] {
        assert_eq!(
            RiskGrade::ALL[rs.matrix[&(pof, cof)]],
            grade,
            "{pof}{cof:?}"
        );
    }
}

#[test]
fn inputs_are_checked_by_name_and_kind() {
    let rs = rules();
    let read = |v: Json| rs.read_inputs(v.as_object().unwrap());
    let ok = read(json!({"grade": 2, "temperature_c": 85, "galvanic_partner": "carbon_steel", "crevice_present": true, "ph": null})).unwrap();
    assert_eq!(ok.get("grade"), Some(&Value::Text("2".into())));
    assert_eq!(ok.get("ph"), None, "null is not given");
    for (body, field, says) in [
        (json!({"temprature_c": 85}), "temprature_c", "not an input"),
        (json!({"temperature_c": "hot"}), "temperature_c", "number"),
        (
            json!({"crevice_present": "yes"}),
            "crevice_present",
            "true or false",
        ),
        (
            json!({"galvanic_partner": "brass"}),
            "galvanic_partner",
            "not one of",
        ),
        (json!({"grade": "5"}), "grade", "not a titanium grade"),
        (json!({"ph": 20}), "ph", "outside -2 to 16"),
        (
            json!({"chloride_mg_l": -5}),
            "chloride_mg_l",
            "outside 0 to",
        ),
    ] {
        let e = read(body.clone()).unwrap_err();
        assert_eq!(e.field, field, "{body}");
        assert!(e.message.contains(says), "{body}: {e}");
    }
}

#[test]
fn a_broken_rule_file_is_refused_with_every_problem_named() {
    let mut doc: Json = serde_json::from_slice(&file()).unwrap();
    let rule = &mut doc["mechanisms"][0]["rules"][0];
    rule["when"]["all"][0]["param"] = json!("chloride");
    rule["susceptibility"] = json!("severe");
    doc["mechanisms"][1]["rules"][0]["when"]["all"][0]["op"] = json!("~");
    doc["risk_matrix"]["cells"]
        .as_object_mut()
        .unwrap()
        .remove("3C");
    let err = RuleSet::load(&serde_json::to_vec(&doc).unwrap()).unwrap_err();
    let RuleSetError::Invalid(problems) = err else {
        panic!("{err}")
    };
    let text = problems.join("\n");
    for says in [
        "`chloride` is not a declared input",
        "susceptibility must be",
        "unknown operator `~`",
        "`3C`",
    ] {
        assert!(text.contains(says), "{says} not in:\n{text}");
    }
    assert!(matches!(RuleSet::load(b"{"), Err(RuleSetError::Json(_))));
}

#[test]
fn every_mechanism_speaks_chinese_and_a_missing_phrase_is_refused() {
    let rs = rules();
    for m in &rs.mechanisms {
        assert!(!m.name_zh.is_empty(), "{}", m.id);
        assert_eq!(m.mitigation_zh.len(), m.mitigation.len());
        assert_eq!(m.inspection_zh.len(), m.inspection.len());
    }
    let hot = rs.assess(
        &Inputs::new()
            .with("temperature_c", 85.0)
            .with("chloride_mg_l", 1000.0)
            .with("crevice_present", true),
        Cof::C,
    );
    let c = hot
        .mechanisms
        .iter()
        .find(|m| m.id == "crevice_hot_chloride")
        .unwrap();
    assert!(c.name_zh.contains("缝隙腐蚀"));
    assert!(c.mitigations_zh[0].contains("Gr 12"));

    let zh = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../refdata/risk_model_zh.json"
    ))
    .unwrap();
    let mut doc: Json = serde_json::from_slice(&zh).unwrap();
    doc["phrases"]
        .as_object_mut()
        .unwrap()
        .remove("metallography");
    doc["mechanisms"].as_object_mut().unwrap().remove("mic");
    let err = RuleSet::load(&file())
        .unwrap()
        .with_chinese(&serde_json::to_vec(&doc).unwrap())
        .unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("\"metallography\"") && text.contains("mechanisms.mic"),
        "{text}"
    );
}
