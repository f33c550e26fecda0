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
//! and `v` is a bounded discrete logarithm ([`crate::dlog`]). No secret is ever reconstructed,
//! the result is the same for every `k`-subset, and invalid shares are skipped and named.
//!
//! Every share's proofs bind the [`BoardHead`] (head digest and number of entries) of the board
//! it decrypts, and a [`TrusteeKey`] decrypts one tally only: asked again for the same tally it
//! gives the identical share, for any other it refuses ([`TrusteeError::AlreadyDecrypted`]).
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

use crate::dlog::DlogError;
use crate::error::EncodingError;
use crate::group::Element;
use crate::manifest::{MAX_TRUSTEES, PolicyError, TrusteePolicy};
use crate::transcript::{PROTOCOL_VERSION, TRANSCRIPT_LABEL};

pub use decryption::{
    BoardHead, Decryption, DecryptionRun, DecryptionShare, PartialDecryption, combine,
    verify_decryption,
};
pub use dkg::{
    CeremonyTranscript, Complaint, SavedState, finish, part1, part2, part3, part4,
    resolve_complaints, round1, round2, round3, round4, round5, run_ceremony, verify_ceremony,
};
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
    /// [`TrusteeError::ZeroIndex`] for 0.
    pub fn new(index: u16) -> Result<Self, TrusteeError> {
        if index == 0 {
            Err(TrusteeError::ZeroIndex)
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
    /// [`TrusteeError::IndexOutOfRange`] if `l > n`.
    pub fn check(self, policy: TrusteePolicy) -> Result<Self, TrusteeError> {
        if self.0 > policy.count() {
            Err(TrusteeError::IndexOutOfRange {
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
    type Error = TrusteeError;

    fn try_from(index: u16) -> Result<Self, TrusteeError> {
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

/// Why a step of key generation or decryption failed, and who is to blame
/// ([`TrusteeError::culprits`]).
///
/// Rounds are numbered as in the [module documentation](self): 1 commitment digests, 2 reveals,
/// 3 private shares, 4 complaints, 5 answers.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TrusteeError {
    /// Trustee index 0.
    #[error("trustee index 0 is not allowed: indices run from 1 to n")]
    ZeroIndex,
    /// A trustee index above `n`.
    #[error("trustee index {index} is outside 1..={count}")]
    IndexOutOfRange {
        /// The index found.
        index: u16,
        /// `n`.
        count: u16,
    },
    /// A saved secret whose policy is not `1 ≤ k ≤ n ≤ MAX_TRUSTEES`.
    #[error("invalid trustee policy: {0}")]
    Policy(#[from] PolicyError),
    /// The policy given is not the manifest's.
    #[error(
        "the trustee policy {threshold} of {count} is not the manifest's \
         {manifest_threshold} of {manifest_count}"
    )]
    PolicyMismatch {
        /// `n` given.
        count: u16,
        /// `k` given.
        threshold: u16,
        /// The manifest's `n`.
        manifest_count: u16,
        /// The manifest's `k`.
        manifest_threshold: u16,
    },
    /// Two packages of one round claim the same trustee.
    #[error("round {round}: more than one package from trustee {trustee}")]
    DuplicatePackage {
        /// The round.
        round: u8,
        /// The trustee.
        trustee: TrusteeIndex,
    },
    /// A published ceremony whose packages of a round are not in ascending trustee order (the
    /// record has one canonical form).
    #[error("round {round}: the package of trustee {trustee} is out of ascending order")]
    PackageOrder {
        /// The round.
        round: u8,
        /// The first trustee out of order.
        trustee: TrusteeIndex,
    },
    /// A published ceremony in which a round-4 package's accused dealers, or a round-5
    /// package's answers (by accuser), are not in strictly ascending order (one canonical form).
    #[error(
        "round {round}: the list in trustee {trustee}'s package is not in strictly ascending order"
    )]
    ListOrder {
        /// The round (4 or 5).
        round: u8,
        /// The trustee whose package holds the list.
        trustee: TrusteeIndex,
    },
    /// A published ceremony whose round 4 lists a package without complaints, or round 5 one
    /// without answers: those rounds of the record list only the trustees that complained or
    /// answered (one canonical form; silence and an empty package mean the same).
    #[error(
        "round {round}: the package of trustee {trustee} is empty; the record lists only packages with complaints (round 4) or answers (round 5)"
    )]
    EmptyPackage {
        /// The round (4 or 5).
        round: u8,
        /// The trustee of the empty package.
        trustee: TrusteeIndex,
    },
    /// A trustee's package of a round is missing.
    #[error("round {round}: no package from trustee {trustee}")]
    MissingPackage {
        /// The round.
        round: u8,
        /// The trustee.
        trustee: TrusteeIndex,
    },
    /// A package differs from the one of the same trustee and round seen before (equivocation,
    /// or the caller passed other packages than in the previous step).
    #[error("round {round}: trustee {trustee}'s package differs from the one seen earlier")]
    Equivocation {
        /// The round.
        round: u8,
        /// The trustee.
        trustee: TrusteeIndex,
    },
    /// Round 2: a reveal that does not hash to the dealer's round-1 digest (a rushing trustee).
    #[error("round 2: trustee {dealer}'s reveal does not match its round-1 commitment digest")]
    RevealMismatch {
        /// The dealer.
        dealer: TrusteeIndex,
    },
    /// Round 2: a reveal without exactly `k` commitments and `k` proofs.
    #[error(
        "round 2: trustee {dealer} revealed {commitments} commitments and {proofs} proofs; \
         the threshold needs {expected} of each"
    )]
    CommitmentCount {
        /// The dealer.
        dealer: TrusteeIndex,
        /// `k`.
        expected: u16,
        /// Commitments found.
        commitments: usize,
        /// Proofs found.
        proofs: usize,
    },
    /// Round 2: a proof of possession that does not verify (a rogue key, or a proof copied from
    /// another dealer, coefficient or election).
    #[error(
        "round 2: trustee {dealer}'s proof of possession of coefficient {coefficient} \
         does not verify"
    )]
    PossessionProof {
        /// The dealer.
        dealer: TrusteeIndex,
        /// The coefficient index `j`.
        coefficient: u16,
    },
    /// Round 2: a proof of possession of the share-encryption key that does not verify (a key
    /// copied from another trustee or election, or one its sender cannot use).
    #[error(
        "round 2: trustee {dealer}'s proof of possession of its encryption key does not verify"
    )]
    EncryptionKeyProof {
        /// The dealer.
        dealer: TrusteeIndex,
    },
    /// Round 4: a complaint against oneself, against a non-trustee, or repeated.
    #[error(
        "round 4: trustee {accuser}'s complaint against {accused} is invalid (self, out of range or repeated)"
    )]
    InvalidComplaint {
        /// The complaining trustee.
        accuser: TrusteeIndex,
        /// The index it accuses (possibly not a trustee).
        accused: u16,
    },
    /// Round 5: an answer to a complaint nobody made.
    #[error(
        "round 5: trustee {dealer} answered a complaint by trustee {accuser} that was never made"
    )]
    UnsolicitedAnswer {
        /// The answering dealer.
        dealer: TrusteeIndex,
        /// The accuser named in the answer.
        accuser: TrusteeIndex,
    },
    /// Round 5: two answers to one complaint.
    #[error("round 5: trustee {dealer} answered trustee {accuser}'s complaint more than once")]
    DuplicateAnswer {
        /// The answering dealer.
        dealer: TrusteeIndex,
        /// The accuser.
        accuser: TrusteeIndex,
    },
    /// Fewer than `k` dealers remain after exclusions.
    #[error(
        "only {qualified} dealers qualified; the threshold is {threshold} (excluded: {excluded:?})"
    )]
    TooFewQualified {
        /// `|Q|`.
        qualified: usize,
        /// `k`.
        threshold: u16,
        /// The excluded dealers.
        excluded: Vec<TrusteeIndex>,
    },
    /// `K = Σ_{i∈Q} C_{i,0}` is the identity: the ceremony is aborted.
    #[error("the joint key is the identity: the ceremony is aborted")]
    IdentityJointKey,
    /// A verification share `X_l` is the identity: the ceremony is aborted.
    #[error("trustee {trustee}'s verification share is the identity: the ceremony is aborted")]
    IdentityVerificationShare {
        /// The trustee.
        trustee: TrusteeIndex,
    },
    /// A public key set that is not internally consistent.
    #[error("public key set: {reason}")]
    InvalidKeySet {
        /// What is wrong.
        reason: &'static str,
    },
    /// The election was not set up with this key set or key.
    #[error("the election does not use this trustee key: {reason}")]
    ElectionMismatch {
        /// What differs.
        reason: &'static str,
    },
    /// A decryption share without one part per aggregate.
    #[error("decryption share of trustee {trustee}: {found} parts for {expected} aggregates")]
    SharePartCount {
        /// The trustee.
        trustee: TrusteeIndex,
        /// The number of aggregates.
        expected: usize,
        /// Parts found.
        found: usize,
    },
    /// A decryption share with a part where the aggregate's `A` is the identity, or none where
    /// it is not.
    #[error(
        "decryption share of trustee {trustee}, aggregate {aggregate}: a part must be present \
         exactly when A is not the identity"
    )]
    SharePartShape {
        /// The trustee.
        trustee: TrusteeIndex,
        /// The aggregate index.
        aggregate: usize,
    },
    /// A decryption share whose DLEQ proof fails (a wrong `D`, or a forged proof).
    #[error(
        "decryption share of trustee {trustee}, aggregate {aggregate}: the proof does not verify"
    )]
    DecryptionProof {
        /// The trustee.
        trustee: TrusteeIndex,
        /// The first aggregate whose proof fails.
        aggregate: usize,
    },
    /// A decryption share made for the tally of another board than the one being decrypted
    /// (a doctored board, or the published board rewritten after the decryption).
    #[error(
        "decryption share of trustee {trustee}: made for the board with {found}, not for the \
         board being decrypted, with {expected}"
    )]
    ShareHead {
        /// The trustee.
        trustee: TrusteeIndex,
        /// The board the share binds.
        found: BoardHead,
        /// The board being decrypted (`record.json`'s `board_head` and `board_entries`).
        expected: BoardHead,
    },
    /// A trustee key asked to decrypt a second tally: a key decrypts one tally per election
    /// (`TrusteeKey::decrypt_share`).
    #[error(
        "trustee {trustee}'s key already decrypted the tally of the board with {head}; a key \
         decrypts one tally only, and this is another one"
    )]
    AlreadyDecrypted {
        /// The trustee.
        trustee: TrusteeIndex,
        /// The board whose tally the key decrypted.
        head: BoardHead,
    },
    /// Two decryption shares claim the same trustee.
    #[error("two decryption shares from trustee {trustee}")]
    DuplicateShare {
        /// The trustee.
        trustee: TrusteeIndex,
    },
    /// Fewer than `k` valid decryption shares.
    #[error("{valid} valid decryption shares; {threshold} are needed (invalid: {skipped:?})")]
    TooFewShares {
        /// Valid shares.
        valid: usize,
        /// `k`.
        threshold: u16,
        /// The trustees whose shares were invalid.
        skipped: Vec<TrusteeIndex>,
    },
    /// Not one claimed value per aggregate.
    #[error("{claimed} claimed values for {aggregates} aggregates")]
    ClaimCount {
        /// Values claimed.
        claimed: usize,
        /// Aggregates.
        aggregates: usize,
    },
    /// A claimed plaintext that is not the decryption of its aggregate.
    #[error("aggregate {aggregate}: the claimed value {claimed} is not its decryption")]
    ClaimMismatch {
        /// The aggregate index.
        aggregate: usize,
        /// The value claimed.
        claimed: u64,
    },
    /// The decrypted point of an aggregate is not `v·G` for a `v` within the bound.
    #[error("aggregate {aggregate}: {source}")]
    Tally {
        /// The aggregate index.
        aggregate: usize,
        /// The discrete-logarithm failure.
        source: DlogError,
    },
    /// The bound of the discrete-logarithm table was refused.
    #[error("discrete-logarithm table: {0}")]
    TallyBound(DlogError),
    /// Saved key material or a private share that is not a canonical encoding.
    #[error("trustee secret encoding: {0}")]
    Encoding(#[from] EncodingError),
    /// Saved key material that decodes but is inconsistent (corrupted on disk).
    #[error("trustee secret is inconsistent: {reason}")]
    CorruptSecret {
        /// What does not match.
        reason: &'static str,
    },
    /// Bytes that do not begin with the frame of a saved trustee secret
    /// (`"NVK" ‖ version ‖ kind`, spec §10.8).
    #[error("not a nullivote trustee secret")]
    NotATrusteeSecret,
    /// A saved trustee secret of another version of the protocol.
    #[error("a trustee secret of version {found}; this nullivote reads version {supported}")]
    SecretVersion {
        /// The version found.
        found: u16,
        /// The version this implementation reads.
        supported: u16,
    },
    /// A saved trustee secret of another kind than the loader's, or of a kind this version
    /// does not know.
    #[error("a trustee secret of kind {found}, not {expected}")]
    SecretKind {
        /// The kind byte found.
        found: u8,
        /// What the loader reads.
        expected: &'static str,
    },
    /// Several of the errors above at once (a batch check that blamed more than one item).
    #[error("{} failures: {}", .0.len(), join(.0))]
    Several(Vec<TrusteeError>),
}

