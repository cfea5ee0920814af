//! Local supplementary clauses through their pages: the form (a refusal keeps what was
//! typed and writes nothing), the comparison with the unified clause, an expert's verdict,
//! engineering applications, and the secretariat's promotion into a revision.

use crate::pages::{cookie, csrf_in};
use crate::standards_lifecycle::expert;
use axum::http::StatusCode;
use serde_json::{Value, json};
use ticorr_kernel::{Level, OrgKind, Role};
use ticorr_test_support::{Login, TestApp};

struct World {
    app: TestApp,
    secretary: Login,
    /// Eligible experts of three other organisations.
    experts: Vec<Login>,
    /// The holder: an enterprise with a Gr2 brine heater at 65 °C.
    holder: Login,
    /// Another enterprise, with a pure-water heater.
    other: Login,
    standard_id: String,
}

async fn world(app: TestApp) -> World {
    let association = app.org(OrgKind::Association, &[]).await;
    let secretary = app.person(association, Role::Member).await;
    let mut experts = Vec::new();
    for _ in 0..3 {
        let org = app.org(OrgKind::Research, &[]).await;
        experts.push(expert(&app, org, &["operation"]).await);
    }
    let holder_org = app.org(OrgKind::Enterprise, &[]).await;
    let holder = app.person(holder_org, Role::Admin).await;
    let other_org = app.org(OrgKind::Enterprise, &[]).await;
    let other = app.person(other_org, Role::Admin).await;
    for (who, body) in [
        (
            &holder,
            json!({"tag": "E-101", "name": "盐水加热器", "equipment_type": "plate_heat_exchanger",
                   "grade": "2", "temperature_c": 65, "chloride_mg_l": 150000, "process_medium": "饱和盐水"}),
        ),
        (
            &other,
            json!({"tag": "H-1", "name": "纯水加热器", "equipment_type": "immersion_heater",
                   "grade": "2", "temperature_c": 40, "chloride_mg_l": 0, "process_medium": "纯水"}),
        ),
    ] {
        let res = app
            .post_json("/api/v1/equipment", Some(&who.token), &body)
            .await;
        assert_eq!(res.status, StatusCode::CREATED, "{}", res.text());
    }
    let input: ticorr_standards::StandardInput = serde_json::from_value(json!({
        "code": "T/TICORR 910-2026", "origin": "platform",
        "title_en": "Operating limits for titanium in brine", "title_zh": "盐水介质钛设备运行限值",
        "scope_en": "Titanium heat exchangers in chloride brine.", "scope_zh": "氯化物盐水中的钛换热器。",
        "topic": "operation", "references": [], "review_interval_months": 36,
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
    }))
    .unwrap();
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
        experts,
        holder,
        other,
        standard_id,
    }
}

struct Page {
    status: StatusCode,
    html: String,
    location: Option<String>,
}

/// A page in English, as `who` sees it.
async fn en(app: &TestApp, path: &str, who: &Login) -> Page {
    let r = app
        .get_with_cookies(path, &format!("{}; ticorr_lang=en", cookie(who)))
        .await;
    Page {
        status: r.status,
        location: r.header("location").map(str::to_owned),
        html: r.text(),
    }
}

/// Posts a form with `who`'s anti-forgery token, in `lang`.
async fn post_in(
    app: &TestApp,
    lang: &str,
    path: &str,
    who: &Login,
    form: &[(&str, &str)],
) -> Page {
    let page = app
        .get_with_cookies("/standards", &cookie(who))
        .await
        .text();
    let csrf = csrf_in(&page);
    let mut f: Vec<(&str, &str)> = vec![("_csrf", csrf.as_str())];
    f.extend_from_slice(form);
    let r = app
        .post_form(path, &format!("{}; ticorr_lang={lang}", cookie(who)), &f)
        .await;
    Page {
        status: r.status,
        location: r.header("location").map(str::to_owned),
        html: r.text(),
    }
}

async fn post(app: &TestApp, path: &str, who: &Login, form: &[(&str, &str)]) -> Page {
    post_in(app, "en", path, who, form).await
}

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

async fn status_of(app: &TestApp, id: &str, who: &Login) -> Value {
    app.get(
        &format!("/api/v1/standards/supplements/{id}"),
        Some(&who.token),
    )
    .await
    .json()["supplement"]["status"]
        .clone()
}

