//! Private maintenance notes on an equipment item: repair costs, incidents, contacts. They
//! are L1 whatever the item's level (a park sees a shared item, never its notes), sealed
//! at rest with the owner organisation's data key, and unreadable for good once that key
//! is destroyed.

use serde::{Deserialize, Serialize};
use ticorr_db::Db;
use ticorr_kernel::{EquipmentId, FieldErrors, Level, OrgId, Timestamp};
use ticorr_platform::policy::{Action, RecordRef, Resource};
use ticorr_platform::vault::Vault;
use ticorr_platform::{Caller, Gate};

use crate::{EquipmentError, store};

/// The record kind the policies and the audit see.
pub const NOTES_KIND: &str = "equipment_notes";

/// The longest notes accepted (characters).
pub const MAX_CHARS: usize = 20_000;

/// An item's notes as their owner reads them.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Notes {
    pub equipment_id: EquipmentId,
    /// The notes; empty when none were written.
    pub text: String,
    /// When they were last written (absent when none were written).
    pub updated_at: Option<Timestamp>,
}

/// What a caller sends to replace the notes (an empty text removes them).
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NotesInput {
    pub text: String,
}

fn resource(id: EquipmentId, owner: OrgId) -> Resource {
    Resource::Record(RecordRef {
        kind: NOTES_KIND,
        id: id.to_string(),
        level: Level::Private,
        owner,
        parks: vec![],
    })
}

/// Whether the caller may read the item's notes (to show the section; the gate decides
/// again when they are read).
pub fn may_read(gate: &Gate, caller: &Caller, item: &crate::Equipment) -> bool {
    gate.would_allow(caller, Action::Read, &resource(item.id, item.org_id))
}

fn context(id: EquipmentId) -> String {
    format!("{NOTES_KIND}/{id}")
}

/// The notes of an item, for people of its owner organisation.
pub async fn get(
    db: &Db,
    gate: &Gate,
    vault: &Vault,
    caller: &Caller,
    id: EquipmentId,
) -> Result<Notes, EquipmentError> {
    let mut conn = db.pool().acquire().await?;
    let item = store::view(&mut conn, id)
        .await?
        .ok_or(EquipmentError::NotFound)?
        .item;
    // Whoever may not see the item learns nothing; whoever sees it but is not its owner is
    // refused the notes.
    gate.check(&mut conn, caller, Action::Read, &item.resource())
        .await?;
    gate.check(&mut conn, caller, Action::Read, &resource(id, item.org_id))
        .await?;
    let row: Option<(String, String)> =
        sqlx::query_as("SELECT sealed, updated_at FROM equipment_notes WHERE equipment_id = $1")
            .bind(id.to_string())
            .fetch_optional(&mut *conn)
            .await?;
    let Some((sealed, updated_at)) = row else {
        return Ok(Notes {
            equipment_id: id,
            text: String::new(),
            updated_at: None,
        });
    };
    let text = vault
        .open(&mut conn, item.org_id, &context(id), &sealed)
        .await?;
    Ok(Notes {
        equipment_id: id,
        text,
        updated_at: Timestamp::parse(&updated_at).ok(),
    })
}

/// Replaces the notes of an item (owner organisation only); an empty text removes them.
pub async fn set(
    db: &Db,
    gate: &Gate,
    vault: &Vault,
    caller: &Caller,
    id: EquipmentId,
    input: &NotesInput,
) -> Result<Notes, EquipmentError> {
    let mut tx = db.begin().await?;
    let item = store::view(&mut tx, id)
        .await?
        .ok_or(EquipmentError::NotFound)?
        .item;
    let (tx, _) = gate
        .check_tx(tx, caller, Action::Read, &item.resource())
        .await?;
    let (mut tx, _) = gate
        .check_tx(tx, caller, Action::Update, &resource(id, item.org_id))
        .await?;
    let text = input.text.trim_end();
    if text.chars().count() > MAX_CHARS {
        let mut errors = FieldErrors::new();
        errors.add(
            "text",
            "too_long",
            format!("notes hold at most {MAX_CHARS} characters"),
        );
        return Err(EquipmentError::Invalid(errors));
    }
    let now = gate.clock().now();
    if text.is_empty() {
        sqlx::query("DELETE FROM equipment_notes WHERE equipment_id = $1")
            .bind(id.to_string())
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        return Ok(Notes {
            equipment_id: id,
            text: String::new(),
            updated_at: None,
        });
    }
    let sealed = vault
        .seal(&mut tx, item.org_id, &context(id), text, now)
        .await?;
    let actor = caller.principal.actor().map(|a| a.person_id.to_string());
    sqlx::query(
        "INSERT INTO equipment_notes (equipment_id, org_id, sealed, updated_at, updated_by) \
         VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT (equipment_id) DO UPDATE SET sealed = excluded.sealed, \
         updated_at = excluded.updated_at, updated_by = excluded.updated_by",
    )
    .bind(id.to_string())
    .bind(item.org_id.to_string())
    .bind(&sealed)
    .bind(now.to_rfc3339())
    .bind(actor)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(Notes {
        equipment_id: id,
        text: text.to_owned(),
        updated_at: Some(now),
    })
}
