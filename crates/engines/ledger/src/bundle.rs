//! Offline verification of one record's inclusion, for `ticorr ledger verify-proof`.
//!
//! A bundle carries everything a third party needs besides the keys it trusts: the record
//! and its type, id and version, the leaf index, the audit path and the signed checkpoint.
//! [`verify_bundle`] checks, in order, and stops at the first failure, naming it:
//!
//! 1. the checkpoint note: syntax, every trusted signature on it, the log's signature, the
//!    checkpoint text, the origin, the witness quorum ([`open_checkpoint`]);
//! 2. the record: canonical JSON and the leaf data built from it ([`LeafEntry`]);
//! 3. the audit path from that leaf to the checkpoint's root (RFC 9162 §2.1.3.2).

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::checkpoint::{Checkpoint, CheckpointError, TrustPolicy, open_checkpoint};
use crate::entry::{EntryError, LeafEntry};
use crate::hash::Hash;
use crate::note::VerifiedSignature;
use crate::verify::{InclusionError, verify_inclusion};

/// What a third party receives to check that a record is in the log (JSON via serde;
/// hashes as standard base64).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InclusionBundle {
    /// The record type.
    pub record_type: String,
    /// The record id.
    pub record_id: String,
    /// The record version.
    pub version: u64,
    /// The record, as JSON.
    pub record: Value,
    /// The index of the record's leaf.
    pub leaf_index: u64,
    /// The audit path, leaf side first (RFC 9162 §2.1.3.1).
    pub inclusion_proof: Vec<Hash>,
    /// The signed checkpoint (note text, blank line, signature lines).
    pub checkpoint: String,
}

/// What a successful verification established.
#[derive(Debug, Clone)]
pub struct VerifiedBundle {
    /// The verified tree head the record is included in.
    pub checkpoint: Checkpoint,
    /// The log's signature on it.
    pub log_signature: VerifiedSignature,
    /// The witnesses' cosignatures on it.
    pub cosignatures: Vec<VerifiedSignature>,
    /// The record's leaf hash.
    pub leaf_hash: Hash,
}

