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

async fn the_self_check_page_explains_a_grade_in_both_languages(app: TestApp) {
    let org = app.org(OrgKind::Enterprise, &[]).await;
    let who = app.person(org, Role::Member).await;
    let cookie = format!("__Host-ticorr_session={}", who.token);
    let page = app.get_with_cookies("/risk/self-check", &cookie).await;
    assert_eq!(page.status, StatusCode::OK);
    let html = page.text();
    assert!(html.contains("id=\"in-temperature_c\""), "{html}");
    let csrf = html
        .split("name=\"_csrf\" value=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .unwrap()
        .to_owned();
    let form = |t: &'static str| {
        vec![
            ("_csrf", csrf.clone()),
            ("grade", "2".to_owned()),
            ("temperature_c", t.to_owned()),
            ("ph", "7".to_owned()),
            ("chloride_mg_l", "150000".to_owned()),
            ("crevice_present", "yes".to_owned()),
            ("deposits_present", "no".to_owned()),
            ("consequence_category", "C".to_owned()),
        ]
    };
    let post = |pairs: Vec<(&'static str, String)>, cookie: String| {
        let app = &app;
        async move {
            let pairs: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (*k, v.as_str())).collect();
            app.post_form("/risk/self-check", &cookie, &pairs).await
        }
    };
    let hot = post(form("85"), cookie.clone()).await;
    assert_eq!(hot.status, StatusCode::OK);
    let zh = hot.text();
    assert!(
        zh.contains("data-mechanism=\"crevice_hot_chloride\""),
        "{zh}"
    );
    assert!(zh.contains("热氯化物介质中的缝隙腐蚀"), "{zh}");
    assert!(zh.contains("CR2"), "the rule that fired is shown");
    assert!(zh.contains("value=\"85\""), "the form keeps what was typed");
    let grade_of = |html: &str| {
        html.split("data-grade=\"")
            .nth(1)
            .and_then(|s| s.split('"').next())
            .unwrap()
            .to_owned()
    };
    let cool = post(form("60"), cookie.clone()).await.text();
    // Crevice corrosion: medium (level 2) at 85 °C, none at 60 °C.
    assert!(
        zh.contains("data-mechanism=\"crevice_hot_chloride\" data-level=\"2\""),
        "{zh}"
    );
    assert!(
        cool.contains("data-mechanism=\"crevice_hot_chloride\" data-level=\"0\""),
        "{cool}"
    );
    assert_ne!(
        grade_of(&zh),
        grade_of(&cool),
        "the grade changes with the temperature"
    );
    let en = post(form("85"), format!("{cookie}; ticorr_lang=en"))
        .await
        .text();
    assert!(en.contains("Crevice / under-deposit corrosion"), "{en}");
    assert!(en.contains("Gr 12 or Pd/Ru grades above 70 C"), "{en}");

    // A typo and a missing consequence are explained on the page, with the input kept.
    let mut bad = form("85");
    bad[2].1 = "hot".to_owned();
    let res = post(bad, cookie.clone()).await.text();
    assert!(res.contains("id=\"risk-error\""), "{res}");
    assert!(res.contains("value=\"hot\""));
    let mut none = form("85");
    none.pop();
    let res = post(none, cookie.clone()).await.text();
    assert!(res.contains("id=\"risk-error\""), "{res}");
    assert!(
        app.get("/risk/self-check", None)
            .await
            .status
            .is_redirection()
    );
}

async fn the_self_check_takes_none_for_a_cp_potential(app: TestApp) {
    let org = app.org(OrgKind::Enterprise, &[]).await;
    let who = app.person(org, Role::Member).await;
    let cookie = format!("__Host-ticorr_session={}", who.token);
    let html = app
        .get_with_cookies("/risk/self-check", &cookie)
        .await
        .text();
    assert!(html.contains("id=\"hint-cp_potential_v_sce\""), "{html}");
    let csrf = html
        .split("name=\"_csrf\" value=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .unwrap()
        .to_owned();
    let explanation = |cp: &'static str| {
        let app = &app;
        let csrf = csrf.clone();
        let cookie = cookie.clone();
        async move {
            let pairs = [
                ("_csrf", csrf.as_str()),
                ("grade", "2"),
                ("temperature_c", "85"),
                ("ph", "7"),
                ("galvanic_partner", "none"),
                ("h2s_high", "no"),
                ("cp_potential_v_sce", cp),
                ("consequence_category", "B"),
            ];
            let html = app
                .post_form("/risk/self-check", &cookie, &pairs)
                .await
                .text();
            assert!(!html.contains("id=\"risk-error\""), "{html}");
            html.split("id=\"risk-explanation\"")
                .nth(1)
                .and_then(|s| s.split("</div>").next())
                .unwrap()
                .to_owned()
        }
    };
    let cp_label = "阴极保护下钛的电位";
    assert!(
        explanation("").await.contains(cp_label),
        "not known: asked for"
    );
    assert!(
        !explanation("无").await.contains(cp_label),
        "none: answered"
    );
    assert!(!explanation("none").await.contains(cp_label));
}

ticorr_test_support::on_both_engines!(
    the_self_check_takes_none_for_a_cp_potential,
    the_self_check_page_explains_a_grade_in_both_languages,
    any_signed_in_user_assesses_conditions_with_the_contracts_answer,
    the_consequence_is_derived_when_not_given,
    bad_inputs_are_refused_naming_the_field,
);
