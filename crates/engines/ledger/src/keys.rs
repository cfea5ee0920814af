//! Ed25519 keys for signed notes, in the text formats of the Go `sumdb/note` package.
//!
//! * Key ID (C2SP signed-note, "Signatures"): the first four bytes, big-endian, of
//!   `SHA-256(key name || 0x0A || signature type || 32-byte public key)`.
//! * Verifier key: `<name>+<8 lowercase hex digits of the key ID>+<base64(type || public key)>`
//!   (C2SP signed-note's "vkey"; what `note.NewVerifier` reads).
//! * Private key: `PRIVATE+KEY+<name>+<key ID hex>+<base64(type || 32-byte seed)>` (what
//!   `note.GenerateKey` writes and `note.NewSigner` reads; the key ID is that of the public
//!   key).
//!
//! Two signature types are supported: `0x01`, Ed25519 over the note text (a log signing its
//! checkpoints), and `0x04`, the timestamped Ed25519 cosignature of C2SP tlog-cosignature (a
//! witness). The Go package only writes type `0x01` private keys; this crate also reads and
//! writes type `0x04` ones, so a witness key can be kept in the same kind of file.

use std::fmt;
use std::str::FromStr;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use ed25519_dalek::{Signature, Signer as _, SigningKey, VerifyingKey};
use rand::{CryptoRng, TryRng as _};

use crate::hash::sha256;

/// Signature type byte of Ed25519 note signatures (C2SP signed-note).
pub const TYPE_ED25519: u8 = 0x01;
/// Signature type byte of timestamped Ed25519 cosignatures (C2SP tlog-cosignature).
pub const TYPE_COSIGNATURE_V1: u8 = 0x04;

/// Which algorithm a key signs with, named by its C2SP signature type byte.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SignatureType {
    /// `0x01`: Ed25519 over the note text.
    Ed25519,
    /// `0x04`: Ed25519 over `cosignature/v1\ntime <t>\n` and the note text, with the
    /// timestamp `t` carried in the signature.
    CosignatureV1,
}

impl SignatureType {
    /// The type byte.
    pub const fn type_byte(self) -> u8 {
        match self {
            Self::Ed25519 => TYPE_ED25519,
            Self::CosignatureV1 => TYPE_COSIGNATURE_V1,
        }
    }

    /// The type for a type byte, if supported.
    pub const fn from_type_byte(byte: u8) -> Option<Self> {
        match byte {
            TYPE_ED25519 => Some(Self::Ed25519),
            TYPE_COSIGNATURE_V1 => Some(Self::CosignatureV1),
            _ => None,
        }
    }
}

impl fmt::Display for SignatureType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Ed25519 => "Ed25519 (0x01)",
            Self::CosignatureV1 => "cosignature/v1 (0x04)",
        })
    }
}

/// Why a key, key string or signing request was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    /// Key names must be non-empty, without spaces, `+` or control characters.
    #[error(
        "invalid key name {0:?}: it must be non-empty and contain no spaces, '+' or control characters"
    )]
    InvalidName(String),
    /// The key string does not have the expected `+`-separated shape.
    #[error("malformed key string: {0}")]
    Malformed(&'static str),
    /// The type byte is not 0x01 or 0x04.
    #[error("unsupported signature type 0x{0:02x}")]
    UnsupportedType(u8),
    /// The key ID written in the string is not the one the key has.
    #[error("the key ID in the key string is {stated:08x}, but the key's ID is {computed:08x}")]
    KeyIdMismatch {
        /// The ID written in the string.
        stated: u32,
        /// The ID computed from name, type and public key.
        computed: u32,
    },
    /// The 32 bytes are not a valid Ed25519 public key.
    #[error("not a valid Ed25519 public key")]
    InvalidPublicKey,
    /// The key signs with another signature type than the operation needs.
    #[error("this operation needs a {expected} key, not a {actual} key")]
    WrongSignatureType {
        /// What the operation needs.
        expected: SignatureType,
        /// What the key is.
        actual: SignatureType,
    },
    /// The operating system's random number generator failed.
    #[error("the system random number generator failed")]
    Rng,
}

