//! The audit table: every decision on L1, L2 and L4 data and every sign-in, sign-out,
//! failed sign-in and token use, with who, what, when (UTC) and the outcome.
//!
//! Audit rows are written on the same connection or transaction as the work they describe,
//! so a write and its audit record commit together. The table never stores record content,
//! passwords or tokens: only ids, action names and decisions.

use sqlx::AnyConnection;
use ticorr_kernel::{Level, OrgId, PersonId, Timestamp};
use uuid::Uuid;

use crate::policy::{Principal, Via};

/// The outcome an audit row records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Allow,
    Deny,
    Success,
    Failure,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Allow => "allow",
            Outcome::Deny => "deny",
            Outcome::Success => "success",
            Outcome::Failure => "failure",
        }
    }
}

/// One audit row.
#[derive(Debug, Clone)]
pub struct AuditEvent {
    pub at: Timestamp,
    pub actor_person_id: Option<PersonId>,
    pub actor_org_id: Option<OrgId>,
    /// `session`, `token`, `anonymous` or `system`.
    pub via: &'static str,
    /// What was attempted: a policy action (`read`, `update` …) or an identity event
    /// (`login`, `logout`, `login_failed`, `token_use` …).
    pub action: String,
    pub resource_type: Option<String>,
    pub resource_id: Option<String>,
    pub resource_org_id: Option<OrgId>,
    pub level: Option<Level>,
    pub outcome: Outcome,
    pub ip: Option<String>,
    /// A short, content-free note (e.g. a denial reason or a count).
    pub detail: Option<String>,
}

impl AuditEvent {
    /// An event `caller` caused on one resource, with the client address.
    pub fn on(
        caller: &crate::gate::Caller,
        at: Timestamp,
        action: &str,
        outcome: Outcome,
        resource_type: &str,
        resource_id: impl ToString,
        resource_org_id: Option<OrgId>,
    ) -> Self {
        let mut e = AuditEvent::by(&caller.principal, at, action, outcome);
        e.resource_type = Some(resource_type.to_owned());
        e.resource_id = Some(resource_id.to_string());
        e.resource_org_id = resource_org_id;
        e.ip = caller.ip.clone();
        e
    }

    /// An event caused by `principal`, with the actor fields filled in.
    pub fn by(principal: &Principal, at: Timestamp, action: &str, outcome: Outcome) -> Self {
        let (person, org, via) = match principal {
            Principal::Anonymous => (None, None, "anonymous"),
            Principal::Platform => (None, None, "platform"),
            Principal::Person(a) => (
                Some(a.person_id),
                Some(a.org_id),
                match a.via {
                    Via::Session(_) => "session",
                    Via::Token { .. } => "token",
                    Via::System => "system",
                },
            ),
        };
        AuditEvent {
            at,
            actor_person_id: person,
            actor_org_id: org,
            via,
            action: action.to_owned(),
            resource_type: None,
            resource_id: None,
            resource_org_id: None,
            level: None,
            outcome,
            ip: None,
            detail: None,
        }
    }
}

/// Writes audit rows in one statement per chunk.
pub async fn record(conn: &mut AnyConnection, events: &[AuditEvent]) -> Result<(), sqlx::Error> {
    // 13 parameters a row; stay well under SQLite's default limit of 32,766 parameters.
    for chunk in events.chunks(500) {
        let mut sql = String::from(
            "INSERT INTO audit_events (id, at, actor_person_id, actor_org_id, via, action, \
             resource_type, resource_id, resource_org_id, level, decision, ip, detail) VALUES ",
        );
        for i in 0..chunk.len() {
            if i > 0 {
                sql.push_str(", ");
            }
            let b = i * 13;
            sql.push('(');
            sql.push_str(&ticorr_db::placeholders(b + 1, 13));
            sql.push(')');
        }
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for e in chunk {
            q = q
                .bind(Uuid::now_v7().to_string())
                .bind(e.at.to_rfc3339())
                .bind(e.actor_person_id.map(|p| p.to_string()))
                .bind(e.actor_org_id.map(|o| o.to_string()))
                .bind(e.via)
                .bind(e.action.clone())
                .bind(e.resource_type.clone())
                .bind(e.resource_id.clone())
                .bind(e.resource_org_id.map(|o| o.to_string()))
                .bind(e.level.map(|l| l.as_str()))
                .bind(e.outcome.as_str())
                .bind(e.ip.clone())
                .bind(e.detail.clone());
        }
        q.execute(&mut *conn).await?;
    }
    Ok(())
}
