//! Dealerless key generation: Pedersen's DKG over Feldman VSS, with commit-then-reveal.
//!
//! The rounds are owned packages, so a trustee can stop between rounds (days, in a real
//! ceremony) and resume from disk: every `SecretPackage` has `to_secret_bytes` /
//! `from_secret_bytes`; every public package is serde (JSON, hex points, unknown keys refused).
//! A trustee **saves its secret package before it sends the matching public package**, and after
//! a crash re-sends the identical package from the saved state (attack rule 8): every random
//! choice is made in [`part1`] and stored; [`part2`] to [`finish`] are deterministic, which is
//! why they take the secret package by reference and may be retried.
//!
//! ```text
//! part1 ─ round1::Package (digest)  ─▶ broadcast
//! part2 ─ round2::Package (reveal, encryption key) ─▶ broadcast  (only once all n digests are in)
//! part3 ─ round3::Package (sealed shares) ─▶ broadcast; each share opens for its recipient alone
//! part4 ─ round4::Package (complaints) ─▶ broadcast
//! resolve_complaints ─ round5::Package (answers) ─▶ broadcast
//! finish ─▶ TrusteeKey (never sent), PublicKeySet (published)
//! ```
//!
//! # Transcripts and the missing base hash
//!
//! Every proof of an election binds to its base hash; but the base hash covers the outcome of
//! this ceremony (the joint key and [`PublicKeySet::ceremony_digest`]), so it does not exist
//! yet. Key-generation transcripts bind instead to the **manifest digest** (which fixes the
//! election id and the policy `n`, `k`), then the trustee, the coefficient and the round:
//!
//! ```text
//! coefficients of trustee i:
//!   election_transcript("trustee-coefficients", manifest_digest)
//!   append_u64("trustee", i); append_u64("round", 1)
//!   → witness_rng(no witness, rng): a_{i,0}, …, a_{i,k−1}, each 64 bytes mod ℓ, never 0
//! proof of possession π_{i,j} of a_{i,j} (a Schnorr proof, statement C_{i,j} = a_{i,j}·G):
//!   election_transcript("trustee-possession", manifest_digest)
//!   append_u64("trustee", i); append_u64("coefficient", j); append_u64("round", 1)
//! ```
//!
//! The coefficient RNG is hedged: the OS RNG is mixed with a transcript of the manifest and the
//! trustee index, so a stuck RNG still gives different polynomials to different trustees and
//! elections. (There is no long-term trustee secret to rekey with, so a stuck RNG makes the
//! polynomial predictable: the deployment must still provide a working RNG.)
//!
//! # Digests
//!
//! With `prefix(p) = u64be(9) ‖ "nullivote" ‖ u16be(1) ‖ u64be(len p) ‖ p` and `md` the
//! manifest digest:
//!
//! ```text
//! h_i = SHA-256(prefix("trustee-commitment") ‖ md ‖ u16be(i)
//!               ‖ u64be(#C) ‖ C_{i,0} ‖ … ‖ u64be(#π) ‖ π_{i,0} ‖ … ‖ E_i ‖ π^E_i)   (round 1)
//! R   = SHA-256(prefix("trustee-reveals") ‖ md ‖ u16be(n) ‖ u16be(k)
//!               ‖ h_1 ‖ … ‖ h_n ‖ [u16be(i) ‖ C_{i,0..k} ‖ π_{i,0..k} ‖ E_i ‖ π^E_i] for i = 1..=n)
//! ceremony digest = SHA-256(prefix("trustee-ceremony") ‖ md ‖ u16be(n) ‖ u16be(k) ‖ R
//!               ‖ u32be(#complaints) ‖ [u16be(accuser) ‖ u16be(accused)]   ascending
//!               ‖ u32be(#answers) ‖ [u16be(dealer) ‖ u16be(accuser) ‖ share] ascending
//!               ‖ u16be(|Q|) ‖ [u16be(i)] for i ∈ Q ascending)
//! ```
//!
//! Points are their 32-byte canonical encodings, proofs their 64-byte encodings
//! ([`SchnorrProof`]), shares 32-byte canonical scalars. `E_i` is trustee `i`'s
//! share-encryption key and `π^E_i` its proof of possession (see [`SealedShare`]).
//!
//! # Failures
//!
//! Provable misbehaviour in rounds 1–2 (a reveal that does not match its digest, a wrong
//! number of commitments, a failing proof of possession) and malformed packages abort the
//! ceremony with an error naming the culprits ([`TrusteeError::culprits`]); the administrator
//! replaces the trustee and starts again. A bad private share leads to a public complaint, and
//! a dealer that cannot answer it is excluded from the qualified set.

use std::collections::BTreeMap;

use curve25519_dalek::constants::RISTRETTO_BASEPOINT_TABLE;
use curve25519_dalek::ristretto::RistrettoPoint;
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::{Identity, VartimeMultiscalarMul};
use merlin::Transcript;
use rand_core::{CryptoRng, RngCore};
use serde::{Deserialize, Serialize};
use sha2::Digest;
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use super::keys::{PublicKeySet, TrusteeKey};
use super::persist::{self, Kind};
use super::sealed::{self, Direction, SealedShare};
use super::{
    TrusteeError, TrusteeIndex, check_policy, eval_commitments_vartime, powers, tagged_hash,
};
use crate::codec::{Reader, Wire};
use crate::group::Element;
use crate::manifest::{Manifest, TrusteePolicy};
use crate::proofs::batch::verify_batch;
use crate::proofs::{SchnorrProof, SchnorrStatement};
use crate::secret::SecretScalar;
use crate::transcript::{TranscriptProtocol, election_transcript, label, purpose, random_scalar};

/// Round 1: every trustee commits to its polynomial by broadcasting a digest of its reveal.
pub mod round1 {
    use super::*;

    /// Trustee `i`'s state after [`part1`]: its coefficients and its prepared
    /// reveal. **Never sent**; saved to disk before the round-1 package is broadcast.
    ///
    /// Secret: wiped on drop, not `Clone`, no serde, `Debug` prints only the index.
    ///
    /// # Saved layout (`to_secret_bytes`, kind 1 of the frame below)
    ///
    /// ```text
    /// 3 "NVK" ‖ 2 version ‖ 1 kind = 1
    /// 2 n ‖ 2 k ‖ 2 i ‖ 32 manifest digest
    /// 32·k   coefficients a_{i,0} … a_{i,k−1} (canonical scalars)
    /// 32     the share-encryption secret e_i (canonical, non-zero)
    /// 64·k   proofs of possession π_{i,0} … π_{i,k−1}
    /// ```
    ///
    /// The commitments are recomputed (`C_{i,j} = a_{i,j}·G`) and the proofs re-verified on
    /// loading; `E_i` and its proof are recomputed from `e_i` (deterministic, see
    /// [`SealedShare`]).
    #[derive(Zeroize, ZeroizeOnDrop)]
    pub struct SecretPackage {
        #[zeroize(skip)]
        pub(crate) trustee: TrusteeIndex,
        #[zeroize(skip)]
        pub(crate) policy: TrusteePolicy,
        #[zeroize(skip)]
        pub(crate) manifest_digest: [u8; 32],
        pub(crate) coefficients: Vec<SecretScalar>,
        pub(crate) encryption_secret: SecretScalar,
        #[zeroize(skip)]
        pub(crate) reveal: round2::Package,
    }

    impl SecretPackage {
        /// The trustee `i`.
        pub fn trustee(&self) -> TrusteeIndex {
            self.trustee
        }

        /// The round-1 package again, byte-identical (to re-send after a crash).
        pub fn package(&self) -> Package {
            Package {
                trustee: self.trustee,
                digest: self.reveal.commitment_digest(&self.manifest_digest),
            }
        }

        /// The secret encoding (see the type's `# Saved layout`), for saving to disk.
        pub fn to_secret_bytes(&self) -> Zeroizing<Vec<u8>> {
            let k = self.coefficients.len();
            let mut out = persist::start(Kind::Round1, FRAME_LEN + 96 * k + 32);
            put_frame(&mut out, self.trustee, self.policy, &self.manifest_digest);
            put_coefficients(&mut out, &self.coefficients);
            persist::put_secret(&mut out, self.encryption_secret.expose());
            put_proofs(&mut out, &self.reveal.proofs);
            out
        }

