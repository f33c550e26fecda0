//! The bulletin board: an append-only, hash-chained public log of everything cast.
//!
//! ```text
//! digest(entry) = SHA-256( u64be(len(tag)) ‖ tag ‖ u64be(position) ‖ previous ‖ kind u8 ‖ payload )
//! previous(0)   = base hash;   previous(i) = digest(entry i−1)
//! ```
//!
//! with `tag = "nullivote/1/board-entry"` and `payload` the binary encoding of the entry's
//! content. Every entry the board appends gets a [`Receipt`] signed with the board key the
//! manifest names (position, entry digest, tracking code, signed a batch at a time over a Merkle
//! root: `signature`, `merkle`), so a voter's tracking
//! code ties to the chain and a voter whose entry the board drops holds the evidence.
//!
//! Every submission passes the same admission rules (`rules`) whether it arrives live or is
//! replayed by a verifier from a published board:
//!
//! * ballots are verified (B1–B9) on arrival; a ballot of another election, of a closed channel,
//!   missing its countersignature, or reusing a ciphertext of a cast or challenged ballot is
//!   refused with its reason;
//! * a ballot that precedence would ignore forever is refused at once with the decision that
//!   would ignore it (an online ballot after the voter's postal one; a second postal ballot);
//! * phase changes (a channel closes, voting closes) are entries signed by the administrator for
//!   their position and previous head ([`check_close`]); nothing cast is accepted after its
//!   channel or the vote closed;
//! * a refused submission is an entry too (`refusal`), whose reason the verifier recomputes
//!   where the record lets it, and whose signed receipt the submitter gets;
//! * resubmitting an identical ballot returns its original receipt and adds nothing.

mod evidence;
pub(crate) mod merkle;
mod refusal;
mod rules;
mod signature;
mod snapshot;
pub(crate) mod store;

pub use crate::digest::EntryDigest;
pub use crate::precedence::{CastBallot, Decision, Outcome, Reason, UnknownChannel, decide};
pub use evidence::{EvidenceError, ReceiptStatus, SignedBoard, check_receipt};
pub use merkle::MerklePath;
pub use refusal::{RefusalCode, RefusalEntry, Submission};
pub use rules::{BoardState, Refusal};
pub(crate) use signature::Deterministic;
pub use signature::{Close, Receipt, ReceiptError, Signature, Statement, equivocation};
pub use snapshot::{SNAPSHOT_MAGIC, SnapshotError};
pub use store::{DurableBoard, LOG_FILE, Recovery, StoreError, SubmitError};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::authority::AuthorityKey;
use crate::ballot::{Ballot, SpoiledBallot, TrackingCode, verify_batch};
use crate::codec::{Reader, Wire};
use crate::election::Election;
use crate::error::EncodingError;
use crate::manifest::ChannelIndex;

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
    /// A channel closes: no more ballots on it (kind 2). The administrator's act.
    CloseChannel {
        /// The channel's index in the manifest.
        channel: ChannelIndex,
        /// The administrator's signature of [`Statement::Close`] for this entry's position and
        /// previous head.
        signature: Signature,
    },
    /// Voting closes on every channel (kind 3). The administrator's act.
    CloseVoting {
        /// The administrator's signature of [`Statement::Close`] for this entry's position and
        /// previous head.
        signature: Signature,
    },
    /// A refused submission (kind 4): the board answers for what it refuses too.
    Refused(Box<RefusalEntry>),
}

impl Payload {
    /// The kind byte of the payload in an entry's digest.
    pub fn kind(&self) -> u8 {
        match self {
            Self::Ballot(_) => 0,
            Self::Spoiled(_) => 1,
            Self::CloseChannel { .. } => 2,
            Self::CloseVoting { .. } => 3,
            Self::Refused(_) => 4,
        }
    }

    /// The payload's binary encoding, as hashed into the chain.
    pub fn to_bytes(&self) -> Vec<u8> {
        match self {
            Self::Ballot(b) => b.encode(),
            Self::Spoiled(c) => c.encode(),
            Self::CloseChannel { channel, signature } => {
                let mut out = vec![channel.get()];
                out.extend_from_slice(&signature.encode());
                out
            }
            Self::CloseVoting { signature } => signature.encode(),
            Self::Refused(r) => r.to_bytes(),
        }
    }

