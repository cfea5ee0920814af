//! The free risk self-check: enter the conditions of a titanium item, get its grade with
//! the mechanisms behind it, what would lower it and how to inspect for it.

use askama::Template;
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value as Json};
use ticorr_platform::risk::{ConsequenceAnswers, ItemAssessment, Risk};
use ticorr_risk::{
    Assessment, Cof, Condition, Consequence, Kind, MechanismResult, Op, RiskGrade, RuleSetRef,
    Susceptibility,
};

use super::{CsrfForm, PageCtx, render};
use crate::i18n::Lang;

/// The inputs as the form groups them, by the rule file's names.
const GROUPS: &[(&str, &[&str])] = &[
    ("material", &["grade", "temperature_c"]),
    (
        "chemistry",
        &[
            "ph",
            "chloride_mg_l",
            "fluoride_mg_l",
            "hf_wt_pct",
            "hcl_normality",
            "oxidizing_species_present",
            "complexing_cations_al_fe3",
            "h2s_high",
        ],
    ),
    (
        "design",
        &[
            "crevice_present",
            "deposits_present",
            "galvanic_partner",
            "anode_to_cathode_area_ratio",
            "velocity_m_s",
            "solids_present",
        ],
    ),
    (
        "electrochemistry",
        &["cp_potential_v_sce", "anodic_or_stray_current"],
    ),
    (
        "special",
        &[
            "chlorine_gas",
            "water_in_chlorine_wt_pct",
            "methanol_service",
            "acid_halide_in_methanol",
            "water_in_methanol_wt_pct",
            "rfna_or_n2o4_service",
            "oxygen_partial_pressure_kpa",
        ],
    ),
    ("measured", &["general_corrosion_rate_mm_y"]),
];

/// One field of the form.
pub struct Field {
    pub name: String,
    pub label: String,
    pub unit: String,
    /// `number`, `flag` or `choice`.
    pub kind: &'static str,
    /// (value, label) for choices and flags.
    pub options: Vec<(String, String)>,
    pub value: String,
    /// How to say that the thing measured does not exist, for inputs whose absence
    /// states a fact (empty for the others).
    pub hint: String,
}

/// The words that state an absence in the self-check (`null` to the engine).
const NONE_WORDS: [&str; 3] = ["none", "无", "没有"];

pub struct Group {
    pub title: String,
    pub fields: Vec<Field>,
}

/// A mechanism as the result shows it.
pub struct MechanismLine {
    pub id: String,
    pub name: String,
    pub susceptibility: String,
    pub level: usize,
    pub incomplete: bool,
    pub missing: Vec<String>,
    /// (rule id, note, sources, verification mark).
    pub rules: Vec<(String, String, String, String)>,
    pub mitigations: Vec<String>,
    pub inspection: Vec<String>,
}

pub struct ResultView {
    pub heading: String,
    /// Sentences that say in plain words what the result is and why.
    pub explanation: Vec<String>,
    /// The sources cited by what fired: (id, citation).
    pub sources: Vec<(String, String)>,
    /// Whether the consequence was known, so there is a grade.
    pub graded: bool,
    pub grade: String,
    pub grade_class: String,
    pub level: String,
    pub pof: u8,
    pub cof: String,
    pub consequence: String,
    pub mechanisms: Vec<MechanismLine>,
    pub quiet: usize,
    pub incomplete: bool,
    pub rule_set: String,
}

#[derive(Template)]
#[template(path = "risk_check.html")]
struct CheckPage<'a> {
    ctx: &'a PageCtx,
    groups: Vec<Group>,
    hazard: Vec<(String, String)>,
    people: Vec<(String, String)>,
    values: Map<String, Json>,
    category: String,
    error: Option<String>,
    result: Option<ResultView>,
    /// The conditions as the equipment form's fields, to save the check as an item.
    save: Option<SaveBox>,
}

