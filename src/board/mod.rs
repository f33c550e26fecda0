//! The bulletin board: an append-only, hash-chained public log of everything cast.
//!
//! ```text
//! digest(entry) = SHA-256( u64be(len(tag)) ‖ tag ‖ u64be(position) ‖ previous ‖ kind u8 ‖ payload )
//! previous(0)   = base hash;   previous(i) = digest(entry i−1)
//! ```
//!
//! with `tag = "nullivote/1/board-entry"` and `payload` the binary encoding of the entry's
//! content. A ballot's [`Receipt`] names its position and entry digest, so a voter's tracking code
//! ties to the chain.
//!
//! Every submission passes the same admission rules ([`rules`]) whether it arrives live or is
//! replayed by a verifier from a published board:
//!
//! * ballots are verified (B1–B9) on arrival; a ballot of another election, of a closed channel,
//!   missing its countersignature, or reusing a ciphertext of a cast or challenged ballot is
//!   refused with its reason;
//! * a ballot that precedence would ignore forever is refused at once with the decision that
//!   would ignore it (an online ballot after the voter's postal one; a second postal ballot);
//! * phase changes (a channel closes, voting closes) are entries; nothing cast is accepted after
//!   its channel or the vote closed;
//! * resubmitting an identical ballot returns its original receipt and adds nothing.

mod rules;
pub mod store;

pub use rules::{BoardState, Refusal};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::ballot::{Ballot, SpoiledBallot, TrackingCode, verify_batch};
use crate::codec::{Reader, Wire};
use crate::election::{BaseHash, Election};
use crate::error::EncodingError;

/// The tag of a board entry's digest.
pub const ENTRY_TAG: &[u8] = b"nullivote/1/board-entry";

/// What an entry of the board says.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Payload {
    /// A cast ballot (kind 0).
    Ballot(Box<Ballot>),
    /// A challenged ballot, in its public spoiled form (kind 1).
    Spoiled(SpoiledBallot),
    /// A channel closes: no more ballots on it (kind 2).
    CloseChannel {
        /// The channel's index in the manifest.
        channel: u8,
    },
    /// Voting closes on every channel (kind 3).
    CloseVoting,
}

impl Payload {
    /// The kind byte of the payload in an entry's digest.
    pub fn kind(&self) -> u8 {
        match self {
            Self::Ballot(_) => 0,
            Self::Spoiled(_) => 1,
            Self::CloseChannel { .. } => 2,
            Self::CloseVoting => 3,
        }
    }

    /// The payload's binary encoding, as hashed into the chain.
    pub fn encode(&self) -> Vec<u8> {
        match self {
            Self::Ballot(b) => b.encode(),
            Self::Spoiled(c) => c.encode(),
            Self::CloseChannel { channel } => vec![*channel],
            Self::CloseVoting => Vec::new(),
        }
    }

    /// Decodes a payload of the given kind.
    ///
    /// # Errors
    /// An unknown kind or a malformed payload.
    pub fn decode(kind: u8, bytes: &[u8]) -> Result<Self, EncodingError> {
        match kind {
            0 => Ballot::decode(bytes).map(|b| Self::Ballot(Box::new(b))),
            1 => SpoiledBallot::decode(bytes).map(Self::Spoiled),
            2 => {
                let mut r = Reader::new(bytes);
                let channel = r.u8("close_channel.channel")?;
                r.finish("close_channel")?;
                Ok(Self::CloseChannel { channel })
            }
            3 => Reader::new(bytes)
                .finish("close_voting")
                .map(|()| Self::CloseVoting),
            _ => Err(EncodingError::WrongTag {
                field: "entry.kind",
            }),
        }
    }
}

/// One entry of the board.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    /// The entry's position, from 0.
    pub position: u64,
    /// The digest of the previous entry (the base hash for position 0).
    pub previous: BaseHash,
    /// What the entry says.
    pub payload: Payload,
}

impl Entry {
    /// The entry's digest, which the next entry names as `previous`.
    pub fn digest(&self) -> BaseHash {
        self.digest_of(&self.payload.encode())
    }

