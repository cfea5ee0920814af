//! `POST /api/v1/risk/assess`: the risk engine for anyone signed in.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use ticorr_kernel::FieldErrors;
use ticorr_platform::risk::ConsequenceAnswers;
use ticorr_risk::{Assessment, Consequence};

use crate::auth::ApiPerson;
use crate::error::{ApiError, Problem};
use crate::extract::Json;

/// What the consequences of a failure would be, when the category is not given.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConsequenceRequest {
    /// `non_hazardous`, `hazardous`, `flammable` or `toxic`.
    pub medium_hazard: Option<String>,
    /// `rarely`, `occasionally` or `continuously`.
    pub people_nearby: Option<String>,
    /// Estimated cost of one failure (repair or replacement and lost production), USD.
    #[schema(value_type = Option<f64>)]
    pub failure_cost_usd: Option<Value>,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssessRequest {
    /// The conditions, by the names of the risk model's inputs (`grade`, `temperature_c`,
    /// `ph`, `chloride_mg_l`, `crevice_present`, `galvanic_partner` …; see
    /// `refdata/risk_model.json`). An input left out, or `null`, is unknown: mechanisms
    /// that need it are reported incomplete.
    #[schema(value_type = Object)]
    pub inputs: Map<String, Value>,
    /// `A` (lowest) to `E`; when absent it is derived from `consequence`.
    pub consequence_category: Option<String>,
    pub consequence: Option<ConsequenceRequest>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AssessResponse {
    #[serde(flatten)]
    pub assessment: Assessment,
    /// How the consequence category was reached.
    pub consequence: Consequence,
}

/// Assesses a set of conditions: every titanium damage mechanism of the rule file, the
/// probability category from the worst one, the consequence category given or derived, and
/// the grade from the matrix, with the rules that fired, their sources, what would lower
/// the risk and how to inspect for it. Unknown inputs and impossible values answer 422
/// naming the field.
#[utoipa::path(
    post,
    path = "/api/v1/risk/assess",
    tag = "risk",
    operation_id = "assess_risk",
    request_body = AssessRequest,
    responses(
        (status = 200, body = AssessResponse),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []), ("session_cookie" = []))
)]
pub async fn assess(
    ApiPerson(_caller, _): ApiPerson,
    Json(req): Json<AssessRequest>,
) -> Result<Json<AssessResponse>, ApiError> {
    let risk = ticorr_platform::risk::load().map_err(ApiError::internal)?;
    let c = req.consequence.unwrap_or_default();
    let answers = ConsequenceAnswers {
        category: req.consequence_category.as_deref(),
        medium_hazard: c.medium_hazard.as_deref(),
        people_nearby: c.people_nearby.as_deref(),
        failure_cost_usd: c.failure_cost_usd.as_ref(),
    };
    let (assessment, consequence) = risk.assess_request(&req.inputs, answers).map_err(|e| {
        let mut f = FieldErrors::new();
        f.add(&e.field, "invalid", e.message);
        ApiError::Invalid(f)
    })?;
    Ok(Json(AssessResponse {
        assessment,
        consequence,
    }))
}
