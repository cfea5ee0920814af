//! Seeds real SQLite databases and checks the dataset as the platform will see it.

use std::collections::{BTreeMap, HashSet};
use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use sqlx::Row;
use ticorr_db::{Db, DbConfig};
use ticorr_demo::{SeedError, SeedReport, Stage};
use ticorr_kernel::equipment::{EquipmentType, GalvanicPartner, TitaniumGrade};
use ticorr_kernel::{OrgKind, Uscc};
use ticorr_platform::identity::{IdentityConfig, password, valid_email};

async fn fresh_db(dir: &tempfile::TempDir) -> Db {
    let path = dir.path().join("demo.db");
    let db = Db::connect(&DbConfig {
        url: format!("sqlite://{}", path.display()),
        ..Default::default()
    })
    .await
    .expect("connect");
    db.migrate().await.expect("migrate");
    db
}

type Calls = Mutex<Vec<(Stage, u64, u64)>>;

async fn seed(db: &Db) -> (SeedReport, Calls, Duration) {
    let calls: Calls = Mutex::new(Vec::new());
    let started = Instant::now();
    let report = ticorr_demo::seed(db, &IdentityConfig::default(), &|stage, done, total| {
        calls.lock().unwrap().push((stage, done, total));
    })
    .await
    .expect("seeding succeeds");
    let took = started.elapsed();
    eprintln!(
        "seeded {} organisations, {} people, {} items in {took:.2?}",
        report.organizations, report.people, report.equipment
    );
    (report, calls, took)
}

async fn count(db: &Db, sql: &str) -> i64 {
    sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(sql.to_owned()))
        .fetch_one(db.pool())
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
}

async fn count_with(db: &Db, sql: &str, args: &[&str]) -> i64 {
    let mut q = sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(sql.to_owned()));
    for a in args {
        q = q.bind(a.to_string());
    }
    q.fetch_one(db.pool())
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
}

async fn strings(db: &Db, sql: &str) -> Vec<String> {
    sqlx::query_scalar::<_, String>(sqlx::AssertSqlSafe(sql.to_owned()))
        .fetch_all(db.pool())
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
}

