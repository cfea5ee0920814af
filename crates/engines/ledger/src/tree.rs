//! Tree arithmetic over stored perfect subtrees, independent of where they are stored.
//!
//! A database keeps the hash of every *perfect* subtree: node `(level, index)` covers the
//! leaves `[index·2^level, (index+1)·2^level)`; level 0 holds the leaf hashes. Perfect
//! subtrees never change once complete, so the table is insert-only, and appending leaf `i`
//! completes exactly `1 + trailing_ones(i)` of them (at most `log2 n + 1`).
//!
//! Every subtree that RFC 9162 §2.1 names while building a root, an audit path (§2.1.3.1,
//! `PATH`) or a consistency proof (§2.1.4.1, `PROOF`/`SUBPROOF`) starts at a multiple of the
//! smallest power of two not below its size. Such a range `[start, end)` splits into at most
//! `log2 n` perfect subtrees (one per set bit of `end − start`, largest first), and its
//! Merkle Tree Hash is the right fold of their hashes. That is the whole trick: a proof is
//! built from `O(log n)` stored nodes, found in two phases so a caller can fetch them in one
//! query:
//!
//! 1. `needed_nodes_for_*` lists the [`NodeId`]s (sorted, without duplicates);
//! 2. `*_from_nodes` takes anything that answers [`NodeSource::node`] (a `HashMap` filled from
//!    the query, a [`MemoryTree`](crate::MemoryTree), a closure in [`FnSource`]) and returns
//!    the root or the proof, exactly as the RFC's recursive definitions would.

use std::collections::{BTreeMap, HashMap};
use std::hash::BuildHasher;

use crate::hash::{Hash, empty_root, node_hash};

/// The largest tree this crate handles: 2^62 leaves, so that every node's
/// [`NodeId::storage_key`] fits in a signed 64-bit integer (SQL `BIGINT`).
pub const MAX_TREE_SIZE: u64 = 1 << 62;

/// A perfect subtree: `level` 0 is a leaf, and node `(level, index)` covers the leaves
/// `[index·2^level, (index+1)·2^level)`. Ordered by level, then index.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct NodeId {
    /// Height above the leaves; the subtree has `2^level` leaves.
    pub level: u8,
    /// Position among the subtrees of this level, counted from the left.
    pub index: u64,
}

impl NodeId {
    /// The node at `(level, index)`.
    pub const fn new(level: u8, index: u64) -> Self {
        Self { level, index }
    }

    /// The leaf at `index` (level 0).
    pub const fn leaf(index: u64) -> Self {
        Self { level: 0, index }
    }

    /// One integer per node, for a single-column key: the node's position in an in-order
    /// walk of the infinite tree, `index·2^(level+1) + 2^level − 1` (leaves are the even
    /// numbers, the level is the count of trailing one bits). Within [`MAX_TREE_SIZE`] it is
    /// below 2^63, so it fits a signed `BIGINT`, and it lets one `WHERE key IN (…)` fetch
    /// everything a proof needs. `None` for a node beyond [`MAX_TREE_SIZE`] leaves (never
    /// produced by this crate).
    pub const fn storage_key(&self) -> Option<i64> {
        if self.level > 62 || self.index >= (MAX_TREE_SIZE >> self.level) {
            return None;
        }
        Some(((self.index << (self.level + 1)) + (1 << self.level) - 1) as i64)
    }

    /// The inverse of [`NodeId::storage_key`]; `None` for negative keys.
    pub const fn from_storage_key(key: i64) -> Option<Self> {
        if key < 0 {
            return None;
        }
        let key = key as u64;
        let level = key.trailing_ones();
        Some(Self {
            level: level as u8,
            index: key >> (level + 1),
        })
    }
}

/// A node hash together with its position, as written to storage.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoredNode {
    /// Which perfect subtree.
    pub id: NodeId,
    /// Its Merkle Tree Hash.
    pub hash: Hash,
}

/// Read access to stored perfect-subtree hashes.
pub trait NodeSource {
    /// The hash of the perfect subtree `id`, if it is known.
    fn node(&self, id: NodeId) -> Option<Hash>;
}

impl<S: BuildHasher> NodeSource for HashMap<NodeId, Hash, S> {
    fn node(&self, id: NodeId) -> Option<Hash> {
        self.get(&id).copied()
    }
}