    fn digest_of(&self, payload: &[u8]) -> BaseHash {
        let mut h = Sha256::new();
        h.update((ENTRY_TAG.len() as u64).to_be_bytes());
        h.update(ENTRY_TAG);
        h.update(self.position.to_be_bytes());
        h.update(self.previous.as_bytes());
        h.update([self.payload.kind()]);
        h.update(payload);
        BaseHash(h.finalize().into())
    }

    /// The entry's digest and the tracking code of the ballot it holds (all zeros for a phase
    /// entry), from one encoding of the payload.
    pub fn digest_and_code(&self) -> (BaseHash, TrackingCode) {
        let bytes = self.payload.encode();
        let code = match &self.payload {
            Payload::Ballot(b) => {
                let ballot_digest: [u8; 32] = Sha256::digest(&bytes).into();
                let cts = b
                    .contests
                    .iter()
                    .flat_map(|c| &c.selections)
                    .map(|s| &s.ciphertext);
                TrackingCode::of(&b.election, b.channel, cts, &ballot_digest)
            }
            Payload::Spoiled(s) => s.tracking_code,
            Payload::CloseChannel { .. } | Payload::CloseVoting => TrackingCode([0; 32]),
        };
        (self.digest_of(&bytes), code)
    }
}

/// What a voter (or the postal intake) gets back for an accepted ballot.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Receipt {
    /// The entry's position on the board.
    pub position: u64,
    /// The entry's digest: it chains every later entry to this ballot.
    pub entry: BaseHash,
    /// The ballot's tracking code.
    pub tracking_code: TrackingCode,
}

/// A live bulletin board for one election, in memory.
///
/// Refusals are returned to the submitter and kept in an operator's log ([`Board::refusals`]):
/// they are not entries of the chain, since nothing refused counts or needs checking.
pub struct Board {
    election: Election,
    entries: Vec<Entry>,
    head: BaseHash,
    state: BoardState,
    refusals: Vec<(TrackingCode, u8, Refusal)>,
}

impl Board {
    /// An empty board for `election`; its chain starts from the base hash.
    pub fn new(election: Election) -> Self {
        let head = *election.base_hash();
        Self {
            state: BoardState::new(&election),
            election,
            entries: Vec::new(),
            head,
            refusals: Vec::new(),
        }
    }

    /// Reopens a board from its published entries (and the operator's refusal log), after
    /// re-verifying the whole chain: a board whose chain does not verify is not served.
    ///
    /// # Errors
    /// Every problem of the chain, as [`verify_chain`] finds them.
    pub fn resume(
        election: Election,
        entries: Vec<Entry>,
        refusals: Vec<(TrackingCode, u8, Refusal)>,
    ) -> Result<Self, Vec<ChainError>> {
        let state = verify_chain(&election, &entries, None)?;
        let head = entries.last().map_or(*election.base_hash(), Entry::digest);
        Ok(Self {
            election,
            entries,
            head,
            state,
            refusals,
        })
    }

    /// The election.
    pub fn election(&self) -> &Election {
        &self.election
    }

    /// Every entry, in order.
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// Every cast ballot accepted so far, in board order (what precedence and the tally take).
    pub fn cast(&self) -> &[crate::precedence::CastBallot] {
        self.state.cast()
    }

    /// Whether voting has closed.
    pub fn voting_closed(&self) -> bool {
        self.state.voting_closed()
    }

    /// The digest of the last entry (the base hash of an empty board).
    pub fn head(&self) -> BaseHash {
        self.head
    }

    /// The operator's log of refused submissions: tracking code, channel, reason.
    pub fn refusals(&self) -> &[(TrackingCode, u8, Refusal)] {
        &self.refusals
    }

