//! The standards lifecycle through its pages: every form a participant uses, from the application to the release, with refusals that keep what was typed.

use crate::pages::{cookie, csrf_in};
use crate::standards_lifecycle::expert;
use axum::http::StatusCode;
use serde_json::json;
use ticorr_kernel::{Level, OrgKind, Role};
use ticorr_test_support::{Login, TestApp};

struct Page {
    status: StatusCode,
    html: String,
    location: Option<String>,
}

async fn get(app: &TestApp, path: &str, who: Option<&Login>) -> Page {
    let r = match who {
        Some(w) => app.get_with_cookies(path, &cookie(w)).await,
        None => app.get(path, None).await,
    };
    Page {
        status: r.status,
        location: r.header("location").map(str::to_owned),
        html: r.text(),
    }
}

async fn en(app: &TestApp, path: &str, who: &Login) -> String {
    app.get_with_cookies(path, &format!("{}; ticorr_lang=en", cookie(who)))
        .await
        .text()
}

async fn post(app: &TestApp, path: &str, who: &Login, form: &[(&str, &str)]) -> Page {
    let page = app
        .get_with_cookies("/standards", &cookie(who))
        .await
        .text();
    let csrf = csrf_in(&page);
    let mut f: Vec<(&str, &str)> = vec![("_csrf", csrf.as_str())];
    f.extend_from_slice(form);
    let r = app
        .post_form(path, &format!("{}; ticorr_lang=en", cookie(who)), &f)
        .await;
    Page {
        status: r.status,
        location: r.header("location").map(str::to_owned),
        html: r.text(),
    }
}

async fn post_zh(app: &TestApp, path: &str, who: &Login, form: &[(&str, &str)]) -> String {
    let page = app
        .get_with_cookies("/standards", &cookie(who))
        .await
        .text();
    let csrf = csrf_in(&page);
    let mut f: Vec<(&str, &str)> = vec![("_csrf", csrf.as_str())];
    f.extend_from_slice(form);
    let html = app.post_form(path, &cookie(who), &f).await.text();
    let start = html.find("id=\"errors\"").unwrap_or(0);
    let end = (start + 1500).min(html.len());
    let mut cut = end;
    while !html.is_char_boundary(cut) {
        cut -= 1;
    }
    html[start..cut].to_owned()
}

