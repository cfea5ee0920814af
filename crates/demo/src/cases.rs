//! The demo's failure cases: at least 5,000 synthetic accidents drawn from the seeded
//! equipment population through the risk engine's mechanisms, so failures happen where the
//! item's conditions are harsh, not uniformly at random.
//!
//! For every enterprise item, the mechanisms its current risk assessment rates decide its
//! chance to fail (very high 0.6, high 0.35, medium 0.12, low 0.03 per pass; an item the
//! engine finds no mechanism for fails with 0.004, by crevice attack or erosion), and the
//! mechanism of a failure is drawn among the rated ones, weighted by their rating. Passes
//! over the population (each a different failure year) repeat until there are enough
//! cases. The failures are grouped into families of up to eight: failures of one
//! mechanism on items of one type and grade, next to each other in temperature and
//! chloride, that tell one story of `data/case_templates.json` with one specific cause per
//! root-cause category (`data/case_root_causes.json`) — the same mistake in like service,
//! which the similar-case recommender is measured on finding. Each case has the item's own
//! conditions, and names its organisation, a person, a phone number, an
//! e-mail address and a road in its narratives: the planted identifiers the desensitization
//! must remove. Cases are brought to every workflow stage (mostly published) through the
//! module's bulk write, the same validation, sealing, desensitization and k-anonymity as an
//! upload. Deterministic: a fixed seed and the seeded population give the same cases.

use std::collections::BTreeMap;

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::Deserialize;
use sqlx::Row;
use ticorr_cases::{BulkCase, CaseInput, Cases, Stage};
use ticorr_kernel::{OrgId, PersonId, Timestamp};
use ticorr_platform::{Caller, Principal, Via};

use crate::SeedError;

/// How many cases the demo holds at least.
pub const MIN_CASES: usize = 5_000;
const SEED: u64 = 0x0CA5_E5EE_D5EE_D001;

#[derive(Deserialize)]
struct Templates {
    families: Vec<Family>,
}

#[derive(Deserialize, Clone)]
struct Family {
    mechanism: String,
    root_causes: Vec<String>,
    title_zh: String,
    title_en: String,
    location: String,
    morphology: String,
    direct_cause: String,
    rectification: String,
    lessons_zh: String,
    lessons_en: String,
    narrative_zh: String,
    narrative_en: String,
}

/// Specific root causes per category (`data/case_root_causes.json`).
#[derive(Deserialize)]
struct Causes {
    causes: BTreeMap<String, Vec<Bilingual>>,
}

#[derive(Deserialize)]
struct Bilingual {
    zh: String,
    en: String,
}

#[derive(Deserialize)]
struct Names {
    surnames: Vec<String>,
    given: Vec<String>,
    roads: Vec<String>,
}

/// What the case seeding wrote.
#[derive(Debug, Clone, Default)]
pub struct CaseSeedReport {
    pub cases: usize,
    pub by_stage: BTreeMap<String, usize>,
    /// The family of every written case (case id → family number): the cases of a family
    /// share a story and a specific root cause and happened in like service. The
    /// recommender's measurement takes them as its relevance labels.
    pub families: BTreeMap<String, usize>,
}

/// The smallest and largest family the generator forms.
const FAMILY_SIZES: std::ops::RangeInclusive<usize> = 2..=8;

/// One drawn failure before it becomes a case.
struct Failure {
    item: usize,
    mechanism: String,
    year: i32,
    month: u8,
    day: u8,
}

/// A family: its story and the specific causes its cases share.
struct Story<'a> {
    family: &'a Family,
    causes: Vec<&'a Bilingual>,
}

struct Item {
    org_id: OrgId,
    org_name: String,
    org_name_en: Option<String>,
    tag: String,
    equipment_type: String,
    grade: String,
    commissioned_year: Option<i32>,
    process_medium: Option<String>,
    temperature_c: Option<f64>,
    chloride_mg_l: Option<f64>,
    fluoride_mg_l: Option<f64>,
    ph: Option<f64>,
    velocity_m_s: Option<f64>,
    crevice_present: Option<bool>,
    deposits_present: Option<bool>,
    /// (mechanism, rating 1..=4) of the mechanisms the assessment rates.
    rated: Vec<(String, u32)>,
}

fn rating(s: &str) -> u32 {
    match s {
        "low" => 1,
        "medium" => 2,
        "high" => 3,
        "very_high" => 4,
        _ => 0,
    }
}

