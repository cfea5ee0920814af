//! Webhooks an organisation registers: an address, the events it wants, and a signing
//! secret (`whsec_` + base64 of 24 random bytes) shown once. Deliveries follow the
//! Standard Webhooks specification: a JSON body `{"type", "timestamp", "data"}` and the
//! headers `webhook-id` (the same on every retry), `webhook-timestamp` (Unix seconds of
//! the attempt) and `webhook-signature` = `v1,` + base64(HMAC-SHA256(secret bytes,
//! "{id}.{timestamp}.{body}")).
//!
//! Each message is a durable job (`notify.webhook`) retried with backoff; every attempt
//! (number, status code, error, duration, time) is logged for the organisation's admins.
//! Registering, listing, removing endpoints and reading the log are `manage_webhooks` on
//! the organisation, decided by the policies. The secret is sealed with the
//! organisation's data key: it must be usable to sign, so it cannot be stored hashed.

use std::time::{Duration, Instant};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, KeyInit, Mac};
use serde::{Deserialize, Serialize};
use serde_json::json;
use sha2::Sha256;
use sqlx::AnyConnection;
use sqlx::any::AnyRow;
use ticorr_db::{Db, flag};
use ticorr_kernel::{Clock, Cursor, FieldErrors, OrgId, Page, PageRequest, Timestamp, WebhookId};

use super::{KINDS, Message, NotifyError, WEBHOOK_JOB};
use crate::identity::orgs;
use crate::jobs::{self, Job};
use crate::policy::Action;
use crate::vault::Vault;
use crate::{Caller, Gate};

/// The event a test delivery carries (`POST …/webhooks/{id}/test`); not a notification kind.
pub const PING_EVENT: &str = "ping";
/// Endpoints one organisation may register.
pub const MAX_ENDPOINTS: i64 = 20;
pub const MAX_URL_CHARS: usize = 2_000;
/// How long one delivery attempt may take.
pub const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(15);

/// A registered endpoint, as its organisation's admins see it (never with the secret).
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Endpoint {
    pub id: WebhookId,
    pub org_id: OrgId,
    pub url: String,
    /// The event types delivered: notification kinds.
    pub events: Vec<String>,
    pub description: Option<String>,
    pub created_at: Timestamp,
}

/// A newly registered endpoint and its signing secret, shown this once.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CreatedEndpoint {
    pub endpoint: Endpoint,
    /// `whsec_…`: verify `webhook-signature` with the base64-decoded part after `whsec_`.
    /// It is not shown again.
    pub secret: String,
}

/// What an admin sends to register an endpoint.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EndpointInput {
    /// An `http://` or `https://` address.
    pub url: String,
    /// Notification kinds to deliver (at least one).
    pub events: Vec<String>,
    pub description: Option<String>,
}

/// One delivery attempt, in an endpoint's log.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Attempt {
    pub id: String,
    /// The message (`webhook-id`); its retries share it.
    pub message_id: String,
    pub event: String,
    /// 1 for the first attempt of the message, 2 for its first retry, …
    pub attempt: i64,
    /// The HTTP status the endpoint answered, if it answered.
    pub status_code: Option<i64>,
    /// Why the attempt failed; absent when it succeeded.
    pub error: Option<String>,
    pub duration_ms: i64,
    pub attempted_at: Timestamp,
}

/// A fresh signing secret: `whsec_` + base64 of 24 random bytes.
pub fn new_secret() -> String {
    let mut bytes = [0u8; 24];
    rand::fill(&mut bytes);
    format!("whsec_{}", STANDARD.encode(bytes))
}

/// The `webhook-signature` value for a message, per the Standard Webhooks specification.
pub fn sign(secret: &str, id: &str, timestamp: i64, body: &str) -> Result<String, String> {
    let key = STANDARD
        .decode(secret.strip_prefix("whsec_").unwrap_or(secret))
        .map_err(|e| format!("the signing secret is not base64: {e}"))?;
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).map_err(|e| e.to_string())?;
    mac.update(format!("{id}.{timestamp}.{body}").as_bytes());
    Ok(format!(
        "v1,{}",
        STANDARD.encode(mac.finalize().into_bytes())
    ))
}

