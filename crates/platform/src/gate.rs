//! The gate modules pass through: authorization by the policies plus its audit record.
//!
//! A module service receives a [`Caller`] from the web layer and asks the gate before it
//! reads or writes a record. The gate asks [`Authz::authorize`] and, for records at L1, L2
//! and L4 (and every organisation action except viewing a profile), writes the decision to
//! the audit table on the caller's connection. A denied read is reported as
//! [`Denied::NotFound`], so a caller cannot tell a record it may not see from one that does
//! not exist.

use std::sync::Arc;

use sqlx::AnyConnection;
use ticorr_kernel::Clock;

use crate::audit::{self, AuditEvent, Outcome};
use crate::policy::{Action, Authz, Principal, Resource};

/// Who is asking, and from where.
#[derive(Debug, Clone)]
pub struct Caller {
    pub principal: Principal,
    /// The client address, for the audit.
    pub ip: Option<String>,
}

impl Caller {
    pub fn anonymous() -> Self {
        Caller {
            principal: Principal::Anonymous,
            ip: None,
        }
    }
}

/// Why the gate said no.
#[derive(Debug, thiserror::Error)]
pub enum Denied {
    /// Reads of records the caller may not see look exactly like missing records.
    #[error("not found")]
    NotFound,
    /// The caller may see the resource but not do this to it.
    #[error("forbidden")]
    Forbidden,
    #[error(transparent)]
    Storage(#[from] sqlx::Error),
}

/// Authorization and audit, shared by every module. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Gate {
    authz: Arc<Authz>,
    clock: Clock,
}

/// Proof that the gate allowed an action; services that change data take one.
#[derive(Debug)]
pub struct Permit {
    pub action: Action,
}

fn audited(action: Action, resource: &Resource) -> bool {
    match resource {
        // Editing a bulletin is a staff decision on a public record: audited too.
        Resource::Record(r) => r.level.is_audited() || action == Action::EditBulletin,
        Resource::Organization(_) => action != Action::ViewProfile,
        // One's own inbox: read on every page (the unread count), never anyone else's.
        Resource::Inbox(_) => false,
        // Following one's own job is not worth a row per poll; the operator's actions are.
        Resource::Job(_) => action == Action::OperateJobs,
        // Every lifecycle decision is audited; following a proposal is not.
        Resource::StandardDraft(_) => action != Action::ViewDraft,
        // Every workflow decision and every read of a full record is audited.
        Resource::FailureCase(_) => true,
    }
}

/// The action that decides whether a resource may be seen at all: a denied write to what
/// the caller cannot see answers "not found", like a read.
fn seeing(resource: &Resource) -> Action {
    match resource {
        Resource::Record(_) => Action::Read,
        Resource::Organization(_) => Action::ViewProfile,
        Resource::Inbox(_) => Action::ReadInbox,
        Resource::Job(_) => Action::ViewJob,
        Resource::StandardDraft(_) => Action::ViewDraft,
        // Whether the case may be seen at all is a record read, asked before the workflow
        // action; a refused workflow action on a visible case is a 403.
        Resource::FailureCase(_) => Action::ReadCaseFull,
    }
}

fn event(
    caller: &Caller,
    at: ticorr_kernel::Timestamp,
    action: Action,
    resource: &Resource,
    allowed: bool,
) -> AuditEvent {
    let mut e = AuditEvent::by(
        &caller.principal,
        at,
        action.as_str(),
        if allowed {
            Outcome::Allow
        } else {
            Outcome::Deny
        },
    );
    e.ip = caller.ip.clone();
    match resource {
        Resource::Record(r) => {
            e.resource_type = Some(r.kind.to_owned());
            e.resource_id = Some(r.id.clone());
            e.resource_org_id = Some(r.owner);
            e.level = Some(r.level);
        }
        Resource::Organization(o) => {
            e.resource_type = Some("organization".to_owned());
            e.resource_id = Some(o.id.to_string());
            e.resource_org_id = Some(o.id);
        }
        Resource::Job(j) => {
            e.resource_type = Some("job".to_owned());
            e.resource_id = Some(j.id.clone());
            e.resource_org_id = j.org;
        }
        Resource::Inbox(i) => {
            e.resource_type = Some("inbox".to_owned());
            e.resource_id = Some(i.owner.to_string());
        }
        Resource::StandardDraft(d) => {
            e.resource_type = Some("standard_draft".to_owned());
            e.resource_id = Some(d.id.clone());
            e.resource_org_id = Some(d.applicant);
        }
        Resource::FailureCase(c) => {
            e.resource_type = Some("failure_case".to_owned());
            e.resource_id = Some(c.id.clone());
            e.resource_org_id = Some(c.contributor);
        }
    }
    e
}

