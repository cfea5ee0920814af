//! Webhooks: registration by an organisation's admins, delivery per the Standard Webhooks
//! specification (verified here independently), retries with a delivery log.

use axum::http::StatusCode;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use ticorr_kernel::{OrgId, OrgKind, Role};
use ticorr_platform::jobs::{self, JobStatus};
use ticorr_platform::notify::{self, Audience, Message, WEBHOOK_JOB};
use ticorr_test_support::receiver::Receiver;
use ticorr_test_support::{Login, TestApp};
use time::Duration;

const LEASE: Duration = Duration::minutes(5);

/// HMAC-SHA256 (RFC 2104) written out from the definition, independently of the
/// platform's signing code.
fn hmac_sha256(key: &[u8], message: &[u8]) -> Vec<u8> {
    let mut block = [0u8; 64];
    if key.len() > 64 {
        block[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        block[..key.len()].copy_from_slice(key);
    }
    let ipad: Vec<u8> = block.iter().map(|b| b ^ 0x36).collect();
    let opad: Vec<u8> = block.iter().map(|b| b ^ 0x5c).collect();
    let inner = Sha256::new()
        .chain_update(&ipad)
        .chain_update(message)
        .finalize();
    Sha256::new()
        .chain_update(&opad)
        .chain_update(inner)
        .finalize()
        .to_vec()
}

/// Verifies a delivery as a receiver following the Standard Webhooks specification does:
/// the signed content is `id.timestamp.body`, the key the base64 part of the secret after
/// `whsec_`, and any of the space-separated `v1,` signatures may match.
fn verify(secret: &str, id: &str, timestamp: &str, body: &str, header: &str) -> bool {
    let key = STANDARD
        .decode(secret.strip_prefix("whsec_").expect("whsec_ prefix"))
        .expect("base64 secret");
    let expected = STANDARD.encode(hmac_sha256(
        &key,
        format!("{id}.{timestamp}.{body}").as_bytes(),
    ));
    header
        .split(' ')
        .filter_map(|s| s.strip_prefix("v1,"))
        .any(|sig| sig == expected)
}

fn advisory() -> Message {
    Message {
        kind: "advisory".into(),
        title_zh: "氯离子浓度预警".into(),
        title_en: "Chloride advisory".into(),
        body_zh: "海水冷却器请复查。".into(),
        body_en: "Re-inspect seawater coolers.".into(),
        link: Some("/equipment".into()),
    }
}

async fn register(app: &TestApp, admin: &Login, url: &str, events: Value) -> (String, String) {
    let res = app
        .post_json(
            &format!("/api/v1/organizations/{}/webhooks", admin.org_id),
            Some(&admin.token),
            &json!({"url": url, "events": events, "description": "ERP"}),
        )
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text());
    let body = res.json();
    (
        body["endpoint"]["id"].as_str().unwrap().to_owned(),
        body["secret"].as_str().unwrap().to_owned(),
    )
}

async fn emit(app: &TestApp, org: OrgId, message: &Message) -> usize {
    let mut tx = app.state.db.begin().await.unwrap();
    let report = notify::send(
        &mut tx,
        app.clock.now(),
        &Audience::Organizations(vec![org]),
        message,
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    report.webhooks
}

/// Claims the next webhook job, runs it and settles it as a worker would.
async fn run_webhook_job(app: &TestApp) -> Option<(String, Option<JobStatus>)> {
    let db = &app.state.db;
    let now = app.clock.now();
    let job = jobs::claim(db, "hook-worker", &[WEBHOOK_JOB], now, LEASE)
        .await
        .unwrap()?;
    let status =
        match notify::webhook::deliver_webhook(db, &app.state.vault, &app.clock, &job).await {
            Ok(()) => {
                assert!(
                    jobs::complete(db, &job.id, "hook-worker", now)
                        .await
                        .unwrap()
                );
                Some(JobStatus::Done)
            }
            Err(e) => jobs::fail(db, &job.id, "hook-worker", &e, now)
                .await
                .unwrap(),
        };
    Some((job.id, status))
}

async fn log_of(app: &TestApp, admin: &Login, endpoint: &str) -> Vec<Value> {
    let res = app
        .get(
            &format!(
                "/api/v1/organizations/{}/webhooks/{endpoint}/attempts",
                admin.org_id
            ),
            Some(&admin.token),
        )
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text());
    res.json()["items"].as_array().unwrap().clone()
}