    fn append(&mut self, payload: Payload) -> Receipt {
        let entry = Entry {
            position: self.entries.len() as u64,
            previous: self.head,
            payload,
        };
        let (digest, tracking_code) = entry.digest_and_code();
        self.state.record_with_code(&entry, tracking_code);
        self.head = digest;
        let receipt = Receipt {
            position: entry.position,
            entry: self.head,
            tracking_code,
        };
        self.entries.push(entry);
        receipt
    }

    /// A ballot already on the board (its tracking code computed from the ballot itself): the
    /// same ballot again gets its original receipt; a challenged ballot submitted for casting is
    /// spoiled.
    fn resubmission(&self, code: &TrackingCode) -> Option<Result<Receipt, Refusal>> {
        let (position, challenged) = self.state.position_of(code)?;
        Some(if challenged {
            Err(Refusal::Spoiled { position })
        } else {
            Ok(self.receipt_of(position))
        })
    }

    fn receipt_of(&self, position: u64) -> Receipt {
        let (entry, tracking_code) = self.entries[position as usize].digest_and_code();
        Receipt {
            position,
            entry,
            tracking_code,
        }
    }

    /// Submits a ballot: verifies it, applies the admission rules, appends it.
    ///
    /// # Errors
    /// The [`Refusal`], also kept in [`Board::refusals`].
    pub fn submit(&mut self, ballot: Ballot) -> Result<Receipt, Refusal> {
        let code = ballot.tracking_code();
        if let Some(known) = self.resubmission(&code) {
            return known;
        }
        let checked = self
            .state
            .admit_ballot(&ballot)
            .and_then(|()| ballot.verify(&self.election).map_err(Refusal::Invalid));
        self.finish(
            code,
            ballot.channel,
            checked,
            Payload::Ballot(Box::new(ballot)),
        )
    }

    /// Submits many ballots, verifying their proofs in one batch, then admitting them in order.
    /// The result for each is what [`Board::submit`] would have given in that order.
    pub fn submit_batch(&mut self, ballots: Vec<Ballot>) -> Vec<Result<Receipt, Refusal>> {
        let mut invalid = vec![None; ballots.len()];
        if let Err(errors) = verify_batch(&ballots, &self.election) {
            for (i, e) in errors {
                invalid[i] = Some(e);
            }
        }
        ballots
            .into_iter()
            .zip(invalid)
            .map(|(ballot, invalid)| {
                let code = ballot.tracking_code();
                if let Some(known) = self.resubmission(&code) {
                    return known;
                }
                let checked = self
                    .state
                    .admit_ballot(&ballot)
                    .and_then(|()| invalid.map_or(Ok(()), |e| Err(Refusal::Invalid(e))));
                self.finish(
                    code,
                    ballot.channel,
                    checked,
                    Payload::Ballot(Box::new(ballot)),
                )
            })
            .collect()
    }

    /// Records a Benaloh challenge: the spoiled ballot the voter's device submits, which names
    /// no voter (no nullifier, credential or eligibility proof), checked as any verifier checks
    /// it ([`SpoiledBallot::verify`]). Its ciphertexts can never be cast. A board needs no
    /// authentication of the submitter for this (spec §8.2).
    ///
    /// # Errors
    /// The [`Refusal`].
    pub fn challenge(&mut self, spoiled: &SpoiledBallot) -> Result<Receipt, Refusal> {
        let code = spoiled.tracking_code;
        // The code is the submitter's claim until checked: only the very same challenge again
        // gets the original receipt; anything else goes through the rules.
        if let Some((position, true)) = self.state.position_of(&code)
            && matches!(&self.entries[position as usize].payload,
                        Payload::Spoiled(s) if s == spoiled)
        {
            return Ok(self.receipt_of(position));
        }
        let checked = self.state.admit_spoiled(spoiled).and_then(|()| {
            spoiled
                .verify(&self.election)
                .map(|_| ())
                .map_err(Refusal::Challenge)
        });
        self.finish(
            code,
            spoiled.channel,
            checked,
            Payload::Spoiled(spoiled.clone()),
        )
    }

