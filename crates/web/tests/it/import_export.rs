//! Spreadsheets in and out. An import answers 202 with the job that runs it; the job's
//! result holds the report or every rejected row.

use axum::body::Body;
use axum::http::StatusCode;
use serde_json::{Value, json};
use ticorr_kernel::{OrgKind, Role};
use ticorr_test_support::TestApp;

/// Posts an import, checks the 202 and its `Location`, runs the job, and returns the
/// finished job's status resource.
async fn import_job(
    app: &TestApp,
    token: &str,
    content_type: &str,
    body: impl Into<Body>,
) -> Value {
    let r = app
        .post_body("/api/v1/equipment/import", Some(token), content_type, body)
        .await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.text());
    let location = r.header("location").expect("a Location header").to_owned();
    let accepted = r.json();
    assert_eq!(
        location,
        format!("/api/v1/jobs/{}", accepted["id"].as_str().unwrap())
    );
    assert_eq!(accepted["status"], "queued");
    assert_eq!(accepted["kind"], "equipment.import");
    assert_eq!(app.run_jobs().await, 1, "the import job ran");
    let job = app.get(&location, Some(token)).await;
    assert_eq!(job.status, StatusCode::OK, "{}", job.text());
    let job = job.json();
    assert_eq!(job["status"], "done", "{job}");
    job
}

/// [`import_job`], returning the job's result.
async fn import(app: &TestApp, token: &str, content_type: &str, body: impl Into<Body>) -> Value {
    import_job(app, token, content_type, body).await["result"].clone()
}

fn imported(rows: u64, created: u64, updated: u64) -> Value {
    json!({"outcome": "imported", "report": {"rows": rows, "created": created, "updated": updated}})
}

const GOOD: &str = "tag,name,equipment_type,grade,temperature_c,chloride_mg_l,ph,crevice_present\n\
E-1,盐水加热器,plate_heat_exchanger,2,85,150000,9.5,true\n\
E-2,氯气冷却器,shell_and_tube_heat_exchanger,Gr12,40,,3,false\n";

async fn a_bad_row_is_reported_by_number_and_nothing_is_imported(app: TestApp) {
    let org = app.org(OrgKind::Enterprise, &[]).await;
    let who = app.person(org, Role::Member).await;
    let csv = format!("{GOOD}E-3,bad row,teapot,2,85,,99,maybe\n");
    let result = import(&app, &who.token, "text/csv", csv).await;
    assert_eq!(result["outcome"], "rejected", "{result}");
    let rows = result["row_errors"].as_array().unwrap().clone();
    assert!(!rows.is_empty());
    assert!(rows.iter().all(|e| e["row"] == 4), "{rows:?}");
    let fields: Vec<&str> = rows.iter().map(|e| e["field"].as_str().unwrap()).collect();
    assert!(fields.contains(&"crevice_present"), "{fields:?}");
    assert_eq!(
        app.count("equipment", "1 = 1").await,
        0,
        "a bad row changes nothing"
    );

    let job = import_job(&app, &who.token, "text/csv", GOOD).await;
    assert_eq!(job["result"], imported(2, 2, 0));
    assert_eq!(
        (&job["progress"]["done"], &job["progress"]["total"]),
        (&json!(2), &json!(2)),
        "progress was reported: {job}"
    );
    assert_eq!(
        app.count("job_inputs", "1 = 1").await,
        0,
        "the upload is dropped with the job's completion"
    );
    // Importing again updates by tag.
    let changed = GOOD.replace("85,150000", "90,160000");
    assert_eq!(
        import(&app, &who.token, "text/csv", changed).await,
        imported(2, 0, 2)
    );
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
    let result = import(&app, &who.token, "text/csv", dup).await;
    assert_eq!(result["outcome"], "rejected");
    assert_eq!(result["row_errors"][0]["row"], 3, "{result}");
    assert_eq!(
        result["row_errors"].as_array().unwrap().len(),
        1,
        "{result}"
    );
    // What needs no database is refused at once, and no job is started.
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
    assert_eq!(
        app.count("jobs", "1 = 1").await,
        1,
        "only the first import's job"
    );
    assert_eq!(app.count("equipment", "1 = 1").await, 0);
}

