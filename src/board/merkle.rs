//! The Merkle tree of a batch of receipts (spec §11.2): the board signs one root per batch, and
//! each receipt carries the path from its leaf to that root.
//!
//! ```text
//! leaf(p, e, t) = SHA-256( u64be(len(tag_l)) ‖ tag_l ‖ u64be(p) ‖ e ‖ t )
//! node(l, r)    = SHA-256( u64be(len(tag_n)) ‖ tag_n ‖ l ‖ r )
//! MTH([d])      = d
//! MTH(D[n])     = node( MTH(D[0..k]), MTH(D[k..n]) ),  k the largest power of two below n
//! ```
//!
//! with `tag_l = "nullivote/1/receipt-leaf"`, `tag_n = "nullivote/1/receipt-node"`: the tree of
//! RFC 9162 §2.1.1 with its own domain-separated hashes. A path lists the siblings from the
//! leaf up (RFC 9162 §2.1.3.1); a batch of one entry has the leaf as root and an empty path.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use sha2::{Digest, Sha256};

use crate::ballot::TrackingCode;
use crate::codec::{Wire, wire_serde};
use crate::digest::EntryDigest;
use crate::error::EncodingError;

/// The tag of a receipt leaf.
pub const LEAF_TAG: &[u8] = b"nullivote/1/receipt-leaf";
/// The tag of an inner node.
pub const NODE_TAG: &[u8] = b"nullivote/1/receipt-node";
/// The longest path: batches of up to 2^24 receipts.
pub const MAX_DEPTH: usize = 24;
/// The most receipts one batch signs.
pub const MAX_BATCH: u64 = 1 << MAX_DEPTH;

/// The leaf of the receipt of the entry at `position` with digest `entry` and `tracking_code`.
pub fn leaf(position: u64, entry: &EntryDigest, tracking_code: &TrackingCode) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update((LEAF_TAG.len() as u64).to_be_bytes());
    h.update(LEAF_TAG);
    h.update(position.to_be_bytes());
    h.update(entry.as_bytes());
    h.update(tracking_code.0);
    h.finalize().into()
}

fn node(left: &[u8; 32], right: &[u8; 32]) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update((NODE_TAG.len() as u64).to_be_bytes());
    h.update(NODE_TAG);
    h.update(left);
    h.update(right);
    h.finalize().into()
}

/// The largest power of two strictly below `n` (`n ≥ 2`).
fn split(n: usize) -> usize {
    1 << (usize::BITS - 1 - (n - 1).leading_zeros())
}

/// The root of the tree over `leaves` (at least one).
pub fn root(leaves: &[[u8; 32]]) -> [u8; 32] {
    match leaves {
        [] => [0; 32],
        [one] => *one,
        _ => {
            let k = split(leaves.len());
            node(&root(&leaves[..k]), &root(&leaves[k..]))
        }
    }
}

/// The root of the tree over `leaves` (at least one) and every leaf's path, in one pass: `O(n)`
/// hashes (what the board signs a batch with).
pub fn root_and_paths(leaves: &[[u8; 32]]) -> ([u8; 32], Vec<MerklePath>) {
    let mut paths = vec![MerklePath::default(); leaves.len()];
    let root = build(leaves, &mut paths);
    (root, paths)
}

fn build(leaves: &[[u8; 32]], paths: &mut [MerklePath]) -> [u8; 32] {
    match leaves {
        [] => [0; 32],
        [one] => *one,
        _ => {
            let k = split(leaves.len());
            let (left_paths, right_paths) = paths.split_at_mut(k);
            let left = build(&leaves[..k], left_paths);
            let right = build(&leaves[k..], right_paths);
            for p in left_paths {
                p.push(right);
            }
            for p in right_paths {
                p.push(left);
            }
            node(&left, &right)
        }
    }
}

/// The path of leaf `m` of `leaves`, from the leaf up.
#[cfg(test)]
pub fn path(m: usize, leaves: &[[u8; 32]]) -> MerklePath {
    let mut out = MerklePath::default();
    fill_path(m, leaves, &mut out);
    out
}

#[cfg(test)]
fn fill_path(m: usize, leaves: &[[u8; 32]], out: &mut MerklePath) {
    if leaves.len() <= 1 {
        return;
    }
    let k = split(leaves.len());
    if m < k {
        fill_path(m, &leaves[..k], out);
        out.push(root(&leaves[k..]));
    } else {
        fill_path(m - k, &leaves[k..], out);
        out.push(root(&leaves[..k]));
    }
}

/// The root that `leaf`, leaf `m` of a tree of `n` leaves, and its `path` give; `None` if the
/// path has not the length such a leaf's has.
pub fn root_from_path(m: u64, n: u64, leaf: [u8; 32], path: &[[u8; 32]]) -> Option<[u8; 32]> {
    if m >= n {
        return None;
    }
    if n == 1 {
        return path.is_empty().then_some(leaf);
    }
    let (sibling, rest) = path.split_last()?;
    let k = split(usize::try_from(n).ok()?) as u64;
    if m < k {
        Some(node(&root_from_path(m, k, leaf, rest)?, sibling))
    } else {
        Some(node(sibling, &root_from_path(m - k, n - k, leaf, rest)?))
    }
}

