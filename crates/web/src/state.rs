//! Shared application state, built once at start-up.

use std::sync::Arc;

use ticorr_db::Db;
use ticorr_platform::Gate;
use ticorr_platform::attachments::Attachments;
use ticorr_platform::ledger::Ledger;
use ticorr_platform::notify::Mailer;
use ticorr_platform::privacy::Privacy;
use ticorr_platform::search::Search;
use ticorr_platform::vault::Vault;

use crate::config::Config;
use crate::i18n::I18n;
use crate::metrics::Metrics;

/// Everything handlers share. Cheap to clone.
#[derive(Clone, Debug)]
pub struct AppState(Arc<Inner>);

#[derive(Debug)]
pub struct Inner {
    pub db: Db,
    pub gate: Gate,
    pub config: Config,
    pub i18n: I18n,
    pub metrics: Metrics,
    pub ledger: Ledger,
    pub privacy: Privacy,
    pub vault: Vault,
    pub search: Search,
    /// The object store of attached files.
    pub attachments: Attachments,
    /// Sends notification e-mail (used by the `notify.email` job handler).
    pub mailer: Mailer,
    /// The failure cases' similar-case index.
    pub similar_cases: ticorr_cases::SimilarShelf,
}

impl AppState {
    pub fn new(inner: Inner) -> Self {
        AppState(Arc::new(inner))
    }
}

impl Inner {
    /// The failure-case module's services for one call.
    pub fn cases(&self) -> ticorr_cases::Cases<'_> {
        ticorr_cases::Cases {
            db: &self.db,
            gate: &self.gate,
            vault: &self.vault,
            privacy: &self.privacy,
            config: &self.config.cases,
            files: &self.attachments,
            shelf: &self.similar_cases,
        }
    }
}

impl std::ops::Deref for AppState {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}
