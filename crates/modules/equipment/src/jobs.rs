//! The equipment registry's background work: spreadsheet imports.
//!
//! A request only checks what needs no database (the file opens, its header names known
//! columns, it is not too long) and whether the caller may import at all, then stores the
//! file with an `equipment.import` job in one transaction and answers at once. A worker
//! checks every row, reporting progress per batch, and then writes all rows, the job's
//! result and its completion in one transaction: the import happens exactly once, or not at
//! all when any row is bad (the result then lists every bad row).

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use ticorr_db::Db;
use ticorr_kernel::{EquipmentId, Level};
use ticorr_platform::jobs::NewJob;
use ticorr_platform::jobs::worker::{JobContext, JobFailure, Settled};
use ticorr_platform::policy::Action;
use ticorr_platform::{Caller, Gate};

use crate::{EquipmentError, ExportFormat, ImportReport, RowError, owner_of, record_ref};

/// The job kind of an import.
pub const IMPORT_KIND: &str = "equipment.import";

/// What an import job produced: its `result`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum ImportOutcome {
    /// Every row was written.
    Imported { report: ImportReport },
    /// Nothing was written: the rows with problems, or why the import was refused.
    Rejected {
        message: String,
        row_errors: Vec<RowError>,
    },
}

/// Starts an import of `bytes`: checks the file and the caller's right to import, then
/// stores the file with the job in one transaction. Returns the job's id.
pub async fn start_import(
    db: &Db,
    gate: &Gate,
    caller: &Caller,
    bytes: Vec<u8>,
    file_name: Option<String>,
) -> Result<String, EquipmentError> {
    let owner = owner_of(caller)?;
    let actor = caller.principal.actor().ok_or(EquipmentError::Forbidden)?;
    let format = ExportFormat::detect(file_name.as_deref(), &bytes);
    let rows = crate::parse_import(&bytes, format)?;
    let tx = db.begin().await?;
    // May the caller create items at all? Decided for a private item of their own.
    let (mut tx, _permit) = gate
        .check_tx(
            tx,
            caller,
            Action::Create,
            &record_ref(EquipmentId::new(), owner, Level::Private, None),
        )
        .await?;
    let payload = json!({
        "format": format.extension(),
        "rows": rows.len(),
        // The worker acts as the caller did: with a token's scopes when a token asked.
        "via": ticorr_platform::jobs::worker::started_via(actor),
    });
    let id = NewJob::new(IMPORT_KIND, payload)
        .started_by(actor.person_id, actor.org_id)
        .input(file_name, bytes)
        // A bad file is a result, not a failure; failures are storage trouble, worth a
        // few more tries.
        .max_attempts(5)
        .enqueue(&mut tx, gate.clock().now())
        .await
        .map_err(|e| match e {
            ticorr_platform::jobs::JobError::Storage(s) => EquipmentError::Storage(s),
            ticorr_platform::jobs::JobError::Db(d) => EquipmentError::Db(d),
            other => EquipmentError::Unreadable(other.to_string()),
        })?;
    tx.commit().await?;
    Ok(id)
}

fn rejected(message: impl Into<String>, row_errors: Vec<RowError>) -> Value {
    serde_json::to_value(ImportOutcome::Rejected {
        message: message.into(),
        row_errors,
    })
    .unwrap_or(Value::Null)
}

/// The handler of [`IMPORT_KIND`]: runs the import as the person who started it, with
/// the rights they have now.
pub async fn run_import(gate: Gate, ctx: JobContext) -> Result<Settled, JobFailure> {
    let payload = &ctx.job.payload;
    let format = match payload.get("format").and_then(Value::as_str) {
        Some("xlsx") => ExportFormat::Xlsx,
        Some("csv") => ExportFormat::Csv,
        _ => return Err(JobFailure::permanent("the import job names no file format")),
    };
    let Some(caller) = ctx.starter().await? else {
        let msg = "the person who started the import can no longer act on the platform";
        return ctx.settle(&rejected(msg, vec![])).await;
    };
    let (_, bytes) = ctx
        .input()
        .await?
        .ok_or_else(|| JobFailure::permanent("the import job's file is missing"))?;
    let rows = match crate::parse_import(&bytes, format) {
        Ok(rows) => rows,
        Err(e) => return ctx.settle(&rejected(e.to_string(), vec![])).await,
    };
    let total = rows.len() as i64;
    ctx.progress(0, Some(total), Some("checking")).await?;
    // Check every row first, reporting per batch, on connections of its own: on SQLite
    // the write transaction below would keep progress reports from being written.
    let today = ctx.clock.now().inner().date();
    let mut errors = Vec::new();
    let mut checked = 0;
    for batch in rows.chunks(crate::IMPORT_BATCH) {
        match crate::check_import_batch(&ctx.db, &caller, batch, today).await {
            Ok(e) => errors.extend(e),
            Err(e) => return import_failure(&ctx, e).await,
        }
        checked += batch.len();
        ctx.progress(checked as i64, Some(total), Some("checking"))
            .await?;
    }
    if let Err(e) = crate::finish_check(&rows, errors) {
        return import_failure(&ctx, e).await;
    }
    ctx.progress(total, Some(total), Some("writing")).await?;
    match crate::import_rows(&ctx.db, &gate, &caller, &rows).await {
        Ok((mut tx, report)) => {
            let result = serde_json::to_value(ImportOutcome::Imported { report })
                .map_err(JobFailure::permanent)?;
            // The rows and the job's completion commit together, or not at all.
            let settled = ctx.complete_in(&mut tx, Some(&result)).await?;
            tx.commit().await?;
            Ok(settled)
        }
        Err(e) => import_failure(&ctx, e).await,
    }
}

async fn import_failure(ctx: &JobContext, e: EquipmentError) -> Result<Settled, JobFailure> {
    match e {
        EquipmentError::Import(errors) => {
            let msg = "the file has errors; nothing was imported";
            ctx.settle(&rejected(msg, errors)).await
        }
        EquipmentError::Forbidden | EquipmentError::NotFound => {
            let msg = "you may no longer import equipment for your organisation";
            ctx.settle(&rejected(msg, vec![])).await
        }
        EquipmentError::Unreadable(msg) => ctx.settle(&rejected(msg, vec![])).await,
        EquipmentError::Invalid(fe) => {
            let errors = fe
                .iter()
                .map(|e| RowError {
                    row: 0,
                    field: e.field.clone(),
                    message: e.message.clone(),
                })
                .collect();
            ctx.settle(&rejected(
                "the file has errors; nothing was imported",
                errors,
            ))
            .await
        }
        EquipmentError::Storage(e) => Err(e.into()),
        EquipmentError::Db(e) => Err(e.into()),
        other => Err(JobFailure::retry(other)),
    }
}
