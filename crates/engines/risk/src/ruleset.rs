//! The rule file: read, checked and refused as a whole when anything in it is wrong, so a
//! server never assesses with a rule set it only half understood.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use serde_json::Value as Json;
use sha2::{Digest as _, Sha256};

use crate::condition::{Condition, Op};
use crate::inputs::{InputSpec, Kind};

/// The five susceptibility levels, lowest first.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Susceptibility {
    None,
    Low,
    Medium,
    High,
    VeryHigh,
}

impl Susceptibility {
    pub const ALL: [Susceptibility; 5] = [
        Susceptibility::None,
        Susceptibility::Low,
        Susceptibility::Medium,
        Susceptibility::High,
        Susceptibility::VeryHigh,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Susceptibility::None => "none",
            Susceptibility::Low => "low",
            Susceptibility::Medium => "medium",
            Susceptibility::High => "high",
            Susceptibility::VeryHigh => "very_high",
        }
    }

    pub fn parse(s: &str) -> Option<Susceptibility> {
        Susceptibility::ALL.into_iter().find(|x| x.as_str() == s)
    }

    pub fn rank(self) -> i32 {
        self as i32
    }

    pub fn from_rank(r: i32) -> Susceptibility {
        Susceptibility::ALL[r.clamp(0, 4) as usize]
    }
}

/// A consequence category, A (lowest) to E.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, utoipa::ToSchema)]
pub enum Cof {
    A,
    B,
    C,
    D,
    E,
}

impl Cof {
    pub const ALL: [Cof; 5] = [Cof::A, Cof::B, Cof::C, Cof::D, Cof::E];

    pub fn as_str(self) -> &'static str {
        match self {
            Cof::A => "A",
            Cof::B => "B",
            Cof::C => "C",
            Cof::D => "D",
            Cof::E => "E",
        }
    }

    pub fn parse(s: &str) -> Option<Cof> {
        Cof::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

/// Where a rule's claim comes from and how far it was checked.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Provenance {
    pub sources: Vec<String>,
    /// `verified`, `verified_secondary`, `unverified` or `project_convention`.
    pub verification: String,
    /// `project_convention` when the rule is the project's own translation of guidance.
    pub basis: Option<String>,
    pub note: Option<String>,
}

/// A rule proposing a susceptibility when its condition holds.
#[derive(Debug, Clone, PartialEq)]
pub struct Rule {
    pub id: String,
    pub when: Condition,
    pub susceptibility: Susceptibility,
    pub provenance: Provenance,
}

/// A step that raises (aggravators) or lowers (grade modifiers) a mechanism's result.
#[derive(Debug, Clone, PartialEq)]
pub struct Adjust {
    pub id: String,
    pub when: Condition,
    pub delta: i32,
    pub provenance: Provenance,
}

/// A damage mechanism and what the rule file says about it.
#[derive(Debug, Clone, PartialEq)]
pub struct Mechanism {
    pub id: String,
    pub name: String,
    pub rules: Vec<Rule>,
    pub adjust: Vec<Adjust>,
    pub mitigation: Vec<String>,
    pub inspection: Vec<String>,
    /// The same in Chinese, once [`RuleSet::with_chinese`] has added them.
    pub name_zh: String,
    pub mitigation_zh: Vec<String>,
    pub inspection_zh: Vec<String>,
}

/// The water content dry chlorine needs to keep titanium passive, by temperature.
#[derive(Debug, Clone, PartialEq)]
pub struct WaterCurve {
    /// (temperature °C, water wt %), by rising temperature.
    pub points: Vec<(f64, f64)>,
}

impl WaterCurve {
    /// Linear between the points, the end values held outside them (as the file says).
    pub fn at(&self, t: f64) -> f64 {
        let p = &self.points;
        if t <= p[0].0 {
            return p[0].1;
        }
        for w in p.windows(2) {
            let ((t0, w0), (t1, w1)) = (w[0], w[1]);
            if t <= t1 {
                return w0 + (w1 - w0) * (t - t0) / (t1 - t0);
            }
        }
        p[p.len() - 1].1
    }
}

