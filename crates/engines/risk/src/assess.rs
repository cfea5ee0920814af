//! An assessment: every mechanism evaluated as the rule file's semantics say, the worst one
//! giving the probability category, the consequence category given, and the matrix giving
//! the grade.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value as Json};

use crate::condition::Truth;
use crate::inputs::{InputError, Inputs, Value};
use crate::ruleset::{Cof, Mechanism, Provenance, RuleSet, Susceptibility};

/// The four risk grades, lowest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, utoipa::ToSchema)]
pub enum RiskGrade {
    I,
    II,
    III,
    IV,
}

impl RiskGrade {
    pub const ALL: [RiskGrade; 4] = [RiskGrade::I, RiskGrade::II, RiskGrade::III, RiskGrade::IV];

    /// `low`, `medium`, `medium-high`, `high`.
    pub fn level(self) -> &'static str {
        match self {
            RiskGrade::I => "low",
            RiskGrade::II => "medium",
            RiskGrade::III => "medium-high",
            RiskGrade::IV => "high",
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            RiskGrade::I => "I",
            RiskGrade::II => "II",
            RiskGrade::III => "III",
            RiskGrade::IV => "IV",
        }
    }

    pub fn parse(s: &str) -> Option<RiskGrade> {
        RiskGrade::ALL.into_iter().find(|g| g.as_str() == s)
    }
}

/// A rule or adjustment that applied, with where it comes from.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Fired {
    pub id: String,
    /// The susceptibility a rule proposed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub susceptibility: Option<Susceptibility>,
    /// The step an adjustment made (+1 aggravates, negative for a resistant grade).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delta: Option<i32>,
    #[serde(flatten)]
    pub provenance: Provenance,
}

/// One mechanism's result.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct MechanismResult {
    pub id: String,
    pub name: String,
    pub name_zh: String,
    pub susceptibility: Susceptibility,
    /// An input a rule or an adjustment needed was missing: the result may be too low.
    pub incomplete: bool,
    /// The inputs that were missing where they mattered.
    pub missing: Vec<String>,
    /// The rules whose conditions held.
    pub rules: Vec<Fired>,
    /// The adjustments applied, in order.
    pub adjustments: Vec<Fired>,
    /// Every source cited by what fired.
    pub sources: Vec<String>,
    pub mitigations: Vec<String>,
    pub mitigations_zh: Vec<String>,
    pub inspection: Vec<String>,
    pub inspection_zh: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct RuleSetRef {
    pub version: String,
    pub sha256: String,
}

/// An assessment of one set of conditions.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Assessment {
    /// `low`, `medium`, `medium-high` or `high`.
    #[schema(value_type = String)]
    pub risk_level: &'static str,
    pub risk_grade: RiskGrade,
    pub pof_category: u8,
    pub cof_category: Cof,
    /// Every mechanism, worst first.
    pub mechanisms: Vec<MechanismResult>,
    /// Whether any mechanism is incomplete.
    pub incomplete: bool,
    pub rule_set: RuleSetRef,
}

impl RuleSet {
    /// Reads the inputs of a request: every name must be a declared input and every value
    /// fit it; `null` counts as not given.
    pub fn read_inputs(&self, given: &Map<String, Json>) -> Result<Inputs, InputError> {
        let mut inputs = Inputs::new();
        for (name, v) in given {
            let spec = self.input(name).ok_or_else(|| InputError {
                field: name.clone(),
                message: "is not an input of the risk model".into(),
            })?;
            if let Some(value) = spec.read(v)? {
                inputs.set(name.clone(), value);
            }
        }
        Ok(inputs)
    }

    /// The inputs with the derived ones added.
    fn derive(&self, inputs: &Inputs) -> Inputs {
        let mut all = inputs.clone();
        if let Some(Value::Text(g)) = inputs.get("grade")
            && let Some(family) = self.family_of(g)
        {
            all.set("grade_family", Value::Text(family.to_owned()));
        }
        if let (Some(curve), Some(Value::Number(water)), Some(Value::Number(t))) = (
            &self.water_curve,
            inputs.get("water_in_chlorine_wt_pct"),
            inputs.get("temperature_c"),
        ) {
            all.set(
                "chlorine_water_margin_wt_pct",
                Value::Number(water - curve.at(*t)),
            );
        }
        all
    }

