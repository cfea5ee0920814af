//! The equipment registry over the API: validation, changes, concurrency, pagination.

use axum::http::{Method, StatusCode};
use serde_json::json;
use ticorr_kernel::{OrgKind, Role};
use ticorr_test_support::TestApp;

async fn an_item_round_trips_with_risk_model_names_and_units(app: TestApp) {
    let org = app.org(OrgKind::Enterprise, &[]).await;
    let who = app.person(org, Role::Member).await;
    let body = json!({
        "tag": "E-101", "name": "1# 盐水加热器", "equipment_type": "plate_heat_exchanger", "grade": "Grade 7",
        "commissioned_on": "2019-06-30", "process_medium": "NaCl brine", "temperature_c": 85.5, "pressure_mpa": 0.6,
        "chloride_mg_l": 150000, "fluoride_mg_l": 0, "ph": 9.5, "velocity_m_s": 1.2, "galvanic_partner": "carbon_steel",
        "cp_potential_v_sce": -0.8, "crevice_present": true, "deposits_present": false
    });
    let r = app
        .post_json("/api/v1/equipment", Some(&who.token), &body)
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let item = r.json();
    assert_eq!(item["grade"], "7");
    assert_eq!(item["level"], "private", "L1 by default");
    assert_eq!(
        item["cathodic_protection"], true,
        "a protection potential implies cathodic protection"
    );
    assert_eq!(item["version"], 1);
    let got = app
        .get(
            &format!("/api/v1/equipment/{}", item["id"].as_str().unwrap()),
            Some(&who.token),
        )
        .await
        .json();
    for key in [
        "temperature_c",
        "chloride_mg_l",
        "ph",
        "galvanic_partner",
        "crevice_present",
        "commissioned_on",
        "owner_name",
    ] {
        assert_eq!(got[key], item[key], "{key}");
    }
    assert_eq!(got["temperature_c"], 85.5);
}

