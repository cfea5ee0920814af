//! Notifications: the inbox, preferences, e-mail over a real SMTP conversation, and
//! relevance targeting.

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};
use ticorr_kernel::{OrgId, OrgKind, PersonId, Role};
use ticorr_platform::jobs::{self, JobStatus};
use ticorr_platform::notify::email::{MailConfig, SmtpConfig};
use ticorr_platform::notify::target::{self, RelevanceFilter};
use ticorr_platform::notify::{self, Audience, EMAIL_JOB, Mailer, Message};
use ticorr_test_support::smtp::SmtpServer;
use ticorr_test_support::{Login, TestApp};
use time::Duration;

const LEASE: Duration = Duration::minutes(5);

fn message(kind: &str, n: usize) -> Message {
    Message {
        kind: kind.into(),
        title_zh: format!("第{n}条通知"),
        title_en: format!("Notice {n}"),
        body_zh: "请检查海水冷却器的缝隙腐蚀。".into(),
        body_en: "Check the seawater coolers for crevice corrosion.".into(),
        link: Some("/equipment".into()),
    }
}

async fn send(app: &TestApp, audience: Audience, message: &Message) -> notify::SendReport {
    let mut tx = app.state.db.begin().await.unwrap();
    let report = notify::send(&mut tx, app.clock.now(), &audience, message)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    report
}

