//! The clause library over the API and the pages: released standards for everyone, an
//! organisation's own documents for it alone, and the clauses that apply to an item with
//! their reasons.

use axum::http::StatusCode;
use serde_json::{Value, json};
use ticorr_kernel::{Level, OrgId, OrgKind, Role};
use ticorr_test_support::TestApp;

fn standard(code: &str, origin: &str) -> ticorr_standards::StandardInput {
    serde_json::from_value(json!({
        "code": code, "origin": origin,
        "title_en": "Operating limits", "title_zh": "运行限值",
        "scope_en": "Titanium heat exchangers in chloride service.", "scope_zh": "氯化物介质中的钛换热器。",
        "topic": "operation", "references": ["ASTM B338"], "review_interval_months": 36,
        "clauses": [
            {"number": "4.1", "kind": "mandatory",
             "text_en": "Gr1 and Gr2 wetted by chloride brine shall be kept at or below 70 °C.",
             "text_zh": "与氯化物盐水接触的 Gr1、Gr2 钛材温度应不高于 70 °C。",
             "risk_grades": ["I", "II", "III", "IV"],
             "applies": {"grades": ["1", "2"], "media": ["brine"], "chloride_mg_l": {"min": 1}},
             "rationale_en": "Crevice corrosion of Gr2 in hot brine starts above about 70 °C.",
             "rationale_zh": "Gr2 在热盐水中约 70 °C 以上发生缝隙腐蚀。",
             "references": ["ASTM B338"],
             "source": ["risk_model.json CR1, CR2"],
             "limit": {"parameter": "temperature_c", "op": "<=", "value": 70, "unit": "°C"}},
            {"number": "4.2", "kind": "recommended",
             "text_en": "Above 70 °C, prefer Gr7, Gr11 or Gr12.", "text_zh": "70 °C 以上宜选用 Gr7、Gr11 或 Gr12。",
             "risk_grades": ["III", "IV"],
             "applies": {"temperature_c": {"min": 70}, "chloride_mg_l": {"min": 1}}},
            {"number": "4.3", "kind": "recommended",
             "text_en": "Where crevices or deposits exist, keep the pH at 3 or above.", "text_zh": "存在缝隙或沉积物时，pH 宜不低于 3。",
             "risk_grades": ["I", "II", "III", "IV"],
             "applies": {"crevices_or_deposits": true, "chloride_mg_l": {"min": 1}}},
                        {"number": "5.1", "kind": "mandatory",
             "text_en": "Do not clean titanium with fluoride-bearing agents.", "text_zh": "不得使用含氟清洗剂清洗钛设备。",
             "risk_grades": ["I", "II", "III", "IV"], "applies": {}}
        ]
    }))
    .unwrap()
}

async fn release(
    app: &TestApp,
    owner: OrgId,
    level: Level,
    park: Option<OrgId>,
    code: &str,
    origin: &str,
) -> String {
    let mut conn = app.state.db.pool().acquire().await.unwrap();
    ticorr_standards::seed_released(
        &mut conn,
        (owner, level, park),
        &standard(code, origin),
        &ticorr_standards::Release {
            at: app.clock.now(),
            effective_on: "2026-03-01".into(),
            review_due_on: "2029-03-01".into(),
        },
    )
    .await
    .unwrap()
}

fn brine_heater(tag: &str, temperature: f64) -> Value {
    json!({
        "tag": tag, "name": "盐水加热器", "equipment_type": "plate_heat_exchanger",
        "grade": "2", "temperature_c": temperature, "ph": 7, "chloride_mg_l": 150000,
        "process_medium": "饱和盐水", "crevice_present": true, "deposits_present": false,
        "medium_hazard": "hazardous", "people_nearby": "occasionally"
    })
}