async fn a_delivery_is_signed_per_the_standard_webhooks_specification(app: TestApp) {
    let receiver = Receiver::start(204).await;
    let org = app.org(OrgKind::Enterprise, &[]).await;
    let admin = app.person(org, Role::Admin).await;
    let (endpoint, secret) = register(&app, &admin, &receiver.url, json!(["advisory"])).await;
    assert!(secret.starts_with("whsec_"));
    assert_eq!(STANDARD.decode(&secret[6..]).unwrap().len(), 24);
    // The secret is shown once: the list never carries it.
    let list = app
        .get(
            &format!("/api/v1/organizations/{org}/webhooks"),
            Some(&admin.token),
        )
        .await;
    assert_eq!(list.json()["items"][0]["id"], endpoint.as_str());
    assert!(!list.text().contains(&secret[6..]));

    // An event the endpoint did not subscribe to is not delivered.
    let mut announcement = advisory();
    announcement.kind = "announcement".into();
    assert_eq!(emit(&app, org, &announcement).await, 0);
    assert_eq!(emit(&app, org, &advisory()).await, 1);
    assert_eq!(
        run_webhook_job(&app).await.unwrap().1,
        Some(JobStatus::Done)
    );

    let deliveries = receiver.deliveries();
    assert_eq!(deliveries.len(), 1);
    let d = &deliveries[0];
    let header = |n: &str| d.headers.get(n).unwrap().to_str().unwrap().to_owned();
    let (id, timestamp, signature) = (
        header("webhook-id"),
        header("webhook-timestamp"),
        header("webhook-signature"),
    );
    assert!(id.starts_with("msg_"));
    assert_eq!(
        timestamp.parse::<i64>().unwrap(),
        app.clock.now().inner().unix_timestamp()
    );
    assert!(header("content-type").starts_with("application/json"));
    assert!(
        verify(&secret, &id, &timestamp, &d.body, &signature),
        "{signature}"
    );
    assert!(!verify(
        &secret,
        &id,
        &timestamp,
        &d.body.replace("Chloride", "chloride"),
        &signature
    ));
    assert!(!verify(&secret, &id, "1", &d.body, &signature));
    let body: Value = serde_json::from_str(&d.body).unwrap();
    assert_eq!(body["type"], "advisory");
    assert_eq!(body["data"]["title"]["en"], "Chloride advisory");
    assert_eq!(body["data"]["title"]["zh-CN"], "氯离子浓度预警");

    let log = log_of(&app, &admin, &endpoint).await;
    assert_eq!(log.len(), 1);
    assert_eq!(log[0]["message_id"], id.as_str());
    assert_eq!(
        (log[0]["attempt"].as_i64(), log[0]["status_code"].as_i64()),
        (Some(1), Some(204))
    );
    assert!(log[0]["error"].is_null());

    // The test button sends a signed ping.
    let res = app
        .post_json(
            &format!("/api/v1/organizations/{org}/webhooks/{endpoint}/test"),
            Some(&admin.token),
            &json!({}),
        )
        .await;
    assert_eq!(res.status, StatusCode::ACCEPTED);
    assert_eq!(
        run_webhook_job(&app).await.unwrap().1,
        Some(JobStatus::Done)
    );
    let ping = &receiver.deliveries()[1];
    let ping_header = |n: &str| ping.headers.get(n).unwrap().to_str().unwrap().to_owned();
    assert!(ping.body.contains("\"ping\""));
    assert!(verify(
        &secret,
        &ping_header("webhook-id"),
        &ping_header("webhook-timestamp"),
        &ping.body,
        &ping_header("webhook-signature")
    ));

    // After removal nothing more is delivered.
    let res = app
        .delete(
            &format!("/api/v1/organizations/{org}/webhooks/{endpoint}"),
            Some(&admin.token),
        )
        .await;
    assert_eq!(res.status, StatusCode::NO_CONTENT);
    assert_eq!(emit(&app, org, &advisory()).await, 0);
}

