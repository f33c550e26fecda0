//! Trustees: dealerless key generation and threshold decryption.
//!
//! `n` trustees ([`TrusteePolicy::count`]) generate the election key `K` together, without any
//! party ever holding its secret; any `k` of them ([`TrusteePolicy::threshold`]) later decrypt
//! the tally, and fewer than `k` learn nothing about it.
//!
//! # Key generation ([`dkg`]): Pedersen's DKG over Feldman VSS, with commit-then-reveal
//!
//! Every trustee `i ∈ 1..=n` is a dealer. It draws a secret polynomial of degree `k − 1`,
//!
//! ```text
//! f_i(z) = a_{i,0} + a_{i,1}·z + … + a_{i,k−1}·z^{k−1}        (a_{i,j} ∈ Z_ℓ, hedged)
//! C_{i,j} = a_{i,j}·G                                          (Feldman commitments)
//! π_{i,j} = Schnorr proof of knowledge of a_{i,j}             (proof of possession)
//! ```
//!
//! and the ceremony runs in rounds, each a package type in [`dkg`]:
//!
//! | round | function | sends | channel |
//! | --- | --- | --- | --- |
//! | 1 | [`dkg::part1`] | `h_i = SHA-256(… ‖ i ‖ C_{i,·} ‖ π_{i,·})` | broadcast |
//! | 2 | [`dkg::part2`] | the reveal `(C_{i,·}, π_{i,·})`, and the encryption key `E_i` with its proof | broadcast |
//! | 3 | [`dkg::part3`] | `s_{i→l} = f_i(l)` for every `l ≠ i`, each sealed for `l` ([`SealedShare`]) | broadcast, readable by `l` alone |
//! | 4 | [`dkg::part4`] | complaints: every `i` with `s_{i→l}·G ≠ Σ_j l^j·C_{i,j}` | broadcast |
//! | 5 | [`dkg::resolve_complaints`] | the accused dealer's answer `s_{i→l}`, in public | broadcast |
//! | — | [`dkg::finish`] | nothing: the key share and the public key set | never sent |
//!
//! Commit-then-reveal (round 1 before round 2) stops a *rushing* trustee from choosing its
//! commitments after seeing the others' (for example `C_{i,0} = T − Σ_{m≠i} C_{m,0}` to force
//! a chosen key); the proofs of possession, bound to the manifest, the dealer and the coefficient
//! index, stop a dealer from reusing someone else's commitment or its own from another election
//! (rogue keys, attack 22). A dealer whose answer to a complaint is missing or wrong is excluded.
//! With `Q` the qualified dealers (never excluded; at least `k` of them):
//!
//! ```text
//! K   = Σ_{i∈Q} C_{i,0}                                     (joint key; the identity aborts)
//! x_l = Σ_{i∈Q} f_i(l)                                      (trustee l's secret share)
//! X_l = x_l·G = Σ_{i∈Q} Σ_j l^j·C_{i,j}                     (its public verification share)
//! ```
//!
//! Every `x_l` is a point of the polynomial `F = Σ_{i∈Q} f_i`, of degree `k − 1`, with
//! `F(0)·G = K`. The public outcome is a [`PublicKeySet`]; its
//! [`ceremony_digest`](PublicKeySet::ceremony_digest) enters the election's base hash.
//!
//! # Threshold decryption ([`decryption`])
//!
//! For an aggregate `(A, B) = (r·G, v·G + r·K)` (the homomorphic sum of one option's ballots),
//! trustee `l` publishes `D_l = x_l·A` with a Chaum-Pedersen proof that
//! `log_G X_l = log_A D_l`. Any set `S` of `k` valid shares gives
//!
//! ```text
//! λ_l = Π_{m∈S, m≠l} m / (m − l)                            (Lagrange at 0)
//! Σ_{l∈S} λ_l·D_l = F(0)·A = r·K,     M = B − Σ_{l∈S} λ_l·D_l = v·G
//! ```
//!
//! and `v` is a bounded discrete logarithm (`crate::dlog`). No secret is ever reconstructed,
//! the result is the same for every `k`-subset, and invalid shares are skipped and named.
//!
//! Every share's proofs bind the [`BoardHead`] (head digest and number of entries) of the board
//! it decrypts, and a [`TrusteeKey`] decrypts one tally only: asked again for the same tally it
//! gives the identical share, for any other it refuses ([`DecryptionError::AlreadyDecrypted`]).
//!
//! # Errors and blame
//!
//! Key generation fails with a [`CeremonyError`] (the rounds, the complaints, a published
//! transcript, a saved state), decryption with a [`DecryptionError`] (the shares, their
//! combination); each names the trustees to blame with `culprits()` (spec §10.11), and a bad
//! index alone is an [`IndexError`]. The policy `(n, k)` cannot be invalid:
//! [`TrusteePolicy::new`](crate::manifest::TrusteePolicy::new) is its only constructor.
//!
//! # Known limitation
//!
//! As in every Pedersen DKG, a dealer can decide, after seeing the reveals, to get itself
//! excluded (by sending a bad share and not answering the complaint), and so choose between
//! a few possible keys. The key is therefore not exactly uniform; Gennaro, Jarecki, Krawczyk and
//! Rabin ("Secure applications of Pedersen's distributed key generation protocol", CT-RSA 2003)
//! show that this does not weaken ElGamal encryption under the resulting key. Every exclusion is
//! public, named and part of the ceremony digest.

