//! The engine against independent oracles: the `ct-merkle` crate, the RFC 6962/9162 reference
//! vectors of the Go implementation (transparency-dev/merkle), and `ryu` for number digits.

use std::collections::HashMap;

use ct_merkle::mem_backed_tree::MemoryBackedTree;
use ct_merkle::{ConsistencyProof, InclusionProof, RootHash};
use proptest::prelude::*;
use rand::SeedableRng as _;

use sha2::Sha256;
use ticorr_ledger::*;

type CtTree = MemoryBackedTree<Sha256, Vec<u8>>;

fn leaf(i: u64) -> Vec<u8> {
    format!("leaf {i}").into_bytes()
}

fn memory_tree(size: u64) -> MemoryTree {
    let mut tree = MemoryTree::new();
    for i in 0..size {
        tree.append(&leaf(i));
    }
    tree
}

fn ct_tree(size: u64) -> CtTree {
    let mut tree = CtTree::new();
    for i in 0..size {
        tree.push(leaf(i));
    }
    tree
}

fn concat(proof: &[Hash]) -> Vec<u8> {
    proof.iter().flat_map(|h| *h.as_bytes()).collect()
}

fn ct_root(hash: &Hash, size: u64) -> RootHash<Sha256> {
    let mut digest = ct_merkle::digest::Output::<Sha256>::default();
    digest.copy_from_slice(hash.as_bytes());
    RootHash::new(digest, size)
}

fn flip(proof: &[Hash], element: usize, bit: u8) -> Vec<Hash> {
    let mut out = proof.to_vec();
    let mut bytes = *out[element].as_bytes();
    bytes[usize::from(bit) % 32] ^= 1 << (bit % 8);
    out[element] = Hash::from_bytes(bytes);
    out
}

/// Sizes and a leaf index below the size.
fn size_and_index() -> impl Strategy<Value = (u64, u64)> {
    (1u64..700).prop_flat_map(|size| (Just(size), 0..size))
}