/// The form's fields for the holder's clause; `overrides` replace or add fields.
fn fields<'a>(clause_id: &'a str, overrides: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut f: Vec<(&str, &str)> = vec![
        ("base_clause_id", clause_id),
        ("number", "ZJ-4.1"),
        (
            "text_zh",
            "沿海高湿地区，与盐水接触的 Gr2 钛材温度应不高于 60 °C。",
        ),
        (
            "text_en",
            "In humid coastal sites, Gr2 wetted by brine shall be kept at or below 60 °C.",
        ),
        (
            "justification",
            "Two crevice-corrosion cases at 62–68 °C on the Zhejiang coast.",
        ),
        ("provinces", "330000"),
        ("media", "brine"),
        ("limit.1.parameter", "temperature_c"),
        ("limit.1.op", "<="),
        ("limit.1.value", "60"),
        ("limit.1.unit", ""),
        ("limit.2.parameter", ""),
        ("limit.2.op", "<"),
        ("limit.2.value", ""),
        ("level", "industry"),
        ("park_id", ""),
    ];
    for (k, v) in overrides {
        match f.iter_mut().find(|(name, _)| name == k) {
            Some(slot) => slot.1 = v,
            None => f.push((k, v)),
        }
    }
    f
}

async fn a_supplementary_clause_goes_through_its_pages(app: TestApp) {
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
    let clause_id = clauses["clauses"][0]["id"].as_str().unwrap().to_owned();

    // The ways in: the standard's clauses, the standards list and the proposals list.
    let p = en(app, &format!("/standards/{}", w.standard_id), &w.holder).await;
    assert_eq!(p.status, StatusCode::OK, "{}", p.html);
    assert!(
        p.html.contains(&format!(
            "/standards/supplements/new?standard_id={}&amp;clause_id={clause_id}",
            w.standard_id
        )),
        "{}",
        p.html
    );
    assert!(p.html.contains("Add a local supplement"));
    let anonymous = app
        .get(&format!("/standards/{}", w.standard_id), None)
        .await
        .text();
    assert!(!anonymous.contains("data-supplement-for"), "{anonymous}");
    for path in ["/standards", "/standards/drafts"] {
        let p = en(app, path, &w.holder).await;
        assert!(
            p.html.contains("href=\"/standards/supplements\""),
            "{path}: {}",
            p.html
        );
    }
    let p = en(app, "/standards/supplements", &w.holder).await;
    assert_eq!(p.status, StatusCode::OK, "{}", p.html);
    assert!(p.html.contains("supplements-none"), "{}", p.html);
    assert!(p.html.contains("new-supplement-link"), "{}", p.html);
    assert_eq!(
        app.get("/standards/supplements", None).await.status,
        StatusCode::SEE_OTHER,
        "sign in first"
    );

    // The form: a standard first, then its clauses; or the clause named, read-only.
    let p = en(app, "/standards/supplements/new", &w.holder).await;
    assert_eq!(p.status, StatusCode::OK, "{}", p.html);
    assert!(p.html.contains("id=\"pick-standard\""), "{}", p.html);
    assert!(
        p.html
            .contains(&format!("<option value=\"{}\"", w.standard_id)),
        "{}",
        p.html
    );
    assert!(p.html.contains("pick-standard-first"));
    let p = en(
        app,
        &format!("/standards/supplements/new?standard_id={}", w.standard_id),
        &w.holder,
    )
    .await;
    assert!(
        p.html.contains(&format!("<option value=\"{clause_id}\"")),
        "{}",
        p.html
    );
    let p = en(
        app,
        &format!("/standards/supplements/new?clause_id={clause_id}"),
        &w.holder,
    )
    .await;
    assert_eq!(p.status, StatusCode::OK, "{}", p.html);
    assert!(
        p.html
            .contains(&format!("name=\"base_clause_id\" value=\"{clause_id}\"")),
        "{}",
        p.html
    );
    assert!(
        p.html
            .contains("Gr1 and Gr2 wetted by chloride brine shall be kept at or below 70 °C."),
        "the unified clause's text"
    );
    assert!(p.html.contains("temperature_c ≤ 70 °C"), "and its limit");
    assert!(
        p.html.contains("value=\"temperature_c\""),
        "the risk model's measured inputs are the parameters"
    );
    assert!(!p.html.contains("value=\"crevice_present\""), "not flags");
    assert!(
        p.html
            .contains("Shared: for expert verification and for others to apply."),
        "{}",
        p.html
    );

    // Refused forms come back with what was typed; nothing is written.
    let before = app.count("supplementary_clauses", "1 = 1").await;
    let p = post(
        app,
        "/standards/supplements/new",
        &w.holder,
        &fields(&clause_id, &[("limit.1.value", "sixty")]),
    )
    .await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", p.html);
    assert!(p.html.contains("err-limits"), "{}", p.html);
    assert!(p.html.contains("value=\"sixty\""), "{}", p.html);
    assert!(p.html.contains("value=\"ZJ-4.1\""), "{}", p.html);
    let p = post(
        app,
        "/standards/supplements/new",
        &w.holder,
        &fields(
            &clause_id,
            &[("justification", ""), ("provinces", "330000")],
        ),
    )
    .await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", p.html);
    assert!(p.html.contains("err-justification"), "{}", p.html);
    assert!(
        p.html
            .contains("In humid coastal sites, Gr2 wetted by brine"),
        "{}",
        p.html
    );
    assert!(p.html.contains("value=\"330000\""), "{}", p.html);
    assert!(p.html.contains("value=\"industry\" checked"), "{}", p.html);
    assert!(
        p.html
            .contains(&format!("name=\"base_clause_id\" value=\"{clause_id}\"")),
        "the clause stays chosen"
    );
    let zh = post_in(
        app,
        "zh-CN",
        "/standards/supplements/new",
        &w.holder,
        &fields(&clause_id, &[("text_en", ""), ("provinces", "339999")]),
    )
    .await;
    assert_eq!(zh.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", zh.html);
    assert!(zh.html.contains("不是 GB/T 2260 省级代码"), "{}", zh.html);
    assert_eq!(
        app.count("supplementary_clauses", "1 = 1").await,
        before,
        "nothing written"
    );

    // Recorded, shared at the industry level.
    let p = post(
        app,
        "/standards/supplements/new",
        &w.holder,
        &fields(&clause_id, &[]),
    )
    .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.html);
    let location = p.location.unwrap();
    assert!(location.ends_with("?done=supplement-created"), "{location}");
    let id = location
        .trim_start_matches("/standards/supplements/")
        .split('?')
        .next()
        .unwrap()
        .to_owned();
    let url = format!("/standards/supplements/{id}");

    // Its page: side by side with the unified clause, compared limit by limit.
    let p = en(app, &location, &w.holder).await;
    assert_eq!(p.status, StatusCode::OK, "{}", p.html);
    assert!(p.html.contains("id=\"notice\""), "{}", p.html);
    assert!(
        p.html.contains("data-status=\"verification\""),
        "{}",
        p.html
    );
    assert!(
        p.html
            .contains("Gr1 and Gr2 wetted by chloride brine shall be kept at or below 70 °C.")
    );
    assert!(
        p.html.contains(
            "In humid coastal sites, Gr2 wetted by brine shall be kept at or below 60 °C."
        )
    );
    let table = p.html.split("id=\"comparison-table\"").nth(1).unwrap();
    assert!(table.contains("temperature_c ≤ 70 °C"), "{table}");
    assert!(
        table.contains("temperature_c ≤ 60 °C"),
        "the unit defaults to the model's: {table}"
    );
    assert!(table.contains("<tr data-verdict=\"stricter\">"), "{table}");
    assert!(table.contains("badge strictness-stricter"));
    assert!(
        p.html
            .contains("a lower upper bound or a higher lower bound is stricter")
    );
    assert!(p.html.contains("330000 Zhejiang"), "{}", p.html);
    assert!(p.html.contains("0 of 3 verdicts needed"), "{}", p.html);
    assert!(
        !p.html.contains("id=\"form-verdict\""),
        "the holder gives no verdict"
    );
    assert!(!p.html.contains("id=\"form-promote\""));

    // The list, filtered by status.
    let p = en(app, "/standards/supplements?status=verification", &w.other).await;
    assert!(
        p.html.contains(&format!("data-supplement=\"{id}\"")),
        "shared at the industry level: {}",
        p.html
    );
    assert!(
        p.html
            .contains(&format!("href=\"/standards/{}#clause-4.1\"", w.standard_id))
    );
    let p = en(app, "/standards/supplements?status=verified", &w.other).await;
    assert!(!p.html.contains(&format!("data-supplement=\"{id}\"")));

    // Verdicts through the form: a refusal keeps the choice; three decide.
    let p = en(app, &url, &w.experts[0]).await;
    assert!(p.html.contains("id=\"form-verdict\""), "{}", p.html);
    let p = post(
        app,
        &format!("{url}/verdicts"),
        &w.experts[0],
        &[("verdict", "stricter"), ("reason", "")],
    )
    .await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", p.html);
    assert!(p.html.contains("value=\"stricter\" selected"), "{}", p.html);
    assert_eq!(app.count("supplementary_verdicts", "1 = 1").await, 0);
    for (e, v) in [(0, "stricter"), (1, "stricter"), (2, "equivalent")] {
        let p = post(
            app,
            &format!("{url}/verdicts"),
            &w.experts[e],
            &[
                ("verdict", v),
                (
                    "reason",
                    "60 °C sits below the crevice threshold of the rule file",
                ),
            ],
        )
        .await;
        assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.html);
        assert_eq!(
            p.location.as_deref(),
            Some(format!("{url}?done=supplement-verdict-saved").as_str())
        );
    }
    let p = en(app, &url, &w.holder).await;
    assert!(p.html.contains("data-status=\"verified\""), "{}", p.html);
    let verdicts = p.html.split("id=\"verdicts-table\"").nth(1).unwrap();
    assert_eq!(verdicts.matches("<tr data-verdict=").count(), 3);
    assert!(p.html.contains("data-outcome=\"stricter\""), "{}", p.html);
    assert!(p.html.contains("3 of 3 verdicts needed"), "{}", p.html);
    assert!(p.html.contains("not equivalent when at least half say so"));

    // Applications through the form: on one's own items; a future date is refused.
    let mine = item_id(app, &w.holder, "E-101").await;
    let theirs = item_id(app, &w.other, "H-1").await;
    assert!(p.html.contains("id=\"form-application\""), "{}", p.html);
    assert!(
        p.html.contains(&format!("<option value=\"{mine}\"")),
        "the holder's own item is offered"
    );
    assert!(!p.html.contains(&theirs), "no one else's");
    let p = post(
        app,
        &format!("{url}/applications"),
        &w.holder,
        &[
            ("equipment_id", mine.as_str()),
            ("applied_from", "2027-01-01"),
            ("outcome", "effective"),
            ("note", "no crevice attack at the gasket seats"),
        ],
    )
    .await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", p.html);
    assert!(p.html.contains("no crevice attack at the gasket seats"));
    assert!(p.html.contains("value=\"2027-01-01\""));
    assert_eq!(app.count("supplementary_applications", "1 = 1").await, 0);
    for (who, item) in [
        (&w.holder, mine.as_str()),
        (&w.holder, ""),
        (&w.other, theirs.as_str()),
    ] {
        let p = post(
            app,
            &format!("{url}/applications"),
            who,
            &[
                ("equipment_id", item),
                ("applied_from", "2026-06-01"),
                ("outcome", "effective"),
                (
                    "note",
                    "no crevice attack at the gasket seats after six months",
                ),
            ],
        )
        .await;
        assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.html);
        assert_eq!(
            p.location.as_deref(),
            Some(format!("{url}?done=supplement-application-recorded").as_str())
        );
    }
    assert_eq!(status_of(app, &id, &w.holder).await, "promotion_proposed");
    let p = en(app, &url, &w.holder).await;
    let table = p.html.split("id=\"applications-table\"").nth(1).unwrap();
    assert_eq!(table.matches("<tr data-outcome=\"effective\">").count(), 3);
    assert!(table.contains("E-101"), "the holder sees its own tag");
    assert!(!table.contains("H-1"), "not another organisation's");
    assert!(
        p.html
            .contains("3 of 3 effective applications, 2 of 2 organisations."),
        "{}",
        p.html
    );
    assert!(p.html.contains("data-ready=\"true\""));
    assert!(
        !p.html.contains("id=\"form-promote\""),
        "the holder cannot promote"
    );

    // The matched clause on the item's page shows the local clause and its limit.
    let p = en(app, &format!("/equipment/{mine}/standards"), &w.holder).await;
    assert_eq!(p.status, StatusCode::OK, "{}", p.html);
    let local = p.html.split(&format!("data-supplement=\"{id}\"")).nth(1);
    let local = local.unwrap_or_else(|| panic!("{}", p.html));
    assert!(local.contains("ZJ-4.1"));
    assert!(
        local.contains(&format!("href=\"/standards/supplements/{id}\"")),
        "{local}"
    );
    assert!(
        local.contains("limit limit-exceeded"),
        "65 °C exceeds the local 60 °C: {local}"
    );

    // Promotion: the button for the secretariat only, and it opens the revision proposal.
    let p = en(app, &url, &w.secretary).await;
    assert_eq!(p.status, StatusCode::OK, "{}", p.html);
    assert!(p.html.contains("id=\"form-promote\""), "{}", p.html);
    assert!(p.html.contains("Platform convention"), "the rule's source");
    let p = post(app, &format!("{url}/promote"), &w.holder, &[]).await;
    assert!(
        p.status == StatusCode::FORBIDDEN || p.status == StatusCode::NOT_FOUND,
        "{}",
        p.status
    );
    let p = post(app, &format!("{url}/promote"), &w.secretary, &[]).await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.html);
    let location = p.location.unwrap();
    assert!(
        location.starts_with("/standards/drafts/")
            && location.ends_with("?done=supplement-promoted"),
        "{location}"
    );
    let draft_id = location
        .trim_start_matches("/standards/drafts/")
        .split('?')
        .next()
        .unwrap()
        .to_owned();
    let p = en(app, &location, &w.secretary).await;
    assert_eq!(p.status, StatusCode::OK, "{}", p.html);
    assert!(p.html.contains("this revision proposal carries it"));
    assert!(p.html.contains("4.1.1"), "the promoted clause");
    let p = en(app, &url, &w.secretary).await;
    assert!(p.html.contains("data-status=\"promoted\""));
    assert!(
        p.html
            .contains(&format!("href=\"/standards/drafts/{draft_id}\"")),
        "{}",
        p.html
    );
    assert!(!p.html.contains("id=\"form-promote\""), "promoted once");
    let p = post(app, &format!("{url}/promote"), &w.secretary, &[]).await;
    assert_eq!(p.status, StatusCode::CONFLICT, "{}", p.html);
    assert!(p.html.contains("id=\"errors\""), "{}", p.html);
}

