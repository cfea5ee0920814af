//! `ticorr keys …`: the master key and the organisations' data keys.

use anyhow::bail;
use ticorr_kernel::{Clock, OrgId};
use ticorr_platform::identity::orgs;
use ticorr_platform::vault::{self, KeySource, Vault};
use ticorr_web::Config;

use crate::cli::KeysCommand;
use crate::config;

pub async fn run(cfg: Config, command: KeysCommand) -> anyhow::Result<()> {
    let now = Clock::system().now();
    if let KeysCommand::NewMaster = command {
        println!("{}", vault::new_master_key(now)?);
        return Ok(());
    }
    config::ensure_data_dir(&cfg)?;
    let db = ticorr_db::Db::connect(&cfg.resolved_database()).await?;
    db.migrate().await?;
    let vault = Vault::load(&cfg.data_dir, now)?;
    let source = match vault.source() {
        KeySource::File(p) => p.display().to_string(),
        KeySource::Environment => vault::MASTER_KEY_ENV.to_owned(),
    };
    match command {
        KeysCommand::NewMaster => unreachable!("answered above"),
        KeysCommand::Status => {
            let s = vault.status(&db).await?;
            println!("master keys from {source}:");
            for (i, (id, n)) in s.masters.iter().enumerate() {
                let role = if i == 0 { "current" } else { "older  " };
                println!("  {role} {id}: wraps {n} data keys");
            }
            for (id, n) in &s.orphaned {
                println!(
                    "  MISSING {id}: wraps {n} data keys that cannot be opened until it is configured again"
                );
            }
            println!("destroyed data keys: {}", s.destroyed);
            if !s.orphaned.is_empty() {
                bail!("some data keys are wrapped with a master key that is not configured");
            }
            Ok(())
        }
        KeysCommand::Rotate { generate } => {
            let r = vault.rotate(&db, generate, now).await?;
            println!(
                "{} data keys re-wrapped with master key {}",
                r.rewrapped, r.master_id
            );
            if !r.retired.is_empty() {
                println!(
                    "older master keys still configured: {}. Restart every server so it wraps new \
                     data keys with {}, then run `ticorr keys retire`.",
                    r.retired.join(", "),
                    r.master_id
                );
            }
            Ok(())
        }
        KeysCommand::Retire => {
            let r = vault.retire(&db, now).await?;
            println!(
                "{} data keys re-wrapped with master key {}",
                r.rewrapped, r.master_id
            );
            match vault.source() {
                KeySource::File(p) if !r.retired.is_empty() => {
                    println!("removed from {}: {}", p.display(), r.retired.join(", "))
                }
                KeySource::Environment if !r.retired.is_empty() => println!(
                    "no data key needs {} any more: remove them from {}",
                    r.retired.join(", "),
                    vault::MASTER_KEY_ENV
                ),
                _ => println!("no older master key was configured"),
            }
            Ok(())
        }
        KeysCommand::Destroy { org, yes } => {
            let org: OrgId = org
                .parse()
                .map_err(|_| anyhow::anyhow!("--org must be an organisation id (a UUID)"))?;
            let mut conn = db.pool().acquire().await?;
            let Some(name) = orgs::load(&mut conn, org).await?.map(|o| o.name) else {
                bail!("no organisation {org}");
            };
            drop(conn);
            if !yes {
                bail!(
                    "this erases every sealed private field of {name} ({org}) for good; \
                     run again with --yes to proceed"
                );
            }
            let existed = vault::destroy(&db, org, now).await?;
            if existed {
                println!(
                    "the data key of {name} was destroyed; its sealed fields can no longer be read"
                );
            } else {
                println!("{name} had no data key; none will be created for it from now on");
            }
            Ok(())
        }
    }
}
