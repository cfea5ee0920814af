//! `POST /api/v1/risk/assess`: the risk engine for anyone signed in.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use ticorr_kernel::FieldErrors;
use ticorr_risk::{Assessment, Cof, Consequence, InputError};

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

fn invalid(field: &str, e: InputError) -> ApiError {
    let mut f = FieldErrors::new();
    f.add(field, "invalid", e.message);
    ApiError::Invalid(f)
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
    let inputs = risk
        .rules
        .read_inputs(&req.inputs)
        .map_err(|e| invalid(&format!("inputs.{}", e.field), e))?;
    let given = match req.consequence_category.as_deref() {
        None => None,
        Some(c) => Some(Cof::parse(c).ok_or_else(|| {
            invalid(
                "consequence_category",
                InputError {
                    field: "consequence_category".into(),
                    message: format!("{c:?} is not one of A, B, C, D, E"),
                },
            )
        })?),
    };
    let c = req.consequence.unwrap_or_default();
    let consequence_inputs = risk
        .consequence
        .read(
            c.medium_hazard.as_deref(),
            c.people_nearby.as_deref(),
            c.failure_cost_usd.as_ref(),
        )
        .map_err(|e| invalid(&format!("consequence.{}", e.field), e))?;
    let consequence = risk
        .consequence
        .category(given, &consequence_inputs)
        .ok_or_else(|| {
            invalid(
                "consequence_category",
                InputError {
                    field: "consequence_category".into(),
                    message: "give the category (A to E), or the consequence: medium_hazard and people_nearby, or failure_cost_usd".into(),
                },
            )
        })?;
    let assessment = risk.rules.assess(&inputs, consequence.category);
    Ok(Json(AssessResponse {
        assessment,
        consequence,
    }))
}