/// A loaded, checked rule set.
#[derive(Debug, Clone, PartialEq)]
pub struct RuleSet {
    /// The file's `schema_version`.
    pub version: String,
    /// SHA-256 of the file's bytes, in hex: which exact rules produced a result.
    pub sha256: String,
    pub title: String,
    pub status: String,
    pub inputs: Vec<InputSpec>,
    pub mechanisms: Vec<Mechanism>,
    /// Grade family → ASTM grade numbers.
    pub grade_families: BTreeMap<String, Vec<String>>,
    /// POF category (1–5) of each susceptibility.
    pub pof_of: BTreeMap<Susceptibility, u8>,
    /// The general POF categories as yearly probabilities, lowest first, and how far the
    /// file verified them; what a learned probability is placed against.
    pub pof_bands: PofBands,
    /// The risk categories, lowest first (Low, Medium, Medium High, High).
    pub categories: Vec<String>,
    /// Index into `categories` of each (POF category, COF category) cell.
    pub matrix: BTreeMap<(u8, Cof), usize>,
    pub water_curve: Option<WaterCurve>,
    /// Source id → what it is.
    pub sources: BTreeMap<String, String>,
    /// The exchanger-bundle financial COF bands.
    pub financial: Option<FinancialBands>,
}

/// The general probability-of-failure categories by yearly probability.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PofBands {
    /// The upper bound (inclusive) of categories 1 to 4; category 5 is everything above.
    pub upper_per_year: [f64; 4],
    /// `verified` or `unverified`, as the file says.
    pub verification: String,
    /// Where the bands come from, as the file says.
    pub basis: String,
}

impl PofBands {
    /// The category (1–5) of a yearly probability.
    pub fn category(&self, per_year: f64) -> u8 {
        1 + self
            .upper_per_year
            .iter()
            .filter(|u| per_year > **u)
            .count() as u8
    }
}

/// Consequence categories by the cost of a failure.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct FinancialBands {
    /// (letter, upper bound in USD, inclusive; none for the last), lowest first.
    pub bands: Vec<(Cof, Option<f64>)>,
    pub basis: String,
    pub verification: String,
}

/// Derived inputs the engine computes, with what they are computed from.
pub const DERIVED: &[(&str, &[&str])] = &[
    (
        "chlorine_water_margin_wt_pct",
        &["water_in_chlorine_wt_pct", "temperature_c"],
    ),
    ("grade_family", &["grade"]),
];

#[derive(Debug, thiserror::Error)]
pub enum RuleSetError {
    #[error("the rule file is not JSON: {0}")]
    Json(String),
    #[error("the rule file is invalid:\n{}", .0.join("\n"))]
    Invalid(Vec<String>),
}

/// Collects problems while reading.
struct Check(Vec<String>);

impl Check {
    fn fail(&mut self, msg: impl Into<String>) {
        self.0.push(msg.into());
    }
}

fn str_at<'a>(v: &'a Json, key: &str) -> Option<&'a str> {
    v.get(key).and_then(Json::as_str)
}

/// The elements of the list under `key` (none when it is absent or not a list).
pub(crate) fn items<'a>(v: &'a Json, key: &str) -> impl Iterator<Item = &'a Json> {
    v.get(key).and_then(Json::as_array).into_iter().flatten()
}

fn strings(v: Option<&Json>) -> Vec<String> {
    match v {
        Some(Json::Array(a)) => a
            .iter()
            .filter_map(|x| x.as_str().map(str::to_owned))
            .collect(),
        Some(Json::String(s)) => vec![s.clone()],
        _ => Vec::new(),
    }
}

