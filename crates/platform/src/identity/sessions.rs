//! Sign-in sessions: random secrets in a cookie (or as a bearer token after an API
//! sign-in), stored as SHA-256 digests, with idle and absolute timeouts, listed to and
//! ended by their owner, and ended server-side on sign-out, disabling and suspension.

use serde::Serialize;
use sqlx::{AnyConnection, Row};
use ticorr_db::decode;
use ticorr_kernel::{Cursor, Page, PageRequest, PersonId, SessionId, Timestamp};
use time::Duration;

use super::IdentityConfig;
use super::secret::{digest, random_token};

/// A session just created: the secret goes to the client once and is not stored.
#[derive(Debug, Clone)]
pub struct NewSession {
    pub id: SessionId,
    pub secret: String,
    pub csrf_token: String,
    pub expires_at: Timestamp,
}

/// A live session found by its secret.
#[derive(Debug, Clone)]
pub struct LiveSession {
    pub id: SessionId,
    pub person_id: PersonId,
    pub csrf_token: String,
    pub created_at: Timestamp,
    /// When the session ends if it stays in use (the absolute timeout).
    pub expires_at: Timestamp,
}

pub async fn create(
    conn: &mut AnyConnection,
    config: &IdentityConfig,
    now: Timestamp,
    person: PersonId,
    user_agent: Option<&str>,
    ip: Option<&str>,
) -> Result<NewSession, sqlx::Error> {
    let s = NewSession {
        id: SessionId::new(),
        secret: random_token(),
        csrf_token: random_token(),
        expires_at: now.plus(Duration::hours(config.session_absolute_hours)),
    };
    sqlx::query(
        "INSERT INTO sessions (id, secret_hash, person_id, csrf_token, created_at, last_seen_at, expires_at, user_agent, ip) \
         VALUES ($1, $2, $3, $4, $5, $5, $6, $7, $8)",
    )
    .bind(s.id.to_string())
    .bind(digest(&s.secret))
    .bind(person.to_string())
    .bind(s.csrf_token.clone())
    .bind(now.to_rfc3339())
    .bind(s.expires_at.to_rfc3339())
    .bind(user_agent.map(|u| u.chars().take(300).collect::<String>()))
    .bind(ip.map(str::to_owned))
    .execute(conn)
    .await?;
    Ok(s)
}

/// Finds the live session a secret belongs to. Sessions past their idle or absolute
/// timeout are ended on the way. The last-seen time is refreshed at most once a minute,
/// to keep reads from turning into writes on every request.
pub async fn authenticate(
    conn: &mut AnyConnection,
    config: &IdentityConfig,
    now: Timestamp,
    secret: &str,
) -> Result<Option<LiveSession>, sqlx::Error> {
    let row = sqlx::query(
        "SELECT id, person_id, csrf_token, created_at, last_seen_at, expires_at FROM sessions \
         WHERE secret_hash = $1 AND ended_at IS NULL",
    )
    .bind(digest(secret))
    .fetch_optional(&mut *conn)
    .await?;
    let Some(row) = row else { return Ok(None) };
    let id: SessionId = decode("id", &row.try_get::<String, _>("id")?)?;
    let last_seen: Timestamp = decode("last_seen_at", &row.try_get::<String, _>("last_seen_at")?)?;
    let expires_at: Timestamp = decode("expires_at", &row.try_get::<String, _>("expires_at")?)?;
    let idle_end = last_seen.plus(Duration::minutes(config.session_idle_minutes));
    if now >= expires_at || now >= idle_end {
        let reason = if now >= expires_at {
            "absolute_timeout"
        } else {
            "idle_timeout"
        };
        end(conn, id, now, reason).await?;
        return Ok(None);
    }
    if now >= last_seen.plus(Duration::minutes(1)) {
        sqlx::query("UPDATE sessions SET last_seen_at = $1 WHERE id = $2")
            .bind(now.to_rfc3339())
            .bind(id.to_string())
            .execute(&mut *conn)
            .await?;
    }
    Ok(Some(LiveSession {
        id,
        person_id: decode("person_id", &row.try_get::<String, _>("person_id")?)?,
        csrf_token: row.try_get("csrf_token")?,
        created_at: decode("created_at", &row.try_get::<String, _>("created_at")?)?,
        expires_at,
    }))
}

