//! Recurring jobs: a named cron schedule enqueues a job of its kind at each due time.
//!
//! Every node runs the scheduler loop; an occurrence is enqueued exactly once across all
//! of them because a node claims it by moving the schedule's `next_run_at` on with a
//! conditional `UPDATE … WHERE next_run_at = <the time it read>`, in the same transaction
//! as the enqueue. A node that loses that race updates no row and rolls its enqueue back.
//! Occurrences missed while no node ran are run once, not once per missed time: the
//! schedule moves on to its first time after now.

use serde_json::Value;
use sqlx::{AnyConnection, Row};
use ticorr_db::{Db, flag};
use ticorr_kernel::Timestamp;

use super::cron::{Cron, CronError};
use super::{JobError, NewJob};

/// A schedule as the code declares it (see [`super::worker::Handlers::schedule`]).
#[derive(Debug, Clone)]
pub struct Recurring {
    pub name: String,
    pub cron: Cron,
    pub kind: String,
    pub payload: Value,
}

impl Recurring {
    pub fn new(name: &str, cron: &str, kind: &str, payload: Value) -> Result<Self, CronError> {
        Ok(Recurring {
            name: name.to_owned(),
            cron: cron.parse()?,
            kind: kind.to_owned(),
            payload,
        })
    }
}

/// A stored schedule, for the operator.
#[derive(Debug, Clone, PartialEq)]
pub struct Schedule {
    pub name: String,
    pub cron: String,
    pub kind: String,
    pub payload: Value,
    pub next_run_at: Timestamp,
    pub enabled: bool,
    pub last_run_at: Option<Timestamp>,
    pub last_job_id: Option<String>,
}

/// Stores the declared schedules: new ones start at their next time after `now`; a changed
/// expression, kind or payload replaces the stored one (and a changed expression restarts
/// the count from now). Whether a schedule is enabled is left as it is.
pub async fn sync(db: &Db, declared: &[Recurring], now: Timestamp) -> Result<(), JobError> {
    for r in declared {
        let next = r
            .cron
            .next_after(now)
            .ok_or_else(|| JobError::Payload(format!("`{}` never fires", r.cron)))?;
        let mut tx = db.begin().await?;
        let existing: Option<(String, String, String)> =
            sqlx::query_as("SELECT cron, kind, payload FROM schedules WHERE name = $1")
                .bind(&r.name)
                .fetch_optional(&mut *tx)
                .await?;
        match existing {
            None => {
                sqlx::query(
                    "INSERT INTO schedules (name, cron, kind, payload, next_run_at, enabled, updated_at) \
                     VALUES ($1, $2, $3, $4, $5, 1, $6) ON CONFLICT (name) DO NOTHING",
                )
                .bind(&r.name)
                .bind(r.cron.to_string())
                .bind(&r.kind)
                .bind(r.payload.to_string())
                .bind(next.to_rfc3339())
                .bind(now.to_rfc3339())
                .execute(&mut *tx)
                .await?;
            }
            Some((cron, kind, payload)) => {
                let (declared_cron, declared_payload) = (r.cron.to_string(), r.payload.to_string());
                let cron_changed = cron != declared_cron;
                if cron_changed || kind != r.kind || payload != declared_payload {
                    sqlx::query(
                        "UPDATE schedules SET cron = $1, kind = $2, payload = $3, updated_at = $4 \
                         WHERE name = $5",
                    )
                    .bind(r.cron.to_string())
                    .bind(&r.kind)
                    .bind(r.payload.to_string())
                    .bind(now.to_rfc3339())
                    .bind(&r.name)
                    .execute(&mut *tx)
                    .await?;
                }
                if cron_changed {
                    sqlx::query("UPDATE schedules SET next_run_at = $1 WHERE name = $2")
                        .bind(next.to_rfc3339())
                        .bind(&r.name)
                        .execute(&mut *tx)
                        .await?;
                }
            }
        }
        tx.commit().await?;
    }
    Ok(())
}