/// Saving a self-check as an equipment item: the conditions ride along as hidden fields
/// of the equipment form; the person adds the tag, name and type.
pub struct SaveBox {
    pub hidden: Vec<(String, String)>,
    pub types: Vec<(String, String)>,
}

/// The self-check's values as the fields of the equipment form (`/equipment/new`).
fn save_box(ctx: &PageCtx, risk: &Risk, values: &Map<String, Json>) -> Option<SaveBox> {
    if !super::equipment::may_create(ctx) {
        return None;
    }
    let columns = ticorr_equipment::FIELDS;
    let mut hidden = vec![("level".to_owned(), "private".to_owned())];
    for (name, v) in values {
        let Some(text) = v.as_str() else { continue };
        let flag = |t: &str| match t {
            "yes" => "true".to_owned(),
            "no" => "false".to_owned(),
            other => other.to_owned(),
        };
        let is_flag = risk
            .rules
            .input(name)
            .is_some_and(|s| matches!(s.kind, Kind::Bool));
        let value = if is_flag { flag(text) } else { text.to_owned() };
        if name == "cp_potential_v_sce" && NONE_WORDS.contains(&text.to_lowercase().as_str()) {
            hidden.push(("cathodic_protection".to_owned(), "false".to_owned()));
            continue;
        }
        match columns.iter().find(|f| f.name == name) {
            Some(f) if f.condition => hidden.push((format!("sc.{name}"), value)),
            Some(_) => hidden.push((name.clone(), value)),
            None => {}
        }
    }
    Some(SaveBox {
        hidden,
        types: super::equipment::vocab_options(ctx).0,
    })
}

impl CheckPage<'_> {
    fn chosen(&self, name: &str, value: &str) -> bool {
        self.values.get(name).and_then(Json::as_str) == Some(value)
    }

    fn text(&self, name: &str) -> String {
        match self.values.get(name) {
            Some(Json::String(s)) => s.clone(),
            _ => String::new(),
        }
    }
}

fn form_fields(ctx: &PageCtx, risk: &Risk, given: &Map<String, Json>) -> Vec<Group> {
    GROUPS
        .iter()
        .map(|(group, names)| Group {
            title: ctx.t(&format!("risk-group-{group}")),
            fields: names
                .iter()
                .filter_map(|n| risk.rules.input(n))
                .map(|spec| {
                    let yes_no = || {
                        vec![
                            (String::new(), ctx.t("risk-unknown")),
                            ("yes".to_owned(), ctx.t("yes")),
                            ("no".to_owned(), ctx.t("no")),
                        ]
                    };
                    let (kind, options) = match &spec.kind {
                        Kind::Bool => ("flag", yes_no()),
                        Kind::Enum(values) | Kind::Grade(values) => (
                            "choice",
                            std::iter::once((String::new(), ctx.t("risk-unknown")))
                                .chain(values.iter().map(|v| {
                                    let label = if matches!(spec.kind, Kind::Grade(_)) {
                                        format!("Gr{v}")
                                    } else {
                                        ctx.label("galvanic", v)
                                    };
                                    (v.clone(), label)
                                }))
                                .collect(),
                        ),
                        _ => ("number", Vec::new()),
                    };
                    Field {
                        hint: if spec.absent.is_some() {
                            ctx.t(&format!("risk-none-hint-{}", spec.name))
                        } else {
                            String::new()
                        },
                        name: spec.name.clone(),
                        label: ctx.t(&format!("risk-in-{}", spec.name)),
                        unit: spec.unit.clone().unwrap_or_default().replace("degC", "°C"),
                        kind,
                        options,
                        value: given
                            .get(&spec.name)
                            .and_then(Json::as_str)
                            .unwrap_or_default()
                            .to_owned(),
                    }
                })
                .collect(),
        })
        .collect()
}

/// The hazard and people-nearby choices of the consequence scheme, in the page's language.
pub fn consequence_choices(ctx: &PageCtx, risk: &Risk) -> (super::Options, super::Options) {
    (
        choices(ctx, &risk.consequence.medium_hazard),
        choices(ctx, &risk.consequence.people_nearby),
    )
}

