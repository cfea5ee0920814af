//! Spreadsheets in and out.

use axum::http::StatusCode;
use serde_json::json;
use ticorr_kernel::{OrgKind, Role};
use ticorr_test_support::TestApp;

const GOOD: &str = "tag,name,equipment_type,grade,temperature_c,chloride_mg_l,ph,crevice_present\n\
E-1,盐水加热器,plate_heat_exchanger,2,85,150000,9.5,true\n\
E-2,氯气冷却器,shell_and_tube_heat_exchanger,Gr12,40,,3,false\n";

async fn a_bad_row_is_reported_by_number_and_nothing_is_imported(app: TestApp) {
    let org = app.org(OrgKind::Enterprise, &[]).await;
    let who = app.person(org, Role::Member).await;
    let csv = format!("{GOOD}E-3,bad row,teapot,2,85,,99,maybe\n");
    let r = app
        .post_body(
            "/api/v1/equipment/import",
            Some(&who.token),
            "text/csv",
            csv,
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
    let rows = r.json()["row_errors"].as_array().unwrap().clone();
    assert!(rows.iter().all(|e| e["row"] == 4), "{rows:?}");
    let fields: Vec<&str> = rows.iter().map(|e| e["field"].as_str().unwrap()).collect();
    assert!(fields.contains(&"crevice_present"), "{fields:?}");
    assert_eq!(
        app.count("equipment", "1 = 1").await,
        0,
        "a bad row changes nothing"
    );

    let r = app
        .post_body(
            "/api/v1/equipment/import",
            Some(&who.token),
            "text/csv",
            GOOD,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json(), json!({"rows": 2, "created": 2, "updated": 0}));
    // Importing again updates by tag.
    let changed = GOOD.replace("85,150000", "90,160000");
    let r = app
        .post_body(
            "/api/v1/equipment/import",
            Some(&who.token),
            "text/csv",
            changed,
        )
        .await;
    assert_eq!(r.json(), json!({"rows": 2, "created": 0, "updated": 2}));
    let list = app
        .get("/api/v1/equipment?q=E-1", Some(&who.token))
        .await
        .json();
    assert_eq!(list["items"][0]["temperature_c"], 90.0);
}

async fn duplicate_tags_and_unknown_columns_are_refused(app: TestApp) {
    let org = app.org(OrgKind::Enterprise, &[]).await;
    let who = app.person(org, Role::Member).await;
    let dup = "tag,name,equipment_type,grade\nA,x,coil,2\nA,y,coil,2\n";
    let r = app
        .post_body(
            "/api/v1/equipment/import",
            Some(&who.token),
            "text/csv",
            dup,
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.json()["row_errors"][0]["row"], 3);
    let typo = "tag,name,equipment_type,grade,temprature_c\nA,x,coil,2,80\n";
    let r = app
        .post_body(
            "/api/v1/equipment/import",
            Some(&who.token),
            "text/csv",
            typo,
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.text().contains("temprature_c"));
    assert_eq!(app.count("equipment", "1 = 1").await, 0);
}

async fn exports_open_in_excel_and_neutralise_formulas_and_round_trip(app: TestApp) {
    let org = app.org(OrgKind::Enterprise, &[]).await;
    let who = app.person(org, Role::Member).await;
    let r = app
        .post_json("/api/v1/equipment", Some(&who.token), &json!({"tag": "=HYPERLINK(\"x\")", "name": "+SUM(A1)", "equipment_type": "coil", "grade": "2", "temperature_c": -5}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    let csv = app
        .get("/api/v1/equipment/export?format=csv", Some(&who.token))
        .await;
    assert_eq!(csv.status, StatusCode::OK);
    assert!(csv.header("content-type").unwrap().starts_with("text/csv"));
    assert!(
        csv.header("content-disposition")
            .unwrap()
            .contains("equipment.csv")
    );
    assert!(csv.body.starts_with(b"\xEF\xBB\xBF"), "UTF-8 with BOM");
    let text = csv.text();
    assert!(text.contains("'=HYPERLINK"), "{text}");
    assert!(text.contains("'+SUM(A1)"));
    assert!(text.contains(",-5,"), "numbers are not escaped: {text}");
    // The export imports back unchanged.
    let back = app
        .post_body(
            "/api/v1/equipment/import",
            Some(&who.token),
            "text/csv",
            csv.body.to_vec(),
        )
        .await;
    assert_eq!(
        back.json(),
        json!({"rows": 1, "created": 0, "updated": 1}),
        "{}",
        back.text()
    );
    let item = &app.get("/api/v1/equipment", Some(&who.token)).await.json()["items"][0];
    assert_eq!(item["tag"], "=HYPERLINK(\"x\")");
    assert_eq!(item["name"], "+SUM(A1)");

    let xlsx = app
        .get("/api/v1/equipment/export?format=xlsx", Some(&who.token))
        .await;
    assert_eq!(xlsx.status, StatusCode::OK);
    assert!(xlsx.body.starts_with(b"PK\x03\x04"));
    let back = app
        .post_body(
            "/api/v1/equipment/import",
            Some(&who.token),
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            xlsx.body.to_vec(),
        )
        .await;
    assert_eq!(
        back.json(),
        json!({"rows": 1, "created": 0, "updated": 1}),
        "{}",
        back.text()
    );
}

async fn the_template_is_a_valid_import(app: TestApp) {
    let org = app.org(OrgKind::Enterprise, &[]).await;
    let who = app.person(org, Role::Member).await;
    let template = app.get("/api/v1/equipment/template.csv", None).await;
    assert_eq!(template.status, StatusCode::OK);
    let r = app
        .post_body(
            "/api/v1/equipment/import",
            Some(&who.token),
            "text/csv",
            template.body.to_vec(),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
}

ticorr_test_support::on_both_engines!(
    a_bad_row_is_reported_by_number_and_nothing_is_imported,
    duplicate_tags_and_unknown_columns_are_refused,
    exports_open_in_excel_and_neutralise_formulas_and_round_trip,
    the_template_is_a_valid_import,
);
