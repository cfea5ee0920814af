//! The consequence category of a failure, A to E, from what a plant engineer can say about
//! it: `refdata/risk_consequence.json` (a project convention for the safety side) and the
//! financial bands the rule file carries (API RP 581 Part 5 Table 5.4, exchanger bundles).

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value as Json;
use sha2::{Digest as _, Sha256};

use crate::inputs::InputError;
use crate::ruleset::{Cof, FinancialBands, RuleSet, RuleSetError};

/// A choice offered to the user, with its words in both languages.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Choice {
    pub id: String,
    pub en: String,
    pub zh: String,
}

/// The scheme, loaded and checked.
#[derive(Debug, Clone, PartialEq)]
pub struct ConsequenceScheme {
    pub version: String,
    pub sha256: String,
    /// How the category is derived, for the page that explains it.
    pub basis: String,
    pub medium_hazard: Vec<Choice>,
    pub people_nearby: Vec<Choice>,
    /// (hazard, people) → letter.
    safety: BTreeMap<(String, String), Cof>,
    /// The financial bands, with where they come from and how far they were verified.
    pub financial: FinancialBands,
}

/// What the user said about the consequences of a failure.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ConsequenceInputs {
    pub medium_hazard: Option<String>,
    pub people_nearby: Option<String>,
    /// Estimated cost of one failure: repair or replacement and lost production, in USD.
    pub failure_cost_usd: Option<f64>,
}

/// The category and how it was reached.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Consequence {
    pub category: Cof,
    /// The letter from the medium's hazard and the people nearby (project convention).
    pub safety: Option<Cof>,
    /// The letter from the failure's cost (API 581 Part 5 Table 5.4 bands).
    pub financial: Option<Cof>,
    /// `given` when the caller named the category, else `derived`.
    #[schema(value_type = String)]
    pub basis: &'static str,
}

impl ConsequenceScheme {
    /// Reads the scheme; the financial bands come from the rule set.
    pub fn load(bytes: &[u8], rules: &RuleSet) -> Result<ConsequenceScheme, RuleSetError> {
        let doc: Json =
            serde_json::from_slice(bytes).map_err(|e| RuleSetError::Json(e.to_string()))?;
        let mut problems = Vec::new();
        let choices = |key: &str, problems: &mut Vec<String>| -> Vec<Choice> {
            let list: Vec<Choice> = crate::ruleset::items(&doc, key)
                .filter_map(|c| {
                    Some(Choice {
                        id: c.get("id")?.as_str()?.to_owned(),
                        en: c.get("en")?.as_str()?.to_owned(),
                        zh: c.get("zh")?.as_str()?.to_owned(),
                    })
                })
                .collect();
            if list.is_empty() {
                problems.push(format!("{key}: a list of choices with id, en and zh"));
            }
            list
        };
        let medium_hazard = choices("medium_hazard", &mut problems);
        let people_nearby = choices("people_nearby", &mut problems);
        let mut safety = BTreeMap::new();
        for h in &medium_hazard {
            for p in &people_nearby {
                let letter = doc
                    .pointer(&format!("/safety_category/{}/{}", h.id, p.id))
                    .and_then(Json::as_str)
                    .and_then(Cof::parse);
                match letter {
                    Some(c) => {
                        safety.insert((h.id.clone(), p.id.clone()), c);
                    }
                    None => {
                        problems.push(format!("safety_category.{}.{}: a letter A-E", h.id, p.id))
                    }
                }
            }
        }
        let bands = rules.financial.clone();
        if bands.is_none() {
            problems.push(
                "risk_model.json consequence_of_failure.exchanger_bundle_financial: bands A-E in USD"
                    .into(),
            );
        }
        if !problems.is_empty() {
            return Err(RuleSetError::Invalid(problems));
        }
        let financial = bands.unwrap_or_default();
        Ok(ConsequenceScheme {
            version: doc
                .get("version")
                .and_then(Json::as_str)
                .unwrap_or_default()
                .to_owned(),
            sha256: hex::encode(Sha256::digest(bytes)),
            basis: doc
                .get("basis")
                .and_then(Json::as_str)
                .unwrap_or_default()
                .to_owned(),
            medium_hazard,
            people_nearby,
            safety,
            financial,
        })
    }

    /// The letter of a failure cost.
    pub fn financial(&self, usd: f64) -> Cof {
        self.financial
            .bands
            .iter()
            .find(|(_, max)| max.is_none_or(|m| usd <= m))
            .map_or(Cof::E, |(c, _)| *c)
    }

    /// Checks the consequence inputs of a request (names and values).
    pub fn read(
        &self,
        hazard: Option<&str>,
        people: Option<&str>,
        cost: Option<&Json>,
    ) -> Result<ConsequenceInputs, InputError> {
        let pick = |field: &str, v: Option<&str>, list: &[Choice]| match v {
            None => Ok(None),
            Some(v) if list.iter().any(|c| c.id == v) => Ok(Some(v.to_owned())),
            Some(v) => Err(InputError {
                field: field.to_owned(),
                message: format!(
                    "{v:?} is not one of {}",
                    list.iter()
                        .map(|c| c.id.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            }),
        };
        let failure_cost_usd = match cost {
            None | Some(Json::Null) => None,
            Some(v) => Some(
                v.as_f64()
                    .filter(|x| x.is_finite() && *x >= 0.0)
                    .ok_or_else(|| InputError {
                        field: "failure_cost_usd".into(),
                        message: "must be a number of US dollars, 0 or more".into(),
                    })?,
            ),
        };
        Ok(ConsequenceInputs {
            medium_hazard: pick("medium_hazard", hazard, &self.medium_hazard)?,
            people_nearby: pick("people_nearby", people, &self.people_nearby)?,
            failure_cost_usd,
        })
    }

    /// The category: `given` when named, else the more severe of the safety letter (both
    /// hazard and people needed) and the financial letter; `None` when neither can be made.
    pub fn category(&self, given: Option<Cof>, c: &ConsequenceInputs) -> Option<Consequence> {
        if let Some(category) = given {
            return Some(Consequence {
                category,
                safety: None,
                financial: None,
                basis: "given",
            });
        }
        let safety = match (&c.medium_hazard, &c.people_nearby) {
            (Some(h), Some(p)) => self.safety.get(&(h.clone(), p.clone())).copied(),
            _ => None,
        };
        let financial = c.failure_cost_usd.map(|usd| self.financial(usd));
        let category = safety.max(financial)?;
        Some(Consequence {
            category,
            safety,
            financial,
            basis: "derived",
        })
    }
}
