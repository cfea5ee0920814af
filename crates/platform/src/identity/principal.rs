//! Loading the principal behind a request: the person, their organisation, its parks and
//! the person's capacities, in the shape the policies read.

use sqlx::{AnyConnection, Row};
use ticorr_db::{decode, flag};
use ticorr_kernel::{OrgKind, OrgStatus, PersonId};

use super::{orgs, people};
use crate::policy::{Actor, Via};

/// The actor for `person`, or `None` when the person is gone, disabled, or belongs to an
/// organisation that was rejected or suspended (whose people may no longer act at all).
pub async fn load_actor(
    conn: &mut AnyConnection,
    person: PersonId,
    via: Via,
) -> Result<Option<Actor>, sqlx::Error> {
    let row = sqlx::query(
        "SELECT p.display_name, p.org_id, p.role, p.active, o.kind, o.name, o.status \
         FROM people p JOIN organizations o ON o.id = p.org_id WHERE p.id = $1",
    )
    .bind(person.to_string())
    .fetch_optional(&mut *conn)
    .await?;
    let Some(row) = row else { return Ok(None) };
    let active = flag::get(&row, "active")?;
    let status: OrgStatus = decode("status", &row.try_get::<String, _>("status")?)?;
    if !active || matches!(status, OrgStatus::Rejected | OrgStatus::Suspended) {
        return Ok(None);
    }
    let org_id = decode("org_id", &row.try_get::<String, _>("org_id")?)?;
    let kind: OrgKind = decode("kind", &row.try_get::<String, _>("kind")?)?;
    let org_parks = orgs::parks_of(conn, org_id).await?;
    let capacities = people::capacities_of(conn, person).await?;
    Ok(Some(Actor {
        person_id: person,
        display_name: row.try_get("display_name")?,
        org_id,
        org_kind: kind,
        org_name: row.try_get("name")?,
        org_verified: status == OrgStatus::Verified,
        org_parks,
        role: decode("role", &row.try_get::<String, _>("role")?)?,
        capacities,
        active,
        via,
    }))
}
