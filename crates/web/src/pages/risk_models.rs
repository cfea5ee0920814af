//! The learned risk model's pages: its versions, one version's measurements, and the box
//! on the equipment page with the newest version's figures for the item.

use askama::Template;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use ticorr_cases::learned::{CalibrationBin, FEATURES};
use ticorr_cases::risk_models::{self, ItemFigures, VersionSummary};
use ticorr_platform::ledger::LedgerRef;

use super::cases::mechanism_name;
use super::{CsrfForm, PageCtx, PageErrorKind, render, see_other};
use crate::state::AppState;

/// A yearly frequency as people read it: three decimals down to 0.01, then powers of ten.
pub fn rate(x: f64) -> String {
    if x >= 0.01 {
        format!("{x:.3}")
    } else if x > 0.0 {
        format!("{x:.1e}")
    } else {
        "0".to_owned()
    }
}

fn auc(x: f64) -> String {
    format!("{x:.3}")
}

fn susceptibility_label(ctx: &PageCtx, s: ticorr_risk::Susceptibility) -> String {
    ctx.t(&format!("susceptibility-{}", s.as_str()))
}

/// One mechanism's line in the equipment page's box.
pub struct LearnedRow {
    pub(super) mechanism: String,
    pub(super) susceptibility: String,
    pub(super) per_year: String,
    pub(super) category: u8,
    pub(super) screening_category: u8,
    pub(super) auc: String,
}

/// The newest version's figures for an item, as the equipment page shows them.
pub struct LearnedBox {
    pub(super) version: i64,
    pub(super) intro: String,
    pub(super) trained: String,
    pub(super) ledger: Option<LedgerRef>,
    pub(super) bands_unverified: bool,
    pub(super) rows: Vec<LearnedRow>,
}

/// How many mechanisms the equipment page lists (the highest figures).
const ITEM_ROWS: usize = 5;

pub fn learned_box(ctx: &PageCtx, f: Option<ItemFigures>) -> Option<LearnedBox> {
    let f = f?;
    Some(LearnedBox {
        version: f.version,
        intro: ctx.tn(
            "equipment-learned-intro",
            &[
                ("version", f.version.to_string()),
                ("years", format!("{}–{}", f.first_year, f.last_year)),
            ],
        ),
        trained: f.trained_at.human(),
        ledger: f.ledger,
        bands_unverified: f.bands_verification != "verified",
        rows: f
            .predictions
            .iter()
            .take(ITEM_ROWS)
            .map(|p| LearnedRow {
                mechanism: mechanism_name(ctx.lang, p.mechanism),
                susceptibility: susceptibility_label(ctx, p.susceptibility),
                per_year: rate(p.per_year),
                category: p.category,
                screening_category: p.screening_category,
                auc: auc(p.cv_auc),
            })
            .collect(),
    })
}

#[derive(Template)]
#[template(path = "risk_models.html")]
struct ListPage<'a> {
    ctx: &'a PageCtx,
    versions: Vec<VersionSummary>,
    may_train: bool,
}

impl ListPage<'_> {
    fn auc_range(&self, v: &VersionSummary) -> String {
        match (v.min_auc, v.max_auc) {
            (Some(a), Some(b)) => format!("{}–{}", auc(a), auc(b)),
            _ => "—".to_owned(),
        }
    }
}

pub async fn list(ctx: PageCtx, State(state): State<AppState>) -> Response {
    match risk_models::list(&state.db).await {
        Ok(versions) => render(&ListPage {
            may_train: risk_models::may_train(&state.gate, ctx.caller()),
            ctx: &ctx,
            versions,
        }),
        Err(e) => super::cases::fail(&ctx, e).into_response(),
    }
}

#[derive(serde::Deserialize)]
pub struct TrainForm {}

pub async fn train(State(state): State<AppState>, form: CsrfForm<TrainForm>) -> Response {
    let ctx = form.ctx;
    if let Err(e) = ctx.require_actor() {
        return e.into_response();
    }
    match risk_models::request(&state.db, &state.gate, ctx.caller()).await {
        Ok(job) => see_other(&format!("/jobs/{job}")),
        Err(e) => super::cases::fail(&ctx, e).into_response(),
    }
}

