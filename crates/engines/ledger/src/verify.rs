//! Proof verification, step by step as RFC 9162 §2.1.3.2 and §2.1.4.2 write it.
//!
//! The variable names (`fn_`, `sn`, `r`, `fr`, `sr`) and the step comments follow the RFC so
//! the code can be read against it. A proof only binds the tree *shape* it was made for; the
//! signed checkpoint is what binds the size and root, so callers must take both from a
//! verified checkpoint.

use crate::hash::{Hash, empty_root, node_hash};

/// Why an inclusion proof (audit path) was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InclusionError {
    /// Step 1: the leaf index is not below the tree size.
    #[error("leaf index {index} is not below the tree size {size}")]
    IndexOutOfRange {
        /// The claimed leaf index.
        index: u64,
        /// The tree size.
        size: u64,
    },
    /// Step 4a: the proof has more hashes than the path from this leaf to the root.
    #[error("the inclusion proof has more hashes than a tree of this size needs")]
    ProofTooLong,
    /// Step 5: the proof ended before reaching the root (`sn` is not 0).
    #[error("the inclusion proof has fewer hashes than a tree of this size needs")]
    ProofTooShort,
    /// Step 5: the recomputed root differs from the expected root.
    #[error("the inclusion proof leads to root {computed}, not to the expected root {expected}")]
    RootMismatch {
        /// What the proof leads to.
        computed: Hash,
        /// The root it should lead to.
        expected: Hash,
    },
}

/// Why a consistency proof was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConsistencyError {
    /// The "old" tree is larger than the "new" one.
    #[error("tree size {old} is larger than tree size {new}")]
    SizesOutOfOrder {
        /// The earlier size.
        old: u64,
        /// The later size.
        new: u64,
    },
    /// Equal sizes with different roots: two different trees of one size (a split view).
    #[error("two different roots for the same tree size {size}")]
    DifferentRootsForSameSize {
        /// The shared size.
        size: u64,
    },
    /// The old tree is empty but its root is not `SHA-256("")`.
    #[error("the root given for the empty tree is not the empty-tree hash")]
    EmptyTreeRootMismatch,
    /// Sizes equal or old size 0: nothing to prove, yet the proof has hashes.
    #[error("the proof should be empty for these sizes")]
    UnexpectedProof,
    /// Step 1: the proof is empty although `0 < old < new`.
    #[error("the consistency proof is empty")]
    EmptyProof,
    /// Step 6a: more hashes than the two trees need.
    #[error("the consistency proof has more hashes than these sizes need")]
    ProofTooLong,
    /// Step 7: fewer hashes than the two trees need (`sn` is not 0).
    #[error("the consistency proof has fewer hashes than these sizes need")]
    ProofTooShort,
    /// Step 7: the proof does not lead to the old root.
    #[error("the consistency proof leads to old root {computed}, not to {expected}")]
    OldRootMismatch {
        /// What the proof leads to.
        computed: Hash,
        /// The old root given.
        expected: Hash,
    },
    /// Step 7: the proof does not lead to the new root.
    #[error("the consistency proof leads to new root {computed}, not to {expected}")]
    NewRootMismatch {
        /// What the proof leads to.
        computed: Hash,
        /// The new root given.
        expected: Hash,
    },
}

const fn lsb(x: u64) -> bool {
    x & 1 == 1
}

/// Runs RFC 9162 §2.1.3.2 steps 1–4 and the `sn == 0` part of step 5, returning `r`, the root
/// the proof leads to.
pub fn root_from_inclusion_proof(
    leaf_hash: &Hash,
    index: u64,
    size: u64,
    proof: &[Hash],
) -> Result<Hash, InclusionError> {
    // 1. Compare leaf_index against tree_size. If leaf_index >= tree_size, fail.
    if index >= size {
        return Err(InclusionError::IndexOutOfRange { index, size });
    }
    // 2. Set fn to leaf_index and sn to tree_size - 1.
    let mut fn_ = index;
    let mut sn = size - 1;
    // 3. Set r to hash.
    let mut r = *leaf_hash;
    // 4. For each value p in the inclusion_path array:
    for p in proof {
        // a. If sn is 0, then stop the iteration and fail the proof verification.
        if sn == 0 {
            return Err(InclusionError::ProofTooLong);
        }
        // b. If LSB(fn) is set, or if fn is equal to sn, then:
        if lsb(fn_) || fn_ == sn {
            // i. Set r to HASH(0x01 || p || r).
            r = node_hash(p, &r);
            // ii. If LSB(fn) is not set, then right-shift both fn and sn equally until either
            //     LSB(fn) is set or fn is 0.
            while !(lsb(fn_) || fn_ == 0) {
                fn_ >>= 1;
                sn >>= 1;
            }
        } else {
            // Otherwise: i. Set r to HASH(0x01 || r || p).
            r = node_hash(&r, p);
        }
        // c. Finally, right-shift both fn and sn one time.
        fn_ >>= 1;
        sn >>= 1;
    }
    // 5. Compare sn to 0.
    if sn != 0 {
        return Err(InclusionError::ProofTooShort);
    }
    Ok(r)
}

