//! API tokens for machine clients (digital twins, park sensor networks, scripts).
//!
//! A token acts as the person who issued it, within the organisation, and only for the
//! actions it was issued for (the policies enforce the scopes). It is shown once; only
//! its SHA-256 is stored. Tokens expire, can be revoked, and stop working when their
//! person is disabled or the organisation suspended. Every use is audited.

use serde::{Deserialize, Serialize};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};
use ticorr_db::{Db, decode};
use ticorr_kernel::{Cursor, FieldErrors, OrgId, Page, PageRequest, PersonId, Timestamp, TokenId};
use time::Duration;

use super::secret::{digest, random_token};
use super::{IdentityConfig, IdentityError, orgs};
use crate::audit::{self, AuditEvent, Outcome};
use crate::gate::{Caller, Gate};
use crate::policy::Action;

/// The visible start of every token, so leaked tokens are easy to recognise in logs and
/// by secret scanners.
pub const TOKEN_PREFIX: &str = "tcr_";

/// A token as listed (never with its secret).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TokenInfo {
    pub id: TokenId,
    pub name: String,
    /// The first characters of the token, to tell tokens apart.
    pub prefix: String,
    pub person_id: PersonId,
    pub scopes: Vec<Action>,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
    pub last_used_at: Option<Timestamp>,
    pub revoked_at: Option<Timestamp>,
}

fn from_row(row: &AnyRow) -> Result<TokenInfo, sqlx::Error> {
    let opt_ts = |col: &'static str| -> Result<Option<Timestamp>, sqlx::Error> {
        row.try_get::<Option<String>, _>(col)?
            .map(|s| decode(col, &s))
            .transpose()
    };
    Ok(TokenInfo {
        id: decode("id", &row.try_get::<String, _>("id")?)?,
        name: row.try_get("name")?,
        prefix: row.try_get("prefix")?,
        person_id: decode("person_id", &row.try_get::<String, _>("person_id")?)?,
        scopes: parse_scopes(&row.try_get::<String, _>("scopes")?)?,
        created_at: decode("created_at", &row.try_get::<String, _>("created_at")?)?,
        expires_at: decode("expires_at", &row.try_get::<String, _>("expires_at")?)?,
        last_used_at: opt_ts("last_used_at")?,
        revoked_at: opt_ts("revoked_at")?,
    })
}

fn parse_scopes(s: &str) -> Result<Vec<Action>, sqlx::Error> {
    s.split_whitespace().map(|a| decode("scopes", a)).collect()
}

/// What an admin asks for.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct NewToken {
    pub name: String,
    /// Action names, e.g. `["read", "create"]`.
    pub scopes: Vec<String>,
    /// Days until expiry (1 to the configured maximum).
    pub days: i64,
}

