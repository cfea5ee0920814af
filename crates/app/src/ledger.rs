//! `ticorr ledger …`: verification of the transparency log.

use anyhow::{Context, anyhow, bail};
use ticorr_ledger::{InclusionBundle, TrustPolicy, VerifierKey};
use ticorr_platform::ledger::{self, Ledger};
use ticorr_web::Config;

use crate::cli::LedgerCommand;
use crate::config;

pub async fn run(cfg: Config, command: LedgerCommand) -> anyhow::Result<()> {
    match command {
        LedgerCommand::Key => {
            let ledger = Ledger::load(&cfg.ledger, &cfg.data_dir)?;
            println!("origin: {}", ledger.origin());
            println!("key:    {}", ledger.verifier_key());
            for w in ledger.witnesses() {
                println!("witness: {w}");
            }
            Ok(())
        }
        LedgerCommand::Verify => {
            config::ensure_data_dir(&cfg)?;
            let db = ticorr_db::Db::connect(&cfg.resolved_database()).await?;
            db.migrate().await?;
            let ledger = Ledger::load(&cfg.ledger, &cfg.data_dir)?;
            let report = ledger::verify_all(&db, &ledger, |ty, id| {
                let db = db.clone();
                async move { ticorr_web::records::current(&db, &ty, &id).await }
            })
            .await?;
            println!(
                "ledger: {} entries, {} checkpoints, {} anchored records checked",
                report.size, report.checkpoints, report.records
            );
            if report.problems.is_empty() {
                println!("ok: the log, its checkpoints and every anchored record agree");
                Ok(())
            } else {
                for p in &report.problems {
                    eprintln!("tampered: {p}");
                }
                bail!("{} problem(s) found", report.problems.len())
            }
        }
        LedgerCommand::VerifyProof {
            bundle,
            log_key,
            witness,
            quorum,
        } => {
            let text = std::fs::read_to_string(&bundle)
                .with_context(|| format!("cannot read {}", bundle.display()))?;
            let bundle: InclusionBundle = serde_json::from_str(&text)
                .with_context(|| format!("{} is not a bundle", bundle.display()))?;
            let log_key = VerifierKey::parse(&log_key).map_err(|e| anyhow!("--log-key: {e}"))?;
            let witnesses = witness
                .iter()
                .map(|w| VerifierKey::parse(w).map_err(|e| anyhow!("--witness {w}: {e}")))
                .collect::<anyhow::Result<Vec<_>>>()?;
            let origin = log_key.name().to_owned();
            let policy = TrustPolicy::new(log_key)
                .with_origin(&origin)
                .with_witnesses(witnesses, quorum);
            let verified = ticorr_ledger::verify_bundle(&bundle, &policy)
                .map_err(|e| anyhow!("the proof does not verify: {e}"))?;
            println!(
                "ok: {} {} version {} is entry {} of the log at size {} (root {}), cosigned by {} witness(es)",
                bundle.record_type,
                bundle.record_id,
                bundle.version,
                bundle.leaf_index,
                verified.checkpoint.size(),
                verified.checkpoint.root().to_base64(),
                verified.cosignatures.len()
            );
            Ok(())
        }
    }
}
