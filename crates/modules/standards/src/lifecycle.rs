//! The closed loop of the platform's unified standards: a verified organisation applies
//! with draft clauses (a new standard, a revision, or an erratum) → the association's
//! standards secretariat checks the form → at least three experts of fitting specialty,
//! none of the applicant's organisation, vote clause by clause → public consultation, every
//! comment disposed of with a reason → release, anchored in the ledger, the previous
//! version kept and marked superseded → a daily job opens a review task when a standard's
//! review falls due.
//!
//! Every step is decided by the policies on the proposal (`policies/standards.cedar`),
//! recorded in the proposal's history (`standard_events`) and notified to whoever must act
//! next. The rules of the review and the consultation are data
//! (`refdata/standards_lifecycle.json`).

use std::sync::LazyLock;

use serde::{Deserialize, Serialize};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};
use ticorr_db::{Db, parsed, parsed_opt};
use ticorr_kernel::{FieldErrors, Level, OrgId, OrgKind, PersonId, Timestamp};
use ticorr_platform::notify::{self, Audience, Message};
use ticorr_platform::policy::{Action, DraftRef, Resource};
use ticorr_platform::{Actor, Caller, Gate};
use uuid::Uuid;

use crate::model::{ClauseInput, Origin, Stage, StandardInput};
use crate::{StandardsError, store};

/// The notification kind of the standards lifecycle and of releases.
pub const NOTIFY_KIND: &str = "standards";
/// The job that tells organisations about a release that concerns their equipment.
pub const PUSH_JOB: &str = "standards.push";
/// The daily job that opens review tasks for standards whose review is due.
pub const REVIEW_DUE_JOB: &str = "standards.review-due";

/// A fraction, kept exact (two of three reviewers is exactly two thirds).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Fraction {
    pub num: u32,
    pub den: u32,
}

impl Fraction {
    /// Whether `part` of `whole` is at least this fraction.
    pub fn at_least(self, part: usize, whole: usize) -> bool {
        part as u64 * self.den as u64 >= whole as u64 * self.num as u64
    }

    /// Whether `part` of `whole` is at most this fraction.
    pub fn at_most(self, part: usize, whole: usize) -> bool {
        part as u64 * self.den as u64 <= whole as u64 * self.num as u64
    }

    /// The smallest count of `whole` that reaches this fraction.
    pub fn of(self, whole: usize) -> usize {
        (whole as u64 * self.num as u64).div_ceil(self.den as u64) as usize
    }
}

/// How expert review decides.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ReviewRule {
    pub min_reviewers: usize,
    /// Share of the assigned reviewers who must vote on a clause.
    pub participation: Fraction,
    /// Share of the votes cast that must approve (with or without changes).
    pub approve_share: Fraction,
    /// Largest share of the votes cast that may reject.
    pub reject_share_max: Fraction,
    pub convention: bool,
    pub source: String,
    #[serde(default)]
    pub unverified: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ConsultationRule {
    pub min_days: i64,
    pub convention: bool,
    pub source: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PromotionRule {
    pub min_applications: usize,
    pub min_organisations: usize,
    pub convention: bool,
    pub source: String,
}

/// The rules of the lifecycle, from `refdata/standards_lifecycle.json`.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Rules {
    pub note: String,
    pub review: ReviewRule,
    pub consultation: ConsultationRule,
    pub promotion: PromotionRule,
}

static RULES: LazyLock<Rules> = LazyLock::new(|| {
    serde_json::from_slice(include_bytes!(
        "../../../../refdata/standards_lifecycle.json"
    ))
    .expect("refdata/standards_lifecycle.json is valid (checked by a test)")
});

/// The lifecycle's rules.
pub fn rules() -> &'static Rules {
    &RULES
}

ticorr_kernel::text_enum! {
    /// What a proposal asks for.
    pub enum DraftKind {
        /// A new platform standard.
        New = "new",
        /// A new version of a released standard, through the whole lifecycle.
        Revision = "revision",
        /// An editorial correction of the released version: formal check, then release.
        Erratum = "erratum",
    }
}

ticorr_kernel::text_enum! {
    /// Where a proposal stands.
    pub enum DraftStage {
        Draft = "draft",
        FormalCheck = "formal_check",
        ExpertReview = "expert_review",
        Consultation = "consultation",
        Approved = "approved",
        Released = "released",
        Rejected = "rejected",
        Withdrawn = "withdrawn",
    }
}

impl DraftStage {
    /// The stages a proposal goes through, in order (without the ends that stop it).
    pub const PATH: [DraftStage; 6] = [
        DraftStage::Draft,
        DraftStage::FormalCheck,
        DraftStage::ExpertReview,
        DraftStage::Consultation,
        DraftStage::Approved,
        DraftStage::Released,
    ];

    /// Whether the proposal is still moving.
    pub fn open(self) -> bool {
        !matches!(
            self,
            DraftStage::Released | DraftStage::Rejected | DraftStage::Withdrawn
        )
    }
}

ticorr_kernel::text_enum! {
    /// A reviewer's vote on one clause.
    pub enum Vote {
        Approve = "approve",
        ApproveWithChanges = "approve_with_changes",
        Reject = "reject",
    }
}

ticorr_kernel::text_enum! {
    /// What became of a consultation comment.
    pub enum Disposition {
        Accepted = "accepted",
        PartlyAccepted = "partly_accepted",
        NotAccepted = "not_accepted",
    }
}

/// A proposal.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Draft {
    pub id: String,
    pub kind: DraftKind,
    /// The standard revised or corrected; none for a new standard until released.
    pub standard_id: Option<String>,
    /// The released version it revises or corrects.
    pub base_version_id: Option<String>,
    pub applicant_org_id: OrgId,
    pub applicant_org_name: String,
    pub applicant_person_id: PersonId,
    pub stage: DraftStage,
    /// Submissions so far; votes count in the current round only.
    pub round: i64,
    /// The standard as proposed, with its clauses.
    #[schema(value_type = Object)]
    pub proposal: StandardInput,
    /// The content's revision: each save of the proposal or its justification adds one.
    pub revision: i64,
    pub justification: String,
    /// The last day of public consultation (`YYYY-MM-DD`).
    pub consultation_ends_on: Option<String>,
    pub released_version_id: Option<String>,
    pub reviewers: Vec<Reviewer>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

impl Draft {
    /// The proposal as the policies see it.
    pub fn resource(&self) -> Resource {
        Resource::StandardDraft(DraftRef {
            id: self.id.clone(),
            applicant: self.applicant_org_id,
            stage: self.stage.as_str(),
            reviewers: self.reviewers.iter().map(|r| r.person_id).collect(),
        })
    }
}

/// An expert assigned to review a proposal.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Reviewer {
    pub person_id: PersonId,
    pub name: String,
    pub org_name: String,
    pub specialties: Vec<String>,
}

/// A vote as recorded.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct VoteRecord {
    pub round: i64,
    pub person_id: PersonId,
    pub person_name: String,
    pub clause_number: String,
    pub vote: Vote,
    pub comment: String,
    pub voted_at: Timestamp,
}

/// Where one clause's review stands in the current round.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct ClauseTally {
    pub number: String,
    pub approve: usize,
    pub approve_with_changes: usize,
    pub reject: usize,
    /// Votes still needed before the clause is decided.
    pub missing: usize,
    /// `pending` (too few votes), `passed` or `failed`.
    pub outcome: String,
}

/// A consultation comment with its disposition.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Comment {
    pub id: String,
    /// The clause commented on; none for the proposal as a whole.
    pub clause_number: Option<String>,
    pub person_name: String,
    pub org_name: String,
    pub text: String,
    pub created_at: Timestamp,
    pub disposition: Option<Disposition>,
    pub reason: Option<String>,
    pub disposed_at: Option<Timestamp>,
}

/// One entry of a proposal's or a standard's history.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Event {
    pub at: Timestamp,
    pub person_name: Option<String>,
    pub org_name: Option<String>,
    /// `applied`, `edited`, `submitted`, `formal_check_passed`, `returned`, `reviewers_assigned`,
    /// `voted`, `review_concluded`, `consultation_opened`, `commented`, `disposed`,
    /// `consultation_closed`, `released`, `rejected`, `withdrawn`, `review_due`, `reaffirmed`.
    pub action: String,
    pub detail: String,
}

/// A proposal with everything its page shows.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DraftView {
    pub draft: Draft,
    /// The code and version it revises, if any.
    pub base_version: Option<String>,
    /// Votes of the current round.
    pub votes: Vec<VoteRecord>,
    /// Votes of earlier rounds, kept on record.
    pub earlier_votes: Vec<VoteRecord>,
    pub tally: Vec<ClauseTally>,
    /// Every clause is decided (passed or failed) in the current round.
    pub review_decided: bool,
    pub comments: Vec<Comment>,
    pub events: Vec<Event>,
}

