//! The web pages as a browser meets them (HTML through the real router).

use axum::http::StatusCode;
use serde_json::json;
use ticorr_kernel::{OrgKind, Role};
use ticorr_test_support::TestApp;

/// The anti-forgery token of the first form in `html`.
pub(crate) fn csrf_in(html: &str) -> String {
    html.split("name=\"_csrf\" value=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_owned()
}

/// The session cookie of a person signed in over the API.
pub(crate) fn cookie(who: &ticorr_test_support::Login) -> String {
    format!("__Host-ticorr_session={}", who.token)
}

/// Visits a page anonymously and returns the anti-forgery cookie and token of its forms.
async fn form_token(app: &TestApp, path: &str) -> (String, String) {
    let page = app.get(path, None).await;
    let cookie = page.set_cookie("__Host-ticorr_csrf").expect("csrf cookie");
    let html = page.text();
    let token = csrf_in(&html);
    (format!("__Host-ticorr_csrf={cookie}"), token)
}

async fn pages_speak_chinese_by_default_and_english_on_request(app: TestApp) {
    let zh = app.get("/", None).await;
    assert_eq!(zh.status, StatusCode::OK);
    assert!(zh.text().contains("<html lang=\"zh-CN\">"));
    assert!(zh.text().contains("钛制加热设备防腐蚀公共服务平台"));
    let switch = app.get("/lang/en?back=/directory", None).await;
    assert_eq!(switch.status, StatusCode::SEE_OTHER);
    assert_eq!(switch.header("location"), Some("/directory"));
    assert_eq!(switch.set_cookie("ticorr_lang").as_deref(), Some("en"));
    let en = app.get_with_cookies("/", "ticorr_lang=en").await;
    assert!(en.text().contains("<html lang=\"en\">"));
    assert!(en.text().contains("Free public services"));
    let evil = app.get("/lang/en?back=//evil.example", None).await;
    assert_eq!(evil.header("location"), Some("/"));
}

async fn every_page_carries_security_headers(app: TestApp) {
    let r = app.get("/", None).await;
    let csp = r.header("content-security-policy").unwrap();
    assert!(
        csp.contains("default-src 'self'")
            && csp.contains("frame-ancestors 'none'")
            && !csp.contains("unsafe-inline")
    );
    assert_eq!(r.header("x-content-type-options"), Some("nosniff"));
    assert_eq!(r.header("x-frame-options"), Some("DENY"));
    assert!(r.header("x-request-id").is_some());
}

async fn signing_in_through_the_form_needs_the_form_token(app: TestApp) {
    let org = app.org(OrgKind::Enterprise, &[]).await;
    let who = app.person(org, Role::Member).await;
    let (cookie, token) = form_token(&app, "/login").await;
    let forged = app
        .post_form(
            "/login",
            &cookie,
            &[("email", &who.email), ("password", &who.password)],
        )
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    let wrong = app
        .post_form(
            "/login",
            &cookie,
            &[
                ("_csrf", &token),
                ("email", &who.email),
                ("password", "wrong one"),
            ],
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert!(wrong.text().contains("邮箱或密码不正确"));
    let ok = app
        .post_form(
            "/login",
            &cookie,
            &[
                ("_csrf", &token),
                ("email", &who.email),
                ("password", &who.password),
                ("next", "/equipment"),
            ],
        )
        .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.text());
    assert_eq!(ok.header("location"), Some("/equipment"));
    let session = ok.set_cookie("__Host-ticorr_session").unwrap();
    let page = app
        .get_with_cookies("/equipment", &format!("__Host-ticorr_session={session}"))
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text().contains("设备台账"));
}

async fn protected_pages_send_visitors_to_sign_in(app: TestApp) {
    let r = app.get("/equipment?q=x", None).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(
        r.header("location"),
        Some("/login?next=%2Fequipment%3Fq%3Dx")
    );
    let missing = app.get("/no/such/page", None).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert!(missing.text().contains("未找到"));
    let api_missing = app.get("/api/v1/nothing", None).await;
    assert_eq!(
        api_missing.header("content-type"),
        Some("application/problem+json")
    );
}

