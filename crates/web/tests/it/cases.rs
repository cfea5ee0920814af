//! Failure cases over the API: upload → preview → confirm → curate → publish → apply →
//! grant → read, on both engines; nobody sees an unpublished or ungranted record, and a
//! published record carries none of the identifiers planted in its original.

use axum::http::StatusCode;
use serde_json::{Value, json};
use ticorr_kernel::{OrgId, OrgKind, Role};
use ticorr_test_support::{Login, TestApp};
use time::Duration;

async fn org_name(app: &TestApp, org: OrgId) -> (String, String) {
    sqlx::query_as("SELECT name, uscc FROM organizations WHERE id = $1")
        .bind(org.to_string())
        .fetch_one(app.state.db.pool())
        .await
        .unwrap()
}

/// A case with identifiers planted in its texts and identifying fields.
fn planted_case(org_name: &str, uscc: &str, n: usize) -> Value {
    json!({
        "title_zh": format!("{org_name}钛板式换热器垫片缝隙腐蚀 {n}"),
        "title_en": "Crevice corrosion under the gaskets of a titanium plate exchanger",
        "failure_date": "2025-06-18",
        "equipment_type": "plate_heat_exchanger",
        "grade": "Gr2",
        "manufacturer": "远东换热设备制造有限公司",
        "location": "板片密封垫片下方",
        "morphology": "垫片覆盖区域蚀坑成片，最深 0.6 mm",
        "max_depth_mm": 0.6,
        "metallography": "蚀坑底部未见氢化物",
        "process_medium": "淡盐水",
        "temperature_c": 92.0,
        "chloride_mg_l": 25000.0,
        "ph": 2.5,
        "crevice_present": true,
        "direct_cause": "温度长期高于 TA2 缝隙腐蚀的经验界限",
        "root_causes": ["design_material", "operating_excursion"],
        "downtime_days": 9.0,
        "cost_cny": 860000.0,
        "injuries": 0,
        "rectification": "更换为 Gr7 板片并降低进口温度",
        "rectification_outcome": "effective",
        "lessons_zh": "高温含氯介质的板式换热器应选用含钯钛材。",
        "narrative_zh": format!(
            "2025年6月，{org_name}（统一社会信用代码{uscc}）设备科张建国工程师巡检时发现板式换热器泄漏，\
             联系电话13812345678，邮箱zhang.jianguo@example.com。拆检后发现垫片下方缝隙腐蚀。"
        ),
        "narrative_en": "Engineer Zhang Jianguo found the leak during a round; contact zhang.jianguo@example.com.",
        "reporter": "张建国",
        "reporter_phone": "13812345678",
        "site_address": "浙江省宁波市北仑区临港路88号",
    })
}

const PLANTED: [&str; 7] = [
    "张建国",
    "13812345678",
    "zhang.jianguo@example.com",
    "临港路88号",
    "远东换热设备制造有限公司",
    "860000",
    "Zhang Jianguo",
];

fn assert_clean(json: &Value, also: &[&str]) {
    let text = json.to_string();
    for planted in PLANTED.iter().chain(also) {
        assert!(!text.contains(planted), "`{planted}` was published: {text}");
    }
}

async fn upload(app: &TestApp, who: &Login, body: &Value) -> String {
    let r = app.post_json("/api/v1/cases", Some(&who.token), body).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    r.json()["id"].as_str().unwrap().to_owned()
}

async fn confirm(app: &TestApp, who: &Login, id: &str) {
    let preview = app
        .get(&format!("/api/v1/cases/{id}/preview"), Some(&who.token))
        .await;
    assert_eq!(preview.status, StatusCode::OK, "{}", preview.text());
    let revision = preview.json()["revision"].as_i64().unwrap();
    let r = app
        .post_json(
            &format!("/api/v1/cases/{id}/confirmation"),
            Some(&who.token),
            &json!({ "revision": revision }),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["stage"], "submitted");
}