async fn bad_input_is_refused_with_every_problem_and_changes_nothing(app: TestApp) {
    let org = app.org(OrgKind::Enterprise, &[]).await;
    let who = app.person(org, Role::Member).await;
    let r = app
        .post_json(
            "/api/v1/equipment",
            Some(&who.token),
            &json!({"tag": "", "name": "x", "equipment_type": "teapot", "grade": "Gr5", "ph": 22, "temperature_c": 9000, "commissioned_on": "2099-01-01", "galvanic_partner": "gold"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.header("content-type"), Some("application/problem+json"));
    let problem = r.json();
    assert_eq!(problem["type"], "/problems/validation");
    let mut fields: Vec<String> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap().to_owned())
        .collect();
    fields.sort();
    assert_eq!(
        fields,
        vec![
            "commissioned_on",
            "equipment_type",
            "galvanic_partner",
            "grade",
            "ph",
            "tag",
            "temperature_c"
        ]
    );
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("plate_heat_exchanger"),
        "names the allowed values"
    );
    assert_eq!(app.count("equipment", "1 = 1").await, 0);

    let unknown = app.post_json("/api/v1/equipment", Some(&who.token), &json!({"tag": "x", "name": "x", "equipment_type": "coil", "grade": "2", "colour": "red"})).await;
    assert_eq!(unknown.status, StatusCode::BAD_REQUEST);
    assert!(unknown.text().contains("colour"));
    let not_json = app
        .post_body("/api/v1/equipment", Some(&who.token), "text/plain", "tag=x")
        .await;
    assert_eq!(not_json.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
}

async fn tags_are_unique_per_organisation(app: TestApp) {
    let a = app.org(OrgKind::Enterprise, &[]).await;
    let b = app.org(OrgKind::Enterprise, &[]).await;
    let alice = app.person(a, Role::Member).await;
    let bob = app.person(b, Role::Member).await;
    let body = json!({"tag": "E-1", "name": "x", "equipment_type": "coil", "grade": "2"});
    assert_eq!(
        app.post_json("/api/v1/equipment", Some(&alice.token), &body)
            .await
            .status,
        StatusCode::CREATED
    );
    assert_eq!(
        app.post_json("/api/v1/equipment", Some(&bob.token), &body)
            .await
            .status,
        StatusCode::CREATED
    );
    let dup = app
        .post_json("/api/v1/equipment", Some(&alice.token), &body)
        .await;
    assert_eq!(dup.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(dup.json()["errors"][0]["code"], "taken");
}

async fn patch_merges_refuses_lost_updates_and_delete_removes(app: TestApp) {
    let org = app.org(OrgKind::Enterprise, &[]).await;
    let who = app.person(org, Role::Member).await;
    let created = app
        .post_json(
            "/api/v1/equipment",
            Some(&who.token),
            &json!({"tag": "E-2", "name": "old", "equipment_type": "coil", "grade": "2", "ph": 7}),
        )
        .await
        .json();
    let id = created["id"].as_str().unwrap();
    let path = format!("/api/v1/equipment/{id}");
    let r = app
        .send_json(
            Method::PATCH,
            &path,
            Some(&who.token),
            &json!({"name": "new", "ph": null, "chloride_mg_l": 200}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let item = r.json();
    assert_eq!(item["name"], "new");
    assert_eq!(item["ph"], serde_json::Value::Null);
    assert_eq!(item["chloride_mg_l"], 200.0);
    assert_eq!(item["tag"], "E-2");
    assert_eq!(item["version"], 2);

    let stale = app
        .request(
            axum::http::Request::builder()
                .method("PATCH")
                .uri(&path)
                .header("authorization", format!("Bearer {}", who.token))
                .header("content-type", "application/merge-patch+json")
                .header("if-match", "\"1\"")
                .body(axum::body::Body::from(json!({"name": "stale"}).to_string()))
                .unwrap(),
        )
        .await;
    assert_eq!(stale.status, StatusCode::CONFLICT);
    let bad = app
        .send_json(
            Method::PATCH,
            &path,
            Some(&who.token),
            &json!({"id": "x", "tag": null}),
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        app.get(&path, Some(&who.token)).await.json()["name"],
        "new",
        "refused changes change nothing"
    );

    assert_eq!(
        app.delete(&path, Some(&who.token)).await.status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        app.get(&path, Some(&who.token)).await.status,
        StatusCode::NOT_FOUND
    );
}

async fn lists_page_with_cursors_and_filter(app: TestApp) {
    let org = app.org(OrgKind::Enterprise, &[]).await;
    let who = app.person(org, Role::Member).await;
    for i in 0..7 {
        let kind = if i % 2 == 0 { "coil" } else { "condenser" };
        let r = app
            .post_json("/api/v1/equipment", Some(&who.token), &json!({"tag": format!("T-{i:02}"), "name": format!("item {i}"), "equipment_type": kind, "grade": "2"}))
            .await;
        assert_eq!(r.status, StatusCode::CREATED);
    }
    let mut seen = vec![];
    let mut url = "/api/v1/equipment?limit=3".to_owned();
    loop {
        let page = app.get(&url, Some(&who.token)).await.json();
        for i in page["items"].as_array().unwrap() {
            seen.push(i["tag"].as_str().unwrap().to_owned());
        }
        match page["next_cursor"].as_str() {
            Some(c) => url = format!("/api/v1/equipment?limit=3&cursor={c}"),
            None => break,
        }
    }
    assert_eq!(
        seen,
        (0..7).map(|i| format!("T-{i:02}")).collect::<Vec<_>>()
    );
    let coils = app
        .get("/api/v1/equipment?equipment_type=coil", Some(&who.token))
        .await
        .json();
    assert_eq!(coils["items"].as_array().unwrap().len(), 4);
    let found = app
        .get("/api/v1/equipment?q=item%205", Some(&who.token))
        .await
        .json();
    assert_eq!(found["items"][0]["tag"], "T-05");
    assert_eq!(
        app.get("/api/v1/equipment?cursor=garbage", Some(&who.token))
            .await
            .status,
        StatusCode::BAD_REQUEST
    );
}

ticorr_test_support::on_both_engines!(
    an_item_round_trips_with_risk_model_names_and_units,
    bad_input_is_refused_with_every_problem_and_changes_nothing,
    tags_are_unique_per_organisation,
    patch_merges_refuses_lost_updates_and_delete_removes,
    lists_page_with_cursors_and_filter,
);