async fn a_failing_endpoint_is_retried_and_every_attempt_is_logged(app: TestApp) {
    let receiver = Receiver::start(500).await;
    let org = app.org(OrgKind::Enterprise, &[]).await;
    let admin = app.person(org, Role::Admin).await;
    let (endpoint, secret) = register(&app, &admin, &receiver.url, json!(["advisory"])).await;
    emit(&app, org, &advisory()).await;

    let (job, status) = run_webhook_job(&app).await.unwrap();
    assert_eq!(status, Some(JobStatus::Queued));
    assert!(
        run_webhook_job(&app).await.is_none(),
        "not before the backoff"
    );
    app.clock.advance(jobs::backoff(1));
    let (again, status) = run_webhook_job(&app).await.unwrap();
    assert_eq!(
        (again.as_str(), status),
        (job.as_str(), Some(JobStatus::Queued))
    );

    let log = log_of(&app, &admin, &endpoint).await;
    assert_eq!(log.len(), 2);
    assert_eq!(log[0]["attempt"], 2, "newest first");
    assert_eq!(log[1]["attempt"], 1);
    for a in &log {
        assert_eq!(a["status_code"], 500);
        assert!(a["error"].as_str().unwrap().contains("500"));
    }
    // Retries carry the same message id, a fresh timestamp and a valid signature.
    let deliveries = receiver.deliveries();
    let ids: Vec<&str> = deliveries
        .iter()
        .map(|d| d.headers["webhook-id"].to_str().unwrap())
        .collect();
    assert_eq!(ids[0], ids[1]);
    let second = &deliveries[1];
    assert!(verify(
        &secret,
        ids[1],
        second.headers["webhook-timestamp"].to_str().unwrap(),
        &second.body,
        second.headers["webhook-signature"].to_str().unwrap()
    ));

    // The endpoint recovers: the third attempt succeeds.
    receiver.answer(200);
    app.clock.advance(jobs::backoff(2));
    assert_eq!(
        run_webhook_job(&app).await.unwrap().1,
        Some(JobStatus::Done)
    );
    let log = log_of(&app, &admin, &endpoint).await;
    assert_eq!(log.len(), 3);
    assert_eq!(log[0]["status_code"], 200);

    // An endpoint that never recovers leaves a dead job after the last attempt.
    receiver.answer(503);
    emit(&app, org, &advisory()).await;
    let mut last = None;
    for attempt in 1..=jobs::DEFAULT_MAX_ATTEMPTS {
        if attempt > 1 {
            app.clock.advance(jobs::backoff(attempt - 1));
        }
        last = run_webhook_job(&app).await.unwrap().1;
    }
    assert_eq!(last, Some(JobStatus::Dead));
    assert_eq!(log_of(&app, &admin, &endpoint).await.len(), 3 + 5);
    assert_eq!(app.count("webhook_messages", "status = 'failed'").await, 1);
}

async fn only_http_addresses_are_accepted_and_bad_input_stores_nothing(app: TestApp) {
    let org = app.org(OrgKind::Enterprise, &[]).await;
    let admin = app.person(org, Role::Admin).await;
    for url in [
        "ftp://files.example.cn/in",
        "file:///etc/passwd",
        "javascript:alert(1)",
        "hooks.example.cn",
    ] {
        let res = app
            .post_json(
                &format!("/api/v1/organizations/{org}/webhooks"),
                Some(&admin.token),
                &json!({"url": url, "events": ["advisory"]}),
            )
            .await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{url}");
        let problem = res.json();
        assert_eq!(problem["errors"][0]["field"], "url");
        assert!(
            problem["errors"][0]["message"]
                .as_str()
                .unwrap()
                .contains("only http:// and https://"),
            "{problem}"
        );
    }
    let res = app
        .post_json(
            &format!("/api/v1/organizations/{org}/webhooks"),
            Some(&admin.token),
            &json!({"url": "https://hooks.example.cn/in", "events": ["gossip"]}),
        )
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(res.json()["errors"][0]["field"], "events");
    assert_eq!(app.count("webhook_endpoints", "1 = 1").await, 0);
}

