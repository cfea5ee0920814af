//! Identity: organisations and parks, people, passwords, sessions, API tokens and
//! sign-in throttling.
//!
//! Passwords are hashed with argon2id at or above the OWASP ASVS parameters. Sessions and
//! tokens are random secrets of which only a SHA-256 is stored, so a copy of the database
//! does not let anyone sign in. Every sign-in, sign-out, failed sign-in and token use is
//! written to the audit table.

pub mod config;
pub mod login;
pub mod orgs;
pub mod password;
pub mod people;
pub mod principal;
pub mod secret;
pub mod sessions;
pub mod throttle;
pub mod tokens;

pub use config::IdentityConfig;

use ticorr_kernel::FieldErrors;

use crate::gate::Denied;

/// What identity operations can fail with.
#[derive(Debug, thiserror::Error)]
pub enum IdentityError {
    #[error("invalid input: {0}")]
    Invalid(FieldErrors),
    #[error("not found")]
    NotFound,
    #[error("not allowed")]
    Forbidden,
    /// The operation conflicts with the current state (e.g. removing the last admin).
    #[error("{0}")]
    Conflict(&'static str),
    #[error(transparent)]
    Storage(#[from] sqlx::Error),
    #[error(transparent)]
    Db(#[from] ticorr_db::DbError),
    #[error("password hashing failed")]
    Hashing,
    #[error("ledger: {0}")]
    Ledger(String),
    #[error("notification: {0}")]
    Notify(String),
}

impl From<FieldErrors> for IdentityError {
    fn from(e: FieldErrors) -> Self {
        IdentityError::Invalid(e)
    }
}

impl From<Denied> for IdentityError {
    fn from(d: Denied) -> Self {
        match d {
            Denied::NotFound => IdentityError::NotFound,
            Denied::Forbidden => IdentityError::Forbidden,
            Denied::Storage(e) => IdentityError::Storage(e),
        }
    }
}

/// Normalises an e-mail address for storage and lookup (trimmed, lower-case).
pub fn normalize_email(email: &str) -> String {
    email.trim().to_lowercase()
}

/// A deliberately modest e-mail check: one `@`, something on both sides, a dot in the
/// domain, no spaces. Deliverability is the mail server's business.
pub fn valid_email(email: &str) -> bool {
    let Some((local, domain)) = email.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !email.contains(char::is_whitespace)
        && !domain.contains('@')
        && email.len() <= 254
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn email_checks() {
        assert!(valid_email("engineer@plant.example.cn"));
        assert!(!valid_email("engineer@plant"));
        assert!(!valid_email("@plant.cn"));
        assert!(!valid_email("a b@plant.cn"));
        assert_eq!(normalize_email(" Li.Wei@Plant.CN "), "li.wei@plant.cn");
    }
}
