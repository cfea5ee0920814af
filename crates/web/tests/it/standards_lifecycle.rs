//! The closed loop of the platform's standards over the API: application, formal check,
//! expert review with quorum, public consultation with dispositions, release (anchored,
//! the previous version superseded, the organisations concerned told), periodic review.

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};
use ticorr_kernel::{Capacity, Level, OrgId, OrgKind, PersonId, Role};
use ticorr_test_support::{Login, TestApp};

fn standard(code: &str) -> Value {
    json!({
        "code": code, "origin": "platform",
        "title_en": "Operating limits for titanium in brine", "title_zh": "盐水介质钛设备运行限值",
        "scope_en": "Titanium heat exchangers in chloride brine.", "scope_zh": "氯化物盐水中的钛换热器。",
        "topic": "operation", "references": ["ASTM B338"], "review_interval_months": 36,
        "clauses": [
            {"number": "4.1", "kind": "mandatory",
             "text_en": "Gr1 and Gr2 wetted by chloride brine shall be kept at or below 70 °C.",
             "text_zh": "与氯化物盐水接触的 Gr1、Gr2 钛材温度应不高于 70 °C。",
             "risk_grades": ["I", "II", "III", "IV"],
             "applies": {"grades": ["1", "2"], "media": ["brine"], "chloride_mg_l": {"min": 1}},
             "limit": {"parameter": "temperature_c", "op": "<=", "value": 70, "unit": "°C"}},
            {"number": "5.1", "kind": "mandatory",
             "text_en": "Do not clean titanium with fluoride-bearing agents.",
             "text_zh": "不得使用含氟清洗剂清洗钛设备。",
             "risk_grades": ["I", "II", "III", "IV"], "applies": {}}
        ]
    })
}

struct World {
    app: TestApp,
    secretary: Login,
    applicant: Login,
    /// Eligible experts of four other organisations.
    experts: Vec<Login>,
    /// An expert of the applicant's own organisation.
    own_expert: Login,
    /// An enterprise with a Gr2 brine heater, and one with nothing in brine.
    concerned: Login,
    unconcerned: Login,
    standard_id: String,
}

/// A person of `org` with the expert capacity and `topics` as specialties, signed in.
pub(crate) async fn expert(app: &TestApp, org: OrgId, topics: &[&str]) -> Login {
    let login = app.person(org, Role::Member).await;
    let mut tx = app.state.db.begin().await.unwrap();
    ticorr_platform::identity::people::grant_capacity(
        &mut tx,
        login.person_id,
        Capacity::Expert,
        None,
        app.clock.now(),
    )
    .await
    .unwrap();
    for t in topics {
        sqlx::query("INSERT INTO person_specialties (person_id, topic) VALUES ($1, $2)")
            .bind(login.person_id.to_string())
            .bind(t.to_string())
            .execute(&mut *tx)
            .await
            .unwrap();
    }
    tx.commit().await.unwrap();
    // Capacities are read at sign-in.
    let token = app.login(&login.email, &login.password).await;
    Login { token, ..login }
}

async fn world(app: TestApp) -> World {
    let association = app.org(OrgKind::Association, &[]).await;
    let secretary = app.person(association, Role::Member).await;
    let applicant_org = app.org(OrgKind::Enterprise, &[]).await;
    let applicant = app.person(applicant_org, Role::Admin).await;
    let mut experts = Vec::new();
    for _ in 0..4 {
        let org = app.org(OrgKind::Research, &[]).await;
        experts.push(expert(&app, org, &["operation", "hydrogen"]).await);
    }
    let own_expert = expert(&app, applicant_org, &["operation"]).await;
    let concerned_org = app.org(OrgKind::Enterprise, &[]).await;
    let concerned = app.person(concerned_org, Role::Admin).await;
    let unconcerned_org = app.org(OrgKind::Enterprise, &[]).await;
    let unconcerned = app.person(unconcerned_org, Role::Admin).await;
    for (who, body) in [
        (
            &concerned,
            json!({"tag": "E-101", "name": "盐水加热器", "equipment_type": "plate_heat_exchanger",
                   "grade": "2", "temperature_c": 65, "chloride_mg_l": 150000, "process_medium": "饱和盐水"}),
        ),
        (
            &unconcerned,
            json!({"tag": "H-1", "name": "纯水加热器", "equipment_type": "immersion_heater",
                   "grade": "2", "temperature_c": 40, "chloride_mg_l": 0, "process_medium": "纯水"}),
        ),
    ] {
        let res = app
            .post_json("/api/v1/equipment", Some(&who.token), &body)
            .await;
        assert_eq!(res.status, StatusCode::CREATED, "{}", res.text());
    }
    let input: ticorr_standards::StandardInput =
        serde_json::from_value(standard("T/TICORR 910-2026")).unwrap();
    let mut conn = app.state.db.pool().acquire().await.unwrap();
    let standard_id = ticorr_standards::seed_released(
        &mut conn,
        (association, Level::Public, None),
        &input,
        &ticorr_standards::Release {
            at: app.clock.now(),
            effective_on: "2026-03-01".into(),
            review_due_on: "2029-03-01".into(),
        },
    )
    .await
    .unwrap();
    drop(conn);
    World {
        app,
        secretary,
        applicant,
        experts,
        own_expert,
        concerned,
        unconcerned,
        standard_id,
    }
}

