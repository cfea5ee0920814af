//! People: membership and roles inside an organisation, account state, own password.

use serde::{Deserialize, Serialize};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};
use ticorr_db::{Db, decode, flag, unique_violation};
use ticorr_kernel::{
    Capacity, Cursor, FieldErrors, OrgId, Page, PageRequest, PersonId, Role, Timestamp,
};

use super::{
    IdentityConfig, IdentityError, normalize_email, orgs, password, sessions, valid_email,
};
use crate::audit::{self, AuditEvent, Outcome};
use crate::gate::{Caller, Gate};
use crate::policy::Action;

/// A person as shown to their organisation.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Person {
    pub id: PersonId,
    pub org_id: OrgId,
    pub email: String,
    pub display_name: String,
    pub role: Role,
    pub active: bool,
    /// Whether a password is set (an account without one cannot sign in yet).
    pub can_sign_in: bool,
    pub capacities: Vec<Capacity>,
    pub created_at: Timestamp,
}

fn from_row(row: &AnyRow) -> Result<Person, sqlx::Error> {
    Ok(Person {
        id: decode("id", &row.try_get::<String, _>("id")?)?,
        org_id: decode("org_id", &row.try_get::<String, _>("org_id")?)?,
        email: row.try_get("email")?,
        display_name: row.try_get("display_name")?,
        role: decode("role", &row.try_get::<String, _>("role")?)?,
        active: flag::get(row, "active")?,
        can_sign_in: row.try_get::<Option<String>, _>("password_hash")?.is_some(),
        // Filled by the caller from person_capacities.
        capacities: Vec::new(),
        created_at: decode("created_at", &row.try_get::<String, _>("created_at")?)?,
    })
}

/// Reads a person without authorization, for the platform's own use.
pub async fn load(conn: &mut AnyConnection, id: PersonId) -> Result<Option<Person>, sqlx::Error> {
    let row = sqlx::query(
        "SELECT id, org_id, email, display_name, role, active, password_hash, created_at \
         FROM people WHERE id = $1",
    )
    .bind(id.to_string())
    .fetch_optional(&mut *conn)
    .await?;
    let Some(row) = row else { return Ok(None) };
    let mut person = from_row(&row)?;
    person.capacities = capacities_of(conn, id).await?;
    Ok(Some(person))
}

/// The platform-wide capacities a person holds.
pub async fn capacities_of(
    conn: &mut AnyConnection,
    id: PersonId,
) -> Result<Vec<Capacity>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT capacity FROM person_capacities WHERE person_id = $1 ORDER BY capacity",
    )
    .bind(id.to_string())
    .fetch_all(conn)
    .await?;
    rows.iter()
        .map(|r| decode("capacity", &r.try_get::<String, _>("capacity")?))
        .collect()
}

/// A new person, as registration, the seed and admins create them.
#[derive(Debug, Clone)]
pub struct NewPerson {
    pub id: PersonId,
    pub org_id: OrgId,
    /// Already normalised.
    pub email: String,
    pub display_name: String,
    pub role: Role,
    pub password_hash: Option<String>,
}

pub async fn insert(
    conn: &mut AnyConnection,
    p: &NewPerson,
    now: Timestamp,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO people (id, org_id, email, display_name, role, password_hash, active, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(p.id.to_string())
    .bind(p.org_id.to_string())
    .bind(p.email.clone())
    .bind(p.display_name.clone())
    .bind(p.role.as_str())
    .bind(p.password_hash.clone())
    .bind(flag::to_db(true))
    .bind(now.to_rfc3339())
    .execute(conn)
    .await?;
    Ok(())
}

/// Grants a platform capacity (seed and operator tooling).
pub async fn grant_capacity(
    conn: &mut AnyConnection,
    person: PersonId,
    capacity: Capacity,
    by: Option<PersonId>,
    now: Timestamp,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO person_capacities (person_id, capacity, granted_at, granted_by) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (person_id, capacity) DO NOTHING",
    )
    .bind(person.to_string())
    .bind(capacity.as_str())
    .bind(now.to_rfc3339())
    .bind(by.map(|b| b.to_string()))
    .execute(conn)
    .await?;
    Ok(())
}

