//! The data levels as a user meets them: who sees which equipment.

use axum::http::StatusCode;
use serde_json::{Value, json};
use ticorr_kernel::{OrgId, OrgKind, Role};
use ticorr_test_support::{Login, TestApp};

async fn create_item(
    app: &TestApp,
    who: &Login,
    tag: &str,
    level: &str,
    park: Option<OrgId>,
) -> String {
    let mut body = json!({"tag": tag, "name": format!("{tag} 换热器"), "equipment_type": "plate_heat_exchanger", "grade": "Gr2", "level": level, "temperature_c": 80, "chloride_mg_l": 150000});
    if let Some(p) = park {
        body["park_id"] = json!(p.to_string());
    }
    let r = app
        .post_json("/api/v1/equipment", Some(&who.token), &body)
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    r.json()["id"].as_str().unwrap().to_owned()
}

fn tags(list: &Value) -> Vec<String> {
    let mut t: Vec<String> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["tag"].as_str().unwrap().to_owned())
        .collect();
    t.sort();
    t
}

async fn another_enterprise_gets_404_exactly_as_for_a_missing_item(app: TestApp) {
    let a = app.org(OrgKind::Enterprise, &[]).await;
    let b = app.org(OrgKind::Enterprise, &[]).await;
    let alice = app.person(a, Role::Admin).await;
    let bob = app.person(b, Role::Admin).await;
    let id = create_item(&app, &bob, "B-1", "private", None).await;
    let theirs = app
        .get(&format!("/api/v1/equipment/{id}"), Some(&alice.token))
        .await;
    let missing = app
        .get(
            &format!("/api/v1/equipment/{}", uuid::Uuid::now_v7()),
            Some(&alice.token),
        )
        .await;
    assert_eq!(theirs.status, StatusCode::NOT_FOUND);
    assert_eq!(
        theirs.body, missing.body,
        "a hidden item is indistinguishable from a missing one"
    );
    // Writes to it are also "not found".
    let patch = app
        .send_json(
            axum::http::Method::PATCH,
            &format!("/api/v1/equipment/{id}"),
            Some(&alice.token),
            &json!({"name": "mine now"}),
        )
        .await;
    assert_eq!(patch.status, StatusCode::NOT_FOUND);
    assert_eq!(
        app.delete(&format!("/api/v1/equipment/{id}"), Some(&alice.token))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert!(
        tags(
            &app.get("/api/v1/equipment", Some(&alice.token))
                .await
                .json()
        )
        .is_empty()
    );
    // The owner still sees it unchanged, and the denied read was audited.
    let own = app
        .get(&format!("/api/v1/equipment/{id}"), Some(&bob.token))
        .await;
    assert_eq!(own.json()["name"], "B-1 换热器");
    assert_eq!(
        app.count(
            "audit_events",
            &format!("resource_id = '{id}' AND decision = 'deny' AND actor_org_id = '{a}'")
        )
        .await,
        3
    );
}

async fn a_park_manager_sees_park_items_of_its_enterprises_and_nothing_else(app: TestApp) {
    let park = app.org(OrgKind::Park, &[]).await;
    let other_park = app.org(OrgKind::Park, &[]).await;
    let inside = app.org(OrgKind::Enterprise, &[park]).await;
    let neighbour = app.org(OrgKind::Enterprise, &[park]).await;
    let outside = app.org(OrgKind::Enterprise, &[other_park]).await;
    let ent = app.person(inside, Role::Admin).await;
    let nb = app.person(neighbour, Role::Admin).await;
    let out = app.person(outside, Role::Admin).await;
    let manager = app.person(park, Role::Member).await;
    let shared = create_item(&app, &ent, "P-SHARED", "park", Some(park)).await;
    let private = create_item(&app, &ent, "P-PRIVATE", "private", Some(park)).await;
    create_item(&app, &out, "O-SHARED", "park", Some(other_park)).await;

    assert_eq!(
        tags(
            &app.get("/api/v1/equipment", Some(&manager.token))
                .await
                .json()
        ),
        vec!["P-SHARED"]
    );
    assert_eq!(
        app.get(&format!("/api/v1/equipment/{shared}"), Some(&manager.token))
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(
        app.get(
            &format!("/api/v1/equipment/{private}"),
            Some(&manager.token)
        )
        .await
        .status,
        StatusCode::NOT_FOUND
    );
    // A neighbour settled in the same park sees the shared item too, but cannot change it.
    assert_eq!(
        tags(&app.get("/api/v1/equipment", Some(&nb.token)).await.json()),
        vec!["P-SHARED"]
    );
    let r = app
        .send_json(
            axum::http::Method::PATCH,
            &format!("/api/v1/equipment/{shared}"),
            Some(&nb.token),
            &json!({"name": "x"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // An enterprise of another park sees only its own.
    assert_eq!(
        tags(&app.get("/api/v1/equipment", Some(&out.token)).await.json()),
        vec!["O-SHARED"]
    );
    // Sharing needs a park the owner is settled in.
    let r = app
        .post_json("/api/v1/equipment", Some(&ent.token), &json!({"tag": "X", "name": "x", "equipment_type": "coil", "grade": "2", "level": "park", "park_id": other_park.to_string()}))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.json()["errors"][0]["field"], "park_id");
}

async fn a_regulator_reads_no_private_record(app: TestApp) {
    let park = app.org(OrgKind::Park, &[]).await;
    let ent = app.org(OrgKind::Enterprise, &[park]).await;
    let owner = app.person(ent, Role::Admin).await;
    let regulator_org = app.org(OrgKind::Regulator, &[]).await;
    let regulator = app.person(regulator_org, Role::Admin).await;
    let private = create_item(&app, &owner, "R-1", "private", None).await;
    let shared = create_item(&app, &owner, "R-2", "park", Some(park)).await;
    for id in [&private, &shared] {
        assert_eq!(
            app.get(&format!("/api/v1/equipment/{id}"), Some(&regulator.token))
                .await
                .status,
            StatusCode::NOT_FOUND
        );
    }
    assert!(
        tags(
            &app.get("/api/v1/equipment", Some(&regulator.token))
                .await
                .json()
        )
        .is_empty()
    );
    let export = app
        .get(
            "/api/v1/equipment/export?format=csv",
            Some(&regulator.token),
        )
        .await;
    assert!(!export.text().contains("R-1"));
}

async fn a_pending_organisation_cannot_hold_records_yet(app: TestApp) {
    let pending = app
        .org_with_status(OrgKind::Enterprise, &[], ticorr_kernel::OrgStatus::Pending)
        .await;
    let who = app.person(pending, Role::Admin).await;
    let me = app.get("/api/v1/me", Some(&who.token)).await.json();
    assert_eq!(me["organization"]["status"], "pending");
    let r = app
        .post_json(
            "/api/v1/equipment",
            Some(&who.token),
            &json!({"tag": "E-1", "name": "x", "equipment_type": "coil", "grade": "2"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(app.count("equipment", "1 = 1").await, 0);
}

async fn anonymous_callers_get_401_on_protected_api_paths(app: TestApp) {
    for path in ["/api/v1/me", "/api/v1/equipment"] {
        let r = app.get(path, None).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{path}");
        assert_eq!(r.header("content-type"), Some("application/problem+json"));
    }
    assert_eq!(
        app.get("/api/v1/me", Some("not-a-token")).await.status,
        StatusCode::UNAUTHORIZED
    );
}

ticorr_test_support::on_both_engines!(
    another_enterprise_gets_404_exactly_as_for_a_missing_item,
    a_park_manager_sees_park_items_of_its_enterprises_and_nothing_else,
    a_regulator_reads_no_private_record,
    a_pending_organisation_cannot_hold_records_yet,
    anonymous_callers_get_401_on_protected_api_paths,
);
