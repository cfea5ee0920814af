//! The job runtime: handlers registered by kind, worker tasks that claim and run jobs,
//! a heartbeat that keeps a running job's lease, graceful shutdown, and the scheduler loop.
//!
//! Modules contribute handlers through one [`Handlers`] value assembled at start-up:
//!
//! ```ignore
//! let handlers = Handlers::new()
//!     .register("equipment.import", import_handler)
//!     .schedule(Recurring::new("jobs.prune", "17 3 * * *", "jobs.prune", json!({}))?);
//! let runtime = Runtime::start(db, clock, handlers, &config.jobs).await?;
//! // … serve …
//! runtime.shutdown().await;
//! ```
//!
//! A handler gets a [`JobContext`] and settles the job in one of two ways (see the
//! contract in [`super`]): it returns [`Settled::done`] and the worker marks the job done
//! (the handler must be idempotent), or it calls [`JobContext::complete_in`] inside the
//! transaction that holds its effect, so the effect commits only if the job completes.
//! An error retries the job after the backoff ([`JobFailure::retry`]) or makes it dead at
//! once ([`JobFailure::permanent`]).

use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration as StdDuration;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use sqlx::AnyConnection;
use ticorr_db::Db;
use ticorr_kernel::{Clock, Timestamp};
use time::Duration;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tracing::Instrument;

use super::schedule::{self, Recurring};
use super::{Job, JobError};
use crate::policy::{Action, Principal, Via};

/// The job runtime's settings (`[jobs]` in the configuration file).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct JobsConfig {
    /// Run workers on this node. Turn off on nodes that should only serve requests.
    pub enabled: bool,
    /// Worker tasks on this node; each runs one job at a time.
    pub workers: usize,
    /// How long an idle worker waits before looking for work again, in milliseconds.
    pub poll_interval_ms: u64,
    /// How long a claimed job is leased, in seconds. A running job's lease is extended
    /// every third of this; a worker that dies lets it run out and the job is run again.
    pub lease_secs: u64,
    /// On shutdown, how long running jobs may take to finish before they are stopped (and
    /// run again elsewhere once their lease runs out), in seconds.
    pub shutdown_grace_secs: u64,
    /// How often the scheduler looks for due recurring jobs, in seconds.
    pub schedule_interval_secs: u64,
}

impl Default for JobsConfig {
    fn default() -> Self {
        JobsConfig {
            enabled: true,
            workers: 2,
            poll_interval_ms: 1_000,
            lease_secs: 60,
            shutdown_grace_secs: 30,
            schedule_interval_secs: 15,
        }
    }
}

impl JobsConfig {
    pub fn validate(&self) -> Result<(), String> {
        if self.workers == 0 || self.workers > 256 {
            return Err("jobs.workers must be between 1 and 256".into());
        }
        if self.lease_secs < 3 {
            return Err("jobs.lease_secs must be at least 3".into());
        }
        if self.poll_interval_ms == 0 || self.schedule_interval_secs == 0 {
            return Err(
                "jobs.poll_interval_ms and jobs.schedule_interval_secs must be positive".into(),
            );
        }
        Ok(())
    }

    pub fn lease(&self) -> Duration {
        Duration::seconds(self.lease_secs as i64)
    }
}

/// How a handler settled its job.
#[must_use = "return it from the handler"]
#[derive(Debug)]
pub struct Settled(How);

#[derive(Debug)]
enum How {
    /// The handler completed the job inside its own transaction.
    Committed,
    /// The worker is to mark the job done with this result.
    Done(Option<Value>),
}

impl Settled {
    /// The job is done; the worker records `result`. Only for idempotent handlers: a
    /// worker that dies between the effect and this record runs the job again.
    pub fn done(result: Option<Value>) -> Self {
        Settled(How::Done(result))
    }
}

/// Why a handler did not finish its job.
#[derive(Debug, thiserror::Error)]
pub enum JobFailure {
    /// Worth another attempt after the backoff (the database was unreachable, a remote
    /// service answered 503 …).
    #[error("{0}")]
    Retry(String),
    /// No attempt can succeed (the payload names nothing that exists …): dead at once.
    #[error("{0}")]
    Permanent(String),
    /// The worker no longer holds the job's lease: another worker runs it now. The
    /// handler's transaction must roll back.
    #[error("the job's lease was taken over by another worker")]
    LeaseLost,
}

