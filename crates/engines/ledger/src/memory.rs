//! An in-memory tree built on the same storage-agnostic functions the database uses.
//!
//! It exists for tests and benchmarks: anything proved against a `MemoryTree` went through
//! exactly the code path the SQL-backed log takes, only with a `Vec` per level as storage.

use crate::hash::{Hash, leaf_hash};
use crate::tree::{
    NodeId, NodeSource, TreeError, consistency_proof_from_nodes, inclusion_proof_from_nodes,
    nodes_to_store_on_append, root_from_nodes,
};

/// An append-only Merkle tree holding every perfect subtree in memory.
#[derive(Debug, Clone, Default)]
pub struct MemoryTree {
    /// `levels[l][i]` is the hash of node `(l, i)`.
    levels: Vec<Vec<Hash>>,
}

impl MemoryTree {
    /// An empty tree.
    pub fn new() -> Self {
        Self::default()
    }

    /// The number of leaves.
    pub fn size(&self) -> u64 {
        self.levels.first().map_or(0, |leaves| leaves.len() as u64)
    }

    /// Hashes `leaf_data` as a leaf and appends it; returns its index.
    pub fn append(&mut self, leaf_data: &[u8]) -> u64 {
        self.append_leaf_hash(leaf_hash(leaf_data))
    }

    /// Appends an already computed leaf hash; returns its index.
    pub fn append_leaf_hash(&mut self, hash: Hash) -> u64 {
        let index = self.size();
        let nodes = nodes_to_store_on_append(index, hash, &*self)
            // Every left sibling is a completed perfect subtree, and this tree keeps them all;
            // a memory-backed tree cannot approach 2^62 leaves.
            .expect("a MemoryTree holds every node an append reads");
        for node in nodes {
            let level = usize::from(node.id.level);
            if self.levels.len() == level {
                self.levels.push(Vec::new());
            }
            debug_assert_eq!(self.levels[level].len() as u64, node.id.index);
            self.levels[level].push(node.hash);
        }
        index
    }

    /// The leaf hash at `index`.
    pub fn leaf_hash(&self, index: u64) -> Option<Hash> {
        self.node(NodeId::leaf(index))
    }

    /// The root of the whole tree.
    pub fn root(&self) -> Hash {
        self.root_at(self.size())
            .expect("the tree's own size is always within the tree")
    }

    /// The root the tree had when it held `size` leaves.
    pub fn root_at(&self, size: u64) -> Result<Hash, TreeError> {
        self.check(size)?;
        root_from_nodes(size, self)
    }

    /// The audit path of leaf `index` in the tree of `size` leaves (RFC 9162 §2.1.3.1).
    pub fn inclusion_proof(&self, index: u64, size: u64) -> Result<Vec<Hash>, TreeError> {
        self.check(size)?;
        inclusion_proof_from_nodes(index, size, self)
    }

    /// The consistency proof from size `old` to size `new` (RFC 9162 §2.1.4.1).
    pub fn consistency_proof(&self, old: u64, new: u64) -> Result<Vec<Hash>, TreeError> {
        self.check(new)?;
        consistency_proof_from_nodes(old, new, self)
    }

    fn check(&self, size: u64) -> Result<(), TreeError> {
        let available = self.size();
        if size > available {
            return Err(TreeError::SizeBeyondTree { size, available });
        }
        Ok(())
    }
}

impl NodeSource for MemoryTree {
    fn node(&self, id: NodeId) -> Option<Hash> {
        let level = self.levels.get(usize::from(id.level))?;
        level.get(usize::try_from(id.index).ok()?).copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hash::{empty_root, node_hash};

    #[test]
    fn small_trees_match_the_rfc_definition() {
        let mut tree = MemoryTree::new();
        assert_eq!(tree.root(), empty_root());
        let l: Vec<Hash> = (0u8..3).map(|i| leaf_hash(&[i])).collect();
        for i in 0u8..3 {
            assert_eq!(tree.append(&[i]), u64::from(i));
        }
        assert_eq!(tree.root_at(1).unwrap(), l[0]);
        assert_eq!(tree.root_at(2).unwrap(), node_hash(&l[0], &l[1]));
        assert_eq!(tree.root(), node_hash(&node_hash(&l[0], &l[1]), &l[2]));
        assert_eq!(
            tree.root_at(4),
            Err(TreeError::SizeBeyondTree {
                size: 4,
                available: 3
            })
        );
    }
}
