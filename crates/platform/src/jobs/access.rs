//! Jobs as people see them: every read and the operator's retry decided by the policies
//! (`policies/jobs.cedar`) through the gate.

use ticorr_db::Db;

use super::schedule::{self, Schedule};
use super::{JobError, JobRecord};
use crate::gate::{Caller, Denied, Gate};
use crate::policy::{Action, JobRef, Resource};

#[derive(Debug, thiserror::Error)]
pub enum JobAccessError {
    #[error("not found")]
    NotFound,
    #[error("not allowed")]
    Forbidden,
    #[error("only a dead job can be retried")]
    NotDead,
    #[error(transparent)]
    Job(#[from] JobError),
}

impl From<Denied> for JobAccessError {
    fn from(d: Denied) -> Self {
        match d {
            Denied::NotFound => JobAccessError::NotFound,
            Denied::Forbidden => JobAccessError::Forbidden,
            Denied::Storage(e) => JobAccessError::Job(JobError::Storage(e)),
        }
    }
}

impl From<sqlx::Error> for JobAccessError {
    fn from(e: sqlx::Error) -> Self {
        JobAccessError::Job(JobError::Storage(e))
    }
}

impl From<ticorr_db::DbError> for JobAccessError {
    fn from(e: ticorr_db::DbError) -> Self {
        JobAccessError::Job(JobError::Db(e))
    }
}

impl JobRecord {
    /// The job as the policies see it.
    pub fn resource(&self) -> Resource {
        Resource::Job(JobRef {
            id: self.id.clone(),
            org: self.started_by_org,
            starter: self.started_by_person,
        })
    }
}

/// The resource the operator's job-wide actions are decided on: the platform's own jobs,
/// which only the operator may look at (also the node's own work, like rebuilding its
/// search index).
pub(crate) fn operations() -> Resource {
    Resource::Job(JobRef {
        id: "*".into(),
        org: None,
        starter: None,
    })
}

/// One job, if the caller may follow it (else "not found").
pub async fn view(
    db: &Db,
    gate: &Gate,
    caller: &Caller,
    id: &str,
) -> Result<JobRecord, JobAccessError> {
    let mut conn = db.pool().acquire().await?;
    let job = super::get(&mut conn, id)
        .await?
        .ok_or(JobAccessError::NotFound)?;
    gate.check(&mut conn, caller, Action::ViewJob, &job.resource())
        .await?;
    Ok(job)
}

/// Whether the caller may see the operator's job pages (to offer the link).
pub fn may_operate(gate: &Gate, caller: &Caller) -> bool {
    gate.would_allow(caller, Action::OperateJobs, &operations())
}

/// Dead jobs and jobs whose last attempt failed, newest first, for the operator.
pub async fn troubled(
    db: &Db,
    gate: &Gate,
    caller: &Caller,
    limit: i64,
) -> Result<Vec<JobRecord>, JobAccessError> {
    let mut conn = db.pool().acquire().await?;
    gate.check(&mut conn, caller, Action::OperateJobs, &operations())
        .await?;
    let jobs = super::troubled(&mut conn, limit.clamp(1, 500)).await?;
    Ok(gate
        .filter(
            &mut conn,
            caller,
            Action::OperateJobs,
            jobs,
            JobRecord::resource,
        )
        .await?)
}

/// The recurring jobs, for the operator.
pub async fn schedules(
    db: &Db,
    gate: &Gate,
    caller: &Caller,
) -> Result<Vec<Schedule>, JobAccessError> {
    let mut conn = db.pool().acquire().await?;
    gate.check(&mut conn, caller, Action::OperateJobs, &operations())
        .await?;
    Ok(schedule::list(&mut conn).await?)
}

/// The operator's retry of a dead job: a fresh set of attempts from now. The decision and
/// the retry are recorded in one transaction.
pub async fn retry(
    db: &Db,
    gate: &Gate,
    caller: &Caller,
    id: &str,
) -> Result<JobRecord, JobAccessError> {
    let mut tx = db.begin().await?;
    let job = super::get(&mut tx, id)
        .await?
        .ok_or(JobAccessError::NotFound)?;
    let (mut tx, _permit) = gate
        .check_tx(tx, caller, Action::OperateJobs, &job.resource())
        .await?;
    if !super::retry_dead_in(&mut tx, id, gate.clock().now()).await? {
        // Keep the audit record of the attempt.
        tx.commit().await?;
        return Err(JobAccessError::NotDead);
    }
    let job = super::get(&mut tx, id)
        .await?
        .ok_or(JobAccessError::NotFound)?;
    tx.commit().await?;
    tracing::info!(job.id = %id, job.kind = %job.kind, "dead job retried by the operator");
    Ok(job)
}
