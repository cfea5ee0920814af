//! Attachments: files on equipment items. Types from the bytes, the size limit, access by
//! the item's level, download headers, hashes, thumbnails, deletion, and the ledger.

use std::io::Cursor;

use axum::body::Body;
use axum::body::Bytes;
use axum::http::{Request, StatusCode, header};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use ticorr_kernel::{OrgId, OrgKind, Role, SessionId};
use ticorr_platform::attachments::{self, Owner};
use ticorr_platform::identity::orgs;
use ticorr_platform::ledger;
use ticorr_platform::{Actor, Caller, Principal, Via};
use ticorr_test_support::{Login, TestApp};

pub(crate) const PDF: &[u8] =
    b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n";

/// Windows executables start with `MZ`.
const EXE: &[u8] = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00\xb8\x00\x00\x00";

fn png(w: u32, h: u32) -> Vec<u8> {
    let img = image::RgbImage::from_fn(w, h, |x, y| {
        image::Rgb([(x % 256) as u8, (y % 256) as u8, 90])
    });
    let mut out = Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

fn sha256_hex(b: &[u8]) -> String {
    Sha256::digest(b)
        .iter()
        .map(|x| format!("{x:02x}"))
        .collect()
}

/// A multipart body with one `file` part. The part's Content-Type is the client's claim,
/// which the server ignores.
pub(crate) fn multipart(
    name: &str,
    claimed_type: &str,
    bytes: &[u8],
    extra: &[(&str, &str)],
) -> (String, Vec<u8>) {
    let boundary = "ticorr-test-boundary-5d1c2e";
    let mut body = Vec::new();
    for (k, v) in extra {
        body.extend(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n")
                .as_bytes(),
        );
    }
    body.extend(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\nContent-Type: {claimed_type}\r\n\r\n"
        )
        .as_bytes(),
    );
    body.extend(bytes);
    body.extend(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

async fn item(app: &TestApp, who: &Login, tag: &str, level: &str, park: Option<OrgId>) -> String {
    let mut body = json!({"tag": tag, "name": "冷凝器", "equipment_type": "condenser", "grade": "2", "level": level});
    if let Some(p) = park {
        body["park_id"] = json!(p.to_string());
    }
    let r = app
        .post_json("/api/v1/equipment", Some(&who.token), &body)
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    r.json()["id"].as_str().unwrap().to_owned()
}

async fn upload(
    app: &TestApp,
    who: &Login,
    item: &str,
    name: &str,
    bytes: &[u8],
) -> (StatusCode, Value) {
    let (ct, body) = multipart(name, "application/pdf", bytes, &[]);
    let r = app
        .post_body(
            &format!("/api/v1/equipment/{item}/attachments"),
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

fn object_path(app: &TestApp, key: &str) -> std::path::PathBuf {
    app.state.config.data_dir.join("objects").join(key)
}

async fn an_image_is_stored_with_its_hash_headers_and_a_thumbnail(app: TestApp) {
    let org = app.org(OrgKind::Enterprise, &[]).await;
    let who = app.person(org, Role::Member).await;
    let id = item(&app, &who, "C-1", "private", None).await;
    let bytes = png(640, 320);
    // The client claims a PDF; the bytes say PNG, and the name agrees with the bytes.
    let (status, a) = upload(&app, &who, &id, "金相照片 1.png", &bytes).await;
    assert_eq!(status, StatusCode::CREATED, "{a}");
    assert_eq!(a["kind"], "png");
    assert_eq!(a["content_type"], "image/png");
    assert_eq!(a["file_name"], "金相照片 1.png");
    assert_eq!(a["size_bytes"], bytes.len() as u64);
    assert_eq!(a["sha256"], sha256_hex(&bytes));
    assert_eq!(a["has_thumbnail"], true);
    assert_eq!(a["owner_kind"], "equipment");
    assert_eq!(a["owner_id"], id.as_str());
    assert!(a["ledger"].is_null(), "equipment items are not anchored");
    let aid = a["id"].as_str().unwrap();

    let list = app
        .get(
            &format!("/api/v1/equipment/{id}/attachments"),
            Some(&who.token),
        )
        .await;
    assert_eq!(list.status, StatusCode::OK);
    assert_eq!(list.json()["items"].as_array().unwrap().len(), 1);
    assert_eq!(list.json()["max_bytes"], 20 * 1024 * 1024);

    let got = app
        .get(&format!("/api/v1/attachments/{aid}"), Some(&who.token))
        .await;
    assert_eq!(got.status, StatusCode::OK);
    assert_eq!(got.body.as_ref(), bytes.as_slice());
    assert_eq!(sha256_hex(&got.body), a["sha256"].as_str().unwrap());
    assert_eq!(got.header("content-type"), Some("image/png"));
    assert_eq!(got.header("x-content-type-options"), Some("nosniff"));
    assert_eq!(
        got.header("content-disposition"),
        Some(
            "attachment; filename=\"____ 1.png\"; filename*=UTF-8''%E9%87%91%E7%9B%B8%E7%85%A7%E7%89%87%201.png"
        )
    );
    assert_eq!(
        got.header("etag"),
        Some(format!("\"{}\"", sha256_hex(&bytes)).as_str())
    );
    assert!(got.header("cache-control").unwrap().contains("private"));

    let thumb = app
        .get(
            &format!("/api/v1/attachments/{aid}/thumbnail"),
            Some(&who.token),
        )
        .await;
    assert_eq!(thumb.status, StatusCode::OK);
    assert_eq!(thumb.header("content-type"), Some("image/png"));
    let small = image::load_from_memory(&thumb.body).unwrap();
    assert_eq!((small.width(), small.height()), (256, 128));
}

async fn a_pdf_is_stored_without_a_thumbnail(app: TestApp) {
    let org = app.org(OrgKind::Enterprise, &[]).await;
    let who = app.person(org, Role::Member).await;
    let id = item(&app, &who, "C-2", "private", None).await;
    let (status, a) = upload(&app, &who, &id, "检测报告.pdf", PDF).await;
    assert_eq!(status, StatusCode::CREATED, "{a}");
    assert_eq!(a["kind"], "pdf");
    assert_eq!(a["has_thumbnail"], false);
    let aid = a["id"].as_str().unwrap();
    let thumb = app
        .get(
            &format!("/api/v1/attachments/{aid}/thumbnail"),
            Some(&who.token),
        )
        .await;
    assert_eq!(thumb.status, StatusCode::NOT_FOUND);
    let got = app
        .get(&format!("/api/v1/attachments/{aid}"), Some(&who.token))
        .await;
    assert_eq!(got.header("content-type"), Some("application/pdf"));
    assert!(!object_path(&app, &format!("thumbnails/{aid}.png")).exists());
}

async fn the_content_decides_the_type_not_the_name(app: TestApp) {
    let org = app.org(OrgKind::Enterprise, &[]).await;
    let who = app.person(org, Role::Member).await;
    let id = item(&app, &who, "C-3", "private", None).await;

    // A PNG named .pdf: refused, naming what it really is.
    let (status, p) = upload(&app, &who, &id, "report.pdf", &png(8, 8)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
    assert_eq!(p["type"], "/problems/validation");
    assert_eq!(p["errors"][0]["field"], "file");
    assert_eq!(p["errors"][0]["code"], "type_mismatch");
    assert!(
        p["detail"]
            .as_str()
            .unwrap()
            .contains(".pdf but the file is a PNG image"),
        "{p}"
    );

    // An executable renamed .pdf: an unknown type.
    let (status, p) = upload(&app, &who, &id, "report.pdf", EXE).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(p["errors"][0]["code"], "unknown_type");
    assert!(p["detail"].as_str().unwrap().contains("not accepted"));

    // Text named .html, and an empty file.
    let (status, p) = upload(&app, &who, &id, "x.html", b"<script>alert(1)</script>").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(p["errors"][0]["code"], "type_mismatch");
    let (status, p) = upload(&app, &who, &id, "empty.txt", b"").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(p["errors"][0]["code"], "empty");

    // A broken image: the signature of a PNG and nothing behind it.
    let (status, p) = upload(
        &app,
        &who,
        &id,
        "broken.png",
        b"\x89PNG\r\n\x1a\nrest is noise",
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(p["errors"][0]["code"], "broken_image");

    // Nothing was stored: no row, no object.
    assert_eq!(app.count("attachments", "1 = 1").await, 0);
    let objects = app.state.config.data_dir.join("objects");
    let leftovers: Vec<_> = walk(&objects);
    assert!(leftovers.is_empty(), "{leftovers:?}");

    // CSV is text with a .csv name; a body that is not multipart is refused.
    let (status, a) = upload(
        &app,
        &who,
        &id,
        "壁厚测量.csv",
        "位置,壁厚mm\nA,0.71\n".as_bytes(),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{a}");
    assert_eq!(a["kind"], "csv");
    assert_eq!(a["content_type"], "text/csv; charset=utf-8");
    let r = app
        .post_body(
            &format!("/api/v1/equipment/{id}/attachments"),
            Some(&who.token),
            "application/pdf",
            PDF.to_vec(),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = vec![];
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                out.extend(walk(&p));
            } else {
                out.push(p);
            }
        }
    }
    out
}

async fn files_over_the_limit_are_refused_naming_the_limit(app: TestApp) {
    let org = app.org(OrgKind::Enterprise, &[]).await;
    let who = app.person(org, Role::Member).await;
    let id = item(&app, &who, "C-4", "private", None).await;
    let limit = app.state.attachments.max_bytes() as usize;
    // One byte over: the body fits the route's limit, the file does not.
    let mut just_over = PDF.to_vec();
    just_over.resize(limit + 1, b' ');
    let (status, p) = upload(&app, &who, &id, "big.pdf", &just_over).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{p}");
    assert_eq!(p["type"], "/problems/file-too-large");
    assert_eq!(p["detail"], "the file is larger than the limit of 20 MiB");
    // Far over: the body itself is cut off while it is read.
    let mut far_over = PDF.to_vec();
    far_over.resize(limit + 512 * 1024, b' ');
    let (status, p) = upload(&app, &who, &id, "bigger.pdf", &far_over).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(p["detail"], "the file is larger than the limit of 20 MiB");
    assert_eq!(app.count("attachments", "1 = 1").await, 0);
    // Exactly at the limit is accepted.
    let mut at = PDF.to_vec();
    at.resize(limit, b' ');
    let (status, _) = upload(&app, &who, &id, "fits.pdf", &at).await;
    assert_eq!(status, StatusCode::CREATED);
}

async fn the_item_level_decides_who_sees_its_files(app: TestApp) {
    let park = app.org(OrgKind::Park, &[]).await;
    let owner_org = app.org(OrgKind::Enterprise, &[park]).await;
    let neighbour_org = app.org(OrgKind::Enterprise, &[park]).await;
    let stranger_org = app.org(OrgKind::Enterprise, &[]).await;
    let owner = app.person(owner_org, Role::Member).await;
    let neighbour = app.person(neighbour_org, Role::Member).await;
    let stranger = app.person(stranger_org, Role::Member).await;
    let private = item(&app, &owner, "C-L1", "private", None).await;
    let shared = item(&app, &owner, "C-L2", "park", Some(park)).await;
    let (_, a1) = upload(&app, &owner, &private, "a.pdf", PDF).await;
    let (_, a2) = upload(&app, &owner, &shared, "b.png", &png(16, 16)).await;
    let (a1, a2) = (a1["id"].as_str().unwrap(), a2["id"].as_str().unwrap());

    // Another organisation cannot list or fetch an L1 item's files: exactly as if missing.
    for who in [&neighbour, &stranger] {
        let list = app
            .get(
                &format!("/api/v1/equipment/{private}/attachments"),
                Some(&who.token),
            )
            .await;
        assert_eq!(list.status, StatusCode::NOT_FOUND);
        for path in [
            format!("/api/v1/attachments/{a1}"),
            format!("/api/v1/attachments/{a1}/thumbnail"),
        ] {
            let r = app.get(&path, Some(&who.token)).await;
            assert_eq!(r.status, StatusCode::NOT_FOUND, "{path}");
            assert_eq!(r.header("content-type"), Some("application/problem+json"));
        }
        let del = app
            .delete(&format!("/api/v1/attachments/{a1}"), Some(&who.token))
            .await;
        assert_eq!(del.status, StatusCode::NOT_FOUND);
    }
    let anon = app.get(&format!("/api/v1/attachments/{a1}"), None).await;
    assert_eq!(anon.status, StatusCode::NOT_FOUND);
    // The denied reads were audited.
    assert!(
        app.count(
            "audit_events",
            &format!("resource_type = 'attachment' AND resource_id = '{a1}' AND decision = 'deny'"),
        )
        .await
            >= 4
    );

    // The L2 item's files: the park's enterprises read them but may not delete or add.
    let list = app
        .get(
            &format!("/api/v1/equipment/{shared}/attachments"),
            Some(&neighbour.token),
        )
        .await;
    assert_eq!(list.status, StatusCode::OK);
    assert_eq!(list.json()["items"][0]["id"], a2);
    let got = app
        .get(
            &format!("/api/v1/attachments/{a2}/thumbnail"),
            Some(&neighbour.token),
        )
        .await;
    assert_eq!(got.status, StatusCode::OK);
    let del = app
        .delete(&format!("/api/v1/attachments/{a2}"), Some(&neighbour.token))
        .await;
    assert_eq!(del.status, StatusCode::FORBIDDEN);
    let (status, _) = upload(&app, &neighbour, &shared, "mine.pdf", PDF).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // Outside the park: nothing.
    let r = app
        .get(&format!("/api/v1/attachments/{a2}"), Some(&stranger.token))
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(app.count("attachments", "1 = 1").await, 2);
}

async fn deleting_removes_the_object_and_the_row(app: TestApp) {
    let org = app.org(OrgKind::Enterprise, &[]).await;
    let who = app.person(org, Role::Member).await;
    let id = item(&app, &who, "C-5", "private", None).await;
    let (_, a) = upload(&app, &who, &id, "m.png", &png(32, 32)).await;
    let aid = a["id"].as_str().unwrap().to_owned();
    let file = object_path(&app, &format!("attachments/{aid}"));
    let thumb = object_path(&app, &format!("thumbnails/{aid}.png"));
    assert!(file.exists() && thumb.exists());
    assert_eq!(
        std::fs::read(&file).unwrap().len(),
        a["size_bytes"].as_u64().unwrap() as usize
    );

    let r = app
        .delete(&format!("/api/v1/attachments/{aid}"), Some(&who.token))
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    assert_eq!(app.count("attachments", "1 = 1").await, 0);
    assert!(!file.exists() && !thumb.exists());
    assert_eq!(
        app.count(
            "audit_events",
            &format!("action = 'delete' AND resource_type = 'attachment' AND resource_id = '{aid}' AND decision = 'success'"),
        )
        .await,
        1
    );
    let gone = app
        .get(&format!("/api/v1/attachments/{aid}"), Some(&who.token))
        .await;
    assert_eq!(gone.status, StatusCode::NOT_FOUND);
    let again = app
        .delete(&format!("/api/v1/attachments/{aid}"), Some(&who.token))
        .await;
    assert_eq!(again.status, StatusCode::NOT_FOUND);

    // Deleting the item takes its files with it.
    let (_, b) = upload(&app, &who, &id, "n.pdf", PDF).await;
    let bid = b["id"].as_str().unwrap().to_owned();
    let r = app
        .delete(&format!("/api/v1/equipment/{id}"), Some(&who.token))
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    assert_eq!(app.count("attachments", "1 = 1").await, 0);
    assert!(!object_path(&app, &format!("attachments/{bid}")).exists());
}

/// A stored file whose bytes changed behind the platform's back is not served.
async fn a_tampered_object_is_not_served(app: TestApp) {
    let org = app.org(OrgKind::Enterprise, &[]).await;
    let who = app.person(org, Role::Member).await;
    let id = item(&app, &who, "C-6", "private", None).await;
    let (_, a) = upload(&app, &who, &id, "r.pdf", PDF).await;
    let aid = a["id"].as_str().unwrap();
    std::fs::write(
        object_path(&app, &format!("attachments/{aid}")),
        b"%PDF-1.7 forged",
    )
    .unwrap();
    let r = app
        .get(&format!("/api/v1/attachments/{aid}"), Some(&who.token))
        .await;
    assert_eq!(r.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert!(!r.text().contains("forged"));
}

async fn verify(app: &TestApp) -> ledger::VerifyReport {
    let db = app.state.db.clone();
    ledger::verify_all(&db, &app.state.ledger, |ty, id| {
        let db = db.clone();
        async move { ledger::records::current(&db, &ty, &id).await }
    })
    .await
    .unwrap()
}

/// Files of an anchored owner enter the ledger with their SHA-256, the page shows the
/// entry, `ledger verify` recomputes them, and a deleted anchored file stays a tombstone.
async fn files_of_anchored_owners_are_anchored_and_verify(app: TestApp) {
    let org = app.org(OrgKind::Enterprise, &[]).await;
    let who = app.person(org, Role::Member).await;
    let id = item(&app, &who, "C-7", "private", None).await;
    let (_, a) = upload(&app, &who, &id, "壁厚.pdf", PDF).await;
    let aid = a["id"].as_str().unwrap().to_owned();
    // The module anchors the item: its files follow in the same transaction.
    let mut tx = app.state.db.begin().await.unwrap();
    let n = attachments::anchor_owner(&mut tx, app.clock.now(), "equipment", &id)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(n, 1);
    let listed = app
        .get(
            &format!("/api/v1/equipment/{id}/attachments"),
            Some(&who.token),
        )
        .await
        .json();
    let entry = listed["items"][0]["ledger"].clone();
    assert_eq!(entry["version"], 1, "{listed}");
    let index = entry["index"].as_u64().unwrap();

    // The entry commits to the file's SHA-256 through the record's canonical form.
    let e = app
        .get(&format!("/api/v1/ledger/entries/{index}"), Some(&who.token))
        .await
        .json();
    assert_eq!(e["record_type"], "attachment");
    assert_eq!(e["record"]["sha256"], sha256_hex(PDF));
    // Others see the entry but not the record.
    let stranger = app
        .person(app.org(OrgKind::Enterprise, &[]).await, Role::Member)
        .await;
    let e2 = app
        .get(
            &format!("/api/v1/ledger/entries/{index}"),
            Some(&stranger.token),
        )
        .await
        .json();
    assert!(e2.get("record").is_none());
    let bundle = app
        .get(
            &format!("/api/v1/ledger/records/attachment/{aid}/bundle"),
            Some(&who.token),
        )
        .await;
    assert_eq!(bundle.status, StatusCode::OK, "{}", bundle.text());
    let bundle: ticorr_ledger::InclusionBundle = serde_json::from_slice(&bundle.body).unwrap();
    ticorr_ledger::verify_bundle(&bundle, &app.state.ledger.policy()).expect("the proof verifies");

    // The page shows the entry and the proof.
    let cookie = format!("__Host-ticorr_session={}", who.token);
    let page = app
        .get_with_cookies(&format!("/equipment/{id}"), &cookie)
        .await
        .text();
    assert!(
        page.contains(&format!("/api/v1/ledger/entries/{index}")),
        "{page}"
    );
    assert!(page.contains(&format!("/api/v1/ledger/records/attachment/{aid}/bundle")));

    let clean = verify(&app).await;
    assert!(clean.problems.is_empty(), "{:?}", clean.problems);
    assert_eq!(clean.records, 1);

    // A changed hash in the table is caught and named.
    sqlx::query("UPDATE attachments SET sha256 = $1 WHERE id = $2")
        .bind(sha256_hex(b"another file"))
        .bind(aid.clone())
        .execute(app.state.db.pool())
        .await
        .unwrap();
    let tampered = verify(&app).await;
    assert_eq!(tampered.problems.len(), 1, "{:?}", tampered.problems);
    assert!(tampered.problems[0].contains(&format!("attachment {aid}")));
    sqlx::query("UPDATE attachments SET sha256 = $1 WHERE id = $2")
        .bind(sha256_hex(PDF))
        .bind(aid.clone())
        .execute(app.state.db.pool())
        .await
        .unwrap();

    // Deleting an anchored file removes its bytes, keeps a tombstone and anchors it.
    let r = app
        .delete(&format!("/api/v1/attachments/{aid}"), Some(&who.token))
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    assert!(!object_path(&app, &format!("attachments/{aid}")).exists());
    assert_eq!(app.count("attachments", "deleted_at IS NOT NULL").await, 1);
    let listed = app
        .get(
            &format!("/api/v1/equipment/{id}/attachments"),
            Some(&who.token),
        )
        .await
        .json();
    assert!(listed["items"].as_array().unwrap().is_empty());
    assert_eq!(
        app.get(&format!("/api/v1/attachments/{aid}"), Some(&who.token))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    let after = verify(&app).await;
    assert!(after.problems.is_empty(), "{:?}", after.problems);
    assert_eq!(after.size, 2, "the tombstone is a second version");
}

/// An owner whose module anchors it (here an organisation, after its verification
/// decision was anchored) gets its files anchored at upload.
async fn a_file_of_an_anchored_owner_is_anchored_at_upload(app: TestApp) {
    let org = app.org(OrgKind::Enterprise, &[]).await;
    let who = app.person(org, Role::Admin).await;
    let mut tx = app.state.db.begin().await.unwrap();
    let record = orgs::load(&mut tx, org).await.unwrap().unwrap();
    ledger::anchor(&mut tx, app.clock.now(), &[record.ledger_anchor()])
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let owner = Owner {
        kind: "organization",
        id: org.to_string(),
        org,
        level: ticorr_kernel::Level::Private,
        parks: vec![],
        ledger_type: Some(orgs::LEDGER_TYPE),
    };
    let auth = Caller {
        principal: Principal::Person(Box::new(Actor {
            person_id: who.person_id,
            display_name: "管理员".into(),
            org_id: org,
            org_kind: OrgKind::Enterprise,
            org_name: record.name.clone(),
            org_verified: true,
            org_parks: vec![],
            role: Role::Admin,
            capacities: vec![],
            active: true,
            via: Via::Session(SessionId::new()),
        })),
        ip: None,
    };
    let a = attachments::upload(
        &app.state.db,
        &app.state.gate,
        &app.state.attachments,
        &auth,
        &owner,
        "营业执照.pdf",
        Bytes::from_static(PDF),
    )
    .await
    .unwrap();
    let entry = a.ledger.expect("anchored with its owner");
    assert_eq!(entry.index, 1);
    let clean = verify(&app).await;
    assert!(clean.problems.is_empty(), "{:?}", clean.problems);
    assert_eq!(clean.records, 2);
}

async fn the_item_page_lists_files_and_explains_refusals(app: TestApp) {
    let org = app.org(OrgKind::Enterprise, &[]).await;
    let who = app.person(org, Role::Member).await;
    let id = item(&app, &who, "C-8", "private", None).await;
    let (_, a) = upload(&app, &who, &id, "照片.png", &png(100, 50)).await;
    let aid = a["id"].as_str().unwrap().to_owned();
    let cookie = format!("__Host-ticorr_session={}", who.token);
    let page = app
        .get_with_cookies(&format!("/equipment/{id}"), &cookie)
        .await;
    let html = page.text();
    assert!(html.contains("id=\"attachments\""));
    assert!(html.contains(&format!("src=\"/api/v1/attachments/{aid}/thumbnail\"")));
    assert!(html.contains(&a["sha256"].as_str().unwrap()[..12]));
    assert!(html.contains("enctype=\"multipart/form-data\""));
    assert!(html.contains("20 MiB"));
    let csrf = html
        .split(&format!("action=\"/equipment/{id}/attachments\""))
        .nth(1)
        .unwrap()
        .split("name=\"_csrf\" value=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_owned();

    // A refused file: the page again, with the reason in Chinese, and nothing stored.
    let post = |name: &'static str, bytes: Vec<u8>, lang: &'static str| {
        let (ct, body) = multipart(name, "application/pdf", &bytes, &[("_csrf", csrf.as_str())]);
        let cookies = format!("{cookie}; ticorr_lang={lang}");
        Request::builder()
            .method("POST")
            .uri(format!("/equipment/{id}/attachments"))
            .header(header::COOKIE, cookies)
            .header(header::CONTENT_TYPE, ct)
            .body(Body::from(body))
            .unwrap()
    };
    let r = app.request(post("报告.pdf", png(4, 4), "zh-CN")).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text();
    assert!(
        html.contains("文件名后缀为 .pdf，但文件内容是PNG 图像"),
        "{html}"
    );
    assert!(html.contains("role=\"alert\""));
    let r = app.request(post("setup.pdf", EXE.to_vec(), "en")).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().contains("This type of file is not accepted"));
    assert_eq!(app.count("attachments", "1 = 1").await, 1);

    // An accepted file: back to the page with a notice.
    let r = app
        .request(post("规程.txt", "检验规程".as_bytes().to_vec(), "zh-CN"))
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    assert_eq!(
        r.header("location"),
        Some(format!("/equipment/{id}?done=attachment-added#attachments").as_str())
    );
    assert_eq!(app.count("attachments", "1 = 1").await, 2);

    // Without the form token nothing is stored.
    let (ct, body) = multipart("x.txt", "text/plain", b"x", &[("_csrf", "wrong")]);
    let r = app
        .request(
            Request::builder()
                .method("POST")
                .uri(format!("/equipment/{id}/attachments"))
                .header(header::COOKIE, &cookie)
                .header(header::CONTENT_TYPE, ct)
                .body(Body::from(body))
                .unwrap(),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(app.count("attachments", "1 = 1").await, 2);

    // Delete through the page.
    let r = app
        .post_form(
            &format!("/equipment/{id}/attachments/{aid}/delete"),
            &cookie,
            &[("_csrf", csrf.as_str())],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(app.count("attachments", "1 = 1").await, 1);

    // Someone of another organisation gets no section and no form.
    let other = app
        .person(app.org(OrgKind::Enterprise, &[]).await, Role::Member)
        .await;
    let r = app
        .get_with_cookies(
            &format!("/equipment/{id}"),
            &format!("__Host-ticorr_session={}", other.token),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}

ticorr_test_support::on_both_engines!(
    an_image_is_stored_with_its_hash_headers_and_a_thumbnail,
    a_pdf_is_stored_without_a_thumbnail,
    the_content_decides_the_type_not_the_name,
    files_over_the_limit_are_refused_naming_the_limit,
    the_item_level_decides_who_sees_its_files,
    deleting_removes_the_object_and_the_row,
    a_tampered_object_is_not_served,
    files_of_anchored_owners_are_anchored_and_verify,
    a_file_of_an_anchored_owner_is_anchored_at_upload,
    the_item_page_lists_files_and_explains_refusals,
);