impl RuleSet {
    /// Reads and checks a rule file. Every problem found is reported, not just the first.
    pub fn load(bytes: &[u8]) -> Result<RuleSet, RuleSetError> {
        let doc: Json =
            serde_json::from_slice(bytes).map_err(|e| RuleSetError::Json(e.to_string()))?;
        let mut check = Check(Vec::new());
        let sha256 = hex::encode(Sha256::digest(bytes));
        let version = str_at(&doc, "schema_version")
            .unwrap_or_default()
            .to_owned();
        if version.is_empty() {
            check.fail("schema_version: missing");
        }

        let grade_families = read_families(&doc, &mut check);
        let grades: Vec<String> = grade_families.values().flatten().cloned().collect();
        let inputs = read_inputs(&doc, &grades, &mut check);
        let sources = doc
            .get("sources")
            .and_then(Json::as_object)
            .map(|m| {
                m.iter()
                    .map(|(k, v)| {
                        // A source is a citation, or an object with the citation as `doc`.
                        let doc = v.as_str().or_else(|| str_at(v, "doc")).unwrap_or_default();
                        (k.clone(), doc.to_owned())
                    })
                    .collect()
            })
            .unwrap_or_default();

        let mut known: BTreeMap<&str, &Kind> =
            inputs.iter().map(|i| (i.name.as_str(), &i.kind)).collect();
        const NUMBER: Kind = Kind::Number;
        const TEXT: Kind = Kind::Text;
        for d in items(&doc, "derived_inputs") {
            let name = str_at(d, "name").unwrap_or_default();
            match DERIVED.iter().find(|(n, _)| *n == name) {
                Some(("grade_family", _)) => {
                    known.insert("grade_family", &TEXT);
                }
                Some((n, _)) => {
                    known.insert(n, &NUMBER);
                }
                None => check.fail(format!(
                    "derived_inputs: the engine does not know how to compute `{name}`"
                )),
            }
        }

        let mut rule_ids = BTreeSet::new();
        let mut mechanisms = Vec::new();
        let mut water_curve = None;
        let mut mech_ids = BTreeSet::new();
        for (i, m) in items(&doc, "mechanisms").enumerate() {
            let id = str_at(m, "id").unwrap_or_default().to_owned();
            let at = format!(
                "mechanisms[{}]",
                if id.is_empty() {
                    i.to_string()
                } else {
                    id.clone()
                }
            );
            if id.is_empty() {
                check.fail(format!("{at}: missing id"));
            } else if !mech_ids.insert(id.clone()) {
                check.fail(format!("{at}: the id is used twice"));
            }
            for name in strings(m.get("inputs")) {
                if !known.contains_key(name.as_str()) {
                    check.fail(format!("{at}.inputs: `{name}` is not a declared input"));
                }
            }
            if let Some(curve) = m.get("required_water_wt_pct") {
                water_curve = read_curve(curve, &at, &mut check);
            }
            let mut rules = Vec::new();
            for (j, r) in items(m, "rules").enumerate() {
                let Some((rid, when, prov)) = read_step(
                    r,
                    &format!("{at}.rules[{j}]"),
                    &known,
                    &mut rule_ids,
                    &mut check,
                ) else {
                    continue;
                };
                match str_at(r, "susceptibility").and_then(Susceptibility::parse) {
                    Some(susceptibility) => rules.push(Rule {
                        id: rid,
                        when,
                        susceptibility,
                        provenance: prov,
                    }),
                    None => check.fail(format!(
                        "{at}.rules[{rid}]: susceptibility must be none, low, medium, high or very_high"
                    )),
                }
            }
            if rules.is_empty() {
                check.fail(format!("{at}: no rules"));
            }
            let mut adjust = Vec::new();
            for (j, a) in items(m, "adjust").enumerate() {
                let Some((aid, when, prov)) = read_step(
                    a,
                    &format!("{at}.adjust[{j}]"),
                    &known,
                    &mut rule_ids,
                    &mut check,
                ) else {
                    continue;
                };
                match a.get("delta").and_then(Json::as_i64) {
                    Some(d) if d != 0 && d.abs() <= 4 => adjust.push(Adjust {
                        id: aid,
                        when,
                        delta: d as i32,
                        provenance: prov,
                    }),
                    _ => check.fail(format!(
                        "{at}.adjust[{aid}]: delta must be a whole number from -4 to 4, not 0"
                    )),
                }
            }
            mechanisms.push(Mechanism {
                name: str_at(m, "name").unwrap_or(&id).to_owned(),
                id,
                rules,
                adjust,
                mitigation: strings(m.get("mitigation")),
                inspection: strings(m.get("inspection")),
                name_zh: String::new(),
                mitigation_zh: Vec::new(),
                inspection_zh: Vec::new(),
            });
        }
        if mechanisms.is_empty() {
            check.fail("mechanisms: none declared");
        }
        if known.contains_key("chlorine_water_margin_wt_pct") && water_curve.is_none() {
            check.fail(
                "derived_inputs: chlorine_water_margin_wt_pct needs a mechanism's required_water_wt_pct",
            );
        }

        let pof_of = read_pof_map(&doc, &mut check);
        let pof_bands = read_pof_bands(&doc, &mut check);
        let categories = strings(doc.pointer("/risk_categories/values"));
        if categories.len() != 4 {
            check.fail("risk_categories.values: four categories, lowest first");
        }
        let matrix = read_matrix(&doc, &categories, &mut check);

        let financial = read_financial(&doc, &mut check);

        if !check.0.is_empty() {
            return Err(RuleSetError::Invalid(check.0));
        }
        Ok(RuleSet {
            financial,
            version,
            sha256,
            title: str_at(&doc, "title").unwrap_or_default().to_owned(),
            status: str_at(&doc, "status").unwrap_or_default().to_owned(),
            inputs,
            mechanisms,
            grade_families,
            pof_of,
            pof_bands,
            categories,
            matrix,
            water_curve,
            sources,
        })
    }

