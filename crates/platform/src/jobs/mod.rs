//! Durable jobs: the work a change causes, stored with the change.
//!
//! A module enqueues a job with [`enqueue`] inside the same transaction as the change that
//! causes it, so a committed change always has its job and a rolled-back one never does.
//! Workers [`claim`] a due job with a lease; a worker that dies simply lets its lease run
//! out and the job is claimed again. [`complete`] and [`fail`] only act for the worker that
//! holds the lease, so a worker that lost its lease cannot overwrite the new holder's
//! outcome. A failed attempt is retried after an exponential backoff until `max_attempts`,
//! then the job is *dead*: kept, with its last error, for the operator to see and retry.
//!
//! On PostgreSQL several nodes share the queue (`FOR UPDATE SKIP LOCKED`); on SQLite the
//! write transaction serializes claims.
//!
//! - [`worker`]: the runtime that runs jobs: a registry of handlers by kind, worker tasks
//!   with leases kept alive by a heartbeat, graceful shutdown.
//! - [`cron`]: five-field cron expressions.
//! - [`schedule`]: recurring jobs, enqueued once per due occurrence across all nodes.
//! - [`access`]: jobs as people see them (status, the operator's view and retry), through
//!   the gate.
//!
//! # Exactly once in effect
//!
//! A job can run more than once: a worker may die after its effect but before the job is
//! marked done, or lose its lease while it is still working. A handler therefore either
//! makes its effect idempotent (running it twice changes nothing more than running it
//! once), or makes its effect and the job's completion one transaction with
//! [`complete_in`] (through [`worker::JobContext::complete_in`]): the completion only
//! succeeds for the worker that still holds the lease, and when it does not, the handler
//! returns an error and its transaction, effect included, rolls back.

pub mod access;
pub mod cron;
pub mod schedule;
pub mod worker;

use serde_json::Value;
use sqlx::{AnyConnection, Row};
use ticorr_db::{Db, Engine};
use ticorr_kernel::{OrgId, PersonId, Timestamp};
use time::Duration;
use uuid::Uuid;

/// Attempts a job gets unless its kind says otherwise.
pub const DEFAULT_MAX_ATTEMPTS: i64 = 5;
/// The first retry waits this long; each further one twice as long, up to [`MAX_BACKOFF`].
pub const FIRST_BACKOFF: Duration = Duration::seconds(10);
pub const MAX_BACKOFF: Duration = Duration::hours(1);

