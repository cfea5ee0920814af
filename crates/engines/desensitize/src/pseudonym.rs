//! Keyed pseudonyms: HMAC-SHA-256 over the kind and the normalized value.
//!
//! The label is the first 30 bits of the MAC in Crockford base 32 ("人员-7KQ2MX"). With a
//! per-document key the same person gets the same label everywhere in that document and
//! nowhere else; with the per-platform key labels also agree across documents (so an expert
//! can see that two cases involve the same organisation without learning which). Without the
//! key the label cannot be traced back to the value, short of guessing candidate values and
//! holding the key.

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

use crate::kind::DetectorKind;

/// A secret key for pseudonyms. Its bytes never appear in `Debug` output or serialized data.
#[derive(Clone)]
pub struct PseudonymKey(Vec<u8>);

impl std::fmt::Debug for PseudonymKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PseudonymKey(…)")
    }
}

impl PseudonymKey {
    /// A key from secret bytes (at least 16 are advisable; the platform key should be 32 random
    /// bytes kept with the other platform secrets).
    pub fn new(secret: impl Into<Vec<u8>>) -> PseudonymKey {
        PseudonymKey(secret.into())
    }

    /// A per-document key derived from the platform key and a document id:
    /// HMAC-SHA-256(platform key, "ticorr/desensitize/document/" ‖ id). Labels under it are
    /// stable within the document and unrelated across documents.
    pub fn for_document(platform: &PseudonymKey, document_id: &str) -> PseudonymKey {
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(&platform.0)
            .expect("HMAC accepts keys of any length");
        mac.update(b"ticorr/desensitize/document/");
        mac.update(document_id.as_bytes());
        PseudonymKey(mac.finalize().into_bytes().to_vec())
    }

    /// The label for `value` of `kind`, e.g. "人员-7KQ2MX" or "Person 7KQ2MX".
    pub fn label(&self, kind: DetectorKind, value: &str, chinese: bool) -> String {
        let tag = self.tag(kind, value);
        let (zh, en) = match kind {
            DetectorKind::PersonName => ("人员", "Person"),
            DetectorKind::OrgName => ("单位", "Organisation"),
            other => (other.label_zh(), other.label_en()),
        };
        if chinese {
            format!("{zh}-{tag}")
        } else {
            format!("{en} {tag}")
        }
    }

    /// Six Crockford base-32 characters from the MAC of (kind, normalized value).
    pub fn tag(&self, kind: DetectorKind, value: &str) -> String {
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(&self.0)
            .expect("HMAC accepts keys of any length");
        mac.update(kind.as_str().as_bytes());
        mac.update(&[0]);
        mac.update(normalize(kind, value).as_bytes());
        let digest = mac.finalize().into_bytes();
        const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
        let bits = u64::from_be_bytes(digest[..8].try_into().expect("8 bytes"));
        (0..6)
            .map(|i| ALPHABET[((bits >> (59 - 5 * i)) & 31) as usize] as char)
            .collect()
    }
}

/// The form of a value that decides whether two mentions are the same thing: spacing,
/// punctuation and ASCII case do not matter; for phone numbers only the national digits do.
pub(crate) fn normalize(kind: DetectorKind, value: &str) -> String {
    match kind {
        DetectorKind::Mobile | DetectorKind::Landline | DetectorKind::BankCard => {
            let digits: String = value.chars().filter(char::is_ascii_digit).collect();
            let national = digits
                .strip_prefix("0086")
                .or_else(|| digits.strip_prefix("86").filter(|_| value.contains('+')))
                .unwrap_or(&digits);
            national.to_owned()
        }
        _ => value
            .chars()
            .filter(|c| {
                !c.is_whitespace() && !matches!(c, '·' | '.' | ',' | '-' | '(' | ')' | '（' | '）')
            })
            .flat_map(char::to_lowercase)
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_value_same_label_other_key_other_label() {
        let k1 = PseudonymKey::new(b"platform-secret-one".to_vec());
        let k2 = PseudonymKey::new(b"platform-secret-two".to_vec());
        let a = k1.label(DetectorKind::PersonName, "张伟", true);
        assert!(a.starts_with("人员-"));
        assert_eq!(a, k1.label(DetectorKind::PersonName, "张伟", true));
        assert_ne!(a, k2.label(DetectorKind::PersonName, "张伟", true));
        assert_ne!(a, k1.label(DetectorKind::PersonName, "李娜", true));
        assert_eq!(
            k1.tag(DetectorKind::OrgName, "Acme Heat Transfer GmbH"),
            k1.tag(DetectorKind::OrgName, "ACME heat transfer  GmbH")
        );
        assert_eq!(
            k1.tag(DetectorKind::Mobile, "+86 138 1234 5678"),
            k1.tag(DetectorKind::Mobile, "13812345678")
        );
    }

    #[test]
    fn document_keys_differ_per_document_and_hide_the_secret() {
        let platform = PseudonymKey::new(b"platform".to_vec());
        let d1 = PseudonymKey::for_document(&platform, "case-1");
        let d2 = PseudonymKey::for_document(&platform, "case-2");
        assert_ne!(
            d1.tag(DetectorKind::PersonName, "张伟"),
            d2.tag(DetectorKind::PersonName, "张伟")
        );
        assert_eq!(format!("{d1:?}"), "PseudonymKey(…)");
    }
}