fn choices(ctx: &PageCtx, list: &[ticorr_risk::Choice]) -> Vec<(String, String)> {
    std::iter::once((String::new(), ctx.t("risk-unknown")))
        .chain(list.iter().map(|c| {
            let words = if ctx.lang == Lang::Zh { &c.zh } else { &c.en };
            (c.id.clone(), words.clone())
        }))
        .collect()
}

fn page(
    ctx: &PageCtx,
    risk: &Risk,
    values: Map<String, Json>,
    error: Option<String>,
    result: Option<ResultView>,
) -> Response {
    let category = values
        .get("consequence_category")
        .and_then(Json::as_str)
        .unwrap_or_default()
        .to_owned();
    let save = result.as_ref().and_then(|_| save_box(ctx, risk, &values));
    render(&CheckPage {
        ctx,
        save,
        groups: form_fields(ctx, risk, &values),
        hazard: consequence_choices(ctx, risk).0,
        people: consequence_choices(ctx, risk).1,
        values,
        category,
        error,
        result,
    })
}

pub async fn form(ctx: PageCtx) -> Response {
    if let Err(e) = ctx.require_actor() {
        return e.into_response();
    }
    match ticorr_platform::risk::load() {
        Ok(risk) => page(&ctx, risk, Map::new(), None, None),
        Err(e) => ctx.storage_error(e).into_response(),
    }
}

pub async fn run(form: CsrfForm<serde::de::IgnoredAny>) -> Response {
    let CsrfForm { ctx, pairs, .. } = form;
    if let Err(e) = ctx.require_actor() {
        return e.into_response();
    }
    let risk = match ticorr_platform::risk::load() {
        Ok(r) => r,
        Err(e) => return ctx.storage_error(e).into_response(),
    };
    // What was typed, kept for the form whatever happens.
    let mut values = Map::new();
    for (k, v) in pairs.iter().filter(|(k, _)| k != "_csrf") {
        let v = v.trim();
        if !v.is_empty() {
            values.insert(k.clone(), Json::String(v.to_owned()));
        }
    }
    match assess(&ctx, risk, &values) {
        Ok(result) => page(&ctx, risk, values, None, Some(result)),
        Err(message) => page(&ctx, risk, values, Some(message), None),
    }
}

/// The typed text as the engine's inputs, assessed.
fn assess(ctx: &PageCtx, risk: &Risk, values: &Map<String, Json>) -> Result<ResultView, String> {
    let not_a_number = |label: String| format!("{label}: {}", ctx.t("risk-not-a-number"));
    let number = |text: &str| {
        text.replace(',', "")
            .parse::<f64>()
            .ok()
            .and_then(|n| serde_json::Number::from_f64(n).map(Json::Number))
    };
    // The form's text as the API's JSON values; the platform checks them the same way.
    let mut inputs = Map::new();
    for spec in &risk.rules.inputs {
        let Some(text) = values.get(&spec.name).and_then(Json::as_str) else {
            continue;
        };
        let label = || ctx.t(&format!("risk-in-{}", spec.name));
        let value = match spec.kind {
            Kind::Bool => match text {
                "yes" => Json::Bool(true),
                "no" => Json::Bool(false),
                _ => return Err(format!("{}: {}", label(), ctx.t("risk-yes-no"))),
            },
            Kind::Number
                if spec.absent.is_some() && NONE_WORDS.contains(&text.to_lowercase().as_str()) =>
            {
                Json::Null
            }
            Kind::Number => number(text).ok_or_else(|| not_a_number(label()))?,
            _ => Json::String(text.to_owned()),
        };
        inputs.insert(spec.name.clone(), value);
    }
    let text = |k: &str| values.get(k).and_then(Json::as_str);
    let cost = text("failure_cost_usd")
        .map(|c| number(c).ok_or_else(|| not_a_number(ctx.t("risk-cost"))))
        .transpose()?;
    let answers = ConsequenceAnswers {
        category: text("consequence_category"),
        medium_hazard: text("medium_hazard"),
        people_nearby: text("people_nearby"),
        failure_cost_usd: cost.as_ref(),
    };
    let (a, consequence) = risk.assess_request(&inputs, answers).map_err(|e| {
        let label = match e.field.split_once('.') {
            Some(("inputs", name)) => ctx.t(&format!("risk-in-{name}")),
            Some((_, "medium_hazard")) => ctx.t("risk-hazard"),
            Some((_, "people_nearby")) => ctx.t("risk-people"),
            Some((_, "failure_cost_usd")) => ctx.t("risk-cost"),
            _ => return ctx.t("risk-need-consequence"),
        };
        format!("{label}: {}", e.message)
    })?;
    Ok(view(
        ctx,
        risk,
        &Outcome::of_assessment(&a, &consequence),
        &inputs,
    ))
}