    /// Closes a channel.
    ///
    /// # Errors
    /// [`Refusal::WrongPhase`] if voting is closed or the channel unknown or closed.
    pub fn close_channel(&mut self, channel: u8) -> Result<Receipt, Refusal> {
        self.state.admit_phase(&Payload::CloseChannel { channel })?;
        Ok(self.append(Payload::CloseChannel { channel }))
    }

    /// Closes voting on every channel.
    ///
    /// # Errors
    /// [`Refusal::WrongPhase`] if voting is already closed.
    pub fn close_voting(&mut self) -> Result<Receipt, Refusal> {
        self.state.admit_phase(&Payload::CloseVoting)?;
        Ok(self.append(Payload::CloseVoting))
    }

    fn finish(
        &mut self,
        code: TrackingCode,
        channel: u8,
        checked: Result<(), Refusal>,
        payload: Payload,
    ) -> Result<Receipt, Refusal> {
        match checked {
            Ok(()) => Ok(self.append(payload)),
            Err(refusal) => {
                self.refusals.push((code, channel, refusal.clone()));
                Err(refusal)
            }
        }
    }
}

/// Where and how a published board breaks the rules.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("board entry {position}: {problem}")]
pub struct ChainError {
    /// The entry's position in the list as published.
    pub position: u64,
    /// What is wrong with it.
    pub problem: ChainProblem,
}

/// What is wrong with one entry of a published board.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ChainProblem {
    /// The entry's position is not its place in the list (an entry deleted, inserted or moved).
    #[error("claims position {claimed}")]
    Position {
        /// The position the entry claims.
        claimed: u64,
    },
    /// The entry does not name the digest of the entry before it (a deletion, a swap, a fork).
    #[error("does not chain to the previous entry")]
    BrokenLink,
    /// The entry would have been refused by the board (an invalid ballot, an entry after its
    /// phase closed, a reused ciphertext, a duplicate).
    #[error("should have been refused: {0}")]
    Refused(Refusal),
    /// The last entry's digest is not the published head.
    #[error("the chain ends at another head than the one published")]
    Head,
}

/// Re-verifies a published board from scratch: positions, links, the admission rules for every
/// entry, and every ballot's proofs (batched). Returns the replayed state, or every problem
/// found.
///
/// # Errors
/// Every [`ChainError`], in order of position.
pub fn verify_chain(
    election: &Election,
    entries: &[Entry],
    head: Option<&BaseHash>,
) -> Result<BoardState, Vec<ChainError>> {
    let ballots: Vec<(usize, &Ballot)> = cast_ballots(entries).collect();
    let refs: Vec<&Ballot> = ballots.iter().map(|(_, b)| *b).collect();
    let mut invalid = std::collections::HashMap::new();
    if let Err(bad) = verify_batch(&refs, election) {
        for (k, e) in bad {
            invalid.insert(ballots[k].0, e);
        }
    }
    replay_chain(election, entries, head, invalid)
}

/// The cast ballots of a board with their positions in `entries`.
pub fn cast_ballots(entries: &[Entry]) -> impl Iterator<Item = (usize, &Ballot)> {
    entries
        .iter()
        .enumerate()
        .filter_map(|(i, e)| match &e.payload {
            Payload::Ballot(b) => Some((i, &**b)),
            _ => None,
        })
}

/// [`verify_chain`] with the ballots' proofs already checked: `invalid` maps the index in
/// `entries` of every ballot that failed to its error.
///
/// # Errors
/// Every [`ChainError`], in order of position.
pub fn replay_chain(
    election: &Election,
    entries: &[Entry],
    head: Option<&BaseHash>,
    invalid: std::collections::HashMap<usize, crate::ballot::BallotError>,
) -> Result<BoardState, Vec<ChainError>> {
    let mut replay = ChainReplay::new(election);
    replay.feed(entries, invalid);
    replay.finish(head)
}

/// Whether a challenged ballot's openings hold (V6), checked ahead of the ordered replay.
type Opening = Result<(), Refusal>;

