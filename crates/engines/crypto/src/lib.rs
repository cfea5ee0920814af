//! Envelope encryption for private-level (L1) fields. No I/O.
//!
//! Each organisation has its own 256-bit data key; fields are sealed with it using
//! XChaCha20-Poly1305 (random 192-bit nonces, so nonces never need coordinating between
//! nodes). Data keys are stored only wrapped, sealed in turn by a master key that lives
//! outside the database (a file or the environment). Two consequences:
//!
//! - rotating the master key re-wraps the small data keys, never the data;
//! - destroying an organisation's wrapped data key makes every field sealed for it
//!   unreadable for good (crypto-shredding), backups included once the master key that
//!   wrapped older copies is retired.
//!
//! Every ciphertext is bound to where it belongs by associated data: a wrapped key to its
//! owner, a sealed field to a context the caller names (table, column, record id), so a
//! ciphertext copied to another row or organisation does not open.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD_NO_PAD;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use zeroize::Zeroizing;

/// Length of every key, in bytes.
pub const KEY_LEN: usize = 32;
const NONCE_LEN: usize = 24;
/// Prefix of a sealed field's text form; the version of the format.
const SEALED_PREFIX: &str = "tc1:";
const WRAP_DOMAIN: &[u8] = b"ticorr/data-key/v1\0";
const SEAL_DOMAIN: &[u8] = b"ticorr/field/v1\0";

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CryptoError {
    #[error("a master key must read `<id>:<64 hex digits>`: {0}")]
    BadMasterKey(String),
    #[error("no master key is configured")]
    NoMasterKey,
    #[error("the master key `{0}` that wrapped this data key is not configured")]
    UnknownMasterKey(String),
    #[error("the value is not a sealed field")]
    NotSealed,
    #[error("the value does not open with this key in this context (wrong key, moved, or altered)")]
    Unauthentic,
}

/// A 256-bit secret that is wiped from memory when dropped.
struct Secret(Zeroizing<[u8; KEY_LEN]>);

impl Secret {
    fn random() -> Secret {
        let mut bytes = Zeroizing::new([0u8; KEY_LEN]);
        rand::fill(&mut bytes[..]);
        Secret(bytes)
    }

    fn cipher(&self) -> XChaCha20Poly1305 {
        XChaCha20Poly1305::new_from_slice(&self.0[..]).expect("32-byte key")
    }
}

fn aad(domain: &[u8], context: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(domain.len() + context.len());
    out.extend_from_slice(domain);
    out.extend_from_slice(context);
    out
}

/// nonce ‖ ciphertext ‖ tag.
fn encrypt(key: &Secret, domain: &[u8], context: &[u8], plaintext: &[u8]) -> Vec<u8> {
    let mut nonce = [0u8; NONCE_LEN];
    rand::fill(&mut nonce);
    let aad = aad(domain, context);
    let ct = key
        .cipher()
        .encrypt(
            &XNonce::from(nonce),
            Payload {
                msg: plaintext,
                aad: &aad,
            },
        )
        .expect("XChaCha20-Poly1305 encrypts any length this platform stores");
    let mut out = Vec::with_capacity(NONCE_LEN + ct.len());
    out.extend_from_slice(&nonce);
    out.extend_from_slice(&ct);
    out
}

fn decrypt(
    key: &Secret,
    domain: &[u8],
    context: &[u8],
    blob: &[u8],
) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
    if blob.len() < NONCE_LEN + 16 {
        return Err(CryptoError::Unauthentic);
    }
    let (nonce, ct) = blob.split_at(NONCE_LEN);
    let nonce: [u8; NONCE_LEN] = nonce.try_into().expect("split at the nonce length");
    let aad = aad(domain, context);
    key.cipher()
        .decrypt(&XNonce::from(nonce), Payload { msg: ct, aad: &aad })
        .map(Zeroizing::new)
        .map_err(|_| CryptoError::Unauthentic)
}

