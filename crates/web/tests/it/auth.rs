//! Sign-in, sessions, tokens, throttling and the anti-forgery checks.

use axum::http::StatusCode;
use serde_json::json;
use ticorr_kernel::{OrgKind, Role};
use ticorr_test_support::TestApp;
use time::Duration;

async fn login_returns_a_token_that_works_as_bearer_and_a_cookie(app: TestApp) {
    let org = app.org(OrgKind::Enterprise, &[]).await;
    let who = app.person(org, Role::Admin).await;
    let res = app
        .post_json(
            "/api/v1/auth/login",
            None,
            &json!({"email": who.email, "password": who.password}),
        )
        .await;
    assert_eq!(res.status, StatusCode::OK);
    let body = res.json();
    let token = body["token"].as_str().unwrap();
    assert!(body["expires_at"].as_str().unwrap().ends_with('Z'));
    let cookie = res
        .set_cookie("__Host-ticorr_session")
        .expect("session cookie");
    assert_eq!(cookie, token);
    let raw = res.header("set-cookie").unwrap_or_default().to_owned();
    let all: Vec<_> = res
        .headers
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect();
    let session = all
        .iter()
        .find(|c| c.starts_with("__Host-ticorr_session="))
        .unwrap_or(&raw);
    for attr in ["HttpOnly", "Secure", "SameSite=Lax", "Path=/"] {
        assert!(session.contains(attr), "cookie lacks {attr}: {session}");
    }

    let me = app.get("/api/v1/me", Some(token)).await;
    assert_eq!(me.status, StatusCode::OK);
    let me = me.json();
    assert_eq!(me["person"]["email"], who.email);
    assert_eq!(me["organization"]["id"], org.to_string());
    assert_eq!(me["organization"]["kind"], "enterprise");
    assert_eq!(me["organization"]["region"], "330000");
    assert_eq!(me["roles"], json!(["admin"]));
}