async fn fresh(app: &TestApp, who: &Login) -> Login {
    Login {
        person_id: who.person_id,
        org_id: who.org_id,
        email: who.email.clone(),
        password: who.password.clone(),
        token: app.login(&who.email, &who.password).await,
    }
}

async fn post(app: &TestApp, path: &str, who: &Login, body: Value) -> (StatusCode, Value) {
    let res = app.post_json(path, Some(&who.token), &body).await;
    let status = res.status;
    let text = res.text();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

async fn stage(app: &TestApp, id: &str, who: &Login) -> String {
    let res = app
        .get(&format!("/api/v1/standard-drafts/{id}"), Some(&who.token))
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text());
    res.json()["draft"]["stage"].as_str().unwrap().to_owned()
}

async fn inbox(app: &TestApp, person: PersonId, like: &str) -> i64 {
    app.count(
        "notifications",
        &format!(
            "person_id = '{person}' AND kind = 'standards' AND (title_en LIKE '%{like}%' OR link LIKE '%{like}%')"
        ),
    )
    .await
}

fn votes(numbers: &[&str], vote: &str, comment: &str) -> Value {
    json!({"votes": numbers.iter().map(|n| json!({"clause_number": n, "vote": vote, "comment": comment})).collect::<Vec<_>>()})
}

