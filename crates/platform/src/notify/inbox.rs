//! Each person's inbox: list (newest first, cursor-paginated, unread or archived only),
//! the unread count, mark read, mark all read, archive.
//!
//! Every call names the caller's own inbox as its resource and goes through the gate
//! (`read_inbox`, `manage_inbox`); the queries are scoped to the caller's person id by
//! construction, so a notification of someone else answers "not found".

use serde::{Deserialize, Serialize};
use sqlx::AnyConnection;
use sqlx::any::AnyRow;
use ticorr_db::Db;
use ticorr_kernel::{Cursor, NotificationId, Page, PageRequest, PersonId, Timestamp};

use super::NotifyError;
use crate::policy::{Action, InboxRef, Resource};
use crate::{Caller, Gate};

/// The caller's person id and their inbox as the policies see it.
pub(crate) fn own_inbox(caller: &Caller) -> Result<(PersonId, Resource), NotifyError> {
    let actor = caller.principal.actor().ok_or(NotifyError::NotFound)?;
    Ok((
        actor.person_id,
        Resource::Inbox(InboxRef {
            owner: actor.person_id,
        }),
    ))
}

/// A notification as its reader sees it, in the reader's language.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Notification {
    pub id: NotificationId,
    pub kind: String,
    pub title: String,
    pub body: String,
    /// A path on this platform, if the notification points somewhere.
    pub link: Option<String>,
    pub created_at: Timestamp,
    pub read_at: Option<Timestamp>,
    pub archived_at: Option<Timestamp>,
}

/// Which notifications a list shows.
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct InboxFilter {
    /// Only notifications not yet read.
    pub unread: Option<bool>,
    /// `true`: the archived notifications only; otherwise those not archived.
    pub archived: Option<bool>,
}

const COLUMNS: &str = "id, kind, title_zh, title_en, body_zh, body_en, link, created_at, \
                       read_at, archived_at";

fn from_row(row: &AnyRow, lang: &str) -> Result<Notification, sqlx::Error> {
    let en = lang.starts_with("en");
    let pick = |zh: &str, en_col: &str| super::text(row, if en { en_col } else { zh });
    Ok(Notification {
        id: ticorr_db::parsed(row, "id")?,
        kind: super::text(row, "kind")?,
        title: pick("title_zh", "title_en")?,
        body: pick("body_zh", "body_en")?,
        link: sqlx::Row::try_get(row, "link")?,
        created_at: ticorr_db::parsed(row, "created_at")?,
        read_at: ticorr_db::parsed_opt(row, "read_at")?,
        archived_at: ticorr_db::parsed_opt(row, "archived_at")?,
    })
}

/// The caller's notifications, newest first.
pub async fn list(
    db: &Db,
    gate: &Gate,
    caller: &Caller,
    filter: &InboxFilter,
    page: &PageRequest,
    lang: &str,
) -> Result<Page<Notification>, NotifyError> {
    let (person, resource) = own_inbox(caller)?;
    let mut conn = db.pool().acquire().await?;
    gate.check(&mut conn, caller, Action::ReadInbox, &resource)
        .await?;
    let mut sql = format!("SELECT {COLUMNS} FROM notifications WHERE person_id = $1");
    sql.push_str(if filter.archived == Some(true) {
        " AND archived_at IS NOT NULL"
    } else {
        " AND archived_at IS NULL"
    });
    if filter.unread == Some(true) {
        sql.push_str(" AND read_at IS NULL");
    }
    if page.after.is_some() {
        sql.push_str(" AND id < $3");
    }
    sql.push_str(" ORDER BY id DESC LIMIT $2");
    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(person.to_string())
        .bind(page.fetch_limit());
    if let Some(after) = &page.after {
        q = q.bind(after.id.clone());
    }
    let rows = q.fetch_all(&mut *conn).await?;
    let items = rows
        .iter()
        .map(|r| from_row(r, lang))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Page::from_rows(items, page, |n| Cursor {
        key: String::new(),
        id: n.id.to_string(),
    }))
}

/// How many of the caller's notifications are unread (and not archived): the count in
/// the page header.
pub async fn unread_count(db: &Db, gate: &Gate, caller: &Caller) -> Result<i64, NotifyError> {
    let (person, resource) = own_inbox(caller)?;
    let mut conn = db.pool().acquire().await?;
    gate.check(&mut conn, caller, Action::ReadInbox, &resource)
        .await?;
    Ok(sqlx::query_scalar(
        "SELECT COUNT(*) FROM notifications WHERE person_id = $1 AND read_at IS NULL \
         AND archived_at IS NULL",
    )
    .bind(person.to_string())
    .fetch_one(&mut *conn)
    .await?)
}

async fn one(
    conn: &mut AnyConnection,
    person: PersonId,
    id: NotificationId,
    lang: &str,
) -> Result<Notification, NotifyError> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM notifications WHERE id = $1 AND person_id = $2"
    )))
    .bind(id.to_string())
    .bind(person.to_string())
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(NotifyError::NotFound)?;
    Ok(from_row(&row, lang)?)
}

/// Marks one of the caller's notifications read (a second time changes nothing).
pub async fn mark_read(
    db: &Db,
    gate: &Gate,
    caller: &Caller,
    id: NotificationId,
    lang: &str,
) -> Result<Notification, NotifyError> {
    change(
        db,
        gate,
        caller,
        id,
        lang,
        "read_at = $1",
        "read_at IS NULL",
    )
    .await
}

/// Archives one of the caller's notifications; it counts as read from then on.
pub async fn archive(
    db: &Db,
    gate: &Gate,
    caller: &Caller,
    id: NotificationId,
    lang: &str,
) -> Result<Notification, NotifyError> {
    change(
        db,
        gate,
        caller,
        id,
        lang,
        "archived_at = $1, read_at = COALESCE(read_at, $1)",
        "archived_at IS NULL",
    )
    .await
}

async fn change(
    db: &Db,
    gate: &Gate,
    caller: &Caller,
    id: NotificationId,
    lang: &str,
    set: &str,
    unless_done: &str,
) -> Result<Notification, NotifyError> {
    let (person, resource) = own_inbox(caller)?;
    let tx = db.begin().await?;
    let (mut tx, _) = gate
        .check_tx(tx, caller, Action::ManageInbox, &resource)
        .await?;
    // Existence first, so that someone else's notification is "not found".
    one(&mut tx, person, id, lang).await?;
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "UPDATE notifications SET {set} WHERE id = $2 AND person_id = $3 AND {unless_done}"
    )))
    .bind(gate.clock().now().to_rfc3339())
    .bind(id.to_string())
    .bind(person.to_string())
    .execute(&mut *tx)
    .await?;
    let n = one(&mut tx, person, id, lang).await?;
    tx.commit().await?;
    Ok(n)
}

/// Marks every unread notification of the caller read; returns how many changed.
pub async fn mark_all_read(db: &Db, gate: &Gate, caller: &Caller) -> Result<u64, NotifyError> {
    let (person, resource) = own_inbox(caller)?;
    let tx = db.begin().await?;
    let (mut tx, _) = gate
        .check_tx(tx, caller, Action::ManageInbox, &resource)
        .await?;
    let n = sqlx::query(
        "UPDATE notifications SET read_at = $1 WHERE person_id = $2 AND read_at IS NULL",
    )
    .bind(gate.clock().now().to_rfc3339())
    .bind(person.to_string())
    .execute(&mut *tx)
    .await?
    .rows_affected();
    tx.commit().await?;
    Ok(n)
}