async fn publish(app: &TestApp, curator: &Login, id: &str) -> String {
    let queue = app
        .get("/api/v1/cases/curation", Some(&curator.token))
        .await
        .json();
    let item = queue["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["id"] == id)
        .expect("the case is in the curation queue")
        .clone();
    let r = app
        .post_json(
            &format!("/api/v1/cases/{id}/curation"),
            Some(&curator.token),
            &json!({ "revision": item["revision"], "decision": "publish",
                     "mechanism": "crevice_hot_chloride" }),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    r.json()["stage"].as_str().unwrap().to_owned()
}

async fn stage_of(app: &TestApp, id: &str) -> String {
    sqlx::query_scalar("SELECT stage FROM cases WHERE id = $1")
        .bind(id.to_owned())
        .fetch_one(app.state.db.pool())
        .await
        .unwrap()
}

async fn a_case_goes_from_upload_to_a_granted_read(app: TestApp) {
    let contributor_org = app.org(OrgKind::Enterprise, &[]).await;
    let contributor = app.person(contributor_org, Role::Admin).await;
    let reader_org = app.org(OrgKind::Enterprise, &[]).await;
    let reader = app.person(reader_org, Role::Member).await;
    let operator = app.org(OrgKind::Operator, &[]).await;
    let curator = app.person(operator, Role::Member).await;
    let (name, uscc) = org_name(&app, contributor_org).await;
    let (reader_name, _) = org_name(&app, reader_org).await;

    let id = upload(&app, &contributor, &planted_case(&name, &uscc, 0)).await;

    // Unpublished: nobody but the contributor sees anything of it, curators included.
    let anonymous = app.get(&format!("/api/v1/cases/{id}"), None).await;
    assert_eq!(anonymous.status, StatusCode::NOT_FOUND);
    for who in [&reader, &curator] {
        for path in ["", "/preview", "/full"] {
            let r = app
                .get(&format!("/api/v1/cases/{id}{path}"), Some(&who.token))
                .await;
            assert_eq!(r.status, StatusCode::NOT_FOUND, "{path}: {}", r.text());
        }
    }

    // The contributor's review names what was found, beside the original value.
    let preview = app
        .get(
            &format!("/api/v1/cases/{id}/preview"),
            Some(&contributor.token),
        )
        .await
        .json();
    let originals: Vec<&str> = preview["review"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["original"].as_str().unwrap())
        .collect();
    for found in ["张建国", "13812345678", name.as_str()] {
        assert!(originals.contains(&found), "{found} in {originals:?}");
    }
    assert_clean(&preview["published"], &[&name, &uscc]);
    assert_clean(&preview["receipt"], &[&name, &uscc]);
    assert_eq!(preview["suggestion"]["mechanism"], "crevice_hot_chloride");

    // A rewritten text that brings a phone number back is refused, and nothing changes.
    let revision = preview["revision"].as_i64().unwrap();
    let refused = app
        .post_json(
            &format!("/api/v1/cases/{id}/confirmation"),
            Some(&contributor.token),
            &json!({ "revision": revision,
                     "edits": { "lessons_zh": "有问题请致电13912345678。" } }),
        )
        .await;
    assert_eq!(
        refused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        refused.text()
    );
    assert!(refused.text().contains("lessons_zh"));
    assert_eq!(stage_of(&app, &id).await, "draft");
    // An unknown text is refused by name.
    let unknown = app
        .post_json(
            &format!("/api/v1/cases/{id}/confirmation"),
            Some(&contributor.token),
            &json!({ "revision": revision, "edits": { "reporter": "x" } }),
        )
        .await;
    assert_eq!(unknown.status, StatusCode::UNPROCESSABLE_ENTITY);

    // A clean rewrite is taken.
    let r = app
        .post_json(
            &format!("/api/v1/cases/{id}/confirmation"),
            Some(&contributor.token),
            &json!({ "revision": revision,
                     "edits": { "lessons_en": "Use palladium-alloyed titanium for hot chloride brine." } }),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    // Only curators curate.
    let r = app
        .post_json(
            &format!("/api/v1/cases/{id}/curation"),
            Some(&reader.token),
            &json!({ "revision": revision + 1, "decision": "publish" }),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.text());

    // Alone in its class, the first approved case waits; the k-th approved case publishes
    // them together.
    assert_eq!(publish(&app, &curator, &id).await, "held");
    let mut others = Vec::new();
    for n in 1..5 {
        let other = upload(&app, &contributor, &planted_case(&name, &uscc, n)).await;
        confirm(&app, &contributor, &other).await;
        others.push(other);
    }
    for (n, other) in others.iter().enumerate() {
        let stage = publish(&app, &curator, other).await;
        assert_eq!(stage, if n < 3 { "held" } else { "published" });
    }
    assert_eq!(stage_of(&app, &id).await, "published");

    // Everyone sees the summary; registered users the details; no planted identifier.
    let list = app.get("/api/v1/cases", None).await;
    assert_eq!(list.status, StatusCode::OK);
    let list = list.json();
    assert_eq!(list["items"].as_array().unwrap().len(), 5);
    assert!(list["items"][0].get("details").is_none());
    assert_clean(&list, &[&name, &uscc]);
    let public = app.get(&format!("/api/v1/cases/{id}"), None).await.json();
    assert!(public["details"].is_null());
    // Five alike released together: each hides among the other four, nothing generalized.
    assert_eq!(public["province"], "浙江省");
    assert!(public["ledger"]["index"].is_u64());
    let seen = app
        .get(&format!("/api/v1/cases/{id}"), Some(&reader.token))
        .await
        .json();
    assert_eq!(seen["details"]["temperature_c"], 92.0);
    assert_eq!(
        seen["details"]["lessons_en"],
        "Use palladium-alloyed titanium for hot chloride brine."
    );
    assert_eq!(seen["may_request"], true);
    assert_eq!(seen["may_read_full"], false);
    assert_clean(&seen, &[&name, &uscc]);
    let r = app
        .get(&format!("/api/v1/cases/{id}/full"), Some(&reader.token))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "ungranted: {}", r.text());

    // Apply, grant, read.
    let r = app
        .post_json(
            &format!("/api/v1/cases/{id}/access-requests"),
            Some(&reader.token),
            &json!({ "purpose": "我厂同类换热器选材复核" }),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let request = r.json()["id"].as_str().unwrap().to_owned();
    let again = app
        .post_json(
            &format!("/api/v1/cases/{id}/access-requests"),
            Some(&reader.token),
            &json!({ "purpose": "我厂同类换热器选材复核" }),
        )
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    let incoming = app
        .get(
            "/api/v1/cases/access-requests?scope=incoming",
            Some(&contributor.token),
        )
        .await
        .json();
    assert_eq!(incoming["items"][0]["org_name"], reader_name.as_str());
    // The reader cannot grant itself.
    let r = app
        .post_json(
            &format!("/api/v1/cases/access-requests/{request}/decision"),
            Some(&reader.token),
            &json!({ "grant": true }),
        )
        .await;
    assert!(
        matches!(r.status, StatusCode::FORBIDDEN | StatusCode::NOT_FOUND),
        "{}",
        r.text()
    );
    let r = app
        .post_json(
            &format!("/api/v1/cases/access-requests/{request}/decision"),
            Some(&contributor.token),
            &json!({ "grant": true, "days": 30 }),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["status"], "granted");
    let full = app
        .get(&format!("/api/v1/cases/{id}/full"), Some(&reader.token))
        .await;
    assert_eq!(full.status, StatusCode::OK, "{}", full.text());
    let full = full.json();
    assert_eq!(full["full"]["max_depth_mm"], 0.6);
    assert_eq!(full["full"]["injuries"], "none");
    assert!(full["full"]["cost"].is_string());
    assert_clean(&full, &[&name, &uscc]);

    // The contributor sees who read it and why; the read is anchored.
    let accesses = app
        .get("/api/v1/cases/accesses", Some(&contributor.token))
        .await
        .json();
    assert_eq!(accesses["items"][0]["org_name"], reader_name.as_str());
    assert_eq!(accesses["items"][0]["purpose"], "我厂同类换热器选材复核");
    let report = crate::standards::verify(&app).await;
    assert!(report.problems.is_empty(), "{:?}", report.problems);

    // Grants expire.
    app.clock.advance(Duration::days(31));
    let token = app.login(&reader.email, &reader.password).await;
    let r = app
        .get(&format!("/api/v1/cases/{id}/full"), Some(&token))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
}

async fn a_curator_sends_a_case_back_and_withdraws_a_published_one(app: TestApp) {
    let contributor_org = app.org(OrgKind::Enterprise, &[]).await;
    let contributor = app.person(contributor_org, Role::Member).await;
    let association = app.org(OrgKind::Association, &[]).await;
    let curator = app.person(association, Role::Member).await;
    let (name, uscc) = org_name(&app, contributor_org).await;
    let id = upload(&app, &contributor, &planted_case(&name, &uscc, 0)).await;
    confirm(&app, &contributor, &id).await;
    let revision: i64 = sqlx::query_scalar("SELECT revision FROM cases WHERE id = $1")
        .bind(id.clone())
        .fetch_one(app.state.db.pool())
        .await
        .unwrap();
    // Reasons are required to send a case back.
    let r = app
        .post_json(
            &format!("/api/v1/cases/{id}/curation"),
            Some(&curator.token),
            &json!({ "revision": revision, "decision": "return" }),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let r = app
        .post_json(
            &format!("/api/v1/cases/{id}/curation"),
            Some(&curator.token),
            &json!({ "revision": revision, "decision": "return",
                     "note": "请补充金相检验结果" }),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["stage"], "returned");
    let mine = app
        .get("/api/v1/cases/mine", Some(&contributor.token))
        .await
        .json();
    assert_eq!(mine["items"][0]["stage"], "returned");
    assert_eq!(mine["items"][0]["curator_note"], "请补充金相检验结果");
    // The contributor hears about it.
    assert_eq!(
        app.count(
            "notifications",
            &format!("person_id = '{}' AND kind = 'cases'", contributor.person_id)
        )
        .await,
        1
    );
    // A stale revision is refused.
    let r = app
        .post_json(
            &format!("/api/v1/cases/{id}/confirmation"),
            Some(&contributor.token),
            &json!({ "revision": revision }),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    confirm(&app, &contributor, &id).await;
    let mut ids = vec![id.clone()];
    for n in 1..5 {
        let other = upload(&app, &contributor, &planted_case(&name, &uscc, n)).await;
        confirm(&app, &contributor, &other).await;
        ids.push(other);
    }
    for other in &ids {
        publish(&app, &curator, other).await;
    }
    assert_eq!(stage_of(&app, &id).await, "published");
    let revision: i64 = sqlx::query_scalar("SELECT revision FROM cases WHERE id = $1")
        .bind(id.clone())
        .fetch_one(app.state.db.pool())
        .await
        .unwrap();
    let r = app
        .post_json(
            &format!("/api/v1/cases/{id}/curation"),
            Some(&curator.token),
            &json!({ "revision": revision, "decision": "withdraw",
                     "note": "重复提交" }),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let gone = app.get(&format!("/api/v1/cases/{id}"), None).await;
    assert_eq!(gone.status, StatusCode::NOT_FOUND);
    let list = app.get("/api/v1/cases", None).await.json();
    assert_eq!(list["items"].as_array().unwrap().len(), 4);
    let report = crate::standards::verify(&app).await;
    assert!(report.problems.is_empty(), "{:?}", report.problems);
}

/// The pages: upload by form, the review with the original beside its replacement,
/// confirmation, curation, the public page without details, application and decision.
async fn the_pages_take_a_case_from_the_form_to_a_granted_reader(app: TestApp) {
    use crate::pages::{cookie, csrf_in};
    let contributor_org = app.org(OrgKind::Enterprise, &[]).await;
    let contributor = app.person(contributor_org, Role::Admin).await;
    let reader = app
        .person(app.org(OrgKind::Enterprise, &[]).await, Role::Member)
        .await;
    let curator = app
        .person(app.org(OrgKind::Operator, &[]).await, Role::Member)
        .await;
    let (name, uscc) = org_name(&app, contributor_org).await;
    // Four cases published through the API give the form's case a class to join.
    for n in 1..5 {
        let id = upload(&app, &contributor, &planted_case(&name, &uscc, n)).await;
        confirm(&app, &contributor, &id).await;
        publish(&app, &curator, &id).await;
    }
    let c = cookie(&contributor);
    let form = app.get_with_cookies("/cases/new", &c).await;
    assert_eq!(form.status, StatusCode::OK);
    let csrf = csrf_in(&form.text());
    // A bad number is reported on the form, and nothing is stored.
    let bad = app
        .post_form(
            "/cases/new",
            &c,
            &[
                ("_csrf", &csrf),
                ("title_zh", "换热器泄漏"),
                ("failure_date", "2025-06-01"),
                ("equipment_type", "plate_heat_exchanger"),
                ("grade", "Gr2"),
                ("temperature_c", "hot"),
                ("narrative_zh", "泄漏。"),
            ],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.text().contains("id=\"case-errors\""));
    assert_eq!(app.count("cases", "1 = 1").await, 4);
    let created = app
        .post_form(
            "/cases/new",
            &c,
            &[
                ("_csrf", &csrf),
                ("title_zh", "板式换热器缝隙腐蚀"),
                ("failure_date", "2025-06-18"),
                ("equipment_type", "plate_heat_exchanger"),
                ("grade", "Gr2"),
                ("temperature_c", "92"),
                ("root_causes", "design_material"),
                ("root_causes", "operating_excursion"),
                (
                    "narrative_zh",
                    "设备科张建国工程师发现垫片下方缝隙腐蚀，电话13812345678。",
                ),
                ("reporter", "张建国"),
            ],
        )
        .await;
    assert_eq!(created.status, StatusCode::SEE_OTHER, "{}", created.text());
    let review_path = created.header("location").unwrap().to_owned();
    let id = review_path.rsplit('/').next().unwrap().to_owned();
    let review = app.get_with_cookies(&review_path, &c).await.text();
    assert!(review.contains("id=\"case-review\""));
    assert!(review.contains("张建国") && review.contains("13812345678"));
    let revision: i64 = sqlx::query_scalar("SELECT revision FROM cases WHERE id = $1")
        .bind(id.clone())
        .fetch_one(app.state.db.pool())
        .await
        .unwrap();
    let confirmed = app
        .post_form(
            &format!("{review_path}/confirm"),
            &c,
            &[
                ("_csrf", &csrf_in(&review)),
                ("revision", &revision.to_string()),
            ],
        )
        .await;
    assert_eq!(
        confirmed.status,
        StatusCode::SEE_OTHER,
        "{}",
        confirmed.text()
    );
    let cc = cookie(&curator);
    let queue = app.get_with_cookies("/cases/curation", &cc).await.text();
    assert!(queue.contains(&format!("data-case=\"{id}\"")), "{queue}");
    assert!(!queue.contains("张建国"));
    let revision: i64 = sqlx::query_scalar("SELECT revision FROM cases WHERE id = $1")
        .bind(id.clone())
        .fetch_one(app.state.db.pool())
        .await
        .unwrap();
    let curated = app
        .post_form(
            &format!("/cases/{id}/curate"),
            &cc,
            &[
                ("_csrf", &csrf_in(&queue)),
                ("revision", &revision.to_string()),
                ("decision", "publish"),
                ("mechanism", "crevice_hot_chloride"),
            ],
        )
        .await;
    assert_eq!(curated.status, StatusCode::SEE_OTHER, "{}", curated.text());
    assert_eq!(stage_of(&app, &id).await, "published");
    let public = app.get(&format!("/cases/{id}"), None).await;
    assert_eq!(public.status, StatusCode::OK);
    let public = public.text();
    assert!(public.contains("id=\"case-sign-in\"") && !public.contains("id=\"case-details\""));
    assert!(!public.contains("张建国") && !public.contains("13812345678"));
    let rc = cookie(&reader);
    let page = app
        .get_with_cookies(&format!("/cases/{id}"), &rc)
        .await
        .text();
    assert!(page.contains("id=\"case-details\"") && page.contains("id=\"case-apply\""));
    let applied = app
        .post_form(
            &format!("/cases/{id}/apply"),
            &rc,
            &[
                ("_csrf", &csrf_in(&page)),
                ("purpose", "复核本厂同类板式换热器的选材"),
            ],
        )
        .await;
    assert_eq!(applied.status, StatusCode::SEE_OTHER, "{}", applied.text());
    let access = app.get_with_cookies("/cases/access", &c).await.text();
    let request: String =
        sqlx::query_scalar("SELECT id FROM case_access_requests WHERE case_id = $1")
            .bind(id.clone())
            .fetch_one(app.state.db.pool())
            .await
            .unwrap();
    assert!(access.contains(&format!("data-request=\"{request}\"")));
    let decided = app
        .post_form(
            &format!("/cases/access/{request}/decide"),
            &c,
            &[
                ("_csrf", &csrf_in(&access)),
                ("decision", "grant"),
                ("days", "30"),
            ],
        )
        .await;
    assert_eq!(decided.status, StatusCode::SEE_OTHER, "{}", decided.text());
    let full = app
        .get_with_cookies(&format!("/cases/{id}/full"), &rc)
        .await;
    assert_eq!(full.status, StatusCode::OK);
    assert!(full.text().contains("id=\"case-full\""));
    let log = app.get_with_cookies("/cases/access", &c).await.text();
    assert!(log.contains("id=\"access-log\""));
    let english = app.get("/cases?lang=en", None).await;
    assert_eq!(english.status, StatusCode::OK);
}

async fn similar_cases_come_from_published_ones_and_say_why(app: TestApp) {
    use crate::pages::cookie;
    let contributor_org = app.org(OrgKind::Enterprise, &[]).await;
    let contributor = app.person(contributor_org, Role::Admin).await;
    let reader_org = app.org(OrgKind::Enterprise, &[]).await;
    let reader = app.person(reader_org, Role::Admin).await;
    let stranger = app
        .person(app.org(OrgKind::Enterprise, &[]).await, Role::Admin)
        .await;
    let curator = app
        .person(app.org(OrgKind::Operator, &[]).await, Role::Member)
        .await;
    let (name, uscc) = org_name(&app, contributor_org).await;
    // Five hot-brine cases and five in cool, dilute water; one more stays a draft.
    let mut hot = Vec::new();
    for n in 0..10 {
        let mut body = planted_case(&name, &uscc, n);
        if n >= 5 {
            body["temperature_c"] = json!(35.0);
            body["chloride_mg_l"] = json!(300.0);
            body["lessons_zh"] = json!("循环冷却水系统应保持流速并定期清洗。");
        }
        let id = upload(&app, &contributor, &body).await;
        confirm(&app, &contributor, &id).await;
        publish(&app, &curator, &id).await;
        if n < 5 {
            hot.push(id);
        }
    }
    let draft = upload(&app, &contributor, &planted_case(&name, &uscc, 99)).await;
    for id in &hot {
        assert_eq!(stage_of(&app, id).await, "published");
    }

    // The four other hot cases come first; the case itself and the draft never.
    let path = format!("/api/v1/cases/{}/similar?limit=20", hot[0]);
    let seen = app.get(&path, Some(&reader.token)).await;
    assert_eq!(seen.status, StatusCode::OK, "{}", seen.text());
    let seen = seen.json();
    let ids: Vec<&str> = seen["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids.len(), 9, "{ids:?}");
    assert!(!ids.contains(&hot[0].as_str()) && !ids.contains(&draft.as_str()));
    let mut top: Vec<&str> = ids[..4].to_vec();
    top.sort_unstable();
    let mut others: Vec<&str> = hot[1..].iter().map(String::as_str).collect();
    others.sort_unstable();
    assert_eq!(top, others);
    // Each says why: the mechanism, and for a registered reader the close temperature.
    let first = &seen["items"][0];
    let kinds: Vec<&str> = first["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["kind"].as_str().unwrap())
        .collect();
    assert!(
        kinds.contains(&"mechanism") && kinds.contains(&"parameter"),
        "{kinds:?}"
    );
    assert!(
        first["parts"]["score"].as_f64().unwrap()
            > seen["items"][8]["parts"]["score"].as_f64().unwrap()
    );
    assert_clean(&seen, &[&name, &uscc]);
    // Without an account: the same cases, but no parameter (a detail) among the reasons.
    let public = app.get(&path, None).await.json();
    assert_eq!(public["items"].as_array().unwrap().len(), 9);
    assert!(!public.to_string().contains("\"parameter\""));
    // An unpublished case has no similar cases for anyone but a 404.
    let r = app
        .get(
            &format!("/api/v1/cases/{draft}/similar"),
            Some(&reader.token),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);

    // An item in hot brine finds the hot cases first; another enterprise cannot ask for it.
    let item = app
        .post_json(
            "/api/v1/equipment",
            Some(&reader.token),
            &json!({"tag": "E-7", "name": "E-7 板式换热器", "equipment_type": "plate_heat_exchanger",
                    "grade": "Gr2", "level": "private", "temperature_c": 90, "chloride_mg_l": 20000,
                    "ph": 3, "crevice_present": true}),
        )
        .await;
    assert_eq!(item.status, StatusCode::CREATED, "{}", item.text());
    let item = item.json()["id"].as_str().unwrap().to_owned();
    let like = app
        .get(
            &format!("/api/v1/equipment/{item}/similar-cases?limit=5"),
            Some(&reader.token),
        )
        .await;
    assert_eq!(like.status, StatusCode::OK, "{}", like.text());
    let like = like.json();
    for i in like["items"].as_array().unwrap() {
        assert!(hot.contains(&i["id"].as_str().unwrap().to_owned()), "{i}");
    }
    assert_eq!(like["items"].as_array().unwrap().len(), 5);
    let r = app
        .get(
            &format!("/api/v1/equipment/{item}/similar-cases"),
            Some(&stranger.token),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);

    // The pages show them.
    let page = app
        .get_with_cookies(&format!("/cases/{}", hot[0]), &cookie(&reader))
        .await
        .text();
    assert!(page.contains("id=\"similar-list\""));
    let page = app
        .get_with_cookies(&format!("/equipment/{item}"), &cookie(&reader))
        .await
        .text();
    assert!(page.contains("id=\"equipment-similar-cases\""));
    assert!(
        page.contains(&format!("/cases/{}", hot[1]))
            || hot.iter().any(|h| page.contains(h.as_str()))
    );
}

/// The learned risk model: the operator asks for a version (the job trains it as the
/// operator), a version is anchored, figures for an item come from the newest version for
/// those who may read the item, the pages show them, and unchanged data is not retrained.
async fn the_learned_risk_model_is_trained_anchored_and_shown(app: TestApp) {
    use crate::pages::cookie;
    use ticorr_cases::risk_models::{self, Trained};
    let contributor_org = app.org(OrgKind::Enterprise, &[]).await;
    let contributor = app.person(contributor_org, Role::Admin).await;
    let owner_org = app.org(OrgKind::Enterprise, &[]).await;
    let owner = app.person(owner_org, Role::Admin).await;
    let stranger = app
        .person(app.org(OrgKind::Enterprise, &[]).await, Role::Admin)
        .await;
    let operator = app
        .person(app.org(OrgKind::Operator, &[]).await, Role::Member)
        .await;
    let (name, uscc) = org_name(&app, contributor_org).await;
    for n in 0..8 {
        let id = upload(&app, &contributor, &planted_case(&name, &uscc, n)).await;
        confirm(&app, &contributor, &id).await;
        publish(&app, &operator, &id).await;
    }
    // The registry: items in hot brine with crevices, and items in cool, dilute water.
    let mut items = Vec::new();
    for n in 0..12 {
        let hot = n < 4;
        let body = json!({"tag": format!("E-{n}"), "name": format!("换热器 {n}"),
            "equipment_type": "plate_heat_exchanger", "grade": "Gr2", "level": "private",
            "temperature_c": if hot { 90.0 } else { 30.0 },
            "chloride_mg_l": if hot { 20000.0 } else { 100.0 },
            "ph": if hot { 3.0 } else { 7.5 }, "crevice_present": hot});
        let r = app
            .post_json("/api/v1/equipment", Some(&owner.token), &body)
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
        items.push(r.json()["id"].as_str().unwrap().to_owned());
    }
    let (hot, cool) = (&items[0], &items[11]);

    // Before any version, the item says so.
    let r = app
        .get(
            &format!("/api/v1/equipment/{hot}/learned-risk"),
            Some(&owner.token),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert!(r.json()["figures"].is_null());

    // Only the operator may ask for a version; an enterprise starts nothing.
    let trainings = || async {
        sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM jobs WHERE kind = $1")
            .bind(risk_models::TRAIN_JOB)
            .fetch_one(app.state.db.pool())
            .await
            .unwrap()
    };
    let r = app
        .post_json("/api/v1/risk-models", Some(&owner.token), &json!({}))
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.text());
    assert_eq!(trainings().await, 0);
    let r = app
        .post_json("/api/v1/risk-models", Some(&operator.token), &json!({}))
        .await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.text());
    assert_eq!(trainings().await, 1);
    app.run_jobs().await;
    let list = app.get("/api/v1/risk-models", None).await.json();
    assert_eq!(list["items"].as_array().unwrap().len(), 1, "{list}");
    assert_eq!(list["items"][0]["items"], 12);
    assert_eq!(list["items"][0]["cases"], 8);
    // Eight cases are fewer than the default thirty a mechanism needs: named, not modelled.
    let v1 = app.get("/api/v1/risk-models/1", None).await.json();
    assert_eq!(v1["mechanisms"].as_array().unwrap().len(), 0);
    assert_eq!(v1["skipped"][0]["mechanism"], "crevice_hot_chloride");
    assert_eq!(v1["skipped"][0]["cases"], 8);
    assert!(v1["ledger"]["index"].is_u64(), "{v1}");

    // With settings that let eight cases count, the crevice model ranks the hot item first.
    let platform = ticorr_platform::Caller {
        principal: ticorr_platform::Principal::Platform,
        ip: None,
    };
    let settings = ticorr_cases::learned::Settings {
        min_cases: 4,
        folds: 2,
        ..Default::default()
    };
    let trained = risk_models::train(
        &app.state.db,
        &app.state.gate,
        &platform,
        settings,
        true,
        None,
    )
    .await
    .unwrap();
    assert_eq!(trained, Trained::New(2));
    let v2 = app.get("/api/v1/risk-models/2", None).await.json();
    let m = &v2["mechanisms"][0];
    assert_eq!(m["mechanism"], "crevice_hot_chloride");
    assert_eq!(m["calibration"].as_array().unwrap().len(), 10);
    assert!(m["cv_auc"].as_f64().unwrap() > 0.5, "{m}");
    let figures = |item: String, who: String| {
        let app = &app;
        async move {
            app.get(
                &format!("/api/v1/equipment/{item}/learned-risk"),
                Some(&who),
            )
            .await
        }
    };
    let h = figures(hot.clone(), owner.token.clone()).await.json();
    let c = figures(cool.clone(), owner.token.clone()).await.json();
    assert_eq!(h["figures"]["version"], 2);
    let rate = |v: &Value| v["figures"]["predictions"][0]["per_year"].as_f64().unwrap();
    assert!(rate(&h) > 2.0 * rate(&c), "{h} vs {c}");
    assert_eq!(
        figures(hot.clone(), stranger.token.clone()).await.status,
        StatusCode::NOT_FOUND
    );

    // Unchanged data is not trained again; the ledger holds both versions intact.
    let again = risk_models::train(
        &app.state.db,
        &app.state.gate,
        &platform,
        settings,
        false,
        None,
    )
    .await
    .unwrap();
    assert_eq!(again, Trained::Unchanged(2));
    let report = crate::standards::verify(&app).await;
    assert!(report.problems.is_empty(), "{:?}", report.problems);

    // The pages.
    let page = app
        .get_with_cookies("/risk-models", &cookie(&operator))
        .await
        .text();
    assert!(page.contains("href=\"/risk-models/2\"") && page.contains("id=\"model-train\""));
    let page = app
        .get_with_cookies("/risk-models", &cookie(&owner))
        .await
        .text();
    assert!(!page.contains("id=\"model-train\""));
    let page = app
        .get_with_cookies("/risk-models/2", &cookie(&owner))
        .await
        .text();
    assert!(page.contains("id=\"m-crevice_hot_chloride\""), "{page}");
    assert!(page.contains("class=\"model-calibration\""));
    let page = app
        .get_with_cookies(&format!("/equipment/{hot}"), &cookie(&owner))
        .await
        .text();
    assert!(page.contains("id=\"learned-risk\"") && page.contains("href=\"/risk-models/2\""));
}

/// A JPEG whose EXIF block holds a GPS position and whose comment names the reporter.
fn tagged_jpeg() -> Vec<u8> {
    let img = image::RgbImage::from_fn(40, 30, |x, y| image::Rgb([x as u8 * 6, y as u8 * 8, 120]));
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Jpeg).unwrap();
    let plain = out.into_inner();
    let segment = |marker: u8, payload: &[u8]| {
        let mut s = vec![0xFF, marker];
        s.extend_from_slice(&((payload.len() + 2) as u16).to_be_bytes());
        s.extend_from_slice(payload);
        s
    };
    let mut tagged = plain[..2].to_vec();
    tagged.extend(segment(0xE1, b"Exif\0\0MM\0*GPSLatitude 29.87N Make Nikon"));
    tagged.extend(segment(0xFE, "张建国 摄于北仑厂区".as_bytes()));
    tagged.extend_from_slice(&plain[2..]);
    tagged
}

async fn attach_file(
    app: &TestApp,
    who: &Login,
    id: &str,
    name: &str,
    bytes: &[u8],
) -> (StatusCode, Value) {
    let (ct, body) = crate::attachments::multipart(name, "application/octet-stream", bytes, &[]);
    let r = app
        .post_body(
            &format!("/api/v1/cases/{id}/files"),
            Some(&who.token),
            &ct,
            body,
        )
        .await;
    let json = if r.body.is_empty() {
        Value::Null
    } else {
        r.json()
    };
    (r.status, json)
}

async fn a_case_s_photos_are_published_without_their_metadata(app: TestApp) {
    let contributor_org = app.org(OrgKind::Enterprise, &[]).await;
    let contributor = app.person(contributor_org, Role::Admin).await;
    let reader_org = app.org(OrgKind::Enterprise, &[]).await;
    let reader = app.person(reader_org, Role::Member).await;
    let operator = app.org(OrgKind::Operator, &[]).await;
    let curator = app.person(operator, Role::Member).await;
    let (name, uscc) = org_name(&app, contributor_org).await;
    let id = upload(&app, &contributor, &planted_case(&name, &uscc, 0)).await;

    // Only the contributor attaches, and only what the attachment rules accept.
    let photo = tagged_jpeg();
    let (status, _) = attach_file(&app, &reader, &id, "x.jpg", &photo).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, body) = attach_file(&app, &contributor, &id, "张建国_现场.pdf", &photo).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let (status, body) = attach_file(&app, &contributor, &id, "张建国_现场.jpg", &photo).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (status, body) = attach_file(
        &app,
        &contributor,
        &id,
        "检测报告.pdf",
        crate::attachments::PDF,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");

    // The preview says what publication will do with each file.
    let preview = app
        .get(
            &format!("/api/v1/cases/{id}/preview"),
            Some(&contributor.token),
        )
        .await
        .json();
    assert_eq!(preview["may_attach"], true);
    let files = preview["files"].as_array().unwrap();
    assert_eq!(files.len(), 2);
    assert_eq!(files[0]["attachment"]["file_name"], "张建国_现场.jpg");
    assert_eq!(files[0]["publication"]["action"], "stripped");
    assert_eq!(files[1]["publication"]["action"], "withheld");
    assert_eq!(files[1]["publication"]["withheld_because"], "document");
    assert_eq!(preview["receipt"]["attachments_stripped"], 1);

    // The review page lists them with their fate, and its form attaches another.
    let cookie = format!("__Host-ticorr_session={}", contributor.token);
    let html = app
        .get_with_cookies(&format!("/cases/mine/{id}"), &cookie)
        .await
        .text();
    assert!(
        html.contains("张建国_现场.jpg")
            && html.contains("将去除元数据后公开")
            && html.contains("不公开：文档内容无法自动脱敏"),
        "{html}"
    );
    let csrf = html
        .split(&format!("action=\"/cases/mine/{id}/files\""))
        .nth(1)
        .unwrap()
        .split("name=\"_csrf\" value=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_owned();
    let (ct, body) = crate::attachments::multipart(
        "截面.jpg",
        "image/jpeg",
        &photo,
        &[("_csrf", csrf.as_str())],
    );
    let r = app
        .request(
            axum::http::Request::builder()
                .method("POST")
                .uri(format!("/cases/mine/{id}/files"))
                .header(axum::http::header::COOKIE, cookie.clone())
                .header(axum::http::header::CONTENT_TYPE, ct)
                .body(axum::body::Body::from(body))
                .unwrap(),
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    let html = app
        .get_with_cookies(&format!("/cases/mine/{id}?done=attachment-added"), &cookie)
        .await
        .text();
    assert!(html.contains("截面.jpg") && html.contains("id=\"case-done\""));
    // Removed again through the page's delete form.
    let third = app
        .get(
            &format!("/api/v1/cases/{id}/preview"),
            Some(&contributor.token),
        )
        .await
        .json()["files"][2]["attachment"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = app
        .post_form(
            &format!("/cases/mine/{id}/files/{third}/delete"),
            &cookie,
            &[("_csrf", csrf.as_str())],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());

    // Once submitted, files are fixed.
    confirm(&app, &contributor, &id).await;
    let (status, body) = attach_file(&app, &contributor, &id, "later.jpg", &photo).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");

    publish(&app, &curator, &id).await;
    for n in 1..5 {
        let other = upload(&app, &contributor, &planted_case(&name, &uscc, n)).await;
        confirm(&app, &contributor, &other).await;
        publish(&app, &curator, &other).await;
    }
    assert_eq!(stage_of(&app, &id).await, "published");

    // The receipt, public with the case: the photo's metadata removed, the report withheld,
    // and nothing of the uploaded names.
    let public = app.get(&format!("/api/v1/cases/{id}"), None).await.json();
    let receipt = &public["receipt"];
    assert_eq!(receipt["attachments_stripped"], 1);
    let lines = receipt["files"].as_array().unwrap();
    assert_eq!(lines[0]["action"], "stripped");
    assert_eq!(lines[0]["removed"], json!(["exif", "comment"]));
    let sha = lines[0]["sha256"].as_str().unwrap().to_owned();
    assert_eq!(lines[1]["withheld_because"], "document");
    assert!(lines[1]["sha256"].is_null());
    assert_clean(receipt, &["张建国", "检测报告", &name]);

    // The copy is read with the full record only.
    let path = format!("/api/v1/cases/{id}/files/1");
    let r = app.get(&path, Some(&reader.token)).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text());
    assert_eq!(app.get(&path, None).await.status, StatusCode::UNAUTHORIZED);
    let r = app
        .post_json(
            &format!("/api/v1/cases/{id}/access-requests"),
            Some(&reader.token),
            &json!({ "purpose": "复核同类换热器的腐蚀形貌" }),
        )
        .await;
    let request = r.json()["id"].as_str().unwrap().to_owned();
    let r = app
        .post_json(
            &format!("/api/v1/cases/access-requests/{request}/decision"),
            Some(&contributor.token),
            &json!({ "grant": true }),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let r = app.get(&path, Some(&reader.token)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.header("content-type"), Some("image/jpeg"));
    let disposition = r.header("content-disposition").unwrap();
    assert!(
        disposition.contains("-1.jpg") && !disposition.contains("%E5%BC%A0"),
        "{disposition}"
    );
    let copy = r.body.to_vec();
    let text = String::from_utf8_lossy(&copy).into_owned();
    assert!(!text.contains("GPSLatitude") && !text.contains("Nikon"));
    assert!(!copy.windows(9).any(|w| w == "张建国".as_bytes()));
    assert_eq!(
        ticorr_platform::attachments::sha256_of(&copy),
        sha,
        "the copy is the one the receipt names"
    );
    let pixels = |b: &[u8]| image::load_from_memory(b).unwrap().to_rgb8().into_raw();
    assert_eq!(pixels(&copy), pixels(&photo), "not a pixel changed");
    // A withheld file has no copy.
    let r = app
        .get(&format!("/api/v1/cases/{id}/files/2"), Some(&reader.token))
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);

    // The download is logged for the contributor and anchored like a read of the record.
    let accesses = app
        .get("/api/v1/cases/accesses", Some(&contributor.token))
        .await
        .json();
    assert_eq!(accesses["items"].as_array().unwrap().len(), 1);
    assert_eq!(accesses["items"][0]["purpose"], "复核同类换热器的腐蚀形貌");
    let report = crate::standards::verify(&app).await;
    assert!(report.problems.is_empty(), "{:?}", report.problems);
}

/// A plant's own accident list: headers in Chinese and by API name, one case per row.
const CASE_SHEET: &str = "标题,失效日期,equipment_type,钛材牌号,温度,氯离子mg/L,存在缝隙,根本原因,经过,reporter\n\
钛冷凝器管口缝隙腐蚀,2024-05-02,condenser,2,88,30000,是,design_material;operating_excursion,巡检发现管板泄漏，拆检见管口缝隙腐蚀。,王立新\n\
电加热器护套点蚀,2023-11-20,electric_heater,Gr1,95,60000,否,cleaning_maintenance,电镀槽加热器护套点蚀穿孔。,李红\n";

async fn import_cases(app: &TestApp, who: &Login, sheet: &str) -> Value {
    let r = app
        .post_body(
            "/api/v1/cases/import",
            Some(&who.token),
            "text/csv",
            sheet.to_owned(),
        )
        .await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.text());
    let location = r.header("location").unwrap().to_owned();
    assert_eq!(r.json()["kind"], "cases.import");
    assert_eq!(app.run_jobs().await, 1, "the import job ran");
    let job = app.get(&location, Some(&who.token)).await.json();
    assert_eq!(job["status"], "done", "{job}");
    assert_eq!(job["progress"]["done"], job["progress"]["total"], "{job}");
    job["result"].clone()
}

async fn a_plant_imports_its_accident_list_as_drafts(app: TestApp) {
    let org = app.org(OrgKind::Enterprise, &[]).await;
    let who = app.person(org, Role::Member).await;
    let outsider = app
        .person(app.org(OrgKind::Enterprise, &[]).await, Role::Member)
        .await;

    // A file that cannot be read, or names an unknown column, starts nothing.
    let r = app
        .post_body(
            "/api/v1/cases/import",
            Some(&who.token),
            "text/csv",
            "colour,grade\nred,2\n",
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text());
    assert!(r.text().contains("unknown column `colour`"));
    assert_eq!(app.count("jobs", "kind = 'cases.import'").await, 0);

    // One bad row: every problem by row and column, nothing written.
    let bad = format!("{CASE_SHEET}漏检,2099-01-01,teapot,2,hot,,也许,,,\n");
    let result = import_cases(&app, &who, &bad).await;
    assert_eq!(result["outcome"], "rejected", "{result}");
    let problems: Vec<(u64, &str)> = result["row_errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["row"].as_u64().unwrap(), e["field"].as_str().unwrap()))
        .collect();
    assert_eq!(
        problems,
        [(4, "temperature_c"), (4, "crevice_present")],
        "{result}"
    );
    assert_eq!(app.count("cases", "1 = 1").await, 0);
    // Once the cells are numbers, the upload's own rules speak: a future date, an unknown type.
    let bad = format!("{CASE_SHEET}漏检,2099-01-01,teapot,2,80,,否,,经过。,\n");
    let result = import_cases(&app, &who, &bad).await;
    let fields: Vec<&str> = result["row_errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert!(
        fields.contains(&"failure_date") && fields.contains(&"equipment_type"),
        "{result}"
    );
    assert_eq!(app.count("cases", "1 = 1").await, 0);

    // A good file: every row a draft of the importer's organisation, sealed, classified.
    let result = import_cases(&app, &who, CASE_SHEET).await;
    assert_eq!(result["outcome"], "imported", "{result}");
    assert_eq!(result["rows"], 2);
    let ids: Vec<String> = result["ids"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_owned())
        .collect();
    let mine = app.get("/api/v1/cases/mine", Some(&who.token)).await.json();
    let drafts: Vec<&str> = mine["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["stage"] == "draft")
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert_eq!(drafts.len(), 2);
    assert!(ids.iter().all(|id| drafts.contains(&id.as_str())));
    let sealed: String = sqlx::query_scalar("SELECT original FROM cases WHERE id = $1")
        .bind(ids[0].clone())
        .fetch_one(app.state.db.pool())
        .await
        .unwrap();
    assert!(!sealed.contains("王立新"), "the original is sealed");
    let preview = app
        .get(
            &format!("/api/v1/cases/{}/preview", ids[0]),
            Some(&who.token),
        )
        .await
        .json();
    assert_eq!(preview["suggestion"]["mechanism"], "crevice_hot_chloride");
    assert_clean(&preview["published"], &["王立新"]);
    // Nobody else sees them, or the job.
    let r = app
        .get(
            &format!("/api/v1/cases/{}/preview", ids[0]),
            Some(&outsider.token),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);

    // The page: the form, then the job's result with the way to the drafts.
    let cookie = format!("__Host-ticorr_session={}", who.token);
    let html = app.get_with_cookies("/cases/import", &cookie).await.text();
    assert!(
        html.contains("action=\"/cases/import\"") && html.contains("/cases/import/template.csv")
    );
    let job: String = sqlx::query_scalar(
        "SELECT id FROM jobs WHERE kind = 'cases.import' ORDER BY created_at DESC, id DESC LIMIT 1",
    )
    .fetch_one(app.state.db.pool())
    .await
    .unwrap();
    let html = app
        .get_with_cookies(&format!("/cases/import?job={job}"), &cookie)
        .await
        .text();
    assert!(
        html.contains("id=\"import-result\"") && html.contains("href=\"/cases/mine\""),
        "{html}"
    );
    let template = app.get("/cases/import/template.csv", None).await.text();
    assert!(
        template
            .trim_start_matches('\u{feff}')
            .starts_with("title_zh,title_en,failure_date,"),
        "{template}"
    );
}

/// A public standard with a clause against hot-chloride crevice corrosion (citing its rules),
/// one against fluoride attack, and one citing no rule.
async fn crevice_standard(app: &TestApp, holder: OrgId) -> String {
    let input: ticorr_standards::StandardInput = serde_json::from_value(json!({
        "code": "T/TICORR 950-2026", "origin": "platform",
        "title_en": "Titanium heat exchangers in chloride service", "title_zh": "含氯介质钛换热器",
        "scope_en": "Plate and shell-and-tube exchangers.", "scope_zh": "板式与管壳式换热器。",
        "topic": "design_material", "review_interval_months": 36,
        "clauses": [
            {"number": "4.1", "kind": "mandatory",
             "text_en": "Grades 1 and 2 with crevices shall not exceed 70 °C in chloride brine.",
             "text_zh": "有缝隙的 TA1、TA2 在含氯盐水中温度不得超过 70 °C。",
             "risk_grades": ["I", "II", "III", "IV"],
             "applies": {"grades": ["1", "2"], "temperature_c": {"min": 70}, "chloride_mg_l": {"min": 1}},
             "source": ["risk_model.json CR1, CR2 (S7, S8, S9)"]},
            {"number": "5.1", "kind": "mandatory",
             "text_en": "No fluoride in acidic media.", "text_zh": "酸性介质中不得含氟。",
             "risk_grades": ["I", "II", "III", "IV"], "applies": {},
             "source": ["risk_model.json FL2 (S16, S17)"]},
            {"number": "7.1", "kind": "mandatory",
             "text_en": "Keep the design file.", "text_zh": "保存设计文件。",
             "risk_grades": ["I", "II", "III", "IV"], "applies": {},
             "source": ["platform convention"]}
        ]
    }))
    .unwrap();
    let mut conn = app.state.db.pool().acquire().await.unwrap();
    ticorr_standards::seed_released(
        &mut conn,
        (holder, ticorr_kernel::Level::Public, None),
        &input,
        &ticorr_standards::Release {
            at: app.clock.now(),
            effective_on: "2026-03-01".into(),
            review_due_on: "2029-03-01".into(),
        },
    )
    .await
    .unwrap()
}

async fn run_feedback(app: &TestApp) -> Value {
    let mut tx = app.state.db.begin().await.unwrap();
    let id = ticorr_platform::jobs::NewJob::new(ticorr_cases::feedback::FEEDBACK_JOB, json!({}))
        .enqueue(&mut tx, app.clock.now())
        .await
        .unwrap();
    tx.commit().await.unwrap();
    app.run_jobs().await;
    let result: String =
        sqlx::query_scalar("SELECT result FROM jobs WHERE id = $1 AND status = 'done'")
            .bind(id)
            .fetch_one(app.state.db.pool())
            .await
            .unwrap();
    serde_json::from_str(&result).unwrap()
}

async fn cases_under_a_clause_open_a_revision_proposal_for_it(app: TestApp) {
    let association = app.org(OrgKind::Association, &[]).await;
    let holder = app.person(association, Role::Admin).await;
    let standard = crevice_standard(&app, association).await;
    let contributor_org = app.org(OrgKind::Enterprise, &[]).await;
    let contributor = app.person(contributor_org, Role::Member).await;
    let operator = app.org(OrgKind::Operator, &[]).await;
    let curator = app.person(operator, Role::Member).await;
    let (name, uscc) = org_name(&app, contributor_org).await;

    // Nothing published: nothing to propose.
    assert_eq!(
        run_feedback(&app).await,
        json!({"clauses_checked": 2, "proposals_opened": 0})
    );

    // Five hot-brine crevice cases of Grade 2 plate exchangers are published.
    let mut ids = Vec::new();
    for n in 0..5 {
        let id = upload(&app, &contributor, &planted_case(&name, &uscc, n)).await;
        confirm(&app, &contributor, &id).await;
        publish(&app, &curator, &id).await;
        ids.push(id);
    }
    assert_eq!(app.count("case_publications", "1 = 1").await, 5);

    // Anyone sees, per clause, the published cases under it and the mechanism it prevents.
    let found = app
        .get(&format!("/api/v1/standards/{standard}/cases?limit=3"), None)
        .await;
    assert_eq!(found.status, StatusCode::OK, "{}", found.text());
    let found = found.json();
    let clause = |n: &str| {
        found["clauses"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["number"] == n)
            .unwrap()
            .clone()
    };
    assert_eq!(clause("4.1")["mechanisms"], json!(["crevice_hot_chloride"]));
    assert_eq!(clause("4.1")["total"], 5);
    assert_eq!(clause("4.1")["recent"].as_array().unwrap().len(), 3);
    assert_eq!(clause("5.1")["total"], 0, "another mechanism");
    assert_eq!(clause("7.1")["mechanisms"], json!([]), "no rule cited");
    let bad = app
        .get(&format!("/api/v1/standards/{standard}/cases?limit=0"), None)
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);

    // The daily check opens one proposal for clause 4.1, once, and tells the holder.
    assert_eq!(
        run_feedback(&app).await,
        json!({"clauses_checked": 2, "proposals_opened": 1})
    );
    assert_eq!(
        run_feedback(&app).await,
        json!({"clauses_checked": 2, "proposals_opened": 0})
    );
    let found = app
        .get(&format!("/api/v1/standards/{standard}/cases"), None)
        .await
        .json();
    let proposals = found["proposals"].as_array().unwrap();
    assert_eq!(proposals.len(), 1);
    assert_eq!(proposals[0]["clause_number"], "4.1");
    let mut cited: Vec<&str> = proposals[0]["case_ids"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    cited.sort_unstable();
    let mut published: Vec<&str> = ids.iter().map(String::as_str).collect();
    published.sort_unstable();
    assert_eq!(cited, published);
    let inbox = app
        .get("/api/v1/me/notifications", Some(&holder.token))
        .await
        .json();
    assert!(
        inbox["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n["link"] == format!("/standards/{standard}#clause-4.1")),
        "{inbox}"
    );

    // The standard's page shows the cases under the clause and the proposal; the holder's
    // list of reviews names the clause.
    let html = app
        .get_with_cookies(&format!("/standards/{standard}"), "ticorr_lang=en")
        .await
        .text();
    assert!(
        html.contains("data-clause-cases=\"4.1\"") && html.contains("data-case-proposal=\"4.1\""),
        "{html}"
    );
    assert!(!html.contains("data-clause-cases=\"7.1\""));
    assert!(html.contains(&format!("href=\"/cases/{}\"", ids[4])));
    let cookie = format!("__Host-ticorr_session={}; ticorr_lang=en", holder.token);
    let drafts = app
        .get_with_cookies("/standards/drafts", &cookie)
        .await
        .text();
    assert!(drafts.contains("review of clause 4.1"), "{drafts}");

    // The holder reaffirms: the proposal closes, and the same cases do not open another.
    let r = app
        .post_json(
            &format!("/api/v1/standards/{standard}/reaffirm"),
            Some(&holder.token),
            &json!({"note": "4.1 already limits such service to 70 °C; the cases ran hotter."}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let found = app
        .get(&format!("/api/v1/standards/{standard}/cases"), None)
        .await
        .json();
    assert_eq!(found["proposals"][0]["outcome"], "reaffirmed");
    app.clock.advance(Duration::days(1));
    assert_eq!(
        run_feedback(&app).await,
        json!({"clauses_checked": 2, "proposals_opened": 0})
    );

    // A plant's self-inspection names, under a gap, the cases behind its clause.
    let token = app.login(&contributor.email, &contributor.password).await;
    let r = app
        .post_json(
            "/api/v1/equipment",
            Some(&token),
            &json!({"tag": "PHE-9", "name": "淡盐水板换", "equipment_type": "plate_heat_exchanger",
                    "grade": "2", "temperature_c": 90, "chloride_mg_l": 20000, "ph": 3,
                    "crevice_present": true}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let item = r.json()["id"].as_str().unwrap().to_owned();
    let r = app
        .post_json(
            "/api/v1/standards/self-inspections",
            Some(&token),
            &json!({"equipment_id": item}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let inspection = r.json();
    let id = inspection["id"].as_str().unwrap().to_owned();
    let position = inspection["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["number"] == "4.1")
        .expect("clause 4.1 applies to the item")["position"]
        .clone();
    let r = app
        .send_json(
            axum::http::Method::PATCH,
            &format!("/api/v1/standards/self-inspections/{id}"),
            Some(&token),
            &json!({"answers": [{"position": position, "verdict": "not_conform", "note": "90 °C"}]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let cookie = format!("__Host-ticorr_session={token}; ticorr_lang=en");
    let report = app
        .get_with_cookies(&format!("/standards/self-inspections/{id}/report"), &cookie)
        .await
        .text();
    assert!(report.contains("data-report-cases=\"4.1\""), "{report}");
    assert!(report.contains("Published failure cases under this clause"));
    let pdf = app
        .get_with_cookies(
            &format!("/standards/self-inspections/{id}/report.pdf"),
            &cookie,
        )
        .await;
    assert_eq!(pdf.status, StatusCode::OK);
    assert!(pdf.body.starts_with(b"%PDF-"));
}

async fn staff_draft_edit_and_publish_the_monthly_warning_bulletin(app: TestApp) {
    let association = app.org(OrgKind::Association, &[]).await;
    crevice_standard(&app, association).await;
    let contributor_org = app.org(OrgKind::Enterprise, &[]).await;
    let contributor = app.person(contributor_org, Role::Member).await;
    let other_org = app.org(OrgKind::Enterprise, &[]).await;
    let other = app.person(other_org, Role::Member).await;
    let operator = app.org(OrgKind::Operator, &[]).await;
    let curator = app.person(operator, Role::Member).await;
    let (name, uscc) = org_name(&app, contributor_org).await;
    // The contributor runs a hot-brine plate exchanger: its worst mechanism is crevice
    // corrosion, the one the bulletin will warn of.
    let r = app
        .post_json(
            "/api/v1/equipment",
            Some(&contributor.token),
            &json!({"tag": "PHE-1", "name": "淡盐水板换", "equipment_type": "plate_heat_exchanger",
                    "grade": "2", "temperature_c": 95, "chloride_mg_l": 30000, "ph": 3,
                    "crevice_present": true}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    for n in 0..5 {
        let id = upload(&app, &contributor, &planted_case(&name, &uscc, n)).await;
        confirm(&app, &contributor, &id).await;
        publish(&app, &curator, &id).await;
    }
    // Into December: November's bulletin is due.
    app.clock.advance(Duration::days(5));
    let staff = app.login(&curator.email, &curator.password).await;
    let outsider = app.login(&other.email, &other.password).await;
    let mine = app.login(&contributor.email, &contributor.password).await;

    let r = app
        .post_json("/api/v1/bulletins", Some(&outsider), &json!({}))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text());
    let r = app
        .post_json("/api/v1/bulletins", Some(&staff), &json!({}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let draft = r.json();
    let id = draft["id"].as_str().unwrap().to_owned();
    let again = app
        .post_json("/api/v1/bulletins", Some(&staff), &json!({}))
        .await;
    assert_eq!(again.status, StatusCode::OK);
    assert_eq!(again.json()["id"], id.as_str(), "one bulletin per month");
    assert_eq!(draft["period"], "2026-11");
    let contents = &draft["contents"];
    assert_eq!(contents["cases_total"], 5);
    let group = &contents["groups"][0];
    assert_eq!(group["mechanism"], "crevice_hot_chloride");
    assert_eq!(group["count"], 5);
    assert!(
        group["cases"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["ledger"]["index"].is_u64())
    );
    assert!(!group["lessons"].as_array().unwrap().is_empty());
    assert_eq!(group["clauses"][0]["number"], "4.1");
    assert_eq!(group["clauses"][0]["cases"], 5);
    assert!(group["clauses"][0]["ledger"]["index"].is_u64());
    assert_clean(&draft, &[&name, &uscc]);

    // A draft is the staff's alone.
    let path = format!("/api/v1/bulletins/{id}");
    assert_eq!(app.get(&path, None).await.status, StatusCode::NOT_FOUND);
    assert_eq!(
        app.get(&path, Some(&outsider)).await.status,
        StatusCode::NOT_FOUND
    );
    assert!(
        app.get("/api/v1/bulletins", None).await.json()["items"]
            .as_array()
            .unwrap()
            .is_empty()
    );

    // Editing: both languages required; a stale revision is refused.
    let revision = draft["revision"].as_i64().unwrap();
    let edit = |revision: i64, title_en: &str| {
        json!({"revision": revision, "title_zh": "2026年11月钛设备缝隙腐蚀警示", "title_en": title_en,
               "intro_zh": "高温盐水中的板式换热器垫片缝隙腐蚀频发。", "intro_en": "Gasket crevice corrosion of plate exchangers in hot brine keeps recurring."})
    };
    let r = app
        .send_json(
            axum::http::Method::PUT,
            &path,
            Some(&staff),
            &edit(revision, " "),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
    assert!(r.text().contains("title_en"));
    let r = app
        .send_json(
            axum::http::Method::PUT,
            &path,
            Some(&staff),
            &edit(revision, "Crevice corrosion warning, November 2026"),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let revision = r.json()["revision"].as_i64().unwrap();
    let r = app
        .send_json(
            axum::http::Method::PUT,
            &path,
            Some(&staff),
            &edit(revision - 1, "Stale"),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);

    // Publishing: public, anchored, pushed to everyone, prominently to the matching plant.
    let r = app
        .post_json(
            &format!("{path}/publication"),
            Some(&staff),
            &json!({"revision": revision}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let pushed = r.json();
    assert!(pushed["organizations"].as_u64().unwrap() >= 4, "{pushed}");
    assert_eq!(pushed["matching"], 1, "{pushed}");
    let r = app
        .post_json(
            &format!("{path}/publication"),
            Some(&staff),
            &json!({"revision": revision + 1}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "published once");
    let public = app.get(&path, None).await;
    assert_eq!(public.status, StatusCode::OK);
    let public = public.json();
    assert_eq!(
        public["title_en"],
        "Crevice corrosion warning, November 2026"
    );
    assert!(public["ledger"]["index"].is_u64());
    assert_eq!(
        app.get("/api/v1/bulletins", None).await.json()["items"][0]["id"],
        id.as_str()
    );
    let link = format!("/bulletins/{id}");
    let titles = |token: &str| {
        let app = &app;
        let token = token.to_owned();
        let link = link.clone();
        async move {
            let inbox = app
                .get("/api/v1/me/notifications", Some(&token))
                .await
                .json();
            inbox["items"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|n| n["link"] == link.as_str())
                .map(|n| n["title"].as_str().unwrap().to_owned())
                .collect::<Vec<_>>()
        }
    };
    let prominent = titles(&mine).await;
    assert_eq!(prominent.len(), 1);
    assert!(prominent[0].contains("1"), "{prominent:?}");
    assert_eq!(titles(&outsider).await.len(), 1);
    let report = crate::standards::verify(&app).await;
    assert!(report.problems.is_empty(), "{:?}", report.problems);

    // The pages: the archive and the bulletin with its groups and evidence.
    let html = app
        .get_with_cookies("/bulletins", "ticorr_lang=en")
        .await
        .text();
    assert!(html.contains(&format!("href=\"/bulletins/{id}\"")));
    let html = app
        .get_with_cookies(&format!("/bulletins/{id}"), "ticorr_lang=en")
        .await
        .text();
    assert!(
        html.contains("data-mechanism=\"crevice_hot_chloride\"")
            && html.contains("id=\"bulletin-ledger\""),
        "{html}"
    );
    assert!(!html.contains("id=\"bulletin-edit\""));
}

async fn regulators_see_case_trends_only_through_differential_privacy(app: TestApp) {
    let operator = app.org(OrgKind::Operator, &[]).await;
    let curator = app.person(operator, Role::Member).await;
    // Ten contributors, one case each: ten organisations stand behind the cell.
    for n in 0..10 {
        let org = app.org(OrgKind::Enterprise, &[]).await;
        let who = app.person(org, Role::Member).await;
        let (name, uscc) = org_name(&app, org).await;
        let id = upload(&app, &who, &planted_case(&name, &uscc, n)).await;
        confirm(&app, &who, &id).await;
        publish(&app, &curator, &id).await;
    }
    assert_eq!(app.count("case_publications", "1 = 1").await, 10);
    let regulator = app
        .person(app.org(OrgKind::Regulator, &[]).await, Role::Member)
        .await;
    let enterprise = app
        .person(app.org(OrgKind::Enterprise, &[]).await, Role::Member)
        .await;
    let q =
        json!({"measure": "case_count", "group_by": ["mechanism", "failure_year"], "epsilon": 1.0});
    let r = app
        .post_json("/api/v1/stats/query", Some(&enterprise.token), &q)
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.text());
    let r = app
        .post_json("/api/v1/stats/query", Some(&regulator.token), &q)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let release = r.json();
    let cell = release["cells"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["key"]["mechanism"] == "crevice_hot_chloride")
        .expect("a cell for the cases' mechanism")
        .clone();
    assert_eq!(cell["key"]["failure_year"], "2025");
    assert_eq!(cell["suppressed"], false, "{release}");
    assert!(cell["value"].as_f64().unwrap() >= 0.0);
    assert_eq!(release["budget"]["epsilon_spent"], 1.0);
    // Dimensions that do not belong to the measure are refused, nothing charged.
    for bad in [
        json!({"measure": "case_count", "group_by": ["commissioned_year"]}),
        json!({"measure": "equipment_count", "group_by": ["mechanism"]}),
    ] {
        let r = app
            .post_json("/api/v1/stats/query", Some(&regulator.token), &bad)
            .await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{bad}: {}",
            r.text()
        );
    }
    // The page: the form, then the noisy table with what it cost.
    let cookie = format!("__Host-ticorr_session={}; ticorr_lang=en", regulator.token);
    let html = app.get_with_cookies("/cases/trends", &cookie).await.text();
    assert!(html.contains("id=\"trends-form\""));
    let csrf = html
        .split("name=\"_csrf\" value=\"")
        .nth(2)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_owned();
    let r = app
        .post_form(
            "/cases/trends",
            &cookie,
            &[
                ("_csrf", csrf.as_str()),
                ("by", "mechanism"),
                ("epsilon", "0.5"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let html = r.text();
    assert!(
        html.contains("id=\"trends-table\"") && html.contains("ε = 0.5"),
        "{html}"
    );
    let spent: f64 = app
        .get("/api/v1/stats/budgets", Some(&regulator.token))
        .await
        .json()[0]["epsilon_spent"]
        .as_f64()
        .unwrap_or_default();
    assert!((spent - 1.5).abs() < 1e-9, "{spent}");
}

ticorr_test_support::on_both_engines!(
    the_learned_risk_model_is_trained_anchored_and_shown,
    similar_cases_come_from_published_ones_and_say_why,
    a_case_goes_from_upload_to_a_granted_read,
    a_curator_sends_a_case_back_and_withdraws_a_published_one,
    the_pages_take_a_case_from_the_form_to_a_granted_reader,
    a_case_s_photos_are_published_without_their_metadata,
    a_plant_imports_its_accident_list_as_drafts,
    cases_under_a_clause_open_a_revision_proposal_for_it,
    staff_draft_edit_and_publish_the_monthly_warning_bulletin,
    regulators_see_case_trends_only_through_differential_privacy,
);