/// A revision goes through every step; each participant can do their step and no other;
/// bad input is refused and changes nothing; the release is anchored, supersedes 1.0 and
/// reaches the organisation whose equipment the changed clause applies to.
async fn a_revision_goes_round_the_whole_loop(app: TestApp) {
    let w = world(app).await;
    let app = &w.app;
    let base = "/api/v1/standard-drafts";

    // Application: a revision starts as a copy of the released version.
    let (status, draft) = post(
        app,
        base,
        &w.applicant,
        json!({"kind": "revision", "standard_id": w.standard_id,
               "justification": "Field cases show crevice attack on Gr2 brine heaters between 60 and 70 °C."}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{draft}");
    let id = draft["id"].as_str().unwrap().to_owned();
    let url = format!("{base}/{id}");
    assert_eq!(draft["stage"], "draft");
    assert_eq!(draft["proposal"]["clauses"].as_array().unwrap().len(), 2);
    // Until consultation, others do not even see it.
    let other = app.get(&url, Some(&w.unconcerned.token)).await;
    assert_eq!(other.status, StatusCode::NOT_FOUND);
    assert_eq!(app.get(&url, None).await.status, StatusCode::NOT_FOUND);

    // Bad edits are refused and change nothing.
    let mut proposal = standard("T/TICORR 910-2026");
    proposal["clauses"][1]["number"] = json!("4.1");
    let res = app
        .send_json(
            Method::PUT,
            &url,
            Some(&w.applicant.token),
            &json!({"proposal": proposal, "justification": "x"}),
        )
        .await;
    assert_eq!(
        res.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        res.text()
    );
    assert!(res.text().contains("used twice"), "{}", res.text());
    let mut renamed = standard("T/TICORR 999-2026");
    renamed["clauses"][0]["text_zh"] = json!("改");
    let res = app
        .send_json(
            Method::PUT,
            &url,
            Some(&w.applicant.token),
            &json!({"proposal": renamed, "justification": "x"}),
        )
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    let unchanged = app.get(&url, Some(&w.applicant.token)).await.json();
    assert_eq!(
        unchanged["draft"]["proposal"]["clauses"][0]["text_zh"],
        standard("x")["clauses"][0]["text_zh"]
    );

    // The real edit: 70 → 60 °C, and a new clause.
    let mut proposal = standard("T/TICORR 910-2026");
    proposal["clauses"][0]["text_zh"] =
        json!("与氯化物盐水接触的 Gr1、Gr2 钛材温度应不高于 60 °C。");
    proposal["clauses"][0]["text_en"] =
        json!("Gr1 and Gr2 wetted by chloride brine shall be kept at or below 60 °C.");
    proposal["clauses"][0]["limit"]["value"] = json!(60);
    proposal["clauses"].as_array_mut().unwrap().push(json!({
        "number": "5.2", "kind": "recommended",
        "text_en": "Verify after each chemical clean that no fluoride remains.",
        "text_zh": "每次化学清洗后宜验证无氟残留。",
        "risk_grades": ["III", "IV"], "applies": {}
    }));
    let read = app.get(&url, Some(&w.applicant.token)).await.json();
    let revision = read["draft"]["revision"].as_i64().unwrap();
    let edit = json!({"proposal": proposal, "justification": "Field cases show crevice attack between 60 and 70 °C.", "revision": revision});
    let res = app
        .send_json(Method::PUT, &url, Some(&w.applicant.token), &edit)
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text());
    assert_eq!(res.json()["revision"], revision + 1);
    // A second save made on the same revision would undo the first: refused, nothing changes.
    let mut stale = edit.clone();
    stale["justification"] = json!("an older copy of the page");
    let res = app
        .send_json(Method::PUT, &url, Some(&w.applicant.token), &stale)
        .await;
    assert_eq!(res.status, StatusCode::CONFLICT, "{}", res.text());
    let now = app.get(&url, Some(&w.applicant.token)).await.json();
    assert_eq!(now["draft"]["revision"], revision + 1);
    assert_eq!(
        now["draft"]["justification"],
        "Field cases show crevice attack between 60 and 70 °C."
    );

    // The proposal's diff: the figure is the change, and 5.2 is new.
    let d = app
        .get(&format!("{url}/diff"), Some(&w.applicant.token))
        .await
        .json();
    assert_eq!(
        (d["changed"].as_u64(), d["added"].as_u64()),
        (Some(1), Some(1))
    );
    let spans = &d["clauses"][0]["fields"][0]["spans"];
    assert_eq!(spans[1], json!({"op": "deleted", "text": "7"}), "{spans}");
    assert_eq!(spans[2], json!({"op": "inserted", "text": "6"}), "{spans}");

    // Submission: the secretariat is told.
    let (s, _) = post(app, &format!("{url}/submit"), &w.applicant, json!({})).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    assert!(inbox(app, w.secretary.person_id, &id).await >= 1);
    // The applicant cannot check its own proposal; a return needs a note.
    let (s, _) = post(
        app,
        &format!("{url}/formal-check"),
        &w.applicant,
        json!({"passed": true}),
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _) = post(
        app,
        &format!("{url}/formal-check"),
        &w.secretary,
        json!({"passed": false}),
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(stage(app, &id, &w.applicant).await, "formal_check");
    let (s, _) = post(
        app,
        &format!("{url}/formal-check"),
        &w.secretary,
        json!({"passed": true, "note": "complete"}),
    )
    .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    assert_eq!(stage(app, &id, &w.applicant).await, "expert_review");

    // Reviewers: the eligible ones exclude the applicant's own expert.
    let eligible = app
        .get(
            &format!("{url}/eligible-reviewers"),
            Some(&w.secretary.token),
        )
        .await
        .json();
    let eligible: Vec<&str> = eligible
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["person_id"].as_str().unwrap())
        .collect();
    assert_eq!(eligible.len(), 4, "{eligible:?}");
    assert!(!eligible.contains(&w.own_expert.person_id.to_string().as_str()));
    let ids = |v: &[&Login]| json!({"person_ids": v.iter().map(|l| l.person_id.to_string()).collect::<Vec<_>>()});
    let (s, body) = post(
        app,
        &format!("{url}/reviewers"),
        &w.secretary,
        ids(&[&w.experts[0], &w.experts[1]]),
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body.to_string().contains("at least 3"), "{body}");
    let (s, body) = post(
        app,
        &format!("{url}/reviewers"),
        &w.secretary,
        ids(&[&w.experts[0], &w.experts[1], &w.own_expert]),
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        body.to_string().contains("applicant organisation"),
        "{body}"
    );
    assert_eq!(
        app.count("standard_reviewers", &format!("draft_id = '{id}'"))
            .await,
        0
    );
    let panel = [&w.experts[0], &w.experts[1], &w.experts[2]];
    let (s, _) = post(app, &format!("{url}/reviewers"), &w.secretary, ids(&panel)).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    assert_eq!(inbox(app, w.experts[0].person_id, &id).await, 1);

    // Only assigned reviewers vote; no quorum, no conclusion.
    let all = ["4.1", "5.1", "5.2"];
    let (s, _) = post(
        app,
        &format!("{url}/votes"),
        &w.experts[3],
        votes(&all, "approve", ""),
    )
    .await;
    assert_eq!(
        s,
        StatusCode::NOT_FOUND,
        "an expert not assigned does not see it yet"
    );
    let (s, body) = post(
        app,
        &format!("{url}/conclude-review"),
        &w.secretary,
        json!({}),
    )
    .await;
    assert_eq!(s, StatusCode::CONFLICT, "{body}");
    let (s, _) = post(
        app,
        &format!("{url}/votes"),
        &w.experts[0],
        votes(&all, "approve", ""),
    )
    .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, _) = post(
        app,
        &format!("{url}/votes"),
        &w.experts[1],
        votes(&["4.1"], "approve_with_changes", ""),
    )
    .await;
    assert_eq!(
        s,
        StatusCode::UNPROCESSABLE_ENTITY,
        "a change needs its comment"
    );
    let (s, _) = post(
        app,
        &format!("{url}/votes"),
        &w.experts[1],
        votes(&all, "approve_with_changes", "state the measuring point"),
    )
    .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, _) = post(
        app,
        &format!("{url}/votes"),
        &w.experts[2],
        votes(&["4.1", "5.1"], "approve", ""),
    )
    .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, _) = post(
        app,
        &format!("{url}/votes"),
        &w.experts[2],
        votes(&["5.2"], "reject", "no test method named"),
    )
    .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let view = app.get(&url, Some(&w.secretary.token)).await.json();
    assert_eq!(view["review_decided"], true);
    let tally = &view["tally"];
    assert_eq!(tally[0]["outcome"], "passed");
    assert_eq!(
        tally[2]["outcome"], "failed",
        "one reject in three is above a quarter"
    );
    // A failed clause sends it back to the applicant.
    let (s, body) = post(
        app,
        &format!("{url}/conclude-review"),
        &w.secretary,
        json!({}),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert_eq!(body["stage"], "draft");
    assert!(inbox(app, w.applicant.person_id, &id).await >= 2);

    // Round two: fixed, resubmitted, reviewed afresh; round one stays on record.
    let mut proposal = edit["proposal"].clone();
    proposal["clauses"][2]["text_zh"] = json!("每次化学清洗后宜按离子色谱法验证冲洗水中无氟残留。");
    let res = app
        .send_json(
            Method::PUT,
            &url,
            Some(&w.applicant.token),
            &json!({"proposal": proposal, "justification": "test method named"}),
        )
        .await;
    assert_eq!(res.status, StatusCode::OK);
    post(app, &format!("{url}/submit"), &w.applicant, json!({})).await;
    post(
        app,
        &format!("{url}/formal-check"),
        &w.secretary,
        json!({"passed": true}),
    )
    .await;
    for e in panel {
        let (s, _) = post(app, &format!("{url}/votes"), e, votes(&all, "approve", "")).await;
        assert_eq!(s, StatusCode::NO_CONTENT);
    }
    let view = app.get(&url, Some(&w.secretary.token)).await.json();
    assert_eq!(view["draft"]["round"], 2);
    assert_eq!(view["votes"].as_array().unwrap().len(), 9);
    assert_eq!(view["earlier_votes"].as_array().unwrap().len(), 9);
    let (s, body) = post(
        app,
        &format!("{url}/conclude-review"),
        &w.secretary,
        json!({"consultation_ends_on": "2026-12-01"}),
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body.to_string().contains("30 days"), "{body}");
    let (s, body) = post(
        app,
        &format!("{url}/conclude-review"),
        &w.secretary,
        json!({"consultation_ends_on": "2026-12-30"}),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert_eq!(body["stage"], "consultation");

    // Consultation: every registered user reads and comments; anonymous visitors do not.
    assert_eq!(
        app.get(&url, Some(&w.unconcerned.token)).await.status,
        StatusCode::OK
    );
    assert_eq!(app.get(&url, None).await.status, StatusCode::NOT_FOUND);
    let (s, body) = post(
        app,
        &format!("{url}/comments"),
        &w.unconcerned,
        json!({"clause_number": "9.9", "text": "?"}),
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let (s, body) = post(app, &format!("{url}/comments"), &w.unconcerned, json!({"clause_number": "4.1", "text": "60 °C is hard to hold in summer; allow 65 °C with Gr7 gaskets?"})).await;
    assert_eq!(s, StatusCode::CREATED, "{body}");
    let comment_id = body["id"].as_str().unwrap().to_owned();
    let (s, body) = post(
        app,
        &format!("{url}/close-consultation"),
        &w.secretary,
        json!({}),
    )
    .await;
    assert_eq!(s, StatusCode::CONFLICT, "{body}");
    app.clock.advance(time::Duration::days(33));
    // A month on, everybody signs in again.
    let secretary = fresh(app, &w.secretary).await;
    let applicant = fresh(app, &w.applicant).await;
    let concerned = fresh(app, &w.concerned).await;
    let unconcerned = fresh(app, &w.unconcerned).await;
    let (s, body) = post(
        app,
        &format!("{url}/comments"),
        &concerned,
        json!({"text": "late"}),
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body.to_string().contains("ended"), "{body}");
    let (s, body) = post(
        app,
        &format!("{url}/close-consultation"),
        &secretary,
        json!({}),
    )
    .await;
    assert_eq!(s, StatusCode::CONFLICT, "{body}");
    assert!(body.to_string().contains("no disposition"), "{body}");
    let dispose = format!("{url}/comments/{comment_id}/disposition");
    let (s, _) = post(
        app,
        &dispose,
        &secretary,
        json!({"disposition": "not_accepted"}),
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    let (s, _) = post(app, &dispose, &secretary, json!({"disposition": "not_accepted", "reason": "the crevice cases occurred between 60 and 70 °C"})).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    assert_eq!(inbox(app, unconcerned.person_id, &id).await, 1);
    let (s, _) = post(
        app,
        &format!("{url}/close-consultation"),
        &secretary,
        json!({}),
    )
    .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    assert_eq!(stage(app, &id, &applicant).await, "approved");
    // The applicant folds in the change a reviewer asked for; it is on record as such.
    let mut final_text = proposal.clone();
    final_text["clauses"][0]["rationale_en"] = json!("Measured at the brine outlet nozzle.");
    let res = app
        .send_json(
            Method::PUT,
            &url,
            Some(&applicant.token),
            &json!({"proposal": final_text, "justification": "measuring point stated"}),
        )
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text());

    // Release: only the secretariat; the version is 2.0, 1.0 is kept and superseded.
    let (s, _) = post(
        app,
        &format!("{url}/release"),
        &applicant,
        json!({"effective_on": "2027-03-01"}),
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _) = post(
        app,
        &format!("{url}/release"),
        &secretary,
        json!({"effective_on": "March"}),
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    let (s, released) = post(
        app,
        &format!("{url}/release"),
        &secretary,
        json!({"effective_on": "2027-03-01"}),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{released}");
    assert_eq!(released["version"], "2.0");
    assert_eq!(released["superseded"], "1.0");
    let view = app
        .get(&format!("/api/v1/standards/{}", w.standard_id), None)
        .await
        .json();
    let stages: Vec<(&str, &str)> = view["versions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| (v["version"].as_str().unwrap(), v["stage"].as_str().unwrap()))
        .collect();
    assert_eq!(stages, vec![("2.0", "released"), ("1.0", "superseded")]);
    let current = app
        .get(
            &format!(
                "/api/v1/standards/{}/versions/current/clauses",
                w.standard_id
            ),
            None,
        )
        .await
        .json();
    assert_eq!(current["clauses"][0]["limit"]["value"], 60.0);
    let d = app
        .get(
            &format!("/api/v1/standards/{}/diff?from=1.0&to=2.0", w.standard_id),
            None,
        )
        .await
        .json();
    assert_eq!(
        (
            d["changed"].as_u64(),
            d["added"].as_u64(),
            d["unchanged"].as_u64()
        ),
        (Some(1), Some(1), Some(1))
    );
    // How it came to be is public now, and in the standard's history.
    assert_eq!(app.get(&url, None).await.status, StatusCode::OK);
    let history = app
        .get(
            &format!("/api/v1/standards/{}/history", w.standard_id),
            None,
        )
        .await
        .json();
    let actions: Vec<&str> = history
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    for a in [
        "applied",
        "submitted",
        "returned",
        "reviewers_assigned",
        "voted",
        "consultation_opened",
        "commented",
        "disposed",
        "consultation_closed",
        "revised_after_consultation",
        "released",
    ] {
        assert!(actions.contains(&a), "{a} missing from {actions:?}");
    }
    // The release is anchored and verifies.
    let report = crate::standards::verify(app).await;
    assert!(report.problems.is_empty(), "{:?}", report.problems);
    assert_eq!(
        app.count(
            "ledger_entries",
            &format!("record_id = '{}'", released["version_id"].as_str().unwrap())
        )
        .await,
        1
    );

    // The push: the enterprise whose brine heater clause 4.1 concerns hears of it, with
    // the diff; the one with a pure-water heater does not.
    assert!(app.run_jobs().await >= 1);
    let link = format!("/standards/{}/diff?from=1.0&to=2.0", w.standard_id);
    assert_eq!(inbox(app, concerned.person_id, &link).await, 1);
    assert_eq!(inbox(app, unconcerned.person_id, "diff").await, 0);
}

/// An erratum skips review and consultation: formal check, then release as the next minor
/// version. A proposal once released is no longer edited or steered.
async fn an_erratum_is_released_as_the_next_minor_version(app: TestApp) {
    let w = world(app).await;
    let app = &w.app;
    let (s, draft) = post(
        app,
        "/api/v1/standard-drafts",
        &w.secretary,
        json!({"kind": "erratum", "standard_id": w.standard_id, "justification": "typo in 5.1 (Chinese text)"}),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{draft}");
    let url = format!("/api/v1/standard-drafts/{}", draft["id"].as_str().unwrap());
    post(app, &format!("{url}/submit"), &w.secretary, json!({})).await;
    let (s, _) = post(
        app,
        &format!("{url}/formal-check"),
        &w.secretary,
        json!({"passed": true}),
    )
    .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, body) = post(
        app,
        &format!("{url}/release"),
        &w.secretary,
        json!({"effective_on": "2026-12-01"}),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert_eq!(body["version"], "1.1");
    assert_eq!(body["push_job"], Value::Null, "an erratum is editorial");
    let view = app
        .get(&format!("/api/v1/standards/{}", w.standard_id), None)
        .await
        .json();
    assert_eq!(
        view["versions"][0]["review_due_on"], "2029-03-01",
        "an erratum keeps the review date"
    );
    let (s, _) = post(app, &format!("{url}/withdraw"), &w.secretary, json!({})).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _) = post(
        app,
        &format!("{url}/reject"),
        &w.secretary,
        json!({"reason": "late"}),
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    // A new standard cannot take an existing code.
    let (s, body) = post(
        app,
        "/api/v1/standard-drafts",
        &w.applicant,
        json!({"kind": "new", "proposal": standard("T/TICORR 910-2026"), "justification": "x"}),
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body.to_string().contains("propose a revision"), "{body}");
}

async fn run_review_job(app: &TestApp) -> usize {
    let mut tx = app.state.db.begin().await.unwrap();
    ticorr_platform::jobs::NewJob::new(ticorr_standards::lifecycle::REVIEW_DUE_JOB, json!({}))
        .enqueue(&mut tx, app.clock.now())
        .await
        .unwrap();
    tx.commit().await.unwrap();
    app.run_jobs().await
}

/// When a standard's review falls due, the daily job opens one task and tells the holder;
/// reaffirming closes it and sets the next review one interval ahead.
async fn a_due_review_opens_a_task_that_reaffirming_closes(app: TestApp) {
    let mut w = world(app).await;
    run_review_job(&w.app).await;
    assert_eq!(
        w.app.count("standard_review_tasks", "1 = 1").await,
        0,
        "not due yet"
    );
    w.app.clock.advance(time::Duration::days(365 * 3));
    // Three years on, sign in again.
    for who in [&mut w.secretary, &mut w.applicant] {
        who.token = w.app.login(&who.email, &who.password).await;
    }
    let app = &w.app;
    run_review_job(app).await;
    run_review_job(app).await;
    assert_eq!(
        app.count("standard_review_tasks", "closed_at IS NULL")
            .await,
        1,
        "once"
    );
    let tasks = app
        .get("/api/v1/standards/review-tasks", Some(&w.secretary.token))
        .await
        .json();
    assert_eq!(tasks.as_array().unwrap().len(), 1, "{tasks}");
    let others = app
        .get("/api/v1/standards/review-tasks", Some(&w.applicant.token))
        .await
        .json();
    assert_eq!(others.as_array().unwrap().len(), 0);
    let path = format!("/api/v1/standards/{}/reaffirm", w.standard_id);
    let (s, _) = post(app, &path, &w.applicant, json!({})).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, body) = post(app, &path, &w.secretary, json!({"note": "no new cases"})).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert_eq!(
        app.count("standard_review_tasks", "closed_at IS NULL")
            .await,
        0
    );
    let (s, _) = post(app, &path, &w.secretary, json!({})).await;
    assert_eq!(s, StatusCode::CONFLICT, "nothing left to reaffirm");
    let view = app
        .get(&format!("/api/v1/standards/{}", w.standard_id), None)
        .await
        .json();
    assert_eq!(view["versions"][0]["review_due_on"], body["review_due_on"]);
}

ticorr_test_support::on_both_engines!(
    a_revision_goes_round_the_whole_loop,
    an_erratum_is_released_as_the_next_minor_version,
    a_due_review_opens_a_task_that_reaffirming_closes,
    a_supplementary_clause_is_verified_applied_and_promoted,
    an_admin_records_its_experts_specialties,
);

async fn item_id(app: &TestApp, who: &Login, tag: &str) -> String {
    let list = app.get("/api/v1/equipment", Some(&who.token)).await.json();
    list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["tag"] == tag)
        .map(|i| i["id"].as_str().unwrap().to_owned())
        .unwrap()
}

/// A local supplementary clause is compared with the unified clause limit by limit,
/// verified by experts of other organisations, applied on equipment by two organisations,
/// proposed for promotion, and promoted by the secretariat into a revision proposal.
async fn a_supplementary_clause_is_verified_applied_and_promoted(app: TestApp) {
    let w = world(app).await;
    let app = &w.app;
    let clauses = app
        .get(
            &format!(
                "/api/v1/standards/{}/versions/current/clauses",
                w.standard_id
            ),
            None,
        )
        .await
        .json();
    let base_clause = clauses["clauses"][0]["id"].as_str().unwrap().to_owned();
    let supplement = |level: &str, parameter: &str| {
        json!({
            "base_clause_id": base_clause, "number": "ZJ-4.1",
            "text_zh": "沿海高湿地区，与盐水接触的 Gr2 钛材温度应不高于 60 °C。",
            "text_en": "In humid coastal sites, Gr2 wetted by brine shall be kept at or below 60 °C.",
            "justification": "Two crevice-corrosion cases at 62–68 °C on the Zhejiang coast.",
            "applies": {"provinces": ["330000"]},
            "limits": [{"parameter": parameter, "op": "<=", "value": 60, "unit": "°C"}],
            "level": level
        })
    };
    let path = "/api/v1/standards/supplements";
    let before = app.count("supplementary_clauses", "1 = 1").await;
    let (s, body) = post(
        app,
        path,
        &w.concerned,
        supplement("industry", "temperature_celsius"),
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let mut unknown = supplement("industry", "temperature_c");
    unknown["base_clause_id"] = json!("no-such-clause");
    let (s, _) = post(app, path, &w.concerned, unknown).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        app.count("supplementary_clauses", "1 = 1").await,
        before,
        "nothing written"
    );

    // Private: the holder's alone.
    let (s, private) = post(
        app,
        path,
        &w.concerned,
        supplement("private", "temperature_c"),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{private}");
    assert_eq!(private["supplement"]["status"], "local");
    let private_url = format!("{path}/{}", private["supplement"]["id"].as_str().unwrap());
    assert_eq!(
        app.get(&private_url, Some(&w.unconcerned.token))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    // It binds the holder's matching items: E-101 runs at 65 °C, above the local 60 °C.
    let mine = item_id(app, &w.concerned, "E-101").await;
    let matched = app
        .get(
            &format!("/api/v1/standards/match?equipment_id={mine}"),
            Some(&w.concerned.token),
        )
        .await
        .json();
    let clause = matched["applicable"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["clause"]["id"] == json!(base_clause))
        .unwrap();
    assert_eq!(
        clause["limit"]["status"], "kept",
        "65 °C keeps the unified 70 °C"
    );
    assert_eq!(clause["supplements"][0]["number"], "ZJ-4.1");
    assert_eq!(clause["supplements"][0]["limits"][0]["status"], "exceeded");

    // Shared for verification; the comparison says the local limit is stricter.
    let (s, shared) = post(
        app,
        path,
        &w.concerned,
        supplement("industry", "temperature_c"),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{shared}");
    assert_eq!(shared["supplement"]["status"], "verification");
    assert_eq!(
        shared["comparison"],
        json!([{"parameter": "temperature_c", "unified": "temperature_c ≤ 70 °C", "local": "temperature_c ≤ 60 °C", "verdict": "stricter"}])
    );
    let id = shared["supplement"]["id"].as_str().unwrap().to_owned();
    let url = format!("{path}/{id}");
    assert_eq!(
        app.get(&url, Some(&w.unconcerned.token)).await.status,
        StatusCode::OK
    );

    // Verdicts: experts of other organisations only, with reasons.
    let verdict = |v: &str, r: &str| json!({"verdict": v, "reason": r});
    let (s, _) = post(
        app,
        &format!("{url}/verdicts"),
        &w.unconcerned,
        verdict("stricter", "x"),
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "no expert capacity");
    let (s, _) = post(
        app,
        &format!("{url}/verdicts"),
        &w.experts[0],
        verdict("stricter", ""),
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    for (e, v) in [(0, "stricter"), (1, "stricter"), (2, "equivalent")] {
        let (s, body) = post(
            app,
            &format!("{url}/verdicts"),
            &w.experts[e],
            verdict(v, "60 °C sits below the crevice threshold of the rule file"),
        )
        .await;
        assert_eq!(s, StatusCode::OK, "{body}");
    }
    let view = app.get(&url, Some(&w.concerned.token)).await.json();
    assert_eq!(view["supplement"]["status"], "verified");
    assert_eq!(view["group"]["outcome"], "stricter");

    // Applications: on one's own items only; three effective across two organisations.
    let apply = |eq: Option<&str>, outcome: &str| json!({"equipment_id": eq, "applied_from": "2026-06-01", "outcome": outcome, "note": "no crevice attack at the gasket seats after six months"});
    let theirs = item_id(app, &w.unconcerned, "H-1").await;
    let (s, body) = post(
        app,
        &format!("{url}/applications"),
        &w.concerned,
        apply(Some(&theirs), "effective"),
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let (s, body) = post(
        app,
        &format!("{url}/applications"),
        &w.concerned,
        apply(Some(&mine), "effective"),
    )
    .await;
    assert_eq!(
        (s, &body["status"]),
        (StatusCode::OK, &json!("verified")),
        "{body}"
    );
    post(
        app,
        &format!("{url}/applications"),
        &w.concerned,
        apply(None, "effective"),
    )
    .await;
    let (_, body) = post(
        app,
        &format!("{url}/applications"),
        &w.unconcerned,
        apply(Some(&theirs), "inconclusive"),
    )
    .await;
    assert_eq!(
        body["status"], "verified",
        "an inconclusive one does not count"
    );
    let (_, body) = post(
        app,
        &format!("{url}/applications"),
        &w.unconcerned,
        apply(Some(&theirs), "effective"),
    )
    .await;
    assert_eq!(body["status"], "promotion_proposed");
    assert!(inbox(app, w.secretary.person_id, &id).await >= 1);
    // Each organisation sees its own item tags only.
    let view = app.get(&url, Some(&w.concerned.token)).await.json();
    let tags: Vec<&Value> = view["applications"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| &a["equipment_tag"])
        .collect();
    assert_eq!(
        tags,
        vec![&json!("E-101"), &Value::Null, &Value::Null, &Value::Null]
    );

    // Promotion: by the secretariat, once, into a revision proposal of the unified standard.
    let (s, _) = post(app, &format!("{url}/promote"), &w.concerned, json!({})).await;
    assert!(
        s == StatusCode::FORBIDDEN || s == StatusCode::NOT_FOUND,
        "{s}"
    );
    let (s, body) = post(app, &format!("{url}/promote"), &w.secretary, json!({})).await;
    assert_eq!(s, StatusCode::CREATED, "{body}");
    let draft = app
        .get(
            &format!(
                "/api/v1/standard-drafts/{}",
                body["draft_id"].as_str().unwrap()
            ),
            Some(&w.secretary.token),
        )
        .await
        .json();
    assert_eq!(draft["draft"]["kind"], "revision");
    let promoted = &draft["draft"]["proposal"]["clauses"][1];
    assert_eq!(promoted["number"], "4.1.1");
    assert_eq!(promoted["limit"]["value"], 60.0);
    assert_eq!(
        app.get(&url, Some(&w.concerned.token)).await.json()["supplement"]["status"],
        "promoted"
    );
    let (s, _) = post(app, &format!("{url}/promote"), &w.secretary, json!({})).await;
    assert_eq!(s, StatusCode::CONFLICT);
}

/// An organisation's admin records its experts' specialties, which decide who is eligible
/// to review a proposal; members, other organisations and people without the capacity
/// cannot be given them.
async fn an_admin_records_its_experts_specialties(app: TestApp) {
    let research = app.org(OrgKind::Research, &[]).await;
    let admin = app.person(research, Role::Admin).await;
    let member = app.person(research, Role::Member).await;
    let e = expert(&app, research, &[]).await;
    let outsider_org = app.org(OrgKind::Research, &[]).await;
    let outsider = app.person(outsider_org, Role::Admin).await;
    let path = format!(
        "/api/v1/organizations/{research}/people/{}/specialties",
        e.person_id
    );
    let put = |who: &Login, topics: Value| {
        let app = &app;
        let path = path.clone();
        let token = who.token.clone();
        async move {
            app.send_json(Method::PUT, &path, Some(&token), &json!({"topics": topics}))
                .await
        }
    };
    let r = put(&admin, json!(["hydrogen", "cleaning", "hydrogen"])).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["topics"], json!(["cleaning", "hydrogen"]));
    assert_eq!(
        put(&member, json!(["operation"])).await.status,
        StatusCode::FORBIDDEN
    );
    // Another organisation's admin sees the (public) profile but manages none of its people.
    assert_eq!(
        put(&outsider, json!(["operation"])).await.status,
        StatusCode::FORBIDDEN
    );
    let r = put(&admin, json!(["corrosion"])).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let plain = format!(
        "/api/v1/organizations/{research}/people/{}/specialties",
        member.person_id
    );
    let r = app
        .send_json(
            Method::PUT,
            &plain,
            Some(&admin.token),
            &json!({"topics": ["operation"]}),
        )
        .await;
    assert_eq!(
        r.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "no expert capacity"
    );
    assert_eq!(
        app.count(
            "person_specialties",
            &format!("person_id = '{}'", e.person_id)
        )
        .await,
        2,
        "refusals changed nothing"
    );
    // The people page offers the form for the expert only, and saves it.
    let page = app
        .get_with_cookies("/org/people", &crate::pages::cookie(&admin))
        .await
        .text();
    assert!(
        page.contains(&format!("specialties-{}", e.person_id)),
        "{page}"
    );
    assert!(!page.contains(&format!("specialties-{}", member.person_id)));
    let r = app
        .post_form(
            &format!("/org/people/{}/specialties", e.person_id),
            &crate::pages::cookie(&admin),
            &[
                ("_csrf", &crate::pages::csrf_in(&page)),
                ("topic", "operation"),
                ("topic", "inspection"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    assert_eq!(
        app.count(
            "person_specialties",
            &format!(
                "person_id = '{}' AND topic IN ('operation', 'inspection')",
                e.person_id
            )
        )
        .await,
        2
    );
}
