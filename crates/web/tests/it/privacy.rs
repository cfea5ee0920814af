//! Desensitization over the API: who may use it, what comes back, and that use is metered.

use axum::http::StatusCode;
use serde_json::json;
use ticorr_kernel::{OrgKind, OrgStatus, Role};
use ticorr_test_support::TestApp;

const PATH: &str = "/api/v1/privacy/desensitize";

async fn text_loses_identifiers_and_keeps_technical_content(app: TestApp) {
    let me = app
        .person(app.org(OrgKind::Enterprise, &[]).await, Role::Member)
        .await;
    // Registered after start-up, and still waiting for verification: the engine learns
    // the registry's new names, whatever their status.
    let other = app
        .org_with_status(OrgKind::Enterprise, &[], OrgStatus::Pending)
        .await;
    let other_name: String = sqlx::query_scalar("SELECT name FROM organizations WHERE id = $1")
        .bind(other.to_string())
        .fetch_one(app.state.db.pool())
        .await
        .unwrap();
    let text = format!(
        "{other_name}的TA2板式换热器在80 °C、Cl⁻ 2000 mg/L下发生缝隙腐蚀，按GB/T 3620.1复核。\
         联系人张伟工程师，手机13812345678，邮箱zhangwei@example.com。"
    );
    let r = app
        .post_json(PATH, Some(&me.token), &json!({ "text": text }))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let body = r.json();
    let out = body["text"].as_str().unwrap();
    for gone in [
        other_name.as_str(),
        "13812345678",
        "zhangwei@example.com",
        "张伟",
    ] {
        assert!(!out.contains(gone), "{gone} must not survive: {out}");
    }
    for kept in ["TA2", "80 °C", "2000 mg/L", "GB/T 3620.1", "缝隙腐蚀"] {
        assert!(out.contains(kept), "{kept} is technical content: {out}");
    }
    let kinds: Vec<&str> = body["redactions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["kind"].as_str().unwrap())
        .collect();
    for k in ["org_name", "mobile", "email", "person_name"] {
        assert!(kinds.contains(&k), "a {k} redaction is reported: {kinds:?}");
    }
    let first = &body["redactions"][0];
    for field in ["action", "start", "end", "replacement", "reason"] {
        assert!(!first[field].is_null(), "each redaction names its {field}");
    }
    assert_eq!(
        app.count(
            "usage_events",
            &format!("service = 'desensitize' AND org_id = '{}'", me.org_id)
        )
        .await,
        1,
        "the call is metered to the caller's organisation"
    );
    let usage = app.get("/api/v1/usage", Some(&me.token)).await;
    assert_eq!(usage.status, StatusCode::OK, "{}", usage.text());
    let usage = usage.json();
    assert_eq!(usage[0]["service"], "desensitize");
    assert_eq!(usage[0]["calls"], 1);
    assert_eq!(usage[0]["units"], text.chars().count());
    let other_org = app
        .person(app.org(OrgKind::Enterprise, &[]).await, Role::Member)
        .await;
    assert_eq!(
        app.get("/api/v1/usage", Some(&other_org.token))
            .await
            .json()
            .as_array()
            .unwrap()
            .len(),
        0,
        "each organisation sees its own use only"
    );
    assert_eq!(
        app.get("/api/v1/usage?period=2026-13", Some(&me.token))
            .await
            .status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
}

async fn fields_follow_the_field_policy(app: TestApp) {
    let me = app
        .person(app.org(OrgKind::Enterprise, &[]).await, Role::Member)
        .await;
    let r = app
        .post_json(
            PATH,
            Some(&me.token),
            &json!({"fields": {
                "grade": "Gr2",
                "temperature_c": "85",
                "phone": "13912345678",
                "reporter": "李娜",
                "notes": "巡检时由李娜发现泄漏"
            }}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let body = r.json();
    let fields = &body["fields"];
    assert_eq!(fields["grade"], "Gr2");
    assert_eq!(fields["temperature_c"], "85");
    assert!(
        !fields["phone"]
            .as_str()
            .unwrap_or("")
            .contains("13912345678")
    );
    let reporter = fields["reporter"].as_str().unwrap();
    assert_ne!(reporter, "李娜");
    assert!(!fields["notes"].as_str().unwrap().contains("李娜"));
    assert!(
        body["redactions"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["field"] == "phone"),
        "the report names the field"
    );
}

async fn bad_requests_are_refused_and_not_metered(app: TestApp) {
    let me = app
        .person(app.org(OrgKind::Enterprise, &[]).await, Role::Member)
        .await;
    for body in [
        json!({}),
        json!({"text": "a", "fields": {"a": "b"}}),
        json!({"text": "x".repeat(200_001)}),
    ] {
        let r = app.post_json(PATH, Some(&me.token), &body).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
    }
    let r = app
        .post_json(PATH, Some(&me.token), &json!({"txt": "typo"}))
        .await;
    assert!(r.status.is_client_error(), "unknown members are refused");
    assert_eq!(app.count("usage_events", "1 = 1").await, 0);
}

async fn only_people_of_verified_organisations_may_use_it(app: TestApp) {
    let body = json!({"text": "手机13812345678"});
    assert_eq!(
        app.post_json(PATH, None, &body).await.status,
        StatusCode::UNAUTHORIZED
    );
    let pending = app
        .org_with_status(OrgKind::Enterprise, &[], OrgStatus::Pending)
        .await;
    let p = app.person(pending, Role::Admin).await;
    let r = app.post_json(PATH, Some(&p.token), &body).await;
    assert!(
        matches!(r.status, StatusCode::FORBIDDEN | StatusCode::NOT_FOUND),
        "{}",
        r.status
    );
    assert_eq!(app.count("usage_events", "1 = 1").await, 0);
}

ticorr_test_support::on_both_engines!(
    text_loses_identifiers_and_keeps_technical_content,
    fields_follow_the_field_policy,
    bad_requests_are_refused_and_not_metered,
    only_people_of_verified_organisations_may_use_it,
);