/// Issues a token for `org_id` (the policies allow only its own admins). Returns the
/// listing and the secret, which is shown to the admin once.
pub async fn issue(
    db: &Db,
    gate: &Gate,
    config: &IdentityConfig,
    caller: &Caller,
    org_id: OrgId,
    input: &NewToken,
) -> Result<(TokenInfo, String), IdentityError> {
    let actor = caller.principal.actor().ok_or(IdentityError::NotFound)?;
    let mut errors = FieldErrors::new();
    if input.name.trim().is_empty() || input.name.chars().count() > 100 {
        errors.add(
            "name",
            "required",
            "name the token after the client that will use it (at most 100 characters)",
        );
    }
    let mut scopes = Vec::new();
    for s in &input.scopes {
        match s.parse::<Action>() {
            Ok(a) if Action::RECORD.contains(&a) => scopes.push(a),
            _ => {
                errors.add("scopes", "unknown_value", format!("`{s}` is not an action a token can be issued for (read, create, update, delete)"));
            }
        }
    }
    scopes.sort();
    scopes.dedup();
    if scopes.is_empty() && errors.is_empty() {
        errors.add("scopes", "required", "choose at least one action");
    }
    if input.days < 1 || input.days > config.token_max_days {
        errors.add(
            "days",
            "out_of_range",
            format!("choose between 1 and {} days", config.token_max_days),
        );
    }
    let now = gate.clock().now();
    let mut tx = db.begin().await?;
    let org = orgs::load(&mut tx, org_id)
        .await?
        .ok_or(IdentityError::NotFound)?;
    let (mut tx, _permit) = gate
        .check_tx(tx, caller, Action::ManageTokens, &org.resource())
        .await?;
    if !errors.is_empty() {
        return Err(errors.into());
    }
    let secret = format!("{TOKEN_PREFIX}{}", random_token());
    let id = TokenId::new();
    let scopes_text = scopes
        .iter()
        .map(|a| a.as_str())
        .collect::<Vec<_>>()
        .join(" ");
    sqlx::query(
        "INSERT INTO api_tokens (id, secret_hash, prefix, name, person_id, org_id, scopes, created_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(id.to_string())
    .bind(digest(&secret))
    .bind(secret.chars().take(10).collect::<String>())
    .bind(input.name.trim().to_owned())
    .bind(actor.person_id.to_string())
    .bind(org_id.to_string())
    .bind(scopes_text)
    .bind(now.to_rfc3339())
    .bind(now.plus(Duration::days(input.days)).to_rfc3339())
    .execute(&mut *tx)
    .await?;
    let e = AuditEvent::on(
        caller,
        now,
        "token.issue",
        Outcome::Success,
        "api_token",
        id,
        Some(org_id),
    );
    audit::record(&mut tx, &[e]).await?;
    let info = load(&mut tx, id).await?.ok_or(IdentityError::NotFound)?;
    tx.commit().await?;
    Ok((info, secret))
}

async fn load(conn: &mut AnyConnection, id: TokenId) -> Result<Option<TokenInfo>, sqlx::Error> {
    sqlx::query(
        "SELECT id, name, prefix, person_id, scopes, created_at, expires_at, last_used_at, revoked_at \
         FROM api_tokens WHERE id = $1",
    )
    .bind(id.to_string())
    .fetch_optional(conn)
    .await?
    .map(|r| from_row(&r))
    .transpose()
}

/// The organisation's tokens, newest first (admins only).
pub async fn list(
    db: &Db,
    gate: &Gate,
    caller: &Caller,
    org_id: OrgId,
    page: &PageRequest,
) -> Result<Page<TokenInfo>, IdentityError> {
    let mut conn = db.pool().acquire().await?;
    let org = orgs::load(&mut conn, org_id)
        .await?
        .ok_or(IdentityError::NotFound)?;
    gate.check(&mut conn, caller, Action::ManageTokens, &org.resource())
        .await?;
    // Newest first: before the cursor in (created_at, id) order.
    let (key, id) = page
        .after
        .as_ref()
        .map(|c| (c.key.clone(), c.id.clone()))
        .unwrap_or_else(|| ("9999".to_owned(), String::new()));
    let rows = sqlx::query(
        "SELECT id, name, prefix, person_id, scopes, created_at, expires_at, last_used_at, revoked_at \
         FROM api_tokens WHERE org_id = $1 AND (created_at < $2 OR (created_at = $2 AND id < $3)) \
         ORDER BY created_at DESC, id DESC LIMIT $4",
    )
    .bind(org_id.to_string())
    .bind(key)
    .bind(id)
    .bind(page.fetch_limit())
    .fetch_all(&mut *conn)
    .await?;
    let items = rows.iter().map(from_row).collect::<Result<Vec<_>, _>>()?;
    Ok(Page::from_rows(items, page, |t| Cursor {
        key: t.created_at.to_rfc3339(),
        id: t.id.to_string(),
    }))
}

/// Revokes a token of the caller's organisation.
pub async fn revoke(
    db: &Db,
    gate: &Gate,
    caller: &Caller,
    org_id: OrgId,
    id: TokenId,
) -> Result<(), IdentityError> {
    let now = gate.clock().now();
    let mut tx = db.begin().await?;
    let org = orgs::load(&mut tx, org_id)
        .await?
        .ok_or(IdentityError::NotFound)?;
    let (mut tx, _permit) = gate
        .check_tx(tx, caller, Action::ManageTokens, &org.resource())
        .await?;
    let r = sqlx::query("UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND org_id = $3 AND revoked_at IS NULL")
        .bind(now.to_rfc3339())
        .bind(id.to_string())
        .bind(org_id.to_string())
        .execute(&mut *tx)
        .await?;
    if r.rows_affected() == 0 {
        return Err(IdentityError::NotFound);
    }
    let e = AuditEvent::on(
        caller,
        now,
        "token.revoke",
        Outcome::Success,
        "api_token",
        id,
        Some(org_id),
    );
    audit::record(&mut tx, &[e]).await?;
    tx.commit().await?;
    Ok(())
}

/// A valid token found by its secret.
#[derive(Debug, Clone)]
pub struct TokenUse {
    pub id: TokenId,
    pub person_id: PersonId,
    pub org_id: OrgId,
    pub scopes: Vec<Action>,
}

/// Resolves a presented token: unknown, expired and revoked tokens give `None`. The use is
/// recorded (last-used time and an audit row) whatever the outcome of the request.
pub async fn authenticate(
    conn: &mut AnyConnection,
    now: Timestamp,
    secret: &str,
    ip: Option<&str>,
) -> Result<Option<TokenUse>, sqlx::Error> {
    if !secret.starts_with(TOKEN_PREFIX) {
        return Ok(None);
    }
    let row = sqlx::query(
        "SELECT id, person_id, org_id, scopes, expires_at, revoked_at FROM api_tokens WHERE secret_hash = $1",
    )
    .bind(digest(secret))
    .fetch_optional(&mut *conn)
    .await?;
    let Some(row) = row else { return Ok(None) };
    let id: TokenId = decode("id", &row.try_get::<String, _>("id")?)?;
    let person_id: PersonId = decode("person_id", &row.try_get::<String, _>("person_id")?)?;
    let org_id: OrgId = decode("org_id", &row.try_get::<String, _>("org_id")?)?;
    let expires: Timestamp = decode("expires_at", &row.try_get::<String, _>("expires_at")?)?;
    let revoked = row.try_get::<Option<String>, _>("revoked_at")?.is_some();
    let valid = !revoked && now < expires;
    let mut e = AuditEvent {
        at: now,
        actor_person_id: Some(person_id),
        actor_org_id: Some(org_id),
        via: "token",
        action: "token.use".into(),
        resource_type: Some("api_token".into()),
        resource_id: Some(id.to_string()),
        resource_org_id: Some(org_id),
        level: None,
        outcome: if valid {
            Outcome::Success
        } else {
            Outcome::Failure
        },
        ip: ip.map(str::to_owned),
        detail: None,
    };
    if !valid {
        e.detail = Some(if revoked {
            "revoked".into()
        } else {
            "expired".into()
        });
    }
    audit::record(conn, &[e]).await?;
    if !valid {
        return Ok(None);
    }
    sqlx::query("UPDATE api_tokens SET last_used_at = $1 WHERE id = $2")
        .bind(now.to_rfc3339())
        .bind(id.to_string())
        .execute(&mut *conn)
        .await?;
    Ok(Some(TokenUse {
        id,
        person_id,
        org_id,
        scopes: parse_scopes(&row.try_get::<String, _>("scopes")?)?,
    }))
}