async fn get_lang(app: &TestApp, path: &str, who: &Login, lang: &str) -> Value {
    let res = app
        .request(
            axum::http::Request::builder()
                .uri(path)
                .header("authorization", format!("Bearer {}", who.token))
                .header("accept-language", lang)
                .body(axum::body::Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text());
    res.json()
}

async fn unread(app: &TestApp, who: &Login) -> i64 {
    let res = app
        .get("/api/v1/me/notifications/unread-count", Some(&who.token))
        .await;
    res.json()["unread"].as_i64().unwrap()
}

async fn the_inbox_lists_marks_and_archives_only_ones_own(app: TestApp) {
    let org = app.org(OrgKind::Enterprise, &[]).await;
    let a = app.person(org, Role::Member).await;
    let b = app.person(org, Role::Member).await;
    for n in 1..=3 {
        send(
            &app,
            Audience::People(vec![a.person_id]),
            &message("announcement", n),
        )
        .await;
    }
    assert_eq!(unread(&app, &a).await, 3);
    assert_eq!(unread(&app, &b).await, 0, "nothing reached B");

    // Newest first, in the reader's language, one page at a time.
    let page = get_lang(
        &app,
        "/api/v1/me/notifications?limit=2",
        &a,
        "en-GB,en;q=0.8",
    )
    .await;
    let items = page["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    assert_eq!(items[0]["title"], "Notice 3");
    assert_eq!(items[1]["title"], "Notice 2");
    let cursor = page["next_cursor"].as_str().unwrap();
    let rest = get_lang(
        &app,
        &format!("/api/v1/me/notifications?limit=2&cursor={cursor}"),
        &a,
        "zh-CN",
    )
    .await;
    assert_eq!(rest["items"][0]["title"], "第1条通知");
    assert!(rest["next_cursor"].is_null());
    let first = items[1]["id"].as_str().unwrap().to_owned();

    // B cannot touch A's notification: it does not exist for B.
    let res = app
        .post_json(
            &format!("/api/v1/me/notifications/{first}/read"),
            Some(&b.token),
            &json!({}),
        )
        .await;
    assert_eq!(res.status, StatusCode::NOT_FOUND);
    assert_eq!(unread(&app, &a).await, 3);

    let res = app
        .post_json(
            &format!("/api/v1/me/notifications/{first}/read"),
            Some(&a.token),
            &json!({}),
        )
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text());
    assert!(res.json()["read_at"].is_string());
    assert_eq!(unread(&app, &a).await, 2);
    let only_unread = get_lang(&app, "/api/v1/me/notifications?unread=true", &a, "en").await;
    assert_eq!(only_unread["items"].as_array().unwrap().len(), 2);

    let res = app
        .post_json(
            &format!("/api/v1/me/notifications/{first}/archive"),
            Some(&a.token),
            &json!({}),
        )
        .await;
    assert_eq!(res.status, StatusCode::OK);
    let inbox = get_lang(&app, "/api/v1/me/notifications", &a, "en").await;
    assert_eq!(inbox["items"].as_array().unwrap().len(), 2);
    let archived = get_lang(&app, "/api/v1/me/notifications?archived=true", &a, "en").await;
    assert_eq!(archived["items"][0]["id"], first.as_str());

    let res = app
        .post_json(
            "/api/v1/me/notifications/read-all",
            Some(&a.token),
            &json!({}),
        )
        .await;
    assert_eq!(res.json()["marked"], 2);
    assert_eq!(unread(&app, &a).await, 0);

    let bogus = app
        .post_json(
            "/api/v1/me/notifications/not-an-id/read",
            Some(&a.token),
            &json!({}),
        )
        .await;
    assert!(bogus.status.is_client_error());
    let anonymous = app.get("/api/v1/me/notifications", None).await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
}

async fn the_inbox_page_and_the_header_count_speak_both_languages(app: TestApp) {
    let org = app.org(OrgKind::Enterprise, &[]).await;
    let a = app.person(org, Role::Member).await;
    let cookie = format!("__Host-ticorr_session={}", a.token);
    let home = app.get_with_cookies("/", &cookie).await.text();
    assert!(
        !home.contains("id=\"unread-count\""),
        "no count when nothing is unread"
    );

    send(
        &app,
        Audience::People(vec![a.person_id]),
        &message("advisory", 1),
    )
    .await;
    send(
        &app,
        Audience::People(vec![a.person_id]),
        &message("advisory", 2),
    )
    .await;
    let home = app.get_with_cookies("/", &cookie).await.text();
    assert!(
        home.contains("<span class=\"count\" id=\"unread-count\">2</span>"),
        "{home}"
    );

    let zh = app.get_with_cookies("/inbox", &cookie).await;
    assert_eq!(zh.status, StatusCode::OK);
    let zh = zh.text();
    assert!(zh.contains("第2条通知") && zh.contains("防腐预警与建议"));
    let en = app
        .get_with_cookies("/inbox", &format!("{cookie}; ticorr_lang=en"))
        .await
        .text();
    assert!(en.contains("Notice 2") && en.contains("Corrosion advisories"));
    assert!(!en.contains("第2条通知"));

    // Mark all read through the form: the count goes away.
    let csrf = zh
        .split("action=\"/inbox/read-all\"")
        .nth(1)
        .and_then(|s| s.split("name=\"_csrf\" value=\"").nth(1))
        .and_then(|s| s.split('"').next())
        .unwrap()
        .to_owned();
    let res = app
        .post_form("/inbox/read-all", &cookie, &[("_csrf", &csrf)])
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    let home = app.get_with_cookies("/", &cookie).await.text();
    assert!(!home.contains("id=\"unread-count\""));
    let anonymous = app.get("/inbox", None).await;
    assert_eq!(anonymous.status, StatusCode::SEE_OTHER);
}

async fn preferences_choose_channels_per_kind(app: TestApp) {
    let org = app.org(OrgKind::Enterprise, &[]).await;
    let a = app.person(org, Role::Member).await;
    let prefs = app
        .get("/api/v1/me/notification-preferences", Some(&a.token))
        .await
        .json();
    assert_eq!(prefs["language"], "zh-CN");
    let advisory = prefs["kinds"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["kind"] == "advisory")
        .unwrap();
    assert_eq!(
        (advisory["inbox"].as_bool(), advisory["email"].as_bool()),
        (Some(true), Some(true))
    );

    // Bad input changes nothing.
    let bad = app
        .send_json(
            Method::PUT,
            "/api/v1/me/notification-preferences",
            Some(&a.token),
            &json!({"language": "fr", "kinds": [{"kind": "gossip", "inbox": false, "email": false}, {"kind": "advisory", "inbox": false, "email": false}]}),
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    let fields: Vec<String> = bad.json()["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(fields, ["language", "kinds[0].kind"]);
    assert_eq!(app.count("notification_preferences", "1 = 1").await, 0);

    let res = app
        .send_json(
            Method::PUT,
            "/api/v1/me/notification-preferences",
            Some(&a.token),
            &json!({"language": "en", "kinds": [{"kind": "advisory", "inbox": false, "email": true}, {"kind": "announcement", "inbox": true, "email": true}]}),
        )
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text());
    assert_eq!(res.json()["language"], "en");

    let report = send(
        &app,
        Audience::People(vec![a.person_id]),
        &message("advisory", 1),
    )
    .await;
    assert_eq!((report.inbox, report.emails), (0, 1), "e-mail only");
    let report = send(
        &app,
        Audience::People(vec![a.person_id]),
        &message("announcement", 2),
    )
    .await;
    assert_eq!((report.inbox, report.emails), (1, 1));
    let report = send(
        &app,
        Audience::People(vec![a.person_id]),
        &message("org_status", 3),
    )
    .await;
    assert_eq!(
        (report.inbox, report.emails),
        (1, 1),
        "defaults for kinds not chosen"
    );
    assert_eq!(app.count("jobs", &format!("kind = '{EMAIL_JOB}'")).await, 3);

    // The page shows the choices and saves them; an unticked box is off.
    let cookie = format!("__Host-ticorr_session={}", a.token);
    let page = app
        .get_with_cookies("/account/notifications", &cookie)
        .await
        .text();
    assert!(page.contains("name=\"email.announcement\" value=\"1\" checked"));
    let csrf = page
        .split("action=\"/account/notifications\"")
        .nth(1)
        .and_then(|s| s.split("name=\"_csrf\" value=\"").nth(1))
        .and_then(|s| s.split('"').next())
        .unwrap()
        .to_owned();
    let res = app
        .post_form(
            "/account/notifications",
            &cookie,
            &[
                ("_csrf", &csrf),
                ("language", "zh-CN"),
                ("inbox.advisory", "1"),
            ],
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    let prefs = app
        .get("/api/v1/me/notification-preferences", Some(&a.token))
        .await
        .json();
    assert_eq!(prefs["language"], "zh-CN");
    for k in prefs["kinds"].as_array().unwrap() {
        assert_eq!(k["inbox"].as_bool(), Some(k["kind"] == "advisory"), "{k}");
        assert_eq!(k["email"].as_bool(), Some(false), "{k}");
    }
}

/// A mailer speaking plain SMTP to the test server.
fn smtp_mailer(port: u16) -> Mailer {
    let config = MailConfig {
        transport: "smtp".into(),
        from: "Ticorr <noreply@ticorr.test>".into(),
        base_url: "https://ticorr.test".into(),
        smtp: SmtpConfig {
            host: "127.0.0.1".into(),
            port,
            tls: "none".into(),
            timeout_secs: 10,
            ..SmtpConfig::default()
        },
        ..MailConfig::default()
    };
    Mailer::new(&config, std::path::Path::new("/nonexistent")).unwrap()
}

async fn set_language(app: &TestApp, who: &Login, lang: &str) {
    let res = app
        .send_json(
            Method::PUT,
            "/api/v1/me/notification-preferences",
            Some(&who.token),
            &json!({"language": lang}),
        )
        .await;
    assert_eq!(res.status, StatusCode::OK);
}

/// Claims the next e-mail job, runs it and settles it as a worker would.
async fn run_email_job(app: &TestApp, mailer: &Mailer) -> Option<(String, Option<JobStatus>)> {
    let db = &app.state.db;
    let now = app.clock.now();
    let job = jobs::claim(db, "mail-worker", &[EMAIL_JOB], now, LEASE)
        .await
        .unwrap()?;
    let status = match notify::email::deliver_email(db, mailer, &job).await {
        Ok(()) => {
            assert!(
                jobs::complete(db, &job.id, "mail-worker", now)
                    .await
                    .unwrap()
            );
            Some(JobStatus::Done)
        }
        Err(e) => jobs::fail(db, &job.id, "mail-worker", &e, now)
            .await
            .unwrap(),
    };
    Some((job.id, status))
}

async fn e_mail_arrives_over_smtp_in_the_recipients_language(app: TestApp) {
    let server = SmtpServer::start().await;
    let mailer = smtp_mailer(server.port);
    let org = app.org(OrgKind::Enterprise, &[]).await;
    let zh = app.person(org, Role::Member).await;
    let en = app.person(org, Role::Member).await;
    set_language(&app, &en, "en").await;
    let report = send(
        &app,
        Audience::Organizations(vec![org]),
        &message("advisory", 7),
    )
    .await;
    assert_eq!(report.emails, 2);
    assert_eq!(
        run_email_job(&app, &mailer).await.unwrap().1,
        Some(JobStatus::Done)
    );
    assert_eq!(
        run_email_job(&app, &mailer).await.unwrap().1,
        Some(JobStatus::Done)
    );
    assert!(run_email_job(&app, &mailer).await.is_none(), "nothing left");

    let messages = server.messages();
    assert_eq!(messages.len(), 2);
    let to_en = messages
        .iter()
        .find(|m| m.to == [en.email.clone()])
        .unwrap();
    assert_eq!(to_en.from, "noreply@ticorr.test");
    assert!(to_en.data.contains("Subject: Notice 7"), "{}", to_en.data);
    assert!(to_en.data.contains("Content-Language: en"));
    assert!(
        to_en
            .data
            .contains("Check the seawater coolers for crevice corrosion."),
        "{}",
        to_en.data
    );
    assert!(
        to_en
            .data
            .contains("Details: https://ticorr.test/equipment")
    );
    assert!(!to_en.data.contains("请检查"));
    let to_zh = messages
        .iter()
        .find(|m| m.to == [zh.email.clone()])
        .unwrap();
    assert!(to_zh.data.contains("Content-Language: zh-CN"));
    assert!(
        to_zh.data.contains("请检查海水冷却器的缝隙腐蚀。"),
        "{}",
        to_zh.data
    );
    assert!(
        to_zh
            .data
            .contains("查看详情：https://ticorr.test/equipment")
    );
    assert!(!to_zh.data.contains("Check the seawater"));
}

async fn a_relay_without_8bitmime_gets_encoded_text_and_the_demo_a_readable_maildir(app: TestApp) {
    let server = SmtpServer::start().await;
    server.without_8bitmime();
    let mailer = smtp_mailer(server.port);
    let org = app.org(OrgKind::Enterprise, &[]).await;
    app.person(org, Role::Member).await;
    send(
        &app,
        Audience::Organizations(vec![org]),
        &message("advisory", 1),
    )
    .await;
    assert_eq!(
        run_email_job(&app, &mailer).await.unwrap().1,
        Some(JobStatus::Done)
    );
    let data = &server.messages()[0].data;
    assert!(data.is_ascii(), "encoded for a 7-bit relay: {data}");
    assert!(!data.contains("Content-Transfer-Encoding: 8bit"));

    // The maildir transport: one plain-text file per message in new/.
    let dir = tempfile::tempdir().unwrap();
    let config = MailConfig {
        maildir: dir.path().join("mail").display().to_string(),
        ..MailConfig::default()
    };
    let maildir = Mailer::new(&config, dir.path()).unwrap();
    send(
        &app,
        Audience::Organizations(vec![org]),
        &message("advisory", 2),
    )
    .await;
    assert_eq!(
        run_email_job(&app, &maildir).await.unwrap().1,
        Some(JobStatus::Done)
    );
    let files: Vec<_> = std::fs::read_dir(dir.path().join("mail/new"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(files.len(), 1);
    let text = std::fs::read_to_string(&files[0]).unwrap();
    assert!(text.contains("Content-Transfer-Encoding: 8bit"), "{text}");
    assert!(text.contains("请检查海水冷却器的缝隙腐蚀。"));
    assert_eq!(
        std::fs::read_dir(dir.path().join("mail/tmp"))
            .unwrap()
            .count(),
        0
    );
}

async fn an_smtp_failure_is_retried_with_backoff_until_the_job_is_dead(app: TestApp) {
    let server = SmtpServer::start().await;
    server.refuse(true);
    let mailer = smtp_mailer(server.port);
    let org = app.org(OrgKind::Enterprise, &[]).await;
    let a = app.person(org, Role::Member).await;
    send(
        &app,
        Audience::People(vec![a.person_id]),
        &message("org_status", 1),
    )
    .await;

    let (id, status) = run_email_job(&app, &mailer).await.unwrap();
    assert_eq!(status, Some(JobStatus::Queued), "failed, to be retried");
    let (_, error) = jobs::status(&app.state.db, &id).await.unwrap().unwrap();
    assert!(
        error.unwrap().contains("451"),
        "the server's answer is kept"
    );
    assert!(
        run_email_job(&app, &mailer).await.is_none(),
        "not before the backoff"
    );
    // Each retry after its backoff, until the last attempt leaves the job dead.
    let mut last = status;
    for attempt in 2..=jobs::DEFAULT_MAX_ATTEMPTS {
        app.clock.advance(jobs::backoff(attempt - 1));
        let (again, status) = run_email_job(&app, &mailer).await.expect("due again");
        assert_eq!(again, id);
        last = status;
    }
    assert_eq!(last, Some(JobStatus::Dead));
    assert!(server.messages().is_empty());

    // Once the operator retries the dead job and the server accepts, the mail goes out.
    server.refuse(false);
    assert!(
        jobs::retry_dead(&app.state.db, &id, app.clock.now())
            .await
            .unwrap()
    );
    assert_eq!(
        run_email_job(&app, &mailer).await.unwrap().1,
        Some(JobStatus::Done)
    );
    assert_eq!(server.messages().len(), 1);
}

async fn add_equipment(app: &TestApp, who: &Login, tag: &str, body: Value) {
    let mut input = json!({"tag": tag, "name": tag, "equipment_type": "shell_and_tube_heat_exchanger", "grade": "2"});
    for (k, v) in body.as_object().unwrap() {
        input[k] = v.clone();
    }
    let res = app
        .post_json("/api/v1/equipment", Some(&who.token), &input)
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text());
}

async fn set_org_profile(app: &TestApp, org: OrgId, region: &str, industry: &str) {
    sqlx::query("UPDATE organizations SET region_code = $1, industry_code = $2 WHERE id = $3")
        .bind(region)
        .bind(industry)
        .bind(org.to_string())
        .execute(app.state.db.pool())
        .await
        .unwrap();
}

async fn inbox_of(app: &TestApp, who: &Login) -> usize {
    app.get("/api/v1/me/notifications", Some(&who.token))
        .await
        .json()["items"]
        .as_array()
        .unwrap()
        .len()
}

async fn relevance_targeting_reaches_only_matching_organisations(app: TestApp) {
    // Matches: Gr2 in seawater at 60 °C, 800 mg/L chloride, industry 2612, Zhejiang.
    let hit = app.org(OrgKind::Enterprise, &[]).await;
    set_org_profile(&app, hit, "330100", "2612").await;
    let hit_people = [
        app.person(hit, Role::Admin).await,
        app.person(hit, Role::Member).await,
    ];
    add_equipment(&app, &hit_people[0], "H-1", json!({"process_medium": "Seawater cooling", "temperature_c": 60.0, "chloride_mg_l": 800.0})).await;
    // Each of these misses by one criterion.
    let misses = [
        (
            "grade",
            json!({"grade": "7", "process_medium": "seawater", "temperature_c": 60.0, "chloride_mg_l": 800.0}),
            "330100",
            "2612",
        ),
        (
            "medium",
            json!({"process_medium": "steam", "temperature_c": 60.0, "chloride_mg_l": 800.0}),
            "330100",
            "2612",
        ),
        (
            "temperature",
            json!({"process_medium": "seawater", "temperature_c": 120.0, "chloride_mg_l": 800.0}),
            "330100",
            "2612",
        ),
        (
            "unknown chloride",
            json!({"process_medium": "seawater", "temperature_c": 60.0}),
            "330100",
            "2612",
        ),
        (
            "industry",
            json!({"process_medium": "seawater", "temperature_c": 60.0, "chloride_mg_l": 800.0}),
            "330100",
            "1711",
        ),
        (
            "region",
            json!({"process_medium": "seawater", "temperature_c": 60.0, "chloride_mg_l": 800.0}),
            "320100",
            "2612",
        ),
    ];
    let mut missed_people = Vec::new();
    for (i, (why, item, region, industry)) in misses.iter().enumerate() {
        let org = app.org(OrgKind::Enterprise, &[]).await;
        set_org_profile(&app, org, region, industry).await;
        let who = app.person(org, Role::Member).await;
        add_equipment(&app, &who, &format!("M-{i}"), item.clone()).await;
        missed_people.push((*why, who));
    }
    let bystander_org = app.org(OrgKind::Regulator, &[]).await;
    let bystander = app.person(bystander_org, Role::Member).await;

    let filter = RelevanceFilter {
        grades: vec!["Gr2".into()],
        medium: Some("SEAWATER".into()),
        temperature_min_c: Some(40.0),
        temperature_max_c: Some(80.0),
        chloride_min_mg_l: Some(500.0),
        chloride_max_mg_l: None,
        industry: Some("26".into()),
        region: Some("330000".into()),
    };
    let mut tx = app.state.db.begin().await.unwrap();
    let report = target::send_to_matching(
        &mut tx,
        app.clock.now(),
        &ticorr_equipment::relevance::Index,
        &filter,
        &message("advisory", 1),
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(report.organizations, 1);
    assert_eq!((report.sent.recipients, report.sent.inbox), (2, 2));
    for who in &hit_people {
        assert_eq!(inbox_of(&app, who).await, 1);
    }
    for (why, who) in &missed_people {
        assert_eq!(inbox_of(&app, who).await, 0, "missed by {why}");
    }
    assert_eq!(inbox_of(&app, &bystander).await, 0);
    assert_eq!(app.count("notifications", "1 = 1").await, 2, "no one else");

    // A filter without criteria is refused and sends nothing.
    let mut tx = app.state.db.begin().await.unwrap();
    let refused = target::send_to_matching(
        &mut tx,
        app.clock.now(),
        &ticorr_equipment::relevance::Index,
        &RelevanceFilter::default(),
        &message("advisory", 2),
    )
    .await;
    assert!(matches!(refused, Err(notify::NotifyError::Invalid(_))));
    tx.rollback().await.unwrap();
    assert_eq!(app.count("notifications", "1 = 1").await, 2);
}

async fn an_invalid_message_is_refused_and_nothing_is_stored(app: TestApp) {
    let org = app.org(OrgKind::Enterprise, &[]).await;
    let a = app.person(org, Role::Member).await;
    let mut bad = message("advisory", 1);
    bad.link = Some("https://elsewhere.example/".into());
    let mut tx = app.state.db.begin().await.unwrap();
    let res = notify::send(
        &mut tx,
        app.clock.now(),
        &Audience::People(vec![a.person_id]),
        &bad,
    )
    .await;
    assert!(matches!(res, Err(notify::NotifyError::Invalid(_))));
    tx.commit().await.unwrap();
    assert_eq!(app.count("notifications", "1 = 1").await, 0);
    assert_eq!(app.count("jobs", "1 = 1").await, 0);
    // Unknown and disabled people receive nothing.
    let report = send(
        &app,
        Audience::People(vec![PersonId::new()]),
        &message("advisory", 2),
    )
    .await;
    assert_eq!(report.recipients, 0);
}

async fn the_operators_decision_reaches_the_organisations_people(app: TestApp) {
    let operator_org = app.org(OrgKind::Operator, &[]).await;
    let operator = app.person(operator_org, Role::Admin).await;
    let pending = app
        .org_with_status(OrgKind::Enterprise, &[], ticorr_kernel::OrgStatus::Pending)
        .await;
    let applicant = app.person(pending, Role::Admin).await;
    let res = app
        .post_json(
            &format!("/api/v1/organizations/{pending}/review"),
            Some(&operator.token),
            &json!({"decision": "verify"}),
        )
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text());
    let inbox = get_lang(&app, "/api/v1/me/notifications", &applicant, "en").await;
    assert_eq!(inbox["items"][0]["kind"], "org_status");
    assert_eq!(
        inbox["items"][0]["title"],
        "Your organisation's registration was verified"
    );
    assert_eq!(inbox_of(&app, &operator).await, 0);
}

ticorr_test_support::on_both_engines!(
    the_inbox_lists_marks_and_archives_only_ones_own,
    the_inbox_page_and_the_header_count_speak_both_languages,
    preferences_choose_channels_per_kind,
    e_mail_arrives_over_smtp_in_the_recipients_language,
    a_relay_without_8bitmime_gets_encoded_text_and_the_demo_a_readable_maildir,
    an_smtp_failure_is_retried_with_backoff_until_the_job_is_dead,
    relevance_targeting_reaches_only_matching_organisations,
    an_invalid_message_is_refused_and_nothing_is_stored,
    the_operators_decision_reaches_the_organisations_people,
);