pub mod decryption;
pub mod dkg;
mod error;
mod keys;
mod persist;
mod sealed;

#[cfg(test)]
mod tests;

use core::fmt;

use curve25519_dalek::ristretto::RistrettoPoint;
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::VartimeMultiscalarMul;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::group::Element;
use crate::manifest::{MAX_TRUSTEES, TrusteePolicy};
use crate::transcript::{PROTOCOL_VERSION, TRANSCRIPT_LABEL};

pub use crate::digest::CeremonyDigest;
pub use decryption::{
    BoardHead, Decryption, DecryptionRun, DecryptionShare, PartialDecryption, combine,
    verify_decryption,
};
pub use dkg::{
    CeremonyTranscript, Complaint, SavedState, finish, part1, part2, part3, part4,
    resolve_complaints, round1, round2, round3, round4, round5, run_ceremony, verify_ceremony,
};
pub use error::{CeremonyError, DecryptionError, IndexError};
pub use keys::{PublicKeySet, TrusteeKey};
pub use sealed::SealedShare;

/// A trustee's index `l ∈ 1..=n`: the point at which its share of the key is evaluated.
///
/// Zero is refused on construction (the share at 0 would be the secret key itself); the upper
/// bound `n` depends on the policy and is checked wherever a policy is known
/// ([`TrusteeIndex::check`]). In JSON, a plain number.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "u16", into = "u16")]
pub struct TrusteeIndex(u16);

impl TrusteeIndex {
    /// The index `l`.
    ///
    /// # Errors
    /// [`IndexError::Zero`] for 0.
    pub fn new(index: u16) -> Result<Self, IndexError> {
        if index == 0 {
            Err(IndexError::Zero)
        } else {
            Ok(Self(index))
        }
    }

    /// The index as a number.
    pub fn get(self) -> u16 {
        self.0
    }

    /// The index as a scalar, the evaluation point of the trustee's shares.
    pub fn scalar(self) -> Scalar {
        Scalar::from(self.0)
    }

    /// Checks that the index is at most the policy's `n`.
    ///
    /// # Errors
    /// [`IndexError::OutOfRange`] if `l > n`.
    pub fn check(self, policy: TrusteePolicy) -> Result<Self, IndexError> {
        if self.0 > policy.count() {
            Err(IndexError::OutOfRange {
                index: self.0,
                count: policy.count(),
            })
        } else {
            Ok(self)
        }
    }

    /// Every index of a policy, `1..=n`, in order.
    pub fn all(policy: TrusteePolicy) -> impl Iterator<Item = TrusteeIndex> {
        (1..=policy.count()).map(TrusteeIndex)
    }

    /// The position of this trustee in per-trustee vectors (`l − 1`).
    pub(crate) fn slot(self) -> usize {
        usize::from(self.0) - 1
    }

    /// The index at position `slot` (`slot + 1`); `slot < n ≤ MAX_TRUSTEES` always fits.
    pub(crate) fn from_slot(slot: usize) -> Self {
        debug_assert!(slot < usize::from(MAX_TRUSTEES));
        Self(u16::try_from(slot + 1).unwrap_or(u16::MAX))
    }
}

impl TryFrom<u16> for TrusteeIndex {
    type Error = IndexError;

    fn try_from(index: u16) -> Result<Self, IndexError> {
        Self::new(index)
    }
}

impl From<TrusteeIndex> for u16 {
    fn from(index: TrusteeIndex) -> u16 {
        index.0
    }
}

impl fmt::Display for TrusteeIndex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// The common prefix of nullivote's trustee digests (spec §3.8):
/// `u64be(9) ‖ "nullivote" ‖ u16be(PROTOCOL_VERSION) ‖ u64be(len(purpose)) ‖ purpose`.
pub(crate) fn trustee_prefix(purpose: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(8 + TRANSCRIPT_LABEL.len() + 2 + 8 + purpose.len());
    out.extend_from_slice(&(TRANSCRIPT_LABEL.len() as u64).to_be_bytes());
    out.extend_from_slice(TRANSCRIPT_LABEL);
    out.extend_from_slice(&PROTOCOL_VERSION.to_be_bytes());
    out.extend_from_slice(&(purpose.len() as u64).to_be_bytes());
    out.extend_from_slice(purpose);
    out
}

/// A SHA-256 state over [`trustee_prefix`]`(purpose)`.
pub(crate) fn tagged_hash(purpose: &'static [u8]) -> Sha256 {
    Sha256::new_with_prefix(trustee_prefix(purpose))
}

/// `Σ_j l^j·C_j` (**variable time**: public commitments and index only).
pub(crate) fn eval_commitments_vartime(
    commitments: &[Element],
    at: TrusteeIndex,
) -> RistrettoPoint {
    let powers = powers(at.scalar(), commitments.len());
    RistrettoPoint::vartime_multiscalar_mul(&powers, commitments.iter().map(|c| *c.point()))
}