impl NodeSource for BTreeMap<NodeId, Hash> {
    fn node(&self, id: NodeId) -> Option<Hash> {
        self.get(&id).copied()
    }
}

impl<T: NodeSource + ?Sized> NodeSource for &T {
    fn node(&self, id: NodeId) -> Option<Hash> {
        (**self).node(id)
    }
}

/// Adapts a closure `Fn(NodeId) -> Option<Hash>` to [`NodeSource`].
pub struct FnSource<F>(pub F);

impl<F: Fn(NodeId) -> Option<Hash>> NodeSource for FnSource<F> {
    fn node(&self, id: NodeId) -> Option<Hash> {
        (self.0)(id)
    }
}

/// Looks in `first`, then in `second`: new nodes of a batch over the stored ones.
struct Overlay<'a, A: NodeSource, B: NodeSource> {
    first: &'a A,
    second: &'a B,
}

impl<A: NodeSource, B: NodeSource> NodeSource for Overlay<'_, A, B> {
    fn node(&self, id: NodeId) -> Option<Hash> {
        self.first.node(id).or_else(|| self.second.node(id))
    }
}

/// Why a tree computation could not be done.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TreeError {
    /// The leaf index is not inside the tree.
    #[error("leaf index {index} is outside a tree of size {size}")]
    IndexOutOfRange {
        /// The requested leaf.
        index: u64,
        /// The tree size.
        size: u64,
    },
    /// A consistency proof was asked from a larger tree to a smaller one.
    #[error("tree size {old} is larger than tree size {new}")]
    SizesOutOfOrder {
        /// The earlier size.
        old: u64,
        /// The later size.
        new: u64,
    },
    /// The size is beyond [`MAX_TREE_SIZE`].
    #[error("tree size {0} exceeds the supported maximum of 2^62 leaves")]
    TooLarge(u64),
    /// A tree size beyond the leaves an in-memory tree holds.
    #[error("tree size {size} is beyond the {available} leaves held")]
    SizeBeyondTree {
        /// The requested size.
        size: u64,
        /// The leaves available.
        available: u64,
    },
    /// The node source did not have a node the computation needs.
    #[error("node (level {}, index {}) was not supplied", .0.level, .0.index)]
    MissingNode(NodeId),
}

fn check_size(size: u64) -> Result<(), TreeError> {
    if size > MAX_TREE_SIZE {
        Err(TreeError::TooLarge(size))
    } else {
        Ok(())
    }
}

/// The largest power of two strictly below `n` (the RFC's `k`); `n` must be at least 2.
const fn split_point(n: u64) -> u64 {
    1 << (63 - (n - 1).leading_zeros())
}

/// A leaf range `[start, end)` of the shape RFC 9162's recursion produces.
type Subtree = (u64, u64);

/// The perfect subtrees that make up `[start, end)`, largest (leftmost) first.
fn push_subtree_nodes((start, end): Subtree, out: &mut Vec<NodeId>) {
    let size = end - start;
    let mut position = start;
    for level in (0..64u8).rev() {
        let width = 1u64 << level;
        if size & width != 0 {
            out.push(NodeId::new(level, position >> level));
            position += width;
        }
    }
}

/// `MTH(D[start:end])` from the perfect subtrees: the right fold of their hashes.
fn subtree_hash(range: Subtree, source: &impl NodeSource) -> Result<Hash, TreeError> {
    if range.0 == range.1 {
        return Ok(empty_root());
    }
    let mut ids = Vec::with_capacity(8);
    push_subtree_nodes(range, &mut ids);
    let mut hashes = ids.into_iter().rev().map(|id| fetch(source, id));
    // The range is not empty, so there is at least one node.
    let mut acc = hashes.next().unwrap_or_else(|| Ok(empty_root()))?;
    for left in hashes {
        acc = node_hash(&left?, &acc);
    }
    Ok(acc)
}

fn fetch(source: &impl NodeSource, id: NodeId) -> Result<Hash, TreeError> {
    source.node(id).ok_or(TreeError::MissingNode(id))
}

