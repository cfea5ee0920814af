//! Encryption at rest: private notes sealed with the owner's data key, readable by the owner
//! only, surviving a master-key rotation, and gone for good once the key is destroyed.

use axum::http::{Method, StatusCode};
use serde_json::json;
use ticorr_kernel::{OrgId, OrgKind, Role};
use ticorr_platform::vault::{self, Vault};
use ticorr_test_support::{Login, TestApp};

const SECRET: &str = "2025-03 停车更换管束，费用 38.6 万元；联系人王工 13812345678";

async fn item(app: &TestApp, who: &Login, tag: &str, park: Option<OrgId>) -> String {
    let mut body = json!({"tag": tag, "name": "盐水加热器", "equipment_type": "plate_heat_exchanger", "grade": "Gr2"});
    if let Some(p) = park {
        body["level"] = json!("park");
        body["park_id"] = json!(p.to_string());
    }
    let r = app
        .post_json("/api/v1/equipment", Some(&who.token), &body)
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    r.json()["id"].as_str().unwrap().to_owned()
}

async fn put_notes(app: &TestApp, who: &Login, id: &str, text: &str) -> StatusCode {
    app.send_json(
        Method::PUT,
        &format!("/api/v1/equipment/{id}/notes"),
        Some(&who.token),
        &json!({ "text": text }),
    )
    .await
    .status
}