/// `1, x, x², …, x^{len−1}`.
pub(crate) fn powers(x: Scalar, len: usize) -> Vec<Scalar> {
    let mut out = Vec::with_capacity(len);
    let mut p = Scalar::ONE;
    for _ in 0..len {
        out.push(p);
        p *= x;
    }
    out
}

/// A small signed integer as a scalar.
pub(crate) fn int_scalar(x: i64) -> Scalar {
    let magnitude = Scalar::from(x.unsigned_abs());
    if x < 0 { -magnitude } else { magnitude }
}

/// The Lagrange coefficients at 0 of a set of distinct indices:
/// `λ_l = Π_{m∈S, m≠l} m / (m − l)`. Public data only.
pub(crate) fn lagrange_at_zero(set: &[TrusteeIndex]) -> Vec<Scalar> {
    let mut numerators = Vec::with_capacity(set.len());
    let mut denominators = Vec::with_capacity(set.len());
    for &l in set {
        let mut num = Scalar::ONE;
        let mut den = Scalar::ONE;
        for &m in set {
            if m != l {
                num *= m.scalar();
                den *= int_scalar(i64::from(m.get()) - i64::from(l.get()));
            }
        }
        numerators.push(num);
        denominators.push(den);
    }
    // Distinct indices below ℓ: every difference, hence every denominator, is non-zero.
    Scalar::invert_batch_alloc(&mut denominators);
    numerators
        .iter()
        .zip(&denominators)
        .map(|(n, d)| n * d)
        .collect()
}

/// Serde of a 32-byte digest as 64 hex characters, exact length.
pub(crate) mod hex32 {
    use serde::{Deserialize, Deserializer, Serializer};

    use crate::codec::decode_hex;
    use crate::error::EncodingError;

    pub(crate) fn serialize<S: Serializer>(bytes: &[u8; 32], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&hex::encode(bytes))
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<[u8; 32], D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        let bytes = decode_hex(&text, "digest").map_err(serde::de::Error::custom)?;
        let len = bytes.len();
        bytes.try_into().map_err(|_| {
            serde::de::Error::custom(EncodingError::WrongLength {
                field: "digest",
                expected: 32,
                actual: len,
            })
        })
    }
}

/// Serde of a public scalar (a share revealed in answer to a complaint) as the hex of its
/// canonical 32-byte encoding; non-canonical scalars are refused.
pub(crate) mod hex_scalar {
    use curve25519_dalek::scalar::Scalar;
    use serde::{Deserialize, Deserializer, Serializer};

    use crate::codec::decode_hex;
    use crate::group::decode_scalar;

    pub(crate) fn serialize<S: Serializer>(x: &Scalar, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&hex::encode(x.as_bytes()))
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Scalar, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        let bytes = decode_hex(&text, "share").map_err(serde::de::Error::custom)?;
        decode_scalar(&bytes, "share").map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod unit_tests {
    use super::*;

    #[test]
    fn zero_index_is_refused_and_range_checked() {
        assert_eq!(TrusteeIndex::new(0), Err(IndexError::Zero));
        assert!(serde_json::from_str::<TrusteeIndex>("0").is_err());
        assert_eq!(
            serde_json::from_str::<TrusteeIndex>("3").unwrap(),
            TrusteeIndex::new(3).unwrap()
        );
        let policy = TrusteePolicy::new(3, 5).unwrap();
        assert!(TrusteeIndex::new(5).unwrap().check(policy).is_ok());
        assert_eq!(
            TrusteeIndex::new(6).unwrap().check(policy),
            Err(IndexError::OutOfRange { index: 6, count: 5 })
        );
    }

    #[test]
    fn policies_are_checked() {
        for (count, threshold) in [(5, 0), (3, 4), (MAX_TRUSTEES + 1, 2)] {
            assert!(TrusteePolicy::new(threshold, count).is_err());
        }
        // The bounds themselves are allowed: k = n, and n = MAX_TRUSTEES.
        for (count, threshold) in [
            (1, 1),
            (3, 3),
            (MAX_TRUSTEES, 2),
            (MAX_TRUSTEES, MAX_TRUSTEES),
        ] {
            let policy = TrusteePolicy::new(threshold, count).unwrap();
            assert_eq!((policy.count(), policy.threshold()), (count, threshold));
        }
    }

    #[test]
    fn lagrange_interpolates_at_zero() {
        // f(z) = 7 + 3z + 2z²; any three points give f(0).
        let f = |z: u64| Scalar::from(7 + 3 * z + 2 * z * z);
        for set in [[1u16, 2, 3], [2, 4, 5], [1, 3, 5]] {
            let set: Vec<_> = set.iter().map(|&i| TrusteeIndex::new(i).unwrap()).collect();
            let lambda = lagrange_at_zero(&set);
            let at_zero: Scalar = set
                .iter()
                .zip(&lambda)
                .map(|(l, c)| c * f(u64::from(l.get())))
                .sum();
            assert_eq!(at_zero, Scalar::from(7u8));
        }
    }
}