    /// Decodes a payload of the given kind.
    ///
    /// # Errors
    /// An unknown kind or a malformed payload.
    pub fn from_bytes(kind: u8, bytes: &[u8]) -> Result<Self, EncodingError> {
        match kind {
            0 => Ballot::decode(bytes).map(|b| Self::Ballot(Box::new(b))),
            1 => SpoiledBallot::decode(bytes).map(Self::Spoiled),
            2 => {
                let mut r = Reader::new(bytes);
                let channel = ChannelIndex::new(r.u8("close_channel.channel")?);
                let signature =
                    Signature::decode(r.take(Signature::MAX_LEN, "close_channel.signature")?)?;
                r.finish("close_channel")?;
                Ok(Self::CloseChannel { channel, signature })
            }
            3 => Signature::decode(bytes).map(|signature| Self::CloseVoting { signature }),
            4 => RefusalEntry::from_bytes(bytes).map(|r| Self::Refused(Box::new(r))),
            _ => Err(EncodingError::WrongTag {
                field: "entry.kind",
            }),
        }
    }

    /// What a close entry closes (`None` for any other entry).
    pub fn close(&self) -> Option<Close> {
        match self {
            Self::CloseChannel { channel, .. } => Some(Close::Channel(*channel)),
            Self::CloseVoting { .. } => Some(Close::Voting),
            _ => None,
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
    pub previous: EntryDigest,
    /// What the entry says.
    pub payload: Payload,
}

impl Entry {
    /// The entry's digest, which the next entry names as `previous`.
    pub fn digest(&self) -> EntryDigest {
        self.digest_of(&self.payload.to_bytes())
    }

    fn digest_of(&self, payload: &[u8]) -> EntryDigest {
        let mut h = Sha256::new();
        h.update((ENTRY_TAG.len() as u64).to_be_bytes());
        h.update(ENTRY_TAG);
        h.update(self.position.to_be_bytes());
        h.update(self.previous.as_bytes());
        h.update([self.payload.kind()]);
        h.update(payload);
        EntryDigest(h.finalize().into())
    }

    /// The entry's digest and the tracking code of the ballot, challenge or refused submission
    /// it holds (all zeros for a close), from one encoding of the payload.
    pub fn digest_and_code(&self) -> (EntryDigest, TrackingCode) {
        let bytes = self.payload.to_bytes();
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
            Payload::Refused(r) => r.tracking_code,
            Payload::CloseChannel { .. } | Payload::CloseVoting { .. } => TrackingCode([0; 32]),
        };
        (self.digest_of(&bytes), code)
    }
}

/// Checks a close entry's signature: the administrator's (the manifest's
/// `authorities.administrator`) on [`Statement::Close`] for the entry's position and previous
/// head. Other entries pass.
///
/// # Errors
/// [`Refusal::UnauthorisedClose`].
pub fn check_close(election: &Election, entry: &Entry) -> Result<(), Refusal> {
    let (close, signature) = match &entry.payload {
        Payload::CloseChannel { channel, signature } => (Close::Channel(*channel), signature),
        Payload::CloseVoting { signature } => (Close::Voting, signature),
        _ => return Ok(()),
    };
    let statement = Statement::Close {
        position: entry.position,
        previous: entry.previous,
        close,
    };
    signature
        .verify(
            election,
            &statement,
            &election.manifest().authorities().administrator,
        )
        .map_err(|_| Refusal::UnauthorisedClose)
}

/// The administrator's signed close for the entry at `position` after the entry whose digest is
/// `previous` (the board's next position and head).
pub fn sign_close(
    administrator: &AuthorityKey,
    election: &Election,
    position: u64,
    previous: EntryDigest,
    close: Close,
) -> Payload {
    let statement = Statement::Close {
        position,
        previous,
        close,
    };
    let signature = administrator.sign(election, &statement);
    match close {
        Close::Channel(channel) => Payload::CloseChannel { channel, signature },
        Close::Voting => Payload::CloseVoting { signature },
    }
}

/// A submission the board refused: why, and the board's signed receipt of the refusal entry it
/// appended (the submitter's evidence of the refusal). Returned boxed: it holds the reason's
/// details and a receipt.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{refusal}")]
pub struct Refused {
    /// Why.
    pub refusal: Refusal,
    /// The receipt of the refusal entry (`None` for a refused close, which is not an entry,
    /// and for any submission after voting closed, since nothing follows the close).
    pub receipt: Option<Receipt>,
}

impl From<Refusal> for Refused {
    fn from(refusal: Refusal) -> Self {
        Self {
            refusal,
            receipt: None,
        }
    }
}

/// Why a board cannot be served with a key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BoardKeyError {
    /// The key is not the one the manifest names for the board.
    #[error("the signing key given is not the board key the manifest names")]
    NotTheBoardKey,
}

