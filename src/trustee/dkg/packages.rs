//! What a trustee sends and what it keeps, round by round (spec §10.3).
//!
//! Each `roundN` module holds the round's public `Package` (broadcast, serde) and, for rounds 1
//! to 4, the `SecretPackage` the trustee keeps until the next round. Every secret package
//! begins with the same [`Frame`]: the trustee, the policy, the manifest digest, the
//! coefficients and the share-encryption secret; what follows is the round's own.

use curve25519_dalek::constants::RISTRETTO_BASEPOINT_TABLE;
use curve25519_dalek::scalar::Scalar;
use serde::{Deserialize, Serialize};
use sha2::Digest;
use zeroize::{Zeroize, ZeroizeOnDrop};

use super::checks::PublicView;
use crate::codec::Wire;
use crate::digest::ManifestDigest;
use crate::group::Element;
use crate::manifest::TrusteePolicy;
use crate::proofs::SchnorrProof;
use crate::secret::SecretScalar;
use crate::transcript::purpose;
use crate::trustee::sealed::{Direction, SealedShare};
use crate::trustee::{TrusteeIndex, eval_commitments_vartime, tagged_hash};

/// What every round state of trustee `i` holds, from round 1 to round 4: who it is, for which
/// ceremony, and its two secrets, the polynomial `f_i` (its coefficients) and the
/// share-encryption secret `e_i`. Saved first in every round state, as
/// `F ‖ k × enc(a_{i,j}) ‖ enc(e_i)` (spec §10.8; see [`super::SavedState`]).
///
/// Secret: wiped on drop, not `Clone`, no `Debug`, no serde.
#[derive(Zeroize, ZeroizeOnDrop)]
pub(crate) struct Frame {
    #[zeroize(skip)]
    pub(crate) trustee: TrusteeIndex,
    #[zeroize(skip)]
    pub(crate) policy: TrusteePolicy,
    #[zeroize(skip)]
    pub(crate) manifest_digest: ManifestDigest,
    /// `a_{i,0}, …, a_{i,k−1}`, each non-zero.
    pub(crate) coefficients: Vec<SecretScalar>,
    /// `e_i`, non-zero.
    pub(crate) encryption_secret: SecretScalar,
}

impl Frame {
    /// The same frame again, for the next round's state (the secrets copied, never moved out of
    /// a state that wipes itself).
    pub(crate) fn copy(&self) -> Self {
        Self {
            trustee: self.trustee,
            policy: self.policy,
            manifest_digest: self.manifest_digest,
            coefficients: self
                .coefficients
                .iter()
                .map(|a| SecretScalar::new(*a.expose()))
                .collect(),
            encryption_secret: SecretScalar::new(*self.encryption_secret.expose()),
        }
    }

    /// The Feldman commitments `C_{i,j} = a_{i,j}·G` (never the identity: `a_{i,j} ≠ 0`).
    pub(crate) fn commitments(&self) -> Vec<Element> {
        self.coefficients
            .iter()
            .map(|a| Element::from_point_unchecked(RISTRETTO_BASEPOINT_TABLE * a.expose()))
            .collect()
    }

    /// `s_{i→l} = f_i(l)`.
    pub(crate) fn share_for(&self, l: TrusteeIndex) -> SecretScalar {
        evaluate(&self.coefficients, l)
    }
}

/// `f(x) = Σ_j a_j·x^j` by Horner's rule (constant time in the coefficients).
pub(crate) fn evaluate(coefficients: &[SecretScalar], at: TrusteeIndex) -> SecretScalar {
    let x = at.scalar();
    let mut acc = Scalar::ZERO;
    for a in coefficients.iter().rev() {
        acc = acc * x + a.expose();
    }
    let out = SecretScalar::new(acc);
    acc.zeroize();
    out
}

/// Whether a share is consistent with its dealer's commitments (spec §10.2):
/// `s·G = Σ_j at^j·C_j`.
pub(crate) fn share_matches(s: &SecretScalar, commitments: &[Element], at: TrusteeIndex) -> bool {
    RISTRETTO_BASEPOINT_TABLE * s.expose() == eval_commitments_vartime(commitments, at)
}

/// Round 1: every trustee commits to its polynomial by broadcasting a digest of its reveal.
pub mod round1 {
    use super::*;

