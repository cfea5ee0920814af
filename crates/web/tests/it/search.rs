//! Search over the API: bilingual queries, totals and facets that count only what each
//! caller may see, the change feed, rebuilds, paging and bad parameters.

use std::collections::BTreeSet;

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};
use ticorr_kernel::{OrgKind, Role};
use ticorr_test_support::{Login, TestApp, urlencode};

async fn item(app: &TestApp, who: &Login, body: Value) -> String {
    let r = app
        .post_json("/api/v1/equipment", Some(&who.token), &body)
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    r.json()["id"].as_str().unwrap().to_owned()
}

async fn search(app: &TestApp, token: Option<&str>, query: &str) -> Value {
    let r = app.get(&format!("/api/v1/search?{query}"), token).await;
    assert_eq!(r.status, StatusCode::OK, "{query}: {}", r.text());
    r.json()
}

fn q(text: &str) -> String {
    format!("q={}", urlencode(text))
}

/// Every hit id of a search, following the cursor through all pages.
async fn all_ids(app: &TestApp, token: Option<&str>, query: &str) -> Vec<String> {
    let mut ids = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let page = match &cursor {
            Some(c) => format!("{query}&limit=2&cursor={c}"),
            None => format!("{query}&limit=2"),
        };
        let r = search(app, token, &page).await;
        for h in r["hits"].as_array().unwrap() {
            ids.push(h["id"].as_str().unwrap().to_owned());
        }
        match r["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }
    ids
}

fn sorted(ids: &[String]) -> Vec<String> {
    let mut v = ids.to_vec();
    v.sort();
    v
}

async fn a_chinese_query_and_its_english_counterpart_find_the_same_records(app: TestApp) {
    let org = app.org(OrgKind::Enterprise, &[]).await;
    let who = app.person(org, Role::Member).await;
    let exchanger = item(&app, &who, json!({"tag": "E-101", "name": "盐水预热器", "equipment_type": "shell_and_tube_heat_exchanger", "grade": "Gr2", "process_medium": "淡盐水", "temperature_c": 85, "crevice_present": true})).await;
    let plate = item(&app, &who, json!({"tag": "E-102", "name": "Chlorine cooler", "equipment_type": "plate_heat_exchanger", "grade": "Gr2", "deposits_present": true})).await;
    // A heater with crevices and an exchanger without: each lacks one of the concepts.
    item(&app, &who, json!({"tag": "H-201", "name": "电加热器", "equipment_type": "electric_heater", "grade": "Gr2", "crevice_present": true})).await;
    item(&app, &who, json!({"tag": "E-103", "name": "冷却器", "equipment_type": "plate_heat_exchanger", "grade": "Gr7", "crevice_present": false})).await;

    let zh = search(&app, Some(&who.token), &q("钛换热器 缝隙腐蚀")).await;
    let en = search(
        &app,
        Some(&who.token),
        &q("titanium heat exchanger crevice corrosion"),
    )
    .await;
    let ids = |r: &Value| {
        r["hits"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| h["id"].as_str().unwrap().to_owned())
            .collect::<BTreeSet<_>>()
    };
    assert_eq!(ids(&zh), BTreeSet::from([exchanger.clone(), plate.clone()]));
    assert_eq!(ids(&zh), ids(&en));
    assert_eq!(zh["total"], 2);
    let understood: Vec<&str> = zh["understood"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert!(
        understood.contains(&"mechanism.crevice_hot_chloride"),
        "{understood:?}"
    );
    // Grade designations of both standards, with the doubtful equivalence marked.
    let ta2 = search(&app, Some(&who.token), &q("TA2")).await;
    assert_eq!(ta2["total"], 3);
    assert_eq!(ta2["understood"][0]["unverified"], true);
    assert_eq!(
        ids(&ta2),
        ids(&search(&app, Some(&who.token), &q("Grade 2")).await)
    );
    // Snippets are HTML with the matched words marked, and the text escaped.
    let brine = search(&app, Some(&who.token), &q("淡盐水")).await;
    assert!(
        brine["hits"][0]["snippet"]
            .as_str()
            .unwrap()
            .contains("<mark>"),
        "{brine}"
    );
    // A misspelt English word still finds its record.
    let typo = search(&app, Some(&who.token), &q("chlorin coolr")).await;
    assert_eq!(ids(&typo), BTreeSet::from([plate]));
}

/// Sums the counts of one facet.
fn facet_sum(r: &Value, name: &str) -> u64 {
    r["facets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == name)
        .map(|f| {
            f["values"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v["count"].as_u64().unwrap())
                .sum()
        })
        .unwrap_or(0)
}

async fn totals_and_facet_counts_equal_the_visible_hits_of_each_caller(app: TestApp) {
    let park = app.org(OrgKind::Park, &[]).await;
    let a = app.org(OrgKind::Enterprise, &[park]).await;
    let b = app.org(OrgKind::Enterprise, &[park]).await;
    let c = app.org(OrgKind::Enterprise, &[]).await;
    let regulator = app.org(OrgKind::Regulator, &[]).await;
    let (pa, pb, pc) = (
        app.person(a, Role::Member).await,
        app.person(b, Role::Member).await,
        app.person(c, Role::Member).await,
    );
    let pp = app.person(park, Role::Member).await;
    let pr = app.person(regulator, Role::Member).await;
    let mut expected_a = Vec::new();
    let mut expected_b = Vec::new();
    let mut park_items = Vec::new();
    for (n, (who, level)) in [
        (&pa, "private"),
        (&pa, "private"),
        (&pa, "park"),
        (&pb, "private"),
        (&pb, "park"),
        (&pc, "private"),
    ]
    .into_iter()
    .enumerate()
    {
        let mut body = json!({"tag": format!("T-{n}"), "name": "钛冷凝器", "equipment_type": "condenser", "grade": if n % 2 == 0 { "Gr2" } else { "Gr12" }, "level": level});
        if level == "park" {
            body["park_id"] = json!(park.to_string());
        }
        let id = item(&app, who, body).await;
        if who.org_id == a || level == "park" {
            expected_a.push(id.clone());
        }
        if who.org_id == b || level == "park" {
            expected_b.push(id.clone());
        }
        if level == "park" {
            park_items.push(id);
        }
    }
    for (who, expected) in [
        (&pa, expected_a),
        (&pb, expected_b),
        (&pp, park_items),
        (&pr, vec![]),
    ] {
        let query = q("condenser");
        let first = search(&app, Some(&who.token), &format!("{query}&type=equipment")).await;
        let ids = all_ids(&app, Some(&who.token), &query).await;
        assert_eq!(sorted(&ids), sorted(&expected), "hits of {:?}", who.org_id);
        assert_eq!(first["total"].as_u64().unwrap() as usize, expected.len());
        for facet in ["grade", "level", "equipment_type", "region"] {
            assert_eq!(
                facet_sum(&first, facet) as usize,
                expected.len(),
                "{facet} counts of {:?}: {first}",
                who.org_id
            );
        }
    }
    // Without an account nothing private or shared is visible, not even as a count.
    let anon = search(&app, None, &q("condenser")).await;
    assert_eq!(anon["total"], 0);
    assert_eq!(facet_sum(&anon, "grade"), 0);
    // A facet filter narrows the hits and the counts alike.
    let gr12 = search(
        &app,
        Some(&pa.token),
        &format!("{}&facet.grade=Gr12", q("condenser")),
    )
    .await;
    assert_eq!(
        gr12["total"], 1,
        "only T-1 of A's visible items is Gr12: {gr12}"
    );
    assert_eq!(facet_sum(&gr12, "grade"), 1);
}

async fn the_index_follows_committed_changes_and_rebuilds_to_the_same_results(app: TestApp) {
    let org = app.org(OrgKind::Enterprise, &[]).await;
    let who = app.person(org, Role::Admin).await;
    let id = item(&app, &who, json!({"tag": "C-1", "name": "Seawater condenser", "equipment_type": "condenser", "grade": "Gr2"})).await;
    let before = search(&app, Some(&who.token), &q("seawater")).await;
    assert_eq!(before["total"], 1);

    // Changes committed while the index is not looking: a rename and a deletion.
    let other = item(&app, &who, json!({"tag": "C-2", "name": "Brine heater", "equipment_type": "electric_heater", "grade": "Gr7"})).await;
    let r = app
        .send_json(
            Method::PATCH,
            &format!("/api/v1/equipment/{id}"),
            Some(&who.token),
            &json!({"name": "Cooling water condenser"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let r = app
        .delete(&format!("/api/v1/equipment/{other}"), Some(&who.token))
        .await;
    assert!(r.status.is_success(), "{}", r.text());
    assert_eq!(
        app.count("search_outbox", "1 = 1").await,
        4,
        "every change is in the feed"
    );

    // A node whose index was lost (a fresh, empty index) rebuilds it from the database,
    // and one that lags applies the feed.
    let fresh = ticorr_platform::search::Search::in_memory(ticorr_web::search_sources()).unwrap();
    fresh.catch_up(&app.state.db).await.unwrap();
    assert_eq!(fresh.num_docs(), 1);
    let applied = app.state.search.catch_up(&app.state.db).await.unwrap();
    assert_eq!(applied, 3);
    assert_eq!(
        search(&app, Some(&who.token), &q("seawater")).await["total"],
        0
    );
    let cooling = search(&app, Some(&who.token), &q("cooling water")).await;
    assert_eq!(cooling["hits"][0]["id"], id.as_str());
    assert_eq!(
        search(&app, Some(&who.token), &q("brine")).await["total"],
        0
    );

    // A rebuild gives the same answers.
    let all = search(&app, Some(&who.token), &q("钛")).await;
    app.state
        .search
        .rebuild(&app.state.db, |_| {})
        .await
        .unwrap();
    assert_eq!(search(&app, Some(&who.token), &q("钛")).await, all);
}

async fn the_operator_rebuilds_the_index_over_the_api_and_follows_its_progress(app: TestApp) {
    let org = app.org(OrgKind::Enterprise, &[]).await;
    let who = app.person(org, Role::Admin).await;
    for n in 0..3 {
        item(&app, &who, json!({"tag": format!("R-{n}"), "name": "Brine evaporator", "equipment_type": "evaporator", "grade": "Gr2"})).await;
    }
    let before = search(&app, Some(&who.token), &q("brine evaporator")).await;
    assert_eq!(before["total"], 3);

    // Nobody but the operator may start one or read its status: to anyone else the
    // platform's own work does not exist.
    let r = app
        .post_json("/api/v1/search/reindex", Some(&who.token), &json!({}))
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.text());
    let r = app
        .post_json("/api/v1/search/reindex", None, &json!({}))
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{}", r.text());
    let operator = app
        .person(app.org(OrgKind::Operator, &[]).await, Role::Member)
        .await;
    let r = app
        .get("/api/v1/search/reindex", Some(&operator.token))
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "none started yet");

    let r = app
        .post_json("/api/v1/search/reindex", Some(&operator.token), &json!({}))
        .await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.text());
    assert_eq!(r.header("location"), Some("/api/v1/search/reindex"));
    assert_eq!(r.json()["status"], "running");
    let id = r.json()["id"].clone();

    // It finishes on its own; its status resource reports the documents it read.
    let mut status = Value::Null;
    for _ in 0..200 {
        let r = app
            .get("/api/v1/search/reindex", Some(&operator.token))
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
        status = r.json();
        if status["status"] != "running" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    assert_eq!(status["id"], id);
    assert_eq!(status["status"], "done", "{status}");
    assert_eq!(status["progress"], json!({"done": 3, "total": 3}));
    assert!(status["finished_at"].is_string());
    let r = app.get("/api/v1/search/reindex", Some(&who.token)).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.text());

    assert_eq!(
        search(&app, Some(&who.token), &q("brine evaporator")).await,
        before,
        "the rebuilt index answers as before"
    );
    assert_eq!(
        app.count(
            "audit_events",
            "action = 'operate_jobs' AND decision = 'allow'"
        )
        .await,
        1,
        "starting a rebuild is audited"
    );

    // The operator's page shows it and offers the button.
    let cookie = format!("__Host-ticorr_session={}", operator.token);
    let page = app.get_with_cookies("/operator/jobs", &cookie).await;
    assert_eq!(page.status, StatusCode::OK);
    let html = page.text();
    assert!(html.contains("id=\"search-reindex\""), "{html}");
    assert!(html.contains("id=\"search-rebuild-state\""), "{html}");
    assert!(html.contains("3 / 3"), "{html}");
}

async fn a_node_behind_the_pruned_feed_rebuilds_and_one_up_to_date_keeps_following(app: TestApp) {
    use ticorr_platform::search::{Search, prune_feed};
    let org = app.org(OrgKind::Enterprise, &[]).await;
    let who = app.person(org, Role::Admin).await;
    item(&app, &who, json!({"tag": "P-1", "name": "Seawater condenser", "equipment_type": "condenser", "grade": "Gr2"})).await;
    app.state.search.catch_up(&app.state.db).await.unwrap();
    // A second node, up to date now, then down while changes are made.
    let stale = Search::in_memory(ticorr_web::search_sources()).unwrap();
    stale.catch_up(&app.state.db).await.unwrap();
    assert_eq!(stale.num_docs(), 1);
    item(&app, &who, json!({"tag": "P-2", "name": "Brine evaporator", "equipment_type": "evaporator", "grade": "Gr7"})).await;
    // This node follows; then the feed is pruned, everything in it being old.
    assert_eq!(app.state.search.catch_up(&app.state.db).await.unwrap(), 1);
    let now = app.state.gate.clock().now();
    assert_eq!(
        prune_feed(&app.state.db, now.minus(time::Duration::days(30)))
            .await
            .unwrap(),
        0,
        "nothing is old yet"
    );
    assert_eq!(
        prune_feed(&app.state.db, now.plus(time::Duration::seconds(1)))
            .await
            .unwrap(),
        2
    );
    assert_eq!(app.count("search_outbox", "1 = 1").await, 0);

    // The node that missed pruned changes rebuilds and finds them.
    assert_eq!(stale.num_docs(), 1);
    stale.catch_up(&app.state.db).await.unwrap();
    assert_eq!(stale.num_docs(), 2);
    // The node that was up to date keeps applying the feed, numbered after the pruned rows.
    item(&app, &who, json!({"tag": "P-3", "name": "Plating heater", "equipment_type": "electric_heater", "grade": "Gr2"})).await;
    assert_eq!(
        app.state.search.catch_up(&app.state.db).await.unwrap(),
        1,
        "applied, not rebuilt"
    );
    assert_eq!(app.state.search.num_docs(), 3);
    assert_eq!(
        search(&app, Some(&who.token), &q("brine evaporator")).await["total"],
        1
    );
}

async fn bad_search_parameters_are_refused_with_the_reason(app: TestApp) {
    for (query, says) in [
        ("q=x&facet.colour=red", "unknown facet"),
        ("q=x&type=teapot", "unknown type"),
        ("q=x&limit=0", "limit"),
        ("q=x&limit=1000", "limit"),
        ("q=x&cursor=bm90LWEtY3Vyc29y", "cursor"),
        ("q=x&sort=asc", "unknown search parameter"),
    ] {
        let r = app.get(&format!("/api/v1/search?{query}"), None).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{query}");
        assert!(r.text().contains(says), "{query}: {}", r.text());
    }
    let long = "钛".repeat(201);
    let r = app.get(&format!("/api/v1/search?{}", q(&long)), None).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
}

async fn the_search_page_shows_hits_facets_and_concepts(app: TestApp) {
    let org = app.org(OrgKind::Enterprise, &[]).await;
    let who = app.person(org, Role::Member).await;
    item(&app, &who, json!({"tag": "E-9", "name": "<b>预热器</b>", "equipment_type": "shell_and_tube_heat_exchanger", "grade": "Gr2", "crevice_present": true})).await;
    let cookie = format!("__Host-ticorr_session={}", who.token);
    let page = app
        .get_with_cookies(&format!("/search?{}", q("缝隙腐蚀")), &cookie)
        .await;
    assert_eq!(page.status, StatusCode::OK);
    let html = page.text();
    assert!(html.contains("data-total=\"1\""), "{html}");
    assert!(html.contains("E-9"));
    assert!(!html.contains("<b>预热器</b>"), "record text is escaped");
    assert!(
        html.contains("crevice corrosion"),
        "the concept's terms are shown"
    );
    assert!(html.contains("data-facet=\"grade\""));
    let bad = app.get("/search?q=x&limit=0", None).await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(bad.text().contains("search-error"));
}

ticorr_test_support::on_both_engines!(
    a_chinese_query_and_its_english_counterpart_find_the_same_records,
    totals_and_facet_counts_equal_the_visible_hits_of_each_caller,
    the_index_follows_committed_changes_and_rebuilds_to_the_same_results,
    the_operator_rebuilds_the_index_over_the_api_and_follows_its_progress,
    a_node_behind_the_pruned_feed_rebuilds_and_one_up_to_date_keeps_following,
    bad_search_parameters_are_refused_with_the_reason,
    the_search_page_shows_hits_facets_and_concepts,
);

/// On PostgreSQL a change can commit after a later one; the index waits for it rather than
/// skipping it.
#[tokio::test]
async fn postgres_an_earlier_uncommitted_change_is_waited_for_not_skipped() {
    let Some(app) = TestApp::postgres().await else {
        return;
    };
    let now = app.clock.now();
    let db = &app.state.db;
    app.state.search.catch_up(db).await.unwrap();
    let mut slow = db.begin().await.unwrap();
    ticorr_platform::search::changed(&mut slow, "equipment", "slow", now)
        .await
        .unwrap();
    let mut fast = db.begin().await.unwrap();
    ticorr_platform::search::changed(&mut fast, "equipment", "fast", now)
        .await
        .unwrap();
    fast.commit().await.unwrap();
    let search = app.state.search.clone();
    let db2 = db.clone();
    let follower = tokio::spawn(async move { search.catch_up(&db2).await });
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert!(
        !follower.is_finished(),
        "the follower must wait for the earlier writer"
    );
    slow.commit().await.unwrap();
    let applied = follower.await.unwrap().unwrap();
    assert_eq!(applied, 2, "both changes, in one pass");
}