/// The tally of the current round, clause by clause.
pub fn tally(clauses: &[ClauseInput], votes: &[VoteRecord], assigned: usize) -> Vec<ClauseTally> {
    let rule = &rules().review;
    let needed = rule.min_reviewers.max(rule.participation.of(assigned));
    clauses
        .iter()
        .map(|c| {
            let mine = votes.iter().filter(|v| v.clause_number == c.number);
            let mut t = ClauseTally {
                number: c.number.clone(),
                approve: 0,
                approve_with_changes: 0,
                reject: 0,
                missing: 0,
                outcome: String::new(),
            };
            for v in mine {
                match v.vote {
                    Vote::Approve => t.approve += 1,
                    Vote::ApproveWithChanges => t.approve_with_changes += 1,
                    Vote::Reject => t.reject += 1,
                }
            }
            let cast = t.approve + t.approve_with_changes + t.reject;
            t.missing = needed.saturating_sub(cast);
            t.outcome = if t.missing > 0 {
                "pending"
            } else if rule
                .approve_share
                .at_least(t.approve + t.approve_with_changes, cast)
                && rule.reject_share_max.at_most(t.reject, cast)
            {
                "passed"
            } else {
                "failed"
            }
            .to_owned();
            t
        })
        .collect()
}

// ---- storage ----

const DRAFT_SELECT: &str = "SELECT d.id, d.kind, d.standard_id, d.base_version_id, \
    d.applicant_org_id, o.name AS applicant_org_name, d.applicant_person_id, d.stage, d.round, \
    d.proposal, d.revision, d.justification, d.consultation_ends_on, d.released_version_id, \
    d.created_at, d.updated_at FROM standard_drafts d JOIN organizations o ON o.id = d.applicant_org_id";

fn decode(e: serde_json::Error) -> sqlx::Error {
    sqlx::Error::Decode(Box::new(e))
}

fn draft_from(r: &AnyRow) -> Result<Draft, sqlx::Error> {
    let proposal: String = r.try_get("proposal")?;
    Ok(Draft {
        id: r.try_get("id")?,
        kind: parsed(r, "kind")?,
        standard_id: r.try_get("standard_id")?,
        base_version_id: r.try_get("base_version_id")?,
        applicant_org_id: parsed(r, "applicant_org_id")?,
        applicant_org_name: r.try_get("applicant_org_name")?,
        applicant_person_id: parsed(r, "applicant_person_id")?,
        stage: parsed(r, "stage")?,
        round: r.try_get("round")?,
        proposal: serde_json::from_str(&proposal).map_err(decode)?,
        revision: r.try_get("revision")?,
        justification: r.try_get("justification")?,
        consultation_ends_on: r.try_get("consultation_ends_on")?,
        released_version_id: r.try_get("released_version_id")?,
        reviewers: Vec::new(),
        created_at: parsed(r, "created_at")?,
        updated_at: parsed(r, "updated_at")?,
    })
}

/// The topics a person's expertise is recorded for.
pub async fn specialties(
    conn: &mut AnyConnection,
    person: PersonId,
) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query("SELECT topic FROM person_specialties WHERE person_id = $1 ORDER BY topic")
        .bind(person.to_string())
        .fetch_all(conn)
        .await?
        .iter()
        .map(|r| r.try_get("topic"))
        .collect()
}

async fn load(conn: &mut AnyConnection, id: &str) -> Result<Option<Draft>, sqlx::Error> {
    let sql = format!("{DRAFT_SELECT} WHERE d.id = $1");
    let Some(row) = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(id.to_owned())
        .fetch_optional(&mut *conn)
        .await?
    else {
        return Ok(None);
    };
    let mut draft = draft_from(&row)?;
    draft.reviewers = reviewers(conn, id).await?;
    Ok(Some(draft))
}

async fn reviewers(conn: &mut AnyConnection, id: &str) -> Result<Vec<Reviewer>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT p.id, p.display_name, o.name AS org_name FROM standard_reviewers r \
         JOIN people p ON p.id = r.person_id JOIN organizations o ON o.id = p.org_id \
         WHERE r.draft_id = $1 ORDER BY r.assigned_at, p.display_name",
    )
    .bind(id.to_owned())
    .fetch_all(&mut *conn)
    .await?;
    let mut out = Vec::new();
    for r in rows {
        let person_id: PersonId = parsed(&r, "id")?;
        out.push(Reviewer {
            person_id,
            name: r.try_get("display_name")?,
            org_name: r.try_get("org_name")?,
            specialties: specialties(conn, person_id).await?,
        });
    }
    Ok(out)
}

async fn votes(conn: &mut AnyConnection, id: &str) -> Result<Vec<VoteRecord>, sqlx::Error> {
    sqlx::query(
        "SELECT v.round, v.person_id, p.display_name, v.clause_number, v.vote, v.comment, \
         v.voted_at FROM standard_votes v JOIN people p ON p.id = v.person_id \
         WHERE v.draft_id = $1 ORDER BY v.round DESC, v.clause_number, p.display_name",
    )
    .bind(id.to_owned())
    .fetch_all(conn)
    .await?
    .iter()
    .map(|r| {
        Ok(VoteRecord {
            round: r.try_get("round")?,
            person_id: parsed(r, "person_id")?,
            person_name: r.try_get("display_name")?,
            clause_number: r.try_get("clause_number")?,
            vote: parsed(r, "vote")?,
            comment: r.try_get("comment")?,
            voted_at: parsed(r, "voted_at")?,
        })
    })
    .collect()
}

async fn comments(conn: &mut AnyConnection, id: &str) -> Result<Vec<Comment>, sqlx::Error> {
    sqlx::query(
        "SELECT c.id, c.clause_number, p.display_name, o.name AS org_name, c.text, c.created_at, \
         c.disposition, c.reason, c.disposed_at FROM standard_comments c \
         JOIN people p ON p.id = c.person_id JOIN organizations o ON o.id = c.org_id \
         WHERE c.draft_id = $1 ORDER BY c.created_at, c.id",
    )
    .bind(id.to_owned())
    .fetch_all(conn)
    .await?
    .iter()
    .map(|r| {
        Ok(Comment {
            id: r.try_get("id")?,
            clause_number: r.try_get("clause_number")?,
            person_name: r.try_get("display_name")?,
            org_name: r.try_get("org_name")?,
            text: r.try_get("text")?,
            created_at: parsed(r, "created_at")?,
            disposition: parsed_opt(r, "disposition")?,
            reason: r.try_get("reason")?,
            disposed_at: parsed_opt(r, "disposed_at")?,
        })
    })
    .collect()
}

/// The history of a proposal (`draft_id`) or of a standard (`standard_id`, which includes
/// the history of every proposal released into it).
pub(crate) async fn events(
    conn: &mut AnyConnection,
    draft_id: Option<&str>,
    standard_id: Option<&str>,
) -> Result<Vec<Event>, sqlx::Error> {
    let (cond, key) = match (draft_id, standard_id) {
        (Some(d), _) => ("e.draft_id = $1", d),
        (None, Some(s)) => (
            "(e.standard_id = $1 OR e.draft_id IN \
             (SELECT id FROM standard_drafts WHERE standard_id = $1))",
            s,
        ),
        (None, None) => return Ok(Vec::new()),
    };
    let sql = format!(
        "SELECT e.at, p.display_name, o.name AS org_name, e.action, e.detail \
         FROM standard_events e LEFT JOIN people p ON p.id = e.person_id \
         LEFT JOIN organizations o ON o.id = e.org_id WHERE {cond} ORDER BY e.at, e.id"
    );
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(key.to_owned())
        .fetch_all(conn)
        .await?
        .iter()
        .map(|r| {
            Ok(Event {
                at: parsed(r, "at")?,
                person_name: r.try_get("display_name")?,
                org_name: r.try_get("org_name")?,
                action: r.try_get("action")?,
                detail: r.try_get("detail")?,
            })
        })
        .collect()
}

/// Writes one history entry.
pub(crate) async fn record_event(
    conn: &mut AnyConnection,
    (draft_id, standard_id): (Option<&str>, Option<&str>),
    who: Option<&Actor>,
    at: Timestamp,
    action: &str,
    detail: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO standard_events (id, draft_id, standard_id, at, person_id, org_id, action, \
         detail) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(Uuid::now_v7().to_string())
    .bind(draft_id.map(str::to_owned))
    .bind(standard_id.map(str::to_owned))
    .bind(at.to_rfc3339())
    .bind(who.map(|a| a.person_id.to_string()))
    .bind(who.map(|a| a.org_id.to_string()))
    .bind(action.to_owned())
    .bind(detail.to_owned())
    .execute(conn)
    .await?;
    Ok(())
}

async fn set_stage(
    conn: &mut AnyConnection,
    id: &str,
    stage: DraftStage,
    now: Timestamp,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE standard_drafts SET stage = $1, updated_at = $2 WHERE id = $3")
        .bind(stage.as_str())
        .bind(now.to_rfc3339())
        .bind(id.to_owned())
        .execute(conn)
        .await?;
    Ok(())
}