#[tokio::test(flavor = "multi_thread")]
async fn seeds_a_complete_consistent_national_dataset() {
    let dir = tempfile::tempdir().unwrap();
    let db = fresh_db(&dir).await;
    assert!(!ticorr_demo::is_seeded(&db).await.unwrap());
    let (report, calls, _) = seed(&db).await;
    assert!(ticorr_demo::is_seeded(&db).await.unwrap());

    // Progress: every stage starts at 0 and ends at its total, which matches the report.
    let calls = calls.into_inner().unwrap();
    for (stage, expected) in [
        (Stage::Organizations, report.organizations),
        (Stage::Equipment, report.equipment),
        (Stage::People, report.people),
    ] {
        let of: Vec<_> = calls.iter().filter(|c| c.0 == stage).collect();
        assert!(of.len() >= 2, "{stage:?} reports progress");
        assert_eq!(of.first().unwrap().1, 0);
        let last = of.last().unwrap();
        assert_eq!((last.1, last.2), (expected as u64, expected as u64));
        assert!(of.windows(2).all(|w| w[0].1 <= w[1].1));
    }

    // Counts per kind (verified organisations), as in the database.
    let rows = sqlx::query(
        "SELECT kind, COUNT(*) AS n FROM organizations WHERE status = 'verified' GROUP BY kind",
    )
    .fetch_all(db.pool())
    .await
    .unwrap();
    let kinds: BTreeMap<String, i64> = rows
        .iter()
        .map(|r| (r.get::<String, _>("kind"), r.get::<i64, _>("n")))
        .collect();
    eprintln!("verified organisations by kind: {kinds:?}");
    assert_eq!(kinds.len(), 8, "all eight kinds");
    assert!(kinds["enterprise"] >= 2_000);
    assert!(kinds["park"] >= 60);
    assert!(kinds["manufacturer"] >= 150);
    assert!(kinds["service_institution"] >= 300);
    assert!((2..=10).contains(&kinds["association"]));
    assert_eq!(kinds["operator"], 1);
    assert!(kinds["research"] >= 5);
    assert_eq!(
        count(&db, "SELECT COUNT(*) FROM organizations").await,
        report.organizations as i64
    );

    // Provinces, and a regulator in every province that has organisations.
    let provinces = count(
        &db,
        "SELECT COUNT(DISTINCT substr(region_code, 1, 2)) FROM organizations",
    )
    .await;
    assert!(provinces >= 25, "{provinces} provinces");
    assert_eq!(provinces, report.provinces as i64);
    assert_eq!(
        count(
            &db,
            "SELECT COUNT(DISTINCT substr(region_code, 1, 2)) FROM organizations \
             WHERE substr(region_code, 1, 2) NOT IN (SELECT substr(region_code, 1, 2) \
             FROM organizations WHERE kind = 'regulator' AND status = 'verified')"
        )
        .await,
        0
    );
    // Parks are in at least 25 provinces and enterprises settle in their own province.
    assert!(
        count(
            &db,
            "SELECT COUNT(DISTINCT region_code) FROM organizations WHERE kind = 'park'"
        )
        .await
            >= 25
    );
    assert_eq!(
        count(
            &db,
            "SELECT COUNT(*) FROM park_memberships m JOIN organizations p ON p.id = m.park_id \
             JOIN organizations e ON e.id = m.enterprise_id \
             WHERE p.kind <> 'park' OR e.kind <> 'enterprise' OR p.region_code <> e.region_code"
        )
        .await,
        0
    );
    assert_eq!(
        count(
            &db,
            "SELECT COUNT(*) FROM (SELECT enterprise_id FROM park_memberships \
             GROUP BY enterprise_id HAVING COUNT(*) > 2) t"
        )
        .await,
        0
    );

    // Unified social credit codes: valid, carrying the region, of the right category.
    let rows = sqlx::query("SELECT kind, uscc, region_code FROM organizations")
        .fetch_all(db.pool())
        .await
        .unwrap();
    let mut codes = HashSet::new();
    for r in &rows {
        let kind: OrgKind = r.get::<String, _>("kind").parse().unwrap();
        let uscc = Uscc::parse(&r.get::<String, _>("uscc")).expect("valid code");
        assert_eq!(uscc.region_code(), r.get::<String, _>("region_code"));
        let category = &uscc.as_str()[..2];
        let allowed: &[&str] = match kind {
            OrgKind::Regulator | OrgKind::Park => &["11"],
            OrgKind::Association => &["51"],
            OrgKind::Research => &["12"],
            OrgKind::ServiceInstitution => &["91", "12"],
            _ => &["91"],
        };
        assert!(allowed.contains(&category), "{kind}: {uscc}");
        assert!(codes.insert(uscc.to_string()));
    }

    // Equipment: count and every stored value within the registry's bounds.
    let items = count(&db, "SELECT COUNT(*) FROM equipment").await;
    assert!(items >= 20_000, "{items} items");
    assert_eq!(items, report.equipment as i64);
    for field in ticorr_equipment::FIELDS {
        let Some((lo, hi)) = field.bounds else {
            continue;
        };
        let sql = format!(
            "SELECT MIN({0}) AS lo, MAX({0}) AS hi, COUNT({0}) AS n FROM equipment",
            field.name
        );
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .fetch_one(db.pool())
            .await
            .unwrap();
        let n: i64 = row.get("n");
        if n > 0 {
            let (min, max): (f64, f64) = (row.get("lo"), row.get("hi"));
            assert!(min >= lo && max <= hi, "{}: {min}..{max}", field.name);
        }
        if field.name != "cp_potential_v_sce" {
            assert!(n > items / 2, "{} is mostly recorded ({n})", field.name);
        }
    }
    for t in strings(&db, "SELECT DISTINCT equipment_type FROM equipment").await {
        t.parse::<EquipmentType>().unwrap();
    }
    let grades = strings(&db, "SELECT DISTINCT grade FROM equipment").await;
    for g in &grades {
        g.parse::<TitaniumGrade>().unwrap();
    }
    assert!(
        grades.len() >= 8,
        "Gr1, 2, 7, 11, 12, 16, 17, 26: {grades:?}"
    );
    for g in strings(
        &db,
        "SELECT DISTINCT galvanic_partner FROM equipment WHERE galvanic_partner IS NOT NULL",
    )
    .await
    {
        g.parse::<GalvanicPartner>().unwrap();
    }
    assert_eq!(
        count(
            &db,
            "SELECT COUNT(*) FROM equipment WHERE commissioned_on < '1995-01-01' \
             OR commissioned_on > '2025-12-31' OR commissioned_on IS NULL"
        )
        .await,
        0
    );
    assert_eq!(
        count(
            &db,
            "SELECT COUNT(*) FROM equipment e JOIN organizations o ON o.id = e.org_id \
             WHERE o.kind <> 'enterprise' OR o.status <> 'verified'"
        )
        .await,
        0
    );
    assert_eq!(
        count(
            &db,
            "SELECT COUNT(*) FROM equipment WHERE cp_potential_v_sce IS NOT NULL \
             AND cathodic_protection <> 1"
        )
        .await,
        0
    );

    // L2 items: in a park their owner is settled in; L1 items name no park; about 10–15 %
    // of settled enterprises' items are shared.
    assert_eq!(
        count(
            &db,
            "SELECT COUNT(*) FROM equipment e WHERE e.level = 'park' AND NOT EXISTS \
             (SELECT 1 FROM park_memberships m WHERE m.park_id = e.park_id \
             AND m.enterprise_id = e.org_id)"
        )
        .await,
        0
    );
    assert_eq!(
        count(
            &db,
            "SELECT COUNT(*) FROM equipment WHERE level NOT IN ('private', 'park') \
             OR (level = 'private' AND park_id IS NOT NULL)"
        )
        .await,
        0
    );
    let settled_items = count(
        &db,
        "SELECT COUNT(*) FROM equipment WHERE org_id IN (SELECT enterprise_id FROM park_memberships)",
    )
    .await;
    let park_items = count(&db, "SELECT COUNT(*) FROM equipment WHERE level = 'park'").await;
    assert_eq!(park_items, report.park_items as i64);

    // Every item carries its current risk assessment.
    let assessed = count(
        &db,
        "SELECT COUNT(*) FROM risk_assessments WHERE is_current = 1",
    )
    .await;
    assert_eq!(assessed, report.equipment as i64);
    // The standards: at least eight platform standards released to the public with 150
    // clauses or more in all, and documents of each other origin at their holders' level.
    assert!(
        report.standards >= 11 && report.clauses >= 150,
        "{report:?}"
    );
    let public = count(
        &db,
        "SELECT COUNT(*) FROM standards WHERE origin = 'platform' AND level = 'public'",
    )
    .await;
    assert!(public >= 8);
    for (origin, level) in [
        ("enterprise", "private"),
        ("park", "park"),
        ("chain_agreement", "private"),
    ] {
        let n = count_with(
            &db,
            "SELECT COUNT(*) FROM standards WHERE origin = $1 AND level = $2",
            &[origin, level],
        )
        .await;
        assert!(n >= 1, "{origin}");
    }
    let clauses = count(
        &db,
        "SELECT COUNT(*) FROM clauses c JOIN standard_versions v ON v.id = c.version_id \
         WHERE v.stage = 'released'",
    )
    .await;
    assert_eq!(clauses, report.clauses as i64);
    let sealed = count(
        &db,
        "SELECT COUNT(*) FROM standard_versions WHERE stage = 'released' AND content_sha256 IS NOT NULL",
    )
    .await;
    assert_eq!(sealed, report.standards as i64);
    let share = park_items as f64 / settled_items as f64;
    assert!((0.10..=0.15).contains(&share), "park share {share}");

    standards_lifecycle(&db, &report).await;

    // Manufacturers: registered ones are verified manufacturers named by their own name;
    // others are free text.
    assert_eq!(
        count(
            &db,
            "SELECT COUNT(*) FROM equipment e JOIN organizations o ON o.id = e.manufacturer_org_id \
             WHERE o.kind <> 'manufacturer' OR o.status <> 'verified' OR o.name <> e.manufacturer_name"
        )
        .await,
        0
    );
    assert!(
        count(
            &db,
            "SELECT COUNT(*) FROM equipment WHERE manufacturer_org_id IS NOT NULL"
        )
        .await
            > items / 4
    );
    assert!(
        count(
            &db,
            "SELECT COUNT(*) FROM equipment WHERE manufacturer_org_id IS NULL \
             AND manufacturer_name IS NOT NULL"
        )
        .await
            > items / 10
    );

    // People: 1–3 per organisation besides the demo accounts, valid lower-case e-mails,
    // only the demo accounts can sign in.
    let per_org = sqlx::query(
        "SELECT MIN(n) AS lo, MAX(n) AS hi, COUNT(*) AS orgs FROM (SELECT org_id, COUNT(*) AS n \
         FROM people WHERE email NOT LIKE '%@demo.ticorr.cn' GROUP BY org_id) t",
    )
    .fetch_one(db.pool())
    .await
    .unwrap();
    assert_eq!(per_org.get::<i64, _>("lo"), 1);
    assert_eq!(per_org.get::<i64, _>("hi"), 3);
    assert_eq!(per_org.get::<i64, _>("orgs"), report.organizations as i64);
    for e in strings(&db, "SELECT email FROM people").await {
        assert!(valid_email(&e) && e == e.to_lowercase(), "{e}");
    }
    assert_eq!(
        count(
            &db,
            "SELECT COUNT(*) FROM organizations o WHERE NOT EXISTS \
             (SELECT 1 FROM people p WHERE p.org_id = o.id AND p.role = 'admin')"
        )
        .await,
        0
    );
    assert_eq!(
        count(
            &db,
            "SELECT COUNT(*) FROM people WHERE password_hash IS NOT NULL"
        )
        .await,
        9
    );
    let experts = count(
        &db,
        "SELECT COUNT(*) FROM person_capacities WHERE capacity = 'expert'",
    )
    .await;
    let institutional_experts = count(
        &db,
        "SELECT COUNT(*) FROM person_capacities c JOIN people p ON p.id = c.person_id \
         JOIN organizations o ON o.id = p.org_id WHERE c.capacity = 'expert' \
         AND o.kind IN ('research', 'service_institution', 'association')",
    )
    .await;
    assert!(experts >= 20 && institutional_experts * 2 > experts);
    for cap in ["reviewer", "examiner", "candidate"] {
        assert!(
            count_with(
                &db,
                "SELECT COUNT(*) FROM person_capacities WHERE capacity = $1",
                &[cap]
            )
            .await
                > 0,
            "{cap}"
        );
    }

    // The operator's queue: 20–30 pending registrations, each with one admin.
    let pending = count(
        &db,
        "SELECT COUNT(*) FROM organizations WHERE status = 'pending'",
    )
    .await;
    assert!((20..=30).contains(&pending));
    assert_eq!(pending, report.pending_organizations as i64);
    assert_eq!(
        count(
            &db,
            "SELECT COUNT(*) FROM organizations o WHERE o.status = 'pending' AND \
             (SELECT COUNT(*) FROM people p WHERE p.org_id = o.id AND p.role = 'admin') <> 1"
        )
        .await,
        0
    );
    assert!(
        count(
            &db,
            "SELECT COUNT(DISTINCT kind) FROM organizations WHERE status = 'pending'"
        )
        .await
            >= 3
    );

    // The demo accounts: one per kind plus a second enterprise, admins of verified
    // organisations of their kind, with working passwords.
    assert_eq!(report.accounts.len(), 9);
    let mut account_kinds = HashSet::new();
    let mut org_of = BTreeMap::new();
    for a in &report.accounts {
        assert!(account_kinds.insert(a.kind.clone()), "{}", a.kind);
        assert!(a.password.chars().count() >= 12);
        assert!(valid_email(&a.email) && a.email.ends_with("@demo.ticorr.cn"));
        let row = sqlx::query(
            "SELECT p.role, p.password_hash, p.org_id, o.kind, o.status FROM people p \
             JOIN organizations o ON o.id = p.org_id WHERE p.email = $1",
        )
        .bind(a.email.clone())
        .fetch_one(db.pool())
        .await
        .unwrap();
        assert_eq!(row.get::<String, _>("role"), "admin");
        assert_eq!(row.get::<String, _>("status"), "verified");
        assert_eq!(row.get::<String, _>("org_id"), a.organization_id);
        let expected_kind = if a.kind == "enterprise_other" {
            "enterprise"
        } else {
            a.kind.as_str()
        };
        assert_eq!(row.get::<String, _>("kind"), expected_kind);
        let hash: String = row.get("password_hash");
        assert!(password::verify(&a.password, &hash), "{} signs in", a.kind);
        org_of.insert(a.kind.clone(), a.organization_id.clone());
    }
    for kind in OrgKind::ALL {
        assert!(account_kinds.contains(kind.as_str()), "{kind}");
    }
    assert!(account_kinds.contains("enterprise_other"));

    // The story: the demo enterprise is settled in the demo park and shares several of its
    // ~15 items with it; other enterprises of the park share items too; the demo
    // manufacturer made some of the demo enterprise's items.
    let (enterprise, park, maker, other) = (
        org_of["enterprise"].as_str(),
        org_of["park"].as_str(),
        org_of["manufacturer"].as_str(),
        org_of["enterprise_other"].as_str(),
    );
    assert_eq!(
        count_with(
            &db,
            "SELECT COUNT(*) FROM park_memberships WHERE park_id = $1 AND enterprise_id = $2",
            &[park, enterprise]
        )
        .await,
        1
    );
    let own = count_with(
        &db,
        "SELECT COUNT(*) FROM equipment WHERE org_id = $1",
        &[enterprise],
    )
    .await;
    assert!((12..=18).contains(&own), "{own} items");
    assert!(
        count_with(
            &db,
            "SELECT COUNT(*) FROM equipment WHERE org_id = $1 AND level = 'park' AND park_id = $2",
            &[enterprise, park]
        )
        .await
            >= 3
    );
    assert!(
        count_with(
            &db,
            "SELECT COUNT(DISTINCT org_id) FROM equipment WHERE park_id = $1 AND level = 'park' \
             AND org_id <> $2",
            &[park, enterprise]
        )
        .await
            >= 3
    );
    assert!(
        count_with(
            &db,
            "SELECT COUNT(*) FROM equipment WHERE org_id = $1 AND manufacturer_org_id = $2",
            &[enterprise, maker]
        )
        .await
            >= 3
    );
    // The second enterprise is elsewhere, with items of its own.
    assert_eq!(
        count_with(
            &db,
            "SELECT COUNT(*) FROM park_memberships WHERE park_id = $1 AND enterprise_id = $2",
            &[park, other]
        )
        .await,
        0
    );
    assert!(
        count_with(
            &db,
            "SELECT COUNT(*) FROM equipment WHERE org_id = $1",
            &[other]
        )
        .await
            >= 5
    );
    assert_eq!(
        count(
            &db,
            "SELECT COUNT(*) FROM organizations WHERE kind = 'operator'"
        )
        .await,
        1
    );
    assert_eq!(
        count_with(
            &db,
            "SELECT COUNT(*) FROM organizations WHERE id = $1 AND kind = 'operator'",
            &[org_of["operator"].as_str()]
        )
        .await,
        1
    );

    // Seeding again is refused and changes nothing.
    let again = ticorr_demo::seed(&db, &IdentityConfig::default(), &|_, _, _| {}).await;
    assert!(matches!(again, Err(SeedError::AlreadySeeded)), "{again:?}");
    assert_eq!(count(&db, "SELECT COUNT(*) FROM equipment").await, items);
}