impl JobFailure {
    pub fn retry(e: impl std::fmt::Display) -> Self {
        JobFailure::Retry(e.to_string())
    }

    pub fn permanent(e: impl std::fmt::Display) -> Self {
        JobFailure::Permanent(e.to_string())
    }
}

/// The last error is shown to the people who follow the job; storage errors are logged
/// here and shown as this.
const STORAGE_TROUBLE: &str = "the database could not be reached; the job will be tried again";

impl From<JobError> for JobFailure {
    fn from(e: JobError) -> Self {
        match e {
            JobError::Payload(_) | JobError::Input => JobFailure::Permanent(e.to_string()),
            JobError::Storage(_) | JobError::Db(_) => {
                tracing::warn!(error = %e, "job attempt failed on storage");
                JobFailure::Retry(STORAGE_TROUBLE.into())
            }
        }
    }
}

impl From<sqlx::Error> for JobFailure {
    fn from(e: sqlx::Error) -> Self {
        JobError::Storage(e).into()
    }
}

impl From<ticorr_db::DbError> for JobFailure {
    fn from(e: ticorr_db::DbError) -> Self {
        JobError::Db(e).into()
    }
}

/// What a handler gets: the database, the claimed job, the clock, and the worker's
/// identity for the lease-guarded calls.
#[derive(Clone, Debug)]
pub struct JobContext {
    pub db: Db,
    pub job: Job,
    pub clock: Clock,
    worker: Arc<str>,
}

impl JobContext {
    /// A context for running `job` as `worker` (the runtime builds these; tests that drive
    /// a handler directly may too, after claiming the job as `worker`).
    pub fn new(db: Db, job: Job, clock: Clock, worker: &str) -> Self {
        JobContext {
            db,
            job,
            clock,
            worker: Arc::from(worker),
        }
    }

    pub fn worker(&self) -> &str {
        &self.worker
    }

    /// Completes the job with `result` and nothing else written (an outcome such as a
    /// rejected file, which is a result rather than a failure).
    pub async fn settle(&self, result: &Value) -> Result<Settled, JobFailure> {
        let mut tx = self.db.begin().await?;
        let settled = self.complete_in(&mut tx, Some(result)).await?;
        tx.commit().await?;
        Ok(settled)
    }

    /// The person who started the job, as the caller they would be now (their current
    /// rights; the same token scopes when a token started it, see [`started_via`]). `None`
    /// when the job names nobody or that person can no longer act on the platform.
    pub async fn starter(&self) -> Result<Option<crate::Caller>, JobFailure> {
        let Some(person) = self.job.started_by_person else {
            return Ok(None);
        };
        let via = match self.job.payload.get("via").filter(|v| !v.is_null()) {
            Some(v) => {
                let id = v
                    .get("token")
                    .and_then(Value::as_str)
                    .and_then(|t| t.parse().ok())
                    .ok_or_else(|| JobFailure::permanent("the job's token is unreadable"))?;
                let scopes = v
                    .get("scopes")
                    .and_then(Value::as_array)
                    .map(|a| {
                        a.iter()
                            .filter_map(|s| s.as_str()?.parse::<Action>().ok())
                            .collect()
                    })
                    .unwrap_or_default();
                Via::Token { id, scopes }
            }
            None => Via::System,
        };
        let mut conn = self.db.pool().acquire().await?;
        let actor = crate::identity::principal::load_actor(&mut conn, person, via).await?;
        Ok(actor.map(|a| crate::Caller {
            principal: Principal::Person(Box::new(a)),
            ip: None,
        }))
    }

    /// Reports how far the job got (shown by its status resource). Call it between
    /// transactions, not inside one: on SQLite a write transaction holds the write lock.
    /// A lost lease is reported as [`JobFailure::LeaseLost`].
    pub async fn progress(
        &self,
        done: i64,
        total: Option<i64>,
        note: Option<&str>,
    ) -> Result<(), JobFailure> {
        if super::set_progress(&self.db, &self.job.id, &self.worker, done, total, note).await? {
            Ok(())
        } else {
            Err(JobFailure::LeaseLost)
        }
    }

