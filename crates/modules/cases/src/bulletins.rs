//! The national typical-accident risk warning bulletin.
//!
//! A monthly job drafts the bulletin of the month before from the cases published in it:
//! the cases grouped by mechanism and industry division, biggest groups first, each group
//! with lessons taken from its cases and the released clauses its cases fall under (the
//! matching of [`crate::feedback`]). Staff of the operator and the association edit the title
//! and introduction and publish it (`edit_bulletin`); it becomes public, is anchored in the
//! ledger, and is pushed to every verified organisation, and prominently, naming how many of
//! its items, to those with equipment whose worst-rated mechanism is one the bulletin warns
//! of. A bulletin cites its evidence, each with its ledger entry: the cases, the clause
//! versions, the learned risk model version in use; its figures are counts of the published
//! cases, which are public.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::json;
use sqlx::Row;
use ticorr_kernel::{FieldErrors, Level, OrgId, Timestamp};
use ticorr_platform::jobs::worker::{JobContext, JobFailure, Settled};
use ticorr_platform::ledger::{self, Anchor, LedgerRef};
use ticorr_platform::notify::{self, Audience, Message};
use ticorr_platform::policy::{Action, RecordRef, Resource};
use ticorr_platform::{Caller, Principal};
use ticorr_standards::revision;

use crate::feedback::{clause_mechanisms, under};
use crate::{Body, Cases, CasesError, conflict, corrupt};

/// The record kind the policies see, and the ledger record type.
pub const RECORD_KIND: &str = "warning_bulletin";
pub const LEDGER_TYPE: &str = "warning_bulletin";

/// The job kind of the monthly draft.
pub const DRAFT_JOB: &str = "cases.draft-bulletin";

/// Groups a bulletin shows at most, and cases, lessons and clauses per group.
const GROUPS: usize = 8;
const CASES_PER_GROUP: usize = 10;
const LESSONS_PER_GROUP: usize = 3;
const CLAUSES_PER_GROUP: usize = 3;

/// The longest title and introduction staff may write.
const MAX_TITLE: usize = 200;
const MAX_INTRO: usize = 5_000;

/// A published case a bulletin cites.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CitedCase {
    pub id: String,
    pub title: String,
    pub ledger: Option<LedgerRef>,
}

/// A lesson quoted from a case.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Lesson {
    pub case_id: String,
    pub zh: Option<String>,
    pub en: Option<String>,
}

/// A released clause a group's cases fall under.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CitedClause {
    pub standard_id: String,
    pub code: String,
    pub version: String,
    pub number: String,
    pub text_zh: String,
    pub text_en: String,
    /// How many of the group's cases fall under it.
    pub cases: usize,
    /// The released version's ledger entry.
    pub ledger: Option<LedgerRef>,
}

/// Cases of one mechanism in one industry division.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Group {
    pub mechanism: String,
    /// GB/T 4754 division (two digits) as published, or `*` when generalized away.
    pub industry: String,
    pub count: usize,
    pub cases: Vec<CitedCase>,
    pub lessons: Vec<Lesson>,
    pub clauses: Vec<CitedClause>,
}

/// A count of the month's cases.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Figure {
    pub mechanism: String,
    pub count: usize,
}

/// The learned risk model version in use when the bulletin was drafted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ModelRef {
    pub version: i64,
    pub ledger: Option<LedgerRef>,
}

/// What a bulletin says, computed when it is drafted; staff edit only the texts around it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Contents {
    /// The month of the cases, `YYYY-MM`, and its first and last day.
    pub period: String,
    pub from: String,
    pub to: String,
    /// Cases published in the month (not withdrawn when drafted).
    pub cases_total: usize,
    /// The month's cases by mechanism, most first.
    pub by_mechanism: Vec<Figure>,
    pub groups: Vec<Group>,
    pub model: Option<ModelRef>,
}