        /// Loads a saved state.
        ///
        /// # Errors
        /// [`TrusteeError::Encoding`] for bytes that are not the layout;
        /// [`TrusteeError::CorruptSecret`] if the proofs do not match the coefficients.
        pub fn from_secret_bytes(bytes: &[u8]) -> Result<Self, TrusteeError> {
            let mut r = Reader::new(bytes);
            persist::read_header(&mut r, Kind::Round1, "round1_secret")?;
            let (trustee, policy, manifest_digest) = read_frame(&mut r)?;
            let coefficients = read_coefficients(&mut r, policy)?;
            let encryption_secret = read_encryption_secret(&mut r)?;
            let proofs = read_proofs(&mut r, policy)?;
            r.finish("round1_secret")?;
            let reveal = rebuild_reveal(
                trustee,
                &manifest_digest,
                &coefficients,
                &encryption_secret,
                proofs,
            )?;
            Ok(Self {
                trustee,
                policy,
                manifest_digest,
                coefficients,
                encryption_secret,
                reveal,
            })
        }
    }

    impl core::fmt::Debug for SecretPackage {
        fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
            f.debug_struct("round1::SecretPackage")
                .field("trustee", &self.trustee)
                .finish_non_exhaustive()
        }
    }

    /// Trustee `i`'s commitment: `h_i`, the digest of its reveal (see the
    /// [module docs](super)). **Broadcast**.
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

    /// Trustee `i`'s state after [`part2`]: as in round 1, plus the round-1
    /// digests of all `n` trustees (to detect a digest changed after the reveal). **Never
    /// sent**.
    ///
    /// # Saved layout (kind 2)
    ///
    /// ```text
    /// 3 "NVK" ‖ 2 version ‖ 1 kind = 2
    /// 2 n ‖ 2 k ‖ 2 i ‖ 32 manifest digest
    /// 32·k   coefficients ‖ 32 e_i ‖ 64·k proofs of possession     (as in round 1)
    /// 32·n   round-1 digests h_1 … h_n
    /// ```
    #[derive(Zeroize, ZeroizeOnDrop)]
    pub struct SecretPackage {
        #[zeroize(skip)]
        pub(crate) trustee: TrusteeIndex,
        #[zeroize(skip)]
        pub(crate) policy: TrusteePolicy,
        #[zeroize(skip)]
        pub(crate) manifest_digest: [u8; 32],
        pub(crate) coefficients: Vec<SecretScalar>,
        pub(crate) encryption_secret: SecretScalar,
        #[zeroize(skip)]
        pub(crate) reveal: Package,
        #[zeroize(skip)]
        pub(crate) digests: Vec<[u8; 32]>,
    }

    impl SecretPackage {
        /// The trustee `i`.
        pub fn trustee(&self) -> TrusteeIndex {
            self.trustee
        }

        /// The round-2 package again, identical (to re-send after a crash).
        pub fn package(&self) -> Package {
            self.reveal.clone()
        }

        /// The secret encoding (see `# Saved layout`).
        pub fn to_secret_bytes(&self) -> Zeroizing<Vec<u8>> {
            let k = self.coefficients.len();
            let n = self.digests.len();
            let mut out = persist::start(Kind::Round2, FRAME_LEN + 96 * k + 32 + 32 * n);
            put_frame(&mut out, self.trustee, self.policy, &self.manifest_digest);
            put_coefficients(&mut out, &self.coefficients);
            persist::put_secret(&mut out, self.encryption_secret.expose());
            put_proofs(&mut out, &self.reveal.proofs);
            for d in &self.digests {
                out.extend_from_slice(d);
            }
            out
        }

        /// Loads a saved state.
        ///
        /// # Errors
        /// As [`round1::SecretPackage::from_secret_bytes`];
        /// also [`TrusteeError::CorruptSecret`] if the trustee's own digest is not its reveal's.
        pub fn from_secret_bytes(bytes: &[u8]) -> Result<Self, TrusteeError> {
            let mut r = Reader::new(bytes);
            persist::read_header(&mut r, Kind::Round2, "round2_secret")?;
            let (trustee, policy, manifest_digest) = read_frame(&mut r)?;
            let coefficients = read_coefficients(&mut r, policy)?;
            let encryption_secret = read_encryption_secret(&mut r)?;
            let proofs = read_proofs(&mut r, policy)?;
            let n = usize::from(policy.count);
            persist::need(&r, 32 * n, "round2_secret.digests")?;
            let mut digests = Vec::with_capacity(n);
            for _ in 0..n {
                digests.push(r.array32("round2_secret.digests")?);
            }
            r.finish("round2_secret")?;
            let reveal = rebuild_reveal(
                trustee,
                &manifest_digest,
                &coefficients,
                &encryption_secret,
                proofs,
            )?;
            if reveal.commitment_digest(&manifest_digest) != digests[trustee.slot()] {
                return Err(TrusteeError::CorruptSecret {
                    reason: "the trustee's own round-1 digest is not its reveal's",
                });
            }
            Ok(Self {
                trustee,
                policy,
                manifest_digest,
                coefficients,
                encryption_secret,
                reveal,
                digests,
            })
        }
    }

    impl core::fmt::Debug for SecretPackage {
        fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
            f.debug_struct("round2::SecretPackage")
                .field("trustee", &self.trustee)
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
        /// with digest `manifest_digest` (see the [module docs](super)).
        pub fn commitment_digest(&self, manifest_digest: &[u8; 32]) -> [u8; 32] {
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

    /// Trustee `i`'s state after [`part3`]: its coefficients, every dealer's
    /// commitments and encryption key, and the digest `R` of rounds 1–2. **Never sent**.
    ///
    /// # Saved layout (kind 3)
    ///
    /// ```text
    /// 3 "NVK" ‖ 2 version ‖ 1 kind = 3
    /// 2 n ‖ 2 k ‖ 2 i ‖ 32 manifest digest
    /// 32·k     coefficients a_{i,0} … a_{i,k−1}
    /// 32       e_i, the share-encryption secret
    /// 32       R, the digest of rounds 1–2
    /// 32·n·k   commitments C_{l,j}, l = 1..=n, j = 0..k
    /// 32·n     encryption keys E_l, l = 1..=n
    /// ```
    #[derive(Zeroize, ZeroizeOnDrop)]
    pub struct SecretPackage {
        #[zeroize(skip)]
        pub(crate) trustee: TrusteeIndex,
        #[zeroize(skip)]
        pub(crate) policy: TrusteePolicy,
        #[zeroize(skip)]
        pub(crate) manifest_digest: [u8; 32],
        pub(crate) coefficients: Vec<SecretScalar>,
        pub(crate) encryption_secret: SecretScalar,
        #[zeroize(skip)]
        pub(crate) reveals_digest: [u8; 32],
        #[zeroize(skip)]
        pub(crate) commitments: Vec<Vec<Element>>,
        #[zeroize(skip)]
        pub(crate) encryption_keys: Vec<Element>,
    }

    impl SecretPackage {
        /// The trustee `i`.
        pub fn trustee(&self) -> TrusteeIndex {
            self.trustee
        }

        /// The round-3 package again, byte-identical (to re-send after a crash: sealing is
        /// deterministic).
        pub fn package(&self) -> Package {
            let e = &self.encryption_secret;
            let me = self.trustee;
            let shares = TrusteeIndex::all(self.policy)
                .filter(|&to| to != me)
                .map(|to| {
                    let direction = Direction {
                        manifest_digest: &self.manifest_digest,
                        reveals_digest: &self.reveals_digest,
                        from: me,
                        from_key: &self.encryption_keys[me.slot()],
                        to,
                        to_key: &self.encryption_keys[to.slot()],
                    };
                    Sealed {
                        to,
                        share: direction.seal(e, &evaluate(&self.coefficients, to)),
                    }
                })
                .collect();
            Package { dealer: me, shares }
        }

        /// The secret encoding (see `# Saved layout`).
        pub fn to_secret_bytes(&self) -> Zeroizing<Vec<u8>> {
            let mut out = persist::start(Kind::Round3, round3_body_len(self.policy));
            put_round3_body(&mut out, &self.body());
            out
        }

        fn body(&self) -> Round3BodyRef<'_> {
            Round3BodyRef {
                trustee: self.trustee,
                policy: self.policy,
                manifest_digest: &self.manifest_digest,
                coefficients: &self.coefficients,
                encryption_secret: &self.encryption_secret,
                reveals_digest: &self.reveals_digest,
                commitments: &self.commitments,
                encryption_keys: &self.encryption_keys,
            }
        }

        /// Loads a saved state.
        ///
        /// # Errors
        /// [`TrusteeError::Encoding`] for bytes that are not the layout;
        /// [`TrusteeError::CorruptSecret`] if the trustee's own commitments are not
        /// `a_{i,j}·G` or its own encryption key is not `e_i·G`.
        pub fn from_secret_bytes(bytes: &[u8]) -> Result<Self, TrusteeError> {
            let mut r = Reader::new(bytes);
            persist::read_header(&mut r, Kind::Round3, "round3_secret")?;
            let body = read_round3_body(&mut r)?;
            r.finish("round3_secret")?;
            Ok(Self {
                trustee: body.trustee,
                policy: body.policy,
                manifest_digest: body.manifest_digest,
                coefficients: body.coefficients,
                encryption_secret: body.encryption_secret,
                reveals_digest: body.reveals_digest,
                commitments: body.commitments,
                encryption_keys: body.encryption_keys,
            })
        }
    }

    impl core::fmt::Debug for SecretPackage {
        fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
            f.debug_struct("round3::SecretPackage")
                .field("trustee", &self.trustee)
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

    /// Trustee `l`'s state after [`part4`]: as in round 3, plus the shares it
    /// accepted. **Never sent**. Keeps the coefficients to answer complaints.
    ///
    /// # Saved layout (kind 4)
    ///
    /// ```text
    /// 3 "NVK" ‖ 2 version ‖ 1 kind = 4
    /// the round-3 body (n, k, i, manifest digest, coefficients, e_i, R, commitments, encryption keys)
    /// n ×  received share from dealer m = 1..=n: 1 flag (0 none: complained, 1 present)
    ///      ‖ 32 s_{m→l} if the flag is 1; the trustee's own slot holds f_l(l)
    /// ```
    ///
    /// Every present share is re-checked against the commitments on loading.
    #[derive(Zeroize, ZeroizeOnDrop)]
    pub struct SecretPackage {
        #[zeroize(skip)]
        pub(crate) trustee: TrusteeIndex,
        #[zeroize(skip)]
        pub(crate) policy: TrusteePolicy,
        #[zeroize(skip)]
        pub(crate) manifest_digest: [u8; 32],
        pub(crate) coefficients: Vec<SecretScalar>,
        pub(crate) encryption_secret: SecretScalar,
        #[zeroize(skip)]
        pub(crate) reveals_digest: [u8; 32],
        #[zeroize(skip)]
        pub(crate) commitments: Vec<Vec<Element>>,
        #[zeroize(skip)]
        pub(crate) encryption_keys: Vec<Element>,
        pub(crate) received: Vec<Option<SecretScalar>>,
    }

    impl SecretPackage {
        /// The trustee `l`.
        pub fn trustee(&self) -> TrusteeIndex {
            self.trustee
        }

        /// The round-4 package again, identical (to re-send after a crash).
        pub fn package(&self) -> Package {
            Package {
                trustee: self.trustee,
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

        /// The secret encoding (see `# Saved layout`).
        pub fn to_secret_bytes(&self) -> Zeroizing<Vec<u8>> {
            let n = usize::from(self.policy.count);
            let mut out = persist::start(Kind::Round4, round3_body_len(self.policy) + 33 * n);
            put_round3_body(
                &mut out,
                &Round3BodyRef {
                    trustee: self.trustee,
                    policy: self.policy,
                    manifest_digest: &self.manifest_digest,
                    coefficients: &self.coefficients,
                    encryption_secret: &self.encryption_secret,
                    reveals_digest: &self.reveals_digest,
                    commitments: &self.commitments,
                    encryption_keys: &self.encryption_keys,
                },
            );
            for slot in &self.received {
                match slot {
                    None => out.push(0),
                    Some(s) => {
                        out.push(1);
                        persist::put_secret(&mut out, s.expose());
                    }
                }
            }
            out
        }

        /// Loads a saved state.
        ///
        /// # Errors
        /// [`TrusteeError::Encoding`] for bytes that are not the layout;
        /// [`TrusteeError::CorruptSecret`] if a stored share does not match its dealer's
        /// commitments, or the trustee's own slot is not `f_l(l)`.
        pub fn from_secret_bytes(bytes: &[u8]) -> Result<Self, TrusteeError> {
            let mut r = Reader::new(bytes);
            persist::read_header(&mut r, Kind::Round4, "round4_secret")?;
            let body = read_round3_body(&mut r)?;
            let n = usize::from(body.policy.count);
            persist::need(&r, n, "round4_secret.received")?;
            let mut received = Vec::with_capacity(n);
            for slot in 0..n {
                match r.u8("round4_secret.received")? {
                    0 => received.push(None),
                    1 => {
                        let s = SecretScalar::new(r.scalar("round4_secret.received")?);
                        if !share_matches(&s, &body.commitments[slot], body.trustee) {
                            return Err(TrusteeError::CorruptSecret {
                                reason: "a stored share does not match its dealer's commitments",
                            });
                        }
                        received.push(Some(s));
                    }
                    _ => {
                        return Err(crate::error::EncodingError::WrongTag {
                            field: "round4_secret.received",
                        }
                        .into());
                    }
                }
            }
            r.finish("round4_secret")?;
            if received[body.trustee.slot()].is_none() {
                return Err(TrusteeError::CorruptSecret {
                    reason: "the trustee's own share is missing",
                });
            }
            Ok(Self {
                trustee: body.trustee,
                policy: body.policy,
                manifest_digest: body.manifest_digest,
                coefficients: body.coefficients,
                encryption_secret: body.encryption_secret,
                reveals_digest: body.reveals_digest,
                commitments: body.commitments,
                encryption_keys: body.encryption_keys,
                received,
            })
        }
    }

    impl core::fmt::Debug for SecretPackage {
        fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
            f.debug_struct("round4::SecretPackage")
                .field("trustee", &self.trustee)
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

// ---------------------------------------------------------------------------------------------
// The rounds
// ---------------------------------------------------------------------------------------------

/// Round 1: trustee `i` draws its polynomial, commits to it and proves possession of each
/// coefficient.
///
/// ```text
/// a_{i,0..k} ← hedged RNG (manifest digest, i, rng);   C_{i,j} = a_{i,j}·G
/// π_{i,j}    = Schnorr proof of a_{i,j} (transcript: manifest digest, i, j, round 1)
/// h_i        = SHA-256(… ‖ i ‖ C_{i,·} ‖ π_{i,·})        → broadcast (round1::Package)
/// ```
///
/// Save the secret package before broadcasting.
///
/// # Errors
/// [`TrusteeError::InvalidPolicy`] unless `1 ≤ k ≤ n ≤ MAX_TRUSTEES`;
/// [`TrusteeError::PolicyMismatch`] if `policy` is not the manifest's;
/// [`TrusteeError::IndexOutOfRange`] if `i > n`.
pub fn part1<R: RngCore + CryptoRng>(
    trustee: TrusteeIndex,
    policy: TrusteePolicy,
    manifest: &Manifest,
    rng: &mut R,
) -> Result<(round1::SecretPackage, round1::Package), TrusteeError> {
    check_policy(policy)?;
    let expected = manifest.trustees();
    if policy != expected {
        return Err(TrusteeError::PolicyMismatch {
            count: policy.count,
            threshold: policy.threshold,
            manifest_count: expected.count,
            manifest_threshold: expected.threshold,
        });
    }
    trustee.check(policy)?;
    let manifest_digest = manifest.digest();
    let mut coefficient_rng =
        coefficient_transcript(&manifest_digest, trustee).witness_rng(&[], rng);
    let coefficients = (0..policy.threshold)
        .map(|_| SecretScalar::new(nonzero_random_scalar(&mut coefficient_rng)))
        .collect();
    // Drawn independently of the coefficients (spec §10.5): a polynomial can become known to
    // k colluders, its dealer's encryption secret must not follow from it.
    let encryption_secret = SecretScalar::new(nonzero_random_scalar(&mut coefficient_rng));
    Ok(part1_with_coefficients(
        trustee,
        policy,
        manifest_digest,
        coefficients,
        encryption_secret,
        rng,
    ))
}

/// Round 1 with given coefficients and encryption secret (each non-zero).
pub(crate) fn part1_with_coefficients<R: RngCore + CryptoRng>(
    trustee: TrusteeIndex,
    policy: TrusteePolicy,
    manifest_digest: [u8; 32],
    coefficients: Vec<SecretScalar>,
    encryption_secret: SecretScalar,
    rng: &mut R,
) -> (round1::SecretPackage, round1::Package) {
    let commitments: Vec<Element> = coefficients
        .iter()
        // a_{i,j} ≠ 0 (drawn non-zero), so C_{i,j} is not the identity.
        .map(|a| Element::from_point_unchecked(RISTRETTO_BASEPOINT_TABLE * a.expose()))
        .collect();
    let proofs = coefficients
        .iter()
        .zip(&commitments)
        .zip(0u16..)
        .map(|((a, c), j)| {
            let statement = SchnorrStatement { public: *c };
            let mut t = possession_transcript(&manifest_digest, trustee, j);
            SchnorrProof::prove(a, &statement, &mut t, rng)
        })
        .collect();
    let (encryption_key, encryption_proof) =
        sealed::encryption_key(&manifest_digest, trustee, &encryption_secret);
    let reveal = round2::Package {
        trustee,
        commitments,
        proofs,
        encryption_key,
        encryption_proof,
    };
    let secret = round1::SecretPackage {
        trustee,
        policy,
        manifest_digest,
        coefficients,
        encryption_secret,
        reveal,
    };
    let package = secret.package();
    (secret, package)
}

/// Round 2: having received the round-1 digests of all `n` trustees (its own included),
/// trustee `i` reveals its commitments and proofs (broadcast).
///
/// # Errors
/// [`TrusteeError::IndexOutOfRange`], [`TrusteeError::DuplicatePackage`] or
/// [`TrusteeError::MissingPackage`] unless there is exactly one round-1 package per trustee;
/// [`TrusteeError::Equivocation`] if the trustee's own digest is not the one it sent.
pub fn part2(
    secret: &round1::SecretPackage,
    round1_packages: &[round1::Package],
) -> Result<(round2::SecretPackage, round2::Package), TrusteeError> {
    let r1 = by_trustee(secret.policy, 1, round1_packages, |p| p.trustee)?;
    if r1[secret.trustee.slot()].digest != secret.package().digest {
        return Err(TrusteeError::Equivocation {
            round: 1,
            trustee: secret.trustee,
        });
    }
    let next = round2::SecretPackage {
        trustee: secret.trustee,
        policy: secret.policy,
        manifest_digest: secret.manifest_digest,
        coefficients: copy_secrets(&secret.coefficients),
        encryption_secret: copy_secret(&secret.encryption_secret),
        reveal: secret.reveal.clone(),
        digests: r1.iter().map(|p| p.digest).collect(),
    };
    let package = next.package();
    Ok((next, package))
}

/// Round 3: trustee `i` checks every reveal and seals the share `s_{i→l} = f_i(l)` of every
/// other trustee `l` for `l` alone (spec §10.5): the returned package is broadcast.
///
/// Checks, for every dealer `m`: exactly `k` commitments and `k` proofs; `h_m` = the digest of
/// its reveal; every proof of possession, of the coefficients and of the encryption key (one
/// batch; on failure every bad proof is named); exactly one package per trustee in each round,
/// indices in `1..=n`; the round-1 digests unchanged since [`part2`].
///
/// # Errors
/// [`TrusteeError::CommitmentCount`], [`TrusteeError::RevealMismatch`],
/// [`TrusteeError::PossessionProof`], [`TrusteeError::EncryptionKeyProof`] (several at once in
/// [`TrusteeError::Several`]), each naming the dealer; [`TrusteeError::Equivocation`]; and the
/// package-set errors of [`part2`].
pub fn part3(
    secret: &round2::SecretPackage,
    round1_packages: &[round1::Package],
    round2_packages: &[round2::Package],
) -> Result<(round3::SecretPackage, round3::Package), TrusteeError> {
    let policy = secret.policy;
    let r1 = by_trustee(policy, 1, round1_packages, |p| p.trustee)?;
    for (p, seen) in r1.iter().zip(&secret.digests) {
        if p.digest != *seen {
            return Err(TrusteeError::Equivocation {
                round: 1,
                trustee: p.trustee,
            });
        }
    }
    let r2 = by_trustee(policy, 2, round2_packages, |p| p.trustee)?;
    if *r2[secret.trustee.slot()] != secret.reveal {
        return Err(TrusteeError::Equivocation {
            round: 2,
            trustee: secret.trustee,
        });
    }
    let view = check_reveals(
        policy,
        &secret.manifest_digest,
        round1_packages,
        round2_packages,
    )?;
    let next = round3::SecretPackage {
        trustee: secret.trustee,
        policy,
        manifest_digest: secret.manifest_digest,
        coefficients: copy_secrets(&secret.coefficients),
        encryption_secret: copy_secret(&secret.encryption_secret),
        reveals_digest: view.reveals_digest,
        commitments: view.commitments,
        encryption_keys: view.encryption_keys,
    };
    let package = next.package();
    Ok((next, package))
}

/// Round 4: trustee `l` opens the share each dealer sealed for it and checks it against the
/// dealer's commitments,
///
/// ```text
/// s_{i→l}·G  =?  Σ_j l^j·C_{i,j}
/// ```
///
/// and complains (broadcast) about every dealer whose share is wrong, does not open, is missing,
/// or is sent more than once. `round3_packages` are the round-3 packages received (its own may
/// be among them and is ignored); a dealer with no package here is complained about.
///
/// # Errors
/// [`TrusteeError::IndexOutOfRange`] for a package from a dealer that is not a trustee.
pub fn part4(
    secret: &round3::SecretPackage,
    round3_packages: &[round3::Package],
) -> Result<(round4::SecretPackage, round4::Package), TrusteeError> {
    let policy = secret.policy;
    let me = secret.trustee;
    let n = usize::from(policy.count);
    let e = &secret.encryption_secret;
    let mut slots: Vec<Option<SecretScalar>> = (0..n).map(|_| None).collect();
    // The first package of each dealer; a byte-identical copy (a re-send after a crash) is the
    // same package, a different second one marks the dealer.
    let mut first: Vec<Option<&round3::Package>> = vec![None; n];
    let mut conflicting = vec![false; n];
    for package in round3_packages {
        let dealer = package.dealer.check(policy)?;
        if dealer == me {
            continue;
        }
        match first[dealer.slot()] {
            Some(earlier) => {
                if earlier != package {
                    conflicting[dealer.slot()] = true;
                }
                continue;
            }
            None => first[dealer.slot()] = Some(package),
        }
        let mut mine = package.shares.iter().filter(|s| s.to == me);
        let (Some(sealed), None) = (mine.next(), mine.next()) else {
            continue;
        };
        let direction = Direction {
            manifest_digest: &secret.manifest_digest,
            reveals_digest: &secret.reveals_digest,
            from: dealer,
            from_key: &secret.encryption_keys[dealer.slot()],
            to: me,
            to_key: &secret.encryption_keys[me.slot()],
        };
        if let Some(share) = direction.open(e, &sealed.share) {
            slots[dealer.slot()] = Some(share);
        }
    }
    for dealer in TrusteeIndex::all(policy).filter(|&d| d != me) {
        let slot = &mut slots[dealer.slot()];
        let good = !conflicting[dealer.slot()]
            && slot
                .as_ref()
                .is_some_and(|s| share_matches(s, &secret.commitments[dealer.slot()], me));
        if !good {
            *slot = None;
        }
    }
    slots[me.slot()] = Some(evaluate(&secret.coefficients, me));
    let next = round4::SecretPackage {
        trustee: me,
        policy,
        manifest_digest: secret.manifest_digest,
        coefficients: copy_secrets(&secret.coefficients),
        encryption_secret: copy_secret(&secret.encryption_secret),
        reveals_digest: secret.reveals_digest,
        commitments: secret.commitments.clone(),
        encryption_keys: secret.encryption_keys.clone(),
        received: slots,
    };
    let package = next.package();
    Ok((next, package))
}

/// Round 5: dealer `i` answers every complaint against it by revealing the disputed share
/// `s_{i→l} = f_i(l)` in public (broadcast). Everyone checks the answer in [`finish`]: a right
/// one gives `l` its share, a wrong or missing one excludes `i`.
///
/// Revealing `f_i(l)` leaks only the accuser's share of `f_i`; fewer than `k` complaints
/// reveal nothing about `f_i(0)`.
///
/// # Errors
/// [`TrusteeError::IndexOutOfRange`] for a complaint package from a non-trustee.
pub fn resolve_complaints(
    secret: &round4::SecretPackage,
    complaints: &[round4::Package],
) -> Result<round5::Package, TrusteeError> {
    let me = secret.trustee;
    let mut accusers = Vec::new();
    for package in complaints {
        let accuser = package.trustee.check(secret.policy)?;
        // A trustee cannot accuse itself; finish refuses such a package.
        if accuser != me && package.accused.contains(&me) {
            accusers.push(accuser);
        }
    }
    accusers.sort_unstable();
    accusers.dedup();
    // Accused by k or more: excluded whatever it answers, and answering would reveal a_{i,0}.
    if accusers.len() >= usize::from(secret.policy.threshold) {
        accusers.clear();
    }
    let answers = accusers
        .into_iter()
        .map(|accuser| round5::Answer {
            accuser,
            share: *evaluate(&secret.coefficients, accuser).expose(),
        })
        .collect();
    Ok(round5::Package {
        dealer: me,
        answers,
    })
}

/// The end of the ceremony for trustee `l`: resolves every complaint, fixes the qualified set
/// `Q` and computes
///
/// ```text
/// K   = Σ_{i∈Q} C_{i,0}                    (the identity aborts)
/// x_l = Σ_{i∈Q} s_{i→l}                    (s_{i→l} from round 3, or from i's public answer)
/// X_m = Σ_{i∈Q} Σ_j m^j·C_{i,j}            for every m in 1..=n;  checks x_l·G = X_l
/// ```
///
/// `round4_packages` holds at most one package per trustee (a missing one complained about no one,
/// spec §10.6; its own, if it complained, unchanged);
/// `round5_packages` every answer package received. Every trustee, and any verifier through
/// [`verify_ceremony`], computes the same [`PublicKeySet`].
///
/// # Errors
/// [`TrusteeError::InvalidComplaint`], [`TrusteeError::UnsolicitedAnswer`],
/// [`TrusteeError::DuplicateAnswer`] naming the offender; [`TrusteeError::TooFewQualified`] if
/// fewer than `k` dealers remain; [`TrusteeError::IdentityJointKey`] /
/// [`TrusteeError::IdentityVerificationShare`] (abort); [`TrusteeError::Equivocation`] if the
/// trustee's own complaints differ from those it made; the package-set errors of [`part2`].
pub fn finish(
    secret: &round4::SecretPackage,
    round4_packages: &[round4::Package],
    round5_packages: &[round5::Package],
) -> Result<(TrusteeKey, PublicKeySet), TrusteeError> {
    let me = secret.trustee;
    // Its own package may be missing (not yet copied, or never sent) only if it complained
    // about no one: silence is no complaint (§10.6, absent trustees).
    let own = at_most_one_each(secret.policy, 4, round4_packages, |p| p.trustee)?[me.slot()];
    let mut claimed = own.map(|p| p.accused.clone()).unwrap_or_default();
    claimed.sort_unstable();
    if claimed != secret.accused() {
        return Err(TrusteeError::Equivocation {
            round: 4,
            trustee: me,
        });
    }
    let (public, answers) = qualify(
        secret.policy,
        &secret.manifest_digest,
        &secret.commitments,
        &secret.reveals_digest,
        round4_packages,
        round5_packages,
    )?;
    let mut x = Scalar::ZERO;
    for dealer in public.qualified() {
        let share = match &secret.received[dealer.slot()] {
            Some(s) => *s.expose(),
            // A qualified dealer answered every complaint against it correctly.
            None => match answers.get(&(*dealer, me)) {
                Some(s) => *s,
                None => {
                    x.zeroize();
                    return Err(TrusteeError::CorruptSecret {
                        reason: "no share from a qualified dealer",
                    });
                }
            },
        };
        x += share;
    }
    let share = SecretScalar::new(x);
    x.zeroize();
    TrusteeKey::new(me, &public, share).map(|key| (key, public))
}

/// Recomputes the public outcome of a ceremony from its public packages (what a verifier of
/// the record does): every check of [`part3`] on rounds 1–2, then the complaint resolution and
/// the qualified set of [`finish`].
///
/// # Errors
/// Those of [`part3`] and [`finish`] about public data.
pub fn verify_ceremony(
    manifest: &Manifest,
    round1_packages: &[round1::Package],
    round2_packages: &[round2::Package],
    round4_packages: &[round4::Package],
    round5_packages: &[round5::Package],
) -> Result<PublicKeySet, TrusteeError> {
    let policy = manifest.trustees();
    check_policy(policy)?;
    let manifest_digest = manifest.digest();
    let view = check_reveals(policy, &manifest_digest, round1_packages, round2_packages)?;
    let (public, _) = qualify(
        policy,
        &manifest_digest,
        &view.commitments,
        &view.reveals_digest,
        round4_packages,
        round5_packages,
    )?;
    Ok(public)
}

/// Every public (broadcast) package of a key ceremony: what the election record publishes and
/// [`verify_ceremony`] checks.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CeremonyTranscript {
    /// Round 1: every trustee's commitment digest.
    pub round1: Vec<round1::Package>,
    /// Round 2: every trustee's commitments and proofs of possession.
    pub round2: Vec<round2::Package>,
    /// Round 4: the complaints of every trustee that complained (a trustee with no complaint,
    /// or silent past the deadline, is not listed).
    pub round4: Vec<round4::Package>,
    /// Round 5: the answers of every dealer that answered a complaint (a dealer with nothing
    /// to answer is not listed).
    pub round5: Vec<round5::Package>,
}

impl CeremonyTranscript {
    /// The transcript of the packages of a ceremony, in its one canonical form: every round in
    /// ascending trustee order, and rounds 4 and 5 without the packages that complain about or
    /// answer nothing.
    pub fn new(
        mut round1: Vec<round1::Package>,
        mut round2: Vec<round2::Package>,
        mut round4: Vec<round4::Package>,
        mut round5: Vec<round5::Package>,
    ) -> Self {
        round1.sort_by_key(round1::Package::trustee);
        round2.sort_by_key(round2::Package::trustee);
        round4.retain(|p| !p.accused.is_empty());
        round4.sort_by_key(round4::Package::trustee);
        round5.retain(|p| !p.answers.is_empty());
        round5.sort_by_key(round5::Package::dealer);
        Self {
            round1,
            round2,
            round4,
            round5,
        }
    }

    /// Recomputes the public key set from these packages ([`verify_ceremony`]), after checking
    /// that the transcript is in its one canonical form: every round lists its packages in
    /// strictly ascending trustee order, every list of accused dealers (round 4) and of answers
    /// (round 5, by accuser) is strictly ascending, and rounds 4 and 5 list no empty package.
    ///
    /// # Errors
    /// [`TrusteeError::PackageOrder`], [`TrusteeError::ListOrder`], [`TrusteeError::EmptyPackage`],
    /// and those of
    /// [`verify_ceremony`].
    pub fn verify(&self, manifest: &Manifest) -> Result<PublicKeySet, TrusteeError> {
        ascending(1, self.round1.iter().map(round1::Package::trustee))?;
        ascending(2, self.round2.iter().map(round2::Package::trustee))?;
        ascending(4, self.round4.iter().map(round4::Package::trustee))?;
        ascending(5, self.round5.iter().map(round5::Package::dealer))?;
        for p in &self.round4 {
            if p.accused.windows(2).any(|w| w[0] >= w[1]) {
                return Err(TrusteeError::ListOrder {
                    round: 4,
                    trustee: p.trustee,
                });
            }
        }
        for p in &self.round5 {
            if p.answers.windows(2).any(|w| w[0].accuser >= w[1].accuser) {
                return Err(TrusteeError::ListOrder {
                    round: 5,
                    trustee: p.dealer,
                });
            }
        }
        if let Some(empty) = self.round4.iter().find(|p| p.accused.is_empty()) {
            return Err(TrusteeError::EmptyPackage {
                round: 4,
                trustee: empty.trustee,
            });
        }
        if let Some(empty) = self.round5.iter().find(|p| p.answers.is_empty()) {
            return Err(TrusteeError::EmptyPackage {
                round: 5,
                trustee: empty.dealer,
            });
        }
        verify_ceremony(
            manifest,
            &self.round1,
            &self.round2,
            &self.round4,
            &self.round5,
        )
    }
}

/// A published round lists its packages in strictly ascending trustee order.
fn ascending(round: u8, trustees: impl Iterator<Item = TrusteeIndex>) -> Result<(), TrusteeError> {
    let mut last: Option<TrusteeIndex> = None;
    for trustee in trustees {
        if last.is_some_and(|l| l >= trustee) {
            return Err(TrusteeError::PackageOrder { round, trustee });
        }
        last = Some(trustee);
    }
    Ok(())
}

/// Plays all `n` trustees honestly in one process (examples and tests; a real ceremony runs
/// each trustee on its own machine).
///
/// # Errors
/// Those of [`part1`] (an invalid policy or one that is not the manifest's), and in principle
/// the abort errors of [`finish`].
pub fn run_ceremony<R: RngCore + CryptoRng>(
    policy: TrusteePolicy,
    manifest: &Manifest,
    rng: &mut R,
) -> Result<(Vec<TrusteeKey>, PublicKeySet, CeremonyTranscript), TrusteeError> {
    check_policy(policy)?;
    // Every list of secret states sized up front: each state holds e_i inline, and a growing
    // Vec would free its old buffer unwiped (found by ct/tests/wipe.rs).
    let n = usize::from(policy.count);
    let mut secrets1 = Vec::with_capacity(n);
    let mut packages1 = Vec::new();
    for trustee in TrusteeIndex::all(policy) {
        let (s, p) = part1(trustee, policy, manifest, rng)?;
        secrets1.push(s);
        packages1.push(p);
    }
    let mut secrets2 = Vec::with_capacity(n);
    let mut packages2 = Vec::new();
    for s in &secrets1 {
        let (s, p) = part2(s, &packages1)?;
        secrets2.push(s);
        packages2.push(p);
    }
    drop(secrets1);
    let mut secrets3 = Vec::with_capacity(n);
    let mut packages3 = Vec::new();
    for s in &secrets2 {
        let (s, p) = part3(s, &packages1, &packages2)?;
        secrets3.push(s);
        packages3.push(p);
    }
    drop(secrets2);
    let mut secrets4 = Vec::with_capacity(n);
    let mut packages4 = Vec::new();
    for s in &secrets3 {
        let (s, p) = part4(s, &packages3)?;
        secrets4.push(s);
        packages4.push(p);
    }
    drop(secrets3);
    let packages5 = secrets4
        .iter()
        .map(|s| resolve_complaints(s, &packages4))
        .collect::<Result<Vec<_>, _>>()?;
    // Sized up front so that no buffer of secrets is moved and freed unwiped.
    let mut keys = Vec::with_capacity(usize::from(policy.count));
    let mut public = None;
    for s in &secrets4 {
        let (key, p) = finish(s, &packages4, &packages5)?;
        keys.push(key);
        public = Some(p);
    }
    let transcript = CeremonyTranscript::new(packages1, packages2, packages4, packages5);
    match public {
        Some(public) => Ok((keys, public, transcript)),
        None => Err(TrusteeError::InvalidPolicy {
            count: policy.count,
            threshold: policy.threshold,
        }),
    }
}

// ---------------------------------------------------------------------------------------------
// Checks shared by the trustees and the verifier
// ---------------------------------------------------------------------------------------------

/// What rounds 1–2 establish: every dealer's commitments (by slot) and the digest `R`.
pub(crate) struct PublicView {
    pub(crate) commitments: Vec<Vec<Element>>,
    pub(crate) encryption_keys: Vec<Element>,
    pub(crate) reveals_digest: [u8; 32],
}

/// Orders one round's packages by trustee, allowing at most one per trustee (a missing one is
/// `None`).
fn at_most_one_each<T>(
    policy: TrusteePolicy,
    round: u8,
    items: &[T],
    index: impl Fn(&T) -> TrusteeIndex,
) -> Result<Vec<Option<&T>>, TrusteeError> {
    let mut slots: Vec<Option<&T>> = vec![None; usize::from(policy.count)];
    for item in items {
        let trustee = index(item).check(policy)?;
        if slots[trustee.slot()].replace(item).is_some() {
            return Err(TrusteeError::DuplicatePackage { round, trustee });
        }
    }
    Ok(slots)
}

/// Orders one round's packages by trustee, requiring exactly one per trustee.
fn by_trustee<T>(
    policy: TrusteePolicy,
    round: u8,
    items: &[T],
    index: impl Fn(&T) -> TrusteeIndex,
) -> Result<Vec<&T>, TrusteeError> {
    at_most_one_each(policy, round, items, index)?
        .into_iter()
        .enumerate()
        .map(|(slot, item)| {
            item.ok_or(TrusteeError::MissingPackage {
                round,
                trustee: TrusteeIndex::from_slot(slot),
            })
        })
        .collect()
}

/// Every check on rounds 1–2 (see [`part3`]).
pub(crate) fn check_reveals(
    policy: TrusteePolicy,
    manifest_digest: &[u8; 32],
    round1_packages: &[round1::Package],
    round2_packages: &[round2::Package],
) -> Result<PublicView, TrusteeError> {
    let r1 = by_trustee(policy, 1, round1_packages, |p| p.trustee)?;
    let r2 = by_trustee(policy, 2, round2_packages, |p| p.trustee)?;
    let k = usize::from(policy.threshold);
    let mut errors = Vec::new();
    for (commitment, reveal) in r1.iter().zip(&r2) {
        if reveal.commitments.len() != k || reveal.proofs.len() != k {
            errors.push(TrusteeError::CommitmentCount {
                dealer: reveal.trustee,
                expected: policy.threshold,
                commitments: reveal.commitments.len(),
                proofs: reveal.proofs.len(),
            });
        } else if reveal.commitment_digest(manifest_digest) != commitment.digest {
            errors.push(TrusteeError::RevealMismatch {
                dealer: reveal.trustee,
            });
        }
    }
    if !errors.is_empty() {
        return Err(TrusteeError::from_list(errors));
    }
    // (dealer, Some(j) for coefficient j or None for the encryption key, public point, proof)
    let items: Vec<(TrusteeIndex, Option<u16>, &Element, &SchnorrProof)> = r2
        .iter()
        .flat_map(|r| {
            (0u16..)
                .zip(r.commitments.iter().zip(&r.proofs))
                .map(|(j, (c, p))| (r.trustee, Some(j), c, p))
                .chain([(r.trustee, None, &r.encryption_key, &r.encryption_proof)])
        })
        .collect();
    verify_batch(
        &items,
        &[],
        |(dealer, j, c, p), msm| {
            let mut t = match j {
                Some(j) => possession_transcript(manifest_digest, *dealer, *j),
                None => sealed::encryption_key_transcript(manifest_digest, *dealer),
            };
            p.accumulate(&SchnorrStatement { public: **c }, &mut t, msm);
            Ok::<(), TrusteeError>(())
        },
        |i| match items[i].1 {
            Some(coefficient) => TrusteeError::PossessionProof {
                dealer: items[i].0,
                coefficient,
            },
            None => TrusteeError::EncryptionKeyProof { dealer: items[i].0 },
        },
    )
    .map_err(|failures| TrusteeError::from_list(failures.into_iter().map(|(_, e)| e).collect()))?;

    let mut h = tagged_hash(purpose::TRUSTEE_REVEALS);
    h.update(manifest_digest);
    h.update(policy.count.to_be_bytes());
    h.update(policy.threshold.to_be_bytes());
    for p in &r1 {
        h.update(p.digest);
    }
    for r in &r2 {
        h.update(r.trustee.get().to_be_bytes());
        for c in &r.commitments {
            h.update(c.as_bytes());
        }
        for p in &r.proofs {
            h.update(p.encode());
        }
        h.update(r.encryption_key.as_bytes());
        h.update(r.encryption_proof.encode());
    }
    Ok(PublicView {
        commitments: r2.iter().map(|r| r.commitments.clone()).collect(),
        encryption_keys: r2.iter().map(|r| r.encryption_key).collect(),
        reveals_digest: h.finalize().into(),
    })
}

/// The revealed shares, by (dealer, accuser).
pub(crate) type Answers = BTreeMap<(TrusteeIndex, TrusteeIndex), Scalar>;

/// Complaints and answers → qualified set → public key set (see [`finish`]). Returns also the
/// answers, by (dealer, accuser).
pub(crate) fn qualify(
    policy: TrusteePolicy,
    manifest_digest: &[u8; 32],
    commitments: &[Vec<Element>],
    reveals_digest: &[u8; 32],
    round4_packages: &[round4::Package],
    round5_packages: &[round5::Package],
) -> Result<(PublicKeySet, Answers), TrusteeError> {
    let n = usize::from(policy.count);
    // A trustee with no round-4 package (silent past the deadline) complained about no one.
    let r4: Vec<&round4::Package> = at_most_one_each(policy, 4, round4_packages, |p| p.trustee)?
        .into_iter()
        .flatten()
        .collect();
    // complained[accused][accuser]
    let mut complained = vec![vec![false; n]; n];
    let mut complaints = Vec::new();
    for package in &r4 {
        let accuser = package.trustee;
        for &accused in &package.accused {
            let invalid = TrusteeError::InvalidComplaint {
                accuser,
                accused: accused.get(),
            };
            if accused.check(policy).is_err() || accused == accuser {
                return Err(invalid);
            }
            let seen = &mut complained[accused.slot()][accuser.slot()];
            if *seen {
                return Err(invalid);
            }
            *seen = true;
            complaints.push(Complaint { accuser, accused });
        }
    }
    complaints.sort_unstable();

    let mut answered_dealers = vec![false; n];
    let mut answers = BTreeMap::new();
    for package in round5_packages {
        let dealer = package.dealer.check(policy)?;
        if std::mem::replace(&mut answered_dealers[dealer.slot()], true) {
            return Err(TrusteeError::DuplicatePackage {
                round: 5,
                trustee: dealer,
            });
        }
        for answer in &package.answers {
            let accuser = answer.accuser.check(policy)?;
            if !complained[dealer.slot()][accuser.slot()] {
                return Err(TrusteeError::UnsolicitedAnswer { dealer, accuser });
            }
            if answers.insert((dealer, accuser), answer.share).is_some() {
                return Err(TrusteeError::DuplicateAnswer { dealer, accuser });
            }
        }
    }

    let mut excluded = vec![false; n];
    // A dealer accused by k or more trustees is excluded without answers: answering k
    // complaints in public would reveal k points of its polynomial, hence its secret a_{i,0}
    // (Gennaro, Jarecki, Krawczyk, Rabin). At least one of k accusers is honest.
    let mut accusations = vec![0usize; n];
    for c in &complaints {
        accusations[c.accused.slot()] += 1;
    }
    for (slot, count) in accusations.iter().enumerate() {
        if *count >= usize::from(policy.threshold) {
            excluded[slot] = true;
        }
    }
    for c in &complaints {
        let resolved = answers.get(&(c.accused, c.accuser)).is_some_and(|s| {
            RistrettoPoint::mul_base(s)
                == eval_commitments_vartime(&commitments[c.accused.slot()], c.accuser)
        });
        if !resolved {
            excluded[c.accused.slot()] = true;
        }
    }
    let qualified: Vec<TrusteeIndex> = TrusteeIndex::all(policy)
        .filter(|i| !excluded[i.slot()])
        .collect();
    if qualified.len() < usize::from(policy.threshold) {
        return Err(TrusteeError::TooFewQualified {
            qualified: qualified.len(),
            threshold: policy.threshold,
            excluded: TrusteeIndex::all(policy)
                .filter(|i| excluded[i.slot()])
                .collect(),
        });
    }

    // Σ_{i∈Q} C_{i,j} for each j, then X_m = Σ_j m^j·(Σ_i C_{i,j}).
    let k = usize::from(policy.threshold);
    let mut summed = vec![RistrettoPoint::identity(); k];
    for dealer in &qualified {
        for (acc, c) in summed.iter_mut().zip(&commitments[dealer.slot()]) {
            *acc += c.point();
        }
    }
    let joint_key = Element::from_point_as(summed[0], "joint_key")
        .map_err(|_| TrusteeError::IdentityJointKey)?;
    let mut verification_shares = Vec::with_capacity(n);
    for m in TrusteeIndex::all(policy) {
        let point = RistrettoPoint::vartime_multiscalar_mul(powers(m.scalar(), k), &summed);
        verification_shares.push(
            Element::from_point_as(point, "verification_share")
                .map_err(|_| TrusteeError::IdentityVerificationShare { trustee: m })?,
        );
    }

    let mut h = tagged_hash(purpose::TRUSTEE_CEREMONY);
    h.update(manifest_digest);
    h.update(policy.count.to_be_bytes());
    h.update(policy.threshold.to_be_bytes());
    h.update(reveals_digest);
    h.update((complaints.len() as u32).to_be_bytes());
    for c in &complaints {
        h.update(c.accuser.get().to_be_bytes());
        h.update(c.accused.get().to_be_bytes());
    }
    h.update((answers.len() as u32).to_be_bytes());
    for ((dealer, accuser), share) in &answers {
        h.update(dealer.get().to_be_bytes());
        h.update(accuser.get().to_be_bytes());
        h.update(share.as_bytes());
    }
    h.update((qualified.len() as u16).to_be_bytes());
    for i in &qualified {
        h.update(i.get().to_be_bytes());
    }
    let ceremony_digest: [u8; 32] = h.finalize().into();

    let public = PublicKeySet::new(
        policy,
        *manifest_digest,
        joint_key,
        verification_shares,
        qualified,
        ceremony_digest,
    )?;
    Ok((public, answers))
}

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

fn coefficient_transcript(manifest_digest: &[u8; 32], trustee: TrusteeIndex) -> Transcript {
    let mut t = election_transcript(purpose::TRUSTEE_COEFFICIENTS, manifest_digest);
    t.append_u64(label::TRUSTEE, u64::from(trustee.get()));
    t.append_u64(label::ROUND, 1);
    t
}

pub(crate) fn possession_transcript(
    manifest_digest: &[u8; 32],
    dealer: TrusteeIndex,
    coefficient: u16,
) -> Transcript {
    let mut t = election_transcript(purpose::TRUSTEE_POSSESSION, manifest_digest);
    t.append_u64(label::TRUSTEE, u64::from(dealer.get()));
    t.append_u64(label::COEFFICIENT, u64::from(coefficient));
    t.append_u64(label::ROUND, 1);
    t
}

/// A uniformly random non-zero scalar. (Zero comes up with probability 2⁻²⁵²; the branch
/// reveals only that it did.)
fn nonzero_random_scalar<R: RngCore>(rng: &mut R) -> Scalar {
    loop {
        let s = random_scalar(rng);
        if s != Scalar::ZERO {
            return s;
        }
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

/// `s·G = Σ_j at^j·C_j`.
fn share_matches(s: &SecretScalar, commitments: &[Element], at: TrusteeIndex) -> bool {
    RISTRETTO_BASEPOINT_TABLE * s.expose() == eval_commitments_vartime(commitments, at)
}

fn copy_secret(secret: &SecretScalar) -> SecretScalar {
    SecretScalar::new(*secret.expose())
}

fn read_encryption_secret(r: &mut Reader<'_>) -> Result<SecretScalar, TrusteeError> {
    let e = SecretScalar::new(r.scalar("trustee_secret.encryption_secret")?);
    if *e.expose() == Scalar::ZERO {
        return Err(TrusteeError::CorruptSecret {
            reason: "a zero encryption secret",
        });
    }
    Ok(e)
}

fn copy_secrets(secrets: &[SecretScalar]) -> Vec<SecretScalar> {
    secrets
        .iter()
        .map(|s| SecretScalar::new(*s.expose()))
        .collect()
}

// --- saved layouts --------------------------------------------------------------------------

/// `2 n ‖ 2 k ‖ 2 i ‖ 32 manifest digest`.
const FRAME_LEN: usize = 2 + 2 + 2 + 32;

fn put_frame(out: &mut Vec<u8>, trustee: TrusteeIndex, policy: TrusteePolicy, md: &[u8; 32]) {
    out.extend_from_slice(&policy.count.to_be_bytes());
    out.extend_from_slice(&policy.threshold.to_be_bytes());
    out.extend_from_slice(&trustee.get().to_be_bytes());
    out.extend_from_slice(md);
}

fn read_frame(r: &mut Reader<'_>) -> Result<(TrusteeIndex, TrusteePolicy, [u8; 32]), TrusteeError> {
    let policy = persist::read_policy(r)?;
    let trustee = persist::read_index(r, policy, "trustee_secret.trustee")?;
    let md = r.array32("trustee_secret.manifest_digest")?;
    Ok((trustee, policy, md))
}

fn put_coefficients(out: &mut Vec<u8>, coefficients: &[SecretScalar]) {
    for a in coefficients {
        persist::put_secret(out, a.expose());
    }
}

fn read_coefficients(
    r: &mut Reader<'_>,
    policy: TrusteePolicy,
) -> Result<Vec<SecretScalar>, TrusteeError> {
    let coefficients = persist::read_secrets(
        r,
        usize::from(policy.threshold),
        "trustee_secret.coefficients",
    )?;
    if coefficients.iter().any(|a| *a.expose() == Scalar::ZERO) {
        return Err(TrusteeError::CorruptSecret {
            reason: "a zero coefficient",
        });
    }
    Ok(coefficients)
}

fn put_proofs(out: &mut Vec<u8>, proofs: &[SchnorrProof]) {
    for p in proofs {
        out.extend_from_slice(&p.encode());
    }
}

fn read_proofs(
    r: &mut Reader<'_>,
    policy: TrusteePolicy,
) -> Result<Vec<SchnorrProof>, TrusteeError> {
    let k = usize::from(policy.threshold);
    persist::need(r, k * SchnorrProof::LEN, "trustee_secret.proofs")?;
    let mut proofs = Vec::with_capacity(k);
    for _ in 0..k {
        proofs.push(SchnorrProof::decode(
            r.take(SchnorrProof::LEN, "trustee_secret.proofs")?,
        )?);
    }
    Ok(proofs)
}

fn commit(coefficients: &[SecretScalar]) -> Vec<Element> {
    coefficients
        .iter()
        .map(|a| Element::from_point_unchecked(RISTRETTO_BASEPOINT_TABLE * a.expose()))
        .collect()
}

/// The reveal of saved coefficients and proofs, checking the proofs.
fn rebuild_reveal(
    trustee: TrusteeIndex,
    manifest_digest: &[u8; 32],
    coefficients: &[SecretScalar],
    encryption_secret: &SecretScalar,
    proofs: Vec<SchnorrProof>,
) -> Result<round2::Package, TrusteeError> {
    let commitments = commit(coefficients);
    let ok = commitments
        .iter()
        .zip(&proofs)
        .zip(0u16..)
        .all(|((c, p), j)| {
            let mut t = possession_transcript(manifest_digest, trustee, j);
            p.verify(&SchnorrStatement { public: *c }, &mut t).is_ok()
        });
    if !ok {
        return Err(TrusteeError::CorruptSecret {
            reason: "a saved proof of possession does not match its coefficient",
        });
    }
    let (encryption_key, encryption_proof) =
        sealed::encryption_key(manifest_digest, trustee, encryption_secret);
    Ok(round2::Package {
        trustee,
        commitments,
        proofs,
        encryption_key,
        encryption_proof,
    })
}

fn round3_body_len(policy: TrusteePolicy) -> usize {
    let (n, k) = (usize::from(policy.count), usize::from(policy.threshold));
    FRAME_LEN + 32 * k + 32 + 32 + 32 * n * k + 32 * n
}

/// The fields the round-3 and round-4 states share, borrowed for saving.
struct Round3BodyRef<'a> {
    trustee: TrusteeIndex,
    policy: TrusteePolicy,
    manifest_digest: &'a [u8; 32],
    coefficients: &'a [SecretScalar],
    encryption_secret: &'a SecretScalar,
    reveals_digest: &'a [u8; 32],
    commitments: &'a [Vec<Element>],
    encryption_keys: &'a [Element],
}

fn put_round3_body(out: &mut Vec<u8>, body: &Round3BodyRef<'_>) {
    put_frame(out, body.trustee, body.policy, body.manifest_digest);
    put_coefficients(out, body.coefficients);
    persist::put_secret(out, body.encryption_secret.expose());
    out.extend_from_slice(body.reveals_digest);
    for dealer in body.commitments {
        for c in dealer {
            out.extend_from_slice(c.as_bytes());
        }
    }
    for key in body.encryption_keys {
        out.extend_from_slice(key.as_bytes());
    }
}

struct Round3Body {
    trustee: TrusteeIndex,
    policy: TrusteePolicy,
    manifest_digest: [u8; 32],
    coefficients: Vec<SecretScalar>,
    encryption_secret: SecretScalar,
    reveals_digest: [u8; 32],
    commitments: Vec<Vec<Element>>,
    encryption_keys: Vec<Element>,
}

fn read_round3_body(r: &mut Reader<'_>) -> Result<Round3Body, TrusteeError> {
    let (trustee, policy, manifest_digest) = read_frame(r)?;
    let coefficients = read_coefficients(r, policy)?;
    let encryption_secret = read_encryption_secret(r)?;
    let reveals_digest = r.array32("round3_secret.reveals_digest")?;
    let (n, k) = (usize::from(policy.count), usize::from(policy.threshold));
    persist::need(r, 32 * n * k + 32 * n, "round3_secret.commitments")?;
    let mut commitments = Vec::with_capacity(n);
    for _ in 0..n {
        let mut dealer = Vec::with_capacity(k);
        for _ in 0..k {
            dealer.push(r.element("round3_secret.commitments")?);
        }
        commitments.push(dealer);
    }
    let mut encryption_keys = Vec::with_capacity(n);
    for _ in 0..n {
        encryption_keys.push(r.element("round3_secret.encryption_keys")?);
    }
    if commit(&coefficients) != commitments[trustee.slot()] {
        return Err(TrusteeError::CorruptSecret {
            reason: "the trustee's own commitments are not its coefficients'",
        });
    }
    if sealed::encryption_key(&manifest_digest, trustee, &encryption_secret).0
        != encryption_keys[trustee.slot()]
    {
        return Err(TrusteeError::CorruptSecret {
            reason: "the trustee's own encryption key is not its encryption secret's",
        });
    }
    Ok(Round3Body {
        trustee,
        policy,
        manifest_digest,
        coefficients,
        encryption_secret,
        reveals_digest,
        commitments,
        encryption_keys,
    })
}

#[cfg(test)]
mod tests;