/// Checks an endpoint address: `http` or `https`, with a host, no spaces or credentials.
pub fn check_url(url: &str) -> Result<(), String> {
    let url = url.trim();
    if url.chars().count() > MAX_URL_CHARS {
        return Err(format!(
            "the address is longer than {MAX_URL_CHARS} characters"
        ));
    }
    let scheme = url
        .split_once("://")
        .map(|(s, _)| s.to_ascii_lowercase())
        .unwrap_or_default();
    if scheme != "http" && scheme != "https" {
        return Err("only http:// and https:// addresses can receive webhooks".to_owned());
    }
    if url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err("the address contains spaces or control characters".into());
    }
    let uri: ureq::http::Uri = url
        .parse()
        .map_err(|e| format!("the address is not a valid URL: {e}"))?;
    let authority = uri.authority().ok_or("the address has no host")?;
    if authority.as_str().contains('@') {
        return Err("the address must not carry credentials; use the signature instead".into());
    }
    if authority.host().is_empty() {
        return Err("the address has no host".into());
    }
    Ok(())
}

fn validate(input: &EndpointInput) -> Result<(String, Vec<String>, Option<String>), FieldErrors> {
    let mut errors = FieldErrors::new();
    let url = input.url.trim().to_owned();
    if let Err(e) = check_url(&url) {
        errors.add("url", "invalid_url", e);
    }
    let mut events: Vec<String> = Vec::new();
    for e in &input.events {
        let e = e.trim();
        if !KINDS.iter().any(|k| k.name == e) {
            errors.add(
                "events",
                "unknown_value",
                format!(
                    "unknown event `{e}`; known: {}",
                    KINDS.iter().map(|k| k.name).collect::<Vec<_>>().join(", ")
                ),
            );
        } else if !events.iter().any(|x| x == e) {
            events.push(e.to_owned());
        }
    }
    if input.events.is_empty() {
        errors.add("events", "required", "choose at least one event");
    }
    let description = input
        .description
        .as_deref()
        .map(str::trim)
        .filter(|d| !d.is_empty())
        .map(str::to_owned);
    if description
        .as_deref()
        .is_some_and(|d| d.chars().count() > 200)
    {
        errors.add("description", "too_long", "at most 200 characters");
    }
    errors.into_result((url, events, description))
}

/// The organisation as the resource of `manage_webhooks`, or "not found".
async fn org_resource(
    conn: &mut AnyConnection,
    org: OrgId,
) -> Result<crate::policy::Resource, NotifyError> {
    Ok(orgs::load(conn, org)
        .await?
        .ok_or(NotifyError::NotFound)?
        .resource())
}

const ENDPOINT_COLUMNS: &str = "id, org_id, url, events, description, created_at";

fn endpoint_from_row(row: &AnyRow) -> Result<Endpoint, sqlx::Error> {
    let events: String = super::text(row, "events")?;
    Ok(Endpoint {
        id: ticorr_db::parsed(row, "id")?,
        org_id: ticorr_db::parsed(row, "org_id")?,
        url: super::text(row, "url")?,
        events: events.split_whitespace().map(str::to_owned).collect(),
        description: sqlx::Row::try_get(row, "description")?,
        created_at: ticorr_db::parsed(row, "created_at")?,
    })
}

/// Registers an endpoint for `org`; the secret comes back this once.
pub async fn create(
    db: &Db,
    gate: &Gate,
    vault: &Vault,
    caller: &Caller,
    org: OrgId,
    input: &EndpointInput,
) -> Result<CreatedEndpoint, NotifyError> {
    let mut tx = db.begin().await?;
    let resource = org_resource(&mut tx, org).await?;
    let (mut tx, _) = gate
        .check_tx(tx, caller, Action::ManageWebhooks, &resource)
        .await?;
    let (url, events, description) = validate(input)?;
    let count: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM webhook_endpoints WHERE org_id = $1 AND deleted_at IS NULL",
    )
    .bind(org.to_string())
    .fetch_one(&mut *tx)
    .await?;
    if count >= MAX_ENDPOINTS {
        let mut errors = FieldErrors::new();
        errors.add(
            "url",
            "too_many",
            format!("an organisation registers at most {MAX_ENDPOINTS} endpoints"),
        );
        return Err(NotifyError::Invalid(errors));
    }
    let id = WebhookId::new();
    let now = gate.clock().now();
    let secret = new_secret();
    let sealed = vault
        .seal(&mut tx, org, &secret_context(id), &secret, now)
        .await?;
    let actor = caller.principal.actor().map(|a| a.person_id.to_string());
    sqlx::query(
        "INSERT INTO webhook_endpoints (id, org_id, url, events, description, secret_sealed, \
         active, created_at, created_by) VALUES ($1, $2, $3, $4, $5, $6, 1, $7, $8)",
    )
    .bind(id.to_string())
    .bind(org.to_string())
    .bind(&url)
    .bind(events.join(" "))
    .bind(description.as_deref())
    .bind(&sealed)
    .bind(now.to_rfc3339())
    .bind(actor)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(CreatedEndpoint {
        endpoint: Endpoint {
            id,
            org_id: org,
            url,
            events,
            description,
            created_at: now,
        },
        secret,
    })
}