async fn only_the_organisations_admins_manage_its_webhooks(app: TestApp) {
    let receiver = Receiver::start(200).await;
    let org = app.org(OrgKind::Enterprise, &[]).await;
    let admin = app.person(org, Role::Admin).await;
    let member = app.person(org, Role::Member).await;
    let other_org = app.org(OrgKind::Enterprise, &[]).await;
    let other_admin = app.person(other_org, Role::Admin).await;
    let (endpoint, _) = register(&app, &admin, &receiver.url, json!(["advisory"])).await;

    let list = format!("/api/v1/organizations/{org}/webhooks");
    let log = format!("/api/v1/organizations/{org}/webhooks/{endpoint}/attempts");
    for who in [&member, &other_admin] {
        assert_eq!(
            app.get(&list, Some(&who.token)).await.status,
            StatusCode::FORBIDDEN
        );
        assert_eq!(
            app.get(&log, Some(&who.token)).await.status,
            StatusCode::FORBIDDEN
        );
        let res = app
            .post_json(
                &list,
                Some(&who.token),
                &json!({"url": receiver.url, "events": ["advisory"]}),
            )
            .await;
        assert_eq!(res.status, StatusCode::FORBIDDEN);
        assert_eq!(
            app.delete(&format!("{list}/{endpoint}"), Some(&who.token))
                .await
                .status,
            StatusCode::FORBIDDEN
        );
    }
    // Another organisation's endpoint is not found under one's own organisation.
    let foreign = format!("/api/v1/organizations/{other_org}/webhooks/{endpoint}/attempts");
    assert_eq!(
        app.get(&foreign, Some(&other_admin.token)).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(app.count("webhook_endpoints", "1 = 1").await, 1);
    // Refusals are audited.
    assert!(
        app.count(
            "audit_events",
            "action = 'manage_webhooks' AND decision = 'deny'"
        )
        .await
            >= 6
    );

    // The admin's pages: the list, the log, and the secret shown once on registration.
    let cookie = format!("__Host-ticorr_session={}", admin.token);
    let page = app.get_with_cookies("/org/webhooks", &cookie).await;
    assert_eq!(page.status, StatusCode::OK);
    let html = page.text();
    assert!(html.contains(&receiver.url));
    let csrf = html
        .split("action=\"/org/webhooks\"")
        .nth(1)
        .and_then(|s| s.split("name=\"_csrf\" value=\"").nth(1))
        .and_then(|s| s.split('"').next())
        .unwrap()
        .to_owned();
    let created = app
        .post_form(
            "/org/webhooks",
            &cookie,
            &[
                ("_csrf", &csrf),
                ("url", "gopher://old.example/"),
                ("events", "advisory"),
            ],
        )
        .await;
    assert_eq!(created.status, StatusCode::UNPROCESSABLE_ENTITY);
    let created = app
        .post_form(
            "/org/webhooks",
            &cookie,
            &[
                ("_csrf", &csrf),
                ("url", "https://erp.example.cn/hook"),
                ("events", "advisory"),
                ("description", ""),
            ],
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text());
    assert!(created.text().contains("value=\"whsec_"));
    let log_page = app
        .get_with_cookies(&format!("/org/webhooks/{endpoint}"), &cookie)
        .await;
    assert_eq!(log_page.status, StatusCode::OK);
    let member_page = app
        .get_with_cookies(
            "/org/webhooks",
            &format!("__Host-ticorr_session={}", member.token),
        )
        .await;
    assert_eq!(member_page.status, StatusCode::FORBIDDEN);
}

ticorr_test_support::on_both_engines!(
    a_delivery_is_signed_per_the_standard_webhooks_specification,
    a_failing_endpoint_is_retried_and_every_attempt_is_logged,
    only_http_addresses_are_accepted_and_bad_input_stores_nothing,
    only_the_organisations_admins_manage_its_webhooks,
);