/// A bulletin as people read it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Bulletin {
    pub id: String,
    pub period: String,
    /// `draft` or `published`.
    pub stage: String,
    pub title_zh: String,
    pub title_en: String,
    pub intro_zh: String,
    pub intro_en: String,
    pub contents: Contents,
    pub drafted_at: Timestamp,
    pub revision: i64,
    pub updated_at: Timestamp,
    pub published_at: Option<Timestamp>,
    /// The publication's ledger entry.
    pub ledger: Option<LedgerRef>,
}

/// A bulletin in the archive.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct BulletinCard {
    pub id: String,
    pub period: String,
    pub stage: String,
    pub title_zh: String,
    pub title_en: String,
    pub cases_total: usize,
    pub published_at: Option<Timestamp>,
}

/// Staff's edit of a draft.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BulletinEdit {
    /// The revision edited (a stale one is refused).
    pub revision: i64,
    pub title_zh: String,
    pub title_en: String,
    pub intro_zh: String,
    pub intro_en: String,
}

/// What publishing told the organisations.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Pushed {
    /// Organisations told.
    pub organizations: usize,
    /// Of them, those told prominently: equipment whose worst mechanism the bulletin names.
    pub matching: usize,
}

/// The bulletin as the policies see it: a public record of the platform.
fn resource(id: &str) -> Resource {
    Resource::Record(RecordRef {
        kind: RECORD_KIND,
        id: id.to_owned(),
        level: Level::Public,
        owner: OrgId::from_uuid(uuid::Uuid::nil()),
        parks: vec![],
    })
}

/// The month before `now`'s month: `(YYYY-MM, first day, last day)`.
pub fn previous_month(now: Timestamp) -> (String, time::Date, time::Date) {
    let today = now.inner().date();
    let first_this = today.replace_day(1).expect("day 1 exists");
    let last = first_this.previous_day().expect("a day before the first");
    let first = last.replace_day(1).expect("day 1 exists");
    (
        format!("{:04}-{:02}", first.year(), u8::from(first.month())),
        first,
        last,
    )
}

const COLUMNS: &str = "id, period, stage, title_zh, title_en, intro_zh, intro_en, body, \
    drafted_at, revision, updated_at, published_at";

fn from_row(r: &sqlx::any::AnyRow) -> Result<Bulletin, CasesError> {
    let body: String = r.try_get("body")?;
    Ok(Bulletin {
        id: r.try_get("id")?,
        period: r.try_get("period")?,
        stage: r.try_get("stage")?,
        title_zh: r.try_get("title_zh")?,
        title_en: r.try_get("title_en")?,
        intro_zh: r.try_get("intro_zh")?,
        intro_en: r.try_get("intro_en")?,
        contents: serde_json::from_str(&body).map_err(corrupt)?,
        drafted_at: ticorr_db::parsed(r, "drafted_at")?,
        revision: r.try_get("revision")?,
        updated_at: ticorr_db::parsed(r, "updated_at")?,
        published_at: ticorr_db::parsed_opt(r, "published_at")?,
        ledger: None,
    })
}

/// A bulletin by id, with no authorization.
async fn load(conn: &mut sqlx::AnyConnection, id: &str) -> Result<Option<Bulletin>, CasesError> {
    let sql = format!("SELECT {COLUMNS} FROM warning_bulletins WHERE id = $1");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(id.to_owned())
        .fetch_optional(&mut *conn)
        .await?;
    row.as_ref().map(from_row).transpose()
}

/// The bulletin of a month, if one was drafted.
async fn of_period(
    conn: &mut sqlx::AnyConnection,
    period: &str,
) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar("SELECT id FROM warning_bulletins WHERE period = $1")
        .bind(period.to_owned())
        .fetch_optional(&mut *conn)
        .await
}

/// A bulletin the caller may not see or act on is not found, as for any record; a storage
/// fault stays one.
fn hidden(d: ticorr_platform::Denied) -> CasesError {
    match d {
        ticorr_platform::Denied::Storage(e) => CasesError::Storage(e),
        _ => CasesError::NotFound,
    }
}