/// The people of an organisation, by name; for its own members.
pub async fn members(
    db: &Db,
    gate: &Gate,
    caller: &Caller,
    org_id: OrgId,
    page: &PageRequest,
) -> Result<Page<Person>, IdentityError> {
    let mut conn = db.pool().acquire().await?;
    let org = orgs::load(&mut conn, org_id)
        .await?
        .ok_or(IdentityError::NotFound)?;
    gate.check(&mut conn, caller, Action::ViewMembers, &org.resource())
        .await?;
    let (key, id) = page
        .after
        .as_ref()
        .map(|c| (c.key.clone(), c.id.clone()))
        .unwrap_or_default();
    let rows = sqlx::query(
        "SELECT id, org_id, email, display_name, role, active, password_hash, created_at \
         FROM people WHERE org_id = $1 AND (display_name > $2 OR (display_name = $2 AND id > $3)) \
         ORDER BY display_name, id LIMIT $4",
    )
    .bind(org_id.to_string())
    .bind(key)
    .bind(id)
    .bind(page.fetch_limit())
    .fetch_all(&mut *conn)
    .await?;
    let mut people = rows.iter().map(from_row).collect::<Result<Vec<_>, _>>()?;
    for p in &mut people {
        p.capacities = capacities_of(&mut conn, p.id).await?;
    }
    Ok(Page::from_rows(people, page, |p| Cursor {
        key: p.display_name.clone(),
        id: p.id.to_string(),
    }))
}

/// A person an admin adds to their organisation.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct NewMember {
    pub email: String,
    pub display_name: String,
    /// `admin` or `member`.
    pub role: String,
    /// The initial password, which the admin passes on; the person should change it.
    pub password: String,
}

/// Adds a person to an organisation (its admins only).
pub async fn add_member(
    db: &Db,
    gate: &Gate,
    config: &IdentityConfig,
    caller: &Caller,
    org_id: OrgId,
    input: &NewMember,
) -> Result<Person, IdentityError> {
    let mut errors = FieldErrors::new();
    let email = normalize_email(&input.email);
    if !valid_email(&email) {
        errors.add(
            "email",
            "invalid",
            "enter an e-mail address such as name@example.com",
        );
    }
    if input.display_name.trim().is_empty() {
        errors.add("display_name", "required", "enter the person's name");
    }
    let role = input.role.parse::<Role>();
    if let Err(e) = &role {
        errors.add("role", "unknown_value", e.to_string());
    }
    password::check_new("password", &input.password, &mut errors);
    // Authorize before revealing anything about the input's validity to outsiders.
    {
        let mut conn = db.pool().acquire().await?;
        let org = orgs::load(&mut conn, org_id)
            .await?
            .ok_or(IdentityError::NotFound)?;
        gate.check(&mut conn, caller, Action::ManagePeople, &org.resource())
            .await?;
    }
    if !errors.is_empty() {
        return Err(errors.into());
    }
    let hash = password::hash_async(config, &input.password).await?;
    let now = gate.clock().now();
    let new = NewPerson {
        id: PersonId::new(),
        org_id,
        email,
        display_name: input.display_name.trim().to_owned(),
        role: role.expect("checked"),
        password_hash: Some(hash),
    };
    let mut tx = db.begin().await?;
    if let Err(err) = insert(&mut tx, &new, now).await {
        if unique_violation(&err).is_some() {
            let mut f = FieldErrors::new();
            f.add(
                "email",
                "taken",
                "this e-mail address already belongs to an account",
            );
            return Err(f.into());
        }
        return Err(err.into());
    }
    let e = AuditEvent::on(
        caller,
        now,
        "person.add",
        Outcome::Success,
        "person",
        new.id,
        Some(org_id),
    );
    audit::record(&mut tx, &[e]).await?;
    let person = load(&mut tx, new.id)
        .await?
        .ok_or(IdentityError::NotFound)?;
    tx.commit().await?;
    Ok(person)
}

/// A change an admin makes to a person of their organisation.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct MemberChange {
    #[serde(default)]
    pub role: Option<String>,
    #[serde(default)]
    pub active: Option<bool>,
}

