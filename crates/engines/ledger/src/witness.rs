//! The witness's decision: may it cosign a new checkpoint?
//!
//! A witness remembers the last checkpoint it cosigned. It cosigns a new one only if the
//! log proves (RFC 9162 §2.1.4) that the new tree extends that one; the same size must come
//! with the same root. Pure logic: fetching and submitting are the caller's business.

use crate::hash::Hash;
use crate::verify::{ConsistencyError, verify_consistency};

/// Why a witness refuses to cosign.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("the log shrank from {cosigned} to {offered} entries (rollback)")]
    Rollback { cosigned: u64, offered: u64 },
    #[error("the log shows a different root for size {size} than the one cosigned (fork)")]
    Fork { size: u64 },
    #[error(
        "the log at {offered} entries does not extend the {cosigned} entries cosigned before: {error}"
    )]
    Inconsistent {
        cosigned: u64,
        offered: u64,
        error: ConsistencyError,
    },
}

/// Decides on a checkpoint of `size` and `root`, given what the witness last cosigned and
/// the log's consistency proof from that size. `Ok(true)` means the tree grew and the new
/// checkpoint may be cosigned; `Ok(false)` that it is the one already cosigned.
pub fn may_cosign(
    previous: Option<(u64, Hash)>,
    size: u64,
    root: &Hash,
    proof: &[Hash],
) -> Result<bool, Refusal> {
    let Some((old_size, old_root)) = previous else {
        // A witness's first checkpoint is trusted on first use.
        return Ok(true);
    };
    if size < old_size {
        return Err(Refusal::Rollback {
            cosigned: old_size,
            offered: size,
        });
    }
    if size == old_size {
        return if *root == old_root {
            Ok(false)
        } else {
            Err(Refusal::Fork { size })
        };
    }
    verify_consistency(old_size, size, &old_root, root, proof).map_err(|error| {
        Refusal::Inconsistent {
            cosigned: old_size,
            offered: size,
            error,
        }
    })?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::MemoryTree;

    fn tree(leaves: &[&str]) -> MemoryTree {
        let mut t = MemoryTree::new();
        for l in leaves {
            t.append(l.as_bytes());
        }
        t
    }

    #[test]
    fn an_honest_log_is_cosigned_a_rewritten_one_is_refused() {
        let honest = tree(&["a", "b", "c"]);
        let prev = Some((3, honest.root()));
        let grown = tree(&["a", "b", "c", "d", "e"]);
        let proof = grown.consistency_proof(3, 5).unwrap();
        assert_eq!(may_cosign(prev, 5, &grown.root(), &proof), Ok(true));
        assert_eq!(may_cosign(prev, 3, &honest.root(), &[]), Ok(false));

        let rewritten = tree(&["a", "B", "c", "d", "e"]);
        let proof = rewritten.consistency_proof(3, 5).unwrap();
        assert!(matches!(
            may_cosign(prev, 5, &rewritten.root(), &proof),
            Err(Refusal::Inconsistent { .. })
        ));
        assert_eq!(
            may_cosign(prev, 3, &tree(&["x", "b", "c"]).root(), &[]),
            Err(Refusal::Fork { size: 3 })
        );
        assert!(matches!(
            may_cosign(prev, 2, &tree(&["a", "b"]).root(), &[]),
            Err(Refusal::Rollback { .. })
        ));
    }
}