/// A live bulletin board for one election, in memory, that signs a receipt for every entry it
/// appends with the board key the manifest names.
pub struct Board {
    election: Election,
    key: AuthorityKey,
    /// The digest and tracking code of every entry before `entries[0]`: empty, except for a
    /// board reopened from a [snapshot](Board::from_snapshot), which holds only the entries
    /// appended since.
    earlier: Vec<snapshot::Past>,
    entries: Vec<Entry>,
    head: EntryDigest,
    state: BoardState,
}

impl Board {
    /// An empty board for `election`, signing with `key`; its chain starts from the base hash.
    ///
    /// # Errors
    /// [`BoardKeyError::NotTheBoardKey`] if `key` is not the manifest's board key.
    pub fn new(election: Election, key: AuthorityKey) -> Result<Self, BoardKeyError> {
        Self::resume(election, key, Vec::new()).map_err(|e| match e {
            ResumeError::Key(k) => k,
            ResumeError::Chain(_) => unreachable!("an empty board has no chain to fail"),
        })
    }

    /// Reopens a board from its published entries, after re-verifying the whole chain: a board
    /// whose chain does not verify is not served.
    ///
    /// # Errors
    /// [`ResumeError::Key`] for a key that is not the board's, [`ResumeError::Chain`] with
    /// every problem of the chain, as [`verify_chain`] finds them.
    pub fn resume(
        election: Election,
        key: AuthorityKey,
        entries: Vec<Entry>,
    ) -> Result<Self, ResumeError> {
        if key.public() != election.manifest().authorities().board {
            return Err(ResumeError::Key(BoardKeyError::NotTheBoardKey));
        }
        let state = verify_chain(&election, &entries, None).map_err(ResumeError::Chain)?;
        let head = entries
            .last()
            .map_or(EntryDigest::genesis(election.base_hash()), Entry::digest);
        Ok(Self {
            election,
            key,
            earlier: Vec::new(),
            entries,
            head,
            state,
        })
    }

    /// The election.
    pub fn election(&self) -> &Election {
        &self.election
    }

    /// Every entry held in memory, in order: every entry of the board, except for a board
    /// reopened from a [snapshot](Board::from_snapshot), which holds only the entries appended
    /// since, from position [`Board::first_held`] (the rest are in the board's log).
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// The number of entries on the board (held in memory or not).
    pub fn entry_count(&self) -> u64 {
        (self.earlier.len() + self.entries.len()) as u64
    }

    /// The position of `entries()[0]`: 0, except for a board reopened from a snapshot.
    pub fn first_held(&self) -> u64 {
        self.earlier.len() as u64
    }

