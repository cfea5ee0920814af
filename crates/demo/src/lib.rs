//! The synthetic national dataset behind `ticorr demo`.
//!
//! **Everything this crate writes is invented.** It fills an empty database with a
//! plausible, nationwide picture of titanium heating equipment in China so that every part
//! of the platform has something to show: about 3,300 organisations of all eight kinds
//! across the 31 mainland provincial-level divisions (2,600 enterprises, 72 parks, 180
//! manufacturers, 340 service institutions, a regulator per province, seven associations,
//! forty research institutes, the one operator, and two dozen registrations waiting in the
//! operator's queue), one to three people each, and over 20,000 equipment items.
//!
//! Realism comes from the project's own reference data, embedded in the binary: regions
//! from GB/T 2260, industries from GB/T 4754, and each industry's service profile
//! (equipment, process media, typical temperature, chloride, fluoride and pH ranges),
//! which every item of an enterprise follows (see the `items` module). The demo's own
//! choices — where organisations are, how names are built, which range fits which duty —
//! are in `crates/demo/data/*.json`. Organisation names are fictional; government bodies and
//! associations carry "（演示）" so that nobody takes them for the real agencies, and
//! every unified social credit code is syntactically valid but issued by nobody.
//!
//! The dataset is deterministic: one ChaCha8 generator with a fixed seed and a fixed base
//! time (2026-01-05T08:00:00Z) give the same ids, names, codes, parks, people and items on
//! every run. Only the passwords of the demo accounts are drawn afresh at each seeding;
//! they are returned in [`SeedReport::accounts`] and nowhere stored in clear. All other
//! seeded people have no password and cannot sign in.
//!
//! The platform's standards are there with their lifecycle: every person with the expert or
//! reviewer capacity has one to three specialties (standards topics), and proposals stand
//! at every stage of the lifecycle — one revision released as 2.0 after two rounds of
//! review and a public consultation, an erratum released as 1.1, a new standard in public
//! consultation until a few weeks after seeding, a revision in expert review, others in
//! formal check, returned, rejected, withdrawn and approved — each made step by step
//! through the standards module at dates counted back from the day of seeding (see the
//! `proposals` module). The enterprise specification of the demo enterprise is overdue for
//! its periodic review, and its review task is open.
//!
//! The demo accounts tell one story, in Jiangsu: the `enterprise` account's chlor-alkali
//! plant is settled in the `park` account's chemical park and shares five of its fifteen
//! items with the park (L2), other enterprises of that park share items too, and the
//! `manufacturer` account's company made five of the plant's items. The
//! `enterprise_other` account (an electroplating shop in Zhejiang, in no park of the
//! story) is there to show that one enterprise cannot see another's items.

pub mod cases;
mod data;
mod expertise;
mod items;
mod names;
mod plan;
mod proposals;
mod write;

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde::{Deserialize, Serialize};
use ticorr_db::Db;
use ticorr_kernel::{Level, OrgStatus};
use ticorr_platform::identity::{IdentityConfig, password, people, secret};

/// One printed login of the demo: its kind (`enterprise`, `manufacturer`, `park`,
/// `service_institution`, `regulator`, `association`, `operator`, `research`, or
/// `enterprise_other` for the second, unrelated enterprise), its e-mail and password, and
/// the organisation it belongs to (as an admin). Deserializable too, so that the caller
/// can read back the file it wrote the accounts to.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DemoAccount {
    pub kind: String,
    pub email: String,
    pub password: String,
    pub organization_id: String,
}

/// What a seeding wrote.
#[derive(Debug, Clone, Serialize)]
pub struct SeedReport {
    /// All organisations, pending registrations included.
    pub organizations: usize,
    pub people: usize,
    pub equipment: usize,
    /// Provincial-level divisions with at least one organisation.
    pub provinces: usize,
    /// The nine demo accounts, in a fixed order, `enterprise_other` last.
    pub accounts: Vec<DemoAccount>,
    /// Verified organisations per kind (the kind's text form).
    pub verified_by_kind: BTreeMap<String, usize>,
    /// Organisations waiting in the operator's verification queue.
    pub pending_organizations: usize,
    /// Equipment items shared with a park (L2).
    pub park_items: usize,
    /// Released standards and documents, and the clauses of their versions in force.
    pub standards: usize,
    pub clauses: usize,
    /// Standard proposals by lifecycle stage (`draft`, `formal_check`, `expert_review`,
    /// `consultation`, `approved`, `released`, `rejected`, `withdrawn`).
    pub proposals: BTreeMap<String, usize>,
    /// Periodic reviews of standards opened because their review date has passed.
    pub review_tasks: usize,
}

/// The steps of a seeding, for progress display. They run in the order organisations,
/// equipment, people.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Stage {
    Organizations,
    People,
    Equipment,
}