/// What a result block shows: an assessment's parts, whether from the self-check (always
/// graded) or an equipment item (graded once its consequence is known).
pub struct Outcome<'a> {
    pub grade: Option<RiskGrade>,
    pub pof: u8,
    pub consequence: Option<&'a Consequence>,
    pub mechanisms: &'a [MechanismResult],
    pub incomplete: bool,
    pub rule_set: &'a RuleSetRef,
}

impl<'a> Outcome<'a> {
    pub fn of_assessment(a: &'a Assessment, c: &'a Consequence) -> Self {
        Outcome {
            grade: Some(a.risk_grade),
            pof: a.pof_category,
            consequence: Some(c),
            mechanisms: &a.mechanisms,
            incomplete: a.incomplete,
            rule_set: &a.rule_set,
        }
    }

    pub fn of_item(a: &'a ItemAssessment) -> Self {
        Outcome {
            grade: a.risk_grade,
            pof: a.probability.pof_category,
            consequence: a.consequence.as_ref(),
            mechanisms: &a.probability.mechanisms,
            incomplete: a.probability.incomplete,
            rule_set: &a.probability.rule_set,
        }
    }
}

/// The label of a risk input, or of a consequence answer, in the page's language.
pub fn input_label(ctx: &PageCtx, name: &str) -> String {
    match name {
        "consequence_category" => ctx.t("risk-category"),
        "medium_hazard" => ctx.t("risk-hazard"),
        "people_nearby" => ctx.t("risk-people"),
        "failure_cost_usd" => ctx.t("risk-cost"),
        input => ctx.t(&format!("risk-in-{input}")),
    }
}

/// A value as a reader writes it: yes/no, a number with its unit, a grade as `Gr7`.
fn value_text(ctx: &PageCtx, risk: &Risk, param: &str, v: &Json) -> String {
    let unit = risk
        .rules
        .input(param)
        .and_then(|s| s.unit.clone())
        .map(|u| format!(" {}", u.replace("degC", "°C")))
        .unwrap_or_default();
    match v {
        Json::Bool(true) => ctx.t("yes"),
        Json::Bool(false) => ctx.t("no"),
        Json::Null => ctx.t("none"),
        Json::Number(n) => format!("{}{unit}", super::num(n.as_f64())),
        Json::String(s) if param == "grade" => format!("Gr{s}"),
        Json::String(s) if param == "galvanic_partner" => ctx.label("galvanic", s),
        Json::String(s) => s.clone(),
        Json::Array(items) => items
            .iter()
            .map(|i| value_text(ctx, risk, param, i))
            .collect::<Vec<_>>()
            .join(", "),
        other => other.to_string(),
    }
}

