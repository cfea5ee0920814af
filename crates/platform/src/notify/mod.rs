//! Notifications, built once for every module: each person's inbox, e-mail, and the
//! webhooks organisations register.
//!
//! A module tells people about something with [`send`], inside the transaction of the
//! change that causes it: the inbox rows, the e-mail jobs (`notify.email`) and the webhook
//! messages with their delivery jobs (`notify.webhook`) commit or roll back with the change.
//! Who receives what follows each person's [preferences](prefs) per notification [kind](KINDS)
//! and channel. [`target`] fans a notification out to the organisations whose equipment
//! matches a filter (grade, medium, temperature, chloride, industry, region).
//!
//! [`send`] makes no access decision of its own: the caller's action was decided by the
//! gate, and the recipients are the people that action concerns. Reading and managing an
//! inbox, and managing an organisation's webhooks, go through the gate ([`inbox`],
//! [`webhook`]).
//!
//! Delivery runs in the job worker with [`email::deliver_email`] and
//! [`webhook::deliver_webhook`], one per job kind ([`EMAIL_JOB`], [`WEBHOOK_JOB`]).

pub mod email;
pub mod inbox;
pub mod prefs;
pub mod target;
pub mod webhook;

use std::collections::{BTreeSet, HashMap};

use serde::{Deserialize, Serialize};
use sqlx::{AnyConnection, Row};
use ticorr_kernel::{FieldErrors, NotificationId, OrgId, PersonId, Timestamp};

use crate::Denied;
use crate::jobs::{self, JobError};

pub use email::{MailConfig, Mailer};

/// The job kind that sends one e-mail (payload: [`email::EmailJob`]).
pub const EMAIL_JOB: &str = "notify.email";
/// The job kind that delivers one webhook message (payload: `{"message_id": …}`).
pub const WEBHOOK_JOB: &str = "notify.webhook";

/// What a notification kind is and who gets it unless they choose otherwise.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KindInfo {
    /// The kind's name, also the webhook event type.
    pub name: &'static str,
    /// Shown in the inbox unless the person turned it off.
    pub inbox: bool,
    /// Sent by e-mail unless the person turned it off.
    pub email: bool,
    /// What e-mails call the kind (pages take their labels from the message files).
    pub label_zh: &'static str,
    pub label_en: &'static str,
}

/// Every notification kind. The defaults are documented in `docs/architecture.md`:
/// everything reaches the inbox; what calls for action (an advisory about one's own
/// equipment, a decision on one's organisation) is also e-mailed; announcements are not.
pub const KINDS: &[KindInfo] = &[
    KindInfo {
        name: "advisory",
        inbox: true,
        email: true,
        label_zh: "防腐预警与建议",
        label_en: "Corrosion advisories",
    },
    KindInfo {
        name: "org_status",
        inbox: true,
        email: true,
        label_zh: "单位注册审核",
        label_en: "Organisation registration",
    },
    KindInfo {
        name: "standards",
        inbox: true,
        email: true,
        label_zh: "标准制修订与发布",
        label_en: "Standards: reviews and releases",
    },
    KindInfo {
        name: "cases",
        inbox: true,
        email: true,
        label_zh: "失效案例：审核、发布与查阅申请",
        label_en: "Failure cases: curation, publication and access",
    },
    KindInfo {
        name: "announcement",
        inbox: true,
        email: false,
        label_zh: "平台公告",
        label_en: "Platform announcements",
    },
];

/// The kind named `name`, if there is one.
pub fn kind(name: &str) -> Option<&'static KindInfo> {
    KINDS.iter().find(|k| k.name == name)
}

/// Limits of what a notification carries.
pub const MAX_TITLE_CHARS: usize = 200;
pub const MAX_BODY_CHARS: usize = 5_000;
pub const MAX_LINK_CHARS: usize = 500;

