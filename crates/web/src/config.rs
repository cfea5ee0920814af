//! The application's configuration: defaults, then a TOML file, then `TICORR_*`
//! environment variables (`TICORR_HTTP__PORT=9000` sets `[http] port`). Validated at boot.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};
use ticorr_db::DbConfig;
use ticorr_platform::attachments::AttachmentsConfig;
use ticorr_platform::identity::IdentityConfig;
use ticorr_platform::jobs::worker::JobsConfig;
use ticorr_platform::ledger::LedgerConfig;
use ticorr_platform::notify::MailConfig;
use ticorr_platform::stats::StatsConfig;

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Home of the embedded default: the SQLite file and anything else kept locally.
    pub data_dir: PathBuf,
    pub database: DbConfig,
    pub http: HttpConfig,
    pub identity: IdentityConfig,
    pub stats: StatsConfig,
    pub ledger: LedgerConfig,
    /// How notification e-mail leaves the platform (maildir or SMTP).
    pub mail: MailConfig,
    /// The job runtime: workers, leases, the scheduler.
    pub jobs: JobsConfig,
    pub attachments: AttachmentsConfig,
    /// Failure cases: the k of the k-anonymity check, grant durations.
    pub cases: ticorr_cases::CasesConfig,
    pub log: LogConfig,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct HttpConfig {
    /// Address to listen on.
    pub host: String,
    pub port: u16,
    /// Largest request body, in bytes, except uploads.
    pub body_limit_bytes: usize,
    /// Largest upload (spreadsheet imports), in bytes.
    pub upload_limit_bytes: usize,
    /// A request taking longer than this is answered 408.
    pub request_timeout_secs: u64,
    /// Take the client address from `X-Forwarded-For` (only behind a proxy that sets it).
    pub trust_forwarded_for: bool,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LogConfig {
    /// `text` for people, `json` for log collectors.
    pub format: String,
    /// A tracing filter, e.g. `info,ticorr_web=debug`.
    pub filter: String,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            data_dir: PathBuf::from("./data"),
            database: DbConfig::default(),
            http: HttpConfig::default(),
            mail: MailConfig::default(),
            identity: IdentityConfig::default(),
            stats: StatsConfig::default(),
            ledger: LedgerConfig::default(),
            jobs: JobsConfig::default(),
            attachments: AttachmentsConfig::default(),
            cases: ticorr_cases::CasesConfig::default(),
            log: LogConfig::default(),
        }
    }
}

impl Default for HttpConfig {
    fn default() -> Self {
        HttpConfig {
            host: "127.0.0.1".into(),
            port: 8080,
            body_limit_bytes: 1024 * 1024,
            upload_limit_bytes: 16 * 1024 * 1024,
            request_timeout_secs: 60,
            trust_forwarded_for: false,
        }
    }
}

impl Default for LogConfig {
    fn default() -> Self {
        LogConfig {
            format: "text".into(),
            // sqlx reports PostgreSQL notices ("already exists, skipping") at info.
            filter: "info,sqlx=warn".into(),
        }
    }
}

impl Config {
    /// The database URL, defaulting to a SQLite file in the data directory.
    pub fn database_url(&self) -> String {
        if self.database.url.is_empty() {
            format!("sqlite://{}", self.data_dir.join("ticorr.db").display())
        } else {
            self.database.url.clone()
        }
    }

    /// The database settings with the URL resolved.
    pub fn resolved_database(&self) -> DbConfig {
        DbConfig {
            url: self.database_url(),
            ..self.database.clone()
        }
    }

    pub fn validate(&self) -> Result<(), String> {
        self.identity.validate()?;
        self.jobs.validate()?;
        let s = &self.stats;
        if !(s.budget_epsilon_per_month > 0.0 && s.max_epsilon_per_query > 0.0)
            || s.min_contributors < 1
            || s.contribution_bound < 1
        {
            return Err("stats: budgets, the per-query ε, min_contributors and contribution_bound must be positive".into());
        }
        if !matches!(self.log.format.as_str(), "text" | "json") {
            return Err("log.format must be `text` or `json`".into());
        }
        if self.http.body_limit_bytes == 0 || self.http.upload_limit_bytes == 0 {
            return Err("http body limits must be positive".into());
        }
        self.attachments.validate()?;
        self.mail.validate()?;
        self.cases.validate()?;
        Ok(())
    }
}
