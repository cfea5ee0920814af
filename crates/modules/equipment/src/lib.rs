//! The equipment registry: the titanium heat exchangers, condensers, evaporators, heaters
//! and coils that standards, cases, risk and monitoring all refer to.
//!
//! This file is the module's public service API, the only thing the web layer and other
//! modules call. Every read and write goes through the platform's [`Gate`]: reads of items
//! the caller may not see answer "not found", exactly as for items that do not exist.
//! Items are L1 (`private`) by default; an owner may share an item with its park (L2).
//!
//! Operating conditions carry the risk model's input names and units, so
//! [`Equipment::risk_inputs`] hands an item to the risk engine without translation.

pub mod attachments;
pub mod jobs;
mod model;
pub mod notes;
pub mod relevance;
pub mod risk;
pub mod search;
mod store;
pub mod tabular;

use serde::Serialize;
use ticorr_db::Db;
use ticorr_kernel::{EquipmentId, FieldErrors, Level, OrgId, Page, PageRequest};
use ticorr_platform::attachments::Attachments;
use ticorr_platform::policy::{Action, RecordRef, Resource};
use ticorr_platform::{Caller, Denied, Gate};

pub use model::{Equipment, EquipmentInput, FIELDS, Field, FieldKind, ValidEquipment};
pub use store::ListFilter;
pub use tabular::{ExportFormat, ImportReport, RawRow, RowError};

/// The record kind the policies and the audit see.
pub const RECORD_KIND: &str = "equipment";

/// The most rows one import file may hold.
pub const MAX_IMPORT_ROWS: usize = 10_000;