/// The verified associations: the standards secretariat.
pub(crate) async fn secretariat(conn: &mut AnyConnection) -> Result<Vec<OrgId>, sqlx::Error> {
    sqlx::query("SELECT id FROM organizations WHERE kind = $1 AND status = 'verified' ORDER BY id")
        .bind(OrgKind::Association.as_str())
        .fetch_all(conn)
        .await?
        .iter()
        .map(|r| parsed(r, "id"))
        .collect()
}

/// Tells `audience` about a step of a proposal; the link is the proposal's page.
async fn tell(
    conn: &mut AnyConnection,
    now: Timestamp,
    audience: &Audience,
    draft: &Draft,
    (title_zh, title_en): (String, String),
    (body_zh, body_en): (String, String),
) -> Result<(), StandardsError> {
    let message = Message {
        kind: NOTIFY_KIND.to_owned(),
        title_zh,
        title_en,
        body_zh,
        body_en,
        link: Some(format!("/standards/drafts/{}", draft.id)),
    };
    notify::send(conn, now, audience, &message)
        .await
        .map_err(|e| match e {
            notify::NotifyError::Storage(e) => StandardsError::Storage(e),
            other => StandardsError::Invalid(vec![other.to_string()]),
        })?;
    Ok(())
}

fn name(d: &Draft) -> String {
    format!("{} {}", d.proposal.code, d.proposal.title_zh)
}

fn name_en(d: &Draft) -> String {
    format!("{} {}", d.proposal.code, d.proposal.title_en)
}

// ---- reading ----

/// Filters of the proposal list.
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DraftFilter {
    /// One stage (`draft`, `formal_check`, `expert_review`, `consultation`, `approved`,
    /// `released`, `rejected`, `withdrawn`), or `open` for every stage still moving.
    pub stage: Option<String>,
    /// Proposals of one standard.
    pub standard_id: Option<String>,
}

/// The proposals the caller may follow, newest change first.
pub async fn list(
    db: &Db,
    gate: &Gate,
    caller: &Caller,
    filter: &DraftFilter,
) -> Result<Vec<Draft>, StandardsError> {
    let mut conn = db.pool().acquire().await?;
    let mut conditions = Vec::new();
    let mut args = Vec::new();
    match filter.stage.as_deref().filter(|s| !s.is_empty()) {
        None => {}
        Some("open") => {
            conditions.push("d.stage NOT IN ('released', 'rejected', 'withdrawn')".to_owned())
        }
        Some(s) => {
            let stage: DraftStage = s.parse().map_err(|_| {
                let mut f = FieldErrors::new();
                f.add("stage", "unknown", format!("unknown stage `{s}`"));
                StandardsError::Fields(f)
            })?;
            args.push(stage.as_str().to_owned());
            conditions.push(format!("d.stage = ${}", args.len()));
        }
    }
    if let Some(s) = filter.standard_id.as_deref().filter(|s| !s.is_empty()) {
        args.push(s.to_owned());
        conditions.push(format!("d.standard_id = ${}", args.len()));
    }
    let sql = format!(
        "{DRAFT_SELECT} {} ORDER BY d.updated_at DESC, d.id LIMIT 500",
        if conditions.is_empty() {
            String::new()
        } else {
            format!("WHERE {}", conditions.join(" AND "))
        }
    );
    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
    for a in args {
        q = q.bind(a);
    }
    let mut drafts = Vec::new();
    for row in q.fetch_all(&mut *conn).await? {
        let mut d = draft_from(&row)?;
        d.reviewers = reviewers(&mut conn, &d.id).await?;
        drafts.push(d);
    }
    Ok(gate
        .filter(
            &mut conn,
            caller,
            Action::ViewDraft,
            drafts,
            Draft::resource,
        )
        .await?)
}

/// One proposal with its votes, tally, comments and history, if the caller may follow it.
pub async fn get(
    db: &Db,
    gate: &Gate,
    caller: &Caller,
    id: &str,
) -> Result<DraftView, StandardsError> {
    let mut conn = db.pool().acquire().await?;
    let draft = load(&mut conn, id).await?.ok_or(StandardsError::NotFound)?;
    gate.check(&mut conn, caller, Action::ViewDraft, &draft.resource())
        .await?;
    let base_version = match &draft.base_version_id {
        Some(v) => store::version(&mut conn, v)
            .await?
            .map(|(_, code, v)| format!("{code} {}", v.version)),
        None => None,
    };
    let (votes, earlier_votes): (Vec<_>, Vec<_>) = votes(&mut conn, id)
        .await?
        .into_iter()
        .partition(|v| v.round == draft.round);
    let tally = tally(&draft.proposal.clauses, &votes, draft.reviewers.len());
    let review_decided = !tally.is_empty() && tally.iter().all(|t| t.outcome != "pending");
    let comments = comments(&mut conn, id).await?;
    let events = events(&mut conn, Some(id), None).await?;
    Ok(DraftView {
        draft,
        base_version,
        votes,
        earlier_votes,
        tally,
        review_decided,
        comments,
        events,
    })
}

/// The released clauses a revision or erratum starts from, and what it changes.
pub async fn diff(
    db: &Db,
    gate: &Gate,
    caller: &Caller,
    id: &str,
) -> Result<crate::diff::VersionDiff, StandardsError> {
    let view = get(db, gate, caller, id).await?;
    let mut conn = db.pool().acquire().await?;
    let (from, base) = match &view.draft.base_version_id {
        Some(v) => {
            let clauses: Vec<ClauseInput> = store::clauses(&mut conn, v)
                .await?
                .into_iter()
                .map(ClauseInput::from)
                .collect();
            (view.base_version.clone().unwrap_or_default(), clauses)
        }
        None => (String::new(), Vec::new()),
    };
    Ok(crate::diff::versions(
        (&from, &base),
        ("proposal", &view.draft.proposal.clauses),
    ))
}

// ---- steps ----

fn stage_error(d: &Draft, wanted: &[DraftStage]) -> StandardsError {
    StandardsError::Conflict(format!(
        "the proposal is at stage `{}`; this step needs {}",
        d.stage,
        wanted
            .iter()
            .map(|s| format!("`{s}`"))
            .collect::<Vec<_>>()
            .join(" or ")
    ))
}

/// Opens a transaction on a proposal: loads it, asks the gate for `action`, and checks its
/// stage is one of `stages`.
async fn step(
    db: &Db,
    gate: &Gate,
    caller: &Caller,
    id: &str,
    action: Action,
    stages: &[DraftStage],
) -> Result<(ticorr_db::Tx, Draft), StandardsError> {
    let mut tx = db.begin().await?;
    let draft = load(&mut tx, id).await?.ok_or(StandardsError::NotFound)?;
    let (tx, _permit) = gate.check_tx(tx, caller, action, &draft.resource()).await?;
    if !stages.contains(&draft.stage) {
        return Err(stage_error(&draft, stages));
    }
    Ok((tx, draft))
}

fn actor(caller: &Caller) -> Result<&Actor, StandardsError> {
    caller.principal.actor().ok_or(StandardsError::Forbidden)
}

/// A new proposal as submitted.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewDraft {
    pub kind: DraftKind,
    /// The released standard a revision or erratum is for.
    #[serde(default)]
    pub standard_id: Option<String>,
    /// The standard as proposed. For a revision or an erratum it may be left out: the
    /// proposal then starts as a copy of the released version.
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    pub proposal: Option<StandardInput>,
    /// Why the standard is needed or must change.
    pub justification: String,
}

/// What the applicant may change while the proposal is a draft.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DraftEdit {
    #[schema(value_type = Object)]
    pub proposal: StandardInput,
    pub justification: String,
    /// The revision the edit was made on. When given and the proposal has been saved since,
    /// the edit is refused as a conflict and nothing changes; read it again and redo.
    #[serde(default)]
    pub revision: Option<i64>,
}

/// Checks a proposal's content against the standard it belongs to.
async fn check_proposal(
    conn: &mut AnyConnection,
    kind: DraftKind,
    standard: Option<&crate::Standard>,
    proposal: &StandardInput,
    justification: &str,
) -> Result<FieldErrors, sqlx::Error> {
    let mut errors = FieldErrors::new();
    if justification.trim().is_empty() {
        errors.add(
            "justification",
            "required",
            "say why the standard is needed or must change",
        );
    }
    if proposal.origin != Origin::Platform {
        errors.add(
            "proposal.origin",
            "not_allowed",
            "the lifecycle makes platform standards; an own specification or guideline is recorded directly",
        );
    }
    match (kind, standard) {
        (DraftKind::New, _) => {
            let taken = sqlx::query("SELECT 1 AS one FROM standards WHERE code = $1")
                .bind(proposal.code.clone())
                .fetch_optional(conn)
                .await?;
            if taken.is_some() {
                errors.add(
                    "proposal.code",
                    "taken",
                    format!(
                        "a standard with code `{}` exists: propose a revision of it",
                        proposal.code
                    ),
                );
            }
        }
        (_, Some(s)) if s.code != proposal.code => errors.add(
            "proposal.code",
            "fixed",
            format!("a revision keeps the standard's code `{}`", s.code),
        ),
        _ => {}
    }
    for problem in crate::check_input(proposal) {
        errors.add("proposal", "invalid", problem);
    }
    Ok(errors)
}