/// An organisation that is not the holder cannot read a private supplementary clause's
/// page; a park-level one needs a park of the caller's.
async fn a_private_clause_stays_with_its_holder(app: TestApp) {
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
    let clause_id = clauses["clauses"][0]["id"].as_str().unwrap().to_owned();
    let p = post(
        app,
        "/standards/supplements/new",
        &w.holder,
        &fields(&clause_id, &[("level", "park")]),
    )
    .await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", p.html);
    assert!(p.html.contains("err-park_id"), "{}", p.html);
    let p = post(
        app,
        "/standards/supplements/new",
        &w.holder,
        &fields(&clause_id, &[("level", "private")]),
    )
    .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.html);
    let url = p.location.unwrap();
    let url = url.split('?').next().unwrap();
    let p = en(app, url, &w.holder).await;
    assert!(p.html.contains("data-status=\"local\""), "{}", p.html);
    assert!(
        p.html.contains("verdicts-none"),
        "no verdicts on a local clause"
    );
    assert!(!p.html.contains("id=\"form-verdict\""));
    assert_eq!(en(app, url, &w.other).await.status, StatusCode::NOT_FOUND);
    assert_eq!(
        en(app, url, &w.experts[0]).await.status,
        StatusCode::NOT_FOUND
    );
    let p = en(app, "/standards/supplements", &w.other).await;
    assert!(p.html.contains("supplements-none"), "{}", p.html);

    // At the park level the page names the park it is shared with.
    let park = app.org(OrgKind::Park, &[]).await;
    let settled_org = app.org(OrgKind::Enterprise, &[park]).await;
    let settled = app.person(settled_org, Role::Admin).await;
    let park_id = park.to_string();
    let p = post(
        app,
        "/standards/supplements/new",
        &settled,
        &fields(&clause_id, &[("level", "park"), ("park_id", &park_id)]),
    )
    .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.html);
    let url = p.location.unwrap();
    let p = en(app, url.split('?').next().unwrap(), &settled).await;
    let named = p
        .html
        .split("id=\"supplement-park\">")
        .nth(1)
        .and_then(|s| s.split('<').next())
        .unwrap_or_default()
        .to_owned();
    assert!(named.starts_with("测试park单位"), "{}", p.html);
}

ticorr_test_support::on_both_engines!(
    a_supplementary_clause_goes_through_its_pages,
    a_private_clause_stays_with_its_holder,
);
