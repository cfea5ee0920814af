//! Sign-in throttling, per account and per client address, stored in the database so
//! every node of a cluster sees the same counts.
//!
//! Per account: the first few failures are free; after that each failure blocks the next
//! attempt for a delay that doubles (1 s, 2 s, 4 s … up to 5 min), and at the lock threshold
//! the account is locked for a while. The account key is a digest of the e-mail address
//! whether or not an account exists, so the throttle behaves the same for unknown
//! addresses and reveals nothing. Per address: many failures across accounts block the
//! address for the lock period.

use sqlx::{AnyConnection, Row};
use ticorr_db::decode;
use ticorr_kernel::Timestamp;
use time::Duration;

use super::IdentityConfig;
use super::secret::digest;

pub fn account_key(normalized_email: &str) -> String {
    format!("account:{}", digest(normalized_email))
}

pub fn ip_key(ip: &str) -> String {
    format!("ip:{ip}")
}

/// Seconds until the earliest moment all `subjects` may try again, if any is blocked.
pub async fn blocked_for(
    conn: &mut AnyConnection,
    now: Timestamp,
    subjects: &[String],
) -> Result<Option<i64>, sqlx::Error> {
    let mut longest: Option<i64> = None;
    for s in subjects {
        let row = sqlx::query("SELECT blocked_until FROM login_throttle WHERE subject = $1")
            .bind(s.clone())
            .fetch_optional(&mut *conn)
            .await?;
        if let Some(until) = row.and_then(|r| {
            r.try_get::<Option<String>, _>("blocked_until")
                .ok()
                .flatten()
        }) {
            let until: Timestamp = decode("blocked_until", &until)?;
            if until > now {
                let secs = ((until.unix_micros() - now.unix_micros()) as f64 / 1e6).ceil() as i64;
                longest = Some(longest.map_or(secs, |l| l.max(secs)));
            }
        }
    }
    Ok(longest)
}

/// The delay after the `n`-th consecutive failure on one account.
pub fn account_delay(config: &IdentityConfig, failures: i64) -> Option<Duration> {
    if failures >= config.throttle_lock_failures {
        Some(Duration::minutes(config.throttle_lock_minutes))
    } else if failures > config.throttle_free_failures {
        let exp = (failures - config.throttle_free_failures - 1).min(20) as u32;
        Some(Duration::seconds(2i64.pow(exp).min(300)))
    } else {
        None
    }
}

/// Records one failure for the account and the address.
pub async fn record_failure(
    conn: &mut AnyConnection,
    config: &IdentityConfig,
    now: Timestamp,
    account: &str,
    ip: Option<&str>,
) -> Result<(), sqlx::Error> {
    let n = bump(conn, config, now, account).await?;
    set_block(conn, account, account_delay(config, n).map(|d| now.plus(d))).await?;
    if let Some(ip) = ip {
        let key = ip_key(ip);
        let n = bump(conn, config, now, &key).await?;
        if n >= config.throttle_ip_failures {
            set_block(
                conn,
                &key,
                Some(now.plus(Duration::minutes(config.throttle_lock_minutes))),
            )
            .await?;
        }
    }
    Ok(())
}

/// Increments a subject's failure count, forgetting failures older than the window.
async fn bump(
    conn: &mut AnyConnection,
    config: &IdentityConfig,
    now: Timestamp,
    subject: &str,
) -> Result<i64, sqlx::Error> {
    let window_start = now.minus(Duration::minutes(config.throttle_window_minutes));
    sqlx::query("DELETE FROM login_throttle WHERE subject = $1 AND last_failure_at < $2 AND (blocked_until IS NULL OR blocked_until < $3)")
        .bind(subject.to_owned())
        .bind(window_start.to_rfc3339())
        .bind(now.to_rfc3339())
        .execute(&mut *conn)
        .await?;
    sqlx::query(
        "INSERT INTO login_throttle (subject, failures, last_failure_at) VALUES ($1, 1, $2) \
         ON CONFLICT (subject) DO UPDATE SET failures = login_throttle.failures + 1, last_failure_at = $2",
    )
    .bind(subject.to_owned())
    .bind(now.to_rfc3339())
    .execute(&mut *conn)
    .await?;
    sqlx::query_scalar("SELECT failures FROM login_throttle WHERE subject = $1")
        .bind(subject.to_owned())
        .fetch_one(conn)
        .await
}

async fn set_block(
    conn: &mut AnyConnection,
    subject: &str,
    until: Option<Timestamp>,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE login_throttle SET blocked_until = $1 WHERE subject = $2")
        .bind(until.map(|u| u.to_rfc3339()))
        .bind(subject.to_owned())
        .execute(conn)
        .await?;
    Ok(())
}

/// A successful sign-in clears the account's failures (not the address's).
pub async fn clear(conn: &mut AnyConnection, account: &str) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM login_throttle WHERE subject = $1")
        .bind(account.to_owned())
        .execute(conn)
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_grow_then_lock() {
        let c = IdentityConfig::default();
        assert_eq!(account_delay(&c, 3), None);
        assert_eq!(account_delay(&c, 4), Some(Duration::seconds(1)));
        assert_eq!(account_delay(&c, 5), Some(Duration::seconds(2)));
        assert_eq!(account_delay(&c, 9), Some(Duration::seconds(32)));
        assert_eq!(account_delay(&c, 10), Some(Duration::minutes(15)));
    }
}