/// The record anchored at publication.
fn ledger_record(b: &Bulletin) -> serde_json::Value {
    json!({
        "id": b.id, "period": b.period,
        "title_zh": b.title_zh, "title_en": b.title_en,
        "intro_zh": b.intro_zh, "intro_en": b.intro_en,
        "contents": b.contents,
        "published_at": b.published_at.map(|t| t.to_rfc3339()),
    })
}

/// The current canonical form of a published bulletin, for `ticorr ledger verify`.
pub async fn ledger_record_of(
    conn: &mut sqlx::AnyConnection,
    id: &str,
) -> Result<Option<serde_json::Value>, sqlx::Error> {
    match load(conn, id).await {
        Ok(b) => Ok(b
            .filter(|b| b.stage == "published")
            .map(|b| ledger_record(&b))),
        Err(CasesError::Storage(e)) => Err(e),
        // A damaged row has no canonical form: verify reports the entry.
        Err(_) => Ok(None),
    }
}

impl<'a> Cases<'a> {
    /// Computes what the bulletin of `period` (`from`..=`to`) says from the cases published
    /// in it.
    async fn contents(
        &self,
        conn: &mut sqlx::AnyConnection,
        (period, from, to): (&str, time::Date, time::Date),
    ) -> Result<Contents, CasesError> {
        let shelved = self.shelved(conn).await?;
        let month: Vec<&Body> = shelved
            .bodies
            .iter()
            .filter(|b| {
                let d = b.published_at.inner().date();
                d >= from && d <= to
            })
            .collect();
        let mut by_mechanism: BTreeMap<String, usize> = BTreeMap::new();
        let mut groups: BTreeMap<(String, String), Vec<&Body>> = BTreeMap::new();
        for b in &month {
            let m = b.case.mechanism.as_str().to_owned();
            *by_mechanism.entry(m.clone()).or_default() += 1;
            let division = b.case.industry.get(..2).unwrap_or("*").to_owned();
            groups.entry((m, division)).or_default().push(b);
        }
        let mut by_mechanism: Vec<Figure> = by_mechanism
            .into_iter()
            .map(|(mechanism, count)| Figure { mechanism, count })
            .collect();
        by_mechanism.sort_by(|a, b| b.count.cmp(&a.count).then(a.mechanism.cmp(&b.mechanism)));
        let mut groups: Vec<((String, String), Vec<&Body>)> = groups.into_iter().collect();
        groups.sort_by(|a, b| b.1.len().cmp(&a.1.len()).then(a.0.cmp(&b.0)));
        groups.truncate(GROUPS);
        let rules = &ticorr_platform::risk::load().map_err(corrupt)?.rules;
        let released = revision::released_clauses(self.db)
            .await
            .map_err(|e| corrupt(e.to_string()))?;
        let mut out = Vec::with_capacity(groups.len());
        for ((mechanism, industry), cases) in groups {
            let mut cited = Vec::new();
            for b in cases.iter().rev().take(CASES_PER_GROUP) {
                cited.push(CitedCase {
                    id: b.id.clone(),
                    title: crate::title_of(&b.case),
                    ledger: ledger::latest(conn, crate::LEDGER_TYPE, &b.id).await?,
                });
            }
            let lessons = cases
                .iter()
                .rev()
                .filter(|b| {
                    b.case.details.lessons_zh.is_some() || b.case.details.lessons_en.is_some()
                })
                .take(LESSONS_PER_GROUP)
                .map(|b| Lesson {
                    case_id: b.id.clone(),
                    zh: b.case.details.lessons_zh.clone(),
                    en: b.case.details.lessons_en.clone(),
                })
                .collect();
            let mut clauses = Vec::new();
            for (standard, version, list) in &released {
                for clause in list {
                    let prevents = clause_mechanisms(rules, &clause.sources);
                    if !prevents.contains(&mechanism) {
                        continue;
                    }
                    let n = cases
                        .iter()
                        .filter(|b| under(clause, &prevents, &b.case))
                        .count();
                    if n > 0 {
                        clauses.push(CitedClause {
                            standard_id: standard.id.clone(),
                            code: standard.code.clone(),
                            version: version.version.clone(),
                            number: clause.number.clone(),
                            text_zh: clause.text_zh.clone(),
                            text_en: clause.text_en.clone(),
                            cases: n,
                            ledger: ledger::latest(
                                conn,
                                ticorr_standards::LEDGER_TYPE,
                                &version.id,
                            )
                            .await?,
                        });
                    }
                }
            }
            clauses.sort_by(|a, b| {
                b.cases
                    .cmp(&a.cases)
                    .then_with(|| (&a.code, &a.number).cmp(&(&b.code, &b.number)))
            });
            clauses.truncate(CLAUSES_PER_GROUP);
            out.push(Group {
                count: cases.len(),
                mechanism,
                industry,
                cases: cited,
                lessons,
                clauses,
            });
        }
        let model = match crate::risk_models::released(conn, None).await? {
            Some(r) => Some(ModelRef {
                version: r.model.version,
                ledger: r.ledger,
            }),
            None => None,
        };
        Ok(Contents {
            period: period.to_owned(),
            from: from.to_string(),
            to: to.to_string(),
            cases_total: month.len(),
            by_mechanism,
            groups: out,
            model,
        })
    }