fn secret_context(id: WebhookId) -> String {
    format!("webhook_endpoints/secret/{id}")
}

/// The organisation's endpoints, oldest first.
pub async fn list(
    db: &Db,
    gate: &Gate,
    caller: &Caller,
    org: OrgId,
) -> Result<Vec<Endpoint>, NotifyError> {
    let mut conn = db.pool().acquire().await?;
    let resource = org_resource(&mut conn, org).await?;
    gate.check(&mut conn, caller, Action::ManageWebhooks, &resource)
        .await?;
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE org_id = $1 \
         AND deleted_at IS NULL ORDER BY id"
    )))
    .bind(org.to_string())
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows
        .iter()
        .map(endpoint_from_row)
        .collect::<Result<_, _>>()?)
}

async fn endpoint_of(
    conn: &mut AnyConnection,
    org: OrgId,
    id: WebhookId,
) -> Result<Endpoint, NotifyError> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE id = $1 AND org_id = $2 \
         AND deleted_at IS NULL"
    )))
    .bind(id.to_string())
    .bind(org.to_string())
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(NotifyError::NotFound)?;
    Ok(endpoint_from_row(&row)?)
}

/// Removes an endpoint: nothing more is delivered to it; its log stays readable in the
/// database for the operator.
pub async fn delete(
    db: &Db,
    gate: &Gate,
    caller: &Caller,
    org: OrgId,
    id: WebhookId,
) -> Result<(), NotifyError> {
    let mut tx = db.begin().await?;
    let resource = org_resource(&mut tx, org).await?;
    let (mut tx, _) = gate
        .check_tx(tx, caller, Action::ManageWebhooks, &resource)
        .await?;
    endpoint_of(&mut tx, org, id).await?;
    sqlx::query("UPDATE webhook_endpoints SET active = 0, deleted_at = $1 WHERE id = $2")
        .bind(gate.clock().now().to_rfc3339())
        .bind(id.to_string())
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(())
}

/// Sends a `ping` event to one endpoint, so an admin can check their receiver.
pub async fn send_test(
    db: &Db,
    gate: &Gate,
    caller: &Caller,
    org: OrgId,
    id: WebhookId,
) -> Result<String, NotifyError> {
    let mut tx = db.begin().await?;
    let resource = org_resource(&mut tx, org).await?;
    let (mut tx, _) = gate
        .check_tx(tx, caller, Action::ManageWebhooks, &resource)
        .await?;
    endpoint_of(&mut tx, org, id).await?;
    let now = gate.clock().now();
    let body = json!({
        "type": PING_EVENT,
        "timestamp": now.to_rfc3339(),
        "data": {"endpoint_id": id.to_string()},
    });
    let message_id = enqueue(&mut tx, now, id, PING_EVENT, &body).await?;
    tx.commit().await?;
    Ok(message_id)
}

/// The endpoint's delivery log, newest first.
pub async fn attempts(
    db: &Db,
    gate: &Gate,
    caller: &Caller,
    org: OrgId,
    id: WebhookId,
    page: &PageRequest,
) -> Result<Page<Attempt>, NotifyError> {
    let mut conn = db.pool().acquire().await?;
    let resource = org_resource(&mut conn, org).await?;
    gate.check(&mut conn, caller, Action::ManageWebhooks, &resource)
        .await?;
    endpoint_of(&mut conn, org, id).await?;
    let mut sql = "SELECT a.id, a.message_id, m.event, a.attempt, a.status_code, a.error, \
                   a.duration_ms, a.attempted_at FROM webhook_attempts a \
                   JOIN webhook_messages m ON m.id = a.message_id WHERE a.endpoint_id = $1"
        .to_owned();
    if page.after.is_some() {
        sql.push_str(" AND a.id < $3");
    }
    sql.push_str(" ORDER BY a.id DESC LIMIT $2");
    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(id.to_string())
        .bind(page.fetch_limit());
    if let Some(after) = &page.after {
        q = q.bind(after.id.clone());
    }
    let rows = q.fetch_all(&mut *conn).await?;
    let mut items = Vec::with_capacity(rows.len());
    for row in &rows {
        items.push(Attempt {
            id: super::text(row, "id")?,
            message_id: super::text(row, "message_id")?,
            event: super::text(row, "event")?,
            attempt: sqlx::Row::try_get(row, "attempt")?,
            status_code: sqlx::Row::try_get(row, "status_code")?,
            error: sqlx::Row::try_get(row, "error")?,
            duration_ms: sqlx::Row::try_get(row, "duration_ms")?,
            attempted_at: ticorr_db::parsed(row, "attempted_at")?,
        });
    }
    Ok(Page::from_rows(items, page, |a| Cursor {
        key: String::new(),
        id: a.id.clone(),
    }))
}