    /// The replayed state (cast ballots, refusal counts, phases).
    pub fn state(&self) -> &BoardState {
        &self.state
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
    pub fn head(&self) -> EntryDigest {
        self.head
    }

    /// The board's signature of its final head (`entries`, `head`): only once voting has
    /// closed, since no entry can follow the close.
    pub fn final_signature(&self) -> Option<Signature> {
        self.voting_closed().then(|| {
            let statement = Statement::FinalHead {
                entries: self.entry_count(),
                head: self.head,
            };
            self.key.sign(&self.election, &statement)
        })
    }

    /// Drops every entry from `len` on (entries that were never acknowledged: a failed write of
    /// a [`store::DurableBoard`]) and replays the state of the rest, whose proofs were checked
    /// on arrival.
    pub(crate) fn truncate(&mut self, len: usize) {
        debug_assert!(
            self.earlier.is_empty(),
            "a durable board holds all its entries"
        );
        self.entries.truncate(len);
        self.head = self.entries.last().map_or(
            EntryDigest::genesis(self.election.base_hash()),
            Entry::digest,
        );
        let mut replay = ChainReplay::new(&self.election);
        replay.feed(&self.entries, std::collections::HashMap::new());
        self.state = replay.state().clone();
    }

    /// Appends an entry; its receipt is signed by the caller ([`Board::sign`]), so that a batch
    /// signs its receipts on every core once its entries are in order.
    fn append(&mut self, payload: Payload) -> Unsigned {
        let entry = Entry {
            position: self.entry_count(),
            previous: self.head,
            payload,
        };
        let (digest, tracking_code) = entry.digest_and_code();
        self.state.record_with_code(&entry, tracking_code);
        self.head = digest;
        let position = entry.position;
        self.entries.push(entry);
        Unsigned {
            position,
            entry: digest,
            tracking_code,
        }
    }

    /// The receipt of an appended entry.
    fn sign(&self, unsigned: Unsigned) -> Receipt {
        Receipt::sign(
            &self.key,
            &self.election,
            unsigned.position,
            unsigned.entry,
            unsigned.tracking_code,
        )
    }

    /// The signed answer to a submission.
    fn answer(&self, outcome: Admission) -> Result<Receipt, Box<Refused>> {
        match outcome {
            Admission::Entry(unsigned) => Ok(self.sign(unsigned)),
            Admission::Refused(refusal, unsigned) => Err(Box::new(Refused {
                refusal,
                receipt: unsigned.map(|u| self.sign(u)),
            })),
        }
    }

    /// A ballot already on the board (its tracking code computed from the ballot itself): the
    /// same ballot again gets its original receipt; a challenged ballot submitted for casting is
    /// spoiled.
    fn resubmission(&self, code: &TrackingCode) -> Option<Result<u64, Refusal>> {
        let (position, challenged) = self.state.position_of(code)?;
        Some(if challenged {
            Err(Refusal::Spoiled { position })
        } else {
            Ok(position)
        })
    }

    /// The entry at `position`, unsigned.
    fn unsigned_at(&self, position: u64) -> Option<Unsigned> {
        let held = usize::try_from(position)
            .ok()?
            .checked_sub(self.earlier.len());
        let (entry, tracking_code) = match held {
            None => {
                let past = &self.earlier[position as usize];
                (past.digest, past.code)
            }
            Some(i) => self.entries.get(i)?.digest_and_code(),
        };
        Some(Unsigned {
            position,
            entry,
            tracking_code,
        })
    }

    /// Whether the entry at `position` holds exactly `spoiled`: compared directly if the entry
    /// is held, else by its digest (which covers its position, predecessor and payload).
    fn holds_spoiled(&self, position: u64, spoiled: &SpoiledBallot) -> bool {
        let earlier = self.earlier.len() as u64;
        if position >= earlier {
            return matches!(self.entries.get((position - earlier) as usize).map(|e| &e.payload),
                Some(Payload::Spoiled(s)) if s == spoiled);
        }
        let previous = match position.checked_sub(1) {
            None => EntryDigest::genesis(self.election.base_hash()),
            Some(p) => self.earlier[p as usize].digest,
        };
        let entry = Entry {
            position,
            previous,
            payload: Payload::Spoiled(spoiled.clone()),
        };
        entry.digest() == self.earlier[position as usize].digest
    }

    /// The receipt of the entry at `position`, if there is one (signed again: the same bytes as
    /// when it was appended, since signatures are deterministic).
    pub fn receipt_of(&self, position: u64) -> Option<Receipt> {
        self.unsigned_at(position).map(|u| self.sign(u))
    }

    fn known(
        &mut self,
        known: Result<u64, Refusal>,
        ballot: &Ballot,
        code: TrackingCode,
    ) -> Admission {
        match known {
            Ok(position) => Admission::Entry(
                self.unsigned_at(position)
                    .expect("a known ballot's position is on the board"),
            ),
            Err(refusal) => self.refuse(ballot_refusal(ballot, code, &refusal, None), refusal),
        }
    }

    /// Submits a ballot: verifies it, applies the admission rules, appends it, or appends its
    /// refusal.
    ///
    /// # Errors
    /// [`Refused`]: the reason and the signed receipt of the refusal entry.
    pub fn submit(&mut self, ballot: Ballot) -> Result<Receipt, Box<Refused>> {
        let code = ballot.tracking_code();
        let outcome = match self.resubmission(&code) {
            Some(known) => self.known(known, &ballot, code),
            None => {
                let checked = self
                    .state
                    .admit_ballot(&ballot)
                    .and_then(|()| ballot.verify(&self.election).map_err(Refusal::Invalid));
                self.finish_ballot(code, checked, ballot)
            }
        };
        self.answer(outcome)
    }

    /// Submits many ballots, verifying their proofs in one batch, then admitting them in order,
    /// then signing the receipts of the entries it appended with one signature on their Merkle
    /// root ([`Receipt::sign_batch`]; a resubmission's receipt is signed alone). The result for each is what
    /// [`Board::submit`] would have given in that order.
    pub fn submit_batch(&mut self, ballots: Vec<Ballot>) -> Vec<Result<Receipt, Box<Refused>>> {
        let mut invalid = vec![None; ballots.len()];
        if let Err(errors) = verify_batch(&ballots, &self.election) {
            for (i, e) in errors {
                invalid[i] = Some(e);
            }
        }
        let first = self.entry_count();
        let outcomes: Vec<Admission> = ballots
            .into_iter()
            .zip(invalid)
            .map(|(ballot, invalid)| {
                let code = ballot.tracking_code();
                if let Some(known) = self.resubmission(&code) {
                    return self.known(known, &ballot, code);
                }
                let checked = self
                    .state
                    .admit_ballot(&ballot)
                    .and_then(|()| invalid.map_or(Ok(()), |e| Err(Refusal::Invalid(e))));
                self.finish_ballot(code, checked, ballot)
            })
            .collect();
        // The entries this batch appended, consecutive from `first` (a ballot resubmitted within
        // the batch names one of them again): one signature on their Merkle root.
        let appended: std::collections::BTreeMap<u64, Unsigned> = outcomes
            .iter()
            .filter_map(|o| match o {
                Admission::Entry(u) | Admission::Refused(_, Some(u)) if u.position >= first => {
                    Some((u.position, *u))
                }
                _ => None,
            })
            .collect();
        debug_assert!(appended.keys().copied().eq(first..self.entry_count()));
        let receipts: std::collections::HashMap<u64, Receipt> = if appended.is_empty() {
            std::collections::HashMap::new()
        } else {
            let entries: Vec<(EntryDigest, TrackingCode)> = appended
                .values()
                .map(|u| (u.entry, u.tracking_code))
                .collect();
            Receipt::sign_batch(&self.key, &self.election, first, &entries)
                .into_iter()
                .map(|r| (r.position, r))
                .collect()
        };
        // An earlier entry (a resubmission of a ballot of an earlier batch) is signed alone.
        let take = |u: Unsigned| {
            receipts
                .get(&u.position)
                .copied()
                .unwrap_or_else(|| self.sign(u))
        };
        outcomes
            .into_iter()
            .map(|outcome| match outcome {
                Admission::Entry(u) => Ok(take(u)),
                Admission::Refused(refusal, u) => Err(Box::new(Refused {
                    refusal,
                    receipt: u.map(take),
                })),
            })
            .collect()
    }

    /// Records a Benaloh challenge: the spoiled ballot the voter's device submits, which names
    /// no voter (no nullifier, credential or eligibility proof), checked as any verifier checks
    /// it ([`SpoiledBallot::verify`]). Its ciphertexts can never be cast. A board needs no
    /// authentication of the submitter for this (spec §8.2).
    ///
    /// # Errors
    /// [`Refused`]: the reason and the signed receipt of the refusal entry.
    pub fn challenge(&mut self, spoiled: &SpoiledBallot) -> Result<Receipt, Box<Refused>> {
        let code = spoiled.tracking_code;
        // The code is the submitter's claim until checked: only the very same challenge again
        // gets the original receipt; anything else goes through the rules.
        if let Some((position, true)) = self.state.position_of(&code)
            && self.holds_spoiled(position, spoiled)
        {
            return Ok(self
                .receipt_of(position)
                .expect("a known challenge's position is on the board"));
        }
        let checked = self.state.admit_spoiled(spoiled).and_then(|()| {
            spoiled
                .verify(&self.election)
                .map(|_| ())
                .map_err(Refusal::Challenge)
        });
        let outcome = match checked {
            Ok(()) => Admission::Entry(self.append(Payload::Spoiled(spoiled.clone()))),
            Err(refusal) => {
                let cts = spoiled.contests.iter().flatten().map(|s| &s.ciphertext);
                let component =
                    reuse_position(&refusal).and_then(|p| self.state.reused_component(cts, p));
                let entry = RefusalEntry {
                    submission: Submission::Challenge,
                    tracking_code: code,
                    channel: spoiled.channel,
                    nullifier: None,
                    component,
                    reason: RefusalCode::of(&refusal)
                        .expect("a challenge's refusal is a submission's"),
                };
                self.refuse(entry, refusal)
            }
        };
        self.answer(outcome)
    }

    /// Closes a channel with the administrator's signed close ([`sign_close`] for this board's
    /// next position and head).
    ///
    /// # Errors
    /// [`Refusal::WrongPhase`] if voting is closed or the channel unknown or closed;
    /// [`Refusal::UnauthorisedClose`] if the close is not the administrator's for this point of
    /// the board.
    pub fn close(&mut self, close: Payload) -> Result<Receipt, Refusal> {
        if close.close().is_none() {
            return Err(Refusal::WrongPhase("not a close"));
        }
        self.state.admit_phase(&close)?;
        let entry = Entry {
            position: self.entry_count(),
            previous: self.head,
            payload: close,
        };
        check_close(&self.election, &entry)?;
        let unsigned = self.append(entry.payload);
        Ok(self.sign(unsigned))
    }

    /// Closes `close` as `administrator` (who signs the close for this point of the board).
    ///
    /// # Errors
    /// As [`Board::close`].
    pub fn close_as(
        &mut self,
        administrator: &AuthorityKey,
        close: Close,
    ) -> Result<Receipt, Refusal> {
        let payload = sign_close(
            administrator,
            &self.election,
            self.entry_count(),
            self.head,
            close,
        );
        self.close(payload)
    }

    fn finish_ballot(
        &mut self,
        code: TrackingCode,
        checked: Result<(), Refusal>,
        ballot: Ballot,
    ) -> Admission {
        match checked {
            Ok(()) => Admission::Entry(self.append(Payload::Ballot(Box::new(ballot)))),
            Err(refusal) => {
                let cts = ballot
                    .contests
                    .iter()
                    .flat_map(|c| &c.selections)
                    .map(|s| &s.ciphertext);
                let component =
                    reuse_position(&refusal).and_then(|p| self.state.reused_component(cts, p));
                let entry = ballot_refusal(&ballot, code, &refusal, component);
                self.refuse(entry, refusal)
            }
        }
    }

    /// Appends the refusal entry, unless voting has closed: nothing follows the close of voting
    /// (the final head is signed), so a submission after it is refused without an entry.
    fn refuse(&mut self, entry: RefusalEntry, refusal: Refusal) -> Admission {
        let unsigned =
            (!self.voting_closed()).then(|| self.append(Payload::Refused(Box::new(entry))));
        Admission::Refused(refusal, unsigned)
    }
}

/// An appended entry whose receipt is not signed yet.
#[derive(Clone, Copy)]
struct Unsigned {
    position: u64,
    entry: EntryDigest,
    tracking_code: TrackingCode,
}

/// What a submission did, before its receipt is signed.
enum Admission {
    /// Appended (or found already on the board) the entry.
    Entry(Unsigned),
    /// Refused, with its refusal entry (none once voting has closed).
    Refused(Refusal, Option<Unsigned>),
}

/// The entry a reuse refusal names, whose ciphertext component the refusal entry carries.
fn reuse_position(refusal: &Refusal) -> Option<u64> {
    match *refusal {
        Refusal::Spoiled { position } | Refusal::CiphertextReused { position } => Some(position),
        _ => None,
    }
}

fn ballot_refusal(
    ballot: &Ballot,
    code: TrackingCode,
    refusal: &Refusal,
    component: Option<crate::group::Element>,
) -> RefusalEntry {
    RefusalEntry {
        submission: Submission::Cast,
        tracking_code: code,
        channel: ballot.channel,
        nullifier: Some(ballot.nullifier),
        component,
        reason: RefusalCode::of(refusal).expect("a ballot's refusal is a submission's"),
    }
}

/// Why a board cannot be reopened.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ResumeError {
    /// The signing key is not the board's.
    #[error(transparent)]
    Key(BoardKeyError),
    /// The chain does not verify.
    #[error("the board's chain does not verify: {0}")]
    Chain(ChainErrors),
}