async fn released_standards_are_public_and_own_documents_stay_with_their_holder(app: TestApp) {
    let association = app.org(OrgKind::Association, &[]).await;
    let enterprise = app.org(OrgKind::Enterprise, &[]).await;
    let other = app.org(OrgKind::Enterprise, &[]).await;
    let public = release(
        &app,
        association,
        Level::Public,
        None,
        "T/TICORR 901-2026",
        "platform",
    )
    .await;
    let own = release(
        &app,
        enterprise,
        Level::Private,
        None,
        "Q/TEST 001-2026",
        "enterprise",
    )
    .await;
    let who = app.person(enterprise, Role::Member).await;
    let stranger = app.person(other, Role::Member).await;

    // No account: the released platform standard only.
    let anonymous = app.get("/api/v1/standards", None).await;
    assert_eq!(anonymous.status, StatusCode::OK, "{}", anonymous.text());
    let codes = |v: &Value| -> Vec<String> {
        v["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["code"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(codes(&anonymous.json()), vec!["T/TICORR 901-2026"]);
    let mine = app.get("/api/v1/standards", Some(&who.token)).await.json();
    assert_eq!(codes(&mine), vec!["Q/TEST 001-2026", "T/TICORR 901-2026"]);
    let theirs = app
        .get("/api/v1/standards", Some(&stranger.token))
        .await
        .json();
    assert_eq!(codes(&theirs), vec!["T/TICORR 901-2026"]);
    assert_eq!(
        app.get(&format!("/api/v1/standards/{own}"), Some(&stranger.token))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.get(&format!("/api/v1/standards/{own}"), None)
            .await
            .status,
        StatusCode::NOT_FOUND
    );

    // A version's clauses, sealed by the hash of their content.
    let v = app
        .get(
            &format!("/api/v1/standards/{public}/versions/current/clauses"),
            None,
        )
        .await;
    assert_eq!(v.status, StatusCode::OK, "{}", v.text());
    let v = v.json();
    // One clause by its id, under the same rule as its standard.
    let first = v["clauses"][0]["id"].as_str().unwrap().to_owned();
    let c = app.get(&format!("/api/v1/clauses/{first}"), None).await;
    assert_eq!(c.status, StatusCode::OK, "{}", c.text());
    let c = c.json();
    assert_eq!(
        (c["code"].as_str(), c["version"].as_str()),
        (Some("T/TICORR 901-2026"), Some("1.0"))
    );
    assert_eq!(c["clause"]["number"], "4.1");
    let own_clauses = app
        .get(
            &format!("/api/v1/standards/{own}/versions/current/clauses"),
            Some(&who.token),
        )
        .await
        .json();
    let own_first = own_clauses["clauses"][0]["id"].as_str().unwrap().to_owned();
    let path = format!("/api/v1/clauses/{own_first}");
    assert_eq!(
        app.get(&path, Some(&who.token)).await.status,
        StatusCode::OK
    );
    for caller in [Some(stranger.token.as_str()), None] {
        assert_eq!(app.get(&path, caller).await.status, StatusCode::NOT_FOUND);
    }
    assert_eq!(
        app.get("/api/v1/clauses/no-such-clause", None).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(v["version"], "1.0");
    assert_eq!(v["stage"], "released");
    assert_eq!(v["content_sha256"].as_str().unwrap().len(), 64);
    let clauses = v["clauses"].as_array().unwrap();
    assert_eq!(clauses.len(), 4);
    assert_eq!(clauses[0]["number"], "4.1");
    assert_eq!(clauses[0]["limit"]["op"], "<=");
    let named = app
        .get(
            &format!("/api/v1/standards/{public}/versions/1.0/clauses"),
            None,
        )
        .await;
    assert_eq!(named.status, StatusCode::OK);
    assert_eq!(
        app.get(
            &format!("/api/v1/standards/{public}/versions/9.9/clauses"),
            None
        )
        .await
        .status,
        StatusCode::NOT_FOUND
    );

    // The pages, without an account.
    let list = app.get("/standards", None).await;
    assert_eq!(list.status, StatusCode::OK);
    let html = list.text();
    assert!(html.contains("T/TICORR 901-2026"), "{html}");
    assert!(!html.contains("Q/TEST 001-2026"));
    let page = app.get(&format!("/standards/{public}"), None).await.text();
    assert!(page.contains("id=\"clause-4.1\""), "{page}");
    assert!(page.contains("不得使用含氟清洗剂清洗钛设备"));
    // Clauses are found through the platform search, in either language, each reader
    // seeing what the levels allow.
    let search = |q: &'static str, token: Option<String>| {
        let app = &app;
        async move {
            let r = app
                .get(
                    &format!(
                        "/api/v1/search?type=standard&q={}",
                        ticorr_test_support::urlencode(q)
                    ),
                    token.as_deref(),
                )
                .await;
            assert_eq!(r.status, StatusCode::OK, "{}", r.text());
            r.json()
        }
    };
    let hits = |v: &Value| {
        v["hits"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| h["title"].as_str().unwrap().to_owned())
            .collect::<Vec<_>>()
    };
    let zh = search("含氟清洗剂", None).await;
    assert_eq!(hits(&zh), vec!["T/TICORR 901-2026 5.1 · 运行限值"], "{zh}");
    let en = search("fluoride-bearing agents", None).await;
    assert_eq!(hits(&en), hits(&zh));
    let own = search("fluoride-bearing agents", Some(who.token.clone())).await;
    assert_eq!(
        hits(&own).len(),
        2,
        "the holder finds its own document too: {own}"
    );
    let other = search("fluoride-bearing agents", Some(stranger.token.clone())).await;
    assert_eq!(hits(&other).len(), 1);
    let catalogue = app.get("/api/v1/standards/catalogue", None).await.json();
    assert!(
        catalogue["standards"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["id"] == "ASTM B338")
    );
}

async fn clauses_match_an_item_with_their_reasons_and_limits(app: TestApp) {
    let association = app.org(OrgKind::Association, &[]).await;
    let enterprise = app.org(OrgKind::Enterprise, &[]).await;
    let other = app.org(OrgKind::Enterprise, &[]).await;
    release(
        &app,
        association,
        Level::Public,
        None,
        "T/TICORR 902-2026",
        "platform",
    )
    .await;
    let who = app.person(enterprise, Role::Member).await;
    let stranger = app.person(other, Role::Member).await;
    let mut ids = Vec::new();
    for (tag, t) in [("E-1", 85.0), ("E-2", 60.0)] {
        let r = app
            .post_json("/api/v1/equipment", Some(&who.token), &brine_heater(tag, t))
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
        ids.push(r.json()["id"].as_str().unwrap().to_owned());
    }
    let matched = |id: String, token: String| {
        let app = &app;
        async move {
            let r = app
                .get(
                    &format!("/api/v1/standards/match?equipment_id={id}"),
                    Some(&token),
                )
                .await;
            (r.status, r.json())
        }
    };
    let (status, hot) = matched(ids[0].clone(), who.token.clone()).await;
    assert_eq!(status, StatusCode::OK, "{hot}");
    let numbers = |v: &Value| -> Vec<String> {
        v["applicable"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["clause"]["number"].as_str().unwrap().to_owned())
            .collect()
    };
    // Mandatory first; 4.2 (for grades III/IV above 70 °C) depends on the item's grade.
    let hot_numbers = numbers(&hot);
    assert_eq!(&hot_numbers[..2], ["4.1", "5.1"], "{hot}");
    let m41 = &hot["applicable"][0];
    let conditions: Vec<&str> = m41["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["condition"].as_str().unwrap())
        .collect();
    assert_eq!(conditions, ["grade", "medium", "chloride_mg_l"]);
    assert!(
        m41["checks"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["verdict"] == "met")
    );
    assert_eq!(
        m41["checks"][1]["actual"], "饱和盐水",
        "brine is found in Chinese"
    );
    assert_eq!(m41["limit"]["status"], "exceeded");
    assert_eq!(m41["limit"]["value"], 85.0);
    let (_, cool) = matched(ids[1].clone(), who.token.clone()).await;
    assert_eq!(cool["applicable"][0]["limit"]["status"], "kept");
    assert!(
        !numbers(&cool).contains(&"4.2".to_owned()),
        "60 °C is outside 4.2"
    );
    // Crevices or deposits: present applies, both absent does not, unknown may apply.
    assert!(
        hot_numbers.contains(&"4.3".to_owned()),
        "crevices present: {hot}"
    );
    let mut smooth = brine_heater("E-3", 60.0);
    smooth["crevice_present"] = json!(false);
    let smooth = app
        .post_json("/api/v1/equipment", Some(&who.token), &smooth)
        .await
        .json();
    let (_, s) = matched(smooth["id"].as_str().unwrap().to_owned(), who.token.clone()).await;
    assert!(!numbers(&s).contains(&"4.3".to_owned()), "{s}");
    let mut unknown = brine_heater("E-4", 60.0);
    unknown.as_object_mut().unwrap().remove("crevice_present");
    let unknown = app
        .post_json("/api/v1/equipment", Some(&who.token), &unknown)
        .await
        .json();
    let (_, u) = matched(
        unknown["id"].as_str().unwrap().to_owned(),
        who.token.clone(),
    )
    .await;
    assert!(
        u["undecided"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["clause"]["number"] == "4.3"),
        "{u}"
    );
    // Another organisation cannot match an item it cannot see.
    let (status, _) = matched(ids[0].clone(), stranger.token.clone()).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // The enterprise's view: every clause that binds some item, with the items.
    let mine = app
        .get("/api/v1/standards/applicable", Some(&who.token))
        .await;
    assert_eq!(mine.status, StatusCode::OK, "{}", mine.text());
    let mine = mine.json();
    assert_eq!(mine["items"], 4);
    let c41 = mine["clauses"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["clause"]["number"] == "4.1")
        .unwrap()
        .clone();
    assert_eq!(c41["items"].as_array().unwrap().len(), 4);
    assert_eq!(c41["exceeded"].as_array().unwrap().len(), 1);
    assert_eq!(c41["exceeded"][0][1], "E-1");
    let theirs = app
        .get("/api/v1/standards/applicable", Some(&stranger.token))
        .await
        .json();
    assert_eq!(theirs["items"], 0);
    assert!(theirs["clauses"].as_array().unwrap().is_empty());
    let page = app
        .get_with_cookies(
            "/standards/applicable",
            &format!("__Host-ticorr_session={}", who.token),
        )
        .await
        .text();
    assert!(page.contains("data-items=\"4\""), "{page}");
    assert!(page.contains("data-exceeded=\"1\""));

    // The item's page of clauses.
    let page = app
        .get_with_cookies(
            &format!("/equipment/{}/standards", ids[0]),
            &format!("__Host-ticorr_session={}", who.token),
        )
        .await;
    assert_eq!(page.status, StatusCode::OK);
    let html = page.text();
    assert!(html.contains("data-exceeded=\"1\""), "{html}");
    assert!(html.contains("limit-exceeded"));
    // The item's own page sums it up beside the link.
    let detail = app
        .get_with_cookies(
            &format!("/equipment/{}", ids[0]),
            &format!("__Host-ticorr_session={}", who.token),
        )
        .await
        .text();
    assert!(detail.contains("id=\"standards-summary\""), "{detail}");
    assert!(detail.contains("data-exceeded=\"1\""));
}

pub(crate) async fn verify(app: &TestApp) -> ticorr_platform::ledger::VerifyReport {
    let db = app.state.db.clone();
    ticorr_platform::ledger::verify_all(&db, &app.state.ledger, |ty, id| {
        let db = db.clone();
        async move { ticorr_web::records::current(&db, &ty, &id).await }
    })
    .await
    .unwrap()
}

/// Releasing a version anchors it; a clause edited afterwards no longer matches the
/// anchored hash, and `ledger verify` says so.
async fn a_released_version_is_anchored_and_an_edited_clause_is_caught(app: TestApp) {
    let association = app.org(OrgKind::Association, &[]).await;
    let id = release(
        &app,
        association,
        Level::Public,
        None,
        "T/TICORR 903-2026",
        "platform",
    )
    .await;
    let view = app
        .get(&format!("/api/v1/standards/{id}"), None)
        .await
        .json();
    let version_id = view["versions"][0]["id"].as_str().unwrap().to_owned();
    let report = verify(&app).await;
    assert!(report.problems.is_empty(), "{:?}", report.problems);
    assert!(report.records >= 1);
    let bundle = app
        .get(
            &format!("/api/v1/ledger/records/standard_version/{version_id}/bundle"),
            None,
        )
        .await;
    assert_eq!(bundle.status, StatusCode::OK, "{}", bundle.text());
    let page = app.get(&format!("/standards/{id}"), None).await.text();
    assert!(page.contains("id=\"standard-ledger\""), "{page}");

    sqlx::query(
        "UPDATE clauses SET text_en = 'Gr2 may run at any temperature.' WHERE number = '4.1'",
    )
    .execute(app.state.db.pool())
    .await
    .unwrap();
    let report = verify(&app).await;
    assert!(
        report
            .problems
            .iter()
            .any(|p| p.contains("standard_version") && p.contains(&version_id)),
        "{:?}",
        report.problems
    );
}

/// An organisation records its own specification; it binds its items at once, stays its
/// own, is anchored, and bad input names the field and records nothing.
async fn an_enterprise_records_its_own_specification(app: TestApp) {
    let enterprise = app.org(OrgKind::Enterprise, &[]).await;
    let other = app.org(OrgKind::Enterprise, &[]).await;
    let who = app.person(enterprise, Role::Member).await;
    let stranger = app.person(other, Role::Member).await;
    let mut doc = serde_json::to_value(standard("Q/OWN 001-2026", "enterprise")).unwrap();
    doc["clauses"][0]["source"] = json!(["our 2024 failure analysis"]);
    let refused = |body: Value| {
        let app = &app;
        let token = who.token.clone();
        async move {
            let r = app
                .post_json("/api/v1/standards", Some(&token), &body)
                .await;
            assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
            r.json()["errors"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["field"].as_str().unwrap().to_owned())
                .collect::<Vec<_>>()
        }
    };
    let mut platform = doc.clone();
    platform["origin"] = json!("platform");
    assert!(
        refused(json!({"standard": platform}))
            .await
            .contains(&"origin".to_owned())
    );
    let mut bad = doc.clone();
    bad["clauses"][1]["risk_grades"] = json!(["V"]);
    assert!(
        refused(json!({"standard": bad}))
            .await
            .contains(&"clauses".to_owned())
    );
    assert!(
        refused(json!({"standard": doc.clone(), "level": "park"}))
            .await
            .contains(&"park_id".to_owned())
    );
    assert_eq!(app.count("standards", "1 = 1").await, 0);

    let r = app
        .post_json(
            "/api/v1/standards",
            Some(&who.token),
            &json!({"standard": doc.clone()}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let created = r.json();
    assert_eq!(created["level"], "private");
    assert_eq!(created["versions"][0]["stage"], "released");
    let id = created["id"].as_str().unwrap().to_owned();
    // The code is unique.
    assert!(
        refused(json!({"standard": doc}))
            .await
            .contains(&"code".to_owned())
    );
    // Its own: the stranger does not see it, and it binds the organisation's items.
    assert_eq!(
        app.get(&format!("/api/v1/standards/{id}"), Some(&stranger.token))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    let item = app
        .post_json(
            "/api/v1/equipment",
            Some(&who.token),
            &brine_heater("E-9", 85.0),
        )
        .await
        .json();
    let m = app
        .get(
            &format!(
                "/api/v1/standards/match?equipment_id={}",
                item["id"].as_str().unwrap()
            ),
            Some(&who.token),
        )
        .await
        .json();
    assert!(
        m["applicable"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["code"] == "Q/OWN 001-2026"),
        "{m}"
    );
    let report = verify(&app).await;
    assert!(
        report.problems.is_empty() && report.records >= 1,
        "{:?}",
        report.problems
    );
}

ticorr_test_support::on_both_engines!(
    an_enterprise_records_its_own_specification,
    an_own_document_is_recorded_from_pasted_rows,
    a_self_inspection_scores_answers_and_stays_private,
    a_released_version_is_anchored_and_an_edited_clause_is_caught,
    released_standards_are_public_and_own_documents_stay_with_their_holder,
    clauses_match_an_item_with_their_reasons_and_limits,
);

/// A self-inspection lists the clauses that apply, takes answers all or none, scores them
/// with any mandatory non-conformity critical, and stays the organisation's own.
async fn a_self_inspection_scores_answers_and_stays_private(app: TestApp) {
    let association = app.org(OrgKind::Association, &[]).await;
    let enterprise = app.org(OrgKind::Enterprise, &[]).await;
    let other = app.org(OrgKind::Enterprise, &[]).await;
    release(
        &app,
        association,
        Level::Public,
        None,
        "T/TICORR 904-2026",
        "platform",
    )
    .await;
    let who = app.person(enterprise, Role::Member).await;
    let stranger = app.person(other, Role::Member).await;
    let r = app
        .post_json(
            "/api/v1/equipment",
            Some(&who.token),
            &brine_heater("E-1", 85.0),
        )
        .await;
    let item = r.json()["id"].as_str().unwrap().to_owned();
    let r = app
        .post_json(
            "/api/v1/standards/self-inspections",
            Some(&who.token),
            &json!({"equipment_id": item}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let started = r.json();
    let id = started["id"].as_str().unwrap().to_owned();
    let rows = started["rows"].as_array().unwrap().clone();
    assert!(rows.len() >= 2, "{started}");
    assert_eq!(started["score"]["outcome"], "incomplete");
    let mandatory = rows.iter().find(|r| r["kind"] == "mandatory").unwrap()["position"].clone();
    let patch = |body: Value, token: String| {
        let app = &app;
        let id = id.clone();
        async move {
            app.send_json(
                axum::http::Method::PATCH,
                &format!("/api/v1/standards/self-inspections/{id}"),
                Some(&token),
                &body,
            )
            .await
        }
    };
    // A "not conform" without a note, or an unknown verdict, changes nothing.
    let r = patch(
        json!({"answers": [{"position": mandatory, "verdict": "conform"}, {"position": 1, "verdict": "not_conform"}, {"position": 99, "verdict": "maybe"}]}),
        who.token.clone(),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
    let problem = r.json();
    let fields: Vec<&str> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert!(
        fields.contains(&"answers.1") && fields.contains(&"answers.99"),
        "{problem}"
    );
    let unchanged = app
        .get(
            &format!("/api/v1/standards/self-inspections/{id}"),
            Some(&who.token),
        )
        .await
        .json();
    assert_eq!(unchanged["score"]["answered"], 0);
    // Every row conform but one mandatory: critical, whatever the share.
    let answers: Vec<Value> = rows
        .iter()
        .map(|r| {
            if r["position"] == mandatory {
                json!({"position": r["position"], "verdict": "not_conform", "note": "85 °C in brine, Gr2 with gaskets"})
            } else {
                json!({"position": r["position"], "verdict": "conform"})
            }
        })
        .collect();
    let r = patch(json!({"answers": answers}), who.token.clone()).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let scored = r.json();
    assert_eq!(scored["score"]["outcome"], "critical", "{scored}");
    assert_eq!(scored["score"]["critical"], 1);
    assert_eq!(scored["score"]["answered"], rows.len());
    // Evidence for the failing row: the organisation's own, like the checklist.
    let evidence = format!("/api/v1/standards/self-inspections/{id}/rows/{mandatory}/evidence");
    let (ct, body) = crate::attachments::multipart(
        "测温记录.pdf",
        "application/pdf",
        crate::attachments::PDF,
        &[],
    );
    let r = app
        .post_body(&evidence, Some(&who.token), &ct, body.clone())
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let file = r.json()["id"].as_str().unwrap().to_owned();
    let listed = app.get(&evidence, Some(&who.token)).await.json();
    assert_eq!(listed["items"].as_array().unwrap().len(), 1);
    assert_eq!(
        app.post_body(&evidence, Some(&stranger.token), &ct, body)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.get(&evidence, Some(&stranger.token)).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.get(
            &format!("/api/v1/attachments/{file}"),
            Some(&stranger.token)
        )
        .await
        .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.get(&format!("/api/v1/attachments/{file}"), Some(&who.token))
            .await
            .status,
        StatusCode::OK
    );
    let no_row = format!("/api/v1/standards/self-inspections/{id}/rows/999/evidence");
    assert_eq!(
        app.get(&no_row, Some(&who.token)).await.status,
        StatusCode::NOT_FOUND
    );
    // The organisation's own record: another organisation neither reads nor answers it.
    assert_eq!(
        app.get(
            &format!("/api/v1/standards/self-inspections/{id}"),
            Some(&stranger.token)
        )
        .await
        .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        patch(json!({"answers": []}), stranger.token.clone())
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    let theirs = app
        .get("/api/v1/standards/self-inspections", Some(&stranger.token))
        .await
        .json();
    assert!(theirs.as_array().unwrap().is_empty());
    let r = app
        .post_json(
            "/api/v1/standards/self-inspections",
            Some(&stranger.token),
            &json!({"equipment_id": item}),
        )
        .await;
    assert_eq!(
        r.status,
        StatusCode::NOT_FOUND,
        "a stranger cannot inspect another's item"
    );
    // The report lists the gap with its note and evidence; it is the organisation's alone.
    let cookie = format!("__Host-ticorr_session={}", who.token);
    let report = app
        .get_with_cookies(&format!("/standards/self-inspections/{id}/report"), &cookie)
        .await
        .text();
    let gaps = report
        .split("id=\"gaps\"")
        .nth(1)
        .unwrap()
        .split("id=\"conform\"")
        .next()
        .unwrap();
    assert!(
        gaps.contains(&format!("id=\"row-{mandatory}\"")),
        "{report}"
    );
    assert!(
        gaps.contains("测温记录.pdf") && gaps.contains("85 °C in brine"),
        "{gaps}"
    );
    // The gap is explained by its clause: why it exists and what it rests on.
    assert!(
        gaps.contains("Gr2 在热盐水中约 70 °C 以上发生缝隙腐蚀。") && gaps.contains("ASTM B338"),
        "{gaps}"
    );
    let stranger_cookie = format!("__Host-ticorr_session={}", stranger.token);
    assert_eq!(
        app.get_with_cookies(
            &format!("/standards/self-inspections/{id}/report"),
            &stranger_cookie
        )
        .await
        .status,
        StatusCode::NOT_FOUND
    );
    // The same report as a PDF, from the page and over the API; the organisation's alone.
    assert!(report.contains(&format!("/standards/self-inspections/{id}/report.pdf")));
    for (path, by) in [
        (format!("/standards/self-inspections/{id}/report.pdf"), None),
        (
            format!("/api/v1/standards/self-inspections/{id}/report.pdf?lang=en"),
            Some(&who.token),
        ),
    ] {
        let r = match by {
            None => app.get_with_cookies(&path, &cookie).await,
            Some(token) => app.get(&path, Some(token)).await,
        };
        assert_eq!(r.status, StatusCode::OK, "{path}");
        assert_eq!(r.header("content-type"), Some("application/pdf"));
        assert_eq!(
            r.header("content-disposition"),
            Some(format!("attachment; filename=\"self-inspection-{id}.pdf\"").as_str())
        );
        assert!(r.body.starts_with(b"%PDF-"), "{path}");
        assert_eq!(
            app.get(&path, Some(&stranger.token)).await.status,
            StatusCode::NOT_FOUND
        );
    }
    let r = app
        .get(
            &format!("/api/v1/standards/self-inspections/{id}/report.pdf?lang=fr"),
            Some(&who.token),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.json()["errors"][0]["field"], "lang");
    // Removing the file: not by another organisation, then by its own.
    let delete =
        format!("/standards/self-inspections/{id}/rows/{mandatory}/evidence/{file}/delete");
    let theirs = app
        .get_with_cookies("/standards/self-inspections", &stranger_cookie)
        .await
        .text();
    let r = app
        .post_form(
            &delete,
            &stranger_cookie,
            &[("_csrf", &crate::pages::csrf_in(&theirs))],
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = app
        .post_form(
            &delete,
            &cookie,
            &[("_csrf", &crate::pages::csrf_in(&report))],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    let listed = app.get(&evidence, Some(&who.token)).await.json();
    assert!(listed["items"].as_array().unwrap().is_empty());
    // The page shows the outcome and keeps what was typed on an error.
    let page = app
        .get_with_cookies(&format!("/standards/self-inspections/{id}"), &cookie)
        .await
        .text();
    assert!(page.contains("data-outcome=\"critical\""), "{page}");
    // Starting one for all the organisation's items from the form.
    let csrf = page
        .split("name=\"_csrf\" value=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .unwrap()
        .to_owned();
    let r = app
        .post_form(
            "/standards/self-inspections",
            &cookie,
            &[("_csrf", csrf.as_str())],
        )
        .await;
    assert!(r.status.is_redirection(), "{}", r.status);
    let list = app
        .get("/api/v1/standards/self-inspections", Some(&who.token))
        .await
        .json();
    assert_eq!(list.as_array().unwrap().len(), 2);
}

/// An organisation records its own document from the page, with the clauses pasted from a
/// spreadsheet: a bad row is named and nothing is recorded; a good paste is in force, the
/// organisation's alone.
async fn an_own_document_is_recorded_from_pasted_rows(app: TestApp) {
    let enterprise = app.org(OrgKind::Enterprise, &[]).await;
    let other = app.org(OrgKind::Enterprise, &[]).await;
    let who = app.person(enterprise, Role::Member).await;
    let stranger = app.person(other, Role::Member).await;
    let cookie = crate::pages::cookie(&who);
    let list = app.get_with_cookies("/standards", &cookie).await.text();
    assert!(list.contains("href=\"/standards/own/new\""), "{list}");
    let page = app.get_with_cookies("/standards/own/new", &cookie).await;
    assert_eq!(page.status, StatusCode::OK);
    let csrf = crate::pages::csrf_in(&page.text());
    let template = app.get("/standards/own/template.csv", None).await;
    assert_eq!(template.status, StatusCode::OK);
    assert!(template.text().contains("number,kind,text_zh"));

    let header = "number\tkind\ttext_zh\ttext_en\tgrades\tmedia\tchloride_min_mg_l\tlimit_parameter\tlimit_op\tlimit_value\tlimit_unit";
    let good = "4.1\tmandatory\t与盐水接触的 Gr2 钛材温度应不高于 60 °C。\tGr2 wetted by brine shall be kept at or below 60 °C.\t2\tbrine\t1\ttemperature_c\t<=\t60\t°C";
    let bad = "4.2\tshould\t宜定期检查。\tInspect regularly.\t\t\t\t\t\t\t";
    let form = |clauses: String| {
        vec![
            ("_csrf".to_owned(), csrf.clone()),
            ("code".to_owned(), "Q/PASTE 001-2026".to_owned()),
            ("origin".to_owned(), "enterprise".to_owned()),
            ("title_zh".to_owned(), "盐水加热器运行规程".to_owned()),
            ("title_en".to_owned(), "Brine heater operation".to_owned()),
            ("scope_zh".to_owned(), "本厂盐水加热器。".to_owned()),
            (
                "scope_en".to_owned(),
                "The plant's brine heaters.".to_owned(),
            ),
            ("topic".to_owned(), "operation".to_owned()),
            ("review_interval_months".to_owned(), "24".to_owned()),
            ("level".to_owned(), "private".to_owned()),
            ("clauses".to_owned(), clauses),
        ]
    };
    let post = |fields: Vec<(String, String)>| {
        let app = &app;
        let cookie = cookie.clone();
        async move {
            let pairs: Vec<(&str, &str)> = fields
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect();
            app.post_form("/standards/own/new", &cookie, &pairs).await
        }
    };
    let r = post(form(format!("{header}\n{good}\n{bad}\n"))).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text();
    assert!(html.contains("第 3 行 `kind`"), "{html}");
    assert!(html.contains("Q/PASTE 001-2026"), "the input is kept");
    let mine = app.get("/api/v1/standards", Some(&who.token)).await.json();
    assert!(mine["items"].as_array().unwrap().is_empty(), "{mine}");

    let r = post(form(format!("{header}\n{good}\n"))).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    let location = r.header("location").unwrap().to_owned();
    assert!(location.ends_with("?done=own-recorded"), "{location}");
    let shown = app.get_with_cookies(&location, &cookie).await.text();
    assert!(shown.contains("id=\"notice\"") && shown.contains("Q/PASTE 001-2026"));
    let id = location
        .trim_start_matches("/standards/")
        .split('?')
        .next()
        .unwrap()
        .to_owned();
    let clauses = app
        .get(
            &format!("/api/v1/standards/{id}/versions/current/clauses"),
            Some(&who.token),
        )
        .await
        .json();
    assert_eq!(clauses["clauses"][0]["limit"]["value"], 60.0);
    assert_eq!(clauses["clauses"][0]["applies"]["media"], json!(["brine"]));
    assert_eq!(
        app.get(&format!("/api/v1/standards/{id}"), Some(&stranger.token))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
}