/// Applies: writes a proposal at stage `draft` for the caller's organisation. A revision or
/// erratum names a released platform standard and starts, unless given, as a copy of its
/// released version.
pub async fn create(
    db: &Db,
    gate: &Gate,
    caller: &Caller,
    new: &NewDraft,
) -> Result<Draft, StandardsError> {
    let actor = actor(caller)?;
    let now = gate.clock().now();
    let mut tx = db.begin().await?;
    let (standard, base) = match (new.kind, new.standard_id.as_deref()) {
        (DraftKind::New, _) => (None, None),
        (_, None) => {
            let mut f = FieldErrors::new();
            f.add(
                "standard_id",
                "required",
                "name the released standard to revise or correct",
            );
            return Err(StandardsError::Fields(f));
        }
        (_, Some(sid)) => {
            let s = store::standard(&mut tx, sid)
                .await?
                .ok_or(StandardsError::NotFound)?;
            // Whether the caller may see it at all, before saying anything about it.
            let (t, _permit) = gate
                .check_tx(tx, caller, Action::Read, &s.resource())
                .await?;
            tx = t;
            let current = store::versions(&mut tx, sid)
                .await?
                .into_iter()
                .find(|v| v.stage == Stage::Released);
            match (s.origin, current) {
                (Origin::Platform, Some(v)) => (Some(s), Some(v)),
                _ => {
                    let mut f = FieldErrors::new();
                    f.add(
                        "standard_id",
                        "not_allowed",
                        "only a released platform standard is revised through the lifecycle",
                    );
                    return Err(StandardsError::Fields(f));
                }
            }
        }
    };
    let proposal = match (&new.proposal, &standard, &base) {
        (Some(p), _, _) => p.clone(),
        (None, Some(s), Some(v)) => StandardInput {
            code: s.code.clone(),
            origin: s.origin,
            title_en: s.title_en.clone(),
            title_zh: s.title_zh.clone(),
            scope_en: s.scope_en.clone(),
            scope_zh: s.scope_zh.clone(),
            topic: s.topic.clone(),
            references: s.references.clone(),
            review_interval_months: s.review_interval_months,
            clauses: store::clauses(&mut tx, &v.id)
                .await?
                .into_iter()
                .map(ClauseInput::from)
                .collect(),
        },
        _ => {
            let mut f = FieldErrors::new();
            f.add(
                "proposal",
                "required",
                "a new standard needs its draft clauses",
            );
            return Err(StandardsError::Fields(f));
        }
    };
    let mut draft = Draft {
        id: Uuid::now_v7().to_string(),
        kind: new.kind,
        standard_id: standard.as_ref().map(|s| s.id.clone()),
        base_version_id: base.as_ref().map(|v| v.id.clone()),
        applicant_org_id: actor.org_id,
        applicant_org_name: actor.org_name.clone(),
        applicant_person_id: actor.person_id,
        stage: DraftStage::Draft,
        round: 0,
        revision: 0,
        proposal,
        justification: new.justification.trim().to_owned(),
        consultation_ends_on: None,
        released_version_id: None,
        reviewers: Vec::new(),
        created_at: now,
        updated_at: now,
    };
    let (mut tx, _permit) = gate
        .check_tx(tx, caller, Action::EditDraft, &draft.resource())
        .await?;
    let errors = check_proposal(
        &mut tx,
        new.kind,
        standard.as_ref(),
        &draft.proposal,
        &draft.justification,
    )
    .await?;
    if !errors.is_empty() {
        return Err(StandardsError::Fields(errors));
    }
    sqlx::query(
        "INSERT INTO standard_drafts (id, kind, standard_id, base_version_id, applicant_org_id, \
         applicant_person_id, stage, round, proposal, justification, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, 0, $8, $9, $10, $10)",
    )
    .bind(draft.id.clone())
    .bind(draft.kind.as_str())
    .bind(draft.standard_id.clone())
    .bind(draft.base_version_id.clone())
    .bind(actor.org_id.to_string())
    .bind(actor.person_id.to_string())
    .bind(draft.stage.as_str())
    .bind(serde_json::to_string(&draft.proposal).expect("a proposal serializes"))
    .bind(draft.justification.clone())
    .bind(now.to_rfc3339())
    .execute(&mut *tx)
    .await?;
    let detail = format!("{} · {}", draft.kind, name(&draft));
    record_event(
        &mut tx,
        (Some(&draft.id), None),
        Some(actor),
        now,
        "applied",
        &detail,
    )
    .await?;
    tx.commit().await?;
    draft.applicant_org_name = actor.org_name.clone();
    Ok(draft)
}

/// Rewrites the proposal while it is a draft.
pub async fn update(
    db: &Db,
    gate: &Gate,
    caller: &Caller,
    id: &str,
    edit: &DraftEdit,
) -> Result<Draft, StandardsError> {
    let actor = actor(caller)?;
    let now = gate.clock().now();
    // A draft is written freely; once consultation has closed, the applicant folds in the
    // changes the reviewers asked for and the comments accepted, recorded as such (the
    // secretariat sees the result against the released version before releasing it).
    let (mut tx, draft) = step(
        db,
        gate,
        caller,
        id,
        Action::EditDraft,
        &[DraftStage::Draft, DraftStage::Approved],
    )
    .await?;
    let standard = match &draft.standard_id {
        Some(s) => store::standard(&mut tx, s).await?,
        None => None,
    };
    let errors = check_proposal(
        &mut tx,
        draft.kind,
        standard.as_ref(),
        &edit.proposal,
        &edit.justification,
    )
    .await?;
    if !errors.is_empty() {
        return Err(StandardsError::Fields(errors));
    }
    // The revision compared in the write itself, so two saves racing cannot both pass.
    let expected = edit.revision.unwrap_or(draft.revision);
    let written = sqlx::query(
        "UPDATE standard_drafts SET proposal = $1, justification = $2, updated_at = $3, \
         revision = revision + 1 WHERE id = $4 AND revision = $5",
    )
    .bind(serde_json::to_string(&edit.proposal).expect("a proposal serializes"))
    .bind(edit.justification.trim().to_owned())
    .bind(now.to_rfc3339())
    .bind(id.to_owned())
    .bind(expected)
    .execute(&mut *tx)
    .await?;
    if written.rows_affected() != 1 {
        return Err(StandardsError::Conflict(format!(
            "the proposal was saved by someone else since revision {expected}; read it again and redo the change"
        )));
    }
    let detail = format!("{} clauses", edit.proposal.clauses.len());
    let action = if draft.stage == DraftStage::Approved {
        "revised_after_consultation"
    } else {
        "edited"
    };
    record_event(&mut tx, (Some(id), None), Some(actor), now, action, &detail).await?;
    tx.commit().await?;
    let mut conn = db.pool().acquire().await?;
    load(&mut conn, id).await?.ok_or(StandardsError::NotFound)
}

