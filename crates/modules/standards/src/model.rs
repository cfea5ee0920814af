//! What a standard, a version and a clause are.

use serde::{Deserialize, Serialize};
use ticorr_kernel::{Level, OrgId, Timestamp};

use crate::applies::Applies;

ticorr_kernel::text_enum! {
    /// Where a standard comes from.
    pub enum Origin {
        /// A unified industry standard issued through the platform.
        Platform = "platform",
        /// An enterprise's internal specification.
        Enterprise = "enterprise",
        /// A park's management guideline.
        Park = "park",
        /// A technical agreement along an industrial chain.
        ChainAgreement = "chain_agreement",
    }
}

ticorr_kernel::text_enum! {
    /// A clause's force.
    pub enum ClauseKind {
        /// A bottom line: must be met.
        Mandatory = "mandatory",
        /// An optimisation: should be met.
        Recommended = "recommended",
    }
}

ticorr_kernel::text_enum! {
    /// Where a version stands in the lifecycle.
    pub enum Stage {
        Draft = "draft",
        FormalCheck = "formal_check",
        ExpertReview = "expert_review",
        Consultation = "consultation",
        Approved = "approved",
        Released = "released",
        Superseded = "superseded",
    }
}

/// A machine-checkable limit of a clause, e.g. `temperature_c <= 70`, checked where the
/// clause applies.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Limit {
    /// A risk-model input name (`temperature_c`, `chloride_mg_l`, `cp_potential_v_sce` …).
    pub parameter: String,
    /// `<`, `<=`, `>` or `>=`.
    pub op: String,
    pub value: f64,
    /// The unit as people read it.
    pub unit: String,
}

impl Limit {
    pub const OPS: [&str; 4] = ["<", "<=", ">", ">="];

    /// Whether a value keeps the limit.
    pub fn holds(&self, v: f64) -> bool {
        match self.op.as_str() {
            "<" => v < self.value,
            "<=" => v <= self.value,
            ">" => v > self.value,
            _ => v >= self.value,
        }
    }

    /// `temperature_c ≤ 70 °C`.
    pub fn text(&self) -> String {
        let op = match self.op.as_str() {
            "<=" => "≤",
            ">=" => "≥",
            other => other,
        };
        format!("{} {op} {} {}", self.parameter, self.value, self.unit)
            .trim_end()
            .to_owned()
    }
}

/// A standard, without its clauses.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Standard {
    pub id: String,
    /// E.g. `T/TICORR 001-2026`.
    pub code: String,
    pub origin: Origin,
    pub owner_org_id: OrgId,
    pub owner_name: String,
    pub level: Level,
    pub park_id: Option<OrgId>,
    pub title_en: String,
    pub title_zh: String,
    pub scope_en: String,
    pub scope_zh: String,
    pub topic: String,
    /// External standards referred to, by catalogue id (`refdata/standards_catalogue.json`).
    pub references: Vec<String>,
    pub review_interval_months: i64,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// A version of a standard.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Version {
    pub id: String,
    pub version: String,
    pub stage: Stage,
    pub released_at: Option<Timestamp>,
    /// `YYYY-MM-DD`.
    pub effective_on: Option<String>,
    /// `YYYY-MM-DD`: when the standard is due for its periodic review.
    pub review_due_on: Option<String>,
    /// SHA-256 of the released clauses, as anchored in the ledger.
    pub content_sha256: Option<String>,
}

/// A standard with its versions, newest first.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct StandardView {
    #[serde(flatten)]
    pub standard: Standard,
    pub versions: Vec<Version>,
}

/// A numbered clause of a version.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Clause {
    pub id: String,
    pub number: String,
    pub kind: ClauseKind,
    pub text_en: String,
    pub text_zh: String,
    pub rationale_en: String,
    pub rationale_zh: String,
    /// The risk grades it applies to, `I` to `IV`.
    pub risk_grades: Vec<String>,
    pub applies: Applies,
    /// External standards referred to, by catalogue id.
    pub references: Vec<String>,
    /// Where its content comes from (the platform's reference notes and rule file).
    pub sources: Vec<String>,
    /// The platform's own convention, not a figure from the references.
    pub convention: bool,
    /// Built on a rule the references mark unverified.
    pub unverified: bool,
    pub limit: Option<Limit>,
}

/// A clause as written in a data file or a draft, before it gets an id.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ClauseInput {
    pub number: String,
    pub kind: ClauseKind,
    pub text_en: String,
    pub text_zh: String,
    #[serde(default)]
    pub rationale_en: String,
    #[serde(default)]
    pub rationale_zh: String,
    pub risk_grades: Vec<String>,
    #[serde(default)]
    pub applies: Applies,
    #[serde(default)]
    pub references: Vec<String>,
    #[serde(default)]
    pub source: Vec<String>,
    #[serde(default)]
    pub convention: bool,
    #[serde(default)]
    pub unverified: bool,
    #[serde(default)]
    pub limit: Option<Limit>,
}

/// A standard as written in a data file, with the clauses of its first version.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StandardInput {
    pub code: String,
    pub origin: Origin,
    pub title_en: String,
    pub title_zh: String,
    pub scope_en: String,
    pub scope_zh: String,
    pub topic: String,
    #[serde(default)]
    pub references: Vec<String>,
    pub review_interval_months: i64,
    pub clauses: Vec<ClauseInput>,
}

impl From<Clause> for ClauseInput {
    fn from(c: Clause) -> Self {
        ClauseInput {
            number: c.number,
            kind: c.kind,
            text_en: c.text_en,
            text_zh: c.text_zh,
            rationale_en: c.rationale_en,
            rationale_zh: c.rationale_zh,
            risk_grades: c.risk_grades,
            applies: c.applies,
            references: c.references,
            source: c.sources,
            convention: c.convention,
            unverified: c.unverified,
            limit: c.limit,
        }
    }
}
