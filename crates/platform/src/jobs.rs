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

use serde_json::Value;
use sqlx::{AnyConnection, Row};
use ticorr_db::{Db, Engine};
use ticorr_kernel::Timestamp;
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
    let id = Uuid::now_v7().to_string();
    sqlx::query(
        "INSERT INTO jobs (id, kind, payload, status, attempts, max_attempts, run_after, created_at) \
         VALUES ($1, $2, $3, 'queued', 0, $4, $5, $6)",
    )
    .bind(&id)
    .bind(kind)
    .bind(payload.to_string())
    .bind(max_attempts.unwrap_or(DEFAULT_MAX_ATTEMPTS).max(1))
    .bind(run_after.unwrap_or(now).to_rfc3339())
    .bind(now.to_rfc3339())
    .execute(conn)
    .await?;
    Ok(id)
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
    sqlx::query(
        "UPDATE jobs SET status = 'running', attempts = attempts + 1, lease_owner = $1, \
         lease_until = $2 WHERE id = $3",
    )
    .bind(worker)
    .bind(now.plus(lease).to_rfc3339())
    .bind(&id)
    .execute(&mut *tx)
    .await?;
    let row = sqlx::query("SELECT kind, payload, attempts, max_attempts FROM jobs WHERE id = $1")
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
    }))
}

/// Marks the job done, if `worker` still holds its lease. Returns whether it did.
pub async fn complete(db: &Db, id: &str, worker: &str, now: Timestamp) -> Result<bool, JobError> {
    let done = sqlx::query(
        "UPDATE jobs SET status = 'done', lease_owner = NULL, lease_until = NULL, \
         finished_at = $1 WHERE id = $2 AND status = 'running' AND lease_owner = $3",
    )
    .bind(now.to_rfc3339())
    .bind(id)
    .bind(worker)
    .execute(db.pool())
    .await?
    .rows_affected();
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
    let status = if attempts >= max_attempts {
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
    let n = sqlx::query(
        "UPDATE jobs SET status = 'queued', attempts = 0, run_after = $1, finished_at = NULL \
         WHERE id = $2 AND status = 'dead'",
    )
    .bind(now.to_rfc3339())
    .bind(id)
    .execute(db.pool())
    .await?
    .rows_affected();
    Ok(n == 1)
}
