//! The transparency-log engine: pure computation, no I/O.
//!
//! Ticorr keeps an append-only, tamper-evident log of every state change that matters. This
//! crate is the arithmetic and the formats of that log; storage (SQLite or PostgreSQL) and
//! HTTP live in the platform crate, which calls these functions inside its transactions.
//!
//! # Design
//!
//! **Merkle tree (RFC 9162 §2.1).** Leaves are hashed as `SHA-256(0x00 || leaf_data)`,
//! interior nodes as `SHA-256(0x01 || left || right)`, the empty tree as `SHA-256("")`
//! ([`hash`]). Storage keeps the hash of every *perfect* subtree, node `(level, index)`
//! covering leaves `[index·2^level, (index+1)·2^level)`; those never change, so the node
//! table is insert-only. Every subtree the RFC's recursive definitions mention is a
//! left-to-right run of at most `log2 n` perfect subtrees, so roots, audit paths and
//! consistency proofs need `O(log n)` stored nodes. The functions in [`tree`] come in two
//! phases so the caller can fetch those nodes in one query: `needed_nodes_for_*` names them,
//! `*_from_nodes` computes from whatever [`NodeSource`] holds them. Appending leaf `i` reads
//! at most `log2 n` nodes and writes `1 + trailing_ones(i)`. [`MemoryTree`] runs the same
//! functions over in-memory vectors, for tests and benchmarks.
//!
//! **Verification (RFC 9162 §2.1.3.2, §2.1.4.2).** [`verify_inclusion`] and
//! [`verify_consistency`] follow the RFC's steps literally and say which step failed.
//!
//! **Checkpoints and signatures (C2SP).** A checkpoint is the note text `origin`, `size`,
//! base64 `root`, optional extension lines (tlog-checkpoint), signed as a signed note
//! (signed-note) by the log's Ed25519 key (type `0x01`) and cosigned by witnesses with
//! timestamped Ed25519 cosignatures (type `0x04`, tlog-cosignature). Keys use the text
//! formats of Go's `sumdb/note` ([`keys`]), so keys and checkpoints interoperate with the
//! standard transparency-log tooling.
//!
//! **Entries (RFC 8785).** An anchored record's leaf data is the canonical JSON of its type,
//! id, version and the SHA-256 of the record's canonical JSON ([`entry`]); the leaf reveals no
//! content and anyone holding the record can recompute it. The canonicalization is
//! implemented in [`jcs`] rather than taken from a crate: it is short, and the only subtle
//! part (shortest round-trip digits of a double) is already in Rust's standard library.
//!
//! **Offline verification.** [`verify_bundle`] checks one record against a signed checkpoint
//! and the keys a third party trusts, and names the first thing that failed.
//!
//! # Example
//!
//! ```
//! use std::collections::HashMap;
//! use ticorr_ledger::*;
//!
//! // The log appends leaves, writing the nodes each append completes.
//! let mut stored: HashMap<NodeId, Hash> = HashMap::new();
//! for i in 0..5u64 {
//!     let needed = needed_nodes_for_append(i).unwrap(); // fetch these …
//!     assert!(needed.iter().all(|id| stored.contains_key(id)));
//!     let leaf = leaf_hash(format!("entry {i}").as_bytes());
//!     for node in nodes_to_store_on_append(i, leaf, &stored).unwrap() {
//!         stored.insert(node.id, node.hash); // … and insert these.
//!     }
//! }
//!
//! // A proof: name the nodes, fetch them, compute.
//! let root = root_from_nodes(5, &stored).unwrap();
//! let path = inclusion_proof_from_nodes(3, 5, &stored).unwrap();
//! verify_inclusion(&leaf_hash(b"entry 3"), 3, 5, &path, &root).unwrap();
//!
//! // The checkpoint, signed by the log.
//! let key = SignerKey::generate("ticorr.example/ledger", SignatureType::Ed25519).unwrap();
//! let signed = Checkpoint::new("ticorr.example/ledger", 5, root)
//!     .unwrap()
//!     .sign(&key)
//!     .unwrap()
//!     .to_string();
//! let opened = open_checkpoint(&signed, &TrustPolicy::new(key.verifier_key())).unwrap();
//! assert_eq!(opened.checkpoint.root(), &root);
//! ```

pub mod bundle;
pub mod checkpoint;
pub mod entry;
pub mod hash;
pub mod jcs;
pub mod keys;
pub mod memory;
pub mod note;
pub mod tree;
pub mod verify;
pub mod witness;

pub use bundle::{BundleError, InclusionBundle, VerifiedBundle, verify_bundle};
pub use checkpoint::{Checkpoint, CheckpointError, OpenedCheckpoint, TrustPolicy, open_checkpoint};
pub use entry::{EntryError, LeafEntry, MAX_VERSION, check_leaf_data, leaf_data, record_sha256};
pub use hash::{HASH_LEN, Hash, HashParseError, empty_root, leaf_hash, node_hash};
pub use jcs::{JcsError, canonical_json, canonical_json_exact};
pub use keys::{KeyError, SignatureType, SignerKey, VerifierKey, key_id};
pub use memory::MemoryTree;
pub use note::{Note, NoteError, NoteSignature, VerifiedSignature};
pub use tree::{
    AppendBatch, FnSource, MAX_TREE_SIZE, NodeId, NodeSource, StoredNode, TreeError,
    consistency_proof_from_nodes, inclusion_proof_from_nodes, needed_nodes_for_append,
    needed_nodes_for_consistency, needed_nodes_for_inclusion, needed_nodes_for_root,
    nodes_created_by_append, nodes_to_store_on_append, nodes_to_store_on_append_batch,
    root_from_nodes,
};
pub use verify::{
    ConsistencyError, InclusionError, root_from_inclusion_proof, verify_consistency,
    verify_inclusion,
};