/// A rule's condition in words: `temperature ≥ 70 °C and (crevices = yes or …)`.
fn describe(ctx: &PageCtx, risk: &Risk, c: &Condition) -> String {
    let zh = ctx.lang == Lang::Zh;
    match c {
        Condition::All { all } if all.is_empty() => ctx.t("risk-always"),
        Condition::All { all } => all
            .iter()
            .map(|c| describe(ctx, risk, c))
            .collect::<Vec<_>>()
            .join(if zh { "，且" } else { " and " }),
        Condition::Any { any } => {
            let parts = any
                .iter()
                .map(|c| describe(ctx, risk, c))
                .collect::<Vec<_>>()
                .join(if zh { " 或 " } else { " or " });
            if zh {
                format!("（{parts}）")
            } else {
                format!("({parts})")
            }
        }
        Condition::Compare(cmp) => {
            let label = ctx.t(&format!("risk-in-{}", cmp.param));
            let value = value_text(ctx, risk, &cmp.param, &cmp.value);
            match cmp.op {
                Op::IsNull if cmp.value == Json::Bool(true) => {
                    format!("{label} {}", ctx.t("risk-op-not-given"))
                }
                Op::IsNull => format!("{label} {}", ctx.t("risk-op-given")),
                Op::In => format!("{label} {} {value}", ctx.t("risk-op-in")),
                op => {
                    let symbol = match op {
                        Op::Lt => "<",
                        Op::Le => "≤",
                        Op::Gt => ">",
                        Op::Ge => "≥",
                        Op::Eq => "=",
                        _ => "≠",
                    };
                    format!("{label} {symbol} {value}")
                }
            }
        }
    }
}

/// The conditions a rule looked at, with the values given: `temperature 85 °C, …`.
fn values_seen(ctx: &PageCtx, risk: &Risk, c: &Condition, inputs: &Map<String, Json>) -> String {
    let mut seen: Vec<&str> = Vec::new();
    for cmp in c.comparisons() {
        // A derived input is shown by the inputs it is derived from.
        let own = [cmp.param.as_str()];
        let from = ticorr_risk::ruleset::DERIVED
            .iter()
            .find(|(d, _)| *d == cmp.param)
            .map_or(&own[..], |(_, from)| *from);
        for p in from {
            if !seen.contains(p) {
                seen.push(p);
            }
        }
    }
    seen.into_iter()
        .filter_map(|p| {
            let v = inputs.get(p)?;
            Some(format!(
                "{} = {}",
                ctx.t(&format!("risk-in-{p}")),
                value_text(ctx, risk, p, v)
            ))
        })
        .collect::<Vec<_>>()
        .join(if ctx.lang == Lang::Zh { "，" } else { ", " })
}

/// The sentence that lists the inputs that would complete the assessment, if any.
fn to_complete(ctx: &PageCtx, o: &Outcome<'_>) -> Option<String> {
    let zh = ctx.lang == Lang::Zh;
    let (stop, colon) = if zh { ("。", "：") } else { (".", ": ") };
    let missing: Vec<String> = o
        .mechanisms
        .iter()
        .flat_map(|m| m.missing.iter())
        .fold(Vec::<&String>::new(), |mut acc, f| {
            if !acc.contains(&f) {
                acc.push(f);
            }
            acc
        })
        .into_iter()
        .map(|f| ctx.t(&format!("risk-in-{f}")))
        .collect();
    (!missing.is_empty()).then(|| {
        format!(
            "{}{colon}{}{stop}",
            ctx.t("risk-to-complete"),
            missing.join(if zh { "、" } else { ", " })
        )
    })
}

/// The result in plain words: the grade and the worst mechanism, the rule that put it
/// there with the values that made it hold, when the rule set would rate it lower, what to
/// do about it, and what is missing.
fn explain(ctx: &PageCtx, risk: &Risk, o: &Outcome<'_>, inputs: &Map<String, Json>) -> Vec<String> {
    let mut out = explain_worst(ctx, risk, o, inputs);
    out.extend(to_complete(ctx, o));
    out
}

