//! The command line: `serve`, `demo`, `migrate` and the admin commands.

use std::path::PathBuf;

use anyhow::Context;
use clap::{Parser, Subcommand};
use ticorr_kernel::Clock;

use crate::config;

#[derive(Debug, Parser)]
#[command(
    name = "ticorr",
    version,
    about = "Ticorr: the public service platform for anti-corrosion of titanium heating equipment"
)]
pub struct Cli {
    /// Home of the embedded default (SQLite file, demo accounts). Overrides `data_dir`.
    #[arg(long, global = true, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// A TOML configuration file; `TICORR_*` environment variables override it.
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum CasesCommand {
    /// Measure the similar-case recommender on the demo's case families (precision@5 and
    /// recall@10 on held-out families against a text-only baseline), and the learned risk
    /// model (cross-validated AUC against the rule file alone, calibration, and the yearly
    /// frequency per screening level). Run `ticorr demo` on the same data directory first.
    Evaluate,
}

#[derive(Debug, Subcommand)]
pub enum LedgerCommand {
    /// Recompute the whole log and check every entry, node, checkpoint, cosignature and
    /// anchored record; exits non-zero naming what was changed behind the platform's back.
    Verify,
    /// Check an exported inclusion bundle offline (no database): the record, its leaf, the
    /// inclusion proof and the signed checkpoint.
    VerifyProof {
        /// The bundle (JSON from GET /api/v1/ledger/records/{type}/{id}/bundle).
        #[arg(long)]
        bundle: std::path::PathBuf,
        /// The log's verifier key.
        #[arg(long)]
        log_key: String,
        /// A witness verifier key; repeat for several.
        #[arg(long)]
        witness: Vec<String>,
        /// How many of the witnesses must have cosigned.
        #[arg(long, default_value_t = 0)]
        quorum: usize,
    },
    /// Print the log's origin and verifier key.
    Key,
}

#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Show the master keys and how many data keys each wraps.
    Status,
    /// Re-wrap every organisation's data key with the current master key.
    Rotate {
        /// First create a new master key and make it current (key file only).
        #[arg(long)]
        generate: bool,
    },
    /// After a rotation and a restart of every server: re-wrap what is left and drop the
    /// older master keys from the key file.
    Retire,
    /// Destroy an organisation's data key: its sealed private fields become unreadable for
    /// good (crypto-shredding).
    Destroy {
        /// The organisation's id.
        #[arg(long)]
        org: String,
        /// Confirm; without it nothing is done.
        #[arg(long)]
        yes: bool,
    },
    /// Print a new master key (`<id>:<hex>`) for a key kept in TICORR_MASTER_KEY.
    NewMaster,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the platform (production).
    Serve,
    /// Seed a synthetic national dataset on first start, print one login per user type,
    /// and serve on 127.0.0.1.
    Demo {
        /// Port to listen on.
        #[arg(long, default_value_t = 8080)]
        port: u16,
    },
    /// Apply database migrations and exit.
    Migrate,
    /// Rebuild this node's search index (`<data dir>/search`) from the database. Run it
    /// with the node's server stopped; the server itself builds a missing index at start.
    Reindex,
    /// The transparency log: verify it, check an exported proof offline, show its key.
    Ledger {
        #[command(subcommand)]
        command: LedgerCommand,
    },
    /// Run an independent witness that cosigns the log's checkpoints after checking they
    /// extend what it cosigned before.
    Witness {
        /// The platform's base URL, e.g. http://127.0.0.1:8080.
        #[arg(long)]
        log_url: String,
        /// The log's verifier key (from `ticorr ledger key` or GET /api/v1/ledger/key).
        #[arg(long)]
        log_key: String,
        /// The witness's private key file; created (with --name) when missing.
        #[arg(long)]
        key_file: std::path::PathBuf,
        /// The witness's key name, used when creating the key.
        #[arg(long, default_value = "witness.ticorr.local")]
        name: String,
        /// Where the witness keeps the last checkpoint it cosigned.
        #[arg(long)]
        state_file: std::path::PathBuf,
        /// Seconds between rounds.
        #[arg(long, default_value_t = 10)]
        interval_secs: u64,
        /// Run one round and exit (non-zero when it refuses).
        #[arg(long)]
        once: bool,
        /// Print the witness's verifier key (for the log's `ledger.witnesses`) and exit.
        #[arg(long)]
        print_key: bool,
    },
    /// Failure cases: measure the recommender.
    Cases {
        #[command(subcommand)]
        command: CasesCommand,
    },
    /// Encryption at rest: master key rotation and crypto-shredding of an organisation's
    /// private data.
    Keys {
        #[command(subcommand)]
        command: KeysCommand,
    },
    /// Print the access matrix the policies decide (the source of docs/access-matrix.md).
    AccessMatrix,
    /// Print the effective configuration as TOML (defaults, file and environment applied).
    Config,
    /// Create the platform operator's organisation and first admin (once, on a new
    /// installation). The password is read from TICORR_OPERATOR_PASSWORD.
    CreateOperator {
        #[arg(long)]
        name: String,
        #[arg(long)]
        email: String,
        /// GB/T 2260 region code of the operator.
        #[arg(long, default_value = "110000")]
        region: String,
    },
}