/// The subtrees whose hashes form `PATH(index, D[size])`, in the RFC's order (the leaf's
/// sibling first, the root's child last).
fn inclusion_subtrees(index: u64, size: u64) -> Vec<Subtree> {
    let (mut lo, mut hi) = (0, size);
    let mut top_down = Vec::with_capacity(64);
    while hi - lo > 1 {
        let k = split_point(hi - lo);
        if index < lo + k {
            // PATH(m, D[n]) = PATH(m, D[0:k]) : MTH(D[k:n])
            top_down.push((lo + k, hi));
            hi = lo + k;
        } else {
            // PATH(m, D[n]) = PATH(m - k, D[k:n]) : MTH(D[0:k])
            top_down.push((lo, lo + k));
            lo += k;
        }
    }
    top_down.reverse();
    top_down
}

/// The subtrees whose hashes form `PROOF(old, D[new])` for `0 < old < new`, in the RFC's
/// order.
fn consistency_subtrees(old: u64, new: u64) -> Vec<Subtree> {
    let (mut lo, mut hi) = (0, new);
    // `b` of SUBPROOF: true while the old tree is the left edge of the current subtree.
    let mut whole_old_tree = true;
    let mut top_down = Vec::with_capacity(64);
    loop {
        if old == hi {
            // SUBPROOF(m, D[m], true) = {}; SUBPROOF(m, D[m], false) = {MTH(D[m])}
            if !whole_old_tree {
                top_down.push((lo, hi));
            }
            break;
        }
        let k = split_point(hi - lo);
        if old <= lo + k {
            // SUBPROOF(m, D[n], b) = SUBPROOF(m, D[0:k], b) : MTH(D[k:n])
            top_down.push((lo + k, hi));
            hi = lo + k;
        } else {
            // SUBPROOF(m, D[n], b) = SUBPROOF(m - k, D[k:n], false) : MTH(D[0:k])
            top_down.push((lo, lo + k));
            lo += k;
            whole_old_tree = false;
        }
    }
    top_down.reverse();
    top_down
}

fn nodes_of(subtrees: &[Subtree]) -> Vec<NodeId> {
    let mut ids = Vec::with_capacity(subtrees.len() * 2);
    for &range in subtrees {
        push_subtree_nodes(range, &mut ids);
    }
    ids.sort_unstable();
    ids.dedup();
    ids
}

fn check_inclusion(index: u64, size: u64) -> Result<(), TreeError> {
    check_size(size)?;
    if index >= size {
        return Err(TreeError::IndexOutOfRange { index, size });
    }
    Ok(())
}

/// Checks the sizes and returns the proof's subtrees (none when `old` is 0 or equal to
/// `new`: nothing needs proving then).
fn consistency_plan(old: u64, new: u64) -> Result<Vec<Subtree>, TreeError> {
    check_size(new)?;
    if old > new {
        return Err(TreeError::SizesOutOfOrder { old, new });
    }
    if old == 0 || old == new {
        return Ok(Vec::new());
    }
    Ok(consistency_subtrees(old, new))
}

/// The nodes [`root_from_nodes`] reads for a tree of `size` leaves: one per set bit of
/// `size`. They are also the "frontier" a batch append starts from.
pub fn needed_nodes_for_root(size: u64) -> Result<Vec<NodeId>, TreeError> {
    check_size(size)?;
    let mut ids = Vec::with_capacity(size.count_ones() as usize);
    push_subtree_nodes((0, size), &mut ids);
    ids.sort_unstable();
    Ok(ids)
}

/// `MTH(D[size])` (RFC 9162 §2.1.1) from the nodes named by [`needed_nodes_for_root`].
pub fn root_from_nodes(size: u64, source: &impl NodeSource) -> Result<Hash, TreeError> {
    check_size(size)?;
    subtree_hash((0, size), source)
}

/// The nodes [`inclusion_proof_from_nodes`] reads (at most about `2·log2 size`).
pub fn needed_nodes_for_inclusion(index: u64, size: u64) -> Result<Vec<NodeId>, TreeError> {
    check_inclusion(index, size)?;
    Ok(nodes_of(&inclusion_subtrees(index, size)))
}

/// The audit path `PATH(index, D[size])` of RFC 9162 §2.1.3.1, from the nodes named by
/// [`needed_nodes_for_inclusion`].
pub fn inclusion_proof_from_nodes(
    index: u64,
    size: u64,
    source: &impl NodeSource,
) -> Result<Vec<Hash>, TreeError> {
    check_inclusion(index, size)?;
    inclusion_subtrees(index, size)
        .into_iter()
        .map(|range| subtree_hash(range, source))
        .collect()
}

