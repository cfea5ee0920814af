//! Identity settings (`[identity]` in the configuration file).

use serde::{Deserialize, Serialize};

/// Sign-in, session and token settings. The defaults meet OWASP ASVS 4.0 (argon2id with at
/// least 46 MiB and one pass; idle and absolute session timeouts).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct IdentityConfig {
    /// argon2id memory cost in KiB; at least 47104 (46 MiB).
    pub argon2_memory_kib: u32,
    /// argon2id passes; at least 1.
    pub argon2_iterations: u32,
    /// argon2id lanes.
    pub argon2_parallelism: u32,
    /// A session ends after this many minutes without a request.
    pub session_idle_minutes: i64,
    /// A session ends this many hours after sign-in, however active.
    pub session_absolute_hours: i64,
    /// Failed sign-ins on one account before delays start.
    pub throttle_free_failures: i64,
    /// Failed sign-ins on one account that lock it temporarily.
    pub throttle_lock_failures: i64,
    /// How long a locked account stays locked, in minutes.
    pub throttle_lock_minutes: i64,
    /// Failed sign-ins from one client address, across accounts, that block the address.
    pub throttle_ip_failures: i64,
    /// Failures older than this many minutes are forgotten.
    pub throttle_window_minutes: i64,
    /// Longest validity of an API token, in days.
    pub token_max_days: i64,
    /// Mark cookies `Secure` (sent over HTTPS only; browsers also accept them from
    /// `http://localhost`). Turn off only behind a TLS-terminating proxy on plain HTTP
    /// that browsers reach by another name.
    pub cookie_secure: bool,
}

impl Default for IdentityConfig {
    fn default() -> Self {
        IdentityConfig {
            argon2_memory_kib: 47_104,
            argon2_iterations: 2,
            argon2_parallelism: 1,
            session_idle_minutes: 30,
            session_absolute_hours: 12,
            throttle_free_failures: 3,
            throttle_lock_failures: 10,
            throttle_lock_minutes: 15,
            throttle_ip_failures: 100,
            throttle_window_minutes: 60,
            token_max_days: 365,
            cookie_secure: true,
        }
    }
}

impl IdentityConfig {
    /// Refuses settings below the security floor.
    pub fn validate(&self) -> Result<(), String> {
        if self.argon2_memory_kib < 47_104 {
            return Err("identity.argon2_memory_kib must be at least 47104 (46 MiB)".into());
        }
        if self.argon2_iterations < 1 || self.argon2_parallelism < 1 {
            return Err(
                "identity.argon2_iterations and argon2_parallelism must be at least 1".into(),
            );
        }
        if self.session_idle_minutes < 1 || self.session_absolute_hours < 1 {
            return Err("session timeouts must be positive".into());
        }
        if self.throttle_lock_failures <= self.throttle_free_failures {
            return Err(
                "identity.throttle_lock_failures must exceed throttle_free_failures".into(),
            );
        }
        Ok(())
    }
}
