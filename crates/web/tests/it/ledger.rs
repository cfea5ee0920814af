//! The transparency log end to end: anchoring, proofs checked by an independent verifier,
//! witnesses refusing a rewritten log, and `ledger verify` naming every kind of tampering.

use axum::http::StatusCode;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::json;
use sha2::{Digest, Sha256};
use ticorr_kernel::{OrgKind, OrgStatus, Role};
use ticorr_ledger::{Hash, SignatureType, SignerKey};
use ticorr_platform::ledger;
use ticorr_test_support::TestApp;

/// RFC 9162 §2.1.1 and §2.1.3.2, written from the RFC alone, independently of the
/// platform's ledger crate.
mod rfc9162 {
    use super::*;

    pub fn leaf(data: &[u8]) -> [u8; 32] {
        let mut h = Sha256::new();
        h.update([0u8]);
        h.update(data);
        h.finalize().into()
    }

    fn node(l: &[u8; 32], r: &[u8; 32]) -> [u8; 32] {
        let mut h = Sha256::new();
        h.update([1u8]);
        h.update(l);
        h.update(r);
        h.finalize().into()
    }

    /// §2.1.3.2: verifying an inclusion proof.
    pub fn verify_inclusion(
        leaf_index: u64,
        tree_size: u64,
        leaf_hash: [u8; 32],
        path: &[[u8; 32]],
        root: [u8; 32],
    ) -> bool {
        if leaf_index >= tree_size {
            return false;
        }
        let (mut fnum, mut snum) = (leaf_index, tree_size - 1);
        let mut r = leaf_hash;
        for p in path {
            if snum == 0 {
                return false;
            }
            if fnum & 1 == 1 || fnum == snum {
                r = node(p, &r);
                if fnum & 1 == 0 {
                    while fnum & 1 == 0 && fnum != 0 {
                        fnum >>= 1;
                        snum >>= 1;
                    }
                }
            } else {
                r = node(&r, p);
            }
            fnum >>= 1;
            snum >>= 1;
        }
        snum == 0 && r == root
    }

    /// §2.1.4.2: verifying a consistency proof.
    pub fn verify_consistency(
        first: u64,
        second: u64,
        first_hash: [u8; 32],
        second_hash: [u8; 32],
        proof: &[[u8; 32]],
    ) -> bool {
        if first == second {
            return proof.is_empty() && first_hash == second_hash;
        }
        if first == 0 || first > second || proof.is_empty() {
            return false;
        }
        let mut proof = proof.to_vec();
        if first.is_power_of_two() {
            proof.insert(0, first_hash);
        }
        let (mut fnum, mut snum) = (first - 1, second - 1);
        while fnum & 1 == 1 {
            fnum >>= 1;
            snum >>= 1;
        }
        let (mut fr, mut sr) = (proof[0], proof[0]);
        for c in &proof[1..] {
            if snum == 0 {
                return false;
            }
            if fnum & 1 == 1 || fnum == snum {
                fr = node(c, &fr);
                sr = node(c, &sr);
                if fnum & 1 == 0 {
                    while fnum & 1 == 0 && fnum != 0 {
                        fnum >>= 1;
                        snum >>= 1;
                    }
                }
            } else {
                sr = node(&sr, c);
            }
            fnum >>= 1;
            snum >>= 1;
        }
        fr == first_hash && sr == second_hash && snum == 0
    }
}

fn b64(s: &str) -> [u8; 32] {
    STANDARD.decode(s).unwrap().try_into().unwrap()
}

fn checkpoint_parts(note: &str) -> (u64, [u8; 32]) {
    let mut lines = note.lines();
    let _origin = lines.next().unwrap();
    let size = lines.next().unwrap().parse().unwrap();
    (size, b64(lines.next().unwrap()))
}