/// The standards lifecycle: specialties of the experts, proposals at every stage told
/// consistently with their dates, a revision released as 2.0 over its superseded 1.0, an
/// erratum released as 1.1, a consultation still open, a review panel with the demo
/// accounts and votes missing, and the overdue periodic review.
async fn standards_lifecycle(db: &Db, report: &SeedReport) {
    // Specialties: one to three for every expert and reviewer, none for anyone else, and
    // at least five eligible people (expert or reviewer, verified organisation) per topic.
    let rows = sqlx::query(
        "SELECT p.id, (SELECT COUNT(*) FROM person_specialties s WHERE s.person_id = p.id) AS n, \
         (SELECT COUNT(*) FROM person_capacities c WHERE c.person_id = p.id \
          AND c.capacity IN ('expert', 'reviewer')) AS reviews FROM people p",
    )
    .fetch_all(db.pool())
    .await
    .unwrap();
    for r in &rows {
        let (n, reviews): (i64, i64) = (r.get("n"), r.get("reviews"));
        assert_eq!(
            reviews > 0,
            (1..=3).contains(&n),
            "{}",
            r.get::<String, _>("id")
        );
        assert!(n <= 3);
    }
    for topic in [
        "design_material",
        "fabrication",
        "installation",
        "operation",
        "cleaning",
        "inspection",
        "hydrogen",
        "heaters",
    ] {
        let eligible = count_with(
            db,
            "SELECT COUNT(DISTINCT s.person_id) FROM person_specialties s \
             JOIN person_capacities c ON c.person_id = s.person_id \
             JOIN people p ON p.id = s.person_id JOIN organizations o ON o.id = p.org_id \
             WHERE s.topic = $1 AND c.capacity IN ('expert', 'reviewer') AND o.status = 'verified'",
            &[topic],
        )
        .await;
        assert!(eligible >= 5, "{topic}: {eligible}");
    }

    // Proposals at every stage, as reported.
    let rows = sqlx::query("SELECT stage, COUNT(*) AS n FROM standard_drafts GROUP BY stage")
        .fetch_all(db.pool())
        .await
        .unwrap();
    let stages: BTreeMap<String, usize> = rows
        .iter()
        .map(|r| (r.get::<String, _>("stage"), r.get::<i64, _>("n") as usize))
        .collect();
    eprintln!(
        "proposals by stage: {stages:?}; review tasks: {}",
        report.review_tasks
    );
    assert_eq!(stages, report.proposals);
    for stage in [
        "draft",
        "formal_check",
        "expert_review",
        "consultation",
        "approved",
        "released",
        "rejected",
        "withdrawn",
    ] {
        assert!(
            stages.get(stage).copied().unwrap_or(0) >= 1,
            "{stage}: {stages:?}"
        );
    }
    let now = time::OffsetDateTime::now_utc();
    let today = now.date().to_string();
    // Nothing happened after the seeding; every history entry lies between the platform's
    // start and now.
    let latest: String = sqlx::query_scalar("SELECT MAX(at) FROM standard_events")
        .fetch_one(db.pool())
        .await
        .unwrap();
    assert!(
        latest <= ticorr_kernel::Timestamp::from_offset(now).to_rfc3339(),
        "{latest}"
    );
    assert_eq!(
        count(
            db,
            "SELECT COUNT(*) FROM standard_events WHERE at < '2026-03-01'"
        )
        .await,
        0
    );

    // A revision released as 2.0 over its 1.0, kept and superseded; an erratum as 1.1. The
    // released versions are exactly the documents in force.
    for (released, superseded) in [("2.0", "1.0"), ("1.1", "1.0")] {
        assert_eq!(
            count_with(
                db,
                "SELECT COUNT(*) FROM standard_versions n JOIN standard_versions o \
                 ON o.standard_id = n.standard_id WHERE n.version = $1 AND n.stage = 'released' \
                 AND o.version = $2 AND o.stage = 'superseded' \
                 AND n.content_sha256 IS NOT NULL AND o.content_sha256 IS NOT NULL",
                &[released, superseded],
            )
            .await,
            1,
            "{released} over {superseded}"
        );
    }
    assert_eq!(
        count(
            db,
            "SELECT COUNT(*) FROM standard_drafts d JOIN standard_versions v \
             ON v.id = d.released_version_id WHERE d.stage = 'released' AND v.stage = 'released'"
        )
        .await,
        2
    );
    // The released revision went through two rounds, with votes of every kind, and every
    // consultation comment was answered, with each kind of disposition.
    let revision: String = sqlx::query_scalar(
        "SELECT d.id FROM standard_drafts d JOIN standard_versions v ON v.id = d.released_version_id \
         WHERE v.version = '2.0'",
    )
    .fetch_one(db.pool())
    .await
    .unwrap();
    let r = revision.as_str();
    assert_eq!(
        count_with(
            db,
            "SELECT MAX(round) FROM standard_drafts WHERE id = $1",
            &[r]
        )
        .await,
        2
    );
    for vote in ["approve", "approve_with_changes", "reject"] {
        assert!(
            count_with(
                db,
                "SELECT COUNT(*) FROM standard_votes WHERE draft_id = $1 AND vote = $2",
                &[r, vote]
            )
            .await
                > 0,
            "{vote}"
        );
    }
    assert_eq!(
        count_with(
            db,
            "SELECT COUNT(*) FROM standard_comments WHERE draft_id = $1 AND disposition IS NULL",
            &[r]
        )
        .await,
        0
    );
    for disposition in ["accepted", "partly_accepted", "not_accepted"] {
        assert!(
            count_with(
                db,
                "SELECT COUNT(*) FROM standard_comments WHERE draft_id = $1 AND disposition = $2",
                &[r, disposition]
            )
            .await
                > 0,
            "{disposition}"
        );
    }
    // The consultation still open ends in the future and has comments, some answered.
    let open = sqlx::query(
        "SELECT id, consultation_ends_on FROM standard_drafts WHERE stage = 'consultation'",
    )
    .fetch_one(db.pool())
    .await
    .unwrap();
    let (open_id, ends): (String, String) = (open.get("id"), open.get("consultation_ends_on"));
    assert!(ends > today, "the consultation ended on {ends}");
    let answered = count_with(
        db,
        "SELECT COUNT(*) FROM standard_comments WHERE draft_id = $1 AND disposition IS NOT NULL",
        &[&open_id],
    )
    .await;
    let waiting = count_with(
        db,
        "SELECT COUNT(*) FROM standard_comments WHERE draft_id = $1 AND disposition IS NULL",
        &[&open_id],
    )
    .await;
    assert!(
        answered >= 1 && waiting >= 1,
        "{answered} answered, {waiting} waiting"
    );

    // Expert review: 3 to 5 reviewers of other organisations than the applicant's, the
    // research and association demo accounts among them with clauses left to vote.
    let review = sqlx::query(
        "SELECT id, applicant_org_id FROM standard_drafts WHERE stage = 'expert_review'",
    )
    .fetch_one(db.pool())
    .await
    .unwrap();
    let (review_id, applicant): (String, String) =
        (review.get("id"), review.get("applicant_org_id"));
    let panel = count_with(
        db,
        "SELECT COUNT(*) FROM standard_reviewers WHERE draft_id = $1",
        &[&review_id],
    )
    .await;
    assert!((3..=5).contains(&panel), "{panel} reviewers");
    assert_eq!(
        count_with(
            db,
            "SELECT COUNT(*) FROM standard_reviewers r JOIN people p ON p.id = r.person_id \
             WHERE r.draft_id = $1 AND p.org_id = $2",
            &[&review_id, &applicant]
        )
        .await,
        0
    );
    assert!(
        count_with(
            db,
            "SELECT COUNT(*) FROM standard_votes WHERE draft_id = $1",
            &[&review_id]
        )
        .await
            > 0
    );
    for account in ["research", "association"] {
        let email = &report
            .accounts
            .iter()
            .find(|a| a.kind == account)
            .unwrap()
            .email;
        assert_eq!(
            count_with(
                db,
                "SELECT COUNT(*) FROM standard_reviewers r JOIN people p ON p.id = r.person_id \
                 WHERE r.draft_id = $1 AND p.email = $2",
                &[&review_id, email]
            )
            .await,
            1,
            "{account} reviews"
        );
        assert_eq!(
            count_with(
                db,
                "SELECT COUNT(*) FROM standard_votes v JOIN people p ON p.id = v.person_id \
                 WHERE v.draft_id = $1 AND p.email = $2",
                &[&review_id, email]
            )
            .await,
            0,
            "{account} has clauses to vote"
        );
    }
    // The proposal in formal check is the demo enterprise's; the returned one carries the
    // secretariat's note.
    let enterprise = &report
        .accounts
        .iter()
        .find(|a| a.kind == "enterprise")
        .unwrap()
        .organization_id;
    assert_eq!(
        count_with(
            db,
            "SELECT COUNT(*) FROM standard_drafts WHERE stage = 'formal_check' AND applicant_org_id = $1",
            &[enterprise]
        )
        .await,
        1
    );
    assert!(
        count(
            db,
            "SELECT COUNT(*) FROM standard_drafts d JOIN standard_events e ON e.draft_id = d.id \
             WHERE d.stage = 'draft' AND e.action = 'returned' AND e.detail <> ''"
        )
        .await
            >= 1
    );

    // The overdue periodic review: a released version due before today, its task open.
    assert!(report.review_tasks >= 1);
    assert_eq!(
        count_with(
            db,
            "SELECT COUNT(*) FROM standard_review_tasks t JOIN standard_versions v \
             ON v.id = t.version_id WHERE t.closed_at IS NULL AND v.stage = 'released' \
             AND v.review_due_on < $1",
            &[&today]
        )
        .await,
        report.review_tasks as i64
    );

    // Releases were pushed to the organisations concerned when they happened, and the
    // e-mails of the seeded history are not sent when the demo starts: no job is left to
    // run.
    assert_eq!(
        count(db, "SELECT COUNT(*) FROM jobs WHERE status <> 'done'").await,
        0
    );
    assert!(
        count(
            db,
            "SELECT COUNT(*) FROM notifications n JOIN people p ON p.id = n.person_id \
             WHERE p.email = 'enterprise@demo.ticorr.cn' AND n.kind = 'standards'"
        )
        .await
            >= 1
    );
}

