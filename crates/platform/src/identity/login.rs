//! Password sign-in.
//!
//! Every failure reads the same to the client ("the e-mail or password is not correct"),
//! whether the account is unknown, disabled, without a password, or the password is wrong,
//! and takes the same time (an unknown address is checked against a dummy hash). Throttling
//! answers the same for existing and unknown addresses.

use sqlx::Row;
use ticorr_db::{Db, decode, flag};
use ticorr_kernel::{OrgStatus, PersonId};

use super::sessions::{self, NewSession};
use super::{IdentityConfig, normalize_email, password, throttle};
use crate::audit::{self, AuditEvent, Outcome};
use crate::gate::Gate;

#[derive(Debug, thiserror::Error)]
pub enum LoginError {
    #[error("the e-mail address or password is not correct")]
    Invalid,
    #[error("too many failed sign-ins; try again in {retry_after_secs} seconds")]
    Throttled { retry_after_secs: i64 },
    #[error(transparent)]
    Storage(#[from] sqlx::Error),
    #[error(transparent)]
    Db(#[from] ticorr_db::DbError),
}

/// A successful sign-in.
#[derive(Debug)]
pub struct LoggedIn {
    pub person_id: PersonId,
    pub session: NewSession,
}

pub async fn login(
    db: &Db,
    gate: &Gate,
    config: &IdentityConfig,
    email: &str,
    password_input: &str,
    ip: Option<&str>,
    user_agent: Option<&str>,
) -> Result<LoggedIn, LoginError> {
    let now = gate.clock().now();
    let email = normalize_email(email);
    let account = throttle::account_key(&email);
    let mut subjects = vec![account.clone()];
    if let Some(ip) = ip {
        subjects.push(throttle::ip_key(ip));
    }
    {
        let mut conn = db.pool().acquire().await?;
        if let Some(secs) = throttle::blocked_for(&mut conn, now, &subjects).await? {
            let mut e = AuditEvent::by(
                &crate::Principal::Anonymous,
                now,
                "login_throttled",
                Outcome::Failure,
            );
            e.ip = ip.map(str::to_owned);
            audit::record(&mut conn, &[e]).await?;
            return Err(LoginError::Throttled {
                retry_after_secs: secs.max(1),
            });
        }
    }

    let row = sqlx::query(
        "SELECT p.id, p.org_id, p.password_hash, p.active, o.status FROM people p \
         JOIN organizations o ON o.id = p.org_id WHERE p.email = $1",
    )
    .bind(email.clone())
    .fetch_optional(db.pool())
    .await?;

    let password_owned = password_input
        .chars()
        .take(password::MAX_LEN)
        .collect::<String>();
    let (person, ok) = match row {
        Some(row) => {
            let person: PersonId = decode("id", &row.try_get::<String, _>("id")?)?;
            let org_id: ticorr_kernel::OrgId =
                decode("org_id", &row.try_get::<String, _>("org_id")?)?;
            let active = flag::get(&row, "active")?;
            let status: OrgStatus = decode("status", &row.try_get::<String, _>("status")?)?;
            let hash: Option<String> = row.try_get("password_hash")?;
            let verified = tokio::task::spawn_blocking(move || match hash {
                Some(h) => password::verify(&password_owned, &h),
                None => {
                    password::verify_dummy(&password_owned);
                    false
                }
            })
            .await
            .unwrap_or(false);
            let allowed_org = matches!(status, OrgStatus::Pending | OrgStatus::Verified);
            (Some((person, org_id)), verified && active && allowed_org)
        }
        None => {
            tokio::task::spawn_blocking(move || password::verify_dummy(&password_owned))
                .await
                .ok();
            (None, false)
        }
    };

    let mut tx = db.begin().await?;
    if !ok {
        throttle::record_failure(&mut tx, config, now, &account, ip).await?;
        let mut e = AuditEvent::by(
            &crate::Principal::Anonymous,
            now,
            "login_failed",
            Outcome::Failure,
        );
        if let Some((p, o)) = person {
            e.actor_person_id = Some(p);
            e.actor_org_id = Some(o);
        }
        e.ip = ip.map(str::to_owned);
        audit::record(&mut tx, &[e]).await?;
        tx.commit().await?;
        return Err(LoginError::Invalid);
    }
    let (person_id, org_id) = person.expect("ok implies a person");
    throttle::clear(&mut tx, &account).await?;
    let session = sessions::create(&mut tx, config, now, person_id, user_agent, ip).await?;
    let mut e = AuditEvent::by(&crate::Principal::Anonymous, now, "login", Outcome::Success);
    e.actor_person_id = Some(person_id);
    e.actor_org_id = Some(org_id);
    e.via = "session";
    e.resource_type = Some("session".into());
    e.resource_id = Some(session.id.to_string());
    e.ip = ip.map(str::to_owned);
    audit::record(&mut tx, &[e]).await?;
    tx.commit().await?;
    Ok(LoggedIn { person_id, session })
}

/// Signs out: ends the session server-side and audits it.
pub async fn logout(db: &Db, gate: &Gate, caller: &crate::Caller) -> Result<(), LoginError> {
    let Some(actor) = caller.principal.actor() else {
        return Ok(());
    };
    let crate::Via::Session(session) = actor.via else {
        return Ok(());
    };
    let now = gate.clock().now();
    let mut tx = db.begin().await?;
    sessions::end(&mut tx, session, now, "logout").await?;
    let mut e = AuditEvent::by(&caller.principal, now, "logout", Outcome::Success);
    e.resource_type = Some("session".into());
    e.resource_id = Some(session.to_string());
    e.ip = caller.ip.clone();
    audit::record(&mut tx, &[e]).await?;
    tx.commit().await?;
    Ok(())
}