    /// Trustee `i`'s state after [`part1`](crate::trustee::dkg::part1): its coefficients and
    /// its prepared reveal. **Never sent**; saved to disk before the round-1 package is
    /// broadcast (kind 1 of [`SavedState`](crate::trustee::dkg::SavedState)).
    ///
    /// Secret: wiped on drop, not `Clone`, no serde, `Debug` prints only the index.
    #[derive(Zeroize, ZeroizeOnDrop)]
    pub struct SecretPackage {
        pub(crate) frame: Frame,
        #[zeroize(skip)]
        pub(crate) reveal: round2::Package,
    }

    impl SecretPackage {
        /// The trustee `i`.
        pub fn trustee(&self) -> TrusteeIndex {
            self.frame.trustee
        }

        /// The round-1 package again, byte-identical (to re-send after a crash).
        pub fn package(&self) -> Package {
            Package {
                trustee: self.frame.trustee,
                digest: self.reveal.commitment_digest(&self.frame.manifest_digest),
            }
        }
    }

    impl core::fmt::Debug for SecretPackage {
        fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
            f.debug_struct("round1::SecretPackage")
                .field("trustee", &self.frame.trustee)
                .finish_non_exhaustive()
        }
    }

    /// Trustee `i`'s commitment: `h_i`, the digest of its reveal (spec §10.4). **Broadcast**.
    ///
    /// JSON: `{"trustee": 1, "digest": "<64 hex>"}`.
    #[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct Package {
        pub(crate) trustee: TrusteeIndex,
        #[serde(with = "crate::trustee::hex32")]
        pub(crate) digest: [u8; 32],
    }

    impl Package {
        /// The sender `i`.
        pub fn trustee(&self) -> TrusteeIndex {
            self.trustee
        }

        /// `h_i`.
        pub fn digest(&self) -> &[u8; 32] {
            &self.digest
        }
    }
}

/// Round 2: once every digest is in, every trustee reveals its commitments and proofs.
pub mod round2 {
    use super::*;

    /// Trustee `i`'s state after [`part2`](crate::trustee::dkg::part2): as in round 1, plus
    /// the round-1 digests of all `n` trustees (to detect a digest changed after the reveal).
    /// **Never sent** (kind 2 of [`SavedState`](crate::trustee::dkg::SavedState)).
    #[derive(Zeroize, ZeroizeOnDrop)]
    pub struct SecretPackage {
        pub(crate) frame: Frame,
        #[zeroize(skip)]
        pub(crate) reveal: Package,
        #[zeroize(skip)]
        pub(crate) digests: Vec<[u8; 32]>,
    }

    impl SecretPackage {
        /// The trustee `i`.
        pub fn trustee(&self) -> TrusteeIndex {
            self.frame.trustee
        }

        /// The round-2 package again, identical (to re-send after a crash).
        pub fn package(&self) -> Package {
            self.reveal.clone()
        }
    }

    impl core::fmt::Debug for SecretPackage {
        fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
            f.debug_struct("round2::SecretPackage")
                .field("trustee", &self.frame.trustee)
                .finish_non_exhaustive()
        }
    }

    /// Trustee `i`'s reveal: its commitments `C_{i,j} = a_{i,j}·G` and proofs of possession
    /// `π_{i,j}`, for `j = 0..k`, and its share-encryption key `E_i` with its proof of
    /// possession `π^E_i` (see [`SealedShare`]). **Broadcast**, only after all `n` round-1
    /// digests were received.
    ///
    /// JSON: `{"trustee": 1, "commitments": ["<64 hex>", …], "proofs": ["<128 hex>", …],
    /// "encryption_key": "<64 hex>", "encryption_proof": "<128 hex>"}`.
    #[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct Package {
        pub(crate) trustee: TrusteeIndex,
        pub(crate) commitments: Vec<Element>,
        pub(crate) proofs: Vec<SchnorrProof>,
        pub(crate) encryption_key: Element,
        pub(crate) encryption_proof: SchnorrProof,
    }

    impl Package {
        /// The dealer `i`.
        pub fn trustee(&self) -> TrusteeIndex {
            self.trustee
        }

        /// `C_{i,0}, …, C_{i,k−1}`.
        pub fn commitments(&self) -> &[Element] {
            &self.commitments
        }

        /// `π_{i,0}, …, π_{i,k−1}`.
        pub fn proofs(&self) -> &[SchnorrProof] {
            &self.proofs
        }

        /// `E_i`, the key the other trustees seal their shares for `i` with.
        pub fn encryption_key(&self) -> &Element {
            &self.encryption_key
        }

        /// `π^E_i`, the proof of possession of `E_i`.
        pub fn encryption_proof(&self) -> &SchnorrProof {
            &self.encryption_proof
        }

        /// `h_i`, the round-1 digest this reveal must match, for the ceremony of the manifest
        /// with digest `manifest_digest` (spec §10.4).
        pub fn commitment_digest(&self, manifest_digest: &ManifestDigest) -> [u8; 32] {
            let mut h = tagged_hash(purpose::TRUSTEE_COMMITMENT);
            h.update(manifest_digest);
            h.update(self.trustee.get().to_be_bytes());
            h.update((self.commitments.len() as u64).to_be_bytes());
            for c in &self.commitments {
                h.update(c.as_bytes());
            }
            h.update((self.proofs.len() as u64).to_be_bytes());
            for p in &self.proofs {
                h.update(p.encode());
            }
            h.update(self.encryption_key.as_bytes());
            h.update(self.encryption_proof.encode());
            h.finalize().into()
        }
    }
}

