//! Making a ballot.
//!
//! ```text
//! N      = x·H_E
//! rᵢⱼ    ← hedged RNG: transcript(ballot-nonces, base_hash, channel, N) rekeyed with x and
//!          every vote, finalised with the OS RNG; drawn in contest, then option, order
//! (Aᵢⱼ, Bᵢⱼ) = (rᵢⱼ·G, vᵢⱼ·G + rᵢⱼ·K)
//! πᵢⱼ    = range proof vᵢⱼ ∈ 0..=option_limitᵢ   under transcript(selection; N, contest i, option j)
//! σᵢ     = range proof Σⱼ vᵢⱼ ∈ minᵢ..=maxᵢ      under transcript(contest-sum; N, contest i)
//! proof  = DLEQ(G, X, H_E, N)                     under transcript(eligibility; ballot body)
//! ```
//!
//! [`prepare`] returns a [`PreparedBallot`] that is either cast ([`PreparedBallot::cast`]) or
//! challenged ([`PreparedBallot::challenge`]), never both: both consume it.

use curve25519_dalek::scalar::Scalar;
use merlin::Transcript;
use rand_core::{CryptoRng, RngCore};
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use super::challenge::{ChallengedBallot, Opening};
use super::{Ballot, ContestBallot, EncryptedSelection, Version, encode_body};
use crate::authority::AuthorityKey;
use crate::credential::CredentialSecret;
use crate::election::Election;
use crate::manifest::{ChannelIndex, Contest};
use crate::nullifier::{Eligibility, Nullifier};
use crate::proofs::{
    ProofError, RangeProof, RangeStatement, RangeWitness, SchnorrProof, SchnorrStatement,
};
use crate::secret::SecretScalar;
use crate::transcript::{TranscriptProtocol, label, purpose, random_scalar};

/// Why a ballot was not made: the choices do not fit the manifest, or the voter cannot vote.
/// Nothing secret is in these errors beyond what the caller passed in.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ChoiceError {
    /// The channel is not in the manifest.
    #[error("channel {channel} is not in the manifest")]
    UnknownChannel {
        /// The channel index given.
        channel: ChannelIndex,
    },
    /// The credential is not on the roll.
    #[error("the credential is not on the roll")]
    NotOnRoll,
    /// Choices for a different number of contests than the manifest has.
    #[error("choices for {found} contests; the manifest has {expected}")]
    ContestCount {
        /// Contests in the manifest.
        expected: usize,
        /// Contests in the choices.
        found: usize,
    },
    /// Choices for a different number of options than the contest has.
    #[error("contest {contest}: choices for {found} options; the contest has {expected}")]
    OptionCount {
        /// The contest index.
        contest: usize,
        /// Options in the contest.
        expected: usize,
        /// Options in the choices.
        found: usize,
    },
    /// More votes for one option than its limit.
    #[error("contest {contest}, option {option}: {value} votes exceed the option limit {limit}")]
    OverOptionLimit {
        /// The contest index.
        contest: usize,
        /// The option index.
        option: usize,
        /// The votes given.
        value: u32,
        /// The option limit.
        limit: u32,
    },
    /// The prover refused a statement the manifest allowed (a manifest outside the limits the
    /// proofs support); nothing was made.
    #[error("contest {contest}: the prover refused: {source}")]
    Prover {
        /// The contest index.
        contest: usize,
        /// The prover's reason.
        source: ProofError,
    },
    /// A countersignature was asked for on a channel that takes none.
    #[error("channel {channel} has no authority to countersign")]
    NoAuthority {
        /// The channel.
        channel: ChannelIndex,
    },
    /// The key given is not the channel authority's.
    #[error("the key given is not channel {channel}'s authority")]
    WrongAuthority {
        /// The channel.
        channel: ChannelIndex,
    },
    /// A contest with too few or too many selections.
    #[error("contest {contest}: {sum} selections, allowed {min}..={max}")]
    SelectionCount {
        /// The contest index.
        contest: usize,
        /// The selections made.
        sum: u64,
        /// Fewest allowed.
        min: u32,
        /// Most allowed.
        max: u32,
    },
}

/// The secret openings of a prepared ballot: every vote and encryption nonce.
#[derive(Zeroize, ZeroizeOnDrop)]
struct Openings(Vec<Vec<(u32, Scalar)>>);

/// A ballot made and shown to the voter (tracking code), not yet cast or challenged. Holds the
/// encryption nonces, wiped on drop; it prints none of them.
pub struct PreparedBallot {
    ballot: Ballot,
    openings: Openings,
}

impl core::fmt::Debug for PreparedBallot {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("PreparedBallot")
            .field("tracking_code", &self.ballot.tracking_code())
            .finish_non_exhaustive()
    }
}