async fn the_equipment_pages_list_create_and_show_import_errors(app: TestApp) {
    let org = app.org(OrgKind::Enterprise, &[]).await;
    let who = app.person(org, Role::Member).await;
    let cookie = format!("__Host-ticorr_session={}", who.token);
    let list = app.get_with_cookies("/equipment", &cookie).await;
    let html = list.text();
    let csrf = csrf_in(&html);
    let created = app
        .post_form(
            "/equipment/new",
            &cookie,
            &[
                ("_csrf", &csrf),
                ("tag", "F-1"),
                ("name", "表单设备"),
                ("equipment_type", "coil"),
                ("grade", "2"),
                ("level", "private"),
                ("ph", "abc"),
            ],
        )
        .await;
    assert_eq!(created.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(created.text().contains("aria-invalid=\"true\""));
    let created = app
        .post_form(
            "/equipment/new",
            &cookie,
            &[
                ("_csrf", &csrf),
                ("tag", "F-1"),
                ("name", "表单设备"),
                ("equipment_type", "coil"),
                ("grade", "2"),
                ("level", "private"),
                ("ph", "7"),
            ],
        )
        .await;
    assert_eq!(created.status, StatusCode::SEE_OTHER, "{}", created.text());
    let detail = app
        .get_with_cookies(created.header("location").unwrap(), &cookie)
        .await;
    assert!(detail.text().contains("表单设备"));
    assert!(
        detail.text().contains("<code>ph</code>"),
        "risk model inputs are shown"
    );
    // The owner keeps private notes on the item page.
    let location = created.header("location").unwrap();
    let location = location.split('?').next().unwrap().to_owned();
    assert!(detail.text().contains("id=\"notes-text\""));
    let saved = app
        .post_form(
            &format!("{location}/notes"),
            &cookie,
            &[("_csrf", &csrf), ("text", "更换垫片花费 2.4 万元")],
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.text());
    let detail = app
        .get_with_cookies(saved.header("location").unwrap(), &cookie)
        .await;
    assert!(detail.text().contains("更换垫片花费 2.4 万元"));
    assert_eq!(app.count("equipment_notes", "sealed LIKE 'tc1:%'").await, 1);

    // Import through the page: multipart with the form token, one bad row.
    let boundary = "XyZ";
    let csv = "tag,name,equipment_type,grade,ph\nG-1,ok,coil,2,7\nG-2,bad,coil,2,99\n";
    let body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"_csrf\"\r\n\r\n{csrf}\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"list.csv\"\r\nContent-Type: text/csv\r\n\r\n{csv}\r\n--{boundary}--\r\n"
    );
    let r = app
        .request(
            axum::http::Request::builder()
                .method("POST")
                .uri("/equipment/import")
                .header("cookie", &cookie)
                .header(
                    "content-type",
                    format!("multipart/form-data; boundary={boundary}"),
                )
                .body(axum::body::Body::from(body))
                .unwrap(),
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    let location = r.header("location").unwrap().to_owned();
    assert!(location.starts_with("/equipment/import?job="), "{location}");
    // While the job waits, the page shows a progress bar that follows the job's status
    // resource, and a plain link to its status page for browsers without JavaScript.
    let waiting = app.get_with_cookies(&location, &cookie).await.text();
    assert!(waiting.contains("id=\"import-progress\""), "{waiting}");
    assert!(waiting.contains("data-job-status=\"/api/v1/jobs/"));
    assert!(waiting.contains("<progress"));
    assert!(waiting.contains("src=\"/static/job-progress.js\""));
    let job_id = location.rsplit('=').next().unwrap().to_owned();
    assert!(waiting.contains(&format!("href=\"/jobs/{job_id}\"")));
    let script = app.get("/static/job-progress.js", None).await;
    assert_eq!(script.status, StatusCode::OK);
    assert!(script.text().contains("data-job-status"));
    let status_page = app
        .get_with_cookies(&format!("/jobs/{job_id}"), &cookie)
        .await;
    assert_eq!(status_page.status, StatusCode::OK);
    assert!(status_page.text().contains("equipment.import"));
    assert_eq!(app.run_jobs().await, 1);
    let r = app.get_with_cookies(&location, &cookie).await;
    assert_eq!(r.status, StatusCode::OK);
    let html = r.text();
    assert!(
        !html.contains("id=\"import-progress\""),
        "finished: no progress bar"
    );
    assert!(html.contains("id=\"import-errors\""), "{html}");
    assert!(html.contains("<td>3</td>"), "row 3 is named");
    assert_eq!(app.count("equipment", "tag LIKE 'G-%'").await, 0);
    // Another person of the organisation does not see the job.
    let colleague = app.person(org, Role::Member).await;
    let other = app
        .get_with_cookies(
            &location,
            &format!("__Host-ticorr_session={}", colleague.token),
        )
        .await;
    assert_eq!(other.status, StatusCode::NOT_FOUND);
}

async fn the_desensitization_tool_shows_what_it_replaces_and_why(app: TestApp) {
    let who = app
        .person(app.org(OrgKind::Enterprise, &[]).await, Role::Member)
        .await;
    let cookie = format!("__Host-ticorr_session={}", who.token);
    let form = app.get_with_cookies("/privacy", &cookie).await;
    assert_eq!(form.status, StatusCode::OK);
    let html = form.text();
    assert!(
        html.contains("href=\"/privacy\""),
        "offered in the navigation"
    );
    let csrf = csrf_in(&html);
    let r = app
        .post_form(
            "/privacy",
            &cookie,
            &[
                ("_csrf", &csrf),
                ("text", "TA2 换热器 80 °C 泄漏，请联系手机 13812345678。"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let html = r.text();
    let output = html
        .split("id=\"privacy-output\">")
        .nth(1)
        .unwrap()
        .split("</pre>")
        .next()
        .unwrap();
    assert!(!output.contains("13812345678"), "{output}");
    assert!(output.contains("TA2") && output.contains("80 °C"));
    assert!(html.contains("id=\"privacy-report\""));
    assert!(
        html.contains("本机构本月已使用 1 次"),
        "the page shows the organisation's use this month"
    );
    let empty = app
        .post_form("/privacy", &cookie, &[("_csrf", &csrf), ("text", "  ")])
        .await;
    assert_eq!(empty.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(empty.text().contains("id=\"privacy-error\""));
    // Visitors are sent to sign in.
    let anon = app.get("/privacy", None).await;
    assert!(anon.status.is_redirection() || anon.status == StatusCode::UNAUTHORIZED);
}

async fn the_api_reference_and_operations_endpoints_answer(app: TestApp) {
    let doc = app.get("/api/v1/openapi.json", None).await;
    assert_eq!(doc.status, StatusCode::OK);
    let doc = doc.json();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
    for path in [
        "/api/v1/auth/login",
        "/api/v1/me",
        "/api/v1/equipment",
        "/api/v1/equipment/{id}",
        "/api/v1/equipment/import",
        "/api/v1/organizations/{id}",
    ] {
        assert!(doc["paths"].get(path).is_some(), "{path} is documented");
    }
    let ui = app.get("/api/docs/", None).await;
    assert_eq!(ui.status, StatusCode::OK);
    assert!(
        !ui.text().contains("https://"),
        "the API reference loads nothing from the internet"
    );
    assert_eq!(app.get("/healthz", None).await.status, StatusCode::OK);
    assert_eq!(app.get("/readyz", None).await.status, StatusCode::OK);
    app.get("/", None).await;
    let metrics = app.get("/metrics", None).await.text();
    assert!(metrics.contains("ticorr_http_requests_total"), "{metrics}");
    let _ = json!({});
}

ticorr_test_support::on_both_engines!(
    pages_speak_chinese_by_default_and_english_on_request,
    every_page_carries_security_headers,
    signing_in_through_the_form_needs_the_form_token,
    protected_pages_send_visitors_to_sign_in,
    the_equipment_pages_list_create_and_show_import_errors,
    the_api_reference_and_operations_endpoints_answer,
    the_desensitization_tool_shows_what_it_replaces_and_why,
);