/// The step that failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BundleError {
    /// The checkpoint is not trustworthy.
    #[error("checkpoint: {0}")]
    Checkpoint(#[from] CheckpointError),
    /// The record has no leaf data (it cannot be canonicalized, or type, id or version are
    /// invalid).
    #[error("record: {0}")]
    Record(#[from] EntryError),
    /// The record's leaf is not at that index of the checkpointed tree.
    #[error("inclusion proof: {0}")]
    Inclusion(#[from] InclusionError),
}

/// Verifies `bundle` under `policy`; see the module documentation for the order of checks.
pub fn verify_bundle(
    bundle: &InclusionBundle,
    policy: &TrustPolicy,
) -> Result<VerifiedBundle, BundleError> {
    let opened = open_checkpoint(&bundle.checkpoint, policy)?;
    let entry = LeafEntry::for_record(
        &bundle.record_type,
        &bundle.record_id,
        bundle.version,
        &bundle.record,
    )?;
    let leaf_hash = entry.leaf_hash();
    verify_inclusion(
        &leaf_hash,
        bundle.leaf_index,
        opened.checkpoint.size(),
        &bundle.inclusion_proof,
        opened.checkpoint.root(),
    )?;
    Ok(VerifiedBundle {
        checkpoint: opened.checkpoint,
        log_signature: opened.log_signature,
        cosignatures: opened.cosignatures,
        leaf_hash,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::{SignatureType, SignerKey};
    use crate::memory::MemoryTree;
    use crate::note::NoteError;
    use serde_json::json;

    struct Fixture {
        bundle: InclusionBundle,
        policy: TrustPolicy,
    }

    fn fixture() -> Fixture {
        let log = SignerKey::from_seed("ticorr.example/ledger", SignatureType::Ed25519, &[3; 32])
            .unwrap();
        let witness =
            SignerKey::from_seed("witness.example/w1", SignatureType::CosignatureV1, &[4; 32])
                .unwrap();
        let mut tree = MemoryTree::new();
        let mut wanted = None;
        for i in 0..11u64 {
            let record = json!({"serial": format!("HX-{i}"), "wall_mm": 2.0 + i as f64 / 10.0});
            let entry = LeafEntry::for_record("equipment", &format!("e{i}"), 1, &record).unwrap();
            let index = tree.append(&entry.to_leaf_data());
            if i == 6 {
                wanted = Some((record, index));
            }
        }
        let (record, index) = wanted.unwrap();
        let checkpoint =
            Checkpoint::new("ticorr.example/ledger", tree.size(), tree.root()).unwrap();
        let mut note = checkpoint.sign(&log).unwrap();
        note.cosign(&witness, 1_760_000_000).unwrap();
        Fixture {
            bundle: InclusionBundle {
                record_type: "equipment".into(),
                record_id: "e6".into(),
                version: 1,
                record,
                leaf_index: index,
                inclusion_proof: tree.inclusion_proof(index, tree.size()).unwrap(),
                checkpoint: note.to_string(),
            },
            policy: TrustPolicy::new(log.verifier_key())
                .with_witnesses(vec![witness.verifier_key()], 1),
        }
    }

    #[test]
    fn a_good_bundle_verifies_and_survives_json() {
        let Fixture { bundle, policy } = fixture();
        let verified = verify_bundle(&bundle, &policy).unwrap();
        assert_eq!(verified.checkpoint.size(), 11);
        assert_eq!(verified.cosignatures[0].timestamp, Some(1_760_000_000));
        let json = serde_json::to_string(&bundle).unwrap();
        let again: InclusionBundle = serde_json::from_str(&json).unwrap();
        assert_eq!(again, bundle);
        verify_bundle(&again, &policy).unwrap();
    }

    #[test]
    fn each_kind_of_tampering_is_named() {
        let Fixture { bundle, policy } = fixture();

        let mut changed = bundle.clone();
        changed.record["wall_mm"] = json!(9.9);
        assert!(matches!(
            verify_bundle(&changed, &policy),
            Err(BundleError::Inclusion(InclusionError::RootMismatch { .. }))
        ));

        let mut moved = bundle.clone();
        moved.leaf_index = 7;
        assert!(matches!(
            verify_bundle(&moved, &policy),
            Err(BundleError::Inclusion(InclusionError::RootMismatch { .. }))
        ));

        let mut beyond = bundle.clone();
        beyond.leaf_index = 11;
        assert_eq!(
            verify_bundle(&beyond, &policy).unwrap_err(),
            BundleError::Inclusion(InclusionError::IndexOutOfRange {
                index: 11,
                size: 11
            })
        );

        let mut short = bundle.clone();
        short.inclusion_proof.pop();
        assert_eq!(
            verify_bundle(&short, &policy).unwrap_err(),
            BundleError::Inclusion(InclusionError::ProofTooShort)
        );

        let mut resized = bundle.clone();
        resized.checkpoint = resized.checkpoint.replacen("\n11\n", "\n12\n", 1);
        assert!(matches!(
            verify_bundle(&resized, &policy),
            Err(BundleError::Checkpoint(CheckpointError::Note(
                NoteError::InvalidSignature { .. }
            )))
        ));

        let mut unwitnessed = bundle.clone();
        let cut = unwitnessed.checkpoint.find("— witness").unwrap();
        unwitnessed.checkpoint.truncate(cut);
        assert_eq!(
            verify_bundle(&unwitnessed, &policy).unwrap_err(),
            BundleError::Checkpoint(CheckpointError::NotEnoughCosignatures {
                required: 1,
                verified: 0
            })
        );

        let mut versioned = bundle;
        versioned.version = 2;
        assert!(matches!(
            verify_bundle(&versioned, &policy),
            Err(BundleError::Inclusion(InclusionError::RootMismatch { .. }))
        ));
    }
}