/// An old size not above the new size (both at least 1).
fn old_and_new() -> impl Strategy<Value = (u64, u64)> {
    (1u64..700).prop_flat_map(|new| (1..=new, Just(new)))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(160))]

    #[test]
    fn roots_and_audit_paths_equal_ct_merkle((size, index) in size_and_index(), bit in any::<u8>()) {
        let ct = ct_tree(size);
        // A bigger tree proves for its earlier sizes too, and gives roots of larger sizes.
        let ours = memory_tree(2 * size + 1);
        let root = ours.root_at(size).unwrap();
        let ct_root_hash = ct.root();
        prop_assert_eq!(ct_root_hash.as_bytes().as_slice(), root.as_bytes());

        let proof = ours.inclusion_proof(index, size).unwrap();
        let ct_proof = ct.prove_inclusion(usize::try_from(index).unwrap());
        prop_assert_eq!(ct_proof.as_bytes(), concat(&proof));

        let leaf_hash = leaf_hash(&leaf(index));
        prop_assert_eq!(verify_inclusion(&leaf_hash, index, size, &proof, &root), Ok(()));
        let ours_in_ct = InclusionProof::<Sha256>::try_from_bytes(concat(&proof)).unwrap();
        prop_assert!(ct.root().verify_inclusion(&leaf(index), index, &ours_in_ct).is_ok());

        // Tampered proofs, other indices, other sizes, another leaf: all fail.
        for element in 0..proof.len() {
            let tampered = flip(&proof, element, bit);
            prop_assert!(verify_inclusion(&leaf_hash, index, size, &tampered, &root).is_err());
        }
        for other in [index ^ 1, index ^ 2, index.wrapping_sub(1), index + 1] {
            if other != index {
                prop_assert!(verify_inclusion(&leaf_hash, other, size, &proof, &root).is_err());
            }
        }
        for other_size in [size - 1, size + 1, size / 2, 2 * size] {
            if other_size != size && other_size > 0 {
                let other_root = ours.root_at(other_size).unwrap();
                prop_assert!(
                    verify_inclusion(&leaf_hash, index, other_size, &proof, &other_root).is_err()
                );
            }
        }
        let other_leaf = leaf_hash_of_other(index);
        prop_assert!(verify_inclusion(&other_leaf, index, size, &proof, &root).is_err());
        if let Some((_, shorter)) = proof.split_last() {
            prop_assert_eq!(
                verify_inclusion(&leaf_hash, index, size, shorter, &root),
                Err(InclusionError::ProofTooShort)
            );
        }
        let mut longer = proof.clone();
        longer.push(root);
        prop_assert_eq!(
            verify_inclusion(&leaf_hash, index, size, &longer, &root),
            Err(InclusionError::ProofTooLong)
        );
    }

    #[test]
    fn consistency_proofs_equal_ct_merkle((old, new) in old_and_new(), bit in any::<u8>()) {
        let ct = ct_tree(new);
        let ours = memory_tree(new + 1);
        let (old_root, new_root) = (ours.root_at(old).unwrap(), ours.root_at(new).unwrap());

        let proof = ours.consistency_proof(old, new).unwrap();
        let ct_proof = ct.prove_consistency(usize::try_from(new - old).unwrap());
        prop_assert_eq!(ct_proof.as_bytes(), concat(&proof));
        prop_assert_eq!(verify_consistency(old, new, &old_root, &new_root, &proof), Ok(()));
        let ours_in_ct = ConsistencyProof::<Sha256>::try_from_bytes(concat(&proof)).unwrap();
        prop_assert!(
            ct_root(&new_root, new).verify_consistency(&ct_root(&old_root, old), &ours_in_ct).is_ok()
        );

        if old == new {
            prop_assert!(proof.is_empty());
            return Ok(());
        }
        // Swapped roots, tampered hashes, truncated, extended, empty proofs, other sizes.
        prop_assert!(verify_consistency(old, new, &new_root, &old_root, &proof).is_err());
        for element in 0..proof.len() {
            let tampered = flip(&proof, element, bit);
            prop_assert!(verify_consistency(old, new, &old_root, &new_root, &tampered).is_err());
        }
        prop_assert!(verify_consistency(old, new, &old_root, &new_root, &proof[1..]).is_err());
        prop_assert!(
            verify_consistency(old, new, &old_root, &new_root, &proof[..proof.len() - 1]).is_err()
        );
        let mut longer = proof.clone();
        longer.push(new_root);
        prop_assert!(verify_consistency(old, new, &old_root, &new_root, &longer).is_err());
        prop_assert_eq!(
            verify_consistency(old, new, &old_root, &new_root, &[]),
            Err(ConsistencyError::EmptyProof)
        );
        for other_old in [old - 1, old + 1] {
            if other_old != 0 && other_old != new {
                let other_root = ours.root_at(other_old).unwrap();
                prop_assert!(
                    verify_consistency(other_old, new, &other_root, &new_root, &proof).is_err()
                );
            }
        }
        let other_root = ours.root_at(new + 1).unwrap();
        prop_assert!(verify_consistency(old, new + 1, &old_root, &other_root, &proof).is_err());
    }

    #[test]
    fn the_two_phase_functions_equal_the_memory_tree(
        batches in proptest::collection::vec(1usize..40, 1..12),
        picks in proptest::collection::vec((any::<u64>(), any::<u64>()), 8),
    ) {
        // A "database": rows keyed by NodeId::storage_key, written only through the
        // append functions, read only through the needed_nodes_* lists.
        let mut table: HashMap<i64, Hash> = HashMap::new();
        let fetch = |table: &HashMap<i64, Hash>, ids: &[NodeId]| -> HashMap<NodeId, Hash> {
            ids.iter()
                .filter_map(|id| table.get(&id.storage_key().unwrap()).map(|h| (*id, *h)))
                .collect()
        };
        let mut reference = MemoryTree::new();
        let mut size = 0u64;
        for (n, batch) in batches.iter().enumerate() {
            let hashes: Vec<Hash> =
                (size..size + *batch as u64).map(|i| leaf_hash(&leaf(i))).collect();
            if n % 2 == 0 {
                // One leaf at a time.
                for (offset, hash) in hashes.iter().enumerate() {
                    let index = size + offset as u64;
                    let needed = needed_nodes_for_append(index).unwrap();
                    let rows = fetch(&table, &needed);
                    prop_assert_eq!(rows.len(), needed.len());
                    let nodes = nodes_to_store_on_append(index, *hash, &rows).unwrap();
                    let created: Vec<NodeId> = nodes.iter().map(|n| n.id).collect();
                    prop_assert_eq!(created, nodes_created_by_append(index).unwrap());
                    for node in nodes {
                        let key = node.id.storage_key().unwrap();
                        prop_assert!(table.insert(key, node.hash).is_none(), "rows are insert-only");
                    }
                }
            } else {
                // The whole batch from the frontier alone.
                let needed = needed_nodes_for_root(size).unwrap();
                let rows = fetch(&table, &needed);
                prop_assert_eq!(rows.len(), needed.len());
                let result = nodes_to_store_on_append_batch(size, &hashes, &rows).unwrap();
                for node in result.nodes {
                    let key = node.id.storage_key().unwrap();
                    prop_assert!(table.insert(key, node.hash).is_none(), "rows are insert-only");
                }
                for hash in &hashes {
                    reference.append_leaf_hash(*hash);
                }
                prop_assert_eq!(result.size, size + *batch as u64);
                prop_assert_eq!(result.root, reference.root());
                size = result.size;
                continue;
            }
            for hash in &hashes {
                reference.append_leaf_hash(*hash);
            }
            size += *batch as u64;
        }
        // Every perfect subtree is stored, and nothing else.
        let perfect: u64 = (0..64).map(|level| size >> level).sum();
        prop_assert_eq!(table.len() as u64, perfect);

        for (a, b) in picks {
            let tree_size = 1 + a % size;
            let index = b % tree_size;
            let old = b % (tree_size + 1);

            let rows = fetch(&table, &needed_nodes_for_root(tree_size).unwrap());
            prop_assert_eq!(root_from_nodes(tree_size, &rows).unwrap(), reference.root_at(tree_size).unwrap());

            let rows = fetch(&table, &needed_nodes_for_inclusion(index, tree_size).unwrap());
            prop_assert_eq!(
                inclusion_proof_from_nodes(index, tree_size, &rows).unwrap(),
                reference.inclusion_proof(index, tree_size).unwrap()
            );

            let rows = fetch(&table, &needed_nodes_for_consistency(old, tree_size).unwrap());
            prop_assert_eq!(
                consistency_proof_from_nodes(old, tree_size, &rows).unwrap(),
                reference.consistency_proof(old, tree_size).unwrap()
            );
        }
    }

    #[test]
    fn canonical_json_is_idempotent(value in json_value()) {
        let once = canonical_json(&value).unwrap();
        let reparsed: serde_json::Value = serde_json::from_slice(&once).unwrap();
        prop_assert_eq!(canonical_json(&reparsed).unwrap(), once);
    }
}