#[derive(Debug, thiserror::Error)]
pub enum EquipmentError {
    #[error("invalid input: {0}")]
    Invalid(FieldErrors),
    #[error("the import file has errors; nothing was imported")]
    Import(Vec<RowError>),
    #[error("the file could not be read: {0}")]
    Unreadable(String),
    #[error("not found")]
    NotFound,
    #[error("not allowed")]
    Forbidden,
    #[error(
        "the item was changed by someone else (now at version {current}); reload and try again"
    )]
    VersionConflict { current: i64 },
    #[error(transparent)]
    Storage(#[from] sqlx::Error),
    #[error(transparent)]
    Db(#[from] ticorr_db::DbError),
    #[error(transparent)]
    Vault(#[from] ticorr_platform::vault::VaultError),
    #[error(transparent)]
    Attachment(#[from] ticorr_platform::attachments::AttachmentError),
}

impl From<Denied> for EquipmentError {
    fn from(d: Denied) -> Self {
        match d {
            Denied::NotFound => EquipmentError::NotFound,
            Denied::Forbidden => EquipmentError::Forbidden,
            Denied::Storage(e) => EquipmentError::Storage(e),
        }
    }
}

impl From<FieldErrors> for EquipmentError {
    fn from(e: FieldErrors) -> Self {
        EquipmentError::Invalid(e)
    }
}

impl Equipment {
    /// The item as the policies see it.
    pub fn resource(&self) -> Resource {
        record_ref(self.id, self.org_id, self.level, self.park_id)
    }
}

fn record_ref(id: EquipmentId, owner: OrgId, level: Level, park: Option<OrgId>) -> Resource {
    Resource::Record(RecordRef {
        kind: RECORD_KIND,
        id: id.to_string(),
        level,
        owner,
        parks: park.into_iter().collect(),
    })
}

/// An item with the names a reader needs (owner, park, manufacturer) resolved.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct EquipmentView {
    #[serde(flatten)]
    pub item: Equipment,
    pub owner_name: String,
    pub park_name: Option<String>,
    /// The current risk grade (`I` to `IV`); `null` while the consequence of a failure
    /// is not known.
    pub risk_grade: Option<String>,
}

fn owner_of(caller: &Caller) -> Result<OrgId, EquipmentError> {
    caller
        .principal
        .actor()
        .map(|a| a.org_id)
        .ok_or(EquipmentError::Forbidden)
}

/// Registers an item for the caller's organisation.
pub async fn create(
    db: &Db,
    gate: &Gate,
    caller: &Caller,
    input: &EquipmentInput,
) -> Result<EquipmentView, EquipmentError> {
    let owner = owner_of(caller)?;
    let mut tx = db.begin().await?;
    let valid = model::validate(&mut tx, owner, input, gate.clock().now().inner().date()).await;
    let id = EquipmentId::new();
    // Authorize before reporting validation problems, so outsiders learn nothing.
    let level = valid.as_ref().map(|v| v.level).unwrap_or(Level::Private);
    let park = valid.as_ref().ok().and_then(|v| v.park_id);
    let (mut tx, _permit) = gate
        .check_tx(
            tx,
            caller,
            Action::Create,
            &record_ref(id, owner, level, park),
        )
        .await?;
    let valid = valid?;
    let actor = caller.principal.actor().map(|a| a.person_id);
    let now = gate.clock().now();
    store::insert(&mut tx, id, owner, &valid, now, actor)
        .await
        .map_err(tag_taken)?;
    risk::record_stored(&mut tx, id, None, risk::Reason::Registered, now, actor).await?;
    let view = store::view(&mut tx, id)
        .await?
        .ok_or(EquipmentError::NotFound)?;
    tx.commit().await?;
    Ok(view)
}

fn tag_taken(err: sqlx::Error) -> EquipmentError {
    if ticorr_db::unique_violation(&err).is_some() {
        let mut f = FieldErrors::new();
        f.add(
            "tag",
            "taken",
            "your organisation already has an item with this tag",
        );
        EquipmentError::Invalid(f)
    } else {
        EquipmentError::Storage(err)
    }
}

/// One item, if the caller may read it.
pub async fn get(
    db: &Db,
    gate: &Gate,
    caller: &Caller,
    id: EquipmentId,
) -> Result<EquipmentView, EquipmentError> {
    let mut conn = db.pool().acquire().await?;
    let view = store::view(&mut conn, id)
        .await?
        .ok_or(EquipmentError::NotFound)?;
    gate.check(&mut conn, caller, Action::Read, &view.item.resource())
        .await?;
    Ok(view)
}

/// Whether the caller may change or delete the item (to offer the buttons; the gate
/// decides again when the change is made).
pub fn may_change(gate: &Gate, caller: &Caller, item: &Equipment) -> bool {
    gate.would_allow(caller, Action::Update, &item.resource())
}

/// Applies a JSON merge patch (RFC 7396) to an item. With `expected_version`, the change
/// is refused when someone else changed the item in between.
pub async fn update(
    db: &Db,
    gate: &Gate,
    caller: &Caller,
    id: EquipmentId,
    patch: &serde_json::Value,
    expected_version: Option<i64>,
) -> Result<EquipmentView, EquipmentError> {
    let mut tx = db.begin().await?;
    let current = store::view(&mut tx, id)
        .await?
        .ok_or(EquipmentError::NotFound)?
        .item;
    let (mut tx, _permit) = gate
        .check_tx(tx, caller, Action::Update, &current.resource())
        .await?;
    if let Some(v) = expected_version.filter(|v| *v != current.version) {
        let _ = v;
        return Err(EquipmentError::VersionConflict {
            current: current.version,
        });
    }
    let input = model::merge_patch(&current, patch)?;
    let valid = model::validate(
        &mut tx,
        current.org_id,
        &input,
        gate.clock().now().inner().date(),
    )
    .await?;
    // The changed item must still be the caller's to hold (e.g. a new level).
    let (mut tx, _permit) = gate
        .check_tx(
            tx,
            caller,
            Action::Update,
            &record_ref(id, current.org_id, valid.level, valid.park_id),
        )
        .await?;
    let actor = caller.principal.actor().map(|a| a.person_id);
    let now = gate.clock().now();
    store::update(&mut tx, id, &valid, now, actor)
        .await
        .map_err(tag_taken)?;
    risk::record_stored(
        &mut tx,
        id,
        Some(&current),
        risk::Reason::ConditionsChanged,
        now,
        actor,
    )
    .await?;
    let view = store::view(&mut tx, id)
        .await?
        .ok_or(EquipmentError::NotFound)?;
    tx.commit().await?;
    Ok(view)
}

/// Deletes an item with its attached files (their rows in the same transaction, their
/// bytes after it commits).
pub async fn delete(
    db: &Db,
    gate: &Gate,
    files: &Attachments,
    caller: &Caller,
    id: EquipmentId,
) -> Result<(), EquipmentError> {
    let mut tx = db.begin().await?;
    let current = store::view(&mut tx, id)
        .await?
        .ok_or(EquipmentError::NotFound)?
        .item;
    let (mut tx, _permit) = gate
        .check_tx(tx, caller, Action::Delete, &current.resource())
        .await?;
    let released = ticorr_platform::attachments::detach_all(
        &mut tx,
        gate.clock().now(),
        caller,
        RECORD_KIND,
        &id.to_string(),
    )
    .await?;
    store::delete(&mut tx, id, gate.clock().now()).await?;
    tx.commit().await?;
    ticorr_platform::attachments::release(files, released).await;
    Ok(())
}

/// The items the caller may read that match `filter`, a page at a time, by tag.
pub async fn list(
    db: &Db,
    gate: &Gate,
    caller: &Caller,
    filter: &ListFilter,
    page: &PageRequest,
) -> Result<Page<EquipmentView>, EquipmentError> {
    let Some(actor) = caller.principal.actor() else {
        return Ok(Page {
            items: vec![],
            next_cursor: None,
        });
    };
    let mut conn = db.pool().acquire().await?;
    let rows = store::list(&mut conn, actor, filter, page).await?;
    // Decide the next cursor on what storage returned, then let the policies drop rows.
    let page = Page::from_rows(rows, page, |v: &EquipmentView| ticorr_kernel::Cursor {
        key: v.item.tag.clone(),
        id: v.item.id.to_string(),
    });
    let items = gate
        .filter(&mut conn, caller, Action::Read, page.items, |v| {
            v.item.resource()
        })
        .await?;
    Ok(Page {
        items,
        next_cursor: page.next_cursor,
    })
}

/// Every item the caller may read that matches `filter`, page by page through the gate.
pub async fn all_readable(
    db: &Db,
    gate: &Gate,
    caller: &Caller,
    filter: &ListFilter,
) -> Result<Vec<EquipmentView>, EquipmentError> {
    let Some(actor) = caller.principal.actor() else {
        return Err(EquipmentError::Forbidden);
    };
    let mut conn = db.pool().acquire().await?;
    let mut all = Vec::new();
    let mut page = PageRequest::first(ticorr_kernel::page::MAX_LIMIT);
    loop {
        let rows = store::list(&mut conn, actor, filter, &page).await?;
        let p = Page::from_rows(rows, &page, |v: &EquipmentView| ticorr_kernel::Cursor {
            key: v.item.tag.clone(),
            id: v.item.id.to_string(),
        });
        let kept = gate
            .filter(&mut conn, caller, Action::Read, p.items, |v| {
                v.item.resource()
            })
            .await?;
        all.extend(kept);
        match p.next_cursor {
            Some(c) => {
                page.after = Some(ticorr_kernel::Cursor::decode(&c).expect("we just encoded it"))
            }
            None => break,
        }
    }
    Ok(all)
}

/// Every item of every organisation, `limit` at a time after `after` (by id), for the
/// platform's relevance targeting: which organisations a notification concerns. The items
/// never leave the platform; the notification goes only to their owners. Never call it
/// to answer a request.
pub async fn batch_for_targeting(
    db: &Db,
    after: Option<EquipmentId>,
    limit: i64,
) -> Result<Vec<EquipmentView>, EquipmentError> {
    let mut conn = db.pool().acquire().await?;
    Ok(store::batch_after(&mut conn, after, limit).await?)
}

/// Every item the caller may read that matches `filter`, as a spreadsheet.
pub async fn export(
    db: &Db,
    gate: &Gate,
    caller: &Caller,
    filter: &ListFilter,
    format: ExportFormat,
) -> Result<Vec<u8>, EquipmentError> {
    let all = all_readable(db, gate, caller, filter).await?;
    tabular::export(&all, format).map_err(EquipmentError::Unreadable)
}

/// An item's corrosion risk: the assessment of its conditions now, and every assessment
/// recorded for it, newest first.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ItemRisk {
    pub equipment_id: EquipmentId,
    pub assessment: ticorr_platform::risk::ItemAssessment,
    pub history: Vec<risk::AssessmentRecord>,
}

/// The risk of one item, if the caller may read the item.
pub async fn item_risk(
    db: &Db,
    gate: &Gate,
    caller: &Caller,
    id: EquipmentId,
) -> Result<(EquipmentView, ItemRisk), EquipmentError> {
    let view = get(db, gate, caller, id).await?;
    let assessment = risk::assess(&view.item)?;
    let mut conn = db.pool().acquire().await?;
    let history = risk::history(&mut conn, id).await?;
    Ok((
        view,
        ItemRisk {
            equipment_id: id,
            assessment,
            history,
        },
    ))
}

/// The items the caller may read that match `filter`, counted by risk grade and
/// mechanism.
pub async fn risk_overview(
    db: &Db,
    gate: &Gate,
    caller: &Caller,
    filter: &ListFilter,
) -> Result<risk::Overview, EquipmentError> {
    let all = all_readable(db, gate, caller, filter).await?;
    let ids: Vec<EquipmentId> = all.iter().map(|v| v.item.id).collect();
    let mut conn = db.pool().acquire().await?;
    let rows = risk::summaries(&mut conn, &ids).await?;
    Ok(risk::overview(ids.len(), &rows))
}

/// Reads an import file into rows: the checks that need no database (the file opens, the
/// header names known columns, at most [`MAX_IMPORT_ROWS`] rows). Cheap enough to answer a
/// request with, before any job is started.
pub fn parse_import(bytes: &[u8], format: ExportFormat) -> Result<Vec<RawRow>, EquipmentError> {
    let rows = tabular::read(bytes, format).map_err(EquipmentError::Unreadable)?;
    if rows.len() > MAX_IMPORT_ROWS {
        return Err(EquipmentError::Unreadable(format!(
            "the file has {} rows; import at most {MAX_IMPORT_ROWS} at a time",
            rows.len()
        )));
    }
    Ok(rows)
}

/// Rows an import job checks between two progress reports.
pub const IMPORT_BATCH: usize = 200;

/// Validates a batch of rows (at most [`IMPORT_BATCH`] at a time, so a job can report
/// progress between batches) without writing anything, on a connection of its own, and
/// returns their problems. The caller must have been allowed to import (see
/// [`import_rows`], which validates and authorizes again when it writes).
pub async fn check_import_batch(
    db: &Db,
    caller: &Caller,
    batch: &[RawRow],
    today: time::Date,
) -> Result<Vec<RowError>, EquipmentError> {
    let owner = owner_of(caller)?;
    let mut conn = db.pool().acquire().await?;
    let (_, errors) = validate_rows(&mut conn, owner, batch, today).await;
    Ok(errors)
}

/// Completes the problems found batch by batch with tags repeated across batches, and
/// turns them into the import's verdict: [`EquipmentError::Import`] with every problem of
/// the file, sorted by row, or nothing.
pub fn finish_check(rows: &[RawRow], mut errors: Vec<RowError>) -> Result<(), EquipmentError> {
    let mut seen = std::collections::HashMap::new();
    for row in rows {
        let Some((_, tag)) = row.cells.iter().find(|(f, _)| f.name == "tag") else {
            continue;
        };
        let tag = tag.trim();
        if tag.is_empty() {
            continue;
        }
        if let Some(first) = seen.insert(tag.to_owned(), row.number)
            && !errors
                .iter()
                .any(|e| e.row == row.number && e.field == "tag")
        {
            errors.push(RowError {
                row: row.number,
                field: "tag".into(),
                message: format!("the tag `{tag}` also appears in row {first}"),
            });
        }
    }
    finish_errors(rows, errors)
}

fn finish_errors(rows: &[RawRow], mut errors: Vec<RowError>) -> Result<(), EquipmentError> {
    if rows.is_empty() {
        errors.push(RowError {
            row: 1,
            field: String::new(),
            message: "the file has a header but no data rows".into(),
        });
    }
    if errors.is_empty() {
        Ok(())
    } else {
        errors.sort_by_key(|e| e.row);
        Err(EquipmentError::Import(errors))
    }
}

/// Validates rows; returns the valid ones (with their row numbers) and the problems,
/// including tags repeated within `rows`.
async fn validate_rows(
    conn: &mut sqlx::AnyConnection,
    owner: OrgId,
    rows: &[RawRow],
    today: time::Date,
) -> (Vec<(usize, ValidEquipment)>, Vec<RowError>) {
    let mut errors: Vec<RowError> = Vec::new();
    let mut valid_rows = Vec::new();
    let mut seen_tags = std::collections::HashMap::new();
    for row in rows {
        let input = match tabular::to_input(row) {
            Ok(i) => i,
            Err(e) => {
                errors.extend(e);
                continue;
            }
        };
        match model::validate(conn, owner, &input, today).await {
            Ok(v) => {
                if let Some(first) = seen_tags.insert(v.tag.clone(), row.number) {
                    errors.push(RowError {
                        row: row.number,
                        field: "tag".into(),
                        message: format!("the tag `{}` also appears in row {first}", v.tag),
                    });
                } else {
                    valid_rows.push((row.number, v));
                }
            }
            Err(fe) => errors.extend(fe.iter().map(|e| RowError {
                row: row.number,
                field: e.field.clone(),
                message: e.message.clone(),
            })),
        }
    }
    (valid_rows, errors)
}

/// Imports a CSV or Excel file into the caller's organisation at once (no job). Rows are
/// matched to existing items by tag (updated) or created. All or nothing: any bad row is
/// reported with its row number and nothing is stored.
pub async fn import(
    db: &Db,
    gate: &Gate,
    caller: &Caller,
    bytes: &[u8],
    format: ExportFormat,
) -> Result<ImportReport, EquipmentError> {
    let rows = parse_import(bytes, format)?;
    let (tx, report) = import_rows(db, gate, caller, &rows).await?;
    tx.commit().await?;
    Ok(report)
}

/// Writes parsed rows into the caller's organisation inside a transaction it returns
/// uncommitted, so the caller can commit more with it (a job's completion). Validates and
/// authorizes every row first: any bad row is [`EquipmentError::Import`], any denial
/// leaves nothing written (only the audit of the denial is committed).
pub async fn import_rows(
    db: &Db,
    gate: &Gate,
    caller: &Caller,
    rows: &[RawRow],
) -> Result<(ticorr_db::Tx, ImportReport), EquipmentError> {
    let owner = owner_of(caller)?;
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
    let today = gate.clock().now().inner().date();
    let (valid_rows, errors) = validate_rows(&mut tx, owner, rows, today).await;
    finish_errors(rows, errors)?;
    // Decide every row before writing any, so a denial leaves nothing half-imported.
    let mut checks = Vec::with_capacity(valid_rows.len());
    let mut writes = Vec::with_capacity(valid_rows.len());
    for (_, v) in valid_rows {
        match store::find_by_tag(&mut tx, owner, &v.tag).await? {
            Some(existing) => {
                checks.push((Action::Update, existing.resource()));
                checks.push((
                    Action::Update,
                    record_ref(existing.id, owner, v.level, v.park_id),
                ));
                writes.push((Some(existing), v));
            }
            None => {
                let id = EquipmentId::new();
                checks.push((Action::Create, record_ref(id, owner, v.level, v.park_id)));
                writes.push((None, v));
            }
        }
    }
    let (mut tx, _permit) = gate.check_all_tx(tx, caller, &checks).await?;
    let now = gate.clock().now();
    let actor = caller.principal.actor().map(|a| a.person_id);
    let mut report = ImportReport {
        rows: writes.len(),
        ..Default::default()
    };
    for (existing, v) in &writes {
        match existing {
            Some(before) => {
                store::update(&mut tx, before.id, v, now, actor).await?;
                let reason = risk::Reason::ConditionsChanged;
                risk::record_stored(&mut tx, before.id, Some(before), reason, now, actor).await?;
                report.updated += 1;
            }
            None => {
                let id = EquipmentId::new();
                store::insert(&mut tx, id, owner, v, now, actor).await?;
                risk::record_stored(&mut tx, id, None, risk::Reason::Registered, now, actor)
                    .await?;
                report.created += 1;
            }
        }
    }
    Ok((tx, report))
}

/// Inserts many items at once, for the platform's own synthetic data (`ticorr demo`),
/// each with its risk assessment.
///
/// This bypasses the gate and the audit because no request and no person is behind it;
/// never call it with data that came from a request.
pub async fn seed_insert(
    conn: &mut sqlx::AnyConnection,
    items: &[(EquipmentId, OrgId, ValidEquipment)],
    now: ticorr_kernel::Timestamp,
) -> Result<(), EquipmentError> {
    for (id, owner, v) in items {
        store::insert(conn, *id, *owner, v, now, None).await?;
        risk::record_stored(conn, *id, None, risk::Reason::Registered, now, None).await?;
    }
    Ok(())
}

/// Every item of every verified organisation, for the learned risk model of the failure
/// case module, in batches of `batch` items handed to `each`.
///
/// The model's training is the second named transformation of L1 data: its caller has
/// passed the gate's `train_risk_model` check (audited), and what it keeps and releases is
/// fitted coefficients and measurements over the whole registry, never an item.
pub async fn population(
    db: &Db,
    batch: i64,
    mut each: impl FnMut(Vec<Equipment>),
) -> Result<(), sqlx::Error> {
    let mut conn = db.pool().acquire().await?;
    let mut after = None;
    loop {
        let items = store::population_after(&mut conn, after, batch).await?;
        let Some(last) = items.last() else {
            return Ok(());
        };
        after = Some(last.item.id);
        each(items.into_iter().map(|v| v.item).collect());
    }
}

/// Every item of every verified organisation, as the L4 statistics read them.
///
/// This is the registry's side of the one named transformation by which L1 data moves up
/// to L4 (`ticorr_platform::stats`): only that module calls it, and it releases nothing but
/// noisy, bounded, suppressed aggregates of these rows.
pub async fn stat_rows(db: Db) -> Result<Vec<ticorr_platform::stats::StatRow>, sqlx::Error> {
    store::stat_rows(&db).await
}