async fn enqueue(
    conn: &mut AnyConnection,
    now: Timestamp,
    endpoint: WebhookId,
    event: &str,
    body: &serde_json::Value,
) -> Result<String, NotifyError> {
    let message_id = format!("msg_{}", uuid::Uuid::now_v7().simple());
    sqlx::query(
        "INSERT INTO webhook_messages (id, endpoint_id, event, body, status, created_at) \
         VALUES ($1, $2, $3, $4, 'pending', $5)",
    )
    .bind(&message_id)
    .bind(endpoint.to_string())
    .bind(event)
    .bind(body.to_string())
    .bind(now.to_rfc3339())
    .execute(&mut *conn)
    .await?;
    jobs::enqueue(
        conn,
        WEBHOOK_JOB,
        &json!({"message_id": message_id}),
        now,
        None,
        None,
    )
    .await?;
    Ok(message_id)
}

/// Enqueues `message` for every live endpoint of `org` subscribed to its kind, inside
/// the caller's transaction. Returns how many messages were enqueued.
pub(crate) async fn emit(
    conn: &mut AnyConnection,
    now: Timestamp,
    org: OrgId,
    message: &Message,
) -> Result<usize, NotifyError> {
    let rows: Vec<(String, String)> = sqlx::query_as(
        "SELECT id, events FROM webhook_endpoints WHERE org_id = $1 AND active = 1 \
         AND deleted_at IS NULL ORDER BY id",
    )
    .bind(org.to_string())
    .fetch_all(&mut *conn)
    .await?;
    let body = json!({
        "type": message.kind,
        "timestamp": now.to_rfc3339(),
        "data": {
            "title": {"zh-CN": message.title_zh.trim(), "en": message.title_en.trim()},
            "body": {"zh-CN": message.body_zh.trim(), "en": message.body_en.trim()},
            "link": message.link,
        },
    });
    let mut n = 0;
    for (id, events) in rows {
        if !events.split_whitespace().any(|e| e == message.kind) {
            continue;
        }
        let id: WebhookId = ticorr_db::decode("id", &id)?;
        enqueue(conn, now, id, &message.kind, &body).await?;
        n += 1;
    }
    Ok(n)
}

/// A message and where it goes, as the delivery reads them.
struct Target {
    endpoint_id: String,
    body: String,
    org: OrgId,
    url: String,
    sealed: String,
    /// The endpoint is active and not removed.
    live: bool,
}

impl Target {
    fn from_row(row: &AnyRow) -> Result<Target, sqlx::Error> {
        let deleted: Option<String> = sqlx::Row::try_get(row, "deleted_at")?;
        Ok(Target {
            endpoint_id: super::text(row, "endpoint_id")?,
            body: super::text(row, "body")?,
            org: ticorr_db::parsed(row, "org_id")?,
            url: super::text(row, "url")?,
            sealed: super::text(row, "secret_sealed")?,
            live: flag::get(row, "active")? && deleted.is_none(),
        })
    }
}

/// What one HTTP attempt came to.
struct Outcome {
    status: Option<u16>,
    error: Option<String>,
}