/// A master key with the identifier stored beside every data key it wraps.
pub struct MasterKey {
    id: String,
    secret: Secret,
}

impl fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "MasterKey({})", self.id)
    }
}

fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 64
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

impl MasterKey {
    /// A fresh random key named `id` (letters, digits, `-`, `_`, `.`).
    pub fn generate(id: &str) -> Result<MasterKey, CryptoError> {
        if !valid_id(id) {
            return Err(CryptoError::BadMasterKey(format!("invalid id `{id}`")));
        }
        Ok(MasterKey {
            id: id.to_owned(),
            secret: Secret::random(),
        })
    }

    /// Parses `<id>:<64 hex digits>`.
    pub fn parse(text: &str) -> Result<MasterKey, CryptoError> {
        let (id, hex_part) = text
            .trim()
            .split_once(':')
            .ok_or_else(|| CryptoError::BadMasterKey("missing `:`".into()))?;
        if !valid_id(id) {
            return Err(CryptoError::BadMasterKey(format!("invalid id `{id}`")));
        }
        let mut bytes = Zeroizing::new([0u8; KEY_LEN]);
        hex::decode_to_slice(hex_part.trim(), &mut bytes[..])
            .map_err(|e| CryptoError::BadMasterKey(format!("key `{id}`: {e}")))?;
        Ok(MasterKey {
            id: id.to_owned(),
            secret: Secret(bytes),
        })
    }

    /// The text form [`parse`](Self::parse) reads. It is the secret: write it only to a
    /// file readable by the service alone.
    pub fn to_text(&self) -> Zeroizing<String> {
        Zeroizing::new(format!("{}:{}", self.id, hex::encode(&self.secret.0[..])))
    }

    pub fn id(&self) -> &str {
        &self.id
    }
}

/// The configured master keys: the first wraps, all of them unwrap (so a rotation can be
/// carried out while older wrappings still exist).
#[derive(Debug)]
pub struct MasterKeys(Vec<MasterKey>);

/// A data key as stored: the master key that wrapped it and the sealed key bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WrappedKey {
    pub master_id: String,
    /// Standard base64 (no padding) of nonce ‖ ciphertext ‖ tag.
    pub blob: String,
}

impl MasterKeys {
    /// Reads one key per line or comma-separated item; blank lines and `#` comments are
    /// ignored. The first key is the current one.
    pub fn parse(text: &str) -> Result<MasterKeys, CryptoError> {
        let keys = text
            .split(['\n', ','])
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .map(MasterKey::parse)
            .collect::<Result<Vec<_>, _>>()?;
        MasterKeys::new(keys)
    }

    pub fn new(keys: Vec<MasterKey>) -> Result<MasterKeys, CryptoError> {
        if keys.is_empty() {
            return Err(CryptoError::NoMasterKey);
        }
        for (i, k) in keys.iter().enumerate() {
            if keys[..i].iter().any(|o| o.id == k.id) {
                return Err(CryptoError::BadMasterKey(format!(
                    "the id `{}` is used twice",
                    k.id
                )));
            }
        }
        Ok(MasterKeys(keys))
    }

    /// The key that wraps new and re-wrapped data keys.
    pub fn current(&self) -> &MasterKey {
        &self.0[0]
    }

    pub fn keys(&self) -> &[MasterKey] {
        &self.0
    }

    /// Makes `key` the current key; the others still unwrap.
    pub fn prepend(&mut self, key: MasterKey) -> Result<(), CryptoError> {
        if self.0.iter().any(|k| k.id == key.id) {
            return Err(CryptoError::BadMasterKey(format!(
                "the id `{}` is used twice",
                key.id
            )));
        }
        self.0.insert(0, key);
        Ok(())
    }

    /// Drops every key but the current one.
    pub fn retain_current(&mut self) {
        self.0.truncate(1);
    }

