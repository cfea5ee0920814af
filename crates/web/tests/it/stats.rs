//! L4 statistics: who may ask, what comes back, and the privacy budget.

use axum::http::StatusCode;
use serde_json::json;
use ticorr_equipment::ValidEquipment;
use ticorr_kernel::equipment::{EquipmentType, TitaniumGrade};
use ticorr_kernel::{EquipmentId, Level, OrgKind, Role};
use ticorr_test_support::TestApp;

fn item(tag: String, kind: EquipmentType, temperature: f64) -> ValidEquipment {
    ValidEquipment {
        tag,
        name: "stat item".into(),
        equipment_type: kind,
        grade: TitaniumGrade::Gr2,
        level: Level::Private,
        park_id: None,
        manufacturer_org_id: None,
        manufacturer_name: None,
        commissioned_on: Some("2015-06-01".into()),
        process_medium: None,
        location: None,
        temperature_c: Some(temperature),
        pressure_mpa: None,
        chloride_mg_l: None,
        fluoride_mg_l: None,
        ph: None,
        velocity_m_s: None,
        galvanic_partner: None,
        cathodic_protection: None,
        cp_potential_v_sce: None,
        crevice_present: None,
        deposits_present: None,
        service_conditions: Default::default(),
        medium_hazard: None,
        people_nearby: None,
        failure_cost_usd: None,
        consequence_category: None,
    }
}

/// 12 enterprises with three plate exchangers each, and 3 with one coil each.
async fn populate(app: &TestApp) {
    let mut items = Vec::new();
    for i in 0..15 {
        let org = app.org(OrgKind::Enterprise, &[]).await;
        if i < 12 {
            for j in 0..3 {
                items.push((
                    EquipmentId::new(),
                    org,
                    item(format!("P-{j}"), EquipmentType::Plate, 80.0),
                ));
            }
        } else {
            items.push((
                EquipmentId::new(),
                org,
                item("C-1".into(), EquipmentType::Coil, 60.0),
            ));
        }
    }
    let mut tx = app.state.db.begin().await.unwrap();
    ticorr_equipment::seed_insert(&mut tx, &items, app.clock.now())
        .await
        .unwrap();
    tx.commit().await.unwrap();
}