/// Ends one session. Returns whether a live session was ended.
pub async fn end(
    conn: &mut AnyConnection,
    id: SessionId,
    now: Timestamp,
    reason: &str,
) -> Result<bool, sqlx::Error> {
    let r = sqlx::query(
        "UPDATE sessions SET ended_at = $1, end_reason = $2 WHERE id = $3 AND ended_at IS NULL",
    )
    .bind(now.to_rfc3339())
    .bind(reason.to_owned())
    .bind(id.to_string())
    .execute(conn)
    .await?;
    Ok(r.rows_affected() > 0)
}

/// Ends every live session of a person, except `keep` when given.
pub async fn end_all(
    conn: &mut AnyConnection,
    person: PersonId,
    now: Timestamp,
    reason: &str,
    keep: Option<SessionId>,
) -> Result<u64, sqlx::Error> {
    let r = sqlx::query(
        "UPDATE sessions SET ended_at = $1, end_reason = $2 WHERE person_id = $3 AND ended_at IS NULL AND id <> $4",
    )
    .bind(now.to_rfc3339())
    .bind(reason.to_owned())
    .bind(person.to_string())
    .bind(keep.map(|k| k.to_string()).unwrap_or_default())
    .execute(conn)
    .await?;
    Ok(r.rows_affected())
}

/// A session as its owner sees it in "my sessions".
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SessionInfo {
    pub id: SessionId,
    pub created_at: Timestamp,
    pub last_seen_at: Timestamp,
    pub expires_at: Timestamp,
    pub user_agent: Option<String>,
    pub ip: Option<String>,
    /// The session this list was requested from.
    pub current: bool,
}

/// A person's live sessions, newest first, a page at a time.
pub async fn list_live(
    conn: &mut AnyConnection,
    config: &IdentityConfig,
    now: Timestamp,
    person: PersonId,
    current: Option<SessionId>,
    page: &PageRequest,
) -> Result<Page<SessionInfo>, sqlx::Error> {
    let idle_cutoff = now.minus(Duration::minutes(config.session_idle_minutes));
    let (key, id) = page
        .after
        .as_ref()
        .map(|c| (c.key.clone(), c.id.clone()))
        .unwrap_or_else(|| ("9999".to_owned(), String::new()));
    let rows = sqlx::query(
        "SELECT id, created_at, last_seen_at, expires_at, user_agent, ip FROM sessions \
         WHERE person_id = $1 AND ended_at IS NULL AND expires_at > $2 AND last_seen_at > $3 \
         AND (created_at < $4 OR (created_at = $4 AND id < $5)) \
         ORDER BY created_at DESC, id DESC LIMIT $6",
    )
    .bind(person.to_string())
    .bind(now.to_rfc3339())
    .bind(idle_cutoff.to_rfc3339())
    .bind(key)
    .bind(id)
    .bind(page.fetch_limit())
    .fetch_all(conn)
    .await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let id: SessionId = decode("id", &r.try_get::<String, _>("id")?)?;
        out.push(SessionInfo {
            id,
            created_at: decode("created_at", &r.try_get::<String, _>("created_at")?)?,
            last_seen_at: decode("last_seen_at", &r.try_get::<String, _>("last_seen_at")?)?,
            expires_at: decode("expires_at", &r.try_get::<String, _>("expires_at")?)?,
            user_agent: r.try_get("user_agent")?,
            ip: r.try_get("ip")?,
            current: Some(id) == current,
        });
    }
    Ok(Page::from_rows(out, page, |s| Cursor {
        key: s.created_at.to_rfc3339(),
        id: s.id.to_string(),
    }))
}

/// Ends one of the person's own sessions; sessions of others look absent.
pub async fn end_own(
    conn: &mut AnyConnection,
    person: PersonId,
    id: SessionId,
    now: Timestamp,
) -> Result<bool, sqlx::Error> {
    let r = sqlx::query(
        "UPDATE sessions SET ended_at = $1, end_reason = 'ended_by_owner' WHERE id = $2 AND person_id = $3 AND ended_at IS NULL",
    )
    .bind(now.to_rfc3339())
    .bind(id.to_string())
    .bind(person.to_string())
    .execute(conn)
    .await?;
    Ok(r.rows_affected() > 0)
}