    /// Adds the physical limits of the numeric inputs (`refdata/risk_inputs.json`): every
    /// numeric input needs them, and only numeric inputs take them.
    pub fn with_bounds(mut self, bytes: &[u8]) -> Result<RuleSet, RuleSetError> {
        let doc: Json =
            serde_json::from_slice(bytes).map_err(|e| RuleSetError::Json(e.to_string()))?;
        let mut check = Check(Vec::new());
        let bounds = doc.get("bounds").and_then(Json::as_object);
        if let Some(map) = bounds {
            for name in map.keys() {
                if !self
                    .inputs
                    .iter()
                    .any(|i| &i.name == name && i.kind == Kind::Number)
                {
                    check.fail(format!(
                        "bounds.{name}: not a numeric input of the rule set"
                    ));
                }
            }
        }
        // Inputs whose `null` states something: what it states.
        if let Some(map) = doc.get("absent").and_then(Json::as_object) {
            for (name, meaning) in map {
                let spec = self.inputs.iter_mut().find(|i| &i.name == name);
                match (spec, meaning.as_str()) {
                    (Some(spec), Some(m)) if !m.trim().is_empty() => {
                        spec.absent = Some(m.to_owned())
                    }
                    (None, _) => check.fail(format!("absent.{name}: not an input of the rule set")),
                    _ => check.fail(format!("absent.{name}: say what null means")),
                }
            }
        }
        for spec in self.inputs.iter_mut().filter(|i| i.kind == Kind::Number) {
            let b = bounds.and_then(|m| m.get(&spec.name));
            let min = b.and_then(|b| b.get("min")).and_then(Json::as_f64);
            let max = b.and_then(|b| b.get("max")).and_then(Json::as_f64);
            match (min, max) {
                (Some(min), Some(max)) if min < max => {
                    spec.bounds = Some(crate::inputs::Bounds {
                        min,
                        max,
                        why: b
                            .and_then(|b| str_at(b, "why"))
                            .unwrap_or_default()
                            .to_owned(),
                    });
                }
                _ => check.fail(format!("bounds.{}: min below max", spec.name)),
            }
        }
        if check.0.is_empty() {
            Ok(self)
        } else {
            Err(RuleSetError::Invalid(check.0))
        }
    }

