//! Versions of the learned risk model ([`crate::learned`]): trained after the gate allowed
//! `train_risk_model`, stored with their measurements, anchored in the ledger; the newest
//! version is the one in use wherever its figures appear.
//!
//! The platform's recurring job retrains when the registry or the publications changed
//! since the newest version; the operator may ask for a version at any time. A job that
//! runs twice (its worker died after the commit) finds the version it made.

use serde::{Deserialize, Serialize};
use serde_json::json;
use sha2::{Digest, Sha256};
use sqlx::Row;
use ticorr_db::Db;
use ticorr_kernel::{Level, OrgId, PersonId, Timestamp};
use ticorr_platform::jobs::worker::{JobContext, JobFailure, Settled};
use ticorr_platform::ledger::{self, Anchor, LedgerRef};
use ticorr_platform::policy::{Action, RecordRef, Resource};
use ticorr_platform::{Caller, Gate};
use uuid::Uuid;

use crate::learned::{self, Conditions, Fitted, Prediction, Settings};
use crate::{Body, CasesError, corrupt, store};

/// The job kind that trains a version.
pub const TRAIN_JOB: &str = "cases.train-risk-model";
/// The ledger record type of a model version.
pub const LEDGER_TYPE: &str = "risk_model";

/// One version of the model: what was fitted, on what, and when.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ModelVersion {
    pub version: i64,
    pub trained_at: Timestamp,
    /// The registry and publications it was trained on, as a SHA-256 fingerprint.
    pub data_fingerprint: String,
    #[serde(flatten)]
    pub fitted: Fitted,
}

/// A version with its ledger entry.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Released {
    #[serde(flatten)]
    pub model: ModelVersion,
    pub ledger: Option<LedgerRef>,
}

/// What a list of versions shows of each.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct VersionSummary {
    pub version: i64,
    pub trained_at: Timestamp,
    pub items: usize,
    pub cases: usize,
    /// Mechanisms with a model, and the lowest and highest cross-validated AUC among them.
    pub mechanisms: usize,
    pub min_auc: Option<f64>,
    pub max_auc: Option<f64>,
    pub ledger: Option<LedgerRef>,
}

/// What a training run did.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum Trained {
    /// A new version.
    New(i64),
    /// The data did not change since this version; nothing was trained.
    Unchanged(i64),
}

/// The policy resource of the model as a whole (a macro-level aggregate).
fn resource() -> Resource {
    Resource::Record(RecordRef {
        kind: "risk_model",
        id: "model".into(),
        level: Level::Macro,
        owner: OrgId::from_uuid(Uuid::nil()),
        parks: vec![],
    })
}

/// Whether to offer the caller the request for a new version (never a guard).
pub fn may_train(gate: &Gate, caller: &Caller) -> bool {
    gate.would_allow(caller, Action::TrainRiskModel, &resource())
}