/// The nodes [`consistency_proof_from_nodes`] reads; empty when `old` is 0 or `old == new`.
pub fn needed_nodes_for_consistency(old: u64, new: u64) -> Result<Vec<NodeId>, TreeError> {
    Ok(nodes_of(&consistency_plan(old, new)?))
}

/// The consistency proof `PROOF(old, D[new])` of RFC 9162 §2.1.4.1, from the nodes named by
/// [`needed_nodes_for_consistency`].
///
/// The RFC defines the proof for `0 < old < new`; for `old == new` and for `old == 0` there is
/// nothing to prove and the proof is empty (what [`verify_consistency`](crate::verify_consistency)
/// expects).
pub fn consistency_proof_from_nodes(
    old: u64,
    new: u64,
    source: &impl NodeSource,
) -> Result<Vec<Hash>, TreeError> {
    consistency_plan(old, new)?
        .into_iter()
        .map(|range| subtree_hash(range, source))
        .collect()
}

/// The nodes that appending leaf `leaf_index` completes: `(0, leaf_index)` and then one per
/// trailing one bit of `leaf_index`, bottom-up.
pub fn nodes_created_by_append(leaf_index: u64) -> Result<Vec<NodeId>, TreeError> {
    check_size(leaf_index.saturating_add(1))?;
    let top = leaf_index.trailing_ones() as u8;
    Ok((0..=top)
        .map(|level| NodeId::new(level, leaf_index >> level))
        .collect())
}

/// The stored nodes [`nodes_to_store_on_append`] reads: the left siblings of the nodes the
/// append completes (at most `log2 n` of them, all part of the tree of size `leaf_index`).
pub fn needed_nodes_for_append(leaf_index: u64) -> Result<Vec<NodeId>, TreeError> {
    check_size(leaf_index.saturating_add(1))?;
    let top = leaf_index.trailing_ones() as u8;
    let mut ids: Vec<NodeId> = (0..top)
        .map(|level| NodeId::new(level, (leaf_index >> level) - 1))
        .collect();
    ids.sort_unstable();
    Ok(ids)
}

/// The nodes to insert when the leaf with hash `leaf_hash` is appended at `leaf_index`
/// (which must equal the current tree size): the leaf itself, then every perfect subtree it
/// completes, bottom-up. Reads only the nodes of [`needed_nodes_for_append`].
pub fn nodes_to_store_on_append(
    leaf_index: u64,
    leaf_hash: Hash,
    source: &impl NodeSource,
) -> Result<Vec<StoredNode>, TreeError> {
    check_size(leaf_index.saturating_add(1))?;
    let top = leaf_index.trailing_ones() as u8;
    let mut out = Vec::with_capacity(usize::from(top) + 1);
    let mut hash = leaf_hash;
    out.push(StoredNode {
        id: NodeId::leaf(leaf_index),
        hash,
    });
    for level in 1..=top {
        let left = fetch(
            source,
            NodeId::new(level - 1, (leaf_index >> (level - 1)) - 1),
        )?;
        hash = node_hash(&left, &hash);
        out.push(StoredNode {
            id: NodeId::new(level, leaf_index >> level),
            hash,
        });
    }
    Ok(out)
}

/// The result of appending several leaves at once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppendBatch {
    /// Every node to insert, in append order.
    pub nodes: Vec<StoredNode>,
    /// The tree size after the batch.
    pub size: u64,
    /// The root of the tree after the batch, ready for the next checkpoint.
    pub root: Hash,
}