impl Gate {
    pub fn new(authz: Arc<Authz>, clock: Clock) -> Self {
        Gate { authz, clock }
    }

    pub fn clock(&self) -> &Clock {
        &self.clock
    }

    pub fn authz(&self) -> &Authz {
        &self.authz
    }

    /// The decision alone, with no audit: for deciding what to *offer* (which buttons and
    /// links a page shows). Never use it to guard data; use [`Gate::check`].
    pub fn would_allow(&self, caller: &Caller, action: Action, resource: &Resource) -> bool {
        self.authz.authorize(&caller.principal, action, resource)
    }

    /// Decides, audits when the level calls for it, and returns a permit or the denial.
    /// Reads that are denied come back as `NotFound`; other denials as `Forbidden`.
    pub async fn check(
        &self,
        conn: &mut AnyConnection,
        caller: &Caller,
        action: Action,
        resource: &Resource,
    ) -> Result<Permit, Denied> {
        let allowed = self.authz.authorize(&caller.principal, action, resource);
        if audited(action, resource) {
            audit::record(
                conn,
                &[event(caller, self.clock.now(), action, resource, allowed)],
            )
            .await?;
        }
        if allowed {
            Ok(Permit { action })
        } else {
            Err(self.denial(caller, action, resource))
        }
    }

    /// [`Gate::check`] inside a write transaction. A denial is audited too, so on a denial
    /// the transaction is committed (the check must come before any write in it, which
    /// taking the transaction by value makes the caller think about) and the denial
    /// returned; on a permit the transaction is handed back to carry on.
    pub async fn check_tx(
        &self,
        mut tx: ticorr_db::Tx,
        caller: &Caller,
        action: Action,
        resource: &Resource,
    ) -> Result<(ticorr_db::Tx, Permit), Denied> {
        match self.check(&mut tx, caller, action, resource).await {
            Ok(permit) => Ok((tx, permit)),
            Err(Denied::Storage(e)) => Err(Denied::Storage(e)),
            Err(denied) => {
                tx.commit().await?;
                Err(denied)
            }
        }
    }

    /// Several decisions at once inside a write transaction, audited in one batch; all must
    /// allow. On any denial the transaction (holding only the audit rows) is committed and
    /// the first denial returned.
    pub async fn check_all_tx(
        &self,
        mut tx: ticorr_db::Tx,
        caller: &Caller,
        checks: &[(Action, Resource)],
    ) -> Result<(ticorr_db::Tx, Permit), Denied> {
        let now = self.clock.now();
        let mut events = Vec::new();
        let mut denied = None;
        for (action, resource) in checks {
            let allowed = self.authz.authorize(&caller.principal, *action, resource);
            if audited(*action, resource) {
                events.push(event(caller, now, *action, resource, allowed));
            }
            if !allowed && denied.is_none() {
                denied = Some((*action, resource));
            }
        }
        audit::record(&mut tx, &events).await?;
        match denied {
            None => Ok((
                tx,
                Permit {
                    action: checks.first().map(|c| c.0).unwrap_or(Action::Read),
                },
            )),
            Some((action, resource)) => {
                tx.commit().await?;
                Err(self.denial(caller, action, resource))
            }
        }
    }

    /// How a denial reads: reads (and writes to what the caller cannot even read) are
    /// "not found"; other writes are "forbidden".
    fn denial(&self, caller: &Caller, action: Action, resource: &Resource) -> Denied {
        if matches!(
            action,
            Action::Read
                | Action::ViewProfile
                | Action::ViewMembers
                | Action::ViewJob
                | Action::ReadInbox
                | Action::ViewDraft
        ) {
            return Denied::NotFound;
        }
        if self
            .authz
            .authorize(&caller.principal, seeing(resource), resource)
        {
            Denied::Forbidden
        } else {
            Denied::NotFound
        }
    }

    /// Keeps the items the caller may `action`, auditing each audited decision in one
    /// batch. Lists use this after a query that was already scoped to what the caller could
    /// possibly see, so the policies stay the final word on every row.
    pub async fn filter<T>(
        &self,
        conn: &mut AnyConnection,
        caller: &Caller,
        action: Action,
        items: Vec<T>,
        resource_of: impl Fn(&T) -> Resource,
    ) -> Result<Vec<T>, Denied> {
        let now = self.clock.now();
        let mut events = Vec::new();
        let mut kept = Vec::with_capacity(items.len());
        for item in items {
            let resource = resource_of(&item);
            let allowed = self.authz.authorize(&caller.principal, action, &resource);
            if audited(action, &resource) {
                events.push(event(caller, now, action, &resource, allowed));
            }
            if allowed {
                kept.push(item);
            }
        }
        audit::record(conn, &events).await?;
        Ok(kept)
    }
}