    /// Adds the Chinese wording of mechanism names, mitigations and inspection methods
    /// (`refdata/risk_model_zh.json`); every one of them must be there.
    pub fn with_chinese(mut self, bytes: &[u8]) -> Result<RuleSet, RuleSetError> {
        let doc: Json =
            serde_json::from_slice(bytes).map_err(|e| RuleSetError::Json(e.to_string()))?;
        let mut check = Check(Vec::new());
        let phrase = |en: &str, check: &mut Check| -> String {
            match doc
                .pointer("/phrases")
                .and_then(|p| p.get(en))
                .and_then(Json::as_str)
            {
                Some(zh) if !zh.trim().is_empty() => zh.to_owned(),
                _ => {
                    check.fail(format!("phrases: no Chinese for {en:?}"));
                    String::new()
                }
            }
        };
        for m in &mut self.mechanisms {
            match doc
                .pointer(&format!("/mechanisms/{}", m.id))
                .and_then(Json::as_str)
            {
                Some(zh) if !zh.trim().is_empty() => m.name_zh = zh.to_owned(),
                _ => check.fail(format!("mechanisms.{}: no Chinese name", m.id)),
            }
            m.mitigation_zh = m
                .mitigation
                .iter()
                .map(|en| phrase(en, &mut check))
                .collect();
            m.inspection_zh = m
                .inspection
                .iter()
                .map(|en| phrase(en, &mut check))
                .collect();
        }
        if check.0.is_empty() {
            Ok(self)
        } else {
            Err(RuleSetError::Invalid(check.0))
        }
    }

    pub fn input(&self, name: &str) -> Option<&InputSpec> {
        self.inputs.iter().find(|i| i.name == name)
    }

    pub fn mechanism(&self, id: &str) -> Option<&Mechanism> {
        self.mechanisms.iter().find(|m| m.id == id)
    }

    /// Every number the rules and adjustments compare `input` with, ascending: the
    /// thresholds that matter for it.
    pub fn thresholds(&self, input: &str) -> Vec<f64> {
        let mut out: Vec<f64> = self
            .mechanisms
            .iter()
            .flat_map(|m| {
                m.rules
                    .iter()
                    .map(|r| &r.when)
                    .chain(m.adjust.iter().map(|a| &a.when))
            })
            .flat_map(|c| c.comparisons())
            .filter(|c| c.param == input)
            .filter_map(|c| c.value.as_f64())
            .collect();
        out.sort_by(f64::total_cmp);
        out.dedup();
        out
    }

    /// The family of a grade (`unalloyed`, `pd`, `ni_mo` …).
    pub fn family_of(&self, grade: &str) -> Option<&str> {
        self.grade_families
            .iter()
            .find(|(_, grades)| grades.iter().any(|g| g == grade))
            .map(|(f, _)| f.as_str())
    }
}

fn read_families(doc: &Json, check: &mut Check) -> BTreeMap<String, Vec<String>> {
    let mut out = BTreeMap::new();
    match doc.get("grade_families").and_then(Json::as_object) {
        Some(map) => {
            for (family, grades) in map {
                if let Some(list) = grades.as_array() {
                    out.insert(
                        family.clone(),
                        list.iter()
                            .filter_map(|g| g.as_str().map(str::to_owned))
                            .collect(),
                    );
                }
            }
        }
        None => check.fail("grade_families: missing"),
    }
    out
}

fn read_inputs(doc: &Json, grades: &[String], check: &mut Check) -> Vec<InputSpec> {
    let mut out: Vec<InputSpec> = Vec::new();
    for (i, v) in items(doc, "inputs").enumerate() {
        let Some(name) = str_at(v, "name") else {
            check.fail(format!("inputs[{i}]: missing name"));
            continue;
        };
        if out.iter().any(|x| x.name == name) {
            check.fail(format!("inputs[{name}]: declared twice"));
        }
        let kind = match str_at(v, "type") {
            Some("number") => Kind::Number,
            Some("bool" | "boolean") => Kind::Bool,
            Some("enum") => {
                let values = strings(v.get("values"));
                if values.is_empty() {
                    check.fail(format!("inputs[{name}]: an enum needs its values"));
                }
                Kind::Enum(values)
            }
            Some("string") if name == "grade" => Kind::Grade(grades.to_vec()),
            Some("string") => Kind::Text,
            other => {
                check.fail(format!("inputs[{name}]: unknown type {other:?}"));
                continue;
            }
        };
        out.push(InputSpec {
            name: name.to_owned(),
            kind,
            unit: str_at(v, "unit").map(str::to_owned),
            description: str_at(v, "description").map(str::to_owned),
            bounds: None,
            absent: None,
        });
    }
    if out.is_empty() {
        check.fail("inputs: none declared");
    }
    out
}

