//! Verifying ballots: the numbered checks B1–B9 of `spec/protocol.md` §7.
//!
//! | check | what | error |
//! | --- | --- | --- |
//! | B1 | canonical encoding, known version | [`BallotError::Encoding`] |
//! | B2 | the ballot names this election's base hash | [`BallotError::WrongElection`] |
//! | B3 | the channel exists | [`BallotError::UnknownChannel`] |
//! | B4 | one entry per contest, one selection per option | [`BallotError::ContestCount`], [`BallotError::OptionCount`] |
//! | B5 | the eligibility proof names a roll entry | [`BallotError::NotOnRoll`] |
//! | B6 | every selection proof | [`BallotError::Selection`] |
//! | B7 | every contest-sum proof | [`BallotError::ContestSum`] |
//! | B8 | the eligibility proof (which signs the body) | [`BallotError::Eligibility`] |
//! | B9 | the countersignature, present exactly when the channel requires it | [`BallotError::MissingCountersignature`], [`BallotError::UnexpectedCountersignature`], [`BallotError::Countersignature`] |
//!
//! B1 happens when the ballot is decoded; B2–B5 and B9's presence before any arithmetic; the
//! proofs of B6–B9 are folded into one multiscalar multiplication. If it fails, every proof is
//! checked alone to name the first failing one in check order.

use super::Ballot;
use super::build::{
    contest_sum_transcript, countersignature_transcript, eligibility_transcript,
    selection_transcript,
};
use crate::election::Election;
use crate::error::EncodingError;
use crate::manifest::ChannelIndex;
use crate::proofs::{Msm, ProofError, RangeStatement, SchnorrStatement, Slot};

/// Why a ballot was refused, with the check (B1–B9) and where in the ballot.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BallotError {
    /// B1: not a canonical encoding.
    #[error("B1: {0}")]
    Encoding(#[from] EncodingError),
    /// B2: the ballot is for another election.
    #[error("B2: the ballot is for another election")]
    WrongElection,
    /// B3: the channel is not in the manifest.
    #[error("B3: channel {channel} is not in the manifest")]
    UnknownChannel {
        /// The channel index in the ballot.
        channel: ChannelIndex,
    },
    /// B4: not one entry per contest.
    #[error("B4: the ballot has {found} contests; the manifest has {expected}")]
    ContestCount {
        /// Contests in the manifest.
        expected: usize,
        /// Contests in the ballot.
        found: usize,
    },
    /// B4: not one selection per option.
    #[error("B4: contest {contest}: {found} selections; the contest has {expected} options")]
    OptionCount {
        /// The contest index.
        contest: usize,
        /// Options in the contest.
        expected: usize,
        /// Selections in the ballot.
        found: usize,
    },
    /// B5: the credential named is not on the roll.
    #[error("B5: the credential is not on the roll")]
    NotOnRoll,
    /// B6: a selection's range proof fails.
    #[error("B6: contest {contest}, option {option}: selection proof: {source}")]
    Selection {
        /// The contest index.
        contest: usize,
        /// The option index.
        option: usize,
        /// What failed.
        source: ProofError,
    },
    /// B7: a contest's sum proof fails.
    #[error("B7: contest {contest}: selection-limit proof: {source}")]
    ContestSum {
        /// The contest index.
        contest: usize,
        /// What failed.
        source: ProofError,
    },
    /// B8: the eligibility proof fails (a changed byte anywhere in the body lands here).
    #[error("B8: eligibility proof: {0}")]
    Eligibility(ProofError),
    /// B9: the channel requires a countersignature and there is none.
    #[error("B9: channel {channel} requires its authority's countersignature")]
    MissingCountersignature {
        /// The channel index.
        channel: ChannelIndex,
    },
    /// B9: a countersignature on a channel without an authority.
    #[error("B9: channel {channel} has no authority, but the ballot is countersigned")]
    UnexpectedCountersignature {
        /// The channel index.
        channel: ChannelIndex,
    },
    /// B9: the countersignature fails.
    #[error("B9: countersignature: {0}")]
    Countersignature(ProofError),
}

/// One of the numbered ballot checks B1–B9 of `spec/protocol.md` §7.4 (the table of the
/// module docs): which check a [`BallotError`] failed ([`BallotError::check`]).
///
/// Displayed and serialised as its number, `"B1"` … `"B9"`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
pub enum BallotCheck {
    /// Canonical encoding, known version.
    B1,
    /// The ballot names this election's base hash.
    B2,
    /// The channel exists.
    B3,
    /// One entry per contest, one selection per option.
    B4,
    /// The eligibility proof names a roll entry.
    B5,
    /// Every selection proof.
    B6,
    /// Every contest-sum proof.
    B7,
    /// The eligibility proof (which signs the body).
    B8,
    /// The countersignature, present exactly when the channel requires it.
    B9,
}

