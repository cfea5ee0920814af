//! The risk engine as the platform serves it: the rule file, the physical limits of its
//! inputs, its Chinese wording and the consequence scheme, embedded in the binary and checked once. A server
//! refuses to start when any of them is invalid ([`load`] in the start-up path).

use std::sync::LazyLock;

use serde::Serialize;
use serde_json::{Map, Value as Json};
use ticorr_risk::{
    Assessment, Cof, Consequence, ConsequenceScheme, InputError, Probability, RiskGrade, RuleSet,
};

const RULES: &[u8] = include_bytes!("../../../refdata/risk_model.json");
const BOUNDS: &[u8] = include_bytes!("../../../refdata/risk_inputs.json");
const CONSEQUENCE: &[u8] = include_bytes!("../../../refdata/risk_consequence.json");
const CHINESE: &[u8] = include_bytes!("../../../refdata/risk_model_zh.json");

/// The loaded rule set and consequence scheme.
#[derive(Debug)]
pub struct Risk {
    pub rules: RuleSet,
    pub consequence: ConsequenceScheme,
}

static RISK: LazyLock<Result<Risk, String>> = LazyLock::new(|| {
    let rules = RuleSet::load(RULES)
        .and_then(|r| r.with_bounds(BOUNDS))
        .and_then(|r| r.with_chinese(CHINESE))
        .map_err(|e| {
            format!("refdata/risk_model.json with risk_inputs.json and risk_model_zh.json: {e}")
        })?;
    let consequence = ConsequenceScheme::load(CONSEQUENCE, &rules)
        .map_err(|e| format!("refdata/risk_consequence.json: {e}"))?;
    Ok(Risk { rules, consequence })
});

/// The risk engine, or why its files are invalid.
pub fn load() -> Result<&'static Risk, String> {
    RISK.as_ref().map_err(Clone::clone)
}

/// What a caller says about the consequences of a failure, unchecked.
#[derive(Debug, Default, Clone, Copy)]
pub struct ConsequenceAnswers<'a> {
    pub category: Option<&'a str>,
    pub medium_hazard: Option<&'a str>,
    pub people_nearby: Option<&'a str>,
    pub failure_cost_usd: Option<&'a Json>,
}

impl Risk {
    /// Checks a request and assesses it, as the API and the self-check page both do. An
    /// error names the field: `inputs.<name>`, `consequence_category` or
    /// `consequence.<name>`.
    pub fn assess_request(
        &self,
        inputs: &Map<String, Json>,
        answers: ConsequenceAnswers<'_>,
    ) -> Result<(Assessment, Consequence), InputError> {
        let field = |prefix: &str, e: InputError| InputError {
            field: format!("{prefix}{}", e.field),
            message: e.message,
        };
        let inputs = self
            .rules
            .read_inputs(inputs)
            .map_err(|e| field("inputs.", e))?;
        let category_error = |message: String| InputError {
            field: "consequence_category".into(),
            message,
        };
        let given = answers
            .category
            .map(|c| {
                Cof::parse(c)
                    .ok_or_else(|| category_error(format!("{c:?} is not one of A, B, C, D, E")))
            })
            .transpose()?;
        let told = self
            .consequence
            .read(
                answers.medium_hazard,
                answers.people_nearby,
                answers.failure_cost_usd,
            )
            .map_err(|e| field("consequence.", e))?;
        let consequence = self.consequence.category(given, &told).ok_or_else(|| {
            category_error(
                "give the category (A to E), or the consequence: medium_hazard and people_nearby, or failure_cost_usd"
                    .into(),
            )
        })?;
        Ok((
            self.rules.assess(&inputs, consequence.category),
            consequence,
        ))
    }
}

/// The assessment of an equipment item: the probability side always, the grade once the
/// consequence of a failure is known.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct ItemAssessment {
    /// `null` while the consequence of a failure is not known.
    pub risk_grade: Option<RiskGrade>,
    /// `low`, `medium`, `medium-high` or `high`; `null` with the grade.
    #[schema(value_type = Option<String>)]
    pub risk_level: Option<&'static str>,
    pub cof_category: Option<Cof>,
    /// How the consequence category was reached.
    pub consequence: Option<Consequence>,
    #[serde(flatten)]
    pub probability: Probability,
}

impl Risk {
    /// Assesses stored conditions: like [`Risk::assess_request`], but an unknown
    /// consequence leaves the item ungraded instead of refusing.
    pub fn assess_item(
        &self,
        inputs: &Map<String, Json>,
        answers: ConsequenceAnswers<'_>,
    ) -> Result<ItemAssessment, InputError> {
        let inputs = self.rules.read_inputs(inputs)?;
        let given = answers.category.and_then(Cof::parse);
        let told = self.consequence.read(
            answers.medium_hazard,
            answers.people_nearby,
            answers.failure_cost_usd,
        )?;
        let consequence = self.consequence.category(given, &told);
        let probability = self.rules.probability(&inputs);
        let grade = consequence
            .as_ref()
            .map(|c| self.rules.grade(probability.pof_category, c.category));
        Ok(ItemAssessment {
            risk_grade: grade,
            risk_level: grade.map(RiskGrade::level),
            cof_category: consequence.as_ref().map(|c| c.category),
            consequence,
            probability,
        })
    }
}