    /// Evaluates one mechanism on inputs that already carry the derived ones.
    fn evaluate(&self, m: &Mechanism, inputs: &Inputs) -> MechanismResult {
        let mut missing = BTreeSet::new();
        let mut fired = Vec::new();
        let mut winner = Susceptibility::None;
        for r in &m.rules {
            match r.when.eval(inputs) {
                Truth::True => {
                    winner = winner.max(r.susceptibility);
                    fired.push(Fired {
                        id: r.id.clone(),
                        susceptibility: Some(r.susceptibility),
                        delta: None,
                        provenance: r.provenance.clone(),
                    });
                }
                Truth::Unknown(m) => missing.extend(m),
                Truth::False => {}
            }
        }
        // Above none, the adjustments apply in order, clamped to none..high unless the
        // winning rule itself said very_high.
        let mut adjustments = Vec::new();
        let mut rank = winner.rank();
        if winner > Susceptibility::None {
            let ceiling = if winner == Susceptibility::VeryHigh {
                Susceptibility::VeryHigh.rank()
            } else {
                Susceptibility::High.rank()
            };
            for a in &m.adjust {
                match a.when.eval(inputs) {
                    Truth::True => {
                        rank = (rank + a.delta).clamp(0, ceiling);
                        adjustments.push(Fired {
                            id: a.id.clone(),
                            susceptibility: None,
                            delta: Some(a.delta),
                            provenance: a.provenance.clone(),
                        });
                    }
                    Truth::Unknown(m) => missing.extend(m),
                    Truth::False => {}
                }
            }
        }
        let mut sources: Vec<String> = Vec::new();
        for f in fired.iter().chain(&adjustments) {
            for s in &f.provenance.sources {
                if !sources.contains(s) {
                    sources.push(s.clone());
                }
            }
        }
        MechanismResult {
            id: m.id.clone(),
            name: m.name.clone(),
            name_zh: m.name_zh.clone(),
            susceptibility: Susceptibility::from_rank(rank),
            incomplete: !missing.is_empty(),
            missing: missing.into_iter().collect(),
            rules: fired,
            adjustments,
            sources,
            mitigations: m.mitigation.clone(),
            mitigations_zh: m.mitigation_zh.clone(),
            inspection: m.inspection.clone(),
            inspection_zh: m.inspection_zh.clone(),
        }
    }

    /// The probability side of an assessment: every mechanism, worst first, and the
    /// probability category of the worst. Enough when the consequence is not known yet.
    pub fn probability(&self, inputs: &Inputs) -> Probability {
        let all = self.derive(inputs);
        let mut mechanisms: Vec<MechanismResult> = self
            .mechanisms
            .iter()
            .map(|m| self.evaluate(m, &all))
            .collect();
        // Worst first; the file's order among equals.
        mechanisms.sort_by_key(|m| std::cmp::Reverse(m.susceptibility));
        let worst = mechanisms
            .first()
            .map_or(Susceptibility::None, |m| m.susceptibility);
        Probability {
            pof_category: self.pof_of[&worst],
            incomplete: mechanisms.iter().any(|m| m.incomplete),
            mechanisms,
            rule_set: RuleSetRef {
                version: self.version.clone(),
                sha256: self.sha256.clone(),
            },
        }
    }

    /// The grade the matrix gives a probability and a consequence category.
    pub fn grade(&self, pof_category: u8, cof: Cof) -> RiskGrade {
        RiskGrade::ALL[self.matrix[&(pof_category, cof)]]
    }

    /// Assesses `inputs` with the consequence category `cof`.
    pub fn assess(&self, inputs: &Inputs, cof: Cof) -> Assessment {
        self.probability(inputs).graded(self, cof)
    }
}

/// The probability side of an assessment.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Probability {
    pub pof_category: u8,
    /// Every mechanism, worst first.
    pub mechanisms: Vec<MechanismResult>,
    /// Whether any mechanism is incomplete.
    pub incomplete: bool,
    pub rule_set: RuleSetRef,
}

impl Probability {
    /// The assessment with the consequence category `cof`.
    pub fn graded(self, rules: &RuleSet, cof: Cof) -> Assessment {
        let grade = rules.grade(self.pof_category, cof);
        Assessment {
            risk_level: grade.level(),
            risk_grade: grade,
            pof_category: self.pof_category,
            cof_category: cof,
            mechanisms: self.mechanisms,
            incomplete: self.incomplete,
            rule_set: self.rule_set,
        }
    }
}
