//! Writing the plan through the platform's and the registry's own insert functions, in
//! transactions of a few thousand rows, reporting progress after each one.
//!
//! Order: organisations (parks before the enterprises settled in them, manufacturers
//! before the items that name them), then equipment, then people. People come last so
//! that the person written last — whose id is fixed, see `plan::marker_person_id` —
//! exists only once everything else has been committed.

use std::collections::HashMap;

use ticorr_db::Db;
use ticorr_kernel::Level;
use ticorr_platform::identity::{orgs, people};
use time::Duration;

use crate::plan::{Plan, base_time};
use crate::{SeedError, Stage};

const ORG_BATCH: usize = 1_000;
const ITEM_BATCH: usize = 4_000;
const PEOPLE_BATCH: usize = 2_500;

pub(crate) type Progress<'a> = &'a (dyn Fn(Stage, u64, u64) + Send + Sync);

pub(crate) async fn organizations(
    db: &Db,
    plan: &Plan,
    progress: Progress<'_>,
) -> Result<(), SeedError> {
    let total = plan.orgs.len() as u64;
    progress(Stage::Organizations, 0, total);
    let mut done = 0;
    for batch in plan.orgs.chunks(ORG_BATCH) {
        let mut tx = db.begin().await?;
        for o in batch {
            orgs::insert(&mut tx, &o.org, o.created_at).await?;
        }
        tx.commit().await?;
        done += batch.len() as u64;
        progress(Stage::Organizations, done, total);
    }
    Ok(())
}

pub(crate) async fn equipment(
    db: &Db,
    plan: &Plan,
    progress: Progress<'_>,
) -> Result<(), SeedError> {
    let total = plan.items.len() as u64;
    progress(Stage::Equipment, 0, total);
    let mut done = 0;
    for (n, batch) in plan.items.chunks(ITEM_BATCH).enumerate() {
        // Registered in the hours after the organisations, a minute per batch.
        let now = base_time().plus(Duration::hours(6) + Duration::minutes(n as i64));
        let mut tx = db.begin().await?;
        ticorr_equipment::seed_insert(&mut tx, batch, now).await?;
        tx.commit().await?;
        done += batch.len() as u64;
        progress(Stage::Equipment, done, total);
    }
    Ok(())
}

/// Writes everybody; `hashes` holds the password hashes of the demo accounts, by index
/// into `plan.people`. Everyone else gets no password and cannot sign in.
pub(crate) async fn people(
    db: &Db,
    plan: &Plan,
    hashes: &HashMap<usize, String>,
    progress: Progress<'_>,
) -> Result<(), SeedError> {
    let total = plan.people.len() as u64;
    progress(Stage::People, 0, total);
    let mut done = 0;
    for (n, batch) in plan.people.chunks(PEOPLE_BATCH).enumerate() {
        let mut tx = db.begin().await?;
        for (i, p) in batch.iter().enumerate() {
            let index = n * PEOPLE_BATCH + i;
            match hashes.get(&index) {
                Some(hash) => {
                    let mut person = p.person.clone();
                    person.password_hash = Some(hash.clone());
                    people::insert(&mut tx, &person, p.created_at).await?;
                }
                None => people::insert(&mut tx, &p.person, p.created_at).await?,
            }
            for &capacity in &p.capacities {
                people::grant_capacity(&mut tx, p.person.id, capacity, None, p.created_at).await?;
            }
        }
        tx.commit().await?;
        done += batch.len() as u64;
        progress(Stage::People, done, total);
    }
    Ok(())
}

/// The demo's standards (`data/standards.json`), released: the platform's unified
/// standards held by the national association (public), the enterprise specification by
/// the demo enterprise (private), the park guideline by the demo park (shared with its
/// members) and the chain agreement by the demo manufacturer (private). Returns how many
/// standards and clauses were written.
pub(crate) async fn standards(db: &Db, plan: &Plan) -> Result<(usize, usize), SeedError> {
    #[derive(serde::Deserialize)]
    struct File {
        standards: Vec<ticorr_standards::StandardInput>,
    }
    let file: File = serde_json::from_str(include_str!("../data/standards.json"))
        .map_err(|e| SeedError::Data(format!("data/standards.json: {e}")))?;
    let org_of = |kind: &str| {
        plan.accounts
            .iter()
            .find(|a| a.kind == kind)
            .map(|a| plan.people[a.person].person.org_id)
            .ok_or_else(|| SeedError::Data(format!("no demo account of kind {kind}")))
    };
    let release = ticorr_standards::Release {
        at: base_time().plus(Duration::hours(8)),
        effective_on: "2026-03-01".into(),
        review_due_on: "2029-03-01".into(),
    };
    let mut tx = db.begin().await?;
    let mut clauses = 0;
    for s in &file.standards {
        let scope = match s.origin {
            ticorr_standards::Origin::Platform => (org_of("association")?, Level::Public, None),
            ticorr_standards::Origin::Enterprise => (org_of("enterprise")?, Level::Private, None),
            ticorr_standards::Origin::Park => {
                let park = org_of("park")?;
                (park, Level::Park, Some(park))
            }
            ticorr_standards::Origin::ChainAgreement => {
                (org_of("manufacturer")?, Level::Private, None)
            }
        };
        ticorr_standards::seed_released(&mut tx, scope, s, &release)
            .await
            .map_err(|e| SeedError::Data(format!("{}: {e}", s.code)))?;
        clauses += s.clauses.len();
    }
    tx.commit().await?;
    Ok((file.standards.len(), clauses))
}