#[derive(Debug, thiserror::Error)]
pub enum NotifyError {
    #[error("invalid input: {0}")]
    Invalid(FieldErrors),
    #[error("not found")]
    NotFound,
    #[error("not allowed")]
    Forbidden,
    #[error(transparent)]
    Storage(#[from] sqlx::Error),
    #[error(transparent)]
    Db(#[from] ticorr_db::DbError),
    #[error(transparent)]
    Jobs(#[from] JobError),
    #[error(transparent)]
    Vault(#[from] crate::vault::VaultError),
}

impl From<Denied> for NotifyError {
    fn from(d: Denied) -> Self {
        match d {
            Denied::NotFound => NotifyError::NotFound,
            Denied::Forbidden => NotifyError::Forbidden,
            Denied::Storage(e) => NotifyError::Storage(e),
        }
    }
}

impl From<FieldErrors> for NotifyError {
    fn from(e: FieldErrors) -> Self {
        NotifyError::Invalid(e)
    }
}

/// What a notification says, written by the sender in both languages; each reader sees
/// their own (the page's language in the inbox, the person's language in e-mail).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Message {
    /// One of [`KINDS`].
    pub kind: String,
    pub title_zh: String,
    pub title_en: String,
    pub body_zh: String,
    pub body_en: String,
    /// A path on this platform (`/equipment/…`), or none.
    pub link: Option<String>,
}

impl Message {
    /// Checks the message before anything is stored.
    pub fn validate(&self) -> Result<(), FieldErrors> {
        let mut errors = FieldErrors::new();
        if kind(&self.kind).is_none() {
            errors.add(
                "kind",
                "unknown",
                format!(
                    "unknown notification kind `{}`; known: {}",
                    self.kind,
                    KINDS.iter().map(|k| k.name).collect::<Vec<_>>().join(", ")
                ),
            );
        }
        for (field, value, max) in [
            ("title_zh", &self.title_zh, MAX_TITLE_CHARS),
            ("title_en", &self.title_en, MAX_TITLE_CHARS),
            ("body_zh", &self.body_zh, MAX_BODY_CHARS),
            ("body_en", &self.body_en, MAX_BODY_CHARS),
        ] {
            if value.trim().is_empty() {
                errors.add(field, "required", format!("{field} is required"));
            } else if value.chars().count() > max {
                errors.add(
                    field,
                    "too_long",
                    format!("{field} holds at most {max} characters"),
                );
            }
        }
        if let Some(link) = &self.link
            && !is_local_path(link)
        {
            errors.add(
                "link",
                "not_local",
                format!(
                    "link must be a path on this platform starting with `/` (at most {MAX_LINK_CHARS} characters)"
                ),
            );
        }
        errors.into_result(())
    }

    /// The title in `lang` (`en`, anything else is Chinese).
    pub fn title(&self, lang: &str) -> &str {
        if lang.starts_with("en") {
            &self.title_en
        } else {
            &self.title_zh
        }
    }

    pub fn body(&self, lang: &str) -> &str {
        if lang.starts_with("en") {
            &self.body_en
        } else {
            &self.body_zh
        }
    }
}

/// A path on this platform: `/…`, not `//host` (which a browser reads as another site),
/// no backslashes or control characters.
pub fn is_local_path(link: &str) -> bool {
    link.starts_with('/')
        && !link.starts_with("//")
        && !link.contains('\\')
        && !link.chars().any(char::is_control)
        && link.chars().count() <= MAX_LINK_CHARS
}

/// Who a notification is for.
#[derive(Debug, Clone, PartialEq)]
pub enum Audience {
    /// These people (active accounts only).
    People(Vec<PersonId>),
    /// Every active person of these organisations, and the organisations' webhooks.
    Organizations(Vec<OrgId>),
    /// The active admins of these organisations, and the organisations' webhooks.
    Admins(Vec<OrgId>),
}

/// What [`send`] did.
#[derive(Debug, Clone, Default, PartialEq, Serialize, utoipa::ToSchema)]
pub struct SendReport {
    /// People the notification concerned (active accounts).
    pub recipients: usize,
    /// Inbox entries written.
    pub inbox: usize,
    /// E-mails enqueued.
    pub emails: usize,
    /// Webhook messages enqueued.
    pub webhooks: usize,
}

/// Rows per statement when a list of ids is bound (well under both engines' limits).
const CHUNK: usize = 500;

/// Sends `message` to `audience` inside the caller's transaction: an inbox entry and an
/// e-mail job for each person according to their preferences, and a webhook message with
/// its delivery job for each subscribed endpoint of the organisations addressed.
pub async fn send(
    conn: &mut AnyConnection,
    now: Timestamp,
    audience: &Audience,
    message: &Message,
) -> Result<SendReport, NotifyError> {
    message.validate()?;
    let info = kind(&message.kind).expect("validated above");
    let (people, orgs) = match audience {
        Audience::People(ids) => (active_people(conn, ids).await?, Vec::new()),
        Audience::Organizations(orgs) => (people_of(conn, orgs, false).await?, orgs.clone()),
        Audience::Admins(orgs) => (people_of(conn, orgs, true).await?, orgs.clone()),
    };
    let choices = prefs::choices_for(conn, &people, info).await?;
    let mut report = SendReport {
        recipients: people.len(),
        ..SendReport::default()
    };
    for person in &people {
        let choice = choices.get(person).copied().unwrap_or(prefs::Choice {
            inbox: info.inbox,
            email: info.email,
        });
        let mut notification_id = None;
        if choice.inbox {
            let id = NotificationId::new();
            sqlx::query(
                "INSERT INTO notifications (id, person_id, kind, title_zh, title_en, body_zh, \
                 body_en, link, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            )
            .bind(id.to_string())
            .bind(person.to_string())
            .bind(&message.kind)
            .bind(message.title_zh.trim())
            .bind(message.title_en.trim())
            .bind(message.body_zh.trim())
            .bind(message.body_en.trim())
            .bind(message.link.as_deref())
            .bind(now.to_rfc3339())
            .execute(&mut *conn)
            .await?;
            notification_id = Some(id);
            report.inbox += 1;
        }
        if choice.email {
            let job = email::EmailJob {
                person_id: *person,
                notification_id,
                message: message.clone(),
            };
            let payload = serde_json::to_value(&job).expect("the e-mail job serializes");
            jobs::enqueue(conn, EMAIL_JOB, &payload, now, None, None).await?;
            report.emails += 1;
        }
    }
    let unique: BTreeSet<OrgId> = orgs.into_iter().collect();
    for org in unique {
        report.webhooks += webhook::emit(conn, now, org, message).await?;
    }
    Ok(report)
}

async fn active_people(
    conn: &mut AnyConnection,
    ids: &[PersonId],
) -> Result<Vec<PersonId>, sqlx::Error> {
    let unique: BTreeSet<PersonId> = ids.iter().copied().collect();
    let unique: Vec<PersonId> = unique.into_iter().collect();
    let mut out = Vec::new();
    for chunk in unique.chunks(CHUNK) {
        let sql = format!(
            "SELECT id FROM people WHERE active = 1 AND id IN ({}) ORDER BY id",
            ticorr_db::placeholders(1, chunk.len())
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for id in chunk {
            q = q.bind(id.to_string());
        }
        for row in q.fetch_all(&mut *conn).await? {
            out.push(ticorr_db::parsed(&row, "id")?);
        }
    }
    Ok(out)
}

async fn people_of(
    conn: &mut AnyConnection,
    orgs: &[OrgId],
    admins_only: bool,
) -> Result<Vec<PersonId>, sqlx::Error> {
    let unique: BTreeSet<OrgId> = orgs.iter().copied().collect();
    let unique: Vec<OrgId> = unique.into_iter().collect();
    let mut out = Vec::new();
    for chunk in unique.chunks(CHUNK) {
        let sql = format!(
            "SELECT id FROM people WHERE active = 1{} AND org_id IN ({}) ORDER BY id",
            if admins_only {
                " AND role = 'admin'"
            } else {
                ""
            },
            ticorr_db::placeholders(1, chunk.len())
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for id in chunk {
            q = q.bind(id.to_string());
        }
        for row in q.fetch_all(&mut *conn).await? {
            out.push(ticorr_db::parsed(&row, "id")?);
        }
    }
    Ok(out)
}

/// Reads `(person id → value)` rows into a map; used by the preference lookups.
pub(crate) fn person_map<T>(
    rows: Vec<sqlx::any::AnyRow>,
    value: impl Fn(&sqlx::any::AnyRow) -> Result<T, sqlx::Error>,
) -> Result<HashMap<PersonId, T>, sqlx::Error> {
    let mut out = HashMap::new();
    for row in rows {
        let id: PersonId = ticorr_db::parsed(&row, "person_id")?;
        out.insert(id, value(&row)?);
    }
    Ok(out)
}

/// The text of a row's column, for small helpers in the submodules.
pub(crate) fn text(row: &sqlx::any::AnyRow, column: &str) -> Result<String, sqlx::Error> {
    row.try_get(column)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message() -> Message {
        Message {
            kind: "advisory".into(),
            title_zh: "标题".into(),
            title_en: "Title".into(),
            body_zh: "正文".into(),
            body_en: "Body".into(),
            link: Some("/equipment".into()),
        }
    }

    #[test]
    fn a_valid_message_passes_and_bad_ones_name_their_fields() {
        assert!(message().validate().is_ok());
        let mut m = message();
        m.kind = "gossip".into();
        m.title_en = " ".into();
        m.link = Some("//evil.example/".into());
        let errors = m.validate().unwrap_err();
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["kind", "title_en", "link"]);
    }

    #[test]
    fn only_local_paths_are_links() {
        assert!(is_local_path("/inbox"));
        for bad in [
            "https://example.com",
            "//example.com",
            "/\\example.com",
            "inbox",
            "/a\nb",
        ] {
            assert!(!is_local_path(bad), "{bad}");
        }
    }

    #[test]
    fn every_kind_is_named_once() {
        let names: BTreeSet<&str> = KINDS.iter().map(|k| k.name).collect();
        assert_eq!(names.len(), KINDS.len());
    }
}