    /// Marks the job done with `result` inside the handler's transaction `conn`, which
    /// also holds the job's effect. If the lease was lost it returns
    /// [`JobFailure::LeaseLost`]; the handler returns it and drops its transaction, so the
    /// effect rolls back and the worker that now holds the job is the only one to commit.
    pub async fn complete_in(
        &self,
        conn: &mut AnyConnection,
        result: Option<&Value>,
    ) -> Result<Settled, JobFailure> {
        if super::complete_in(conn, &self.job.id, &self.worker, self.clock.now(), result).await? {
            Ok(Settled(How::Committed))
        } else {
            Err(JobFailure::LeaseLost)
        }
    }

    /// The job's input file (an upload stored with it), if any.
    pub async fn input(&self) -> Result<Option<(Option<String>, Vec<u8>)>, JobFailure> {
        let mut conn = self.db.pool().acquire().await?;
        Ok(super::input(&mut conn, &self.job.id).await?)
    }
}

type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;
type HandlerFn = Arc<dyn Fn(JobContext) -> BoxFuture<Result<Settled, JobFailure>> + Send + Sync>;

/// The job kinds this node runs and their handlers, plus the recurring jobs it declares.
#[derive(Clone, Default)]
pub struct Handlers {
    map: BTreeMap<String, HandlerFn>,
    schedules: Vec<Recurring>,
}

impl std::fmt::Debug for Handlers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Handlers")
            .field("kinds", &self.map.keys().collect::<Vec<_>>())
            .field("schedules", &self.schedules)
            .finish()
    }
}

impl Handlers {
    pub fn new() -> Self {
        Handlers::default()
    }

    /// Registers the handler of `kind`. Kinds are dotted names owned by one module
    /// (`equipment.import`, `notify.email`). Registering a kind twice is a programming
    /// error and panics at start-up.
    pub fn register<F, Fut>(mut self, kind: &str, handler: F) -> Self
    where
        F: Fn(JobContext) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<Settled, JobFailure>> + Send + 'static,
    {
        let f: HandlerFn = Arc::new(move |ctx| -> BoxFuture<Result<Settled, JobFailure>> {
            Box::pin(handler(ctx))
        });
        assert!(
            self.map.insert(kind.to_owned(), f).is_none(),
            "job kind `{kind}` registered twice"
        );
        self
    }

    /// Declares a recurring job; its kind must have a handler (on some node).
    pub fn schedule(mut self, recurring: Recurring) -> Self {
        self.schedules.push(recurring);
        self
    }

    pub fn kinds(&self) -> Vec<&str> {
        self.map.keys().map(String::as_str).collect()
    }

    pub fn schedules(&self) -> &[Recurring] {
        &self.schedules
    }

    fn get(&self, kind: &str) -> Option<HandlerFn> {
        self.map.get(kind).cloned()
    }
}

/// How one run of a claimed job ended, as the worker saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RunOutcome {
    Done,
    /// Failed; queued again or dead, as [`super::fail`] decided.
    Failed(super::JobStatus),
    /// The lease was lost while the handler ran; nothing of this run was recorded.
    LeaseLost,
}

/// Aborts a spawned task when dropped, so a stopped worker stops its handler too.
struct AbortOnDrop<T>(JoinHandle<T>);

