//! Writing the plan through the platform's and the registry's own insert functions, in
//! transactions of a few thousand rows, reporting progress after each one.
//!
//! Order: organisations (parks before the enterprises settled in them, manufacturers
//! before the items that name them), then equipment, the released standards, people (with
//! their capacities and specialties) but the last, the standards lifecycle (whose steps
//! are taken by those people, see `proposals`), and finally the last person. That person —
//! whose id is fixed, see `plan::marker_person_id` — exists only once everything else has
//! been committed.

use std::collections::{BTreeMap, HashMap};
use std::ops::Range;

use ticorr_db::Db;
use ticorr_kernel::Level;
use ticorr_platform::identity::{orgs, people};
use time::{Date, Duration, Month};

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

/// Writes the people `part` of the plan (indices into `plan.people`) with their
/// capacities and specialties; `hashes` holds the password hashes of the demo accounts, by
/// index into `plan.people`. Everyone else gets no password and cannot sign in.
pub(crate) async fn people(
    db: &Db,
    plan: &Plan,
    hashes: &HashMap<usize, String>,
    progress: Progress<'_>,
    part: Range<usize>,
) -> Result<(), SeedError> {
    let total = plan.people.len() as u64;
    let mut done = part.start as u64;
    progress(Stage::People, done, total);
    for (n, batch) in plan.people[part.clone()].chunks(PEOPLE_BATCH).enumerate() {
        let mut tx = db.begin().await?;
        for (i, p) in batch.iter().enumerate() {
            let index = part.start + n * PEOPLE_BATCH + i;
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
            ticorr_standards::lifecycle::add_specialties(&mut tx, p.person.id, &p.specialties)
                .await?;
        }
        tx.commit().await?;
        done += batch.len() as u64;
        progress(Stage::People, done, total);
    }
    Ok(())
}

/// `date` moved on by `months` calendar months (the day kept, or the month's last).
pub(crate) fn add_months(date: Date, months: u32) -> Date {
    let index = date.year() * 12 + i32::from(u8::from(date.month())) - 1 + months as i32;
    let (year, month) = (index.div_euclid(12), index.rem_euclid(12) as u8 + 1);
    let month = Month::try_from(month).expect("1 to 12 is a month");
    Date::from_calendar_date(year, month, date.day().min(month.length(year)))
        .expect("the day fits the month")
}

/// When a seeded document took effect. The platform standards were released when the
/// platform went live and took effect on 1 March 2026; the organisations' own documents
/// are older and were recorded on the platform then. The enterprise specification, issued
/// in 2025 and reviewed yearly, is therefore overdue for its periodic review when the demo
/// is used, and the review-due job opens a task for it (see `proposals`).
fn effective_on(origin: ticorr_standards::Origin) -> Date {
    let (year, month) = match origin {
        ticorr_standards::Origin::Platform => (2026, Month::March),
        ticorr_standards::Origin::Enterprise => (2025, Month::September),
        ticorr_standards::Origin::Park => (2025, Month::July),
        ticorr_standards::Origin::ChainAgreement => (2026, Month::March),
    };
    Date::from_calendar_date(year, month, 1).expect("a valid date")
}

/// A released document of the demo: its id and how many clauses its version in force has.
#[derive(Debug, Clone)]
pub(crate) struct Seeded {
    pub id: String,
    pub clauses: usize,
}

/// The demo's standards (`data/standards.json`), released: the platform's unified
/// standards held by the national association (public), the enterprise specification by
/// the demo enterprise (private), the park guideline by the demo park (shared with its
/// members) and the chain agreement by the demo manufacturer (private). Each is due for
/// its periodic review one review interval after it took effect. Returns the documents
/// written, by code.
pub(crate) async fn standards(db: &Db, plan: &Plan) -> Result<BTreeMap<String, Seeded>, SeedError> {
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
    let mut tx = db.begin().await?;
    let mut written = BTreeMap::new();
    for s in &file.standards {
        let effective = effective_on(s.origin);
        let release = ticorr_standards::Release {
            at: base_time().plus(Duration::hours(8)),
            effective_on: effective.to_string(),
            review_due_on: add_months(effective, s.review_interval_months.max(1) as u32)
                .to_string(),
        };
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
        let id = ticorr_standards::seed_released(&mut tx, scope, s, &release)
            .await
            .map_err(|e| SeedError::Data(format!("{}: {e}", s.code)))?;
        written.insert(
            s.code.clone(),
            Seeded {
                id,
                clauses: s.clauses.len(),
            },
        );
    }
    tx.commit().await?;
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months_are_added_by_the_calendar() {
        let d = |y, m, day| Date::from_calendar_date(y, m, day).unwrap();
        assert_eq!(
            add_months(d(2026, Month::March, 1), 36),
            d(2029, Month::March, 1)
        );
        assert_eq!(
            add_months(d(2025, Month::September, 1), 12),
            d(2026, Month::September, 1)
        );
        assert_eq!(
            add_months(d(2026, Month::January, 31), 1),
            d(2026, Month::February, 28)
        );
        assert_eq!(
            add_months(d(2026, Month::November, 30), 3),
            d(2027, Month::February, 28)
        );
        assert_eq!(
            add_months(d(2026, Month::May, 5), 0),
            d(2026, Month::May, 5)
        );
    }
}