fn leaf_hash_of_other(index: u64) -> Hash {
    leaf_hash(&leaf(index + 1_000_000))
}

fn json_value() -> impl Strategy<Value = serde_json::Value> {
    use serde_json::Value;
    let scalar = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |x| x.is_finite())
            .prop_map(Value::from),
        ".{0,8}".prop_map(Value::String),
    ];
    scalar.prop_recursive(4, 32, 6, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            proptest::collection::btree_map(".{0,6}", inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

// ---- Reference vectors of transparency-dev/merkle (testonly/constants.go,
// ---- proof/verify_test.go), the RFC 6962 test tree of the Go and C++ implementations.

const LEAVES: [&str; 8] = [
    "",
    "00",
    "10",
    "2021",
    "3031",
    "40414243",
    "5051525354555657",
    "606162636465666768696a6b6c6d6e6f",
];

const ROOTS: [&str; 9] = [
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
];

/// `NODES[level][index]`: every perfect subtree of the 8-leaf tree.
const NODES: [&[&str]; 4] = [
    &[
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
        "0298d122906dcfc10892cb53a73992fc5b9f493ea4c9badb27b791b4127a7fe7",
        "07506a85fd9dd2f120eb694f86011e5bb4662e5c415a62917033d4a9624487e7",
        "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        "4271a26be0d8a84f0bd54c8c302e7cb3a3b5d1fa6780a40bcce2873477dab658",
        "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
        "46f6ffadd3d06a09ff3c5860d2755c8b9819db7df44251788c7d8e3180de8eb1",
    ],
    &[
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
        "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
    ],
    &[
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
    ],
    &["5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"],
];

/// (leaf index, tree size, audit path).
const INCLUSION: [(u64, u64, &[&str]); 7] = [
    (0, 1, &[]),
    (
        0,
        8,
        &[
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ],
    ),
    (
        5,
        8,
        &[
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
    (
        2,
        3,
        &["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"],
    ),
    (
        1,
        5,
        &[
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ],
    ),
    (
        0,
        2,
        &["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7"],
    ),
    (
        1,
        2,
        &["6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"],
    ),
];

/// (old size, new size, consistency proof).
const CONSISTENCY: [(u64, u64, &[&str]); 5] = [
    (1, 1, &[]),
    (
        1,
        8,
        &[
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ],
    ),
    (
        6,
        8,
        &[
            "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
    (
        2,
        5,
        &[
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ],
    ),
    (
        6,
        7,
        &[
            "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
];

fn hex_bytes(text: &str) -> Vec<u8> {
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap())
        .collect()
}

fn hashes(texts: &[&str]) -> Vec<Hash> {
    texts.iter().map(|t| Hash::from_hex(t).unwrap()).collect()
}

fn reference_tree() -> MemoryTree {
    let mut tree = MemoryTree::new();
    for data in LEAVES {
        tree.append(&hex_bytes(data));
    }
    tree
}

#[test]
fn reference_roots_and_nodes() {
    let tree = reference_tree();
    assert_eq!(empty_root().to_hex(), ROOTS[0]);
    for (size, root) in ROOTS.iter().enumerate() {
        assert_eq!(
            tree.root_at(size as u64).unwrap().to_hex(),
            *root,
            "size {size}"
        );
    }
    for (level, row) in NODES.iter().enumerate() {
        for (index, hash) in row.iter().enumerate() {
            let id = NodeId::new(level as u8, index as u64);
            assert_eq!(tree.node(id).unwrap().to_hex(), *hash, "{id:?}");
        }
    }
}

#[test]
fn reference_inclusion_proofs() {
    let tree = reference_tree();
    for (index, size, path) in INCLUSION {
        let expected = hashes(path);
        assert_eq!(
            tree.inclusion_proof(index, size).unwrap(),
            expected,
            "{index}/{size}"
        );
        let root = tree.root_at(size).unwrap();
        let leaf = leaf_hash(&hex_bytes(LEAVES[index as usize]));
        verify_inclusion(&leaf, index, size, &expected, &root).unwrap();

        // The corruptions of Go's verify_test.go: every one must fail.
        let some_hash =
            Hash::from_hex("abacaba000000000000000000000000000000000000000000060061e00123456")
                .unwrap();
        let mut probes: Vec<(u64, u64, Hash, Hash, Vec<Hash>)> = vec![
            (index.wrapping_sub(1), size, root, leaf, expected.clone()),
            (index + 1, size, root, leaf, expected.clone()),
            (index ^ 2, size, root, leaf, expected.clone()),
            (index, size * 2, root, leaf, expected.clone()),
            (index, size / 2, root, leaf, expected.clone()),
            (index, size, root, leaf_hash(b"WrongLeaf"), expected.clone()),
            (index, size, empty_root(), leaf, expected.clone()),
            (index, size, some_hash, leaf, expected.clone()),
            (
                index,
                size,
                root,
                leaf,
                [expected.clone(), vec![root]].concat(),
            ),
            (
                index,
                size,
                root,
                leaf,
                [vec![root], expected.clone()].concat(),
            ),
        ];
        for i in 0..expected.len() {
            probes.push((index, size, root, leaf, flip(&expected, i, 3)));
        }
        if !expected.is_empty() {
            probes.push((
                index,
                size,
                root,
                leaf,
                expected[..expected.len() - 1].to_vec(),
            ));
        }
        if expected.len() > 1 {
            let mut inserted = expected.clone();
            inserted.insert(1, some_hash);
            probes.push((index, size, root, leaf, inserted));
        }
        for (i, s, r, l, p) in probes {
            assert!(
                verify_inclusion(&l, i, s, &p, &r).is_err(),
                "accepted {i}/{s} for {index}/{size}"
            );
        }
    }
}

#[test]
fn reference_consistency_proofs() {
    let tree = reference_tree();
    for (old, new, path) in CONSISTENCY {
        let expected = hashes(path);
        assert_eq!(
            tree.consistency_proof(old, new).unwrap(),
            expected,
            "{old}->{new}"
        );
        let (r1, r2) = (tree.root_at(old).unwrap(), tree.root_at(new).unwrap());
        verify_consistency(old, new, &r1, &r2, &expected).unwrap();
        if expected.is_empty() {
            continue;
        }
        let wrong = leaf_hash(b"WrongRoot");
        let mut probes: Vec<(u64, u64, Hash, Hash, Vec<Hash>)> = vec![
            (old - 1, new, r1, r2, expected.clone()),
            (old + 1, new, r1, r2, expected.clone()),
            (old ^ 2, new, r1, r2, expected.clone()),
            (old, new * 2, r1, r2, expected.clone()),
            (old, new / 2, r1, r2, expected.clone()),
            (old, new, wrong, r2, expected.clone()),
            (old, new, r1, wrong, expected.clone()),
            (old, new, r2, r1, expected.clone()),
            (old, new, r1, r2, vec![]),
            (old, new, r1, r2, [expected.clone(), vec![r1]].concat()),
            (old, new, r1, r2, [expected.clone(), vec![r2]].concat()),
            (old, new, r1, r2, [vec![r1], expected.clone()].concat()),
            (old, new, r1, r2, [vec![r2], expected.clone()].concat()),
            (
                old,
                new,
                r1,
                r2,
                [vec![expected[0]], expected.clone()].concat(),
            ),
            (old, new, r1, r2, expected[..expected.len() - 1].to_vec()),
        ];
        for i in 0..expected.len() {
            probes.push((old, new, r1, r2, flip(&expected, i, 4)));
        }
        for (o, n, a, b, p) in probes {
            assert!(
                verify_consistency(o, n, &a, &b, &p).is_err(),
                "accepted {o}->{n} for {old}->{new}"
            );
        }
    }
}

#[test]
fn trivial_consistency_cases() {
    let empty = empty_root();
    let (a, b) = (leaf_hash(b"a"), leaf_hash(b"b"));
    assert_eq!(verify_consistency(0, 0, &empty, &empty, &[]), Ok(()));
    assert_eq!(verify_consistency(0, 5, &empty, &a, &[]), Ok(()));
    assert_eq!(verify_consistency(3, 3, &a, &a, &[]), Ok(()));
    assert_eq!(
        verify_consistency(3, 3, &a, &b, &[]),
        Err(ConsistencyError::DifferentRootsForSameSize { size: 3 })
    );
    assert_eq!(
        verify_consistency(0, 1, &a, &b, &[]),
        Err(ConsistencyError::EmptyTreeRootMismatch)
    );
    assert_eq!(
        verify_consistency(0, 1, &empty, &b, &[empty]),
        Err(ConsistencyError::UnexpectedProof)
    );
    assert_eq!(
        verify_consistency(1, 1, &a, &a, &[empty]),
        Err(ConsistencyError::UnexpectedProof)
    );
    assert_eq!(
        verify_consistency(2, 1, &a, &b, &[]),
        Err(ConsistencyError::SizesOutOfOrder { old: 2, new: 1 })
    );
    assert_eq!(
        verify_inclusion(&a, 0, 0, &[], &a),
        Err(InclusionError::IndexOutOfRange { index: 0, size: 0 })
    );
    assert_eq!(verify_inclusion(&a, 0, 1, &[], &a), Ok(()));
}

// ---- Number digits against ryu (shortest, closest, ties to even).

/// (digits without leading/trailing zeros, exponent of the last digit) of a decimal string.
fn normalize(text: &str) -> (String, i32) {
    let text = text.trim_start_matches('-');
    let (mantissa, exponent) = match text.split_once(['e', 'E']) {
        Some((m, e)) => (m, e.parse::<i32>().unwrap()),
        None => (text, 0),
    };
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let all = format!("{int}{frac}");
    let digits = all.trim_start_matches('0');
    let trimmed = digits.trim_end_matches('0');
    let exponent = exponent - frac.len() as i32 + (digits.len() - trimmed.len()) as i32;
    (trimmed.to_owned(), exponent)
}

fn check_number(x: f64) {
    let ours = ticorr_ledger::jcs::format_number(x).unwrap();
    assert_eq!(ours.parse::<f64>().unwrap(), x, "{ours} does not read back");
    let mut buffer = ryu::Buffer::new();
    let theirs = buffer.format_finite(x);
    if x != 0.0 {
        assert_eq!(
            normalize(&ours),
            normalize(theirs),
            "{x:e}: {ours} vs ryu {theirs}"
        );
    }
}

#[test]
fn number_digits_agree_with_ryu() {
    let mut rng = rand::rngs::StdRng::seed_from_u64(8785);
    for _ in 0..20_000 {
        let x = f64::from_bits(rng.next_u64());
        if x.is_finite() {
            check_number(x);
        }
    }
    // Doubles in [2^50, 2^51) are spaced 0.25 apart, so x.25 and x.75 sit exactly between
    // two 17-digit candidates: the ties ECMAScript breaks towards the even digit.
    for _ in 0..5_000 {
        let base = ((1u64 << 50) + rng.next_u64() % (1u64 << 50)) as f64;
        check_number(base + 0.25);
        check_number(base + 0.75);
    }
    for x in [
        1e21,
        1e-7,
        123e-20,
        5e-324,
        f64::MAX,
        f64::MIN_POSITIVE,
        0.1,
        1.0 / 3.0,
    ] {
        check_number(x);
        check_number(-x);
    }
}