/// Verifies `n` pending organisations through the API and returns their ids.
async fn verify_some(app: &TestApp, n: usize) -> Vec<String> {
    let operator = app
        .person(app.org(OrgKind::Operator, &[]).await, Role::Member)
        .await;
    let mut ids = vec![];
    for _ in 0..n {
        let org = app
            .org_with_status(OrgKind::Enterprise, &[], OrgStatus::Pending)
            .await;
        let r = app
            .post_json(
                &format!("/api/v1/organizations/{org}/review"),
                Some(&operator.token),
                &json!({"decision": "verify"}),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
        ids.push(org.to_string());
    }
    ids
}

async fn anchored_decisions_prove_inclusion_and_consistency_to_an_independent_verifier(
    app: TestApp,
) {
    let ids = verify_some(&app, 5).await;
    let first = app.get("/api/v1/ledger/checkpoint", None).await;
    assert_eq!(first.status, StatusCode::OK);
    assert!(
        first
            .header("content-type")
            .unwrap()
            .starts_with("text/plain")
    );
    let (size1, root1) = checkpoint_parts(&first.text());
    assert_eq!(size1, 5);
    let more = verify_some(&app, 6).await;
    let (size2, root2) = checkpoint_parts(&app.get("/api/v1/ledger/checkpoint", None).await.text());
    assert_eq!(size2, 11);

    for id in ids.iter().chain(&more) {
        let org = app
            .get(&format!("/api/v1/organizations/{id}"), None)
            .await
            .json();
        let index = org["ledger"]["index"]
            .as_u64()
            .expect("the profile names its ledger entry");
        let page = app.get(&format!("/organizations/{id}"), None).await.text();
        assert!(
            page.contains(&format!("href=\"/api/v1/ledger/entries/{index}\"")),
            "the profile page names its ledger entry too"
        );
        let entry = app
            .get(&format!("/api/v1/ledger/entries/{index}"), None)
            .await
            .json();
        let leaf_data = STANDARD
            .decode(entry["leaf_data"].as_str().unwrap())
            .unwrap();
        assert_eq!(
            rfc9162::leaf(&leaf_data),
            b64(entry["leaf_hash"].as_str().unwrap())
        );
        assert_eq!(
            entry["record"]["id"],
            id.as_str(),
            "the public record is shown"
        );
        let proof = app
            .get(
                &format!("/api/v1/ledger/proof/inclusion?index={index}&size={size2}"),
                None,
            )
            .await
            .json();
        let path: Vec<[u8; 32]> = proof["hashes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| b64(h.as_str().unwrap()))
            .collect();
        assert!(
            rfc9162::verify_inclusion(index, size2, rfc9162::leaf(&leaf_data), &path, root2),
            "entry {index}"
        );
        // The leaf anchors the record's canonical hash.
        let leaf: serde_json::Value = serde_json::from_slice(&leaf_data).unwrap();
        assert_eq!(leaf["type"], "organization");
        assert_eq!(leaf["id"], id.as_str());
    }
    let c = app
        .get(
            &format!("/api/v1/ledger/proof/consistency?from={size1}&to={size2}"),
            None,
        )
        .await
        .json();
    let proof: Vec<[u8; 32]> = c["hashes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| b64(h.as_str().unwrap()))
        .collect();
    assert!(rfc9162::verify_consistency(
        size1, size2, root1, root2, &proof
    ));
    assert!(!rfc9162::verify_consistency(
        size1, size2, root2, root1, &proof
    ));
    assert_eq!(
        app.get("/api/v1/ledger/proof/inclusion?index=0&size=999", None)
            .await
            .status,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        app.get("/api/v1/ledger/entries/999", None).await.status,
        StatusCode::NOT_FOUND
    );

    // The exported bundle verifies offline with the public keys only.
    let bundle: ticorr_ledger::InclusionBundle = serde_json::from_slice(
        &app.get(
            &format!("/api/v1/ledger/records/organization/{}/bundle", ids[0]),
            None,
        )
        .await
        .body,
    )
    .unwrap();
    let key = app.get("/api/v1/ledger/key", None).await.json();
    let log_key = ticorr_ledger::VerifierKey::parse(key["log_key"].as_str().unwrap()).unwrap();
    let policy =
        ticorr_ledger::TrustPolicy::new(log_key).with_origin(key["origin"].as_str().unwrap());
    ticorr_ledger::verify_bundle(&bundle, &policy).unwrap();
    let mut forged = bundle.clone();
    forged.record["name"] = json!("another name");
    assert!(ticorr_ledger::verify_bundle(&forged, &policy).is_err());
}

/// A witness's round, as `ticorr witness` does it, through the router.
async fn witness_round(
    app: &TestApp,
    key: &SignerKey,
    state: &mut Option<(u64, Hash)>,
) -> Result<u64, String> {
    let note_text = app.get("/api/v1/ledger/checkpoint", None).await.text();
    let policy = ticorr_ledger::TrustPolicy::new(app.state.ledger.verifier_key());
    let opened = ticorr_ledger::open_checkpoint(&note_text, &policy).map_err(|e| e.to_string())?;
    let (size, root) = (opened.checkpoint.size(), *opened.checkpoint.root());
    let proof = match state {
        Some((old, _)) if *old < size => {
            let c = app
                .get(
                    &format!("/api/v1/ledger/proof/consistency?from={old}&to={size}"),
                    None,
                )
                .await
                .json();
            c["hashes"]
                .as_array()
                .unwrap()
                .iter()
                .map(|h| Hash::from_base64(h.as_str().unwrap()).unwrap())
                .collect()
        }
        _ => vec![],
    };
    ticorr_ledger::witness::may_cosign(*state, size, &root, &proof).map_err(|e| e.to_string())?;
    let mut note = ticorr_ledger::Note::new(opened.note.text()).unwrap();
    note.cosign(key, 1_700_000_000).unwrap();
    let r = app
        .post_body(
            "/api/v1/ledger/cosignatures",
            None,
            "text/plain",
            note.to_string(),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text());
    *state = Some((size, root));
    Ok(size)
}

async fn witnesses_cosign_an_honest_log_and_refuse_a_rewritten_one(app: TestApp) {
    // The test's witness key is one the log trusts (the harness configures it).
    let key = SignerKey::from_seed(
        "witness.test.ticorr.local",
        SignatureType::CosignatureV1,
        &[7u8; 32],
    )
    .unwrap();
    assert!(
        app.state.ledger.witnesses().contains(&key.verifier_key()),
        "the test app trusts the test witness"
    );
    let mut state = None;
    verify_some(&app, 3).await;
    assert_eq!(witness_round(&app, &key, &mut state).await, Ok(3));
    verify_some(&app, 2).await;
    assert_eq!(witness_round(&app, &key, &mut state).await, Ok(5));
    let cosigned = app.get("/api/v1/ledger/checkpoint", None).await.text();
    assert!(
        cosigned.contains("— witness.test.ticorr.local "),
        "the checkpoint shows who cosigned it:\n{cosigned}"
    );

    // An impostor's cosignature is refused.
    let impostor = SignerKey::from_seed(
        "witness.test.ticorr.local",
        SignatureType::CosignatureV1,
        &[8u8; 32],
    )
    .unwrap();
    let mut forged =
        ticorr_ledger::Note::new(ticorr_ledger::Note::parse(&cosigned).unwrap().text()).unwrap();
    forged.cosign(&impostor, 1).unwrap();
    assert_eq!(
        app.post_body(
            "/api/v1/ledger/cosignatures",
            None,
            "text/plain",
            forged.to_string()
        )
        .await
        .status,
        StatusCode::BAD_REQUEST
    );

    // The operator of the log rewrites history: entry 1 is replaced and the tree rebuilt
    // and re-signed with the log's own key.
    let db = &app.state.db;
    for sql in [
        "DELETE FROM ledger_cosignatures",
        "DELETE FROM ledger_checkpoints",
        "DELETE FROM ledger_nodes",
        "DELETE FROM ledger_entries",
        "UPDATE ledger_head SET size = 0",
    ] {
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .execute(db.pool())
            .await
            .unwrap();
    }
    let mut tx = db.begin().await.unwrap();
    let forged: Vec<_> = (0..6)
        .map(|i| ledger::Anchor {
            record_type: "organization",
            record_id: format!("rewritten-{i}"),
            record: json!({"i": i}),
        })
        .collect();
    ledger::anchor(&mut tx, app.clock.now(), &forged)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let refusal = witness_round(&app, &key, &mut state).await.unwrap_err();
    assert!(refusal.contains("does not extend"), "{refusal}");
    let now = app.get("/api/v1/ledger/checkpoint", None).await.text();
    assert!(
        !now.contains("witness.test"),
        "the rewritten log has no cosignature:\n{now}"
    );
}

async fn ledger_verify_names_every_kind_of_tampering(app: TestApp) {
    let ids = verify_some(&app, 6).await;
    app.get("/api/v1/ledger/checkpoint", None).await;
    let db = app.state.db.clone();
    let verify = || {
        let db = db.clone();
        let ledger = &app.state.ledger;
        async move {
            ledger::verify_all(&db, ledger, |ty, id| {
                let db = db.clone();
                async move { ledger::records::current(&db, &ty, &id).await }
            })
            .await
            .unwrap()
        }
    };
    let clean = verify().await;
    assert!(clean.problems.is_empty(), "{:?}", clean.problems);
    assert_eq!((clean.size, clean.records, clean.checkpoints), (6, 6, 1));

    // Every single change below is made, detected with a message naming what changed,
    // and undone.
    let exec = |sql: String| {
        let db = db.clone();
        async move {
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .execute(db.pool())
                .await
                .unwrap();
        }
    };
    let leaf2: String = sqlx::query_scalar("SELECT leaf_data FROM ledger_entries WHERE idx = 2")
        .fetch_one(db.pool())
        .await
        .unwrap();
    let name3: String = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "SELECT name FROM organizations WHERE id = '{}'",
        ids[3]
    )))
    .fetch_one(db.pool())
    .await
    .unwrap();
    let cases: Vec<(String, String, &str)> = vec![
        (
            format!("UPDATE organizations SET name = 'Edited' WHERE id = '{}'", ids[3]),
            format!("UPDATE organizations SET name = '{}' WHERE id = '{}'", name3.replace('\'', "''"), ids[3]),
            "no longer matches",
        ),
        (
            format!("UPDATE organizations SET status = 'suspended' WHERE id = '{}'", ids[1]),
            format!("UPDATE organizations SET status = 'verified' WHERE id = '{}'", ids[1]),
            "no longer matches",
        ),
        (
            "UPDATE ledger_entries SET leaf_data = REPLACE(leaf_data, '\"version\":1', '\"version\":2') WHERE idx = 2".into(),
            format!("UPDATE ledger_entries SET leaf_data = '{leaf2}' WHERE idx = 2"),
            "entry 2",
        ),
        ("UPDATE ledger_entries SET idx = 100 WHERE idx = 4".into(), "UPDATE ledger_entries SET idx = 4 WHERE idx = 100".into(), "entry 4 is missing"),
        // The first character always changes (a fixed replacement would be a no-op when the hash
        // already starts with it).
        ("UPDATE ledger_nodes SET hash = (CASE WHEN SUBSTR(hash, 1, 1) = 'f' THEN '0' ELSE 'f' END) || SUBSTR(hash, 2) WHERE node_key = 1".into(), String::new(), "tree node"),
        ("UPDATE ledger_head SET size = 5".into(), "UPDATE ledger_head SET size = 6".into(), "the head says 5"),
        (
            "UPDATE ledger_checkpoints SET note = REPLACE(note, '\n6\n', '\n7\n')".into(),
            String::new(),
            "checkpoint 6",
        ),
    ];
    for (tamper, undo, expect) in cases {
        let nodes_before: Vec<(i64, String)> = if undo.is_empty() {
            sqlx::query_as::<_, (i64, String)>("SELECT node_key, hash FROM ledger_nodes")
                .fetch_all(db.pool())
                .await
                .unwrap()
        } else {
            vec![]
        };
        let notes_before: Vec<(i64, String)> = if undo.is_empty() {
            sqlx::query_as::<_, (i64, String)>("SELECT size, note FROM ledger_checkpoints")
                .fetch_all(db.pool())
                .await
                .unwrap()
        } else {
            vec![]
        };
        exec(tamper.clone()).await;
        let report = verify().await;
        assert!(
            report.problems.iter().any(|p| p.contains(expect)),
            "`{tamper}` should be named ({expect}): {:?}",
            report.problems
        );
        if undo.is_empty() {
            for (k, h) in nodes_before {
                exec(format!(
                    "UPDATE ledger_nodes SET hash = '{h}' WHERE node_key = {k}"
                ))
                .await;
            }
            for (size, note) in notes_before {
                sqlx::query("UPDATE ledger_checkpoints SET note = $1 WHERE size = $2")
                    .bind(note)
                    .bind(size)
                    .execute(db.pool())
                    .await
                    .unwrap();
            }
        } else {
            exec(undo).await;
        }
        assert!(
            verify().await.problems.is_empty(),
            "undoing `{tamper}` restores a clean log"
        );
    }
    // Deleting an anchored record, or inserting an entry, are named too.
    exec("DELETE FROM ledger_entries WHERE idx = 5".to_owned()).await;
    assert!(
        verify()
            .await
            .problems
            .iter()
            .any(|p| p.contains("the head says 6"))
    );
}

ticorr_test_support::on_both_engines!(
    anchored_decisions_prove_inclusion_and_consistency_to_an_independent_verifier,
    witnesses_cosign_an_honest_log_and_refuse_a_rewritten_one,
    ledger_verify_names_every_kind_of_tampering,
);