async fn population(db: &ticorr_db::Db) -> Result<Vec<Item>, SeedError> {
    let rows = sqlx::query(
        "SELECT e.org_id, o.name, o.name_en, e.tag, e.equipment_type, e.grade, e.commissioned_on, \
         e.process_medium, e.temperature_c, e.chloride_mg_l, e.fluoride_mg_l, e.ph, e.velocity_m_s, \
         e.crevice_present, e.deposits_present, r.mechanisms \
         FROM equipment e JOIN organizations o ON o.id = e.org_id \
         JOIN risk_assessments r ON r.equipment_id = e.id AND r.is_current = 1 \
         WHERE o.kind = 'enterprise' AND o.status = 'verified' ORDER BY e.id",
    )
    .fetch_all(db.pool())
    .await?;
    let mut items = Vec::with_capacity(rows.len());
    for r in rows {
        // "id:rating id:rating …", the rated mechanisms, worst first.
        let rated = r
            .try_get::<String, _>("mechanisms")?
            .split_whitespace()
            .filter_map(|m| {
                let (id, s) = m.split_once(':')?;
                let rank = rating(s);
                (rank > 0).then(|| (id.to_owned(), rank))
            })
            .collect();
        let flag = |c: &str| -> Result<Option<bool>, sqlx::Error> {
            Ok(r.try_get::<Option<i64>, _>(c)?.map(|v| v == 1))
        };
        items.push(Item {
            org_id: ticorr_db::parsed(&r, "org_id")?,
            org_name: r.try_get("name")?,
            org_name_en: r.try_get("name_en")?,
            tag: r.try_get("tag")?,
            equipment_type: r.try_get("equipment_type")?,
            grade: r.try_get("grade")?,
            commissioned_year: r
                .try_get::<Option<String>, _>("commissioned_on")?
                .and_then(|d| d.get(..4).and_then(|y| y.parse().ok())),
            process_medium: r.try_get("process_medium")?,
            temperature_c: r.try_get("temperature_c")?,
            chloride_mg_l: r.try_get("chloride_mg_l")?,
            fluoride_mg_l: r.try_get("fluoride_mg_l")?,
            ph: r.try_get("ph")?,
            velocity_m_s: r.try_get("velocity_m_s")?,
            crevice_present: flag("crevice_present")?,
            deposits_present: flag("deposits_present")?,
            rated,
        });
    }
    Ok(items)
}

fn fill(template: &str, values: &[(&str, &str)]) -> String {
    values.iter().fold(template.to_owned(), |t, (k, v)| {
        t.replace(&format!("{{{k}}}"), v)
    })
}

/// A mainland mobile number: 1, a second digit 3–9, nine more.
fn mobile(rng: &mut ChaCha8Rng) -> String {
    format!(
        "1{}{:09}",
        rng.random_range(3..=9),
        rng.random_range(0..1_000_000_000u64)
    )
}

/// The stage a case is brought to, by its position: mostly published, a few at every other
/// stage.
fn target(n: usize) -> Stage {
    match n % 40 {
        0 => Stage::Draft,
        1 => Stage::Submitted,
        2 => Stage::Returned,
        3 => Stage::Withdrawn,
        _ => Stage::Published,
    }
}