impl Stage {
    /// A short English label ("organisations", "people", "equipment").
    pub fn label(self) -> &'static str {
        match self {
            Stage::Organizations => "organisations",
            Stage::People => "people",
            Stage::Equipment => "equipment",
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SeedError {
    #[error("the demo dataset is already in this database")]
    AlreadySeeded,
    #[error(
        "the database already holds organisations (perhaps from an interrupted seeding); \
         the demo dataset is written only into a fresh, empty database"
    )]
    NotEmpty,
    #[error("hashing a demo account's password failed")]
    Hashing,
    #[error("a seeding task failed: {0}")]
    Task(#[from] tokio::task::JoinError),
    #[error(transparent)]
    Db(#[from] ticorr_db::DbError),
    #[error(transparent)]
    Storage(#[from] sqlx::Error),
    #[error("writing an equipment item: {0}")]
    Equipment(#[from] ticorr_equipment::EquipmentError),
    #[error("the demo data is invalid: {0}")]
    Data(String),
    #[error("seeding the standards lifecycle failed: {0}")]
    Lifecycle(String),
}

/// Whether a seeding has completed in this database. An interrupted seeding is not
/// complete: the person written last is missing.
pub async fn is_seeded(db: &Db) -> Result<bool, sqlx::Error> {
    let mut conn = db.pool().acquire().await?;
    Ok(people::load(&mut conn, plan::marker_person_id())
        .await?
        .is_some())
}

/// What a tester can do with a demo account in the seeded story, where there is more to
/// it than the account's kind (printed under the login by `ticorr demo`).
pub fn account_hint(kind: &str) -> Option<&'static str> {
    match kind {
        "association" => Some(
            "runs the standards secretariat: formal checks, reviewers, consultation, release \
             (one proposal awaits its formal check, one its release); also a reviewer of the \
             T/TICORR 004 revision",
        ),
        "research" => Some(
            "reviewer of the T/TICORR 004 revision in expert review, with every clause left to vote",
        ),
        "enterprise" => Some(
            "its proposal on brine grades awaits the formal check; its own specification is due for periodic review",
        ),
        "manufacturer" => {
            Some("its T/TICORR 002 revision was returned after the formal check, with the note")
        }
        "regulator" => Some(
            "runs failure-case trend reports at /cases/trends, each charged to its monthly privacy budget",
        ),
        "operator" => Some(
            "curates failure cases at /cases/curation and edits and publishes the warning bulletins at /bulletins",
        ),
        _ => None,
    }
}

/// A fresh password for a demo account: 16 characters of a 256-bit random token.
fn new_password() -> String {
    secret::random_token().chars().take(16).collect()
}

/// Writes the demo dataset into a freshly migrated, empty database, calling
/// `progress(stage, done, total)` as it goes. Takes a few seconds; the demo accounts'
/// passwords are hashed (argon2id, with `identity`'s parameters) while the organisations
/// and equipment are written.
pub async fn seed(
    db: &Db,
    identity: &IdentityConfig,
    progress: &(dyn Fn(Stage, u64, u64) + Send + Sync),
) -> Result<SeedReport, SeedError> {
    if is_seeded(db).await? {
        return Err(SeedError::AlreadySeeded);
    }
    let existing: i64 = ticorr_platform::identity::orgs::count_by_kind(db)
        .await?
        .iter()
        .map(|(_, n)| n)
        .sum();
    if existing > 0 {
        return Err(SeedError::NotEmpty);
    }
    let plan = tokio::task::spawn_blocking(plan::build).await?;

    // One argon2id hash after the other (each takes some 46 MiB), in the background
    // while organisations and equipment are written.
    let passwords: Vec<String> = plan.accounts.iter().map(|_| new_password()).collect();
    let hashing = {
        let (config, passwords) = (identity.clone(), passwords.clone());
        tokio::task::spawn_blocking(move || {
            passwords
                .iter()
                .map(|p| password::hash(&config, p))
                .collect::<Result<Vec<String>, _>>()
        })
    };

    write::organizations(db, &plan, progress).await?;
    write::equipment(db, &plan, progress).await?;
    let mut standards = write::standards(db, &plan).await?;
    let hashed = hashing.await?.map_err(|_| SeedError::Hashing)?;
    let hashes: HashMap<usize, String> =
        plan.accounts.iter().map(|a| a.person).zip(hashed).collect();
    // Everybody but the last person, who marks a completed seeding; then the lifecycle,
    // whose steps those people take.
    let last = plan.people.len() - 1;
    write::people(db, &plan, &hashes, progress, 0..last).await?;
    let lifecycle = proposals::seed(db, &plan, proposals::seeding_now(), &mut standards).await?;
    write::people(db, &plan, &hashes, progress, last..plan.people.len()).await?;

    tracing::info!(
        organizations = plan.orgs.len(),
        people = plan.people.len(),
        equipment = plan.items.len(),
        proposals = lifecycle.by_stage.values().sum::<usize>(),
        "demo dataset written"
    );

    let mut verified_by_kind = BTreeMap::new();
    for o in plan
        .orgs
        .iter()
        .filter(|o| o.org.status == OrgStatus::Verified)
    {
        *verified_by_kind
            .entry(o.org.kind.as_str().to_owned())
            .or_insert(0) += 1;
    }
    let provinces: BTreeSet<&str> = plan.orgs.iter().map(|o| &o.org.region_code[..2]).collect();
    let accounts = plan
        .accounts
        .iter()
        .zip(passwords)
        .map(|(a, password)| {
            let p = &plan.people[a.person].person;
            DemoAccount {
                kind: a.kind.to_owned(),
                email: p.email.clone(),
                password,
                organization_id: p.org_id.to_string(),
            }
        })
        .collect();
    Ok(SeedReport {
        organizations: plan.orgs.len(),
        people: plan.people.len(),
        equipment: plan.items.len(),
        provinces: provinces.len(),
        accounts,
        verified_by_kind,
        pending_organizations: plan
            .orgs
            .iter()
            .filter(|o| o.org.status == OrgStatus::Pending)
            .count(),
        standards: standards.len(),
        clauses: standards.values().map(|s| s.clauses).sum(),
        proposals: lifecycle.by_stage,
        review_tasks: lifecycle.review_tasks,
        park_items: plan
            .items
            .iter()
            .filter(|(_, _, i)| i.level == Level::Park)
            .count(),
    })
}