/// A published board replayed block by block, so that a verifier can read a board of any size
/// without holding it: positions, links, and the admission rules of every entry, in order.
/// [`replay_chain`] is this over one block.
pub struct ChainReplay<'e> {
    election: &'e Election,
    state: BoardState,
    previous: BaseHash,
    next: u64,
    errors: Vec<ChainError>,
}

impl<'e> ChainReplay<'e> {
    /// The replay of an empty board of `election`.
    pub fn new(election: &'e Election) -> Self {
        Self {
            election,
            state: BoardState::new(election),
            previous: *election.base_hash(),
            next: 0,
            errors: Vec::new(),
        }
    }

    /// The state after the entries replayed so far.
    pub fn state(&self) -> &BoardState {
        &self.state
    }

    /// Replays the next `entries`, whose ballots' proofs are already checked: `invalid` maps
    /// the index in `entries` of every ballot that failed to its error. Returns the indices in
    /// `entries` of the cast ballots admitted.
    pub fn feed(
        &mut self,
        entries: &[Entry],
        mut invalid: std::collections::HashMap<usize, crate::ballot::BallotError>,
    ) -> Vec<usize> {
        use rayon::prelude::*;
        let (election, state) = (self.election, &mut self.state);
        let mut admitted_ballots = Vec::new();
        // The hashing and the opening of challenged ballots are independent per entry: done on
        // every core before the ordered replay (an opening is checked even if an earlier rule
        // refuses its entry; the result is the same).
        let digests: Vec<(BaseHash, TrackingCode, Option<Opening>)> = entries
            .par_iter()
            .map(|entry| {
                let (digest, code) = entry.digest_and_code();
                let opened = match &entry.payload {
                    Payload::Spoiled(s) => {
                        Some(s.verify(election).map(|_| ()).map_err(Refusal::Challenge))
                    }
                    _ => None,
                };
                (digest, code, opened)
            })
            .collect();
        for (i, (entry, (digest, code, opened))) in entries.iter().zip(digests).enumerate() {
            let position = self.next;
            self.next += 1;
            let fail = |problem| ChainError { position, problem };
            if entry.position != position {
                self.errors.push(fail(ChainProblem::Position {
                    claimed: entry.position,
                }));
            }
            if entry.previous != self.previous {
                self.errors.push(fail(ChainProblem::BrokenLink));
            }
            self.previous = digest;
            let admitted = match &entry.payload {
                Payload::Ballot(b) => match invalid.remove(&i) {
                    Some(e) => Err(Refusal::Invalid(e)),
                    None => state
                        .open_channel(b.channel)
                        .and_then(|()| state.refuse_duplicate(&code))
                        .and_then(|()| state.admit_ballot(b)),
                },
                Payload::Spoiled(s) => state
                    .open_channel(s.channel)
                    .and_then(|()| state.refuse_duplicate(&code))
                    .and_then(|()| state.admit_spoiled(s))
                    // Computed above for every challenged ballot (else here).
                    .and_then(|()| {
                        opened.unwrap_or_else(|| {
                            s.verify(election).map(|_| ()).map_err(Refusal::Challenge)
                        })
                    }),
                phase => state.admit_phase(phase),
            };
            match admitted {
                Ok(()) => {
                    if matches!(entry.payload, Payload::Ballot(_)) {
                        admitted_ballots.push(i);
                    }
                    state.record_with_code(entry, code);
                }
                Err(refusal) => self.errors.push(fail(ChainProblem::Refused(refusal))),
            }
        }
        admitted_ballots
    }

    /// Ends the replay: the chain must end at `head` (when given).
    ///
    /// # Errors
    /// Every [`ChainError`] found, in order of position.
    pub fn finish(mut self, head: Option<&BaseHash>) -> Result<BoardState, Vec<ChainError>> {
        if let Some(head) = head
            && *head != self.previous
        {
            self.errors.push(ChainError {
                position: self.next,
                problem: ChainProblem::Head,
            });
        }
        if self.errors.is_empty() {
            Ok(self.state)
        } else {
            Err(self.errors)
        }
    }
}

#[cfg(test)]
mod tests;