/// The grade and the worst mechanism, and why.
fn explain_worst(
    ctx: &PageCtx,
    risk: &Risk,
    o: &Outcome<'_>,
    inputs: &Map<String, Json>,
) -> Vec<String> {
    let zh = ctx.lang == Lang::Zh;
    let stop = if zh { "。" } else { "." };
    let colon = if zh { "：" } else { ": " };
    let comma = if zh { "，" } else { ", " };
    let mut out = Vec::new();
    let worst = o
        .mechanisms
        .first()
        .filter(|m| m.susceptibility > Susceptibility::None);
    let name = |m: &MechanismResult| {
        if zh {
            m.name_zh.clone()
        } else {
            m.name.clone()
        }
    };
    let head = match o.grade {
        Some(g) => format!(
            "{} {}{}{}{}",
            ctx.t("risk-grade"),
            g.as_str(),
            if zh { "（" } else { " (" },
            ctx.label("risk-level", g.level()),
            if zh { "）" } else { ")" }
        ),
        None => ctx.t("risk-ungraded"),
    };
    match worst {
        Some(m) => out.push(format!(
            "{head}{colon}{}{comma}{} {}{stop}",
            name(m),
            ctx.t("risk-susceptibility"),
            ctx.label("susceptibility", m.susceptibility.as_str())
        )),
        None => out.push(format!(
            "{head}{colon}{}{stop}",
            ctx.t("risk-nothing-applies")
        )),
    }
    let Some(m) = worst else {
        return out;
    };
    let Some(def) = risk.rules.mechanism(&m.id) else {
        return out;
    };
    // The rule that set the rating: the highest one that fired.
    if let Some(rule) = m
        .rules
        .iter()
        .filter_map(|f| def.rules.iter().find(|r| r.id == f.id))
        .max_by_key(|r| r.susceptibility)
    {
        let seen = values_seen(ctx, risk, &rule.when, inputs);
        let mut line = format!(
            "{} {}{colon}{}",
            ctx.t("risk-because-rule"),
            rule.id,
            describe(ctx, risk, &rule.when)
        );
        if !seen.is_empty() {
            line.push_str(&format!("{comma}{}{colon}{seen}", ctx.t("risk-here")));
        }
        if !rule.provenance.sources.is_empty() {
            line.push_str(&format!(" [{}]", rule.provenance.sources.join(", ")));
        }
        line.push_str(stop);
        out.push(line);
    }
    for f in &m.adjustments {
        if let Some(a) = def.adjust.iter().find(|a| a.id == f.id) {
            out.push(format!(
                "{} {} ({:+}){colon}{}{stop}",
                ctx.t("risk-adjusted"),
                a.id,
                a.delta,
                describe(ctx, risk, &a.when)
            ));
        }
    }
    // Where the rule set rates the mechanism lower: the lowest such rule.
    if let Some(lower) = def
        .rules
        .iter()
        .filter(|r| r.susceptibility < m.susceptibility)
        .min_by_key(|r| r.susceptibility)
    {
        out.push(format!(
            "{} {} {}{colon}{} ({} {}){stop}",
            ctx.t("risk-lower-when"),
            ctx.label("susceptibility", lower.susceptibility.as_str()),
            ctx.t("risk-when"),
            describe(ctx, risk, &lower.when),
            ctx.t("risk-rule"),
            lower.id
        ));
    }
    let mitigations = if zh {
        &m.mitigations_zh
    } else {
        &m.mitigations
    };
    if !mitigations.is_empty() {
        out.push(format!(
            "{}{colon}{}{stop}",
            ctx.t("risk-consider"),
            mitigations.join(if zh { "；" } else { "; " })
        ));
    }
    out
}