    /// The text form, current key first.
    pub fn to_text(&self) -> Zeroizing<String> {
        let mut out = String::new();
        for k in &self.0 {
            out.push_str(&k.to_text());
            out.push('\n');
        }
        Zeroizing::new(out)
    }

    /// Wraps `key` for `owner` with the current master key.
    pub fn wrap(&self, owner: &str, key: &DataKey) -> WrappedKey {
        let current = self.current();
        let blob = encrypt(&current.secret, WRAP_DOMAIN, owner.as_bytes(), &key.0.0[..]);
        WrappedKey {
            master_id: current.id.clone(),
            blob: STANDARD_NO_PAD.encode(blob),
        }
    }

    /// Unwraps `owner`'s data key; fails when the wrapping master key is not configured or
    /// the wrapped key was made for another owner or altered.
    pub fn unwrap(&self, owner: &str, wrapped: &WrappedKey) -> Result<DataKey, CryptoError> {
        let master = self
            .0
            .iter()
            .find(|k| k.id == wrapped.master_id)
            .ok_or_else(|| CryptoError::UnknownMasterKey(wrapped.master_id.clone()))?;
        let blob = STANDARD_NO_PAD
            .decode(wrapped.blob.trim())
            .map_err(|_| CryptoError::Unauthentic)?;
        let bytes = decrypt(&master.secret, WRAP_DOMAIN, owner.as_bytes(), &blob)?;
        let key: [u8; KEY_LEN] = bytes[..].try_into().map_err(|_| CryptoError::Unauthentic)?;
        Ok(DataKey(Secret(Zeroizing::new(key))))
    }
}

/// An organisation's data key, in memory only while in use.
pub struct DataKey(Secret);

impl fmt::Debug for DataKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("DataKey(..)")
    }
}

impl DataKey {
    pub fn generate() -> DataKey {
        DataKey(Secret::random())
    }

    /// Seals `plaintext` for `context` (for example `equipment.notes/<id>`); the text form
    /// is `tc1:` followed by base64.
    pub fn seal(&self, context: &str, plaintext: &str) -> String {
        let blob = encrypt(
            &self.0,
            SEAL_DOMAIN,
            context.as_bytes(),
            plaintext.as_bytes(),
        );
        format!("{SEALED_PREFIX}{}", STANDARD_NO_PAD.encode(blob))
    }

    /// Opens what [`seal`](Self::seal) made for the same `context`.
    pub fn open(&self, context: &str, sealed: &str) -> Result<String, CryptoError> {
        let body = sealed
            .strip_prefix(SEALED_PREFIX)
            .ok_or(CryptoError::NotSealed)?;
        let blob = STANDARD_NO_PAD
            .decode(body)
            .map_err(|_| CryptoError::NotSealed)?;
        let bytes = decrypt(&self.0, SEAL_DOMAIN, context.as_bytes(), &blob)?;
        String::from_utf8(bytes.to_vec()).map_err(|_| CryptoError::Unauthentic)
    }
}