/// Draws the demo's cases from the seeded population and writes them through the module.
/// `now` is the day the demo is seeded; failures happen in the ten years before it.
pub async fn seed(
    cases: Cases<'_>,
    now: Timestamp,
    featured: Option<OrgId>,
    progress: &(dyn Fn(u64, u64) + Send + Sync),
) -> Result<CaseSeedReport, SeedError> {
    let templates: Templates = serde_json::from_str(include_str!("../data/case_templates.json"))
        .map_err(|e| SeedError::Data(format!("case_templates.json: {e}")))?;
    let names: Names = serde_json::from_str(include_str!("../data/names.json"))
        .map_err(|e| SeedError::Data(format!("names.json: {e}")))?;
    let items = population(cases.db).await?;
    let people: BTreeMap<String, String> =
        sqlx::query_as("SELECT org_id, MIN(id) FROM people GROUP BY org_id")
            .fetch_all(cases.db.pool())
            .await?
            .into_iter()
            .collect();
    let curator: Option<String> = sqlx::query_scalar(
        "SELECT MIN(p.id) FROM people p JOIN organizations o ON o.id = p.org_id WHERE o.kind = 'operator'",
    )
    .fetch_one(cases.db.pool())
    .await?;
    let curator: Option<PersonId> = curator.map(|c| ticorr_db::decode("id", &c)).transpose()?;
    let by_mechanism: BTreeMap<&str, Vec<&Family>> =
        templates.families.iter().fold(BTreeMap::new(), |mut m, f| {
            m.entry(f.mechanism.as_str())
                .or_insert_with(Vec::new)
                .push(f);
            m
        });
    let causes: Causes = serde_json::from_str(include_str!("../data/case_root_causes.json"))
        .map_err(|e| SeedError::Data(format!("case_root_causes.json: {e}")))?;
    let this_year = now.inner().year();
    let mut rng = ChaCha8Rng::seed_from_u64(SEED);
    // Which items fail, by which mechanism, when.
    let mut failures: Vec<Failure> = Vec::new();
    let mut pass = 0;
    while failures.len() < MIN_CASES && pass < 20 && !items.is_empty() {
        pass += 1;
        for (i, item) in items.iter().enumerate() {
            let worst = item.rated.iter().map(|(_, r)| *r).max().unwrap_or(0);
            let mut chance: f64 = [0.004, 0.03, 0.12, 0.35, 0.6][worst as usize];
            // The demo enterprise's login shows its own record of failures.
            if pass == 1 && featured == Some(item.org_id) {
                chance = chance.max(0.5);
            }
            if !rng.random_bool(chance) {
                continue;
            }
            let mechanism = if item.rated.is_empty() {
                if rng.random_bool(0.5) {
                    "crevice_hot_chloride".to_owned()
                } else {
                    "erosion_corrosion".to_owned()
                }
            } else {
                let total: u32 = item.rated.iter().map(|(_, r)| r * r).sum();
                let mut x = rng.random_range(0..total);
                item.rated
                    .iter()
                    .find(|(_, r)| {
                        if x < r * r {
                            true
                        } else {
                            x -= r * r;
                            false
                        }
                    })
                    .map(|(m, _)| m.clone())
                    .unwrap_or_default()
            };
            if !by_mechanism.contains_key(mechanism.as_str())
                || !people.contains_key(&item.org_id.to_string())
            {
                continue;
            }
            let from = item.commissioned_year.map_or(this_year - 10, |y| y + 1);
            let from = from.clamp(this_year - 10, this_year - 1);
            failures.push(Failure {
                item: i,
                mechanism,
                year: rng.random_range(from..this_year),
                month: rng.random_range(1..=12u8),
                day: rng.random_range(1..=28u8),
            });
        }
    }
    // Families: failures of one mechanism on items of one type and grade, in order of their
    // temperature and chloride, taken a few at a time. Each family tells one story with one
    // specific cause per root-cause category of the story: the same mistake made by several
    // plants in like service.
    let mut groups: BTreeMap<(&str, &str, &str), Vec<usize>> = BTreeMap::new();
    for (n, f) in failures.iter().enumerate() {
        let item = &items[f.item];
        groups
            .entry((
                f.mechanism.as_str(),
                item.equipment_type.as_str(),
                item.grade.as_str(),
            ))
            .or_default()
            .push(n);
    }
    let mut family_of = vec![0usize; failures.len()];
    let mut stories: Vec<Story<'_>> = Vec::new();
    for ((mechanism, _, _), mut members) in groups {
        let key = |n: &usize| {
            let item = &items[failures[*n].item];
            (
                item.temperature_c.unwrap_or(f64::NAN),
                item.chloride_mg_l.unwrap_or(f64::NAN),
            )
        };
        members.sort_by(|a, b| {
            let (ka, kb) = (key(a), key(b));
            ka.0.total_cmp(&kb.0).then(ka.1.total_cmp(&kb.1))
        });
        let templates = &by_mechanism[mechanism];
        let mut rest = members.as_slice();
        while !rest.is_empty() {
            let size = rng.random_range(FAMILY_SIZES).min(rest.len());
            let (chunk, tail) = rest.split_at(size);
            rest = tail;
            let family = templates[rng.random_range(0..templates.len())];
            let story_causes = family
                .root_causes
                .iter()
                .filter_map(|c| causes.causes.get(c))
                .filter(|list| !list.is_empty())
                .map(|list| &list[rng.random_range(0..list.len())])
                .collect();
            for n in chunk {
                family_of[*n] = stories.len();
            }
            stories.push(Story {
                family,
                causes: story_causes,
            });
        }
    }
    let mut drawn: Vec<(usize, BulkCase)> = Vec::with_capacity(failures.len());
    for (n, failure) in failures.iter().enumerate() {
        let item = &items[failure.item];
        let story = &stories[family_of[n]];
        let family = story.family;
        let mechanism = &failure.mechanism;
        let (year, month, day) = (failure.year, failure.month, failure.day);
        let person = format!(
            "{}{}{}",
            names.surnames[rng.random_range(0..names.surnames.len())],
            names.given[rng.random_range(0..names.given.len())],
            names.given[rng.random_range(0..names.given.len())]
        );
        let phone = mobile(&mut rng);
        let email = format!(
            "m{:06}@plant-mail.example.cn",
            rng.random_range(0..1_000_000)
        );
        let road = format!(
            "{}{}号",
            names.roads[rng.random_range(0..names.roads.len())],
            rng.random_range(1..300)
        );
        let temp = item
            .temperature_c
            .map_or("—".to_owned(), |t| format!("{t:.0}"));
        let chloride = item
            .chloride_mg_l
            .map_or("—".to_owned(), |c| format!("{c:.0}"));
        let year_s = year.to_string();
        let month_s = month.to_string();
        let org_en = item
            .org_name_en
            .clone()
            .unwrap_or_else(|| item.org_name.clone());
        let zh = [
            ("org", item.org_name.as_str()),
            ("person", person.as_str()),
            ("phone", phone.as_str()),
            ("email", email.as_str()),
            ("road", road.as_str()),
            ("year", year_s.as_str()),
            ("month", month_s.as_str()),
            ("tag", item.tag.as_str()),
            ("temp", temp.as_str()),
            ("chloride", chloride.as_str()),
        ];
        let mut en = zh;
        en[0] = ("org", org_en.as_str());
        let Some(person_org) = people.get(&item.org_id.to_string()) else {
            continue;
        };
        let why_zh: Vec<&str> = story.causes.iter().map(|c| c.zh.as_str()).collect();
        let why_en: Vec<&str> = story.causes.iter().map(|c| c.en.as_str()).collect();
        let direct_cause = format!("{}；{}", fill(&family.direct_cause, &zh), why_zh.join("；"));
        let narrative_zh = format!(
            "{}事后分析认为：{}。",
            fill(&family.narrative_zh, &zh),
            why_zh.join("；")
        );
        let narrative_en = format!(
            "{} The review found that {}.",
            fill(&family.narrative_en, &en),
            why_en.join("; ")
        );
        drawn.push((
            family_of[n],
            BulkCase {
                org_id: item.org_id,
                person_id: ticorr_db::decode("id", person_org)?,
                input: CaseInput {
                    title_zh: Some(fill(&family.title_zh, &zh)),
                    title_en: Some(fill(&family.title_en, &en)),
                    failure_date: format!("{year:04}-{month:02}-{day:02}"),
                    equipment_type: item.equipment_type.clone(),
                    grade: item.grade.clone(),
                    years_in_service: item.commissioned_year.map(|c| f64::from((year - c).max(0))),
                    mechanism: Some(mechanism.clone()),
                    location: Some(family.location.clone()),
                    morphology: Some(family.morphology.clone()),
                    max_depth_mm: Some((rng.random_range(1..=30) as f64) / 10.0),
                    hydrogen_ppm: (mechanism == "hydriding")
                        .then(|| f64::from(rng.random_range(150..2000))),
                    process_medium: item.process_medium.clone(),
                    temperature_c: item.temperature_c,
                    chloride_mg_l: item.chloride_mg_l,
                    fluoride_mg_l: item.fluoride_mg_l,
                    ph: item.ph,
                    velocity_m_s: item.velocity_m_s,
                    crevice_present: item.crevice_present,
                    deposits_present: item.deposits_present,
                    direct_cause: Some(direct_cause),
                    root_causes: family.root_causes.clone(),
                    downtime_days: Some(f64::from(rng.random_range(1..60))),
                    cost_cny: Some(f64::from(rng.random_range(2..300)) * 10_000.0),
                    injuries: Some(if rng.random_bool(0.03) { 1 } else { 0 }),
                    rectification: Some(family.rectification.clone()),
                    rectification_outcome: Some(
                        ["effective", "effective", "unknown", "ineffective"]
                            [rng.random_range(0..4)]
                        .to_owned(),
                    ),
                    lessons_zh: Some(family.lessons_zh.clone()),
                    lessons_en: Some(family.lessons_en.clone()),
                    narrative_zh: Some(narrative_zh),
                    narrative_en: Some(narrative_en),
                    reporter: Some(person.clone()),
                    reporter_phone: Some(phone.clone()),
                    site_address: Some(road.clone()),
                    ..CaseInput::default()
                },
                target: target(n),
                uploaded_at: Timestamp::from_offset(
                    time::Date::from_calendar_date(
                        year,
                        time::Month::try_from(month).unwrap_or(time::Month::January),
                        day,
                    )
                    .map_err(|e| SeedError::Data(e.to_string()))?
                    .with_hms(9, 0, 0)
                    .map_err(|e| SeedError::Data(e.to_string()))?
                    .assume_utc()
                    .saturating_add(time::Duration::days(7)),
                ),
                curator,
                note: matches!(target(n), Stage::Returned | Stage::Withdrawn).then(|| {
                    "请补充金相检验与整改效果 / please add metallography and the outcome".to_owned()
                }),
            },
        ));
    }
    // Oldest first, as they would have been shared.
    drawn.sort_by_key(|(_, c)| c.uploaded_at);
    let count = drawn.len();
    let (family, drawn): (Vec<usize>, Vec<BulkCase>) = drawn.into_iter().unzip();
    let report = cases
        .bulk(drawn, progress)
        .await
        .map_err(|e| SeedError::Lifecycle(format!("writing the demo cases: {e}")))?;
    Ok(CaseSeedReport {
        cases: count,
        by_stage: report.by_stage,
        families: report.ids.into_iter().zip(family).collect(),
    })
}

