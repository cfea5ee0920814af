//! The risk of equipment items: assessed when registered, reassessed when conditions or
//! the rule set change, with history, explained on the item page, counted in overviews.

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};
use ticorr_kernel::{OrgKind, Role};
use ticorr_test_support::TestApp;

/// A Gr2 brine heater with gasketed joints, the consequence described.
fn brine_heater(tag: &str, temperature: f64) -> Value {
    json!({
        "tag": tag, "name": "盐水加热器", "equipment_type": "plate_heat_exchanger",
        "grade": "2", "temperature_c": temperature, "ph": 7, "chloride_mg_l": 150000,
        "fluoride_mg_l": 0, "crevice_present": true, "deposits_present": false,
        "galvanic_partner": "none", "cathodic_protection": false,
        "service_conditions": {"chlorine_gas": false, "hf_wt_pct": 0},
        "medium_hazard": "hazardous", "people_nearby": "occasionally"
    })
}

async fn risk_of(app: &TestApp, token: &str, id: &str) -> Value {
    let r = app
        .get(&format!("/api/v1/equipment/{id}/risk"), Some(token))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    r.json()
}

fn worst(risk: &Value) -> (&str, &str) {
    let m = &risk["assessment"]["mechanisms"][0];
    (
        m["id"].as_str().unwrap(),
        m["susceptibility"].as_str().unwrap(),
    )
}