/// Every [`ChainError`] of a board that does not verify, in order of position (never empty).
///
/// Displays the first three and the number of the others; dereferences to the slice of all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainErrors(Vec<ChainError>);

impl core::ops::Deref for ChainErrors {
    type Target = [ChainError];
    fn deref(&self) -> &[ChainError] {
        &self.0
    }
}

impl<'a> IntoIterator for &'a ChainErrors {
    type Item = &'a ChainError;
    type IntoIter = core::slice::Iter<'a, ChainError>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

impl IntoIterator for ChainErrors {
    type Item = ChainError;
    type IntoIter = std::vec::IntoIter<ChainError>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

impl core::fmt::Display for ChainErrors {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        for (i, e) in self.0.iter().take(3).enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{e}")?;
        }
        match self.0.len().saturating_sub(3) {
            0 => Ok(()),
            more => write!(f, " (and {more} more)"),
        }
    }
}

impl std::error::Error for ChainErrors {}

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
/// [`ChainErrors`]: every problem, in order of position.
pub fn verify_chain(
    election: &Election,
    entries: &[Entry],
    head: Option<&EntryDigest>,
) -> Result<BoardState, ChainErrors> {
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
    head: Option<&EntryDigest>,
    invalid: std::collections::HashMap<usize, crate::ballot::BallotError>,
) -> Result<BoardState, ChainErrors> {
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
    previous: EntryDigest,
    next: u64,
    errors: Vec<ChainError>,
}