/// The siblings from a leaf up to the root of its batch: at most [`MAX_DEPTH`], kept inline so
/// that a receipt is `Copy`.
///
/// # JSON
///
/// A list of 64-hex-character digests, leaf side first.
#[derive(Clone, Copy, Default)]
pub struct MerklePath {
    len: u8,
    nodes: [[u8; 32]; MAX_DEPTH],
}

impl MerklePath {
    fn push(&mut self, hash: [u8; 32]) {
        // Paths of trees of at most MAX_BATCH leaves, which `sign_batch` enforces.
        self.nodes[usize::from(self.len)] = hash;
        self.len += 1;
    }

    /// The siblings, leaf side first.
    pub fn nodes(&self) -> &[[u8; 32]] {
        &self.nodes[..usize::from(self.len)]
    }
}

impl PartialEq for MerklePath {
    fn eq(&self, other: &Self) -> bool {
        self.nodes() == other.nodes()
    }
}

impl Eq for MerklePath {}

/// One node of a path, for its hex form in `Debug` and JSON.
#[derive(PartialEq)]
struct MerkleNode([u8; 32]);

impl Wire for MerkleNode {
    const NAME: &'static str = "receipt.path";
    const MAX_LEN: usize = 32;

    fn encode(&self) -> Vec<u8> {
        self.0.to_vec()
    }

    fn decode(bytes: &[u8]) -> Result<Self, EncodingError> {
        let node = bytes.try_into().map_err(|_| EncodingError::WrongLength {
            field: Self::NAME,
            expected: 32,
            actual: bytes.len(),
        })?;
        Ok(Self(node))
    }
}

wire_serde!(MerkleNode);

impl core::fmt::Debug for MerkleNode {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(&hex::encode(self.0))
    }
}

impl core::fmt::Debug for MerklePath {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_list()
            .entries(self.nodes().iter().map(|n| MerkleNode(*n)))
            .finish()
    }
}

impl Serialize for MerklePath {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.nodes().iter().map(|n| MerkleNode(*n)))
    }
}

impl<'de> Deserialize<'de> for MerklePath {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let nodes: Vec<MerkleNode> = crate::codec::bounded_vec(d, "receipt.path", MAX_DEPTH)?;
        let mut out = Self::default();
        for n in nodes {
            out.push(n.0);
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn leaves(n: usize) -> Vec<[u8; 32]> {
        (0..n)
            .map(|i| {
                leaf(
                    i as u64,
                    &EntryDigest([i as u8; 32]),
                    &TrackingCode([1; 32]),
                )
            })
            .collect()
    }

    /// Every leaf of every tree size up to 70 recomputes the root from its path, and from no
    /// other position, leaf or path.
    #[test]
    fn every_path_gives_the_root_and_nothing_else_does() {
        for n in 1..=70usize {
            let l = leaves(n);
            let r = root(&l);
            for m in 0..n {
                let p = path(m, &l);
                let (m64, n64) = (m as u64, n as u64);
                assert_eq!(
                    root_from_path(m64, n64, l[m], p.nodes()),
                    Some(r),
                    "{m} of {n}"
                );
                if n > 1 {
                    let other = (m + 1) % n;
                    assert_ne!(root_from_path(other as u64, n64, l[m], p.nodes()), Some(r));
                    assert_ne!(root_from_path(m64, n64, l[other], p.nodes()), Some(r));
                    let mut bad = p;
                    bad.nodes[0][0] ^= 1;
                    assert_ne!(root_from_path(m64, n64, l[m], bad.nodes()), Some(r));
                }
                // (The size may give the same root: it is bound by the signed statement, which
                // names the count, not by the tree.)
                assert_eq!(root_from_path(n64, n64, l[m], p.nodes()), None);
            }
        }
        // One pass gives the same root and paths.
        for n in [1, 2, 3, 7, 64, 65] {
            let l = leaves(n);
            let (r, paths) = root_and_paths(&l);
            assert_eq!(r, root(&l));
            for (m, p) in paths.iter().enumerate() {
                assert_eq!(*p, path(m, &l), "{m} of {n}");
            }
        }
        // The shape of RFC 9162: three leaves are node(node(a, b), c).
        let l = leaves(3);
        assert_eq!(root(&l), node(&node(&l[0], &l[1]), &l[2]));
    }

    #[test]
    fn a_path_round_trips_as_json_and_is_bounded() {
        let l = leaves(9);
        let p = path(4, &l);
        let json = serde_json::to_string(&p).unwrap();
        assert_eq!(serde_json::from_str::<MerklePath>(&json).unwrap(), p);
        let long = serde_json::to_string(&vec![EntryDigest([0; 32]); MAX_DEPTH + 1]).unwrap();
        assert!(serde_json::from_str::<MerklePath>(&long).is_err());
    }
}