pub async fn run(cli: Cli) -> anyhow::Result<()> {
    let mut cfg = config::load(cli.config.as_deref())?;
    if let Some(dir) = cli.data_dir {
        cfg.data_dir = dir;
    }
    match cli.command {
        Command::Config => {
            println!("{}", toml::to_string_pretty(&cfg)?);
            Ok(())
        }
        Command::AccessMatrix => {
            let authz = ticorr_platform::Authz::load()?;
            print!("{}", ticorr_platform::policy::matrix::render(&authz));
            Ok(())
        }
        Command::Migrate => {
            config::init_logging(&cfg);
            config::ensure_data_dir(&cfg)?;
            let db = ticorr_db::Db::connect(&cfg.resolved_database()).await?;
            let report = db.migrate().await?;
            println!(
                "migrations: {} applied ({}), {} already present",
                report.applied.len(),
                report.applied.join(", "),
                report.already
            );
            Ok(())
        }
        Command::Reindex => {
            config::init_logging(&cfg);
            config::ensure_data_dir(&cfg)?;
            let db = ticorr_db::Db::connect(&cfg.resolved_database()).await?;
            db.migrate().await?;
            let search = ticorr_web::open_search(&cfg)?;
            let started = std::time::Instant::now();
            let documents = search
                .rebuild(&db, |read| {
                    if read % 10_000 == 0 && read > 0 {
                        eprintln!("  {read} records read");
                    }
                })
                .await?;
            println!(
                "search index rebuilt: {documents} documents in {:.1} s, at change {}",
                started.elapsed().as_secs_f64(),
                search.position()?.unwrap_or_default()
            );
            Ok(())
        }
        Command::Serve => {
            config::init_logging(&cfg);
            config::ensure_data_dir(&cfg)?;
            let state = ticorr_web::build_state(cfg, Clock::system()).await?;
            let app = ticorr_web::Application::build(state).await?;
            tracing::info!(port = app.port(), "serving");
            app.run_until(shutdown_signal()).await
        }
        Command::Demo { port } => crate::demo::run(cfg, port).await,
        Command::Ledger { command } => crate::ledger::run(cfg, command).await,
        Command::Keys { command } => crate::keys::run(cfg, command).await,
        Command::Cases { command } => crate::cases::run(cfg, command).await,
        Command::Witness {
            log_url,
            log_key,
            key_file,
            name,
            state_file,
            interval_secs,
            once,
            print_key,
        } => {
            config::init_logging(&cfg);
            let key = crate::witness::load_or_create_key(&key_file, &name)?;
            if print_key {
                println!("{}", key.verifier_key());
                return Ok(());
            }
            let witness = crate::witness::Witness {
                log_url,
                log_key: ticorr_ledger::VerifierKey::parse(&log_key)
                    .map_err(|e| anyhow::anyhow!("--log-key: {e}"))?,
                key,
                state_file,
            };
            tokio::task::spawn_blocking(move || {
                witness.run(std::time::Duration::from_secs(interval_secs.max(1)), once)
            })
            .await?
        }
        Command::CreateOperator {
            name,
            email,
            region,
        } => {
            config::ensure_data_dir(&cfg)?;
            let password = std::env::var("TICORR_OPERATOR_PASSWORD")
                .context("set TICORR_OPERATOR_PASSWORD to the operator admin's password")?;
            let db = ticorr_db::Db::connect(&cfg.resolved_database()).await?;
            db.migrate().await?;
            let org = ticorr_platform::identity::orgs::create_operator(
                &db,
                &cfg.identity,
                &name,
                &region,
                &email,
                &password,
            )
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
            println!("operator organisation {org} created; sign in as {email}");
            Ok(())
        }
    }
}

/// Resolves on Ctrl-C or SIGTERM, for a graceful shutdown.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down");
}