/// A digest of what must never change between seedings: organisation ids and names,
/// people's ids and e-mails, equipment ids, owners and tags.
async fn digest(db: &Db) -> (u64, usize) {
    let mut lines = strings(
        db,
        "SELECT id || '|' || name || '|' || uscc FROM organizations ORDER BY id",
    )
    .await;
    lines.extend(strings(db, "SELECT id || '|' || email FROM people ORDER BY id").await);
    lines.extend(
        strings(
            db,
            "SELECT id || '|' || org_id || '|' || tag || '|' || grade FROM equipment ORDER BY id",
        )
        .await,
    );
    lines.extend(
        strings(
            db,
            "SELECT park_id || '|' || enterprise_id FROM park_memberships \
             ORDER BY park_id, enterprise_id",
        )
        .await,
    );
    let mut h = DefaultHasher::new();
    lines.hash(&mut h);
    (h.finish(), lines.len())
}

#[tokio::test(flavor = "multi_thread")]
async fn seeding_is_deterministic_except_for_the_passwords() {
    let (dir_a, dir_b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let (a, b) = (fresh_db(&dir_a).await, fresh_db(&dir_b).await);
    let (report_a, _, took_a) = seed(&a).await;
    let (report_b, _, took_b) = seed(&b).await;
    eprintln!("two seedings took {took_a:.2?} and {took_b:.2?}");
    assert_eq!(digest(&a).await, digest(&b).await);
    let (accounts_a, accounts_b) = (&report_a.accounts, &report_b.accounts);
    for (x, y) in accounts_a.iter().zip(accounts_b) {
        assert_eq!(
            (&x.kind, &x.email, &x.organization_id),
            (&y.kind, &y.email, &y.organization_id)
        );
        assert_ne!(x.password, y.password, "passwords are drawn afresh");
    }
}

/// The demo's failure cases: enough of them, at every stage, drawn where conditions are
/// harsh, and none of the identifiers planted in an original reaches its publication.
#[tokio::test(flavor = "multi_thread")]
async fn demo_cases_fail_where_it_is_harsh_come_in_families_and_publish_without_their_identifiers()
{
    use std::sync::Arc;
    use ticorr_kernel::{Clock, OrgId};
    use ticorr_platform::policy::Authz;
    use ticorr_platform::privacy::Privacy;
    use ticorr_platform::vault::Vault;

    let dir = tempfile::tempdir().unwrap();
    let db = fresh_db(&dir).await;
    let (seeded, _, _) = seed(&db).await;
    let login = seeded
        .accounts
        .iter()
        .find(|a| a.kind == "enterprise")
        .unwrap();
    let featured: OrgId = login.organization_id.parse().unwrap();
    let clock = Clock::system();
    let gate = ticorr_platform::Gate::new(Arc::new(Authz::load().unwrap()), clock.clone());
    let vault = Vault::load(dir.path(), clock.now()).unwrap();
    let privacy = Privacy::load(&db, dir.path()).await.unwrap();
    let config = ticorr_cases::CasesConfig::default();
    let shelf = ticorr_cases::SimilarShelf::default();
    let files = ticorr_platform::attachments::Attachments::open(
        &ticorr_platform::attachments::AttachmentsConfig::default(),
        dir.path(),
    )
    .unwrap();
    let cases = ticorr_cases::Cases {
        db: &db,
        gate: &gate,
        vault: &vault,
        privacy: &privacy,
        config: &config,
        files: &files,
        shelf: &shelf,
    };
    let started = Instant::now();
    let report = ticorr_demo::cases::seed(cases, clock.now(), Some(featured), &|_, _| {})
        .await
        .unwrap();
    eprintln!(
        "{} cases in {:.2?}: {:?}",
        report.cases,
        started.elapsed(),
        report.by_stage
    );
    assert!(report.cases >= ticorr_demo::cases::MIN_CASES);
    for stage in ["draft", "submitted", "returned", "published", "withdrawn"] {
        assert!(
            report.by_stage.get(stage).copied().unwrap_or(0) > 0,
            "no {stage} case"
        );
    }
    let published = report.by_stage["published"];
    assert!(
        published * 10 >= report.cases * 8,
        "most cases publish: {report:?}"
    );

    // The cases come in families (a shared story and specific root cause, like service),
    // and the similar-case recommender finds a case's family better than text alone, on
    // families it was not tuned on.
    assert_eq!(report.families.len(), report.cases);
    let sizes = report
        .families
        .values()
        .fold(std::collections::BTreeMap::new(), |mut m, f| {
            *m.entry(*f).or_insert(0usize) += 1;
            m
        });
    assert!(sizes.values().all(|n| (1..=8).contains(n)), "{sizes:?}");
    assert!(sizes.values().filter(|n| **n >= 2).count() * 2 > sizes.len());
    let measured = cases.measure_recommender(&report.families).await.unwrap();
    eprintln!("{measured:#?}");
    assert!(measured.held_out_families > 50, "{measured:?}");
    let (hybrid, text) = (measured.shipped_on_held_out, measured.text_only_on_held_out);
    assert!(
        hybrid.precision_at_5 > text.precision_at_5 && hybrid.recall_at_10 > text.recall_at_10,
        "the hybrid ({hybrid:?}) beats text alone ({text:?}) on held-out families"
    );

    // The demo enterprise's login has its own published cases and applications on both
    // sides of its access page.
    let own: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM case_publications WHERE org_id = $1 AND withdrawn_at IS NULL",
    )
    .bind(featured.to_string())
    .fetch_one(db.pool())
    .await
    .unwrap();
    assert!(own >= 3, "the demo enterprise publishes {own} cases");
    let access = ticorr_demo::cases::seed_access(cases, featured, &login.email)
        .await
        .unwrap();
    assert_eq!(
        (
            access.requests,
            access.granted,
            access.refused,
            access.reads
        ),
        (5, 2, 1, 2)
    );

    // The learned risk model, fitted on the demo's registry and cases, ranks on held-out
    // folds better than chance for every mechanism it models, and better than the rule
    // file's susceptibility alone where that says anything.
    let fitted = ticorr_cases::risk_models::measure(
        &db,
        &gate,
        &ticorr_platform::Caller {
            principal: ticorr_platform::Principal::Platform,
            ip: None,
        },
        ticorr_cases::learned::Settings::default(),
    )
    .await
    .unwrap();
    assert!(fitted.mechanisms.len() >= 5, "{:?}", fitted.skipped);
    for m in &fitted.mechanisms {
        assert!(m.cv_auc > 0.55, "{:?}: {}", m.mechanism, m.cv_auc);
        assert!(
            m.cv_auc + 0.01 >= m.rule_auc,
            "{:?}: {} vs {}",
            m.mechanism,
            m.cv_auc,
            m.rule_auc
        );
    }

    // Failures where it is harsh: the cases' conditions are hotter and saltier than the
    // population's.
    let mean = |sql: &str| {
        let db = db.clone();
        let sql = sql.to_owned();
        async move {
            sqlx::query_scalar::<_, f64>(sqlx::AssertSqlSafe(sql))
                .fetch_one(db.pool())
                .await
                .unwrap()
        }
    };
    let population = mean(
        "SELECT AVG(e.temperature_c) FROM equipment e JOIN organizations o ON o.id = e.org_id \
         WHERE o.kind = 'enterprise'",
    )
    .await;
    let rows = sqlx::query("SELECT body FROM case_publications")
        .fetch_all(db.pool())
        .await
        .unwrap();
    let temps: Vec<f64> = rows
        .iter()
        .filter_map(|r| {
            let body: serde_json::Value =
                serde_json::from_str(&r.get::<String, _>("body")).unwrap();
            body["case"]["details"]["temperature_c"].as_f64()
        })
        .collect();
    let cases_mean = temps.iter().sum::<f64>() / temps.len() as f64;
    assert!(
        cases_mean > population + 5.0,
        "cases at {cases_mean:.1} °C against a population at {population:.1} °C"
    );

    // No planted identifier of an original reaches its publication.
    let rows = sqlx::query(
        "SELECT c.id, c.org_id, c.original, p.body, o.name, o.name_en FROM cases c \
         JOIN case_publications p ON p.case_id = c.id JOIN organizations o ON o.id = c.org_id",
    )
    .fetch_all(db.pool())
    .await
    .unwrap();
    let mut conn = db.pool().acquire().await.unwrap();
    for r in &rows {
        let id: String = r.get("id");
        let org: OrgId = r.get::<String, _>("org_id").parse().unwrap();
        let original = vault
            .open(
                &mut conn,
                org,
                &format!("cases/original/{id}"),
                &r.get::<String, _>("original"),
            )
            .await
            .unwrap();
        let original: ticorr_cases::CaseInput = serde_json::from_str(&original).unwrap();
        let body: String = r.get("body");
        let mut planted = vec![
            original.reporter.unwrap(),
            original.reporter_phone.unwrap(),
            original.site_address.unwrap(),
            r.get::<String, _>("name"),
        ];
        planted.extend(r.get::<Option<String>, _>("name_en"));
        let email = original.narrative_en.as_deref().and_then(|t| {
            let at = t.find("@plant-mail.example.cn")?;
            Some(t[at - 7..at + "@plant-mail.example.cn".len()].to_owned())
        });
        planted.extend(email);
        for p in &planted {
            assert!(
                !body.contains(p.as_str()),
                "case {id} publishes `{p}`: {body}"
            );
        }
    }
}