/// Verifies that `leaf_hash` is the leaf at `index` of the tree of `size` leaves whose root
/// is `root` (RFC 9162 §2.1.3.2).
pub fn verify_inclusion(
    leaf_hash: &Hash,
    index: u64,
    size: u64,
    proof: &[Hash],
    root: &Hash,
) -> Result<(), InclusionError> {
    let computed = root_from_inclusion_proof(leaf_hash, index, size, proof)?;
    // 5. … Compare r against the root_hash.
    if computed != *root {
        return Err(InclusionError::RootMismatch {
            computed,
            expected: *root,
        });
    }
    Ok(())
}

/// Verifies that the tree of `new_size` leaves with root `new_root` extends the tree of
/// `old_size` leaves with root `old_root` (RFC 9162 §2.1.4.2).
///
/// The RFC algorithm covers `0 < old_size < new_size`. The two cases with nothing to prove
/// are settled as the RFC's definitions imply, with an empty proof: equal sizes must have
/// equal roots, and the empty tree (whose root must be `SHA-256("")`) precedes every tree.
pub fn verify_consistency(
    old_size: u64,
    new_size: u64,
    old_root: &Hash,
    new_root: &Hash,
    proof: &[Hash],
) -> Result<(), ConsistencyError> {
    if old_size > new_size {
        return Err(ConsistencyError::SizesOutOfOrder {
            old: old_size,
            new: new_size,
        });
    }
    if old_size == new_size {
        if !proof.is_empty() {
            return Err(ConsistencyError::UnexpectedProof);
        }
        if old_root != new_root {
            return Err(ConsistencyError::DifferentRootsForSameSize { size: old_size });
        }
        return Ok(());
    }
    if old_size == 0 {
        if !proof.is_empty() {
            return Err(ConsistencyError::UnexpectedProof);
        }
        if *old_root != empty_root() {
            return Err(ConsistencyError::EmptyTreeRootMismatch);
        }
        return Ok(());
    }

    let (first, second) = (old_size, new_size);
    // 1. If consistency_path is an empty array, stop and fail the proof verification.
    if proof.is_empty() {
        return Err(ConsistencyError::EmptyProof);
    }
    // 2. If first is an exact power of 2, then prepend first_hash to the consistency_path.
    let prepended = first.is_power_of_two().then_some(old_root);
    let mut path = prepended.into_iter().chain(proof);
    // 3. Set fn to first - 1 and sn to second - 1.
    let mut fn_ = first - 1;
    let mut sn = second - 1;
    // 4. If LSB(fn) is set, then right-shift both fn and sn equally until LSB(fn) is not set.
    while lsb(fn_) {
        fn_ >>= 1;
        sn >>= 1;
    }
    // 5. Set both fr and sr to the first value in the consistency_path array.
    let Some(&first_value) = path.next() else {
        return Err(ConsistencyError::EmptyProof);
    };
    let mut fr = first_value;
    let mut sr = first_value;
    // 6. For each subsequent value c in the consistency_path array:
    for c in path {
        // a. If sn is 0, then stop the iteration and fail the proof verification.
        if sn == 0 {
            return Err(ConsistencyError::ProofTooLong);
        }
        // b. If LSB(fn) is set, or if fn is equal to sn, then:
        if lsb(fn_) || fn_ == sn {
            // i. Set fr to HASH(0x01 || c || fr). ii. Set sr to HASH(0x01 || c || sr).
            fr = node_hash(c, &fr);
            sr = node_hash(c, &sr);
            // iii. If LSB(fn) is not set, then right-shift both fn and sn equally until
            //      either LSB(fn) is set or fn is 0.
            while !(lsb(fn_) || fn_ == 0) {
                fn_ >>= 1;
                sn >>= 1;
            }
        } else {
            // Otherwise: i. Set sr to HASH(0x01 || sr || c).
            sr = node_hash(&sr, c);
        }
        // c. Finally, right-shift both fn and sn one time.
        fn_ >>= 1;
        sn >>= 1;
    }
    // 7. Verify that fr equals first_hash, sr equals second_hash, and sn is 0.
    if sn != 0 {
        return Err(ConsistencyError::ProofTooShort);
    }
    if fr != *old_root {
        return Err(ConsistencyError::OldRootMismatch {
            computed: fr,
            expected: *old_root,
        });
    }
    if sr != *new_root {
        return Err(ConsistencyError::NewRootMismatch {
            computed: sr,
            expected: *new_root,
        });
    }
    Ok(())
}