/// Whether `name` may name a key (C2SP signed-note: non-empty, no Unicode spaces, no `+`;
/// control characters are refused too, since a note may not contain them).
pub fn is_valid_key_name(name: &str) -> bool {
    !name.is_empty()
        && !name
            .chars()
            .any(|c| c.is_whitespace() || c == '+' || c.is_control())
}

fn check_name(name: &str) -> Result<(), KeyError> {
    if is_valid_key_name(name) {
        Ok(())
    } else {
        Err(KeyError::InvalidName(name.to_owned()))
    }
}

/// The key ID: `SHA-256(name || 0x0A || type || public key)[:4]`, big-endian.
pub fn key_id(name: &str, signature_type: SignatureType, public_key: &[u8; 32]) -> u32 {
    let mut input = Vec::with_capacity(name.len() + 2 + public_key.len());
    input.extend_from_slice(name.as_bytes());
    input.push(b'\n');
    input.push(signature_type.type_byte());
    input.extend_from_slice(public_key);
    let digest = sha256(&input);
    u32::from_be_bytes([digest[0], digest[1], digest[2], digest[3]])
}

/// Splits at the first `+`, as Go's `chop` does; the rest is empty if there is none.
fn chop(text: &str) -> (&str, &str) {
    text.split_once('+').unwrap_or((text, ""))
}

fn parse_key_id(hex: &str) -> Result<u32, KeyError> {
    if hex.len() != 8 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(KeyError::Malformed(
            "the key ID must be 8 hexadecimal digits",
        ));
    }
    u32::from_str_radix(hex, 16).map_err(|_| KeyError::Malformed("bad key ID"))
}

/// Decodes `base64(type || 32 bytes)`.
fn parse_typed_key(b64: &str) -> Result<(SignatureType, [u8; 32]), KeyError> {
    let bytes = STANDARD
        .decode(b64)
        .map_err(|_| KeyError::Malformed("the key is not standard base64"))?;
    let (&type_byte, key) = bytes
        .split_first()
        .ok_or(KeyError::Malformed("the key is empty"))?;
    let signature_type =
        SignatureType::from_type_byte(type_byte).ok_or(KeyError::UnsupportedType(type_byte))?;
    let key = <[u8; 32]>::try_from(key)
        .map_err(|_| KeyError::Malformed("an Ed25519 key has 32 bytes"))?;
    Ok((signature_type, key))
}

fn encode_typed_key(signature_type: SignatureType, key: &[u8; 32]) -> String {
    let mut bytes = Vec::with_capacity(33);
    bytes.push(signature_type.type_byte());
    bytes.extend_from_slice(key);
    STANDARD.encode(bytes)
}

/// A public key that verifies note signatures of one type under one name.
#[derive(Clone, PartialEq, Eq)]
pub struct VerifierKey {
    name: String,
    signature_type: SignatureType,
    key: VerifyingKey,
    key_id: u32,
}

impl VerifierKey {
    /// A verifier for `key` under `name`.
    pub fn new(
        name: &str,
        signature_type: SignatureType,
        key: VerifyingKey,
    ) -> Result<Self, KeyError> {
        check_name(name)?;
        Ok(Self {
            name: name.to_owned(),
            signature_type,
            key_id: key_id(name, signature_type, key.as_bytes()),
            key,
        })
    }

    /// Parses `<name>+<hex key ID>+<base64(type || public key)>`, checking the key ID.
    pub fn parse(text: &str) -> Result<Self, KeyError> {
        let (name, rest) = chop(text);
        let (hex, b64) = chop(rest);
        check_name(name)?;
        let stated = parse_key_id(hex)?;
        let (signature_type, bytes) = parse_typed_key(b64)?;
        let key = VerifyingKey::from_bytes(&bytes).map_err(|_| KeyError::InvalidPublicKey)?;
        let verifier = Self::new(name, signature_type, key)?;
        if verifier.key_id != stated {
            return Err(KeyError::KeyIdMismatch {
                stated,
                computed: verifier.key_id,
            });
        }
        Ok(verifier)
    }