fn stamp(html: &str) -> String {
    html.split("name=\"stamp\" value=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_owned()
}

async fn the_lifecycle_through_the_pages(app: TestApp) {
    let association = app.org(OrgKind::Association, &[]).await;
    let secretary = app.person(association, Role::Member).await;
    let applicant_org = app.org(OrgKind::Enterprise, &[]).await;
    let applicant = app.person(applicant_org, Role::Admin).await;
    let mut experts = Vec::new();
    for _ in 0..4 {
        let org = app.org(OrgKind::Research, &[]).await;
        experts.push(expert(&app, org, &["operation"]).await);
    }
    let other_org = app.org(OrgKind::Enterprise, &[]).await;
    let other = app.person(other_org, Role::Admin).await;
    let input: ticorr_standards::StandardInput = serde_json::from_value(json!({
        "code": "T/TICORR 910-2026", "origin": "platform",
        "title_en": "Operating limits", "title_zh": "运行限值",
        "scope_en": "Brine.", "scope_zh": "盐水。",
        "topic": "operation", "references": [], "review_interval_months": 36,
        "clauses": [
            {"number": "4.1", "kind": "mandatory",
             "text_en": "Keep at or below 70 °C.", "text_zh": "温度应不高于 70 °C。",
             "risk_grades": ["I", "II", "III", "IV"], "applies": {"grades": ["1", "2"]},
             "limit": {"parameter": "temperature_c", "op": "<=", "value": 70, "unit": "°C"}},
            {"number": "5.1", "kind": "mandatory",
             "text_en": "No fluoride cleaning.", "text_zh": "不得使用含氟清洗剂。",
             "risk_grades": ["I", "II", "III", "IV"], "applies": {}}
        ]
    }))
    .unwrap();
    let mut conn = app.state.db.pool().acquire().await.unwrap();
    let sid = ticorr_standards::seed_released(
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

    // The list and the form.
    let p = get(&app, "/standards/drafts", Some(&applicant)).await;
    assert_eq!(p.status, StatusCode::OK, "{}", p.html);
    assert!(p.html.contains("new-draft-link"));
    let p = get(&app, "/standards/drafts/new", Some(&applicant)).await;
    assert_eq!(p.status, StatusCode::OK, "{}", p.html);
    assert!(p.html.contains("T/TICORR 910-2026"));
    // A new standard without justification: the form comes back with the input.
    let p = post(
        &app,
        "/standards/drafts/new",
        &applicant,
        &[
            ("kind", "new"),
            ("code", "T/TICORR 920-2026"),
            ("title_zh", "我的标题"),
            ("title_en", "My title"),
            ("scope_zh", "范围"),
            ("scope_en", "Scope"),
            ("topic", "operation"),
            ("review_interval_months", "36"),
            ("number", "4.1"),
            ("clause_kind", "mandatory"),
            ("text_zh", "条文"),
            ("text_en", "Text"),
            ("risk_grades", "I"),
            ("risk_grades", "III"),
            ("justification", ""),
        ],
    )
    .await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", p.html);
    assert!(p.html.contains("value=\"My title\""), "{}", p.html);
    assert!(p.html.contains("err-justification"), "{}", p.html);
    assert!(p.html.contains("value=\"III\" checked"), "{}", p.html);
    assert!(!p.html.contains("value=\"II\" checked"), "{}", p.html);
    // A new standard created.
    let p = post(
        &app,
        "/standards/drafts/new",
        &applicant,
        &[
            ("kind", "new"),
            ("code", "T/TICORR 920-2026"),
            ("title_zh", "我的标题"),
            ("title_en", "My title"),
            ("scope_zh", "范围"),
            ("scope_en", "Scope"),
            ("topic", "operation"),
            ("review_interval_months", "36"),
            ("number", "4.1"),
            ("clause_kind", "mandatory"),
            ("text_zh", "条文"),
            ("text_en", "Text"),
            ("risk_grades", "I"),
            ("justification", "needed"),
        ],
    )
    .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.html);
    let new_url = p.location.unwrap();
    let p = get(&app, &new_url, Some(&applicant)).await;
    assert_eq!(p.status, StatusCode::OK, "{}", p.html);
    assert!(p.html.contains("我的标题"));

    // A revision from the standard's page.
    let p = get(&app, &format!("/standards/{sid}"), Some(&applicant)).await;
    assert_eq!(p.status, StatusCode::OK, "{}", p.html);
    assert!(p.html.contains("propose-revision"), "{}", p.html);
    assert!(p.html.contains("versions-table"));
    let p = post(
        &app,
        &format!("/standards/{sid}/revise"),
        &applicant,
        &[("kind", "revision"), ("justification", "")],
    )
    .await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", p.html);
    let p = post(
        &app,
        &format!("/standards/{sid}/revise"),
        &applicant,
        &[("kind", "revision"), ("justification", "lower the limit")],
    )
    .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.html);
    let url = p.location.unwrap().split('?').next().unwrap().to_owned();
    let p = get(&app, &format!("{url}?done=draft-created"), Some(&applicant)).await;
    assert_eq!(p.status, StatusCode::OK, "{}", p.html);
    assert!(p.html.contains("draft-submit") && p.html.contains("id=\"notice\""));
    let s = stamp(&p.html);

    // Edit clause 4.1: bad JSON first (kept), then a real change.
    let p = post(
        &app,
        &format!("{url}/clauses/save"),
        &applicant,
        &[
            ("stamp", &s),
            ("original", "4.1"),
            ("number", "4.1"),
            ("kind", "mandatory"),
            ("text_zh", "温度应不高于 60 °C。"),
            ("text_en", "Keep at or below 60 °C."),
            ("risk_grades", "I"),
            ("risk_grades", "II"),
            ("applies_json", "{not json"),
            ("limit_json", ""),
        ],
    )
    .await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", p.html);
    assert!(p.html.contains("{not json") && p.html.contains("温度应不高于 60 °C。"));
    app.clock.advance(time::Duration::seconds(1));
    let p = post(
        &app,
        &format!("{url}/clauses/save"),
        &applicant,
        &[
            ("stamp", &s),
            ("original", "4.1"),
            ("number", "4.1"),
            ("kind", "mandatory"),
            ("text_zh", "温度应不高于 60 °C。"),
            ("text_en", "Keep at or below 60 °C."),
            ("risk_grades", "I"),
            ("risk_grades", "II"),
            ("risk_grades", "III"),
            ("risk_grades", "IV"),
            ("applies_json", "{\"grades\": [\"1\", \"2\"]}"),
            ("limit_json", "{\"parameter\": \"temperature_c\", \"op\": \"<=\", \"value\": 60, \"unit\": \"°C\"}"),
        ],
    )
    .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.html);
    // A stale stamp is refused.
    let p = post(
        &app,
        &format!("{url}/meta"),
        &applicant,
        &[
            ("stamp", &s),
            ("title_zh", "x"),
            ("title_en", "x"),
            ("scope_zh", "x"),
            ("scope_en", "x"),
            ("topic", "operation"),
            ("review_interval_months", "36"),
            ("justification", "j"),
        ],
    )
    .await;
    assert_eq!(p.status, StatusCode::CONFLICT, "{}", p.html);
    let s = stamp(&get(&app, &url, Some(&applicant)).await.html);
    let p = post(
        &app,
        &format!("{url}/clauses/add"),
        &applicant,
        &[
            ("stamp", &s),
            ("original", ""),
            ("number", "6.1"),
            ("kind", "recommended"),
            ("text_zh", "宜定期检查。"),
            ("text_en", "Inspect regularly."),
            ("risk_grades", "III"),
            ("applies_json", ""),
            ("limit_json", ""),
        ],
    )
    .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.html);
    let p = get(&app, &format!("{url}/diff"), Some(&applicant)).await;
    assert_eq!(p.status, StatusCode::OK, "{}", p.html);
    assert!(p.html.contains("<del>7</del><ins>6</ins>"), "{}", p.html);
    assert!(
        p.html.contains("data-added=\"1\"") && p.html.contains("data-changed=\"1\""),
        "{}",
        p.html
    );
    assert!(!p.html.contains("id=\"diff-5.1\""));
    let p = get(&app, &format!("{url}/diff?all=1"), Some(&applicant)).await;
    assert!(p.html.contains("id=\"diff-5.1\""));

    // Submit; the secretariat passes the formal check.
    let p = post(&app, &format!("{url}/submit"), &applicant, &[]).await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.html);
    let p = get(&app, &url, Some(&secretary)).await;
    assert!(p.html.contains("form-formal-check"), "{}", p.html);
    let p = post(
        &app,
        &format!("{url}/formal-check"),
        &secretary,
        &[("decision", "return"), ("note", "")],
    )
    .await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", p.html);
    let p = post(
        &app,
        &format!("{url}/formal-check"),
        &secretary,
        &[("decision", "pass"), ("note", "")],
    )
    .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.html);
    let p = get(&app, &url, Some(&secretary)).await;
    assert!(p.html.contains("id=\"candidates\""), "{}", p.html);
    let ids: Vec<String> = experts.iter().map(|e| e.person_id.to_string()).collect();
    let p = post(
        &app,
        &format!("{url}/reviewers"),
        &secretary,
        &[("person_ids", &ids[0])],
    )
    .await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", p.html);
    assert!(
        p.html.contains(&format!(
            "value=\"{}\" id=\"cand-{}\" checked",
            ids[0], ids[0]
        )),
        "{}",
        p.html
    );
    let p = post(
        &app,
        &format!("{url}/reviewers"),
        &secretary,
        &[
            ("person_ids", &ids[0]),
            ("person_ids", &ids[1]),
            ("person_ids", &ids[2]),
        ],
    )
    .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.html);

    // Reviewers vote through one form.
    let p = get(&app, &url, Some(&experts[0])).await;
    assert!(p.html.contains("form-votes"), "{}", p.html);
    let p = post(
        &app,
        &format!("{url}/votes"),
        &experts[0],
        &[("vote.4.1", "reject"), ("comment.4.1", "")],
    )
    .await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", p.html);
    for e in &experts[..3] {
        let p = post(
            &app,
            &format!("{url}/votes"),
            e,
            &[
                ("vote.4.1", "approve"),
                ("vote.5.1", "approve"),
                ("vote.6.1", "approve_with_changes"),
                ("comment.6.1", "say how often"),
            ],
        )
        .await;
        assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.html);
    }
    let p = get(&app, &url, Some(&experts[0])).await;
    assert!(
        p.html.contains("value=\"approve_with_changes\" selected"),
        "{}",
        p.html
    );
    assert!(p.html.contains("data-outcome=\"passed\""), "{}", p.html);
    let mut dump = String::new();
    dump += &post_zh(
        &app,
        &format!("{url}/conclude"),
        &secretary,
        &[("consultation_ends_on", "2026-12-01")],
    )
    .await;
    dump += &post_zh(
        &app,
        &format!("{url}/reviewers"),
        &secretary,
        &[("person_ids", &ids[3])],
    )
    .await;
    dump += &post_zh(&app, &format!("{url}/close-consultation"), &secretary, &[]).await;
    dump += &post_zh(
        &app,
        "/standards/drafts/new",
        &applicant,
        &[
            ("kind", "new"),
            ("code", "T/TICORR 910-2026"),
            ("justification", ""),
        ],
    )
    .await;
    dump += &post_zh(
        &app,
        &format!("{url}/votes"),
        &experts[3],
        &[("vote.4.1", "reject")],
    )
    .await;
    std::fs::write("/tmp/zh_errors.html", dump).unwrap();
    let p = post(
        &app,
        &format!("{url}/conclude"),
        &secretary,
        &[("consultation_ends_on", "2026-12-01")],
    )
    .await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", p.html);
    let p = get(&app, &url, Some(&secretary)).await;
    let default = p
        .html
        .split("name=\"consultation_ends_on\" type=\"date\" value=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_owned();
    let p = post(
        &app,
        &format!("{url}/conclude"),
        &secretary,
        &[("consultation_ends_on", &default)],
    )
    .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.html);

    // Consultation: anyone comments; the secretariat disposes.
    let p = get(&app, &url, Some(&other)).await;
    assert!(p.html.contains("form-comment"), "{}", p.html);
    let p = post(
        &app,
        &format!("{url}/comments"),
        &other,
        &[("clause_number", "4.1"), ("text", "")],
    )
    .await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", p.html);
    let p = post(
        &app,
        &format!("{url}/comments"),
        &other,
        &[("clause_number", "4.1"), ("text", "60 is too low")],
    )
    .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.html);
    let p = get(&app, &url, Some(&secretary)).await;
    let cid = p
        .html
        .split("id=\"form-dispose-")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_owned();
    let p = post(
        &app,
        &format!("{url}/comments/{cid}/dispose"),
        &secretary,
        &[("disposition", "not_accepted"), ("reason", "")],
    )
    .await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", p.html);
    let p = post(
        &app,
        &format!("{url}/comments/{cid}/dispose"),
        &secretary,
        &[("disposition", "not_accepted"), ("reason", "data says 60")],
    )
    .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.html);
    let p = post(&app, &format!("{url}/close-consultation"), &secretary, &[]).await;
    assert_eq!(p.status, StatusCode::CONFLICT, "{}", p.html);
    assert!(
        p.html.contains("public consultation runs until"),
        "{}",
        p.html
    );
    app.clock.advance(time::Duration::days(40));
    let secretary = Login {
        token: app.login(&secretary.email, &secretary.password).await,
        ..secretary
    };
    let other = Login {
        token: app.login(&other.email, &other.password).await,
        ..other
    };
    let applicant = Login {
        token: app.login(&applicant.email, &applicant.password).await,
        ..applicant
    };
    let p = post(&app, &format!("{url}/close-consultation"), &secretary, &[]).await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.html);
    // Consultation closed: the applicant folds a change in (no resubmission), on record.
    let page = get(&app, &url, Some(&applicant)).await.html;
    assert!(page.contains("approved-edit-hint") && !page.contains("draft-submit"));
    let p = post(
        &app,
        &format!("{url}/clauses/save"),
        &applicant,
        &[
            ("stamp", &stamp(&page)),
            ("original", "4.1"),
            ("number", "4.1"),
            ("kind", "mandatory"),
            ("text_zh", "温度应不高于 60 °C（在盐水出口测量）。"),
            ("text_en", "Keep at or below 60 °C (measured at the brine outlet)."),
            ("risk_grades", "I"),
            ("risk_grades", "II"),
            ("risk_grades", "III"),
            ("risk_grades", "IV"),
            ("applies_json", "{\"grades\": [\"1\", \"2\"]}"),
            ("limit_json", "{\"parameter\": \"temperature_c\", \"op\": \"<=\", \"value\": 60, \"unit\": \"°C\"}"),
        ],
    )
    .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.html);
    let history = get(&app, &url, Some(&applicant)).await.html;
    assert!(history.contains("征求意见后修改"), "{history}");
    let p = post(
        &app,
        &format!("{url}/release"),
        &secretary,
        &[("effective_on", "2027-02-01")],
    )
    .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.html);
    let p = get(&app, &url, None).await;
    assert_eq!(p.status, StatusCode::OK, "{}", p.html);
    assert!(p.html.contains("draft-released"), "{}", p.html);
    let zh = p.html;
    assert!(zh.contains("专家评审"));
    let en_page = en(&app, &url, &other).await;
    assert!(en_page.contains("Expert review"), "{en_page}");

    // The versions compared, as the notification links.
    let p = get(
        &app,
        &format!("/standards/{sid}/diff?from=1.0&to=2.0"),
        None,
    )
    .await;
    assert_eq!(p.status, StatusCode::OK, "{}", p.html);
    assert!(p.html.contains("<del>7</del><ins>6</ins>"), "{}", p.html);
    let p = get(&app, &format!("/standards/{sid}"), None).await;
    assert!(
        p.html.contains("data-stage=\"superseded\"") && p.html.contains("compare-link"),
        "{}",
        p.html
    );
    assert!(p.html.contains("data-action=\"released\""), "{}", p.html);
    let p = get(&app, "/standards/drafts?stage=released", None).await;
    assert_eq!(p.status, StatusCode::OK, "{}", p.html);
    assert!(p.html.contains("drafts-table"), "{}", p.html);
    let p = get(&app, "/standards/drafts?stage=bogus", Some(&secretary)).await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", p.html);
    let p = post(
        &app,
        &format!("/standards/{sid}/reaffirm"),
        &secretary,
        &[("note", "fine")],
    )
    .await;
    assert_eq!(p.status, StatusCode::CONFLICT, "{}", p.html);
    std::fs::write("/tmp/draft_page.html", &zh).unwrap();
    std::fs::write("/tmp/draft_page_en.html", &en_page).unwrap();
    std::fs::write(
        "/tmp/diff_page.html",
        get(
            &app,
            &format!("/standards/{sid}/diff?from=1.0&to=2.0&all=1"),
            None,
        )
        .await
        .html,
    )
    .unwrap();
    std::fs::write(
        "/tmp/standard_page.html",
        get(&app, &format!("/standards/{sid}"), Some(&applicant))
            .await
            .html,
    )
    .unwrap();
}

ticorr_test_support::on_both_engines!(the_lifecycle_through_the_pages);