impl<T> Drop for AbortOnDrop<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Runs one claimed job to its end: the handler in a task of its own (a panic fails the
/// job instead of the worker), a heartbeat extending the lease, then the job's outcome.
/// If the heartbeat finds the lease gone, the handler is stopped, which rolls back any
/// transaction it holds open.
pub async fn run_claimed(
    db: &Db,
    clock: &Clock,
    handlers: &Handlers,
    worker: &str,
    lease: Duration,
    job: Job,
) -> Result<RunOutcome, JobError> {
    let id = job.id.clone();
    let Some(handler) = handlers.get(&job.kind) else {
        // Claims only ask for registered kinds, so this is a bug, not a bad job.
        let status = super::fail(db, &id, worker, "no handler for this kind", clock.now()).await?;
        return Ok(status.map_or(RunOutcome::LeaseLost, RunOutcome::Failed));
    };
    let ctx = JobContext::new(db.clone(), job, clock.clone(), worker);
    let task = AbortOnDrop(tokio::spawn(handler(ctx).in_current_span()));
    let (lost_tx, mut lost_rx) = watch::channel(false);
    let beat = {
        let (db, clock, id, worker) = (db.clone(), clock.clone(), id.clone(), worker.to_owned());
        let every = StdDuration::from_millis(((lease.whole_milliseconds() / 3).max(100)) as u64);
        AbortOnDrop(tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            tick.tick().await;
            loop {
                tick.tick().await;
                match super::extend_lease(&db, &id, &worker, clock.now().plus(lease)).await {
                    Ok(true) => {}
                    Ok(false) => {
                        let _ = lost_tx.send(true);
                        return;
                    }
                    // A busy database is not a lost lease; try again at the next beat.
                    Err(e) => tracing::warn!(error = %e, "could not extend the job's lease"),
                }
            }
        }))
    };
    let mut task = task;
    let result = tokio::select! {
        r = &mut task.0 => Some(r),
        _ = lost_rx.wait_for(|lost| *lost) => None,
    };
    drop(beat);
    drop(task);
    let now = clock.now();
    let outcome = match result {
        None => {
            tracing::warn!("lease lost while running; the handler was stopped");
            RunOutcome::LeaseLost
        }
        Some(Ok(Ok(Settled(How::Committed)))) => RunOutcome::Done,
        Some(Ok(Ok(Settled(How::Done(result))))) => {
            let mut conn = db.pool().acquire().await?;
            if super::complete_in(&mut conn, &id, worker, now, result.as_ref()).await? {
                RunOutcome::Done
            } else {
                tracing::warn!("lease lost before the job could be marked done");
                RunOutcome::LeaseLost
            }
        }
        Some(Ok(Err(JobFailure::LeaseLost))) => RunOutcome::LeaseLost,
        Some(Ok(Err(JobFailure::Retry(msg)))) => {
            let status = super::fail(db, &id, worker, &msg, now).await?;
            status.map_or(RunOutcome::LeaseLost, RunOutcome::Failed)
        }
        Some(Ok(Err(JobFailure::Permanent(msg)))) => {
            let status = super::bury(db, &id, worker, &msg, now).await?;
            status.map_or(RunOutcome::LeaseLost, RunOutcome::Failed)
        }
        Some(Err(join)) => {
            let msg = if join.is_panic() {
                "the handler panicked"
            } else {
                "the handler was cancelled"
            };
            let status = super::fail(db, &id, worker, msg, now).await?;
            status.map_or(RunOutcome::LeaseLost, RunOutcome::Failed)
        }
    };
    match &outcome {
        RunOutcome::Done => tracing::info!("job done"),
        RunOutcome::Failed(status) => tracing::warn!(job.status = %status, "job failed"),
        RunOutcome::LeaseLost => {}
    }
    Ok(outcome)
}

/// Claims and runs one due job as `worker`; `None` when nothing was due.
pub async fn run_next(
    db: &Db,
    clock: &Clock,
    handlers: &Handlers,
    worker: &str,
    lease: Duration,
) -> Result<Option<RunOutcome>, JobError> {
    let kinds = handlers.kinds();
    let Some(job) = super::claim(db, worker, &kinds, clock.now(), lease).await? else {
        return Ok(None);
    };
    let span = tracing::info_span!(
        "job",
        job.id = %job.id,
        job.kind = %job.kind,
        job.attempt = job.attempt,
        worker = %worker
    );
    run_claimed(db, clock, handlers, worker, lease, job)
        .instrument(span)
        .await
        .map(Some)
}

/// The running workers and scheduler of this node.
#[derive(Debug)]
pub struct Runtime {
    stop: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
    grace: StdDuration,
}