    /// Drafts the bulletin of the month before now, unless it exists. Returns its id and
    /// whether this call drafted it.
    pub async fn draft_bulletin(&self, caller: &Caller) -> Result<(String, bool), CasesError> {
        self.draft_bulletin_of(caller, previous_month(self.now()))
            .await
    }

    /// The latest month in which cases were published, as `(YYYY-MM, first day, last day)`
    /// (for a platform whose newest cases are older than last month, such as the demo's).
    pub async fn latest_case_month(
        &self,
    ) -> Result<Option<(String, time::Date, time::Date)>, CasesError> {
        let mut conn = self.db.pool().acquire().await?;
        let shelved = self.shelved(&mut conn).await?;
        let Some(newest) = shelved.bodies.iter().map(|b| b.published_at).max() else {
            return Ok(None);
        };
        // The month of `newest` is the previous month of any day in the month after it.
        let day = newest
            .inner()
            .date()
            .replace_day(28)
            .expect("day 28 exists")
            + time::Duration::days(7);
        Ok(Some(previous_month(Timestamp::from_offset(
            day.midnight().assume_utc(),
        ))))
    }

    /// Drafts the bulletin of one month, unless it exists.
    pub async fn draft_bulletin_of(
        &self,
        caller: &Caller,
        (period, from, to): (String, time::Date, time::Date),
    ) -> Result<(String, bool), CasesError> {
        let now = self.now();
        let id = uuid::Uuid::now_v7().to_string();
        let mut conn = self.db.pool().acquire().await?;
        self.gate
            .check(&mut conn, caller, Action::EditBulletin, &resource(&id))
            .await?;
        if let Some(existing) = of_period(&mut conn, &period).await? {
            return Ok((existing, false));
        }
        let contents = self.contents(&mut conn, (&period, from, to)).await?;
        drop(conn);
        let top: Vec<String> = contents
            .by_mechanism
            .iter()
            .take(3)
            .map(|f| f.mechanism.clone())
            .collect();
        let title_zh = format!("{period} 钛制加热设备典型事故风险警示");
        let title_en =
            format!("Typical-accident risk warning for titanium heating equipment, {period}");
        let intro_zh = format!(
            "{period} 平台共发布 {} 个脱敏失效案例。以下按失效机理和行业归类，列出案例的经验教训和适用的标准条款。",
            contents.cases_total
        );
        let intro_en = format!(
            "In {period} the platform published {} desensitized failure cases{}. They are grouped below by mechanism and industry, with the lessons their contributors drew and the standard clauses they fall under.",
            contents.cases_total,
            if top.is_empty() {
                String::new()
            } else {
                format!(", most of them {}", top.join(", "))
            }
        );
        let body = serde_json::to_string(&contents).map_err(corrupt)?;
        let inserted = sqlx::query(
            "INSERT INTO warning_bulletins (id, period, stage, title_zh, title_en, intro_zh, \
             intro_en, body, drafted_at, revision, updated_at) \
             VALUES ($1, $2, 'draft', $3, $4, $5, $6, $7, $8, 1, $8) ON CONFLICT (period) DO NOTHING",
        )
        .bind(id.clone())
        .bind(period.clone())
        .bind(title_zh)
        .bind(title_en)
        .bind(intro_zh)
        .bind(intro_en)
        .bind(body)
        .bind(now.to_rfc3339())
        .execute(self.db.pool())
        .await?
        .rows_affected();
        if inserted == 0 {
            // Another node drafted it meanwhile.
            let mut conn = self.db.pool().acquire().await?;
            let existing = of_period(&mut conn, &period)
                .await?
                .ok_or_else(|| corrupt("a drafted month without its bulletin"))?;
            return Ok((existing, false));
        }
        Ok((id, true))
    }