/// Changes a person's role or disables / re-enables the account. Disabling ends the
/// person's sessions at once; an organisation always keeps one active admin.
pub async fn change_member(
    db: &Db,
    gate: &Gate,
    caller: &Caller,
    org_id: OrgId,
    person_id: PersonId,
    change: &MemberChange,
) -> Result<Person, IdentityError> {
    let role = match change.role.as_deref() {
        Some(r) => Some(r.parse::<Role>().map_err(|e| {
            let mut f = FieldErrors::new();
            f.add("role", "unknown_value", e.to_string());
            IdentityError::Invalid(f)
        })?),
        None => None,
    };
    let now = gate.clock().now();
    let mut tx = db.begin().await?;
    let org = orgs::load(&mut tx, org_id)
        .await?
        .ok_or(IdentityError::NotFound)?;
    let (mut tx, _permit) = gate
        .check_tx(tx, caller, Action::ManagePeople, &org.resource())
        .await?;
    let person = load(&mut tx, person_id)
        .await?
        .filter(|p| p.org_id == org_id)
        .ok_or(IdentityError::NotFound)?;
    let is_self = caller.principal.actor().map(|a| a.person_id) == Some(person_id);
    if is_self && change.active == Some(false) {
        return Err(IdentityError::Conflict(
            "you cannot disable your own account",
        ));
    }
    let new_role = role.unwrap_or(person.role);
    let new_active = change.active.unwrap_or(person.active);
    if person.role == Role::Admin && person.active && (new_role != Role::Admin || !new_active) {
        let admins: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM people WHERE org_id = $1 AND role = 'admin' AND active = 1",
        )
        .bind(org_id.to_string())
        .fetch_one(&mut *tx)
        .await?;
        if admins <= 1 {
            return Err(IdentityError::Conflict(
                "an organisation needs at least one active admin",
            ));
        }
    }
    sqlx::query("UPDATE people SET role = $1, active = $2 WHERE id = $3")
        .bind(new_role.as_str())
        .bind(flag::to_db(new_active))
        .bind(person_id.to_string())
        .execute(&mut *tx)
        .await?;
    if !new_active && person.active {
        sessions::end_all(&mut tx, person_id, now, "account_disabled", None).await?;
    }
    let what = if !new_active && person.active {
        "person.disable"
    } else if new_active && !person.active {
        "person.enable"
    } else {
        "person.change_role"
    };
    let e = AuditEvent::on(
        caller,
        now,
        what,
        Outcome::Success,
        "person",
        person_id,
        Some(org_id),
    );
    audit::record(&mut tx, &[e]).await?;
    let person = load(&mut tx, person_id)
        .await?
        .ok_or(IdentityError::NotFound)?;
    tx.commit().await?;
    Ok(person)
}

/// A person changes their own password; every other session of theirs ends.
pub async fn change_own_password(
    db: &Db,
    config: &IdentityConfig,
    gate: &Gate,
    caller: &Caller,
    current: &str,
    new: &str,
) -> Result<(), IdentityError> {
    let actor = caller.principal.actor().ok_or(IdentityError::Forbidden)?;
    let mut errors = FieldErrors::new();
    password::check_new("new_password", new, &mut errors);
    let stored: Option<String> =
        sqlx::query_scalar("SELECT password_hash FROM people WHERE id = $1")
            .bind(actor.person_id.to_string())
            .fetch_optional(db.pool())
            .await?
            .flatten();
    let current_ok = match stored {
        Some(h) => {
            let current = current.to_owned();
            tokio::task::spawn_blocking(move || password::verify(&current, &h))
                .await
                .map_err(|_| IdentityError::Hashing)?
        }
        None => false,
    };
    if !current_ok {
        errors.add(
            "current_password",
            "wrong",
            "the current password is not correct",
        );
    }
    if !errors.is_empty() {
        return Err(errors.into());
    }
    let hash = password::hash_async(config, new).await?;
    let now = gate.clock().now();
    let mut tx = db.begin().await?;
    sqlx::query("UPDATE people SET password_hash = $1 WHERE id = $2")
        .bind(hash)
        .bind(actor.person_id.to_string())
        .execute(&mut *tx)
        .await?;
    let keep = match actor.via {
        crate::policy::Via::Session(s) => Some(s),
        _ => None,
    };
    sessions::end_all(&mut tx, actor.person_id, now, "password_changed", keep).await?;
    let e = AuditEvent::on(
        caller,
        now,
        "password.change",
        Outcome::Success,
        "person",
        actor.person_id,
        Some(actor.org_id),
    );
    audit::record(&mut tx, &[e]).await?;
    tx.commit().await?;
    Ok(())
}