fn join(errors: &[TrusteeError]) -> String {
    errors
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

impl TrusteeError {
    /// The trustees this error blames, ascending and without repeats; empty when the failure is
    /// the caller's or cannot be attributed.
    pub fn culprits(&self) -> Vec<TrusteeIndex> {
        let mut out = match self {
            Self::ZeroIndex
            | Self::IndexOutOfRange { .. }
            | Self::Policy(_)
            | Self::PolicyMismatch { .. }
            | Self::IdentityJointKey
            | Self::IdentityVerificationShare { .. }
            | Self::InvalidKeySet { .. }
            | Self::ElectionMismatch { .. }
            | Self::ClaimCount { .. }
            | Self::ClaimMismatch { .. }
            | Self::Tally { .. }
            | Self::TallyBound(_)
            | Self::Encoding(_)
            | Self::CorruptSecret { .. }
            | Self::NotATrusteeSecret
            | Self::SecretVersion { .. }
            | Self::SecretKind { .. }
            | Self::AlreadyDecrypted { .. }
            // The transcript's assembler put it there; a dealer may send an empty package.
            | Self::EmptyPackage { .. } => Vec::new(),
            Self::DuplicatePackage { trustee, .. }
            | Self::PackageOrder { trustee, .. }
            | Self::ListOrder { trustee, .. }
            | Self::MissingPackage { trustee, .. }
            | Self::Equivocation { trustee, .. }
            | Self::SharePartCount { trustee, .. }
            | Self::SharePartShape { trustee, .. }
            | Self::DecryptionProof { trustee, .. }
            | Self::ShareHead { trustee, .. }
            | Self::DuplicateShare { trustee } => vec![*trustee],
            Self::RevealMismatch { dealer }
            | Self::CommitmentCount { dealer, .. }
            | Self::PossessionProof { dealer, .. }
            | Self::EncryptionKeyProof { dealer }
            | Self::UnsolicitedAnswer { dealer, .. }
            | Self::DuplicateAnswer { dealer, .. } => vec![*dealer],
            Self::InvalidComplaint { accuser, .. } => vec![*accuser],
            Self::TooFewQualified { excluded, .. } => excluded.clone(),
            Self::TooFewShares { skipped, .. } => skipped.clone(),
            Self::Several(errors) => errors.iter().flat_map(Self::culprits).collect(),
        };
        out.sort_unstable();
        out.dedup();
        out
    }

    /// One error from a non-empty list: the error itself if alone, [`TrusteeError::Several`]
    /// otherwise.
    pub(crate) fn from_list(mut errors: Vec<TrusteeError>) -> Self {
        if errors.len() == 1 {
            errors.remove(0)
        } else {
            Self::Several(errors)
        }
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
        assert_eq!(TrusteeIndex::new(0), Err(TrusteeError::ZeroIndex));
        assert!(serde_json::from_str::<TrusteeIndex>("0").is_err());
        assert_eq!(
            serde_json::from_str::<TrusteeIndex>("3").unwrap(),
            TrusteeIndex::new(3).unwrap()
        );
        let policy = TrusteePolicy::new(3, 5).unwrap();
        assert!(TrusteeIndex::new(5).unwrap().check(policy).is_ok());
        assert_eq!(
            TrusteeIndex::new(6).unwrap().check(policy),
            Err(TrusteeError::IndexOutOfRange { index: 6, count: 5 })
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

    #[test]
    fn culprits_are_sorted_and_flattened() {
        let i = |x| TrusteeIndex::new(x).unwrap();
        let e = TrusteeError::Several(vec![
            TrusteeError::PossessionProof {
                dealer: i(4),
                coefficient: 1,
            },
            TrusteeError::RevealMismatch { dealer: i(2) },
            TrusteeError::PossessionProof {
                dealer: i(4),
                coefficient: 0,
            },
        ]);
        assert_eq!(e.culprits(), vec![i(2), i(4)]);
        assert!(e.to_string().contains("3 failures"));
        assert!(TrusteeError::IdentityJointKey.culprits().is_empty());
    }
}
