//! Why a trustee step failed, and who is to blame (spec §10.11): [`CeremonyError`] for key
//! generation (the rounds, the complaints, the published transcript, the saved states) and
//! [`DecryptionError`] for threshold decryption (the shares and their combination). Both name
//! trustees by number, and both list the trustees to blame with `culprits()`; [`IndexError`] is
//! what a trustee index alone can get wrong.

use core::fmt;

use super::TrusteeIndex;
use super::decryption::BoardHead;
use crate::dlog::DlogError;
use crate::error::EncodingError;
use crate::manifest::PolicyError;

/// A trustee index that is not one: 0, or above the policy's `n` (spec §10.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum IndexError {
    /// Trustee index 0 (the share at 0 would be the secret key itself).
    #[error("trustee index 0 is not allowed: indices run from 1 to n")]
    Zero,
    /// A trustee index above `n`.
    #[error("trustee index {index} is outside 1..={count}")]
    OutOfRange {
        /// The index found.
        index: u16,
        /// `n`.
        count: u16,
    },
}

/// Why a step of key generation failed, and who is to blame ([`CeremonyError::culprits`]).
///
/// Rounds are numbered as in the [module documentation](super): 1 commitment digests,
/// 2 reveals, 3 sealed shares, 4 complaints, 5 answers.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CeremonyError {
    /// A package or a saved state names an index that is not a trustee's.
    #[error(transparent)]
    Index(#[from] IndexError),
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
        "only {qualified} dealers qualified; the threshold is {threshold} (excluded: {})",
        trustees(.excluded)
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
    /// A saved secret whose policy is not `1 ≤ k ≤ n ≤ MAX_TRUSTEES`.
    #[error("invalid trustee policy: {0}")]
    Policy(#[from] PolicyError),
    /// Bytes without the frame of a saved trustee secret (`"NVK" ‖ version ‖ kind`,
    /// spec §10.8).
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
    /// A saved secret whose body is not a canonical encoding.
    #[error("trustee secret encoding: {0}")]
    Encoding(#[from] EncodingError),
    /// A saved secret that decodes but is inconsistent (corrupted on disk).
    #[error("trustee secret is inconsistent: {reason}")]
    CorruptSecret {
        /// What does not match.
        reason: &'static str,
    },
    /// Several of the errors above at once (a batch check that blamed more than one dealer).
    #[error("{} failures: {}", .0.len(), join(.0))]
    Several(Vec<CeremonyError>),
}

impl CeremonyError {
    /// The trustees this error blames (spec §10.11), ascending and without repeats; empty when
    /// the failure is the caller's or cannot be attributed.
    pub fn culprits(&self) -> Vec<TrusteeIndex> {
        let mut out = match self {
            Self::Index(_)
            | Self::PolicyMismatch { .. }
            | Self::IdentityJointKey
            | Self::IdentityVerificationShare { .. }
            | Self::InvalidKeySet { .. }
            | Self::Policy(_)
            | Self::NotATrusteeSecret
            | Self::SecretVersion { .. }
            | Self::SecretKind { .. }
            | Self::Encoding(_)
            | Self::CorruptSecret { .. }
            // The transcript's assembler put it there; a dealer may send an empty package.
            | Self::EmptyPackage { .. } => Vec::new(),
            Self::DuplicatePackage { trustee, .. }
            | Self::PackageOrder { trustee, .. }
            | Self::ListOrder { trustee, .. }
            | Self::MissingPackage { trustee, .. }
            | Self::Equivocation { trustee, .. } => vec![*trustee],
            Self::RevealMismatch { dealer }
            | Self::CommitmentCount { dealer, .. }
            | Self::PossessionProof { dealer, .. }
            | Self::EncryptionKeyProof { dealer }
            | Self::UnsolicitedAnswer { dealer, .. }
            | Self::DuplicateAnswer { dealer, .. } => vec![*dealer],
            Self::InvalidComplaint { accuser, .. } => vec![*accuser],
            Self::TooFewQualified { excluded, .. } => excluded.clone(),
            Self::Several(errors) => errors.iter().flat_map(Self::culprits).collect(),
        };
        out.sort_unstable();
        out.dedup();
        out
    }

    /// One error from a non-empty list: the error itself if alone, [`CeremonyError::Several`]
    /// otherwise.
    pub(crate) fn from_list(mut errors: Vec<Self>) -> Self {
        if errors.len() == 1 {
            errors.remove(0)
        } else {
            Self::Several(errors)
        }
    }
}

/// Why a step of threshold decryption failed, and who is to blame
/// ([`DecryptionError::culprits`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DecryptionError {
    /// A decryption share of an index that is not a trustee's.
    #[error(transparent)]
    Index(#[from] IndexError),
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
    #[error(
        "{valid} valid decryption shares; {threshold} are needed (invalid: {})",
        trustees(.skipped)
    )]
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
    /// A trustee key whose state is inconsistent (its decryption was not recorded).
    #[error("trustee key is inconsistent: {reason}")]
    CorruptKey {
        /// What does not match.
        reason: &'static str,
    },
    /// Several of the errors above at once (a batch check that blamed more than one share).
    #[error("{} failures: {}", .0.len(), join(.0))]
    Several(Vec<DecryptionError>),
}

