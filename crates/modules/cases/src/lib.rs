//! The failure-case module: a corrosion accident shared so that it does not happen again
//! elsewhere.
//!
//! A contributor uploads a case at L1 (the original sealed with its organisation's data key),
//! reviews the desensitized version the platform prepares (the redaction report beside each
//! change), may rewrite its texts, and confirms it. The curators (operator, association)
//! classify it and publish it, or send it back with their reasons. Publication stores the
//! desensitized version at L3 (its summary public), checks k-anonymity against what is
//! already published, and anchors it in the ledger. Registered users read the details and
//! apply for the full record; the contributor grants or refuses; grants expire; every read
//! of a full record is logged for the contributor and anchored.
//!
//! This file is the module's public service API; every read and write asks the platform's
//! [`Gate`].

pub mod bulletins;
pub mod feedback;
pub mod files;
pub mod import;
pub mod learned;
pub mod model;
pub mod publication;
pub mod risk_models;
pub mod search;
pub mod similar;
mod store;
pub mod suggest;

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::json;
use ticorr_db::Db;
use ticorr_desensitize::kanon::{Decision, KAnonOutcome, QuasiIdentifiers};
use ticorr_kernel::{FieldErrors, Level, OrgId, OrgKind, Page, PageRequest, PersonId, Timestamp};
use ticorr_platform::attachments::{self, Attachment, AttachmentError, Attachments};
use ticorr_platform::identity::orgs;
use ticorr_platform::ledger::{self, Anchor, LedgerRef};
use ticorr_platform::notify::{self, Audience, Message};
use ticorr_platform::policy::{Action, CaseRef, RecordRef, Resource};
use ticorr_platform::privacy::Privacy;
use ticorr_platform::vault::Vault;
use ticorr_platform::{Caller, Denied, Gate, Permit};

pub use files::{FileAction, FileReceipt, Withheld};
pub use model::{CaseInput, Details, Full, Mechanism, Outcome, Published, RootCause, Stage};
pub use publication::{Receipt, ReviewItem};
pub use store::{Access, AccessRequest, ListFilter};
pub use suggest::Suggestion;

/// The record kind the policies, the audit and the search see.
pub const RECORD_KIND: &str = "case";
/// Ledger record types: a publication, a decision on an application, a read of a full record.
pub const LEDGER_TYPE: &str = "failure_case";
pub const GRANT_LEDGER_TYPE: &str = "case_access_grant";
pub const ACCESS_LEDGER_TYPE: &str = "case_access";

/// Settings (`[cases]` in the configuration file).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CasesConfig {
    /// The k of the k-anonymity check: a case is published only inside a class of at least
    /// k published cases (itself included).
    pub k: u64,
    /// How long a grant lasts unless the decision says otherwise, in days.
    pub grant_days: u32,
    /// The longest grant, in days.
    pub max_grant_days: u32,
    /// How the learned risk model is trained.
    pub model: learned::Settings,
    /// When published cases open a revision proposal for a clause.
    pub feedback: feedback::FeedbackSettings,
}

impl Default for CasesConfig {
    fn default() -> Self {
        CasesConfig {
            k: 5,
            grant_days: 90,
            max_grant_days: 365,
            model: learned::Settings::default(),
            feedback: feedback::FeedbackSettings::default(),
        }
    }
}

impl CasesConfig {
    /// Refuses settings that would publish without protection or grant nothing.
    pub fn validate(&self) -> Result<(), String> {
        if self.k < 2 {
            return Err(
                "cases.k must be at least 2: with k = 1 a case may be alone in its class".into(),
            );
        }
        self.feedback.validate()?;
        if self.grant_days == 0 || self.grant_days > self.max_grant_days {
            return Err("cases.grant_days must be between 1 and cases.max_grant_days".into());
        }
        let m = &self.model;
        if m.folds < 2 || m.min_cases < m.folds {
            return Err(
                "cases.model: folds must be at least 2 and min_cases at least folds".into(),
            );
        }
        if !(m.alpha.is_finite() && m.alpha >= 0.0) || m.max_iterations == 0 {
            return Err(
                "cases.model: alpha must be a number ≥ 0 and max_iterations at least 1".into(),
            );
        }
        Ok(())
    }
}

#[derive(Debug, thiserror::Error)]
pub enum CasesError {
    #[error("not found")]
    NotFound,
    #[error("not allowed")]
    Forbidden,
    #[error("invalid input: {0}")]
    Fields(FieldErrors),
    /// The step does not fit the case's state, or someone changed it first.
    #[error("{0}")]
    Conflict(String),
    #[error(transparent)]
    Storage(#[from] sqlx::Error),
    #[error(transparent)]
    Db(#[from] ticorr_db::DbError),
    #[error(transparent)]
    Vault(#[from] ticorr_platform::vault::VaultError),
    #[error(transparent)]
    Privacy(#[from] ticorr_platform::privacy::PrivacyError),
    #[error(transparent)]
    Ledger(#[from] ticorr_platform::ledger::LedgerError),
    #[error(transparent)]
    Notify(#[from] ticorr_platform::notify::NotifyError),
    #[error(transparent)]
    Attachment(#[from] AttachmentError),
    /// An import file that cannot be read (its format, header or size).
    #[error("{0}")]
    Unreadable(String),
    #[error("stored case data is damaged: {0}")]
    Corrupt(String),
}

impl From<Denied> for CasesError {
    fn from(d: Denied) -> Self {
        match d {
            Denied::NotFound => CasesError::NotFound,
            Denied::Forbidden => CasesError::Forbidden,
            Denied::Storage(e) => CasesError::Storage(e),
        }
    }
}

pub(crate) fn corrupt(e: impl std::fmt::Display) -> CasesError {
    CasesError::Corrupt(e.to_string())
}

fn conflict(m: impl Into<String>) -> CasesError {
    CasesError::Conflict(m.into())
}

/// The most cases of one stage the curation queue shows at once (oldest first).
pub const QUEUE_LIMIT: u32 = 200;

/// What the module needs from the platform, borrowed for one call.
#[derive(Clone, Copy)]
pub struct Cases<'a> {
    pub db: &'a Db,
    pub gate: &'a Gate,
    pub vault: &'a Vault,
    pub privacy: &'a Privacy,
    pub config: &'a CasesConfig,
    /// The object store of attachments (the case's photos and reports, their published
    /// copies).
    pub files: &'a Attachments,
    /// The similar-case index, kept between calls.
    pub shelf: &'a SimilarShelf,
}

/// The similar-case index of the published cases, kept by the application and rebuilt when
/// a case is published or withdrawn (on any node: the check is against the database).
#[derive(Debug, Default)]
pub struct SimilarShelf(std::sync::Mutex<Option<Arc<Shelved>>>);

#[derive(Debug)]
struct Shelved {
    fingerprint: String,
    index: similar::Index,
    bodies: Vec<Body>,
}

/// How many similar cases a page or call shows at most.
pub const SIMILAR_LIMIT: usize = 20;

/// A published case found similar, with why. The parameter reasons are left out for callers
/// who may not read the details of that case.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SimilarCase {
    #[serde(flatten)]
    pub card: CaseCard,
    pub parts: similar::Parts,
    pub reasons: Vec<similar::Reason>,
}

fn record(id: &str, org: OrgId, level: Level) -> Resource {
    Resource::Record(RecordRef {
        kind: RECORD_KIND,
        id: id.to_owned(),
        level,
        owner: org,
        parks: vec![],
    })
}

/// The original: the contributor's L1 record.
fn original(row: &store::CaseRow) -> Resource {
    record(&row.id, row.org_id, Level::Private)
}

fn workflow(row: &store::CaseRow, grantees: Vec<PersonId>) -> Resource {
    Resource::FailureCase(CaseRef {
        id: row.id.clone(),
        contributor: row.org_id,
        stage: row.stage.as_str(),
        grantees,
    })
}

fn sealed_context(id: &str) -> String {
    format!("cases/original/{id}")
}

/// A case of one's own organisation, as its list shows it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct OwnCase {
    pub id: String,
    pub stage: Stage,
    /// The original title (Chinese, else English).
    pub title: String,
    pub failure_date: String,
    pub mechanism: Mechanism,
    /// The curator's reasons when the case was sent back (or their note on publication).
    pub curator_note: Option<String>,
    /// Send it back with a confirmation, to refuse lost updates.
    pub revision: i64,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// What k-anonymity decided, without the precise values.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct KCheck {
    /// `publish` or `hold_back`.
    #[schema(value_type = String)]
    pub decision: Decision,
    pub k: u64,
    pub class_size: u64,
    /// A sentence for the contributor.
    pub reason: String,
}

impl From<&KAnonOutcome> for KCheck {
    fn from(o: &KAnonOutcome) -> Self {
        KCheck {
            decision: o.decision,
            k: o.k,
            class_size: o.class_size,
            reason: o.reason.clone(),
        }
    }
}

/// One step of a case's history.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct HistoryEntry {
    pub at: Timestamp,
    /// Who acted (none for the platform itself).
    pub by: Option<String>,
    /// `uploaded`, `confirmed`, `returned`, `held`, `published`, `withdrawn`.
    pub kind: String,
    pub note: Option<String>,
}

/// The contributor's review of its case before confirming: the version that would be
/// published, every redaction with the original value beside it, the receipt and the
/// k-anonymity outcome.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Preview {
    pub id: String,
    pub stage: Stage,
    pub revision: i64,
    pub published: Published,
    pub review: Vec<ReviewItem>,
    pub receipt: Receipt,
    pub k_check: KCheck,
    /// The classification the platform suggests.
    pub suggestion: Suggestion,
    /// Texts the contributor rewrote (field → text), already in `published`.
    pub edits: BTreeMap<String, String>,
    pub curator_note: Option<String>,
    pub history: Vec<HistoryEntry>,
    /// The photos and reports attached to the original, each with what publication will
    /// do with it.
    pub files: Vec<OriginalFile>,
    /// The contributor may still attach and remove files (a draft or a case sent back).
    pub may_attach: bool,
}

/// A file of the original and its fate at publication.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct OriginalFile {
    pub attachment: Attachment,
    pub publication: FileReceipt,
}

/// A confirmation: the revision seen, and rewritten texts (field → text) if any.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, default)]
pub struct ConfirmInput {
    pub revision: i64,
    /// Texts of the desensitized version rewritten by the contributor: `title_zh`,
    /// `narrative_en`, `lessons_zh` … Each is checked again; one that still names a person,
    /// an organisation or a contact is refused.
    pub edits: BTreeMap<String, String>,
}

/// A curator's decision.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CurationInput {
    pub revision: i64,
    /// `publish`, `return` (to the contributor, with reasons) or `withdraw` (a published case).
    pub decision: String,
    /// Reasons (required to return or withdraw).
    #[serde(default)]
    pub note: Option<String>,
    /// The confirmed mechanism (default: the current classification).
    #[serde(default)]
    pub mechanism: Option<String>,
    /// The confirmed root-cause categories (default: the current classification).
    #[serde(default)]
    pub root_causes: Option<Vec<String>>,
}