async fn failed_sign_in_reads_the_same_for_unknown_and_known_accounts(app: TestApp) {
    let org = app.org(OrgKind::Enterprise, &[]).await;
    let who = app.person(org, Role::Member).await;
    let wrong = app
        .post_json(
            "/api/v1/auth/login",
            None,
            &json!({"email": who.email, "password": "not the password at all"}),
        )
        .await;
    let unknown = app
        .post_json(
            "/api/v1/auth/login",
            None,
            &json!({"email": "nobody@nowhere.example", "password": "not the password at all"}),
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert_eq!(unknown.status, StatusCode::UNAUTHORIZED);
    assert_eq!(wrong.body, unknown.body);
    assert_eq!(
        wrong.header("content-type"),
        Some("application/problem+json")
    );
    assert_eq!(
        app.count("audit_events", "action = 'login_failed'").await,
        2
    );
}

async fn repeated_failures_slow_down_then_lock_an_account_known_or_not(app: TestApp) {
    let org = app.org(OrgKind::Enterprise, &[]).await;
    let who = app.person(org, Role::Member).await;
    for email in [who.email.as_str(), "ghost@nowhere.example"] {
        let mut statuses = vec![];
        for _ in 0..4 {
            let r = app
                .post_json(
                    "/api/v1/auth/login",
                    None,
                    &json!({"email": email, "password": "wrong password here"}),
                )
                .await;
            statuses.push(r.status);
        }
        assert_eq!(statuses[..4], [StatusCode::UNAUTHORIZED; 4]);
        // After the free failures, the next attempt must wait.
        let r = app
            .post_json(
                "/api/v1/auth/login",
                None,
                &json!({"email": email, "password": "wrong password here"}),
            )
            .await;
        assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "{email}");
        assert!(r.header("retry-after").is_some());
    }
    // Even the right password waits while the delay runs.
    let r = app
        .post_json(
            "/api/v1/auth/login",
            None,
            &json!({"email": who.email, "password": who.password}),
        )
        .await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    app.clock.advance(Duration::seconds(5));
    let r = app
        .post_json(
            "/api/v1/auth/login",
            None,
            &json!({"email": who.email, "password": who.password}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    // Keep failing, waiting out each delay: the account then locks for the lock period.
    let mut locked = false;
    for _ in 0..15 {
        let r = app
            .post_json(
                "/api/v1/auth/login",
                None,
                &json!({"email": who.email, "password": "wrong password here"}),
            )
            .await;
        if r.status == StatusCode::TOO_MANY_REQUESTS {
            let wait: i64 = r.header("retry-after").unwrap().parse().unwrap();
            if wait > 300 {
                locked = true;
                break;
            }
        }
        app.clock.advance(Duration::seconds(301));
    }
    assert!(locked, "the account locks after repeated failures");
    let r = app
        .post_json(
            "/api/v1/auth/login",
            None,
            &json!({"email": who.email, "password": who.password}),
        )
        .await;
    assert_eq!(
        r.status,
        StatusCode::TOO_MANY_REQUESTS,
        "the right password waits out the lock too"
    );
}

async fn logout_ends_the_session_on_the_server(app: TestApp) {
    let org = app.org(OrgKind::Enterprise, &[]).await;
    let who = app.person(org, Role::Member).await;
    let r = app
        .post_json("/api/v1/auth/logout", Some(&who.token), &json!({}))
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    assert_eq!(
        app.get("/api/v1/me", Some(&who.token)).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(app.count("audit_events", "action = 'logout'").await, 1);
}

async fn sessions_end_after_idle_and_absolute_timeouts(app: TestApp) {
    let org = app.org(OrgKind::Enterprise, &[]).await;
    let who = app.person(org, Role::Member).await;
    app.clock.advance(Duration::minutes(29));
    assert_eq!(
        app.get("/api/v1/me", Some(&who.token)).await.status,
        StatusCode::OK
    );
    app.clock.advance(Duration::minutes(31));
    assert_eq!(
        app.get("/api/v1/me", Some(&who.token)).await.status,
        StatusCode::UNAUTHORIZED
    );

    let token = app.login(&who.email, &who.password).await;
    for _ in 0..25 {
        app.clock.advance(Duration::minutes(29));
        app.get("/api/v1/me", Some(&token)).await;
    }
    assert_eq!(
        app.get("/api/v1/me", Some(&token)).await.status,
        StatusCode::UNAUTHORIZED,
        "12 h absolute timeout"
    );
}

async fn people_list_and_end_their_own_sessions(app: TestApp) {
    let org = app.org(OrgKind::Enterprise, &[]).await;
    let who = app.person(org, Role::Member).await;
    let second = app.login(&who.email, &who.password).await;
    let list = app
        .get("/api/v1/me/sessions", Some(&who.token))
        .await
        .json();
    let list = list["items"].as_array().unwrap();
    assert_eq!(list.len(), 2);
    let other = list.iter().find(|s| s["current"] == false).unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = app
        .delete(&format!("/api/v1/me/sessions/{other}"), Some(&who.token))
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    assert_eq!(
        app.get("/api/v1/me", Some(&second)).await.status,
        StatusCode::UNAUTHORIZED
    );
    // Someone else's session id answers as unknown.
    let stranger = app.person(org, Role::Member).await;
    let theirs = app
        .get("/api/v1/me/sessions", Some(&stranger.token))
        .await
        .json()["items"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        app.delete(&format!("/api/v1/me/sessions/{theirs}"), Some(&who.token))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
}

async fn disabling_a_person_ends_their_sessions(app: TestApp) {
    let org = app.org(OrgKind::Enterprise, &[]).await;
    let admin = app.person(org, Role::Admin).await;
    let member = app.person(org, Role::Member).await;
    let r = app
        .send_json(
            axum::http::Method::PATCH,
            &format!("/api/v1/organizations/{org}/people/{}", member.person_id),
            Some(&admin.token),
            &json!({"active": false}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["active"], false);
    assert_eq!(
        app.get("/api/v1/me", Some(&member.token)).await.status,
        StatusCode::UNAUTHORIZED
    );
    let again = app
        .post_json(
            "/api/v1/auth/login",
            None,
            &json!({"email": member.email, "password": member.password}),
        )
        .await;
    assert_eq!(again.status, StatusCode::UNAUTHORIZED);
    // The last admin cannot be removed.
    let r = app
        .send_json(
            axum::http::Method::PATCH,
            &format!("/api/v1/organizations/{org}/people/{}", admin.person_id),
            Some(&admin.token),
            &json!({"role": "member"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
}

async fn changing_the_password_ends_other_sessions(app: TestApp) {
    let org = app.org(OrgKind::Enterprise, &[]).await;
    let who = app.person(org, Role::Member).await;
    let other = app.login(&who.email, &who.password).await;
    let bad = app
        .post_json(
            "/api/v1/me/password",
            Some(&who.token),
            &json!({"current_password": "wrong", "new_password": "short"}),
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    let fields: Vec<_> = bad.json()["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap().to_owned())
        .collect();
    assert!(
        fields.contains(&"current_password".to_owned())
            && fields.contains(&"new_password".to_owned()),
        "{fields:?}"
    );
    let ok = app
        .post_json(
            "/api/v1/me/password",
            Some(&who.token),
            &json!({"current_password": who.password, "new_password": "a brand new passphrase"}),
        )
        .await;
    assert_eq!(ok.status, StatusCode::NO_CONTENT);
    assert_eq!(
        app.get("/api/v1/me", Some(&who.token)).await.status,
        StatusCode::OK
    );
    assert_eq!(
        app.get("/api/v1/me", Some(&other)).await.status,
        StatusCode::UNAUTHORIZED
    );
    app.login(&who.email, "a brand new passphrase").await;
}

async fn api_tokens_are_shown_once_scoped_audited_and_revocable(app: TestApp) {
    let org = app.org(OrgKind::Enterprise, &[]).await;
    let admin = app.person(org, Role::Admin).await;
    let member = app.person(org, Role::Member).await;
    let r = app
        .post_json(
            &format!("/api/v1/organizations/{org}/tokens"),
            Some(&member.token),
            &json!({"name": "twin", "scopes": ["read"], "days": 30}),
        )
        .await;
    assert_eq!(
        r.status,
        StatusCode::FORBIDDEN,
        "members do not issue tokens"
    );
    let r = app
        .post_json(
            &format!("/api/v1/organizations/{org}/tokens"),
            Some(&admin.token),
            &json!({"name": "digital twin", "scopes": ["read"], "days": 30}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let secret = r.json()["secret"].as_str().unwrap().to_owned();
    let token_id = r.json()["token"]["id"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("tcr_"));
    let stored = app
        .count("api_tokens", &format!("secret_hash = '{secret}'"))
        .await;
    assert_eq!(stored, 0, "the secret itself is never stored");
    let list = app
        .get(
            &format!("/api/v1/organizations/{org}/tokens"),
            Some(&admin.token),
        )
        .await;
    assert!(!list.text().contains(&secret));

    assert_eq!(
        app.get("/api/v1/equipment", Some(&secret)).await.status,
        StatusCode::OK
    );
    let create = app
        .post_json(
            "/api/v1/equipment",
            Some(&secret),
            &json!({"tag": "T-1", "name": "x", "equipment_type": "coil", "grade": "2"}),
        )
        .await;
    assert_eq!(
        create.status,
        StatusCode::FORBIDDEN,
        "a read-only token cannot create: {}",
        create.text()
    );
    assert!(app.count("audit_events", "action = 'token.use'").await >= 2);

    let r = app
        .delete(
            &format!("/api/v1/organizations/{org}/tokens/{token_id}"),
            Some(&admin.token),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    assert_eq!(
        app.get("/api/v1/equipment", Some(&secret)).await.status,
        StatusCode::UNAUTHORIZED
    );
    app.clock.advance(Duration::days(1));
    assert_eq!(
        app.count(
            "audit_events",
            "action = 'token.use' AND decision = 'failure'"
        )
        .await,
        1
    );
}

async fn cookie_authenticated_writes_need_the_csrf_header(app: TestApp) {
    let org = app.org(OrgKind::Enterprise, &[]).await;
    let who = app.person(org, Role::Member).await;
    let login = app
        .post_json(
            "/api/v1/auth/login",
            None,
            &json!({"email": who.email, "password": who.password}),
        )
        .await;
    let csrf = login.json()["csrf_token"].as_str().unwrap().to_owned();
    let cookie = format!(
        "__Host-ticorr_session={}",
        login.json()["token"].as_str().unwrap()
    );
    let body =
        json!({"tag": "C-1", "name": "x", "equipment_type": "coil", "grade": "2"}).to_string();
    let req = |csrf: Option<&str>| {
        let mut b = axum::http::Request::builder()
            .method("POST")
            .uri("/api/v1/equipment")
            .header("cookie", cookie.clone())
            .header("content-type", "application/json");
        if let Some(c) = csrf {
            b = b.header("x-csrf-token", c);
        }
        b.body(axum::body::Body::from(body.clone())).unwrap()
    };
    let r = app.request(req(None)).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(r.json()["type"], "/problems/csrf");
    let r = app.request(req(Some(&csrf))).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
}

ticorr_test_support::on_both_engines!(
    login_returns_a_token_that_works_as_bearer_and_a_cookie,
    failed_sign_in_reads_the_same_for_unknown_and_known_accounts,
    repeated_failures_slow_down_then_lock_an_account_known_or_not,
    logout_ends_the_session_on_the_server,
    sessions_end_after_idle_and_absolute_timeouts,
    people_list_and_end_their_own_sessions,
    disabling_a_person_ends_their_sessions,
    changing_the_password_ends_other_sessions,
    api_tokens_are_shown_once_scoped_audited_and_revocable,
    cookie_authenticated_writes_need_the_csrf_header,
);