async fn tags_repeated_across_row_batches_are_reported_before_anything_is_written(app: TestApp) {
    let org = app.org(OrgKind::Enterprise, &[]).await;
    let who = app.person(org, Role::Member).await;
    let mut csv = String::from("tag,name,equipment_type,grade\n");
    let n = ticorr_equipment::IMPORT_BATCH + 50;
    for i in 0..n {
        csv.push_str(&format!("T-{i},item {i},coil,2\n"));
    }
    // The last row repeats the first row's tag, in another batch.
    csv.push_str("T-0,again,coil,2\n");
    let job = import_job(&app, &who.token, "text/csv", csv).await;
    let result = &job["result"];
    assert_eq!(result["outcome"], "rejected", "{result}");
    assert_eq!(result["row_errors"][0]["row"], n + 2);
    assert_eq!(job["progress"]["total"], n + 1);
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
    let back = import(&app, &who.token, "text/csv", csv.body.to_vec()).await;
    assert_eq!(back, imported(1, 0, 1));
    let item = &app.get("/api/v1/equipment", Some(&who.token)).await.json()["items"][0];
    assert_eq!(item["tag"], "=HYPERLINK(\"x\")");
    assert_eq!(item["name"], "+SUM(A1)");

    let xlsx = app
        .get("/api/v1/equipment/export?format=xlsx", Some(&who.token))
        .await;
    assert_eq!(xlsx.status, StatusCode::OK);
    assert!(xlsx.body.starts_with(b"PK\x03\x04"));
    let back = import(
        &app,
        &who.token,
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        xlsx.body.to_vec(),
    )
    .await;
    assert_eq!(back, imported(1, 0, 1));
}

async fn the_template_is_a_valid_import(app: TestApp) {
    let org = app.org(OrgKind::Enterprise, &[]).await;
    let who = app.person(org, Role::Member).await;
    let template = app.get("/api/v1/equipment/template.csv", None).await;
    assert_eq!(template.status, StatusCode::OK);
    let result = import(&app, &who.token, "text/csv", template.body.to_vec()).await;
    assert_eq!(result["outcome"], "imported", "{result}");
}

async fn risk_columns_import_in_chinese_and_export_again_with_a_grade(app: TestApp) {
    let org = app.org(OrgKind::Enterprise, &[]).await;
    let who = app.person(org, Role::Member).await;
    let csv = "位号,名称,设备类型,钛材牌号,温度_c,氯离子_mg_l,ph,存在缝隙,氯气工况,氢氟酸_wt_pct,介质危害,附近人员,失效损失_usd\n\
E-1,盐水加热器,plate_heat_exchanger,2,85,150000,7,是,否,0,hazardous,occasionally,80000\n\
E-2,氯气冷却器,shell_and_tube_heat_exchanger,2,60,,3,否,也许,,toxic,rarely,\n";
    // A flag that is neither yes nor no names its row and column; nothing is imported.
    let refused = import(&app, &who.token, "text/csv", csv).await;
    assert_eq!(refused["outcome"], "rejected", "{refused}");
    let errors = refused["row_errors"].as_array().unwrap();
    assert!(
        errors
            .iter()
            .any(|e| e["row"] == 3 && e["field"] == "chlorine_gas"),
        "{refused}"
    );
    assert_eq!(app.count("equipment", "1 = 1").await, 0);
    let csv = csv.replace("也许", "否");
    let result = import(&app, &who.token, "text/csv", csv).await;
    assert_eq!(result, imported(2, 2, 0));
    let list = app.get("/api/v1/equipment", Some(&who.token)).await.json();
    let e1 = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["tag"] == "E-1")
        .unwrap()
        .clone();
    assert_eq!(e1["medium_hazard"], "hazardous");
    assert_eq!(e1["failure_cost_usd"], 80000.0);
    assert_eq!(
        e1["service_conditions"],
        json!({"chlorine_gas": false, "hf_wt_pct": 0.0})
    );
    assert!(e1["risk_grade"].is_string(), "assessed on import: {e1}");
    assert_eq!(
        app.count(
            "risk_assessments",
            "reason = 'registered' AND is_current = 1"
        )
        .await,
        2
    );
    let csv = app
        .get("/api/v1/equipment/export?format=csv", Some(&who.token))
        .await
        .text();
    let header = csv.lines().next().unwrap();
    for column in [
        "chlorine_gas",
        "hf_wt_pct",
        "medium_hazard",
        "failure_cost_usd",
    ] {
        assert!(header.contains(column), "{header}");
    }
    assert!(csv.contains("hazardous,occasionally,80000"), "{csv}");
}

ticorr_test_support::on_both_engines!(
    risk_columns_import_in_chinese_and_export_again_with_a_grade,
    a_bad_row_is_reported_by_number_and_nothing_is_imported,
    duplicate_tags_and_unknown_columns_are_refused,
    tags_repeated_across_row_batches_are_reported_before_anything_is_written,
    exports_open_in_excel_and_neutralise_formulas_and_round_trip,
    the_template_is_a_valid_import,
);