/// A case waiting for curation, in its desensitized form (curators never see originals).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct QueueItem {
    pub id: String,
    pub stage: Stage,
    pub revision: i64,
    pub published: Published,
    pub receipt: Receipt,
    pub k_check: KCheck,
    pub suggestion: Suggestion,
    pub updated_at: Timestamp,
}

/// A published case as anyone sees it: the public summary.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CaseCard {
    pub id: String,
    pub title_zh: Option<String>,
    pub title_en: Option<String>,
    pub period: String,
    pub province: String,
    pub industry: String,
    pub equipment_type: String,
    pub grade: String,
    pub mechanism: Mechanism,
    pub root_causes: Vec<RootCause>,
    pub summary_zh: Option<String>,
    pub summary_en: Option<String>,
    pub published_at: Timestamp,
    /// The publication's entry in the ledger.
    pub ledger: Option<LedgerRef>,
}

/// A published case for the caller: the summary always, the details for registered users,
/// and what the caller may do next.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CaseView {
    #[serde(flatten)]
    pub card: CaseCard,
    /// For registered users.
    pub details: Option<Details>,
    pub receipt: Receipt,
    /// The caller's organisation contributed it.
    pub own: bool,
    /// The caller may read the full record now.
    pub may_read_full: bool,
    /// The caller may apply for the full record.
    pub may_request: bool,
    /// The caller's latest application, if any.
    pub my_request: Option<AccessRequest>,
}

/// The full desensitized record.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct FullView {
    #[serde(flatten)]
    pub card: CaseCard,
    pub details: Details,
    pub full: Full,
    pub receipt: Receipt,
    /// Until when the caller's grant runs (none for the contributor and curators).
    pub grant_expires_at: Option<Timestamp>,
}

/// An application for a full record.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AccessInput {
    /// What the record is for (at least 10 characters).
    pub purpose: String,
}

/// A decision on an application.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DecisionInput {
    /// Grant (true) or refuse (false).
    pub grant: bool,
    /// How long the grant lasts, in days (default and maximum from the settings).
    #[serde(default)]
    pub days: Option<u32>,
    /// A note to the applicant (required to refuse).
    #[serde(default)]
    pub note: Option<String>,
}

/// What the stored publication body holds: the anchored record.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Body {
    pub(crate) id: String,
    pub(crate) contributor: OrgId,
    pub(crate) published_at: Timestamp,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) withdrawn_at: Option<Timestamp>,
    pub(crate) case: Published,
    pub(crate) receipt: Receipt,
}

fn card_of(body: &Body, ledger: Option<LedgerRef>) -> CaseCard {
    let p = &body.case;
    CaseCard {
        id: body.id.clone(),
        title_zh: p.title_zh.clone(),
        title_en: p.title_en.clone(),
        period: p.period.clone(),
        province: p.province.clone(),
        industry: p.industry.clone(),
        equipment_type: p.equipment_type.clone(),
        grade: p.grade.clone(),
        mechanism: p.mechanism,
        root_causes: p.root_causes.clone(),
        summary_zh: p.summary_zh.clone(),
        summary_en: p.summary_en.clone(),
        published_at: body.published_at,
        ledger,
    }
}

fn title_of(p: &Published) -> String {
    p.title_zh
        .clone()
        .or_else(|| p.title_en.clone())
        .unwrap_or_default()
}

/// The original, opened and validated again (it was valid when stored).
struct Opened {
    case: model::ValidCase,
}

impl<'a> Cases<'a> {
    fn now(&self) -> Timestamp {
        self.gate.clock().now()
    }

    async fn open(
        &self,
        conn: &mut sqlx::AnyConnection,
        row: &store::CaseRow,
    ) -> Result<Opened, CasesError> {
        let text = self
            .vault
            .open(conn, row.org_id, &sealed_context(&row.id), &row.original)
            .await?;
        let input: CaseInput = serde_json::from_str(&text).map_err(corrupt)?;
        let region = input.region_code.clone().unwrap_or_default();
        let industry = input.industry_code.clone();
        // Dates were checked against the day of upload; a stored case stays valid.
        let far = time::macros::date!(9999 - 12 - 31);
        let case = input
            .validate(far, &region, industry.as_deref())
            .map_err(|e| corrupt(format!("{e:?}")))?;
        Ok(Opened { case })
    }

    /// Desensitizes the case as it would be published now, with the contributor's edits.
    async fn prepare(
        &self,
        conn: &mut sqlx::AnyConnection,
        row: &store::CaseRow,
        opened: &Opened,
        decided: Option<KAnonOutcome>,
    ) -> Result<publication::Prepared, CasesError> {
        let (engine, key) = self.privacy.for_document(self.db, &row.id).await?;
        let mechanism: Mechanism = row.mechanism.parse().map_err(corrupt)?;
        let root_causes: Vec<RootCause> =
            serde_json::from_str(&row.root_causes).map_err(corrupt)?;
        let classes = match decided {
            Some(_) => Vec::new(),
            None => store::published_classes(conn).await?,
        };
        let mut prepared = publication::prepare(
            &engine,
            &key,
            &opened.case,
            mechanism,
            &root_causes,
            &classes,
            self.config.k,
            decided,
        )
        .map_err(corrupt)?;
        let edits: BTreeMap<String, String> = match &row.confirmed {
            Some(c) => serde_json::from_str(c).map_err(corrupt)?,
            None => BTreeMap::new(),
        };
        publication::apply_edits(&mut prepared, &opened.case, &edits);
        let originals = files::originals(conn, &row.id).await?;
        set_files(&mut prepared.receipt, files::planned(&originals));
        Ok(prepared)
    }

    /// Records a case of the caller's organisation as a draft, its original sealed, with a
    /// suggested classification.
    pub async fn upload(&self, caller: &Caller, input: CaseInput) -> Result<OwnCase, CasesError> {
        let actor = caller.principal.actor().ok_or(CasesError::NotFound)?;
        let id = uuid::Uuid::now_v7().to_string();
        let mut tx = self.db.begin().await?;
        let (tx2, _permit) = self
            .gate
            .check_tx(
                tx,
                caller,
                Action::Create,
                &record(&id, actor.org_id, Level::Private),
            )
            .await?;
        tx = tx2;
        let org = orgs::load(&mut tx, actor.org_id)
            .await?
            .ok_or(CasesError::NotFound)?;
        let now = self.now();
        let valid = input
            .validate(
                now.inner().date(),
                &org.region_code,
                org.industry_code.as_deref(),
            )
            .map_err(CasesError::Fields)?;
        self.check_item(&mut tx, actor.org_id, &valid).await?;
        let (mechanism, _) = self
            .write_original(&mut tx, &id, actor.org_id, actor.person_id, &valid, now)
            .await?;
        tx.commit().await?;
        Ok(OwnCase {
            id,
            stage: Stage::Draft,
            title: valid
                .input
                .title_zh
                .clone()
                .or(valid.input.title_en.clone())
                .unwrap_or_default(),
            failure_date: valid.input.failure_date.clone(),
            mechanism,
            curator_note: None,
            revision: 1,
            created_at: now,
            updated_at: now,
        })
    }

    /// Refuses a case that names an equipment item not of `org`.
    async fn check_item(
        &self,
        conn: &mut sqlx::AnyConnection,
        org: OrgId,
        valid: &model::ValidCase,
    ) -> Result<(), CasesError> {
        let Some(eid) = &valid.input.equipment_id else {
            return Ok(());
        };
        let found: Option<String> =
            sqlx::query_scalar("SELECT org_id FROM equipment WHERE id = $1")
                .bind(eid.clone())
                .fetch_optional(&mut *conn)
                .await?;
        if found.as_deref() != Some(org.to_string().as_str()) {
            let mut e = FieldErrors::new();
            e.add(
                "equipment_id",
                "unknown",
                "no equipment item of your organisation has this id",
            );
            return Err(CasesError::Fields(e));
        }
        Ok(())
    }