impl BallotCheck {
    /// Every ballot check, in order.
    pub const ALL: [BallotCheck; 9] = [
        Self::B1,
        Self::B2,
        Self::B3,
        Self::B4,
        Self::B5,
        Self::B6,
        Self::B7,
        Self::B8,
        Self::B9,
    ];

    /// The check's number, `"B1"` … `"B9"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::B1 => "B1",
            Self::B2 => "B2",
            Self::B3 => "B3",
            Self::B4 => "B4",
            Self::B5 => "B5",
            Self::B6 => "B6",
            Self::B7 => "B7",
            Self::B8 => "B8",
            Self::B9 => "B9",
        }
    }

    /// What the check checks.
    pub fn title(self) -> &'static str {
        match self {
            Self::B1 => "canonical encoding, known version",
            Self::B2 => "the ballot names this election's base hash",
            Self::B3 => "the channel exists",
            Self::B4 => "one entry per contest, one selection per option",
            Self::B5 => "the eligibility proof names a roll entry",
            Self::B6 => "every selection proof",
            Self::B7 => "every contest-sum proof",
            Self::B8 => "the eligibility proof (which signs the body)",
            Self::B9 => "the countersignature, present exactly when the channel requires it",
        }
    }
}

impl core::fmt::Display for BallotCheck {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.pad(self.as_str())
    }
}

impl BallotError {
    /// The check that failed, as numbered in `spec/protocol.md` §7.4.
    pub fn check(&self) -> BallotCheck {
        match self {
            Self::Encoding(_) => BallotCheck::B1,
            Self::WrongElection => BallotCheck::B2,
            Self::UnknownChannel { .. } => BallotCheck::B3,
            Self::ContestCount { .. } | Self::OptionCount { .. } => BallotCheck::B4,
            Self::NotOnRoll => BallotCheck::B5,
            Self::Selection { .. } => BallotCheck::B6,
            Self::ContestSum { .. } => BallotCheck::B7,
            Self::Eligibility(_) => BallotCheck::B8,
            Self::MissingCountersignature { .. }
            | Self::UnexpectedCountersignature { .. }
            | Self::Countersignature(_) => BallotCheck::B9,
        }
    }
}

impl Ballot {
    /// Checks B2–B5 and the presence part of B9: everything that needs no group operation.
    pub fn check_structure(&self, election: &Election) -> Result<(), BallotError> {
        if self.election != *election.base_hash() {
            return Err(BallotError::WrongElection);
        }
        let manifest = election.manifest();
        let channel = manifest.channels().get(usize::from(self.channel)).ok_or(
            BallotError::UnknownChannel {
                channel: self.channel,
            },
        )?;
        let contests = manifest.contests();
        if self.contests.len() != contests.len() {
            return Err(BallotError::ContestCount {
                expected: contests.len(),
                found: self.contests.len(),
            });
        }
        for (i, (contest, ballot)) in contests.iter().zip(&self.contests).enumerate() {
            if ballot.selections.len() != contest.options.len() {
                return Err(BallotError::OptionCount {
                    contest: i,
                    expected: contest.options.len(),
                    found: ballot.selections.len(),
                });
            }
        }
        if election
            .roll()
            .position(self.eligibility.credential())
            .is_none()
        {
            return Err(BallotError::NotOnRoll);
        }
        match (channel.authority, &self.countersignature) {
            (Some(_), None) => Err(BallotError::MissingCountersignature {
                channel: self.channel,
            }),
            (None, Some(_)) => Err(BallotError::UnexpectedCountersignature {
                channel: self.channel,
            }),
            _ => Ok(()),
        }
    }

    /// Adds the equations of every proof of the ballot to `msm` (after the structural checks).
    ///
    /// # Errors
    /// The first failing structural check, or a proof with the wrong number of branches.
    pub fn accumulate(&self, election: &Election, msm: &mut Msm) -> Result<(), BallotError> {
        self.check_structure(election)?;
        // A malformed proof (wrong branch count) may sit after a proof whose equation fails:
        // name whichever comes first in check order.
        self.accumulate_proofs(election, msm, |_| true, true)
            .map_err(|_| self.diagnose(election))
    }