    /// The key name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The key ID.
    pub fn key_id(&self) -> u32 {
        self.key_id
    }

    /// What the key verifies.
    pub fn signature_type(&self) -> SignatureType {
        self.signature_type
    }

    /// The Ed25519 public key.
    pub fn public_key(&self) -> &VerifyingKey {
        &self.key
    }

    /// Checks a signature (the bytes after the key ID) over a note text. Returns the
    /// cosignature timestamp for type `0x04`, `None` for type `0x01`, and `Err(())` for any
    /// signature that does not verify.
    pub(crate) fn check(&self, text: &str, signature: &[u8]) -> Result<Option<u64>, ()> {
        match self.signature_type {
            SignatureType::Ed25519 => {
                let signature = Signature::from_slice(signature).map_err(|_| ())?;
                self.key
                    .verify_strict(text.as_bytes(), &signature)
                    .map_err(|_| ())?;
                Ok(None)
            }
            SignatureType::CosignatureV1 => {
                // timestamped_signature: u64 timestamp (big-endian) || 64-byte signature.
                let (timestamp, signature) = signature.split_first_chunk::<8>().ok_or(())?;
                let timestamp = u64::from_be_bytes(*timestamp);
                if timestamp > MAX_TIMESTAMP {
                    return Err(());
                }
                let signature = Signature::from_slice(signature).map_err(|_| ())?;
                self.key
                    .verify_strict(&cosigned_message(text, timestamp), &signature)
                    .map_err(|_| ())?;
                Ok(Some(timestamp))
            }
        }
    }
}

impl fmt::Display for VerifierKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}+{:08x}+{}",
            self.name,
            self.key_id,
            encode_typed_key(self.signature_type, self.key.as_bytes())
        )
    }
}

impl fmt::Debug for VerifierKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "VerifierKey({self})")
    }
}

impl FromStr for VerifierKey {
    type Err = KeyError;

    fn from_str(text: &str) -> Result<Self, KeyError> {
        Self::parse(text)
    }
}

/// Cosignature timestamps must not exceed 2^63 − 1 (C2SP tlog-cosignature).
pub const MAX_TIMESTAMP: u64 = i64::MAX as u64;

/// The message a v1 cosignature signs (C2SP tlog-cosignature, "Ed25519 signed message"):
/// `cosignature/v1\n`, `time <timestamp>\n`, then the whole note text (extension lines
/// included, signature lines not).
pub fn cosigned_message(text: &str, timestamp: u64) -> Vec<u8> {
    format!("cosignature/v1\ntime {timestamp}\n{text}").into_bytes()
}

/// A private key with its name and signature type. `Debug` never prints the secret.
#[derive(Clone)]
pub struct SignerKey {
    name: String,
    signature_type: SignatureType,
    key: SigningKey,
    key_id: u32,
}

impl SignerKey {
    /// The key whose Ed25519 seed (RFC 8032 private key) is `seed`.
    pub fn from_seed(
        name: &str,
        signature_type: SignatureType,
        seed: &[u8; 32],
    ) -> Result<Self, KeyError> {
        check_name(name)?;
        let key = SigningKey::from_bytes(seed);
        Ok(Self {
            name: name.to_owned(),
            signature_type,
            key_id: key_id(name, signature_type, key.verifying_key().as_bytes()),
            key,
        })
    }

    /// A new key from the operating system's random number generator.
    pub fn generate(name: &str, signature_type: SignatureType) -> Result<Self, KeyError> {
        let mut seed = [0u8; 32];
        rand::rngs::SysRng
            .try_fill_bytes(&mut seed)
            .map_err(|_| KeyError::Rng)?;
        let key = Self::from_seed(name, signature_type, &seed);
        seed.fill(0);
        key
    }