    /// Stores a validated case as uploaded: the original (with the region and industry it
    /// was validated with) sealed with the organisation's data key, the classification
    /// (the contributor's, else the suggested one) and the upload event. Returns the
    /// mechanism and root causes it was filed under.
    async fn write_original(
        &self,
        conn: &mut sqlx::AnyConnection,
        id: &str,
        org: OrgId,
        person: PersonId,
        valid: &model::ValidCase,
        at: Timestamp,
    ) -> Result<(Mechanism, Vec<RootCause>), CasesError> {
        let suggestion = suggest::suggest(valid);
        let mechanism = valid.mechanism.unwrap_or(suggestion.mechanism);
        let root_causes = if valid.root_causes.is_empty() {
            suggestion.root_causes.clone()
        } else {
            valid.root_causes.clone()
        };
        let mut stored = valid.input.clone();
        stored.region_code = Some(valid.region_code.clone());
        stored.industry_code = Some(valid.industry_code.clone());
        let plain = serde_json::to_string(&stored).map_err(corrupt)?;
        let sealed = self
            .vault
            .seal(&mut *conn, org, &sealed_context(id), &plain, at)
            .await?;
        store::insert(
            &mut *conn,
            &store::NewCase {
                id,
                org_id: org,
                created_by: person,
                original: &sealed,
                mechanism: mechanism.as_str(),
                root_causes: &serde_json::to_string(&root_causes).map_err(corrupt)?,
                suggestion: &serde_json::to_string(&suggestion).map_err(corrupt)?,
                now: at,
            },
        )
        .await?;
        store::event(&mut *conn, id, Some(person), "uploaded", None, at).await?;
        Ok((mechanism, root_causes))
    }

    async fn own_case(
        &self,
        conn: &mut sqlx::AnyConnection,
        row: &store::CaseRow,
    ) -> Result<OwnCase, CasesError> {
        let opened = self.open(conn, row).await?;
        let i = &opened.case.input;
        Ok(OwnCase {
            id: row.id.clone(),
            stage: row.stage,
            title: i
                .title_zh
                .clone()
                .or(i.title_en.clone())
                .unwrap_or_default(),
            failure_date: i.failure_date.clone(),
            mechanism: row.mechanism.parse().map_err(corrupt)?,
            curator_note: row.curator_note.clone(),
            revision: row.revision,
            created_at: row.created_at,
            updated_at: row.updated_at,
        })
    }

    /// The cases of the caller's organisation, every stage.
    pub async fn mine(&self, caller: &Caller) -> Result<Vec<OwnCase>, CasesError> {
        let actor = caller.principal.actor().ok_or(CasesError::NotFound)?;
        let mut conn = self.db.pool().acquire().await?;
        let rows = store::of_org(&mut conn, actor.org_id).await?;
        let rows = self
            .gate
            .filter(&mut conn, caller, Action::Read, rows, original)
            .await?;
        let mut out = Vec::with_capacity(rows.len());
        for row in &rows {
            out.push(self.own_case(&mut conn, row).await?);
        }
        Ok(out)
    }

    async fn history(
        &self,
        conn: &mut sqlx::AnyConnection,
        id: &str,
    ) -> Result<Vec<HistoryEntry>, CasesError> {
        Ok(store::events(conn, id)
            .await?
            .into_iter()
            .map(|(at, by, kind, note)| HistoryEntry { at, by, kind, note })
            .collect())
    }

    /// The contributor's review of its case (any stage).
    pub async fn preview(&self, caller: &Caller, id: &str) -> Result<Preview, CasesError> {
        let mut conn = self.db.pool().acquire().await?;
        let row = store::case(&mut conn, id)
            .await?
            .ok_or(CasesError::NotFound)?;
        self.gate
            .check(&mut conn, caller, Action::Read, &original(&row))
            .await?;
        let opened = self.open(&mut conn, &row).await?;
        let prepared = self.prepare(&mut conn, &row, &opened, None).await?;
        let edits = match &row.confirmed {
            Some(c) => serde_json::from_str(c).map_err(corrupt)?,
            None => BTreeMap::new(),
        };
        let originals = attachments::list(
            self.db,
            self.gate,
            caller,
            &files::owner(&row.id, row.org_id),
        )
        .await?;
        let files = originals
            .iter()
            .cloned()
            .zip(files::planned(&originals))
            .map(|(attachment, publication)| OriginalFile {
                attachment,
                publication,
            })
            .collect();
        Ok(Preview {
            may_attach: self
                .gate
                .would_allow(caller, Action::EditCase, &workflow(&row, vec![])),
            files,
            id: row.id.clone(),
            stage: row.stage,
            revision: row.revision,
            k_check: KCheck::from(&prepared.kanon),
            published: prepared.published,
            review: prepared.review,
            receipt: prepared.receipt,
            suggestion: serde_json::from_str(&row.suggestion).map_err(corrupt)?,
            edits,
            curator_note: row.curator_note.clone(),
            history: self.history(&mut conn, id).await?,
        })
    }