/// Submits the draft for the formal check; a new round of review begins.
pub async fn submit(db: &Db, gate: &Gate, caller: &Caller, id: &str) -> Result<(), StandardsError> {
    let actor = actor(caller)?;
    let now = gate.clock().now();
    let (mut tx, draft) = step(
        db,
        gate,
        caller,
        id,
        Action::EditDraft,
        &[DraftStage::Draft],
    )
    .await?;
    sqlx::query(
        "UPDATE standard_drafts SET stage = $1, round = round + 1, updated_at = $2 WHERE id = $3",
    )
    .bind(DraftStage::FormalCheck.as_str())
    .bind(now.to_rfc3339())
    .bind(id.to_owned())
    .execute(&mut *tx)
    .await?;
    let detail = format!("round {}", draft.round + 1);
    record_event(
        &mut tx,
        (Some(id), None),
        Some(actor),
        now,
        "submitted",
        &detail,
    )
    .await?;
    let secretariat = secretariat(&mut tx).await?;
    tell(
        &mut tx,
        now,
        &Audience::Organizations(secretariat),
        &draft,
        (
            format!("标准申请待形式审查：{}", name(&draft)),
            format!("Proposal awaiting the formal check: {}", name_en(&draft)),
        ),
        (
            format!(
                "{} 提交了标准申请，请进行形式审查。",
                draft.applicant_org_name
            ),
            format!(
                "{} submitted a standard proposal; please run the formal check.",
                draft.applicant_org_name
            ),
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The applicant withdraws its proposal.
pub async fn withdraw(
    db: &Db,
    gate: &Gate,
    caller: &Caller,
    id: &str,
) -> Result<(), StandardsError> {
    let actor = actor(caller)?;
    let now = gate.clock().now();
    let open = [
        DraftStage::Draft,
        DraftStage::FormalCheck,
        DraftStage::ExpertReview,
        DraftStage::Consultation,
        DraftStage::Approved,
    ];
    let (mut tx, _draft) = step(db, gate, caller, id, Action::EditDraft, &open).await?;
    set_stage(&mut tx, id, DraftStage::Withdrawn, now).await?;
    record_event(&mut tx, (Some(id), None), Some(actor), now, "withdrawn", "").await?;
    tx.commit().await?;
    Ok(())
}

/// The secretariat's formal check: complete and well-formed goes on (to expert review, or
/// for an erratum straight to approval); otherwise back to the applicant with the reasons.
pub async fn formal_check(
    db: &Db,
    gate: &Gate,
    caller: &Caller,
    id: &str,
    passed: bool,
    note: &str,
) -> Result<(), StandardsError> {
    let actor = actor(caller)?;
    let now = gate.clock().now();
    let (mut tx, draft) = step(
        db,
        gate,
        caller,
        id,
        Action::SteerStandards,
        &[DraftStage::FormalCheck],
    )
    .await?;
    if !passed && note.trim().is_empty() {
        let mut f = FieldErrors::new();
        f.add("note", "required", "say what the applicant must put right");
        return Err(StandardsError::Fields(f));
    }
    let (next, action) = match (passed, draft.kind) {
        (false, _) => (DraftStage::Draft, "returned"),
        (true, DraftKind::Erratum) => (DraftStage::Approved, "formal_check_passed"),
        (true, _) => (DraftStage::ExpertReview, "formal_check_passed"),
    };
    set_stage(&mut tx, id, next, now).await?;
    record_event(
        &mut tx,
        (Some(id), None),
        Some(actor),
        now,
        action,
        note.trim(),
    )
    .await?;
    let (zh, en) = if passed {
        ("通过形式审查", "passed the formal check")
    } else {
        (
            "未通过形式审查，已退回修改",
            "was returned after the formal check",
        )
    };
    tell(
        &mut tx,
        now,
        &Audience::Organizations(vec![draft.applicant_org_id]),
        &draft,
        (
            format!("标准申请{zh}：{}", name(&draft)),
            format!("Your proposal {en}: {}", name_en(&draft)),
        ),
        (
            if note.trim().is_empty() {
                zh.to_owned()
            } else {
                note.trim().to_owned()
            },
            if note.trim().is_empty() {
                en.to_owned()
            } else {
                note.trim().to_owned()
            },
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// A person who could review a proposal, and whether they may.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Candidate {
    pub person_id: PersonId,
    pub name: String,
    pub org_name: String,
    pub capacities: Vec<String>,
    pub specialties: Vec<String>,
    /// Why they may not review it (empty when they may).
    pub barred: Vec<String>,
}

async fn candidate(
    conn: &mut AnyConnection,
    draft: &Draft,
    person: PersonId,
) -> Result<Option<Candidate>, sqlx::Error> {
    let Some(r) = sqlx::query(
        "SELECT p.display_name, p.org_id, p.active, o.name AS org_name, o.status \
         FROM people p JOIN organizations o ON o.id = p.org_id WHERE p.id = $1",
    )
    .bind(person.to_string())
    .fetch_optional(&mut *conn)
    .await?
    else {
        return Ok(None);
    };
    let org: OrgId = parsed(&r, "org_id")?;
    let capacities: Vec<String> = ticorr_platform::identity::people::capacities_of(conn, person)
        .await?
        .into_iter()
        .map(|c| c.as_str().to_owned())
        .collect();
    let specialties = specialties(conn, person).await?;
    let mut barred = Vec::new();
    if !capacities.iter().any(|c| c == "expert" || c == "reviewer") {
        barred.push("holds neither the expert nor the reviewer capacity".to_owned());
    }
    if !specialties.contains(&draft.proposal.topic) {
        barred.push(format!(
            "no specialty in `{}` (has: {})",
            draft.proposal.topic,
            if specialties.is_empty() {
                "none".to_owned()
            } else {
                specialties.join(", ")
            }
        ));
    }
    if org == draft.applicant_org_id {
        barred.push("belongs to the applicant organisation".to_owned());
    }
    if !ticorr_db::flag::get(&r, "active")? || r.try_get::<String, _>("status")? != "verified" {
        barred.push("account disabled or organisation not verified".to_owned());
    }
    Ok(Some(Candidate {
        person_id: person,
        name: r.try_get("display_name")?,
        org_name: r.try_get("org_name")?,
        capacities,
        specialties,
        barred,
    }))
}

/// The people who may review a proposal: the expert or reviewer capacity, a specialty in
/// its topic, an active account of a verified organisation other than the applicant.
pub async fn eligible_reviewers(
    db: &Db,
    gate: &Gate,
    caller: &Caller,
    id: &str,
) -> Result<Vec<Candidate>, StandardsError> {
    let mut conn = db.pool().acquire().await?;
    let draft = load(&mut conn, id).await?.ok_or(StandardsError::NotFound)?;
    gate.check(&mut conn, caller, Action::SteerStandards, &draft.resource())
        .await?;
    let people: Vec<PersonId> = sqlx::query(
        "SELECT DISTINCT s.person_id FROM person_specialties s \
         JOIN person_capacities c ON c.person_id = s.person_id \
         WHERE s.topic = $1 AND c.capacity IN ('expert', 'reviewer') ORDER BY s.person_id",
    )
    .bind(draft.proposal.topic.clone())
    .fetch_all(&mut *conn)
    .await?
    .iter()
    .map(|r| parsed(r, "person_id"))
    .collect::<Result<_, _>>()?;
    let mut out = Vec::new();
    for p in people {
        if let Some(c) = candidate(&mut conn, &draft, p).await?
            && c.barred.is_empty()
            && !draft.reviewers.iter().any(|r| r.person_id == p)
        {
            out.push(c);
        }
    }
    out.sort_by(|a, b| a.org_name.cmp(&b.org_name).then(a.name.cmp(&b.name)));
    Ok(out)
}

/// Assigns reviewers during expert review. Each must qualify; together the panel must
/// reach the rule's minimum.
pub async fn assign_reviewers(
    db: &Db,
    gate: &Gate,
    caller: &Caller,
    id: &str,
    people: &[PersonId],
) -> Result<(), StandardsError> {
    let actor = actor(caller)?;
    let now = gate.clock().now();
    let (mut tx, draft) = step(
        db,
        gate,
        caller,
        id,
        Action::SteerStandards,
        &[DraftStage::ExpertReview],
    )
    .await?;
    let mut errors = FieldErrors::new();
    let mut added = Vec::new();
    for p in people {
        if draft.reviewers.iter().any(|r| r.person_id == *p)
            || added.iter().any(|c: &Candidate| c.person_id == *p)
        {
            continue;
        }
        match candidate(&mut tx, &draft, *p).await? {
            None => errors.add("person_ids", "unknown", format!("no person {p}")),
            Some(c) if !c.barred.is_empty() => errors.add(
                "person_ids",
                "not_eligible",
                format!(
                    "{} ({}) may not review it: {}",
                    c.name,
                    c.org_name,
                    c.barred.join("; ")
                ),
            ),
            Some(c) => added.push(c),
        }
    }
    let min = rules().review.min_reviewers;
    if draft.reviewers.len() + added.len() < min {
        errors.add(
            "person_ids",
            "too_few",
            format!(
                "an expert review needs at least {min} reviewers; this makes {}",
                draft.reviewers.len() + added.len()
            ),
        );
    }
    if !errors.is_empty() {
        return Err(StandardsError::Fields(errors));
    }
    if added.is_empty() {
        // Everyone named is on the panel already: nothing changes, nobody is told again.
        return Ok(());
    }
    for c in &added {
        sqlx::query(
            "INSERT INTO standard_reviewers (draft_id, person_id, assigned_at, assigned_by) \
             VALUES ($1, $2, $3, $4)",
        )
        .bind(id.to_owned())
        .bind(c.person_id.to_string())
        .bind(now.to_rfc3339())
        .bind(actor.person_id.to_string())
        .execute(&mut *tx)
        .await?;
    }
    sqlx::query("UPDATE standard_drafts SET updated_at = $1 WHERE id = $2")
        .bind(now.to_rfc3339())
        .bind(id.to_owned())
        .execute(&mut *tx)
        .await?;
    let names: Vec<String> = added
        .iter()
        .map(|c| format!("{} ({})", c.name, c.org_name))
        .collect();
    record_event(
        &mut tx,
        (Some(id), None),
        Some(actor),
        now,
        "reviewers_assigned",
        &names.join(", "),
    )
    .await?;
    tell(
        &mut tx,
        now,
        &Audience::People(added.iter().map(|c| c.person_id).collect()),
        &draft,
        (
            format!("请评审标准草案：{}", name(&draft)),
            format!("Please review: {}", name_en(&draft)),
        ),
        (
            format!(
                "您被指派为专家评审，请逐条表决（共 {} 条）。",
                draft.proposal.clauses.len()
            ),
            format!(
                "You have been assigned as a reviewer; please vote on each of its {} clauses.",
                draft.proposal.clauses.len()
            ),
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// A reviewer's vote on one clause.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VoteInput {
    pub clause_number: String,
    pub vote: Vote,
    /// Required with `approve_with_changes` (the change) and `reject` (the reason).
    #[serde(default)]
    pub comment: String,
}

/// Records (or changes) an assigned reviewer's votes in the current round.
pub async fn vote(
    db: &Db,
    gate: &Gate,
    caller: &Caller,
    id: &str,
    votes: &[VoteInput],
) -> Result<(), StandardsError> {
    let actor = actor(caller)?;
    let now = gate.clock().now();
    let (mut tx, draft) = step(
        db,
        gate,
        caller,
        id,
        Action::ReviewDraft,
        &[DraftStage::ExpertReview],
    )
    .await?;
    let mut errors = FieldErrors::new();
    for v in votes {
        if !draft
            .proposal
            .clauses
            .iter()
            .any(|c| c.number == v.clause_number)
        {
            errors.add(
                "clause_number",
                "unknown",
                format!("the proposal has no clause {}", v.clause_number),
            );
        }
        if v.vote != Vote::Approve && v.comment.trim().is_empty() {
            errors.add(
                "comment",
                "required",
                format!(
                    "clause {}: say what must change, or why it is rejected",
                    v.clause_number
                ),
            );
        }
    }
    if votes.is_empty() {
        errors.add("votes", "required", "no vote given");
    }
    if !errors.is_empty() {
        return Err(StandardsError::Fields(errors));
    }
    for v in votes {
        sqlx::query(
            "DELETE FROM standard_votes WHERE draft_id = $1 AND round = $2 AND person_id = $3 \
             AND clause_number = $4",
        )
        .bind(id.to_owned())
        .bind(draft.round)
        .bind(actor.person_id.to_string())
        .bind(v.clause_number.clone())
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "INSERT INTO standard_votes (draft_id, round, person_id, clause_number, vote, comment, \
             voted_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(id.to_owned())
        .bind(draft.round)
        .bind(actor.person_id.to_string())
        .bind(v.clause_number.clone())
        .bind(v.vote.as_str())
        .bind(v.comment.trim().to_owned())
        .bind(now.to_rfc3339())
        .execute(&mut *tx)
        .await?;
    }
    let detail = votes
        .iter()
        .map(|v| format!("{}: {}", v.clause_number, v.vote))
        .collect::<Vec<_>>()
        .join(", ");
    record_event(
        &mut tx,
        (Some(id), None),
        Some(actor),
        now,
        "voted",
        &detail,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

fn parse_day(field: &str, text: &str) -> Result<time::Date, StandardsError> {
    crate::day(text).ok_or_else(|| {
        let mut f = FieldErrors::new();
        f.add(
            field,
            "invalid",
            format!("`{text}` is not a date (YYYY-MM-DD)"),
        );
        StandardsError::Fields(f)
    })
}

/// Concludes expert review once every clause is decided: all passed opens public
/// consultation until `consultation_ends_on`; any failed returns the proposal to the
/// applicant with the failed clauses.
pub async fn conclude_review(
    db: &Db,
    gate: &Gate,
    caller: &Caller,
    id: &str,
    consultation_ends_on: Option<&str>,
) -> Result<DraftStage, StandardsError> {
    let actor = actor(caller)?;
    let now = gate.clock().now();
    let (mut tx, draft) = step(
        db,
        gate,
        caller,
        id,
        Action::SteerStandards,
        &[DraftStage::ExpertReview],
    )
    .await?;
    let current: Vec<VoteRecord> = votes(&mut tx, id)
        .await?
        .into_iter()
        .filter(|v| v.round == draft.round)
        .collect();
    let tally = tally(&draft.proposal.clauses, &current, draft.reviewers.len());
    let pending: Vec<&str> = tally
        .iter()
        .filter(|t| t.outcome == "pending")
        .map(|t| t.number.as_str())
        .collect();
    if draft.reviewers.len() < rules().review.min_reviewers || !pending.is_empty() {
        return Err(StandardsError::Conflict(format!(
            "the review has no quorum yet: {} reviewers assigned (at least {} needed); clauses still short of votes: {}",
            draft.reviewers.len(),
            rules().review.min_reviewers,
            if pending.is_empty() {
                "none".to_owned()
            } else {
                pending.join(", ")
            }
        )));
    }
    let failed: Vec<&str> = tally
        .iter()
        .filter(|t| t.outcome == "failed")
        .map(|t| t.number.as_str())
        .collect();
    let next = if failed.is_empty() {
        let Some(ends) = consultation_ends_on else {
            let mut f = FieldErrors::new();
            f.add(
                "consultation_ends_on",
                "required",
                "give the last day of public consultation",
            );
            return Err(StandardsError::Fields(f));
        };
        let ends = parse_day("consultation_ends_on", ends)?;
        let min = rules().consultation.min_days;
        let earliest = now.inner().date() + time::Duration::days(min);
        if ends < earliest {
            let mut f = FieldErrors::new();
            f.add(
                "consultation_ends_on",
                "too_short",
                format!("public consultation lasts at least {min} days: {earliest} or later"),
            );
            return Err(StandardsError::Fields(f));
        }
        sqlx::query(
            "UPDATE standard_drafts SET stage = $1, consultation_ends_on = $2, updated_at = $3 \
             WHERE id = $4",
        )
        .bind(DraftStage::Consultation.as_str())
        .bind(ends.to_string())
        .bind(now.to_rfc3339())
        .bind(id.to_owned())
        .execute(&mut *tx)
        .await?;
        record_event(
            &mut tx,
            (Some(id), None),
            Some(actor),
            now,
            "consultation_opened",
            &format!("all {} clauses passed; comments until {ends}", tally.len()),
        )
        .await?;
        DraftStage::Consultation
    } else {
        set_stage(&mut tx, id, DraftStage::Draft, now).await?;
        record_event(
            &mut tx,
            (Some(id), None),
            Some(actor),
            now,
            "returned",
            &format!("clauses failed in review: {}", failed.join(", ")),
        )
        .await?;
        DraftStage::Draft
    };
    let (zh, en) = match next {
        DraftStage::Consultation => (
            "专家评审通过，进入公开征求意见".to_owned(),
            "passed expert review and is open for public comment".to_owned(),
        ),
        _ => (
            format!(
                "专家评审未通过的条款：{}，请修改后重新提交",
                failed.join("、")
            ),
            format!(
                "clauses failed expert review ({}); revise and resubmit",
                failed.join(", ")
            ),
        ),
    };
    tell(
        &mut tx,
        now,
        &Audience::Organizations(vec![draft.applicant_org_id]),
        &draft,
        (format!("标准草案{zh}"), format!("Your proposal {en}")),
        (name(&draft), name_en(&draft)),
    )
    .await?;
    tx.commit().await?;
    Ok(next)
}

/// A consultation comment as submitted.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CommentInput {
    /// The clause commented on; leave out for the proposal as a whole.
    #[serde(default)]
    pub clause_number: Option<String>,
    pub text: String,
}

/// Comments on a proposal in public consultation, until its last day.
pub async fn comment(
    db: &Db,
    gate: &Gate,
    caller: &Caller,
    id: &str,
    input: &CommentInput,
) -> Result<String, StandardsError> {
    let actor = actor(caller)?;
    let now = gate.clock().now();
    let (mut tx, draft) = step(
        db,
        gate,
        caller,
        id,
        Action::CommentDraft,
        &[DraftStage::Consultation],
    )
    .await?;
    let mut errors = FieldErrors::new();
    let clause = input
        .clause_number
        .as_deref()
        .map(str::trim)
        .filter(|c| !c.is_empty());
    if let Some(n) = clause
        && !draft.proposal.clauses.iter().any(|c| c.number == n)
    {
        errors.add(
            "clause_number",
            "unknown",
            format!("the proposal has no clause {n}"),
        );
    }
    let text = input.text.trim();
    if text.is_empty() {
        errors.add("text", "required", "write the comment");
    } else if text.chars().count() > 5000 {
        errors.add(
            "text",
            "too_long",
            "a comment holds at most 5000 characters",
        );
    }
    if let Some(ends) = &draft.consultation_ends_on
        && now.inner().date().to_string() > *ends
    {
        errors.add(
            "text",
            "closed",
            format!("the comment period ended on {ends}"),
        );
    }
    if !errors.is_empty() {
        return Err(StandardsError::Fields(errors));
    }
    let comment_id = Uuid::now_v7().to_string();
    sqlx::query(
        "INSERT INTO standard_comments (id, draft_id, clause_number, person_id, org_id, text, \
         created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(comment_id.clone())
    .bind(id.to_owned())
    .bind(clause.map(str::to_owned))
    .bind(actor.person_id.to_string())
    .bind(actor.org_id.to_string())
    .bind(text.to_owned())
    .bind(now.to_rfc3339())
    .execute(&mut *tx)
    .await?;
    record_event(
        &mut tx,
        (Some(id), None),
        Some(actor),
        now,
        "commented",
        clause.unwrap_or("—"),
    )
    .await?;
    tx.commit().await?;
    Ok(comment_id)
}

/// The secretariat's disposition of a comment.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DispositionInput {
    pub disposition: Disposition,
    /// Required unless the comment is accepted in full.
    #[serde(default)]
    pub reason: String,
}

/// Records what became of a consultation comment, and tells its author.
pub async fn dispose(
    db: &Db,
    gate: &Gate,
    caller: &Caller,
    id: &str,
    comment_id: &str,
    input: &DispositionInput,
) -> Result<(), StandardsError> {
    let actor = actor(caller)?;
    let now = gate.clock().now();
    let (mut tx, draft) = step(
        db,
        gate,
        caller,
        id,
        Action::SteerStandards,
        &[DraftStage::Consultation],
    )
    .await?;
    if input.disposition != Disposition::Accepted && input.reason.trim().is_empty() {
        let mut f = FieldErrors::new();
        f.add(
            "reason",
            "required",
            "say why the comment is not accepted in full",
        );
        return Err(StandardsError::Fields(f));
    }
    let author: Option<String> =
        sqlx::query("SELECT person_id FROM standard_comments WHERE id = $1 AND draft_id = $2")
            .bind(comment_id.to_owned())
            .bind(id.to_owned())
            .fetch_optional(&mut *tx)
            .await?
            .map(|r| r.try_get("person_id"))
            .transpose()?;
    let author: PersonId = author
        .ok_or(StandardsError::NotFound)?
        .parse()
        .map_err(|_| StandardsError::NotFound)?;
    sqlx::query(
        "UPDATE standard_comments SET disposition = $1, reason = $2, disposed_by = $3, \
         disposed_at = $4 WHERE id = $5",
    )
    .bind(input.disposition.as_str())
    .bind(input.reason.trim().to_owned())
    .bind(actor.person_id.to_string())
    .bind(now.to_rfc3339())
    .bind(comment_id.to_owned())
    .execute(&mut *tx)
    .await?;
    record_event(
        &mut tx,
        (Some(id), None),
        Some(actor),
        now,
        "disposed",
        &format!("{}: {}", input.disposition, input.reason.trim()),
    )
    .await?;
    tell(
        &mut tx,
        now,
        &Audience::People(vec![author]),
        &draft,
        (
            format!("您的征求意见已处理：{}", name(&draft)),
            format!(
                "Your consultation comment was answered: {}",
                name_en(&draft)
            ),
        ),
        (
            format!("处理结果：{}。{}", input.disposition, input.reason.trim()),
            format!(
                "Disposition: {}. {}",
                input.disposition,
                input.reason.trim()
            ),
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Closes public consultation after its last day, once every comment has a disposition.
pub async fn close_consultation(
    db: &Db,
    gate: &Gate,
    caller: &Caller,
    id: &str,
) -> Result<(), StandardsError> {
    let actor = actor(caller)?;
    let now = gate.clock().now();
    let (mut tx, draft) = step(
        db,
        gate,
        caller,
        id,
        Action::SteerStandards,
        &[DraftStage::Consultation],
    )
    .await?;
    let today = now.inner().date().to_string();
    if let Some(ends) = &draft.consultation_ends_on
        && today <= *ends
    {
        return Err(StandardsError::Conflict(format!(
            "public consultation runs until {ends}; it can be closed from the day after"
        )));
    }
    let all = comments(&mut tx, id).await?;
    let open = all.iter().filter(|c| c.disposition.is_none()).count();
    if open > 0 {
        return Err(StandardsError::Conflict(format!(
            "{open} of {} comments have no disposition yet",
            all.len()
        )));
    }
    set_stage(&mut tx, id, DraftStage::Approved, now).await?;
    record_event(
        &mut tx,
        (Some(id), None),
        Some(actor),
        now,
        "consultation_closed",
        &format!("{} comments, all disposed", all.len()),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The secretariat rejects a proposal outright, with the reason.
pub async fn reject(
    db: &Db,
    gate: &Gate,
    caller: &Caller,
    id: &str,
    reason: &str,
) -> Result<(), StandardsError> {
    let actor = actor(caller)?;
    let now = gate.clock().now();
    let (mut tx, draft) = step(
        db,
        gate,
        caller,
        id,
        Action::SteerStandards,
        &[
            DraftStage::FormalCheck,
            DraftStage::ExpertReview,
            DraftStage::Consultation,
            DraftStage::Approved,
        ],
    )
    .await?;
    if reason.trim().is_empty() {
        let mut f = FieldErrors::new();
        f.add("reason", "required", "say why the proposal is rejected");
        return Err(StandardsError::Fields(f));
    }
    set_stage(&mut tx, id, DraftStage::Rejected, now).await?;
    record_event(
        &mut tx,
        (Some(id), None),
        Some(actor),
        now,
        "rejected",
        reason.trim(),
    )
    .await?;
    tell(
        &mut tx,
        now,
        &Audience::Organizations(vec![draft.applicant_org_id]),
        &draft,
        (
            format!("标准申请未被采纳：{}", name(&draft)),
            format!("Your proposal was rejected: {}", name_en(&draft)),
        ),
        (reason.trim().to_owned(), reason.trim().to_owned()),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The version number a release gets: `1.0` for a new standard, the next major for a
/// revision, the next minor for an erratum.
pub fn next_version(kind: DraftKind, base: Option<&str>) -> String {
    let (major, minor) = base
        .and_then(|b| b.split_once('.'))
        .and_then(|(a, b)| Some((a.parse::<u32>().ok()?, b.parse::<u32>().ok()?)))
        .unwrap_or((0, 0));
    match kind {
        DraftKind::New => "1.0".to_owned(),
        DraftKind::Revision => format!("{}.0", major + 1),
        DraftKind::Erratum => format!("{major}.{}", minor + 1),
    }
}

/// What a release made.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Released {
    pub standard_id: String,
    pub version_id: String,
    pub version: String,
    /// The version it replaces, now superseded.
    pub superseded: Option<String>,
    /// The job telling the organisations concerned; none for an erratum (editorial).
    pub push_job: Option<String>,
}

/// Releases an approved proposal: writes the version, supersedes the previous one, anchors
/// it in the ledger, closes the standard's open review tasks, and queues the push to the
/// organisations whose equipment its clauses concern.
pub async fn release(
    db: &Db,
    gate: &Gate,
    caller: &Caller,
    id: &str,
    effective_on: &str,
) -> Result<Released, StandardsError> {
    let actor = actor(caller)?;
    let now = gate.clock().now();
    let effective = parse_day("effective_on", effective_on)?;
    let (mut tx, draft) = step(
        db,
        gate,
        caller,
        id,
        Action::SteerStandards,
        &[DraftStage::Approved],
    )
    .await?;
    let problems = crate::check_input(&draft.proposal);
    if !problems.is_empty() {
        return Err(StandardsError::Invalid(problems));
    }
    let (standard_id, previous) = match &draft.standard_id {
        None => {
            let sid = store::insert_standard(
                &mut tx,
                actor.org_id,
                Level::Public,
                None,
                &draft.proposal,
                now,
            )
            .await?;
            (sid, None)
        }
        Some(sid) => {
            let current = store::versions(&mut tx, sid)
                .await?
                .into_iter()
                .find(|v| v.stage == Stage::Released);
            if current.as_ref().map(|v| &v.id) != draft.base_version_id.as_ref() {
                return Err(StandardsError::Conflict(
                    "the standard was released again since this proposal began; start a new revision from the current version".to_owned(),
                ));
            }
            store::update_standard(&mut tx, sid, &draft.proposal, now).await?;
            (sid.clone(), current)
        }
    };
    let version = next_version(draft.kind, previous.as_ref().map(|v| v.version.as_str()));
    // An erratum corrects the text in force; the periodic review stays when it was due.
    let review_due = match (&previous, draft.kind) {
        (Some(p), DraftKind::Erratum) if p.review_due_on.is_some() => {
            p.review_due_on.clone().unwrap_or_default()
        }
        _ => (effective + time::Duration::days(30 * draft.proposal.review_interval_months.max(1)))
            .to_string(),
    };
    let dates = Some((now, effective.to_string(), review_due.clone()));
    if let Some(p) = &previous {
        store::supersede(&mut tx, &p.id, now).await?;
    }
    let version_id = store::insert_version(
        &mut tx,
        &standard_id,
        &draft.proposal,
        &version,
        Stage::Released,
        dates,
        now,
    )
    .await?;
    if let Some(record) = crate::ledger_record(&mut tx, &version_id).await? {
        ticorr_platform::ledger::anchor(
            &mut tx,
            now,
            &[ticorr_platform::ledger::Anchor {
                record_type: crate::LEDGER_TYPE,
                record_id: version_id.clone(),
                record,
            }],
        )
        .await?;
    }
    sqlx::query(
        "UPDATE standard_drafts SET stage = $1, standard_id = $2, released_version_id = $3, \
         updated_at = $4 WHERE id = $5",
    )
    .bind(DraftStage::Released.as_str())
    .bind(standard_id.clone())
    .bind(version_id.clone())
    .bind(now.to_rfc3339())
    .bind(id.to_owned())
    .execute(&mut *tx)
    .await?;
    for table in ["standard_review_tasks", "clause_case_proposals"] {
        let sql = format!(
            "UPDATE {table} SET closed_at = $1, outcome = 'revised', draft_id = $2 \
             WHERE standard_id = $3 AND closed_at IS NULL"
        );
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(now.to_rfc3339())
            .bind(id.to_owned())
            .bind(standard_id.clone())
            .execute(&mut *tx)
            .await?;
    }
    record_event(
        &mut tx,
        (Some(id), Some(&standard_id)),
        Some(actor),
        now,
        "released",
        &format!(
            "{} {version}, effective {effective}, review due {review_due}{}",
            draft.proposal.code,
            previous
                .as_ref()
                .map(|p| format!("; supersedes {}", p.version))
                .unwrap_or_default()
        ),
    )
    .await?;
    tell(
        &mut tx,
        now,
        &Audience::Organizations(vec![draft.applicant_org_id]),
        &draft,
        (
            format!("标准已发布：{} {version}", name(&draft)),
            format!("Released: {} {version}", name_en(&draft)),
        ),
        (
            format!("自 {effective} 起实施。"),
            format!("In force from {effective}."),
        ),
    )
    .await?;
    // An erratum is editorial: the organisations concerned are told of new and changed
    // obligations, not of corrected wording.
    let push_job = if draft.kind == DraftKind::Erratum {
        None
    } else {
        Some(
            ticorr_platform::jobs::NewJob::new(
                PUSH_JOB,
                serde_json::json!({ "version_id": version_id }),
            )
            .started_by(actor.person_id, actor.org_id)
            .enqueue(&mut tx, now)
            .await
            .map_err(|e| StandardsError::Invalid(vec![e.to_string()]))?,
        )
    };
    tx.commit().await?;
    Ok(Released {
        standard_id,
        version_id,
        version,
        superseded: previous.map(|p| p.version),
        push_job,
    })
}

/// An organisation's admin records what one of its experts' work covers: the topics
/// (`crate::TOPICS`) whose proposals they may be drawn to review. Decided as managing the
/// organisation's people; the person must belong to it and hold the expert or reviewer
/// capacity. Replaces the person's topics; returns them.
pub async fn set_specialties(
    db: &Db,
    gate: &Gate,
    caller: &Caller,
    org: OrgId,
    person: PersonId,
    topics: &[String],
) -> Result<Vec<String>, StandardsError> {
    let mut tx = db.begin().await?;
    let Some(o) = ticorr_platform::identity::orgs::load(&mut tx, org).await? else {
        return Err(StandardsError::NotFound);
    };
    let resource = Resource::Organization(ticorr_platform::policy::OrgRef {
        id: o.id,
        kind: o.kind,
        verified: o.status == ticorr_kernel::OrgStatus::Verified,
    });
    let (mut tx, _permit) = gate
        .check_tx(tx, caller, Action::ManagePeople, &resource)
        .await?;
    let member: Option<String> = sqlx::query("SELECT org_id FROM people WHERE id = $1")
        .bind(person.to_string())
        .fetch_optional(&mut *tx)
        .await?
        .map(|r| r.try_get("org_id"))
        .transpose()?;
    if member != Some(org.to_string()) {
        return Err(StandardsError::NotFound);
    }
    let mut errors = FieldErrors::new();
    for t in topics {
        if !crate::TOPICS.contains(&t.as_str()) {
            errors.add(
                "topics",
                "unknown",
                format!("`{t}` is not one of {}", crate::TOPICS.join(", ")),
            );
        }
    }
    let capacities = ticorr_platform::identity::people::capacities_of(&mut tx, person).await?;
    if !topics.is_empty()
        && !capacities.iter().any(|c| {
            matches!(
                c,
                ticorr_kernel::Capacity::Expert | ticorr_kernel::Capacity::Reviewer
            )
        })
    {
        errors.add(
            "topics",
            "no_capacity",
            "specialties are recorded for people with the expert or reviewer capacity",
        );
    }
    if !errors.is_empty() {
        return Err(StandardsError::Fields(errors));
    }
    sqlx::query("DELETE FROM person_specialties WHERE person_id = $1")
        .bind(person.to_string())
        .execute(&mut *tx)
        .await?;
    let mut unique: Vec<&str> = topics.iter().map(String::as_str).collect();
    unique.sort_unstable();
    unique.dedup();
    add_specialties(&mut tx, person, &unique).await?;
    tx.commit().await?;
    Ok(unique.into_iter().map(str::to_owned).collect())
}

/// Records topics a person's expertise covers (`person_specialties`), keeping those
/// already recorded: reviewers of a proposal are drawn from the people whose specialties
/// include its topic ([`eligible_reviewers`]). It does not consult the gate; it is for the
/// platform's own seeding (`ticorr demo`) and for callers that have decided already.
pub async fn add_specialties(
    conn: &mut AnyConnection,
    person: PersonId,
    topics: &[&str],
) -> Result<(), sqlx::Error> {
    for topic in topics {
        sqlx::query(
            "INSERT INTO person_specialties (person_id, topic) VALUES ($1, $2) \
             ON CONFLICT (person_id, topic) DO NOTHING",
        )
        .bind(person.to_string())
        .bind((*topic).to_owned())
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn clause(number: &str) -> ClauseInput {
        serde_json::from_value(serde_json::json!({
            "number": number, "kind": "mandatory", "text_en": "t", "text_zh": "条",
            "risk_grades": ["I"]
        }))
        .unwrap()
    }

    fn cast(votes: &[Vote]) -> Vec<VoteRecord> {
        votes
            .iter()
            .enumerate()
            .map(|(i, v)| VoteRecord {
                round: 1,
                person_id: PersonId::from_uuid(Uuid::from_u128(i as u128 + 1)),
                person_name: String::new(),
                clause_number: "1".into(),
                vote: *v,
                comment: String::new(),
                voted_at: Timestamp::parse("2026-11-28T00:00:00Z").unwrap(),
            })
            .collect()
    }

    #[test]
    fn the_rules_file_loads_and_states_its_sources() {
        let r = rules();
        assert_eq!(r.review.min_reviewers, 3);
        assert!(r.review.source.contains("art. 31") && r.review.unverified);
        assert!(r.consultation.min_days >= 30);
        assert_eq!(
            (r.promotion.min_applications, r.promotion.min_organisations),
            (3, 2)
        );
    }

    #[test]
    fn a_clause_is_decided_by_quorum_two_thirds_in_favour_and_at_most_a_quarter_against() {
        use Vote::*;
        let outcome = |votes: &[Vote], assigned| {
            tally(&[clause("1")], &cast(votes), assigned)[0]
                .outcome
                .clone()
        };
        assert_eq!(outcome(&[Approve, Approve], 3), "pending");
        assert_eq!(
            outcome(&[Approve, ApproveWithChanges, Approve], 3),
            "passed"
        );
        // One objection in three is more than a quarter.
        assert_eq!(outcome(&[Approve, Approve, Reject], 3), "failed");
        // Five assigned: four must vote (three quarters, rounded up).
        assert_eq!(outcome(&[Approve, Approve, Approve], 5), "pending");
        assert_eq!(outcome(&[Approve, Approve, Approve, Reject], 5), "passed");
        assert_eq!(
            tally(&[clause("1")], &cast(&[Approve, Approve]), 5)[0].missing,
            2
        );
    }

    #[test]
    fn versions_count_up_by_kind() {
        assert_eq!(next_version(DraftKind::New, None), "1.0");
        assert_eq!(next_version(DraftKind::Revision, Some("1.0")), "2.0");
        assert_eq!(next_version(DraftKind::Revision, Some("2.3")), "3.0");
        assert_eq!(next_version(DraftKind::Erratum, Some("2.0")), "2.1");
    }
}
