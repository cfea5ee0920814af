//! The risk engine as the platform serves it: the rule file, the physical limits of its
//! inputs, its Chinese wording and the consequence scheme, embedded in the binary and checked once. A server
//! refuses to start when any of them is invalid ([`load`] in the start-up path).

use std::sync::LazyLock;

use ticorr_risk::{ConsequenceScheme, RuleSet};

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