/// The registry and the publications as they are now, hashed: a version shows that its
/// data changed, not when the registry was last edited.
async fn fingerprint(conn: &mut sqlx::AnyConnection) -> Result<String, sqlx::Error> {
    let publications = store::publications_fingerprint(conn).await?;
    let row = sqlx::query(
        "SELECT COUNT(*) AS n, MAX(e.updated_at) AS u FROM equipment e \
         JOIN organizations o ON o.id = e.org_id WHERE o.status = 'verified'",
    )
    .fetch_one(&mut *conn)
    .await?;
    let n: i64 = row.try_get("n")?;
    let u: Option<String> = row.try_get("u")?;
    let state = format!("{publications};{n}/{}", u.unwrap_or_default());
    Ok(Sha256::digest(state.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect())
}

/// Trains a version when the caller may, unless the data is unchanged since the newest one
/// and `force` is off. `job` names the job doing it, so that a second run of the same job
/// finds its version.
pub async fn train(
    db: &Db,
    gate: &Gate,
    caller: &Caller,
    settings: Settings,
    force: bool,
    job: Option<&str>,
) -> Result<Trained, CasesError> {
    let mut conn = db.pool().acquire().await?;
    gate.check(&mut conn, caller, Action::TrainRiskModel, &resource())
        .await?;
    if let Some(job) = job {
        let done: Option<i64> =
            sqlx::query_scalar("SELECT version FROM risk_models WHERE job_id = $1")
                .bind(job.to_owned())
                .fetch_optional(&mut *conn)
                .await?;
        if let Some(v) = done {
            return Ok(Trained::New(v));
        }
    }
    let data_fingerprint = fingerprint(&mut conn).await?;
    if !force
        && let Some((version, fingerprint)) = newest_row(&mut conn).await?
        && fingerprint == data_fingerprint
    {
        return Ok(Trained::Unchanged(version));
    }
    drop(conn);
    let fitted = gather_and_fit(db, gate.clock().now(), settings).await?;

    let now = gate.clock().now();
    let mut tx = db.begin().await?;
    let version: i64 = sqlx::query_scalar::<_, Option<i64>>("SELECT MAX(version) FROM risk_models")
        .fetch_one(&mut *tx)
        .await?
        .unwrap_or(0)
        + 1;
    let model = ModelVersion {
        version,
        trained_at: now,
        data_fingerprint: data_fingerprint.clone(),
        fitted,
    };
    let body = serde_json::to_value(&model).map_err(corrupt)?;
    let id = Uuid::now_v7().to_string();
    sqlx::query(
        "INSERT INTO risk_models (id, version, trained_at, job_id, requested_by, data_fingerprint, body) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(id)
    .bind(version)
    .bind(now.to_rfc3339())
    .bind(job.map(str::to_owned))
    .bind(caller.principal.actor().map(|a| a.person_id.to_string()))
    .bind(data_fingerprint)
    .bind(body.to_string())
    .execute(&mut *tx)
    .await?;
    ledger::anchor(
        &mut tx,
        now,
        &[Anchor {
            record_type: LEDGER_TYPE,
            record_id: version.to_string(),
            record: body,
        }],
    )
    .await?;
    tx.commit().await?;
    Ok(Trained::New(version))
}

/// Fits a model on the registry and the publications as they are, storing nothing: for
/// `ticorr cases evaluate`. The caller must be allowed to train.
pub async fn measure(
    db: &Db,
    gate: &Gate,
    caller: &Caller,
    settings: Settings,
) -> Result<Fitted, CasesError> {
    let mut conn = db.pool().acquire().await?;
    gate.check(&mut conn, caller, Action::TrainRiskModel, &resource())
        .await?;
    drop(conn);
    gather_and_fit(db, gate.clock().now(), settings).await
}

/// Reads every item of the registry and every published case, and fits. Only after the
/// gate allowed `train_risk_model`.
async fn gather_and_fit(db: &Db, now: Timestamp, settings: Settings) -> Result<Fitted, CasesError> {
    let mut items = Vec::new();
    ticorr_equipment::population(db, 2_000, |batch| {
        items.extend(batch.iter().map(Conditions::of_item));
    })
    .await?;
    let mut conn = db.pool().acquire().await?;
    let mut cases = Vec::new();
    let mut periods = Vec::new();
    for row in store::all_published(&mut conn).await? {
        let body: Body = serde_json::from_str(&row.body).map_err(corrupt)?;
        periods.push(body.case.period.clone());
        cases.push((body.case.mechanism, Conditions::of_published(&body.case)));
    }
    let this_year = now.inner().year();
    let (first_year, last_year) =
        learned::span_of_periods(periods.iter().map(String::as_str), this_year)
            .unwrap_or((this_year, this_year));
    drop(conn);
    let rules = &ticorr_platform::risk::load()
        .map_err(CasesError::Corrupt)?
        .rules;
    let fitted = tokio::task::spawn_blocking(move || {
        learned::train(
            rules,
            &learned::Data {
                items: &items,
                cases: &cases,
                first_year,
                last_year,
            },
            settings,
        )
    })
    .await
    .map_err(|e| CasesError::Corrupt(format!("the training stopped: {e}")))?
    .map_err(|e| CasesError::Conflict(e.to_string()))?;

    Ok(fitted)
}

async fn newest_row(conn: &mut sqlx::AnyConnection) -> Result<Option<(i64, String)>, sqlx::Error> {
    sqlx::query("SELECT version, data_fingerprint FROM risk_models ORDER BY version DESC LIMIT 1")
        .fetch_optional(&mut *conn)
        .await?
        .map(|r| Ok((r.try_get("version")?, r.try_get("data_fingerprint")?)))
        .transpose()
}

pub(crate) async fn released(
    conn: &mut sqlx::AnyConnection,
    version: Option<i64>,
) -> Result<Option<Released>, CasesError> {
    let body: Option<String> = match version {
        Some(v) => {
            sqlx::query_scalar("SELECT body FROM risk_models WHERE version = $1")
                .bind(v)
                .fetch_optional(&mut *conn)
                .await?
        }
        None => {
            sqlx::query_scalar("SELECT body FROM risk_models ORDER BY version DESC LIMIT 1")
                .fetch_optional(&mut *conn)
                .await?
        }
    };
    let Some(body) = body else {
        return Ok(None);
    };
    let model: ModelVersion = serde_json::from_str(&body).map_err(corrupt)?;
    let ledger = ledger::latest(conn, LEDGER_TYPE, &model.version.to_string()).await?;
    Ok(Some(Released { model, ledger }))
}

/// A version, or the newest when `version` is `None`. The model is public: coefficients
/// and measurements over the whole registry.
pub async fn get(db: &Db, version: Option<i64>) -> Result<Option<Released>, CasesError> {
    let mut conn = db.pool().acquire().await?;
    released(&mut conn, version).await
}

/// Every version, newest first.
pub async fn list(db: &Db) -> Result<Vec<VersionSummary>, CasesError> {
    let mut conn = db.pool().acquire().await?;
    let rows: Vec<String> =
        sqlx::query_scalar("SELECT body FROM risk_models ORDER BY version DESC")
            .fetch_all(&mut *conn)
            .await?;
    let mut out = Vec::with_capacity(rows.len());
    for body in rows {
        let m: ModelVersion = serde_json::from_str(&body).map_err(corrupt)?;
        let aucs = m.fitted.mechanisms.iter().map(|x| x.cv_auc);
        out.push(VersionSummary {
            version: m.version,
            trained_at: m.trained_at,
            items: m.fitted.items,
            cases: m.fitted.cases,
            mechanisms: m.fitted.mechanisms.len(),
            min_auc: aucs.clone().reduce(f64::min),
            max_auc: aucs.reduce(f64::max),
            ledger: ledger::latest(&mut conn, LEDGER_TYPE, &m.version.to_string()).await?,
        });
    }
    Ok(out)
}

/// What the newest version says of an item the caller has already read through the gate.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ItemFigures {
    pub version: i64,
    pub trained_at: Timestamp,
    pub ledger: Option<LedgerRef>,
    /// The years the cases span.
    pub first_year: i32,
    pub last_year: i32,
    /// How far the general POF bands the categories come from are verified.
    pub bands_verification: String,
    /// Every modelled mechanism, highest figure first.
    pub predictions: Vec<Prediction>,
}

/// The newest version's figures for an item, or `None` before the first version.
pub async fn for_item(
    db: &Db,
    item: &ticorr_equipment::Equipment,
) -> Result<Option<ItemFigures>, CasesError> {
    let Some(r) = get(db, None).await? else {
        return Ok(None);
    };
    let rules = &ticorr_platform::risk::load()
        .map_err(CasesError::Corrupt)?
        .rules;
    let f = &r.model.fitted;
    Ok(Some(ItemFigures {
        version: r.model.version,
        trained_at: r.model.trained_at,
        ledger: r.ledger,
        first_year: f.first_year,
        last_year: f.last_year,
        bands_verification: f.bands_verification.clone(),
        predictions: f.predict(rules, &Conditions::of_item(item)),
    }))
}

/// The canonical form of an anchored version, for `ticorr ledger verify`.
pub async fn ledger_record(
    conn: &mut sqlx::AnyConnection,
    id: &str,
) -> Result<Option<serde_json::Value>, sqlx::Error> {
    let Ok(version) = id.parse::<i64>() else {
        return Ok(None);
    };
    let body: Option<String> =
        sqlx::query_scalar("SELECT body FROM risk_models WHERE version = $1")
            .bind(version)
            .fetch_optional(&mut *conn)
            .await?;
    Ok(body.and_then(|b| serde_json::from_str(&b).ok()))
}

/// Asks for a new version now (the operator): checked, then queued as a job the caller
/// can follow.
pub async fn request(db: &Db, gate: &Gate, caller: &Caller) -> Result<String, CasesError> {
    let mut conn = db.pool().acquire().await?;
    gate.check(&mut conn, caller, Action::TrainRiskModel, &resource())
        .await?;
    let actor = caller.principal.actor().ok_or(CasesError::Forbidden)?;
    let mut job = ticorr_platform::jobs::NewJob::new(TRAIN_JOB, json!({ "force": true }));
    job.started_by = Some((actor.person_id, actor.org_id));
    job.enqueue(&mut conn, gate.clock().now())
        .await
        .map_err(|e| CasesError::Conflict(e.to_string()))
}

/// The job: trains as the platform (or, for a version the operator asked for, as the
/// operator's person), skipping unchanged data unless the payload says `force`.
pub async fn run_train(
    gate: Gate,
    settings: Settings,
    ctx: JobContext,
) -> Result<Settled, JobFailure> {
    let force = ctx
        .job
        .payload
        .get("force")
        .and_then(serde_json::Value::as_bool)
        .unwrap_or(false);
    let caller = match ctx.job.started_by_person {
        Some(person) => Caller {
            principal: load_person(&ctx.db, person).await?,
            ip: None,
        },
        None => Caller {
            principal: ticorr_platform::Principal::Platform,
            ip: None,
        },
    };
    ctx.progress(0, None, Some("training")).await?;
    match train(&ctx.db, &gate, &caller, settings, force, Some(&ctx.job.id)).await {
        Ok(Trained::New(v)) => Ok(Settled::done(Some(json!({ "version": v })))),
        Ok(Trained::Unchanged(v)) => Ok(Settled::done(Some(json!({ "unchanged_since": v })))),
        // No item or no published case yet: nothing to learn, which is no failure.
        Err(CasesError::Conflict(reason)) => {
            Ok(Settled::done(Some(json!({ "not_trained": reason }))))
        }
        Err(CasesError::Storage(e)) => Err(JobFailure::retry(e)),
        Err(e) => Err(JobFailure::permanent(e.to_string())),
    }
}

async fn load_person(db: &Db, person: PersonId) -> Result<ticorr_platform::Principal, JobFailure> {
    let mut conn = db.pool().acquire().await?;
    ticorr_platform::identity::principal::load_actor(
        &mut conn,
        person,
        ticorr_platform::policy::Via::System,
    )
    .await
    .map_err(JobFailure::retry)?
    .map(|a| ticorr_platform::Principal::Person(Box::new(a)))
    .ok_or_else(|| JobFailure::permanent("the person who asked for the model is gone"))
}