pub fn view(ctx: &PageCtx, risk: &Risk, o: &Outcome<'_>, inputs: &Map<String, Json>) -> ResultView {
    let zh = ctx.lang == Lang::Zh;
    let (shown, quiet): (Vec<&MechanismResult>, Vec<&MechanismResult>) = o
        .mechanisms
        .iter()
        .partition(|m| m.susceptibility > Susceptibility::None || m.incomplete);
    let mut cited: Vec<String> = Vec::new();
    for m in &shown {
        for s in &m.sources {
            if !cited.contains(s) {
                cited.push(s.clone());
            }
        }
    }
    ResultView {
        heading: ctx.t("risk-result"),
        explanation: explain(ctx, risk, o, inputs),
        graded: o.grade.is_some(),
        grade: o.grade.map(|g| g.as_str().to_owned()).unwrap_or_default(),
        grade_class: o.grade.map_or("ungraded", |g| g.level()).to_owned(),
        level: o
            .grade
            .map(|g| ctx.label("risk-level", g.level()))
            .unwrap_or_else(|| ctx.t("risk-ungraded")),
        pof: o.pof,
        cof: o
            .consequence
            .map(|c| c.category.as_str().to_owned())
            .unwrap_or_else(|| "–".into()),
        consequence: match o.consequence {
            None => ctx.t("risk-cof-unknown"),
            Some(c) if c.basis == "given" => ctx.t("risk-cof-given"),
            Some(c) => {
                let part = |l: Option<Cof>| l.map_or("–".to_owned(), |l| l.as_str().to_owned());
                format!(
                    "{} {} · {} {}",
                    ctx.t("risk-cof-safety"),
                    part(c.safety),
                    ctx.t("risk-cof-financial"),
                    part(c.financial)
                )
            }
        },
        sources: cited
            .into_iter()
            .map(|id| {
                let title = risk.rules.sources.get(&id).cloned().unwrap_or_default();
                (id, title)
            })
            .collect(),
        mechanisms: shown
            .into_iter()
            .map(|m| MechanismLine {
                id: m.id.clone(),
                name: if zh {
                    m.name_zh.clone()
                } else {
                    m.name.clone()
                },
                susceptibility: ctx.label("susceptibility", m.susceptibility.as_str()),
                level: m.susceptibility.rank() as usize,
                incomplete: m.incomplete,
                missing: m
                    .missing
                    .iter()
                    .map(|f| ctx.t(&format!("risk-in-{f}")))
                    .collect(),
                rules: m
                    .rules
                    .iter()
                    .chain(&m.adjustments)
                    .map(|f| {
                        (
                            f.id.clone(),
                            f.provenance.note.clone().unwrap_or_default(),
                            f.provenance.sources.join(", "),
                            ctx.label("verification", &f.provenance.verification),
                        )
                    })
                    .collect(),
                mitigations: if zh {
                    m.mitigations_zh.clone()
                } else {
                    m.mitigations.clone()
                },
                inspection: if zh {
                    m.inspection_zh.clone()
                } else {
                    m.inspection.clone()
                },
            })
            .collect(),
        quiet: quiet.len(),
        incomplete: o.incomplete,
        rule_set: format!(
            "{} · sha256 {}",
            o.rule_set.version,
            &o.rule_set.sha256[..12]
        ),
    }
}

/// The scope of the overview: everything the caller can read, their own organisation's
/// items, or one park's shared items.
#[derive(serde::Deserialize, Default)]
pub struct OverviewQuery {
    #[serde(default)]
    scope: String,
}

/// A bar of the overview: label, count, share in per cent, and the list it links to.
pub struct Bar {
    pub key: String,
    pub label: String,
    pub class: String,
    pub count: u64,
    pub percent: String,
    pub width: u64,
    pub link: String,
    /// Per susceptibility, for mechanisms: (label, count).
    pub parts: Vec<(String, u64)>,
}

#[derive(Template)]
#[template(path = "risk_overview.html")]
struct OverviewPage<'a> {
    ctx: &'a PageCtx,
    scopes: Vec<(String, String)>,
    scope: String,
    items: u64,
    grades: Vec<Bar>,
    mechanisms: Vec<Bar>,
    incomplete: u64,
    unassessed: u64,
}

