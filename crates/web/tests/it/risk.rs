//! The risk engine over the API: the contract, the explanation, the consequence, and inputs
//! refused with the field named.

use axum::http::StatusCode;
use serde_json::{Value, json};
use ticorr_kernel::{OrgKind, Role};
use ticorr_test_support::TestApp;

fn brine_heater(temperature: f64) -> Value {
    json!({
        "grade": "2", "temperature_c": temperature, "ph": 7, "chloride_mg_l": 150000,
        "fluoride_mg_l": 0, "crevice_present": true, "deposits_present": false,
        "galvanic_partner": "none", "chlorine_gas": false
    })
}

async fn assess(app: &TestApp, token: &str, body: Value) -> (StatusCode, Value) {
    let r = app
        .post_json("/api/v1/risk/assess", Some(token), &body)
        .await;
    (r.status, r.json())
}

async fn any_signed_in_user_assesses_conditions_with_the_contracts_answer(app: TestApp) {
    let org = app.org(OrgKind::Enterprise, &[]).await;
    let who = app.person(org, Role::Member).await;
    let (status, cool) = assess(
        &app,
        &who.token,
        json!({"inputs": brine_heater(60.0), "consequence_category": "C"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{cool}");
    let (_, hot) = assess(
        &app,
        &who.token,
        json!({"inputs": brine_heater(85.0), "consequence_category": "C"}),
    )
    .await;
    for a in [&cool, &hot] {
        assert!(
            ["low", "medium", "medium-high", "high"].contains(&a["risk_level"].as_str().unwrap())
        );
        assert!(["I", "II", "III", "IV"].contains(&a["risk_grade"].as_str().unwrap()));
        assert!((1..=5).contains(&a["pof_category"].as_u64().unwrap()));
        assert_eq!(a["cof_category"], "C");
        assert_eq!(a["rule_set"]["version"], "0.1-draft");
        assert_eq!(a["rule_set"]["sha256"].as_str().unwrap().len(), 64);
        for m in a["mechanisms"].as_array().unwrap() {
            for key in [
                "id",
                "susceptibility",
                "incomplete",
                "rules",
                "sources",
                "mitigations",
                "inspection",
            ] {
                assert!(m.get(key).is_some(), "{key} missing in {m}");
            }
        }
    }
    // 60 → 85 °C for a Gr2 brine heater with crevices: crevice corrosion appears and the
    // grade rises.
    let crevice = |a: &Value| {
        a["mechanisms"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["id"] == "crevice_hot_chloride")
            .unwrap()
            .clone()
    };
    assert_eq!(crevice(&cool)["susceptibility"], "none");
    assert_eq!(crevice(&hot)["susceptibility"], "medium");
    assert_eq!(crevice(&hot)["rules"][0]["id"], "CR2");
    assert!(
        crevice(&hot)["sources"]
            .as_array()
            .unwrap()
            .contains(&json!("S8"))
    );
    assert!(!crevice(&hot)["mitigations"].as_array().unwrap().is_empty());
    assert!(
        crevice(&hot)["name_zh"]
            .as_str()
            .unwrap()
            .contains("缝隙腐蚀")
    );
    assert_eq!(
        crevice(&hot)["mitigations_zh"].as_array().unwrap().len(),
        crevice(&hot)["mitigations"].as_array().unwrap().len()
    );
    assert!(hot["pof_category"].as_u64() > cool["pof_category"].as_u64());
    assert_ne!(hot["risk_grade"], cool["risk_grade"]);
    assert_eq!(
        hot["mechanisms"][0]["id"], "crevice_hot_chloride",
        "worst first"
    );
}

async fn the_consequence_is_derived_when_not_given(app: TestApp) {
    let org = app.org(OrgKind::Enterprise, &[]).await;
    let who = app.person(org, Role::Member).await;
    let (status, a) = assess(
        &app,
        &who.token,
        json!({"inputs": brine_heater(85.0), "consequence": {"medium_hazard": "toxic", "people_nearby": "continuously", "failure_cost_usd": 20000}}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{a}");
    assert_eq!(a["cof_category"], "E");
    assert_eq!(
        a["consequence"],
        json!({"category": "E", "safety": "E", "financial": "B", "basis": "derived"})
    );
    let (status, e) = assess(&app, &who.token, json!({"inputs": brine_heater(85.0)})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    assert!(e.to_string().contains("consequence_category"), "{e}");
}

async fn bad_inputs_are_refused_naming_the_field(app: TestApp) {
    let org = app.org(OrgKind::Enterprise, &[]).await;
    let who = app.person(org, Role::Member).await;
    for (body, field) in [
        (
            json!({"inputs": {"temprature_c": 85}, "consequence_category": "C"}),
            "inputs.temprature_c",
        ),
        (
            json!({"inputs": {"ph": 21}, "consequence_category": "C"}),
            "inputs.ph",
        ),
        (
            json!({"inputs": {"galvanic_partner": "brass"}, "consequence_category": "C"}),
            "inputs.galvanic_partner",
        ),
        (
            json!({"inputs": {"grade": "99"}, "consequence_category": "C"}),
            "inputs.grade",
        ),
        (
            json!({"inputs": {}, "consequence_category": "F"}),
            "consequence_category",
        ),
        (
            json!({"inputs": {}, "consequence": {"medium_hazard": "explosive", "people_nearby": "rarely"}}),
            "consequence.medium_hazard",
        ),
    ] {
        let (status, e) = assess(&app, &who.token, body.clone()).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {e}");
        assert!(e.to_string().contains(field), "{body}: {e}");
    }
    let r = app
        .post_json(
            "/api/v1/risk/assess",
            None,
            &json!({"inputs": {}, "consequence_category": "C"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
}

ticorr_test_support::on_both_engines!(
    any_signed_in_user_assesses_conditions_with_the_contracts_answer,
    the_consequence_is_derived_when_not_given,
    bad_inputs_are_refused_naming_the_field,
);
