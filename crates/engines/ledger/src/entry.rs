//! What a leaf says about an anchored record.
//!
//! The leaf data of an anchored record is the RFC 8785 canonical JSON of exactly
//!
//! ```text
//! {"id":<record id>,"record_sha256":<base64 of SHA-256(JCS(record))>,"type":<record type>,"version":<n>}
//! ```
//!
//! (members in canonical order, standard padded base64). The leaf therefore reveals the
//! record's type, id and version but none of its content, and anyone holding the record can
//! recompute it. The record is canonicalized in exact mode ([`canonical_json_exact`]): an
//! integer a double cannot hold exactly is refused when anchoring, since rounding would let
//! two different records share a digest.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Map, Value};

use crate::hash::{HASH_LEN, Hash, leaf_hash, sha256};
use crate::jcs::{JcsError, canonical_json, canonical_json_exact};

/// The largest version number: 2^53 − 1, the largest integer every JSON reader keeps exact.
pub const MAX_VERSION: u64 = (1 << 53) - 1;

/// Why leaf data could not be built, or does not match a record.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EntryError {
    /// The record has no canonical form.
    #[error("the record cannot be canonicalized: {0}")]
    Record(#[from] JcsError),
    /// The record type or id is empty.
    #[error("the record {0} must not be empty")]
    EmptyField(&'static str),
    /// The version is beyond [`MAX_VERSION`].
    #[error("version {0} exceeds 2^53 - 1")]
    VersionTooLarge(u64),
    /// The leaf data is not a JSON object of the four expected members.
    #[error("the leaf data is not an anchored-record entry: {0}")]
    Malformed(&'static str),
    /// The leaf data is valid JSON but not in canonical form.
    #[error("the leaf data is not in RFC 8785 canonical form")]
    NotCanonical,
    /// The leaf names another record type.
    #[error("the leaf is for record type {found:?}, not {expected:?}")]
    TypeMismatch {
        /// The type asked about.
        expected: String,
        /// The type in the leaf.
        found: String,
    },
    /// The leaf names another record id.
    #[error("the leaf is for record id {found:?}, not {expected:?}")]
    IdMismatch {
        /// The id asked about.
        expected: String,
        /// The id in the leaf.
        found: String,
    },
    /// The leaf names another version.
    #[error("the leaf is for version {found}, not {expected}")]
    VersionMismatch {
        /// The version asked about.
        expected: u64,
        /// The version in the leaf.
        found: u64,
    },
    /// The record's digest differs from the leaf's: the record was changed.
    #[error("the record's SHA-256 is {computed}, but the leaf anchors {anchored}")]
    RecordDigestMismatch {
        /// The digest of the record given.
        computed: String,
        /// The digest in the leaf.
        anchored: String,
    },
}

/// `SHA-256(JCS(record))`, with integers checked for exactness.
pub fn record_sha256(record: &Value) -> Result<[u8; HASH_LEN], EntryError> {
    Ok(sha256(&canonical_json_exact(record)?))
}

/// The contents of an anchored-record leaf.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeafEntry {
    /// The record type, e.g. `equipment`.
    pub record_type: String,
    /// The record id.
    pub id: String,
    /// The record version.
    pub version: u64,
    /// `SHA-256(JCS(record))`.
    pub record_sha256: [u8; HASH_LEN],
}

fn check_fields(record_type: &str, id: &str, version: u64) -> Result<(), EntryError> {
    if record_type.is_empty() {
        return Err(EntryError::EmptyField("type"));
    }
    if id.is_empty() {
        return Err(EntryError::EmptyField("id"));
    }
    if version > MAX_VERSION {
        return Err(EntryError::VersionTooLarge(version));
    }
    Ok(())
}

impl LeafEntry {
    /// The entry anchoring `record`.
    pub fn for_record(
        record_type: &str,
        id: &str,
        version: u64,
        record: &Value,
    ) -> Result<Self, EntryError> {
        check_fields(record_type, id, version)?;
        Ok(Self {
            record_type: record_type.to_owned(),
            id: id.to_owned(),
            version,
            record_sha256: record_sha256(record)?,
        })
    }

    /// The leaf data: the canonical JSON of the four members.
    pub fn to_leaf_data(&self) -> Vec<u8> {
        let mut members = Map::new();
        members.insert("id".into(), Value::String(self.id.clone()));
        members.insert(
            "record_sha256".into(),
            Value::String(STANDARD.encode(self.record_sha256)),
        );
        members.insert("type".into(), Value::String(self.record_type.clone()));
        members.insert("version".into(), Value::from(self.version));
        canonical_json(&Value::Object(members))
            .expect("strings and an integer below 2^53 always have a canonical form")
    }

    /// The leaf hash of [`LeafEntry::to_leaf_data`].
    pub fn leaf_hash(&self) -> Hash {
        leaf_hash(&self.to_leaf_data())
    }

    /// Reads leaf data back. It must be exactly the canonical form this crate writes.
    pub fn parse(leaf_data: &[u8]) -> Result<Self, EntryError> {
        let value: Value =
            serde_json::from_slice(leaf_data).map_err(|_| EntryError::Malformed("not JSON"))?;
        let Value::Object(members) = &value else {
            return Err(EntryError::Malformed("not a JSON object"));
        };
        if members.len() != 4 {
            return Err(EntryError::Malformed(
                "expected exactly id, record_sha256, type and version",
            ));
        }
        let text = |name: &'static str| {
            members
                .get(name)
                .and_then(Value::as_str)
                .ok_or(EntryError::Malformed(
                    "id, record_sha256 and type must be strings",
                ))
        };
        let digest = STANDARD
            .decode(text("record_sha256")?)
            .ok()
            .and_then(|bytes| <[u8; HASH_LEN]>::try_from(bytes).ok())
            .ok_or(EntryError::Malformed(
                "record_sha256 is not the base64 of 32 bytes",
            ))?;
        let version =
            members
                .get("version")
                .and_then(Value::as_u64)
                .ok_or(EntryError::Malformed(
                    "version must be a non-negative integer",
                ))?;
        let entry = Self {
            record_type: text("type")?.to_owned(),
            id: text("id")?.to_owned(),
            version,
            record_sha256: digest,
        };
        check_fields(&entry.record_type, &entry.id, entry.version)?;
        if entry.to_leaf_data() != leaf_data {
            return Err(EntryError::NotCanonical);
        }
        Ok(entry)
    }

    /// Checks that this entry anchors `record` as `record_type`/`id`/`version`, naming the
    /// first member that differs.
    pub fn check(
        &self,
        record_type: &str,
        id: &str,
        version: u64,
        record: &Value,
    ) -> Result<(), EntryError> {
        if self.record_type != record_type {
            return Err(EntryError::TypeMismatch {
                expected: record_type.to_owned(),
                found: self.record_type.clone(),
            });
        }
        if self.id != id {
            return Err(EntryError::IdMismatch {
                expected: id.to_owned(),
                found: self.id.clone(),
            });
        }
        if self.version != version {
            return Err(EntryError::VersionMismatch {
                expected: version,
                found: self.version,
            });
        }
        let computed = record_sha256(record)?;
        if computed != self.record_sha256 {
            return Err(EntryError::RecordDigestMismatch {
                computed: STANDARD.encode(computed),
                anchored: STANDARD.encode(self.record_sha256),
            });
        }
        Ok(())
    }
}