/// Enqueues one job for every enabled schedule that is due at `now`, unless another node
/// did first. Returns the ids of the jobs this call enqueued.
pub async fn enqueue_due(db: &Db, now: Timestamp) -> Result<Vec<String>, JobError> {
    let due: Vec<(String, String, String, String, String)> = sqlx::query_as(
        "SELECT name, cron, kind, payload, next_run_at FROM schedules \
         WHERE enabled = 1 AND next_run_at <= $1 ORDER BY next_run_at, name",
    )
    .bind(now.to_rfc3339())
    .fetch_all(db.pool())
    .await?;
    let mut enqueued = Vec::new();
    for (name, cron, kind, payload, next_run_at) in due {
        let cron: Cron = match cron.parse() {
            Ok(c) => c,
            Err(e) => {
                tracing::error!(schedule.name = %name, error = %e, "stored schedule does not parse; skipped");
                continue;
            }
        };
        let scheduled_for: Timestamp = ticorr_db::decode("next_run_at", &next_run_at)?;
        let mut payload: Value =
            serde_json::from_str(&payload).map_err(|e| JobError::Payload(e.to_string()))?;
        if let Value::Object(map) = &mut payload {
            map.insert(
                "scheduled_for".into(),
                Value::String(scheduled_for.to_rfc3339()),
            );
        }
        // Missed occurrences are coalesced: the next run is the first one after now.
        let following = cron.next_after(if scheduled_for > now {
            scheduled_for
        } else {
            now
        });
        let mut tx = db.begin().await?;
        let id = NewJob::new(&kind, payload).enqueue(&mut tx, now).await?;
        let claimed = claim_occurrence(&mut tx, &name, &next_run_at, following, now, &id).await?;
        if claimed {
            tx.commit().await?;
            tracing::info!(schedule.name = %name, job.id = %id, job.kind = %kind, "scheduled job enqueued");
            enqueued.push(id);
        } else {
            tx.rollback().await?;
        }
    }
    Ok(enqueued)
}

/// Moves the schedule past the occurrence it was at (`seen`); only one caller can.
async fn claim_occurrence(
    conn: &mut AnyConnection,
    name: &str,
    seen: &str,
    following: Option<Timestamp>,
    now: Timestamp,
    job_id: &str,
) -> Result<bool, JobError> {
    // A schedule that will never fire again is disabled rather than left due for ever.
    let (next, enabled) = match following {
        Some(t) => (t.to_rfc3339(), 1),
        None => (seen.to_owned(), 0),
    };
    let n = sqlx::query(
        "UPDATE schedules SET next_run_at = $1, enabled = $2, last_run_at = $3, last_job_id = $4 \
         WHERE name = $5 AND next_run_at = $6 AND enabled = 1",
    )
    .bind(next)
    .bind(enabled)
    .bind(now.to_rfc3339())
    .bind(job_id)
    .bind(name)
    .bind(seen)
    .execute(conn)
    .await?
    .rows_affected();
    Ok(n == 1)
}

/// Every stored schedule, by name.
pub async fn list(conn: &mut AnyConnection) -> Result<Vec<Schedule>, JobError> {
    let rows = sqlx::query(
        "SELECT name, cron, kind, payload, next_run_at, enabled, last_run_at, last_job_id \
         FROM schedules ORDER BY name",
    )
    .fetch_all(conn)
    .await?;
    rows.iter()
        .map(|row| {
            let payload: String = row.try_get("payload")?;
            Ok(Schedule {
                name: row.try_get("name")?,
                cron: row.try_get("cron")?,
                kind: row.try_get("kind")?,
                payload: serde_json::from_str(&payload)
                    .map_err(|e| JobError::Payload(e.to_string()))?,
                next_run_at: ticorr_db::parsed(row, "next_run_at")?,
                enabled: flag::get(row, "enabled")?,
                last_run_at: ticorr_db::parsed_opt(row, "last_run_at")?,
                last_job_id: row.try_get("last_job_id")?,
            })
        })
        .collect()
}