    /// A new key from `rng` (deterministic generators make reproducible test keys).
    pub fn generate_with<R: CryptoRng + ?Sized>(
        name: &str,
        signature_type: SignatureType,
        rng: &mut R,
    ) -> Result<Self, KeyError> {
        let mut seed = [0u8; 32];
        rng.fill_bytes(&mut seed);
        let key = Self::from_seed(name, signature_type, &seed);
        seed.fill(0);
        key
    }

    /// Parses `PRIVATE+KEY+<name>+<hex key ID>+<base64(type || seed)>`, checking that the key
    /// ID is that of the derived public key.
    pub fn parse(text: &str) -> Result<Self, KeyError> {
        let (private, rest) = chop(text);
        let (key_word, rest) = chop(rest);
        if private != "PRIVATE" || key_word != "KEY" {
            return Err(KeyError::Malformed(
                "a private key starts with PRIVATE+KEY+",
            ));
        }
        let (name, rest) = chop(rest);
        let (hex, b64) = chop(rest);
        check_name(name)?;
        let stated = parse_key_id(hex)?;
        let (signature_type, mut seed) = parse_typed_key(b64)?;
        let signer = Self::from_seed(name, signature_type, &seed);
        seed.fill(0);
        let signer = signer?;
        if signer.key_id != stated {
            return Err(KeyError::KeyIdMismatch {
                stated,
                computed: signer.key_id,
            });
        }
        Ok(signer)
    }

    /// The private key string, for a key file. Keep it secret.
    pub fn to_private_key_string(&self) -> String {
        format!(
            "PRIVATE+KEY+{}+{:08x}+{}",
            self.name,
            self.key_id,
            encode_typed_key(self.signature_type, self.key.as_bytes())
        )
    }

    /// The matching verifier key.
    pub fn verifier_key(&self) -> VerifierKey {
        VerifierKey {
            name: self.name.clone(),
            signature_type: self.signature_type,
            key: self.key.verifying_key(),
            key_id: self.key_id,
        }
    }

    /// The key name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The key ID.
    pub fn key_id(&self) -> u32 {
        self.key_id
    }

    /// What the key signs.
    pub fn signature_type(&self) -> SignatureType {
        self.signature_type
    }

    fn require(&self, expected: SignatureType) -> Result<(), KeyError> {
        if self.signature_type == expected {
            Ok(())
        } else {
            Err(KeyError::WrongSignatureType {
                expected,
                actual: self.signature_type,
            })
        }
    }

    /// An Ed25519 (type `0x01`) signature over `text`: the 64 signature bytes.
    pub(crate) fn sign_text(&self, text: &str) -> Result<Vec<u8>, KeyError> {
        self.require(SignatureType::Ed25519)?;
        Ok(self.key.sign(text.as_bytes()).to_bytes().to_vec())
    }

    /// A v1 cosignature (type `0x04`) over `text` at `timestamp`: the 8 timestamp bytes
    /// (big-endian) followed by the 64 signature bytes.
    pub(crate) fn cosign_text(&self, text: &str, timestamp: u64) -> Result<Vec<u8>, KeyError> {
        self.require(SignatureType::CosignatureV1)?;
        if timestamp > MAX_TIMESTAMP {
            return Err(KeyError::Malformed(
                "cosignature timestamps must not exceed 2^63 - 1",
            ));
        }
        let signature = self.key.sign(&cosigned_message(text, timestamp));
        let mut out = Vec::with_capacity(72);
        out.extend_from_slice(&timestamp.to_be_bytes());
        out.extend_from_slice(&signature.to_bytes());
        Ok(out)
    }
}