/// Whether `value` has the form of a sealed field (says nothing about whether it opens).
pub fn is_sealed(value: &str) -> bool {
    value.starts_with(SEALED_PREFIX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn masters() -> MasterKeys {
        MasterKeys::new(vec![MasterKey::generate("m1").unwrap()]).unwrap()
    }

    #[test]
    fn a_sealed_field_opens_only_with_its_key_and_context() {
        let dk = DataKey::generate();
        let sealed = dk.seal("equipment.notes/1", "停车检修费用 12 万元");
        assert!(is_sealed(&sealed));
        // Not "12" alone: random base64 contains it now and then.
        assert!(
            !sealed.contains("停车") && !sealed.contains("12 万元"),
            "no plaintext in the sealed form"
        );
        assert_eq!(
            dk.open("equipment.notes/1", &sealed).unwrap(),
            "停车检修费用 12 万元"
        );
        assert_eq!(
            dk.open("equipment.notes/2", &sealed),
            Err(CryptoError::Unauthentic),
            "moved to another row"
        );
        assert_eq!(
            DataKey::generate().open("equipment.notes/1", &sealed),
            Err(CryptoError::Unauthentic),
            "another organisation's key"
        );
        assert_eq!(dk.open("x", "plain"), Err(CryptoError::NotSealed));
    }

    #[test]
    fn sealing_twice_gives_different_ciphertexts() {
        let dk = DataKey::generate();
        assert_ne!(dk.seal("c", "same"), dk.seal("c", "same"));
    }

    #[test]
    fn a_wrapped_key_opens_for_its_owner_only() {
        let m = masters();
        let dk = DataKey::generate();
        let sealed = dk.seal("c", "secret");
        let w = m.wrap("org-a", &dk);
        assert_eq!(w.master_id, "m1");
        let back = m.unwrap("org-a", &w).unwrap();
        assert_eq!(back.open("c", &sealed).unwrap(), "secret");
        assert_eq!(m.unwrap("org-b", &w).unwrap_err(), CryptoError::Unauthentic);
        assert_eq!(
            masters().unwrap("org-a", &w).unwrap_err(),
            CryptoError::Unauthentic,
            "another master key with the same id"
        );
    }

    #[test]
    fn rotation_rewraps_under_the_new_key_and_the_old_key_can_go() {
        let old = masters();
        let dk = DataKey::generate();
        let sealed = dk.seal("c", "kept");
        let w = old.wrap("org", &dk);
        // The new key goes first; both unwrap during the rotation.
        let both = MasterKeys::parse(&format!(
            "{}\n{}",
            &*MasterKey::generate("m2").unwrap().to_text(),
            &*old.to_text()
        ))
        .unwrap();
        let rewrapped = both.wrap("org", &both.unwrap("org", &w).unwrap());
        assert_eq!(rewrapped.master_id, "m2");
        let only_new = MasterKeys::parse(&both.current().to_text()).unwrap();
        assert_eq!(
            only_new
                .unwrap("org", &rewrapped)
                .unwrap()
                .open("c", &sealed)
                .unwrap(),
            "kept"
        );
        assert_eq!(
            only_new.unwrap("org", &w).unwrap_err(),
            CryptoError::UnknownMasterKey("m1".into())
        );
    }

    #[test]
    fn master_keys_parse_strictly() {
        let k = MasterKey::generate("prod-2026").unwrap();
        let back = MasterKey::parse(&k.to_text()).unwrap();
        assert_eq!(back.id(), "prod-2026");
        for bad in ["", "nohex", "id:abcd", "bad id:00", ":00"] {
            assert!(MasterKey::parse(bad).is_err(), "{bad:?}");
        }
        assert_eq!(
            MasterKeys::parse("# only a comment\n").unwrap_err(),
            CryptoError::NoMasterKey
        );
        let twice = format!("{}\n{}", &*k.to_text(), &*k.to_text());
        assert!(matches!(
            MasterKeys::parse(&twice),
            Err(CryptoError::BadMasterKey(_))
        ));
    }

    proptest! {
        #[test]
        fn any_single_bit_flip_is_detected(text in ".{0,64}", byte in 0usize..200, bit in 0u8..8) {
            let dk = DataKey::generate();
            let sealed = dk.seal("ctx", &text);
            let mut blob = STANDARD_NO_PAD.decode(&sealed[SEALED_PREFIX.len()..]).unwrap();
            let i = byte % blob.len();
            blob[i] ^= 1 << bit;
            let tampered = format!("{SEALED_PREFIX}{}", STANDARD_NO_PAD.encode(&blob));
            prop_assert_eq!(dk.open("ctx", &tampered), Err(CryptoError::Unauthentic));
            prop_assert_eq!(dk.open("ctx", &sealed).unwrap(), text);
        }
    }
}