impl<'e> ChainReplay<'e> {
    /// The replay of an empty board of `election`.
    pub fn new(election: &'e Election) -> Self {
        Self {
            election,
            state: BoardState::new(election),
            previous: EntryDigest::genesis(election.base_hash()),
            next: 0,
            errors: Vec::new(),
        }
    }

    /// The state after the entries replayed so far.
    pub fn state(&self) -> &BoardState {
        &self.state
    }

    /// The digest of the last entry replayed so far (before any, the chain's start, the base
    /// hash): the head of the board as read, whether or not it chains.
    pub fn head(&self) -> EntryDigest {
        self.previous
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
        let digests: Vec<(EntryDigest, TrackingCode, Option<Opening>)> = entries
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
                Payload::Refused(r) => state.check_refusal(r),
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
                phase => state
                    .admit_phase(phase)
                    .and_then(|()| check_close(election, entry)),
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
    pub fn finish(mut self, head: Option<&EntryDigest>) -> Result<BoardState, ChainErrors> {
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
            Err(ChainErrors(self.errors))
        }
    }
}

/// What a record's board part is assembled from ([`crate::ElectionRecord::assemble`]).
pub trait BoardSource {
    /// Every entry, in order.
    fn entries(&self) -> &[Entry];
    /// The digest of the last entry (the base hash of an empty board).
    fn head(&self) -> EntryDigest;
}

impl BoardSource for Board {
    fn entries(&self) -> &[Entry] {
        Board::entries(self)
    }

    fn head(&self) -> EntryDigest {
        Board::head(self)
    }
}

impl BoardSource for store::DurableBoard {
    fn entries(&self) -> &[Entry] {
        self.board().entries()
    }

    fn head(&self) -> EntryDigest {
        self.board().head()
    }
}

#[cfg(test)]
mod tests;