    /// Published bulletins, newest first; staff also see drafts.
    pub async fn bulletins(&self, caller: &Caller) -> Result<Vec<BulletinCard>, CasesError> {
        let staff = self.may_edit_bulletins(caller);
        let mut conn = self.db.pool().acquire().await?;
        let sql = format!(
            "SELECT {COLUMNS} FROM warning_bulletins {} ORDER BY period DESC",
            if staff {
                ""
            } else {
                "WHERE stage = 'published'"
            }
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .fetch_all(&mut *conn)
            .await?;
        rows.iter()
            .map(|r| {
                let b = from_row(r)?;
                Ok(BulletinCard {
                    id: b.id,
                    period: b.period,
                    stage: b.stage,
                    title_zh: b.title_zh,
                    title_en: b.title_en,
                    cases_total: b.contents.cases_total,
                    published_at: b.published_at,
                })
            })
            .collect()
    }

    /// Whether the caller drafts, edits and publishes bulletins (to offer the forms).
    pub fn may_edit_bulletins(&self, caller: &Caller) -> bool {
        self.gate
            .would_allow(caller, Action::EditBulletin, &resource("any"))
    }

    /// A bulletin: published ones for everyone, drafts for staff (404 to others).
    pub async fn bulletin(&self, caller: &Caller, id: &str) -> Result<Bulletin, CasesError> {
        let mut conn = self.db.pool().acquire().await?;
        let mut b = load(&mut conn, id).await?.ok_or(CasesError::NotFound)?;
        let action = if b.stage == "published" {
            Action::Read
        } else {
            Action::EditBulletin
        };
        self.gate
            .check(&mut conn, caller, action, &resource(id))
            .await
            .map_err(hidden)?;
        b.ledger = ledger::latest(&mut conn, LEDGER_TYPE, id).await?;
        Ok(b)
    }

    /// Staff edit a draft's title and introduction.
    pub async fn edit_bulletin(
        &self,
        caller: &Caller,
        id: &str,
        edit: &BulletinEdit,
    ) -> Result<Bulletin, CasesError> {
        let actor = caller.principal.actor().ok_or(CasesError::NotFound)?;
        let mut e = FieldErrors::new();
        for (field, text, max) in [
            ("title_zh", &edit.title_zh, MAX_TITLE),
            ("title_en", &edit.title_en, MAX_TITLE),
            ("intro_zh", &edit.intro_zh, MAX_INTRO),
            ("intro_en", &edit.intro_en, MAX_INTRO),
        ] {
            if text.trim().is_empty() {
                e.add(
                    field,
                    "required",
                    "write it; the bulletin is published in both languages",
                );
            } else if text.chars().count() > max {
                e.add(field, "too_long", format!("at most {max} characters"));
            }
        }
        let tx = self.db.begin().await?;
        let (mut tx, _) = self
            .gate
            .check_tx(tx, caller, Action::EditBulletin, &resource(id))
            .await
            .map_err(hidden)?;
        if !e.is_empty() {
            return Err(CasesError::Fields(e));
        }
        let now = self.now();
        let changed = sqlx::query(
            "UPDATE warning_bulletins SET title_zh = $1, title_en = $2, intro_zh = $3, \
             intro_en = $4, revision = revision + 1, updated_at = $5, updated_by = $6 \
             WHERE id = $7 AND revision = $8 AND stage = 'draft'",
        )
        .bind(edit.title_zh.trim().to_owned())
        .bind(edit.title_en.trim().to_owned())
        .bind(edit.intro_zh.trim().to_owned())
        .bind(edit.intro_en.trim().to_owned())
        .bind(now.to_rfc3339())
        .bind(actor.person_id.to_string())
        .bind(id.to_owned())
        .bind(edit.revision)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if changed == 0 {
            return Err(self.stale(&mut tx, id).await);
        }
        tx.commit().await?;
        self.bulletin(caller, id).await
    }

    /// Why a bulletin step found nothing to change: gone, published, or edited meanwhile.
    async fn stale(&self, conn: &mut sqlx::AnyConnection, id: &str) -> CasesError {
        let stage: Result<Option<String>, _> =
            sqlx::query_scalar("SELECT stage FROM warning_bulletins WHERE id = $1")
                .bind(id.to_owned())
                .fetch_optional(&mut *conn)
                .await;
        match stage {
            Ok(None) => CasesError::NotFound,
            Ok(Some(s)) if s == "published" => conflict("the bulletin is published already"),
            Ok(Some(_)) => conflict("the bulletin changed since you opened it; reload it"),
            Err(e) => e.into(),
        }
    }

    /// Staff publish a draft: public, anchored, pushed to every verified organisation (and
    /// prominently to those with matching equipment).
    pub async fn publish_bulletin(
        &self,
        caller: &Caller,
        id: &str,
        revision: i64,
    ) -> Result<Pushed, CasesError> {
        let actor = caller.principal.actor().ok_or(CasesError::NotFound)?;
        let tx = self.db.begin().await?;
        let (mut tx, _) = self
            .gate
            .check_tx(tx, caller, Action::EditBulletin, &resource(id))
            .await
            .map_err(hidden)?;
        let now = self.now();
        let changed = sqlx::query(
            "UPDATE warning_bulletins SET stage = 'published', published_at = $1, \
             published_by = $2, revision = revision + 1, updated_at = $1 \
             WHERE id = $3 AND revision = $4 AND stage = 'draft'",
        )
        .bind(now.to_rfc3339())
        .bind(actor.person_id.to_string())
        .bind(id.to_owned())
        .bind(revision)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if changed == 0 {
            return Err(self.stale(&mut tx, id).await);
        }
        let b = load(&mut tx, id)
            .await?
            .ok_or_else(|| corrupt("a published bulletin vanished"))?;
        ledger::anchor(
            &mut tx,
            now,
            &[Anchor {
                record_type: LEDGER_TYPE,
                record_id: id.to_owned(),
                record: ledger_record(&b),
            }],
        )
        .await?;
        let pushed = push(&mut tx, now, &b).await?;
        tx.commit().await?;
        Ok(pushed)
    }

    /// The handler of [`DRAFT_JOB`]: the platform drafts last month's bulletin and tells the
    /// staff.
    pub async fn run_draft_bulletin(&self, ctx: JobContext) -> Result<Settled, JobFailure> {
        let platform = Caller {
            principal: Principal::Platform,
            ip: None,
        };
        let (id, drafted) = self
            .draft_bulletin(&platform)
            .await
            .map_err(JobFailure::retry)?;
        let mut tx = ctx.db.begin().await?;
        if drafted {
            let staff: Vec<OrgId> = sqlx::query_scalar::<_, String>(
                "SELECT id FROM organizations WHERE kind IN ('operator', 'association') \
                 AND status = 'verified'",
            )
            .fetch_all(&mut *tx)
            .await?
            .iter()
            .filter_map(|s| s.parse().ok())
            .collect();
            notify::send(
                &mut tx,
                ctx.clock.now(),
                &Audience::Admins(staff),
                &Message {
                    kind: "cases".into(),
                    title_zh: "月度事故风险警示已起草".into(),
                    title_en: "The monthly risk warning bulletin is drafted".into(),
                    body_zh: "请审阅、编辑并发布。".into(),
                    body_en: "Review it, edit its texts and publish it.".into(),
                    link: Some(format!("/bulletins/{id}")),
                },
            )
            .await
            .map_err(JobFailure::retry)?;
        }
        let result = json!({ "bulletin": id, "drafted": drafted });
        let settled = ctx.complete_in(&mut tx, Some(&result)).await?;
        tx.commit().await?;
        Ok(settled)
    }
}

/// Tells every verified organisation; those with equipment whose worst-rated mechanism the
/// bulletin names hear it with the count of such items.
async fn push(
    conn: &mut sqlx::AnyConnection,
    now: Timestamp,
    b: &Bulletin,
) -> Result<Pushed, CasesError> {
    let mechanisms: Vec<String> = b
        .contents
        .groups
        .iter()
        .map(|g| g.mechanism.clone())
        .collect();
    let all: Vec<OrgId> =
        sqlx::query_scalar::<_, String>("SELECT id FROM organizations WHERE status = 'verified'")
            .fetch_all(&mut *conn)
            .await?
            .iter()
            .filter_map(|s| s.parse().ok())
            .collect();
    let mut matching: BTreeMap<OrgId, usize> = BTreeMap::new();
    if !mechanisms.is_empty() {
        let marks: Vec<String> = (1..=mechanisms.len()).map(|i| format!("${i}")).collect();
        let sql = format!(
            "SELECT org_id, COUNT(*) AS n FROM risk_assessments WHERE is_current = 1 \
             AND worst_mechanism IN ({}) GROUP BY org_id",
            marks.join(", ")
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for m in &mechanisms {
            q = q.bind(m.clone());
        }
        for r in q.fetch_all(&mut *conn).await? {
            let org: OrgId = ticorr_db::parsed(&r, "org_id")?;
            matching.insert(org, r.try_get::<i64, _>("n")? as usize);
        }
    }
    let link = Some(format!("/bulletins/{}", b.id));
    let others: Vec<OrgId> = all
        .iter()
        .filter(|o| !matching.contains_key(o))
        .copied()
        .collect();
    notify::send(
        conn,
        now,
        &Audience::Organizations(others),
        &Message {
            kind: "cases".into(),
            title_zh: b.title_zh.clone(),
            title_en: b.title_en.clone(),
            body_zh: format!(
                "{} 个失效案例的经验教训与适用条款。",
                b.contents.cases_total
            ),
            body_en: format!(
                "Lessons and the clauses that apply, from {} failure cases.",
                b.contents.cases_total
            ),
            link: link.clone(),
        },
    )
    .await?;
    for (org, n) in &matching {
        notify::send(
            conn,
            now,
            &Audience::Organizations(vec![*org]),
            &Message {
                kind: "cases".into(),
                title_zh: format!("【请重点关注】{}：涉及本单位 {n} 台设备", b.title_zh),
                title_en: format!("Important: {} concerns {n} of your items", b.title_en),
                body_zh: format!(
                    "本期警示的失效机理正是本单位 {n} 台设备当前风险评估中最严重的机理。请对照警示中的经验教训和条款逐台核查。"
                ),
                body_en: format!(
                    "The mechanisms this bulletin warns of are the worst-rated ones of {n} of your items in their current risk assessment. Check each against the lessons and clauses it cites."
                ),
                link: link.clone(),
            },
        )
        .await?;
    }
    Ok(Pushed {
        organizations: all.len(),
        matching: matching.len(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bulletin_covers_the_whole_previous_month() {
        let at = |s: &str| {
            Timestamp::from_offset(
                time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339)
                    .unwrap(),
            )
        };
        let (period, from, to) = previous_month(at("2026-03-01T00:10:00Z"));
        assert_eq!(period, "2026-02");
        assert_eq!(
            (from.to_string(), to.to_string()),
            ("2026-02-01".into(), "2026-02-28".into())
        );
        let (period, _, to) = previous_month(at("2026-01-15T12:00:00Z"));
        assert_eq!(period, "2025-12");
        assert_eq!(to.to_string(), "2025-12-31");
    }
}