impl fmt::Debug for SignerKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SignerKey")
            .field("name", &self.name)
            .field("signature_type", &self.signature_type)
            .field("key_id", &format_args!("{:08x}", self.key_id))
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Fixed keys from the tests of golang.org/x/mod/sumdb/note (note_test.go).
    const PETER_SKEY: &str =
        "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz";
    const PETER_VKEY: &str = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";

    #[test]
    fn go_note_keys_parse_and_agree() {
        let signer = SignerKey::parse(PETER_SKEY).unwrap();
        let verifier = VerifierKey::parse(PETER_VKEY).unwrap();
        assert_eq!(signer.verifier_key(), verifier);
        assert_eq!(verifier.key_id(), 0xc74f20a3);
        assert_eq!(verifier.signature_type(), SignatureType::Ed25519);
        assert_eq!(verifier.to_string(), PETER_VKEY);
        assert_eq!(signer.to_private_key_string(), PETER_SKEY);
    }

    #[test]
    fn mangled_go_keys_are_refused() {
        // As Go's TestNewVerifier and TestNewSigner: every proper substring and every
        // single-byte increment must fail.
        for key in [PETER_VKEY, PETER_SKEY] {
            let parse = |text: &str| {
                if key == PETER_VKEY {
                    VerifierKey::parse(text).is_ok()
                } else {
                    SignerKey::parse(text).is_ok()
                }
            };
            let bytes = key.as_bytes();
            for i in 0..=bytes.len() {
                for j in i + 1..=bytes.len() {
                    if (i, j) != (0, bytes.len()) {
                        let part = String::from_utf8_lossy(&bytes[i..j]);
                        assert!(!parse(&part), "{part:?} was accepted");
                    }
                }
            }
            for i in 0..bytes.len() {
                let mut changed = bytes.to_vec();
                changed[i] = changed[i].wrapping_add(1);
                let changed = String::from_utf8_lossy(&changed);
                assert!(!parse(&changed), "{changed:?} was accepted");
            }
        }
        // Wrong key length and unknown algorithm, each with a matching key ID (from Go).
        assert!(
            VerifierKey::parse(
                "PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWBADKEY=="
            )
            .is_err()
        );
        assert_eq!(
            VerifierKey::parse(
                "PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
            ),
            Err(KeyError::UnsupportedType(0x65))
        );
    }

    #[test]
    fn cosignature_verifier_keys_from_the_witness_ecosystem_parse() {
        // A native type-0x04 key, from transparency-dev/formats note/note_cosigv1_test.go.
        let vkey = "remora.n621.de+da77ade7+BOvN63jn/bLvkieywe8R6UYAtVtNbZpXh34x7onlmtw2";
        let key = VerifierKey::parse(vkey).unwrap();
        assert_eq!(key.signature_type(), SignatureType::CosignatureV1);
        assert_eq!(key.key_id(), 0xda77ade7);
        assert_eq!(key.to_string(), vkey);
    }

    #[test]
    fn generated_keys_round_trip_through_their_strings() {
        for signature_type in [SignatureType::Ed25519, SignatureType::CosignatureV1] {
            let signer = SignerKey::generate("ticorr.example/log", signature_type).unwrap();
            let again = SignerKey::parse(&signer.to_private_key_string()).unwrap();
            assert_eq!(again.verifier_key(), signer.verifier_key());
            let vkey = signer.verifier_key().to_string();
            assert_eq!(VerifierKey::parse(&vkey).unwrap(), signer.verifier_key());
            let skey = signer.to_private_key_string();
            let secret = skey.splitn(5, '+').nth(4).unwrap();
            assert!(!format!("{signer:?}").contains(secret));
        }
    }

    #[test]
    fn key_names_follow_the_spec() {
        assert!(is_valid_key_name("example.com/log42"));
        assert!(is_valid_key_name("oid/1.3.6.1.4.1"));
        for bad in ["", "a b", "a+b", "a\u{a0}b", "a\tb", "a\u{1}b"] {
            assert!(!is_valid_key_name(bad), "{bad:?}");
            assert_eq!(
                SignerKey::from_seed(bad, SignatureType::Ed25519, &[7; 32]).unwrap_err(),
                KeyError::InvalidName(bad.to_owned())
            );
        }
    }
}
