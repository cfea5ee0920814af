//! The free risk self-check: enter the conditions of a titanium item, get its grade with
//! the mechanisms behind it, what would lower it and how to inspect for it.

use askama::Template;
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value as Json};
use ticorr_platform::risk::{ConsequenceAnswers, Risk};
use ticorr_risk::{Assessment, Cof, Consequence, Kind, MechanismResult, Susceptibility};

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
}

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
    render(&CheckPage {
        ctx,
        groups: form_fields(ctx, risk, &values),
        hazard: choices(ctx, &risk.consequence.medium_hazard),
        people: choices(ctx, &risk.consequence.people_nearby),
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
    Ok(view(ctx, &a, &consequence))
}

fn view(ctx: &PageCtx, a: &Assessment, c: &Consequence) -> ResultView {
    let zh = ctx.lang == Lang::Zh;
    let (shown, quiet): (Vec<&MechanismResult>, Vec<&MechanismResult>) = a
        .mechanisms
        .iter()
        .partition(|m| m.susceptibility > Susceptibility::None || m.incomplete);
    ResultView {
        grade: a.risk_grade.as_str().to_owned(),
        grade_class: a.risk_level.to_owned(),
        level: ctx.label("risk-level", a.risk_level),
        pof: a.pof_category,
        cof: c.category.as_str().to_owned(),
        consequence: match c.basis {
            "given" => ctx.t("risk-cof-given"),
            _ => {
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
        incomplete: a.incomplete,
        rule_set: format!(
            "{} · sha256 {}",
            a.rule_set.version,
            &a.rule_set.sha256[..12]
        ),
    }
}
