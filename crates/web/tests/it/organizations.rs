//! Registration, verification, profiles, the directory, people management.

use axum::http::StatusCode;
use serde_json::json;
use ticorr_kernel::{OrgKind, Role, Uscc};
use ticorr_test_support::TestApp;

fn registration(uscc: &str, email: &str) -> serde_json::Value {
    json!({
        "org_name": "浙江示例化工有限公司", "org_kind": "enterprise", "uscc": uscc,
        "region_code": "330100", "industry_code": "C2612", "admin_name": "王工",
        "admin_email": email, "password": "a long enough passphrase"
    })
}

async fn a_registration_waits_for_the_operator_and_is_then_verified(app: TestApp) {
    let operator_org = app.org(OrgKind::Operator, &[]).await;
    let operator = app.person(operator_org, Role::Member).await;
    let uscc = Uscc::complete("91330100MA2AAAAA1").unwrap().to_string();
    let r = app
        .post_json(
            "/api/v1/registrations",
            None,
            &registration(&uscc, "Wang@Example.cn"),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let org_id = r.json()["organization_id"].as_str().unwrap().to_owned();
    assert_eq!(r.json()["status"], "pending");

    // The new admin signs in and sees the pending state; outsiders do not see the organisation.
    let token = app
        .login("wang@example.cn", "a long enough passphrase")
        .await;
    let own = app
        .get(&format!("/api/v1/organizations/{org_id}"), Some(&token))
        .await
        .json();
    assert_eq!(own["status"], "pending");
    assert_eq!(
        app.get(&format!("/api/v1/organizations/{org_id}"), None)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    let dir = app
        .get("/api/v1/organizations?q=%E7%A4%BA%E4%BE%8B", None)
        .await
        .json();
    assert!(
        dir["items"].as_array().unwrap().is_empty(),
        "pending organisations are not in the directory"
    );

    let queue = app
        .get("/api/v1/verification/pending", Some(&operator.token))
        .await
        .json();
    assert_eq!(queue["items"][0]["id"], org_id);
    let outsider = app
        .person(app.org(OrgKind::Enterprise, &[]).await, Role::Admin)
        .await;
    assert!(
        app.get("/api/v1/verification/pending", Some(&outsider.token))
            .await
            .json()["items"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    let r = app
        .post_json(
            &format!("/api/v1/organizations/{org_id}/review"),
            Some(&outsider.token),
            &json!({"decision": "verify"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);

    let r = app
        .post_json(
            &format!("/api/v1/organizations/{org_id}/review"),
            Some(&operator.token),
            &json!({"decision": "verify"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["status"], "verified");
    let public = app
        .get(&format!("/api/v1/organizations/{org_id}"), None)
        .await
        .json();
    assert_eq!(public["name"], "浙江示例化工有限公司");
    assert!(
        public.get("address").is_none(),
        "outsiders see public fields only"
    );
    assert_eq!(
        app.count("audit_events", "action = 'verify' AND decision = 'allow'")
            .await,
        1
    );
    // Verifying twice is a conflict, and rejecting needs a reason.
    let again = app
        .post_json(
            &format!("/api/v1/organizations/{org_id}/review"),
            Some(&operator.token),
            &json!({"decision": "verify"}),
        )
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    let suspend = app
        .post_json(
            &format!("/api/v1/organizations/{org_id}/review"),
            Some(&operator.token),
            &json!({"decision": "suspend", "reason": ""}),
        )
        .await;
    assert_eq!(suspend.status, StatusCode::UNPROCESSABLE_ENTITY);
    let suspend = app
        .post_json(
            &format!("/api/v1/organizations/{org_id}/review"),
            Some(&operator.token),
            &json!({"decision": "suspend", "reason": "licence withdrawn"}),
        )
        .await;
    assert_eq!(suspend.status, StatusCode::OK);
    assert_eq!(
        app.get("/api/v1/me", Some(&token)).await.status,
        StatusCode::UNAUTHORIZED,
        "suspension ends sessions"
    );
}

async fn registration_errors_name_each_field_and_store_nothing(app: TestApp) {
    let r = app
        .post_json(
            "/api/v1/registrations",
            None,
            &json!({"org_name": "", "org_kind": "operator", "uscc": "91330100MA2AAAAA19", "region_code": "990000", "industry_code": "", "admin_name": "", "admin_email": "no", "password": "short"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let mut fields: Vec<String> = r.json()["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap().to_owned())
        .collect();
    fields.sort();
    assert_eq!(
        fields,
        vec![
            "admin_email",
            "admin_name",
            "org_kind",
            "org_name",
            "password",
            "region_code",
            "uscc"
        ]
    );
    assert_eq!(app.count("organizations", "1 = 1").await, 0);

    let uscc = Uscc::complete("91330100MA2BBBBB2").unwrap().to_string();
    assert_eq!(
        app.post_json(
            "/api/v1/registrations",
            None,
            &registration(&uscc, "a@example.cn")
        )
        .await
        .status,
        StatusCode::CREATED
    );
    let dup = app
        .post_json(
            "/api/v1/registrations",
            None,
            &registration(&uscc, "b@example.cn"),
        )
        .await;
    assert_eq!(dup.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(dup.json()["errors"][0]["field"], "uscc");
    assert_eq!(
        app.count("people", "1 = 1").await,
        1,
        "the refused registration left no person behind"
    );
}

async fn the_directory_lists_verified_organisations_by_kind_and_region(app: TestApp) {
    app.org(OrgKind::Manufacturer, &[]).await;
    app.org(OrgKind::Manufacturer, &[]).await;
    app.org(OrgKind::ServiceInstitution, &[]).await;
    app.org_with_status(
        OrgKind::Manufacturer,
        &[],
        ticorr_kernel::OrgStatus::Pending,
    )
    .await;
    let all = app
        .get("/api/v1/organizations?kind=manufacturer", None)
        .await
        .json();
    assert_eq!(all["items"].as_array().unwrap().len(), 2);
    let none = app
        .get(
            "/api/v1/organizations?kind=manufacturer&region=110000",
            None,
        )
        .await
        .json();
    assert!(none["items"].as_array().unwrap().is_empty());
    let regions = app.get("/api/v1/reference/regions", None).await.json();
    assert_eq!(regions["regions"].as_array().unwrap().len(), 34);
    let industries = app.get("/api/v1/reference/industries", None).await.json();
    assert!(industries["status"].as_str().unwrap().contains("estimate"));
}

async fn admins_manage_people_members_do_not(app: TestApp) {
    let org = app.org(OrgKind::Enterprise, &[]).await;
    let admin = app.person(org, Role::Admin).await;
    let member = app.person(org, Role::Member).await;
    let body = json!({"email": "new.person@example.cn", "display_name": "李工", "role": "member", "password": "initial passphrase 1"});
    let r = app
        .post_json(
            &format!("/api/v1/organizations/{org}/people"),
            Some(&member.token),
            &body,
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = app
        .post_json(
            &format!("/api/v1/organizations/{org}/people"),
            Some(&admin.token),
            &body,
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let again = app
        .post_json(
            &format!("/api/v1/organizations/{org}/people"),
            Some(&admin.token),
            &body,
        )
        .await;
    assert_eq!(again.status, StatusCode::UNPROCESSABLE_ENTITY);
    let list = app
        .get(
            &format!("/api/v1/organizations/{org}/people"),
            Some(&member.token),
        )
        .await
        .json();
    assert_eq!(list["items"].as_array().unwrap().len(), 3);
    app.login("new.person@example.cn", "initial passphrase 1")
        .await;
    let other = app.org(OrgKind::Enterprise, &[]).await;
    assert_eq!(
        app.get(
            &format!("/api/v1/organizations/{other}/people"),
            Some(&admin.token)
        )
        .await
        .status,
        StatusCode::NOT_FOUND
    );
}

ticorr_test_support::on_both_engines!(
    a_registration_waits_for_the_operator_and_is_then_verified,
    registration_errors_name_each_field_and_store_nothing,
    the_directory_lists_verified_organisations_by_kind_and_region,
    admins_manage_people_members_do_not,
);