/// Equipment by current risk grade and by damage mechanism, for an organisation or park.
pub async fn overview(
    ctx: PageCtx,
    axum::extract::Query(q): axum::extract::Query<OverviewQuery>,
) -> Response {
    let actor = match ctx.require_actor() {
        Ok(a) => a.clone(),
        Err(e) => return e.into_response(),
    };
    let risk = match ticorr_platform::risk::load() {
        Ok(r) => r,
        Err(e) => return ctx.storage_error(e).into_response(),
    };
    let mut conn = match ctx.state.db.pool().acquire().await {
        Ok(c) => c,
        Err(e) => return ctx.storage_error(e).into_response(),
    };
    // Parks whose shared items the caller may see: their own park, or the parks their
    // organisation is settled in.
    let mut parks =
        match ticorr_platform::identity::orgs::park_summaries_of(&mut conn, actor.org_id).await {
            Ok(p) => p
                .into_iter()
                .map(|p| (p.id.to_string(), p.name))
                .collect::<Vec<_>>(),
            Err(e) => return ctx.storage_error(e).into_response(),
        };
    drop(conn);
    if actor.org_kind == ticorr_kernel::OrgKind::Park {
        parks.insert(
            0,
            (actor.org_id.to_string(), ctx.t("risk-overview-my-park")),
        );
    }
    let mut scopes = vec![
        (String::new(), ctx.t("risk-overview-all")),
        ("mine".to_owned(), ctx.t("risk-overview-mine")),
    ];
    for (id, name) in &parks {
        scopes.push((
            format!("park:{id}"),
            format!("{} {name}", ctx.t("risk-overview-park")),
        ));
    }
    let mut filter = ticorr_equipment::ListFilter::default();
    let mut list_query = String::new();
    match q.scope.split_once(':') {
        Some(("park", id)) if parks.iter().any(|(p, _)| p == id) => {
            filter.park_id = id.parse().ok();
            filter.level = Some(ticorr_kernel::Level::Park);
            list_query = format!("&park_id={id}&level=park");
        }
        _ if q.scope == "mine" => filter.org_id = Some(actor.org_id),
        _ => {}
    }
    let o = match ticorr_equipment::risk_overview(
        &ctx.state.db,
        &ctx.state.gate,
        ctx.caller(),
        &filter,
    )
    .await
    {
        Ok(o) => o,
        Err(e) => return ctx.equipment_error(e).into_response(),
    };
    let zh = ctx.lang == Lang::Zh;
    let total = o.items.max(1);
    let bar = |key: String, label: String, class: String, count: u64, link: String| Bar {
        key,
        label,
        class,
        count,
        percent: format!("{:.1}", count as f64 * 100.0 / total as f64),
        width: count * 100 / total,
        link,
        parts: Vec::new(),
    };
    let grades = o
        .by_grade
        .iter()
        .map(|(g, n)| {
            let (label, class) = match RiskGrade::parse(g) {
                Some(grade) => (
                    format!("{} · {}", g, ctx.label("risk-level", grade.level())),
                    grade.level().to_owned(),
                ),
                None => (ctx.t("risk-ungraded-short"), "ungraded".to_owned()),
            };
            bar(
                g.clone(),
                label,
                class,
                *n,
                format!("/equipment?risk_grade={g}{list_query}"),
            )
        })
        .collect();
    let mechanisms = o
        .by_mechanism
        .iter()
        .map(|m| {
            let name = risk
                .rules
                .mechanism(&m.mechanism)
                .map(|d| {
                    if zh {
                        d.name_zh.clone()
                    } else {
                        d.name.clone()
                    }
                })
                .unwrap_or_else(|| m.mechanism.clone());
            let mut b = bar(
                m.mechanism.clone(),
                name,
                String::new(),
                m.items,
                format!("/equipment?mechanism={}{list_query}", m.mechanism),
            );
            b.parts = m
                .by_susceptibility
                .iter()
                .map(|(s, n)| (ctx.label("susceptibility", s), *n))
                .collect();
            b
        })
        .collect();
    render(&OverviewPage {
        ctx: &ctx,
        scopes,
        scope: q.scope,
        items: o.items,
        grades,
        mechanisms,
        incomplete: o.incomplete,
        unassessed: o.unassessed,
    })
}