/// The leaf data anchoring `record` (see the module documentation for the exact bytes).
pub fn leaf_data(
    record_type: &str,
    id: &str,
    version: u64,
    record: &Value,
) -> Result<Vec<u8>, EntryError> {
    Ok(LeafEntry::for_record(record_type, id, version, record)?.to_leaf_data())
}

/// The inverse check: does `leaf_data` anchor `record` as `record_type`/`id`/`version`?
pub fn check_leaf_data(
    leaf_data: &[u8],
    record_type: &str,
    id: &str,
    version: u64,
    record: &Value,
) -> Result<(), EntryError> {
    LeafEntry::parse(leaf_data)?.check(record_type, id, version, record)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn record() -> Value {
        json!({"name": "换热器 A", "wall_mm": 2.5, "tags": ["ti", "gr2"], "in_service": true})
    }

    #[test]
    fn leaf_data_has_the_documented_bytes() {
        let record = record();
        let data = leaf_data(
            "equipment",
            "0190a1b2-0000-7000-8000-000000000001",
            3,
            &record,
        )
        .unwrap();
        let digest = STANDARD.encode(sha256(
            r#"{"in_service":true,"name":"换热器 A","tags":["ti","gr2"],"wall_mm":2.5}"#.as_bytes(),
        ));
        let expected = format!(
            r#"{{"id":"0190a1b2-0000-7000-8000-000000000001","record_sha256":"{digest}","type":"equipment","version":3}}"#
        );
        assert_eq!(String::from_utf8(data.clone()).unwrap(), expected);
        assert!(
            !expected.contains("换热器"),
            "the leaf must not reveal content"
        );
        check_leaf_data(
            &data,
            "equipment",
            "0190a1b2-0000-7000-8000-000000000001",
            3,
            &record,
        )
        .unwrap();
    }

    #[test]
    fn key_order_and_spacing_of_the_record_do_not_matter() {
        let a: Value = serde_json::from_str(r#"{"b": 1.50, "a": [1, 2]}"#).unwrap();
        let b: Value = serde_json::from_str(r#"{"a":[1,2],"b":1.5}"#).unwrap();
        assert_eq!(record_sha256(&a), record_sha256(&b));
    }

    #[test]
    fn the_check_names_what_differs() {
        let record = record();
        let data = leaf_data("equipment", "e1", 3, &record).unwrap();
        assert!(matches!(
            check_leaf_data(&data, "case", "e1", 3, &record),
            Err(EntryError::TypeMismatch { .. })
        ));
        assert!(matches!(
            check_leaf_data(&data, "equipment", "e2", 3, &record),
            Err(EntryError::IdMismatch { .. })
        ));
        assert_eq!(
            check_leaf_data(&data, "equipment", "e1", 4, &record),
            Err(EntryError::VersionMismatch {
                expected: 4,
                found: 3
            })
        );
        let mut changed = record.clone();
        changed["wall_mm"] = json!(2.4);
        assert!(matches!(
            check_leaf_data(&data, "equipment", "e1", 3, &changed),
            Err(EntryError::RecordDigestMismatch { .. })
        ));
    }

    #[test]
    fn non_canonical_or_foreign_leaves_are_refused() {
        let data = leaf_data("equipment", "e1", 3, &record()).unwrap();
        let spaced = String::from_utf8(data).unwrap().replace(',', ", ");
        assert_eq!(
            LeafEntry::parse(spaced.as_bytes()),
            Err(EntryError::NotCanonical)
        );
        assert!(matches!(
            LeafEntry::parse(b"[]"),
            Err(EntryError::Malformed(_))
        ));
        assert!(matches!(
            LeafEntry::parse(b"\xff"),
            Err(EntryError::Malformed(_))
        ));
        assert!(matches!(
            LeafEntry::parse(br#"{"id":"e","record_sha256":"AAAA","type":"t","version":1}"#),
            Err(EntryError::Malformed(_))
        ));
    }

    #[test]
    fn invalid_inputs_are_refused() {
        assert_eq!(
            leaf_data("", "e1", 1, &record()),
            Err(EntryError::EmptyField("type"))
        );
        assert_eq!(
            leaf_data("t", "e1", MAX_VERSION + 1, &record()),
            Err(EntryError::VersionTooLarge(MAX_VERSION + 1))
        );
        assert!(matches!(
            leaf_data("t", "e1", 1, &json!({"n": 9007199254740993u64})),
            Err(EntryError::Record(JcsError::InexactInteger(_)))
        ));
    }
}
