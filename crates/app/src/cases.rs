//! `ticorr cases …`: measurements of the failure-case module.

use std::collections::BTreeMap;

use anyhow::{Context, bail};
use ticorr_cases::similar::{Metrics, Weights};
use ticorr_kernel::Clock;
use ticorr_web::Config;

use crate::cli::CasesCommand;
use crate::config;

/// The file beside the demo's accounts that labels every demo case with its family.
pub const FAMILIES_FILE: &str = "demo-case-families.json";

pub async fn run(cfg: Config, command: CasesCommand) -> anyhow::Result<()> {
    match command {
        CasesCommand::Evaluate => evaluate(cfg).await,
    }
}

fn weights(w: &Weights) -> String {
    format!(
        "text {:.1} · parameters {:.1} · mechanism {:.1} · root causes {:.1}",
        w.text, w.parameters, w.mechanism, w.root_causes
    )
}

fn metrics(m: &Metrics) -> String {
    format!(
        "precision@5 {:.3}   recall@10 {:.3}   ({} queries)",
        m.precision_at_5, m.recall_at_10, m.queries
    )
}

async fn evaluate(cfg: Config) -> anyhow::Result<()> {
    let path = cfg.data_dir.join(FAMILIES_FILE);
    if !path.exists() {
        bail!(
            "{} is missing: run `ticorr demo` on this data directory first (the measurement uses the demo's case families)",
            path.display()
        );
    }
    let families: BTreeMap<String, usize> = serde_json::from_str(
        &std::fs::read_to_string(&path)
            .with_context(|| format!("cannot read {}", path.display()))?,
    )
    .with_context(|| format!("{} is not valid", path.display()))?;
    config::ensure_data_dir(&cfg)?;
    // The module without the web state: a running demo keeps the search index locked.
    let db = ticorr_db::Db::connect(&cfg.resolved_database()).await?;
    db.migrate().await?;
    let clock = Clock::system();
    let gate = ticorr_platform::Gate::new(
        std::sync::Arc::new(ticorr_platform::Authz::load()?),
        clock.clone(),
    );
    let vault = ticorr_platform::vault::Vault::load(&cfg.data_dir, clock.now())?;
    let privacy = ticorr_platform::privacy::Privacy::load(&db, &cfg.data_dir).await?;
    let shelf = ticorr_cases::SimilarShelf::default();
    let files = ticorr_platform::attachments::Attachments::open(&cfg.attachments, &cfg.data_dir)?;
    let cases = ticorr_cases::Cases {
        db: &db,
        gate: &gate,
        vault: &vault,
        privacy: &privacy,
        config: &cfg.cases,
        files: &files,
        shelf: &shelf,
    };
    let started = std::time::Instant::now();
    let r = cases.measure_recommender(&families).await?;
    println!("Similar-case recommender, on the demo's published cases");
    println!(
        "  index: {} published cases, {} of them in {} labelled families; {} families held out",
        r.cases, r.labelled, r.families, r.held_out_families
    );
    println!("  tuned on the training families: {}", weights(&r.tuned));
    println!("    training:         {}", metrics(&r.tuned_on_training));
    println!("  held-out families:");
    println!(
        "    hybrid (shipped:  {})\n                      {}",
        weights(&r.shipped),
        metrics(&r.shipped_on_held_out)
    );
    println!("    hybrid (tuned):   {}", metrics(&r.tuned_on_held_out));
    println!(
        "    text only:        {}",
        metrics(&r.text_only_on_held_out)
    );
    println!(
        "    ceiling:          {}  (every other family member ranked first)",
        metrics(&r.ceiling_on_held_out)
    );
    println!("  measured in {:.1} s", started.elapsed().as_secs_f64());

    let started = std::time::Instant::now();
    let platform = ticorr_platform::Caller {
        principal: ticorr_platform::Principal::Platform,
        ip: None,
    };
    let fitted = ticorr_cases::risk_models::measure(&db, &gate, &platform, cfg.cases.model).await?;
    print_model(&fitted);
    println!("  measured in {:.1} s", started.elapsed().as_secs_f64());
    Ok(())
}

fn print_model(f: &ticorr_cases::learned::Fitted) {
    let s = &f.settings;
    println!();
    println!("Learned risk model, on the registry and the published cases");
    println!(
        "  {} items, {} published cases of {}–{}; logistic regression (L2 {}), {} stratified folds",
        f.items, f.cases, f.first_year, f.last_year, s.alpha, s.folds
    );
    println!("  cross-validated AUC of the model against the rule file's susceptibility alone:");
    for m in &f.mechanisms {
        println!(
            "    {:<28} {:>5} cases   model {:.3}   rule file {:.3}",
            m.mechanism.as_str(),
            m.cases,
            m.cv_auc,
            m.rule_auc
        );
    }
    for sk in &f.skipped {
        println!(
            "    {:<28} {:>5} cases   no model: {}",
            sk.mechanism.as_str(),
            sk.cases,
            sk.reason
        );
    }
    println!(
        "  calibration (held-out predictions in tenths: mean predicted → observed share of cases):"
    );
    for m in &f.mechanisms {
        let bins: Vec<String> = m
            .calibration
            .iter()
            .map(|b| format!("{:.3}→{:.3}", b.predicted, b.observed))
            .collect();
        println!("    {:<28} {}", m.mechanism.as_str(), bins.join(" "));
    }
    println!(
        "  by screening level (items, cases, observed and model cases per item-year, screening → learned POF category; bands {}):",
        f.bands_verification
    );
    for m in &f.mechanisms {
        println!("    {}", m.mechanism.as_str());
        for l in m.levels.iter().filter(|l| l.items > 0 || l.cases > 0) {
            let rate = |x: Option<f64>| x.map_or("—".to_owned(), |x| format!("{x:.4}"));
            println!(
                "      {:<10} {:>6} items {:>5} cases   observed {:>7}   model {:>7}   category {} → {}",
                l.susceptibility.as_str(),
                l.items,
                l.cases,
                rate(l.observed_per_year),
                rate(l.predicted_per_year),
                l.screening_category,
                l.learned_category.map_or("—".to_owned(), |c| c.to_string())
            );
        }
    }
}
