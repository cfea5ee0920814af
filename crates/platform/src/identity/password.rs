//! Password hashing with argon2id.

use argon2::{Algorithm, Argon2, Params, PasswordHasher, PasswordVerifier, Version};
use std::sync::LazyLock;

use super::{IdentityConfig, IdentityError};
use ticorr_kernel::FieldErrors;

/// Shortest and longest passwords accepted. The upper bound keeps a request from making
/// the server hash megabytes.
pub const MIN_LEN: usize = 12;
pub const MAX_LEN: usize = 128;

fn hasher(config: &IdentityConfig) -> Result<Argon2<'static>, IdentityError> {
    let params = Params::new(
        config.argon2_memory_kib,
        config.argon2_iterations,
        config.argon2_parallelism,
        None,
    )
    .map_err(|_| IdentityError::Hashing)?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

/// Checks a new password against the policy: length only, as NIST SP 800-63B advises;
/// composition rules are not imposed.
pub fn check_new(field: &str, password: &str, errors: &mut FieldErrors) {
    let len = password.chars().count();
    if len < MIN_LEN {
        errors.add(
            field,
            "too_short",
            format!("use at least {MIN_LEN} characters"),
        );
    } else if len > MAX_LEN {
        errors.add(
            field,
            "too_long",
            format!("use at most {MAX_LEN} characters"),
        );
    }
}

/// Hashes a password (blocking: call from `spawn_blocking` in async code).
pub fn hash(config: &IdentityConfig, password: &str) -> Result<String, IdentityError> {
    let h = hasher(config)?
        .hash_password(password.as_bytes())
        .map_err(|_| IdentityError::Hashing)?;
    Ok(h.to_string())
}

/// Verifies a password against a stored PHC string (blocking).
pub fn verify(password: &str, stored: &str) -> bool {
    // The parameters come from the stored string itself.
    Argon2::default()
        .verify_password(password.as_bytes(), stored)
        .is_ok()
}

/// A hash of a random password, verified against when an e-mail address has no account,
/// so that a failed sign-in takes as long whether or not the account exists.
static DUMMY: LazyLock<String> = LazyLock::new(|| {
    hash(&IdentityConfig::default(), &super::secret::random_token())
        .expect("default parameters are valid")
});

pub fn verify_dummy(password: &str) {
    let _ = verify(password, &DUMMY);
}

/// Hashes on the blocking pool.
pub async fn hash_async(config: &IdentityConfig, password: &str) -> Result<String, IdentityError> {
    let config = config.clone();
    let password = password.to_owned();
    tokio::task::spawn_blocking(move || hash(&config, &password))
        .await
        .map_err(|_| IdentityError::Hashing)?
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_verifies_and_uses_argon2id_at_the_floor() {
        let config = IdentityConfig::default();
        let h = hash(&config, "correct horse battery").unwrap();
        assert!(h.starts_with("$argon2id$v=19$m=47104,t=2,p=1$"), "{h}");
        assert!(verify("correct horse battery", &h));
        assert!(!verify("correct horse batterY", &h));
    }

    #[test]
    fn new_passwords_are_checked_for_length() {
        let mut e = FieldErrors::new();
        check_new("password", "short", &mut e);
        assert!(e.has("password"));
        let mut e = FieldErrors::new();
        check_new("password", "长城长城长城长城长城长城", &mut e);
        assert!(e.is_empty());
    }
}