impl DecryptionError {
    /// The trustees this error blames (spec §10.11), ascending and without repeats; empty when
    /// the failure is the caller's or cannot be attributed.
    pub fn culprits(&self) -> Vec<TrusteeIndex> {
        let mut out = match self {
            Self::Index(_)
            | Self::ElectionMismatch { .. }
            | Self::ClaimCount { .. }
            | Self::ClaimMismatch { .. }
            | Self::Tally { .. }
            | Self::TallyBound(_)
            | Self::CorruptKey { .. }
            | Self::AlreadyDecrypted { .. } => Vec::new(),
            Self::SharePartCount { trustee, .. }
            | Self::SharePartShape { trustee, .. }
            | Self::DecryptionProof { trustee, .. }
            | Self::ShareHead { trustee, .. }
            | Self::DuplicateShare { trustee } => vec![*trustee],
            Self::TooFewShares { skipped, .. } => skipped.clone(),
            Self::Several(errors) => errors.iter().flat_map(Self::culprits).collect(),
        };
        out.sort_unstable();
        out.dedup();
        out
    }

    /// One error from a non-empty list: the error itself if alone,
    /// [`DecryptionError::Several`] otherwise.
    pub(crate) fn from_list(mut errors: Vec<Self>) -> Self {
        if errors.len() == 1 {
            errors.remove(0)
        } else {
            Self::Several(errors)
        }
    }
}

fn join<E: fmt::Display>(errors: &[E]) -> String {
    errors
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

/// `trustee 3`, `trustees 1, 4`, or `none`: trustees by number, for messages.
fn trustees(list: &[TrusteeIndex]) -> String {
    let numbers: Vec<String> = list.iter().map(ToString::to_string).collect();
    match numbers.len() {
        0 => "none".to_owned(),
        1 => format!("trustee {}", numbers[0]),
        _ => format!("trustees {}", numbers.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn i(x: u16) -> TrusteeIndex {
        TrusteeIndex::new(x).unwrap()
    }

    #[test]
    fn culprits_are_sorted_and_flattened() {
        let e = CeremonyError::Several(vec![
            CeremonyError::PossessionProof {
                dealer: i(4),
                coefficient: 1,
            },
            CeremonyError::RevealMismatch { dealer: i(2) },
            CeremonyError::PossessionProof {
                dealer: i(4),
                coefficient: 0,
            },
        ]);
        assert_eq!(e.culprits(), vec![i(2), i(4)]);
        assert!(e.to_string().contains("3 failures"));
        assert!(CeremonyError::IdentityJointKey.culprits().is_empty());
        let e = DecryptionError::Several(vec![
            DecryptionError::DuplicateShare { trustee: i(3) },
            DecryptionError::SharePartShape {
                trustee: i(1),
                aggregate: 0,
            },
        ]);
        assert_eq!(e.culprits(), vec![i(1), i(3)]);
    }

    /// Messages name trustees by number, never by Rust's `Debug` of the index type.
    #[test]
    fn messages_name_trustees_by_number() {
        let e = CeremonyError::TooFewQualified {
            qualified: 2,
            threshold: 3,
            excluded: vec![i(1), i(4), i(5)],
        };
        assert_eq!(
            e.to_string(),
            "only 2 dealers qualified; the threshold is 3 (excluded: trustees 1, 4, 5)"
        );
        assert_eq!(e.culprits(), vec![i(1), i(4), i(5)]);
        let e = DecryptionError::TooFewShares {
            valid: 1,
            threshold: 2,
            skipped: vec![i(2)],
        };
        assert_eq!(
            e.to_string(),
            "1 valid decryption shares; 2 are needed (invalid: trustee 2)"
        );
        let e = DecryptionError::TooFewShares {
            valid: 1,
            threshold: 2,
            skipped: vec![],
        };
        assert!(e.to_string().ends_with("(invalid: none)"));
        assert!(!e.to_string().contains("TrusteeIndex"));
    }
}