    /// The contributor confirms the desensitized version (with its rewritten texts) and
    /// submits it for curation.
    pub async fn confirm(
        &self,
        caller: &Caller,
        id: &str,
        input: &ConfirmInput,
    ) -> Result<Stage, CasesError> {
        let actor = caller.principal.actor().ok_or(CasesError::NotFound)?;
        let mut tx = self.db.begin().await?;
        let row = store::case(&mut tx, id)
            .await?
            .ok_or(CasesError::NotFound)?;
        let (mut tx, _) = self
            .gate
            .check_tx(tx, caller, Action::Read, &original(&row))
            .await?;
        let (tx2, _) = self
            .gate
            .check_tx(tx, caller, Action::EditCase, &workflow(&row, vec![]))
            .await
            .map_err(seen)?;
        tx = tx2;
        if row.revision != input.revision {
            return Err(conflict(
                "the case changed since you opened it; reload the preview and confirm again",
            ));
        }
        // Rewritten texts must not bring identifiers back.
        let mut errors = FieldErrors::new();
        let mut edits = BTreeMap::new();
        let (engine, _) = self.privacy.for_document(self.db, id).await?;
        for (field, text) in &input.edits {
            if !publication::EDITABLE.contains(&field.as_str()) {
                errors.add(
                    field,
                    "unknown",
                    format!(
                        "only these texts can be rewritten: {}",
                        publication::EDITABLE.join(", ")
                    ),
                );
                continue;
            }
            if text.chars().count() > model::MAX_TEXT {
                errors.add(
                    field,
                    "too_long",
                    format!("at most {} characters", model::MAX_TEXT),
                );
                continue;
            }
            let found = publication::identifiers_in(&engine, text);
            if !found.is_empty() {
                errors.add(
                    field,
                    "identifying",
                    format!(
                        "the text still names {}; rewrite it without them",
                        found.join(", ")
                    ),
                );
                continue;
            }
            edits.insert(field.clone(), text.trim().to_owned());
        }
        if !errors.is_empty() {
            return Err(CasesError::Fields(errors));
        }
        let now = self.now();
        let opened = self.open(&mut tx, &row).await?;
        let mut staged = row.clone();
        staged.confirmed = Some(serde_json::to_string(&edits).map_err(corrupt)?);
        let prepared = self.prepare(&mut tx, &staged, &opened, None).await?;
        if !store::set_stage(
            &mut tx,
            id,
            row.revision,
            Stage::Submitted,
            staged.confirmed.as_deref(),
            None,
            None,
            now,
        )
        .await?
        {
            return Err(conflict(
                "the case changed meanwhile; reload and confirm again",
            ));
        }
        store::event(&mut tx, id, Some(actor.person_id), "confirmed", None, now).await?;
        let curators = curator_orgs(&mut tx).await?;
        let title = title_of(&prepared.published);
        notify::send(
            &mut tx,
            now,
            &Audience::Admins(curators),
            &Message {
                kind: "cases".into(),
                title_zh: format!("待审核的失效案例：{title}"),
                title_en: format!("A failure case to curate: {title}"),
                body_zh: "一个脱敏后的失效案例已提交，请审核分类并决定发布或退回。".into(),
                body_en: "A desensitized failure case was submitted: check its classification, then publish it or send it back.".into(),
                link: Some("/cases/curation".into()),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(Stage::Submitted)
    }

    /// The cases waiting for curation, desensitized.
    pub async fn queue(&self, caller: &Caller) -> Result<Vec<QueueItem>, CasesError> {
        let mut conn = self.db.pool().acquire().await?;
        // Submitted cases first (they wait for a decision), then the held ones (approved,
        // waiting for k), each oldest first.
        let mut rows = store::at_stages(&mut conn, &[Stage::Submitted], Some(QUEUE_LIMIT)).await?;
        rows.extend(store::at_stages(&mut conn, &[Stage::Held], Some(QUEUE_LIMIT)).await?);
        let rows = self
            .gate
            .filter(&mut conn, caller, Action::CurateCase, rows, |r| {
                workflow(r, vec![])
            })
            .await?;
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            let opened = self.open(&mut conn, &row).await?;
            let prepared = self.prepare(&mut conn, &row, &opened, None).await?;
            out.push(QueueItem {
                id: row.id.clone(),
                stage: row.stage,
                revision: row.revision,
                k_check: KCheck::from(&prepared.kanon),
                published: prepared.published,
                receipt: prepared.receipt,
                suggestion: serde_json::from_str(&row.suggestion).map_err(corrupt)?,
                updated_at: row.updated_at,
            });
        }
        Ok(out)
    }

    /// A curator publishes a submitted case (held back while its class is smaller than k),
    /// sends it back with reasons, or withdraws a published one.
    pub async fn curate(
        &self,
        caller: &Caller,
        id: &str,
        input: &CurationInput,
    ) -> Result<Stage, CasesError> {
        let actor = caller.principal.actor().ok_or(CasesError::NotFound)?;
        let mut tx = self.db.begin().await?;
        let row = store::case(&mut tx, id)
            .await?
            .ok_or(CasesError::NotFound)?;
        let (tx2, permit) = self
            .gate
            .check_tx(tx, caller, Action::CurateCase, &workflow(&row, vec![]))
            .await?;
        tx = tx2;
        if row.revision != input.revision {
            return Err(conflict(
                "the case changed since you opened it; reload it and decide again",
            ));
        }
        let mut e = FieldErrors::new();
        let note = input
            .note
            .as_deref()
            .map(str::trim)
            .filter(|n| !n.is_empty());
        let mechanism = match input.mechanism.as_deref().map(str::trim) {
            Some(m) if !m.is_empty() => match m.parse::<Mechanism>() {
                Ok(m) => m,
                Err(u) => {
                    e.add("mechanism", "unknown", u.to_string());
                    Mechanism::Other
                }
            },
            _ => row.mechanism.parse().map_err(corrupt)?,
        };
        let root_causes: Vec<RootCause> = match &input.root_causes {
            Some(list) => {
                let mut out = Vec::new();
                for r in list {
                    match r.parse::<RootCause>() {
                        Ok(c) if !out.contains(&c) => out.push(c),
                        Ok(_) => {}
                        Err(u) => e.add("root_causes", "unknown", u.to_string()),
                    }
                }
                out
            }
            None => serde_json::from_str(&row.root_causes).map_err(corrupt)?,
        };
        let now = self.now();
        let stage = match input.decision.as_str() {
            "publish" if [Stage::Submitted, Stage::Held].contains(&row.stage) => {
                if !e.is_empty() {
                    return Err(CasesError::Fields(e));
                }
                let classification = (
                    mechanism.as_str(),
                    serde_json::to_string(&root_causes).map_err(corrupt)?,
                );
                if !store::set_stage(
                    &mut tx,
                    id,
                    row.revision,
                    Stage::Held,
                    None,
                    Some((classification.0, &classification.1)),
                    Some((actor.person_id, note)),
                    now,
                )
                .await?
                {
                    return Err(conflict("the case changed meanwhile; reload it"));
                }
                store::event(&mut tx, id, Some(actor.person_id), "approved", note, now).await?;
                self.publish_ready(&mut tx, now, &permit).await?;
                store::case(&mut tx, id)
                    .await?
                    .ok_or(CasesError::NotFound)?
                    .stage
            }
            "return" if [Stage::Submitted, Stage::Held].contains(&row.stage) => {
                if note.is_none() {
                    e.add("note", "required", "say what the contributor should change");
                }
                if !e.is_empty() {
                    return Err(CasesError::Fields(e));
                }
                if !store::set_stage(
                    &mut tx,
                    id,
                    row.revision,
                    Stage::Returned,
                    None,
                    None,
                    Some((actor.person_id, note)),
                    now,
                )
                .await?
                {
                    return Err(conflict("the case changed meanwhile; reload it"));
                }
                store::event(&mut tx, id, Some(actor.person_id), "returned", note, now).await?;
                notify::send(
                    &mut tx,
                    now,
                    &Audience::Organizations(vec![row.org_id]),
                    &Message {
                        kind: "cases".into(),
                        title_zh: "失效案例被退回修改".into(),
                        title_en: "A failure case was sent back".into(),
                        body_zh: format!("审核意见：{}", note.unwrap_or_default()),
                        body_en: format!("The curator's reasons: {}", note.unwrap_or_default()),
                        link: Some(format!("/cases/mine/{id}")),
                    },
                )
                .await?;
                Stage::Returned
            }
            "withdraw" if row.stage == Stage::Published => {
                if note.is_none() {
                    e.add("note", "required", "say why the case is withdrawn");
                }
                if !e.is_empty() {
                    return Err(CasesError::Fields(e));
                }
                let publication = store::publication(&mut tx, id)
                    .await?
                    .ok_or_else(|| corrupt("a published case without its publication"))?;
                let mut body: Body = serde_json::from_str(&publication.body).map_err(corrupt)?;
                body.withdrawn_at = Some(now);
                let value = serde_json::to_value(&body).map_err(corrupt)?;
                store::withdraw(&mut tx, id, &value.to_string(), now).await?;
                ledger::anchor(
                    &mut tx,
                    now,
                    &[Anchor {
                        record_type: LEDGER_TYPE,
                        record_id: id.to_owned(),
                        record: value,
                    }],
                )
                .await?;
                store::set_stage(
                    &mut tx,
                    id,
                    row.revision,
                    Stage::Withdrawn,
                    None,
                    None,
                    Some((actor.person_id, note)),
                    now,
                )
                .await?;
                store::event(&mut tx, id, Some(actor.person_id), "withdrawn", note, now).await?;
                ticorr_platform::search::changed(&mut tx, RECORD_KIND, id, now).await?;
                Stage::Withdrawn
            }
            "publish" | "return" | "withdraw" => {
                return Err(conflict(format!(
                    "a case that is {} cannot be {}",
                    row.stage,
                    match input.decision.as_str() {
                        "publish" => "published",
                        "return" => "sent back",
                        _ => "withdrawn",
                    }
                )));
            }
            other => {
                e.add(
                    "decision",
                    "unknown",
                    format!("`{other}` is not a decision; use publish, return or withdraw"),
                );
                return Err(CasesError::Fields(e));
            }
        };
        tx.commit().await?;
        Ok(stage)
    }

    /// Publishes the held cases that can be released now, together (see
    /// [`publication::plan_release`]). Returns the cases published.
    async fn publish_ready(
        &self,
        tx: &mut sqlx::AnyConnection,
        now: Timestamp,
        permit: &Permit,
    ) -> Result<Vec<String>, CasesError> {
        let held = store::at_stages(tx, &[Stage::Held], None).await?;
        let mut opened = Vec::with_capacity(held.len());
        for row in &held {
            opened.push(self.open(tx, row).await?);
        }
        let candidates: Vec<QuasiIdentifiers> = opened
            .iter()
            .map(|o| publication::quasi_identifiers(&o.case))
            .collect();
        let published_classes = store::published_classes(tx).await?;
        let plan = publication::plan_release(&published_classes, &candidates, self.config.k)
            .map_err(corrupt)?;
        let mut published = Vec::new();
        for ((row, opened), outcome) in held.iter().zip(&opened).zip(plan) {
            let Some(outcome) = outcome else { continue };
            let prepared = self.prepare(tx, row, opened, Some(outcome)).await?;
            self.publish_one(tx, row, prepared, now, permit).await?;
            published.push(row.id.clone());
        }
        Ok(published)
    }

    async fn publish_one(
        &self,
        tx: &mut sqlx::AnyConnection,
        row: &store::CaseRow,
        mut prepared: publication::Prepared,
        now: Timestamp,
        permit: &Permit,
    ) -> Result<(), CasesError> {
        let released = files::release(self.files, tx, &row.id, permit).await?;
        set_files(&mut prepared.receipt, released);
        let body = Body {
            id: row.id.clone(),
            contributor: row.org_id,
            published_at: now,
            withdrawn_at: None,
            case: prepared.published,
            receipt: prepared.receipt,
        };
        let value = serde_json::to_value(&body).map_err(corrupt)?;
        let title = title_of(&body.case);
        store::publish(
            tx,
            &store::NewPublication {
                case_id: &row.id,
                org_id: row.org_id,
                tuple: &QuasiIdentifiers {
                    province: body.case.province.clone(),
                    industry: body.case.industry.clone(),
                    equipment_type: body.case.equipment_type.clone(),
                    grade: body.case.grade.clone(),
                    year: prepared.kanon.tuple.year.clone(),
                },
                mechanism: body.case.mechanism.as_str(),
                title: &title,
                body: &value.to_string(),
                now,
            },
        )
        .await?;
        ledger::anchor(
            tx,
            now,
            &[Anchor {
                record_type: LEDGER_TYPE,
                record_id: row.id.clone(),
                record: value,
            }],
        )
        .await?;
        let current = store::case(tx, &row.id)
            .await?
            .ok_or(CasesError::NotFound)?;
        store::set_stage(
            tx,
            &row.id,
            current.revision,
            Stage::Published,
            None,
            None,
            None,
            now,
        )
        .await?;
        store::event(tx, &row.id, None, "published", None, now).await?;
        ticorr_platform::search::changed(tx, RECORD_KIND, &row.id, now).await?;
        notify::send(
            tx,
            now,
            &Audience::Organizations(vec![row.org_id]),
            &Message {
                kind: "cases".into(),
                title_zh: format!("失效案例已发布：{title}"),
                title_en: format!("Failure case published: {title}"),
                body_zh: "您单位提交的失效案例已脱敏发布，并已记入可验证账本。".into(),
                body_en: "Your organisation's failure case is published, desensitized, and anchored in the ledger.".into(),
                link: Some(format!("/cases/{}", row.id)),
            },
        )
        .await?;
        Ok(())
    }

    /// Published cases, newest first: the public summary for everyone.
    pub async fn list(
        &self,
        caller: &Caller,
        filter: &ListFilter,
        page: &PageRequest,
    ) -> Result<Page<CaseCard>, CasesError> {
        let mut conn = self.db.pool().acquire().await?;
        let rows = store::published(&mut conn, filter, page).await?;
        let page = Page::from_rows(rows, page, |r| ticorr_kernel::Cursor {
            key: r.published_at.to_rfc3339(),
            id: r.case_id.clone(),
        });
        let rows = self
            .gate
            .filter(&mut conn, caller, Action::Read, page.items, |r| {
                record(&r.case_id, r.org_id, Level::Public)
            })
            .await?;
        let mut items = Vec::with_capacity(rows.len());
        for r in rows {
            let body: Body = serde_json::from_str(&r.body).map_err(corrupt)?;
            let entry = ledger::latest(&mut conn, LEDGER_TYPE, &r.case_id).await?;
            items.push(card_of(&body, entry));
        }
        Ok(Page {
            items,
            next_cursor: page.next_cursor,
        })
    }

    async fn published_row(
        &self,
        conn: &mut sqlx::AnyConnection,
        caller: &Caller,
        id: &str,
    ) -> Result<(store::CaseRow, Body, Option<LedgerRef>), CasesError> {
        let row = store::case(conn, id).await?.ok_or(CasesError::NotFound)?;
        let publication = match store::publication(conn, id).await? {
            Some(p) if p.withdrawn_at.is_none() => p,
            _ => return Err(CasesError::NotFound),
        };
        self.gate
            .check(
                conn,
                caller,
                Action::Read,
                &record(id, row.org_id, Level::Public),
            )
            .await?;
        let body: Body = serde_json::from_str(&publication.body).map_err(corrupt)?;
        let entry = ledger::latest(conn, LEDGER_TYPE, id).await?;
        Ok((row, body, entry))
    }

    /// A published case for the caller.
    pub async fn get(&self, caller: &Caller, id: &str) -> Result<CaseView, CasesError> {
        let mut conn = self.db.pool().acquire().await?;
        let (row, body, entry) = self.published_row(&mut conn, caller, id).await?;
        let now = self.now();
        let details_visible = self.gate.would_allow(
            caller,
            Action::Read,
            &record(id, row.org_id, Level::Industry),
        );
        let grantees = store::grantees(&mut conn, id, now).await?;
        let flow = workflow(&row, grantees);
        let my_request = match caller.principal.actor() {
            Some(a) => store::requests(&mut conn, Some(a.person_id), None, Some(id), now)
                .await?
                .into_iter()
                .next(),
            None => None,
        };
        let own = caller
            .principal
            .actor()
            .is_some_and(|a| a.org_id == row.org_id);
        Ok(CaseView {
            card: card_of(&body, entry),
            details: details_visible.then(|| body.case.details.clone()),
            receipt: body.receipt.clone(),
            own,
            may_read_full: self.gate.would_allow(caller, Action::ReadCaseFull, &flow),
            may_request: self
                .gate
                .would_allow(caller, Action::RequestCaseAccess, &flow)
                && !my_request
                    .as_ref()
                    .is_some_and(|r| r.status == "pending" || r.status == "granted"),
            my_request,
        })
    }

    /// A published case whose full record the caller may read (the transaction the read is
    /// logged in, the case, its published body and ledger entry).
    async fn open_full(
        &self,
        caller: &Caller,
        id: &str,
    ) -> Result<(ticorr_db::Tx, store::CaseRow, Body, Option<LedgerRef>), CasesError> {
        let mut tx = self.db.begin().await?;
        let (row, body, entry) = self.published_row(&mut tx, caller, id).await?;
        let grantees = store::grantees(&mut tx, id, self.now()).await?;
        let (tx, _) = self
            .gate
            .check_tx(tx, caller, Action::ReadCaseFull, &workflow(&row, grantees))
            .await
            .map_err(seen)?;
        Ok((tx, row, body, entry))
    }

    /// The full desensitized record. A read by anyone but the contributor is logged for the
    /// contributor and anchored in the ledger.
    pub async fn full(&self, caller: &Caller, id: &str) -> Result<FullView, CasesError> {
        let (mut tx, row, body, entry) = self.open_full(caller, id).await?;
        let grant_expires_at = self.log_read(&mut tx, caller, &row).await?;
        tx.commit().await?;
        Ok(FullView {
            card: card_of(&body, entry),
            details: body.case.details.clone(),
            full: body.case.full.clone(),
            receipt: body.receipt.clone(),
            grant_expires_at,
        })
    }

    /// A photo of the original (a draft or a case sent back), attached by its contributor.
    /// The file is checked like any attachment; it stays at L1 and is published only as the
    /// receipt says (see [`files`]).
    pub async fn attach(
        &self,
        caller: &Caller,
        id: &str,
        name: &str,
        bytes: bytes::Bytes,
    ) -> Result<Attachment, CasesError> {
        let row = {
            let mut conn = self.db.pool().acquire().await?;
            let row = store::case(&mut conn, id)
                .await?
                .ok_or(CasesError::NotFound)?;
            self.gate
                .check(&mut conn, caller, Action::Read, &original(&row))
                .await?;
            self.gate
                .check(&mut conn, caller, Action::EditCase, &workflow(&row, vec![]))
                .await
                .map_err(|d| match seen(d) {
                    Denied::Forbidden => conflict(format!(
                        "files can be attached while the case is a draft or sent back; it is {}",
                        row.stage
                    )),
                    other => other.into(),
                })?;
            row
        };
        Ok(attachments::upload(
            self.db,
            self.gate,
            self.files,
            caller,
            &files::owner(&row.id, row.org_id),
            name,
            bytes,
        )
        .await?)
    }

    /// The owner descriptor of a case's original files, with no authorization: the
    /// attachment service decides on it. `None` when the case does not exist.
    pub async fn owner_of(
        &self,
        id: &str,
    ) -> Result<Option<ticorr_platform::attachments::Owner>, CasesError> {
        let mut conn = self.db.pool().acquire().await?;
        Ok(store::case(&mut conn, id)
            .await?
            .map(|row| files::owner(&row.id, row.org_id)))
    }

    /// A published copy of a case's file, with its receipt line: read with the full record,
    /// under the same policy, and logged and anchored the same way.
    pub async fn published_file(
        &self,
        caller: &Caller,
        id: &str,
        position: u32,
    ) -> Result<(FileReceipt, bytes::Bytes), CasesError> {
        let (mut tx, row, body, _) = self.open_full(caller, id).await?;
        let line = body
            .receipt
            .files
            .iter()
            .find(|l| l.position == position && l.sha256.is_some())
            .cloned()
            .ok_or(CasesError::NotFound)?;
        let bytes = files::published(self.files, &line).await?;
        self.log_read(&mut tx, caller, &row).await?;
        tx.commit().await?;
        Ok((line, bytes))
    }

    async fn log_read(
        &self,
        tx: &mut sqlx::AnyConnection,
        caller: &Caller,
        row: &store::CaseRow,
    ) -> Result<Option<Timestamp>, CasesError> {
        let actor = caller.principal.actor().ok_or(CasesError::NotFound)?;
        log_read(tx, actor, row.org_id, &row.id, self.now()).await
    }

    /// A registered person of another organisation applies for a case's full record.
    pub async fn request_access(
        &self,
        caller: &Caller,
        id: &str,
        input: &AccessInput,
    ) -> Result<AccessRequest, CasesError> {
        let actor = caller.principal.actor().ok_or(CasesError::NotFound)?;
        let mut tx = self.db.begin().await?;
        let (row, body, _) = self.published_row(&mut tx, caller, id).await?;
        let now = self.now();
        let grantees = store::grantees(&mut tx, id, now).await?;
        let (mut tx, _) = self
            .gate
            .check_tx(
                tx,
                caller,
                Action::RequestCaseAccess,
                &workflow(&row, grantees),
            )
            .await
            .map_err(seen)?;
        let purpose = input.purpose.trim();
        if purpose.chars().count() < 10 || purpose.chars().count() > 2000 {
            let mut e = FieldErrors::new();
            e.add(
                "purpose",
                "invalid",
                "say what you need the full record for, in 10 to 2,000 characters",
            );
            return Err(CasesError::Fields(e));
        }
        let open = store::requests(&mut tx, Some(actor.person_id), None, Some(id), now).await?;
        if open
            .iter()
            .any(|r| r.status == "pending" || r.status == "granted")
        {
            return Err(conflict(
                "you already have an application pending or granted for this case",
            ));
        }
        let rid = uuid::Uuid::now_v7().to_string();
        sqlx::query(
            "INSERT INTO case_access_requests (id, case_id, person_id, org_id, purpose, status, requested_at) \
             VALUES ($1, $2, $3, $4, $5, 'pending', $6)",
        )
        .bind(rid.clone())
        .bind(id.to_owned())
        .bind(actor.person_id.to_string())
        .bind(actor.org_id.to_string())
        .bind(purpose.to_owned())
        .bind(now.to_rfc3339())
        .execute(&mut *tx)
        .await?;
        let title = title_of(&body.case);
        notify::send(
            &mut tx,
            now,
            &Audience::Admins(vec![row.org_id]),
            &Message {
                kind: "cases".into(),
                title_zh: format!("查阅申请：{title}"),
                title_en: format!("Access application: {title}"),
                body_zh: format!("{} 申请查阅完整案例记录，用途：{purpose}", actor.org_name),
                body_en: format!(
                    "{} applies for the full record. Purpose: {purpose}",
                    actor.org_name
                ),
                link: Some("/cases/access".into()),
            },
        )
        .await?;
        let request = store::request(&mut tx, &rid, now)
            .await?
            .ok_or(CasesError::NotFound)?;
        tx.commit().await?;
        Ok(request)
    }

    /// The contributor (or the operator) grants or refuses an application.
    pub async fn decide(
        &self,
        caller: &Caller,
        request_id: &str,
        input: &DecisionInput,
    ) -> Result<AccessRequest, CasesError> {
        let actor = caller.principal.actor().ok_or(CasesError::NotFound)?;
        let mut tx = self.db.begin().await?;
        let now = self.now();
        let request = store::request(&mut tx, request_id, now)
            .await?
            .ok_or(CasesError::NotFound)?;
        let row = store::case(&mut tx, &request.case_id)
            .await?
            .ok_or(CasesError::NotFound)?;
        let grantees = store::grantees(&mut tx, &row.id, now).await?;
        let (mut tx, _) = self
            .gate
            .check_tx(
                tx,
                caller,
                Action::DecideCaseAccess,
                &workflow(&row, grantees),
            )
            .await?;
        if request.status != "pending" {
            return Err(conflict(format!(
                "this application was already decided ({})",
                request.status
            )));
        }
        let note = input
            .note
            .as_deref()
            .map(str::trim)
            .filter(|n| !n.is_empty());
        let mut e = FieldErrors::new();
        let days = input.days.unwrap_or(self.config.grant_days);
        if input.grant && (days == 0 || days > self.config.max_grant_days) {
            e.add(
                "days",
                "out_of_range",
                format!("a grant lasts 1 to {} days", self.config.max_grant_days),
            );
        }
        if !input.grant && note.is_none() {
            e.add("note", "required", "tell the applicant why you refuse");
        }
        if !e.is_empty() {
            return Err(CasesError::Fields(e));
        }
        let status = if input.grant { "granted" } else { "refused" };
        let expires_at = input
            .grant
            .then(|| now.plus(time::Duration::days(i64::from(days))));
        sqlx::query(
            "UPDATE case_access_requests SET status = $1, decided_by = $2, decided_at = $3, \
             decision_note = $4, expires_at = $5 WHERE id = $6 AND status = 'pending'",
        )
        .bind(status)
        .bind(actor.person_id.to_string())
        .bind(now.to_rfc3339())
        .bind(note.map(str::to_owned))
        .bind(expires_at.map(|t| t.to_rfc3339()))
        .bind(request_id.to_owned())
        .execute(&mut *tx)
        .await?;
        let record = grant_record(&mut tx, request_id)
            .await?
            .ok_or(CasesError::NotFound)?;
        ledger::anchor(
            &mut tx,
            now,
            &[Anchor {
                record_type: GRANT_LEDGER_TYPE,
                record_id: request_id.to_owned(),
                record,
            }],
        )
        .await?;
        notify::send(
            &mut tx,
            now,
            &Audience::People(vec![request.person_id]),
            &Message {
                kind: "cases".into(),
                title_zh: if input.grant {
                    format!("查阅申请已批准：{}", request.case_title)
                } else {
                    format!("查阅申请未获批准：{}", request.case_title)
                },
                title_en: if input.grant {
                    format!("Access granted: {}", request.case_title)
                } else {
                    format!("Access refused: {}", request.case_title)
                },
                body_zh: match (input.grant, note) {
                    (true, _) => format!("您可在 {days} 天内查阅完整案例记录。"),
                    (false, n) => format!("原因：{}", n.unwrap_or_default()),
                },
                body_en: match (input.grant, note) {
                    (true, _) => format!("You may read the full record for {days} days."),
                    (false, n) => format!("Reason: {}", n.unwrap_or_default()),
                },
                link: Some(format!("/cases/{}", request.case_id)),
            },
        )
        .await?;
        let decided = store::request(&mut tx, request_id, now)
            .await?
            .ok_or(CasesError::NotFound)?;
        tx.commit().await?;
        Ok(decided)
    }

    /// Applications: the caller's own (`mine`), or those to decide for the caller's
    /// organisation's cases (`incoming`; the operator sees every one).
    pub async fn requests(
        &self,
        caller: &Caller,
        incoming: bool,
    ) -> Result<Vec<AccessRequest>, CasesError> {
        let actor = caller.principal.actor().ok_or(CasesError::NotFound)?;
        let mut conn = self.db.pool().acquire().await?;
        let now = self.now();
        if !incoming {
            return Ok(store::requests(&mut conn, Some(actor.person_id), None, None, now).await?);
        }
        let contributor = (actor.org_kind != OrgKind::Operator).then_some(actor.org_id);
        let rows = store::requests(&mut conn, None, contributor, None, now).await?;
        Ok(self
            .gate
            .filter(&mut conn, caller, Action::DecideCaseAccess, rows, |r| {
                Resource::FailureCase(CaseRef {
                    id: r.case_id.clone(),
                    contributor: r.contributor,
                    stage: Stage::Published.as_str(),
                    grantees: vec![],
                })
            })
            .await?)
    }

    /// Who read the full records of the caller's organisation's cases, and why.
    pub async fn accesses(
        &self,
        caller: &Caller,
        case_id: Option<&str>,
    ) -> Result<Vec<Access>, CasesError> {
        let actor = caller.principal.actor().ok_or(CasesError::NotFound)?;
        let mut conn = self.db.pool().acquire().await?;
        let rows = store::accesses(&mut conn, actor.org_id, case_id).await?;
        let org = actor.org_id;
        Ok(self
            .gate
            .filter(&mut conn, caller, Action::Read, rows, |a| {
                record(&a.case_id, org, Level::Private)
            })
            .await?)
    }
}

/// A refused workflow step on a case the caller can see is a 403, not a 404.
/// Logs and anchors a read of a full record (or one of its files) by anyone but the
/// contributor: under the reader's grant and its purpose, or as curation. Returns until
/// when the reader's grant runs.
async fn log_read(
    tx: &mut sqlx::AnyConnection,
    actor: &ticorr_platform::policy::Actor,
    contributor: OrgId,
    id: &str,
    now: Timestamp,
) -> Result<Option<Timestamp>, CasesError> {
    if actor.org_id == contributor {
        return Ok(None);
    }
    let mut grant_expires_at = None;
    let grant = store::grant_of(tx, id, actor.person_id, now).await?;
    let (request_id, purpose) = match grant {
        Some((rid, purpose)) => {
            grant_expires_at = store::request(tx, &rid, now)
                .await?
                .and_then(|r| r.expires_at);
            (Some(rid), purpose)
        }
        None => (None, "curation".to_owned()),
    };
    let access_id = uuid::Uuid::now_v7().to_string();
    sqlx::query(
        "INSERT INTO case_accesses (id, case_id, request_id, person_id, org_id, purpose, at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(access_id.clone())
    .bind(id.to_owned())
    .bind(request_id.clone())
    .bind(actor.person_id.to_string())
    .bind(actor.org_id.to_string())
    .bind(purpose.clone())
    .bind(now.to_rfc3339())
    .execute(&mut *tx)
    .await?;
    ledger::anchor(
        tx,
        now,
        &[Anchor {
            record_type: ACCESS_LEDGER_TYPE,
            record_id: access_id.clone(),
            record: json!({
                "id": access_id, "case_id": id, "request_id": request_id,
                "person_id": actor.person_id.to_string(),
                "org_id": actor.org_id.to_string(),
                "purpose": purpose, "at": now.to_rfc3339(),
            }),
        }],
    )
    .await?;
    Ok(grant_expires_at)
}

/// Puts the files' lines in a receipt, with the count of those stripped.
fn set_files(receipt: &mut Receipt, lines: Vec<FileReceipt>) {
    receipt.attachments_stripped = lines
        .iter()
        .filter(|l| l.action == FileAction::Stripped)
        .count() as u64;
    receipt.files = lines;
}

fn seen(d: Denied) -> Denied {
    match d {
        Denied::NotFound => Denied::Forbidden,
        other => other,
    }
}

/// The organisations that curate cases: the operator and the association.
async fn curator_orgs(conn: &mut sqlx::AnyConnection) -> Result<Vec<OrgId>, CasesError> {
    let ids: Vec<String> = sqlx::query_scalar(
        "SELECT id FROM organizations WHERE kind IN ('operator', 'association') AND status = 'verified'",
    )
    .fetch_all(&mut *conn)
    .await?;
    ids.iter()
        .map(|s| ticorr_db::decode("id", s).map_err(CasesError::from))
        .collect()
}

/// One row as a JSON object of its (text, possibly null) columns, in `columns` order.
async fn row_record(
    conn: &mut sqlx::AnyConnection,
    table: &str,
    columns: &[&str],
    id: &str,
) -> Result<Option<serde_json::Value>, sqlx::Error> {
    use sqlx::Row;
    let sql = format!("SELECT {} FROM {table} WHERE id = $1", columns.join(", "));
    let Some(row) = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(id.to_owned())
        .fetch_optional(&mut *conn)
        .await?
    else {
        return Ok(None);
    };
    let mut m = serde_json::Map::new();
    for c in columns {
        let v: Option<String> = row.try_get(*c)?;
        m.insert(
            (*c).to_owned(),
            v.map_or(serde_json::Value::Null, Into::into),
        );
    }
    Ok(Some(serde_json::Value::Object(m)))
}

const GRANT_COLUMNS: [&str; 8] = [
    "id",
    "case_id",
    "person_id",
    "org_id",
    "purpose",
    "status",
    "decided_at",
    "expires_at",
];
const ACCESS_COLUMNS: [&str; 7] = [
    "id",
    "case_id",
    "request_id",
    "person_id",
    "org_id",
    "purpose",
    "at",
];

async fn grant_record(
    conn: &mut sqlx::AnyConnection,
    id: &str,
) -> Result<Option<serde_json::Value>, sqlx::Error> {
    row_record(conn, "case_access_requests", &GRANT_COLUMNS, id).await
}

/// The published cases (not withdrawn) of verified organisations as the L4 statistics see
/// them: their contributor and their published, k-anonymous attributes, never the sealed
/// original. Trend reports (`case_count` by mechanism, industry, province, year) are
/// computed from these only through the differential-privacy release.
pub async fn stat_rows(db: Db) -> Result<Vec<ticorr_platform::stats::StatRow>, sqlx::Error> {
    use sqlx::Row;
    let rows = sqlx::query(
        "SELECT p.case_id, p.org_id, p.province, p.industry, p.equipment_type, p.grade, p.year, \
         p.mechanism FROM case_publications p JOIN organizations o ON o.id = p.org_id \
         WHERE p.withdrawn_at IS NULL AND o.status = 'verified'",
    )
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|r| {
            Ok(ticorr_platform::stats::StatRow {
                item_id: r.try_get("case_id")?,
                org_id: ticorr_db::parsed(r, "org_id")?,
                province: r.try_get("province")?,
                industry: Some(r.try_get("industry")?),
                equipment_type: r.try_get("equipment_type")?,
                grade: r.try_get("grade")?,
                commissioned_year: None,
                temperature_c: None,
                chloride_mg_l: None,
                ph: None,
                mechanism: Some(r.try_get("mechanism")?),
                failure_year: Some(r.try_get("year")?),
            })
        })
        .collect()
}

/// The current canonical form of an anchored case record, for `ticorr ledger verify`:
/// `None` when the type is not this module's or the record is gone.
pub async fn ledger_record(
    conn: &mut sqlx::AnyConnection,
    record_type: &str,
    id: &str,
) -> Result<Option<Option<serde_json::Value>>, sqlx::Error> {
    match record_type {
        LEDGER_TYPE => {
            let body: Option<String> =
                sqlx::query_scalar("SELECT body FROM case_publications WHERE case_id = $1")
                    .bind(id.to_owned())
                    .fetch_optional(&mut *conn)
                    .await?;
            Ok(Some(body.and_then(|b| serde_json::from_str(&b).ok())))
        }
        GRANT_LEDGER_TYPE => Ok(Some(grant_record(conn, id).await?)),
        risk_models::LEDGER_TYPE => Ok(Some(risk_models::ledger_record(conn, id).await?)),
        bulletins::LEDGER_TYPE => Ok(Some(bulletins::ledger_record_of(conn, id).await?)),
        ACCESS_LEDGER_TYPE => Ok(Some(
            row_record(conn, "case_accesses", &ACCESS_COLUMNS, id).await?,
        )),
        _ => Ok(None),
    }
}

impl<'a> Cases<'a> {
    async fn shelved(&self, conn: &mut sqlx::AnyConnection) -> Result<Arc<Shelved>, CasesError> {
        let fingerprint = store::publications_fingerprint(conn).await?;
        if let Some(s) = self
            .shelf
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .as_ref()
            .filter(|s| s.fingerprint == fingerprint)
        {
            return Ok(s.clone());
        }
        let bodies = store::all_published(conn)
            .await?
            .iter()
            .map(|r| serde_json::from_str::<Body>(&r.body).map_err(corrupt))
            .collect::<Result<Vec<_>, _>>()?;
        let index = similar::Index::new(
            bodies
                .iter()
                .map(|b| similar::Profile::of_published(&b.case))
                .collect(),
        );
        let shelved = Arc::new(Shelved {
            fingerprint,
            index,
            bodies,
        });
        *self
            .shelf
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(shelved.clone());
        Ok(shelved)
    }