async fn regulators_get_noisy_cells_with_small_ones_suppressed(app: TestApp) {
    populate(&app).await;
    let reg = app
        .person(app.org(OrgKind::Regulator, &[]).await, Role::Member)
        .await;
    let r = app
        .post_json(
            "/api/v1/stats/query",
            Some(&reg.token),
            &json!({"measure": "equipment_count", "group_by": ["equipment_type"], "epsilon": 1.0}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let body = r.json();
    let cells = body["cells"].as_array().unwrap();
    let plate = cells
        .iter()
        .find(|c| c["key"]["equipment_type"] == "plate_heat_exchanger")
        .unwrap();
    let coil = cells
        .iter()
        .find(|c| c["key"]["equipment_type"] == "coil")
        .unwrap();
    assert_eq!(plate["suppressed"], false);
    assert!(plate["value"].as_f64().is_some());
    assert_eq!(
        coil["suppressed"], true,
        "three contributors are fewer than ten"
    );
    assert!(coil["value"].is_null());
    assert_eq!(body["epsilon"], 1.0);
    assert!(body["mechanism"].as_str().unwrap().contains("OpenDP"));
    assert_eq!(body["scales"]["count"], 50.0, "contribution bound / ε");
    assert_eq!(body["budget"]["epsilon_spent"], 1.0);
    assert_eq!(
        app.count(
            "audit_events",
            "resource_type = 'statistics' AND decision = 'allow'"
        )
        .await,
        1
    );

    let mean = app
        .post_json(
            "/api/v1/stats/query",
            Some(&reg.token),
            &json!({"measure": "mean_temperature_c", "epsilon": 0.5}),
        )
        .await
        .json();
    let v = mean["cells"][0]["value"].as_f64().unwrap();
    assert!(
        (0.0..=250.0).contains(&v),
        "means stay in the clamp range, got {v}"
    );
    assert_eq!(mean["clamp"], json!([0.0, 250.0]));
}

async fn only_regulators_and_research_may_ask(app: TestApp) {
    populate(&app).await;
    let ent = app
        .person(app.org(OrgKind::Enterprise, &[]).await, Role::Admin)
        .await;
    let research = app
        .person(app.org(OrgKind::Research, &[]).await, Role::Member)
        .await;
    let q = json!({"measure": "organization_count", "group_by": ["province"]});
    let r = app
        .post_json("/api/v1/stats/query", Some(&ent.token), &q)
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(app.count("privacy_releases", "1 = 1").await, 0);
    let r = app
        .post_json("/api/v1/stats/query", Some(&research.token), &q)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let bad = app
        .post_json(
            "/api/v1/stats/query",
            Some(&research.token),
            &json!({"measure": "organization_count", "epsilon": 5.0}),
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    let unknown = app
        .post_json(
            "/api/v1/stats/query",
            Some(&research.token),
            &json!({"measure": "salaries"}),
        )
        .await;
    assert_eq!(unknown.status, StatusCode::BAD_REQUEST);
}

async fn the_budget_refuses_what_it_cannot_cover_and_the_regulator_sees_its_use(app: TestApp) {
    populate(&app).await;
    let research = app
        .person(app.org(OrgKind::Research, &[]).await, Role::Member)
        .await;
    let q = json!({"measure": "equipment_count", "epsilon": 1.0});
    for _ in 0..4 {
        assert_eq!(
            app.post_json("/api/v1/stats/query", Some(&research.token), &q)
                .await
                .status,
            StatusCode::OK
        );
    }
    let refused = app
        .post_json("/api/v1/stats/query", Some(&research.token), &q)
        .await;
    assert_eq!(refused.status, StatusCode::CONFLICT);
    assert_eq!(refused.json()["type"], "/problems/privacy-budget");
    assert_eq!(
        app.count("privacy_releases", "1 = 1").await,
        4,
        "a refused query records nothing"
    );
    let own = app
        .get("/api/v1/stats/budgets", Some(&research.token))
        .await
        .json();
    assert_eq!(own.as_array().unwrap().len(), 1);
    assert_eq!(own[0]["epsilon_spent"], 4.0);
    assert_eq!(own[0]["epsilon_remaining"], 0.0);

    let reg = app
        .person(app.org(OrgKind::Regulator, &[]).await, Role::Member)
        .await;
    app.post_json(
        "/api/v1/stats/query",
        Some(&reg.token),
        &json!({"measure": "equipment_count", "epsilon": 0.25}),
    )
    .await;
    let all = app
        .get("/api/v1/stats/budgets", Some(&reg.token))
        .await
        .json();
    assert_eq!(
        all.as_array().unwrap().len(),
        2,
        "the regulator supervises every consumer's budget: {all}"
    );
    let theirs = app
        .get("/api/v1/stats/budgets", Some(&research.token))
        .await
        .json();
    assert_eq!(
        theirs.as_array().unwrap().len(),
        1,
        "research sees only its own"
    );
    // A new month brings a new budget (the session has long ended, so sign in again).
    app.clock.advance(time::Duration::days(31));
    let token = app.login(&research.email, &research.password).await;
    let q = json!({"measure": "equipment_count", "epsilon": 1.0});
    assert_eq!(
        app.post_json("/api/v1/stats/query", Some(&token), &q)
            .await
            .status,
        StatusCode::OK
    );
}

ticorr_test_support::on_both_engines!(
    regulators_get_noisy_cells_with_small_ones_suppressed,
    only_regulators_and_research_may_ask,
    the_budget_refuses_what_it_cannot_cover_and_the_regulator_sees_its_use,
);