struct CalibrationRow {
    range: String,
    count: usize,
    predicted: String,
    observed: String,
}

struct LevelView {
    susceptibility: String,
    items: usize,
    cases: usize,
    observed: String,
    predicted: String,
    screening: u8,
    learned: String,
}

struct MechanismView {
    id: String,
    name: String,
    cases: usize,
    cv_auc: String,
    rule_auc: String,
    calibration: Vec<CalibrationRow>,
    levels: Vec<LevelView>,
    coefficients: Vec<(String, String)>,
    intercept: String,
}

#[derive(Template)]
#[template(path = "risk_model.html")]
struct DetailPage<'a> {
    ctx: &'a PageCtx,
    version: i64,
    trained: String,
    ledger: Option<LedgerRef>,
    items: usize,
    cases: usize,
    years: String,
    rule_set: String,
    bands_unverified: bool,
    quality_text: String,
    mechanisms: Vec<MechanismView>,
    skipped: Vec<(String, usize, String)>,
}

fn calibration_row(b: &CalibrationBin) -> CalibrationRow {
    CalibrationRow {
        range: format!("{}–{}", rate(b.from), rate(b.to)),
        count: b.count,
        predicted: rate(b.predicted),
        observed: rate(b.observed),
    }
}

pub async fn detail(
    ctx: PageCtx,
    State(state): State<AppState>,
    Path(version): Path<i64>,
) -> Response {
    let r = match risk_models::get(&state.db, Some(version)).await {
        Ok(Some(r)) => r,
        Ok(None) => return ctx.error(PageErrorKind::NotFound).into_response(),
        Err(e) => return super::cases::fail(&ctx, e).into_response(),
    };
    let f = &r.model.fitted;
    let none = || "—".to_owned();
    let mechanisms = f
        .mechanisms
        .iter()
        .map(|m| MechanismView {
            id: m.mechanism.as_str().to_owned(),
            name: mechanism_name(ctx.lang, m.mechanism),
            cases: m.cases,
            cv_auc: auc(m.cv_auc),
            rule_auc: auc(m.rule_auc),
            calibration: m.calibration.iter().map(calibration_row).collect(),
            levels: m
                .levels
                .iter()
                .map(|l| LevelView {
                    susceptibility: susceptibility_label(&ctx, l.susceptibility),
                    items: l.items,
                    cases: l.cases,
                    observed: l.observed_per_year.map(rate).unwrap_or_else(none),
                    predicted: l.predicted_per_year.map(rate).unwrap_or_else(none),
                    screening: l.screening_category,
                    learned: l
                        .learned_category
                        .map(|c| c.to_string())
                        .unwrap_or_else(none),
                })
                .collect(),
            coefficients: FEATURES
                .iter()
                .zip(&m.coefficients)
                .map(|(f, b)| ((*f).to_owned(), format!("{b:+.3}")))
                .collect(),
            intercept: format!("{:+.3}", m.intercept),
        })
        .collect();
    let skipped = f
        .skipped
        .iter()
        .map(|s| {
            (
                mechanism_name(ctx.lang, s.mechanism),
                s.cases,
                s.reason.clone(),
            )
        })
        .collect();
    render(&DetailPage {
        version: r.model.version,
        trained: r.model.trained_at.human(),
        ledger: r.ledger,
        items: f.items,
        cases: f.cases,
        years: format!("{}–{}", f.first_year, f.last_year),
        rule_set: format!(
            "{} · {}",
            f.rule_set.version,
            &f.rule_set.sha256[..12.min(f.rule_set.sha256.len())]
        ),
        bands_unverified: f.bands_verification != "verified",
        quality_text: ctx.tn(
            "model-quality-text",
            &[
                ("folds", f.settings.folds.to_string()),
                ("min", f.settings.min_cases.to_string()),
            ],
        ),
        mechanisms,
        skipped,
        ctx: &ctx,
    })
}