    /// The published cases most like `query` that the caller may read, best first.
    async fn matches(
        &self,
        conn: &mut sqlx::AnyConnection,
        caller: &Caller,
        query: &similar::Profile,
        weights: similar::Weights,
        n: usize,
        except: Option<&str>,
    ) -> Result<Vec<SimilarCase>, CasesError> {
        let shelved = self.shelved(conn).await?;
        let n = n.clamp(1, SIMILAR_LIMIT);
        let found = shelved.index.similar(query, weights, n, |d| {
            except.is_some_and(|id| shelved.bodies[d].id == id)
        });
        let found = self
            .gate
            .filter(conn, caller, Action::Read, found, |m| {
                let b = &shelved.bodies[m.doc];
                record(&b.id, b.contributor, Level::Public)
            })
            .await?;
        let mut out = Vec::with_capacity(found.len());
        for m in found {
            let body = &shelved.bodies[m.doc];
            let details = self.gate.would_allow(
                caller,
                Action::Read,
                &record(&body.id, body.contributor, Level::Industry),
            );
            let reasons = m
                .reasons
                .into_iter()
                .filter(|r| details || !matches!(r, similar::Reason::Parameter { .. }))
                .collect();
            let entry = ledger::latest(conn, LEDGER_TYPE, &body.id).await?;
            out.push(SimilarCase {
                card: card_of(body, entry),
                parts: m.parts,
                reasons,
            });
        }
        Ok(out)
    }