async fn a_temperature_change_changes_the_grade_its_explanation_and_the_history(app: TestApp) {
    let org = app.org(OrgKind::Enterprise, &[]).await;
    let who = app.person(org, Role::Member).await;
    let r = app
        .post_json(
            "/api/v1/equipment",
            Some(&who.token),
            &brine_heater("E-101", 60.0),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let item = r.json();
    let id = item["id"].as_str().unwrap().to_owned();
    assert!(item["risk_grade"].is_string(), "{item}");
    let cool = risk_of(&app, &who.token, &id).await;
    let crevice = |risk: &Value| {
        risk["assessment"]["mechanisms"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["id"] == "crevice_hot_chloride")
            .cloned()
            .unwrap()
    };
    assert_eq!(crevice(&cool)["susceptibility"], "none");
    assert_eq!(cool["history"].as_array().unwrap().len(), 1);
    assert_eq!(cool["history"][0]["reason"], "registered");

    let r = app
        .send_json(
            Method::PATCH,
            &format!("/api/v1/equipment/{id}"),
            Some(&who.token),
            &json!({"temperature_c": 85}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let hot = risk_of(&app, &who.token, &id).await;
    assert_eq!(worst(&hot), ("crevice_hot_chloride", "medium"));
    assert!(
        hot["assessment"]["risk_grade"].as_str() > cool["assessment"]["risk_grade"].as_str(),
        "85 °C grades higher: {} then {}",
        cool["assessment"]["risk_grade"],
        hot["assessment"]["risk_grade"]
    );
    let history = hot["history"].as_array().unwrap();
    assert_eq!(history.len(), 2, "{history:?}");
    assert_eq!(history[0]["reason"], "conditions_changed");
    assert_eq!(history[0]["current"], true);
    assert_eq!(history[1]["current"], false);
    assert_eq!(
        history[0]["changes"],
        json!([{"field": "temperature_c", "from": 60.0, "to": 85.0}])
    );
    assert_eq!(history[0]["risk_grade"], hot["assessment"]["risk_grade"]);

    // A change that touches no input of the assessment adds no history.
    let r = app
        .send_json(
            Method::PATCH,
            &format!("/api/v1/equipment/{id}"),
            Some(&who.token),
            &json!({"location": "B 区"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let again = risk_of(&app, &who.token, &id).await;
    assert_eq!(again["history"].as_array().unwrap().len(), 2);

    // The page explains the grade in words, in both languages.
    let cookie = format!("__Host-ticorr_session={}", who.token);
    let zh = app
        .get_with_cookies(&format!("/equipment/{id}"), &cookie)
        .await
        .text();
    assert!(zh.contains("id=\"risk-explanation\""), "{zh}");
    assert!(zh.contains("热氯化物介质中的缝隙腐蚀"), "{zh}");
    assert!(zh.contains("依据规则 CR2"), "{zh}");
    assert!(zh.contains("70 °C"), "the threshold is named: {zh}");
    assert!(zh.contains("= 85 °C"), "the item's value is named: {zh}");
    assert!(zh.contains("id=\"risk-history\""));
    let en = app
        .get_with_cookies(
            &format!("/equipment/{id}"),
            &format!("{cookie}; ticorr_lang=en"),
        )
        .await
        .text();
    assert!(en.contains("Because rule CR2"), "{en}");
    assert!(en.contains("It would be rated none when"), "{en}");
    let grade = hot["assessment"]["risk_grade"].as_str().unwrap();
    assert!(en.contains(&format!("data-grade=\"{grade}\"")));

    // Search offers the grade as a facet.
    let found = app
        .get("/api/v1/search?q=E-101", Some(&who.token))
        .await
        .json();
    let facet = found["facets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == "risk_grade")
        .cloned()
        .unwrap_or_else(|| panic!("no risk_grade facet: {found}"));
    assert!(
        facet["values"]
            .as_array()
            .unwrap()
            .iter()
            .any(|v| v["value"] == grade && v["count"] == 1),
        "{facet}"
    );
    // The list shows and filters by the grade.
    let list = app
        .get(
            &format!("/api/v1/equipment?risk_grade={grade}"),
            Some(&who.token),
        )
        .await
        .json();
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
    let list = app
        .get(
            "/api/v1/equipment?mechanism=crevice_hot_chloride",
            Some(&who.token),
        )
        .await
        .json();
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
    let list = app
        .get("/api/v1/equipment?mechanism=dry_chlorine", Some(&who.token))
        .await
        .json();
    assert_eq!(list["items"].as_array().unwrap().len(), 0);
}

async fn an_item_without_a_consequence_is_assessed_but_not_graded(app: TestApp) {
    let org = app.org(OrgKind::Enterprise, &[]).await;
    let who = app.person(org, Role::Member).await;
    let mut body = brine_heater("E-102", 85.0);
    let o = body.as_object_mut().unwrap();
    o.remove("medium_hazard");
    o.remove("people_nearby");
    let r = app
        .post_json("/api/v1/equipment", Some(&who.token), &body)
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    let id = r.json()["id"].as_str().unwrap().to_owned();
    let risk = risk_of(&app, &who.token, &id).await;
    assert!(risk["assessment"]["risk_grade"].is_null(), "{risk}");
    assert!(risk["assessment"]["pof_category"].as_u64().unwrap() >= 1);
    assert_eq!(worst(&risk), ("crevice_hot_chloride", "medium"));
    // Stating the category grades it.
    let r = app
        .send_json(
            Method::PATCH,
            &format!("/api/v1/equipment/{id}"),
            Some(&who.token),
            &json!({"consequence_category": "d"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["consequence_category"], "D");
    let risk = risk_of(&app, &who.token, &id).await;
    assert_eq!(risk["assessment"]["cof_category"], "D");
    assert!(risk["assessment"]["risk_grade"].is_string());
    let page = app
        .get_with_cookies(
            &format!("/equipment/{id}"),
            &format!("__Host-ticorr_session={}", who.token),
        )
        .await
        .text();
    assert!(
        page.contains("后果等级: — → D"),
        "the history names the change: {page}"
    );
}

async fn service_conditions_and_consequences_are_checked_by_name(app: TestApp) {
    let org = app.org(OrgKind::Enterprise, &[]).await;
    let who = app.person(org, Role::Member).await;
    let cases = [
        (
            json!({"service_conditions": {"hf_wt_pct": 200}}),
            "service_conditions.hf_wt_pct",
        ),
        (
            json!({"service_conditions": {"temperature_c": 50}}),
            "service_conditions.temperature_c",
        ),
        (
            json!({"service_conditions": {"boiling": true}}),
            "service_conditions.boiling",
        ),
        (
            json!({"service_conditions": {"chlorine_gas": "maybe"}}),
            "service_conditions.chlorine_gas",
        ),
        (json!({"medium_hazard": "explosive"}), "medium_hazard"),
        (json!({"people_nearby": "always"}), "people_nearby"),
        (json!({"consequence_category": "F"}), "consequence_category"),
        (json!({"failure_cost_usd": -5}), "failure_cost_usd"),
    ];
    for (i, (change, field)) in cases.into_iter().enumerate() {
        let mut body = brine_heater(&format!("E-2{i:02}"), 60.0);
        for (k, v) in change.as_object().unwrap() {
            body[k] = v.clone();
        }
        let r = app
            .post_json("/api/v1/equipment", Some(&who.token), &body)
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{change}");
        let problem = r.json();
        assert!(
            problem["errors"]
                .as_array()
                .unwrap()
                .iter()
                .any(|e| e["field"] == field),
            "{field} named in {problem}"
        );
    }
    assert_eq!(app.count("equipment", "1 = 1").await, 0);
    assert_eq!(app.count("risk_assessments", "1 = 1").await, 0);
}

async fn overviews_count_the_items_a_caller_may_read(app: TestApp) {
    let park = app.org(OrgKind::Park, &[]).await;
    let org = app.org(OrgKind::Enterprise, &[park]).await;
    let other = app.org(OrgKind::Enterprise, &[park]).await;
    let who = app.person(org, Role::Member).await;
    let stranger = app.person(other, Role::Member).await;
    let manager = app.person(park, Role::Member).await;
    for (tag, t, level) in [
        ("E-1", 60.0, "private"),
        ("E-2", 85.0, "park"),
        ("E-3", 90.0, "private"),
    ] {
        let mut body = brine_heater(tag, t);
        body["level"] = json!(level);
        body["park_id"] = json!(park.to_string());
        let r = app
            .post_json("/api/v1/equipment", Some(&who.token), &body)
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    }
    let overview = |token: String| {
        let app = &app;
        async move {
            let r = app
                .get("/api/v1/equipment/risk-overview", Some(&token))
                .await;
            assert_eq!(r.status, StatusCode::OK, "{}", r.text());
            r.json()
        }
    };
    let mine = overview(who.token.clone()).await;
    assert_eq!(mine["items"], 3);
    let graded: u64 = mine["by_grade"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g[1].as_u64().unwrap())
        .sum();
    assert_eq!(graded, 3, "every item counts under one grade: {mine}");
    let crevice = mine["by_mechanism"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["mechanism"] == "crevice_hot_chloride")
        .unwrap()
        .clone();
    assert_eq!(crevice["items"], 2, "85 and 90 °C: {mine}");
    // The park sees the one shared item; another enterprise of the park sees it too,
    // and none of the private ones.
    assert_eq!(overview(manager.token.clone()).await["items"], 1);
    assert_eq!(overview(stranger.token.clone()).await["items"], 1);
    let page = app
        .get_with_cookies(
            "/risk/overview",
            &format!("__Host-ticorr_session={}", who.token),
        )
        .await;
    assert_eq!(page.status, StatusCode::OK);
    let html = page.text();
    assert!(html.contains("data-items=\"3\""), "{html}");
    assert!(html.contains("data-mechanism=\"crevice_hot_chloride\""));
    // Following a mechanism lists its items and says so.
    let list = app
        .get_with_cookies(
            "/equipment?mechanism=crevice_hot_chloride",
            &format!("__Host-ticorr_session={}", who.token),
        )
        .await
        .text();
    assert!(list.contains("id=\"mechanism-filter\""), "{list}");
    assert!(list.contains("热氯化物介质中的缝隙腐蚀"));
    assert_eq!(list.matches("class=\"tag\"").count(), 2, "{list}");
}

async fn items_assessed_with_other_rule_files_are_reassessed_by_a_job(app: TestApp) {
    let org = app.org(OrgKind::Enterprise, &[]).await;
    let who = app.person(org, Role::Member).await;
    for tag in ["E-1", "E-2"] {
        let r = app
            .post_json(
                "/api/v1/equipment",
                Some(&who.token),
                &brine_heater(tag, 85.0),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED);
    }
    let db = &app.state.db;
    assert_eq!(ticorr_equipment::risk::stale_count(db).await.unwrap(), 0);
    assert!(
        ticorr_equipment::risk::enqueue_if_stale(db, app.clock.now())
            .await
            .unwrap()
            .is_none()
    );
    // One item as assessed by an older rule file; the other as from before assessments.
    let sha = ticorr_platform::risk::load().unwrap().rules.sha256.clone();
    sqlx::query(
        "UPDATE risk_assessments SET rule_set_sha256 = 'older', result = REPLACE(result, $1, 'older') \
         WHERE equipment_id IN (SELECT id FROM equipment WHERE tag = 'E-1')",
    )
    .bind(&sha)
    .execute(db.pool())
    .await
    .unwrap();
    sqlx::query("DELETE FROM risk_assessments WHERE equipment_id IN (SELECT id FROM equipment WHERE tag = 'E-2')")
        .execute(db.pool())
        .await
        .unwrap();
    assert_eq!(ticorr_equipment::risk::stale_count(db).await.unwrap(), 2);
    let job = ticorr_equipment::risk::enqueue_if_stale(db, app.clock.now())
        .await
        .unwrap();
    assert!(job.is_some());
    assert!(
        ticorr_equipment::risk::enqueue_if_stale(db, app.clock.now())
            .await
            .unwrap()
            .is_none(),
        "one job at a time"
    );
    assert!(app.run_jobs().await >= 1);
    assert_eq!(ticorr_equipment::risk::stale_count(db).await.unwrap(), 0);
    assert_eq!(
        app.count(
            "risk_assessments",
            "is_current = 1 AND reason = 'rule_set_changed'"
        )
        .await,
        1,
        "the item without an assessment got one; the other kept its identical result"
    );
    assert_eq!(app.count("risk_assessments", "is_current = 1").await, 2);
    assert_eq!(
        app.count("risk_assessments", "1 = 1").await,
        2,
        "the same result under new files adds no history row"
    );
    assert_eq!(
        app.count("risk_assessments", "result LIKE '%older%'").await,
        0,
        "the current rows name the files they are now made with"
    );
}

ticorr_test_support::on_both_engines!(
    a_temperature_change_changes_the_grade_its_explanation_and_the_history,
    an_item_without_a_consequence_is_assessed_but_not_graded,
    service_conditions_and_consequences_are_checked_by_name,
    overviews_count_the_items_a_caller_may_read,
    items_assessed_with_other_rule_files_are_reassessed_by_a_job,
);