/// What [`seed_access`] wrote.
#[derive(Debug, Default)]
pub struct AccessSeedReport {
    pub requests: usize,
    pub granted: usize,
    pub refused: usize,
    pub reads: usize,
}

/// Purposes other organisations give when they apply for a full record.
const PURPOSES: [&str; 4] = [
    "我厂同类钛板式换热器即将大修，需参考检测数据制定检验方案。",
    "Comparing the hydrogen content and wall loss with our own condenser tubes before retubing.",
    "用于本单位钛设备选材评审，核对缝隙腐蚀的温度与氯离子条件。",
    "Preparing a training module on crevice corrosion for our maintenance engineers.",
];

async fn caller_of(db: &ticorr_db::Db, person: PersonId) -> Result<Caller, SeedError> {
    let mut conn = db.pool().acquire().await?;
    let actor = ticorr_platform::identity::principal::load_actor(&mut conn, person, Via::System)
        .await?
        .ok_or_else(|| SeedError::Data(format!("person {person} is missing")))?;
    Ok(Caller {
        principal: Principal::Person(Box::new(actor)),
        ip: None,
    })
}

/// Applications for full records around the demo enterprise `org` and its login `email`,
/// so that its access page has content on the first visit: other enterprises apply for
/// three of its published cases (one waits for its decision, one is granted and read, one
/// refused), and the login applies for two cases of others (one granted by the operator
/// and read, one waiting). Everything goes through the module's own calls, as the pages
/// would do it.
pub async fn seed_access(
    cases: Cases<'_>,
    org: OrgId,
    email: &str,
) -> Result<AccessSeedReport, SeedError> {
    let db = cases.db;
    let fail =
        |e: ticorr_cases::CasesError| SeedError::Lifecycle(format!("demo applications: {e}"));
    let own: Option<String> =
        sqlx::query_scalar("SELECT id FROM people WHERE org_id = $1 AND email = $2")
            .bind(org.to_string())
            .bind(email.to_owned())
            .fetch_optional(db.pool())
            .await?;
    let Some(own) = own
        .map(|i| ticorr_db::decode::<PersonId>("id", &i))
        .transpose()?
    else {
        return Ok(AccessSeedReport::default());
    };
    let operator: Option<String> = sqlx::query_scalar(
        "SELECT MIN(p.id) FROM people p JOIN organizations o ON o.id = p.org_id WHERE o.kind = 'operator'",
    )
    .fetch_one(db.pool())
    .await?;
    let Some(operator) = operator
        .map(|i| ticorr_db::decode::<PersonId>("id", &i))
        .transpose()?
    else {
        return Ok(AccessSeedReport::default());
    };
    let published = |mine: bool| async move {
        let sql = if mine {
            "SELECT case_id FROM case_publications WHERE org_id = $1 AND withdrawn_at IS NULL ORDER BY case_id LIMIT 3"
        } else {
            "SELECT case_id FROM case_publications WHERE org_id <> $1 AND withdrawn_at IS NULL ORDER BY case_id LIMIT 2"
        };
        sqlx::query_scalar::<_, String>(sql)
            .bind(org.to_string())
            .fetch_all(db.pool())
            .await
    };
    // Applicants: admins of other verified enterprises.
    let others: Vec<String> = sqlx::query_scalar(
        "SELECT MIN(p.id) FROM people p JOIN organizations o ON o.id = p.org_id \
         WHERE o.kind = 'enterprise' AND o.status = 'verified' AND o.id <> $1 AND p.role = 'admin' \
         GROUP BY o.id ORDER BY o.id LIMIT 3",
    )
    .bind(org.to_string())
    .fetch_all(db.pool())
    .await?;
    let mut report = AccessSeedReport::default();
    let own_caller = caller_of(db, own).await?;
    let operator_caller = caller_of(db, operator).await?;
    let decide = |grant: bool, note: Option<&str>| ticorr_cases::DecisionInput {
        grant,
        days: None,
        note: note.map(str::to_owned),
    };
    for (n, (case, applicant)) in published(true).await?.iter().zip(&others).enumerate() {
        let applicant = caller_of(db, ticorr_db::decode("id", applicant)?).await?;
        let request = cases
            .request_access(
                &applicant,
                case,
                &ticorr_cases::AccessInput {
                    purpose: PURPOSES[n % PURPOSES.len()].to_owned(),
                },
            )
            .await
            .map_err(fail)?;
        report.requests += 1;
        match n {
            0 => {}
            1 => {
                cases
                    .decide(&own_caller, &request.id, &decide(true, None))
                    .await
                    .map_err(fail)?;
                cases.full(&applicant, case).await.map_err(fail)?;
                report.granted += 1;
                report.reads += 1;
            }
            _ => {
                cases
                    .decide(
                        &own_caller,
                        &request.id,
                        &decide(
                            false,
                            Some("该案例涉及尚未结案的质量争议，暂不提供完整记录。"),
                        ),
                    )
                    .await
                    .map_err(fail)?;
                report.refused += 1;
            }
        }
    }
    for (n, case) in published(false).await?.iter().enumerate() {
        let request = cases
            .request_access(
                &own_caller,
                case,
                &ticorr_cases::AccessInput {
                    purpose: PURPOSES[(n + 3) % PURPOSES.len()].to_owned(),
                },
            )
            .await
            .map_err(fail)?;
        report.requests += 1;
        if n == 0 {
            cases
                .decide(&operator_caller, &request.id, &decide(true, None))
                .await
                .map_err(fail)?;
            cases.full(&own_caller, case).await.map_err(fail)?;
            report.granted += 1;
            report.reads += 1;
        }
    }
    Ok(report)
}

