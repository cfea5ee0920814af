//! Files attached to equipment items: inspection reports, micrographs, test reports.
//!
//! The platform's attachment service does the work and asks the policies; this module
//! only says what an item's files are governed by: the item's level, organisation and park.
//! Equipment items are not anchored in the ledger yet, so their files are not either; when
//! the registry starts anchoring items it sets [`ticorr_platform::attachments::Owner::ledger_type`]
//! and calls [`ticorr_platform::attachments::anchor_owner`] in the same transaction.

use ticorr_db::Db;
use ticorr_kernel::EquipmentId;
use ticorr_platform::attachments::Owner;

use crate::{Equipment, EquipmentError, RECORD_KIND, store};

/// The owner descriptor of an item's files.
pub fn owner(item: &Equipment) -> Owner {
    Owner {
        kind: RECORD_KIND,
        id: item.id.to_string(),
        org: item.org_id,
        level: item.level,
        parks: item.park_id.into_iter().collect(),
        ledger_type: None,
    }
}

/// The owner descriptor of item `id`, with no authorization: the attachment service
/// decides on it. `None` when the item does not exist.
pub async fn owner_of(db: &Db, id: EquipmentId) -> Result<Option<Owner>, EquipmentError> {
    let mut conn = db.pool().acquire().await?;
    Ok(store::view(&mut conn, id).await?.map(|v| owner(&v.item)))
}