/// Round 3: every dealer seals each other trustee's share for it, and broadcasts them.
pub mod round3 {
    use super::*;

    /// Trustee `i`'s state after [`part3`](crate::trustee::dkg::part3): its coefficients,
    /// every dealer's commitments and encryption key, and the digest `R` of rounds 1–2.
    /// **Never sent** (kind 3 of [`SavedState`](crate::trustee::dkg::SavedState)).
    #[derive(Zeroize, ZeroizeOnDrop)]
    pub struct SecretPackage {
        pub(crate) frame: Frame,
        #[zeroize(skip)]
        pub(crate) view: PublicView,
    }

    impl SecretPackage {
        /// The trustee `i`.
        pub fn trustee(&self) -> TrusteeIndex {
            self.frame.trustee
        }

        /// The round-3 package again, byte-identical (to re-send after a crash: sealing is
        /// deterministic).
        pub fn package(&self) -> Package {
            let frame = &self.frame;
            let me = frame.trustee;
            let shares = TrusteeIndex::all(frame.policy)
                .filter(|&to| to != me)
                .map(|to| Sealed {
                    to,
                    share: self
                        .view
                        .direction(&frame.manifest_digest, me, to)
                        .seal(&frame.encryption_secret, &frame.share_for(to)),
                })
                .collect();
            Package { dealer: me, shares }
        }
    }

    impl core::fmt::Debug for SecretPackage {
        fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
            f.debug_struct("round3::SecretPackage")
                .field("trustee", &self.frame.trustee)
                .finish_non_exhaustive()
        }
    }

    /// Dealer `i`'s shares, each sealed for its recipient: `s_{i→l} = f_i(l)` for every
    /// `l ≠ i`, in ascending `l`. **Broadcast**: a sealed share opens only with `l`'s secret
    /// (see [`SealedShare`]), so the package may lie in a directory every party shares; it is
    /// not part of the election record.
    ///
    /// JSON: `{"dealer": 1, "shares": [{"to": 2, "share": "<96 hex>"}, …]}`.
    #[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct Package {
        pub(crate) dealer: TrusteeIndex,
        pub(crate) shares: Vec<Sealed>,
    }

    impl Package {
        /// The dealer `i`.
        pub fn dealer(&self) -> TrusteeIndex {
            self.dealer
        }

        /// The sealed shares.
        pub fn shares(&self) -> &[Sealed] {
            &self.shares
        }
    }

    /// One sealed share and its recipient.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct Sealed {
        pub(crate) to: TrusteeIndex,
        pub(crate) share: SealedShare,
    }

    impl Sealed {
        /// The recipient `l`.
        pub fn to(&self) -> TrusteeIndex {
            self.to
        }

        /// `s_{i→l}`, sealed for `l`.
        pub fn share(&self) -> &SealedShare {
            &self.share
        }
    }
}

/// Round 4: every trustee checks the shares it received and complains, in public, about each
/// dealer whose share is missing or wrong.
pub mod round4 {
    use super::*;

    /// Trustee `l`'s state after [`part4`](crate::trustee::dkg::part4): as in round 3, plus
    /// the shares it accepted. **Never sent** (kind 4 of
    /// [`SavedState`](crate::trustee::dkg::SavedState)). Keeps the coefficients to answer
    /// complaints.
    #[derive(Zeroize, ZeroizeOnDrop)]
    pub struct SecretPackage {
        pub(crate) frame: Frame,
        #[zeroize(skip)]
        pub(crate) view: PublicView,
        /// `s_{m→l}` by dealer slot, `None` for a dealer complained about; the trustee's own
        /// slot holds `f_l(l)`.
        pub(crate) received: Vec<Option<SecretScalar>>,
    }