#[derive(Debug, thiserror::Error)]
pub enum JobError {
    #[error("the job's payload is not JSON: {0}")]
    Payload(String),
    #[error("the job's input file is not valid base64")]
    Input,
    #[error(transparent)]
    Storage(#[from] sqlx::Error),
    #[error(transparent)]
    Db(#[from] ticorr_db::DbError),
}

ticorr_kernel::text_enum! {
    /// Where a job stands.
    pub enum JobStatus {
        Queued = "queued",
        Running = "running",
        Done = "done",
        Dead = "dead",
    }
}

/// A claimed job, for the worker that holds its lease.
#[derive(Debug, Clone, PartialEq)]
pub struct Job {
    pub id: String,
    pub kind: String,
    pub payload: Value,
    /// This attempt's number, from 1.
    pub attempt: i64,
    pub max_attempts: i64,
    /// The person whose request started the job, if a person did.
    pub started_by_person: Option<PersonId>,
    pub started_by_org: Option<OrgId>,
}

/// Enqueues a job of `kind` in the caller's transaction, due at `run_after` (or now).
pub async fn enqueue(
    conn: &mut AnyConnection,
    kind: &str,
    payload: &Value,
    now: Timestamp,
    run_after: Option<Timestamp>,
    max_attempts: Option<i64>,
) -> Result<String, JobError> {
    let mut job = NewJob::new(kind, payload.clone());
    job.run_after = run_after;
    job.max_attempts = max_attempts;
    job.enqueue(conn, now).await
}

/// A job to enqueue, with the optional parts [`enqueue`] does not take.
#[derive(Debug, Clone)]
pub struct NewJob {
    pub kind: String,
    pub payload: Value,
    pub run_after: Option<Timestamp>,
    pub max_attempts: Option<i64>,
    /// Who started it: the status resource is theirs (and their organisation's admins').
    pub started_by: Option<(PersonId, OrgId)>,
    /// A file the job needs (an upload), stored with the job in the same transaction.
    pub input: Option<(Option<String>, Vec<u8>)>,
}

impl NewJob {
    pub fn new(kind: &str, payload: Value) -> Self {
        NewJob {
            kind: kind.to_owned(),
            payload,
            run_after: None,
            max_attempts: None,
            started_by: None,
            input: None,
        }
    }

    pub fn started_by(mut self, person: PersonId, org: OrgId) -> Self {
        self.started_by = Some((person, org));
        self
    }

    pub fn input(mut self, name: Option<String>, bytes: Vec<u8>) -> Self {
        self.input = Some((name, bytes));
        self
    }

    pub fn max_attempts(mut self, n: i64) -> Self {
        self.max_attempts = Some(n);
        self
    }

    /// Stores the job (and its input) in the caller's transaction; returns its id.
    pub async fn enqueue(
        &self,
        conn: &mut AnyConnection,
        now: Timestamp,
    ) -> Result<String, JobError> {
        use base64::Engine as _;
        let id = Uuid::now_v7().to_string();
        sqlx::query(
            "INSERT INTO jobs (id, kind, payload, status, attempts, max_attempts, run_after, \
             created_at, started_by_person, started_by_org) \
             VALUES ($1, $2, $3, 'queued', 0, $4, $5, $6, $7, $8)",
        )
        .bind(&id)
        .bind(&self.kind)
        .bind(self.payload.to_string())
        .bind(self.max_attempts.unwrap_or(DEFAULT_MAX_ATTEMPTS).max(1))
        .bind(self.run_after.unwrap_or(now).to_rfc3339())
        .bind(now.to_rfc3339())
        .bind(self.started_by.map(|(p, _)| p.to_string()))
        .bind(self.started_by.map(|(_, o)| o.to_string()))
        .execute(&mut *conn)
        .await?;
        if let Some((name, bytes)) = &self.input {
            sqlx::query("INSERT INTO job_inputs (job_id, name, content) VALUES ($1, $2, $3)")
                .bind(&id)
                .bind(name.as_deref())
                .bind(base64::engine::general_purpose::STANDARD.encode(bytes))
                .execute(&mut *conn)
                .await?;
        }
        Ok(id)
    }
}

/// The input file stored with a job: its name and bytes.
pub async fn input(
    conn: &mut AnyConnection,
    id: &str,
) -> Result<Option<(Option<String>, Vec<u8>)>, JobError> {
    use base64::Engine as _;
    let row: Option<(Option<String>, String)> =
        sqlx::query_as("SELECT name, content FROM job_inputs WHERE job_id = $1")
            .bind(id)
            .fetch_optional(conn)
            .await?;
    row.map(|(name, content)| {
        base64::engine::general_purpose::STANDARD
            .decode(content)
            .map(|b| (name, b))
            .map_err(|_| JobError::Input)
    })
    .transpose()
}

/// Claims the next due job of one of `kinds` for `worker`, leased until `now + lease`: a
/// queued job whose time has come, or a running job whose lease ran out.
pub async fn claim(
    db: &Db,
    worker: &str,
    kinds: &[&str],
    now: Timestamp,
    lease: Duration,
) -> Result<Option<Job>, JobError> {
    if kinds.is_empty() {
        return Ok(None);
    }
    let mut tx = db.begin().await?;
    let lock = match db.engine() {
        Engine::Postgres => " FOR UPDATE SKIP LOCKED",
        Engine::Sqlite => "",
    };
    let sql = format!(
        "SELECT id, status, attempts, max_attempts FROM jobs WHERE kind IN ({}) AND \
         ((status = 'queued' AND run_after <= $1) OR (status = 'running' AND lease_until < $1)) \
         ORDER BY run_after, id LIMIT 1{lock}",
        ticorr_db::placeholders(2, kinds.len())
    );
    // A job whose worker died on its last attempt is dead, not claimed again: a job that
    // kills its worker must not take down one worker after another for ever.
    let id = loop {
        let mut q =
            sqlx::query_as::<_, (String, String, i64, i64)>(sqlx::AssertSqlSafe(sql.clone()))
                .bind(now.to_rfc3339());
        for k in kinds {
            q = q.bind(*k);
        }
        let Some((id, status, attempts, max_attempts)) = q.fetch_optional(&mut *tx).await? else {
            tx.commit().await?;
            return Ok(None);
        };
        if status == "running" && attempts >= max_attempts {
            sqlx::query(
                "UPDATE jobs SET status = 'dead', lease_owner = NULL, lease_until = NULL, \
                 last_error = $1, finished_at = $2 WHERE id = $3",
            )
            .bind("the worker stopped before finishing the last attempt (its lease ran out)")
            .bind(now.to_rfc3339())
            .bind(&id)
            .execute(&mut *tx)
            .await?;
            continue;
        }
        break id;
    };
    // A new attempt starts over: its progress is its own.
    sqlx::query(
        "UPDATE jobs SET status = 'running', attempts = attempts + 1, lease_owner = $1, \
         lease_until = $2, started_at = $3, progress_done = NULL, progress_total = NULL, \
         progress_note = NULL WHERE id = $4",
    )
    .bind(worker)
    .bind(now.plus(lease).to_rfc3339())
    .bind(now.to_rfc3339())
    .bind(&id)
    .execute(&mut *tx)
    .await?;
    let row = sqlx::query(
        "SELECT kind, payload, attempts, max_attempts, started_by_person, started_by_org \
         FROM jobs WHERE id = $1",
    )
    .bind(&id)
    .fetch_one(&mut *tx)
    .await?;
    tx.commit().await?;
    let payload: String = row.try_get("payload")?;
    Ok(Some(Job {
        id,
        kind: row.try_get("kind")?,
        payload: serde_json::from_str(&payload).map_err(|e| JobError::Payload(e.to_string()))?,
        attempt: row.try_get("attempts")?,
        max_attempts: row.try_get("max_attempts")?,
        started_by_person: ticorr_db::parsed_opt(&row, "started_by_person")?,
        started_by_org: ticorr_db::parsed_opt(&row, "started_by_org")?,
    }))
}

/// Extends the lease of a running job to `until`, if `worker` still holds it. Returns
/// whether it did: `false` means another worker took the job over (or it was settled).
pub async fn extend_lease(
    db: &Db,
    id: &str,
    worker: &str,
    until: Timestamp,
) -> Result<bool, JobError> {
    let n = sqlx::query(
        "UPDATE jobs SET lease_until = $1 WHERE id = $2 AND status = 'running' AND lease_owner = $3",
    )
    .bind(until.to_rfc3339())
    .bind(id)
    .bind(worker)
    .execute(db.pool())
    .await?
    .rows_affected();
    Ok(n == 1)
}

/// Records how far a running job got, if `worker` still holds its lease. Call it outside
/// any transaction of the handler's own: on SQLite a write transaction holds the database's
/// write lock until it ends.
pub async fn set_progress(
    db: &Db,
    id: &str,
    worker: &str,
    done: i64,
    total: Option<i64>,
    note: Option<&str>,
) -> Result<bool, JobError> {
    let n = sqlx::query(
        "UPDATE jobs SET progress_done = $1, progress_total = $2, progress_note = $3 \
         WHERE id = $4 AND status = 'running' AND lease_owner = $5",
    )
    .bind(done)
    .bind(total)
    .bind(note.map(|n| n.chars().take(500).collect::<String>()))
    .bind(id)
    .bind(worker)
    .execute(db.pool())
    .await?
    .rows_affected();
    Ok(n == 1)
}

/// Marks the job done, if `worker` still holds its lease. Returns whether it did.
pub async fn complete(db: &Db, id: &str, worker: &str, now: Timestamp) -> Result<bool, JobError> {
    let mut conn = db.pool().acquire().await?;
    complete_in(&mut conn, id, worker, now, None).await
}

/// Marks the job done with its `result`, on the caller's connection or inside the
/// caller's transaction, if `worker` still holds its lease; the job's input is dropped
/// with it. Returns whether it did. Inside a transaction that also holds the job's effect,
/// a `false` means the lease was lost: roll the transaction back, and the effect with it.
pub async fn complete_in(
    conn: &mut AnyConnection,
    id: &str,
    worker: &str,
    now: Timestamp,
    result: Option<&Value>,
) -> Result<bool, JobError> {
    let done = sqlx::query(
        "UPDATE jobs SET status = 'done', lease_owner = NULL, lease_until = NULL, \
         finished_at = $1, result = $2 WHERE id = $3 AND status = 'running' AND lease_owner = $4",
    )
    .bind(now.to_rfc3339())
    .bind(result.map(Value::to_string))
    .bind(id)
    .bind(worker)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    if done == 1 {
        sqlx::query("DELETE FROM job_inputs WHERE job_id = $1")
            .bind(id)
            .execute(&mut *conn)
            .await?;
    }
    Ok(done == 1)
}

/// The wait before the retry that follows attempt `attempt` (1-based).
pub fn backoff(attempt: i64) -> Duration {
    let doublings = (attempt - 1).clamp(0, 20) as u32;
    let wait = FIRST_BACKOFF * 2_i32.pow(doublings.min(16));
    if wait > MAX_BACKOFF {
        MAX_BACKOFF
    } else {
        wait
    }
}

/// Records a failed attempt, if `worker` still holds the lease: the job is queued again
/// after the backoff, or dead after its last attempt. Returns the job's new status, or
/// `None` when the worker no longer held the lease.
pub async fn fail(
    db: &Db,
    id: &str,
    worker: &str,
    error: &str,
    now: Timestamp,
) -> Result<Option<JobStatus>, JobError> {
    fail_with(db, id, worker, error, now, false).await
}

/// Records a failure that another attempt cannot fix (the job's payload makes no sense):
/// the job is dead at once, for the operator to look at.
pub async fn bury(
    db: &Db,
    id: &str,
    worker: &str,
    error: &str,
    now: Timestamp,
) -> Result<Option<JobStatus>, JobError> {
    fail_with(db, id, worker, error, now, true).await
}

async fn fail_with(
    db: &Db,
    id: &str,
    worker: &str,
    error: &str,
    now: Timestamp,
    permanent: bool,
) -> Result<Option<JobStatus>, JobError> {
    let mut tx = db.begin().await?;
    let row: Option<(i64, i64)> = sqlx::query_as(
        "SELECT attempts, max_attempts FROM jobs WHERE id = $1 AND status = 'running' AND lease_owner = $2",
    )
    .bind(id)
    .bind(worker)
    .fetch_optional(&mut *tx)
    .await?;
    let Some((attempts, max_attempts)) = row else {
        return Ok(None);
    };
    let error: String = error.chars().take(2000).collect();
    let status = if permanent || attempts >= max_attempts {
        sqlx::query(
            "UPDATE jobs SET status = 'dead', lease_owner = NULL, lease_until = NULL, \
             last_error = $1, finished_at = $2 WHERE id = $3",
        )
        .bind(&error)
        .bind(now.to_rfc3339())
        .bind(id)
        .execute(&mut *tx)
        .await?;
        JobStatus::Dead
    } else {
        sqlx::query(
            "UPDATE jobs SET status = 'queued', lease_owner = NULL, lease_until = NULL, \
             last_error = $1, run_after = $2 WHERE id = $3",
        )
        .bind(&error)
        .bind(now.plus(backoff(attempts)).to_rfc3339())
        .bind(id)
        .execute(&mut *tx)
        .await?;
        JobStatus::Queued
    };
    tx.commit().await?;
    Ok(Some(status))
}

/// A job's status and its last error, for status resources and the operator.
pub async fn status(db: &Db, id: &str) -> Result<Option<(JobStatus, Option<String>)>, JobError> {
    let row: Option<(String, Option<String>)> =
        sqlx::query_as("SELECT status, last_error FROM jobs WHERE id = $1")
            .bind(id)
            .fetch_optional(db.pool())
            .await?;
    Ok(row.and_then(|(s, e)| s.parse().ok().map(|s| (s, e))))
}

/// Puts a dead job back in the queue with a fresh set of attempts (the operator's retry).
pub async fn retry_dead(db: &Db, id: &str, now: Timestamp) -> Result<bool, JobError> {
    let mut conn = db.pool().acquire().await?;
    retry_dead_in(&mut conn, id, now).await
}

/// [`retry_dead`] on the caller's connection or transaction (with its audit record).
pub async fn retry_dead_in(
    conn: &mut AnyConnection,
    id: &str,
    now: Timestamp,
) -> Result<bool, JobError> {
    let n = sqlx::query(
        "UPDATE jobs SET status = 'queued', attempts = 0, run_after = $1, finished_at = NULL \
         WHERE id = $2 AND status = 'dead'",
    )
    .bind(now.to_rfc3339())
    .bind(id)
    .execute(conn)
    .await?
    .rows_affected();
    Ok(n == 1)
}

/// Everything known about a job, for its status resource and the operator.
#[derive(Debug, Clone, PartialEq)]
pub struct JobRecord {
    pub id: String,
    pub kind: String,
    pub status: JobStatus,
    pub attempts: i64,
    pub max_attempts: i64,
    pub progress_done: Option<i64>,
    pub progress_total: Option<i64>,
    pub progress_note: Option<String>,
    pub last_error: Option<String>,
    pub result: Option<Value>,
    pub started_by_person: Option<PersonId>,
    pub started_by_org: Option<OrgId>,
    pub created_at: Timestamp,
    pub run_after: Timestamp,
    pub started_at: Option<Timestamp>,
    pub finished_at: Option<Timestamp>,
}

const RECORD_COLUMNS: &str = "id, kind, status, attempts, max_attempts, progress_done, \
    progress_total, progress_note, last_error, result, started_by_person, started_by_org, \
    created_at, run_after, started_at, finished_at";

fn record_from(row: &sqlx::any::AnyRow) -> Result<JobRecord, JobError> {
    let result: Option<String> = row.try_get("result")?;
    Ok(JobRecord {
        id: row.try_get("id")?,
        kind: row.try_get("kind")?,
        status: ticorr_db::parsed(row, "status")?,
        attempts: row.try_get("attempts")?,
        max_attempts: row.try_get("max_attempts")?,
        progress_done: row.try_get("progress_done")?,
        progress_total: row.try_get("progress_total")?,
        progress_note: row.try_get("progress_note")?,
        last_error: row.try_get("last_error")?,
        result: result
            .map(|r| serde_json::from_str(&r).map_err(|e| JobError::Payload(e.to_string())))
            .transpose()?,
        started_by_person: ticorr_db::parsed_opt(row, "started_by_person")?,
        started_by_org: ticorr_db::parsed_opt(row, "started_by_org")?,
        created_at: ticorr_db::parsed(row, "created_at")?,
        run_after: ticorr_db::parsed(row, "run_after")?,
        started_at: ticorr_db::parsed_opt(row, "started_at")?,
        finished_at: ticorr_db::parsed_opt(row, "finished_at")?,
    })
}

/// One job, whoever may see it (callers decide that through the gate).
pub async fn get(conn: &mut AnyConnection, id: &str) -> Result<Option<JobRecord>, JobError> {
    let sql = format!("SELECT {RECORD_COLUMNS} FROM jobs WHERE id = $1");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(conn)
        .await?;
    row.as_ref().map(record_from).transpose()
}

/// The jobs an operator needs to look at: dead ones, and queued ones whose last attempt
/// failed, newest first.
pub async fn troubled(conn: &mut AnyConnection, limit: i64) -> Result<Vec<JobRecord>, JobError> {
    let sql = format!(
        "SELECT {RECORD_COLUMNS} FROM jobs WHERE status = 'dead' \
         OR (status = 'queued' AND last_error IS NOT NULL) \
         ORDER BY COALESCE(finished_at, run_after) DESC, id DESC LIMIT $1"
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(limit)
        .fetch_all(conn)
        .await?;
    rows.iter().map(record_from).collect()
}

/// Records the queued jobs of `kind` created up to `until` as done without running them,
/// finished when they were created, with `result`; returns how many. This is for a seeded
/// history only (`ticorr demo`): the e-mails that the steps of its invented past queued —
/// months before the demo starts — belong to that past and are not sent when the demo
/// starts. Never use it on work that real requests queued.
pub async fn settle_seeded(
    db: &Db,
    kind: &str,
    until: Timestamp,
    result: &Value,
) -> Result<u64, JobError> {
    let n = sqlx::query(
        "UPDATE jobs SET status = 'done', finished_at = created_at, result = $1 \
         WHERE kind = $2 AND status = 'queued' AND created_at <= $3",
    )
    .bind(result.to_string())
    .bind(kind)
    .bind(until.to_rfc3339())
    .execute(db.pool())
    .await?
    .rows_affected();
    Ok(n)
}

/// Deletes jobs that finished successfully before `before` (housekeeping). Dead jobs are
/// kept until the operator has dealt with them.
pub async fn prune_done(db: &Db, before: Timestamp) -> Result<u64, JobError> {
    let n = sqlx::query("DELETE FROM jobs WHERE status = 'done' AND finished_at < $1")
        .bind(before.to_rfc3339())
        .execute(db.pool())
        .await?
        .rows_affected();
    Ok(n)
}
