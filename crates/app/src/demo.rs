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

/// The stages of a standard proposal, in the order of the lifecycle, as the summary names
/// them.
const LIFECYCLE_STAGES: [(&str, &str); 8] = [
    ("draft", "draft"),
    ("formal_check", "formal check"),
    ("expert_review", "expert review"),
    ("consultation", "public consultation"),
    ("approved", "approved"),
    ("released", "released"),
    ("rejected", "rejected"),
    ("withdrawn", "withdrawn"),
];

/// The operating parties of the platform that each run a witness in the demo.
const WITNESSES: [&str; 3] = ["association", "regulator", "operator"];

pub async fn run(mut cfg: Config, port: u16) -> anyhow::Result<()> {
    cfg.http.host = "127.0.0.1".into();
    cfg.http.port = port;
    // Demo mail goes to a maildir under the data directory, with links back to the demo.
    cfg.mail.transport = "maildir".into();
    cfg.mail.base_url = format!("http://127.0.0.1:{port}");
    if cfg.log.filter == ticorr_web::config::LogConfig::default().filter {
        // The demo's terminal is for the logins and the URL, not for a line per request.
        cfg.log.filter = "warn".into();
    }
    config::init_logging(&cfg);
    config::ensure_data_dir(&cfg)?;
    let accounts_file = cfg.data_dir.join("demo-accounts.json");
    // The three operating parties each run a witness with its own key.
    let witness_dir = cfg.data_dir.join("witnesses");
    let mut witnesses = Vec::new();
    for party in WITNESSES {
        let key_file = witness_dir.join(format!("{party}.key"));
        let key = crate::witness::load_or_create_key(
            &key_file,
            &format!("witness.{party}.ticorr.local"),
        )?;
        let vkey = key.verifier_key().to_string();
        if !cfg.ledger.witnesses.contains(&vkey) {
            cfg.ledger.witnesses.push(vkey);
        }
        witnesses.push((party, key_file, witness_dir.join(format!("{party}.state"))));
    }
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
        let census = ticorr_equipment::risk::grade_census(&state.db).await?;
        let line: Vec<String> = census
            .iter()
            .map(|(g, n)| match g.as_str() {
                "ungraded" => format!("not graded {n} (consequence not known)"),
                _ => format!("{g} {n}"),
            })
            .collect();
        println!("Corrosion risk grades of the items: {}.", line.join(" · "));
        println!(
            "Released {} standards and documents with {} clauses.",
            report.standards, report.clauses
        );
        let stages: Vec<String> = LIFECYCLE_STAGES
            .iter()
            .map(|(stage, label)| {
                format!(
                    "{label} {}",
                    report.proposals.get(*stage).copied().unwrap_or(0)
                )
            })
            .collect();
        println!(
            "Standards lifecycle: {} proposals ({}); periodic reviews due: {}.",
            report.proposals.values().sum::<usize>(),
            stages.join(" · "),
            report.review_tasks
        );
        std::fs::write(
            &accounts_file,
            serde_json::to_string_pretty(&report.accounts)?,
        )
        .with_context(|| format!("cannot write {}", accounts_file.display()))?;
        report.accounts
    };
    // Anchor the seeded verification decisions (a no-op on later starts).
    let anchored =
        ticorr_platform::identity::orgs::anchor_unanchored(&state.db, state.gate.clock().now())
            .await
            .map_err(|e| anyhow::anyhow!("anchoring the seed: {e}"))?;
    if anchored > 0 {
        println!("Anchored {anchored} organisation verifications in the ledger.");
    }
    // The failure cases, written once (also into a demo seeded before they existed).
    let cases: i64 = ticorr_db::sqlx::query_scalar("SELECT COUNT(*) FROM cases")
        .fetch_one(state.db.pool())
        .await?;
    if cases == 0 {
        println!("Writing the synthetic failure cases…");
        let started = Instant::now();
        let bar = ProgressBar::new(0);
        bar.set_style(
            ProgressStyle::with_template("{msg:>14} [{bar:40}] {pos}/{len}")
                .expect("template is valid")
                .progress_chars("=> "),
        );
        bar.set_message("cases");
        let progress = |done: u64, total: u64| {
            bar.set_length(total);
            bar.set_position(done);
        };
        let login = accounts.iter().find(|a| a.kind == "enterprise");
        let featured = login.and_then(|a| a.organization_id.parse().ok());
        let report =
            ticorr_demo::cases::seed(state.cases(), state.gate.clock().now(), featured, &progress)
                .await?;
        bar.finish_and_clear();
        // The family of every case, for `ticorr cases evaluate`.
        let families_file = cfg.data_dir.join(crate::cases::FAMILIES_FILE);
        std::fs::write(&families_file, serde_json::to_string(&report.families)?)
            .with_context(|| format!("cannot write {}", families_file.display()))?;
        let stages: Vec<String> = report
            .by_stage
            .iter()
            .map(|(stage, n)| format!("{stage} {n}"))
            .collect();
        println!(
            "Failure cases: {} ({}) in {:.1} s.",
            report.cases,
            stages.join(" · "),
            started.elapsed().as_secs_f64()
        );
        // Applications for full records around the demo enterprise's login.
        if let (Some(org), Some(login)) = (featured, login) {
            let r = ticorr_demo::cases::seed_access(state.cases(), org, &login.email).await?;
            println!(
                "Applications for full records: {} ({} granted and read, {} refused).",
                r.requests, r.granted, r.refused
            );
        }
    }
    // The first version of the learned risk model, as the weekly job would make it.
    let platform = ticorr_platform::Caller {
        principal: ticorr_platform::Principal::Platform,
        ip: None,
    };
    let started = Instant::now();
    match ticorr_cases::risk_models::train(
        &state.db,
        &state.gate,
        &platform,
        state.config.cases.model,
        false,
        None,
    )
    .await?
    {
        ticorr_cases::risk_models::Trained::New(v) => println!(
            "Learned risk model v{v} trained in {:.1} s.",
            started.elapsed().as_secs_f64()
        ),
        ticorr_cases::risk_models::Trained::Unchanged(_) => {}
    }
    if let Some(id) = ticorr_demo::cases::seed_bulletin(state.cases()).await? {
        println!("Warning bulletin of the newest month of cases published: /bulletins/{id}");
    }
    // The cases' daily check against the released clauses, queued now so that the first
    // visit already shows the revision proposals cases opened.
    {
        let mut tx = state.db.begin().await?;
        ticorr_platform::jobs::NewJob::new(
            ticorr_cases::feedback::FEEDBACK_JOB,
            serde_json::json!({}),
        )
        .enqueue(&mut tx, state.gate.clock().now())
        .await?;
        tx.commit().await?;
    }
    let log_key = state.ledger.verifier_key().to_string();
    let maildir = state.mailer.maildir().map(|p| p.join("new"));

    let app = ticorr_web::Application::build(state).await?;
    let url = format!("http://127.0.0.1:{}", app.port());
    println!();
    println!("Ticorr demo: {url}");
    println!("Demo logins (also in {}):", accounts_file.display());
    for a in &accounts {
        println!("  {:<20} {:<34} {}", a.kind, a.email, a.password);
        if let Some(hint) = ticorr_demo::account_hint(&a.kind) {
            println!("  {:<20} └ {hint}", "");
        }
    }
    // Start the witnesses as separate processes, each with its own key and state.
    let exe = std::env::current_exe().context("cannot find the ticorr executable")?;
    let mut children = Vec::new();
    for (party, key_file, state_file) in &witnesses {
        let child = tokio::process::Command::new(&exe)
            .arg("witness")
            .arg("--log-url")
            .arg(&url)
            .arg("--log-key")
            .arg(&log_key)
            .arg("--key-file")
            .arg(key_file)
            .arg("--state-file")
            .arg(state_file)
            .arg("--interval-secs")
            .arg("5")
            .env("RUST_LOG", "warn")
            .kill_on_drop(true)
            .spawn()
            .with_context(|| format!("cannot start the {party} witness"))?;
        children.push(child);
    }
    println!("Ledger: {log_key}");
    println!(
        "Witnesses (association, regulator, operator) cosign checkpoints every 5 s: {url}/api/v1/ledger/checkpoint"
    );
    if let Some(dir) = maildir {
        println!(
            "E-mail is not sent in the demo: each message is a file in {} (one per message, plain text)",
            dir.display()
        );
    }
    println!("Press Ctrl-C to stop; a second start reuses the data.");
    let result = app.run_until(crate::cli::shutdown_signal()).await;
    for mut child in children {
        let _ = child.kill().await;
    }
    result
}