fn post(url: &str, headers: Vec<(&'static str, String)>, body: String) -> Outcome {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(ATTEMPT_TIMEOUT))
        .http_status_as_error(false)
        // A redirect is an answer, not an instruction: the signed message goes only to
        // the registered address.
        .max_redirects(0)
        .build()
        .into();
    let mut req = agent
        .post(url)
        .header("content-type", "application/json")
        .header("user-agent", "Ticorr-Webhooks/1");
    for (name, value) in headers {
        req = req.header(name, value);
    }
    match req.send(body) {
        Ok(res) => {
            let status = res.status().as_u16();
            Outcome {
                status: Some(status),
                error: (!(200..300).contains(&status))
                    .then(|| format!("the endpoint answered HTTP {status}")),
            }
        }
        Err(e) => Outcome {
            status: None,
            error: Some(format!("no answer: {e}")),
        },
    }
}

/// The handler of `notify.webhook` jobs: signs the message and posts it to its endpoint,
/// logs the attempt, and succeeds on a 2xx answer. Any other answer or no answer is the
/// job's failure, retried with backoff until the job is dead. A message whose endpoint
/// was removed meanwhile is dropped (the job succeeds: there is nothing to retry).
pub async fn deliver_webhook(
    db: &Db,
    vault: &Vault,
    clock: &Clock,
    job: &Job,
) -> Result<(), String> {
    let message_id = job
        .payload
        .get("message_id")
        .and_then(|v| v.as_str())
        .ok_or("the job's payload names no message")?
        .to_owned();
    let storage = |e: sqlx::Error| format!("storage: {e}");
    let mut conn = db.pool().acquire().await.map_err(storage)?;
    let row = sqlx::query(
        "SELECT m.endpoint_id, m.body, e.org_id, e.url, e.secret_sealed, e.active, e.deleted_at \
         FROM webhook_messages m JOIN webhook_endpoints e ON e.id = m.endpoint_id \
         WHERE m.id = $1",
    )
    .bind(&message_id)
    .fetch_optional(&mut *conn)
    .await
    .map_err(storage)?
    .ok_or_else(|| format!("webhook message {message_id} does not exist"))?;
    let target = Target::from_row(&row).map_err(storage)?;
    let Target {
        endpoint_id,
        body,
        org,
        url,
        sealed,
        live,
    } = target;
    if !live {
        sqlx::query("UPDATE webhook_messages SET status = 'cancelled' WHERE id = $1")
            .bind(&message_id)
            .execute(&mut *conn)
            .await
            .map_err(storage)?;
        return Ok(());
    }
    let endpoint: WebhookId = ticorr_db::decode("endpoint_id", &endpoint_id).map_err(storage)?;
    let secret = vault
        .open(&mut conn, org, &secret_context(endpoint), &sealed)
        .await
        .map_err(|e| format!("the signing secret cannot be opened: {e}"))?;
    drop(conn);

    let now = clock.now();
    let timestamp = now.inner().unix_timestamp();
    let signature = sign(&secret, &message_id, timestamp, &body)?;
    let headers = vec![
        ("webhook-id", message_id.clone()),
        ("webhook-timestamp", timestamp.to_string()),
        ("webhook-signature", signature),
    ];
    let started = Instant::now();
    let outcome = tokio::task::spawn_blocking(move || post(&url, headers, body))
        .await
        .map_err(|e| format!("the delivery task failed: {e}"))?;
    let duration_ms = i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX);

    let mut tx = db.begin().await.map_err(|e| format!("storage: {e}"))?;
    sqlx::query(
        "INSERT INTO webhook_attempts (id, message_id, endpoint_id, attempt, status_code, error, \
         duration_ms, attempted_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(uuid::Uuid::now_v7().to_string())
    .bind(&message_id)
    .bind(&endpoint_id)
    .bind(job.attempt)
    .bind(outcome.status.map(i64::from))
    .bind(outcome.error.as_deref())
    .bind(duration_ms)
    .bind(now.to_rfc3339())
    .execute(&mut *tx)
    .await
    .map_err(storage)?;
    let status = match (&outcome.error, job.attempt >= job.max_attempts) {
        (None, _) => Some("delivered"),
        (Some(_), true) => Some("failed"),
        (Some(_), false) => None,
    };
    if let Some(status) = status {
        sqlx::query("UPDATE webhook_messages SET status = $1 WHERE id = $2")
            .bind(status)
            .bind(&message_id)
            .execute(&mut *tx)
            .await
            .map_err(storage)?;
    }
    tx.commit().await.map_err(|e| format!("storage: {e}"))?;
    match outcome.error {
        None => Ok(()),
        Some(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_signature_matches_the_standard_webhooks_example() {
        // The example of the Standard Webhooks specification's reference libraries.
        let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
        let body = r#"{"test": 2432232314}"#;
        let got = sign(secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body).unwrap();
        assert_eq!(got, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
    }

    #[test]
    fn secrets_are_prefixed_base64_of_24_bytes() {
        let s = new_secret();
        let raw = STANDARD.decode(s.strip_prefix("whsec_").unwrap()).unwrap();
        assert_eq!(raw.len(), 24);
        assert_ne!(s, new_secret());
    }

    #[test]
    fn only_http_and_https_addresses_are_accepted() {
        assert!(check_url("https://hooks.example.cn/ticorr").is_ok());
        assert!(check_url("http://127.0.0.1:8081/in").is_ok());
        for bad in [
            "ftp://example.cn/",
            "file:///etc/passwd",
            "javascript:alert(1)",
            "example.cn/hook",
            "https://user:pw@example.cn/",
            "https:// example.cn/",
            "https://",
        ] {
            assert!(check_url(bad).is_err(), "{bad}");
        }
    }
}
