//! `ticorr demo`: the embedded default. Creates the data directory, migrates, seeds the
//! synthetic national dataset on first start (with progress), prints one login per user
//! type, writes them to `<data-dir>/demo-accounts.json`, and serves on 127.0.0.1.

use std::time::Instant;

use anyhow::Context;
use indicatif::{ProgressBar, ProgressStyle};
use ticorr_demo::{DemoAccount, Stage};
use ticorr_kernel::Clock;
use ticorr_web::Config;

use crate::config;

pub async fn run(mut cfg: Config, port: u16) -> anyhow::Result<()> {
    cfg.http.host = "127.0.0.1".into();
    cfg.http.port = port;
    config::init_logging(&cfg);
    config::ensure_data_dir(&cfg)?;
    let accounts_file = cfg.data_dir.join("demo-accounts.json");
    let state = ticorr_web::build_state(cfg.clone(), Clock::system()).await?;

    let accounts: Vec<DemoAccount> = if ticorr_demo::is_seeded(&state.db).await? {
        let text = std::fs::read_to_string(&accounts_file).with_context(|| {
            format!(
                "the database is seeded but {} is missing",
                accounts_file.display()
            )
        })?;
        serde_json::from_str(&text)
            .with_context(|| format!("{} is not valid", accounts_file.display()))?
    } else {
        println!("Seeding the synthetic national dataset (first start)…");
        let started = Instant::now();
        let bar = ProgressBar::new(0);
        bar.set_style(
            ProgressStyle::with_template("{msg:>14} [{bar:40}] {pos}/{len}")
                .expect("template is valid")
                .progress_chars("=> "),
        );
        let progress = |stage: Stage, done: u64, total: u64| {
            bar.set_message(match stage {
                Stage::Organizations => "organisations",
                Stage::People => "people",
                Stage::Equipment => "equipment",
            });
            bar.set_length(total);
            bar.set_position(done);
        };
        let report = ticorr_demo::seed(&state.db, &cfg.identity, &progress).await?;
        bar.finish_and_clear();
        println!(
            "Seeded {} organisations in {} provinces, {} people, {} equipment items in {:.1} s.",
            report.organizations,
            report.provinces,
            report.people,
            report.equipment,
            started.elapsed().as_secs_f64()
        );
        std::fs::write(
            &accounts_file,
            serde_json::to_string_pretty(&report.accounts)?,
        )
        .with_context(|| format!("cannot write {}", accounts_file.display()))?;
        report.accounts
    };

    let app = ticorr_web::Application::build(state).await?;
    let url = format!("http://127.0.0.1:{}", app.port());
    println!();
    println!("Ticorr demo: {url}");
    println!("Demo logins (also in {}):", accounts_file.display());
    for a in &accounts {
        println!("  {:<20} {:<34} {}", a.kind, a.email, a.password);
    }
    println!("Press Ctrl-C to stop; a second start reuses the data.");
    app.run_until(crate::cli::shutdown_signal()).await
}