    /// The published cases most like a published case, for a caller who may read it.
    pub async fn similar(
        &self,
        caller: &Caller,
        id: &str,
        n: usize,
    ) -> Result<Vec<SimilarCase>, CasesError> {
        let mut conn = self.db.pool().acquire().await?;
        let (_, body, _) = self.published_row(&mut conn, caller, id).await?;
        let query = similar::Profile::of_published(&body.case);
        self.matches(
            &mut conn,
            caller,
            &query,
            similar::Weights::HYBRID,
            n,
            Some(id),
        )
        .await
    }

    /// The published cases most like an equipment item: its conditions and the mechanisms
    /// its risk assessment rates. The caller has read the item through the equipment module;
    /// only published cases are compared with it.
    pub async fn like_item(
        &self,
        caller: &Caller,
        item: &similar::Profile,
        n: usize,
    ) -> Result<Vec<SimilarCase>, CasesError> {
        let mut conn = self.db.pool().acquire().await?;
        self.matches(&mut conn, caller, item, similar::Weights::ITEM, n, None)
            .await
    }
}

/// How well the similar-case recommender finds the other cases of a case's family, on the
/// published cases: the weights tuned on the training families, and on the held-out
/// families the shipped weights, the tuned ones and the text-only baseline.
#[derive(Debug, Clone, Serialize)]
pub struct RecommenderReport {
    /// Published cases in the index, and how many of them carry a family label.
    pub cases: usize,
    pub labelled: usize,
    pub families: usize,
    pub held_out_families: usize,
    pub tuned: similar::Weights,
    pub tuned_on_training: similar::Metrics,
    pub shipped: similar::Weights,
    pub shipped_on_held_out: similar::Metrics,
    pub tuned_on_held_out: similar::Metrics,
    pub text_only_on_held_out: similar::Metrics,
    /// The best any ranking could do on the held-out queries.
    pub ceiling_on_held_out: similar::Metrics,
}

/// The most training queries the tuning uses (every n-th of them).
const TUNING_QUERIES: usize = 600;

impl<'a> Cases<'a> {
    /// Measures the recommender over the published cases against family labels (case id →
    /// family; the demo's generator writes them). Every fifth family is held out: the
    /// weights are tuned on the others only, and the figures that matter are those on the
    /// held-out families. Reads only published (public) cases.
    pub async fn measure_recommender(
        &self,
        families: &BTreeMap<String, usize>,
    ) -> Result<RecommenderReport, CasesError> {
        let mut conn = self.db.pool().acquire().await?;
        let shelved = self.shelved(&mut conn).await?;
        drop(conn);
        // Unlabelled cases stay in the index as distractors, each a family of its own.
        let mut next = families.values().max().map_or(0, |m| m + 1);
        let mut labelled = 0;
        let family: Vec<usize> = shelved
            .bodies
            .iter()
            .map(|b| match families.get(&b.id) {
                Some(f) => {
                    labelled += 1;
                    *f
                }
                None => {
                    next += 1;
                    next
                }
            })
            .collect();
        let held_out =
            |d: &usize| families.contains_key(&shelved.bodies[*d].id) && family[*d] % 5 == 4;
        let all: Vec<usize> = (0..family.len()).collect();
        let (test, train): (Vec<usize>, Vec<usize>) = all.iter().partition(|d| held_out(d));
        let train: Vec<usize> = train
            .into_iter()
            .filter(|d| families.contains_key(&shelved.bodies[*d].id))
            .collect();
        let step = train.len().div_ceil(TUNING_QUERIES).max(1);
        let train: Vec<usize> = train.into_iter().step_by(step).collect();
        let (tuned, tuned_on_training) = similar::tune(&shelved.index, &family, &train);
        let shipped = similar::Weights::HYBRID;
        let held = similar::evaluate_grid(
            &shelved.index,
            &family,
            &test,
            &[shipped, tuned, similar::Weights::TEXT_ONLY],
        );
        let distinct = |ds: &[usize]| {
            ds.iter()
                .map(|d| family[*d])
                .collect::<std::collections::BTreeSet<_>>()
                .len()
        };
        Ok(RecommenderReport {
            cases: family.len(),
            labelled,
            families: families
                .values()
                .collect::<std::collections::BTreeSet<_>>()
                .len(),
            held_out_families: distinct(&test),
            tuned,
            tuned_on_training,
            shipped,
            shipped_on_held_out: held[0],
            tuned_on_held_out: held[1],
            text_only_on_held_out: held[2],
            ceiling_on_held_out: similar::ceiling(&family, &test),
        })
    }
}

/// A case written in bulk (the demo's synthetic cases, or an import of cases already
/// reviewed elsewhere): its original, who uploaded it and when, and the stage to bring it to.
#[derive(Debug, Clone)]
pub struct BulkCase {
    pub org_id: OrgId,
    pub person_id: PersonId,
    pub input: CaseInput,
    /// `draft`, `submitted`, `returned`, `published` or `withdrawn` (a case aimed at
    /// `published` that k-anonymity holds back ends `held`).
    pub target: Stage,
    pub uploaded_at: Timestamp,
    /// The curator who published, returned or withdrew it.
    pub curator: Option<PersonId>,
    pub note: Option<String>,
}

/// What a bulk write did: cases by final stage, and the ids given to the cases, in the
/// order they were written.
#[derive(Debug, Clone, Default, Serialize)]
pub struct BulkReport {
    pub by_stage: BTreeMap<String, usize>,
    pub ids: Vec<String>,
}

/// A case of a bulk write waiting to be published.
struct Pending {
    id: String,
    org_id: OrgId,
    case: model::ValidCase,
    mechanism: Mechanism,
    root_causes: Vec<RootCause>,
    at: Timestamp,
    curator: Option<PersonId>,
    withdraw: Option<Option<String>>,
}

impl<'a> Cases<'a> {
    /// Writes `cases` in one transaction, through the same validation, sealing,
    /// desensitization and k-anonymity as the interactive flow: the cases aimed at
    /// publication are released together ([`publication::plan_release`]), those that cannot
    /// reach k stay held; cases to withdraw are published and withdrawn after them. Calls
    /// `progress(done, total)` as it goes. A case that does not validate stops the whole
    /// write (nothing is written), its position named in the error's fields.
    pub async fn bulk(
        &self,
        cases: Vec<BulkCase>,
        progress: &(dyn Fn(u64, u64) + Send + Sync),
    ) -> Result<BulkReport, CasesError> {
        let total = cases.len() as u64;
        let mut tx = self.db.begin().await?;
        let mut orgs_seen: BTreeMap<OrgId, (String, Option<String>)> = BTreeMap::new();
        let mut report = BulkReport::default();
        let mut pending: Vec<Pending> = Vec::new();
        for (n, case) in cases.into_iter().enumerate() {
            if let std::collections::btree_map::Entry::Vacant(slot) = orgs_seen.entry(case.org_id) {
                let org = orgs::load(&mut tx, case.org_id)
                    .await?
                    .ok_or(CasesError::NotFound)?;
                slot.insert((org.region_code, org.industry_code));
            }
            let (region, industry) = &orgs_seen[&case.org_id];
            let at = case.uploaded_at;
            let valid = case
                .input
                .validate(at.inner().date(), region, industry.as_deref())
                .map_err(|mut e| {
                    e.0.iter_mut()
                        .for_each(|f| f.field = format!("cases[{n}].{}", f.field));
                    CasesError::Fields(e)
                })?;
            let id = uuid::Uuid::now_v7().to_string();
            report.ids.push(id.clone());
            let (mechanism, root_causes) = self
                .write_original(&mut tx, &id, case.org_id, case.person_id, &valid, at)
                .await?;
            if case.target == Stage::Draft {
                *report.by_stage.entry("draft".into()).or_default() += 1;
                continue;
            }
            let confirmed_at = at.plus(time::Duration::days(1));
            store::set_stage(
                &mut tx,
                &id,
                1,
                Stage::Submitted,
                Some("{}"),
                None,
                None,
                confirmed_at,
            )
            .await?;
            store::event(
                &mut tx,
                &id,
                Some(case.person_id),
                "confirmed",
                None,
                confirmed_at,
            )
            .await?;
            let curated_at = at.plus(time::Duration::days(5));
            match case.target {
                Stage::Returned => {
                    let curator = case.curator.map(|c| (c, case.note.as_deref()));
                    store::set_stage(
                        &mut tx,
                        &id,
                        2,
                        Stage::Returned,
                        None,
                        None,
                        curator,
                        curated_at,
                    )
                    .await?;
                    store::event(
                        &mut tx,
                        &id,
                        case.curator,
                        "returned",
                        case.note.as_deref(),
                        curated_at,
                    )
                    .await?;
                    *report.by_stage.entry("returned".into()).or_default() += 1;
                }
                Stage::Published | Stage::Held | Stage::Withdrawn => {
                    store::set_stage(
                        &mut tx,
                        &id,
                        2,
                        Stage::Held,
                        None,
                        None,
                        case.curator.map(|c| (c, None)),
                        curated_at,
                    )
                    .await?;
                    store::event(&mut tx, &id, case.curator, "approved", None, curated_at).await?;
                    pending.push(Pending {
                        id,
                        org_id: case.org_id,
                        case: valid,
                        mechanism,
                        root_causes,
                        at: curated_at,
                        curator: case.curator,
                        withdraw: (case.target == Stage::Withdrawn).then(|| case.note.clone()),
                    });
                }
                _ => {
                    *report.by_stage.entry("submitted".into()).or_default() += 1;
                }
            }
            if n % 100 == 0 {
                progress(n as u64, total);
            }
        }
        // Release the cases to publish together; then publish and withdraw the others.
        let (release, withdraw): (Vec<Pending>, Vec<Pending>) =
            pending.into_iter().partition(|p| p.withdraw.is_none());
        let candidates: Vec<QuasiIdentifiers> = release
            .iter()
            .map(|p| publication::quasi_identifiers(&p.case))
            .collect();
        let published = store::published_classes(&mut tx).await?;
        let plan =
            publication::plan_release(&published, &candidates, self.config.k).map_err(corrupt)?;
        let mut anchors: Vec<(String, serde_json::Value)> = Vec::new();
        for (p, outcome) in release.iter().zip(plan) {
            let stage = match outcome {
                Some(o) => {
                    let body = self.bulk_publish(&mut tx, p, Some(o)).await?;
                    anchors.push((p.id.clone(), serde_json::to_value(&body).map_err(corrupt)?));
                    Stage::Published
                }
                None => Stage::Held,
            };
            *report.by_stage.entry(stage.as_str().into()).or_default() += 1;
        }
        let published = store::published_classes(&mut tx).await?;
        for p in &withdraw {
            let (engine, key) = self.privacy.for_document(self.db, &p.id).await?;
            let prepared = publication::prepare(
                &engine,
                &key,
                &p.case,
                p.mechanism,
                &p.root_causes,
                &published,
                self.config.k,
                None,
            )
            .map_err(corrupt)?;
            if !publication::publishable(&prepared) {
                *report.by_stage.entry("held".into()).or_default() += 1;
                continue;
            }
            let mut body = self.bulk_publish(&mut tx, p, Some(prepared.kanon)).await?;
            anchors.push((p.id.clone(), serde_json::to_value(&body).map_err(corrupt)?));
            let withdrawn_at = p.at.plus(time::Duration::days(30));
            body.withdrawn_at = Some(withdrawn_at);
            let value = serde_json::to_value(&body).map_err(corrupt)?;
            store::withdraw(&mut tx, &p.id, &value.to_string(), withdrawn_at).await?;
            anchors.push((p.id.clone(), value));
            let note = p.withdraw.clone().flatten();
            store::set_stage(
                &mut tx,
                &p.id,
                4,
                Stage::Withdrawn,
                None,
                None,
                p.curator.map(|c| (c, note.as_deref())),
                withdrawn_at,
            )
            .await?;
            store::event(
                &mut tx,
                &p.id,
                p.curator,
                "withdrawn",
                note.as_deref(),
                withdrawn_at,
            )
            .await?;
            *report.by_stage.entry("withdrawn".into()).or_default() += 1;
        }
        let records: Vec<Anchor<'_>> = anchors
            .into_iter()
            .map(|(id, record)| Anchor {
                record_type: LEDGER_TYPE,
                record_id: id,
                record,
            })
            .collect();
        ledger::anchor(&mut tx, self.now(), &records).await?;
        tx.commit().await?;
        progress(total, total);
        Ok(report)
    }