/// The warning bulletin of the newest month with published cases (the demo's cases end
/// before last month), drafted as the monthly job drafts one and published by the operator's
/// first person, so the archive has one with content on the first visit. Returns its id, or
/// `None` when the demo has no published case or no operator.
pub async fn seed_bulletin(cases: Cases<'_>) -> Result<Option<String>, SeedError> {
    let platform = Caller {
        principal: Principal::Platform,
        ip: None,
    };
    let bulletin = |e: ticorr_cases::CasesError| SeedError::Data(format!("bulletin: {e}"));
    let Some(month) = cases.latest_case_month().await.map_err(bulletin)? else {
        return Ok(None);
    };
    let (id, _) = cases
        .draft_bulletin_of(&platform, month)
        .await
        .map_err(bulletin)?;
    let operator: Option<String> = sqlx::query_scalar(
        "SELECT MIN(p.id) FROM people p JOIN organizations o ON o.id = p.org_id WHERE o.kind = 'operator'",
    )
    .fetch_one(cases.db.pool())
    .await?;
    let Some(operator) = operator.and_then(|p| p.parse().ok()) else {
        return Ok(None);
    };
    let caller = caller_of(cases.db, operator).await?;
    let draft = cases.bulletin(&caller, &id).await.map_err(bulletin)?;
    if draft.stage == "draft" {
        cases
            .publish_bulletin(&caller, &id, draft.revision)
            .await
            .map_err(bulletin)?;
    }
    Ok(Some(id))
}