fn read_curve(v: &Json, at: &str, check: &mut Check) -> Option<WaterCurve> {
    let points: Vec<(f64, f64)> = items(v, "points")
        .filter_map(|p| {
            Some((
                p.get("temperature_c")?.as_f64()?,
                p.get("water_wt_pct")?.as_f64()?,
            ))
        })
        .collect();
    if points.is_empty() || points.windows(2).any(|w| w[0].0 >= w[1].0) {
        check.fail(format!(
            "{at}.required_water_wt_pct: points of rising temperature_c with water_wt_pct"
        ));
        return None;
    }
    Some(WaterCurve { points })
}

/// The id, condition and provenance of a rule or adjustment, checked.
fn read_step(
    v: &Json,
    at: &str,
    known: &BTreeMap<&str, &Kind>,
    ids: &mut BTreeSet<String>,
    check: &mut Check,
) -> Option<(String, Condition, Provenance)> {
    let Some(id) = str_at(v, "id") else {
        check.fail(format!("{at}: missing id"));
        return None;
    };
    if !ids.insert(id.to_owned()) {
        check.fail(format!("{at}: the id `{id}` is used twice"));
    }
    let when = match v
        .get("when")
        .map(|w| Condition::parse(w, &format!("{at}.when")))
    {
        Some(Ok(c)) => c,
        Some(Err(e)) => {
            check.fail(e);
            return None;
        }
        None => {
            check.fail(format!("{at}: missing `when`"));
            return None;
        }
    };
    for c in when.comparisons() {
        let Some(kind) = known.get(c.param.as_str()) else {
            check.fail(format!("{at}: `{}` is not a declared input", c.param));
            continue;
        };
        if let Err(e) = fits(kind, c.op, &c.value) {
            check.fail(format!("{at}: `{} {}`: {e}", c.param, c.op.as_str()));
        }
    }
    let verification = str_at(v, "verification").unwrap_or_default().to_owned();
    if !matches!(
        verification.as_str(),
        "verified" | "verified_secondary" | "unverified" | "project_convention"
    ) {
        check.fail(format!(
            "{at}: verification must be verified, verified_secondary, unverified or project_convention"
        ));
    }
    Some((
        id.to_owned(),
        when,
        Provenance {
            sources: strings(v.get("source")),
            verification,
            basis: str_at(v, "basis").map(str::to_owned),
            note: str_at(v, "note").map(str::to_owned),
        },
    ))
}

/// Whether a comparison makes sense for the input's kind.
fn fits(kind: &Kind, op: Op, value: &Json) -> Result<(), String> {
    let one = |v: &Json| -> Result<(), String> {
        match kind {
            Kind::Number if v.as_f64().is_some() => Ok(()),
            Kind::Bool if v.is_boolean() => Ok(()),
            Kind::Enum(values) | Kind::Grade(values) => match v.as_str() {
                Some(s) if values.iter().any(|x| x == s) => Ok(()),
                _ => Err(format!("{v} is not one of {}", values.join(", "))),
            },
            Kind::Text if v.is_string() => Ok(()),
            _ => Err(format!("{v} does not fit the input's type")),
        }
    };
    match op {
        Op::IsNull if value.is_null() || value.is_boolean() => Ok(()),
        Op::IsNull => Err("the value of is_null is true or false".into()),
        _ if op.is_ordering() => match kind {
            Kind::Number => one(value),
            _ => Err("only numbers are ordered".into()),
        },
        Op::In => match value.as_array() {
            Some(list) if !list.is_empty() => list.iter().try_for_each(one),
            _ => Err("`in` takes a non-empty list".into()),
        },
        _ => one(value),
    }
}