    /// Publishes one held case of a bulk write under `decided` (revision 3 after upload,
    /// confirmation and approval). Returns the body to anchor.
    async fn bulk_publish(
        &self,
        tx: &mut sqlx::AnyConnection,
        p: &Pending,
        decided: Option<KAnonOutcome>,
    ) -> Result<Body, CasesError> {
        let (engine, key) = self.privacy.for_document(self.db, &p.id).await?;
        let prepared = publication::prepare(
            &engine,
            &key,
            &p.case,
            p.mechanism,
            &p.root_causes,
            &[],
            self.config.k,
            decided,
        )
        .map_err(corrupt)?;
        let tuple = prepared.kanon.tuple.clone();
        let body = Body {
            id: p.id.clone(),
            contributor: p.org_id,
            published_at: p.at,
            withdrawn_at: None,
            case: prepared.published,
            receipt: prepared.receipt,
        };
        let value = serde_json::to_value(&body).map_err(corrupt)?;
        store::publish(
            tx,
            &store::NewPublication {
                case_id: &p.id,
                org_id: p.org_id,
                tuple: &tuple,
                mechanism: p.mechanism.as_str(),
                title: &title_of(&body.case),
                body: &value.to_string(),
                now: p.at,
            },
        )
        .await?;
        store::set_stage(tx, &p.id, 3, Stage::Published, None, None, None, p.at).await?;
        store::event(tx, &p.id, p.curator, "published", None, p.at).await?;
        ticorr_platform::search::changed(tx, RECORD_KIND, &p.id, p.at).await?;
        Ok(body)
    }
}