/// Appends `leaf_hashes` starting at `first_index` (the current tree size). Reads only the
/// nodes of [`needed_nodes_for_root`]`(first_index)`, whatever the batch length, and returns
/// the new nodes and the new root: one query, `O(batch + log n)` hashing.
pub fn nodes_to_store_on_append_batch(
    first_index: u64,
    leaf_hashes: &[Hash],
    source: &impl NodeSource,
) -> Result<AppendBatch, TreeError> {
    let size = first_index.saturating_add(leaf_hashes.len() as u64);
    check_size(size)?;
    let mut created: HashMap<NodeId, Hash> = HashMap::new();
    let mut nodes = Vec::new();
    for (offset, &leaf) in leaf_hashes.iter().enumerate() {
        let index = first_index + offset as u64;
        let view = Overlay {
            first: &created,
            second: source,
        };
        let new_nodes = nodes_to_store_on_append(index, leaf, &view)?;
        created.extend(new_nodes.iter().map(|n| (n.id, n.hash)));
        nodes.extend(new_nodes);
    }
    let view = Overlay {
        first: &created,
        second: source,
    };
    let root = root_from_nodes(size, &view)?;
    Ok(AppendBatch { nodes, size, root })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_point_is_the_largest_power_of_two_below() {
        for (n, k) in [
            (2, 1),
            (3, 2),
            (4, 2),
            (5, 4),
            (8, 4),
            (9, 8),
            (1 << 40, 1 << 39),
        ] {
            assert_eq!(split_point(n), k, "n = {n}");
        }
    }

    #[test]
    fn storage_keys_round_trip_and_are_distinct() {
        let mut seen = std::collections::HashSet::new();
        for level in 0..8u8 {
            for index in 0..64u64 {
                let id = NodeId::new(level, index);
                let key = id.storage_key().unwrap();
                assert!(seen.insert(key));
                assert_eq!(NodeId::from_storage_key(key), Some(id));
            }
        }
        let top = NodeId::new(62, 0);
        assert_eq!(
            NodeId::from_storage_key(top.storage_key().unwrap()),
            Some(top)
        );
        let last_leaf = NodeId::leaf(MAX_TREE_SIZE - 1);
        let key = last_leaf.storage_key().unwrap();
        assert!(key > 0);
        assert_eq!(NodeId::from_storage_key(key), Some(last_leaf));
        assert_eq!(NodeId::leaf(MAX_TREE_SIZE).storage_key(), None);
        assert_eq!(NodeId::new(63, 0).storage_key(), None);
        assert_eq!(NodeId::from_storage_key(-1), None);
    }

    #[test]
    fn append_touches_at_most_log_n_nodes() {
        assert_eq!(nodes_created_by_append(0).unwrap(), vec![NodeId::leaf(0)]);
        assert_eq!(
            nodes_created_by_append(7).unwrap(),
            vec![
                NodeId::leaf(7),
                NodeId::new(1, 3),
                NodeId::new(2, 1),
                NodeId::new(3, 0)
            ]
        );
        assert_eq!(
            needed_nodes_for_append(7).unwrap(),
            vec![NodeId::leaf(6), NodeId::new(1, 2), NodeId::new(2, 0)]
        );
        assert!(needed_nodes_for_append(8).unwrap().is_empty());
    }

    #[test]
    fn needed_nodes_are_sorted_unique_and_logarithmic() {
        let size = (1u64 << 40) + 12345;
        for ids in [
            needed_nodes_for_root(size).unwrap(),
            needed_nodes_for_inclusion(size - 1, size).unwrap(),
            needed_nodes_for_inclusion(3, size).unwrap(),
            needed_nodes_for_consistency(size / 3, size).unwrap(),
        ] {
            assert!(ids.windows(2).all(|w| w[0] < w[1]));
            assert!(ids.len() <= 2 * 41, "{} nodes", ids.len());
        }
    }

    #[test]
    fn invalid_requests_are_refused() {
        assert_eq!(
            needed_nodes_for_inclusion(5, 5),
            Err(TreeError::IndexOutOfRange { index: 5, size: 5 })
        );
        assert_eq!(
            needed_nodes_for_consistency(6, 5),
            Err(TreeError::SizesOutOfOrder { old: 6, new: 5 })
        );
        assert_eq!(
            needed_nodes_for_root(MAX_TREE_SIZE + 1),
            Err(TreeError::TooLarge(MAX_TREE_SIZE + 1))
        );
        let empty: HashMap<NodeId, Hash> = HashMap::new();
        assert_eq!(
            root_from_nodes(3, &empty),
            Err(TreeError::MissingNode(NodeId::leaf(2)))
        );
        assert_eq!(root_from_nodes(0, &empty), Ok(empty_root()));
        assert_eq!(consistency_proof_from_nodes(0, 9, &empty), Ok(vec![]));
        assert_eq!(consistency_proof_from_nodes(9, 9, &empty), Ok(vec![]));
    }
}