fn read_financial(doc: &Json, check: &mut Check) -> Option<FinancialBands> {
    let at = "consequence_of_failure.exchanger_bundle_financial";
    let table = doc.pointer("/consequence_of_failure/exchanger_bundle_financial")?;
    let mut bands = Vec::new();
    for (i, c) in items(table, "categories").enumerate() {
        let letter = str_at(c, "category").and_then(Cof::parse);
        let max = c.pointer("/usd/max_incl").and_then(Json::as_f64);
        match letter {
            Some(l) if l == Cof::ALL[i.min(4)] => bands.push((l, max)),
            _ => check.fail(format!("{at}.categories[{i}]: the letters A to E in order")),
        }
    }
    let ordered = bands.len() == 5
        && bands[..4].iter().all(|(_, m)| m.is_some())
        && bands[4].1.is_none()
        && bands.windows(2).all(|w| match (w[0].1, w[1].1) {
            (Some(a), Some(b)) => a < b,
            _ => true,
        });
    if !ordered {
        check.fail(format!(
            "{at}: five bands with rising upper bounds, the last one open"
        ));
        return None;
    }
    Some(FinancialBands {
        bands,
        basis: str_at(table, "basis").unwrap_or_default().to_owned(),
        verification: str_at(table, "verification").unwrap_or_default().to_owned(),
    })
}

fn read_pof_bands(doc: &Json, check: &mut Check) -> PofBands {
    let at = "probability_of_failure.general_categories";
    let general = doc.pointer("/probability_of_failure/general_categories");
    let mut upper = [0.0; 4];
    let categories = general
        .and_then(|g| g.get("categories"))
        .and_then(Json::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default();
    for (i, u) in upper.iter_mut().enumerate() {
        match categories
            .get(i)
            .and_then(|c| c.pointer("/pof_per_year/max_incl"))
            .and_then(Json::as_f64)
        {
            Some(v) if v > 0.0 => *u = v,
            _ => check.fail(format!(
                "{at}.categories[{i}].pof_per_year.max_incl: a yearly probability above 0"
            )),
        }
    }
    if categories.len() != 5 || upper.windows(2).any(|w| w[0] >= w[1]) {
        check.fail(format!(
            "{at}.categories: five categories with rising yearly probabilities"
        ));
    }
    PofBands {
        upper_per_year: upper,
        verification: str_at_or(general, "verification", "unverified"),
        basis: str_at_or(general, "basis", ""),
    }
}

fn str_at_or(v: Option<&Json>, key: &str, or: &str) -> String {
    v.and_then(|v| v.get(key))
        .and_then(Json::as_str)
        .unwrap_or(or)
        .to_owned()
}

fn read_pof_map(doc: &Json, check: &mut Check) -> BTreeMap<Susceptibility, u8> {
    let mut out = BTreeMap::new();
    let map = doc
        .pointer("/probability_of_failure/susceptibility_to_category/map")
        .and_then(Json::as_object);
    for s in Susceptibility::ALL {
        match map.and_then(|m| m.get(s.as_str())).and_then(Json::as_u64) {
            Some(c @ 1..=5) => {
                out.insert(s, c as u8);
            }
            _ => check.fail(format!(
                "probability_of_failure.susceptibility_to_category.map: `{}` needs a category 1-5",
                s.as_str()
            )),
        }
    }
    if out
        .values()
        .collect::<Vec<_>>()
        .windows(2)
        .any(|w| w[0] > w[1])
    {
        check.fail("probability_of_failure.susceptibility_to_category.map: a higher susceptibility cannot have a lower category");
    }
    out
}

fn read_matrix(doc: &Json, categories: &[String], check: &mut Check) -> BTreeMap<(u8, Cof), usize> {
    let mut out = BTreeMap::new();
    let cells = doc.pointer("/risk_matrix/cells").and_then(Json::as_object);
    for pof in 1..=5u8 {
        for cof in Cof::ALL {
            let key = format!("{pof}{}", cof.as_str());
            let cell = cells.and_then(|c| c.get(&key)).and_then(Json::as_str);
            match cell.and_then(|c| categories.iter().position(|x| x == c)) {
                Some(i) => {
                    out.insert((pof, cof), i);
                }
                None => check.fail(format!(
                    "risk_matrix.cells: `{key}` must name one of the risk categories"
                )),
            }
        }
    }
    out
}
