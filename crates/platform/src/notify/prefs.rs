//! What each person chooses to receive: per notification kind and channel (inbox,
//! e-mail), and the language of their e-mails.
//!
//! Only choices that differ from a kind's defaults need storing, but a saved choice is
//! stored whole, so a later change of the defaults does not override what a person chose.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use sqlx::AnyConnection;
use ticorr_db::{Db, flag};
use ticorr_kernel::{FieldErrors, PersonId};

use super::{KINDS, KindInfo, NotifyError, inbox::own_inbox};
use crate::policy::Action;
use crate::{Caller, Gate};

/// The languages e-mails are written in.
pub const LANGUAGES: &[&str] = &["zh-CN", "en"];

/// One person's choice for one kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Choice {
    pub inbox: bool,
    pub email: bool,
}

/// The stored choices of `people` for `kind` (people without one get the kind's defaults).
pub(crate) async fn choices_for(
    conn: &mut AnyConnection,
    people: &[PersonId],
    kind: &KindInfo,
) -> Result<HashMap<PersonId, Choice>, sqlx::Error> {
    let mut out = HashMap::new();
    for chunk in people.chunks(super::CHUNK) {
        let sql = format!(
            "SELECT person_id, inbox, email FROM notification_preferences \
             WHERE kind = $1 AND person_id IN ({})",
            ticorr_db::placeholders(2, chunk.len())
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(kind.name);
        for id in chunk {
            q = q.bind(id.to_string());
        }
        let rows = q.fetch_all(&mut *conn).await?;
        out.extend(super::person_map(rows, |row| {
            Ok(Choice {
                inbox: flag::get(row, "inbox")?,
                email: flag::get(row, "email")?,
            })
        })?);
    }
    Ok(out)
}

/// A person's choices, as the API and the preferences page show them.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Preferences {
    /// The language of e-mails: `zh-CN` (the default) or `en`.
    pub language: String,
    pub kinds: Vec<KindPreference>,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct KindPreference {
    pub kind: String,
    pub inbox: bool,
    pub email: bool,
    /// What applies when the person has not chosen.
    pub default_inbox: bool,
    pub default_email: bool,
}

/// A change of preferences: the kinds listed are replaced, the others keep their choice.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PreferencesInput {
    /// `zh-CN` or `en`; absent keeps the current language.
    pub language: Option<String>,
    #[serde(default)]
    pub kinds: Vec<KindChoice>,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct KindChoice {
    pub kind: String,
    pub inbox: bool,
    pub email: bool,
}

/// The language a person's e-mails are written in.
pub(crate) fn language_of(stored: Option<&str>) -> &'static str {
    match stored {
        Some(l) if l.starts_with("en") => "en",
        _ => "zh-CN",
    }
}

async fn load(conn: &mut AnyConnection, person: PersonId) -> Result<Preferences, NotifyError> {
    let locale: Option<Option<String>> =
        sqlx::query_scalar("SELECT locale FROM people WHERE id = $1")
            .bind(person.to_string())
            .fetch_optional(&mut *conn)
            .await?;
    let Some(locale) = locale else {
        return Err(NotifyError::NotFound);
    };
    let mut kinds = Vec::new();
    for info in KINDS {
        let stored = choices_for(conn, &[person], info).await?;
        let choice = stored.get(&person).copied().unwrap_or(Choice {
            inbox: info.inbox,
            email: info.email,
        });
        kinds.push(KindPreference {
            kind: info.name.to_owned(),
            inbox: choice.inbox,
            email: choice.email,
            default_inbox: info.inbox,
            default_email: info.email,
        });
    }
    Ok(Preferences {
        language: language_of(locale.as_deref()).to_owned(),
        kinds,
    })
}

/// The caller's own preferences.
pub async fn get(db: &Db, gate: &Gate, caller: &Caller) -> Result<Preferences, NotifyError> {
    let (person, resource) = own_inbox(caller)?;
    let mut conn = db.pool().acquire().await?;
    gate.check(&mut conn, caller, Action::ReadInbox, &resource)
        .await?;
    load(&mut conn, person).await
}

/// Changes the caller's own preferences. Bad input changes nothing.
pub async fn set(
    db: &Db,
    gate: &Gate,
    caller: &Caller,
    input: &PreferencesInput,
) -> Result<Preferences, NotifyError> {
    let (person, resource) = own_inbox(caller)?;
    let tx = db.begin().await?;
    let (mut tx, _) = gate
        .check_tx(tx, caller, Action::ManageInbox, &resource)
        .await?;
    let mut errors = FieldErrors::new();
    if let Some(l) = &input.language
        && !LANGUAGES.contains(&l.as_str())
    {
        errors.add(
            "language",
            "unknown_value",
            format!("language must be one of: {}", LANGUAGES.join(", ")),
        );
    }
    let mut seen = Vec::new();
    for (i, choice) in input.kinds.iter().enumerate() {
        if super::kind(&choice.kind).is_none() {
            errors.add(
                &format!("kinds[{i}].kind"),
                "unknown_value",
                format!(
                    "unknown notification kind `{}`; known: {}",
                    choice.kind,
                    KINDS.iter().map(|k| k.name).collect::<Vec<_>>().join(", ")
                ),
            );
        } else if seen.contains(&choice.kind.as_str()) {
            errors.add(
                &format!("kinds[{i}].kind"),
                "duplicate",
                format!("`{}` is listed twice", choice.kind),
            );
        }
        seen.push(choice.kind.as_str());
    }
    if !errors.is_empty() {
        return Err(NotifyError::Invalid(errors));
    }
    let now = gate.clock().now();
    if let Some(l) = &input.language {
        sqlx::query("UPDATE people SET locale = $1 WHERE id = $2")
            .bind(l)
            .bind(person.to_string())
            .execute(&mut *tx)
            .await?;
    }
    for choice in &input.kinds {
        sqlx::query(
            "INSERT INTO notification_preferences (person_id, kind, inbox, email, updated_at) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (person_id, kind) DO UPDATE SET \
             inbox = excluded.inbox, email = excluded.email, updated_at = excluded.updated_at",
        )
        .bind(person.to_string())
        .bind(&choice.kind)
        .bind(flag::to_db(choice.inbox))
        .bind(flag::to_db(choice.email))
        .bind(now.to_rfc3339())
        .execute(&mut *tx)
        .await?;
    }
    let prefs = load(&mut tx, person).await?;
    tx.commit().await?;
    Ok(prefs)
}
