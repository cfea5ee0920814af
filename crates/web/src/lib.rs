//! The HTTP layer: the only crate that knows axum.
//!
//! [`Application::build`] turns a [`Config`] into a bound listener and the router, exactly
//! as production runs it; tests use [`router`] with `oneshot`, or build an application on
//! port 0.

pub mod api;
pub mod auth;
pub mod config;
pub mod error;
pub mod extract;
pub mod i18n;
pub mod jobs;
pub mod metrics;
mod middleware;
pub mod pages;
pub mod records;
pub mod search;
pub mod state;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;
use ticorr_db::Db;
use ticorr_kernel::Clock;
use ticorr_platform::{Authz, Gate};
use tokio::net::TcpListener;
use tower_http::timeout::TimeoutLayer;

pub use config::Config;
pub use state::AppState;

/// Builds the shared state: connects to the database, applies migrations, loads and
/// validates the policies and the messages.
pub async fn build_state(config: Config, clock: Clock) -> anyhow::Result<AppState> {
    config.validate().map_err(anyhow::Error::msg)?;
    let db = Db::connect(&config.resolved_database()).await?;
    db.migrate().await?;
    let authz = Authz::load()?;
    // The risk rules are checked before anything is served; an invalid file stops here.
    ticorr_platform::risk::load().map_err(anyhow::Error::msg)?;
    let i18n = i18n::I18n::load().map_err(anyhow::Error::msg)?;
    let gate = Gate::new(Arc::new(authz), clock);
    let ledger = ticorr_platform::ledger::Ledger::load(&config.ledger, &config.data_dir)?;
    let privacy = ticorr_platform::privacy::Privacy::load(&db, &config.data_dir).await?;
    let vault = ticorr_platform::vault::Vault::load(&config.data_dir, gate.clock().now())?;
    let search = open_search(&config)?;
    let mailer = ticorr_platform::notify::Mailer::new(&config.mail, &config.data_dir)
        .map_err(anyhow::Error::msg)?;
    let attachments =
        ticorr_platform::attachments::Attachments::open(&config.attachments, &config.data_dir)?;
    Ok(AppState::new(state::Inner {
        db,
        gate,
        config,
        i18n,
        metrics: metrics::Metrics::new(),
        ledger,
        privacy,
        vault,
        search,
        attachments,
        mailer,
        similar_cases: ticorr_cases::SimilarShelf::default(),
    }))
}

/// Every record type that can be searched.
pub fn search_sources() -> Vec<Arc<dyn ticorr_platform::search::Source>> {
    vec![
        Arc::new(ticorr_equipment::search::EquipmentSource),
        Arc::new(ticorr_standards::search::ClauseSource),
        Arc::new(ticorr_cases::search::CaseSource),
    ]
}

/// This node's search index, in `<data dir>/search`. An index written with another layout
/// (by an older version) is derived data: it is removed, and rebuilt once the node runs.
pub fn open_search(config: &Config) -> anyhow::Result<ticorr_platform::search::Search> {
    use ticorr_platform::search::{Search, SearchError, SearchServiceError};
    let dir = config.data_dir.join("search");
    let open = || Search::open(&dir, search_sources());
    let opened = match open() {
        Err(SearchServiceError::Index(SearchError::Layout)) => {
            tracing::warn!(dir = %dir.display(), "the search index has an older layout; rebuilding it");
            std::fs::remove_dir_all(&dir)?;
            open()
        }
        other => other,
    };
    opened.map_err(|e| anyhow::anyhow!("search index in {}: {e}", dir.display()))
}

/// The whole router: pages, API, API reference, health, metrics, static files.
pub fn router(state: AppState) -> Router {
    let (api_routes, openapi) = api::router(&state.config);
    let swagger =
        utoipa_swagger_ui::SwaggerUi::new("/api/docs").url("/api/v1/openapi.json", openapi);
    let timeout = Duration::from_secs(state.config.http.request_timeout_secs.max(1));
    Router::new()
        .merge(pages::router(&state.config))
        .merge(api_routes)
        .merge(swagger)
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics_text))
        .route("/static/app.css", get(stylesheet))
        .route("/static/job-progress.js", get(job_progress_script))
        .fallback(pages::not_found)
        .layer(DefaultBodyLimit::max(state.config.http.body_limit_bytes))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            middleware::csrf_cookie,
        ))
        .layer(axum::middleware::from_fn(middleware::security_headers))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            timeout,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            middleware::observe,
        ))
        .with_state(state)
}

/// Liveness: the process answers.
async fn healthz() -> &'static str {
    "ok"
}

/// Readiness: the database answers.
async fn readyz(State(state): State<AppState>) -> impl IntoResponse {
    match state.db.ping().await {
        Ok(()) => (StatusCode::OK, "ready"),
        Err(e) => {
            tracing::warn!(error = %e, "database not reachable");
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable")
        }
    }
}

async fn metrics_text(State(state): State<AppState>) -> impl IntoResponse {
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        state.metrics.encode(),
    )
}

const STYLESHEET: &str = include_str!("../static/app.css");

async fn stylesheet() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        STYLESHEET,
    )
}

const JOB_PROGRESS_SCRIPT: &str = include_str!("../static/job-progress.js");

/// The progress bar's script: served from our origin, as the Content-Security-Policy
/// allows no inline scripts. Pages work without it (they link to the status page).
async fn job_progress_script() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        JOB_PROGRESS_SCRIPT,
    )
}

/// A bound listener and the router, ready to serve.
pub struct Application {
    listener: TcpListener,
    state: AppState,
}

impl Application {
    /// Binds `host:port` from the configuration (port 0 picks a free port).
    pub async fn build(state: AppState) -> anyhow::Result<Application> {
        let addr = format!("{}:{}", state.config.http.host, state.config.http.port);
        let listener = TcpListener::bind(&addr)
            .await
            .map_err(|e| anyhow::anyhow!("cannot listen on {addr}: {e}"))?;
        Ok(Application { listener, state })
    }

    pub fn port(&self) -> u16 {
        self.listener
            .local_addr()
            .map(|a| a.port())
            .unwrap_or_default()
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Starts the job runtime and serves until `shutdown` completes; then finishes
    /// in-flight requests, lets running jobs finish within `jobs.shutdown_grace_secs`, and
    /// closes the database.
    pub async fn run_until(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let runtime = jobs::start(&self.state).await?;
        let app = router(self.state.clone());
        let (stop, stopped) = tokio::sync::watch::channel(false);
        let follower = tokio::spawn(follow_search(self.state.clone(), stopped));
        let served = axum::serve(
            self.listener,
            app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
        )
        .with_graceful_shutdown(shutdown)
        .await;
        let _ = stop.send(true);
        let _ = follower.await;
        if let Some(runtime) = runtime {
            runtime.shutdown().await;
        }
        self.state.db.close().await;
        served?;
        Ok(())
    }
}

/// How often this node's search index looks for committed changes it has not applied.
const SEARCH_FOLLOW_INTERVAL: Duration = Duration::from_secs(2);

/// Keeps this node's search index following the change feed (and builds it when it is
/// missing) until `stopped` turns true. Searches also catch up before they run.
async fn follow_search(state: AppState, mut stopped: tokio::sync::watch::Receiver<bool>) {
    loop {
        if let Err(e) = state.search.catch_up(&state.db).await {
            tracing::warn!(error = %e, "the search index could not catch up; retrying");
        }
        tokio::select! {
            _ = tokio::time::sleep(SEARCH_FOLLOW_INTERVAL) => {}
            _ = stopped.changed() => return,
        }
    }
}
