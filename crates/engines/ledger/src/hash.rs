//! SHA-256 hashing exactly as RFC 9162 §2.1.1 defines it for Merkle trees.
//!
//! The one-byte prefixes (0x00 for leaves, 0x01 for interior nodes) give leaves and nodes
//! different domains, so a leaf can never be passed off as an interior node (second-preimage
//! protection).

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use sha2::{Digest as _, Sha256};

/// Length in bytes of every hash in the tree (SHA-256).
pub const HASH_LEN: usize = 32;

const LEAF_PREFIX: [u8; 1] = [0x00];
const NODE_PREFIX: [u8; 1] = [0x01];

/// A SHA-256 value: a leaf hash, an interior node hash or a tree root.
///
/// It prints as lowercase hex and serializes (serde) as standard padded base64, the encoding
/// checkpoints use for the root hash.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Hash([u8; HASH_LEN]);

/// Why a text or byte string is not a [`struct@Hash`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HashParseError {
    /// Not canonical standard base64 (RFC 4648 §4, padded).
    #[error("not canonical standard base64")]
    Base64,
    /// Not 64 hexadecimal digits.
    #[error("not hexadecimal")]
    Hex,
    /// Decoded to the wrong number of bytes.
    #[error("a hash has {HASH_LEN} bytes, not {0}")]
    Length(usize),
}

impl Hash {
    /// Wraps 32 raw bytes.
    pub const fn from_bytes(bytes: [u8; HASH_LEN]) -> Self {
        Self(bytes)
    }

    /// Copies a 32-byte slice.
    pub fn from_slice(bytes: &[u8]) -> Result<Self, HashParseError> {
        <[u8; HASH_LEN]>::try_from(bytes)
            .map(Self)
            .map_err(|_| HashParseError::Length(bytes.len()))
    }

    /// The raw bytes.
    pub const fn as_bytes(&self) -> &[u8; HASH_LEN] {
        &self.0
    }

    /// Standard padded base64, as in a checkpoint's root hash line.
    pub fn to_base64(&self) -> String {
        STANDARD.encode(self.0)
    }

    /// Parses standard padded base64. Only the canonical encoding is accepted (the engine
    /// rejects non-zero trailing bits), so each hash has exactly one text form.
    pub fn from_base64(text: &str) -> Result<Self, HashParseError> {
        let bytes = STANDARD.decode(text).map_err(|_| HashParseError::Base64)?;
        Self::from_slice(&bytes)
    }

    /// Lowercase hexadecimal, 64 characters.
    pub fn to_hex(&self) -> String {
        let mut out = String::with_capacity(2 * HASH_LEN);
        for byte in self.0 {
            out.push(char::from(HEX_DIGITS[usize::from(byte >> 4)]));
            out.push(char::from(HEX_DIGITS[usize::from(byte & 0x0f)]));
        }
        out
    }

    /// Parses 64 hexadecimal digits (either case).
    pub fn from_hex(text: &str) -> Result<Self, HashParseError> {
        let digits = text.as_bytes();
        if digits.len() != 2 * HASH_LEN {
            return Err(
                if digits.len().is_multiple_of(2) && digits.iter().all(u8::is_ascii_hexdigit) {
                    HashParseError::Length(digits.len() / 2)
                } else {
                    HashParseError::Hex
                },
            );
        }
        let mut out = [0u8; HASH_LEN];
        for (byte, pair) in out.iter_mut().zip(digits.chunks_exact(2)) {
            *byte = (hex_value(pair[0])? << 4) | hex_value(pair[1])?;
        }
        Ok(Self(out))
    }
}

const HEX_DIGITS: &[u8; 16] = b"0123456789abcdef";

fn hex_value(digit: u8) -> Result<u8, HashParseError> {
    match digit {
        b'0'..=b'9' => Ok(digit - b'0'),
        b'a'..=b'f' => Ok(digit - b'a' + 10),
        b'A'..=b'F' => Ok(digit - b'A' + 10),
        _ => Err(HashParseError::Hex),
    }
}

impl fmt::Debug for Hash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Hash({})", self.to_hex())
    }
}

impl fmt::Display for Hash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl From<[u8; HASH_LEN]> for Hash {
    fn from(bytes: [u8; HASH_LEN]) -> Self {
        Self(bytes)
    }
}

impl AsRef<[u8]> for Hash {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

impl Serialize for Hash {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.to_base64())
    }
}

impl<'de> Deserialize<'de> for Hash {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Self::from_base64(&text).map_err(serde::de::Error::custom)
    }
}

/// Plain SHA-256 of `data` (no prefix).
pub fn sha256(data: &[u8]) -> [u8; HASH_LEN] {
    Sha256::digest(data).into()
}

/// `MTH({d}) = SHA-256(0x00 || d)`: the hash of one leaf (RFC 9162 §2.1.1).
pub fn leaf_hash(leaf_data: &[u8]) -> Hash {
    Hash(
        Sha256::new_with_prefix(LEAF_PREFIX)
            .chain_update(leaf_data)
            .finalize()
            .into(),
    )
}

/// `SHA-256(0x01 || left || right)`: the hash of an interior node (RFC 9162 §2.1.1).
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    Hash(
        Sha256::new_with_prefix(NODE_PREFIX)
            .chain_update(left.0)
            .chain_update(right.0)
            .finalize()
            .into(),
    )
}

/// `MTH({}) = SHA-256()`: the root of the empty tree,
/// `e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855`.
pub fn empty_root() -> Hash {
    Hash(sha256(b""))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_root_is_sha256_of_nothing() {
        assert_eq!(
            empty_root().to_hex(),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }

    #[test]
    fn leaf_hash_of_empty_leaf_matches_the_reference_vector() {
        // transparency-dev/merkle testonly/constants.go, NodeHashes()[0][0].
        assert_eq!(
            leaf_hash(b"").to_hex(),
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"
        );
    }

    #[test]
    fn text_forms_round_trip_and_reject_garbage() {
        let h = leaf_hash(b"x");
        assert_eq!(Hash::from_hex(&h.to_hex()), Ok(h));
        assert_eq!(Hash::from_hex(&h.to_hex().to_uppercase()), Ok(h));
        assert_eq!(Hash::from_base64(&h.to_base64()), Ok(h));
        assert_eq!(Hash::from_hex("zz"), Err(HashParseError::Hex));
        assert_eq!(Hash::from_hex("00"), Err(HashParseError::Length(1)));
        assert_eq!(Hash::from_base64("AAAA"), Err(HashParseError::Length(3)));
        assert_eq!(
            Hash::from_base64("not base64!"),
            Err(HashParseError::Base64)
        );
        // Unpadded and non-canonical (non-zero trailing bits) encodings are refused.
        let b64 = h.to_base64();
        assert_eq!(
            Hash::from_base64(b64.trim_end_matches('=')),
            Err(HashParseError::Base64)
        );
        let json = serde_json::to_string(&h).unwrap();
        assert_eq!(json, format!("\"{b64}\""));
        assert_eq!(serde_json::from_str::<Hash>(&json).unwrap(), h);
    }
}
