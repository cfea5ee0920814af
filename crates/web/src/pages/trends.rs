//! Failure-case trends for regulators and research institutions: published cases counted
//! by mechanism, industry, province and year, released only through the
//! differential-privacy statistics (noisy counts, small cells suppressed, the ε charged to
//! the organisation's monthly budget).

use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use ticorr_platform::stats::{self, Dimension, Measure, Release, StatsFilters, StatsQuery};

use super::{CsrfForm, PageCtx, PageErrorKind, render};
use crate::i18n::Lang;
use crate::state::AppState;

/// The dimensions a trend report groups by.
const DIMENSIONS: [Dimension; 4] = [
    Dimension::Mechanism,
    Dimension::FailureYear,
    Dimension::Industry,
    Dimension::Province,
];

#[derive(Template)]
#[template(path = "case_trends.html")]
struct TrendsPage<'a> {
    ctx: &'a PageCtx,
    /// (dimension, label, checked).
    dimensions: Vec<(String, String, bool)>,
    epsilon: String,
    privacy_note: String,
    release: Option<Release>,
    release_note: String,
    /// The released cells in words: the key's values, then the count or the suppression.
    headers: Vec<String>,
    rows: Vec<(Vec<String>, Option<String>)>,
    error: Option<String>,
}

fn value_label(ctx: &PageCtx, d: Dimension, v: &str) -> String {
    match d {
        Dimension::Mechanism => super::cases::mechanism_label(ctx.lang, v),
        Dimension::Industry => super::standards::industry_name(ctx, v),
        Dimension::Province => match ticorr_platform::refdata::get().region(v) {
            Some(r) if ctx.lang == Lang::Zh => r.name_zh.clone(),
            Some(r) => r.name_en.clone(),
            None => match ctx.lang {
                Lang::Zh => v.to_owned(),
                Lang::En => ticorr_cases::publication::area_en(v).to_owned(),
            },
        },
        _ => v.to_owned(),
    }
}

fn page(
    ctx: &PageCtx,
    state: &AppState,
    chosen: &[Dimension],
    epsilon: String,
    release: Option<Release>,
    error: Option<String>,
) -> Response {
    let config = &state.config.stats;
    let headers: Vec<String> = release
        .iter()
        .flat_map(|r| r.group_by.iter())
        .map(|d| ctx.label("trend-dim", d.as_str()))
        .collect();
    let rows = release
        .iter()
        .flat_map(|r| {
            r.cells.iter().map(|c| {
                let key = r
                    .group_by
                    .iter()
                    .map(|d| value_label(ctx, *d, c.key.get(d.as_str()).map_or("", String::as_str)))
                    .collect();
                (key, c.value.map(|v| format!("{v:.0}")))
            })
        })
        .collect();
    render(&TrendsPage {
        dimensions: DIMENSIONS
            .iter()
            .map(|d| {
                (
                    d.as_str().to_owned(),
                    ctx.label("trend-dim", d.as_str()),
                    chosen.contains(d),
                )
            })
            .collect(),
        epsilon,
        privacy_note: ctx.tn(
            "trends-privacy",
            &[
                ("max", config.max_epsilon_per_query.to_string()),
                ("min", config.min_contributors.to_string()),
                ("bound", config.contribution_bound.to_string()),
            ],
        ),
        release_note: release
            .as_ref()
            .map(|r| {
                ctx.tn(
                    "trends-release",
                    &[
                        ("epsilon", r.epsilon.to_string()),
                        ("mechanism", r.mechanism.clone()),
                        ("remaining", format!("{:.2}", r.budget.epsilon_remaining)),
                    ],
                )
            })
            .unwrap_or_default(),
        release,
        headers,
        rows,
        error,
        ctx,
    })
}

pub async fn form(ctx: PageCtx, State(state): State<AppState>) -> Response {
    if let Err(e) = ctx.require_actor() {
        return e.into_response();
    }
    page(
        &ctx,
        &state,
        &[Dimension::Mechanism, Dimension::FailureYear],
        "0.5".into(),
        None,
        None,
    )
}

#[derive(Deserialize)]
pub struct TrendForm {
    #[serde(default)]
    epsilon: String,
}

/// Runs the report: one differential-privacy release, charged to the caller's budget.
pub async fn run(State(state): State<AppState>, form: CsrfForm<TrendForm>) -> Response {
    let CsrfForm { ctx, form, pairs } = form;
    if let Err(e) = ctx.require_actor() {
        return e.into_response();
    }
    let chosen: Vec<Dimension> = pairs
        .iter()
        .filter(|(k, _)| k == "by")
        .filter_map(|(_, v)| v.parse().ok())
        .filter(|d| DIMENSIONS.contains(d))
        .collect();
    let epsilon = match form.epsilon.trim().parse::<f64>() {
        Ok(e) => Some(e),
        Err(_) => {
            let message = ctx.t("trends-epsilon-invalid");
            return page(&ctx, &state, &chosen, form.epsilon, None, Some(message));
        }
    };
    let q = StatsQuery {
        measure: Measure::CaseCount,
        group_by: chosen.clone(),
        filters: StatsFilters::default(),
        epsilon,
    };
    match stats::query(
        &state.db,
        &state.gate,
        &state.config.stats,
        ctx.caller(),
        &q,
        ticorr_cases::stat_rows,
    )
    .await
    {
        Ok(release) => page(&ctx, &state, &chosen, form.epsilon, Some(release), None),
        Err(stats::StatsError::Invalid(f)) => page(
            &ctx,
            &state,
            &chosen,
            form.epsilon,
            None,
            Some(f.to_string()),
        ),
        Err(stats::StatsError::Budget(e)) => page(
            &ctx,
            &state,
            &chosen,
            form.epsilon,
            None,
            Some(e.to_string()),
        ),
        Err(stats::StatsError::NotFound | stats::StatsError::Forbidden) => {
            ctx.error(PageErrorKind::Forbidden).into_response()
        }
        Err(e) => ctx.storage_error(e).into_response(),
    }
}