impl PreparedBallot {
    /// The ballot, to show its tracking code before the voter decides to cast or challenge.
    pub fn ballot(&self) -> &Ballot {
        &self.ballot
    }

    /// Casts: returns the ballot and wipes the openings.
    pub fn cast(self) -> Ballot {
        self.ballot.clone()
    }

    /// Challenges: reveals every vote and nonce so anyone can recompute the ciphertexts. The
    /// ballot can no longer be cast (the board refuses any ballot of a challenged one).
    pub fn challenge(self) -> ChallengedBallot {
        let openings = self
            .openings
            .0
            .iter()
            .map(|contest| {
                contest
                    .iter()
                    .map(|(value, nonce)| Opening {
                        value: *value,
                        nonce: *nonce,
                    })
                    .collect()
            })
            .collect();
        ChallengedBallot {
            ballot: self.ballot.clone(),
            openings,
        }
    }

    /// Adds the channel authority's countersignature (the postal intake does this after scanning
    /// a paper ballot, before it issues the receipt: the tracking code covers the signature).
    ///
    /// # Errors
    /// [`ChoiceError::NoAuthority`] if the ballot's channel takes no countersignature, and
    /// [`ChoiceError::WrongAuthority`] if `authority` is not the key the manifest names.
    pub fn countersign<R: RngCore + CryptoRng>(
        &mut self,
        election: &Election,
        authority: &AuthorityKey,
        rng: &mut R,
    ) -> Result<(), ChoiceError> {
        let channel = self.ballot.channel;
        let expected = election
            .manifest()
            .channel(channel)
            .and_then(|c| c.authority)
            .ok_or(ChoiceError::NoAuthority { channel })?;
        // A comparison of public keys: variable time is fine.
        if authority.public() != expected {
            return Err(ChoiceError::WrongAuthority { channel });
        }
        self.ballot.countersignature = Some(countersign(&self.ballot, election, authority, rng));
        Ok(())
    }
}

/// The transcript of a selection's range proof.
pub(crate) fn selection_transcript(
    election: &Election,
    nullifier: &Nullifier,
    contest: usize,
    option: usize,
) -> Transcript {
    let mut t = election.transcript(purpose::SELECTION);
    t.append_element(label::NULLIFIER, nullifier.element());
    t.append_u64(label::CONTEST, contest as u64);
    t.append_u64(label::OPTION, option as u64);
    t
}

/// The transcript of a contest's sum proof.
pub(crate) fn contest_sum_transcript(
    election: &Election,
    nullifier: &Nullifier,
    contest: usize,
) -> Transcript {
    let mut t = election.transcript(purpose::CONTEST_SUM);
    t.append_element(label::NULLIFIER, nullifier.element());
    t.append_u64(label::CONTEST, contest as u64);
    t
}

/// The transcript of the eligibility proof, which has absorbed the whole ballot body.
pub(crate) fn eligibility_transcript(election: &Election, body: &[u8]) -> Transcript {
    let mut t = election.transcript(purpose::ELIGIBILITY);
    t.append_message(label::BALLOT_BODY, body);
    t
}

/// The transcript of a channel authority's countersignature.
pub(crate) fn countersignature_transcript(
    election: &Election,
    channel: ChannelIndex,
    signed: &[u8],
) -> Transcript {
    let mut t = election.transcript(purpose::COUNTERSIGNATURE);
    t.append_u64(label::CHANNEL, u64::from(channel));
    t.append_message(label::SIGNED_BALLOT, signed);
    t
}

/// The Schnorr signature by `authority` over the body and eligibility proof of `ballot`, whoever
/// `authority` is (a low-level primitive: [`PreparedBallot::countersign`] checks the key against
/// the manifest; tests and vectors reach it through [`crate::hazmat`]).
pub fn countersign<R: RngCore + CryptoRng>(
    ballot: &Ballot,
    election: &Election,
    authority: &AuthorityKey,
    rng: &mut R,
) -> SchnorrProof {
    let public = authority.public();
    let mut t = countersignature_transcript(election, ballot.channel, &ballot.signed_bytes());
    SchnorrProof::prove(
        authority.secret(),
        &SchnorrStatement { public },
        &mut t,
        rng,
    )
}