impl Runtime {
    /// Stores the declared schedules and starts `config.workers` workers and the scheduler.
    pub async fn start(
        db: Db,
        clock: Clock,
        handlers: Handlers,
        config: &JobsConfig,
    ) -> Result<Runtime, JobError> {
        schedule::sync(&db, handlers.schedules(), clock.now()).await?;
        let (stop, _) = watch::channel(false);
        let mut tasks = Vec::new();
        let node = uuid::Uuid::now_v7().simple().to_string();
        let handlers = Arc::new(handlers);
        let poll = StdDuration::from_millis(config.poll_interval_ms.max(1));
        for n in 0..config.workers.max(1) {
            let worker = format!("{}-{n}", &node[node.len() - 12..]);
            let (db, clock, handlers, rx) = (
                db.clone(),
                clock.clone(),
                handlers.clone(),
                stop.subscribe(),
            );
            let lease = config.lease();
            tasks.push(tokio::spawn(
                worker_loop(db, clock, handlers, worker.clone(), lease, poll, rx)
                    .instrument(tracing::info_span!("worker", worker = %worker)),
            ));
        }
        let every = StdDuration::from_secs(config.schedule_interval_secs.max(1));
        tasks.push(tokio::spawn(scheduler_loop(
            db.clone(),
            clock.clone(),
            every,
            stop.subscribe(),
        )));
        tracing::info!(
            workers = config.workers,
            kinds = ?handlers.kinds(),
            "job runtime started"
        );
        Ok(Runtime {
            stop,
            tasks,
            grace: StdDuration::from_secs(config.shutdown_grace_secs),
        })
    }

    /// Stops claiming, lets running jobs finish within the grace period, then stops what
    /// is still running (its jobs run again once their leases run out).
    pub async fn shutdown(self) {
        let _ = self.stop.send(true);
        let deadline = tokio::time::Instant::now() + self.grace;
        for mut task in self.tasks {
            if tokio::time::timeout_at(deadline, &mut task).await.is_err() {
                tracing::warn!("a job did not finish within the shutdown grace period; stopped");
                task.abort();
            }
        }
        tracing::info!("job runtime stopped");
    }
}

async fn worker_loop(
    db: Db,
    clock: Clock,
    handlers: Arc<Handlers>,
    worker: String,
    lease: Duration,
    poll: StdDuration,
    mut stop: watch::Receiver<bool>,
) {
    while !*stop.borrow() {
        match run_next(&db, &clock, &handlers, &worker, lease).await {
            // Straight on to the next job: more may be due.
            Ok(Some(_)) => continue,
            Ok(None) => {}
            Err(e) => tracing::warn!(error = %e, "could not claim or settle a job"),
        }
        tokio::select! {
            _ = tokio::time::sleep(poll) => {}
            _ = stop.changed() => {}
        }
    }
}

async fn scheduler_loop(db: Db, clock: Clock, every: StdDuration, mut stop: watch::Receiver<bool>) {
    while !*stop.borrow() {
        if let Err(e) = schedule::enqueue_due(&db, clock.now()).await {
            tracing::warn!(error = %e, "could not enqueue due recurring jobs");
        }
        tokio::select! {
            _ = tokio::time::sleep(every) => {}
            _ = stop.changed() => {}
        }
    }
}

/// For housekeeping jobs: what was written before this time is old enough to delete, by the
/// job's `payload.keep_days` (default 30, at least 1).
pub fn retention_cutoff(ctx: &JobContext) -> Timestamp {
    let days = ctx
        .job
        .payload
        .get("keep_days")
        .and_then(Value::as_i64)
        .unwrap_or(30)
        .max(1);
    ctx.clock.now().minus(Duration::days(days))
}

/// The platform's own housekeeping job: deletes jobs that finished successfully more than
/// `payload.keep_days` (default 30) days ago. Idempotent.
pub const PRUNE_KIND: &str = "jobs.prune";

pub async fn prune_handler(ctx: JobContext) -> Result<Settled, JobFailure> {
    let n = super::prune_done(&ctx.db, retention_cutoff(&ctx)).await?;
    Ok(Settled::done(Some(serde_json::json!({ "deleted": n }))))
}

/// What a job's payload records (as `via`) of how its starter asked, so that
/// [`JobContext::starter`] acts with a token's scopes when a token started it.
pub fn started_via(actor: &crate::policy::Actor) -> Value {
    match &actor.via {
        Via::Token { id, scopes } => serde_json::json!({
            "token": id.to_string(),
            "scopes": scopes.iter().map(|a| a.as_str()).collect::<Vec<_>>(),
        }),
        Via::Session(_) | Via::System => Value::Null,
    }
}