    /// Adds the equations of the proofs selected by `which` (indexed in check order, see
    /// [`ProofRef`]). With `at_slots`, a contest-sum proof whose selections' proofs were all
    /// added puts its terms on their points rather than on their computed sum (the same
    /// equation; `false` only to test that).
    pub(super) fn accumulate_proofs(
        &self,
        election: &Election,
        msm: &mut Msm,
        which: impl Fn(ProofRef) -> bool,
        at_slots: bool,
    ) -> Result<(), BallotError> {
        let key = election.key();
        let manifest = election.manifest();
        let contests = || manifest.contests().iter().zip(&self.contests).enumerate();
        // Where each selection's ciphertext went in `msm`, per contest (complete only if every
        // selection proof of the contest was added): the sum proof adds its terms there.
        let mut slots: Vec<Vec<(Slot, Slot)>> = Vec::with_capacity(self.contests.len());
        for (i, (contest, ballot)) in contests() {
            let mut contest_slots = Vec::with_capacity(ballot.selections.len());
            for (j, selection) in ballot.selections.iter().enumerate() {
                if !which(ProofRef::Selection(i, j)) {
                    continue;
                }
                let statement = RangeStatement {
                    key,
                    ciphertexts: core::slice::from_ref(&selection.ciphertext),
                    low: 0,
                    high: contest.option_limit,
                };
                let mut t = selection_transcript(election, &self.nullifier, i, j);
                let pushed = selection
                    .proof
                    .accumulate_at(&statement, &mut t, msm, None)
                    .map_err(|source| BallotError::Selection {
                        contest: i,
                        option: j,
                        source,
                    })?;
                contest_slots.extend(pushed);
            }
            slots.push(contest_slots);
        }
        for (i, (contest, ballot)) in contests() {
            if which(ProofRef::ContestSum(i)) {
                let ciphertexts: Vec<_> = ballot.selections.iter().map(|s| s.ciphertext).collect();
                let statement = RangeStatement {
                    key,
                    ciphertexts: &ciphertexts,
                    low: contest.min_selections,
                    high: contest.max_selections,
                };
                let mut t = contest_sum_transcript(election, &self.nullifier, i);
                let at = Some(&slots[i][..]).filter(|s| at_slots && s.len() == ciphertexts.len());
                ballot
                    .sum_proof
                    .accumulate_at(&statement, &mut t, msm, at)
                    .map_err(|source| BallotError::ContestSum { contest: i, source })?;
            }
        }
        if which(ProofRef::Eligibility) {
            let mut t = eligibility_transcript(election, &self.body_bytes());
            self.eligibility
                .accumulate(&self.nullifier, election, &mut t, msm);
        }
        if which(ProofRef::Countersignature) {
            let authority = manifest.channels()[usize::from(self.channel)].authority;
            if let (Some(public), Some(signature)) = (authority, &self.countersignature) {
                let mut t =
                    countersignature_transcript(election, self.channel, &self.signed_bytes());
                signature.accumulate(&SchnorrStatement { public }, &mut t, msm);
            }
        }
        Ok(())
    }

    /// Verifies every check of the ballot (B2–B9; B1 held when it was decoded).
    ///
    /// # Errors
    /// The first failing check in order, naming its contest and option.
    pub fn verify(&self, election: &Election) -> Result<(), BallotError> {
        let mut msm = Msm::with_shared(&election.shared_bases());
        self.accumulate(election, &mut msm)?;
        if msm.holds_vartime() {
            return Ok(());
        }
        Err(self.diagnose(election))
    }

    /// Names the first proof that fails alone, in check order. Called only after the ballot's
    /// combined equation failed, which implies that one of its proofs fails alone.
    fn diagnose(&self, election: &Election) -> BallotError {
        let fails = |target: ProofRef| {
            let mut msm = Msm::with_shared(&election.shared_bases());
            match self.accumulate_proofs(election, &mut msm, |p| p == target, true) {
                Err(e) => Some(e),
                Ok(()) if !msm.holds_vartime() => Some(match target {
                    ProofRef::Selection(contest, option) => BallotError::Selection {
                        contest,
                        option,
                        source: ProofError::Invalid,
                    },
                    ProofRef::ContestSum(contest) => BallotError::ContestSum {
                        contest,
                        source: ProofError::Invalid,
                    },
                    ProofRef::Eligibility => BallotError::Eligibility(ProofError::Invalid),
                    ProofRef::Countersignature => {
                        BallotError::Countersignature(ProofError::Invalid)
                    }
                }),
                Ok(()) => None,
            }
        };
        let mut order = Vec::new();
        for (i, c) in self.contests.iter().enumerate() {
            order.extend((0..c.selections.len()).map(|j| ProofRef::Selection(i, j)));
        }
        order.extend((0..self.contests.len()).map(ProofRef::ContestSum));
        order.push(ProofRef::Eligibility);
        order.push(ProofRef::Countersignature);
        order
            .into_iter()
            .find_map(fails)
            // Unreachable: if every proof holds alone, their weighted sum holds.
            .unwrap_or(BallotError::Eligibility(ProofError::Invalid))
    }
}

/// One proof of a ballot, for blame.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) enum ProofRef {
    Selection(usize, usize),
    ContestSum(usize),
    Eligibility,
    Countersignature,
}

/// Verifies many ballots of one election with few multiscalar multiplications, on every core
/// ([`crate::proofs::batch::verify_batch`]). Takes ballots or references to them.
///
/// # Errors
/// Every bad ballot, by index, with its first failing check.
pub fn verify_batch<B>(ballots: &[B], election: &Election) -> Result<(), Vec<(usize, BallotError)>>
where
    B: core::borrow::Borrow<Ballot> + Sync,
{
    crate::proofs::batch::verify_batch(
        ballots,
        &election.shared_bases(),
        |ballot, msm| ballot.borrow().accumulate(election, msm),
        |i| ballots[i].borrow().diagnose(election),
    )
}