async fn notes_are_sealed_at_rest_and_only_the_owner_reads_them(app: TestApp) {
    let park = app.org(OrgKind::Park, &[]).await;
    let owner_org = app.org(OrgKind::Enterprise, &[park]).await;
    let owner = app.person(owner_org, Role::Member).await;
    let neighbour = app
        .person(app.org(OrgKind::Enterprise, &[park]).await, Role::Admin)
        .await;
    let stranger = app
        .person(app.org(OrgKind::Enterprise, &[]).await, Role::Admin)
        .await;
    let id = item(&app, &owner, "E-1", Some(park)).await;
    let path = format!("/api/v1/equipment/{id}/notes");

    let empty = app.get(&path, Some(&owner.token)).await;
    assert_eq!(empty.status, StatusCode::OK);
    assert_eq!(empty.json()["text"], "");

    assert_eq!(put_notes(&app, &owner, &id, SECRET).await, StatusCode::OK);
    let got = app.get(&path, Some(&owner.token)).await.json();
    assert_eq!(got["text"], SECRET);
    assert!(got["updated_at"].is_string());

    let stored: String =
        sqlx::query_scalar("SELECT sealed FROM equipment_notes WHERE equipment_id = $1")
            .bind(&id)
            .fetch_one(app.state.db.pool())
            .await
            .unwrap();
    assert!(stored.starts_with("tc1:"), "{stored}");
    for clear in ["38.6", "13812345678", "管束"] {
        assert!(!stored.contains(clear), "{clear} is not stored in clear");
    }

    // The park neighbour sees the shared item, not its notes; a stranger sees neither.
    assert_eq!(
        app.get(&format!("/api/v1/equipment/{id}"), Some(&neighbour.token))
            .await
            .status,
        StatusCode::OK
    );
    let denied = app.get(&path, Some(&neighbour.token)).await.status;
    assert!(
        matches!(denied, StatusCode::FORBIDDEN | StatusCode::NOT_FOUND),
        "{denied}"
    );
    assert_eq!(
        put_notes(&app, &neighbour, &id, "overwritten").await,
        denied,
        "nor writes them"
    );
    assert_eq!(
        app.get(&path, Some(&stranger.token)).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.get(&path, Some(&owner.token)).await.json()["text"],
        SECRET
    );

    // Too long: refused, nothing changed. Empty: removed.
    let long = "长".repeat(20_001);
    assert_eq!(
        put_notes(&app, &owner, &id, &long).await,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert_eq!(
        app.get(&path, Some(&owner.token)).await.json()["text"],
        SECRET
    );
    assert_eq!(put_notes(&app, &owner, &id, "").await, StatusCode::OK);
    assert_eq!(app.count("equipment_notes", "1 = 1").await, 0);
}

async fn a_sealed_value_moved_to_another_row_does_not_open(app: TestApp) {
    let owner = app
        .person(app.org(OrgKind::Enterprise, &[]).await, Role::Member)
        .await;
    let a = item(&app, &owner, "A", None).await;
    let b = item(&app, &owner, "B", None).await;
    assert_eq!(put_notes(&app, &owner, &a, SECRET).await, StatusCode::OK);
    assert_eq!(
        put_notes(&app, &owner, &b, "harmless").await,
        StatusCode::OK
    );
    sqlx::query(
        "UPDATE equipment_notes SET sealed = (SELECT sealed FROM equipment_notes WHERE equipment_id = $1) \
         WHERE equipment_id = $2",
    )
    .bind(&a)
    .bind(&b)
    .execute(app.state.db.pool())
    .await
    .unwrap();
    let r = app
        .get(&format!("/api/v1/equipment/{b}/notes"), Some(&owner.token))
        .await;
    assert!(r.status.is_server_error(), "{}", r.status);
    assert!(!r.text().contains("38.6"));
}

async fn rotation_keeps_everything_readable_and_retires_the_old_key(app: TestApp) {
    let owners = [
        app.person(app.org(OrgKind::Enterprise, &[]).await, Role::Member)
            .await,
        app.person(app.org(OrgKind::Enterprise, &[]).await, Role::Member)
            .await,
    ];
    let mut ids = Vec::new();
    for (i, o) in owners.iter().enumerate() {
        let id = item(&app, o, &format!("R-{i}"), None).await;
        assert_eq!(put_notes(&app, o, &id, SECRET).await, StatusCode::OK);
        ids.push(id);
    }
    let now = app.clock.now();
    let old = app.state.vault.master_ids();
    assert_eq!(old.len(), 1);

    let r = app
        .state
        .vault
        .rotate(&app.state.db, true, now)
        .await
        .unwrap();
    assert_eq!(r.rewrapped, 2);
    assert_ne!(r.master_id, old[0]);
    assert_eq!(r.retired, old);
    let status = app.state.vault.status(&app.state.db).await.unwrap();
    assert_eq!(
        status.masters,
        vec![(r.master_id.clone(), 2), (old[0].clone(), 0)]
    );

    let retired = app.state.vault.retire(&app.state.db, now).await.unwrap();
    assert_eq!(retired.retired, old);
    // A restart reads the key file, which now holds the new key only.
    let restarted = Vault::load(&app.state.config.data_dir, now).unwrap();
    assert_eq!(restarted.master_ids(), vec![r.master_id.clone()]);
    for (o, id) in owners.iter().zip(&ids) {
        assert_eq!(
            app.get(&format!("/api/v1/equipment/{id}/notes"), Some(&o.token))
                .await
                .json()["text"],
            SECRET
        );
        let sealed: String =
            sqlx::query_scalar("SELECT sealed FROM equipment_notes WHERE equipment_id = $1")
                .bind(id)
                .fetch_one(app.state.db.pool())
                .await
                .unwrap();
        let mut conn = app.state.db.pool().acquire().await.unwrap();
        assert_eq!(
            restarted
                .open(
                    &mut conn,
                    o.org_id,
                    &format!("equipment_notes/{id}"),
                    &sealed
                )
                .await
                .unwrap(),
            SECRET
        );
    }
}

async fn destroying_the_key_makes_the_private_data_unreadable_for_good(app: TestApp) {
    let doomed = app
        .person(app.org(OrgKind::Enterprise, &[]).await, Role::Admin)
        .await;
    let other = app
        .person(app.org(OrgKind::Enterprise, &[]).await, Role::Admin)
        .await;
    let gone = item(&app, &doomed, "D-1", None).await;
    let kept = item(&app, &other, "K-1", None).await;
    assert_eq!(
        put_notes(&app, &doomed, &gone, SECRET).await,
        StatusCode::OK
    );
    assert_eq!(put_notes(&app, &other, &kept, SECRET).await, StatusCode::OK);
    let sealed_before: String =
        sqlx::query_scalar("SELECT sealed FROM equipment_notes WHERE equipment_id = $1")
            .bind(&gone)
            .fetch_one(app.state.db.pool())
            .await
            .unwrap();

    assert!(
        vault::destroy(&app.state.db, doomed.org_id, app.clock.now())
            .await
            .unwrap()
    );

    let r = app
        .get(
            &format!("/api/v1/equipment/{gone}/notes"),
            Some(&doomed.token),
        )
        .await;
    assert_eq!(r.status, StatusCode::GONE, "{}", r.text());
    assert!(!r.text().contains("38.6"));
    assert_eq!(
        put_notes(&app, &doomed, &gone, "new secret").await,
        StatusCode::GONE,
        "nothing is sealed for the organisation again"
    );
    // The ciphertext is still in the row (and in every backup), and no key opens it.
    let sealed_after: String =
        sqlx::query_scalar("SELECT sealed FROM equipment_notes WHERE equipment_id = $1")
            .bind(&gone)
            .fetch_one(app.state.db.pool())
            .await
            .unwrap();
    assert_eq!(sealed_after, sealed_before);
    let wrapped: Option<String> =
        sqlx::query_scalar("SELECT wrapped FROM org_data_keys WHERE org_id = $1")
            .bind(doomed.org_id.to_string())
            .fetch_one(app.state.db.pool())
            .await
            .unwrap();
    assert_eq!(wrapped, None, "the wrapped key itself is gone");
    // Other organisations are untouched.
    assert_eq!(
        app.get(
            &format!("/api/v1/equipment/{kept}/notes"),
            Some(&other.token)
        )
        .await
        .json()["text"],
        SECRET
    );
    assert!(
        !vault::destroy(&app.state.db, doomed.org_id, app.clock.now())
            .await
            .unwrap(),
        "destroying twice is harmless"
    );
}

ticorr_test_support::on_both_engines!(
    notes_are_sealed_at_rest_and_only_the_owner_reads_them,
    a_sealed_value_moved_to_another_row_does_not_open,
    rotation_keeps_everything_readable_and_retires_the_old_key,
    destroying_the_key_makes_the_private_data_unreadable_for_good,
);