    impl SecretPackage {
        /// The trustee `l`.
        pub fn trustee(&self) -> TrusteeIndex {
            self.frame.trustee
        }

        /// The round-4 package again, identical (to re-send after a crash).
        pub fn package(&self) -> Package {
            Package {
                trustee: self.frame.trustee,
                accused: self.accused(),
            }
        }

        /// The dealers this trustee complained about: those whose share it did not accept.
        pub(crate) fn accused(&self) -> Vec<TrusteeIndex> {
            self.received
                .iter()
                .enumerate()
                .filter(|(_, s)| s.is_none())
                .map(|(slot, _)| TrusteeIndex::from_slot(slot))
                .collect()
        }
    }

    impl core::fmt::Debug for SecretPackage {
        fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
            f.debug_struct("round4::SecretPackage")
                .field("trustee", &self.frame.trustee)
                .field("accused", &self.accused())
                .finish_non_exhaustive()
        }
    }

    /// Trustee `l`'s complaints: the dealers whose share `s` failed
    /// `s·G = Σ_j l^j·C_{i,j}` or never arrived. **Broadcast**, by every trustee (an empty list
    /// says "all my shares were good").
    ///
    /// JSON: `{"trustee": 2, "accused": [1, 4]}`.
    #[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct Package {
        pub(crate) trustee: TrusteeIndex,
        pub(crate) accused: Vec<TrusteeIndex>,
    }

    impl Package {
        /// The accuser `l`.
        pub fn trustee(&self) -> TrusteeIndex {
            self.trustee
        }

        /// The accused dealers.
        pub fn accused(&self) -> &[TrusteeIndex] {
            &self.accused
        }

        /// The complaints, one per accused dealer.
        pub fn complaints(&self) -> impl Iterator<Item = Complaint> + '_ {
            self.accused.iter().map(|&accused| Complaint {
                accuser: self.trustee,
                accused,
            })
        }
    }
}

/// Round 5: each accused dealer answers every complaint against it by revealing the disputed
/// share in public.
pub mod round5 {
    use super::*;

    /// Dealer `i`'s answers to the complaints against it. **Broadcast**; a dealer with no
    /// complaint against it may send an empty package or none.
    ///
    /// JSON: `{"dealer": 3, "answers": [{"accuser": 2, "share": "<64 hex>"}]}`.
    #[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct Package {
        pub(crate) dealer: TrusteeIndex,
        pub(crate) answers: Vec<Answer>,
    }

    impl Package {
        /// The answering dealer `i`.
        pub fn dealer(&self) -> TrusteeIndex {
            self.dealer
        }

        /// The answers.
        pub fn answers(&self) -> &[Answer] {
            &self.answers
        }
    }

    /// The share `s_{i→l} = f_i(l)` revealed in answer to `l`'s complaint. Public once sent:
    /// everyone checks `s·G = Σ_j l^j·C_{i,j}`.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct Answer {
        pub(crate) accuser: TrusteeIndex,
        #[serde(with = "crate::trustee::hex_scalar")]
        pub(crate) share: Scalar,
    }

    impl Answer {
        /// The accuser `l`.
        pub fn accuser(&self) -> TrusteeIndex {
            self.accuser
        }

        /// `s_{i→l}`.
        pub fn share(&self) -> &Scalar {
            &self.share
        }
    }
}

/// A public complaint: `accuser` did not receive a valid share from dealer `accused`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Complaint {
    /// The trustee that complains.
    pub accuser: TrusteeIndex,
    /// The dealer it accuses.
    pub accused: TrusteeIndex,
}

impl PublicView {
    /// The sealing direction `from → to` of this dealing (spec §10.5).
    pub(crate) fn direction<'a>(
        &'a self,
        manifest_digest: &'a ManifestDigest,
        from: TrusteeIndex,
        to: TrusteeIndex,
    ) -> Direction<'a> {
        Direction {
            manifest_digest,
            reveals_digest: &self.reveals_digest,
            from,
            from_key: &self.encryption_keys[from.slot()],
            to,
            to_key: &self.encryption_keys[to.slot()],
        }
    }
}