fn check_choices(contests: &[Contest], choices: &[Vec<u32>]) -> Result<(), ChoiceError> {
    if choices.len() != contests.len() {
        return Err(ChoiceError::ContestCount {
            expected: contests.len(),
            found: choices.len(),
        });
    }
    for (i, (contest, votes)) in contests.iter().zip(choices).enumerate() {
        if votes.len() != contest.options.len() {
            return Err(ChoiceError::OptionCount {
                contest: i,
                expected: contest.options.len(),
                found: votes.len(),
            });
        }
        if let Some((option, &value)) = votes
            .iter()
            .enumerate()
            .find(|(_, v)| **v > contest.option_limit)
        {
            return Err(ChoiceError::OverOptionLimit {
                contest: i,
                option,
                value,
                limit: contest.option_limit,
            });
        }
        let sum: u64 = votes.iter().map(|v| u64::from(*v)).sum();
        if sum < u64::from(contest.min_selections) || sum > u64::from(contest.max_selections) {
            return Err(ChoiceError::SelectionCount {
                contest: i,
                sum,
                min: contest.min_selections,
                max: contest.max_selections,
            });
        }
    }
    Ok(())
}

/// Builds a ballot for `choices` (per contest, per option, the votes given) on `channel`.
///
/// # Errors
/// A [`ChoiceError`] if the channel is unknown, the credential is not on the roll, or the
/// choices do not fit the manifest; nothing is encrypted then.
pub fn prepare<R: RngCore + CryptoRng>(
    election: &Election,
    channel: ChannelIndex,
    secret: &CredentialSecret,
    choices: &[Vec<u32>],
    rng: &mut R,
) -> Result<PreparedBallot, ChoiceError> {
    let manifest = election.manifest();
    if usize::from(channel) >= manifest.channels().len() {
        return Err(ChoiceError::UnknownChannel { channel });
    }
    let credential = secret.public();
    if election.roll().position(&credential).is_none() {
        return Err(ChoiceError::NotOnRoll);
    }
    check_choices(manifest.contests(), choices)?;

    let nullifier = Nullifier::derive(secret, election);
    let mut nonce_rng = {
        let mut t = election.transcript(purpose::BALLOT_NONCES);
        t.append_u64(label::CHANNEL, u64::from(channel));
        t.append_element(label::NULLIFIER, nullifier.element());
        let votes: Zeroizing<Vec<Scalar>> =
            Zeroizing::new(choices.iter().flatten().map(|v| Scalar::from(*v)).collect());
        let mut witness: Vec<&Scalar> = vec![secret.expose()];
        witness.extend(votes.iter());
        t.witness_rng(&witness, rng)
    };

    let key = election.key();
    let mut openings = Openings(Vec::with_capacity(choices.len()));
    let mut contests = Vec::with_capacity(choices.len());
    for (i, (contest, votes)) in manifest.contests().iter().zip(choices).enumerate() {
        let mut contest_openings = Vec::with_capacity(votes.len());
        let mut selections = Vec::with_capacity(votes.len());
        let mut nonce_sum = Scalar::ZERO;
        for (j, &value) in votes.iter().enumerate() {
            let nonce = SecretScalar::new(random_scalar(&mut nonce_rng));
            let ciphertext = key.encrypt(&Scalar::from(value), nonce.expose());
            let statement = RangeStatement {
                key,
                ciphertexts: core::slice::from_ref(&ciphertext),
                low: 0,
                high: contest.option_limit,
            };
            let mut t = selection_transcript(election, &nullifier, i, j);
            let proof =
                RangeProof::prove(&RangeWitness::new(value, &nonce), &statement, &mut t, rng)
                    .map_err(|source| ChoiceError::Prover { contest: i, source })?;
            nonce_sum += nonce.expose();
            contest_openings.push((value, *nonce.expose()));
            selections.push(EncryptedSelection { ciphertext, proof });
        }
        let nonce_sum = SecretScalar::new(nonce_sum);
        let sum: u32 = votes.iter().sum();
        let ciphertexts: Vec<_> = selections.iter().map(|s| s.ciphertext).collect();
        let statement = RangeStatement {
            key,
            ciphertexts: &ciphertexts,
            low: contest.min_selections,
            high: contest.max_selections,
        };
        let mut t = contest_sum_transcript(election, &nullifier, i);
        let sum_proof =
            RangeProof::prove(&RangeWitness::new(sum, &nonce_sum), &statement, &mut t, rng)
                .map_err(|source| ChoiceError::Prover { contest: i, source })?;
        openings.0.push(contest_openings);
        contests.push(ContestBallot {
            selections,
            sum_proof,
        });
    }

    let election_hash = *election.base_hash();
    let body = encode_body(
        Version::CURRENT,
        &election_hash,
        channel,
        &nullifier,
        &contests,
    );
    let mut t = eligibility_transcript(election, &body);
    let eligibility = Eligibility::prove(secret, credential, &nullifier, election, &mut t, rng);
    let ballot = Ballot {
        version: Version::CURRENT,
        election: election_hash,
        channel,
        nullifier,
        contests,
        eligibility,
        countersignature: None,
    };
    Ok(PreparedBallot { ballot, openings })
}
